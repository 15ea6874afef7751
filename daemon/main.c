/* main.c -- the vetd program: flags, config, signals and modes. Ruleset
 * modes (--check, --test, --screen) run the engine once and exit; with
 * none of them, vetd is the daemon (server.c). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "cfgread.h"
#include "diag.h"
#include "exitcode.h"
#include "load_merge.h"
#include "proto.h"
#include "rtest.h"
#include "ruleset.h"
#include "sbuf.h"
#include "dconf.h"
#include "screen.h"
#include "server.h"
#include "vet_engine.h"
#include "vlog.h"

#ifndef VETD_RULES_DIR
#define VETD_RULES_DIR "/usr/local/share/vetd/rules" /* make install puts it here */
#endif

#define MAX_STDIN (16u << 20) /* --screen reads at most this much */

/* The only mutable global: what the signal handlers tell the loop. */
static server_signals_t signals_seen;

static void
on_signal(int sig)
{
    switch (sig) {
    case SIGHUP: signals_seen.reload = 1; break;
    case SIGUSR1: signals_seen.reopen = 1; break;
    default: signals_seen.stop = 1; break;
    }
}

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: vetd [-c FILE] [-r DIR] [-e ENDPOINT]... [-w N] [-a FILE|-] [options]\n"
            "                                      serve screening requests over ZeroMQ\n"
            "       vetd --check  [-r DIR] [-v]    validate a ruleset\n"
            "       vetd --test   [-r DIR]         run the ruleset's own test cases\n"
            "       vetd --screen [-r DIR]         screen one JSON request from stdin\n"
            "       vetd --version | --help\n"
            "  -r DIR   ruleset directory (default: ./rules if present, else " VETD_RULES_DIR ")\n"
            "  -v       with --check: print the compiled rules and the merged entries\n"
            "daemon options (flags override the -c file; docs/DAEMON.md):\n"
            "  -c FILE             daemon configuration (libconfig); at most one\n"
            "  -e ENDPOINT         bind here (tcp://HOST:PORT or ipc://PATH; repeatable;\n"
            "                      default tcp://127.0.0.1:7470)\n"
            "  -w N                worker threads (default: one per core)\n"
            "  --profile ID        profile of a screen naming none (default: the ruleset's)\n"
            "  -a FILE             audit log, JSON lines (default vetd-audit.jsonl; - for none)\n"
            "  --audit-fsync P     always | interval | never (default interval)\n"
            "  --log-level L       error | warning | info | debug (default info)\n"
            "  --syslog            log through syslog instead of stderr\n"
            "  --allow-no-rules    start even if the ruleset does not load\n"
            "  --print-config      print the settings in effect and exit\n");
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

/* Prints each profile, its rule count and which is the default (and
 * which the daemon would use: profile, when set). Returns false if
 * profile is set and is not one of them. */
static bool
print_profiles(const ruleset_t *rs, const char *profile)
{
    for (size_t i = 0; i < rs->n_profiles; i++) {
        const rs_profile_t *p = &rs->profiles[i];
        printf("profile %s: %zu rules%s: %s\n", p->id, p->n_rules,
               (int)i == rs->default_profile ? " (default)" : "", p->label);
    }
    if (profile != NULL && vocab_find(&rs->profile_ids, profile) < 0) {
        const char *sug = vocab_suggest(&rs->profile_ids, profile);
        fprintf(stderr,
                "vetd: profile \"%s\" (--profile, vetd.cfg profile) is not a profile of %s%s%s%s\n",
                profile, rs->dir, sug ? " (did you mean \"" : "", sug ? sug : "",
                sug ? "\"?)" : "");
        return false;
    }
    return true;
}

static int
do_check(const char *dir, const char *profile, bool verbose)
{
    ruleset_t *rs = load_or_report(dir);
    if (rs == NULL)
        return VET_EXIT_FAIL;
    printf("ok: %zu files, %zu categories, %zu organisations, %zu rules "
           "(version %s, digest %.16s, content %.16s, %.1f MiB)\n",
           rs->n_files, tax_count(rs->tax), rs->n_ents, rs->n_rules, rs->version, rs->digest,
           rs->content, (double)ruleset_memory(rs) / (1024.0 * 1024.0));
    if (!print_profiles(rs, profile)) {
        ruleset_destroy(&rs);
        return VET_EXIT_FAIL;
    }
    load_merge_report(rs, stdout, verbose);
    if (verbose) {
        for (size_t i = 0; i < rs->n_rules; i++) {
            printf("rule %s (%s:%d) -> %s %d\n", rs->rules[i].id, rs->rules[i].file,
                   rs->rules[i].line, rs->verdicts.names[rs->rules[i].verdict], rs->rules[i].score);
            expr_dump(rs->rules[i].when, stdout);
        }
    }
    ruleset_destroy(&rs);
    return EX_OK;
}

