/* SPDX-License-Identifier: Apache-2.0 */
/* test_audit.c -- the audit log: a record's line byte for byte; the
 * writer: no record lost, torn or interleaved, under every policy,
 * through reopen and write errors; a put that never waits, a bounded
 * queue and a full disk survived; a private regular file or none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "audit.h"
#include "testutil.h"

#define MAX_THREADS 4
#define PUT_MAX_US 50000 /* the longest an audit_put may take: it never waits */

typedef struct fx {
    char dir[64]; /* private temporary directory */
    void *zctx;   /* a context per test, as the daemon has one */
} fx_t;

static int
setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/vetd-audit-XXXXXX");
    if (mkdtemp(f->dir) == NULL || (f->zctx = zmq_ctx_new()) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *f = *state;
    /* Hangs if a socket was left open: a leak the test must not have. */
    zmq_ctx_term(f->zctx);
    tu_remove_tree(f->dir);
    free(f);
    return 0;
}

static const char *
fx_path(const fx_t *f, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", f->dir, name);
    return buf;
}

/* Record i of producer t; its length varies with i. */
static int
make_record(char *buf, size_t cap, int t, int i)
{
    static const char pad[] =
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    return snprintf(buf, cap, "{\"t\":%d,\"i\":%d,\"pad\":\"%.*s\"}", t, i, (i * 7 + t) % 60, pad);
}

/* Checks that data is made of whole lines, each a record of make_record
 * with t < nt and i < per, none seen before (marks them in seen), in
 * increasing i per producer. Returns the number of lines. */
static size_t
check_lines(const char *data, size_t len, unsigned char *seen, int nt, int per)
{
    if (len == 0)
        return 0;
    assert_int_equal(data[len - 1], '\n');
    int last[MAX_THREADS] = {-1, -1, -1, -1};
    size_t lines = 0;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        /* (Not sscanf: it measures the whole rest of the buffer.) */
        char *q;
        assert_memory_equal(p, "{\"t\":", 5);
        int t = (int)strtol(p + 5, &q, 10);
        assert_memory_equal(q, ",\"i\":", 5);
        int i = (int)strtol(q + 5, &q, 10);
        assert_true(t >= 0 && t < nt && t < MAX_THREADS && i >= 0 && i < per);
        char want[128];
        int n = make_record(want, sizeof want, t, i);
        assert_int_equal(nl - p, n);
        assert_memory_equal(p, want, (size_t)n);
        assert_int_equal(seen[t * per + i], 0);
        seen[t * per + i] = 1;
        assert_true(i > last[t]); /* one producer's records keep their order */
        last[t] = i;
        lines++;
        p = nl + 1;
    }
    return lines;
}

static void
assert_all_seen(const unsigned char *seen, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!seen[k])
            fail_msg("record %zu missing", k);
}

static size_t
count_marked(const unsigned char *seen, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += seen[i];
    return k;
}

/* Polls audit_written until it reaches n or ms pass; returns it. */
static uint64_t
wait_written(const audit_t *a, uint64_t n, int ms)
{
    uint64_t w = audit_written(a);
    for (int k = 0; k < ms / 10 && w < n; k++) {
        usleep(10000);
        w = audit_written(a);
    }
    return w;
}

/* Polls audit_healthy until it is want or ms pass; returns it. */
static bool
wait_healthy(const audit_t *a, bool want, int ms)
{
    bool h = audit_healthy(a);
    for (int k = 0; k < ms / 10 && h != want; k++) {
        usleep(10000);
        h = audit_healthy(a);
    }
    return h;
}

static int64_t
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* audit_put for a caller that must not drop the record: waits out
 * AUDIT_FULL (10 s at most). Returns the last result. */
static audit_put_result_t
put_wait(audit_sink_t *s, const char *rec, size_t n)
{
    audit_put_result_t r;
    for (int k = 0; (r = audit_put(s, rec, n)) == AUDIT_FULL && k < 100000; k++)
        usleep(100);
    return r;
}

typedef struct producer {
    audit_t *a;   /* shared handle */
    int t;        /* producer number */
    int n;        /* records to put */
    int failures; /* records not queued (must stay 0) */
    int no_sink;  /* audit_sink_new failed */
} producer_t;

static void *
produce(void *arg)
{
    producer_t *p = arg;
    audit_sink_t *s = audit_sink_new(p->a);
    if (s == NULL) {
        p->no_sink = 1;
        return NULL;
    }
    char rec[128];
    for (int i = 0; i < p->n; i++) {
        int n = make_record(rec, sizeof rec, p->t, i);
        if (put_wait(s, rec, (size_t)n) != AUDIT_OK)
            p->failures++;
    }
    audit_sink_destroy(&s);
    return NULL;
}

/* Runs nt producers of per records each on a, and joins them. */
static void
run_producers(audit_t *a, int nt, int per)
{
    pthread_t th[MAX_THREADS];
    producer_t p[MAX_THREADS];
    assert_true(nt <= MAX_THREADS);
    for (int t = 0; t < nt; t++) {
        p[t] = (producer_t){.a = a, .t = t, .n = per};
        assert_int_equal(pthread_create(&th[t], NULL, produce, &p[t]), 0);
    }
    for (int t = 0; t < nt; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(p[t].no_sink, 0);
        assert_int_equal(p[t].failures, 0);
    }
}

