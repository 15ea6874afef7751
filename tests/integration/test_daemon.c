/* SPDX-License-Identifier: Apache-2.0 */
/* test_daemon.c -- integration tests: a real vetd on a private ipc://
 * endpoint, driven through libvet, raw ZeroMQ sockets and the vet CLI.
 * Every daemon started here is stopped (SIGTERM, then SIGKILL and a
 * failure if it does not exit). Needs $VETD_BIN and $VET_BIN (tests/run.sh
 * sets them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "testutil.h"
#include "vet.h"

#define FIXTURE "tests/fixtures/rulesets/good"
#define HIT_AI                                                                                     \
    "{\"id\":\"%s\",\"partner\":{\"name\":\"Harbin Institute of Technology\","                     \
    "\"country\":\"CN\"},\"technologies\":[\"ai.ml\"],\"activity\":\"affiliation\"}"

/* Makes the private directory with a copy of the fixture ruleset and a
 * config file holding cfg_extra. */
static void
daemon_prepare(tu_vetd_t *d, const char *cfg_extra)
{
    assert_int_equal(tu_vetd_init(d, "it"), 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp -R %s %s", FIXTURE, d->rules);
    assert_int_equal(tu_run(cmd), 0);
    tu_write_file(d->cfg, cfg_extra ? cfg_extra : "");
}

/* Starts vetd with the prepared files plus extra flags (NULL-ended). */
static void
daemon_spawn(tu_vetd_t *d, const char *const *extra)
{
    const char *args[32] = {"-c", d->cfg, "-r", d->rules, "-e", d->ep, "-a", d->audit, "-w", "2"};
    size_t n = 10;
    for (size_t i = 0; extra && extra[i] && n < 30; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    assert_int_equal(tu_vetd_spawn(d, args), 0);
}

static void
daemon_start(tu_vetd_t *d, const char *cfg_extra, const char *const *extra)
{
    daemon_prepare(d, cfg_extra);
    daemon_spawn(d, extra);
    assert_int_equal(tu_vetd_wait(d), 0);
}

/* Sends SIGTERM and waits for the exit (10 s); returns the exit status.
 * A daemon that has to be killed fails the test. */
static int
daemon_stop(tu_vetd_t *d)
{
    int st = tu_vetd_stop(d);
    if (st == -2)
        fail_msg("vetd did not stop within 10 s of SIGTERM");
    return st;
}

/* Asserts that req gets the error code with exactly message msg (or
 * starting with it when prefix). */
static void
expect_error(vet_client_t *c, const char *req, const char *code, const char *msg, bool prefix)
{
    cJSON *j = tu_call(c, req);
    const char *got_code = tu_jstr(j, "error.code");
    const char *got_msg = tu_jstr(j, "error.message");
    if (got_code == NULL || strcmp(got_code, code) != 0 || got_msg == NULL ||
        (prefix ? strncmp(got_msg, msg, strlen(msg)) != 0 : strcmp(got_msg, msg) != 0)) {
        char *s = cJSON_PrintUnformatted(j);
        fail_msg("request %.60s: expected %s \"%s\", got %s", req, code, msg, s);
    }
    cJSON_Delete(j);
}

/* ---- every op ------------------------------------------------------- */

static void
test_ops(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, NULL, NULL);
    vet_client_t *c = vet_client_new(d.ep);
    assert_non_null(c);

    /* The requests counted before this test's: the start-up pings, more
     * than one when the wait for the daemon gave up on one (a loaded
     * machine; CI failed so: 7 != 6). */
    cJSON *j = tu_call(c, "{\"op\":\"stats\"}");
    int before = (int)tu_jnum(j, "requests");
    cJSON_Delete(j);

    j = tu_call(c, "{\"id\":\"p1\",\"op\":\"ping\"}");
    assert_string_equal(tu_jstr(j, "id"), "p1");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    cJSON_Delete(j);

    j = tu_call(c, "{\"op\":\"version\"}");
    assert_non_null(tu_jstr(j, "vetd"));
    assert_string_equal(tu_jstr(j, "ruleset.version"), "fixture-1");
    assert_int_equal(strlen(tu_jstr(j, "ruleset.digest")), 64);
    cJSON_Delete(j);

    char req[512];
    snprintf(req, sizeof req, HIT_AI, "s1");
    j = tu_call(c, req);
    assert_string_equal(tu_jstr(j, "id"), "s1");
    assert_string_equal(tu_jstr(j, "verdict"), "prohibited");
    assert_int_equal((int)tu_jnum(j, "score"), 100);
    assert_string_equal(tu_jstr(j, "ruleset.version"), "fixture-1");
    const cJSON *m =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "partner"), "matches"), 0);
    assert_string_equal(tu_jstr(m, "entity"), "hit");
    cJSON_Delete(j);

    /* The same request through vetd --screen gives the same verdict. */
    j = tu_call(c, "{\"id\":\"s2\",\"partner\":{\"name\":\"Harbin University of Science and "
                   "Technology\",\"country\":\"CN\"},\"technologies\":[\"ai\"],"
                   "\"activity\":\"affiliation\"}");
    assert_string_equal(tu_jstr(j, "verdict"), "clear");
    cJSON_Delete(j);

    j = tu_call(c, "{\"op\":\"taxonomy\"}");
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(j, "categories")) >= 6);
    cJSON_Delete(j);

    j = tu_call(c, "{\"id\":\"st\",\"op\":\"stats\"}");
    assert_string_equal(tu_jstr(j, "id"), "st");
    /* The first stats, ping, version, 2 screens, taxonomy (a reply
     * counts the requests answered before it). */
    assert_int_equal((int)tu_jnum(j, "requests"), before + 6);
    assert_int_equal((int)tu_jnum(j, "by_op.screen"), 2);
    assert_int_equal((int)tu_jnum(j, "by_verdict.prohibited"), 1);
    assert_int_equal((int)tu_jnum(j, "by_verdict.clear"), 1);
    assert_true(tu_jnum(j, "latency_us.p50") >= 0);
    assert_true(tu_jnum(j, "latency_us.p999") >= tu_jnum(j, "latency_us.p50"));
    assert_true(tu_jnum(j, "uptime_s") >= 0);
    assert_string_equal(tu_jstr(j, "ruleset.version"), "fixture-1");
    cJSON_Delete(j);

    j = tu_call(c, "{\"id\":\"r1\",\"op\":\"reload\"}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    assert_string_equal(tu_jstr(j, "ruleset.version"), "fixture-1");
    assert_string_equal(tu_jstr(j, "previous.version"), "fixture-1");
    cJSON_Delete(j);

    /* A REQ socket, the simplest client there is, works too. */
    void *ctx = zmq_ctx_new();
    void *req_sock = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0;
    zmq_setsockopt(req_sock, ZMQ_LINGER, &linger, sizeof linger);
    int tmo = 5000;
    zmq_setsockopt(req_sock, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    assert_int_equal(zmq_connect(req_sock, d.ep), 0);
    assert_true(zmq_send(req_sock, "{\"id\":\"q\",\"op\":\"ping\"}", 22, 0) == 22);
    char buf[256];
    int n = zmq_recv(req_sock, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "{\"id\":\"q\",\"ok\":true}");
    zmq_close(req_sock);
    zmq_ctx_term(ctx);

    vet_client_destroy(&c);
    assert_int_equal(daemon_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

/* ---- every error code ----------------------------------------------- */

static void
test_errors(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, "limits = { max_request_bytes = 4096; };\n", NULL);
    vet_client_t *c = vet_client_new(d.ep);
    assert_non_null(c);

    expect_error(c, "{\"id\":\"e1\",\"partner\":{\"name\":42}}", "bad_request",
                 "partner.name: expected a string", false);
    expect_error(c, "{\"partner\":{\"name\":\"x\"},\"techs\":[]}", "bad_request",
                 "unknown field \"techs\"", true);
    expect_error(c, "{\"partner\":", "bad_request", "invalid JSON", true);
    expect_error(c, "{\"op\":\"dance\"}", "unknown_op", "unknown op \"dance\"", true);
    expect_error(c, "{\"partner\":{\"name\":\"x\"},\"technologies\":[\"quantun\"]}", "bad_request",
                 "technologies[0]: unknown code \"quantun\" (nearest: quantum)", false);

    char big[6000];
    memset(big, ' ', sizeof big);
    memcpy(big, "{\"partner\":{\"name\":\"x\"}}", 24);
    big[sizeof big - 1] = '\0';
    expect_error(c, big, "too_large", "request is 5999 bytes, limit is 4096", true);

    /* The error echoes the id when it could be read. */
    cJSON *j = tu_call(c, "{\"id\":\"e9\",\"partner\":{}}");
    assert_string_equal(tu_jstr(j, "id"), "e9");
    assert_string_equal(tu_jstr(j, "error.code"), "bad_request");
    cJSON_Delete(j);

    /* Two frames after the delimiter is not a request. */
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, tmo = 5000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    assert_int_equal(zmq_connect(s, d.ep), 0);
    zmq_send(s, "", 0, ZMQ_SNDMORE);
    zmq_send(s, "{}", 2, ZMQ_SNDMORE);
    zmq_send(s, "{}", 2, 0);
    char buf[512];
    assert_int_equal(zmq_recv(s, buf, sizeof buf, 0), 0); /* delimiter */
    int n = zmq_recv(s, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "{\"error\":{\"code\":\"bad_request\",\"message\":\"a request is "
                             "one JSON frame after an empty delimiter frame\"}}");
    zmq_close(s);
    zmq_ctx_term(ctx);

    /* And the connection stays usable. */
    j = tu_call(c, "{\"op\":\"stats\"}");
    assert_int_equal((int)tu_jnum(j, "by_error.bad_request"), 6);
    assert_int_equal((int)tu_jnum(j, "by_error.too_large"), 1);
    assert_int_equal((int)tu_jnum(j, "by_error.unknown_op"), 1);
    cJSON_Delete(j);
    vet_client_destroy(&c);
    assert_int_equal(daemon_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

/* A daemon started without a valid ruleset answers unavailable until a
 * reload succeeds. */
static void
test_unavailable_then_reload(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_prepare(&d, NULL);
    char policy[256];
    snprintf(policy, sizeof policy, "%s/policy.cfg", d.rules);
    char *good = tu_read_file(policy, NULL);
    assert_non_null(good);
    tu_write_file(policy, "version = \"broken\";\nrules = ( { id = \"x\"; } );\n");
    const char *const extra[] = {"--allow-no-rules", NULL};
    daemon_spawn(&d, extra);
    assert_int_equal(tu_vetd_wait(&d), 0);
    vet_client_t *c = vet_client_new(d.ep);
    char req[512];
    snprintf(req, sizeof req, HIT_AI, "u1");
    expect_error(c, req, "unavailable", "no ruleset is loaded; fix the ruleset and reload", false);
    expect_error(c, "{\"op\":\"taxonomy\"}", "unavailable", "no ruleset is loaded", true);
    cJSON *j = tu_call(c, "{\"op\":\"version\"}");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "ruleset")));
    cJSON_Delete(j);

    tu_write_file(policy, good);
    free(good);
    j = tu_call(c, "{\"op\":\"reload\"}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "previous")));
    cJSON_Delete(j);
    j = tu_call(c, req);
    assert_string_equal(tu_jstr(j, "verdict"), "prohibited");
    cJSON_Delete(j);
    vet_client_destroy(&c);
    assert_int_equal(daemon_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

/* ---- pipelined burst ------------------------------------------------ */

/* Submits n screening requests (ids prefix-0..n-1) with a window of
 * inflight and receives every reply; checks each id came back exactly
 * once. Returns how many replies were errors. versions, if not NULL,
 * counts replies per ruleset version "fixture-1" / "fixture-2". */
static size_t
burst(vet_client_t *c, size_t n, size_t inflight, const char *prefix, size_t *v1, size_t *v2)
{
    unsigned char *seen = calloc(n, 1);
    size_t sent = 0, got = 0, errors = 0;
    char req[512], id[64];
    while (got < n) {
        while (sent < n && sent - got < inflight) {
            snprintf(id, sizeof id, "%s-%zu", prefix, sent);
            int len = snprintf(req, sizeof req, HIT_AI, id);
            assert_int_equal(vet_submit(c, req, (size_t)len, 5000), VET_OK);
            sent++;
        }
        char *reply = NULL;
        int rc = vet_receive(c, 10000, &reply, NULL);
        if (rc != VET_OK)
            fail_msg("reply %zu of %zu: %s", got + 1, n, vet_client_error(c));
        cJSON *j = cJSON_Parse(reply);
        assert_non_null(j);
        const char *rid = tu_jstr(j, "id");
        assert_non_null(rid);
        assert_true(strncmp(rid, prefix, strlen(prefix)) == 0);
        size_t k = strtoul(rid + strlen(prefix) + 1, NULL, 10);
        assert_true(k < n);
        assert_int_equal(seen[k], 0);
        seen[k] = 1;
        if (cJSON_GetObjectItem(j, "error") != NULL) {
            errors++;
        } else {
            assert_string_equal(tu_jstr(j, "verdict"), "prohibited");
            const char *v = tu_jstr(j, "ruleset.version");
            if (v1 && strcmp(v, "fixture-1") == 0)
                (*v1)++;
            if (v2 && strcmp(v, "fixture-2") == 0)
                (*v2)++;
        }
        cJSON_Delete(j);
        vet_free(reply);
        got++;
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seen[i], 1);
    free(seen);
    return errors;
}

static void
test_pipelined_burst(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, NULL, NULL);
    vet_client_t *c = vet_client_new(d.ep);
    assert_int_equal(burst(c, 10000, 10000, "b", NULL, NULL), 0);
    assert_int_equal(vet_client_pending(c), 0);
    cJSON *j = tu_call(c, "{\"op\":\"stats\"}");
    assert_int_equal((int)tu_jnum(j, "by_op.screen"), 10000);
    assert_int_equal((int)tu_jnum(j, "undeliverable"), 0);
    cJSON_Delete(j);
    vet_client_destroy(&c);
    assert_int_equal(daemon_stop(&d), 0);
    /* One audit line per request (10,000 screens, stats, the pings of
     * the start-up wait). */
    char *audit = tu_read_file(d.audit, NULL);
    assert_non_null(audit);
    size_t lines = 0, screens = 0;
    for (char *p = audit; *p; p++)
        lines += *p == '\n';
    for (char *p = audit; (p = strstr(p, "\"op\":\"screen\"")) != NULL; p++)
        screens++;
    assert_int_equal(screens, 10000);
    assert_true(lines >= 10002);
    free(audit);
    tu_vetd_cleanup(&d);
}

/* ---- reload under load, broken reloads, SIGHUP ---------------------- */

static void
set_version(const tu_vetd_t *d, const char *from, const char *to)
{
    char policy[256];
    snprintf(policy, sizeof policy, "%s/policy.cfg", d->rules);
    char *text = tu_read_file(policy, NULL);
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t pre = (size_t)(at - text);
    char *out = malloc(strlen(text) + strlen(to) + 1);
    memcpy(out, text, pre);
    strcpy(out + pre, to);
    strcat(out, at + strlen(from));
    tu_write_file(policy, out);
    free(out);
    free(text);
}

static void
test_reload_under_load(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, NULL, NULL);
    vet_client_t *load = vet_client_new(d.ep);
    vet_client_t *admin = vet_client_new(d.ep);
    vet_client_set_retries(admin, 0);
    size_t v1 = 0, v2 = 0, errors = 0;
    char prefix[16];
    /* 20 swaps, alternating versions, each with a burst in flight. */
    for (int i = 0; i < 20; i++) {
        const char *from = i % 2 == 0 ? "\"fixture-1\"" : "\"fixture-2\"";
        const char *to = i % 2 == 0 ? "\"fixture-2\"" : "\"fixture-1\"";
        set_version(&d, from, to);
        snprintf(prefix, sizeof prefix, "r%d", i);
        /* Requests go out, the reload is asked while they are served. */
        char req[512];
        size_t sent = 0;
        char id[64];
        for (; sent < 300; sent++) {
            snprintf(id, sizeof id, "%s-%zu", prefix, sent);
            int len = snprintf(req, sizeof req, HIT_AI, id);
            assert_int_equal(vet_submit(load, req, (size_t)len, 5000), VET_OK);
        }
        cJSON *j = tu_call(admin, "{\"op\":\"reload\"}");
        if (!cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")))
            fail_msg("reload %d failed", i);
        cJSON_Delete(j);
        for (size_t k = 0; k < sent; k++) {
            char *reply = NULL;
            if (vet_receive(load, 10000, &reply, NULL) != VET_OK)
                fail_msg("reload %d: reply %zu missing: %s", i, k, vet_client_error(load));
            cJSON *r = cJSON_Parse(reply);
            assert_non_null(r);
            if (cJSON_GetObjectItem(r, "error") != NULL)
                errors++;
            else if (strcmp(tu_jstr(r, "ruleset.version"), "fixture-1") == 0)
                v1++;
            else if (strcmp(tu_jstr(r, "ruleset.version"), "fixture-2") == 0)
                v2++;
            cJSON_Delete(r);
            vet_free(reply);
        }
        /* And a burst after the swap runs wholly on the new ruleset. */
        size_t a = 0, b = 0;
        errors += burst(load, 200, 200, prefix, &a, &b);
        assert_int_equal(i % 2 == 0 ? b : a, 200);
        v1 += a;
        v2 += b;
    }
    assert_int_equal(errors, 0);
    assert_int_equal(v1 + v2, 20 * 500);
    cJSON *j = tu_call(admin, "{\"op\":\"stats\"}");
    assert_int_equal((int)tu_jnum(j, "reloads.ok"), 20);
    assert_int_equal((int)tu_jnum(j, "reloads.failed"), 0);
    cJSON_Delete(j);
    vet_client_destroy(&load);
    vet_client_destroy(&admin);
    assert_int_equal(daemon_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

static void
test_broken_reload(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, NULL, NULL);
    vet_client_t *c = vet_client_new(d.ep);
    vet_client_set_retries(c, 0);
    char policy[256];
    snprintf(policy, sizeof policy, "%s/policy.cfg", d.rules);
    char *good = tu_read_file(policy, NULL);
    char *broken = malloc(strlen(good) + 64);
    strcpy(broken, good);
    char *at = strstr(broken, "ca-nro");
    assert_non_null(at);
    memcpy(at, "ca-nr0", 6);
    tu_write_file(policy, broken);

    cJSON *j = tu_call(c, "{\"id\":\"rb\",\"op\":\"reload\"}");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    const cJSON *errs = cJSON_GetObjectItem(j, "errors");
    assert_true(cJSON_GetArraySize(errs) >= 1);
    const char *e0 = cJSON_GetArrayItem(errs, 0)->valuestring;
    assert_non_null(strstr(e0, "policy.cfg:"));
    assert_non_null(strstr(e0, "unknown list \"ca-nr0\" (did you mean \"ca-nro\"?)"));
    /* The old ruleset keeps serving. */
    assert_string_equal(tu_jstr(j, "ruleset.version"), "fixture-1");
    cJSON_Delete(j);
    char req[512];
    snprintf(req, sizeof req, HIT_AI, "after");
    j = tu_call(c, req);
    assert_string_equal(tu_jstr(j, "verdict"), "prohibited");
    cJSON_Delete(j);

    /* SIGHUP: broken, then fixed with a new version. */
    kill(d.pid, SIGHUP);
    uint64_t end = tu_now_ms() + 5000;
    bool logged = false;
    while (!logged && tu_now_ms() < end) {
        char *log = tu_read_file(d.log, NULL);
        logged = log && strstr(log, "reload failed; still serving fixture-1");
        free(log);
        usleep(20000);
    }
    assert_true(logged);
    tu_write_file(policy, good);
    set_version(&d, "\"fixture-1\"", "\"fixture-2\"");
    kill(d.pid, SIGHUP);
    end = tu_now_ms() + 5000;
    bool swapped = false;
    while (!swapped && tu_now_ms() < end) {
        j = tu_call(c, req);
        swapped = strcmp(tu_jstr(j, "ruleset.version"), "fixture-2") == 0;
        cJSON_Delete(j);
        usleep(20000);
    }
    assert_true(swapped);
    free(good);
    free(broken);
    vet_client_destroy(&c);
    assert_int_equal(daemon_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

/* ---- SIGTERM with requests in flight -------------------------------- */

static void
test_sigterm_drains(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, NULL, NULL);
    vet_client_t *c = vet_client_new(d.ep);
    char req[512], id[32];
    size_t n = 3000;
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "t-%zu", i);
        int len = snprintf(req, sizeof req, HIT_AI, id);
        assert_int_equal(vet_submit(c, req, (size_t)len, 5000), VET_OK);
    }
    /* Stop once the daemon is busy with the burst (its first reply is
     * back), while most of it is still in flight. */
    size_t got = 0;
    char *first = NULL;
    assert_int_equal(vet_receive(c, 10000, &first, NULL), VET_OK);
    vet_free(first);
    got++;
    kill(d.pid, SIGTERM);
    for (; got < n; got++) {
        char *reply = NULL;
        if (vet_receive(c, 10000, &reply, NULL) != VET_OK)
            break;
        assert_non_null(strstr(reply, "\"verdict\":\"prohibited\""));
        vet_free(reply);
    }
    assert_int_equal(got, n);
    int st = 0;
    uint64_t end = tu_now_ms() + 10000;
    pid_t r;
    while ((r = waitpid(d.pid, &st, WNOHANG)) == 0 && tu_now_ms() < end)
        usleep(10000);
    assert_int_equal(r, d.pid);
    d.pid = 0;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* Every request audited, every line whole JSON. */
    char *audit = tu_read_file(d.audit, NULL);
    size_t lines = 0, screens = 0;
    for (char *line = audit, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        if (j == NULL)
            fail_msg("audit line %zu is not JSON: %s", lines + 1, line);
        const char *op = tu_jstr(j, "request.op");
        screens += op && strcmp(op, "screen") == 0;
        assert_non_null(tu_jstr(j, "ts"));
        assert_true(tu_jnum(j, "latency_us") >= 0);
        cJSON_Delete(j);
        lines++;
    }
    assert_int_equal(screens, n);
    free(audit);
    vet_client_destroy(&c);
    tu_vetd_cleanup(&d);
}

/* ---- floods of bad requests ----------------------------------------- */

static void
test_bad_floods(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, "limits = { max_request_bytes = 2048; };\n", NULL);
    vet_client_t *c = vet_client_new(d.ep);
    size_t big_len = 100000;
    char *big = malloc(big_len);
    memset(big, 'x', big_len);
    size_t n = 400, too_large = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 2 == 0)
            assert_int_equal(vet_submit(c, big, big_len, 5000), VET_OK);
        else
            assert_int_equal(vet_submit(c, "{\"partner\":{\"name\":[1,2", 23, 5000), VET_OK);
    }
    for (size_t i = 0; i < n; i++) {
        char *reply = NULL;
        if (vet_receive(c, 10000, &reply, NULL) != VET_OK)
            fail_msg("flood reply %zu missing", i);
        too_large += strstr(reply, "\"code\":\"too_large\"") != NULL;
        bad += strstr(reply, "\"code\":\"bad_request\"") != NULL;
        vet_free(reply);
    }
    assert_int_equal(too_large, n / 2);
    assert_int_equal(bad, n / 2);
    free(big);
    char req[512];
    snprintf(req, sizeof req, HIT_AI, "ok");
    cJSON *j = tu_call(c, req);
    assert_string_equal(tu_jstr(j, "verdict"), "prohibited");
    cJSON_Delete(j);
    vet_client_destroy(&c);
    assert_int_equal(daemon_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

/* ---- the audit log: masking, rejected requests, reopen -------------- */

static void
test_audit_log(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, "audit = { mask = [\"partner.name\", \"context\"]; fsync = \"always\"; };\n",
                 NULL);
    vet_client_t *c = vet_client_new(d.ep);
    cJSON *j =
        tu_call(c, "{\"id\":\"a1\",\"partner\":{\"name\":\"Harbin Institute of Technology\","
                   "\"country\":\"CN\"},\"technologies\":[\"ai\"],\"activity\":\"affiliation\","
                   "\"context\":{\"grant\":\"G-1\"}}");
    cJSON_Delete(j);
    j = tu_call(c, "{\"id\":\"a2\",\"partner\":{\"name\":7}}");
    cJSON_Delete(j);

    /* logrotate: move the file away, SIGUSR1, and the next record goes
     * to a new file. */
    char moved[160];
    snprintf(moved, sizeof moved, "%s.1", d.audit);
    uint64_t end = tu_now_ms() + 5000;
    char *text = NULL;
    while (tu_now_ms() < end) {
        free(text);
        text = tu_read_file(d.audit, NULL);
        if (text && strstr(text, "\"a2\""))
            break;
        usleep(10000);
    }
    assert_int_equal(rename(d.audit, moved), 0);
    kill(d.pid, SIGUSR1);
    end = tu_now_ms() + 5000;
    while (access(d.audit, F_OK) != 0 && tu_now_ms() < end)
        usleep(10000);
    j = tu_call(c, "{\"id\":\"a3\",\"op\":\"ping\"}");
    cJSON_Delete(j);
    vet_client_destroy(&c);
    assert_int_equal(daemon_stop(&d), 0);

    free(text);
    text = tu_read_file(moved, NULL);
    assert_non_null(text);
    assert_null(strstr(text, "Harbin"));
    assert_null(strstr(text, "G-1"));
    char *a1 = strstr(text, "\"id\":\"a1\"");
    assert_non_null(a1);
    assert_non_null(strstr(text, "\"name\":\"***\""));
    assert_non_null(strstr(text, "\"context\":{\"grant\":\"***\"}"));
    assert_non_null(strstr(text, "\"verdict\":\"prohibited\""));
    assert_non_null(strstr(text, "\"rules\":[\"strac-nro\",\"nro-named\"]"));
    assert_non_null(strstr(text, "\"partners\":[\"hit\"]"));
    /* The rejected request is audited with its error; with a mask set,
     * its raw bytes are not kept. */
    char *a2 = strstr(text, "\"id\":\"a2\"");
    assert_non_null(a2);
    assert_non_null(strstr(a2, "\"error\":{\"code\":\"bad_request\",\"message\":"
                               "\"partner.name: expected a string\"}"));
    assert_null(strstr(text, "\"raw\""));
    assert_null(strstr(text, "\"a3\""));
    free(text);
    text = tu_read_file(d.audit, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"id\":\"a3\""));
    free(text);
    tu_vetd_cleanup(&d);
}

