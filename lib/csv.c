/* csv.c -- RFC 4180 CSV/TSV reader: quoted fields, doubled quotes, CRLF, file:line errors. */
#include "csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct csv {
    const char *data;
    size_t len;
    size_t pos;
    int line;               /* line of data[pos] */
    char delim;
    char quote;
    const char *fname;
    char *buf;              /* field bytes of the current record, NUL-separated */
    size_t buf_len, buf_cap;
    size_t *offs;           /* field start offsets into buf */
    char **fields;
    size_t n_fields, cap_fields;
    char err[512];
};

csv_t *
csv_new(const char *data, size_t len, char delim, char quote, const char *fname)
{
    csv_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    /* A DOS end-of-file marker after the last line is not data. */
    while (len > 0 && data[len - 1] == 0x1A)
        len--;
    c->data = data;
    c->len = len;
    c->line = 1;
    c->delim = delim;
    c->quote = quote;
    c->fname = fname;
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
    free(c->fields);
    free(c);
    *p = NULL;
}

const char *
csv_error(const csv_t *c)
{
    return c->err;
}

static int
fail(csv_t *c, int line, const char *what)
{
    snprintf(c->err, sizeof c->err, "%s:%d: %s", c->fname, line, what);
    return -1;
}

static bool
put_byte(csv_t *c, char ch)
{
    if (c->buf_len + 1 > c->buf_cap) {
        size_t cap = c->buf_cap ? c->buf_cap * 2 : 256;
        char *nb = realloc(c->buf, cap);
        if (nb == NULL)
            return false;
        c->buf = nb;
        c->buf_cap = cap;
    }
    c->buf[c->buf_len++] = ch;
    return true;
}

/* Ends the current field (NUL) and opens a new one. */
static bool
start_field(csv_t *c)
{
    if (c->n_fields + 1 > c->cap_fields) {
        size_t cap = c->cap_fields ? c->cap_fields * 2 : 32;
        size_t *no = realloc(c->offs, cap * sizeof *no);
        if (no == NULL)
            return false;
        c->offs = no;
        char **nf = realloc(c->fields, cap * sizeof *nf);
        if (nf == NULL)
            return false;
        c->fields = nf;
        c->cap_fields = cap;
    }
    c->offs[c->n_fields++] = c->buf_len;
    return true;
}

int
csv_next(csv_t *c, char ***fields, size_t *n_fields, int *line)
{
    if (c->pos >= c->len)
        return 0;
    c->buf_len = 0;
    c->n_fields = 0;
    int start = c->line;
    if (!start_field(c))
        return fail(c, start, "out of memory");
    bool quoted = false;        /* inside a quoted field */
    bool was_quoted = false;    /* the current field was quoted and closed */
    bool at_start = true;       /* nothing read yet for the current field */
    int qline = start;
    for (;;) {
        if (c->pos >= c->len) {
            if (quoted)
                return fail(c, qline, "unterminated quoted field");
            break;
        }
        char ch = c->data[c->pos++];
        if (quoted) {
            if (ch == c->quote) {
                if (c->pos < c->len && c->data[c->pos] == c->quote) {
                    c->pos++;
                    if (!put_byte(c, ch))
                        return fail(c, start, "out of memory");
                } else {
                    quoted = false;
                    was_quoted = true;
                }
                continue;
            }
            if (ch == '\n')
                c->line++;
            if (!put_byte(c, ch))
                return fail(c, start, "out of memory");
            continue;
        }
        if (ch == '\r' && c->pos < c->len && c->data[c->pos] == '\n')
            continue;
        if (ch == '\n') {
            c->line++;
            break;
        }
        if (ch == c->delim) {
            if (!put_byte(c, '\0') || !start_field(c))
                return fail(c, start, "out of memory");
            at_start = true;
            was_quoted = false;
            continue;
        }
        if (c->quote != 0 && ch == c->quote) {
            if (!at_start)
                return fail(c, c->line, was_quoted ? "unexpected quote after a quoted field"
                                                   : "quote inside an unquoted field");
            quoted = true;
            qline = c->line;
            at_start = false;
            continue;
        }
        if (was_quoted) {
            /* Spaces after a closing quote (OFAC writes `"x" ,`) are
             * tolerated and dropped; anything else is malformed. */
            if (ch == ' ')
                continue;
            return fail(c, c->line, "unexpected character after a closing quote");
        }
        at_start = false;
        if (!put_byte(c, ch))
            return fail(c, start, "out of memory");
    }
    if (!put_byte(c, '\0'))
        return fail(c, start, "out of memory");
    for (size_t i = 0; i < c->n_fields; i++)
        c->fields[i] = c->buf + c->offs[i];
    *fields = c->fields;
    *n_fields = c->n_fields;
    *line = start;
    return 1;
}
