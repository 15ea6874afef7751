/* SPDX-License-Identifier: Apache-2.0 */
/* test_security.c -- who may ask (issue 16, docs/SECURITY.md), through
 * the real vetd, `vetd keygen`, libvet and the real `vet`: an allowed
 * CURVE key is served, a plain client, an unknown key and a revoked key
 * get no reply; a screening key is refused admin ops with forbidden;
 * the audit record names the key; vet and vet batch speak CURVE from
 * VET_SERVER_KEY / VET_CLIENT_KEY; a non-loopback TCP endpoint without
 * CURVE is refused; ipc socket files are 0660 whatever the umask; --user
 * drops root; reloads while one runs are answered busy.
 * $VETD_BIN, $VET_BIN and $VET_TESTS_DIR (tests/run.sh sets them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcode.h"
#include "testutil.h"
#include "vet.h"

#define REFUSED_MS 700 /* a refused client hears nothing for this long */

static const char SCREEN[] = "{\"partner\":{\"name\":\"Harbin Institute of Technology\","
                             "\"country\":\"CN\"}}";

typedef struct fx {
    tu_vetd_t d;
    char keys[160];    /* DIR/keys: the server's pair, and keys allowed nowhere */
    char clients[160]; /* DIR/clients: curve.clients */
    char admins[160];  /* DIR/admins: curve.admins */
} fx_t;

static void
tests_path(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", tu_env_or("VET_TESTS_DIR", "tests"), rel);
}

/* Runs `vetd keygen PATH`, asserting that it succeeds. */
static void
keygen(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s keygen %s", tu_env_or("VETD_BIN", "bin/vetd"), path);
    tu_out_t o = tu_sh(cmd);
    if (o.status != 0)
        fail_msg("%s: exit %d\n%s%s", cmd, o.status, o.out, o.err);
    tu_out_free(&o);
}

/* A libvet client of f's daemon; with keys when secret is not NULL
 * (server key: the server's public certificate). */
static vet_client_t *
client(const fx_t *f, const char *secret)
{
    vet_client_t *c = vet_client_new(f->d.ep);
    assert_non_null(c);
    vet_client_set_retries(c, 0);
    if (secret != NULL) {
        char server[256];
        snprintf(server, sizeof server, "%s/server", f->keys);
        if (vet_client_set_curve(c, server, secret) != VET_OK)
            fail_msg("vet_client_set_curve: %s", vet_client_error(c));
    }
    return c;
}

/* ping through a client with the key secret; returns vet_call's code. */
static int
ping(const fx_t *f, const char *secret, int timeout_ms)
{
    vet_client_t *c = client(f, secret);
    char *reply = NULL;
    int rc = vet_screen(c, "{\"op\":\"ping\"}", timeout_ms, &reply);
    if (rc == VET_OK)
        assert_non_null(strstr(reply, "\"ok\":true"));
    vet_free(reply);
    vet_client_destroy(&c);
    return rc;
}

/* Waits until an admin key is answered (tu_vetd_wait pings in plain
 * text, which a CURVE daemon never answers). */
static int
wait_up(fx_t *f)
{
    char admin[256];
    snprintf(admin, sizeof admin, "%s/ops_secret", f->keys);
    uint64_t end = tu_now_ms() + 10000;
    while (tu_now_ms() < end) {
        if (ping(f, admin, 300) == VET_OK)
            return 0;
        if (waitpid(f->d.pid, NULL, WNOHANG) == f->d.pid) {
            f->d.pid = 0;
            break;
        }
    }
    char *log = tu_read_file(f->d.log, NULL);
    fprintf(stderr, "vetd did not come up:\n%s\n", log ? log : "");
    free(log);
    return -1;
}

