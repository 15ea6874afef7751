/* ruleset.c -- loads a ruleset directory into one immutable Ruleset.
 *
 * Order: parse every file (so syntax errors of all files are reported
 * together), hash them, read policy.cfg's vocabularies, declare the
 * lists and tags of registry files, build the taxonomy, read the
 * organisations, resolve their relations, build the match index, and
 * compile the rules. Every problem goes into the diag with file:line;
 * the load fails at the end if there was any.
 *
 * Never a partial ruleset: a load that cannot be sure it read and
 * compiled everything returns NULL. Each file is read once into memory,
 * and that copy is both hashed and parsed, so the digest is of exactly
 * the bytes judged. Every allocation is checked; a failed one sets the
 * loader's sticky oom flag (as sbuf does), the steps carry on as far as
 * they can, and the load reports "out of memory" once at the end and
 * fails. libconfig's silent drops are caught by cfgread_complete. */
#include "ruleset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgread.h"
#include "norm.h"
#include "request.h"
#include "smap.h"

#define RS_MAX_FILE (256u << 20)    /* a rules file larger than this is refused */
#define RS_MAX_FILES 4096           /* registry files per ruleset */

/* One parsed file. */
typedef struct rs_file {
    char *path;             /* as reported in errors: dir/name */
    config_t cfg;           /* parsed tree (valid if ok) */
    bool ok;                /* parsed without error */
} rs_file_t;

/* A growable array of borrowed strings (vocabulary under construction). */
typedef struct strvec {
    const char **v;         /* entries, borrowed from the arena */
    size_t n, cap;          /* used, allocated */
} strvec_t;

/* Where a symbol was first declared, for duplicate errors. */
typedef struct declsite {
    const char *file;       /* borrowed */
    int line;
} declsite_t;

/* Relation waiting for every organisation to be known. */
typedef struct pending_rel {
    uint32_t from;          /* entity index */
    int kind;               /* relation kind index */
    const char *target;     /* target id, arena copy */
    const char *file;       /* where declared */
    int line;
} pending_rel_t;

/* Load state: everything the steps share. Freed at the end of the load. */
typedef struct loader {
    ruleset_t *rs;          /* being built */
    diag_t *d;              /* errors */
    rs_file_t taxonomy;     /* taxonomy.cfg */
    rs_file_t policy;       /* policy.cfg */
    rs_file_t *reg;         /* registry/NAME.cfg, name order */
    size_t n_reg;
    strvec_t lists, tags;   /* vocabularies being declared */
    rs_list_t *list_info;   /* parallel to lists */
    size_t list_info_cap;
    declsite_t *list_site;  /* parallel to lists, for duplicate errors */
    smap_t *list_map, *tag_map, *ent_map;
    pending_rel_t *rels;    /* relations to resolve */
    size_t n_rels, cap_rels;
    bool oom;               /* an allocation failed: the load must fail */
} loader_t;

static const char *const type_names[] = {
#define X(s) s,
    REQ_TYPES(X)
#undef X
};

/* ---- small helpers ---------------------------------------------------- */

/* Returns p; notes a failed allocation (p == NULL) in the sticky flag,
 * which fails the load at its end. */
static void *
chk(loader_t *L, void *p)
{
    if (p == NULL)
        L->oom = true;
    return p;
}

/* Copies s (may be NULL: returns NULL) into the ruleset's arena; the
 * copy is owned by the arena. A failed copy sets L->oom. */
static char *
lstrdup(loader_t *L, const char *s)
{
    return s == NULL ? NULL : chk(L, arena_strdup(L->rs->arena, s));
}

static bool
sv_push(strvec_t *sv, const char *s)
{
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        const char **v = realloc(sv->v, cap * sizeof *v);
        if (v == NULL)
            return false;
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
    return true;
}

static const char *
setting_type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:  return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:  return "an integer";
    case CONFIG_TYPE_FLOAT:  return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL:   return "a boolean";
    case CONFIG_TYPE_ARRAY:  return "an array";
    case CONFIG_TYPE_LIST:   return "a list";
    default:                 return "a setting";
    }
}

/* Reports members of grp that are not in allowed (cfgread.h). */
static void
check_members(loader_t *L, const char *file, const config_setting_t *grp,
              const char *const *allowed, const char *what)
{
    cfgread_check_members(L->d, file, grp, allowed, "", what);
}

/* Member name of grp if present and of type want (else an error). */
static config_setting_t *
member(loader_t *L, const char *file, const config_setting_t *grp,
       const char *name, int want, bool required, const char *what)
{
    config_setting_t *s = config_setting_get_member(grp, name);
    if (s == NULL) {
        if (required)
            diag_add(L->d, file, cfgread_line(grp), 0, "%s: missing \"%s\"", what, name);
        return NULL;
    }
    int t = config_setting_type(s);
    bool ok = t == want
        || (want == CONFIG_TYPE_FLOAT && (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64))
        || (want == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64)
        || (want == CONFIG_TYPE_LIST && t == CONFIG_TYPE_ARRAY
            && config_setting_length(s) == 0);
    if (!ok) {
        diag_add(L->d, file, cfgread_line(s), 0, "%s: \"%s\" must be %s, not %s",
                 what, name, setting_type_name(want), setting_type_name(t));
        return NULL;
    }
    return s;
}

/* Copies a string setting into the arena after checking it is valid
 * UTF-8 (and, if nonempty, not blank). NULL if absent or bad (reported),
 * or on OOM (L->oom set). */
static const char *
get_str(loader_t *L, const char *file, const config_setting_t *grp,
        const char *name, bool required, const char *what)
{
    config_setting_t *s = member(L, file, grp, name, CONFIG_TYPE_STRING, required, what);
    if (s == NULL)
        return NULL;
    const char *v = config_setting_get_string(s);
    if (v == NULL)              /* cfgread_complete rules it out; never guess */
        return chk(L, NULL);
    if (!norm_valid_utf8(v, strlen(v))) {
        diag_add(L->d, file, cfgread_line(s), 0, "%s: \"%s\" is not valid UTF-8", what, name);
        return NULL;
    }
    if (v[strspn(v, " \t\r\n")] == '\0') {
        diag_add(L->d, file, cfgread_line(s), 0, "%s: \"%s\" is empty", what, name);
        return NULL;
    }
    return lstrdup(L, v);
}

/* Reads an array of strings into arena memory. Returns the count, or 0
 * when absent; *out is NULL then. Bad elements are reported; on OOM
 * L->oom is set and the count is of the strings kept. */
