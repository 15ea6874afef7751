/* csv.h -- RFC 4180 CSV/TSV reader over an in-memory file, reporting file:line. */
#ifndef VET_IMPORT_CSV_H
#define VET_IMPORT_CSV_H

#include <stddef.h>

typedef struct csv csv_t;

/* A reader over data[0..len) (borrowed: must outlive the reader). delim
 * separates fields (',' or '\t'); quote is the quoting character ('"'),
 * or 0 for none (plain tab-separated text). fname (borrowed) names the
 * file in error messages. Lines end in LF or CRLF; a trailing DOS
 * end-of-file byte (0x1A) is ignored. NULL on OOM; caller owns the
 * reader (csv_destroy). */
csv_t *csv_new(const char *data, size_t len, char delim, char quote, const char *fname);
void csv_destroy(csv_t **p);

/* Reads the next record. Returns 1 and sets *fields (n_fields strings,
 * owned by the reader, valid until the next call) and *line (the line
 * the record starts on, 1-based); 0 at end of input; -1 on malformed
 * input or OOM, with csv_error() holding "file:line: what is wrong". */
int csv_next(csv_t *c, char ***fields, size_t *n_fields, int *line);

/* The last error message (owned by the reader), "" if none. */
const char *csv_error(const csv_t *c);

#endif
