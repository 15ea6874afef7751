/* SPDX-License-Identifier: Apache-2.0 */
/* test_taxonomy.c -- categories, every load error, subtrees, suggestions and keyword
 * spotting with its patterns, except phrases and vetoes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "norm.h"
#include "sbuf.h"
#include "taxonomy.h"

#define FILE_CFG "taxonomy.cfg"

typedef struct fx {
    tax_t *t;   /* the taxonomy under test */
    diag_t *d;  /* its load errors */
    arena_t *a; /* normalised texts */
} fx_t;

static int
setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    f->t = tax_new();
    f->d = diag_new(0);
    f->a = arena_new(0);
    if (f->t == NULL || f->d == NULL || f->a == NULL)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *f = *state;
    tax_destroy(&f->t);
    diag_destroy(&f->d);
    arena_destroy(&f->a);
    free(f);
    return 0;
}

/* Adds a category labelled by its code, declared at taxonomy.cfg:line. */
static int
add_kw(fx_t *f, const char *code, const char *parent, int line, const char **kw, size_t n)
{
    tax_def_t def = {.code = code,
                     .label = code,
                     .parent = parent,
                     .keywords = kw,
                     .n_keywords = n,
                     .file = FILE_CFG,
                     .line = line};
    return tax_add(f->t, &def, f->d);
}

#define KWS(...)                                                                                   \
    (const char *[]){__VA_ARGS__}, sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)
#define ADD(f, code, parent, line, ...) add_kw(f, code, parent, line, KWS(__VA_ARGS__))

static void
build_ok(fx_t *f)
{
    int rc = tax_build(f->t, f->d);
    if (rc != 0)
        diag_print(f->d, stderr);
    assert_int_equal(rc, 0);
    assert_int_equal(diag_count(f->d), 0);
}

/* Normalises text and spots in it; returns the hits as
 * "code/keyword@pos code/keyword@pos ..." (arena string). */
static const char *
spot_str(fx_t *f, const char *text, size_t cap)
{
    const char *norm;
    size_t nlen;
    assert_int_equal(norm_text(f->a, text, strlen(text), &norm, &nlen, NULL, 0), 0);
    tax_hit_t hits[64];
    assert_true(cap <= 64);
    size_t n = tax_spot(f->t, norm, nlen, hits, cap);
    assert_true(n <= cap);
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        const tax_cat_t *c = tax_get(f->t, hits[i].cat);
        assert_non_null(c);
        assert_true(hits[i].keyword >= 0 && (size_t)hits[i].keyword < c->n_keywords);
        sbuf_printf(&b, "%s%s/%s@%zu", i ? " " : "", c->code, c->keywords[hits[i].keyword],
                    hits[i].pos);
    }
    char *s = arena_strdup(f->a, b.data);
    sbuf_free(&b);
    return s;
}

static void
assert_diag(fx_t *f, size_t i, const char *msg)
{
    const char *got = diag_get(f->d, i);
    assert_non_null(got);
    assert_string_equal(got, msg);
}

/* ---- lifecycle and lookup ------------------------------------------------ */

static void
test_new_destroy(void **state)
{
    (void)state;
    tax_destroy(NULL);
    tax_t *t = NULL;
    tax_destroy(&t);
    t = tax_new();
    assert_non_null(t);
    assert_int_equal(tax_count(t), 0);
    assert_int_equal(tax_words(t), 0);
    assert_int_equal(tax_find(t, "ai"), -1);
    assert_null(tax_get(t, 0));
    diag_t *d = diag_new(0);
    assert_int_equal(tax_build(t, d), 0);
    tax_hit_t h[1];
    assert_int_equal(tax_spot(t, "ai", 2, h, 1), 0);
    diag_destroy(&d);
    tax_destroy(&t);
    assert_null(t);
}

static void
test_add_copies_everything(void **state)
{
    fx_t *f = *state;
    char code[] = "quantum.sensing", label[] = "Quantum sensing", parent[] = "quantum";
    char kw0[] = "Quantum Magnetometer", kw1[] = "NV centre";
    char ref0[] = "wassenaar:6A006", file[] = "rules/taxonomy.cfg";
    const char *kws[] = {kw0, kw1}, *refs[] = {ref0};
    tax_def_t def = {.code = code,
                     .label = label,
                     .parent = parent,
                     .keywords = kws,
                     .n_keywords = 2,
                     .refs = refs,
                     .n_refs = 1,
                     .file = file,
                     .line = 7};
    assert_int_equal(ADD(f, "quantum", NULL, 3, "quantum"), 0);
    assert_int_equal(tax_add(f->t, &def, f->d), 0);
    memset(code, 'x', sizeof code - 1);
    memset(label, 'x', sizeof label - 1);
    memset(parent, 'x', sizeof parent - 1);
    memset(kw0, 'x', sizeof kw0 - 1);
    memset(ref0, 'x', sizeof ref0 - 1);
    memset(file, 'x', sizeof file - 1);
    build_ok(f);

    assert_int_equal(tax_count(f->t), 2);
    int i = tax_find(f->t, "quantum.sensing");
    assert_int_equal(i, 1);
    const tax_cat_t *c = tax_get(f->t, i);
    assert_string_equal(c->code, "quantum.sensing");
    assert_string_equal(c->label, "Quantum sensing");
    assert_int_equal(c->parent, 0);
    assert_int_equal(c->n_keywords, 2);
    assert_string_equal(c->keywords[0], "Quantum Magnetometer"); /* as declared */
    assert_string_equal(c->keywords[1], "NV centre");
    assert_int_equal(c->n_refs, 1);
    assert_string_equal(c->refs[0], "wassenaar:6A006");
    assert_int_equal(tax_get(f->t, 0)->parent, -1);
    assert_null(tax_get(f->t, 2));
    assert_null(tax_get(f->t, -1));
    assert_string_equal(spot_str(f, "A quantum-magnetometer!", 8),
                        "quantum/quantum@2 quantum.sensing/Quantum Magnetometer@2");
}

static void
test_find_many(void **state)
{
    fx_t *f = *state;
    char code[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(code, sizeof code, "c%d", i);
        assert_int_equal(ADD(f, code, NULL, i + 1, code), 0);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(code, sizeof code, "c%d", i);
        assert_int_equal(tax_find(f->t, code), i); /* works before the build too */
    }
    build_ok(f);
    for (int i = 999; i >= 0; i--) {
        snprintf(code, sizeof code, "c%d", i);
        assert_int_equal(tax_find(f->t, code), i);
    }
    assert_int_equal(tax_find(f->t, "c1000"), -1);
    assert_int_equal(tax_find(f->t, ""), -1);
    assert_int_equal(tax_find(f->t, NULL), -1);
    assert_int_equal(tax_words(f->t), 16);
}

