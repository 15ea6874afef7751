/* SPDX-License-Identifier: Apache-2.0 */
/* test_reviews.c -- the review register (issue 15, part 1): what a
 * not_entity decision dismisses and what it leaves alone, what an
 * accepted tie lowers and what it cannot (a prohibition), entries that
 * ran out or were withdrawn, entries that name what the ruleset lacks
 * (inert), every mistake in the file refused with file:line, and the
 * text the daemon writes read back the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "diag.h"
#include "proto.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"
#include "testutil.h"

static const char *TAX = "categories = ( { code = \"ai\"; label = \"AI\"; } );\n";

static const char *POLICY =
    "version = \"r1\";\n"
    "verdicts = [ \"clear\", \"review\", \"prohibited\" ];\n"
    "activities = [ \"research_partnership\", \"co_authorship\" ];\n"
    "rules = (\n"
    "  { id = \"sanctioned\"; when = \"partner.lists has \\\"sl\\\"\"; verdict = \"prohibited\";\n"
    "    score = 100; reason = \"on the sanctions list\"; cite = \"the regulations\"; },\n"
    "  { id = \"defence-tie\"; when = \"partner.lists has \\\"dl\\\"\"; verdict = \"review\";\n"
    "    score = 60; reason = \"a defence university\"; cite = \"the list\"; }\n"
    ");\n";

static const char *REG =
    "lists = ( { id = \"sl\"; name = \"Sanctions\"; }, { id = \"dl\"; name = \"Defence\"; } );\n"
    "organisations = (\n"
    "  { id = \"sirius\"; name = \"JSC Sirius\"; aliases = [ \"Sirius\" ]; country = \"RU\";\n"
    "    lists = [ \"sl\" ]; sources = [ \"the schedule, item 37\" ]; },\n"
    "  { id = \"nwpu\"; name = \"Northwestern Polytechnical University\"; country = \"CN\";\n"
    "    lists = [ \"dl\", \"sl\" ]; sources = [ \"the list, row 9\" ]; },\n"
    "  { id = \"bit\"; name = \"Beijing Institute of Technology\"; country = \"CN\";\n"
    "    lists = [ \"dl\" ]; sources = [ \"the list, row 3\" ]; }\n"
    ");\n";

/* A not_entity decision for "Sirius" in Canada, an accepted
 * co-authorship with BIT, one that ran out, one withdrawn, one naming a
 * gone organisation and one trying to lift a prohibition. Entries in
 * force are dated today and run a year (ON and UNTIL below), so that the
 * test means the same on any day. */
static const char *REVIEWS =
    "reviews = (\n"
    "  { id = \"rv-1\"; decision = \"not_entity\"; entity = \"sirius\"; name = \"SIRIUS\";\n"
    "    country = \"CA\"; by = \"a.lee\"; on = \"ON\"; reason = \"a Toronto firm\";\n"
    "    expires = \"UNTIL\"; ref = \"RS-1\"; },\n"
    "  { id = \"rv-2\"; decision = \"accepted\"; entity = \"bit\"; activity = \"co_authorship\";\n"
    "    rule = \"defence-tie\"; by = \"b.chen\"; on = \"ON\"; reason = \"a review article\";\n"
    "    expires = \"UNTIL\"; ref = \"RS-2\"; },\n"
    "  { id = \"rv-3\"; decision = \"not_entity\"; entity = \"sirius\"; name = \"Sirius\";\n"
    "    country = \"FR\"; by = \"a.lee\"; on = \"2020-01-01\"; reason = \"old\";\n"
    "    expires = \"2020-06-30\"; ref = \"RS-3\"; },\n"
    "  { id = \"rv-4\"; decision = \"not_entity\"; entity = \"sirius\"; name = \"Sirius\";\n"
    "    country = \"DE\"; by = \"a.lee\"; on = \"ON\"; reason = \"withdrawn\";\n"
    "    expires = \"UNTIL\"; ref = \"RS-4\"; expired_on = \"ON\";\n"
    "    expired_by = \"c.boss\"; expired_why = \"the firm was sold\"; },\n"
    "  { id = \"rv-5\"; decision = \"not_entity\"; entity = \"gone\"; name = \"Gone\";\n"
    "    by = \"a.lee\"; on = \"ON\"; reason = \"r\"; expires = \"UNTIL\"; ref = \"R\"; },\n"
    "  { id = \"rv-6\"; decision = \"accepted\"; entity = \"nwpu\"; activity = \"co_authorship\";\n"
    "    rule = \"sanctioned\"; by = \"b.chen\"; on = \"ON\"; reason = \"r\";\n"
    "    expires = \"UNTIL\"; ref = \"R\"; }\n"
    ");\n";