static int
setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (f == NULL || tu_vetd_init(&f->d, "security") != 0)
        return -1;
    snprintf(f->keys, sizeof f->keys, "%s/keys", f->d.dir);
    snprintf(f->clients, sizeof f->clients, "%s/clients", f->d.dir);
    snprintf(f->admins, sizeof f->admins, "%s/admins", f->d.dir);
    if (mkdir(f->keys, 0700) != 0 || mkdir(f->clients, 0755) != 0 || mkdir(f->admins, 0755) != 0)
        return -1;
    /* Secret certificates stay in keys/; the allow-lists get the public
     * halves, as an operator would hand them over. */
    const char *names[] = {"server", "alice", "bob", "ops", "eve"};
    for (size_t i = 0; i < 5; i++) {
        char path[256], cmd[600];
        snprintf(path, sizeof path, "%s/%s", f->keys, names[i]);
        keygen(path);
        const char *to = i == 1 || i == 2 ? f->clients : i == 3 ? f->admins : NULL;
        if (to != NULL) {
            snprintf(cmd, sizeof cmd, "cp %s %s/", path, to);
            if (tu_run(cmd) != 0)
                return -1;
        }
    }
    char rules[256], secret[256];
    tests_path(rules, sizeof rules, "fixtures/rulesets/good");
    snprintf(secret, sizeof secret, "%s/server_secret", f->keys);
    const char *args[] = {"-r",
                          rules,
                          "-e",
                          f->d.ep,
                          "-a",
                          f->d.audit,
                          "-w",
                          "2",
                          "--curve-secret",
                          secret,
                          "--curve-clients",
                          f->clients,
                          "--curve-admins",
                          f->admins,
                          NULL};
    if (tu_vetd_spawn(&f->d, args) != 0 || wait_up(f) != 0)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *f = *state;
    int rc = tu_vetd_stop(&f->d);
    tu_vetd_cleanup(&f->d);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* The path of key NAME's secret certificate. */
static const char *
secret_of(const fx_t *f, const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s_secret", f->keys, name);
    return path;
}

/* The daemon's log once it holds want (lines are written as they come). */
static char *
log_with(const char *path, const char *want)
{
    uint64_t end = tu_now_ms() + 5000;
    char *text = NULL;
    while (tu_now_ms() < end) {
        free(text);
        text = tu_read_file(path, NULL);
        if (text != NULL && strstr(text, want) != NULL)
            return text;
        usleep(20000);
    }
    fail_msg("%s lacks \"%s\":\n%s", path, want, text ? text : "(none)");
    return NULL;
}

/* Runs `VET_SERVER_KEY=.. VET_CLIENT_KEY=.. vet -e EP ARGS` (key NULL:
 * without CURVE). */
static tu_out_t
vet(const fx_t *f, const char *key, const char *args)
{
    char cmd[2048], env[700] = "";
    if (key != NULL)
        snprintf(env, sizeof env, "VET_SERVER_KEY=%s/server VET_CLIENT_KEY=%s ", f->keys,
                 secret_of(f, key));
    snprintf(cmd, sizeof cmd, "%s%s -e %s %s", env, tu_env_or("VET_BIN", "bin/vet"), f->d.ep, args);
    return tu_sh(cmd);
}