static size_t
get_strs(loader_t *L, const char *file, const config_setting_t *grp,
         const char *name, const char ***out, const char *what)
{
    *out = NULL;
    config_setting_t *s = config_setting_get_member(grp, name);
    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY
        && config_setting_type(s) != CONFIG_TYPE_LIST) {
        diag_add(L->d, file, cfgread_line(s), 0,
                 "%s: \"%s\" must be an array of strings, not %s", what, name,
                 setting_type_name(config_setting_type(s)));
        return 0;
    }
    int n = config_setting_length(s);
    const char **v = chk(L, arena_calloc(L->rs->arena, (size_t)n + 1, sizeof *v));
    size_t k = 0;
    for (int i = 0; i < n && v != NULL; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            diag_add(L->d, file, cfgread_line(e), 0, "%s: %s[%d] must be a string",
                     what, name, i);
            continue;
        }
        const char *str = config_setting_get_string(e);
        if (str == NULL) {
            L->oom = true;
            continue;
        }
        if (!norm_valid_utf8(str, strlen(str))) {
            diag_add(L->d, file, cfgread_line(e), 0, "%s: %s[%d] is not valid UTF-8",
                     what, name, i);
            continue;
        }
        if (str[strspn(str, " \t\r\n")] == '\0') {
            diag_add(L->d, file, cfgread_line(e), 0, "%s: %s[%d] is empty", what, name, i);
            continue;
        }
        if ((v[k] = lstrdup(L, str)) != NULL)
            k++;
    }
    *out = v;
    return k;
}

