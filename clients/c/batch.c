/* batch.c -- `vet batch`: screens every record of a CSV or JSONL file
 * through vetd with a window of requests in flight, and writes one result
 * per record, in input order, with the record's line number. */
#include "batch.h"
#include "vet.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_INFLIGHT 256
#define MAX_INFLIGHT 10000      /* libvet queues at most 10,000 unsent */
#define DEFAULT_RETRIES 2
#define MAX_RETRIES 100
#define MAX_DEPTH 1000          /* cJSON's nesting limit: deeper is refused */
#define CHECK_MS 50             /* how often deadlines are looked at */
#define PROGRESS_MS 250         /* how often the progress bar is redrawn */
#define DRAIN_MAX 512           /* replies taken in one go before refilling */
#define OUT_CHUNK (256 * 1024)  /* output is written in pieces this large */
#define MAX_TALLY 16            /* distinct verdicts and error codes counted */

/* Exit codes (DESIGN.md §3), as `vet screen` gives them. */
enum {
    EXIT_USAGE = 64,        /* EX_USAGE */
    EXIT_DATAERR = 65,      /* EX_DATAERR: a record bad or rejected */
    EXIT_NOINPUT = 66,      /* EX_NOINPUT: the input cannot be opened */
    EXIT_UNAVAILABLE = 69,  /* EX_UNAVAILABLE: no answer, or no ruleset */
    EXIT_SOFTWARE = 70,     /* EX_SOFTWARE: internal error */
    EXIT_IOERR = 74         /* EX_IOERR: reading the input or writing the output */
};

/* The error codes a result line can carry and the exit each gives:
 * the daemon's (docs/PROTOCOL.md) and two of vet batch's own. */
static const struct {
    const char *code;
    int exit;
} error_exits[] = {
    { "bad_input", EXIT_DATAERR },      /* the record could not be read */
    { "bad_request", EXIT_DATAERR },
    { "too_large", EXIT_DATAERR },
    { "unknown_op", EXIT_DATAERR },
    { "unavailable", EXIT_UNAVAILABLE },
    { "timeout", EXIT_UNAVAILABLE },    /* no answer after every attempt */
    { "internal", EXIT_SOFTWARE },
};

/* The columns a CSV header may name; "context.KEY" besides. */
typedef enum {
    COL_ID, COL_NAME, COL_COUNTRY, COL_TYPE, COL_ALIASES, COL_IDS, COL_TECH,
    COL_ACTIVITY, COL_CURRENT, COL_TEXT, COL_COUNT, COL_CONTEXT = COL_COUNT
} col_t;

static const struct {
    const char *name;
    col_t col;
} csv_columns[] = {
    { "id", COL_ID },           { "name", COL_NAME },
    { "country", COL_COUNTRY }, { "type", COL_TYPE },
    { "aliases", COL_ALIASES }, { "ids", COL_IDS },
    { "tech", COL_TECH },       { "technologies", COL_TECH },
    { "activity", COL_ACTIVITY }, { "current", COL_CURRENT },
    { "text", COL_TEXT },
};

static const char usage_text[] =
    "usage: vet batch [-e ENDPOINT] [-t TIMEOUT_MS] [--format jsonl|csv]\n"
    "                 [--input-format csv|jsonl] [--inflight N] [--retries N]\n"
    "                 [--summary] [FILE|-]\n"
    "  Screens every record of FILE (default: stdin), a CSV with a header\n"
    "  (id,name,country,type,aliases,ids,tech,activity,current,text,context.KEY;\n"
    "  several values in a cell separated by ';', ids as SCHEME:VALUE) or JSONL\n"
    "  (one screening request per line); the format is told by --input-format,\n"
    "  else by the name (.csv, .jsonl), else by the first byte ('{': JSONL).\n"
    "  Writes one line per record, in input order: JSONL {\"line\":N,...reply}\n"
    "  or, with --format csv, line,id,name,verdict,score,rules,matches,error.\n"
    "  -e ENDPOINT    vetd's endpoint (default $VET_ENDPOINT or tcp://127.0.0.1:7470)\n"
    "  -t TIMEOUT_MS  time allowed for each answer before re-sending (default 3000)\n"
    "  --inflight N   requests in flight at once (default 256, at most 10000)\n"
    "  --retries N    re-sends of an unanswered request before it fails with\n"
    "                 \"timeout\" (default 2)\n"
    "  --summary      counts by verdict and by error on stderr at the end\n"
    "exit: the most severe verdict's (0 clear, 10 review, 20 prohibited) or,\n"
    "      if any record ended in error, 65 bad or rejected record, 69 vetd\n"
    "      unavailable or not answering, 70 internal; 64 usage, 66 no input\n";

typedef enum { FMT_AUTO, FMT_CSV, FMT_JSONL } fmt_t;

/* A growable byte buffer; a failed allocation sets oom and drops the rest. */
typedef struct buf {
    char *p;                /* owned; NUL-terminated when len > 0 */
    size_t len;             /* bytes used */
    size_t cap;             /* bytes allocated */
    bool oom;               /* an append failed */
} buf_t;

typedef enum { SLOT_FREE, SLOT_PENDING, SLOT_DONE } slot_state_t;

/* One record of the window: from read to written. Buffers are reused. */
typedef struct slot {
    uint64_t k;             /* record number, from 0: the request id is "b<k>" */
    unsigned long line;     /* input line the record starts on */
    slot_state_t state;
    int attempts;           /* sends so far */
    int64_t first_ms;       /* when it was first tried */
    int64_t deadline_ms;    /* the current attempt's answer is due */
    buf_t req;              /* the request, kept for re-sending */
    buf_t uid;              /* the caller's id as a JSON string; empty if none */
    buf_t name;             /* partner name (CSV output only) */
    char *reply;            /* owned: the daemon's reply, written from rest */
    size_t reply_len;       /* its length */
    size_t rest;            /* offset of what follows our id member */
    buf_t out;              /* or the finished output line, without the newline */
} slot_t;

/* The input: lines of a file, CSV records or JSONL requests. */
typedef struct reader {
    int fd;                 /* owned unless 0 (stdin); -1 when not open */
    const char *path;       /* for messages */
    fmt_t fmt;              /* FMT_CSV or FMT_JSONL once opened */
    char *rbuf;             /* owned: bytes read, not all used yet */
    size_t rcap;            /* its allocation */
    size_t rstart, rend;    /* the unused bytes of rbuf */
    bool at_eof;            /* read(2) said end of file */
    int rerr;               /* errno of a failed read (or ENOMEM), else 0 */
    off_t consumed;         /* bytes read so far */
    char *line;             /* the current physical line, in rbuf,
                               NUL-terminated; valid until the next read */
    size_t len;             /* its length, line end stripped */
    bool unread;            /* line was looked at and given back */
    unsigned long lineno;   /* physical lines read */
    off_t size;             /* bytes of a regular file; -1 if unknown */
    int ncols;              /* CSV: columns of the header */
    col_t *cols;            /* owned: the kind of each column */
    char **keys;            /* owned: a context column's key as JSON, else NULL */
    const char **cells;     /* owned array: the current record's fields */
    int col_of[COL_COUNT];  /* column index of each kind, -1 if absent */
    buf_t fields;           /* CSV: the fields of a record, NUL-separated */
    size_t *fstart;         /* owned: offset of each field in fields */
    size_t *flen;           /* owned: length of each field */
    int nf, fcap;           /* fields in the record, room for */
    buf_t scratch;          /* the request body being built */
} reader_t;

