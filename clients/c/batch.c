/* SPDX-License-Identifier: Apache-2.0 */
/* batch.c -- `vet batch`'s pipeline: requests in flight, re-sends, results in input order. */
#include "batch.h"
#include "breader.h"
#include "idtab.h"
#include "mclock.h"
#include "sbuf.h"
#include "vetcli.h"
#include "vet.h"

#include <assert.h>
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
    "usage: vet batch [-e ENDPOINT] [-t TIMEOUT_MS] [--format jsonl|csv] [--bom]\n"
    "                 [--input-format csv|jsonl] [--inflight N] [--retries N]\n"
    "                 [--profile ID] [--user NAME] [--keep-columns] [--summary]\n"
    "                 [FILE|-]\n"
    "  Screens every record of FILE (default: stdin), a CSV with a header\n"
    "  (id,name,country,type,aliases,ids,tech,activity,current,text,profile,\n"
    "  context.KEY; several values in a cell separated by ';', ids as\n"
    "  SCHEME:VALUE; a country may be a name: \"China\" is sent as CN) or JSONL\n"
    "  (one screening request per line); the format is told by --input-format,\n"
    "  else by the name (.csv, .jsonl), else by the first byte ('{': JSONL).\n"
    "  The record's id is the request's id, so vetd's audit log names it; a\n"
    "  record without one is sent as \"vet-batch:LINE\".\n"
    "  Writes one line per record, in input order: JSONL {\"line\":N,...reply}\n"
    "  or, with --format csv, line,id,name,verdict,score,rules,reasons,match,\n"
    "  method,match_score,alias,lists,unacted_match,note,error,profile.\n"
    "  -e ENDPOINT    vetd's endpoint (default $VET_ENDPOINT or tcp://127.0.0.1:7470);\n"
    "                 several, comma-separated: spread over, failed over\n"
    "  -t TIMEOUT_MS  time allowed for each answer before re-sending (default 3000)\n"
    "  --inflight N   requests in flight at once (default 256, at most 10000)\n"
    "  --retries N    re-sends of an unanswered request before it fails with\n"
    "                 \"timeout\" (default 2)\n"
    "  --profile ID   the profile of the ruleset to judge every record by, unless\n"
    "                 the record names its own (a \"profile\" column or field);\n"
    "                 default: the daemon's. An unknown one stops the batch\n"
    "                 before anything is screened (exit 65).\n"
    "  --user NAME    context.user of every request whose record gives none:\n"
    "                 who screened, for the audit log\n"
    "  --keep-columns carry CSV columns of other names to the output (CSV: after\n"
    "                 profile; JSONL: \"input\") instead of refusing them\n"
    "  --bom          CSV output opens with a UTF-8 byte order mark\n"
    "  --summary      counts by verdict and by error on stderr at the end\n"
    "exit: the most severe verdict's if any record is review (10) or prohibited\n"
    "      (20), whatever else failed; else, if a record ended in error, 65 bad\n"
    "      or rejected record, 69 vetd unavailable or not answering, 70\n"
    "      internal; else 0. 64 usage, 66 no input\n";

/* A record's way through the window: read (FREE until then), HELD
 * while a request with the same id is unanswered, PENDING once sent,
 * DONE when its output is ready. */
typedef enum { SLOT_FREE, SLOT_HELD, SLOT_PENDING, SLOT_DONE } slot_state_t;

/* One record of the window: from read to written. Buffers are reused. */
typedef struct slot {
    uint64_t k;          /* record number, from 0 */
    unsigned long line;  /* input line the record starts on */
    slot_state_t state;  /* see slot_state_t */
    int attempts;        /* sends so far */
    int64_t first_ms;    /* when it was first tried */
    int64_t deadline_ms; /* the current attempt's answer is due */
    sbuf_t req;          /* the request, kept for re-sending */
    sbuf_t key;          /* the id on the wire (idtab's key) */
    sbuf_t uid;          /* the caller's id as a JSON string; empty if none */
    sbuf_t kept;         /* --keep-columns: the kept cells, NUL-terminated */
    sbuf_t note;         /* what the reader changed; empty if nothing */
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
    const char *user;         /* --user, borrowed from argv; NULL: none */
    bool bom;                 /* --bom */
    bool keep;                /* --keep-columns */
    idtab_t *ids;             /* owned: the ids on the wire */
    int held;                 /* records HELD behind a request of their id */
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
    int worst_verdict;          /* the most severe verdict's exit code */
    int worst_error;            /* the highest error exit code, 0 if none */
    unsigned long errors_total; /* records that ended in error */
    int fatal;                  /* non-zero: stop with this exit code */
} batch_t;

