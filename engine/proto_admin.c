/* SPDX-License-Identifier: Apache-2.0 */
/* proto_admin.c -- the wire format of the daemon's admin replies (ping,
 * version, stats, reload): plain records in, JSON out (proto.h). No
 * ZeroMQ, no clocks, no counters of its own: what a reply says is
 * gathered by the daemon. */
#include "proto.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

static const char *const gate_names[] = {
#define X(e, s) s,
    PROTO_RELOAD_GATES(X)
#undef X
};

static void
iso_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Writes what a reply says about a ruleset, or null. With sources (the
 * version reply), each list also names where its data comes from and
 * under which terms: name, authority, url and terms, null when the
 * ruleset does not record them. */
static void
put_ruleset(sbuf_t *b, const ruleset_t *rs, uint64_t load_us, bool sources)
{
    if (rs == NULL) {
        sbuf_puts(b, "null");
        return;
    }
    char when[32];
    iso_time(rs->loaded_at, when, sizeof when);
    sbuf_puts(b, "{\"version\":");
    sbuf_json_cstr(b, rs->version);
    sbuf_printf(b,
                ",\"digest\":\"%s\",\"content\":\"%s\",\"loaded_at\":\"%s\","
                "\"load_ms\":%.1f,\"bytes\":%zu,\"lists\":[",
                rs->digest, rs->content, when, (double)load_us / 1000.0, ruleset_memory(rs));
    /* Each list's edition and whether it is past its maximum age, with
     * how many organisations carry it. */
    time_t now = time(NULL);
    for (size_t i = 0; i < rs->lists.n; i++) {
        const rs_list_t *l = &rs->list_info[i];
        sbuf_printf(b, "%s{\"id\":", i ? "," : "");
        sbuf_json_cstr(b, l->id);
        if (sources) {
            sbuf_puts(b, ",\"name\":");
            sbuf_json_cstr(b, l->name);
            sbuf_puts(b, ",\"authority\":");
            sbuf_json_cstr(b, l->authority);
            sbuf_puts(b, ",\"url\":");
            sbuf_json_cstr(b, l->url);
            sbuf_puts(b, ",\"terms\":");
            sbuf_json_cstr(b, l->terms);
        }
        sbuf_puts(b, ",\"as_of\":");
        sbuf_json_cstr(b, l->as_of);
        if (l->max_age_days > 0)
            sbuf_printf(b, ",\"max_age_days\":%d", l->max_age_days);
        sbuf_printf(b, ",\"entries\":%zu,\"stale\":%s}", l->entries,
                    ruleset_list_stale(rs, i, now) ? "true" : "false");
    }
    sbuf_printf(b, "],\"organisations\":%zu,\"rules\":%zu}", rs->n_ents, rs->n_rules);
}

void
proto_write_ping(sbuf_t *b, const char *id)
{
    proto_open_reply(b, id);
    sbuf_puts(b, "\"ok\":true}");
}

void
proto_write_version(sbuf_t *b, const char *id, const proto_version_t *v)
{
    proto_open_reply(b, id);
    sbuf_puts(b, "\"vetd\":");
    sbuf_json_cstr(b, v->server);
    sbuf_printf(b, ",\"protocol\":%d,\"zmq\":\"%d.%d.%d\",\"ruleset\":", v->protocol, v->zmq[0],
                v->zmq[1], v->zmq[2]);
    put_ruleset(b, v->rs, v->load_us, true);
    sbuf_putc(b, '}');
}