/* A verdict or error code and how many records got it. */
typedef struct tally {
    char name[32];          /* "other" once MAX_TALLY are in use */
    unsigned long n;        /* records */
} tally_t;

/* The whole run. */
typedef struct batch {
    const char *endpoint;   /* borrowed from argv or the caller */
    int timeout_ms;         /* answer due after a send */
    int inflight_max;       /* window of requests in flight */
    int retries;            /* re-sends before "timeout" */
    bool summary;           /* --summary */
    fmt_t out_fmt;          /* FMT_JSONL or FMT_CSV */
    fmt_t in_fmt;           /* --input-format, or FMT_AUTO */
    const char *path;       /* input file, "-" for stdin */
    vet_client_t *c;        /* owned */
    reader_t rd;
    slot_t *ring;           /* owned: the reorder buffer */
    uint64_t ring_size;     /* a power of two */
    uint64_t head;          /* oldest record not written yet */
    uint64_t next;          /* next record to read */
    int inflight;           /* records sent and not finished */
    bool eof;               /* the input is exhausted */
    bool dead;              /* vetd stopped answering: fail the rest at once */
    int64_t start_ms;       /* start of the run */
    int64_t last_reply_ms;  /* last reply of any kind received */
    int64_t next_check_ms;  /* when deadlines are next looked at */
    int64_t next_progress_ms;   /* when the progress bar is next drawn */
    bool tty;               /* stderr is a terminal: draw the progress bar */
    bool bar_drawn;         /* a bar is on screen and must be erased */
    unsigned long resent;   /* requests sent again */
    unsigned long stray;    /* replies dropped: late duplicates or unknown */
    buf_t obuf;             /* output not yet handed to stdout */
    tally_t verdicts[MAX_TALLY];
    tally_t errors[MAX_TALLY];
    int status;             /* exit code so far */
    int fatal;              /* non-zero: stop with this exit code */
} batch_t;

/* ---- small helpers ---- */

/* Milliseconds of the monotonic clock. */
static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
buf_reserve(buf_t *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void
buf_put(buf_t *b, const void *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
buf_puts(buf_t *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static void
buf_putc(buf_t *b, char c)
{
    buf_put(b, &c, 1);
}

static void
buf_free(buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Appends s (n bytes) as a JSON string, quotes included. */
static void
buf_json(buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_put(b, s + run, i - run);
        run = i + 1;
        char esc[7] = { '\\', 0 };
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
        }
        buf_puts(b, esc);
    }
    buf_put(b, s + run, n - run);
    buf_putc(b, '"');
}

/* Appends s as one CSV field, quoted when it holds a comma, a quote or a
 * line break (RFC 4180). */
static void
buf_csv(buf_t *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        buf_puts(b, s);
        return;
    }
    buf_putc(b, '"');
    for (; *s != '\0'; s++) {
        if (*s == '"')
            buf_putc(b, '"');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

/* ---- JSONL: a validating scan that finds the top-level "id" ---- */

/* The scan of one line. It refuses at least what cJSON refuses, so that
 * every request sent can be read far enough by vetd to echo our id. */
typedef struct jscan {
    const char *s;          /* the line */
    size_t n, i;            /* its length, the position */
    const char *err;        /* what is wrong; NULL while fine */
    size_t err_at;          /* byte offset of the error */
    size_t open, close;     /* offsets of the top-level braces */
    bool has_id;            /* a top-level "id" member was seen */
    size_t id_val, id_end;  /* its value's span */
    size_t cut_from, cut_to;    /* the bytes to drop to remove it */
} jscan_t;

static bool
js_fail(jscan_t *j, const char *msg)
{
    if (j->err == NULL) {
        j->err = msg;
        j->err_at = j->i;
    }
    return false;
}

static void
js_ws(jscan_t *j)
{
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' ||
                           j->s[j->i] == '\r'))
        j->i++;
}

static bool
js_hex4(jscan_t *j, unsigned *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++, j->i++) {
        if (j->i >= j->n)
            return js_fail(j, "invalid JSON");
        char c = j->s[j->i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return js_fail(j, "invalid JSON");
        *v = *v * 16 + d;
    }
    return true;
}

static bool
js_string(jscan_t *j)
{
    j->i++;     /* the opening quote */
    while (j->i < j->n) {
        unsigned char c = (unsigned char)j->s[j->i];
        if (c == '"') {
            j->i++;
            return true;
        }
        if (c < 0x20)
            return js_fail(j, "invalid JSON");
        if (c != '\\') {
            j->i++;
            continue;
        }
        size_t at = j->i++;
        if (j->i >= j->n)
            break;
        c = (unsigned char)j->s[j->i];
        if (c != 'u') {
            if (c == '\0' || strchr("\"\\/bfnrt", c) == NULL)
                return js_fail(j, "invalid JSON");
            j->i++;
            continue;
        }
        j->i++;
        unsigned u, lo;
        if (!js_hex4(j, &u))
            return false;
        if (u == 0) {
            /* vetd refuses it before reading the id. */
            j->i = at;
            return js_fail(j, "\\u0000 is not allowed");
        }
        if (u >= 0xDC00 && u <= 0xDFFF)
            return js_fail(j, "invalid JSON");
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (j->i + 2 > j->n || j->s[j->i] != '\\' || j->s[j->i + 1] != 'u')
                return js_fail(j, "invalid JSON");
            j->i += 2;
            if (!js_hex4(j, &lo))
                return false;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return js_fail(j, "invalid JSON");
        }
    }
    return js_fail(j, "invalid JSON");
}

static bool
js_digits(jscan_t *j)
{
    size_t from = j->i;
    while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
        j->i++;
    return j->i > from || js_fail(j, "invalid JSON");
}

static bool
js_number(jscan_t *j)
{
    if (j->s[j->i] == '-')
        j->i++;
    if (j->i < j->n && j->s[j->i] == '0')
        j->i++;
    else if (!js_digits(j))
        return false;
    if (j->i < j->n && j->s[j->i] == '.') {
        j->i++;
        if (!js_digits(j))
            return false;
    }
    if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
            j->i++;
        if (!js_digits(j))
            return false;
    }
    return true;
}

