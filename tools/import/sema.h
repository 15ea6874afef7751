/* SPDX-License-Identifier: Apache-2.0 */
/* sema.h -- the one reader of Canada's autonomous sanctions list XML (sema-lmes.xml). */
#ifndef VET_IMPORT_SEMA_H
#define VET_IMPORT_SEMA_H

#include <stddef.h>

#include "import.h"
#include "sbuf.h"

/* The elements of a <record> the reader knows, one row each: the enum
 * and the English element names (sema.c adds the older spellings). The
 * file names each element in English, or, since 2026, in English and
 * French joined by '-' ("EntityOrShip-EntiteOuNavire"); both are read.
 * Country is the regime, not where the person is: "Russia / Russie",
 * "Justice for Victims of Corrupt Foreign Officials Regulations (JVCFOR)
 * / ...". */
#define SEMA_FIELDS(X)                                                                             \
    X(COUNTRY, "Country")                                                                          \
    X(LAST_NAME, "LastName")                                                                       \
    X(GIVEN_NAME, "GivenName")                                                                     \
    X(ENTITY, "EntityOrShip")                                                                      \
    X(TITLE, "TitleOrShip")                                                                        \
    X(IMO, "ShipIMONumber")                                                                        \
    X(BORN, "DateOfBirthOrShipBuildDate")                                                          \
    X(ALIASES, "Aliases")                                                                          \
    X(SCHEDULE, "Schedule")                                                                        \
    X(ITEM, "Item")                                                                                \
    X(LISTED, "DateOfListing")

typedef enum sema_field {
#define SEMA_ENUM(e, name) SEMA_##e,
    SEMA_FIELDS(SEMA_ENUM)
#undef SEMA_ENUM
        SEMA_NFIELDS
} sema_field_t;

/* One <record>: the text of each known element, spaces trimmed and
 * no-break spaces made plain (NULL when the element is absent or
 * empty). Everything is borrowed, valid during the callback. */
typedef struct sema_rec {
    long line;                   /* the line of its <record> */
    const char *f[SEMA_NFIELDS]; /* the texts, by sema_field_t */
    size_t n_unknown;            /* child elements the reader does not know */
    const char *unknown;         /* the first one's name, or NULL */
    long unknown_line;           /* and its line */
} sema_rec_t;

/* Called for each record; returns 0, or -1 to stop with what is wrong in
 * err. */
typedef int (*sema_rec_fn)(void *ctx, const imp_file_t *f, const sema_rec_t *rec, sbuf_t *err);

/* Parses f (no network, no entity expansion) and calls fn for each
 * <record> child of the root <data-set>, in document order; *n_records
 * gets their number and *n_other the number of other elements under the
 * root (not read). Returns 0, or -1 with "file:line: what is wrong" in
 * err: the first XML error, a wrong root, a record that names an element
 * twice, a file too large, "vet-import: out of memory", or fn's message. */
int sema_read(const imp_file_t *f, sema_rec_fn fn, void *ctx, size_t *n_records, size_t *n_other,
              sbuf_t *err);

/* The English element name of a field ("EntityOrShip"), static. */
const char *sema_field_name(sema_field_t k);

#endif
