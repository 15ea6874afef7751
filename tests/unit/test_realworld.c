/* SPDX-License-Identifier: Apache-2.0 */
/* test_realworld.c -- the real-world form set stays well-formed and true to rules/registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evdata.h"
#include "evpeople.h"
#include "evreal.h"

/* The set's size the issue asks for (issue 12, "Measure it honestly"). */
#define MIN_PER_CLASS 25
#define MIN_POSITIVE 300
#define MIN_INNOCENT 150
#define MIN_ORGS 40 /* distinct organisations the positive queries name */

/* $VET_TESTS_DIR (tests/, run from the repository root) joined with rel. */
static const char *
tests_path(const char *rel, char *buf, size_t cap)
{
    const char *v = getenv("VET_TESTS_DIR");
    snprintf(buf, cap, "%s/%s", v != NULL && v[0] != '\0' ? v : "tests", rel);
    return buf;
}

static evreal_t *set;
static evdata_reg_t *reg;

static int
setup(void **state)
{
    (void)state;
    char path[1024], err[8192];
    set =
        evreal_load(tests_path("../tools/eval/realworld.tsv", path, sizeof path), err, sizeof err);
    if (set == NULL) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    reg = evdata_reg_load(tests_path("../rules", path, sizeof path), err, sizeof err);
    if (reg == NULL) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    evreal_destroy(&set);
    evdata_reg_destroy(&reg);
    return 0;
}

static void
test_class_table(void **state)
{
    (void)state;
    for (int c = 0; c < EVREAL_N; c++) {
        assert_int_equal(evreal_class_find(evreal_class_name((evreal_class_t)c)), c);
        assert_true(strlen(evreal_class_about((evreal_class_t)c)) > 10);
    }
    assert_int_equal(evreal_class_find("affiliaton"), -1);
    assert_string_equal(evreal_class_name(EVREAL_N), "?");
}

/* Every class has its share, spread over many organisations. */
static void
test_sizes(void **state)
{
    (void)state;
    size_t n;
    const evreal_row_t *rows = evreal_rows(set, &n);
    long per[EVREAL_N] = {0}, positive = 0;
    const char *firsts[1024];
    size_t n_orgs = 0;
    for (size_t i = 0; i < n; i++) {
        per[rows[i].cls]++;
        if (rows[i].cls == EVREAL_INNOCENT)
            continue;
        positive++;
        size_t k = 0;
        while (k < n_orgs && strcmp(firsts[k], rows[i].expected[0]) != 0)
            k++;
        if (k == n_orgs && n_orgs < 1024)
            firsts[n_orgs++] = rows[i].expected[0];
    }
    for (int c = 0; c < EVREAL_N; c++)
        if (per[c] < MIN_PER_CLASS)
            fail_msg("class %s: %ld queries, fewer than %d", evreal_class_name((evreal_class_t)c),
                     per[c], MIN_PER_CLASS);
    assert_true(positive >= MIN_POSITIVE);
    assert_true(per[EVREAL_INNOCENT] >= MIN_INNOCENT);
    assert_true(n_orgs >= MIN_ORGS);
}

/* Every expected id is an organisation of rules/registry; every innocent
 * name is carried by no organisation of its own (or of no) country. */
static void
test_true_to_registry(void **state)
{
    (void)state;
    size_t n;
    const evreal_row_t *rows = evreal_rows(set, &n);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const evreal_row_t *r = &rows[i];
        for (size_t k = 0; k < r->n_expected; k++)
            if (evdata_reg_find(reg, r->expected[k]) < 0) {
                fprintf(stderr,
                        "tools/eval/realworld.tsv:%lu: \"%s\" is no organisation of rules/\n",
                        r->line, r->expected[k]);
                bad++;
            }
        if (r->cls != EVREAL_INNOCENT)
            continue;
        char norm[4096];
        size_t idx[16];
        size_t m = evdata_norm(r->query, norm, sizeof norm) == 0
                       ? evdata_reg_carriers(reg, norm, idx, 16)
                       : 0;
        for (size_t k = 0; k < m && k < 16; k++) {
            const char *oc = evdata_reg_country(reg, idx[k]);
            if (oc == NULL || r->country == NULL || strcasecmp(oc, r->country) == 0) {
                fprintf(stderr, "tools/eval/realworld.tsv:%lu: innocent \"%s\" is a name of %s\n",
                        r->line, r->query, evdata_reg_id(reg, idx[k]));
                bad++;
            }
        }
    }
    assert_int_equal(bad, 0);
}

