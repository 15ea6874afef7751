/* server.c -- the daemon: ROUTER front end, worker pool, admin ops,
 * ruleset reload by atomic swap, graceful drain, audit records.
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

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "arena.h"
#include "mclock.h"
#include "audit.h"
#include "diag.h"
#include "proto.h"
#include "rsh.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"
#include "stats.h"

#define MAX_FRAMES 8            /* envelope frames + body we keep per request */
#define CONTROL_STOP "stop"     /* single-frame message: main -> worker */
#define CONTROL_ACK "stopped"   /* single-frame message: worker -> main */
#define RAW_AUDIT_MAX 512       /* bytes of a rejected request kept in the audit log */

/* What main attaches to each request: a meta frame. */
typedef struct meta {
    uint64_t t_recv_us;         /* monotonic µs when main read it */
    char peer[48];              /* client address ("127.0.0.1", "ipc"...) */
} meta_t;

typedef struct worker {
    struct server *srv;         /* borrowed */
    size_t idx;                 /* slot in rsh and stats */
    pthread_t thread;
    bool started;               /* thread created */
    void *sock;                 /* DEALER to main; owned by the thread */
    audit_sink_t *sink;         /* owned, NULL without audit */
    arena_t *arena;             /* per-request memory */
    sbuf_t reply;               /* reply being built */
    sbuf_t rec;                 /* audit record being built */
} worker_t;

struct server {
    const dconf_t *cfg;         /* borrowed */
    vlog_t *log;                /* borrowed */
    void *zctx;                 /* owned */
    void *front;                /* ROUTER, clients */
    void *back;                 /* DEALER, workers */
    char back_ep[64];           /* inproc endpoint of back */
    rsh_t *rsh;                 /* the current ruleset */
    stats_t *stats;
    audit_t *audit;             /* NULL when the audit log is off */
    worker_t *workers;
    size_t n_workers;
    pthread_mutex_t reload_lock; /* one reload at a time */
    _Atomic uint64_t reloads_ok;
    _Atomic uint64_t reloads_failed;
    _Atomic uint64_t load_us;   /* how long the current ruleset took to load */
    _Atomic bool hup_busy;      /* a SIGHUP reload thread is running */
    pthread_t hup_thread;
    bool hup_joinable;
    uint64_t started_us;        /* monotonic */
    time_t started_at;          /* wall clock */
};

static void
iso_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- ruleset loading ------------------------------------------------ */

/* Loads cfg->rules. On failure logs every error and, if errs is not
 * NULL, appends them to it as a JSON array of strings. */
static ruleset_t *
load_rules(server_t *s, sbuf_t *errs, uint64_t *took_us)
{
    uint64_t t0 = mclock_us();
    diag_t *d = diag_new(0);
    if (d == NULL)
        return NULL;
    ruleset_t *rs = ruleset_load(s->cfg->rules, d);
    *took_us = mclock_us() - t0;
    if (rs == NULL) {
        if (errs != NULL)
            sbuf_putc(errs, '[');
        for (size_t i = 0; diag_get(d, i) != NULL; i++) {
            vlog_msg(s->log, VLOG_ERR, "%s", diag_get(d, i));
            if (errs != NULL) {
                if (i > 0)
                    sbuf_putc(errs, ',');
                sbuf_json_cstr(errs, diag_get(d, i));
            }
        }
        if (errs != NULL)
            sbuf_putc(errs, ']');
        vlog_msg(s->log, VLOG_ERR, "%s: %zu error%s, ruleset not loaded", s->cfg->rules,
                 diag_count(d), diag_count(d) == 1 ? "" : "s");
    }
    diag_destroy(&d);
    return rs;
}

static void
put_ruleset(sbuf_t *b, const ruleset_t *rs, uint64_t load_us)
{
    if (rs == NULL) {
        sbuf_puts(b, "null");
        return;
    }
    char when[32];
    iso_time(rs->loaded_at, when, sizeof when);
    sbuf_puts(b, "{\"version\":");
    sbuf_json_cstr(b, rs->version);
    sbuf_printf(b, ",\"digest\":\"%s\",\"loaded_at\":\"%s\",\"load_ms\":%.1f,"
                "\"bytes\":%zu,\"organisations\":%zu,\"rules\":%zu}",
                rs->digest, when, (double)load_us / 1000.0, ruleset_memory(rs), rs->n_ents,
                rs->n_rules);
}

