/* SPDX-License-Identifier: Apache-2.0 */
/* ureload.h -- asks the running vetd to reload its ruleset and confirms,
 * with the version op, that it serves the digest just installed (libvet;
 * docs/PROTOCOL.md, "reload" and "version"). */
#ifndef VET_UPDATE_URELOAD_H
#define VET_UPDATE_URELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

typedef enum ureload_rc {
    URELOAD_CONFIRMED,  /* reloaded, and `version` names the digest wanted */
    URELOAD_REFUSED,    /* the daemon answered that the reload failed a gate */
    URELOAD_MISMATCH,   /* it reloaded, but serves another digest (another -r?) */
    URELOAD_UNREACHABLE /* no answer in time, or no daemon at the endpoint */
} ureload_rc_t;

/* The digest vetd at endpoint serves, into digest (65 bytes; "" if it
 * serves none). Returns 0, or -1 with why in err (not answering within
 * timeout_ms, a bad endpoint, a reply that is not a version reply). */
int ureload_serving(const char *endpoint, int timeout_ms, char *digest, sbuf_t *err);

/* Sends {"op":"reload"} (with "force":true if force) once, waiting up to
 * timeout_ms, then asks `version` whether the digest served starts with
 * want (hex, 12 to 64 digits). msg gets one line: the digest confirmed,
 * or the daemon's errors, or why it could not be asked. */
ureload_rc_t ureload_run(const char *endpoint, bool force, int timeout_ms, const char *want,
                         sbuf_t *msg);

#endif
