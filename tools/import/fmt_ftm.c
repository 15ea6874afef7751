/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_ftm.c -- OpenSanctions / FollowTheMoney entities, JSON lines -> registry organisations. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "country.h"
#include "dates.h"
#include "import.h"

#define FTM_SLUG_MAX 56

typedef struct ftm {
    regw_t *w;
    const imp_opts_t *o;
    const imp_file_t *f;
    const char *list;
    sbuf_t *err;
} ftm_t;

/* Schemas kept as organisations; the others are counted, not written. */
static const char *const org_schemas[] = {"Organization", "Company", "LegalEntity", "PublicBody"};

/* FollowTheMoney identifier properties -> ids schemes of the registry. */
static const struct {
    const char *prop;
    const char *scheme;
} id_props[] = {
    {"leiCode", "lei"},
    {"innCode", "inn"},
    {"ogrnCode", "ogrn"},
    {"swiftBic", "bic"},
};

static int
oom(ftm_t *x)
{
    return imp_oom(x->err);
}

static int
bad(ftm_t *x, int line, const char *what)
{
    sbuf_clear(x->err);
    sbuf_printf(x->err, "%s:%d: %s", x->f->path, line, what);
    return -1;
}

/* The string values of property name, or NULL; a non-array is malformed
 * (*bad_prop set). */
static const cJSON *
prop(const cJSON *props, const char *name, bool *bad_prop)
{
    const cJSON *v = props ? cJSON_GetObjectItemCaseSensitive(props, name) : NULL;
    if (v != NULL && !cJSON_IsArray(v)) {
        *bad_prop = true;
        return NULL;
    }
    return v;
}

static int
add_values(ftm_t *x, regw_org_t *o, const cJSON *arr, bool first_is_name)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsString(v))
            continue;
        int r = first_is_name ? regw_org_set_name(o, v->valuestring)
                              : regw_org_add_alias(o, v->valuestring);
        if (r < 0)
            return oom(x);
        first_is_name = false;
    }
    return 0;
}

