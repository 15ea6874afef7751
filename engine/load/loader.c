/* SPDX-License-Identifier: Apache-2.0 */
/* loader.c -- the ruleset loader's plumbing (loader.h): each file read
 * once into memory, hashed into the digest and parsed from those very
 * bytes; the member checks and arena copies every step uses; the
 * sticky out-of-memory flag.
 *
 * Every allocation is checked; a failed one sets L->oom (as sbuf's flag
 * does), the steps carry on as far as they can, and ruleset_load reports
 * "out of memory" once at the end and fails. libconfig's silent drops
 * are caught by cfgread_complete. */
#include "loader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgread.h"
#include "norm.h"
#include "vec.h"

#define RS_MAX_FILE (256u << 20) /* a rules file larger than this is refused */
#define RS_MAX_FILES 4096        /* registry files per ruleset */

/* ---- state ------------------------------------------------------------ */

/* A registry file read before its turn (loader_each_registry): what its
 * reading reported and its bytes, held until its turn comes, so the
 * messages and the digest come in the files' order whichever thread
 * read what. */
typedef struct reg_ahead {
    diag_t *d; /* its messages (owned), or NULL */
    bool oom;  /* an allocation failed while reading it */
    char *buf; /* its bytes, for the digest (malloc'd), or NULL */
    size_t len;
} reg_ahead_t;

void
loader_init(loader_t *L, ruleset_t *rs, diag_t *d)
{
    memset(L, 0, sizeof *L);
    L->rs = rs;
    L->d = d;
    L->list_map = loader_chk(L, smap_new());
    L->tag_map = loader_chk(L, smap_new());
    L->ent_map = loader_chk(L, smap_new());
}

void
loader_free_registry_tree(loader_t *L, size_t i)
{
    if (L->reg == NULL || i >= L->n_reg)
        return;
    config_destroy(&L->reg[i].cfg);
    /* All zeros again: loader_free's config_destroy accepts it. */
    memset(&L->reg[i].cfg, 0, sizeof L->reg[i].cfg);
    L->reg[i].ok = false;
}

void
loader_free(loader_t *L)
{
    /* A config_t that was never initialised is all zeros, which
     * config_destroy accepts. Paths belong to the arena (adopt_path). */
    config_destroy(&L->taxonomy.cfg);
    config_destroy(&L->policy.cfg);
    config_destroy(&L->words.cfg);
    for (size_t i = 0; L->reg != NULL && i < L->n_reg; i++)
        config_destroy(&L->reg[i].cfg);
    free(L->reg);
    for (size_t i = 0; L->ahead != NULL && i < L->n_reg; i++) {
        diag_destroy(&L->ahead[i].d);
        free(L->ahead[i].buf);
    }
    free(L->ahead);
    for (size_t i = 0; L->reg_names != NULL && i < L->n_reg; i++)
        free(L->reg_names[i]);
    free(L->reg_names);
    free(L->dir);
    free(L->syms);
    free(L->list_info);
    free(L->list_site);
    free(L->lists.v);
    free(L->tags.v);
    free(L->rels);
    smap_destroy(&L->list_map);
    smap_destroy(&L->tag_map);
    smap_destroy(&L->ent_map);
}

/* ---- small helpers ---------------------------------------------------- */

void *
loader_chk(loader_t *L, void *p)
{
    if (p == NULL)
        L->oom = true;
    return p;
}

char *
loader_strdup(loader_t *L, const char *s)
{
    return s == NULL ? NULL : loader_chk(L, arena_strdup(L->rs->arena, s));
}

/* The words of a citation that name a file (loader.h). */
static const char *const file_exts[] = {"md",  "csv", "tsv",  "xml", "json", "jsonl",
                                        "cfg", "txt", "yaml", "yml", "ids"};

static bool
src_word_char(char c)
{
    return c != '\0' && c != ' ' && c != '\t' && c != '\n' && c != '(' && c != ')' && c != '[' &&
           c != ']' && c != ',' && c != ';' && c != '\'' && c != '"';
}

