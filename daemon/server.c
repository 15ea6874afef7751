/* server.c -- the daemon: ROUTER front end, worker pool, admin ops,
 * ruleset reload by atomic swap, graceful drain, audit records.
 *
 * Threads and sockets:
 *   main     ROUTER bound on every endpoint (clients) and a DEALER bound
 *            on inproc (workers). It moves requests from clients to
 *            workers, adding a meta frame (arrival time, peer address),
 *            and replies back, counting what is inside the daemon.
 *   worker   DEALER connected to the inproc DEALER; receives
 *            [envelope..., body, meta], replies [envelope..., reply].
 *            Own arena and buffers; pins the ruleset per request.
 *   audit    the writer thread of audit.c, fed by one sink per worker.
 *   reload   a short-lived thread per SIGHUP; the reload op runs on the
 *            worker that received it. Either way one at a time. */
#include "server.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "arena.h"
#include "mclock.h"
#include "audit.h"
#include "diag.h"
#include "proto.h"
#include "rsh.h"
#include "rtest.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"
#include "stats.h"

#define MAX_FRAMES 8            /* envelope frames + body we keep per request */
#define CONTROL_STOP "stop"     /* single-frame message: main -> worker */
#define CONTROL_ACK "stopped"   /* single-frame message: worker -> main */
#define RAW_AUDIT_MAX 512       /* bytes of a rejected request kept in the audit log */
#define WINDOW_REQUEST_BYTES 1024 /* what a request costs the window beyond its bytes */
#define OOM_MESSAGE "out of memory writing the reply"
#define OOM_REPLY "{\"error\":{\"code\":\"internal\",\"message\":\"" OOM_MESSAGE "\"}}"
#define AUDIT_REFUSED "the audit log cannot be written; screening is refused until it can " \
    "(audit.on_failure = refuse)"
#define AUDIT_STOP_MS 2000      /* at stop, patience with a failing audit disk */
#define AUDIT_FULL_WAIT_US 2000000u /* how long a worker waits for room in its audit queue */
#define AUDIT_WARN_US 10000000u /* at most one audit-failure warning per 10 s */
#define DRAIN_GRACE_US 1000000u /* past drain_ms, at most this long for the workers */
#define FD_CHECK_US 1000000u    /* how often descriptors are counted when nothing happens */
#define FD_CHECK_BUSY_US 5000u  /* at most this often while connections arrive */
#define FD_COOLDOWN_US 1000000u /* closed for lack of fds: at least this long */

/* What main attaches to each request: a meta frame. */
typedef struct meta {
    uint64_t t_recv_us;         /* monotonic µs when main read it */
    uint64_t cost;              /* bytes main counted against its window */
    char peer[48];              /* client address ("127.0.0.1", "ipc"...) */
} meta_t;

typedef struct worker {
    struct server *srv;         /* borrowed */
    size_t idx;                 /* slot in rsh and stats */
    pthread_t thread;
    bool started;               /* thread created */
    void *sock;                 /* DEALER to main; owned by the thread */
    audit_sink_t *sink;         /* owned, NULL without audit */
    arena_t *arena;             /* per-request memory */
    sbuf_t reply;               /* reply being built */
    sbuf_t rec;                 /* audit record being built */
} worker_t;

struct server {
    const dconf_t *cfg;         /* borrowed */
    vlog_t *log;                /* borrowed */
    void *zctx;                 /* owned */
    void *front;                /* ROUTER, clients */
    void *back;                 /* DEALER, workers */
    char back_ep[64];           /* inproc endpoint of back */
    rsh_t *rsh;                 /* the current ruleset */
    stats_t *stats;
    audit_t *audit;             /* NULL when the audit log is off */
    worker_t *workers;
    size_t n_workers;
    pthread_mutex_t reload_lock; /* one reload at a time */
    _Atomic uint64_t reloads_ok;
    _Atomic uint64_t reloads_failed;
    _Atomic uint64_t load_us;   /* how long the current ruleset took to load */
    _Atomic bool hup_busy;      /* a SIGHUP reload thread is running */
    pthread_t hup_thread;
    bool hup_joinable;
    uint64_t started_us;        /* monotonic */
    time_t started_at;          /* wall clock */
    /* file descriptors (main thread only) */
    void *mon;                  /* PAIR: the front end's connection events */
    char mon_ep[64];            /* inproc endpoint of the monitor */
    long fd_limit;              /* RLIMIT_NOFILE soft limit, raised to the hard one */
    _Atomic long fds;           /* descriptors open at the last count */
    atomic_bool listening;      /* endpoints bound (false: refusing connections) */
    uint64_t fd_next_us;        /* monotonic µs of the next count */
    uint64_t fd_rebind_us;      /* not listening: not before this */
    _Atomic uint64_t refusals;  /* times the endpoints were closed for lack of fds */
    /* the audit log failing */
    bool audit_refuse;          /* audit.on_failure = refuse */
    _Atomic uint64_t audit_refused; /* screens refused: the record could not be kept */
    _Atomic uint64_t unaudited; /* requests answered without a record */
    _Atomic uint64_t audit_warned_us; /* monotonic µs of the last warning */
};

static void
iso_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- ruleset loading and the reload gates --------------------------- */

/* What a candidate ruleset must pass before it serves, in order. A gate
 * that fails keeps the ruleset in service as it is (fail closed: the last
 * good ruleset, never a partial one). X(enum, name) */
#define RELOAD_GATES(X) \
    X(GATE_LOAD, "load")        /* every file read and compiled, no error */ \
    X(GATE_TESTS, "tests")      /* the ruleset's own tests/ cases pass */ \
    X(GATE_SHRINK, "shrink")    /* no list loses more than reload_max_shrink */

typedef enum gate {
#define X(e, s) e,
    RELOAD_GATES(X)
#undef X
    GATE_COUNT
} gate_t;

static const char *const gate_names[] = {
#define X(e, s) s,
    RELOAD_GATES(X)
#undef X
};

/* The outcome of the gates for one candidate: a JSON array of gate
 * objects for the reply and the error lines of the first gate that
 * failed. */
typedef struct gates {
    sbuf_t json;                /* [{"gate":"load","ok":true,...},...] */
    sbuf_t errs;                /* JSON array members: "message",... */
    size_t n_errs;              /* members in errs */
} gates_t;

static void
gate_error(server_t *s, gates_t *g, const char *fmt, ...)
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
    if (g->n_errs++ > 0)
        sbuf_putc(&g->errs, ',');
    sbuf_json_cstr(&g->errs, msg);
}

/* Opens the reply object of one gate: {"gate":NAME,"ok":B */
static void
gate_open(gates_t *g, gate_t which, bool ok)
{
    if (g->json.len > 1)
        sbuf_putc(&g->json, ',');
    sbuf_printf(&g->json, "{\"gate\":\"%s\",\"ok\":%s", gate_names[which],
                ok ? "true" : "false");
}

/* Gate load: reads and compiles cfg->rules. Returns the ruleset or NULL
 * (every error logged and kept). */