/* Checks that path holds exactly the nt * per records. */
static void
assert_file_has_all(const char *path, int nt, int per)
{
    size_t len;
    char *data = tu_read_file(path, &len);
    assert_non_null(data);
    unsigned char *seen = calloc((size_t)nt * (size_t)per, 1);
    assert_non_null(seen);
    assert_int_equal(check_lines(data, len, seen, nt, per), (size_t)nt * (size_t)per);
    assert_all_seen(seen, (size_t)nt * (size_t)per);
    free(seen);
    free(data);
}

static void
test_put_result_names(void **state)
{
    (void)state;
    assert_int_equal(AUDIT_OK, 0);
    assert_string_equal(audit_put_result_name(AUDIT_OK), "ok");
    assert_string_equal(audit_put_result_name(AUDIT_FULL), "full");
    assert_string_equal(audit_put_result_name(AUDIT_FAILING), "failing");
    assert_string_equal(audit_put_result_name(AUDIT_GONE), "gone");
    assert_string_equal(audit_put_result_name(AUDIT_PUT_RESULT_COUNT), "?");
}

static void
test_fsync_names(void **state)
{
    (void)state;
    assert_int_equal(audit_fsync_find("always"), AUDIT_FSYNC_ALWAYS);
    assert_int_equal(audit_fsync_find("interval"), AUDIT_FSYNC_INTERVAL);
    assert_int_equal(audit_fsync_find("never"), AUDIT_FSYNC_NEVER);
    assert_int_equal(audit_fsync_find("sometimes"), -1);
    assert_int_equal(audit_fsync_find(""), -1);
    assert_int_equal(audit_fsync_find(NULL), -1);
    for (int i = 0; i < AUDIT_FSYNC_COUNT; i++)
        assert_int_equal(audit_fsync_find(audit_fsync_name((audit_fsync_t)i)), i);
    assert_string_equal(audit_fsync_name((audit_fsync_t)99), "?");
}

/* 4 x 20,000 records through a small queue (producers find it full and
 * try again): every one written once, whole. */
static void
test_four_threads(void **state)
{
    fx_t *f = *state;
    char path[256], err[256] = "";
    audit_cfg_t cfg = {.path = fx_path(f, "a.jsonl", path, sizeof path),
                       .fsync = AUDIT_FSYNC_INTERVAL,
                       .queue_max = 1000};
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    assert_string_equal(err, "");
    run_producers(a, 4, 20000);
    assert_int_equal(wait_written(a, 80000, 10000), 80000);
    audit_destroy(&a);
    assert_null(a);
    audit_destroy(&a); /* NULL is fine */
    assert_file_has_all(path, 4, 20000);
}

static void
test_each_policy(void **state)
{
    fx_t *f = *state;
    for (int pol = 0; pol < AUDIT_FSYNC_COUNT; pol++) {
        char name[32], path[256], err[256];
        snprintf(name, sizeof name, "%s.jsonl", audit_fsync_name((audit_fsync_t)pol));
        audit_cfg_t cfg = {.path = fx_path(f, name, path, sizeof path),
                           .fsync = (audit_fsync_t)pol,
                           .interval_ms = 50};
        audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
        assert_non_null(a);
        run_producers(a, 2, 3000);
        /* No waiting: destroy itself must write everything. */
        audit_destroy(&a);
        assert_file_has_all(path, 2, 3000);
    }
}

/* Puts records 0..n-1 of producer 0 through a fresh sink. */
static void
put_range(audit_t *a, int from, int to)
{
    audit_sink_t *s = audit_sink_new(a);
    assert_non_null(s);
    char rec[128];
    for (int i = from; i < to; i++) {
        int n = make_record(rec, sizeof rec, 0, i);
        assert_int_equal(put_wait(s, rec, (size_t)n), AUDIT_OK);
    }
    audit_sink_destroy(&s);
    assert_null(s);
}

static void
test_torn_tail(void **state)
{
    fx_t *f = *state;
    static const struct {
        const char *before; /* file content before audit_new */
        const char *kept;   /* what must remain of it */
    } cases[] = {
        {"{\"a\":1}\n{\"b\":", "{\"a\":1}\n"},
        {"{\"a\":1}\n{\"b\":2}\n", "{\"a\":1}\n{\"b\":2}\n"},
        {"{\"no newline at all", ""},
        {"", ""},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char name[32], path[256], err[256];
        snprintf(name, sizeof name, "torn%zu.jsonl", c);
        fx_path(f, name, path, sizeof path);
        tu_write_file(path, cases[c].before);
        audit_cfg_t cfg = {.path = path, .fsync = AUDIT_FSYNC_NEVER};
        audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
        assert_non_null(a);
        /* Repaired before audit_new returns. */
        size_t len;
        char *data = tu_read_file(path, &len);
        assert_non_null(data);
        assert_string_equal(data, cases[c].kept);
        free(data);
        put_range(a, 0, 3);
        audit_destroy(&a);
        data = tu_read_file(path, &len);
        assert_non_null(data);
        size_t k = strlen(cases[c].kept);
        assert_true(len > k);
        assert_memory_equal(data, cases[c].kept, k);
        unsigned char seen[3] = {0};
        assert_int_equal(check_lines(data + k, len - k, seen, 1, 3), 3);
        free(data);
    }
}

/* logrotate: rename, reopen; records put before land in either file,
 * records put after in the new one, none twice, none lost. */
