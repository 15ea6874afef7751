/* SPDX-License-Identifier: Apache-2.0 */
/* evdata.c -- vet-eval's data: the NRO, OFAC SDN and UN sources, and the ruleset's registry. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>
#include <utf8proc.h>

#include "country.h"
#include "evdata.h"
#include "import.h"
#include "nro.h"
#include "ofac.h"
#include "un.h"
#include "vec.h"

#define NAME_MAX_BYTES 4096

/* ---- small helpers ------------------------------------------------------ */

static void
say(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* A growable array of pointers. */
typedef struct ptrs {
    void **v;      /* the items */
    size_t n, cap; /* used, allocated */
} ptrs_t;

static int
ptrs_push(ptrs_t *a, void *p)
{
    if (vec_grow(&a->v, &a->cap, a->n + 1, sizeof *a->v, 16) != 0)
        return -1;
    a->v[a->n++] = p;
    return 0;
}

/* Trims white space at both ends of s in place; returns s. */
static char *
trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* ---- names ------------------------------------------------------------- */

int
evdata_norm(const char *name, char *out, size_t cap)
{
    if (cap == 0)
        return -1;
    out[0] = '\0';
    utf8proc_uint8_t *m = NULL;
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)name, 0, &m,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                         UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
    if (n < 0)
        return -1;
    size_t k = 0;
    bool space = false;
    int rc = 0;
    for (const utf8proc_uint8_t *p = m; *p != '\0';) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t l = utf8proc_iterate(p, -1, &cp);
        if (l <= 0) {
            rc = -1;
            break;
        }
        p += l;
        if (cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x02BC)
            continue;
        utf8proc_category_t c = utf8proc_category(cp);
        bool keep = (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
                    (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME) ||
                    (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
        if (!keep) {
            space = k > 0;
            continue;
        }
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t e = utf8proc_encode_char(cp, enc);
        if (k + (size_t)e + 2 > cap) {
            rc = -1;
            break;
        }
        if (space)
            out[k++] = ' ';
        space = false;
        memcpy(out + k, enc, (size_t)e);
        k += (size_t)e;
    }
    free(m);
    out[rc == 0 ? k : 0] = '\0';
    return rc;
}

/* Words of legal forms and articles, left out of a name's core. */
static const char *const legal_words[] = {
    "the",      "co",           "company", "companies",   "ltd",  "limited",  "llc",
    "inc",      "incorporated", "corp",    "corporation", "plc",  "sa",       "sas",
    "sarl",     "srl",          "sl",      "spa",         "bv",   "nv",       "ag",
    "gmbh",     "jsc",          "pjsc",    "ojsc",        "cjsc", "ooo",      "zao",
    "oao",      "pao",          "fze",     "fzco",        "fzc",  "fzllc",    "llp",
    "lp",       "pte",          "pvt",     "private",     "cv",   "sociedad", "anonima",
    "limitada", "ltda",         "eu",      "ca",          "sac",  "saa",      NULL,
};

int
evdata_core(const char *norm, char *out, size_t cap)
{
    if (cap == 0)
        return -1;
    out[0] = '\0';
    /* First pass: words, with runs of one-letter ASCII words joined. */
    char words[NAME_MAX_BYTES];
    size_t k = 0;
    const char *p = norm;
    bool prev_single = false;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        size_t l = strcspn(p, " ");
        bool single = l == 1 && (unsigned char)*p < 0x80;
        if (k + l + 2 > sizeof words)
            return -1;
        if (k > 0 && !(single && prev_single))
            words[k++] = ' ';
        memcpy(words + k, p, l);
        k += l;
        prev_single = single;
        p += l;
    }
    words[k] = '\0';
    /* Second pass: legal-form words left out. */
    size_t o = 0;
    for (char *w = strtok(words, " "); w != NULL; w = strtok(NULL, " ")) {
        bool legal = false;
        for (size_t i = 0; legal_words[i] != NULL && !legal; i++)
            legal = strcmp(w, legal_words[i]) == 0;
        if (legal)
            continue;
        size_t l = strlen(w);
        if (o + l + 2 > cap) {
            out[0] = '\0';
            return -1;
        }
        if (o > 0)
            out[o++] = ' ';
        memcpy(out + o, w, l);
        o += l;
    }
    out[o] = '\0';
    return 0;
}

