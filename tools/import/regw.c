/* SPDX-License-Identifier: Apache-2.0 */
/* regw.c -- deterministic registry writer: lists and organisations -> registry/NAME.cfg. */
#include "regw.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "smap.h"
#include "vec.h"

typedef struct strv {
    char **v;
    size_t n, cap;
} strv_t;

typedef struct regw_id {
    char *scheme;
    char *value;
} regw_id_t;

struct regw_org {
    char *id;
    char *name;
    char *country;
    char *type;
    char *risk;
    strv_t aliases;
    strv_t lists;
    strv_t sources;
    strv_t tags;
    strv_t relations;     /* kind, target, kind, target, ... */
    strv_t birth_dates;   /* individuals: "YYYY-MM-DD", "YYYY-MM", "YYYY" */
    strv_t nationalities; /* individuals: ISO 3166-1 alpha-2 */
    regw_id_t *ids;
    size_t n_ids, cap_ids;
};

typedef struct regw_list {
    char *id, *name, *authority, *url, *terms;
} regw_list_t;

typedef struct regw_src {
    char *base;
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
} regw_src_t;

typedef struct regw_count {
    const char *what;
    size_t n;
} regw_count_t;

#define REGW_MAX_COUNTS 32

struct regw {
    regw_org_t **orgs;
    size_t n_orgs, cap_orgs;
    smap_t *by_id;
    regw_list_t *lists;
    size_t n_lists, cap_lists;
    regw_src_t *srcs;
    size_t n_srcs, cap_srcs;
    regw_count_t skips[REGW_MAX_COUNTS];
    size_t n_skips;
    regw_count_t notes[REGW_MAX_COUNTS];
    size_t n_notes;
    const char *selected; /* regw_retain's reason (borrowed), or NULL */
    size_t n_unselected;  /* organisations regw_retain dropped */
    char *header;         /* regw_set_header's text, or NULL */
    bool keep_order;      /* write organisations as made */
    char *as_of;          /* lists' edition (regw_set_edition), or NULL */
    int max_age_days;     /* 0: none */
};

/* A cleaned copy: whitespace runs -> one space, ends trimmed, other
 * control characters dropped (libconfig strings and names want neither). */
static char *
clean(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t k = 0;
    bool space = false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f') {
            space = k > 0;
            continue;
        }
        if (*p < 0x20 || *p == 0x7F)
            continue;
        if (space)
            out[k++] = ' ';
        space = false;
        out[k++] = (char)*p;
    }
    out[k] = '\0';
    return out;
}

/* ASCII case-insensitive equality, for duplicate aliases. Spacing counts
 * ("HONORBANK" and "HONOR BANK" are both kept): the matcher tells them
 * apart, so dropping one would lose a name the list gives. */
static bool
same_name(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
        if (x == '\0')
            return true;
    }
}

static void
strv_free(strv_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
}

/* Appends a cleaned copy of s unless empty or already there (by eq). */
static int
strv_add(strv_t *v, const char *s, bool (*eq)(const char *, const char *), const char *also)
{
    char *c = clean(s);
    if (c == NULL)
        return -1;
    bool drop = c[0] == '\0' || (also != NULL && eq(also, c));
    for (size_t i = 0; !drop && i < v->n; i++)
        drop = eq(v->v[i], c);
    if (drop) {
        free(c);
        return 0;
    }
    if (vec_grow(&v->v, &v->cap, v->n + 1, sizeof *v->v, 8) != 0) {
        free(c);
        return -1;
    }
    v->v[v->n++] = c;
    return 0;
}

static bool
streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

