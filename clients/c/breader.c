/* SPDX-License-Identifier: Apache-2.0 */
/* breader.c -- `vet batch`'s input: CSV or JSONL records turned into screening requests. */
#include "breader.h"
#include "bjson.h"
#include "csv.h"
#include "isocode.h"
#include "vec.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* The columns a CSV header may name; "context.KEY" besides. */
typedef enum {
    COL_ID,
    COL_NAME,
    COL_COUNTRY,
    COL_TYPE,
    COL_ALIASES,
    COL_IDS,
    COL_TECH,
    COL_ACTIVITY,
    COL_CURRENT,
    COL_TEXT,
    COL_PROFILE,
    COL_COUNT,
    COL_CONTEXT = COL_COUNT, /* context.KEY */
    COL_KEEP                 /* --keep-columns: carried to the output */
} col_t;

static const struct {
    const char *name;
    col_t col;
} csv_columns[] = {
    {"id", COL_ID},           {"name", COL_NAME},         {"country", COL_COUNTRY},
    {"type", COL_TYPE},       {"aliases", COL_ALIASES},   {"ids", COL_IDS},
    {"tech", COL_TECH},       {"technologies", COL_TECH}, {"activity", COL_ACTIVITY},
    {"current", COL_CURRENT}, {"text", COL_TEXT},         {"profile", COL_PROFILE},
};

/* The input: lines of a file, CSV records or JSONL requests. */
struct breader {
    int fd;                /* owned unless 0 (stdin); -1 when not open */
    const char *path;      /* for messages */
    breader_fmt_t fmt;     /* BREADER_CSV or BREADER_JSONL once opened */
    char *rbuf;            /* owned: bytes read, not all used yet */
    size_t rcap;           /* its allocation */
    size_t rstart, rend;   /* the unused bytes of rbuf */
    bool at_eof;           /* read(2) said end of file */
    int rerr;              /* errno of a failed read (or ENOMEM), else 0 */
    off_t consumed;        /* bytes read so far */
    char *line;            /* the current physical line, in rbuf,
                               NUL-terminated; valid until the next read */
    size_t len;            /* its length, line end stripped */
    bool unread;           /* line was looked at and given back */
    unsigned long lineno;  /* physical lines read */
    off_t size;            /* bytes of a regular file; -1 if unknown */
    int ncols;             /* CSV: columns of the header */
    col_t *cols;           /* owned: the kind of each column */
    char **keys;           /* owned: a context column's key as JSON, else NULL */
    const char **cells;    /* owned array: the current record's fields */
    int col_of[COL_COUNT]; /* column index of each kind, -1 if absent */
    csv_t *csv;            /* owned: CSV, the reader over next_line */
    csv_rec_t rec;         /* CSV: the current record (the reader's) */
    bool oom;              /* CSV: the reader ran out of memory */
    sbuf_t scratch;        /* the request body being built */
    char *profile;         /* owned: the default profile as a JSON
                               string, or NULL for the daemon's */
    char *user;            /* owned: the default context.user as a JSON
                               string, or NULL */
    bool keep;             /* --keep-columns */
    char **kept_names;     /* owned: the kept columns' names */
    int nkept;             /* their number */
    sbuf_t jbuf;           /* JSONL: the record rewritten with the user */
    char errbuf[256];      /* what is wrong with the current record */
    char notebuf[256];     /* what the reader changed in it */
};

/* Reads more input into rbuf (compacting, growing when full); blocks.
 * false at the end of the input or on an error (r->rerr). */