static int
entity(ftm_t *x, const cJSON *e, int line)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(e, "schema");
    const cJSON *fid = cJSON_GetObjectItemCaseSensitive(e, "id");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(e, "properties");
    if (!cJSON_IsString(schema))
        return bad(x, line, "entity without a \"schema\" string");
    if (!cJSON_IsString(fid) || fid->valuestring[0] == '\0')
        return bad(x, line, "entity without an \"id\" string");
    if (props != NULL && !cJSON_IsObject(props))
        return bad(x, line, "\"properties\" is not an object");
    const char *s = schema->valuestring, *skip = NULL, *otype = NULL;
    bool keep = false;
    for (size_t i = 0; i < sizeof org_schemas / sizeof org_schemas[0]; i++)
        keep = keep || strcmp(s, org_schemas[i]) == 0;
    if (strcmp(s, "Person") == 0)
        otype = "individual";
    else if (strcmp(s, "Vessel") == 0)
        skip = "vessels", otype = "other";
    else if (strcmp(s, "Airplane") == 0)
        skip = "aircraft", otype = "other";
    else if (!keep) {
        regw_skip(x->w, "records of other schemas (sanctions, addresses, links...)");
        return 0;
    }
    if (skip != NULL && !x->o->all) {
        regw_skip(x->w, skip);
        return 0;
    }
    bool badp = false;
    const cJSON *names = prop(props, "name", &badp);
    const cJSON *first = NULL;
    cJSON_ArrayForEach(first,
                       names) if (cJSON_IsString(first) && first->valuestring[0] != '\0') break;
    if (badp)
        return bad(x, line, "property \"name\" is not an array");
    if (first == NULL) {
        regw_skip(x->w, "records without a name");
        return 0;
    }
    char slug[FTM_SLUG_MAX + 1], id[FTM_SLUG_MAX + 8], src[320];
    imp_id_frag(fid->valuestring, slug, sizeof slug);
    snprintf(id, sizeof id, "ftm-%s", slug[0] ? slug : "x");
    bool dup;
    regw_org_t *o = regw_org_new(x->w, id, &dup);
    if (o == NULL) {
        if (!dup)
            return oom(x);
        sbuf_clear(x->err);
        sbuf_printf(x->err, "%s:%d: id \"%s\" (from \"%s\") is already taken", x->f->path, line, id,
                    fid->valuestring);
        return -1;
    }
    /* The entity's own id, which OpenSanctions keeps across its exports
     * and serves a page for; a line of the export moves with each one. */
    snprintf(src, sizeof src, "OpenSanctions, entity %s (opensanctions.org/entities/%s)",
             fid->valuestring, fid->valuestring);
    if (regw_org_set_name(o, first->valuestring) < 0 || add_values(x, o, names, false) < 0 ||
        regw_org_add_list(o, x->list) < 0 || regw_org_add_source(o, src) < 0 ||
        (otype != NULL && regw_org_set_type(o, otype) < 0) ||
        (x->o->risk != NULL && regw_org_set_risk(o, x->o->risk) < 0))
        return oom(x);
    static const char *const alias_props[] = {"alias", "previousName"};
    for (size_t i = 0; i < sizeof alias_props / sizeof alias_props[0]; i++) {
        const cJSON *a = prop(props, alias_props[i], &badp);
        if (badp)
            return bad(x, line, "a property is not an array");
        if (add_values(x, o, a, false) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof id_props / sizeof id_props[0]; i++) {
        const cJSON *a = prop(props, id_props[i].prop, &badp), *v;
        if (badp)
            return bad(x, line, "a property is not an array");
        cJSON_ArrayForEach(v, a)
        {
            if (cJSON_IsString(v) && regw_org_add_id(o, id_props[i].scheme, v->valuestring) < 0)
                return oom(x);
        }
    }
    /* A person's birthDate ("1965-03-02", "1965"; dates.h) and
     * nationality (lower-case ISO codes). */
    bool person = otype != NULL && strcmp(otype, "individual") == 0;
    const cJSON *bd = person ? prop(props, "birthDate", &badp) : NULL, *pv;
    const cJSON *nat = person ? prop(props, "nationality", &badp) : NULL;
    if (badp)
        return bad(x, line, "a property is not an array");
    cJSON_ArrayForEach(pv, bd)
    {
        dates_t d;
        if (!cJSON_IsString(pv) || !dates_parse(pv->valuestring, &d)) {
            regw_note(x->w, "dates of birth not understood (left out)");
            continue;
        }
        for (size_t i = 0; i < d.n; i++)
            if (regw_org_add_birth_date(o, d.v[i]) < 0)
                return oom(x);
    }
    cJSON_ArrayForEach(pv, nat)
    {
        if (!cJSON_IsString(pv) || strlen(pv->valuestring) != 2)
            continue;
        char up[3] = {(char)(pv->valuestring[0] & ~0x20), (char)(pv->valuestring[1] & ~0x20), 0};
        if (!country_is_code(up))
            regw_note(x->w, "nationalities with no ISO code (left out)");
        else if (regw_org_add_nationality(o, up) < 0)
            return oom(x);
    }
    /* Country codes are lower case ISO alpha-2 (plus FtM's own, such as
     * "suhh"); one distinct valid code sets the country. */
    static const char *const cc_props[] = {"country", "jurisdiction", "mainCountry"};
    char cc[3] = "";
    bool several = false;
    for (size_t i = 0; i < sizeof cc_props / sizeof cc_props[0]; i++) {
        const cJSON *a = prop(props, cc_props[i], &badp), *v;
        if (badp)
            return bad(x, line, "a property is not an array");
        cJSON_ArrayForEach(v, a)
        {
            if (!cJSON_IsString(v) || strlen(v->valuestring) != 2)
                continue;
            char up[3] = {(char)(v->valuestring[0] & ~0x20), (char)(v->valuestring[1] & ~0x20), 0};
            if (!country_is_code(up))
                continue;
            if (cc[0] != '\0' && strcmp(cc, up) != 0)
                several = true;
            memcpy(cc, up, sizeof up);
        }
    }
    if (several)
        regw_note(x->w, "records with several countries (no country set)");
    else if (cc[0] != '\0' && regw_org_set_country(o, cc) < 0)
        return oom(x);
    return 0;
}

static int
ftm_run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    int r = 0;
    const char *list = o->list_id ? o->list_id : "opensanctions";
    if (regw_add_list(w, list, "OpenSanctions (FollowTheMoney entities)", "OpenSanctions",
                      "https://www.opensanctions.org/", IMP_TERMS_OPENSANCTIONS) < 0)
        return imp_oom(err);
    for (size_t i = 0; r == 0 && i < n_files; i++) {
        ftm_t x = {w, o, &files[i], list, err};
        const char *p = files[i].data, *end = p + files[i].len;
        for (int line = 1; r == 0 && p < end; line++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *eol = nl ? nl : end;
            size_t n = (size_t)(eol - p);
            if (n > 0 && p[n - 1] == '\r')
                n--;
            if (strspn(p, " \t") < n) {
                const char *stop = NULL;
                cJSON *e = cJSON_ParseWithLengthOpts(p, n, &stop, false);
                if (e == NULL) {
                    sbuf_printf(err, "%s:%d: bad JSON at column %ld", files[i].path, line,
                                stop ? (long)(stop - p) + 1 : 1L);
                    r = -1;
                } else if (stop != NULL && (size_t)(stop - p) < n &&
                           strspn(stop, " \t") < n - (size_t)(stop - p)) {
                    sbuf_printf(err, "%s:%d: bad JSON: text after the object at column %ld",
                                files[i].path, line, (long)(stop - p) + 1);
                    r = -1;
                } else if (!cJSON_IsObject(e)) {
                    sbuf_printf(err, "%s:%d: not a JSON object", files[i].path, line);
                    r = -1;
                } else {
                    r = entity(&x, e, line);
                }
                cJSON_Delete(e);
            }
            p = nl ? nl + 1 : end;
        }
    }
    return r;
}

const imp_format_t imp_ftm = {
    "ftm",  "entities.ftm.json... (FollowTheMoney JSON lines; list opensanctions)", 1, 16, true,
    ftm_run};