/* ---- results ---- */

/* Appends s as one CSV field, quoted when it holds a comma, a quote or a
 * line break (RFC 4180). A text cell that a spreadsheet would run as a
 * formula (opening with = + - @, a tab or a carriage return: OWASP's
 * "CSV injection") gets a leading apostrophe, which spreadsheets show as
 * text and do not evaluate. */
static void
out_csv_field(sbuf_t *b, const char *s)
{
    bool formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
    if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
        sbuf_puts(b, s);
        return;
    }
    sbuf_putc(b, '"');
    if (formula)
        sbuf_putc(b, '\'');
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

/* Counts a record's result under name (n bytes) and keeps the most
 * severe verdict and error for the exit code. */
static void
tally(batch_t *b, bool error, const char *name, size_t n)
{
    tally_t *t = error ? b->errors : b->verdicts;
    if (error) {
        int code = vetcli_error_exit(name, n);
        if (code > b->worst_error)
            b->worst_error = code;
        b->errors_total++;
    } else {
        int code = vetcli_verdict_exit(name, n);
        if (code > b->worst_verdict)
            b->worst_verdict = code;
    }
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

/* The exit code of the run (docs/INTEGRATION.md): a review or
 * prohibited verdict is never hidden by records in error, which cannot
 * make a batch look clear either. */
static int
exit_status(const batch_t *b)
{
    if (b->worst_verdict > VET_EXIT_CLEAR)
        return b->worst_verdict;
    return b->worst_error;
}

static void send_slot(batch_t *b, slot_t *s, int64_t now);

/* s (HELD) goes on the wire with its id, now free. */
static void
release(batch_t *b, slot_t *s, int64_t now)
{
    if (idtab_add(b->ids, s->key.data, s->key.len, s->k) == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        b->fatal = EX_SOFTWARE;
        return;
    }
    b->held--;
    s->state = SLOT_PENDING;
    s->first_ms = now;
    b->inflight++;
    send_slot(b, s, now);
}

/* e's id is free once no record waits for a reply to it and every send
 * of it was answered: a late answer to an earlier send can then never be
 * taken for the answer to a later record with the same id. The oldest
 * record HELD behind it is sent. */
static void
settle(batch_t *b, idtab_entry_t *e)
{
    if (e->owner != IDTAB_NONE || e->outstanding > 0)
        return;
    slot_t *next = NULL;
    for (uint64_t k = b->head; b->held > 0 && k < b->next && next == NULL; k++) {
        slot_t *s = slot_of(b, k);
        if (s->state == SLOT_HELD && s->key.len == e->len &&
            memcmp(s->key.data, e->key, e->len) == 0)
            next = s;
    }
    idtab_remove(b->ids, e);
    if (next != NULL)
        release(b, next, mclock_ms());
}

/* Marks s finished; its output is in s->reply or s->out. A pending
 * record no longer owns its id: a later reply to it is a stray. */
static void
finish(batch_t *b, slot_t *s)
{
    if (s->state == SLOT_PENDING) {
        b->inflight--;
        idtab_entry_t *e = idtab_get(b->ids, s->key.data, s->key.len);
        if (e != NULL && e->owner == s->k) {
            e->owner = IDTAB_NONE;
            s->state = SLOT_DONE;
            settle(b, e);
        }
    } else if (s->state == SLOT_HELD) {
        b->held--;
    }
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

/* The kept cells of s: ",CELL" each for CSV, else ,"input":{...} with
 * the column names (JSONL). */
static void
out_kept(const batch_t *b, const slot_t *s, sbuf_t *o)
{
    int n;
    const char *const *names = breader_kept(b->rd, &n);
    if (n == 0)
        return;
    const char *v = s->kept.data;
    size_t left = s->kept.len;
    if (!b->csv_out)
        sbuf_puts(o, ",\"input\":{");
    for (int i = 0; i < n; i++) {
        const char *cell = left > 0 ? v : "";
        size_t len = left > 0 ? strlen(v) : 0;
        if (left > 0) {
            v += len + 1;
            left -= len + 1;
        }
        if (b->csv_out) {
            sbuf_putc(o, ',');
            out_csv_field(o, cell);
        } else {
            if (i > 0)
                sbuf_putc(o, ',');
            sbuf_json_cstr(o, names[i]);
            sbuf_putc(o, ':');
            sbuf_json_str(o, cell, len);
        }
    }
    if (!b->csv_out)
        sbuf_putc(o, '}');
}

/* The JSONL members our output adds before the reply's: "line", the
 * caller's "id", the "input_note" and the kept columns. */
static void
out_jsonl_start(const batch_t *b, const slot_t *s, sbuf_t *o)
{
    sbuf_printf(o, "{\"line\":%lu", s->line);
    if (s->uid.len > 0) {
        sbuf_puts(o, ",\"id\":");
        sbuf_append(o, s->uid.data, s->uid.len);
    }
    if (s->note.len > 0) {
        sbuf_puts(o, ",\"input_note\":");
        sbuf_json_str(o, s->note.data, s->note.len);
    }
    out_kept(b, s, o);
}

/* Ends a CSV row in error: the result columns empty, then note, error
 * ("code: message") and profile (none judged it), then the kept cells. */
static void
out_csv_error(const batch_t *b, const slot_t *s, sbuf_t *o, const char *code, const char *msg)
{
    sbuf_puts(o, ",,,,,,,,,,"); /* verdict .. unacted_match */
    out_csv_field(o, s->note.len > 0 ? s->note.data : "");
    sbuf_putc(o, ',');
    sbuf_t e = SBUF_INIT;
    sbuf_printf(&e, "%s: %s", code, msg);
    out_csv_field(o, e.oom ? "" : e.data);
    if (e.oom)
        o->oom = true;
    sbuf_free(&e);
    sbuf_putc(o, ','); /* no profile judged it */
    out_kept(b, s, o);
}

/* Ends s with an error of our own (code, message). */
static void
finish_error(batch_t *b, slot_t *s, const char *code, const char *msg)
{
    sbuf_t *o = &s->out;
    sbuf_clear(o);
    if (b->csv_out) {
        out_csv_row_start(s, o);
        out_csv_error(b, s, o, code, msg);
    } else {
        out_jsonl_start(b, s, o);
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

/* Appends the strings of arr (sep between them) to t; an array of
 * objects gives member key of each, or "ID: REASON" when key is NULL
 * (rules). */
static void
join_into(sbuf_t *t, const cJSON *arr, const char *key, const char *sep)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *v = key != NULL
                            ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, key))
                            : cJSON_GetStringValue(it);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id"));
        const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "reason"));
        if (key == NULL && cJSON_IsObject(it)) {
            if (id == NULL)
                continue;
            sbuf_puts(t, t->len > 0 ? sep : "");
            sbuf_printf(t, "%s: %s", id, reason != NULL ? reason : "");
            continue;
        }
        if (v == NULL)
            continue;
        sbuf_puts(t, t->len > 0 ? sep : "");
        sbuf_puts(t, v);
    }
}

