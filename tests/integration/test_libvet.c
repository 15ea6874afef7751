/* SPDX-License-Identifier: Apache-2.0 */
/* test_libvet.c -- libvet and bin/vet against small in-test servers (a
 * thread with a ROUTER on an ipc endpoint in a private directory) that
 * echo, stay silent, drop or delay the first request, or answer a fixed
 * reply. The CLI cases run $VET_BIN (default bin/vet) and fail when it
 * is not built. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "vet.h"
#include "mclock.h"

typedef enum srv_mode {
    SRV_ECHO,       /* reply with the request */
    SRV_SILENT,     /* never reply */
    SRV_DROP_FIRST, /* ignore the first request, echo the others */
    SRV_LATE_FIRST, /* reply {"n":N} (N-th request); the first late */
    SRV_CANNED,     /* reply with canned whatever the request */
    SRV_BAD_FRAMES  /* reply without the empty delimiter frame */
} srv_mode_t;

typedef struct server {
    char dir[64];        /* mkdtemp directory of the ipc socket */
    char endpoint[128];  /* ipc://dir/vetd */
    void *ctx;           /* the server's own ZeroMQ context */
    void *sock;          /* ROUTER, bound before the thread starts */
    pthread_t thread;    /* runs server_loop */
    atomic_bool stop;    /* set by the test to end the thread */
    atomic_int requests; /* requests received */
    srv_mode_t mode;     /* how to answer */
    int late_ms;         /* SRV_LATE_FIRST: delay of the first reply */
    char canned[8192];   /* SRV_CANNED reply */
    char last[8192];     /* last request body (read after the join) */
} server_t;

/* Runs in the server thread: no cmocka asserts here (they longjmp into
 * the test's thread); a failed send shows as a missing reply. */
static void
reply_to(void *sock, const void *id, size_t idlen, const char *body, size_t len, bool delim)
{
    if (zmq_send(sock, id, idlen, ZMQ_SNDMORE) < 0)
        return;
    if (delim && zmq_send(sock, "", 0, ZMQ_SNDMORE) != 0)
        return;
    if (zmq_send(sock, body, len, 0) != (int)len)
        fprintf(stderr, "test server: send: %s\n", zmq_strerror(errno));
}

static void *
server_loop(void *arg)
{
    server_t *s = arg;
    char held_id[256], body[65536];
    size_t held_len = 0;
    int64_t held_at = -1;
    while (!atomic_load(&s->stop)) {
        zmq_pollitem_t it = {s->sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&it, 1, 5);
        if (n < 0)
            break;
        if (held_at >= 0 && mclock_ms() >= held_at) {
            reply_to(s->sock, held_id, held_len, "{\"n\":1}", 7, true);
            held_at = -1;
        }
        if (n == 0)
            continue;
        char id[256];
        int idlen = zmq_recv(s->sock, id, sizeof id, 0);
        int dlen = zmq_recv(s->sock, body, sizeof body, 0);
        int blen = zmq_recv(s->sock, body, sizeof body - 1, 0);
        if (idlen < 0 || dlen != 0 || blen < 0)
            break;
        if ((size_t)blen > sizeof body - 1)
            blen = sizeof body - 1;
        body[blen] = '\0';
        size_t keep = (size_t)blen < sizeof s->last - 1 ? (size_t)blen : sizeof s->last - 1;
        memcpy(s->last, body, keep);
        s->last[keep] = '\0';
        int seq = atomic_fetch_add(&s->requests, 1) + 1;
        switch (s->mode) {
        case SRV_ECHO: reply_to(s->sock, id, (size_t)idlen, body, (size_t)blen, true); break;
        case SRV_SILENT: break;
        case SRV_DROP_FIRST:
            if (seq > 1)
                reply_to(s->sock, id, (size_t)idlen, body, (size_t)blen, true);
            break;
        case SRV_LATE_FIRST:
            if (seq == 1) {
                memcpy(held_id, id, (size_t)idlen);
                held_len = (size_t)idlen;
                held_at = mclock_ms() + s->late_ms;
            } else {
                char r[32];
                int rl = snprintf(r, sizeof r, "{\"n\":%d}", seq);
                reply_to(s->sock, id, (size_t)idlen, r, (size_t)rl, true);
            }
            break;
        case SRV_CANNED:
            reply_to(s->sock, id, (size_t)idlen, s->canned, strlen(s->canned), true);
            break;
        case SRV_BAD_FRAMES: reply_to(s->sock, id, (size_t)idlen, body, (size_t)blen, false); break;
        }
    }
    return NULL;
}

/* Starts a server in mode on a fresh ipc endpoint; canned may be NULL.
 * The server is also kept in *state, so that server_teardown stops it
 * and removes its directory when an assertion ends the test early. */
