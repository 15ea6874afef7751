/* SPDX-License-Identifier: Apache-2.0 */
/* ofac.c -- the one reader of OFAC's SDN legacy CSV files (sdn.csv, alt.csv, add.csv). */
#include "ofac.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "smap.h"
#include "vec.h"

/* Fields a record, and the columns read, of each file. */
static const struct {
    size_t fields;
    int name;    /* the name or alias, -1 if none */
    int type;    /* the SDN type, -1 if none */
    int country; /* the address's country, -1 if none */
    int remarks; /* the remarks, -1 if not read */
} layout[] = {
    [OFAC_SDN] = {12, 1, 2, -1, 11},
    [OFAC_ALT] = {5, 3, -1, -1, -1},
    [OFAC_ADD] = {6, -1, -1, 4, -1},
};

/* The SDN types; "" is an organisation. */
static const char *const sdn_types[] = {"", "individual", "vessel", "aircraft"};

typedef struct reading {
    const imp_file_t *f;
    ofac_file_t kind;
    ofac_row_fn fn;
    void *ctx;
} reading_t;

/* Trims spaces in place and maps OFAC's empty marker "-0-" to "". */
static char *
val(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    if (strcmp(s, "-0-") == 0)
        s[0] = '\0';
    return s;
}

static bool
all_digits(const char *s)
{
    return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

static int
bad(const reading_t *x, unsigned long line, const char *what, const char *arg, sbuf_t *err)
{
    sbuf_clear(err);
    sbuf_printf(err, "%s:%lu: %s \"%s\"", x->f->path, line, what, arg);
    return -1;
}

static int
record(void *ctx, char **fld, size_t n, unsigned long line, sbuf_t *err)
{
    const reading_t *x = ctx;
    size_t want = layout[x->kind].fields;
    if (n != want) {
        sbuf_clear(err);
        sbuf_printf(err, "%s:%lu: expected %zu fields, got %zu", x->f->path, line, want, n);
        return -1;
    }
    ofac_row_t row = {line, val(fld[0]), "", "", "", ""};
    if (layout[x->kind].name >= 0)
        row.name = val(fld[layout[x->kind].name]);
    if (layout[x->kind].type >= 0)
        row.type = val(fld[layout[x->kind].type]);
    if (layout[x->kind].country >= 0)
        row.country = val(fld[layout[x->kind].country]);
    if (layout[x->kind].remarks >= 0)
        row.remarks = val(fld[layout[x->kind].remarks]);
    if (!all_digits(row.ent_num))
        return bad(x, line, "ent_num is not a number:", row.ent_num, err);
    size_t t = 0;
    while (t < sizeof sdn_types / sizeof sdn_types[0] && strcmp(row.type, sdn_types[t]) != 0)
        t++;
    if (t == sizeof sdn_types / sizeof sdn_types[0])
        return bad(x, line, "unknown SDN type", row.type, err);
    return x->fn(x->ctx, x->f, &row, err);
}

int
ofac_read(const imp_file_t *f, ofac_file_t kind, ofac_row_fn fn, void *ctx, sbuf_t *err)
{
    reading_t x = {f, kind, fn, ctx};
    return imp_csv_each(f, ',', '"', record, &x, err);
}

/* ---- the list of sdn.csv with its aliases ------------------------------ */

struct ofac_list {
    arena_t *strings;  /* every string of the list */
    ofac_ent_t *ents;  /* the records, in file order */
    size_t n, cap;     /* used, allocated */
    size_t *alias_cap; /* room in each record's aliases */
    smap_t *by_num;    /* ent_num -> index of its first record */
};

static int
oom(sbuf_t *err)
{
    sbuf_clear(err);
    sbuf_puts(err, "out of memory");
    return -1;
}

static int
sdn_row(void *ctx, const imp_file_t *f, const ofac_row_t *row, sbuf_t *err)
{
    (void)f;
    ofac_list_t *l = ctx;
    /* ents and alias_cap share one capacity (vec.h). */
    size_t ce = l->cap, ca = l->cap;
    if (vec_grow(&l->ents, &ce, l->n + 1, sizeof *l->ents, 1024) != 0 ||
        vec_grow(&l->alias_cap, &ca, l->n + 1, sizeof *l->alias_cap, 1024) != 0)
        return oom(err);
    l->cap = ce;
    ofac_ent_t *e = &l->ents[l->n];
    *e = (ofac_ent_t){arena_strdup(l->strings, row->ent_num),
                      arena_strdup(l->strings, row->name),
                      arena_strdup(l->strings, row->type),
                      row->line,
                      NULL,
                      0};
    l->alias_cap[l->n] = 0;
    if (e->ent_num == NULL || e->name == NULL || e->type == NULL)
        return oom(err);
    l->n++;
    /* A repeated number keeps the aliases on its first record. */
    return smap_put(l->by_num, e->ent_num, (int)(l->n - 1), NULL) < 0 ? oom(err) : 0;
}

static int
alt_row(void *ctx, const imp_file_t *f, const ofac_row_t *row, sbuf_t *err)
{
    (void)f;
    ofac_list_t *l = ctx;
    int i = smap_get(l->by_num, row->ent_num);
    if (i < 0 || row->name[0] == '\0')
        return 0;
    ofac_ent_t *e = &l->ents[i];
    if (vec_grow(&e->aliases, &l->alias_cap[i], e->n_aliases + 1, sizeof *e->aliases, 4) != 0)
        return oom(err);
    if ((e->aliases[e->n_aliases] = arena_strdup(l->strings, row->name)) == NULL)
        return oom(err);
    e->n_aliases++;
    return 0;
}

/* Reads DIR/NAME and calls ofac_read on it. */
static int
read_one(ofac_list_t *l, const char *dir, const char *name, ofac_file_t kind, ofac_row_fn fn,
         sbuf_t *err)
{
    sbuf_t path = SBUF_INIT;
    sbuf_printf(&path, "%s/%s", dir, name);
    if (path.oom) {
        sbuf_free(&path);
        return oom(err);
    }
    imp_file_t f = {path.data, NULL, 0};
    char *data = imp_read_file(path.data, &f.len);
    int r = 0;
    if (data == NULL) {
        sbuf_clear(err);
        sbuf_printf(err, "%s: %s", path.data, strerror(errno));
        r = -1;
    } else {
        f.data = data;
        r = ofac_read(&f, kind, fn, l, err);
    }
    free(data);
    sbuf_free(&path);
    return r;
}

ofac_list_t *
ofac_list_load(const char *dir, sbuf_t *err)
{
    ofac_list_t *l = calloc(1, sizeof *l);
    if (l == NULL || (l->strings = arena_new(0)) == NULL || (l->by_num = smap_new()) == NULL) {
        oom(err);
        ofac_list_destroy(&l);
        return NULL;
    }
    if (read_one(l, dir, "sdn.csv", OFAC_SDN, sdn_row, err) < 0 ||
        read_one(l, dir, "alt.csv", OFAC_ALT, alt_row, err) < 0)
        ofac_list_destroy(&l);
    return l;
}

void
ofac_list_destroy(ofac_list_t **p)
{
    if (p == NULL || *p == NULL)
        return;
    ofac_list_t *l = *p;
    for (size_t i = 0; i < l->n; i++)
        free(l->ents[i].aliases);
    free(l->ents);
    free(l->alias_cap);
    smap_destroy(&l->by_num);
    arena_destroy(&l->strings);
    free(l);
    *p = NULL;
}

const ofac_ent_t *
ofac_list_ents(const ofac_list_t *l, size_t *n)
{
    *n = l->n;
    return l->ents;
}