/* ---- tax_add errors ------------------------------------------------------ */

static void
test_duplicate(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "ai", NULL, 12, "artificial intelligence"), 0);
    assert_int_equal(ADD(f, "ai", NULL, 40, "ai"), -1);
    assert_int_equal(diag_count(f->d), 1);
    assert_diag(f, 0,
                "taxonomy.cfg:40: duplicate category \"ai\" "
                "(first declared at taxonomy.cfg:12)");
    /* The first declaration stays. */
    assert_int_equal(tax_count(f->t), 1);
    assert_string_equal(tax_get(f->t, 0)->keywords[0], "artificial intelligence");
    /* A failed add leaves the taxonomy incomplete: the build refuses it
     * without repeating the error. */
    assert_int_equal(tax_build(f->t, f->d), -1);
    assert_int_equal(diag_count(f->d), 1);
}

static void
test_duplicate_without_file(void **state)
{
    fx_t *f = *state;
    const char *kw[] = {"ai"};
    tax_def_t def = {.code = "ai", .label = "AI", .keywords = kw, .n_keywords = 1, .line = 5};
    assert_int_equal(tax_add(f->t, &def, f->d), 0);
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    def.line = 0;
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    def.line = 9;
    def.file = "b.cfg";
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    assert_int_equal(diag_count(f->d), 3);
    assert_diag(f, 0, "duplicate category \"ai\" (first declared at line 5)");
    assert_diag(f, 1, "duplicate category \"ai\" (first declared at line 5)");
    assert_diag(f, 2, "b.cfg:9: duplicate category \"ai\" (first declared at line 5)");

    tax_t *t = tax_new();
    def.line = 0;
    def.file = NULL;
    assert_int_equal(tax_add(t, &def, f->d), 0);
    assert_int_equal(tax_add(t, &def, f->d), -1);
    assert_diag(f, 3, "duplicate category \"ai\"");
    tax_destroy(&t);
}

static void
test_bad_codes(void **state)
{
    fx_t *f = *state;
    static const char *const bad[] = {
        "Quantum!",        "quantum.",        ".quantum", "quantum..sensing",
        "quantum sensing", "quantum-sensing", "ai.ML"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ADD(f, bad[i], NULL, 3, "kw"), -1);
        char want[200];
        snprintf(want, sizeof want,
                 "taxonomy.cfg:3: category code \"%s\": must be lower-case "
                 "letters, digits and '_' separated by '.'",
                 bad[i]);
        assert_diag(f, i, want);
    }
    const char *kw[] = {"kw"};
    tax_def_t def = {
        .code = "", .label = "L", .keywords = kw, .n_keywords = 1, .file = FILE_CFG, .line = 4};
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    assert_diag(f, 7, "taxonomy.cfg:4: category code is empty");
    def.code = NULL;
    def.line = 5;
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    assert_diag(f, 8, "taxonomy.cfg:5: category code is empty");
    assert_int_equal(diag_count(f->d), 9);
    assert_int_equal(tax_count(f->t), 0);
    /* Good codes, for contrast. */
    assert_int_equal(ADD(f, "a_1.b2.c", NULL, 6, "kw"), 0);
    assert_int_equal(ADD(f, "9", NULL, 7, "kw2"), 0);
}

static void
test_empty_label(void **state)
{
    fx_t *f = *state;
    const char *kw[] = {"ai"};
    tax_def_t def = {
        .code = "ai", .label = "", .keywords = kw, .n_keywords = 1, .file = FILE_CFG, .line = 2};
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    def.label = " \t ";
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    def.label = NULL;
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    assert_int_equal(diag_count(f->d), 3);
    for (size_t i = 0; i < 3; i++)
        assert_diag(f, i, "taxonomy.cfg:2: category \"ai\": label is empty");
    assert_int_equal(tax_count(f->t), 0);
}

static void
test_empty_keyword(void **state)
{
    fx_t *f = *state;
    const char *kw[] = {"machine learning", "deep learning", "--!?", NULL, ""};
    assert_int_equal(add_kw(f, "ai", NULL, 8, kw, 5), -1);
    assert_int_equal(diag_count(f->d), 3);
    assert_diag(f, 0, "taxonomy.cfg:8: category \"ai\": keyword 3 is empty after normalisation");
    assert_diag(f, 1, "taxonomy.cfg:8: category \"ai\": keyword 4 is empty after normalisation");
    assert_diag(f, 2, "taxonomy.cfg:8: category \"ai\": keyword 5 is empty after normalisation");
    assert_int_equal(tax_count(f->t), 0);
}

static void
test_invalid_utf8_keyword(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "ai", NULL, 8, "ok", "caf\xc3"), -1);
    assert_int_equal(diag_count(f->d), 1);
    assert_diag(f, 0, "taxonomy.cfg:8: category \"ai\": keyword 2: invalid UTF-8 at byte 3");
}

static void
test_all_errors_of_one_def(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "x", NULL, 1, "x"), 0);
    const char *kw[] = {"!"};
    tax_def_t def = {
        .code = "x", .label = "", .keywords = kw, .n_keywords = 1, .file = FILE_CFG, .line = 2};
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    assert_int_equal(diag_count(f->d), 3);
    assert_diag(f, 0,
                "taxonomy.cfg:2: duplicate category \"x\" (first declared at taxonomy.cfg:1)");
    assert_diag(f, 1, "taxonomy.cfg:2: category \"x\": label is empty");
    assert_diag(f, 2, "taxonomy.cfg:2: category \"x\": keyword 1 is empty after normalisation");
}

/* ---- tax_build errors ---------------------------------------------------- */

static void
test_unknown_parent(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "ai.ml", "a", 5, "ml"), 0);
    assert_int_equal(ADD(f, "ai", NULL, 6, "ai"), 0);
    assert_int_equal(ADD(f, "bio", "zzzzzzzz", 7, "bio"), 0);
    assert_int_equal(tax_build(f->t, f->d), -1);
    assert_int_equal(diag_count(f->d), 2);
    assert_diag(f, 0,
                "taxonomy.cfg:5: category \"ai.ml\": unknown parent \"a\" "
                "(did you mean \"ai\"?)");
    assert_diag(f, 1, "taxonomy.cfg:7: category \"bio\": unknown parent \"zzzzzzzz\"");
    assert_null(tax_subtree(f->t, 0));
    tax_hit_t h[2];
    assert_int_equal(tax_spot(f->t, "ai", 2, h, 2), 0); /* not built */
}

