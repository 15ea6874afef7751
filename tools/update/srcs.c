/* SPDX-License-Identifier: Apache-2.0 */
/* srcs.c -- sources.cfg, read and checked whole (vet-update). */
#include "srcs.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cfgread.h"
#include "fetch.h"
#include "imprun.h"
#include "vocab.h"

struct srcs {
    arena_t *arena;     /* every string and array below */
    srcs_list_t *lists; /* file order */
    size_t n;           /* lists */
    const char **ids;   /* parallel to lists, for suggestions */
};

/* The numeric settings as a table: name, offset, default, range. */
typedef struct num_setting {
    const char *name;
    size_t off; /* in srcs_nums_t */
    long long dflt, min, max;
} num_setting_t;

static const num_setting_t nums[] = {
#define SRCS_ROW(n, d, lo, hi, what) {#n, offsetof(srcs_nums_t, n), d, lo, hi},
    SRCS_NUMS(SRCS_ROW)
#undef SRCS_ROW
};
#define N_NUMS (sizeof nums / sizeof nums[0])

/* The settings a list group may hold, besides the numbers. */
static const char *const list_keys[] = {"id",    "registry", "format", "urls",
                                        "files", "list_id",  "risk",   "all"};
#define N_LIST_KEYS (sizeof list_keys / sizeof list_keys[0])

/* Load state: where errors go and what is being built. */
typedef struct rd {
    const char *path; /* the file, as errors name it */
    diag_t *d;        /* errors */
    srcs_t *s;        /* being built */
    bool oom;         /* an allocation failed */
} rd_t;

static char *
dup(rd_t *r, const char *s)
{
    char *p = arena_strdup(r->s->arena, s);
    if (p == NULL)
        r->oom = true;
    return p;
}

/* Member name of grp as a string: its value (borrowed from the tree), or
 * NULL if absent (reported if required) or not a non-empty string. */
static const char *
get_str(rd_t *r, const config_setting_t *grp, const char *name, bool required, const char *what)
{
    const config_setting_t *m = config_setting_get_member(grp, name);
    if (m == NULL) {
        if (required)
            diag_add(r->d, r->path, cfgread_line(grp), 0, "%s: missing \"%s\"", what, name);
        return NULL;
    }
    const char *v = config_setting_get_string(m);
    if (config_setting_type(m) != CONFIG_TYPE_STRING || v == NULL || v[0] == '\0') {
        diag_add(r->d, r->path, cfgread_line(m), 0, "%s: %s: expected a non-empty string", what,
                 name);
        return NULL;
    }
    return v;
}

/* Reads the numeric members of grp over out; each is checked for type
 * and range. */
static void
get_nums(rd_t *r, const config_setting_t *grp, srcs_nums_t *out, const char *what)
{
    for (size_t i = 0; i < N_NUMS; i++) {
        const config_setting_t *m = config_setting_get_member(grp, nums[i].name);
        if (m == NULL)
            continue;
        int t = config_setting_type(m);
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
            diag_add(r->d, r->path, cfgread_line(m), 0, "%s: %s: expected an integer", what,
                     nums[i].name);
            continue;
        }
        long long v = config_setting_get_int64(m);
        if (v < nums[i].min || v > nums[i].max) {
            diag_add(r->d, r->path, cfgread_line(m), 0, "%s: %s: %lld is out of range %lld..%lld",
                     what, nums[i].name, v, nums[i].min, nums[i].max);
            continue;
        }
        *(long long *)((char *)out + nums[i].off) = v;
    }
}

/* Reports members of grp that are neither in keys (n of them) nor numbers. */
static void
check_keys(rd_t *r, const config_setting_t *grp, const char *const *keys, size_t n,
           const char *what)
{
    const char *allowed[N_LIST_KEYS + N_NUMS + 1];
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        allowed[k++] = keys[i];
    for (size_t i = 0; i < N_NUMS; i++)
        allowed[k++] = nums[i].name;
    allowed[k] = NULL;
    cfgread_check_members(r->d, r->path, grp, allowed, "", what);
}

/* A list id as registry files spell them: [a-z0-9._-], not empty. */
static bool
valid_id(const char *s)
{
    return s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(s);
}

