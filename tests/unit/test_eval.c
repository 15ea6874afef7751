/* SPDX-License-Identifier: Apache-2.0 */
/* test_eval.c -- vet-eval's variation generator and source readers, on small fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evdata.h"
#include "evgen.h"

/* The fixture directory: $VET_TESTS_DIR/fixtures/eval. */
static const char *
fixtures(void)
{
    const char *v = getenv("VET_TESTS_DIR");
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/fixtures/eval", v != NULL && v[0] != '\0' ? v : "tests");
    return buf;
}

static char out[2048];

/* Applies kind k with seed 1 and checks the result code. */
static const char *
gen(evgen_kind_t k, const char *name, int want)
{
    int r = evgen_apply(k, name, 1, out, sizeof out);
    assert_int_equal(r, want);
    if (r == 1)
        assert_string_not_equal(out, name);
    return out;
}

/* s with every byte but ASCII letters and digits dropped, lower-cased. */
static void
letters(const char *s, char *o)
{
    for (; *s != '\0'; s++)
        if (isalnum((unsigned char)*s))
            *o++ = (char)tolower((unsigned char)*s);
    *o = '\0';
}

/* s with white space runs squeezed to one space and trimmed. */
static void
squeeze(const char *s, char *o)
{
    char *start = o;
    int space = 0;
    for (; *s != '\0'; s++) {
        if (*s == ' ') {
            space = o > start;
            continue;
        }
        if (space)
            *o++ = ' ';
        space = 0;
        *o++ = *s;
    }
    *o = '\0';
}

static void
test_kind_names(void **state)
{
    (void)state;
    for (int k = 0; k < EVGEN_N; k++) {
        assert_int_equal(evgen_kind_find(evgen_kind_name((evgen_kind_t)k)), k);
        assert_true(strlen(evgen_kind_about((evgen_kind_t)k)) > 10);
    }
    assert_int_equal(evgen_kind_find("no-such-kind"), -1);
    assert_string_equal(evgen_kind_name(EVGEN_N), "?");
}

static void
test_deterministic(void **state)
{
    (void)state;
    const char *name = "University of Electronic Science and Technology of China";
    char a[256], b[256];
    for (int k = 0; k < EVGEN_N; k++) {
        int ra = evgen_apply((evgen_kind_t)k, name, 7, a, sizeof a);
        int rb = evgen_apply((evgen_kind_t)k, name, 7, b, sizeof b);
        assert_int_equal(ra, rb);
        assert_string_equal(a, b);
    }
    /* Other seeds choose other typos: at least 5 different in 20 seeds. */
    char seen[20][256];
    int distinct = 0;
    for (uint64_t s = 0; s < 20; s++) {
        assert_int_equal(evgen_apply(EVGEN_TYPO_SUB, name, s, a, sizeof a), 1);
        int dup = 0;
        for (int i = 0; i < distinct; i++)
            dup = dup || strcmp(seen[i], a) == 0;
        if (!dup)
            strcpy(seen[distinct++], a);
    }
    assert_true(distinct >= 5);
}

static void
test_case(void **state)
{
    (void)state;
    char x[256], y[256];
    const char *n = "Harbin Institute of Technology";
    letters(n, x);
    letters(gen(EVGEN_CASE, n, 1), y);
    assert_string_equal(x, y);
    assert_string_equal(gen(EVGEN_CASE, "ÉCOLE", 1), "école");
    gen(EVGEN_CASE, "123", 0);
}

static void
test_punct(void **state)
{
    (void)state;
    assert_string_equal(gen(EVGEN_PUNCT_DROP, "ANGLO-CARIBBEAN CO., LTD.", 1),
                        "ANGLO CARIBBEAN CO LTD");
    assert_string_equal(gen(EVGEN_PUNCT_DROP,
                            "Xi\xE2\x80\x99"
                            "an Jiaotong University",
                            1),
                        "Xian Jiaotong University");
    gen(EVGEN_PUNCT_DROP, "Harbin Institute of Technology", 0);
    /* Added punctuation keeps every letter, adds one of . , - */
    const char *names[] = {"Harbin Institute of Technology", "HIT", "Sharif University (SUT)",
                           "NATIONAL IRANIAN TANKER COMPANY"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char x[256], y[256];
        letters(names[i], x);
        letters(gen(EVGEN_PUNCT_ADD, names[i], 1), y);
        assert_string_equal(x, y);
        assert_true(strpbrk(out, ".,-") != NULL);
    }
    /* An all-capitals name has no telling acronyms: AND is not dotted. */
    for (uint64_t s = 0; s < 30; s++) {
        assert_int_equal(evgen_apply(EVGEN_PUNCT_ADD, "BAKE AND KITCHEN", s, out, sizeof out), 1);
        assert_null(strstr(out, "A.N.D."));
    }
    assert_string_equal(gen(EVGEN_PUNCT_ADD, "X", 1), "X.");
}

