/* match.c -- finding a partner in the registry: the request path (identifiers, exact names,
 * fuzzy names) and the method names. The design is described in match_int.h. */
#include "match.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fold.h"
#include "match_int.h"
#include "norm.h"

const char *
match_method_name(match_method_t m)
{
    switch (m) {
    case MATCH_ID: return "id";
    case MATCH_EXACT: return "exact";
    case MATCH_UNIT: return "unit";
    case MATCH_RELATED: return "related";
    case MATCH_FUZZY: return "fuzzy";
    }
    return "?";
}

/* ---- the request path ------------------------------------------------- */

/* The hits of one query, before ranking. */
typedef struct hitvec {
    match_hit_t *v; /* hits (scratch arena) */
    size_t n;       /* count */
    size_t cap;     /* capacity */
} hitvec_t;

/* Appends a hit. Returns 0, or -1 on OOM. */
static int
push_hit(hitvec_t *h, arena_t *a, uint32_t ent, uint32_t name, match_method_t m, double s)
{
    if (match_vec_reserve(a, (void **)&h->v, h->n, &h->cap, sizeof *h->v) != 0)
        return -1;
    h->v[h->n++] = (match_hit_t){ent, name, m, s, 0, 0, 0};
    return 0;
}

/* Pushes a fuzzy hit after the country penalty, if it still clears the
 * threshold. Returns 0, or -1 on OOM. */
static int
push_fuzzy(const match_index_t *ix, const match_query_t *q, hitvec_t *h, arena_t *a, uint32_t r,
           double s)
{
    const mrec_t *rec = &ix->recs[r];
    const char *ec = ix->ents[rec->entity].country;
    if (q->country != NULL && q->country[0] != '\0' && ec != NULL && ec[0] != '\0' &&
        strcasecmp(q->country, ec) != 0)
        s -= ix->cfg.country_penalty;
    if (s < ix->cfg.threshold || s <= 0)
        return 0;
    return push_hit(h, a, rec->entity, rec->name, MATCH_FUZZY, s);
}

/* Adds the hits of one name of the query (what names it in messages:
 * "name", "aliases[2]"): its exact matches and their precomputed
 * neighbours, or else a fuzzy search. Returns 0, or -1 with a message
 * in err (invalid UTF-8, OOM). */
static int
match_name(const match_index_t *ix, const match_query_t *q, const char *name, const char *what,
           arena_t *a, hitvec_t *h, char *err, size_t errcap)
{
    const char *norm;
    size_t len;
    char msg[96];
    if (fold_name(a, name, &norm, &len, msg, sizeof msg) != 0) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "%s: %s", what, msg);
        return -1;
    }
    if (len == 0 || norm_all_stopwords(norm, len))
        return 0;
    bool exact = false;
    size_t lo, hi;
    keyidx_range(&ix->by_name, keyidx_hash(norm, len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        uint32_t r = (uint32_t)ix->by_name.ent[i];
        const mrec_t *rec = &ix->recs[r];
        if (rec->len != len || memcmp(rec->norm, norm, len) != 0)
            continue;
        /* Country is part of identity ("National Defense University"
         * exists in China and in the US): the same name in another
         * country is only a fuzzy match, for a human to confirm. */
        const char *ec = ix->ents[rec->entity].country;
        bool other_country = q->country != NULL && q->country[0] != '\0' && ec != NULL &&
                             ec[0] != '\0' && strcasecmp(q->country, ec) != 0;
        if (other_country ? push_fuzzy(ix, q, h, a, r, 1.0) != 0
                          : push_hit(h, a, rec->entity, rec->name, MATCH_EXACT, 1.0) != 0)
            goto oom;
        if (!exact) {
            /* Same string, same fuzzy matches: precomputed at load. */
            for (uint32_t k = 0; k < rec->n_nb; k++) {
                const mnb_t *nb = &ix->nbs[rec->nb + k];
                if (push_fuzzy(ix, q, h, a, nb->rec, nb->score) != 0)
                    goto oom;
            }
        }
        exact = true;
    }
    if (exact)
        return 0;
    search_res_t *res = NULL;
    size_t nres = 0, capres = 0;
    if (search_fuzzy(ix, norm, len, a, &res, &nres, &capres) != 0)
        goto oom;
    for (size_t i = 0; i < nres; i++)
        if (push_fuzzy(ix, q, h, a, res[i].rec, res[i].score) != 0)
            goto oom;
    return 0;
oom:
    if (err != NULL && errcap > 0)
        snprintf(err, errcap, "out of memory");
    return -1;
}

