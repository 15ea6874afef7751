/* SPDX-License-Identifier: Apache-2.0 */
/* taxonomy.h -- technology categories and keyword spotting.
 *
 * Categories form a forest (code "quantum.sensing" may have parent
 * "quantum"). Each category's keywords are normalised (norm.h) and
 * compiled at build time into one trie, walked from each word start of
 * a request's normalised free text, so spotting all categories is one
 * pass over it, reporting only hits on word boundaries.
 *
 * Three declarative refinements keep that evidence precise:
 *   - patterns: terms that must occur together ("nitrogen vacancy" within
 *     8 words of "diamond"), each term a set of alternative phrases;
 *   - except: longer phrases inside which a keyword is no evidence
 *     ("missile crisis" for "missile");
 *   - vetoes: context phrases that, within a window of words, make some
 *     of the category's keywords no evidence ("warhead" near "ligase").
 * Their phrases live in a second trie that is walked only over the few
 * words around a guarded keyword or a pattern's first term, so the pass
 * over the text costs about what plain keywords cost. */
#ifndef VET_TAXONOMY_H
#define VET_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

#define TAX_WINDOW_DEFAULT 10 /* words, when a pattern or veto gives none */
#define TAX_WINDOW_MAX 50     /* the widest window a pattern or veto may ask for */
#define TAX_TERMS_MAX 8       /* terms in one pattern */

/* A co-occurrence pattern: it is evidence where its first term occurs and
 * every other term occurs within window words of it (before or after). A
 * term is one phrase or several alternatives joined by '|'
 * ("nitrogen vacancy|nv centre"). */
typedef struct tax_pattern_def {
    const char **terms; /* 2 .. TAX_TERMS_MAX terms */
    size_t n_terms;
    int window; /* words, 1 .. TAX_WINDOW_MAX; 0 = TAX_WINDOW_DEFAULT */
    int line;   /* where declared, for errors; 0 = the category's line */
} tax_pattern_def_t;

/* A context veto: an occurrence of one of keywords is no evidence when a
 * context phrase occurs within window words of it (before or after, or
 * overlapping it). */
typedef struct tax_veto_def {
    const char **keywords; /* keywords of the same category (equal once normalised) */
    size_t n_keywords;
    const char **context; /* phrases that veto them */
    size_t n_context;
    int window; /* words, 1 .. TAX_WINDOW_MAX; 0 = TAX_WINDOW_DEFAULT */
    int line;   /* where declared, for errors; 0 = the category's line */
} tax_veto_def_t;

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
    const char **except; /* phrases inside which a keyword is no evidence */
    size_t n_except;
    const tax_pattern_def_t *patterns; /* co-occurrence patterns */
    size_t n_patterns;
    const tax_veto_def_t *vetoes; /* context vetoes of keywords */
    size_t n_vetoes;
    const char *file; /* where it was declared, for errors */
    int line;
} tax_def_t;

/* A built category (immutable after tax_build). Every string is owned by
 * the taxonomy. */
typedef struct tax_cat {
    const char *code;
    const char *label;
    int parent; /* index of the parent, -1 for a root */
    /* What a hit reports as evidence: the keywords as declared (not
     * normalised), then one line per pattern, its terms' first
     * alternatives joined by " + " ("nitrogen vacancy + diamond"). */
    const char **keywords;
    size_t n_keywords; /* keywords and patterns */
    /* Each pattern in full, "a|b + c|d (within 8 words)"; pattern p's
     * evidence line is keywords[n_keywords - n_patterns + p]. */
    const char **patterns;
    size_t n_patterns;
    const char **refs;
    size_t n_refs;
    const char **except; /* as declared */
    size_t n_except;
    /* Each veto in full, "k1|k2 unless c1|c2 (within 12 words)". */
    const char **vetoes;
    size_t n_vetoes;
} tax_cat_t;

/* A category spotted in text. */
typedef struct tax_hit {
    int cat;     /* category index */
    int keyword; /* index into that category's keywords[] (a pattern's is past the keywords) */
    size_t pos;  /* byte offset of the hit (a pattern's first term) in the normalised text */
} tax_hit_t;

typedef struct tax tax_t;

/* Empty taxonomy, caller owns it (tax_destroy); NULL on OOM. */
tax_t *tax_new(void);
void tax_destroy(tax_t **tp);

/* Adds a category. Reports into d (with def->file:def->line, or a
 * pattern's or veto's own line) and returns -1 for a duplicate code, an
 * empty or malformed code (codes are lower-case [a-z0-9_] segments joined
 * by '.'), an empty label, a keyword, except phrase, pattern alternative
 * or context phrase that normalises to nothing or is invalid UTF-8; an
 * except phrase that contains none of the category's keywords or is one
 * of them; a pattern with fewer than 2 or more than TAX_TERMS_MAX terms; a
 * veto naming a word that is not a keyword of the category, with no
 * context, or with a context phrase equal to a keyword it guards; a window
 * outside 1 .. TAX_WINDOW_MAX. Every error of def is reported. */
int tax_add(tax_t *t, const tax_def_t *def, diag_t *d);

/* Resolves parents (unknown parent or a cycle is an error reported with
 * the category's file:line), computes descendant sets and builds the
 * keyword tries. Returns 0, or -1 with errors in d. After success
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
 * Writes at most cap hits (every keyword occurrence on word boundaries
 * that no except phrase or veto of its category rules out, and every
 * occurrence of a pattern's first term whose other terms are near; in
 * text order; overlapping keywords of different categories are all
 * reported) and returns the number written. No allocation; thread-safe. */
size_t tax_spot(const tax_t *t, const char *text, size_t len, tax_hit_t *out, size_t cap);

/* Memory held, in bytes. */
size_t tax_memory(const tax_t *t);

#endif
