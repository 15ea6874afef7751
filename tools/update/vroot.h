/* SPDX-License-Identifier: Apache-2.0 */
/* vroot.h -- a versioned ruleset root, as vet-update keeps it:
 *
 *   ROOT/versions/20261129T071000Z-15152ab6ea24/   one complete ruleset each
 *   ROOT/current -> versions/...                   what vetd serves (-r ROOT/current)
 *   ROOT/.staging-XXXXXX/                          a run's work; removed at its end
 *   ROOT/vet-update.state, ROOT/.vet-update.lock
 *
 * A version directory is written whole inside the staging directory,
 * synced, then renamed into versions/; `current` is switched by renaming
 * a new symbolic link over it. Each step is one rename(2), so a crash
 * at any point leaves `current` naming a complete version, and leaves
 * nothing but a staging directory (removed by the next run) or an
 * unused complete version. */
#ifndef VET_UPDATE_VROOT_H
#define VET_UPDATE_VROOT_H

#include <stddef.h>

#include "sbuf.h"

#define VROOT_CURRENT "current"
#define VROOT_VERSIONS "versions"
#define VROOT_NAME_MAX 64 /* a version's name, with its NUL */

/* Takes ROOT/.vet-update.lock (flock, not waiting): one run at a time.
 * Returns the descriptor (the lock lasts until it is closed, or the
 * process dies), or -1 with why in err ("another vet-update is running"). */
int vroot_lock(const char *root, sbuf_t *err);

/* The version `current` names, into name (VROOT_NAME_MAX bytes).
 * Returns 0; 1 if ROOT has no `current` (not a versioned root); -1 with
 * err if it is not a link into versions/ or cannot be read. */
int vroot_current(const char *root, char *name, sbuf_t *err);

/* The versions in ROOT/versions, oldest first (names sort by time).
 * Returns 0 and *names (caller frees with vroot_free_names), or -1 with
 * err. */
int vroot_versions(const char *root, char ***names, size_t *n, sbuf_t *err);
void vroot_free_names(char **names, size_t n);

/* The 12 hex digits of a version's ruleset digest (from its name) into
 * out (13 bytes); "" if name is not a version name. */
void vroot_digest12(const char *name, char *out);

/* Removes what a run killed half way left: staging directories and
 * temporary links. Returns how many it removed, each named in log. */
int vroot_clean(const char *root, sbuf_t *log);

/* Makes ROOT/.staging-XXXXXX. Returns its path (caller frees), or NULL
 * with err. */
char *vroot_stage(const char *root, sbuf_t *err);

/* Copies directory from to a new directory to (regular files and
 * directories only; each file synced). 0, or -1 with err. */
int vroot_copy_tree(const char *from, const char *to, sbuf_t *err);

/* Removes path and everything under it (links not followed). 0 or -1. */
int vroot_remove_tree(const char *path);

/* Writes data to path through a temporary file in the same directory,
 * synced, then renamed over path. 0, or -1 with err. */
int vroot_write_file(const char *path, const void *data, size_t len, sbuf_t *err);

/* Moves the complete ruleset directory dir into ROOT/versions under a
 * new name (UTC time now and the digest's first 12 hex digits), synced.
 * Writes the name into name (VROOT_NAME_MAX bytes). 0, or -1 with err. */
int vroot_install(const char *root, const char *dir, const char *digest, char *name, sbuf_t *err);

/* Points ROOT/current at versions/name: a new link, then one rename over
 * the old one, then the directory synced. hook (may be NULL) is called
 * with "linked" between the two (tests kill the process there). 0, or -1
 * with err (current unchanged). */
int vroot_switch(const char *root, const char *name, void (*hook)(const char *step), sbuf_t *err);

/* Removes versions/name whole (renamed to a staging name first, so a
 * crash leaves nothing the next run does not clean). 0, or -1 with err. */
int vroot_retire(const char *root, const char *name, sbuf_t *err);

#endif
