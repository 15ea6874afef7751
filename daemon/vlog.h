/* SPDX-License-Identifier: Apache-2.0 */
/* vlog.h -- the daemon's event log: one line per event on stderr, or
 * syslog. Thread-safe; a NULL handle logs to stderr at level INFO. */
#ifndef VET_VLOG_H
#define VET_VLOG_H

#include <stdbool.h>

/* Levels, most severe first. X(enum, name) */
#define VLOG_LEVELS(X)                                                                             \
    X(VLOG_ERR, "error")                                                                           \
    X(VLOG_WARN, "warning")                                                                        \
    X(VLOG_INFO, "info")                                                                           \
    X(VLOG_DEBUG, "debug")

typedef enum vlog_level {
#define X(e, s) e,
    VLOG_LEVELS(X)
#undef X
        VLOG_COUNT
} vlog_level_t;

typedef struct vlog vlog_t;

/* Level with this name ("error", "warning", "info", "debug"), or -1. */
int vlog_level_find(const char *name);

/* Creates a log that keeps events up to level (more severe or equal),
 * on stderr as "2026-11-29T05:40:00.123Z vetd[pid] level: message", or
 * through syslog(3) under ident when use_syslog. Caller owns it
 * (vlog_destroy); NULL on OOM. */
vlog_t *vlog_new(vlog_level_t level, bool use_syslog, const char *ident);
void vlog_destroy(vlog_t **lp);

/* Logs one event (printf format, no newline needed). */
void vlog_msg(vlog_t *l, vlog_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
