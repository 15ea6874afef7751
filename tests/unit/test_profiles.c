/* SPDX-License-Identifier: Apache-2.0 */
/* test_profiles.c -- jurisdiction profiles, country groups and regions
 * (issue 13): policy.cfg's `profiles`, `default_profile` and
 * `country_groups`, words.cfg's `regions`; how a request picks a profile
 * and how partner.region is given or revealed by a place name; and a
 * list's edition (issue 14: as_of, max_age_days: the version, the stale
 * warning of every reply, the lists of version and stats); every mistake
 * in them refused at load with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "diag.h"
#include "proto.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"
#include "testutil.h"

typedef tu_rsdir_t tdir_t;

static const char *TAX = "categories = ( { code = \"ai\"; label = \"AI\"; } );\n";

static const char *HEAD =
    "version = \"p1\";\n"
    "verdicts = [ \"clear\", \"review\", \"prohibited\" ];\n"
    "activities = [ \"research_partnership\", \"funding\" ];\n"
    "country_groups = (\n"
    "  { id = \"fcoc\"; label = \"Foreign country of concern\"; countries = [ \"CN\", \"IR\" ];\n"
    "    cite = \"statute\"; },\n"
    "  { id = \"occupied\"; label = \"Occupied regions\"; countries = [ \"UA-43\", \"UA-40\" ];\n"
    "    cite = \"order\"; }\n"
    ");\n"
    "rules = (\n"
    "  { id = \"ca-listed\"; when = \"partner.lists has \\\"l1\\\"\"; verdict = \"prohibited\";\n"
    "    score = 100; reason = \"listed\"; cite = \"ca\"; },\n"
    "  { id = \"us-fcoc-funding\"; when = \"activity == \\\"funding\\\" and partner.country in "
    "countries(\\\"fcoc\\\")\";\n"
    "    verdict = \"review\"; score = 40; reason = \"fcoc\"; cite = \"us\"; },\n"
    "  { id = \"us-region\"; when = \"partner.region in countries(\\\"occupied\\\")\";\n"
    "    verdict = \"review\"; score = 50; reason = \"region\"; cite = \"us\"; }\n"
    ");\n";

static const char *PROFILES =
    "default_profile = \"all\";\n"
    "profiles = (\n"
    "  { id = \"ca\"; label = \"Canada\"; rules = [ \"ca-*\" ]; },\n"
    "  { id = \"us\"; label = \"United States\"; description = \"US rules\";\n"
    "    rules = [ \"us-fcoc-funding\", \"us-region\" ]; },\n"
    "  { id = \"all\"; label = \"Everything\"; rules = [ \"*\" ]; }\n"
    ");\n";

static const char *REG = "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
                         "organisations = (\n"
                         "  { id = \"a\"; name = \"Alpha Institute of Technology\"; country = "
                         "\"CN\";\n"
                         "    lists = [ \"l1\" ]; sources = [ \"s\" ]; }\n"
                         ");\n";

static const char *WORDS =
    "regions = (\n"
    "  { code = \"UA-40\"; name = \"Sevastopol\"; places = [ \"Sevastopol\", \"Севастополь\" ]; "
    "},\n"
    "  { code = \"UA-43\"; name = \"Crimea\"; places = [ \"Crimea\", \"Simferopol\" ]; }\n"
    ");\n";

static int
setup(void **state)
{
    *state = tu_rsdir_new("prof");
    return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    tdir_t *t = *state;
    return tu_rsdir_destroy(&t);
}

/* Writes the ruleset: policy = HEAD + extra. */
static void
make(const tdir_t *t, const char *extra, const char *words)
{
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, HEAD);
    sbuf_puts(&b, extra);
    tu_rsdir_put(t, "policy.cfg", b.data);
    sbuf_free(&b);
    tu_rsdir_put(t, "taxonomy.cfg", TAX);
    tu_rsdir_put(t, "registry/a.cfg", REG);
    if (words != NULL)
        tu_rsdir_put(t, "words.cfg", words);
}

/* Every error of a failed load, joined, the directory as "D". */
static char *
load_errors(const tdir_t *t)
{
    return tu_ruleset_errors(t->path);
}

static void
assert_has(const char *errs, const char *want)
{
    if (strstr(errs, want) == NULL) {
        print_error("missing:\n  %s\nin:\n%s", want, errs);
        fail();
    }
}

/* Screens the JSON request json; returns the reply JSON (caller frees)
 * or the error message prefixed "error: ". With dflt, the caller's
 * default profile (the daemon's). */
