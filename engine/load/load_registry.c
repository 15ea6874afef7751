/* SPDX-License-Identifier: Apache-2.0 */
/* load_registry.c -- registry/NAME.cfg, in name order: the tags and lists
 * each file declares (load_vocab.c), then its organisations (names,
 * aliases, short and former names, country, type, identifiers, list
 * memberships, tags, risk, sources; for individuals dates of birth and
 * nationalities; same_as links) into rs->ents; then the overlays of
 * every file, which may name an organisation of any file: `names` groups
 * add names, `listings` groups add list memberships (each with their
 * sources); and last the relations between organisations, which may name
 * an organisation of any file. */
#include "loader.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfgread.h"
#include "isocode.h"
#include "norm.h"
#include "vec.h"

/* qsort order of uint16_t. */
static int
cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Adds symbol s to the sorted unique ix[0..*k) (room for one more). */
static void
add_sym(uint16_t *ix, uint16_t *k, int s)
{
    for (uint16_t j = 0; j < *k; j++)
        if (ix[j] == s)
            return;
    ix[(*k)++] = (uint16_t)s;
    if (*k > 1)
        qsort(ix, *k, sizeof *ix, cmp_u16);
}

/* Resolves the array of tag (tag) or list names in g to sorted unique
 * indexes, the array sized for every name. A name no file read so far
 * declares is reported unknown, or, for organisation ent while the
 * files are being read (ent < UINT32_MAX), waits in L->syms
 * (resolve_syms). */
static uint16_t
read_syms(loader_t *L, const char *file, const config_setting_t *g, uint32_t ent, bool tag,
          const char *what, const uint16_t **out)
{
    const char *name = tag ? "tags" : "lists";
    const smap_t *map = tag ? L->tag_map : L->list_map;
    const char **v;
    size_t n = loader_strs(L, file, g, name, &v, what);
    uint16_t *ix = loader_chk(L, arena_calloc(L->rs->arena, n + 1, sizeof *ix));
    uint16_t k = 0;
    int line = cfgread_line(config_setting_get_member(g, name));
    for (size_t i = 0; i < n && ix != NULL; i++) {
        int s = smap_get(map, v[i]);
        if (s >= 0) {
            add_sym(ix, &k, s);
        } else if (ent == UINT32_MAX) {
            const strvec_t *sv = tag ? &L->tags : &L->lists;
            vocab_t voc = {sv->v, sv->n};
            loader_resolve(L, file, line, &voc, tag ? "tag" : "list", v[i], what);
        } else if (vec_grow(&L->syms, &L->cap_syms, L->n_syms + 1, sizeof *L->syms, 16) != 0) {
            L->oom = true;
        } else {
            L->syms[L->n_syms++] = (pending_sym_t){ent, tag, v[i], file, line};
        }
    }
    *out = ix;
    return k;
}

/* Resolves the tags and lists that waited for every file (read_syms):
 * each joins its organisation's array, or is reported unknown. */
static void
resolve_syms(loader_t *L)
{
    ruleset_t *rs = L->rs;
    for (size_t i = 0; i < L->n_syms; i++) {
        const pending_sym_t *p = &L->syms[i];
        reg_entity_t *e = &rs->ents[p->ent];
        const smap_t *map = p->tag ? L->tag_map : L->list_map;
        int s = smap_get(map, p->name);
        if (s < 0) {
            char what[200];
            snprintf(what, sizeof what, "organisation \"%.160s\"", e->id);
            const strvec_t *sv = p->tag ? &L->tags : &L->lists;
            vocab_t voc = {sv->v, sv->n};
            loader_resolve(L, p->file, p->line, &voc, p->tag ? "tag" : "list", p->name, what);
        } else if (p->tag) {
            add_sym((uint16_t *)e->tags, &e->n_tags, s);
        } else {
            add_sym((uint16_t *)e->lists, &e->n_lists, s);
        }
    }
}

