/* SPDX-License-Identifier: Apache-2.0 */
/* test_script.c -- non-Latin names: t2s folding, the Latin rendering, errors, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <opencc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uclean.h>

#include "arena.h"
#include "script.h"

/* The link wraps opencc_open and malloc (tests/tests.mk) for the
 * objects of this program, engine/match/script.c's and lib/arena.c's
 * included: a test can make OpenCC look for its data where there is
 * none, or fail our next malloc (ICU's and OpenCC's own allocations are
 * not wrapped). */
opencc_t __real_opencc_open(const char *file);
opencc_t __wrap_opencc_open(const char *file);
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
static bool opencc_no_data; /* opencc_open looks in a directory that does not exist */
static bool malloc_fail;    /* fail the next malloc */

opencc_t
__wrap_opencc_open(const char *file)
{
    if (opencc_no_data)
        return __real_opencc_open("/nonexistent/vetd-test-opencc/t2s.json");
    return __real_opencc_open(file);
}

void *
__wrap_malloc(size_t n)
{
    if (malloc_fail) {
        malloc_fail = false;
        errno = ENOMEM;
        return NULL;
    }
    return __real_malloc(n);
}

/* One handle for the whole program: script_new takes 100 ms or more. */
static script_t *sc;

static int
setup(void **state)
{
    (void)state;
    char err[256] = "";
    sc = script_new(err, sizeof err);
    if (sc == NULL)
        print_error("script_new: %s\n", err);
    return sc == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    (void)state;
    script_destroy(&sc);
    return 0;
}

typedef int (*conv_fn)(script_t *, arena_t *, const char *, size_t, const char **, size_t *, char *,
                       size_t);

