/* SPDX-License-Identifier: Apache-2.0 */
/* bench_match.c -- partner matching latency on the OFAC SDN + Canada NRO names. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "import.h"
#include "match.h"
#include "mclock.h"
#include "norm.h"
#include "nro.h"
#include "ofac.h"
#include "registry.h"
#include "vec.h"

/*
 * Usage: bench_match [DATA_DIR]   (default ../shared/data)
 *
 * Reads DATA_DIR/ofac_sdn/sdn.csv (one entity per row, column 2 the
 * name), DATA_DIR/ofac_sdn/alt.csv (aliases, attached by ent_num) and
 * DATA_DIR/canada_nro/nro_2024-09.tsv with vet-import's readers (ofac.h,
 * nro.h), builds the match index and times
 * five kinds of query, one line each: the median over ROUNDS rounds of
 * the mean time per query within a round. Timings are reported, never
 * asserted.
 */

#define ROUNDS 9
#define N_QUERIES 1000
#define N_NAIVE 50

typedef struct ent_build {
    long ent_num;       /* OFAC ent_num, -1 for NRO rows */
    char *name;         /* primary name (malloc) */
    char **aliases;     /* malloc'd names */
    uint32_t n_aliases; /* count */
    size_t cap_aliases; /* capacity */
} ent_build_t;

typedef struct reg {
    ent_build_t *b; /* entities being read */
    size_t n;       /* count */
    size_t cap;     /* capacity */
} reg_t;

static void
oom(void)
{
    fprintf(stderr, "bench_match: out of memory\n");
    exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL)
        oom();
    return q;
}

static char *
xstrdup(const char *s)
{
    char *p = xrealloc(NULL, strlen(s) + 1);
    strcpy(p, s);
    return p;
}

static ent_build_t *
reg_add(reg_t *r, long ent_num, const char *name)
{
    if (vec_grow(&r->b, &r->cap, r->n + 1, sizeof *r->b, 1024) != 0)
        oom();
    ent_build_t *e = &r->b[r->n++];
    memset(e, 0, sizeof *e);
    e->ent_num = ent_num;
    e->name = xstrdup(name);
    return e;
}

static void
ent_alias(ent_build_t *e, const char *name)
{
    if (vec_grow(&e->aliases, &e->cap_aliases, e->n_aliases + 1, sizeof *e->aliases, 4) != 0)
        oom();
    e->aliases[e->n_aliases++] = xstrdup(name);
}

static int
ent_num_cmp(const void *a, const void *b)
{
    long x = ((const ent_build_t *)a)->ent_num, y = ((const ent_build_t *)b)->ent_num;
    return x < y ? -1 : x > y;
}

/* Every record of sdn.csv with a name, whatever its type, with its
 * aliases from alt.csv, read by vet-import's reader; in ent_num order. */
static int
load_ofac(reg_t *r, const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ofac_sdn", dir);
    sbuf_t err = SBUF_INIT;
    ofac_list_t *l = ofac_list_load(path, &err);
    if (l == NULL) {
        fprintf(stderr, "bench_match: %s\n", err.data ? err.data : "out of memory");
        sbuf_free(&err);
        return -1;
    }
    size_t n;
    const ofac_ent_t *ents = ofac_list_ents(l, &n);
    for (size_t i = 0; i < n; i++) {
        if (ents[i].name[0] == '\0')
            continue;
        ent_build_t *e = reg_add(r, atol(ents[i].ent_num), ents[i].name);
        for (size_t k = 0; k < ents[i].n_aliases; k++)
            ent_alias(e, ents[i].aliases[k]);
    }
    ofac_list_destroy(&l);
    qsort(r->b, r->n, sizeof *r->b, ent_num_cmp);
    return 0;
}

static int
nro_row(void *ctx, const imp_file_t *f, nro_row_t *row, sbuf_t *err)
{
    (void)f;
    (void)err;
    ent_build_t *e = reg_add(ctx, -1, row->name);
    char *p = row->aliases;
    for (char *a; (a = nro_alias(&p)) != NULL;) {
        while (*a == ' ')
            a++;
        if (*a)
            ent_alias(e, a);
    }
    return 0;
}

/* The Named Research Organizations, read by vet-import's reader. */
static int
load_nro(reg_t *r, const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/canada_nro/nro_2024-09.tsv", dir);
    imp_file_t f = {path, NULL, 0};
    char *data = imp_read_file(path, &f.len);
    if (data == NULL) {
        perror(path);
        return -1;
    }
    f.data = data;
    sbuf_t err = SBUF_INIT;
    int rc = nro_read(&f, nro_row, r, &err);
    if (rc < 0)
        fprintf(stderr, "bench_match: %s\n", err.data ? err.data : "out of memory");
    sbuf_free(&err);
    free(data);
    return rc;
}