/* The members that carry names other than the primary one, in the order
 * their names go into reg_entity_t.aliases, each with its kind: one table
 * for organisations and `names` groups alike. */
static const struct {
    const char *member;   /* setting name in the group */
    reg_name_kind_t kind; /* what its names are */
} name_members[] = {
    {"aliases", REG_NAME_ALIAS},
    {"short_names", REG_NAME_SHORT},
    {"former_names", REG_NAME_FORMER},
};
#define N_NAME_MEMBERS (sizeof name_members / sizeof name_members[0])

/* True if s is one of the n strings of v (byte-equal). */
static bool
has_str(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* Reports each of the n sources of src (read from g's member "sources")
 * that cites a file or a line of one (loader_cites_file). */
static void
check_sources(loader_t *L, const char *file, const config_setting_t *g, const char *const *src,
              size_t n, const char *what)
{
    int line = cfgread_line(config_setting_get_member(g, "sources"));
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *w = loader_cites_file(src[i], &len);
        if (w != NULL)
            diag_add(L->d, file, line, 0,
                     "%s: source %zu cites \"%.*s\", a file or a line of one: cite the published "
                     "document (publisher, title, edition) and the record's own identifier in it",
                     what, i + 1, (int)len, w);
    }
}

/* Adds to e the names of g's name members (name_members: aliases, then
 * short_names, then former_names), after the aliases e has, each with
 * its kind. A name e already has (its primary name or an alias,
 * byte-equal) is skipped silently. Bad names are reported (loader_strs).
 * The arrays are rebuilt in the arena; e->alias_kind stays NULL while
 * every alias is REG_NAME_ALIAS. On OOM L->oom is set and e keeps what
 * it had. */
static void
read_names(loader_t *L, const char *file, const config_setting_t *g, reg_entity_t *e,
           const char *what)
{
    const char **v[N_NAME_MEMBERS];
    size_t n[N_NAME_MEMBERS], total = e->n_aliases;
    for (size_t m = 0; m < N_NAME_MEMBERS; m++) {
        n[m] = loader_strs(L, file, g, name_members[m].member, &v[m], what);
        total += n[m];
    }
    if (total == e->n_aliases || total > UINT32_MAX - 1)
        return;
    bool kinds = e->alias_kind != NULL;
    for (size_t m = 0; m < N_NAME_MEMBERS; m++)
        kinds |= n[m] > 0 && name_members[m].kind != REG_NAME_ALIAS;
    /* Plain aliases of a new organisation are compacted where they are. */
    const char **al = e->n_aliases == 0 && total == n[0]
                          ? v[0]
                          : loader_chk(L, arena_calloc(L->rs->arena, total + 1, sizeof *al));
    uint8_t *kind =
        kinds ? loader_chk(L, arena_calloc(L->rs->arena, total + 1, sizeof *kind)) : NULL;
    if (al == NULL || (kinds && kind == NULL))
        return;
    uint32_t k = 0;
    for (uint32_t i = 0; i < e->n_aliases; i++, k++) {
        al[k] = e->aliases[i];
        if (kind != NULL)
            kind[k] = (uint8_t)reg_entity_name_kind(e, i + 1);
    }
    for (size_t m = 0; m < N_NAME_MEMBERS; m++)
        for (size_t i = 0; i < n[m]; i++) {
            const char *s = v[m][i];
            if (strcmp(s, e->name) == 0 || has_str(al, k, s))
                continue;
            al[k] = s;
            if (kind != NULL)
                kind[k] = (uint8_t)name_members[m].kind;
            k++;
        }
    al[k] = NULL;
    e->aliases = al;
    e->n_aliases = k;
    e->alias_kind = kind;
}

/* Reads g.ids (scheme -> value, schemes lower-cased) into e. */
static void
read_ids(loader_t *L, const char *file, const config_setting_t *g, reg_entity_t *e,
         const char *what)
{
    config_setting_t *ids = loader_member(L, file, g, "ids", CONFIG_TYPE_GROUP, false, what);
    int n = ids ? config_setting_length(ids) : 0;
    reg_ident_t *v = loader_chk(L, arena_calloc(L->rs->arena, (size_t)n + 1, sizeof *v));
    uint32_t k = 0;
    for (int i = 0; i < n && v != NULL; i++) {
        config_setting_t *s = config_setting_get_elem(ids, (unsigned)i);
        const char *scheme = config_setting_name(s);
        if (scheme == NULL) { /* cfgread_complete rules it out */
            L->oom = true;
            continue;
        }
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
            diag_add(L->d, file, cfgread_line(s), 0, "%s: ids.%s must be a string", what, scheme);
            continue;
        }
        const char *val = config_setting_get_string(s);
        if (val == NULL) {
            L->oom = true;
            continue;
        }
        if (val[strspn(val, " \t")] == '\0' || !norm_valid_utf8(val, strlen(val))) {
            diag_add(L->d, file, cfgread_line(s), 0, "%s: ids.%s is empty or not UTF-8", what,
                     scheme);
            continue;
        }
        char *sc = loader_strdup(L, scheme);
        const char *value = loader_strdup(L, val);
        if (sc == NULL || value == NULL)
            continue;
        for (char *p = sc; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        v[k].scheme = sc;
        v[k].value = value;
        k++;
    }
    e->ids = v;
    e->n_ids = k;
}

/* Queues g.relations of organisation idx in L->rels, kinds resolved; the
 * targets are resolved once every file is read (load_registry_relations). */
static void
read_relations(loader_t *L, const char *file, const config_setting_t *g, uint32_t idx,
               const char *what)
{
    config_setting_t *rl = loader_member(L, file, g, "relations", CONFIG_TYPE_LIST, false, what);
    int n = rl ? config_setting_length(rl) : 0;
    static const char *const allowed[] = {"kind", "target", NULL};
    for (int i = 0; i < n; i++) {
        config_setting_t *r = config_setting_get_elem(rl, (unsigned)i);
        if (config_setting_type(r) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(r), 0, "%s: relations[%d] must be a group", what, i);
            continue;
        }
        loader_check_members(L, file, r, allowed, "a relation");
        const char *kind = loader_str(L, file, r, "kind", true, what);
        const char *target = loader_str(L, file, r, "target", true, what);
        if (kind == NULL || target == NULL)
            continue;
        int k = loader_resolve(L, file, cfgread_line(r), &L->rs->relations, "relation kind", kind,
                               what);
        if (k < 0)
            continue;
        if (vec_grow(&L->rels, &L->cap_rels, L->n_rels + 1, sizeof *L->rels, 64) != 0) {
            L->oom = true;
            return;
        }
        L->rels[L->n_rels++] = (pending_rel_t){idx, k, target, file, cfgread_line(r)};
    }
}

