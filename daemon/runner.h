/* SPDX-License-Identifier: Apache-2.0 */
/* runner.h -- the threads vetd lends the engine for a ruleset load: a
 * match_run_fn (match.h) that runs a batch of tasks over short-lived
 * threads, and how many of them a load should use. The engine creates no
 * thread of its own; this module is where the daemon's come from. */
#ifndef VET_RUNNER_H
#define VET_RUNNER_H

#include "match.h"

/* A reload runs beside the workers still serving the old ruleset: it
 * takes at most this many cores from them. */
#define RUNNER_MAX_THREADS 8

/* Threads a load should use: the online CPUs, at least 1, at most
 * RUNNER_MAX_THREADS. */
int runner_threads(void);

/* A match_run_fn: runs fn(args[i]) once for every i in [0, n) and
 * returns when every call has returned. The calling thread takes tasks
 * too, beside at most RUNNER_MAX_THREADS - 1 threads started for the
 * batch and joined before it returns (they take no signals). A thread
 * that cannot be started is no error: the threads that did start, or
 * the calling thread alone, run the rest. ctx is unused (NULL); args is
 * borrowed for the call. */
void runner_run(void *ctx, void (*fn)(void *), void *const *args, int n);

#endif
