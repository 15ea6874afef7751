/* SPDX-License-Identifier: Apache-2.0 */
/* regdiff.c -- organisations of two registry files compared by id. */
#include "regdiff.h"

#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cfgread.h"
#include "regw.h"
#include "smap.h"
#include "vec.h"

/* One organisation: its fields rendered as canonical text. */
typedef struct org {
    const char *id;     /* arena */
    const char *name;   /* arena; "" if none */
    const char **keys;  /* member names, file order (arena) */
    const char **vals;  /* parallel: each value rendered (arena) */
    size_t n;           /* members */
    const char **lists; /* its list ids (arena) */
    size_t n_lists;
} org_t;

struct regdiff_file {
    arena_t *arena; /* strings and arrays */
    org_t *orgs;    /* file order (malloc'd) */
    size_t n, cap;
    smap_t *by_id;      /* id -> index in orgs */
    const char **lists; /* list ids seen (malloc'd) */
    size_t *on_list;    /* parallel: organisations on each */
    size_t n_lists, cap_lists;
    smap_t *list_map; /* list id -> index in lists */
};

/* Appends setting s as canonical text: strings quoted as libconfig
 * writes them, arrays and lists in brackets, groups in braces. */
static void
render(sbuf_t *b, const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING: regw_quote(b, config_setting_get_string(s)); break;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: sbuf_printf(b, "%lld", config_setting_get_int64(s)); break;
    case CONFIG_TYPE_FLOAT: sbuf_printf(b, "%.17g", config_setting_get_float(s)); break;
    case CONFIG_TYPE_BOOL: sbuf_puts(b, config_setting_get_bool(s) ? "true" : "false"); break;
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
    case CONFIG_TYPE_GROUP: {
        bool grp = config_setting_type(s) == CONFIG_TYPE_GROUP;
        sbuf_putc(b, grp ? '{' : '[');
        for (int i = 0; i < config_setting_length(s); i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            if (i > 0)
                sbuf_puts(b, grp ? " " : ", ");
            if (grp)
                sbuf_printf(b, "%s = ", config_setting_name(e));
            render(b, e);
            if (grp)
                sbuf_putc(b, ';');
        }
        sbuf_putc(b, grp ? '}' : ']');
        break;
    }
    default: break;
    }
}

static int
count_list(regdiff_file_t *f, const char *id)
{
    int k = smap_get(f->list_map, id);
    if (k >= 0) {
        f->on_list[k]++;
        return 0;
    }
    size_t ca = f->cap_lists, cb = f->cap_lists;
    if (vec_grow(&f->lists, &ca, f->n_lists + 1, sizeof *f->lists, 8) != 0 ||
        vec_grow(&f->on_list, &cb, f->n_lists + 1, sizeof *f->on_list, 8) != 0)
        return -1;
    f->cap_lists = ca;
    f->lists[f->n_lists] = id;
    f->on_list[f->n_lists] = 1;
    if (smap_put(f->list_map, id, (int)f->n_lists, NULL) != 0)
        return -1;
    f->n_lists++;
    return 0;
}

/* Reads one organisation group. 0, 1 (bad: reported in err), -1 on OOM. */
static int
read_org(regdiff_file_t *f, const char *path, const config_setting_t *g, sbuf_t *err)
{
    const char *id = NULL, *name = NULL;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP ||
        !config_setting_lookup_string(g, "id", &id) || id[0] == '\0') {
        sbuf_printf(err, "%s:%d: an organisation without a string id", path, cfgread_line(g));
        return 1;
    }
    config_setting_lookup_string(g, "name", &name);
    if (vec_grow(&f->orgs, &f->cap, f->n + 1, sizeof *f->orgs, 64) != 0)
        return -1;
    org_t *o = &f->orgs[f->n];
    memset(o, 0, sizeof *o);
    o->id = arena_strdup(f->arena, id);
    o->name = arena_strdup(f->arena, name != NULL ? name : "");
    o->n = (size_t)config_setting_length(g);
    o->keys = arena_calloc(f->arena, o->n + 1, sizeof *o->keys);
    o->vals = arena_calloc(f->arena, o->n + 1, sizeof *o->vals);
    if (o->id == NULL || o->name == NULL || o->keys == NULL || o->vals == NULL)
        return -1;
    sbuf_t b = SBUF_INIT;
    for (size_t i = 0; i < o->n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        sbuf_clear(&b);
        render(&b, m);
        o->keys[i] = arena_strdup(f->arena, config_setting_name(m));
        o->vals[i] = arena_strdup(f->arena, b.data != NULL ? b.data : "");
        if (b.oom || o->keys[i] == NULL || o->vals[i] == NULL) {
            sbuf_free(&b);
            return -1;
        }
    }
    sbuf_free(&b);
    const config_setting_t *lists = config_setting_get_member(g, "lists");
    size_t nl = lists != NULL ? (size_t)config_setting_length(lists) : 0;
    o->lists = arena_calloc(f->arena, nl + 1, sizeof *o->lists);
    if (o->lists == NULL)
        return -1;
    for (size_t i = 0; i < nl; i++) {
        const char *l = config_setting_get_string_elem(lists, (int)i);
        if (l == NULL)
            continue;
        if ((o->lists[o->n_lists] = arena_strdup(f->arena, l)) == NULL ||
            count_list(f, o->lists[o->n_lists]) != 0)
            return -1;
        o->n_lists++;
    }
    int old;
    int r = smap_put(f->by_id, o->id, (int)f->n, &old);
    if (r < 0)
        return -1;
    if (r == 1) {
        sbuf_printf(err, "%s:%d: organisation \"%s\" twice", path, cfgread_line(g), id);
        return 1;
    }
    f->n++;
    return 0;
}