static bool
valid_id(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')
              || *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* Looks a symbol up in a vocabulary; reports "unknown KIND" with a
 * suggestion when absent. Returns the index or -1. */
static int
resolve(loader_t *L, const char *file, int line, const vocab_t *v,
        const char *kind, const char *name, const char *what)
{
    int i = vocab_find(v, name);
    if (i >= 0)
        return i;
    const char *sug = vocab_suggest(v, name);
    if (sug != NULL)
        diag_add(L->d, file, line, 0, "%s: unknown %s \"%s\" (did you mean \"%s\"?)",
                 what, kind, name, sug);
    else
        diag_add(L->d, file, line, 0, "%s: unknown %s \"%s\"", what, kind, name);
    return -1;
}

/* ---- files ------------------------------------------------------------ */

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
no_includes(loader_t *L, const char *path, const char *buf, size_t len)
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
            diag_add(L->d, path, lineno, 0,
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
 * after reporting at path (a missing file only if required; L->oom on
 * OOM). Reads to the end whatever the size was, refuses more than
 * RS_MAX_FILE bytes, and refuses a file whose size or time of change
 * moved while it was read: the bytes kept are one version of it. */
static char *
read_whole(loader_t *L, const char *path, bool required, size_t *len)
{
    /* O_NONBLOCK: a FIFO in place of a file must not hang the load
     * before fstat can refuse it (it changes nothing for a regular file). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOMEM)
            L->oom = true;
        else if (required || errno != ENOENT)
            diag_add(L->d, path, 0, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    struct stat st, st2;
    if (fstat(fd, &st) != 0) {
        diag_add(L->d, path, 0, 0, "cannot read: %s", strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        diag_add(L->d, path, 0, 0, "not a regular file");
        goto fail;
    }
    if ((unsigned long long)st.st_size > RS_MAX_FILE) {
        diag_add(L->d, path, 0, 0, "file is %lld bytes, limit is %u",
                 (long long)st.st_size, RS_MAX_FILE);
        goto fail;
    }
    /* One byte more than stat said, so the end of file is seen at once. */
    size_t cap = (size_t)st.st_size + 2, n = 0;
    if ((buf = chk(L, malloc(cap))) == NULL)
        goto fail;
    for (;;) {
        if (n == cap - 1) {
            if (cap - 1 > RS_MAX_FILE) {
                diag_add(L->d, path, 0, 0, "file grew past the limit of %u bytes while read",
                         RS_MAX_FILE);
                goto fail;
            }
            size_t ncap = cap * 2 > (size_t)RS_MAX_FILE + 2 ? (size_t)RS_MAX_FILE + 2 : cap * 2;
            char *nb = chk(L, realloc(buf, ncap));
            if (nb == NULL)
                goto fail;
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            diag_add(L->d, path, 0, 0, "cannot read: %s", strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (fstat(fd, &st2) != 0 || (off_t)n != st2.st_size || st2.st_size != st.st_size
        || st2.st_mtim.tv_sec != st.st_mtim.tv_sec || st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
        diag_add(L->d, path, 0, 0,
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

/* Reads one file (name relative to dir) and parses it; errors go to the
 * diag. A missing file is an error only if required; an empty one if
 * nonempty (a registry file). Feeds name and bytes into the digest: the
 * same bytes, read once, are hashed and parsed. On return f->path is
 * set (malloc'd, or NULL on OOM) and f->cfg initialised; f->ok tells
 * whether f->cfg holds the whole file. */
static void
parse_file(loader_t *L, rs_file_t *f, const char *dir, const char *name,
           bool required, bool nonempty, crypto_hash_sha256_state *h)
{
    f->path = chk(L, join_path(dir, name));
    f->ok = false;
    if (!cfgread_init(&f->cfg))
        L->oom = true;          /* libconfig faulted: cfg is empty */
    if (f->path == NULL)
        return;
    size_t len;
    char *buf = read_whole(L, f->path, required, &len);
    if (buf == NULL)
        return;
    crypto_hash_sha256_update(h, (const unsigned char *)name, strlen(name) + 1);
    crypto_hash_sha256_update(h, (const unsigned char *)buf, len);
    if (len == 0 && nonempty) {
        diag_add(L->d, f->path, 0, 0,
                 "empty file (a failed import leaves this; restore it or delete it)");
    } else if (memchr(buf, '\0', len) != NULL) {
        /* libconfig would stop silently at the NUL and load half a file. */
        diag_add(L->d, f->path, 0, 0, "contains a NUL byte (binary file?)");
    } else if (no_includes(L, f->path, buf, len)) {
        /* A string parse has no file name (config_error_file is NULL):
         * errors are located at our own path. */
        cfgread_rc_t rc = L->oom ? CFGREAD_FAULT : cfgread_parse(&f->cfg, buf);
        if (rc == CFGREAD_FAULT)
            L->oom = true;      /* libconfig faulted (cfgread.c) */
        else if (rc != CFGREAD_OK)
            diag_add(L->d, f->path, config_error_line(&f->cfg), 0, "%s",
                     config_error_text(&f->cfg));
        else if (!cfgread_complete(config_root_setting(&f->cfg)))
            L->oom = true;      /* libconfig lost a name or a string */
        else
            f->ok = true;
    }
    free(buf);
}

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
    char *rdir = chk(L, join_path(dir, "registry"));
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
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **v = chk(L, realloc(*names, ncap * sizeof *v));
            if (v == NULL) {
                rc = -1;
                break;
            }
            *names = v;
            cap = ncap;
        }
        if (((*names)[*n] = chk(L, strdup(de->d_name))) == NULL) {
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

/* ---- policy.cfg -------------------------------------------------------- */

/* Reads an array of unique symbol names into a vocabulary. */
static void
read_vocab(loader_t *L, const char *file, const config_setting_t *root,
           const char *name, vocab_t *out, bool required)
{
    const char **v;
    size_t n = get_strs(L, file, root, name, &v, name);
    if (n == 0 && required) {
        config_setting_t *s = config_setting_get_member(root, name);
        diag_add(L->d, file, cfgread_line(s ? s : root), 0,
                 "\"%s\" must list at least one name", name);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(v[i], v[j]) == 0)
                diag_add(L->d, file, cfgread_line(config_setting_get_member(root, name)), 0,
                         "%s: \"%s\" is listed twice", name, v[i]);
    out->names = v;
    out->n = n;
}

static void
declare_tag(loader_t *L, const char *file, int line, const char *tag)
{
    if (!valid_id(tag)) {
        diag_add(L->d, file, line, 0,
                 "tag \"%s\": must be lower-case letters, digits, '_', '-' or '.'", tag);
        return;
    }
    /* Tags are shared vocabulary: several registry files (and the
     * policy) may each declare the tags they use, so a repeat is fine. */
    int r = smap_put(L->tag_map, tag, (int)L->tags.n, NULL);
    if (r < 0 || (r == 0 && !sv_push(&L->tags, tag)))
        L->oom = true;
}

static void
read_tags(loader_t *L, const char *file, const config_setting_t *root)
{
    const char **v;
    size_t n = get_strs(L, file, root, "tags", &v, "tags");
    int line = cfgread_line(config_setting_get_member(root, "tags"));
    for (size_t i = 0; i < n; i++)
        declare_tag(L, file, line, v[i]);
}

/* Equal strings, NULL equal only to NULL. */
static bool
same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
read_lists(loader_t *L, const char *file, const config_setting_t *root)
{
    config_setting_t *ls = member(L, file, root, "lists", CONFIG_TYPE_LIST, false, "lists");
    if (ls == NULL)
        return;
    static const char *const allowed[] = { "id", "name", "authority", "url", NULL };
    int n = config_setting_length(ls);
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(ls, (unsigned)i);
        int line = cfgread_line(g);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, line, 0, "lists[%d] must be a group", i);
            continue;
        }
        check_members(L, file, g, allowed, "a list");
        const char *id = get_str(L, file, g, "id", true, "list");
        if (id == NULL)
            continue;
        char what[160];
        snprintf(what, sizeof what, "list \"%s\"", id);
        if (!valid_id(id)) {
            diag_add(L->d, file, line, 0,
                     "%s: id must be lower-case letters, digits, '_', '-' or '.'", what);
            continue;
        }
        rs_list_t info = {
            id,
            get_str(L, file, g, "name", true, what),
            get_str(L, file, g, "authority", false, what),
            get_str(L, file, g, "url", false, what),
        };
        int old;
        int r = smap_put(L->list_map, id, (int)L->lists.n, &old);
        if (r < 0) {
            L->oom = true;
            return;
        }
        if (r == 1) {
            /* Importers of different lists (OFAC SDN, the CSL) each
             * declare the lists they use: the same declaration twice is
             * one list; a different one is a conflict. */
            const rs_list_t *prev = &L->list_info[old];
            if (!same_str(prev->name, info.name) || !same_str(prev->authority, info.authority) ||
                !same_str(prev->url, info.url))
                diag_add(L->d, file, line, 0, "list \"%s\" declared twice (first at %s:%d)",
                         id, L->list_site[old].file, L->list_site[old].line);
            continue;
        }
        if (L->lists.n == L->list_info_cap) {
            size_t cap = L->list_info_cap ? L->list_info_cap * 2 : 16;
            rs_list_t *li = realloc(L->list_info, cap * sizeof *li);
            declsite_t *ds = realloc(L->list_site, cap * sizeof *ds);
            if (li != NULL)
                L->list_info = li;
            if (ds != NULL)
                L->list_site = ds;
            if (li == NULL || ds == NULL) {
                L->oom = true;
                return;
            }
            L->list_info_cap = cap;
        }
        L->list_info[L->lists.n] = info;
        L->list_site[L->lists.n] = (declsite_t){ file, line };
        if (!sv_push(&L->lists, id)) {
            L->oom = true;
            return;
        }
    }
}

static void
read_relation_kinds(loader_t *L, const char *file, const config_setting_t *root)
{
    ruleset_t *rs = L->rs;
    config_setting_t *ls = member(L, file, root, "relation_kinds", CONFIG_TYPE_LIST,
                                  false, "relation_kinds");
    int n = ls ? config_setting_length(ls) : 0;
    rs->relations.names = chk(L, arena_calloc(rs->arena, (size_t)n + 1, sizeof(char *)));
    rs->rel_symmetric = chk(L, arena_calloc(rs->arena, (size_t)n + 1, 1));
    if (rs->relations.names == NULL || rs->rel_symmetric == NULL)
        return;
    static const char *const allowed[] = { "name", "symmetric", NULL };
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(ls, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(g), 0, "relation_kinds[%d] must be a group", i);
            continue;
        }
        check_members(L, file, g, allowed, "a relation kind");
        const char *name = get_str(L, file, g, "name", true, "relation kind");
        if (name == NULL)
            continue;
        if (!valid_id(name)) {
            diag_add(L->d, file, cfgread_line(g), 0,
                     "relation kind \"%s\": must be lower-case letters, digits, '_', '-' or '.'",
                     name);
            continue;
        }
        if (vocab_find(&rs->relations, name) >= 0) {
            diag_add(L->d, file, cfgread_line(g), 0, "relation kind \"%s\" declared twice", name);
            continue;
        }
        config_setting_t *sym = member(L, file, g, "symmetric", CONFIG_TYPE_BOOL, false,
                                       "relation kind");
        rs->rel_symmetric[rs->relations.n] = sym && config_setting_get_bool(sym);
        rs->relations.names[rs->relations.n++] = name;
    }
}

static void
read_matching(loader_t *L, const char *file, const config_setting_t *root)
{
    match_config_t *m = &L->rs->match;
    m->threshold = 0.88;
    m->country_penalty = 0.08;
    m->max_results = 5;
    config_setting_t *g = member(L, file, root, "matching", CONFIG_TYPE_GROUP, false,
                                 "policy");
    if (g == NULL)
        return;
    static const char *const allowed[] = {
        "fuzzy_threshold", "country_penalty", "max_matches", NULL
    };
    check_members(L, file, g, allowed, "matching");
    config_setting_t *s;
    if ((s = member(L, file, g, "fuzzy_threshold", CONFIG_TYPE_FLOAT, false, "matching"))) {
        double v = config_setting_get_float(s);
        if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
            v = (double)config_setting_get_int64(s);
        if (v <= 0 || v > 1)
            diag_add(L->d, file, cfgread_line(s), 0,
                     "matching: fuzzy_threshold must be in (0, 1], not %g", v);
        else
            m->threshold = v;
    }
    if ((s = member(L, file, g, "country_penalty", CONFIG_TYPE_FLOAT, false, "matching"))) {
        double v = config_setting_get_float(s);
        if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
            v = (double)config_setting_get_int64(s);
        if (v < 0 || v > 1)
            diag_add(L->d, file, cfgread_line(s), 0,
                     "matching: country_penalty must be in [0, 1], not %g", v);
        else
            m->country_penalty = v;
    }
    if ((s = member(L, file, g, "max_matches", CONFIG_TYPE_INT, false, "matching"))) {
        long long v = config_setting_get_int64(s);
        if (config_setting_type(s) == CONFIG_TYPE_INT)
            v = config_setting_get_int(s);
        if (v < 1 || v > 100)
            diag_add(L->d, file, cfgread_line(s), 0,
                     "matching: max_matches must be in 1..100, not %lld", v);
        else
            m->max_results = (unsigned)v;
    }
}

static void
read_policy_vocabularies(loader_t *L)
{
    ruleset_t *rs = L->rs;
    const char *file = L->policy.path;
    config_setting_t *root = config_root_setting(&L->policy.cfg);
    static const char *const allowed[] = {
        "version", "verdicts", "risk_levels", "activities", "relation_kinds",
        "tags", "lists", "matching", "rules", NULL
    };
    check_members(L, file, root, allowed, "policy.cfg");
    rs->version = get_str(L, file, root, "version", true, "policy");
    read_vocab(L, file, root, "verdicts", &rs->verdicts, true);
    read_vocab(L, file, root, "risk_levels", &rs->risks, false);
    read_vocab(L, file, root, "activities", &rs->activities, false);
    read_relation_kinds(L, file, root);
    read_tags(L, file, root);
    read_lists(L, file, root);
    read_matching(L, file, root);
}

/* ---- taxonomy.cfg ------------------------------------------------------ */

static void
read_taxonomy(loader_t *L)
{
    ruleset_t *rs = L->rs;
    const char *file = L->taxonomy.path;
    config_setting_t *root = config_root_setting(&L->taxonomy.cfg);
    static const char *const allowed_root[] = { "categories", NULL };
    static const char *const allowed[] = {
        "code", "label", "parent", "keywords", "refs", NULL
    };
    check_members(L, file, root, allowed_root, "taxonomy.cfg");
    config_setting_t *cats = member(L, file, root, "categories", CONFIG_TYPE_LIST, true,
                                    "taxonomy.cfg");
    int n = cats ? config_setting_length(cats) : 0;
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(cats, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(g), 0, "categories[%d] must be a group", i);
            continue;
        }
        check_members(L, file, g, allowed, "a category");
        const char *code = get_str(L, file, g, "code", true, "category");
        if (code == NULL)
            continue;
        char what[160];
        snprintf(what, sizeof what, "category \"%s\"", code);
        tax_def_t def = { 0 };
        def.code = code;
        def.label = get_str(L, file, g, "label", true, what);
        if (def.label == NULL)
            def.label = code;   /* reported already; keep checking the rest */
        def.parent = get_str(L, file, g, "parent", false, what);
        char *dflt = NULL;
        if (def.parent == NULL && strrchr(code, '.') != NULL) {
            dflt = chk(L, arena_strndup(rs->arena, code, (size_t)(strrchr(code, '.') - code)));
            if (dflt == NULL)
                continue;       /* not a root: never add it as one */
            def.parent = dflt;
        }
        def.n_keywords = get_strs(L, file, g, "keywords", &def.keywords, what);
        def.n_refs = get_strs(L, file, g, "refs", &def.refs, what);
        def.file = file;
        def.line = cfgread_line(g);
        tax_add(rs->tax, &def, L->d);
    }
    tax_build(rs->tax, L->d);
}

/* ---- registry/NAME.cfg ---------------------------------------------------- */

static int
cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Resolves an array of symbol names to sorted unique indexes. */
static uint16_t
read_syms(loader_t *L, const char *file, const config_setting_t *g, const char *name,
          const smap_t *map, const strvec_t *sv, const char *kind, const char *what,
          const uint16_t **out)
{
    const char **v;
    size_t n = get_strs(L, file, g, name, &v, what);
    uint16_t *ix = chk(L, arena_calloc(L->rs->arena, n + 1, sizeof *ix));
    uint16_t k = 0;
    int line = cfgread_line(config_setting_get_member(g, name));
    for (size_t i = 0; i < n && ix != NULL; i++) {
        int s = smap_get(map, v[i]);
        if (s < 0) {
            vocab_t voc = { sv->v, sv->n };
            resolve(L, file, line, &voc, kind, v[i], what);
            continue;
        }
        bool dup = false;
        for (uint16_t j = 0; j < k; j++)
            dup |= ix[j] == s;
        if (!dup)
            ix[k++] = (uint16_t)s;
    }
    if (k > 1)
        qsort(ix, k, sizeof *ix, cmp_u16);
    *out = ix;
    return k;
}

static void
read_ids(loader_t *L, const char *file, const config_setting_t *g, reg_entity_t *e,
         const char *what)
{
    config_setting_t *ids = member(L, file, g, "ids", CONFIG_TYPE_GROUP, false, what);
    int n = ids ? config_setting_length(ids) : 0;
    reg_ident_t *v = chk(L, arena_calloc(L->rs->arena, (size_t)n + 1, sizeof *v));
    uint32_t k = 0;
    for (int i = 0; i < n && v != NULL; i++) {
        config_setting_t *s = config_setting_get_elem(ids, (unsigned)i);
        const char *scheme = config_setting_name(s);
        if (scheme == NULL) {   /* cfgread_complete rules it out */
            L->oom = true;
            continue;
        }
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
            diag_add(L->d, file, cfgread_line(s), 0, "%s: ids.%s must be a string", what, scheme);
            continue;
        }
        const char *val = config_setting_get_string(s);
        if (val == NULL) {
            L->oom = true;
            continue;
        }
        if (val[strspn(val, " \t")] == '\0' || !norm_valid_utf8(val, strlen(val))) {
            diag_add(L->d, file, cfgread_line(s), 0, "%s: ids.%s is empty or not UTF-8",
                     what, scheme);
            continue;
        }
        char *sc = lstrdup(L, scheme);
        const char *value = lstrdup(L, val);
        if (sc == NULL || value == NULL)
            continue;
        for (char *p = sc; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        v[k].scheme = sc;
        v[k].value = value;
        k++;
    }
    e->ids = v;
    e->n_ids = k;
}

static void
read_relations(loader_t *L, const char *file, const config_setting_t *g, uint32_t idx,
               const char *what)
{
    config_setting_t *rl = member(L, file, g, "relations", CONFIG_TYPE_LIST, false, what);
    int n = rl ? config_setting_length(rl) : 0;
    static const char *const allowed[] = { "kind", "target", NULL };
    for (int i = 0; i < n; i++) {
        config_setting_t *r = config_setting_get_elem(rl, (unsigned)i);
        if (config_setting_type(r) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, cfgread_line(r), 0, "%s: relations[%d] must be a group", what, i);
            continue;
        }
        check_members(L, file, r, allowed, "a relation");
        const char *kind = get_str(L, file, r, "kind", true, what);
        const char *target = get_str(L, file, r, "target", true, what);
        if (kind == NULL || target == NULL)
            continue;
        int k = resolve(L, file, cfgread_line(r), &L->rs->relations, "relation kind", kind, what);
        if (k < 0)
            continue;
        if (L->n_rels == L->cap_rels) {
            size_t cap = L->cap_rels ? L->cap_rels * 2 : 64;
            pending_rel_t *p = chk(L, realloc(L->rels, cap * sizeof *p));
            if (p == NULL)
                return;
            L->rels = p;
            L->cap_rels = cap;
        }
        L->rels[L->n_rels++] = (pending_rel_t){ idx, k, target, file, cfgread_line(r) };
    }
}

