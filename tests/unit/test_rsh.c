/* SPDX-License-Identifier: Apache-2.0 */
/* test_rsh.c -- the ruleset holder: pins keep a replaced ruleset alive,
 * reaping frees it once released, and readers never see a freed one
 * while the main thread swaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsh.h"
#include "screen.h"

/* The link wraps malloc (tests/tests.mk): a test fails the next one. */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
static bool fail_next; /* the next malloc returns NULL */

void *
__wrap_malloc(size_t n)
{
    if (fail_next) {
        fail_next = false;
        return NULL;
    }
    return __real_malloc(n);
}

#define GOOD "tests/fixtures/rulesets/good"
#ifndef STRESS_SWAPS
#define STRESS_SWAPS 200
#endif
#define STRESS_READERS 2

/* A freshly loaded fixture ruleset, its version replaced by "gen-<gen>"
 * (a string in its own arena) so a reader can tell rulesets apart.
 * Caller owns it. */
static ruleset_t *
load_gen(int gen)
{
    diag_t *d = diag_new(0);
    assert_non_null(d);
    ruleset_t *rs = ruleset_load(GOOD, d);
    if (rs == NULL)
        diag_print(d, stderr);
    diag_destroy(&d);
    assert_non_null(rs);
    char v[32];
    snprintf(v, sizeof v, "gen-%d", gen);
    rs->version = arena_strdup(rs->arena, v);
    assert_non_null(rs->version);
    return rs;
}

static void
test_empty(void **state)
{
    (void)state;
    rsh_t *h = rsh_new(2);
    assert_non_null(h);
    assert_null(rsh_peek(h));
    assert_null(rsh_acquire(h, 0));
    assert_null(rsh_acquire(h, 1));
    rsh_release(h, 0);
    rsh_release(h, 1);
    assert_int_equal(rsh_reap(h), 0);
    rsh_destroy(&h);
    assert_null(h);
    rsh_destroy(&h); /* a nulled handle is accepted */
    rsh_destroy(NULL);
}

static void
test_acquire_after_swap(void **state)
{
    (void)state;
    rsh_t *h = rsh_new(1);
    assert_non_null(h);
    ruleset_t *a = load_gen(1);
    rsh_swap(h, a);
    assert_ptr_equal(rsh_peek(h), a);
    const ruleset_t *got = rsh_acquire(h, 0);
    assert_ptr_equal(got, a);
    assert_string_equal(got->version, "gen-1");
    rsh_release(h, 0);
    /* Nothing retired yet: the first swap replaced NULL. */
    assert_int_equal(rsh_reap(h), 0);
    assert_ptr_equal(rsh_peek(h), a);
    rsh_destroy(&h);
    assert_null(h);
}

/* A swap with no memory to retire the ruleset in use swaps nothing: the
 * old one stays current, the new one the caller's (it was leaked, the
 * old one, before: a reload failing that allocation lost a ruleset,
 * which ASan's fault-injected reloads found). After rsh_reserve, a swap
 * needs no memory. */
static void
test_swap_without_memory(void **state)
{
    (void)state;
    rsh_t *h = rsh_new(1);
    assert_non_null(h);
    ruleset_t *a = load_gen(1);
    ruleset_t *b = load_gen(2);
    assert_int_equal(rsh_swap(h, a), 0);
    fail_next = true;
    assert_int_equal(rsh_swap(h, b), -1);
    assert_ptr_equal(rsh_peek(h), a);
    fail_next = true;
    assert_int_equal(rsh_reserve(h), -1);
    assert_int_equal(rsh_reserve(h), 0);
    fail_next = true; /* the swap allocates nothing now */
    assert_int_equal(rsh_swap(h, b), 0);
    fail_next = false;
    assert_ptr_equal(rsh_peek(h), b);
    assert_int_equal(rsh_reap(h), 0); /* a, no longer pinned, freed */
    rsh_destroy(&h);
}

/* A ruleset pinned in a slot outlives its replacement and the reaper;
 * released, it is freed (valgrind and ASan check the "freed" half). */
static void
test_pinned_survives_reap(void **state)
{
    (void)state;
    rsh_t *h = rsh_new(3);
    assert_non_null(h);
    ruleset_t *a = load_gen(1);
    ruleset_t *b = load_gen(2);
    rsh_swap(h, a);
    const ruleset_t *pinned = rsh_acquire(h, 1);
    assert_ptr_equal(pinned, a);
    rsh_swap(h, b);
    assert_ptr_equal(rsh_peek(h), b);
    assert_int_equal(rsh_reap(h), 1);
    assert_int_equal(rsh_reap(h), 1); /* still pinned on a second pass */
    /* Still usable: reading it would be a use-after-free if reaped. */
    assert_string_equal(pinned->version, "gen-1");
    assert_true(pinned->n_rules > 0);
    /* A new acquire on another slot gets the new one. */
    const ruleset_t *fresh = rsh_acquire(h, 2);
    assert_ptr_equal(fresh, b);
    assert_string_equal(fresh->version, "gen-2");
    rsh_release(h, 2);
    rsh_release(h, 1);
    assert_int_equal(rsh_reap(h), 0);
    assert_int_equal(rsh_reap(h), 0);
    rsh_destroy(&h);
}

/* Several retired rulesets, each pinned by a different slot, are freed
 * one by one as their pins go. */
