/* SPDX-License-Identifier: Apache-2.0 */
/* dconf.h -- the daemon's settings: defaults, the -c vetd.cfg file
 * (libconfig) and flag overrides, from one table of settings. */
#ifndef VET_DCONF_H
#define VET_DCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"

#define DCONF_MAX_LIST 16 /* endpoints and mask entries */

/* limits.max_message_bytes must exceed limits.max_request_bytes by at
 * least this much: a request a little over its limit must still reach
 * the daemon, to get its too_large reply, rather than make libzmq drop
 * the connection with no reply at all. */
#define DCONF_FRAME_OVERHEAD 4096

/* The request fields the audit record can mask, as proto_write_request
 * matches them: an entry masks the field it names or, for a group, every
 * field the group holds. "context.KEY" (one context key, of at most
 * DCONF_MASK_KEY_MAX bytes like every context key) is allowed besides.
 * proto.c has no list of its own: this is the one. X(name) */
#define DCONF_MASK_FIELDS(X)                                                                       \
    X("partner")                                                                                   \
    X("partner.name")                                                                              \
    X("partner.aliases")                                                                           \
    X("partner.country")                                                                           \
    X("partner.region")                                                                            \
    X("partner.ids")                                                                               \
    X("partner.birth_date")                                                                        \
    X("partner.nationality")                                                                       \
    X("text")                                                                                      \
    X("context")
#define DCONF_MASK_KEY_MAX 128 /* proto.c's PROTO_MAX_KEY */

/* Every value is owned by the dconf_t (strings are copies). */
typedef struct dconf {
    char *endpoints[DCONF_MAX_LIST]; /* bind endpoints (tcp://, ipc://) */
    size_t n_endpoints;
    int workers;                      /* worker threads; 0: one per core */
    char *rules;                      /* ruleset directory */
    char *profile;                    /* default profile of a screen that names
                                       * none, or NULL: the ruleset's default */
    bool require_rules;               /* refuse to start without a valid ruleset */
    char *log_level;                  /* "error" "warning" "info" "debug" */
    bool syslog;                      /* log through syslog(3) instead of stderr */
    long max_request;                 /* bytes; larger requests get too_large */
    long max_message;                 /* bytes; libzmq drops a peer sending more */
    int hwm;                          /* ZeroMQ high-water marks, messages */
    int max_queued_replies;           /* replies queued per peer before they are dropped */
    int max_inflight;                 /* requests dispatched to workers at once */
    int drain_ms;                     /* at most this long to drain on SIGTERM */
    int drain_quiet_ms;               /* draining: stop once no request came for this long */
    int reload_max_shrink;            /* percent; a reload losing more of a list is refused */
    int handshake_ms;                 /* ZMQ_HANDSHAKE_IVL */
    int heartbeat_ms;                 /* ZMQ_HEARTBEAT_IVL (timeout 3x); 0: off */
    int fd_reserve;                   /* descriptors kept free: refuse connections below */
    char *reviews_path;               /* the review register the daemon owns; "-" for none */
    char *audit_path;                 /* JSON-lines audit log; "-" for none */
    char *audit_fsync;                /* "always" "interval" "never" */
    int audit_interval_ms;            /* with "interval" */
    int audit_queue;                  /* records queued before workers wait */
    char *audit_on_failure;           /* "refuse" "answer": replies when the log fails */
    char *audit_mask[DCONF_MAX_LIST]; /* request fields kept out of the log */
    size_t n_audit_mask;
    char *curve_secret;  /* the server's secret certificate; NULL: no CURVE */
    char *curve_clients; /* directory of screening clients' public certificates */
    char *curve_admins;  /* directory of admin clients' public certificates */
    bool allow_insecure; /* bind non-loopback TCP without CURVE */
    bool admin_anywhere; /* without CURVE, admin ops from any TCP peer */
    char *user;          /* drop to this user after binding; NULL: stay */
    char *pidfile;       /* written after binding, removed at exit; NULL: none */
    char *connect;       /* a broker's worker endpoint to connect to; NULL: none */
    bool allow_root;     /* run as root without user */
} dconf_t;

/* The defaults (DESIGN.md §3): tcp://127.0.0.1:7470, one worker per
 * core, audit to vetd-audit.jsonl with fsync every 200 ms, refusing to
 * answer when the audit log fails. Caller owns it (dconf_destroy); NULL
 * on OOM. */
dconf_t *dconf_new(const char *default_rules);
void dconf_destroy(dconf_t **cp);

/* Reads settings from the libconfig file path over the current values.
 * Returns 0, or -1 with every error in d ("file:line: message": syntax,
 * unknown setting with a suggestion, wrong type, out of range, a bad
 * endpoint or mask entry, an empty endpoints list, limits that do not
 * fit together). On -1 some values may have changed: discard c. */
int dconf_load(dconf_t *c, const char *path, diag_t *d);

/* Sets one setting by its name in the file ("workers", "audit.path",
 * "endpoints" appends) from a flag's text. Returns 0 or -1 with a
 * message in err (c unchanged). Settings that depend on each other are
 * checked by dconf_check, once every flag is in. */
int dconf_set(dconf_t *c, const char *name, const char *value, char *err, size_t errlen);

/* Checks the settings as a whole, for after the flags: every list entry
 * valid, no list shorter than it may be, the limits consistent. Returns
 * 0, or -1 with every error in d (without a location: the values may
 * come from anywhere). */
int dconf_check(const dconf_t *c, diag_t *d);

/* Empties a list setting ("endpoints"): the first -e flag replaces the
 * file's endpoints instead of adding to them. */
void dconf_clear_list(dconf_t *c, const char *name);

/* Writes the settings in the file's syntax (for `vetd --print-config`). */
void dconf_print(const dconf_t *c, FILE *f);

#endif
