/* SPDX-License-Identifier: Apache-2.0 */
/* load_merge.c -- one organisation, one identity: registry entries that
 * are the same body become one entity at load.
 *
 * The same body often comes from several lists (a Named Research
 * Organization also on the Entity List and the Section 1260H list, an SDN
 * entity also on the UN list, a row of a Consolidated Screening List
 * import next to the hand-made registry). A reply must name it once, with
 * all its lists, tags, names, identifiers and sources, or a rule reading
 * one list would fire on one entry and another rule on the other, and a
 * client would see two bodies where there is one.
 *
 * Entries are the same body when (the reasons, in the order tried):
 *   - one names the other in `same_as` (an unknown id, or an individual
 *     joined to an organisation, is a file:line error);
 *   - they share an identifier: the same scheme and value, the value
 *     compared as the matcher compares identifiers (ASCII case and
 *     spacing ignored), e.g. ofac = "1234" on an SDN entry and on a CSL
 *     row; an identifier shared by an individual and an organisation is
 *     an error (the data contradicts itself);
 *   - two organisations have the same normalised name (norm.h: the
 *     primary name or a plain alias of each, not an acronym) and the same
 *     country, both known;
 *   - two individuals have the same normalised name, its words in any
 *     order, and a full date of birth in common (a name and a country do
 *     not identify a person; an individual never joins an organisation).
 * A name never joins two entries of one file that share a list, even
 * through a third entry: one file never lists one body twice on one list.
 * The relation is transitive (union-find). The survivor is the entry
 * first in load order (registry files in name order, entries in file
 * order): it keeps its id, name, country (else the first known), type
 * (likewise), file and line; it gains every name of the others (their
 * primary names as aliases), identifiers, lists, tags, sources, dates of
 * birth, nationalities, the highest risk, and their relations. Its
 * `merged` lists the ids merged into it, in load order, each with why in
 * `merged_why` ("same_as", "identifier ofac:1234", "name and country",
 * "name and date of birth", with "(via ID)" when the link was to another
 * merged entry). A merged-away id still names the survivor: relations to
 * it, `same_as`, and a ruleset test expecting it. Same input, same survivor, same arrays: the
 * content digest is deterministic. */
#include "load_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "norm.h"
#include "vec.h"

/* The reasons, in the order they are tried and reported. */
typedef enum {
    WHY_SAME_AS,    /* an explicit same_as */
    WHY_IDENTIFIER, /* a shared identifier */
    WHY_NAME,       /* name and country */
    WHY_BIRTH,      /* individuals: name and date of birth */
    WHY_NAME_ONLY,  /* a long name, one country unknown */
    WHY_N
} why_t;

static const char *const why_names[WHY_N] = {"same_as", "identifier", "name and country",
                                             "name and date of birth", "name, one country unknown"};

/* A union that joined two sets: the spanning forest of the merge. */
typedef struct edge {
    uint32_t a, b;    /* the two entries it linked */
    why_t why;        /* which reason */
    const char *what; /* the reason in words (ruleset arena) */
} edge_t;

typedef struct merge {
    loader_t *L;      /* the load (borrowed) */
    uint32_t *parent; /* union-find; a root is its set's least index */
    uint32_t *next;   /* each set's members as a circular list */
    edge_t *edges;    /* unions that joined two sets */
    size_t n_edges;   /* used */
    size_t cap_edges; /* allocated */
    arena_t *tmp;     /* normalised keys, freed with the merge */
} merge_t;

static bool
is_person(const reg_entity_t *e)
{
    return e->type != NULL && strcmp(e->type, "individual") == 0;
}

/* An individual with a known other type: the one pair never merged. */
static bool
person_and_org(const reg_entity_t *a, const reg_entity_t *b)
{
    return a->type != NULL && b->type != NULL && is_person(a) != is_person(b);
}

static uint32_t
find(merge_t *m, uint32_t i)
{
    uint32_t r = i;
    while (m->parent[r] != r)
        r = m->parent[r];
    while (m->parent[i] != r) {
        uint32_t next = m->parent[i];
        m->parent[i] = r;
        i = next;
    }
    return r;
}

/* Two entries a name may not join, even through others: one file never
 * lists one body twice on one list, so two entries of one file that
 * share a list are two bodies that share a name (Canada's NRO page gives
 * an institute's name as an alias of its parent academy as well; the UN
 * list cross-refers an entry under another's name); and an individual is
 * never an organisation. */
