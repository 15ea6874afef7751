/* SPDX-License-Identifier: Apache-2.0 */
/* loadgen.c -- ZeroMQ DEALER load generator for vetd and the echo baseline: msg/s and latency.
 *
 * usage: loadgen -e ENDPOINT [-n COUNT] [-c INFLIGHT] [-d MAX_SECONDS] [-s]
 *                [-w WARMUP] [-t STRAGGLER_SECONDS] FILE.jsonl
 *
 * Sends the requests of FILE (one JSON object per line, without an "id"),
 * cycling through them, each as [empty delimiter, JSON] with a unique id
 * injected right after the leading '{' ("id":"<seq>",). Replies ([empty,
 * JSON] beginning with that id, from vetd or the echo server alike) are
 * matched by id, so they may come in any order. Pipelined (default) keeps
 * INFLIGHT requests outstanding; -s sends one at a time, as a REQ client
 * would. Stops after COUNT requests or MAX_SECONDS of sending, whichever
 * comes first, then waits at most STRAGGLER_SECONDS for the replies still
 * due. WARMUP requests go first and are not counted.
 *
 * Prints one result line on stdout:
 *   loadgen: mode=pipelined inflight=256 sent=100000 replies=100000 errors=0
 *   missing=0 unexpected=0 seconds=0.41 rate=243000 msg/s p50=900.0us
 *   p99=2100.0us p999=3000.0us
 * errors counts replies holding an "error": member. Exit status 0 when every
 * request got exactly one reply, 1 when some reply is missing or unexpected
 * (or on any failure), 2 on a usage error. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>
#include "mclock.h"
#include "vec.h"

#define HWM 100000
#define MAX_COUNT 50000000UL
#define ID_ROOM 32       /* "id":"<20 digits>", and a spare */
#define POLL_SLICE_MS 50 /* longest sleep between deadline checks */

/* The request lines, each kept as the text after its leading '{'. */
typedef struct {
    char **body;    /* owned: text after the '{', NUL-terminated */
    size_t *len;    /* length of each body */
    bool *empty;    /* body is just "}": inject the id without a comma */
    size_t n;       /* number of requests */
    size_t max_len; /* longest body */
} reqs_t;

/* One bounded run: its requests are numbered base .. base + total - 1. */
typedef struct {
    unsigned long long base; /* id of the first request */
    size_t total;            /* requests to send at most */
    size_t sent;             /* requests sent */
    size_t replies;          /* replies matched to a request of this run */
    size_t errors;           /* of those, replies with an "error": member */
    size_t unexpected;       /* replies with no, an unknown or a repeated id */
    uint64_t *sent_ns;       /* owned: send time by seq - base; 0 once answered */
    uint64_t *lat_ns;        /* owned: latency of each reply, in arrival order */
    uint64_t t_start;        /* first send */
    uint64_t t_end;          /* last reply (or end of the run if none) */
} run_t;

static void
usage(void)
{
    fprintf(stderr, "usage: loadgen -e ENDPOINT [-n COUNT] [-c INFLIGHT] [-d MAX_SECONDS] [-s]\n"
                    "               [-w WARMUP] [-t STRAGGLER_SECONDS] FILE.jsonl\n"
                    "  defaults: -n 100000 -c 256 -d 30 -w 1000 -t 5; -s: one request at a time\n");
}

static void
reqs_free(reqs_t *rq)
{
    for (size_t i = 0; i < rq->n; i++)
        free(rq->body[i]);
    free(rq->body);
    free(rq->len);
    free(rq->empty);
    memset(rq, 0, sizeof *rq);
}

/* Reads FILE into rq (caller frees with reqs_free, also on failure).
 * Blank lines are skipped; any other line must begin with '{'.
 * Returns 0, or -1 with a message on stderr. */
