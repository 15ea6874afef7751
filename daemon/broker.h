/* SPDX-License-Identifier: Apache-2.0 */
/* broker.h -- vetd --broker: one ZeroMQ proxy between clients and any
 * number of vetd workers (vetd --connect), on ZeroMQ's own pattern
 * (zmq_proxy_steerable: ROUTER front, DEALER back; docs/DEPLOY.md). */
#ifndef VET_BROKER_H
#define VET_BROKER_H

#include <stddef.h>

#include "server.h"
#include "vlog.h"

/* Binds a ROUTER on each of the n_front endpoints (clients connect
 * there, as to a vetd) and a DEALER on back (workers connect there),
 * with ZeroMQ heartbeats on the back so that a worker that died or hangs
 * stops being dealt requests within heartbeat_ms * 3, then moves
 * messages both ways until sig->stop. Requests are dealt round robin to
 * the workers connected; replies go back to the client by its envelope.
 * The broker keeps no state of a request: a request lost with a worker
 * is sent again by its client. front, back and log borrowed. Returns 0
 * after a stop, -1 after logging why it could not start (a socket, a
 * bind). */
int broker_run(const char *const *front, size_t n_front, const char *back, int heartbeat_ms,
               vlog_t *log, server_signals_t *sig);

#endif