/* Reads the strings of g.name (loader_strs) into *out and their count
 * into *n, at most UINT16_MAX (more are reported). Returns the line of
 * the member (0 if absent). */
static int
read_u16_strs(loader_t *L, const char *file, const config_setting_t *g, const char *name,
              const char ***out, uint16_t *n, const char *what)
{
    size_t k = loader_strs(L, file, g, name, out, what);
    int line = cfgread_line(config_setting_get_member(g, name));
    if (k > UINT16_MAX) {
        diag_add(L->d, file, line, 0, "%s: more than %u %s", what, UINT16_MAX, name);
        k = UINT16_MAX;
    }
    *n = (uint16_t)k;
    return line;
}

/* Reads what identifies a person beyond the name: g.birth_dates
 * ("YYYY-MM-DD", "YYYY-MM" or "YYYY", as the list gives them; a range
 * is its years) and g.nationalities (ISO 3166-1 alpha-2, upper case),
 * both for individuals (type "individual") only. Bad values are
 * reported and left out. */
static void
read_person(loader_t *L, const char *file, const config_setting_t *g, reg_entity_t *e,
            const char *what)
{
    const char **v;
    uint16_t n, k = 0;
    int line = read_u16_strs(L, file, g, "birth_dates", &v, &n, what);
    bool person = e->type != NULL && strcmp(e->type, "individual") == 0;
    if (line > 0 && !person) {
        diag_add(L->d, file, line, 0, "%s: birth_dates is for individuals (type = \"individual\")",
                 what);
        n = 0;
    }
    for (uint16_t i = 0; i < n; i++) {
        char why[64];
        if (match_date_valid(v[i], why, sizeof why))
            v[k++] = v[i];
        else
            diag_add(L->d, file, line, 0,
                     "%s: birth date \"%s\": %s (\"YYYY-MM-DD\", \"YYYY-MM\" or \"YYYY\")", what,
                     v[i], why);
    }
    e->birth_dates = v;
    e->n_birth_dates = k;
    line = read_u16_strs(L, file, g, "nationalities", &v, &n, what);
    if (line > 0 && !person) {
        diag_add(L->d, file, line, 0,
                 "%s: nationalities is for individuals (type = \"individual\"); an "
                 "organisation has a country",
                 what);
        n = 0;
    }
    k = 0;
    for (uint16_t i = 0; i < n; i++) {
        if (iso_country_code(v[i]))
            v[k++] = v[i];
        else
            diag_add(L->d, file, line, 0,
                     "%s: nationality \"%s\" must be an ISO 3166-1 alpha-2 code (upper case)", what,
                     v[i]);
    }
    e->nationalities = v;
    e->n_nationalities = k;
}