/* A file name with no directory: [A-Za-z0-9._-], not starting with '.'. */
static bool
valid_name(const char *s)
{
    return s[0] != '\0' && s[0] != '.' &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
               strlen(s);
}

/* "registry/NAME.cfg", the only place the loader reads registry files. */
static bool
valid_registry(const char *s)
{
    size_t n = strlen(s);
    if (strncmp(s, "registry/", 9) != 0 || n < 9 + 5 || strcmp(s + n - 4, ".cfg") != 0)
        return false;
    return valid_name(s + 9);
}

/* The last segment of url's path (before any query), into out; "" if
 * it has none. */
static void
url_basename(const char *url, char *out, size_t size)
{
    out[0] = '\0';
    const char *host = strstr(url, "://");
    if (host == NULL)
        return;
    host += 3;
    const char *end = host + strcspn(host, "?#");
    const char *path = memchr(host, '/', (size_t)(end - host));
    if (path == NULL)
        return; /* "https://host": no path segment */
    const char *p = end;
    while (p > path && p[-1] != '/')
        p--;
    size_t n = (size_t)(end - p);
    if (n < size) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
}

/* urls and files of one list group into l. */
static void
read_urls(rd_t *r, const config_setting_t *g, srcs_list_t *l, const char *what)
{
    const config_setting_t *u = config_setting_get_member(g, "urls");
    if (u == NULL) {
        diag_add(r->d, r->path, cfgread_line(g), 0, "%s: missing \"urls\"", what);
        return;
    }
    int ut = config_setting_type(u);
    int n = config_setting_length(u);
    if ((ut != CONFIG_TYPE_ARRAY && ut != CONFIG_TYPE_LIST) || n < 1 || n > SRCS_MAX_URLS) {
        diag_add(r->d, r->path, cfgread_line(u), 0,
                 "%s: urls: expected an array of 1 to %d strings", what, SRCS_MAX_URLS);
        return;
    }
    const config_setting_t *f = config_setting_get_member(g, "files");
    if (f != NULL &&
        (config_setting_type(f) != CONFIG_TYPE_ARRAY || config_setting_length(f) != n)) {
        diag_add(r->d, r->path, cfgread_line(f), 0,
                 "%s: files: expected an array of %d strings, one per URL", what, n);
        f = NULL;
    }
    l->urls = arena_calloc(r->s->arena, (size_t)n, sizeof *l->urls);
    l->files = arena_calloc(r->s->arena, (size_t)n, sizeof *l->files);
    if (l->urls == NULL || l->files == NULL) {
        r->oom = true;
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(u, (unsigned)i);
        const char *url = config_setting_get_string(e);
        char msg[512], base[256];
        if (url == NULL) {
            diag_add(r->d, r->path, cfgread_line(e), 0, "%s: urls[%d]: expected a string", what, i);
            continue;
        }
        if (!fetch_url_ok(url, msg, sizeof msg)) {
            diag_add(r->d, r->path, cfgread_line(e), 0, "%s: urls[%d]: %s", what, i, msg);
            continue;
        }
        const config_setting_t *fe = f != NULL ? config_setting_get_elem(f, (unsigned)i) : NULL;
        const char *name = fe != NULL ? config_setting_get_string(fe) : NULL;
        if (fe != NULL && name == NULL) {
            diag_add(r->d, r->path, cfgread_line(fe), 0, "%s: files[%d]: expected a string", what,
                     i);
            continue;
        }
        if (name == NULL) {
            url_basename(url, base, sizeof base);
            name = base;
        }
        if (!valid_name(name)) {
            diag_add(r->d, r->path, cfgread_line(fe ? fe : e), 0,
                     "%s: %s[%d]: \"%s\" is not a file name ([A-Za-z0-9._-], not starting with "
                     "'.'%s)",
                     what, fe ? "files" : "urls", i, name, fe ? "" : "; name the file in `files`");
            continue;
        }
        for (int j = 0; j < i; j++)
            if (l->files[j] != NULL && strcmp(l->files[j], name) == 0)
                diag_add(r->d, r->path, cfgread_line(fe ? fe : e), 0,
                         "%s: two downloads would both be saved as \"%s\"%s", what, name,
                         fe ? "" : "; name them in `files`");
        l->urls[i] = dup(r, url);
        l->files[i] = dup(r, name);
    }
    l->n_urls = (size_t)n;
}

