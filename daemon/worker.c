/* SPDX-License-Identifier: Apache-2.0 */
/* worker.c -- a worker thread: one request at a time from the server's
 * DEALER, [envelope..., body, meta] in; parse, screen (or an admin op,
 * admin.c), [envelope..., reply, cost] out; then the audit record. */
#include "worker.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "admin.h"
#include "arena.h"
#include "audit.h"
#include "mclock.h"
#include "proto.h"
#include "rsh.h"
#include "sbuf.h"
#include "screen.h"
#include "server_int.h"
#include "stats.h"

#define OOM_MESSAGE "out of memory writing the reply"
#define OOM_REPLY "{\"error\":{\"code\":\"internal\",\"message\":\"" OOM_MESSAGE "\"}}"
#define AUDIT_REFUSED                                                                              \
    "the audit log cannot be written; screening is refused until it can "                          \
    "(audit.on_failure = refuse)"
#define NO_RULESET "no ruleset is loaded; fix the ruleset and reload"
#define RELOAD_BUSY "a reload is already running; try again later"
#define AUDIT_FULL_WAIT_US 2000000u /* how long a worker waits for room in its audit queue */
#define AUDIT_WARN_US 10000000u     /* at most one audit-failure warning per 10 s */

struct worker {
    server_t *srv;      /* borrowed */
    size_t idx;         /* slot in rsh and stats */
    pthread_t thread;   /* runs worker_main */
    void *sock;         /* DEALER to main; used by the thread only */
    audit_sink_t *sink; /* owned, NULL without audit */
    arena_t *arena;     /* per-request memory */
    sbuf_t reply;       /* reply being built */
    sbuf_t rec;         /* audit record being built */
};

/* ---- the audit record ----------------------------------------------- */

/* Logs that records are being lost or refused, at most once per
 * AUDIT_WARN_US whichever worker sees it. */
static void
audit_warn(server_t *s)
{
    uint64_t now = mclock_us(), last = atomic_load(&s->audit_warned_us);
    if (now - last < AUDIT_WARN_US && last != 0)
        return;
    if (!atomic_compare_exchange_strong(&s->audit_warned_us, &last, now))
        return;
    vlog_msg(s->log, VLOG_ERR,
             "audit: %s cannot be written: %" PRIu64 " screen%s refused, %" PRIu64
             " request%s answered without a record so far (audit.on_failure = %s)",
             s->cfg->audit_path, atomic_load(&s->audit_refused),
             atomic_load(&s->audit_refused) == 1 ? "" : "s", atomic_load(&s->unaudited),
             atomic_load(&s->unaudited) == 1 ? "" : "s", s->cfg->audit_on_failure);
}

/* Writes the record's line (masked as audit.mask says) and queues it.
 * Returns what audit_put did (AUDIT_FAILING also when the line could not
 * be built). */
static audit_put_result_t
keep_record(worker_t *w, const audit_record_t *r)
{
    server_t *s = w->srv;
    sbuf_t *b = &w->rec;
    sbuf_clear(b);
    audit_format(b, r, (const char *const *)s->cfg->audit_mask, s->cfg->n_audit_mask);
    if (b->oom) {
        sbuf_clear(b);
        b->oom = false;
        vlog_msg(s->log, VLOG_ERR, "audit: out of memory building a record");
        return AUDIT_FAILING;
    }
    /* A full queue on a healthy disk is load, not failure: wait for the
     * writer a little (backpressure), as long as it keeps writing. */
    audit_put_result_t res = audit_put(w->sink, b->data, b->len);
    uint64_t until = 0;
    while (res == AUDIT_FULL && audit_healthy(s->audit)) {
        uint64_t now = mclock_us();
        if (until == 0)
            until = now + AUDIT_FULL_WAIT_US;
        else if (now >= until)
            break;
        usleep(200);
        res = audit_put(w->sink, b->data, b->len);
    }
    return res;
}

