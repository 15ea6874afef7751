/* SPDX-License-Identifier: Apache-2.0 */
/* keyidx.c -- building the match index's sorted lookup tables (probes are inline in keyidx.h). */
#include "keyidx.h"

#include <stdlib.h>
#include <string.h>

static int
u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v[0..n) ascending: a radix sort, 16 bits a pass, least
 * significant first, skipping a pass whose digit is the same in every
 * key (record and token numbers leave the upper value bits 0). At a
 * million names the tables hold millions of entries, and qsort's
 * comparisons took 2.5 s of the load. Returns 0, or -1 if its buffer
 * (n keys) cannot be had: v is then as it was. */
static int
radix_sort(uint64_t *v, size_t n)
{
    uint64_t *buf = malloc(n * sizeof *buf);
    size_t *count = malloc(65537 * sizeof *count);
    if (buf == NULL || count == NULL) {
        free(buf);
        free(count);
        return -1;
    }
    uint64_t *src = v, *dst = buf;
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65537 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(src[i] >> shift & 0xffff) + 1]++;
        if (count[(src[0] >> shift & 0xffff) + 1] == n)
            continue;
        for (size_t d = 0; d < 65536; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            dst[count[src[i] >> shift & 0xffff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    free(buf);
    free(count);
    return 0;
}

size_t
keyidx_sort_unique(uint64_t *v, size_t n)
{
    /* Small arrays, or no memory for the radix sort's buffer: qsort
     * (the same order: the keys are totally ordered). */
    if (n > 1 && (n < 4096 || radix_sort(v, n) != 0))
        qsort(v, n, sizeof *v, u64_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

int
keyidx_build(keyidx_t *t, arena_t *a, uint64_t *tmp, size_t n)
{
    size_t m = keyidx_sort_unique(tmp, n);
    /* About two entries per directory slot, at most 4M slots. */
    unsigned bits = 4;
    while (bits < 22 && ((size_t)1 << bits) * 2 < m)
        bits++;
    t->shift = 32 - bits;
    t->n = m;
    t->ent = arena_alloc(a, (m ? m : 1) * sizeof *t->ent);
    t->dir = arena_alloc(a, (((size_t)1 << bits) + 1) * sizeof *t->dir);
    if (t->ent == NULL || t->dir == NULL)
        return -1;
    if (m)
        memcpy(t->ent, tmp, m * sizeof *tmp);
    size_t e = 0;
    for (size_t b = 0; b <= ((size_t)1 << bits); b++) {
        while (e < m && (uint32_t)(t->ent[e] >> 32) >> t->shift < b)
            e++;
        t->dir[b] = (uint32_t)e;
    }
    return 0;
}