/* Opens a reply object: "{" and the id member when there is one. */
static void
open_reply(sbuf_t *b, const char *id)
{
    sbuf_putc(b, '{');
    if (id != NULL) {
        sbuf_puts(b, "\"id\":");
        sbuf_json_cstr(b, id);
        sbuf_putc(b, ',');
    }
}

/* Reloads the ruleset; on success swaps it in. Writes the reply to the
 * reload op into reply when not NULL. Serialised by reload_lock; never
 * called with a ruleset pinned by the calling thread. */
static void
reload(server_t *s, sbuf_t *reply, const char *id)
{
    pthread_mutex_lock(&s->reload_lock);
    vlog_msg(s->log, VLOG_INFO, "reloading the ruleset from %s", s->cfg->rules);
    sbuf_t errs = SBUF_INIT;
    uint64_t took;
    ruleset_t *rs = load_rules(s, &errs, &took);
    const ruleset_t *old = rsh_peek(s->rsh);
    if (reply != NULL)
        open_reply(reply, id);
    if (rs != NULL) {
        if (reply != NULL) {
            sbuf_puts(reply, "\"ok\":true,\"ruleset\":");
            put_ruleset(reply, rs, took);
            sbuf_puts(reply, ",\"previous\":");
            if (old != NULL) {
                sbuf_puts(reply, "{\"version\":");
                sbuf_json_cstr(reply, old->version);
                sbuf_printf(reply, ",\"digest\":\"%s\"}", old->digest);
            } else {
                sbuf_puts(reply, "null");
            }
            sbuf_putc(reply, '}');
        }
        vlog_msg(s->log, VLOG_INFO,
                 "ruleset reloaded: version %s, digest %.16s, %zu organisations, %zu rules, "
                 "%.1f ms", rs->version, rs->digest, rs->n_ents, rs->n_rules, took / 1000.0);
        atomic_store(&s->load_us, took);
        rsh_swap(s->rsh, rs);
        atomic_fetch_add(&s->reloads_ok, 1);
    } else {
        atomic_fetch_add(&s->reloads_failed, 1);
        vlog_msg(s->log, VLOG_WARN, "reload failed; still serving %s",
                 old ? old->version : "nothing (no ruleset loaded)");
        if (reply != NULL) {
            sbuf_puts(reply, "\"ok\":false,\"errors\":");
            sbuf_append(reply, errs.data ? errs.data : "[]", errs.data ? errs.len : 2);
            sbuf_puts(reply, ",\"ruleset\":");
            put_ruleset(reply, old, atomic_load(&s->load_us));
            sbuf_putc(reply, '}');
        }
    }
    sbuf_free(&errs);
    rsh_reap(s->rsh);
    pthread_mutex_unlock(&s->reload_lock);
}

static void *
hup_main(void *arg)
{
    server_t *s = arg;
    reload(s, NULL, NULL);
    atomic_store(&s->hup_busy, false);
    return NULL;
}

/* ---- replies to admin ops ------------------------------------------- */

static void
write_version(server_t *s, sbuf_t *b, const char *id, const ruleset_t *rs)
{
    open_reply(b, id);
    sbuf_printf(b, "\"vetd\":\"%s\",\"protocol\":%d,\"zmq\":\"%d.%d.%d\",\"ruleset\":",
                VETD_VERSION, VETD_PROTOCOL, ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR,
                ZMQ_VERSION_PATCH);
    put_ruleset(b, rs, atomic_load(&s->load_us));
    sbuf_putc(b, '}');
}

