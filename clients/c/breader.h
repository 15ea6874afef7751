/* SPDX-License-Identifier: Apache-2.0 */
/* breader.h -- `vet batch`'s input: CSV or JSONL records turned into screening requests. */
#ifndef BREADER_H
#define BREADER_H

#include "sbuf.h"

#include <stdbool.h>

/* The input formats; BREADER_AUTO: told by the name, else the first line. */
typedef enum { BREADER_AUTO, BREADER_CSV, BREADER_JSONL } breader_fmt_t;

/* Why opening or reading failed; the caller picks the exit code. */
typedef enum {
    BREADER_OK,
    BREADER_ENOINPUT, /* the input cannot be opened */
    BREADER_EHEADER,  /* the CSV header is bad (a usage error) */
    BREADER_EIO,      /* reading failed */
    BREADER_ENOMEM    /* out of memory */
} breader_err_t;

/* What breader_next says about the record it read. */
typedef struct breader_rec {
    unsigned long line; /* input line the record starts on */
    const char *err;    /* NULL, or what is wrong with the record;
                               borrowed, valid until the next breader_next */
    const char *note;   /* NULL, or what the reader changed in the record
                               ("country \"China\" read as CN"); borrowed,
                               valid until the next breader_next */
    breader_err_t why;  /* after -1: why reading failed */
} breader_rec_t;

/* Where breader_next writes a record. Each buffer is cleared first; name
 * and kept may be NULL when not wanted. */
typedef struct breader_out {
    sbuf_t *req;  /* the request: {"id":KEY as JSON, then the record */
    sbuf_t *key;  /* the id on the wire, its bytes: the caller's, or one
                     invented (BREADER_ID_PREFIX and the line number) */
    sbuf_t *uid;  /* the caller's id as a JSON string; empty if none */
    sbuf_t *name; /* the partner's name */
    sbuf_t *kept; /* --keep-columns: the record's cell of each kept column,
                     each NUL-terminated, in breader_kept's order */
} breader_out_t;

/* How records become requests. */
typedef struct breader_opts {
    const char *profile; /* the profile of every request whose record
                            names none, or NULL (the daemon's) */
    const char *user;    /* context.user of every request whose record
                            gives none, or NULL */
    bool keep;           /* CSV: unknown columns are kept, not refused */
} breader_opts_t;

/* The ids vet batch invents for records without one start with this;
 * a caller's id that does is refused (bad_input), so that the two can
 * never be confused, on the wire or in vetd's audit log. */
#define BREADER_ID_PREFIX "vet-batch:"

typedef struct breader breader_t;

/* Opens path ("-": stdin) and settles its format: fmt if not
 * BREADER_AUTO, else the name (.csv; .jsonl, .ndjson), else the first
 * non-blank line ('{' opens JSONL). A CSV header is read and checked
 * here, every bad column reported, so that nothing is sent for a bad one.
 * opts->profile, if not NULL, is the profile of every request whose
 * record names none (an empty "profile" cell, a JSONL record without
 * "profile" or with "profile": null); opts->user likewise for
 * context.user; both are copied. With opts->keep, a CSV column of no
 * known name is kept (breader_kept) instead of refused. path is borrowed
 * for the reader's life. Returns the reader (caller owns, free with
 * breader_destroy), or NULL after writing what is wrong on stderr ("vet
 * batch: ..."), *why telling which kind of failure. */
breader_t *breader_new(const char *path, breader_fmt_t fmt, const breader_opts_t *opts,
                       breader_err_t *why);

/* Closes the input (not stdin) and frees the reader; accepts NULL and
 * NULLs *p. */
void breader_destroy(breader_t **p);

/* True when breader_next can go on without waiting: a line is buffered,
 * the input is over, or the descriptor has bytes (or an end) to read. */
bool breader_ready(breader_t *r);

/* Reads the next record (blank lines skipped) into *out (see
 * breader_out_t): the request is {"id":ID, then the record's members
 * without the caller's own id, the default profile and user if the record
 * names none}. ID is the caller's id (a CSV "id" cell, a JSONL "id"
 * string or number, sent as a string; an empty one is none), else
 * BREADER_ID_PREFIX and the line number. A CSV country written as a
 * name ("China", "South Korea", iso_country_find) is sent as its code
 * and rec->note says so. A record that cannot be made a request
 * (malformed CSV or JSON, a bad value, an id vetd could not echo: longer
 * than 1024 bytes, not UTF-8, or with the reserved prefix) gets rec->err
 * and no request; uid, name and kept then hold what could be read.
 * Returns 1 with a record, 0 at the end of the input, -1 when reading
 * failed or memory ran out (message on stderr, rec->why). */
int breader_next(breader_t *r, const breader_out_t *out, breader_rec_t *rec);

/* The names of the kept columns (--keep-columns), in input order, and
 * how many in *n. Borrowed: valid for the reader's life. */
const char *const *breader_kept(const breader_t *r, int *n);

/* The share of a regular file read so far, at most 1; -1 when unknown
 * (not a regular file, empty, nothing read yet). */
double breader_fraction(const breader_t *r);

#endif