void
proto_write_counters(sbuf_t *b, const proto_counters_t *c, const char *const *verdict_names,
                     size_t n_verdicts)
{
    uint64_t total = 0;
    for (size_t i = 0; i <= REQ_OP_COUNT; i++)
        total += c->by_op[i];
    sbuf_printf(b, "\"requests\":%" PRIu64 ",\"by_op\":{", total);
    for (int i = 0; i < REQ_OP_COUNT; i++)
        sbuf_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "", req_op_name((req_op_t)i), c->by_op[i]);
    sbuf_printf(b, ",\"unreadable\":%" PRIu64 "},\"by_verdict\":{", c->by_op[REQ_OP_COUNT]);
    size_t nv = n_verdicts < PROTO_STATS_VERDICTS ? n_verdicts : PROTO_STATS_VERDICTS;
    bool first = true;
    for (size_t i = 0; i < PROTO_STATS_VERDICTS; i++) {
        /* A verdict the ruleset no longer has (a reload shrank the list)
         * still shows while it has a count. */
        if (i >= nv && c->by_verdict[i] == 0)
            continue;
        sbuf_puts(b, first ? "" : ",");
        first = false;
        if (verdict_names != NULL && i < nv)
            sbuf_json_cstr(b, verdict_names[i]);
        else
            sbuf_printf(b, "\"verdict_%zu\"", i);
        sbuf_printf(b, ":%" PRIu64, c->by_verdict[i]);
    }
    sbuf_puts(b, "},\"by_error\":{");
    for (int i = ERR_NONE + 1; i < ERR_COUNT; i++)
        sbuf_printf(b, "%s\"%s\":%" PRIu64, i > ERR_NONE + 1 ? "," : "", req_err_name((req_err_t)i),
                    c->by_err[i]);
    sbuf_printf(b,
                "},\"latency_us\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64
                ",\"max\":%" PRIu64 "},\"undeliverable\":%" PRIu64
                ",\"undeliverable_by\":{\"gone\":%" PRIu64 ",\"not_reading\":%" PRIu64 "}",
                c->p50_us, c->p99_us, c->p999_us, c->max_us, c->undeliverable,
                c->undeliverable_gone, c->undeliverable - c->undeliverable_gone);
}

void
proto_write_stats(sbuf_t *b, const char *id, const proto_stats_t *st)
{
    char started[32];
    iso_time(st->started_at, started, sizeof started);
    proto_open_reply(b, id);
    sbuf_printf(b, "\"uptime_s\":%.1f,\"started_at\":\"%s\",\"workers\":%zu,",
                (double)st->uptime_us / 1e6, started, st->workers);
    const ruleset_t *rs = st->rs;
    proto_write_counters(b, st->counters, rs ? (const char *const *)rs->verdicts.names : NULL,
                         rs ? rs->verdicts.n : 0);
    sbuf_printf(b, ",\"reloads\":{\"ok\":%" PRIu64 ",\"failed\":%" PRIu64 "},\"ruleset\":",
                st->reloads_ok, st->reloads_failed);
    put_ruleset(b, rs, st->load_us, false);
    sbuf_printf(b,
                ",\"connections\":{\"listening\":%s,\"fds\":%ld,\"fd_limit\":%ld,"
                "\"refusals\":%" PRIu64 ",\"handshake_failures\":%" PRIu64 "}",
                st->listening ? "true" : "false", st->fds, st->fd_limit, st->refusals,
                st->handshake_failures);
    sbuf_puts(b, ",\"audit\":");
    const proto_audit_stats_t *a = st->audit;
    if (a != NULL) {
        sbuf_puts(b, "{\"path\":");
        sbuf_json_cstr(b, a->path);
        sbuf_printf(b, ",\"written\":%" PRIu64 ",\"healthy\":%s,\"on_failure\":", a->written,
                    a->healthy ? "true" : "false");
        sbuf_json_cstr(b, a->on_failure);
        sbuf_printf(b,
                    ",\"refused\":%" PRIu64 ",\"unaudited\":%" PRIu64 ",\"dropped\":%" PRIu64 "}",
                    a->refused, a->unaudited, a->dropped);
    } else {
        sbuf_puts(b, "null");
    }
    sbuf_putc(b, '}');
}