static bool js_value(jscan_t *j, int depth);

/* An object; at the top, the "id" member and how to cut it are noted. */
static bool
js_object(jscan_t *j, int depth)
{
    bool top = depth == 0, first = true;
    if (top)
        j->open = j->i;
    j->i++;
    size_t prev_end = j->i;     /* end of the previous member's value */
    js_ws(j);
    if (j->i < j->n && j->s[j->i] == '}') {
        if (top)
            j->close = j->i;
        j->i++;
        return true;
    }
    for (;;) {
        js_ws(j);
        if (j->i >= j->n || j->s[j->i] != '"')
            return js_fail(j, "invalid JSON");
        size_t key = j->i;
        if (!js_string(j))
            return false;
        bool is_id = top && j->i - key == 4 && memcmp(j->s + key, "\"id\"", 4) == 0;
        js_ws(j);
        if (j->i >= j->n || j->s[j->i] != ':')
            return js_fail(j, "invalid JSON");
        j->i++;
        js_ws(j);
        size_t val = j->i;
        if (!js_value(j, depth + 1))
            return false;
        size_t vend = j->i;
        if (is_id) {
            if (j->has_id) {
                j->i = key;
                return js_fail(j, "duplicate field \"id\"");
            }
            j->has_id = true;
            j->id_val = val;
            j->id_end = vend;
        }
        js_ws(j);
        if (j->i < j->n && j->s[j->i] == ',') {
            if (is_id) {
                j->cut_from = key;
                j->cut_to = j->i + 1;
            }
            j->i++;
            prev_end = vend;
            first = false;
            continue;
        }
        if (j->i < j->n && j->s[j->i] == '}') {
            if (is_id) {
                j->cut_from = first ? key : prev_end;
                j->cut_to = vend;
            }
            if (top)
                j->close = j->i;
            j->i++;
            return true;
        }
        return js_fail(j, "invalid JSON");
    }
}

static bool
js_array(jscan_t *j, int depth)
{
    j->i++;
    js_ws(j);
    if (j->i < j->n && j->s[j->i] == ']') {
        j->i++;
        return true;
    }
    for (;;) {
        js_ws(j);
        if (!js_value(j, depth + 1))
            return false;
        js_ws(j);
        if (j->i < j->n && j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->i < j->n && j->s[j->i] == ']') {
            j->i++;
            return true;
        }
        return js_fail(j, "invalid JSON");
    }
}

static bool
js_value(jscan_t *j, int depth)
{
    if (depth >= MAX_DEPTH)
        return js_fail(j, "nested too deeply");
    if (j->i >= j->n)
        return js_fail(j, "invalid JSON");
    char c = j->s[j->i];
    static const char *const lits[] = { "true", "false", "null" };
    switch (c) {
    case '{':
        return js_object(j, depth);
    case '[':
        return js_array(j, depth);
    case '"':
        return js_string(j);
    case 't':
    case 'f':
    case 'n':
        for (size_t k = 0; k < 3; k++) {
            size_t l = strlen(lits[k]);
            if (lits[k][0] == c && j->n - j->i >= l && memcmp(j->s + j->i, lits[k], l) == 0) {
                j->i += l;
                return true;
            }
        }
        return js_fail(j, "invalid JSON");
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return js_number(j);
        return js_fail(j, "invalid JSON");
    }
}

/* Scans one JSONL line: a JSON object and nothing else. */
static void
js_scan(jscan_t *j, const char *s, size_t n)
{
    memset(j, 0, sizeof *j);
    j->s = s;
    j->n = n;
    js_ws(j);
    if (j->i >= n || s[j->i] != '{') {
        js_fail(j, "expected a JSON object");
        return;
    }
    if (!js_value(j, 0))
        return;
    js_ws(j);
    if (j->i < n)
        js_fail(j, "invalid JSON");
}

/* ---- input ---- */

/* Reads more input into rbuf (compacting, growing when full); blocks.
 * false at the end of the input or on an error (r->rerr). */
static bool
fill_input(reader_t *r)
{
    if (r->rstart > 0) {
        memmove(r->rbuf, r->rbuf + r->rstart, r->rend - r->rstart);
        r->rend -= r->rstart;
        r->rstart = 0;
    }
    if (r->rcap - r->rend < 4096) {
        size_t cap = r->rcap ? r->rcap * 2 : 65536;
        char *p = realloc(r->rbuf, cap);
        if (p == NULL) {
            r->rerr = ENOMEM;
            return false;
        }
        r->rbuf = p;
        r->rcap = cap;
    }
    for (;;) {
        /* One byte kept for the NUL ending a last line without newline. */
        ssize_t got = read(r->fd, r->rbuf + r->rend, r->rcap - r->rend - 1);
        if (got > 0) {
            r->rend += (size_t)got;
            r->consumed += got;
            return true;
        }
        if (got == 0) {
            r->at_eof = true;
            return false;
        }
        if (errno != EINTR) {
            r->rerr = errno;
            return false;
        }
    }
}

/* True when a next line can be had without waiting: one is buffered, the
 * input is over, or the descriptor has bytes (or an end) to read. */
static bool
input_ready(reader_t *r)
{
    /* rbuf is NULL until the first read: memchr must not see it. */
    if (r->unread || r->at_eof || r->rerr != 0 ||
        (r->rend > r->rstart && memchr(r->rbuf + r->rstart, '\n', r->rend - r->rstart) != NULL))
        return true;
    struct pollfd p = { r->fd, POLLIN, 0 };
    return poll(&p, 1, 0) != 0;
}

/* Sets r->line to the next physical line, without its line end. A UTF-8
 * byte order mark opening the input is dropped. false at the end (or on
 * a read error: r->rerr tells). */
static bool
next_line(reader_t *r)
{
    if (r->unread) {
        r->unread = false;
        r->lineno++;
        return true;
    }
    char *nl;
    while ((nl = r->rbuf != NULL ? memchr(r->rbuf + r->rstart, '\n', r->rend - r->rstart)
                                 : NULL) == NULL) {
        if (r->at_eof || r->rerr != 0 || !fill_input(r)) {
            if (r->rerr != 0 || r->rstart == r->rend)
                return false;
            nl = r->rbuf + r->rend;     /* the last line has no newline */
            break;
        }
    }
    char *line = r->rbuf + r->rstart;
    size_t n = (size_t)(nl - line);
    r->rstart = nl < r->rbuf + r->rend ? (size_t)(nl + 1 - r->rbuf) : r->rend;
    if (r->lineno == 0 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        n -= 3;
    }
    r->lineno++;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    line[n] = '\0';
    r->line = line;
    r->len = n;
    return true;
}

/* Gives the line just read back, for the next next_line. */
static void
unread_line(reader_t *r)
{
    r->unread = true;
    r->lineno--;
}

