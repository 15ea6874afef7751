/* SPDX-License-Identifier: Apache-2.0 */
/* test_profile_clients.c -- jurisdiction profiles as a user drives them: a real
 * vetd serving a copy of the fixture ruleset with the profiles of
 * tests/fixtures/profiles/profiles.cfg, asked through libvet (the
 * "profile" field, the reply's "profile", the profiles op) and through
 * bin/vet (screen --profile, profiles, batch --profile and the profile
 * column or field). Needs $VETD_BIN, $VET_BIN and $VET_TESTS_DIR
 * (tests/run.sh sets them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vet.h"

#define HIT_REQ(id, more)                                                                          \
    "{\"id\":\"" id "\",\"partner\":{\"name\":\"Harbin Institute of Technology\",\"country\":"     \
    "\"CN\"},\"technologies\":[\"ai.ml\"],\"activity\":\"affiliation\"" more "}"

/* The captured run of one vet command. */
typedef struct result {
    int status; /* exit code */
    char *out;  /* stdout, owned */
    char *err;  /* stderr, owned */
} result_t;

/* A path under the tests directory ($VET_TESTS_DIR, default "tests"). */
static void
tests_path(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", tu_env_or("VET_TESTS_DIR", "tests"), rel);
}

/* Copies the fixture ruleset into d->rules, adds the profiles, starts
 * vetd on it and waits until it answers. */
static int
setup(void **state)
{
    tu_vetd_t *d = calloc(1, sizeof *d);
    if (d == NULL || tu_vetd_init(d, "profiles") != 0) {
        free(d);
        return -1;
    }
    *state = d;
    char good[256], frag[256], cmd[1024];
    tests_path(good, sizeof good, "fixtures/rulesets/good");
    tests_path(frag, sizeof frag, "fixtures/profiles/profiles.cfg");
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp -R %s/. %s/ && cat %s >> %s/policy.cfg", d->rules,
             good, d->rules, frag, d->rules);
    if (tu_run(cmd) != 0)
        return -1;
    const char *args[] = {"-r", d->rules, "-e", d->ep, "-a", d->audit, "-w", "2", NULL};
    if (tu_vetd_spawn(d, args) != 0 || tu_vetd_wait(d) != 0)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    tu_vetd_t *d = *state;
    if (d == NULL)
        return 0;
    tu_vetd_stop(d);
    tu_vetd_cleanup(d);
    free(d);
    return 0;
}

static void
result_free(result_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

/* Runs "vet -e EP ARGS" (args as the shell reads them) with stdin from
 * in (or /dev/null); collects its exit code and output. */
static result_t
vet(tu_vetd_t *d, const char *args, const char *in)
{
    char out[160], err[160], cmd[2048];
    snprintf(out, sizeof out, "%s/vet.out", d->dir);
    snprintf(err, sizeof err, "%s/vet.err", d->dir);
    snprintf(cmd, sizeof cmd, "timeout 30 %s -e '%s' %s < %s > %s 2> %s",
             tu_env_or("VET_BIN", "bin/vet"), d->ep, args, in != NULL ? in : "/dev/null", out, err);
    result_t r;
    r.status = tu_run(cmd);
    r.out = tu_read_file(out, NULL);
    r.err = tu_read_file(err, NULL);
    assert_non_null(r.out);
    assert_non_null(r.err);
    return r;
}

/* The request req through libvet; the parsed reply (caller deletes). */
static cJSON *
call(const tu_vetd_t *d, const char *req, char **text)
{
    vet_client_t *c = vet_client_new(d->ep);
    assert_non_null(c);
    char *reply = NULL;
    int rc = vet_screen(c, req, 5000, &reply);
    if (rc != VET_OK)
        fail_msg("vet_screen: %s", vet_client_error(c));
    vet_client_destroy(&c);
    cJSON *j = cJSON_Parse(reply);
    assert_non_null(j);
    if (text != NULL)
        *text = reply;
    else
        vet_free(reply);
    return j;
}

/* libvet: the same partner under each profile gets that profile's
 * verdict, and the reply names the profile, before the ruleset. */
static void
test_libvet_screen_by_profile(void **state)
{
    tu_vetd_t *d = *state;
    static const struct {
        const char *req, *profile, *verdict;
        int rules;
    } cases[] = {
        {HIT_REQ("p-1", ",\"profile\":\"ca-tri-agency\""), "ca-tri-agency", "prohibited", 2},
        {HIT_REQ("p-2", ",\"profile\":\"advisory\""), "advisory", "review", 1},
        {HIT_REQ("p-3", ",\"profile\":\"sanctions\""), "sanctions", "clear", 0},
        {HIT_REQ("p-4", ",\"profile\":\"all\""), "all", "prohibited", 2},
        /* None named, or null: the ruleset's default_profile. */
        {HIT_REQ("p-5", ""), "all", "prohibited", 2},
        {HIT_REQ("p-6", ",\"profile\":null"), "all", "prohibited", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = NULL;
        cJSON *r = call(d, cases[i].req, &text);
        const char *got = tu_jstr(r, "profile");
        if (got == NULL || strcmp(got, cases[i].profile) != 0)
            fail_msg("case %zu: profile %s, expected %s: %s", i, got ? got : "(none)",
                     cases[i].profile, text);
        assert_string_equal(tu_jstr(r, "verdict"), cases[i].verdict);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "rules")), cases[i].rules);
        /* "profile" comes before "ruleset", as docs/PROTOCOL.md shows it. */
        const char *p = strstr(text, "\"profile\":"), *rs = strstr(text, "\"ruleset\":");
        assert_non_null(p);
        assert_non_null(rs);
        assert_true(p < rs);
        vet_free(text);
        cJSON_Delete(r);
    }
    /* The sanctions profile still prohibits a sanctioned partner. */
    cJSON *r = call(d,
                    "{\"id\":\"p-7\",\"partner\":{\"name\":\"Beijing Alite Technologies Co., "
                    "Ltd.\"},\"profile\":\"sanctions\"}",
                    NULL);
    assert_string_equal(tu_jstr(r, "verdict"), "prohibited");
    assert_string_equal(tu_jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "rules"), 0), "id"),
                        "sdn-block");
    assert_string_equal(tu_jstr(r, "profile"), "sanctions");
    cJSON_Delete(r);
}

