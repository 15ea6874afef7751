/* SPDX-License-Identifier: Apache-2.0 */
/* test_stats.c -- the daemon's counters: latency quantiles within the
 * histogram's precision, counts summed over workers, the JSON shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "stats.h"

/* Quantiles are the upper bound of a bucket about 3 % wide. */
#define TOLERANCE 0.04

static void
assert_near(uint64_t got, double want)
{
    double err = ((double)got - want) / want;
    if (err < -TOLERANCE || err > TOLERANCE)
        fail_msg("quantile %llu is not within 4%% of %.0f", (unsigned long long)got, want);
}

/* The counters as a parsed JSON object, snapshot and written as the
 * stats reply writes them; caller owns it (cJSON_Delete). */
static cJSON *
stats_json(const stats_t *s, const char *const *names, size_t n_names)
{
    sbuf_t b = SBUF_INIT;
    proto_counters_t c;
    stats_snapshot(s, &c);
    sbuf_putc(&b, '{');
    proto_write_counters(&b, &c, names, n_names);
    sbuf_putc(&b, '}');
    assert_false(b.oom);
    cJSON *j = cJSON_Parse(b.data);
    if (j == NULL)
        fail_msg("proto_write_counters wrote invalid JSON: %s", b.data);
    sbuf_free(&b);
    return j;
}

/* The number at path a.b (b may be NULL), or fails the test. */
static double
num(const cJSON *j, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
    if (v != NULL && b != NULL)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    if (!cJSON_IsNumber(v))
        fail_msg("no number at %s%s%s", a, b ? "." : "", b ? b : "");
    return v->valuedouble;
}

static int
n_members(const cJSON *j, const char *name)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, name);
    assert_true(cJSON_IsObject(o));
    return cJSON_GetArraySize(o);
}

static void
test_empty(void **state)
{
    (void)state;
    stats_t *s = stats_new(2);
    assert_non_null(s);
    assert_int_equal(stats_quantile(s, 0.0), 0);
    assert_int_equal(stats_quantile(s, 0.5), 0);
    assert_int_equal(stats_quantile(s, 1.0), 0);
    cJSON *j = stats_json(s, NULL, 0);
    assert_int_equal(num(j, "requests", NULL), 0);
    assert_int_equal(num(j, "by_op", "screen"), 0);
    assert_int_equal(num(j, "by_op", "unreadable"), 0);
    assert_int_equal(n_members(j, "by_verdict"), 0);
    assert_int_equal(num(j, "by_error", "bad_request"), 0);
    assert_int_equal(num(j, "latency_us", "p50"), 0);
    assert_int_equal(num(j, "latency_us", "p999"), 0);
    assert_int_equal(num(j, "latency_us", "max"), 0);
    assert_int_equal(num(j, "undeliverable", NULL), 0);
    cJSON_Delete(j);
    stats_destroy(&s);
    assert_null(s);
    stats_destroy(&s);
    stats_destroy(NULL);
}

/* 1..1000 µs once each: p50 about 500, p99 about 990. */
static void
test_uniform_quantiles(void **state)
{
    (void)state;
    stats_t *s = stats_new(1);
    assert_non_null(s);
    for (uint64_t v = 1; v <= 1000; v++)
        stats_record(s, 0, REQ_OP_SCREEN, 0, ERR_NONE, v);
    assert_near(stats_quantile(s, 0.50), 500);
    assert_near(stats_quantile(s, 0.90), 900);
    assert_near(stats_quantile(s, 0.99), 990);
    assert_near(stats_quantile(s, 0.999), 999);
    assert_near(stats_quantile(s, 1.0), 1000);
    assert_int_equal(stats_quantile(s, 0.0), 1);
    /* An upper bound: never below the true quantile. */
    assert_true(stats_quantile(s, 0.50) >= 500);
    assert_true(stats_quantile(s, 0.99) >= 990);
    cJSON *j = stats_json(s, NULL, 0);
    assert_int_equal(num(j, "latency_us", "p50"), stats_quantile(s, 0.50));
    assert_int_equal(num(j, "latency_us", "p99"), stats_quantile(s, 0.99));
    assert_int_equal(num(j, "latency_us", "p999"), stats_quantile(s, 0.999));
    assert_int_equal(num(j, "latency_us", "max"), 1000); /* exact, not a bucket */
    cJSON_Delete(j);
    stats_destroy(&s);
}