/* join_into as one CSV field. */
static void
out_joined(sbuf_t *o, const cJSON *arr, const char *key, const char *sep)
{
    sbuf_t t = SBUF_INIT;
    join_into(&t, arr, key, sep);
    out_csv_field(o, t.len > 0 ? t.data : "");
    if (t.oom)
        o->oom = true;
    sbuf_free(&t);
}

/* A number cell in format fmt (a verdict's score "%g", a match's
 * "%.2f" as vet screen shows it), or empty when v is no number. */
static void
out_num(sbuf_t *o, const cJSON *v, const char *fmt)
{
    if (cJSON_IsNumber(v))
        sbuf_printf(o, fmt, v->valuedouble);
}

/* The CSV columns of a verdict, from verdict to profile. The best match
 * (the reply ranks them, the most certain first) fills match .. lists
 * when the verdict is not clear; a clear record's match counted for
 * nothing (no rule acted on it, or it was too weak), so it is written
 * only in unacted_match, as "NAME (METHOD SCORE, "ALIAS"; LISTS)", the
 * alias when it is not the name. */
static void
out_csv_verdict(const slot_t *s, sbuf_t *o, const cJSON *r, const char *verdict)
{
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(r, "rules");
    const cJSON *matches =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "partner"), "matches");
    const cJSON *m = cJSON_GetArrayItem(matches, 0);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "name"));
    const char *method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "method"));
    const char *alias = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "matched"));
    const cJSON *mscore = cJSON_GetObjectItemCaseSensitive(m, "score");
    const cJSON *lists = cJSON_GetObjectItemCaseSensitive(m, "lists");
    bool counted = m != NULL && strcmp(verdict, "clear") != 0;
    out_csv_field(o, verdict);
    sbuf_putc(o, ',');
    out_num(o, cJSON_GetObjectItemCaseSensitive(r, "score"), "%g");
    sbuf_putc(o, ',');
    out_joined(o, rules, "id", ";");
    sbuf_putc(o, ',');
    out_joined(o, rules, NULL, " | ");
    sbuf_putc(o, ',');
    out_csv_field(o, counted && name != NULL ? name : "");
    sbuf_putc(o, ',');
    out_csv_field(o, counted && method != NULL ? method : "");
    sbuf_putc(o, ',');
    if (counted)
        out_num(o, mscore, "%.2f");
    sbuf_putc(o, ',');
    out_csv_field(o, counted && alias != NULL ? alias : "");
    sbuf_putc(o, ',');
    if (counted)
        out_joined(o, lists, NULL, ";");
    sbuf_putc(o, ',');
    sbuf_t t = SBUF_INIT;
    if (m != NULL && !counted) {
        sbuf_printf(&t, "%s (%s ", name != NULL ? name : "?", method != NULL ? method : "?");
        out_num(&t, mscore, "%.2f");
        if (alias != NULL && (name == NULL || strcmp(alias, name) != 0))
            sbuf_printf(&t, ", \"%s\"", alias);
        if (cJSON_GetArraySize(lists) > 0) {
            sbuf_puts(&t, "; ");
            sbuf_t l = SBUF_INIT;
            join_into(&l, lists, NULL, ";");
            sbuf_append(&t, l.data != NULL ? l.data : "", l.len);
            t.oom = t.oom || l.oom;
            sbuf_free(&l);
        }
        sbuf_putc(&t, ')');
    }
    out_csv_field(o, t.len > 0 && !t.oom ? t.data : "");
    sbuf_clear(&t);
    sbuf_putc(o, ',');
    /* note: what the reader changed, then the reply's own note. */
    if (s->note.len > 0)
        sbuf_append(&t, s->note.data, s->note.len);
    const char *note = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "note"));
    if (note != NULL) {
        sbuf_puts(&t, t.len > 0 ? "; " : "");
        sbuf_puts(&t, note);
    }
    out_csv_field(o, t.len > 0 && !t.oom ? t.data : "");
    if (t.oom)
        o->oom = true;
    sbuf_free(&t);
    sbuf_puts(o, ",,"); /* no error */
    const char *profile = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "profile"));
    out_csv_field(o, profile != NULL ? profile : "");
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
            out_csv_verdict(s, o, r, verdict != NULL ? verdict : "");
            out_kept(b, s, o);
        } else {
            out_csv_error(b, s, o, code, msg != NULL ? msg : "(no message)");
        }
    } else {
        /* Our members, then the reply's, in order, without its id. */
        cJSON_DeleteItemFromObjectCaseSensitive(r, "id");
        char *text = cJSON_PrintUnformatted(r);
        out_jsonl_start(b, s, o);
        if (text != NULL && text[0] == '{' && text[1] != '}') {
            sbuf_putc(o, ',');
            sbuf_puts(o, text + 1);
        } else if (text != NULL) {
            sbuf_putc(o, '}');
        } else {
            o->oom = true;
        }
        free(text);
    }
    if (o->oom)
        b->fatal = EX_SOFTWARE;
    finish(b, s);
}

