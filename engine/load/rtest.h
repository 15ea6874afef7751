/* SPDX-License-Identifier: Apache-2.0 */
/* rtest.h -- runs a ruleset's own test cases (DIR/tests/NAME.cfg): each
 * case is a request and the expected verdict, fired rules, best-matched
 * partner or error. The request is a wire request in libconfig syntax,
 * read by the wire format's reader (proto_parse_tree). Used by
 * `vetd --test` and `make test`. */
#ifndef VET_RTEST_H
#define VET_RTEST_H

#include <stdio.h>

#include "cover.h"
#include "diag.h"
#include "ruleset.h"

typedef struct rtest_summary {
    unsigned passed; /* cases whose expectations all held */
    unsigned failed; /* cases with a failed expectation */
    unsigned files;  /* test files read */
} rtest_summary_t;

/* Loads every tests/NAME.cfg of dir (name order) and runs each case
 * against rs. Each failure is written to out as
 * "file:line: case \"name\": expected ..., got ..." . A malformed test
 * file or case is reported into d (file:line) and counted as a failed
 * case; so is a case whose request the wire would refuse, as
 * "file:line: case \"name\": request: MESSAGE" with the wire's message.
 * Returns 0 if every case passed and nothing was malformed, else -1. */
int rtest_run(const ruleset_t *rs, const char *dir, FILE *out, diag_t *d, rtest_summary_t *sum);

/* rtest_run, counting each case judged (a verdict, not an error) into
 * cover when it is not NULL (borrowed; counts for rs: cover_new(rs)), so
 * that `vetd --test --coverage` can report what the cases never
 * exercise (cover_report). */
int rtest_run_cover(const ruleset_t *rs, const char *dir, FILE *out, diag_t *d,
                    rtest_summary_t *sum, cover_t *cover);

#endif
