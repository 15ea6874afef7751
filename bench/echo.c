/* SPDX-License-Identifier: Apache-2.0 */
/* echo.c -- a bare ZeroMQ ROUTER echo server: the baseline vetd is measured against.
 *
 * usage: echo [-p BYTES] ENDPOINT...
 * Binds a ROUTER socket on every endpoint and sends each multipart message
 * back unchanged (the routing identity first, so it returns to its sender).
 * With -p, the last frame is padded with spaces to BYTES (JSON stays valid):
 * a baseline whose replies are as large as vetd's, which are ~8x larger
 * than the requests.
 * Single thread, explicit high-water marks; SIGTERM/SIGINT stop it cleanly
 * (exit 0), a failed bind or socket error exits 1. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#define HWM 100000

/* Set by the signal handler only; main's loop checks it after every EINTR. */
static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Installed without SA_RESTART so a blocking zmq_msg_recv returns EINTR. */
static int
install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
        perror("echo: sigaction");
        return -1;
    }
    return 0;
}

static int
set_int(void *sock, int option, int value, const char *name)
{
    if (zmq_setsockopt(sock, option, &value, sizeof value) != 0) {
        fprintf(stderr, "echo: zmq_setsockopt %s: %s\n", name, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Receives one multipart message and sends every frame straight back.
 * Returns 1 after a whole message, 0 when stopped by a signal, -1 on error. */
static int
echo_one(void *sock, zmq_msg_t *msg, size_t pad)
{
    for (;;) {
        if (zmq_msg_recv(msg, sock, 0) < 0) {
            if (errno == EINTR) {
                if (stop_requested)
                    return 0;
                continue;
            }
            fprintf(stderr, "echo: zmq_msg_recv: %s\n", zmq_strerror(errno));
            return -1;
        }
        int more = zmq_msg_more(msg);
        if (!more && pad > zmq_msg_size(msg)) {
            zmq_msg_t big;
            if (zmq_msg_init_size(&big, pad) != 0) {
                fprintf(stderr, "echo: zmq_msg_init_size: %s\n", zmq_strerror(errno));
                return -1;
            }
            memcpy(zmq_msg_data(&big), zmq_msg_data(msg), zmq_msg_size(msg));
            memset((char *)zmq_msg_data(&big) + zmq_msg_size(msg), ' ', pad - zmq_msg_size(msg));
            zmq_msg_close(msg);
            zmq_msg_init(msg);
            zmq_msg_move(msg, &big);
        }
        /* A ROUTER drops what it cannot route, so a send fails only if the
         * context goes away; EINTR mid-message would lose the rest of it,
         * hence the retry. */
        while (zmq_msg_send(msg, sock, more ? ZMQ_SNDMORE : 0) < 0) {
            if (errno != EINTR) {
                fprintf(stderr, "echo: zmq_msg_send: %s\n", zmq_strerror(errno));
                return -1;
            }
        }
        if (!more)
            return 1;
    }
}

int
main(int argc, char **argv)
{
    size_t pad = 0;
    int first = 1;
    if (argc >= 3 && strcmp(argv[1], "-p") == 0) {
        char *end;
        long v = strtol(argv[2], &end, 10);
        if (*end != '\0' || v < 0 || v > (1L << 24)) {
            fprintf(stderr, "echo: -p: expected a byte count, not \"%s\"\n", argv[2]);
            return 2;
        }
        pad = (size_t)v;
        first = 3;
    }
    if (argc <= first || argv[first][0] == '-') {
        fprintf(stderr, "usage: echo [-p BYTES] ENDPOINT...\n");
        return 2;
    }
    if (install_signals() != 0)
        return 1;

    int rc = 1;
    void *ctx = zmq_ctx_new();
    if (ctx == NULL) {
        fprintf(stderr, "echo: zmq_ctx_new: %s\n", zmq_strerror(errno));
        return 1;
    }
    void *sock = zmq_socket(ctx, ZMQ_ROUTER);
    if (sock == NULL) {
        fprintf(stderr, "echo: zmq_socket: %s\n", zmq_strerror(errno));
        goto out_ctx;
    }
    if (set_int(sock, ZMQ_SNDHWM, HWM, "ZMQ_SNDHWM") != 0 ||
        set_int(sock, ZMQ_RCVHWM, HWM, "ZMQ_RCVHWM") != 0 ||
        set_int(sock, ZMQ_LINGER, 0, "ZMQ_LINGER") != 0)
        goto out_sock;
    for (int i = first; i < argc; i++) {
        if (zmq_bind(sock, argv[i]) != 0) {
            fprintf(stderr, "echo: zmq_bind %s: %s\n", argv[i], zmq_strerror(errno));
            goto out_sock;
        }
    }

    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0) {
        fprintf(stderr, "echo: zmq_msg_init: %s\n", zmq_strerror(errno));
        goto out_sock;
    }
    unsigned long long count = 0;
    int r;
    while (!stop_requested && (r = echo_one(sock, &msg, pad)) != 0) {
        if (r < 0)
            break;
        count++;
    }
    if (stop_requested) {
        rc = 0;
        fprintf(stderr, "echo: stopped after %llu messages\n", count);
    }
    if (zmq_msg_close(&msg) != 0) {
        fprintf(stderr, "echo: zmq_msg_close: %s\n", zmq_strerror(errno));
        rc = 1;
    }

out_sock:
    if (zmq_close(sock) != 0) {
        fprintf(stderr, "echo: zmq_close: %s\n", zmq_strerror(errno));
        rc = 1;
    }
out_ctx:
    while (zmq_ctx_term(ctx) != 0) {
        if (errno != EINTR) {
            fprintf(stderr, "echo: zmq_ctx_term: %s\n", zmq_strerror(errno));
            rc = 1;
            break;
        }
    }
    return rc;
}
