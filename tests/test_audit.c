/* test_audit.c -- the audit log writer: no record lost, torn or
 * interleaved, under every policy, through reopen and write errors. */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "audit.h"
#include "testutil.h"

#define MAX_THREADS 4

typedef struct fx {
    char dir[64];               /* private temporary directory */
    void *zctx;                 /* a context per test, as the daemon has one */
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
    static const char pad[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    return snprintf(buf, cap, "{\"t\":%d,\"i\":%d,\"pad\":\"%.*s\"}", t, i,
                    (i * 7 + t) % 60, pad);
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
    int last[MAX_THREADS] = { -1, -1, -1, -1 };
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
        assert_true(i > last[t]);       /* one producer's records keep their order */
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

typedef struct producer {
    audit_t *a;                 /* shared handle */
    int t;                      /* producer number */
    int n;                      /* records to put */
    int failures;               /* audit_put errors (must stay 0) */
    int no_sink;                /* audit_sink_new failed */
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
        if (audit_put(s, rec, (size_t)n) != 0)
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
        p[t] = (producer_t){ .a = a, .t = t, .n = per };
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

/* 4 x 20,000 records through a small queue (producers hit the
 * high-water mark and wait): every one written once, whole. */
static void
test_four_threads(void **state)
{
    fx_t *f = *state;
    char path[256], err[256] = "";
    audit_cfg_t cfg = { .path = fx_path(f, "a.jsonl", path, sizeof path),
                        .fsync = AUDIT_FSYNC_INTERVAL, .queue_max = 1000 };
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    assert_string_equal(err, "");
    run_producers(a, 4, 20000);
    assert_int_equal(wait_written(a, 80000, 10000), 80000);
    audit_destroy(&a);
    assert_null(a);
    audit_destroy(&a);                  /* NULL is fine */
    assert_file_has_all(path, 4, 20000);
}

static void
test_each_policy(void **state)
{
    fx_t *f = *state;
    for (int pol = 0; pol < AUDIT_FSYNC_COUNT; pol++) {
        char name[32], path[256], err[256];
        snprintf(name, sizeof name, "%s.jsonl", audit_fsync_name((audit_fsync_t)pol));
        audit_cfg_t cfg = { .path = fx_path(f, name, path, sizeof path),
                            .fsync = (audit_fsync_t)pol, .interval_ms = 50 };
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
        assert_int_equal(audit_put(s, rec, (size_t)n), 0);
    }
    audit_sink_destroy(&s);
    assert_null(s);
}

static void
test_torn_tail(void **state)
{
    fx_t *f = *state;
    static const struct {
        const char *before;         /* file content before audit_new */
        const char *kept;           /* what must remain of it */
    } cases[] = {
        { "{\"a\":1}\n{\"b\":", "{\"a\":1}\n" },
        { "{\"a\":1}\n{\"b\":2}\n", "{\"a\":1}\n{\"b\":2}\n" },
        { "{\"no newline at all", "" },
        { "", "" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char name[32], path[256], err[256];
        snprintf(name, sizeof name, "torn%zu.jsonl", c);
        fx_path(f, name, path, sizeof path);
        tu_write_file(path, cases[c].before);
        audit_cfg_t cfg = { .path = path, .fsync = AUDIT_FSYNC_NEVER };
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
        unsigned char seen[3] = { 0 };
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
    audit_cfg_t cfg = { .path = path, .fsync = AUDIT_FSYNC_INTERVAL };
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
            assert_int_equal(audit_put(s, rec, (size_t)n), 0);
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
            assert_int_equal(audit_put(s, rec, (size_t)n), 0);
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
    audit_cfg_t cfg = { .path = path, .fsync = AUDIT_FSYNC_INTERVAL };
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
    audit_cfg_t cfg = { .path = fx_path(f, "i.jsonl", path, sizeof path),
                        .fsync = AUDIT_FSYNC_INTERVAL, .interval_ms = 100 };
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    audit_sink_t *s = audit_sink_new(a);
    assert_non_null(s);
    const char rec[] = "{\"id\":\"r1\",\"verdict\":\"clear\"}";
    assert_int_equal(audit_put(s, rec, strlen(rec)), 0);
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
    audit_cfg_t cfg = { .path = fx_path(f, "nl.jsonl", path, sizeof path),
                        .fsync = AUDIT_FSYNC_ALWAYS };
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    audit_sink_t *s = audit_sink_new(a);
    assert_non_null(s);
    const char rec[] = "{\"a\":\n1,\r\n\"b\":2}";
    assert_int_equal(audit_put(s, rec, strlen(rec)), 0);
    assert_int_equal(audit_put(s, "", 0), 0);
    assert_int_equal(audit_put(s, "{}", 2), 0);
    audit_sink_destroy(&s);
    assert_int_equal(wait_written(a, 2, 2000), 2);
    audit_destroy(&a);
    size_t len;
    char *data = tu_read_file(path, &len);
    assert_non_null(data);
    assert_string_equal(data, "{\"a\": 1,  \"b\":2}\n{}\n");
    free(data);
}

/* Write errors (here EFBIG from RLIMIT_FSIZE): records stay in memory,
 * the file keeps whole lines only, a reopen in the outage is safe, and
 * writing resumes on its own once the disk takes data again. */
static void
test_write_errors(void **state)
{
    fx_t *f = *state;
    char path[256], old[256], err[256];
    fx_path(f, "e.jsonl", path, sizeof path);
    fx_path(f, "e.jsonl.1", old, sizeof old);
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 1 << 20)
        skip();
    void (*saved_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    audit_cfg_t cfg = { .path = path, .fsync = AUDIT_FSYNC_INTERVAL, .interval_ms = 50 };
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    low = saved;
    low.rlim_cur = 4000;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);

    audit_sink_t *s = audit_sink_new(a);
    assert_non_null(s);
    char rec[128];
    for (int i = 0; i < 200; i++) {      /* about 12 KB: far past the limit */
        int n = make_record(rec, sizeof rec, 0, i);
        assert_int_equal(audit_put(s, rec, (size_t)n), 0);
    }
    usleep(300000);
    uint64_t w = audit_written(a);
    assert_true(w > 0 && w < 200);
    /* Rotate in the middle of the outage, then put more. */
    assert_int_equal(rename(path, old), 0);
    audit_reopen(a);
    for (int i = 200; i < 300; i++) {
        int n = make_record(rec, sizeof rec, 0, i);
        assert_int_equal(audit_put(s, rec, (size_t)n), 0);
    }
    usleep(300000);
    assert_true(audit_written(a) < 300);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    /* Retries back off to at most 1 s. */
    assert_int_equal(wait_written(a, 300, 3000), 300);
    audit_sink_destroy(&s);
    audit_destroy(&a);
    signal(SIGXFSZ, saved_sig);

    unsigned char seen1[300] = { 0 }, seen2[300] = { 0 };
    size_t len1, len2;
    char *d1 = tu_read_file(old, &len1), *d2 = tu_read_file(path, &len2);
    assert_non_null(d1);
    assert_non_null(d2);
    assert_true(len1 <= 4000);
    /* Whole lines only in the rotated file: the partial record was cut. */
    size_t n1 = check_lines(d1, len1, seen1, 1, 300);
    size_t n2 = check_lines(d2, len2, seen2, 1, 300);
    assert_true(n1 > 0);
    assert_int_equal(n1 + n2, 300);
    for (int i = 0; i < 300; i++) {
        assert_int_equal(seen1[i] + seen2[i], 1);
        if (i >= 200)
            assert_int_equal(seen2[i], 1);      /* put after the reopen */
    }
    free(d1);
    free(d2);
}

/* A disk that never takes data: destroy still returns, after stop_ms. */
static void
test_give_up(void **state)
{
    fx_t *f = *state;
    char err[256];
    if (access("/dev/full", W_OK) != 0)
        skip();
    audit_cfg_t cfg = { .path = "/dev/full", .fsync = AUDIT_FSYNC_ALWAYS, .stop_ms = 200 };
    audit_t *a = audit_new(f->zctx, &cfg, NULL, err, sizeof err);
    assert_non_null(a);
    put_range(a, 0, 10);
    usleep(100000);
    assert_int_equal(audit_written(a), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    audit_destroy(&a);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_null(a);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
}

int
main(void)
{
    /* A failed assertion leaves sockets open and zmq_ctx_term would wait
     * for ever: bound the run, and keep what was printed. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(300);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fsync_names),
        cmocka_unit_test_setup_teardown(test_four_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interval_visible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_record_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_give_up, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
