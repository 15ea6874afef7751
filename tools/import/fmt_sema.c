/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_sema.c -- Canada's sanctions list XML (sema-lmes.xml) -> registry organisations. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dates.h"
#include "import.h"
#include "sema.h"

#define SEMA_LIST_NAME "Consolidated Canadian Autonomous Sanctions List"
#define SEMA_AUTHORITY "Global Affairs Canada"
#define SEMA_URL                                                                                   \
    "https://www.international.gc.ca/world-monde/international_relations-relations_"               \
    "internationales/sanctions/consolidated-consolide.aspx?lang=eng"

/* The regulations of the regimes whose titles were checked against the
 * Canada Gazette and the Justice Laws site; any other regime is named as
 * the file names it. The Country element is "English / French". */
static const struct {
    const char *regime;     /* the English part of Country */
    const char *regulation; /* the regulations' title */
} regulations[] = {
    {"Belarus", "Special Economic Measures (Belarus) Regulations"},
    {"Iran", "Special Economic Measures (Iran) Regulations"},
    {"Russia", "Special Economic Measures (Russia) Regulations"},
    {"Ukraine", "Special Economic Measures (Ukraine) Regulations"},
};

/* Legal forms that, after a comma, end the name before it ("Htoo Wood
 * Products Pte. Limited", "X Co., Ltd.") rather than start a new one. */
static const char *const legal_forms[] = {
    "co",      "co.", "corp", "corp.", "inc",  "inc.", "llc", "l.l.c.", "ltd",  "ltd.",
    "limited", "jsc", "pjsc", "ojsc",  "cjsc", "llp",  "plc", "s.a.",   "gmbh",
};

typedef struct conv {
    regw_t *w;           /* the writer */
    const imp_opts_t *o; /* the options */
    const char *list;    /* the list id */
    sbuf_t *err;         /* where errors go */
} conv_t;

static int
bad(conv_t *x, const imp_file_t *f, long line, const char *what)
{
    sbuf_clear(x->err);
    sbuf_printf(x->err, "%s:%ld: %s", f->path, line, what);
    return -1;
}

/* The English part of the Country element ("Russia / Russie" ->
 * "Russia"), in buf (size n). */
static void
regime_of(const char *country, char *buf, size_t n)
{
    const char *slash = strstr(country, " / ");
    size_t len = slash ? (size_t)(slash - country) : strlen(country);
    if (len >= n)
        len = n - 1;
    memcpy(buf, country, len);
    buf[len] = '\0';
}

/* "Special Economic Measures (Russia) Regulations" for "Russia"; the
 * regime itself when it already names regulations (JVCFOR); else a
 * description (in buf) that does not guess a title. */
static const char *
regulation_of(const char *regime, char *buf, size_t n)
{
    for (size_t i = 0; i < sizeof regulations / sizeof regulations[0]; i++)
        if (strcmp(regulations[i].regime, regime) == 0)
            return regulations[i].regulation;
    if (strstr(regime, "Regulations") != NULL)
        return regime;
    snprintf(buf, n, "Special Economic Measures Act, regime \"%s\"", regime);
    return buf;
}

static bool
is_legal_form(const char *s)
{
    for (size_t i = 0; i < sizeof legal_forms / sizeof legal_forms[0]; i++)
        if (strcasecmp(s, legal_forms[i]) == 0)
            return true;
    return false;
}

/* Drops a leading language label ("Russian: ", "Belarusian: "): one word
 * of 3 to 20 ASCII letters and ": ". Returns where the name starts. */
static const char *
drop_label(const char *s)
{
    size_t n = 0;
    while ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z'))
        n++;
    if (n >= 3 && n <= 20 && s[n] == ':' && s[n + 1] == ' ')
        return s + n + 2 + strspn(s + n + 2, " ");
    return s;
}

/* Adds one alias (a copy is taken). An individual's alias of one word is
 * a variant of a part of the name ("Andrei" for Andrey), not a name: it
 * is dropped. */
static int
add_alias(conv_t *x, regw_org_t *o, const char *a, bool person)
{
    a = drop_label(a);
    if (a[0] == '\0')
        return 0;
    if (person && strchr(a, ' ') == NULL) {
        regw_note(x->w, "one-word aliases of individuals (parts of a name; dropped)");
        return 0;
    }
    return regw_org_add_alias(o, a);
}

