/* SPDX-License-Identifier: Apache-2.0 */
/* csv.h -- the one CSV/TSV reader (RFC 4180): records and their lines, from memory or a stream. */
#ifndef VET_CSV_H
#define VET_CSV_H

#include <stdbool.h>
#include <stddef.h>

typedef struct csv csv_t;

/* Dialect flags. Without any: the strict reading the importers want, a
 * quote only opening a field and spaces only after a closing one. */
enum {
    /* Lines of only spaces, tabs and CRs between records are not records. */
    CSV_SKIP_BLANK = 1 << 0,
    /* vet batch's quoting: a quote inside an unquoted field is data, and a
     * closing quote must be followed by the delimiter or the line end. */
    CSV_LAX_QUOTES = 1 << 1,
};

/* One physical line of input, as a line source hands it over. */
typedef struct csv_line {
    const char *text; /* the line without its line end; borrowed
                               until the source's next call */
    size_t len;       /* its length in bytes */
    const char *eol;  /* the line end as read ("\n", "\r\n"; "" for
                               a last line without one): a quoted field
                               running over the line break keeps it */
    unsigned long no; /* its line number, 1-based */
} csv_line_t;

/* A line source: fills *line with the next line and returns 1, returns 0
 * at the end of the input, -1 when reading failed. */
typedef int (*csv_line_fn)(void *ctx, csv_line_t *line);

/* A record, as csv_next hands it over. */
typedef struct csv_rec {
    char **fields;      /* n_fields NUL-terminated fields, writable;
                               owned by the reader, valid until its next
                               csv_next */
    const size_t *lens; /* their lengths (a field may hold a NUL) */
    size_t n_fields;    /* at least 1 */
    unsigned long line; /* the line the record starts on */
    const char *bad;    /* NULL, or what is wrong with a malformed
                               record (static): the fields then hold what
                               was read up to the fault */
} csv_rec_t;

/* A reader over data[0..len) (borrowed: must outlive the reader). Lines
 * end in LF or CRLF; a trailing DOS end-of-file byte (0x1A) is ignored.
 * delim separates fields (',' or '\t'); quote is the quoting character
 * ('"'), or 0 for none (plain tab-separated text); flags are CSV_*.
 * fname (borrowed) names the input in error messages. NULL on OOM;
 * caller owns the reader (csv_destroy). */
csv_t *csv_new(const char *data, size_t len, char delim, char quote, unsigned flags,
               const char *fname);

/* A reader over the lines next(ctx) hands over, for input that arrives
 * as a stream (the source does its own buffering, line ends and line
 * numbers; the reader asks for a line only when it needs one, so the
 * source may also be read directly between records). Otherwise as
 * csv_new. */
csv_t *csv_new_lines(csv_line_fn next, void *ctx, char delim, char quote, unsigned flags,
                     const char *fname);

/* Frees the reader; accepts NULL and NULLs *p. */
void csv_destroy(csv_t **p);

/* True when s[0..n) holds only spaces, tabs and carriage returns: the
 * blank line CSV_SKIP_BLANK skips (vet batch skips it in JSONL too). */
bool csv_blank(const char *s, size_t n);

/* Reads the next record into *rec. Returns 1 with a record: a malformed
 * one (an unterminated quoted field, a stray quote) has rec->bad set and
 * csv_error() saying "file:line: what is wrong" at the line of the
 * fault, and reading goes on at the next line. Returns 0 at the end of
 * the input; -1 when memory ran out or the line source failed, with
 * csv_error() saying which. */
int csv_next(csv_t *c, csv_rec_t *rec);

/* The last error message (owned by the reader), "" if none. */
const char *csv_error(const csv_t *c);

#endif
