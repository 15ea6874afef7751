/* SPDX-License-Identifier: Apache-2.0 */
/* norm.h -- text normalisation for matching names and spotting keywords.
 *
 * One canonical form is used everywhere (registry aliases at load,
 * request names and free text per request, taxonomy keywords at load),
 * so "exact after normalisation" means byte equality of these forms:
 *   Unicode NFKC, case fold, accents (combining marks) stripped,
 *   every character that is not a letter or digit (punctuation, symbols,
 *   whitespace, control) becomes a single space, runs collapsed, trimmed.
 * Letters of every script survive (Chinese, Cyrillic, Persian names are
 * matched in their own script). */
#ifndef VET_NORM_H
#define VET_NORM_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* Normalises len bytes of UTF-8 at in. On success returns 0 and sets
 * *out to a NUL-terminated string allocated from a (valid until the
 * arena is reset) and *outlen to its length (0 for a name made only of
 * punctuation). Apostrophes join ("People's" is "peoples"). Returns -1
 * if in is not valid UTF-8, with "invalid UTF-8 at byte N" (N the
 * 0-based offset of the first bad byte) written into errbuf if errbuf
 * != NULL, or on OOM ("out of memory"). ASCII input takes a fast path
 * that never calls utf8proc. Thread-safe; allocates only from a. */
int norm_text(arena_t *a, const char *in, size_t len, const char **out, size_t *outlen,
              char *errbuf, size_t errcap);

/* True if the token (len bytes of normalised text) is a legal-form or
 * stop word ("co", "ltd", "llc", "jsc", "inc", "the", "of", "and", ...).
 * Such tokens weigh little in fuzzy matching and can never make a match
 * on their own. */
bool norm_is_stopword(const char *tok, size_t len);

/* The i-th stop word (normalised form, static), or NULL once i is past
 * the end of the table: lets the matcher recognise misspelt ones. */
const char *norm_stopword(size_t i);

/* True if every token of the normalised string s is a stop word (or s
 * is empty): such a name matches nothing. */
bool norm_all_stopwords(const char *s, size_t len);

/* True if len bytes at s are valid UTF-8 (no overlongs, no surrogates). */
bool norm_valid_utf8(const char *s, size_t len);

#endif