static server_t *
server_start(void **state, srv_mode_t mode, const char *canned)
{
    server_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    strcpy(s->dir, "/tmp/vet-libvet-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->endpoint, sizeof s->endpoint, "ipc://%s/vetd", s->dir);
    s->mode = mode;
    s->late_ms = 450;
    if (canned != NULL)
        snprintf(s->canned, sizeof s->canned, "%s", canned);
    atomic_init(&s->stop, false);
    atomic_init(&s->requests, 0);
    s->ctx = zmq_ctx_new();
    assert_non_null(s->ctx);
    s->sock = zmq_socket(s->ctx, ZMQ_ROUTER);
    assert_non_null(s->sock);
    int linger = 0, hwm = 0;
    assert_int_equal(zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger), 0);
    assert_int_equal(zmq_setsockopt(s->sock, ZMQ_SNDHWM, &hwm, sizeof hwm), 0);
    assert_int_equal(zmq_setsockopt(s->sock, ZMQ_RCVHWM, &hwm, sizeof hwm), 0);
    assert_int_equal(zmq_bind(s->sock, s->endpoint), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, server_loop, s), 0);
    *state = s;
    return s;
}

/* Stops the thread and removes everything; the counters and last stay
 * readable until server_free. */
static void
server_stop(server_t *s)
{
    if (s->sock == NULL)
        return;
    atomic_store(&s->stop, true);
    assert_int_equal(pthread_join(s->thread, NULL), 0);
    assert_int_equal(zmq_close(s->sock), 0);
    s->sock = NULL;
    assert_int_equal(zmq_ctx_term(s->ctx), 0);
    char path[192];
    snprintf(path, sizeof path, "%s/vetd", s->dir);
    unlink(path);
    assert_int_equal(rmdir(s->dir), 0);
}

static void
server_free(server_t **sp)
{
    server_stop(*sp);
    free(*sp);
    *sp = NULL;
}

/* server_free for the test itself, which then forgets it in *state. */
static void
server_done(void **state, server_t **sp)
{
    server_free(sp);
    *state = NULL;
}

static int
server_teardown(void **state)
{
    server_t *s = *state;
    if (s != NULL)
        server_free(&s);
    *state = NULL;
    return 0;
}

static void
test_echo_round_trip(void **state)
{
    server_t *s = server_start(state, SRV_ECHO, NULL);
    vet_client_t *c = vet_client_new(s->endpoint);
    assert_non_null(c);
    assert_string_equal(vet_client_endpoint(c), s->endpoint);
    const char *req = "{\"id\":\"a\",\"partner\":{\"name\":\"x\"}}";
    char *reply = NULL;
    size_t len = 0;
    assert_int_equal(vet_call(c, req, strlen(req), 2000, &reply, &len), VET_OK);
    assert_string_equal(reply, req);
    assert_int_equal(len, strlen(req));
    vet_free(reply);
    /* The same socket serves the next call. */
    assert_int_equal(vet_screen(c, "{\"op\":\"ping\"}", 2000, &reply), VET_OK);
    assert_string_equal(reply, "{\"op\":\"ping\"}");
    vet_free(reply);
    /* An empty body is a valid frame. */
    assert_int_equal(vet_call(c, "", 0, 2000, &reply, &len), VET_OK);
    assert_int_equal(len, 0);
    assert_string_equal(reply, "");
    vet_free(reply);
    vet_client_destroy(&c);
    assert_null(c);
    vet_client_destroy(&c);
    vet_client_destroy(NULL);
    server_done(state, &s);
}

static void
test_pipelined_1000(void **state)
{
    enum { N = 1000 };
    server_t *s = server_start(state, SRV_ECHO, NULL);
    vet_client_t *c = vet_client_new(s->endpoint);
    assert_non_null(c);
    for (int i = 0; i < N; i++) {
        char req[64];
        int n = snprintf(req, sizeof req, "{\"id\":\"%d\"}", i);
        assert_int_equal(vet_submit(c, req, (size_t)n, 2000), VET_OK);
    }
    assert_int_equal(vet_client_pending(c), N);
    static bool seen[N];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < N; i++) {
        char *reply = NULL;
        size_t len;
        assert_int_equal(vet_receive(c, 2000, &reply, &len), VET_OK);
        int k = -1;
        assert_int_equal(sscanf(reply, "{\"id\":\"%d\"}", &k), 1);
        assert_true(k >= 0 && k < N);
        assert_false(seen[k]);
        seen[k] = true;
        vet_free(reply);
    }
    assert_int_equal(vet_client_pending(c), 0);
    /* Nothing outstanding: an error at once, not a wait. */
    char *reply = (char *)"x";
    int64_t t0 = mclock_ms();
    assert_int_equal(vet_receive(c, 1000, &reply, NULL), VET_EINVAL);
    assert_true(mclock_ms() - t0 < 100);
    assert_null(reply);
    assert_string_equal(vet_client_error(c), "no request outstanding");
    vet_client_destroy(&c);
    assert_int_equal(atomic_load(&s->requests), N);
    server_done(state, &s);
}

