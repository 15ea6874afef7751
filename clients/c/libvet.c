/* SPDX-License-Identifier: Apache-2.0 */
/* libvet.c -- the C client of vetd: request/reply under a deadline with
 * Lazy Pirate retries, and pipelined submit/receive, over ZeroMQ DEALER. */
#include "vet.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>
#include <zmq.h>
#include "mclock.h"

/* vet_call has one request in flight: small queues are plenty. */
#define CALL_HWM 16
/* Requests vet_submit may queue unsent before it waits. */
#define PIPE_SNDHWM 10000

struct vet_client {
    void *ctx;      /* ZeroMQ context; terminated here if own_ctx */
    bool own_ctx;   /* the client created ctx */
    char *endpoint; /* vetd's endpoint; owned */
    void *call;     /* DEALER of vet_call; NULL until needed, and
                               after an attempt that failed */
    void *pipe;     /* DEALER of submit/receive; NULL until needed */
    size_t pending; /* submitted requests not yet answered */
    int retries;    /* extra attempts of vet_call */
    char err[512];  /* last error message */
    /* CURVE (vet_client_set_curve, or VET_SERVER_KEY / VET_CLIENT_KEY) */
    bool curve;          /* every socket is a CURVE client */
    char server_pub[41]; /* the daemon's public key, Z85 */
    char client_pub[41]; /* the client's public key, Z85 */
    char client_sec[41]; /* the client's secret key, Z85 */
    char key_err[512];   /* keys from the environment that did not load:
                          * every request fails with this until set */
};

#define Z85_KEY 40 /* a CURVE key in Z85 text */

static const struct {
    int rc;
    const char *name;
} rc_names[] = {
#define X(e, v, s) {e, s},
    VET_RCS(X)
#undef X
};

const char *
vet_strerror(int rc)
{
    for (size_t i = 0; i < sizeof rc_names / sizeof rc_names[0]; i++)
        if (rc_names[i].rc == rc)
            return rc_names[i].name;
    return "unknown";
}

static void client_err(vet_client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
client_err(vet_client_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
}

/* Closes *sp (linger 0: whatever it held is dropped) and nulls it. */
static void
close_socket(void **sp)
{
    if (*sp != NULL) {
        int rc = zmq_close(*sp);
        assert(rc == 0); /* fails only for what is not a socket: our bug */
        (void)rc;
        *sp = NULL;
    }
}

/* Connects s to each endpoint of the comma-separated list (empty items
 * and the blanks around one are skipped). With several, one DEALER
 * spreads requests over the daemons that are connected (round robin;
 * ZMQ_IMMEDIATE keeps a dead one out), and ZeroMQ heartbeats drop a
 * daemon that hangs with its connection open, so a retry on a fresh
 * socket goes to one that answers. Returns 0, or -1 with errno (EINVAL
 * for a list with no endpoint). */
static int
connect_all(void *s, const char *list)
{
    if (strchr(list, ',') != NULL) {
        int ivl = 1000, ttl = 3000, timeout = 3000;
        if (zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl) != 0 ||
            zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl) != 0 ||
            zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout) != 0)
            return -1;
    }
    int connected = 0;
    for (const char *p = list; *p != '\0';) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 0)
            continue;
        char ep[1024];
        if (n >= sizeof ep) {
            errno = EINVAL;
            return -1;
        }
        memcpy(ep, p, n);
        ep[n] = '\0';
        if (zmq_connect(s, ep) != 0)
            return -1;
        connected++;
        p += n;
    }
    if (connected == 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* A DEALER connected to the endpoint(s). NULL with errno on failure.
 * ZMQ_IMMEDIATE keeps requests from being queued for a daemon that is
 * not connected, so an absent daemon shows as "cannot send" (a timeout)
 * and a retry goes over a fresh connection. */
static void *
client_socket(vet_client_t *c, bool pipelined)
{
    void *s = zmq_socket(c->ctx, ZMQ_DEALER);
    if (s == NULL)
        return NULL;
    int linger = 0, immediate = 1;
    int sndhwm = pipelined ? PIPE_SNDHWM : CALL_HWM;
    /* Unlimited receive queue for the pipeline: vetd's ROUTER drops
     * replies to a peer whose queue is full, and a reply dropped is a
     * request lost. What it holds is bounded by what was submitted. */
    int rcvhwm = pipelined ? 0 : CALL_HWM;
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s, ZMQ_IMMEDIATE, &immediate, sizeof immediate) != 0 ||
        zmq_setsockopt(s, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm) != 0 ||
        (c->curve && (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, c->server_pub, Z85_KEY + 1) != 0 ||
                      zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, c->client_pub, Z85_KEY + 1) != 0 ||
                      zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, c->client_sec, Z85_KEY + 1) != 0)) ||
        connect_all(s, c->endpoint) != 0) {
        int e = errno;
        close_socket(&s);
        errno = e;
        return NULL;
    }
    return s;
}

