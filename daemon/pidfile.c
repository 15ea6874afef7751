/* SPDX-License-Identifier: Apache-2.0 */
/* pidfile.c -- vetd's PID file: claim, write, remove (pidfile.h). */
#include "pidfile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The pid path holds, or 0 when it holds none (missing, empty, not a
 * number). */
static long
pid_in(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 0)
        pid = 0;
    fclose(f);
    return pid;
}

/* Whether pid is a live vetd. A pid is reused once its process is gone,
 * so a stale file must not block a restart after a crash: the process
 * must also be called vetd (/proc/PID/comm, when /proc can say). */
static int
is_running_vetd(long pid)
{
    if (pid == (long)getpid())
        return 0;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return 0;
    char comm_path[64], comm[64] = "";
    snprintf(comm_path, sizeof comm_path, "/proc/%ld/comm", pid);
    FILE *f = fopen(comm_path, "r");
    if (f == NULL)
        return 1; /* alive, name unknown: do not take its file */
    if (fgets(comm, sizeof comm, f) == NULL)
        comm[0] = '\0';
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    return strcmp(comm, "vetd") == 0;
}

int
pidfile_check(const char *path, char *err, size_t errlen)
{
    long pid = pid_in(path);
    if (pid != 0 && is_running_vetd(pid)) {
        snprintf(err, errlen, "%s: vetd is already running as pid %ld", path, pid);
        return -1;
    }
    return 0;
}

int
pidfile_write(const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int bad = fprintf(f, "%ld\n", (long)getpid()) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int
pidfile_remove(const char *path, char *err, size_t errlen)
{
    if (pid_in(path) != (long)getpid())
        return 0;
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