/* vet_call has a socket of its own: calls between submits and receives
 * do not take each other's replies. */
static void
test_call_between_submits(void **state)
{
    server_t *s = server_start(state, SRV_ECHO, NULL);
    vet_client_t *c = vet_client_new(s->endpoint);
    assert_non_null(c);
    assert_int_equal(vet_submit(c, "p1", 2, 1000), VET_OK);
    assert_int_equal(vet_submit(c, "p2", 2, 1000), VET_OK);
    char *reply;
    assert_int_equal(vet_screen(c, "call", 1000, &reply), VET_OK);
    assert_string_equal(reply, "call");
    vet_free(reply);
    assert_int_equal(vet_receive(c, 1000, &reply, NULL), VET_OK);
    assert_string_equal(reply, "p1");
    vet_free(reply);
    assert_int_equal(vet_receive(c, 1000, &reply, NULL), VET_OK);
    assert_string_equal(reply, "p2");
    vet_free(reply);
    vet_client_destroy(&c);
    server_done(state, &s);
}

static void
test_timeout_silent_server(void **state)
{
    server_t *s = server_start(state, SRV_SILENT, NULL);
    vet_client_t *c = vet_client_new(s->endpoint);
    assert_non_null(c);
    char *reply = (char *)"x";
    int64_t t0 = mclock_ms();
    assert_int_equal(vet_screen(c, "{}", 400, &reply), VET_ETIMEOUT);
    int64_t took = mclock_ms() - t0;
    assert_null(reply);
    assert_true(took >= 395);
    assert_true(took < 400 + 500);
    const char *msg = vet_client_error(c);
    assert_int_equal(strncmp(msg, "vetd not answering at ipc://", 28), 0);
    assert_non_null(strstr(msg, s->endpoint));
    assert_non_null(strstr(msg, ": timed out after 400 ms (2 attempts)"));
    /* With no retries there is one attempt and the plain message. */
    vet_client_set_retries(c, 0);
    assert_int_equal(vet_screen(c, "{}", 200, &reply), VET_ETIMEOUT);
    char want[256];
    snprintf(want, sizeof want, "vetd not answering at %s: timed out after 200 ms", s->endpoint);
    assert_string_equal(vet_client_error(c), want);
    vet_client_destroy(&c);
    server_stop(s);
    /* Each attempt reached the server: 2 + 1. */
    assert_int_equal(atomic_load(&s->requests), 3);
    server_done(state, &s);
}

static void
test_timeout_no_daemon(void **state)
{
    (void)state;
    char dir[] = "/tmp/vet-libvet-XXXXXX", ep[128];
    assert_non_null(mkdtemp(dir));
    snprintf(ep, sizeof ep, "ipc://%s/absent", dir);
    vet_client_t *c = vet_client_new(ep);
    assert_non_null(c);
    char *reply;
    int64_t t0 = mclock_ms();
    assert_int_equal(vet_screen(c, "{}", 300, &reply), VET_ETIMEOUT);
    int64_t took = mclock_ms() - t0;
    assert_true(took >= 295 && took < 300 + 500);
    assert_int_equal(strncmp(vet_client_error(c), "vetd not answering at ipc://", 28), 0);
    /* Submitting to an absent daemon times out too (ZMQ_IMMEDIATE). */
    assert_int_equal(vet_submit(c, "{}", 2, 100), VET_ETIMEOUT);
    assert_int_equal(vet_client_pending(c), 0);
    vet_client_destroy(&c);
    assert_int_equal(rmdir(dir), 0);
}

/* Lazy Pirate: the first copy goes unanswered, the second (on a fresh
 * socket) is answered within the same call. */
static void
test_lazy_pirate_retry(void **state)
{
    server_t *s = server_start(state, SRV_DROP_FIRST, NULL);
    vet_client_t *c = vet_client_new(s->endpoint);
    assert_non_null(c);
    vet_client_set_retries(c, 1);
    char *reply;
    int64_t t0 = mclock_ms();
    assert_int_equal(vet_screen(c, "{\"id\":\"r\"}", 1000, &reply), VET_OK);
    int64_t took = mclock_ms() - t0;
    assert_string_equal(reply, "{\"id\":\"r\"}");
    vet_free(reply);
    /* The first attempt had half of the deadline. */
    assert_true(took >= 495 && took < 1000);
    vet_client_destroy(&c);
    server_stop(s);
    assert_int_equal(atomic_load(&s->requests), 2);
    server_done(state, &s);
}

