/* evdata.c -- vet-eval's data: the NRO, OFAC SDN and UN sources, and the ruleset's registry. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <utf8proc.h>

#include "evdata.h"

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
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 16;
        void **nv = realloc(a->v, nc * sizeof *nv);
        if (nv == NULL)
            return -1;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = p;
    return 0;
}

/* Reads the whole file at path (NUL-terminated). Caller frees. */
static char *
slurp(const char *path, size_t *len, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        say(err, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, c = 0;
    for (;;) {
        if (n + 65536 + 1 > c) {
            c = (n + 65536 + 1) * 2;
            char *nb = realloc(buf, c);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                say(err, cap, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, 65536, f);
        n += r;
        if (r < 65536)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        say(err, cap, "%s: read error", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
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
    pairs_t ids;   /* id -> org */
    pairs_t keys;  /* source key -> org */
    pairs_t names; /* comparison form -> org */
};

static int
pairs_add(pairs_t *p, const char *key, size_t org)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 256;
        pair_t *nv = realloc(p->v, nc * sizeof *nv);
        if (nv == NULL)
            return -1;
        p->v = nv;
        p->cap = nc;
    }
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

/* The NRO row a sources entry names: "ca-nro: ..., row N" -> N, else 0. */
static long
nro_row(const char *src)
{
    if (strncmp(src, "ca-nro:", 7) != 0)
        return 0;
    const char *p = strstr(src, "row ");
    const char *last = NULL;
    while (p != NULL) {
        last = p;
        p = strstr(p + 4, "row ");
    }
    if (last == NULL)
        return 0;
    char *end;
    long n = strtol(last + 4, &end, 10);
    return end != last + 4 && *end == '\0' ? n : 0;
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
        if (r->n_orgs == r->cap_orgs) {
            size_t nc = r->cap_orgs ? r->cap_orgs * 2 : 1024;
            reg_org_t *nv = realloc(r->orgs, nc * sizeof *nv);
            if (nv == NULL)
                return -1;
            r->orgs = nv;
            r->cap_orgs = nc;
        }
        size_t i = r->n_orgs++;
        r->orgs[i] = (reg_org_t){strdup(id), country ? strdup(country) : NULL, NULL, NULL, 0};
        if (r->orgs[i].id == NULL || (country != NULL && r->orgs[i].country == NULL) ||
            pairs_add(&r->ids, id, i) < 0 || reg_add_name(r, i, name) < 0) {
            rc = -1;
            break;
        }
        config_setting_t *al = config_setting_lookup(o, "aliases");
        for (int a = 0; al != NULL && a < config_setting_length(al) && rc == 0; a++) {
            const char *s = config_setting_get_string_elem(al, a);
            if (s != NULL && reg_add_name(r, i, s) < 0)
                rc = -1;
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
            long row = t != NULL ? nro_row(t) : 0;
            if (row > 0) {
                snprintf(key, sizeof key, "ca-nro:row:%ld", row);
                if (pairs_add(&r->keys, key, i) < 0)
                    rc = -1;
            }
        }
    }
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
    qsort(r->ids.v, r->ids.n, sizeof *r->ids.v, pair_cmp);
    qsort(r->keys.v, r->keys.n, sizeof *r->keys.v, pair_cmp);
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

/* -- Canada NRO TSV: name, country, aliases ("; " separated), header row. */

static const struct {
    const char *label;
    const char *iso;
} nro_countries[] = {
    {"People\xE2\x80\x99s Republic of China", "CN"},
    {"People's Republic of China", "CN"},
    {"Iran", "IR"},
    {"Russia", "RU"},
};

static int
load_nro(evdata_src_t *s, const char *path, char *err, size_t cap)
{
    size_t len;
    char *data = slurp(path, &len, err, cap);
    if (data == NULL)
        return -1;
    long line = 0;
    int rc = 0;
    for (char *p = data; *p != '\0' && rc == 0;) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        line++;
        char *row = p;
        p = nl ? nl + 1 : p + strlen(p);
        if (line == 1 || trim(row)[0] == '\0')
            continue;
        char *name = row, *country = strchr(row, '\t'), *aliases = NULL;
        if (country == NULL) {
            say(err, cap, "%s:%ld: expected name<TAB>country<TAB>aliases", path, line);
            rc = -1;
            break;
        }
        *country++ = '\0';
        aliases = strchr(country, '\t');
        if (aliases != NULL)
            *aliases++ = '\0';
        char key[64], ref[64];
        snprintf(key, sizeof key, "ca-nro:row:%ld", line);
        snprintf(ref, sizeof ref, "row %ld", line);
        evdata_org_t *o = org_new(s, "ca-nro", key, ref);
        if (o == NULL || org_add_name(o, name) < 0 ||
            (aliases != NULL && org_add_name(o, aliases) < 0)) {
            rc = -1;
            say(err, cap, "out of memory");
            break;
        }
        for (size_t i = 0; i < sizeof nro_countries / sizeof nro_countries[0]; i++)
            if (strcmp(trim(country), nro_countries[i].label) == 0)
                o->country = strdup(nro_countries[i].iso);
    }
    free(data);
    return rc;
}

/* -- OFAC legacy CSV: no header, quoted fields, "-0-" for empty. */

typedef int (*csv_row_fn)(void *ctx, char **f, size_t n, long line);

/* Calls fn for each record of data (modified in place). A final ^Z is
 * ignored. Returns fn's first non-zero result, or 0. */
static int
csv_each(char *data, csv_row_fn fn, void *ctx)
{
    enum { MAXF = 32 };
    char *f[MAXF];
    size_t n = 0;
    long line = 1, start = 1;
    char *p = data, *w = data;
    f[n++] = w;
    bool any = false;
    while (*p != '\0') {
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    break;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    if (*p == '\n')
                        line++;
                    *w++ = *p++;
                }
            }
            any = true;
            continue;
        }
        if (*p == ',') {
            *w++ = '\0';
            p++;
            if (n < MAXF)
                f[n++] = w;
            any = true;
            continue;
        }
        if (*p == '\r' || *p == '\n') {
            bool nlc = *p == '\n';
            p++;
            if (!nlc)
                continue;
            *w++ = '\0';
            if (any) {
                int r = fn(ctx, f, n, start);
                if (r != 0)
                    return r;
            }
            line++;
            start = line;
            w = p;
            n = 0;
            f[n++] = w;
            any = false;
            continue;
        }
        if (*p == 0x1A) {
            p++;
            continue;
        }
        *w++ = *p++;
        any = true;
    }
    *w = '\0';
    if (any)
        return fn(ctx, f, n, start);
    return 0;
}