/* Counts organisations of every registry file, to size the entity array. */
static size_t
count_organisations(loader_t *L)
{
    size_t n = 0;
    for (size_t f = 0; f < L->n_reg; f++) {
        if (!L->reg[f].ok)
            continue;
        config_setting_t *orgs = config_setting_get_member(
            config_root_setting(&L->reg[f].cfg), "organisations");
        if (orgs != NULL && config_setting_is_aggregate(orgs))
            n += (size_t)config_setting_length(orgs);
    }
    return n;
}

static void
read_organisation(loader_t *L, const char *file, const config_setting_t *g)
{
    ruleset_t *rs = L->rs;
    static const char *const allowed[] = {
        "id", "name", "aliases", "country", "type", "ids", "lists", "tags", "risk",
        "relations", "sources", NULL
    };
    check_members(L, file, g, allowed, "an organisation");
    const char *id = get_str(L, file, g, "id", true, "organisation");
    if (id == NULL)
        return;
    char what[200];
    snprintf(what, sizeof what, "organisation \"%.160s\"", id);
    int line = cfgread_line(g);
    if (!valid_id(id)) {
        diag_add(L->d, file, line, 0,
                 "%s: id must be lower-case letters, digits, '_', '-' or '.'", what);
        return;
    }
    uint32_t idx = (uint32_t)rs->n_ents;
    int old;
    int r = smap_put(L->ent_map, id, (int)idx, &old);
    if (r == 1) {
        diag_add(L->d, file, line, 0, "duplicate organisation id \"%s\" (first at %s:%d)",
                 id, rs->ents[old].file, rs->ents[old].line);
        return;
    }
    if (r < 0) {
        L->oom = true;
        return;
    }
    reg_entity_t *e = &rs->ents[rs->n_ents++];
    e->id = id;
    e->file = file;
    e->line = line;
    e->risk = -1;
    e->name = get_str(L, file, g, "name", true, what);
    if (e->name == NULL)
        e->name = id;
    const char **al;
    e->n_aliases = (uint32_t)get_strs(L, file, g, "aliases", &al, what);
    e->aliases = al;
    const char *cc = get_str(L, file, g, "country", false, what);
    if (cc != NULL) {
        if (strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
            diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "country")), 0,
                     "%s: country \"%s\" must be an ISO 3166-1 alpha-2 code (upper case)",
                     what, cc);
        else
            e->country = cc;
    }
    const char *type = get_str(L, file, g, "type", false, what);
    if (type != NULL && resolve(L, file, cfgread_line(config_setting_get_member(g, "type")),
                                &rs->types, "partner type", type, what) >= 0)
        e->type = type;
    read_ids(L, file, g, e, what);
    e->n_lists = read_syms(L, file, g, "lists", L->list_map, &L->lists, "list", what,
                           &e->lists);
    e->n_tags = read_syms(L, file, g, "tags", L->tag_map, &L->tags, "tag", what, &e->tags);
    const char *risk = get_str(L, file, g, "risk", false, what);
    if (risk != NULL) {
        int ri = resolve(L, file, cfgread_line(config_setting_get_member(g, "risk")),
                         &rs->risks, "risk level", risk, what);
        e->risk = (int16_t)ri;
    }
    const char **src;
    size_t ns = get_strs(L, file, g, "sources", &src, what);
    if (ns == 0 && config_setting_get_member(g, "sources") == NULL)
        diag_add(L->d, file, line, 0, "%s: missing \"sources\" (where its facts come from)",
                 what);
    else if (ns == 0)
        diag_add(L->d, file, line, 0, "%s: \"sources\" is empty", what);
    e->sources = src;
    e->n_sources = (uint16_t)(ns > UINT16_MAX ? UINT16_MAX : ns);
    read_relations(L, file, g, idx, what);
}