/* A late reply to an abandoned attempt never answers a later call. */
static void
test_lazy_pirate_late_reply(void **state)
{
    server_t *s = server_start(state, SRV_LATE_FIRST, NULL);
    vet_client_t *c = vet_client_new(s->endpoint);
    assert_non_null(c);
    char *reply;
    /* Attempt 1 times out at 300 ms; attempt 2 is answered at once. */
    assert_int_equal(vet_screen(c, "{}", 600, &reply), VET_OK);
    assert_string_equal(reply, "{\"n\":2}");
    vet_free(reply);
    /* Let the late {"n":1} go out (at 450 ms), then call again. */
    usleep(400 * 1000);
    assert_int_equal(vet_screen(c, "{}", 600, &reply), VET_OK);
    assert_string_equal(reply, "{\"n\":3}");
    vet_free(reply);
    vet_client_destroy(&c);
    server_done(state, &s);
}

static void
test_receive_timeout_and_reset(void **state)
{
    server_t *s = server_start(state, SRV_SILENT, NULL);
    vet_client_t *c = vet_client_new(s->endpoint);
    assert_non_null(c);
    assert_int_equal(vet_submit(c, "{\"id\":1}", 8, 1000), VET_OK);
    char *reply;
    int64_t t0 = mclock_ms();
    assert_int_equal(vet_receive(c, 150, &reply, NULL), VET_ETIMEOUT);
    assert_true(mclock_ms() - t0 >= 145);
    assert_null(reply);
    assert_int_equal(vet_client_pending(c), 1);
    assert_int_equal(strncmp(vet_client_error(c), "vetd not answering at ipc://", 28), 0);
    assert_int_equal(vet_client_reset(c), VET_OK);
    assert_int_equal(vet_client_pending(c), 0);
    assert_int_equal(vet_receive(c, 0, &reply, NULL), VET_EINVAL);
    vet_client_destroy(&c);
    server_done(state, &s);
}

static void
test_bad_framing(void **state)
{
    server_t *s = server_start(state, SRV_BAD_FRAMES, NULL);
    vet_client_t *c = vet_client_new(s->endpoint);
    assert_non_null(c);
    char *reply;
    assert_int_equal(vet_screen(c, "{\"id\":1}", 1000, &reply), VET_EPROTO);
    assert_null(reply);
    assert_non_null(strstr(vet_client_error(c), "no empty delimiter frame"));
    assert_int_equal(vet_submit(c, "{\"id\":2}", 8, 1000), VET_OK);
    assert_int_equal(vet_receive(c, 1000, &reply, NULL), VET_EPROTO);
    /* The malformed reply was consumed all the same. */
    assert_int_equal(vet_client_pending(c), 0);
    vet_client_destroy(&c);
    server_done(state, &s);
}

static void
test_invalid_endpoint(void **state)
{
    (void)state;
    const char *bad[] = {"bogus://x", "tcp://127.0.0.1", "", "nonsense"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        vet_client_t *c = vet_client_new(bad[i]);
        assert_null(c);
        assert_int_not_equal(errno, 0);
    }
    /* A list: every item must be an endpoint, and there must be one. */
    assert_null(vet_client_new("tcp://127.0.0.1:1,bogus://x"));
    errno = 0;
    assert_null(vet_client_new(" , ,"));
    assert_int_equal(errno, EINVAL);
    vet_client_t *l = vet_client_new("tcp://127.0.0.1:1, ipc:///tmp/x");
    assert_non_null(l);
    vet_client_destroy(&l);
    /* No endpoint: $VET_ENDPOINT, else the default. */
    char *saved = getenv("VET_ENDPOINT") ? strdup(getenv("VET_ENDPOINT")) : NULL;
    setenv("VET_ENDPOINT", "bogus://x", 1);
    assert_null(vet_client_new(NULL));
    setenv("VET_ENDPOINT", "tcp://127.0.0.1:1,tcp://127.0.0.1:2", 1);
    l = vet_client_new(NULL);
    assert_non_null(l);
    assert_string_equal(vet_client_endpoint(l), "tcp://127.0.0.1:1,tcp://127.0.0.1:2");
    vet_client_destroy(&l);
    unsetenv("VET_ENDPOINT");
    l = vet_client_new(NULL);
    assert_non_null(l);
    assert_string_equal(vet_client_endpoint(l), VET_DEFAULT_ENDPOINT);
    vet_client_destroy(&l);
    if (saved != NULL)
        setenv("VET_ENDPOINT", saved, 1);
    free(saved);
    assert_null(vet_client_new_ctx(NULL, "ipc:///tmp/x"));
    /* A caller's context works, and is left alive. */
    void *ctx = zmq_ctx_new();
    assert_non_null(ctx);
    assert_null(vet_client_new_ctx(ctx, "bogus://x"));
    vet_client_t *c = vet_client_new_ctx(ctx, "tcp://127.0.0.1:1");
    assert_non_null(c);
    vet_client_destroy(&c);
    assert_int_equal(zmq_ctx_term(ctx), 0);
}

