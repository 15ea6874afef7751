/* SPDX-License-Identifier: Apache-2.0 */
/* keyidx.h -- the match index's lookup table: a sorted array of
 * (hash32 << 32 | value) with a radix directory on the hash's top bits,
 * so a probe touches about two cache lines.
 *
 * A table maps a 32-bit key hash to the 32-bit values stored under it;
 * it never sees the keys, so callers confirm a hit by comparing their
 * own strings (or, for deletion variants, by edit distance). Built once
 * at load into the index arena, then read without locks. The probe and
 * the hashes are inline: they run a few hundred times per fuzzy query. */
#ifndef VET_KEYIDX_H
#define VET_KEYIDX_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "hash.h"

/* Seed of keyidx_hash_cps: HASH_SEED with its halves swapped, so code
 * point keys and byte keys hash apart. */
#define KEYIDX_CPS_SEED 0x84222325cbf29ce4ULL

/* One sorted lookup table (a plain value; its arrays live in the arena
 * given to keyidx_build). */
typedef struct keyidx {
    uint64_t *ent;  /* sorted entries: hash << 32 | value */
    uint32_t *dir;  /* dir[b]: first entry with hash >> shift >= b */
    size_t n;       /* entries */
    unsigned shift; /* 32 - directory bits */
} keyidx_t;

/* Fills t from tmp[0..n), entries hash << 32 | value (sorted and
 * deduplicated in place; tmp stays the caller's), copying them into
 * arena a, which then owns t's arrays. Returns 0, or -1 on OOM (t is
 * then unusable). */
int keyidx_build(keyidx_t *t, arena_t *a, uint64_t *tmp, size_t n);

/* Sorts v[0..n) ascending and drops the repeats, in place (the same
 * order whatever the sort: a radix sort, or qsort when it is small or
 * the radix sort's buffer cannot be had). Returns how many are left. */
size_t keyidx_sort_unique(uint64_t *v, size_t n);

/* The top 32 bits of a 64-bit hash after a murmur3 finaliser, so that
 * both the directory (top bits) and the sort spread evenly. */
static inline uint32_t
keyidx_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return (uint32_t)(h >> 32);
}

/* Key hash of the n bytes at s (hash_bytes, mixed). */
static inline uint32_t
keyidx_hash(const char *s, size_t n)
{
    return keyidx_mix(hash_bytes(s, n));
}

/* Key hash of the code points cp[0..n) without positions skip1 and
 * skip2 (-1: none): the deletion variants of a token, computed without
 * building them. */
static inline uint32_t
keyidx_hash_cps(const int32_t *cp, int n, int skip1, int skip2)
{
    uint64_t h = KEYIDX_CPS_SEED;
    for (int i = 0; i < n; i++)
        if (i != skip1 && i != skip2)
            h = hash_unit(h, (uint32_t)cp[i]);
    return keyidx_mix(h);
}

/* The entries that may hold hash h: [*lo, *hi) in t->ent, whose low 32
 * bits are the values. Empty (lo == hi) if none. */
static inline void
keyidx_range(const keyidx_t *t, uint32_t h, size_t *lo, size_t *hi)
{
    uint32_t b = h >> t->shift;
    size_t i = t->dir[b], end = t->dir[b + 1];
    while (i < end && (uint32_t)(t->ent[i] >> 32) < h)
        i++;
    size_t j = i;
    while (j < end && (uint32_t)(t->ent[j] >> 32) == h)
        j++;
    *lo = i;
    *hi = j;
}

/* Fetches ahead the directory slot of hash h in t (step 1 of a batch
 * of lookups: keyidx_prefetch_ent for each, then keyidx_range each). A
 * lookup's two cache lines are two misses in a row in a large table;
 * a batch fetched together waits for them about once. */
static inline void
keyidx_prefetch_dir(const keyidx_t *t, uint32_t h)
{
    __builtin_prefetch(&t->dir[h >> t->shift]);
}

/* Step 2: fetches ahead the first entry of hash h's slot. */
static inline void
keyidx_prefetch_ent(const keyidx_t *t, uint32_t h)
{
    __builtin_prefetch(&t->ent[t->dir[h >> t->shift]]);
}

#endif
