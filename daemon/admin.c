/* SPDX-License-Identifier: Apache-2.0 */
/* admin.c -- the admin ops: ping, version, stats, and the reload through
 * the gates (proto.h, PROTO_RELOAD_GATES) by atomic swap. Gathers what
 * each reply says; proto_admin.c writes it. */
#include "admin.h"

#include <assert.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "afile.h"
#include "cover.h"
#include "diag.h"
#include "mclock.h"
#include "norm.h"
#include "proto.h"
#include "rsh.h"
#include "rtest.h"
#include "runner.h"
#include "server_int.h"
#include "stats.h"
#include "vec.h"
#include "vocab.h"

#define TESTS_SHOWN 20 /* failing cases and test-file errors a report keeps */

/* ---- the reload gates ----------------------------------------------- */

/* What the gates found for one candidate: the reply's gate objects and
 * the error lines of the first gate that failed. */
typedef struct gates {
    proto_gates_t found;    /* the gates that ran; found.shrunk is shrunk */
    proto_shrunk_t *shrunk; /* owned: the lists that lose organisations */
    char **errs;            /* owned: the failing gate's messages */
    size_t n_errs;          /* messages in errs */
    size_t cap_errs;        /* room in errs */
    bool oom;               /* something could not be recorded */
} gates_t;

