/* SPDX-License-Identifier: Apache-2.0 */
/* zap.h -- the daemon's ZAP handler (ZeroMQ RFC 27): a thread answering
 * libzmq's authentication requests for CURVE clients from the allow-lists
 * (keys.h). An allowed client gets its key's name as User-Id and its role
 * as the ZAP_ROLE property of every message it sends; any other is
 * refused, so its requests never reach the daemon and it gets no reply. */
#ifndef VET_ZAP_H
#define VET_ZAP_H

#include <stdint.h>

#include "keys.h"
#include "vlog.h"

/* The message property (zmq_msg_gets) that carries the client's role,
 * ZAP_ROLE_ADMIN or ZAP_ROLE_SCREEN. The ZAP handler sets it on every
 * connection it allows, and libzmq lets the ZAP reply's properties win
 * over any a client sends, so a client cannot name its own role. */
#define ZAP_ROLE "Vetd-Role"
#define ZAP_ROLE_ADMIN "admin"
#define ZAP_ROLE_SCREEN "screen"
#define ZAP_DOMAIN "vetd" /* ZMQ_ZAP_DOMAIN of the daemon's ROUTER */

typedef struct zap zap_t;

/* Binds inproc://zeromq.zap.01 in zctx (before any CURVE socket of zctx
 * accepts a connection) and starts the handler thread. clients and
 * admins (either may be NULL: none) become the handler's: keys of
 * admins are allowed and admin, keys of clients allowed and screen-only.
 * log is borrowed and must outlive the handler. Returns the handler
 * (caller owns it: zap_destroy before zmq_ctx_term), or NULL with why in
 * err (clients and admins are freed then too). */
zap_t *zap_new(void *zctx, vlog_t *log, keys_t *clients, keys_t *admins, char *err, size_t errlen);

/* Replaces the allow-lists (takes ownership of both; the old ones are
 * freed). Connections already allowed stay connected: a revoked key is
 * refused from its next connection on. Any thread. */
void zap_set_keys(zap_t *z, keys_t *clients, keys_t *admins);

/* Connections refused, and allowed, since the start. Any thread. */
uint64_t zap_refused(const zap_t *z);
uint64_t zap_allowed(const zap_t *z);

/* Stops the thread, closes its socket and frees everything; accepts
 * NULL; nulls *zp. */
void zap_destroy(zap_t **zp);

#endif
