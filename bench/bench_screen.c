/* SPDX-License-Identifier: Apache-2.0 */
/* bench_screen.c -- whole-request screening latency on a real ruleset:
 * screen_run (partner matching, keyword spotting, every rule) without
 * JSON, and the same requests through the JSON path (parse + screen +
 * reply), single thread, median over rounds.
 *
 * usage: bench_screen RULESET_DIR
 * bench/run.sh builds RULESET_DIR from rules/ with the whole OFAC SDN
 * list (vet-import --all) in place of its subset. Timings are reported,
 * never asserted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "diag.h"
#include "request.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"
#include "vet_engine.h"
#include "mclock.h"

#define ROUNDS 9
#define N_QUERIES 1000

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median over ROUNDS of the mean µs per request of one round. */
static double
time_screen(const ruleset_t *rs, arena_t *a, char **names, size_t n, int *matched)
{
    double r[ROUNDS];
    const char *tech[] = {"ai"};
    for (int k = 0; k < ROUNDS; k++) {
        int hits = 0;
        uint64_t t0 = mclock_ns();
        for (size_t i = 0; i < n; i++) {
            request_t q;
            request_init(&q);
            q.name = names[i];
            q.tech = tech;
            q.n_tech = 1;
            q.activity = "joint_lab";
            q.text = "joint laboratory on intelligent command and control using big data";
            result_t res;
            arena_reset(a);
            if (screen_run(rs, &q, a, &res) != 0) {
                fprintf(stderr, "bench_screen: %s\n", res.errmsg);
                exit(1);
            }
            hits += res.n_matches > 0;
        }
        r[k] = (double)(mclock_ns() - t0) / 1000.0 / (double)n;
        *matched = hits;
    }
    qsort(r, ROUNDS, sizeof r[0], cmp_double);
    return r[ROUNDS / 2];
}

static double
time_json(const vet_engine_t *e, vet_worker_t *w, char **json, size_t n)
{
    double r[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        uint64_t t0 = mclock_ns();
        for (size_t i = 0; i < n; i++) {
            const char *reply;
            size_t len;
            if (vet_engine_screen(e, w, json[i], strlen(json[i]), &reply, &len) != 0) {
                fprintf(stderr, "bench_screen: %s\n", reply);
                exit(1);
            }
        }
        r[k] = (double)(mclock_ns() - t0) / 1000.0 / (double)n;
    }
    qsort(r, ROUNDS, sizeof r[0], cmp_double);
    return r[ROUNDS / 2];
}

/* One typo: swaps two letters in the middle of the name's longest word
 * (when both are ASCII). */
static char *
typo(const char *s)
{
    char *t = strdup(s);
    size_t best = 0, bl = 0, i = 0, n = strlen(t);
    while (i < n) {
        size_t j = i;
        while (j < n && t[j] != ' ')
            j++;
        if (j - i > bl) {
            bl = j - i;
            best = i;
        }
        i = j + 1;
    }
    /* Two ASCII bytes only: swapping inside a multi-byte UTF-8 sequence
     * (the whole lists carry names in other scripts) is not a typo but
     * a malformed request. */
    size_t m = best + bl / 2;
    if (bl >= 7 && (unsigned char)t[m] < 0x80 && (unsigned char)t[m + 1] < 0x80) {
        char c = t[m];
        t[m] = t[m + 1];
        t[m + 1] = c;
    }
    return t;
}

static char *
as_json(const char *name)
{
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, "{\"id\":\"b\",\"partner\":{\"name\":");
    sbuf_json_cstr(&b, name);
    sbuf_puts(&b,
              "},\"technologies\":[\"ai\"],\"activity\":\"joint_lab\","
              "\"text\":\"joint laboratory on intelligent command and control using big data\"}");
    return sbuf_take(&b);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_screen RULESET_DIR\n");
        return 64;
    }
    diag_t *d = diag_new(0);
    uint64_t t0 = mclock_ns();
    ruleset_t *rs = ruleset_load(argv[1], d);
    if (rs == NULL) {
        diag_print(d, stderr);
        return 1;
    }
    double load_ms = (double)(mclock_ns() - t0) / 1e6;
    size_t names = 0;
    for (size_t i = 0; i < rs->n_ents; i++)
        names += 1 + rs->ents[i].n_aliases;
    printf("ruleset: %zu organisations, %zu names, %zu categories, %zu rules; "
           "loaded in %.0f ms, %.1f MiB\n",
           rs->n_ents, names, tax_count(rs->tax), rs->n_rules, load_ms,
           (double)ruleset_memory(rs) / 1048576.0);

    static const char *const unknown[] = {
        "Zhejiang Lanting Biotech",
        "Universidad de Antioquia",
        "Nordic Quantum Labs",
        "University of Waterloo",
        "Shenzhen Bright Optics",
        "Pacific Rim Data Services",
        "Technische Universitaet Muenchen",
        "Osaka Precision Instruments",
    };
    size_t n = N_QUERIES;
    char **exact = calloc(n, sizeof *exact), **fuzzy = calloc(n, sizeof *fuzzy);
    char **none = calloc(n, sizeof *none), **json = calloc(n, sizeof *json);
    srand(42);
    for (size_t i = 0; i < n; i++) {
        const reg_entity_t *e = &rs->ents[(size_t)rand() % rs->n_ents];
        exact[i] = strdup(e->name);
        fuzzy[i] = typo(e->name);
        char buf[128];
        snprintf(buf, sizeof buf, "%s %zu", unknown[i % 8], i);
        none[i] = strdup(buf);
        json[i] = as_json(exact[i]);
    }
    arena_t *a = arena_new(0);
    int m;
    double te = time_screen(rs, a, exact, n, &m);
    printf("screen, exact name:       %7.2f us/request  (%d/%zu matched)\n", te, m, n);
    double tf = time_screen(rs, a, fuzzy, n, &m);
    printf("screen, one typo:         %7.2f us/request  (%d/%zu matched)\n", tf, m, n);
    double tn = time_screen(rs, a, none, n, &m);
    printf("screen, name in no list:  %7.2f us/request  (%d/%zu matched)\n", tn, m, n);
    char *errs = NULL;
    vet_engine_t *e = vet_engine_load(argv[1], &errs);
    vet_worker_t *w = vet_worker_new();
    double tj = time_json(e, w, json, n);
    printf("JSON in/out, exact name:  %7.2f us/request  (x%.2f the screen alone)\n", tj, tj / te);
    for (size_t i = 0; i < n; i++) {
        free(exact[i]);
        free(fuzzy[i]);
        free(none[i]);
        free(json[i]);
    }
    free(exact);
    free(fuzzy);
    free(none);
    free(json);
    free(errs);
    vet_worker_destroy(&w);
    vet_engine_destroy(&e);
    arena_destroy(&a);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    return 0;
}
