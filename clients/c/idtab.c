/* SPDX-License-Identifier: Apache-2.0 */
/* idtab.c -- `vet batch`'s table of request ids on the wire (see idtab.h).
 * Open addressing with linear probing; a removal shifts the entries after
 * it back (no tombstones), so a table that sees millions of ids come and
 * go never needs cleaning. */
#include "idtab.h"
#include "hash.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 256 /* slots of a new table: a power of two */

struct idtab {
    idtab_entry_t *slots; /* owned: cap slots; key NULL when free */
    size_t cap;           /* a power of two */
    size_t count;         /* entries in use, at most cap / 2 */
};

idtab_t *
idtab_new(void)
{
    idtab_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->cap = MIN_CAP;
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (t->slots == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void
idtab_destroy(idtab_t **p)
{
    idtab_t *t = *p;
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i].key);
    free(t->slots);
    free(t);
    *p = NULL;
}

static size_t
home(const idtab_t *t, const char *key, size_t n)
{
    return (size_t)hash_bytes(key, n) & (t->cap - 1);
}

idtab_entry_t *
idtab_get(idtab_t *t, const char *key, size_t n)
{
    for (size_t i = home(t, key, n);; i = (i + 1) & (t->cap - 1)) {
        idtab_entry_t *e = &t->slots[i];
        if (e->key == NULL)
            return NULL;
        if (e->len == n && memcmp(e->key, key, n) == 0)
            return e;
    }
}

/* Places e (its key owned) in the first free slot of its probe sequence. */
static idtab_entry_t *
place(idtab_t *t, idtab_entry_t e)
{
    size_t i = home(t, e.key, e.len);
    while (t->slots[i].key != NULL)
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = e;
    return &t->slots[i];
}

/* Doubles the table. false on out of memory (the table is unchanged). */
static bool
grow(idtab_t *t)
{
    idtab_entry_t *old = t->slots;
    size_t ocap = t->cap;
    idtab_entry_t *slots = calloc(ocap * 2, sizeof *slots);
    if (slots == NULL)
        return false;
    t->slots = slots;
    t->cap = ocap * 2;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].key != NULL)
            place(t, old[i]);
    free(old);
    return true;
}

idtab_entry_t *
idtab_add(idtab_t *t, const char *key, size_t n, uint64_t owner)
{
    if ((t->count + 1) * 2 > t->cap && !grow(t))
        return NULL;
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, key, n);
    copy[n] = '\0';
    t->count++;
    return place(t, (idtab_entry_t){copy, n, owner, 0});
}

void
idtab_remove(idtab_t *t, idtab_entry_t *e)
{
    size_t mask = t->cap - 1, i = (size_t)(e - t->slots);
    free(e->key);
    t->slots[i].key = NULL;
    t->count--;
    /* Backward shift: an entry further along the run moves into the hole
     * unless its home lies cyclically in (hole, its slot]. */
    for (size_t j = (i + 1) & mask; t->slots[j].key != NULL; j = (j + 1) & mask) {
        size_t h = home(t, t->slots[j].key, t->slots[j].len);
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (stays)
            continue;
        t->slots[i] = t->slots[j];
        t->slots[j].key = NULL;
        i = j;
    }
}

size_t
idtab_count(const idtab_t *t)
{
    return t->count;
}
