/* SPDX-License-Identifier: Apache-2.0 */
/* ureport.c -- vet-update's report, kept as plain records and printed
 * once at the end, as text or JSON. */
#include "ureport.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "sbuf.h"
#include "vec.h"

#define TEXT_MAX_CHANGES 50 /* per list in the text report; JSON has all */

static const char *const status_names[] = {
#define UREPORT_NAME(e, s) s,
    UREPORT_STATUSES(UREPORT_NAME)
#undef UREPORT_NAME
};

typedef struct change {
    regdiff_kind_t kind;
    const char *id, *name; /* arena */
    const char **fields;   /* arena, n_fields */
    size_t n_fields;
} change_t;

typedef struct file_rec {
    const char *name, *url; /* arena */
    long http;
    long long bytes;
} file_rec_t;

struct ureport_list {
    ureport_t *r;         /* the report (for its arena) */
    const char *id;       /* arena */
    const char *registry; /* arena */
    ureport_status_t status;
    const char *why; /* arena, or NULL */
    bool counted;    /* before/after known */
    size_t before, after;
    change_t *changes; /* malloc'd */
    size_t n_changes, cap_changes;
    size_t n_added, n_removed, n_changed;
    file_rec_t *files; /* malloc'd */
    size_t n_files, cap_files;
    const char **notes; /* malloc'd, strings in the arena */
    size_t n_notes, cap_notes;
};

typedef struct step {
    const char *name, *msg; /* arena */
    bool ok;
} step_t;

typedef struct fact {
    const char *key, *value; /* arena */
} fact_t;

struct ureport {
    arena_t *arena;
    const char *root;
    bool dry_run;
    bool oom;               /* something could not be recorded */
    ureport_list_t **lists; /* malloc'd; each malloc'd */
    size_t n_lists, cap_lists;
    step_t *steps;
    size_t n_steps, cap_steps;
    fact_t *facts;
    size_t n_facts, cap_facts;
    const char *result;
    int code;
};

static const char *
keep(ureport_t *r, const char *s)
{
    if (s == NULL)
        return NULL;
    char *p = arena_strdup(r->arena, s);
    if (p == NULL)
        r->oom = true;
    return p;
}

static const char *
keepv(ureport_t *r, const char *fmt, va_list ap)
{
    sbuf_t b = SBUF_INIT;
    sbuf_vprintf(&b, fmt, ap);
    const char *p = b.oom ? NULL : keep(r, b.data != NULL ? b.data : "");
    if (b.oom)
        r->oom = true;
    sbuf_free(&b);
    return p;
}

ureport_t *
ureport_new(const char *root, bool dry_run)
{
    ureport_t *r = calloc(1, sizeof *r);
    if (r == NULL || (r->arena = arena_new(0)) == NULL) {
        free(r);
        return NULL;
    }
    r->root = keep(r, root);
    r->dry_run = dry_run;
    r->result = "";
    return r;
}

void
ureport_destroy(ureport_t **rp)
{
    if (rp == NULL || *rp == NULL)
        return;
    ureport_t *r = *rp;
    for (size_t i = 0; i < r->n_lists; i++) {
        free(r->lists[i]->changes);
        free(r->lists[i]->files);
        free(r->lists[i]->notes);
        free(r->lists[i]);
    }
    free(r->lists);
    free(r->steps);
    free(r->facts);
    arena_destroy(&r->arena);
    free(r);
    *rp = NULL;
}

ureport_list_t *
ureport_list(ureport_t *r, const char *id, const char *registry)
{
    ureport_list_t *l = calloc(1, sizeof *l);
    if (l == NULL || vec_grow(&r->lists, &r->cap_lists, r->n_lists + 1, sizeof *r->lists, 8) != 0) {
        free(l);
        r->oom = true;
        return NULL;
    }
    l->r = r;
    l->id = keep(r, id);
    l->registry = keep(r, registry);
    l->status = UREPORT_UNCHANGED;
    r->lists[r->n_lists++] = l;
    return l;
}

void
ureport_list_status(ureport_list_t *l, ureport_status_t st, const char *fmt, ...)
{
    if (l == NULL)
        return;
    l->status = st;
    l->why = NULL;
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        l->why = keepv(l->r, fmt, ap);
        va_end(ap);
    }
}

ureport_status_t
ureport_list_get_status(const ureport_list_t *l)
{
    return l != NULL ? l->status : UREPORT_FAILED;
}

void
ureport_list_file(ureport_list_t *l, const char *name, const char *url, long http, long long bytes)
{
    if (l == NULL)
        return;
    if (vec_grow(&l->files, &l->cap_files, l->n_files + 1, sizeof *l->files, 4) != 0) {
        l->r->oom = true;
        return;
    }
    l->files[l->n_files++] = (file_rec_t){keep(l->r, name), keep(l->r, url), http, bytes};
}

void
ureport_list_counts(ureport_list_t *l, size_t before, size_t after)
{
    if (l == NULL)
        return;
    l->counted = true;
    l->before = before;
    l->after = after;
}