static bool
blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static void
field_end(reader_t *r)
{
    buf_putc(&r->fields, '\0');
    r->flen[r->nf - 1] = r->fields.len - 1 - r->fstart[r->nf - 1];
}

/* Starts a new field; false when out of memory. */
static bool
field_begin(reader_t *r)
{
    if (r->nf == r->fcap) {
        int cap = r->fcap ? r->fcap * 2 : 32;
        size_t *s = realloc(r->fstart, (size_t)cap * sizeof *s);
        if (s != NULL)
            r->fstart = s;
        size_t *l = realloc(r->flen, (size_t)cap * sizeof *l);
        if (l != NULL)
            r->flen = l;
        if (s == NULL || l == NULL)
            return false;
        r->fcap = cap;
    }
    r->fstart[r->nf] = r->fields.len;
    r->flen[r->nf] = 0;
    r->nf++;
    return true;
}

/* Reads one CSV record (RFC 4180: quoted fields may hold commas, doubled
 * quotes and line breaks), skipping blank lines. Returns 1 with the
 * fields in r (*err set if the record is malformed), 0 at the end, -1 on
 * a read error or out of memory. */
static int
csv_record(reader_t *r, unsigned long *line, const char **err)
{
    *err = NULL;
    do {
        if (!next_line(r))
            return r->rerr != 0 ? -1 : 0;
    } while (blank(r->line, r->len));
    *line = r->lineno;
    r->fields.len = 0;
    r->nf = 0;
    size_t i = 0;
    for (;;) {
        if (!field_begin(r))
            return -1;
        if (i < r->len && r->line[i] == '"') {
            i++;
            for (;;) {
                if (i >= r->len) {
                    /* The quoted field goes on over the line break. */
                    if (!next_line(r)) {
                        if (r->rerr != 0)
                            return -1;
                        *err = "unterminated quoted field";
                        field_end(r);
                        return r->fields.oom ? -1 : 1;
                    }
                    buf_putc(&r->fields, '\n');
                    i = 0;
                    continue;
                }
                const char *q = memchr(r->line + i, '"', r->len - i);
                size_t e = q != NULL ? (size_t)(q - r->line) : r->len;
                buf_put(&r->fields, r->line + i, e - i);
                i = e;
                if (q == NULL)
                    continue;
                if (i + 1 < r->len && r->line[i + 1] == '"') {
                    buf_putc(&r->fields, '"');
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            if (i < r->len && r->line[i] != ',') {
                *err = "a closing quote not followed by a comma";
                field_end(r);
                return r->fields.oom ? -1 : 1;
            }
        } else {
            const char *comma = memchr(r->line + i, ',', r->len - i);
            size_t e = comma != NULL ? (size_t)(comma - r->line) : r->len;
            buf_put(&r->fields, r->line + i, e - i);
            i = e;
        }
        field_end(r);
        if (i < r->len && r->line[i] == ',') {
            i++;
            continue;
        }
        break;
    }
    return r->fields.oom ? -1 : 1;
}

static const char *
field(const reader_t *r, int i)
{
    return r->fields.p + r->fstart[i];
}

/* Reads the CSV header and maps its columns. Returns 0, or an exit code
 * after saying what is wrong. */
static int
csv_header(reader_t *r)
{
    unsigned long line;
    const char *err;
    int rc = csv_record(r, &line, &err);
    if (rc < 0) {
        fprintf(stderr, "vet batch: %s: %s\n", r->path,
                r->fields.oom ? "out of memory" : strerror(r->rerr));
        return r->fields.oom || r->rerr == ENOMEM ? EXIT_SOFTWARE : EXIT_IOERR;
    }
    for (int k = 0; k < COL_COUNT; k++)
        r->col_of[k] = -1;
    if (rc == 0)
        return 0;       /* an empty file: no records */
    if (err != NULL) {
        fprintf(stderr, "vet batch: %s:%lu: header: %s\n", r->path, line, err);
        return EXIT_USAGE;
    }
    r->ncols = r->nf;
    r->cols = calloc((size_t)r->ncols, sizeof *r->cols);
    if (r->cols == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        return EXIT_SOFTWARE;
    }
    int status = 0;
    for (int i = 0; i < r->ncols; i++) {
        char *name = r->fields.p + r->fstart[i];
        size_t n = r->flen[i];
        while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
            name[--n] = '\0';
        while (*name == ' ' || *name == '\t')
            name++;
        r->fstart[i] = (size_t)(name - r->fields.p);
        r->flen[i] = strlen(name);
        if (strncasecmp(name, "context.", 8) == 0 && name[8] != '\0') {
            r->cols[i] = COL_CONTEXT;
            continue;
        }
        size_t k;
        for (k = 0; k < sizeof csv_columns / sizeof csv_columns[0]; k++)
            if (strcasecmp(name, csv_columns[k].name) == 0)
                break;
        if (k == sizeof csv_columns / sizeof csv_columns[0]) {
            fprintf(stderr,
                    "vet batch: %s:%lu: unknown column \"%s\" (columns: id, name, country, "
                    "type, aliases, ids, tech, activity, current, text, context.KEY)\n",
                    r->path, line, name);
            status = EXIT_USAGE;
            continue;
        }
        col_t col = csv_columns[k].col;
        if (r->col_of[col] >= 0) {
            fprintf(stderr, "vet batch: %s:%lu: column \"%s\" given twice\n", r->path, line,
                    name);
            status = EXIT_USAGE;
            continue;
        }
        r->cols[i] = col;
        r->col_of[col] = i;
    }
    /* Context keys are needed for every record: keep them as JSON. */
    for (int i = 0; status == 0 && i < r->ncols; i++)
        for (int k = i + 1; k < r->ncols; k++)
            if (r->cols[i] == COL_CONTEXT && r->cols[k] == COL_CONTEXT &&
                strcmp(field(r, i), field(r, k)) == 0) {
                fprintf(stderr, "vet batch: %s:%lu: column \"%s\" given twice\n", r->path,
                        line, field(r, i));
                status = EXIT_USAGE;
            }
    if (status == 0 && r->col_of[COL_NAME] < 0) {
        fprintf(stderr, "vet batch: %s:%lu: no \"name\" column\n", r->path, line);
        status = EXIT_USAGE;
    }
    if (status != 0)
        return status;
    /* Each record overwrites the fields: keep the context keys, as JSON. */
    r->keys = calloc((size_t)r->ncols, sizeof *r->keys);
    r->cells = calloc((size_t)r->ncols, sizeof *r->cells);
    if (r->keys == NULL || r->cells == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        return EXIT_SOFTWARE;
    }
    for (int i = 0; i < r->ncols; i++) {
        if (r->cols[i] != COL_CONTEXT)
            continue;
        buf_t k = { 0 };
        buf_json(&k, field(r, i) + 8, r->flen[i] - 8);
        r->keys[i] = k.p;
        if (k.oom) {
            fputs("vet batch: out of memory\n", stderr);
            return EXIT_SOFTWARE;
        }
    }
    return 0;
}

/* Splits s at ';' and calls put(b, item, len) for each non-blank item,
 * trimmed; returns the items. */
static int
each_item(const char *s, void (*put)(buf_t *, const char *, size_t, void *), buf_t *b,
          void *arg)
{
    int count = 0;
    while (*s != '\0') {
        const char *e = strchr(s, ';');
        size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
        const char *a = s;
        size_t m = n;
        while (m > 0 && (*a == ' ' || *a == '\t')) {
            a++;
            m--;
        }
        while (m > 0 && (a[m - 1] == ' ' || a[m - 1] == '\t'))
            m--;
        if (m > 0) {
            put(b, a, m, arg);
            count++;
        }
        s += n;
        if (*s == ';')
            s++;
    }
    return count;
}

static void
put_list_item(buf_t *b, const char *s, size_t n, void *arg)
{
    int *count = arg;
    if ((*count)++ > 0)
        buf_putc(b, ',');
    buf_json(b, s, n);
}

/* An ids item "SCHEME:VALUE"; a bad one leaves its text in *arg. */
static void
put_id_item(buf_t *b, const char *s, size_t n, void *arg)
{
    const char **bad = arg;
    const char *colon = memchr(s, ':', n);
    if (colon == NULL || colon == s || colon == s + n - 1) {
        if (*bad == NULL)
            *bad = s;
        return;
    }
    if (b->len > 0 && b->p[b->len - 1] != '{')
        buf_putc(b, ',');
    buf_json(b, s, (size_t)(colon - s));
    buf_putc(b, ':');
    buf_json(b, colon + 1, n - (size_t)(colon - s) - 1);
}

/* The cell of column kind col, or NULL when absent or empty. */
static const char *
cell(const reader_t *r, const char *const *cells, col_t col)
{
    int i = r->col_of[col];
    return i >= 0 && cells[i][0] != '\0' ? cells[i] : NULL;
}

/* Builds the body of a request (the members after our id) from a CSV
 * record into r->scratch. Returns NULL, or what is wrong with the record
 * (in errbuf). */
static const char *
csv_body(reader_t *r, const char *const *cells, char *errbuf, size_t errlen)
{
    buf_t *b = &r->scratch;
    b->len = 0;
    const char *v;
    buf_puts(b, "\"partner\":{");
    const char *comma = "";
    if ((v = cell(r, cells, COL_NAME)) != NULL) {
        buf_puts(b, "\"name\":");
        buf_json(b, v, strlen(v));
        comma = ",";
    }
    if ((v = cell(r, cells, COL_ALIASES)) != NULL) {
        buf_puts(b, comma);
        buf_puts(b, "\"aliases\":[");
        int count = 0;
        each_item(v, put_list_item, b, &count);
        buf_putc(b, ']');
        comma = ",";
    }
    static const struct {
        col_t col;
        const char *member;
    } partner_strings[] = { { COL_COUNTRY, "\"country\":" }, { COL_TYPE, "\"type\":" } };
    for (size_t k = 0; k < 2; k++) {
        if ((v = cell(r, cells, partner_strings[k].col)) != NULL) {
            buf_puts(b, comma);
            buf_puts(b, partner_strings[k].member);
            buf_json(b, v, strlen(v));
            comma = ",";
        }
    }
    if ((v = cell(r, cells, COL_IDS)) != NULL) {
        buf_puts(b, comma);
        buf_puts(b, "\"ids\":{");
        const char *bad = NULL;
        each_item(v, put_id_item, b, (void *)&bad);
        if (bad != NULL) {
            size_t n = strcspn(bad, ";");
            snprintf(errbuf, errlen, "ids: expected SCHEME:VALUE, not \"%.*s\"",
                     (int)(n > 100 ? 100 : n), bad);
            return errbuf;
        }
        buf_putc(b, '}');
    }
    buf_putc(b, '}');
    if ((v = cell(r, cells, COL_TECH)) != NULL) {
        buf_puts(b, ",\"technologies\":[");
        int count = 0;
        each_item(v, put_list_item, b, &count);
        buf_putc(b, ']');
    }
    if ((v = cell(r, cells, COL_ACTIVITY)) != NULL) {
        buf_puts(b, ",\"activity\":");
        buf_json(b, v, strlen(v));
    }
    if ((v = cell(r, cells, COL_CURRENT)) != NULL) {
        static const char *const yes[] = { "true", "yes", "y", "1" };
        static const char *const no[] = { "false", "no", "n", "0" };
        const char *val = NULL;
        for (size_t k = 0; k < 4 && val == NULL; k++) {
            if (strcasecmp(v, yes[k]) == 0)
                val = "true";
            else if (strcasecmp(v, no[k]) == 0)
                val = "false";
        }
        if (val == NULL) {
            snprintf(errbuf, errlen, "current: expected true or false, not \"%.100s\"", v);
            return errbuf;
        }
        buf_puts(b, ",\"current\":");
        buf_puts(b, val);
    }
    if ((v = cell(r, cells, COL_TEXT)) != NULL) {
        buf_puts(b, ",\"text\":");
        buf_json(b, v, strlen(v));
    }
    comma = ",\"context\":{";
    for (int i = 0; i < r->ncols; i++) {
        if (r->cols[i] != COL_CONTEXT || cells[i][0] == '\0')
            continue;
        buf_puts(b, comma);
        buf_puts(b, r->keys[i]);
        buf_putc(b, ':');
        buf_json(b, cells[i], strlen(cells[i]));
        comma = ",";
    }
    if (comma[0] == ',' && comma[1] == '\0')
        buf_putc(b, '}');
    return NULL;
}

/* Opens the input and finds its format; reads a CSV header. Returns 0, or
 * an exit code after saying why. */
static int
reader_open(reader_t *r, const char *path, fmt_t fmt)
{
    memset(r, 0, sizeof *r);
    r->size = -1;
    r->fmt = fmt;
    r->fd = -1;
    if (strcmp(path, "-") == 0) {
        r->fd = 0;
        r->path = "stdin";
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        r->path = path;
        if (r->fd < 0) {
            fprintf(stderr, "vet batch: %s: %s\n", path, strerror(errno));
            return EXIT_NOINPUT;
        }
        size_t n = strlen(path);
        if (r->fmt == FMT_AUTO && n > 4 && strcasecmp(path + n - 4, ".csv") == 0)
            r->fmt = FMT_CSV;
        if (r->fmt == FMT_AUTO && ((n > 6 && strcasecmp(path + n - 6, ".jsonl") == 0) ||
                                   (n > 7 && strcasecmp(path + n - 7, ".ndjson") == 0)))
            r->fmt = FMT_JSONL;
    }
    struct stat st;
    if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode))
        r->size = st.st_size;
    if (r->fmt == FMT_AUTO) {
        /* The first non-blank line tells: '{' opens a JSON object. */
        r->fmt = FMT_CSV;
        while (next_line(r)) {
            size_t i = 0;
            while (i < r->len && (r->line[i] == ' ' || r->line[i] == '\t'))
                i++;
            if (i == r->len)
                continue;
            if (r->line[i] == '{')
                r->fmt = FMT_JSONL;
            unread_line(r);
            break;
        }
        if (r->rerr != 0) {
            fprintf(stderr, "vet batch: %s: %s\n", r->path, strerror(r->rerr));
            return EXIT_IOERR;
        }
    }
    return r->fmt == FMT_CSV ? csv_header(r) : 0;
}

