/* SPDX-License-Identifier: Apache-2.0 */
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
#include "person.h"

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

const char *
match_evidence_name(match_evidence_t e)
{
    switch (e) {
    case MATCH_EV_NONE: return NULL;
    case MATCH_EV_AGREES: return "match";
    case MATCH_EV_DIFFERS: return "differs";
    case MATCH_EV_NOT_GIVEN: return "not given";
    case MATCH_EV_NOT_LISTED: return "not listed";
    }
    return NULL;
}

bool
match_date_valid(const char *s, char *why, size_t whycap)
{
    person_date_t d;
    return s != NULL && person_date_parse(s, &d, why, whycap);
}

size_t
match_person_spell(const match_person_words_t *w, const char *word, size_t len, char *out,
                   size_t cap)
{
    return person_spell(w, word, len, out, cap);
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
    h->v[h->n++] = (match_hit_t){.entity = ent, .name = name, .method = m, .score = s};
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
        strcasecmp(q->country, ec) != 0) {
        /* "National Defense University" in the US is not the Chinese
         * one: a university or institute abroad is another body. */
        if (match_institution(&ix->ents[rec->entity]))
            return 0;
        s -= ix->cfg.country_penalty;
    }
    if (s < ix->cfg.threshold || s <= 0)
        return 0;
    return push_hit(h, a, rec->entity, rec->name, MATCH_FUZZY, s);
}

/* The country of the query and of the entity: 1 same, -1 different, 0
 * unknown (either is not given). */
static int
country_agrees(const match_index_t *ix, const match_query_t *q, uint32_t ent)
{
    const char *ec = ix->ents[ent].country;
    if (q->country == NULL || q->country[0] == '\0' || ec == NULL || ec[0] == '\0')
        return 0;
    return strcasecmp(q->country, ec) == 0 ? 1 : -1;
}

/* Score of a short form or acronym met without the country: enough to
 * ask for a review, never an identification. */
#define SHORT_NO_COUNTRY 0.90
/* Score of a name whose words are joined or split differently, or that
 * is a Latin rendering (pinyin) of a listed name. */
#define NOSPACE_SCORE 0.95

/* Pushes the exact match of record r by the whole string, with its
 * precomputed neighbours (first is true for the first such record).
 * Country is part of identity ("National Defense University" exists in
 * China and in the US): the same name in another country is only a
 * fuzzy match, for a human to confirm. A short form or acronym ("HIT",
 * "Beihang") identifies only when the country agrees; without a country
 * it asks for a review; in another country (or given by the caller as
 * an alias, without the country) it names nothing. */
static int
push_exact(const match_index_t *ix, const match_query_t *q, uint16_t qi, hitvec_t *h, arena_t *a,
           uint32_t r, bool first)
{
    const mrec_t *rec = &ix->recs[r];
    int c = country_agrees(ix, q, rec->entity);
    size_t before = h->n;
    if (rec->is_short) {
        if (c > 0) {
            if (push_hit(h, a, rec->entity, rec->name, MATCH_EXACT, 1.0) != 0)
                return -1;
        } else if (c == 0 && qi == 0) {
            if (SHORT_NO_COUNTRY >= ix->cfg.threshold &&
                push_hit(h, a, rec->entity, rec->name, MATCH_FUZZY, SHORT_NO_COUNTRY) != 0)
                return -1;
        }
        for (size_t i = before; i < h->n; i++)
            h->v[i].query = qi;
        return 0;
    }
    if (c < 0 ? push_fuzzy(ix, q, h, a, r, 1.0) != 0
              : push_hit(h, a, rec->entity, rec->name, MATCH_EXACT, 1.0) != 0)
        return -1;
    if (first) {
        /* Same string, same fuzzy matches: precomputed at load. */
        for (uint32_t k = 0; k < rec->n_nb; k++) {
            const mnb_t *nb = &ix->nbs[rec->nb + k];
            if (push_fuzzy(ix, q, h, a, nb->rec, nb->score) != 0)
                return -1;
        }
    }
    for (size_t i = before; i < h->n; i++)
        h->v[i].query = qi;
    return 0;
}

