/* SPDX-License-Identifier: Apache-2.0 */
/* load_vocab.c -- the vocabularies a ruleset declares, which its rules
 * and organisations then name: verdicts, risk levels and activities
 * (policy.cfg), relation kinds (policy.cfg), and tags and lists, which
 * policy.cfg and every registry file may each declare (importers of
 * different lists write the lists they use). */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfgread.h"
#include "vec.h"

/* Appends s (borrowed) to sv; false on OOM (sv unchanged). */
static bool
sv_push(strvec_t *sv, const char *s)
{
    if (vec_grow(&sv->v, &sv->cap, sv->n + 1, sizeof *sv->v, 16) != 0)
        return false;
    sv->v[sv->n++] = s;
    return true;
}

void
load_vocab_names(loader_t *L, const char *file, const config_setting_t *root, const char *name,
                 vocab_t *out, bool required)
{
    const char **v;
    size_t n = loader_strs(L, file, root, name, &v, name);
    if (n == 0 && required) {
        config_setting_t *s = config_setting_get_member(root, name);
        diag_add(L->d, file, cfgread_line(s ? s : root), 0, "\"%s\" must list at least one name",
                 name);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(v[i], v[j]) == 0)
                diag_add(L->d, file, cfgread_line(config_setting_get_member(root, name)), 0,
                         "%s: \"%s\" is listed twice", name, v[i]);
    out->names = v;
    out->n = n;
}

/* Declares one tag of file:line (a repeat is the same tag). */
static void
declare_tag(loader_t *L, const char *file, int line, const char *tag)
{
    if (!loader_valid_id(tag)) {
        diag_add(L->d, file, line, 0,
                 "tag \"%s\": must be lower-case letters, digits, '_', '-' or '.'", tag);
        return;
    }
    /* Tags are shared vocabulary: several registry files (and the
     * policy) may each declare the tags they use, so a repeat is fine. */
    int r = smap_put(L->tag_map, tag, (int)L->tags.n, NULL);
    if (r < 0 || (r == 0 && !sv_push(&L->tags, tag)))
        L->oom = true;
}

void
load_vocab_tags(loader_t *L, const char *file, const config_setting_t *root)
{
    const char **v;
    size_t n = loader_strs(L, file, root, "tags", &v, "tags");
    int line = cfgread_line(config_setting_get_member(root, "tags"));
    for (size_t i = 0; i < n; i++)
        declare_tag(L, file, line, v[i]);
}

/* Equal strings, NULL equal only to NULL. */
static bool
same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Reads a list's as_of date and max_age_days into info (as_of already
 * read): the date must be a real calendar date, the age 1..3650 days and
 * given only with a date, since a list cannot age from nothing. */
static void
read_list_age(loader_t *L, const char *file, const config_setting_t *g, rs_list_t *info,
              const char *what)
{
    int64_t day0 = 0;
    if (info->as_of != NULL) {
        /* The calendar check the wire format makes of a date of birth
         * (match_date_valid), here for a full day only. */
        int y = 0, m = 0, d = 0;
        if (strlen(info->as_of) != 10 || !match_date_valid(info->as_of, NULL, 0) ||
            sscanf(info->as_of, "%4d-%2d-%2d", &y, &m, &d) != 3) {
            diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "as_of")), 0,
                     "%s: as_of must be a date YYYY-MM-DD, not \"%s\"", what, info->as_of);
            info->as_of = NULL;
        } else {
            struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
            day0 = (int64_t)timegm(&tm);
        }
    }
    config_setting_t *s = loader_member(L, file, g, "max_age_days", CONFIG_TYPE_INT, false, what);
    if (s == NULL)
        return;
    long long v = config_setting_type(s) == CONFIG_TYPE_INT ? config_setting_get_int(s)
                                                            : config_setting_get_int64(s);
    int line = cfgread_line(s);
    if (v < 1 || v > 3650)
        diag_add(L->d, file, line, 0, "%s: max_age_days must be in 1..3650, not %lld", what, v);
    else if (config_setting_get_member(g, "as_of") == NULL)
        diag_add(L->d, file, line, 0, "%s: max_age_days needs as_of (the date it ages from)", what);
    else if (info->as_of != NULL) {
        info->max_age_days = (int)v;
        info->stale_after = day0 + (int64_t)v * 86400;
    }
}

