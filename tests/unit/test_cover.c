/* SPDX-License-Identifier: Apache-2.0 */
/* test_cover.c -- coverage (engine/cover.c) and the conjuncts it counts
 * (expr_conjunct*): how a condition is cut at its top-level `and`s and
 * the text each part shows; counts of rules, conjuncts and entries over
 * screened requests, the same whether counted in one block or in two
 * merged; the report; the rules that can never fire (a tag no one
 * carries, directly or through a relation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cover.h"
#include "expr.h"
#include "proto.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"
#include "testutil.h"

static const char *TAX = "categories = ( { code = \"ai\"; label = \"AI\"; } );\n";

static const char *POLICY =
    "version = \"c1\";\n"
    "verdicts = [ \"clear\", \"review\", \"prohibited\" ];\n"
    "activities = [ \"research_partnership\", \"funding\" ];\n"
    "relation_kinds = ( { name = \"subsidiary_of\"; } );\n"
    "tags = [ \"t1\", \"nobody\" ];\n"
    "rules = (\n"
    "  { id = \"three\"; when = \"partner.lists has \\\"l1\\\" and activity == \\\"funding\\\" "
    "and current\";\n"
    "    verdict = \"prohibited\"; score = 100; reason = \"r\"; cite = \"c\"; },\n"
    "  { id = \"grouped\"; when = \"(partner.tags has \\\"t1\\\" or tech.any([\\\"ai\\\"])) and "
    "current\";\n"
    "    verdict = \"review\"; score = 50; reason = \"r\"; cite = \"c\"; },\n"
    "  { id = \"leftparen\"; when = \"(partner.matched and current) and activity == "
    "\\\"funding\\\"\";\n"
    "    verdict = \"review\"; score = 40; reason = \"r\"; cite = \"c\"; },\n"
    "  { id = \"rightparen\"; when = \"partner.matched and (current and "
    "tech.any([\\\"ai\\\"]))\";\n"
    "    verdict = \"review\"; score = 30; reason = \"r\"; cite = \"c\"; },\n"
    "  { id = \"single\"; when = \"partner.tags has \\\"t1\\\" or partner.lists has \\\"l1\\\"\";\n"
    "    verdict = \"review\"; score = 20; reason = \"r\"; cite = \"c\"; },\n"
    "  { id = \"orphan\"; when = \"partner.tags has_any [\\\"nobody\\\"] and current\";\n"
    "    verdict = \"review\"; score = 10; reason = \"r\"; cite = \"c\"; },\n"
    "  { id = \"orphan-related\"; when = \"current and partner.related(\\\"*\\\", 2).tags has "
    "\\\"nobody\\\"\";\n"
    "    verdict = \"review\"; score = 10; reason = \"r\"; cite = \"c\"; },\n"
    "  { id = \"not-orphan\"; when = \"not (partner.tags has \\\"nobody\\\")\";\n"
    "    verdict = \"clear\"; score = 0; reason = \"r\"; cite = \"c\"; }\n"
    ");\n";

static const char *REG = "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
                         "organisations = (\n"
                         "  { id = \"a\"; name = \"Alpha Institute of Technology\"; country = "
                         "\"CN\";\n"
                         "    lists = [ \"l1\" ]; tags = [ \"t1\" ]; sources = [ \"s\" ]; },\n"
                         "  { id = \"b\"; name = \"Beta Robotics Works\"; country = \"CN\";\n"
                         "    lists = [ \"l1\" ]; sources = [ \"s\" ]; }\n"
                         ");\n";

static int
setup(void **state)
{
    tu_rsdir_t *t = tu_rsdir_new("cover");
    if (t == NULL)
        return -1;
    tu_rsdir_put(t, "policy.cfg", POLICY);
    tu_rsdir_put(t, "taxonomy.cfg", TAX);
    tu_rsdir_put(t, "registry/a.cfg", REG);
    ruleset_t *rs = tu_rsdir_load(t);
    tu_rsdir_destroy(&t);
    *state = rs;
    return rs != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    ruleset_t *rs = *state;
    ruleset_destroy(&rs);
    return 0;
}

static const expr_t *
when(const ruleset_t *rs, const char *id)
{
    for (size_t i = 0; i < rs->n_rules; i++)
        if (strcmp(rs->rules[i].id, id) == 0)
            return rs->rules[i].when;
    fail_msg("no rule %s", id);
    return NULL;
}

/* Asserts the conjuncts of rule id are exactly the texts given. */
static void
conjuncts(const ruleset_t *rs, const char *id, size_t n, const char *const *texts)
{
    const expr_t *e = when(rs, id);
    assert_int_equal(expr_n_conjuncts(e), n);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(expr_conjunct(e, i));
        assert_string_equal(expr_conjunct_src(e, i), texts[i]);
    }
}

