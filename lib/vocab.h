/* SPDX-License-Identifier: Apache-2.0 */
/* vocab.h -- a named, ordered vocabulary (lists, tags, risk levels,
 * activities, relation kinds, verdicts): name <-> index, and the
 * "did you mean" suggestion used by every load error. */
#ifndef VET_VOCAB_H
#define VET_VOCAB_H

#include <stddef.h>

/* A plain value: names are borrowed from whoever built it (the ruleset
 * arena); order is meaningful where the vocabulary is ordinal (risk
 * levels, verdicts: lowest first). */
typedef struct vocab {
    const char **names; /* names[i], borrowed */
    size_t n;           /* count */
} vocab_t;

/* Index of name, or -1. Linear: vocabularies are small and looked up at
 * load time only (the request path works on indexes). */
int vocab_find(const vocab_t *v, const char *name);

/* The entry closest to name by edit distance, if close enough to be a
 * plausible typo (distance <= max(2, len/3)); NULL otherwise. Borrowed. */
const char *vocab_suggest(const vocab_t *v, const char *name);

/* Levenshtein distance of two NUL-terminated byte strings, capped at
 * 255 (longer strings than that are compared on their first 255 bytes). */
int vocab_distance(const char *a, const char *b);

#endif
