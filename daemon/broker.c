/* SPDX-License-Identifier: Apache-2.0 */
/* broker.c -- vetd --broker: zmq_proxy_steerable between a ROUTER that
 * clients connect to and a DEALER that vetd workers connect to. */
#include "broker.h"

#include <errno.h>
#include <zmq.h>

/* Sets an int option, 0 or -1 (errno) as zmq_setsockopt. */
static int
broker_setopt(void *s, int opt, int value)
{
    return zmq_setsockopt(s, opt, &value, sizeof value);
}

int
broker_run(const char *const *front, size_t n_front, const char *back, int heartbeat_ms,
           vlog_t *log, server_signals_t *sig)
{
    void *ctx = zmq_ctx_new();
    if (ctx == NULL) {
        vlog_msg(log, VLOG_ERR, "zmq_ctx_new: %s", zmq_strerror(errno));
        return -1;
    }
    int rc = -1;
    void *fs = zmq_socket(ctx, ZMQ_ROUTER), *bs = zmq_socket(ctx, ZMQ_DEALER);
    /* The control socket: zmq_proxy_steerable's, so that a thread of
     * ours could pause or stop the proxy; the loop below stops it by a
     * signal, which makes the proxy return with EINTR. */
    void *ctl = zmq_socket(ctx, ZMQ_PAIR), *ctl_peer = zmq_socket(ctx, ZMQ_PAIR);
    if (fs == NULL || bs == NULL || ctl == NULL || ctl_peer == NULL) {
        vlog_msg(log, VLOG_ERR, "zmq_socket: %s", zmq_strerror(errno));
        goto out;
    }
    /* Heartbeats on the back: a worker whose process died closes its
     * connection at once; one that hangs (or whose machine vanished)
     * stops answering pings and is dropped after 3 intervals, so the
     * DEALER deals it nothing more. The front's heartbeats free what is
     * queued for clients that vanished. */
    int ivl = heartbeat_ms > 0 ? heartbeat_ms : 1000;
    if (broker_setopt(fs, ZMQ_LINGER, 0) != 0 || broker_setopt(bs, ZMQ_LINGER, 0) != 0 ||
        broker_setopt(fs, ZMQ_HEARTBEAT_IVL, ivl) != 0 ||
        broker_setopt(fs, ZMQ_HEARTBEAT_TIMEOUT, 3 * ivl) != 0 ||
        broker_setopt(bs, ZMQ_HEARTBEAT_IVL, ivl) != 0 ||
        broker_setopt(bs, ZMQ_HEARTBEAT_TTL, 3 * ivl) != 0 ||
        broker_setopt(bs, ZMQ_HEARTBEAT_TIMEOUT, 3 * ivl) != 0 ||
        broker_setopt(ctl, ZMQ_LINGER, 0) != 0 || broker_setopt(ctl_peer, ZMQ_LINGER, 0) != 0) {
        vlog_msg(log, VLOG_ERR, "zmq_setsockopt: %s", zmq_strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n_front; i++) {
        if (zmq_bind(fs, front[i]) != 0) {
            vlog_msg(log, VLOG_ERR, "cannot listen on %s: %s", front[i], zmq_strerror(errno));
            goto out;
        }
        vlog_msg(log, VLOG_INFO, "broker: clients on %s", front[i]);
    }
    if (zmq_bind(bs, back) != 0) {
        vlog_msg(log, VLOG_ERR, "cannot listen on %s: %s", back, zmq_strerror(errno));
        goto out;
    }
    vlog_msg(log, VLOG_INFO, "broker: workers on %s (heartbeat %d ms)", back, ivl);
    if (zmq_bind(ctl, "inproc://vetd-broker-control") != 0 ||
        zmq_connect(ctl_peer, "inproc://vetd-broker-control") != 0) {
        vlog_msg(log, VLOG_ERR, "broker control: %s", zmq_strerror(errno));
        goto out;
    }
    rc = 0;
    while (!sig->stop) {
        /* Returns only on an error; a signal is EINTR. SIGHUP and
         * SIGUSR1 mean nothing to a broker: it holds no ruleset and no
         * log file. */
        if (zmq_proxy_steerable(fs, bs, NULL, ctl) != 0 && errno != EINTR) {
            vlog_msg(log, VLOG_ERR, "broker: %s", zmq_strerror(errno));
            rc = -1;
            break;
        }
        sig->reload = 0;
        sig->reopen = 0;
    }
    if (rc == 0)
        vlog_msg(log, VLOG_INFO, "broker: stopped");
out:
    if (fs != NULL)
        zmq_close(fs);
    if (bs != NULL)
        zmq_close(bs);
    if (ctl != NULL)
        zmq_close(ctl);
    if (ctl_peer != NULL)
        zmq_close(ctl_peer);
    while (zmq_ctx_term(ctx) != 0 && errno == EINTR)
        ;
    return rc;
}