typedef struct ofac_ctx {
    evdata_src_t *s;
    size_t first; /* index of the first SDN org in s->orgs */
    const char *path;
    char *err;
    size_t cap;
} ofac_ctx_t;

static bool
empty_field(const char *f)
{
    char buf[8];
    snprintf(buf, sizeof buf, "%s", f);
    char *t = trim(buf);
    return t[0] == '\0' || strcmp(t, "-0-") == 0;
}

static int
sdn_row(void *ctx, char **f, size_t n, long line)
{
    ofac_ctx_t *c = ctx;
    if (n < 3) {
        say(c->err, c->cap, "%s:%ld: expected at least 3 fields", c->path, line);
        return -1;
    }
    if (!empty_field(f[2]))
        return 0; /* individual, vessel, aircraft */
    char key[64], ref[64];
    snprintf(key, sizeof key, "ofac:%s", trim(f[0]));
    snprintf(ref, sizeof ref, "ent_num %s", trim(f[0]));
    evdata_org_t *o = org_new(c->s, "us-sdn", key, ref);
    if (o == NULL || org_add_name(o, f[1]) < 0) {
        say(c->err, c->cap, "out of memory");
        return -1;
    }
    return 0;
}

static int
org_key_cmp(const void *a, const void *b)
{
    const evdata_org_t *x = *(evdata_org_t *const *)a, *y = *(evdata_org_t *const *)b;
    return strcmp(x->key, y->key);
}

typedef struct alt_ctx {
    ofac_ctx_t *c;
    evdata_org_t **sorted; /* SDN orgs sorted by key */
    size_t n;
} alt_ctx_t;