static char *
screen(const ruleset_t *rs, const char *json, const char *dflt)
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
        req.default_profile = dflt;
        result_t res;
        if (screen_run(rs, &req, a, &res) != 0)
            sbuf_printf(&b, "error: %s", res.errmsg);
        else
            proto_write_result(&b, rs, &req, &res, 0);
    }
    arena_destroy(&a);
    return sbuf_take(&b);
}

static void
expect_reply(const ruleset_t *rs, const char *json, const char *dflt, const char *want)
{
    char *got = screen(rs, json, dflt);
    if (strstr(got, want) == NULL) {
        print_error("request %s\nwanted: %s\ngot:    %s\n", json, want, got);
        fail();
    }
    free(got);
}

static void
expect_not(const ruleset_t *rs, const char *json, const char *dflt, const char *unwanted)
{
    char *got = screen(rs, json, dflt);
    if (strstr(got, unwanted) != NULL) {
        print_error("request %s\nunwanted: %s\ngot:      %s\n", json, unwanted, got);
        fail();
    }
    free(got);
}

static void
test_profiles_pick_rules(void **state)
{
    tdir_t *t = *state;
    make(t, PROFILES, WORDS);
    ruleset_t *rs = tu_rsdir_load(t);
    assert_int_equal(rs->n_profiles, 3);
    assert_string_equal(rs->profiles[rs->default_profile].id, "all");
    assert_int_equal(rs->profiles[0].n_rules, 1); /* "ca-*" */
    assert_int_equal(rs->profiles[2].n_rules, 3); /* "*" */

    const char *listed = "{\"partner\":{\"name\":\"Alpha Institute of Technology\"},"
                         "\"activity\":\"funding\"%s}";
    char req[256];
    /* No profile: the ruleset's default, "all": both rules. */
    snprintf(req, sizeof req, listed, "");
    expect_reply(rs, req, NULL, "\"verdict\":\"prohibited\"");
    expect_reply(rs, req, NULL, "\"id\":\"us-fcoc-funding\"");
    expect_reply(rs, req, NULL, "\"profile\":\"all\"");
    /* The US profile does not hold the Canadian list rule. */
    snprintf(req, sizeof req, listed, ",\"profile\":\"us\"");
    expect_reply(rs, req, NULL, "\"verdict\":\"review\"");
    expect_not(rs, req, NULL, "ca-listed");
    expect_reply(rs, req, NULL, "\"profile\":\"us\"");
    /* The Canadian one holds only it. */
    snprintf(req, sizeof req, listed, ",\"profile\":\"ca\"");
    expect_reply(rs, req, NULL, "\"verdict\":\"prohibited\"");
    expect_not(rs, req, NULL, "us-fcoc-funding");
    /* The caller's default (the daemon's) replaces the ruleset's; the
     * request's own profile wins over both. */
    snprintf(req, sizeof req, listed, "");
    expect_reply(rs, req, "ca", "\"profile\":\"ca\"");
    snprintf(req, sizeof req, listed, ",\"profile\":\"us\"");
    expect_reply(rs, req, "ca", "\"profile\":\"us\"");
    /* An unknown profile is refused, never judged by another. */
    snprintf(req, sizeof req, listed, ",\"profile\":\"uss\"");
    expect_reply(rs, req, NULL, "error: profile: unknown profile \"uss\" (did you mean \"us\"?)");
    snprintf(req, sizeof req, listed, ",\"profile\":\"eu-horizon\"");
    expect_reply(rs, req, NULL,
                 "error: profile: unknown profile \"eu-horizon\" (profiles: ca, "
                 "us, all)");
    snprintf(req, sizeof req, listed, "");
    expect_reply(rs, req, "gone", "error: the daemon's default profile: unknown profile \"gone\"");

    /* The profiles op lists them, rules in policy order. */
    sbuf_t b = SBUF_INIT;
    proto_write_profiles(&b, rs, "p-1", NULL);
    assert_non_null(strstr(b.data, "{\"id\":\"p-1\",\"default\":\"all\",\"profiles\":[{\"id\":"
                                   "\"ca\",\"label\":\"Canada\",\"rules\":[\"ca-listed\"]},"));
    assert_non_null(strstr(b.data, "{\"id\":\"us\",\"label\":\"United States\",\"description\":"
                                   "\"US rules\",\"rules\":[\"us-fcoc-funding\",\"us-region\"]}"));
    sbuf_free(&b);
    ruleset_destroy(&rs);
}