static void
test_conjunct_split(void **state)
{
    const ruleset_t *rs = *state;
    conjuncts(rs, "three", 3,
              (const char *[]){"partner.lists has \"l1\"", "activity == \"funding\"", "current"});
    conjuncts(rs, "grouped", 2,
              (const char *[]){"(partner.tags has \"t1\" or tech.any([\"ai\"]))", "current"});
    /* A parenthesised left `and` parses like a chain: its parentheses
     * are dropped from the texts. */
    conjuncts(rs, "leftparen", 3,
              (const char *[]){"partner.matched", "current", "activity == \"funding\""});
    conjuncts(rs, "rightparen", 2,
              (const char *[]){"partner.matched", "(current and tech.any([\"ai\"]))"});
    /* No conjunction: one part, the condition itself. */
    const expr_t *single = when(rs, "single");
    assert_int_equal(expr_n_conjuncts(single), 1);
    assert_ptr_equal(expr_conjunct(single, 0), single);
    assert_string_equal(expr_conjunct_src(single, 0),
                        "partner.tags has \"t1\" or partner.lists has \"l1\"");
}

/* Screens json against rs and counts it into c. */
static void
count_one(const ruleset_t *rs, cover_t *c, arena_t *a, const char *json)
{
    request_t req;
    req_err_t code;
    const char *msg;
    arena_reset(a);
    request_init(&req);
    assert_int_equal(proto_parse(json, strlen(json), 1 << 20, a, &req, &code, &msg), 0);
    result_t res;
    assert_int_equal(screen_run(rs, &req, a, &res), 0);
    cover_count(c, &req, &res);
}

static const char *const REQS[] = {
    "{\"partner\":{\"name\":\"Alpha Institute of Technology\",\"country\":\"CN\"},"
    "\"activity\":\"funding\"}",
    "{\"partner\":{\"name\":\"Alpha Institute of Technology\",\"country\":\"CN\"},"
    "\"current\":false}",
    "{\"partner\":{\"name\":\"Nobody Listed Ltd\"},\"technologies\":[\"ai\"]}",
};

static void
test_counts_and_merge(void **state)
{
    const ruleset_t *rs = *state;
    arena_t *a = arena_new(0);
    cover_t *one = cover_new(rs), *x = cover_new(rs), *y = cover_new(rs);
    assert_true(a != NULL && one != NULL && x != NULL && y != NULL);
    for (size_t i = 0; i < 3; i++) {
        count_one(rs, one, a, REQS[i]);
        count_one(rs, i < 2 ? x : y, a, REQS[i]);
    }
    cover_merge(x, y);
    sbuf_t b1 = SBUF_INIT, b2 = SBUF_INIT;
    cover_report(one, &b1);
    cover_report(x, &b2);
    assert_false(b1.oom || b2.oom);
    assert_string_equal(b1.data, b2.data);
    const char *r = b1.data;
    if (strstr(r, "coverage: 3 requests; ") == NULL ||
        /* Fired on the first request only (funding, current, listed). */
        strstr(r, "  rule three: fired 1 of 3\n"
                  "    condition 1 held 2: partner.lists has \"l1\"\n"
                  "    condition 2 held 1: activity == \"funding\"\n"
                  "    condition 3 held 2: current\n") == NULL ||
        /* Held for the match of the first two, by tech.any for the third. */
        strstr(r, "    condition 1 held 3: (partner.tags has \"t1\" or tech.any([\"ai\"]))\n") ==
            NULL ||
        strstr(r,
               "  rule orphan: fired 0 of 3  NEVER FIRED\n"
               "    condition 1 held 0 NEVER HELD: partner.tags has_any [\"nobody\"]\n") == NULL ||
        strstr(r, "registry: 1 of 2 entries matched; 1 never matched\n"
                  "  list l1: 1 of 2 never matched\n"
                  "  never matched: b\n") == NULL)
        fail_msg("unexpected report:\n%s", r);
    sbuf_free(&b1);
    sbuf_free(&b2);
    cover_destroy(&one);
    cover_destroy(&x);
    cover_destroy(&y);
    assert_null(one);
    cover_destroy(&one); /* NULL is fine */
    arena_destroy(&a);
}

static void
test_never_fire(void **state)
{
    const ruleset_t *rs = *state;
    sbuf_t b = SBUF_INIT;
    /* orphan and orphan-related need a tag no one carries; not-orphan
     * negates it (it always holds), single has another way to hold. */
    assert_int_equal(cover_never_fire(rs, &b), 2);
    assert_false(b.oom);
    assert_non_null(strstr(b.data,
                           "/policy.cfg:17: warning: rule \"orphan\" can never fire: condition 1 "
                           "(partner.tags has_any [\"nobody\"]) needs a tag no "
                           "organisation carries\n"));
    assert_non_null(strstr(b.data,
                           "/policy.cfg:19: warning: rule \"orphan-related\" can never fire: "
                           "condition 2 (partner.related(\"*\", 2).tags has \"nobody\")"));
    assert_null(strstr(b.data, "not-orphan"));
    sbuf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conjunct_split),
        cmocka_unit_test(test_counts_and_merge),
        cmocka_unit_test(test_never_fire),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
