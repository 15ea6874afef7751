/* SPDX-License-Identifier: Apache-2.0 */
/* stats.c -- per-worker counters and a log-linear latency histogram. */
#include "stats.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* Histogram: values below 64 µs have a bucket each; above, every power
 * of two is split into 32 buckets (about 3 % wide), up to 2^40 µs. */
#define SUB_BITS 5
#define SUB (1u << SUB_BITS)
#define LINEAR 64u
#define MAX_EXP 40u
#define N_BUCKETS (LINEAR + (MAX_EXP - 6u) * SUB)

typedef struct wstats {
    _Atomic uint64_t by_op[REQ_OP_COUNT + 1]; /* last: unreadable op */
    _Atomic uint64_t by_verdict[STATS_VERDICTS];
    _Atomic uint64_t by_err[ERR_COUNT];
    _Atomic uint64_t max_us;
    _Atomic uint64_t hist[N_BUCKETS];
    char pad[64]; /* keep writers on their own cache lines */
} wstats_t;

struct stats {
    size_t n;                            /* workers */
    wstats_t *w;                         /* n of them */
    _Atomic uint64_t undeliverable;      /* every reply not delivered */
    _Atomic uint64_t undeliverable_gone; /* of which: the client had left */
};

stats_t *
stats_new(size_t n_workers)
{
    stats_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->n = n_workers ? n_workers : 1;
    s->w = calloc(s->n, sizeof *s->w);
    if (s->w == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void
stats_destroy(stats_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    free((*sp)->w);
    free(*sp);
    *sp = NULL;
}

static size_t
bucket_of(uint64_t v)
{
    if (v < LINEAR)
        return (size_t)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 6.. */
    if (e >= MAX_EXP)
        return N_BUCKETS - 1;
    unsigned sub = (unsigned)(v >> (e - SUB_BITS)) & (SUB - 1);
    return LINEAR + (e - 6u) * SUB + sub;
}

/* The largest value that falls in bucket i. */
static uint64_t
bucket_top(size_t i)
{
    if (i < LINEAR)
        return i;
    unsigned e = (unsigned)((i - LINEAR) / SUB) + 6u;
    uint64_t sub = (i - LINEAR) % SUB;
    return ((SUB + sub + 1) << (e - SUB_BITS)) - 1;
}

/* Single writer per counter: a relaxed load and store is enough and
 * avoids a locked instruction per increment. */
static void
bump(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

void
stats_record(stats_t *s, size_t w, int op, int verdict, req_err_t err, uint64_t latency_us)
{
    wstats_t *ws = &s->w[w % s->n];
    bump(&ws->by_op[op >= 0 && op < REQ_OP_COUNT ? op : REQ_OP_COUNT]);
    if (verdict >= 0)
        bump(&ws->by_verdict[verdict < STATS_VERDICTS ? verdict : STATS_VERDICTS - 1]);
    if (err > ERR_NONE && err < ERR_COUNT)
        bump(&ws->by_err[err]);
    bump(&ws->hist[bucket_of(latency_us)]);
    if (latency_us > atomic_load_explicit(&ws->max_us, memory_order_relaxed))
        atomic_store_explicit(&ws->max_us, latency_us, memory_order_relaxed);
}

void
stats_undeliverable(stats_t *s, bool gone)
{
    atomic_fetch_add(&s->undeliverable, 1);
    if (gone)
        atomic_fetch_add(&s->undeliverable_gone, 1);
}

/* Totals of one counter array over every worker. */
static void
sum_into(const stats_t *s, size_t offset, size_t n, uint64_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = 0;
    for (size_t k = 0; k < s->n; k++) {
        const _Atomic uint64_t *a = (const _Atomic uint64_t *)((const char *)&s->w[k] + offset);
        for (size_t i = 0; i < n; i++)
            out[i] += atomic_load_explicit(&a[i], memory_order_relaxed);
    }
}

static uint64_t
quantile_of(const uint64_t *hist, uint64_t total, double q)
{
    if (total == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)total);
    if (rank >= total)
        rank = total - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        seen += hist[i];
        if (seen > rank)
            return bucket_top(i);
    }
    return bucket_top(N_BUCKETS - 1);
}

uint64_t
stats_quantile(const stats_t *s, double q)
{
    uint64_t *hist = malloc(N_BUCKETS * sizeof *hist);
    if (hist == NULL)
        return 0;
    sum_into(s, offsetof(wstats_t, hist), N_BUCKETS, hist);
    uint64_t total = 0;
    for (size_t i = 0; i < N_BUCKETS; i++)
        total += hist[i];
    uint64_t v = quantile_of(hist, total, q);
    free(hist);
    return v;
}

void
stats_snapshot(const stats_t *s, proto_counters_t *out)
{
    sum_into(s, offsetof(wstats_t, by_op), REQ_OP_COUNT + 1, out->by_op);
    sum_into(s, offsetof(wstats_t, by_verdict), STATS_VERDICTS, out->by_verdict);
    sum_into(s, offsetof(wstats_t, by_err), ERR_COUNT, out->by_err);
    out->max_us = 0;
    for (size_t k = 0; k < s->n; k++) {
        uint64_t m = atomic_load_explicit(&s->w[k].max_us, memory_order_relaxed);
        if (m > out->max_us)
            out->max_us = m;
    }
    /* Three passes over the histogram: stats is a rare admin op. */
    out->p50_us = stats_quantile(s, 0.50);
    out->p99_us = stats_quantile(s, 0.99);
    out->p999_us = stats_quantile(s, 0.999);
    out->undeliverable = atomic_load(&s->undeliverable);
    out->undeliverable_gone = atomic_load(&s->undeliverable_gone);
}
