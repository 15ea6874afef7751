/* SPDX-License-Identifier: Apache-2.0 */
/* test_failsafe.c -- a daemon that fails, fails closed: each test is one
 * way an operator's accident or an attacker can break vetd, driven
 * through a real vetd on a private ipc:// endpoint, with libvet, raw
 * ZeroMQ sockets and the vet CLI. Nothing here may turn a listed partner
 * `clear`, stall another client, or keep the daemon from stopping.
 * Needs $VETD_BIN and $VET_BIN (tests/run.sh sets them). */
#define _GNU_SOURCE /* prlimit */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "sbuf.h"
#include "testutil.h"
#include "vet.h"

#define FIXTURE "tests/fixtures/rulesets/good"
/* On the fixture's us-sdn list: prohibited for any activity. */
#define SDN_REQ                                                                                    \
    "{\"id\":\"sdn\",\"partner\":{\"name\":\"Beijing Alite Technologies Co., Ltd.\","              \
    "\"country\":\"CN\"}}"
/* On ca-nro, AI, affiliation: prohibited (STRAC). */
#define HIT_REQ                                                                                    \
    "{\"id\":\"hit\",\"partner\":{\"name\":\"Harbin Institute of Technology\","                    \
    "\"country\":\"CN\"},\"technologies\":[\"ai.ml\"],\"activity\":\"affiliation\"}"

/* On ca-nro; co-authorship: review. */
#define NUDT_REQ                                                                                   \
    "{\"partner\":{\"name\":\"National University of Defense Technology\"},"                       \
    "\"activity\":\"co_authorship\"}"

/* ---- a daemon of the test's own ------------------------------------- */

/* Makes d's directory with a copy of the fixture and a config file with
 * cfg (may be NULL), starts vetd with 2 workers, the limits d was given
 * and the extra flags (NULL-ended, or NULL); then waits for it unless
 * wait is false. */
static void
spawn(tu_vetd_t *d, const char *const *extra, bool wait)
{
    const char *args[24] = {"-c", d->cfg, "-r", d->rules, "-e", d->ep, "-a", d->audit, "-w", "2"};
    size_t n = 10;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    assert_int_equal(tu_vetd_spawn(d, args), 0);
    if (wait)
        assert_int_equal(tu_vetd_wait(d), 0);
}

static void
start_with(tu_vetd_t *d, const char *cfg, const char *const *extra, bool wait)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp -R %s %s", FIXTURE, d->rules);
    assert_int_equal(tu_run(cmd), 0);
    tu_write_file(d->cfg, cfg ? cfg : "");
    spawn(d, extra, wait);
}

static void
start(tu_vetd_t *d, const char *cfg)
{
    assert_int_equal(tu_vetd_init(d, "fs"), 0);
    start_with(d, cfg, NULL, true);
}

/* SIGTERM; fails the test if vetd needs more than max_ms to exit or
 * exits non-zero. Returns how long it took. */
static uint64_t
stop(tu_vetd_t *d, uint64_t max_ms)
{
    uint64_t t0 = tu_now_ms();
    int st = tu_vetd_stop(d);
    uint64_t took = tu_now_ms() - t0;
    if (st != 0 || took > max_ms) {
        /* What vetd said last (a sanitizer's report ends its log). */
        char *lg = tu_read_file(d->log, NULL);
        size_t ll = lg != NULL ? strlen(lg) : 0;
        fprintf(stderr, "vetd's log, last lines:\n%s\n",
                lg ? lg + (ll > 4000 ? ll - 4000 : 0) : "");
        free(lg);
    }
    if (st != 0 || took > max_ms)
        fail_msg("vetd stopped with %d after %llu ms (limit %llu ms)", st, (unsigned long long)took,
                 (unsigned long long)max_ms);
    return took;
}

static vet_client_t *
client(const tu_vetd_t *d)
{
    vet_client_t *c = vet_client_new(d->ep);
    assert_non_null(c);
    vet_client_set_retries(c, 0);
    return c;
}

/* Asserts the verdict of req. */
static void
expect_verdict(vet_client_t *c, const char *req, const char *verdict)
{
    cJSON *j = tu_call(c, req);
    const char *v = tu_jstr(j, "verdict");
    if (v == NULL || strcmp(v, verdict) != 0) {
        char *s = cJSON_PrintUnformatted(j);
        fail_msg("expected %s, got %s", verdict, s);
    }
    cJSON_Delete(j);
}

/* Sends a reload op (forced or not); returns the reply. */
static cJSON *
reload(vet_client_t *c, bool force)
{
    return tu_call(c, force ? "{\"id\":\"r\",\"op\":\"reload\",\"force\":true}"
                            : "{\"id\":\"r\",\"op\":\"reload\"}");
}

/* Asserts a refused reload: ok false, the gate named failed, one error
 * containing what, and the ruleset in service unchanged (version). */
static void
expect_refused(cJSON *j, const char *gate, const char *what)
{
    char *s = cJSON_PrintUnformatted(j);
    if (cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")))
        fail_msg("reload accepted: %s", s);
    bool gate_failed = false, said = false;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "gates"))
    {
        if (strcmp(tu_jstr(g, "gate"), gate) == 0)
            gate_failed = cJSON_IsFalse(cJSON_GetObjectItem(g, "ok"));
    }
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "errors"))
    {
        said |= cJSON_IsString(g) && strstr(g->valuestring, what) != NULL;
    }
    if (!gate_failed || !said)
        fail_msg("expected gate %s to fail saying \"%s\": %s", gate, what, s);
    assert_string_equal(tu_jstr(j, "ruleset.version"), "fixture-1");
    free(s);
}

/* Waits (5 s) until the daemon's log has text; asserts it does. */
static void
expect_log(const tu_vetd_t *d, const char *text)
{
    uint64_t end = tu_now_ms() + 5000;
    bool found = false;
    while (!found && tu_now_ms() < end) {
        char *log = tu_read_file(d->log, NULL);
        found = log != NULL && strstr(log, text) != NULL;
        free(log);
        if (!found)
            usleep(20000);
    }
    if (!found)
        fail_msg("the log never said \"%s\"", text);
}

static void
rules_path(const tu_vetd_t *d, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", d->rules, name);
}

