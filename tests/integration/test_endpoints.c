/* SPDX-License-Identifier: Apache-2.0 */
/* test_endpoints.c -- one endpoint variable and several daemons
 * (docs/DEPLOY.md): $VET_ENDPOINT read by libvet when given no endpoint,
 * a comma-separated list spreading requests over two real vetd, and
 * failing over when one is killed or hangs, through libvet and through
 * `vet batch` as a user runs it; then vetd --broker with vetd --connect
 * workers: one killed and one started under load, every record answered
 * once, and the throughput with 1, 2 and 3 workers printed. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "vet.h"

/* Two daemons, a and b, each on its own ipc:// endpoint, auditing. */
typedef struct pair {
    tu_vetd_t d[2];
    char list[400]; /* "ipc://a,ipc://b" */
} pair_t;

static int
pair_setup(void **state)
{
    pair_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tu_vetd_init(&p->d[i], i == 0 ? "ep-a" : "ep-b"), 0);
        const char *args[] = {"-r",          "rules",         "-w",     "2", "-e", p->d[i].ep, "-a",
                              p->d[i].audit, "--audit-fsync", "always", NULL};
        assert_int_equal(tu_vetd_spawn(&p->d[i], args), 0);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(tu_vetd_wait(&p->d[i]), 0);
    snprintf(p->list, sizeof p->list, "%s,%s", p->d[0].ep, p->d[1].ep);
    *state = p;
    return 0;
}

static int
pair_teardown(void **state)
{
    pair_t *p = *state;
    for (int i = 0; i < 2; i++) {
        if (p->d[i].pid > 0)
            kill(p->d[i].pid, SIGCONT); /* a test that stopped it */
        tu_vetd_cleanup(&p->d[i]);
    }
    free(p);
    return 0;
}

/* Screens recorded in d's audit log (one JSON line each). */
static int
audited(const tu_vetd_t *d)
{
    char *s = tu_read_file(d->audit, NULL);
    int n = 0;
    for (char *q = s; q != NULL && (q = strstr(q, "\"verdict\":\"")) != NULL; q++)
        n++;
    free(s);
    return n;
}

/* Waits (5 s at most) for d's audit log to hold n screens, and returns
 * what it holds then: the log is written by a thread of its own, just
 * after the reply. */
static int
audited_wait(const tu_vetd_t *d, int n)
{
    uint64_t until = tu_now_ms() + 5000;
    int have;
    while ((have = audited(d)) < n && tu_now_ms() < until)
        usleep(10000);
    return have;
}

/* Waits (5 s at most) for the two logs to hold n screens together; returns
 * what they hold then. */
static int
total_wait(const pair_t *p, int n)
{
    uint64_t until = tu_now_ms() + 5000;
    int have;
    while ((have = audited(&p->d[0]) + audited(&p->d[1])) < n && tu_now_ms() < until)
        usleep(10000);
    return have;
}

/* Kills d at once (SIGKILL: no drain, no goodbye) and reaps it. */
static void
kill_hard(tu_vetd_t *d)
{
    assert_int_equal(kill(d->pid, SIGKILL), 0);
    waitpid(d->pid, NULL, 0);
    d->pid = 0;
}

/* n screens through c, each must be answered (5 s each, one retry). */
static void
screen_n(vet_client_t *c, int n, const char *tag)
{
    for (int i = 0; i < n; i++) {
        char req[160], *reply = NULL;
        snprintf(req, sizeof req,
                 "{\"id\":\"%s-%d\",\"partner\":{\"name\":\"Harbin Institute of "
                 "Technology\",\"country\":\"CN\"}}",
                 tag, i);
        int rc = vet_screen(c, req, 5000, &reply);
        if (rc != VET_OK)
            fail_msg("%s %d: %s", tag, i, vet_client_error(c));
        assert_non_null(strstr(reply, "\"verdict\""));
        vet_free(reply);
    }
}

/* A list: one client's requests go to both daemons. */
static void
test_list_spreads(void **state)
{
    pair_t *p = *state;
    vet_client_t *c = vet_client_new(p->list);
    assert_non_null(c);
    /* Connections are made in the background: once both are up, the
     * round robin alternates. */
    usleep(300000);
    screen_n(c, 40, "spread");
    vet_client_destroy(&c);
    int total = total_wait(p, 40), a = audited(&p->d[0]), b = audited(&p->d[1]);
    if (total != 40 || a < 10 || b < 10)
        fail_msg("40 screens over two daemons: %d to a, %d to b", a, b);
}