static void gate_error(server_t *s, gates_t *g, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records one error line of a failing gate: logged and kept for the
 * reload reply. */
static void
gate_error(server_t *s, gates_t *g, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vlog_msg(s->log, VLOG_ERR, "%s", msg);
    if (vec_grow(&g->errs, &g->cap_errs, g->n_errs + 1, sizeof *g->errs, 8) != 0) {
        g->oom = true;
        return;
    }
    char *copy = strdup(msg);
    if (copy == NULL) {
        g->oom = true;
        return;
    }
    g->errs[g->n_errs++] = copy;
}

/* Marks gate which as run, passed or not. */
static void
gate_ran(gates_t *g, proto_gate_t which, bool ok)
{
    g->found.ran = (unsigned)which + 1;
    g->found.ok[which] = ok;
}

/* Gate load: reads and compiles cfg->rules. Returns the ruleset or NULL
 * (every error logged and kept). */
static ruleset_t *
gate_load(server_t *s, gates_t *g, uint64_t *took_us)
{
    uint64_t t0 = mclock_us();
    diag_t *d = diag_new(0);
    /* The index build, most of a large ruleset's load, goes over the
     * cores (runner.h); the old ruleset keeps serving meanwhile. */
    ruleset_t *rs =
        d != NULL ? ruleset_load_par(s->cfg->rules, d, runner_run, NULL, runner_threads()) : NULL;
    *took_us = mclock_us() - t0;
    gate_ran(g, PROTO_GATE_LOAD, rs != NULL);
    if (rs == NULL) {
        size_t n = d != NULL ? diag_count(d) : 0;
        for (size_t i = 0; d != NULL && diag_get(d, i) != NULL; i++)
            gate_error(s, g, "%s", diag_get(d, i));
        if (n == 0)
            gate_error(s, g, "%s: out of memory loading the ruleset", s->cfg->rules);
        g->found.load_errors = n ? n : 1;
        vlog_msg(s->log, VLOG_ERR, "%s: %zu error%s, ruleset not loaded", s->cfg->rules, n ? n : 1,
                 n == 1 ? "" : "s");
    } else if (s->cfg->profile != NULL && vocab_find(&rs->profile_ids, s->cfg->profile) < 0) {
        /* Every screen naming no profile would be refused: the ruleset
         * cannot serve this daemon. */
        const char *sug = vocab_suggest(&rs->profile_ids, s->cfg->profile);
        gate_error(s, g,
                   "%s: the daemon's profile \"%s\" (vetd.cfg profile, --profile) is not a profile "
                   "of this ruleset%s%s%s",
                   s->cfg->rules, s->cfg->profile, sug ? " (did you mean \"" : "", sug ? sug : "",
                   sug ? "\"?)" : "");
        vlog_msg(s->log, VLOG_ERR,
                 "%s: the daemon's profile \"%s\" is not in the ruleset; not loaded", s->cfg->rules,
                 s->cfg->profile);
        g->found.ok[PROTO_GATE_LOAD] = false;
        g->found.load_errors = 1;
        ruleset_destroy(&rs);
    } else {
        g->found.load_us = *took_us;
        /* A rule that can never fire passes the load (it is not wrong,
         * only dead), but whoever reloads should hear of it. */
        sbuf_t warn = SBUF_INIT;
        if (cover_never_fire(rs, &warn) > 0 && !warn.oom)
            for (char *line = warn.data, *nl; line != NULL && *line != '\0';
                 line = nl != NULL ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (nl != NULL)
                    *nl = '\0';
                vlog_msg(s->log, VLOG_WARN, "%s", line);
            }
        sbuf_free(&warn);
    }
    diag_destroy(&d);
    return rs;
}

/* Gate tests: runs the candidate's own tests/NAME.cfg cases. A ruleset
 * whose cases fail judges differently from what its authors wrote down,
 * so it does not serve. Returns true if they all pass. */
static bool
gate_tests(server_t *s, gates_t *g, const ruleset_t *rs)
{
    char *text = NULL;
    size_t tlen = 0;
    FILE *out = open_memstream(&text, &tlen);
    diag_t *d = diag_new(0);
    rtest_summary_t sum = {0, 0, 0};
    int rc = -1;
    if (out != NULL && d != NULL)
        rc = rtest_run(rs, rs->dir, out, d, &sum); /* the version loaded */
    if (out != NULL)
        fclose(out);
    bool ok = rc == 0 && out != NULL && d != NULL;
    gate_ran(g, PROTO_GATE_TESTS, ok);
    g->found.tests_passed = sum.passed;
    g->found.tests_failed = sum.failed;
    if (!ok) {
        /* Each failing case is one line of text; the diag holds malformed
         * test files. Keep at most a screenful of either. */
        size_t shown = 0;
        for (char *line = text, *nl; line != NULL && *line != '\0' && shown < TESTS_SHOWN;
             line = nl ? nl + 1 : NULL, shown++) {
            nl = strchr(line, '\n');
            if (nl != NULL)
                *nl = '\0';
            gate_error(s, g, "%s", line);
        }
        for (size_t i = 0; d != NULL && diag_get(d, i) != NULL && shown < TESTS_SHOWN; i++, shown++)
            gate_error(s, g, "%s", diag_get(d, i));
        if (out == NULL || d == NULL)
            gate_error(s, g, "%s: out of memory running the ruleset's own tests; not loaded",
                       s->cfg->rules);
        else
            gate_error(s, g,
                       "%s: the ruleset's own tests fail (%u passed, %u failed); "
                       "not loaded",
                       s->cfg->rules, sum.passed, sum.failed);
    }
    free(text);
    diag_destroy(&d);
    return ok;
}

/* Organisations on list name in rs (the whole registry for NULL). */
static size_t
list_size(const ruleset_t *rs, const char *name)
{
    if (name == NULL)
        return rs->n_ents;
    int li = vocab_find(&rs->lists, name);
    if (li < 0)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < rs->n_ents; i++)
        n += reg_has_list(&rs->ents[i], (unsigned)li);
    return n;
}

/* Gate shrink: compares every list of the serving ruleset (and the
 * registry as a whole) with the candidate's. A list that loses more than
 * limits.reload_max_shrink percent of its organisations, or disappears,
 * is what an emptied or half-written registry file looks like; it is
 * refused unless the caller forces it (a deliberate large change).
 * The names in g->shrunk are old's. Returns true if the candidate may
 * serve. */
