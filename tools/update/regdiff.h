/* SPDX-License-Identifier: Apache-2.0 */
/* regdiff.h -- what an update changes in a registry file: the
 * organisations of the old and the new file compared by id, field by
 * field (name, aliases, country, lists, ids, sources, ...), and how many
 * organisations each list has, for the shrink limit. Reads the files as
 * libconfig text, apart from the ruleset loader, so a report never
 * depends on how the engine merges entries across files. */
#ifndef VET_UPDATE_REGDIFF_H
#define VET_UPDATE_REGDIFF_H

#include <stddef.h>

#include "sbuf.h"

typedef struct regdiff_file regdiff_file_t;

/* Reads the organisations of the registry file at path. A missing file
 * is an empty one. Returns the handle (caller owns it: regdiff_destroy),
 * or NULL with "path:line: message" (or "out of memory") in err: a file
 * that does not parse, an organisation without a string id, an id twice. */
regdiff_file_t *regdiff_read(const char *path, sbuf_t *err);
void regdiff_destroy(regdiff_file_t **fp);

/* Organisations in the file. */
size_t regdiff_count(const regdiff_file_t *f);

/* The list ids the organisations name (first seen first), and how many
 * organisations are on list id. Borrowed from f. */
size_t regdiff_n_lists(const regdiff_file_t *f);
const char *regdiff_list(const regdiff_file_t *f, size_t i);
size_t regdiff_on_list(const regdiff_file_t *f, const char *id);

typedef enum regdiff_kind {
    REGDIFF_ADDED,   /* in the new file only */
    REGDIFF_REMOVED, /* in the old file only */
    REGDIFF_CHANGED  /* in both, with fields that differ */
} regdiff_kind_t;

/* Called once per organisation that differs: its id and name (the new
 * one, or the old one if removed), and for REGDIFF_CHANGED the names of
 * the fields that differ (fields[0..n_fields), file order). All borrowed
 * for the call. */
typedef void (*regdiff_fn)(void *ctx, regdiff_kind_t kind, const char *id, const char *name,
                           const char *const *fields, size_t n_fields);

/* Compares old with new: removed organisations first (old file order),
 * then added and changed ones (new file order). Returns 0, or -1 on OOM. */
int regdiff_compare(const regdiff_file_t *old, const regdiff_file_t *new, regdiff_fn fn, void *ctx);

#endif
