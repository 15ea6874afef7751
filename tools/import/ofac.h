/* SPDX-License-Identifier: Apache-2.0 */
/* ofac.h -- the one reader of OFAC's SDN legacy CSV files (sdn.csv, alt.csv, add.csv). */
#ifndef VET_IMPORT_OFAC_H
#define VET_IMPORT_OFAC_H

#include <stddef.h>

#include "import.h"
#include "sbuf.h"

/* The three files: names, aliases, addresses. */
typedef enum { OFAC_SDN, OFAC_ALT, OFAC_ADD } ofac_file_t;

/* One record, its values trimmed of spaces and OFAC's empty marker "-0-"
 * read as "". The strings are borrowed, valid during the callback. */
typedef struct ofac_row {
    unsigned long line;  /* the line the record starts on */
    const char *ent_num; /* the entity's number: digits (checked) */
    const char *name;    /* sdn.csv: the name; alt.csv: the alias;
                               add.csv: "" */
    const char *type;    /* sdn.csv: "" (an organisation), "individual",
                               "vessel" or "aircraft" (checked); else "" */
    const char *country; /* add.csv: the address's country; else "" */
    const char *remarks; /* sdn.csv: the remarks ("DOB 02 Mar 1965;
                               nationality Iran; ..."); else "" */
} ofac_row_t;

/* Called for each record of a file; returns 0, or -1 to stop with what is
 * wrong in err. */
typedef int (*ofac_row_fn)(void *ctx, const imp_file_t *f, const ofac_row_t *row, sbuf_t *err);

/* Reads f as the OFAC file kind (12, 5 or 6 fields a record, no header)
 * and calls fn for each record in file order. Returns 0, or -1 with
 * "file:line: what is wrong" in err (a malformed record, a wrong number
 * of fields, an ent_num that is not a number, an unknown SDN type), or
 * fn's message. */
int ofac_read(const imp_file_t *f, ofac_file_t kind, ofac_row_fn fn, void *ctx, sbuf_t *err);

/* A record of sdn.csv with the aliases alt.csv gives it. */
typedef struct ofac_ent {
    const char *ent_num;  /* digits */
    const char *name;     /* as ofac_row_t has it ("" if none) */
    const char *type;     /* as ofac_row_t has it ("" an organisation) */
    unsigned long line;   /* its line in sdn.csv */
    const char **aliases; /* alt.csv's names for it, in file order */
    size_t n_aliases;     /* their number */
} ofac_ent_t;

typedef struct ofac_list ofac_list_t;

/* Reads DIR/sdn.csv and DIR/alt.csv: every record of sdn.csv, in file
 * order, each with its non-empty aliases (an alias whose ent_num sdn.csv
 * lacks is dropped). Returns the list, caller owns it
 * (ofac_list_destroy), or NULL with what is wrong in err: "path: reason"
 * for a file that cannot be read, ofac_read's messages, out of memory. */
ofac_list_t *ofac_list_load(const char *dir, sbuf_t *err);

/* Frees the list; accepts NULL and NULLs *p. */
void ofac_list_destroy(ofac_list_t **p);

/* The records, *n of them; borrowed, valid as long as l. */
const ofac_ent_t *ofac_list_ents(const ofac_list_t *l, size_t *n);

#endif
