/* test_taxonomy.c -- categories, every load error, subtrees, suggestions and keyword spotting. */
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
        cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