/* One group of `lists` into l. */
static void
read_list(rd_t *r, const config_setting_t *g, const srcs_nums_t *base, srcs_list_t *l, int idx)
{
    char what[96];
    memset(l, 0, sizeof *l);
    l->line = cfgread_line(g);
    l->num = *base;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        diag_add(r->d, r->path, l->line, 0, "lists[%d]: expected a group { id = ...; }", idx);
        return;
    }
    snprintf(what, sizeof what, "lists[%d]", idx);
    const char *id = get_str(r, g, "id", true, what);
    if (id != NULL && !valid_id(id)) {
        diag_add(r->d, r->path, cfgread_line(config_setting_get_member(g, "id")), 0,
                 "%s: id \"%s\": lower-case letters, digits, '.', '_' or '-'", what, id);
        id = NULL;
    }
    if (id != NULL)
        snprintf(what, sizeof what, "list \"%s\"", id);
    l->id = id != NULL ? dup(r, id) : NULL;
    check_keys(r, g, list_keys, N_LIST_KEYS, what);
    const char *reg = get_str(r, g, "registry", true, what);
    if (reg != NULL && !valid_registry(reg))
        diag_add(r->d, r->path, cfgread_line(config_setting_get_member(g, "registry")), 0,
                 "%s: registry \"%s\": expected \"registry/NAME.cfg\"", what, reg);
    else if (reg != NULL)
        l->registry = dup(r, reg);
    const char *fmt_name = get_str(r, g, "format", true, what);
    const imp_format_t *fmt = fmt_name != NULL ? imprun_format(fmt_name) : NULL;
    if (fmt_name != NULL && fmt == NULL) {
        const char *sug = imprun_suggest(fmt_name);
        diag_add(r->d, r->path, cfgread_line(config_setting_get_member(g, "format")), 0,
                 "%s: unknown format \"%s\"%s%s%s", what, fmt_name, sug ? " (did you mean \"" : "",
                 sug ? sug : "", sug ? "\"?)" : "");
    }
    if (fmt != NULL)
        l->format = fmt->name;
    read_urls(r, g, l, what);
    if (fmt != NULL && l->n_urls > 0 && (l->n_urls < fmt->min_files || l->n_urls > fmt->max_files))
        diag_add(r->d, r->path, cfgread_line(config_setting_get_member(g, "urls")), 0,
                 "%s: %zu URLs, but format %s takes %s", what, l->n_urls, fmt->name, fmt->files);
    const char *lid = get_str(r, g, "list_id", false, what);
    if (lid != NULL && fmt != NULL && !fmt->takes_list_id)
        diag_add(r->d, r->path, cfgread_line(config_setting_get_member(g, "list_id")), 0,
                 "%s: format %s takes its list ids from the data; list_id does not apply", what,
                 fmt->name);
    else if (lid != NULL && !valid_id(lid))
        diag_add(r->d, r->path, cfgread_line(config_setting_get_member(g, "list_id")), 0,
                 "%s: list_id \"%s\": lower-case letters, digits, '.', '_' or '-'", what, lid);
    else if (lid != NULL)
        l->list_id = dup(r, lid);
    const char *risk = get_str(r, g, "risk", false, what);
    if (risk != NULL)
        l->risk = dup(r, risk);
    const config_setting_t *all = config_setting_get_member(g, "all");
    if (all != NULL && config_setting_type(all) != CONFIG_TYPE_BOOL)
        diag_add(r->d, r->path, cfgread_line(all), 0, "%s: all: expected true or false", what);
    else if (all != NULL)
        l->all = config_setting_get_bool(all) != 0;
    get_nums(r, g, &l->num, what);
}