static bool
distinct(const reg_entity_t *a, const reg_entity_t *b)
{
    if (person_and_org(a, b))
        return true;
    if (strcmp(a->file, b->file) != 0)
        return false;
    for (uint16_t i = 0, j = 0; i < a->n_lists && j < b->n_lists;) {
        if (a->lists[i] == b->lists[j])
            return true;
        if (a->lists[i] < b->lists[j])
            i++;
        else
            j++;
    }
    return false;
}

/* Joins the sets of a and b (the least root survives) and records why.
 * A join by name (guarded) is refused if it would put two distinct()
 * entries in one set: a name links two entries, never the whole of two
 * sets that must stay apart. */
static void
join(merge_t *m, uint32_t a, uint32_t b, why_t why, const char *what, bool guarded)
{
    uint32_t ra = find(m, a), rb = find(m, b);
    if (ra == rb)
        return;
    const reg_entity_t *ents = m->L->rs->ents;
    for (uint32_t x = ra; guarded; x = m->next[x]) {
        for (uint32_t y = rb;; y = m->next[y]) {
            if (distinct(&ents[x], &ents[y]))
                return;
            if (m->next[y] == rb)
                break;
        }
        if (m->next[x] == ra)
            break;
    }
    if (vec_grow(&m->edges, &m->cap_edges, m->n_edges + 1, sizeof *m->edges, 64) != 0) {
        m->L->oom = true;
        return;
    }
    m->edges[m->n_edges++] = (edge_t){a, b, why, what};
    if (ra < rb)
        m->parent[rb] = ra;
    else
        m->parent[ra] = rb;
    /* Splices the two circular lists into one. */
    uint32_t t = m->next[ra];
    m->next[ra] = m->next[rb];
    m->next[rb] = t;
}

/* ---- the reasons -------------------------------------------------------- */

/* (b) same_as: resolves each id an entry names. */
static void
link_same_as(merge_t *m)
{
    loader_t *L = m->L;
    ruleset_t *rs = L->rs;
    vocab_t ids = {NULL, 0};
    for (uint32_t i = 0; i < rs->n_ents; i++) {
        const reg_entity_t *e = &rs->ents[i];
        for (uint16_t k = 0; k < e->n_same_as; k++) {
            const char *s = e->same_as[k];
            int t = smap_get(L->ent_map, s);
            char what[200];
            snprintf(what, sizeof what, "organisation \"%.160s\": same_as", e->id);
            if (t < 0) {
                /* The ids, for "did you mean" (built once, on error). */
                if (ids.names == NULL) {
                    const char **v = loader_chk(L, calloc(rs->n_ents + 1, sizeof *v));
                    if (v == NULL)
                        return;
                    for (size_t j = 0; j < rs->n_ents; j++)
                        v[j] = rs->ents[j].id;
                    ids = (vocab_t){v, rs->n_ents};
                }
                loader_resolve(L, e->file, e->line, &ids, "organisation", s, what);
                continue;
            }
            const reg_entity_t *o = &rs->ents[t];
            if ((uint32_t)t == i)
                diag_add(L->d, e->file, e->line, 0, "%s names the organisation itself", what);
            else if (person_and_org(e, o))
                diag_add(L->d, e->file, e->line, 0,
                         "%s \"%s\": an individual and an organisation are never one body", what,
                         s);
            else
                join(m, i, (uint32_t)t, WHY_SAME_AS, why_names[WHY_SAME_AS], false);
        }
    }
    free(ids.names);
}

/* "scheme:value" with the value as the matcher compares identifiers:
 * ASCII letters lower-cased, spaces and tabs dropped. In m->tmp; NULL on
 * OOM (L->oom set). */