/* Reads g.same_as: ids of entries of any registry file that are the same
 * body (or person) as this one, kept as written; load_merge.c resolves
 * them. Only their shape is checked here. */
static void
read_same_as(loader_t *L, const char *file, const config_setting_t *g, reg_entity_t *e,
             const char *what)
{
    const char **v;
    uint16_t n, k = 0;
    int line = read_u16_strs(L, file, g, "same_as", &v, &n, what);
    for (uint16_t i = 0; i < n; i++) {
        if (!loader_valid_id(v[i]))
            diag_add(L->d, file, line, 0,
                     "%s: same_as \"%s\" is not an id (lower-case letters, digits, '_', '-' or "
                     "'.')",
                     what, v[i]);
        else if (strcmp(v[i], e->id) == 0)
            diag_add(L->d, file, line, 0, "%s: same_as names the entry itself", what);
        else
            v[k++] = v[i];
    }
    e->same_as = v;
    e->n_same_as = k;
}

/* Reads one organisation into the next entry of rs->ents. */
static void
read_organisation(loader_t *L, const char *file, const config_setting_t *g)
{
    ruleset_t *rs = L->rs;
    static const char *const allowed[] = {
        "id",      "name",      "aliases", "short_names", "former_names",
        "country", "type",      "ids",     "lists",       "tags",
        "risk",    "relations", "sources", "birth_dates", "nationalities",
        "same_as", NULL};
    loader_check_members(L, file, g, allowed, "an organisation");
    const char *id = loader_str(L, file, g, "id", true, "organisation");
    if (id == NULL)
        return;
    char what[200];
    snprintf(what, sizeof what, "organisation \"%.160s\"", id);
    int line = cfgread_line(g);
    if (!loader_valid_id(id)) {
        diag_add(L->d, file, line, 0, "%s: id must be lower-case letters, digits, '_', '-' or '.'",
                 what);
        return;
    }
    uint32_t idx = (uint32_t)rs->n_ents;
    int old;
    int r = smap_put(L->ent_map, id, (int)idx, &old);
    if (r == 1) {
        diag_add(L->d, file, line, 0, "duplicate organisation id \"%s\" (first at %s:%d)", id,
                 rs->ents[old].file, rs->ents[old].line);
        return;
    }
    if (r < 0) {
        L->oom = true;
        return;
    }
    reg_entity_t *e = &rs->ents[rs->n_ents++];
    *e = (reg_entity_t){0};
    e->id = id;
    e->file = file;
    e->line = line;
    e->risk = -1;
    e->name = loader_str(L, file, g, "name", true, what);
    if (e->name == NULL)
        e->name = id;
    read_names(L, file, g, e, what);
    const char *cc = loader_str(L, file, g, "country", false, what);
    if (cc != NULL) {
        if (strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
            diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "country")), 0,
                     "%s: country \"%s\" must be an ISO 3166-1 alpha-2 code (upper case)", what,
                     cc);
        else
            e->country = cc;
    }
    const char *type = loader_str(L, file, g, "type", false, what);
    if (type != NULL && loader_resolve(L, file, cfgread_line(config_setting_get_member(g, "type")),
                                       &rs->types, "partner type", type, what) >= 0)
        e->type = type;
    read_ids(L, file, g, e, what);
    e->n_lists = read_syms(L, file, g, idx, false, what, &e->lists);
    e->n_tags = read_syms(L, file, g, idx, true, what, &e->tags);
    const char *risk = loader_str(L, file, g, "risk", false, what);
    if (risk != NULL) {
        int ri = loader_resolve(L, file, cfgread_line(config_setting_get_member(g, "risk")),
                                &rs->risks, "risk level", risk, what);
        e->risk = (int16_t)ri;
    }
    const char **src;
    size_t ns = loader_strs(L, file, g, "sources", &src, what);
    if (ns == 0 && config_setting_get_member(g, "sources") == NULL)
        diag_add(L->d, file, line, 0, "%s: missing \"sources\" (where its facts come from)", what);
    else if (ns == 0)
        diag_add(L->d, file, line, 0, "%s: \"sources\" is empty", what);
    check_sources(L, file, g, src, ns, what);
    e->sources = src;
    e->n_sources = (uint16_t)(ns > UINT16_MAX ? UINT16_MAX : ns);
    read_relations(L, file, g, idx, what);
    read_person(L, file, g, e, what);
    read_same_as(L, file, g, e, what);
}

