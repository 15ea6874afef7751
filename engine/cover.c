/* SPDX-License-Identifier: Apache-2.0 */
/* cover.c -- coverage counts of a ruleset over screened requests, and
 * the report of the rules, conditions and registry entries that never
 * fired or matched. */
#include "cover.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

#define COVER_MAX_LISTED 50 /* never-matched entries named; more are counted */

struct cover {
    const ruleset_t *rs; /* borrowed: the ruleset counted */
    uint64_t requests;   /* requests counted */
    uint64_t *evaluated; /* per rule: requests whose profile holds it */
    uint64_t *fired;     /* per rule: requests it fired on */
    uint64_t **held;     /* per rule, per conjunct: requests it held on
                          * (for some match, or unmatched) */
    uint64_t *matched;   /* per registry entry: requests it matched */
    uint64_t *given;     /* the request's given categories (words + 1) */
    uint64_t *spotted;   /* its spotted categories (words + 1) */
};

cover_t *
cover_new(const ruleset_t *rs)
{
    cover_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->rs = rs;
    size_t words = tax_words(rs->tax) + 1;
    c->evaluated = calloc(rs->n_rules + 1, sizeof *c->evaluated);
    c->fired = calloc(rs->n_rules + 1, sizeof *c->fired);
    c->held = calloc(rs->n_rules + 1, sizeof *c->held);
    c->matched = calloc(rs->n_ents + 1, sizeof *c->matched);
    c->given = calloc(words, sizeof *c->given);
    c->spotted = calloc(words, sizeof *c->spotted);
    bool ok = c->evaluated != NULL && c->fired != NULL && c->held != NULL && c->matched != NULL &&
              c->given != NULL && c->spotted != NULL;
    for (size_t r = 0; ok && r < rs->n_rules; r++)
        ok = (c->held[r] = calloc(expr_n_conjuncts(rs->rules[r].when), sizeof **c->held)) != NULL;
    if (!ok)
        cover_destroy(&c);
    return c;
}

void
cover_destroy(cover_t **cp)
{
    if (cp == NULL || *cp == NULL)
        return;
    cover_t *c = *cp;
    for (size_t r = 0; c->held != NULL && r < c->rs->n_rules; r++)
        free(c->held[r]);
    free(c->held);
    free(c->evaluated);
    free(c->fired);
    free(c->matched);
    free(c->given);
    free(c->spotted);
    free(c);
    *cp = NULL;
}

void
cover_count(cover_t *c, const request_t *req, const result_t *res)
{
    const ruleset_t *rs = c->rs;
    size_t words = tax_words(rs->tax) + 1;
    c->requests++;
    for (size_t i = 0; i < res->n_matches; i++)
        if ((size_t)res->matches[i].entity < rs->n_ents)
            c->matched[res->matches[i].entity]++;
    for (size_t i = 0; i < res->n_rules; i++)
        c->fired[res->rules[i].rule]++;

    /* The facts screen_run gave the rules, rebuilt from the request and
     * the result (screen.c: the same fields, the same sources). */
    memset(c->given, 0, words * sizeof *c->given);
    memset(c->spotted, 0, words * sizeof *c->spotted);
    for (size_t i = 0; i < res->n_cats; i++) {
        int k = res->cats[i].cat;
        if (res->cats[i].given)
            c->given[k / 64] |= 1ULL << (k % 64);
        if (res->cats[i].spotted)
            c->spotted[k / 64] |= 1ULL << (k % 64);
    }
    expr_facts_t f = {
        .ents = rs->ents,
        .method = -1,
        .country = req->country,
        .region = res->region_code,
        .type = req->type != NULL ? vocab_find(&rs->types, req->type) : -1,
        .given = c->given,
        .spotted = c->spotted,
        .activity = req->activity != NULL ? vocab_find(&rs->activities, req->activity) : -1,
        .current = req->current,
        .ctx = req->ctx,
        .n_ctx = req->n_ctx,
    };
    const rs_profile_t *prof = &rs->profiles[res->profile];
    size_t nm = res->n_matches;
    for (size_t k = 0; k < prof->n_rules; k++) {
        size_t r = prof->rules[k];
        const expr_t *when = rs->rules[r].when;
        size_t nc = expr_n_conjuncts(when);
        c->evaluated[r]++;
        for (size_t j = 0; j < nc; j++) {
            const expr_t *cj = expr_conjunct(when, j);
            bool held = false;
            for (size_t m = 0; m < (nm > 0 ? nm : 1) && !held; m++) {
                f.entity = nm > 0 ? &rs->ents[res->matches[m].entity] : NULL;
                f.match = nm > 0 ? res->matches[m].score : 0;
                f.method = nm > 0 ? (int)res->matches[m].method : -1;
                held = expr_eval(cj, &f) == 1;
            }
            c->held[r][j] += held;
        }
    }
}

