/* SPDX-License-Identifier: Apache-2.0 */
/* xdoc.c -- the importers' one way to parse XML (libxml2): no network, first error as file:line. */
#include "xdoc.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

/* The first parse error (libxml2 goes on and reports the last one). */
typedef struct xdoc_err {
    bool set;      /* an error was seen */
    int line;      /* its line */
    char msg[256]; /* its message, without the trailing newline */
} xdoc_err_t;

/* A structured error handler for one parser context: data is the
 * context (its userData), whose _private points at our xdoc_err_t. */
static void
first_error(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctx = data;
    xdoc_err_t *fe = ctx != NULL ? ctx->_private : NULL;
    if (fe == NULL || fe->set || e == NULL || e->level < XML_ERR_ERROR)
        return;
    fe->set = true;
    fe->line = e->line;
    snprintf(fe->msg, sizeof fe->msg, "%s", e->message ? e->message : "not well-formed XML");
    size_t n = strlen(fe->msg);
    while (n > 0 && (fe->msg[n - 1] == '\n' || fe->msg[n - 1] == ' '))
        fe->msg[--n] = '\0';
}

xmlDocPtr
xdoc_read(const imp_file_t *f, sbuf_t *err)
{
    if (f->len > (size_t)2147483647) {
        sbuf_printf(err, "%s:1: file too large", f->path);
        return NULL;
    }
    xmlParserCtxtPtr pc = xmlNewParserCtxt();
    if (pc == NULL) {
        imp_oom(err);
        return NULL;
    }
    xdoc_err_t fe = {false, 0, ""};
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
        doc = NULL;
    }
    xmlFreeParserCtxt(pc);
    return doc;
}

bool
xdoc_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}