static void
write_stats(server_t *s, sbuf_t *b, const char *id, const ruleset_t *rs)
{
    char started[32];
    iso_time(s->started_at, started, sizeof started);
    open_reply(b, id);
    sbuf_printf(b, "\"uptime_s\":%.1f,\"started_at\":\"%s\",\"workers\":%zu,",
                (double)(mclock_us() - s->started_us) / 1e6, started, s->n_workers);
    stats_write_json(s->stats, b, rs ? (const char *const *)rs->verdicts.names : NULL,
                     rs ? rs->verdicts.n : 0);
    sbuf_printf(b, ",\"reloads\":{\"ok\":%" PRIu64 ",\"failed\":%" PRIu64 "},\"ruleset\":",
                atomic_load(&s->reloads_ok), atomic_load(&s->reloads_failed));
    put_ruleset(b, rs, atomic_load(&s->load_us));
    sbuf_puts(b, ",\"audit\":");
    if (s->audit != NULL) {
        sbuf_puts(b, "{\"path\":");
        sbuf_json_cstr(b, s->cfg->audit_path);
        sbuf_printf(b, ",\"written\":%" PRIu64 "}", audit_written(s->audit));
    } else {
        sbuf_puts(b, "null");
    }
    sbuf_putc(b, '}');
}

/* ---- the audit record ----------------------------------------------- */

static void
write_audit(worker_t *w, const meta_t *meta, const request_t *req, bool parsed,
            const char *body, size_t len, const ruleset_t *rs, const result_t *res,
            req_err_t err, const char *errmsg, uint64_t latency)
{
    server_t *s = w->srv;
    sbuf_t *b = &w->rec;
    sbuf_clear(b);
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[40];
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%06ldZ", ts.tv_nsec / 1000L);
    sbuf_printf(b, "{\"ts\":\"%s\",\"peer\":", stamp);
    sbuf_json_cstr(b, meta->peer);
    sbuf_puts(b, ",\"id\":");
    sbuf_json_cstr(b, req->id);
    const char *const *mask = (const char *const *)s->cfg->audit_mask;
    if (parsed) {
        sbuf_puts(b, ",\"request\":");
        proto_write_request(b, req, mask, s->cfg->n_audit_mask);
    } else {
        /* It could not be read, so it cannot be masked field by field:
         * keep its start only when nothing is to be masked. */
        sbuf_printf(b, ",\"bytes\":%zu", len);
        if (s->cfg->n_audit_mask == 0) {
            sbuf_puts(b, ",\"raw\":");
            sbuf_json_str(b, body, len < RAW_AUDIT_MAX ? len : RAW_AUDIT_MAX);
        }
    }
    if (err != ERR_NONE) {
        sbuf_printf(b, ",\"error\":{\"code\":\"%s\",\"message\":", req_err_name(err));
        sbuf_json_cstr(b, errmsg);
        sbuf_putc(b, '}');
    } else if (res != NULL) {
        sbuf_puts(b, ",\"verdict\":");
        sbuf_json_cstr(b, rs->verdicts.names[res->verdict]);
        sbuf_printf(b, ",\"score\":%d,\"rules\":[", res->score);
        for (size_t i = 0; i < res->n_rules; i++) {
            if (i > 0)
                sbuf_putc(b, ',');
            sbuf_json_cstr(b, rs->rules[res->rules[i].rule].id);
        }
        sbuf_puts(b, "],\"partners\":[");
        for (size_t i = 0; i < res->n_matches; i++) {
            if (i > 0)
                sbuf_putc(b, ',');
            sbuf_json_cstr(b, rs->ents[res->matches[i].entity].id);
        }
        sbuf_putc(b, ']');
    }
    sbuf_puts(b, ",\"ruleset\":");
    if (rs != NULL)
        sbuf_printf(b, "\"%s\"", rs->digest);
    else
        sbuf_puts(b, "null");
    sbuf_printf(b, ",\"latency_us\":%" PRIu64 "}", latency);
    if (b->oom) {
        vlog_msg(s->log, VLOG_ERR, "audit: out of memory building a record");
        return;
    }
    if (audit_put(w->sink, b->data, b->len) != 0)
        vlog_msg(s->log, VLOG_ERR, "audit: the writer is gone; record of request %s lost",
                 req->id ? req->id : "(no id)");
}

/* ---- workers -------------------------------------------------------- */

/* Handles one request; body is the request frame. Writes the reply into
 * w->reply and the audit record to the sink. */
