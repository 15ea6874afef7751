/* SPDX-License-Identifier: Apache-2.0 */
/* bench_scale.c -- how a ruleset's size costs: load time, memory, and the latency of
 * exact and fuzzy partner matching, query by query (p50, p99).
 *
 * usage: bench_scale [-q QUERIES] [-r ROUNDS] [-i INNOCENT.tsv] [-w REQUESTS.jsonl]
 *                    [-l LABEL] [-s SLOWEST] [-t THREADS] RULESET_DIR
 *
 * Loads RULESET_DIR the way vetd and vetd --check do: with -t N (N >= 2)
 * by ruleset_load_par, the match index built over N threads this program
 * lends it (vetd lends its cores, at most 8); without, in this thread
 * (ruleset_load). It measures the wall and CPU time of the load and the
 * memory it took: the peak resident set (VmHWM of /proc/self/status) and
 * the resident set once loaded (VmRSS). Then it times match_find (the partner lookup
 * of every screen) one query at a time on four sets of QUERIES queries
 * each (default 2000), drawn from the loaded registry by a fixed seed:
 *   exact     a name of a registry entry as listed (the baseline: a
 *             hash probe and precomputed neighbours);
 *   typo      a name of an entry with one letter swapped, dropped or
 *             doubled in its longest word (7 letters or more), half of
 *             them with the entry's country: the fuzzy path;
 *   innocent  real organisations on no list whose names look like listed
 *             ones (INNOCENT.tsv, default tests/fixtures/eval/innocent.tsv,
 *             the set make eval measures), repeated to QUERIES: the fuzzy
 *             path for the names most screens see;
 *   fuzzy     the typo and innocent names alternating: the fuzzy path's
 *             figure, the one the target (p99 < 200 us) is about;
 *   screen    the same names as whole requests (screen_run: matching,
 *             keywords, every rule), no JSON.
 * One untimed round warms the caches; then ROUNDS rounds (default 5),
 * each giving a p50 and a p99 per set; the medians over rounds are
 * printed. -t N (N >= 2) then builds the loaded registry's match index
 * twice more, in this thread (match_index_new, what ruleset_load runs) and
 * with its neighbour pass split over N threads that this program lends it
 * (match_index_new_par: the engine creates no thread), and prints both
 * times and their ratio (index_s, index_par_s). -w writes the typo and
 * innocent queries as JSON requests for
 * bench/loadgen; -s N prints the N slowest fuzzy queries (what the tail
 * is made of). Timings are reported, never asserted.
 *
 * The last line is for bench/run.sh, one key=value a field:
 *   RESULT label=... entries=... names=... load_s=... cpu_s=... peak_mb=...
 *   rss_mb=... base_mb=... exact_p50=... exact_p99=... typo_p50=... ...
 * Exit status 0, 1 if the ruleset does not load or a query fails, 2 on a
 * usage error. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "arena.h"
#include "diag.h"
#include "match.h"
#include "mclock.h"
#include "request.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"

enum { SET_EXACT = 0, SET_TYPO = 1, SET_INNOCENT = 2, SET_FUZZY = 3, SET_SCREEN = 4, N_SETS = 5 };
static const char *const set_name[N_SETS] = {"exact", "typo", "innocent", "fuzzy", "screen"};

#define MAX_ROUNDS 51
#define MAX_HITS 8

/* One query: a name, a country or NULL, and the entry it should find
 * (-1: none, an innocent name). */
typedef struct query {
    char *name;          /* owned */
    const char *country; /* borrowed (ruleset or innocent table), or NULL */
    const char *type;    /* partner type for the whole request, or NULL */
    bool person;         /* an individual's name (type "individual") */
    long want;           /* entry index, or -1 */
} query_t;

typedef struct qset {
    query_t *q; /* owned */
    size_t n;   /* count */
} qset_t;

static void
die_oom(void)
{
    fprintf(stderr, "bench_scale: out of memory\n");
    exit(1);
}

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL)
        die_oom();
    return p;
}

