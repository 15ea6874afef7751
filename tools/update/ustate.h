/* SPDX-License-Identifier: Apache-2.0 */
/* ustate.h -- vet-update's state file (ROOT/vet-update.state): for each
 * list, the validators (ETag, Last-Modified) of its last download that
 * was installed or found identical to the installed registry file, when
 * the publisher last confirmed it, and the digests of rulesets an
 * operator rolled back from. Losing the file costs one full download. */
#ifndef VET_UPDATE_USTATE_H
#define VET_UPDATE_USTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

#define USTATE_FILE "vet-update.state" /* in ROOT, beside current */

/* One downloaded file of a list. */
typedef struct ustate_file {
    const char *url;           /* as in sources.cfg */
    const char *etag;          /* the response's ETag, "" if none */
    const char *last_modified; /* its Last-Modified, "" if none */
    const char *sha256;        /* hex SHA-256 of the body */
    long long bytes;           /* body size */
} ustate_file_t;

/* One list. Strings are owned by the ustate_t once put. */
typedef struct ustate_list {
    const char *id;              /* the sources.cfg list id */
    const char *registry_sha256; /* hex SHA-256 of the registry file these
                                  * downloads made: the validators hold only
                                  * while the installed file is that one */
    const char *downloaded;      /* UTC time of that download */
    const char *checked;         /* UTC time the publisher last confirmed it
                                  * (200 or 304) */
    const ustate_file_t *files;  /* n_files, in sources.cfg URL order */
    size_t n_files;
} ustate_list_t;

typedef struct ustate ustate_t;

/* Reads path. A missing file is an empty state; a file that does not
 * parse is an empty state too, with a line in warn (the validators only
 * save downloads). Returns the handle (caller owns it: ustate_destroy),
 * or NULL on OOM. */
ustate_t *ustate_load(const char *path, sbuf_t *warn);
void ustate_destroy(ustate_t **sp);

/* The list with this id, or NULL. Borrowed until the next ustate_put. */
const ustate_list_t *ustate_find(const ustate_t *s, const char *id);

/* Records l (copied), replacing the list with the same id. 0, or -1 on OOM. */
int ustate_put(ustate_t *s, const ustate_list_t *l);

/* True if a ruleset whose digest starts with digest12 was rolled back
 * from; *at (if not NULL) gets when (borrowed). */
bool ustate_rejected(const ustate_t *s, const char *digest12, const char **at);

/* Records that the operator rolled back from digest12 at time at (both
 * copied; the 20 most recent are kept). 0, or -1 on OOM. */
int ustate_reject(ustate_t *s, const char *digest12, const char *at);

/* Appends the file's text to out (out->oom on OOM). */
void ustate_render(const ustate_t *s, sbuf_t *out);

#endif