/* The Aliases element packs names into one text: "Alliance, Ассоциация
 * \"Альянс В Сфере ИИ\", Альянс". Cuts s at ',' and ';' outside brackets
 * and double quotes; a piece that is only a legal form ("Ltd.") stays
 * with the name before it ("X Co., Ltd."). Each name becomes an alias.
 * 0, or -1 on OOM. */
static int
add_aliases(conv_t *x, regw_org_t *o, const char *s, bool person)
{
    sbuf_t name = SBUF_INIT, piece = SBUF_INIT;
    int depth = 0, r = 0;
    bool quoted = false;
    const char *start = s;
    for (const char *p = s; r == 0; p++) {
        char c = *p;
        if (c == '(' || c == '[')
            depth++;
        else if ((c == ')' || c == ']') && depth > 0)
            depth--;
        else if (c == '"')
            quoted = !quoted;
        if (c != '\0' && !((c == ',' || c == ';') && depth == 0 && !quoted))
            continue;
        size_t lead = strspn(start, " "), n = (size_t)(p - start);
        while (n > lead && start[n - 1] == ' ')
            n--;
        sbuf_clear(&piece);
        sbuf_append(&piece, start + lead, n - lead);
        if (name.len > 0 && piece.len > 0 && is_legal_form(piece.data)) {
            sbuf_puts(&name, ", ");
            sbuf_puts(&name, piece.data);
        } else if (piece.len > 0) {
            if (name.len > 0 && add_alias(x, o, name.data, person) < 0)
                r = -1;
            sbuf_clear(&name);
            sbuf_puts(&name, piece.data);
        }
        if (name.oom || piece.oom)
            r = -1;
        if (c == '\0')
            break;
        start = p + 1;
    }
    if (r == 0 && name.len > 0 && add_alias(x, o, name.data, person) < 0)
        r = -1;
    sbuf_free(&name);
    sbuf_free(&piece);
    return r;
}

static int
record(void *ctx, const imp_file_t *f, const sema_rec_t *rec, sbuf_t *err)
{
    (void)err;
    conv_t *x = ctx;
    const char *const *v = rec->f;
    const char *entity = v[SEMA_ENTITY];
    bool person = v[SEMA_LAST_NAME] != NULL || v[SEMA_GIVEN_NAME] != NULL;
    for (size_t i = 0; i < rec->n_unknown; i++)
        regw_note(x->w, "record elements vet-import does not read (ignored)");
    if (entity != NULL && person)
        return bad(x, f, rec->line, "record has both EntityOrShip and LastName/GivenName");
    if (entity == NULL && !person)
        return bad(x, f, rec->line,
                   "record without a name (no EntityOrShip, LastName or GivenName)");
    if (v[SEMA_ITEM] == NULL)
        return bad(x, f, rec->line, "record without an Item");
    if (v[SEMA_COUNTRY] == NULL)
        return bad(x, f, rec->line, "record without a Country (its regime)");
    /* A ship is an EntityOrShip with an IMO number; a person's record with
     * one (a data-entry slip the list has) stays a person. */
    bool ship = entity != NULL && v[SEMA_IMO] != NULL;
    if (ship && !x->o->all) {
        regw_skip(x->w, "vessels");
        return 0;
    }

    char regime[160], regbuf[224], frag[3][48], id[192];
    regime_of(v[SEMA_COUNTRY], regime, sizeof regime);
    const char *regulation = regulation_of(regime, regbuf, sizeof regbuf);
    imp_slug(regime, frag[0], 32);
    imp_id_frag(v[SEMA_SCHEDULE] ? v[SEMA_SCHEDULE] : "", frag[1], sizeof frag[1]);
    imp_id_frag(v[SEMA_ITEM], frag[2], sizeof frag[2]);
    /* Country, Schedule and Item name a record (the Item numbers restart
     * in each Part of each regime's schedule). */
    snprintf(id, sizeof id, "ca-sema-%s%s%s-%s", frag[0], frag[1][0] ? "-" : "", frag[1], frag[2]);