static bool
gate_shrink(server_t *s, gates_t *g, const ruleset_t *old, const ruleset_t *rs, bool force)
{
    int max = s->cfg->reload_max_shrink;
    size_t over = 0;
    size_t room = old != NULL ? old->lists.n + 1 : 0;
    if (room > 0 && (g->shrunk = calloc(room, sizeof *g->shrunk)) == NULL)
        g->oom = true;
    for (size_t i = 0; old != NULL && i <= old->lists.n; i++) {
        const char *name = i < old->lists.n ? old->lists.names[i] : NULL;
        size_t before = list_size(old, name), after = list_size(rs, name);
        if (after >= before || before == 0)
            continue;
        double lost = 100.0 * (double)(before - after) / (double)before;
        bool too_much = lost > (double)max;
        if (g->shrunk != NULL)
            g->shrunk[g->found.n_shrunk++] = (proto_shrunk_t){name, before, after, lost};
        if (!too_much)
            continue;
        over++;
        if (force)
            vlog_msg(s->log, VLOG_WARN,
                     "reload forced: %s %s goes from %zu to %zu "
                     "organisations (-%.0f%%, limit %d%%)",
                     name ? "list" : "the registry", name ? name : "", before, after, lost, max);
        else
            gate_error(s, g,
                       "%s: %s%s%s would go from %zu to %zu organisations (-%.0f%%, "
                       "limit %d%%: limits.reload_max_shrink); if this is deliberate, "
                       "vet reload --force",
                       s->cfg->rules, name ? "list \"" : "the registry", name ? name : "",
                       name ? "\"" : "", before, after, lost, max);
    }
    bool ok = over == 0 || force;
    gate_ran(g, PROTO_GATE_SHRINK, ok);
    g->found.shrink_limit_pct = max;
    g->found.shrink_forced = force && over > 0;
    g->found.shrunk = g->shrunk;
    return ok;
}

/* Gate reviews: reads the review register at path (cfg->reviews, or a
 * candidate register a review edit wrote) into rs, after its own tests
 * ran (they judge the rules, not the decisions people made). A register
 * that does not read keeps the last good state: a decision must never
 * be dropped silently. "-" (no register) passes without running. */
static bool
gate_reviews(server_t *s, gates_t *g, ruleset_t *rs, const char *path)
{
    if (path == NULL || strcmp(path, "-") == 0)
        return true;
    diag_t *d = diag_new(0);
    bool ok = d != NULL && ruleset_load_reviews(rs, path, d) == 0;
    gate_ran(g, PROTO_GATE_REVIEWS, ok);
    if (!ok) {
        size_t n = d != NULL ? diag_count(d) : 0;
        for (size_t i = 0; i < n && i < TESTS_SHOWN; i++)
            gate_error(s, g, "%s", diag_get(d, i));
        if (n == 0)
            gate_error(s, g, "%s: out of memory reading the review register", path);
        gate_error(s, g, "%s: the review register does not read; not loaded", path);
        g->found.reviews_errors = n ? n : 1;
    } else {
        time_t now = time(NULL);
        g->found.reviews_n = rs->n_reviews;
        for (size_t i = 0; i < rs->n_reviews; i++) {
            rs_review_state_t st = ruleset_review_state(&rs->reviews[i], now);
            if (st == RS_REVIEW_ACTIVE)
                g->found.reviews_active++;
            else if (st == RS_REVIEW_INERT)
                vlog_msg(s->log, VLOG_WARN, "%s:%d: review %s is inert: %s", path,
                         rs->reviews[i].line, rs->reviews[i].id, rs->reviews[i].inert);
        }
    }
    diag_destroy(&d);
    return ok;
}

/* Loads cfg->rules and runs it through the gates against old (NULL at
 * start-up: the shrink gate passes), with the review register at
 * reviews. Returns the ruleset that may serve (caller owns it; its
 * rsh_swap needs no memory), or NULL with every reason logged and in g. */
#define GIVE_BACK_WAIT_MS 200 /* give_back's patience with a pinned ruleset */

static ruleset_t *
load_gated(server_t *s, gates_t *g, const ruleset_t *old, bool force, const char *reviews,
           uint64_t *took_us)
{
    ruleset_t *rs = gate_load(s, g, took_us);
    if (rs != NULL && (!gate_tests(s, g, rs) || !gate_shrink(s, g, old, rs, force) ||
                       !gate_reviews(s, g, rs, reviews)))
        ruleset_destroy(&rs);
    /* Its swap must not need memory once the reload is told a success
     * (rsh_reserve): with none, the reload fails and old keeps serving. */
    if (rs != NULL && old != NULL && rsh_reserve(s->rsh) != 0) {
        gate_error(s, g, "%s: out of memory to swap the new ruleset in", s->cfg->rules);
        ruleset_destroy(&rs);
    }
    if (g->oom) {
        /* The report is incomplete: say so rather than serve unexplained. */
        vlog_msg(s->log, VLOG_ERR, "out of memory reporting the reload gates");
        ruleset_destroy(&rs);
    }
    return rs;
}

