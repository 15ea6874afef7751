/* SPDX-License-Identifier: Apache-2.0 */
/* rsh.c -- the ruleset holder: atomic swap, hazard slots, deferred free. */
#include "rsh.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct retired {
    ruleset_t *rs; /* owned */
    struct retired *next;
} retired_t;

struct rsh {
    _Atomic(ruleset_t *) cur;          /* current ruleset (owned), or NULL */
    _Atomic(const ruleset_t *) *slots; /* per-worker pins, n_slots */
    size_t n_slots;
    pthread_mutex_t lock; /* guards retired (never on the request path) */
    retired_t *retired;   /* replaced, not yet freed */
    retired_t *spare;     /* the next swap's entry in retired (rsh_reserve) */
};

rsh_t *
rsh_new(size_t n_slots)
{
    rsh_t *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->slots = calloc(n_slots ? n_slots : 1, sizeof *h->slots);
    if (h->slots == NULL) {
        free(h);
        return NULL;
    }
    h->n_slots = n_slots;
    for (size_t i = 0; i < n_slots; i++)
        atomic_init(&h->slots[i], NULL);
    atomic_init(&h->cur, NULL);
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

void
rsh_destroy(rsh_t **hp)
{
    if (hp == NULL || *hp == NULL)
        return;
    rsh_t *h = *hp;
    ruleset_t *rs = atomic_load(&h->cur);
    ruleset_destroy(&rs);
    for (retired_t *r = h->retired, *next; r != NULL; r = next) {
        next = r->next;
        ruleset_destroy(&r->rs);
        free(r);
    }
    free(h->spare);
    pthread_mutex_destroy(&h->lock);
    free(h->slots);
    free(h);
    *hp = NULL;
}

const ruleset_t *
rsh_acquire(rsh_t *h, size_t slot)
{
    /* Publish, then confirm: if a swap happened between the load and the
     * publication, the reaper may not have seen our pin, so try again.
     * Sequentially consistent atomics order the pin before the re-check
     * here and the swap before the slot scan in rsh_reap. */
    const ruleset_t *rs = atomic_load(&h->cur);
    for (;;) {
        atomic_store(&h->slots[slot], rs);
        const ruleset_t *again = atomic_load(&h->cur);
        if (again == rs)
            return rs;
        rs = again;
    }
}

void
rsh_release(rsh_t *h, size_t slot)
{
    atomic_store(&h->slots[slot], NULL);
}

const ruleset_t *
rsh_peek(rsh_t *h)
{
    return atomic_load(&h->cur);
}

int
rsh_reserve(rsh_t *h)
{
    pthread_mutex_lock(&h->lock);
    if (h->spare == NULL)
        h->spare = malloc(sizeof *h->spare);
    int rc = h->spare != NULL ? 0 : -1;
    pthread_mutex_unlock(&h->lock);
    return rc;
}

int
rsh_swap(rsh_t *h, ruleset_t *rs)
{
    /* The old ruleset is queued in the spare entry: with no memory for
     * one, nothing is swapped (before, the old ruleset was leaked, which
     * a reload that failed an allocation at this point did). */
    if (atomic_load(&h->cur) != NULL && rsh_reserve(h) != 0)
        return -1;
    pthread_mutex_lock(&h->lock);
    ruleset_t *old = atomic_exchange(&h->cur, rs);
    if (old != NULL) {
        retired_t *r = h->spare;
        h->spare = NULL;
        r->rs = old;
        r->next = h->retired;
        h->retired = r;
    }
    pthread_mutex_unlock(&h->lock);
    return 0;
}

size_t
rsh_reap(rsh_t *h)
{
    size_t waiting = 0;
    pthread_mutex_lock(&h->lock);
    retired_t **pp = &h->retired;
    while (*pp != NULL) {
        retired_t *r = *pp;
        bool held = false;
        for (size_t i = 0; i < h->n_slots && !held; i++)
            held = atomic_load(&h->slots[i]) == r->rs;
        if (held) {
            waiting++;
            pp = &r->next;
        } else {
            *pp = r->next;
            ruleset_destroy(&r->rs);
            free(r);
        }
    }
    pthread_mutex_unlock(&h->lock);
    return waiting;
}