static void
test_reopen(void **state)
{
    fx_t *f = *state;
    char path[256], old[256], err[256];
    fx_path(f, "r.jsonl", path, sizeof path);
    fx_path(f, "r.jsonl.1", old, sizeof old);
    audit_cfg_t cfg = {.path = path, .fsync = AUDIT_FSYNC_INTERVAL};
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    audit_sink_t *s = audit_sink_new(a);
    assert_non_null(s);
    char rec[128];
    for (int round = 0; round < 3; round++) {
        /* Round 0 lets the writer catch up before the rename; the others
         * rename while records are still in flight. */
        for (int i = 0; i < 5000; i++) {
            int n = make_record(rec, sizeof rec, 0, round * 10000 + i);
            assert_int_equal(put_wait(s, rec, (size_t)n), AUDIT_OK);
        }
        if (round == 0)
            assert_int_equal(wait_written(a, 5000, 5000), 5000);
        char rotated[300];
        struct stat st;
        /* The reopen before is asynchronous: wait for its new file. */
        for (int k = 0; k < 1000 && stat(path, &st) != 0; k++)
            usleep(10000);
        snprintf(rotated, sizeof rotated, "%s.%d", old, round);
        assert_int_equal(rename(path, rotated), 0);
        audit_reopen(a);
        for (int i = 5000; i < 10000; i++) {
            int n = make_record(rec, sizeof rec, 0, round * 10000 + i);
            assert_int_equal(put_wait(s, rec, (size_t)n), AUDIT_OK);
        }
    }
    audit_sink_destroy(&s);
    audit_destroy(&a);

    /* Files in rotation order: r.jsonl.1.0, .1.1, .1.2, then r.jsonl. */
    unsigned char *seen = calloc(30000, 1);
    assert_non_null(seen);
    size_t total = 0;
    for (int round = 0; round <= 3; round++) {
        char p[300];
        if (round < 3)
            snprintf(p, sizeof p, "%s.%d", old, round);
        else
            snprintf(p, sizeof p, "%s", path);
        size_t len;
        char *data = tu_read_file(p, &len);
        assert_non_null(data);
        unsigned char *fresh = calloc(30000, 1);
        assert_non_null(fresh);
        total += check_lines(data, len, fresh, 1, 30000);
        for (int i = 0; i < 30000; i++) {
            if (!fresh[i])
                continue;
            assert_int_equal(seen[i], 0);
            seen[i] = 1;
            /* Put before the reopen that moved this file away: what is
             * put after a reopen is in a later file. (What is put before
             * may be in this file or a later one.) */
            if (round < 3)
                assert_true(i < round * 10000 + 5000);
        }
        /* The first round had caught up before its rename. */
        if (round == 0)
            assert_int_equal(count_marked(fresh, 30000), 5000);
        free(fresh);
        free(data);
    }
    assert_int_equal(total, 30000);
    for (int i = 0; i < 30000; i++)
        if (!seen[i])
            fail_msg("record %d missing", i);
    free(seen);
}

static void
test_missing_dir(void **state)
{
    fx_t *f = *state;
    char path[256], want[512], err[512] = "";
    snprintf(path, sizeof path, "%s/missing/audit.jsonl", f->dir);
    audit_cfg_t cfg = {.path = path, .fsync = AUDIT_FSYNC_INTERVAL};
    assert_null(audit_new(f->zctx, &cfg, NULL, err, sizeof err));
    snprintf(want, sizeof want, "audit: %s: No such file or directory", path);
    assert_string_equal(err, want);
    cfg.path = "";
    assert_null(audit_new(f->zctx, &cfg, NULL, err, sizeof err));
    assert_string_equal(err, "audit: no file name");
}

/* INTERVAL writes at once: another reader sees the record long before
 * the handle is destroyed. */
static void
test_interval_visible(void **state)
{
    fx_t *f = *state;
    char path[256], err[256];
    audit_cfg_t cfg = {.path = fx_path(f, "i.jsonl", path, sizeof path),
                       .fsync = AUDIT_FSYNC_INTERVAL,
                       .interval_ms = 100};
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    audit_sink_t *s = audit_sink_new(a);
    assert_non_null(s);
    const char rec[] = "{\"id\":\"r1\",\"verdict\":\"clear\"}";
    assert_int_equal(audit_put(s, rec, strlen(rec)), AUDIT_OK);
    char *data = NULL;
    size_t len = 0;
    for (int k = 0; k < 200; k++) {
        free(data);
        data = tu_read_file(path, &len);
        assert_non_null(data);
        if (len > 0)
            break;
        usleep(10000);
    }
    assert_string_equal(data, "{\"id\":\"r1\",\"verdict\":\"clear\"}\n");
    free(data);
    assert_int_equal(wait_written(a, 1, 2000), 1);
    audit_sink_destroy(&s);
    audit_destroy(&a);
}

/* A record holding newlines stays one line; an empty one is ignored. */
static void
test_one_record_one_line(void **state)
{
    fx_t *f = *state;
    char path[256], err[256];
    audit_cfg_t cfg = {.path = fx_path(f, "nl.jsonl", path, sizeof path),
                       .fsync = AUDIT_FSYNC_ALWAYS};
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    audit_sink_t *s = audit_sink_new(a);
    assert_non_null(s);
    const char rec[] = "{\"a\":\n1,\r\n\"b\":2}";
    assert_int_equal(audit_put(s, rec, strlen(rec)), AUDIT_OK);
    assert_int_equal(audit_put(s, "", 0), AUDIT_OK);
    assert_int_equal(audit_put(s, "{}", 2), AUDIT_OK);
    audit_sink_destroy(&s);
    assert_int_equal(wait_written(a, 2, 2000), 2);
    audit_destroy(&a);
    size_t len;
    char *data = tu_read_file(path, &len);
    assert_non_null(data);
    assert_string_equal(data, "{\"a\": 1,  \"b\":2}\n{}\n");
    free(data);
}

