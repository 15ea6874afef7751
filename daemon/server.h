/* SPDX-License-Identifier: Apache-2.0 */
/* server.h -- the daemon: a ROUTER socket on every endpoint, a pool of
 * worker threads that parse, screen and reply (worker.c), admin ops and
 * reload by atomic swap (admin.c), and the audit trail. Nothing here is
 * on the embedding API; the engine below knows nothing of ZeroMQ. */
#ifndef VET_SERVER_H
#define VET_SERVER_H

#include <signal.h>

#include "dconf.h"
#include "vlog.h"

/* The project's version comes from the top-level VERSION file: the
 * Makefile passes -DVETD_VERSION (one version for vetd, the libraries'
 * soname and the client packages). */
#ifndef VETD_VERSION
#error "VETD_VERSION is set from the VERSION file by the Makefile"
#endif
#define VETD_PROTOCOL 1 /* wire format revision (docs/PROTOCOL.md) */

typedef struct server server_t;

/* Flags the signal handlers of main.c set; the server's loop acts on
 * them and clears them. */
typedef struct server_signals {
    volatile sig_atomic_t reload; /* SIGHUP */
    volatile sig_atomic_t reopen; /* SIGUSR1: reopen the audit log */
    volatile sig_atomic_t stop;   /* SIGTERM, SIGINT */
} server_signals_t;

/* Why server_new failed; main.c chooses the exit code of each. */
typedef enum server_err {
    SERVER_OK,           /* it did not */
    SERVER_ERR_RULESET,  /* the ruleset does not load (cfg->require_rules) */
    SERVER_ERR_LISTEN,   /* an endpoint cannot be bound */
    SERVER_ERR_AUDIT,    /* the audit log cannot be opened */
    SERVER_ERR_CURVE,    /* a CURVE certificate or allow-list cannot be read */
    SERVER_ERR_INTERNAL, /* out of memory; a socket or thread that cannot be set up */
} server_err_t;

/* Loads the ruleset, opens the audit log, binds every endpoint and
 * starts the workers. cfg and log are borrowed and must outlive the
 * server. Returns the server (caller owns it: server_destroy), or NULL
 * after logging why (ruleset errors one per line, then the reason) with
 * the kind of failure in *err (err may be NULL). */
server_t *server_new(const dconf_t *cfg, vlog_t *log, server_err_t *err);

/* Serves until sig->stop: then stops reading new requests once none
 * has arrived for cfg->drain_quiet_ms (or after cfg->drain_ms: requests
 * clients had already sent are answered, not dropped), answers everything
 * in flight, stops the workers and flushes the audit log. Returns 0. */
int server_run(server_t *s, server_signals_t *sig);

/* Frees everything; accepts NULL; nulls *sp. */
void server_destroy(server_t **sp);

#endif