/* ---- the registry ------------------------------------------------------ */

typedef struct reg_org {
    char *id;      /* organisation id */
    char *country; /* ISO code or NULL */
    char **norms;  /* comparison forms of its names */
    char **cores;  /* their cores (evdata_core), parallel to norms */
    size_t n_norms;
} reg_org_t;

typedef struct pair {
    char *key;  /* owned */
    size_t org; /* index into orgs */
} pair_t;

typedef struct pairs {
    pair_t *v; /* the pairs, sorted by key once loaded */
    size_t n, cap;
} pairs_t;

struct evdata_reg {
    reg_org_t *orgs; /* in file order (files sorted by name) */
    size_t n_orgs, cap_orgs;
    pairs_t ids;    /* id -> org */
    pairs_t keys;   /* source key -> org */
    pairs_t names;  /* comparison form -> org */
    ptrs_t pending; /* names of `names` groups, "id\0name" (owned): added once every file is read */
};

static int
pairs_add(pairs_t *p, const char *key, size_t org)
{
    if (vec_grow(&p->v, &p->cap, p->n + 1, sizeof *p->v, 256) != 0)
        return -1;
    char *k = strdup(key);
    if (k == NULL)
        return -1;
    p->v[p->n++] = (pair_t){k, org};
    return 0;
}

static int
pair_cmp(const void *a, const void *b)
{
    const pair_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    return x->org < y->org ? -1 : x->org > y->org;
}

/* The first pair with key, or NULL. */
static const pair_t *
pairs_find(const pairs_t *p, const char *key)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(p->v[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n && strcmp(p->v[lo].key, key) == 0 ? &p->v[lo] : NULL;
}

static void
pairs_free(pairs_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].key);
    free(p->v);
}

static int
reg_add_name(evdata_reg_t *r, size_t i, const char *name)
{
    char norm[NAME_MAX_BYTES];
    if (evdata_norm(name, norm, sizeof norm) < 0 || norm[0] == '\0')
        return 0;
    char core[NAME_MAX_BYTES];
    if (evdata_core(norm, core, sizeof core) < 0)
        core[0] = '\0';
    reg_org_t *o = &r->orgs[i];
    char **nv = realloc(o->norms, (o->n_norms + 1) * sizeof *nv);
    if (nv == NULL)
        return -1;
    o->norms = nv;
    char **cv = realloc(o->cores, (o->n_norms + 1) * sizeof *cv);
    if (cv == NULL)
        return -1;
    o->cores = cv;
    o->norms[o->n_norms] = strdup(norm);
    o->cores[o->n_norms] = strdup(core);
    if (o->norms[o->n_norms] == NULL || o->cores[o->n_norms] == NULL) {
        free(o->norms[o->n_norms]);
        free(o->cores[o->n_norms]);
        return -1;
    }
    o->n_norms++;
    return pairs_add(&r->names, norm, i);
}

/* The NRO record a sources entry cites: "Government of Canada, Named
 * Research Organizations (...): 'NAME', COUNTRY" (vet-import's ca-nro and
 * nro-tsv) -> NAME into out (size cap), as the list prints it; false if
 * src is not such a citation. A name may hold an apostrophe ("People's
 * Armed Police"): it ends at the last "', ". */
static bool
nro_name(const char *src, char *out, size_t cap)
{
    static const char pfx[] = "Government of Canada, Named Research Organizations (";
    if (strncmp(src, pfx, sizeof pfx - 1) != 0)
        return false;
    const char *start = strstr(src, "): '");
    const char *end = NULL;
    for (const char *p = start; p != NULL; p = strstr(p + 1, "', "))
        end = p;
    if (start == NULL || end == start)
        return false;
    start += 4;
    if (end <= start || (size_t)(end - start) >= cap)
        return false;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return true;
}

/* The arrays of other names an organisation or a `names` group may have
 * (docs/RULES.md): every kind counts as a name the registry carries. */
static const char *const name_kinds[] = {"aliases", "short_names", "former_names"};

/* Queues the names of the `names` groups of cfg ("id\0name" strings in
 * r->pending): their organisation may be in a file not read yet. */