static void
handle(worker_t *w, const char *body, size_t len, bool framing_ok, const meta_t *meta)
{
    server_t *s = w->srv;
    arena_reset(w->arena);
    sbuf_clear(&w->reply);
    request_t req;
    request_init(&req);
    req_err_t err = ERR_NONE;
    const char *msg = NULL;
    result_t res;
    const result_t *resp = NULL;
    int op = -1;
    bool parsed = false;
    const ruleset_t *rs = rsh_acquire(s->rsh, w->idx);

    if (!framing_ok) {
        err = ERR_BAD_REQUEST;
        msg = "a request is one JSON frame after an empty delimiter frame";
    } else if (proto_parse(body, len, (size_t)s->cfg->max_request, w->arena, &req, &err,
                           &msg) == 0) {
        parsed = true;
        op = (int)req.op;
        switch (req.op) {
        case REQ_OP_SCREEN:
            if (rs == NULL) {
                err = ERR_UNAVAILABLE;
                msg = "no ruleset is loaded; fix the ruleset and reload";
            } else if (screen_run(rs, &req, w->arena, &res) != 0) {
                err = res.err;
                msg = res.errmsg;
            } else {
                resp = &res;
                proto_write_result(&w->reply, rs, &req, &res, mclock_us() - meta->t_recv_us);
            }
            break;
        case REQ_OP_TAXONOMY:
            if (rs == NULL) {
                err = ERR_UNAVAILABLE;
                msg = "no ruleset is loaded; fix the ruleset and reload";
            } else {
                proto_write_taxonomy(&w->reply, rs, req.id);
            }
            break;
        case REQ_OP_PING:
            open_reply(&w->reply, req.id);
            sbuf_puts(&w->reply, "\"ok\":true}");
            break;
        case REQ_OP_VERSION:
            write_version(s, &w->reply, req.id, rs);
            break;
        case REQ_OP_STATS:
            write_stats(s, &w->reply, req.id, rs);
            break;
        case REQ_OP_RELOAD:
            /* Unpin first: the reload frees the old ruleset as soon as
             * nobody holds it, and this worker is done with it. */
            rsh_release(s->rsh, w->idx);
            reload(s, &w->reply, req.id);
            rs = rsh_acquire(s->rsh, w->idx);
            break;
        case REQ_OP_COUNT:
            break;
        }
    }
    if (err != ERR_NONE) {
        sbuf_clear(&w->reply);
        proto_write_error(&w->reply, req.id, err, msg);
    }
    if (w->reply.oom) {
        sbuf_clear(&w->reply);
        w->reply.oom = false;
        err = ERR_INTERNAL;
        msg = "out of memory writing the reply";
        proto_write_error(&w->reply, req.id, err, msg);
    }
    uint64_t latency = mclock_us() - meta->t_recv_us;
    stats_record(s->stats, w->idx, op, resp ? resp->verdict : -1, err, latency);
    if (w->sink != NULL)
        write_audit(w, meta, &req, parsed, body, len, rs, resp, err, msg, latency);
    rsh_release(s->rsh, w->idx);
}