const char *
loader_cites_file(const char *s, size_t *n)
{
    for (const char *w = s; *w != '\0';) {
        if (!src_word_char(*w)) {
            w++;
            continue;
        }
        const char *end = w;
        while (src_word_char(*end))
            end++;
        size_t len = (size_t)(end - w);
        /* "line 42", "line 42390": the word "line" and a number. */
        if (len == 4 && strncmp(w, "line", 4) == 0 && end[0] == ' ' && end[1] >= '0' &&
            end[1] <= '9') {
            const char *d = end + 1;
            while (*d >= '0' && *d <= '9')
                d++;
            *n = (size_t)(d - w);
            return w;
        }
        /* A trailing '.' or ':' ends a sentence, not a file name. */
        const char *e = end;
        while (e > w && (e[-1] == '.' || e[-1] == ':'))
            e--;
        const char *dot = NULL;
        for (const char *p = w; p < e; p++)
            if (*p == '.')
                dot = p;
        const char *slash = memchr(w, '/', len);
        bool url = slash != NULL && ((slash > w + 1 && slash[-1] == ':' && slash[1] == '/') ||
                                     memchr(w, '.', (size_t)(slash - w)) != NULL);
        if (dot != NULL && dot > w && !url) {
            size_t el = (size_t)(e - dot - 1);
            for (size_t i = 0; i < sizeof file_exts / sizeof file_exts[0]; i++)
                if (el == strlen(file_exts[i]) && strncasecmp(dot + 1, file_exts[i], el) == 0) {
                    *n = (size_t)(e - w);
                    return w;
                }
        }
        w = end;
    }
    return NULL;
}

/* "a string", "an integer"...: a libconfig type in an error message. */
static const char *
setting_type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "a setting";
    }
}

void
loader_check_members(loader_t *L, const char *file, const config_setting_t *grp,
                     const char *const *allowed, const char *what)
{
    cfgread_check_members(L->d, file, grp, allowed, "", what);
}

config_setting_t *
loader_member(loader_t *L, const char *file, const config_setting_t *grp, const char *name,
              int want, bool required, const char *what)
{
    config_setting_t *s = config_setting_get_member(grp, name);
    if (s == NULL) {
        if (required)
            diag_add(L->d, file, cfgread_line(grp), 0, "%s: missing \"%s\"", what, name);
        return NULL;
    }
    int t = config_setting_type(s);
    bool ok = t == want ||
              (want == CONFIG_TYPE_FLOAT && (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)) ||
              (want == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64) ||
              (want == CONFIG_TYPE_LIST && t == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0);
    if (!ok) {
        diag_add(L->d, file, cfgread_line(s), 0, "%s: \"%s\" must be %s, not %s", what, name,
                 setting_type_name(want), setting_type_name(t));
        return NULL;
    }
    return s;
}

const char *
loader_str(loader_t *L, const char *file, const config_setting_t *grp, const char *name,
           bool required, const char *what)
{
    config_setting_t *s = loader_member(L, file, grp, name, CONFIG_TYPE_STRING, required, what);
    if (s == NULL)
        return NULL;
    const char *v = config_setting_get_string(s);
    if (v == NULL) /* cfgread_complete rules it out; never guess */
        return loader_chk(L, NULL);
    if (!norm_valid_utf8(v, strlen(v))) {
        diag_add(L->d, file, cfgread_line(s), 0, "%s: \"%s\" is not valid UTF-8", what, name);
        return NULL;
    }
    if (v[strspn(v, " \t\r\n")] == '\0') {
        diag_add(L->d, file, cfgread_line(s), 0, "%s: \"%s\" is empty", what, name);
        return NULL;
    }
    return loader_strdup(L, v);
}

size_t
loader_strs(loader_t *L, const char *file, const config_setting_t *grp, const char *name,
            const char ***out, const char *what)
{
    *out = NULL;
    config_setting_t *s = config_setting_get_member(grp, name);
    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
        diag_add(L->d, file, cfgread_line(s), 0, "%s: \"%s\" must be an array of strings, not %s",
                 what, name, setting_type_name(config_setting_type(s)));
        return 0;
    }
    int n = config_setting_length(s);
    const char **v = loader_chk(L, arena_calloc(L->rs->arena, (size_t)n + 1, sizeof *v));
    size_t k = 0;
    for (int i = 0; i < n && v != NULL; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            diag_add(L->d, file, cfgread_line(e), 0, "%s: %s[%d] must be a string", what, name, i);
            continue;
        }
        const char *str = config_setting_get_string(e);
        if (str == NULL) {
            L->oom = true;
            continue;
        }
        if (!norm_valid_utf8(str, strlen(str))) {
            diag_add(L->d, file, cfgread_line(e), 0, "%s: %s[%d] is not valid UTF-8", what, name,
                     i);
            continue;
        }
        if (str[strspn(str, " \t\r\n")] == '\0') {
            diag_add(L->d, file, cfgread_line(e), 0, "%s: %s[%d] is empty", what, name, i);
            continue;
        }
        if ((v[k] = loader_strdup(L, str)) != NULL)
            k++;
    }
    *out = v;
    return k;
}

