/* SPDX-License-Identifier: Apache-2.0 */
/* vet.h -- libvet, the C client of the vetd daemon: send JSON requests
 * over ZeroMQ and get JSON replies, with a deadline that is never
 * overrun, Lazy Pirate retries and pipelined batches.
 *
 *   vet_client_t *c = vet_client_new("tcp://127.0.0.1:7470");
 *   if (c == NULL) { perror("vet_client_new"); exit(1); }
 *   char *reply;
 *   if (vet_screen(c, "{\"partner\":{\"name\":\"x\"}}", 3000, &reply) != VET_OK)
 *       fprintf(stderr, "%s\n", vet_client_error(c));
 *   else { puts(reply); vet_free(reply); }
 *   vet_client_destroy(&c);
 *
 * The library deals in JSON text only (the wire format is
 * docs/PROTOCOL.md); it neither parses nor builds JSON. Every field of a
 * request is the caller's JSON, the jurisdiction profile to judge by
 * included ("profile":"ca-tri-agency"; the reply's "profile" names the
 * one that judged), and every op is a request like a screening one
 * ({"op":"profiles"} lists the profiles). A client is one ZeroMQ
 * endpoint and must be used by one thread at a time (ZeroMQ sockets are
 * not thread-safe); use one client per thread. */
#ifndef VET_H
#define VET_H

#include <stddef.h>

#include "vet_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes of every action: VET_OK, or a negative error whose
 * message vet_client_error() gives. X(enum, value, name) */
#define VET_RCS(X)                                                                                 \
    X(VET_OK, 0, "ok")                                                                             \
    X(VET_ETIMEOUT, -1, "timeout")  /* no answer before the deadline */                            \
    X(VET_EINVAL, -2, "invalid")    /* bad argument or misuse */                                   \
    X(VET_ENOMEM, -3, "nomem")      /* out of memory */                                            \
    X(VET_EZMQ, -4, "zmq")          /* a ZeroMQ call failed */                                     \
    X(VET_EPROTO, -5, "proto")      /* a reply not framed [empty, json] */                         \
    X(VET_EINTR, -6, "interrupted") /* a signal interrupted the wait */

typedef enum vet_rc {
#define X(e, v, s) e = v,
    VET_RCS(X)
#undef X
} vet_rc_t;

/* The short name of a return code ("timeout", ...); "unknown" for a
 * value that is none. Static string. */
VET_API const char *vet_strerror(int rc);

typedef struct vet_client vet_client_t;

/* The endpoint of a client given none and no $VET_ENDPOINT. */
#define VET_DEFAULT_ENDPOINT "tcp://127.0.0.1:7470"

/* Creates a client of the vetd at endpoint ("tcp://host:port",
 * "ipc:///path"), with its own ZeroMQ context. Connects at once in the
 * background: a daemon that is not up yet is found when it comes up.
 * endpoint may be a comma-separated list ("tcp://a:7470,tcp://b:7470"):
 * requests are spread over the daemons that are up, and a retry after a
 * timeout goes to one that answers (docs/DEPLOY.md). NULL: $VET_ENDPOINT
 * when set, else VET_DEFAULT_ENDPOINT. Caller owns the client
 * (vet_client_destroy). Returns NULL and sets errno on an invalid
 * endpoint (EINVAL, EPROTONOSUPPORT, ... as zmq_connect does) or when
 * out of memory (ENOMEM). */
VET_API vet_client_t *vet_client_new(const char *endpoint);

/* Same, using the caller's ZeroMQ context zctx (borrowed: it must
 * outlive the client, and zmq_ctx_term on it waits for the client to be
 * destroyed). */
VET_API vet_client_t *vet_client_new_ctx(void *zctx, const char *endpoint);

/* Closes the client's sockets (unsent requests and unreceived replies
 * are dropped at once: linger 0), terminates its own context, frees it
 * and sets *cp to NULL. Accepts NULL and *cp == NULL. */
VET_API void vet_client_destroy(vet_client_t **cp);

/* Extra attempts vet_call makes after an attempt gets no answer
 * (default 1; 0 for requests that must not be repeated, such as
 * "reload"). Negative values count as 0. */
VET_API void vet_client_set_retries(vet_client_t *c, int retries);

/* The endpoint the client talks to; borrowed, valid as long as c. */
VET_API const char *vet_client_endpoint(const vet_client_t *c);

/* The message of the last error, e.g. "vetd not answering at
 * tcp://127.0.0.1:7470: timed out after 3000 ms"; "" if none yet.
 * Borrowed, valid until the next call on c. */
