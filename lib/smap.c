/* SPDX-License-Identifier: Apache-2.0 */
/* smap.c -- string -> int open-addressing hash map. */
#include "smap.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

typedef struct slot {
    const char *key; /* borrowed; NULL when empty */
    uint64_t hash;   /* full hash, to skip most strcmp */
    int val;         /* value */
} slot_t;

struct smap {
    slot_t *slots; /* cap entries */
    size_t cap;    /* power of two */
    size_t n;      /* used */
};

smap_t *
smap_new(void)
{
    smap_t *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void
smap_destroy(smap_t **mp)
{
    if (mp == NULL || *mp == NULL)
        return;
    free((*mp)->slots);
    free(*mp);
    *mp = NULL;
}

static slot_t *
find(slot_t *slots, size_t cap, const char *key, uint64_t h)
{
    size_t i = h & (cap - 1);
    for (;;) {
        slot_t *s = &slots[i];
        if (s->key == NULL || (s->hash == h && strcmp(s->key, key) == 0))
            return s;
        i = (i + 1) & (cap - 1);
    }
}

static int
grow(smap_t *m)
{
    size_t cap = m->cap * 2;
    slot_t *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL)
            *find(slots, cap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int
smap_put(smap_t *m, const char *key, int val, int *old)
{
    if ((m->n + 1) * 4 > m->cap * 3 && grow(m) != 0)
        return -1;
    uint64_t h = hash_bytes(key, strlen(key));
    slot_t *s = find(m->slots, m->cap, key, h);
    if (s->key != NULL) {
        if (old != NULL)
            *old = s->val;
        return 1;
    }
    s->key = key;
    s->hash = h;
    s->val = val;
    m->n++;
    return 0;
}

int
smap_get(const smap_t *m, const char *key)
{
    uint64_t h = hash_bytes(key, strlen(key));
    const slot_t *s = find(m->slots, m->cap, key, h);
    return s->key != NULL ? s->val : -1;
}

size_t
smap_count(const smap_t *m)
{
    return m->n;
}