bool
loader_valid_id(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
              *s == '.'))
            return false;
    return true;
}

int
loader_resolve(loader_t *L, const char *file, int line, const vocab_t *v, const char *kind,
               const char *name, const char *what)
{
    int i = vocab_find(v, name);
    if (i >= 0)
        return i;
    const char *sug = vocab_suggest(v, name);
    if (sug != NULL)
        diag_add(L->d, file, line, 0, "%s: unknown %s \"%s\" (did you mean \"%s\"?)", what, kind,
                 name, sug);
    else
        diag_add(L->d, file, line, 0, "%s: unknown %s \"%s\"", what, kind, name);
    return -1;
}

/* ---- files ------------------------------------------------------------ */

/* Where the reading of one file reports: its errors, and whether an
 * allocation failed. The loader's own for the files read first; a
 * registry file has its own, handed over in its turn
 * (loader_each_registry). */
typedef struct fileio {
    diag_t *d; /* borrowed */
    bool oom;  /* an allocation failed */
} fileio_t;

/* Returns p, noting in io an allocation that failed (p NULL). */
static void *
io_chk(fileio_t *io, void *p)
{
    if (p == NULL)
        io->oom = true;
    return p;
}

/* Returns "dir/name" (malloc'd: caller frees), or NULL on OOM. */
static char *
join_path(const char *dir, const char *name)
{
    size_t ld = strlen(dir);
    while (ld > 1 && dir[ld - 1] == '/')
        ld--;
    size_t n = ld + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%.*s/%s", (int)ld, dir, name);
    return p;
}

/* Refuses libconfig's @include. A ruleset is its directory: every file
 * it reads is hashed into the digest, which an included file would
 * escape; and libconfig 1.5 calls exit() when an include names a
 * directory. libconfig recognises the directive only at the start of a
 * line (after blanks), so the same test here is exact. Returns false
 * after reporting at path:line. */