static void
test_parent_of_rejected_category(void **state)
{
    fx_t *f = *state;
    /* "space" is refused for its label; its child must not add "unknown parent". */
    const char *kw[] = {"space"};
    tax_def_t def = {
        .code = "space", .label = "", .keywords = kw, .n_keywords = 1, .file = FILE_CFG, .line = 1};
    assert_int_equal(tax_add(f->t, &def, f->d), -1);
    assert_int_equal(ADD(f, "space.launch", "space", 2, "launcher"), 0);
    assert_int_equal(tax_build(f->t, f->d), -1);
    assert_int_equal(diag_count(f->d), 1);
    assert_diag(f, 0, "taxonomy.cfg:1: category \"space\": label is empty");
}

static void
test_cycles(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "x", "y", 10, "x"), 0);
    assert_int_equal(ADD(f, "y", "x", 11, "y"), 0);
    assert_int_equal(ADD(f, "self", "self", 12, "self"), 0);
    assert_int_equal(ADD(f, "lead", "b", 13, "lead"), 0); /* leads into a ring, not on it */
    assert_int_equal(ADD(f, "c", "a", 14, "c"), 0);
    assert_int_equal(ADD(f, "b", "c", 15, "b"), 0);
    assert_int_equal(ADD(f, "a", "b", 16, "a"), 0);
    assert_int_equal(ADD(f, "ok", NULL, 17, "ok"), 0);
    assert_int_equal(ADD(f, "ok.child", "ok", 18, "child"), 0);
    assert_int_equal(tax_build(f->t, f->d), -1);
    assert_int_equal(diag_count(f->d), 3);
    assert_diag(f, 0, "taxonomy.cfg:10: category \"x\": parent cycle x -> y -> x");
    assert_diag(f, 1, "taxonomy.cfg:12: category \"self\": parent cycle self -> self");
    assert_diag(f, 2, "taxonomy.cfg:14: category \"c\": parent cycle c -> a -> b -> c");
}

/* ---- subtrees ------------------------------------------------------------ */

static bool
has_bit(const uint64_t *set, int i)
{
    return (set[i / 64] >> (i % 64)) & 1;
}

static void
test_subtrees(void **state)
{
    fx_t *f = *state;
    /* A heap-shaped forest of 150 categories: parent of n is (n-1)/2; n%50==0 are roots. */
    char code[32], parent[32];
    for (int i = 0; i < 150; i++) {
        snprintf(code, sizeof code, "n%d", i);
        snprintf(parent, sizeof parent, "n%d", (i - 1) / 2);
        assert_int_equal(ADD(f, code, i % 50 == 0 ? NULL : parent, i + 1, code), 0);
    }
    build_ok(f);
    assert_int_equal(tax_words(f->t), 3);
    for (int i = 0; i < 150; i++) {
        const uint64_t *sub = tax_subtree(f->t, i);
        assert_non_null(sub);
        for (int j = 0; j < 150; j++) {
            bool below = false; /* is i an ancestor-or-self of j? */
            for (int a = j; a >= 0 && !below; a = tax_get(f->t, a)->parent)
                below = a == i;
            assert_int_equal(has_bit(sub, j), below);
        }
        /* Bits past the last category stay clear. */
        assert_int_equal(sub[2] >> (150 - 128), 0);
    }
    assert_true(has_bit(tax_subtree(f->t, 0), 149));
    assert_false(has_bit(tax_subtree(f->t, 1), 2));
    assert_null(tax_subtree(f->t, 150));
    assert_null(tax_subtree(f->t, -1));
}

static void
test_subtree_named_codes(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "quantum.sensing", "quantum", 1, "quantum sensing"), 0);
    assert_int_equal(ADD(f, "quantum", NULL, 2, "quantum"), 0);
    assert_int_equal(ADD(f, "ai", NULL, 3, "ai"), 0);
    build_ok(f);
    int q = tax_find(f->t, "quantum"), qs = tax_find(f->t, "quantum.sensing");
    int ai = tax_find(f->t, "ai");
    assert_int_equal(tax_get(f->t, qs)->parent, q);
    assert_int_equal(tax_words(f->t), 1);
    assert_int_equal(tax_subtree(f->t, q)[0], (1ULL << q) | (1ULL << qs));
    assert_int_equal(tax_subtree(f->t, qs)[0], 1ULL << qs);
    assert_int_equal(tax_subtree(f->t, ai)[0], 1ULL << ai);
    /* Building twice is harmless. */
    assert_int_equal(tax_build(f->t, f->d), 0);
}

/* ---- suggestions --------------------------------------------------------- */

static void
suggest_fixture(fx_t *f)
{
    assert_int_equal(ADD(f, "quantum", NULL, 1, "quantum"), 0);
    assert_int_equal(ADD(f, "quantum.sensing", "quantum", 2, "quantum sensing"), 0);
    assert_int_equal(ADD(f, "quantum.computing", "quantum", 3, "quantum computing"), 0);
    assert_int_equal(ADD(f, "ai", NULL, 4, "artificial intelligence"), 0);
    assert_int_equal(ADD(f, "ai.ml", "ai", 5, "machine learning"), 0);
    assert_int_equal(ADD(f, "aerospace", NULL, 6, "aerospace"), 0);
    assert_int_equal(ADD(f, "aerospace.hypersonics", "aerospace", 7, "hypersonic"), 0);
    build_ok(f);
}

/* Suggestions for q as "code code ..." (arena string). */
static const char *
suggest_str(fx_t *f, const char *q, size_t max)
{
    int out[16];
    size_t n = tax_suggest(f->t, q, out, max);
    assert_true(n <= max);
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, "");
    for (size_t i = 0; i < n; i++)
        sbuf_printf(&b, "%s%s", i ? " " : "", tax_get(f->t, out[i])->code);
    char *s = arena_strdup(f->a, b.data);
    sbuf_free(&b);
    return s;
}

