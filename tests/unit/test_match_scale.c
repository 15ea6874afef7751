/* SPDX-License-Identifier: Apache-2.0 */
/* test_match_scale.c -- the match index of a registry large enough that its build splits the
 * exact-name neighbour pass into tasks (build.c, NB_THREAD_MIN records), run on threads this
 * test lends it (match_index_new_par) or one after the other (match_index_new). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "match.h"
#include "registry.h"

/* Pairs of organisations: 2k and its twin 2k+1, whose first word has two
 * letters swapped. 2 * N_PAIRS records is above the threshold from which
 * the neighbour pass is split between threads (4,096). */
#define N_PAIRS 2600
#define N_ENTS (2 * N_PAIRS)
#define MAX_HITS 16

static reg_entity_t ents[N_ENTS];
static char names[N_ENTS][64];

/* The same organisations and as many listed individuals after them (a
 * made-up given name and family name each): their build has two
 * halves of real work, the people's index and the organisations'. */
#define N_PEOPLE 3000
#define N_MIXED (N_ENTS + N_PEOPLE)
static reg_entity_t mixed[N_MIXED];
static char people[N_PEOPLE][64];

/* A made-up word of 8 letters from n (consonant, vowel, ...): distinct
 * for distinct n below 5^4 * 21^4; n is spread over that range first
 * (1000003 is prime to it), so that neighbouring n do not make words a
 * letter apart. */
static void
word_of(unsigned n, char *out)
{
    n = (unsigned)(((uint64_t)n * 1000003u) % (5u * 5 * 5 * 5 * 21 * 21 * 21 * 21));
    static const char cons[] = "bcdfghjklmnpqrstvwxyz", vow[] = "aeiou";
    for (int i = 0; i < 8; i++) {
        if (i % 2 == 0) {
            out[i] = cons[n % 21];
            n /= 21;
        } else {
            out[i] = vow[n % 5];
            n /= 5;
        }
    }
    out[8] = '\0';
}

static int
setup(void **state)
{
    (void)state;
    for (unsigned k = 0; k < N_PAIRS; k++) {
        char a[9], b[9];
        word_of(k, a);
        word_of(N_PAIRS + k, b);
        snprintf(names[2 * k], sizeof names[0], "%s %s Instruments", a, b);
        /* The twin: letters 3 and 4 of the first word swapped. */
        char t = a[3];
        a[3] = a[4];
        a[4] = t;
        snprintf(names[2 * k + 1], sizeof names[0], "%s %s Instruments", a, b);
    }
    for (unsigned i = 0; i < N_ENTS; i++)
        ents[i] = (reg_entity_t){.id = names[i], .name = names[i], .country = "CN", .risk = -1};
    for (unsigned i = 0; i < N_ENTS; i++)
        mixed[i] = ents[i];
    for (unsigned k = 0; k < N_PEOPLE; k++) {
        char a[9], b[9];
        word_of(2 * N_PAIRS + k, a);
        word_of(2 * N_PAIRS + N_PEOPLE + k / 3, b);
        snprintf(people[k], sizeof people[0], "%s %s", a, b);
        mixed[N_ENTS + k] =
            (reg_entity_t){.id = people[k], .name = people[k], .type = "individual", .risk = -1};
    }
    return 0;
}

/* A task and its argument, for a thread's start routine. */
typedef struct job {
    void (*fn)(void *); /* the task */
    void *arg;          /* its argument */
} job_t;

static void *
job_main(void *p)
{
    job_t *j = p;
    j->fn(j->arg);
    return NULL;
}

/* A match_run_fn: task 0 in the calling thread, each other in a thread
 * of its own (one that cannot start runs here). */
static void
run_threads(void *ctx, void (*fn)(void *), void *const *args, int n)
{
    (void)ctx;
    enum { MAX_TASKS = 8 };
    assert_true(n >= 1 && n <= MAX_TASKS);
    pthread_t th[MAX_TASKS];
    job_t jobs[MAX_TASKS];
    bool started[MAX_TASKS] = {false};
    for (int i = 1; i < n; i++) {
        jobs[i] = (job_t){fn, args[i]};
        started[i] = pthread_create(&th[i], NULL, job_main, &jobs[i]) == 0;
        if (!started[i])
            fn(args[i]);
    }
    fn(args[0]);
    for (int i = 1; i < n; i++)
        if (started[i])
            pthread_join(th[i], NULL);
}

/* The tasks the tests split the neighbour pass into. */
#define N_TASKS 4

/* A name asked with another country than the registry's: no longer an
 * identification, it is a fuzzy match of score 1 (no penalty here), and
 * its fuzzy matches, the exact-name neighbours computed at load, come
 * with it (an exact match alone would hide them). */
static const match_config_t cfg = {0.88, 0.0, MAX_HITS, NULL, false, false};