/* REVIEWS with ON today and UNTIL a year on (UTC); caller frees. */
static char *
reviews_text(void)
{
    char on[16], until[16];
    time_t now = time(NULL), later = now + 365 * 86400;
    struct tm tm;
    strftime(on, sizeof on, "%Y-%m-%d", gmtime_r(&now, &tm));
    strftime(until, sizeof until, "%Y-%m-%d", gmtime_r(&later, &tm));
    sbuf_t b = SBUF_INIT;
    for (const char *p = REVIEWS; *p;) {
        if (strncmp(p, "ON", 2) == 0 && p[-1] == '"') {
            sbuf_puts(&b, on);
            p += 2;
        } else if (strncmp(p, "UNTIL", 5) == 0) {
            sbuf_puts(&b, until);
            p += 5;
        } else {
            sbuf_putc(&b, *p++);
        }
    }
    return b.data;
}

typedef struct fx {
    tu_rsdir_t *dir; /* the ruleset */
    char path[128];  /* its review register */
    ruleset_t *rs;   /* loaded, with the register when it read */
} fx_t;

static int
setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (f == NULL || (f->dir = tu_rsdir_new("rev")) == NULL)
        return -1;
    tu_rsdir_put(f->dir, "policy.cfg", POLICY);
    tu_rsdir_put(f->dir, "taxonomy.cfg", TAX);
    tu_rsdir_put(f->dir, "registry/r.cfg", REG);
    snprintf(f->path, sizeof f->path, "%s/reviews.cfg", f->dir->path);
    f->rs = tu_rsdir_load(f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *f = *state;
    ruleset_destroy(&f->rs);
    unlink(f->path);
    int rc = tu_rsdir_destroy(&f->dir);
    free(f);
    return rc;
}

/* Writes text as the register and reads it into f->rs; returns the
 * errors joined ("" when it loaded; caller frees). */
static char *
load(fx_t *f, const char *text)
{
    if (text != NULL)
        tu_write_file(f->path, text);
    diag_t *d = diag_new(0);
    assert_non_null(d);
    int rc = ruleset_load_reviews(f->rs, f->path, d);
    sbuf_t b = SBUF_INIT;
    for (size_t i = 0; diag_get(d, i) != NULL; i++)
        sbuf_printf(&b, "%s\n", diag_get(d, i));
    assert_int_equal(rc == 0, diag_count(d) == 0);
    diag_destroy(&d);
    char *s = strdup(b.data != NULL ? b.data : "");
    sbuf_free(&b);
    return s;
}

/* The reply to the JSON request (caller frees), or "error: ...". */
static char *
screen(const ruleset_t *rs, const char *json)
{
    arena_t *a = arena_new(0);
    request_t req;
    req_err_t code;
    const char *msg;
    request_init(&req);
    sbuf_t b = SBUF_INIT;
    if (proto_parse(json, strlen(json), 1 << 20, a, &req, &code, &msg) != 0) {
        sbuf_printf(&b, "error: %s", msg);
    } else {
        result_t res;
        if (screen_run(rs, &req, a, &res) != 0)
            sbuf_printf(&b, "error: %s", res.errmsg);
        else
            proto_write_result(&b, rs, &req, &res, 0);
    }
    arena_destroy(&a);
    char *s = strdup(b.data);
    sbuf_free(&b);
    return s;
}