/* A reply without an id comes from a request vetd could not read: of
 * ours (all valid JSON, ids vetd can read), only a too_large one, whose
 * message gives its size. The oldest pending request of that size takes
 * it. */
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

/* The record a reply to id (n bytes) answers, NULL if none (a late
 * answer to a send already answered, or a stranger's). One send of the
 * id is answered either way. */
static slot_t *
answered(batch_t *b, const char *id, size_t n)
{
    idtab_entry_t *e = idtab_get(b->ids, id, n);
    if (e == NULL)
        return NULL;
    if (e->outstanding > 0)
        e->outstanding--;
    if (e->owner == IDTAB_NONE) {
        settle(b, e);
        return NULL;
    }
    slot_t *s = slot_of(b, e->owner);
    assert(s->k == e->owner && s->state == SLOT_PENDING);
    return s;
}

/* Takes a reply (owned). The fast way, for JSONL output of replies that
 * open as vetd writes them ({"id":"ID","verdict":"..." or "error":
 * {"code":"..." with an ID free of escapes), keeps the reply and writes
 * it from after the id; any other goes through cJSON. */
static void
on_reply(batch_t *b, char *reply, size_t len)
{
    static const char open[] = "{\"id\":\"";
    const size_t olen = sizeof open - 1;
    if (len > olen && memcmp(reply, open, olen) == 0) {
        const char *q = memchr(reply + olen, '"', len - olen);
        if (q != NULL && memchr(reply + olen, '\\', (size_t)(q - reply - olen)) == NULL) {
            slot_t *s = answered(b, reply + olen, (size_t)(q - reply - olen));
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
            cJSON *r = cJSON_ParseWithLength(reply, len);
            free(reply);
            if (cJSON_IsObject(r))
                finish_parsed(b, s, r);
            else
                finish_error(b, s, "internal", "the reply is not a JSON object");
            cJSON_Delete(r);
            return;
        }
    }
    cJSON *r = cJSON_ParseWithLength(reply, len);
    slot_t *s = NULL;
    if (cJSON_IsObject(r)) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
        if (cJSON_IsString(id)) {
            s = answered(b, id->valuestring, strlen(id->valuestring));
        } else if (id == NULL && (s = orphan_slot(b, r)) != NULL) {
            idtab_entry_t *e = idtab_get(b->ids, s->key.data, s->key.len);
            if (e != NULL && e->outstanding > 0)
                e->outstanding--;
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
            out_jsonl_start(b, s, o);
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
    idtab_entry_t *e = idtab_get(b->ids, s->key.data, s->key.len);
    assert(e != NULL && e->owner == s->k);
    e->outstanding++;
    if (s->attempts++ > 0)
        b->resent++;
    s->deadline_ms = now + b->timeout_ms;
}

/* Puts the record just read (s) on the wire, or HELD behind an
 * unanswered request of the same id. */
static void
dispatch(batch_t *b, slot_t *s, int64_t now)
{
    s->first_ms = now;
    if (idtab_get(b->ids, s->key.data, s->key.len) != NULL) {
        s->state = SLOT_HELD;
        b->held++;
        return;
    }
    if (idtab_add(b->ids, s->key.data, s->key.len, s->k) == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        b->fatal = EX_SOFTWARE;
        return;
    }
    s->state = SLOT_PENDING;
    b->inflight++;
    send_slot(b, s, now);
}

/* Fails every pending or held record with "timeout". */
static void
fail_pending(batch_t *b, const char *msg)
{
    for (uint64_t k = b->head; k < b->next; k++) {
        slot_t *s = slot_of(b, k);
        if (s->state == SLOT_PENDING || s->state == SLOT_HELD)
            finish_error(b, s, "timeout", msg);
    }
}

/* Re-sends the requests whose answer is overdue; fails those out of
 * attempts. If nothing at all came back since such a request was first
 * sent, vetd is taken for gone: the rest fail at once. A record held
 * behind its id for twice the time a request may take fails too: the
 * earlier request's answers did not all come, and sending it could take
 * one of them for its own. */
static void
check_deadlines(batch_t *b, int64_t now)
{
    char msg[300];
    int64_t budget = (int64_t)(b->retries + 1) * b->timeout_ms;
    for (uint64_t k = b->head; k < b->next && !b->dead; k++) {
        slot_t *s = slot_of(b, k);
        if (s->state == SLOT_HELD && now - s->first_ms > 2 * budget) {
            snprintf(msg, sizeof msg,
                     "not sent: an earlier record with the same id still has a request "
                     "unanswered after %lld ms",
                     (long long)(now - s->first_ms));
            finish_error(b, s, "timeout", msg);
            continue;
        }
        if (s->state != SLOT_PENDING || s->deadline_ms > now)
            continue;
        /* Out of attempts, or never sent in the time they would take. */
        if (s->attempts <= b->retries && now - s->first_ms < budget) {
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

/* Reads the next record into slot s and builds its request. Returns 1
 * ready to send, 2 finished already (a bad record), 0 at the end, -1
 * when reading failed (b->fatal set). */
static int
read_record(batch_t *b, slot_t *s, uint64_t k)
{
    s->k = k;
    s->attempts = 0;
    s->deadline_ms = 0;
    s->state = SLOT_FREE;
    breader_rec_t rec;
    breader_out_t out = {&s->req, &s->key, &s->uid, b->csv_out ? &s->name : NULL,
                         b->keep ? &s->kept : NULL};
    int rc = breader_next(b->rd, &out, &rec);
    if (rc < 0)
        b->fatal = rec.why == BREADER_ENOMEM ? EX_SOFTWARE : EX_IOERR;
    if (rc <= 0)
        return rc;
    s->line = rec.line;
    sbuf_clear(&s->note);
    if (rec.note != NULL)
        sbuf_puts(&s->note, rec.note);
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

/* The CSV output's header: a UTF-8 byte order mark with --bom, our
 * columns, then the kept ones. */
static void
csv_header(batch_t *b)
{
    if (b->bom)
        sbuf_puts(&b->obuf, "\xEF\xBB\xBF");
    sbuf_puts(&b->obuf, "line,id,name,verdict,score,rules,reasons,match,method,match_score,alias,"
                        "lists,unacted_match,note,error,profile");
    int n;
    const char *const *names = breader_kept(b->rd, &n);
    for (int i = 0; i < n; i++) {
        sbuf_putc(&b->obuf, ',');
        out_csv_field(&b->obuf, names[i]);
    }
    sbuf_putc(&b->obuf, '\n');
}

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
            if (b->dead)
                finish_error(b, s, "timeout", "vetd not answering: earlier requests got no reply");
            else
                dispatch(b, s, now);
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
    if (b->fatal != 0)
        return b->fatal;
    int status = exit_status(b);
    if (b->errors_total > 0 && status < b->worst_error)
        fprintf(stderr,
                "vet batch: %lu record%s could not be screened (see the error %s); the exit "
                "code is the most severe verdict's\n",
                b->errors_total, b->errors_total == 1 ? "" : "s", b->csv_out ? "column" : "lines");
    return status;
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
        } else if (strcmp(a, "--bom") == 0) {
            b->bom = true;
        } else if (strcmp(a, "--keep-columns") == 0) {
            b->keep = true;
        } else if ((r = vetcli_opt_value(argc, argv, &i, "--user", &v)) != 0) {
            if (r < 0 || *v == '\0')
                return usage_error("--user needs a name (it becomes context.user)%s", "");
            b->user = v;
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
    if (b->bom && !b->csv_out)
        return usage_error("--bom is for --format csv (a JSONL file has no byte order mark)%s", "");
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
    breader_opts_t opts = {b->profile, b->user, b->keep};
    if ((b->rd = breader_new(b->path, b->in_fmt, &opts, &why)) == NULL) {
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
    b->ids = idtab_new();
    if (b->ring == NULL || b->ids == NULL) {
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
        csv_header(b);
    status = run(b);
done:
    for (uint64_t k = 0; b->ring != NULL && k < b->ring_size; k++) {
        sbuf_free(&b->ring[k].req);
        sbuf_free(&b->ring[k].uid);
        sbuf_free(&b->ring[k].key);
        sbuf_free(&b->ring[k].kept);
        sbuf_free(&b->ring[k].note);
        sbuf_free(&b->ring[k].name);
        sbuf_free(&b->ring[k].out);
        free(b->ring[k].reply);
    }
    free(b->ring);
    sbuf_free(&b->obuf);
    vet_client_destroy(&b->c);
    breader_destroy(&b->rd);
    idtab_destroy(&b->ids);
    free(b);
    return status;
}
