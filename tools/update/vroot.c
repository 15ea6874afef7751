/* SPDX-License-Identifier: Apache-2.0 */
/* vroot.c -- the versioned ruleset root: one rename per step. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "vroot.h"

#include "afile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "vec.h"

#define LOCK_FILE ".vet-update.lock"
#define STAGING_PREFIX ".staging-"
#define LINK_PREFIX ".current.tmp-"

int
vroot_lock(const char *root, sbuf_t *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, LOCK_FILE);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        sbuf_printf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            sbuf_printf(err, "%s: another vet-update is running on %s", path, root);
        else
            sbuf_printf(err, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* True for "YYYYMMDDTHHMMSSZ-" + 12 hex digits, optionally "-N". */
static bool
is_version_name(const char *s)
{
    static const char shape[] = "ddddddddTddddddZ-hhhhhhhhhhhh";
    size_t i = 0;
    for (; shape[i] != '\0'; i++) {
        char c = s[i];
        bool ok = shape[i] == 'd'   ? (c >= '0' && c <= '9')
                  : shape[i] == 'h' ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                                    : c == shape[i];
        if (!ok)
            return false;
    }
    if (s[i] == '\0')
        return true;
    return s[i] == '-' && s[i + 1] != '\0' &&
           strspn(s + i + 1, "0123456789") == strlen(s + i + 1) && strlen(s) < VROOT_NAME_MAX;
}

void
vroot_digest12(const char *name, char *out)
{
    out[0] = '\0';
    if (is_version_name(name)) {
        memcpy(out, name + 17, 12);
        out[12] = '\0';
    }
}

int
vroot_current(const char *root, char *name, sbuf_t *err)
{
    char path[PATH_MAX], target[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, VROOT_CURRENT);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0 && errno == ENOENT)
        return 1;
    if (n < 0) {
        sbuf_printf(err, "%s: %s", path,
                    errno == EINVAL ? "not a symbolic link (is ROOT a plain ruleset? see --init)"
                                    : strerror(errno));
        return -1;
    }
    target[n] = '\0';
    const char *p = target;
    if (strncmp(p, VROOT_VERSIONS "/", sizeof VROOT_VERSIONS) != 0 ||
        !is_version_name(p + sizeof VROOT_VERSIONS)) {
        sbuf_printf(err, "%s -> %s: not a link to versions/NAME", path, target);
        return -1;
    }
    size_t n_name = strlen(p + sizeof VROOT_VERSIONS);
    if (n_name >= VROOT_NAME_MAX) {
        sbuf_printf(err, "%s -> %s: not a link to versions/NAME", path, target);
        return -1;
    }
    memcpy(name, p + sizeof VROOT_VERSIONS, n_name + 1);
    return 0;
}

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void
vroot_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int
vroot_versions(const char *root, char ***names, size_t *n, sbuf_t *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, VROOT_VERSIONS);
    *names = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (d == NULL) {
        sbuf_printf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_version_name(e->d_name))
            continue;
        char *s = strdup(e->d_name);
        if (s == NULL || vec_grow(names, &cap, *n + 1, sizeof **names, 16) != 0) {
            free(s);
            closedir(d);
            vroot_free_names(*names, *n);
            *names = NULL;
            *n = 0;
            sbuf_puts(err, "out of memory");
            return -1;
        }
        (*names)[(*n)++] = s;
    }
    closedir(d);
    if (*n > 0)
        qsort(*names, *n, sizeof **names, cmp_name);
    return 0;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int
vroot_remove_tree(const char *path)
{
    return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
vroot_clean(const char *root, sbuf_t *log)
{
    DIR *d = opendir(root);
    if (d == NULL)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        bool staging = strncmp(e->d_name, STAGING_PREFIX, strlen(STAGING_PREFIX)) == 0;
        bool link = strncmp(e->d_name, LINK_PREFIX, strlen(LINK_PREFIX)) == 0;
        if (!staging && !link)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        if ((staging ? vroot_remove_tree(path) : unlink(path)) == 0) {
            sbuf_printf(log, "removed %s, left by a run that did not finish\n", path);
            n++;
        }
    }
    closedir(d);
    return n;
}

char *
vroot_stage(const char *root, sbuf_t *err)
{
    char *path = malloc(PATH_MAX);
    if (path == NULL) {
        sbuf_puts(err, "out of memory");
        return NULL;
    }
    snprintf(path, PATH_MAX, "%s/%sXXXXXX", root, STAGING_PREFIX);
    if (mkdtemp(path) == NULL) {
        sbuf_printf(err, "%s: %s", path, strerror(errno));
        free(path);
        return NULL;
    }
    return path;
}

static int
sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Copies the regular file from to to (created), synced. */
static int
copy_file(const char *from, const char *to, mode_t mode, sbuf_t *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        sbuf_printf(err, "%s: %s", from, strerror(errno));
        return -1;
    }
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
    if (out < 0) {
        sbuf_printf(err, "%s: %s", to, strerror(errno));
        close(in);
        return -1;
    }
    char buf[1 << 16];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sbuf_printf(err, "%s: %s", from, strerror(errno));
            rc = -1;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                sbuf_printf(err, "%s: %s", to, strerror(errno));
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc != 0)
            break;
    }
    if (rc == 0 && fsync(out) != 0) {
        sbuf_printf(err, "%s: %s", to, strerror(errno));
        rc = -1;
    }
    if (close(out) != 0 && rc == 0) {
        sbuf_printf(err, "%s: %s", to, strerror(errno));
        rc = -1;
    }
    close(in);
    return rc;
}