static void
test_no_profiles_is_all(void **state)
{
    tdir_t *t = *state;
    make(t, "", NULL);
    ruleset_t *rs = tu_rsdir_load(t);
    assert_int_equal(rs->n_profiles, 1);
    assert_string_equal(rs->profiles[0].id, "all");
    assert_int_equal(rs->profiles[0].n_rules, rs->n_rules);
    expect_reply(rs, "{\"partner\":{\"name\":\"Alpha Institute of Technology\"}}", NULL,
                 "\"profile\":\"all\"");
    ruleset_destroy(&rs);
}

static void
test_country_groups_and_regions(void **state)
{
    tdir_t *t = *state;
    make(t, PROFILES, WORDS);
    ruleset_t *rs = tu_rsdir_load(t);
    /* A country of a group, from the request (no registry match). */
    expect_reply(rs,
                 "{\"partner\":{\"name\":\"Some Lab\",\"country\":\"IR\"},\"activity\":"
                 "\"funding\"}",
                 NULL, "\"id\":\"us-fcoc-funding\"");
    expect_not(rs,
               "{\"partner\":{\"name\":\"Some Lab\",\"country\":\"DE\"},\"activity\":"
               "\"funding\"}",
               NULL, "us-fcoc-funding");
    /* A region given by the request, upper-cased, shown with its name. */
    expect_reply(rs, "{\"partner\":{\"name\":\"Some Lab\",\"region\":\"ua-43\"}}", NULL,
                 "\"region\":{\"code\":\"UA-43\",\"name\":\"Crimea\",\"from\":\"request\"}");
    expect_reply(rs, "{\"partner\":{\"name\":\"Some Lab\",\"region\":\"UA-43\"}}", NULL,
                 "\"id\":\"us-region\"");
    /* A region revealed by a place name in the name, or in an alias, in
     * any case, in Cyrillic; the reply says which place. */
    expect_reply(rs, "{\"partner\":{\"name\":\"SEVASTOPOL State University\",\"country\":\"RU\"}}",
                 NULL,
                 "\"region\":{\"code\":\"UA-40\",\"name\":\"Sevastopol\",\"from\":\"name\","
                 "\"place\":\"sevastopol\"}");
    expect_reply(rs,
                 "{\"partner\":{\"name\":\"SevGU\",\"aliases\":[\"Севастопольский "
                 "университет\",\"Севастополь Университет\"]}}",
                 NULL, "\"id\":\"us-region\"");
    /* Whole words only: "Crimean" is not "Crimea" unless declared. */
    expect_not(rs, "{\"partner\":{\"name\":\"Crimean Institute\"}}", NULL, "\"region\"");
    /* The request's region wins over a place in the name. */
    expect_reply(rs, "{\"partner\":{\"name\":\"Sevastopol Lab\",\"region\":\"UA-43\"}}", NULL,
                 "\"code\":\"UA-43\"");
    /* A malformed region is a bad request. */
    expect_reply(rs, "{\"partner\":{\"name\":\"x\",\"region\":\"Crimea\"}}", NULL,
                 "error: partner.region: expected an ISO 3166-2 subdivision code");
    ruleset_destroy(&rs);
}

static void
test_profile_errors(void **state)
{
    tdir_t *t = *state;
    make(t,
         "default_profile = \"al\";\n"
         "profiles = (\n"
         "  { id = \"ca\"; label = \"Canada\"; rules = [ \"ca-listd\" ]; },\n"
         "  { id = \"ca\"; label = \"Again\"; rules = [ \"ca-*\" ]; },\n"
         "  { id = \"us\"; label = \"US\"; rules = [ ]; },\n"
         "  { id = \"eu\"; label = \"EU\"; rules = [ \"eu-*\" ]; },\n"
         "  { id = \"x\"; rules = [ \"*\" ]; lable = \"typo\"; },\n"
         "  { id = \"all\"; label = \"All\"; rules = [ \"*\" ]; }\n"
         ");\n",
         NULL);
    char *e = load_errors(t);
    /* HEAD has 17 lines. */
    assert_has(e, "D/policy.cfg:18: default_profile: unknown profile \"al\" (did you mean "
                  "\"all\"?)");
    assert_has(e, "D/policy.cfg:20: profile \"ca\": \"ca-listd\" names no rule (did you mean "
                  "\"ca-listed\"?)");
    assert_has(e, "D/policy.cfg:21: duplicate profile id \"ca\"");
    assert_has(e, "D/policy.cfg:22: profile \"us\": rules is empty: every partner would be clear");
    assert_has(e, "D/policy.cfg:23: profile \"eu\": \"eu-*\" names no rule");
    assert_has(e, "D/policy.cfg:24: unknown setting \"lable\"");
    assert_has(e, "D/policy.cfg:24: profile \"x\": missing \"label\"");
    free(e);

    /* Profiles without a default, a default without profiles. */
    make(t, "profiles = ( { id = \"ca\"; label = \"Canada\"; rules = [ \"*\" ]; } );\n", NULL);
    e = load_errors(t);
    assert_has(e, "D/policy.cfg: policy: missing \"default_profile\"");
    free(e);
    make(t, "default_profile = \"all\";\n", NULL);
    e = load_errors(t);
    assert_has(e, "D/policy.cfg:18: default_profile names a profile, but the policy declares no "
                  "profiles");
    free(e);
}

