/* SPDX-License-Identifier: Apache-2.0 */
/* audit.h -- the audit log: what a record holds and how it reads (one
 * JSON line per request), and the lines appended by one writer thread,
 * fed by the workers over inproc ZeroMQ so that no worker waits on the
 * disk. */
#ifndef VET_AUDIT_H
#define VET_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "request.h"
#include "ruleset.h"
#include "sbuf.h"
#include "vlog.h"

/* Durability policies. X(enum, name) */
#define AUDIT_FSYNC_POLICIES(X)                                                                    \
    X(AUDIT_FSYNC_ALWAYS, "always")                                                                \
    X(AUDIT_FSYNC_INTERVAL, "interval")                                                            \
    X(AUDIT_FSYNC_NEVER, "never")

typedef enum audit_fsync {
#define X(e, s) e,
    AUDIT_FSYNC_POLICIES(X)
#undef X
        AUDIT_FSYNC_COUNT
} audit_fsync_t;

/* What audit_put did with a record. X(enum, name) */
#define AUDIT_PUT_RESULTS(X)                                                                       \
    X(AUDIT_OK, "ok")                                                                              \
    X(AUDIT_FULL, "full")                                                                          \
    X(AUDIT_FAILING, "failing")                                                                    \
    X(AUDIT_GONE, "gone")

typedef enum audit_put_result {
#define X(e, s) e,
    AUDIT_PUT_RESULTS(X)
#undef X
        AUDIT_PUT_RESULT_COUNT
} audit_put_result_t;

#define AUDIT_INTERVAL_MS_DEFAULT 200
/* Records queued per sink (a worker). A worker answers a request in
 * some 70 to 90 us (docs/DAEMON.md), so at most ~13,000 a second: 1024
 * records absorb a pause of the disk of about 80 ms at full speed,
 * several fdatasyncs long, which is all a queue is for; a longer stall
 * must show (AUDIT_FULL) rather than pile up. A typical record is about
 * 0.5 KB, so a worker's queue holds about 0.5 MB (at most queue_max
 * times the largest record, bounded by limits.max_request_bytes); the
 * old 65536 let the daemon grow from 10 to 376 MB on a full disk. */
#define AUDIT_QUEUE_MAX_DEFAULT 1024
#define AUDIT_STOP_MS_DEFAULT 5000

/* Policy with this name ("always", "interval", "never"), or -1. */
int audit_fsync_find(const char *name);
/* Name of a policy (static string); "?" if out of range. */
const char *audit_fsync_name(audit_fsync_t f);
/* Name of an audit_put result ("ok", "full", "failing", "gone"; a static
 * string); "?" if out of range. */
const char *audit_put_result_name(audit_put_result_t r);

/* Settings of audit_new. Zero in a number means its default, so
 * designated initialisers may leave out what they do not set. */
typedef struct audit_cfg {
    const char *path;     /* file to append to; copied */
    audit_fsync_t fsync;  /* ALWAYS: fdatasync after every batch;
                           * INTERVAL: write at once, fdatasync at
                           * most interval_ms later; NEVER: no fsync */
    unsigned interval_ms; /* with INTERVAL (default 200) */
    unsigned queue_max;   /* records queued per sink at most;
                           * audit_put returns AUDIT_FULL past it
                           * (default 1024, at least 2) */
    unsigned stop_ms;     /* at audit_destroy, give up on a failing
                           * disk after this long without progress
                           * (the records left are then lost, and
                           * logged as such); default 5000 */
} audit_cfg_t;

/* One request as the audit log keeps it, filled by the worker that
 * answered it. Everything is borrowed for the duration of audit_format. */
typedef struct audit_record {
    struct timespec at;   /* wall clock (CLOCK_REALTIME) of the record */
    const char *peer;     /* the client's address ("127.0.0.1", "local"...) */
    const request_t *req; /* the request as far as it was read: its id
                           * even when it could not be read whole */
    bool parsed;          /* req was read whole: it is kept in the wire
                           * format, masked; otherwise raw is kept */
    const char *raw;      /* the request's bytes as received */
    size_t raw_len;       /* bytes in raw */
    const ruleset_t *rs;  /* the ruleset pinned for it; NULL: none */
    const result_t *res;  /* the verdict given; NULL: none */
    req_err_t err;        /* the error replied, or ERR_NONE */
    const char *errmsg;   /* its message */
    const char *reply;    /* an op that changed the review register: the
                           * reply given (JSON), kept whole; else NULL */
    uint64_t latency_us;  /* from its arrival to its reply */
} audit_record_t;

#define AUDIT_RAW_MAX 512 /* bytes of an unreadable request a record keeps */