/* Whether err has a line "path:line: ..." that contains what. */
static int
has_fault(const char *err, const char *path, unsigned line, const char *what)
{
    char head[1100];
    snprintf(head, sizeof head, "%s:%u: ", path, line);
    for (const char *p = strstr(err, head); p != NULL; p = strstr(p + 1, head)) {
        if (p != err && p[-1] != '\n')
            continue;
        const char *end = strchr(p, '\n'), *w = strstr(p, what);
        if (w != NULL && (end == NULL || w < end))
            return 1;
    }
    return 0;
}

/* Each faulty row of the fixture is reported at its line, and the load fails. */
static void
test_faults(void **state)
{
    (void)state;
    char path[1024], err[8192], want[1200];
    tests_path("fixtures/eval/realworld-bad.tsv", path, sizeof path);
    assert_null(evreal_load(path, err, sizeof err));
    static const struct {
        unsigned line;
        const char *what;
    } faults[] = {
        {3, "unknown class \"affiliaton\""},
        {4, "country \"China\""},
        {5, "an innocent query expects \"-\""},
        {6, "a positive query needs the registry id"},
        {7, "space at the start or end"},
        {8, "empty id"},
        {9, "empty note"},
        {10, "expected 5 tab-separated fields"},
        {12, "the same class, query and country as line 11"},
        {13, "an id holds only"},
    };
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        if (!has_fault(err, path, faults[i].line, faults[i].what)) {
            fprintf(stderr, "%s\n", err);
            fail_msg("no fault \"%s\" at line %u", faults[i].what, faults[i].line);
        }
    snprintf(want, sizeof want, "%s:11:", path);
    assert_null(strstr(err, want));
    /* A smaller buffer holds the first whole lines only. */
    char small[400];
    assert_null(evreal_load(path, small, sizeof small));
    size_t n = strlen(small);
    assert_true(n > 0 && n < strlen(err));
    assert_memory_equal(small, err, n);
    assert_int_equal(err[n], '\n');
    assert_null(evreal_load("/nonexistent-vet-eval/realworld.tsv", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-vet-eval/realworld.tsv: "));
}

/* Writes text to a temporary file; returns its path (static). */
static const char *
temp_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/vet-realworld-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static void
test_rows(void **state)
{
    (void)state;
    char err[1024];
    const char *p = temp_file("# a comment\n\nclass\tquery\tcountry\texpected\tnote\n"
                              "wos\tNatl Univ Def Technol\t\ta-1|b.2\tWoS\n"
                              "innocent\tStony Brook University\tUS\t-\tSBU\n");
    evreal_t *s = evreal_load(p, err, sizeof err);
    unlink(p);
    if (s == NULL)
        fail_msg("%s", err);
    size_t n;
    const evreal_row_t *r = evreal_rows(s, &n);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].cls, EVREAL_WOS);
    assert_string_equal(r[0].query, "Natl Univ Def Technol");
    assert_null(r[0].country);
    assert_int_equal(r[0].n_expected, 2);
    assert_string_equal(r[0].expected[0], "a-1");
    assert_string_equal(r[0].expected[1], "b.2");
    assert_true(evreal_accepts(&r[0], "b.2"));
    assert_false(evreal_accepts(&r[0], "b"));
    assert_int_equal(r[0].line, 4);
    assert_int_equal(r[1].cls, EVREAL_INNOCENT);
    assert_string_equal(r[1].country, "US");
    assert_int_equal(r[1].n_expected, 0);
    assert_string_equal(r[1].note, "SBU");
    evreal_destroy(&s);
    assert_null(s);
    evreal_destroy(NULL);

    p = temp_file("class\tquery\tcountry\texpected\tnote\nnative\t\xff\xfe\tCN\tx\tbad\n");
    assert_null(evreal_load(p, err, sizeof err));
    unlink(p);
    assert_non_null(strstr(err, ":2: query is not valid UTF-8"));
    p = temp_file("short\tNUDT\tCN\tnro-x\tno header\n");
    assert_null(evreal_load(p, err, sizeof err));
    unlink(p);
    assert_non_null(strstr(err, ":1: the first line that is not a comment must be the header"));
}