/* Appends the n sources of src to e's, skipping those e has. On OOM
 * L->oom is set and e keeps what it had. */
static void
add_sources(loader_t *L, reg_entity_t *e, const char *const *src, size_t n)
{
    size_t cap = (size_t)e->n_sources + n;
    const char **v = loader_chk(L, arena_calloc(L->rs->arena, cap + 1, sizeof *v));
    if (v == NULL)
        return;
    size_t k = 0;
    for (; k < e->n_sources; k++)
        v[k] = e->sources[k];
    for (size_t i = 0; i < n && k < UINT16_MAX; i++)
        if (!has_str(v, k, src[i]))
            v[k++] = src[i];
    e->sources = v;
    e->n_sources = (uint16_t)k;
}

/* Returns the union of the sorted unique index sets a (na) and b (nb),
 * sorted and unique as read_syms makes them: a itself when b adds nothing,
 * else a new array in the arena (*n set to its length). NULL on OOM
 * (L->oom set), and a is kept. */
static const uint16_t *
merge_syms(loader_t *L, const uint16_t *a, uint16_t na, const uint16_t *b, uint16_t nb, uint16_t *n)
{
    size_t i = 0, j = 0, k = 0, extra = 0;
    for (; j < nb; j++) {
        while (i < na && a[i] < b[j])
            i++;
        extra += i == na || a[i] != b[j];
    }
    *n = na;
    if (extra == 0)
        return a;
    /* Distinct uint16_t indexes of declared lists: the union fits. */
    assert((size_t)na + extra <= UINT16_MAX);
    uint16_t *v = loader_chk(L, arena_calloc(L->rs->arena, (size_t)na + extra + 1, sizeof *v));
    if (v == NULL)
        return NULL;
    for (i = 0, j = 0; i < na || j < nb;) {
        if (j == nb || (i < na && a[i] < b[j]))
            v[k++] = a[i++];
        else if (i == na || b[j] < a[i])
            v[k++] = b[j++];
        else {
            v[k++] = a[i++];
            j++;
        }
    }
    *n = (uint16_t)k;
    return v;
}