static void
reader_close(reader_t *r)
{
    if (r->fd > 0)
        close(r->fd);
    free(r->rbuf);
    for (int i = 0; r->keys != NULL && i < r->ncols; i++)
        free(r->keys[i]);
    free(r->keys);
    free(r->cells);
    free(r->cols);
    free(r->fstart);
    free(r->flen);
    buf_free(&r->fields);
    buf_free(&r->scratch);
    memset(r, 0, sizeof *r);
}

/* ---- results ---- */

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
    int code;
    if (error) {
        code = EXIT_SOFTWARE;
        for (size_t k = 0; k < sizeof error_exits / sizeof error_exits[0]; k++)
            if (strlen(error_exits[k].code) == n && memcmp(error_exits[k].code, name, n) == 0)
                code = error_exits[k].exit;
    } else {
        /* Unknown verdict names count as review, as in `vet screen`. */
        code = n == 5 && memcmp(name, "clear", 5) == 0 ? 0
               : n == 10 && memcmp(name, "prohibited", 10) == 0 ? 20
                                                                 : 10;
    }
    if (code > b->status)
        b->status = code;
    if (n >= sizeof t[0].name)
        n = sizeof t[0].name - 1;
    int k;
    for (k = 0; k < MAX_TALLY && t[k].name[0] != '\0'; k++)
        if (strlen(t[k].name) == n && memcmp(t[k].name, name, n) == 0)
            break;
    if (k == MAX_TALLY) {
        k = MAX_TALLY - 1;      /* the last one becomes "other" */
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
    cJSON *v = cJSON_ParseWithLength(s->uid.p, s->uid.len);
    char *t = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
    cJSON_Delete(v);
    return t;
}