static int
do_test(const char *dir)
{
    ruleset_t *rs = load_or_report(dir);
    if (rs == NULL)
        return VET_EXIT_FAIL;
    diag_t *d = diag_new(0);
    if (d == NULL) {
        fprintf(stderr, "vetd: out of memory\n");
        ruleset_destroy(&rs);
        return EX_SOFTWARE;
    }
    rtest_summary_t sum;
    int rc = rtest_run(rs, dir, stdout, d, &sum);
    diag_print(d, stdout);
    printf("%u passed, %u failed\n", sum.passed, sum.failed);
    diag_destroy(&d);
    ruleset_destroy(&rs);
    return rc == 0 ? EX_OK : VET_EXIT_FAIL;
}

static int
do_screen(const char *dir, const char *profile)
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
        return EX_SOFTWARE;
    }
    char *errs = NULL;
    vet_engine_t *e = vet_engine_load(dir, &errs);
    if (e == NULL) {
        fputs(errs ? errs : "vetd: out of memory\n", stderr);
        fprintf(stderr, "vetd: %s: ruleset not loaded\n", dir);
        free(errs);
        sbuf_free(&in);
        return VET_EXIT_FAIL;
    }
    if (profile != NULL && vet_engine_set_profile(e, profile, &errs) != 0) {
        fprintf(stderr, "vetd: --profile: %s\n", errs ? errs : "out of memory");
        free(errs);
        vet_engine_destroy(&e);
        sbuf_free(&in);
        return VET_EXIT_FAIL;
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
    return rc == 0 ? EX_OK : rc == 1 ? EX_DATAERR : EX_SOFTWARE;
}

/* The exit code of a daemon that could not start (docs/DAEMON.md). */
static int
exit_code_of(server_err_t why)
{
    switch (why) {
    case SERVER_OK: return EX_OK;
    case SERVER_ERR_RULESET: return VET_EXIT_FAIL;
    case SERVER_ERR_LISTEN: return EX_OSERR;
    case SERVER_ERR_AUDIT: return EX_OSERR;
    case SERVER_ERR_INTERNAL: return EX_SOFTWARE;
    }
    return EX_SOFTWARE;
}