/* ---- a disk that fails: scenarios in a child process ---------------- */

#define CHILD_RECORDS 4096 /* records a scenario may put */

/* What a scenario's child reports, in memory shared with the parent.
 * RLIMIT_FSIZE, our full disk, is per process: set in the test process
 * it would fail CMocka's report too when that goes to a file. CMocka's
 * assertions cannot be used in the child (a failure there would go on
 * with the next test in the child): CHILD_CHECK records the first
 * failed check here and ends the child, and the parent fails on it. */
typedef struct child {
    struct rlimit saved;                 /* the limit to restore */
    int line;                            /* line of the failed check; 0: none failed */
    char what[256];                      /* the failed check */
    unsigned char ok[CHILD_RECORDS];     /* record i was queued (AUDIT_OK) */
    int results[AUDIT_PUT_RESULT_COUNT]; /* audit_put results, by kind */
    int64_t max_put_us;                  /* the longest audit_put */
    int64_t destroy_ms;                  /* how long audit_destroy took */
} child_t;

#define CHILD_CHECK(c, cond)                                                                       \
    do {                                                                                           \
        if (!(cond))                                                                               \
            child_fail((c), __LINE__, #cond);                                                      \
    } while (0)

static void
child_fail(child_t *c, int line, const char *what)
{
    setrlimit(RLIMIT_FSIZE, &c->saved);
    c->line = line;
    snprintf(c->what, sizeof c->what, "%s", what);
    _exit(1);
}

/* Runs fn(dir, zctx, c) in a child process with a ZeroMQ context of its
 * own and SIGXFSZ ignored (a write past the limit then fails with
 * EFBIG). Fails the test if a check failed there or the child did not
 * exit 0 within 60 s. Returns the report; caller frees it (child_free). */
static child_t *
run_child(void (*fn)(const char *dir, void *zctx, child_t *c), const char *dir)
{
    child_t *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(c != MAP_FAILED);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &c->saved), 0);
    if (c->saved.rlim_max != RLIM_INFINITY && c->saved.rlim_max < 1 << 20) {
        munmap(c, sizeof *c);
        skip();
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(60);
        signal(SIGXFSZ, SIG_IGN);
        void *zctx = zmq_ctx_new();
        CHILD_CHECK(c, zctx != NULL);
        fn(dir, zctx, c);
        /* Hangs (until the alarm) if the scenario left a socket open. */
        CHILD_CHECK(c, zmq_ctx_term(zctx) == 0);
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        assert_int_equal(errno, EINTR);
    if (c->line != 0)
        fail_msg("in the child, line %d: check failed: %s", c->line, c->what);
    if (WIFSIGNALED(st))
        fail_msg("the child was killed by signal %d", WTERMSIG(st));
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return c;
}

static void
child_free(child_t *c)
{
    munmap(c, sizeof *c);
}

/* Puts record i of producer 0, tallied in c; checks that the put did
 * not wait and that no more than qmax records are queued. */
static audit_put_result_t
timed_put(child_t *c, audit_t *a, audit_sink_t *s, int i, unsigned qmax)
{
    char rec[128];
    int n = make_record(rec, sizeof rec, 0, i);
    int64_t t0 = now_us();
    audit_put_result_t r = audit_put(s, rec, (size_t)n);
    int64_t dt = now_us() - t0;
    if (dt > c->max_put_us)
        c->max_put_us = dt;
    CHILD_CHECK(c, dt < PUT_MAX_US);
    CHILD_CHECK(c, (unsigned)r < AUDIT_PUT_RESULT_COUNT);
    CHILD_CHECK(c, i >= 0 && i < CHILD_RECORDS);
    CHILD_CHECK(c, audit_queued(a) <= qmax);
    c->results[r]++;
    if (r == AUDIT_OK)
        c->ok[i] = 1;
    return r;
}

/* Records not queued, by the child's tally. */
static uint64_t
refused(const child_t *c)
{
    return (uint64_t)(c->results[AUDIT_FULL] + c->results[AUDIT_FAILING] + c->results[AUDIT_GONE]);
}

/* Write errors (EFBIG past RLIMIT_FSIZE): what was queued stays, new
 * records are refused rather than piled up, the file keeps whole lines
 * only, a reopen in the outage is safe, and writing resumes on its own
 * once the disk takes data again. */