/* The start of a CSV row: line,id,name, */
static void
csv_row_start(const slot_t *s, buf_t *o)
{
    char num[32];
    snprintf(num, sizeof num, "%lu,", s->line);
    buf_puts(o, num);
    char *id = uid_text(s);
    buf_csv(o, id != NULL ? id : "");
    free(id);
    buf_putc(o, ',');
    buf_csv(o, s->name.len > 0 ? s->name.p : "");
    buf_putc(o, ',');
}

/* Ends s with an error of our own (code, message). */
static void
finish_error(batch_t *b, slot_t *s, const char *code, const char *msg)
{
    buf_t *o = &s->out;
    o->len = 0;
    if (b->out_fmt == FMT_CSV) {
        csv_row_start(s, o);
        buf_puts(o, ",,,,");
        buf_t e = { 0 };
        buf_puts(&e, code);
        buf_puts(&e, ": ");
        buf_puts(&e, msg);
        buf_csv(o, e.p);
        if (e.oom)
            o->oom = true;
        buf_free(&e);
    } else {
        char num[48];
        snprintf(num, sizeof num, "{\"line\":%lu", s->line);
        buf_puts(o, num);
        if (s->uid.len > 0) {
            buf_puts(o, ",\"id\":");
            buf_put(o, s->uid.p, s->uid.len);
        }
        buf_puts(o, ",\"error\":{\"code\":");
        buf_json(o, code, strlen(code));
        buf_puts(o, ",\"message\":");
        buf_json(o, msg, strlen(msg));
        buf_puts(o, "}}");
    }
    if (o->oom)
        b->fatal = EXIT_SOFTWARE;
    tally(b, true, code, strlen(code));
    finish(b, s);
}

static void
join_strings(buf_t *o, const cJSON *arr, const char *key)
{
    buf_t t = { 0 };
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, key));
        if (v == NULL)
            continue;
        if (t.len > 0)
            buf_putc(&t, ';');
        buf_puts(&t, v);
    }
    buf_csv(o, t.len > 0 ? t.p : "");
    if (t.oom)
        o->oom = true;
    buf_free(&t);
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
    buf_t *o = &s->out;
    o->len = 0;
    if (b->out_fmt == FMT_CSV) {
        csv_row_start(s, o);
        if (err == NULL) {
            const cJSON *score = cJSON_GetObjectItemCaseSensitive(r, "score");
            char num[32] = "";
            if (cJSON_IsNumber(score))
                snprintf(num, sizeof num, "%g", score->valuedouble);
            buf_csv(o, verdict != NULL ? verdict : "");
            buf_putc(o, ',');
            buf_puts(o, num);
            buf_putc(o, ',');
            join_strings(o, cJSON_GetObjectItemCaseSensitive(r, "rules"), "id");
            buf_putc(o, ',');
            const cJSON *partner = cJSON_GetObjectItemCaseSensitive(r, "partner");
            join_strings(o, cJSON_GetObjectItemCaseSensitive(partner, "matches"), "name");
            buf_putc(o, ',');
        } else {
            buf_puts(o, ",,,,");
            buf_t e = { 0 };
            buf_puts(&e, code);
            buf_puts(&e, ": ");
            buf_puts(&e, msg != NULL ? msg : "(no message)");
            buf_csv(o, e.p);
            if (e.oom)
                o->oom = true;
            buf_free(&e);
        }
    } else {
        cJSON *line = cJSON_CreateNumber((double)s->line);
        cJSON *out = cJSON_CreateObject();
        cJSON *id = s->uid.len > 0 ? cJSON_ParseWithLength(s->uid.p, s->uid.len) : NULL;
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
            buf_puts(o, text);
        else
            o->oom = true;
        free(text);
    }
    if (o->oom)
        b->fatal = EXIT_SOFTWARE;
    if (err != NULL)
        tally(b, true, code, strlen(code));
    else if (verdict != NULL)
        tally(b, false, verdict, strlen(verdict));
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
                b->stray++;     /* a late duplicate, or a stranger's */
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
            if (b->out_fmt == FMT_JSONL && nend != NULL && memchr(name, '\\', (size_t)(nend - name)) == NULL) {
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
    if (b->obuf.len > 0 && fwrite(b->obuf.p, 1, b->obuf.len, stdout) != b->obuf.len &&
        b->fatal == 0) {
        fprintf(stderr, "vet batch: writing the output: %s\n", strerror(errno));
        b->fatal = EXIT_IOERR;
    }
    b->obuf.len = 0;
}