int
match_key_of(const match_index_t *ix, arena_t *a, const char *norm, size_t len, const char **key,
             size_t *klen)
{
    if (script_needs(norm, len)) {
        const char *simp;
        size_t slen;
        if (script_simplified(ix->script, a, norm, len, &simp, &slen, NULL, 0) != 0)
            return -1;
        norm = simp;
        len = slen;
    }
    return words_key(&ix->words, a, norm, len, key, klen);
}

/* False when the query says what kind of body it is ("university",
 * "bank": words.cfg kinds) and the record's name says none of it: "China
 * Three Gorges University" is not "China Three Gorges Corporation",
 * however close the rest. */
static bool
kinds_agree(const match_index_t *ix, const char *qkey, size_t qlen, const mrec_t *rec)
{
    bool any = false;
    for (size_t i = 0; i < qlen;) {
        size_t st = i;
        while (i < qlen && qkey[i] != ' ')
            i++;
        size_t tl = i - st;
        i++;
        if (tl == 0 || !words_in(&ix->words, WORD_KIND, qkey + st, tl))
            continue;
        any = true;
        for (size_t k = 0; k + tl <= rec->klen; k++)
            if ((k == 0 || rec->key[k - 1] == ' ') && memcmp(rec->key + k, qkey + st, tl) == 0 &&
                (k + tl == rec->klen || rec->key[k + tl] == ' '))
                return true;
    }
    return !any;
}

/* What affil_find pushes into. */
typedef struct affil_ctx {
    const match_index_t *ix;
    hitvec_t *h;
    arena_t *a;
    uint16_t qi;
} affil_ctx_t;

static int
affil_push(void *vctx, uint32_t r, match_method_t m, double score, uint32_t off, uint32_t len)
{
    affil_ctx_t *c = vctx;
    const mrec_t *rec = &c->ix->recs[r];
    if (push_hit(c->h, c->a, rec->entity, rec->name, m, score) != 0)
        return -1;
    match_hit_t *hit = &c->h->v[c->h->n - 1];
    hit->query = c->qi;
    hit->span_off = off;
    hit->span_len = len;
    return 0;
}

/* Probes the spacing-free form of s[0..len) (pinyin, joined or split
 * words); pushes what it finds as fuzzy. Returns hits pushed, -1 OOM. */
static int
probe_nospace(const match_index_t *ix, const match_query_t *q, uint16_t qi, hitvec_t *h, arena_t *a,
              const char *s, size_t len)
{
    char *o = arena_alloc(a, len + 1);
    if (o == NULL)
        return -1;
    size_t n = words_nospace(s, len, o);
    if (n < 6)
        return 0;
    size_t lo, hi, before = h->n;
    keyidx_range(&ix->by_ns, keyidx_hash(o, n), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const mns_t *f = &ix->ns[(uint32_t)ix->by_ns.ent[i]];
        if (f->len == n && memcmp(f->s, o, n) == 0 &&
            push_fuzzy(ix, q, h, a, f->rec, NOSPACE_SCORE) != 0)
            return -1;
    }
    for (size_t i = before; i < h->n; i++)
        h->v[i].query = qi;
    return (int)(h->n - before);
}

/* Adds the hits of one name of the query (what names it in messages:
 * "name", "aliases[2]"; qi: 0 the name, i aliases[i-1]). In order, the
 * first step that finds anything ends the search:
 *   1. the whole string, normalised, against every name (exact);
 *   2. its canonical key (legal forms, abbreviations, word forms,
 *      plurals, traditional Chinese folded);
 *   3. the affiliation analysis (affil.c): exact, unit, related;
 *   4. spacing-free forms and the Latin rendering (fuzzy);
 *   5. the fuzzy search of the whole string, then of each segment.
 * Returns 0, or -1 with a message in err (invalid UTF-8, OOM). */
