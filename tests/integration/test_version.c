/* SPDX-License-Identifier: Apache-2.0 */
/* test_version.c -- one version, and where the data comes from, as a user
 * asks for them: `vetd --version` (the VERSION file's version, then each
 * list's name, publisher, address, edition and terms of use), the daemon's
 * version op and `vet version` (the same per list), a list's terms in the
 * ruleset's content digest only when set, a list declared twice with other
 * terms refused at file:line; and tools/version.sh, which make test runs
 * to keep the Python and Node packages and the shared libraries' soname
 * at VERSION. Binaries from $VETD_BIN and $VET_BIN (tests/run.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "vet.h"

#ifndef TEST_BUILD_DIR
#error "TEST_BUILD_DIR: the build directory holding libvet.so (tests/tests.mk)"
#endif

#define GOOD "tests/fixtures/rulesets/good"

static const char *TAX = "categories = ( { code = \"ai\"; label = \"AI\"; } );\n";

static const char *POLICY =
    "version = \"terms-1\";\n"
    "verdicts = [ \"clear\", \"review\" ];\n"
    "rules = (\n"
    "  { id = \"on-l1\"; when = \"partner.lists has \\\"l1\\\"\";\n"
    "    verdict = \"review\"; score = 50; reason = \"r\"; cite = \"c\"; }\n"
    ");\n";

/* Two lists: l1 records all it can, l2 only its name. TERMS is l1's
 * terms member (or ""). */
#define LISTS(TERMS)                                                                               \
    "lists = (\n"                                                                                  \
    "  { id = \"l1\"; name = \"List one\"; authority = \"Publisher One\";\n"                       \
    "    url = \"https://example.org/l1\"; " TERMS " as_of = \"2026-01-02\"; },\n"                 \
    "  { id = \"l2\"; name = \"List two\"; }\n"                                                    \
    ");\n"                                                                                         \
    "organisations = (\n"                                                                          \
    "  { id = \"a\"; name = \"Alpha Institute of Technology\"; country = \"CN\";\n"                \
    "    lists = [ \"l1\" ]; sources = [ \"s\" ]; },\n"                                            \
    "  { id = \"b\"; name = \"Beta Robotics Works\"; country = \"CN\";\n"                          \
    "    lists = [ \"l2\" ]; sources = [ \"s\" ]; }\n"                                             \
    ");\n"

#define L1_TERMS "terms = \"Public domain (a test list)\";"

/* A scratch ruleset with registry/a.cfg as given (LISTS). */
static tu_rsdir_t *
ruleset_with(const char *registry)
{
    tu_rsdir_t *t = tu_rsdir_new("terms");
    assert_non_null(t);
    tu_rsdir_put(t, "policy.cfg", POLICY);
    tu_rsdir_put(t, "taxonomy.cfg", TAX);
    tu_rsdir_put(t, "registry/a.cfg", registry);
    /* vetd serves a ruleset whose own cases pass: one. */
    char dir[128];
    snprintf(dir, sizeof dir, "%s/tests", t->path);
    assert_int_equal(mkdir(dir, 0700), 0);
    tu_rsdir_put(t, "tests/cases.cfg",
                 "cases = ( { name = \"on l1\";\n"
                 "  request = { partner = { name = \"Alpha Institute of Technology\"; }; };\n"
                 "  expect = { verdict = \"review\"; partner = \"a\"; }; } );\n");
    return t;
}

/* The VERSION file's one line, without its newline (caller frees). */
static char *
project_version(void)
{
    char *v = tu_read_file("VERSION", NULL);
    assert_non_null(v);
    v[strcspn(v, "\n")] = '\0';
    assert_true(strlen(v) >= 5);
    return v;
}

/* Runs "VETD ARGS" (stdout and stderr captured). */
static tu_out_t
vetd(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s < /dev/null", tu_env_or("VETD_BIN", "bin/vetd"), args);
    return tu_sh(cmd);
}

static void
assert_has(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("missing \"%s\" in:\n%s", want, text);
}

/* The 16 hex digits of the content digest `vetd --check` prints. */
static void
content_of(const char *dir, char out[17])
{
    char args[256];
    snprintf(args, sizeof args, "--check -r %s", dir);
    tu_out_t o = vetd(args);
    if (o.status != 0)
        fail_msg("vetd %s: exit %d\n%s", args, o.status, o.err);
    const char *p = strstr(o.out, "content ");
    assert_non_null(p);
    memcpy(out, p + 8, 16);
    out[16] = '\0';
    tu_out_free(&o);
}

/* vetd --version: the first line is the project's version (what the
 * Python and Node suites compare with); then every list of the ruleset
 * with its source and terms, "(not recorded)" where the ruleset says
 * nothing. A ruleset that does not load leaves the version line. */