static int
reqs_load(reqs_t *rq, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, alloc = 0, lineno = 0;
    ssize_t got;
    int rc = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                         line[n - 1] == '\t'))
            n--;
        size_t s = 0;
        while (s < n && (line[s] == ' ' || line[s] == '\t'))
            s++;
        if (s == n)
            continue;
        if (line[s] != '{') {
            fprintf(stderr, "loadgen: %s:%zu: expected a JSON object\n", path, lineno);
            rc = -1;
            break;
        }
        /* body, len and empty share one capacity (vec.h). */
        size_t cb = alloc, cl = alloc, ce = alloc;
        if (vec_grow(&rq->body, &cb, rq->n + 1, sizeof *rq->body, 64) != 0 ||
            vec_grow(&rq->len, &cl, rq->n + 1, sizeof *rq->len, 64) != 0 ||
            vec_grow(&rq->empty, &ce, rq->n + 1, sizeof *rq->empty, 64) != 0) {
            fprintf(stderr, "loadgen: out of memory\n");
            rc = -1;
            break;
        }
        alloc = cb;
        size_t blen = n - s - 1;
        char *body = malloc(blen + 1);
        if (body == NULL) {
            fprintf(stderr, "loadgen: out of memory\n");
            rc = -1;
            break;
        }
        memcpy(body, line + s + 1, blen);
        body[blen] = '\0';
        size_t k = 0;
        while (k < blen && (body[k] == ' ' || body[k] == '\t'))
            k++;
        rq->body[rq->n] = body;
        rq->len[rq->n] = blen;
        rq->empty[rq->n] = k < blen && body[k] == '}';
        if (blen > rq->max_len)
            rq->max_len = blen;
        rq->n++;
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rq->n == 0) {
        fprintf(stderr, "loadgen: %s: no requests\n", path);
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

/* Sends request number seq (the line seq % n) as [empty, JSON] into buf
 * (at least max_len + ID_ROOM + 2 bytes). Returns 0, or -1 with a message. */
static int
send_request(void *sock, const reqs_t *rq, unsigned long long seq, char *buf)
{
    size_t i = (size_t)(seq % rq->n);
    int head = snprintf(buf, ID_ROOM + 2, "{\"id\":\"%llu\"%s", seq, rq->empty[i] ? "" : ",");
    memcpy(buf + head, rq->body[i], rq->len[i]);
    size_t total = (size_t)head + rq->len[i];
    /* Blocking sends cannot stall: fewer requests are in flight than the
     * high-water mark allows, and ZMQ_SNDTIMEO bounds them anyway. */
    if (zmq_send(sock, "", 0, ZMQ_SNDMORE) != 0 || zmq_send(sock, buf, total, 0) != (int)total) {
        fprintf(stderr, "loadgen: zmq_send: %s\n", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Finds the first "id":"<digits>" in a reply (vetd writes the id first, so
 * the scan stops at once). Returns true and the id, false if there is none. */
static bool
reply_id(const char *data, size_t len, unsigned long long *id)
{
    static const char key[] = "\"id\":\"";
    const size_t klen = sizeof key - 1;
    for (size_t i = 0; i + klen <= len; i++) {
        if (data[i] != '"' || memcmp(data + i, key, klen) != 0)
            continue;
        size_t j = i + klen;
        unsigned long long v = 0;
        size_t digits = 0;
        while (j < len && data[j] >= '0' && data[j] <= '9' && digits < 20) {
            v = v * 10 + (unsigned long long)(data[j] - '0');
            j++;
            digits++;
        }
        if (digits == 0 || j >= len || data[j] != '"')
            return false;
        *id = v;
        return true;
    }
    return false;
}

/* True if the reply has an "error": member. Inside a JSON string a quote is
 * escaped, so the text "error": only ever appears as a key. */
static bool
reply_is_error(const char *data, size_t len)
{
    static const char key[] = "\"error\":";
    const size_t klen = sizeof key - 1;
    for (size_t i = 0; i + klen <= len; i++)
        if (data[i] == '"' && memcmp(data + i, key, klen) == 0)
            return true;
    return false;
}

/* Receives one whole reply message and books it against r.
 * Returns 1 if a message was taken, 0 if none was waiting, -1 on error. */
static int
recv_reply(void *sock, run_t *r, zmq_msg_t *msg)
{
    if (zmq_msg_recv(msg, sock, ZMQ_DONTWAIT) < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return 0;
        fprintf(stderr, "loadgen: zmq_msg_recv: %s\n", zmq_strerror(errno));
        return -1;
    }
    uint64_t t = mclock_ns();
    int frames = 1;
    bool delimited = zmq_msg_size(msg) == 0;
    /* The rest of a multipart message has arrived with its first frame. */
    while (zmq_msg_more(msg)) {
        if (zmq_msg_recv(msg, sock, 0) < 0) {
            fprintf(stderr, "loadgen: zmq_msg_recv: %s\n", zmq_strerror(errno));
            return -1;
        }
        frames++;
    }
    const char *data = zmq_msg_data(msg);
    size_t len = zmq_msg_size(msg);
    unsigned long long id;
    if (frames != 2 || !delimited || !reply_id(data, len, &id) || id < r->base ||
        id - r->base >= r->sent || r->sent_ns[id - r->base] == 0) {
        r->unexpected++;
        return 1;
    }
    size_t k = (size_t)(id - r->base);
    r->lat_ns[r->replies++] = t - r->sent_ns[k];
    r->sent_ns[k] = 0;
    r->t_end = t;
    if (reply_is_error(data, len))
        r->errors++;
    return 1;
}

/* Runs r: sends up to r->total requests keeping at most inflight outstanding,
 * stops sending after max_s seconds, then waits at most straggle_s seconds
 * for the replies still due. Returns 0 (missing replies are the caller's to
 * judge from r), -1 on a socket error. */
static int
run_load(void *sock, const reqs_t *rq, run_t *r, size_t inflight, double max_s, double straggle_s,
         char *buf)
{
    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0) {
        fprintf(stderr, "loadgen: zmq_msg_init: %s\n", zmq_strerror(errno));
        return -1;
    }
    int rc = 0;
    r->t_start = mclock_ns();
    r->t_end = r->t_start;
    uint64_t deadline = r->t_start + (uint64_t)(max_s * 1e9);
    uint64_t drain_deadline = 0;
    bool sending = true;
    for (;;) {
        uint64_t t = mclock_ns();
        if (sending && (r->sent == r->total || t >= deadline)) {
            sending = false;
            drain_deadline = t + (uint64_t)(straggle_s * 1e9);
        }
        if (!sending && (r->sent == r->replies || t >= drain_deadline))
            break;
        while (sending && r->sent < r->total && r->sent - r->replies < inflight) {
            if (send_request(sock, rq, r->base + r->sent, buf) != 0) {
                rc = -1;
                goto out;
            }
            r->sent_ns[r->sent++] = mclock_ns();
        }
        /* Sleep in poll until a reply comes, no longer than the next
         * deadline (or one slice, so the deadlines are checked). */
        uint64_t until = sending ? deadline : drain_deadline;
        t = mclock_ns();
        long timeout = until > t ? (long)((until - t) / 1000000u) + 1 : 0;
        if (timeout > POLL_SLICE_MS)
            timeout = POLL_SLICE_MS;
        zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
        int n = zmq_poll(&item, 1, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "loadgen: zmq_poll: %s\n", zmq_strerror(errno));
            rc = -1;
            goto out;
        }
        if (n == 0)
            continue;
        /* Take every reply waiting, so one poll serves many. */
        int got;
        while ((got = recv_reply(sock, r, &msg)) > 0)
            ;
        if (got < 0) {
            rc = -1;
            goto out;
        }
    }
out:
    if (zmq_msg_close(&msg) != 0) {
        fprintf(stderr, "loadgen: zmq_msg_close: %s\n", zmq_strerror(errno));
        rc = -1;
    }
    return rc;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of the n sorted latencies (nearest rank), in microseconds. */
static double
quantile_us(const uint64_t *sorted, size_t n, double q)
{
    if (n == 0)
        return 0.0;
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)sorted[rank - 1] / 1000.0;
}

static int
run_init(run_t *r, unsigned long long base, size_t total)
{
    memset(r, 0, sizeof *r);
    r->base = base;
    r->total = total;
    r->sent_ns = calloc(total ? total : 1, sizeof *r->sent_ns);
    r->lat_ns = calloc(total ? total : 1, sizeof *r->lat_ns);
    if (r->sent_ns == NULL || r->lat_ns == NULL) {
        fprintf(stderr, "loadgen: out of memory for %zu requests\n", total);
        return -1;
    }
    return 0;
}

static void
run_free(run_t *r)
{
    free(r->sent_ns);
    free(r->lat_ns);
    r->sent_ns = NULL;
    r->lat_ns = NULL;
}

/* Parses a whole-string unsigned number within [lo, hi]. */
static bool
parse_size(const char *s, unsigned long lo, unsigned long hi, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi)
        return false;
    *out = (size_t)v;
    return true;
}

static bool
parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0 && v <= 86400.0))
        return false;
    *out = v;
    return true;
}