static char *
xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        die_oom();
    return p;
}

static uint64_t
rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A field of /proc/self/status ("VmHWM:", "VmRSS:") in MiB, or -1. */
static double
proc_status_mb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    double mb = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, fl) == 0) {
            mb = strtod(line + fl, NULL) / 1024.0;
            break;
        }
    fclose(f);
    return mb;
}

/* The peak resident set in MiB: VmHWM, else getrusage's maximum. */
static double
peak_mb(void)
{
    double mb = proc_status_mb("VmHWM:");
    if (mb < 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        mb = (double)ru.ru_maxrss / 1024.0;
    }
    return mb;
}

static double
cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static uint64_t
quantile(const uint64_t *v, size_t n, double q)
{
    size_t k = (size_t)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* A copy of name with one typo (two letters swapped, one dropped or one
 * doubled) inside its longest ASCII word of 7 letters or more, away from
 * its ends; NULL if it has no such word. */
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
    if (bl < 7)
        return NULL;
    char *s = xcalloc(len + 2, 1);
    memcpy(s, name, len + 1);
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

/* Reads INNOCENT.tsv (name<TAB>country<TAB>why, '#' comments) into set,
 * cycling its rows up to n queries. The countries are kept in *owned. */
static int
read_innocent(const char *path, qset_t *set, size_t n, char ***owned, size_t *n_owned)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    char line[1024];
    size_t cap = 0, rows = 0;
    char **names = NULL, **cc = NULL;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        char *country = NULL;
        if (tab != NULL) {
            *tab = '\0';
            country = tab + 1;
            char *t2 = strchr(country, '\t');
            if (t2 != NULL)
                *t2 = '\0';
        }
        if (rows == cap) {
            cap = cap ? cap * 2 : 512;
            names = realloc(names, cap * sizeof *names);
            cc = realloc(cc, cap * sizeof *cc);
            if (names == NULL || cc == NULL)
                die_oom();
        }
        names[rows] = xstrdup(line);
        cc[rows] = country != NULL && strlen(country) == 2 ? xstrdup(country) : NULL;
        rows++;
    }
    fclose(f);
    if (rows == 0) {
        fprintf(stderr, "bench_scale: %s: no names\n", path);
        return -1;
    }
    set->q = xcalloc(n, sizeof *set->q);
    set->n = n;
    for (size_t i = 0; i < n; i++)
        set->q[i] = (query_t){xstrdup(names[i % rows]), cc[i % rows], NULL, false, -1};
    for (size_t i = 0; i < rows; i++)
        free(names[i]);
    free(names);
    *owned = cc;
    *n_owned = rows;
    return 0;
}

static bool
is_person(const reg_entity_t *e)
{
    return e->type != NULL && strcmp(e->type, "individual") == 0;
}

/* The exact and typo sets, from random entries of rs. */
static void
draw_sets(const ruleset_t *rs, size_t n, qset_t *exact, qset_t *typos)
{
    uint64_t seed = 42;
    exact->q = xcalloc(n, sizeof *exact->q);
    typos->q = xcalloc(n, sizeof *typos->q);
    for (size_t i = 0; i < n; i++) {
        size_t e = rnd(&seed) % rs->n_ents;
        const reg_entity_t *en = &rs->ents[e];
        const char *nm = reg_entity_name(en, (uint32_t)(rnd(&seed) % (1 + en->n_aliases)));
        exact->q[exact->n++] =
            (query_t){xstrdup(nm), en->country, en->type, is_person(en), (long)e};
    }
    for (size_t tries = 0; typos->n < n && tries < 100 * n; tries++) {
        size_t e = rnd(&seed) % rs->n_ents;
        const reg_entity_t *en = &rs->ents[e];
        char *t = typo(reg_entity_name(en, (uint32_t)(rnd(&seed) % (1 + en->n_aliases))), &seed);
        if (t == NULL)
            continue;
        const char *cc = rnd(&seed) % 2 ? en->country : NULL;
        typos->q[typos->n++] = (query_t){t, cc, en->type, is_person(en), (long)e};
    }
}

