/* un.c -- the one reader of the UN Security Council consolidated list XML (ENTITY, INDIVIDUAL). */
#include "un.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

/* A growable array of texts (xmlFree'd). */
typedef struct texts {
    char **v;      /* the texts */
    size_t n, cap; /* used, allocated */
} texts_t;

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

/* Appends the text of n's first child element called name, if any.
 * false on OOM. */
static bool
texts_add(texts_t *t, const xmlNode *n, const char *name)
{
    char *s = child_text(n, name);
    if (s == NULL)
        return true;
    if (vec_grow(&t->v, &t->cap, t->n + 1, sizeof *t->v, 8) != 0) {
        xmlFree(s);
        return false;
    }
    t->v[t->n++] = s;
    return true;
}

static void
texts_clear(texts_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        xmlFree(t->v[i]);
    t->n = 0;
}

/* Gathers the texts of record n and calls fn. */
static int
record(const imp_file_t *f, const xmlNode *n, bool person, un_rec_fn fn, void *ctx,
       texts_t *aliases, texts_t *countries, sbuf_t *err)
{
    static const char *const parts[4] = {"FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"};
    const char *alias_el = person ? "INDIVIDUAL_ALIAS" : "ENTITY_ALIAS";
    const char *addr_el = person ? "INDIVIDUAL_ADDRESS" : "ENTITY_ADDRESS";
    un_rec_t rec = {person, xmlGetLineNo(n), NULL, {NULL}, NULL, NULL, 0, NULL, 0};
    char *ref = child_text(n, "REFERENCE_NUMBER"), *orig = child_text(n, "NAME_ORIGINAL_SCRIPT");
    char *names[4];
    for (size_t i = 0; i < 4; i++)
        rec.names[i] = names[i] = child_text(n, parts[i]);
    rec.ref = ref;
    rec.orig = orig;
    bool ok = true;
    texts_clear(aliases);
    texts_clear(countries);
    for (xmlNode *c = n->children; ok && c != NULL; c = c->next) {
        if (is(c, alias_el))
            ok = texts_add(aliases, c, "ALIAS_NAME");
        else if (is(c, addr_el))
            ok = texts_add(countries, c, "COUNTRY");
    }
    rec.aliases = aliases->v;
    rec.n_aliases = aliases->n;
    rec.countries = (const char *const *)countries->v;
    rec.n_countries = countries->n;
    int r = ok ? fn(ctx, f, &rec, err) : imp_oom(err);
    xmlFree(ref);
    xmlFree(orig);
    for (size_t i = 0; i < 4; i++)
        xmlFree(names[i]);
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

int
un_read(const imp_file_t *f, un_rec_fn fn, void *ctx, sbuf_t *err)
{
    if (f->len > (size_t)2147483647) {
        sbuf_printf(err, "%s:1: file too large", f->path);
        return -1;
    }
    xmlParserCtxtPtr pc = xmlNewParserCtxt();
    if (pc == NULL)
        return imp_oom(err);
    un_xerr_t fe = {false, 0, ""};
    pc->_private = &fe;
    pc->sax->serror = first_error;
    /* No network, no entity expansion, no messages of libxml2's own: the
     * first error is reported once, as file:line. */
    xmlDocPtr doc = xmlCtxtReadMemory(pc, f->data, (int)f->len, f->path, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                          XML_PARSE_BIG_LINES);
    if (doc == NULL || fe.set) {
        sbuf_printf(err, "%s:%d: bad XML: %s", f->path, fe.set ? fe.line : 1,
                    fe.set ? fe.msg : "not well-formed XML");
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(pc);
        return -1;
    }
    int r = 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (root == NULL || !is(root, "CONSOLIDATED_LIST")) {
        sbuf_printf(err, "%s:%ld: expected the root element CONSOLIDATED_LIST", f->path,
                    root ? xmlGetLineNo(root) : 1L);
        r = -1;
    }
    texts_t aliases = {NULL, 0, 0}, countries = {NULL, 0, 0};
    for (xmlNode *g = root ? root->children : NULL; r == 0 && g != NULL; g = g->next) {
        bool ents = is(g, "ENTITIES"), inds = is(g, "INDIVIDUALS");
        if (!ents && !inds)
            continue;
        for (xmlNode *n = g->children; r == 0 && n != NULL; n = n->next) {
            if (ents && is(n, "ENTITY"))
                r = record(f, n, false, fn, ctx, &aliases, &countries, err);
            else if (inds && is(n, "INDIVIDUAL"))
                r = record(f, n, true, fn, ctx, &aliases, &countries, err);
        }
    }
    texts_clear(&aliases);
    texts_clear(&countries);
    free(aliases.v);
    free(countries.v);
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(pc);
    return r;
}
