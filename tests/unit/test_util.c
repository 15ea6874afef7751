/* SPDX-License-Identifier: Apache-2.0 */
/* test_util.c -- the small shared modules: arena, sbuf (JSON strings,
 * UTF-8, base64), diag, vocab, smap, hash, vec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "arena.h"
#include "diag.h"
#include "hash.h"
#include "sbuf.h"
#include "smap.h"
#include "vec.h"
#include "vocab.h"

/* The link wraps realloc (tests/tests.mk: -Wl,--wrap=realloc) for every
 * object of this program, lib/vec.c's included: a test can fail the next
 * call and see the size each call asked for. */
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
static bool realloc_fail;    /* fail the next realloc */
static size_t realloc_asked; /* size the last realloc asked for */
static size_t realloc_calls; /* reallocs so far */

void *
__wrap_realloc(void *p, size_t n)
{
    realloc_asked = n;
    realloc_calls++;
    if (realloc_fail) {
        realloc_fail = false;
        errno = ENOMEM;
        return NULL;
    }
    return __real_realloc(p, n);
}

static void
test_arena_alignment_and_growth(void **state)
{
    (void)state;
    arena_t *a = arena_new(128);
    assert_non_null(a);
    for (int i = 1; i < 200; i++) {
        char *p = arena_alloc(a, (size_t)i);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)i);
    }
    char *big = arena_alloc(a, 10000); /* larger than a chunk */
    assert_non_null(big);
    memset(big, 1, 10000);
    assert_true(arena_used(a) >= 10000);
    size_t reserved = arena_reserved(a);
    arena_reset(a);
    assert_int_equal(arena_used(a), 0);
    assert_true(arena_reserved(a) <= reserved);
    assert_true(arena_reserved(a) >= 10000); /* the largest chunk is kept */
    char *again = arena_alloc(a, 9000);
    assert_ptr_equal(again, big); /* reused, no malloc */
    int *z = arena_calloc(a, 100, sizeof(int));
    for (int i = 0; i < 100; i++)
        assert_int_equal(z[i], 0);
    assert_null(arena_calloc(a, SIZE_MAX / 2, 4)); /* overflow refused */
    assert_string_equal(arena_strndup(a, "hello world", 5), "hello");
    assert_null(arena_strdup(a, NULL));
    arena_destroy(&a);
    assert_null(a);
    arena_destroy(&a); /* NULL is fine */
}

static void
test_sbuf_json_escaping(void **state)
{
    (void)state;
    sbuf_t b = SBUF_INIT;
    sbuf_json_cstr(&b, "a\"b\\c\nd\te\x01\x7f \xc3\xa9");
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f \xc3\xa9\"");
    sbuf_clear(&b);
    sbuf_json_cstr(&b, NULL);
    assert_string_equal(b.data, "null");
    sbuf_clear(&b);
    sbuf_printf(&b, "%d-%s", 42, "x");
    for (int i = 0; i < 1000; i++)
        sbuf_putc(&b, 'y');
    assert_int_equal(b.len, 1004);
    assert_int_equal(strncmp(b.data, "42-xy", 5), 0);
    char *s = sbuf_take(&b);
    assert_null(b.data);
    free(s);
    sbuf_free(&b);
}

/* True if s (n bytes) is well-formed UTF-8, by utf8proc alone: the
 * oracle is not the code under test. */
static bool
utf8_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            return false;
        i += (size_t)k;
    }
    return true;
}