/* ---- jurisdiction profiles (issue 13) ------------------------------- */

/* The fixture's rules in three profiles, appended to its policy. */
#define FIXTURE_PROFILES                                                                           \
    "default_profile = \"all\";\n"                                                                 \
    "profiles = (\n"                                                                               \
    "  { id = \"ca\"; label = \"Canada\"; rules = [ \"strac-nro\", \"nro-*\", \"fuzzy-confirm\" "  \
    "]; },\n"                                                                                      \
    "  { id = \"sanctions\"; label = \"Sanctions\"; rules = [ \"sdn-block\" ]; },\n"               \
    "  { id = \"all\"; label = \"Every rule\"; rules = [ \"*\" ]; }\n"                             \
    ");\n"

/* The daemon's --profile judges requests naming none; a request's own
 * profile wins; the reply and the audit record name it; {"op":"profiles"}
 * lists them with the daemon's default; a reload that would drop the
 * daemon's profile is refused and the old ruleset keeps serving. */
static void
test_profiles(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_prepare(&d, "audit = { fsync = \"always\"; };\n");
    char policy[256];
    snprintf(policy, sizeof policy, "%s/policy.cfg", d.rules);
    char *good = tu_read_file(policy, NULL);
    assert_non_null(good);
    size_t cap = strlen(good) + sizeof FIXTURE_PROFILES;
    char *with = malloc(cap);
    snprintf(with, cap, "%s%s", good, FIXTURE_PROFILES);
    tu_write_file(policy, with);
    const char *extra[] = {"--profile", "sanctions", NULL};
    daemon_spawn(&d, extra);
    assert_int_equal(tu_vetd_wait(&d), 0);
    vet_client_t *c = vet_client_new(d.ep);
    vet_client_set_retries(c, 0);

    char req[512];
    snprintf(req, sizeof req, HIT_AI, "pf-default");
    cJSON *j = tu_call(c, req);
    assert_string_equal(tu_jstr(j, "verdict"), "clear"); /* HIT is on no sanctions list */
    assert_string_equal(tu_jstr(j, "profile"), "sanctions");
    cJSON_Delete(j);
    j = tu_call(c, "{\"id\":\"pf-ca\",\"profile\":\"ca\",\"partner\":{\"name\":\"Harbin "
                   "Institute of Technology\",\"country\":\"CN\"},\"technologies\":[\"ai.ml\"],"
                   "\"activity\":\"affiliation\"}");
    assert_string_equal(tu_jstr(j, "verdict"), "prohibited");
    assert_string_equal(tu_jstr(j, "profile"), "ca");
    cJSON_Delete(j);
    expect_error(c, "{\"id\":\"pf-bad\",\"profile\":\"canada\",\"partner\":{\"name\":\"x\"}}",
                 "bad_request", "profile: unknown profile \"canada\"", true);

    j = tu_call(c, "{\"id\":\"pf-list\",\"op\":\"profiles\"}");
    assert_string_equal(tu_jstr(j, "default"), "sanctions");
    const cJSON *ps = cJSON_GetObjectItem(j, "profiles");
    assert_int_equal(cJSON_GetArraySize(ps), 3);
    const cJSON *ca = cJSON_GetArrayItem(ps, 0);
    assert_string_equal(tu_jstr(ca, "id"), "ca");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ca, "rules")), 4);
    cJSON_Delete(j);

    /* A ruleset without the daemon's profile does not serve it. */
    char *dropped = strdup(with);
    char *at = strstr(dropped, "id = \"sanctions\"");
    assert_non_null(at);
    memcpy(at, "id = \"sanctionz\"", 16);
    tu_write_file(policy, dropped);
    j = tu_call(c, "{\"id\":\"pf-reload\",\"op\":\"reload\"}");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    char *s = cJSON_PrintUnformatted(j);
    assert_non_null(strstr(s, "the daemon's profile \\\"sanctions\\\" (vetd.cfg profile, "
                              "--profile) is not a profile of this ruleset (did you mean "
                              "\\\"sanctionz\\\"?)"));
    free(s);
    cJSON_Delete(j);
    snprintf(req, sizeof req, HIT_AI, "pf-after");
    j = tu_call(c, req);
    assert_string_equal(tu_jstr(j, "profile"), "sanctions");
    cJSON_Delete(j);
    vet_client_destroy(&c);
    assert_int_equal(daemon_stop(&d), 0);

    char *text = tu_read_file(d.audit, NULL);
    assert_non_null(text);
    char *rec = strstr(text, "\"id\":\"pf-default\"");
    assert_non_null(rec);
    assert_non_null(strstr(rec, "\"verdict\":\"clear\",\"profile\":\"sanctions\""));
    rec = strstr(text, "\"id\":\"pf-ca\"");
    assert_non_null(rec);
    /* The request as sent, then the profile it was judged by. */
    assert_non_null(strstr(rec, "\"profile\":\"ca\"}"));
    assert_non_null(strstr(rec, "\"verdict\":\"prohibited\",\"profile\":\"ca\""));
    free(text);
    free(dropped);
    free(with);
    free(good);
    tu_vetd_cleanup(&d);
}