/* ---- one request ---------------------------------------------------- */

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
    bool parsed = false, audit_refused = false;
    const ruleset_t *rs = rsh_acquire(s->rsh, w->idx);

    if (!framing_ok) {
        err = ERR_BAD_REQUEST;
        msg = "a request is one JSON frame after an empty delimiter frame";
    } else if (proto_parse(body, len, (size_t)s->cfg->max_request, w->arena, &req, &err, &msg) ==
               0) {
        parsed = true;
        op = (int)req.op;
        switch (req.op) {
        case REQ_OP_SCREEN:
            req.default_profile = s->cfg->profile; /* checked at every load */
            if (rs == NULL) {
                err = ERR_UNAVAILABLE;
                msg = NO_RULESET;
            } else if (s->audit_refuse && s->audit != NULL && !audit_healthy(s->audit)) {
                err = ERR_UNAVAILABLE;
                msg = AUDIT_REFUSED;
                audit_refused = true;
            } else if (screen_run(rs, &req, w->arena, &res) != 0) {
                err = res.err;
                msg = res.errmsg;
            } else {
                resp = &res;
                proto_write_result(&w->reply, rs, &req, &res, mclock_us() - meta->t_recv_us);
            }
            break;
        case REQ_OP_TAXONOMY:
        case REQ_OP_PROFILES:
            if (rs == NULL) {
                err = ERR_UNAVAILABLE;
                msg = NO_RULESET;
            } else if (req.op == REQ_OP_TAXONOMY) {
                proto_write_taxonomy(&w->reply, rs, req.id);
            } else {
                proto_write_profiles(&w->reply, rs, req.id, s->cfg->profile);
            }
            break;
        case REQ_OP_STATS:
        case REQ_OP_RELOAD:
        case REQ_OP_REVIEW:
            /* What changes every verdict or reveals the daemon's state
             * is for admins only (docs/SECURITY.md, roles); reading the
             * review register is not an edit. */
            if (!meta->admin && (req.op != REQ_OP_REVIEW || strcmp(req.action, "list") != 0)) {
                err = ERR_FORBIDDEN;
                msg = s->zap != NULL ? "this op needs an admin key (curve.admins)"
                                     : "this op is allowed only from this machine (ipc or "
                                       "loopback TCP; admin_anywhere)";
                break;
            }
            if (req.op != REQ_OP_RELOAD) {
                admin_answer(s, w->idx, &req, &rs, &w->reply);
                break;
            }
            /* One reload at a time: one asked for while another runs is
             * answered busy at once rather than queued, so a flood of
             * them holds one worker, not all (docs/SECURITY.md). The
             * lock is recursive: admin_reload takes it again. */
            if (pthread_mutex_trylock(&s->reload_lock) != 0) {
                err = ERR_BUSY;
                msg = RELOAD_BUSY;
                break;
            }
            admin_answer(s, w->idx, &req, &rs, &w->reply);
            pthread_mutex_unlock(&s->reload_lock);
            break;
        case REQ_OP_PING:
        case REQ_OP_VERSION: admin_answer(s, w->idx, &req, &rs, &w->reply); break;
        case REQ_OP_COUNT: break;
        }
    }
    if (err != ERR_NONE) {
        sbuf_clear(&w->reply);
        proto_write_error(&w->reply, req.id, err, msg);
    }
    if (w->reply.oom) {
        /* No verdict reaches the client, so none is counted or audited. */
        sbuf_clear(&w->reply);
        w->reply.oom = false;
        resp = NULL;
        err = ERR_INTERNAL;
        msg = OOM_MESSAGE;
        proto_write_error(&w->reply, req.id, err, msg);
    }
    uint64_t latency = mclock_us() - meta->t_recv_us;
    audit_put_result_t ar = AUDIT_OK;
    if (w->sink != NULL) {
        audit_record_t rec = {
            .peer = meta->peer,
            .req = &req,
            .parsed = parsed,
            .raw = body,
            .raw_len = len,
            .rs = rs,
            .res = resp,
            .err = err,
            .errmsg = msg,
            .reply = parsed && req.op == REQ_OP_REVIEW && err == ERR_NONE &&
                             strcmp(req.action, "list") != 0
                         ? w->reply.data
                         : NULL,
            .latency_us = latency,
        };
        clock_gettime(CLOCK_REALTIME, &rec.at);
        ar = keep_record(w, &rec);
    }
    if (audit_refused) {
        atomic_fetch_add(&s->audit_refused, 1);
        audit_warn(s);
    } else if (ar != AUDIT_OK) {
        /* No record of it: a verdict is not given without one (refuse),
         * or given and counted as unaudited (answer). */
        if (s->audit_refuse && resp != NULL) {
            atomic_fetch_add(&s->audit_refused, 1);
            resp = NULL;
            err = ERR_UNAVAILABLE;
            msg = AUDIT_REFUSED;
            sbuf_clear(&w->reply);
            proto_write_error(&w->reply, req.id, err, msg);
        } else {
            atomic_fetch_add(&s->unaudited, 1);
        }
        audit_warn(s);
    }
    stats_record(s->stats, w->idx, op, resp ? resp->verdict : -1, err, latency);
    rsh_release(s->rsh, w->idx);
}

