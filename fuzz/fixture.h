/* SPDX-License-Identifier: Apache-2.0 */
/* fixture.h -- the ruleset the fuzz targets screen against, loaded once
 * per process (the fuzzer calls a target millions of times): the test
 * fixture, or $VET_FUZZ_RULES. Included by the targets only. */
#ifndef VET_FUZZ_FIXTURE_H
#define VET_FUZZ_FIXTURE_H

#include <stdlib.h>

#include "arena.h"
#include "diag.h"
#include "ruleset.h"

/* The shared ruleset and a scratch arena, reset for this input.
 * Aborts if the fixture cannot be loaded: no input could be tested. */
static inline const ruleset_t *
fuzz_fixture(arena_t **scratch)
{
    static ruleset_t *rs;
    static arena_t *a;
    if (rs == NULL) {
        diag_t *d = diag_new(0);
        const char *dir = getenv("VET_FUZZ_RULES");
        rs = ruleset_load(dir ? dir : "tests/fixtures/rulesets/good", d);
        diag_destroy(&d);
        a = arena_new(0);
        if (rs == NULL || a == NULL)
            abort();
    }
    arena_reset(a);
    *scratch = a;
    return rs;
}

#endif