/* libvet: an unknown profile is a bad_request naming the field, with the
 * nearest profile, and the id echoed. */
static void
test_libvet_unknown_profile(void **state)
{
    tu_vetd_t *d = *state;
    cJSON *r = call(d, HIT_REQ("u-1", ",\"profile\":\"sanction\""), NULL);
    assert_string_equal(tu_jstr(r, "id"), "u-1");
    assert_string_equal(tu_jstr(r, "error.code"), "bad_request");
    const char *msg = tu_jstr(r, "error.message");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "profile: unknown profile \"sanction\""));
    assert_non_null(strstr(msg, "\"sanctions\""));
    assert_null(cJSON_GetObjectItem(r, "verdict"));
    cJSON_Delete(r);
    /* Not a string. */
    r = call(d, HIT_REQ("u-2", ",\"profile\":42"), NULL);
    assert_string_equal(tu_jstr(r, "error.code"), "bad_request");
    assert_non_null(strstr(tu_jstr(r, "error.message"), "profile"));
    cJSON_Delete(r);
}

/* libvet: the profiles op lists them in policy order, with the default. */
static void
test_libvet_profiles_op(void **state)
{
    tu_vetd_t *d = *state;
    cJSON *r = call(d, "{\"op\":\"profiles\",\"id\":\"l-1\"}", NULL);
    assert_string_equal(tu_jstr(r, "id"), "l-1");
    assert_string_equal(tu_jstr(r, "default"), "all");
    const cJSON *ps = cJSON_GetObjectItem(r, "profiles");
    assert_int_equal(cJSON_GetArraySize(ps), 4);
    static const struct {
        const char *id, *label;
        int rules;
    } want[] = {{"ca-tri-agency", "Canadian federal research funding", 2},
                {"advisory", "Reviews only", 3},
                {"sanctions", "Sanctions lists only", 1},
                {"all", "Every rule", 7}};
    for (int i = 0; i < 4; i++) {
        const cJSON *p = cJSON_GetArrayItem(ps, i);
        assert_string_equal(tu_jstr(p, "id"), want[i].id);
        assert_string_equal(tu_jstr(p, "label"), want[i].label);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(p, "rules")), want[i].rules);
    }
    /* "strac-*" stands for the rules whose id begins so. */
    const cJSON *tri = cJSON_GetObjectItem(cJSON_GetArrayItem(ps, 0), "rules");
    bool strac = false, named = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, tri)
    {
        strac = strac || strcmp(it->valuestring, "strac-nro") == 0;
        named = named || strcmp(it->valuestring, "nro-named") == 0;
    }
    assert_true(strac && named);
    cJSON_Delete(r);
}