static bool
fill_input(breader_t *r)
{
    if (r->rstart > 0) {
        memmove(r->rbuf, r->rbuf + r->rstart, r->rend - r->rstart);
        r->rend -= r->rstart;
        r->rstart = 0;
    }
    /* At least 4 KiB free for each read. */
    if (vec_grow(&r->rbuf, &r->rcap, r->rend + 4096, 1, 65536) != 0) {
        r->rerr = ENOMEM;
        return false;
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

bool
breader_ready(breader_t *r)
{
    /* rbuf is NULL until the first read: memchr must not see it. */
    if (r->unread || r->at_eof || r->rerr != 0 ||
        (r->rend > r->rstart && memchr(r->rbuf + r->rstart, '\n', r->rend - r->rstart) != NULL))
        return true;
    struct pollfd p = {r->fd, POLLIN, 0};
    return poll(&p, 1, 0) != 0;
}

/* Sets r->line to the next physical line, without its line end. A UTF-8
 * byte order mark opening the input is dropped. false at the end (or on
 * a read error: r->rerr tells). */
static bool
next_line(breader_t *r)
{
    if (r->unread) {
        r->unread = false;
        r->lineno++;
        return true;
    }
    char *nl;
    while ((nl = r->rbuf != NULL ? memchr(r->rbuf + r->rstart, '\n', r->rend - r->rstart) : NULL) ==
           NULL) {
        if (r->at_eof || r->rerr != 0 || !fill_input(r)) {
            if (r->rerr != 0 || r->rstart == r->rend)
                return false;
            nl = r->rbuf + r->rend; /* the last line has no newline */
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
unread_line(breader_t *r)
{
    r->unread = true;
    r->lineno--;
}

/* The CSV reader's line source: the input's lines, as next_line gives
 * them (byte order mark and carriage returns dropped). */
static int
line_source(void *ctx, csv_line_t *l)
{
    breader_t *r = ctx;
    if (!next_line(r))
        return r->rerr != 0 ? -1 : 0;
    l->text = r->line;
    l->len = r->len;
    l->eol = "\n";
    l->no = r->lineno;
    return 1;
}

/* Reads one CSV record (RFC 4180: quoted fields may hold commas, doubled
 * quotes and line breaks), skipping blank lines, into r->rec. Returns 1
 * with the record (*err set if it is malformed), 0 at the end, -1 on a
 * read error or out of memory (r->oom). */
static int
csv_record(breader_t *r, unsigned long *line, const char **err)
{
    int rc = csv_next(r->csv, &r->rec);
    if (rc < 0 && r->rerr == 0)
        r->oom = true;
    if (rc <= 0)
        return rc;
    *line = r->rec.line;
    *err = r->rec.bad;
    return 1;
}

/* Reads the CSV header and maps its columns. Returns BREADER_OK, or what
 * failed after saying what is wrong (every bad column). */
static breader_err_t
csv_header(breader_t *r)
{
    unsigned long line;
    const char *err;
    int rc = csv_record(r, &line, &err);
    if (rc < 0) {
        fprintf(stderr, "vet batch: %s: %s\n", r->path,
                r->oom ? "out of memory" : strerror(r->rerr));
        return r->oom || r->rerr == ENOMEM ? BREADER_ENOMEM : BREADER_EIO;
    }
    for (int k = 0; k < COL_COUNT; k++)
        r->col_of[k] = -1;
    if (rc == 0)
        return BREADER_OK; /* an empty file: no records */
    if (err != NULL) {
        fprintf(stderr, "vet batch: %s:%lu: header: %s\n", r->path, line, err);
        return BREADER_EHEADER;
    }
    r->ncols = (int)r->rec.n_fields;
    r->cols = calloc((size_t)r->ncols, sizeof *r->cols);
    if (r->cols == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        return BREADER_ENOMEM;
    }
    /* The names, trimmed in place; the record's field pointers are ours
     * until the next record, so they are moved to the trimmed names. */
    char **field = r->rec.fields;
    breader_err_t status = BREADER_OK;
    for (int i = 0; i < r->ncols; i++) {
        char *name = field[i];
        size_t n = r->rec.lens[i];
        while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
            name[--n] = '\0';
        while (*name == ' ' || *name == '\t')
            name++;
        field[i] = name;
        if (strncasecmp(name, "context.", 8) == 0 && name[8] != '\0') {
            r->cols[i] = COL_CONTEXT;
            continue;
        }
        size_t k;
        for (k = 0; k < sizeof csv_columns / sizeof csv_columns[0]; k++)
            if (strcasecmp(name, csv_columns[k].name) == 0)
                break;
        if (k == sizeof csv_columns / sizeof csv_columns[0] && r->keep) {
            char **names = realloc(r->kept_names, (size_t)(r->nkept + 1) * sizeof *names);
            char *copy = strdup(name);
            if (names == NULL || copy == NULL) {
                free(copy);
                if (names != NULL)
                    r->kept_names = names;
                fputs("vet batch: out of memory\n", stderr);
                return BREADER_ENOMEM;
            }
            r->kept_names = names;
            r->kept_names[r->nkept++] = copy;
            r->cols[i] = COL_KEEP;
            continue;
        }
        if (k == sizeof csv_columns / sizeof csv_columns[0]) {
            fprintf(stderr,
                    "vet batch: %s:%lu: unknown column \"%s\" (columns: id, name, country, "
                    "type, aliases, ids, tech, activity, current, text, profile, context.KEY; "
                    "--keep-columns carries other columns to the output)\n",
                    r->path, line, name);
            status = BREADER_EHEADER;
            continue;
        }
        col_t col = csv_columns[k].col;
        if (r->col_of[col] >= 0) {
            fprintf(stderr, "vet batch: %s:%lu: column \"%s\" given twice\n", r->path, line, name);
            status = BREADER_EHEADER;
            continue;
        }
        r->cols[i] = col;
        r->col_of[col] = i;
    }
    /* Context keys are needed for every record: keep them as JSON. */
    for (int i = 0; status == BREADER_OK && i < r->ncols; i++)
        for (int k = i + 1; k < r->ncols; k++)
            if (r->cols[i] == COL_CONTEXT && r->cols[k] == COL_CONTEXT &&
                strcmp(field[i], field[k]) == 0) {
                fprintf(stderr, "vet batch: %s:%lu: column \"%s\" given twice\n", r->path, line,
                        field[i]);
                status = BREADER_EHEADER;
            }
    if (status == BREADER_OK && r->col_of[COL_NAME] < 0) {
        fprintf(stderr, "vet batch: %s:%lu: no \"name\" column\n", r->path, line);
        status = BREADER_EHEADER;
    }
    if (status != BREADER_OK)
        return status;
    /* Each record overwrites the fields: keep the context keys, as JSON. */
    r->keys = calloc((size_t)r->ncols, sizeof *r->keys);
    r->cells = calloc((size_t)r->ncols, sizeof *r->cells);
    if (r->keys == NULL || r->cells == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        return BREADER_ENOMEM;
    }
    for (int i = 0; i < r->ncols; i++) {
        if (r->cols[i] != COL_CONTEXT)
            continue;
        sbuf_t k = SBUF_INIT;
        sbuf_json_str(&k, field[i] + 8, strlen(field[i]) - 8);
        bool oom = k.oom;
        r->keys[i] = sbuf_take(&k);
        if (oom || r->keys[i] == NULL) {
            fputs("vet batch: out of memory\n", stderr);
            return BREADER_ENOMEM;
        }
    }
    return BREADER_OK;
}

/* Splits s at ';' and calls put(b, item, len) for each non-blank item,
 * trimmed; returns the items. */
static int
each_item(const char *s, void (*put)(sbuf_t *, const char *, size_t, void *), sbuf_t *b, void *arg)
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
put_list_item(sbuf_t *b, const char *s, size_t n, void *arg)
{
    int *count = arg;
    if ((*count)++ > 0)
        sbuf_putc(b, ',');
    sbuf_json_str(b, s, n);
}

/* An ids item "SCHEME:VALUE"; a bad one leaves its text in *arg. */
static void
put_id_item(sbuf_t *b, const char *s, size_t n, void *arg)
{
    const char **bad = arg;
    const char *colon = memchr(s, ':', n);
    if (colon == NULL || colon == s || colon == s + n - 1) {
        if (*bad == NULL)
            *bad = s;
        return;
    }
    if (b->len > 0 && b->data[b->len - 1] != '{')
        sbuf_putc(b, ',');
    sbuf_json_str(b, s, (size_t)(colon - s));
    sbuf_putc(b, ':');
    sbuf_json_str(b, colon + 1, n - (size_t)(colon - s) - 1);
}

/* The cell of column kind col, or NULL when absent or empty. */
static const char *
cell(const breader_t *r, col_t col)
{
    int i = r->col_of[col];
    return i >= 0 && r->cells[i][0] != '\0' ? r->cells[i] : NULL;
}

/* Builds the body of a request (the members after our id) from the CSV
 * record in r->cells into r->scratch. Returns NULL, or what is wrong with
 * the record (in errbuf). */
static const char *
csv_body(breader_t *r, char *errbuf, size_t errlen)
{
    sbuf_t *b = &r->scratch;
    sbuf_clear(b);
    const char *v;
    sbuf_puts(b, "\"partner\":{");
    const char *comma = "";
    if ((v = cell(r, COL_NAME)) != NULL) {
        sbuf_puts(b, "\"name\":");
        sbuf_json_str(b, v, strlen(v));
        comma = ",";
    }
    if ((v = cell(r, COL_ALIASES)) != NULL) {
        sbuf_puts(b, comma);
        sbuf_puts(b, "\"aliases\":[");
        int count = 0;
        each_item(v, put_list_item, b, &count);
        sbuf_putc(b, ']');
        comma = ",";
    }
    static const struct {
        col_t col;
        const char *member;
    } partner_strings[] = {{COL_COUNTRY, "\"country\":"}, {COL_TYPE, "\"type\":"}};
    for (size_t k = 0; k < 2; k++) {
        if ((v = cell(r, partner_strings[k].col)) != NULL) {
            sbuf_puts(b, comma);
            sbuf_puts(b, partner_strings[k].member);
            /* A country's name ("China") is sent as its code, and the
             * output says so; anything else goes as written, for vetd to
             * accept or refuse. */
            const char *code = NULL;
            if (partner_strings[k].col == COL_COUNTRY && strlen(v) != 2 &&
                (code = iso_country_find(v)) != NULL) {
                snprintf(r->notebuf, sizeof r->notebuf, "country \"%.100s\" read as %s", v, code);
                v = code;
            }
            sbuf_json_str(b, v, strlen(v));
            comma = ",";
        }
    }
    if ((v = cell(r, COL_IDS)) != NULL) {
        sbuf_puts(b, comma);
        sbuf_puts(b, "\"ids\":{");
        const char *bad = NULL;
        each_item(v, put_id_item, b, (void *)&bad);
        if (bad != NULL) {
            size_t n = strcspn(bad, ";");
            snprintf(errbuf, errlen, "ids: expected SCHEME:VALUE, not \"%.*s\"",
                     (int)(n > 100 ? 100 : n), bad);
            return errbuf;
        }
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, '}');
    if ((v = cell(r, COL_TECH)) != NULL) {
        sbuf_puts(b, ",\"technologies\":[");
        int count = 0;
        each_item(v, put_list_item, b, &count);
        sbuf_putc(b, ']');
    }
    if ((v = cell(r, COL_ACTIVITY)) != NULL) {
        sbuf_puts(b, ",\"activity\":");
        sbuf_json_str(b, v, strlen(v));
    }
    if ((v = cell(r, COL_CURRENT)) != NULL) {
        static const char *const yes[] = {"true", "yes", "y", "1"};
        static const char *const no[] = {"false", "no", "n", "0"};
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
        sbuf_puts(b, ",\"current\":");
        sbuf_puts(b, val);
    }
    if ((v = cell(r, COL_TEXT)) != NULL) {
        sbuf_puts(b, ",\"text\":");
        sbuf_json_str(b, v, strlen(v));
    }
    comma = ",\"context\":{";
    bool has_user = false; /* the row's own context.user wins over --user */
    for (int i = 0; i < r->ncols; i++) {
        if (r->cols[i] != COL_CONTEXT || r->cells[i][0] == '\0')
            continue;
        sbuf_puts(b, comma);
        sbuf_puts(b, r->keys[i]);
        sbuf_putc(b, ':');
        sbuf_json_str(b, r->cells[i], strlen(r->cells[i]));
        comma = ",";
        has_user = has_user || strcmp(r->keys[i], "\"user\"") == 0;
    }
    if (r->user != NULL && !has_user) {
        sbuf_puts(b, comma);
        sbuf_puts(b, "\"user\":");
        sbuf_puts(b, r->user);
        comma = ",";
    }
    if (comma[0] == ',' && comma[1] == '\0')
        sbuf_putc(b, '}');
    /* The row's own profile, else the batch's (--profile), else none:
     * the daemon's default. */
    if ((v = cell(r, COL_PROFILE)) != NULL) {
        sbuf_puts(b, ",\"profile\":");
        sbuf_json_str(b, v, strlen(v));
    } else if (r->profile != NULL) {
        sbuf_puts(b, ",\"profile\":");
        sbuf_puts(b, r->profile);
    }
    return NULL;
}

/* s as a JSON string; caller frees. NULL on out of memory. */
static char *
json_string(const char *s)
{
    sbuf_t p = SBUF_INIT;
    sbuf_json_cstr(&p, s);
    bool oom = p.oom;
    char *j = sbuf_take(&p);
    if (oom) {
        free(j);
        return NULL;
    }
    return j;
}

breader_t *
breader_new(const char *path, breader_fmt_t fmt, const breader_opts_t *opts, breader_err_t *why)
{
    breader_t *r = calloc(1, sizeof *r);
    if (r == NULL) {
        fputs("vet batch: out of memory\n", stderr);
        *why = BREADER_ENOMEM;
        return NULL;
    }
    r->size = -1;
    r->fmt = fmt;
    r->fd = -1;
    *why = BREADER_OK;
    r->keep = opts->keep;
    if ((opts->profile != NULL && (r->profile = json_string(opts->profile)) == NULL) ||
        (opts->user != NULL && (r->user = json_string(opts->user)) == NULL)) {
        fputs("vet batch: out of memory\n", stderr);
        *why = BREADER_ENOMEM;
        goto fail;
    }
    if (strcmp(path, "-") == 0) {
        r->fd = 0;
        r->path = "stdin";
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        r->path = path;
        if (r->fd < 0) {
            fprintf(stderr, "vet batch: %s: %s\n", path, strerror(errno));
            *why = BREADER_ENOINPUT;
            goto fail;
        }
        size_t n = strlen(path);
        if (r->fmt == BREADER_AUTO && n > 4 && strcasecmp(path + n - 4, ".csv") == 0)
            r->fmt = BREADER_CSV;
        if (r->fmt == BREADER_AUTO && ((n > 6 && strcasecmp(path + n - 6, ".jsonl") == 0) ||
                                       (n > 7 && strcasecmp(path + n - 7, ".ndjson") == 0)))
            r->fmt = BREADER_JSONL;
    }
    struct stat st;
    if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode))
        r->size = st.st_size;
    if (r->fmt == BREADER_AUTO) {
        /* The first non-blank line tells: '{' opens a JSON object. */
        r->fmt = BREADER_CSV;
        while (next_line(r)) {
            size_t i = 0;
            while (i < r->len && (r->line[i] == ' ' || r->line[i] == '\t'))
                i++;
            if (i == r->len)
                continue;
            if (r->line[i] == '{')
                r->fmt = BREADER_JSONL;
            unread_line(r);
            break;
        }
        if (r->rerr != 0) {
            fprintf(stderr, "vet batch: %s: %s\n", r->path, strerror(r->rerr));
            *why = BREADER_EIO;
            goto fail;
        }
    }
    if (r->fmt == BREADER_CSV) {
        r->csv = csv_new_lines(line_source, r, ',', '"', CSV_SKIP_BLANK | CSV_LAX_QUOTES, r->path);
        if (r->csv == NULL) {
            fputs("vet batch: out of memory\n", stderr);
            *why = BREADER_ENOMEM;
            goto fail;
        }
        if ((*why = csv_header(r)) != BREADER_OK)
            goto fail;
    }
    return r;
fail:
    breader_destroy(&r);
    return NULL;
}

void
breader_destroy(breader_t **p)
{
    breader_t *r = *p;
    if (r == NULL)
        return;
    if (r->fd > 0)
        close(r->fd);
    free(r->rbuf);
    for (int i = 0; r->keys != NULL && i < r->ncols; i++)
        free(r->keys[i]);
    free(r->keys);
    free(r->cells);
    free(r->cols);
    csv_destroy(&r->csv);
    sbuf_free(&r->scratch);
    sbuf_free(&r->jbuf);
    free(r->profile);
    free(r->user);
    for (int i = 0; i < r->nkept; i++)
        free(r->kept_names[i]);
    free(r->kept_names);
    free(r);
    *p = NULL;
}

/* A span [from, to) of a record's body replaced by with ("" drops it). */
typedef struct edit {
    size_t from, to;  /* byte offsets into the body */
    const char *with; /* borrowed */
} edit_t;

/* Says on stderr that memory ran out; -1 for breader_next. */
static int
no_memory(breader_rec_t *rec)
{
    fputs("vet batch: out of memory\n", stderr);
    rec->why = BREADER_ENOMEM;
    return -1;
}

/* Says on stderr that reading failed; -1 for breader_next. */
static int
read_failed(const breader_t *r, breader_rec_t *rec)
{
    fprintf(stderr, "vet batch: %s: %s\n", r->path, r->oom ? "out of memory" : strerror(r->rerr));
    rec->why = r->oom || r->rerr == ENOMEM ? BREADER_ENOMEM : BREADER_EIO;
    return -1;
}

/* Takes the caller's id, key (n bytes, decoded), into out; an empty one
 * is none. Returns NULL, or what makes it unusable as a wire id. */
static const char *
take_id(const char *key, size_t n, const breader_out_t *out)
{
    if (n == 0)
        return NULL;
    if (n > 1024)
        return "id: longer than 1024 bytes";
    if (!sbuf_utf8_valid(key, n) || memchr(key, '\0', n) != NULL)
        return "id: not UTF-8 text";
    if (n >= sizeof BREADER_ID_PREFIX - 1 &&
        memcmp(key, BREADER_ID_PREFIX, sizeof BREADER_ID_PREFIX - 1) == 0)
        return "id: ids beginning \"" BREADER_ID_PREFIX "\" are those vet batch gives records "
               "without one";
    sbuf_append(out->key, key, n);
    sbuf_json_str(out->uid, key, n);
    return NULL;
}

/* The JSONL record text (n bytes) with context.user set to the default
 * user unless it has one, in r->jbuf. Returns 0, or -1 when the record
 * is not what bjson_scan accepted as valid (then left as it is) or
 * memory ran out (r->jbuf.oom). */
static int
with_user(breader_t *r, const char *text, size_t n)
{
    cJSON *q = cJSON_ParseWithLength(text, n);
    cJSON *ctx = cJSON_GetObjectItemCaseSensitive(q, "context");
    int rc = -1;
    if (!cJSON_IsObject(q) || (ctx != NULL && !cJSON_IsObject(ctx) && !cJSON_IsNull(ctx)))
        goto done; /* vetd says what is wrong with a context that is no object */
    if (ctx == NULL || cJSON_IsNull(ctx)) {
        cJSON_DeleteItemFromObjectCaseSensitive(q, "context");
        if ((ctx = cJSON_AddObjectToObject(q, "context")) == NULL)
            goto oom;
    }
    if (cJSON_GetObjectItemCaseSensitive(ctx, "user") == NULL) {
        cJSON *u = cJSON_Parse(r->user);
        if (u == NULL || !cJSON_AddItemToObject(ctx, "user", u)) {
            cJSON_Delete(u);
            goto oom;
        }
    }
    char *t = cJSON_PrintUnformatted(q);
    if (t == NULL)
        goto oom;
    sbuf_clear(&r->jbuf);
    sbuf_puts(&r->jbuf, t);
    free(t);
    rc = r->jbuf.oom ? -1 : 0;
    goto done;
oom:
    r->jbuf.oom = true;
done:
    cJSON_Delete(q);
    return rc;
}

int
breader_next(breader_t *r, const breader_out_t *out, breader_rec_t *rec)
{
    const char *body = NULL;
    size_t blen = 0;
    /* What changes in a JSONL record's body: its id goes, a null profile
     * becomes the default one. The two spans never overlap. */
    edit_t edits[2];
    int nedits = 0;
    bool add_profile = false; /* the record names no profile: add the default */
    rec->line = 0;
    rec->err = NULL;
    rec->note = NULL;
    rec->why = BREADER_OK;
    r->notebuf[0] = '\0';
    sbuf_clear(out->key);
    sbuf_clear(out->uid);
    if (out->name != NULL)
        sbuf_clear(out->name);
    if (out->kept != NULL)
        sbuf_clear(out->kept);
    if (r->fmt == BREADER_JSONL) {
        do {
            if (!next_line(r))
                return r->rerr != 0 ? read_failed(r, rec) : 0;
        } while (csv_blank(r->line, r->len));
        rec->line = r->lineno;
        const char *text = r->line;
        size_t tlen = r->len;
        bjson_scan_t j;
        bjson_scan(&j, text, tlen);
        if (j.err == NULL && r->user != NULL) {
            if (with_user(r, text, tlen) == 0) {
                text = r->jbuf.data;
                tlen = r->jbuf.len;
                bjson_scan(&j, text, tlen);
            } else if (r->jbuf.oom) {
                return no_memory(rec);
            }
        }
        if (j.err != NULL) {
            snprintf(r->errbuf, sizeof r->errbuf, "%s at byte %zu", j.err, j.err_at);
            rec->err = r->errbuf;
        } else if (j.has_id) {
            const char *v = text + j.id_val;
            size_t n = j.id_end - j.id_val;
            if (*v == '"') {
                cJSON *id = cJSON_ParseWithLength(v, n);
                if (cJSON_IsString(id))
                    rec->err = take_id(id->valuestring, strlen(id->valuestring), out);
                else if (id == NULL)
                    return no_memory(rec); /* bjson_scan accepted it */
                cJSON_Delete(id);
            } else if (*v == '-' || (*v >= '0' && *v <= '9')) {
                rec->err = take_id(v, n, out);
            } else if (*v != 'n') {
                rec->err = "id: expected a string or number";
            }
            edits[nedits++] = (edit_t){j.cut_from - (j.open + 1), j.cut_to - (j.open + 1), ""};
        }
        if (rec->err == NULL) {
            body = text + j.open + 1;
            blen = j.close - j.open - 1;
            if (r->profile != NULL && !j.has_profile) {
                add_profile = true;
            } else if (r->profile != NULL && j.profile_end - j.profile_val == 4 &&
                       memcmp(text + j.profile_val, "null", 4) == 0) {
                /* null means absent (docs/PROTOCOL.md): the default applies. */
                edit_t e = {j.profile_val - (j.open + 1), j.profile_end - (j.open + 1), r->profile};
                if (nedits == 1 && edits[0].from > e.from) {
                    edits[1] = edits[0];
                    edits[0] = e;
                } else {
                    edits[nedits] = e;
                }
                nedits++;
            }
            if (out->name != NULL) {
                cJSON *q = cJSON_ParseWithLength(text, tlen);
                const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(q, "partner"), "name"));
                if (v != NULL)
                    sbuf_puts(out->name, v);
                cJSON_Delete(q);
            }
        }
    } else {
        int rc = csv_record(r, &rec->line, &rec->err);
        if (rc <= 0)
            return rc < 0 ? read_failed(r, rec) : 0;
        /* The id tells which row it is, even in a malformed one. */
        int idcol = r->col_of[COL_ID];
        const char *iderr = NULL;
        if (idcol >= 0 && (size_t)idcol < r->rec.n_fields)
            iderr = take_id(r->rec.fields[idcol], r->rec.lens[idcol], out);
        /* So do the kept cells: those there are, the others empty. */
        for (int i = 0; out->kept != NULL && i < r->ncols; i++) {
            if (r->cols[i] != COL_KEEP)
                continue;
            if ((size_t)i < r->rec.n_fields)
                sbuf_append(out->kept, r->rec.fields[i], r->rec.lens[i]);
            sbuf_putc(out->kept, '\0');
        }
        if (rec->err == NULL && r->rec.n_fields != (size_t)r->ncols) {
            snprintf(r->errbuf, sizeof r->errbuf, "%zu fields, the header has %d", r->rec.n_fields,
                     r->ncols);
            rec->err = r->errbuf;
        } else if (rec->err == NULL && iderr != NULL) {
            rec->err = iderr;
        } else if (rec->err == NULL) {
            for (int i = 0; i < r->ncols; i++)
                r->cells[i] = r->rec.fields[i];
            const char *v;
            if (out->name != NULL && (v = cell(r, COL_NAME)) != NULL)
                sbuf_puts(out->name, v);
            rec->err = csv_body(r, r->errbuf, sizeof r->errbuf);
            body = r->scratch.data;
            blen = r->scratch.len;
        }
    }
    if (r->notebuf[0] != '\0')
        rec->note = r->notebuf;
    if (rec->err != NULL)
        return 1;
    if (r->scratch.oom)
        return no_memory(rec);
    /* The id on the wire: the caller's, else one of ours. */
    if (out->key->len == 0)
        sbuf_printf(out->key, BREADER_ID_PREFIX "%lu", rec->line);
    /* {"id":ID, then the caller's members without its id, then the
     * default profile if the record names none. */
    sbuf_t *req = out->req;
    sbuf_clear(req);
    sbuf_puts(req, "{\"id\":");
    sbuf_json_str(req, out->key->data, out->key->len);
    size_t at = req->len, done = 0;
    sbuf_putc(req, ',');
    for (int k = 0; k < nedits; k++) {
        sbuf_append(req, body + done, edits[k].from - done);
        sbuf_puts(req, edits[k].with);
        done = edits[k].to;
    }
    sbuf_append(req, body + done, blen - done);
    if (!req->oom && csv_blank(req->data + at + 1, req->len - at - 1))
        req->len = at;
    if (add_profile) {
        sbuf_puts(req, ",\"profile\":");
        sbuf_puts(req, r->profile);
    }
    sbuf_putc(req, '}');
    if (req->oom || out->key->oom || out->uid->oom || (out->name != NULL && out->name->oom) ||
        (out->kept != NULL && out->kept->oom))
        return no_memory(rec);
    return 1;
}

const char *const *
breader_kept(const breader_t *r, int *n)
{
    *n = r->nkept;
    return (const char *const *)r->kept_names;
}

double
breader_fraction(const breader_t *r)
{
    if (r->size <= 0 || r->consumed <= 0)
        return -1;
    double frac = (double)r->consumed / (double)r->size;
    return frac > 1 ? 1 : frac;
}
