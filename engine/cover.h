/* SPDX-License-Identifier: Apache-2.0 */
/* cover.h -- coverage counts of a ruleset over screened requests: how
 * often each rule fired, each top-level `and` conjunct of its condition
 * held, each registry entry matched; and the report of what never did
 * (vetd --test --coverage, vet-replay --coverage).
 *
 * Counting is off the request path: screen_run knows nothing of it. A
 * caller that wants coverage hands each result to cover_count after
 * screen_run, which re-evaluates the conjuncts of the rules of the
 * result's profile on the same facts. One cover_t per thread (no lock);
 * cover_merge adds one thread's counts into another's at the end. */
#ifndef VET_COVER_H
#define VET_COVER_H

#include "request.h"
#include "ruleset.h"
#include "sbuf.h"

typedef struct cover cover_t;

/* Zeroed counts sized for rs (borrowed: it must outlive the counts and be
 * the ruleset of every result counted). Caller owns the result
 * (cover_destroy); NULL on OOM. */
cover_t *cover_new(const ruleset_t *rs);
void cover_destroy(cover_t **cp);

/* Counts one judged request: req and res as screen_run left them (res a
 * verdict, not an error). Never allocates, never fails. */
void cover_count(cover_t *c, const request_t *req, const result_t *res);

/* Adds the counts of from into into (both of the same ruleset). */
void cover_merge(cover_t *into, const cover_t *from);

/* Appends the report to out: requests counted; each rule of the ruleset
 * with how often it was evaluated and fired, and each conjunct of a rule
 * with more than one with how often it held, marking what never did;
 * then the registry entries never matched, by list. Check out->oom. */
void cover_report(const cover_t *c, sbuf_t *out);

/* Appends to out one line per rule of rs that can never fire given
 * its registry: "FILE:LINE: warning: rule \"ID\" can never fire:
 * condition N (SRC) needs a tag no organisation carries" for each
 * top-level conjunct that tests only tags nobody carries (a list
 * nobody is on is already a load error). vetd --check prints these, and
 * the coverage report begins with them. Returns how many; check
 * out->oom. */
size_t cover_never_fire(const ruleset_t *rs, sbuf_t *out);

#endif
