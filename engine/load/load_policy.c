/* SPDX-License-Identifier: Apache-2.0 */
/* load_policy.c -- policy.cfg: its version, vocabularies (through
 * load_vocab.c), country groups, matching settings, rules and profiles.
 * The rules are compiled last, once the taxonomy and the registry are
 * known, since a rule may name any category, list, tag or relation kind;
 * the profiles after them, since they name rules. */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgread.h"
#include "isocode.h"

/* Reports a cite of g (what: the rule or group) that names a file or a
 * line of one, which no reader of a reply can look up (loader_cites_file). */
static void
check_cite(loader_t *L, const char *file, const config_setting_t *g, const char *cite,
           const char *what)
{
    size_t n;
    const char *w = cite != NULL ? loader_cites_file(cite, &n) : NULL;
    if (w != NULL)
        diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "cite")), 0,
                 "%s: cite names \"%.*s\", a file or a line of one: cite the published document "
                 "(publisher, title, date, clause)",
                 what, (int)n, w);
}

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

/* Reads country_groups: named sets of country or region codes that rules
 * test with `partner.country in countries("ID")`, so that a notion a
 * statute defines once ("foreign country of concern") is written once,
 * with its citation, and not copied into every rule. */
static void
read_country_groups(loader_t *L, const char *file, const config_setting_t *root)
{
    ruleset_t *rs = L->rs;
    config_setting_t *list =
        loader_member(L, file, root, "country_groups", CONFIG_TYPE_LIST, false, "policy");
    int n = list ? config_setting_length(list) : 0;
    if (n == 0)
        return;
    rs->groups.names = loader_chk(L, arena_calloc(rs->arena, (size_t)n, sizeof(char *)));
    rs->group = loader_chk(L, arena_calloc(rs->arena, (size_t)n, sizeof *rs->group));
    rs->group_label = loader_chk(L, arena_calloc(rs->arena, (size_t)n, sizeof(char *)));
    rs->group_cite = loader_chk(L, arena_calloc(rs->arena, (size_t)n, sizeof(char *)));
    if (rs->groups.names == NULL || rs->group == NULL || rs->group_label == NULL ||
        rs->group_cite == NULL)
        return;
    static const char *const allowed[] = {"id", "label", "countries", "cite", NULL};
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        int line = cfgread_line(g);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, line, 0, "country_groups[%d] must be a group", i);
            continue;
        }
        loader_check_members(L, file, g, allowed, "a country group");
        const char *id = loader_str(L, file, g, "id", true, "country group");
        if (id == NULL)
            continue;
        char what[200];
        snprintf(what, sizeof what, "country group \"%.160s\"", id);
        if (!loader_valid_id(id)) {
            diag_add(L->d, file, line, 0,
                     "%s: id must be lower-case letters, digits, '_', '-' or '.'", what);
            continue;
        }
        if (vocab_find(&rs->groups, id) >= 0) {
            diag_add(L->d, file, line, 0, "duplicate country group id \"%s\"", id);
            continue;
        }
        const char *label = loader_str(L, file, g, "label", true, what);
        const char *cite = loader_str(L, file, g, "cite", true, what);
        check_cite(L, file, g, cite, what);
        const char **codes;
        size_t nc = loader_strs(L, file, g, "countries", &codes, what);
        int cline = cfgread_line(config_setting_get_member(g, "countries"));
        if (nc == 0 && config_setting_get_member(g, "countries") != NULL)
            diag_add(L->d, file, cline, 0, "%s: countries is empty", what);
        else if (config_setting_get_member(g, "countries") == NULL)
            diag_add(L->d, file, line, 0, "%s: missing \"countries\"", what);
        for (size_t k = 0; k < nc; k++) {
            if (!iso_country_code(codes[k]) && !iso_region_code(codes[k]))
                diag_add(L->d, file, cline, 0,
                         "%s: \"%s\" is not an upper-case ISO 3166-1 alpha-2 code (\"IR\") "
                         "or ISO 3166-2 code (\"UA-43\")",
                         what, codes[k]);
            for (size_t j = 0; j < k; j++)
                if (strcmp(codes[j], codes[k]) == 0)
                    diag_add(L->d, file, cline, 0, "%s: \"%s\" is listed twice", what, codes[k]);
        }
        size_t at = rs->groups.n++;
        rs->groups.names[at] = id;
        rs->group[at] = (expr_group_t){id, codes, nc};
        rs->group_label[at] = label;
        rs->group_cite[at] = cite;
    }
}