static const char *
ident_key(merge_t *m, const reg_ident_t *id)
{
    size_t ns = strlen(id->scheme), nv = strlen(id->value);
    char *k = loader_chk(m->L, arena_alloc(m->tmp, ns + nv + 2));
    if (k == NULL)
        return NULL;
    memcpy(k, id->scheme, ns);
    size_t n = ns;
    k[n++] = ':';
    for (const char *p = id->value; *p != '\0'; p++) {
        char c = *p;
        if (c == ' ' || c == '\t')
            continue;
        k[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    k[n] = '\0';
    return k;
}

/* (a) shared identifiers: the first entry with a key owns it; each later
 * one with the same key joins it. */
static void
link_identifiers(merge_t *m)
{
    loader_t *L = m->L;
    ruleset_t *rs = L->rs;
    smap_t *owner = loader_chk(L, smap_new());
    if (owner == NULL)
        return;
    for (uint32_t i = 0; i < rs->n_ents && !L->oom; i++) {
        const reg_entity_t *e = &rs->ents[i];
        for (uint32_t k = 0; k < e->n_ids; k++) {
            const char *key = ident_key(m, &e->ids[k]);
            if (key == NULL)
                break;
            int old;
            int r = smap_put(owner, key, (int)i, &old);
            if (r < 0) {
                L->oom = true;
                break;
            }
            if (r == 0 || (uint32_t)old == i)
                continue;
            const reg_entity_t *o = &rs->ents[old];
            if (person_and_org(e, o)) {
                diag_add(L->d, e->file, e->line, 0,
                         "organisation \"%s\" (%s) and \"%s\" (%s, %s:%d) share identifier "
                         "%s:%s: an individual and an organisation are never one body",
                         e->id, e->type, o->id, o->type, o->file, o->line, e->ids[k].scheme,
                         e->ids[k].value);
                continue;
            }
            char buf[240];
            snprintf(buf, sizeof buf, "%s %.100s:%.100s", why_names[WHY_IDENTIFIER],
                     e->ids[k].scheme, e->ids[k].value);
            const char *what = loader_strdup(L, buf);
            if (what != NULL)
                join(m, i, (uint32_t)old, WHY_IDENTIFIER, what, false);
        }
    }
    smap_destroy(&owner);
}

/* One name of an entry, for (c) and (d): its key and whose it is. */
typedef struct name_key {
    const char *key; /* organisations: "CC name"; individuals: "\x01name" */
    uint32_t ent;    /* entry index */
    bool primary;    /* the entry's primary name (else a plain alias) */
} name_key_t;

static int
cmp_name_key(const void *x, const void *y)
{
    const name_key_t *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    if (c != 0)
        return c;
    if (a->ent != b->ent)
        return a->ent < b->ent ? -1 : 1;
    return (int)b->primary - (int)a->primary;
}

/* True if a and b have a full date of birth ("YYYY-MM-DD") in common. */
static bool
share_birth_date(const reg_entity_t *a, const reg_entity_t *b)
{
    for (uint16_t i = 0; i < a->n_birth_dates; i++)
        if (strlen(a->birth_dates[i]) == 10)
            for (uint16_t j = 0; j < b->n_birth_dates; j++)
                if (strcmp(a->birth_dates[i], b->birth_dates[j]) == 0)
                    return true;
    return false;
}

/* Whether two entries with a name in common are one body by it: two
 * organisations (the country is in the key), or two individuals born the
 * same day; never two entries distinct() keeps apart. */
static bool
names_join(const reg_entity_t *a, const reg_entity_t *b)
{
    if (distinct(a, b))
        return false;
    if (is_person(a) || is_person(b))
        return is_person(a) && is_person(b) && share_birth_date(a, b);
    return true;
}

/* True for a normalised name that is one word of at most 8 ASCII letters
 * or digits: an acronym or a short brand ("fdlr", "gbae", "caep"). */
static bool
acronym_like(const char *nm, size_t len)
{
    if (len > 8)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((nm[i] >= 'a' && nm[i] <= 'z') || (nm[i] >= '0' && nm[i] <= '9')))
            return false;
    return true;
}

/* The words of the normalised name nm (len bytes) in byte order, one
 * space apart, into out (len + 1 bytes): a person's name is written
 * family name first on one list and last on another ("MAKENGA, Sultani",
 * "SULTANI MAKENGA"). */
static void
sorted_words(const char *nm, size_t len, char *out)
{
    const char *w[64];
    size_t wl[64], n = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && nm[j] != ' ')
            j++;
        if (n == 64) { /* a name of more words: as written */
            memcpy(out, nm, len + 1);
            return;
        }
        w[n] = nm + i;
        wl[n++] = j - i;
        i = j + 1;
    }
    /* Insertion sort: a name has a handful of words. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            size_t m = wl[j - 1] < wl[j] ? wl[j - 1] : wl[j];
            int c = memcmp(w[j - 1], w[j], m);
            if (c < 0 || (c == 0 && wl[j - 1] <= wl[j]))
                break;
            const char *tw = w[j];
            size_t tl = wl[j];
            w[j] = w[j - 1];
            wl[j] = wl[j - 1];
            w[j - 1] = tw;
            wl[j - 1] = tl;
        }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            out[k++] = ' ';
        memcpy(out + k, w[i], wl[i]);
        k += wl[i];
    }
    out[k] = '\0';
}

/* (c) and (d): the same normalised name and, for organisations, the same
 * known country; for individuals, the same full date of birth (a name
 * and a country do not identify a person, and an individual never joins
 * an organisation), their names compared word by word in any order. The names compared are the
 * primary name and the plain aliases but those acronym_like(): a short form, a former name or an
 * acronym ("FDLR", "GBAE") says too little. An entry of unknown type is taken for an organisation,
 * as the registry takes it everywhere (the 2018 CSL layout types nobody). */