/* Below 64 µs every value has its own bucket. */
static void
test_small_values_exact(void **state)
{
    (void)state;
    for (uint64_t v = 0; v < 64; v++) {
        stats_t *s = stats_new(1);
        assert_non_null(s);
        stats_record(s, 0, REQ_OP_PING, -1, ERR_NONE, v);
        assert_int_equal(stats_quantile(s, 0.5), v);
        assert_int_equal(stats_quantile(s, 1.0), v);
        stats_destroy(&s);
    }
    stats_t *s = stats_new(1);
    assert_non_null(s);
    for (uint64_t v = 0; v < 64; v++)
        stats_record(s, 0, REQ_OP_PING, -1, ERR_NONE, v);
    assert_int_equal(stats_quantile(s, 0.0), 0);
    assert_int_equal(stats_quantile(s, 0.5), 32);
    assert_int_equal(stats_quantile(s, 0.25), 16);
    assert_int_equal(stats_quantile(s, 1.0), 63);
    stats_destroy(&s);
}

/* Any single value from 64 µs to about 12 days comes back as an upper
 * bound within 4 %. */
static void
test_large_values(void **state)
{
    (void)state;
    static const double spot[] = {64, 65, 127, 128, 1000, 4095, 4096, 1e6, 1e9, 1e12};
    for (size_t i = 0; i < sizeof spot / sizeof spot[0]; i++) {
        stats_t *s = stats_new(1);
        assert_non_null(s);
        stats_record(s, 0, REQ_OP_SCREEN, 0, ERR_NONE, (uint64_t)spot[i]);
        uint64_t q = stats_quantile(s, 0.5);
        assert_near(q, spot[i]);
        assert_true(q >= (uint64_t)spot[i]);
        stats_destroy(&s);
    }
    /* A sweep in 1 % steps catches a bucket computed off by one. */
    for (double v = 64; v < 1e11; v *= 1.01) {
        stats_t *s = stats_new(1);
        assert_non_null(s);
        stats_record(s, 0, REQ_OP_SCREEN, 0, ERR_NONE, (uint64_t)v);
        uint64_t q = stats_quantile(s, 0.5);
        assert_near(q, (double)(uint64_t)v);
        assert_true(q >= (uint64_t)v);
        stats_destroy(&s);
    }
}

/* Four workers each record a quarter of 1..1000: the quantiles are
 * those of the whole. */
static void
test_workers_summed(void **state)
{
    (void)state;
    stats_t *s = stats_new(4);
    assert_non_null(s);
    for (uint64_t v = 1; v <= 1000; v++)
        stats_record(s, (size_t)((v - 1) / 250), REQ_OP_SCREEN, (int)(v % 3), ERR_NONE, v);
    stats_record(s, 3, REQ_OP_SCREEN, 0, ERR_NONE, 1000000000); /* one slow outlier */
    assert_near(stats_quantile(s, 0.50), 500);
    assert_near(stats_quantile(s, 0.99), 990);
    assert_near(stats_quantile(s, 1.0), 1e9);
    cJSON *j = stats_json(s, NULL, 3);
    assert_int_equal(num(j, "requests", NULL), 1001);
    assert_int_equal(num(j, "by_op", "screen"), 1001);
    assert_int_equal(num(j, "by_verdict", "verdict_0"), 334); /* 333 of v % 3 == 0, the outlier */
    assert_int_equal(num(j, "by_verdict", "verdict_1"), 334);
    assert_int_equal(num(j, "by_verdict", "verdict_2"), 333);
    assert_int_equal(num(j, "latency_us", "max"), 1000000000);
    cJSON_Delete(j);
    stats_destroy(&s);
}