static int
do_daemon(dconf_t *cfg)
{
    vlog_t *log = vlog_new((vlog_level_t)vlog_level_find(cfg->log_level), cfg->syslog, "vetd");
    if (log == NULL) {
        fprintf(stderr, "vetd: out of memory\n");
        return EX_SOFTWARE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a signal must wake zmq_poll (EINTR). */
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A file-size limit must fail the audit write (retried), not kill us. */
    signal(SIGXFSZ, SIG_IGN);
    server_err_t why;
    server_t *srv = server_new(cfg, log, &why);
    int code = exit_code_of(why);
    if (srv != NULL) {
        code = server_run(srv, &signals_seen) == 0 ? EX_OK : EX_SOFTWARE;
        server_destroy(&srv);
    }
    vlog_destroy(&log);
    return code;
}

/* Reads the -c file into cfg or, with file NULL, checks the settings as
 * the flags left them. Returns EX_OK, or EX_CONFIG after printing
 * every error as "vetd: file:line: message" (EX_SOFTWARE on OOM). */
static int
configure(dconf_t *cfg, const char *file)
{
    diag_t *d = diag_new(0);
    if (d == NULL) {
        fprintf(stderr, "vetd: out of memory\n");
        return EX_SOFTWARE;
    }
    if ((file != NULL ? dconf_load(cfg, file, d) : dconf_check(cfg, d)) == 0) {
        diag_destroy(&d);
        return EX_OK;
    }
    size_t kept = 0;
    for (; diag_get(d, kept) != NULL; kept++)
        fprintf(stderr, "vetd: %s\n", diag_get(d, kept));
    if (diag_count(d) > kept)
        fprintf(stderr, "vetd: ... and %zu more errors\n", diag_count(d) - kept);
    fprintf(stderr, "vetd: %s: configuration not loaded\n", file ? file : "file and flags");
    diag_destroy(&d);
    return EX_CONFIG;
}

/* Applies one daemon flag to cfg; on error prints it and returns -1. */
static int
set_flag(dconf_t *cfg, const char *name, const char *value)
{
    char err[256];
    if (dconf_set(cfg, name, value, err, sizeof err) != 0) {
        fprintf(stderr, "vetd: %s\n", err);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    enum { M_NONE, M_CHECK, M_TEST, M_SCREEN, M_PRINT } mode = M_NONE;
    /* A failed allocation inside libconfig fails the load instead of
     * killing vetd (cfgread.c): before anything is read. */
    if (cfgread_guard_install() != 0)
        fprintf(stderr, "vetd: cannot install the libconfig fault guard\n");
    /* In a source tree, its rules/; installed, the shared copy. */
    const char *default_dir = access("rules/policy.cfg", R_OK) == 0 ? "rules" : VETD_RULES_DIR;
    const char *dir = NULL, *cfg_file = NULL;
    bool verbose = false;
    enum { O_FSYNC = 256, O_LEVEL, O_SYSLOG, O_NORULES, O_PRINT, O_PROFILE };
    static const struct option opts[] = {
        {"check", no_argument, NULL, 'C'},
        {"test", no_argument, NULL, 'T'},
        {"screen", no_argument, NULL, 'S'},
        {"rules", required_argument, NULL, 'r'},
        {"profile", required_argument, NULL, O_PROFILE},
        {"config", required_argument, NULL, 'c'},
        {"endpoint", required_argument, NULL, 'e'},
        {"workers", required_argument, NULL, 'w'},
        {"audit", required_argument, NULL, 'a'},
        {"audit-fsync", required_argument, NULL, O_FSYNC},
        {"log-level", required_argument, NULL, O_LEVEL},
        {"syslog", no_argument, NULL, O_SYSLOG},
        {"allow-no-rules", no_argument, NULL, O_NORULES},
        {"print-config", no_argument, NULL, O_PRINT},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char shorts[] = "r:c:e:w:a:vh";
    /* Flags override the file, whatever their order: a first pass finds
     * -c in every spelling getopt accepts (-c F, -cF, --config F,
     * --config=F, --conf F), then the file is read, then the second pass
     * applies the other flags over it. A -c that was missed would leave
     * the file's masks and limits silently off. */
    int c, rc = EX_OK;
    opterr = 0; /* the second pass reports bad flags, once */
    while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
        if (c != 'c')
            continue;
        /* Two files cannot both be in effect: whichever were ignored
         * would fail open, so it is a usage error, not "last wins". */
        if (cfg_file != NULL) {
            fprintf(stderr, "vetd: -c given twice (%s and %s): one configuration file only\n",
                    cfg_file, optarg);
            return EX_USAGE;
        }
        cfg_file = optarg;
    }
    opterr = 1;
    optind = 0; /* glibc: 0 also resets getopt's inner state, 1 would not */
    dconf_t *cfg = dconf_new(default_dir);
    if (cfg == NULL) {
        fprintf(stderr, "vetd: out of memory\n");
        return EX_SOFTWARE;
    }
    if (cfg_file != NULL && (rc = configure(cfg, cfg_file)) != EX_OK) {
        dconf_destroy(&cfg);
        return rc;
    }
    bool endpoints_given = false;
    while (rc == EX_OK && (c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
        switch (c) {
        case 'C': mode = M_CHECK; break;
        case 'T': mode = M_TEST; break;
        case 'S': mode = M_SCREEN; break;
        case O_PRINT: mode = M_PRINT; break;
        case 'r': dir = optarg; break;
        case 'c': break;
        case 'e':
            if (!endpoints_given)
                dconf_clear_list(cfg, "endpoints");
            endpoints_given = true;
            rc = set_flag(cfg, "endpoints", optarg) ? EX_USAGE : EX_OK;
            break;
        case 'w': rc = set_flag(cfg, "workers", optarg) ? EX_USAGE : EX_OK; break;
        case O_PROFILE: rc = set_flag(cfg, "profile", optarg) ? EX_USAGE : EX_OK; break;
        case 'a': rc = set_flag(cfg, "audit.path", optarg) ? EX_USAGE : EX_OK; break;
        case O_FSYNC: rc = set_flag(cfg, "audit.fsync", optarg) ? EX_USAGE : EX_OK; break;
        case O_LEVEL: rc = set_flag(cfg, "log_level", optarg) ? EX_USAGE : EX_OK; break;
        case O_SYSLOG: cfg->syslog = true; break;
        case O_NORULES: cfg->require_rules = false; break;
        case 'v': verbose = true; break;
        case 'V':
            printf("vetd %s\n", VETD_VERSION);
            dconf_destroy(&cfg);
            return EX_OK;
        case 'h':
            usage(stdout);
            dconf_destroy(&cfg);
            return EX_OK;
        default:
            usage(stderr);
            rc = EX_USAGE;
            break;
        }
    }
    if (rc == EX_OK && optind != argc) {
        fprintf(stderr, "vetd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        rc = EX_USAGE;
    }
    if (rc == EX_OK && dir != NULL)
        rc = set_flag(cfg, "rules", dir) ? EX_USAGE : EX_OK;
    /* Each flag was checked alone; what depends on several settings is
     * checked once all of them are in. */
    if (rc == EX_OK)
        rc = configure(cfg, NULL);
    if (rc != EX_OK) {
        dconf_destroy(&cfg);
        return rc;
    }
    switch (mode) {
    case M_CHECK: rc = do_check(cfg->rules, cfg->profile, verbose); break;
    case M_TEST: rc = do_test(cfg->rules); break;
    case M_SCREEN: rc = do_screen(cfg->rules, cfg->profile); break;
    case M_PRINT: dconf_print(cfg, stdout); break;
    default: rc = do_daemon(cfg); break;
    }
    dconf_destroy(&cfg);
    return rc;
}