/* vet-eval's registry reader takes every kind of name, and the names a
 * `names` group adds, whichever file comes first. */
static void
test_registry_names(void **state)
{
    (void)state;
    char dir[] = "/tmp/vet-realworld-reg-XXXXXX", path[128], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/registry", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    static const char *const files[][2] = {
        {"a-names.cfg", "names = ( { id = \"x\"; aliases = [ \"X Daxue\" ];\n"
                        "  short_names = [ \"XU\" ]; former_names = [ \"Old X\" ];\n"
                        "  sources = [ \"t\" ]; } );\n"},
        {"b-orgs.cfg", "organisations = ( { id = \"x\"; name = \"X University\"; country = "
                       "\"CN\";\n  short_names = [ \"X U\" ]; } );\n"},
    };
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/registry/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(files[i][1], f);
        fclose(f);
    }
    evdata_reg_t *r = evdata_reg_load(dir, err, sizeof err);
    if (r == NULL)
        fail_msg("%s", err);
    static const char *const names[] = {"x university", "x u", "x daxue", "xu", "old x"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t idx[2];
        if (evdata_reg_carriers(r, names[i], idx, 2) != 1)
            fail_msg("\"%s\" is not a name of x", names[i]);
        assert_string_equal(evdata_reg_id(r, idx[0]), "x");
    }
    evdata_reg_destroy(&r);
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/registry/%s", dir, files[i][0]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/registry", dir);
    rmdir(path);
    rmdir(dir);
}

/* ---- the people set (tools/eval/people.tsv, evpeople.h) ---- */

static bool
reg_knows(void *ctx, const char *id)
{
    return evdata_reg_find(ctx, id) >= 0;
}

/* The people set reads, has every class, and names listed individuals of
 * rules/registry. */
static void
test_people_set(void **state)
{
    (void)state;
    char path[1024], err[8192];
    evpeople_t *p =
        evpeople_load(tests_path("../tools/eval/people.tsv", path, sizeof path), err, sizeof err);
    if (p == NULL)
        fprintf(stderr, "%s\n", err);
    assert_non_null(p);
    for (int c = 0; c < EVP_N; c++)
        assert_true(evpeople_count(p, (evpeople_class_t)c) >= 8);
    size_t n = evpeople_unknown(p, reg_knows, reg, err, sizeof err);
    if (n > 0)
        fprintf(stderr, "expected ids not in rules/registry:\n%s", err);
    assert_int_equal(n, 0);
    evpeople_destroy(&p);
}

/* Every fault of a bad people file, at its line. */
static void
test_people_faults(void **state)
{
    (void)state;
    char path[] = "/tmp/vet-test-people-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "# comment\n"
                       "class\tquery\tbirth_date\tnationality\texpected\tnote\n"
                       "order\tKim Jong Un\t\t\tsdn-20157\tfine\n"
                       "ordr\tKim Jong Un\t\t\tsdn-20157\tunknown class\n"
                       "confirmed\tKim Jong Un\t\t\tsdn-20157\tno date\n"
                       "namesake\tKim Jong Un\t08 Jan 1984\tkp\tsdn-20157\tbad date, nationality\n"
                       "innocent\tJohn Smith\t\t\tsdn-1\tinnocent expects -\n"
                       "order\t Kim\t\t\t-\tspace, no id\n"
                       "order\tKim\t\tsdn-20157\tfive fields\n";
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char err[4096];
    assert_null(evpeople_load(path, err, sizeof err));
    unlink(path);
    const char *want[] = {
        ":4: unknown class \"ordr\"",
        ":5: a confirmed row needs a date of birth",
        ":6: birth_date \"08 Jan 1984\" is not YYYY-MM-DD, YYYY-MM or YYYY",
        ":6: nationality \"kp\" is not two capital letters",
        ":7: an innocent row expects \"-\"",
        ":8: the query must be UTF-8 without control characters or spaces at either end",
        ":8: the row needs the registry id it names",
        ":9: expected 6 tab-separated fields, not 5",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(err, want[i]) == NULL) {
            fprintf(stderr, "missing \"%s\" in:\n%s", want[i], err);
            fail();
        }
    assert_null(strstr(err, ":3:"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_table),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_true_to_registry),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_registry_names),
        cmocka_unit_test(test_people_set),
        cmocka_unit_test(test_people_faults),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
