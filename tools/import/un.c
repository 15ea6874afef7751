/* SPDX-License-Identifier: Apache-2.0 */
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

/* Appends s (may be NULL; taken: freed by texts_clear). false on OOM,
 * with s freed. */
static bool
texts_push(texts_t *t, char *s)
{
    if (vec_grow(&t->v, &t->cap, t->n + 1, sizeof *t->v, 8) != 0) {
        xmlFree(s);
        return false;
    }
    t->v[t->n++] = s;
    return true;
}

/* The text of n's first child element called name, or NULL when absent
 * or blank (caller frees). */
static char *
child_value(const xmlNode *n, const char *name)
{
    char *s = child_text(n, name);
    if (s != NULL && s[strspn(s, " \t\n\r")] == '\0') {
        xmlFree(s);
        s = NULL;
    }
    return s;
}

static void
texts_clear(texts_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        xmlFree(t->v[i]);
    t->n = 0;
}

/* What one record's texts are gathered into, reused from record to
 * record (un_read owns it). */
typedef struct scratch {
    texts_t aliases;   /* ALIAS_NAME of each alias element */
    texts_t qualities; /* QUALITY of each, parallel (NULL entries) */
    texts_t countries; /* COUNTRY of each address */
    texts_t nats;      /* VALUE of each NATIONALITY */
    texts_t dob_texts; /* 6 texts a date of birth, un_dob_t's order */
    un_dob_t *dobs;    /* built from dob_texts */
    size_t cap_dobs;   /* allocated */
} scratch_t;

static void
scratch_clear(scratch_t *x)
{
    texts_clear(&x->aliases);
    texts_clear(&x->qualities);
    texts_clear(&x->countries);
    texts_clear(&x->nats);
    texts_clear(&x->dob_texts);
}

static void
scratch_free(scratch_t *x)
{
    scratch_clear(x);
    free(x->aliases.v);
    free(x->qualities.v);
    free(x->countries.v);
    free(x->nats.v);
    free(x->dob_texts.v);
    free(x->dobs);
}

/* Gathers the texts of record n and calls fn. */
static int
record(const imp_file_t *f, const xmlNode *n, bool person, un_rec_fn fn, void *ctx, scratch_t *x,
       sbuf_t *err)
{
    static const char *const parts[4] = {"FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"};
    static const char *const dob_parts[6] = {"TYPE_OF_DATE", "DATE",    "YEAR",
                                             "FROM_YEAR",    "TO_YEAR", "NOTE"};
    const char *alias_el = person ? "INDIVIDUAL_ALIAS" : "ENTITY_ALIAS";
    const char *addr_el = person ? "INDIVIDUAL_ADDRESS" : "ENTITY_ADDRESS";
    un_rec_t rec = {
        person, xmlGetLineNo(n), NULL, {NULL}, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL,
        NULL};
    char *ref = child_text(n, "REFERENCE_NUMBER"), *orig = child_text(n, "NAME_ORIGINAL_SCRIPT");
    char *names[4];
    for (size_t i = 0; i < 4; i++)
        rec.names[i] = names[i] = child_text(n, parts[i]);
    char *dataid = child_text(n, "DATAID"), *listed_on = child_text(n, "LISTED_ON");
    rec.ref = ref;
    rec.orig = orig;
    rec.dataid = dataid;
    rec.listed_on = listed_on;
    bool ok = true;
    scratch_clear(x);
    for (xmlNode *c = n->children; ok && c != NULL; c = c->next) {
        if (xdoc_is(c, alias_el)) {
            char *a = child_text(c, "ALIAS_NAME");
            if (a != NULL)
                ok = texts_push(&x->aliases, a) &&
                     texts_push(&x->qualities, child_value(c, "QUALITY"));
        } else if (xdoc_is(c, addr_el)) {
            char *cn = child_text(c, "COUNTRY");
            if (cn != NULL)
                ok = texts_push(&x->countries, cn);
        } else if (person && xdoc_is(c, "NATIONALITY")) {
            for (xmlNode *v = c->children; ok && v != NULL; v = v->next)
                if (xdoc_is(v, "VALUE")) {
                    char *t = (char *)xmlNodeGetContent(v);
                    ok = t == NULL || texts_push(&x->nats, t);
                }
        } else if (person && xdoc_is(c, "INDIVIDUAL_DATE_OF_BIRTH")) {
            for (size_t i = 0; ok && i < 6; i++)
                ok = texts_push(&x->dob_texts, child_value(c, dob_parts[i]));
        }
    }
    size_t nd = x->dob_texts.n / 6;
    if (ok && nd > 0 && vec_grow(&x->dobs, &x->cap_dobs, nd, sizeof *x->dobs, 4) != 0)
        ok = false;
    for (size_t i = 0; ok && i < nd; i++) {
        char *const *t = &x->dob_texts.v[6 * i];
        x->dobs[i] = (un_dob_t){t[0], t[1], t[2], t[3], t[4], t[5]};
    }
    rec.aliases = x->aliases.v;
    rec.qualities = (const char *const *)x->qualities.v;
    rec.n_aliases = x->aliases.n;
    rec.countries = (const char *const *)x->countries.v;
    rec.n_countries = x->countries.n;
    rec.dobs = x->dobs;
    rec.n_dobs = nd;
    rec.nationalities = (const char *const *)x->nats.v;
    rec.n_nationalities = x->nats.n;
    int r = ok ? fn(ctx, f, &rec, err) : imp_oom(err);
    xmlFree(ref);
    xmlFree(orig);
    xmlFree(dataid);
    xmlFree(listed_on);
    for (size_t i = 0; i < 4; i++)
        xmlFree(names[i]);
    return r;
}

int
un_read(const imp_file_t *f, un_rec_fn fn, void *ctx, sbuf_t *err)
{
    return un_read_dated(f, fn, ctx, NULL, err);
}

int
un_read_dated(const imp_file_t *f, un_rec_fn fn, void *ctx, char date[11], sbuf_t *err)
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
    if (date != NULL) {
        /* dateGenerated="2026-02-27T00:00:09.554Z": the edition's date. */
        date[0] = '\0';
        xmlChar *g = root != NULL ? xmlGetProp(root, (const xmlChar *)"dateGenerated") : NULL;
        if (g != NULL && strlen((const char *)g) >= 10 && g[4] == '-' && g[7] == '-') {
            memcpy(date, g, 10);
            date[10] = '\0';
        }
        xmlFree(g);
    }
    scratch_t x = {0};
    for (xmlNode *g = root ? root->children : NULL; r == 0 && g != NULL; g = g->next) {
        bool ents = xdoc_is(g, "ENTITIES"), inds = xdoc_is(g, "INDIVIDUALS");
        if (!ents && !inds)
            continue;
        for (xmlNode *n = g->children; r == 0 && n != NULL; n = n->next) {
            if (ents && xdoc_is(n, "ENTITY"))
                r = record(f, n, false, fn, ctx, &x, err);
            else if (inds && xdoc_is(n, "INDIVIDUAL"))
                r = record(f, n, true, fn, ctx, &x, err);
        }
    }
    scratch_free(&x);
    xmlFreeDoc(doc);
    return r;
}
