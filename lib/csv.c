/* SPDX-License-Identifier: Apache-2.0 */
/* csv.c -- the one CSV/TSV reader: quotes, line breaks in quotes, CRLF, file:line errors. */
#include "csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

struct csv {
    csv_line_fn next;     /* the line source */
    void *ctx;            /* its argument */
    const char *data;     /* csv_new: the input (borrowed) */
    size_t len;           /* its length, DOS end-of-file bytes cut */
    size_t pos;           /* the start of the next line in data */
    unsigned long lineno; /* lines data has handed over */
    char delim;           /* field separator */
    char quote;           /* quoting character, 0 for none */
    unsigned flags;       /* CSV_* */
    const char *fname;    /* for messages (borrowed) */
    char *buf;            /* field bytes of the current record, NUL-separated */
    size_t buf_len;       /* bytes used */
    size_t buf_cap;       /* bytes allocated */
    size_t *offs;         /* start of each field in buf */
    size_t *lens;         /* length of each field */
    char **fields;        /* the fields handed over */
    size_t n_fields;      /* fields of the current record */
    size_t cap_fields;    /* room in offs, lens and fields */
    char err[512];        /* the last error message */
};

/* The line source of csv_new: the lines of data. */
static int
data_line(void *ctx, csv_line_t *line)
{
    csv_t *c = ctx;
    if (c->pos >= c->len)
        return 0;
    const char *s = c->data + c->pos;
    const char *nl = memchr(s, '\n', c->len - c->pos);
    size_t n = nl != NULL ? (size_t)(nl - s) : c->len - c->pos;
    line->text = s;
    line->eol = "";
    if (nl != NULL) {
        line->eol = "\n";
        if (n > 0 && s[n - 1] == '\r') {
            line->eol = "\r\n";
            n--;
        }
    }
    line->len = n;
    line->no = ++c->lineno;
    c->pos = nl != NULL ? (size_t)(nl + 1 - c->data) : c->len;
    return 1;
}

csv_t *
csv_new_lines(csv_line_fn next, void *ctx, char delim, char quote, unsigned flags,
              const char *fname)
{
    csv_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->next = next;
    c->ctx = ctx;
    c->delim = delim;
    c->quote = quote;
    c->flags = flags;
    c->fname = fname;
    return c;
}

csv_t *
csv_new(const char *data, size_t len, char delim, char quote, unsigned flags, const char *fname)
{
    csv_t *c = csv_new_lines(data_line, NULL, delim, quote, flags, fname);
    if (c == NULL)
        return NULL;
    c->ctx = c;
    /* A DOS end-of-file marker after the last line is not data. */
    while (len > 0 && data[len - 1] == 0x1A)
        len--;
    c->data = data;
    c->len = len;
    return c;
}

void
csv_destroy(csv_t **p)
{
    if (p == NULL || *p == NULL)
        return;
    csv_t *c = *p;
    free(c->buf);
    free(c->offs);
    free(c->lens);
    free(c->fields);
    free(c);
    *p = NULL;
}

const char *
csv_error(const csv_t *c)
{
    return c->err;
}

/* Says what went wrong at line; returns -1. */
static int
fail(csv_t *c, unsigned long line, const char *what)
{
    snprintf(c->err, sizeof c->err, "%s:%lu: %s", c->fname, line, what);
    return -1;
}

static bool
put(csv_t *c, const char *s, size_t n)
{
    if (vec_grow(&c->buf, &c->buf_cap, c->buf_len + n + 1, 1, 256) != 0)
        return false;
    memcpy(c->buf + c->buf_len, s, n);
    c->buf_len += n;
    return true;
}

/* Opens a new field. */
static bool
field_begin(csv_t *c)
{
    /* Three arrays, one capacity (vec.h). */
    size_t co = c->cap_fields, cl = c->cap_fields, cf = c->cap_fields;
    size_t need = c->n_fields + 1;
    if (vec_grow(&c->offs, &co, need, sizeof *c->offs, 32) != 0 ||
        vec_grow(&c->lens, &cl, need, sizeof *c->lens, 32) != 0 ||
        vec_grow(&c->fields, &cf, need, sizeof *c->fields, 32) != 0)
        return false;
    c->cap_fields = co;
    c->offs[c->n_fields++] = c->buf_len;
    return true;
}