static void
test_vetd_version_names_sources(void **state)
{
    (void)state;
    char *version = project_version();
    char first[64];
    snprintf(first, sizeof first, "vetd %s\n", version);
    tu_rsdir_t *t = ruleset_with(LISTS(L1_TERMS));
    char args[256];
    snprintf(args, sizeof args, "--version -r %s", t->path);
    tu_out_t o = vetd(args);
    assert_int_equal(o.status, 0);
    assert_int_equal(strncmp(o.out, first, strlen(first)), 0);
    assert_has(o.out, "ruleset terms-1+lists.20260102 (");
    assert_has(o.out, "  l1: List one, Publisher One\n"
                      "    url: https://example.org/l1\n"
                      "    as_of: 2026-01-02\n"
                      "    terms: Public domain (a test list)\n");
    assert_has(o.out, "  l2: List two\n"
                      "    as_of: (not recorded)\n"
                      "    terms: (not recorded)\n");
    tu_out_free(&o);

    /* Broken: the version still, and why the sources are missing. */
    tu_rsdir_put(t, "registry/a.cfg", "lists = ( { id = \"l1\"; } );\n");
    o = vetd(args);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, first);
    assert_has(o.err, "ruleset not loaded, its sources unknown");
    tu_out_free(&o);
    assert_int_equal(tu_rsdir_destroy(&t), 0);

    /* The default ruleset names each list's terms: the NRO list's Crown
     * copyright, the 1260H file's OpenSanctions licence. */
    o = vetd("--version -r rules");
    assert_int_equal(o.status, 0);
    assert_has(o.out, "  ca-nro: Named Research Organizations, Government of Canada\n");
    assert_has(o.out, "    terms: Crown copyright, Government of Canada: non-commercial "
                      "reproduction allowed\n");
    assert_has(o.out, "(CC BY-NC 4.0: attribution required, non-commercial use only); a "
                      "commercial user must regenerate this file from the DoD's own publication");
    assert_null(strstr(o.out, "terms: (not recorded)"));
    tu_out_free(&o);
    free(version);
}

/* The version op names each list's source and terms (null where not
 * recorded); vet version prints them; stats stays compact. */
static void
test_version_op_names_sources(void **state)
{
    (void)state;
    tu_rsdir_t *t = ruleset_with(LISTS(L1_TERMS));
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "version"), 0);
    const char *args[] = {"-r", t->path, "-e", d.ep, "-a", "-", "-w", "1", NULL};
    assert_int_equal(tu_vetd_spawn(&d, args), 0);
    assert_int_equal(tu_vetd_wait(&d), 0);
    vet_client_t *c = vet_client_new(d.ep);
    assert_non_null(c);

    char *version = project_version();
    cJSON *j = tu_call(c, "{\"id\":\"v\",\"op\":\"version\"}");
    assert_string_equal(tu_jstr(j, "vetd"), version);
    const cJSON *lists = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ruleset"), "lists");
    assert_int_equal(cJSON_GetArraySize(lists), 2);
    const cJSON *l1 = cJSON_GetArrayItem(lists, 0), *l2 = cJSON_GetArrayItem(lists, 1);
    assert_string_equal(tu_jstr(l1, "id"), "l1");
    assert_string_equal(tu_jstr(l1, "name"), "List one");
    assert_string_equal(tu_jstr(l1, "authority"), "Publisher One");
    assert_string_equal(tu_jstr(l1, "url"), "https://example.org/l1");
    assert_string_equal(tu_jstr(l1, "terms"), "Public domain (a test list)");
    assert_string_equal(tu_jstr(l1, "as_of"), "2026-01-02");
    assert_string_equal(tu_jstr(l2, "name"), "List two");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(l2, "terms")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(l2, "authority")));
    cJSON_Delete(j);
    j = tu_call(c, "{\"id\":\"s\",\"op\":\"stats\"}");
    l1 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ruleset"), "lists"), 0);
    assert_null(cJSON_GetObjectItem(l1, "terms"));
    cJSON_Delete(j);
    vet_client_destroy(&c);

    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -e %s version < /dev/null", tu_env_or("VET_BIN", "bin/vet"),
             d.ep);
    tu_out_t o = tu_sh(cmd);
    assert_int_equal(o.status, 0);
    assert_has(o.out, "\nruleset.lists.l1: name List one, authority Publisher One, url "
                      "https://example.org/l1, terms Public domain (a test list), as_of "
                      "2026-01-02, entries 1, stale false\n");
    assert_has(o.out, "\nruleset.lists.l2: name List two, authority null, url null, terms null, "
                      "as_of null, entries 1, stale false\n");
    tu_out_free(&o);
    assert_int_equal(tu_vetd_stop(&d), 0);
    tu_vetd_cleanup(&d);
    assert_int_equal(tu_rsdir_destroy(&t), 0);
    free(version);
}

/* A list's terms are part of what was compiled (the content digest):
 * other terms, another digest. A ruleset without terms hashes as before
 * they existed (the fixture's content is the one PROTOCOL.md shows). */