static bool
no_includes(fileio_t *io, const char *path, const char *buf, size_t len)
{
    bool ok = true;
    int lineno = 0;
    for (const char *p = buf, *end = buf + len; p < end;) {
        lineno++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl != NULL ? nl : end;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        if (eol - p >= 8 && memcmp(p, "@include", 8) == 0) {
            diag_add(io->d, path, lineno, 0,
                     "@include is not supported: a ruleset is its directory "
                     "(put organisations in registry/NAME.cfg)");
            ok = false;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    return ok;
}

/* Reads the whole regular file path into memory, NUL-terminated. Returns
 * the bytes (caller owns them: free) and their count in *len, or NULL
 * after reporting at path (a missing file only if required; io->oom on
 * OOM). Reads to the end whatever the size was, refuses more than
 * RS_MAX_FILE bytes, and refuses a file whose size or time of change
 * moved while it was read: the bytes kept are one version of it. */
static char *
read_whole(fileio_t *io, const char *path, bool required, size_t *len)
{
    /* O_NONBLOCK: a FIFO in place of a file must not hang the load
     * before fstat can refuse it (it changes nothing for a regular file). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOMEM)
            io->oom = true;
        else if (required || errno != ENOENT)
            diag_add(io->d, path, 0, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    struct stat st, st2;
    if (fstat(fd, &st) != 0) {
        diag_add(io->d, path, 0, 0, "cannot read: %s", strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        diag_add(io->d, path, 0, 0, "not a regular file");
        goto fail;
    }
    if ((unsigned long long)st.st_size > RS_MAX_FILE) {
        diag_add(io->d, path, 0, 0, "file is %lld bytes, limit is %u", (long long)st.st_size,
                 RS_MAX_FILE);
        goto fail;
    }
    /* One byte more than stat said, so the end of file is seen at once. */
    size_t cap = (size_t)st.st_size + 2, n = 0;
    if ((buf = io_chk(io, malloc(cap))) == NULL)
        goto fail;
    for (;;) {
        if (n == cap - 1) {
            if (cap - 1 > RS_MAX_FILE) {
                diag_add(io->d, path, 0, 0, "file grew past the limit of %u bytes while read",
                         RS_MAX_FILE);
                goto fail;
            }
            size_t ncap = cap * 2 > (size_t)RS_MAX_FILE + 2 ? (size_t)RS_MAX_FILE + 2 : cap * 2;
            char *nb = io_chk(io, realloc(buf, ncap));
            if (nb == NULL)
                goto fail;
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            diag_add(io->d, path, 0, 0, "cannot read: %s", strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (fstat(fd, &st2) != 0 || (off_t)n != st2.st_size || st2.st_size != st.st_size ||
        st2.st_mtim.tv_sec != st.st_mtim.tv_sec || st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
        diag_add(io->d, path, 0, 0,
                 "changed while being read (replace rules files by rename, not in place)");
        goto fail;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    free(buf);
    close(fd);
    return NULL;
}

/* Reads one file (name relative to dir) and parses it; errors go to
 * io. A missing file is an error only if required; an empty one if
 * nonempty (a registry file). Returns the bytes read (caller owns them:
 * free), their count in *len, for the digest: the same bytes, read
 * once, are hashed and parsed; NULL when the file could not be read. On
 * return f->path is set (malloc'd, or NULL on OOM) and f->cfg
 * initialised; f->ok tells whether f->cfg holds the whole file. Touches
 * nothing but f and io: registry files are read on several threads. */
static char *
read_parse(fileio_t *io, rs_file_t *f, const char *dir, const char *name, bool required,
           bool nonempty, size_t *len)
{
    f->path = io_chk(io, join_path(dir, name));
    f->ok = false;
    if (!cfgread_init(&f->cfg))
        io->oom = true; /* libconfig faulted: cfg is empty */
    if (f->path == NULL)
        return NULL;
    char *buf = read_whole(io, f->path, required, len);
    if (buf == NULL)
        return NULL;
    if (*len == 0 && nonempty) {
        diag_add(io->d, f->path, 0, 0,
                 "empty file (a failed import leaves this; restore it or delete it)");
    } else if (memchr(buf, '\0', *len) != NULL) {
        /* libconfig would stop silently at the NUL and load half a file. */
        diag_add(io->d, f->path, 0, 0, "contains a NUL byte (binary file?)");
    } else if (no_includes(io, f->path, buf, *len)) {
        /* A string parse has no file name (config_error_file is NULL):
         * errors are located at our own path. */
        cfgread_rc_t rc = io->oom ? CFGREAD_FAULT : cfgread_parse(&f->cfg, buf);
        if (rc == CFGREAD_FAULT)
            io->oom = true; /* libconfig faulted (cfgread.c) */
        else if (rc != CFGREAD_OK)
            diag_add(io->d, f->path, config_error_line(&f->cfg), 0, "%s",
                     config_error_text(&f->cfg));
        else if (!cfgread_complete(config_root_setting(&f->cfg)))
            io->oom = true; /* libconfig lost a name or a string */
        else
            f->ok = true;
    }
    return buf;
}

/* Feeds a file's name and bytes into the digest h, then frees the bytes. */
static void
hash_file(crypto_hash_sha256_state *h, const char *name, char *buf, size_t len)
{
    if (buf == NULL)
        return;
    crypto_hash_sha256_update(h, (const unsigned char *)name, strlen(name) + 1);
    crypto_hash_sha256_update(h, (const unsigned char *)buf, len);
    free(buf);
}

/* read_parse in its turn: errors into L->d, the bytes into the digest h. */
static void
parse_file(loader_t *L, rs_file_t *f, const char *dir, const char *name, bool required,
           bool nonempty, crypto_hash_sha256_state *h)
{
    fileio_t io = {L->d, false};
    size_t len = 0;
    char *buf = read_parse(&io, f, dir, name, required, nonempty, &len);
    L->oom |= io.oom;
    hash_file(h, name, buf, len);
}

/* qsort order of C strings (by pointer to each). */
static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Lists registry/NAME.cfg in name order (deterministic digest and ids).
 * *names (caller owns it and each name: free) holds *n names. Returns 0,
 * or -1 when the list may be incomplete (reported, or L->oom); *names
 * then still holds what was found. No registry directory is 0, no names. */
static int
list_registry(loader_t *L, const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    char *rdir = loader_chk(L, join_path(dir, "registry"));
    if (rdir == NULL)
        return -1;
    DIR *dp = opendir(rdir);
    if (dp == NULL) {
        int err = errno, rc = err == ENOENT ? 0 : -1;
        if (err == ENOMEM)
            L->oom = true;
        else if (err != ENOENT)
            diag_add(L->d, rdir, 0, 0, "cannot read directory: %s", strerror(err));
        free(rdir);
        return rc;
    }
    size_t cap = 0;
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(dp)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".cfg") != 0 || de->d_name[0] == '.')
            continue;
        if (*n == RS_MAX_FILES) {
            diag_add(L->d, rdir, 0, 0, "more than %d registry files", RS_MAX_FILES);
            rc = -1;
            break;
        }
        if (vec_grow(names, &cap, *n + 1, sizeof **names, 16) != 0) {
            L->oom = true;
            rc = -1;
            break;
        }
        if (((*names)[*n] = loader_chk(L, strdup(de->d_name))) == NULL) {
            rc = -1;
            break;
        }
        (*n)++;
        errno = 0;
    }
    if (de == NULL && errno != 0) {
        diag_add(L->d, rdir, 0, 0, "cannot read directory: %s", strerror(errno));
        rc = -1;
    }
    closedir(dp);
    free(rdir);
    if (*n > 0)
        qsort(*names, *n, sizeof **names, cmp_str);
    return rc;
}

/* File paths live in the loader's rs_file_t (malloc); the arena gets a
 * copy that entities and rules point at, and f->path becomes it (the
 * malloc'd one is freed). On OOM f->path is NULL and L->oom set. */
static void
adopt_path(loader_t *L, rs_file_t *f)
{
    char *p = loader_strdup(L, f->path);
    free(f->path);
    f->path = p;
}

void
loader_read_files(loader_t *L, const char *dir)
{
    ruleset_t *rs = L->rs;
    crypto_hash_sha256_init(&L->hash);
    L->dir = loader_chk(L, strdup(dir));
    parse_file(L, &L->taxonomy, dir, "taxonomy.cfg", true, false, &L->hash);
    parse_file(L, &L->policy, dir, "policy.cfg", true, false, &L->hash);
    parse_file(L, &L->words, dir, "words.cfg", false, false, &L->hash);
    adopt_path(L, &L->taxonomy);
    adopt_path(L, &L->policy);
    adopt_path(L, &L->words);
    char **names;
    size_t n;
    list_registry(L, dir, &names, &n); /* an incomplete list is reported or L->oom */
    L->reg = loader_chk(L, calloc(n + 1, sizeof *L->reg));
    L->ahead = loader_chk(L, calloc(n + 1, sizeof *L->ahead));
    if (L->reg == NULL || L->ahead == NULL || L->dir == NULL) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        n = 0;
        names = NULL;
    }
    L->reg_names = names;
    L->n_reg = n;
    rs->n_files = 2 + (L->words.ok ? 1 : 0) + L->n_reg;
}

void
loader_lend(loader_t *L, match_run_fn run, void *run_ctx, int threads)
{
    L->run = threads >= 2 ? run : NULL;
    L->run_ctx = run_ctx;
}

/* "registry/NAME" of registry file i, as hashed and reported. */
static void
reg_rel(const loader_t *L, size_t i, char *out, size_t cap)
{
    snprintf(out, cap, "registry/%s", L->reg_names[i]);
}

/* One step of loader_each_registry: the turn and conversion of file f,
 * and beside it the freeing of tree done (if below n_reg) and the
 * reading of file next (if below n_reg). */
typedef struct reg_step {
    loader_t *L;
    loader_convert_fn convert;
    void *arg;
    size_t f, done, next;
    loader_turn_t turn; /* what convert asked */
    pthread_t loading;  /* the thread that runs the load */
    atomic_uint taken;  /* STEP_READ | STEP_CONVERT: the parts begun */
} reg_step_t;

#define STEP_READ 1u
#define STEP_CONVERT 2u

/* Frees tree done and reads file next, into L->ahead[next] (its diag made
 * by the caller): nothing of L but those two files' entries. */
static void
step_read(reg_step_t *st)
{
    loader_t *L = st->L;
    if (st->done < L->n_reg)
        loader_free_registry_tree(L, st->done);
    if (st->next < L->n_reg) {
        char rel[4096];
        reg_rel(L, st->next, rel, sizeof rel);
        reg_ahead_t *a = &L->ahead[st->next];
        fileio_t io = {a->d, false};
        a->buf = read_parse(&io, &L->reg[st->next], L->dir, rel, true, true, &a->len);
        a->oom = io.oom;
    }
}

/* File f's turn (its messages, its bytes into the digest, its path into
 * the arena), then its conversion. */
static void
step_convert(reg_step_t *st)
{
    loader_t *L = st->L;
    size_t f = st->f;
    reg_ahead_t *a = &L->ahead[f];
    char rel[4096];
    reg_rel(L, f, rel, sizeof rel);
    diag_move(L->d, a->d);
    diag_destroy(&a->d);
    L->oom |= a->oom;
    hash_file(&L->hash, rel, a->buf, a->len);
    a->buf = NULL;
    adopt_path(L, &L->reg[f]);
    st->turn = L->oom ? LOADER_STOP : st->convert(L, f, st->arg);
}

/* One of a step's two tasks: the reading if it runs in the loading
 * thread, the conversion elsewhere, unless that part is taken (both
 * tasks in one thread: one each). Why the loading thread reads: its
 * malloc arena then holds the trees, freed and reused file after file,
 * and the steps after the registry (the merge, the index) allocate from
 * it again: measured at a million names, the other way round (the trees
 * in the lent thread's arena) made the reading 0.3 s and the merge 0.3 s
 * slower, and the load's peak 30 MiB higher. */
static void
step_task(void *arg)
{
    reg_step_t *st = arg;
    unsigned want = pthread_equal(pthread_self(), st->loading) ? STEP_READ : STEP_CONVERT;
    if (atomic_fetch_or(&st->taken, want) & want)
        want ^= STEP_READ | STEP_CONVERT;
    if (want == STEP_READ)
        step_read(st);
    else
        step_convert(st);
}

/* Why a step's reading frees the trees, not the conversion: glibc's
 * malloc takes a lock per arena, and a tree freed on one thread while
 * libconfig allocates the next from the same arena on the other made
 * both three times slower; the conversion allocates little (its
 * strings go to the ruleset's arena). */
void
loader_each_registry(loader_t *L, loader_convert_fn convert, void *arg)
{
    size_t n = L->n_reg;
    if (n == 0)
        return;
    reg_step_t st = {L, convert, arg, n, n, 0, LOADER_FREE_TREE, pthread_self(), 0};
    if ((L->ahead[0].d = diag_new(0)) == NULL) {
        L->oom = true;
        return;
    }
    step_read(&st);
    for (size_t f = 0; f < n; f++) {
        st.f = f;
        st.next = f + 1;
        if (st.next < n && (L->ahead[st.next].d = diag_new(0)) == NULL) {
            L->oom = true;
            st.next = n;
        }
        if (L->run != NULL) {
            void *args[2] = {&st, &st};
            atomic_store(&st.taken, 0);
            L->run(L->run_ctx, step_task, args, 2);
            st.done = st.turn == LOADER_FREE_TREE ? f : n;
        } else {
            /* One thread: the tree is freed before the next is read. */
            step_convert(&st);
            st.done = st.turn == LOADER_FREE_TREE ? f : n;
            if (st.turn == LOADER_STOP)
                st.next = n;
            step_read(&st);
            st.done = n;
        }
        if (st.turn == LOADER_STOP || st.next == n)
            break;
    }
    if (st.done < n)
        loader_free_registry_tree(L, st.done);
    /* A file read beside a conversion that stopped the load never has
     * its turn: its path is still read_parse's (malloc'd), not an arena
     * copy; loader_free releases the rest (its tree, bytes, messages). */
    if (st.turn == LOADER_STOP && st.next < n) {
        free(L->reg[st.next].path);
        L->reg[st.next].path = NULL;
    }
}

void
loader_finish_digest(loader_t *L)
{
    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&L->hash, md);
    sodium_bin2hex(L->rs->digest, sizeof L->rs->digest, md, sizeof md);
}

void
loader_read_one(loader_t *L, rs_file_t *f, const char *path, char digest[65])
{
    /* Split at the last slash: parse_file reads dir/name and hashes name. */
    const char *slash = strrchr(path, '/');
    char *dir = loader_chk(L, slash != NULL ? strndup(path, (size_t)(slash - path)) : strdup("."));
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    if (dir != NULL)
        parse_file(L, f, slash == path ? "/" : dir, slash != NULL ? slash + 1 : path, false, false,
                   &h);
    else
        cfgread_init(&f->cfg);
    free(dir);
    adopt_path(L, f);
    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, md);
    sodium_bin2hex(digest, 65, md, sizeof md);
}