static int
dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Byte Jaro-Winkler for the naive baseline (whole strings). */
static double
naive_jw(const char *a, size_t la, const char *b, size_t lb, bool *ma, bool *mb)
{
    if (la == 0 || lb == 0)
        return 0;
    size_t win = (la > lb ? la : lb) / 2;
    win = win > 0 ? win - 1 : 0;
    memset(ma, 0, la);
    memset(mb, 0, lb);
    size_t m = 0, t = 0;
    for (size_t i = 0; i < la; i++) {
        size_t lo = i > win ? i - win : 0, hi = i + win + 1 < lb ? i + win + 1 : lb;
        for (size_t j = lo; j < hi; j++)
            if (!mb[j] && a[i] == b[j]) {
                ma[i] = mb[j] = true;
                m++;
                break;
            }
    }
    if (m == 0)
        return 0;
    for (size_t i = 0, j = 0; i < la; i++) {
        if (!ma[i])
            continue;
        while (!mb[j])
            j++;
        t += a[i] != b[j];
        j++;
    }
    double jaro = ((double)m / la + (double)m / lb + (double)(m - t / 2) / m) / 3;
    size_t p = 0;
    while (p < 4 && p < la && p < lb && a[p] == b[p])
        p++;
    return jaro + (double)p * 0.1 * (1 - jaro);
}

typedef struct bench {
    const match_index_t *ix; /* the index under test */
    arena_t *scratch;        /* per-query arena, reset each query */
    match_query_t *q;        /* queries */
    long *want;              /* entity each query should find, or -1 */
    size_t n;                /* count */
    long hits;               /* hits seen (keeps the work observable) */
    long found;              /* queries whose wanted entity was among the hits */
} bench_t;

/* Median over ROUNDS of the mean µs per query. */
static double
run(bench_t *b)
{
    double r[ROUNDS];
    match_hit_t out[8];
    char err[128];
    for (int k = 0; k < ROUNDS; k++) {
        double t0 = (double)mclock_us();
        for (size_t i = 0; i < b->n; i++) {
            arena_reset(b->scratch);
            int n = match_find(b->ix, &b->q[i], b->scratch, out, 8, err, sizeof err);
            if (n < 0) {
                fprintf(stderr, "bench_match: %s\n", err);
                exit(1);
            }
            b->hits += n;
            for (int h = 0; h < n; h++)
                if ((long)out[h].entity == b->want[i]) {
                    b->found++;
                    break;
                }
        }
        r[k] = ((double)mclock_us() - t0) / (double)b->n;
    }
    qsort(r, ROUNDS, sizeof r[0], dbl_cmp);
    return r[ROUNDS / 2];
}

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A copy of name with one typo (swap, drop or double a letter) inside
 * its longest word, so the name stays recognisable. */
static char *
typo(const char *name, uint64_t *seed)
{
    size_t len = strlen(name), best = 0, bl = 0;
    for (size_t i = 0; i < len;) {
        size_t st = i;
        while (i < len && ((name[i] | 0x20) >= 'a' && (name[i] | 0x20) <= 'z'))
            i++;
        if (i - st > bl) {
            bl = i - st;
            best = st;
        }
        if (i == st)
            i++;
    }
    char *s = xrealloc(NULL, len + 2);
    strcpy(s, name);
    if (bl < 7)
        return s;
    size_t p = best + 2 + rnd(seed) % (bl - 4);
    switch (rnd(seed) % 3) {
    case 0: {
        char c = s[p];
        s[p] = s[p + 1];
        s[p + 1] = c;
        break;
    }
    case 1: memmove(s + p, s + p + 1, len - p); break;
    default: memmove(s + p + 1, s + p, len - p + 1); break;
    }
    return s;
}

static const char *const places[] = {
    "Zhejiang",     "Antioquia",  "Bavaria",    "Ontario",   "Lagos",
    "Gujarat",      "Valparaiso", "Queensland", "Bretagne",  "Hokkaido",
    "Saskatchewan", "Kerala",     "Andalucia",  "Transvaal", "Jutland",
    "Minas Gerais", "Tasmania",   "Flanders",   "Patagonia",
};
static const char *const brands[] = {
    "Lanting",   "Northstar", "Bluewave",   "Greenfield", "Silverline", "Sunrise",
    "Evergreen", "Clearview", "Brightpath", "Oakridge",   "Redstone",   "Maplewood",
};
static const char *const generic[] = {
    "National Bank",      "Shipping Company",  "Investment Group",
    "Industrial Company", "Petroleum Company", "University of Technology",
    "Research Institute", "Import Export",     "General Trading LLC",
    "Airlines",
};
static const char *const kinds[] = {
    "Biotech Co Ltd",
    "Precision Machinery GmbH",
    "Optical Instruments Inc",
    "Software Solutions LLC",
    "Logistics Ltd",
    "Agricultural Cooperative",
    "Polytechnic",
    "Medical Devices SA",
    "Renewable Energy Corp",
    "Dairy Farms",
};