/* Runs f on in and checks the result, its length and its terminating NUL. */
static void
expect(conv_fn f, arena_t *a, const char *in, const char *want)
{
    const char *out = NULL;
    size_t len = 999;
    char err[128] = "";
    int rc = f(sc, a, in, strlen(in), &out, &len, err, sizeof err);
    if (rc != 0 || len != strlen(want) || strncmp(out, want, len) != 0)
        print_error("\"%s\" -> \"%.*s\" (rc %d, %s), want \"%s\"\n", in, out ? (int)len : 6,
                    out ? out : "(null)", rc, err, want);
    assert_int_equal(rc, 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    if (out != in)
        assert_int_equal(out[len], '\0');
}

/* Runs f on in[0..len) and checks it fails with the message want. */
static void
expect_err(conv_fn f, arena_t *a, const char *in, size_t len, const char *want)
{
    const char *out = NULL;
    size_t outlen = 0;
    char err[128] = "";
    assert_int_equal(f(sc, a, in, len, &out, &outlen, err, sizeof err), -1);
    assert_string_equal(err, want);
    /* no message buffer: still -1, nothing written */
    assert_int_equal(f(sc, a, in, len, &out, &outlen, NULL, 0), -1);
}

static void
test_simplified(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    expect(script_simplified, a, "北京航空航天大學", "北京航空航天大学");
    expect(script_simplified, a, "國防科技大學", "国防科技大学");
    expect(script_simplified, a, "國立臺灣大學", "国立台湾大学");
    /* already simplified, and mixed with Latin */
    expect(script_simplified, a, "国防科技大学", "国防科技大学");
    expect(script_simplified, a, "Tsinghua University (清華大學)",
           "Tsinghua University (清华大学)");
    /* a Japanese name: kana pass, kanji fold like Chinese ones */
    expect(script_simplified, a, "三菱重工業 カブシキガイシャ", "三菱重工业 カブシキガイシャ");
    arena_destroy(&a);
}

/* Text without Han comes back as it is: the same pointer, no copy. */
static void
test_simplified_no_han_no_copy(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    static const char *const in[] = {"Harbin Institute of Technology", "", "Московский университет",
                                     "دانشگاه صنعتی شریف", "Müller GmbH"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        const char *out = NULL;
        size_t len = 999;
        assert_int_equal(script_simplified(sc, a, in[i], strlen(in[i]), &out, &len, NULL, 0), 0);
        assert_ptr_equal(out, in[i]);
        assert_int_equal(len, strlen(in[i]));
    }
    assert_int_equal(arena_used(a), 0);
    arena_destroy(&a);
}

static void
test_latin_han(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    expect(script_latin, a, "国防科技大学", "guo fang ke ji da xue");
    expect(script_latin, a, "國防科技大學", "guo fang ke ji da xue");
    expect(script_latin, a, "西北工业大学", "xi bei gong ye da xue");
    expect(script_latin, a, "北京航空航天大學", "bei jing hang kong hang tian da xue");
    expect(script_latin, a, "哈尔滨工业大学（深圳）", "ha er bin gong ye da xue shen zhen");
    /* the readings table: ICU alone says "zhang chun", "cheng dou", "yin xing", "sha men" */
    expect(script_latin, a, "中国科学院长春光学精密机械与物理研究所",
           "zhong guo ke xue yuan chang chun guang xue jing mi ji xie yu wu li yan jiu suo");
    expect(script_latin, a, "成都", "cheng du");
    expect(script_latin, a, "中国银行", "zhong guo yin hang");
    expect(script_latin, a, "厦门大学", "xia men da xue");
    expect(script_latin, a, "長城", "chang cheng");
    /* no reading of ours on 飞行 (flight): ICU's xing stands */
    expect(script_latin, a, "中国民用航空飞行学院",
           "zhong guo min yong hang kong fei xing xue yuan");
    /* Han next to Latin, and the middle dot of transcribed foreign names */
    expect(script_latin, a, "Harbin 哈尔滨 Institute", "harbin ha er bin institute");
    expect(script_latin, a, "马克·吐温", "ma ke tu wen");
    arena_destroy(&a);
}

static void
test_latin_cyrillic(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    /* Russian-Latin/BGN: -ий "iy", -ый "yy", х "kh", Э "E" */
    expect(script_latin, a,
           "Московский государственный технический университет имени Н. Э. Баумана",
           "moskovskiy gosudarstvennyy tekhnicheskiy universitet imeni n e baumana");
    expect(script_latin, a, "АО «Позитив Текнолоджиз»", "ao pozitiv teknolodzhiz");
    expect(script_latin, a, "Сколковский институт науки и технологий",
           "skolkovskiy institut nauki i tekhnologiy");
    /* soft and hard signs join; ё is e; BGN's t·s and sh·ch lose the dot */
    expect(script_latin, a, "Объединённая авиастроительная корпорация",
           "obyedinennaya aviastroitelnaya korporatsiya");
    expect(script_latin, a, "Ульяновск Детская Щёлково", "ulyanovsk detskaya shchelkovo");
    /* Ukrainian letters outside Russian go through ICU's Cyrillic-Latin */
    expect(script_latin, a, "Київський політехнічний інститут",
           "kiivskiy politekhnichniy institut");
    arena_destroy(&a);
}

/* Persian and Arabic are written without short vowels: what ICU (with
 * our rules for alef and yeh) can give is the consonants and long
 * vowels, "shrif" for Sharif, "amirkbir" for Amirkabir. */
static void
test_latin_arabic_script(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    expect(script_latin, a, "دانشگاه صنعتی شریف", "danshgah snti shrif");
    expect(script_latin, a, "دانشگاه صنعتی امیرکبیر", "danshgah snti amirkbir");
    expect(script_latin, a, "صنایع الکترونیک ایران", "snay alktrvnik iran");
    expect(script_latin, a, "جامعة دمشق", "jamh dmshq");
    /* presentation forms (NFKC) and Persian digits */
    expect(script_latin, a, "ﺷﺮﻳﻒ ۱۲۳", "shrif 123");
    arena_destroy(&a);
}

static void
test_latin_other_scripts(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    expect(script_latin, a, "Ελληνική Αεροπορική Βιομηχανία", "elliniki aeroporiki viomichania");
    expect(script_latin, a, "한국항공우주산업", "hangughang gong ujusan eob");
    expect(script_latin, a, "ヤマハ", "yamaha");
    /* accents, full-width letters, ligatures, ß, apostrophes */
    expect(script_latin, a, "Müller & Söhne", "muller sohne");
    expect(script_latin, a, "ＡＢＣ Straße ﬁne", "abc strasse fine");
    expect(script_latin, a, "People\xe2\x80\x99s O'Brien", "peoples obrien");
    /* nothing renderable */
    expect(script_latin, a, "«—»", "");
    expect(script_latin, a, "\xf0\x9f\x98\x80", ""); /* U+1F600, an emoji */
    arena_destroy(&a);
}

/* ASCII never reaches ICU: lowered, punctuation to single spaces; text
 * already in that form is returned as it is (same pointer, no copy). */
static void
test_latin_ascii(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    expect(script_latin, a, "Harbin Institute of Technology", "harbin institute of technology");
    expect(script_latin, a, "  O'Brien Co., Ltd. (HK) ", "obrien co ltd hk");
    expect(script_latin, a, "11,420.2-1 CORP.", "11 420 2 1 corp");
    expect(script_latin, a, ".,;", "");
    expect(script_latin, a, "", "");
    static const char *const same[] = {"guofang keji daxue", "xibei gongye daxue 2", "a", ""};
    size_t before = arena_used(a);
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        const char *out = NULL;
        size_t len = 999;
        assert_int_equal(script_latin(sc, a, same[i], strlen(same[i]), &out, &len, NULL, 0), 0);
        assert_ptr_equal(out, same[i]);
        assert_int_equal(len, strlen(same[i]));
    }
    assert_int_equal(arena_used(a), before);
    /* not its own form: a copy */
    static const char *const differ[] = {"Guofang", "guofang  keji", " guofang", "guofang ",
                                         "guo-fang"};
    for (size_t i = 0; i < sizeof differ / sizeof differ[0]; i++) {
        const char *out = NULL;
        size_t len = 0;
        assert_int_equal(script_latin(sc, a, differ[i], strlen(differ[i]), &out, &len, NULL, 0), 0);
        assert_ptr_not_equal(out, differ[i]);
    }
    arena_destroy(&a);
}