/* Edits file name of d's ruleset: the text from the first `from` up to
 * the first `to` after it (NULL: the end of the file; "": the end of
 * `from`) becomes `with`. */
static void
splice(const tu_vetd_t *d, const char *name, const char *from, const char *to, const char *with)
{
    char path[256];
    rules_path(d, name, path, sizeof path);
    char *text = tu_read_file(path, NULL);
    char *a = strstr(text, from);
    assert_non_null(a);
    char *b = to == NULL ? a + strlen(a) : *to == '\0' ? a + strlen(from) : strstr(a, to);
    assert_non_null(b);
    size_t head = (size_t)(a - text), wlen = strlen(with), tail = strlen(b);
    char *out = malloc(head + wlen + tail + 1);
    memcpy(out, text, head);
    memcpy(out + head, with, wlen);
    memcpy(out + head + wlen, b, tail + 1);
    tu_write_file(path, out);
    free(out);
    free(text);
}

/* ---- 1. broken rulesets do not go live ------------------------------ */

/* A registry file emptied by a failed `vet-import > registry/x.cfg`. */
static void
test_gate_empty_registry(void **state)
{
    (void)state;
    tu_vetd_t d;
    start(&d, NULL);
    vet_client_t *c = client(&d);
    expect_verdict(c, SDN_REQ, "prohibited");
    char path[256];
    rules_path(&d, "registry/sdn.cfg", path, sizeof path);
    tu_write_file(path, "");
    cJSON *j = reload(c, false);
    expect_refused(j, "load", "registry/sdn.cfg");
    cJSON_Delete(j);
    /* Forcing does not help: force passes the shrink gate only. */
    j = reload(c, true);
    expect_refused(j, "load", "registry/sdn.cfg");
    cJSON_Delete(j);
    expect_verdict(c, SDN_REQ, "prohibited");
    /* SIGHUP takes the same gates. */
    kill(d.pid, SIGHUP);
    expect_log(&d, "reload failed; still serving fixture-1");
    expect_verdict(c, SDN_REQ, "prohibited");
    vet_client_destroy(&c);
    stop(&d, 10000);
    tu_vetd_cleanup(&d);
}

/* A registry file deleted, or renamed away. */
static void
test_gate_deleted_registry(void **state)
{
    (void)state;
    tu_vetd_t d;
    start(&d, NULL);
    vet_client_t *c = client(&d);
    char from[256], to[256];
    rules_path(&d, "registry/sdn.cfg", from, sizeof from);
    rules_path(&d, "registry/sdn.cfg.old", to, sizeof to);
    assert_int_equal(rename(from, to), 0);
    cJSON *j = reload(c, false);
    /* The policy names us-sdn, which no file declares any more. */
    expect_refused(j, "load", "us-sdn");
    cJSON_Delete(j);
    expect_verdict(c, SDN_REQ, "prohibited");
    vet_client_destroy(&c);
    stop(&d, 10000);
    tu_vetd_cleanup(&d);
}

/* A policy with no rules would make every partner clear. */
static void
test_gate_no_rules(void **state)
{
    (void)state;
    tu_vetd_t d;
    start(&d, NULL);
    vet_client_t *c = client(&d);
    splice(&d, "policy.cfg", "\nrules", NULL, "\nrules = ();\n");
    cJSON *j = reload(c, false);
    expect_refused(j, "load", "no rules");
    cJSON_Delete(j);
    expect_verdict(c, SDN_REQ, "prohibited");
    expect_verdict(c, HIT_REQ, "prohibited");
    vet_client_destroy(&c);
    stop(&d, 10000);
    tu_vetd_cleanup(&d);
}

/* A ruleset that loads but fails its own tests (a STRAC rule weakened to
 * review while tests/ still expect prohibited). */
static void
test_gate_tests_fail(void **state)
{
    (void)state;
    tu_vetd_t d;
    start(&d, NULL);
    vet_client_t *c = client(&d);
    splice(&d, "policy.cfg", "verdict = \"prohibited\"", "", "verdict = \"review\"");
    cJSON *j = reload(c, false);
    expect_refused(j, "tests", "own tests fail");
    cJSON_Delete(j);
    expect_verdict(c, HIT_REQ, "prohibited");
    vet_client_destroy(&c);
    stop(&d, 10000);
    tu_vetd_cleanup(&d);
}

/* A list losing more than reload_max_shrink of its organisations: the
 * reload is refused, the log says which list; `vet reload --force`
 * accepts it. */
static void
test_gate_shrink_and_force(void **state)
{
    (void)state;
    tu_vetd_t d;
    start(&d, NULL);
    vet_client_t *c = client(&d);
    /* Drop NUDT, one of the five: ca-nro loses 20%. (No test case
     * names NUDT, so the tests gate passes.) */
    splice(&d, "registry/nro.cfg", "  { id = \"nudt\"", "  { id = \"nwpu\"", "");
    cJSON *j = reload(c, false);
    expect_refused(j, "shrink", "list \"ca-nro\" would go from 5 to 4 organisations");
    cJSON_Delete(j);
    expect_verdict(c, NUDT_REQ, "review");

    char cmd[512], out[128];
    snprintf(cmd, sizeof cmd, "%s -e %s reload --force > %s/out 2>&1",
             tu_env_or("VET_BIN", "bin/vet"), d.ep, d.dir);
    assert_int_equal(tu_run(cmd), 0);
    snprintf(out, sizeof out, "%s/out", d.dir);
    char *said = tu_read_file(out, NULL);
    assert_non_null(strstr(said, "reloaded: ruleset fixture-1"));
    free(said);
    expect_log(&d, "reload forced: list ca-nro goes from 5 to 4");
    expect_verdict(c, NUDT_REQ, "clear");
    expect_verdict(c, HIT_REQ, "prohibited");
    vet_client_destroy(&c);
    stop(&d, 10000);
    tu_vetd_cleanup(&d);
}

/* A registry file rewritten the way `vet-import > file` does (truncate,
 * then write in pieces) while SIGHUPs reload: no reload may go live with
 * part of the registry. */
typedef struct rewriter {
    const char *path;
    const char *text;
    atomic_bool stop;
} rewriter_t;