regw_t *
regw_new(void)
{
    regw_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->by_id = smap_new();
    if (w->by_id == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

static void
org_free(regw_org_t *o)
{
    free(o->id);
    free(o->name);
    free(o->country);
    free(o->type);
    free(o->risk);
    strv_free(&o->aliases);
    strv_free(&o->lists);
    strv_free(&o->sources);
    strv_free(&o->tags);
    strv_free(&o->relations);
    strv_free(&o->birth_dates);
    strv_free(&o->nationalities);
    for (size_t i = 0; i < o->n_ids; i++) {
        free(o->ids[i].scheme);
        free(o->ids[i].value);
    }
    free(o->ids);
    free(o);
}

int
regw_set_edition(regw_t *w, const char *as_of, const char *fallback, int max_age_days)
{
    if (as_of == NULL && w->as_of == NULL)
        as_of = fallback;
    if (as_of != NULL) {
        char *c = strdup(as_of);
        if (c == NULL)
            return -1;
        free(w->as_of);
        w->as_of = c;
    }
    if (max_age_days > 0)
        w->max_age_days = max_age_days;
    return 0;
}

void
regw_destroy(regw_t **p)
{
    if (p == NULL || *p == NULL)
        return;
    regw_t *w = *p;
    free(w->as_of);
    for (size_t i = 0; i < w->n_orgs; i++)
        org_free(w->orgs[i]);
    free(w->orgs);
    smap_destroy(&w->by_id);
    for (size_t i = 0; i < w->n_lists; i++) {
        free(w->lists[i].id);
        free(w->lists[i].name);
        free(w->lists[i].authority);
        free(w->lists[i].url);
        free(w->lists[i].terms);
    }
    free(w->lists);
    for (size_t i = 0; i < w->n_srcs; i++)
        free(w->srcs[i].base);
    free(w->srcs);
    free(w->header);
    free(w);
    *p = NULL;
}

int
regw_add_source(regw_t *w, const char *path, const void *data, size_t len)
{
    if (vec_grow(&w->srcs, &w->cap_srcs, w->n_srcs + 1, sizeof *w->srcs, 8) != 0)
        return -1;
    const char *slash = strrchr(path, '/');
    regw_src_t *s = &w->srcs[w->n_srcs];
    s->base = strdup(slash ? slash + 1 : path);
    if (s->base == NULL)
        return -1;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(s->hex, sizeof s->hex, h, sizeof h);
    w->n_srcs++;
    return 0;
}

static char *
dup_or_null(const char *s, bool *oom)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *oom = true;
    return d;
}

int
regw_add_list(regw_t *w, const char *id, const char *name, const char *authority, const char *url,
              const char *terms)
{
    for (size_t i = 0; i < w->n_lists; i++)
        if (strcmp(w->lists[i].id, id) == 0)
            return 0;
    if (vec_grow(&w->lists, &w->cap_lists, w->n_lists + 1, sizeof *w->lists, 8) != 0)
        return -1;
    bool oom = false;
    regw_list_t l = {dup_or_null(id, &oom), dup_or_null(name, &oom), dup_or_null(authority, &oom),
                     dup_or_null(url, &oom), dup_or_null(terms, &oom)};
    if (oom) {
        free(l.id);
        free(l.name);
        free(l.authority);
        free(l.url);
        free(l.terms);
        return -1;
    }
    w->lists[w->n_lists++] = l;
    return 0;
}

regw_org_t *
regw_org_new(regw_t *w, const char *id, bool *dup)
{
    *dup = false;
    if (smap_get(w->by_id, id) >= 0) {
        *dup = true;
        return NULL;
    }
    if (vec_grow(&w->orgs, &w->cap_orgs, w->n_orgs + 1, sizeof *w->orgs, 8) != 0)
        return NULL;
    regw_org_t *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->id = strdup(id);
    if (o->id == NULL || smap_put(w->by_id, o->id, (int)w->n_orgs, NULL) != 0) {
        free(o->id);
        free(o);
        return NULL;
    }
    w->orgs[w->n_orgs++] = o;
    return o;
}

regw_org_t *
regw_find(const regw_t *w, const char *id)
{
    int i = smap_get(w->by_id, id);
    return i < 0 ? NULL : w->orgs[i];
}

/* Replaces *field with a cleaned copy of s (empty s leaves it as it was). */
static int
set_field(char **field, const char *s)
{
    char *c = clean(s);
    if (c == NULL)
        return -1;
    if (c[0] == '\0') {
        free(c);
        return 0;
    }
    free(*field);
    *field = c;
    return 0;
}

int
regw_org_set_name(regw_org_t *o, const char *name)
{
    return set_field(&o->name, name);
}

int
regw_org_add_alias(regw_org_t *o, const char *alias)
{
    return strv_add(&o->aliases, alias, same_name, o->name);
}

int
regw_org_set_country(regw_org_t *o, const char *cc)
{
    return set_field(&o->country, cc);
}

int
regw_org_set_type(regw_org_t *o, const char *type)
{
    return set_field(&o->type, type);
}

int
regw_org_set_risk(regw_org_t *o, const char *risk)
{
    return set_field(&o->risk, risk);
}

int
regw_org_add_id(regw_org_t *o, const char *scheme, const char *value)
{
    for (size_t i = 0; i < o->n_ids; i++)
        if (strcmp(o->ids[i].scheme, scheme) == 0)
            return 0;
    char *v = clean(value);
    if (v == NULL)
        return -1;
    if (v[0] == '\0') {
        free(v);
        return 0;
    }
    char *s = strdup(scheme);
    if (s == NULL || vec_grow(&o->ids, &o->cap_ids, o->n_ids + 1, sizeof *o->ids, 8) != 0) {
        free(s);
        free(v);
        return -1;
    }
    o->ids[o->n_ids].scheme = s;
    o->ids[o->n_ids].value = v;
    o->n_ids++;
    return 0;
}

int
regw_org_add_list(regw_org_t *o, const char *list)
{
    return strv_add(&o->lists, list, streq, NULL);
}

int
regw_org_add_source(regw_org_t *o, const char *source)
{
    return strv_add(&o->sources, source, streq, NULL);
}

int
regw_org_add_tag(regw_org_t *o, const char *tag)
{
    return strv_add(&o->tags, tag, streq, NULL);
}

int
regw_org_add_birth_date(regw_org_t *o, const char *date)
{
    return strv_add(&o->birth_dates, date, streq, NULL);
}

int
regw_org_add_nationality(regw_org_t *o, const char *cc)
{
    return strv_add(&o->nationalities, cc, streq, NULL);
}

bool
regw_org_is_individual(const regw_org_t *o)
{
    return o->type != NULL && strcmp(o->type, "individual") == 0;
}

int
regw_org_add_relation(regw_org_t *o, const char *kind, const char *target)
{
    for (size_t i = 0; i + 1 < o->relations.n; i += 2)
        if (strcmp(o->relations.v[i], kind) == 0 && strcmp(o->relations.v[i + 1], target) == 0)
            return 0;
    size_t n = o->relations.n;
    /* Appended as a pair (strv_add would drop a kind seen before). */
    char *k = clean(kind), *t = clean(target);
    if (k == NULL || t == NULL ||
        vec_grow(&o->relations.v, &o->relations.cap, n + 2, sizeof *o->relations.v, 8) != 0) {
        free(k);
        free(t);
        return -1;
    }
    o->relations.v[n] = k;
    o->relations.v[n + 1] = t;
    o->relations.n = n + 2;
    return 0;
}

int
regw_set_header(regw_t *w, const char *text)
{
    char *h = strdup(text);
    if (h == NULL)
        return -1;
    free(w->header);
    w->header = h;
    return 0;
}

void
regw_keep_order(regw_t *w)
{
    w->keep_order = true;
}

const char *
regw_org_name(const regw_org_t *o)
{
    return o->name ? o->name : "";
}

static void
count(regw_count_t *c, size_t *n, const char *what)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(c[i].what, what) == 0) {
            c[i].n++;
            return;
        }
    }
    if (*n < REGW_MAX_COUNTS) {
        c[*n].what = what;
        c[*n].n = 1;
        (*n)++;
    }
}

