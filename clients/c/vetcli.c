/* SPDX-License-Identifier: Apache-2.0 */
/* vetcli.c -- what the vet commands share (see vetcli.h). */
#include "vetcli.h"

#include "vet.h"

#include <cJSON.h>
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
    {"forbidden", EX_NOPERM},           /* an admin op without an admin key */
    {"busy", EX_TEMPFAIL},              /* a reload while another runs */
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

/* The options every command takes: -e, -t, --json. Returns 1 if
 * argv[*i] was one, 0 if not, or an exit code (> 1) on a usage error. */
int
vetcli_common_opt(vetcli_conn_t *cli, const char *prog, const char *usage, int argc, char **argv,
                  int *i)
{
    const char *v;
    int r;
    if (strcmp(argv[*i], "--json") == 0) {
        cli->json = true;
        return 1;
    }
    if ((r = vetcli_opt_value(argc, argv, i, "-e", &v)) != 0 ||
        (r = vetcli_opt_value(argc, argv, i, "--endpoint", &v)) != 0) {
        if (r < 0)
            return vetcli_usage_error(prog, usage, "%s needs an endpoint", argv[*i]);
        cli->endpoint = v;
        return 1;
    }
    /* CURVE keys: libvet reads them from these variables when the
     * program sets none (include/vet.h), so vet batch gets them too. */
    static const char *const key_opts[2][2] = {{"--server-key", "VET_SERVER_KEY"},
                                               {"--key", "VET_CLIENT_KEY"}};
    for (size_t k = 0; k < 2; k++) {
        if ((r = vetcli_opt_value(argc, argv, i, key_opts[k][0], &v)) == 0)
            continue;
        if (r < 0)
            return vetcli_usage_error(prog, usage, "%s needs a certificate file or a Z85 key",
                                      key_opts[k][0]);
        if (setenv(key_opts[k][1], v, 1) != 0)
            return vetcli_usage_error(prog, usage, "cannot use the key \"%s\"", v);
        return 1;
    }
    if ((r = vetcli_opt_value(argc, argv, i, "-t", &v)) != 0 ||
        (r = vetcli_opt_value(argc, argv, i, "--timeout", &v)) != 0) {
        if (r < 0)
            return vetcli_usage_error(prog, usage, "%s needs a number of milliseconds", argv[*i]);
        if (!vetcli_parse_int(v, 1, 86400000L, &cli->timeout_ms))
            return vetcli_usage_error(prog, usage, "bad timeout \"%s\" (milliseconds, 1..86400000)",
                                      v);
        cli->timeout_set = true;
        return 1;
    }
    return 0;
}

/* Sends request to vetd and waits for the reply. Returns 0 with *reply
 * (caller frees with vet_free), or the exit code after saying why on
 * stderr. */
int
vetcli_transact(const vetcli_conn_t *cli, const char *request, size_t len, int retries,
                char **reply, size_t *reply_len)
{
    vet_client_t *c = vet_client_new(cli->endpoint);
    if (c == NULL) {
        if (errno == ENOMEM) {
            fputs("vet: out of memory\n", stderr);
            return EX_SOFTWARE;
        }
        fprintf(stderr, "vet: bad endpoint \"%s\": %s\n", cli->endpoint, strerror(errno));
        return EX_USAGE;
    }
    vet_client_set_retries(c, retries);
    int rc = vet_call(c, request, len, cli->timeout_ms, reply, reply_len);
    int status = EX_OK;
    if (rc != VET_OK) {
        fprintf(stderr, "vet: %s\n", vet_client_error(c));
        status =
            rc == VET_ENOMEM || rc == VET_EPROTO || rc == VET_EINVAL ? EX_SOFTWARE : EX_UNAVAILABLE;
    }
    vet_client_destroy(&c);
    return status;
}

/* Parses a reply; NULL (after saying so) if it is not a JSON object. */
cJSON *
vetcli_parse_reply(const char *reply, size_t len)
{
    cJSON *r = cJSON_ParseWithLength(reply, len);
    if (r == NULL || !cJSON_IsObject(r)) {
        fprintf(stderr, "vet: reply is not a JSON object: %.80s\n", reply);
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* If r is an error reply, says so on stderr and returns its exit code;
 * 0 otherwise. */
int
vetcli_error_reply(const cJSON *r)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
    if (err == NULL)
        return 0;
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "code"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "message"));
    fprintf(stderr, "vet: %s: %s\n", code ? code : "error", msg ? msg : "(no message)");
    return code != NULL ? vetcli_error_exit(code, strlen(code)) : EX_SOFTWARE;
}