/* ---- list editions (issue 14) ---------------------------------------- */

static int vet_cli(const tu_vetd_t *d, const char *args, char *out, size_t outlen);

/* A list past its maximum age: logged at start, marked in version and
 * stats, and every screening reply carries the warning (vet prints it). */
static void
test_stale_list(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_prepare(&d, NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/registry/nro.cfg", d.rules);
    char *nro = tu_read_file(path, NULL);
    assert_non_null(nro);
    char *at = strstr(nro, "url = \"https://science.gc.ca/\";");
    assert_non_null(at);
    size_t cap = strlen(nro) + 128;
    char *aged = malloc(cap);
    snprintf(aged, cap, "%.*sas_of = \"2024-04-18\"; max_age_days = 365; %s", (int)(at - nro), nro,
             at);
    tu_write_file(path, aged);
    daemon_spawn(&d, NULL);
    assert_int_equal(tu_vetd_wait(&d), 0);
    vet_client_t *c = vet_client_new(d.ep);
    char req[512];
    snprintf(req, sizeof req, HIT_AI, "st-1");
    cJSON *j = tu_call(c, req);
    assert_string_equal(tu_jstr(j, "verdict"), "prohibited");
    const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "stale"), 0);
    assert_non_null(st);
    assert_string_equal(tu_jstr(st, "list"), "ca-nro");
    assert_string_equal(tu_jstr(st, "as_of"), "2024-04-18");
    assert_string_equal(tu_jstr(j, "ruleset.version"), "fixture-1+lists.20240418");
    cJSON_Delete(j);
    j = tu_call(c, "{\"op\":\"stats\"}");
    const cJSON *l0 =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ruleset"), "lists"), 0);
    assert_string_equal(tu_jstr(l0, "id"), "ca-nro");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(l0, "stale")));
    assert_int_equal((int)tu_jnum(l0, "entries"), 5);
    cJSON_Delete(j);
    char out[8192];
    assert_int_equal(
        vet_cli(&d, "screen --name 'Harbin Institute of Technology' --country CN", out, sizeof out),
        10);
    assert_non_null(strstr(out, "  stale    ca-nro (edition 2024-04-18, older than 365 days): "
                                "update the lists (vet-update)\n"));
    vet_client_destroy(&c);
    assert_int_equal(daemon_stop(&d), 0);
    char *log = tu_read_file(d.log, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "list ca-nro is stale: its edition of 2024-04-18 is older than 365 "
                                "days"));
    free(log);
    free(aged);
    free(nro);
    tu_vetd_cleanup(&d);
}