static void
read_registry_files(loader_t *L)
{
    for (size_t f = 0; f < L->n_reg; f++) {
        if (!L->reg[f].ok)
            continue;
        const char *file = L->reg[f].path;
        config_setting_t *root = config_root_setting(&L->reg[f].cfg);
        static const char *const allowed[] = { "lists", "tags", "organisations", NULL };
        check_members(L, file, root, allowed, "a registry file");
        read_tags(L, file, root);
        read_lists(L, file, root);
    }
    L->rs->lists.n = L->lists.n;
    L->rs->tags.n = L->tags.n;
    size_t total = count_organisations(L);
    L->rs->ents = chk(L, arena_calloc(L->rs->arena, total + 1, sizeof *L->rs->ents));
    if (L->rs->ents == NULL)
        return;
    for (size_t f = 0; f < L->n_reg; f++) {
        if (!L->reg[f].ok)
            continue;
        const char *file = L->reg[f].path;
        config_setting_t *orgs = member(L, file, config_root_setting(&L->reg[f].cfg),
                                        "organisations", CONFIG_TYPE_LIST, false,
                                        "a registry file");
        int n = orgs ? config_setting_length(orgs) : 0;
        for (int i = 0; i < n; i++) {
            config_setting_t *g = config_setting_get_elem(orgs, (unsigned)i);
            if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                diag_add(L->d, file, cfgread_line(g), 0, "organisations[%d] must be a group", i);
                continue;
            }
            read_organisation(L, file, g);
        }
    }
}

