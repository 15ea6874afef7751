/* batch.c -- `vet batch`'s pipeline: requests in flight, re-sends, results in input order. */
#include "batch.h"
#include "breader.h"
#include "mclock.h"
#include "sbuf.h"
#include "vetcli.h"
#include "vet.h"

#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_INFLIGHT 256
#define MAX_INFLIGHT 10000 /* libvet queues at most 10,000 unsent */
#define DEFAULT_RETRIES 2
#define MAX_RETRIES 100
#define MAX_DEPTH 1000         /* cJSON's nesting limit: deeper is refused */
#define CHECK_MS 50            /* how often deadlines are looked at */
#define PROGRESS_MS 250        /* how often the progress bar is redrawn */
#define DRAIN_MAX 512          /* replies taken in one go before refilling */
#define OUT_CHUNK (256 * 1024) /* output is written in pieces this large */
#define MAX_TALLY 16           /* distinct verdicts and error codes counted */

static const char usage_text[] =
    "usage: vet batch [-e ENDPOINT] [-t TIMEOUT_MS] [--format jsonl|csv]\n"
    "                 [--input-format csv|jsonl] [--inflight N] [--retries N]\n"
    "                 [--profile ID] [--summary] [FILE|-]\n"
    "  Screens every record of FILE (default: stdin), a CSV with a header\n"
    "  (id,name,country,type,aliases,ids,tech,activity,current,text,profile,\n"
    "  context.KEY; several values in a cell separated by ';', ids as\n"
    "  SCHEME:VALUE) or JSONL (one screening request per line); the format is\n"
    "  told by --input-format, else by the name (.csv, .jsonl), else by the\n"
    "  first byte ('{': JSONL).\n"
    "  Writes one line per record, in input order: JSONL {\"line\":N,...reply}\n"
    "  or, with --format csv,\n"
    "  line,id,name,verdict,score,rules,matches,error,profile.\n"
    "  -e ENDPOINT    vetd's endpoint (default $VET_ENDPOINT or tcp://127.0.0.1:7470)\n"
    "  -t TIMEOUT_MS  time allowed for each answer before re-sending (default 3000)\n"
    "  --inflight N   requests in flight at once (default 256, at most 10000)\n"
    "  --retries N    re-sends of an unanswered request before it fails with\n"
    "                 \"timeout\" (default 2)\n"
    "  --profile ID   the profile of the ruleset to judge every record by, unless\n"
    "                 the record names its own (a \"profile\" column or field);\n"
    "                 default: the daemon's. An unknown one stops the batch\n"
    "                 before anything is screened (exit 65).\n"
    "  --summary      counts by verdict and by error on stderr at the end\n"
    "exit: the most severe verdict's (0 clear, 10 review, 20 prohibited) or,\n"
    "      if any record ended in error, 65 bad or rejected record, 69 vetd\n"
    "      unavailable or not answering, 70 internal; 64 usage, 66 no input\n";

typedef enum { SLOT_FREE, SLOT_PENDING, SLOT_DONE } slot_state_t;

/* One record of the window: from read to written. Buffers are reused. */
typedef struct slot {
    uint64_t k;         /* record number, from 0: the request id is "b<k>" */
    unsigned long line; /* input line the record starts on */
    slot_state_t state;
    int attempts;        /* sends so far */
    int64_t first_ms;    /* when it was first tried */
    int64_t deadline_ms; /* the current attempt's answer is due */
    sbuf_t req;          /* the request, kept for re-sending */
    sbuf_t uid;          /* the caller's id as a JSON string; empty if none */
    sbuf_t name;         /* partner name (CSV output only) */
    char *reply;         /* owned: the daemon's reply, written from rest */
    size_t reply_len;    /* its length */
    size_t rest;         /* offset of what follows our id member */
    sbuf_t out;          /* or the finished output line, without the newline */
} slot_t;

/* A verdict or error code and how many records got it. */
typedef struct tally {
    char name[32];   /* "other" once MAX_TALLY are in use */
    unsigned long n; /* records */
} tally_t;

