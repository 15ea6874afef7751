/* SPDX-License-Identifier: Apache-2.0 */
/* server.c -- the daemon's main thread: the ROUTER front end, the
 * request window, the workers' start and stop, the descriptor watch,
 * SIGHUP reloads and graceful drain. A request's handling is worker.c's,
 * the admin ops and the reload gates admin.c's.
 *
 * Threads and sockets:
 *   main     ROUTER bound on every endpoint (clients) and a DEALER bound
 *            on inproc (workers). It moves requests from clients to
 *            workers, adding a meta frame (arrival time, peer address),
 *            and replies back, counting what is inside the daemon.
 *   worker   DEALER connected to the inproc DEALER; receives
 *            [envelope..., body, meta], replies [envelope..., reply].
 *            Own arena and buffers; pins the ruleset per request.
 *   audit    the writer thread of audit.c, fed by one sink per worker.
 *   reload   a short-lived thread per SIGHUP; the reload op runs on the
 *            worker that received it. Either way one at a time. */
#include "server.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "admin.h"
#include "audit.h"
#include "keys.h"
#include "mclock.h"
#include "rsh.h"
#include "server_int.h"
#include "stats.h"
#include "worker.h"

#define WINDOW_REQUEST_BYTES 1024 /* what a request costs the window beyond its bytes */
#define AUDIT_STOP_MS 2000        /* at stop, patience with a failing audit disk */
#define DRAIN_GRACE_US 1000000u   /* past drain_ms, at most this long for the workers */
#define FD_CHECK_US 1000000u      /* how often descriptors are counted when nothing happens */
#define FD_CHECK_BUSY_US 5000u    /* at most this often while connections arrive */
#define FD_COOLDOWN_US 1000000u   /* closed for lack of fds: at least this long */
#define REFUSAL_LOG_US 10000000u  /* at most one failed-handshake line per 10 s */

/* ---- SIGHUP --------------------------------------------------------- */

static void *
hup_main(void *arg)
{
    server_t *s = arg;
    /* A name operators see in top, and fault-injection tests select. */
    prctl(PR_SET_NAME, "vetd-reload", 0, 0, 0);
    admin_reload(s, NULL, NULL, false);
    atomic_store(&s->hup_busy, false);
    return NULL;
}

static void
join_hup(server_t *s)
{
    if (s->hup_joinable && !atomic_load(&s->hup_busy)) {
        pthread_join(s->hup_thread, NULL);
        s->hup_joinable = false;
    }
}

/* ---- file descriptors ------------------------------------------------ */

/* Descriptors this process has open now (/proc/self/fd, less the one
 * used to read it), or -1 if it cannot be read. */
static long
fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

/* Binds (or unbinds) every endpoint. Returns 0, or -1 after logging
 * which one failed (bound ones stay bound). */
static int
listen_all(server_t *s, bool on)
{
    int rc = 0;
    for (size_t i = 0; i < s->cfg->n_endpoints; i++) {
        const char *ep = s->cfg->endpoints[i];
        if ((on ? zmq_bind(s->front, ep) : zmq_unbind(s->front, ep)) != 0) {
            vlog_msg(s->log, VLOG_ERR, "cannot %s %s: %s", on ? "listen on" : "stop listening on",
                     ep, zmq_strerror(errno));
            rc = -1;
        }
    }
    return rc;
}

/* Keeps limits.fd_reserve descriptors free. libzmq accepts connections
 * on its own threads and, out of descriptors, spins on its listener or
 * aborts; so before that point the daemon stops listening (clients that
 * connect meanwhile are refused by the kernel and retry) and listens
 * again, no sooner than FD_COOLDOWN_US later, once enough descriptors
 * are free. libzmq closes the connections accepted through an endpoint
 * when it stops listening on it, so those clients reconnect too (the
 * client libraries do so on their own and re-send what was unanswered):
 * a flood of connections costs a pause, never a spinning or aborted
 * daemon.
 * Counts at most every FD_CHECK_BUSY_US while connections arrive, every
 * FD_CHECK_US otherwise; urgent counts now. */