void
ureport_list_change(ureport_list_t *l, regdiff_kind_t kind, const char *id, const char *name,
                    const char *const *fields, size_t n_fields)
{
    if (l == NULL)
        return;
    ureport_t *r = l->r;
    if (vec_grow(&l->changes, &l->cap_changes, l->n_changes + 1, sizeof *l->changes, 64) != 0) {
        r->oom = true;
        return;
    }
    change_t c = {kind, keep(r, id), keep(r, name), NULL, n_fields};
    if (n_fields > 0 && (c.fields = arena_calloc(r->arena, n_fields, sizeof *c.fields)) == NULL) {
        r->oom = true;
        return;
    }
    for (size_t i = 0; i < n_fields; i++)
        c.fields[i] = keep(r, fields[i]);
    l->changes[l->n_changes++] = c;
    if (kind == REGDIFF_ADDED)
        l->n_added++;
    else if (kind == REGDIFF_REMOVED)
        l->n_removed++;
    else
        l->n_changed++;
}

void
ureport_list_note(ureport_list_t *l, const char *fmt, ...)
{
    if (l == NULL)
        return;
    if (vec_grow(&l->notes, &l->cap_notes, l->n_notes + 1, sizeof *l->notes, 4) != 0) {
        l->r->oom = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    const char *s = keepv(l->r, fmt, ap);
    va_end(ap);
    if (s != NULL)
        l->notes[l->n_notes++] = s;
}

void
ureport_step(ureport_t *r, const char *step, bool ok, const char *fmt, ...)
{
    if (vec_grow(&r->steps, &r->cap_steps, r->n_steps + 1, sizeof *r->steps, 8) != 0) {
        r->oom = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    const char *msg = keepv(r, fmt, ap);
    va_end(ap);
    r->steps[r->n_steps++] = (step_t){keep(r, step), msg != NULL ? msg : "", ok};
}

void
ureport_set(ureport_t *r, const char *key, const char *value)
{
    for (size_t i = 0; i < r->n_facts; i++)
        if (strcmp(r->facts[i].key, key) == 0) {
            r->facts[i].value = keep(r, value);
            return;
        }
    if (vec_grow(&r->facts, &r->cap_facts, r->n_facts + 1, sizeof *r->facts, 8) != 0) {
        r->oom = true;
        return;
    }
    r->facts[r->n_facts++] = (fact_t){keep(r, key), keep(r, value)};
}

void
ureport_result(ureport_t *r, const char *result, int code)
{
    r->result = keep(r, result);
    r->code = code;
}

/* ---- text ------------------------------------------------------------ */

static void
text_size(sbuf_t *b, long long n)
{
    if (n < 10000)
        sbuf_printf(b, "%lld B", n);
    else if (n < 10000000)
        sbuf_printf(b, "%.1f kB", (double)n / 1000.0);
    else
        sbuf_printf(b, "%.1f MB", (double)n / 1e6);
}

static void
text_list(sbuf_t *b, const ureport_list_t *l)
{
    sbuf_printf(b, "%-10s %-9s", l->id ? l->id : "?", status_names[l->status]);
    if (l->counted)
        sbuf_printf(b, " %s: %zu -> %zu organisations (+%zu -%zu ~%zu)",
                    l->registry ? l->registry : "", l->before, l->after, l->n_added, l->n_removed,
                    l->n_changed);
    if (l->why != NULL)
        sbuf_printf(b, "%s%s", l->counted ? "; " : " ", l->why);
    sbuf_putc(b, '\n');
    if (l->n_files > 0) {
        sbuf_puts(b, "  files   ");
        for (size_t i = 0; i < l->n_files; i++) {
            const file_rec_t *f = &l->files[i];
            sbuf_printf(b, "%s%s ", i ? ", " : "", f->name ? f->name : "?");
            if (f->http == 0)
                sbuf_puts(b, "no answer");
            else if (f->http == 304)
                sbuf_puts(b, "304 not modified");
            else {
                sbuf_printf(b, "%ld (", f->http);
                text_size(b, f->bytes);
                sbuf_putc(b, ')');
            }
        }
        sbuf_putc(b, '\n');
    }
    for (size_t i = 0; i < l->n_notes; i++)
        sbuf_printf(b, "  note    %s\n", l->notes[i]);
    for (size_t i = 0; i < l->n_changes && i < TEXT_MAX_CHANGES; i++) {
        const change_t *c = &l->changes[i];
        char mark = c->kind == REGDIFF_ADDED ? '+' : c->kind == REGDIFF_REMOVED ? '-' : '~';
        sbuf_printf(b, "  %c %s  %s", mark, c->id ? c->id : "?", c->name ? c->name : "");
        for (size_t k = 0; k < c->n_fields; k++)
            sbuf_printf(b, "%s%s", k ? ", " : "  (", c->fields[k] ? c->fields[k] : "?");
        sbuf_puts(b, c->n_fields ? ")\n" : "\n");
    }
    if (l->n_changes > TEXT_MAX_CHANGES)
        sbuf_printf(b, "  ... and %zu more (--json lists every one)\n",
                    l->n_changes - TEXT_MAX_CHANGES);
}

static void
text(const ureport_t *r, sbuf_t *b)
{
    for (size_t i = 0; i < r->n_facts; i++)
        sbuf_printf(b, "%-10s %s\n", r->facts[i].key, r->facts[i].value ? r->facts[i].value : "");
    for (size_t i = 0; i < r->n_lists; i++)
        text_list(b, r->lists[i]);
    for (size_t i = 0; i < r->n_steps; i++)
        sbuf_printf(b, "%-10s %s%s\n", r->steps[i].name,
                    r->steps[i].ok ? "" : "FAILED: ", r->steps[i].msg);
    sbuf_printf(b, "%-10s %s%s (exit %d)\n", "result", r->result, r->dry_run ? " (dry run)" : "",
                r->code);
}

/* ---- JSON ------------------------------------------------------------ */

static void
json_list(sbuf_t *b, const ureport_list_t *l)
{
    sbuf_puts(b, "{\"id\":");
    sbuf_json_cstr(b, l->id);
    sbuf_puts(b, ",\"registry\":");
    sbuf_json_cstr(b, l->registry);
    sbuf_puts(b, ",\"status\":");
    sbuf_json_cstr(b, status_names[l->status]);
    sbuf_puts(b, ",\"message\":");
    sbuf_json_cstr(b, l->why);
    if (l->counted)
        sbuf_printf(b, ",\"before\":%zu,\"after\":%zu", l->before, l->after);
    else
        sbuf_puts(b, ",\"before\":null,\"after\":null");
    sbuf_printf(b, ",\"added\":%zu,\"removed\":%zu,\"changed\":%zu", l->n_added, l->n_removed,
                l->n_changed);
    sbuf_puts(b, ",\"files\":[");
    for (size_t i = 0; i < l->n_files; i++) {
        sbuf_puts(b, i ? ",{\"name\":" : "{\"name\":");
        sbuf_json_cstr(b, l->files[i].name);
        sbuf_puts(b, ",\"url\":");
        sbuf_json_cstr(b, l->files[i].url);
        sbuf_printf(b, ",\"http\":%ld,\"bytes\":%lld}", l->files[i].http, l->files[i].bytes);
    }
    sbuf_puts(b, "],\"notes\":[");
    for (size_t i = 0; i < l->n_notes; i++) {
        if (i)
            sbuf_putc(b, ',');
        sbuf_json_cstr(b, l->notes[i]);
    }
    sbuf_puts(b, "],\"changes\":[");
    for (size_t i = 0; i < l->n_changes; i++) {
        const change_t *c = &l->changes[i];
        sbuf_puts(b, i ? ",{\"change\":" : "{\"change\":");
        sbuf_json_cstr(b, c->kind == REGDIFF_ADDED     ? "added"
                          : c->kind == REGDIFF_REMOVED ? "removed"
                                                       : "changed");
        sbuf_puts(b, ",\"id\":");
        sbuf_json_cstr(b, c->id);
        sbuf_puts(b, ",\"name\":");
        sbuf_json_cstr(b, c->name);
        sbuf_puts(b, ",\"fields\":[");
        for (size_t k = 0; k < c->n_fields; k++) {
            if (k)
                sbuf_putc(b, ',');
            sbuf_json_cstr(b, c->fields[k]);
        }
        sbuf_puts(b, "]}");
    }
    sbuf_puts(b, "]}");
}

static void
json(const ureport_t *r, sbuf_t *b)
{
    sbuf_puts(b, "{\"result\":");
    sbuf_json_cstr(b, r->result);
    sbuf_printf(b, ",\"exit\":%d,\"dry_run\":%s,\"root\":", r->code, r->dry_run ? "true" : "false");
    sbuf_json_cstr(b, r->root);
    for (size_t i = 0; i < r->n_facts; i++) {
        sbuf_putc(b, ',');
        sbuf_json_cstr(b, r->facts[i].key);
        sbuf_putc(b, ':');
        sbuf_json_cstr(b, r->facts[i].value);
    }
    sbuf_puts(b, ",\"lists\":[");
    for (size_t i = 0; i < r->n_lists; i++) {
        if (i)
            sbuf_putc(b, ',');
        json_list(b, r->lists[i]);
    }
    sbuf_puts(b, "],\"steps\":[");
    for (size_t i = 0; i < r->n_steps; i++) {
        sbuf_puts(b, i ? ",{\"step\":" : "{\"step\":");
        sbuf_json_cstr(b, r->steps[i].name);
        sbuf_printf(b, ",\"ok\":%s,\"message\":", r->steps[i].ok ? "true" : "false");
        sbuf_json_cstr(b, r->steps[i].msg);
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "]}\n");
}

void
ureport_print(const ureport_t *r, bool as_json, FILE *out)
{
    sbuf_t b = SBUF_INIT;
    if (as_json)
        json(r, &b);
    else
        text(r, &b);
    if (b.oom || r->oom)
        fputs(as_json ? "{\"result\":\"failed\",\"exit\":1,\"error\":\"out of memory\"}\n"
                      : "vet-update: out of memory writing the report\n",
              out);
    else
        fwrite(b.data, 1, b.len, out);
    fflush(out);
    sbuf_free(&b);
}