int
vroot_copy_tree(const char *from, const char *to, sbuf_t *err)
{
    if (mkdir(to, 0755) != 0) {
        sbuf_printf(err, "%s: %s", to, strerror(errno));
        return -1;
    }
    DIR *d = opendir(from);
    if (d == NULL) {
        sbuf_printf(err, "%s: %s", from, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char src[PATH_MAX], dst[PATH_MAX];
        struct stat st;
        if ((size_t)snprintf(src, sizeof src, "%s/%s", from, e->d_name) >= sizeof src ||
            (size_t)snprintf(dst, sizeof dst, "%s/%s", to, e->d_name) >= sizeof dst) {
            sbuf_printf(err, "%s/%s: path too long", from, e->d_name);
            rc = -1;
        } else if (lstat(src, &st) != 0) {
            sbuf_printf(err, "%s: %s", src, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = vroot_copy_tree(src, dst, err);
        } else if (S_ISREG(st.st_mode)) {
            rc = copy_file(src, dst, st.st_mode, err);
        } else {
            sbuf_printf(err, "%s: not a regular file or directory (a ruleset holds only those)",
                        src);
            rc = -1;
        }
    }
    closedir(d);
    if (rc == 0 && sync_dir(to) != 0) {
        sbuf_printf(err, "%s: %s", to, strerror(errno));
        rc = -1;
    }
    return rc;
}

int
vroot_write_file(const char *path, const void *data, size_t len, sbuf_t *err)
{
    char msg[PATH_MAX + 128];
    if (afile_write(path, data, len, 0644, msg, sizeof msg) != 0) {
        sbuf_puts(err, msg);
        return -1;
    }
    return 0;
}

int
vroot_install(const char *root, const char *dir, const char *digest, char *name, sbuf_t *err)
{
    char stamp[32], vdir[PATH_MAX], to[PATH_MAX];
    time_t now = time(NULL);
    struct tm tm;
    /* Versions are ordered by name (rollback goes to the one before):
     * a new one must sort after every existing one, so within the same
     * second as the newest (or with a clock set back) its stamp is the
     * newest's plus one second, never an order left to the digests. */
    char **have = NULL;
    size_t n_have = 0;
    if (vroot_versions(root, &have, &n_have, err) != 0)
        return -1;
    for (;;) {
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        if (n_have == 0 || strncmp(stamp, have[n_have - 1], strlen(stamp)) > 0)
            break;
        now++;
    }
    vroot_free_names(have, n_have);
    snprintf(vdir, sizeof vdir, "%s/%s", root, VROOT_VERSIONS);
    for (int k = 1; k < 1000; k++) {
        if (k == 1)
            snprintf(name, VROOT_NAME_MAX, "%s-%.12s", stamp, digest);
        else
            snprintf(name, VROOT_NAME_MAX, "%s-%.12s-%d", stamp, digest, k);
        int n = snprintf(to, sizeof to, "%s/%s", vdir, name);
        if (n < 0 || (size_t)n >= sizeof to) {
            sbuf_printf(err, "%s: path too long", vdir);
            return -1;
        }
        struct stat st;
        if (lstat(to, &st) == 0)
            continue; /* the same second and digest: another name */
        if (rename(dir, to) != 0) {
            sbuf_printf(err, "%s -> %s: %s", dir, to, strerror(errno));
            return -1;
        }
        if (sync_dir(vdir) != 0) {
            sbuf_printf(err, "%s: %s", vdir, strerror(errno));
            return -1;
        }
        return 0;
    }
    sbuf_printf(err, "%s: no free version name", vdir);
    return -1;
}

int
vroot_switch(const char *root, const char *name, void (*hook)(const char *step), sbuf_t *err)
{
    char tmp[PATH_MAX], cur[PATH_MAX], target[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/%s%ld", root, LINK_PREFIX, (long)getpid());
    snprintf(cur, sizeof cur, "%s/%s", root, VROOT_CURRENT);
    snprintf(target, sizeof target, "%s/%s", VROOT_VERSIONS, name);
    unlink(tmp);
    if (symlink(target, tmp) != 0) {
        sbuf_printf(err, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (hook != NULL)
        hook("linked");
    if (rename(tmp, cur) != 0) {
        sbuf_printf(err, "%s -> %s: %s", tmp, cur, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (sync_dir(root) != 0) {
        sbuf_printf(err, "%s: %s", root, strerror(errno));
        return -1;
    }
    return 0;
}

int
vroot_retire(const char *root, const char *name, sbuf_t *err)
{
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof from, "%s/%s/%s", root, VROOT_VERSIONS, name);
    snprintf(to, sizeof to, "%s/%sretired-%s", root, STAGING_PREFIX, name);
    if (rename(from, to) != 0) {
        sbuf_printf(err, "%s: %s", from, strerror(errno));
        return -1;
    }
    if (vroot_remove_tree(to) != 0) {
        sbuf_printf(err, "%s: %s", to, strerror(errno));
        return -1;
    }
    return 0;
}