static void
fd_watch(server_t *s, uint64_t now, bool urgent)
{
    if (!urgent && now < s->fd_next_us)
        return;
    s->fd_next_us = now + FD_CHECK_US;
    long n = fd_count();
    if (n < 0)
        return;
    s->fds = n;
    long reserve = s->cfg->fd_reserve;
    if (s->listening && n >= s->fd_limit - reserve) {
        s->listening = false;
        s->fd_rebind_us = now + FD_COOLDOWN_US;
        atomic_fetch_add(&s->refusals, 1);
        listen_all(s, false);
        vlog_msg(s->log, VLOG_WARN,
                 "%ld of %ld file descriptors in use: not accepting new "
                 "connections until %ld are free (limits.fd_reserve)",
                 n, s->fd_limit, reserve + reserve / 2);
    } else if (!s->listening && now >= s->fd_rebind_us && n < s->fd_limit - reserve - reserve / 2) {
        if (listen_all(s, true) == 0) {
            s->listening = true;
            vlog_msg(s->log, VLOG_INFO,
                     "%ld of %ld file descriptors in use: accepting "
                     "connections again",
                     n, s->fd_limit);
        } else {
            listen_all(s, false); /* all or none: try again at the next count */
        }
    }
    if (!s->listening)
        s->fd_next_us = now + FD_CHECK_BUSY_US * 20;
}

/* Counts connections whose handshake failed: with CURVE, every client
 * refused. A key the ZAP handler refuses fails authentication (zap.c
 * logs which key); a client without CURVE fails the protocol, or, when
 * it sees the mismatch first and hangs up, leaves mid-handshake
 * (nodetail). Those two are logged here, at most once per
 * REFUSAL_LOG_US; without CURVE only a protocol error is (a client may
 * leave early for its own reasons). */
static void
handshakes_failed(server_t *s, uint32_t n, uint32_t proto_err, bool nodetail, uint64_t now)
{
    uint64_t total = atomic_fetch_add(&s->handshake_failures, n) + n;
    bool curve = s->zap != NULL;
    if ((proto_err == 0 && !(nodetail && curve)) ||
        (s->handshake_logged_us != 0 && now - s->handshake_logged_us < REFUSAL_LOG_US))
        return;
    s->handshake_logged_us = now;
    char why[96];
    if (proto_err == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        snprintf(why, sizeof why, "%s",
                 curve ? "a client without CURVE" : "a CURVE client, and CURVE is off");
    else if (proto_err != 0)
        snprintf(why, sizeof why, "protocol error 0x%x", proto_err);
    else
        snprintf(why, sizeof why, "the client left during it (a client without CURVE?)");
    vlog_msg(s->log, VLOG_WARN,
             "refused a connection: handshake failed: %s; %" PRIu64 " failed handshakes in all",
             why, total);
}

/* Reads the front end's monitor events: a connection accepted or
 * refused by the kernel for lack of descriptors makes the next count
 * come soon. */
static void
fd_events(server_t *s)
{
    bool urgent = false, soon = false;
    uint32_t failed = 0, proto_err = 0;
    bool nodetail = false;
    for (int i = 0; i < 1024; i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        /* Frame 1: uint16 event, uint32 value; frame 2: the address. */
        if (zmq_msg_size(&m) >= 2 && zmq_msg_more(&m)) {
            uint16_t ev;
            memcpy(&ev, zmq_msg_data(&m), sizeof ev);
            urgent |= ev == ZMQ_EVENT_ACCEPT_FAILED;
            soon |= ev == ZMQ_EVENT_ACCEPTED;
            if (ev & (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                      ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)) {
                failed++;
                nodetail |= ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
                if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && zmq_msg_size(&m) >= 6)
                    memcpy(&proto_err, (const char *)zmq_msg_data(&m) + 2, sizeof proto_err);
            }
        }
        zmq_msg_close(&m);
    }
    uint64_t now = mclock_us();
    if (failed > 0)
        handshakes_failed(s, failed, proto_err, nodetail, now);
    if (urgent || (soon && s->fd_next_us > now + FD_CHECK_BUSY_US))
        s->fd_next_us = urgent ? now : now + FD_CHECK_BUSY_US;
    fd_watch(s, now, urgent);
}

/* Raises the soft descriptor limit to the hard one (a daemon serving
 * many clients needs them, and it is the administrator's hard limit
 * that is meant) and records it. */
static void
fd_limit_raise(server_t *s)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        s->fd_limit = 1024;
        return;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = was;
    }
    s->fd_limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)LONG_MAX
                      ? LONG_MAX
                      : (long)rl.rlim_cur;
}