    bool dup;
    regw_org_t *o = regw_org_new(x->w, id, &dup);
    if (o == NULL) {
        if (!dup)
            return imp_oom(x->err);
        char what[256];
        snprintf(what, sizeof what, "a second record with this Country, Schedule and Item (%s)",
                 id);
        return bad(x, f, rec->line, what);
    }
    sbuf_t name = SBUF_INIT, src = SBUF_INIT;
    if (person) {
        sbuf_puts(&name, v[SEMA_GIVEN_NAME] ? v[SEMA_GIVEN_NAME] : "");
        if (v[SEMA_GIVEN_NAME] != NULL && v[SEMA_LAST_NAME] != NULL)
            sbuf_putc(&name, ' ');
        sbuf_puts(&name, v[SEMA_LAST_NAME] ? v[SEMA_LAST_NAME] : "");
    } else {
        sbuf_puts(&name, entity);
    }
    /* "..., Special Economic Measures (Russia) Regulations, Schedule 1,
     * Part 2, item 27, listed 2014-08-06": the regulation's own schedule
     * item, as the Canada Gazette publishes it, not a line of the download
     * (which moves with every edition); a schedule of Parts only
     * ("Part 1": the regime has one schedule); JVCFOR's has none. */
    const char *sch = v[SEMA_SCHEDULE];
    sbuf_printf(&src, "Global Affairs Canada, " SEMA_LIST_NAME ", %s, ", regulation);
    if (sch == NULL)
        sbuf_printf(&src, "item %s", v[SEMA_ITEM]);
    else if (sch[0] >= '0' && sch[0] <= '9')
        sbuf_printf(&src, "Schedule %s, item %s", sch, v[SEMA_ITEM]);
    else
        sbuf_printf(&src, "schedule, %s, item %s", sch, v[SEMA_ITEM]);
    if (v[SEMA_LISTED] != NULL)
        sbuf_printf(&src, ", listed %s", v[SEMA_LISTED]);
    /* No country: the Country element is the sanctions regime, not where
     * the party is (STREIT Group FZE, a UAE free-zone company, is listed
     * under Russia), and the matcher reads a country as part of identity:
     * a wrong one would turn an exact match abroad into a fuzzy one. The
     * OFAC and UN importers take a country from addresses only; this list
     * gives none. */
    int r = 0;
    if (name.oom || src.oom || regw_org_set_name(o, name.data) < 0 ||
        regw_org_add_list(o, x->list) < 0 || regw_org_add_source(o, src.data) < 0 ||
        (person && regw_org_set_type(o, "individual") < 0) ||
        (ship &&
         (regw_org_set_type(o, "other") < 0 || regw_org_add_id(o, "imo", v[SEMA_IMO]) < 0)) ||
        (x->o->risk != NULL && regw_org_set_risk(o, x->o->risk) < 0) ||
        (v[SEMA_ALIASES] != NULL && add_aliases(x, o, v[SEMA_ALIASES], person) < 0))
        r = imp_oom(x->err);
    /* A person's DateOfBirth ("1953-09-22", "1986"; dates.h). */
    if (r == 0 && person && v[SEMA_BORN] != NULL) {
        dates_t d;
        if (!dates_parse(v[SEMA_BORN], &d))
            regw_note(x->w, "dates of birth not understood (left out)");
        for (size_t i = 0; i < d.n && r == 0; i++)
            if (regw_org_add_birth_date(o, d.v[i]) < 0)
                r = imp_oom(x->err);
    }
    sbuf_free(&name);
    sbuf_free(&src);
    return r;
}

static int
run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    (void)n_files;
    conv_t x = {w, o, o->list_id ? o->list_id : "ca-sema", err};
    if (regw_add_list(w, x.list, SEMA_LIST_NAME, SEMA_AUTHORITY, SEMA_URL, IMP_TERMS_CA_SEMA) < 0)
        return imp_oom(err);
    size_t n_records, n_other;
    if (sema_read(&files[0], record, &x, &n_records, &n_other, err) < 0)
        return -1;
    /* A list with no record is what a failed download or a moved page
     * gives: refused, as the CSV formats refuse an empty file. */
    if (n_records == 0) {
        sbuf_printf(err, "%s:1: empty list: no <record> in <data-set>", files[0].path);
        return -1;
    }
    for (size_t i = 0; i < n_other; i++)
        regw_note(w, "elements under <data-set> other than <record> (ignored)");
    return 0;
}

const imp_format_t imp_ca_sema = {
    "ca-sema", "sema-lmes.xml (Canada's Consolidated Autonomous Sanctions List; list ca-sema)",
    1,         1,
    true,      run};