static int
reg_queue_groups(evdata_reg_t *r, config_t *cfg)
{
    config_setting_t *list = config_lookup(cfg, "names");
    int n = list != NULL ? config_setting_length(list) : 0;
    for (int k = 0; k < n; k++) {
        config_setting_t *g = config_setting_get_elem(list, (unsigned)k);
        const char *id = NULL;
        if (config_setting_lookup_string(g, "id", &id) != CONFIG_TRUE)
            continue;
        for (size_t kk = 0; kk < sizeof name_kinds / sizeof name_kinds[0]; kk++) {
            config_setting_t *al = config_setting_lookup(g, name_kinds[kk]);
            for (int a = 0; al != NULL && a < config_setting_length(al); a++) {
                const char *s = config_setting_get_string_elem(al, a);
                if (s == NULL)
                    continue;
                size_t li = strlen(id), ls = strlen(s);
                char *e = malloc(li + ls + 2);
                if (e == NULL || ptrs_push(&r->pending, e) < 0) {
                    free(e);
                    return -1;
                }
                memcpy(e, id, li + 1);
                memcpy(e + li + 1, s, ls + 1);
            }
        }
    }
    return 0;
}

static int
reg_read_file(evdata_reg_t *r, const char *path, char *err, size_t cap)
{
    config_t cfg;
    config_init(&cfg);
    if (config_read_file(&cfg, path) != CONFIG_TRUE) {
        say(err, cap, "%s:%d: %s", path, config_error_line(&cfg), config_error_text(&cfg));
        config_destroy(&cfg);
        return -1;
    }
    int rc = 0;
    config_setting_t *list = config_lookup(&cfg, "organisations");
    int n = list != NULL ? config_setting_length(list) : 0;
    for (int k = 0; k < n && rc == 0; k++) {
        config_setting_t *o = config_setting_get_elem(list, (unsigned)k);
        const char *id = NULL, *name = NULL, *country = NULL;
        config_setting_lookup_string(o, "id", &id);
        config_setting_lookup_string(o, "name", &name);
        config_setting_lookup_string(o, "country", &country);
        if (id == NULL || name == NULL)
            continue;
        if (vec_grow(&r->orgs, &r->cap_orgs, r->n_orgs + 1, sizeof *r->orgs, 1024) != 0) {
            rc = -1;
            break;
        }
        size_t i = r->n_orgs++;
        r->orgs[i] = (reg_org_t){strdup(id), country ? strdup(country) : NULL, NULL, NULL, 0};
        if (r->orgs[i].id == NULL || (country != NULL && r->orgs[i].country == NULL) ||
            pairs_add(&r->ids, id, i) < 0 || reg_add_name(r, i, name) < 0) {
            rc = -1;
            break;
        }
        for (size_t kk = 0; kk < sizeof name_kinds / sizeof name_kinds[0] && rc == 0; kk++) {
            config_setting_t *al = config_setting_lookup(o, name_kinds[kk]);
            for (int a = 0; al != NULL && a < config_setting_length(al) && rc == 0; a++) {
                const char *s = config_setting_get_string_elem(al, a);
                if (s != NULL && reg_add_name(r, i, s) < 0)
                    rc = -1;
            }
        }
        char key[256];
        const char *v;
        config_setting_t *ids = config_setting_lookup(o, "ids");
        if (ids != NULL && config_setting_lookup_string(ids, "ofac", &v) == CONFIG_TRUE) {
            snprintf(key, sizeof key, "ofac:%s", v);
            if (pairs_add(&r->keys, key, i) < 0)
                rc = -1;
        }
        if (ids != NULL && config_setting_lookup_string(ids, "un", &v) == CONFIG_TRUE) {
            snprintf(key, sizeof key, "un:%s", v);
            if (pairs_add(&r->keys, key, i) < 0)
                rc = -1;
        }
        config_setting_t *src = config_setting_lookup(o, "sources");
        for (int s = 0; src != NULL && s < config_setting_length(src) && rc == 0; s++) {
            const char *t = config_setting_get_string_elem(src, s);
            char nm[200];
            if (t != NULL && nro_name(t, nm, sizeof nm)) {
                snprintf(key, sizeof key, "ca-nro:name:%s", nm);
                if (pairs_add(&r->keys, key, i) < 0)
                    rc = -1;
            }
        }
    }
    if (rc == 0)
        rc = reg_queue_groups(r, &cfg);
    if (rc < 0)
        say(err, cap, "out of memory");
    config_destroy(&cfg);
    return rc;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

evdata_reg_t *
evdata_reg_load(const char *dir, char *err, size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/registry", dir);
    DIR *d = opendir(path);
    if (d == NULL) {
        say(err, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    ptrs_t files = {0};
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".cfg") == 0) {
            char *f = strdup(e->d_name);
            if (f == NULL || ptrs_push(&files, f) < 0) {
                free(f);
                rc = -1;
            }
        }
    }
    closedir(d);
    if (files.n > 1)
        qsort(files.v, files.n, sizeof *files.v, name_cmp);
    evdata_reg_t *r = calloc(1, sizeof *r);
    if (r == NULL || rc < 0) {
        say(err, cap, "out of memory");
        rc = -1;
    }
    for (size_t i = 0; i < files.n && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/registry/%s", dir, (char *)files.v[i]);
        rc = reg_read_file(r, path, err, cap);
    }
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    if (rc == 0 && r->n_orgs == 0) {
        say(err, cap, "%s/registry: no organisations", dir);
        rc = -1;
    }
    if (rc < 0) {
        evdata_reg_destroy(&r);
        return NULL;
    }
    /* qsort's array may not be NULL, even for no elements. */
    if (r->ids.n > 1)
        qsort(r->ids.v, r->ids.n, sizeof *r->ids.v, pair_cmp);
    if (r->keys.n > 1)
        qsort(r->keys.v, r->keys.n, sizeof *r->keys.v, pair_cmp);
    /* The names groups' names, now that every organisation is known (a
     * group naming no organisation is the loader's error, not ours). */
    for (size_t i = 0; i < r->pending.n && rc == 0; i++) {
        const char *id = r->pending.v[i];
        const pair_t *p = pairs_find(&r->ids, id);
        if (p != NULL && reg_add_name(r, p->org, id + strlen(id) + 1) < 0) {
            say(err, cap, "out of memory");
            rc = -1;
        }
    }
    if (rc < 0) {
        evdata_reg_destroy(&r);
        return NULL;
    }
    if (r->names.n > 1)
        qsort(r->names.v, r->names.n, sizeof *r->names.v, pair_cmp);
    return r;
}