static int
match_name(const match_index_t *ix, const match_query_t *q, uint16_t qi, const char *name,
           const char *what, arena_t *a, hitvec_t *h, char *err, size_t errcap)
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
    bool exact = false, short_form = false;
    size_t lo, hi;
    keyidx_range(&ix->by_name, keyidx_hash(norm, len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        uint32_t r = (uint32_t)ix->by_name.ent[i];
        const mrec_t *rec = &ix->recs[r];
        if (rec->len != len || memcmp(rec->norm, norm, len) != 0)
            continue;
        if (push_exact(ix, q, qi, h, a, r, !exact) != 0)
            goto oom;
        /* A short form alone does not end the search: the same words
         * may be another organisation's full name ("China Mobile"). */
        exact |= !rec->is_short;
        short_form |= rec->is_short;
    }
    if (exact)
        return 0;

    const char *key;
    size_t klen;
    if (match_key_of(ix, a, norm, len, &key, &klen) != 0)
        goto oom;
    if (klen > 0) {
        keyidx_range(&ix->by_key, keyidx_hash(key, klen), &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            const mkey_t *mk = &ix->keys[(uint32_t)ix->by_key.ent[i]];
            if (mk->len != klen || memcmp(mk->s, key, klen) != 0)
                continue;
            uint32_t r = mk->rec;
            const mrec_t *rec = &ix->recs[r];
            if (mk->stem) {
                /* The name without its generic words: a short form. */
                if (country_agrees(ix, q, rec->entity) >= 0 && qi == 0 &&
                    SHORT_NO_COUNTRY >= ix->cfg.threshold) {
                    if (push_hit(h, a, rec->entity, rec->name, MATCH_FUZZY, SHORT_NO_COUNTRY) != 0)
                        goto oom;
                    h->v[h->n - 1].query = qi;
                }
                short_form = true;
                continue;
            }
            if (push_exact(ix, q, qi, h, a, r, !exact) != 0)
                goto oom;
            exact |= !rec->is_short;
            short_form |= rec->is_short;
        }
    }
    /* A short form is all the string says ("HIT", "Sharif"): what
     * push_exact made of it (by the country) is the answer; a fuzzy
     * search would only find the same short form again. */
    if (exact || short_form)
        return 0;

    /* The affiliation analysis reads the caller's string (spans point
     * into it), or its simplified form when it holds traditional Han. */
    const char *raw = name;
    size_t rawlen = strlen(name);
    bool spans = true;
    bool other_script = script_needs(name, rawlen);
    if (other_script) {
        const char *simp;
        size_t slen;
        if (script_simplified(ix->script, a, name, rawlen, &simp, &slen, NULL, 0) != 0)
            goto oom;
        spans = slen == rawlen;
        raw = simp;
        rawlen = slen;
    }
    affil_ctx_t ctx = {ix, h, a, qi};
    size_t before_affil = h->n;
    affil_seg_t segs[8];
    size_t ns = 0;
    int got = affil_find(ix, q, raw, rawlen, spans, a, affil_push, &ctx, segs, 8, &ns);
    if (got < 0)
        goto oom;
    for (size_t i = before_affil; i < h->n; i++)
        if (h->v[i].method == MATCH_EXACT)
            return 0;
    /* A unit or a branch: the fuzzy search may still find the unit
     * itself listed ("CETC 14th Research Institute" is listed as "14th
     * Research Institute of CETC"). */
    bool affil_hit = got > 0;

    got = affil_hit ? 0 : probe_nospace(ix, q, qi, h, a, norm, len);
    if (got == 0)
        got = probe_nospace(ix, q, qi, h, a, key, klen);
    /* A Latin rendering of the query meets names listed in Latin letters
     * (BGN for Cyrillic, Persian). Not for Chinese: its pinyin (tens of
     * microseconds in ICU) would meet only pinyin aliases, and those
     * names are listed in characters too, found above. */
    if (got == 0 && other_script && !script_has_han(norm, len)) {
        const char *lat, *lkey;
        size_t llen, lklen;
        if (script_latin(ix->script, a, norm, len, &lat, &llen, NULL, 0) != 0 ||
            words_key(&ix->words, a, lat, llen, &lkey, &lklen) != 0)
            goto oom;
        got = probe_nospace(ix, q, qi, h, a, lat, llen);
        if (got == 0)
            got = probe_nospace(ix, q, qi, h, a, lkey, lklen);
    }
    if (got < 0)
        goto oom;
    if (got > 0 && !affil_hit)
        return 0;

    search_res_t *res = NULL;
    size_t nres = 0, capres = 0;
    if (search_fuzzy(ix, norm, len, a, &res, &nres, &capres) != 0)
        goto oom;
    size_t before = h->n;
    for (size_t i = 0; i < nres; i++)
        if (kinds_agree(ix, key, klen, &ix->recs[res[i].rec]) &&
            push_fuzzy(ix, q, h, a, res[i].rec, res[i].score) != 0)
            goto oom;
    for (size_t i = before; i < h->n; i++)
        h->v[i].query = qi;
    if (h->n > before || !spans || affil_hit)
        return 0;
    /* Nothing for the whole string: each segment of an affiliation
     * string on its own ("Harbin Institue of Technology, School of ..."). */
    for (size_t k = 0; k < ns && (ns > 1 || segs[0].len < rawlen); k++) {
        const char *sn;
        size_t sl;
        const char *pk;
        size_t pkl;
        char *part = arena_strndup(a, name + segs[k].off, segs[k].len);
        if (part == NULL || fold_name(a, part, &sn, &sl, NULL, 0) != 0 ||
            words_key(&ix->words, a, sn, sl, &pk, &pkl) != 0)
            goto oom;
        nres = 0;
        if (search_fuzzy(ix, sn, sl, a, &res, &nres, &capres) != 0)
            goto oom;
        size_t b2 = h->n;
        for (size_t i = 0; i < nres; i++)
            if (kinds_agree(ix, pk, pkl, &ix->recs[res[i].rec]) &&
                push_fuzzy(ix, q, h, a, res[i].rec, res[i].score) != 0)
                goto oom;
        for (size_t i = b2; i < h->n; i++) {
            h->v[i].query = qi;
            h->v[i].span_off = segs[k].off;
            h->v[i].span_len = segs[k].len;
        }
    }
    return 0;
oom:
    if (err != NULL && errcap > 0)
        snprintf(err, errcap, "out of memory");
    return -1;
}

