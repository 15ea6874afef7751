/* SPDX-License-Identifier: Apache-2.0 */
/* load_reviews.c -- the review register: reads it into a loaded ruleset,
 * checks each entry against it, looks entries up for the screen, and
 * writes the register's text back (the daemon's vet review edits).
 *
 * An entry is a decision a person made and signed: who, when, why, until
 * when, on what reference. It never widens anything: it names one
 * organisation and one normalised name (no wildcards), and it can lower
 * a rule's verdict only below the most severe one (a prohibition is
 * lifted by a licence or a change of policy, not by a reviewer). */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgread.h"
#include "isocode.h"
#include "norm.h"

static const char *const kind_names[] = {"not_entity", "accepted"};
static const char *const state_names[] = {"active", "expired", "withdrawn", "inert"};

const char *
ruleset_review_kind_name(rs_review_kind_t k)
{
    return (unsigned)k < 2 ? kind_names[k] : "?";
}

const char *
ruleset_review_state_name(rs_review_state_t s)
{
    return (unsigned)s < 4 ? state_names[s] : "?";
}

rs_review_state_t
ruleset_review_state(const rs_review_t *r, time_t now)
{
    if (r->inert != NULL)
        return RS_REVIEW_INERT;
    if (r->expired_on != NULL)
        return RS_REVIEW_WITHDRAWN;
    return (int64_t)now >= r->until ? RS_REVIEW_EXPIRED : RS_REVIEW_ACTIVE;
}