void
load_policy_head(loader_t *L)
{
    ruleset_t *rs = L->rs;
    const char *file = L->policy.path;
    config_setting_t *root = config_root_setting(&L->policy.cfg);
    static const char *const allowed[] = {
        "version",  "verdicts",        "risk_levels", "activities",     "relation_kinds",
        "tags",     "lists",           "matching",    "country_groups", "rules",
        "profiles", "default_profile", NULL};
    loader_check_members(L, file, root, allowed, "policy.cfg");
    rs->version = loader_str(L, file, root, "version", true, "policy");
    load_vocab_names(L, file, root, "verdicts", &rs->verdicts, true);
    load_vocab_names(L, file, root, "risk_levels", &rs->risks, false);
    load_vocab_names(L, file, root, "activities", &rs->activities, false);
    load_vocab_relation_kinds(L, file, root);
    load_vocab_tags(L, file, root);
    load_vocab_lists(L, file, root);
    read_country_groups(L, file, root);
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
    expr_schema_t schema = {&rs->lists, &rs->tags, &rs->risks,  &rs->activities, &rs->relations,
                            &rs->types, rs->tax,   &rs->groups, rs->group};
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
        check_cite(L, file, g, r->cite, what);
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

/* ---- profiles ------------------------------------------------------------ */

/* Marks in take[] the rules an entry of a profile names: a rule id, or a
 * prefix ending in '*' ("strac-*"; "*" alone is every rule). Returns how
 * many rules it names. */
static size_t
mark_rules(const ruleset_t *rs, const char *pat, uint8_t *take)
{
    size_t len = strlen(pat), n = 0;
    bool prefix = len > 0 && pat[len - 1] == '*';
    if (prefix)
        len--;
    for (size_t r = 0; r < rs->n_rules; r++) {
        const char *id = rs->rules[r].id;
        if (prefix ? strncmp(id, pat, len) == 0 : strcmp(id, pat) == 0) {
            take[r] = 1;
            n++;
        }
    }
    return n;
}

/* Reads one group of `profiles` into *p. */
static void
read_profile(loader_t *L, const char *file, const config_setting_t *g, rs_profile_t *p,
             uint8_t *take)
{
    ruleset_t *rs = L->rs;
    int line = cfgread_line(g);
    static const char *const allowed[] = {"id", "label", "description", "rules", NULL};
    loader_check_members(L, file, g, allowed, "a profile");
    p->id = loader_str(L, file, g, "id", true, "profile");
    if (p->id == NULL)
        return;
    char what[200];
    snprintf(what, sizeof what, "profile \"%.160s\"", p->id);
    if (!loader_valid_id(p->id))
        diag_add(L->d, file, line, 0, "%s: id must be lower-case letters, digits, '_', '-' or '.'",
                 what);
    p->label = loader_str(L, file, g, "label", true, what);
    p->description = loader_str(L, file, g, "description", false, what);
    const char **pats;
    size_t np = loader_strs(L, file, g, "rules", &pats, what);
    config_setting_t *rs_set = config_setting_get_member(g, "rules");
    int rline = rs_set != NULL ? cfgread_line(rs_set) : line;
    if (rs_set == NULL)
        diag_add(L->d, file, line, 0, "%s: missing \"rules\"", what);
    else if (np == 0)
        diag_add(L->d, file, rline, 0, "%s: rules is empty: every partner would be clear", what);
    memset(take, 0, rs->n_rules + 1);
    for (size_t k = 0; k < np; k++) {
        if (mark_rules(rs, pats[k], take) > 0)
            continue;
        /* An entry naming no rule is a typo or a rule since renamed: the
         * profile would silently lose what it meant to hold. */
        const char **ids = malloc((rs->n_rules + 1) * sizeof *ids);
        if (ids == NULL) {
            L->oom = true;
            return;
        }
        for (size_t r = 0; r < rs->n_rules; r++)
            ids[r] = rs->rules[r].id;
        vocab_t v = {ids, rs->n_rules};
        const char *sug = strchr(pats[k], '*') == NULL ? vocab_suggest(&v, pats[k]) : NULL;
        if (sug != NULL)
            diag_add(L->d, file, rline, 0, "%s: \"%s\" names no rule (did you mean \"%s\"?)", what,
                     pats[k], sug);
        else
            diag_add(L->d, file, rline, 0, "%s: \"%s\" names no rule", what, pats[k]);
        free(ids);
    }
    size_t n = 0;
    for (size_t r = 0; r < rs->n_rules; r++)
        n += take[r];
    uint32_t *ix = loader_chk(L, arena_calloc(rs->arena, n + 1, sizeof *ix));
    if (ix == NULL)
        return;
    for (size_t r = 0; r < rs->n_rules; r++)
        if (take[r])
            ix[p->n_rules++] = (uint32_t)r;
    p->rules = ix;
}

void
load_policy_profiles(loader_t *L)
{
    ruleset_t *rs = L->rs;
    const char *file = L->policy.path;
    config_setting_t *root = config_root_setting(&L->policy.cfg);
    config_setting_t *list =
        loader_member(L, file, root, "profiles", CONFIG_TYPE_LIST, false, "policy");
    config_setting_t *def = config_setting_get_member(root, "default_profile");
    int n = list ? config_setting_length(list) : 0;
    uint8_t *take = loader_chk(L, calloc(rs->n_rules + 1, 1));
    size_t cap = n > 0 ? (size_t)n : 1;
    rs->profiles = loader_chk(L, arena_calloc(rs->arena, cap, sizeof *rs->profiles));
    rs->profile_ids.names = loader_chk(L, arena_calloc(rs->arena, cap, sizeof(char *)));
    if (take == NULL || rs->profiles == NULL || rs->profile_ids.names == NULL)
        goto out;
    if (list == NULL) {
        /* No profiles: one that holds every rule, as before profiles. */
        if (def != NULL)
            diag_add(L->d, file, cfgread_line(def), 0,
                     "default_profile names a profile, but the policy declares no profiles");
        uint32_t *ix = loader_chk(L, arena_calloc(rs->arena, rs->n_rules + 1, sizeof *ix));
        if (ix == NULL)
            goto out;
        for (size_t r = 0; r < rs->n_rules; r++)
            ix[r] = (uint32_t)r;
        rs->profiles[0] = (rs_profile_t){"all", "Every rule of the policy", NULL, ix, rs->n_rules};
        rs->profile_ids.names[0] = "all";
        rs->n_profiles = rs->profile_ids.n = 1;
        rs->default_profile = 0;
        goto out;
    }
    if (n == 0)
        diag_add(L->d, file, cfgread_line(list), 0,
                 "profiles is empty: declare at least one, or leave the setting out");
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(g), 0, "profiles[%d] must be a group", i);
            continue;
        }
        rs_profile_t p = {0};
        read_profile(L, file, g, &p, take);
        if (p.id == NULL)
            continue;
        if (vocab_find(&rs->profile_ids, p.id) >= 0) {
            diag_add(L->d, file, cfgread_line(g), 0, "duplicate profile id \"%s\"", p.id);
            continue;
        }
        rs->profiles[rs->n_profiles++] = p;
        rs->profile_ids.names[rs->profile_ids.n++] = p.id;
    }
    /* A request that names no profile is judged by this one: it must be
     * said, not guessed from the order of the list. */
    const char *d = loader_str(L, file, root, "default_profile", n > 0, "policy");
    rs->default_profile = 0;
    if (d != NULL) {
        int k = loader_resolve(L, file, cfgread_line(def), &rs->profile_ids, "profile", d,
                               "default_profile");
        if (k >= 0)
            rs->default_profile = k;
    }
out:
    free(take);
}