/* A text that grows past the first buffer (NFKC of U+FDFA is 18
 * characters): ICU says how much room it needs, and the call is redone. */
static void
test_latin_grows(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    char in[50 * 3 + 1] = "";
    for (int i = 0; i < 50; i++)
        strcat(in, "\xef\xb7\xba"); /* U+FDFA, ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM */
    const char *out = NULL;
    size_t len = 0;
    char err[128] = "";
    assert_int_equal(script_latin(sc, a, in, strlen(in), &out, &len, err, sizeof err), 0);
    assert_true(len > 50 * 8 + 16); /* past the first buffer's 8 units per unit, plus 16 */
    assert_int_equal(strncmp(out, "sli allh", 8), 0);
    assert_int_equal(strlen(out), len);
    arena_destroy(&a);
}

/* Only the first len bytes are read: no NUL needed after them. */
static void
test_length_bounded(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    const char buf[] = "國防科技大學XYZ";
    const char *out = NULL;
    size_t len = 0;
    assert_int_equal(script_latin(sc, a, buf, 6, &out, &len, NULL, 0), 0);
    assert_string_equal(out, "guo fang");
    assert_int_equal(script_simplified(sc, a, buf, 6, &out, &len, NULL, 0), 0);
    assert_string_equal(out, "国防");
    arena_destroy(&a);
}

static void
test_invalid_input(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    conv_fn fns[] = {script_latin, script_simplified};
    for (size_t i = 0; i < 2; i++) {
        expect_err(fns[i], a, "abc\xff", 4, "invalid UTF-8 at byte 3");
        expect_err(fns[i], a, "國\xe5\x9b", 5, "invalid UTF-8 at byte 3");       /* cut short */
        expect_err(fns[i], a, "\xc0\xaf", 2, "invalid UTF-8 at byte 0");         /* overlong */
        expect_err(fns[i], a, "x\xed\xa0\x80", 4, "invalid UTF-8 at byte 1");    /* surrogate */
        expect_err(fns[i], a, "\xf4\x90\x80\x80", 4, "invalid UTF-8 at byte 0"); /* > 10FFFF */
        expect_err(fns[i], a, "國\0防", 7, "NUL byte at byte 3");
        expect_err(fns[i], a, "ab\0", 3, "NUL byte at byte 2");
    }
    arena_destroy(&a);
}

