/* SPDX-License-Identifier: Apache-2.0 */
/* test_strsim.c -- code points, OSA distance within a bound, one adjacent swap, Jaro-Winkler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "strsim.h"

/* Code points of the UTF-8 string s (asserts it fits in STRSIM_MAX_CP). */
static int
cps(const char *s, int32_t *cp)
{
    int n = strsim_decode(s, strlen(s), cp, STRSIM_MAX_CP);
    assert_true(n >= 0);
    return n;
}

static int
osa(const char *a, const char *b, int k)
{
    int32_t ca[STRSIM_MAX_CP], cb[STRSIM_MAX_CP];
    int la = cps(a, ca), lb = cps(b, cb);
    return strsim_osa_within(ca, la, cb, lb, k);
}

static bool
swap(const char *a, const char *b)
{
    int32_t ca[STRSIM_MAX_CP], cb[STRSIM_MAX_CP];
    int la = cps(a, ca), lb = cps(b, cb);
    return strsim_one_swap(ca, la, cb, lb);
}

static double
jw(const char *a, const char *b)
{
    int32_t ca[STRSIM_MAX_CP], cb[STRSIM_MAX_CP];
    int la = cps(a, ca), lb = cps(b, cb);
    return strsim_jaro_winkler(ca, la, cb, lb);
}

/* Fails the test, showing both values, unless got is within eps of want. */
static void
assert_near(double got, double want, double eps)
{
    if (fabs(got - want) > eps)
        fail_msg("%.9f is not within %g of %.9f", got, eps, want);
}

static void
test_decode(void **state)
{
    (void)state;
    int32_t cp[8];
    /* One of each length: ASCII, 2, 3 and 4 bytes. */
    const char *s = "a\xc3\xa9\xe5\x93\x88\xf0\x9f\x98\x80";
    assert_int_equal(strsim_decode(s, strlen(s), cp, 8), 4);
    assert_int_equal(cp[0], 'a');
    assert_int_equal(cp[1], 0xe9);
    assert_int_equal(cp[2], 0x54c8);
    assert_int_equal(cp[3], 0x1f600);
    assert_int_equal(strsim_decode("", 0, cp, 8), 0);
    /* Only len bytes are read, NULs included. */
    assert_int_equal(strsim_decode("ab\0cd", 5, cp, 8), 5);
    assert_int_equal(cp[2], 0);
    /* Exactly cap fits; one more does not. */
    assert_int_equal(strsim_decode("abcdefgh", 8, cp, 8), 8);
    assert_int_equal(strsim_decode("abcdefghi", 9, cp, 8), -1);
    assert_int_equal(strsim_decode("\xc3\xa9\xc3\xa9", 4, cp, 1), -1);
}

static void
test_one_swap(void **state)
{
    (void)state;
    assert_true(swap("harbin", "harbni")); /* at the end */
    assert_true(swap("harbin", "ahrbin")); /* at the start */
    assert_true(swap("harbin", "hrabin"));
    assert_true(swap("ab", "ba"));
    assert_true(swap("\xd0\xbc\xd0\xb8\xd1\x80", "\xd0\xb8\xd0\xbc\xd1\x80")); /* мир, имр */
    assert_false(swap("harbin", "harbin"));  /* equal is not a typo */
    assert_false(swap("hunan", "henan"));    /* a changed letter */
    assert_false(swap("abcd", "badc"));      /* two swaps */
    assert_false(swap("abc", "cba"));        /* not adjacent */
    assert_false(swap("harbin", "harbinn")); /* other length */
    assert_false(swap("a", "a"));
    assert_false(swap("", ""));
}

/* Within one edit (k = 1) has a pass of its own (strsim.c, osa_one): it
 * must say what the table says (k = 2), for every pair of strings of up
 * to 5 letters over three. */
