/* load_taxonomy.c -- taxonomy.cfg: the technology categories, each with
 * its label, parent (by default the code before its last '.'), keywords
 * and control-list references, read into the taxonomy (taxonomy.c),
 * which then builds its keyword index. */
#include "loader.h"

#include <stdio.h>
#include <string.h>

#include "cfgread.h"

void
load_taxonomy(loader_t *L)
{
    ruleset_t *rs = L->rs;
    const char *file = L->taxonomy.path;
    config_setting_t *root = config_root_setting(&L->taxonomy.cfg);
    static const char *const allowed_root[] = {"categories", NULL};
    static const char *const allowed[] = {"code", "label", "parent", "keywords", "refs", NULL};
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
        def.file = file;
        def.line = cfgread_line(g);
        tax_add(rs->tax, &def, L->d);
    }
    tax_build(rs->tax, L->d);
}