/* vet screen --profile: the verdict of that profile, said in the output
 * and the exit code; an unknown one exits 65 with the daemon's words. */
static void
test_cli_screen_profile(void **state)
{
    tu_vetd_t *d = *state;
    static const char base[] =
        "screen --name 'Harbin Institute of Technology' --country CN --tech ai.ml "
        "--activity affiliation";
    static const struct {
        const char *profile, *first;
        int status;
    } cases[] = {
        {"ca-tri-agency", "prohibited (score 100)\n", 20},
        {"advisory", "review (score 40)\n", 10},
        {"sanctions", "clear (score 0)\n", 0},
        {NULL, "prohibited (score 100)\n", 20},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[512], line[128];
        snprintf(args, sizeof args, "%s%s%s", base, cases[i].profile ? " --profile " : "",
                 cases[i].profile ? cases[i].profile : "");
        result_t r = vet(d, args, NULL);
        if (r.status != cases[i].status)
            fail_msg("vet %s: exit %d, expected %d\n%s%s", args, r.status, cases[i].status, r.out,
                     r.err);
        assert_true(strncmp(r.out, cases[i].first, strlen(cases[i].first)) == 0);
        snprintf(line, sizeof line, "\n  profile  %s\n  ruleset  fixture-1  (",
                 cases[i].profile ? cases[i].profile : "all");
        if (strstr(r.out, line) == NULL)
            fail_msg("vet %s: no \"%s\" in\n%s", args, line, r.out);
        result_free(&r);
    }

    /* --json: the reply as it came, naming the profile. */
    result_t r = vet(d, "screen --name HIT --country CN --profile sanctions --json", NULL);
    assert_int_equal(r.status, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_string_equal(tu_jstr(j, "profile"), "sanctions");
    cJSON_Delete(j);
    result_free(&r);

    /* An unknown profile: the bad-request exit, the daemon's message. */
    r = vet(d, "screen --name HIT --country CN --profile ca-tri-agncy", NULL);
    assert_int_equal(r.status, 65);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "vet: bad_request: profile: unknown profile \"ca-tri-agncy\""));
    assert_non_null(strstr(r.err, "\"ca-tri-agency\""));
    result_free(&r);

    /* The usage errors: no value; a field besides "-". */
    r = vet(d, "screen --name HIT --profile", NULL);
    assert_int_equal(r.status, 64);
    assert_non_null(strstr(r.err, "--profile needs a value"));
    result_free(&r);
    r = vet(d, "screen --profile all -", NULL);
    assert_int_equal(r.status, 64);
    result_free(&r);

    /* "screen -" sends the profile of the request as it is. */
    char in[160];
    snprintf(in, sizeof in, "%s/req.json", d->dir);
    tu_write_file(in, HIT_REQ("s-1", ",\"profile\":\"advisory\""));
    r = vet(d, "screen -", in);
    assert_int_equal(r.status, 10);
    assert_non_null(strstr(r.out, "\n  profile  advisory\n"));
    result_free(&r);
}

/* vet profiles: one line per profile (id, rule count, label), the
 * default marked; --json the reply as it is. */
static void
test_cli_profiles(void **state)
{
    tu_vetd_t *d = *state;
    result_t r = vet(d, "profiles", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "ca-tri-agency    2 rules  Canadian federal research funding\n"
                               "advisory         3 rules  Reviews only\n"
                               "sanctions        1 rule   Sanctions lists only\n"
                               "all              7 rules  Every rule  (default)\n");
    assert_string_equal(r.err, "");
    result_free(&r);

    r = vet(d, "profiles --json", NULL);
    assert_int_equal(r.status, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_string_equal(tu_jstr(j, "default"), "all");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "profiles")), 4);
    cJSON_Delete(j);
    result_free(&r);

    r = vet(d, "profiles --frobnicate", NULL);
    assert_int_equal(r.status, 64);
    result_free(&r);
}

/* vet batch, CSV: --profile for the rows with an empty profile cell, a
 * row's own profile wins; the profile column of the output says which
 * judged each row. */