void
cover_merge(cover_t *into, const cover_t *from)
{
    const ruleset_t *rs = into->rs;
    into->requests += from->requests;
    for (size_t r = 0; r < rs->n_rules; r++) {
        into->evaluated[r] += from->evaluated[r];
        into->fired[r] += from->fired[r];
        for (size_t j = 0; j < expr_n_conjuncts(rs->rules[r].when); j++)
            into->held[r][j] += from->held[r][j];
    }
    for (size_t e = 0; e < rs->n_ents; e++)
        into->matched[e] += from->matched[e];
}

size_t
cover_never_fire(const ruleset_t *rs, sbuf_t *out)
{
    bool *carried = calloc(rs->tags.n + 1, sizeof *carried);
    if (carried == NULL) {
        out->oom = true;
        return 0;
    }
    for (size_t e = 0; e < rs->n_ents; e++)
        for (uint16_t k = 0; k < rs->ents[e].n_tags; k++)
            if (rs->ents[e].tags[k] < rs->tags.n)
                carried[rs->ents[e].tags[k]] = true;
    size_t n = 0;
    for (size_t r = 0; r < rs->n_rules; r++) {
        const rs_rule_t *rule = &rs->rules[r];
        for (size_t j = 0; j < expr_n_conjuncts(rule->when); j++) {
            if (!expr_needs_absent_tags(expr_conjunct(rule->when, j), carried))
                continue;
            sbuf_printf(out,
                        "%s:%d: warning: rule \"%s\" can never fire: condition %zu (%s) needs a "
                        "tag no organisation carries\n",
                        rule->file, rule->line, rule->id, j + 1, expr_conjunct_src(rule->when, j));
            n++;
            break;
        }
    }
    free(carried);
    return n;
}

void
cover_report(const cover_t *c, sbuf_t *out)
{
    const ruleset_t *rs = c->rs;
    cover_never_fire(rs, out);
    size_t never_fired = 0;
    for (size_t r = 0; r < rs->n_rules; r++)
        never_fired += c->fired[r] == 0;
    sbuf_printf(out, "coverage: %llu requests; %zu of %zu rules never fired\n",
                (unsigned long long)c->requests, never_fired, rs->n_rules);
    for (size_t r = 0; r < rs->n_rules; r++) {
        const rs_rule_t *rule = &rs->rules[r];
        const char *mark = c->evaluated[r] == 0 ? "  never evaluated (no profile judged by it)"
                           : c->fired[r] == 0   ? "  NEVER FIRED"
                                                : "";
        sbuf_printf(out, "  rule %s: fired %llu of %llu%s\n", rule->id,
                    (unsigned long long)c->fired[r], (unsigned long long)c->evaluated[r], mark);
        size_t nc = expr_n_conjuncts(rule->when);
        for (size_t j = 0; nc > 1 && j < nc; j++)
            sbuf_printf(out, "    condition %zu held %llu%s: %s\n", j + 1,
                        (unsigned long long)c->held[r][j],
                        c->held[r][j] == 0 && c->evaluated[r] > 0 ? " NEVER HELD" : "",
                        expr_conjunct_src(rule->when, j));
    }
    /* Registry entries: how many matched, then those never matched by
     * list (an entry on no list is counted under "(no list)"). */
    size_t n_never = 0;
    for (size_t e = 0; e < rs->n_ents; e++)
        n_never += c->matched[e] == 0;
    sbuf_printf(out, "registry: %zu of %zu entries matched; %zu never matched\n",
                rs->n_ents - n_never, rs->n_ents, n_never);
    for (size_t l = 0; l <= rs->lists.n; l++) {
        size_t on = 0, never = 0;
        for (size_t e = 0; e < rs->n_ents; e++) {
            const reg_entity_t *ent = &rs->ents[e];
            bool in = false;
            for (uint16_t k = 0; k < ent->n_lists && !in; k++)
                in = ent->lists[k] == l;
            if (l == rs->lists.n)
                in = ent->n_lists == 0;
            on += in;
            never += in && c->matched[e] == 0;
        }
        if (on > 0)
            sbuf_printf(out, "  list %s: %zu of %zu never matched\n",
                        l < rs->lists.n ? rs->lists.names[l] : "(no list)", never, on);
    }
    size_t listed = 0;
    for (size_t e = 0; e < rs->n_ents && listed < COVER_MAX_LISTED; e++)
        if (c->matched[e] == 0)
            sbuf_printf(out, "%s%s", listed++ == 0 ? "  never matched: " : ", ", rs->ents[e].id);
    if (listed > 0 && n_never > listed)
        sbuf_printf(out, " and %zu more", n_never - listed);
    if (listed > 0)
        sbuf_printf(out, "\n");
}
