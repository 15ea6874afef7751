/* SPDX-License-Identifier: Apache-2.0 */
/* cfgread.h -- small checks shared by every reader of libconfig files
 * (ruleset loader, ruleset test runner): the one place that knows how
 * to report a setting the reader does not know. */
#ifndef VET_CFGREAD_H
#define VET_CFGREAD_H

#include <libconfig.h>
#include <stdbool.h>

#include "diag.h"

/* Line of a setting in its file (0 for NULL). */
int cfgread_line(const config_setting_t *s);

/* Reports into d every member of grp whose name is not in allowed (NULL
 * terminated) as "file:line: PREFIXunknown setting \"x\" in WHAT (did
 * you mean \"y\"?)"; prefix may be "" (e.g. "case \"n\": "). Returns
 * true if every member is known. */
bool cfgread_check_members(diag_t *d, const char *file, const config_setting_t *grp,
                           const char *const *allowed, const char *prefix, const char *what);

/* True if libconfig kept every name and every string value of the tree
 * under s: no member of a group has a NULL name and no string setting a
 * NULL value. libconfig 1.5 drops those silently when its strdup fails
 * and still reports success (see cfgread.c); a reader that finds false
 * must treat the file as not read (out of memory). */
bool cfgread_complete(const config_setting_t *s);

/* Outcome of a guarded libconfig call. */
typedef enum cfgread_rc {
    CFGREAD_OK,     /* done */
    CFGREAD_SYNTAX, /* not valid: config_error_line/_text tell why */
    CFGREAD_IO,     /* the file could not be read (errno) */
    CFGREAD_FAULT   /* libconfig faulted (a failed allocation it did
                     * not check); cfg is left empty */
} cfgread_rc_t;

/* Makes the guarded calls below survive libconfig's own faults, for a
 * program that prefers a failed load to a crash (the daemon: a reload
 * that crashed would leave no ruleset serving). libconfig 1.5
 * dereferences several of its own allocations unchecked, so a failed
 * malloc inside it is a SIGSEGV. Installs a SIGSEGV/SIGBUS handler that,
 * in a thread inside a guarded call, leaves libconfig by siglongjmp, and
 * otherwise hands the signal to the disposition it replaced (a crash as
 * before). Idempotent and thread-safe; returns 0 or -1 (sigaction
 * failed). Without it the guarded calls are the plain libconfig calls. */
int cfgread_guard_install(void);

/* config_init, guarded: false if libconfig faulted (cfg is then all
 * zero, which config_destroy accepts). */
bool cfgread_init(config_t *cfg);

/* config_read_string and config_read_file, guarded. cfg must come from
 * cfgread_init. On CFGREAD_FAULT what libconfig had built is abandoned
 * (leaked: it may be half linked, so it is never walked or freed) and cfg
 * is all zero. Neither checks cfgread_complete: the caller does. */
cfgread_rc_t cfgread_parse(config_t *cfg, const char *text);
cfgread_rc_t cfgread_parse_file(config_t *cfg, const char *path);

#endif
