/* SPDX-License-Identifier: Apache-2.0 */
/* proto.h -- the wire format (DESIGN.md §3, docs/PROTOCOL.md): JSON
 * request -> request_t, result_t -> JSON reply. Used unchanged by
 * `vetd --screen` and by the daemon's workers. */
#ifndef VET_PROTO_H
#define VET_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "request.h"
#include "ruleset.h"
#include "sbuf.h"

/* Parses len bytes of JSON (need not be NUL-terminated) into *req, with
 * every string copied into a (valid until it is reset). Returns 0, or -1
 * with *code (ERR_BAD_REQUEST, ERR_UNKNOWN_OP, ERR_TOO_LARGE) and *msg
 * (allocated in a, naming the field: "partner.name: expected a string",
 * "unknown field \"techs\"", "invalid JSON at byte 17"). req->id is set
 * whenever the id could be read, even on error, so the error reply can
 * echo it. Unknown top-level and partner fields are errors; anything
 * goes inside context (string, number or bool values; bools read as
 * "true"/"false"). Requests over max_len bytes (0: no limit) are
 * ERR_TOO_LARGE without being parsed. */
int proto_parse(const char *json, size_t len, size_t max_len, arena_t *a, request_t *req,
                req_err_t *code, const char **msg);

struct cJSON;

/* Reads a request that is already a cJSON tree (root: borrowed, not
 * changed) by the same code and rules as proto_parse, with the same
 * messages: the entry point for requests not written as JSON text (a
 * ruleset test case, written in libconfig syntax, rtest.c). Strings are
 * copied into a. Returns 0, or -1 with *code (ERR_BAD_REQUEST,
 * ERR_UNKNOWN_OP; ERR_INTERNAL with "out of memory") and *msg (in a, or
 * static). What only text can carry is proto_parse's to check: the size
 * limit, JSON syntax, and a \u0000 inside a string. */
int proto_parse_tree(const struct cJSON *root, arena_t *a, request_t *req, req_err_t *code,
                     const char **msg);

/* Appends the reply to a screened request (one JSON object, no newline). */
void proto_write_result(sbuf_t *b, const ruleset_t *rs, const request_t *req, const result_t *res,
                        uint64_t elapsed_us);

/* Opens a reply object: "{" and, when id is not NULL, its "id" member
 * and a comma. Every reply proto writes starts so. */
void proto_open_reply(sbuf_t *b, const char *id);

/* Appends an error reply: {"id":...,"error":{"code":...,"message":...}};
 * id may be NULL (omitted). */
void proto_write_error(sbuf_t *b, const char *id, req_err_t code, const char *msg);

/* Appends the taxonomy reply ({"categories":[...],"activities":[...],
 * "verdicts":[...]}), with the id if not NULL. */
void proto_write_taxonomy(sbuf_t *b, const ruleset_t *rs, const char *id);

/* Writes the reply to {"op":"profiles"}: the default profile (dflt, the
 * caller's default, when not NULL: it must be one of rs's; else the
 * ruleset's default_profile) and every profile with its label,
 * description and rule ids (policy order). */
void proto_write_profiles(sbuf_t *b, const ruleset_t *rs, const char *id, const char *dflt);

/* Appends req in the wire format (a valid request that screens the
 * same), for the audit log. Fields named in mask (n_mask of them:
 * "partner.name", "partner.aliases", "partner.country", "partner.ids",
 * "text", "context" or "context.KEY"; a group masks what it holds)
 * are written as "***". */
void proto_write_request(sbuf_t *b, const request_t *req, const char *const *mask, size_t n_mask);

/* Appends review entry r of the register as a JSON object: every field
 * it has (id, decision, entity, name, country, activity, rule, by, on,
 * reason, expires, ref, expired_on, expired_by, expired_why), then
 * "state" (and "inert": why) when state is not NULL. */
void proto_write_review(sbuf_t *b, const rs_review_t *r, const char *state);

/* Appends the members of an audit record that say what res decided
 * (",\"verdict\":...,\"profile\":...,\"score\":...,\"rules\":[ids],
 * \"partners\":[ids],\"matches\":[{entity,matched,method,score}]" (matched
 * "***" when mask, n_mask entries, masks the partner's names or ids), then
 * ",\"reviewed\":[...]" when the review register changed it). */
void proto_write_audit_result(sbuf_t *b, const ruleset_t *rs, const request_t *req,
                              const result_t *res, const char *const *mask, size_t n_mask);