/* ---- people ------------------------------------------------------------ */

/* A nationality that differs from every listed one lowers a fuzzy
 * person's score by this much; one that agrees raises it by
 * NATIONALITY_AGREES (at most to 1). Neither identifies nor rules out:
 * people hold several nationalities and lists give few. 0.05 moves a
 * whole name (1.0) below a name that agrees in every word but one
 * initial (0.90 + 0.02 = 0.92 would still rank above 0.95 - 0.05). */
#define NATIONALITY_DIFFERS 0.05
#define NATIONALITY_AGREES 0.02

/* Adds the hits of one name of a person's query (qi, what as in
 * match_name): fuzzy, by the person index. Returns 0, or -1 with a
 * message in err. */
static int
match_person(const match_index_t *ix, uint16_t qi, const char *name, const char *what, arena_t *a,
             hitvec_t *h, char *err, size_t errcap)
{
    person_res_t *res = NULL;
    size_t n = 0, cap = 0;
    char msg[128];
    if (person_search(ix->people, name, a, &res, &n, &cap, msg, sizeof msg) != 0) {
        if (err != NULL && errcap > 0) {
            if (strcmp(msg, "out of memory") == 0)
                snprintf(err, errcap, "out of memory");
            else
                snprintf(err, errcap, "%s: %s", what, msg);
        }
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (push_hit(h, a, res[i].entity, res[i].name, MATCH_FUZZY, res[i].score) != 0) {
            if (err != NULL && errcap > 0)
                snprintf(err, errcap, "out of memory");
            return -1;
        }
        h->v[h->n - 1].query = qi;
    }
    return 0;
}

/* The order of a person's hits: matches by method and score, then the
 * ruled out by score; entity last. */
static int
person_rank_cmp(const void *x, const void *y)
{
    const match_hit_t *a = x, *b = y;
    if (a->ruled_out != b->ruled_out)
        return a->ruled_out ? 1 : -1;
    if (a->method != b->method)
        return a->method < b->method ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->entity < b->entity ? -1 : a->entity > b->entity;
}