/* The whole run. */
typedef struct batch {
    const char *endpoint;     /* borrowed from argv or the caller */
    int timeout_ms;           /* answer due after a send */
    int inflight_max;         /* window of requests in flight */
    int retries;              /* re-sends before "timeout" */
    bool summary;             /* --summary */
    bool csv_out;             /* --format csv; else JSONL */
    breader_fmt_t in_fmt;     /* --input-format, or BREADER_AUTO */
    const char *profile;      /* --profile, borrowed from argv; NULL: none */
    const char *path;         /* input file, "-" for stdin */
    vet_client_t *c;          /* owned */
    breader_t *rd;            /* owned: the input */
    slot_t *ring;             /* owned: the reorder buffer */
    uint64_t ring_size;       /* a power of two */
    uint64_t head;            /* oldest record not written yet */
    uint64_t next;            /* next record to read */
    int inflight;             /* records sent and not finished */
    bool eof;                 /* the input is exhausted */
    bool dead;                /* vetd stopped answering: fail the rest at once */
    int64_t start_ms;         /* start of the run */
    int64_t last_reply_ms;    /* last reply of any kind received */
    int64_t next_check_ms;    /* when deadlines are next looked at */
    int64_t next_progress_ms; /* when the progress bar is next drawn */
    bool tty;                 /* stderr is a terminal: draw the progress bar */
    bool bar_drawn;           /* a bar is on screen and must be erased */
    unsigned long resent;     /* requests sent again */
    unsigned long stray;      /* replies dropped: late duplicates or unknown */
    sbuf_t obuf;              /* output not yet handed to stdout */
    tally_t verdicts[MAX_TALLY];
    tally_t errors[MAX_TALLY];
    int status; /* exit code so far */
    int fatal;  /* non-zero: stop with this exit code */
} batch_t;

/* ---- results ---- */

/* Appends s as one CSV field, quoted when it holds a comma, a quote or a
 * line break (RFC 4180). */
static void
out_csv_field(sbuf_t *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        sbuf_puts(b, s);
        return;
    }
    sbuf_putc(b, '"');
    for (; *s != '\0'; s++) {
        if (*s == '"')
            sbuf_putc(b, '"');
        sbuf_putc(b, *s);
    }
    sbuf_putc(b, '"');
}

static slot_t *
slot_of(batch_t *b, uint64_t k)
{
    return &b->ring[k & (b->ring_size - 1)];
}

/* Counts a record's result under name (n bytes) and raises the exit code. */
static void
tally(batch_t *b, bool error, const char *name, size_t n)
{
    tally_t *t = error ? b->errors : b->verdicts;
    int code = error ? vetcli_error_exit(name, n) : vetcli_verdict_exit(name, n);
    if (code > b->status)
        b->status = code;
    if (n >= sizeof t[0].name)
        n = sizeof t[0].name - 1;
    int k;
    for (k = 0; k < MAX_TALLY && t[k].name[0] != '\0'; k++)
        if (strlen(t[k].name) == n && memcmp(t[k].name, name, n) == 0)
            break;
    if (k == MAX_TALLY) {
        k = MAX_TALLY - 1; /* the last one becomes "other" */
        strcpy(t[k].name, "other");
    } else if (t[k].name[0] == '\0') {
        memcpy(t[k].name, name, n);
        t[k].name[n] = '\0';
    }
    t[k].n++;
}

/* Marks s finished; its output is in s->reply or s->out. */
static void
finish(batch_t *b, slot_t *s)
{
    if (s->state == SLOT_PENDING)
        b->inflight--;
    s->state = SLOT_DONE;
}

/* The caller's id as plain text, for CSV; caller frees. NULL if none. */
static char *
uid_text(const slot_t *s)
{
    if (s->uid.len == 0)
        return NULL;
    cJSON *v = cJSON_ParseWithLength(s->uid.data, s->uid.len);
    char *t = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
    cJSON_Delete(v);
    return t;
}

/* The start of a CSV row: line,id,name, */
static void
out_csv_row_start(const slot_t *s, sbuf_t *o)
{
    sbuf_printf(o, "%lu,", s->line);
    char *id = uid_text(s);
    out_csv_field(o, id != NULL ? id : "");
    free(id);
    sbuf_putc(o, ',');
    out_csv_field(o, s->name.len > 0 ? s->name.data : "");
    sbuf_putc(o, ',');
}

/* The last cell of a CSV row in error: "code: message". */
static void
out_csv_error(sbuf_t *o, const char *code, const char *msg)
{
    sbuf_t e = SBUF_INIT;
    sbuf_printf(&e, "%s: %s", code, msg);
    out_csv_field(o, e.oom ? "" : e.data);
    if (e.oom)
        o->oom = true;
    sbuf_free(&e);
}

