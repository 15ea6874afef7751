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
    breader_err_t why;  /* after -1: why reading failed */
} breader_rec_t;

typedef struct breader breader_t;

/* Opens path ("-": stdin) and settles its format: fmt if not
 * BREADER_AUTO, else the name (.csv; .jsonl, .ndjson), else the first
 * non-blank line ('{' opens JSONL). A CSV header is read and checked
 * here, every bad column reported, so that nothing is sent for a bad one.
 * profile, if not NULL, is the profile of every request whose record
 * names none (an empty "profile" cell, a JSONL record without "profile"
 * or with "profile": null); it is copied. path is borrowed for the
 * reader's life. Returns the reader (caller owns, free with
 * breader_destroy), or NULL after writing what is wrong on stderr ("vet
 * batch: ..."), *why telling which kind of failure. */
breader_t *breader_new(const char *path, breader_fmt_t fmt, const char *profile,
                       breader_err_t *why);

/* Closes the input (not stdin) and frees the reader; accepts NULL and
 * NULLs *p. */
void breader_destroy(breader_t **p);

/* True when breader_next can go on without waiting: a line is buffered,
 * the input is over, or the descriptor has bytes (or an end) to read. */
bool breader_ready(breader_t *r);

/* Reads the next record (blank lines skipped) and writes its request into
 * req (cleared first): {"id":ID, then the record's members without the
 * caller's own id, and the default profile if the record names none},
 * ID being the JSON text id (borrowed). The caller's id
 * goes into uid as a JSON string (cleared first; left empty if none), the
 * partner's name into name unless name is NULL (cleared by the caller).
 * A record that cannot be made a request (malformed CSV or JSON, a bad
 * value) gets rec->err and no request; uid and name then hold what could
 * be read. Returns 1 with a record, 0 at the end of the input, -1 when
 * reading failed or memory ran out (message on stderr, rec->why). */
int breader_next(breader_t *r, const char *id, sbuf_t *req, sbuf_t *uid, sbuf_t *name,
                 breader_rec_t *rec);

/* The share of a regular file read so far, at most 1; -1 when unknown
 * (not a regular file, empty, nothing read yet). */
double breader_fraction(const breader_t *r);

#endif