static void
write_errors_child(const char *dir, void *zctx, child_t *c)
{
    char path[256], old[256], err[256];
    snprintf(path, sizeof path, "%s/e.jsonl", dir);
    snprintf(old, sizeof old, "%s/e.jsonl.1", dir);
    audit_cfg_t cfg = {.path = path, .fsync = AUDIT_FSYNC_INTERVAL, .interval_ms = 50};
    audit_t *a = audit_new(zctx, &cfg, NULL, err, sizeof err);
    CHILD_CHECK(c, a != NULL);
    audit_sink_t *s = audit_sink_new(a);
    CHILD_CHECK(c, s != NULL);
    struct rlimit low = c->saved;
    low.rlim_cur = 4000;
    CHILD_CHECK(c, setrlimit(RLIMIT_FSIZE, &low) == 0);
    for (int i = 0; i < 200; i++) { /* about 12 KB: far past the limit */
        audit_put_result_t r = timed_put(c, a, s, i, AUDIT_QUEUE_MAX_DEFAULT);
        CHILD_CHECK(c, r == AUDIT_OK || r == AUDIT_FAILING);
    }
    CHILD_CHECK(c, !wait_healthy(a, false, 5000));
    uint64_t w = audit_written(a);
    CHILD_CHECK(c, w > 0 && w < (uint64_t)c->results[AUDIT_OK]);
    CHILD_CHECK(c, audit_failures(a) > 0);
    /* Rotate in the middle of the outage: the writer opens the new file
     * (wait for it) and goes on failing there, past 4000 bytes. */
    CHILD_CHECK(c, rename(path, old) == 0);
    audit_reopen(a);
    struct stat st;
    for (int k = 0; k < 500 && stat(path, &st) != 0; k++)
        usleep(10000);
    CHILD_CHECK(c, stat(path, &st) == 0);
    usleep(200000);
    CHILD_CHECK(c, setrlimit(RLIMIT_FSIZE, &c->saved) == 0);
    /* Refused until the writer's next try (at most 1 s away) succeeds;
     * then queued, and written to the new file. */
    for (int i = 200; i < 300; i++) {
        audit_put_result_t r;
        for (int k = 0;
             (r = timed_put(c, a, s, i, AUDIT_QUEUE_MAX_DEFAULT)) != AUDIT_OK && k < 5000; k++)
            usleep(1000);
        CHILD_CHECK(c, r == AUDIT_OK);
    }
    uint64_t ok = (uint64_t)c->results[AUDIT_OK];
    CHILD_CHECK(c, wait_written(a, ok, 5000) == ok);
    CHILD_CHECK(c, audit_healthy(a));
    CHILD_CHECK(c, audit_dropped(a) == refused(c));
    audit_sink_destroy(&s);
    audit_destroy(&a);
}

static void
test_write_errors(void **state)
{
    fx_t *f = *state;
    child_t *c = run_child(write_errors_child, f->dir);
    char path[256], old[256];
    fx_path(f, "e.jsonl", path, sizeof path);
    fx_path(f, "e.jsonl.1", old, sizeof old);
    unsigned char seen1[300] = {0}, seen2[300] = {0};
    size_t len1, len2;
    char *d1 = tu_read_file(old, &len1), *d2 = tu_read_file(path, &len2);
    assert_non_null(d1);
    assert_non_null(d2);
    assert_true(len1 <= 4000);
    /* Whole lines only in the rotated file: the partial record was cut. */
    size_t n1 = check_lines(d1, len1, seen1, 1, 300);
    size_t n2 = check_lines(d2, len2, seen2, 1, 300);
    assert_true(n1 > 0);
    assert_int_equal(n1 + n2, (size_t)c->results[AUDIT_OK]);
    for (int i = 0; i < 300; i++) {
        /* Every record queued is written once; no other is. */
        assert_int_equal(seen1[i] + seen2[i], c->ok[i]);
        if (i >= 200)
            assert_int_equal(seen2[i], 1); /* put after the reopen */
    }
    free(d1);
    free(d2);
    child_free(c);
}

/* A full disk, then its recovery. While writes fail audit_put refuses
 * at once (AUDIT_FAILING) and nothing piles up; the records queued when
 * the disk filled are kept and written once it takes data again, and
 * audit_healthy follows. */
static void
full_disk_child(const char *dir, void *zctx, child_t *c)
{
    const unsigned qmax = 64;
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/full.jsonl", dir);
    audit_cfg_t cfg = {.path = path,
                       .fsync = AUDIT_FSYNC_INTERVAL,
                       .interval_ms = 50,
                       .queue_max = qmax,
                       .stop_ms = 500};
    audit_t *a = audit_new(zctx, &cfg, NULL, err, sizeof err);
    CHILD_CHECK(c, a != NULL);
    audit_sink_t *s = audit_sink_new(a);
    CHILD_CHECK(c, s != NULL);
    for (int i = 0; i < 10; i++)
        CHILD_CHECK(c, timed_put(c, a, s, i, qmax) == AUDIT_OK);
    CHILD_CHECK(c, wait_written(a, 10, 5000) == 10);
    CHILD_CHECK(c, audit_healthy(a));
    CHILD_CHECK(c, audit_failures(a) == 0);

    /* The disk fills: room for 10 more bytes, less than any record. */
    struct stat st;
    CHILD_CHECK(c, stat(path, &st) == 0);
    struct rlimit low = c->saved;
    low.rlim_cur = (rlim_t)st.st_size + 10;
    CHILD_CHECK(c, setrlimit(RLIMIT_FSIZE, &low) == 0);
    for (int i = 10; i < 30; i++) {
        audit_put_result_t r = timed_put(c, a, s, i, qmax);
        CHILD_CHECK(c, r == AUDIT_OK || r == AUDIT_FAILING);
    }
    CHILD_CHECK(c, !wait_healthy(a, false, 5000));
    CHILD_CHECK(c, audit_failures(a) > 0);
    CHILD_CHECK(c, audit_written(a) == 10);
    int queued_before = c->results[AUDIT_OK];

    /* While it fails: every put refused at once, nothing more queued. */
    uint64_t q0 = audit_queued(a);
    for (int i = 30; i < 2030; i++)
        CHILD_CHECK(c, timed_put(c, a, s, i, qmax) == AUDIT_FAILING);
    CHILD_CHECK(c, audit_queued(a) <= q0);
    CHILD_CHECK(c, audit_dropped(a) == refused(c));
    CHILD_CHECK(c, audit_written(a) == 10);
    CHILD_CHECK(c, !audit_healthy(a));

    /* The disk recovers: healthy again within the writer's backoff (at
     * most 1 s), and what was queued before is written. */
    CHILD_CHECK(c, setrlimit(RLIMIT_FSIZE, &c->saved) == 0);
    CHILD_CHECK(c, wait_healthy(a, true, 5000));
    CHILD_CHECK(c, wait_written(a, (uint64_t)queued_before, 5000) == (uint64_t)queued_before);
    for (int i = 2030; i < 2080; i++) {
        audit_put_result_t r;
        for (int k = 0; (r = timed_put(c, a, s, i, qmax)) == AUDIT_FULL && k < 5000; k++)
            usleep(1000);
        CHILD_CHECK(c, r == AUDIT_OK);
    }
    uint64_t ok = (uint64_t)c->results[AUDIT_OK];
    CHILD_CHECK(c, wait_written(a, ok, 5000) == ok);
    CHILD_CHECK(c, audit_healthy(a));
    audit_sink_destroy(&s);
    int64_t t0 = now_us();
    audit_destroy(&a);
    c->destroy_ms = (now_us() - t0) / 1000;
}

