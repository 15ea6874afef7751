/* SPDX-License-Identifier: Apache-2.0 */
/* test_runner.c -- the threads vetd lends a ruleset load: every task of
 * a batch runs once, whatever the batch's size, the caller's signal mask
 * is left as it was, and a ruleset loaded over them is the one a single
 * thread loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "diag.h"
#include "ruleset.h"
#include "runner.h"

#define GOOD "tests/fixtures/rulesets/good"
#define MAX_TASKS 100

/* One task's record: how many times it ran. */
static void
count_task(void *p)
{
    atomic_fetch_add((atomic_int *)p, 1);
}

/* Every task of batches of 0, 1, fewer, as many and more tasks than
 * threads runs exactly once before runner_run returns. */
static void
test_every_task_once(void **state)
{
    (void)state;
    static const int sizes[] = {
        0, 1, 2, RUNNER_MAX_THREADS - 1, RUNNER_MAX_THREADS, RUNNER_MAX_THREADS + 1, 64, MAX_TASKS};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int n = sizes[k];
        atomic_int ran[MAX_TASKS];
        void *args[MAX_TASKS];
        for (int i = 0; i < MAX_TASKS; i++) {
            atomic_init(&ran[i], 0);
            args[i] = &ran[i];
        }
        runner_run(NULL, count_task, args, n);
        for (int i = 0; i < MAX_TASKS; i++)
            assert_int_equal(atomic_load(&ran[i]), i < n ? 1 : 0);
    }
}

static void
test_threads_bounded(void **state)
{
    (void)state;
    int n = runner_threads();
    assert_true(n >= 1 && n <= RUNNER_MAX_THREADS);
}

/* The helpers are started with every signal blocked; the caller's mask
 * must come back as it was. */
static void
test_mask_restored(void **state)
{
    (void)state;
    sigset_t before, after;
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    atomic_int ran[4];
    void *args[4];
    for (int i = 0; i < 4; i++) {
        atomic_init(&ran[i], 0);
        args[i] = &ran[i];
    }
    runner_run(NULL, count_task, args, 4);
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    for (int sig = 1; sig < 32; sig++)
        assert_int_equal(sigismember(&before, sig), sigismember(&after, sig));
}

/* vetd's load (ruleset_load_par over the runner) compiles the same
 * ruleset as ruleset_load. */
static void
test_load_par_same(void **state)
{
    (void)state;
    diag_t *d = diag_new(0);
    assert_non_null(d);
    ruleset_t *a = ruleset_load(GOOD, d);
    ruleset_t *b = ruleset_load_par(GOOD, d, runner_run, NULL, runner_threads());
    if (a == NULL || b == NULL)
        diag_print(d, stderr);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->digest, b->digest);
    assert_string_equal(a->content, b->content);
    assert_int_equal(match_index_memory(a->mx), match_index_memory(b->mx));
    ruleset_destroy(&a);
    ruleset_destroy(&b);
    diag_destroy(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_task_once),
        cmocka_unit_test(test_threads_bounded),
        cmocka_unit_test(test_mask_restored),
        cmocka_unit_test(test_load_par_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
