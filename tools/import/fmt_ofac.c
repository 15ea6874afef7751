/* fmt_ofac.c -- OFAC SDN legacy CSV (sdn.csv, alt.csv, add.csv) -> registry organisations. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "country.h"
#include "csv.h"
#include "import.h"
#include "smap.h"

#define SDN_FIELDS 12
#define ALT_FIELDS 5
#define ADD_FIELDS 6

/* Per-entity country state while reading add.csv. */
typedef struct ofac_cc {
    char *id;               /* "sdn-N", owned (the smap key) */
    char *country;          /* the first country name seen, owned */
    bool several;           /* a second, different one was seen */
} ofac_cc_t;

typedef struct ofac {
    regw_t *w;
    const imp_opts_t *o;
    const char *list;
    sbuf_t *err;
    smap_t *cc_map;
    ofac_cc_t *cc;
    size_t n_cc, cap_cc;
} ofac_t;

/* Trims spaces in place and maps OFAC's empty marker "-0-" to "". */
static char *
val(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    if (strcmp(s, "-0-") == 0)
        s[0] = '\0';
    return s;
}

static bool
all_digits(const char *s)
{
    return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

static int
oom(ofac_t *x)
{
    return imp_oom(x->err);
}

static int
bad(ofac_t *x, const imp_file_t *f, int line, const char *what, const char *arg)
{
    sbuf_clear(x->err);
    sbuf_printf(x->err, "%s:%d: %s", f->path, line, what);
    if (arg != NULL)
        sbuf_printf(x->err, " \"%s\"", arg);
    return -1;
}

/* Reads f record by record, checking the column count, calling fn. */
static int
each(ofac_t *x, const imp_file_t *f, size_t want,
     int (*fn)(ofac_t *, const imp_file_t *, char **, int))
{
    csv_t *c = csv_new(f->data, f->len, ',', '"', f->path);
    if (c == NULL)
        return oom(x);
    char **fld;
    size_t n;
    int line, r;
    while ((r = csv_next(c, &fld, &n, &line)) == 1) {
        if (n != want) {
            sbuf_clear(x->err);
            sbuf_printf(x->err, "%s:%d: expected %zu fields, got %zu", f->path, line, want, n);
            r = -1;
            break;
        }
        if ((r = fn(x, f, fld, line)) < 0)
            break;
    }
    if (r < 0 && csv_error(c)[0] != '\0') {
        sbuf_clear(x->err);
        sbuf_puts(x->err, csv_error(c));
    }
    csv_destroy(&c);
    return r < 0 ? -1 : 0;
}

static int
sdn_row(ofac_t *x, const imp_file_t *f, char **fld, int line)
{
    const char *ent = val(fld[0]), *name = val(fld[1]), *type = val(fld[2]);
    if (!all_digits(ent))
        return bad(x, f, line, "ent_num is not a number:", ent);
    const char *otype = NULL, *skip = NULL;
    if (type[0] == '\0')
        otype = NULL;
    else if (strcmp(type, "individual") == 0)
        skip = "individuals", otype = "individual";
    else if (strcmp(type, "vessel") == 0)
        skip = "vessels", otype = "other";
    else if (strcmp(type, "aircraft") == 0)
        skip = "aircraft", otype = "other";
    else
        return bad(x, f, line, "unknown SDN type", type);
    if (skip != NULL && !x->o->all) {
        regw_skip(x->w, skip);
        return 0;
    }
    if (name[0] == '\0') {
        regw_skip(x->w, "records without a name");
        return 0;
    }
    char id[64], src[256];
    snprintf(id, sizeof id, "sdn-%s", ent);
    bool dup;
    regw_org_t *o = regw_org_new(x->w, id, &dup);
    if (o == NULL)
        return dup ? bad(x, f, line, "duplicate ent_num", ent) : oom(x);
    snprintf(src, sizeof src, "OFAC SDN %s line %d, ent_num %s", imp_basename(f->path), line, ent);
    if (regw_org_set_name(o, name) < 0 || regw_org_add_list(o, x->list) < 0
        || regw_org_add_id(o, "ofac", ent) < 0 || regw_org_add_source(o, src) < 0
        || (otype != NULL && regw_org_set_type(o, otype) < 0)
        || (x->o->risk != NULL && regw_org_set_risk(o, x->o->risk) < 0))
        return oom(x);
    return 0;
}

static int
alt_row(ofac_t *x, const imp_file_t *f, char **fld, int line)
{
    const char *ent = val(fld[0]), *alias = val(fld[3]);
    if (!all_digits(ent))
        return bad(x, f, line, "ent_num is not a number:", ent);
    char id[64];
    snprintf(id, sizeof id, "sdn-%s", ent);
    regw_org_t *o = regw_find(x->w, id);
    /* Names of records not written (individuals...) are not wanted. */
    if (o == NULL || alias[0] == '\0')
        return 0;
    return regw_org_add_alias(o, alias) < 0 ? oom(x) : 0;
}

static int
add_row(ofac_t *x, const imp_file_t *f, char **fld, int line)
{
    const char *ent = val(fld[0]), *country = val(fld[4]);
    if (!all_digits(ent))
        return bad(x, f, line, "ent_num is not a number:", ent);
    char id[64];
    snprintf(id, sizeof id, "sdn-%s", ent);
    if (country[0] == '\0' || regw_find(x->w, id) == NULL)
        return 0;
    int i = smap_get(x->cc_map, id);
    if (i >= 0) {
        ofac_cc_t *s = &x->cc[i];
        if (strcasecmp(s->country, country) != 0)
            s->several = true;
        return 0;
    }
    if (x->n_cc == x->cap_cc) {
        size_t cap = x->cap_cc ? x->cap_cc * 2 : 256;
        ofac_cc_t *nc = realloc(x->cc, cap * sizeof *nc);
        if (nc == NULL)
            return oom(x);
        x->cc = nc;
        x->cap_cc = cap;
    }
    ofac_cc_t *s = &x->cc[x->n_cc];
    s->id = strdup(id);
    s->country = strdup(country);
    s->several = false;
    if (s->id == NULL || s->country == NULL) {
        free(s->id);
        free(s->country);
        return oom(x);
    }
    x->n_cc++;
    if (smap_put(x->cc_map, s->id, (int)(x->n_cc - 1), NULL) < 0)
        return oom(x);
    return 0;
}

/* Country: only when every address of the entity names the same one. */
static int
set_countries(ofac_t *x)
{
    for (size_t i = 0; i < x->n_cc; i++) {
        const ofac_cc_t *s = &x->cc[i];
        if (s->several) {
            regw_note(x->w, "entities with addresses in several countries (no country set)");
            continue;
        }
        const char *cc = country_lookup(s->country);
        if (cc == NULL) {
            regw_note(x->w, "entities whose address country has no ISO code (no country set)");
            continue;
        }
        if (regw_org_set_country(regw_find(x->w, s->id), cc) < 0)
            return oom(x);
    }
    return 0;
}

static int
ofac_run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    ofac_t x = { w, o, o->list_id ? o->list_id : "us-sdn", err, smap_new(), NULL, 0, 0 };
    int r = x.cc_map ? 0 : oom(&x);
    if (r == 0 && regw_add_list(w, x.list, IMP_SDN_NAME, IMP_OFAC_AUTHORITY, IMP_URL_OFAC_SDN) < 0)
        r = oom(&x);
    if (r == 0)
        r = each(&x, &files[0], SDN_FIELDS, sdn_row);
    if (r == 0 && n_files > 1)
        r = each(&x, &files[1], ALT_FIELDS, alt_row);
    if (r == 0 && n_files > 2)
        r = each(&x, &files[2], ADD_FIELDS, add_row);
    if (r == 0)
        r = set_countries(&x);
    for (size_t i = 0; i < x.n_cc; i++) {
        free(x.cc[i].id);
        free(x.cc[i].country);
    }
    free(x.cc);
    smap_destroy(&x.cc_map);
    return r;
}

const imp_format_t imp_ofac_sdn = {
    "ofac-sdn", "sdn.csv [alt.csv [add.csv]] (OFAC legacy CSV; list us-sdn)", 1, 3, true,
    ofac_run
};