static void
test_full_disk(void **state)
{
    fx_t *f = *state;
    child_t *c = run_child(full_disk_child, f->dir);
    char path[256];
    fx_path(f, "full.jsonl", path, sizeof path);
    size_t len;
    char *data = tu_read_file(path, &len);
    assert_non_null(data);
    unsigned char seen[2080] = {0};
    assert_int_equal(check_lines(data, len, seen, 1, 2080), (size_t)c->results[AUDIT_OK]);
    for (int i = 0; i < 2080; i++)
        assert_int_equal(seen[i], c->ok[i]);
    assert_true(c->results[AUDIT_FAILING] >= 2000);
    print_message("full disk: %d records queued, %d refused while failing; "
                  "longest put %lld us\n",
                  c->results[AUDIT_OK], c->results[AUDIT_FAILING], (long long)c->max_put_us);
    free(data);
    child_free(c);
}

/* A disk that never takes data, with a burst put as it fails: every put
 * returns at once, the queue stays within queue_max, and audit_destroy
 * gives up stop_ms after it is called (the records it held are lost,
 * and logged as such). */
static void
give_up_child(const char *dir, void *zctx, child_t *c)
{
    const unsigned qmax = 64, stop_ms = 500;
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/never.jsonl", dir);
    audit_cfg_t cfg = {
        .path = path, .fsync = AUDIT_FSYNC_ALWAYS, .queue_max = qmax, .stop_ms = stop_ms};
    audit_t *a = audit_new(zctx, &cfg, NULL, err, sizeof err);
    CHILD_CHECK(c, a != NULL);
    struct rlimit low = c->saved;
    low.rlim_cur = 0;
    CHILD_CHECK(c, setrlimit(RLIMIT_FSIZE, &low) == 0);
    audit_sink_t *s = audit_sink_new(a);
    CHILD_CHECK(c, s != NULL);
    for (int i = 0; i < 1000; i++)
        timed_put(c, a, s, i, qmax);
    CHILD_CHECK(c, c->results[AUDIT_OK] > 0);
    CHILD_CHECK(c, !wait_healthy(a, false, 5000));
    CHILD_CHECK(c, audit_written(a) == 0);
    CHILD_CHECK(c, audit_dropped(a) == refused(c));
    audit_sink_destroy(&s);
    int64_t t0 = now_us();
    audit_destroy(&a);
    c->destroy_ms = (now_us() - t0) / 1000;
    CHILD_CHECK(c, a == NULL);
    CHILD_CHECK(c, c->destroy_ms <= stop_ms + 1000);
}

static void
test_give_up(void **state)
{
    fx_t *f = *state;
    child_t *c = run_child(give_up_child, f->dir);
    char path[256];
    size_t len;
    char *data = tu_read_file(fx_path(f, "never.jsonl", path, sizeof path), &len);
    assert_non_null(data);
    assert_int_equal(len, 0);
    print_message("give up: %d queued, %d full, %d failing; destroy took %lld ms\n",
                  c->results[AUDIT_OK], c->results[AUDIT_FULL], c->results[AUDIT_FAILING],
                  (long long)c->destroy_ms);
    free(data);
    child_free(c);
}

/* A burst through a queue of 2: a put that finds it full returns
 * AUDIT_FULL at once, never more than queue_max records are queued, and
 * every record queued is written while the others count as dropped. */
