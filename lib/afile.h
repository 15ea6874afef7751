/* SPDX-License-Identifier: Apache-2.0 */
/* afile.h -- files replaced whole or not at all: the new bytes go to a
 * temporary file beside the target, synced, then one rename(2) puts them
 * in place and the directory is synced. A reader (or a crash) sees the
 * old file or the new one, never a mix. Used by vet-update for the
 * ruleset's files and by vetd for the review register it owns. */
#ifndef VET_AFILE_H
#define VET_AFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes data (len bytes) to "PATH.tmp-PID" with mode, and syncs it.
 * Its name goes to tmp (tmpcap bytes). Returns 0, or -1 with
 * "FILE: reason" in err (errcap bytes) and nothing left behind. */
int afile_stage(const char *path, const void *data, size_t len, mode_t mode, char *tmp,
                size_t tmpcap, char *err, size_t errcap);

/* Renames tmp (from afile_stage) over path and syncs path's directory.
 * Returns 0, or -1 with "FILE: reason" in err; tmp is then removed. */
int afile_commit(const char *tmp, const char *path, char *err, size_t errcap);

/* afile_stage then afile_commit. */
int afile_write(const char *path, const void *data, size_t len, mode_t mode, char *err,
                size_t errcap);

#endif
