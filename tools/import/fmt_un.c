/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_un.c -- UN Security Council consolidated list XML (ENTITY, INDIVIDUAL). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "country.h"
#include "dates.h"
#include "import.h"
#include "un.h"

#define UN_LIST_NAME "United Nations Security Council Consolidated List"

typedef struct conv {
    regw_t *w;
    const imp_opts_t *o;
    const char *list;
    sbuf_t *err;
} conv_t;

static int
oom(conv_t *x)
{
    return imp_oom(x->err);
}

static int
bad(conv_t *x, const imp_file_t *f, const un_rec_t *rec, const char *what)
{
    sbuf_clear(x->err);
    sbuf_printf(x->err, "%s:%ld: %s", f->path, rec->line, what);
    return -1;
}

/* An alias without the quotes the list sometimes puts around it
 * ("\"KOMID\""), in place. */
static char *
unquote(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        n--;
    while (*s == ' ' || *s == '\n') {
        s++;
        n--;
    }
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        return s + 1;
    }
    return s;
}

/* Strips a trailing " (original script)" note from an alias, in place. */
static void
drop_script_note(char *s)
{
    static const char note[] = "(original script)";
    size_t n = strlen(s), k = sizeof note - 1;
    if (n >= k && strcmp(s + n - k, note) == 0) {
        s[n - k] = '\0';
        for (n -= k; n > 0 && s[n - 1] == ' '; n--)
            s[n - 1] = '\0';
    }
}

/* Adds the ';'-separated names of s (modified in place) as aliases. */
static int
add_split(regw_org_t *o, char *s)
{
    for (char *p = s, *next; p != NULL; p = next) {
        int depth = 0;
        next = NULL;
        for (char *q = p; *q != '\0'; q++) {
            depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
            if (*q == ';' && depth == 0) {
                *q = '\0';
                next = q + 1;
                break;
            }
        }
        drop_script_note(p);
        if (regw_org_add_alias(o, unquote(p)) < 0)
            return -1;
    }
    return 0;
}

/* An ENTITY_ALIAS may pack several names: "A; B; C", or a name followed
 * by its variants in brackets, "Hay'at Tahrir al-Sham (HTS) (<Arabic>
 * (original script); Hayat Tahrir al-Sham; ...)". Each becomes an alias
 * of its own (the matcher would never find a name inside the pack).
 * Modifies s. */
static int
add_alias_field(regw_org_t *o, char *s)
{
    s = unquote(s);
    size_t n = strlen(s);
    if (strchr(s, ';') == NULL)
        return regw_org_add_alias(o, s);
    if (n > 0 && s[n - 1] == ')') {
        /* The bracket that the final ')' closes. */
        int depth = 0;
        char *open = NULL;
        for (char *q = s + n - 1; q >= s; q--) {
            depth += *q == ')' ? 1 : *q == '(' ? -1 : 0;
            if (depth == 0) {
                open = q;
                break;
            }
        }
        if (open != NULL && open > s) {
            s[n - 1] = '\0';
            *open = '\0';
            if (regw_org_add_alias(o, s) < 0)
                return -1;
            return add_split(o, open + 1);
        }
    }
    return add_split(o, s);
}

/* The individual's name: FIRST_NAME .. FOURTH_NAME joined by spaces. */
static int
person_name(const un_rec_t *rec, sbuf_t *b)
{
    for (size_t i = 0; i < sizeof rec->names / sizeof rec->names[0]; i++) {
        const char *t = rec->names[i];
        if (t != NULL && t[0] != '\0') {
            if (b->len > 0)
                sbuf_putc(b, ' ');
            sbuf_puts(b, t);
        }
    }
    return b->oom ? -1 : 0;
}

/* One INDIVIDUAL_DATE_OF_BIRTH into d (dates.h): EXACT with a DATE or a
 * YEAR as written; APPROXIMATELY as a circa (a year either side);
 * BETWEEN as each year of FROM_YEAR..TO_YEAR; a NOTE alone when it is a
 * month and a year ("Nov. 1973"). False when nothing is understood. */
static bool
un_dob(const un_dob_t *b, dates_t *d)
{
    d->n = 0;
    const char *type = b->type ? b->type : "";
    bool approx = strcmp(type, "APPROXIMATELY") == 0;
    if (strcmp(type, "BETWEEN") == 0) {
        int from, to;
        char end;
        return b->from && b->to && sscanf(b->from, "%d%c", &from, &end) == 1 &&
               sscanf(b->to, "%d%c", &to, &end) == 1 && dates_years(from, to, false, d);
    }
    const char *v = b->date ? b->date : b->year ? b->year : b->note;
    if (v == NULL)
        return false;
    if (!dates_parse(v, d))
        return false;
    if (approx) {
        /* The year of what was given, a year either side. */
        int y = 0;
        sscanf(d->v[0], "%4d", &y);
        return dates_years(y, y, true, d);
    }
    return true;
}

/* An individual's dates of birth and nationalities. */
static int
person_facts(conv_t *x, regw_org_t *o, const un_rec_t *rec)
{
    for (size_t i = 0; i < rec->n_dobs; i++) {
        const un_dob_t *b = &rec->dobs[i];
        if (b->type == NULL && b->date == NULL && b->year == NULL && b->note == NULL)
            continue; /* an empty element */
        dates_t d;
        if (!un_dob(b, &d))
            regw_note(x->w, "dates of birth not understood (left out)");
        for (size_t k = 0; k < d.n; k++)
            if (regw_org_add_birth_date(o, d.v[k]) < 0)
                return oom(x);
    }
    for (size_t i = 0; i < rec->n_nationalities; i++) {
        const char *cn = rec->nationalities[i];
        while (*cn == ' ' || *cn == '\n')
            cn++;
        if (cn[0] == '\0')
            continue;
        const char *cc = country_lookup(cn);
        if (cc == NULL)
            regw_note(x->w, "nationalities with no ISO code (left out)");
        else if (regw_org_add_nationality(o, cc) < 0)
            return oom(x);
    }
    return 0;
}