/* Ends s with an error of our own (code, message). */
static void
finish_error(batch_t *b, slot_t *s, const char *code, const char *msg)
{
    sbuf_t *o = &s->out;
    sbuf_clear(o);
    if (b->csv_out) {
        out_csv_row_start(s, o);
        sbuf_puts(o, ",,,,");
        out_csv_error(o, code, msg);
        sbuf_putc(o, ','); /* no profile judged it */
    } else {
        sbuf_printf(o, "{\"line\":%lu", s->line);
        if (s->uid.len > 0) {
            sbuf_puts(o, ",\"id\":");
            sbuf_append(o, s->uid.data, s->uid.len);
        }
        sbuf_puts(o, ",\"error\":{\"code\":");
        sbuf_json_cstr(o, code);
        sbuf_puts(o, ",\"message\":");
        sbuf_json_cstr(o, msg);
        sbuf_puts(o, "}}");
    }
    if (o->oom)
        b->fatal = EX_SOFTWARE;
    tally(b, true, code, strlen(code));
    finish(b, s);
}

static void
join_strings(sbuf_t *o, const cJSON *arr, const char *key)
{
    sbuf_t t = SBUF_INIT;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, key));
        if (v == NULL)
            continue;
        if (t.len > 0)
            sbuf_putc(&t, ';');
        sbuf_puts(&t, v);
    }
    out_csv_field(o, t.len > 0 ? t.data : "");
    if (t.oom)
        o->oom = true;
    sbuf_free(&t);
}

/* Ends s with the parsed reply r (a JSON object; borrowed). */
static void
finish_parsed(batch_t *b, slot_t *s, cJSON *r)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "code"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "message"));
    const char *verdict = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "verdict"));
    if (err != NULL && code == NULL)
        code = "internal";
    /* Counted first: the JSONL output below frees the reply's members. */
    if (err != NULL)
        tally(b, true, code, strlen(code));
    else if (verdict != NULL)
        tally(b, false, verdict, strlen(verdict));
    sbuf_t *o = &s->out;
    sbuf_clear(o);
    if (b->csv_out) {
        out_csv_row_start(s, o);
        if (err == NULL) {
            const cJSON *score = cJSON_GetObjectItemCaseSensitive(r, "score");
            char num[32] = "";
            if (cJSON_IsNumber(score))
                snprintf(num, sizeof num, "%g", score->valuedouble);
            out_csv_field(o, verdict != NULL ? verdict : "");
            sbuf_putc(o, ',');
            sbuf_puts(o, num);
            sbuf_putc(o, ',');
            join_strings(o, cJSON_GetObjectItemCaseSensitive(r, "rules"), "id");
            sbuf_putc(o, ',');
            const cJSON *partner = cJSON_GetObjectItemCaseSensitive(r, "partner");
            join_strings(o, cJSON_GetObjectItemCaseSensitive(partner, "matches"), "name");
            sbuf_puts(o, ",,"); /* no error */
            const char *profile =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "profile"));
            out_csv_field(o, profile != NULL ? profile : "");
        } else {
            sbuf_puts(o, ",,,,");
            out_csv_error(o, code, msg != NULL ? msg : "(no message)");
            sbuf_putc(o, ',');
        }
    } else {
        cJSON *line = cJSON_CreateNumber((double)s->line);
        cJSON *out = cJSON_CreateObject();
        cJSON *id = s->uid.len > 0 ? cJSON_ParseWithLength(s->uid.data, s->uid.len) : NULL;
        cJSON_DeleteItemFromObjectCaseSensitive(r, "id");
        char *text = NULL;
        if (out != NULL && line != NULL && cJSON_AddItemToObject(out, "line", line)) {
            line = NULL;
            if (id == NULL || cJSON_AddItemToObject(out, "id", id)) {
                id = NULL;
                /* The reply's members follow, moved over in order. */
                while (r->child != NULL) {
                    cJSON *m = cJSON_DetachItemViaPointer(r, r->child);
                    cJSON_AddItemToObject(out, m->string, m);
                }
                text = cJSON_PrintUnformatted(out);
            }
        }
        cJSON_Delete(line);
        cJSON_Delete(id);
        cJSON_Delete(out);
        if (text != NULL)
            sbuf_puts(o, text);
        else
            o->oom = true;
        free(text);
    }
    if (o->oom)
        b->fatal = EX_SOFTWARE;
    finish(b, s);
}