static void *
rewrite_main(void *arg)
{
    rewriter_t *r = arg;
    size_t len = strlen(r->text);
    while (!atomic_load(&r->stop)) {
        FILE *f = fopen(r->path, "w");
        if (f == NULL)
            break;
        usleep(2000); /* an importer computes before its first byte */
        for (size_t off = 0; off < len; off += 97) {
            fwrite(r->text + off, 1, len - off < 97 ? len - off : 97, f);
            fflush(f);
            usleep(300);
        }
        fclose(f);
    }
    return NULL;
}

/* Ten more organisations on ca-nro, in a file of their own that does
 * not declare the list (as in the default ruleset, where several files
 * share lists): empty, this file is still a valid file. Names from the
 * Named Research Organizations list (Government of Canada, 2024). */
static const char extra_nro[] = "organisations = (\n"
                                "  { id = \"x1\"; name = \"Academy of Military Science\"; country "
                                "= \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; },\n"
                                "  { id = \"x2\"; name = \"Air Force Engineering University\"; "
                                "country = \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; },\n"
                                "  { id = \"x3\"; name = \"Army Engineering University of PLA\"; "
                                "country = \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; },\n"
                                "  { id = \"x4\"; name = \"Beijing Institute of Technology\"; "
                                "country = \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; },\n"
                                "  { id = \"x5\"; name = \"China Academy of Engineering Physics\"; "
                                "country = \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; },\n"
                                "  { id = \"x6\"; name = \"Harbin Engineering University\"; "
                                "country = \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; },\n"
                                "  { id = \"x7\"; name = \"Nanjing University of Aeronautics and "
                                "Astronautics\"; country = \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; },\n"
                                "  { id = \"x8\"; name = \"Nanjing University of Science and "
                                "Technology\"; country = \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; },\n"
                                "  { id = \"x9\"; name = \"Naval University of Engineering\"; "
                                "country = \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; },\n"
                                "  { id = \"x10\"; name = \"PLA Information Engineering "
                                "University\"; country = \"CN\"; lists = [ \"ca-nro\" ];\n"
                                "    sources = [ \"ca-nro 2024-09\" ]; }\n"
                                ");\n";

static void
test_gate_rewrite_race(void **state)
{
    (void)state;
    tu_vetd_t d;
    start(&d, NULL);
    vet_client_t *c = client(&d);
    char path[256];
    rules_path(&d, "registry/nro-extra.cfg", path, sizeof path);
    tu_write_file(path, extra_nro);
    cJSON *j = reload(c, false);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    cJSON_Delete(j);
    j = tu_call(c, "{\"op\":\"version\"}");
    double full = tu_jnum(j, "ruleset.organisations");
    cJSON_Delete(j);
    assert_true(full > 15);
    char *text = strdup(extra_nro);
    rewriter_t r = {path, text, false};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, rewrite_main, &r), 0);
    int partial = 0, reloads = 0;
    for (int i = 0; i < 40; i++) {
        j = reload(c, false);
        reloads += cJSON_IsTrue(cJSON_GetObjectItem(j, "ok"));
        cJSON_Delete(j);
        j = tu_call(c, "{\"op\":\"version\"}");
        partial += tu_jnum(j, "ruleset.organisations") != full;
        cJSON_Delete(j);
        j = tu_call(c, "{\"partner\":{\"name\":\"Harbin Engineering University\"},"
                       "\"activity\":\"co_authorship\"}");
        partial += strcmp(tu_jstr(j, "verdict"), "review") != 0;
        cJSON_Delete(j);
    }
    atomic_store(&r.stop, true);
    pthread_join(t, NULL);
    tu_write_file(path, text);
    free(text);
    print_message("rewrite race: %d of 40 reloads went live, %d partial\n", reloads, partial);
    assert_int_equal(partial, 0);
    vet_client_destroy(&c);
    stop(&d, 10000);
    tu_vetd_cleanup(&d);
}

/* ---- 2. allocation failures in a running daemon --------------------- */

/* The fault-injection shim (tests/fault/fault.c), in the build's tests/
 * directory, one above this test's binary (tests/integration/). */
static void
shim_path(char *out, size_t cap)
{
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    assert_non_null(slash);
    *slash = '\0';
    snprintf(out, cap, "%s/../libfault.so", exe);
    assert_int_equal(access(out, R_OK), 0);
}

/* Starts vetd on d's files (start_with made them) under the shim, with
 * the fault settings env ("NAME=VALUE", NULL-ended) and the report at
 * d->dir/fault.rep: in the environment only while vetd is forked. */
static void
spawn_faulty(tu_vetd_t *d, const char *const *env)
{
    char shim[600], rep[200];
    shim_path(shim, sizeof shim);
    snprintf(rep, sizeof rep, "%s/fault.rep", d->dir);
    /* Under ASan (make asan): the shim comes before ASan's runtime, and
     * what libconfig built before a fault is abandoned on purpose
     * (cfgread.c), which LeakSanitizer would report at exit. */
    char supp[200], asan[400], lsan[400];
    snprintf(supp, sizeof supp, "%s/lsan.supp", d->dir);
    tu_write_file(supp, "leak:libconfig.so\n");
    const char *was_asan = getenv("ASAN_OPTIONS"), *was_lsan = getenv("LSAN_OPTIONS");
    /* Full stacks for what LeakSanitizer reports: libconfig's strdup of a
     * file name goes through the shim, and ASan's fast unwinder stops
     * there, short of libconfig.so, which the suppression names. */
    snprintf(asan, sizeof asan, "verify_asan_link_order=0:fast_unwind_on_malloc=0%s%s",
             was_asan ? ":" : "", was_asan ? was_asan : "");
    snprintf(lsan, sizeof lsan, "suppressions=%s%s%s", supp, was_lsan ? ":" : "",
             was_lsan ? was_lsan : "");
    char *keep_asan = was_asan ? strdup(was_asan) : NULL;
    char *keep_lsan = was_lsan ? strdup(was_lsan) : NULL;
    setenv("LD_PRELOAD", shim, 1);
    setenv("VET_FAULT_REPORT", rep, 1);
    setenv("ASAN_OPTIONS", asan, 1);
    setenv("LSAN_OPTIONS", lsan, 1);
    for (size_t i = 0; env[i] != NULL; i++)
        putenv((char *)env[i]);
    spawn(d, NULL, false);
    unsetenv("LD_PRELOAD");
    unsetenv("VET_FAULT_REPORT");
    if (keep_asan != NULL)
        setenv("ASAN_OPTIONS", keep_asan, 1);
    else
        unsetenv("ASAN_OPTIONS");
    if (keep_lsan != NULL)
        setenv("LSAN_OPTIONS", keep_lsan, 1);
    else
        unsetenv("LSAN_OPTIONS");
    free(keep_asan);
    free(keep_lsan);
    for (size_t i = 0; env[i] != NULL; i++) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(env[i], "="), env[i]);
        unsetenv(name);
    }
    /* Up when it answers at all: with every allocation of its workers
     * failing, even a ping gets an error. */
    vet_client_t *c = client(d);
    uint64_t end = tu_now_ms() + 10000;
    char *reply = NULL;
    while (vet_screen(c, "{\"op\":\"ping\"}", 200, &reply) != VET_OK && tu_now_ms() < end)
        assert_int_equal(waitpid(d->pid, NULL, WNOHANG), 0);
    assert_non_null(reply);
    vet_free(reply);
    vet_client_destroy(&c);
}