/* The length of name without a closing parenthesised acronym, " (AASPT)",
 * " (GBAE)": the same name as the list writes it without (the CSL and the
 * UN add them, OFAC and the hand-made files give them as aliases); 0 when
 * it has none. An acronym here: 2 to 8 letters, digits, '-' or '.', two
 * of them upper-case letters. */
static size_t
without_acronym(const char *name)
{
    size_t n = strlen(name);
    if (n < 5 || name[n - 1] != ')')
        return 0;
    size_t open = n - 1, upper = 0;
    while (open > 0 && name[open - 1] != '(') {
        char c = name[--open];
        if (c >= 'A' && c <= 'Z')
            upper++;
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return 0;
    }
    size_t inner = n - 1 - open;
    if (open < 2 || inner < 2 || inner > 8 || upper < 2 || name[open - 2] != ' ')
        return 0;
    return open - 2;
}

/* A growable array of name keys. */
typedef struct keys {
    name_key_t *v; /* the keys */
    size_t n, cap; /* used, allocated */
} keys_t;

/* Adds the key of len bytes of name (a name of entry i) to k, unless the
 * name says too little (empty, only legal forms and stop words, or an
 * alias that is an acronym). On OOM L->oom. */
static void
add_key(merge_t *m, keys_t *k, uint32_t i, const char *name, size_t len, bool primary)
{
    loader_t *L = m->L;
    const reg_entity_t *e = &L->rs->ents[i];
    const char *nm;
    size_t nl;
    if (norm_text(m->tmp, name, len, &nm, &nl, NULL, 0) < 0) {
        /* Names were checked UTF-8 when read: only OOM fails. */
        L->oom = true;
        return;
    }
    if (nl == 0 || norm_all_stopwords(nm, nl) || (!primary && acronym_like(nm, nl)))
        return;
    char *key = loader_chk(L, arena_alloc(m->tmp, nl + 4));
    if (key == NULL || vec_grow(&k->v, &k->cap, k->n + 1, sizeof *k->v, 1024) != 0) {
        L->oom = true;
        return;
    }
    if (is_person(e)) {
        key[0] = '\x01';
        sorted_words(nm, nl, key + 1);
    } else {
        memcpy(key, e->country, 2);
        key[2] = ' ';
        memcpy(key + 3, nm, nl + 1);
    }
    k->v[k->n++] = (name_key_t){key, i, primary};
}