static void
test_batch_csv_profile_column(void **state)
{
    tu_vetd_t *d = *state;
    char in[256], args[512];
    tests_path(in, sizeof in, "fixtures/profiles/partners.csv");
    snprintf(args, sizeof args, "batch --format csv --profile ca-tri-agency %s", in);
    result_t r = vet(d, args, NULL);
    assert_int_equal(r.status, 20);
    assert_string_equal(
        r.out,
        "line,id,name,verdict,score,rules,reasons,match,method,match_score,alias,lists,"
        "unacted_match,note,error,profile\n"
        "2,r1,Harbin Institute of Technology,prohibited,100,strac-nro;nro-named,strac-nro: "
        "current affiliation with a Named Research Organization in a sensitive technology "
        "research area | nro-named: partner is a Named Research Organization,Harbin Institute of "
        "Technology,exact,1.00,Harbin Institute of Technology,ca-nro,,,,ca-tri-agency\n"
        /* Clear under sanctions: the NRO match did not count. */
        "3,r2,Harbin Institute of Technology,clear,0,,,,,,,,Harbin Institute of Technology "
        "(exact 1.00; ca-nro),\"The partner matched hit (exact) in the registry, but no rule of "
        "the profile \"\"sanctions\"\" acts on this match, so the verdict does not reflect it. "
        "Rules leave a match alone when, for example, the tie is past, the list or tag counts "
        "only with sensitive technology or certain activities, or no rule names the list. Check "
        "the match before relying on this verdict.\",,sanctions\n"
        "4,r3,Harbin Institute of Technology,review,40,nro-named,nro-named: partner is a Named "
        "Research Organization,Harbin Institute of Technology,exact,1.00,Harbin Institute of "
        "Technology,ca-nro,,,,advisory\n"
        "5,r4,\"Beijing Alite Technologies Co., Ltd.\",prohibited,100,sdn-block,sdn-block: "
        "partner is on the OFAC SDN list,\"BEIJING ALITE TECHNOLOGIES CO., LTD.\",exact,1.00,"
        "\"BEIJING ALITE TECHNOLOGIES CO., LTD.\",us-sdn,,,,sanctions\n");
    result_free(&r);

    /* Without --profile an empty cell leaves it to the daemon's default. */
    snprintf(args, sizeof args, "batch --format csv %s", in);
    r = vet(d, args, NULL);
    assert_int_equal(r.status, 20);
    assert_non_null(strstr(r.out, "\n2,r1,Harbin Institute of Technology,prohibited,100,"
                                  "strac-nro;nro-named,"));
    assert_non_null(strstr(r.out, ",ca-nro,,,,all\n"));
    assert_non_null(strstr(r.out, ",,sanctions\n"));
    result_free(&r);
}

/* Finds the output line of record id (JSONL) and checks its profile and
 * verdict (or error code). */
static void
check_jsonl(const char *out, int line, const char *profile, const char *verdict, const char *error)
{
    char *copy = strdup(out), *save = NULL;
    assert_non_null(copy);
    bool found = false;
    for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
        cJSON *j = cJSON_Parse(l);
        assert_non_null(j);
        if ((int)tu_jnum(j, "line") == line) {
            found = true;
            if (error != NULL) {
                assert_string_equal(tu_jstr(j, "error.code"), error);
            } else {
                const char *p = tu_jstr(j, "profile");
                if (p == NULL || strcmp(p, profile) != 0)
                    fail_msg("line %d: profile %s, expected %s: %s", line, p ? p : "(none)",
                             profile, l);
                assert_string_equal(tu_jstr(j, "verdict"), verdict);
            }
        }
        cJSON_Delete(j);
    }
    free(copy);
    if (!found)
        fail_msg("no output for line %d in\n%s", line, out);
}

/* vet batch, JSONL: --profile goes to the records without "profile" (or
 * with null), wherever their id is; a record's own wins; an unknown one
 * is that record's error. */
