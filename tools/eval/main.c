/* SPDX-License-Identifier: Apache-2.0 */
/* main.c -- vet-eval: precision and recall of partner identification on the public lists. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cJSON.h>
#include <libconfig.h>

#include "csv.h"
#include "evdata.h"
#include "evgen.h"
#include "evpeople.h"
#include "evreal.h"
#include "exitcode.h"
#include "import.h"
#include "sbuf.h"
#include "vec.h"
#include "vet_engine.h"

/* Exit codes (exitcode.h): EX_OK, VET_EXIT_FAIL when the evaluation could
 * not run (docs/EVAL.md), EX_USAGE for a bad command line, as every vetd
 * program. */

#define NORM_CAP 4096
#define MAX_SHOWN_MATCHES 8

static const char usage[] =
    "usage: vet-eval [-r RULESET] [-d DATA] [-i INNOCENT.tsv] [-w REALWORLD.tsv] "
    "[--realworld-only]\n"
    "                [--seed N] [--examples N] [--json FILE]\n"
    "  -r, --rules DIR      ruleset to screen with (default build/rules-full: make rules-full)\n"
    "  -d, --data DIR       the public lists (default ../shared/data)\n"
    "  -i, --innocent FILE  innocent look-alikes, name<TAB>country<TAB>why\n"
    "                       (default tests/fixtures/eval/innocent.tsv)\n"
    "  -w, --realworld FILE the real-world form set (default tools/eval/realworld.tsv)\n"
    "      --realworld-only only the real-world form set: no public lists needed\n"
    "  -p, --people FILE    the people set (default tools/eval/people.tsv; \"-\": none)\n"
    "      --seed N         seed of the variations (default 1)\n"
    "      --examples N     misses and false positives shown per group (default 8)\n"
    "      --json FILE      also write every number and example as JSON\n";

/* ---- buckets of counts ------------------------------------------------- */

enum { SET_ALIAS, SET_VARIED, SET_INNOCENT };

/* Report buckets: alias (all, then per list), varied (all, then per
 * kind), innocent. */
enum {
    B_ALIAS,
    B_ALIAS_NRO,
    B_ALIAS_SDN,
    B_ALIAS_UN,
    B_VARIED,
    B_VARIED_KIND,
    B_TYPO_SHORT = B_VARIED_KIND + EVGEN_N, /* the three typo kinds, in a word of 5-6 letters */
    B_TYPO_LONG,                            /* ... of 7 letters or more */
    B_INNOCENT,
    B_N
};

typedef struct example {
    uint64_t order; /* a hash: examples are shown in this order, a fair sample */
    char *text;     /* one line, owned */
} example_t;

typedef struct examples {
    example_t *v;
    size_t n, cap;
} examples_t;

typedef struct bucket {
    char name[48];        /* "alias", "alias/us-sdn", "varied/typo-sub", "innocent" */
    long queries;         /* requests screened */
    long not_in_ruleset;  /* expected organisation absent from the ruleset */
    long hits;            /* expected organisation among the matches */
    long hits_exact;      /* ... found by an exact (or id) match */
    long hits_fuzzy;      /* ... found by a fuzzy match */
    long answered;        /* queries with at least one match */
    long wrong_queries;   /* queries with at least one wrong match */
    long matches;         /* matches returned */
    long wrong_matches;   /* matches of an organisation that is not the one named */
    long verdict_changed; /* innocent: the verdict differs from an unmatched partner's */
    long not_applicable;  /* varied: names the kind does not apply to */
    long miss_unnamed;    /* misses where the expected organisation lacks the source name */
    examples_t misses;    /* expected organisation not found */
    examples_t wrongs;    /* wrong matches */
} bucket_t;

/* How a real-world query's expected organisation was found: the reply's
 * match "method" (docs/PROTOCOL.md), one table for the enum and names. */
#define RW_METHODS(X)                                                                              \
    X(RWM_ID, "id")                                                                                \
    X(RWM_EXACT, "exact")                                                                          \
    X(RWM_UNIT, "unit")                                                                            \
    X(RWM_RELATED, "related")                                                                      \
    X(RWM_FUZZY, "fuzzy")                                                                          \
    X(RWM_OTHER, "other")
#define RW_ENUM_(e, n) e,
enum { RW_METHODS(RW_ENUM_) RWM_N };
#undef RW_ENUM_
#define RW_NAME_(e, n) n,
static const char *const rw_method_names[] = {RW_METHODS(RW_NAME_)};
#undef RW_NAME_

/* Report buckets of the real-world form set: one per class (evreal.h),
 * then RW_ALL, every positive class together. */
enum { RW_ALL = EVREAL_N, RW_N };

typedef struct rw_bucket {
    long queries;          /* requests screened */
    long hits;             /* positive: an expected organisation among the matches */
    long by_method[RWM_N]; /* hits by the method of the (best) expected match */
    long matched;          /* queries with at least one match (innocent: false positives) */
    long wrong_only;       /* positive: matches, but none of an expected organisation */
    long not_clear;        /* queries whose verdict is not "clear" */
    long silent;           /* positive: hits whose verdict is "clear" (silent clears) */
    long absent;           /* positive: no expected id is in the ruleset (counted as a miss) */
    examples_t misses;     /* positive: not identified; innocent: matched or not clear */
    examples_t silents;    /* positive: hits with a "clear" verdict */
} rw_bucket_t;

typedef struct eval {
    vet_engine_t *engine;
    vet_worker_t *worker;
    evdata_reg_t *reg;
    bucket_t b[B_N];
    rw_bucket_t rw[RW_N]; /* the real-world form set */
    long n_rw_listed;     /* real-world innocent names that are in the registry: skipped */
    examples_t rw_listed;
    char baseline[32];      /* verdict of the request for an unmatched partner */
    long n_innocent_listed; /* innocent names that are in the registry: skipped */
    examples_t innocent_listed;
    unsigned long seed;
    evpeople_t *people;      /* the people set, or NULL (evpeople.h) */
    const char *people_path; /* where it was read */
} eval_t;

