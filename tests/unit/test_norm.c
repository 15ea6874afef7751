/* SPDX-License-Identifier: Apache-2.0 */
/* test_norm.c -- the canonical form of names: NFKC, case fold, accents, punctuation, stop words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "norm.h"

/* Normalises s and checks the result and its length. */
static void
expect_norm(arena_t *a, const char *in, const char *want)
{
    const char *out = NULL;
    size_t len = 99;
    char err[64] = "";
    int rc = norm_text(a, in, strlen(in), &out, &len, err, sizeof err);
    if (rc != 0 || strcmp(out, want) != 0)
        print_error("norm(\"%s\") = \"%s\" (rc %d, %s), want \"%s\"\n", in, out ? out : "(null)",
                    rc, err, want);
    assert_int_equal(rc, 0);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
}

static void
test_ascii_fast_path(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    expect_norm(a, "Harbin Institute of Technology", "harbin institute of technology");
    expect_norm(a, "HARBIN INSTITUTE OF TECHNOLOGY.", "harbin institute of technology");
    expect_norm(a, "  Sichuan Dingcheng Material Trade Co. Ltd.  ",
                "sichuan dingcheng material trade co ltd");
    expect_norm(a, "A/SEU", "a seu");
    expect_norm(a, "Center for High Pressure Science &; Technology",
                "center for high pressure science technology");
    expect_norm(a, "27th Scientific Center", "27th scientific center");
    expect_norm(a, "tab\tand\nnewline", "tab and newline");
    expect_norm(a, "", "");
    expect_norm(a, " .,;-- ", "");
    arena_destroy(&a);
}

static void
test_apostrophes_join(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    expect_norm(a, "People's Armed Police", "peoples armed police");
    expect_norm(a, "People\xe2\x80\x99s Armed Police", "peoples armed police"); /* U+2019 */
    expect_norm(a, "Peoples Armed Police", "peoples armed police");
    expect_norm(a, "Xi'an Technological University", "xian technological university");
    expect_norm(a,
                "Air Force Xi\xe2\x80\x99"
                "an Flight Academy",
                "air force xian flight academy");
    expect_norm(a, "Institute de l'Iran", "institute de liran");
    arena_destroy(&a);
}

static void
test_unicode(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    /* Accents stripped, case folded. */
    expect_norm(a, "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale", "societe generale");
    expect_norm(a,
                "\xc3\x89"
                "COLE POLYTECHNIQUE",
                "ecole polytechnique");
    /* Decomposed input (e + U+0301) gives the same form. */
    expect_norm(a,
                "Soci"
                "e\xcc\x81"
                "t"
                "e\xcc\x81",
                "societe");
    /* Compatibility forms: fullwidth letters, ideographic space, ligature. */
    expect_norm(a, "\xef\xbc\xa8\xef\xbc\xa9\xef\xbc\xb4\xe3\x80\x80\xef\xbc\x91\xef\xbc\x92",
                "hit 12");
    expect_norm(a, "\xef\xac\x81nance", "finance"); /* U+FB01 */
    /* Case folding beyond ASCII: sharp s, Cyrillic, Greek. */
    expect_norm(a,
                "Stra\xc3\x9f"
                "e",
                "strasse");
    expect_norm(a,
                "\xd0\x98\xd0\x9d\xd0\xa1\xd0\xa2\xd0\x98\xd0\xa2\xd0\xa3\xd0\xa2 "
                "\xd0\x9f\xd0\xa0\xd0\x9e\xd0\x91\xd0\x9b\xd0\x95\xd0\x9c",
                "\xd0\xb8\xd0\xbd\xd1\x81\xd1\x82\xd0\xb8\xd1\x82\xd1\x83\xd1\x82 "
                "\xd0\xbf\xd1\x80\xd0\xbe\xd0\xb1\xd0\xbb\xd0\xb5\xd0\xbc"); /* институт проблем */
    /* Chinese survives; fullwidth parentheses become a separator. */
    expect_norm(
        a,
        "\xe5\x93\x88\xe5\xb0\x94\xe6\xbb\xa8\xe5\xb7\xa5\xe4\xb8\x9a\xe5\xa4\xa7\xe5\xad\xa6"
        "\xef\xbc\x88\xe6\xb7\xb1\xe5\x9c\xb3\xef\xbc\x89",
        "\xe5\x93\x88\xe5\xb0\x94\xe6\xbb\xa8\xe5\xb7\xa5\xe4\xb8\x9a\xe5\xa4\xa7\xe5\xad\xa6 "
        "\xe6\xb7\xb1\xe5\x9c\xb3"); /* 哈尔滨工业大学 深圳 */
    /* Persian letters kept; the Arabic comma is punctuation. */
    expect_norm(a,
                "\xd8\xaf\xd8\xa7\xd9\x86\xd8\xb4\xda\xaf\xd8\xa7\xd9\x87\xd8\x8c "
                "\xd8\xb4\xd8\xb1\xdb\x8c\xd9\x81",
                "\xd8\xaf\xd8\xa7\xd9\x86\xd8\xb4\xda\xaf\xd8\xa7\xd9\x87 "
                "\xd8\xb4\xd8\xb1\xdb\x8c\xd9\x81");
    /* Symbols and non-ASCII punctuation are separators. */
    expect_norm(a, "China Academy of Science \xe2\x80\x93 Shenyang \xc2\xae",
                "china academy of science shenyang");
    arena_destroy(&a);
}

/* Checks that in is refused with "invalid UTF-8 at byte off". */
static void
expect_invalid(arena_t *a, const char *in, size_t len, size_t off)
{
    const char *out = NULL;
    size_t olen = 0;
    char err[64] = "", want[64];
    assert_int_equal(norm_text(a, in, len, &out, &olen, err, sizeof err), -1);
    snprintf(want, sizeof want, "invalid UTF-8 at byte %zu", off);
    assert_string_equal(err, want);
    assert_false(norm_valid_utf8(in, len));
}