/* Duplicate ids and registry files across lists. */
static void
check_unique(rd_t *r)
{
    const srcs_t *s = r->s;
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = 0; j < i; j++) {
            const srcs_list_t *a = &s->lists[i], *b = &s->lists[j];
            if (a->id != NULL && b->id != NULL && strcmp(a->id, b->id) == 0)
                diag_add(r->d, r->path, a->line, 0, "list \"%s\" is already declared on line %d",
                         a->id, b->line);
            if (a->registry != NULL && b->registry != NULL && strcmp(a->registry, b->registry) == 0)
                diag_add(r->d, r->path, a->line, 0,
                         "list \"%s\": %s is already written by list \"%s\" (line %d)",
                         a->id ? a->id : "?", a->registry, b->id ? b->id : "?", b->line);
        }
}

static void
read_root(rd_t *r, const config_setting_t *root)
{
    static const char *const top[] = {"defaults", "lists", NULL};
    cfgread_check_members(r->d, r->path, root, top, "", "the sources file");
    srcs_nums_t base;
    for (size_t i = 0; i < N_NUMS; i++)
        *(long long *)((char *)&base + nums[i].off) = nums[i].dflt;
    const config_setting_t *def = config_setting_get_member(root, "defaults");
    if (def != NULL && config_setting_type(def) != CONFIG_TYPE_GROUP) {
        diag_add(r->d, r->path, cfgread_line(def), 0, "defaults: expected a group { ... }");
    } else if (def != NULL) {
        check_keys(r, def, NULL, 0, "defaults");
        get_nums(r, def, &base, "defaults");
    }
    const config_setting_t *lists = config_setting_get_member(root, "lists");
    int lt = lists != NULL ? config_setting_type(lists) : CONFIG_TYPE_NONE;
    if (lists == NULL || (lt != CONFIG_TYPE_LIST && lt != CONFIG_TYPE_ARRAY) ||
        config_setting_length(lists) < 1) {
        diag_add(r->d, r->path, lists ? cfgread_line(lists) : 0, 0,
                 "lists: expected a list of at least one group ( { id = ...; }, ... )");
        return;
    }
    size_t n = (size_t)config_setting_length(lists);
    r->s->lists = arena_calloc(r->s->arena, n, sizeof *r->s->lists);
    r->s->ids = arena_calloc(r->s->arena, n, sizeof *r->s->ids);
    if (r->s->lists == NULL || r->s->ids == NULL) {
        r->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        read_list(r, config_setting_get_elem(lists, (unsigned)i), &base, &r->s->lists[i], (int)i);
        r->s->ids[i] = r->s->lists[i].id != NULL ? r->s->lists[i].id : "";
    }
    r->s->n = n;
    check_unique(r);
}

srcs_t *
srcs_load(const char *path, diag_t *d)
{
    size_t before = diag_count(d);
    rd_t r = {path, d, calloc(1, sizeof(srcs_t)), false};
    config_t cfg;
    bool inited = cfgread_init(&cfg);
    if (r.s == NULL || !inited || (r.s->arena = arena_new(0)) == NULL) {
        r.oom = true;
    } else {
        cfgread_rc_t rc = cfgread_parse_file(&cfg, path);
        if (rc == CFGREAD_IO)
            diag_add(d, path, 0, 0, "cannot read: %s", strerror(errno));
        else if (rc == CFGREAD_SYNTAX)
            diag_add(d, path, config_error_line(&cfg), 0, "%s", config_error_text(&cfg));
        else if (rc == CFGREAD_FAULT || !cfgread_complete(config_root_setting(&cfg)))
            r.oom = true;
        else
            read_root(&r, config_root_setting(&cfg));
    }
    config_destroy(&cfg);
    if (r.oom)
        diag_add(d, path, 0, 0, "out of memory");
    if (r.oom || diag_count(d) > before) {
        srcs_destroy(&r.s);
        return NULL;
    }
    return r.s;
}

void
srcs_destroy(srcs_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    arena_destroy(&(*sp)->arena);
    free(*sp);
    *sp = NULL;
}

size_t
srcs_count(const srcs_t *s)
{
    return s->n;
}

const srcs_list_t *
srcs_get(const srcs_t *s, size_t i)
{
    return i < s->n ? &s->lists[i] : NULL;
}

const srcs_list_t *
srcs_find(const srcs_t *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->lists[i].id, id) == 0)
            return &s->lists[i];
    return NULL;
}

const char *
srcs_suggest(const srcs_t *s, const char *id)
{
    vocab_t v = {s->ids, s->n};
    return vocab_suggest(&v, id);
}
