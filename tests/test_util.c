/* test_util.c -- the small shared modules: arena, sbuf, diag, vocab, smap. */
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
#include "sbuf.h"
#include "smap.h"
#include "vocab.h"

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
    char *big = arena_alloc(a, 10000);     /* larger than a chunk */
    assert_non_null(big);
    memset(big, 1, 10000);
    assert_true(arena_used(a) >= 10000);
    size_t reserved = arena_reserved(a);
    arena_reset(a);
    assert_int_equal(arena_used(a), 0);
    assert_true(arena_reserved(a) <= reserved);
    assert_true(arena_reserved(a) >= 10000);    /* the largest chunk is kept */
    char *again = arena_alloc(a, 9000);
    assert_ptr_equal(again, big);               /* reused, no malloc */
    int *z = arena_calloc(a, 100, sizeof(int));
    for (int i = 0; i < 100; i++)
        assert_int_equal(z[i], 0);
    assert_null(arena_calloc(a, SIZE_MAX / 2, 4));  /* overflow refused */
    assert_string_equal(arena_strndup(a, "hello world", 5), "hello");
    assert_null(arena_strdup(a, NULL));
    arena_destroy(&a);
    assert_null(a);
    arena_destroy(&a);                          /* NULL is fine */
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
    const char *names[] = { "ca-nro", "us-sdn", "us-entity-list" };
    vocab_t v = { names, 3 };
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alignment_and_growth),
        cmocka_unit_test(test_sbuf_json_escaping),
        cmocka_unit_test(test_diag_formats_and_caps),
        cmocka_unit_test(test_vocab_find_and_suggest),
        cmocka_unit_test(test_smap_put_get_grow),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
