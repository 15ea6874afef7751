/* SPDX-License-Identifier: Apache-2.0 */
/* main.c -- vet-import: converts published screening lists into a vetd registry file. */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "dates.h"
#include "import.h"
#include "imprun.h"
#include "vec.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: vet-import --format FORMAT [--list-id ID] [--risk LEVEL] [--all] "
               "[--select IDS] [--as-of YYYY-MM-DD] [--max-age-days N] FILE... > registry.cfg\n"
               "  organisations and individuals are written; --all: vessels and aircraft too\n"
               "  --as-of: the lists' edition (the UN list gives its own), --max-age-days: how\n"
               "  old it may get before vetd calls it stale\n"
               "formats:\n");
    size_t n;
    const imp_format_t *const *formats = imprun_formats(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-9s %s\n", formats[i]->name, formats[i]->files);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"list-id", required_argument, NULL, 'l'},
                                             {"risk", required_argument, NULL, 'r'},
                                             {"all", no_argument, NULL, 'a'},
                                             {"select", required_argument, NULL, 's'},
                                             {"as-of", required_argument, NULL, 'D'},
                                             {"max-age-days", required_argument, NULL, 'M'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *fmt_name = NULL, *select_path = NULL;
    imp_opts_t opts = {NULL, NULL, false, NULL, 0, NULL};
    int c;
    while ((c = getopt_long(argc, argv, "f:l:r:as:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt_name = optarg; break;
        case 'l': opts.list_id = optarg; break;
        case 'r': opts.risk = optarg; break;
        case 'a': opts.all = true; break;
        case 's': select_path = optarg; break;
        case 'D': opts.as_of = optarg; break;
        case 'M': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > 3650) {
                fprintf(stderr, "vet-import: --max-age-days takes 1..3650 days\n");
                return EX_USAGE;
            }
            opts.max_age_days = (int)v;
            break;
        }
        case 'h': usage(stdout); return EX_OK;
        default: usage(stderr); return EX_USAGE;
        }
    }
    if (fmt_name == NULL) {
        fprintf(stderr, "vet-import: --format is required\n");
        usage(stderr);
        return EX_USAGE;
    }
    const imp_format_t *fmt = imprun_format(fmt_name);
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
    dates_t asd;
    if (opts.as_of != NULL && !(dates_parse(opts.as_of, &asd) && asd.n == 1 &&
                                strcmp(asd.v[0], opts.as_of) == 0 && strlen(opts.as_of) == 10)) {
        fprintf(stderr, "vet-import: --as-of takes a date YYYY-MM-DD, not \"%s\"\n", opts.as_of);
        return EX_USAGE;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "vet-import: libsodium failed to initialise\n");
        return EX_SOFTWARE;
    }

    sbuf_t out = SBUF_INIT, summary = SBUF_INIT, err = SBUF_INIT;
    const char **paths = (const char **)(argv + optind);
    imprun_rc_t ir = imprun_run(fmt, &opts, select_path, paths, n_files, &out, &summary, &err);
    int rc = EX_OK;
    if (ir != IMPRUN_OK) {
        rc = ir == IMPRUN_REFUSED ? EX_DATAERR : ir == IMPRUN_NOINPUT ? EX_NOINPUT : EX_SOFTWARE;
        /* "file:line: what" stands alone; the others say who speaks. */
        fprintf(stderr, "%s%s\n",
                ir == IMPRUN_REFUSED ? "" : "vet-import: ", err.data ? err.data : "failed");
    } else if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        /* Everything is built: only now does stdout see a byte. */
        fprintf(stderr, "vet-import: writing the output: %s\n", strerror(errno));
        rc = EX_IOERR;
    } else {
        fputs(summary.data ? summary.data : "", stderr);
    }
    sbuf_free(&out);
    sbuf_free(&summary);
    sbuf_free(&err);
    return rc;
}