void
evdata_reg_destroy(evdata_reg_t **rp)
{
    if (rp == NULL || *rp == NULL)
        return;
    evdata_reg_t *r = *rp;
    for (size_t i = 0; i < r->n_orgs; i++) {
        free(r->orgs[i].id);
        free(r->orgs[i].country);
        for (size_t k = 0; k < r->orgs[i].n_norms; k++) {
            free(r->orgs[i].norms[k]);
            free(r->orgs[i].cores[k]);
        }
        free(r->orgs[i].norms);
        free(r->orgs[i].cores);
    }
    free(r->orgs);
    pairs_free(&r->ids);
    pairs_free(&r->keys);
    pairs_free(&r->names);
    for (size_t i = 0; i < r->pending.n; i++)
        free(r->pending.v[i]);
    free(r->pending.v);
    free(r);
    *rp = NULL;
}

size_t
evdata_reg_count(const evdata_reg_t *r)
{
    return r->n_orgs;
}

long
evdata_reg_find(const evdata_reg_t *r, const char *id)
{
    const pair_t *p = pairs_find(&r->ids, id);
    return p ? (long)p->org : -1;
}

const char *
evdata_reg_id(const evdata_reg_t *r, size_t i)
{
    return r->orgs[i].id;
}

const char *
evdata_reg_country(const evdata_reg_t *r, size_t i)
{
    return r->orgs[i].country;
}

long
evdata_reg_by_key(const evdata_reg_t *r, const char *key)
{
    const pair_t *p = pairs_find(&r->keys, key);
    return p ? (long)p->org : -1;
}

bool
evdata_reg_carries(const evdata_reg_t *r, size_t i, const char *norm)
{
    for (size_t k = 0; k < r->orgs[i].n_norms; k++)
        if (strcmp(r->orgs[i].norms[k], norm) == 0)
            return true;
    return false;
}