/* The shim's report, or "" (caller frees). */
static char *
fault_report(const tu_vetd_t *d)
{
    char rep[200];
    snprintf(rep, sizeof rep, "%s/fault.rep", d->dir);
    char *text = tu_read_file(rep, NULL);
    unlink(rep);
    return text != NULL ? text : strdup("");
}

/* Reloads counted so far (ok + failed; *failed of them refused), or -1
 * if vetd does not answer within 500 ms. */
static int
reloads_done(vet_client_t *c, int *failed)
{
    char *reply = NULL;
    if (vet_screen(c, "{\"op\":\"stats\"}", 500, &reply) != VET_OK)
        return -1;
    cJSON *j = cJSON_Parse(reply);
    vet_free(reply);
    *failed = (int)tu_jnum(j, "reloads.failed");
    int n = (int)tu_jnum(j, "reloads.ok") + *failed;
    cJSON_Delete(j);
    return n;
}

/* What the daemon serves: "version digest content organisations rules". */
static void
serving(vet_client_t *c, char *out, size_t cap)
{
    cJSON *j = tu_call(c, "{\"op\":\"version\"}");
    snprintf(out, cap, "%s %s %s %.0f %.0f", tu_jstr(j, "ruleset.version"),
             tu_jstr(j, "ruleset.digest"), tu_jstr(j, "ruleset.content"),
             tu_jnum(j, "ruleset.organisations"), tu_jnum(j, "ruleset.rules"));
    cJSON_Delete(j);
}

/* True if vetd (exit status st) died in the one place left out of its
 * reach: libconfig's flex scanner calls exit(2) with "out of dynamic
 * memory" when it cannot allocate its own buffers (cfgread.c). */
static bool
flex_exit(const tu_vetd_t *d, int st)
{
    char *log = tu_read_file(d->log, NULL);
    bool said = log != NULL && strstr(log, "out of dynamic memory") != NULL;
    free(log);
    return WIFEXITED(st) && WEXITSTATUS(st) == 2 && said;
}

/* Each SIGHUP reload of a running daemon with one of its allocations
 * failed (a different one each time, through the reload thread): the
 * reload is refused, or goes live with exactly the same content; the
 * daemon keeps its verdicts. The only death allowed is the exit of
 * libconfig's scanner (counted). */
static void
test_fault_reload(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "fs"), 0);
    start_with(&d, NULL, NULL, true);
    vet_client_t *c = client(&d);
    char clean[400], now[400];
    serving(c, clean, sizeof clean);
    vet_client_destroy(&c);
    stop(&d, 10000);

    /* How many allocations a clean reload makes. */
    const char *count_env[] = {"VET_FAULT_THREAD=vetd-reload", "VET_FAULT_AT=0", NULL};
    spawn_faulty(&d, count_env);
    c = client(&d);
    kill(d.pid, SIGHUP);
    uint64_t end = tu_now_ms() + 5000;
    int nfailed;
    while (reloads_done(c, &nfailed) < 1 && tu_now_ms() < end)
        usleep(5000);
    vet_client_destroy(&c);
    stop(&d, 10000);
    char *report = fault_report(&d);
    const char *cnt = strstr(report, "count ");
    long total = cnt ? strtol(cnt + 6, NULL, 10) : 0;
    free(report);
    assert_true(total > 100);

    /* About 100 points spread over the reload, each failed in a reload of
     * its own (the k-th reload thread fails allocation AT + k*STEP). */
    long step = total / 100 > 0 ? total / 100 : 1;
    int refused = 0, same = 0, known = 0, points = 0;
    for (long at = 1; at <= total;) {
        char at_env[48], step_env[48];
        snprintf(at_env, sizeof at_env, "VET_FAULT_AT=%ld", at);
        snprintf(step_env, sizeof step_env, "VET_FAULT_STEP=%ld", step);
        const char *env[] = {"VET_FAULT_THREAD=vetd-reload", at_env, step_env, NULL};
        spawn_faulty(&d, env);
        c = client(&d);
        for (int done = 0, was_failed = 0; at <= total; at += step) {
            kill(d.pid, SIGHUP);
            end = tu_now_ms() + 5000;
            int r = done, st = 0;
            bool died = false;
            /* -1: no answer (yet): dying, or busy. */
            while ((r == done || r < 0) && !died && tu_now_ms() < end) {
                died = waitpid(d.pid, &st, WNOHANG) == d.pid;
                if (!died && ((r = reloads_done(c, &nfailed)) == done || r < 0))
                    usleep(2000);
            }
            points++;
            if (died) {
                d.pid = 0;
                report = fault_report(&d);
                if (!flex_exit(&d, st))
                    fail_msg("vetd died at reload allocation %ld (status %d):\n%s", at, st, report);
                free(report);
                truncate(d.log, 0);
                known++;
                at += step;
                break;
            }
            if (r != done + 1)
                fail_msg("reload at allocation %ld: %d reloads done, expected %d", at, r, done + 1);
            done = r;
            if (nfailed > was_failed)
                refused++;
            else
                same++;
            was_failed = nfailed;
            /* Refused or identical: the same ruleset serves either way. */
            serving(c, now, sizeof now);
            if (strcmp(now, clean) != 0)
                fail_msg("after reload allocation %ld failed, vetd serves %s, not %s", at, now,
                         clean);
            expect_verdict(c, SDN_REQ, "prohibited");
            expect_verdict(c, HIT_REQ, "prohibited");
        }
        if (d.pid > 0) {
            stop(&d, 10000);
            free(fault_report(&d));
        }
        vet_client_destroy(&c);
    }
    print_message("reload with a failed allocation: %d points of %ld allocations: %d refused, "
                  "%d identical, %d exits of libconfig's scanner\n",
                  points, total, refused, same, known);
    assert_int_equal(refused + same + known, points);
    tu_vetd_cleanup(&d);
}

