/* SPDX-License-Identifier: Apache-2.0 */
/* nro.h -- the one reader of Canada's Named Research Organizations TSV (name, country, aliases). */
#ifndef VET_IMPORT_NRO_H
#define VET_IMPORT_NRO_H

#include "import.h"
#include "sbuf.h"

/* One row after the header, as published. The strings are writable and
 * valid during the callback. */
typedef struct nro_row {
    unsigned long line; /* its line: row N of the list is line N */
    char *name;         /* the organisation's name */
    char *country;      /* the country as the list writes it
                               ("People’s Republic of China") */
    char *aliases;      /* its aliases, "; " between two (nro_alias) */
} nro_row_t;

/* Called for each row; returns 0, or -1 to stop with what is wrong in err. */
typedef int (*nro_row_fn)(void *ctx, const imp_file_t *f, nro_row_t *row, sbuf_t *err);

/* Reads f (the header name<TAB>country<TAB>aliases, then three
 * tab-separated columns a line, no quoting) and calls fn for each row in
 * file order. Returns 0, or -1 with "file:line: what is wrong" in err
 * (a bad or missing header, a row without three columns) or fn's
 * message. */
int nro_read(const imp_file_t *f, nro_row_fn fn, void *ctx, sbuf_t *err);

/* Cuts the next alias off *s, an aliases column: aliases are separated by
 * "; " (a bare ';' stays inside an alias). Returns the alias, untrimmed
 * and NUL-terminated in place (it may be empty), and advances *s; NULL
 * when the column is used up. */
char *nro_alias(char **s);

#endif
