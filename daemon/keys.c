/* SPDX-License-Identifier: Apache-2.0 */
/* keys.c -- CURVE certificates in czmq's zcert text format (ZPL: a
 * "metadata" and a "curve" section, "    name = \"value\"" lines). */
#include "keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define LINE_MAX_LEN 1024 /* a certificate line longer than this is not one */

struct keys {
    unsigned char (*bin)[32]; /* n keys, binary */
    char (*names)[KEYS_NAME_MAX];
    size_t n; /* keys held */
};

/* Writes one certificate file: mode applies at creation (O_EXCL: never
 * over an existing file) and is set again by fchmod, so the umask cannot
 * widen or narrow it. Returns 0 or -1 with why in err. */
static int
write_cert(const char *path, mode_t mode, const char *name, const char *pub, const char *sec,
           char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fchmod(fd, mode) != 0) {
        snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime_r(&now, &tm));
    fprintf(f, "#   ****  Generated on %s by vetd keygen  ****\n", when);
    if (sec != NULL)
        fprintf(f, "#   ZeroMQ CURVE **Secret** Certificate\n"
                   "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n");
    else
        fprintf(f, "#   ZeroMQ CURVE Public Certificate\n"
                   "#   Exchange securely, or use a secure mechanism to verify the contents\n"
                   "#   of this file after exchange.\n");
    fprintf(f, "\nmetadata\n    name = \"%s\"\ncurve\n    public-key = \"%s\"\n", name, pub);
    if (sec != NULL)
        fprintf(f, "    secret-key = \"%s\"\n", sec);
    if (ferror(f) | (fclose(f) != 0)) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

int
keys_generate(const char *path, const char *name, char *err, size_t errlen)
{
    char pub[KEYS_Z85_LEN + 1], sec[KEYS_Z85_LEN + 1];
    if (zmq_curve_keypair(pub, sec) != 0) {
        snprintf(err, errlen, "cannot generate a key pair: %s", zmq_strerror(errno));
        return -1;
    }
    /* The default name is the file's own (what the allow-list shows). */
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    if (name == NULL)
        name = base;
    if (*base == '\0' || *name == '\0' || strlen(name) >= KEYS_NAME_MAX ||
        strpbrk(name, "\"\n\\") != NULL) {
        snprintf(err, errlen, "%s: a name of 1 to %d characters without quotes is needed", path,
                 KEYS_NAME_MAX - 1);
        return -1;
    }
    char spath[4096];
    if ((size_t)snprintf(spath, sizeof spath, "%s_secret", path) >= sizeof spath) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    if (write_cert(spath, 0600, name, pub, sec, err, errlen) != 0)
        return -1;
    if (write_cert(path, 0644, name, pub, NULL, err, errlen) != 0) {
        unlink(spath);
        return -1;
    }
    return 0;
}

/* The value of a ZPL "key = value" line (quoted or not) into out;
 * false if it is not well formed or does not fit. */