static void
test_terms_in_content_digest(void **state)
{
    (void)state;
    char with[17], other[17], without[17], good[17];
    tu_rsdir_t *t = ruleset_with(LISTS(L1_TERMS));
    content_of(t->path, with);
    tu_rsdir_put(t, "registry/a.cfg", LISTS("terms = \"Crown copyright\";"));
    content_of(t->path, other);
    tu_rsdir_put(t, "registry/a.cfg", LISTS(""));
    content_of(t->path, without);
    assert_string_not_equal(with, other);
    assert_string_not_equal(with, without);
    assert_string_not_equal(other, without);
    content_of(GOOD, good);
    assert_string_equal(good, "059829c6aec7d92f");
    assert_int_equal(tu_rsdir_destroy(&t), 0);
}

/* The same list declared in two files must say the same, terms included
 * (importers of two formats declare us-sdn); terms must be a string. */
static void
test_terms_declared_twice(void **state)
{
    (void)state;
    tu_rsdir_t *t = ruleset_with(LISTS(L1_TERMS));
    tu_rsdir_put(t, "registry/b.cfg",
                 "lists = ( { id = \"l1\"; name = \"List one\"; authority = \"Publisher One\";\n"
                 "    url = \"https://example.org/l1\"; " L1_TERMS
                 " as_of = \"2026-01-02\"; } );\n");
    char args[256];
    snprintf(args, sizeof args, "--check -r %s", t->path);
    tu_out_t o = vetd(args);
    assert_int_equal(o.status, 0);
    tu_out_free(&o);

    tu_rsdir_put(t, "registry/b.cfg",
                 "lists = ( { id = \"l1\"; name = \"List one\"; authority = \"Publisher One\";\n"
                 "    url = \"https://example.org/l1\"; terms = \"CC BY-NC 4.0\";\n"
                 "    as_of = \"2026-01-02\"; } );\n");
    o = vetd(args);
    assert_int_not_equal(o.status, 0);
    assert_has(o.err, "registry/b.cfg:1: list \"l1\" declared twice (first at ");
    assert_has(o.err, "registry/a.cfg:2)");
    tu_out_free(&o);

    tu_rsdir_put(t, "registry/b.cfg", "lists = ( { id = \"l3\"; name = \"L3\"; terms = 3; } );\n");
    o = vetd(args);
    assert_int_not_equal(o.status, 0);
    assert_has(o.err, "registry/b.cfg:1");
    assert_has(o.err, "terms");
    tu_out_free(&o);
    assert_int_equal(tu_rsdir_destroy(&t), 0);
}

/* tools/version.sh (make version-check, make version-sync): the tree's
 * packages and the built libraries' soname carry VERSION; a copy whose
 * VERSION moved fails, naming each file, until version-sync writes it. */
static void
test_one_version(void **state)
{
    (void)state;
    tu_out_t o = tu_sh("sh tools/version.sh check . " TEST_BUILD_DIR);
    if (o.status != 0)
        fail_msg("version-check failed:\n%s%s", o.out, o.err);
    char *version = project_version();
    char want[128];
    snprintf(want, sizeof want, "version-check: 5 places carry version %s\n", version);
    assert_string_equal(o.out, want);
    tu_out_free(&o);

    tu_rsdir_t *t = tu_rsdir_new("version");
    assert_non_null(t);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %1$s/clients/python/vet %1$s/clients/node && "
             "cp clients/python/vet/__init__.py %1$s/clients/python/vet/ && "
             "cp clients/node/package.json clients/node/package-lock.json %1$s/clients/node/ && "
             "echo 99.1.0 > %1$s/VERSION && sh tools/version.sh check %1$s",
             t->path);
    o = tu_sh(cmd);
    assert_int_equal(o.status, 1);
    snprintf(want, sizeof want, "__version__ is \"%s\", VERSION is \"99.1.0\"", version);
    assert_has(o.out, want);
    assert_has(o.out, "clients/node/package.json: version is");
    assert_has(o.out, "clients/node/package-lock.json: version is");
    tu_out_free(&o);
    snprintf(cmd, sizeof cmd, "sh tools/version.sh sync %1$s && sh tools/version.sh check %1$s",
             t->path);
    o = tu_sh(cmd);
    assert_int_equal(o.status, 0);
    assert_has(o.out, "version-check: 3 places carry version 99.1.0\n");
    tu_out_free(&o);
    /* Only the package's own versions moved, not a dependency's. */
    snprintf(cmd, sizeof cmd,
             "diff clients/node/package-lock.json %s/clients/node/package-lock.json", t->path);
    o = tu_sh(cmd);
    assert_int_equal(o.status, 1);
    char diff[256];
    snprintf(diff, sizeof diff,
             "3c3\n<   \"version\": \"%1$s\",\n---\n>   \"version\": \"99.1.0\",\n"
             "9c9\n<       \"version\": \"%1$s\",\n---\n>       \"version\": \"99.1.0\",\n",
             version);
    assert_string_equal(o.out, diff);
    tu_out_free(&o);
    assert_int_equal(tu_rsdir_destroy(&t), 0);
    free(version);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vetd_version_names_sources),
        cmocka_unit_test(test_version_op_names_sources),
        cmocka_unit_test(test_terms_in_content_digest),
        cmocka_unit_test(test_terms_declared_twice),
        cmocka_unit_test(test_one_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
