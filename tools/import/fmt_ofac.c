/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_ofac.c -- OFAC SDN legacy CSV (sdn.csv, alt.csv, add.csv) -> registry organisations. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "country.h"
#include "dates.h"
#include "import.h"
#include "ofac.h"
#include "smap.h"
#include "vec.h"

/* Per-entity country state while reading add.csv. */
typedef struct conv_cc {
    char *id;      /* "sdn-N", owned (the smap key) */
    char *country; /* the first country name seen, owned */
    bool several;  /* a second, different one was seen */
} conv_cc_t;

typedef struct conv {
    regw_t *w;
    const imp_opts_t *o;
    const char *list;
    sbuf_t *err;
    smap_t *cc_map;
    conv_cc_t *cc;
    size_t n_cc, cap_cc;
} conv_t;

static int
oom(conv_t *x)
{
    return imp_oom(x->err);
}

static int
bad(conv_t *x, const imp_file_t *f, unsigned long line, const char *what, const char *arg)
{
    sbuf_clear(x->err);
    sbuf_printf(x->err, "%s:%lu: %s \"%s\"", f->path, line, what, arg);
    return -1;
}

/* The value of a remark that starts with one of the labels ("DOB ",
 * "alt. DOB "), or NULL. */
static const char *
remark_value(const char *item, const char *const *labels)
{
    for (const char *const *l = labels; *l != NULL; l++) {
        size_t n = strlen(*l);
        if (strncmp(item, *l, n) == 0)
            return item + n;
    }
    return NULL;
}

/* An individual's dates of birth and nationalities from the remarks of
 * sdn.csv: "DOB 02 Mar 1965; alt. DOB 1966; POB Tehran, Iran; nationality
 * Iran; alt. citizen Iraq; ...". Dates read by dates_parse (dates.h: what
 * a range or a circa becomes); a nationality or a citizenship through the
 * country table ("possibly" dropped: an uncertain nationality widens what
 * agrees, never narrows it). What is not understood is counted. */
static int
person_remarks(conv_t *x, regw_org_t *o, const char *remarks)
{
    static const char *const dob[] = {"DOB ", "alt. DOB ", NULL};
    static const char *const nat[] = {"nationality ", "alt. nationality ", "citizen ",
                                      "alt. citizen ", NULL};
    char *buf = strdup(remarks);
    if (buf == NULL)
        return oom(x);
    int r = 0;
    for (char *p = buf, *next; p != NULL && r == 0; p = next) {
        next = strchr(p, ';');
        if (next != NULL)
            *next++ = '\0';
        while (*p == ' ')
            p++;
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '.'))
            p[--n] = '\0';
        const char *v;
        if ((v = remark_value(p, dob)) != NULL) {
            dates_t d;
            if (!dates_parse(v, &d))
                regw_note(x->w, "dates of birth not understood (left out)");
            for (size_t i = 0; i < d.n && r == 0; i++)
                if (regw_org_add_birth_date(o, d.v[i]) < 0)
                    r = oom(x);
        } else if ((v = remark_value(p, nat)) != NULL) {
            if (strncmp(v, "possibly ", 9) == 0)
                v += 9;
            const char *cc = country_lookup(v);
            if (cc == NULL)
                regw_note(x->w, "nationalities with no ISO code (left out)");
            else if (regw_org_add_nationality(o, cc) < 0)
                r = oom(x);
        }
    }
    free(buf);
    return r;
}

