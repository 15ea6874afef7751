/* dconf.h -- the daemon's settings: defaults, the -c vetd.cfg file
 * (libconfig) and flag overrides, from one table of settings. */
#ifndef VET_DCONF_H
#define VET_DCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"

#define DCONF_MAX_LIST 16       /* endpoints and mask entries */

/* Every value is owned by the dconf_t (strings are copies). */
typedef struct dconf {
    char *endpoints[DCONF_MAX_LIST]; /* bind endpoints (tcp://, ipc://) */
    size_t n_endpoints;
    int workers;                /* worker threads; 0: one per core */
    char *rules;                /* ruleset directory */
    bool require_rules;         /* refuse to start without a valid ruleset */
    char *log_level;            /* "error" "warning" "info" "debug" */
    bool syslog;                /* log through syslog(3) instead of stderr */
    long max_request;           /* bytes; larger requests get too_large */
    long max_message;           /* bytes; libzmq drops a peer sending more */
    int hwm;                    /* ZeroMQ high-water marks, messages */
    int max_inflight;           /* requests inside the daemon at once */
    int drain_ms;               /* at most this long to drain on SIGTERM */
    int drain_quiet_ms;         /* draining: stop once no request came for this long */
    char *audit_path;           /* JSON-lines audit log; "-" for none */
    char *audit_fsync;          /* "always" "interval" "never" */
    int audit_interval_ms;      /* with "interval" */
    int audit_queue;            /* records queued before workers wait */
    char *audit_mask[DCONF_MAX_LIST]; /* request fields kept out of the log */
    size_t n_audit_mask;
} dconf_t;

/* The defaults (DESIGN.md §3): tcp://127.0.0.1:7470, one worker per
 * core, audit to vetd-audit.jsonl with fsync every 200 ms. Caller owns
 * it (dconf_destroy); NULL on OOM. */
dconf_t *dconf_new(const char *default_rules);
void dconf_destroy(dconf_t **cp);

/* Reads settings from the libconfig file path over the current values.
 * Returns 0, or -1 with every error in d ("file:line: message": syntax,
 * unknown setting with a suggestion, wrong type, out of range). */
int dconf_load(dconf_t *c, const char *path, diag_t *d);

/* Sets one setting by its name in the file ("workers", "audit.path",
 * "endpoints" appends) from a flag's text. Returns 0 or -1 with a
 * message in err. */
int dconf_set(dconf_t *c, const char *name, const char *value, char *err, size_t errlen);

/* Empties a list setting ("endpoints"): the first -e flag replaces the
 * file's endpoints instead of adding to them. */
void dconf_clear_list(dconf_t *c, const char *name);

/* Writes the settings in the file's syntax (for `vetd --print-config`). */
void dconf_print(const dconf_t *c, FILE *f);

#endif