/* A torn last line (a crash mid-write) is cut off when vetd opens the
 * log, so the file stays valid JSON lines. */
static void
test_audit_torn_tail(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_prepare(&d, NULL);
    tu_write_file(d.audit, "{\"id\":\"old\"}\n{\"id\":\"torn");
    daemon_spawn(&d, NULL);
    assert_int_equal(tu_vetd_wait(&d), 0);
    assert_int_equal(daemon_stop(&d), 0);
    char *text = tu_read_file(d.audit, NULL);
    assert_true(strncmp(text, "{\"id\":\"old\"}\n{\"ts\":", 19) == 0);
    assert_null(strstr(text, "torn"));
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(text);
    tu_vetd_cleanup(&d);
}

/* ---- configuration errors ------------------------------------------- */

static void
test_config_errors(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_prepare(&d, "workers = 2;\nlimits = { hwm = 1000; max_reqest_bytes = 10; };\n"
                       "audit = { fsync = \"sometimes\"; };\n");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "timeout 10 %s -c %s -e %s > %s/out 2>&1",
             tu_env_or("VETD_BIN", "bin/vetd"), d.cfg, d.ep, d.dir);
    assert_int_equal(tu_run(cmd), 78);
    char path[160];
    snprintf(path, sizeof path, "%s/out", d.dir);
    char *out = tu_read_file(path, NULL);
    char want[512];
    snprintf(want, sizeof want,
             "%s:2: unknown setting \"max_reqest_bytes\" in limits "
             "(did you mean \"max_request_bytes\"?)",
             d.cfg);
    if (strstr(out, want) == NULL)
        fail_msg("missing \"%s\" in:\n%s", want, out);
    snprintf(want, sizeof want,
             "%s:3: audit.fsync: \"sometimes\" is not one of \"always\", "
             "\"interval\", \"never\"",
             d.cfg);
    if (strstr(out, want) == NULL)
        fail_msg("missing \"%s\" in:\n%s", want, out);
    free(out);

    /* An endpoint already taken: exit 71 with the reason. */
    void *ctx = zmq_ctx_new();
    void *taken = zmq_socket(ctx, ZMQ_ROUTER);
    assert_int_equal(zmq_bind(taken, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t eplen = sizeof ep;
    assert_int_equal(zmq_getsockopt(taken, ZMQ_LAST_ENDPOINT, ep, &eplen), 0);
    snprintf(cmd, sizeof cmd, "timeout 10 %s -r %s -e %s -a - --allow-root > %s/out 2>&1",
             tu_env_or("VETD_BIN", "bin/vetd"), d.rules, ep, d.dir);
    assert_int_equal(tu_run(cmd), 71);
    out = tu_read_file(path, NULL);
    snprintf(want, sizeof want, "cannot listen on %s: Address already in use", ep);
    if (strstr(out, want) == NULL)
        fail_msg("missing \"%s\" in:\n%s", want, out);
    free(out);
    zmq_close(taken);
    zmq_ctx_term(ctx);

    /* Flags override the file; --print-config shows what is in effect. */
    tu_write_file(d.cfg, "workers = 3;\naudit = { path = \"/var/log/x.jsonl\"; };\n");
    snprintf(cmd, sizeof cmd, "timeout 10 %s -c %s -w 5 --print-config > %s/out 2>&1",
             tu_env_or("VETD_BIN", "bin/vetd"), d.cfg, d.dir);
    assert_int_equal(tu_run(cmd), 0);
    out = tu_read_file(path, NULL);
    assert_non_null(strstr(out, "workers = 5;"));
    assert_non_null(strstr(out, "  path = \"/var/log/x.jsonl\";"));
    free(out);
    tu_vetd_cleanup(&d);
}

/* ---- the vet CLI against the daemon --------------------------------- */

static int
vet_cli(const tu_vetd_t *d, const char *args, char *out, size_t outlen)
{
    char cmd[1024], path[160];
    snprintf(path, sizeof path, "%s/cli.out", d->dir);
    snprintf(cmd, sizeof cmd, "timeout 20 %s -e %s %s > %s 2>&1", tu_env_or("VET_BIN", "bin/vet"),
             d->ep, args, path);
    int rc = tu_run(cmd);
    char *text = tu_read_file(path, NULL);
    snprintf(out, outlen, "%s", text ? text : "");
    free(text);
    return rc;
}

/* The default ruleset (rules/) served by a real vetd and asked through
 * the vet CLI, as a user would: one request per kind of list and policy,
 * with the exit code and the rule that must be reported. */
static void
test_default_ruleset(void **state)
{
    (void)state;
    static const struct {
        const char *args;
        int exit;
        const char *shows;
    } cases[] = {
        {"--name 'Korea Mining Development Trading Corporation' --country KP "
         "--activity procurement",
         20, "rule     sanctions-blocked  prohibited 100"},
        {"--name KOMID --country KP --past --activity procurement", 10,
         "rule     sanctions-past  review 60"},
        {"--name '54th Research Institute of China' --tech sensing.radar "
         "--activity visiting_researcher",
         20, "rule     export-control-transfer  prohibited 95"},
        {"--name 'Qihoo 360' --country CN --tech digital.cyber --activity research_partnership", 10,
         "rule     advisory-1260h  review 55"},
        {"--name '14th Research Institute of CETC' --tech sensing.radar --activity joint_lab", 10,
         "rule     mcf-related  review 60"},
        {"--name 'Harbin Institute of Technology' --country CN --tech quantum.sensing "
         "--activity affiliation",
         20, "rule     strac-nro-current  prohibited 100"},
        {"--name 'Harbin University of Science and Technology' --country CN --tech ai "
         "--activity affiliation",
         0, "partner  no match"},
        /* Partners as institutions write them (issue 12): through the
         * daemon and the CLI, as a user screens them. */
        {"--name 'Natl Univ Def Technol, Coll Comp Sci & Technol, Changsha 410073, Hunan, "
         "Peoples R China' --tech ai --activity affiliation",
         10, "[unit, 0.95]  lists: ca-nro, us-el, us-dod-1286  span: \"Natl Univ Def Technol\""},
        {"--name 'Iran Electronics Industries (IEI)' --country IR --activity procurement", 20,
         "rule     sanctions-blocked  prohibited 100"},
        {"--name '北京航空航天大學' --tech aerospace --activity funding", 20,
         "rule     strac-nro-current  prohibited 100"},
        {"--name 'Huawei Technologies Canada Co., Ltd.' --activity research_partnership", 10,
         "[related, 0.92]"},
        {"--name 'CETC 14th Research Institute' --tech sensing.radar --activity joint_lab", 10,
         "[unit \"CETC\", 0.95]"},
        {"--name SBU --country US --tech ai --activity co_authorship", 0, "partner  no match"},
        {"--name 'Tsinghua University' --country CN --activity co_authorship", 0,
         "note     The partner matched tsinghua (exact)"},
    };
    tu_vetd_t d;
    daemon_prepare(&d, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s && cp -R rules %s", d.rules, d.rules);
    assert_int_equal(tu_run(cmd), 0);
    daemon_spawn(&d, NULL);
    assert_int_equal(tu_vetd_wait(&d), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[512], out[8192];
        snprintf(args, sizeof args, "screen %s", cases[i].args);
        int rc = vet_cli(&d, args, out, sizeof out);
        if (rc != cases[i].exit || strstr(out, cases[i].shows) == NULL)
            fail_msg("vet %s: exit %d (want %d), output:\n%s", args, rc, cases[i].exit, out);
    }
    assert_int_equal(daemon_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

static void
test_cli(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, NULL, NULL);
    char out[8192];
    assert_int_equal(vet_cli(&d,
                             "screen --name 'Harbin Institute of Technology' --country CN "
                             "--tech ai.ml --activity affiliation",
                             out, sizeof out),
                     20);
    assert_true(strncmp(out, "prohibited (score 100)\n", 23) == 0);
    assert_non_null(strstr(out, "strac-nro"));
    assert_non_null(strstr(out, "Harbin Institute of Technology"));

    assert_int_equal(vet_cli(&d,
                             "screen --name 'Harbin Institute of Technology' --tech ai "
                             "--activity affiliation --past",
                             out, sizeof out),
                     10);
    assert_true(strncmp(out, "review", 6) == 0);
    assert_int_equal(vet_cli(&d,
                             "screen --name 'Northwestern University' --country US "
                             "--tech ai --activity affiliation",
                             out, sizeof out),
                     0);
    assert_true(strncmp(out, "clear", 5) == 0);

    assert_int_equal(vet_cli(&d,
                             "screen --json --request-id cli-1 --name 'WSIEC' "
                             "--country CN --activity other",
                             out, sizeof out),
                     20);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(tu_jstr(j, "id"), "cli-1");
    assert_string_equal(tu_jstr(j, "verdict"), "prohibited");
    cJSON_Delete(j);

    assert_int_equal(vet_cli(&d, "screen --name x --tech quantun", out, sizeof out), 65);
    assert_non_null(strstr(out, "bad_request: technologies[0]: unknown code \"quantun\""));
    assert_int_equal(vet_cli(&d, "ping", out, sizeof out), 0);
    assert_int_equal(vet_cli(&d, "version", out, sizeof out), 0);
    assert_non_null(strstr(out, "fixture-1"));
    assert_int_equal(vet_cli(&d, "stats --json", out, sizeof out), 0);
    j = cJSON_Parse(out);
    assert_non_null(j);
    assert_true(tu_jnum(j, "requests") >= 6);
    cJSON_Delete(j);
    assert_int_equal(vet_cli(&d, "reload", out, sizeof out), 0);
    assert_int_equal(vet_cli(&d, "frobnicate", out, sizeof out), 64);
    assert_int_equal(daemon_stop(&d), 0);

    /* Nobody there: exit 69 with the reason, well within the timeout. */
    uint64_t t0 = tu_now_ms();
    assert_int_equal(vet_cli(&d, "-t 500 ping", out, sizeof out), 69);
    assert_true(tu_now_ms() - t0 < 5000);
    char want[256];
    snprintf(want, sizeof want, "vetd not answering at %s: timed out after 500 ms", d.ep);
    if (strstr(out, want) == NULL)
        fail_msg("missing \"%s\" in: %s", want, out);
    tu_vetd_cleanup(&d);
}

/* ---- a crash loses at most the last interval of audit records ------- */

static void
test_audit_survives_kill9(void **state)
{
    (void)state;
    tu_vetd_t d;
    daemon_start(&d, "audit = { fsync = \"interval\"; fsync_interval_ms = 100; };\n", NULL);
    vet_client_t *c = vet_client_new(d.ep);
    assert_int_equal(burst(c, 2000, 500, "k", NULL, NULL), 0);
    /* Longer than one interval: every record of an answered request is
     * now on disk, so kill -9 must not lose any of them. */
    usleep(400000);
    kill(d.pid, SIGKILL);
    waitpid(d.pid, NULL, 0);
    d.pid = 0;
    vet_client_destroy(&c);
    char *audit = tu_read_file(d.audit, NULL);
    assert_non_null(audit);
    assert_int_equal(audit[strlen(audit) - 1], '\n');
    size_t screens = 0;
    for (char *line = audit, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        if (j == NULL)
            fail_msg("audit line is not JSON after kill -9: %s", line);
        const char *id = tu_jstr(j, "id");
        screens += id != NULL && strncmp(id, "k-", 2) == 0;
        cJSON_Delete(j);
    }
    assert_int_equal(screens, 2000);
    free(audit);
    /* And a restarted daemon appends to the same file cleanly. */
    daemon_spawn(&d, NULL);
    assert_int_equal(tu_vetd_wait(&d), 0);
    assert_int_equal(daemon_stop(&d), 0);
    char *log = tu_read_file(d.log, NULL);
    assert_null(strstr(log, "torn"));
    free(log);
    tu_vetd_cleanup(&d);
}

/* ---- the documentation's examples ------------------------------------ */

/* docs/examples/vetd.cfg loads, and sets every setting to what the file
 * says: each line --print-config writes is a line of the file. */
static void
test_doc_config_example(void **state)
{
    (void)state;
    char dir[] = "/tmp/vetd-doc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[512], path[160];
    snprintf(path, sizeof path, "%s/out", dir);
    snprintf(cmd, sizeof cmd, "timeout 10 %s -c docs/examples/vetd.cfg --print-config > %s 2>&1",
             tu_env_or("VETD_BIN", "bin/vetd"), path);
    int rc = tu_run(cmd);
    char *out = tu_read_file(path, NULL);
    assert_non_null(out);
    if (rc != 0)
        fail_msg("vetd -c docs/examples/vetd.cfg --print-config: exit %d:\n%s", rc, out);
    char *file = tu_read_file("docs/examples/vetd.cfg", NULL);
    assert_non_null(file);
    size_t settings = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        while (*line == ' ')
            line++;
        /* A whole line of the file, after its indentation. */
        bool found = false;
        size_t n = strlen(line);
        for (const char *p = strstr(file, line); p != NULL && !found; p = strstr(p + 1, line)) {
            const char *b = p;
            while (b > file && b[-1] == ' ')
                b--;
            found = (b == file || b[-1] == '\n') && (p[n] == '\n' || p[n] == '\0');
        }
        if (!found)
            fail_msg("docs/examples/vetd.cfg: no line \"%s\" (vetd --print-config prints it)",
                     line);
        settings += strstr(line, " = ") != NULL && strchr(line, '{') == NULL;
    }
    /* Every setting of dconf.c's table (the three curve ones, unset,
     * print as comments). */
    assert_int_equal(settings, 27);
    free(out);
    free(file);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    tu_run(cmd);
}

/* One example of docs/PROTOCOL.md run against the daemon:
 *   <!-- daemon-request: NAME [daemon=SETUP] [ruleset=good|broken] -->
 *   ```json            one request, sent through libvet
 *   <!-- daemon-frames: NAME ... -->
 *   ```json            a JSON array of strings: the frames a DEALER sends
 *   <!-- daemon-expect NAME: TEXT -->      the reply contains TEXT
 *   <!-- daemon-expect-not NAME: TEXT -->  the reply does not contain TEXT
 * SETUP is default (the fixture ruleset), small-limit
 * (limits.max_request_bytes = 256) or no-rules (a broken ruleset and
 * --allow-no-rules). ruleset= rewrites the ruleset on disk before the
 * request is sent (broken: a rule names the list "us-sdm"). */
typedef struct doc_ex {
    char name[64];
    bool frames;
    char setup[32];
    char ruleset[16];
    char *body;
} doc_ex_t;

typedef struct doc_expect {
    char name[64];
    char *text;
    bool neg;
    bool used;
} doc_expect_t;

#define DOC_MAX 64

/* Splits "NAME key=value ..." of a marker into ex. */
static void
doc_marker(doc_ex_t *ex, char *args)
{
    strcpy(ex->setup, "default");
    for (char *tok = strtok(args, " "); tok != NULL; tok = strtok(NULL, " ")) {
        if (strncmp(tok, "daemon=", 7) == 0)
            snprintf(ex->setup, sizeof ex->setup, "%s", tok + 7);
        else if (strncmp(tok, "ruleset=", 8) == 0)
            snprintf(ex->ruleset, sizeof ex->ruleset, "%s", tok + 8);
        else if (ex->name[0] == '\0')
            snprintf(ex->name, sizeof ex->name, "%s", tok);
        else
            fail_msg("daemon example marker: unknown option \"%s\"", tok);
    }
}

/* Reads the markers of page into ex[] and exp[]; returns their counts. */
static void
doc_parse(char *page, doc_ex_t *ex, size_t *nex, doc_expect_t *exp, size_t *nexp)
{
    *nex = *nexp = 0;
    char *save = NULL;
    doc_ex_t *want = NULL; /* waiting for its code block */
    char *block = NULL;    /* inside a block that is an example */
    for (char *line = strtok_r(page, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (block != NULL) {
            if (strncmp(line, "```", 3) == 0) {
                *block = '\0';
                block = NULL;
                want = NULL;
            } else {
                size_t n = strlen(line);
                memmove(block, line, n); /* the body only shrinks */
                block[n] = '\n';
                block += n + 1;
            }
            continue;
        }
        if (want != NULL && strncmp(line, "```", 3) == 0) {
            want->body = block = line + strlen(line) + 1;
            continue;
        }
        bool req = strncmp(line, "<!-- daemon-request: ", 21) == 0;
        bool frames = strncmp(line, "<!-- daemon-frames: ", 20) == 0;
        bool neg = strncmp(line, "<!-- daemon-expect-not ", 23) == 0;
        bool pos = !neg && strncmp(line, "<!-- daemon-expect ", 19) == 0;
        char *end = strstr(line, " -->");
        if ((req || frames || pos || neg) && end == NULL)
            fail_msg("PROTOCOL.md: unterminated marker: %s", line);
        if (req || frames) {
            assert_true(*nex < DOC_MAX);
            if (want != NULL)
                fail_msg("PROTOCOL.md: example %s has no code block", want->name);
            want = &ex[(*nex)++];
            memset(want, 0, sizeof *want);
            want->frames = frames;
            *end = '\0';
            doc_marker(want, line + (req ? 21 : 20));
        } else if (pos || neg) {
            assert_true(*nexp < DOC_MAX * 4);
            doc_expect_t *e = &exp[(*nexp)++];
            memset(e, 0, sizeof *e);
            char *name = line + (neg ? 23 : 19);
            char *colon = strstr(name, ": ");
            if (colon == NULL || colon > end)
                fail_msg("PROTOCOL.md: expect line without \": \": %s", line);
            *colon = '\0';
            *end = '\0';
            snprintf(e->name, sizeof e->name, "%s", name);
            e->text = colon + 2;
            e->neg = neg;
        }
    }
    if (want != NULL)
        fail_msg("PROTOCOL.md: example %s has no code block", want->name);
}

/* Writes the fixture's policy.cfg back, or a broken one. */
static void
doc_ruleset(const tu_vetd_t *d, const char *good, const char *which)
{
    char policy[256];
    snprintf(policy, sizeof policy, "%s/policy.cfg", d->rules);
    if (strcmp(which, "good") == 0) {
        tu_write_file(policy, good);
        return;
    }
    if (strcmp(which, "broken") != 0)
        fail_msg("PROTOCOL.md: unknown ruleset=%s", which);
    char *bad = strdup(good);
    char *at = strstr(bad, "has \\\"us-sdn\\\"");
    assert_non_null(at);
    at[strlen("has \\\"us-sd")] = 'm';
    tu_write_file(policy, bad);
    free(bad);
}

/* Sends the frames of ex (a JSON array of strings) from a DEALER and
 * returns the last frame of the reply; checks that the reply starts with
 * an empty delimiter exactly when the request did. Caller frees. */
static char *
doc_send_frames(const tu_vetd_t *d, const doc_ex_t *ex)
{
    cJSON *arr = cJSON_Parse(ex->body);
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        fail_msg("PROTOCOL.md: %s: expected a JSON array of strings", ex->name);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, tmo = 5000;
    assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger), 0);
    assert_int_equal(zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo), 0);
    assert_int_equal(zmq_connect(s, d->ep), 0);
    int n = cJSON_GetArraySize(arr);
    for (int i = 0; i < n; i++) {
        const char *f = cJSON_GetStringValue(cJSON_GetArrayItem(arr, i));
        assert_non_null(f);
        assert_true(zmq_send(s, f, strlen(f), i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
    }
    bool delim = cJSON_GetStringValue(cJSON_GetArrayItem(arr, 0))[0] == '\0';
    cJSON_Delete(arr);
    char *last = NULL;
    int frames = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) < 0)
            fail_msg("%s: no reply: %s", ex->name, zmq_strerror(errno));
        frames++;
        free(last);
        last = strndup(zmq_msg_data(&m), zmq_msg_size(&m));
        more = zmq_msg_more(&m);
        zmq_msg_close(&m);
    }
    assert_int_equal(frames, delim ? 2 : 1);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return last;
}