/* ---- who may ask (docs/SECURITY.md) ------------------------------- */

/* Loads the allow-list directory dir (NULL: an empty list, no keys) into
 * *out. Returns 0, or -1 after logging why. */
static int
load_list(server_t *s, const char *what, const char *dir, keys_t **out)
{
    *out = NULL;
    if (dir == NULL)
        return 0;
    char err[512];
    if ((*out = keys_load_dir(dir, err, sizeof err)) == NULL) {
        vlog_msg(s->log, VLOG_ERR, "%s: %s", what, err);
        return -1;
    }
    return 0;
}

int
server_keys_reload(server_t *s)
{
    if (s->zap == NULL)
        return 0;
    keys_t *clients, *admins;
    if (load_list(s, "curve.clients", s->cfg->curve_clients, &clients) != 0)
        return -1;
    if (load_list(s, "curve.admins", s->cfg->curve_admins, &admins) != 0) {
        keys_destroy(&clients);
        return -1;
    }
    vlog_msg(s->log, VLOG_INFO, "CURVE allow-lists re-read: %zu client key%s, %zu admin key%s",
             keys_count(clients), keys_count(clients) == 1 ? "" : "s", keys_count(admins),
             keys_count(admins) == 1 ? "" : "s");
    zap_set_keys(s->zap, clients, admins);
    return 0;
}

/* Sets the front end up for CURVE (cfg->curve_secret set): the server's
 * key pair, the ZAP handler with the allow-lists, the ZAP domain.
 * Returns 0, or -1 after logging why. */
static int
curve_setup(server_t *s)
{
    const dconf_t *cfg = s->cfg;
    char pub[KEYS_Z85_LEN + 1], sec[KEYS_Z85_LEN + 1], err[512];
    if (keys_read(cfg->curve_secret, pub, sec, NULL, err, sizeof err) != 0) {
        vlog_msg(s->log, VLOG_ERR, "curve.secret: %s", err);
        return -1;
    }
    if (cfg->curve_clients == NULL && cfg->curve_admins == NULL) {
        vlog_msg(s->log, VLOG_ERR,
                 "curve.secret is set but neither curve.clients nor curve.admins: "
                 "no client could connect");
        return -1;
    }
    keys_t *clients, *admins;
    if (load_list(s, "curve.clients", cfg->curve_clients, &clients) != 0)
        return -1;
    if (load_list(s, "curve.admins", cfg->curve_admins, &admins) != 0) {
        keys_destroy(&clients);
        return -1;
    }
    size_t nc = keys_count(clients), na = keys_count(admins);
    if ((s->zap = zap_new(s->zctx, s->log, clients, admins, err, sizeof err)) == NULL) {
        vlog_msg(s->log, VLOG_ERR, "%s", err);
        return -1;
    }
    if (server_setopt_int(s->front, ZMQ_CURVE_SERVER, 1) != 0 ||
        zmq_setsockopt(s->front, ZMQ_CURVE_SECRETKEY, sec, KEYS_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(s->front, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN)) != 0) {
        vlog_msg(s->log, VLOG_ERR, "cannot set CURVE up: %s", zmq_strerror(errno));
        return -1;
    }
    memset(sec, 0, sizeof sec);
    vlog_msg(s->log, VLOG_INFO, "CURVE on: server key %s, %zu client key%s, %zu admin key%s", pub,
             nc, nc == 1 ? "" : "s", na, na == 1 ? "" : "s");
    return 0;
}

/* Whether TCP endpoint ep ("tcp://HOST:PORT") binds a loopback address
 * only: 127.0.0.0/8, ::1 or localhost. Anything else (0.0.0.0, *, an
 * interface, a public address) is reachable from other machines. */
static bool
loopback_endpoint(const char *ep)
{
    const char *host = ep + 6;
    const char *colon = strrchr(host, ':');
    if (colon == NULL)
        return false;
    char h[128];
    size_t n = (size_t)(colon - host);
    if (n >= sizeof h)
        return false;
    memcpy(h, host, n);
    h[n] = '\0';
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        memmove(h, h + 1, n - 2);
        h[n - 2] = '\0';
    }
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, h, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, h, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcmp(h, "localhost") == 0;
}

/* Whether a client at Peer-Address addr is on this machine: an ipc
 * client (its "address" is not an IP address) or a loopback TCP one. */
