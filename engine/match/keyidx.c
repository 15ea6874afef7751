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

int
keyidx_build(keyidx_t *t, arena_t *a, uint64_t *tmp, size_t n)
{
    if (n > 1)
        qsort(tmp, n, sizeof *tmp, u64_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || tmp[i] != tmp[m - 1])
            tmp[m++] = tmp[i];
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
