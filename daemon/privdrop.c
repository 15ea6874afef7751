/* SPDX-License-Identifier: Apache-2.0 */
/* privdrop.c -- dropping root after start-up (privdrop.h). glibc applies
 * setgroups, setgid and setuid to every thread of the process, libzmq's
 * and vetd's own alike, so this may run once they have started. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int
privdrop_apply(const char *user, bool allow_root, vlog_t *log)
{
    if (user == NULL) {
        if (geteuid() == 0 && allow_root)
            vlog_msg(log, VLOG_INFO, "running as root (allow_root)");
        else if (geteuid() == 0) {
            /* vetd sees every tie screened and writes the audit log: a
             * flaw in it must not be a flaw of root. */
            vlog_msg(log, VLOG_ERR,
                     "refusing to run as root: run vetd with --user NAME (user setting; "
                     "privileges are dropped once the sockets and the audit log are open), "
                     "or say --allow-root (docs/SECURITY.md)");
            return -1;
        }
        return 0;
    }
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        vlog_msg(log, VLOG_ERR, "user %s: %s", user, errno ? strerror(errno) : "no such user");
        return -1;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (geteuid() != 0) {
        if (geteuid() == uid)
            return 0;
        vlog_msg(log, VLOG_ERR, "cannot become user %s: vetd is not running as root", user);
        return -1;
    }
    /* Groups first: once the uid changes, they can no longer be set. */
    if (initgroups(user, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        vlog_msg(log, VLOG_ERR, "cannot become user %s: %s", user, strerror(errno));
        return -1;
    }
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0 || getuid() != uid || geteuid() != uid ||
                     getegid() != gid)) {
        vlog_msg(log, VLOG_ERR, "user %s: root could be regained after the change; stopping", user);
        return -1;
    }
    vlog_msg(log, VLOG_INFO, "running as user %s (uid %u, gid %u)", user, (unsigned)uid,
             (unsigned)gid);
    return 0;
}