/* Parses "b<k>" into *k. */
static bool
parse_our_id(const char *s, size_t n, uint64_t *k)
{
    if (n < 2 || n > 21 || s[0] != 'b')
        return false;
    uint64_t v = 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *k = v;
    return true;
}

/* The pending slot of record k, or NULL (finished, or never ours). */
static slot_t *
pending_slot(batch_t *b, uint64_t k)
{
    if (k < b->head || k >= b->next)
        return NULL;
    slot_t *s = slot_of(b, k);
    return s->k == k && s->state == SLOT_PENDING ? s : NULL;
}

/* A reply without an id comes from a request vetd could not read: of
 * ours (all valid JSON), only a too_large one, whose message gives its
 * size. The oldest pending request of that size takes it. */
static slot_t *
orphan_slot(batch_t *b, const cJSON *r)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "code"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "message"));
    size_t size;
    if (code == NULL || strcmp(code, "too_large") != 0 || msg == NULL ||
        sscanf(msg, "request is %zu bytes", &size) != 1)
        return NULL;
    for (uint64_t k = b->head; k < b->next; k++) {
        slot_t *s = slot_of(b, k);
        if (s->state == SLOT_PENDING && s->req.len == size)
            return s;
    }
    return NULL;
}

/* Takes a reply (owned). The fast way, for JSONL output of replies that
 * open as vetd writes them ({"id":"b<k>","verdict":"..." or "error":
 * {"code":"..."), keeps the reply and writes it from after our id; any
 * other goes through cJSON. */
static void
on_reply(batch_t *b, char *reply, size_t len)
{
    static const char open[] = "{\"id\":\"";
    const size_t olen = sizeof open - 1;
    if (len > olen && memcmp(reply, open, olen) == 0) {
        const char *q = memchr(reply + olen, '"', len - olen);
        uint64_t k;
        if (q != NULL && parse_our_id(reply + olen, (size_t)(q - reply - olen), &k)) {
            slot_t *s = pending_slot(b, k);
            if (s == NULL) {
                b->stray++; /* a late duplicate, or a stranger's */
                free(reply);
                return;
            }
            size_t rest = (size_t)(q + 1 - reply);
            const char *p = reply + rest, *end = reply + len;
            static const char v[] = ",\"verdict\":\"", e[] = ",\"error\":{\"code\":\"";
            const char *name = NULL;
            bool error = false;
            if ((size_t)(end - p) > sizeof v - 1 && memcmp(p, v, sizeof v - 1) == 0)
                name = p + sizeof v - 1;
            else if ((size_t)(end - p) > sizeof e - 1 && memcmp(p, e, sizeof e - 1) == 0) {
                name = p + sizeof e - 1;
                error = true;
            }
            const char *nend = name != NULL ? memchr(name, '"', (size_t)(end - name)) : NULL;
            if (!b->csv_out && nend != NULL && memchr(name, '\\', (size_t)(nend - name)) == NULL) {
                free(s->reply);
                s->reply = reply;
                s->reply_len = len;
                s->rest = rest;
                tally(b, error, name, (size_t)(nend - name));
                finish(b, s);
                return;
            }
        }
    }
    cJSON *r = cJSON_ParseWithLength(reply, len);
    slot_t *s = NULL;
    if (cJSON_IsObject(r)) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
        uint64_t k;
        if (cJSON_IsString(id)) {
            if (parse_our_id(id->valuestring, strlen(id->valuestring), &k))
                s = pending_slot(b, k);
        } else if (id == NULL) {
            s = orphan_slot(b, r);
        }
    }
    if (s != NULL)
        finish_parsed(b, s, r);
    else
        b->stray++;
    cJSON_Delete(r);
    free(reply);
}

/* Writes out what the output buffer holds. */
static void
write_out(batch_t *b)
{
    if (b->obuf.len > 0 && fwrite(b->obuf.data, 1, b->obuf.len, stdout) != b->obuf.len &&
        b->fatal == 0) {
        fprintf(stderr, "vet batch: writing the output: %s\n", strerror(errno));
        b->fatal = EX_IOERR;
    }
    b->obuf.len = 0; /* not sbuf_clear: flush reports an oom */
}

/* Writes the finished records at the head of the window, in order, into
 * the output buffer; hands it to stdout in large pieces. */