void
regw_skip(regw_t *w, const char *reason)
{
    count(w->skips, &w->n_skips, reason);
}

void
regw_note(regw_t *w, const char *what)
{
    count(w->notes, &w->n_notes, what);
}

size_t
regw_count(const regw_t *w)
{
    return w->n_orgs;
}

/* Natural order: runs of digits compare as numbers, so sdn-36 < sdn-173. */
static int
natcmp(const char *a, const char *b)
{
    while (*a != '\0' && *b != '\0') {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c != 0)
                return c;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    if (*a == *b)
        return 0;
    return *a == '\0' ? -1 : 1;
}

static int
cmp_org(const void *x, const void *y)
{
    const regw_org_t *a = *(regw_org_t *const *)x, *b = *(regw_org_t *const *)y;
    int c = natcmp(a->id, b->id);
    /* Ids are unique, but "x-01" and "x-1" compare equal numerically. */
    return c != 0 ? c : strcmp(a->id, b->id);
}

static int
cmp_list(const void *x, const void *y)
{
    return strcmp(((const regw_list_t *)x)->id, ((const regw_list_t *)y)->id);
}

/* A libconfig string literal: quotes and backslashes escaped (the
 * writer's strings have no control characters: clean() removed them). */
void
regw_quote(sbuf_t *b, const char *s)
{
    sbuf_putc(b, '"');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            sbuf_putc(b, '\\');
        sbuf_putc(b, *p);
    }
    sbuf_putc(b, '"');
}

