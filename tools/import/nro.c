/* SPDX-License-Identifier: Apache-2.0 */
/* nro.c -- the one reader of Canada's Named Research Organizations TSV (name, country, aliases). */
#include "nro.h"

#include <string.h>

typedef struct reading {
    const imp_file_t *f;
    nro_row_fn fn;
    void *ctx;
    bool header; /* the header is still to come */
} reading_t;

static int
record(void *ctx, char **fld, size_t n, unsigned long line, sbuf_t *err)
{
    reading_t *x = ctx;
    if (x->header) {
        x->header = false;
        if (n != 3 || strcmp(fld[0], "name") != 0 || strcmp(fld[1], "country") != 0 ||
            strcmp(fld[2], "aliases") != 0) {
            sbuf_printf(err, "%s:%lu: expected the header name<TAB>country<TAB>aliases", x->f->path,
                        line);
            return -1;
        }
        return 0;
    }
    if (n != 3) {
        sbuf_printf(err, "%s:%lu: expected 3 tab-separated columns, got %zu", x->f->path, line, n);
        return -1;
    }
    nro_row_t row = {line, fld[0], fld[1], fld[2]};
    return x->fn(x->ctx, x->f, &row, err);
}

int
nro_read(const imp_file_t *f, nro_row_fn fn, void *ctx, sbuf_t *err)
{
    reading_t x = {f, fn, ctx, true};
    if (imp_csv_each(f, '\t', 0, record, &x, err) < 0)
        return -1;
    if (x.header) {
        sbuf_printf(err, "%s:1: empty file: expected the header name<TAB>country<TAB>aliases",
                    f->path);
        return -1;
    }
    return 0;
}

char *
nro_alias(char **s)
{
    char *a = *s;
    if (a == NULL || *a == '\0')
        return NULL;
    char *next = strstr(a, "; ");
    if (next != NULL) {
        *next = '\0';
        next += 2;
    }
    *s = next;
    return a;
}