static void
test_keygen_writes_zcert_pair(void **state)
{
    fx_t *f = *state;
    struct stat st;
    assert_int_equal(stat(secret_of(f, "alice"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char pub[256];
    snprintf(pub, sizeof pub, "%s/alice", f->keys);
    char *text = tu_read_file(pub, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "metadata\n    name = \"alice\"\ncurve\n    public-key = \""));
    assert_null(strstr(text, "secret-key"));
    free(text);
    text = tu_read_file(secret_of(f, "alice"), NULL);
    assert_non_null(strstr(text, "    secret-key = \""));
    free(text);
    /* Never over an existing key. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s keygen %s 2>/dev/null", tu_env_or("VETD_BIN", "bin/vetd"), pub);
    assert_int_not_equal(tu_run(cmd), 0);
}

static void
test_allowed_key_served(void **state)
{
    fx_t *f = *state;
    vet_client_t *c = client(f, secret_of(f, "alice"));
    cJSON *j = tu_call(c, SCREEN);
    assert_string_equal(tu_jstr(j, "verdict"), "review");
    cJSON_Delete(j);
    vet_client_destroy(&c);

    /* The same keys as Z85 text rather than files. */
    char *srv = NULL, *sec = NULL;
    char path[256];
    snprintf(path, sizeof path, "%s/server", f->keys);
    char *text = tu_read_file(path, NULL), *cert = tu_read_file(secret_of(f, "bob"), NULL);
    assert_non_null(text);
    assert_non_null(cert);
    srv = strstr(text, "public-key = \"") + 14;
    sec = strstr(cert, "secret-key = \"") + 14;
    srv[40] = sec[40] = '\0';
    c = vet_client_new(f->d.ep);
    assert_int_equal(vet_client_set_curve(c, srv, sec), VET_OK);
    j = tu_call(c, "{\"op\":\"ping\"}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    cJSON_Delete(j);
    vet_client_destroy(&c);
    free(text);
    free(cert);
}

static void
test_plain_and_unknown_refused(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ping(f, NULL, REFUSED_MS), VET_ETIMEOUT);
    /* "a client without CURVE", or "the client left during it" when
     * the client saw the mismatch first and hung up. */
    free(log_with(f->d.log, "refused a connection: handshake failed: "));
    assert_int_equal(ping(f, secret_of(f, "eve"), REFUSED_MS), VET_ETIMEOUT);
    free(log_with(f->d.log, "is not allowed"));
    /* The server's own key is no client key either. */
    assert_int_equal(ping(f, secret_of(f, "server"), REFUSED_MS), VET_ETIMEOUT);
    /* vet says so with its exit code for no daemon. */
    tu_out_t o = vet(f, "eve", "-t 600 ping");
    tu_out_expect(&o, EX_UNAVAILABLE, NULL, "allow-list");
    /* Counted in stats, which an admin key reads; the same key given by
     * flags instead of the environment. */
    char args[1024];
    snprintf(args, sizeof args, "--server-key %s/server --key %s stats --json", f->keys,
             secret_of(f, "ops"));
    o = vet(f, NULL, args);
    if (o.status != 0 || strstr(o.out, "\"handshake_failures\":0") != NULL ||
        strstr(o.out, "\"handshake_failures\":") == NULL)
        fail_msg("exit %d\n%s\n%s", o.status, o.out, o.err);
    tu_out_free(&o);
}

static void
test_revoked_key_refused_after_reload(void **state)
{
    fx_t *f = *state;
    assert_int_equal(ping(f, secret_of(f, "bob"), 3000), VET_OK);
    char path[256];
    snprintf(path, sizeof path, "%s/bob", f->clients);
    assert_int_equal(unlink(path), 0);
    tu_out_t o = vet(f, "ops", "reload");
    tu_out_expect(&o, 0, NULL, NULL);
    free(log_with(f->d.log, "allow-lists re-read: 1 client key, 1 admin key"));
    assert_int_equal(ping(f, secret_of(f, "bob"), REFUSED_MS), VET_ETIMEOUT);
    /* and SIGHUP re-reads them too: bob is back. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp %s/bob %s/", f->keys, f->clients);
    assert_int_equal(tu_run(cmd), 0);
    kill(f->d.pid, SIGHUP);
    uint64_t end = tu_now_ms() + 5000;
    int rc = VET_ETIMEOUT;
    while (rc != VET_OK && tu_now_ms() < end)
        rc = ping(f, secret_of(f, "bob"), 300);
    assert_int_equal(rc, VET_OK);
}

static void
test_screening_key_forbidden_admin_ops(void **state)
{
    fx_t *f = *state;
    tu_out_t o = vet(f, "alice", "stats");
    tu_out_expect(&o, EX_NOPERM, NULL, "forbidden");
    o = vet(f, "alice", "reload");
    tu_out_expect(&o, EX_NOPERM, NULL, "forbidden");
    o = vet(f, "ops", "stats --json");
    tu_out_expect(&o, 0, "\"uptime_s\"", NULL);
    /* A screening key may still screen and ping. */
    o = vet(f, "alice", "ping");
    tu_out_expect(&o, 0, NULL, NULL);
}

static void
test_audit_names_the_key(void **state)
{
    fx_t *f = *state;
    tu_out_t o = vet(f, "alice",
                     "screen --request-id sec-audit-1 --name \"Harbin Institute of "
                     "Technology\" --country CN");
    tu_out_expect(&o, VET_EXIT_REVIEW, "review", NULL);
    char *text = log_with(f->d.audit, "sec-audit-1");
    const char *line = strstr(text, "sec-audit-1");
    while (line > text && line[-1] != '\n')
        line--;
    assert_true(strncmp(strstr(line, "\"peer\":\""), "\"peer\":\"alice@", 14) == 0);
    free(text);
    text = log_with(f->d.audit, "\"forbidden\"");
    assert_non_null(strstr(text, "\"peer\":\"alice@"));
    free(text);
}

static void
test_batch_over_curve(void **state)
{
    fx_t *f = *state;
    char in[256], args[512];
    tests_path(in, sizeof in, "fixtures/batch/requests.jsonl");
    snprintf(args, sizeof args, "batch --input-format jsonl %s", in);
    tu_out_t o = vet(f, "alice", args);
    /* Exit 20: the worst verdict of the file is prohibited. */
    if (o.status != VET_EXIT_PROHIBITED || strstr(o.out, "\"verdict\":\"prohibited\"") == NULL)
        fail_msg("vet batch: exit %d\n%s\n%s", o.status, o.out, o.err);
    tu_out_free(&o);
    /* Keys named in the environment that do not load are an error,
     * never a fallback to plain text. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "VET_SERVER_KEY=%s/nothing VET_CLIENT_KEY=%s %s -e %s ping", f->keys,
             secret_of(f, "alice"), tu_env_or("VET_BIN", "bin/vet"), f->d.ep);
    o = tu_sh(cmd);
    if (o.status == 0 || strstr(o.err, "VET_SERVER_KEY") == NULL)
        fail_msg("exit %d\n%s", o.status, o.err);
    tu_out_free(&o);
}

/* ---- without CURVE: the safe defaults --------------------------------- */

static void
test_non_loopback_refused_without_curve(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "insecure"), 0);
    char rules[256];
    tests_path(rules, sizeof rules, "fixtures/rulesets/good");
    /* Refused before anything is bound: nothing listens on 0.0.0.0. */
    const char *args[] = {"-r", rules, "-e", "tcp://0.0.0.0:7499", "-a", "-", NULL};
    assert_int_equal(tu_vetd_spawn(&d, args), 0);
    int st = 0;
    uint64_t end = tu_now_ms() + 10000;
    while (waitpid(d.pid, &st, WNOHANG) == 0 && tu_now_ms() < end)
        usleep(20000);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), EX_OSERR);
    d.pid = 0;
    char *log = log_with(d.log, "tcp://0.0.0.0:7499 is reachable from other machines and CURVE "
                                "is off");
    assert_non_null(strstr(log, "--allow-insecure"));
    free(log);
    tu_vetd_cleanup(&d);
}

