/* SPDX-License-Identifier: Apache-2.0 */
/* rsh.h -- the ruleset holder: which compiled ruleset the workers judge
 * by, swapped atomically on reload without a lock on the request path.
 *
 * Each worker owns one hazard slot. To use the current ruleset it
 * publishes the pointer in its slot and re-checks that it is still
 * current (rsh_acquire); a ruleset replaced by rsh_swap is retired and
 * freed by rsh_reap only once no slot holds it, so a request always
 * finishes on the ruleset it started with. */
#ifndef VET_RSH_H
#define VET_RSH_H

#include <stddef.h>

#include "ruleset.h"

typedef struct rsh rsh_t;

/* A holder with n_slots worker slots and no ruleset yet. Caller owns it
 * (rsh_destroy); NULL on OOM. */
rsh_t *rsh_new(size_t n_slots);

/* Frees the current ruleset and every retired one; no slot may be in
 * use. Accepts NULL; nulls *hp. */
void rsh_destroy(rsh_t **hp);

/* The current ruleset, or NULL if none is loaded, pinned in slot until
 * rsh_release(h, slot). Lock-free; one slot per thread. */
const ruleset_t *rsh_acquire(rsh_t *h, size_t slot);
void rsh_release(rsh_t *h, size_t slot);

/* Makes sure the next rsh_swap needs no memory to retire the current
 * ruleset: a reload calls it before it tells anyone it succeeded.
 * Returns 0, or -1 on OOM (the reload must then fail: the ruleset in
 * use stays). */
int rsh_reserve(rsh_t *h);

/* Makes rs current (takes ownership) and retires the previous one.
 * Thread-safe against acquirers and other swaps. Returns 0, or -1 with
 * nothing swapped (rs is still the caller's) if there was no memory to
 * retire the previous one, which rsh_reserve before it rules out: an
 * old ruleset is never freed under a reader, nor leaked. */
int rsh_swap(rsh_t *h, ruleset_t *rs);

/* The current ruleset for a quick look by the thread that swaps (no
 * pin: valid only while no other thread can swap). */
const ruleset_t *rsh_peek(rsh_t *h);

/* Frees retired rulesets no slot holds any more. Returns how many are
 * still waiting. Thread-safe. */
size_t rsh_reap(rsh_t *h);

#endif