static void
assert_has(const char *text, const char *want)
{
    if (strstr(text, want) == NULL) {
        print_error("missing:\n  %s\nin:\n%s\n", want, text);
        fail();
    }
}

static void
assert_lacks(const char *text, const char *unwanted)
{
    if (strstr(text, unwanted) != NULL) {
        print_error("unexpected:\n  %s\nin:\n%s\n", unwanted, text);
        fail();
    }
}

static void
test_not_entity_dismisses_that_name_in_that_country(void **state)
{
    fx_t *f = *state;
    char *text = reviews_text();
    char *errs = load(f, text);
    free(text);
    assert_string_equal(errs, "");
    free(errs);
    /* Normalised as the matcher reads names: case and punctuation. */
    char *r = screen(f->rs, "{\"partner\":{\"name\":\"Sirius.\",\"country\":\"CA\"}}");
    assert_has(r, "\"verdict\":\"clear\"");
    assert_has(r, "\"matches\":[]");
    assert_has(r, "\"dismissed\":[{\"entity\":\"sirius\"");
    assert_has(r, "\"reviewed\":{\"id\":\"rv-1\",\"decision\":\"not_entity\"");
    assert_has(r, "\"by\":\"a.lee\",\"on\":\"");
    assert_has(r, "\"reason\":\"a Toronto firm\",\"expires\":\"");
    assert_has(r, "The review register says the partner is not sirius (rv-1)");
    free(r);
    /* No country, another country, another name: the decision is not
     * about them, so the sanctions rule still acts. */
    const char *others[] = {
        "{\"partner\":{\"name\":\"Sirius\"}}",
        "{\"partner\":{\"name\":\"Sirius\",\"country\":\"US\"}}",
        "{\"partner\":{\"name\":\"JSC Sirius\",\"country\":\"CA\"}}",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        r = screen(f->rs, others[i]);
        assert_has(r, "\"verdict\":\"prohibited\"");
        assert_lacks(r, "dismissed");
        free(r);
    }
}

static void
test_accepted_tie_lowers_its_rule_only(void **state)
{
    fx_t *f = *state;
    char *text = reviews_text();
    char *errs = load(f, text);
    free(text);
    assert_string_equal(errs, "");
    free(errs);
    char *r = screen(f->rs, "{\"partner\":{\"name\":\"Beijing Institute of Technology\","
                            "\"country\":\"CN\"},\"activity\":\"co_authorship\"}");
    assert_has(r, "\"verdict\":\"clear\",\"score\":0");
    assert_has(r, "{\"id\":\"defence-tie\",\"verdict\":\"clear\",\"score\":0,\"reviewed\":{"
                  "\"id\":\"rv-2\",\"decision\":\"accepted\"");
    assert_has(r, "\"lowered_from\":{\"verdict\":\"review\",\"score\":60}");
    assert_has(r, "Rule defence-tie was accepted for this tie by review rv-2");
    free(r);
    /* Another activity: the decision is not about it. */
    r = screen(f->rs, "{\"partner\":{\"name\":\"Beijing Institute of Technology\","
                      "\"country\":\"CN\"},\"activity\":\"research_partnership\"}");
    assert_has(r, "\"verdict\":\"review\",\"score\":60");
    assert_lacks(r, "reviewed");
    free(r);
    /* A prohibition is not lifted: rv-6 is inert. */
    r = screen(f->rs, "{\"partner\":{\"name\":\"Northwestern Polytechnical University\","
                      "\"country\":\"CN\"},\"activity\":\"co_authorship\"}");
    assert_has(r, "\"verdict\":\"prohibited\"");
    assert_lacks(r, "rv-6");
    free(r);
}

