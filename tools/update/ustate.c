/* SPDX-License-Identifier: Apache-2.0 */
/* ustate.c -- vet-update's state file, read and written whole. */
#include "ustate.h"

#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cfgread.h"
#include "regw.h"
#include "vec.h"

#define MAX_REJECTED 20

typedef struct rejected {
    const char *digest; /* 12 hex digits */
    const char *at;     /* UTC time */
} rejected_t;

struct ustate {
    arena_t *arena;       /* every string and file array */
    ustate_list_t *lists; /* malloc'd */
    size_t n, cap;
    rejected_t rej[MAX_REJECTED]; /* oldest first */
    size_t n_rej;
};

static const char *
cp(ustate_t *s, const char *v, bool *oom)
{
    char *p = arena_strdup(s->arena, v != NULL ? v : "");
    if (p == NULL)
        *oom = true;
    return p;
}

int
ustate_put(ustate_t *s, const ustate_list_t *l)
{
    bool oom = false;
    ustate_list_t c;
    c.id = cp(s, l->id, &oom);
    c.registry_sha256 = cp(s, l->registry_sha256, &oom);
    c.downloaded = cp(s, l->downloaded, &oom);
    c.checked = cp(s, l->checked, &oom);
    c.n_files = l->n_files;
    ustate_file_t *f = arena_calloc(s->arena, l->n_files + 1, sizeof *f);
    if (f == NULL)
        return -1;
    for (size_t i = 0; i < l->n_files; i++) {
        f[i].url = cp(s, l->files[i].url, &oom);
        f[i].etag = cp(s, l->files[i].etag, &oom);
        f[i].last_modified = cp(s, l->files[i].last_modified, &oom);
        f[i].sha256 = cp(s, l->files[i].sha256, &oom);
        f[i].bytes = l->files[i].bytes;
    }
    c.files = f;
    if (oom)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->lists[i].id, c.id) == 0) {
            s->lists[i] = c;
            return 0;
        }
    if (vec_grow(&s->lists, &s->cap, s->n + 1, sizeof *s->lists, 8) != 0)
        return -1;
    s->lists[s->n++] = c;
    return 0;
}

int
ustate_reject(ustate_t *s, const char *digest12, const char *at)
{
    bool oom = false;
    rejected_t r = {cp(s, digest12, &oom), cp(s, at, &oom)};
    if (oom)
        return -1;
    if (s->n_rej == MAX_REJECTED) {
        memmove(s->rej, s->rej + 1, (MAX_REJECTED - 1) * sizeof *s->rej);
        s->n_rej--;
    }
    s->rej[s->n_rej++] = r;
    return 0;
}

bool
ustate_rejected(const ustate_t *s, const char *digest12, const char **at)
{
    for (size_t i = s->n_rej; i-- > 0;)
        if (strncmp(s->rej[i].digest, digest12, 12) == 0) {
            if (at != NULL)
                *at = s->rej[i].at;
            return true;
        }
    return false;
}

const ustate_list_t *
ustate_find(const ustate_t *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->lists[i].id, id) == 0)
            return &s->lists[i];
    return NULL;
}

static const char *
str_of(const config_setting_t *g, const char *name)
{
    const char *v = NULL;
    return config_setting_lookup_string(g, name, &v) ? v : "";
}

/* Fills s from the parsed tree; a malformed entry is skipped. -1 on OOM. */
static int
read_tree(ustate_t *s, const config_setting_t *root)
{
    const config_setting_t *lists = config_setting_get_member(root, "lists");
    for (int i = 0; lists != NULL && i < config_setting_length(lists); i++) {
        const config_setting_t *g = config_setting_get_elem(lists, (unsigned)i);
        const config_setting_t *files = config_setting_get_member(g, "files");
        size_t nf = files != NULL ? (size_t)config_setting_length(files) : 0;
        ustate_file_t *f = calloc(nf + 1, sizeof *f);
        if (f == NULL)
            return -1;
        for (size_t k = 0; k < nf; k++) {
            const config_setting_t *e = config_setting_get_elem(files, (unsigned)k);
            long long b = 0;
            f[k].url = str_of(e, "url");
            f[k].etag = str_of(e, "etag");
            f[k].last_modified = str_of(e, "last_modified");
            f[k].sha256 = str_of(e, "sha256");
            f[k].bytes = config_setting_lookup_int64(e, "bytes", &b) ? b : 0;
        }
        ustate_list_t l = {str_of(g, "id"),
                           str_of(g, "registry_sha256"),
                           str_of(g, "downloaded"),
                           str_of(g, "checked"),
                           f,
                           nf};
        int rc = l.id[0] != '\0' ? ustate_put(s, &l) : 0;
        free(f);
        if (rc != 0)
            return -1;
    }
    const config_setting_t *rej = config_setting_get_member(root, "rejected");
    for (int i = 0; rej != NULL && i < config_setting_length(rej); i++) {
        const config_setting_t *g = config_setting_get_elem(rej, (unsigned)i);
        if (strlen(str_of(g, "digest")) >= 12 &&
            ustate_reject(s, str_of(g, "digest"), str_of(g, "at")) != 0)
            return -1;
    }
    return 0;
}