static void
test_suggest(void **state)
{
    fx_t *f = *state;
    suggest_fixture(f);
    assert_string_equal(suggest_str(f, "quantum.sensin", 3),
                        "quantum.sensing quantum quantum.computing");
    assert_string_equal(suggest_str(f, "quantum.sensin", 1), "quantum.sensing");
    /* Prefix: nearest (shortest) first. */
    assert_string_equal(suggest_str(f, "quant", 5), "quantum quantum.sensing quantum.computing");
    /* Segment. */
    assert_string_equal(suggest_str(f, "sensing", 5), "quantum.sensing");
    assert_string_equal(suggest_str(f, "hypersonics", 5), "aerospace.hypersonics");
    assert_string_equal(suggest_str(f, "ai.ml.x", 5), "ai.ml ai");
    assert_string_equal(suggest_str(f, "ml", 5), "ai ai.ml");
    /* Case is ignored. */
    assert_string_equal(suggest_str(f, "QUANTUM", 1), "quantum");
    /* Typo. */
    assert_string_equal(suggest_str(f, "aerospase", 2), "aerospace");
    /* Nothing close. */
    assert_string_equal(suggest_str(f, "zzzzzzzzzz", 5), "");
    assert_string_equal(suggest_str(f, "", 5), "");
    assert_int_equal(tax_suggest(f->t, NULL, (int[1]){0}, 1), 0);
    assert_string_equal(suggest_str(f, "quantum", 0), "");
}

/* ---- spotting ------------------------------------------------------------ */

static void
test_spot_basic(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "radar", NULL, 1, "Radar", "synthetic-aperture radar", "SAR imaging"),
                     0);
    assert_int_equal(ADD(f, "c2", NULL, 2, "intelligent command and control"), 0);
    assert_int_equal(ADD(f, "data", NULL, 3, "Big Data", "big data center", "data"), 0);
    build_ok(f);
    assert_string_equal(spot_str(f, "New SYNTHETIC APERTURE RADAR; radar.", 64),
                        "radar/synthetic-aperture radar@4 radar/Radar@23 radar/Radar@29");
    assert_string_equal(spot_str(f, "Intelligent command-and-control, for SAR-imaging!", 64),
                        "c2/intelligent command and control@0 radar/SAR imaging@36");
    /* Text order, although "data" is found before "big data center". */
    assert_string_equal(spot_str(f, "a big data center", 64),
                        "data/Big Data@2 data/big data center@2 data/data@6");
    assert_string_equal(spot_str(f, "", 64), "");
    assert_string_equal(spot_str(f, "nothing here", 64), "");
    /* Multi-word keywords need the words in order, whole. */
    assert_string_equal(spot_str(f, "intelligent command and controls", 64), "");
    assert_string_equal(spot_str(f, "big database", 64), "");
}

static void
test_spot_whole_words_only(void **state)
{
    fx_t *f = *state;
    /* A keyword never matches inside a longer word: list plurals explicitly. */
    assert_int_equal(ADD(f, "radar", NULL, 1, "radar"), 0);
    assert_int_equal(ADD(f, "radars", NULL, 2, "radars"), 0);
    build_ok(f);
    assert_string_equal(spot_str(f, "radars", 64), "radars/radars@0");
    assert_string_equal(spot_str(f, "preradar radarx xradarx", 64), "");
    assert_string_equal(spot_str(f, "radar", 64), "radar/radar@0");
    assert_string_equal(spot_str(f, "radar radar", 64), "radar/radar@0 radar/radar@6");
    assert_string_equal(spot_str(f, "(radar)", 64), "radar/radar@0");
}

static void
test_spot_overlapping_categories(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "ai.ml", NULL, 1, "machine learning"), 0);
    assert_int_equal(ADD(f, "edu", NULL, 2, "learning"), 0);
    assert_int_equal(ADD(f, "mech", NULL, 3, "machine"), 0);
    /* Two categories sharing a keyword: a hit each. */
    assert_int_equal(ADD(f, "ai", NULL, 4, "Machine Learning"), 0);
    build_ok(f);
    assert_string_equal(spot_str(f, "Machine-learning", 64),
                        "ai.ml/machine learning@0 mech/machine@0 ai/Machine Learning@0 "
                        "edu/learning@8");
}

static void
test_spot_duplicate_keyword_in_category(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "radar", NULL, 1, "Radar", "radar", "RADAR!"), 0);
    build_ok(f);
    assert_string_equal(spot_str(f, "radar", 64), "radar/Radar@0");
}

static void
test_spot_cap(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "a", NULL, 1, "x y z"), 0);
    assert_int_equal(ADD(f, "b", NULL, 2, "y"), 0);
    build_ok(f);
    /* "y" ends first but "x y z" starts first: the cap keeps the first in text order. */
    assert_string_equal(spot_str(f, "x y z", 1), "a/x y z@0");
    assert_string_equal(spot_str(f, "x y z", 2), "a/x y z@0 b/y@2");
    assert_string_equal(spot_str(f, "y y y y y", 3), "b/y@0 b/y@2 b/y@4");
    assert_string_equal(spot_str(f, "y y y y y", 0), "");
    tax_hit_t h[4];
    memset(h, 0x5a, sizeof h);
    assert_int_equal(tax_spot(f->t, "y y y", 5, h, 2), 2);
    assert_int_equal(h[2].pos, 0x5a5a5a5a5a5a5a5aULL); /* nothing written past cap */
}

static void
test_spot_unicode(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ADD(f, "radar", NULL, 1, "Rádar", "Électronique"), 0);
    assert_int_equal(ADD(f, "hyper", NULL, 2, "ГИПЕРЗВУК"), 0);
    build_ok(f);
    assert_string_equal(spot_str(f, "RADAR et électronique", 64),
                        "radar/Rádar@0 radar/Électronique@9");
    assert_string_equal(spot_str(f, "про гиперзвук.", 64), "hyper/ГИПЕРЗВУК@7");
}

/* ---- property: the automaton agrees with a naive search ----------------- */

