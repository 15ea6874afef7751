/* SPDX-License-Identifier: Apache-2.0 */
/* main.c -- the vetd program: flags, config, signals and modes. Ruleset
 * modes (--check, --test, --screen) run the engine once and exit; with
 * none of them, vetd is the daemon (server.c). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "cfgread.h"
#include "diag.h"
#include "exitcode.h"
#include "load_merge.h"
#include "proto.h"
#include "rtest.h"
#include "ruleset.h"
#include "runner.h"
#include "sbuf.h"
#include "dconf.h"
#include "keys.h"
#include "broker.h"
#include "pidfile.h"
#include "privdrop.h"
#include "screen.h"
#include "server.h"
#include "vet_engine.h"
#include "vlog.h"

#ifndef VETD_RULES_DIR
#define VETD_RULES_DIR "/usr/local/share/vetd/rules" /* make install puts it here */
#endif

/* The broker pings its workers this often: one silent for 3 intervals
 * is dealt nothing more (a client's 3 s deadline covers one such loss). */
#define BROKER_HEARTBEAT_MS 1000

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
            "       vetd --test   [-r DIR] [--coverage]  run the ruleset's own test cases;\n"
            "                                      --coverage: what they never fire or match\n"
            "       vetd --screen [-r DIR]         screen one JSON request from stdin\n"
            "       vetd --version [-r DIR]        the version, and the ruleset's sources\n"
            "                                      and their terms of use\n"
            "       vetd --help\n"
            "  -r DIR   ruleset directory (default: ./rules if present, else " VETD_RULES_DIR ")\n"
            "  -v       with --check: print the compiled rules and the merged entries\n"
            "daemon options (flags override the -c file; docs/DAEMON.md):\n"
            "  -c FILE             daemon configuration (libconfig); at most one\n"
            "  -e ENDPOINT         bind here (tcp://HOST:PORT or ipc://PATH; repeatable;\n"
            "                      default tcp://127.0.0.1:7470)\n"
            "  -w N                worker threads (default: one per core)\n"
            "  --profile ID        profile of a screen naming none (default: the ruleset's)\n"
            "  -a FILE             audit log, JSON lines (default vetd-audit.jsonl; - for none)\n"
            "  --reviews FILE      the review register vetd owns (default vetd-reviews.cfg;\n"
            "                      - for none); --check lists its expired entries\n"
            "  --audit-fsync P     always | interval | never (default interval)\n"
            "  --log-level L       error | warning | info | debug (default info)\n"
            "  --syslog            log through syslog instead of stderr\n"
            "  --allow-no-rules    start even if the ruleset does not load\n"
            "  --print-config      print the settings in effect and exit\n"
            "who may ask (docs/SECURITY.md):\n"
            "       vetd keygen PATH [NAME]        write a CURVE key pair: PATH (public),\n"
            "                                      PATH_secret (secret, mode 0600)\n"
            "  --curve-secret FILE the server's secret certificate: CURVE on\n"
            "  --curve-clients DIR public certificates of clients allowed to screen\n"
            "  --curve-admins DIR  public certificates of clients allowed admin ops too\n"
            "  --allow-insecure    bind a non-loopback TCP address without CURVE\n"
            "  --user NAME         run as NAME once the sockets and audit log are open\n"
            "  --allow-root        stay root (without --user)\n"
            "  --pidfile FILE      write the pid to FILE once bound, remove it at exit;\n"
            "                      refuse to start while FILE names a running vetd\n"
            "several machines (docs/DEPLOY.md):\n"
            "       vetd --broker [-e ENDPOINT]... -b ENDPOINT   deal clients' requests (-e)\n"
            "                                      to the workers connected at -b\n"
            "  --connect ENDPOINT  be a worker of the broker whose -b is ENDPOINT too\n");
}

