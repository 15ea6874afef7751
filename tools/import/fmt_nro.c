/* fmt_nro.c -- Canada's Named Research Organizations TSV (name, country, aliases). */
#include <stdio.h>
#include <string.h>

#include "country.h"
#include "csv.h"
#include "import.h"

/* Ids stay within 60 bytes with the "nro-" prefix, as in nro2cfg.py. */
#define NRO_SLUG_MAX 56

/* The type nro2cfg.py guesses from the name: a hint only. */
static const char *
guess_type(const char *name)
{
    static const char *const inst[] = { "Institute", "Academy", "Laboratory", "Center", "Centre" };
    bool uni = false, ins = false;
    for (const char *p = name; *p != '\0';) {
        while (*p != '\0' && !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
            p++;
        size_t n = 0;
        while ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z'))
            n++;
        if (n == 10 && strncmp(p, "University", n) == 0)
            uni = true;
        for (size_t i = 0; i < sizeof inst / sizeof inst[0]; i++)
            if (strlen(inst[i]) == n && strncmp(p, inst[i], n) == 0)
                ins = true;
        p += n;
    }
    return uni ? "university" : ins ? "research_institute" : "other";
}

static int
nro_row(regw_t *w, const imp_opts_t *o, const char *list, const imp_file_t *f, char **fld,
        int line, sbuf_t *err)
{
    const char *name = fld[0], *country = fld[1];
    while (*name == ' ')
        name++;
    if (name[0] == '\0') {
        regw_skip(w, "records without a name");
        return 0;
    }
    const char *cc = country_lookup(country);
    if (cc == NULL) {
        sbuf_printf(err, "%s:%d: unknown country \"%s\"", f->path, line, country);
        return -1;
    }
    char slug[NRO_SLUG_MAX + 1], id[NRO_SLUG_MAX + 8], src[256];
    imp_slug(name, slug, NRO_SLUG_MAX);
    snprintf(id, sizeof id, "nro-%s", slug);
    bool dup;
    regw_org_t *org = regw_org_new(w, id, &dup);
    if (org == NULL) {
        if (dup)
            sbuf_printf(err, "%s:%d: id \"%s\" made from the name is already taken", f->path,
                        line, id);
        else
            imp_oom(err);
        return -1;
    }
    snprintf(src, sizeof src, "ca-nro: Government of Canada, Named Research Organizations, "
             "%s line %d", imp_basename(f->path), line);
    if (regw_org_set_name(org, name) < 0 || regw_org_set_country(org, cc) < 0
        || regw_org_set_type(org, guess_type(name)) < 0 || regw_org_add_list(org, list) < 0
        || regw_org_set_risk(org, o->risk ? o->risk : "high") < 0
        || regw_org_add_source(org, src) < 0)
        goto oom;
    /* Aliases are separated by "; " (a bare ';' stays inside an alias). */
    char *a = fld[2];
    while (a != NULL && *a != '\0') {
        char *next = strstr(a, "; ");
        if (next != NULL) {
            *next = '\0';
            next += 2;
        }
        if (regw_org_add_alias(org, a) < 0)
            goto oom;
        a = next;
    }
    return 0;
oom:
    return imp_oom(err);
}

static int
nro_run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    (void)n_files;
    const imp_file_t *f = &files[0];
    const char *list = o->list_id ? o->list_id : "ca-nro";
    if (regw_add_list(w, list, "Named Research Organizations", "Government of Canada",
                      "https://science.gc.ca/site/science/en/safeguarding-your-research/"
                      "guidelines-and-tools-implement-research-security/"
                      "sensitive-technology-research-and-affiliations-concern/"
                      "named-research-organizations") < 0)
        return imp_oom(err);
    csv_t *c = csv_new(f->data, f->len, '\t', 0, f->path);
    if (c == NULL)
        return imp_oom(err);
    char **fld;
    size_t n;
    int line, r;
    bool header = true;
    while ((r = csv_next(c, &fld, &n, &line)) == 1) {
        if (header) {
            header = false;
            if (n != 3 || strcmp(fld[0], "name") != 0 || strcmp(fld[1], "country") != 0
                || strcmp(fld[2], "aliases") != 0) {
                sbuf_printf(err, "%s:%d: expected the header name<TAB>country<TAB>aliases",
                            f->path, line);
                r = -1;
                break;
            }
            continue;
        }
        if (n != 3) {
            sbuf_printf(err, "%s:%d: expected 3 tab-separated columns, got %zu", f->path, line, n);
            r = -1;
            break;
        }
        if ((r = nro_row(w, o, list, f, fld, line, err)) < 0)
            break;
    }
    if (r == 0 && header) {
        sbuf_printf(err, "%s:1: empty file: expected the header name<TAB>country<TAB>aliases",
                    f->path);
        r = -1;
    }
    if (r < 0 && csv_error(c)[0] != '\0') {
        sbuf_clear(err);
        sbuf_puts(err, csv_error(c));
    }
    csv_destroy(&c);
    return r < 0 ? -1 : 0;
}

const imp_format_t imp_nro_tsv = {
    "nro-tsv", "nro.tsv (name<TAB>country<TAB>aliases, header line; list ca-nro)", 1, 1, true,
    nro_run
};