static void
put_qlist(sbuf_t *b, const strv_t *v)
{
    sbuf_puts(b, "[ ");
    for (size_t i = 0; i < v->n; i++) {
        if (i > 0)
            sbuf_puts(b, ", ");
        regw_quote(b, v->v[i]);
    }
    sbuf_puts(b, v->n ? " ]" : "]");
}

/* A header-comment line may not break the comment: cut at a newline. */
static void
put_comment(sbuf_t *b, const char *s)
{
    for (const char *p = s; *p != '\0' && *p != '\n' && *p != '\r'; p++)
        sbuf_putc(b, *p);
}

/* Rebuilds the id -> position map after orgs moved. */
static int
reindex(regw_t *w)
{
    smap_t *m = smap_new();
    if (m == NULL)
        return -1;
    for (size_t i = 0; i < w->n_orgs; i++)
        if (smap_put(m, w->orgs[i]->id, (int)i, NULL) < 0) {
            smap_destroy(&m);
            return -1;
        }
    smap_destroy(&w->by_id);
    w->by_id = m;
    return 0;
}

static size_t
count_individuals(const regw_t *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->n_orgs; i++)
        n += regw_org_is_individual(w->orgs[i]);
    return n;
}

void
regw_render(regw_t *w, const char *title, sbuf_t *out)
{
    if (w->n_orgs > 1 && !w->keep_order)
        qsort(w->orgs, w->n_orgs, sizeof *w->orgs, cmp_org);
    /* Indices in by_id are stale after the sort. */
    if (reindex(w) < 0) {
        out->oom = true;
        return;
    }
    if (w->n_lists > 1)
        qsort(w->lists, w->n_lists, sizeof *w->lists, cmp_list);

    size_t n_alias = 0;
    for (size_t i = 0; i < w->n_orgs; i++)
        n_alias += w->orgs[i]->aliases.n;
    if (w->header != NULL) {
        sbuf_puts(out, w->header);
    } else {
        sbuf_puts(out, "# ");
        put_comment(out, title);
        sbuf_puts(out, "\n# Generated by vet-import: do not edit by hand; re-run the importer.\n");
        sbuf_puts(out, "# Source files:\n");
        for (size_t i = 0; i < w->n_srcs; i++) {
            sbuf_puts(out, "#   ");
            put_comment(out, w->srcs[i].base);
            sbuf_printf(out, "  SHA-256 %s\n", w->srcs[i].hex);
        }
        size_t people = count_individuals(w);
        if (people > 0)
            sbuf_printf(out, "# %zu organisations and %zu individuals, %zu aliases.\n",
                        w->n_orgs - people, people, n_alias);
        else
            sbuf_printf(out, "# %zu organisations, %zu aliases.\n", w->n_orgs, n_alias);
    }
    if (w->selected != NULL) {
        sbuf_printf(out, "# Selected: only the organisations listed in ");
        put_comment(out, w->selected);
        sbuf_printf(out, " (%zu others left out).\n", w->n_unselected);
    }
    for (size_t i = 0; i < w->n_skips; i++)
        sbuf_printf(out, "# Skipped: %zu %s.\n", w->skips[i].n, w->skips[i].what);
    sbuf_puts(out, "\nlists = (\n");
    for (size_t i = 0; i < w->n_lists; i++) {
        const regw_list_t *l = &w->lists[i];
        sbuf_puts(out, "  { id = ");
        regw_quote(out, l->id);
        sbuf_puts(out, "; name = ");
        regw_quote(out, l->name);
        sbuf_puts(out, ";");
        if (l->authority) {
            sbuf_puts(out, " authority = ");
            regw_quote(out, l->authority);
            sbuf_puts(out, ";");
        }
        if (l->url) {
            sbuf_puts(out, "\n    url = ");
            regw_quote(out, l->url);
            sbuf_puts(out, ";");
        }
        if (l->terms) {
            sbuf_puts(out, "\n    terms = ");
            regw_quote(out, l->terms);
            sbuf_puts(out, ";");
        }
        if (w->as_of) {
            sbuf_puts(out, "\n    as_of = ");
            regw_quote(out, w->as_of);
            sbuf_puts(out, ";");
            if (w->max_age_days > 0)
                sbuf_printf(out, " max_age_days = %d;", w->max_age_days);
        }
        sbuf_puts(out, i + 1 < w->n_lists ? " },\n" : " }\n");
    }
    sbuf_puts(out, ");\n\norganisations = (\n");
    for (size_t i = 0; i < w->n_orgs; i++) {
        const regw_org_t *o = w->orgs[i];
        sbuf_puts(out, "  { id = ");
        regw_quote(out, o->id);
        sbuf_puts(out, ";\n    name = ");
        regw_quote(out, o->name ? o->name : o->id);
        sbuf_puts(out, ";\n");
        if (o->aliases.n) {
            sbuf_puts(out, "    aliases = ");
            put_qlist(out, &o->aliases);
            sbuf_puts(out, ";\n");
        }
        if (o->country || o->type) {
            sbuf_puts(out, "   ");
            if (o->country) {
                sbuf_puts(out, " country = ");
                regw_quote(out, o->country);
                sbuf_puts(out, ";");
            }
            if (o->type) {
                sbuf_puts(out, " type = ");
                regw_quote(out, o->type);
                sbuf_puts(out, ";");
            }
            sbuf_puts(out, "\n");
        }
        if (o->birth_dates.n || o->nationalities.n) {
            sbuf_puts(out, "   ");
            if (o->birth_dates.n) {
                sbuf_puts(out, " birth_dates = ");
                put_qlist(out, &o->birth_dates);
                sbuf_puts(out, ";");
            }
            if (o->nationalities.n) {
                sbuf_puts(out, " nationalities = ");
                put_qlist(out, &o->nationalities);
                sbuf_puts(out, ";");
            }
            sbuf_puts(out, "\n");
        }
        sbuf_puts(out, "    lists = ");
        put_qlist(out, &o->lists);
        sbuf_puts(out, ";");
        if (o->risk) {
            sbuf_puts(out, " risk = ");
            regw_quote(out, o->risk);
            sbuf_puts(out, ";");
        }
        sbuf_puts(out, "\n");
        if (o->tags.n) {
            sbuf_puts(out, "    tags = ");
            put_qlist(out, &o->tags);
            sbuf_puts(out, ";\n");
        }
        for (size_t k = 0; k < o->relations.n; k += 2) {
            sbuf_puts(out, k == 0 ? "    relations = ( " : ", ");
            sbuf_puts(out, "{ kind = ");
            regw_quote(out, o->relations.v[k]);
            sbuf_puts(out, "; target = ");
            regw_quote(out, o->relations.v[k + 1]);
            sbuf_puts(out, "; }");
            if (k + 2 >= o->relations.n)
                sbuf_puts(out, " );\n");
        }
        if (o->n_ids) {
            sbuf_puts(out, "    ids = {");
            for (size_t k = 0; k < o->n_ids; k++) {
                sbuf_printf(out, " %s = ", o->ids[k].scheme);
                regw_quote(out, o->ids[k].value);
                sbuf_puts(out, ";");
            }
            sbuf_puts(out, " };\n");
        }
        sbuf_puts(out, "    sources = ");
        put_qlist(out, &o->sources);
        sbuf_puts(out, ";\n");
        sbuf_puts(out, i + 1 < w->n_orgs ? "  },\n" : "  }\n");
    }
    sbuf_puts(out, ");\n");
}

