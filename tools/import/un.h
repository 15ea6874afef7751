/* SPDX-License-Identifier: Apache-2.0 */
/* un.h -- the one reader of the UN Security Council consolidated list XML (ENTITY, INDIVIDUAL). */
#ifndef VET_IMPORT_UN_H
#define VET_IMPORT_UN_H

#include <stdbool.h>
#include <stddef.h>

#include "import.h"
#include "sbuf.h"

/* One INDIVIDUAL_DATE_OF_BIRTH: the texts of its elements (NULL when
 * absent or empty). */
typedef struct un_dob {
    const char *type; /* TYPE_OF_DATE: "EXACT", "APPROXIMATELY", "BETWEEN" */
    const char *date; /* DATE, "YYYY-MM-DD" */
    const char *year; /* YEAR */
    const char *from; /* FROM_YEAR */
    const char *to;   /* TO_YEAR */
    const char *note; /* NOTE ("Nov. 1973", "Approximately") */
} un_dob_t;

/* One ENTITY or INDIVIDUAL record: the texts of its elements, as the
 * list writes them (NULL when the element is absent). Everything is
 * borrowed, valid during the callback; the aliases are writable. */
typedef struct un_rec {
    bool person;                      /* an INDIVIDUAL, else an ENTITY */
    long line;                        /* the line of its element */
    const char *ref;                  /* REFERENCE_NUMBER */
    const char *names[4];             /* FIRST_NAME .. FOURTH_NAME (an
                                           entity's name is FIRST_NAME) */
    const char *orig;                 /* NAME_ORIGINAL_SCRIPT */
    char *const *aliases;             /* ALIAS_NAME of each *_ALIAS, in order */
    const char *const *qualities;     /* parallel to aliases: its QUALITY
                                           ("Good", "Low", "a.k.a."...) or NULL */
    size_t n_aliases;                 /* their number */
    const char *const *countries;     /* COUNTRY of each *_ADDRESS, in order */
    size_t n_countries;               /* their number */
    const un_dob_t *dobs;             /* INDIVIDUAL_DATE_OF_BIRTH, in order */
    size_t n_dobs;                    /* their number */
    const char *const *nationalities; /* VALUE of each NATIONALITY */
    size_t n_nationalities;           /* their number */
    const char *dataid;               /* DATAID, the list's record number */
    const char *listed_on;            /* LISTED_ON, "YYYY-MM-DD" */
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

/* The same, and when date is not NULL, writes the list's dateGenerated
 * (its edition, "YYYY-MM-DD") into it, or "" if the file has none. */
int un_read_dated(const imp_file_t *f, un_rec_fn fn, void *ctx, char date[11], sbuf_t *err);

#endif