regdiff_file_t *
regdiff_read(const char *path, sbuf_t *err)
{
    regdiff_file_t *f = calloc(1, sizeof *f);
    config_t cfg;
    bool inited = cfgread_init(&cfg);
    int r = -1;
    if (f == NULL || !inited || (f->arena = arena_new(0)) == NULL ||
        (f->by_id = smap_new()) == NULL || (f->list_map = smap_new()) == NULL)
        goto out;
    cfgread_rc_t rc = cfgread_parse_file(&cfg, path);
    if (rc == CFGREAD_IO && errno == ENOENT) {
        r = 0; /* a list the ruleset did not have yet */
    } else if (rc == CFGREAD_IO) {
        sbuf_printf(err, "%s: %s", path, strerror(errno));
        r = 1;
    } else if (rc == CFGREAD_SYNTAX) {
        sbuf_printf(err, "%s:%d: %s", path, config_error_line(&cfg), config_error_text(&cfg));
        r = 1;
    } else if (rc == CFGREAD_OK && cfgread_complete(config_root_setting(&cfg))) {
        const config_setting_t *orgs =
            config_setting_get_member(config_root_setting(&cfg), "organisations");
        r = 0;
        for (int i = 0; r == 0 && orgs != NULL && i < config_setting_length(orgs); i++)
            r = read_org(f, path, config_setting_get_elem(orgs, (unsigned)i), err);
    }
out:
    config_destroy(&cfg);
    if (r < 0)
        sbuf_puts(err, "out of memory");
    if (r != 0)
        regdiff_destroy(&f);
    return f;
}

void
regdiff_destroy(regdiff_file_t **fp)
{
    if (fp == NULL || *fp == NULL)
        return;
    regdiff_file_t *f = *fp;
    arena_destroy(&f->arena);
    smap_destroy(&f->by_id);
    smap_destroy(&f->list_map);
    free(f->orgs);
    free(f->lists);
    free(f->on_list);
    free(f);
    *fp = NULL;
}

size_t
regdiff_count(const regdiff_file_t *f)
{
    return f->n;
}

size_t
regdiff_n_lists(const regdiff_file_t *f)
{
    return f->n_lists;
}

const char *
regdiff_list(const regdiff_file_t *f, size_t i)
{
    return i < f->n_lists ? f->lists[i] : NULL;
}

size_t
regdiff_on_list(const regdiff_file_t *f, const char *id)
{
    int k = smap_get(f->list_map, id);
    return k >= 0 ? f->on_list[k] : 0;
}

/* The value of member key in o, or NULL. */
static const char *
val_of(const org_t *o, const char *key)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return o->vals[i];
    return NULL;
}

/* The fields of a and b that differ, into fields (room for a->n + b->n). */
static size_t
differ(const org_t *a, const org_t *b, const char **fields)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++) {
        const char *v = val_of(a, b->keys[i]);
        if (v == NULL || strcmp(v, b->vals[i]) != 0)
            fields[n++] = b->keys[i];
    }
    for (size_t i = 0; i < a->n; i++)
        if (val_of(b, a->keys[i]) == NULL)
            fields[n++] = a->keys[i];
    return n;
}

int
regdiff_compare(const regdiff_file_t *old, const regdiff_file_t *new, regdiff_fn fn, void *ctx)
{
    for (size_t i = 0; i < old->n; i++)
        if (smap_get(new->by_id, old->orgs[i].id) < 0)
            fn(ctx, REGDIFF_REMOVED, old->orgs[i].id, old->orgs[i].name, NULL, 0);
    for (size_t i = 0; i < new->n; i++) {
        const org_t *b = &new->orgs[i];
        int k = smap_get(old->by_id, b->id);
        if (k < 0) {
            fn(ctx, REGDIFF_ADDED, b->id, b->name, NULL, 0);
            continue;
        }
        const org_t *a = &old->orgs[k];
        const char **fields = malloc((a->n + b->n + 1) * sizeof *fields);
        if (fields == NULL)
            return -1;
        size_t n = differ(a, b, fields);
        if (n > 0)
            fn(ctx, REGDIFF_CHANGED, b->id, b->name, fields, n);
        free(fields);
    }
    return 0;
}