/* A load frees as much as it keeps (parsed files, build tables), and a
 * reload then retires a ruleset, hundreds of MiB at a million names, in
 * the malloc arenas of the threads that built it: glibc keeps freed
 * heap, so this gives it back, or vetd's resident size stays at the
 * load's peak for good (bench/scale.sh at a million names: 910 to 951
 * MiB resident after a reload when only the load's own heap was given
 * back). A worker pins the retired ruleset for the one request it is
 * answering: waited for here, briefly, so that the ruleset is freed and
 * its heap given back by the loading thread, not on the routing loop
 * (whose rsh_reap frees what is still pinned after this, untrimmed). */
static void
give_back(server_t *s)
{
    for (int i = 0; i < GIVE_BACK_WAIT_MS && rsh_reap(s->rsh) > 0; i++)
        usleep(1000);
    malloc_trim(0);
}

static void
gates_free(gates_t *g)
{
    for (size_t i = 0; i < g->n_errs; i++)
        free(g->errs[i]);
    free(g->errs);
    free(g->shrunk);
    memset(g, 0, sizeof *g);
}

ruleset_t *
admin_load_first(server_t *s, uint64_t *took_us)
{
    gates_t g;
    memset(&g, 0, sizeof g);
    ruleset_t *rs = load_gated(s, &g, NULL, false, s->cfg->reviews_path, took_us);
    gates_free(&g);
    give_back(s);
    return rs;
}

void
admin_reload(server_t *s, sbuf_t *reply, const char *id, bool force)
{
    pthread_mutex_lock(&s->reload_lock);
    server_keys_reload(s); /* the allow-lists too; a bad one keeps the old */
    vlog_msg(s->log, VLOG_INFO, "reloading the ruleset from %s%s", s->cfg->rules,
             force ? " (forced)" : "");
    gates_t g;
    memset(&g, 0, sizeof g);
    uint64_t took;
    const ruleset_t *old = rsh_peek(s->rsh);
    ruleset_t *rs = load_gated(s, &g, old, force, s->cfg->reviews_path, &took);
    proto_reload_t r = {.gates = &g.found};
    if (rs != NULL) {
        /* Written before the swap: the reply and the gates name old,
         * which the swap retires and the main loop's rsh_reap may then
         * free at once. */
        if (reply != NULL) {
            r.ok = true;
            r.rs = rs;
            r.load_us = took;
            r.previous = old;
            proto_write_reload(reply, id, &r);
        }
        vlog_msg(s->log, VLOG_INFO,
                 "ruleset reloaded: version %s, digest %.16s, %zu organisations, %zu rules, "
                 "%.1f ms",
                 rs->version, rs->digest, rs->n_ents, rs->n_rules, took / 1000.0);
        admin_log_stale(s->log, rs);
        atomic_store(&s->load_us, took);
        if (rsh_swap(s->rsh, rs) != 0) /* not after rsh_reserve: a bug */
            abort();
        atomic_fetch_add(&s->reloads_ok, 1);
    } else {
        atomic_fetch_add(&s->reloads_failed, 1);
        vlog_msg(s->log, VLOG_WARN, "reload failed; still serving %s",
                 old ? old->version : "nothing (no ruleset loaded)");
        if (reply != NULL) {
            r.ok = false;
            r.rs = old;
            r.load_us = atomic_load(&s->load_us);
            r.errors = (const char *const *)g.errs;
            r.n_errors = g.n_errs;
            proto_write_reload(reply, id, &r);
        }
    }
    gates_free(&g);
    give_back(s);
    pthread_mutex_unlock(&s->reload_lock);
}

/* ---- the review register ---------------------------------------------- */