static int
ex_add(examples_t *e, uint64_t order, const char *fmt, ...)
{
    if (vec_grow(&e->v, &e->cap, e->n + 1, sizeof *e->v, 64) != 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    e->v[e->n++] = (example_t){order, s};
    return 0;
}

static int
ex_cmp(const void *a, const void *b)
{
    const example_t *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->text, y->text);
}

static void
ex_free(examples_t *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].text);
    free(e->v);
}

/* ---- screening --------------------------------------------------------- */

typedef struct match {
    const char *entity; /* borrowed from the parsed reply */
    const char *name;
    const char *method;
    double score;
    const cJSON *merged; /* ids of the entries merged into it, or NULL */
} match_t;

/* Whether the match is the organisation id: its own id, or one merged
 * into it (one body listed by several sources is one entity). */
static bool
match_is(const match_t *m, const char *id)
{
    if (id == NULL)
        return false;
    if (strcmp(m->entity, id) == 0)
        return true;
    const cJSON *v;
    cJSON_ArrayForEach(v, m->merged)
    {
        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return true;
    }
    return false;
}

typedef struct reply {
    cJSON *json; /* owned: the parsed reply */
    const char *verdict;
    match_t m[MAX_SHOWN_MATCHES];
    size_t n;
    int n_rules;   /* rules that fired */
    bool has_note; /* the reply's "note": a match no rule acted on, said out loud */
} reply_t;

/* Screens one partner (name, country or NULL) with a request that would
 * make any listed partner matter: current affiliation, AI research.
 * Returns 0 and fills rp (free rp->json), or -1 with a message. */
static int
screen(eval_t *ev, const char *name, const char *country, reply_t *rp)
{
    memset(rp, 0, sizeof *rp);
    cJSON *req = cJSON_CreateObject(), *partner = cJSON_CreateObject();
    const char *tech[] = {"ai"};
    if (req == NULL || partner == NULL) {
        cJSON_Delete(req);
        cJSON_Delete(partner);
        return -1;
    }
    cJSON_AddItemToObject(req, "partner", partner);
    cJSON_AddStringToObject(partner, "name", name);
    if (country != NULL)
        cJSON_AddStringToObject(partner, "country", country);
    cJSON_AddItemToObject(req, "technologies", cJSON_CreateStringArray(tech, 1));
    cJSON_AddStringToObject(req, "activity", "affiliation");
    cJSON_AddBoolToObject(req, "current", 1);
    char *js = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (js == NULL)
        return -1;
    const char *out;
    size_t out_len;
    int r = vet_engine_screen(ev->engine, ev->worker, js, strlen(js), &out, &out_len);
    free(js);
    if (r != 0) {
        fprintf(stderr, "vet-eval: the engine refused a request (%s): %.*s\n", name,
                r < 0 ? 13 : (int)out_len, r < 0 ? "out of memory" : out);
        return -1;
    }
    rp->json = cJSON_ParseWithLength(out, out_len);
    if (rp->json == NULL)
        return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rp->json, "verdict");
    rp->verdict = cJSON_IsString(v) ? v->valuestring : "?";
    rp->n_rules = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rp->json, "rules"));
    rp->has_note = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rp->json, "note"));
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(rp->json, "partner");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(p, "matches");
    const cJSON *m;
    cJSON_ArrayForEach(m, ms)
    {
        if (rp->n == MAX_SHOWN_MATCHES)
            break;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, "entity");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(m, "name");
        const cJSON *me = cJSON_GetObjectItemCaseSensitive(m, "method");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(m, "score");
        if (!cJSON_IsString(e))
            continue;
        rp->m[rp->n++] = (match_t){e->valuestring, cJSON_IsString(nm) ? nm->valuestring : "",
                                   cJSON_IsString(me) ? me->valuestring : "",
                                   cJSON_IsNumber(sc) ? sc->valuedouble : 0.0,
                                   cJSON_GetObjectItemCaseSensitive(m, "merged")};
    }
    return 0;
}