typedef struct writer {
    stats_t *s;
    size_t w;
} writer_t;

#define WRITES 20000

static void *
writer_main(void *arg)
{
    writer_t *wr = arg;
    for (uint64_t i = 0; i < WRITES; i++)
        stats_record(wr->s, wr->w, REQ_OP_SCREEN, (int)wr->w, ERR_NONE, 100 + (i % 100));
    return NULL;
}

/* Each worker thread writes only its own counters: nothing is lost. */
static void
test_concurrent_workers(void **state)
{
    (void)state;
    stats_t *s = stats_new(3);
    assert_non_null(s);
    pthread_t t[3];
    writer_t wr[3];
    for (size_t i = 0; i < 3; i++) {
        wr[i] = (writer_t){s, i};
        assert_int_equal(pthread_create(&t[i], NULL, writer_main, &wr[i]), 0);
    }
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    static const char *const names[] = {"a", "b", "c"};
    cJSON *j = stats_json(s, names, 3);
    assert_int_equal(num(j, "requests", NULL), 3 * WRITES);
    assert_int_equal(num(j, "by_verdict", "a"), WRITES);
    assert_int_equal(num(j, "by_verdict", "b"), WRITES);
    assert_int_equal(num(j, "by_verdict", "c"), WRITES);
    assert_int_equal(num(j, "latency_us", "max"), 199);
    cJSON_Delete(j);
    assert_near(stats_quantile(s, 0.5), 150);
    stats_destroy(&s);
}

/* Every counter lands under its name in the JSON. */
static void
test_json_counts(void **state)
{
    (void)state;
    stats_t *s = stats_new(2);
    assert_non_null(s);
    for (int i = 0; i < 5; i++)
        stats_record(s, 0, REQ_OP_SCREEN, i < 3 ? 0 : 2, ERR_NONE, 10);
    stats_record(s, 1, REQ_OP_SCREEN, -1, ERR_BAD_REQUEST, 20);
    stats_record(s, 1, REQ_OP_SCREEN, -1, ERR_BAD_REQUEST, 20);
    stats_record(s, 1, REQ_OP_SCREEN, -1, ERR_UNAVAILABLE, 20);
    stats_record(s, 1, REQ_OP_PING, -1, ERR_NONE, 5);
    stats_record(s, 0, REQ_OP_PING, -1, ERR_NONE, 5);
    stats_record(s, 0, REQ_OP_STATS, -1, ERR_NONE, 5);
    stats_record(s, 1, REQ_OP_RELOAD, -1, ERR_INTERNAL, 5);
    stats_record(s, 0, -1, -1, ERR_BAD_REQUEST, 1);          /* unreadable */
    stats_record(s, 1, REQ_OP_COUNT, -1, ERR_UNKNOWN_OP, 1); /* out of range: unreadable */
    stats_record(s, 1, -1, -1, ERR_TOO_LARGE, 1);
    stats_undeliverable(s, true);
    stats_undeliverable(s, false);
    stats_undeliverable(s, false);

    static const char *const names[] = {"clear", "review", "prohibited"};
    cJSON *j = stats_json(s, names, 3);
    assert_int_equal(num(j, "requests", NULL), 15);
    assert_int_equal(num(j, "by_op", "screen"), 8);
    assert_int_equal(num(j, "by_op", "ping"), 2);
    assert_int_equal(num(j, "by_op", "version"), 0);
    assert_int_equal(num(j, "by_op", "stats"), 1);
    assert_int_equal(num(j, "by_op", "reload"), 1);
    assert_int_equal(num(j, "by_op", "taxonomy"), 0);
    assert_int_equal(num(j, "by_op", "unreadable"), 3);
    assert_int_equal(n_members(j, "by_op"), REQ_OP_COUNT + 1);
    assert_int_equal(num(j, "by_verdict", "clear"), 3);
    assert_int_equal(num(j, "by_verdict", "review"), 0);
    assert_int_equal(num(j, "by_verdict", "prohibited"), 2);
    assert_int_equal(n_members(j, "by_verdict"), 3);
    assert_int_equal(num(j, "by_error", "bad_request"), 3);
    assert_int_equal(num(j, "by_error", "too_large"), 1);
    assert_int_equal(num(j, "by_error", "unknown_op"), 1);
    assert_int_equal(num(j, "by_error", "unavailable"), 1);
    assert_int_equal(num(j, "by_error", "internal"), 1);
    assert_null(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "by_error"), "none"));
    assert_int_equal(n_members(j, "by_error"), ERR_COUNT - 1);
    assert_int_equal(num(j, "latency_us", "max"), 20);
    assert_int_equal(num(j, "latency_us", "p50"), 10);
    assert_int_equal(num(j, "undeliverable", NULL), 3);
    assert_int_equal(num(j, "undeliverable_by", "gone"), 1);
    assert_int_equal(num(j, "undeliverable_by", "not_reading"), 2);
    cJSON_Delete(j);

    /* Without names: verdict_<i> for each of the ruleset's verdicts. */
    j = stats_json(s, NULL, 3);
    assert_int_equal(num(j, "by_verdict", "verdict_0"), 3);
    assert_int_equal(num(j, "by_verdict", "verdict_1"), 0);
    assert_int_equal(num(j, "by_verdict", "verdict_2"), 2);
    assert_int_equal(n_members(j, "by_verdict"), 3);
    cJSON_Delete(j);

    /* Fewer names than verdicts counted (a reload shrank the list): the
     * unnamed ones with counts still show, as verdict_<i>. */
    j = stats_json(s, names, 1);
    assert_int_equal(num(j, "by_verdict", "clear"), 3);
    assert_int_equal(num(j, "by_verdict", "verdict_2"), 2);
    assert_int_equal(n_members(j, "by_verdict"), 2);
    cJSON_Delete(j);
    stats_destroy(&s);
}