static void
test_bad_arguments(void **state)
{
    (void)state;
    vet_client_t *c = vet_client_new("tcp://127.0.0.1:1");
    assert_non_null(c);
    assert_string_equal(vet_client_error(c), "");
    char *reply = (char *)"x";
    assert_int_equal(vet_call(c, NULL, 0, 100, &reply, NULL), VET_EINVAL);
    assert_null(reply);
    assert_int_equal(vet_call(c, "{}", 2, 0, &reply, NULL), VET_EINVAL);
    assert_string_equal(vet_client_error(c), "timeout must be > 0 ms");
    assert_int_equal(vet_call(c, "{}", 2, 100, NULL, NULL), VET_EINVAL);
    assert_int_equal(vet_submit(c, "{}", 2, -1), VET_EINVAL);
    assert_int_equal(vet_screen(NULL, "{}", 100, &reply), VET_EINVAL);
    assert_int_equal(vet_screen(c, NULL, 100, &reply), VET_EINVAL);
    assert_string_equal(vet_strerror(VET_OK), "ok");
    assert_string_equal(vet_strerror(VET_ETIMEOUT), "timeout");
    assert_string_equal(vet_strerror(VET_EPROTO), "proto");
    assert_string_equal(vet_strerror(12345), "unknown");
    vet_client_set_retries(c, -5);
    vet_client_set_retries(NULL, 1);
    vet_client_destroy(&c);
}

/* --- bin/vet ------------------------------------------------------ */

typedef struct run {
    int status;      /* exit status, -1 if it did not exit */
    char out[16384]; /* stdout */
    char err[4096];  /* stderr */
} run_t;

static const char *
vet_bin(void)
{
    const char *b = getenv("VET_BIN");
    return b != NULL ? b : "bin/vet";
}