/* Bad bytes become one \ufffd each; good characters stay as they are. */
static void
test_sbuf_json_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in;  /* input bytes, NUL-terminated */
        const char *out; /* the JSON string sbuf_json_str makes */
        const char *why;
    } cases[] = {
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
         "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
         "2-, 3- and 4-byte characters are copied"},
        {"\xef\xbf\xbd", "\"\xef\xbf\xbd\"", "a real U+FFFD is a character like another"},
        {"a\xff"
         "b",
         "\"a\\ufffdb\"", "a byte never in UTF-8"},
        {"\x80z", "\"\\ufffdz\"", "a stray continuation byte"},
        {"ab\xc3", "\"ab\\ufffd\"", "a 2-byte character cut short at the end"},
        {"\xe2\x82", "\"\\ufffd\\ufffd\"", "a 3-byte character cut short: one per byte"},
        {"\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"", "a 4-byte character cut short"},
        {"\xe2\x82"
         "x",
         "\"\\ufffd\\ufffdx\"", "cut short in the middle of the string"},
        {"\xc0\xaf", "\"\\ufffd\\ufffd\"", "overlong '/' in 2 bytes"},
        {"\xc1\xbf", "\"\\ufffd\\ufffd\"", "overlong in 2 bytes, the highest"},
        {"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", "overlong '/' in 3 bytes"},
        {"\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "overlong '/' in 4 bytes"},
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "a high surrogate (U+D800)"},
        {"\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"", "a low surrogate (U+DFFF)"},
        {"\xed\x9f\xbf", "\"\xed\x9f\xbf\"", "U+D7FF, just below the surrogates, is fine"},
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "past U+10FFFF"},
        {"\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", "U+10FFFF is fine"},
        {"\xf8\x88\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"", "an old 5-byte form"},
        {"\"\xff\\\n", "\"\\\"\\ufffd\\\\\\n\"", "escapes and replacements together"},
    };
    sbuf_t b = SBUF_INIT;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sbuf_clear(&b);
        sbuf_json_cstr(&b, cases[c].in);
        if (strcmp(b.data, cases[c].out) != 0)
            fail_msg("%s: got %s", cases[c].why, b.data);
        assert_true(utf8_ok(b.data, b.len));
        /* Valid input is exactly the input that needs no replacement. */
        assert_int_equal(sbuf_utf8_valid(cases[c].in, strlen(cases[c].in)),
                         strstr(cases[c].out, "\\ufffd") == NULL);
    }
    assert_false(b.oom);
    sbuf_free(&b);
}

/* Whatever the bytes, the output is valid UTF-8 and valid JSON, and
 * valid input comes back unchanged. */
static void
test_sbuf_json_any_bytes(void **state)
{
    (void)state;
    sbuf_t b = SBUF_INIT;
    unsigned seed = 12345;
    char in[12];
    for (int round = 0; round < 200000; round++) {
        size_t n = (size_t)(round % 12);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* Mostly high bytes, where the trouble is. */
            unsigned char c = (unsigned char)(seed >> 16);
            in[i] = (char)(c < 0x40 ? c + 0x80 : c);
        }
        sbuf_clear(&b);
        sbuf_json_str(&b, in, n);
        if (!utf8_ok(b.data, b.len))
            fail_msg("round %d: invalid UTF-8 out: %s", round, b.data);
        cJSON *j = cJSON_ParseWithLength(b.data, b.len);
        if (j == NULL || !cJSON_IsString(j))
            fail_msg("round %d: not a JSON string: %s", round, b.data);
        bool valid = utf8_ok(in, n);
        assert_int_equal(sbuf_utf8_valid(in, n), valid);
        if (valid && memchr(in, 0, n) == NULL)
            assert_true(strlen(j->valuestring) == n && memcmp(j->valuestring, in, n) == 0);
        cJSON_Delete(j);
    }
    assert_false(b.oom);
    sbuf_free(&b);
}

/* A raw request body cut at 512 bytes must not end in half a character. */
static void
test_sbuf_utf8_prefix(void **state)
{
    (void)state;
    char body[600];
    memset(body, 'a', sizeof body);
    memcpy(body + 510, "\xe2\x82\xac", 3); /* bytes 510..512: a 3-byte euro */
    assert_int_equal(sbuf_utf8_prefix(body, 512), 510);
    assert_int_equal(sbuf_utf8_prefix(body, 511), 510);
    assert_int_equal(sbuf_utf8_prefix(body, 513), 513);
    assert_int_equal(sbuf_utf8_prefix(body, 510), 510);
    sbuf_t b = SBUF_INIT;
    sbuf_json_str(&b, body, sbuf_utf8_prefix(body, 512));
    assert_int_equal(b.len, 512); /* no \ufffd for the cut */
    assert_true(utf8_ok(b.data, b.len));
    sbuf_free(&b);
    static const struct {
        const char *s;
        size_t n, want;
        const char *why;
    } cases[] = {
        {"", 0, 0, "empty"},
        {"abc", 3, 3, "ASCII"},
        {"\xc3", 1, 0, "a lone lead byte"},
        {"ab\xf0\x9f\x98", 5, 2, "3 bytes of a 4-byte character"},
        {"ab\xf0\x9f", 4, 2, "2 bytes of a 4-byte character"},
        {"ab\xf0", 3, 2, "1 byte of a 4-byte character"},
        {"ab\xf0\x9f\x98\x80", 6, 6, "a whole 4-byte character"},
        {"ab\xc3\xa9", 4, 4, "a whole 2-byte character"},
        {"ab\xe0\xa0", 4, 2, "E0 A0 begins U+0800"},
        {"ab\xe0\x80", 4, 4, "E0 80 begins only an overlong form: bad bytes, not a cut"},
        {"ab\xed\xa0", 4, 4, "ED A0 begins only a surrogate"},
        {"ab\xf4\x90", 4, 4, "F4 90 begins only a code point past U+10FFFF"},
        {"ab\xc0", 3, 3, "C0 begins nothing valid"},
        {"ab\xf5", 3, 3, "F5 begins nothing valid"},
        {"\x80\x80\x80\x80", 4, 4, "continuation bytes with no lead"},
        {"ab\xc3\xa9\xa9", 5, 5, "one continuation byte too many"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        if (sbuf_utf8_prefix(cases[c].s, cases[c].n) != cases[c].want)
            fail_msg("%s: %zu, want %zu", cases[c].why, sbuf_utf8_prefix(cases[c].s, cases[c].n),
                     cases[c].want);
}

static void
test_sbuf_base64(void **state)
{
    (void)state;
    /* RFC 4648, section 10, then bytes no text has. */
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"", 0, ""},
        {"f", 1, "Zg=="},
        {"fo", 2, "Zm8="},
        {"foo", 3, "Zm9v"},
        {"foob", 4, "Zm9vYg=="},
        {"fooba", 5, "Zm9vYmE="},
        {"foobar", 6, "Zm9vYmFy"},
        {"\x00\xff\xfe", 3, "AP/+"},
    };
    sbuf_t b = SBUF_INIT;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sbuf_clear(&b);
        sbuf_puts(&b, "x=");
        sbuf_base64(&b, cases[c].in, cases[c].n);
        assert_int_equal(b.len, 2 + strlen(cases[c].out));
        assert_string_equal(b.data + 2, cases[c].out);
    }
    sbuf_clear(&b);
    sbuf_base64(&b, NULL, 0);
    assert_int_equal(b.len, 0);
    assert_false(b.oom);
    sbuf_free(&b);
}

