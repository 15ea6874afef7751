/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_csl.c -- US Consolidated Screening List CSV (trade.gov, 2018 and current layouts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "country.h"
#include "dates.h"
#include "import.h"

#define CSL_SLUG_MAX 48

/* The CSL's source lists, by the code in parentheses in its `source`
 * column ("Entity List (EL) - Bureau of Industry and Security"). */
typedef struct csl_list {
    const char *code;
    const char *id;
    const char *name;
    const char *authority;
    bool ofac;       /* entity_number is an OFAC ent_num */
    const char *url; /* where the list is published, when known */
} csl_list_t;

static const char BIS[] = "US Department of Commerce, Bureau of Industry and Security";
static const char STATE[] = "US Department of State";
static const char OFAC[] = IMP_OFAC_AUTHORITY;

static const csl_list_t csl_lists[] = {
    {"EL", "us-el", "Entity List", BIS, false, NULL},
    {"DPL", "us-dpl", "Denied Persons List", BIS, false, NULL},
    {"MEU", "us-meu", "Military End User List", BIS, false, NULL},
    {"UVL", "us-uvl", "Unverified List", BIS, false, NULL},
    {"ISN", "us-isn", "Nonproliferation Sanctions", STATE, false, NULL},
    {"DTC", "us-dtc", "ITAR Debarred", STATE, false, NULL},
    {"SDN", "us-sdn", IMP_SDN_NAME, OFAC, true, IMP_URL_OFAC_SDN},
    {"SSI", "us-ssi", "Sectoral Sanctions Identifications List", OFAC, true, NULL},
    {"FSE", "us-fse", "Foreign Sanctions Evaders List", OFAC, true, NULL},
    {"PLC", "us-plc", "Palestinian Legislative Council List", OFAC, true, NULL},
    {"CMIC", "us-cmic", "Non-SDN Chinese Military-Industrial Complex Companies List", OFAC, true,
     NULL},
    {"NS-MBS List", "us-mbs", "Non-SDN Menu-Based Sanctions List", OFAC, true, NULL},
    {"CAP", "us-cap", "Correspondent Account or Payable-Through Account Sanctions List", OFAC, true,
     NULL},
};

enum {
    COL_ID,
    COL_SOURCE,
    COL_ENT,
    COL_TYPE,
    COL_NAME,
    COL_ALT,
    COL_ADDR,
    COL_DOB,
    COL_NAT,
    COL_CIT,
    COL_FRN,
    COL_START,
    N_COLS
};

static const char *const col_names[N_COLS] = {"_id",
                                              "source",
                                              "entity_number",
                                              "type",
                                              "name",
                                              "alt_names",
                                              "addresses",
                                              "dates_of_birth",
                                              "nationalities",
                                              "citizenships",
                                              "federal_register_notice",
                                              "start_date"};

typedef struct csl {
    regw_t *w;
    const imp_opts_t *o;
    const imp_file_t *f;
    sbuf_t *err;
    int col[N_COLS]; /* column index, -1 if absent */
    size_t n_cols;
    bool header; /* the header row is still to come */
} csl_t;

static int
oom(csl_t *x)
{
    return imp_oom(x->err);
}

static const char *
field(const csl_t *x, char **fld, int col)
{
    return x->col[col] < 0 ? "" : fld[x->col[col]];
}

static const csl_list_t *
find_list(const char *source)
{
    const char *open = strchr(source, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    if (close == NULL)
        return NULL;
    size_t n = (size_t)(close - open - 1);
    for (size_t i = 0; i < sizeof csl_lists / sizeof csl_lists[0]; i++)
        if (strlen(csl_lists[i].code) == n && strncmp(open + 1, csl_lists[i].code, n) == 0)
            return &csl_lists[i];
    return NULL;
}

/* Trims spaces at both ends, in place. */
static char *
trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

/* Entity List names carry legal phrases after "; " ("and any successor,
 * sub-unit, or subsidiary thereof"): not names. */
static bool
is_phrase(const char *s)
{
    return strncasecmp(s, "and any successor", 17) == 0 || strncasecmp(s, "any successor", 13) == 0;
}

/* Splits s (modified) on "; " and adds each part: the first real part as
 * the name when name is true, the others as aliases, leading "and "
 * dropped ("...; and CETC Research"). */
static int
add_names(csl_t *x, regw_org_t *o, char *s, bool name)
{
    while (s != NULL && *s != '\0') {
        char *next = strstr(s, "; ");
        if (next != NULL) {
            *next = '\0';
            next += 2;
        }
        char *part = trim(s);
        if (strncmp(part, "and ", 4) == 0)
            part = trim(part + 4);
        if (part[0] != '\0' && !is_phrase(part)) {
            if (name) {
                if (regw_org_set_name(o, part) < 0)
                    return oom(x);
                name = false;
            } else if (regw_org_add_alias(o, part) < 0) {
                return oom(x);
            }
        }
        s = next;
    }
    return 0;
}

/* The one country all addresses end in ("..., Moscow, 115035, RU"), or
 * NULL when none does or they differ. */
static const char *
address_country(char *addrs)
{
    const char *found = NULL;
    for (char *a = addrs; a != NULL && *a != '\0';) {
        char *next = strstr(a, "; ");
        if (next != NULL) {
            *next = '\0';
            next += 2;
        }
        char *last = strrchr(a, ',');
        char *tok = trim(last ? last + 1 : a);
        if (country_is_code(tok)) {
            if (found != NULL && strcmp(found, tok) != 0)
                return NULL;
            found = tok;
        }
        a = next;
    }
    return found;
}

/* A person's dates_of_birth ("1978-12-05; 1980", dates.h) and
 * nationalities and citizenships (ISO codes, "KP; RU"), each "; "
 * separated. s is modified. */
static int
person_facts(csl_t *x, regw_org_t *o, char *dobs, char *nats, char *cits)
{
    for (char *a = dobs, *next; a != NULL && *a != '\0'; a = next) {
        next = strstr(a, "; ");
        if (next != NULL) {
            *next = '\0';
            next += 2;
        }
        dates_t d;
        if (!dates_parse(trim(a), &d))
            regw_note(x->w, "dates of birth not understood (left out)");
        for (size_t i = 0; i < d.n; i++)
            if (regw_org_add_birth_date(o, d.v[i]) < 0)
                return oom(x);
    }
    char *lists[2] = {nats, cits};
    for (size_t k = 0; k < 2; k++)
        for (char *a = lists[k], *next; a != NULL && *a != '\0'; a = next) {
            next = strstr(a, "; ");
            if (next != NULL) {
                *next = '\0';
                next += 2;
            }
            const char *cc = trim(a);
            if (!country_is_code(cc))
                cc = country_lookup(cc);
            if (cc == NULL)
                regw_note(x->w, "nationalities with no ISO code (left out)");
            else if (regw_org_add_nationality(o, cc) < 0)
                return oom(x);
        }
    return 0;
}

static int
csl_row(csl_t *x, char **fld, unsigned long line)
{
    const char *source = field(x, fld, COL_SOURCE), *type = trim((char *)field(x, fld, COL_TYPE));
    const csl_list_t *l = find_list(source);
    if (l == NULL) {
        sbuf_printf(x->err, "%s:%lu: unknown source list \"%s\"", x->f->path, line, source);
        return -1;
    }
    const char *skip = NULL, *otype = NULL;
    if (strcmp(type, "Individual") == 0)
        otype = "individual";
    else if (strcmp(type, "Vessel") == 0)
        skip = "vessels", otype = "other";
    else if (strcmp(type, "Aircraft") == 0)
        skip = "aircraft", otype = "other";
    else if (type[0] != '\0' && strcmp(type, "Entity") != 0) {
        sbuf_printf(x->err, "%s:%lu: unknown type \"%s\"", x->f->path, line, type);
        return -1;
    }
    if (skip != NULL && !x->o->all) {
        regw_skip(x->w, skip);
        return 0;
    }
    char *name = fld[x->col[COL_NAME]];
    char *first = trim(name);
    if (first[0] == '\0' || is_phrase(first)) {
        regw_skip(x->w, "records without a name");
        return 0;
    }
    if (regw_add_list(x->w, l->id, l->name, l->authority, l->url, IMP_TERMS_US_GOV) < 0)
        return oom(x);
    const char *ent = trim((char *)field(x, fld, COL_ENT));
    const char *rid = trim((char *)field(x, fld, COL_ID));
    const char *short_id = l->id + 3; /* "us-el" -> "el" */
    char stem[CSL_SLUG_MAX + 32], id[CSL_SLUG_MAX + 48];
    if (ent[0] != '\0' && strspn(ent, "0123456789") == strlen(ent)) {
        snprintf(stem, sizeof stem, "csl-%s-%s", short_id, ent);
    } else {
        char slug[CSL_SLUG_MAX + 1];
        char *semi = strstr(first, "; ");
        if (semi != NULL)
            *semi = '\0';
        imp_slug(first, slug, CSL_SLUG_MAX);
        if (semi != NULL)
            *semi = ';';
        snprintf(stem, sizeof stem, "csl-%s-%s", short_id, slug[0] ? slug : "x");
    }
    /* Rows of one list can share a name (one per address): number them. */
    bool dup = true;
    regw_org_t *o = NULL;
    snprintf(id, sizeof id, "%s", stem);
    for (int k = 2; (o = regw_org_new(x->w, id, &dup)) == NULL && dup; k++)
        snprintf(id, sizeof id, "%s-%d", stem, k);
    if (o == NULL)
        return oom(x);
    /* The source names the published record, not a line of the download
     * (which moves with every edition): the list and its agency, the name
     * as listed, the Federal Register notice and start date the list
     * gives, and the record's own number (OFAC's ent_num, the CSL's _id). */
    sbuf_t src = SBUF_INIT;
    const char *semi = strstr(first, "; ");
    sbuf_printf(&src, "US Consolidated Screening List (trade.gov), %s (%s) of the %s: '%.*s'",
                l->name, l->code, l->authority,
                (int)(semi ? (size_t)(semi - first) : strlen(first)), first);
    const char *frn = trim((char *)field(x, fld, COL_FRN)),
               *start = trim((char *)field(x, fld, COL_START));
    if (frn[0] != '\0')
        sbuf_printf(&src, ", Federal Register %s", frn);
    if (start[0] != '\0')
        sbuf_printf(&src, ", start date %s", start);
    if (l->ofac && ent[0] != '\0')
        sbuf_printf(&src, ", ent_num %s", ent);
    if (rid[0] != '\0')
        sbuf_printf(&src, ", _id %s", rid);
    if (src.oom) {
        sbuf_free(&src);
        return oom(x);
    }
    if (add_names(x, o, first, true) < 0) {
        sbuf_free(&src);
        return -1;
    }
    if (x->col[COL_ALT] >= 0 && add_names(x, o, fld[x->col[COL_ALT]], false) < 0) {
        sbuf_free(&src);
        return -1;
    }
    const char *cc = x->col[COL_ADDR] >= 0 ? address_country(fld[x->col[COL_ADDR]]) : NULL;
    int r = 0;
    if ((cc != NULL && regw_org_set_country(o, cc) < 0) || regw_org_add_list(o, l->id) < 0 ||
        (l->ofac && ent[0] != '\0' && regw_org_add_id(o, "ofac", ent) < 0) ||
        (otype != NULL && regw_org_set_type(o, otype) < 0) ||
        (x->o->risk != NULL && regw_org_set_risk(o, x->o->risk) < 0) ||
        regw_org_add_source(o, src.data) < 0)
        r = oom(x);
    sbuf_free(&src);
    if (r < 0)
        return r;
    if (otype != NULL && strcmp(otype, "individual") == 0)
        return person_facts(x, o, x->col[COL_DOB] >= 0 ? fld[x->col[COL_DOB]] : NULL,
                            x->col[COL_NAT] >= 0 ? fld[x->col[COL_NAT]] : NULL,
                            x->col[COL_CIT] >= 0 ? fld[x->col[COL_CIT]] : NULL);
    return 0;
}

static int
csl_header(csl_t *x, char **fld, size_t n, unsigned long line)
{
    x->n_cols = n;
    for (int c = 0; c < N_COLS; c++) {
        x->col[c] = -1;
        for (size_t i = 0; i < n; i++) {
            /* A UTF-8 byte-order mark may precede the first name. */
            const char *h = fld[i];
            if (i == 0 && strncmp(h, "\xEF\xBB\xBF", 3) == 0)
                h += 3;
            if (strcmp(h, col_names[c]) == 0)
                x->col[c] = (int)i;
        }
    }
    static const int required[] = {COL_SOURCE, COL_TYPE, COL_NAME};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (x->col[required[i]] < 0) {
            sbuf_printf(x->err, "%s:%lu: header has no \"%s\" column", x->f->path, line,
                        col_names[required[i]]);
            return -1;
        }
    }
    return 0;
}

/* One record of the file: the header first, then the rows. */
static int
csl_record(void *ctx, char **fld, size_t n, unsigned long line, sbuf_t *err)
{
    csl_t *x = ctx;
    if (x->header) {
        x->header = false;
        return csl_header(x, fld, n, line);
    }
    if (n != x->n_cols) {
        sbuf_printf(err, "%s:%lu: expected %zu fields, got %zu", x->f->path, line, x->n_cols, n);
        return -1;
    }
    return csl_row(x, fld, line);
}

static int
csl_run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    for (size_t i = 0; i < n_files; i++) {
        csl_t x = {w, o, &files[i], err, {0}, 0, true};
        if (imp_csv_each(&files[i], ',', '"', csl_record, &x, err) < 0)
            return -1;
        if (x.header) {
            sbuf_printf(err, "%s:1: empty file: expected a header row", files[i].path);
            return -1;
        }
    }
    return 0;
}

const imp_format_t imp_csl = {
    "csl", "consolidated.csv... (trade.gov CSL CSV with header; one list per source list)",
    1,     16,
    false, csl_run};