bool
evdata_reg_carries_core(const evdata_reg_t *r, size_t i, const char *core)
{
    if (core[0] == '\0')
        return false;
    for (size_t k = 0; k < r->orgs[i].n_norms; k++)
        if (strcmp(r->orgs[i].cores[k], core) == 0)
            return true;
    return false;
}

size_t
evdata_reg_carriers(const evdata_reg_t *r, const char *norm, size_t *idx, size_t max)
{
    const pair_t *p = pairs_find(&r->names, norm);
    size_t n = 0;
    for (; p != NULL && p < r->names.v + r->names.n && strcmp(p->key, norm) == 0; p++) {
        if (n < max)
            idx[n] = p->org;
        n++;
    }
    return n;
}

/* ---- the sources ------------------------------------------------------- */

struct evdata_src {
    ptrs_t orgs; /* evdata_org_t * */
};

static void
org_free(evdata_org_t *o)
{
    if (o == NULL)
        return;
    free(o->key);
    free(o->ref);
    free(o->country);
    for (size_t i = 0; i < o->n_names; i++)
        free(o->names[i]);
    free(o->names);
    free(o);
}

static evdata_org_t *
org_new(evdata_src_t *s, const char *list, const char *key, const char *ref)
{
    evdata_org_t *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->list = list;
    o->key = strdup(key);
    o->ref = strdup(ref);
    if (o->key == NULL || o->ref == NULL || ptrs_push(&s->orgs, o) < 0) {
        org_free(o);
        return NULL;
    }
    return o;
}

/* Adds one name (trimmed; skipped when empty or a repeat of the same
 * text). Returns 0 or -1 (out of memory). */
static int
org_add_one(evdata_org_t *o, const char *name, size_t len)
{
    char buf[NAME_MAX_BYTES];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, name, len);
    buf[len] = '\0';
    char *t = trim(buf);
    if (t[0] == '\0')
        return 0;
    for (size_t i = 0; i < o->n_names; i++)
        if (strcmp(o->names[i], t) == 0)
            return 0;
    char **nv = realloc(o->names, (o->n_names + 1) * sizeof *nv);
    if (nv == NULL)
        return -1;
    o->names = nv;
    if ((o->names[o->n_names] = strdup(t)) == NULL)
        return -1;
    o->n_names++;
    return 0;
}

/* Adds name, split at " ; " / ";" when it holds several names. */
static int
org_add_name(evdata_org_t *o, const char *name)
{
    const char *p = name;
    for (;;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        if (org_add_one(o, p, len) < 0)
            return -1;
        if (semi == NULL)
            return 0;
        p = semi + 1;
    }
}

/* The sources are read by vet-import's readers (tools/import: nro.h,
 * ofac.h, un.h); what a source calls a name is decided here. */