/* ---- the thread ----------------------------------------------------- */

static void *
worker_main(void *arg)
{
    worker_t *w = arg;
    server_t *s = w->srv;
    prctl(PR_SET_NAME, "vetd-worker", 0, 0, 0);
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
                vlog_msg(s->log, VLOG_ERR, "worker %zu: recv: %s", w->idx, zmq_strerror(errno));
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
        size_t payload = n - 1; /* frames before meta */
        size_t env = 1;         /* identity */
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
                vlog_msg(s->log, VLOG_ERR, "worker %zu: send: %s", w->idx, zmq_strerror(errno));
                zmq_msg_close(&frames[i]);
            }
        }
        /* The reply, then what main counted for it, so that main can
         * give that much of its window back. */
        /* A buffer that could not even hold the error (never grown: out
         * of memory from the first request) still sends an error, never
         * an empty frame. */
        const char *out = w->reply.data;
        size_t olen = w->reply.len;
        if (w->reply.oom || out == NULL) {
            out = OOM_REPLY;
            olen = sizeof OOM_REPLY - 1;
        }
        if (zmq_send(w->sock, out, olen, ZMQ_SNDMORE) < 0 ||
            zmq_send(w->sock, &meta.cost, sizeof meta.cost, 0) < 0)
            vlog_msg(s->log, VLOG_ERR, "worker %zu: send: %s", w->idx, zmq_strerror(errno));
        for (size_t i = env; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
out:
    if (zmq_send(w->sock, CONTROL_ACK, strlen(CONTROL_ACK), 0) < 0)
        vlog_msg(s->log, VLOG_ERR, "worker %zu: cannot acknowledge stop: %s", w->idx,
                 zmq_strerror(errno));
    /* The sink belongs to the thread that uses it (audit.h). */
    audit_sink_destroy(&w->sink);
    return NULL;
}

/* ---- set-up --------------------------------------------------------- */

/* Frees what worker_new set up; the thread is not running. */
static void
release(worker_t *w)
{
    audit_sink_destroy(&w->sink);
    if (w->sock != NULL)
        zmq_close(w->sock);
    arena_destroy(&w->arena);
    sbuf_free(&w->reply);
    sbuf_free(&w->rec);
    free(w);
}

worker_t *
worker_new(server_t *s, size_t idx)
{
    const dconf_t *cfg = s->cfg;
    worker_t *w = calloc(1, sizeof *w);
    if (w == NULL) {
        vlog_msg(s->log, VLOG_ERR, "cannot set up worker %zu: %s", idx, zmq_strerror(ENOMEM));
        return NULL;
    }
    w->srv = s;
    w->idx = idx;
    w->arena = arena_new(0);
    w->sock = zmq_socket(s->zctx, ZMQ_DEALER);
    if (w->arena == NULL || w->sock == NULL ||
        server_setopt_int(w->sock, ZMQ_SNDHWM, cfg->max_inflight + 16) != 0 ||
        server_setopt_int(w->sock, ZMQ_RCVHWM, cfg->max_inflight + 16) != 0 ||
        server_setopt_int(w->sock, ZMQ_LINGER, 0) != 0 || zmq_connect(w->sock, s->back_ep) != 0 ||
        (s->audit != NULL && (w->sink = audit_sink_new(s->audit)) == NULL)) {
        vlog_msg(s->log, VLOG_ERR, "cannot set up worker %zu: %s", idx, zmq_strerror(errno));
        release(w);
        return NULL;
    }
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        vlog_msg(s->log, VLOG_ERR, "cannot start worker %zu", idx);
        release(w);
        return NULL;
    }
    return w;
}

void
worker_destroy(worker_t **wp)
{
    if (wp == NULL || *wp == NULL)
        return;
    pthread_join((*wp)->thread, NULL);
    release(*wp);
    *wp = NULL;
}
