/* SPDX-License-Identifier: Apache-2.0 */
/* test_review.c -- the review register through the real daemon and the
 * real `vet` (issue 15, part 1): a reviewed false positive stops coming
 * back, an accepted tie counts for nothing, a prohibition cannot be
 * accepted, a withdrawn entry stops working, every edit is in the audit
 * log, a register that does not read or a ruleset that does not load
 * leaves the last good state serving, and `vetd --check` lists what is
 * not in force. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "testutil.h"
#include "vet.h"

static const char *TAX = "categories = ( { code = \"ai\"; label = \"AI\"; } );\n";

static const char *POLICY =
    "version = \"rv1\";\n"
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
    "  { id = \"bit\"; name = \"Beijing Institute of Technology\"; country = \"CN\";\n"
    "    lists = [ \"dl\" ]; sources = [ \"the list, row 3\" ]; }\n"
    ");\n";

/* The ruleset's own cases (every load runs them): the rules as written,
 * without any decision of the register. */
static const char *CASES =
    "cases = (\n"
    "  { name = \"Sirius is sanctioned\"; request = { partner = { name = \"Sirius\"; \n"
    "      country = \"CA\"; }; }; expect = { verdict = \"prohibited\"; }; },\n"
    "  { name = \"BIT is a defence tie\"; request = { partner = { name = \n"
    "      \"Beijing Institute of Technology\"; }; activity = \"co_authorship\"; };\n"
    "    expect = { verdict = \"review\"; rules = [ \"defence-tie\" ]; }; }\n"
    ");\n";

typedef struct fx {
    tu_vetd_t d;    /* the daemon */
    char until[16]; /* an expiry date a month ahead */
} fx_t;

static void
put(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tu_write_file(path, text);
}

static int
setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (f == NULL || tu_vetd_init(&f->d, "review") != 0)
        return -1;
    char reg[256], cases[256];
    snprintf(reg, sizeof reg, "%s/registry", f->d.rules);
    snprintf(cases, sizeof cases, "%s/tests", f->d.rules);
    if (mkdir(f->d.rules, 0755) != 0 || mkdir(reg, 0755) != 0 || mkdir(cases, 0755) != 0)
        return -1;
    put(f->d.rules, "tests/cases.cfg", CASES);
    put(f->d.rules, "policy.cfg", POLICY);
    put(f->d.rules, "taxonomy.cfg", TAX);
    put(f->d.rules, "registry/r.cfg", REG);
    time_t later = time(NULL) + 30 * 86400;
    struct tm tm;
    strftime(f->until, sizeof f->until, "%Y-%m-%d", gmtime_r(&later, &tm));
    const char *args[] = {"-r", f->d.rules, "-e", f->d.ep, "-a", f->d.audit, "-w", "2", NULL};
    if (tu_vetd_spawn(&f->d, args) != 0 || tu_vetd_wait(&f->d) != 0)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *f = *state;
    int rc = tu_vetd_stop(&f->d);
    tu_vetd_cleanup(&f->d);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* Runs `vet -e EP ARGS`. */
static tu_out_t
vet(const fx_t *f, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s -e %s %s", tu_env_or("VET_BIN", "bin/vet"), f->d.ep, args);
    return tu_sh(cmd);
}

/* The audit log once it holds want (the writer is asynchronous). */
static char *
audit_with(const fx_t *f, const char *want)
{
    uint64_t end = tu_now_ms() + 5000;
    char *text = NULL;
    while (tu_now_ms() < end) {
        free(text);
        text = tu_read_file(f->d.audit, NULL);
        if (text != NULL && strstr(text, want) != NULL)
            return text;
        usleep(10000);
    }
    fail_msg("audit log lacks %s:\n%s", want, text ? text : "(none)");
    return NULL;
}