static void
link_names(merge_t *m)
{
    loader_t *L = m->L;
    ruleset_t *rs = L->rs;
    keys_t k = {NULL, 0, 0};
    for (uint32_t i = 0; i < rs->n_ents && !L->oom; i++) {
        const reg_entity_t *e = &rs->ents[i];
        if (is_person(e) ? e->n_birth_dates == 0 : e->country == NULL)
            continue;
        for (uint32_t a = 0; a <= e->n_aliases && !L->oom; a++) {
            if (reg_entity_name_kind(e, a) != REG_NAME_ALIAS)
                continue;
            const char *name = reg_entity_name(e, a);
            add_key(m, &k, i, name, strlen(name), a == 0);
            size_t bare = is_person(e) ? 0 : without_acronym(name);
            if (bare > 0 && !L->oom)
                add_key(m, &k, i, name, bare, a == 0);
        }
    }
    if (k.n > 1)
        qsort(k.v, k.n, sizeof *k.v, cmp_name_key);
    /* Strongest evidence first, where the guard of join() makes the order
     * matter: two primary names alike, then a primary name and an alias,
     * then two aliases. */
    const name_key_t *v = k.v;
    for (int pass = 2; pass >= 0; pass--)
        for (size_t g = 0, end; g < k.n && !L->oom; g = end) {
            for (end = g + 1; end < k.n && strcmp(v[end].key, v[g].key) == 0;)
                end++;
            for (size_t i = g; i < end; i++)
                for (size_t j = i + 1; j < end; j++) {
                    const reg_entity_t *a = &rs->ents[v[i].ent], *b = &rs->ents[v[j].ent];
                    if ((int)v[i].primary + (int)v[j].primary != pass || v[i].ent == v[j].ent ||
                        !names_join(a, b))
                        continue;
                    why_t w = is_person(a) ? WHY_BIRTH : WHY_NAME;
                    join(m, v[i].ent, v[j].ent, w, why_names[w], true);
                }
        }
    free(k.v);
}

/* (e) organisations whose primary names are the same and at least three
 * words long, when exactly one of the two gives a country: the UN and
 * OFAC write one designated body, one with an address and one without
 * ("Korea Mining Development Trading Corporation"). A shorter name, or two
 * names without a country, says too little to be one body. */
static void
link_names_one_country(merge_t *m)
{
    loader_t *L = m->L;
    ruleset_t *rs = L->rs;
    keys_t k = {NULL, 0, 0};
    for (uint32_t i = 0; i < rs->n_ents && !L->oom; i++) {
        const reg_entity_t *e = &rs->ents[i];
        if (is_person(e))
            continue;
        const char *nm;
        size_t nl;
        if (norm_text(m->tmp, e->name, strlen(e->name), &nm, &nl, NULL, 0) < 0) {
            L->oom = true;
            break;
        }
        size_t words = nl > 0;
        for (size_t c = 0; c < nl; c++)
            words += nm[c] == ' ';
        if (words < 3 || norm_all_stopwords(nm, nl))
            continue;
        if (vec_grow(&k.v, &k.cap, k.n + 1, sizeof *k.v, 1024) != 0) {
            L->oom = true;
            break;
        }
        k.v[k.n++] = (name_key_t){nm, i, true};
    }
    if (k.n > 1 && !L->oom)
        qsort(k.v, k.n, sizeof *k.v, cmp_name_key);
    for (size_t g = 0, end; g < k.n && !L->oom; g = end) {
        for (end = g + 1; end < k.n && strcmp(k.v[end].key, k.v[g].key) == 0;)
            end++;
        for (size_t i = g; i < end; i++)
            for (size_t j = i + 1; j < end; j++) {
                const reg_entity_t *a = &rs->ents[k.v[i].ent], *b = &rs->ents[k.v[j].ent];
                if ((a->country == NULL) == (b->country == NULL) || !names_join(a, b))
                    continue;
                join(m, k.v[i].ent, k.v[j].ent, WHY_NAME_ONLY, why_names[WHY_NAME_ONLY], true);
            }
    }
    free(k.v);
}

/* ---- absorbing an entry into its survivor ------------------------------ */