/* As root, vetd serves only when told: --user NAME, or --allow-root.
 * (Run as another user, the same start serves: nothing to refuse.) */
static void
test_root_refused_unless_told(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "root"), 0);
    char rules[256], cmd[1024];
    tests_path(rules, sizeof rules, "fixtures/rulesets/good");
    snprintf(cmd, sizeof cmd, "timeout 10 %s -r %s -e %s -a - --reviews - 2> %s",
             tu_env_or("VETD_BIN", "bin/vetd"), rules, d.ep, d.log);
    if (geteuid() == 0) {
        assert_int_equal(tu_run(cmd), EX_NOPERM);
        char *log = log_with(d.log, "refusing to run as root");
        assert_non_null(strstr(log, "--user NAME"));
        assert_non_null(strstr(log, "--allow-root"));
        free(log);
        /* Refused before binding: nothing was created at the endpoint. */
        char sock[256];
        snprintf(sock, sizeof sock, "%s/sock", d.dir);
        assert_int_equal(access(sock, F_OK), -1);
    } else {
        const char *args[] = {"-r", rules, "-e", d.ep, "-a", "-", NULL};
        assert_int_equal(tu_vetd_spawn(&d, args), 0);
        assert_int_equal(tu_vetd_wait(&d), 0);
        assert_int_equal(tu_vetd_stop(&d), 0);
    }
    tu_vetd_cleanup(&d);
}

