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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "ruleset.h"
#include "runner.h"
#include "testutil.h"

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

/* One task's record of where it ran: its thread, and its signal mask. */
typedef struct where {
    pthread_t self;
    sigset_t mask;
    atomic_int *entered; /* tasks begun, shared */
} where_t;

static void
where_task(void *p)
{
    where_t *w = p;
    w->self = pthread_self();
    pthread_sigmask(SIG_SETMASK, NULL, &w->mask);
    /* Held until a second task has begun (at most 2 s), so that a helper
     * takes one even if this thread could take them all. */
    atomic_fetch_add(w->entered, 1);
    for (int i = 0; i < 2000 && atomic_load(w->entered) < 2; i++)
        usleep(1000);
}

/* A helper blocks the signals meant for the main thread, but not the
 * faults it raises itself: blocked, SIGSEGV ends the process without
 * calling a handler, and the guard that turns libconfig's faults into an
 * error (cfgread.c) would never run when a helper parses a registry
 * file. */
static void
test_helpers_take_their_faults(void **state)
{
    (void)state;
    atomic_int entered;
    atomic_init(&entered, 0);
    where_t w[2];
    void *args[2] = {&w[0], &w[1]};
    for (int i = 0; i < 2; i++)
        w[i].entered = &entered;
    runner_run(NULL, where_task, args, 2);
    int helpers = 0;
    for (int i = 0; i < 2; i++) {
        if (pthread_equal(w[i].self, pthread_self()))
            continue;
        helpers++;
        static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
        for (size_t k = 0; k < sizeof faults / sizeof faults[0]; k++)
            assert_false(sigismember(&w[i].mask, faults[k]));
        assert_true(sigismember(&w[i].mask, SIGHUP));
        assert_true(sigismember(&w[i].mask, SIGTERM));
        assert_true(sigismember(&w[i].mask, SIGINT));
    }
    assert_int_equal(helpers, 1);
}

/* A batch and its tasks, for run_elsewhere's thread. */
typedef struct elsewhere {
    void (*fn)(void *);
    void *const *args;
    int n;
} elsewhere_t;

static void *
elsewhere_main(void *p)
{
    const elsewhere_t *e = p;
    for (int i = 0; i < e->n; i++)
        e->fn(e->args[i]);
    return NULL;
}

/* A match_run_fn that runs every task of a batch, one after the other,
 * on one thread that is not the caller's. */
static void
run_elsewhere(void *ctx, void (*fn)(void *), void *const *args, int n)
{
    (void)ctx;
    elsewhere_t e = {fn, args, n};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, elsewhere_main, &e), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
}

/* Every message of loading dir, one a line, then the load's result and
 * digest: in one thread (run NULL) or lending run. */
static char *
messages_of(const char *dir, match_run_fn run)
{
    diag_t *d = diag_new(0);
    assert_non_null(d);
    ruleset_t *rs = run != NULL ? ruleset_load_par(dir, d, run, NULL, 2) : ruleset_load(dir, d);
    size_t cap = 1, n = diag_count(d) < 200 ? diag_count(d) : 200;
    for (size_t i = 0; i < n; i++)
        cap += strlen(diag_get(d, i)) + 1;
    char *out = calloc(1, cap + 128);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        strcat(out, diag_get(d, i));
        strcat(out, "\n");
    }
    strcat(out, rs != NULL ? "loaded " : "refused");
    if (rs != NULL)
        strcat(out, rs->digest);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    return out;
}

/* Where the message naming file first is in msgs, or fails. */
static size_t
first_of(const char *msgs, const char *file)
{
    const char *p = strstr(msgs, file);
    if (p == NULL)
        fail_msg("no message names %s:\n%s", file, msgs);
    return (size_t)(p - msgs);
}

/* A registry file is read on one task while the one before it is
 * converted on another (loader_each_registry): the messages of a load
 * with faults in several files, of reading (syntax, an empty file,
 * @include) and of converting (an unknown setting, an id declared
 * twice, an organisation that is not a group), are the same, in the
 * same order, as one thread's: each file's reading, then its
 * conversion, file after file. */
static void
test_load_par_same_messages(void **state)
{
    (void)state;
    tu_rsdir_t *dir = tu_rsdir_new("runner");
    assert_non_null(dir);
    static const char *const copied[] = {"policy.cfg", "taxonomy.cfg", "registry/mcf.cfg",
                                         "registry/nro.cfg", "registry/sdn.cfg"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", GOOD, copied[i]);
        char *text = tu_read_file(path, NULL);
        assert_non_null(text);
        tu_rsdir_put(dir, copied[i], text);
        free(text);
    }
    tu_rsdir_put(dir, "registry/b-syntax.cfg", "organisations = ( { id = \"b1\"; name = ; } );\n");
    tu_rsdir_put(dir, "registry/c-convert.cfg",
                 "colour = \"blue\";\n"
                 "organisations = ( { id = \"cetc\"; name = \"Twice\"; sources = [ \"x\" ]; },\n"
                 "  \"not a group\" );\n");
    tu_rsdir_put(dir, "registry/d-empty.cfg", "");
    tu_rsdir_put(dir, "registry/e-include.cfg", "@include \"other.cfg\"\n");
    tu_rsdir_put(dir, "registry/f-convert.cfg",
                 "organisations = ( { id = \"f1\"; name = \"F One\"; risk = 7; } );\n");
    char *one = messages_of(dir->path, NULL);
    char *lent = messages_of(dir->path, runner_run);
    char *away = messages_of(dir->path, run_elsewhere);
    assert_string_equal(one, lent);
    assert_string_equal(one, away);
    size_t at = 0;
    static const char *const order[] = {"b-syntax.cfg", "c-convert.cfg", "d-empty.cfg",
                                        "e-include.cfg", "f-convert.cfg"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        size_t p = first_of(one, order[i]);
        assert_true(p >= at);
        at = p;
    }
    assert_non_null(strstr(one, "refused"));
    /* And a ruleset that loads: the same digest whichever thread read
     * which file. */
    char *good = messages_of(GOOD, NULL), *good_lent = messages_of(GOOD, runner_run),
         *good_away = messages_of(GOOD, run_elsewhere);
    assert_non_null(strstr(good, "loaded"));
    assert_string_equal(good, good_lent);
    assert_string_equal(good, good_away);
    free(good);
    free(good_lent);
    free(good_away);
    free(one);
    free(lent);
    free(away);
    assert_int_equal(tu_rsdir_destroy(&dir), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_task_once), cmocka_unit_test(test_threads_bounded),
        cmocka_unit_test(test_mask_restored),   cmocka_unit_test(test_helpers_take_their_faults),
        cmocka_unit_test(test_load_par_same),   cmocka_unit_test(test_load_par_same_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
