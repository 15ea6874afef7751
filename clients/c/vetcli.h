/* SPDX-License-Identifier: Apache-2.0 */
/* vetcli.h -- what the vet commands share: the exit code of a verdict or
 * an error code, and command-line option parsing. The codes themselves
 * are lib/exitcode.h's: VET_EXIT_* for verdicts, <sysexits.h> EX_* for
 * errors (EX_USAGE, EX_DATAERR a request bad or rejected, EX_NOINPUT the
 * input cannot be opened, EX_UNAVAILABLE no answer or no ruleset,
 * EX_SOFTWARE internal error or a reply that is not JSON, EX_IOERR
 * reading the input or writing the output). */
#ifndef VETCLI_H
#define VETCLI_H

#include <stdbool.h>
#include <stddef.h>

#include "exitcode.h"

struct cJSON;

/* What every vet command needs to reach vetd; filled from the command
 * line (and VET_ENDPOINT). */
typedef struct vetcli_conn {
    const char *endpoint; /* borrowed from argv or the environment */
    int timeout_ms;       /* total deadline of the request */
    bool timeout_set;     /* -t was given (else timeout_ms is the default) */
    bool json;            /* print the reply verbatim */
} vetcli_conn_t;

/* The options every command takes: -e/--endpoint, -t/--timeout, --json,
 * into c. Returns 1 if argv[*i] was one, 0 if not, or an exit code (> 1)
 * after a usage error naming prog and showing usage. */
int vetcli_common_opt(vetcli_conn_t *c, const char *prog, const char *usage, int argc, char **argv,
                      int *i);

/* Sends request (len bytes) to vetd at c->endpoint, at most 1 + retries
 * times within c->timeout_ms, and waits for the reply. Returns 0 with
 * *reply (caller frees with vet_free), or the exit code after saying why
 * on stderr. */
int vetcli_transact(const vetcli_conn_t *c, const char *request, size_t len, int retries,
                    char **reply, size_t *reply_len);

/* Parses a reply; NULL (after saying so on stderr) if it is not a JSON
 * object. Caller owns it (cJSON_Delete). */
struct cJSON *vetcli_parse_reply(const char *reply, size_t len);

/* If r is an error reply, says so on stderr and returns its exit code;
 * 0 otherwise. */
int vetcli_error_reply(const struct cJSON *r);

/* The exit code of a verdict (n bytes): an unknown one counts as review. */
int vetcli_verdict_exit(const char *verdict, size_t n);

/* The exit code of an error code (n bytes): the daemon's
 * (docs/PROTOCOL.md) and vet batch's own "bad_input" and "timeout";
 * EX_SOFTWARE for any other. */
int vetcli_error_exit(const char *code, size_t n);

/* Matches argv[*i] against option name, as "NAME VALUE" or "NAME=VALUE"
 * (the latter for long options). Returns 1 and sets *val (borrowed from
 * argv; *i moves past a separate value) if it matched, 0 if it is
 * another option, -1 if the value is missing. */
int vetcli_opt_value(int argc, char **argv, int *i, const char *name, const char **val);

/* Parses a whole decimal integer in lo..hi into *out; false otherwise. */
bool vetcli_parse_int(const char *s, long lo, long hi, int *out);

/* Prints "PROG: " and fmt (one %s: arg), then usage; returns EX_USAGE. */
int vetcli_usage_error(const char *prog, const char *usage, const char *fmt, const char *arg);

#endif
