/* SPDX-License-Identifier: Apache-2.0 */
/* diag.c -- located error collection. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

struct diag {
    char **msgs;  /* kept messages, owned */
    size_t n;     /* kept */
    size_t total; /* added, kept or not */
    size_t lost;  /* added but not kept for want of memory */
    size_t max;   /* most kept */
};

diag_t *
diag_new(size_t max)
{
    diag_t *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->max = max ? max : 200;
    d->msgs = calloc(d->max, sizeof *d->msgs);
    if (d->msgs == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

void
diag_destroy(diag_t **dp)
{
    if (dp == NULL || *dp == NULL)
        return;
    for (size_t i = 0; i < (*dp)->n; i++)
        free((*dp)->msgs[i]);
    free((*dp)->msgs);
    free(*dp);
    *dp = NULL;
}

void
diag_move(diag_t *to, diag_t *from)
{
    size_t i = 0;
    for (; i < from->n && to->n < to->max; i++) {
        to->msgs[to->n++] = from->msgs[i];
        from->msgs[i] = NULL;
    }
    for (; i < from->n; i++) {
        free(from->msgs[i]); /* beyond to's max: counted, as diag_add does */
        from->msgs[i] = NULL;
    }
    to->total += from->total;
    to->lost += from->lost;
    from->n = from->total = from->lost = 0;
}

void
diag_add(diag_t *d, const char *file, int line, int col, const char *fmt, ...)
{
    /* Counted first: a message that cannot be stored still fails the
     * load or the request that reported it. */
    d->total++;
    if (d->n >= d->max)
        return;
    sbuf_t b = SBUF_INIT;
    if (file != NULL) {
        sbuf_puts(&b, file);
        if (line > 0) {
            sbuf_printf(&b, ":%d", line);
            if (col > 0)
                sbuf_printf(&b, ":%d", col);
        }
        sbuf_puts(&b, ": ");
    }
    va_list ap;
    va_start(ap, fmt);
    sbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (b.oom) {
        sbuf_free(&b);
        d->lost++;
        return;
    }
    d->msgs[d->n++] = sbuf_take(&b);
}

size_t
diag_count(const diag_t *d)
{
    return d->total;
}

const char *
diag_get(const diag_t *d, size_t i)
{
    return i < d->n ? d->msgs[i] : NULL;
}

void
diag_print(const diag_t *d, FILE *f)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(f, "%s\n", d->msgs[i]);
    size_t more = d->total - d->n - d->lost;
    if (more > 0)
        fprintf(f, "... and %zu more errors\n", more);
    if (d->lost > 0)
        fprintf(f, "... and %zu more errors whose messages were lost (out of memory)\n", d->lost);
}