/* A reply as text without what differs from run to run. Caller frees. */
static char *
normalised(const char *reply)
{
    cJSON *j = cJSON_Parse(reply);
    assert_non_null(j);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "elapsed_us");
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

enum { N_FAULT_REQS = 40 };

/* Screening requests of growing size (so the workers' arenas and
 * buffers grow, which is when the request path allocates). */
static char *
fault_request(int i)
{
    static const char *const names[] = {
        "Harbin Institute of Technology", "Beijing Alite Technologies Co., Ltd.",
        "National University of Defense Technology", "University of Toronto"};
    size_t words = (size_t)i * 60;
    size_t cap = 400 + words * 16;
    char *r = malloc(cap);
    int n = snprintf(r, cap,
                     "{\"id\":\"f%d\",\"partner\":{\"name\":\"%s\"},"
                     "\"technologies\":[\"ai.ml\"],\"activity\":\"affiliation\",\"text\":\"",
                     i, names[i % 4]);
    for (size_t w = 0; w < words; w++)
        n += snprintf(r + n, cap - (size_t)n, "%s ", w % 7 ? "radar" : "quantum sensing");
    snprintf(r + n, cap - (size_t)n, "\"}");
    return r;
}

/* Screening with allocations of the workers failing (only those made by
 * vetd's own code: libzmq asserts on a failed allocation): every reply is
 * the clean one, or an error (internal; unavailable when the audit record
 * could not be built), never another verdict. */
static void
test_fault_requests(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "fs"), 0);
    start_with(&d, NULL, NULL, true);
    vet_client_t *c = client(&d);
    char *want[N_FAULT_REQS];
    for (int i = 0; i < N_FAULT_REQS; i++) {
        char *req = fault_request(i), *reply = NULL;
        assert_int_equal(vet_screen(c, req, 5000, &reply), VET_OK);
        want[i] = normalised(reply);
        vet_free(reply);
        free(req);
    }
    vet_client_destroy(&c);
    stop(&d, 10000);

    static const char *const schedules[][2] = {
        {"VET_FAULT_AT=1", "VET_FAULT_EVERY=1"}, /* every allocation */
        {"VET_FAULT_AT=2", "VET_FAULT_EVERY=2"},
        {"VET_FAULT_AT=1", "VET_FAULT_EVERY=3"},
        {"VET_FAULT_AT=3", "VET_FAULT_EVERY=5"},
    };
    int same = 0, internal = 0, unavailable = 0;
    for (size_t k = 0; k < sizeof schedules / sizeof schedules[0]; k++) {
        const char *env[] = {"VET_FAULT_THREAD=vetd-worker", "VET_FAULT_OBJ=vetd", schedules[k][0],
                             schedules[k][1], NULL};
        spawn_faulty(&d, env);
        c = client(&d);
        for (int i = 0; i < N_FAULT_REQS; i++) {
            char *req = fault_request(i), *reply = NULL;
            if (vet_screen(c, req, 5000, &reply) != VET_OK)
                fail_msg("%s %s: request %d: %s", schedules[k][0], schedules[k][1], i,
                         vet_client_error(c));
            char *got = normalised(reply);
            cJSON *j = cJSON_Parse(reply);
            const char *code = tu_jstr(j, "error.code");
            if (strcmp(got, want[i]) == 0)
                same++;
            else if (code != NULL && strcmp(code, "internal") == 0)
                internal++;
            else if (code != NULL && strcmp(code, "unavailable") == 0)
                unavailable++;
            else
                fail_msg("%s %s: request %d got %s, clean run %s", schedules[k][0], schedules[k][1],
                         i, got, want[i]);
            cJSON_Delete(j);
            free(got);
            vet_free(reply);
            free(req);
        }
        vet_client_destroy(&c);
        stop(&d, 10000);
        free(fault_report(&d));
    }
    for (int i = 0; i < N_FAULT_REQS; i++)
        free(want[i]);
    print_message("requests with failed allocations: %d identical, %d internal, %d unavailable\n",
                  same, internal, unavailable);
    assert_true(internal + unavailable > 0);
    tu_vetd_cleanup(&d);
}

/* ---- 3. one client cannot stall the others -------------------------- */

/* Resident memory of pid in KiB. */
static long
rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *st = tu_read_file(path, NULL);
    const char *at = st ? strstr(st, "VmRSS:") : NULL;
    long kib = at ? strtol(at + 6, NULL, 10) : -1;
    free(st);
    return kib;
}

/* A DEALER on d's endpoint that queues n copies of req for sending and
 * never reads a reply. Returns the socket (close it to disconnect). */
static void *
flood(void *ctx, const tu_vetd_t *d, const char *req, size_t len, int n)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int hwm = n + 10, one = 1, zero = 0;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(s, d->ep), 0);
    for (int i = 0; i < n; i++) {
        assert_true(zmq_send(s, "", 0, ZMQ_SNDMORE) == 0);
        assert_true(zmq_send(s, req, len, 0) == (int)len);
    }
    return s;
}

/* Median of n latencies (sorts them). */
static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t
median(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    return v[n / 2];
}

/* Observed: 200,000 requests from a client that never reads took RSS from
 * 10 to 390 MB, gave other clients 0 answers for 40 s, and SIGTERM was
 * not honoured within 60 s. */