static void
test_osa_one_is_the_table(void **state)
{
    (void)state;
    char w[400][6];
    int n = 0;
    for (int len = 0, top = 1; len <= 5; len++, top *= 3)
        for (int v = 0; v < top; v++) {
            for (int i = 0, x = v; i < len; i++, x /= 3)
                w[n][i] = (char)('a' + x % 3);
            w[n++][len] = '\0';
        }
    assert_int_equal(n, 364);
    long checked = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int table = osa(w[i], w[j], 2);
            int one = osa(w[i], w[j], 1);
            if (one != (table <= 1 ? table : 2)) {
                print_error("\"%s\" / \"%s\": %d within one, %d by the table\n", w[i], w[j], one,
                            table);
                fail();
            }
            checked++;
        }
    assert_int_equal(checked, 364L * 364);
}

static void
test_osa_within(void **state)
{
    (void)state;
    assert_int_equal(osa("technology", "technology", 2), 0);
    assert_int_equal(osa("technology", "tehcnology", 2), 1);  /* a swap is one edit */
    assert_int_equal(osa("technology", "tecnology", 2), 1);   /* deletion */
    assert_int_equal(osa("technology", "technollogy", 2), 1); /* insertion */
    assert_int_equal(osa("technology", "tachnology", 2), 1);  /* substitution */
    assert_int_equal(osa("kitten", "sitting", 3), 3);
    /* Over the bound: k + 1, whether found by length or by the rows. */
    assert_int_equal(osa("kitten", "sitting", 2), 3);
    assert_int_equal(osa("kitten", "sitting", 1), 2);
    assert_int_equal(osa("ab", "abcdef", 2), 3);
    assert_int_equal(osa("abc", "abd", 0), 1);
    assert_int_equal(osa("abc", "abc", 0), 0);
    /* Optimal string alignment edits no substring twice: "ca" -> "abc"
     * is 3, where unrestricted Damerau-Levenshtein says 2. */
    assert_int_equal(osa("ca", "abc", 3), 3);
    assert_int_equal(osa("", "abc", 3), 3);
    assert_int_equal(osa("", "", 0), 0);
    /* Code points, not bytes: one Cyrillic letter changed is one edit. */
    assert_int_equal(osa("\xd0\xbc\xd0\xb8\xd1\x80", "\xd0\xbc\xd0\xb5\xd1\x80", 2), 1);
    /* The longest strings accepted. */
    char a[STRSIM_MAX_CP + 1], b[STRSIM_MAX_CP + 1];
    memset(a, 'x', STRSIM_MAX_CP);
    memset(b, 'x', STRSIM_MAX_CP);
    a[STRSIM_MAX_CP] = b[STRSIM_MAX_CP] = '\0';
    b[0] = 'y';
    b[STRSIM_MAX_CP - 1] = 'y';
    assert_int_equal(osa(a, b, 2), 2);
    assert_int_equal(osa(a, b, 1), 2);
}

static void
test_jaro_winkler(void **state)
{
    (void)state;
    /* The textbook pairs (Winkler 1990). */
    assert_near(jw("MARTHA", "MARHTA"), 0.961111, 1e-6);
    assert_near(jw("DWAYNE", "DUANE"), 0.84, 1e-6);
    assert_near(jw("DIXON", "DICKSONX"), 0.813333, 1e-6);
    assert_near(jw("harbin", "harbni"), 0.966667, 1e-6);
    assert_near(jw("technology", "technology"), 1.0, 1e-12);
    assert_near(jw("abc", "xyz"), 0.0, 0.0);
    assert_near(jw("", "abc"), 0.0, 0.0);
    assert_near(jw("abc", ""), 0.0, 0.0);
    /* Symmetric, and a shared prefix raises the score. */
    assert_near(jw("DUANE", "DWAYNE"), jw("DWAYNE", "DUANE"), 1e-12);
    assert_true(jw("harbin", "harbni") > jw("harbin", "ahrbin"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),       cmocka_unit_test(test_one_swap),
        cmocka_unit_test(test_osa_within),   cmocka_unit_test(test_osa_one_is_the_table),
        cmocka_unit_test(test_jaro_winkler),
    };
    return cmocka_run_group_tests_name("strsim", tests, NULL, NULL);
}
