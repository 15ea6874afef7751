/* SPDX-License-Identifier: Apache-2.0 */
/* load_taxonomy.c -- taxonomy.cfg: the technology categories, each with
 * its label, parent (by default the code before its last '.'), keywords,
 * except phrases, patterns, vetoes and control-list references, read into
 * the taxonomy (taxonomy.c), which then builds its keyword index. */
#include "loader.h"

#include <stdio.h>
#include <string.h>

#include "cfgread.h"

/* The optional `window` of group g (a pattern or a veto) into *out: 0
 * (the default) when absent; reported and left at 0 when not an integer
 * in 1..TAX_WINDOW_MAX. */
static void
read_window(loader_t *L, const char *file, const config_setting_t *g, const char *what, int *out)
{
    *out = 0;
    config_setting_t *w = loader_member(L, file, g, "window", CONFIG_TYPE_INT, false, what);
    if (w == NULL)
        return;
    long long v = config_setting_type(w) == CONFIG_TYPE_INT ? config_setting_get_int(w)
                                                            : config_setting_get_int64(w);
    if (v < 1 || v > TAX_WINDOW_MAX)
        diag_add(L->d, file, cfgread_line(w), 0, "%s: window must be in 1..%d words, not %lld",
                 what, TAX_WINDOW_MAX, v);
    else
        *out = (int)v;
}

/* Reads the array of strings `name` of group g into *out, *n (arena).
 * Returns false when it is missing (reported) or any element was bad
 * (reported by loader_strs): the group is then left out rather than
 * reported again, incomplete, by the taxonomy. */
static bool
read_strs(loader_t *L, const char *file, const config_setting_t *g, const char *name,
          const char *what, const char ***out, size_t *n)
{
    config_setting_t *s = config_setting_get_member(g, name);
    if (s == NULL) {
        diag_add(L->d, file, cfgread_line(g), 0, "%s: missing \"%s\"", what, name);
        return false;
    }
    *n = loader_strs(L, file, g, name, out, what);
    int t = config_setting_type(s);
    return (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) &&
           *n == (size_t)config_setting_length(s);
}

/* The list of groups `name` of category g (NULL if absent or reported),
 * its length in *n. */
static config_setting_t *
group_list(loader_t *L, const char *file, const config_setting_t *g, const char *name,
           const char *what, int *n)
{
    config_setting_t *l = loader_member(L, file, g, name, CONFIG_TYPE_LIST, false, what);
    *n = l != NULL ? config_setting_length(l) : 0;
    return l;
}

/* Reads the category's `patterns` into def (arena). */
static void
read_patterns(loader_t *L, const char *file, const config_setting_t *g, const char *cwhat,
              tax_def_t *def)
{
    static const char *const allowed[] = {"terms", "window", NULL};
    int n;
    config_setting_t *l = group_list(L, file, g, "patterns", cwhat, &n);
    tax_pattern_def_t *v =
        n > 0 ? loader_chk(L, arena_calloc(L->rs->arena, (size_t)n, sizeof *v)) : NULL;
    for (int i = 0; i < n && v != NULL; i++) {
        config_setting_t *p = config_setting_get_elem(l, (unsigned)i);
        char what[200];
        snprintf(what, sizeof what, "%s: patterns[%d]", cwhat, i);
        if (config_setting_type(p) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(p), 0, "%s must be a group", what);
            continue;
        }
        loader_check_members(L, file, p, allowed, "a pattern");
        tax_pattern_def_t *pd = &v[def->n_patterns];
        bool ok = read_strs(L, file, p, "terms", what, &pd->terms, &pd->n_terms);
        read_window(L, file, p, what, &pd->window);
        if (!ok)
            continue;
        pd->line = cfgread_line(p);
        def->n_patterns++;
    }
    def->patterns = v;
}

/* Reads the category's `vetoes` into def (arena). */
static void
read_vetoes(loader_t *L, const char *file, const config_setting_t *g, const char *cwhat,
            tax_def_t *def)
{
    static const char *const allowed[] = {"keywords", "context", "window", NULL};
    int n;
    config_setting_t *l = group_list(L, file, g, "vetoes", cwhat, &n);
    tax_veto_def_t *v =
        n > 0 ? loader_chk(L, arena_calloc(L->rs->arena, (size_t)n, sizeof *v)) : NULL;
    for (int i = 0; i < n && v != NULL; i++) {
        config_setting_t *p = config_setting_get_elem(l, (unsigned)i);
        char what[200];
        snprintf(what, sizeof what, "%s: vetoes[%d]", cwhat, i);
        if (config_setting_type(p) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(p), 0, "%s must be a group", what);
            continue;
        }
        loader_check_members(L, file, p, allowed, "a veto");
        tax_veto_def_t *vd = &v[def->n_vetoes];
        bool ok = read_strs(L, file, p, "keywords", what, &vd->keywords, &vd->n_keywords);
        ok &= read_strs(L, file, p, "context", what, &vd->context, &vd->n_context);
        read_window(L, file, p, what, &vd->window);
        if (!ok)
            continue;
        vd->line = cfgread_line(p);
        def->n_vetoes++;
    }
    def->vetoes = v;
}

void
load_taxonomy(loader_t *L)
{
    ruleset_t *rs = L->rs;
    const char *file = L->taxonomy.path;
    config_setting_t *root = config_root_setting(&L->taxonomy.cfg);
    static const char *const allowed_root[] = {"categories", NULL};
    static const char *const allowed[] = {"code",     "label",  "parent", "keywords", "except",
                                          "patterns", "vetoes", "refs",   NULL};
    loader_check_members(L, file, root, allowed_root, "taxonomy.cfg");
    config_setting_t *cats =
        loader_member(L, file, root, "categories", CONFIG_TYPE_LIST, true, "taxonomy.cfg");
    int n = cats ? config_setting_length(cats) : 0;
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(cats, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(g), 0, "categories[%d] must be a group", i);
            continue;
        }
        loader_check_members(L, file, g, allowed, "a category");
        const char *code = loader_str(L, file, g, "code", true, "category");
        if (code == NULL)
            continue;
        char what[160];
        snprintf(what, sizeof what, "category \"%s\"", code);
        tax_def_t def = {0};
        def.code = code;
        def.label = loader_str(L, file, g, "label", true, what);
        if (def.label == NULL)
            def.label = code; /* reported already; keep checking the rest */
        def.parent = loader_str(L, file, g, "parent", false, what);
        char *dflt = NULL;
        if (def.parent == NULL && strrchr(code, '.') != NULL) {
            dflt =
                loader_chk(L, arena_strndup(rs->arena, code, (size_t)(strrchr(code, '.') - code)));
            if (dflt == NULL)
                continue; /* not a root: never add it as one */
            def.parent = dflt;
        }
        def.n_keywords = loader_strs(L, file, g, "keywords", &def.keywords, what);
        def.n_refs = loader_strs(L, file, g, "refs", &def.refs, what);
        def.n_except = loader_strs(L, file, g, "except", &def.except, what);
        read_patterns(L, file, g, what, &def);
        read_vetoes(L, file, g, what, &def);
        def.file = file;
        def.line = cfgread_line(g);
        tax_add(rs->tax, &def, L->d);
    }
    tax_build(rs->tax, L->d);
}