static void
flush(batch_t *b)
{
    sbuf_t *o = &b->obuf;
    while (b->head < b->next) {
        slot_t *s = slot_of(b, b->head);
        if (s->state != SLOT_DONE)
            break;
        if (s->reply != NULL) {
            char num[48];
            sbuf_append(o, num, (size_t)snprintf(num, sizeof num, "{\"line\":%lu", s->line));
            if (s->uid.len > 0) {
                sbuf_puts(o, ",\"id\":");
                sbuf_append(o, s->uid.data, s->uid.len);
            }
            sbuf_append(o, s->reply + s->rest, s->reply_len - s->rest);
            free(s->reply);
            s->reply = NULL;
        } else {
            sbuf_append(o, s->out.data, s->out.len);
        }
        sbuf_putc(o, '\n');
        s->state = SLOT_FREE;
        b->head++;
        if (o->len >= OUT_CHUNK)
            write_out(b);
    }
    if (o->oom && b->fatal == 0) {
        fputs("vet batch: out of memory\n", stderr);
        b->fatal = EX_SOFTWARE;
    }
}

/* ---- sending ---- */

/* Sends (or sends again) the request of s. One that cannot even be
 * queued (vetd not connected yet, or gone) is tried again soon, without
 * counting as an attempt. */
static void
send_slot(batch_t *b, slot_t *s, int64_t now)
{
    /* The first request waits a little for the connection, which comes
     * up at once when vetd is there; later ones never wait. */
    int wait = b->next == 1 && s->attempts == 0 && s->deadline_ms == 0 ? CHECK_MS : 0;
    int rc = vet_submit(b->c, s->req.data, s->req.len, wait);
    if (rc == VET_ETIMEOUT) {
        s->deadline_ms = now + CHECK_MS;
        return;
    }
    if (rc != VET_OK) {
        fprintf(stderr, "vet batch: %s\n", vet_client_error(b->c));
        b->fatal = rc == VET_EINVAL || rc == VET_ENOMEM ? EX_SOFTWARE : EX_UNAVAILABLE;
        return;
    }
    if (s->attempts++ > 0)
        b->resent++;
    s->deadline_ms = now + b->timeout_ms;
}

/* Fails every pending record with "timeout". */
static void
fail_pending(batch_t *b, const char *msg)
{
    for (uint64_t k = b->head; k < b->next; k++) {
        slot_t *s = slot_of(b, k);
        if (s->state == SLOT_PENDING)
            finish_error(b, s, "timeout", msg);
    }
}

/* Re-sends the requests whose answer is overdue; fails those out of
 * attempts. If nothing at all came back since such a request was first
 * sent, vetd is taken for gone: the rest fail at once. */
static void
check_deadlines(batch_t *b, int64_t now)
{
    char msg[300];
    for (uint64_t k = b->head; k < b->next && !b->dead; k++) {
        slot_t *s = slot_of(b, k);
        if (s->state != SLOT_PENDING || s->deadline_ms > now)
            continue;
        /* Out of attempts, or never sent in the time they would take. */
        if (s->attempts <= b->retries &&
            now - s->first_ms < (int64_t)(b->retries + 1) * b->timeout_ms) {
            send_slot(b, s, now);
            continue;
        }
        if (s->attempts > 0)
            snprintf(msg, sizeof msg, "vetd not answering at %s: no reply to %d attempts of %d ms",
                     b->endpoint, s->attempts, b->timeout_ms);
        else
            snprintf(msg, sizeof msg, "vetd not reachable at %s for %lld ms", b->endpoint,
                     (long long)(now - s->first_ms));
        finish_error(b, s, "timeout", msg);
        if (b->last_reply_ms < s->first_ms) {
            b->dead = true;
            snprintf(msg, sizeof msg, "vetd not answering at %s: no reply in %lld ms", b->endpoint,
                     (long long)(now - s->first_ms));
            fail_pending(b, msg);
        }
    }
}

/* Reads the next record into slot s and builds its request, the id
 * "b<k>". Returns 1 ready to send, 2 finished already (a bad record), 0
 * at the end, -1 when reading failed (b->fatal set). */
static int
read_record(batch_t *b, slot_t *s, uint64_t k)
{
    s->k = k;
    s->attempts = 0;
    s->deadline_ms = 0;
    s->state = SLOT_FREE;
    char id[32];
    snprintf(id, sizeof id, "\"b%" PRIu64 "\"", k);
    breader_rec_t rec;
    int rc = breader_next(b->rd, id, &s->req, &s->uid, b->csv_out ? &s->name : NULL, &rec);
    if (rc < 0)
        b->fatal = rec.why == BREADER_ENOMEM ? EX_SOFTWARE : EX_IOERR;
    if (rc <= 0)
        return rc;
    s->line = rec.line;
    if (rec.err != NULL) {
        finish_error(b, s, "bad_input", rec.err);
        return 2;
    }
    return 1;
}
/* ---- progress and summary ---- */