static void
test_states(void **state)
{
    fx_t *f = *state;
    char *text = reviews_text();
    char *errs = load(f, text);
    free(text);
    assert_string_equal(errs, "");
    free(errs);
    assert_int_equal(f->rs->n_reviews, 6);
    time_t now = time(NULL);
    rs_review_state_t want[] = {RS_REVIEW_ACTIVE,    RS_REVIEW_ACTIVE, RS_REVIEW_EXPIRED,
                                RS_REVIEW_WITHDRAWN, RS_REVIEW_INERT,  RS_REVIEW_INERT};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(ruleset_review_state(&f->rs->reviews[i], now), want[i]);
    assert_string_equal(f->rs->reviews[4].inert, "names no organisation or person of this ruleset");
    assert_non_null(strstr(f->rs->reviews[5].inert, "does not lift a prohibition"));
    /* In force through its last day, out from the next. */
    const rs_review_t *r1 = &f->rs->reviews[0];
    assert_int_equal(r1->until % 86400, 0);
    assert_int_equal(ruleset_review_state(r1, (time_t)r1->until - 1), RS_REVIEW_ACTIVE);
    assert_int_equal(ruleset_review_state(r1, (time_t)r1->until), RS_REVIEW_EXPIRED);
    assert_true(r1->until > now + 364 * 86400);
    /* Ran out, withdrawn: no longer acts. */
    char *r = screen(f->rs, "{\"partner\":{\"name\":\"Sirius\",\"country\":\"FR\"}}");
    assert_has(r, "\"verdict\":\"prohibited\"");
    free(r);
    r = screen(f->rs, "{\"partner\":{\"name\":\"Sirius\",\"country\":\"DE\"}}");
    assert_has(r, "\"verdict\":\"prohibited\"");
    free(r);
}

static void
test_missing_file_is_an_empty_register(void **state)
{
    fx_t *f = *state;
    char *errs = load(f, NULL);
    assert_string_equal(errs, "");
    free(errs);
    assert_int_equal(f->rs->n_reviews, 0);
    assert_string_equal(f->rs->reviews_digest, "");
}

/* A register that does not read keeps none of it: the caller keeps its
 * last good one. Every mistake is reported at its line. */