static void
slurp_fd(int fd, char *buf, size_t cap)
{
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    ssize_t n = read(fd, buf, cap - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
}

/* Runs bin/vet with argv (NULL-terminated, argv[0] ignored) and stdin
 * from the string in. */
static void
run_vet(run_t *r, const char **argv, const char *in)
{
    char fin[] = "/tmp/vet-cli-in-XXXXXX", fout[] = "/tmp/vet-cli-out-XXXXXX",
         ferr[] = "/tmp/vet-cli-err-XXXXXX";
    int fi = mkstemp(fin), fo = mkstemp(fout), fe = mkstemp(ferr);
    assert_true(fi >= 0 && fo >= 0 && fe >= 0);
    unlink(fin);
    unlink(fout);
    unlink(ferr);
    if (in != NULL)
        assert_int_equal(write(fi, in, strlen(in)), (ssize_t)strlen(in));
    assert_int_equal(lseek(fi, 0, SEEK_SET), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        argv[0] = vet_bin();
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    close(fi);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    slurp_fd(fo, r->out, sizeof r->out);
    slurp_fd(fe, r->err, sizeof r->err);
}

static int
cli_setup(void **state)
{
    (void)state;
    if (access(vet_bin(), X_OK) != 0) {
        fprintf(stderr, "no %s: build it first (make)\n", vet_bin());
        return -1;
    }
    return 0;
}

#define NEED_VET()                                                                                 \
    do {                                                                                           \
        if (access(vet_bin(), X_OK) != 0)                                                          \
            fail_msg("%s is not built", vet_bin());                                                \
    } while (0)

static const char prohibited_reply[] =
    "{\"id\":\"t-1\",\"verdict\":\"prohibited\",\"score\":100,\"partner\":{\"matches\":[{"
    "\"entity\":\"nro-hit\",\"name\":\"Harbin Institute of Technology\",\"matched\":\"Harbin "
    "Institute of Technology\",\"method\":\"exact\",\"score\":1.00,\"country\":\"CN\",\"lists\":"
    "[\"ca-nro\"],\"tags\":[\"seven-sons\"],\"risk\":\"high\",\"sources\":[]},{\"entity\":\"x\","
    "\"name\":\"Other\",\"matched\":\"ror:01\",\"method\":\"id\",\"score\":0.5,\"lists\":[],"
    "\"tags\":[]}]},\"categories\":[{\"code\":\"quantum.sensing\",\"label\":\"Quantum sensing\","
    "\"given\":true,\"spotted\":true,\"evidence\":[\"quantum magnetometers\"]},{\"code\":\"ai\","
    "\"label\":\"AI\",\"given\":true,\"spotted\":false,\"evidence\":[]}],\"rules\":[{\"id\":"
    "\"strac-nro-current\",\"verdict\":\"prohibited\",\"score\":100,\"reason\":\"Because.\","
    "\"cite\":\"STRAC\",\"entity\":\"nro-hit\"}],\"ruleset\":{\"version\":\"2026.11-starter\","
    "\"digest\":\"1a5f7ad4051baa3236c0b0c010a694dc\"},\"elapsed_us\":37}";

static void
test_cli_screen(void **state)
{
    NEED_VET();
    server_t *s = server_start(state, SRV_CANNED, prohibited_reply);
    run_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    const char *argv[] = {"vet",
                          "-e",
                          s->endpoint,
                          "screen",
                          "--name",
                          "Harbin Institute of Technology",
                          "--country",
                          "CN",
                          "--alias",
                          "HIT",
                          "--alias=Hagongda",
                          "--id",
                          "ror:01yqg2h08",
                          "--tech",
                          "quantum.sensing",
                          "--tech",
                          "ai",
                          "--activity",
                          "affiliation",
                          "--past",
                          "--text",
                          "quantum magnetometers",
                          "--context",
                          "funder=NSERC",
                          "--context",
                          "amount:=5000",
                          "--type",
                          "university",
                          "--request-id",
                          "t-1",
                          NULL};
    run_vet(r, argv, NULL);
    assert_int_equal(r->status, 20);
    assert_string_equal(
        r->out, "prohibited (score 100)\n"
                "  partner  Harbin Institute of Technology  [exact, 1.00]  lists: ca-nro  tags: "
                "seven-sons\n"
                "  partner  Other  [id ror:01, 0.50]\n"
                "  category quantum.sensing  given; spotted: \"quantum magnetometers\"\n"
                "  category ai  given\n"
                "  rule     strac-nro-current  prohibited 100  Because.  (STRAC)\n"
                "  ruleset  2026.11-starter  (1a5f7ad4051b)  37 us\n");
    assert_string_equal(r->err, "");
    server_stop(s);
    /* The request the CLI built. */
    cJSON *q = cJSON_Parse(s->last);
    assert_non_null(q);
    char *flat = cJSON_PrintUnformatted(q);
    assert_string_equal(
        flat, "{\"id\":\"t-1\",\"partner\":{\"name\":\"Harbin Institute of Technology\","
              "\"aliases\":[\"HIT\",\"Hagongda\"],\"country\":\"CN\",\"type\":\"university\","
              "\"ids\":{\"ror\":\"01yqg2h08\"}},\"technologies\":[\"quantum.sensing\",\"ai\"],"
              "\"activity\":\"affiliation\",\"current\":false,\"text\":\"quantum magnetometers\","
              "\"context\":{\"funder\":\"NSERC\",\"amount\":5000}}");
    free(flat);
    cJSON_Delete(q);
    server_done(state, &s);
    free(r);
}

static void
test_cli_json_and_raw(void **state)
{
    NEED_VET();
    server_t *s = server_start(state, SRV_CANNED, prohibited_reply);
    run_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    const char *req = "{\"id\":\"t-1\",\"partner\":{\"name\":\"HIT\"}}";
    const char *argv[] = {"vet", "screen", "-", "--json", "-e", s->endpoint, NULL};
    run_vet(r, argv, req);
    assert_int_equal(r->status, 20);
    char want[sizeof prohibited_reply + 1];
    snprintf(want, sizeof want, "%s\n", prohibited_reply);
    assert_string_equal(r->out, want);
    server_stop(s);
    assert_string_equal(s->last, req);
    server_done(state, &s);
    free(r);
}

/* A clear reply with a note (a match no rule acted on) and a match found
 * by part of the name (matched_span): both shown, and the exit code still
 * follows the verdict. */
static const char note_reply[] =
    "{\"id\":\"t-1\",\"verdict\":\"clear\",\"score\":0,\"partner\":{\"matches\":[{"
    "\"entity\":\"nro-hit\",\"name\":\"Harbin Institute of Technology\",\"matched\":\"Harbin "
    "Institute of Technology\",\"matched_span\":\"Harbin Institute of Technology\",\"method\":"
    "\"unit\",\"score\":0.95,\"country\":\"CN\",\"lists\":[\"ca-nro\"],\"tags\":[],\"risk\":"
    "\"high\",\"sources\":[]}]},\"categories\":[],\"rules\":[],\"note\":\"The partner matched "
    "nro-hit (unit) in the registry, but no rule acts on this match.\",\"ruleset\":{\"version\":"
    "\"2026.11\",\"digest\":\"1a5f7ad4051baa3236c0b0c010a694dc\"},\"elapsed_us\":12}";

static void
test_cli_note_and_span(void **state)
{
    NEED_VET();
    server_t *s = server_start(state, SRV_CANNED, note_reply);
    run_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    const char *argv[] = {"vet",       "-e",
                          s->endpoint, "screen",
                          "--name",    "School of Physics, Harbin Institute of Technology",
                          "--past",    "--request-id",
                          "t-1",       NULL};
    run_vet(r, argv, NULL);
    assert_int_equal(r->status, 0);
    assert_string_equal(r->out,
                        "clear (score 0)\n"
                        "  partner  Harbin Institute of Technology  [unit, 0.95]  lists: "
                        "ca-nro  span: \"Harbin Institute of Technology\"\n"
                        /* Wrapped at 80 columns: the output is no terminal. */
                        "  note     The partner matched nro-hit (unit) in the registry, but "
                        "no rule acts\n"
                        "           on this match.\n"
                        "  ruleset  2026.11  (1a5f7ad4051b)  12 us\n");
    assert_string_equal(r->err, "");
    server_done(state, &s);
    free(r);
}

static void
test_cli_error_replies(void **state)
{
    NEED_VET();
    static const struct {
        const char *reply;
        int status;
        const char *err;
    } cases[] = {
        {"{\"id\":\"t-1\",\"error\":{\"code\":\"bad_request\",\"message\":\"partner.name: "
         "expected a string\"}}",
         65, "vet: bad_request: partner.name: expected a string\n"},
        {"{\"error\":{\"code\":\"unavailable\",\"message\":\"no ruleset\"}}", 69,
         "vet: unavailable: no ruleset\n"},
        {"{\"error\":{\"code\":\"internal\",\"message\":\"oops\"}}", 70, "vet: internal: oops\n"},
        {"not json", 70, "vet: reply is not a JSON object: not json\n"},
        {"{\"id\":\"other\",\"verdict\":\"clear\"}", 70,
         "vet: reply is for id \"other\", not \"t-1\"\n"},
        {"{\"id\":\"t-1\",\"verdict\":\"clear\",\"score\":0}", 0, ""},
        {"{\"id\":\"t-1\",\"verdict\":\"review\",\"score\":70}", 10, ""},
        {"{\"id\":\"t-1\",\"verdict\":\"escalate\",\"score\":70}", 10, ""},
    };
    run_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        server_t *s = server_start(state, SRV_CANNED, cases[i].reply);
        const char *argv[] = {"vet", "-e",           s->endpoint, "screen", "--name",
                              "x",   "--request-id", "t-1",       NULL};
        run_vet(r, argv, NULL);
        if (r->status != cases[i].status)
            fprintf(stderr, "case %zu: %s", i, r->err);
        assert_int_equal(r->status, cases[i].status);
        assert_string_equal(r->err, cases[i].err);
        server_done(state, &s);
    }
    free(r);
}

static void
test_cli_admin(void **state)
{
    NEED_VET();
    run_t *r = calloc(1, sizeof *r);
    assert_non_null(r);

    server_t *s = server_start(state, SRV_CANNED, "{\"id\":\"x\",\"ok\":true}");
    const char *ping[] = {"vet", "-e", s->endpoint, "ping", NULL};
    run_vet(r, ping, NULL);
    assert_int_equal(r->status, 0);
    assert_string_equal(r->out, "ok\n");
    server_stop(s);
    cJSON *q = cJSON_Parse(s->last);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(q, "op")), "ping");
    assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItem(q, "id")));
    cJSON_Delete(q);
    server_done(state, &s);

    s = server_start(state, SRV_CANNED,
                     "{\"ok\":false,\"errors\":[\"policy.cfg:3: bad\",\"b:1: c\"]}");
    const char *reload[] = {"vet", "reload", "-e", s->endpoint, NULL};
    run_vet(r, reload, NULL);
    assert_int_equal(r->status, 65);
    assert_non_null(strstr(r->err, "\npolicy.cfg:3: bad\nb:1: c\n"));
    server_done(state, &s);

    s = server_start(state, SRV_CANNED,
                     "{\"ok\":true,\"ruleset\":{\"version\":\"v2\",\"digest\":"
                     "\"0123456789abcdef\"}}");
    const char *reload_ok[] = {"vet", "reload", "-e", s->endpoint, NULL};
    run_vet(r, reload_ok, NULL);
    assert_int_equal(r->status, 0);
    assert_string_equal(r->out, "reloaded: ruleset v2 (0123456789ab)\n");
    server_done(state, &s);

    s = server_start(state, SRV_CANNED,
                     "{\"id\":\"x\",\"version\":\"0.3\",\"ruleset\":{\"version\":\"v2\","
                     "\"size\":12}}");
    const char *version[] = {"vet", "-e", s->endpoint, "version", NULL};
    run_vet(r, version, NULL);
    assert_int_equal(r->status, 0);
    assert_string_equal(r->out, "version: 0.3\nruleset.version: v2\nruleset.size: 12\n");
    server_done(state, &s);

    s = server_start(state, SRV_CANNED,
                     "{\"categories\":[{\"code\":\"q\",\"label\":\"Quantum\"},"
                     "{\"code\":\"q.s\",\"label\":\"Sensing\",\"parent\":\"q\"}],"
                     "\"activities\":[\"a\",\"b\"],\"verdicts\":[\"clear\"]}");
    const char *tax[] = {"vet", "-e", s->endpoint, "taxonomy", NULL};
    run_vet(r, tax, NULL);
    assert_int_equal(r->status, 0);
    assert_non_null(strstr(r->out, "\n  q.s "));
    assert_non_null(strstr(r->out, "Sensing\n  activities: a, b\n  verdicts: clear\n"));
    server_done(state, &s);

    /* Silent daemon: 69, and reload is never sent twice. */
    s = server_start(state, SRV_SILENT, NULL);
    const char *reload_t[] = {"vet", "-e", s->endpoint, "-t", "300", "reload", NULL};
    run_vet(r, reload_t, NULL);
    assert_int_equal(r->status, 69);
    assert_int_equal(strncmp(r->err, "vet: vetd not answering at ipc://", 33), 0);
    assert_non_null(strstr(r->err, "timed out after 300 ms\n"));
    const char *stats_t[] = {"vet", "-t", "300", "-e", s->endpoint, "stats", NULL};
    run_vet(r, stats_t, NULL);
    assert_int_equal(r->status, 69);
    server_stop(s);
    assert_int_equal(atomic_load(&s->requests), 1 + 2);
    server_done(state, &s);
    free(r);
}

