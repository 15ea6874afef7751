/* taxonomy.h -- technology categories and keyword spotting.
 *
 * Categories form a forest (code "quantum.sensing" may have parent
 * "quantum"). Each category's keywords are normalised (norm.h) and
 * compiled at build time into one Aho-Corasick automaton, so spotting
 * all categories in a request's free text is a single pass over the
 * normalised text, reporting only hits on word boundaries. */
#ifndef VET_TAXONOMY_H
#define VET_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

/* One category as declared in taxonomy.cfg (all strings borrowed for
 * the duration of tax_add; the taxonomy copies what it keeps). */
typedef struct tax_def {
    const char *code;      /* e.g. "quantum.sensing" */
    const char *label;     /* human label */
    const char *parent;    /* parent code or NULL */
    const char **keywords; /* phrases revealing the category */
    size_t n_keywords;
    const char **refs; /* control-list references, e.g. "wassenaar:6A008" */
    size_t n_refs;
    const char *file; /* where it was declared, for errors */
    int line;
} tax_def_t;

/* A built category (immutable after tax_build). */
typedef struct tax_cat {
    const char *code; /* owned by the taxonomy */
    const char *label;
    int parent;            /* index of the parent, -1 for a root */
    const char **keywords; /* as declared (not normalised) */
    size_t n_keywords;
    const char **refs;
    size_t n_refs;
} tax_cat_t;

/* A category spotted in text. */
typedef struct tax_hit {
    int cat;     /* category index */
    int keyword; /* index into that category's keywords[] */
    size_t pos;  /* byte offset of the hit in the normalised text */
} tax_hit_t;

typedef struct tax tax_t;

/* Empty taxonomy, caller owns it (tax_destroy); NULL on OOM. */
tax_t *tax_new(void);
void tax_destroy(tax_t **tp);

/* Adds a category. Reports into d (with def->file:def->line) and
 * returns -1 for a duplicate code, an empty or malformed code (codes are
 * lower-case [a-z0-9_] segments joined by '.'), an empty label, or a
 * keyword that normalises to nothing or is invalid UTF-8. */
int tax_add(tax_t *t, const tax_def_t *def, diag_t *d);

/* Resolves parents (unknown parent or a cycle is an error reported with
 * the category's file:line), computes descendant sets and builds the
 * keyword automaton. Returns 0, or -1 with errors in d. After success
 * the taxonomy is immutable and shareable between threads. */
int tax_build(tax_t *t, diag_t *d);

size_t tax_count(const tax_t *t);
const tax_cat_t *tax_get(const tax_t *t, int i);

/* Index of the category with this code, or -1. O(1) average. */
int tax_find(const tax_t *t, const char *code);

/* Writes the indexes of up to max categories whose codes are closest to
 * code (edit distance, and codes that code is a prefix or segment of),
 * best first; returns how many. Used for "unknown technology code" errors. */
size_t tax_suggest(const tax_t *t, const char *code, int *out, size_t max);

/* Category sets are bitsets of tax_words(t) uint64_t words. */
size_t tax_words(const tax_t *t);

/* The set of category i and all its descendants (borrowed, tax_words
 * words). A rule naming "quantum" matches work on "quantum.sensing". */
const uint64_t *tax_subtree(const tax_t *t, int i);

/* Spots categories in len bytes of *normalised* text (norm_text output).
 * Writes at most cap hits (every keyword occurrence on word boundaries,
 * in text order; overlapping keywords of different categories are all
 * reported) and returns the number written. No allocation; thread-safe. */
size_t tax_spot(const tax_t *t, const char *text, size_t len, tax_hit_t *out, size_t cap);

/* Memory held, in bytes. */
size_t tax_memory(const tax_t *t);

#endif
