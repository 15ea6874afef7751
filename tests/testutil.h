/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.h -- what the C test programs share: files, clocks, commands and a vetd of their own. */
#ifndef VET_TESTUTIL_H
#define VET_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cJSON.h>

#include "vet.h"

/* The value of environment variable name, or dflt when it is unset or
 * empty. Borrowed: the environment's string or dflt. */
const char *tu_env_or(const char *name, const char *dflt);

/* Milliseconds on the monotonic clock, for deadlines. */
uint64_t tu_now_ms(void);

/* The whole file at path, NUL-terminated (it may hold other NULs: *len
 * counts them). Returns NULL if the file cannot be opened or read. Caller
 * owns the string (free). len may be NULL. */
char *tu_read_file(const char *path, size_t *len);

/* Writes text to path, replacing the file; a CMocka assertion fails the
 * test if it cannot. */
void tu_write_file(const char *path, const char *text);

/* Runs cmd through system(). Returns its exit code, or -1 if it could not
 * run or was killed by a signal. */
int tu_run(const char *cmd);

/* What a command printed and how it ended (tu_sh). */
typedef struct tu_out {
    int status; /* exit status, -1 if it did not exit */
    char *out;  /* its stdout, "" when none (owned) */
    char *err;  /* its stderr, "" when none (owned) */
} tu_out_t;

/* Runs cmd with /bin/sh, its stdout and stderr captured (stdin is
 * whatever cmd redirects). Free with tu_out_free. */
tu_out_t tu_sh(const char *cmd);
void tu_out_free(tu_out_t *o);

/* Fails the test, showing both outputs, unless o exited with status and
 * in_out (in_err), when not NULL, is in its stdout (stderr); then frees
 * o either way. */
void tu_out_expect(tu_out_t *o, int status, const char *in_out, const char *in_err);

/* Removes path and everything under it (links are not followed).
 * Returns 0, or -1 with errno if something could not be removed. */
int tu_remove_tree(const char *path);

/* Loads the ruleset directory dir, asserting that the load fails, and
 * returns every error joined by newlines, with each occurrence of dir
 * written "D" so that expectations do not depend on the temporary path
 * (caller frees). */
char *tu_ruleset_errors(const char *dir);

/* A scratch ruleset directory, /tmp/vet-test-TAG-XXXXXX with an empty
 * registry/, for tests that write a ruleset file by file. */
typedef struct tu_rsdir {
    char path[64]; /* the directory */
} tu_rsdir_t;

/* Makes one (caller owns it: tu_rsdir_destroy); NULL on failure. */
tu_rsdir_t *tu_rsdir_new(const char *tag);

/* Removes the directory and frees *dp. Returns 0, or -1 if the directory
 * could not be removed. */
int tu_rsdir_destroy(tu_rsdir_t **dp);

/* Writes text to the file name (relative: "registry/a.cfg") of dir. */
void tu_rsdir_put(const tu_rsdir_t *dir, const char *name, const char *text);

/* Loads dir, asserting that the load succeeds (its errors are printed if
 * not). Caller owns the ruleset. */
struct ruleset *tu_rsdir_load(const tu_rsdir_t *dir);

/* A vetd of a test's own, in a private temporary directory. The paths
 * are where the test puts (or finds) each file; tu_vetd_spawn passes
 * only the arguments it is given. */
typedef struct tu_vetd {
    pid_t pid;         /* the daemon; 0 when not running */
    char dir[64];      /* private temporary directory; "" if none */
    char ep[160];      /* ipc://DIR/sock */
    char log[128];     /* DIR/vetd.log: the daemon's stderr */
    char audit[128];   /* DIR/audit.jsonl */
    char rules[128];   /* DIR/rules: for a copy of a ruleset */
    char cfg[128];     /* DIR/vetd.cfg: for a -c file */
    char reviews[128]; /* DIR/reviews.cfg: the review register */
    long rlim_fsize;   /* > 0: soft RLIMIT_FSIZE of the daemon (bytes) */
    long rlim_nofile;  /* > 0: RLIMIT_NOFILE of the daemon, soft and hard */
} tu_vetd_t;

/* Clears d, makes its directory /tmp/vetd-TAG-XXXXXX and fills in the
 * paths; creates no file in it. Returns 0, or -1 (d->dir "") if the
 * directory cannot be made. */
int tu_vetd_init(tu_vetd_t *d, const char *tag);

/* Starts $VETD_BIN (default bin/vetd) with args (NULL-ended, borrowed;
 * at most 30) and, unless they name one (--reviews) or a -c file, the
 * review register d->reviews (so no test reads a vetd-reviews.cfg of the
 * working directory) and, as root without --user, --allow-root; its
 * stderr appended to d->log, under d's resource limits
 * (a full disk is a file-size limit; few descriptors, a low NOFILE). The daemon is killed if the
 * test process dies. Returns 0 (d->pid set), or -1 if it cannot fork. */
int tu_vetd_spawn(tu_vetd_t *d, const char *const *args);

/* Waits until the daemon answers ping on d->ep, 10 s at most. Returns 0,
 * or -1 with its log on stderr: if it exited (d->pid cleared) or never
 * answered (still running: tu_vetd_stop or tu_vetd_cleanup ends it). */
int tu_vetd_wait(tu_vetd_t *d);

/* SIGTERM, 10 s for the daemon to exit, then SIGKILL; clears d->pid.
 * Returns its exit code (128 + signal if a signal ended it), -2 if it had
 * to be killed, -1 if it was not running. */
int tu_vetd_stop(tu_vetd_t *d);

/* Kills the daemon if it still runs (SIGKILL: a test that wants it to
 * exit cleanly calls tu_vetd_stop first) and removes d->dir with all in
 * it. d may be cleaned up twice. */
void tu_vetd_cleanup(tu_vetd_t *d);

/* stderr (where a NULL vlog writes) redirected into a temporary file
 * while a test looks at what is logged. */
typedef struct tu_capture {
    char path[64]; /* the temporary file */
    int saved;     /* the real stderr */
} tu_capture_t;

/* Starts capturing stderr (CMocka assertions fail the test on error). */
void tu_capture_start(tu_capture_t *cap);

/* Restores stderr; returns what was written meanwhile and removes the
 * file. Caller owns the string (free). */
char *tu_capture_end(tu_capture_t *cap);

/* One request/reply through libvet (5 s); returns the parsed reply, or
 * fails the test. Caller owns it (cJSON_Delete). */
cJSON *tu_call(vet_client_t *c, const char *req);

/* The string (number) at a dotted path of j ("error.code"), or NULL
 * (-1) if there is none. Borrowed from j. */
const char *tu_jstr(const cJSON *j, const char *path);
double tu_jnum(const cJSON *j, const char *path);

#endif