/* VET_ENDPOINT with a list, no endpoint given: the client reads it. */
static void
test_env_list(void **state)
{
    pair_t *p = *state;
    setenv("VET_ENDPOINT", p->list, 1);
    vet_client_t *c = vet_client_new(NULL);
    unsetenv("VET_ENDPOINT");
    assert_non_null(c);
    assert_string_equal(vet_client_endpoint(c), p->list);
    usleep(300000);
    screen_n(c, 20, "env");
    vet_client_destroy(&c);
    assert_int_equal(total_wait(p, 20), 20);
    assert_true(audited(&p->d[0]) > 0 && audited(&p->d[1]) > 0);
}

/* One daemon killed: every later request is answered by the other, the
 * first of them within the one retry of vet_screen. */
static void
test_failover_killed(void **state)
{
    pair_t *p = *state;
    vet_client_t *c = vet_client_new(p->list);
    assert_non_null(c);
    screen_n(c, 10, "before");
    assert_int_equal(total_wait(p, 10), 10);
    kill_hard(&p->d[0]);
    int a = audited(&p->d[0]), b = audited(&p->d[1]);
    uint64_t t0 = tu_now_ms();
    screen_n(c, 30, "after");
    assert_int_equal(audited_wait(&p->d[1], b + 30), b + 30);
    assert_int_equal(audited(&p->d[0]), a);
    /* A refused connection is never chosen: no request waits for a
     * timeout (30 screens in well under one 5 s deadline). */
    assert_true(tu_now_ms() - t0 < 5000);
    vet_client_destroy(&c);
}

/* One daemon hangs with its connections open (SIGSTOP): a request sent
 * to it times out, and its retry, on a fresh socket, goes to the one
 * that answers; heartbeats drop the hung one within seconds. */
static void
test_failover_hung(void **state)
{
    pair_t *p = *state;
    vet_client_t *c = vet_client_new(p->list);
    assert_non_null(c);
    screen_n(c, 4, "warm");
    assert_int_equal(total_wait(p, 4), 4);
    assert_int_equal(kill(p->d[0].pid, SIGSTOP), 0);
    int b = audited(&p->d[1]);
    screen_n(c, 12, "hung");
    assert_int_equal(audited_wait(&p->d[1], b + 12), b + 12);
    vet_client_destroy(&c);
    assert_int_equal(kill(p->d[0].pid, SIGCONT), 0);
}

/* Writes records from..to-1 to f (ids r0.., every other one a listed
 * institution). */
static void
write_range(FILE *f, int from, int to)
{
    for (int i = from; i < to; i++)
        fprintf(f, "r%d,%s,%s\n", i,
                i % 2 ? "Harbin Institute of Technology" : "University of Toronto",
                i % 2 ? "CN" : "CA");
}

/* Writes n records, with their header, to the file path. */
static void
write_records(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "id,name,country\n");
    write_range(f, 0, n);
    fclose(f);
}

/* Opens the FIFO path for writing once a reader has it open (10 s at
 * most: the reader may have failed to start); close-on-exec, or a vetd
 * started meanwhile would hold it open and the reader never see its end. */
static FILE *
fifo_writer(const char *path)
{
    uint64_t until = tu_now_ms() + 10000;
    int fd;
    while ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0 && errno == ENXIO &&
           tu_now_ms() < until)
        usleep(10000);
    assert_true(fd >= 0);
    assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    return f;
}

/* Starts `vet batch` on in (pipelined, re-sending after 2 s) against
 * endpoint, output to out; returns its pid. */
static pid_t
batch_start(const char *endpoint, const char *in, const char *out)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "VET_ENDPOINT='%s' timeout 120 %s batch --inflight 64 -t 2000 --retries 3 %s > %s "
             "2> %s.err",
             endpoint, tu_env_or("VET_BIN", "bin/vet"), in, out, out);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits for the batch; fails unless it exited 10 or 20 (review,
 * prohibited: not 69) and out holds exactly one line per record r0..n-1,
 * none in error. */
