/* SPDX-License-Identifier: Apache-2.0 */
/* pidfile.h -- vetd's PID file (--pidfile, vetd.cfg pidfile): written
 * once the sockets are bound, removed at exit, so that `kill -HUP
 * $(cat FILE)` and systemd's PIDFile= signal this vetd and no other. */
#ifndef VET_PIDFILE_H
#define VET_PIDFILE_H

#include <stddef.h>

/* Before binding: returns 0 if path may be claimed (no file, an
 * unreadable or empty one, or one naming a process that is gone or is
 * not vetd), -1 with err filled if it names a running vetd. path
 * borrowed. */
int pidfile_check(const char *path, char *err, size_t errlen);

/* Writes this process's pid to path (a temporary file renamed over it,
 * so a reader never sees half a number). Returns 0, or -1 with err
 * filled. path borrowed. */
int pidfile_write(const char *path, char *err, size_t errlen);

/* At exit: removes path if it still holds this process's pid (a newer
 * vetd may have claimed it). Returns 0, or -1 with err filled when the
 * file could not be removed (e.g. its directory is root's and vetd
 * dropped privileges). path borrowed. */
int pidfile_remove(const char *path, char *err, size_t errlen);

#endif
