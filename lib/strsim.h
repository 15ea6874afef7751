/* SPDX-License-Identifier: Apache-2.0 */
/* strsim.h -- string similarity on code points: UTF-8 decoding, edit
 * distance (optimal string alignment) within a bound, one adjacent
 * swap, Jaro-Winkler.
 *
 * Pure functions on caller-owned arrays: no allocation, no state,
 * thread-safe. The comparisons work on short strings (words, not
 * documents): both sides at most STRSIM_MAX_CP code points. */
#ifndef VET_STRSIM_H
#define VET_STRSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STRSIM_MAX_CP                                                                              \
    32 /* longest string strsim_osa_within and                                                     \
        * strsim_jaro_winkler accept (code points) */

/* Decodes s[0..len), which must be valid UTF-8 (norm_valid_utf8; a
 * truncated sequence is read past its end), into cp[0..cap). Returns
 * the number of code points, or -1 if there are more than cap. */
int strsim_decode(const char *s, size_t len, int32_t *cp, int cap);

/* True if b is a with two adjacent code points swapped ("Harbni" for
 * "Harbin"); false for equal strings and for any other difference. */
bool strsim_one_swap(const int32_t *a, int la, const int32_t *b, int lb);

/* Optimal string alignment distance between a and b (insertions,
 * deletions, substitutions and swaps of adjacent code points, no
 * substring edited twice), or k + 1 if it exceeds k. la and lb at most
 * STRSIM_MAX_CP; 0 <= k < 255. Stops early once every alignment costs
 * more than k. */
int strsim_osa_within(const int32_t *a, int la, const int32_t *b, int lb, int k);

/* Jaro-Winkler similarity of a and b in [0, 1] (prefix scale 0.1 over
 * at most 4 code points); 0 if either is empty. la and lb at most
 * STRSIM_MAX_CP. */
double strsim_jaro_winkler(const int32_t *a, int la, const int32_t *b, int lb);

#endif