static int
set_int(void *sock, int option, int value, const char *name)
{
    if (zmq_setsockopt(sock, option, &value, sizeof value) != 0) {
        fprintf(stderr, "loadgen: zmq_setsockopt %s: %s\n", name, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *endpoint = NULL;
    size_t count = 100000, inflight = 256, warmup = 1000;
    double max_s = 30.0, straggle_s = 5.0;
    bool sync = false;
    int opt;
    while ((opt = getopt(argc, argv, "e:n:c:d:sw:t:h")) != -1) {
        bool ok = true;
        switch (opt) {
        case 'e': endpoint = optarg; break;
        case 'n': ok = parse_size(optarg, 1, MAX_COUNT, &count); break;
        case 'c': ok = parse_size(optarg, 1, HWM / 2, &inflight); break;
        case 'd': ok = parse_seconds(optarg, &max_s); break;
        case 's': sync = true; break;
        case 'w': ok = parse_size(optarg, 0, MAX_COUNT, &warmup); break;
        case 't': ok = parse_seconds(optarg, &straggle_s); break;
        default: ok = false; break;
        }
        if (!ok) {
            if (opt != '?' && opt != 'h')
                fprintf(stderr, "loadgen: bad value for -%c: %s\n", opt, optarg);
            usage();
            return 2;
        }
    }
    if (endpoint == NULL || optind != argc - 1) {
        usage();
        return 2;
    }
    if (sync)
        inflight = 1;

    int rc = 1;
    reqs_t rq = {0};
    run_t warm = {0}, meas = {0};
    char *buf = NULL;
    void *ctx = NULL, *sock = NULL;
    if (reqs_load(&rq, argv[optind]) != 0)
        goto out;
    buf = malloc(rq.max_len + ID_ROOM + 2);
    if (buf == NULL) {
        fprintf(stderr, "loadgen: out of memory\n");
        goto out;
    }
    if (run_init(&warm, 0, warmup) != 0 || run_init(&meas, warmup, count) != 0)
        goto out;

    ctx = zmq_ctx_new();
    if (ctx == NULL) {
        fprintf(stderr, "loadgen: zmq_ctx_new: %s\n", zmq_strerror(errno));
        goto out;
    }
    sock = zmq_socket(ctx, ZMQ_DEALER);
    if (sock == NULL) {
        fprintf(stderr, "loadgen: zmq_socket: %s\n", zmq_strerror(errno));
        goto out;
    }
    if (set_int(sock, ZMQ_SNDHWM, HWM, "ZMQ_SNDHWM") != 0 ||
        set_int(sock, ZMQ_RCVHWM, HWM, "ZMQ_RCVHWM") != 0 ||
        set_int(sock, ZMQ_SNDTIMEO, 5000, "ZMQ_SNDTIMEO") != 0 ||
        set_int(sock, ZMQ_LINGER, 0, "ZMQ_LINGER") != 0)
        goto out;
    if (zmq_connect(sock, endpoint) != 0) {
        fprintf(stderr, "loadgen: zmq_connect %s: %s\n", endpoint, zmq_strerror(errno));
        goto out;
    }

    if (warmup > 0) {
        if (run_load(sock, &rq, &warm, inflight, max_s, straggle_s, buf) != 0)
            goto out;
        if (warm.replies != warm.sent || warm.unexpected != 0) {
            fprintf(stderr, "loadgen: warm-up: %zu of %zu replies missing, %zu unexpected\n",
                    warm.sent - warm.replies, warm.sent, warm.unexpected);
            goto out;
        }
    }
    if (run_load(sock, &rq, &meas, inflight, max_s, straggle_s, buf) != 0)
        goto out;

    size_t missing = meas.sent - meas.replies;
    double seconds = (double)(meas.t_end - meas.t_start) / 1e9;
    double rate = seconds > 0 ? (double)meas.replies / seconds : 0.0;
    qsort(meas.lat_ns, meas.replies, sizeof *meas.lat_ns, cmp_u64);
    printf("loadgen: mode=%s inflight=%zu sent=%zu replies=%zu errors=%zu missing=%zu "
           "unexpected=%zu seconds=%.3f rate=%.0f msg/s p50=%.1fus p99=%.1fus p999=%.1fus\n",
           sync ? "sync" : "pipelined", inflight, meas.sent, meas.replies, meas.errors, missing,
           meas.unexpected, seconds, rate, quantile_us(meas.lat_ns, meas.replies, 0.50),
           quantile_us(meas.lat_ns, meas.replies, 0.99),
           quantile_us(meas.lat_ns, meas.replies, 0.999));
    if (fflush(stdout) != 0) {
        perror("loadgen: stdout");
        goto out;
    }
    if (missing != 0 || meas.unexpected != 0) {
        fprintf(stderr,
                "loadgen: %zu of %zu replies missing after waiting %.1f s, %zu unexpected\n",
                missing, meas.sent, straggle_s, meas.unexpected);
        goto out;
    }
    rc = 0;

out:
    if (sock != NULL && zmq_close(sock) != 0) {
        fprintf(stderr, "loadgen: zmq_close: %s\n", zmq_strerror(errno));
        rc = 1;
    }
    if (ctx != NULL) {
        while (zmq_ctx_term(ctx) != 0) {
            if (errno != EINTR) {
                fprintf(stderr, "loadgen: zmq_ctx_term: %s\n", zmq_strerror(errno));
                rc = 1;
                break;
            }
        }
    }
    run_free(&warm);
    run_free(&meas);
    free(buf);
    reqs_free(&rq);
    return rc;
}