static bool
local_peer(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (addr == NULL || *addr == '\0')
        return true;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return true;
}

/* Refuses (-1, logged) a TCP endpoint other machines can reach when
 * nothing authenticates or encrypts it, unless allow_insecure. */
static int
check_exposure(server_t *s)
{
    if (s->cfg->curve_secret != NULL)
        return 0;
    for (size_t i = 0; i < s->cfg->n_endpoints; i++) {
        const char *ep = s->cfg->endpoints[i];
        if (strncmp(ep, "tcp://", 6) != 0 || loopback_endpoint(ep))
            continue;
        vlog_msg(s->log, s->cfg->allow_insecure ? VLOG_WARN : VLOG_ERR,
                 "%s is reachable from other machines and CURVE is off: anyone who can "
                 "connect can screen and read every reply in clear%s",
                 ep,
                 s->cfg->allow_insecure ? " (allow_insecure = true)"
                                        : "; set curve.secret (docs/SECURITY.md), bind a "
                                          "loopback address, or allow it with --allow-insecure");
        if (!s->cfg->allow_insecure)
            return -1;
    }
    return 0;
}

/* Makes the socket file of ipc endpoint ep 0660 whatever the umask:
 * the owner and its group may connect, nobody else. Returns 0 or -1
 * (logged). */
static int
ipc_mode(server_t *s, const char *ep)
{
    if (strncmp(ep, "ipc://", 6) != 0 || ep[6] == '@') /* abstract: no file */
        return 0;
    if (chmod(ep + 6, 0660) != 0) {
        vlog_msg(s->log, VLOG_ERR, "cannot make %s mode 0660: %s", ep + 6, strerror(errno));
        return -1;
    }
    return 0;
}

static int
cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

