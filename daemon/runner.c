/* SPDX-License-Identifier: Apache-2.0 */
/* runner.c -- a batch of tasks over short-lived threads, for the engine's
 * parallel index build (match_run_fn). */
#include "runner.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <unistd.h>

/* One batch, on the calling thread's stack: what every thread of it
 * reads, and the next task to take. */
typedef struct batch {
    void (*fn)(void *); /* the task */
    void *const *args;  /* its arguments, n (borrowed) */
    int n;              /* tasks in the batch */
    atomic_int next;    /* first task nobody has taken yet */
} batch_t;

/* Takes tasks until none is left. Tasks are taken one at a time rather
 * than dealt out in advance, so a thread that never started costs
 * nothing but its share of the speed-up. */
static void
drain(batch_t *b)
{
    for (int i; (i = atomic_fetch_add(&b->next, 1)) < b->n;)
        b->fn(b->args[i]);
}

static void *
runner_main(void *p)
{
    /* Named for top -H, and for the fault tests (tests/fault/run.sh). */
    prctl(PR_SET_NAME, "vetd-runner", 0, 0, 0);
    drain(p);
    return NULL;
}

int
runner_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > RUNNER_MAX_THREADS ? RUNNER_MAX_THREADS : (int)n;
}

void
runner_run(void *ctx, void (*fn)(void *), void *const *args, int n)
{
    (void)ctx;
    if (n <= 0)
        return;
    batch_t b = {.fn = fn, .args = args, .n = n};
    atomic_init(&b.next, 0);
    /* The helpers take no signals: they are the main thread's business,
     * and one landing here would not wake the main loop's wait. But for
     * the faults a thread raises itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL):
     * blocked, the kernel kills the process without calling any handler,
     * and libconfig's faults after a failed allocation, which the guard
     * of cfgread.c turns into an error, would end vetd when a helper
     * parses a registry file (loader_each_registry). */
    pthread_t th[RUNNER_MAX_THREADS - 1];
    int started = 0;
    int want = n < RUNNER_MAX_THREADS ? n - 1 : RUNNER_MAX_THREADS - 1;
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (started < want && pthread_create(&th[started], NULL, runner_main, &b) == 0)
        started++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    drain(&b);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}
