/* SPDX-License-Identifier: Apache-2.0 */
/* ureport.h -- vet-update's report: per list what was downloaded, what
 * changed (organisations added, removed and changed, by id) and what
 * became of it; then each step of the run (check, tests, install, the
 * daemon's reload) and the result. Printed as text for people or as one
 * JSON object for machines (docs/OPERATIONS.md describes both). */
#ifndef VET_UPDATE_UREPORT_H
#define VET_UPDATE_UREPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "regdiff.h"

/* What became of a list in an update (the first four, least to most
 * severe), or where it stands (--status). X(enum, name) */
#define UREPORT_STATUSES(X)                                                                        \
    X(UREPORT_UNCHANGED, "unchanged") /* 304, or the same registry file */                         \
    X(UREPORT_UPDATED, "updated")     /* a new registry file, staged */                            \
    X(UREPORT_FAILED, "failed")       /* download or I/O failure */                                \
    X(UREPORT_REFUSED, "refused")     /* does not parse, shrinks too much, too big */              \
    X(UREPORT_CURRENT, "current")     /* --status: confirmed within max_age_days */                \
    X(UREPORT_STALE, "stale")         /* --status: not confirmed for longer */

typedef enum ureport_status {
#define UREPORT_ENUM(e, s) e,
    UREPORT_STATUSES(UREPORT_ENUM)
#undef UREPORT_ENUM
} ureport_status_t;

typedef struct ureport ureport_t;
typedef struct ureport_list ureport_list_t;

/* An empty report of a run on root (copied). Caller owns it
 * (ureport_destroy); NULL on OOM. Later calls record what they can; a
 * failed allocation marks the report, which then prints "out of memory". */
ureport_t *ureport_new(const char *root, bool dry_run);
void ureport_destroy(ureport_t **rp);

/* A list's section (owned by the report). */
ureport_list_t *ureport_list(ureport_t *r, const char *id, const char *registry);
/* Its status and one line saying why (printf format; may be NULL). */
void ureport_list_status(ureport_list_t *l, ureport_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ureport_status_t ureport_list_get_status(const ureport_list_t *l);
/* A download: the saved name, URL, HTTP status (0 if none), body bytes. */
void ureport_list_file(ureport_list_t *l, const char *name, const char *url, long http,
                       long long bytes);
/* Organisations in the registry file before and after. */
void ureport_list_counts(ureport_list_t *l, size_t before, size_t after);
/* One organisation that differs (as regdiff_fn gives it). */
void ureport_list_change(ureport_list_t *l, regdiff_kind_t kind, const char *id, const char *name,
                         const char *const *fields, size_t n_fields);
/* A line of note (vet-import's summary, a stale list). */
void ureport_list_note(ureport_list_t *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A step of the run after the downloads: "check", "tests", "install",
 * "vetd", "rollback"... ok or not, with one line. */
void ureport_step(ureport_t *r, const char *step, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A named fact of the run: "current", "installed", "digest", "endpoint". */
void ureport_set(ureport_t *r, const char *key, const char *value);
/* The result word ("nothing new", "updated", ...) and the exit code. */
void ureport_result(ureport_t *r, const char *result, int code);

/* Writes the report to out: text, or one JSON object and a newline. */
void ureport_print(const ureport_t *r, bool json, FILE *out);

#endif