VET_API const char *vet_client_error(const vet_client_t *c);

/* Sends one request (len bytes of JSON, any op) and waits for its
 * reply, at most timeout_ms (> 0) in all. The deadline is split evenly
 * over the attempts (retries + 1). An attempt that gets no answer in
 * its share is abandoned the Lazy Pirate way: the socket is closed and
 * a fresh one connected before the request is sent again, so a late
 * reply to an old attempt is never taken for the answer to a new one.
 *
 * On VET_OK sets *reply to the reply (NUL-terminated, *reply_len bytes
 * without the NUL if reply_len is not NULL); caller owns it and frees
 * it with vet_free() (or free()). On error *reply is NULL and
 * vet_client_error() tells why: VET_ETIMEOUT (no daemon answered, or it
 * could not even be reached), VET_EINVAL, VET_ENOMEM, VET_EZMQ,
 * VET_EPROTO, VET_EINTR (not retried).
 *
 * vet_call uses a socket of its own, apart from the one of
 * vet_submit/vet_receive, so calls may be made between a submit and its
 * receive without mixing up replies. */
VET_API int vet_call(vet_client_t *c, const char *request, size_t len, int timeout_ms, char **reply,
                     size_t *reply_len);

/* vet_call for a NUL-terminated request (a screening request, or any
 * op); the reply is NUL-terminated, caller frees it with vet_free(). */
VET_API int vet_screen(vet_client_t *c, const char *request, int timeout_ms, char **reply);

/* Pipelining, for batches: vet_submit queues one request (len bytes of
 * JSON) without waiting for its reply; vet_receive returns the next
 * reply, in whatever order the daemon answers, so give each request a
 * distinct "id" and match the replies by it. No retries here: a reply
 * that never comes is the caller's to handle (vet_client_reset drops
 * what is outstanding).
 *
 * vet_submit waits at most timeout_ms (>= 0; 0 = do not wait) for room
 * to send: VET_ETIMEOUT if the daemon cannot be reached or up to 10,000
 * requests are already queued unsent. Replies are buffered without
 * limit until received, so a caller may submit a whole batch before
 * receiving any; memory grows with the replies not yet received.
 * request is copied; the caller keeps it. */
VET_API int vet_submit(vet_client_t *c, const char *request, size_t len, int timeout_ms);

/* Waits at most timeout_ms (>= 0) for the next reply to a submitted
 * request. On VET_OK sets *reply (NUL-terminated, *reply_len bytes if
 * reply_len is not NULL), caller frees with vet_free(). VET_EINVAL when
 * no request is outstanding, VET_ETIMEOUT when none came in time (the
 * request stays outstanding). */
VET_API int vet_receive(vet_client_t *c, int timeout_ms, char **reply, size_t *reply_len);

/* Requests submitted whose replies have not been received yet. */
VET_API size_t vet_client_pending(const vet_client_t *c);

/* Drops every outstanding request and reply (closes both sockets; new
 * ones are opened when next needed). Returns VET_OK, or VET_EZMQ. */
VET_API int vet_client_reset(vet_client_t *c);

/* Talks to a daemon that requires CURVE (docs/SECURITY.md): encrypts
 * every request and reply and authenticates the client by its key.
 * server_key is the daemon's public key: 40 Z85 characters, or a
 * certificate file in czmq's zcert format (`vetd keygen` writes PATH);
 * client_key is the client's secret key: 40 Z85 characters, or its
 * secret certificate file (PATH_secret; the public key is derived from
 * the secret one). Both strings are borrowed. Drops every outstanding
 * request (as vet_client_reset): call it before the first request.
 * Returns VET_OK, VET_EINVAL (a key that cannot be read; why in
 * vet_client_error) or VET_EZMQ.
 *
 * A client whose caller sets no keys reads the environment when it is
 * created: VET_SERVER_KEY and VET_CLIENT_KEY (the same forms), so that
 * programs built on libvet (vet, vet batch) speak CURVE unchanged. If
 * they are set and do not load, every request fails with VET_EINVAL and
 * the reason, never falling back to plain text. A daemon that does not
 * allow the key answers nothing: requests time out. */
VET_API int vet_client_set_curve(vet_client_t *c, const char *server_key, const char *client_key);

/* Frees a reply of vet_call, vet_screen or vet_receive; NULL is fine. */
VET_API void vet_free(void *p);

#ifdef __cplusplus
}
#endif

#endif
