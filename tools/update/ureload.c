/* SPDX-License-Identifier: Apache-2.0 */
/* ureload.c -- reload and confirm through libvet (vet-update). */
#include "ureload.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

#include "vet.h"

#define VERSION_TIMEOUT_MS 5000

/* One request on a fresh client; the parsed reply (caller deletes it),
 * or NULL with why in err. */
static cJSON *
call(const char *endpoint, const char *req, int retries, int timeout_ms, sbuf_t *err)
{
    vet_client_t *c = vet_client_new(endpoint);
    if (c == NULL) {
        sbuf_printf(err, "%s: not a vetd endpoint", endpoint);
        return NULL;
    }
    vet_client_set_retries(c, retries);
    char *reply = NULL;
    cJSON *j = NULL;
    if (vet_screen(c, req, timeout_ms, &reply) != VET_OK)
        sbuf_puts(err, vet_client_error(c));
    else if ((j = cJSON_Parse(reply)) == NULL)
        sbuf_printf(err, "vetd at %s: a reply that is not JSON", endpoint);
    vet_free(reply);
    vet_client_destroy(&c);
    return j;
}

/* The string at j.a.b (b may be NULL), or NULL. */
static const char *
str_at(const cJSON *j, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b != NULL)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

int
ureload_serving(const char *endpoint, int timeout_ms, char *digest, sbuf_t *err)
{
    digest[0] = '\0';
    cJSON *j =
        call(endpoint, "{\"id\":\"vet-update-version\",\"op\":\"version\"}", 1, timeout_ms, err);
    if (j == NULL)
        return -1;
    int rc = 0;
    const char *d = str_at(j, "ruleset", "digest");
    if (d != NULL)
        snprintf(digest, 65, "%s", d);
    else if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "ruleset"))) {
        sbuf_printf(err, "vetd at %s: not a version reply", endpoint);
        rc = -1;
    }
    cJSON_Delete(j);
    return rc;
}

ureload_rc_t
ureload_run(const char *endpoint, bool force, int timeout_ms, const char *want, sbuf_t *msg)
{
    /* A reload is not idempotent: sent once (no retry), as `vet reload` does. */
    cJSON *j = call(endpoint,
                    force ? "{\"id\":\"vet-update-reload\",\"op\":\"reload\",\"force\":true}"
                          : "{\"id\":\"vet-update-reload\",\"op\":\"reload\"}",
                    0, timeout_ms, msg);
    if (j == NULL)
        return URELOAD_UNREACHABLE;
    ureload_rc_t rc = URELOAD_CONFIRMED;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
    if (!cJSON_IsTrue(ok)) {
        const char *code = str_at(j, "error", "code");
        if (code != NULL) {
            sbuf_printf(msg, "vetd at %s: %s: %s", endpoint, code,
                        str_at(j, "error", "message") ? str_at(j, "error", "message") : "");
        } else {
            sbuf_printf(msg, "vetd at %s refused the reload (it keeps serving %.12s):", endpoint,
                        str_at(j, "ruleset", "digest") ? str_at(j, "ruleset", "digest") : "none");
            const cJSON *e;
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "errors"))
            {
                if (cJSON_IsString(e))
                    sbuf_printf(msg, " %s;", e->valuestring);
            }
        }
        cJSON_Delete(j);
        return URELOAD_REFUSED;
    }
    cJSON_Delete(j);
    char digest[65];
    if (ureload_serving(endpoint, VERSION_TIMEOUT_MS, digest, msg) != 0)
        return URELOAD_UNREACHABLE;
    if (strncmp(digest, want, strlen(want)) != 0) {
        sbuf_printf(msg,
                    "vetd at %s reloaded but serves %.12s, not %.12s (is it run with -r "
                    "ROOT/current?)",
                    endpoint, digest[0] ? digest : "nothing", want);
        rc = URELOAD_MISMATCH;
    } else {
        sbuf_printf(msg, "vetd at %s reloaded; version confirms digest %.12s", endpoint, digest);
    }
    return rc;
}
