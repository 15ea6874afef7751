/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_expr.c -- fuzz target for the condition compiler: any bytes as a
 * `when` condition against the fixture ruleset's vocabularies; what
 * compiles is evaluated and dumped. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fixture.h"
#include "diag.h"
#include "expr.h"
#include "ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
        abort();
    arena_t *a;
    const ruleset_t *rs = fuzz_fixture(&a);
    char *src = malloc(size + 1);
    if (src == NULL)
        return 0;
    memcpy(src, data, size);
    src[size] = '\0';
    expr_schema_t schema = {&rs->lists, &rs->tags, &rs->risks,  &rs->activities, &rs->relations,
                            &rs->types, rs->tax,   &rs->groups, rs->group};
    diag_t *d = diag_new(0);
    expr_t *e = expr_compile(src, &schema, a, "fuzz", 1, d);
    if (e != NULL) {
        uint64_t given[4] = {0}, spotted[4] = {0};
        expr_facts_t f = {.ents = rs->ents,
                          .entity = &rs->ents[0],
                          .match = 0.9,
                          .method = 0,
                          .type = -1,
                          .given = given,
                          .spotted = spotted,
                          .activity = -1,
                          .current = true};
        expr_eval(e, &f);
        f.entity = NULL;
        f.method = -1;
        expr_eval(e, &f);
        expr_dump(e, devnull);
    }
    diag_destroy(&d);
    free(src);
    return 0;
}