/* Reads the "sources" an overlay group g must have (whose: what they
 * document, for the message) and appends them to e's; a missing or empty
 * one is reported at g's line. */
static void
read_overlay_sources(loader_t *L, const char *file, const config_setting_t *g, reg_entity_t *e,
                     const char *what, const char *whose)
{
    const char **src;
    size_t ns = loader_strs(L, file, g, "sources", &src, what);
    int line = cfgread_line(g);
    if (ns == 0 && config_setting_get_member(g, "sources") == NULL)
        diag_add(L->d, file, line, 0, "%s: missing \"sources\" (where its %s come from)", what,
                 whose);
    else if (ns == 0)
        diag_add(L->d, file, line, 0, "%s: \"sources\" is empty", what);
    else {
        check_sources(L, file, g, src, ns, what);
        add_sources(L, e, src, ns);
    }
}

/* Resolves the organisation an overlay group g names (member "id", of
 * any file). Returns it, or NULL after reporting a missing id or an
 * unknown one (with the closest id as a suggestion). */
static reg_entity_t *
overlay_target(loader_t *L, const char *file, const config_setting_t *g, const vocab_t *ids,
               const char *kind)
{
    const char *id = loader_str(L, file, g, "id", true, kind);
    if (id == NULL)
        return NULL;
    int ix = smap_get(L->ent_map, id);
    if (ix < 0) {
        loader_resolve(L, file, cfgread_line(g), ids, "organisation", id, kind);
        return NULL;
    }
    return &L->rs->ents[ix];
}

/* Reads one group of a `names` list: the organisation it names (of any
 * file), the names it adds (read_names) and their sources, which are
 * required and appended to the organisation's. */
static void
read_names_group(loader_t *L, const char *file, const config_setting_t *g, const vocab_t *ids)
{
    static const char *const allowed[] = {"id",           "aliases", "short_names",
                                          "former_names", "sources", NULL};
    loader_check_members(L, file, g, allowed, "a names group");
    reg_entity_t *e = overlay_target(L, file, g, ids, "names");
    if (e == NULL)
        return;
    char what[200];
    snprintf(what, sizeof what, "names \"%.160s\"", e->id);
    read_overlay_sources(L, file, g, e, what, "names");
    read_names(L, file, g, e, what);
}

/* Reads one group of a `listings` list: the organisation it names (of any
 * file), the declared lists it adds to the organisation's memberships and
 * their sources, required and appended to the organisation's. The lists
 * stay a sorted set (read_syms, merge_syms), so the screening and the
 * content digest see the same organisation as if its own group had
 * carried them. A list the organisation already has is accepted and adds
 * nothing, as a name it has is for `names`: a generated file (a whole-list
 * import) may come to carry the membership itself, and must not then break
 * the load; the group's sources are still appended, as they document the
 * listing. */