/* Verdict indexes beyond STATS_VERDICTS fold into the last; names are
 * escaped as JSON strings. */
static void
test_json_verdict_fold_and_escape(void **state)
{
    (void)state;
    stats_t *s = stats_new(1);
    assert_non_null(s);
    stats_record(s, 0, REQ_OP_SCREEN, STATS_VERDICTS - 1, ERR_NONE, 1);
    stats_record(s, 0, REQ_OP_SCREEN, STATS_VERDICTS + 5, ERR_NONE, 1);
    stats_record(s, 0, REQ_OP_SCREEN, 1, ERR_NONE, 1);
    static const char *const names[] = {"ok", "say \"no\"\n"};
    cJSON *j = stats_json(s, names, 2);
    assert_int_equal(num(j, "by_verdict", "ok"), 0);
    assert_int_equal(num(j, "by_verdict", "say \"no\"\n"), 1);
    char last[32];
    snprintf(last, sizeof last, "verdict_%d", STATS_VERDICTS - 1);
    assert_int_equal(num(j, "by_verdict", last), 2);
    assert_int_equal(n_members(j, "by_verdict"), 3);
    cJSON_Delete(j);
    stats_destroy(&s);
}

/* stats_new(0) still gives one worker to record into. */
static void
test_zero_workers(void **state)
{
    (void)state;
    stats_t *s = stats_new(0);
    assert_non_null(s);
    stats_record(s, 0, REQ_OP_VERSION, -1, ERR_NONE, 7);
    assert_int_equal(stats_quantile(s, 0.5), 7);
    cJSON *j = stats_json(s, NULL, 0);
    assert_int_equal(num(j, "by_op", "version"), 1);
    cJSON_Delete(j);
    stats_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_uniform_quantiles),
        cmocka_unit_test(test_small_values_exact),
        cmocka_unit_test(test_large_values),
        cmocka_unit_test(test_workers_summed),
        cmocka_unit_test(test_concurrent_workers),
        cmocka_unit_test(test_json_counts),
        cmocka_unit_test(test_json_verdict_fold_and_escape),
        cmocka_unit_test(test_zero_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