/* The matches of a reply as one line: "id (name) method 0.93; ...". */
static void
matches_line(const reply_t *rp, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    if (rp->n == 0)
        snprintf(out, cap, "no match");
    for (size_t i = 0; i < rp->n && k < cap; i++) {
        int w = snprintf(out + k, cap - k, "%s%s \"%s\" %s %.2f", i ? "; " : "", rp->m[i].entity,
                         rp->m[i].name, rp->m[i].method, rp->m[i].score);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

/* ---- judging one query ------------------------------------------------- */

typedef struct query {
    int set;                 /* SET_* */
    int kind;                /* evgen kind for SET_VARIED, else -1 */
    const evdata_org_t *org; /* the listed organisation (alias, varied), or NULL */
    const char *base;        /* the name as the source gives it */
    const char *text;        /* what is screened */
    const char *country;     /* ISO code or NULL */
    const char *why;         /* innocent: why it looks alike */
} query_t;

/* Whether registry organisation idx has name (as written), compared
 * normalised, or without legal-form words. */
static bool
carries_name(const eval_t *ev, long idx, const char *name)
{
    char norm[NORM_CAP], core[NORM_CAP];
    if (evdata_norm(name, norm, sizeof norm) < 0 || norm[0] == '\0')
        return false;
    if (evdata_reg_carries(ev->reg, (size_t)idx, norm))
        return true;
    return evdata_core(norm, core, sizeof core) == 0 &&
           evdata_reg_carries_core(ev->reg, (size_t)idx, core);
}

/* Whether registry organisation idx is a right match for q: the expected
 * one, or one that carries the queried text, or any name of the expected
 * listed record, compared after normalisation and without legal-form
 * words (evdata_core). A name alone cannot tell such organisations
 * apart; in these lists they are mostly one body listed twice (UN and
 * OFAC), or a body and its branch. */
static bool
correct_match(const eval_t *ev, const query_t *q, long expected, long idx)
{
    if (idx < 0)
        return false;
    if (idx == expected || carries_name(ev, idx, q->text))
        return true;
    for (size_t i = 0; q->org != NULL && i < q->org->n_names; i++)
        if (carries_name(ev, idx, q->org->names[i]))
            return true;
    return false;
}

/* correct_match for a match and every entry merged into it (the registry
 * files describe each entry apart; the reply's match is all of them). */
static bool
correct_merged(const eval_t *ev, const query_t *q, long expected, const match_t *m)
{
    if (correct_match(ev, q, expected, evdata_reg_find(ev->reg, m->entity)))
        return true;
    const cJSON *v;
    cJSON_ArrayForEach(v, m->merged)
    {
        if (cJSON_IsString(v) &&
            correct_match(ev, q, expected, evdata_reg_find(ev->reg, v->valuestring)))
            return true;
    }
    return false;
}

static void
count(bucket_t *b, const query_t *q, bool in_ruleset, bool hit, const char *hit_method,
      size_t n_matches, size_t n_wrong, bool changed, const char *miss_line, const char *wrong_line,
      uint64_t order, bool unnamed)
{
    b->queries++;
    b->miss_unnamed += !hit && unnamed && q->set != SET_INNOCENT;
    b->not_in_ruleset += !in_ruleset;
    if (hit) {
        b->hits++;
        if (strcmp(hit_method, "fuzzy") == 0)
            b->hits_fuzzy++;
        else
            b->hits_exact++;
    }
    b->answered += n_matches > 0;
    b->matches += (long)n_matches;
    b->wrong_matches += (long)n_wrong;
    b->wrong_queries += n_wrong > 0;
    b->verdict_changed += changed;
    if (q->set != SET_INNOCENT && !hit && miss_line != NULL)
        ex_add(&b->misses, order, "%s", miss_line);
    if (n_wrong > 0 && wrong_line != NULL)
        ex_add(&b->wrongs, order, "%s", wrong_line);
}

/* The length of the ASCII letter run of base that variant changed (the
 * word a typo was made in). */
static size_t
typo_word_len(const char *base, const char *variant)
{
    size_t d = 0, n = strlen(base);
    while (d < n && base[d] == variant[d])
        d++;
    if (d == n && d > 0)
        d--;
    size_t a = d, b = d;
    while (a > 0 && isalpha((unsigned char)base[a - 1]))
        a--;
    while (b < n && isalpha((unsigned char)base[b]))
        b++;
    return b - a;
}

static int
judge(eval_t *ev, const query_t *q)
{
    reply_t rp;
    if (screen(ev, q->text, q->country, &rp) < 0)
        return -1;
    long expected = q->org ? evdata_reg_by_key(ev->reg, q->org->key) : -1;
    const char *expected_id = expected >= 0 ? evdata_reg_id(ev->reg, (size_t)expected) : NULL;
    bool hit = false;
    const char *hit_method = "";
    size_t n_wrong = 0;
    const match_t *first_wrong = NULL;
    for (size_t i = 0; i < rp.n; i++) {
        bool is_expected = match_is(&rp.m[i], expected_id);
        if (q->set != SET_INNOCENT && is_expected) {
            hit = true;
            hit_method = rp.m[i].method;
        }
        if (q->set == SET_INNOCENT ||
            (!is_expected && !correct_merged(ev, q, expected, &rp.m[i]))) {
            n_wrong++;
            if (first_wrong == NULL)
                first_wrong = &rp.m[i];
        }
    }
    bool changed = q->set == SET_INNOCENT && strcmp(rp.verdict, ev->baseline) != 0;
    char ml[1024], miss[2048], wrong[2048];
    matches_line(&rp, ml, sizeof ml);
    const char *kind = q->kind >= 0 ? evgen_kind_name((evgen_kind_t)q->kind) : "";
    if (q->set == SET_INNOCENT)
        snprintf(wrong, sizeof wrong, "\"%s\" [%s] (%s) -> %s; verdict %s", q->text,
                 q->country ? q->country : "-", q->why ? q->why : "", ml, rp.verdict);
    else
        snprintf(wrong, sizeof wrong,
                 "%s%s\"%s\" [%s] from %s %s \"%s\" -> wrong: %s \"%s\" %s %.2f", kind,
                 kind[0] ? " " : "", q->text, q->country ? q->country : "-", q->org->list,
                 q->org->ref, q->base, first_wrong ? first_wrong->entity : "",
                 first_wrong ? first_wrong->name : "", first_wrong ? first_wrong->method : "",
                 first_wrong ? first_wrong->score : 0.0);
    if (q->org != NULL)
        snprintf(miss, sizeof miss, "%s%s\"%s\" [%s] expected %s (%s %s%s%s%s) -> %s", kind,
                 kind[0] ? " " : "", q->text, q->country ? q->country : "-",
                 expected_id ? expected_id : "(not in ruleset)", q->org->list, q->org->ref,
                 q->kind >= 0 ? ", varied from \"" : "", q->kind >= 0 ? q->base : "",
                 q->kind >= 0 ? "\"" : "", ml);
    else
        miss[0] = '\0';
    /* A miss is the importer's (or the ruleset's) when the expected
     * organisation does not carry the name the source gives: the matcher
     * was asked for a name the registry does not hold. */
    char bn[NORM_CAP];
    bool unnamed = q->org != NULL && !hit &&
                   (expected < 0 || evdata_norm(q->base, bn, sizeof bn) < 0 ||
                    !evdata_reg_carries(ev->reg, (size_t)expected, bn));
    if (unnamed) {
        size_t l = strlen(miss);
        snprintf(miss + l, sizeof miss - l, " [source name not in the registry entry]");
    }
    /* The shown examples are a fair sample: ordered by a hash of the text. */
    uint64_t order = evgen_hash(ev->seed, q->text);
    bool in_ruleset = q->set == SET_INNOCENT || expected >= 0;
    if (q->set == SET_ALIAS) {
        count(&ev->b[B_ALIAS], q, in_ruleset, hit, hit_method, rp.n, n_wrong, changed, miss, wrong,
              order, unnamed);
        int lb = strcmp(q->org->list, "ca-nro") == 0   ? B_ALIAS_NRO
                 : strcmp(q->org->list, "us-sdn") == 0 ? B_ALIAS_SDN
                                                       : B_ALIAS_UN;
        count(&ev->b[lb], q, in_ruleset, hit, hit_method, rp.n, n_wrong, changed, NULL, NULL, order,
              unnamed);
    } else if (q->set == SET_VARIED) {
        count(&ev->b[B_VARIED], q, in_ruleset, hit, hit_method, rp.n, n_wrong, changed, NULL, NULL,
              order, unnamed);
        count(&ev->b[B_VARIED_KIND + q->kind], q, in_ruleset, hit, hit_method, rp.n, n_wrong,
              changed, miss, wrong, order, unnamed);
        if (q->kind == EVGEN_TYPO_SUB || q->kind == EVGEN_TYPO_DEL || q->kind == EVGEN_TYPO_SWAP)
            count(&ev->b[typo_word_len(q->base, q->text) >= 7 ? B_TYPO_LONG : B_TYPO_SHORT], q,
                  in_ruleset, hit, hit_method, rp.n, n_wrong, changed, NULL, NULL, order, unnamed);
    } else {
        count(&ev->b[B_INNOCENT], q, true, false, "", rp.n, n_wrong, changed, NULL,
              rp.n > 0 || changed ? wrong : NULL, order, false);
    }
    cJSON_Delete(rp.json);
    return 0;
}

/* ---- the query sets ---------------------------------------------------- */

/* The country a query gives: the one the source gives (NRO), else the
 * one the importer derived from the source record (the registry's). */
static const char *
query_country(const eval_t *ev, const evdata_org_t *o)
{
    if (o->country != NULL)
        return o->country;
    long idx = evdata_reg_by_key(ev->reg, o->key);
    return idx >= 0 ? evdata_reg_country(ev->reg, (size_t)idx) : NULL;
}

static int
run_lists(eval_t *ev, const evdata_src_t *src)
{
    size_t n;
    evdata_org_t *const *orgs = evdata_src_orgs(src, &n);
    char var[4096];
    for (size_t i = 0; i < n; i++) {
        const evdata_org_t *o = orgs[i];
        const char *cc = query_country(ev, o);
        for (size_t k = 0; k < o->n_names; k++) {
            query_t q = {SET_ALIAS, -1, o, o->names[k], o->names[k], cc, NULL};
            if (judge(ev, &q) < 0)
                return -1;
            for (int kind = 0; kind < EVGEN_N; kind++) {
                int r = evgen_apply((evgen_kind_t)kind, o->names[k], ev->seed, var, sizeof var);
                if (r < 0)
                    continue; /* longer than a name can be: not a realistic query */
                if (r == 0) {
                    ev->b[B_VARIED_KIND + kind].not_applicable++;
                    continue;
                }
                query_t v = {SET_VARIED, kind, o, o->names[k], var, cc, NULL};
                if (judge(ev, &v) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* The id of a registry organisation that carries name (compared in
 * evdata_norm's form) and whose country is cc, or that has no country,
 * or any when cc is NULL or "": such a name is listed, not innocent. The
 * same name in another country is not (country is part of identity).
 * Returns the id (borrowed from ev->reg) or NULL. */
static const char *
listed_as(const eval_t *ev, const char *name, const char *cc)
{
    char norm[NORM_CAP];
    size_t idx[16];
    size_t n =
        evdata_norm(name, norm, sizeof norm) == 0 ? evdata_reg_carriers(ev->reg, norm, idx, 16) : 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        const char *oc = evdata_reg_country(ev->reg, idx[i]);
        if (oc == NULL || cc == NULL || cc[0] == '\0' || strcasecmp(oc, cc) == 0)
            return evdata_reg_id(ev->reg, idx[i]);
    }
    return NULL;
}

/* Reads the innocent look-alikes (name<TAB>country<TAB>why; '#' comments)
 * with the one CSV reader, and screens each name that no registry
 * organisation carries. */
static int
run_innocent(eval_t *ev, const char *path)
{
    size_t len;
    char *data = imp_read_file(path, &len);
    if (data == NULL) {
        fprintf(stderr, "vet-eval: %s: %s\n", path, strerror(errno));
        return -1;
    }
    csv_t *c = csv_new(data, len, '\t', 0, 0, path);
    sbuf_t why = SBUF_INIT;
    csv_rec_t r;
    int rc = c != NULL ? 0 : -1;
    while (rc == 0 && (rc = csv_next(c, &r)) == 1) {
        rc = 0;
        long ln = (long)r.line;
        char *name = r.fields[0];
        if (name[0] == '#' || (r.n_fields == 1 && name[0] == '\0'))
            continue;
        if (r.n_fields == 1) {
            fprintf(stderr, "vet-eval: %s:%ld: expected name<TAB>country<TAB>why\n", path, ln);
            rc = -1;
            break;
        }
        const char *cc = r.fields[1];
        /* The why column is the rest of the line, tabs and all. */
        sbuf_clear(&why);
        for (size_t i = 2; i < r.n_fields; i++) {
            if (i > 2)
                sbuf_putc(&why, '\t');
            sbuf_append(&why, r.fields[i], r.lens[i]);
        }
        if (why.oom) {
            rc = -1;
            break;
        }
        /* A listed name is skipped and reported (listed_as). */
        const char *listed_id = listed_as(ev, name, cc);
        if (listed_id != NULL) {
            ev->n_innocent_listed++;
            ex_add(&ev->innocent_listed, (uint64_t)ln, "%s:%ld: \"%s\" is a name of %s", path, ln,
                   name, listed_id);
            continue;
        }
        query_t q = {SET_INNOCENT,
                     -1,
                     NULL,
                     name,
                     name,
                     cc[0] ? cc : NULL,
                     r.n_fields > 2 ? why.data : NULL};
        rc = judge(ev, &q);
    }
    if (rc < 0 && (c == NULL || why.oom || csv_error(c)[0] != '\0'))
        fprintf(stderr, "vet-eval: %s: out of memory\n", path);
    csv_destroy(&c);
    sbuf_free(&why);
    free(data);
    return rc < 0 ? -1 : 0;
}

/* ---- the real-world form set ------------------------------------------ */

static int
rw_method(const char *m)
{
    for (int i = 0; i < RWM_OTHER; i++)
        if (strcmp(rw_method_names[i], m) == 0)
            return i;
    return RWM_OTHER;
}

/* Counts one screened query of the set into its class's bucket and, for
 * a positive class, into RW_ALL. A positive query hits when one of its
 * expected ids is among the matches; its method is that of the first
 * (best) such match. */
static void
rw_count(eval_t *ev, const evreal_row_t *r, const reply_t *rp)
{
    bool innocent = r->cls == EVREAL_INNOCENT;
    int method = -1;
    for (size_t i = 0; i < rp->n && method < 0 && !innocent; i++)
        for (size_t k = 0; k < r->n_expected && method < 0; k++)
            if (match_is(&rp->m[i], r->expected[k]))
                method = rw_method(rp->m[i].method);
    bool absent = !innocent;
    for (size_t i = 0; i < r->n_expected && absent; i++)
        absent = evdata_reg_find(ev->reg, r->expected[i]) < 0;
    bool not_clear = strcmp(rp->verdict, "clear") != 0;
    /* A silent clear: found, verdict clear, and neither a rule nor a note
     * says why (issue 12, "no silent clears"). */
    bool silent = method >= 0 && !not_clear && rp->n_rules == 0 && !rp->has_note;
    rw_bucket_t *bs[2] = {&ev->rw[r->cls], innocent ? NULL : &ev->rw[RW_ALL]};
    for (int k = 0; k < 2 && bs[k] != NULL; k++) {
        rw_bucket_t *b = bs[k];
        b->queries++;
        b->matched += rp->n > 0;
        b->not_clear += not_clear;
        b->absent += absent;
        if (method >= 0) {
            b->hits++;
            b->by_method[method]++;
            b->silent += silent;
        } else if (!innocent && rp->n > 0) {
            b->wrong_only++;
        }
    }
    if ((innocent && (rp->n > 0 || not_clear)) || (!innocent && method < 0) || silent) {
        char ml[1024], exp[512];
        matches_line(rp, ml, sizeof ml);
        size_t k = 0;
        exp[0] = '\0';
        for (size_t i = 0; i < r->n_expected && k < sizeof exp; i++) {
            int w = snprintf(exp + k, sizeof exp - k, "%s%s", i ? "|" : "", r->expected[i]);
            k += w > 0 ? (size_t)w : 0;
        }
        ex_add(silent ? &ev->rw[r->cls].silents : &ev->rw[r->cls].misses,
               evgen_hash(ev->seed, r->query), "\"%s\" [%s]%s%s%s -> %s; verdict %s", r->query,
               r->country ? r->country : "-", innocent ? "" : " expected ", exp,
               absent ? " (not in the ruleset)" : "", ml, rp->verdict);
    }
}

/* Screens every query of the real-world form set (path, already read
 * into set). Innocent names that a registry organisation carries are
 * skipped and reported (listed_as). Returns 0, or -1 when a request
 * could not be screened. */
static int
run_realworld(eval_t *ev, const evreal_t *set, const char *path)
{
    size_t n;
    const evreal_row_t *rows = evreal_rows(set, &n);
    for (size_t i = 0; i < n; i++) {
        const evreal_row_t *r = &rows[i];
        if (r->cls == EVREAL_INNOCENT) {
            const char *id = listed_as(ev, r->query, r->country);
            if (id != NULL) {
                ev->n_rw_listed++;
                ex_add(&ev->rw_listed, (uint64_t)r->line, "%s:%lu: \"%s\" is a name of %s", path,
                       r->line, r->query, id);
                continue;
            }
        }
        reply_t rp;
        if (screen(ev, r->query, r->country, &rp) < 0)
            return -1;
        rw_count(ev, r, &rp);
        cJSON_Delete(rp.json);
    }
    return 0;
}

/* ---- the report -------------------------------------------------------- */

static double
pct(long a, long b)
{
    return b > 0 ? 100.0 * (double)a / (double)b : 0.0;
}

/* Query precision: of the queries that matched anything, those whose
 * every match was right. Match precision: of all matches, the right ones. */
static double
qprec(const bucket_t *b)
{
    return b->answered > 0 ? pct(b->answered - b->wrong_queries, b->answered) : 100.0;
}

static double
mprec(const bucket_t *b)
{
    return b->matches > 0 ? pct(b->matches - b->wrong_matches, b->matches) : 100.0;
}

static void
print_row(const bucket_t *b, const char *target)
{
    printf("%-22s %7ld %7ld %6.2f%% %7ld %7ld %7ld %6.2f%% %6.2f%% %7ld  %s\n", b->name, b->queries,
           b->hits, pct(b->hits, b->queries), b->hits_exact, b->hits_fuzzy, b->miss_unnamed,
           qprec(b), mprec(b), b->not_in_ruleset, target);
}

static void
print_examples(const char *title, examples_t *e, size_t max)
{
    if (e->n == 0 || max == 0)
        return;
    qsort(e->v, e->n, sizeof *e->v, ex_cmp);
    printf("  %s (%zu, %zu shown):\n", title, e->n, e->n < max ? e->n : max);
    for (size_t i = 0; i < e->n && i < max; i++)
        printf("    %s\n", e->v[i].text);
}

static cJSON *
bucket_json(const bucket_t *b, size_t max_examples)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", b->name);
    cJSON_AddNumberToObject(o, "queries", (double)b->queries);
    cJSON_AddNumberToObject(o, "hits", (double)b->hits);
    cJSON_AddNumberToObject(o, "recall", pct(b->hits, b->queries) / 100.0);
    cJSON_AddNumberToObject(o, "hits_exact", (double)b->hits_exact);
    cJSON_AddNumberToObject(o, "hits_fuzzy", (double)b->hits_fuzzy);
    cJSON_AddNumberToObject(o, "answered", (double)b->answered);
    cJSON_AddNumberToObject(o, "wrong_queries", (double)b->wrong_queries);
    cJSON_AddNumberToObject(o, "query_precision", qprec(b) / 100.0);
    cJSON_AddNumberToObject(o, "matches", (double)b->matches);
    cJSON_AddNumberToObject(o, "wrong_matches", (double)b->wrong_matches);
    cJSON_AddNumberToObject(o, "match_precision", mprec(b) / 100.0);
    cJSON_AddNumberToObject(o, "not_in_ruleset", (double)b->not_in_ruleset);
    cJSON_AddNumberToObject(o, "misses_name_not_in_registry", (double)b->miss_unnamed);
    if (b->not_applicable > 0)
        cJSON_AddNumberToObject(o, "not_applicable", (double)b->not_applicable);
    if (strcmp(b->name, "innocent") == 0) {
        cJSON_AddNumberToObject(o, "matched_rate", pct(b->answered, b->queries) / 100.0);
        cJSON_AddNumberToObject(o, "verdict_changed", (double)b->verdict_changed);
        cJSON_AddNumberToObject(o, "verdict_changed_rate",
                                pct(b->verdict_changed, b->queries) / 100.0);
    }
    const examples_t *sets[2] = {&b->misses, &b->wrongs};
    const char *names[2] = {"misses", "wrong"};
    for (int s = 0; s < 2; s++) {
        if (sets[s]->n == 0)
            continue;
        cJSON *a = cJSON_AddArrayToObject(o, names[s]);
        for (size_t i = 0; i < sets[s]->n && i < max_examples; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(sets[s]->v[i].text));
    }
    return o;
}

/* The real-world form set's table: per class, recall and how the hits
 * were found, then the innocent class's false positives. */
static void
print_realworld(eval_t *ev, const char *path, size_t n_examples)
{
    printf("\nreal-world form set %s: %ld positive queries in %d classes, %ld innocent\n\n", path,
           ev->rw[RW_ALL].queries, EVREAL_N - 1, ev->rw[EVREAL_INNOCENT].queries);
    printf("%-12s %7s %5s %7s", "class", "queries", "hits", "recall");
    for (int m = 0; m < RWM_N; m++)
        printf(" %7s", rw_method_names[m]);
    printf(" %6s %6s %9s %6s  %s\n", "wrong", "silent", "not-clear", "absent", "target");
    for (int c = 0; c < RW_N; c++) {
        if (c == EVREAL_INNOCENT)
            continue;
        const rw_bucket_t *b = &ev->rw[c];
        printf("%-12s %7ld %5ld %6.2f%%",
               c == RW_ALL ? "all" : evreal_class_name((evreal_class_t)c), b->queries, b->hits,
               pct(b->hits, b->queries));
        for (int m = 0; m < RWM_N; m++)
            printf(" %7ld", b->by_method[m]);
        printf(" %6ld %6ld %8.2f%% %6ld  %s\n", b->wrong_only, b->silent,
               pct(b->not_clear, b->queries), b->absent,
               c == RW_ALL ? "recall >= 95%" : "recall >= 90%");
    }
    const rw_bucket_t *in = &ev->rw[EVREAL_INNOCENT];
    printf("\n%-12s %7s %7s %7s %9s %7s\n", "class", "queries", "matched", "rate", "not-clear",
           "rate");
    printf("%-12s %7ld %7ld %6.2f%% %9ld %6.2f%%  target: matched <= 1%%\n", "innocent",
           in->queries, in->matched, pct(in->matched, in->queries), in->not_clear,
           pct(in->not_clear, in->queries));
    if (ev->n_rw_listed > 0)
        printf("  (%ld innocent names skipped: a registry organisation carries them)\n",
               ev->n_rw_listed);
    printf(
        "\nrecall: an expected organisation is among the matches; id .. other: how the hits were "
        "found (the reply's\nmethod of the best expected match); wrong: matched, but no expected "
        "organisation; silent: hits whose verdict\nis \"clear\" with no rule fired and no note; "
        "not-clear: verdict is not \"clear\"; absent: no expected id\nis in the ruleset (a miss). "
        "innocent matched: any match at all.\n");
    printf(
        "\nExamples of the real-world form set (a fixed sample: ordered by a hash of the query)\n");
    for (int c = 0; c < EVREAL_N; c++) {
        if (ev->rw[c].misses.n == 0 && ev->rw[c].silents.n == 0)
            continue;
        printf("%s:\n", evreal_class_name((evreal_class_t)c));
        print_examples(c == EVREAL_INNOCENT ? "matched or not clear" : "misses", &ev->rw[c].misses,
                       n_examples);
        print_examples("silent clears (found, verdict clear)", &ev->rw[c].silents, n_examples);
    }
    print_examples("real-world innocent names skipped as listed", &ev->rw_listed, n_examples);
}

static cJSON *
rw_json(const eval_t *ev, const char *path, size_t max_examples)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", path);
    cJSON_AddNumberToObject(o, "innocent_listed_skipped", (double)ev->n_rw_listed);
    cJSON *cs = cJSON_AddArrayToObject(o, "classes");
    for (int c = 0; c < RW_N; c++) {
        const rw_bucket_t *b = &ev->rw[c];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "class",
                                c == RW_ALL ? "all" : evreal_class_name((evreal_class_t)c));
        cJSON_AddNumberToObject(j, "queries", (double)b->queries);
        cJSON_AddNumberToObject(j, "matched", (double)b->matched);
        cJSON_AddNumberToObject(j, "matched_rate", pct(b->matched, b->queries) / 100.0);
        cJSON_AddNumberToObject(j, "not_clear", (double)b->not_clear);
        cJSON_AddNumberToObject(j, "not_clear_rate", pct(b->not_clear, b->queries) / 100.0);
        if (c != EVREAL_INNOCENT) {
            cJSON_AddNumberToObject(j, "hits", (double)b->hits);
            cJSON_AddNumberToObject(j, "recall", pct(b->hits, b->queries) / 100.0);
            cJSON *m = cJSON_AddObjectToObject(j, "methods");
            for (int k = 0; k < RWM_N; k++)
                cJSON_AddNumberToObject(m, rw_method_names[k], (double)b->by_method[k]);
            cJSON_AddNumberToObject(j, "wrong_only", (double)b->wrong_only);
            cJSON_AddNumberToObject(j, "silent_clears", (double)b->silent);
            cJSON_AddNumberToObject(j, "absent", (double)b->absent);
        }
        const examples_t *sets[2] = {&b->misses, &b->silents};
        const char *names[2] = {c == EVREAL_INNOCENT ? "matched" : "misses", "silent_examples"};
        for (int k = 0; k < 2; k++) {
            if (sets[k]->n == 0)
                continue;
            cJSON *a = cJSON_AddArrayToObject(j, names[k]);
            for (size_t i = 0; i < sets[k]->n && i < max_examples; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(sets[k]->v[i].text));
        }
        cJSON_AddItemToArray(cs, j);
    }
    return o;
}

static int
write_json(eval_t *ev, const char *path, const char *rules, const char *data, double threshold,
           const char *rw_path, bool lists)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *rs = cJSON_AddObjectToObject(root, "ruleset");
    cJSON_AddStringToObject(rs, "dir", rules);
    cJSON_AddStringToObject(rs, "version", vet_engine_version(ev->engine));
    cJSON_AddStringToObject(rs, "digest", vet_engine_digest(ev->engine));
    cJSON_AddNumberToObject(rs, "organisations", (double)evdata_reg_count(ev->reg));
    cJSON_AddNumberToObject(rs, "fuzzy_threshold", threshold);
    cJSON_AddNumberToObject(root, "seed", (double)ev->seed);
    cJSON_AddStringToObject(root, "baseline_verdict", ev->baseline);
    if (lists) {
        cJSON_AddStringToObject(root, "data", data);
        cJSON_AddNumberToObject(root, "innocent_listed_skipped", (double)ev->n_innocent_listed);
        cJSON *bs = cJSON_AddArrayToObject(root, "buckets");
        for (int i = 0; i < B_N; i++)
            cJSON_AddItemToArray(bs, bucket_json(&ev->b[i], 500));
    }
    cJSON_AddItemToObject(root, "realworld", rw_json(ev, rw_path, 500));
    if (ev->people != NULL)
        cJSON_AddItemToObject(root, "people", evpeople_json(ev->people, ev->people_path, 500));
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (s == NULL)
        return -1;
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (f == NULL || fputs(s, f) < 0 || fputc('\n', f) < 0)
        rc = -1;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    free(s);
    if (rc < 0)
        fprintf(stderr, "vet-eval: %s: %s\n", path, strerror(errno));
    return rc;
}

/* The report of the sets built from the public lists: alias, varied
 * (per list, per kind) and the innocent look-alikes of innocent.tsv. */
static void
print_lists(eval_t *ev, long n_examples)
{
    printf("%-22s %7s %7s %7s %7s %7s %7s %7s %7s %7s  %s\n", "set", "queries", "hits", "recall",
           "exact", "fuzzy", "unnamed", "q-prec", "m-prec", "absent", "target");
    for (int i = 0; i < B_INNOCENT; i++)
        print_row(&ev->b[i], i == B_ALIAS ? "recall >= 98%" : i == B_VARIED ? "recall >= 90%" : "");
    const bucket_t *in = &ev->b[B_INNOCENT];
    printf("\n%-22s %7s %7s %7s %14s %7s\n", "set", "names", "matched", "rate", "verdict-changed",
           "rate");
    printf("%-22s %7ld %7ld %6.2f%% %14ld %6.2f%%  target: matched <= 1%%\n", in->name, in->queries,
           in->answered, pct(in->answered, in->queries), in->verdict_changed,
           pct(in->verdict_changed, in->queries));
    if (ev->n_innocent_listed > 0)
        printf("  (%ld innocent names skipped: a registry organisation carries them)\n",
               ev->n_innocent_listed);
    printf("\nrecall: the expected organisation is among the matches (exact/fuzzy: how it was "
           "found); unnamed: misses where the\nexpected organisation's registry entry lacks the "
           "name the source gives (the importer's or ruleset's miss, not the\nmatcher's); q-prec: "
           "of the queries that matched, those with no wrong match; m-prec: right matches of all\n"
           "matches; absent: the expected organisation is not in the ruleset (counted as a miss). "
           "See docs/EVAL.md.\n");
    printf("\nExamples (a fixed sample: ordered by a hash of the query)\n");
    for (int i = 0; i < B_N; i++) {
        if (i == B_ALIAS_NRO || i == B_ALIAS_SDN || i == B_ALIAS_UN || i == B_VARIED ||
            i == B_TYPO_SHORT || i == B_TYPO_LONG)
            continue;
        if (ev->b[i].misses.n == 0 && ev->b[i].wrongs.n == 0)
            continue;
        printf("%s:\n", ev->b[i].name);
        print_examples("misses", &ev->b[i].misses, (size_t)n_examples);
        print_examples(i == B_INNOCENT ? "matched" : "wrong matches", &ev->b[i].wrongs,
                       (size_t)n_examples);
    }
    print_examples("innocent names skipped as listed", &ev->innocent_listed, (size_t)n_examples);
}

/* Whether the registry (ctx, an evdata_reg_t) has an entry of this id. */
static bool
reg_knows(void *ctx, const char *id)
{
    return evdata_reg_find(ctx, id) >= 0;
}

/* The ruleset's fuzzy_threshold (policy.cfg matching), or -1 if unset. */
static double
ruleset_threshold(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/policy.cfg", dir);
    config_t cfg;
    config_init(&cfg);
    double t = -1;
    if (config_read_file(&cfg, path) == CONFIG_TRUE)
        config_lookup_float(&cfg, "matching.fuzzy_threshold", &t);
    config_destroy(&cfg);
    return t;
}

static bool
is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int
main(int argc, char **argv)
{
    const char *rules = "build/rules-full", *data = "../shared/data";
    const char *innocent = "tests/fixtures/eval/innocent.tsv", *json = NULL;
    const char *realworld = "tools/eval/realworld.tsv";
    bool lists = true;
    unsigned long seed = 1;
    long n_examples = 8;
    static const struct option opts[] = {
        {"rules", required_argument, NULL, 'r'},
        {"data", required_argument, NULL, 'd'},
        {"innocent", required_argument, NULL, 'i'},
        {"realworld", required_argument, NULL, 'w'},
        {"realworld-only", no_argument, NULL, 'W'},
        {"seed", required_argument, NULL, 's'},
        {"examples", required_argument, NULL, 'e'},
        {"json", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"people", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    const char *people = "tools/eval/people.tsv";
    int c;
    while ((c = getopt_long(argc, argv, "r:d:i:w:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rules = optarg; break;
        case 'd': data = optarg; break;
        case 'i': innocent = optarg; break;
        case 'w': realworld = optarg; break;
        case 'p': people = optarg; break;
        case 'W': lists = false; break;
        case 's': seed = strtoul(optarg, NULL, 10); break;
        case 'e': n_examples = strtol(optarg, NULL, 10); break;
        case 'j': json = optarg; break;
        case 'h': fputs(usage, stdout); return EX_OK;
        default: fputs(usage, stderr); return EX_USAGE;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return EX_USAGE;
    }
    if (lists && !is_dir(data)) {
        fprintf(stderr,
                "vet-eval: %s: no such directory: the evaluation needs the public lists "
                "(shared/data beside the repository; -d DIR)\n",
                data);
        return VET_EXIT_FAIL;
    }
    if (!is_dir(rules)) {
        fprintf(stderr, "vet-eval: %s: no such ruleset (make rules-full builds it; -r DIR)\n",
                rules);
        return VET_EXIT_FAIL;
    }
    eval_t *ev = calloc(1, sizeof *ev);
    if (ev == NULL)
        return VET_EXIT_FAIL;
    ev->seed = seed;
    int rc = VET_EXIT_FAIL;
    char err[8192] = "";
    evdata_src_t *src = NULL;
    evreal_t *rw = evreal_load(realworld, err, sizeof err);
    char *errs = NULL;
    if (rw != NULL && strcmp(people, "-") != 0 &&
        (ev->people = evpeople_load(people, err, sizeof err)) == NULL)
        evreal_destroy(&rw);
    ev->people_path = people;
    if (rw == NULL) {
        fprintf(stderr, "vet-eval: %s\n", err);
        free(ev);
        return VET_EXIT_FAIL;
    }
    ev->engine = vet_engine_load(rules, &errs);
    if (ev->engine == NULL) {
        fprintf(stderr, "vet-eval: %s: ruleset does not load:\n%s", rules, errs ? errs : "");
        free(errs);
        goto out;
    }
    ev->worker = vet_worker_new();
    ev->reg = evdata_reg_load(rules, err, sizeof err);
    if (ev->worker == NULL || ev->reg == NULL) {
        fprintf(stderr, "vet-eval: %s\n", err[0] ? err : "out of memory");
        goto out;
    }
    src = lists ? evdata_src_load(data, err, sizeof err) : NULL;
    if (lists && src == NULL) {
        fprintf(stderr, "vet-eval: %s\n", err);
        goto out;
    }
    static const char *const bnames[] = {"alias", "alias/ca-nro", "alias/us-sdn", "alias/un-sc",
                                         "varied"};
    for (int i = 0; i < B_N; i++) {
        const char *n = i < B_VARIED_KIND   ? bnames[i]
                        : i == B_INNOCENT   ? "innocent"
                        : i == B_TYPO_SHORT ? "varied/typo word 5-6"
                        : i == B_TYPO_LONG  ? "varied/typo word 7+"
                                            : NULL;
        if (n != NULL)
            snprintf(ev->b[i].name, sizeof ev->b[i].name, "%s", n);
        else
            snprintf(ev->b[i].name, sizeof ev->b[i].name, "varied/%s",
                     evgen_kind_name((evgen_kind_t)(i - B_VARIED_KIND)));
    }
    /* The verdict of the same request for a partner that matches nothing. */
    reply_t base;
    if (screen(ev, "Zqxv Wkjp Nonexistent Organisation", NULL, &base) < 0)
        goto out;
    snprintf(ev->baseline, sizeof ev->baseline, "%s", base.verdict);
    bool base_matched = base.n > 0;
    cJSON_Delete(base.json);
    if (base_matched) {
        fprintf(stderr, "vet-eval: the baseline name matched an organisation\n");
        goto out;
    }
    if (lists && (run_lists(ev, src) < 0 || run_innocent(ev, innocent) < 0))
        goto out;
    if (run_realworld(ev, rw, realworld) < 0)
        goto out;
    if (ev->people != NULL &&
        evpeople_run(ev->people, ev->engine, ev->worker, reg_knows, ev->reg) < 0)
        goto out;

    double thr = ruleset_threshold(rules);
    printf("vet-eval: ruleset %s (version %s, digest %.16s, %zu organisations), "
           "matching at its own settings (fuzzy_threshold %.2f)\n",
           rules, vet_engine_version(ev->engine), vet_engine_digest(ev->engine),
           evdata_reg_count(ev->reg), thr);
    if (lists) {
        size_t n_orgs;
        evdata_src_orgs(src, &n_orgs);
        printf("data %s: %zu listed organisations (NRO, OFAC SDN entities, UN entities); seed "
               "%lu\n\n",
               data, n_orgs, seed);
        print_lists(ev, n_examples);
    }
    print_realworld(ev, realworld, (size_t)n_examples);
    if (ev->people != NULL)
        evpeople_print(ev->people, stdout, people, (size_t)n_examples);
    rc = EX_OK;
    if (json != NULL && write_json(ev, json, rules, data, thr, realworld, lists) < 0)
        rc = VET_EXIT_FAIL;
out:
    evdata_src_destroy(&src);
    evreal_destroy(&rw);
    evpeople_destroy(&ev->people);
    for (int i = 0; i < B_N; i++) {
        ex_free(&ev->b[i].misses);
        ex_free(&ev->b[i].wrongs);
    }
    for (int i = 0; i < RW_N; i++) {
        ex_free(&ev->rw[i].misses);
        ex_free(&ev->rw[i].silents);
    }
    ex_free(&ev->innocent_listed);
    ex_free(&ev->rw_listed);
    evdata_reg_destroy(&ev->reg);
    vet_worker_destroy(&ev->worker);
    vet_engine_destroy(&ev->engine);
    free(ev);
    return rc;
}