static void
test_word_order(void **state)
{
    (void)state;
    assert_string_equal(gen(EVGEN_WORD_ORDER, "Harbin Institute of Technology", 1),
                        "Institute of Technology, Harbin");
    assert_string_equal(gen(EVGEN_WORD_ORDER, "Sichuan University", 1), "University of Sichuan");
    assert_string_equal(gen(EVGEN_WORD_ORDER, "SICHUAN UNIVERSITY", 1), "UNIVERSITY OF SICHUAN");
    assert_string_equal(gen(EVGEN_WORD_ORDER, "University of Toronto", 1), "Toronto University");
    assert_string_equal(gen(EVGEN_WORD_ORDER, "MINO CONGO", 1), "CONGO MINO");
    gen(EVGEN_WORD_ORDER, "CIMEX", 0);
    gen(EVGEN_WORD_ORDER, "of the", 0);
}

static void
test_legal_form(void **state)
{
    (void)state;
    assert_string_equal(gen(EVGEN_LEGAL_FORM, "ANGLO-CARIBBEAN CO., LTD.", 1),
                        "ANGLO-CARIBBEAN COMPANY LIMITED");
    assert_string_equal(gen(EVGEN_LEGAL_FORM, "Acme Company Limited", 1), "Acme Co., Ltd.");
    assert_string_equal(gen(EVGEN_LEGAL_FORM, "Acme Corporation", 1), "Acme Corp.");
    assert_string_equal(gen(EVGEN_LEGAL_FORM, "Acme Inc.", 1), "Acme Incorporated");
    assert_string_equal(gen(EVGEN_LEGAL_FORM, "ACME LLC", 1), "ACME LIMITED LIABILITY COMPANY");
    assert_string_equal(gen(EVGEN_LEGAL_FORM, "Acme Ltd., Dubai", 1), "Acme Limited, Dubai");
    /* The first word is the name, never a legal form ("Company X"). */
    gen(EVGEN_LEGAL_FORM, "Company", 0);
    gen(EVGEN_LEGAL_FORM, "Harbin Institute of Technology", 0);
    assert_string_equal(gen(EVGEN_LEGAL_DROP, "Shahid Hemmat Industrial Group Company Limited", 1),
                        "Shahid Hemmat Industrial Group");
    assert_string_equal(gen(EVGEN_LEGAL_DROP, "Acme, Ltd.", 1), "Acme");
    gen(EVGEN_LEGAL_DROP, "Limited", 0);
    gen(EVGEN_LEGAL_DROP, "Acme Co. of Iran", 0);
}

/* Checks one typo of kind k in name: what changed, and in a word of >= 5 letters. */
static void
check_typo(evgen_kind_t k, const char *name, uint64_t seed)
{
    char v[256];
    assert_int_equal(evgen_apply(k, name, seed, v, sizeof v), 1);
    size_t n = strlen(name), m = strlen(v), d = 0;
    while (d < n && name[d] == v[d])
        d++;
    /* The changed letter lies in a run of >= 5 ASCII letters of name. */
    size_t a = d, b = d;
    while (a > 0 && isalpha((unsigned char)name[a - 1]))
        a--;
    while (b < n && isalpha((unsigned char)name[b]))
        b++;
    assert_true(b - a >= 5);
    if (k == EVGEN_TYPO_SUB) {
        assert_int_equal(m, n);
        assert_string_equal(name + d + 1, v + d + 1);
        assert_true(isalpha((unsigned char)v[d]));
    } else if (k == EVGEN_TYPO_DEL) {
        assert_int_equal(m + 1, n);
        assert_string_equal(name + d + 1, v + d);
    } else {
        assert_int_equal(m, n);
        assert_int_equal(tolower((unsigned char)name[d]), tolower((unsigned char)v[d + 1]));
        assert_int_equal(tolower((unsigned char)name[d + 1]), tolower((unsigned char)v[d]));
        assert_string_equal(name + d + 2, v + d + 2);
        /* The case pattern stays: "China" -> "Hcina", not "hCina". */
        assert_int_equal(isupper((unsigned char)name[d]) != 0, isupper((unsigned char)v[d]) != 0);
    }
}

