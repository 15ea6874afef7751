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