/* Per entity: best method, then best score, then lowest name. */
static int
hit_entity_cmp(const void *x, const void *y)
{
    const match_hit_t *a = x, *b = y;
    if (a->entity != b->entity)
        return a->entity < b->entity ? -1 : 1;
    if (a->method != b->method)
        return a->method < b->method ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->name < b->name ? -1 : a->name > b->name;
}

/* The reply's order: method, score (best first), entity. */
static int
hit_rank_cmp(const void *x, const void *y)
{
    const match_hit_t *a = x, *b = y;
    if (a->method != b->method)
        return a->method < b->method ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->entity < b->entity ? -1 : a->entity > b->entity;
}

int
match_find(const match_index_t *ix, const match_query_t *q, arena_t *scratch, match_hit_t *out,
           size_t cap, char *err, size_t errcap)
{
    if (ix == NULL || q == NULL)
        return 0;
    hitvec_t h = {NULL, 0, 0};
    for (size_t i = 0; i < q->n_ids; i++) {
        const char *sc = q->id_schemes ? q->id_schemes[i] : NULL;
        const char *va = q->id_values ? q->id_values[i] : NULL;
        if (sc == NULL || va == NULL)
            continue;
        char *k = arena_alloc(scratch, strlen(sc) + strlen(va) + 2);
        if (k == NULL)
            goto oom;
        size_t len = fold_id_key(sc, va, k);
        size_t lo, hi;
        keyidx_range(&ix->by_id, keyidx_hash(k, len), &lo, &hi);
        for (size_t e = lo; e < hi; e++) {
            const mid_t *id = &ix->ids[(uint32_t)ix->by_id.ent[e]];
            if (id->len == len && memcmp(id->key, k, len) == 0 &&
                push_hit(&h, scratch, id->entity, id->idx, MATCH_ID, 1.0) != 0)
                goto oom;
        }
    }
    if (q->name != NULL && match_name(ix, q, q->name, "name", scratch, &h, err, errcap) != 0)
        return -1;
    for (size_t i = 0; i < q->n_aliases; i++) {
        char what[32];
        snprintf(what, sizeof what, "aliases[%zu]", i);
        if (q->aliases != NULL && q->aliases[i] != NULL &&
            match_name(ix, q, q->aliases[i], what, scratch, &h, err, errcap) != 0)
            return -1;
    }

    if (h.n > 1) {
        qsort(h.v, h.n, sizeof *h.v, hit_entity_cmp);
        size_t m = 0;
        for (size_t i = 0; i < h.n; i++)
            if (m == 0 || h.v[i].entity != h.v[m - 1].entity)
                h.v[m++] = h.v[i];
        h.n = m;
        qsort(h.v, h.n, sizeof *h.v, hit_rank_cmp);
    }
    /* A partner identified by an identifier or an exact name is that
     * organisation: fuzzy look-alikes of other organisations would only
     * make rules fire on a partner the request is not about. */
    if (h.n > 0 && h.v[0].method != MATCH_FUZZY) {
        size_t m = 0;
        while (m < h.n && h.v[m].method != MATCH_FUZZY)
            m++;
        h.n = m;
    }
    size_t limit = cap;
    if (ix->cfg.max_results > 0 && ix->cfg.max_results < limit)
        limit = ix->cfg.max_results;
    size_t n = h.n < limit ? h.n : limit;
    if (n)
        memcpy(out, h.v, n * sizeof *out);
    return (int)n;
oom:
    if (err != NULL && errcap > 0)
        snprintf(err, errcap, "out of memory");
    return -1;
}
