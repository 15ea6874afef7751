/* SPDX-License-Identifier: Apache-2.0 */
/* engine.c -- the public embedding API (include/vet_engine.h) over
 * ruleset, proto and screen. */
#include "vet_engine.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cover.h"
#include "mclock.h"
#include "diag.h"
#include "proto.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"

#define ENGINE_MAX_REQUEST (1u << 20) /* bytes; larger requests are too_large */

struct vet_engine {
    ruleset_t *rs; /* owned */
    char *profile; /* default profile (vet_engine_set_profile), or NULL */
};

struct vet_worker {
    arena_t *arena;              /* per-request memory, reset each call */
    sbuf_t reply;                /* reply buffer, reused */
    cover_t *cover;              /* coverage counts (vet_worker_cover), or NULL: off */
    const vet_engine_t *covered; /* the engine cover counts for */
};

vet_engine_t *
vet_engine_load(const char *dir, char **errors)
{
    if (errors != NULL)
        *errors = NULL;
    diag_t *d = diag_new(0);
    vet_engine_t *e = calloc(1, sizeof *e);
    if (d == NULL || e == NULL) {
        diag_destroy(&d);
        free(e);
        return NULL;
    }
    e->rs = ruleset_load(dir, d);
    if (e->rs == NULL) {
        if (errors != NULL) {
            sbuf_t b = SBUF_INIT;
            for (size_t i = 0; diag_get(d, i) != NULL; i++)
                sbuf_printf(&b, "%s\n", diag_get(d, i));
            *errors = sbuf_take(&b);
        }
        free(e);
        e = NULL;
    }
    diag_destroy(&d);
    return e;
}

void
vet_engine_destroy(vet_engine_t **ep)
{
    if (ep == NULL || *ep == NULL)
        return;
    ruleset_destroy(&(*ep)->rs);
    free((*ep)->profile);
    free(*ep);
    *ep = NULL;
}

const char *
vet_engine_version(const vet_engine_t *e)
{
    return e->rs->version;
}

const char *
vet_engine_digest(const vet_engine_t *e)
{
    return e->rs->digest;
}

vet_worker_t *
vet_worker_new(void)
{
    vet_worker_t *w = calloc(1, sizeof *w);
    if (w == NULL || (w->arena = arena_new(0)) == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

void
vet_worker_destroy(vet_worker_t **wp)
{
    if (wp == NULL || *wp == NULL)
        return;
    arena_destroy(&(*wp)->arena);
    sbuf_free(&(*wp)->reply);
    cover_destroy(&(*wp)->cover);
    free(*wp);
    *wp = NULL;
}

int
vet_engine_set_profile(vet_engine_t *e, const char *profile, char **error)
{
    if (error != NULL)
        *error = NULL;
    char *copy = NULL;
    if (profile != NULL) {
        sbuf_t b = SBUF_INIT;
        if (vocab_find(&e->rs->profile_ids, profile) < 0) {
            const char *sug = vocab_suggest(&e->rs->profile_ids, profile);
            sbuf_printf(&b, "unknown profile \"%s\"", profile);
            if (sug != NULL)
                sbuf_printf(&b, " (did you mean \"%s\"?)", sug);
            if (error != NULL)
                *error = sbuf_take(&b);
            sbuf_free(&b);
            return -1;
        }
        if ((copy = strdup(profile)) == NULL)
            return -1;
    }
    free(e->profile);
    e->profile = copy;
    return 0;
}

int
vet_engine_load_reviews(vet_engine_t *e, const char *path, char **error)
{
    if (error != NULL)
        *error = NULL;
    diag_t *d = diag_new(0);
    if (d == NULL)
        return -1;
    int rc = ruleset_load_reviews(e->rs, path, d);
    if (rc != 0 && error != NULL) {
        sbuf_t b = SBUF_INIT;
        for (size_t i = 0; diag_get(d, i) != NULL; i++)
            sbuf_printf(&b, "%s\n", diag_get(d, i));
        *error = sbuf_take(&b);
        sbuf_free(&b);
    }
    diag_destroy(&d);
    return rc;
}

int
vet_engine_screen(const vet_engine_t *e, vet_worker_t *w, const char *json, size_t len,
                  const char **reply, size_t *reply_len)
{
    uint64_t t0 = mclock_us();
    arena_reset(w->arena);
    sbuf_clear(&w->reply);
    request_t req;
    req_err_t code;
    const char *msg;
    int rc = 1;
    request_init(&req);
    if (proto_parse(json, len, ENGINE_MAX_REQUEST, w->arena, &req, &code, &msg) != 0) {
        proto_write_error(&w->reply, req.id, code, msg);
    } else if (req.op == REQ_OP_TAXONOMY) {
        proto_write_taxonomy(&w->reply, e->rs, req.id);
        rc = 0;
    } else if (req.op == REQ_OP_PROFILES) {
        proto_write_profiles(&w->reply, e->rs, req.id, e->profile);
        rc = 0;
    } else if (req.op != REQ_OP_SCREEN) {
        proto_write_error(&w->reply, req.id, ERR_UNKNOWN_OP,
                          "this op needs the daemon (vetd); the embedded engine screens only");
    } else {
        result_t res;
        req.default_profile = e->profile;
        if (screen_run(e->rs, &req, w->arena, &res) != 0) {
            proto_write_error(&w->reply, req.id, res.err, res.errmsg);
        } else {
            proto_write_result(&w->reply, e->rs, &req, &res, mclock_us() - t0);
            if (w->cover != NULL && w->covered == e)
                cover_count(w->cover, &req, &res);
            rc = 0;
        }
    }
    if (w->reply.oom)
        return -1;
    *reply = w->reply.data;
    *reply_len = w->reply.len;
    return rc;
}

int
vet_worker_cover(vet_worker_t *w, const vet_engine_t *e)
{
    cover_t *c = cover_new(e->rs);
    if (c == NULL)
        return -1;
    cover_destroy(&w->cover);
    w->cover = c;
    w->covered = e;
    return 0;
}

char *
vet_engine_coverage(const vet_engine_t *e, vet_worker_t *const *ws, size_t n)
{
    cover_t *sum = cover_new(e->rs);
    if (sum == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (ws[i] != NULL && ws[i]->cover != NULL && ws[i]->covered == e)
            cover_merge(sum, ws[i]->cover);
    sbuf_t b = SBUF_INIT;
    cover_report(sum, &b);
    cover_destroy(&sum);
    if (b.oom) {
        sbuf_free(&b);
        return NULL;
    }
    return sbuf_take(&b);
}