/* ---- CURVE keys -------------------------------------------------------- */

/* The value of "    NAME = \"VALUE\"" in section `section` of the
 * czmq zcert (ZPL) file at path, 40 Z85 characters, into out (41 bytes).
 * Returns 1 if found, 0 if the file has none, -1 if it cannot be read
 * (why in err). The daemon's keys.c reads the same format; libvet keeps
 * its own few lines so that it depends on ZeroMQ only. */
static int
zcert_get(const char *path, const char *section, const char *name, char *out, char *err,
          size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024], cur[32] = "";
    int found = 0;
    size_t nlen = strlen(name);
    while (!found && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        if (p == line) {
            snprintf(cur, sizeof cur, "%.*s", (int)strcspn(p, " #"), p);
            continue;
        }
        if (strcmp(cur, section) != 0 || strncmp(p, name, nlen) != 0 ||
            (p[nlen] != ' ' && p[nlen] != '='))
            continue;
        char *q = strchr(p, '"');
        char *end = q != NULL ? strchr(q + 1, '"') : NULL;
        if (end == NULL || end - q - 1 != Z85_KEY) {
            snprintf(err, errlen, "%s: %s is not a quoted key of %d Z85 characters", path, name,
                     Z85_KEY);
            fclose(f);
            return -1;
        }
        memcpy(out, q + 1, Z85_KEY);
        out[Z85_KEY] = '\0';
        found = 1;
    }
    fclose(f);
    return found;
}

/* Whether s is a key itself (40 Z85 characters that decode) rather
 * than a file name. */
static bool
z85_key(const char *s)
{
    uint8_t bin[32];
    return strlen(s) == Z85_KEY && zmq_z85_decode(bin, s) != NULL;
}

/* Reads the daemon's public key (server_key: Z85 text, or a certificate
 * file) and the client's key pair (client_key: a Z85 secret key, or a
 * secret certificate file) into c. Returns 0, or -1 with why in err. */
static int
load_keys(vet_client_t *c, const char *server_key, const char *client_key, char *err, size_t errlen)
{
    char spub[41], cpub[41], csec[41];
    if (z85_key(server_key)) {
        snprintf(spub, sizeof spub, "%s", server_key);
    } else {
        int r = zcert_get(server_key, "curve", "public-key", spub, err, errlen);
        if (r == 0)
            snprintf(err, errlen, "%s: no curve public-key: not a certificate", server_key);
        if (r != 1)
            return -1;
    }
    if (z85_key(client_key)) {
        snprintf(csec, sizeof csec, "%s", client_key);
    } else {
        int r = zcert_get(client_key, "curve", "secret-key", csec, err, errlen);
        if (r == 0)
            snprintf(err, errlen,
                     "%s: no curve secret-key: the client key is a secret certificate "
                     "(vetd keygen writes NAME_secret)",
                     client_key);
        if (r != 1)
            return -1;
    }
    uint8_t bin[32];
    if (zmq_z85_decode(bin, spub) == NULL || zmq_z85_decode(bin, csec) == NULL ||
        zmq_curve_public(cpub, csec) != 0) {
        snprintf(err, errlen, "a key is not valid Z85 text");
        return -1;
    }
    memcpy(c->server_pub, spub, sizeof spub);
    memcpy(c->client_pub, cpub, sizeof cpub);
    memcpy(c->client_sec, csec, sizeof csec);
    c->curve = true;
    return 0;
}