/* Redraws the progress bar on stderr: records written, rate and, for a
 * regular file, the share read and the time left. */
static void
progress(batch_t *b, int64_t now, bool last)
{
    if (!b->tty || (!last && now < b->next_progress_ms))
        return;
    b->next_progress_ms = now + PROGRESS_MS;
    if (last) {
        if (b->bar_drawn)
            fputs("\r\033[K", stderr);
        return;
    }
    double secs = (double)(now - b->start_ms) / 1000.0;
    double rate = secs > 0 ? (double)b->head / secs : 0;
    double frac = breader_fraction(b->rd);
    if (frac > 0) {
        long eta = (long)(secs / frac * (1 - frac) + 0.5);
        char bar[31];
        int fill = (int)(frac * 30);
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(30 - fill));
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3d%%  %" PRIu64 " records  %.0f/s  ETA %ld:%02ld\033[K", bar,
                (int)(frac * 100), b->head, rate, eta / 60, eta % 60);
    } else {
        fprintf(stderr, "\r%" PRIu64 " records  %.0f/s\033[K", b->head, rate);
    }
    b->bar_drawn = true;
}

static void
print_summary(const batch_t *b)
{
    double secs = (double)(mclock_ms() - b->start_ms) / 1000.0;
    /* A rate over less than a millisecond would say "0/s": leave it out. */
    if (secs >= 0.001)
        fprintf(stderr, "vet batch: %" PRIu64 " records in %.2f s (%.0f/s)\n", b->head, secs,
                (double)b->head / secs);
    else
        fprintf(stderr, "vet batch: %" PRIu64 " records in under 1 ms\n", b->head);
    for (int k = 0; k < MAX_TALLY && b->verdicts[k].name[0] != '\0'; k++)
        fprintf(stderr, "  verdict %-16s %lu\n", b->verdicts[k].name, b->verdicts[k].n);
    for (int k = 0; k < MAX_TALLY && b->errors[k].name[0] != '\0'; k++)
        fprintf(stderr, "  error   %-16s %lu\n", b->errors[k].name, b->errors[k].n);
    if (b->resent > 0)
        fprintf(stderr, "  resent  %-16s %lu\n", "requests", b->resent);
    if (b->stray > 0)
        fprintf(stderr, "  ignored %-16s %lu\n", "replies", b->stray);
}

/* ---- the run ---- */

/* Waits for replies (at most wait_ms for the first) and takes them. */
static void
receive(batch_t *b, int wait_ms)
{
    if (vet_client_pending(b->c) == 0) {
        /* Nothing is on the wire (vetd gone): just let time pass. */
        if (wait_ms > 0)
            poll(NULL, 0, wait_ms);
        return;
    }
    for (int n = 0; n < DRAIN_MAX && vet_client_pending(b->c) > 0; n++) {
        char *reply;
        size_t len;
        int rc = vet_receive(b->c, n == 0 ? wait_ms : 0, &reply, &len);
        if (rc == VET_ETIMEOUT)
            return;
        if (rc == VET_EPROTO) {
            b->stray++; /* not [empty, json]: nobody's answer */
            continue;
        }
        if (rc != VET_OK) {
            fprintf(stderr, "vet batch: %s\n", vet_client_error(b->c));
            b->fatal = rc == VET_ENOMEM ? EX_SOFTWARE : EX_UNAVAILABLE;
            return;
        }
        if (n == 0)
            b->last_reply_ms = mclock_ms();
        on_reply(b, reply, len);
    }
}