static void
test_group_and_region_errors(void **state)
{
    tdir_t *t = *state;
    make(t, "", NULL);
    char bad[4096];
    snprintf(bad, sizeof bad, "%s",
             "version = \"p1\";\n"
             "verdicts = [ \"clear\", \"review\" ];\n"
             "country_groups = (\n"
             "  { id = \"g\"; label = \"G\"; countries = [ \"ir\", \"UA-43\", \"Iran\", \"IR\", "
             "\"IR\" ];\n"
             "    cite = \"c\"; },\n"
             "  { id = \"g\"; label = \"G2\"; countries = [ \"CN\" ]; cite = \"c\"; },\n"
             "  { id = \"h\"; label = \"H\"; countries = [ ]; }\n"
             ");\n"
             "rules = (\n"
             "  { id = \"r\"; when = \"partner.country in countries(\\\"gg\\\")\"; verdict = "
             "\"review\";\n"
             "    score = 1; reason = \"r\"; cite = \"c\"; },\n"
             "  { id = \"s\"; when = \"partner.country in region(\\\"g\\\")\"; verdict = "
             "\"review\";\n"
             "    score = 1; reason = \"r\"; cite = \"c\"; }\n"
             ");\n");
    tu_rsdir_put(t, "policy.cfg", bad);
    tu_rsdir_put(t, "words.cfg",
                 "regions = (\n"
                 "  { code = \"UA43\"; name = \"Crimea\"; places = [ \"Crimea\" ]; },\n"
                 "  { code = \"UA-43\"; name = \"Crimea\"; places = [ \"Crimea\" ]; },\n"
                 "  { code = \"UA-40\"; name = \"Sevastopol\"; places = [ \"Crimea\" ]; },\n"
                 "  { code = \"UA-14\"; name = \"Donetsk\"; }\n"
                 ");\n");
    char *e = load_errors(t);
    assert_has(e, "D/policy.cfg:4: country group \"g\": \"ir\" is not an upper-case ISO 3166-1 "
                  "alpha-2 code");
    assert_has(e, "D/policy.cfg:4: country group \"g\": \"Iran\" is not an upper-case");
    assert_has(e, "D/policy.cfg:4: country group \"g\": \"IR\" is listed twice");
    assert_has(e, "D/policy.cfg:6: duplicate country group id \"g\"");
    assert_has(e, "D/policy.cfg:7: country group \"h\": countries is empty");
    assert_has(e, "D/policy.cfg:7: country group \"h\": missing \"cite\"");
    assert_has(e, "unknown country group \"gg\" (did you mean \"g\"?)");
    assert_has(e, "'in' takes a list [\"a\", ...] or countries(\"GROUP\") on its right");
    assert_has(e, "D/words.cfg:2: region \"UA43\": code must be an upper-case ISO 3166-2 code");
    assert_has(e, "D/words.cfg:4: region \"UA-40\": place \"crimea\" already reveals region UA-43");
    assert_has(e, "D/words.cfg:5: region \"UA-14\": missing \"places\"");
    free(e);
}

static void
test_content_digest_covers_profiles(void **state)
{
    tdir_t *t = *state;
    make(t, PROFILES, WORDS);
    ruleset_t *rs = tu_rsdir_load(t);
    char before[65];
    memcpy(before, rs->content, sizeof before);
    ruleset_destroy(&rs);
    /* The same rules, one moved from a profile: another meaning. */
    make(t,
         "default_profile = \"all\";\n"
         "profiles = (\n"
         "  { id = \"ca\"; label = \"Canada\"; rules = [ \"ca-*\", \"us-region\" ]; },\n"
         "  { id = \"us\"; label = \"United States\"; description = \"US rules\";\n"
         "    rules = [ \"us-fcoc-funding\", \"us-region\" ]; },\n"
         "  { id = \"all\"; label = \"Everything\"; rules = [ \"*\" ]; }\n"
         ");\n",
         WORDS);
    rs = tu_rsdir_load(t);
    assert_string_not_equal(before, rs->content);
    ruleset_destroy(&rs);
}