static ruleset_t *
gate_load(server_t *s, gates_t *g, uint64_t *took_us)
{
    uint64_t t0 = mclock_us();
    diag_t *d = diag_new(0);
    ruleset_t *rs = d != NULL ? ruleset_load(s->cfg->rules, d) : NULL;
    *took_us = mclock_us() - t0;
    gate_open(g, GATE_LOAD, rs != NULL);
    if (rs == NULL) {
        size_t n = d != NULL ? diag_count(d) : 0;
        for (size_t i = 0; d != NULL && diag_get(d, i) != NULL; i++)
            gate_error(s, g, "%s", diag_get(d, i));
        if (n == 0)
            gate_error(s, g, "%s: out of memory loading the ruleset", s->cfg->rules);
        sbuf_printf(&g->json, ",\"errors\":%zu}", n ? n : 1);
        vlog_msg(s->log, VLOG_ERR, "%s: %zu error%s, ruleset not loaded", s->cfg->rules,
                 n ? n : 1, n == 1 ? "" : "s");
    } else {
        sbuf_printf(&g->json, ",\"ms\":%.1f}", (double)*took_us / 1000.0);
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
    rtest_summary_t sum = { 0, 0, 0 };
    int rc = -1;
    if (out != NULL && d != NULL)
        rc = rtest_run(rs, s->cfg->rules, out, d, &sum);
    if (out != NULL)
        fclose(out);
    bool ok = rc == 0 && out != NULL && d != NULL;
    gate_open(g, GATE_TESTS, ok);
    sbuf_printf(&g->json, ",\"passed\":%u,\"failed\":%u}", sum.passed, sum.failed);
    if (!ok) {
        /* Each failing case is one line of text; the diag holds malformed
         * test files. Keep at most a screenful of either. */
        size_t shown = 0;
        for (char *line = text, *nl; line != NULL && *line != '\0' && shown < 20;
             line = nl ? nl + 1 : NULL, shown++) {
            nl = strchr(line, '\n');
            if (nl != NULL)
                *nl = '\0';
            gate_error(s, g, "%s", line);
        }
        for (size_t i = 0; d != NULL && diag_get(d, i) != NULL && shown < 20; i++, shown++)
            gate_error(s, g, "%s", diag_get(d, i));
        if (out == NULL || d == NULL)
            gate_error(s, g, "%s: out of memory running the ruleset's own tests; not loaded",
                       s->cfg->rules);
        else
            gate_error(s, g, "%s: the ruleset's own tests fail (%u passed, %u failed); "
                       "not loaded", s->cfg->rules, sum.passed, sum.failed);
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
 * Returns true if the candidate may serve. */
static bool
gate_shrink(server_t *s, gates_t *g, const ruleset_t *old, const ruleset_t *rs, bool force)
{
    int max = s->cfg->reload_max_shrink;
    size_t over = 0;
    sbuf_t lists = SBUF_INIT;
    for (size_t i = 0; old != NULL && i <= old->lists.n; i++) {
        const char *name = i < old->lists.n ? old->lists.names[i] : NULL;
        size_t before = list_size(old, name), after = list_size(rs, name);
        if (after >= before || before == 0)
            continue;
        double lost = 100.0 * (double)(before - after) / (double)before;
        bool too_much = lost > (double)max;
        if (lists.len > 0)
            sbuf_putc(&lists, ',');
        sbuf_puts(&lists, "{\"list\":");
        sbuf_json_cstr(&lists, name ? name : "(all organisations)");
        sbuf_printf(&lists, ",\"before\":%zu,\"after\":%zu,\"lost_pct\":%.1f}", before, after,
                    lost);
        if (!too_much)
            continue;
        over++;
        if (force)
            vlog_msg(s->log, VLOG_WARN, "reload forced: %s %s goes from %zu to %zu "
                     "organisations (-%.0f%%, limit %d%%)", name ? "list" : "the registry",
                     name ? name : "", before, after, lost, max);
        else
            gate_error(s, g, "%s: %s%s%s would go from %zu to %zu organisations (-%.0f%%, "
                       "limit %d%%: limits.reload_max_shrink); if this is deliberate, "
                       "vet reload --force", s->cfg->rules, name ? "list \"" : "the registry",
                       name ? name : "", name ? "\"" : "", before, after, lost, max);
    }
    bool ok = over == 0 || force;
    gate_open(g, GATE_SHRINK, ok);
    sbuf_printf(&g->json, ",\"limit_pct\":%d,\"forced\":%s,\"shrunk\":[%s]}", max,
                force && over > 0 ? "true" : "false", lists.data ? lists.data : "");
    sbuf_free(&lists);
    return ok;
}

/* Loads cfg->rules and runs it through the gates against old (NULL at
 * start-up: no shrink gate). Returns the ruleset that may serve, or NULL
 * with every reason logged and in g. */
static ruleset_t *
load_gated(server_t *s, gates_t *g, const ruleset_t *old, bool force, uint64_t *took_us)
{
    sbuf_putc(&g->json, '[');
    ruleset_t *rs = gate_load(s, g, took_us);
    if (rs != NULL && (!gate_tests(s, g, rs) || !gate_shrink(s, g, old, rs, force)))
        ruleset_destroy(&rs);
    sbuf_putc(&g->json, ']');
    if (g->json.oom || g->errs.oom) {
        /* The report is incomplete: say so rather than serve unexplained. */
        vlog_msg(s->log, VLOG_ERR, "out of memory reporting the reload gates");
        ruleset_destroy(&rs);
    }
    return rs;
}

static void
gates_free(gates_t *g)
{
    sbuf_free(&g->json);
    sbuf_free(&g->errs);
}

static void
put_ruleset(sbuf_t *b, const ruleset_t *rs, uint64_t load_us)
{
    if (rs == NULL) {
        sbuf_puts(b, "null");
        return;
    }
    char when[32];
    iso_time(rs->loaded_at, when, sizeof when);
    sbuf_puts(b, "{\"version\":");
    sbuf_json_cstr(b, rs->version);
    sbuf_printf(b, ",\"digest\":\"%s\",\"content\":\"%s\",\"loaded_at\":\"%s\","
                "\"load_ms\":%.1f,\"bytes\":%zu,\"organisations\":%zu,\"rules\":%zu}",
                rs->digest, rs->content, when, (double)load_us / 1000.0, ruleset_memory(rs),
                rs->n_ents, rs->n_rules);
}

/* Opens a reply object: "{" and the id member when there is one. */
static void
open_reply(sbuf_t *b, const char *id)
{
    sbuf_putc(b, '{');
    if (id != NULL) {
        sbuf_puts(b, "\"id\":");
        sbuf_json_cstr(b, id);
        sbuf_putc(b, ',');
    }
}

/* Reloads the ruleset through the gates; if they all pass, swaps it in.
 * Writes the reply to the reload op into reply when not NULL. force
 * passes the shrink gate. Serialised by reload_lock; never called with
 * a ruleset pinned by the calling thread. */
static void
reload(server_t *s, sbuf_t *reply, const char *id, bool force)
{
    pthread_mutex_lock(&s->reload_lock);
    vlog_msg(s->log, VLOG_INFO, "reloading the ruleset from %s%s", s->cfg->rules,
             force ? " (forced)" : "");
    gates_t g = { SBUF_INIT, SBUF_INIT, 0 };
    uint64_t took;
    const ruleset_t *old = rsh_peek(s->rsh);
    ruleset_t *rs = load_gated(s, &g, old, force, &took);
    if (reply != NULL)
        open_reply(reply, id);
    if (rs != NULL) {
        if (reply != NULL) {
            sbuf_puts(reply, "\"ok\":true,\"ruleset\":");
            put_ruleset(reply, rs, took);
            sbuf_puts(reply, ",\"previous\":");
            if (old != NULL) {
                sbuf_puts(reply, "{\"version\":");
                sbuf_json_cstr(reply, old->version);
                sbuf_printf(reply, ",\"digest\":\"%s\"}", old->digest);
            } else {
                sbuf_puts(reply, "null");
            }
            sbuf_puts(reply, ",\"gates\":");
            sbuf_append(reply, g.json.data, g.json.len);
            sbuf_putc(reply, '}');
        }
        vlog_msg(s->log, VLOG_INFO,
                 "ruleset reloaded: version %s, digest %.16s, %zu organisations, %zu rules, "
                 "%.1f ms", rs->version, rs->digest, rs->n_ents, rs->n_rules, took / 1000.0);
        atomic_store(&s->load_us, took);
        rsh_swap(s->rsh, rs);
        atomic_fetch_add(&s->reloads_ok, 1);
    } else {
        atomic_fetch_add(&s->reloads_failed, 1);
        vlog_msg(s->log, VLOG_WARN, "reload failed; still serving %s",
                 old ? old->version : "nothing (no ruleset loaded)");
        if (reply != NULL) {
            sbuf_puts(reply, "\"ok\":false,\"errors\":[");
            sbuf_append(reply, g.errs.data ? g.errs.data : "", g.errs.len);
            sbuf_puts(reply, "],\"gates\":");
            sbuf_append(reply, g.json.data ? g.json.data : "[]", g.json.data ? g.json.len : 2);
            sbuf_puts(reply, ",\"ruleset\":");
            put_ruleset(reply, old, atomic_load(&s->load_us));
            sbuf_putc(reply, '}');
        }
    }
    gates_free(&g);
    rsh_reap(s->rsh);
    pthread_mutex_unlock(&s->reload_lock);
}

static void *
hup_main(void *arg)
{
    server_t *s = arg;
    /* A name operators see in top, and fault-injection tests select. */
    prctl(PR_SET_NAME, "vetd-reload", 0, 0, 0);
    reload(s, NULL, NULL, false);
    atomic_store(&s->hup_busy, false);
    return NULL;
}

/* ---- replies to admin ops ------------------------------------------- */

static void
write_version(server_t *s, sbuf_t *b, const char *id, const ruleset_t *rs)
{
    open_reply(b, id);
    sbuf_printf(b, "\"vetd\":\"%s\",\"protocol\":%d,\"zmq\":\"%d.%d.%d\",\"ruleset\":",
                VETD_VERSION, VETD_PROTOCOL, ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR,
                ZMQ_VERSION_PATCH);
    put_ruleset(b, rs, atomic_load(&s->load_us));
    sbuf_putc(b, '}');
}

static void
write_stats(server_t *s, sbuf_t *b, const char *id, const ruleset_t *rs)
{
    char started[32];
    iso_time(s->started_at, started, sizeof started);
    open_reply(b, id);
    sbuf_printf(b, "\"uptime_s\":%.1f,\"started_at\":\"%s\",\"workers\":%zu,",
                (double)(mclock_us() - s->started_us) / 1e6, started, s->n_workers);
    stats_write_json(s->stats, b, rs ? (const char *const *)rs->verdicts.names : NULL,
                     rs ? rs->verdicts.n : 0);
    sbuf_printf(b, ",\"reloads\":{\"ok\":%" PRIu64 ",\"failed\":%" PRIu64 "},\"ruleset\":",
                atomic_load(&s->reloads_ok), atomic_load(&s->reloads_failed));
    put_ruleset(b, rs, atomic_load(&s->load_us));
    sbuf_printf(b, ",\"connections\":{\"listening\":%s,\"fds\":%ld,\"fd_limit\":%ld,"
                "\"refusals\":%" PRIu64 "}", atomic_load(&s->listening) ? "true" : "false",
                atomic_load(&s->fds), s->fd_limit,
                atomic_load(&s->refusals));
    sbuf_puts(b, ",\"audit\":");
    if (s->audit != NULL) {
        sbuf_puts(b, "{\"path\":");
        sbuf_json_cstr(b, s->cfg->audit_path);
        sbuf_printf(b, ",\"written\":%" PRIu64 ",\"healthy\":%s,\"on_failure\":",
                    audit_written(s->audit), audit_healthy(s->audit) ? "true" : "false");
        sbuf_json_cstr(b, s->cfg->audit_on_failure);
        sbuf_printf(b, ",\"refused\":%" PRIu64 ",\"unaudited\":%" PRIu64 ",\"dropped\":%" PRIu64
                    "}", atomic_load(&s->audit_refused), atomic_load(&s->unaudited),
                    audit_dropped(s->audit));
    } else {
        sbuf_puts(b, "null");
    }
    sbuf_putc(b, '}');
}

/* ---- the audit record ----------------------------------------------- */

/* Logs that records are being lost or refused, at most once per
 * AUDIT_WARN_US whichever worker sees it. */
static void
audit_warn(server_t *s)
{
    uint64_t now = mclock_us(), last = atomic_load(&s->audit_warned_us);
    if (now - last < AUDIT_WARN_US && last != 0)
        return;
    if (!atomic_compare_exchange_strong(&s->audit_warned_us, &last, now))
        return;
    vlog_msg(s->log, VLOG_ERR, "audit: %s cannot be written: %" PRIu64 " screen%s refused, %"
             PRIu64 " request%s answered without a record so far (audit.on_failure = %s)",
             s->cfg->audit_path, atomic_load(&s->audit_refused),
             atomic_load(&s->audit_refused) == 1 ? "" : "s", atomic_load(&s->unaudited),
             atomic_load(&s->unaudited) == 1 ? "" : "s", s->cfg->audit_on_failure);
}

/* Builds the audit record of one request and queues it. Returns what
 * audit_put did (AUDIT_FAILING also when the record could not be built). */
static audit_put_result_t
write_audit(worker_t *w, const meta_t *meta, const request_t *req, bool parsed,
            const char *body, size_t len, const ruleset_t *rs, const result_t *res,
            req_err_t err, const char *errmsg, uint64_t latency)
{
    server_t *s = w->srv;
    sbuf_t *b = &w->rec;
    sbuf_clear(b);
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[40];
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%06ldZ", ts.tv_nsec / 1000L);
    sbuf_printf(b, "{\"ts\":\"%s\",\"peer\":", stamp);
    sbuf_json_cstr(b, meta->peer);
    sbuf_puts(b, ",\"id\":");
    sbuf_json_cstr(b, req->id);
    const char *const *mask = (const char *const *)s->cfg->audit_mask;
    if (parsed) {
        sbuf_puts(b, ",\"request\":");
        proto_write_request(b, req, mask, s->cfg->n_audit_mask);
    } else {
        /* It could not be read, so it cannot be masked field by field:
         * keep its start only when nothing is to be masked. */
        sbuf_printf(b, ",\"bytes\":%zu", len);
        if (s->cfg->n_audit_mask == 0) {
            /* Its start, cut on a character boundary; bytes that are not
             * UTF-8 go in base64, so the line stays valid UTF-8 and the
             * bytes can be recovered exactly. */
            size_t keep = len <= RAW_AUDIT_MAX ? len : sbuf_utf8_prefix(body, RAW_AUDIT_MAX);
            if (sbuf_utf8_valid(body, keep)) {
                sbuf_puts(b, ",\"raw\":");
                sbuf_json_str(b, body, keep);
            } else {
                keep = len < RAW_AUDIT_MAX ? len : RAW_AUDIT_MAX;
                sbuf_puts(b, ",\"raw_base64\":\"");
                sbuf_base64(b, body, keep);
                sbuf_putc(b, '"');
            }
        }
    }
    if (err != ERR_NONE) {
        sbuf_printf(b, ",\"error\":{\"code\":\"%s\",\"message\":", req_err_name(err));
        sbuf_json_cstr(b, errmsg);
        sbuf_putc(b, '}');
    } else if (res != NULL) {
        sbuf_puts(b, ",\"verdict\":");
        sbuf_json_cstr(b, rs->verdicts.names[res->verdict]);
        sbuf_printf(b, ",\"score\":%d,\"rules\":[", res->score);
        for (size_t i = 0; i < res->n_rules; i++) {
            if (i > 0)
                sbuf_putc(b, ',');
            sbuf_json_cstr(b, rs->rules[res->rules[i].rule].id);
        }
        sbuf_puts(b, "],\"partners\":[");
        for (size_t i = 0; i < res->n_matches; i++) {
            if (i > 0)
                sbuf_putc(b, ',');
            sbuf_json_cstr(b, rs->ents[res->matches[i].entity].id);
        }
        sbuf_putc(b, ']');
    }
    sbuf_puts(b, ",\"ruleset\":");
    if (rs != NULL)
        sbuf_printf(b, "\"%s\"", rs->digest);
    else
        sbuf_puts(b, "null");
    sbuf_printf(b, ",\"latency_us\":%" PRIu64 "}", latency);
    if (b->oom) {
        sbuf_clear(b);
        b->oom = false;
        vlog_msg(s->log, VLOG_ERR, "audit: out of memory building a record");
        return AUDIT_FAILING;
    }
    /* A full queue on a healthy disk is load, not failure: wait for the
     * writer a little (backpressure), as long as it keeps writing. */
    audit_put_result_t r = audit_put(w->sink, b->data, b->len);
    uint64_t until = 0;
    while (r == AUDIT_FULL && audit_healthy(s->audit)) {
        uint64_t now = mclock_us();
        if (until == 0)
            until = now + AUDIT_FULL_WAIT_US;
        else if (now >= until)
            break;
        usleep(200);
        r = audit_put(w->sink, b->data, b->len);
    }
    return r;
}

/* ---- workers -------------------------------------------------------- */

/* Handles one request; body is the request frame. Writes the reply into
 * w->reply and the audit record to the sink. */
static void
handle(worker_t *w, const char *body, size_t len, bool framing_ok, const meta_t *meta)
{
    server_t *s = w->srv;
    arena_reset(w->arena);
    sbuf_clear(&w->reply);
    request_t req;
    request_init(&req);
    req_err_t err = ERR_NONE;
    const char *msg = NULL;
    result_t res;
    const result_t *resp = NULL;
    int op = -1;
    bool parsed = false, audit_refused = false;
    const ruleset_t *rs = rsh_acquire(s->rsh, w->idx);

    if (!framing_ok) {
        err = ERR_BAD_REQUEST;
        msg = "a request is one JSON frame after an empty delimiter frame";
    } else if (proto_parse(body, len, (size_t)s->cfg->max_request, w->arena, &req, &err,
                           &msg) == 0) {
        parsed = true;
        op = (int)req.op;
        switch (req.op) {
        case REQ_OP_SCREEN:
            if (rs == NULL) {
                err = ERR_UNAVAILABLE;
                msg = "no ruleset is loaded; fix the ruleset and reload";
            } else if (s->audit_refuse && s->audit != NULL && !audit_healthy(s->audit)) {
                err = ERR_UNAVAILABLE;
                msg = AUDIT_REFUSED;
                audit_refused = true;
            } else if (screen_run(rs, &req, w->arena, &res) != 0) {
                err = res.err;
                msg = res.errmsg;
            } else {
                resp = &res;
                proto_write_result(&w->reply, rs, &req, &res, mclock_us() - meta->t_recv_us);
            }
            break;
        case REQ_OP_TAXONOMY:
            if (rs == NULL) {
                err = ERR_UNAVAILABLE;
                msg = "no ruleset is loaded; fix the ruleset and reload";
            } else {
                proto_write_taxonomy(&w->reply, rs, req.id);
            }
            break;
        case REQ_OP_PING:
            open_reply(&w->reply, req.id);
            sbuf_puts(&w->reply, "\"ok\":true}");
            break;
        case REQ_OP_VERSION:
            write_version(s, &w->reply, req.id, rs);
            break;
        case REQ_OP_STATS:
            write_stats(s, &w->reply, req.id, rs);
            break;
        case REQ_OP_RELOAD:
            /* Unpin first: the reload frees the old ruleset as soon as
             * nobody holds it, and this worker is done with it. */
            rsh_release(s->rsh, w->idx);
            reload(s, &w->reply, req.id, req.force);
            rs = rsh_acquire(s->rsh, w->idx);
            break;
        case REQ_OP_COUNT:
            break;
        }
    }
    if (err != ERR_NONE) {
        sbuf_clear(&w->reply);
        proto_write_error(&w->reply, req.id, err, msg);
    }
    if (w->reply.oom) {
        /* No verdict reaches the client, so none is counted or audited. */
        sbuf_clear(&w->reply);
        w->reply.oom = false;
        resp = NULL;
        err = ERR_INTERNAL;
        msg = OOM_MESSAGE;
        proto_write_error(&w->reply, req.id, err, msg);
    }
    uint64_t latency = mclock_us() - meta->t_recv_us;
    audit_put_result_t ar = AUDIT_OK;
    if (w->sink != NULL)
        ar = write_audit(w, meta, &req, parsed, body, len, rs, resp, err, msg, latency);
    if (audit_refused) {
        atomic_fetch_add(&s->audit_refused, 1);
        audit_warn(s);
    } else if (ar != AUDIT_OK) {
        /* No record of it: a verdict is not given without one (refuse),
         * or given and counted as unaudited (answer). */
        if (s->audit_refuse && resp != NULL) {
            atomic_fetch_add(&s->audit_refused, 1);
            resp = NULL;
            err = ERR_UNAVAILABLE;
            msg = AUDIT_REFUSED;
            sbuf_clear(&w->reply);
            proto_write_error(&w->reply, req.id, err, msg);
        } else {
            atomic_fetch_add(&s->unaudited, 1);
        }
        audit_warn(s);
    }
    stats_record(s->stats, w->idx, op, resp ? resp->verdict : -1, err, latency);
    rsh_release(s->rsh, w->idx);
}

static void *
worker_main(void *arg)
{
    worker_t *w = arg;
    server_t *s = w->srv;
    prctl(PR_SET_NAME, "vetd-worker", 0, 0, 0);
    zmq_msg_t frames[MAX_FRAMES + 2];
    for (;;) {
        /* Read one whole message; frames past MAX_FRAMES are dropped
         * (such a message is malformed: it gets an error reply). */
        size_t n = 0;
        bool overflow = false;
        meta_t spill;
        memset(&spill, 0, sizeof spill);
        int more = 1;
        while (more) {
            zmq_msg_t *m = &frames[n < MAX_FRAMES + 1 ? n : MAX_FRAMES + 1];
            zmq_msg_init(m);
            if (zmq_msg_recv(m, w->sock, 0) < 0) {
                zmq_msg_close(m);
                if (errno == EINTR)
                    continue;
                vlog_msg(s->log, VLOG_ERR, "worker %zu: recv: %s", w->idx,
                         zmq_strerror(errno));
                for (size_t i = 0; i < n && i <= MAX_FRAMES; i++)
                    zmq_msg_close(&frames[i]);
                goto out;
            }
            more = zmq_msg_more(m);
            if (n < MAX_FRAMES + 1) {
                n++;
            } else {
                /* Keep only the meta frame (always last) of the rest. */
                overflow = true;
                if (!more && zmq_msg_size(m) == sizeof spill)
                    memcpy(&spill, zmq_msg_data(m), sizeof spill);
                zmq_msg_close(m);
            }
        }
        if (n == 1) {
            /* A control message from main: the only one is stop. */
            zmq_msg_close(&frames[0]);
            break;
        }
        /* [envelope..., body, meta]: the envelope is everything up to
         * and including the empty delimiter (ROUTER's identity first). */
        meta_t meta;
        memset(&meta, 0, sizeof meta);
        zmq_msg_t *mf = &frames[n - 1];
        if (overflow)
            meta = spill;
        else if (zmq_msg_size(mf) == sizeof meta)
            memcpy(&meta, zmq_msg_data(mf), sizeof meta);
        size_t payload = n - 1;          /* frames before meta */
        size_t env = 1;                  /* identity */
        for (size_t i = 1; i < payload; i++) {
            if (zmq_msg_size(&frames[i]) == 0) {
                env = i + 1;
                break;
            }
        }
        bool framing_ok = !overflow && payload == env + 1;
        const char *body = "";
        size_t len = 0;
        if (payload > env) {
            body = zmq_msg_data(&frames[env]);
            len = zmq_msg_size(&frames[env]);
        }
        handle(w, body, len, framing_ok, &meta);
        for (size_t i = 0; i < env; i++) {
            if (zmq_msg_send(&frames[i], w->sock, ZMQ_SNDMORE) < 0) {
                vlog_msg(s->log, VLOG_ERR, "worker %zu: send: %s", w->idx,
                         zmq_strerror(errno));
                zmq_msg_close(&frames[i]);
            }
        }
        /* The reply, then what main counted for it, so that main can
         * give that much of its window back. */
        /* A buffer that could not even hold the error (never grown: out
         * of memory from the first request) still sends an error, never
         * an empty frame. */
        const char *out = w->reply.data;
        size_t olen = w->reply.len;
        if (w->reply.oom || out == NULL) {
            out = OOM_REPLY;
            olen = sizeof OOM_REPLY - 1;
        }
        if (zmq_send(w->sock, out, olen, ZMQ_SNDMORE) < 0 ||
            zmq_send(w->sock, &meta.cost, sizeof meta.cost, 0) < 0)
            vlog_msg(s->log, VLOG_ERR, "worker %zu: send: %s", w->idx, zmq_strerror(errno));
        for (size_t i = env; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
out:
    if (zmq_send(w->sock, CONTROL_ACK, strlen(CONTROL_ACK), 0) < 0)
        vlog_msg(s->log, VLOG_ERR, "worker %zu: cannot acknowledge stop: %s", w->idx,
                 zmq_strerror(errno));
    audit_sink_destroy(&w->sink);
    return NULL;
}

/* ---- file descriptors ------------------------------------------------ */

/* Descriptors this process has open now (/proc/self/fd, less the one
 * used to read it), or -1 if it cannot be read. */
static long
fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

/* Binds (or unbinds) every endpoint. Returns 0, or -1 after logging
 * which one failed (bound ones stay bound). */
static int
listen_all(server_t *s, bool on)
{
    int rc = 0;
    for (size_t i = 0; i < s->cfg->n_endpoints; i++) {
        const char *ep = s->cfg->endpoints[i];
        if ((on ? zmq_bind(s->front, ep) : zmq_unbind(s->front, ep)) != 0) {
            vlog_msg(s->log, VLOG_ERR, "cannot %s %s: %s", on ? "listen on" : "stop listening on",
                     ep, zmq_strerror(errno));
            rc = -1;
        }
    }
    return rc;
}

/* Keeps limits.fd_reserve descriptors free. libzmq accepts connections
 * on its own threads and, out of descriptors, spins on its listener or
 * aborts; so before that point the daemon stops listening (clients that
 * connect meanwhile are refused by the kernel and retry) and listens
 * again, no sooner than FD_COOLDOWN_US later, once enough descriptors
 * are free. libzmq closes the connections accepted through an endpoint
 * when it stops listening on it, so those clients reconnect too (the
 * client libraries do so on their own and re-send what was unanswered):
 * a flood of connections costs a pause, never a spinning or aborted
 * daemon.
 * Counts at most every FD_CHECK_BUSY_US while connections arrive, every
 * FD_CHECK_US otherwise; urgent counts now. */
static void
fd_watch(server_t *s, uint64_t now, bool urgent)
{
    if (!urgent && now < s->fd_next_us)
        return;
    s->fd_next_us = now + FD_CHECK_US;
    long n = fd_count();
    if (n < 0)
        return;
    s->fds = n;
    long reserve = s->cfg->fd_reserve;
    if (s->listening && n >= s->fd_limit - reserve) {
        s->listening = false;
        s->fd_rebind_us = now + FD_COOLDOWN_US;
        atomic_fetch_add(&s->refusals, 1);
        listen_all(s, false);
        vlog_msg(s->log, VLOG_WARN, "%ld of %ld file descriptors in use: not accepting new "
                 "connections until %ld are free (limits.fd_reserve)", n, s->fd_limit,
                 reserve + reserve / 2);
    } else if (!s->listening && now >= s->fd_rebind_us &&
               n < s->fd_limit - reserve - reserve / 2) {
        if (listen_all(s, true) == 0) {
            s->listening = true;
            vlog_msg(s->log, VLOG_INFO, "%ld of %ld file descriptors in use: accepting "
                     "connections again", n, s->fd_limit);
        } else {
            listen_all(s, false);   /* all or none: try again at the next count */
        }
    }
    if (!s->listening)
        s->fd_next_us = now + FD_CHECK_BUSY_US * 20;
}

/* Reads the front end's monitor events: a connection accepted or
 * refused by the kernel for lack of descriptors makes the next count
 * come soon. */
static void
fd_events(server_t *s)
{
    bool urgent = false, soon = false;
    for (int i = 0; i < 1024; i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        /* Frame 1: uint16 event, uint32 value; frame 2: the address. */
        if (zmq_msg_size(&m) >= 2 && zmq_msg_more(&m)) {
            uint16_t ev;
            memcpy(&ev, zmq_msg_data(&m), sizeof ev);
            urgent |= ev == ZMQ_EVENT_ACCEPT_FAILED;
            soon |= ev == ZMQ_EVENT_ACCEPTED;
        }
        zmq_msg_close(&m);
    }
    uint64_t now = mclock_us();
    if (urgent || (soon && s->fd_next_us > now + FD_CHECK_BUSY_US))
        s->fd_next_us = urgent ? now : now + FD_CHECK_BUSY_US;
    fd_watch(s, now, urgent);
}

/* Raises the soft descriptor limit to the hard one (a daemon serving
 * many clients needs them, and it is the administrator's hard limit
 * that is meant) and records it. */
static void
fd_limit_raise(server_t *s)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        s->fd_limit = 1024;
        return;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = was;
    }
    s->fd_limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)LONG_MAX
                      ? LONG_MAX : (long)rl.rlim_cur;
}

/* ---- set-up --------------------------------------------------------- */

static int
setopt_int(void *sock, int opt, int v)
{
    return zmq_setsockopt(sock, opt, &v, sizeof v);
}

static int
cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

server_t *
server_new(const dconf_t *cfg, vlog_t *log, int *exit_code)
{
    *exit_code = 70;
    server_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cfg = cfg;
    s->log = log;
    s->started_us = mclock_us();
    s->started_at = time(NULL);
    s->audit_refuse = strcmp(cfg->audit_on_failure, "answer") != 0;
    pthread_mutex_init(&s->reload_lock, NULL);
    s->n_workers = (size_t)(cfg->workers > 0 ? cfg->workers : cores());
    s->rsh = rsh_new(s->n_workers);
    s->stats = stats_new(s->n_workers);
    s->workers = calloc(s->n_workers, sizeof *s->workers);
    s->zctx = zmq_ctx_new();
    if (s->rsh == NULL || s->stats == NULL || s->workers == NULL || s->zctx == NULL) {
        vlog_msg(log, VLOG_ERR, "out of memory starting the server");
        server_destroy(&s);
        return NULL;
    }

    uint64_t took;
    gates_t g = { SBUF_INIT, SBUF_INIT, 0 };
    ruleset_t *rs = load_gated(s, &g, NULL, false, &took);
    gates_free(&g);
    if (rs == NULL && cfg->require_rules) {
        *exit_code = 1;
        server_destroy(&s);
        return NULL;
    }
    if (rs != NULL) {
        vlog_msg(log, VLOG_INFO,
                 "ruleset %s loaded: version %s, digest %.16s, %zu organisations, %zu rules, "
                 "%.1f ms", cfg->rules, rs->version, rs->digest, rs->n_ents, rs->n_rules,
                 took / 1000.0);
        atomic_store(&s->load_us, took);
        rsh_swap(s->rsh, rs);
    } else {
        vlog_msg(log, VLOG_WARN, "serving without a ruleset: screen requests get "
                 "\"unavailable\" until a reload succeeds");
    }

    if (strcmp(cfg->audit_path, "-") != 0) {
        audit_cfg_t ac = {
            .path = cfg->audit_path,
            .fsync = (audit_fsync_t)audit_fsync_find(cfg->audit_fsync),
            .interval_ms = (unsigned)cfg->audit_interval_ms,
            .queue_max = (unsigned)cfg->audit_queue,
            /* A disk that stays full must not hold SIGTERM up for long:
             * what is still queued then is lost either way (and logged). */
            .stop_ms = AUDIT_STOP_MS,
        };
        char err[256];
        s->audit = audit_new(s->zctx, &ac, log, err, sizeof err);
        if (s->audit == NULL) {
            vlog_msg(log, VLOG_ERR, "%s", err);
            *exit_code = 71;
            server_destroy(&s);
            return NULL;
        }
    }

    s->front = zmq_socket(s->zctx, ZMQ_ROUTER);
    s->back = zmq_socket(s->zctx, ZMQ_DEALER);
    if (s->front == NULL || s->back == NULL) {
        vlog_msg(log, VLOG_ERR, "zmq_socket: %s", zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }
    int64_t maxmsg = cfg->max_message;
    /* ROUTER_MANDATORY: a reply to a client that is gone is an error we
     * count, not a silent drop. Replies are sent without waiting (see
     * forward_reply), so SNDTIMEO only backs that up. MAXMSGSIZE bounds
     * what a half-sent message can hold; the handshake interval bounds
     * how long a connection that never finishes its greeting is kept;
     * heartbeats find peers that vanished without closing, so their
     * queued replies are freed. */
    if (setopt_int(s->front, ZMQ_SNDHWM, cfg->max_queued_replies) != 0 ||
        setopt_int(s->front, ZMQ_RCVHWM, cfg->hwm) != 0 ||
        setopt_int(s->front, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
        setopt_int(s->front, ZMQ_SNDTIMEO, 0) != 0 ||
        setopt_int(s->front, ZMQ_LINGER, 1000) != 0 ||
        setopt_int(s->front, ZMQ_HANDSHAKE_IVL, cfg->handshake_ms) != 0 ||
        (cfg->heartbeat_ms > 0 &&
         (setopt_int(s->front, ZMQ_HEARTBEAT_IVL, cfg->heartbeat_ms) != 0 ||
          setopt_int(s->front, ZMQ_HEARTBEAT_TIMEOUT, 3 * cfg->heartbeat_ms) != 0)) ||
        zmq_setsockopt(s->front, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        setopt_int(s->back, ZMQ_SNDHWM, cfg->max_inflight + 16) != 0 ||
        setopt_int(s->back, ZMQ_RCVHWM, cfg->max_inflight + 16) != 0 ||
        setopt_int(s->back, ZMQ_LINGER, 0) != 0) {
        vlog_msg(log, VLOG_ERR, "zmq_setsockopt: %s", zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }
    /* The monitor tells the loop when connections arrive, so that it
     * counts descriptors before libzmq runs out of them. */
    fd_limit_raise(s);
    snprintf(s->mon_ep, sizeof s->mon_ep, "inproc://vetd-monitor-%p", (void *)s);
    if (zmq_socket_monitor(s->front, s->mon_ep,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED) != 0 ||
        (s->mon = zmq_socket(s->zctx, ZMQ_PAIR)) == NULL ||
        setopt_int(s->mon, ZMQ_LINGER, 0) != 0 || zmq_connect(s->mon, s->mon_ep) != 0) {
        vlog_msg(log, VLOG_ERR, "cannot monitor connections: %s", zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        if (zmq_bind(s->front, cfg->endpoints[i]) != 0) {
            vlog_msg(log, VLOG_ERR, "cannot listen on %s: %s", cfg->endpoints[i],
                     zmq_strerror(errno));
            *exit_code = 71;
            server_destroy(&s);
            return NULL;
        }
        vlog_msg(log, VLOG_INFO, "listening on %s", cfg->endpoints[i]);
    }
    s->listening = true;
    snprintf(s->back_ep, sizeof s->back_ep, "inproc://vetd-workers-%p", (void *)s);
    if (zmq_bind(s->back, s->back_ep) != 0) {
        vlog_msg(log, VLOG_ERR, "zmq_bind %s: %s", s->back_ep, zmq_strerror(errno));
        server_destroy(&s);
        return NULL;
    }

    for (size_t i = 0; i < s->n_workers; i++) {
        worker_t *w = &s->workers[i];
        w->srv = s;
        w->idx = i;
        w->arena = arena_new(0);
        w->sock = zmq_socket(s->zctx, ZMQ_DEALER);
        if (w->arena == NULL || w->sock == NULL ||
            setopt_int(w->sock, ZMQ_SNDHWM, cfg->max_inflight + 16) != 0 ||
            setopt_int(w->sock, ZMQ_RCVHWM, cfg->max_inflight + 16) != 0 ||
            setopt_int(w->sock, ZMQ_LINGER, 0) != 0 ||
            zmq_connect(w->sock, s->back_ep) != 0 ||
            (s->audit != NULL && (w->sink = audit_sink_new(s->audit)) == NULL)) {
            vlog_msg(log, VLOG_ERR, "cannot set up worker %zu: %s", i, zmq_strerror(errno));
            server_destroy(&s);
            return NULL;
        }
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            vlog_msg(log, VLOG_ERR, "cannot start worker %zu", i);
            server_destroy(&s);
            return NULL;
        }
        w->started = true;
    }
    s->fds = fd_count();
    vlog_msg(log, VLOG_INFO, "vetd %s serving with %zu worker%s, audit %s, %ld of %ld file "
             "descriptors in use", VETD_VERSION, s->n_workers, s->n_workers == 1 ? "" : "s",
             s->audit ? cfg->audit_path : "off", s->fds, s->fd_limit);
    *exit_code = 0;
    return s;
}

/* ---- the main loop -------------------------------------------------- */

/* Moves one whole message from the front end to the workers, adding the
 * meta frame. Returns 1 if one was moved (*cost: the bytes it counts
 * against the window), 0 if none was waiting, -1 on error. */
static int
forward_request(server_t *s, uint64_t *cost)
{
    zmq_msg_t m;
    meta_t meta;
    memset(&meta, 0, sizeof meta);
    bool first = true;
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->front, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (first && (errno == EAGAIN || errno == EINTR))
                return 0;
            if (errno == EINTR)
                continue;
            vlog_msg(s->log, VLOG_ERR, "recv: %s", zmq_strerror(errno));
            return -1;
        }
        if (first)
            meta.t_recv_us = mclock_us();
        first = false;
        /* A request costs its bytes plus a fixed part for the work every
         * request takes, so that many tiny requests fill the window too. */
        meta.cost += zmq_msg_size(&m) + WINDOW_REQUEST_BYTES;
        bool more = zmq_msg_more(&m);
        if (!more) {
            /* The routing id frame is made by ROUTER; the peer's address
             * travels with the frames the peer sent. */
            const char *peer = zmq_msg_gets(&m, "Peer-Address");
            snprintf(meta.peer, sizeof meta.peer, "%s", peer && *peer ? peer : "local");
        }
        if (zmq_msg_send(&m, s->back, ZMQ_SNDMORE) < 0) {
            vlog_msg(s->log, VLOG_ERR, "send to workers: %s", zmq_strerror(errno));
            zmq_msg_close(&m);
        }
        if (!more)
            break;
    }
    if (zmq_send(s->back, &meta, sizeof meta, 0) < 0)
        vlog_msg(s->log, VLOG_ERR, "send to workers: %s", zmq_strerror(errno));
    *cost = meta.cost;
    return 1;
}

/* Moves one reply from a worker to its client: [envelope..., reply,
 * cost] in, [envelope..., reply] out. Never waits for the client: a
 * client that is gone, or that does not read its replies until its queue
 * (limits.max_queued_replies) is full, loses this reply, which is
 * counted; nobody else waits for it. Returns 1 for a reply (*cost: what its request counted),
 * 2 for a worker's stop acknowledgement, 0 if nothing was waiting, -1 on
 * error. */
static int
forward_reply(server_t *s, uint64_t *cost)
{
    zmq_msg_t f[MAX_FRAMES + 2];
    size_t n = 0;
    *cost = 0;
    for (;;) {
        zmq_msg_t *m = &f[n < MAX_FRAMES + 1 ? n : MAX_FRAMES + 1];
        zmq_msg_init(m);
        if (zmq_msg_recv(m, s->back, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(m);
            if (errno == EINTR)
                continue;
            for (size_t i = 0; i < n && i <= MAX_FRAMES; i++)
                zmq_msg_close(&f[i]);
            if (n == 0 && errno == EAGAIN)
                return 0;
            vlog_msg(s->log, VLOG_ERR, "recv from workers: %s", zmq_strerror(errno));
            return -1;
        }
        bool more = zmq_msg_more(m);
        if (n <= MAX_FRAMES) {
            n++;
        } else if (more) {
            zmq_msg_close(m);   /* a worker never sends this many: drop */
            continue;
        } else {
            zmq_msg_move(&f[MAX_FRAMES], m);   /* keep the last (cost) frame */
            zmq_msg_close(m);
        }
        if (!more)
            break;
    }
    if (n == 1) {
        zmq_msg_close(&f[0]);
        return 2;
    }
    zmq_msg_t *cf = &f[n - 1];
    if (zmq_msg_size(cf) == sizeof *cost)
        memcpy(cost, zmq_msg_data(cf), sizeof *cost);
    zmq_msg_close(cf);
    n--;
    size_t i = 0;
    for (; i < n; i++)
        if (zmq_msg_send(&f[i], s->front, (i + 1 < n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
            break;
    if (i < n) {
        /* Only the first frame can fail (libzmq queues a message whole
         * once its first frame is in): EHOSTUNREACH, the client left;
         * EAGAIN, it does not read its replies. */
        bool gone = errno == EHOSTUNREACH;
        vlog_msg(s->log, VLOG_DEBUG, "reply undeliverable: %s", zmq_strerror(errno));
        stats_undeliverable(s->stats, gone);
        for (; i < n; i++)
            zmq_msg_close(&f[i]);
    }
    return 1;
}

static void
join_hup(server_t *s)
{
    if (s->hup_joinable && !atomic_load(&s->hup_busy)) {
        pthread_join(s->hup_thread, NULL);
        s->hup_joinable = false;
    }
}

int
server_run(server_t *s, server_signals_t *sig)
{
    /* The window: requests handed to the workers and not yet answered,
     * bounded in count (limits.max_inflight) and in bytes (two of the
     * largest requests). Requests beyond it wait in libzmq's per-client
     * queues, which ROUTER reads in turn, one message per client: so a
     * client with many or huge requests cannot push another's request
     * further back than one window. */
    size_t inflight = 0;
    uint64_t inflight_bytes = 0;
    const uint64_t window_bytes = 2u * (uint64_t)s->cfg->max_request + 2u * WINDOW_REQUEST_BYTES;
    bool draining = false;
    uint64_t drain_deadline = 0, last_request = mclock_us();
    unsigned ticks = 0;
    for (;;) {
        if (sig->stop && !draining) {
            draining = true;
            drain_deadline = mclock_us() + (uint64_t)s->cfg->drain_ms * 1000u;
            vlog_msg(s->log, VLOG_INFO, "stopping: answering %zu request%s in flight",
                     inflight, inflight == 1 ? "" : "s");
        }
        if (sig->reload) {
            sig->reload = 0;
            join_hup(s);
            if (atomic_load(&s->hup_busy)) {
                vlog_msg(s->log, VLOG_WARN, "SIGHUP: a reload is already running");
            } else {
                atomic_store(&s->hup_busy, true);
                if (pthread_create(&s->hup_thread, NULL, hup_main, s) != 0) {
                    atomic_store(&s->hup_busy, false);
                    vlog_msg(s->log, VLOG_ERR, "SIGHUP: cannot start the reload thread");
                } else {
                    s->hup_joinable = true;
                }
            }
        }
        if (sig->reopen) {
            sig->reopen = 0;
            if (s->audit != NULL) {
                vlog_msg(s->log, VLOG_INFO, "reopening the audit log %s", s->cfg->audit_path);
                audit_reopen(s->audit);
            }
        }
        uint64_t now = mclock_us();
        bool past_deadline = draining && now >= drain_deadline;
        if (draining && inflight == 0 &&
            (past_deadline || now - last_request >= (uint64_t)s->cfg->drain_quiet_ms * 1000u))
            break;
        /* Workers answer what they hold within a window's work; a worker
         * that does not (a bug) must not keep the daemon from stopping. */
        if (past_deadline && now >= drain_deadline + DRAIN_GRACE_US)
            break;
        fd_watch(s, now, false);

        bool take = inflight < (size_t)s->cfg->max_inflight && inflight_bytes < window_bytes &&
                    !past_deadline;
        zmq_pollitem_t items[3] = {
            { s->back, 0, ZMQ_POLLIN, 0 },
            { s->mon, 0, ZMQ_POLLIN, 0 },
            { s->front, 0, ZMQ_POLLIN, 0 },
        };
        int rc = zmq_poll(items, take ? 3 : 2, draining ? 10 : 100);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            vlog_msg(s->log, VLOG_ERR, "zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        if (rc == 0 || (++ticks & 1023u) == 0) {
            rsh_reap(s->rsh);
            join_hup(s);
        }
        if (items[1].revents & ZMQ_POLLIN)
            fd_events(s);
        /* Replies first: they free room for more requests. Bounded
         * batches keep either direction from starving the other. */
        if (items[0].revents & ZMQ_POLLIN) {
            for (int i = 0; i < 256; i++) {
                uint64_t cost;
                int r = forward_reply(s, &cost);
                if (r <= 0)
                    break;
                if (r == 1 && inflight > 0) {
                    inflight--;
                    inflight_bytes -= cost < inflight_bytes ? cost : inflight_bytes;
                }
            }
        }
        if (take && (items[2].revents & ZMQ_POLLIN)) {
            for (int i = 0; i < 256 && inflight < (size_t)s->cfg->max_inflight &&
                            inflight_bytes < window_bytes; i++) {
                uint64_t cost;
                int r = forward_request(s, &cost);
                if (r <= 0)
                    break;
                inflight++;
                inflight_bytes += cost;
                last_request = mclock_us();
            }
        }
    }
    if (inflight > 0)
        vlog_msg(s->log, VLOG_WARN, "stopping with %zu request%s unanswered", inflight,
                 inflight == 1 ? "" : "s");
    vlog_msg(s->log, VLOG_INFO, "drained; stopping the workers");
    return 0;
}

/* Stops every started worker: sends stop messages through the DEALER
 * (round-robin, one per worker) until each has acknowledged. */
static void
stop_workers(server_t *s)
{
    size_t started = 0, acked = 0;
    for (size_t i = 0; i < s->n_workers; i++)
        started += s->workers[i].started;
    uint64_t deadline = mclock_us() + 5000000u;
    while (acked < started && mclock_us() < deadline) {
        for (size_t i = acked; i < started; i++)
            if (zmq_send(s->back, CONTROL_STOP, strlen(CONTROL_STOP), ZMQ_DONTWAIT) < 0)
                break;
        zmq_pollitem_t item = { s->back, 0, ZMQ_POLLIN, 0 };
        while (acked < started && zmq_poll(&item, 1, 100) > 0) {
            uint64_t cost;
            int r = forward_reply(s, &cost);
            if (r == 2)
                acked++;
            else if (r <= 0)
                break;
        }
    }
    if (acked < started)
        vlog_msg(s->log, VLOG_ERR, "%zu worker%s did not stop", started - acked,
                 started - acked == 1 ? "" : "s");
    for (size_t i = 0; i < s->n_workers; i++) {
        worker_t *w = &s->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        w->started = false;
    }
}

void
server_destroy(server_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    server_t *s = *sp;
    if (s->workers != NULL) {
        if (s->back != NULL)
            stop_workers(s);
        for (size_t i = 0; i < s->n_workers; i++) {
            worker_t *w = &s->workers[i];
            audit_sink_destroy(&w->sink);
            if (w->sock != NULL)
                zmq_close(w->sock);
            arena_destroy(&w->arena);
            sbuf_free(&w->reply);
            sbuf_free(&w->rec);
        }
    }
    if (s->hup_joinable) {
        pthread_join(s->hup_thread, NULL);
        s->hup_joinable = false;
    }
    if (s->mon != NULL)
        zmq_close(s->mon);
    if (s->front != NULL) {
        zmq_socket_monitor(s->front, NULL, 0);
        zmq_close(s->front);
    }
    if (s->back != NULL)
        zmq_close(s->back);
    audit_destroy(&s->audit);
    if (s->zctx != NULL)
        zmq_ctx_term(s->zctx);
    rsh_destroy(&s->rsh);
    stats_destroy(&s->stats);
    free(s->workers);
    pthread_mutex_destroy(&s->reload_lock);
    if (s->log != NULL)
        vlog_msg(s->log, VLOG_INFO, "stopped");
    free(s);
    *sp = NULL;
}
