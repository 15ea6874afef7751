/* SPDX-License-Identifier: Apache-2.0 */
/* imprun.h -- one run of a vet-import format, in process: input files in,
 * registry file bytes out (same readers, same writer, same header).
 * vet-import's main and vet-update both run imports through it, so a
 * downloaded list becomes exactly the file `vet-import` would write. */
#ifndef VET_IMPORT_IMPRUN_H
#define VET_IMPORT_IMPRUN_H

#include <stddef.h>

#include "import.h"
#include "sbuf.h"

/* The formats, in the order usage lists them; *n gets their count. */
const imp_format_t *const *imprun_formats(size_t *n);

/* The format named name, or NULL. Borrowed (static). */
const imp_format_t *imprun_format(const char *name);

/* The format name closest to name (a plausible typo), or NULL. Static. */
const char *imprun_suggest(const char *name);

/* Outcome of imprun_run. */
typedef enum imprun_rc {
    IMPRUN_OK,      /* out holds the registry file */
    IMPRUN_REFUSED, /* the input does not parse or is not UTF-8, or a
                     * --select id is missing (err: "file:line: what") */
    IMPRUN_NOINPUT, /* a file could not be read (err: "path: why") */
    IMPRUN_NOMEM    /* out of memory (err: "out of memory") */
} imprun_rc_t;

/* Imports paths[0..n) (in the format's file order) with format fmt and
 * options o into out (appended): the bytes vet-import prints, its title
 * and header included; with select (a file of organisation ids, or NULL)
 * only the organisations it names (vet-import --select). The header
 * names each file by its base name, so a downloaded file must carry the
 * published name. summary gets vet-import's stderr summary
 * (organisations written, records skipped by reason). Unless IMPRUN_OK,
 * out is left as it was and err says why. Nothing is borrowed beyond the
 * call. */
imprun_rc_t imprun_run(const imp_format_t *fmt, const imp_opts_t *o, const char *select,
                       const char *const *paths, size_t n, sbuf_t *out, sbuf_t *summary,
                       sbuf_t *err);

#endif
