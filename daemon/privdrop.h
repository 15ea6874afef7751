/* SPDX-License-Identifier: Apache-2.0 */
/* privdrop.h -- running unprivileged: vetd started as root becomes the
 * user of --user (user setting) once its sockets and audit log are open. */
#ifndef VET_PRIVDROP_H
#define VET_PRIVDROP_H

#include <stdbool.h>

#include "vlog.h"

/* With user set: makes every thread of the process that user (its uid,
 * gid and supplementary groups), then checks that root cannot be
 * regained. Without it, as root: refuses (-1), unless allow_root (a note).
 * log borrowed. Returns 0, or -1 after logging why (an unknown user,
 * not root but asked to become another user, a change that failed or
 * could be undone). */
int privdrop_apply(const char *user, bool allow_root, vlog_t *log);

#endif