static int
alt_row(void *ctx, char **f, size_t n, long line)
{
    alt_ctx_t *a = ctx;
    if (n < 4) {
        say(a->c->err, a->c->cap, "%s:%ld: expected at least 4 fields", a->c->path, line);
        return -1;
    }
    char key[64];
    snprintf(key, sizeof key, "ofac:%s", trim(f[0]));
    evdata_org_t probe = {.key = key}, *pp = &probe;
    evdata_org_t **hit = bsearch(&pp, a->sorted, a->n, sizeof *a->sorted, org_key_cmp);
    if (hit == NULL)
        return 0; /* an alias of an individual, vessel or aircraft */
    if (!empty_field(f[3]) && org_add_name(*hit, f[3]) < 0) {
        say(a->c->err, a->c->cap, "out of memory");
        return -1;
    }
    return 0;
}

static int
load_ofac(evdata_src_t *s, const char *dir, char *err, size_t cap)
{
    char sdn[4200], alt[4200];
    snprintf(sdn, sizeof sdn, "%s/sdn.csv", dir);
    snprintf(alt, sizeof alt, "%s/alt.csv", dir);
    size_t len;
    char *data = slurp(sdn, &len, err, cap);
    if (data == NULL)
        return -1;
    ofac_ctx_t c = {s, s->orgs.n, sdn, err, cap};
    int rc = csv_each(data, sdn_row, &c);
    free(data);
    if (rc != 0)
        return -1;
    data = slurp(alt, &len, err, cap);
    if (data == NULL)
        return -1;
    size_t n = s->orgs.n - c.first;
    evdata_org_t **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (sorted == NULL) {
        free(data);
        say(err, cap, "out of memory");
        return -1;
    }
    memcpy(sorted, s->orgs.v + c.first, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, org_key_cmp);
    c.path = alt;
    alt_ctx_t a = {&c, sorted, n};
    rc = csv_each(data, alt_row, &a);
    free(sorted);
    free(data);
    return rc != 0 ? -1 : 0;
}

/* -- UN consolidated XML: ENTITY records. */

static xmlNode *
child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

/* Adds the text of element n (if any) as a name of o. */
static int
add_text(evdata_org_t *o, xmlNode *n)
{
    if (n == NULL)
        return 0;
    xmlChar *t = xmlNodeGetContent(n);
    if (t == NULL)
        return 0;
    int rc = org_add_name(o, (const char *)t);
    xmlFree(t);
    return rc;
}

static int
un_entity(evdata_src_t *s, xmlNode *e)
{
    xmlNode *refn = child(e, "REFERENCE_NUMBER");
    xmlChar *ref = refn ? xmlNodeGetContent(refn) : NULL;
    if (ref == NULL)
        return 0;
    char key[128], rf[128];
    snprintf(rf, sizeof rf, "%s", (const char *)ref);
    snprintf(key, sizeof key, "un:%s", trim(rf));
    xmlFree(ref);
    evdata_org_t *o = org_new(s, "un-sc", key, trim(rf));
    if (o == NULL || add_text(o, child(e, "FIRST_NAME")) < 0 ||
        add_text(o, child(e, "NAME_ORIGINAL_SCRIPT")) < 0)
        return -1;
    for (xmlNode *c = e->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "ENTITY_ALIAS") == 0 &&
            add_text(o, child(c, "ALIAS_NAME")) < 0)
            return -1;
    return 0;
}

static int
load_un(evdata_src_t *s, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        say(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    fclose(f);
    xmlDoc *doc = xmlReadFile(
        path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
    if (doc == NULL) {
        say(err, cap, "%s: not well-formed XML", path);
        return -1;
    }
    int rc = 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *ents = root ? child(root, "ENTITIES") : NULL;
    for (xmlNode *e = ents ? ents->children : NULL; e != NULL && rc == 0; e = e->next)
        if (e->type == XML_ELEMENT_NODE && strcmp((const char *)e->name, "ENTITY") == 0)
            rc = un_entity(s, e);
    xmlFreeDoc(doc);
    if (rc < 0)
        say(err, cap, "out of memory");
    else if (ents == NULL) {
        say(err, cap, "%s: no ENTITIES element", path);
        rc = -1;
    }
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