static uint64_t
rnd(uint64_t *s)
{
    /* xorshift64*: a fixed seed makes the test reproducible. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* A random phrase of 1-3 words of 1-4 letters from "abc", with random
 * case and separators so normalisation is exercised. */
static void
rnd_phrase(uint64_t *s, char *buf, int words)
{
    static const char *const seps[] = {" ", "-", " , ", "  ", "/"};
    size_t n = 0;
    for (int w = 0; w < words; w++) {
        if (w > 0) {
            const char *sep = seps[rnd(s) % 5];
            memcpy(buf + n, sep, strlen(sep));
            n += strlen(sep);
        }
        int len = 1 + (int)(rnd(s) % 4);
        for (int i = 0; i < len; i++) {
            char c = (char)('a' + rnd(s) % 3);
            buf[n++] = rnd(s) % 5 == 0 ? (char)(c - 'a' + 'A') : c;
        }
    }
    buf[n] = '\0';
}

static int
cmp_hit(const void *a, const void *b)
{
    const tax_hit_t *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    if (x->cat != y->cat)
        return x->cat < y->cat ? -1 : 1;
    return (x->keyword > y->keyword) - (x->keyword < y->keyword);
}

#define P_CATS 50
#define P_PER_CAT 40 /* 2000 keywords */
#define P_MAX_HITS 20000

static void
test_spot_property(void **state)
{
    fx_t *f = *state;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    char kwbuf[P_CATS][P_PER_CAT][64];
    const char *norm[P_CATS][P_PER_CAT];
    size_t nlen[P_CATS][P_PER_CAT];
    for (int c = 0; c < P_CATS; c++) {
        const char *kws[P_PER_CAT];
        for (int k = 0; k < P_PER_CAT; k++) {
            rnd_phrase(&seed, kwbuf[c][k], 1 + (int)(rnd(&seed) % 3));
            kws[k] = kwbuf[c][k];
            assert_int_equal(
                norm_text(f->a, kws[k], strlen(kws[k]), &norm[c][k], &nlen[c][k], NULL, 0), 0);
        }
        char code[16];
        snprintf(code, sizeof code, "p%d", c);
        assert_int_equal(add_kw(f, code, NULL, c + 1, kws, P_PER_CAT), 0);
    }
    build_ok(f);

    tax_hit_t *got = malloc(P_MAX_HITS * sizeof *got);
    tax_hit_t *want = malloc(P_MAX_HITS * sizeof *want);
    assert_non_null(got);
    assert_non_null(want);
    for (int round = 0; round < 30; round++) {
        /* A random text of 150 phrases. */
        sbuf_t b = SBUF_INIT;
        char ph[64];
        for (int i = 0; i < 150; i++) {
            rnd_phrase(&seed, ph, 1 + (int)(rnd(&seed) % 3));
            sbuf_printf(&b, "%s%s", i ? " " : "", ph);
        }
        const char *text;
        size_t tlen;
        assert_int_equal(norm_text(f->a, b.data, b.len, &text, &tlen, NULL, 0), 0);
        sbuf_free(&b);

        /* Naive: every (category, first of equal keywords) at every whole-word position. */
        size_t nw = 0;
        for (int c = 0; c < P_CATS; c++)
            for (int k = 0; k < P_PER_CAT; k++) {
                bool dup = false;
                for (int j = 0; j < k && !dup; j++)
                    dup = strcmp(norm[c][j], norm[c][k]) == 0;
                if (dup)
                    continue;
                size_t l = nlen[c][k];
                for (size_t p = 0; p + l <= tlen; p++)
                    if ((p == 0 || text[p - 1] == ' ') && (p + l == tlen || text[p + l] == ' ') &&
                        memcmp(text + p, norm[c][k], l) == 0) {
                        assert_true(nw < P_MAX_HITS);
                        want[nw++] = (tax_hit_t){.cat = c, .keyword = k, .pos = p};
                    }
            }
        qsort(want, nw, sizeof *want, cmp_hit);
        assert_true(nw > 100); /* the alphabet is small enough to hit a lot */

        size_t ng = tax_spot(f->t, text, tlen, got, P_MAX_HITS);
        assert_int_equal(ng, nw);
        for (size_t i = 0; i < nw; i++) {
            assert_int_equal(got[i].cat, want[i].cat);
            assert_int_equal(got[i].keyword, want[i].keyword);
            assert_int_equal(got[i].pos, want[i].pos);
        }
        /* A cap keeps exactly the first hits in text order. */
        size_t caps[] = {1, 7, nw / 2, nw - 1};
        for (size_t ci = 0; ci < 4; ci++) {
            size_t cap = caps[ci];
            assert_int_equal(tax_spot(f->t, text, tlen, got, cap), cap);
            for (size_t i = 0; i < cap; i++) {
                assert_int_equal(got[i].cat, want[i].cat);
                assert_int_equal(got[i].keyword, want[i].keyword);
                assert_int_equal(got[i].pos, want[i].pos);
            }
        }
        arena_reset(f->a);
        /* norm[][] lived in the arena: normalise the keywords again. */
        for (int c = 0; c < P_CATS; c++)
            for (int k = 0; k < P_PER_CAT; k++)
                assert_int_equal(norm_text(f->a, kwbuf[c][k], strlen(kwbuf[c][k]), &norm[c][k],
                                           &nlen[c][k], NULL, 0),
                                 0);
    }
    free(got);
    free(want);
}

/* ---- patterns, except phrases and vetoes --------------------------------- */

/* A category "w" with keywords kw and whatever else the test sets in def. */
static int
add_def(fx_t *f, tax_def_t def)
{
    if (def.code == NULL)
        def.code = "w";
    def.label = def.code;
    def.file = FILE_CFG;
    if (def.line == 0)
        def.line = 1;
    return tax_add(f->t, &def, f->d);
}

static void
test_spot_except(void **state)
{
    fx_t *f = *state;
    const char *kw[] = {"missile", "missiles", "directed energy"};
    const char *ex[] = {"Cuban missile crisis", "missile crisis", "directed-energy deposition"};
    assert_int_equal(
        add_def(f, (tax_def_t){.keywords = kw, .n_keywords = 3, .except = ex, .n_except = 3}), 0);
    /* The same keyword in another category has no except phrase. */
    assert_int_equal(ADD(f, "hist", NULL, 2, "missile"), 0);
    build_ok(f);
    const tax_cat_t *c = tax_get(f->t, 0);
    assert_int_equal(c->n_except, 3);
    assert_string_equal(c->except[0], "Cuban missile crisis"); /* as declared */
    assert_string_equal(spot_str(f, "The Cuban Missile Crisis.", 64), "hist/missile@10");
    assert_string_equal(spot_str(f, "missile crisis; missile defence", 64),
                        "hist/missile@0 w/missile@15 hist/missile@15");
    /* Only a containing phrase excepts: "crisis missile" does not. */
    assert_string_equal(spot_str(f, "crisis missiles", 64), "w/missiles@7");
    assert_string_equal(spot_str(f, "directed energy deposition of Ti-6Al-4V", 64), "");
    assert_string_equal(spot_str(f, "directed energy weapons", 64), "w/directed energy@0");
    /* The phrase must be whole words too. */
    assert_string_equal(spot_str(f, "missile crises", 64), "w/missile@0 hist/missile@0");
}

static void
test_spot_veto(void **state)
{
    fx_t *f = *state;
    const char *kw[] = {"warhead", "warheads", "drone"};
    tax_veto_def_t v[] = {
        {.keywords = (const char *[]){"Warhead"},
         .n_keywords = 1,
         .context = (const char *[]){"E3 ligase", "PROTAC"},
         .n_context = 2,
         .window = 3},
        {.keywords = (const char *[]){"drone"},
         .n_keywords = 1,
         .context = (const char *[]){"drone music"},
         .n_context = 1},
    };
    assert_int_equal(
        add_def(f, (tax_def_t){.keywords = kw, .n_keywords = 3, .vetoes = v, .n_vetoes = 2}), 0);
    build_ok(f);
    const tax_cat_t *c = tax_get(f->t, 0);
    assert_int_equal(c->n_vetoes, 2);
    assert_string_equal(c->vetoes[0], "Warhead unless E3 ligase|PROTAC (within 3 words)");
    assert_string_equal(c->vetoes[1], "drone unless drone music (within 10 words)");
    /* Context 3 words after (its first word is the third): vetoed. */
    assert_string_equal(spot_str(f, "the warhead binds the E3 ligase", 64), "");
    /* One word further: evidence. */
    assert_string_equal(spot_str(f, "the warhead binds to the E3 ligase", 64), "w/warhead@4");
    /* Before the keyword, and a context phrase ending inside the window. */
    assert_string_equal(spot_str(f, "PROTAC a b warhead", 64), "");
    assert_string_equal(spot_str(f, "PROTAC a b c warhead", 64), "w/warhead@13");
    assert_string_equal(spot_str(f, "E3 ligase a b warhead", 64), "");
    assert_string_equal(spot_str(f, "E3 ligase a b c warhead", 64), "w/warhead@16");
    /* A veto guards only the keywords it names. */
    assert_string_equal(spot_str(f, "PROTAC warheads", 64), "w/warheads@7");
    /* Each occurrence is judged on its own. */
    assert_string_equal(spot_str(f, "warhead a b c d e f PROTAC", 64), "w/warhead@0");
    assert_string_equal(spot_str(f, "warhead a b c d e f g h warhead PROTAC", 64), "w/warhead@0");
    /* A context phrase that contains the keyword (default window). */
    assert_string_equal(spot_str(f, "drone music; drone swarms", 64), "");
    assert_string_equal(spot_str(f, "a drone a b c d e f g h i j drone music", 64), "w/drone@2");
}

static void
test_spot_pattern(void **state)
{
    fx_t *f = *state;
    const char *kw[] = {"nv centre"};
    tax_pattern_def_t p[] = {
        {.terms = (const char *[]){" nitrogen vacancy | NV", "diamond|diamonds"},
         .n_terms = 2,
         .window = 4},
        {.terms = (const char *[]){"gan", "hemt|transistor", "ka band"}, .n_terms = 3, .window = 5},
    };
    assert_int_equal(
        add_def(f, (tax_def_t){.keywords = kw, .n_keywords = 1, .patterns = p, .n_patterns = 2}),
        0);
    build_ok(f);
    const tax_cat_t *c = tax_get(f->t, 0);
    assert_int_equal(c->n_keywords, 3);
    assert_int_equal(c->n_patterns, 2);
    assert_string_equal(c->keywords[1], "nitrogen vacancy + diamond");
    assert_string_equal(c->keywords[2], "gan + hemt + ka band");
    assert_string_equal(c->patterns[0],
                        " nitrogen vacancy | NV + diamond|diamonds (within 4 words)");
    assert_string_equal(spot_str(f, "Nitrogen-vacancy centres in diamond", 64),
                        "w/nitrogen vacancy + diamond@0");
    /* Either order, any alternative; the hit is where the first term is. */
    assert_string_equal(spot_str(f, "diamonds with an NV", 64), "w/nitrogen vacancy + diamond@17");
    assert_string_equal(spot_str(f, "NV a b c diamond", 64), "w/nitrogen vacancy + diamond@0");
    assert_string_equal(spot_str(f, "NV a b c d diamond", 64), "");
    assert_string_equal(spot_str(f, "nitrogen vacancies in carbon nitride", 64), "");
    /* Every term is needed. */
    assert_string_equal(spot_str(f, "GaN HEMT amplifiers", 64), "");
    assert_string_equal(spot_str(f, "Ka-band GaN HEMT amplifiers", 64), "w/gan + hemt + ka band@8");
    assert_string_equal(spot_str(f, "a GAN for MRI", 64), "");
    /* A keyword and a pattern of one category both report. */
    assert_string_equal(spot_str(f, "NV centre in diamond", 64),
                        "w/nv centre@0 w/nitrogen vacancy + diamond@0");
}

static void
test_spot_refinements_cap(void **state)
{
    fx_t *f = *state;
    const char *kw[] = {"y"};
    tax_veto_def_t v[] = {{.keywords = (const char *[]){"y"},
                           .n_keywords = 1,
                           .context = (const char *[]){"no"},
                           .n_context = 1,
                           .window = 1}};
    tax_pattern_def_t p[] = {{.terms = (const char *[]){"x", "z"}, .n_terms = 2, .window = 2}};
    assert_int_equal(add_def(f, (tax_def_t){.keywords = kw,
                                            .n_keywords = 1,
                                            .vetoes = v,
                                            .n_vetoes = 1,
                                            .patterns = p,
                                            .n_patterns = 1}),
                     0);
    build_ok(f);
    /* Vetoed hits take no place under the cap. */
    assert_string_equal(spot_str(f, "no y a y b x z", 2), "w/y@7 w/x + z@11");
    assert_string_equal(spot_str(f, "no y a y b x z", 1), "w/y@7");
    assert_string_equal(spot_str(f, "no y y no y x z", 1), "w/x + z@12");
    assert_string_equal(spot_str(f, "x z y", 1), "w/x + z@0");
    assert_string_equal(spot_str(f, "x z y", 64), "w/x + z@0 w/y@4");
}

static void
test_refinement_errors(void **state)
{
    fx_t *f = *state;
    const char *kw[] = {"warhead", "drone"};
    tax_pattern_def_t p[] = {
        {.terms = (const char *[]){"a"}, .n_terms = 1, .line = 10},
        {.terms = (const char *[]){"a", "b", "c", "d", "e", "f", "g", "h", "i"},
         .n_terms = 9,
         .line = 11},
        {.terms = (const char *[]){"a||b", "c|!?"}, .n_terms = 2, .window = 51, .line = 12},
        {.terms = (const char *[]){"a", "b"}, .n_terms = 2, .window = -1},
    };
    tax_veto_def_t v[] = {
        {.keywords = (const char *[]){"warhed", "zzzz"},
         .n_keywords = 2,
         .context = (const char *[]){"ligase"},
         .n_context = 1,
         .line = 20},
        {.n_keywords = 0, .n_context = 0, .window = 99, .line = 21},
        {.keywords = (const char *[]){"drone"},
         .n_keywords = 1,
         .context = (const char *[]){"DRONE!", "", "caf\xc3"},
         .n_context = 3,
         .line = 22},
    };
    const char *ex[] = {"cuban crisis", "Drone", "..."};
    assert_int_equal(add_def(f, (tax_def_t){.keywords = kw,
                                            .n_keywords = 2,
                                            .except = ex,
                                            .n_except = 3,
                                            .patterns = p,
                                            .n_patterns = 4,
                                            .vetoes = v,
                                            .n_vetoes = 3,
                                            .line = 5}),
                     -1);
    static const char *const want[] = {
        "taxonomy.cfg:5: category \"w\": except \"cuban crisis\" contains none of its keywords "
        "(it could never apply)",
        "taxonomy.cfg:5: category \"w\": except \"Drone\" is one of its keywords (it would veto "
        "every occurrence)",
        "taxonomy.cfg:5: category \"w\": except 3: empty after normalisation",
        "taxonomy.cfg:10: category \"w\": pattern: needs 2 to 8 terms, not 1",
        "taxonomy.cfg:11: category \"w\": pattern: needs 2 to 8 terms, not 9",
        "taxonomy.cfg:12: category \"w\": pattern: window 51 is not in 1..50",
        "taxonomy.cfg:12: category \"w\": pattern: term 1: alternative 2: empty after "
        "normalisation",
        "taxonomy.cfg:12: category \"w\": pattern: term 2: alternative 2: empty after "
        "normalisation",
        "taxonomy.cfg:5: category \"w\": pattern: window -1 is not in 1..50",
        "taxonomy.cfg:20: category \"w\": veto: \"warhed\" is not one of its keywords (did "
        "you mean \"warhead\"?)",
        "taxonomy.cfg:20: category \"w\": veto: \"zzzz\" is not one of its keywords",
        "taxonomy.cfg:21: category \"w\": veto: window 99 is not in 1..50",
        "taxonomy.cfg:21: category \"w\": veto: no keywords to guard",
        "taxonomy.cfg:21: category \"w\": veto: no context",
        "taxonomy.cfg:22: category \"w\": veto: context \"DRONE!\" is a keyword it guards (it "
        "would veto every occurrence)",
        "taxonomy.cfg:22: category \"w\": veto: context 2: empty after normalisation",
        "taxonomy.cfg:22: category \"w\": veto: context 3: invalid UTF-8 at byte 3",
    };
    size_t n = sizeof want / sizeof want[0];
    for (size_t i = 0; i < diag_count(f->d); i++)
        if (i >= n || strcmp(diag_get(f->d, i), want[i]) != 0)
            print_message("diag %zu: %s\n", i, diag_get(f->d, i));
    assert_int_equal(diag_count(f->d), n);
    for (size_t i = 0; i < n; i++)
        assert_diag(f, i, want[i]);
    assert_int_equal(tax_count(f->t), 0);
    assert_int_equal(tax_build(f->t, f->d), -1); /* incomplete: refused */
}

/* ---- property: refinements agree with a word-level model ---------------- */

/* A normalised phrase as word indexes into a text's words. */
typedef struct wocc {
    size_t a, b; /* words [a, b) */
} wocc_t;

/* Words of normalised text t (single spaces): offsets into off[], count returned. */
static size_t
split_words(const char *t, size_t len, size_t *off, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if ((i == 0 || t[i - 1] == ' ') && t[i] != ' ') {
            assert_true(n < cap);
            off[n++] = i;
        }
    return n;
}

/* Occurrences of normalised phrase ph in the words of t. */
static size_t
find_words(const char *t, size_t len, const size_t *off, size_t nw, const char *ph, wocc_t *out,
           size_t cap)
{
    size_t pl = strlen(ph), words = 1, n = 0;
    for (const char *c = ph; *c; c++)
        words += *c == ' ';
    for (size_t w = 0; w + words <= nw; w++) {
        size_t s = off[w];
        if (s + pl <= len && memcmp(t + s, ph, pl) == 0 && (s + pl == len || t[s + pl] == ' ')) {
            assert_true(n < cap);
            out[n++] = (wocc_t){w, w + words};
        }
    }
    return n;
}

#define R_KW 6
#define R_MAXOCC 4096

static const char *
norm_of(fx_t *f, const char *s)
{
    const char *out;
    size_t n;
    assert_int_equal(norm_text(f->a, s, strlen(s), &out, &n, NULL, 0), 0);
    return out;
}

static void
test_refinements_property(void **state)
{
    fx_t *f = *state;
    uint64_t seed = 0x243f6a8885a308d3ULL;
    int rounds = 0;
    size_t excepted = 0, vetoed = 0, patterned = 0; /* the model's cases, all rounds */
    for (int round = 0; round < 150; round++) {
        tax_destroy(&f->t);
        f->t = tax_new();
        assert_non_null(f->t);
        arena_reset(f->a);
        /* Keywords of 1-2 words; one except phrase and one veto over them;
         * a two-term pattern. All from a 3-letter alphabet. */
        char kwb[R_KW][64], exb[64], ctxb[64], t0[64], t1a[64], t1b[64], t1[140];
        const char *kw[R_KW];
        for (int k = 0; k < R_KW; k++) {
            do
                rnd_phrase(&seed, kwb[k], 1 + (int)(rnd(&seed) % 2));
            while (strlen(norm_of(f, kwb[k])) == 0);
            kw[k] = kwb[k];
        }
        /* The except phrase: a keyword with a word before it. */
        int ek = (int)(rnd(&seed) % R_KW);
        char pre[16];
        rnd_phrase(&seed, pre, 1);
        snprintf(exb, sizeof exb, "%s %s", pre, kwb[ek]);
        rnd_phrase(&seed, ctxb, 1 + (int)(rnd(&seed) % 2));
        rnd_phrase(&seed, t0, 1 + (int)(rnd(&seed) % 2));
        rnd_phrase(&seed, t1a, 1);
        rnd_phrase(&seed, t1b, 2);
        snprintf(t1, sizeof t1, "%s|%s", t1a, t1b);
        int vk = (int)(rnd(&seed) % R_KW);
        unsigned vw = 1 + (unsigned)(rnd(&seed) % 4), pw = 1 + (unsigned)(rnd(&seed) % 4);
        const char *ex[] = {exb};
        tax_veto_def_t v = {.keywords = (const char *[]){kwb[vk]},
                            .n_keywords = 1,
                            .context = (const char *[]){ctxb},
                            .n_context = 1,
                            .window = (int)vw};
        tax_pattern_def_t p = {.terms = (const char *[]){t0, t1}, .n_terms = 2, .window = (int)pw};
        tax_def_t def = {.code = "w",
                         .label = "w",
                         .keywords = kw,
                         .n_keywords = R_KW,
                         .except = ex,
                         .n_except = 1,
                         .vetoes = &v,
                         .n_vetoes = 1,
                         .patterns = &p,
                         .n_patterns = 1,
                         .file = FILE_CFG,
                         .line = 1};
        if (tax_add(f->t, &def, f->d) != 0) {
            /* A random except equal to a keyword, or a context equal to the
             * guarded keyword: a correct refusal, try another draw. */
            diag_destroy(&f->d);
            f->d = diag_new(0);
            assert_non_null(f->d);
            continue;
        }
        build_ok(f);
        const tax_cat_t *c = tax_get(f->t, 0);

        /* A random text of 200 one-word phrases. */
        sbuf_t b = SBUF_INIT;
        char ph[16];
        for (int i = 0; i < 200; i++) {
            rnd_phrase(&seed, ph, 1);
            sbuf_printf(&b, "%s%s", i ? " " : "", ph);
        }
        const char *text;
        size_t tlen;
        assert_int_equal(norm_text(f->a, b.data, b.len, &text, &tlen, NULL, 0), 0);
        sbuf_free(&b);
        size_t off[256];
        size_t nw = split_words(text, tlen, off, 256);

        /* The model, word by word. */
        static tax_hit_t want[R_MAXOCC], got[R_MAXOCC];
        static wocc_t occ[R_MAXOCC], ex_occ[R_MAXOCC], ctx_occ[R_MAXOCC], t1_occ[R_MAXOCC];
        size_t n_ex = find_words(text, tlen, off, nw, norm_of(f, exb), ex_occ, R_MAXOCC);
        size_t n_ctx = find_words(text, tlen, off, nw, norm_of(f, ctxb), ctx_occ, R_MAXOCC);
        size_t n_t1 = find_words(text, tlen, off, nw, norm_of(f, t1a), t1_occ, R_MAXOCC);
        n_t1 += find_words(text, tlen, off, nw, norm_of(f, t1b), t1_occ + n_t1, R_MAXOCC - n_t1);
        size_t nwant = 0;
        for (int k = 0; k < R_KW; k++) {
            const char *nk = norm_of(f, kwb[k]);
            bool dup = false;
            for (int j = 0; j < k && !dup; j++)
                dup = strcmp(norm_of(f, kwb[j]), nk) == 0;
            if (dup)
                continue;
            bool guarded = strcmp(nk, norm_of(f, kwb[vk])) == 0;
            size_t n = find_words(text, tlen, off, nw, nk, occ, R_MAXOCC);
            for (size_t o = 0; o < n; o++) {
                bool out = false;
                for (size_t e = 0; e < n_ex && !out; e++)
                    out = ex_occ[e].a <= occ[o].a && ex_occ[e].b >= occ[o].b;
                excepted += out;
                for (size_t x = 0; x < n_ctx && guarded && !out; x++)
                    out = ctx_occ[x].a < occ[o].b + vw && ctx_occ[x].b + vw > occ[o].a;
                vetoed += out;
                if (!out)
                    want[nwant++] = (tax_hit_t){0, k, off[occ[o].a]};
            }
        }
        size_t n0 = find_words(text, tlen, off, nw, norm_of(f, t0), occ, R_MAXOCC);
        for (size_t o = 0; o < n0; o++) {
            bool near = false;
            for (size_t x = 0; x < n_t1 && !near; x++)
                near = t1_occ[x].a < occ[o].b + pw && t1_occ[x].b + pw > occ[o].a;
            if (near)
                want[nwant++] = (tax_hit_t){0, (int)c->n_keywords - 1, off[occ[o].a]};
            patterned += near;
        }
        qsort(want, nwant, sizeof *want, cmp_hit);
        size_t ng = tax_spot(f->t, text, tlen, got, R_MAXOCC);
        if (ng != nwant)
            print_message("round %d: text \"%s\" got %zu want %zu\n", round, text, ng, nwant);
        assert_int_equal(ng, nwant);
        for (size_t i = 0; i < nwant; i++) {
            assert_int_equal(got[i].keyword, want[i].keyword);
            assert_int_equal(got[i].pos, want[i].pos);
        }
        rounds++;
    }
    assert_true(rounds >= 75);
    /* The draws exercise every refinement, and not trivially. */
    if (excepted < 10 || vetoed < 10 || patterned < 10)
        print_message("excepted %zu, vetoed %zu, patterned %zu\n", excepted, vetoed, patterned);
    assert_true(excepted >= 10 && vetoed >= 10 && patterned >= 10);
}

/* ---- memory -------------------------------------------------------------- */

static void
test_memory(void **state)
{
    fx_t *f = *state;
    size_t empty = tax_memory(f->t);
    assert_true(empty > 0);
    assert_int_equal(tax_memory(NULL), 0);
    char code[32], kw[64];
    for (int i = 0; i < 500; i++) {
        snprintf(code, sizeof code, "m%d", i);
        snprintf(kw, sizeof kw, "keyword number %d of the memory test", i);
        assert_int_equal(ADD(f, code, NULL, i + 1, kw), 0);
    }
    size_t added = tax_memory(f->t);
    assert_true(added > empty + 500 * 30);
    build_ok(f);
    assert_true(tax_memory(f->t) > added);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_destroy),
        cmocka_unit_test_setup_teardown(test_add_copies_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_without_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_label, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_keyword, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_keyword, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_errors_of_one_def, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parent_of_rejected_category, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subtrees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subtree_named_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suggest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_whole_words_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_overlapping_categories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_duplicate_keyword_in_category, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_unicode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_except, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_veto, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_pattern, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_refinements_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refinement_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refinements_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