server_t *
server_new(const dconf_t *cfg, vlog_t *log, server_err_t *err)
{
    server_err_t ignored;
    if (err == NULL)
        err = &ignored;
    *err = SERVER_ERR_INTERNAL;
    server_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cfg = cfg;
    s->log = log;
    s->started_us = mclock_us();
    s->started_at = time(NULL);
    s->audit_refuse = strcmp(cfg->audit_on_failure, "answer") != 0;
    /* Recursive: a worker holds it across a reload op (answering any
     * other reload busy, worker.c) and admin_reload takes it again. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->reload_lock, &ma);
    pthread_mutexattr_destroy(&ma);
    s->n_workers = (size_t)(cfg->workers > 0 ? cfg->workers : cores());
    s->rsh = rsh_new(s->n_workers);
    s->stats = stats_new(s->n_workers);
    s->workers = calloc(s->n_workers, sizeof *s->workers);
    s->zctx = zmq_ctx_new();
    if (s->rsh == NULL || s->stats == NULL || s->workers == NULL || s->zctx == NULL) {
        vlog_msg(log, VLOG_ERR, "out of memory starting the server");
        server_destroy(&s);
        return NULL;
    }

    uint64_t took;
    ruleset_t *rs = admin_load_first(s, &took);
    if (rs == NULL && cfg->require_rules) {
        *err = SERVER_ERR_RULESET;
        server_destroy(&s);
        return NULL;
    }
    if (rs != NULL) {
        vlog_msg(log, VLOG_INFO,
                 "ruleset %s loaded: version %s, digest %.16s, %zu organisations, %zu rules, "
                 "%.1f ms",
                 cfg->rules, rs->version, rs->digest, rs->n_ents, rs->n_rules, took / 1000.0);
        admin_log_stale(log, rs);
        atomic_store(&s->load_us, took);
        (void)rsh_swap(s->rsh, rs); /* the first: nothing to retire, no memory */
    } else {
        vlog_msg(log, VLOG_WARN,
                 "serving without a ruleset: screen requests get "
                 "\"unavailable\" until a reload succeeds");
    }

    if (strcmp(cfg->audit_path, "-") != 0) {
        audit_cfg_t ac = {
            .path = cfg->audit_path,
            .fsync = (audit_fsync_t)audit_fsync_find(cfg->audit_fsync),
            .interval_ms = (unsigned)cfg->audit_interval_ms,
            .queue_max = (unsigned)cfg->audit_queue,
            /* A disk that stays full must not hold SIGTERM up for long:
             * what is still queued then is lost either way (and logged). */
            .stop_ms = AUDIT_STOP_MS,
        };
        char msg[256];
        s->audit = audit_new(s->zctx, &ac, log, msg, sizeof msg);
        if (s->audit == NULL) {
            vlog_msg(log, VLOG_ERR, "%s", msg);
            *err = SERVER_ERR_AUDIT;
            server_destroy(&s);
            return NULL;
        }
    }

    s->front = zmq_socket(s->zctx, ZMQ_ROUTER);
    s->back = zmq_socket(s->zctx, ZMQ_DEALER);
    if (s->front == NULL || s->back == NULL) {
        vlog_msg(log, VLOG_ERR, "zmq_socket: %s", zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }
    int64_t maxmsg = cfg->max_message;
    /* ROUTER_MANDATORY: a reply to a client that is gone is an error we
     * count, not a silent drop. Replies are sent without waiting (see
     * forward_reply), so SNDTIMEO only backs that up. MAXMSGSIZE bounds
     * what a half-sent message can hold; the handshake interval bounds
     * how long a connection that never finishes its greeting is kept;
     * heartbeats find peers that vanished without closing, so their
     * queued replies are freed. */
    if (server_setopt_int(s->front, ZMQ_SNDHWM, cfg->max_queued_replies) != 0 ||
        server_setopt_int(s->front, ZMQ_RCVHWM, cfg->hwm) != 0 ||
        server_setopt_int(s->front, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
        server_setopt_int(s->front, ZMQ_SNDTIMEO, 0) != 0 ||
        server_setopt_int(s->front, ZMQ_LINGER, 1000) != 0 ||
        server_setopt_int(s->front, ZMQ_HANDSHAKE_IVL, cfg->handshake_ms) != 0 ||
        (cfg->heartbeat_ms > 0 &&
         (server_setopt_int(s->front, ZMQ_HEARTBEAT_IVL, cfg->heartbeat_ms) != 0 ||
          server_setopt_int(s->front, ZMQ_HEARTBEAT_TIMEOUT, 3 * cfg->heartbeat_ms) != 0)) ||
        zmq_setsockopt(s->front, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        server_setopt_int(s->back, ZMQ_SNDHWM, cfg->max_inflight + 16) != 0 ||
        server_setopt_int(s->back, ZMQ_RCVHWM, cfg->max_inflight + 16) != 0 ||
        server_setopt_int(s->back, ZMQ_LINGER, 0) != 0) {
        vlog_msg(log, VLOG_ERR, "zmq_setsockopt: %s", zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }
    /* The monitor tells the loop when connections arrive, so that it
     * counts descriptors before libzmq runs out of them. */
    fd_limit_raise(s);
    snprintf(s->mon_ep, sizeof s->mon_ep, "inproc://vetd-monitor-%p", (void *)s);
    /* And every failed handshake, which is how CURVE refusals show. */
    if (zmq_socket_monitor(
            s->front, s->mon_ep,
            ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
        (s->mon = zmq_socket(s->zctx, ZMQ_PAIR)) == NULL ||
        server_setopt_int(s->mon, ZMQ_LINGER, 0) != 0 || zmq_connect(s->mon, s->mon_ep) != 0) {
        vlog_msg(log, VLOG_ERR, "cannot monitor connections: %s", zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }
    if (check_exposure(s) != 0) {
        *err = SERVER_ERR_LISTEN;
        server_destroy(&s);
        return NULL;
    }
    if (cfg->curve_secret != NULL && curve_setup(s) != 0) {
        *err = SERVER_ERR_CURVE;
        server_destroy(&s);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        if (zmq_bind(s->front, cfg->endpoints[i]) != 0 || ipc_mode(s, cfg->endpoints[i]) != 0) {
            vlog_msg(log, VLOG_ERR, "cannot listen on %s: %s", cfg->endpoints[i],
                     zmq_strerror(errno));
            *err = SERVER_ERR_LISTEN;
            server_destroy(&s);
            return NULL;
        }
        vlog_msg(log, VLOG_INFO, "listening on %s", cfg->endpoints[i]);
    }
    /* A worker of a broker (vetd --broker) is dealt requests over a
     * connection of its own making; its endpoints stay for local
     * clients and per-node admin ops. */
    if (cfg->connect != NULL) {
        if (zmq_connect(s->front, cfg->connect) != 0) {
            vlog_msg(log, VLOG_ERR, "cannot connect to %s: %s", cfg->connect, zmq_strerror(errno));
            *err = SERVER_ERR_LISTEN;
            server_destroy(&s);
            return NULL;
        }
        vlog_msg(log, VLOG_INFO, "worker of the broker at %s", cfg->connect);
    }
    s->listening = true;
    snprintf(s->back_ep, sizeof s->back_ep, "inproc://vetd-workers-%p", (void *)s);
    if (zmq_bind(s->back, s->back_ep) != 0) {
        vlog_msg(log, VLOG_ERR, "zmq_bind %s: %s", s->back_ep, zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }

    for (size_t i = 0; i < s->n_workers; i++) {
        if ((s->workers[i] = worker_new(s, i)) == NULL) {
            server_destroy(&s);
            return NULL;
        }
    }
    s->fds = fd_count();
    vlog_msg(log, VLOG_INFO,
             "vetd %s serving with %zu worker%s, audit %s, %ld of %ld file "
             "descriptors in use",
             VETD_VERSION, s->n_workers, s->n_workers == 1 ? "" : "s",
             s->audit ? cfg->audit_path : "off", s->fds, s->fd_limit);
    *err = SERVER_OK;
    return s;
}

/* ---- the main loop -------------------------------------------------- */

/* Moves one whole message from the front end to the workers, adding the
 * meta frame. Returns 1 if one was moved (*cost: the bytes it counts
 * against the window), 0 if none was waiting, -1 on error. */
static int
forward_request(server_t *s, uint64_t *cost)
{
    zmq_msg_t m;
    meta_t meta;
    memset(&meta, 0, sizeof meta);
    bool first = true;
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->front, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (first && (errno == EAGAIN || errno == EINTR))
                return 0;
            if (errno == EINTR)
                continue;
            vlog_msg(s->log, VLOG_ERR, "recv: %s", zmq_strerror(errno));
            return -1;
        }
        if (first)
            meta.t_recv_us = mclock_us();
        first = false;
        /* A request costs its bytes plus a fixed part for the work every
         * request takes, so that many tiny requests fill the window too. */
        meta.cost += zmq_msg_size(&m) + WINDOW_REQUEST_BYTES;
        bool more = zmq_msg_more(&m);
        if (!more) {
            /* The routing id frame is made by ROUTER; the peer's address
             * travels with the frames the peer sent. */
            const char *peer = zmq_msg_gets(&m, "Peer-Address");
            peer = peer && *peer ? peer : "local";
            if (s->zap != NULL) {
                /* Set by the ZAP handler for every connection it let in
                 * (zap.h); a client cannot set them itself. */
                const char *user = zmq_msg_gets(&m, "User-Id");
                const char *role = zmq_msg_gets(&m, ZAP_ROLE);
                snprintf(meta.peer, sizeof meta.peer, "%s@%s", user ? user : "?", peer);
                meta.admin = role != NULL && strcmp(role, ZAP_ROLE_ADMIN) == 0;
            } else {
                snprintf(meta.peer, sizeof meta.peer, "%s", peer);
                meta.admin = s->cfg->admin_anywhere || local_peer(peer);
            }
        }
        if (zmq_msg_send(&m, s->back, ZMQ_SNDMORE) < 0) {
            vlog_msg(s->log, VLOG_ERR, "send to workers: %s", zmq_strerror(errno));
            zmq_msg_close(&m);
        }
        if (!more)
            break;
    }
    if (zmq_send(s->back, &meta, sizeof meta, 0) < 0)
        vlog_msg(s->log, VLOG_ERR, "send to workers: %s", zmq_strerror(errno));
    *cost = meta.cost;
    return 1;
}

/* Moves one reply from a worker to its client: [envelope..., reply,
 * cost] in, [envelope..., reply] out. Never waits for the client: a
 * client that is gone, or that does not read its replies until its queue
 * (limits.max_queued_replies) is full, loses this reply, which is
 * counted; nobody else waits for it. Returns 1 for a reply (*cost: what its request counted),
 * 2 for a worker's stop acknowledgement, 0 if nothing was waiting, -1 on
 * error. */
static int
forward_reply(server_t *s, uint64_t *cost)
{
    zmq_msg_t f[MAX_FRAMES + 2];
    size_t n = 0;
    *cost = 0;
    for (;;) {
        zmq_msg_t *m = &f[n < MAX_FRAMES + 1 ? n : MAX_FRAMES + 1];
        zmq_msg_init(m);
        if (zmq_msg_recv(m, s->back, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(m);
            if (errno == EINTR)
                continue;
            for (size_t i = 0; i < n && i <= MAX_FRAMES; i++)
                zmq_msg_close(&f[i]);
            if (n == 0 && errno == EAGAIN)
                return 0;
            vlog_msg(s->log, VLOG_ERR, "recv from workers: %s", zmq_strerror(errno));
            return -1;
        }
        bool more = zmq_msg_more(m);
        if (n <= MAX_FRAMES) {
            n++;
        } else if (more) {
            zmq_msg_close(m); /* a worker never sends this many: drop */
            continue;
        } else {
            zmq_msg_move(&f[MAX_FRAMES], m); /* keep the last (cost) frame */
            zmq_msg_close(m);
        }
        if (!more)
            break;
    }
    if (n == 1) {
        zmq_msg_close(&f[0]);
        return 2;
    }
    zmq_msg_t *cf = &f[n - 1];
    if (zmq_msg_size(cf) == sizeof *cost)
        memcpy(cost, zmq_msg_data(cf), sizeof *cost);
    zmq_msg_close(cf);
    n--;
    size_t i = 0;
    for (; i < n; i++)
        if (zmq_msg_send(&f[i], s->front, (i + 1 < n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
            break;
    if (i < n) {
        /* Only the first frame can fail (libzmq queues a message whole
         * once its first frame is in): EHOSTUNREACH, the client left;
         * EAGAIN, it does not read its replies. */
        bool gone = errno == EHOSTUNREACH;
        vlog_msg(s->log, VLOG_DEBUG, "reply undeliverable: %s", zmq_strerror(errno));
        stats_undeliverable(s->stats, gone);
        for (; i < n; i++)
            zmq_msg_close(&f[i]);
    }
    return 1;
}

int
server_run(server_t *s, server_signals_t *sig)
{
    /* The window: requests handed to the workers and not yet answered,
     * bounded in count (limits.max_inflight) and in bytes (two of the
     * largest requests). Requests beyond it wait in libzmq's per-client
     * queues, which ROUTER reads in turn, one message per client: so a
     * client with many or huge requests cannot push another's request
     * further back than one window. */
    size_t inflight = 0;
    uint64_t inflight_bytes = 0;
    const uint64_t window_bytes = 2u * (uint64_t)s->cfg->max_request + 2u * WINDOW_REQUEST_BYTES;
    bool draining = false;
    uint64_t drain_deadline = 0, last_request = mclock_us();
    unsigned ticks = 0;
    for (;;) {
        if (sig->stop && !draining) {
            draining = true;
            drain_deadline = mclock_us() + (uint64_t)s->cfg->drain_ms * 1000u;
            vlog_msg(s->log, VLOG_INFO, "stopping: answering %zu request%s in flight", inflight,
                     inflight == 1 ? "" : "s");
        }
        if (sig->reload) {
            sig->reload = 0;
            join_hup(s);
            if (atomic_load(&s->hup_busy)) {
                vlog_msg(s->log, VLOG_WARN, "SIGHUP: a reload is already running");
            } else {
                atomic_store(&s->hup_busy, true);
                if (pthread_create(&s->hup_thread, NULL, hup_main, s) != 0) {
                    atomic_store(&s->hup_busy, false);
                    vlog_msg(s->log, VLOG_ERR, "SIGHUP: cannot start the reload thread");
                } else {
                    s->hup_joinable = true;
                }
            }
        }
        if (sig->reopen) {
            sig->reopen = 0;
            if (s->audit != NULL) {
                vlog_msg(s->log, VLOG_INFO, "reopening the audit log %s", s->cfg->audit_path);
                audit_reopen(s->audit);
            }
        }
        uint64_t now = mclock_us();
        bool past_deadline = draining && now >= drain_deadline;
        if (draining && inflight == 0 &&
            (past_deadline || now - last_request >= (uint64_t)s->cfg->drain_quiet_ms * 1000u))
            break;
        /* Workers answer what they hold within a window's work; a worker
         * that does not (a bug) must not keep the daemon from stopping. */
        if (past_deadline && now >= drain_deadline + DRAIN_GRACE_US)
            break;
        fd_watch(s, now, false);

        bool take = inflight < (size_t)s->cfg->max_inflight && inflight_bytes < window_bytes &&
                    !past_deadline;
        zmq_pollitem_t items[3] = {
            {s->back, 0, ZMQ_POLLIN, 0},
            {s->mon, 0, ZMQ_POLLIN, 0},
            {s->front, 0, ZMQ_POLLIN, 0},
        };
        int rc = zmq_poll(items, take ? 3 : 2, draining ? 10 : 100);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            vlog_msg(s->log, VLOG_ERR, "zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        if (rc == 0 || (++ticks & 1023u) == 0) {
            rsh_reap(s->rsh);
            join_hup(s);
        }
        if (items[1].revents & ZMQ_POLLIN)
            fd_events(s);
        /* Replies first: they free room for more requests. Bounded
         * batches keep either direction from starving the other. */
        if (items[0].revents & ZMQ_POLLIN) {
            for (int i = 0; i < 256; i++) {
                uint64_t cost;
                int r = forward_reply(s, &cost);
                if (r <= 0)
                    break;
                if (r == 1 && inflight > 0) {
                    inflight--;
                    inflight_bytes -= cost < inflight_bytes ? cost : inflight_bytes;
                }
            }
        }
        if (take && (items[2].revents & ZMQ_POLLIN)) {
            for (int i = 0; i < 256 && inflight < (size_t)s->cfg->max_inflight &&
                            inflight_bytes < window_bytes;
                 i++) {
                uint64_t cost;
                int r = forward_request(s, &cost);
                if (r <= 0)
                    break;
                inflight++;
                inflight_bytes += cost;
                last_request = mclock_us();
            }
        }
    }
    if (inflight > 0)
        vlog_msg(s->log, VLOG_WARN, "stopping with %zu request%s unanswered", inflight,
                 inflight == 1 ? "" : "s");
    vlog_msg(s->log, VLOG_INFO, "drained; stopping the workers");
    return 0;
}

/* Stops every started worker: sends stop messages through the DEALER
 * (round-robin, one per worker) until each has acknowledged, then frees
 * the workers (waiting for any that did not). */
static void
stop_workers(server_t *s)
{
    size_t started = 0, acked = 0;
    for (size_t i = 0; i < s->n_workers; i++)
        started += s->workers[i] != NULL;
    uint64_t deadline = mclock_us() + 5000000u;
    while (acked < started && mclock_us() < deadline) {
        for (size_t i = acked; i < started; i++)
            if (zmq_send(s->back, CONTROL_STOP, strlen(CONTROL_STOP), ZMQ_DONTWAIT) < 0)
                break;
        zmq_pollitem_t item = {s->back, 0, ZMQ_POLLIN, 0};
        while (acked < started && zmq_poll(&item, 1, 100) > 0) {
            uint64_t cost;
            int r = forward_reply(s, &cost);
            if (r == 2)
                acked++;
            else if (r <= 0)
                break;
        }
    }
    if (acked < started)
        vlog_msg(s->log, VLOG_ERR, "%zu worker%s did not stop", started - acked,
                 started - acked == 1 ? "" : "s");
    for (size_t i = 0; i < s->n_workers; i++)
        worker_destroy(&s->workers[i]);
}

void
server_destroy(server_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    server_t *s = *sp;
    /* Workers exist only once back is bound (server_new). */
    if (s->workers != NULL && s->back != NULL)
        stop_workers(s);
    if (s->hup_joinable) {
        pthread_join(s->hup_thread, NULL);
        s->hup_joinable = false;
    }
    if (s->mon != NULL)
        zmq_close(s->mon);
    if (s->front != NULL) {
        zmq_socket_monitor(s->front, NULL, 0);
        zmq_close(s->front);
    }
    if (s->back != NULL)
        zmq_close(s->back);
    zap_destroy(&s->zap); /* after front: it answers front's handshakes */
    audit_destroy(&s->audit);
    if (s->zctx != NULL)
        zmq_ctx_term(s->zctx);
    rsh_destroy(&s->rsh);
    stats_destroy(&s->stats);
    free(s->workers);
    pthread_mutex_destroy(&s->reload_lock);
    if (s->log != NULL)
        vlog_msg(s->log, VLOG_INFO, "stopped");
    free(s);
    *sp = NULL;
}