static int
record(void *ctx, const imp_file_t *f, const un_rec_t *rec, sbuf_t *err)
{
    (void)err;
    conv_t *x = ctx;
    bool person = rec->person;
    sbuf_t name = SBUF_INIT;
    int r = 0;
    const char *ref = rec->ref;
    if (person) {
        if (person_name(rec, &name) < 0)
            r = oom(x);
    } else {
        sbuf_puts(&name, rec->names[0] ? rec->names[0] : "");
    }
    const char *nm = name.data ? name.data : "";
    while (*nm == ' ' || *nm == '\n' || *nm == '\t')
        nm++;
    if (r == 0 && nm[0] == '\0') {
        regw_skip(x->w, "records without a name");
        goto out;
    }
    if (r == 0 && (ref == NULL || ref[0] == '\0')) {
        r = bad(x, f, rec,
                person ? "INDIVIDUAL without a REFERENCE_NUMBER"
                       : "ENTITY without a REFERENCE_NUMBER");
        goto out;
    }
    char frag[64], id[80], src[320];
    if (r == 0) {
        imp_id_frag(ref, frag, sizeof frag);
        snprintf(id, sizeof id, "un-%s", frag);
        bool dup;
        regw_org_t *o = regw_org_new(x->w, id, &dup);
        if (o == NULL) {
            r = dup ? bad(x, f, rec, "duplicate REFERENCE_NUMBER") : oom(x);
            goto out;
        }
        /* The permanent reference number the Council's list prints, its
         * DATAID and the listing date: what a reader looks the record up
         * by in any edition (the edition itself is the list's as_of). */
        int n = snprintf(src, sizeof src, UN_LIST_NAME ", permanent reference number %s", ref);
        if (rec->dataid != NULL && rec->dataid[0] != '\0' && n > 0 && (size_t)n < sizeof src)
            n += snprintf(src + n, sizeof src - (size_t)n, " (DATAID %s)", rec->dataid);
        if (rec->listed_on != NULL && rec->listed_on[0] != '\0' && n > 0 && (size_t)n < sizeof src)
            snprintf(src + n, sizeof src - (size_t)n, ", listed on %.10s", rec->listed_on);
        if (regw_org_set_name(o, nm) < 0 || regw_org_add_list(o, x->list) < 0 ||
            regw_org_add_id(o, "un", ref) < 0 || regw_org_add_source(o, src) < 0 ||
            (person && regw_org_set_type(o, "individual") < 0) ||
            (x->o->risk != NULL && regw_org_set_risk(o, x->o->risk) < 0)) {
            r = oom(x);
            goto out;
        }
        if (rec->orig != NULL && regw_org_add_alias(o, rec->orig) < 0)
            r = oom(x);
        for (size_t i = 0; r == 0 && i < rec->n_aliases; i++) {
            /* A person's "Low" quality alias (a kunya, a nickname) is
             * what OFAC calls a weak alias and leaves out of its own
             * alias file: screening by it names too many people. */
            const char *q = rec->qualities ? rec->qualities[i] : NULL;
            if (person && q != NULL && strcmp(q, "Low") == 0) {
                regw_skip(x->w, "low-quality aliases of individuals (UN QUALITY Low)");
                continue;
            }
            if (add_alias_field(o, rec->aliases[i]) < 0)
                r = oom(x);
        }
        if (r == 0 && person)
            r = person_facts(x, o, rec);
        const char *country = NULL;
        bool several = false;
        for (size_t i = 0; i < rec->n_countries; i++) {
            const char *cn = rec->countries[i];
            if (cn[0] == '\0')
                continue;
            if (country == NULL)
                country = cn;
            else if (strcasecmp(country, cn) != 0)
                several = true;
        }
        /* A country only when every address names the same one. */
        if (r == 0 && country != NULL) {
            const char *cc = several ? NULL : country_lookup(country);
            if (several)
                regw_note(x->w, "records with addresses in several countries (no country set)");
            else if (cc == NULL)
                regw_note(x->w, "records whose address country has no ISO code (no country set)");
            else if (regw_org_set_country(o, cc) < 0)
                r = oom(x);
        }
    }
out:
    sbuf_free(&name);
    return r;
}

static int
run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    (void)n_files;
    conv_t x = {w, o, o->list_id ? o->list_id : "un-sc", err};
    if (regw_add_list(w, x.list, UN_LIST_NAME, "United Nations Security Council",
                      "https://www.un.org/securitycouncil/content/un-sc-consolidated-list",
                      IMP_TERMS_UN) < 0)
        return oom(&x);
    char date[11];
    if (un_read_dated(&files[0], record, &x, date, err) != 0)
        return -1;
    /* The list's own date of edition, unless --as-of says otherwise. */
    if (date[0] != '\0' && regw_set_edition(w, date, NULL, 0) != 0) {
        sbuf_puts(err, "out of memory");
        return -1;
    }
    return 0;
}

const imp_format_t imp_un_xml = {
    "un-xml", "UN_consolidated.xml (UN Security Council consolidated list; list un-sc)", 1, 1, true,
    run};