/* Today (UTC) as YYYY-MM-DD into buf (11 bytes). */
static void
today(time_t now, char buf[11])
{
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, 11, "%Y-%m-%d", &tm);
}

/* Index of the organisation or person id (or an id merged into it) in
 * rs, or -1. */
static int64_t
find_entity(const ruleset_t *rs, const char *id)
{
    for (size_t i = 0; i < rs->n_ents; i++) {
        const reg_entity_t *e = &rs->ents[i];
        if (strcmp(e->id, id) == 0)
            return (int64_t)i;
        for (uint16_t k = 0; k < e->n_merged; k++)
            if (strcmp(e->merged[k], id) == 0)
                return (int64_t)i;
    }
    return -1;
}

/* Checks an add against the register and ruleset cur, and fills the new
 * entry *out (strings borrowed from req and from id, on, which the
 * caller keeps). Returns NULL, or the reason it is refused (in msg). */
static const char *
review_check_add(const ruleset_t *cur, const req_review_t *q, time_t now, rs_review_t *out,
                 const char *id, const char *on, char *msg, size_t cap)
{
    memset(out, 0, sizeof *out);
    const char *miss = q->decision == NULL  ? "decision"
                       : q->entity == NULL  ? "entity"
                       : q->by == NULL      ? "by"
                       : q->reason == NULL  ? "reason"
                       : q->expires == NULL ? "expires"
                       : q->ref == NULL     ? "ref"
                                            : NULL;
    if (miss != NULL) {
        snprintf(msg, cap, "review.%s: required", miss);
        return msg;
    }
    bool accepted = strcmp(q->decision, "accepted") == 0;
    if (!accepted && strcmp(q->decision, "not_entity") != 0) {
        snprintf(msg, cap, "review.decision: \"%.32s\" is not \"not_entity\" or \"accepted\"",
                 q->decision);
        return msg;
    }
    if (q->id != NULL) {
        snprintf(msg, cap, "review.id: vetd assigns the id of a new entry");
        return msg;
    }
    int64_t ent = find_entity(cur, q->entity);
    if (ent < 0) {
        snprintf(msg, cap,
                 "review.entity: \"%.64s\" is not an organisation or person of the "
                 "ruleset (the id a screen's reply gives in matches[].entity)",
                 q->entity);
        return msg;
    }
    if (accepted) {
        if (q->activity == NULL || q->rule == NULL) {
            snprintf(msg, cap, "review.%s: required for an accepted tie",
                     q->activity == NULL ? "activity" : "rule");
            return msg;
        }
        if (q->name != NULL || q->country != NULL) {
            snprintf(msg, cap, "review.%s: an accepted tie names no partner name or country",
                     q->name != NULL ? "name" : "country");
            return msg;
        }
        if (vocab_find(&cur->activities, q->activity) < 0) {
            const char *sug = vocab_suggest(&cur->activities, q->activity);
            snprintf(msg, cap, "review.activity: unknown activity \"%.32s\"%s%s%s", q->activity,
                     sug ? " (did you mean \"" : "", sug ? sug : "", sug ? "\"?)" : "");
            return msg;
        }
        int rule = -1;
        for (size_t i = 0; i < cur->n_rules; i++)
            if (strcmp(cur->rules[i].id, q->rule) == 0)
                rule = (int)i;
        if (rule < 0) {
            snprintf(msg, cap, "review.rule: \"%.64s\" is not a rule of the ruleset", q->rule);
            return msg;
        }
        if (cur->rules[rule].verdict + 1 >= (int)cur->verdicts.n) {
            snprintf(msg, cap,
                     "review.rule: %s is a %s rule: a review does not lift a prohibition (that "
                     "takes a licence or a change of policy)",
                     q->rule, cur->verdicts.names[cur->rules[rule].verdict]);
            return msg;
        }
    } else {
        if (q->name == NULL) {
            snprintf(msg, cap, "review.name: required (the partner's name as screened)");
            return msg;
        }
        if (q->activity != NULL || q->rule != NULL) {
            snprintf(msg, cap, "review.%s: a not_entity decision names no activity or rule",
                     q->activity != NULL ? "activity" : "rule");
            return msg;
        }
    }
    char why[96];
    int y, m, d;
    if (strlen(q->expires) != 10 || !match_date_valid(q->expires, why, sizeof why) ||
        sscanf(q->expires, "%4d-%2d-%2d", &y, &m, &d) != 3) {
        snprintf(msg, cap, "review.expires: \"%.32s\" is not a date YYYY-MM-DD", q->expires);
        return msg;
    }
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    int64_t until = (int64_t)timegm(&tm) + 86400;
    if (until <= (int64_t)now || until - (int64_t)now > (RS_REVIEW_MAX_DAYS + 1) * 86400LL) {
        snprintf(msg, cap, "review.expires: %s must be today or later, and at most %d days ahead",
                 q->expires, RS_REVIEW_MAX_DAYS);
        return msg;
    }
    *out = (rs_review_t){
        .id = id,
        .kind = accepted ? RS_REVIEW_ACCEPTED : RS_REVIEW_NOT_ENTITY,
        .entity_id = cur->ents[ent].id,
        .entity = ent,
        .name = q->name,
        .country = q->country,
        .activity = q->activity,
        .rule = q->rule,
        .by = q->by,
        .on = on,
        .reason = q->reason,
        .expires = q->expires,
        .ref = q->ref,
        .until = until,
    };
    /* The same decision twice would make withdrawing it ambiguous. */
    for (size_t i = 0; i < cur->n_reviews; i++) {
        const rs_review_t *r = &cur->reviews[i];
        if (ruleset_review_state(r, now) != RS_REVIEW_ACTIVE || r->kind != out->kind ||
            r->entity != ent)
            continue;
        bool same =
            accepted
                ? strcmp(r->activity, q->activity) == 0 && strcmp(r->rule, q->rule) == 0
                : (r->country == NULL ? q->country == NULL
                                      : q->country != NULL && strcmp(r->country, q->country) == 0);
        if (same && !accepted) {
            /* Names compare as the screen compares them: normalised. */
            arena_t *a = arena_new(0);
            const char *norm = NULL;
            size_t len = 0;
            same = a != NULL &&
                   norm_text(a, q->name, strlen(q->name), &norm, &len, why, sizeof why) == 0 &&
                   strlen(r->norm) == len && memcmp(r->norm, norm, len) == 0;
            arena_destroy(&a);
        }
        if (same) {
            snprintf(msg, cap, "review: already decided by %s (%s, %s), in force until %s", r->id,
                     r->by, r->on, r->expires);
            return msg;
        }
    }
    return NULL;
}

