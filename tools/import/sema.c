/* SPDX-License-Identifier: Apache-2.0 */
/* sema.c -- the one reader of Canada's autonomous sanctions list XML (sema-lmes.xml). */
#include "sema.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>

#include "xdoc.h"

/* Element names -> fields. The first rows come from SEMA_FIELDS; the
 * others are spellings the file has used: the ship type is TitleOrShip
 * in the English-only file and TitleOrShipType in the bilingual one
 * (TitleOrShipType-TitreOuTypeDeNavire); the file of 2017-2019 named an
 * entity Entity and a date of birth DateOfBirth. */
static const struct {
    const char *name; /* English element name */
    sema_field_t k;   /* the field it fills */
} names[] = {
#define SEMA_NAME(e, name) {name, SEMA_##e},
    SEMA_FIELDS(SEMA_NAME)
#undef SEMA_NAME
        {"TitleOrShipType", SEMA_TITLE},
    {"Entity", SEMA_ENTITY},
    {"DateOfBirth", SEMA_BORN},
};

const char *
sema_field_name(sema_field_t k)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].k == k)
            return names[i].name;
    return "?";
}

/* The field an element name stands for: the English name alone, or the
 * English name, '-' and the French one. -1 if none. */
static int
field_of(const char *el)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i].name);
        if (strncmp(el, names[i].name, n) == 0 && (el[n] == '\0' || el[n] == '-'))
            return (int)names[i].k;
    }
    return -1;
}

/* Makes s (from libxml2) plain, in place: U+00A0 NO-BREAK SPACE becomes a
 * space (the file has it inside names), leading and trailing spaces go.
 * Returns s, or NULL (s freed) when nothing is left. */
static char *
plain(char *s)
{
    if (s == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if ((unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xA0) {
            s[k++] = ' ';
            i++;
        } else {
            s[k++] = s[i];
        }
    }
    s[k] = '\0';
    while (k > 0 && strchr(" \t\r\n", s[k - 1]) != NULL)
        s[--k] = '\0';
    size_t lead = strspn(s, " \t\r\n");
    memmove(s, s + lead, k - lead + 1);
    if (s[0] == '\0') {
        xmlFree(s);
        return NULL;
    }
    return s;
}

/* Gathers the texts of the <record> n and calls fn. */
static int
record(const imp_file_t *f, const xmlNode *n, sema_rec_fn fn, void *ctx, sbuf_t *err)
{
    char *text[SEMA_NFIELDS] = {NULL};
    bool seen[SEMA_NFIELDS] = {false};
    sema_rec_t rec = {xmlGetLineNo((xmlNode *)n), {NULL}, 0, NULL, 0};
    int r = 0;
    for (xmlNode *c = n->children; r == 0 && c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        int k = field_of((const char *)c->name);
        if (k < 0) {
            if (rec.n_unknown++ == 0) {
                rec.unknown = (const char *)c->name;
                rec.unknown_line = xmlGetLineNo(c);
            }
            continue;
        }
        if (seen[k]) {
            sbuf_printf(err, "%s:%ld: <record> has a second <%s> element", f->path, xmlGetLineNo(c),
                        (const char *)c->name);
            r = -1;
            break;
        }
        seen[k] = true;
        char *s = (char *)xmlNodeGetContent(c);
        if (s == NULL && c->children != NULL) {
            r = imp_oom(err);
            break;
        }
        text[k] = plain(s);
        rec.f[k] = text[k];
    }
    if (r == 0)
        r = fn(ctx, f, &rec, err);
    for (size_t i = 0; i < SEMA_NFIELDS; i++)
        xmlFree(text[i]);
    return r;
}

int
sema_read(const imp_file_t *f, sema_rec_fn fn, void *ctx, size_t *n_records, size_t *n_other,
          sbuf_t *err)
{
    *n_records = 0;
    *n_other = 0;
    xmlDocPtr doc = xdoc_read(f, err);
    if (doc == NULL)
        return -1;
    int r = 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (root == NULL || !xdoc_is(root, "data-set")) {
        sbuf_printf(err, "%s:%ld: expected the root element data-set", f->path,
                    root ? xmlGetLineNo(root) : 1L);
        r = -1;
    }
    for (xmlNode *n = root ? root->children : NULL; r == 0 && n != NULL; n = n->next) {
        if (xdoc_is(n, "record")) {
            (*n_records)++;
            r = record(f, n, fn, ctx, err);
        } else if (n->type == XML_ELEMENT_NODE) {
            (*n_other)++;
        }
    }
    xmlFreeDoc(doc);
    return r;
}