static void
batch_check(pid_t pid, const char *out, int n)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 10 && WEXITSTATUS(status) != 20)) {
        char path[240];
        snprintf(path, sizeof path, "%s.err", out);
        char *err = tu_read_file(path, NULL);
        fail_msg("vet batch: status %d: %s", status, err ? err : "");
    }
    char *text = tu_read_file(out, NULL);
    assert_non_null(text);
    char *seen = calloc((size_t)n, 1);
    assert_non_null(seen);
    int lines = 0;
    for (char *l = strtok(text, "\n"); l != NULL; l = strtok(NULL, "\n"), lines++) {
        const char *id = strstr(l, "\"id\":\"r");
        assert_non_null(id);
        int k = atoi(id + 7);
        assert_true(k >= 0 && k < n);
        if (seen[k]++)
            fail_msg("record r%d answered twice", k);
        if (strstr(l, "\"error\"") != NULL)
            fail_msg("record r%d in error: %s", k, l);
    }
    assert_int_equal(lines, n);
    free(seen);
    free(text);
}

/* vet batch over VET_ENDPOINT=a,b, a killed mid-batch: every record
 * gets exactly one line, none an error, and both daemons screened. */
static void
test_batch_failover(void **state)
{
    pair_t *p = *state;
    enum { N = 3000 };
    char in[200], out[200];
    snprintf(in, sizeof in, "%s/in.csv", p->d[0].dir);
    snprintf(out, sizeof out, "%s/out.jsonl", p->d[1].dir);
    write_records(in, N);
    pid_t pid = batch_start(p->list, in, out);
    /* a has screened some of them: kill it now, mid-batch. */
    uint64_t until = tu_now_ms() + 30000;
    while (audited(&p->d[0]) < 200 && tu_now_ms() < until)
        usleep(20000);
    int a_at_kill = audited(&p->d[0]);
    kill_hard(&p->d[0]);
    batch_check(pid, out, N);
    assert_true(a_at_kill > 0 && a_at_kill < N);
    assert_true(audited_wait(&p->d[1], 1) > 0);
}

/* ---- a broker and its workers ------------------------------------------ */

enum { MAX_WORKERS = 4 };

typedef struct farm {
    tu_vetd_t broker;         /* vetd --broker: clients at ep, workers at back */
    char back[200];           /* ipc://BROKERDIR/back */
    tu_vetd_t w[MAX_WORKERS]; /* vetd --connect back, each also on its own ep */
    char in[200], out[200];   /* vet batch's input and output */
} farm_t;

/* Starts worker i (its own directory, ruleset rules, one thread). */
static void
worker_start_rules(farm_t *f, int i, const char *rules)
{
    char tag[16];
    snprintf(tag, sizeof tag, "worker%d", i);
    assert_int_equal(tu_vetd_init(&f->w[i], tag), 0);
    const char *args[] = {"-r", rules,         "-w",        "1",     "-e", f->w[i].ep,
                          "-a", f->w[i].audit, "--connect", f->back, NULL};
    assert_int_equal(tu_vetd_spawn(&f->w[i], args), 0);
    assert_int_equal(tu_vetd_wait(&f->w[i]), 0);
}

/* Worker i on the default ruleset. */
static void
worker_start(farm_t *f, int i)
{
    worker_start_rules(f, i, "rules");
}

/* `vet -e EP,EP,... stats --all` over workers first..last: its output
 * (caller frees) and exit status in *status. */
static char *
stats_all(const farm_t *f, int first, int last, int *status)
{
    char list[1000] = "", cmd[1400];
    for (int i = first; i <= last; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i > first ? "," : "",
                 f->w[i].ep);
    snprintf(cmd, sizeof cmd, "timeout 30 %s -e '%s' stats --all", tu_env_or("VET_BIN", "bin/vet"),
             list);
    tu_out_t o = tu_sh(cmd);
    *status = o.status;
    char *out = strdup(o.out);
    tu_out_free(&o);
    return out;
}

static int
farm_setup(void **state)
{
    farm_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tu_vetd_init(&f->broker, "broker"), 0);
    snprintf(f->back, sizeof f->back, "ipc://%s/back", f->broker.dir);
    const char *args[] = {"--broker", "-e", f->broker.ep, "-b", f->back, NULL};
    assert_int_equal(tu_vetd_spawn(&f->broker, args), 0);
    snprintf(f->in, sizeof f->in, "%s/in.csv", f->broker.dir);
    snprintf(f->out, sizeof f->out, "%s/out.jsonl", f->broker.dir);
    *state = f;
    return 0;
}