/* UTC seconds at the start of day s ("YYYY-MM-DD", a real date), or -1. */
static int64_t
day_start(const char *s)
{
    int y, m, d;
    if (s == NULL || strlen(s) != 10 || !match_date_valid(s, NULL, 0) ||
        sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (int64_t)timegm(&tm);
}

/* A date member of g: required, a real calendar day; -1 after reporting. */
static int64_t
read_day(loader_t *L, const char *file, const config_setting_t *g, const char *name,
         const char *val, const char *what)
{
    int64_t t = day_start(val);
    if (val != NULL && t < 0)
        diag_add(L->d, file, cfgread_line(config_setting_get_member(g, name)), 0,
                 "%s: %s must be a date YYYY-MM-DD, not \"%s\"", what, name, val);
    return t;
}

/* Sets r->inert when the entry names what rs does not have. */
static void
resolve(loader_t *L, rs_review_t *r, const smap_t *ids)
{
    const ruleset_t *rs = L->rs;
    int e = smap_get(ids, r->entity_id);
    r->entity = e;
    r->activity_ix = -1;
    r->rule_ix = -1;
    if (e < 0) {
        r->inert = "names no organisation or person of this ruleset";
        return;
    }
    if (r->kind != RS_REVIEW_ACCEPTED)
        return;
    r->activity_ix = vocab_find(&rs->activities, r->activity);
    for (size_t i = 0; i < rs->n_rules; i++)
        if (strcmp(rs->rules[i].id, r->rule) == 0)
            r->rule_ix = (int)i;
    if (r->activity_ix < 0)
        r->inert = "names an activity this ruleset does not have";
    else if (r->rule_ix < 0)
        r->inert = "names a rule this ruleset does not have";
    else if (rs->rules[r->rule_ix].verdict + 1 >= (int)rs->verdicts.n)
        r->inert = "the rule's verdict is the most severe: a review does not lift a prohibition";
}

/* Reads entry g (file:line) into r; false after reporting. */
static bool
read_entry(loader_t *L, const char *file, const config_setting_t *g, rs_review_t *r, size_t i)
{
    static const char *const allowed[] = {
        "id", "decision", "entity",  "name", "country",    "activity",   "rule",        "by",
        "on", "reason",   "expires", "ref",  "expired_on", "expired_by", "expired_why", NULL};
    char what[48];
    snprintf(what, sizeof what, "reviews[%zu]", i);
    size_t errs = diag_count(L->d);
    memset(r, 0, sizeof *r);
    r->line = cfgread_line(g);
    if (!config_setting_is_group(g)) {
        diag_add(L->d, file, r->line, 0, "%s: expected a group { ... }", what);
        return false;
    }
    r->id = loader_str(L, file, g, "id", true, what);
    if (r->id != NULL)
        snprintf(what, sizeof what, "review \"%.32s\"", r->id);
    loader_check_members(L, file, g, allowed, what);
    const char *kind = loader_str(L, file, g, "decision", true, what);
    if (kind != NULL && strcmp(kind, "not_entity") != 0 && strcmp(kind, "accepted") != 0)
        diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "decision")), 0,
                 "%s: decision must be \"not_entity\" or \"accepted\", not \"%s\"", what, kind);
    r->kind =
        kind != NULL && strcmp(kind, "accepted") == 0 ? RS_REVIEW_ACCEPTED : RS_REVIEW_NOT_ENTITY;
    r->entity_id = loader_str(L, file, g, "entity", true, what);
    bool not_entity = r->kind == RS_REVIEW_NOT_ENTITY;
    r->name = loader_str(L, file, g, "name", not_entity, what);
    r->country = loader_str(L, file, g, "country", false, what);
    r->activity = loader_str(L, file, g, "activity", !not_entity, what);
    r->rule = loader_str(L, file, g, "rule", !not_entity, what);
    /* Each decision says only what it decides: a name is what a
     * not_entity entry is about, an activity and a rule what an accepted
     * tie is about. */
    const char *extra = not_entity ? (r->activity ? "activity"
                                      : r->rule   ? "rule"
                                                  : NULL)
                                   : (r->name      ? "name"
                                      : r->country ? "country"
                                                   : NULL);
    if (kind != NULL && extra != NULL)
        diag_add(L->d, file, cfgread_line(config_setting_get_member(g, extra)), 0,
                 "%s: a decision \"%s\" names no %s", what, kind, extra);
    if (r->country != NULL && !iso_country_code(r->country))
        diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "country")), 0,
                 "%s: country must be an ISO 3166-1 alpha-2 code (\"CN\"), not \"%s\"", what,
                 r->country);
    r->by = loader_str(L, file, g, "by", true, what);
    r->on = loader_str(L, file, g, "on", true, what);
    r->reason = loader_str(L, file, g, "reason", true, what);
    r->expires = loader_str(L, file, g, "expires", true, what);
    r->ref = loader_str(L, file, g, "ref", true, what);
    r->expired_on = loader_str(L, file, g, "expired_on", false, what);
    r->expired_by = loader_str(L, file, g, "expired_by", r->expired_on != NULL, what);
    r->expired_why = loader_str(L, file, g, "expired_why", r->expired_on != NULL, what);
    int64_t on = read_day(L, file, g, "on", r->on, what);
    int64_t until = read_day(L, file, g, "expires", r->expires, what);
    if (r->expired_on != NULL)
        read_day(L, file, g, "expired_on", r->expired_on, what);
    if (on >= 0 && until >= 0 && (until < on || until - on > RS_REVIEW_MAX_DAYS * 86400LL))
        diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "expires")), 0,
                 "%s: expires must be on or after its date (%s) and at most %d days later, "
                 "not %s",
                 what, r->on, RS_REVIEW_MAX_DAYS, r->expires);
    r->until = until + 86400; /* in force through the whole last day */
    if (r->name != NULL) {
        size_t len;
        char msg[96];
        if (norm_text(L->rs->arena, r->name, strlen(r->name), &r->norm, &len, msg, sizeof msg) !=
            0) {
            if (strcmp(msg, "out of memory") == 0)
                L->oom = true;
            else
                diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "name")), 0,
                         "%s: name: %s", what, msg);
        } else if (len == 0) {
            diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "name")), 0,
                     "%s: name has no letters or digits", what);
        }
    }
    return diag_count(L->d) == errs && !L->oom;
}