/* Weighs the request's date of birth and nationality into a person's
 * hits (one per entity, h->v[0..h->n)): a date that agrees with a
 * listed one makes the name an identification (exact, 1); one that
 * differs from every listed date rules it out; a nationality moves a
 * fuzzy score. An identifier's hit stays what it is. Ranks them. */
static void
person_evidence(const match_index_t *ix, const match_query_t *q, hitvec_t *h)
{
    for (size_t i = 0; i < h->n; i++) {
        match_hit_t *hit = &h->v[i];
        const reg_entity_t *e = &ix->ents[hit->entity];
        match_evidence_t bd = person_birth_date(e, q->birth_date);
        match_evidence_t nat = person_nationality(e, q->nationality);
        hit->birth_date = (uint8_t)bd;
        hit->nationality = (uint8_t)nat;
        if (hit->method == MATCH_ID)
            continue;
        if (bd == MATCH_EV_AGREES) {
            hit->method = MATCH_EXACT;
            hit->score = 1.0;
            continue;
        }
        hit->ruled_out = bd == MATCH_EV_DIFFERS;
        if (nat == MATCH_EV_DIFFERS)
            hit->score = hit->score > NATIONALITY_DIFFERS ? hit->score - NATIONALITY_DIFFERS : 0.01;
        else if (nat == MATCH_EV_AGREES)
            hit->score =
                hit->score + NATIONALITY_AGREES < 1.0 ? hit->score + NATIONALITY_AGREES : 1.0;
    }
    if (h->n > 1)
        qsort(h->v, h->n, sizeof *h->v, person_rank_cmp);
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

/* Writes a person's hits (one per entity, ranked by person_evidence)
 * into out: at most max_results matches, then at most as many ruled out,
 * cap in all. Returns how many. A namesake confirmed by a date of birth
 * does not hide the others: a listed person without a date, or listed
 * twice, may be the same. */
static int
person_out(const match_index_t *ix, const hitvec_t *h, match_hit_t *out, size_t cap)
{
    size_t limit = ix->cfg.max_results > 0 ? ix->cfg.max_results : cap;
    size_t n = 0, kept = 0, ruled = 0;
    for (size_t i = 0; i < h->n && n < cap; i++) {
        size_t *count = h->v[i].ruled_out ? &ruled : &kept;
        if (*count == limit)
            continue;
        (*count)++;
        out[n++] = h->v[i];
    }
    return (int)n;
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
            /* A person's identifier names a person, an organisation's
             * an organisation. */
            if (id->len == len && memcmp(id->key, k, len) == 0 &&
                person_is_individual(&ix->ents[id->entity]) == q->person &&
                push_hit(&h, scratch, id->entity, id->idx, MATCH_ID, 1.0) != 0)
                goto oom;
        }
    }
    if (q->name != NULL &&
        (q->person ? match_person(ix, 0, q->name, "name", scratch, &h, err, errcap)
                   : match_name(ix, q, 0, q->name, "name", scratch, &h, err, errcap)) != 0)
        return -1;
    for (size_t i = 0; i < q->n_aliases; i++) {
        char what[32];
        snprintf(what, sizeof what, "aliases[%zu]", i);
        if (q->aliases == NULL || q->aliases[i] == NULL)
            continue;
        uint16_t qi = (uint16_t)(i + 1);
        if ((q->person ? match_person(ix, qi, q->aliases[i], what, scratch, &h, err, errcap)
                       : match_name(ix, q, qi, q->aliases[i], what, scratch, &h, err, errcap)) != 0)
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
    if (q->person) {
        person_evidence(ix, q, &h);
        return person_out(ix, &h, out, cap);
    }
    /* A partner identified by an identifier or an exact name is that
     * organisation: fuzzy look-alikes of other organisations would only
     * make rules fire on a partner the request is not about. (A unit or
     * a branch is not the partner itself: the look-alikes stay.) */
    if (h.n > 0 && h.v[0].method <= MATCH_EXACT) {
        size_t m = 0;
        while (m < h.n && h.v[m].method < MATCH_FUZZY)
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
