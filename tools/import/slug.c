/* slug.c -- small helpers every format uses: id fragments from names (as
 * tools/nro2cfg.py makes them), file base names, the out-of-memory error. */
#include <string.h>

#include "import.h"

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
    /* Over-long slugs are cut to max and then back to the last '-', the
     * rule of nro2cfg.py, so both tools give the same ids. */
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