/* ==== Admin replies (engine/proto_admin.c) ==============================
 * The daemon's admin ops (ping, version, stats, reload) answer in the
 * wire format too. The daemon gathers what a reply says into the plain
 * records below (everything borrowed, for the duration of the call);
 * these functions only write it. Each appends one JSON object, no
 * newline, starting with "id" when id is not NULL; on OOM the buffer's
 * sticky flag is set (sbuf.h). docs/PROTOCOL.md shows every reply. */

#include <stdbool.h>
#include <time.h>

/* Appends {"id":..,"ok":true}. */
void proto_write_ping(sbuf_t *b, const char *id);

/* What the version reply says. */
typedef struct proto_version {
    const char *server;  /* the daemon's version ("0.2.0"), as "vetd" */
    int protocol;        /* revision of the wire format */
    int zmq[3];          /* libzmq's major, minor and patch version */
    const ruleset_t *rs; /* the ruleset serving; NULL: none */
    uint64_t load_us;    /* how long rs took to load */
} proto_version_t;

/* Appends {"id":..,"vetd":..,"protocol":..,"zmq":"X.Y.Z","ruleset":R},
 * where R, here and in the replies below, describes a ruleset:
 * {"version","digest","content","loaded_at","load_ms","bytes",
 * "lists":[{"id","as_of","max_age_days"?,"entries","stale"}],
 * "organisations","rules"}, or null for none. */
void proto_write_version(sbuf_t *b, const char *id, const proto_version_t *v);

#define PROTO_STATS_VERDICTS 8 /* verdict indexes a counters record holds */

/* The request counters of the stats reply, summed over the workers. */
typedef struct proto_counters {
    uint64_t by_op[REQ_OP_COUNT + 1];          /* requests by op; the last: unreadable */
    uint64_t by_verdict[PROTO_STATS_VERDICTS]; /* verdicts by index; higher
                                                * indexes are counted in the last */
    uint64_t by_err[ERR_COUNT];                /* error replies by code ([ERR_NONE] unused) */
    uint64_t p50_us;                           /* latency quantiles (upper bounds) */
    uint64_t p99_us;
    uint64_t p999_us;
    uint64_t max_us;             /* the largest latency, exact */
    uint64_t undeliverable;      /* replies that could not be delivered */
    uint64_t undeliverable_gone; /* of which: the client had left */
} proto_counters_t;

/* Appends the counters as JSON members, no braces:
 * "requests":N,"by_op":{...,"unreadable":N},"by_verdict":{...},
 * "by_error":{...},"latency_us":{"p50","p99","p999","max"},
 * "undeliverable":N,"undeliverable_by":{"gone":N,"not_reading":N}.
 * verdict_names (n_verdicts of them) name the verdict indexes; NULL
 * writes "verdict_<i>". by_verdict lists each named index, and every
 * other index with a count. */
void proto_write_counters(sbuf_t *b, const proto_counters_t *c, const char *const *verdict_names,
                          size_t n_verdicts);

/* The audit log's part of the stats reply. */
typedef struct proto_audit_stats {
    const char *path;       /* audit.path */
    uint64_t written;       /* records written to the file */
    bool healthy;           /* its writes succeed */
    const char *on_failure; /* audit.on_failure */
    uint64_t refused;       /* screens refused: their record could not be kept */
    uint64_t unaudited;     /* requests answered without a record */
    uint64_t dropped;       /* records the log did not take */
} proto_audit_stats_t;

/* What the stats reply says. */
typedef struct proto_stats {
    uint64_t uptime_us; /* since the daemon started */
    time_t started_at;  /* wall clock at start */
    size_t workers;     /* worker threads */
    const proto_counters_t *counters;
    uint64_t reloads_ok;              /* reloads that swapped a ruleset in */
    uint64_t reloads_failed;          /* reloads a gate refused */
    const ruleset_t *rs;              /* the ruleset serving (its verdict names
                                       * name the counters); NULL: none */
    uint64_t load_us;                 /* how long rs took to load */
    bool listening;                   /* endpoints bound (false: out of descriptors) */
    long fds;                         /* descriptors open at the last count */
    long fd_limit;                    /* the descriptor limit */
    uint64_t refusals;                /* times the endpoints were closed for lack of fds */
    uint64_t handshake_failures;      /* connections refused at the CURVE handshake (ZAP) */
    const proto_audit_stats_t *audit; /* NULL: the audit log is off */
} proto_stats_t;

