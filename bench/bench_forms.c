/* SPDX-License-Identifier: Apache-2.0 */
/* bench_forms.c -- per-request latency of screening partner names as users write them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "evreal.h"
#include "mclock.h"
#include "request.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"
#include "vec.h"
#include "vet_engine.h"

/*
 * usage: bench_forms RULESET_DIR FORMS.tsv [MIN_REQUESTS]
 *
 * The fuzzy path with affiliation analysis, against the exact path as
 * its baseline, in the same run: every query of the real-world form set
 * (tools/eval/realworld.tsv, all classes, innocent ones too: the forms
 * that reach the analysers and the fuzzy matcher) and as many exact
 * names (the primary names of registry organisations, drawn with a
 * fixed seed, with their country) are screened with the request
 * vet-eval sends (name, country, technologies ["ai"], activity
 * "affiliation", current). Rounds alternate between the two sets until
 * each has at least MIN_REQUESTS (default 20000) timed requests; each
 * request is timed alone (two clock reads, about 50 ns) after one
 * untimed warm-up pass. Two paths: screen_run (the engine without JSON,
 * as bench_screen) and vet_engine_screen (JSON in, JSON out: what the
 * daemon's worker does). Prints the median and 99th percentile per
 * request and their ratio to the exact path; nothing is asserted.
 * bench/run.sh runs it on make rules-full's ruleset.
 */

#define DEFAULT_MIN 20000

typedef struct query {
    const char *name;    /* borrowed from the set or the ruleset */
    const char *country; /* or NULL */
    int cls;             /* its class (evreal.h); -1 for an exact name */
    char *json;          /* the same request as JSON (malloc) */
} query_t;

typedef struct samples {
    double *v;  /* microseconds per request */
    size_t n;   /* count */
    size_t cap; /* capacity */
} samples_t;

static void
die(const char *what)
{
    fprintf(stderr, "bench_forms: %s\n", what);
    exit(1);
}

static void
sample_add(samples_t *s, double us)
{
    if (vec_grow(&s->v, &s->cap, s->n + 1, sizeof *s->v, 65536) != 0)
        die("out of memory");
    s->v[s->n++] = us;
}

static int
dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of the samples, nearest rank; sorts them. */
static double
quantile(samples_t *s, double q)
{
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, dbl_cmp);
    size_t k = (size_t)(q * (double)s->n + 0.5);
    return s->v[k > 0 ? (k <= s->n ? k - 1 : s->n - 1) : 0];
}

static char *
as_json(const char *name, const char *country)
{
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, "{\"id\":\"f\",\"partner\":{\"name\":");
    sbuf_json_cstr(&b, name);
    if (country != NULL) {
        sbuf_puts(&b, ",\"country\":");
        sbuf_json_cstr(&b, country);
    }
    sbuf_puts(&b, "},\"technologies\":[\"ai\"],\"activity\":\"affiliation\",\"current\":true}");
    if (b.oom)
        die("out of memory");
    return sbuf_take(&b);
}

/* Screens every query once through screen_run, timing each into s (NULL:
 * untimed) and, when by_class is not NULL, into by_class[its class] too;
 * counts the queries that matched into *matched. */
static void
pass_screen(const ruleset_t *rs, arena_t *a, const query_t *q, size_t n, samples_t *s,
            samples_t *by_class, size_t *matched)
{
    const char *tech[] = {"ai"};
    *matched = 0;
    for (size_t i = 0; i < n; i++) {
        request_t r;
        request_init(&r);
        r.name = q[i].name;
        r.country = q[i].country;
        r.tech = tech;
        r.n_tech = 1;
        r.activity = "affiliation";
        result_t res;
        uint64_t t0 = mclock_ns();
        arena_reset(a);
        if (screen_run(rs, &r, a, &res) != 0) {
            fprintf(stderr, "bench_forms: %s: %s\n", q[i].name, res.errmsg);
            exit(1);
        }
        uint64_t t1 = mclock_ns();
        if (s != NULL)
            sample_add(s, (double)(t1 - t0) / 1000.0);
        if (by_class != NULL && q[i].cls >= 0)
            sample_add(&by_class[q[i].cls], (double)(t1 - t0) / 1000.0);
        *matched += res.n_matches > 0;
    }
}

/* The same through vet_engine_screen, JSON in and out. */
static void
pass_json(const vet_engine_t *e, vet_worker_t *w, const query_t *q, size_t n, samples_t *s)
{
    for (size_t i = 0; i < n; i++) {
        const char *reply;
        size_t len;
        uint64_t t0 = mclock_ns();
        if (vet_engine_screen(e, w, q[i].json, strlen(q[i].json), &reply, &len) != 0) {
            fprintf(stderr, "bench_forms: %s: %s\n", q[i].name, reply ? reply : "out of memory");
            exit(1);
        }
        uint64_t t1 = mclock_ns();
        if (s != NULL)
            sample_add(s, (double)(t1 - t0) / 1000.0);
    }
}