/* Turns pending relations into per-entity arrays; symmetric kinds get
 * the reverse edge too, so look-through works from either side. */
static void
resolve_relations(loader_t *L)
{
    ruleset_t *rs = L->rs;
    uint32_t *target = chk(L, calloc(L->n_rels + 1, sizeof *target));
    uint16_t *count = chk(L, calloc(rs->n_ents + 1, sizeof *count));
    if (target == NULL || count == NULL)
        goto out;
    for (size_t i = 0; i < L->n_rels; i++) {
        pending_rel_t *p = &L->rels[i];
        int t = smap_get(L->ent_map, p->target);
        target[i] = UINT32_MAX;
        if (t < 0) {
            diag_add(L->d, p->file, p->line, 0,
                     "organisation \"%s\": relation %s names unknown organisation \"%s\"",
                     rs->ents[p->from].id, rs->relations.names[p->kind], p->target);
            continue;
        }
        if ((uint32_t)t == p->from) {
            diag_add(L->d, p->file, p->line, 0,
                     "organisation \"%s\": relation %s to itself", rs->ents[p->from].id,
                     rs->relations.names[p->kind]);
            continue;
        }
        if (count[p->from] == UINT16_MAX
            || (rs->rel_symmetric[p->kind] && count[t] == UINT16_MAX)) {
            diag_add(L->d, p->file, p->line, 0,
                     "organisation \"%s\": more than %u relations", rs->ents[p->from].id,
                     UINT16_MAX - 1);
            continue;
        }
        target[i] = (uint32_t)t;
        count[p->from]++;
        if (rs->rel_symmetric[p->kind])
            count[t]++;
    }
    for (size_t e = 0; e < rs->n_ents; e++) {
        rs->ents[e].rels = chk(L, arena_calloc(rs->arena, (size_t)count[e] + 1,
                                               sizeof(reg_rel_t)));
        rs->ents[e].n_rels = 0;
        if (rs->ents[e].rels == NULL)
            goto out;
    }
    for (size_t i = 0; i < L->n_rels; i++) {
        if (target[i] == UINT32_MAX)
            continue;
        pending_rel_t *p = &L->rels[i];
        reg_entity_t *from = &rs->ents[p->from], *to = &rs->ents[target[i]];
        ((reg_rel_t *)from->rels)[from->n_rels++] = (reg_rel_t){ (uint16_t)p->kind, target[i] };
        if (rs->rel_symmetric[p->kind])
            ((reg_rel_t *)to->rels)[to->n_rels++] = (reg_rel_t){ (uint16_t)p->kind, p->from };
    }
out:
    free(target);
    free(count);
}

/* ---- rules --------------------------------------------------------------- */

/* Counts the organisations on each list: on_list[i] for list index i.
 * Returns the array (caller owns it: free), or NULL on OOM (L->oom). */
static size_t *
count_on_lists(loader_t *L)
{
    const ruleset_t *rs = L->rs;
    size_t *on_list = chk(L, calloc(rs->lists.n + 1, sizeof *on_list));
    for (size_t e = 0; on_list != NULL && e < rs->n_ents; e++)
        for (uint16_t i = 0; i < rs->ents[e].n_lists; i++)
            if (rs->ents[e].lists[i] < rs->lists.n)
                on_list[rs->ents[e].lists[i]]++;
    return on_list;
}

/* Reports each list the condition of r (declared at file:line) tests
 * that no organisation is on: such a test can never fire, which is what
 * an import that failed or a typo in a list id looks like, not a policy. */
static void
check_lists_named(loader_t *L, const rs_rule_t *r, const size_t *on_list, const char *file,
                  int line)
{
    for (size_t i = 0; i < L->rs->lists.n; i++)
        if (on_list[i] == 0 && expr_reads_list(r->when, (unsigned)i))
            diag_add(L->d, file, line, 0, "rule \"%s\" names list \"%s\" which has no organisations",
                     r->id, L->rs->lists.names[i]);
}

static void
read_rules(loader_t *L)
{
    ruleset_t *rs = L->rs;
    const char *file = L->policy.path;
    config_setting_t *root = config_root_setting(&L->policy.cfg);
    config_setting_t *rules = member(L, file, root, "rules", CONFIG_TYPE_LIST, true, "policy");
    int n = rules ? config_setting_length(rules) : 0;
    if (rules != NULL && n == 0)
        diag_add(L->d, file, cfgread_line(rules), 0,
                 "the policy has no rules: every partner would be clear");
    rs->rules = chk(L, arena_calloc(rs->arena, (size_t)n + 1, sizeof *rs->rules));
    smap_t *ids = chk(L, smap_new());
    size_t *on_list = count_on_lists(L);
    if (rs->rules == NULL || ids == NULL || on_list == NULL)
        goto out;
    expr_schema_t schema = {
        &rs->lists, &rs->tags, &rs->risks, &rs->activities, &rs->relations,
        &rs->types, rs->tax
    };
    static const char *const allowed[] = {
        "id", "when", "verdict", "score", "reason", "cite", NULL
    };
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(rules, (unsigned)i);
        int line = cfgread_line(g);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, line, 0, "rules[%d] must be a group", i);
            continue;
        }
        check_members(L, file, g, allowed, "a rule");
        const char *id = get_str(L, file, g, "id", true, "rule");
        if (id == NULL)
            continue;
        char what[200];
        snprintf(what, sizeof what, "rule \"%.160s\"", id);
        if (!valid_id(id)) {
            diag_add(L->d, file, line, 0,
                     "%s: id must be lower-case letters, digits, '_', '-' or '.'", what);
            continue;
        }
        int old;
        int put = smap_put(ids, id, i, &old);
        if (put < 0) {
            L->oom = true;
            continue;
        }
        if (put == 1) {
            diag_add(L->d, file, line, 0, "duplicate rule id \"%s\" (first at %s:%d)", id,
                     file, cfgread_line(config_setting_get_elem(rules, (unsigned)old)));
            continue;
        }
        rs_rule_t *r = &rs->rules[rs->n_rules];
        r->id = id;
        r->file = file;
        r->line = line;
        r->reason = get_str(L, file, g, "reason", true, what);
        r->cite = get_str(L, file, g, "cite", true, what);
        const char *verdict = get_str(L, file, g, "verdict", true, what);
        r->verdict = -1;
        if (verdict != NULL)
            r->verdict = resolve(L, file, cfgread_line(config_setting_get_member(g, "verdict")),
                                 &rs->verdicts, "verdict", verdict, what);
        config_setting_t *sc = member(L, file, g, "score", CONFIG_TYPE_INT, true, what);
        if (sc != NULL) {
            long long v = config_setting_type(sc) == CONFIG_TYPE_INT
                ? config_setting_get_int(sc) : config_setting_get_int64(sc);
            if (v < 0 || v > 100)
                diag_add(L->d, file, cfgread_line(sc), 0, "%s: score must be in 0..100, not %lld",
                         what, v);
            r->score = (int)v;
        }
        config_setting_t *w = member(L, file, g, "when", CONFIG_TYPE_STRING, true, what);
        if (w != NULL && (r->when_src = lstrdup(L, config_setting_get_string(w))) != NULL) {
            size_t before = diag_count(L->d);
            r->when = expr_compile(r->when_src, &schema, rs->arena, file, cfgread_line(w), L->d);
            /* expr_compile reports every failure; a NULL without a
             * report would be a rule that silently never fires. */
            if (r->when == NULL && diag_count(L->d) == before)
                L->oom = true;
            if (r->when != NULL)
                check_lists_named(L, r, on_list, file, cfgread_line(w));
        } else if (w != NULL) {
            L->oom = true;      /* the copy failed, or libconfig lost the value */
        }
        rs->n_rules++;
    }
