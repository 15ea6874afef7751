/* SPDX-License-Identifier: Apache-2.0 */
/* search.c -- fuzzy search: query tokens, their similar dictionary tokens, candidates, scores. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "match_int.h"
#include "norm.h"

/* Postings whose record tokens are fetched ahead of the one bounded. */
#define SEARCH_PREFETCH 8

/* The typo budget of two tokens of la and lb code points: one edit per
 * ~6.5 code points of the longer (see the design comment, match_int.h). */
static int
edits_allowed(int la, int lb)
{
    int m = la > lb ? la : lb;
    return m >= DEL2_MIN_CP ? 2 : m >= DEL1_MIN_CP ? 1 : 0;
}

/* ---- candidate set ---------------------------------------------------- */

/* Set of record ids, open addressing, in the scratch arena. */
typedef struct recset {
    uint32_t *slot; /* rec + 1, 0 empty */
    uint32_t mask;  /* capacity - 1 */
    uint32_t *list; /* members in insertion order */
    size_t n;       /* count */
} recset_t;

static int
recset_init(recset_t *s, arena_t *a, uint32_t cap)
{
    s->slot = arena_calloc(a, cap, sizeof *s->slot);
    s->list = arena_alloc(a, cap / 2 * sizeof *s->list);
    s->mask = cap - 1;
    s->n = 0;
    return s->slot && s->list ? 0 : -1;
}

static int
recset_add(recset_t *s, arena_t *a, uint32_t rec)
{
    if ((s->n + 1) * 2 > (size_t)s->mask + 1) {
        recset_t g;
        if (recset_init(&g, a, (s->mask + 1) * 2) != 0)
            return -1;
        for (size_t i = 0; i < s->n; i++)
            if (recset_add(&g, a, s->list[i]) != 0)
                return -1;
        *s = g;
    }
    uint32_t i = (rec * 0x9e3779b1u) & s->mask;
    while (s->slot[i] != 0) {
        if (s->slot[i] == rec + 1)
            return 0;
        i = (i + 1) & s->mask;
    }
    s->slot[i] = rec + 1;
    s->list[s->n++] = rec;
    return 0;
}

/* ---- query tokens ----------------------------------------------------- */

/* One token of the query name, with the dictionary tokens it resembles. */
typedef struct qtok {
    const char *s;             /* folded token (scratch or abbrevs[]) */
    uint32_t len;              /* byte length */
    int32_t tid;               /* dictionary token, or -1 */
    bool stop;                 /* a stop word */
    bool abbrev;               /* an abbreviation spelled out (fold_token) */
    double a;                  /* weight */
    double maxb;               /* heaviest similar dictionary token */
    int n_exp;                 /* similar dictionary tokens */
    uint32_t exp_tid[MAX_EXP]; /* their ids */
    float exp_sim[MAX_EXP];    /* their similarity (1 for the token itself) */
} qtok_t;