static void
test_client_never_reads(void **state)
{
    (void)state;
    tu_vetd_t d;
    /* The queue bound the daemon now has by default, set here too so the
     * test says the same of an older daemon. */
    start(&d, "limits = { drain_ms = 2000; hwm = 1000; };\n");
    long rss0 = rss_kib(d.pid);
    void *ctx = zmq_ctx_new();
    const char *req = HIT_REQ;
    void *greedy = flood(ctx, &d, req, strlen(req), 50000);
    /* Another client asks meanwhile: every answer comes, each promptly. */
    vet_client_t *c = client(&d);
    uint64_t lat[40];
    for (int i = 0; i < 40; i++) {
        uint64_t t0 = tu_now_ms();
        expect_verdict(c, HIT_REQ, "prohibited");
        lat[i] = tu_now_ms() - t0;
        usleep(25000);
    }
    long rss1 = rss_kib(d.pid);
    cJSON *j = tu_call(c, "{\"op\":\"stats\"}");
    double dropped = tu_jnum(j, "undeliverable_by.not_reading");
    cJSON_Delete(j);
    uint64_t med = median(lat, 40);
    print_message("never-reading client: other client's median %llu ms, max %llu ms; RSS %ld -> "
                  "%ld KiB; %.0f replies dropped\n",
                  (unsigned long long)med, (unsigned long long)lat[39], rss0, rss1, dropped);
    assert_true(lat[39] < 3000);
    assert_true(dropped > 0);
    assert_true(rss1 - rss0 < 150 * 1024);
    vet_client_destroy(&c);
    /* SIGTERM with the greedy client still connected and sending. */
    uint64_t took = stop(&d, 2000 + 3000);
    print_message("stopped in %llu ms\n", (unsigned long long)took);
    zmq_close(greedy);
    zmq_ctx_term(ctx);
    tu_vetd_cleanup(&d);
}

/* Observed: 1 MiB requests of 500k array elements gave other clients
 * multi-second latency. Another client's latency under such a flood must
 * stay within a few times the cost of one huge request, measured here. */
static void
test_huge_requests_fair(void **state)
{
    (void)state;
    tu_vetd_t d;
    start(&d, NULL);
    /* {"partner":{"name":"x"},"junk":[0,0,...]}: parsed whole, refused. */
    size_t cap = (1u << 20) - 64;
    char *big = malloc(cap + 64);
    size_t n = (size_t)snprintf(big, cap, "{\"partner\":{\"name\":\"x\"},\"junk\":[0");
    while (n + 4 < cap) {
        big[n++] = ',';
        big[n++] = '0';
    }
    big[n++] = ']';
    big[n++] = '}';
    void *ctx = zmq_ctx_new();
    /* One huge request alone, three times. */
    uint64_t one[3];
    for (int i = 0; i < 3; i++) {
        void *s = zmq_socket(ctx, ZMQ_REQ);
        assert_int_equal(zmq_connect(s, d.ep), 0);
        uint64_t t0 = tu_now_ms();
        assert_true(zmq_send(s, big, n, 0) == (int)n);
        char buf[512];
        assert_true(zmq_recv(s, buf, sizeof buf, 0) > 0);
        one[i] = tu_now_ms() - t0;
        zmq_close(s);
    }
    uint64_t t_one = median(one, 3);
    void *greedy = flood(ctx, &d, big, n, 60);
    usleep(300000); /* 60 MB on their way in */
    vet_client_t *c = client(&d);
    uint64_t lat[15];
    for (int i = 0; i < 15; i++) {
        uint64_t t0 = tu_now_ms();
        cJSON *j = tu_call(c, "{\"op\":\"ping\"}");
        lat[i] = tu_now_ms() - t0;
        cJSON_Delete(j);
    }
    uint64_t med = median(lat, 15);
    print_message("huge requests: one alone %llu ms; another client's ping under 60 of them: "
                  "median %llu ms, max %llu ms\n",
                  (unsigned long long)t_one, (unsigned long long)med, (unsigned long long)lat[14]);
    /* The window admits two of the largest requests; one more may be
     * under way in each worker's queue. Without it every ping waited
     * behind every huge request already read. */
    assert_true(lat[14] <= 6 * t_one + 50);
    vet_client_destroy(&c);
    zmq_close(greedy);
    stop(&d, 10000);
    zmq_ctx_term(ctx);
    free(big);
    tu_vetd_cleanup(&d);
}

/* ---- partial messages and idle handshakes --------------------------- */

/* A raw ZMTP 3.0 peer on d's ipc endpoint: connects and, if greet, does
 * the NULL handshake as a DEALER. Returns the socket descriptor. */
static int
zmtp_connect(const tu_vetd_t *d, bool greet)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", d->ep + strlen("ipc://"));
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    if (!greet)
        return fd;
    unsigned char g[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0, 'N', 'U', 'L', 'L'};
    assert_int_equal(write(fd, g, sizeof g), (ssize_t)sizeof g);
    unsigned char peer[64];
    size_t got = 0;
    while (got < sizeof peer) {
        ssize_t n = read(fd, peer + got, sizeof peer - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    static const unsigned char ready[] = {0x04, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',
                                          'o',  'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                                          0,    0,   0,   6,   'D', 'E', 'A', 'L', 'E', 'R'};
    assert_int_equal(write(fd, ready, sizeof ready), (ssize_t)sizeof ready);
    return fd;
}

/* Sends the header of one long frame of size bytes and size - 1 of them:
 * a message the daemon must hold until its last byte comes. */
static void
zmtp_partial(int fd, uint64_t size)
{
    unsigned char h[9] = {0x02};
    for (int i = 0; i < 8; i++)
        h[1 + i] = (unsigned char)(size >> (56 - 8 * i));
    assert_int_equal(write(fd, h, sizeof h), (ssize_t)sizeof h);
    static char chunk[65536];
    for (uint64_t left = size - 1; left > 0;) {
        size_t n = left < sizeof chunk ? (size_t)left : sizeof chunk;
        ssize_t w = write(fd, chunk, n);
        if (w <= 0)
            return; /* dropped by the daemon */
        left -= (uint64_t)w;
    }
}

/* True if the daemon closed fd within ms. */
static bool
closed_within(int fd, int ms)
{
    uint64_t end = tu_now_ms() + (uint64_t)ms;
    char buf[256];
    while (tu_now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) == 1) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EAGAIN))
                return true;
        }
    }
    return false;
}

/* Observed: 40 connections each 1 byte short of a 16 MB message held
 * 600+ MB until they disconnected. The default max_message_bytes is now
 * 1 MiB + 64 KiB: 40 such connections hold about 45 MB; a frame over it
 * drops its connection at once; a connection that never greets is
 * closed after handshake_ms. */
