/* SPDX-License-Identifier: Apache-2.0 */
/* hash.h -- FNV-1a, the one hash of vetd: smap, the taxonomy's code
 * table and the match index's lookup tables all take it from here.
 *
 * Inline because the match index hashes every deletion variant of a
 * query token with it, a few hundred hashes per fuzzy query. Values
 * never leave the process: tables may be rebuilt with another hash at
 * any time, nothing is stored or sent. */
#ifndef VET_HASH_H
#define VET_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SEED 0xcbf29ce484222325ULL /* the 64-bit FNV offset basis */
#define HASH_PRIME 0x100000001b3ULL     /* the 64-bit FNV prime (1099511628211) */

/* One FNV-1a round: h with unit u folded in. The standard unit is a
 * byte (hash_bytes); a caller may fold wider units (the match index
 * folds whole code points) or start from another seed to keep two key
 * spaces apart. */
static inline uint64_t
hash_unit(uint64_t h, uint32_t u)
{
    return (h ^ u) * HASH_PRIME;
}

/* FNV-1a of n bytes at s (s may be NULL if n is 0). */
static inline uint64_t
hash_bytes(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t h = HASH_SEED;
    for (size_t i = 0; i < n; i++)
        h = hash_unit(h, p[i]);
    return h;
}

#endif