static void
test_diag_formats_and_caps(void **state)
{
    (void)state;
    diag_t *d = diag_new(2);
    diag_add(d, "rules/policy.cfg", 42, 17, "unknown list \"%s\"", "ca-nr0");
    diag_add(d, "rules/policy.cfg", 3, 0, "x");
    diag_add(d, NULL, 0, 0, "dropped");
    assert_int_equal(diag_count(d), 3);
    assert_string_equal(diag_get(d, 0), "rules/policy.cfg:42:17: unknown list \"ca-nr0\"");
    assert_string_equal(diag_get(d, 1), "rules/policy.cfg:3: x");
    assert_null(diag_get(d, 2));
    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    diag_print(d, f);
    fclose(f);
    assert_non_null(strstr(buf, "... and 1 more errors"));
    diag_destroy(&d);
    assert_null(d);
}

static void
test_vocab_find_and_suggest(void **state)
{
    (void)state;
    const char *names[] = {"ca-nro", "us-sdn", "us-entity-list"};
    vocab_t v = {names, 3};
    assert_int_equal(vocab_find(&v, "us-sdn"), 1);
    assert_int_equal(vocab_find(&v, "nope"), -1);
    assert_string_equal(vocab_suggest(&v, "ca-nr0"), "ca-nro");
    assert_string_equal(vocab_suggest(&v, "us-entity-lst"), "us-entity-list");
    assert_null(vocab_suggest(&v, "completely-different"));
    assert_int_equal(vocab_distance("kitten", "sitting"), 3);
    assert_int_equal(vocab_distance("", "abc"), 3);
}

static void
test_smap_put_get_grow(void **state)
{
    (void)state;
    smap_t *m = smap_new();
    char keys[1000][16];
    for (int i = 0; i < 1000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        assert_int_equal(smap_put(m, keys[i], i, NULL), 0);
    }
    int old = -1;
    assert_int_equal(smap_put(m, "k7", 99, &old), 1);
    assert_int_equal(old, 7);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(smap_get(m, keys[i]), i);
    assert_int_equal(smap_get(m, "missing"), -1);
    assert_int_equal(smap_count(m), 1000);
    smap_destroy(&m);
    assert_null(m);
}