static vet_client_t *
client_new(void *zctx, bool own_ctx, const char *endpoint)
{
    /* No endpoint given: the one variable every client of vetd reads. */
    if (endpoint == NULL) {
        endpoint = getenv("VET_ENDPOINT");
        if (endpoint == NULL || *endpoint == '\0')
            endpoint = VET_DEFAULT_ENDPOINT;
    }
    vet_client_t *c = calloc(1, sizeof *c);
    if (c == NULL || (c->endpoint = strdup(endpoint)) == NULL) {
        free(c);
        errno = ENOMEM;
        return NULL;
    }
    c->ctx = zctx;
    c->own_ctx = own_ctx;
    c->retries = 1;
    /* A program that sets no keys (vet, vet batch) gets CURVE from the
     * environment. Keys named there that do not load fail every request
     * with the reason, rather than fall back to plain text. */
    const char *skey = getenv("VET_SERVER_KEY"), *ckey = getenv("VET_CLIENT_KEY");
    if ((skey != NULL && *skey) || (ckey != NULL && *ckey)) {
        char why[400];
        if (skey == NULL || *skey == '\0' || ckey == NULL || *ckey == '\0')
            snprintf(c->key_err, sizeof c->key_err,
                     "VET_SERVER_KEY and VET_CLIENT_KEY go together: both are needed for CURVE");
        else if (load_keys(c, skey, ckey, why, sizeof why) != 0)
            snprintf(c->key_err, sizeof c->key_err, "VET_SERVER_KEY / VET_CLIENT_KEY: %s", why);
    }
    /* Connecting the call socket now checks the endpoint, so a typo
     * fails here rather than as a timeout later. */
    c->call = client_socket(c, false);
    if (c->call == NULL) {
        int e = errno;
        free(c->endpoint);
        free(c);
        errno = e;
        return NULL;
    }
    return c;
}

vet_client_t *
vet_client_new(const char *endpoint)
{
    void *ctx = zmq_ctx_new();
    if (ctx == NULL)
        return NULL;
    vet_client_t *c = client_new(ctx, true, endpoint);
    if (c == NULL) {
        int e = errno;
        while (zmq_ctx_term(ctx) != 0 && errno == EINTR)
            ;
        errno = e;
    }
    return c;
}

vet_client_t *
vet_client_new_ctx(void *zctx, const char *endpoint)
{
    if (zctx == NULL) {
        errno = EINVAL;
        return NULL;
    }
    return client_new(zctx, false, endpoint);
}

void
vet_client_destroy(vet_client_t **cp)
{
    if (cp == NULL || *cp == NULL)
        return;
    vet_client_t *c = *cp;
    close_socket(&c->call);
    close_socket(&c->pipe);
    if (c->own_ctx)
        while (zmq_ctx_term(c->ctx) != 0 && errno == EINTR)
            ;
    free(c->endpoint);
    free(c);
    *cp = NULL;
}

void
vet_client_set_retries(vet_client_t *c, int retries)
{
    if (c != NULL)
        c->retries = retries < 0 ? 0 : retries;
}

const char *
vet_client_endpoint(const vet_client_t *c)
{
    return c != NULL ? c->endpoint : "";
}

const char *
vet_client_error(const vet_client_t *c)
{
    return c != NULL ? c->err : "no client";
}

size_t
vet_client_pending(const vet_client_t *c)
{
    return c != NULL ? c->pending : 0;
}

void
vet_free(void *p)
{
    free(p);
}

/* Polls s for ev until deadline (mclock_ms time). Returns 1 when ready, 0
 * at the deadline, -1 on error (errno). */
static int
wait_for(void *s, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mclock_ms();
        if (left < 0)
            left = 0;
        zmq_pollitem_t it = {s, 0, ev, 0};
        int n = zmq_poll(&it, 1, (long)left);
        if (n < 0)
            return -1;
        if (n > 0 && (it.revents & ev))
            return 1;
        if (left == 0)
            return 0;
    }
}

/* Maps a failed wait or send to a return code with a message. */
static int
zmq_failure(vet_client_t *c, const char *what)
{
    if (errno == EINTR) {
        client_err(c, "%s %s: interrupted", what, c->endpoint);
        return VET_EINTR;
    }
    client_err(c, "%s %s: %s", what, c->endpoint, zmq_strerror(errno));
    return VET_EZMQ;
}

/* Sends [empty, request] on s, waiting until deadline for room. A
 * multipart message is accepted whole once its first frame is, so only
 * the first frame can find the queue full. The send is tried before any
 * poll: in a pipelined burst there is room nearly always. Returns 1
 * sent, 0 no room by the deadline, -1 error (errno). */
