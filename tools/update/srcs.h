/* SPDX-License-Identifier: Apache-2.0 */
/* srcs.h -- the ruleset's sources.cfg: for each list vet-update keeps
 * current, the registry file it produces, the vet-import format and
 * options that make it, the official download URLs, and the limits of an
 * update (age, shrink, download). One table of numeric settings drives
 * the reader, its defaults and its ranges. */
#ifndef VET_UPDATE_SRCS_H
#define VET_UPDATE_SRCS_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define SRCS_FILE "sources.cfg" /* in the ruleset directory */
#define SRCS_MAX_URLS 16        /* vet-import's formats take at most 16 files */

/* The numeric settings of a list, each also allowed in the file's
 * `defaults` group. X(name, default, min, max, meaning) */
#define SRCS_NUMS(X)                                                                               \
    X(max_age_days, 7, 1, 3650, "days after which the list counts as stale")                       \
    X(max_shrink_percent, 10, 0, 100, "an update losing more of the list is refused")              \
    X(connect_timeout_s, 30, 1, 600, "seconds to connect (TCP and TLS)")                           \
    X(timeout_s, 600, 1, 86400, "seconds for one download attempt")                                \
    X(stall_timeout_s, 60, 1, 3600, "an attempt receiving nothing this long fails")                \
    X(retries, 3, 0, 10, "attempts after a failed one")                                            \
    X(retry_delay_s, 5, 0, 300, "seconds before the first retry, doubled each time")               \
    X(max_bytes, 268435456, 1, 4294967296, "a downloaded file larger than this is refused")

/* The values of SRCS_NUMS, one field each. */
typedef struct srcs_nums {
#define SRCS_FIELD(name, dflt, min, max, what) long long name;
    SRCS_NUMS(SRCS_FIELD)
#undef SRCS_FIELD
} srcs_nums_t;

/* One list (a group of `lists`). Strings are owned by the srcs_t. */
typedef struct srcs_list {
    const char *id;       /* e.g. "us-sdn": --list, the report, the state file */
    const char *registry; /* "registry/NAME.cfg", relative to the ruleset */
    const char *format;   /* a vet-import format */
    const char **urls;    /* n_urls download URLs, in the format's file order */
    const char **files;   /* parallel: the name each download is saved and
                           * imported under (the registry header names it) */
    size_t n_urls;
    const char *list_id; /* vet-import --list-id, or NULL */
    const char *risk;    /* vet-import --risk, or NULL */
    bool all;            /* vet-import --all */
    srcs_nums_t num;     /* the numeric settings, defaults applied */
    int line;            /* line of its group in the file */
} srcs_list_t;

typedef struct srcs srcs_t;

/* Reads and validates the sources file at path. Returns the handle
 * (caller owns it: srcs_destroy), or NULL with every problem in d as
 * "path:line: message": syntax, an unknown setting (with a suggestion), a
 * wrong type, a value out of range, a missing id, registry, format or
 * URL, a duplicate id or registry file, an unknown format, a URL that is
 * not https://, a file count the format does not take. */
srcs_t *srcs_load(const char *path, diag_t *d);
void srcs_destroy(srcs_t **sp);

size_t srcs_count(const srcs_t *s);
/* List i (borrowed, valid as long as s). */
const srcs_list_t *srcs_get(const srcs_t *s, size_t i);
/* The list with this id, or NULL. */
const srcs_list_t *srcs_find(const srcs_t *s, const char *id);
/* The list id closest to id (a plausible typo), or NULL. Borrowed. */
const char *srcs_suggest(const srcs_t *s, const char *id);

#endif