static void
test_reap_several(void **state)
{
    (void)state;
    rsh_t *h = rsh_new(2);
    assert_non_null(h);
    rsh_swap(h, load_gen(1));
    const ruleset_t *p0 = rsh_acquire(h, 0);
    rsh_swap(h, load_gen(2));
    const ruleset_t *p1 = rsh_acquire(h, 1);
    rsh_swap(h, load_gen(3));
    rsh_swap(h, load_gen(4)); /* gen-3 retired unpinned */
    assert_string_equal(p0->version, "gen-1");
    assert_string_equal(p1->version, "gen-2");
    assert_int_equal(rsh_reap(h), 2); /* gen-3 freed, 1 and 2 wait */
    rsh_release(h, 0);
    assert_string_equal(p1->version, "gen-2");
    assert_int_equal(rsh_reap(h), 1);
    rsh_release(h, 1);
    assert_int_equal(rsh_reap(h), 0);
    assert_string_equal(rsh_peek(h)->version, "gen-4");
    rsh_destroy(&h);
}

/* rsh_destroy frees the current ruleset and the retired ones never
 * reaped (a leak here fails the valgrind and ASan runs). */
static void
test_destroy_frees_all(void **state)
{
    (void)state;
    rsh_t *h = rsh_new(1);
    assert_non_null(h);
    rsh_swap(h, load_gen(1));
    rsh_swap(h, load_gen(2));
    rsh_swap(h, load_gen(3));
    assert_string_equal(rsh_peek(h)->version, "gen-3");
    rsh_destroy(&h);
    assert_null(h);
}

typedef struct reader {
    rsh_t *h;
    size_t slot;
    atomic_bool *stop;
    unsigned long reads; /* acquires that returned a ruleset */
    unsigned long bad;   /* a wrong answer or generations going backwards */
} reader_t;

/* Does what a worker does with a pinned ruleset: screens a request,
 * which reads its match index, taxonomy, rules and arena. Returns true
 * if the answer is the fixture's. */
static bool
screen_once(const ruleset_t *rs, arena_t *scratch)
{
    static const char *const tech[] = {"quantum.sensing"};
    request_t q;
    request_init(&q);
    q.name = "Harbin Institute of Technology";
    q.country = "CN";
    q.tech = (const char **)tech;
    q.n_tech = 1;
    q.activity = "affiliation";
    result_t res;
    arena_reset(scratch);
    return screen_run(rs, &q, scratch, &res) == 0 && res.score == 100 &&
           strcmp(rs->verdicts.names[res.verdict], "prohibited") == 0;
}

static void *
reader_main(void *arg)
{
    reader_t *r = arg;
    arena_t *scratch = arena_new(0);
    if (scratch == NULL) {
        r->bad++;
        return NULL;
    }
    int last = 0;
    while (!atomic_load(r->stop)) {
        const ruleset_t *rs = rsh_acquire(r->h, r->slot);
        if (rs != NULL) {
            int gen = -1;
            if (sscanf(rs->version, "gen-%d", &gen) != 1 || gen < last ||
                !screen_once(rs, scratch) || strlen(rs->digest) != 64)
                r->bad++;
            else
                last = gen;
            r->reads++;
        }
        rsh_release(r->h, r->slot);
        /* Under valgrind only one thread runs at a time and a spinning
         * thread keeps the CPU for a long slice: yield now and then so
         * the swapper gets through. */
        if ((r->reads & 15) == 0)
            sched_yield();
    }
    arena_destroy(&scratch);
    return NULL;
}

/* Two readers acquire, read and release in a loop while the main thread
 * swaps fresh rulesets and reaps. Under valgrind or ASan a freed ruleset
 * read by a reader is an error; the readers also check that generations
 * never go backwards (the swap is a sequentially consistent exchange). */
static void
test_stress_swap(void **state)
{
    (void)state;
    rsh_t *h = rsh_new(STRESS_READERS);
    assert_non_null(h);
    /* Loaded up front so the swaps come fast enough to race. */
    ruleset_t **rs = calloc(STRESS_SWAPS, sizeof *rs);
    assert_non_null(rs);
    for (int i = 0; i < STRESS_SWAPS; i++)
        rs[i] = load_gen(i + 1);
    atomic_bool stop;
    atomic_init(&stop, false);
    reader_t r[STRESS_READERS];
    pthread_t t[STRESS_READERS];
    for (size_t i = 0; i < STRESS_READERS; i++) {
        r[i] = (reader_t){h, i, &stop, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, reader_main, &r[i]), 0);
    }
    size_t max_waiting = 0;
    for (int i = 0; i < STRESS_SWAPS; i++) {
        rsh_swap(h, rs[i]);
        rs[i] = NULL;
        size_t w = rsh_reap(h);
        if (w > max_waiting)
            max_waiting = w;
        /* Let the readers get a few acquires in on each generation. */
        if (i % 8 == 0)
            nanosleep(&(struct timespec){0, 200000}, NULL);
    }
    /* At most one pin per slot can hold a retired ruleset back. */
    assert_true(max_waiting <= STRESS_READERS);
    atomic_store(&stop, true);
    for (size_t i = 0; i < STRESS_READERS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(rsh_reap(h), 0);
    char last[32];
    snprintf(last, sizeof last, "gen-%d", STRESS_SWAPS);
    assert_string_equal(rsh_peek(h)->version, last);
    for (size_t i = 0; i < STRESS_READERS; i++) {
        assert_int_equal(r[i].bad, 0);
        assert_true(r[i].reads > 0);
    }
    free(rs);
    rsh_destroy(&h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_acquire_after_swap),
        cmocka_unit_test(test_swap_without_memory),
        cmocka_unit_test(test_pinned_survives_reap),
        cmocka_unit_test(test_reap_several),
        cmocka_unit_test(test_destroy_frees_all),
        cmocka_unit_test(test_stress_swap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