/* The registry's ids and the ids merged into them -> entity index. */
static smap_t *
entity_ids(loader_t *L)
{
    const ruleset_t *rs = L->rs;
    smap_t *m = loader_chk(L, smap_new());
    for (size_t i = 0; m != NULL && i < rs->n_ents && !L->oom; i++) {
        const reg_entity_t *e = &rs->ents[i];
        if (smap_put(m, e->id, (int)i, NULL) < 0)
            L->oom = true;
        for (uint16_t k = 0; k < e->n_merged && !L->oom; k++)
            if (smap_put(m, e->merged[k], (int)i, NULL) < 0)
                L->oom = true;
    }
    return m;
}

/* qsort order of lookup keys. */
static int
cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int
ruleset_load_reviews(ruleset_t *rs, const char *path, diag_t *d)
{
    loader_t L;
    loader_init(&L, rs, d);
    size_t errs = diag_count(d);
    rs_file_t f;
    memset(&f, 0, sizeof f);
    char digest[65] = "";
    loader_read_one(&L, &f, path, digest);
    rs_review_t *v = NULL;
    size_t n = 0;
    const config_setting_t *list = NULL;
    if (f.ok) {
        const config_setting_t *root = config_root_setting(&f.cfg);
        static const char *const top[] = {"reviews", NULL};
        loader_check_members(&L, f.path, root, top, "the review register");
        list = loader_member(&L, f.path, root, "reviews", CONFIG_TYPE_LIST, false, "the register");
    }
    size_t total = list != NULL ? (size_t)config_setting_length(list) : 0;
    if (total > 0)
        v = loader_chk(&L, arena_calloc(rs->arena, total, sizeof *v));
    smap_t *ids = total > 0 ? entity_ids(&L) : NULL;
    smap_t *seen = total > 0 ? loader_chk(&L, smap_new()) : NULL;
    for (size_t i = 0; v != NULL && ids != NULL && seen != NULL && i < total && !L.oom; i++) {
        rs_review_t *r = &v[n];
        if (!read_entry(&L, f.path, config_setting_get_elem(list, (unsigned)i), r, i))
            continue;
        int old = -1, put = smap_put(seen, r->id, (int)n, &old);
        if (put < 0) {
            L.oom = true;
            break;
        }
        if (put == 1) {
            diag_add(d, f.path, r->line, 0, "review \"%s\": id used twice (first at line %d)",
                     r->id, v[old].line);
            continue;
        }
        resolve(&L, r, ids);
        n++;
    }
    smap_destroy(&ids);
    smap_destroy(&seen);
    uint64_t *keys = n > 0 ? loader_chk(&L, arena_alloc(rs->arena, n * sizeof *keys)) : NULL;
    config_destroy(&f.cfg);
    loader_free(&L);
    if (L.oom)
        diag_add(d, path, 0, 0, "out of memory");
    if (L.oom || diag_count(d) != errs)
        return -1;
    /* Lookup keys: entity (inert entries last) then file order. */
    for (size_t i = 0; i < n; i++)
        keys[i] = (uint64_t)(v[i].entity >= 0 ? (uint32_t)v[i].entity : UINT32_MAX) << 32 | i;
    if (n > 1)
        qsort(keys, n, sizeof *keys, cmp_key);
    rs->reviews = v;
    rs->n_reviews = n;
    rs->review_keys = keys;
    rs->reviews_path = f.path;
    /* No file, no digest: an empty register is no decision. */
    snprintf(rs->reviews_digest, sizeof rs->reviews_digest, "%s", f.ok ? digest : "");
    return 0;
}

/* First position in rs->review_keys of entity's entries. */
static size_t
first_of(const ruleset_t *rs, uint32_t entity)
{
    size_t lo = 0, hi = rs->n_reviews;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rs->review_keys[mid] >> 32 < entity)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool
ruleset_reviews_name(const ruleset_t *rs, uint32_t entity)
{
    size_t i = first_of(rs, entity);
    return i < rs->n_reviews && rs->review_keys[i] >> 32 == entity;
}

const rs_review_t *
ruleset_review_not(const ruleset_t *rs, uint32_t entity, const char *norm, size_t nlen,
                   const char *country, time_t now)
{
    for (size_t i = first_of(rs, entity); i < rs->n_reviews; i++) {
        const rs_review_t *r = &rs->reviews[(uint32_t)rs->review_keys[i]];
        if (r->entity != (int64_t)entity)
            break;
        if (r->kind == RS_REVIEW_NOT_ENTITY && ruleset_review_state(r, now) == RS_REVIEW_ACTIVE &&
            strlen(r->norm) == nlen && memcmp(r->norm, norm, nlen) == 0 &&
            (r->country == NULL ? country == NULL
                                : country != NULL && strcmp(r->country, country) == 0))
            return r;
    }
    return NULL;
}

const rs_review_t *
ruleset_review_accepted(const ruleset_t *rs, uint32_t entity, int activity, int rule, time_t now)
{
    for (size_t i = first_of(rs, entity); i < rs->n_reviews; i++) {
        const rs_review_t *r = &rs->reviews[(uint32_t)rs->review_keys[i]];
        if (r->entity != (int64_t)entity)
            break;
        if (r->kind == RS_REVIEW_ACCEPTED && r->activity_ix == activity && r->rule_ix == rule &&
            ruleset_review_state(r, now) == RS_REVIEW_ACTIVE)
            return r;
    }
    return NULL;
}

/* ---- writing ---------------------------------------------------------- */

/* s as a libconfig string literal. */
static void
put_str(sbuf_t *b, const char *s)
{
    sbuf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sbuf_printf(b, "\\%c", *p);
        else if (*p == '\n')
            sbuf_puts(b, "\\n");
        else if (*p == '\t')
            sbuf_puts(b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            sbuf_printf(b, "\\x%02x", *p);
        else
            sbuf_putc(b, (char)*p);
    }
    sbuf_putc(b, '"');
}

static void
put_member(sbuf_t *b, const char *name, const char *val)
{
    if (val == NULL)
        return;
    sbuf_printf(b, "\n    %s = ", name);
    put_str(b, val);
    sbuf_putc(b, ';');
}

void
ruleset_reviews_format(sbuf_t *b, const rs_review_t *v, size_t n)
{
    sbuf_puts(b, "# vetd review register (docs/OPERATIONS.md, \"The review register\").\n"
                 "# Written by vetd when `vet review add` or `vet review expire` asks; a hand\n"
                 "# edit is read at the next reload. Entries are never deleted: an entry\n"
                 "# is withdrawn (expired_on) or runs out (expires), and stays on record.\n"
                 "reviews = (");
    for (size_t i = 0; i < n; i++) {
        const rs_review_t *r = &v[i];
        sbuf_puts(b, i > 0 ? ",\n  {" : "\n  {");
        put_member(b, "id", r->id);
        put_member(b, "decision", ruleset_review_kind_name(r->kind));
        put_member(b, "entity", r->entity_id);
        put_member(b, "name", r->name);
        put_member(b, "country", r->country);
        put_member(b, "activity", r->activity);
        put_member(b, "rule", r->rule);
        put_member(b, "by", r->by);
        put_member(b, "on", r->on);
        put_member(b, "reason", r->reason);
        put_member(b, "expires", r->expires);
        put_member(b, "ref", r->ref);
        put_member(b, "expired_on", r->expired_on);
        put_member(b, "expired_by", r->expired_by);
        put_member(b, "expired_why", r->expired_why);
        sbuf_puts(b, "\n  }");
    }
    sbuf_puts(b, "\n);\n");
}