static uint64_t
rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void
line(const char *what, samples_t *s, double base_med, double base_p99)
{
    size_t n = s->n;
    double med = quantile(s, 0.50), p99 = quantile(s, 0.99);
    printf("  %-26s median %7.2f us  p99 %7.2f us", what, med, p99);
    if (base_med > 0)
        printf("  (x%.2f, x%.2f the exact path)", med / base_med, p99 / base_p99);
    printf("  [%zu requests]\n", n);
}

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 4 || argv[1][0] == '-') {
        fprintf(stderr, "usage: bench_forms RULESET_DIR FORMS.tsv [MIN_REQUESTS]\n");
        return 64;
    }
    long min_req = argc == 4 ? strtol(argv[3], NULL, 10) : DEFAULT_MIN;
    if (min_req < 1)
        min_req = 1;
    char err[8192];
    evreal_t *set = evreal_load(argv[2], err, sizeof err);
    if (set == NULL) {
        fprintf(stderr, "bench_forms: %s\n", err);
        return 1;
    }
    diag_t *d = diag_new(0);
    ruleset_t *rs = d != NULL ? ruleset_load(argv[1], d) : NULL;
    char *errs = NULL;
    vet_engine_t *e = vet_engine_load(argv[1], &errs);
    vet_worker_t *w = vet_worker_new();
    arena_t *a = arena_new(0);
    if (rs == NULL || e == NULL || w == NULL || a == NULL) {
        if (d != NULL)
            diag_print(d, stderr);
        fprintf(stderr, "bench_forms: %s: the ruleset does not load%s%s\n", argv[1],
                errs ? ":\n" : "", errs ? errs : "");
        return 1;
    }
    size_t n_rows;
    const evreal_row_t *rows = evreal_rows(set, &n_rows);
    size_t n = n_rows;
    query_t *forms = calloc(n, sizeof *forms), *exact = calloc(n, sizeof *exact);
    if (forms == NULL || exact == NULL || rs->n_ents == 0)
        die("out of memory");
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++) {
        forms[i] = (query_t){rows[i].query, rows[i].country, (int)rows[i].cls, NULL};
        forms[i].json = as_json(forms[i].name, forms[i].country);
        const reg_entity_t *ent = &rs->ents[rnd(&seed) % rs->n_ents];
        exact[i] = (query_t){ent->name, ent->country, -1, NULL};
        exact[i].json = as_json(exact[i].name, exact[i].country);
    }
    printf("ruleset %s: %zu organisations; form set %s: %zu queries (all classes), as many "
           "exact names\n",
           argv[1], rs->n_ents, argv[2], n);

    size_t m_forms, m_exact;
    samples_t se = {0}, sf = {0}, je = {0}, jf = {0}, sc[EVREAL_N] = {{0}};
    pass_screen(rs, a, exact, n, NULL, NULL, &m_exact);
    pass_screen(rs, a, forms, n, NULL, NULL, &m_forms);
    pass_json(e, w, exact, n, NULL);
    pass_json(e, w, forms, n, NULL);
    int rounds = 0;
    while (sf.n < (size_t)min_req) {
        pass_screen(rs, a, exact, n, &se, NULL, &m_exact);
        pass_screen(rs, a, forms, n, &sf, sc, &m_forms);
        pass_json(e, w, exact, n, &je);
        pass_json(e, w, forms, n, &jf);
        rounds++;
    }
    printf("  (%d rounds alternating; %zu of %zu exact names and %zu of %zu forms matched "
           "something)\n",
           rounds, m_exact, n, m_forms, n);
    printf("screen_run (the engine, no JSON):\n");
    double em = quantile(&se, 0.50), ep = quantile(&se, 0.99);
    line("exact path (baseline)", &se, 0, 0);
    line("real-world forms", &sf, em, ep);
    for (int c = 0; c < EVREAL_N; c++) {
        char what[64];
        snprintf(what, sizeof what, "  class %s", evreal_class_name((evreal_class_t)c));
        line(what, &sc[c], em, ep);
    }
    printf("vet_engine_screen (JSON in and out):\n");
    em = quantile(&je, 0.50);
    ep = quantile(&je, 0.99);
    line("exact path (baseline)", &je, 0, 0);
    line("real-world forms", &jf, em, ep);
    printf("  targets (issue 12): forms median <= 20 us, p99 <= 100 us per request; exact path "
           "unchanged within noise\n");

    for (size_t i = 0; i < n; i++) {
        free(forms[i].json);
        free(exact[i].json);
    }
    free(forms);
    free(exact);
    free(se.v);
    free(sf.v);
    free(je.v);
    free(jf.v);
    for (int c = 0; c < EVREAL_N; c++)
        free(sc[c].v);
    free(errs);
    arena_destroy(&a);
    vet_worker_destroy(&w);
    vet_engine_destroy(&e);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    evreal_destroy(&set);
    return 0;
}