/* Per round: over the whole set, then over its organisations' and its
 * individuals' names apart (index 0, 1, 2). */
enum { ALL = 0, ORGS = 1, PEOPLE = 2, N_PARTS = 3 };

typedef struct stats {
    double p50[N_PARTS][MAX_ROUNDS], p99[N_PARTS][MAX_ROUNDS], mean[MAX_ROUNDS];
    size_t n[N_PARTS]; /* queries of each part */
    long found;        /* queries (last round) whose wanted entry, or for
                        * innocent names any entry, was among the hits */
} stats_t;

/* Times one round of set s through match_find (or screen_run), query by
 * query, into st[round]; lat and part have room for s->n values. */
static void
time_set(const ruleset_t *rs, const qset_t *s, bool screen, arena_t *a, uint64_t *lat,
         uint64_t *part, stats_t *st, int round)
{
    match_hit_t out[MAX_HITS];
    char err[256];
    const char *tech[] = {"ai"};
    long found = 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < s->n; i++) {
        const query_t *q = &s->q[i];
        int n;
        uint64_t t0;
        arena_reset(a);
        if (screen) {
            request_t r;
            request_init(&r);
            r.name = q->name;
            r.country = q->country;
            r.type = q->type;
            r.tech = tech;
            r.n_tech = 1;
            r.activity = "joint_lab";
            r.text = "joint laboratory on intelligent command and control using big data";
            result_t res;
            t0 = mclock_ns();
            if (screen_run(rs, &r, a, &res) != 0) {
                fprintf(stderr, "bench_scale: %s: %s\n", q->name,
                        res.errmsg ? res.errmsg : "screen failed");
                exit(1);
            }
            lat[i] = mclock_ns() - t0;
            n = (int)res.n_matches;
            found += n > 0;
        } else {
            match_query_t mq = {.name = q->name, .country = q->country, .person = q->person};
            t0 = mclock_ns();
            n = match_find(rs->mx, &mq, a, out, MAX_HITS, err, sizeof err);
            lat[i] = mclock_ns() - t0;
            if (n < 0) {
                fprintf(stderr, "bench_scale: %s: %s\n", q->name, err);
                exit(1);
            }
            for (int h = 0; h < n; h++)
                if (q->want < 0 || (long)out[h].entity == q->want) {
                    found++;
                    break;
                }
        }
        sum += lat[i];
    }
    for (int k = 0; k < N_PARTS; k++) {
        size_t m = 0;
        for (size_t i = 0; i < s->n; i++)
            if (k == ALL || (k == PEOPLE) == s->q[i].person)
                part[m++] = lat[i];
        st->n[k] = m;
        if (m == 0)
            continue;
        qsort(part, m, sizeof *part, cmp_u64);
        st->p50[k][round] = (double)quantile(part, m, 0.50) / 1000.0;
        st->p99[k][round] = (double)quantile(part, m, 0.99) / 1000.0;
    }
    st->mean[round] = (double)sum / 1000.0 / (double)s->n;
    st->found = found;
}

typedef struct slow {
    uint64_t ns; /* median of three timings */
    size_t i;    /* query index */
    int hits;    /* hits returned */
} slow_t;