static void
test_needs(void **state)
{
    (void)state;
    static const struct {
        const char *s; /* text */
        bool want;     /* script_needs */
    } cases[] = {
        {"", false},
        {"Harbin Institute of Technology (HIT), 150001", false},
        {"Müller Société Øresund Łódź Straße", false}, /* Latin-1 and Latin Extended */
        {"Công ty Cổ phần", false},                    /* Vietnamese: Latin */
        {"ＡＢＣ «—» € ½ ①", false},                   /* full-width Latin, symbols */
        {"國防科技大學", true},                        /* Han */
        {"Harbin 哈尔滨", true},                       /* Han after Latin */
        {"Московский", true},                          /* Cyrillic */
        {"دانشگاه", true},                             /* Arabic */
        {"Ελληνική", true},                            /* Greek */
        {"한국", true},                                /* Hangul */
        {"ヤマハ", true},                              /* Katakana */
        {"abc \xff 國", false},                        /* stops at the invalid byte */
        {"國 \xff", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (script_needs(cases[i].s, strlen(cases[i].s)) != cases[i].want)
            fail_msg("script_needs(\"%s\") != %d", cases[i].s, cases[i].want);
    /* only len bytes are read */
    assert_false(script_needs("abc國", 3));
}

/* Workers share one handle: every call, from every thread, gives the
 * answer a single thread gets. */
#define N_THREADS 4
#define N_CALLS 300

static const struct {
    bool latin;       /* script_latin, else script_simplified */
    const char *in;   /* input */
    const char *want; /* expected output */
} shared_cases[] = {
    {true, "国防科技大学", "guo fang ke ji da xue"},
    {false, "北京航空航天大學", "北京航空航天大学"},
    {true, "Московский государственный технический университет имени Н. Э. Баумана",
     "moskovskiy gosudarstvennyy tekhnicheskiy universitet imeni n e baumana"},
    {false, "國防科技大學", "国防科技大学"},
    {true, "دانشگاه صنعتی شریف", "danshgah snti shrif"},
    {true, "西北工業大學", "xi bei gong ye da xue"},
};
#define N_SHARED (sizeof shared_cases / sizeof shared_cases[0])

typedef struct worker {
    int id;     /* 0..N_THREADS-1: where in shared_cases it starts */
    int errors; /* calls that failed or gave another answer */
} worker_t;

static void *
worker_run(void *arg)
{
    worker_t *w = arg;
    arena_t *a = arena_new(4096);
    if (a == NULL) {
        w->errors = N_CALLS;
        return NULL;
    }
    for (int i = 0; i < N_CALLS; i++) {
        size_t k = (size_t)(w->id + i) % N_SHARED;
        const char *out = NULL;
        size_t len = 0;
        char err[128];
        int rc = (shared_cases[k].latin ? script_latin : script_simplified)(
            sc, a, shared_cases[k].in, strlen(shared_cases[k].in), &out, &len, err, sizeof err);
        if (rc != 0 || len != strlen(shared_cases[k].want) ||
            memcmp(out, shared_cases[k].want, len) != 0)
            w->errors++;
        arena_reset(a);
    }
    arena_destroy(&a);
    return NULL;
}

static void
test_threads_share_handle(void **state)
{
    (void)state;
    pthread_t t[N_THREADS];
    worker_t w[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (worker_t){.id = i, .errors = 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].errors, 0);
    }
}

/* An arena that cannot grow: "out of memory", for both functions and
 * for the ASCII path too. */
static void
test_out_of_memory(void **state)
{
    (void)state;
    static const struct {
        conv_fn f;      /* function */
        const char *in; /* input that needs the arena */
    } cases[] = {
        {script_latin, "Московский государственный технический университет"},
        {script_latin, "Harbin Institute of Technology"},
        {script_simplified, "北京航空航天大學"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arena_t *a = arena_new(16);
        assert_non_null(a);
        const char *out = NULL;
        size_t len = 0;
        char err[64] = "";
        malloc_fail = true;
        int rc = cases[i].f(sc, a, cases[i].in, strlen(cases[i].in), &out, &len, err, sizeof err);
        malloc_fail = false;
        assert_int_equal(rc, -1);
        assert_string_equal(err, "out of memory");
        /* and the next call, with memory, works */
        assert_int_equal(cases[i].f(sc, a, cases[i].in, strlen(cases[i].in), &out, &len, NULL, 0),
                         0);
        arena_destroy(&a);
    }
}

/* script_new without OpenCC's data: NULL and a message that says what
 * is missing and which package installs it. */
static void
test_new_errors(void **state)
{
    (void)state;
    char err[512] = "";
    opencc_no_data = true;
    script_t *s = script_new(err, sizeof err);
    opencc_no_data = false;
    assert_null(s);
    if (strncmp(err, "OpenCC: cannot open t2s.json (", 30) != 0 ||
        strstr(err, "libopencc-data") == NULL)
        fail_msg("unexpected message: %s", err);

    /* no message buffer: still NULL */
    opencc_no_data = true;
    assert_null(script_new(NULL, 0));
    opencc_no_data = false;

    /* destroy takes NULL and a NULL handle */
    script_destroy(NULL);
    s = NULL;
    script_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simplified),
        cmocka_unit_test(test_simplified_no_han_no_copy),
        cmocka_unit_test(test_latin_han),
        cmocka_unit_test(test_latin_cyrillic),
        cmocka_unit_test(test_latin_arabic_script),
        cmocka_unit_test(test_latin_other_scripts),
        cmocka_unit_test(test_latin_ascii),
        cmocka_unit_test(test_latin_grows),
        cmocka_unit_test(test_length_bounded),
        cmocka_unit_test(test_invalid_input),
        cmocka_unit_test(test_needs),
        cmocka_unit_test(test_threads_share_handle),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_new_errors),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    /* ICU keeps its registry of transforms until u_cleanup; valgrind
     * would report its blocks as "possibly lost". This program is ICU's
     * only user, and nothing runs any more. */
    u_cleanup();
    return failed;
}