/* The next free id: "rv-" and one more than the largest number in use. */
static void
next_review_id(const ruleset_t *cur, char *buf, size_t cap)
{
    long max = 0;
    for (size_t i = 0; i < cur->n_reviews; i++) {
        char *end;
        long v = strncmp(cur->reviews[i].id, "rv-", 3) == 0
                     ? strtol(cur->reviews[i].id + 3, &end, 10)
                     : 0;
        if (v > max)
            max = v;
    }
    snprintf(buf, cap, "rv-%ld", max + 1);
}

/* Adds or withdraws an entry of the review register: checks it against
 * the ruleset serving, writes the register with it to a file beside the
 * register, reloads through every gate with that file, and only if the
 * new ruleset passes renames it over the register and swaps; otherwise
 * the register and the ruleset serving stay as they were. Serialised
 * with reloads. The reply is a reload reply with "action" and "review". */
static void
admin_review_edit(server_t *s, const request_t *req, sbuf_t *reply)
{
    const char *path = s->cfg->reviews_path;
    if (strcmp(path, "-") == 0) {
        proto_write_error(reply, req->id, ERR_UNAVAILABLE,
                          "this vetd has no review register (reviews = \"-\")");
        return;
    }
    pthread_mutex_lock(&s->reload_lock);
    const ruleset_t *cur = rsh_peek(s->rsh);
    time_t now = time(NULL);
    char on[11], id[32], msg[512], tmp[4096];
    today(now, on);
    const req_review_t *q = &req->review;
    bool add = strcmp(req->action, "add") == 0;
    rs_review_t *v = NULL;
    size_t n = 0, at = 0;
    const char *refused = NULL;
    if (cur == NULL) {
        proto_write_error(reply, req->id, ERR_UNAVAILABLE,
                          "no ruleset is loaded: the register cannot be checked");
        goto out;
    }
    if ((v = calloc(cur->n_reviews + 1, sizeof *v)) == NULL) {
        proto_write_error(reply, req->id, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (cur->n_reviews > 0) /* an empty register has no array (NULL) */
        memcpy(v, cur->reviews, cur->n_reviews * sizeof *v);
    n = cur->n_reviews;
    if (add) {
        next_review_id(cur, id, sizeof id);
        refused = review_check_add(cur, q, now, &v[n], id, on, msg, sizeof msg);
        at = n++;
    } else if (q->id == NULL || q->by == NULL || q->reason == NULL) {
        snprintf(msg, sizeof msg, "review.%s: required to withdraw an entry",
                 q->id == NULL   ? "id"
                 : q->by == NULL ? "by"
                                 : "reason");
        refused = msg;
    } else {
        refused = msg;
        snprintf(msg, sizeof msg, "review.id: no entry \"%.32s\" in the register", q->id);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(v[i].id, q->id) != 0)
                continue;
            if (v[i].expired_on != NULL) {
                snprintf(msg, sizeof msg, "review.id: %s was already withdrawn on %s by %s",
                         v[i].id, v[i].expired_on, v[i].expired_by);
                break;
            }
            v[i].expired_on = on;
            v[i].expired_by = q->by;
            v[i].expired_why = q->reason;
            at = i;
            refused = NULL;
            break;
        }
    }
    if (refused != NULL) {
        proto_write_error(reply, req->id, ERR_BAD_REQUEST, refused);
        goto out;
    }
    sbuf_t text;
    sbuf_init(&text);
    ruleset_reviews_format(&text, v, n);
    int staged =
        text.oom ? -1
                 : afile_stage(path, text.data, text.len, 0640, tmp, sizeof tmp, msg, sizeof msg);
    if (text.oom)
        snprintf(msg, sizeof msg, "out of memory");
    sbuf_free(&text);
    if (staged != 0) {
        vlog_msg(s->log, VLOG_ERR, "review register: %s", msg);
        proto_write_error(reply, req->id, ERR_INTERNAL, msg);
        goto out;
    }
    gates_t g;
    memset(&g, 0, sizeof g);
    uint64_t took;
    ruleset_t *rs = load_gated(s, &g, cur, false, tmp, &took);
    if (rs != NULL && afile_commit(tmp, path, msg, sizeof msg) != 0) {
        vlog_msg(s->log, VLOG_ERR, "review register: %s", msg);
        ruleset_destroy(&rs);
        gate_error(s, &g, "%s", msg);
    }
    proto_reload_t r = {.gates = &g.found, .action = req->action};
    if (rs != NULL) {
        rs->reviews_path = path; /* it was read from tmp, now renamed */
        const rs_review_t *e = NULL;
        for (size_t i = 0; i < rs->n_reviews && e == NULL; i++)
            if (strcmp(rs->reviews[i].id, v[at].id) == 0)
                e = &rs->reviews[i];
        r.ok = true;
        r.rs = rs;
        r.load_us = took;
        r.previous = cur;
        r.review = e;
        proto_write_reload(reply, req->id, &r);
        vlog_msg(s->log, VLOG_INFO, "review %s %s by %s (%s %s); ruleset digest %.16s", v[at].id,
                 add ? "added" : "withdrawn", q->by, ruleset_review_kind_name(v[at].kind),
                 v[at].entity_id, rs->digest);
        atomic_store(&s->load_us, took);
        if (rsh_swap(s->rsh, rs) != 0) /* not after rsh_reserve: a bug */
            abort();
        atomic_fetch_add(&s->reloads_ok, 1);
    } else {
        unlink(tmp);
        atomic_fetch_add(&s->reloads_failed, 1);
        vlog_msg(s->log, VLOG_WARN, "review %s refused by the gates; the register is unchanged",
                 add ? "add" : "expire");
        r.rs = cur;
        r.load_us = atomic_load(&s->load_us);
        r.errors = (const char *const *)g.errs;
        r.n_errors = g.n_errs;
        proto_write_reload(reply, req->id, &r);
    }
    gates_free(&g);
    give_back(s);
out:
    free(v);
    pthread_mutex_unlock(&s->reload_lock);
}

