/* audit.h -- the audit log: JSON lines appended by one writer thread, fed
 * by the workers over inproc ZeroMQ so that no worker waits on the disk. */
#ifndef VET_AUDIT_H
#define VET_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "vlog.h"

/* Durability policies. X(enum, name) */
#define AUDIT_FSYNC_POLICIES(X) \
    X(AUDIT_FSYNC_ALWAYS, "always") \
    X(AUDIT_FSYNC_INTERVAL, "interval") \
    X(AUDIT_FSYNC_NEVER, "never")

typedef enum audit_fsync {
#define X(e, s) e,
    AUDIT_FSYNC_POLICIES(X)
#undef X
    AUDIT_FSYNC_COUNT
} audit_fsync_t;

#define AUDIT_INTERVAL_MS_DEFAULT 200
#define AUDIT_QUEUE_MAX_DEFAULT 65536
#define AUDIT_STOP_MS_DEFAULT 5000

/* Policy with this name ("always", "interval", "never"), or -1. */
int audit_fsync_find(const char *name);
/* Name of a policy (static string); "?" if out of range. */
const char *audit_fsync_name(audit_fsync_t f);

/* Settings of audit_new. Zero in a number means its default, so
 * designated initialisers may leave out what they do not set. */
typedef struct audit_cfg {
    const char *path;           /* file to append to; copied */
    audit_fsync_t fsync;        /* ALWAYS: fdatasync after every batch;
                                 * INTERVAL: write at once, fdatasync at
                                 * most interval_ms later; NEVER: no fsync */
    unsigned interval_ms;       /* with INTERVAL (default 200) */
    unsigned queue_max;         /* records queued per producer before its
                                 * audit_put waits (backpressure, never
                                 * loss); default 65536 */
    unsigned stop_ms;           /* at audit_destroy, give up on a failing
                                 * disk after this long without progress
                                 * (the records left are then lost, and
                                 * logged as such); default 5000 */
} audit_cfg_t;

typedef struct audit audit_t;
typedef struct audit_sink audit_sink_t;

/* Opens cfg->path (O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, mode 0640),
 * repairs a torn last line (a file not ending in '\n' is cut back to just
 * after its last '\n', with a warning saying how many bytes went) and
 * starts the writer thread. zctx (the daemon's ZeroMQ context) and log
 * (NULL = stderr) are borrowed and must outlive the handle. Caller owns
 * the handle (audit_destroy). NULL on failure with a message in err,
 * e.g. "audit: /var/log/vetd.jsonl: Permission denied". audit_new,
 * audit_reopen and audit_destroy are called from one thread (the main
 * one). */
audit_t *audit_new(void *zctx, const audit_cfg_t *cfg, vlog_t *log, char *err,
                   size_t errlen);

/* A producer's handle: a ZeroMQ PUSH socket, used by the one thread that
 * created it. Caller owns it (audit_sink_destroy, before audit_destroy).
 * NULL on error (logged). */
audit_sink_t *audit_sink_new(audit_t *a);
void audit_sink_destroy(audit_sink_t **sp);

/* Queues one record: a complete JSON object on one line, without the
 * newline (the writer adds it; stray '\n' or '\r' inside, which valid
 * JSON only has as whitespace, become spaces). line is copied. Waits only
 * when queue_max records of this sink are already queued. Returns 0, or
 * -1 if the writer is gone (the ZeroMQ context is terminating). An empty
 * line is ignored. */
int audit_put(audit_sink_t *s, const char *line, size_t len);

/* Asks the writer to close the file and open the path again (after
 * logrotate moved it). Returns at once. Every record put before lands in
 * the old file or the new one; every record put after this call (in
 * happens-after order) lands in the new one. If the path cannot be
 * opened, the writer logs it and keeps the old file. */
void audit_reopen(audit_t *a);

/* Records written to the file so far (safe from any thread). */
uint64_t audit_written(const audit_t *a);

/* Stops the writer after it has written every record put before (all
 * sinks must have been destroyed), fdatasyncs (unless NEVER), joins the
 * thread, closes the file and frees the handle. If the disk keeps
 * failing, gives up after stop_ms without progress and logs how many
 * records were lost. Accepts NULL; nulls *ap. */
void audit_destroy(audit_t **ap);

#endif