static int
run(batch_t *b)
{
    b->start_ms = b->last_reply_ms = mclock_ms();
    b->next_check_ms = b->start_ms + CHECK_MS;
    while (b->fatal == 0) {
        int64_t now = mclock_ms();
        while (!b->eof && b->fatal == 0 && b->next - b->head < b->ring_size &&
               (b->dead || b->inflight < b->inflight_max)) {
            /* A slow input (a pipe) must not hold up the replies: read
             * only what is there, unless nothing else is to be done. */
            if (!breader_ready(b->rd)) {
                if (b->inflight > 0)
                    break;
                flush(b);
                write_out(b);
                fflush(stdout);
            }
            slot_t *s = slot_of(b, b->next);
            int rc = read_record(b, s, b->next);
            if (rc == 0)
                b->eof = true;
            if (rc <= 0)
                break;
            b->next++;
            if (rc == 2)
                continue;
            s->state = SLOT_PENDING;
            s->first_ms = now;
            b->inflight++;
            if (b->dead)
                finish_error(b, s, "timeout", "vetd not answering: earlier requests got no reply");
            else
                send_slot(b, s, now);
        }
        flush(b);
        if (b->fatal != 0 || (b->eof && b->head == b->next))
            break;
        bool can_read = !b->eof && b->next - b->head < b->ring_size &&
                        (b->dead || b->inflight < b->inflight_max) && breader_ready(b->rd);
        receive(b, can_read ? 0 : CHECK_MS);
        now = mclock_ms();
        if (now >= b->next_check_ms) {
            check_deadlines(b, now);
            b->next_check_ms = now + CHECK_MS;
        }
        progress(b, now, false);
    }
    progress(b, mclock_ms(), true);
    write_out(b);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "vet batch: writing the output: %s\n", strerror(errno));
        return EX_IOERR;
    }
    if (b->summary)
        print_summary(b);
    return b->fatal != 0 ? b->fatal : b->status;
}

/* ---- the profile ---- */

/* Asks vetd for its profiles and, if --profile names none of them, says
 * so and returns EX_DATAERR: otherwise every record would be refused.
 * Returns 0 when the profile is there, and also when the question
 * cannot be answered (vetd not up yet, a daemon without the op): the
 * records then get vetd's own answer. */
static int
check_profile(batch_t *b)
{
    char *reply = NULL;
    size_t len = 0;
    static const char req[] = "{\"id\":\"vet-batch-profiles\",\"op\":\"profiles\"}";
    if (vet_call(b->c, req, sizeof req - 1, b->timeout_ms, &reply, &len) != VET_OK)
        return 0;
    cJSON *r = cJSON_ParseWithLength(reply, len);
    vet_free(reply);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(r, "profiles"), *p;
    int status = 0;
    if (cJSON_IsArray(list)) {
        sbuf_t ids = SBUF_INIT;
        bool found = false;
        cJSON_ArrayForEach(p, list)
        {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "id"));
            if (id == NULL)
                continue;
            found = found || strcmp(id, b->profile) == 0;
            sbuf_puts(&ids, ids.len > 0 ? ", " : "");
            sbuf_puts(&ids, id);
        }
        if (!found) {
            fprintf(stderr,
                    "vet batch: --profile: unknown profile \"%s\" (profiles: %s); nothing "
                    "was screened\n",
                    b->profile, ids.oom || ids.len == 0 ? "none" : ids.data);
            status = EX_DATAERR;
        }
        sbuf_free(&ids);
    }
    cJSON_Delete(r);
    return status;
}

/* ---- options ---- */

static int
usage_error(const char *fmt, const char *arg)
{
    return vetcli_usage_error("vet batch", usage_text, fmt, arg);
}

static bool
parse_fmt(const char *s, breader_fmt_t *out)
{
    if (strcmp(s, "csv") == 0)
        *out = BREADER_CSV;
    else if (strcmp(s, "jsonl") == 0 || strcmp(s, "json") == 0)
        *out = BREADER_JSONL;
    else
        return false;
    return true;
}

