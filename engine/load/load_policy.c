/* load_policy.c -- policy.cfg: its version, vocabularies (through
 * load_vocab.c), matching settings and rules. The rules are compiled
 * last, once the taxonomy and the registry are known, since a rule may
 * name any category, list, tag or relation kind. */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgread.h"

/* Reads the matching group into rs->match, defaults first. */
static void
read_matching(loader_t *L, const char *file, const config_setting_t *root)
{
    match_config_t *m = &L->rs->match;
    m->threshold = 0.88;
    m->country_penalty = 0.08;
    m->max_results = 5;
    config_setting_t *g =
        loader_member(L, file, root, "matching", CONFIG_TYPE_GROUP, false, "policy");
    if (g == NULL)
        return;
    static const char *const allowed[] = {"fuzzy_threshold", "country_penalty", "max_matches",
                                          NULL};
    loader_check_members(L, file, g, allowed, "matching");
    config_setting_t *s;
    if ((s = loader_member(L, file, g, "fuzzy_threshold", CONFIG_TYPE_FLOAT, false, "matching"))) {
        double v = config_setting_get_float(s);
        if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
            v = (double)config_setting_get_int64(s);
        if (v <= 0 || v > 1)
            diag_add(L->d, file, cfgread_line(s), 0,
                     "matching: fuzzy_threshold must be in (0, 1], not %g", v);
        else
            m->threshold = v;
    }
    if ((s = loader_member(L, file, g, "country_penalty", CONFIG_TYPE_FLOAT, false, "matching"))) {
        double v = config_setting_get_float(s);
        if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
            v = (double)config_setting_get_int64(s);
        if (v < 0 || v > 1)
            diag_add(L->d, file, cfgread_line(s), 0,
                     "matching: country_penalty must be in [0, 1], not %g", v);
        else
            m->country_penalty = v;
    }
    if ((s = loader_member(L, file, g, "max_matches", CONFIG_TYPE_INT, false, "matching"))) {
        long long v = config_setting_get_int64(s);
        if (config_setting_type(s) == CONFIG_TYPE_INT)
            v = config_setting_get_int(s);
        if (v < 1 || v > 100)
            diag_add(L->d, file, cfgread_line(s), 0,
                     "matching: max_matches must be in 1..100, not %lld", v);
        else
            m->max_results = (unsigned)v;
    }
}

void
load_policy_head(loader_t *L)
{
    ruleset_t *rs = L->rs;
    const char *file = L->policy.path;
    config_setting_t *root = config_root_setting(&L->policy.cfg);
    static const char *const allowed[] = {"version",        "verdicts", "risk_levels", "activities",
                                          "relation_kinds", "tags",     "lists",       "matching",
                                          "rules",          NULL};
    loader_check_members(L, file, root, allowed, "policy.cfg");
    rs->version = loader_str(L, file, root, "version", true, "policy");
    load_vocab_names(L, file, root, "verdicts", &rs->verdicts, true);
    load_vocab_names(L, file, root, "risk_levels", &rs->risks, false);
    load_vocab_names(L, file, root, "activities", &rs->activities, false);
    load_vocab_relation_kinds(L, file, root);
    load_vocab_tags(L, file, root);
    load_vocab_lists(L, file, root);
    read_matching(L, file, root);
}

/* ---- rules --------------------------------------------------------------- */

/* Counts the organisations on each list: on_list[i] for list index i.
 * Returns the array (caller owns it: free), or NULL on OOM (L->oom). */
static size_t *
count_on_lists(loader_t *L)
{
    const ruleset_t *rs = L->rs;
    size_t *on_list = loader_chk(L, calloc(rs->lists.n + 1, sizeof *on_list));
    for (size_t e = 0; on_list != NULL && e < rs->n_ents; e++)
        for (uint16_t i = 0; i < rs->ents[e].n_lists; i++)
            if (rs->ents[e].lists[i] < rs->lists.n)
                on_list[rs->ents[e].lists[i]]++;
    return on_list;
}

/* Reports each list the condition of r (declared at file:line) tests
 * that no organisation is on: such a test can never fire, which is what
 * an import that failed or a typo in a list id looks like, not a policy. */