void
regw_summary(const regw_t *w, sbuf_t *out)
{
    size_t people = count_individuals(w);
    if (people > 0)
        sbuf_printf(out, "vet-import: %zu organisations and %zu individuals written\n",
                    w->n_orgs - people, people);
    else
        sbuf_printf(out, "vet-import: %zu organisations written\n", w->n_orgs);
    for (size_t i = 0; i < w->n_skips; i++)
        sbuf_printf(out, "vet-import: skipped %zu %s\n", w->skips[i].n, w->skips[i].what);
    for (size_t i = 0; i < w->n_notes; i++)
        sbuf_printf(out, "vet-import: note: %zu %s\n", w->notes[i].n, w->notes[i].what);
}

int
regw_retain(regw_t *w, const char *const *ids, size_t n, const char *why, size_t *missing)
{
    smap_t *keep = smap_new();
    if (keep == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (regw_find(w, ids[i]) == NULL) {
            *missing = i;
            smap_destroy(&keep);
            return 1;
        }
        if (smap_put(keep, ids[i], 1, NULL) < 0) {
            smap_destroy(&keep);
            return -1;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < w->n_orgs; i++) {
        if (smap_get(keep, w->orgs[i]->id) >= 0)
            w->orgs[kept++] = w->orgs[i];
        else
            org_free(w->orgs[i]);
    }
    smap_destroy(&keep);
    w->n_unselected = w->n_orgs - kept;
    w->n_orgs = kept;
    w->selected = why;
    /* Freed organisations' ids were keys of by_id: rebuild it now. */
    return reindex(w);
}