out:
    free(on_list);
    smap_destroy(&ids);
}

/* ---- content digest ------------------------------------------------------ */

/* The content digest hashes a canonical walk of what was compiled, in a
 * framing that cannot be ambiguous: every string is its length (4 bytes,
 * little-endian; NULL is 0xffffffff) then its bytes, every number 8
 * bytes little-endian, every sequence its count first. Where things were
 * declared (file, line) is left out: the digest is of meaning. */
static void
cd_u64(crypto_hash_sha256_state *h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    crypto_hash_sha256_update(h, b, sizeof b);
}

static void
cd_str(crypto_hash_sha256_state *h, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    uint32_t len = s != NULL ? (uint32_t)n : UINT32_MAX;
    unsigned char b[4] = { (unsigned char)len, (unsigned char)(len >> 8),
                           (unsigned char)(len >> 16), (unsigned char)(len >> 24) };
    crypto_hash_sha256_update(h, b, sizeof b);
    if (n > 0)
        crypto_hash_sha256_update(h, (const unsigned char *)s, n);
}

/* A real number as text with every digit that tells it apart. */
static void
cd_real(crypto_hash_sha256_state *h, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    cd_str(h, buf);
}

static void
cd_strs(crypto_hash_sha256_state *h, const char *const *v, size_t n)
{
    cd_u64(h, n);
    for (size_t i = 0; i < n; i++)
        cd_str(h, v[i]);
}

/* Names of vocabulary indexes, so that renumbering shows. */
static void
cd_syms(crypto_hash_sha256_state *h, const vocab_t *voc, const uint16_t *ix, size_t n)
{
    cd_u64(h, n);
    for (size_t i = 0; i < n; i++)
        cd_str(h, ix[i] < voc->n ? voc->names[ix[i]] : NULL);
}

/* Fills rs->content from the compiled ruleset. No allocation. */
static void
content_digest(ruleset_t *rs)
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    cd_str(&h, "vetd ruleset content 1");
    cd_str(&h, rs->version);
    const vocab_t *vocabs[] = { &rs->verdicts, &rs->lists, &rs->tags, &rs->risks,
                                &rs->activities, &rs->relations, &rs->types };
    for (size_t i = 0; i < sizeof vocabs / sizeof vocabs[0]; i++)
        cd_strs(&h, vocabs[i]->names, vocabs[i]->n);
    for (size_t i = 0; i < rs->lists.n; i++) {
        cd_str(&h, rs->list_info[i].name);
        cd_str(&h, rs->list_info[i].authority);
        cd_str(&h, rs->list_info[i].url);
    }
    for (size_t i = 0; i < rs->relations.n; i++)
        cd_u64(&h, rs->rel_symmetric[i]);
    cd_real(&h, rs->match.threshold);
    cd_real(&h, rs->match.country_penalty);
    cd_u64(&h, rs->match.max_results);

    cd_u64(&h, tax_count(rs->tax));
    for (size_t i = 0; i < tax_count(rs->tax); i++) {
        const tax_cat_t *c = tax_get(rs->tax, (int)i);
        const tax_cat_t *parent = tax_get(rs->tax, c->parent);
        cd_str(&h, c->code);
        cd_str(&h, c->label);
        cd_str(&h, parent != NULL ? parent->code : NULL);
        cd_strs(&h, c->keywords, c->n_keywords);
        cd_strs(&h, c->refs, c->n_refs);
    }

    cd_u64(&h, rs->n_ents);
    for (size_t i = 0; i < rs->n_ents; i++) {
        const reg_entity_t *e = &rs->ents[i];
        cd_str(&h, e->id);
        cd_str(&h, e->name);
        cd_str(&h, e->country);
        cd_str(&h, e->type);
        cd_strs(&h, e->aliases, e->n_aliases);
        cd_u64(&h, e->n_ids);
        for (uint32_t k = 0; k < e->n_ids; k++) {
            cd_str(&h, e->ids[k].scheme);
            cd_str(&h, e->ids[k].value);
        }
        cd_syms(&h, &rs->lists, e->lists, e->n_lists);
        cd_syms(&h, &rs->tags, e->tags, e->n_tags);
        cd_str(&h, e->risk >= 0 && (size_t)e->risk < rs->risks.n ? rs->risks.names[e->risk]
                                                               : NULL);
        cd_u64(&h, e->n_rels);
        for (uint16_t k = 0; k < e->n_rels; k++) {
            cd_str(&h, e->rels[k].kind < rs->relations.n ? rs->relations.names[e->rels[k].kind]
                                                         : NULL);
            cd_str(&h, e->rels[k].target < rs->n_ents ? rs->ents[e->rels[k].target].id : NULL);
        }
        cd_strs(&h, e->sources, e->n_sources);
    }

    cd_u64(&h, rs->n_rules);
    for (size_t i = 0; i < rs->n_rules; i++) {
        const rs_rule_t *r = &rs->rules[i];
        cd_str(&h, r->id);
        cd_str(&h, r->verdict >= 0 && (size_t)r->verdict < rs->verdicts.n
                       ? rs->verdicts.names[r->verdict] : NULL);
        cd_u64(&h, (uint64_t)(int64_t)r->score);
        cd_str(&h, r->reason);
        cd_str(&h, r->cite);
        cd_str(&h, r->when_src);
    }
    cd_u64(&h, (uint64_t)(int64_t)rs->default_verdict);

    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, md);
    sodium_bin2hex(rs->content, sizeof rs->content, md, sizeof md);
}