static bool
zpl_value(const char *v, char *out, size_t outlen)
{
    while (*v == ' ')
        v++;
    size_t n;
    if (*v == '"' || *v == '\'') {
        const char *end = strchr(v + 1, *v);
        if (end == NULL)
            return false;
        n = (size_t)(end - v - 1);
        v++;
    } else {
        n = strcspn(v, " #");
    }
    if (n >= outlen)
        return false;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

int
keys_read(const char *path, char *pub, char *sec, char *name, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[LINE_MAX_LEN], section[32] = "";
    int lineno = 0, rc = 0;
    pub[0] = '\0';
    if (sec != NULL)
        sec[0] = '\0';
    if (name != NULL)
        name[0] = '\0';
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line;
        while (*p == ' ')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        if (p == line) { /* a section at the top level */
            snprintf(section, sizeof section, "%.*s", (int)strcspn(p, " #"), p);
            continue;
        }
        const char *eq = strchr(p, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "%s:%d: expected name = \"value\"", path, lineno);
            rc = -1;
            break;
        }
        size_t klen = strcspn(p, " =");
        char *dst = NULL;
        size_t dlen = 0;
        bool key = false;
        if (strcmp(section, "curve") == 0 && klen == 10 && memcmp(p, "public-key", 10) == 0)
            dst = pub, dlen = KEYS_Z85_LEN + 1, key = true;
        else if (strcmp(section, "curve") == 0 && klen == 10 && memcmp(p, "secret-key", 10) == 0)
            dst = sec, dlen = KEYS_Z85_LEN + 1, key = true;
        else if (strcmp(section, "metadata") == 0 && klen == 4 && memcmp(p, "name", 4) == 0)
            dst = name, dlen = KEYS_NAME_MAX;
        char tmp[LINE_MAX_LEN];
        if (dst == NULL)
            continue; /* other metadata: not ours */
        if (!zpl_value(eq + 1, tmp, sizeof tmp) || strlen(tmp) >= dlen ||
            (key && strlen(tmp) != KEYS_Z85_LEN)) {
            snprintf(err, errlen, "%s:%d: %.*s: %s", path, lineno, (int)klen, p,
                     key ? "expected a key of 40 Z85 characters" : "value too long");
            rc = -1;
            break;
        }
        unsigned char bin[32];
        if (key && zmq_z85_decode(bin, tmp) == NULL) {
            snprintf(err, errlen, "%s:%d: %.*s: not Z85 text", path, lineno, (int)klen, p);
            rc = -1;
            break;
        }
        memcpy(dst, tmp, strlen(tmp) + 1);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    if (rc == 0 && pub[0] == '\0') {
        snprintf(err, errlen, "%s: no curve public-key: not a certificate", path);
        rc = -1;
    }
    if (rc == 0 && sec != NULL && sec[0] == '\0') {
        snprintf(err, errlen, "%s: no curve secret-key: a public certificate, not a secret one",
                 path);
        rc = -1;
    }
    return rc;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

keys_t *
keys_load_dir(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    keys_t *k = calloc(1, sizeof *k);
    if (k == NULL || (k->bin = calloc(KEYS_MAX, sizeof *k->bin)) == NULL ||
        (k->names = calloc(KEYS_MAX, sizeof *k->names)) == NULL) {
        snprintf(err, errlen, "%s: out of memory", dir);
        closedir(d);
        keys_destroy(&k);
        return NULL;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || ends_with(e->d_name, "_secret"))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (k->n == KEYS_MAX) {
            snprintf(err, errlen, "%s: more than %d certificates", dir, KEYS_MAX);
            rc = -1;
            break;
        }
        char pub[KEYS_Z85_LEN + 1], name[KEYS_NAME_MAX];
        if (keys_read(path, pub, NULL, name, err, errlen) != 0) {
            rc = -1;
            break;
        }
        zmq_z85_decode(k->bin[k->n], pub); /* keys_read checked it */
        /* A file name longer than a key name is cut (its start names it). */
        snprintf(k->names[k->n], KEYS_NAME_MAX, "%.*s", KEYS_NAME_MAX - 1,
                 name[0] ? name : e->d_name);
        k->n++;
    }
    closedir(d);
    if (rc != 0)
        keys_destroy(&k);
    return k;
}

void
keys_destroy(keys_t **kp)
{
    if (kp == NULL || *kp == NULL)
        return;
    free((*kp)->bin);
    free((*kp)->names);
    free(*kp);
    *kp = NULL;
}

size_t
keys_count(const keys_t *k)
{
    return k != NULL ? k->n : 0;
}

const char *
keys_find(const keys_t *k, const unsigned char *key32)
{
    for (size_t i = 0; k != NULL && i < k->n; i++)
        if (memcmp(k->bin[i], key32, 32) == 0)
            return k->names[i];
    return NULL;
}