static void
test_hash_fnv1a(void **state)
{
    (void)state;
    /* The published 64-bit FNV-1a test vectors. */
    assert_true(hash_bytes("", 0) == 0xcbf29ce484222325ULL);
    assert_true(hash_bytes("a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(hash_bytes("foobar", 6) == 0x85944171f73967e8ULL);
    /* hash_unit is the round hash_bytes folds each byte with. */
    uint64_t h = HASH_SEED;
    for (const char *p = "foobar"; *p != '\0'; p++)
        h = hash_unit(h, (unsigned char)*p);
    assert_true(h == hash_bytes("foobar", 6));
}

static void
test_vec_grow_doubles_from_first_cap(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0, calls = realloc_calls;
    assert_int_equal(vec_grow(&v, &cap, 0, sizeof *v, 4), 0); /* room enough: no call */
    assert_null(v);
    assert_int_equal(cap, 0);
    assert_int_equal(realloc_calls, calls);
    assert_int_equal(vec_grow(&v, &cap, 1, sizeof *v, 4), 0);
    assert_non_null(v);
    assert_int_equal(cap, 4); /* the first capacity */
    assert_int_equal(realloc_asked, 4 * sizeof *v);
    assert_int_equal(realloc_calls, calls + 1); /* the link does wrap realloc */
    /* Pushed one at a time: doubling, one realloc per doubling, elements kept. */
    size_t n = 0, grown = 0, last = cap;
    for (; n < 1000; n++) {
        assert_int_equal(vec_grow(&v, &cap, n + 1, sizeof *v, 4), 0);
        if (cap != last) {
            assert_int_equal(cap, 2 * last);
            last = cap;
            grown++;
        }
        v[n] = (int)n;
    }
    assert_int_equal(cap, 1024);
    assert_int_equal(grown, 8); /* 4 -> 8 -> ... -> 1024 */
    assert_int_equal(realloc_calls, calls + 1 + 8);
    /* A need beyond twice the capacity doubles until it fits, in one call. */
    assert_int_equal(vec_grow(&v, &cap, 5000, sizeof *v, 4), 0);
    assert_int_equal(cap, 8192);
    assert_int_equal(realloc_calls, calls + 1 + 8 + 1);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i], (int)i);
    free(v);
    /* A first capacity that is not a power of two, and a need beyond it. */
    char *s = NULL;
    cap = 0;
    assert_int_equal(vec_grow(&s, &cap, 7, 1, 3), 0);
    assert_int_equal(cap, 12); /* 3 -> 6 -> 12 */
    assert_int_equal(vec_grow(&s, &cap, 13, 1, 3), 0);
    assert_int_equal(cap, 24);
    free(s);
}

static void
test_vec_grow_failure_leaves_array(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    /* need * elem_size past SIZE_MAX: refused before any realloc. */
    size_t calls = realloc_calls;
    errno = 0;
    assert_int_equal(vec_grow(&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v, 4), -1);
    assert_int_equal(errno, ENOMEM);
    assert_null(v);
    assert_int_equal(cap, 0);
    assert_int_equal(realloc_calls, calls);
    assert_int_equal(vec_grow(&v, &cap, 4, sizeof *v, 4), 0);
    for (int i = 0; i < 4; i++)
        v[i] = i + 10;
    int *before = v;
    assert_int_equal(vec_grow(&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v, 4), -1);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 4);
    assert_int_equal(realloc_calls, calls + 1);
    /* Out of memory: array, capacity and elements unchanged. */
    realloc_fail = true;
    assert_int_equal(vec_grow(&v, &cap, 5, sizeof *v, 4), -1);
    assert_false(realloc_fail); /* the call was made, and failed */
    assert_int_equal(realloc_asked, 8 * sizeof *v);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(v[i], i + 10);
    /* Doubling near the limit stops at the largest size that fits
     * rather than wrap (the call is failed: the size is what counts). */
    size_t max = SIZE_MAX / sizeof *v, big = max / 2 + 1;
    realloc_fail = true;
    assert_int_equal(vec_grow(&v, &big, big + 1, sizeof *v, 4), -1);
    assert_int_equal(realloc_asked, max * sizeof *v);
    assert_int_equal(big, max / 2 + 1);
    assert_ptr_equal(v, before);
    /* And the array still grows afterwards. */
    assert_int_equal(vec_grow(&v, &cap, 5, sizeof *v, 4), 0);
    assert_int_equal(cap, 8);
    for (int i = 0; i < 4; i++)
        assert_int_equal(v[i], i + 10);
    free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alignment_and_growth),
        cmocka_unit_test(test_sbuf_json_escaping),
        cmocka_unit_test(test_sbuf_json_utf8),
        cmocka_unit_test(test_sbuf_json_any_bytes),
        cmocka_unit_test(test_sbuf_utf8_prefix),
        cmocka_unit_test(test_sbuf_base64),
        cmocka_unit_test(test_diag_formats_and_caps),
        cmocka_unit_test(test_vocab_find_and_suggest),
        cmocka_unit_test(test_smap_put_get_grow),
        cmocka_unit_test(test_hash_fnv1a),
        cmocka_unit_test(test_vec_grow_doubles_from_first_cap),
        cmocka_unit_test(test_vec_grow_failure_leaves_array),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