int
main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data";
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: bench_match [DATA_DIR]\n");
        return 2;
    }
    reg_t r = {NULL, 0, 0};
    if (load_ofac(&r, dir) != 0 || load_nro(&r, dir) != 0)
        return 1;

    /* Registry entities; every 20th gets synthetic identifiers. */
    reg_entity_t *ents = calloc(r.n, sizeof *ents);
    reg_ident_t *ids = calloc(r.n, sizeof *ids);
    char(*idval)[32] = calloc(r.n, sizeof *idval);
    if (ents == NULL || ids == NULL || idval == NULL)
        return 1;
    size_t n_names = 0;
    for (size_t i = 0; i < r.n; i++) {
        ents[i].id = r.b[i].name;
        ents[i].name = r.b[i].name;
        ents[i].aliases = (const char **)r.b[i].aliases;
        ents[i].n_aliases = r.b[i].n_aliases;
        ents[i].risk = -1;
        n_names += 1 + r.b[i].n_aliases;
        if (i % 20 == 0) {
            snprintf(idval[i], sizeof idval[i], "5493-00%06zu-X%zu", i, i % 97);
            ids[i] = (reg_ident_t){"lei", idval[i]};
            ents[i].ids = &ids[i];
            ents[i].n_ids = 1;
        }
    }

    match_config_t cfg = {0.88, 0.08, 5, NULL, false, false};
    char err[256];
    double t0 = (double)mclock_us();
    match_index_t *ix = match_index_new(ents, r.n, &cfg, err, sizeof err);
    double build_ms = ((double)mclock_us() - t0) / 1000;
    if (ix == NULL) {
        fprintf(stderr, "bench_match: %s\n", err);
        return 1;
    }
    printf("registry: %zu entities, %zu names; match index %.1f MiB, built in %.0f ms\n", r.n,
           n_names, (double)match_index_memory(ix) / (1024.0 * 1024.0), build_ms);

    arena_t *scratch = arena_new(0);
    match_query_t *q = calloc(N_QUERIES, sizeof *q);
    char **owned = calloc(N_QUERIES, sizeof *owned);
    const char **schemes = calloc(N_QUERIES, sizeof *schemes);
    const char **values = calloc(N_QUERIES, sizeof *values);
    if (scratch == NULL || q == NULL || owned == NULL || schemes == NULL || values == NULL)
        return 1;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    long *want = calloc(N_QUERIES, sizeof *want);
    if (want == NULL)
        return 1;
    bench_t b = {ix, scratch, q, want, N_QUERIES, 0, 0};

    /* (a) the naive baseline: Jaro-Winkler against every normalised name. */
    arena_t *na = arena_new(0);
    const char **norm = malloc(n_names * sizeof *norm);
    size_t *nlen = malloc(n_names * sizeof *nlen);
    size_t k = 0, maxlen = 1;
    for (size_t i = 0; i < r.n; i++)
        for (uint32_t j = 0; j <= ents[i].n_aliases; j++) {
            const char *s = reg_entity_name(&ents[i], j);
            if (norm_text(na, s, strlen(s), &norm[k], &nlen[k], err, sizeof err) != 0)
                continue;
            if (nlen[k] > maxlen)
                maxlen = nlen[k];
            k++;
        }
    bool *ma = malloc(maxlen + 64), *mb = malloc(maxlen + 64);
    double rounds[ROUNDS], sink = 0;
    for (int rd = 0; rd < ROUNDS; rd++) {
        double t1 = (double)mclock_us();
        for (int i = 0; i < N_NAIVE; i++) {
            const char *name = ents[(size_t)(rnd(&seed) % r.n)].name, *qn;
            size_t ql;
            arena_reset(scratch);
            if (norm_text(scratch, name, strlen(name), &qn, &ql, err, sizeof err) != 0)
                continue;
            double best = 0;
            for (size_t j = 0; j < k; j++) {
                if (nlen[j] > maxlen || ql > maxlen + 63)
                    continue;
                double s = naive_jw(qn, ql, norm[j], nlen[j], ma, mb);
                if (s > best)
                    best = s;
            }
            sink += best;
        }
        rounds[rd] = ((double)mclock_us() - t1) / N_NAIVE;
    }
    qsort(rounds, ROUNDS, sizeof rounds[0], dbl_cmp);
    double naive = rounds[ROUNDS / 2];
    printf("naive JW over %zu names:   %10.2f us/query  (%d queries)\n", k, naive, N_NAIVE);

    /* (b) exact: real names as published. */
    for (size_t i = 0; i < N_QUERIES; i++) {
        want[i] = (long)(rnd(&seed) % r.n);
        const reg_entity_t *e = &ents[want[i]];
        uint32_t j = (uint32_t)(rnd(&seed) % (e->n_aliases + 1));
        q[i] = (match_query_t){.name = reg_entity_name(e, j)};
    }
    double t = run(&b);
    printf("exact names:               %10.2f us/query  (x%.0f; %.1f%% found)\n", t, naive / t,
           100.0 * (double)b.found / (ROUNDS * N_QUERIES));

    /* (c) identifiers only (no name), spelled with other case and spaces. */
    for (size_t i = 0; i < N_QUERIES; i++) {
        size_t e = (size_t)(rnd(&seed) % ((r.n + 19) / 20)) * 20;
        want[i] = (long)e;
        free(owned[i]);
        owned[i] = xstrdup(idval[e]);
        for (char *p = owned[i]; *p; p++)
            if (*p == '-')
                *p = ' ';
        schemes[i] = "LEI";
        values[i] = owned[i];
        q[i] = (match_query_t){.id_schemes = &schemes[i], .id_values = &values[i], .n_ids = 1};
    }
    b.found = 0;
    t = run(&b);
    printf("identifiers:               %10.2f us/query  (x%.0f; %.1f%% found)\n", t, naive / t,
           100.0 * (double)b.found / (ROUNDS * N_QUERIES));

    /* (d) fuzzy: a real name with one typo in its longest word. */
    for (size_t i = 0; i < N_QUERIES; i++) {
        want[i] = (long)(rnd(&seed) % r.n);
        const reg_entity_t *e = &ents[want[i]];
        free(owned[i]);
        owned[i] = typo(reg_entity_name(e, (uint32_t)(rnd(&seed) % (e->n_aliases + 1))), &seed);
        q[i] = (match_query_t){.name = owned[i]};
    }
    b.found = 0;
    t = run(&b);
    printf("fuzzy (one typo):          %10.2f us/query  (x%.0f; %.1f%% found)\n", t, naive / t,
           100.0 * (double)b.found / (ROUNDS * N_QUERIES));

    /* (e) organisations in no list. */
    for (size_t i = 0; i < N_QUERIES; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s %s %s",
                 places[rnd(&seed) % (sizeof places / sizeof places[0])],
                 brands[rnd(&seed) % (sizeof brands / sizeof brands[0])],
                 kinds[rnd(&seed) % (sizeof kinds / sizeof kinds[0])]);
        if (i % 10 == 0)
            snprintf(buf, sizeof buf, "Universidad de %s",
                     places[rnd(&seed) % (sizeof places / sizeof places[0])]);
        else if (i % 2 == 0) /* frequent words only: long postings */
            snprintf(buf, sizeof buf, "%s %s",
                     places[rnd(&seed) % (sizeof places / sizeof places[0])],
                     generic[rnd(&seed) % (sizeof generic / sizeof generic[0])]);
        free(owned[i]);
        owned[i] = xstrdup(buf);
        q[i] = (match_query_t){.name = owned[i], .country = "CA"};
        want[i] = -1;
    }
    long before = b.hits;
    t = run(&b);
    printf("names in no list:          %10.2f us/query  (x%.0f; %ld hits)\n", t, naive / t,
           b.hits - before);
    if (sink < 0)
        printf("%f\n", sink);

    for (size_t i = 0; i < N_QUERIES; i++)
        free(owned[i]);
    free(owned);
    free(schemes);
    free(values);
    free(q);
    free(want);
    free(ma);
    free(mb);
    free(norm);
    free(nlen);
    arena_destroy(&na);
    arena_destroy(&scratch);
    match_index_destroy(&ix);
    for (size_t i = 0; i < r.n; i++) {
        free(r.b[i].name);
        for (uint32_t j = 0; j < r.b[i].n_aliases; j++)
            free(r.b[i].aliases[j]);
        free(r.b[i].aliases);
    }
    free(r.b);
    free(ents);
    free(ids);
    free(idval);
    return 0;
}