/* Fills b from argv. Returns 0, -1 after --help, or an exit code. */
static int
parse_args(batch_t *b, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (strcmp(a, "--summary") == 0) {
            b->summary = true;
        } else if ((r = vetcli_opt_value(argc, argv, &i, "-e", &v)) != 0 ||
                   (r = vetcli_opt_value(argc, argv, &i, "--endpoint", &v)) != 0) {
            if (r < 0)
                return usage_error("%s needs an endpoint", a);
            b->endpoint = v;
        } else if ((r = vetcli_opt_value(argc, argv, &i, "-t", &v)) != 0 ||
                   (r = vetcli_opt_value(argc, argv, &i, "--timeout", &v)) != 0) {
            if (r < 0 || !vetcli_parse_int(v, 1, 86400000L, &b->timeout_ms))
                return usage_error("bad timeout \"%s\" (milliseconds, 1..86400000)",
                                   r < 0 ? "" : v);
        } else if ((r = vetcli_opt_value(argc, argv, &i, "--inflight", &v)) != 0) {
            if (r < 0 || !vetcli_parse_int(v, 1, MAX_INFLIGHT, &b->inflight_max))
                return usage_error("bad --inflight \"%s\" (1..10000)", r < 0 ? "" : v);
        } else if ((r = vetcli_opt_value(argc, argv, &i, "--retries", &v)) != 0) {
            if (r < 0 || !vetcli_parse_int(v, 0, MAX_RETRIES, &b->retries))
                return usage_error("bad --retries \"%s\" (0..100)", r < 0 ? "" : v);
        } else if ((r = vetcli_opt_value(argc, argv, &i, "--format", &v)) != 0) {
            breader_fmt_t f;
            if (r < 0 || !parse_fmt(v, &f))
                return usage_error("bad --format \"%s\" (jsonl or csv)", r < 0 ? "" : v);
            b->csv_out = f == BREADER_CSV;
        } else if ((r = vetcli_opt_value(argc, argv, &i, "--profile", &v)) != 0) {
            if (r < 0 || *v == '\0')
                return usage_error("--profile needs a profile id (`vet profiles` lists them)%s",
                                   "");
            b->profile = v;
        } else if ((r = vetcli_opt_value(argc, argv, &i, "--input-format", &v)) != 0) {
            if (r < 0 || !parse_fmt(v, &b->in_fmt))
                return usage_error("bad --input-format \"%s\" (csv or jsonl)", r < 0 ? "" : v);
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option \"%s\"", a);
        } else if (b->path != NULL) {
            return usage_error("one input file only (\"%s\" is a second)", a);
        } else {
            b->path = a;
        }
    }
    if (b->path == NULL)
        b->path = "-";
    return 0;
}

int
batch_main(const char *endpoint, int timeout_ms, int argc, char **argv)
{
    batch_t *b = calloc(1, sizeof *b);
    if (b == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        return EX_SOFTWARE;
    }
    b->endpoint = endpoint;
    b->timeout_ms = timeout_ms;
    b->inflight_max = DEFAULT_INFLIGHT;
    b->retries = DEFAULT_RETRIES;
    b->in_fmt = BREADER_AUTO;
    /* The usual verdicts come first in the summary, even at 0. */
    strcpy(b->verdicts[0].name, "clear");
    strcpy(b->verdicts[1].name, "review");
    strcpy(b->verdicts[2].name, "prohibited");
    int status = parse_args(b, argc, argv);
    if (status != 0) {
        free(b);
        return status < 0 ? EX_OK : status;
    }
    /* The header is read (and a bad one refused) before anything is sent. */
    breader_err_t why;
    if ((b->rd = breader_new(b->path, b->in_fmt, b->profile, &why)) == NULL) {
        status = why == BREADER_ENOINPUT  ? EX_NOINPUT
                 : why == BREADER_EHEADER ? EX_USAGE
                 : why == BREADER_ENOMEM  ? EX_SOFTWARE
                                          : EX_IOERR;
        goto done;
    }
    b->ring_size = 1024;
    while (b->ring_size < 4 * (uint64_t)b->inflight_max)
        b->ring_size *= 2;
    b->ring = calloc(b->ring_size, sizeof *b->ring);
    if (b->ring == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        status = EX_SOFTWARE;
        goto done;
    }
    b->c = vet_client_new(b->endpoint);
    if (b->c == NULL) {
        fprintf(stderr, "vet batch: bad endpoint \"%s\": %s\n", b->endpoint, strerror(errno));
        status = errno == ENOMEM ? EX_SOFTWARE : EX_USAGE;
        goto done;
    }
    if (b->profile != NULL && (status = check_profile(b)) != 0)
        goto done;
    b->tty = isatty(STDERR_FILENO) == 1;
    if (b->csv_out)
        sbuf_puts(&b->obuf, "line,id,name,verdict,score,rules,matches,error,profile\n");
    status = run(b);
done:
    for (uint64_t k = 0; b->ring != NULL && k < b->ring_size; k++) {
        sbuf_free(&b->ring[k].req);
        sbuf_free(&b->ring[k].uid);
        sbuf_free(&b->ring[k].name);
        sbuf_free(&b->ring[k].out);
        free(b->ring[k].reply);
    }
    free(b->ring);
    sbuf_free(&b->obuf);
    vet_client_destroy(&b->c);
    breader_destroy(&b->rd);
    free(b);
    return status;
}