static void
test_partial_messages(void **state)
{
    (void)state;
    tu_vetd_t d;
    start(&d, "limits = { handshake_ms = 500; };\n");
    long rss0 = rss_kib(d.pid);
    enum { N = 40 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = zmtp_connect(&d, true);
        zmtp_partial(fds[i], 1114112);
    }
    usleep(300000);
    long rss1 = rss_kib(d.pid);
    print_message("40 partial messages of 1114112 bytes: RSS %ld -> %ld KiB\n", rss0, rss1);
    assert_true(rss1 - rss0 < 100 * 1024);
    vet_client_t *c = client(&d);
    expect_verdict(c, HIT_REQ, "prohibited");
    for (int i = 0; i < N; i++)
        close(fds[i]);
    /* Over the limit: dropped. */
    int big = zmtp_connect(&d, true);
    unsigned char h[9] = {0x02, 0, 0, 0, 0, 0x01, 0, 0, 0}; /* 16 MiB */
    assert_int_equal(write(big, h, sizeof h), (ssize_t)sizeof h);
    assert_true(closed_within(big, 2000));
    close(big);
    /* Never greets: closed after the handshake interval. */
    int idle = zmtp_connect(&d, false);
    assert_true(closed_within(idle, 3000));
    close(idle);
    expect_verdict(c, HIT_REQ, "prohibited");
    vet_client_destroy(&c);
    stop(&d, 10000);
    tu_vetd_cleanup(&d);
}

/* ---- 4. the audit log cannot be written ----------------------------- */

/* Screens HIT n times; counts verdicts and refusals (unavailable with the
 * audit message). Fails on anything else, or a reply slower than 3 s. */
static void
screen_many(vet_client_t *c, int n, int *verdicts, int *refused)
{
    *verdicts = *refused = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t0 = tu_now_ms();
        cJSON *j = tu_call(c, HIT_REQ);
        assert_true(tu_now_ms() - t0 < 3000);
        const char *v = tu_jstr(j, "verdict"), *code = tu_jstr(j, "error.code");
        if (v != NULL && strcmp(v, "prohibited") == 0) {
            (*verdicts)++;
        } else if (code != NULL && strcmp(code, "unavailable") == 0 &&
                   strstr(tu_jstr(j, "error.message"), "audit log") != NULL) {
            (*refused)++;
        } else {
            char *str = cJSON_PrintUnformatted(j);
            fail_msg("unexpected reply: %s", str);
        }
        cJSON_Delete(j);
    }
}

/* Observed: with the audit log on a full disk, requests hung once the
 * queue filled, memory grew to 376 MB, SIGTERM never completed. The disk
 * here is a file-size limit of 64 KiB on the daemon. */
static void
test_audit_disk_full_refuse(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "fs"), 0);
    d.rlim_fsize = 64 * 1024;
    const char *fsync[] = {"--audit-fsync", "always", NULL};
    start_with(&d, "limits = { drain_ms = 1000; };\n", fsync, true);
    long rss0 = rss_kib(d.pid);
    vet_client_t *c = client(&d);
    /* 64 KiB hold about 150 records; the audit queue (1024) may absorb
     * more than that while the writer thread is slow to meet the limit
     * (seen under ASan on a busy machine), so screen in rounds until
     * refusals come, at most 3000 requests. */
    int verdicts = 0, refused = 0;
    for (int round = 0; round < 15 && refused == 0; round++) {
        int v, r;
        screen_many(c, 200, &v, &r);
        verdicts += v;
        refused += r;
    }
    int given = verdicts;
    print_message("disk full, refuse: %d verdicts, then %d refused\n", verdicts, refused);
    assert_true(verdicts > 0 && refused > 0);
    cJSON *j = tu_call(c, "{\"op\":\"stats\"}");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "audit"), "healthy")));
    assert_true(tu_jnum(j, "audit.refused") >= refused);
    cJSON_Delete(j);
    assert_true(rss_kib(d.pid) - rss0 < 50 * 1024);
    /* The disk has room again: verdicts come back. */
    struct rlimit rl;
    assert_int_equal(prlimit(d.pid, RLIMIT_FSIZE, NULL, &rl), 0);
    rl.rlim_cur = rl.rlim_max;
    assert_int_equal(prlimit(d.pid, RLIMIT_FSIZE, &rl, NULL), 0);
    uint64_t end = tu_now_ms() + 5000;
    verdicts = 0;
    while (verdicts == 0 && tu_now_ms() < end) {
        screen_many(c, 1, &verdicts, &refused);
        usleep(50000);
    }
    assert_int_equal(verdicts, 1);
    int total = given + verdicts;
    vet_client_destroy(&c);
    stop(&d, 1000 + 4000);
    /* Every verdict given has its record on disk: those queued when the
     * disk filled were kept and written once it had room. */
    char *log = tu_read_file(d.audit, NULL);
    int lines = 0;
    for (const char *p = log; (p = strstr(p, "\"verdict\":\"prohibited\"")) != NULL; p++)
        lines++;
    free(log);
    print_message("%d verdicts given, %d on record\n", total, lines);
    assert_true(lines >= total);
    tu_vetd_cleanup(&d);
}

/* audit.on_failure = answer: verdicts keep coming, counted unaudited;
 * SIGTERM with the disk still full ends in bounded time. */
static void
test_audit_disk_full_answer(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "fs"), 0);
    d.rlim_fsize = 64 * 1024;
    start_with(&d, "limits = { drain_ms = 1000; };\naudit = { on_failure = \"answer\"; };\n", NULL,
               true);
    vet_client_t *c = client(&d);
    int verdicts, refused;
    screen_many(c, 600, &verdicts, &refused);
    assert_int_equal(verdicts, 600);
    cJSON *j = tu_call(c, "{\"op\":\"stats\"}");
    double unaudited = tu_jnum(j, "audit.unaudited");
    cJSON_Delete(j);
    print_message("disk full, answer: %d verdicts, %.0f unaudited\n", verdicts, unaudited);
    assert_true(unaudited > 0);
    expect_log(&d, "answered without a record");
    vet_client_destroy(&c);
    stop(&d, 1000 + 4000);
    tu_vetd_cleanup(&d);
}

