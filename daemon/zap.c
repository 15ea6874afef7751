/* SPDX-License-Identifier: Apache-2.0 */
/* zap.c -- the ZAP handler thread (ZeroMQ RFC 27, ZAP 1.0): a REP socket
 * on inproc://zeromq.zap.01 that libzmq asks about every client of a
 * CURVE socket completing its handshake. */
#include "zap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <zmq.h>

#include "mclock.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01" /* fixed by RFC 27 */
#define ZAP_FRAMES 7                          /* version .. credentials (CURVE: one) */
#define POLL_MS 100                           /* how often the thread looks at its stop flag */
#define REFUSE_LOG_US 10000000u               /* at most one refusal line per 10 s */

struct zap {
    vlog_t *log;              /* borrowed */
    void *sock;               /* REP; the thread's once started */
    pthread_t thread;         /* runs zap_main */
    bool started;             /* thread runs (zap_destroy joins it) */
    atomic_bool stop;         /* zap_destroy asks the thread to end */
    pthread_mutex_t lock;     /* guards clients and admins */
    keys_t *clients;          /* owned; screen-only keys */
    keys_t *admins;           /* owned; admin keys */
    _Atomic uint64_t refused; /* connections refused */
    _Atomic uint64_t allowed; /* connections allowed */
    uint64_t logged_refused;  /* refused at the last log line (thread only) */
    uint64_t logged_us;       /* monotonic µs of that line (thread only) */
};

/* What the handler decided for one request. */
typedef struct verdict {
    bool ok;                  /* allowed */
    bool admin;               /* allowed with the admin role */
    char name[KEYS_NAME_MAX]; /* ok: the key's name (the User-Id) */
    char why[128];            /* !ok: why not, for the log */
} verdict_t;

/* ZMTP 3.0 metadata holding one property: name length (1 byte), name,
 * value length (4 bytes, network order), value. Returns its length. */
static size_t
put_property(unsigned char *p, const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value);
    p[0] = (unsigned char)n;
    memcpy(p + 1, name, n);
    uint32_t be = htonl((uint32_t)v);
    memcpy(p + 1 + n, &be, 4);
    memcpy(p + 5 + n, value, v);
    return 5 + n + v;
}

/* Logs refusals at most once per REFUSE_LOG_US: the first at once,
 * those in between counted in the next line, so a client knocking in a
 * loop cannot fill the log. */
static void
log_refusal(zap_t *z, const char *why, const char *addr)
{
    uint64_t now = mclock_us(), total = atomic_load(&z->refused);
    if (z->logged_us != 0 && now - z->logged_us < REFUSE_LOG_US)
        return;
    vlog_msg(z->log, VLOG_WARN,
             "refused a connection from %s: %s (%" PRIu64 " refused since the last such line, "
             "%" PRIu64 " in all)",
             addr[0] ? addr : "a local client", why, total - z->logged_refused, total);
    z->logged_refused = total;
    z->logged_us = now;
}

/* Decides request f[0..n): a ZAP 1.0 request from a CURVE client whose
 * key is on an allow-list. */
static void
decide(zap_t *z, zmq_msg_t *f, size_t n, verdict_t *v)
{
    memset(v, 0, sizeof *v);
    if (n < 6 || zmq_msg_size(&f[0]) != 3 || memcmp(zmq_msg_data(&f[0]), "1.0", 3) != 0) {
        snprintf(v->why, sizeof v->why, "malformed ZAP request");
        return;
    }
    if (n != ZAP_FRAMES || zmq_msg_size(&f[5]) != 5 ||
        memcmp(zmq_msg_data(&f[5]), "CURVE", 5) != 0 || zmq_msg_size(&f[6]) != 32) {
        snprintf(v->why, sizeof v->why, "not a CURVE client");
        return;
    }
    const unsigned char *key = zmq_msg_data(&f[6]);
    pthread_mutex_lock(&z->lock);
    const char *name = keys_find(z->admins, key);
    v->admin = name != NULL;
    if (name == NULL)
        name = keys_find(z->clients, key);
    if (name != NULL) {
        v->ok = true;
        snprintf(v->name, sizeof v->name, "%s", name);
    }
    pthread_mutex_unlock(&z->lock);
    if (!v->ok) {
        char z85[KEYS_Z85_LEN + 1];
        zmq_z85_encode(z85, key, 32);
        snprintf(v->why, sizeof v->why, "key %s is not allowed", z85);
    }
}

/* Sends the reply to request f (f[1] is its request id): 200 with the
 * name as User-Id and the role as metadata, or 400, after which libzmq
 * closes the connection without a word to the client. */