static void
check_lists_named(loader_t *L, const rs_rule_t *r, const size_t *on_list, const char *file,
                  int line)
{
    for (size_t i = 0; i < L->rs->lists.n; i++)
        if (on_list[i] == 0 && expr_reads_list(r->when, (unsigned)i))
            diag_add(L->d, file, line, 0,
                     "rule \"%s\" names list \"%s\" which has no organisations", r->id,
                     L->rs->lists.names[i]);
}

void
load_policy_rules(loader_t *L)
{
    ruleset_t *rs = L->rs;
    const char *file = L->policy.path;
    config_setting_t *root = config_root_setting(&L->policy.cfg);
    config_setting_t *rules =
        loader_member(L, file, root, "rules", CONFIG_TYPE_LIST, true, "policy");
    int n = rules ? config_setting_length(rules) : 0;
    if (rules != NULL && n == 0)
        diag_add(L->d, file, cfgread_line(rules), 0,
                 "the policy has no rules: every partner would be clear");
    rs->rules = loader_chk(L, arena_calloc(rs->arena, (size_t)n + 1, sizeof *rs->rules));
    smap_t *ids = loader_chk(L, smap_new());
    size_t *on_list = count_on_lists(L);
    if (rs->rules == NULL || ids == NULL || on_list == NULL)
        goto out;
    expr_schema_t schema = {&rs->lists,     &rs->tags,  &rs->risks, &rs->activities,
                            &rs->relations, &rs->types, rs->tax};
    static const char *const allowed[] = {"id", "when", "verdict", "score", "reason", "cite", NULL};
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(rules, (unsigned)i);
        int line = cfgread_line(g);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, line, 0, "rules[%d] must be a group", i);
            continue;
        }
        loader_check_members(L, file, g, allowed, "a rule");
        const char *id = loader_str(L, file, g, "id", true, "rule");
        if (id == NULL)
            continue;
        char what[200];
        snprintf(what, sizeof what, "rule \"%.160s\"", id);
        if (!loader_valid_id(id)) {
            diag_add(L->d, file, line, 0,
                     "%s: id must be lower-case letters, digits, '_', '-' or '.'", what);
            continue;
        }
        int old;
        int put = smap_put(ids, id, i, &old);
        if (put < 0) {
            L->oom = true;
            continue;
        }
        if (put == 1) {
            diag_add(L->d, file, line, 0, "duplicate rule id \"%s\" (first at %s:%d)", id, file,
                     cfgread_line(config_setting_get_elem(rules, (unsigned)old)));
            continue;
        }
        rs_rule_t *r = &rs->rules[rs->n_rules];
        r->id = id;
        r->file = file;
        r->line = line;
        r->reason = loader_str(L, file, g, "reason", true, what);
        r->cite = loader_str(L, file, g, "cite", true, what);
        const char *verdict = loader_str(L, file, g, "verdict", true, what);
        r->verdict = -1;
        if (verdict != NULL)
            r->verdict =
                loader_resolve(L, file, cfgread_line(config_setting_get_member(g, "verdict")),
                               &rs->verdicts, "verdict", verdict, what);
        config_setting_t *sc = loader_member(L, file, g, "score", CONFIG_TYPE_INT, true, what);
        if (sc != NULL) {
            long long v = config_setting_type(sc) == CONFIG_TYPE_INT ? config_setting_get_int(sc)
                                                                     : config_setting_get_int64(sc);
            if (v < 0 || v > 100)
                diag_add(L->d, file, cfgread_line(sc), 0, "%s: score must be in 0..100, not %lld",
                         what, v);
            r->score = (int)v;
        }
        config_setting_t *w = loader_member(L, file, g, "when", CONFIG_TYPE_STRING, true, what);
        if (w != NULL && (r->when_src = loader_strdup(L, config_setting_get_string(w))) != NULL) {
            size_t before = diag_count(L->d);
            r->when = expr_compile(r->when_src, &schema, rs->arena, file, cfgread_line(w), L->d);
            /* expr_compile reports every failure; a NULL without a
             * report would be a rule that silently never fires. */
            if (r->when == NULL && diag_count(L->d) == before)
                L->oom = true;
            if (r->when != NULL)
                check_lists_named(L, r, on_list, file, cfgread_line(w));
        } else if (w != NULL) {
            L->oom = true; /* the copy failed, or libconfig lost the value */
        }
        rs->n_rules++;
    }
out:
    free(on_list);
    smap_destroy(&ids);
}
