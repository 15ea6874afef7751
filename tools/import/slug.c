/* SPDX-License-Identifier: Apache-2.0 */
/* slug.c -- small helpers every format uses: id fragments from names,
 * file base names, the out-of-memory error, reading files and records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "import.h"
#include "vec.h"

void
imp_slug(const char *name, char *out, size_t max)
{
    char full[1024];
    size_t k = 0;
    bool dash = false;
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        /* Apostrophes (' and U+2019) and dots vanish rather than separate. */
        if (*p == '\'' || *p == '.')
            continue;
        if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x99 || p[2] == 0x98)) {
            p += 2;
            continue;
        }
        unsigned char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (k + 2 >= sizeof full)
                break;
            if (dash && k > 0)
                full[k++] = '-';
            full[k++] = (char)c;
            dash = false;
        } else {
            dash = true;
        }
    }
    full[k] = '\0';
    /* Over-long slugs are cut to max and then back to the last '-' (the
     * ids of rules/registry/ca-nro.cfg were made so). */
    if (k > max) {
        full[max] = '\0';
        char *d = strrchr(full, '-');
        if (d != NULL)
            *d = '\0';
    }
    memcpy(out, full, strlen(full) + 1);
}

const char *
imp_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int
imp_oom(sbuf_t *err)
{
    sbuf_clear(err);
    sbuf_puts(err, "vet-import: out of memory");
    return -1;
}

void
imp_id_frag(const char *id, char *out, size_t size)
{
    size_t k = 0;
    for (const char *p = id; *p != '\0' && k + 1 < size; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
            out[k++] = c;
        else if (k > 0 && out[k - 1] != '-')
            out[k++] = '-';
    }
    out[k] = '\0';
}

char *
imp_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        /* Room for at least one byte more and the NUL. */
        if (vec_grow(&buf, &cap, n + 2, 1, 1 << 16) != 0) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
                errno = EIO;
            }
            break;
        }
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

int
imp_csv_each(const imp_file_t *f, char delim, char quote, imp_record_fn fn, void *ctx, sbuf_t *err)
{
    csv_t *c = csv_new(f->data, f->len, delim, quote, 0, f->path);
    if (c == NULL)
        return imp_oom(err);
    csv_rec_t rec;
    int r;
    bool stopped = false; /* fn said no: err is fn's */
    while ((r = csv_next(c, &rec)) == 1 && rec.bad == NULL) {
        if (fn(ctx, rec.fields, rec.n_fields, rec.line, err) < 0) {
            stopped = true;
            break;
        }
    }
    /* Else a malformed record or out of memory stopped the reader. */
    if (!stopped && r != 0) {
        sbuf_clear(err);
        sbuf_puts(err, csv_error(c));
    }
    csv_destroy(&c);
    return !stopped && r == 0 ? 0 : -1;
}