static void
test_errors_at_their_line(void **state)
{
    fx_t *f = *state;
    char *errs =
        load(f, "reviews = (\n"
                "  { id = \"rv-1\"; decision = \"not_entiy\"; entity = \"sirius\"; name = "
                "\"S\";\n"
                "    by = \"a\"; on = \"2026-12-01\"; reason = \"r\"; expires = "
                "\"2027-01-01\"; ref = \"R\"; },\n"
                "  { id = \"rv-2\"; decision = \"not_entity\"; entity = \"sirius\"; name = "
                "\"S\";\n"
                "    on = \"2026-12-01\"; reason = \"r\"; expires = \"2027-02-30\"; ref = "
                "\"R\"; },\n"
                "  { id = \"rv-3\"; decision = \"not_entity\"; entity = \"sirius\"; name = "
                "\"S\";\n"
                "    by = \"a\"; on = \"2026-12-01\"; reason = \"r\"; expires = "
                "\"2031-01-01\"; ref = \"R\"; },\n"
                "  { id = \"rv-3\"; decision = \"accepted\"; entity = \"bit\"; name = "
                "\"S\"; activity = \"co_authorship\"; rule = \"defence-tie\";\n"
                "    by = \"a\"; on = \"2026-12-01\"; reason = \"r\"; expires = "
                "\"2027-01-01\"; ref = \"R\"; colour = \"red\"; },\n"
                "  { id = \"rv-5\"; decision = \"not_entity\"; entity = \"sirius\"; name = "
                "\"S\"; country = \"Canada\";\n"
                "    by = \"a\"; on = \"2026-12-01\"; reason = \"r\"; expires = "
                "\"2027-01-01\"; ref = \"R\"; },\n"
                "  { id = \"rv-6\"; decision = \"not_entity\"; entity = \"sirius\"; name = "
                "\"S\";\n"
                "    by = \"a\"; on = \"2026-12-01\"; reason = \"r\"; expires = "
                "\"2027-01-01\"; ref = \"R\"; },\n"
                "  { id = \"rv-6\"; decision = \"not_entity\"; entity = \"sirius\"; name = "
                "\"S\";\n"
                "    by = \"a\"; on = \"2026-12-01\"; reason = \"r\"; expires = "
                "\"2027-01-01\"; ref = \"R\"; }\n"
                ");\n");
    const char *want[] = {
        "reviews.cfg:2: review \"rv-1\": decision must be \"not_entity\" or \"accepted\", not "
        "\"not_entiy\"",
        "reviews.cfg:4: review \"rv-2\": missing \"by\"",
        "reviews.cfg:5: review \"rv-2\": expires must be a date YYYY-MM-DD, not \"2027-02-30\"",
        "reviews.cfg:7: review \"rv-3\": expires must be on or after its date (2026-12-01) and at "
        "most 1096 days later, not 2031-01-01",
        "reviews.cfg:8: review \"rv-3\": a decision \"accepted\" names no name",
        "reviews.cfg:9: unknown setting \"colour\" in review \"rv-3\"",
        "reviews.cfg:10: review \"rv-5\": country must be an ISO 3166-1 alpha-2 code (\"CN\"), not "
        "\"Canada\"",
        "reviews.cfg:14: review \"rv-6\": id used twice (first at line 12)",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_has(errs, want[i]);
    free(errs);
    assert_int_equal(f->rs->n_reviews, 0);
    /* Not a register at all. */
    errs = load(f, "reviews = ( \"rv-1\" );\nnotes = 3;\n");
    assert_has(errs, "reviews.cfg:2: unknown setting \"notes\"");
    assert_has(errs, "reviews.cfg:1: reviews[0]: expected a group { ... }");
    free(errs);
    errs = load(f, "reviews = ( { id = \"rv-1\" ");
    assert_has(errs, "reviews.cfg:1: syntax error");
    free(errs);
}

/* What the daemon writes (ruleset_reviews_format) reads back the same,
 * awkward characters included. */
static void
test_format_reads_back(void **state)
{
    fx_t *f = *state;
    char *text = reviews_text();
    char *errs = load(f, text);
    free(text);
    assert_string_equal(errs, "");
    free(errs);
    rs_review_t v[7];
    memcpy(v, f->rs->reviews, 6 * sizeof *v);
    v[6] = v[0];
    v[6].id = "rv-7";
    v[6].name = "Sirius \"Ltd\" \\ Toronto\tbranch";
    v[6].reason = "line one\nline two; ünïcødé";
    sbuf_t b = SBUF_INIT;
    ruleset_reviews_format(&b, v, 7);
    assert_false(b.oom);
    ruleset_t *rs2 = tu_rsdir_load(f->dir);
    tu_write_file(f->path, b.data);
    diag_t *d = diag_new(0);
    assert_int_equal(ruleset_load_reviews(rs2, f->path, d), 0);
    diag_destroy(&d);
    assert_int_equal(rs2->n_reviews, 7);
    for (size_t i = 0; i < 7; i++) {
        const rs_review_t *a = &v[i], *c = &rs2->reviews[i];
        assert_string_equal(a->id, c->id);
        assert_int_equal(a->kind, c->kind);
        assert_string_equal(a->entity_id, c->entity_id);
        assert_string_equal(a->reason, c->reason);
        assert_string_equal(a->expires, c->expires);
        assert_int_equal(a->name == NULL, c->name == NULL);
        if (a->name != NULL)
            assert_string_equal(a->name, c->name);
        assert_int_equal(a->expired_on == NULL, c->expired_on == NULL);
        assert_int_equal(a->until, c->until);
        assert_int_equal(a->inert == NULL, c->inert == NULL);
    }
    sbuf_free(&b);
    ruleset_destroy(&rs2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_not_entity_dismisses_that_name_in_that_country, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_accepted_tie_lowers_its_rule_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_an_empty_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_at_their_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_reads_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
