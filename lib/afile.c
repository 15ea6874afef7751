/* SPDX-License-Identifier: Apache-2.0 */
/* afile.c -- files replaced whole or not at all (see afile.h). */
#include "afile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Syncs the directory holding path, so that a rename in it is durable. */
static int
sync_parent(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
    int fd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int
afile_stage(const char *path, const void *data, size_t len, mode_t mode, char *tmp, size_t tmpcap,
            char *err, size_t errcap)
{
    if ((size_t)snprintf(tmp, tmpcap, "%s.tmp-%ld", path, (long)getpid()) >= tmpcap) {
        snprintf(err, errcap, "%s: path too long", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode & 0777);
    if (fd < 0) {
        snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    const char *p = data;
    size_t off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = -1;
            break;
        }
        off += (size_t)w;
    }
    /* The mode asked for, whatever the umask took away or added. */
    if (rc == 0)
        rc = fchmod(fd, mode & 0777);
    if (rc == 0)
        rc = fsync(fd);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        snprintf(err, errcap, "%s: %s", tmp, strerror(saved));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int
afile_commit(const char *tmp, const char *path, char *err, size_t errcap)
{
    if (rename(tmp, path) != 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (sync_parent(path) != 0) {
        snprintf(err, errcap, "%s: syncing its directory: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int
afile_write(const char *path, const void *data, size_t len, mode_t mode, char *err, size_t errcap)
{
    char tmp[PATH_MAX];
    if (afile_stage(path, data, len, mode, tmp, sizeof tmp, err, errcap) != 0)
        return -1;
    return afile_commit(tmp, path, err, errcap);
}
