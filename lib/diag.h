/* SPDX-License-Identifier: Apache-2.0 */
/* diag.h -- collects located error messages ("file:line:col: message")
 * so a load reports every error, not just the first. */
#ifndef VET_DIAG_H
#define VET_DIAG_H

#include <stddef.h>
#include <stdio.h>

typedef struct diag diag_t;

/* Caller owns the result (diag_destroy); NULL on OOM. At most max
 * messages are kept (0: 200); further ones are counted, and the count
 * is reported by diag_print. */
diag_t *diag_new(size_t max);
void diag_destroy(diag_t **dp);

/* Adds one message. file may be NULL (no location); line <= 0 omits the
 * line, col <= 0 omits the column. Formats as "file:line:col: msg". If
 * the message cannot be stored (out of memory) it is still counted, so
 * diag_count never under-reports, and diag_print says it was lost. */
void diag_add(diag_t *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Appends every message of from to to, in order, as if each had been
 * added to to (those beyond to's max are counted), and empties from. */
void diag_move(diag_t *to, diag_t *from);

/* Number of messages added (including those beyond max). */
size_t diag_count(const diag_t *d);

/* The i-th kept message, borrowed (valid until diag_destroy). */
const char *diag_get(const diag_t *d, size_t i);

/* Writes every kept message, one per line, then "... and N more" if
 * some were dropped (beyond max, or lost for want of memory). */
void diag_print(const diag_t *d, FILE *f);

#endif