static void
test_typos(void **state)
{
    (void)state;
    const char *names[] = {"Harbin Institute of Technology", "HIT Tianjin", "MAHAN AIR",
                           "North University of China"};
    for (int k = EVGEN_TYPO_SUB; k <= EVGEN_TYPO_SWAP; k++)
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            for (uint64_t s = 0; s < 25; s++)
                check_typo((evgen_kind_t)k, names[i], s);
    /* No word of 5 letters: no typo. Non-Latin words are left alone. */
    gen(EVGEN_TYPO_SUB, "HIT SUT AMS", 0);
    gen(EVGEN_TYPO_DEL, "\xE5\x93\x88\xE5\xB0\x94\xE6\xBB\xA8\xE5\xB7\xA5\xE4\xB8\x9A", 0);
    gen(EVGEN_TYPO_SWAP, "Aaaaaa zzzzz", 0);
}

static void
test_the_and_spaces(void **state)
{
    (void)state;
    assert_string_equal(gen(EVGEN_THE, "Acme", 1), "The Acme");
    assert_string_equal(gen(EVGEN_THE, "ACME CORP", 1), "THE ACME CORP");
    gen(EVGEN_THE, "The Acme", 0);
    const char *names[] = {"Harbin Institute of Technology", "HIT"};
    for (size_t i = 0; i < 2; i++) {
        char sq[256];
        for (uint64_t s = 0; s < 10; s++) {
            assert_int_equal(evgen_apply(EVGEN_SPACES, names[i], s, out, sizeof out), 1);
            assert_true(strlen(out) > strlen(names[i]));
            squeeze(out, sq);
            assert_string_equal(sq, names[i]);
        }
    }
}

static void
test_limits(void **state)
{
    (void)state;
    char small[4];
    assert_int_equal(evgen_apply(EVGEN_THE, "Acme", 1, small, sizeof small), -1);
    assert_string_equal(small, "");
    char big[1100];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(evgen_apply(EVGEN_CASE, big, 1, out, sizeof out), -1);
}

static void
test_norm_and_core(void **state)
{
    (void)state;
    char a[256], b[256], c[256];
    assert_int_equal(evdata_norm("Xi\xE2\x80\x99"
                                 "an  Jiaotong-University",
                                 a, sizeof a),
                     0);
    assert_string_equal(a, "xian jiaotong university");
    assert_int_equal(evdata_norm("\xC3\x89"
                                 "COLE Polytechnique",
                                 b, sizeof b),
                     0);
    assert_string_equal(b, "ecole polytechnique");
    assert_int_equal(evdata_norm("ABASTECEDORA NAVAL Y INDUSTRIAL, S.A.", a, sizeof a), 0);
    assert_int_equal(evdata_core(a, c, sizeof c), 0);
    assert_string_equal(c, "abastecedora naval y industrial");
    assert_int_equal(evdata_norm("The Anglo-Caribbean Co., Ltd.", a, sizeof a), 0);
    assert_int_equal(evdata_core(a, c, sizeof c), 0);
    assert_string_equal(c, "anglo caribbean");
    assert_int_equal(evdata_norm("T.D.G. Ltd", a, sizeof a), 0);
    assert_int_equal(evdata_core(a, c, sizeof c), 0);
    assert_string_equal(c, "tdg");
    assert_int_equal(evdata_norm("Acme", a, 3), -1);
}