static void
test_false_positive_dismissed_then_withdrawn(void **state)
{
    fx_t *f = *state;
    tu_out_t o = vet(f, "screen --name Sirius --country CA");
    tu_out_expect(&o, VET_EXIT_PROHIBITED, "prohibited", NULL);

    char args[1024];
    snprintf(args, sizeof args,
             "review add --not-entity sirius --name Sirius --country CA --by a.lee "
             "--reason 'a Toronto software firm, not JSC Sirius' --expires %s --ref RS-118",
             f->until);
    o = vet(f, args);
    tu_out_expect(&o, EX_OK, "added rv-1", NULL);

    /* The same name, normalised, in that country: dismissed, shown. */
    o = vet(f, "screen --name SIRIUS. --country CA --json");
    if (o.status != VET_EXIT_CLEAR || !strstr(o.out, "\"verdict\":\"clear\"") ||
        !strstr(o.out, "\"dismissed\":[{\"entity\":\"sirius\"") ||
        !strstr(o.out, "\"reviewed\":{\"id\":\"rv-1\",\"decision\":\"not_entity\""))
        fail_msg("exit %d:\n%s\n%s", o.status, o.out, o.err);
    tu_out_free(&o);
    /* Without a country, it is not the name the reviewer cleared. */
    o = vet(f, "screen --name Sirius");
    tu_out_expect(&o, VET_EXIT_PROHIBITED, NULL, NULL);

    /* The same decision twice, a prohibition, an unknown organisation: refused. */
    o = vet(f, args);
    tu_out_expect(&o, EX_DATAERR, NULL, "already decided by rv-1");
    snprintf(args, sizeof args,
             "review add --accept sirius --activity co_authorship --rule sanctioned --by a "
             "--reason r --expires %s --ref R",
             f->until);
    o = vet(f, args);
    tu_out_expect(&o, EX_DATAERR, NULL, "does not lift a prohibition");
    snprintf(args, sizeof args,
             "review add --not-entity siruis --name Sirius --by a --reason r --expires %s --ref R",
             f->until);
    o = vet(f, args);
    tu_out_expect(&o, EX_DATAERR, NULL,
                  "\"siruis\" is not an organisation or person of the ruleset");
    o = vet(f,
            "review add --not-entity sirius --name Sirius --by a --reason r --expires 2020-01-01 "
            "--ref R");
    tu_out_expect(&o, EX_DATAERR, NULL, "review.expires: 2020-01-01 must be today or later");
    o = vet(f, "review add --name Sirius");
    tu_out_expect(&o, EX_USAGE, NULL, "--not-entity ENTITY or --accept ENTITY");

    o = vet(f, "review list");
    tu_out_expect(&o, EX_OK, "rv-1  active  not_entity sirius: name \"Sirius\", country CA", NULL);

    o = vet(f, "review expire rv-1 --by c.boss --reason 'the firm was sold'");
    tu_out_expect(&o, EX_OK, "withdrawn rv-1", NULL);
    o = vet(f, "screen --name Sirius --country CA");
    tu_out_expect(&o, VET_EXIT_PROHIBITED, NULL, NULL);
    o = vet(f, "review expire rv-1 --by c.boss --reason again");
    tu_out_expect(&o, EX_DATAERR, NULL, "already withdrawn");

    /* The record: the edit with who and why, its reply with the entry
     * as written, the screen it changed with the decision. */
    char *audit = audit_with(f, "\"action\":\"expire\"");
    assert_non_null(strstr(audit, "\"op\":\"review\",\"action\":\"add\",\"review\":{\"decision\":"
                                  "\"not_entity\",\"entity\":\"sirius\",\"name\":\"Sirius\""));
    assert_non_null(strstr(audit, "\"reply\":{\"id\":"));
    assert_non_null(strstr(audit, "\"review\":{\"id\":\"rv-1\",\"decision\":\"not_entity\""));
    assert_non_null(strstr(audit, "\"verdict\":\"clear\""));
    /* Listed in Russia, screened in Canada: the same name is a fuzzy match. */
    assert_non_null(strstr(audit, "\"reviewed\":[{\"entity\":\"sirius\",\"matched\":\"Sirius\","
                                  "\"method\":\"fuzzy\",\"score\":0."));
    assert_non_null(strstr(audit, ",\"review\":\"rv-1\",\"decision\":\"not_entity\"}]"));
    assert_non_null(strstr(audit, "\"expired_by\":\"c.boss\""));
    free(audit);

    /* On disk, and what vetd --check says of it. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --check -r %s --reviews %s", tu_env_or("VETD_BIN", "bin/vetd"),
             f->d.rules, f->d.reviews);
    o = tu_sh(cmd);
    tu_out_expect(&o, EX_OK, "reviews: 1 in", NULL);
    o = tu_sh(cmd);
    tu_out_expect(&o, EX_OK, "review rv-1 (", NULL);
    o = tu_sh(cmd);
    tu_out_expect(&o, EX_OK, "withdrawn on ", NULL);
}

static void
test_accepted_tie_and_last_good_register(void **state)
{
    fx_t *f = *state;
    tu_out_t o = vet(f, "screen --name 'Beijing Institute of Technology' --country CN "
                        "--activity co_authorship");
    tu_out_expect(&o, VET_EXIT_REVIEW, NULL, NULL);
    char args[1024];
    snprintf(args, sizeof args,
             "review add --accept bit --activity co_authorship --rule defence-tie --by b.chen "
             "--reason 'a review article, no defence funding' --expires %s --ref RS-120",
             f->until);
    o = vet(f, args);
    tu_out_expect(&o, EX_OK, "added rv-1", NULL);
    o = vet(f,
            "screen --name 'Beijing Institute of Technology' --country CN --activity co_authorship "
            "--json");
    if (o.status != VET_EXIT_CLEAR ||
        !strstr(o.out, "{\"id\":\"defence-tie\",\"verdict\":\"clear\",\"score\":0,\"reviewed\":") ||
        !strstr(o.out, "\"lowered_from\":{\"verdict\":\"review\",\"score\":60}"))
        fail_msg("exit %d:\n%s\n%s", o.status, o.out, o.err);
    tu_out_free(&o);
    /* Another activity is another question. */
    o = vet(f, "screen --name 'Beijing Institute of Technology' --country CN "
               "--activity research_partnership");
    tu_out_expect(&o, VET_EXIT_REVIEW, NULL, NULL);

    /* A register broken by hand: the reload is refused with file:line,
     * the last good register keeps working. */
    char *before = tu_read_file(f->d.reviews, NULL);
    assert_non_null(before);
    tu_write_file(f->d.reviews, "reviews = ( { id = \"rv-1\"; decision = \"acepted\"; } );\n");
    o = vet(f, "reload");
    tu_out_expect(&o, EX_DATAERR, NULL, "reviews.cfg:1: review \"rv-1\": decision must be");
    o = vet(
        f, "screen --name 'Beijing Institute of Technology' --country CN --activity co_authorship");
    tu_out_expect(&o, VET_EXIT_CLEAR, NULL, NULL);
    tu_write_file(f->d.reviews, before);

    /* A ruleset that does not load: the edit is refused by the gates,
     * the register and the ruleset serving stay as they were. */
    put(f->d.rules, "policy.cfg", "version = \"rv1\"; verdicts = [ \"clear\" ");
    o = vet(f, "review expire rv-1 --by c --reason r");
    tu_out_expect(&o, EX_DATAERR, NULL, "refused; the register is unchanged");
    char *after = tu_read_file(f->d.reviews, NULL);
    assert_string_equal(before, after);
    free(after);
    o = vet(
        f, "screen --name 'Beijing Institute of Technology' --country CN --activity co_authorship");
    tu_out_expect(&o, VET_EXIT_CLEAR, NULL, NULL);
    /* Nothing left behind beside the register. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp", f->d.dir);
    o = tu_sh(cmd);
    tu_out_expect(&o, 1, "0", NULL);
    put(f->d.rules, "policy.cfg", POLICY);
    free(before);
}

/* Who asked (context.user) and what matched, as the audit keeps them. */
static void
test_audit_names_user_and_matches(void **state)
{
    fx_t *f = *state;
    vet_client_t *c = vet_client_new(f->d.ep);
    assert_non_null(c);
    cJSON *j = tu_call(c, "{\"id\":\"grant-4711\",\"partner\":{\"name\":\"JSC Sirius\"},"
                          "\"context\":{\"user\":\"j.doe@example.edu\"}}");
    assert_string_equal(tu_jstr(j, "verdict"), "prohibited");
    cJSON_Delete(j);
    vet_client_destroy(&c);
    char *audit = audit_with(f, "\"id\":\"grant-4711\"");
    assert_non_null(strstr(audit, "\"id\":\"grant-4711\",\"user\":\"j.doe@example.edu\""));
    assert_non_null(strstr(audit, "\"matches\":[{\"entity\":\"sirius\",\"matched\":\"JSC Sirius\","
                                  "\"method\":\"exact\",\"score\":1.00}]"));
    free(audit);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_false_positive_dismissed_then_withdrawn, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_accepted_tie_and_last_good_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_names_user_and_matches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
