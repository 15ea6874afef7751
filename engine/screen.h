/* SPDX-License-Identifier: Apache-2.0 */
/* screen.h -- the product's heart: (Ruleset, Request) -> Result.
 *
 * Identifies the partner (match.h), classifies the work (given codes
 * and keywords spotted in text, taxonomy.h), evaluates every rule
 * (expr.h) once per partner match, and takes the most severe verdict.
 * Pure: no I/O, no locks, no allocation outside the caller's arena. */
#ifndef VET_SCREEN_H
#define VET_SCREEN_H

#include "arena.h"
#include "request.h"
#include "ruleset.h"

/* Screens req against rs into *res (arrays allocated from scratch, valid
 * until it is reset). When the partner matched and no rule fired on any
 * match, res->note says so (which organisations, how they matched, and
 * what commonly leaves a match alone: docs/PROTOCOL.md, "note"); it is
 * NULL otherwise. Returns 0, or -1 when the request cannot be
 * judged: res->err is ERR_BAD_REQUEST with res->errmsg naming the field
 * ("technologies[1]: unknown code \"quantum.sensng\" (nearest:
 * quantum.sensing, quantum)"), or ERR_INTERNAL on OOM. */
int screen_run(const ruleset_t *rs, const request_t *req, arena_t *scratch, result_t *res);

#endif