/* Appends r's line to b: one JSON object, no newline,
 * {"ts","peer","id", then "request" (parsed; the fields named in mask,
 * n_mask of them, as "***": proto_write_request) or "bytes" and, when
 * nothing is masked, the first AUDIT_RAW_MAX bytes as "raw" (cut on a
 * character boundary) or, if they are not UTF-8, "raw_base64"; then
 * "error":{"code","message"} or the verdict ("verdict","score","rules",
 * "partners", "matches", "reviewed": proto_write_audit_result), or
 * "reply" (a review edit's reply, whole); then "ruleset" (its digest or
 * null) and "latency_us"}. With a "user" in the request's context, the
 * record has "user" after "id".
 * On OOM b's sticky flag is set. */
void audit_format(sbuf_t *b, const audit_record_t *r, const char *const *mask, size_t n_mask);

typedef struct audit audit_t;
typedef struct audit_sink audit_sink_t;

/* Opens cfg->path for appending (O_APPEND|O_CLOEXEC), repairs a torn
 * last line (a file not ending in '\n' is cut back to just after its last
 * '\n', with a warning saying how many bytes went) and starts the writer
 * thread. The file is kept private: a new one is created with mode 0640
 * whatever the umask; an existing one that grants more than 0640 loses
 * the extra bits, with a warning ("audit: PATH was mode 0644; set to
 * 0640"), or is refused if that fails; a symbolic link at the path is
 * refused ("audit: PATH is a symbolic link; refusing to follow it"), and
 * so is anything else that is not a regular file (a FIFO is not waited
 * on). zctx (the daemon's ZeroMQ context) and log (NULL = stderr) are
 * borrowed and must outlive the handle. Caller owns the handle
 * (audit_destroy). NULL on failure with a message in err, e.g. "audit:
 * /var/log/vetd.jsonl: Permission denied". audit_new, audit_reopen and
 * audit_destroy are called from one thread (the main one). */
audit_t *audit_new(void *zctx, const audit_cfg_t *cfg, vlog_t *log, char *err, size_t errlen);

/* A producer's handle: a ZeroMQ PUSH socket, used by the one thread that
 * created it. Caller owns it (audit_sink_destroy, before audit_destroy).
 * NULL on error (logged). */
audit_sink_t *audit_sink_new(audit_t *a);
void audit_sink_destroy(audit_sink_t **sp);

/* Queues one record: a complete JSON object on one line, without the
 * newline (the writer adds it; stray '\n' or '\r' inside, which valid
 * JSON only has as whitespace, become spaces). line is copied. Never
 * waits. Returns
 *   AUDIT_OK       queued; the writer writes it (or, if the disk fails
 *                  for good, counts it as lost at audit_destroy);
 *   AUDIT_FULL     not queued: queue_max records of this sink are
 *                  (ZeroMQ hears of the writer's progress in steps of
 *                  half a queue, so this may come with only half of
 *                  them still queued);
 *   AUDIT_FAILING  not queued: the writer's writes are failing (see
 *                  audit_healthy), so nothing more piles up in memory;
 *   AUDIT_GONE     not queued: the writer has stopped (the ZeroMQ
 *                  context is terminating).
 * Each result but AUDIT_OK counts in audit_dropped. An empty line is
 * ignored (AUDIT_OK). Called only by the thread that created s. */
audit_put_result_t audit_put(audit_sink_t *s, const char *line, size_t len);

/* Asks the writer to close the file and open the path again (after
 * logrotate moved it). Returns at once. Every record put before lands in
 * the old file or the new one; every record put after this call (in
 * happens-after order) lands in the new one. If the path cannot be
 * opened, or is refused as by audit_new (a symbolic link, not a regular
 * file, a mode it cannot make private), the writer logs it and keeps the
 * old file. */
void audit_reopen(audit_t *a);

/* False while the writer's writes fail (audit_put would return
 * AUDIT_FAILING) or once it has stopped; true again as soon as a write
 * succeeds. Lets a worker refuse a request before doing its work. A
 * snapshot: audit_put still reports what it did. Safe from any thread. */
bool audit_healthy(const audit_t *a);

/* Counters since audit_new, safe from any thread (atomic; each a
 * snapshot): records written to the file; records audit_put did not
 * queue (AUDIT_FULL, AUDIT_FAILING, AUDIT_GONE); failed write()s and
 * fdatasync()s (each retry counts); and records put (AUDIT_OK) that the
 * writer has not yet taken from the queues, at most queue_max per sink
 * (the writer's own batch, at most about 1 MB, is not counted). */
uint64_t audit_written(const audit_t *a);
uint64_t audit_dropped(const audit_t *a);
uint64_t audit_failures(const audit_t *a);
uint64_t audit_queued(const audit_t *a);

/* Stops the writer after it has written every record put before (all
 * sinks must have been destroyed), fdatasyncs (unless NEVER), joins the
 * thread, closes the file and frees the handle. If the disk keeps
 * failing, gives up after stop_ms without progress and logs how many
 * records were lost (queued or in the batch): with a disk that fails
 * throughout, it returns about stop_ms after the call. Accepts NULL;
 * nulls *ap. */
void audit_destroy(audit_t **ap);

#endif