static void
read_listings_group(loader_t *L, const char *file, const config_setting_t *g, const vocab_t *ids)
{
    static const char *const allowed[] = {"id", "lists", "sources", NULL};
    loader_check_members(L, file, g, allowed, "a listings group");
    reg_entity_t *e = overlay_target(L, file, g, ids, "listings");
    if (e == NULL)
        return;
    char what[200];
    snprintf(what, sizeof what, "listings \"%.160s\"", e->id);
    int line = cfgread_line(g);
    const config_setting_t *lists = config_setting_get_member(g, "lists");
    if (lists == NULL) {
        diag_add(L->d, file, line, 0, "%s: missing \"lists\" (the lists it adds)", what);
        return;
    }
    if (config_setting_is_aggregate(lists) && config_setting_length(lists) == 0) {
        diag_add(L->d, file, cfgread_line(lists), 0, "%s: \"lists\" is empty", what);
        return;
    }
    read_overlay_sources(L, file, g, e, what, "listings");
    const uint16_t *add;
    uint16_t nadd = read_syms(L, file, g, UINT32_MAX, false, what, &add);
    if (nadd == 0)
        return; /* unknown lists, reported */
    uint16_t n;
    const uint16_t *v = merge_syms(L, e->lists, e->n_lists, add, nadd, &n);
    if (v == NULL)
        return;
    e->lists = v;
    e->n_lists = n;
}

/* The overlays a registry file may carry, in the order they are read:
 * each is a list of groups, each group naming an organisation of any
 * file (member "id"). */
static const struct {
    const char *member; /* setting name in the registry file */
    void (*read)(loader_t *, const char *, const config_setting_t *,
                 const vocab_t *); /* reads one group */
} overlays[] = {
    {"names", read_names_group},
    {"listings", read_listings_group},
};
#define N_OVERLAYS (sizeof overlays / sizeof overlays[0])

/* Reads the overlays of every registry file, once every organisation is
 * known: a group may name an organisation of any file, whatever the
 * files' order. */
static void
read_overlays(loader_t *L)
{
    ruleset_t *rs = L->rs;
    /* The organisation ids, for "did you mean" (names borrowed). */
    const char **idv = loader_chk(L, calloc(rs->n_ents + 1, sizeof *idv));
    if (idv == NULL)
        return;
    for (size_t i = 0; i < rs->n_ents; i++)
        idv[i] = rs->ents[i].id;
    vocab_t ids = {idv, rs->n_ents};
    for (size_t f = 0; f < L->n_reg; f++) {
        if (!L->reg[f].ok)
            continue;
        const char *file = L->reg[f].path;
        for (size_t o = 0; o < N_OVERLAYS; o++) {
            config_setting_t *list =
                loader_member(L, file, config_root_setting(&L->reg[f].cfg), overlays[o].member,
                              CONFIG_TYPE_LIST, false, "a registry file");
            int n = list ? config_setting_length(list) : 0;
            for (int i = 0; i < n; i++) {
                config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
                if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                    diag_add(L->d, file, cfgread_line(g), 0, "%s[%d] must be a group",
                             overlays[o].member, i);
                    continue;
                }
                overlays[o].read(L, file, g, &ids);
            }
        }
    }
    free(idv);
}

/* Makes room in rs->ents for n more organisations. Returns 0,
 * or -1 on OOM (L->oom). */
static int
ents_reserve(loader_t *L, size_t n)
{
    ruleset_t *rs = L->rs;
    size_t cap = L->cap_ents;
    if (vec_grow(&rs->ents, &cap, rs->n_ents + n + 1, sizeof *rs->ents, 256) != 0) {
        L->oom = true;
        return -1;
    }
    /* Not zeroed here: each entry is as it is taken (read_organisation).
     * Zeroing the doubled capacity touched up to twice the pages the
     * entries need, a tenth of the conversion at a million names. */
    L->cap_ents = cap;
    return 0;
}

/* Registry file f's tags, lists and organisations (a loader_convert_fn);
 * its overlays wait for every organisation. */