static ruleset_t *
load_or_report(const char *dir)
{
    diag_t *d = diag_new(0);
    if (d == NULL) {
        fprintf(stderr, "vetd: out of memory\n");
        return NULL;
    }
    ruleset_t *rs = ruleset_load_par(dir, d, runner_run, NULL, runner_threads());
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

/* Reads the review register (unless "-") into rs and prints what it
 * holds: counts, then every entry not in force and why (expired,
 * withdrawn, inert). Returns false if it does not load. */
static bool
check_reviews(ruleset_t *rs, const char *path)
{
    if (strcmp(path, "-") == 0)
        return true;
    diag_t *d = diag_new(0);
    if (d == NULL || ruleset_load_reviews(rs, path, d) != 0) {
        if (d != NULL)
            diag_print(d, stderr);
        fprintf(stderr, "vetd: %s: the review register does not load\n", path);
        diag_destroy(&d);
        return false;
    }
    diag_destroy(&d);
    time_t now = time(NULL);
    size_t n[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < rs->n_reviews; i++)
        n[ruleset_review_state(&rs->reviews[i], now)]++;
    printf("reviews: %zu in %s (%zu active, %zu expired, %zu withdrawn, %zu inert)\n",
           rs->n_reviews, path, n[RS_REVIEW_ACTIVE], n[RS_REVIEW_EXPIRED], n[RS_REVIEW_WITHDRAWN],
           n[RS_REVIEW_INERT]);
    for (size_t i = 0; i < rs->n_reviews; i++) {
        const rs_review_t *r = &rs->reviews[i];
        rs_review_state_t st = ruleset_review_state(r, now);
        if (st == RS_REVIEW_ACTIVE)
            continue;
        printf("review %s (%s:%d): %s", r->id, path, r->line, ruleset_review_state_name(st));
        if (st == RS_REVIEW_EXPIRED)
            printf(" on %s", r->expires);
        else if (st == RS_REVIEW_WITHDRAWN)
            printf(" on %s by %s: %s", r->expired_on, r->expired_by, r->expired_why);
        else
            printf(": %s", r->inert);
        printf(" (%s %s%s%s%s%s%s)\n", ruleset_review_kind_name(r->kind), r->entity_id,
               r->name ? ", name \"" : "", r->name ? r->name : "", r->name ? "\"" : "",
               r->rule ? ", rule " : "", r->rule ? r->rule : "");
    }
    return true;
}

static int
do_check(const char *dir, const char *profile, const char *reviews, bool verbose)
{
    ruleset_t *rs = load_or_report(dir);
    if (rs == NULL)
        return VET_EXIT_FAIL;
    if (!check_reviews(rs, reviews)) {
        ruleset_destroy(&rs);
        return VET_EXIT_FAIL;
    }
    printf("ok: %zu files, %zu categories, %zu organisations, %zu rules "
           "(version %s, digest %.16s, content %.16s, %.1f MiB)\n",
           rs->n_files, tax_count(rs->tax), rs->n_ents, rs->n_rules, rs->version, rs->digest,
           rs->content, (double)ruleset_memory(rs) / (1024.0 * 1024.0));
    if (!print_profiles(rs, profile)) {
        ruleset_destroy(&rs);
        return VET_EXIT_FAIL;
    }
    sbuf_t warn = SBUF_INIT; /* rules that can never fire (cover.h) */
    if (cover_never_fire(rs, &warn) > 0 && !warn.oom)
        fputs(warn.data, stdout);
    if (warn.oom) {
        fprintf(stderr, "vetd: out of memory\n");
        sbuf_free(&warn);
        ruleset_destroy(&rs);
        return EX_SOFTWARE;
    }
    sbuf_free(&warn);
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

/* vetd --version: the version line, then where the data of the ruleset
 * in dir comes from: each list's name, publisher, address, edition and
 * terms of use (docs/RULES.md, "Lists"). A ruleset that does not load is
 * reported on stderr and changes nothing else: the version was asked. */
static int
do_version(const char *dir)
{
    printf("vetd %s\n", VETD_VERSION);
    fflush(stdout);
    diag_t *d = diag_new(0);
    ruleset_t *rs = d != NULL ? ruleset_load_par(dir, d, runner_run, NULL, runner_threads()) : NULL;
    if (rs == NULL) {
        fprintf(stderr, "vetd: %s: ruleset not loaded, its sources unknown (vetd --check -r %s)\n",
                dir, dir);
        diag_destroy(&d);
        return EX_OK;
    }
    diag_destroy(&d);
    printf("ruleset %s (%s), %zu lists; their sources and terms of use:\n", rs->version, dir,
           rs->lists.n);
    for (size_t i = 0; i < rs->lists.n; i++) {
        const rs_list_t *l = &rs->list_info[i];
        printf("  %s: %s%s%s\n", l->id, l->name, l->authority ? ", " : "",
               l->authority ? l->authority : "");
        if (l->url != NULL)
            printf("    url: %s\n", l->url);
        printf("    as_of: %s\n", l->as_of ? l->as_of : "(not recorded)");
        printf("    terms: %s\n", l->terms ? l->terms : "(not recorded)");
    }
    ruleset_destroy(&rs);
    return EX_OK;
}

static int
do_test(const char *dir, bool coverage)
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
    cover_t *cover = coverage ? cover_new(rs) : NULL;
    if (coverage && cover == NULL) {
        fprintf(stderr, "vetd: out of memory\n");
        diag_destroy(&d);
        ruleset_destroy(&rs);
        return EX_SOFTWARE;
    }
    int rc = rtest_run_cover(rs, dir, stdout, d, &sum, cover);
    diag_print(d, stdout);
    if (cover != NULL) {
        sbuf_t b = SBUF_INIT;
        cover_report(cover, &b);
        if (b.oom) {
            fprintf(stderr, "vetd: coverage: out of memory\n");
            rc = -1;
        } else {
            fputs(b.data, stdout);
        }
        sbuf_free(&b);
        cover_destroy(&cover);
    }
    printf("%u passed, %u failed\n", sum.passed, sum.failed);
    diag_destroy(&d);
    ruleset_destroy(&rs);
    return rc == 0 ? EX_OK : VET_EXIT_FAIL;
}

static int
do_screen(const char *dir, const char *profile, const char *reviews)
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
    if (strcmp(reviews, "-") != 0 && vet_engine_load_reviews(e, reviews, &errs) != 0) {
        fprintf(stderr, "%svetd: %s: the review register does not load\n", errs ? errs : "",
                reviews);
        free(errs);
        vet_engine_destroy(&e);
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
    case SERVER_ERR_CURVE: return EX_CONFIG;
    case SERVER_ERR_INTERNAL: return EX_SOFTWARE;
    }
    return EX_SOFTWARE;
}