/* Writes the registry with list l1's edition settings (extra). */
static void
make_lists(const tdir_t *t, const char *extra)
{
    char reg[1024];
    snprintf(reg, sizeof reg,
             "lists = ( { id = \"l1\"; name = \"List one\"; %s } );\n"
             "organisations = (\n"
             "  { id = \"a\"; name = \"Alpha Institute of Technology\"; country = \"CN\";\n"
             "    lists = [ \"l1\" ]; sources = [ \"s\" ]; }\n"
             ");\n",
             extra);
    make(t, "", NULL);
    tu_rsdir_put(t, "registry/a.cfg", reg);
}

static void
test_list_editions(void **state)
{
    tdir_t *t = *state;
    /* Past its maximum age: every reply says so, and version and stats
     * list it as stale; the version carries the newest edition. */
    make_lists(t, "as_of = \"2020-01-15\"; max_age_days = 30;");
    ruleset_t *rs = tu_rsdir_load(t);
    assert_string_equal(rs->version, "p1+lists.20200115");
    assert_true(ruleset_list_stale(rs, 0, time(NULL)));
    const char *req = "{\"partner\":{\"name\":\"Someone Else\"}}";
    expect_reply(rs, req, NULL,
                 "\"stale\":[{\"list\":\"l1\",\"as_of\":\"2020-01-15\",\"max_age_days\":30}]");
    sbuf_t b = SBUF_INIT;
    proto_version_t v = {"test", 1, {4, 3, 4}, rs, 0};
    proto_write_version(&b, "v", &v);
    assert_non_null(strstr(b.data, "\"lists\":[{\"id\":\"l1\",\"name\":\"List one\","
                                   "\"authority\":null,\"url\":null,\"terms\":null,"
                                   "\"as_of\":\"2020-01-15\","
                                   "\"max_age_days\":30,\"entries\":1,\"stale\":true}]"));
    sbuf_free(&b);
    ruleset_destroy(&rs);

    /* Within its age: no warning. */
    make_lists(t, "as_of = \"2099-12-31\"; max_age_days = 7;");
    rs = tu_rsdir_load(t);
    expect_not(rs, req, NULL, "\"stale\"");
    ruleset_destroy(&rs);
    /* No edition recorded: the version is policy.cfg's, the list's
     * as_of null, never stale. */
    make_lists(t, "");
    rs = tu_rsdir_load(t);
    assert_string_equal(rs->version, "p1");
    proto_version_t v2 = {"test", 1, {4, 3, 4}, rs, 0};
    proto_write_version(&b, "v", &v2);
    assert_non_null(strstr(b.data, "{\"id\":\"l1\",\"name\":\"List one\",\"authority\":null,"
                                   "\"url\":null,\"terms\":null,\"as_of\":null,\"entries\":1,"
                                   "\"stale\":false}"));
    sbuf_free(&b);
    ruleset_destroy(&rs);

    /* Mistakes, at their line. */
    make_lists(t, "as_of = \"2026-02-30\";");
    char *e = load_errors(t);
    assert_has(e, "D/registry/a.cfg:1: list \"l1\": as_of must be a date YYYY-MM-DD, not "
                  "\"2026-02-30\"");
    free(e);
    make_lists(t, "as_of = \"2026-1-5\"; max_age_days = 0;");
    e = load_errors(t);
    assert_has(e, "as_of must be a date YYYY-MM-DD, not \"2026-1-5\"");
    assert_has(e, "D/registry/a.cfg:1: list \"l1\": max_age_days must be in 1..3650, not 0");
    free(e);
    make_lists(t, "max_age_days = 30;");
    e = load_errors(t);
    assert_has(e, "D/registry/a.cfg:1: list \"l1\": max_age_days needs as_of (the date it ages "
                  "from)");
    free(e);
}

/* A ruleset directory that is a link (vet-update's ROOT/current) is
 * followed once: the load reads the version it named, and says which. */
static void
test_load_through_link(void **state)
{
    tdir_t *t = *state;
    make(t, PROFILES, NULL);
    char link[128], want[128];
    snprintf(link, sizeof link, "%s.current", t->path);
    unlink(link);
    assert_int_equal(symlink(t->path, link), 0);
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(link, d);
    assert_non_null(rs);
    snprintf(want, sizeof want, "%s", t->path);
    assert_string_equal(rs->dir, want);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    unlink(link);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_profiles_pick_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_profiles_is_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_country_groups_and_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_and_region_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_digest_covers_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_editions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_through_link, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
