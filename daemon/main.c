/* main.c -- the vetd program: flags and modes. Ruleset modes (--check,
 * --test, --screen) run the engine once and exit; the daemon mode is
 * the server (issue 3). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "diag.h"
#include "proto.h"
#include "rtest.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"
#include "vet_engine.h"

#define VETD_VERSION "0.1.0"

#ifndef VETD_RULES_DIR
#define VETD_RULES_DIR "/usr/local/share/vetd/rules"   /* make install puts it here */
#endif

/* sysexits codes used by the command line. */
enum { EX_OK_ = 0, EX_FAIL = 1, EX_USAGE_ = 64, EX_DATAERR_ = 65, EX_NOINPUT_ = 66,
       EX_SOFTWARE_ = 70 };

#define MAX_STDIN (16u << 20)   /* --screen reads at most this much */

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: vetd --check  [-r DIR] [-v]    validate a ruleset\n"
        "       vetd --test   [-r DIR]         run the ruleset's own test cases\n"
        "       vetd --screen [-r DIR]         screen one JSON request from stdin\n"
        "       vetd --version | --help\n"
        "  -r DIR   ruleset directory (default: ./rules if present, else "
        VETD_RULES_DIR ")\n"
        "  -v       with --check: print the compiled rules\n");
}

static ruleset_t *
load_or_report(const char *dir)
{
    diag_t *d = diag_new(0);
    if (d == NULL) {
        fprintf(stderr, "vetd: out of memory\n");
        return NULL;
    }
    ruleset_t *rs = ruleset_load(dir, d);
    if (rs == NULL) {
        diag_print(d, stderr);
        fprintf(stderr, "vetd: %s: %zu error%s, ruleset not loaded\n", dir, diag_count(d),
                diag_count(d) == 1 ? "" : "s");
    }
    diag_destroy(&d);
    return rs;
}

static int
do_check(const char *dir, bool verbose)
{
    ruleset_t *rs = load_or_report(dir);
    if (rs == NULL)
        return EX_FAIL;
    printf("ok: %zu files, %zu categories, %zu organisations, %zu rules "
           "(version %s, digest %.16s, %.1f MiB)\n",
           rs->n_files, tax_count(rs->tax), rs->n_ents, rs->n_rules, rs->version,
           rs->digest, (double)ruleset_memory(rs) / (1024.0 * 1024.0));
    if (verbose) {
        for (size_t i = 0; i < rs->n_rules; i++) {
            printf("rule %s (%s:%d) -> %s %d\n", rs->rules[i].id, rs->rules[i].file,
                   rs->rules[i].line, rs->verdicts.names[rs->rules[i].verdict],
                   rs->rules[i].score);
            expr_dump(rs->rules[i].when, stdout);
        }
    }
    ruleset_destroy(&rs);
    return EX_OK_;
}

static int
do_test(const char *dir)
{
    ruleset_t *rs = load_or_report(dir);
    if (rs == NULL)
        return EX_FAIL;
    diag_t *d = diag_new(0);
    rtest_summary_t sum;
    int rc = rtest_run(rs, dir, stdout, d, &sum);
    diag_print(d, stdout);
    printf("%u passed, %u failed\n", sum.passed, sum.failed);
    diag_destroy(&d);
    ruleset_destroy(&rs);
    return rc == 0 ? EX_OK_ : EX_FAIL;
}

static int
do_screen(const char *dir)
{
    sbuf_t in = SBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        sbuf_append(&in, buf, n);
        if (in.len > MAX_STDIN)
            break;
    }
    if (in.oom) {
        fprintf(stderr, "vetd: out of memory reading stdin\n");
        sbuf_free(&in);
        return EX_SOFTWARE_;
    }
    char *errs = NULL;
    vet_engine_t *e = vet_engine_load(dir, &errs);
    if (e == NULL) {
        fputs(errs ? errs : "vetd: out of memory\n", stderr);
        fprintf(stderr, "vetd: %s: ruleset not loaded\n", dir);
        free(errs);
        sbuf_free(&in);
        return EX_FAIL;
    }
    vet_worker_t *w = vet_worker_new();
    const char *reply = NULL;
    size_t rlen = 0;
    int rc = w ? vet_engine_screen(e, w, in.data ? in.data : "", in.len, &reply, &rlen) : -1;
    if (rc >= 0)
        printf("%s\n", reply);
    else
        fprintf(stderr, "vetd: out of memory\n");
    vet_worker_destroy(&w);
    vet_engine_destroy(&e);
    sbuf_free(&in);
    return rc == 0 ? EX_OK_ : rc == 1 ? EX_DATAERR_ : EX_SOFTWARE_;
}

int
main(int argc, char **argv)
{
    enum { M_NONE, M_CHECK, M_TEST, M_SCREEN } mode = M_NONE;
    /* In a source tree, its rules/; installed, the shared copy. */
    const char *dir = access("rules/policy.cfg", R_OK) == 0 ? "rules" : VETD_RULES_DIR;
    bool verbose = false;
    static const struct option opts[] = {
        { "check", no_argument, NULL, 'C' },
        { "test", no_argument, NULL, 'T' },
        { "screen", no_argument, NULL, 'S' },
        { "rules", required_argument, NULL, 'r' },
        { "verbose", no_argument, NULL, 'v' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "r:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'C': mode = M_CHECK; break;
        case 'T': mode = M_TEST; break;
        case 'S': mode = M_SCREEN; break;
        case 'r': dir = optarg; break;
        case 'v': verbose = true; break;
        case 'V': printf("vetd %s\n", VETD_VERSION); return EX_OK_;
        case 'h': usage(stdout); return EX_OK_;
        default: usage(stderr); return EX_USAGE_;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "vetd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return EX_USAGE_;
    }
    switch (mode) {
    case M_CHECK:  return do_check(dir, verbose);
    case M_TEST:   return do_test(dir);
    case M_SCREEN: return do_screen(dir);
    default:
        fprintf(stderr, "vetd: the daemon mode is not built yet; use --check, --test or --screen\n");
        usage(stderr);
        return EX_USAGE_;
    }
}