/* The daemon's and the broker's signals: on_signal sets a flag. */
static void
signals_install(void)
{
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
}

/* vetd --broker: clients on cfg's endpoints, workers on back (broker.h),
 * until SIGTERM or SIGINT. Exit code as the daemon's. */
static int
do_broker(const dconf_t *cfg, const char *back)
{
    if (back == NULL) {
        fprintf(stderr, "vetd: --broker needs -b ENDPOINT, where the workers connect\n");
        return EX_USAGE;
    }
    vlog_t *log = vlog_new((vlog_level_t)vlog_level_find(cfg->log_level), cfg->syslog, "vetd");
    if (log == NULL) {
        fprintf(stderr, "vetd: out of memory\n");
        return EX_SOFTWARE;
    }
    signals_install();
    char perr[512];
    int code = EX_OK;
    if (cfg->pidfile != NULL && pidfile_check(cfg->pidfile, perr, sizeof perr) != 0) {
        vlog_msg(log, VLOG_ERR, "%s", perr);
        code = EX_TEMPFAIL;
    } else if (broker_run((const char *const *)cfg->endpoints, cfg->n_endpoints, back,
                          BROKER_HEARTBEAT_MS, log, &signals_seen) != 0) {
        code = EX_OSERR;
    }
    if (cfg->pidfile != NULL && code == EX_OK &&
        pidfile_remove(cfg->pidfile, perr, sizeof perr) != 0)
        vlog_msg(log, VLOG_WARN, "%s", perr);
    vlog_destroy(&log);
    return code;
}