/* Runs the examples of one daemon set-up, in the page's order. */
static void
doc_run_setup(const char *setup, doc_ex_t *ex, size_t nex, doc_expect_t *exp, size_t nexp)
{
    size_t count = 0;
    for (size_t i = 0; i < nex; i++)
        count += strcmp(ex[i].setup, setup) == 0;
    if (count == 0)
        return;
    tu_vetd_t d;
    const char *cfg =
        strcmp(setup, "small-limit") == 0 ? "limits = { max_request_bytes = 256; };\n" : NULL;
    daemon_prepare(&d, cfg);
    char policy[256];
    snprintf(policy, sizeof policy, "%s/policy.cfg", d.rules);
    char *good = tu_read_file(policy, NULL);
    assert_non_null(good);
    const char *const no_rules[] = {"--allow-no-rules", NULL};
    if (strcmp(setup, "no-rules") == 0) {
        doc_ruleset(&d, good, "broken");
        daemon_spawn(&d, no_rules);
    } else if (strcmp(setup, "default") == 0 || strcmp(setup, "small-limit") == 0) {
        daemon_spawn(&d, NULL);
    } else {
        fail_msg("PROTOCOL.md: unknown daemon=%s", setup);
    }
    assert_int_equal(tu_vetd_wait(&d), 0);
    vet_client_t *c = vet_client_new(d.ep);
    assert_non_null(c);
    vet_client_set_retries(c, 0);
    for (size_t i = 0; i < nex; i++) {
        if (strcmp(ex[i].setup, setup) != 0)
            continue;
        if (ex[i].ruleset[0] != '\0')
            doc_ruleset(&d, good, ex[i].ruleset);
        char *reply = NULL;
        if (ex[i].frames) {
            reply = doc_send_frames(&d, &ex[i]);
        } else if (vet_screen(c, ex[i].body, 5000, &reply) != VET_OK) {
            fail_msg("%s: %s", ex[i].name, vet_client_error(c));
        }
        size_t checks = 0;
        for (size_t k = 0; k < nexp; k++) {
            if (strcmp(exp[k].name, ex[i].name) != 0)
                continue;
            exp[k].used = true;
            checks++;
            if ((strstr(reply, exp[k].text) != NULL) == exp[k].neg)
                fail_msg("PROTOCOL.md example %s (daemon=%s): %s \"%s\" in the reply:\n%s",
                         ex[i].name, setup, exp[k].neg ? "unexpected" : "missing", exp[k].text,
                         reply);
        }
        if (checks == 0)
            fail_msg("PROTOCOL.md example %s has no daemon-expect line", ex[i].name);
        free(reply);
    }
    vet_client_destroy(&c);
    free(good);
    assert_int_equal(daemon_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

/* docs/PROTOCOL.md: every daemon example gets the reply it shows; every
 * op and every error code a daemon can give has one. */
static void
test_doc_protocol_examples(void **state)
{
    (void)state;
    char *page = tu_read_file("docs/PROTOCOL.md", NULL);
    assert_non_null(page);
    doc_ex_t *ex = calloc(DOC_MAX, sizeof *ex);
    doc_expect_t *exp = calloc(DOC_MAX * 4, sizeof *exp);
    size_t nex, nexp;
    doc_parse(page, ex, &nex, exp, &nexp);

    /* Coverage: each op is sent, each error code (but internal) is
     * expected, and so is a failed reload. */
    static const char *const ops[] = {"screen", "ping", "version", "stats", "reload", "taxonomy"};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        bool seen = false;
        for (size_t i = 0; i < nex && !seen; i++) {
            if (ex[i].frames)
                continue;
            cJSON *j = cJSON_Parse(ex[i].body);
            if (j == NULL)
                continue; /* the malformed-JSON example */
            const char *op = tu_jstr(j, "op");
            seen = strcmp(op ? op : "screen", ops[o]) == 0;
            cJSON_Delete(j);
        }
        if (!seen)
            fail_msg("PROTOCOL.md has no daemon example of op %s", ops[o]);
    }
    static const char *const wanted[] = {
        "\"code\":\"bad_request\"",
        "\"code\":\"too_large\"",
        "\"code\":\"unknown_op\"",
        "\"code\":\"unavailable\"",
        "\"ok\":false",
        "a request is one JSON frame after an empty delimiter frame",
    };
    for (size_t w = 0; w < sizeof wanted / sizeof wanted[0]; w++) {
        bool seen = false;
        for (size_t k = 0; k < nexp && !seen; k++)
            seen = !exp[k].neg && strstr(exp[k].text, wanted[w]) != NULL;
        if (!seen)
            fail_msg("PROTOCOL.md has no daemon example expecting %s", wanted[w]);
    }

    doc_run_setup("default", ex, nex, exp, nexp);
    doc_run_setup("small-limit", ex, nex, exp, nexp);
    doc_run_setup("no-rules", ex, nex, exp, nexp);
    for (size_t i = 0; i < nex; i++)
        if (strcmp(ex[i].setup, "default") != 0 && strcmp(ex[i].setup, "small-limit") != 0 &&
            strcmp(ex[i].setup, "no-rules") != 0)
            fail_msg("PROTOCOL.md example %s: unknown daemon=%s", ex[i].name, ex[i].setup);
    for (size_t k = 0; k < nexp; k++)
        if (!exp[k].used)
            fail_msg("PROTOCOL.md: daemon-expect for unknown example \"%s\"", exp[k].name);
    assert_true(nex >= 15);
    free(ex);
    free(exp);
    free(page);
}

/* Copies line to out with what changes from run to run (digests: 12 or
 * more hex digits; times: the number before " us") made "#". */
static void
doc_normalise(const char *line, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = line; *p != '\0' && o + 2 < cap;) {
        size_t hex = strspn(p, "0123456789abcdef"), dig = strspn(p, "0123456789");
        if (hex >= 12 || (dig > 0 && strncmp(p + dig, " us", 3) == 0)) {
            out[o++] = '#';
            p += hex >= 12 ? hex : dig;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

/* Compares what a command printed with the transcript's lines. */
static void
doc_compare(const char *cmd, const char *got, const char *want)
{
    char *g = strdup(got), *w = strdup(want);
    char *gs = NULL, *ws = NULL;
    char *gl = strtok_r(g, "\n", &gs), *wl = strtok_r(w, "\n", &ws);
    for (size_t n = 1; gl != NULL || wl != NULL; n++) {
        char a[1024], b[1024];
        doc_normalise(gl ? gl : "(nothing)", a, sizeof a);
        doc_normalise(wl ? wl : "(nothing)", b, sizeof b);
        if (strcmp(a, b) != 0)
            fail_msg("DAEMON.md: $ %s\nline %zu is\n  %s\nthe page shows\n  %s\nwhole output:\n%s",
                     cmd, n, gl ? gl : "(nothing)", wl ? wl : "(nothing)", got);
        gl = strtok_r(NULL, "\n", &gs);
        wl = strtok_r(NULL, "\n", &ws);
    }
    free(g);
    free(w);
}

/* docs/DAEMON.md: the `vet` session marked <!-- daemon-cli: NAME -->
 * prints what the page shows, against a vetd on the fixture ruleset.
 * "$ bin/vet ARGS" lines are run (with VET_ENDPOINT set to the test
 * daemon), "$ echo $?" shows the exit code of the one before, and the
 * other lines are the output (stdout and stderr). */
static void
test_doc_cli_session(void **state)
{
    (void)state;
    char *page = tu_read_file("docs/DAEMON.md", NULL);
    assert_non_null(page);
    tu_vetd_t d;
    daemon_start(&d, NULL, NULL);
    char *save = NULL, *cmd = NULL;
    bool want = false, in = false;
    size_t commands = 0, codes = 0;
    int last_rc = -1;
    char *got = NULL;
    char expected[8192];
    size_t elen = 0;
    expected[0] = '\0';
    for (char *line = strtok_r(page, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (!in) {
            if (strncmp(line, "<!-- daemon-cli: ", 17) == 0)
                want = true;
            else if (want && strncmp(line, "```", 3) == 0)
                in = true, want = false;
            continue;
        }
        bool end = strncmp(line, "```", 3) == 0;
        if (end || strncmp(line, "$ ", 2) == 0) {
            if (cmd != NULL) {
                if (got != NULL)
                    doc_compare(cmd, got, expected);
                else if (strcmp(expected, "") != 0)
                    fail_msg("DAEMON.md: $ %s\nshows \"%s\" for the exit code %d", cmd, expected,
                             last_rc);
            }
            free(got);
            got = NULL;
            elen = 0;
            expected[0] = '\0';
            cmd = NULL;
        }
        if (end) {
            in = false;
            continue;
        }
        if (strncmp(line, "$ ", 2) != 0) {
            if (cmd == NULL)
                fail_msg("DAEMON.md: output before any command: %s", line);
            size_t n = strlen(line);
            assert_true(elen + n + 2 < sizeof expected);
            memcpy(expected + elen, line, n);
            elen += n;
            expected[elen++] = '\n';
            expected[elen] = '\0';
            continue;
        }
        cmd = line + 2;
        if (strcmp(cmd, "echo $?") == 0) {
            char rc[16];
            snprintf(rc, sizeof rc, "%d\n", last_rc);
            got = strdup(rc);
            codes++;
            continue;
        }
        const char *args = strncmp(cmd, "bin/vet ", 8) == 0 ? cmd + 8 : NULL;
        if (args == NULL)
            fail_msg("DAEMON.md: a session command must be bin/vet or echo $?: %s", cmd);
        char sh[2048], path[160];
        snprintf(path, sizeof path, "%s/session.out", d.dir);
        snprintf(sh, sizeof sh, "VET_ENDPOINT='%s' timeout 20 %s %s > %s 2>&1", d.ep,
                 tu_env_or("VET_BIN", "bin/vet"), args, path);
        last_rc = tu_run(sh);
        got = tu_read_file(path, NULL);
        assert_non_null(got);
        commands++;
    }
    assert_false(in);
    assert_true(commands >= 5);
    assert_true(codes >= 3);
    assert_int_equal(daemon_stop(&d), 0);
    tu_vetd_cleanup(&d);
    free(page);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unavailable_then_reload),
        cmocka_unit_test(test_pipelined_burst),
        cmocka_unit_test(test_reload_under_load),
        cmocka_unit_test(test_broken_reload),
        cmocka_unit_test(test_sigterm_drains),
        cmocka_unit_test(test_bad_floods),
        cmocka_unit_test(test_audit_log),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_stale_list),
        cmocka_unit_test(test_audit_torn_tail),
        cmocka_unit_test(test_audit_survives_kill9),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_default_ruleset),
        cmocka_unit_test(test_doc_config_example),
        cmocka_unit_test(test_doc_protocol_examples),
        cmocka_unit_test(test_doc_cli_session),
    };
    return cmocka_run_group_tests_name("vetd daemon (integration)", tests, NULL, NULL);
}