/* Reads the file at path into *f (f->data: caller frees). */
static int
read_source(const char *path, imp_file_t *f, char *err, size_t cap)
{
    f->path = path;
    f->data = imp_read_file(path, &f->len);
    if (f->data == NULL) {
        say(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* -- Canada NRO TSV: name, country, aliases; row N is line N. */

static int
nro_org(void *ctx, const imp_file_t *f, nro_row_t *row, sbuf_t *err)
{
    (void)f;
    evdata_src_t *s = ctx;
    /* The key the registry's sources give it (nro_name): the name as
     * published, trimmed as vet-import trims it. */
    char key[256], ref[64];
    const char *nm = row->name;
    while (*nm != '\0' && strchr(" \t\r\n\v\f", *nm) != NULL)
        nm++;
    size_t nl = strlen(nm);
    while (nl > 0 && strchr(" \t\r\n\v\f", nm[nl - 1]) != NULL)
        nl--;
    snprintf(key, sizeof key, "ca-nro:name:%.*s", (int)nl, nm);
    snprintf(ref, sizeof ref, "row %lu", row->line);
    evdata_org_t *o = org_new(s, "ca-nro", key, ref);
    const char *cc = country_lookup(row->country);
    if (o == NULL || org_add_name(o, row->name) < 0 || org_add_name(o, row->aliases) < 0 ||
        (cc != NULL && (o->country = strdup(cc)) == NULL)) {
        sbuf_puts(err, "out of memory");
        return -1;
    }
    return 0;
}

static int
load_nro(evdata_src_t *s, const char *path, char *err, size_t cap)
{
    imp_file_t f;
    if (read_source(path, &f, err, cap) < 0)
        return -1;
    sbuf_t e = SBUF_INIT;
    int rc = nro_read(&f, nro_org, s, &e);
    if (rc < 0)
        say(err, cap, "%s", e.data ? e.data : "out of memory");
    sbuf_free(&e);
    free((char *)f.data);
    return rc;
}

/* -- OFAC legacy CSV: the entities of sdn.csv (type "-0-") with the names
 * alt.csv gives them. */

static int
load_ofac(evdata_src_t *s, const char *dir, char *err, size_t cap)
{
    sbuf_t e = SBUF_INIT;
    ofac_list_t *l = ofac_list_load(dir, &e);
    int rc = 0;
    if (l == NULL) {
        say(err, cap, "%s", e.data ? e.data : "out of memory");
        rc = -1;
    }
    sbuf_free(&e);
    size_t n = 0;
    const ofac_ent_t *ents = l != NULL ? ofac_list_ents(l, &n) : NULL;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (ents[i].type[0] != '\0')
            continue; /* individual, vessel, aircraft */
        char key[64], ref[64];
        snprintf(key, sizeof key, "ofac:%s", ents[i].ent_num);
        snprintf(ref, sizeof ref, "ent_num %s", ents[i].ent_num);
        evdata_org_t *o = org_new(s, "us-sdn", key, ref);
        rc = o == NULL || org_add_name(o, ents[i].name) < 0 ? -1 : 0;
        for (size_t k = 0; rc == 0 && k < ents[i].n_aliases; k++)
            rc = org_add_name(o, ents[i].aliases[k]);
        if (rc < 0)
            say(err, cap, "out of memory");
    }
    ofac_list_destroy(&l);
    return rc;
}

/* -- UN consolidated XML: ENTITY records. */

static int
un_org(void *ctx, const imp_file_t *f, const un_rec_t *rec, sbuf_t *err)
{
    (void)f;
    evdata_src_t *s = ctx;
    if (rec->person || rec->ref == NULL)
        return 0;
    char key[128], rf[128];
    snprintf(rf, sizeof rf, "%s", rec->ref);
    snprintf(key, sizeof key, "un:%s", trim(rf));
    evdata_org_t *o = org_new(s, "un-sc", key, trim(rf));
    int rc = o == NULL ? -1 : 0;
    if (rc == 0 && rec->names[0] != NULL)
        rc = org_add_name(o, rec->names[0]);
    if (rc == 0 && rec->orig != NULL)
        rc = org_add_name(o, rec->orig);
    for (size_t i = 0; rc == 0 && i < rec->n_aliases; i++)
        rc = org_add_name(o, rec->aliases[i]);
    if (rc < 0)
        sbuf_puts(err, "out of memory");
    return rc;
}

static int
load_un(evdata_src_t *s, const char *path, char *err, size_t cap)
{
    imp_file_t f;
    if (read_source(path, &f, err, cap) < 0)
        return -1;
    sbuf_t e = SBUF_INIT;
    int rc = un_read(&f, un_org, s, &e);
    if (rc < 0)
        say(err, cap, "%s", e.data ? e.data : "out of memory");
    sbuf_free(&e);
    free((char *)f.data);
    return rc;
}

evdata_src_t *
evdata_src_load(const char *data, char *err, size_t cap)
{
    evdata_src_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        say(err, cap, "out of memory");
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/canada_nro/nro_2024-09.tsv", data);
    int rc = load_nro(s, path, err, cap);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/ofac_sdn", data);
        rc = load_ofac(s, path, err, cap);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/un/UN_consolidated.xml", data);
        rc = load_un(s, path, err, cap);
    }
    if (rc < 0) {
        evdata_src_destroy(&s);
        return NULL;
    }
    return s;
}

void
evdata_src_destroy(evdata_src_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    evdata_src_t *s = *sp;
    for (size_t i = 0; i < s->orgs.n; i++)
        org_free(s->orgs.v[i]);
    free(s->orgs.v);
    free(s);
    *sp = NULL;
}

evdata_org_t *const *
evdata_src_orgs(const evdata_src_t *s, size_t *n)
{
    *n = s->orgs.n;
    return (evdata_org_t *const *)s->orgs.v;
}