static void
test_batch_jsonl_profile_field(void **state)
{
    tu_vetd_t *d = *state;
    char in[256], args[512];
    tests_path(in, sizeof in, "fixtures/profiles/requests.jsonl");
    snprintf(args, sizeof args, "batch --profile advisory --summary %s", in);
    result_t r = vet(d, args, NULL);
    /* Line 6 names an unknown profile; the reviews are the exit code. */
    assert_int_equal(r.status, 10);
    check_jsonl(r.out, 1, "advisory", "review", NULL);
    check_jsonl(r.out, 2, "sanctions", "clear", NULL);
    check_jsonl(r.out, 3, "advisory", "review", NULL);
    check_jsonl(r.out, 4, "advisory", "review", NULL);
    check_jsonl(r.out, 5, "advisory", "review", NULL);
    check_jsonl(r.out, 6, NULL, NULL, "bad_request");
    assert_non_null(strstr(r.out, "profile: unknown profile \\\"sanction\\\""));
    /* The caller's ids stay theirs. */
    assert_non_null(strstr(r.out, "{\"line\":3,\"id\":\"j3\","));
    result_free(&r);

    /* Without --profile: the daemon's default where none is named. */
    snprintf(args, sizeof args, "batch %s", in);
    r = vet(d, args, NULL);
    assert_int_equal(r.status, 20); /* the prohibited ones, not line 6's error */
    check_jsonl(r.out, 1, "all", "prohibited", NULL);
    check_jsonl(r.out, 2, "sanctions", "clear", NULL);
    check_jsonl(r.out, 3, "all", "prohibited", NULL);
    check_jsonl(r.out, 4, "advisory", "review", NULL);
    result_free(&r);
}

/* vet batch --profile with a profile vetd does not have: nothing is
 * screened, exit 65, the profiles there are named. */
static void
test_batch_unknown_profile_flag(void **state)
{
    tu_vetd_t *d = *state;
    char in[256], args[512];
    tests_path(in, sizeof in, "fixtures/profiles/partners.csv");
    snprintf(args, sizeof args, "batch --format csv --profile ca-tri-agncy %s", in);
    result_t r = vet(d, args, NULL);
    assert_int_equal(r.status, 65);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "vet batch: --profile: unknown profile \"ca-tri-agncy\" "
                                  "(profiles: ca-tri-agency, advisory, sanctions, all); "
                                  "nothing was screened"));
    result_free(&r);
    /* No screening reached the audit log: nothing was sent. */
    char *audit = tu_read_file(d->audit, NULL);
    assert_true(audit == NULL || strstr(audit, "ca-tri-agncy") == NULL);
    free(audit);

    r = vet(d, "batch --profile", NULL);
    assert_int_equal(r.status, 64);
    result_free(&r);
}

/* docs/examples/screen-csv.sh with PROFILE: the rows judged by it. */
static void
test_example_script_profile(void **state)
{
    tu_vetd_t *d = *state;
    char rel[256], script[PATH_MAX], in[PATH_MAX], bin[PATH_MAX], cmd[4 * PATH_MAX];
    tests_path(rel, sizeof rel, "../docs/examples/screen-csv.sh");
    assert_non_null(realpath(rel, script));
    tests_path(rel, sizeof rel, "fixtures/batch/partners.csv");
    assert_non_null(realpath(rel, in));
    assert_non_null(realpath(tu_env_or("VET_BIN", "bin/vet"), bin));
    snprintf(
        cmd, sizeof cmd,
        "cd '%s' && VET_ENDPOINT='%s' VET='%s' PROFILE=sanctions sh '%s' '%s' > example.out 2>&1",
        d->dir, d->ep, bin, script, in);
    assert_int_equal(tu_run(cmd), 20);
    char path[160];
    snprintf(path, sizeof path, "%s/example.out", d->dir);
    char *out = tu_read_file(path, NULL);
    assert_non_null(out);
    /* Only the sanctions rule is evaluated: the NRO rows are clear. */
    if (strstr(out, "prohibited: p6\nreview: none\nrows not screened: 0\n") == NULL)
        fail_msg("screen-csv.sh printed:\n%s", out);
    free(out);
    snprintf(path, sizeof path, "%s/verdicts.csv", d->dir);
    char *csv = tu_read_file(path, NULL);
    assert_non_null(csv);
    assert_non_null(strstr(csv,
                           ",sdn-block,sdn-block: partner is on the OFAC SDN list,\"BEIJING ALITE "
                           "TECHNOLOGIES CO., LTD.\",id,1.00,ofac:9750,us-sdn,,,,sanctions\n"));
    free(csv);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_libvet_screen_by_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_libvet_unknown_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_libvet_profiles_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_screen_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_csv_profile_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_jsonl_profile_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_unknown_profile_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_example_script_profile, setup, teardown),
    };
    return cmocka_run_group_tests_name("profiles through vetd, libvet and vet (integration)", tests,
                                       NULL, NULL);
}