static void
test_burst_full(void **state)
{
    fx_t *f = *state;
    enum { N = 20000 };
    char path[256], err[256];
    audit_cfg_t cfg = {.path = fx_path(f, "burst.jsonl", path, sizeof path),
                       .fsync = AUDIT_FSYNC_NEVER,
                       .queue_max = 2};
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    audit_sink_t *s = audit_sink_new(a);
    assert_non_null(s);
    unsigned char *ok = calloc(N, 1), *seen = calloc(N, 1);
    assert_non_null(ok);
    assert_non_null(seen);
    int results[AUDIT_PUT_RESULT_COUNT] = {0};
    int64_t max_us = 0;
    for (int i = 0; i < N; i++) {
        char rec[128];
        int n = make_record(rec, sizeof rec, 0, i);
        int64_t t0 = now_us();
        audit_put_result_t r = audit_put(s, rec, (size_t)n);
        int64_t dt = now_us() - t0;
        max_us = dt > max_us ? dt : max_us;
        assert_true(r == AUDIT_OK || r == AUDIT_FULL);
        results[r]++;
        ok[i] = r == AUDIT_OK;
        uint64_t q = audit_queued(a);
        if (q > 2)
            fail_msg("record %d: %llu records queued; queue_max is 2", i, (unsigned long long)q);
    }
    assert_true(max_us < PUT_MAX_US);
    assert_true(results[AUDIT_FULL] > 0);
    assert_int_equal(audit_dropped(a), (uint64_t)results[AUDIT_FULL]);
    audit_sink_destroy(&s);
    assert_int_equal(wait_written(a, (uint64_t)results[AUDIT_OK], 5000),
                     (uint64_t)results[AUDIT_OK]);
    assert_true(audit_healthy(a));
    assert_int_equal(audit_failures(a), 0);
    audit_destroy(&a);
    size_t len;
    char *data = tu_read_file(path, &len);
    assert_non_null(data);
    assert_int_equal(check_lines(data, len, seen, 1, N), (size_t)results[AUDIT_OK]);
    assert_memory_equal(seen, ok, N);
    print_message("burst: %d queued, %d full; longest put %lld us\n", results[AUDIT_OK],
                  results[AUDIT_FULL], (long long)max_us);
    free(data);
    free(seen);
    free(ok);
}

/* ---- a private regular file, or none ---------------------------------- */

static mode_t
file_mode(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode & 07777;
}

/* Opens path with audit_new and closes it again; the handle must open. */
static void
open_close(fx_t *f, const char *path)
{
    char err[512] = "";
    audit_cfg_t cfg = {.path = path, .fsync = AUDIT_FSYNC_NEVER};
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    if (a == NULL)
        fail_msg("audit_new: %s", err);
    audit_destroy(&a);
}

/* New files are 0640 whatever the umask; an existing file that shows
 * more loses it, with a warning; one that shows less keeps its mode. */
static void
test_file_mode(void **state)
{
    fx_t *f = *state;
    char path[256];
    mode_t old_umask = umask(0);
    open_close(f, fx_path(f, "m0.jsonl", path, sizeof path));
    assert_int_equal(file_mode(path), 0640);
    umask(077);
    open_close(f, fx_path(f, "m77.jsonl", path, sizeof path));
    assert_int_equal(file_mode(path), 0640);
    umask(old_umask);

    static const struct {
        mode_t before, after;
    } cases[] = {
        {0644, 0640},               /* world-readable */
        {0660, 0640},               /* group-writable */
        {0666, 0640}, {0755, 0640}, /* executable too */
        {0604, 0600},               /* only what is too much goes */
        {0640, 0640}, {0600, 0600}, /* stricter is kept */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char name[32], want[512];
        snprintf(name, sizeof name, "old%zu.jsonl", k);
        fx_path(f, name, path, sizeof path);
        tu_write_file(path, "{\"old\":1}\n");
        assert_int_equal(chmod(path, cases[k].before), 0);
        tu_capture_t cap;
        tu_capture_start(&cap);
        open_close(f, path);
        char *logged = tu_capture_end(&cap);
        assert_int_equal(file_mode(path), cases[k].after);
        snprintf(want, sizeof want, "audit: %s was mode %04o; set to %04o", path,
                 (unsigned)cases[k].before, (unsigned)cases[k].after);
        if (cases[k].before != cases[k].after && strstr(logged, want) == NULL)
            fail_msg("no \"%s\" in the log: %s", want, logged);
        if (cases[k].before == cases[k].after && strstr(logged, "was mode") != NULL)
            fail_msg("a warning for a mode that was fine: %s", logged);
        free(logged);
        /* The records before are kept. */
        char *data = tu_read_file(path, NULL);
        assert_string_equal(data, "{\"old\":1}\n");
        free(data);
    }
}

/* A symbolic link at the path is refused, at audit_new and at
 * audit_reopen (which keeps the old file); the file it points to is
 * left alone, content and mode. */
