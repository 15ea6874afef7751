/* SPDX-License-Identifier: Apache-2.0 */
/* import.h -- the importer's format interface: one imp_format_t per list format. */
#ifndef VET_IMPORT_IMPORT_H
#define VET_IMPORT_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "regw.h"
#include "sbuf.h"

typedef struct imp_file {
    const char *path; /* as given on the command line */
    const char *data; /* the whole file, NUL-terminated */
    size_t len;
} imp_file_t;

typedef struct imp_opts {
    const char *list_id;        /* --list-id, or NULL for the format's default */
    const char *risk;           /* --risk, or NULL */
    bool all;                   /* --all: keep vessels and aircraft (ships) too;
                                   organisations and individuals are always kept */
    const char *as_of;          /* --as-of YYYY-MM-DD: the edition, or NULL (the
                                   date the data gives, if any) */
    int max_age_days;           /* --max-age-days, or 0 */
    const char *as_of_fallback; /* the edition when neither as_of nor the
                                   data give one (vet-update: the day it
                                   downloaded the file), or NULL */
} imp_opts_t;

/* Reads files into w. Returns 0, or -1 with "file:line: what is wrong"
 * (or "out of memory") in err. */
typedef int (*imp_run_fn)(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files,
                          sbuf_t *err);

typedef struct imp_format {
    const char *name;  /* --format NAME */
    const char *files; /* usage text: the files it takes */
    size_t min_files, max_files;
    bool takes_list_id; /* whether --list-id applies */
    imp_run_fn run;
} imp_format_t;

extern const imp_format_t imp_ofac_sdn;
extern const imp_format_t imp_nro_tsv;
extern const imp_format_t imp_ca_nro;
extern const imp_format_t imp_csl;
extern const imp_format_t imp_un_xml;
extern const imp_format_t imp_ftm;
extern const imp_format_t imp_ca_sema;

/* The SDN list's declaration. The list reaches a ruleset from two formats
 * (ofac-sdn, and csl, which merges it): both must declare it identically
 * for the two files to load side by side, so both take it from here. */
#define IMP_SDN_NAME "Specially Designated Nationals and Blocked Persons List"
#define IMP_OFAC_AUTHORITY "US Treasury, OFAC"
#define IMP_URL_OFAC_SDN                                                                           \
    "https://ofac.treasury.gov/specially-designated-nationals-and-"                                \
    "blocked-persons-list-sdn-human-readable-lists"

/* Terms of use of each list's data, written into its declaration (the
 * list's `terms`, shown by vetd version; rules/NOTICE says more). The
 * same list from two formats (us-sdn) must carry the same terms. */
#define IMP_TERMS_US_GOV "US Government work, public domain"
#define IMP_TERMS_UN "United Nations public document"
#define IMP_TERMS_CA_NRO                                                                           \
    "Crown copyright, Government of Canada: non-commercial reproduction allowed"
#define IMP_TERMS_CA_SEMA                                                                          \
    "Crown copyright, Government of Canada: the general terms of Government of Canada "            \
    "sites allow non-commercial reproduction; a commercial user should check them"
#define IMP_TERMS_OPENSANCTIONS                                                                    \
    "OpenSanctions data, CC BY-NC 4.0: attribution required, non-commercial use only"

/* An organisation id fragment from a name: ASCII letters and digits
 * lower-cased, runs of anything else -> '-', apostrophes and dots
 * dropped ("Xi'an" -> "xian"), at most max bytes, cut at a '-'. Writes
 * into out (size > max). */
void imp_slug(const char *name, char *out, size_t max);

/* An id fragment from a record's own identifier: lower case, [a-z0-9._-]
 * kept, runs of anything else -> '-' ("KPe.001" -> "kpe.001", FtM
 * "un-KPe.001" -> "un-kpe.001"). Writes at most size - 1 bytes and a NUL
 * into out. */
void imp_id_frag(const char *id, char *out, size_t size);

/* The file name of path without its directories (borrowed from path). */
const char *imp_basename(const char *path);

/* Puts "vet-import: out of memory" in err; returns -1. */
int imp_oom(sbuf_t *err);

/* Reads the file at path whole, NUL-terminated, its length in *len.
 * Returns the bytes (caller frees), or NULL with errno set. */
char *imp_read_file(const char *path, size_t *len);

/* Called for each record of a CSV/TSV file: the fields (writable, valid
 * during the call), their count and the line the record starts on.
 * Returns 0, or -1 to stop with what is wrong in err. */
typedef int (*imp_record_fn)(void *ctx, char **fields, size_t n, unsigned long line, sbuf_t *err);

/* Reads f with the one CSV reader (lib/csv.h: delim, quote, no flags)
 * and calls fn for each record in file order. Returns 0, or -1 with
 * "file:line: what is wrong" in err: a malformed record, out of memory,
 * or fn's own message. */
int imp_csv_each(const imp_file_t *f, char delim, char quote, imp_record_fn fn, void *ctx,
                 sbuf_t *err);

#endif