static int
farm_teardown(void **state)
{
    farm_t *f = *state;
    for (int i = 0; i < MAX_WORKERS; i++)
        tu_vetd_cleanup(&f->w[i]);
    tu_vetd_cleanup(&f->broker);
    free(f);
    return 0;
}

/* Three workers behind the broker under vet batch's pipelined load; one
 * is killed and another started mid-load: every record gets exactly one
 * answer, none an error, and the new worker is dealt some of them. The
 * records come through a pipe, the last ones once the new worker is up:
 * written at once, they were all answered before it had loaded its
 * ruleset whenever the machine was busy. */
static void
test_broker_kill_and_join(void **state)
{
    farm_t *f = *state;
    enum { N = 4000, FIRST = 1000 };
    for (int i = 0; i < 3; i++)
        worker_start(f, i);
    assert_int_equal(tu_vetd_wait(&f->broker), 0);
    assert_int_equal(mkfifo(f->in, 0600), 0);
    pid_t pid = batch_start(f->broker.ep, f->in, f->out);
    void (*was)(int) = signal(SIGPIPE, SIG_IGN); /* a batch that died: the check says so */
    FILE *in = fifo_writer(f->in);
    fprintf(in, "id,name,country\n");
    write_range(in, 0, FIRST);
    fflush(in);
    uint64_t until = tu_now_ms() + 30000;
    while (audited(&f->w[0]) < 150 && tu_now_ms() < until)
        usleep(20000);
    kill_hard(&f->w[0]);
    worker_start(f, 3);
    write_range(in, FIRST, N);
    fclose(in);
    signal(SIGPIPE, was);
    batch_check(pid, f->out, N);
    assert_true(audited_wait(&f->w[3], 1) > 0);
    assert_true(audited(&f->w[1]) > 0 && audited(&f->w[2]) > 0);
    /* The nodes serving now judge by one ruleset: vet stats --all. */
    int status;
    char *out = stats_all(f, 1, 3, &status);
    if (status != 0 || strstr(out, "all 3 nodes judge by ruleset ") == NULL)
        fail_msg("vet stats --all: exit %d:\n%s", status, out);
    free(out);
}

/* vet stats --all tells nodes on different rulesets apart (exit 1). */
static void
test_stats_all_differ(void **state)
{
    farm_t *f = *state;
    worker_start(f, 0);
    worker_start_rules(f, 1, "tests/fixtures/rulesets/good");
    int status;
    char *out = stats_all(f, 0, 1, &status);
    if (status != 1 || strstr(out, "the nodes judge by different rulesets") == NULL ||
        strstr(out, f->w[0].ep) == NULL || strstr(out, f->w[1].ep) == NULL)
        fail_msg("vet stats --all: exit %d:\n%s", status, out);
    free(out);
}

/* Throughput through the broker with 1, 2 and 3 workers (one thread
 * each), printed: correctness is what this test proves; on a machine of
 * two busy cores the figures do not scale (docs/DEPLOY.md). */
static void
test_broker_throughput(void **state)
{
    farm_t *f = *state;
    enum { N = 3000 };
    write_records(f->in, N);
    for (int k = 1; k <= 3; k++) {
        worker_start(f, k - 1);
        if (k == 1)
            assert_int_equal(tu_vetd_wait(&f->broker), 0);
        uint64_t t0 = tu_now_ms();
        batch_check(batch_start(f->broker.ep, f->in, f->out), f->out, N);
        uint64_t ms = tu_now_ms() - t0;
        printf("broker: %d worker%s: %d requests in %llu ms: %.0f requests/s\n", k,
               k > 1 ? "s" : "", N, (unsigned long long)ms, ms ? N * 1000.0 / (double)ms : 0.0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_spreads, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_env_list, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_failover_killed, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_failover_hung, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_batch_failover, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_broker_kill_and_join, farm_setup, farm_teardown),
        cmocka_unit_test_setup_teardown(test_broker_throughput, farm_setup, farm_teardown),
        cmocka_unit_test_setup_teardown(test_stats_all_differ, farm_setup, farm_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