/* Appends {"id":..,"uptime_s":..,"started_at":..,"workers":..,
 * <counters>,"reloads":{"ok","failed"},"ruleset":R,
 * "connections":{"listening","fds","fd_limit","refusals","handshake_failures"},
 * "audit":{"path","written","healthy","on_failure","refused",
 * "unaudited","dropped"} or null}. */
void proto_write_stats(sbuf_t *b, const char *id, const proto_stats_t *st);

/* The gates a candidate ruleset passes before it serves, in the order
 * they run; the first that fails ends the run, and the ruleset in
 * service stays as it is (fail closed: the last good ruleset, never a
 * partial one). X(enum, name in the reply) */
#define PROTO_RELOAD_GATES(X)                                                                      \
    X(PROTO_GATE_LOAD, "load")       /* every file read and compiled, no error */                  \
    X(PROTO_GATE_TESTS, "tests")     /* the ruleset's own tests/ cases pass */                     \
    X(PROTO_GATE_SHRINK, "shrink")   /* no list loses more than limits.reload_max_shrink */        \
    X(PROTO_GATE_REVIEWS, "reviews") /* the review register reads (when there is one) */

typedef enum proto_gate {
#define X(e, s) e,
    PROTO_RELOAD_GATES(X)
#undef X
        PROTO_GATE_COUNT
} proto_gate_t;

/* One list that loses organisations in the candidate (shrink gate). */
typedef struct proto_shrunk {
    const char *list; /* its name; NULL: the registry as a whole */
    size_t before;    /* organisations on it in the serving ruleset */
    size_t after;     /* in the candidate */
    double lost_pct;  /* the share lost, in percent */
} proto_shrunk_t;

/* What the gates found. Only the members of gates that ran are read. */
typedef struct proto_gates {
    unsigned ran;                 /* gates that ran: the first `ran` of PROTO_RELOAD_GATES */
    bool ok[PROTO_GATE_COUNT];    /* of those, which passed (only the last may fail) */
    uint64_t load_us;             /* load passed: how long it took */
    size_t load_errors;           /* load failed: errors found (at least 1) */
    unsigned tests_passed;        /* tests: the ruleset's own cases that passed */
    unsigned tests_failed;        /* tests: and that failed */
    int shrink_limit_pct;         /* shrink: limits.reload_max_shrink */
    bool shrink_forced;           /* shrink: a list shrank too much, and the reload was forced */
    const proto_shrunk_t *shrunk; /* shrink: every list that loses organisations */
    size_t n_shrunk;              /* entries in shrunk */
    size_t reviews_errors;        /* reviews failed: errors found (at least 1) */
    size_t reviews_n;             /* reviews passed: entries in the register */
    size_t reviews_active;        /* of those, in force */
} proto_gates_t;

/* What the reload reply says. */
typedef struct proto_reload {
    bool ok;                    /* the candidate passed every gate and serves */
    const ruleset_t *rs;        /* ok: the candidate; else the ruleset that
                                 * keeps serving (NULL: none) */
    uint64_t load_us;           /* how long rs took to load */
    const ruleset_t *previous;  /* ok: the ruleset it replaces (NULL: none) */
    const char *const *errors;  /* not ok: why, one message each */
    size_t n_errors;            /* entries in errors */
    const proto_gates_t *gates; /* every gate that ran */
    const char *action;         /* a review edit: "add" or "expire"; NULL: a reload */
    const rs_review_t *review;  /* a review edit that passed: the entry as written */
} proto_reload_t;

/* Appends, if r->ok, {"id":..,"ok":true,"ruleset":R,"previous":
 * {"version","digest"} or null,"gates":[G...]}; otherwise {"id":..,
 * "ok":false,"errors":[...],"gates":[G...],"ruleset":R}. Each G is
 * {"gate":NAME,"ok":B,...} with "ms" (load passed) or "errors" (load
 * failed); "passed","failed" (tests); "limit_pct","forced","shrunk":
 * [{"list","before","after","lost_pct"}...] (shrink); "entries","active"
 * or "errors" (reviews). A review edit that passed also has
 * "action":A,"review":{entry} after "ok". */
void proto_write_reload(sbuf_t *b, const char *id, const proto_reload_t *r);

/* Appends the review register of rs (op review, action list):
 * {"id":..,"ok":true,"register":PATH or null,"digest":..,"reviews":
 * [entry with "state" at now (proto_write_review)...]}. */
void proto_write_reviews(sbuf_t *b, const char *id, const ruleset_t *rs, time_t now);

#endif