/* The hits of name (a person's or not), as text: "entity:method:score ...". */
static void
hits_of(const match_index_t *ix, arena_t *a, const char *name, bool person, char *out, size_t cap)
{
    match_query_t q = {.name = name, .country = "US", .person = person};
    match_hit_t h[MAX_HITS];
    char err[128];
    arena_reset(a);
    int n = match_find(ix, &q, a, h, MAX_HITS, err, sizeof err);
    assert_true(n >= 0);
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%u:%d:%.9g ", h[i].entity, (int)h[i].method,
                               h[i].score);
}

/* Every name returns itself and, from the neighbours computed at load,
 * its twin: the lists the threads found are laid out under the right
 * records. */
static void
test_neighbours_of_every_record(void **state)
{
    (void)state;
    char err[256];
    match_index_t *ix =
        match_index_new_par(ents, N_ENTS, &cfg, run_threads, NULL, N_TASKS, err, sizeof err);
    assert_non_null(ix);
    arena_t *a = arena_new(0);
    assert_non_null(a);
    for (unsigned i = 0; i < N_ENTS; i++) {
        match_query_t q = {.name = names[i], .country = "US"};
        match_hit_t h[MAX_HITS];
        int n = match_find(ix, &q, a, h, MAX_HITS, err, sizeof err);
        arena_reset(a);
        if (n < 2)
            fail_msg("\"%s\": %d hits, not itself and its twin", names[i], n);
        assert_int_equal(h[0].entity, i);
        assert_int_equal(h[0].method, MATCH_FUZZY);
        assert_true(h[0].score == 1.0);
        bool twin = false;
        for (int k = 1; k < n; k++)
            twin |= h[k].entity == (i ^ 1u) && h[k].method == MATCH_FUZZY && h[k].score >= 0.88;
        if (!twin)
            fail_msg("\"%s\": its twin \"%s\" is not among its %d hits", names[i], names[i ^ 1u],
                     n);
    }
    arena_destroy(&a);
    match_index_destroy(&ix);
}

/* A build on threads and one in the calling thread answer every name the
 * same, whichever thread found which record's neighbours. */
static void
test_two_builds_answer_alike(void **state)
{
    (void)state;
    char err[256];
    match_index_t *x =
        match_index_new_par(ents, N_ENTS, &cfg, run_threads, NULL, N_TASKS, err, sizeof err);
    match_index_t *y = match_index_new(ents, N_ENTS, &cfg, err, sizeof err);
    assert_non_null(x);
    assert_non_null(y);
    arena_t *a = arena_new(0);
    assert_non_null(a);
    static char hx[2048], hy[2048];
    for (unsigned i = 0; i < N_ENTS; i++) {
        hits_of(x, a, names[i], false, hx, sizeof hx);
        hits_of(y, a, names[i], false, hy, sizeof hy);
        assert_string_equal(hx, hy);
    }
    arena_destroy(&a);
    match_index_destroy(&x);
    match_index_destroy(&y);
}

/* Runs the tasks one after the other, first to last. */
static void
run_forward(void *ctx, void (*fn)(void *), void *const *args, int n)
{
    (void)ctx;
    for (int i = 0; i < n; i++)
        fn(args[i]);
}

/* Runs the tasks one after the other, last to first. */
static void
run_backward(void *ctx, void (*fn)(void *), void *const *args, int n)
{
    (void)ctx;
    for (int i = n - 1; i >= 0; i--)
        fn(args[i]);
}

/* The organisations' neighbour pass opens when their tables are done,
 * and the people's half takes part in it if it is still running, or
 * leaves it to the threads after both halves if it has finished
 * (build.c, nbpass_t). Whichever way the halves fall (the people's
 * half first, the organisations' first, or on threads side by side),
 * the index answers every name as a build in one thread does. */
static void
test_halves_in_any_order(void **state)
{
    (void)state;
    char err[256];
    match_index_t *y = match_index_new(mixed, N_MIXED, &cfg, err, sizeof err);
    assert_non_null(y);
    match_run_fn runs[] = {run_forward, run_backward, run_threads};
    arena_t *a = arena_new(0);
    assert_non_null(a);
    static char hx[2048], hy[2048];
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        match_index_t *x =
            match_index_new_par(mixed, N_MIXED, &cfg, runs[r], NULL, N_TASKS, err, sizeof err);
        assert_non_null(x);
        assert_int_equal(match_index_memory(x), match_index_memory(y));
        for (unsigned i = 0; i < N_MIXED; i++) {
            bool person = i >= N_ENTS;
            const char *name = person ? people[i - N_ENTS] : names[i];
            hits_of(x, a, name, person, hx, sizeof hx);
            hits_of(y, a, name, person, hy, sizeof hy);
            if (strcmp(hx, hy) != 0)
                fail_msg("run %zu, \"%s\": %s, not %s", r, name, hx, hy);
        }
        match_index_destroy(&x);
    }
    arena_destroy(&a);
    match_index_destroy(&y);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_neighbours_of_every_record),
        cmocka_unit_test(test_two_builds_answer_alike),
        cmocka_unit_test(test_halves_in_any_order),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