static void *
worker_main(void *arg)
{
    worker_t *w = arg;
    server_t *s = w->srv;
    zmq_msg_t frames[MAX_FRAMES + 2];
    for (;;) {
        /* Read one whole message; frames past MAX_FRAMES are dropped
         * (such a message is malformed: it gets an error reply). */
        size_t n = 0;
        bool overflow = false;
        meta_t spill;
        memset(&spill, 0, sizeof spill);
        int more = 1;
        while (more) {
            zmq_msg_t *m = &frames[n < MAX_FRAMES + 1 ? n : MAX_FRAMES + 1];
            zmq_msg_init(m);
            if (zmq_msg_recv(m, w->sock, 0) < 0) {
                zmq_msg_close(m);
                if (errno == EINTR)
                    continue;
                vlog_msg(s->log, VLOG_ERR, "worker %zu: recv: %s", w->idx,
                         zmq_strerror(errno));
                for (size_t i = 0; i < n && i <= MAX_FRAMES; i++)
                    zmq_msg_close(&frames[i]);
                goto out;
            }
            more = zmq_msg_more(m);
            if (n < MAX_FRAMES + 1) {
                n++;
            } else {
                /* Keep only the meta frame (always last) of the rest. */
                overflow = true;
                if (!more && zmq_msg_size(m) == sizeof spill)
                    memcpy(&spill, zmq_msg_data(m), sizeof spill);
                zmq_msg_close(m);
            }
        }
        if (n == 1) {
            /* A control message from main: the only one is stop. */
            zmq_msg_close(&frames[0]);
            break;
        }
        /* [envelope..., body, meta]: the envelope is everything up to
         * and including the empty delimiter (ROUTER's identity first). */
        meta_t meta;
        memset(&meta, 0, sizeof meta);
        zmq_msg_t *mf = &frames[n - 1];
        if (overflow)
            meta = spill;
        else if (zmq_msg_size(mf) == sizeof meta)
            memcpy(&meta, zmq_msg_data(mf), sizeof meta);
        size_t payload = n - 1;          /* frames before meta */
        size_t env = 1;                  /* identity */
        for (size_t i = 1; i < payload; i++) {
            if (zmq_msg_size(&frames[i]) == 0) {
                env = i + 1;
                break;
            }
        }
        bool framing_ok = !overflow && payload == env + 1;
        const char *body = "";
        size_t len = 0;
        if (payload > env) {
            body = zmq_msg_data(&frames[env]);
            len = zmq_msg_size(&frames[env]);
        }
        handle(w, body, len, framing_ok, &meta);
        for (size_t i = 0; i < env; i++) {
            if (zmq_msg_send(&frames[i], w->sock, ZMQ_SNDMORE) < 0) {
                vlog_msg(s->log, VLOG_ERR, "worker %zu: send: %s", w->idx,
                         zmq_strerror(errno));
                zmq_msg_close(&frames[i]);
            }
        }
        if (zmq_send(w->sock, w->reply.data, w->reply.len, 0) < 0)
            vlog_msg(s->log, VLOG_ERR, "worker %zu: send: %s", w->idx, zmq_strerror(errno));
        for (size_t i = env; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
out:
    if (zmq_send(w->sock, CONTROL_ACK, strlen(CONTROL_ACK), 0) < 0)
        vlog_msg(s->log, VLOG_ERR, "worker %zu: cannot acknowledge stop: %s", w->idx,
                 zmq_strerror(errno));
    audit_sink_destroy(&w->sink);
    return NULL;
}

/* ---- set-up --------------------------------------------------------- */

static int
setopt_int(void *sock, int opt, int v)
{
    return zmq_setsockopt(sock, opt, &v, sizeof v);
}

static int
cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

server_t *
server_new(const dconf_t *cfg, vlog_t *log, int *exit_code)
{
    *exit_code = 70;
    server_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cfg = cfg;
    s->log = log;
    s->started_us = mclock_us();
    s->started_at = time(NULL);
    pthread_mutex_init(&s->reload_lock, NULL);
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
    ruleset_t *rs = load_rules(s, NULL, &took);
    if (rs == NULL && cfg->require_rules) {
        *exit_code = 1;
        server_destroy(&s);
        return NULL;
    }
    if (rs != NULL) {
        vlog_msg(log, VLOG_INFO,
                 "ruleset %s loaded: version %s, digest %.16s, %zu organisations, %zu rules, "
                 "%.1f ms", cfg->rules, rs->version, rs->digest, rs->n_ents, rs->n_rules,
                 took / 1000.0);
        atomic_store(&s->load_us, took);
        rsh_swap(s->rsh, rs);
    } else {
        vlog_msg(log, VLOG_WARN, "serving without a ruleset: screen requests get "
                 "\"unavailable\" until a reload succeeds");
    }

    if (strcmp(cfg->audit_path, "-") != 0) {
        audit_cfg_t ac = {
            .path = cfg->audit_path,
            .fsync = (audit_fsync_t)audit_fsync_find(cfg->audit_fsync),
            .interval_ms = (unsigned)cfg->audit_interval_ms,
            .queue_max = (unsigned)cfg->audit_queue,
        };
        char err[256];
        s->audit = audit_new(s->zctx, &ac, log, err, sizeof err);
        if (s->audit == NULL) {
            vlog_msg(log, VLOG_ERR, "%s", err);
            *exit_code = 71;
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
     * count, not a silent drop. The send timeout bounds how long a client
     * that stopped reading its replies can hold the loop up. */
    if (setopt_int(s->front, ZMQ_SNDHWM, cfg->hwm) != 0 ||
        setopt_int(s->front, ZMQ_RCVHWM, cfg->hwm) != 0 ||
        setopt_int(s->front, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
        setopt_int(s->front, ZMQ_SNDTIMEO, 1000) != 0 ||
        setopt_int(s->front, ZMQ_LINGER, 1000) != 0 ||
        zmq_setsockopt(s->front, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        setopt_int(s->back, ZMQ_SNDHWM, cfg->max_inflight + 16) != 0 ||
        setopt_int(s->back, ZMQ_RCVHWM, cfg->max_inflight + 16) != 0 ||
        setopt_int(s->back, ZMQ_LINGER, 0) != 0) {
        vlog_msg(log, VLOG_ERR, "zmq_setsockopt: %s", zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        if (zmq_bind(s->front, cfg->endpoints[i]) != 0) {
            vlog_msg(log, VLOG_ERR, "cannot listen on %s: %s", cfg->endpoints[i],
                     zmq_strerror(errno));
            *exit_code = 71;
            server_destroy(&s);
            return NULL;
        }
        vlog_msg(log, VLOG_INFO, "listening on %s", cfg->endpoints[i]);
    }
    snprintf(s->back_ep, sizeof s->back_ep, "inproc://vetd-workers-%p", (void *)s);
    if (zmq_bind(s->back, s->back_ep) != 0) {
        vlog_msg(log, VLOG_ERR, "zmq_bind %s: %s", s->back_ep, zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }

    for (size_t i = 0; i < s->n_workers; i++) {
        worker_t *w = &s->workers[i];
        w->srv = s;
        w->idx = i;
        w->arena = arena_new(0);
        w->sock = zmq_socket(s->zctx, ZMQ_DEALER);
        if (w->arena == NULL || w->sock == NULL ||
            setopt_int(w->sock, ZMQ_SNDHWM, cfg->max_inflight + 16) != 0 ||
            setopt_int(w->sock, ZMQ_RCVHWM, cfg->max_inflight + 16) != 0 ||
            setopt_int(w->sock, ZMQ_LINGER, 0) != 0 ||
            zmq_connect(w->sock, s->back_ep) != 0 ||
            (s->audit != NULL && (w->sink = audit_sink_new(s->audit)) == NULL)) {
            vlog_msg(log, VLOG_ERR, "cannot set up worker %zu: %s", i, zmq_strerror(errno));
            server_destroy(&s);
            return NULL;
        }
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            vlog_msg(log, VLOG_ERR, "cannot start worker %zu", i);
            server_destroy(&s);
            return NULL;
        }
        w->started = true;
    }
    vlog_msg(log, VLOG_INFO, "vetd %s serving with %zu worker%s, audit %s", VETD_VERSION,
             s->n_workers, s->n_workers == 1 ? "" : "s",
             s->audit ? cfg->audit_path : "off");
    *exit_code = 0;
    return s;
}

/* ---- the main loop -------------------------------------------------- */

/* Moves one whole message from the front end to the workers, adding the
 * meta frame. Returns 1 if one was moved, 0 if none was waiting, -1 on
 * error. */
static int
forward_request(server_t *s)
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
        bool more = zmq_msg_more(&m);
        if (!more) {
            /* The routing id frame is made by ROUTER; the peer's address
             * travels with the frames the peer sent. */
            const char *peer = zmq_msg_gets(&m, "Peer-Address");
            snprintf(meta.peer, sizeof meta.peer, "%s", peer && *peer ? peer : "local");
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
    return 1;
}

/* Moves one reply from a worker to its client. Returns 1 for a reply, 2
 * for a worker's stop acknowledgement, 0 if nothing was waiting, -1 on
 * error. */
static int
forward_reply(server_t *s)
{
    zmq_msg_t m;
    bool first = true, dropping = false;
    size_t frames = 0;
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->back, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (first && (errno == EAGAIN || errno == EINTR))
                return 0;
            if (errno == EINTR)
                continue;
            vlog_msg(s->log, VLOG_ERR, "recv from workers: %s", zmq_strerror(errno));
            return -1;
        }
        first = false;
        frames++;
        bool more = zmq_msg_more(&m);
        if (frames == 1 && !more) {
            zmq_msg_close(&m);
            return 2;
        }
        if (!dropping && zmq_msg_send(&m, s->front, more ? ZMQ_SNDMORE : 0) < 0) {
            /* EHOSTUNREACH: the client left. EAGAIN: it stopped reading. */
            if (frames == 1)
                vlog_msg(s->log, VLOG_DEBUG, "reply undeliverable: %s", zmq_strerror(errno));
            stats_undeliverable(s->stats);
            dropping = true;
        }
        if (dropping)
            zmq_msg_close(&m);
        if (!more)
            return 1;
    }
}

static void
join_hup(server_t *s)
{
    if (s->hup_joinable && !atomic_load(&s->hup_busy)) {
        pthread_join(s->hup_thread, NULL);
        s->hup_joinable = false;
    }
}

int
server_run(server_t *s, server_signals_t *sig)
{
    size_t inflight = 0;
    bool draining = false;
    uint64_t drain_deadline = 0, last_request = mclock_us();
    unsigned ticks = 0;
    for (;;) {
        if (sig->stop && !draining) {
            draining = true;
            drain_deadline = mclock_us() + (uint64_t)s->cfg->drain_ms * 1000u;
            vlog_msg(s->log, VLOG_INFO, "stopping: answering %zu request%s in flight",
                     inflight, inflight == 1 ? "" : "s");
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

        bool take = inflight < (size_t)s->cfg->max_inflight && !past_deadline;
        zmq_pollitem_t items[2] = {
            { s->back, 0, ZMQ_POLLIN, 0 },
            { s->front, 0, ZMQ_POLLIN, 0 },
        };
        int rc = zmq_poll(items, take ? 2 : 1, draining ? 10 : 100);
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
        /* Replies first: they free room for more requests. Bounded
         * batches keep either direction from starving the other. */
        if (items[0].revents & ZMQ_POLLIN) {
            for (int i = 0; i < 256; i++) {
                int r = forward_reply(s);
                if (r <= 0)
                    break;
                if (r == 1 && inflight > 0)
                    inflight--;
            }
        }
        if (take && (items[1].revents & ZMQ_POLLIN)) {
            for (int i = 0; i < 256 && inflight < (size_t)s->cfg->max_inflight; i++) {
                int r = forward_request(s);
                if (r <= 0)
                    break;
                inflight++;
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
 * (round-robin, one per worker) until each has acknowledged. */
static void
stop_workers(server_t *s)
{
    size_t started = 0, acked = 0;
    for (size_t i = 0; i < s->n_workers; i++)
        started += s->workers[i].started;
    uint64_t deadline = mclock_us() + 5000000u;
    while (acked < started && mclock_us() < deadline) {
        for (size_t i = acked; i < started; i++)
            if (zmq_send(s->back, CONTROL_STOP, strlen(CONTROL_STOP), ZMQ_DONTWAIT) < 0)
                break;
        zmq_pollitem_t item = { s->back, 0, ZMQ_POLLIN, 0 };
        while (acked < started && zmq_poll(&item, 1, 100) > 0) {
            int r = forward_reply(s);
            if (r == 2)
                acked++;
            else if (r <= 0)
                break;
        }
    }
    if (acked < started)
        vlog_msg(s->log, VLOG_ERR, "%zu worker%s did not stop", started - acked,
                 started - acked == 1 ? "" : "s");
    for (size_t i = 0; i < s->n_workers; i++) {
        worker_t *w = &s->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        w->started = false;
    }
}

void
server_destroy(server_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    server_t *s = *sp;
    if (s->workers != NULL) {
        if (s->back != NULL)
            stop_workers(s);
        for (size_t i = 0; i < s->n_workers; i++) {
            worker_t *w = &s->workers[i];
            audit_sink_destroy(&w->sink);
            if (w->sock != NULL)
                zmq_close(w->sock);
            arena_destroy(&w->arena);
            sbuf_free(&w->reply);
            sbuf_free(&w->rec);
        }
    }
    if (s->hup_joinable) {
        pthread_join(s->hup_thread, NULL);
        s->hup_joinable = false;
    }
    if (s->front != NULL)
        zmq_close(s->front);
    if (s->back != NULL)
        zmq_close(s->back);
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