static void
test_sources(void **state)
{
    (void)state;
    char dir[1100], err[512] = "";
    snprintf(dir, sizeof dir, "%s/data", fixtures());
    evdata_src_t *s = evdata_src_load(dir, err, sizeof err);
    if (s == NULL)
        fail_msg("%s", err);
    size_t n;
    evdata_org_t *const *o = evdata_src_orgs(s, &n);
    /* 2 NRO rows, 3 SDN entities (the individual left out), 1 UN entity. */
    assert_int_equal(n, 6);
    assert_string_equal(o[0]->list, "ca-nro");
    assert_string_equal(o[0]->key, "ca-nro:name:Harbin Institute of Technology");
    assert_string_equal(o[0]->country, "CN");
    assert_int_equal(o[0]->n_names, 2);
    assert_string_equal(o[0]->names[1], "HIT");
    assert_string_equal(o[1]->country, "IR");
    assert_int_equal(o[1]->n_names, 4);
    assert_string_equal(o[1]->names[3], "SUT: Sharif Technical University");
    assert_string_equal(o[2]->key, "ofac:36");
    assert_int_equal(o[2]->n_names, 2);
    assert_string_equal(o[2]->names[1], "AERO-CARIBBEAN");
    assert_string_equal(o[3]->names[0], "ANGLO-CARIBBEAN CO., LTD.");
    assert_string_equal(o[3]->ref, "ent_num 173");
    assert_string_equal(o[4]->names[0], "ABASTECEDORA NAVAL Y INDUSTRIAL, S.A.");
    assert_int_equal(o[4]->n_names, 1);
    /* The UN name field holding two names gives both; empty aliases none. */
    assert_string_equal(o[5]->key, "un:CDe.003");
    assert_int_equal(o[5]->n_names, 4);
    assert_string_equal(o[5]->names[0], "COMPAGNIE AERIENNE DES GRANDS LACS (CAGL)");
    assert_string_equal(o[5]->names[1], "GREAT LAKES BUSINESS COMPANY (GLBC)");
    assert_string_equal(o[5]->names[3], "CAGL");
    evdata_src_destroy(&s);
    assert_null(s);
    evdata_src_destroy(NULL);

    /* A missing data directory says which file it needed. */
    s = evdata_src_load("/nonexistent-vet-eval", err, sizeof err);
    assert_null(s);
    assert_non_null(strstr(err, "/nonexistent-vet-eval/canada_nro/nro_2024-09.tsv"));
}

static void
test_registry(void **state)
{
    (void)state;
    char err[512];
    /* The test fixture ruleset, stable for tests. */
    char dir[1100];
    const char *v = getenv("VET_TESTS_DIR");
    snprintf(dir, sizeof dir, "%s/fixtures/rulesets/good", v != NULL && v[0] != '\0' ? v : "tests");
    evdata_reg_t *r = evdata_reg_load(dir, err, sizeof err);
    if (r == NULL)
        fail_msg("%s", err);
    assert_true(evdata_reg_count(r) > 0);
    long i = evdata_reg_find(r, evdata_reg_id(r, 0));
    assert_int_equal(i, 0);
    assert_int_equal(evdata_reg_find(r, "no-such-organisation"), -1);
    char norm[256];
    size_t idx[4];
    assert_int_equal(evdata_norm("HARBIN INSTITUTE OF TECHNOLOGY", norm, sizeof norm), 0);
    assert_int_equal(evdata_reg_carriers(r, norm, idx, 4), 1);
    assert_true(evdata_reg_carries(r, idx[0], norm));
    assert_int_equal(evdata_reg_carriers(r, "no such name", idx, 4), 0);
    evdata_reg_destroy(&r);
    assert_null(r);
    /* The default registry: an NRO record is found by the name its source
     * cites (vet-import --format ca-nro), a name with an apostrophe too. */
    snprintf(dir, sizeof dir, "%s/../rules", v != NULL && v[0] != '\0' ? v : "tests");
    r = evdata_reg_load(dir, err, sizeof err);
    if (r == NULL)
        fail_msg("%s", err);
    assert_int_equal(evdata_reg_by_key(r, "ca-nro:name:Harbin Institute of Technology"),
                     evdata_reg_find(r, "nro-harbin-institute-of-technology"));
    assert_true(evdata_reg_find(r, "nro-harbin-institute-of-technology") >= 0);
    assert_int_equal(evdata_reg_by_key(r, "ca-nro:name:Xi'an Technological University"),
                     evdata_reg_find(r, "nro-xian-technological-university"));
    assert_true(evdata_reg_find(r, "nro-xian-technological-university") >= 0);
    evdata_reg_destroy(&r);
    assert_null(evdata_reg_load("/nonexistent-vet-eval", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-vet-eval/registry"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names), cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_case),       cmocka_unit_test(test_punct),
        cmocka_unit_test(test_word_order), cmocka_unit_test(test_legal_form),
        cmocka_unit_test(test_typos),      cmocka_unit_test(test_the_and_spaces),
        cmocka_unit_test(test_limits),     cmocka_unit_test(test_norm_and_core),
        cmocka_unit_test(test_sources),    cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