void
load_vocab_lists(loader_t *L, const char *file, const config_setting_t *root)
{
    config_setting_t *ls = loader_member(L, file, root, "lists", CONFIG_TYPE_LIST, false, "lists");
    if (ls == NULL)
        return;
    static const char *const allowed[] = {"id",    "name",  "authority",    "url",
                                          "terms", "as_of", "max_age_days", NULL};
    int n = config_setting_length(ls);
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(ls, (unsigned)i);
        int line = cfgread_line(g);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, line, 0, "lists[%d] must be a group", i);
            continue;
        }
        loader_check_members(L, file, g, allowed, "a list");
        const char *id = loader_str(L, file, g, "id", true, "list");
        if (id == NULL)
            continue;
        char what[160];
        snprintf(what, sizeof what, "list \"%s\"", id);
        if (!loader_valid_id(id)) {
            diag_add(L->d, file, line, 0,
                     "%s: id must be lower-case letters, digits, '_', '-' or '.'", what);
            continue;
        }
        rs_list_t info = {
            .id = id,
            .name = loader_str(L, file, g, "name", true, what),
            .authority = loader_str(L, file, g, "authority", false, what),
            .url = loader_str(L, file, g, "url", false, what),
            .terms = loader_str(L, file, g, "terms", false, what),
            .as_of = loader_str(L, file, g, "as_of", false, what),
        };
        read_list_age(L, file, g, &info, what);
        int old;
        int r = smap_put(L->list_map, id, (int)L->lists.n, &old);
        if (r < 0) {
            L->oom = true;
            return;
        }
        if (r == 1) {
            /* Importers of different lists (OFAC SDN, the CSL) each
             * declare the lists they use: the same declaration twice is
             * one list; a different one is a conflict. */
            const rs_list_t *prev = &L->list_info[old];
            if (!same_str(prev->name, info.name) || !same_str(prev->authority, info.authority) ||
                !same_str(prev->url, info.url) || !same_str(prev->terms, info.terms) ||
                !same_str(prev->as_of, info.as_of) || prev->max_age_days != info.max_age_days)
                diag_add(L->d, file, line, 0, "list \"%s\" declared twice (first at %s:%d)", id,
                         L->list_site[old].file, L->list_site[old].line);
            continue;
        }
        /* list_info and list_site share one capacity (vec.h). */
        size_t ci = L->list_info_cap, cs = L->list_info_cap;
        if (vec_grow(&L->list_info, &ci, L->lists.n + 1, sizeof *L->list_info, 16) != 0 ||
            vec_grow(&L->list_site, &cs, L->lists.n + 1, sizeof *L->list_site, 16) != 0) {
            L->oom = true;
            return;
        }
        L->list_info_cap = ci;
        L->list_info[L->lists.n] = info;
        L->list_site[L->lists.n] = (declsite_t){file, line};
        if (!sv_push(&L->lists, id)) {
            L->oom = true;
            return;
        }
    }
}

void
load_vocab_relation_kinds(loader_t *L, const char *file, const config_setting_t *root)
{
    ruleset_t *rs = L->rs;
    config_setting_t *ls =
        loader_member(L, file, root, "relation_kinds", CONFIG_TYPE_LIST, false, "relation_kinds");
    int n = ls ? config_setting_length(ls) : 0;
    rs->relations.names = loader_chk(L, arena_calloc(rs->arena, (size_t)n + 1, sizeof(char *)));
    rs->rel_symmetric = loader_chk(L, arena_calloc(rs->arena, (size_t)n + 1, 1));
    if (rs->relations.names == NULL || rs->rel_symmetric == NULL)
        return;
    static const char *const allowed[] = {"name", "symmetric", NULL};
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(ls, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(g), 0, "relation_kinds[%d] must be a group", i);
            continue;
        }
        loader_check_members(L, file, g, allowed, "a relation kind");
        const char *name = loader_str(L, file, g, "name", true, "relation kind");
        if (name == NULL)
            continue;
        if (!loader_valid_id(name)) {
            diag_add(L->d, file, cfgread_line(g), 0,
                     "relation kind \"%s\": must be lower-case letters, digits, '_', '-' or '.'",
                     name);
            continue;
        }
        if (vocab_find(&rs->relations, name) >= 0) {
            diag_add(L->d, file, cfgread_line(g), 0, "relation kind \"%s\" declared twice", name);
            continue;
        }
        config_setting_t *sym =
            loader_member(L, file, g, "symmetric", CONFIG_TYPE_BOOL, false, "relation kind");
        rs->rel_symmetric[rs->relations.n] = sym && config_setting_get_bool(sym);
        rs->relations.names[rs->relations.n++] = name;
    }
}

/* Copies a heap vector into the arena (the ruleset owns all its memory).
 * Returns the copy, or NULL on OOM (L->oom). */
static const char **
to_arena(loader_t *L, const strvec_t *sv)
{
    const char **v = loader_chk(L, arena_calloc(L->rs->arena, sv->n + 1, sizeof *v));
    if (v != NULL && sv->n > 0)
        memcpy(v, sv->v, sv->n * sizeof *v);
    return v;
}

void
load_vocab_publish(loader_t *L)
{
    ruleset_t *rs = L->rs;
    rs->lists.names = to_arena(L, &L->lists);
    rs->tags.names = to_arena(L, &L->tags);
    rs->list_info = loader_chk(L, arena_calloc(rs->arena, L->lists.n + 1, sizeof *rs->list_info));
    if (rs->list_info != NULL && L->lists.n > 0)
        memcpy(rs->list_info, L->list_info, L->lists.n * sizeof *rs->list_info);
}