static void
test_ipc_0660_and_user_drop(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "nobody"), 0);
    char rules[256];
    tests_path(rules, sizeof rules, "fixtures/rulesets/good");
    bool root = geteuid() == 0;
    const char *args[] = {
        "-r", rules, "-e", d.ep, "-a", d.audit, "-w", "1", root ? "--user" : NULL, "nobody", NULL};
    mode_t was = umask(0); /* the daemon inherits it */
    int rc = tu_vetd_spawn(&d, args);
    umask(was);
    assert_int_equal(rc, 0);
    assert_int_equal(tu_vetd_wait(&d), 0);
    struct stat st;
    assert_int_equal(stat(d.ep + 6, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660);
    if (root) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/status", (int)d.pid);
        char *status = tu_read_file(path, NULL);
        assert_non_null(status);
        /* real, effective, saved and filesystem ids: all nobody's. */
        assert_non_null(strstr(status, "\nUid:\t65534\t65534\t65534\t65534\n"));
        assert_null(strstr(status, "\nGroups:\t0"));
        free(status);
        free(log_with(d.log, "running as user nobody"));
        /* Still serving, and (no CURVE, ipc) admin ops are allowed. */
        vet_client_t *c = vet_client_new(d.ep);
        cJSON *j = tu_call(c, "{\"op\":\"stats\"}");
        assert_non_null(cJSON_GetObjectItem(j, "uptime_s"));
        cJSON_Delete(j);
        vet_client_destroy(&c);
    } else {
        fprintf(stderr, "test_ipc_0660_and_user_drop: not root, the --user drop is not tried\n");
    }
    assert_int_equal(tu_vetd_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

static void
test_reload_flood_answered_busy(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "busy"), 0);
    /* The fixture and 6,000 organisations more: a reload (load, index,
     * its own tests) of some 150 ms, in which the other worker's request
     * finds it running. */
    char good[256], cmd[600];
    tests_path(good, sizeof good, "fixtures/rulesets/good");
    snprintf(cmd, sizeof cmd, "cp -r %s %s", good, d.rules);
    assert_int_equal(tu_run(cmd), 0);
    static const char *const w[] = {"Alpha", "Borealis", "Cedar",  "Delta", "Ember",
                                    "Fjord", "Granite",  "Harbor", "Iris",  "Juniper"};
    char path[256];
    snprintf(path, sizeof path, "%s/registry/bulk.cfg", d.rules);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "organisations = (\n");
    for (int i = 0; i < 6000; i++)
        fprintf(f,
                "  { id = \"bulk-%d\"; name = \"%s %s %s Works %d\"; country = \"CA\";\n"
                "    sources = [ \"generated\" ]; }%s\n",
                i, w[i % 10], w[(i / 10) % 10], w[(i / 100) % 10], i, i < 5999 ? "," : "");
    fprintf(f, ");\n");
    assert_int_equal(fclose(f), 0);
    const char *args[] = {"-r", d.rules, "-e", d.ep, "-a", "-", "-w", "2", NULL};
    assert_int_equal(tu_vetd_spawn(&d, args), 0);
    assert_int_equal(tu_vetd_wait(&d), 0);
    vet_client_t *c = vet_client_new(d.ep);
    for (int i = 0; i < 4; i++) {
        char req[64];
        snprintf(req, sizeof req, "{\"op\":\"reload\",\"id\":\"r%d\"}", i);
        assert_int_equal(vet_submit(c, req, strlen(req), 1000), VET_OK);
    }
    int ok = 0, busy = 0;
    for (int i = 0; i < 4; i++) {
        char *reply = NULL;
        assert_int_equal(vet_receive(c, 60000, &reply, NULL), VET_OK);
        ok += strstr(reply, "\"ok\":true") != NULL;
        busy += strstr(reply, "\"code\":\"busy\"") != NULL;
        vet_free(reply);
    }
    assert_true(ok >= 1);
    assert_true(busy >= 1);
    assert_int_equal(ok + busy, 4);
    /* Counted as errors like any other. */
    cJSON *j = tu_call(c, "{\"op\":\"stats\"}");
    assert_int_equal((int)tu_jnum(j, "by_error.busy"), busy);
    cJSON_Delete(j);
    vet_client_destroy(&c);
    assert_int_equal(tu_vetd_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

int
main(void)
{
    /* Every client here sets its keys itself. */
    unsetenv("VET_SERVER_KEY");
    unsetenv("VET_CLIENT_KEY");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen_writes_zcert_pair),
        cmocka_unit_test(test_allowed_key_served),
        cmocka_unit_test(test_plain_and_unknown_refused),
        cmocka_unit_test(test_revoked_key_refused_after_reload),
        cmocka_unit_test(test_screening_key_forbidden_admin_ops),
        cmocka_unit_test(test_audit_names_the_key),
        cmocka_unit_test(test_batch_over_curve),
        /* Without CURVE (their own daemons; the group's runs on). */
        cmocka_unit_test(test_non_loopback_refused_without_curve),
        cmocka_unit_test(test_root_refused_unless_told),
        cmocka_unit_test(test_ipc_0660_and_user_drop),
        cmocka_unit_test(test_reload_flood_answered_busy),
    };
    return cmocka_run_group_tests_name("security", tests, setup, teardown);
}
