/* SPDX-License-Identifier: Apache-2.0 */
/* server_int.h -- private to the daemon's server, worker and admin
 * modules: the server's state and the framing its threads share. Nothing
 * outside daemon/server.c, worker.c and admin.c includes it.
 *
 * Who writes what: the main thread (server.c) sets everything up before
 * the workers start and then owns the sockets front, back and mon and
 * the descriptor watch; workers (worker.c) and the reload paths
 * (admin.c, on a worker or the SIGHUP thread) share the rest only
 * through atomics, the rsh swap and reload_lock. */
#ifndef VET_SERVER_INT_H
#define VET_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <zmq.h>

#include "audit.h"
#include "dconf.h"
#include "rsh.h"
#include "server.h"
#include "stats.h"
#include "vlog.h"
#include "worker.h"
#include "zap.h"

#define MAX_FRAMES 8          /* envelope frames + body kept per request */
#define CONTROL_STOP "stop"   /* single-frame message: main -> worker */
#define CONTROL_ACK "stopped" /* single-frame message: worker -> main */

/* What main attaches to each request as its last frame, and a worker
 * sends back (cost) after the reply. */
typedef struct meta {
    uint64_t t_recv_us; /* monotonic µs when main read it */
    uint64_t cost;      /* bytes main counted against its window */
    char peer[112];     /* who asked: the client's key name and address
                         * ("alice@127.0.0.1") with CURVE, else its address
                         * ("127.0.0.1", "local" for ipc) */
    bool admin;         /* may run admin ops (docs/SECURITY.md, roles) */
} meta_t;

struct server {
    const dconf_t *cfg;              /* borrowed; read-only */
    vlog_t *log;                     /* borrowed; safe from any thread */
    void *zctx;                      /* owned ZeroMQ context */
    void *front;                     /* ROUTER, clients; main thread only */
    void *back;                      /* DEALER, workers; main thread only */
    char back_ep[64];                /* inproc endpoint of back */
    rsh_t *rsh;                      /* the current ruleset; owned */
    stats_t *stats;                  /* request counters; owned */
    audit_t *audit;                  /* owned; NULL when the audit log is off */
    worker_t **workers;              /* n_workers slots, owned; NULL: not started */
    size_t n_workers;                /* worker threads, each an rsh and stats slot */
    pthread_mutex_t reload_lock;     /* one reload at a time; recursive */
    _Atomic uint64_t reloads_ok;     /* reloads that swapped a ruleset in */
    _Atomic uint64_t reloads_failed; /* reloads a gate refused */
    _Atomic uint64_t load_us;        /* how long the current ruleset took to load */
    _Atomic bool hup_busy;           /* a SIGHUP reload thread is running */
    pthread_t hup_thread;            /* that thread; main thread only */
    bool hup_joinable;               /* hup_thread was started and not yet joined */
    uint64_t started_us;             /* monotonic µs at start */
    time_t started_at;               /* wall clock at start */
    /* file descriptors (written by the main thread only) */
    void *mon;                 /* PAIR: the front end's connection events */
    char mon_ep[64];           /* inproc endpoint of the monitor */
    long fd_limit;             /* RLIMIT_NOFILE soft limit, raised to the hard one */
    _Atomic long fds;          /* descriptors open at the last count */
    atomic_bool listening;     /* endpoints bound (false: refusing connections) */
    uint64_t fd_next_us;       /* monotonic µs of the next count */
    uint64_t fd_rebind_us;     /* not listening: not before this */
    _Atomic uint64_t refusals; /* times the endpoints were closed for lack of fds */
    /* the audit log failing */
    bool audit_refuse;                /* audit.on_failure = refuse */
    _Atomic uint64_t audit_refused;   /* screens refused: the record could not be kept */
    _Atomic uint64_t unaudited;       /* requests answered without a record */
    _Atomic uint64_t audit_warned_us; /* monotonic µs of the last warning */
    /* who may ask (docs/SECURITY.md) */
    zap_t *zap;                          /* owned; NULL without CURVE */
    _Atomic uint64_t handshake_failures; /* connections refused at the handshake */
    uint64_t handshake_logged_us;        /* monotonic µs of the last such line; main only */
};

/* Re-reads the CURVE allow-lists (curve.clients, curve.admins) for the
 * ZAP handler, as every reload does. Returns 0 (also without CURVE), or
 * -1 after logging why: the lists in force then stay as they were. Any
 * thread. */
int server_keys_reload(server_t *s);

/* zmq_setsockopt of an int option; returns its 0 / -1 (errno set). */
static inline int
server_setopt_int(void *sock, int opt, int v)
{
    return zmq_setsockopt(sock, opt, &v, sizeof v);
}

#endif
