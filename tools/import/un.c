/* un.c -- the one reader of the UN Security Council consolidated list XML (ENTITY, INDIVIDUAL). */
#include "un.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"
#include "xdoc.h"

/* A growable array of texts (xmlFree'd). */
typedef struct texts {
    char **v;      /* the texts */
    size_t n, cap; /* used, allocated */
} texts_t;

/* The first child element called name, or NULL. */
static xmlNode *
child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next)
        if (xdoc_is(c, name))
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
        if (xdoc_is(c, alias_el))
            ok = texts_add(aliases, c, "ALIAS_NAME");
        else if (xdoc_is(c, addr_el))
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

int
un_read(const imp_file_t *f, un_rec_fn fn, void *ctx, sbuf_t *err)
{
    xmlDocPtr doc = xdoc_read(f, err);
    if (doc == NULL)
        return -1;
    int r = 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (root == NULL || !xdoc_is(root, "CONSOLIDATED_LIST")) {
        sbuf_printf(err, "%s:%ld: expected the root element CONSOLIDATED_LIST", f->path,
                    root ? xmlGetLineNo(root) : 1L);
        r = -1;
    }
    texts_t aliases = {NULL, 0, 0}, countries = {NULL, 0, 0};
    for (xmlNode *g = root ? root->children : NULL; r == 0 && g != NULL; g = g->next) {
        bool ents = xdoc_is(g, "ENTITIES"), inds = xdoc_is(g, "INDIVIDUALS");
        if (!ents && !inds)
            continue;
        for (xmlNode *n = g->children; r == 0 && n != NULL; n = n->next) {
            if (ents && xdoc_is(n, "ENTITY"))
                r = record(f, n, false, fn, ctx, &aliases, &countries, err);
            else if (inds && xdoc_is(n, "INDIVIDUAL"))
                r = record(f, n, true, fn, ctx, &aliases, &countries, err);
        }
    }
    texts_clear(&aliases);
    texts_clear(&countries);
    free(aliases.v);
    free(countries.v);
    xmlFreeDoc(doc);
    return r;
}
