/* SPDX-License-Identifier: Apache-2.0 */
/* xdoc.h -- the importers' one way to parse XML (libxml2): no network, first error as file:line. */
#ifndef VET_IMPORT_XDOC_H
#define VET_IMPORT_XDOC_H

#include <libxml/tree.h>
#include <stdbool.h>

#include "import.h"
#include "sbuf.h"

/* Parses f whole (no network access, no entity substitution, libxml2's
 * own messages silenced, line numbers past 65535 kept). Returns the
 * document (caller frees, xmlFreeDoc), or NULL with "file:line: bad XML:
 * <libxml2's first error>", "file:1: file too large" or "vet-import: out
 * of memory" in err. A document that parsed with errors is refused. */
xmlDocPtr xdoc_read(const imp_file_t *f, sbuf_t *err);

/* Whether n is an element called name. */
bool xdoc_is(const xmlNode *n, const char *name);

#endif