/* Writes the finished records at the head of the window, in order, into
 * the output buffer; hands it to stdout in large pieces. */
static void
flush(batch_t *b)
{
    buf_t *o = &b->obuf;
    while (b->head < b->next) {
        slot_t *s = slot_of(b, b->head);
        if (s->state != SLOT_DONE)
            break;
        if (s->reply != NULL) {
            char num[48];
            buf_put(o, num, (size_t)snprintf(num, sizeof num, "{\"line\":%lu", s->line));
            if (s->uid.len > 0) {
                buf_puts(o, ",\"id\":");
                buf_put(o, s->uid.p, s->uid.len);
            }
            buf_put(o, s->reply + s->rest, s->reply_len - s->rest);
            free(s->reply);
            s->reply = NULL;
        } else {
            buf_put(o, s->out.p, s->out.len);
        }
        buf_putc(o, '\n');
        s->state = SLOT_FREE;
        b->head++;
        if (o->len >= OUT_CHUNK)
            write_out(b);
    }
    if (o->oom && b->fatal == 0) {
        fputs("vet batch: out of memory\n", stderr);
        b->fatal = EXIT_SOFTWARE;
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
    int rc = vet_submit(b->c, s->req.p, s->req.len, wait);
    if (rc == VET_ETIMEOUT) {
        s->deadline_ms = now + CHECK_MS;
        return;
    }
    if (rc != VET_OK) {
        fprintf(stderr, "vet batch: %s\n", vet_client_error(b->c));
        b->fatal = rc == VET_EINVAL || rc == VET_ENOMEM ? EXIT_SOFTWARE : EXIT_UNAVAILABLE;
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
            snprintf(msg, sizeof msg,
                     "vetd not answering at %s: no reply to %d attempts of %d ms",
                     b->endpoint, s->attempts, b->timeout_ms);
        else
            snprintf(msg, sizeof msg, "vetd not reachable at %s for %lld ms", b->endpoint,
                     (long long)(now - s->first_ms));
        finish_error(b, s, "timeout", msg);
        if (b->last_reply_ms < s->first_ms) {
            b->dead = true;
            snprintf(msg, sizeof msg, "vetd not answering at %s: no reply in %lld ms",
                     b->endpoint, (long long)(now - s->first_ms));
            fail_pending(b, msg);
        }
    }
}

/* Reads the next record into slot s and builds its request. Returns 1
 * sent-ready, 2 finished already (a bad record), 0 at the end, -1 on a
 * read error (b->fatal set). */
static int
read_record(batch_t *b, slot_t *s, uint64_t k)
{
    reader_t *r = &b->rd;
    char errbuf[256];
    const char *err = NULL;
    const char *body = NULL;
    size_t blen = 0, cut_from = 0, cut_to = 0;
    bool cut = false;
    s->k = k;
    s->attempts = 0;
    s->deadline_ms = 0;
    s->uid.len = 0;
    s->name.len = 0;
    s->state = SLOT_FREE;
    if (r->fmt == FMT_JSONL) {
        do {
            if (!next_line(r)) {
                if (r->rerr != 0)
                    goto read_error;
                return 0;
            }
        } while (blank(r->line, r->len));
        s->line = r->lineno;
        jscan_t j;
        js_scan(&j, r->line, r->len);
        if (j.err != NULL) {
            snprintf(errbuf, sizeof errbuf, "%s at byte %zu", j.err, j.err_at);
            err = errbuf;
        } else if (j.has_id) {
            const char *v = r->line + j.id_val;
            size_t n = j.id_end - j.id_val;
            if (*v == '"') {
                buf_put(&s->uid, v, n);
            } else if (*v == '-' || (*v >= '0' && *v <= '9')) {
                buf_putc(&s->uid, '"');
                buf_put(&s->uid, v, n);
                buf_putc(&s->uid, '"');
            } else if (*v != 'n') {
                err = "id: expected a string or number";
            }
            cut = true;
            cut_from = j.cut_from;
            cut_to = j.cut_to;
        }
        if (err == NULL) {
            body = r->line + j.open + 1;
            blen = j.close - j.open - 1;
            cut_from -= j.open + 1;
            cut_to -= j.open + 1;
            if (b->out_fmt == FMT_CSV) {
                cJSON *req = cJSON_ParseWithLength(r->line, r->len);
                const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(req, "partner"), "name"));
                if (name != NULL)
                    buf_puts(&s->name, name);
                cJSON_Delete(req);
            }
        }
    } else {
        unsigned long line;
        const char *cerr;
        int rc = csv_record(r, &line, &cerr);
        if (rc == 0)
            return 0;
        if (rc < 0)
            goto read_error;
        s->line = line;
        /* The id tells which row it is, even in a malformed one. */
        int idcol = r->col_of[COL_ID];
        if (idcol >= 0 && idcol < r->nf && r->flen[idcol] > 0)
            buf_json(&s->uid, field(r, idcol), r->flen[idcol]);
        if (cerr != NULL) {
            err = cerr;
        } else if (r->nf != r->ncols) {
            snprintf(errbuf, sizeof errbuf, "%d fields, the header has %d", r->nf, r->ncols);
            err = errbuf;
        } else {
            for (int i = 0; i < r->ncols; i++)
                r->cells[i] = field(r, i);
            const char *v;
            if (b->out_fmt == FMT_CSV && (v = cell(r, r->cells, COL_NAME)) != NULL)
                buf_puts(&s->name, v);
            err = csv_body(r, r->cells, errbuf, sizeof errbuf);
            body = r->scratch.p;
            blen = r->scratch.len;
        }
    }
    if (err != NULL) {
        finish_error(b, s, "bad_input", err);
        return 2;
    }
    /* {"id":"b<k>", then the caller's members without its id. */
    buf_t *q = &s->req;
    char idm[40];
    q->len = 0;
    buf_put(q, idm, (size_t)snprintf(idm, sizeof idm, "{\"id\":\"b%" PRIu64 "\"", k));
    size_t at = q->len;
    buf_putc(q, ',');
    if (cut) {
        buf_put(q, body, cut_from);
        buf_put(q, body + cut_to, blen - cut_to);
    } else {
        buf_put(q, body, blen);
    }
    if (blank(q->p + at + 1, q->len - at - 1))
        q->len = at;
    buf_putc(q, '}');
    if (q->oom || s->uid.oom || s->name.oom) {
        fputs("vet batch: out of memory\n", stderr);
        b->fatal = EXIT_SOFTWARE;
        return -1;
    }
    return 1;
