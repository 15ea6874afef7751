/* SPDX-License-Identifier: Apache-2.0 */
/* worker.h -- a worker thread of the daemon: receives a request from the
 * server's main thread, parses it, screens it or answers the admin op,
 * replies, and hands the audit record to the audit log. Each worker has
 * its own arena, buffers, audit sink and ruleset pin (its slot); workers
 * share nothing mutable but the server's atomics. */
#ifndef VET_WORKER_H
#define VET_WORKER_H

#include <stddef.h>

#include "server.h"

typedef struct worker worker_t;

/* Sets up worker idx of s (its slot in the ruleset swap and the
 * statistics; idx < s->n_workers): an arena, a DEALER connected to the
 * server's inproc back end, an audit sink when the audit log is on; then
 * starts its thread. s is borrowed and must outlive the worker, with its
 * back end bound. Returns the worker (caller owns it: worker_destroy) or
 * NULL after logging why. */
worker_t *worker_new(server_t *s, size_t idx);

/* Waits for the thread to end (the server sends it CONTROL_STOP first:
 * server_int.h) and frees the worker. Accepts NULL; nulls *wp. */
void worker_destroy(worker_t **wp);

#endif