static int
do_daemon(dconf_t *cfg)
{
    vlog_t *log = vlog_new((vlog_level_t)vlog_level_find(cfg->log_level), cfg->syslog, "vetd");
    if (log == NULL) {
        fprintf(stderr, "vetd: out of memory\n");
        return EX_SOFTWARE;
    }
    signals_install();
    char perr[512];
    if (cfg->pidfile != NULL && pidfile_check(cfg->pidfile, perr, sizeof perr) != 0) {
        vlog_msg(log, VLOG_ERR, "%s", perr);
        vlog_destroy(&log);
        return EX_TEMPFAIL;
    }
    /* Refused before anything is bound or opened: the same check
     * privdrop_apply makes once they are. */
    if (cfg->user == NULL && !cfg->allow_root && geteuid() == 0) {
        privdrop_apply(NULL, false, log);
        vlog_destroy(&log);
        return EX_NOPERM;
    }
    server_err_t why;
    server_t *srv = server_new(cfg, log, &why);
    int code = exit_code_of(why);
    /* Bound: the pid is written now, so a reader of the file finds a
     * vetd that accepts connections. */
    if (srv != NULL && cfg->pidfile != NULL &&
        pidfile_write(cfg->pidfile, perr, sizeof perr) != 0) {
        vlog_msg(log, VLOG_ERR, "%s", perr);
        server_destroy(&srv);
        code = EX_CANTCREAT;
    }
    /* Everything root was needed for (a low port, the audit log's
     * directory, the certificates) is open now. */
    if (srv != NULL && privdrop_apply(cfg->user, cfg->allow_root, log) != 0) {
        server_destroy(&srv);
        code = EX_NOPERM;
    }
    if (srv != NULL) {
        code = server_run(srv, &signals_seen) == 0 ? EX_OK : EX_SOFTWARE;
        server_destroy(&srv);
    }
    if (cfg->pidfile != NULL && pidfile_remove(cfg->pidfile, perr, sizeof perr) != 0)
        vlog_msg(log, VLOG_WARN, "%s", perr);
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
    enum { M_NONE, M_CHECK, M_TEST, M_SCREEN, M_PRINT, M_VERSION } mode = M_NONE;
    if (argc >= 2 && strcmp(argv[1], "keygen") == 0) {
        if (argc < 3 || argc > 4) {
            fprintf(stderr, "usage: vetd keygen PATH [NAME]\n");
            return EX_USAGE;
        }
        char err[512];
        if (keys_generate(argv[2], argc == 4 ? argv[3] : NULL, err, sizeof err) != 0) {
            fprintf(stderr, "vetd: keygen: %s\n", err);
            return EX_CANTCREAT;
        }
        printf("wrote %s (public) and %s_secret (secret, mode 0600)\n", argv[2], argv[2]);
        return EX_OK;
    }
    /* A failed allocation inside libconfig fails the load instead of
     * killing vetd (cfgread.c): before anything is read. */
    if (cfgread_guard_install() != 0)
        fprintf(stderr, "vetd: cannot install the libconfig fault guard\n");
    /* In a source tree, its rules/; installed, the shared copy. */
    const char *default_dir = access("rules/policy.cfg", R_OK) == 0 ? "rules" : VETD_RULES_DIR;
    const char *dir = NULL, *cfg_file = NULL;
    bool verbose = false;
    bool coverage = false;
    enum { O_FSYNC = 256, O_LEVEL, O_SYSLOG, O_NORULES, O_PRINT, O_PROFILE, O_COVERAGE, O_REVIEWS };
    enum { O_CSECRET = O_REVIEWS + 1, O_CCLIENTS, O_CADMINS, O_INSECURE, O_USER, O_ROOT };
    enum { O_PIDFILE = O_ROOT + 1, O_BROKER, O_CONNECT };
    bool broker = false;
    const char *broker_back = NULL;
    static const struct option opts[] = {
        {"check", no_argument, NULL, 'C'},
        {"test", no_argument, NULL, 'T'},
        {"coverage", no_argument, NULL, O_COVERAGE},
        {"screen", no_argument, NULL, 'S'},
        {"rules", required_argument, NULL, 'r'},
        {"profile", required_argument, NULL, O_PROFILE},
        {"config", required_argument, NULL, 'c'},
        {"endpoint", required_argument, NULL, 'e'},
        {"workers", required_argument, NULL, 'w'},
        {"audit", required_argument, NULL, 'a'},
        {"reviews", required_argument, NULL, O_REVIEWS},
        {"audit-fsync", required_argument, NULL, O_FSYNC},
        {"log-level", required_argument, NULL, O_LEVEL},
        {"syslog", no_argument, NULL, O_SYSLOG},
        {"allow-no-rules", no_argument, NULL, O_NORULES},
        {"print-config", no_argument, NULL, O_PRINT},
        {"curve-secret", required_argument, NULL, O_CSECRET},
        {"curve-clients", required_argument, NULL, O_CCLIENTS},
        {"curve-admins", required_argument, NULL, O_CADMINS},
        {"allow-insecure", no_argument, NULL, O_INSECURE},
        {"user", required_argument, NULL, O_USER},
        {"allow-root", no_argument, NULL, O_ROOT},
        {"pidfile", required_argument, NULL, O_PIDFILE},
        {"broker", no_argument, NULL, O_BROKER},
        {"backend", required_argument, NULL, 'b'},
        {"connect", required_argument, NULL, O_CONNECT},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char shorts[] = "r:c:e:w:a:b:vh";
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
        case O_COVERAGE: coverage = true; break;
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
        case O_REVIEWS: rc = set_flag(cfg, "reviews", optarg) ? EX_USAGE : EX_OK; break;
        case O_FSYNC: rc = set_flag(cfg, "audit.fsync", optarg) ? EX_USAGE : EX_OK; break;
        case O_LEVEL: rc = set_flag(cfg, "log_level", optarg) ? EX_USAGE : EX_OK; break;
        case O_SYSLOG: cfg->syslog = true; break;
        case O_NORULES: cfg->require_rules = false; break;
        case O_CSECRET: rc = set_flag(cfg, "curve.secret", optarg) ? EX_USAGE : EX_OK; break;
        case O_CCLIENTS: rc = set_flag(cfg, "curve.clients", optarg) ? EX_USAGE : EX_OK; break;
        case O_CADMINS: rc = set_flag(cfg, "curve.admins", optarg) ? EX_USAGE : EX_OK; break;
        case O_INSECURE: cfg->allow_insecure = true; break;
        case O_USER: rc = set_flag(cfg, "user", optarg) ? EX_USAGE : EX_OK; break;
        case O_ROOT: cfg->allow_root = true; break;
        case O_PIDFILE: rc = set_flag(cfg, "pidfile", optarg) ? EX_USAGE : EX_OK; break;
        case O_BROKER: broker = true; break;
        case 'b': broker_back = optarg; break;
        case O_CONNECT: rc = set_flag(cfg, "connect", optarg) ? EX_USAGE : EX_OK; break;
        case 'v': verbose = true; break;
        case 'V': mode = M_VERSION; break;
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
    case M_CHECK: rc = do_check(cfg->rules, cfg->profile, cfg->reviews_path, verbose); break;
    case M_TEST: rc = do_test(cfg->rules, coverage); break;
    case M_SCREEN: rc = do_screen(cfg->rules, cfg->profile, cfg->reviews_path); break;
    case M_PRINT: dconf_print(cfg, stdout); break;
    case M_VERSION: rc = do_version(cfg->rules); break;
    default: rc = broker ? do_broker(cfg, broker_back) : do_daemon(cfg); break;
    }
    dconf_destroy(&cfg);
    return rc;
}