read_error:
    fprintf(stderr, "vet batch: %s: %s\n", r->path,
            r->fields.oom ? "out of memory" : strerror(r->rerr));
    b->fatal = r->fields.oom || r->rerr == ENOMEM ? EXIT_SOFTWARE : EXIT_IOERR;
    return -1;
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
    off_t pos = b->rd.size > 0 ? b->rd.consumed : -1;
    if (pos > 0) {
        double frac = (double)pos / (double)b->rd.size;
        if (frac > 1)
            frac = 1;
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
    double secs = (double)(now_ms() - b->start_ms) / 1000.0;
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
            b->stray++;         /* not [empty, json]: nobody's answer */
            continue;
        }
        if (rc != VET_OK) {
            fprintf(stderr, "vet batch: %s\n", vet_client_error(b->c));
            b->fatal = rc == VET_ENOMEM ? EXIT_SOFTWARE : EXIT_UNAVAILABLE;
            return;
        }
        if (n == 0)
            b->last_reply_ms = now_ms();
        on_reply(b, reply, len);
    }
}

static int
run(batch_t *b)
{
    b->start_ms = b->last_reply_ms = now_ms();
    b->next_check_ms = b->start_ms + CHECK_MS;
    while (b->fatal == 0) {
        int64_t now = now_ms();
        while (!b->eof && b->fatal == 0 && b->next - b->head < b->ring_size &&
               (b->dead || b->inflight < b->inflight_max)) {
            /* A slow input (a pipe) must not hold up the replies: read
             * only what is there, unless nothing else is to be done. */
            if (!input_ready(&b->rd)) {
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
                        (b->dead || b->inflight < b->inflight_max) && input_ready(&b->rd);
        receive(b, can_read ? 0 : CHECK_MS);
        now = now_ms();
        if (now >= b->next_check_ms) {
            check_deadlines(b, now);
            b->next_check_ms = now + CHECK_MS;
        }
        progress(b, now, false);
    }
    progress(b, now_ms(), true);
    write_out(b);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "vet batch: writing the output: %s\n", strerror(errno));
        return EXIT_IOERR;
    }
    if (b->summary)
        print_summary(b);
    return b->fatal != 0 ? b->fatal : b->status;
}

/* ---- options ---- */

static int
usage_error(const char *fmt, const char *arg)
{
    fputs("vet batch: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* Matches argv[*i] against option name ("NAME VALUE", or "NAME=VALUE"
 * for a long one). 1 and *val (borrowed) if it matched, 0 if not, -1 if
 * the value is missing. */
static int
opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=' && name[1] == '-') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

static bool
parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

static bool
parse_fmt(const char *s, fmt_t *out)
{
    if (strcmp(s, "csv") == 0)
        *out = FMT_CSV;
    else if (strcmp(s, "jsonl") == 0 || strcmp(s, "json") == 0)
        *out = FMT_JSONL;
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
        } else if ((r = opt_value(argc, argv, &i, "-e", &v)) != 0 ||
                   (r = opt_value(argc, argv, &i, "--endpoint", &v)) != 0) {
            if (r < 0)
                return usage_error("%s needs an endpoint", a);
            b->endpoint = v;
        } else if ((r = opt_value(argc, argv, &i, "-t", &v)) != 0 ||
                   (r = opt_value(argc, argv, &i, "--timeout", &v)) != 0) {
            if (r < 0 || !parse_int(v, 1, 86400000L, &b->timeout_ms))
                return usage_error("bad timeout \"%s\" (milliseconds, 1..86400000)",
                                   r < 0 ? "" : v);
        } else if ((r = opt_value(argc, argv, &i, "--inflight", &v)) != 0) {
            if (r < 0 || !parse_int(v, 1, MAX_INFLIGHT, &b->inflight_max))
                return usage_error("bad --inflight \"%s\" (1..10000)", r < 0 ? "" : v);
        } else if ((r = opt_value(argc, argv, &i, "--retries", &v)) != 0) {
            if (r < 0 || !parse_int(v, 0, MAX_RETRIES, &b->retries))
                return usage_error("bad --retries \"%s\" (0..100)", r < 0 ? "" : v);
        } else if ((r = opt_value(argc, argv, &i, "--format", &v)) != 0) {
            if (r < 0 || !parse_fmt(v, &b->out_fmt))
                return usage_error("bad --format \"%s\" (jsonl or csv)", r < 0 ? "" : v);
        } else if ((r = opt_value(argc, argv, &i, "--input-format", &v)) != 0) {
            if (r < 0 || !parse_fmt(v, &b->in_fmt))
                return usage_error("bad --input-format \"%s\" (csv or jsonl)",
                                   r < 0 ? "" : v);
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
        return EXIT_SOFTWARE;
    }
    b->endpoint = endpoint;
    b->timeout_ms = timeout_ms;
    b->inflight_max = DEFAULT_INFLIGHT;
    b->retries = DEFAULT_RETRIES;
    b->out_fmt = FMT_JSONL;
    b->in_fmt = FMT_AUTO;
    /* The usual verdicts come first in the summary, even at 0. */
    strcpy(b->verdicts[0].name, "clear");
    strcpy(b->verdicts[1].name, "review");
    strcpy(b->verdicts[2].name, "prohibited");
    int status = parse_args(b, argc, argv);
    if (status != 0) {
        free(b);
        return status < 0 ? 0 : status;
    }
    /* The header is read (and a bad one refused) before anything is sent. */
    if ((status = reader_open(&b->rd, b->path, b->in_fmt)) != 0)
        goto done;
    b->ring_size = 1024;
    while (b->ring_size < 4 * (uint64_t)b->inflight_max)
        b->ring_size *= 2;
    b->ring = calloc(b->ring_size, sizeof *b->ring);
    if (b->ring == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        status = EXIT_SOFTWARE;
        goto done;
    }
    b->c = vet_client_new(b->endpoint);
    if (b->c == NULL) {
        fprintf(stderr, "vet batch: bad endpoint \"%s\": %s\n", b->endpoint, strerror(errno));
        status = errno == ENOMEM ? EXIT_SOFTWARE : EXIT_USAGE;
        goto done;
    }
    b->tty = isatty(STDERR_FILENO) == 1;
    if (b->out_fmt == FMT_CSV)
        buf_puts(&b->obuf, "line,id,name,verdict,score,rules,matches,error\n");
    status = run(b);
done:
    for (uint64_t k = 0; b->ring != NULL && k < b->ring_size; k++) {
        buf_free(&b->ring[k].req);
        buf_free(&b->ring[k].uid);
        buf_free(&b->ring[k].name);
        buf_free(&b->ring[k].out);
        free(b->ring[k].reply);
    }
    free(b->ring);
    buf_free(&b->obuf);
    vet_client_destroy(&b->c);
    reader_close(&b->rd);
    free(b);
    return status;
}