ustate_t *
ustate_load(const char *path, sbuf_t *warn)
{
    ustate_t *s = calloc(1, sizeof *s);
    if (s == NULL || (s->arena = arena_new(0)) == NULL) {
        free(s);
        return NULL;
    }
    config_t cfg;
    if (!cfgread_init(&cfg)) {
        ustate_destroy(&s);
        return NULL;
    }
    cfgread_rc_t rc = cfgread_parse_file(&cfg, path);
    int r = 0;
    if (rc == CFGREAD_IO && errno != ENOENT)
        sbuf_printf(warn, "%s: cannot read (%s): starting without it", path, strerror(errno));
    else if (rc == CFGREAD_SYNTAX)
        sbuf_printf(warn, "%s:%d: %s: starting without it", path, config_error_line(&cfg),
                    config_error_text(&cfg));
    else if (rc == CFGREAD_FAULT ||
             (rc == CFGREAD_OK && !cfgread_complete(config_root_setting(&cfg))))
        r = -1;
    else if (rc == CFGREAD_OK)
        r = read_tree(s, config_root_setting(&cfg));
    config_destroy(&cfg);
    if (r != 0)
        ustate_destroy(&s);
    return s;
}

void
ustate_destroy(ustate_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    arena_destroy(&(*sp)->arena);
    free((*sp)->lists);
    free(*sp);
    *sp = NULL;
}

/* name = "value"; with the value quoted as libconfig reads it. */
static void
kv(sbuf_t *out, const char *name, const char *v)
{
    sbuf_printf(out, "%s = ", name);
    regw_quote(out, v);
    sbuf_puts(out, "; ");
}

void
ustate_render(const ustate_t *s, sbuf_t *out)
{
    sbuf_puts(out, "# vet-update state: the validators of each list's last good download, and\n"
                   "# the rulesets rolled back from. Written by vet-update; delete it to make\n"
                   "# the next run download everything again.\n");
    sbuf_puts(out, "lists = (");
    for (size_t i = 0; i < s->n; i++) {
        const ustate_list_t *l = &s->lists[i];
        sbuf_puts(out, i ? ",\n  { " : "\n  { ");
        kv(out, "id", l->id);
        kv(out, "registry_sha256", l->registry_sha256);
        kv(out, "downloaded", l->downloaded);
        kv(out, "checked", l->checked);
        sbuf_puts(out, "\n    files = (");
        for (size_t k = 0; k < l->n_files; k++) {
            const ustate_file_t *f = &l->files[k];
            sbuf_puts(out, k ? ",\n      { " : "\n      { ");
            kv(out, "url", f->url);
            kv(out, "etag", f->etag);
            kv(out, "last_modified", f->last_modified);
            kv(out, "sha256", f->sha256);
            sbuf_printf(out, "bytes = %lldL; }", f->bytes);
        }
        sbuf_puts(out, " ); }");
    }
    sbuf_puts(out, s->n ? "\n);\n" : ");\n");
    sbuf_puts(out, "rejected = (");
    for (size_t i = 0; i < s->n_rej; i++) {
        sbuf_puts(out, i ? ",\n  { " : "\n  { ");
        kv(out, "digest", s->rej[i].digest);
        kv(out, "at", s->rej[i].at);
        sbuf_puts(out, "}");
    }
    sbuf_puts(out, s->n_rej ? "\n);\n" : ");\n");
}