static void
reply(zap_t *z, zmq_msg_t *f, size_t n, const verdict_t *v)
{
    unsigned char meta[64];
    size_t mlen = 0;
    if (v->ok)
        mlen = put_property(meta, ZAP_ROLE, v->admin ? ZAP_ROLE_ADMIN : ZAP_ROLE_SCREEN);
    const char *code = v->ok ? "200" : "400", *text = v->ok ? "OK" : "Not allowed";
    void *s = z->sock;
    bool sent =
        zmq_send(s, "1.0", 3, ZMQ_SNDMORE) == 3 &&
        (n > 1 ? zmq_msg_send(&f[1], s, ZMQ_SNDMORE) >= 0 : zmq_send(s, "", 0, ZMQ_SNDMORE) == 0) &&
        zmq_send(s, code, 3, ZMQ_SNDMORE) == 3 &&
        zmq_send(s, text, strlen(text), ZMQ_SNDMORE) >= 0 &&
        zmq_send(s, v->name, strlen(v->name), ZMQ_SNDMORE) >= 0 && zmq_send(s, meta, mlen, 0) >= 0;
    if (!sent)
        vlog_msg(z->log, VLOG_ERR, "ZAP: cannot reply: %s", zmq_strerror(errno));
}

static void *
zap_main(void *arg)
{
    zap_t *z = arg;
    prctl(PR_SET_NAME, "vetd-zap", 0, 0, 0);
    zmq_msg_t f[ZAP_FRAMES + 1];
    while (!atomic_load(&z->stop)) {
        zmq_pollitem_t item = {z->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, POLL_MS);
        if (rc < 0 && errno != EINTR) {
            vlog_msg(z->log, VLOG_ERR, "ZAP: poll: %s", zmq_strerror(errno));
            break;
        }
        if (rc <= 0)
            continue;
        /* One request; frames past ZAP_FRAMES are read and dropped (the
         * request is then not one of a CURVE client: refused). */
        size_t n = 0;
        bool more = true, failed = false;
        while (more) {
            zmq_msg_t extra, *m = n < ZAP_FRAMES + 1 ? &f[n] : &extra;
            zmq_msg_init(m);
            if (zmq_msg_recv(m, z->sock, 0) < 0) {
                zmq_msg_close(m);
                if (errno == EINTR)
                    continue;
                failed = true;
                break;
            }
            more = zmq_msg_more(m);
            if (m == &extra)
                zmq_msg_close(m);
            else
                n++;
        }
        if (!failed) {
            verdict_t v;
            decide(z, f, n, &v);
            if (v.ok) {
                atomic_fetch_add(&z->allowed, 1);
                vlog_msg(z->log, VLOG_DEBUG, "allowed %s key \"%s\"",
                         v.admin ? "admin" : "screening", v.name);
            } else {
                char addr[64] = "";
                if (n > 3)
                    snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&f[3]),
                             (const char *)zmq_msg_data(&f[3]));
                atomic_fetch_add(&z->refused, 1);
                log_refusal(z, v.why, addr);
            }
            reply(z, f, n, &v);
        }
        for (size_t i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        if (failed) {
            vlog_msg(z->log, VLOG_ERR, "ZAP: recv: %s", zmq_strerror(errno));
            break;
        }
    }
    return NULL;
}

zap_t *
zap_new(void *zctx, vlog_t *log, keys_t *clients, keys_t *admins, char *err, size_t errlen)
{
    zap_t *z = calloc(1, sizeof *z);
    if (z == NULL) {
        snprintf(err, errlen, "out of memory starting the ZAP handler");
        keys_destroy(&clients);
        keys_destroy(&admins);
        return NULL;
    }
    z->log = log;
    z->clients = clients;
    z->admins = admins;
    pthread_mutex_init(&z->lock, NULL);
    int linger = 0;
    z->sock = zmq_socket(zctx, ZMQ_REP);
    if (z->sock == NULL || zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(z->sock, ZAP_ENDPOINT) != 0) {
        snprintf(err, errlen, "cannot start the ZAP handler: %s", zmq_strerror(errno));
        zap_destroy(&z);
        return NULL;
    }
    if (pthread_create(&z->thread, NULL, zap_main, z) != 0) {
        snprintf(err, errlen, "cannot start the ZAP handler thread");
        zap_destroy(&z);
        return NULL;
    }
    z->started = true;
    return z;
}

void
zap_set_keys(zap_t *z, keys_t *clients, keys_t *admins)
{
    pthread_mutex_lock(&z->lock);
    keys_t *old_c = z->clients, *old_a = z->admins;
    z->clients = clients;
    z->admins = admins;
    pthread_mutex_unlock(&z->lock);
    keys_destroy(&old_c);
    keys_destroy(&old_a);
}

uint64_t
zap_refused(const zap_t *z)
{
    return z != NULL ? atomic_load(&((zap_t *)z)->refused) : 0;
}

uint64_t
zap_allowed(const zap_t *z)
{
    return z != NULL ? atomic_load(&((zap_t *)z)->allowed) : 0;
}

void
zap_destroy(zap_t **zp)
{
    if (zp == NULL || *zp == NULL)
        return;
    zap_t *z = *zp;
    if (z->started) {
        atomic_store(&z->stop, true);
        pthread_join(z->thread, NULL);
    }
    if (z->sock != NULL)
        zmq_close(z->sock);
    keys_destroy(&z->clients);
    keys_destroy(&z->admins);
    pthread_mutex_destroy(&z->lock);
    free(z);
    *zp = NULL;
}