static int
sdn_row(void *ctx, const imp_file_t *f, const ofac_row_t *row, sbuf_t *err)
{
    (void)err;
    conv_t *x = ctx;
    const char *ent = row->ent_num, *name = row->name, *type = row->type;
    const char *otype = NULL, *skip = NULL;
    if (strcmp(type, "individual") == 0)
        otype = "individual";
    else if (strcmp(type, "vessel") == 0)
        skip = "vessels", otype = "other";
    else if (strcmp(type, "aircraft") == 0)
        skip = "aircraft", otype = "other";
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
        return dup ? bad(x, f, row->line, "duplicate ent_num", ent) : oom(x);
    /* The record's own number, which OFAC keeps for the life of the entry
     * (its Sanctions List Search shows it), not a line of a download that
     * changes with every edition; the edition is the list's as_of. */
    snprintf(src, sizeof src, IMP_OFAC_AUTHORITY ", " IMP_SDN_NAME ", ent_num %s", ent);
    if (regw_org_set_name(o, name) < 0 || regw_org_add_list(o, x->list) < 0 ||
        regw_org_add_id(o, "ofac", ent) < 0 || regw_org_add_source(o, src) < 0 ||
        (otype != NULL && regw_org_set_type(o, otype) < 0) ||
        (x->o->risk != NULL && regw_org_set_risk(o, x->o->risk) < 0))
        return oom(x);
    return otype != NULL && strcmp(otype, "individual") == 0 ? person_remarks(x, o, row->remarks)
                                                             : 0;
}

static int
alt_row(void *ctx, const imp_file_t *f, const ofac_row_t *row, sbuf_t *err)
{
    (void)f;
    (void)err;
    conv_t *x = ctx;
    char id[64];
    snprintf(id, sizeof id, "sdn-%s", row->ent_num);
    regw_org_t *o = regw_find(x->w, id);
    /* Names of records not written (vessels, aircraft) are not wanted. */
    if (o == NULL || row->name[0] == '\0')
        return 0;
    return regw_org_add_alias(o, row->name) < 0 ? oom(x) : 0;
}

static int
add_row(void *ctx, const imp_file_t *f, const ofac_row_t *row, sbuf_t *err)
{
    (void)f;
    (void)err;
    conv_t *x = ctx;
    const char *country = row->country;
    char id[64];
    snprintf(id, sizeof id, "sdn-%s", row->ent_num);
    if (country[0] == '\0' || regw_find(x->w, id) == NULL)
        return 0;
    int i = smap_get(x->cc_map, id);
    if (i >= 0) {
        conv_cc_t *s = &x->cc[i];
        if (strcasecmp(s->country, country) != 0)
            s->several = true;
        return 0;
    }
    if (vec_grow(&x->cc, &x->cap_cc, x->n_cc + 1, sizeof *x->cc, 256) != 0)
        return oom(x);
    conv_cc_t *s = &x->cc[x->n_cc];
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
set_countries(conv_t *x)
{
    for (size_t i = 0; i < x->n_cc; i++) {
        const conv_cc_t *s = &x->cc[i];
        if (s->several) {
            regw_note(x->w, "records with addresses in several countries (no country set)");
            continue;
        }
        const char *cc = country_lookup(s->country);
        if (cc == NULL) {
            regw_note(x->w, "records whose address country has no ISO code (no country set)");
            continue;
        }
        if (regw_org_set_country(regw_find(x->w, s->id), cc) < 0)
            return oom(x);
    }
    return 0;
}

static int
run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    conv_t x = {w, o, o->list_id ? o->list_id : "us-sdn", err, smap_new(), NULL, 0, 0};
    int r = x.cc_map ? 0 : oom(&x);
    if (r == 0 && regw_add_list(w, x.list, IMP_SDN_NAME, IMP_OFAC_AUTHORITY, IMP_URL_OFAC_SDN,
                                IMP_TERMS_US_GOV) < 0)
        r = oom(&x);
    if (r == 0)
        r = ofac_read(&files[0], OFAC_SDN, sdn_row, &x, err);
    if (r == 0 && n_files > 1)
        r = ofac_read(&files[1], OFAC_ALT, alt_row, &x, err);
    if (r == 0 && n_files > 2)
        r = ofac_read(&files[2], OFAC_ADD, add_row, &x, err);
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
    "ofac-sdn", "sdn.csv [alt.csv [add.csv]] (OFAC legacy CSV; list us-sdn)", 1, 3, true, run};