static int
cmp_slow(const void *a, const void *b)
{
    uint64_t x = ((const slow_t *)a)->ns, y = ((const slow_t *)b)->ns;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Prints the n slowest queries of s (match_find, median of three timings
 * each): what the tail is made of. */
static void
print_slowest(const ruleset_t *rs, const qset_t *s, size_t n, arena_t *a)
{
    slow_t *v = xcalloc(s->n, sizeof *v);
    match_hit_t out[MAX_HITS];
    char err[256];
    for (size_t i = 0; i < s->n; i++) {
        uint64_t t[3];
        match_query_t mq = {
            .name = s->q[i].name, .country = s->q[i].country, .person = s->q[i].person};
        for (int k = 0; k < 3; k++) {
            arena_reset(a);
            uint64_t t0 = mclock_ns();
            v[i].hits = match_find(rs->mx, &mq, a, out, MAX_HITS, err, sizeof err);
            t[k] = mclock_ns() - t0;
        }
        qsort(t, 3, sizeof t[0], cmp_u64);
        v[i] = (slow_t){t[1], i, v[i].hits};
    }
    qsort(v, s->n, sizeof *v, cmp_slow);
    printf("  slowest fuzzy queries:\n");
    for (size_t k = 0; k < n && k < s->n; k++)
        printf("    %8.1f us  %d hits  \"%s\"%s%s\n", (double)v[k].ns / 1000.0, v[k].hits,
               s->q[v[k].i].name, s->q[v[k].i].country ? " " : "",
               s->q[v[k].i].country ? s->q[v[k].i].country : "");
    free(v);
}

/* Writes the typo and innocent queries, interleaved, as requests for
 * bench/loadgen (one JSON object a line, no "id"). */
static int
write_requests(const char *path, const qset_t *typos, const qset_t *inno, size_t max)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    sbuf_t b = SBUF_INIT;
    for (size_t i = 0; i < max && (i < typos->n || i < inno->n); i++)
        for (int k = 0; k < 2; k++) {
            const qset_t *s = k == 0 ? typos : inno;
            if (i >= s->n)
                continue;
            const query_t *q = &s->q[i];
            sbuf_clear(&b);
            sbuf_puts(&b, "{\"partner\":{\"name\":");
            sbuf_json_cstr(&b, q->name);
            if (q->country != NULL) {
                sbuf_puts(&b, ",\"country\":");
                sbuf_json_cstr(&b, q->country);
            }
            if (q->type != NULL) {
                sbuf_puts(&b, ",\"type\":");
                sbuf_json_cstr(&b, q->type);
            }
            sbuf_puts(&b, "},\"technologies\":[\"ai\"],\"activity\":\"joint_lab\"}\n");
            if (b.oom)
                die_oom();
            fwrite(b.data, 1, b.len, f);
        }
    sbuf_free(&b);
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

static void
usage(void)
{
    fprintf(stderr, "usage: bench_scale [-q QUERIES] [-r ROUNDS] [-i INNOCENT.tsv] "
                    "[-w REQUESTS.jsonl] [-l LABEL] [-s SLOWEST] [-t THREADS] RULESET_DIR\n");
}

/* A task and its argument, for a thread's start routine. */
typedef struct job {
    void (*fn)(void *); /* the task */
    void *arg;          /* its argument */
} job_t;

static void *
job_main(void *p)
{
    job_t *j = p;
    j->fn(j->arg);
    return NULL;
}

#define MAX_THREADS 16

/* A match_run_fn: task 0 here, each other on a thread of its own (one
 * that cannot be started runs here). */
static void
run_threads(void *ctx, void (*fn)(void *), void *const *args, int n)
{
    (void)ctx;
    pthread_t th[MAX_THREADS];
    job_t jobs[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (int i = 1; i < n && i < MAX_THREADS; i++) {
        jobs[i] = (job_t){fn, args[i]};
        started[i] = pthread_create(&th[i], NULL, job_main, &jobs[i]) == 0;
        if (!started[i])
            fn(args[i]);
    }
    fn(args[0]);
    for (int i = 1; i < n && i < MAX_THREADS; i++)
        if (started[i])
            pthread_join(th[i], NULL);
}

/* Seconds to build rs's match index again, in this thread (threads < 2)
 * or split over threads; exits if it fails. */
static double
index_build_s(const ruleset_t *rs, int threads)
{
    char err[256];
    uint64_t t0 = mclock_ns();
    match_index_t *ix = threads < 2
                            ? match_index_new(rs->ents, rs->n_ents, &rs->match, err, sizeof err)
                            : match_index_new_par(rs->ents, rs->n_ents, &rs->match, run_threads,
                                                  NULL, threads, err, sizeof err);
    double s = (double)(mclock_ns() - t0) / 1e9;
    if (ix == NULL) {
        fprintf(stderr, "bench_scale: %s\n", err);
        exit(1);
    }
    match_index_destroy(&ix);
    return s;
}

int
main(int argc, char **argv)
{
    size_t nq = 2000;
    int rounds = 5;
    size_t slowest = 0;
    int threads = 0;
    const char *innocent = "tests/fixtures/eval/innocent.tsv", *reqs = NULL, *label = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "q:r:i:w:l:s:t:")) != -1) {
        switch (opt) {
        case 'q': nq = strtoul(optarg, NULL, 10); break;
        case 'r': rounds = atoi(optarg); break;
        case 'i': innocent = optarg; break;
        case 'w': reqs = optarg; break;
        case 'l': label = optarg; break;
        case 's': slowest = strtoul(optarg, NULL, 10); break;
        case 't': threads = atoi(optarg); break;
        default: usage(); return 2;
        }
    }
    if (argc - optind != 1 || nq == 0 || nq > 1000000 || rounds < 1 || rounds > MAX_ROUNDS ||
        threads < 0 || threads > MAX_THREADS) {
        usage();
        return 2;
    }
    const char *dir = argv[optind];
    if (label == NULL)
        label = dir;

    double base_mb = proc_status_mb("VmRSS:");
    diag_t *d = diag_new(0);
    if (d == NULL)
        die_oom();
    double c0 = cpu_s();
    uint64_t t0 = mclock_ns();
    ruleset_t *rs =
        threads >= 2 ? ruleset_load_par(dir, d, run_threads, NULL, threads) : ruleset_load(dir, d);
    double load_s = (double)(mclock_ns() - t0) / 1e9, load_cpu = cpu_s() - c0;
    if (rs == NULL) {
        diag_print(d, stderr);
        return 1;
    }
    double hwm = peak_mb(), rss = proc_status_mb("VmRSS:");
    size_t names = 0;
    for (size_t i = 0; i < rs->n_ents; i++)
        names += 1 + rs->ents[i].n_aliases;
    printf("%s: %zu entries, %zu names (%s)\n", label, rs->n_ents, names, dir);
    printf("  load      %7.2f s wall, %.2f s CPU; RSS peak %.0f MiB, %.0f MiB once loaded "
           "(%.0f MiB before); ruleset %.0f MiB, of which match index %.0f MiB\n",
           load_s, load_cpu, hwm, rss, base_mb, (double)ruleset_memory(rs) / 1048576.0,
           (double)match_index_memory(rs->mx) / 1048576.0);
    fflush(stdout);
    double index_s = 0, index_par_s = 0;
    if (threads >= 2) {
        index_s = index_build_s(rs, 1);
        index_par_s = index_build_s(rs, threads);
        printf("  index     %7.2f s in one thread, %.2f s over %d threads (x%.2f)\n", index_s,
               index_par_s, threads, index_par_s > 0 ? index_s / index_par_s : 0);
        fflush(stdout);
    }

    qset_t sets[N_SETS] = {{NULL, 0}};
    char **inno_cc = NULL;
    size_t n_inno_cc = 0;
    draw_sets(rs, nq, &sets[SET_EXACT], &sets[SET_TYPO]);
    if (read_innocent(innocent, &sets[SET_INNOCENT], nq, &inno_cc, &n_inno_cc) != 0)
        return 1;
    /* The fuzzy path, and the whole request: the typo and innocent names
     * alternating. */
    for (int s = SET_FUZZY; s <= SET_SCREEN; s++) {
        sets[s].q = xcalloc(nq, sizeof(query_t));
        for (size_t i = 0; i < nq; i++) {
            const qset_t *from = &sets[i % 2 ? SET_INNOCENT : SET_TYPO];
            if (from->n == 0)
                continue;
            query_t q = from->q[(i / 2) % from->n];
            q.name = xstrdup(q.name);
            sets[s].q[sets[s].n++] = q;
        }
    }
    if (reqs != NULL && write_requests(reqs, &sets[SET_TYPO], &sets[SET_INNOCENT], 1000) != 0)
        return 1;

    arena_t *a = arena_new(0);
    uint64_t *lat = xcalloc(nq, sizeof *lat), *part = xcalloc(nq, sizeof *part);
    static stats_t st[N_SETS];
    if (a == NULL)
        die_oom();
    for (int s = 0; s < N_SETS; s++) /* warm-up, not counted */
        time_set(rs, &sets[s], s == SET_SCREEN, a, lat, part, &st[s], 0);
    for (int r = 0; r < rounds; r++)
        for (int s = 0; s < N_SETS; s++)
            time_set(rs, &sets[s], s == SET_SCREEN, a, lat, part, &st[s], r);

    double p50[N_SETS][N_PARTS], p99[N_SETS][N_PARTS], mean[N_SETS];
    for (int s = 0; s < N_SETS; s++) {
        for (int k = 0; k < N_PARTS; k++) {
            p50[s][k] = st[s].n[k] ? median(st[s].p50[k], rounds) : 0;
            p99[s][k] = st[s].n[k] ? median(st[s].p99[k], rounds) : 0;
        }
        mean[s] = median(st[s].mean, rounds);
        printf("  %-9s p50 %7.1f us  p99 %7.1f us  mean %7.1f us", set_name[s], p50[s][ALL],
               p99[s][ALL], mean[s]);
        if (s == SET_EXACT || s == SET_TYPO)
            printf("   %ld/%zu found their entry", st[s].found, sets[s].n);
        else if (s == SET_INNOCENT)
            printf("   %ld/%zu matched an entry", st[s].found, sets[s].n);
        printf("\n");
        if (st[s].n[PEOPLE] > 0 && st[s].n[ORGS] > 0)
            printf("    of which organisations p50 %7.1f us  p99 %7.1f us (%zu); individuals "
                   "p50 %7.1f us  p99 %7.1f us (%zu)\n",
                   p50[s][ORGS], p99[s][ORGS], st[s].n[ORGS], p50[s][PEOPLE], p99[s][PEOPLE],
                   st[s].n[PEOPLE]);
    }
    printf("  (match_find, one query at a time, %zu queries a set; medians of %d rounds; "
           "screen: the whole request, screen_run)\n",
           nq, rounds);
    if (slowest > 0)
        print_slowest(rs, &sets[SET_FUZZY], slowest, a);
    printf("RESULT label=%s entries=%zu names=%zu load_s=%.3f cpu_s=%.3f peak_mb=%.1f "
           "rss_mb=%.1f base_mb=%.1f",
           label, rs->n_ents, names, load_s, load_cpu, hwm, rss, base_mb);
    for (int s = 0; s < N_SETS; s++) {
        printf(" %s_p50=%.2f %s_p99=%.2f", set_name[s], p50[s][ALL], set_name[s], p99[s][ALL]);
        printf(" %s_org_p99=%.2f %s_person_p99=%.2f", set_name[s], p99[s][ORGS], set_name[s],
               p99[s][PEOPLE]);
    }
    if (threads >= 2)
        printf(" index_s=%.3f index_par_s=%.3f threads=%d", index_s, index_par_s, threads);
    printf("\n");

    for (int s = 0; s < N_SETS; s++) {
        for (size_t i = 0; i < sets[s].n; i++)
            free(sets[s].q[i].name);
        free(sets[s].q);
    }
    for (size_t i = 0; i < n_inno_cc; i++)
        free(inno_cc[i]);
    free(inno_cc);
    free(lat);
    free(part);
    arena_destroy(&a);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    return 0;
}
