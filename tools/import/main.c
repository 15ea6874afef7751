/* main.c -- vet-import: converts published screening lists into a vetd registry file. */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "import.h"
#include "vec.h"

static const imp_format_t *const formats[] = {
    &imp_ofac_sdn, &imp_nro_tsv, &imp_ca_nro, &imp_csl, &imp_un_xml, &imp_ftm, &imp_ca_sema,
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: vet-import --format FORMAT [--list-id ID] [--risk LEVEL] [--all] "
               "[--select IDS] FILE... > registry.cfg\nformats:\n");
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        fprintf(f, "  %-9s %s\n", formats[i]->name, formats[i]->files);
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
static int
apply_selection(regw_t *w, const char *path)
{
    size_t len;
    char *text = imp_read_file(path, &len);
    if (text == NULL) {
        fprintf(stderr, "vet-import: %s: %s\n", path, strerror(errno));
        return EX_NOINPUT;
    }
    int rc = EX_OK;
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
            fprintf(stderr, "%s:%d: expected one organisation id per line\n", path, line);
            rc = EX_DATAERR;
            goto out;
        }
        p[idlen] = '\0';
        for (size_t i = 0; i < n; i++)
            if (strcmp(ids[i], p) == 0) {
                fprintf(stderr, "%s:%d: \"%s\" is already selected on line %d\n", path, line, p,
                        lines[i]);
                rc = EX_DATAERR;
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
        fprintf(stderr, "%s:%d: no organisation \"%s\" in the input (delisted, or renumbered?)\n",
                path, lines[missing], ids[missing]);
        rc = EX_DATAERR;
    }
    goto out;
oom:
    fprintf(stderr, "vet-import: out of memory\n");
    rc = EX_SOFTWARE;
out:
    free(ids);
    free(lines);
    /* The header borrows the file's base name from path, not from text. */
    free(text);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"list-id", required_argument, NULL, 'l'},
                                             {"risk", required_argument, NULL, 'r'},
                                             {"all", no_argument, NULL, 'a'},
                                             {"select", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *fmt_name = NULL, *select_path = NULL;
    imp_opts_t opts = {NULL, NULL, false};
    int c;
    while ((c = getopt_long(argc, argv, "f:l:r:as:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt_name = optarg; break;
        case 'l': opts.list_id = optarg; break;
        case 'r': opts.risk = optarg; break;
        case 'a': opts.all = true; break;
        case 's': select_path = optarg; break;
        case 'h': usage(stdout); return EX_OK;
        default: usage(stderr); return EX_USAGE;
        }
    }
    if (fmt_name == NULL) {
        fprintf(stderr, "vet-import: --format is required\n");
        usage(stderr);
        return EX_USAGE;
    }
    const imp_format_t *fmt = NULL;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i]->name, fmt_name) == 0)
            fmt = formats[i];
    if (fmt == NULL) {
        fprintf(stderr, "vet-import: unknown format \"%s\"\n", fmt_name);
        usage(stderr);
        return EX_USAGE;
    }
    size_t n_files = (size_t)(argc - optind);
    if (n_files < fmt->min_files || n_files > fmt->max_files) {
        fprintf(stderr, "vet-import: --format %s takes %s\n", fmt->name, fmt->files);
        return EX_USAGE;
    }
    if (opts.list_id != NULL && !fmt->takes_list_id) {
        fprintf(stderr,
                "vet-import: --format %s takes its list ids from the data; "
                "--list-id does not apply\n",
                fmt->name);
        return EX_USAGE;
    }
    if (opts.list_id != NULL &&
        (opts.list_id[0] == '\0' ||
         strspn(opts.list_id, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(opts.list_id))) {
        fprintf(stderr, "vet-import: --list-id must be lower-case letters, digits, "
                        "'_', '-' or '.'\n");
        return EX_USAGE;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "vet-import: libsodium failed to initialise\n");
        return EX_SOFTWARE;
    }

    int rc = EX_OK;
    imp_file_t *files = calloc(n_files, sizeof *files);
    regw_t *w = regw_new();
    sbuf_t err = SBUF_INIT, out = SBUF_INIT;
    if (files == NULL || w == NULL) {
        fprintf(stderr, "vet-import: out of memory\n");
        rc = EX_SOFTWARE;
        goto done;
    }
    for (size_t i = 0; i < n_files; i++) {
        files[i].path = argv[optind + (int)i];
        char *d = imp_read_file(files[i].path, &files[i].len);
        if (d == NULL) {
            fprintf(stderr, "vet-import: %s: %s\n", files[i].path, strerror(errno));
            rc = EX_NOINPUT;
            goto done;
        }
        files[i].data = d;
        int bad = bad_utf8_line(d, files[i].len);
        if (bad > 0) {
            fprintf(stderr, "%s:%d: not valid UTF-8\n", files[i].path, bad);
            rc = EX_DATAERR;
            goto done;
        }
        if (regw_add_source(w, files[i].path, d, files[i].len) < 0) {
            fprintf(stderr, "vet-import: out of memory\n");
            rc = EX_SOFTWARE;
            goto done;
        }
    }
    if (fmt->run(w, &opts, files, n_files, &err) < 0) {
        fprintf(stderr, "%s\n", err.data ? err.data : "vet-import: failed");
        rc = EX_DATAERR;
        goto done;
    }
    if (select_path != NULL && (rc = apply_selection(w, select_path)) != EX_OK)
        goto done;
    char title[160];
    snprintf(title, sizeof title, "vetd registry imported with vet-import --format %s", fmt->name);
    regw_render(w, title, &out);
    if (out.oom || err.oom) {
        fprintf(stderr, "vet-import: out of memory\n");
        rc = EX_SOFTWARE;
        goto done;
    }
    /* Everything is built: only now does stdout see a byte. */
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        fprintf(stderr, "vet-import: writing the output: %s\n", strerror(errno));
        rc = EX_IOERR;
        goto done;
    }
    sbuf_clear(&err);
    regw_summary(w, &err);
    fputs(err.data ? err.data : "", stderr);

done:
    if (files != NULL)
        for (size_t i = 0; i < n_files; i++)
            free((char *)files[i].data);
    free(files);
    regw_destroy(&w);
    sbuf_free(&err);
    sbuf_free(&out);
    return rc;
}
