/* fmt_un.c -- UN Security Council consolidated list XML (ENTITY, INDIVIDUAL). */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "country.h"
#include "import.h"

typedef struct un {
    regw_t *w;
    const imp_opts_t *o;
    const imp_file_t *f;
    const char *list;
    sbuf_t *err;
} un_t;

static int
oom(un_t *x)
{
    return imp_oom(x->err);
}

static bool
is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* The first child element called name, or NULL. */
static xmlNode *
child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next)
        if (is(c, name))
            return c;
    return NULL;
}

/* The text of the first child element called name; caller frees
 * (xmlFree). NULL when absent. */
static char *
child_text(const xmlNode *n, const char *name)
{
    xmlNode *c = child(n, name);
    return c ? (char *)xmlNodeGetContent(c) : NULL;
}

static int
bad(un_t *x, const xmlNode *n, const char *what)
{
    sbuf_clear(x->err);
    sbuf_printf(x->err, "%s:%ld: %s", x->f->path, xmlGetLineNo(n), what);
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
person_name(const xmlNode *n, sbuf_t *b)
{
    static const char *const parts[] = { "FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME" };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char *t = child_text(n, parts[i]);
        if (t != NULL && t[0] != '\0') {
            if (b->len > 0)
                sbuf_putc(b, ' ');
            sbuf_puts(b, t);
        }
        xmlFree(t);
    }
    return b->oom ? -1 : 0;
}

static int
record(un_t *x, const xmlNode *n, bool person)
{
    if (person && !x->o->all) {
        regw_skip(x->w, "individuals");
        return 0;
    }
    sbuf_t name = SBUF_INIT;
    int r = 0;
    char *ref = child_text(n, "REFERENCE_NUMBER");
    if (person) {
        if (person_name(n, &name) < 0)
            r = oom(x);
    } else {
        char *t = child_text(n, "FIRST_NAME");
        sbuf_puts(&name, t ? t : "");
        xmlFree(t);
    }
    const char *nm = name.data ? name.data : "";
    while (*nm == ' ' || *nm == '\n' || *nm == '\t')
        nm++;
    if (r == 0 && nm[0] == '\0') {
        regw_skip(x->w, "records without a name");
        goto out;
    }
    if (r == 0 && (ref == NULL || ref[0] == '\0')) {
        r = bad(x, n, person ? "INDIVIDUAL without a REFERENCE_NUMBER"
                             : "ENTITY without a REFERENCE_NUMBER");
        goto out;
    }
    char frag[64], id[80], src[256];
    if (r == 0) {
        imp_id_frag(ref, frag, sizeof frag);
        snprintf(id, sizeof id, "un-%s", frag);
        bool dup;
        regw_org_t *o = regw_org_new(x->w, id, &dup);
        if (o == NULL) {
            r = dup ? bad(x, n, "duplicate REFERENCE_NUMBER") : oom(x);
            goto out;
        }
        snprintf(src, sizeof src, "UN SC consolidated list %s line %ld, REFERENCE_NUMBER %s",
                 imp_basename(x->f->path), xmlGetLineNo(n), ref);
        if (regw_org_set_name(o, nm) < 0 || regw_org_add_list(o, x->list) < 0
            || regw_org_add_id(o, "un", ref) < 0 || regw_org_add_source(o, src) < 0
            || (person && regw_org_set_type(o, "individual") < 0)
            || (x->o->risk != NULL && regw_org_set_risk(o, x->o->risk) < 0)) {
            r = oom(x);
            goto out;
        }
        char *orig = child_text(n, "NAME_ORIGINAL_SCRIPT");
        if (orig != NULL && regw_org_add_alias(o, orig) < 0)
            r = oom(x);
        xmlFree(orig);
        const char *alias_el = person ? "INDIVIDUAL_ALIAS" : "ENTITY_ALIAS";
        const char *addr_el = person ? "INDIVIDUAL_ADDRESS" : "ENTITY_ADDRESS";
        xmlChar *country = NULL;
        bool several = false;
        for (xmlNode *c = n->children; r == 0 && c != NULL; c = c->next) {
            if (is(c, alias_el)) {
                char *a = child_text(c, "ALIAS_NAME");
                if (a != NULL && add_alias_field(o, a) < 0)
                    r = oom(x);
                xmlFree(a);
            } else if (is(c, addr_el)) {
                char *cn = child_text(c, "COUNTRY");
                if (cn != NULL && cn[0] != '\0') {
                    if (country == NULL) {
                        country = (xmlChar *)cn;
                        cn = NULL;
                    } else if (strcasecmp((const char *)country, cn) != 0) {
                        several = true;
                    }
                }
                xmlFree(cn);
            }
        }
        /* A country only when every address names the same one. */
        if (r == 0 && country != NULL) {
            const char *cc = several ? NULL : country_lookup((const char *)country);
            if (several)
                regw_note(x->w, "records with addresses in several countries (no country set)");
            else if (cc == NULL)
                regw_note(x->w, "records whose address country has no ISO code (no country set)");
            else if (regw_org_set_country(o, cc) < 0)
                r = oom(x);
        }
        xmlFree(country);
    }
out:
    xmlFree(ref);
    sbuf_free(&name);
    return r;
}