static void
test_invalid_utf8(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    expect_invalid(a, "abc\xff", 4, 3);
    expect_invalid(a, "\xc0\xaf", 2, 0);         /* overlong '/' */
    expect_invalid(a, "ok \xe0\x80\xaf", 6, 3);  /* overlong, 3 bytes */
    expect_invalid(a, "x\xed\xa0\x80y", 5, 1);   /* surrogate */
    expect_invalid(a, "\xf4\x90\x80\x80", 4, 0); /* above U+10FFFF */
    expect_invalid(a, "caf\xc3", 4, 3);          /* truncated */
    expect_invalid(a, "a\x80", 2, 1);            /* lone continuation */
    expect_invalid(a, "\xe4\xb8z", 3, 0);        /* bad continuation */
    /* No error buffer: still refused, nothing written. */
    const char *out;
    size_t len;
    assert_int_equal(norm_text(a, "\xff", 1, &out, &len, NULL, 0), -1);
    /* A short buffer is truncated, not overrun. */
    char small[8];
    assert_int_equal(norm_text(a, "\xff", 1, &out, &len, small, sizeof small), -1);
    assert_string_equal(small, "invalid");
    arena_destroy(&a);
}

static void
test_valid_utf8(void **state)
{
    (void)state;
    assert_true(norm_valid_utf8("", 0));
    assert_true(norm_valid_utf8("plain", 5));
    assert_true(norm_valid_utf8("\xc3\xa9", 2));
    assert_true(norm_valid_utf8("\xe5\x93\x88", 3));
    assert_true(norm_valid_utf8("\xf0\x9f\x98\x80", 4)); /* U+1F600 */
    assert_true(norm_valid_utf8("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
    assert_true(norm_valid_utf8("\xed\x9f\xbf", 3));     /* U+D7FF */
    assert_false(norm_valid_utf8("\xed\xbf\xbf", 3));    /* U+DFFF */
    assert_false(norm_valid_utf8("\xf5\x80\x80\x80", 4));
    assert_false(norm_valid_utf8("\xc1\xbf", 2));
}

static void
test_stopwords(void **state)
{
    (void)state;
    static const char *const stop[] = {
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "jsc",
        "ojsc",
        "pjsc",
        "cjsc",
        "oao",
        "zao",
        "ooo",
        "pao",
        "llp",
        "lp",
        "the",
        "of",
        "and",
        "for",
        "in",
        "on",
        "at",
        "de",
        "la",
        "group",
        "holding",
        "holdings",
        "trading",
        "enterprise",
        "enterprises",
        "international",
        "intl",
        "\xd0\xbe\xd0\xbe\xd0\xbe",
        "\xd0\xb7\xd0\xb0\xd0\xbe", /* ооо, зао */
    };
    for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++) {
        if (!norm_is_stopword(stop[i], strlen(stop[i])))
            print_error("not a stop word: %s\n", stop[i]);
        assert_true(norm_is_stopword(stop[i], strlen(stop[i])));
    }
    static const char *const keep[] = {
        "university", "institute", "academy", "technology", "harbin", "c",
        "",           "cos",       "ltda",    "the ",       "hit",    "college",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        assert_false(norm_is_stopword(keep[i], strlen(keep[i])));
    /* The table as listed: every entry found (it is sorted for bsearch). */
    size_t n = 0;
    for (const char *w; (w = norm_stopword(n)) != NULL; n++)
        assert_true(norm_is_stopword(w, strlen(w)));
    assert_true(n >= sizeof stop / sizeof stop[0]);
    assert_null(norm_stopword(n));
    /* Length-bounded: a prefix of the buffer is what counts. */
    assert_true(norm_is_stopword("ltdx", 3));
    assert_true(norm_all_stopwords("trading co ltd", 14));
    assert_true(norm_all_stopwords("the", 3));
    assert_true(norm_all_stopwords("", 0));
    assert_false(norm_all_stopwords("acme trading co ltd", 19));
    assert_false(norm_all_stopwords("trading co ltd acme", 19));
}

static void
test_arena_only_and_reuse(void **state)
{
    (void)state;
    /* Everything comes from the arena: after a warm-up, a reset arena
     * serves the same work without growing. */
    arena_t *a = arena_new(4096);
    const char *in =
        "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale \xe5\x93\x88\xe5\xb0\x94\xe6\xbb\xa8";
    const char *out;
    size_t len;
    assert_int_equal(norm_text(a, in, strlen(in), &out, &len, NULL, 0), 0);
    assert_true(arena_used(a) > 0);
    size_t reserved = arena_reserved(a);
    for (int i = 0; i < 100; i++) {
        arena_reset(a);
        assert_int_equal(norm_text(a, in, strlen(in), &out, &len, NULL, 0), 0);
    }
    assert_int_equal(arena_reserved(a), reserved);
    assert_string_equal(out, "societe generale \xe5\x93\x88\xe5\xb0\x94\xe6\xbb\xa8");
    /* A compatibility character that expands 18-fold still fits. */
    const char *big = "\xef\xb7\xba\xef\xb7\xba"; /* U+FDFA twice */
    assert_int_equal(norm_text(a, big, strlen(big), &out, &len, NULL, 0), 0);
    assert_true(len > 30);
    arena_destroy(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_fast_path),
        cmocka_unit_test(test_apostrophes_join),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_valid_utf8),
        cmocka_unit_test(test_stopwords),
        cmocka_unit_test(test_arena_only_and_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
