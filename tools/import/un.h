/* un.h -- the one reader of the UN Security Council consolidated list XML (ENTITY, INDIVIDUAL). */
#ifndef VET_IMPORT_UN_H
#define VET_IMPORT_UN_H

#include <stdbool.h>
#include <stddef.h>

#include "import.h"
#include "sbuf.h"

/* One ENTITY or INDIVIDUAL record: the texts of its elements, as the
 * list writes them (NULL when the element is absent). Everything is
 * borrowed, valid during the callback; the aliases are writable. */
typedef struct un_rec {
    bool person;                  /* an INDIVIDUAL, else an ENTITY */
    long line;                    /* the line of its element */
    const char *ref;              /* REFERENCE_NUMBER */
    const char *names[4];         /* FIRST_NAME .. FOURTH_NAME (an
                                       entity's name is FIRST_NAME) */
    const char *orig;             /* NAME_ORIGINAL_SCRIPT */
    char *const *aliases;         /* ALIAS_NAME of each *_ALIAS, in order */
    size_t n_aliases;             /* their number */
    const char *const *countries; /* COUNTRY of each *_ADDRESS, in order */
    size_t n_countries;           /* their number */
} un_rec_t;

/* Called for each record; returns 0, or -1 to stop with what is wrong in
 * err. */
typedef int (*un_rec_fn)(void *ctx, const imp_file_t *f, const un_rec_t *rec, sbuf_t *err);

/* Parses f (no network, no entity expansion) and calls fn for each
 * ENTITY of an ENTITIES element and each INDIVIDUAL of an INDIVIDUALS
 * element of the root CONSOLIDATED_LIST, in document order. Returns 0,
 * or -1 with "file:line: what is wrong" in err (the first XML error, a
 * wrong root, a file too large), "vet-import: out of memory", or fn's
 * message. */
int un_read(const imp_file_t *f, un_rec_fn fn, void *ctx, sbuf_t *err);

#endif
