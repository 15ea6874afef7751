/* SPDX-License-Identifier: Apache-2.0 */
/* curvebench.c -- what CURVE costs a vetd client: the handshake, and the
 * per-request cost in sync and pipelined use, measured through libvet.
 *
 * usage: curvebench -e ENDPOINT [-n COUNT] [-c INFLIGHT] [-k CONNECTS] FILE.jsonl
 *
 * Speaks CURVE when VET_SERVER_KEY and VET_CLIENT_KEY name the keys
 * (libvet reads them), plain text otherwise: run it once each way against
 * a plain and a CURVE daemon (tools/curvebench/curve-bench.sh does, and
 * prints the ratios). Sends the requests of FILE (one JSON object per
 * line) in turn: CONNECTS new connections each answering one ping (the
 * handshake: connect, greeting, CURVE's key exchange, ZAP), COUNT
 * requests one at a time, then COUNT pipelined with INFLIGHT outstanding.
 * Prints one result line:
 *   curvebench: connect_p50=310.2us sync_p50=95.1us sync_p99=180.3us
 *   pipelined=21000 msg/s errors=0
 * Exit 0, 1 on a failure (a request unanswered), 2 on a usage error. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "vet.h"

#define MAX_LINES 4096
#define TIMEOUT_MS 10000

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of n sorted values, in µs. */
static double
quantile_us(const uint64_t *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)(n - 1));
    return (double)v[i] / 1000.0;
}

int
main(int argc, char **argv)
{
    const char *ep = NULL;
    long count = 2000, inflight = 64, connects = 200;
    int opt;
    while ((opt = getopt(argc, argv, "e:n:c:k:")) != -1) {
        switch (opt) {
        case 'e': ep = optarg; break;
        case 'n': count = atol(optarg); break;
        case 'c': inflight = atol(optarg); break;
        case 'k': connects = atol(optarg); break;
        default:
            ep = NULL;
            optind = argc + 1;
            break;
        }
    }
    if (ep == NULL || optind != argc - 1 || count < 1 || inflight < 1 || connects < 1) {
        fprintf(stderr, "usage: curvebench -e ENDPOINT [-n COUNT] [-c INFLIGHT] [-k CONNECTS] "
                        "FILE.jsonl\n");
        return 2;
    }
    FILE *f = fopen(argv[optind], "r");
    if (f == NULL) {
        perror(argv[optind]);
        return 1;
    }
    static char *lines[MAX_LINES];
    size_t n_lines = 0;
    char buf[65536];
    while (n_lines < MAX_LINES && fgets(buf, sizeof buf, f) != NULL) {
        buf[strcspn(buf, "\r\n")] = '\0';
        if (buf[0] == '{' && (lines[n_lines] = strdup(buf)) != NULL)
            n_lines++;
    }
    fclose(f);
    if (n_lines == 0) {
        fprintf(stderr, "curvebench: %s: no requests\n", argv[optind]);
        return 1;
    }
    uint64_t *lat = calloc((size_t)(count > connects ? count : connects), sizeof *lat);
    void *ctx = zmq_ctx_new();
    if (lat == NULL || ctx == NULL) {
        fprintf(stderr, "curvebench: out of memory\n");
        return 1;
    }
    int rc = 0;
    size_t errors = 0;
    char *reply = NULL;

    /* The handshake: a new connection answering one ping, each time. */
    for (long i = 0; i < connects && rc == 0; i++) {
        uint64_t t0 = now_ns();
        vet_client_t *c = vet_client_new_ctx(ctx, ep);
        if (c == NULL || vet_screen(c, "{\"op\":\"ping\"}", TIMEOUT_MS, &reply) != VET_OK) {
            fprintf(stderr, "curvebench: ping: %s\n", c ? vet_client_error(c) : strerror(errno));
            rc = 1;
        }
        lat[i] = now_ns() - t0;
        vet_free(reply);
        vet_client_destroy(&c);
    }
    qsort(lat, (size_t)connects, sizeof *lat, cmp_u64);
    double connect_p50 = quantile_us(lat, (size_t)connects, 0.5);

    vet_client_t *c = vet_client_new_ctx(ctx, ep);
    if (c == NULL)
        rc = 1;
    /* Sync: one request at a time, on a connection already made. */
    for (long i = 0; i < count && rc == 0; i++) {
        const char *req = lines[(size_t)i % n_lines];
        uint64_t t0 = now_ns();
        if (vet_screen(c, req, TIMEOUT_MS, &reply) != VET_OK) {
            fprintf(stderr, "curvebench: %s\n", vet_client_error(c));
            rc = 1;
        }
        lat[i] = now_ns() - t0;
        errors += reply != NULL && strstr(reply, "\"error\":") != NULL;
        vet_free(reply);
    }
    qsort(lat, (size_t)count, sizeof *lat, cmp_u64);
    double sync_p50 = quantile_us(lat, (size_t)count, 0.5);
    double sync_p99 = quantile_us(lat, (size_t)count, 0.99);

    /* Pipelined: INFLIGHT outstanding until COUNT are answered. */
    long sent = 0, got = 0;
    uint64_t t0 = now_ns();
    while (got < count && rc == 0) {
        while (sent < count && sent - got < inflight) {
            const char *req = lines[(size_t)sent % n_lines];
            if (vet_submit(c, req, strlen(req), TIMEOUT_MS) != VET_OK) {
                fprintf(stderr, "curvebench: %s\n", vet_client_error(c));
                rc = 1;
                break;
            }
            sent++;
        }
        if (rc == 0 && vet_receive(c, TIMEOUT_MS, &reply, NULL) != VET_OK) {
            fprintf(stderr, "curvebench: %s\n", vet_client_error(c));
            rc = 1;
        }
        got += rc == 0;
        errors += reply != NULL && strstr(reply, "\"error\":") != NULL;
        vet_free(reply);
        reply = NULL;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    vet_client_destroy(&c);
    zmq_ctx_term(ctx);
    if (rc == 0)
        printf("curvebench: connect_p50=%.1fus sync_p50=%.1fus sync_p99=%.1fus pipelined=%.0f "
               "msg/s errors=%zu\n",
               connect_p50, sync_p50, sync_p99, (double)count / secs, errors);
    for (size_t i = 0; i < n_lines; i++)
        free(lines[i]);
    free(lat);
    return rc;
}