static void
test_symlink(void **state)
{
    fx_t *f = *state;
    char target[256], link[256], dangling[256], want[512], err[512] = "";
    fx_path(f, "target.jsonl", target, sizeof target);
    fx_path(f, "link.jsonl", link, sizeof link);
    fx_path(f, "dangling.jsonl", dangling, sizeof dangling);
    tu_write_file(target, "{\"other\":1}\n");
    assert_int_equal(chmod(target, 0644), 0);
    assert_int_equal(symlink(target, link), 0);
    audit_cfg_t cfg = {.path = link, .fsync = AUDIT_FSYNC_NEVER};
    assert_null(audit_new(f->zctx, &cfg, NULL, err, sizeof err));
    snprintf(want, sizeof want, "audit: %s is a symbolic link; refusing to follow it", link);
    assert_string_equal(err, want);
    /* A link to nowhere would have us create its target. */
    char nowhere[256];
    fx_path(f, "nowhere.jsonl", nowhere, sizeof nowhere);
    assert_int_equal(symlink(nowhere, dangling), 0);
    cfg.path = dangling;
    assert_null(audit_new(f->zctx, &cfg, NULL, err, sizeof err));
    snprintf(want, sizeof want, "audit: %s is a symbolic link; refusing to follow it", dangling);
    assert_string_equal(err, want);
    assert_int_equal(access(nowhere, F_OK), -1);

    /* At reopen: a link planted where logrotate moved the file away. */
    char path[256], moved[256];
    fx_path(f, "s.jsonl", path, sizeof path);
    fx_path(f, "s.jsonl.1", moved, sizeof moved);
    cfg.path = path;
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    audit_sink_t *s = audit_sink_new(a);
    assert_non_null(s);
    char rec[128];
    int n = make_record(rec, sizeof rec, 0, 0);
    assert_int_equal(audit_put(s, rec, (size_t)n), AUDIT_OK);
    assert_int_equal(wait_written(a, 1, 5000), 1);
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(symlink(target, path), 0);
    tu_capture_t cap;
    tu_capture_start(&cap);
    audit_reopen(a);
    n = make_record(rec, sizeof rec, 0, 1);
    assert_int_equal(audit_put(s, rec, (size_t)n), AUDIT_OK);
    assert_int_equal(wait_written(a, 2, 5000), 2);
    audit_sink_destroy(&s);
    audit_destroy(&a);
    char *logged = tu_capture_end(&cap);
    snprintf(want, sizeof want,
             "audit: %s is a symbolic link; refusing to follow it; "
             "still writing to the old file",
             path);
    if (strstr(logged, want) == NULL)
        fail_msg("no \"%s\" in the log: %s", want, logged);
    free(logged);
    size_t len;
    char *data = tu_read_file(moved, &len);
    assert_non_null(data);
    unsigned char seen[2] = {0};
    assert_int_equal(check_lines(data, len, seen, 1, 2), 2);
    free(data);
    data = tu_read_file(target, NULL);
    assert_string_equal(data, "{\"other\":1}\n");
    free(data);
    assert_int_equal(file_mode(target), 0644);
}

/* A directory, a FIFO (not waited on for a reader) and a device are
 * refused, each with what it is. */
static void
test_not_regular(void **state)
{
    fx_t *f = *state;
    char sub[256], fifo[256];
    fx_path(f, "sub", sub, sizeof sub);
    fx_path(f, "fifo", fifo, sizeof fifo);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    const struct {
        const char *path;
        const char *kind;
    } cases[] = {
        {sub, "a directory"},
        {fifo, "a FIFO"},
        {"/dev/null", "a character device"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char want[512], err[512] = "";
        audit_cfg_t cfg = {.path = cases[k].path, .fsync = AUDIT_FSYNC_NEVER};
        int64_t t0 = now_us();
        assert_null(audit_new(f->zctx, &cfg, NULL, err, sizeof err));
        assert_true(now_us() - t0 < 1000000);
        snprintf(want, sizeof want, "audit: %s is %s, not a regular file", cases[k].path,
                 cases[k].kind);
        assert_string_equal(err, want);
    }
    assert_int_equal(file_mode(fifo), 0644);
}

/* A record's line, byte for byte: the unreadable request kept raw (or
 * in base64, or not at all when something is masked), a read request in
 * the wire format with its masked fields as "***". */
static void
test_record_line(void **state)
{
    (void)state;
    request_t req;
    request_init(&req);
    audit_record_t r = {
        .at = {86400, 123456789},
        .peer = "127.0.0.1",
        .req = &req,
        .raw = "{\"x\":",
        .raw_len = 5,
        .err = ERR_BAD_REQUEST,
        .errmsg = "invalid JSON at byte 5",
        .latency_us = 42,
    };
    static const char *const mask[] = {"text"};
    sbuf_t b = SBUF_INIT;
    audit_format(&b, &r, NULL, 0);
    assert_string_equal(b.data,
                        "{\"ts\":\"1970-01-02T00:00:00.123456Z\",\"peer\":\"127.0.0.1\","
                        "\"id\":null,\"bytes\":5,\"raw\":\"{\\\"x\\\":\",\"error\":{\"code\":"
                        "\"bad_request\",\"message\":\"invalid JSON at byte 5\"},"
                        "\"ruleset\":null,\"latency_us\":42}");
    sbuf_clear(&b);
    audit_format(&b, &r, mask, 1);
    assert_non_null(strstr(b.data, "\"bytes\":5,\"error\":"));
    sbuf_clear(&b);
    r.raw = "\xff\xfe";
    r.raw_len = 2;
    audit_format(&b, &r, NULL, 0);
    assert_non_null(strstr(b.data, "\"bytes\":2,\"raw_base64\":\"//4=\",\"error\":"));
    sbuf_clear(&b);
    req.id = "p-1";
    req.op = REQ_OP_PING;
    req.text = "secret";
    r.parsed = true;
    r.err = ERR_NONE;
    r.errmsg = NULL;
    audit_format(&b, &r, mask, 1);
    assert_string_equal(b.data, "{\"ts\":\"1970-01-02T00:00:00.123456Z\",\"peer\":\"127.0.0.1\","
                                "\"id\":\"p-1\",\"request\":{\"id\":\"p-1\",\"op\":\"ping\"},"
                                "\"ruleset\":null,\"latency_us\":42}");
    assert_false(b.oom);
    sbuf_free(&b);
}

int
main(void)
{
    /* A failed assertion leaves sockets open and zmq_ctx_term would wait
     * for ever: bound the run, and keep what was printed. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(300);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_result_names),
        cmocka_unit_test(test_fsync_names),
        cmocka_unit_test(test_record_line),
        cmocka_unit_test_setup_teardown(test_four_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interval_visible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_record_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_give_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