/* ---- the other ops -------------------------------------------------- */

static void
answer_version(server_t *s, sbuf_t *b, const char *id, const ruleset_t *rs)
{
    proto_version_t v = {
        .server = VETD_VERSION,
        .protocol = VETD_PROTOCOL,
        .zmq = {ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH},
        .rs = rs,
        .load_us = atomic_load(&s->load_us),
    };
    proto_write_version(b, id, &v);
}

static void
answer_stats(server_t *s, sbuf_t *b, const char *id, const ruleset_t *rs)
{
    proto_stats_t st = {
        .uptime_us = mclock_us() - s->started_us,
        .started_at = s->started_at,
        .workers = s->n_workers,
    };
    proto_counters_t counters;
    stats_snapshot(s->stats, &counters);
    st.counters = &counters;
    st.reloads_ok = atomic_load(&s->reloads_ok);
    st.reloads_failed = atomic_load(&s->reloads_failed);
    st.rs = rs;
    st.load_us = atomic_load(&s->load_us);
    st.listening = atomic_load(&s->listening);
    st.fds = atomic_load(&s->fds);
    st.fd_limit = s->fd_limit;
    st.refusals = atomic_load(&s->refusals);
    st.handshake_failures = atomic_load(&s->handshake_failures);
    proto_audit_stats_t audit;
    if (s->audit != NULL) {
        audit = (proto_audit_stats_t){
            .path = s->cfg->audit_path,
            .written = audit_written(s->audit),
            .healthy = audit_healthy(s->audit),
            .on_failure = s->cfg->audit_on_failure,
            .refused = atomic_load(&s->audit_refused),
            .unaudited = atomic_load(&s->unaudited),
            .dropped = audit_dropped(s->audit),
        };
        st.audit = &audit;
    }
    proto_write_stats(b, id, &st);
}

