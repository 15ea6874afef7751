/* SPDX-License-Identifier: Apache-2.0 */
/* imprun.c -- one run of a vet-import format, in process (imprun.h). */
#include "imprun.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regw.h"
#include "vec.h"
#include "vocab.h"

static const imp_format_t *const formats[] = {
    &imp_ofac_sdn, &imp_nro_tsv, &imp_ca_nro, &imp_csl, &imp_un_xml, &imp_ftm, &imp_ca_sema,
};
#define N_FORMATS (sizeof formats / sizeof formats[0])

const imp_format_t *const *
imprun_formats(size_t *n)
{
    *n = N_FORMATS;
    return formats;
}

const imp_format_t *
imprun_format(const char *name)
{
    for (size_t i = 0; i < N_FORMATS; i++)
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    return NULL;
}

const char *
imprun_suggest(const char *name)
{
    const char *names[N_FORMATS];
    for (size_t i = 0; i < N_FORMATS; i++)
        names[i] = formats[i]->name;
    vocab_t v = {names, N_FORMATS};
    const char *s = vocab_suggest(&v, name);
    /* names[] is on this stack: hand back the format's own string. */
    const imp_format_t *f = s != NULL ? imprun_format(s) : NULL;
    return f != NULL ? f->name : NULL;
}

/* The line of the first byte that is not UTF-8 (or a NUL), 0 if valid. */
static int
bad_utf8_line(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    int line = 1;
    while (p < end) {
        unsigned char c = *p;
        size_t need;
        unsigned min;
        if (c == '\n')
            line++;
        if (c == 0)
            return line;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            min = 0x10000;
        } else {
            return line;
        }
        if ((size_t)(end - p) <= need)
            return line;
        unsigned cp = c & (0x3F >> need);
        for (size_t i = 1; i <= need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return line;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return line;
        p += need + 1;
    }
    return 0;
}

/* --select FILE: one organisation id per line ('#' starts a comment), as
 * the importer names them. Keeps only those; an id the input lacks is an
 * error, so a curated subset notices when its source drops a record. The
 * file's digest joins the sources in the header. Returns an exit code. */
static imprun_rc_t
apply_selection(regw_t *w, const char *path, sbuf_t *err)
{
    size_t len;
    char *text = imp_read_file(path, &len);
    if (text == NULL) {
        if (errno == ENOMEM)
            return IMPRUN_NOMEM;
        sbuf_printf(err, "%s: %s", path, strerror(errno));
        return IMPRUN_NOINPUT;
    }
    imprun_rc_t rc = IMPRUN_OK;
    size_t n = 0, cap = 0, missing = 0;
    const char **ids = NULL;
    int *lines = NULL;
    if (regw_add_source(w, path, text, len) < 0)
        goto oom;
    int line = 0;
    for (char *p = text, *next; p != NULL && *p != '\0'; p = next) {
        line++;
        next = strchr(p, '\n');
        if (next != NULL)
            *next++ = '\0';
        char *hash = strchr(p, '#');
        if (hash != NULL)
            *hash = '\0';
        p += strspn(p, " \t\r");
        size_t idlen = strcspn(p, " \t\r");
        if (idlen == 0)
            continue;
        if (p[idlen + strspn(p + idlen, " \t\r")] != '\0') {
            sbuf_printf(err, "%s:%d: expected one organisation id per line", path, line);
            rc = IMPRUN_REFUSED;
            goto out;
        }
        p[idlen] = '\0';
        for (size_t i = 0; i < n; i++)
            if (strcmp(ids[i], p) == 0) {
                sbuf_printf(err, "%s:%d: \"%s\" is already selected on line %d", path, line, p,
                            lines[i]);
                rc = IMPRUN_REFUSED;
                goto out;
            }
        /* ids and lines share one capacity (vec.h). */
        size_t ci = cap, cl = cap;
        if (vec_grow(&ids, &ci, n + 1, sizeof *ids, 64) != 0 ||
            vec_grow(&lines, &cl, n + 1, sizeof *lines, 64) != 0)
            goto oom;
        cap = ci;
        ids[n] = p;
        lines[n++] = line;
    }
    int r = regw_retain(w, ids, n, imp_basename(path), &missing);
    if (r < 0)
        goto oom;
    if (r > 0) {
        sbuf_printf(err, "%s:%d: no organisation \"%s\" in the input (delisted, or renumbered?)",
                    path, lines[missing], ids[missing]);
        rc = IMPRUN_REFUSED;
    }
    goto out;
oom:
    rc = IMPRUN_NOMEM;
out:
    free(ids);
    free(lines);
    /* The header borrows the file's base name from path, not from text. */
    free(text);
    return rc;
}

imprun_rc_t
imprun_run(const imp_format_t *fmt, const imp_opts_t *o, const char *select,
           const char *const *paths, size_t n, sbuf_t *out, sbuf_t *summary, sbuf_t *err)
{
    imprun_rc_t rc = IMPRUN_NOMEM;
    imp_file_t *files = calloc(n > 0 ? n : 1, sizeof *files);
    regw_t *w = regw_new();
    sbuf_t body = SBUF_INIT, ferr = SBUF_INIT;
    if (files == NULL || w == NULL)
        goto done;
    for (size_t i = 0; i < n; i++) {
        files[i].path = paths[i];
        char *d = imp_read_file(paths[i], &files[i].len);
        if (d == NULL) {
            if (errno == ENOMEM)
                goto done;
            sbuf_printf(err, "%s: %s", paths[i], strerror(errno));
            rc = IMPRUN_NOINPUT;
            goto done;
        }
        files[i].data = d;
        /* What is not UTF-8 is refused before any reader sees it. */
        int bad = bad_utf8_line(d, files[i].len);
        if (bad > 0) {
            sbuf_printf(err, "%s:%d: not valid UTF-8", paths[i], bad);
            rc = IMPRUN_REFUSED;
            goto done;
        }
        if (regw_add_source(w, paths[i], d, files[i].len) < 0)
            goto done;
    }
    if (fmt->run(w, o, files, n, &ferr) < 0) {
        if (ferr.oom)
            goto done;
        sbuf_puts(err, ferr.data != NULL ? ferr.data : "the import failed");
        /* The readers say "out of memory" in the message itself. */
        rc = ferr.data != NULL && strstr(ferr.data, "out of memory") != NULL ? IMPRUN_NOMEM
                                                                             : IMPRUN_REFUSED;
        goto done;
    }
    if (regw_set_edition(w, o->as_of, o->as_of_fallback, o->max_age_days) < 0)
        goto done;
    if (select != NULL && (rc = apply_selection(w, select, err)) != IMPRUN_OK)
        goto done;
    rc = IMPRUN_NOMEM;
    char title[160];
    snprintf(title, sizeof title, "vetd registry imported with vet-import --format %s", fmt->name);
    regw_render(w, title, &body);
    sbuf_clear(&ferr);
    regw_summary(w, &ferr);
    if (body.oom || ferr.oom)
        goto done;
    sbuf_append(out, body.data != NULL ? body.data : "", body.len);
    sbuf_append(summary, ferr.data != NULL ? ferr.data : "", ferr.len);
    rc = IMPRUN_OK;
done:
    if (rc == IMPRUN_NOMEM) {
        sbuf_clear(err);
        sbuf_puts(err, "out of memory");
    }
    for (size_t i = 0; files != NULL && i < n; i++)
        free((char *)files[i].data);
    free(files);
    regw_destroy(&w);
    sbuf_free(&body);
    sbuf_free(&ferr);
    return rc;
}