static bool
has_str(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* The union of the string arrays a (na) and b (nb), a's order then b's
 * new ones, capped at max; a itself when b adds nothing. */
static const char **
union_strs(loader_t *L, const char **a, size_t na, const char *const *b, size_t nb, size_t max,
           size_t *n)
{
    *n = na;
    size_t extra = 0;
    for (size_t i = 0; i < nb; i++)
        extra += !has_str(a, na, b[i]);
    if (extra == 0)
        return a;
    const char **v = loader_chk(L, arena_calloc(L->rs->arena, na + extra + 1, sizeof *v));
    if (v == NULL)
        return a;
    size_t k = 0;
    for (; k < na; k++)
        v[k] = a[k];
    for (size_t i = 0; i < nb && k < max; i++)
        if (!has_str(v, k, b[i]))
            v[k++] = b[i];
    *n = k;
    return v;
}

/* Sorted unique union of two sorted unique index sets (lists, tags). */
static const uint16_t *
union_syms(loader_t *L, const uint16_t *a, uint16_t na, const uint16_t *b, uint16_t nb, uint16_t *n)
{
    *n = na;
    if (nb == 0)
        return a;
    uint16_t *v = loader_chk(L, arena_calloc(L->rs->arena, (size_t)na + nb + 1, sizeof *v));
    if (v == NULL)
        return a;
    size_t i = 0, j = 0, k = 0;
    while (i < na || j < nb) {
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

/* Adds o's names to s: o's primary name as a plain alias, then its
 * aliases with their kinds; a name s has (byte-equal) is skipped. */
static void
absorb_names(loader_t *L, reg_entity_t *s, const reg_entity_t *o)
{
    size_t total = (size_t)s->n_aliases + 1 + o->n_aliases;
    const char **al = loader_chk(L, arena_calloc(L->rs->arena, total + 1, sizeof *al));
    uint8_t *kind = loader_chk(L, arena_calloc(L->rs->arena, total + 1, sizeof *kind));
    if (al == NULL || kind == NULL)
        return;
    size_t k = 0;
    bool kinds = false;
    for (uint32_t i = 1; i <= s->n_aliases; i++, k++) {
        al[k] = reg_entity_name(s, i);
        kind[k] = (uint8_t)reg_entity_name_kind(s, i);
        kinds |= kind[k] != REG_NAME_ALIAS;
    }
    for (uint32_t i = 0; i <= o->n_aliases; i++) {
        const char *nm = reg_entity_name(o, i);
        if (strcmp(nm, s->name) == 0 || has_str(al, k, nm))
            continue;
        al[k] = nm;
        kind[k] = (uint8_t)reg_entity_name_kind(o, i);
        kinds |= kind[k] != REG_NAME_ALIAS;
        k++;
    }
    s->aliases = al;
    s->n_aliases = (uint32_t)k;
    s->alias_kind = kinds ? kind : NULL;
}

/* Adds o's identifiers to s (an identifier s has, compared as keys, is
 * not repeated). */
static void
absorb_ids(merge_t *m, reg_entity_t *s, const reg_entity_t *o)
{
    loader_t *L = m->L;
    reg_ident_t *v =
        loader_chk(L, arena_calloc(L->rs->arena, (size_t)s->n_ids + o->n_ids + 1, sizeof *v));
    if (v == NULL)
        return;
    uint32_t k = 0;
    for (; k < s->n_ids; k++)
        v[k] = s->ids[k];
    for (uint32_t i = 0; i < o->n_ids; i++) {
        const char *key = ident_key(m, &o->ids[i]);
        if (key == NULL)
            return;
        bool have = false;
        for (uint32_t j = 0; j < k && !have; j++) {
            const char *kj = ident_key(m, &v[j]);
            if (kj == NULL)
                return;
            have = strcmp(kj, key) == 0;
        }
        if (!have)
            v[k++] = o->ids[i];
    }
    s->ids = v;
    s->n_ids = k;
}

/* Everything o says of the body, into s (the survivor). */
static void
absorb(merge_t *m, reg_entity_t *s, const reg_entity_t *o)
{
    loader_t *L = m->L;
    absorb_names(L, s, o);
    absorb_ids(m, s, o);
    if (s->country == NULL)
        s->country = o->country;
    if (s->type == NULL)
        s->type = o->type;
    if (o->risk > s->risk)
        s->risk = o->risk;
    s->lists = union_syms(L, s->lists, s->n_lists, o->lists, o->n_lists, &s->n_lists);
    s->tags = union_syms(L, s->tags, s->n_tags, o->tags, o->n_tags, &s->n_tags);
    size_t n;
    s->sources = union_strs(L, s->sources, s->n_sources, o->sources, o->n_sources, UINT16_MAX, &n);
    s->n_sources = (uint16_t)n;
    s->birth_dates = union_strs(L, s->birth_dates, s->n_birth_dates, o->birth_dates,
                                o->n_birth_dates, UINT16_MAX, &n);
    s->n_birth_dates = (uint16_t)n;
    s->nationalities = union_strs(L, s->nationalities, s->n_nationalities, o->nationalities,
                                  o->n_nationalities, UINT16_MAX, &n);
    s->n_nationalities = (uint16_t)n;
    s->same_as = union_strs(L, s->same_as, s->n_same_as, o->same_as, o->n_same_as, UINT16_MAX, &n);
    s->n_same_as = (uint16_t)n;
}

/* ---- the merge ------------------------------------------------------------ */

/* For each set of more than one entry: absorb its members (load order)
 * into its root, and record who was merged and why. why_of[i] is the
 * reason member i joined (the forest edge that reaches it from the root,
 * found by walking the forest outward from the root). */
static void
absorb_sets(merge_t *m)
{
    loader_t *L = m->L;
    ruleset_t *rs = L->rs;
    size_t n = rs->n_ents;
    const char **why_of = loader_chk(L, calloc(n + 1, sizeof *why_of));
    uint32_t *count = loader_chk(L, calloc(n + 1, sizeof *count));
    bool *done = loader_chk(L, calloc(m->n_edges + 1, sizeof *done));
    if (why_of == NULL || count == NULL || done == NULL)
        goto out;
    for (uint32_t i = 0; i < n; i++)
        count[find(m, i)]++;
    /* Reached members, from each root outward, until no edge adds one. */
    for (bool more = true; more && !L->oom;) {
        more = false;
        for (size_t k = 0; k < m->n_edges; k++) {
            if (done[k])
                continue;
            const edge_t *g = &m->edges[k];
            bool ra = g->a == find(m, g->a) || why_of[g->a] != NULL;
            bool rb = g->b == find(m, g->b) || why_of[g->b] != NULL;
            if (!ra && !rb)
                continue;
            uint32_t from = ra ? g->a : g->b, to = ra ? g->b : g->a;
            done[k] = more = true;
            if (from == find(m, from)) {
                why_of[to] = g->what;
                continue;
            }
            char buf[400];
            snprintf(buf, sizeof buf, "%s (via %s)", g->what, rs->ents[from].id);
            why_of[to] = loader_strdup(L, buf);
        }
    }
    for (uint32_t r = 0; r < n && !L->oom; r++) {
        if (find(m, r) != r || count[r] < 2)
            continue;
        reg_entity_t *s = &rs->ents[r];
        size_t want = count[r] - 1;
        if (want > UINT16_MAX) {
            diag_add(L->d, s->file, s->line, 0,
                     "organisation \"%s\": more than %u entries merged into it", s->id, UINT16_MAX);
            continue;
        }
        const char **ids = loader_chk(L, arena_calloc(rs->arena, want + 1, sizeof *ids));
        const char **why = loader_chk(L, arena_calloc(rs->arena, want + 1, sizeof *why));
        if (ids == NULL || why == NULL)
            break;
        size_t k = 0;
        for (uint32_t i = r + 1; i < n && k < want; i++) {
            if (find(m, i) != r)
                continue;
            absorb(m, s, &rs->ents[i]);
            ids[k] = rs->ents[i].id;
            why[k] = why_of[i] != NULL ? why_of[i] : "?";
            k++;
        }
        s->merged = ids;
        s->merged_why = why;
        s->n_merged = (uint16_t)k;
    }
out:
    free(why_of);
    free(count);
    free(done);
}

/* Drops the merged-away entries from rs->ents, keeping the others in
 * order; every id (merged-away ones too) maps to its entity's new index
 * in a new L->ent_map; pending relations follow their entities, and a
 * relation that a merge made one from an entity to itself, or a repeat
 * of another, is dropped (a relation to itself as written stays, for
 * load_registry_relations to report). */
static void
compact(merge_t *m)
{
    loader_t *L = m->L;
    ruleset_t *rs = L->rs;
    size_t n = rs->n_ents;
    uint32_t *newix = loader_chk(L, calloc(n + 1, sizeof *newix));
    const char **from_id = loader_chk(L, calloc(L->n_rels + 1, sizeof *from_id));
    smap_t *map = loader_chk(L, smap_new());
    if (newix == NULL || from_id == NULL || map == NULL)
        goto out;
    for (size_t i = 0; i < L->n_rels; i++)
        from_id[i] = rs->ents[L->rels[i].from].id;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (find(m, i) != i)
            continue;
        newix[i] = k;
        if (k != i)
            rs->ents[k] = rs->ents[i];
        k++;
    }
    /* ids borrowed from the arena: they outlive the map. */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = find(m, i);
        if (r != i)
            newix[i] = newix[r];
    }
    for (uint32_t i = 0; i < k; i++) {
        const reg_entity_t *e = &rs->ents[i];
        if (smap_put(map, e->id, (int)i, NULL) < 0)
            goto oom;
        for (uint16_t j = 0; j < e->n_merged; j++)
            if (smap_put(map, e->merged[j], (int)i, NULL) < 0)
                goto oom;
    }
    memset(&rs->ents[k], 0, (n - k) * sizeof *rs->ents);
    rs->n_ents = k;
    smap_destroy(&L->ent_map);
    L->ent_map = map;
    map = NULL;
    size_t kept = 0;
    for (size_t i = 0; i < L->n_rels; i++) {
        pending_rel_t p = L->rels[i];
        p.from = newix[p.from];
        int t = smap_get(L->ent_map, p.target);
        /* Only a relation with a merged end can have become a loop or a
         * repeat (a repeat as written is not this step's business). */
        bool touched = t >= 0 && (rs->ents[p.from].n_merged > 0 || rs->ents[t].n_merged > 0);
        bool drop = touched && (uint32_t)t == p.from && strcmp(p.target, from_id[i]) != 0;
        for (size_t j = 0; touched && !drop && j < kept; j++)
            drop = L->rels[j].from == p.from && L->rels[j].kind == p.kind &&
                   smap_get(L->ent_map, L->rels[j].target) == t;
        if (!drop)
            L->rels[kept++] = p;
    }
    L->n_rels = kept;
    goto out;
oom:
    L->oom = true;
out:
    smap_destroy(&map);
    free(newix);
    free(from_id);
}

void
load_merge_registry(loader_t *L)
{
    ruleset_t *rs = L->rs;
    if (rs->n_ents < 2 || L->oom)
        return;
    merge_t m = {L, NULL, NULL, NULL, 0, 0, NULL};
    m.parent = loader_chk(L, calloc(rs->n_ents, sizeof *m.parent));
    m.next = loader_chk(L, calloc(rs->n_ents, sizeof *m.next));
    m.tmp = loader_chk(L, arena_new(0));
    if (m.parent == NULL || m.next == NULL || m.tmp == NULL)
        goto out;
    for (uint32_t i = 0; i < rs->n_ents; i++)
        m.parent[i] = m.next[i] = i;
    size_t errs = diag_count(L->d);
    link_same_as(&m);
    link_identifiers(&m);
    link_names(&m);
    link_names_one_country(&m);
    /* A bad same_as or identifier: the load fails, merge nothing. */
    if (L->oom || diag_count(L->d) != errs || m.n_edges == 0)
        goto out;
    absorb_sets(&m);
    if (!L->oom)
        compact(&m);
out:
    free(m.parent);
    free(m.next);
    free(m.edges);
    arena_destroy(&m.tmp);
}

/* ---- the report ------------------------------------------------------------ */

void
load_merge_report(const ruleset_t *rs, FILE *out, bool verbose)
{
    size_t by[WHY_N] = {0}, total = 0, into = 0;
    for (size_t i = 0; i < rs->n_ents; i++) {
        const reg_entity_t *e = &rs->ents[i];
        into += e->n_merged > 0;
        for (uint16_t k = 0; k < e->n_merged; k++) {
            total++;
            for (int w = 0; w < WHY_N; w++)
                if (strncmp(e->merged_why[k], why_names[w], strlen(why_names[w])) == 0) {
                    by[w]++;
                    break;
                }
        }
    }
    if (total == 0) {
        fprintf(out, "merged: none (every entry is its own organisation)\n");
        return;
    }
    fprintf(out, "merged: %zu entr%s into %zu organisation%s (", total, total == 1 ? "y" : "ies",
            into, into == 1 ? "" : "s");
    const char *sep = "";
    for (int w = 0; w < WHY_N; w++) {
        if (by[w] == 0)
            continue;
        fprintf(out, "%s%s %zu", sep, why_names[w], by[w]);
        sep = ", ";
    }
    fprintf(out, ")\n");
    if (!verbose)
        return;
    for (size_t i = 0; i < rs->n_ents; i++) {
        const reg_entity_t *e = &rs->ents[i];
        for (uint16_t k = 0; k < e->n_merged; k++)
            fprintf(out, "merged %s into %s (%s:%d): %s\n", e->merged[k], e->id, e->file, e->line,
                    e->merged_why[k]);
    }
}