static void
test_cli_usage(void **state)
{
    (void)state;
    NEED_VET();
    run_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    const char *cases[][8] = {
        {"vet", "frobnicate", NULL},
        {"vet", "--frob", NULL},
        {"vet", NULL},
        {"vet", "screen", NULL},
        {"vet", "screen", "--name", NULL},
        {"vet", "screen", "--name", "x", "--bogus", NULL},
        {"vet", "screen", "--name", "x", "--id", "nocolon"},
        {"vet", "screen", "--name", "x", "--context", "k:=word"},
        {"vet", "-t", "abc", "ping", NULL},
        {"vet", "-e", "bogus://x", "ping", NULL},
        {"vet", "ping", "extra", NULL},
        {"vet", "screen", "-", "--name", "x", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_vet(r, cases[i], NULL);
        if (r->status != 64)
            fprintf(stderr, "case %zu: %d %s", i, r->status, r->err);
        assert_int_equal(r->status, 64);
        assert_int_equal(strncmp(r->err, "vet: ", 5), 0);
    }
    const char *help[] = {"vet", "--help", NULL};
    run_vet(r, help, NULL);
    assert_int_equal(r->status, 0);
    assert_int_equal(strncmp(r->out, "usage: vet ", 11), 0);
    free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_echo_round_trip, server_teardown),
        cmocka_unit_test_teardown(test_pipelined_1000, server_teardown),
        cmocka_unit_test_teardown(test_call_between_submits, server_teardown),
        cmocka_unit_test_teardown(test_timeout_silent_server, server_teardown),
        cmocka_unit_test_teardown(test_timeout_no_daemon, server_teardown),
        cmocka_unit_test_teardown(test_lazy_pirate_retry, server_teardown),
        cmocka_unit_test_teardown(test_lazy_pirate_late_reply, server_teardown),
        cmocka_unit_test_teardown(test_receive_timeout_and_reset, server_teardown),
        cmocka_unit_test_teardown(test_bad_framing, server_teardown),
        cmocka_unit_test_teardown(test_invalid_endpoint, server_teardown),
        cmocka_unit_test_teardown(test_bad_arguments, server_teardown),
        cmocka_unit_test_teardown(test_cli_screen, server_teardown),
        cmocka_unit_test_teardown(test_cli_json_and_raw, server_teardown),
        cmocka_unit_test_teardown(test_cli_note_and_span, server_teardown),
        cmocka_unit_test_teardown(test_cli_error_replies, server_teardown),
        cmocka_unit_test_teardown(test_cli_admin, server_teardown),
        cmocka_unit_test_teardown(test_cli_usage, server_teardown),
    };
    return cmocka_run_group_tests(tests, cli_setup, NULL);
}