/* ---- load ---------------------------------------------------------------- */

static void
loader_free(loader_t *L)
{
    /* A config_t that was never initialised is all zeros, which
     * config_destroy accepts. Paths belong to the arena (adopt_path). */
    config_destroy(&L->taxonomy.cfg);
    config_destroy(&L->policy.cfg);
    for (size_t i = 0; L->reg != NULL && i < L->n_reg; i++)
        config_destroy(&L->reg[i].cfg);
    free(L->reg);
    free(L->list_info);
    free(L->list_site);
    free(L->lists.v);
    free(L->tags.v);
    free(L->rels);
    smap_destroy(&L->list_map);
    smap_destroy(&L->tag_map);
    smap_destroy(&L->ent_map);
}

/* Copies a heap vector into the arena (the ruleset owns all its memory).
 * Returns the copy, or NULL on OOM (L->oom). */
static const char **
to_arena(loader_t *L, const strvec_t *sv)
{
    const char **v = chk(L, arena_calloc(L->rs->arena, sv->n + 1, sizeof *v));
    if (v != NULL && sv->n > 0)
        memcpy(v, sv->v, sv->n * sizeof *v);
    return v;
}

/* File paths live in the loader's rs_file_t (malloc); the arena gets a
 * copy that entities and rules point at, and f->path becomes it (the
 * malloc'd one is freed). On OOM f->path is NULL and L->oom set. */
static void
adopt_path(loader_t *L, rs_file_t *f)
{
    char *p = lstrdup(L, f->path);
    free(f->path);
    f->path = p;
}

/* Reads every file of dir: taxonomy.cfg, policy.cfg, registry/NAME.cfg
 * in name order, feeding rs->digest. L->reg gets one entry per registry
 * file (L->n_reg); paths end up in the arena. */
static void
read_files(loader_t *L, const char *dir)
{
    ruleset_t *rs = L->rs;
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    parse_file(L, &L->taxonomy, dir, "taxonomy.cfg", true, false, &h);
    parse_file(L, &L->policy, dir, "policy.cfg", true, false, &h);
    adopt_path(L, &L->taxonomy);
    adopt_path(L, &L->policy);
    char **names;
    size_t n;
    list_registry(L, dir, &names, &n);  /* an incomplete list is reported or L->oom */
    L->reg = chk(L, calloc(n + 1, sizeof *L->reg));
    for (size_t i = 0; i < n; i++) {
        if (L->reg != NULL) {
            char rel[4096];
            snprintf(rel, sizeof rel, "registry/%s", names[i]);
            parse_file(L, &L->reg[i], dir, rel, true, true, &h);
            L->n_reg = i + 1;
            adopt_path(L, &L->reg[i]);
        }
        free(names[i]);
    }
    free(names);
    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, md);
    sodium_bin2hex(rs->digest, sizeof rs->digest, md, sizeof md);
    rs->n_files = 2 + L->n_reg;
}

ruleset_t *
ruleset_load(const char *dir, diag_t *d)
{
    size_t errs_before = diag_count(d);
    if (sodium_init() < 0) {
        diag_add(d, NULL, 0, 0, "libsodium failed to initialise");
        return NULL;
    }
    ruleset_t *rs = calloc(1, sizeof *rs);
    if (rs == NULL || (rs->arena = arena_new(1 << 20)) == NULL
        || (rs->tax = tax_new()) == NULL) {
        diag_add(d, dir, 0, 0, "out of memory");
        ruleset_destroy(&rs);
        return NULL;
    }
    rs->types.names = (const char **)type_names;
    rs->types.n = sizeof type_names / sizeof type_names[0];
    rs->loaded_at = time(NULL);

    loader_t L = { 0 };
    L.rs = rs;
    L.d = d;
    rs->dir = lstrdup(&L, dir);
    L.list_map = chk(&L, smap_new());
    L.tag_map = chk(&L, smap_new());
    L.ent_map = chk(&L, smap_new());
    if (L.oom)
        goto done;

    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        diag_add(d, dir, 0, 0, "not a ruleset directory: %s",
                 errno ? strerror(errno) : "not a directory");
        goto done;
    }
    read_files(&L, dir);
    if (!L.policy.ok || !L.taxonomy.ok || L.oom)
        goto done;              /* rules need both; syntax errors reported */
    read_policy_vocabularies(&L);
    read_taxonomy(&L);
    read_registry_files(&L);
    rs->lists.names = to_arena(&L, &L.lists);
    rs->tags.names = to_arena(&L, &L.tags);
    rs->list_info = chk(&L, arena_calloc(rs->arena, L.lists.n + 1, sizeof *rs->list_info));
    if (rs->list_info != NULL && L.lists.n > 0)
        memcpy(rs->list_info, L.list_info, L.lists.n * sizeof *rs->list_info);
    if (L.oom)
        goto done;              /* the steps below read the vocabularies */
    resolve_relations(&L);
    read_rules(&L);
    if (diag_count(d) == errs_before && !L.oom) {
        char err[256] = "";
        rs->mx = match_index_new(rs->ents, rs->n_ents, &rs->match, err, sizeof err);
        if (rs->mx == NULL)
            diag_add(d, rs->dir, 0, 0, "building the match index: %s", err);
    }
done:
    loader_free(&L);
    if (L.oom)
        diag_add(d, dir, 0, 0, "out of memory");
    if (L.oom || diag_count(d) != errs_before) {
        ruleset_destroy(&rs);
        return NULL;
    }
    content_digest(rs);
    return rs;
}

void
ruleset_destroy(ruleset_t **rp)
{
    if (rp == NULL || *rp == NULL)
        return;
    ruleset_t *rs = *rp;
    match_index_destroy(&rs->mx);
    tax_destroy(&rs->tax);
    arena_destroy(&rs->arena);
    free(rs);
    *rp = NULL;
}

size_t
ruleset_memory(const ruleset_t *rs)
{
    return arena_reserved(rs->arena) + (rs->tax ? tax_memory(rs->tax) : 0)
        + (rs->mx ? match_index_memory(rs->mx) : 0);
}