/* Writes the gates that ran: [{"gate":NAME,"ok":B,...},...]. */
static void
put_gates(sbuf_t *b, const proto_gates_t *g)
{
    sbuf_putc(b, '[');
    for (unsigned i = 0; i < g->ran && i < PROTO_GATE_COUNT; i++) {
        bool ok = g->ok[i];
        if (i > 0)
            sbuf_putc(b, ',');
        sbuf_printf(b, "{\"gate\":\"%s\",\"ok\":%s", gate_names[i], ok ? "true" : "false");
        switch ((proto_gate_t)i) {
        case PROTO_GATE_LOAD:
            if (ok)
                sbuf_printf(b, ",\"ms\":%.1f}", (double)g->load_us / 1000.0);
            else
                sbuf_printf(b, ",\"errors\":%zu}", g->load_errors);
            break;
        case PROTO_GATE_TESTS:
            sbuf_printf(b, ",\"passed\":%u,\"failed\":%u}", g->tests_passed, g->tests_failed);
            break;
        case PROTO_GATE_SHRINK:
            sbuf_printf(b, ",\"limit_pct\":%d,\"forced\":%s,\"shrunk\":[", g->shrink_limit_pct,
                        g->shrink_forced ? "true" : "false");
            for (size_t k = 0; k < g->n_shrunk; k++) {
                const proto_shrunk_t *l = &g->shrunk[k];
                if (k > 0)
                    sbuf_putc(b, ',');
                sbuf_puts(b, "{\"list\":");
                sbuf_json_cstr(b, l->list ? l->list : "(all organisations)");
                sbuf_printf(b, ",\"before\":%zu,\"after\":%zu,\"lost_pct\":%.1f}", l->before,
                            l->after, l->lost_pct);
            }
            sbuf_puts(b, "]}");
            break;
        case PROTO_GATE_REVIEWS:
            if (ok)
                sbuf_printf(b, ",\"entries\":%zu,\"active\":%zu}", g->reviews_n, g->reviews_active);
            else
                sbuf_printf(b, ",\"errors\":%zu}", g->reviews_errors);
            break;
        case PROTO_GATE_COUNT: break;
        }
    }
    sbuf_putc(b, ']');
}

void
proto_write_reload(sbuf_t *b, const char *id, const proto_reload_t *r)
{
    proto_open_reply(b, id);
    if (r->ok) {
        sbuf_puts(b, "\"ok\":true,");
        if (r->action != NULL && r->review != NULL) {
            sbuf_puts(b, "\"action\":");
            sbuf_json_cstr(b, r->action);
            sbuf_puts(b, ",\"review\":");
            proto_write_review(b, r->review, NULL);
            sbuf_putc(b, ',');
        }
        sbuf_puts(b, "\"ruleset\":");
        put_ruleset(b, r->rs, r->load_us, false);
        sbuf_puts(b, ",\"previous\":");
        if (r->previous != NULL) {
            sbuf_puts(b, "{\"version\":");
            sbuf_json_cstr(b, r->previous->version);
            sbuf_printf(b, ",\"digest\":\"%s\"}", r->previous->digest);
        } else {
            sbuf_puts(b, "null");
        }
        sbuf_puts(b, ",\"gates\":");
        put_gates(b, r->gates);
        sbuf_putc(b, '}');
        return;
    }
    sbuf_puts(b, "\"ok\":false,\"errors\":[");
    for (size_t i = 0; i < r->n_errors; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        sbuf_json_cstr(b, r->errors[i]);
    }
    sbuf_puts(b, "],\"gates\":");
    put_gates(b, r->gates);
    sbuf_puts(b, ",\"ruleset\":");
    put_ruleset(b, r->rs, r->load_us, false);
    sbuf_putc(b, '}');
}

void
proto_write_reviews(sbuf_t *b, const char *id, const ruleset_t *rs, time_t now)
{
    proto_open_reply(b, id);
    sbuf_puts(b, "\"ok\":true,\"register\":");
    sbuf_json_cstr(b, rs->reviews_path);
    sbuf_puts(b, ",\"digest\":");
    sbuf_json_cstr(b, rs->reviews_digest[0] ? rs->reviews_digest : NULL);
    sbuf_puts(b, ",\"reviews\":[");
    for (size_t i = 0; i < rs->n_reviews; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        const rs_review_t *r = &rs->reviews[i];
        proto_write_review(b, r, ruleset_review_state_name(ruleset_review_state(r, now)));
    }
    sbuf_puts(b, "]}");
}