/* The audit log is private (0640), a symlink is refused, and every line
 * is valid UTF-8 even for a request of raw bytes cut mid-character. */
static void
test_audit_file_safety(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "fs"), 0);
    /* A symlink at the audit path: vetd refuses to start (71). */
    char target[256];
    snprintf(target, sizeof target, "%s/elsewhere", d.dir);
    assert_int_equal(symlink(target, d.audit), 0);
    start_with(&d, NULL, NULL, false);
    int st;
    assert_int_equal(waitpid(d.pid, &st, 0), d.pid);
    d.pid = 0;
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 71);
    expect_log(&d, "symbolic link");
    assert_int_equal(access(target, F_OK), -1);
    unlink(d.audit);
    /* A world-readable log is made private, with a warning. */
    tu_write_file(d.audit, "");
    chmod(d.audit, 0644);
    const char *args[] = {"-c", d.cfg, "-r", d.rules, "-e", d.ep, "-a", d.audit, NULL};
    assert_int_equal(tu_vetd_spawn(&d, args), 0);
    assert_int_equal(tu_vetd_wait(&d), 0);
    struct stat sb;
    assert_int_equal(stat(d.audit, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    expect_log(&d, "0640");
    /* Raw bytes: invalid UTF-8, and a 3-byte character cut at the
     * 512-byte budget. */
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_REQ);
    assert_int_equal(zmq_connect(s, d.ep), 0);
    char raw[600];
    memset(raw, 'a', sizeof raw);
    raw[0] = '\xff';
    raw[1] = '\xfe';
    memcpy(raw + 511, "\xe4\xb8\xad", 3); /* 中 across byte 512 */
    char buf[512];
    assert_true(zmq_send(s, raw, sizeof raw, 0) == (int)sizeof raw);
    assert_true(zmq_recv(s, buf, sizeof buf, 0) > 0);
    char ok[520];
    memset(ok, 'b', sizeof ok);
    memcpy(ok + 510, "\xe4\xb8\xad", 3);
    assert_true(zmq_send(s, ok, sizeof ok, 0) == (int)sizeof ok);
    assert_true(zmq_recv(s, buf, sizeof buf, 0) > 0);
    zmq_close(s);
    zmq_ctx_term(ctx);
    stop(&d, 10000);
    size_t len;
    char *log = tu_read_file(d.audit, &len);
    assert_true(sbuf_utf8_valid(log, len));
    assert_non_null(strstr(log, "\"raw_base64\":\"//5hYWFh"));
    /* The valid one is kept as text, cut before the character. */
    assert_non_null(strstr(log, "\"raw\":\"bbbb"));
    assert_null(strstr(log, "\xe4\xb8\xad"));
    free(log);
    tu_vetd_cleanup(&d);
}

/* ---- 5. out of file descriptors ------------------------------------- */

/* CPU seconds pid has used (user + system). */
static double
cpu_s(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *st = tu_read_file(path, NULL);
    assert_non_null(st);
    /* Fields 14 and 15, counted after the command name's ')'. */
    const char *p = strrchr(st, ')');
    unsigned long ut = 0, stime = 0;
    assert_int_equal(
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stime), 2);
    free(st);
    return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Observed: out of file descriptors the daemon spun at 98% CPU and an ipc
 * client then made libzmq abort it. Now it stops listening before the
 * limit (libzmq drops that endpoint's connections with it: clients
 * reconnect), does not spin, and listens again once descriptors are
 * free. */
static void
test_out_of_descriptors(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "fs"), 0);
    d.rlim_nofile = 100;
    start_with(&d, "limits = { fd_reserve = 16; };\n", NULL, true);
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 1024);
    enum { N = 150 };
    void *socks[N];
    for (int i = 0; i < N; i++) {
        socks[i] = zmq_socket(ctx, ZMQ_DEALER);
        assert_non_null(socks[i]);
        int zero = 0;
        zmq_setsockopt(socks[i], ZMQ_LINGER, &zero, sizeof zero);
        assert_int_equal(zmq_connect(socks[i], d.ep), 0);
        zmq_send(socks[i], "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(socks[i], "{\"op\":\"ping\"}", 13, ZMQ_DONTWAIT);
        /* A flood of connections, not one burst: the daemon reacts to
         * them within milliseconds, and libzmq's ipc listener aborts the
         * process if it ever meets EMFILE (ipc_listener.cpp). */
        usleep(3000);
    }
    expect_log(&d, "not accepting new connections");
    sleep(1);
    /* Not spinning, still alive, still serving the client it has. */
    double cpu0 = cpu_s(d.pid);
    sleep(1);
    double spent = cpu_s(d.pid) - cpu0;
    print_message("out of descriptors: %.2f s of CPU in 1 s\n", spent);
    assert_true(spent < 0.3);
    assert_int_equal(kill(d.pid, 0), 0);
    for (int i = 0; i < N; i++)
        zmq_close(socks[i]);
    expect_log(&d, "accepting connections again");
    /* A new client gets in. */
    vet_client_t *c2 = client(&d);
    expect_verdict(c2, HIT_REQ, "prohibited");
    cJSON *j = tu_call(c2, "{\"op\":\"stats\"}");
    assert_true(tu_jnum(j, "connections.refusals") >= 1);
    cJSON_Delete(j);
    vet_client_destroy(&c2);
    zmq_ctx_term(ctx);
    stop(&d, 10000);
    tu_vetd_cleanup(&d);
}

int
main(void)
{
    /* The tests open many sockets of their own. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate_empty_registry),
        cmocka_unit_test(test_gate_deleted_registry),
        cmocka_unit_test(test_gate_no_rules),
        cmocka_unit_test(test_gate_tests_fail),
        cmocka_unit_test(test_gate_shrink_and_force),
        cmocka_unit_test(test_gate_rewrite_race),
        cmocka_unit_test(test_fault_reload),
        cmocka_unit_test(test_fault_requests),
        cmocka_unit_test(test_client_never_reads),
        cmocka_unit_test(test_huge_requests_fair),
        cmocka_unit_test(test_partial_messages),
        cmocka_unit_test(test_audit_disk_full_refuse),
        cmocka_unit_test(test_audit_disk_full_answer),
        cmocka_unit_test(test_audit_file_safety),
        cmocka_unit_test(test_out_of_descriptors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