/* The first parse error (libxml2 goes on and reports the last one). */
typedef struct un_xerr {
    bool set;
    int line;
    char msg[256];
} un_xerr_t;

/* A structured error handler for one parser context: data is the
 * context (its userData), whose _private points at our un_xerr_t. */
static void
first_error(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctx = data;
    un_xerr_t *fe = ctx != NULL ? ctx->_private : NULL;
    if (fe == NULL || fe->set || e == NULL || e->level < XML_ERR_ERROR)
        return;
    fe->set = true;
    fe->line = e->line;
    snprintf(fe->msg, sizeof fe->msg, "%s", e->message ? e->message : "not well-formed XML");
    size_t n = strlen(fe->msg);
    while (n > 0 && (fe->msg[n - 1] == '\n' || fe->msg[n - 1] == ' '))
        fe->msg[--n] = '\0';
}

static int
un_run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    (void)n_files;
    un_t x = { w, o, &files[0], o->list_id ? o->list_id : "un-sc", err };
    if (regw_add_list(w, x.list, "United Nations Security Council Consolidated List",
                      "United Nations Security Council",
                      "https://www.un.org/securitycouncil/content/un-sc-consolidated-list") < 0)
        return oom(&x);
    if (files[0].len > (size_t)2147483647) {
        sbuf_printf(err, "%s:1: file too large", files[0].path);
        return -1;
    }
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (ctx == NULL)
        return oom(&x);
    un_xerr_t fe = { false, 0, "" };
    ctx->_private = &fe;
    ctx->sax->serror = first_error;
    /* No network, no entity expansion, no messages of libxml2's own: the
     * first error is reported once, as file:line. */
    xmlDocPtr doc = xmlCtxtReadMemory(ctx, files[0].data, (int)files[0].len, files[0].path,
                                      NULL, XML_PARSE_NONET | XML_PARSE_NOERROR
                                      | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
    int r = 0;
    if (doc == NULL || fe.set) {
        sbuf_printf(err, "%s:%d: bad XML: %s", files[0].path, fe.set ? fe.line : 1,
                    fe.set ? fe.msg : "not well-formed XML");
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctx);
        return -1;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (root == NULL || !is(root, "CONSOLIDATED_LIST")) {
        sbuf_printf(err, "%s:%ld: expected the root element CONSOLIDATED_LIST", files[0].path,
                    root ? xmlGetLineNo(root) : 1L);
        r = -1;
    }
    for (xmlNode *g = root ? root->children : NULL; r == 0 && g != NULL; g = g->next) {
        bool ents = is(g, "ENTITIES"), inds = is(g, "INDIVIDUALS");
        if (!ents && !inds)
            continue;
        for (xmlNode *n = g->children; r == 0 && n != NULL; n = n->next) {
            if (ents && is(n, "ENTITY"))
                r = record(&x, n, false);
            else if (inds && is(n, "INDIVIDUAL"))
                r = record(&x, n, true);
        }
    }
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctx);
    return r;
}

const imp_format_t imp_un_xml = {
    "un-xml", "UN_consolidated.xml (UN Security Council consolidated list; list un-sc)", 1, 1,
    true, un_run
};