void
admin_log_stale(vlog_t *log, const ruleset_t *rs)
{
    time_t now = time(NULL);
    for (size_t i = 0; rs != NULL && i < rs->lists.n; i++)
        if (ruleset_list_stale(rs, i, now))
            vlog_msg(log, VLOG_WARN,
                     "list %s is stale: its edition of %s is older than %d days "
                     "(max_age_days); update it (vet-update)",
                     rs->list_info[i].id, rs->list_info[i].as_of, rs->list_info[i].max_age_days);
}

void
admin_answer(server_t *s, size_t slot, const request_t *req, const ruleset_t **rs, sbuf_t *reply)
{
    switch (req->op) {
    case REQ_OP_PING: proto_write_ping(reply, req->id); break;
    case REQ_OP_VERSION: answer_version(s, reply, req->id, *rs); break;
    case REQ_OP_STATS: answer_stats(s, reply, req->id, *rs); break;
    case REQ_OP_RELOAD:
        /* Unpin first: the reload frees the old ruleset as soon as
         * nobody holds it, and this worker is done with it. */
        rsh_release(s->rsh, slot);
        admin_reload(s, reply, req->id, req->force);
        *rs = rsh_acquire(s->rsh, slot);
        break;
    case REQ_OP_REVIEW:
        if (strcmp(req->action, "list") == 0) {
            if (*rs == NULL)
                proto_write_error(reply, req->id, ERR_UNAVAILABLE, "no ruleset is loaded");
            else
                proto_write_reviews(reply, req->id, *rs, time(NULL));
            break;
        }
        /* An edit reloads: unpin first, as a reload does. */
        rsh_release(s->rsh, slot);
        admin_review_edit(s, req, reply);
        *rs = rsh_acquire(s->rsh, slot);
        break;
    case REQ_OP_SCREEN:
    case REQ_OP_TAXONOMY:
    case REQ_OP_PROFILES:
    case REQ_OP_COUNT: assert(!"not an admin op"); break;
    }
}