static loader_turn_t
convert_file(loader_t *L, size_t f, void *arg)
{
    (void)arg;
    if (!L->reg[f].ok)
        return LOADER_FREE_TREE;
    const char *file = L->reg[f].path;
    config_setting_t *root = config_root_setting(&L->reg[f].cfg);
    static const char *const allowed[] = {"lists", "tags",     "organisations",
                                          "names", "listings", NULL};
    loader_check_members(L, file, root, allowed, "a registry file");
    load_vocab_tags(L, file, root);
    load_vocab_lists(L, file, root);
    config_setting_t *orgs =
        loader_member(L, file, root, "organisations", CONFIG_TYPE_LIST, false, "a registry file");
    int n = orgs ? config_setting_length(orgs) : 0;
    if (ents_reserve(L, (size_t)n) != 0)
        return LOADER_STOP;
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(orgs, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(g), 0, "organisations[%d] must be a group", i);
            continue;
        }
        read_organisation(L, file, g);
    }
    for (size_t o = 0; o < N_OVERLAYS; o++)
        if (config_setting_get_member(root, overlays[o].member) != NULL)
            return LOADER_KEEP_TREE;
    return LOADER_FREE_TREE;
}

void
load_registry(loader_t *L)
{
    if (ents_reserve(L, 0) != 0)
        return;
    loader_each_registry(L, convert_file, NULL);
    loader_finish_digest(L);
    L->rs->lists.n = L->lists.n;
    L->rs->tags.n = L->tags.n;
    resolve_syms(L);
    read_overlays(L);
    for (size_t f = 0; f < L->n_reg; f++)
        loader_free_registry_tree(L, f);
}

/* Turns pending relations into per-entity arrays; symmetric kinds get
 * the reverse edge too, so look-through works from either side. */
void
load_registry_relations(loader_t *L)
{
    ruleset_t *rs = L->rs;
    uint32_t *target = loader_chk(L, calloc(L->n_rels + 1, sizeof *target));
    uint16_t *count = loader_chk(L, calloc(rs->n_ents + 1, sizeof *count));
    if (target == NULL || count == NULL)
        goto out;
    for (size_t i = 0; i < L->n_rels; i++) {
        pending_rel_t *p = &L->rels[i];
        int t = smap_get(L->ent_map, p->target);
        target[i] = UINT32_MAX;
        if (t < 0) {
            diag_add(L->d, p->file, p->line, 0,
                     "organisation \"%s\": relation %s names unknown organisation \"%s\"",
                     rs->ents[p->from].id, rs->relations.names[p->kind], p->target);
            continue;
        }
        if ((uint32_t)t == p->from) {
            diag_add(L->d, p->file, p->line, 0, "organisation \"%s\": relation %s to itself",
                     rs->ents[p->from].id, rs->relations.names[p->kind]);
            continue;
        }
        if (count[p->from] == UINT16_MAX ||
            (rs->rel_symmetric[p->kind] && count[t] == UINT16_MAX)) {
            diag_add(L->d, p->file, p->line, 0, "organisation \"%s\": more than %u relations",
                     rs->ents[p->from].id, UINT16_MAX - 1);
            continue;
        }
        target[i] = (uint32_t)t;
        count[p->from]++;
        if (rs->rel_symmetric[p->kind])
            count[t]++;
    }
    for (size_t e = 0; e < rs->n_ents; e++) {
        rs->ents[e].rels =
            loader_chk(L, arena_calloc(rs->arena, (size_t)count[e] + 1, sizeof(reg_rel_t)));
        rs->ents[e].n_rels = 0;
        if (rs->ents[e].rels == NULL)
            goto out;
    }
    for (size_t i = 0; i < L->n_rels; i++) {
        if (target[i] == UINT32_MAX)
            continue;
        pending_rel_t *p = &L->rels[i];
        reg_entity_t *from = &rs->ents[p->from], *to = &rs->ents[target[i]];
        ((reg_rel_t *)from->rels)[from->n_rels++] = (reg_rel_t){(uint16_t)p->kind, target[i]};
        if (rs->rel_symmetric[p->kind])
            ((reg_rel_t *)to->rels)[to->n_rels++] = (reg_rel_t){(uint16_t)p->kind, p->from};
    }
out:
    free(target);
    free(count);
}