static int
send_request(void *s, const char *request, size_t len, int64_t deadline)
{
    for (;;) {
        if (zmq_send(s, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0)
            break;
        if (errno != EAGAIN)
            return -1;
        int r = wait_for(s, ZMQ_POLLOUT, deadline);
        if (r <= 0)
            return r;
    }
    if (zmq_send(s, request, len, ZMQ_DONTWAIT) != (int)len)
        return -1;
    return 1;
}

/* zmq_msg_close fails only on a message that is not one: our bug. */
static void
msg_close(zmq_msg_t *m)
{
    int rc = zmq_msg_close(m);
    assert(rc == 0);
    (void)rc;
}

/* recv_reply found no message waiting (internal, never returned). */
#define RECV_NONE 1

/* Receives one whole message from s without waiting and checks it is
 * [empty, json]. On VET_OK *reply is the body, NUL-terminated, caller
 * owns it; RECV_NONE if no message is there. Every frame of a message
 * is consumed whatever happens, so the socket stays in step. */
static int
recv_reply(vet_client_t *c, void *s, char **reply, size_t *reply_len)
{
    int rc = VET_OK, nparts = 0, more;
    char *body = NULL;
    size_t blen = 0;
    do {
        zmq_msg_t part;
        if (zmq_msg_init(&part) != 0) {
            free(body);
            return zmq_failure(c, "receiving from");
        }
        if (zmq_msg_recv(&part, s, ZMQ_DONTWAIT) < 0) {
            int e = errno;
            msg_close(&part);
            if (nparts == 0 && e == EAGAIN)
                return RECV_NONE;
            free(body);
            errno = e;
            return zmq_failure(c, "receiving from");
        }
        size_t n = zmq_msg_size(&part);
        if (nparts == 0 && n != 0 && rc == VET_OK) {
            client_err(c, "bad reply from %s: no empty delimiter frame", c->endpoint);
            rc = VET_EPROTO;
        } else if (nparts == 1 && rc == VET_OK) {
            body = malloc(n + 1);
            if (body == NULL) {
                client_err(c, "out of memory for a reply of %zu bytes", n);
                rc = VET_ENOMEM;
            } else {
                memcpy(body, zmq_msg_data(&part), n);
                body[n] = '\0';
                blen = n;
            }
        } else if (nparts >= 2 && rc == VET_OK) {
            client_err(c, "bad reply from %s: more than one body frame", c->endpoint);
            rc = VET_EPROTO;
        }
        nparts++;
        more = zmq_msg_more(&part);
        msg_close(&part);
    } while (more);
    if (rc == VET_OK && nparts < 2) {
        client_err(c, "bad reply from %s: no body frame", c->endpoint);
        rc = VET_EPROTO;
    }
    if (rc != VET_OK) {
        free(body);
        return rc;
    }
    *reply = body;
    if (reply_len != NULL)
        *reply_len = blen;
    return VET_OK;
}

/* Receives the next reply on s, waiting until deadline. VET_OK with
 * *reply, VET_ETIMEOUT (no message set), or another error with it. */
static int
receive_until(vet_client_t *c, void *s, int64_t deadline, char **reply, size_t *reply_len)
{
    for (;;) {
        int rc = recv_reply(c, s, reply, reply_len);
        if (rc != RECV_NONE)
            return rc;
        int r = wait_for(s, ZMQ_POLLIN, deadline);
        if (r < 0)
            return zmq_failure(c, "receiving from");
        if (r == 0)
            return VET_ETIMEOUT;
    }
}

/* Common argument checks of the senders; fills the message. */
static int
check_request(vet_client_t *c, const char *request, size_t len)
{
    if (c->key_err[0] != '\0') {
        client_err(c, "%s", c->key_err);
        return VET_EINVAL;
    }
    if (request == NULL) {
        client_err(c, "no request");
        return VET_EINVAL;
    }
    if (len > INT_MAX) {
        client_err(c, "request of %zu bytes is too large to send", len);
        return VET_EINVAL;
    }
    return VET_OK;
}

int
vet_call(vet_client_t *c, const char *request, size_t len, int timeout_ms, char **reply,
         size_t *reply_len)
{
    if (reply != NULL)
        *reply = NULL;
    if (reply_len != NULL)
        *reply_len = 0;
    if (c == NULL)
        return VET_EINVAL;
    int rc = check_request(c, request, len);
    if (rc != VET_OK)
        return rc;
    if (reply == NULL || timeout_ms <= 0) {
        client_err(c, reply == NULL ? "no place for the reply" : "timeout must be > 0 ms");
        return VET_EINVAL;
    }
    int64_t deadline = mclock_ms() + timeout_ms;
    int attempts = c->retries + 1, made = 0;
    for (int a = 0; a < attempts; a++) {
        int64_t now = mclock_ms();
        if (now >= deadline && a > 0)
            break;
        if (c->call == NULL && (c->call = client_socket(c, false)) == NULL)
            return zmq_failure(c, "cannot connect to");
        /* An even share of what is left; the last attempt gets it all. */
        int64_t until = now + (deadline - now) / (attempts - a);
        made++;
        int r = send_request(c->call, request, len, until);
        if (r < 0) {
            rc = zmq_failure(c, "sending to");
            close_socket(&c->call);
            return rc;
        }
        rc = r == 1 ? receive_until(c, c->call, until, reply, reply_len) : VET_ETIMEOUT;
        if (rc == VET_OK)
            return VET_OK;
        /* Lazy Pirate: the old socket may yet get the late answer, so
         * it goes, and a next attempt starts on a fresh one. */
        close_socket(&c->call);
        if (rc != VET_ETIMEOUT)
            return rc;
    }
    /* A CURVE daemon says nothing to a key it does not allow. */
    const char *hint = c->curve ? " (CURVE: is this client's key on the daemon's allow-list?)" : "";
    if (made > 1)
        client_err(c, "vetd not answering at %s: timed out after %d ms (%d attempts)%s",
                   c->endpoint, timeout_ms, made, hint);
    else
        client_err(c, "vetd not answering at %s: timed out after %d ms%s", c->endpoint, timeout_ms,
                   hint);
    return VET_ETIMEOUT;
}

int
vet_screen(vet_client_t *c, const char *request, int timeout_ms, char **reply)
{
    if (request == NULL) {
        if (reply != NULL)
            *reply = NULL;
        if (c != NULL)
            client_err(c, "no request");
        return VET_EINVAL;
    }
    return vet_call(c, request, strlen(request), timeout_ms, reply, NULL);
}

int
vet_submit(vet_client_t *c, const char *request, size_t len, int timeout_ms)
{
    if (c == NULL)
        return VET_EINVAL;
    int rc = check_request(c, request, len);
    if (rc != VET_OK)
        return rc;
    if (timeout_ms < 0) {
        client_err(c, "timeout must be >= 0 ms");
        return VET_EINVAL;
    }
    if (c->pipe == NULL && (c->pipe = client_socket(c, true)) == NULL)
        return zmq_failure(c, "cannot connect to");
    int r = send_request(c->pipe, request, len, mclock_ms() + timeout_ms);
    if (r < 0)
        return zmq_failure(c, "sending to");
    if (r == 0) {
        client_err(c, "vetd not answering at %s: cannot send within %d ms (%zu pending)",
                   c->endpoint, timeout_ms, c->pending);
        return VET_ETIMEOUT;
    }
    c->pending++;
    return VET_OK;
}

int
vet_receive(vet_client_t *c, int timeout_ms, char **reply, size_t *reply_len)
{
    if (reply != NULL)
        *reply = NULL;
    if (reply_len != NULL)
        *reply_len = 0;
    if (c == NULL)
        return VET_EINVAL;
    if (reply == NULL || timeout_ms < 0) {
        client_err(c, reply == NULL ? "no place for the reply" : "timeout must be >= 0 ms");
        return VET_EINVAL;
    }
    if (c->pipe == NULL || c->pending == 0) {
        client_err(c, "no request outstanding");
        return VET_EINVAL;
    }
    int rc = receive_until(c, c->pipe, mclock_ms() + timeout_ms, reply, reply_len);
    if (rc == VET_ETIMEOUT) {
        client_err(c, "vetd not answering at %s: timed out after %d ms (%zu pending)", c->endpoint,
                   timeout_ms, c->pending);
        return VET_ETIMEOUT;
    }
    /* A reply was consumed even if it was malformed. */
    if (rc == VET_OK || rc == VET_EPROTO || rc == VET_ENOMEM)
        c->pending--;
    return rc;
}

int
vet_client_reset(vet_client_t *c)
{
    if (c == NULL)
        return VET_EINVAL;
    close_socket(&c->pipe);
    close_socket(&c->call);
    c->pending = 0;
    c->call = client_socket(c, false);
    if (c->call == NULL)
        return zmq_failure(c, "cannot connect to");
    return VET_OK;
}

int
vet_client_set_curve(vet_client_t *c, const char *server_key, const char *client_key)
{
    if (c == NULL)
        return VET_EINVAL;
    if (server_key == NULL || client_key == NULL) {
        client_err(c, "CURVE needs the server's public key and the client's secret key");
        return VET_EINVAL;
    }
    char why[400];
    if (load_keys(c, server_key, client_key, why, sizeof why) != 0) {
        client_err(c, "%s", why);
        return VET_EINVAL;
    }
    c->key_err[0] = '\0';
    /* Sockets take their keys when they connect: start afresh. */
    return vet_client_reset(c);
}