/* The dictionary id of the token s[0..len), or -1. */
static int32_t
find_token(const match_index_t *ix, const char *s, size_t len)
{
    size_t lo, hi;
    keyidx_range(&ix->by_tok, keyidx_hash(s, len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        uint32_t t = (uint32_t)ix->by_tok.ent[i];
        if (ix->toks[t].len == len && memcmp(ix->toks[t].s, s, len) == 0)
            return (int32_t)t;
    }
    return -1;
}

/* Adds tid to q's similar tokens; when full, it replaces the least
 * similar one if it is more similar. */
static void
exp_add(qtok_t *q, uint32_t tid, float sim)
{
    if (q->n_exp < MAX_EXP) {
        q->exp_tid[q->n_exp] = tid;
        q->exp_sim[q->n_exp++] = sim;
        return;
    }
    int worst = 0;
    for (int i = 1; i < MAX_EXP; i++)
        if (q->exp_sim[i] < q->exp_sim[worst])
            worst = i;
    if (sim > q->exp_sim[worst]) {
        q->exp_tid[worst] = tid;
        q->exp_sim[worst] = sim;
    }
}

/* What a query token is compared with: its code points and singular. */
typedef struct qform {
    int32_t cp[MAX_TOKCP]; /* code points */
    int n;                 /* count (<= 0: none) */
    int32_t sg[MAX_TOKCP]; /* singular (fold_singular) */
    int nsg;               /* count (0: no plural matching) */
} qform_t;

/* Checks the dictionary tokens whose deletion variant has hash h: a
 * token is similar if within the typo budget (edits_allowed) or if both
 * have the same singular. */
static void
probe_del(const match_index_t *ix, qtok_t *q, const qform_t *f, uint32_t h, uint32_t *seen,
          int *n_seen)
{
    size_t lo, hi;
    keyidx_range(&ix->by_del, h, &lo, &hi);
    for (size_t e = lo; e < hi; e++) {
        uint32_t t = (uint32_t)ix->by_del.ent[e];
        bool dup = (int32_t)t == q->tid;
        for (int i = 0; i < *n_seen && !dup; i++)
            dup = seen[i] == t;
        if (dup)
            continue;
        if (*n_seen < 64)
            seen[(*n_seen)++] = t;
        const mtok_t *d = &ix->toks[t];
        int32_t dcp[MAX_TOKCP], dsg[MAX_TOKCP];
        int dn = strsim_decode(d->s, d->len, dcp, MAX_TOKCP);
        if (dn < 0)
            continue;
        int k = edits_allowed(f->n, dn);
        bool similar = d->fuzzy && f->n >= MIN_FUZZY_CP &&
                       (k > 0 ? strsim_osa_within(f->cp, f->n, dcp, dn, k) <= k
                              : strsim_one_swap(f->cp, f->n, dcp, dn));
        if (!similar && f->nsg > 0 && d->plural) {
            int nd = fold_singular(dcp, dn, dsg);
            similar = nd == f->nsg && memcmp(dsg, f->sg, (size_t)nd * sizeof *dsg) == 0;
        }
        if (similar)
            exp_add(q, t, (float)strsim_jaro_winkler(f->cp, f->n, dcp, dn));
    }
}

/* A dictionary token's expansion as expand_token leaves it (xcache_t). */
typedef struct xexp {
    double a, maxb;
    bool stop;
    uint8_t n_exp;
    uint32_t exp_tid[MAX_EXP];
    float exp_sim[MAX_EXP];
} xexp_t;

struct xcache {
    xexp_t **slot; /* token id * 2 + abbrev -> its expansion, or NULL */
    size_t n;      /* slots */
    arena_t *a;    /* owns the expansions */
};

xcache_t *
xcache_new(const match_index_t *ix)
{
    xcache_t *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    x->n = ix->n_toks * 2;
    x->slot = calloc(x->n ? x->n : 1, sizeof *x->slot);
    x->a = arena_new(0);
    if (x->slot == NULL || x->a == NULL)
        xcache_destroy(&x);
    return x;
}

void
xcache_destroy(xcache_t **xp)
{
    if (xp == NULL || *xp == NULL)
        return;
    free((*xp)->slot);
    arena_destroy(&(*xp)->a);
    free(*xp);
    *xp = NULL;
}

static void expand_token_now(const match_index_t *ix, qtok_t *q);

/* Fills q's similar dictionary tokens and weights (expand_token_now),
 * from xc when it has them. */
static void
expand_token(const match_index_t *ix, qtok_t *q, xcache_t *xc)
{
    if (xc == NULL) {
        expand_token_now(ix, q);
        return;
    }
    int32_t tid = find_token(ix, q->s, q->len);
    size_t i = tid >= 0 ? (size_t)tid * 2 + q->abbrev : SIZE_MAX;
    const xexp_t *e = i < xc->n ? xc->slot[i] : NULL;
    if (e == NULL) {
        expand_token_now(ix, q);
        xexp_t *k = i < xc->n ? arena_alloc(xc->a, sizeof *k) : NULL;
        if (k != NULL) { /* else not kept: the next search finds it again */
            *k = (xexp_t){q->a, q->maxb, q->stop, (uint8_t)q->n_exp, {0}, {0}};
            memcpy(k->exp_tid, q->exp_tid, (size_t)q->n_exp * sizeof *k->exp_tid);
            memcpy(k->exp_sim, q->exp_sim, (size_t)q->n_exp * sizeof *k->exp_sim);
            xc->slot[i] = k;
        }
        return;
    }
    q->tid = tid;
    q->a = e->a;
    q->maxb = e->maxb;
    q->stop = e->stop;
    q->n_exp = e->n_exp;
    memcpy(q->exp_tid, e->exp_tid, (size_t)e->n_exp * sizeof *q->exp_tid);
    memcpy(q->exp_sim, e->exp_sim, (size_t)e->n_exp * sizeof *q->exp_sim);
}

/* Fills q's similar dictionary tokens and weights. A token that is not
 * a stop word but most resembles one ("Corproation") counts as one. */
static void
expand_token_now(const match_index_t *ix, qtok_t *q)
{
    q->tid = find_token(ix, q->s, q->len);
    q->stop = q->tid >= 0 ? ix->toks[q->tid].stop : norm_is_stopword(q->s, q->len);
    q->n_exp = 0;
    if (q->tid >= 0)
        exp_add(q, (uint32_t)q->tid, q->abbrev ? ABBREV_SIM : 1.0f);
    qform_t f;
    f.n = q->stop ? -1 : strsim_decode(q->s, q->len, f.cp, MAX_TOKCP);
    f.nsg = f.n > 0 ? fold_singular(f.cp, f.n, f.sg) : 0;
    uint32_t seen[64];
    int n_seen = 0;
    if (f.nsg > 0)
        probe_del(ix, q, &f, keyidx_hash_cps(f.sg, f.nsg, -1, -1), seen, &n_seen);
    if (f.n > 0 && fold_typo_tolerant(f.cp, f.n)) {
        int n = f.n;
        probe_del(ix, q, &f, keyidx_hash_cps(f.cp, n, -1, -1), seen, &n_seen);
        if (n >= SWAP_MIN_CP)
            for (int i = 0; i < n; i++)
                probe_del(ix, q, &f, keyidx_hash_cps(f.cp, n, i, -1), seen, &n_seen);
        if (n >= DEL2_MIN_CP && n <= DEL2_MAX_CP)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    probe_del(ix, q, &f, keyidx_hash_cps(f.cp, n, i, j), seen, &n_seen);
    }
    q->maxb = 0;
    int best = -1;
    for (int i = 0; i < q->n_exp; i++) {
        double w = ix->toks[q->exp_tid[i]].w;
        if (w > q->maxb)
            q->maxb = w;
        if (best < 0 || q->exp_sim[i] > q->exp_sim[best] ||
            (q->exp_sim[i] == q->exp_sim[best] && w > ix->toks[q->exp_tid[best]].w))
            best = i;
    }
    if (q->tid < 0 && best >= 0 && ix->toks[q->exp_tid[best]].stop)
        q->stop = true;
    if (q->tid >= 0)
        q->a = ix->toks[q->tid].w;
    else if (best >= 0)
        q->a = ix->toks[q->exp_tid[best]].w;
    else
        q->a = q->stop ? ix->w_stop : ix->w_unseen;
}

/* ---- scoring ---------------------------------------------------------- */

/* A query token and a record token that are similar. */
typedef struct tpair {
    float s;   /* similarity */
    uint8_t i; /* query token */
    uint8_t j; /* record token */
} tpair_t;

/* The exact score of record r against the query tokens (the formula is
 * in the design comment, match_int.h). */
static double
score_record(const match_index_t *ix, const qtok_t *qt, int nq, double A, uint32_t r)
{
    const mrec_t *rec = &ix->recs[r];
    const uint32_t *rt = ix->rec_toks + rec->tok;
    tpair_t pairs[MAX_PAIRS];
    int np = 0;
    for (int j = 0; j < rec->n_tok; j++)
        for (int i = 0; i < nq; i++)
            for (int e = 0; e < qt[i].n_exp; e++)
                if (qt[i].exp_tid[e] == rt[j] && np < MAX_PAIRS) {
                    /* Insertion sort: best first, then query order. */
                    int k = np++;
                    while (k > 0 && pairs[k - 1].s < qt[i].exp_sim[e]) {
                        pairs[k] = pairs[k - 1];
                        k--;
                    }
                    pairs[k] = (tpair_t){qt[i].exp_sim[e], (uint8_t)i, (uint8_t)j};
                }
    uint64_t qused = 0;
    bool rused[MAX_REC_TOK] = {false};
    bool content = false;
    double m = 0;
    for (int p = 0; p < np; p++) {
        if ((qused >> pairs[p].i & 1) || rused[pairs[p].j])
            continue;
        qused |= (uint64_t)1 << pairs[p].i;
        rused[pairs[p].j] = true;
        m += pairs[p].s * (qt[pairs[p].i].a + ix->toks[rt[pairs[p].j]].w);
        content |= !qt[pairs[p].i].stop;
    }
    double total = A + rec->weight;
    if (!content || total <= 0)
        return 0.0;
    double s = m / total;
    return s > 1.0 ? 1.0 : s;
}

/* ---- the bound checked before scoring -------------------------------- */

/* A dictionary token similar to some query token: what it can add to a
 * candidate's score at most. */
typedef struct xtok {
    uint32_t tid1; /* dictionary token + 1, 0 empty */
    float sim;     /* its best similarity to any query token */
    double w;      /* its weight */
    uint64_t qm;   /* the query tokens it is similar to */
} xtok_t;

/* The similar dictionary tokens of all query tokens, open addressing. */
typedef struct xset {
    xtok_t *slot;            /* the table */
    uint32_t mask;           /* capacity - 1 */
    double qa[MAX_QTOK];     /* a_i times query token i's best similarity */
    uint64_t content;        /* query tokens that are not stop words */
    uint64_t qsig[MAX_QTOK]; /* the bits (match_tok_bit) of query token
                              * i's similar tokens */
    int nq;                  /* query tokens */
} xset_t;

/* Builds x from the query tokens in the scratch arena. Returns 0, or -1
 * on OOM. */
static int
xset_init(xset_t *x, const match_index_t *ix, const qtok_t *qt, int nq, arena_t *a)
{
    int n = 0;
    for (int i = 0; i < nq; i++)
        n += qt[i].n_exp;
    uint32_t cap = 16;
    while (cap < (uint32_t)n * 2)
        cap *= 2;
    x->slot = arena_calloc(a, cap, sizeof *x->slot);
    if (x->slot == NULL)
        return -1;
    x->mask = cap - 1;
    x->content = 0;
    x->nq = nq;
    for (int i = 0; i < nq; i++) {
        float best = 0;
        x->qsig[i] = 0;
        for (int e = 0; e < qt[i].n_exp; e++) {
            uint32_t t = qt[i].exp_tid[e];
            x->qsig[i] |= match_tok_bit(t);
            float s = qt[i].exp_sim[e];
            if (s > best)
                best = s;
            uint32_t k = (t * 0x9e3779b1u) & x->mask;
            while (x->slot[k].tid1 != 0 && x->slot[k].tid1 != t + 1)
                k = (k + 1) & x->mask;
            xtok_t *o = &x->slot[k];
            if (o->tid1 == 0)
                *o = (xtok_t){t + 1, s, ix->toks[t].w, 0};
            else if (s > o->sim)
                o->sim = s;
            o->qm |= (uint64_t)1 << i;
        }
        x->qa[i] = best * qt[i].a;
        if (!qt[i].stop)
            x->content |= (uint64_t)1 << i;
    }
    return 0;
}

/* False if the record of posting po cannot score t against the query:
 * every pair of score_record adds s_ij * (a_i + b_j), at most best_i * a_i +
 * best_j * b_j, and uses each query and record token once; so m is at
 * most the sum of best_i * a_i over the query tokens similar to some
 * record token, plus best_j * b_j over the record tokens similar to
 * some query token. Without a content token the score is 0. */
static bool
xset_may_reach(const xset_t *x, const match_index_t *ix, double A, const mpost_t *po, double t)
{
    const uint32_t *rt = ix->rec_toks + po->tok;
    uint64_t qm = 0;
    double m = 0;
    for (uint32_t j = 0; j < po->n_tok; j++) {
        uint32_t k = (rt[j] * 0x9e3779b1u) & x->mask;
        while (x->slot[k].tid1 != 0) {
            if (x->slot[k].tid1 == rt[j] + 1) {
                m += x->slot[k].sim * x->slot[k].w;
                qm |= x->slot[k].qm;
                break;
            }
            k = (k + 1) & x->mask;
        }
    }
    if ((qm & x->content) == 0)
        return false;
    for (int i = 0; qm != 0; i++, qm >>= 1)
        if (qm & 1)
            m += x->qa[i];
    double total = A + po->weight;
    return total > 0 && m >= t * total;
}

/* False if the record of posting po cannot score t, told from its
 * tokens' bits alone (mpost_t.sig), before xset_may_reach reads them:
 * a query token none of whose similar tokens' bits the record has is
 * not in it, and what the others and the record's own tokens add is at
 * most xset_may_reach's m (each pair adds at most the record token's
 * weight once: B in all). Most of a common word's postings are of names
 * that lack two of the query's words, refused here without a fetch. */
static bool
xset_sig_may_reach(const xset_t *x, double A, const mpost_t *po, double t)
{
    double m = po->weight;
    uint64_t content = 0;
    for (int i = 0; i < x->nq; i++)
        if (x->qsig[i] & po->sig) {
            m += x->qa[i];
            content |= (uint64_t)1 << i;
        }
    double total = A + po->weight;
    return (content & x->content) != 0 && total > 0 && m >= t * total;
}

/* First posting of token t with weight >= w. */
static uint32_t
post_lower_bound(const match_index_t *ix, const mtok_t *t, double w)
{
    uint32_t lo = 0, hi = t->n_post;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ix->posts[t->post + mid].weight < w)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- the search -------------------------------------------------------- */

int
search_fuzzy(const match_index_t *ix, const char *norm, size_t len, arena_t *scratch,
             search_res_t **res, size_t *n_res, size_t *cap_res)
{
    return search_fuzzy_x(ix, norm, len, scratch, NULL, res, n_res, cap_res);
}

int
search_fuzzy_x(const match_index_t *ix, const char *norm, size_t len, arena_t *scratch,
               xcache_t *xc, search_res_t **res, size_t *n_res, size_t *cap_res)
{
    if (ix->n_recs == 0)
        return 0;
    qtok_t *qt = arena_alloc(scratch, MAX_QTOK * sizeof *qt);
    if (qt == NULL)
        return -1;
    int nq = 0;
    double A = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && norm[i] == ' ')
            i++;
        size_t st = i;
        while (i < len && norm[i] != ' ')
            i++;
        if (i == st)
            continue;
        if (nq == MAX_QTOK) {
            A += ix->w_unseen; /* beyond what we score: unmatched */
            continue;
        }
        qt[nq].len = (uint32_t)fold_token(&ix->words, norm + st, i - st, &qt[nq].s);
        qt[nq].abbrev = qt[nq].s != norm + st;
        expand_token(ix, &qt[nq], xc);
        A += qt[nq].a;
        nq++;
    }

    /* Rarest first; stop words last (they never admit a candidate). */
    int order[MAX_QTOK];
    for (int i = 0; i < nq; i++) {
        int k = i;
        while (k > 0) {
            const qtok_t *p = &qt[order[k - 1]], *c = &qt[i];
            if (p->stop < c->stop || (p->stop == c->stop && p->a >= c->a))
                break;
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    double ra[MAX_QTOK + 1], bm[MAX_QTOK + 1];
    ra[nq] = bm[nq] = 0;
    for (int k = nq - 1; k >= 0; k--) {
        const qtok_t *q = &qt[order[k]];
        ra[k] = ra[k + 1] + (q->n_exp ? q->a : 0);
        bm[k] = bm[k + 1] + q->maxb;
    }

    /* A slightly lower threshold for pruning keeps float rounding safe;
     * clamped so the interval arithmetic stays finite. */
    double t = ix->cfg.threshold - 1e-6;
    if (t < 1e-6)
        t = 1e-6;
    if (t > 0.999)
        t = 0.999;
    recset_t cand;
    xset_t x;
    if (recset_init(&cand, scratch, 64) != 0 || xset_init(&x, ix, qt, nq, scratch) != 0)
        return -1;
    for (int k = 0; k < nq; k++) {
        const qtok_t *q = &qt[order[k]];
        if (q->stop)
            break;
        if (q->n_exp == 0)
            continue;
        if (A + bm[k] <= 0 || (ra[k] + bm[k]) / (A + bm[k]) < t)
            break;
        double blo = (t * A - ra[k]) / (1.0 - t), bhi = (ra[k] + bm[k]) / t - A;
        blo -= 1e-4;
        bhi += 1e-4;
        for (int e = 0; e < q->n_exp; e++) {
            const mtok_t *tk = &ix->toks[q->exp_tid[e]];
            for (uint32_t p = post_lower_bound(ix, tk, blo); p < tk->n_post; p++) {
                const mpost_t *po = &ix->posts[tk->post + p];
                if (po->weight > bhi)
                    break;
                /* The bound reads the record's tokens: fetched a few
                 * postings ahead, as at a million names the walk waits
                 * on them. */
                if (p + SEARCH_PREFETCH < tk->n_post)
                    __builtin_prefetch(ix->rec_toks + po[SEARCH_PREFETCH].tok);
                if (!xset_sig_may_reach(&x, A, po, t) || !xset_may_reach(&x, ix, A, po, t))
                    continue;
                if (recset_add(&cand, scratch, po->rec) != 0)
                    return -1;
            }
        }
    }

    for (size_t c = 0; c < cand.n; c++) {
        double s = score_record(ix, qt, nq, A, cand.list[c]);
        if (s < ix->cfg.threshold || s <= 0)
            continue;
        if (match_vec_reserve(scratch, (void **)res, *n_res, cap_res, sizeof **res) != 0)
            return -1;
        (*res)[(*n_res)++] = (search_res_t){cand.list[c], s};
    }
    return 0;
}
