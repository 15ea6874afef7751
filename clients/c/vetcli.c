/* vetcli.c -- what the vet commands share (see vetcli.h). */
#include "vetcli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
static const struct {
    const char *code;
    int exit;
} error_exits[] = {
    {"bad_input", EX_DATAERR},          /* vet batch: the record could not be read */
    {"bad_request", EX_DATAERR},
    {"too_large", EX_DATAERR},
    {"unknown_op", EX_DATAERR},
    {"unavailable", EX_UNAVAILABLE},
    {"timeout", EX_UNAVAILABLE},        /* vet batch: no answer after every attempt */
    {"internal", EX_SOFTWARE},
};
/* clang-format on */

int
vetcli_verdict_exit(const char *verdict, size_t n)
{
    if (n == 5 && memcmp(verdict, "clear", 5) == 0)
        return VET_EXIT_CLEAR;
    if (n == 10 && memcmp(verdict, "prohibited", 10) == 0)
        return VET_EXIT_PROHIBITED;
    return VET_EXIT_REVIEW;
}

int
vetcli_error_exit(const char *code, size_t n)
{
    for (size_t k = 0; k < sizeof error_exits / sizeof error_exits[0]; k++)
        if (strlen(error_exits[k].code) == n && memcmp(error_exits[k].code, code, n) == 0)
            return error_exits[k].exit;
    return EX_SOFTWARE;
}

int
vetcli_opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=' && name[1] == '-') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

bool
vetcli_parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

int
vetcli_usage_error(const char *prog, const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    fputs(usage, stderr);
    return EX_USAGE;
}