/* Closes the current field with a NUL and notes its length. */
static bool
field_end(csv_t *c)
{
    size_t i = c->n_fields - 1;
    c->lens[i] = c->buf_len - c->offs[i];
    return put(c, "", 1);
}

bool
csv_blank(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r')
            return false;
    return true;
}

/* Hands the fields read so far over in rec; bad (static) says what is
 * wrong with the record, at line, or is NULL. Returns 1, or -1 on OOM. */
static int
deliver(csv_t *c, csv_rec_t *rec, const char *bad, unsigned long line)
{
    if (!field_end(c))
        return fail(c, rec->line, "out of memory");
    for (size_t i = 0; i < c->n_fields; i++)
        c->fields[i] = c->buf + c->offs[i];
    rec->fields = c->fields;
    rec->lens = c->lens;
    rec->n_fields = c->n_fields;
    rec->bad = bad;
    if (bad != NULL)
        fail(c, line, bad);
    return 1;
}

int
csv_next(csv_t *c, csv_rec_t *rec)
{
    csv_line_t l;
    int r;
    do {
        if ((r = c->next(c->ctx, &l)) <= 0) {
            if (r < 0)
                snprintf(c->err, sizeof c->err, "%s: read error", c->fname);
            return r;
        }
    } while ((c->flags & CSV_SKIP_BLANK) && csv_blank(l.text, l.len));
    bool lax = (c->flags & CSV_LAX_QUOTES) != 0;
    c->buf_len = 0;
    c->n_fields = 0;
    rec->line = l.no;
    size_t i = 0;
    for (;;) {
        if (!field_begin(c))
            return fail(c, rec->line, "out of memory");
        if (c->quote != 0 && i < l.len && l.text[i] == c->quote) {
            unsigned long qline = l.no;
            i++;
            for (;;) {
                const char *q = i < l.len ? memchr(l.text + i, c->quote, l.len - i) : NULL;
                size_t e = q != NULL ? (size_t)(q - l.text) : l.len;
                if (!put(c, l.text + i, e - i))
                    return fail(c, rec->line, "out of memory");
                i = e;
                if (q == NULL) {
                    /* The quoted field goes on over the line break. */
                    const char *eol = l.eol;
                    if ((r = c->next(c->ctx, &l)) < 0)
                        return fail(c, qline, "read error");
                    if (r == 0)
                        return deliver(c, rec, "unterminated quoted field", qline);
                    if (!put(c, eol, strlen(eol)))
                        return fail(c, rec->line, "out of memory");
                    i = 0;
                    continue;
                }
                if (i + 1 < l.len && l.text[i + 1] == c->quote) {
                    if (!put(c, q, 1))
                        return fail(c, rec->line, "out of memory");
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            /* Strict: spaces after a closing quote (OFAC writes `"x" ,`)
             * are tolerated and dropped. Then only the delimiter or the
             * line end may follow. */
            while (!lax && i < l.len && l.text[i] == ' ')
                i++;
            if (i < l.len && l.text[i] != c->delim) {
                const char *what = lax ? "a closing quote not followed by a comma"
                                   : l.text[i] == c->quote
                                       ? "unexpected quote after a quoted field"
                                       : "unexpected character after a closing quote";
                return deliver(c, rec, what, l.no);
            }
        } else {
            const char *d = i < l.len ? memchr(l.text + i, c->delim, l.len - i) : NULL;
            size_t e = d != NULL ? (size_t)(d - l.text) : l.len;
            if (c->quote != 0 && !lax && memchr(l.text + i, c->quote, e - i) != NULL)
                return deliver(c, rec, "quote inside an unquoted field", l.no);
            if (!put(c, l.text + i, e - i))
                return fail(c, rec->line, "out of memory");
            i = e;
        }
        if (i < l.len && l.text[i] == c->delim) {
            if (!field_end(c))
                return fail(c, rec->line, "out of memory");
            i++;
            continue;
        }
        return deliver(c, rec, NULL, 0);
    }
}
