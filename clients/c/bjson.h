/* SPDX-License-Identifier: Apache-2.0 */
/* bjson.h -- a non-allocating JSONL line check that finds the top-level "id" and "profile". */
#ifndef BJSON_H
#define BJSON_H

#include <stdbool.h>
#include <stddef.h>

/* What bjson_scan found. Offsets are bytes into the scanned line. */
typedef struct bjson_scan {
    const char *err;         /* what is wrong (a static string); NULL if fine */
    size_t err_at;           /* byte offset of the error */
    size_t open, close;      /* offsets of the top-level braces */
    bool has_id;             /* a top-level "id" member was seen */
    size_t id_val, id_end;   /* its value's span */
    size_t cut_from, cut_to; /* the bytes to drop to remove it */
    bool has_profile;        /* a top-level "profile" member was seen */
    size_t profile_val;      /* its value's span */
    size_t profile_end;
} bjson_scan_t;

/* Scans s (n bytes, borrowed for the call only): one JSON object and
 * nothing else, refusing at least what cJSON refuses (and \u0000, which
 * vetd refuses before reading the id), so that every request sent can be
 * read far enough by vetd to echo our id. Fills *out; out->err tells
 * whether the line is fine. Allocates nothing. */
void bjson_scan(bjson_scan_t *out, const char *s, size_t n);

#endif
