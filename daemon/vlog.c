/* SPDX-License-Identifier: Apache-2.0 */
/* vlog.c -- the daemon's event log (stderr lines or syslog). */
#include "vlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

struct vlog {
    vlog_level_t level; /* keep events at or above this severity */
    bool use_syslog;    /* syslog(3) instead of stderr */
    char ident[32];     /* program name in each line */
};

static const char *const level_names[] = {
#define X(e, s) s,
    VLOG_LEVELS(X)
#undef X
};

int
vlog_level_find(const char *name)
{
    for (int i = 0; i < VLOG_COUNT; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

vlog_t *
vlog_new(vlog_level_t level, bool use_syslog, const char *ident)
{
    vlog_t *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->level = level;
    l->use_syslog = use_syslog;
    snprintf(l->ident, sizeof l->ident, "%s", ident ? ident : "vetd");
    if (use_syslog)
        openlog(l->ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    return l;
}

void
vlog_destroy(vlog_t **lp)
{
    if (lp == NULL || *lp == NULL)
        return;
    if ((*lp)->use_syslog)
        closelog();
    free(*lp);
    *lp = NULL;
}

void
vlog_msg(vlog_t *l, vlog_level_t level, const char *fmt, ...)
{
    if (level > (l != NULL ? l->level : VLOG_INFO))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One event, one line: fold embedded newlines (multi-line load errors
     * are logged one per call by the callers anyway). */
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    if (l != NULL && l->use_syslog) {
        static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
        syslog(prio[level], "%s", msg);
        return;
    }
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    /* A single fprintf keeps the line whole: stdio locks the stream. */
    fprintf(stderr, "%s.%03ldZ %s[%ld] %s: %s\n", stamp, ts.tv_nsec / 1000000L,
            l ? l->ident : "vetd", (long)getpid(), level_names[level], msg);
}
