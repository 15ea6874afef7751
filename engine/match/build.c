/* SPDX-License-Identifier: Apache-2.0 */
/* build.c -- building the match index from the registry, once per ruleset load; freeing it. */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "match_int.h"
#include "norm.h"
#include "person.h"
#include "vec.h"

/* The build_* steps return 0, or -1 on OOM; match_index_new runs them in
 * order (the design comment in match_int.h says what each builds). */

/* Temporary string -> token id table used while building. */
typedef struct tokmap {
    uint32_t *slot; /* tid + 1, 0 empty */
    size_t cap;     /* power of two */
} tokmap_t;

/* Everything a build carries besides the index itself. */
typedef struct builder {
    match_index_t *ix; /* being built */
    tokmap_t map;      /* token interning */
    size_t cap_toks;   /* capacity of ix->toks (malloc'd while building) */
    char *err;         /* caller's buffer */
    size_t errcap;     /* its size */
} builder_t;

/* Writes the out-of-memory message; returns -1. */
static int
build_oom(builder_t *b)
{
    if (b->err != NULL && b->errcap > 0)
        snprintf(b->err, b->errcap, "match index: out of memory");
    return -1;
}

/* Doubles the interning table (1024 slots at first). Returns 0, or -1
 * on OOM (the table is unchanged). */
static int
tokmap_grow(builder_t *b)
{
    size_t nc = b->map.cap ? b->map.cap * 2 : 1024;
    uint32_t *ns = calloc(nc, sizeof *ns);
    if (ns == NULL)
        return -1;
    for (size_t i = 0; i < b->map.cap; i++) {
        uint32_t v = b->map.slot[i];
        if (v == 0)
            continue;
        const mtok_t *t = &b->ix->toks[v - 1];
        size_t k = keyidx_hash(t->s, t->len) & (nc - 1);
        while (ns[k] != 0)
            k = (k + 1) & (nc - 1);
        ns[k] = v;
    }
    free(b->map.slot);
    b->map.slot = ns;
    b->map.cap = nc;
    return 0;
}

/* Interns s[0..len) (copied into the index arena when new); returns its
 * token id, or -1 on OOM. */
static int64_t
intern_token(builder_t *b, const char *s, size_t len)
{
    match_index_t *ix = b->ix;
    if ((ix->n_toks + 1) * 2 > b->map.cap && tokmap_grow(b) != 0)
        return -1;
    size_t k = keyidx_hash(s, len) & (b->map.cap - 1);
    while (b->map.slot[k] != 0) {
        const mtok_t *t = &ix->toks[b->map.slot[k] - 1];
        if (t->len == len && memcmp(t->s, s, len) == 0)
            return b->map.slot[k] - 1;
        k = (k + 1) & (b->map.cap - 1);
    }
    if (vec_grow(&ix->toks, &b->cap_toks, ix->n_toks + 1, sizeof *ix->toks, 1024) != 0)
        return -1;
    mtok_t *t = &ix->toks[ix->n_toks];
    memset(t, 0, sizeof *t);
    if ((t->s = arena_strndup(ix->arena, s, len)) == NULL)
        return -1;
    t->len = (uint32_t)len;
    t->stop = norm_is_stopword(s, len);
    int32_t cp[MAX_TOKCP];
    int n = strsim_decode(s, len, cp, MAX_TOKCP);
    t->ncp = (uint16_t)(n < 0 ? MAX_TOKCP + 1 : n);
    int32_t sg[MAX_TOKCP];
    t->plural = n > 0 && fold_singular(cp, n, sg) > 0;
    t->fuzzy = n > 0 && fold_typo_tolerant(cp, n);
    b->map.slot[k] = (uint32_t)++ix->n_toks;
    return (int64_t)ix->n_toks - 1;
}

/* True for a name written as an acronym: one word of 2 to 8 letters
 * or digits, upper case ("NUDT", "CETC", "HIT", "BUAA"). */
static bool
acronym_shaped(const char *name)
{
    size_t n = 0, upper = 0;
    for (const char *p = name; *p; p++, n++) {
        if (*p >= 'A' && *p <= 'Z')
            upper++;
        else if (!(*p >= '0' && *p <= '9'))
            return false;
    }
    return n >= 2 && n <= 8 && upper >= 2;
}

/* True for a name whose key is one short word written in capitals
 * ("STC, LTD"): an acronym with a legal form. */
static bool
acronym_key(const char *name, const char *key, size_t klen)
{
    if (klen < 2 || klen > 6 || memchr(key, ' ', klen) != NULL)
        return false;
    char up[8];
    for (size_t i = 0; i < klen; i++) {
        if (key[i] >= 'a' && key[i] <= 'z')
            up[i] = (char)(key[i] - 'a' + 'A');
        else if (key[i] >= '0' && key[i] <= '9')
            up[i] = key[i];
        else
            return false;
    }
    for (const char *p = name; *p; p++)
        if (strncmp(p, up, klen) == 0 &&
            (p == name || !((p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= 'a' && p[-1] <= 'z'))))
            return true;
    return false;
}

/* Normalises every name of every entity into records. */
static int
build_records(builder_t *b, arena_t *tmp)
{
    match_index_t *ix = b->ix;
    size_t total = 0;
    for (size_t e = 0; e < ix->n_ents; e++)
        total += 1 + (size_t)ix->ents[e].n_aliases;
    ix->recs = arena_alloc(ix->arena, (total ? total : 1) * sizeof *ix->recs);
    if (ix->recs == NULL)
        return -1;
    for (size_t e = 0; e < ix->n_ents; e++) {
        const reg_entity_t *ent = &ix->ents[e];
        size_t first = ix->n_recs;
        if (person_is_individual(ent))
            continue; /* people are in ix->people */
        for (uint32_t i = 0; i <= ent->n_aliases; i++) {
            const char *name = reg_entity_name(ent, i);
            const char *norm;
            size_t len;
            arena_reset(tmp);
            /* The loader rejects invalid UTF-8; a name that still fails
             * here is skipped rather than taking the registry down. A
             * valid name that fails ran out of memory: skipping it would
             * make the partner unfindable by that name, so fail. */
            if (name == NULL)
                continue;
            if (fold_name(tmp, name, &norm, &len, NULL, 0) != 0) {
                if (norm_valid_utf8(name, strlen(name)))
                    return -1;
                continue;
            }
            if (len == 0 || norm_all_stopwords(norm, len))
                continue;
            bool dup = false;
            for (size_t r = first; r < ix->n_recs && !dup; r++)
                dup = ix->recs[r].len == len && memcmp(ix->recs[r].norm, norm, len) == 0;
            if (dup)
                continue;
            mrec_t *rec = &ix->recs[ix->n_recs];
            memset(rec, 0, sizeof *rec);
            rec->entity = (uint32_t)e;
            rec->name = i;
            rec->len = (uint32_t)len;
            if ((rec->norm = arena_strndup(ix->arena, norm, len)) == NULL)
                return -1;
            const char *key;
            size_t klen;
            if (match_key_of(ix, tmp, norm, len, &key, &klen) != 0 ||
                (rec->key = arena_strndup(ix->arena, key, klen)) == NULL)
                return -1;
            rec->klen = (uint32_t)klen;
            rec->acronym = i > 0 && (acronym_shaped(name) || acronym_key(name, key, klen));
            rec->is_short =
                rec->acronym || (i > 0 && reg_entity_name_kind(ent, i) == REG_NAME_SHORT);
            ix->n_recs++;
        }
    }
    return 0;
}

/* Splits records into tokens; counts document frequencies. */
static int
build_tokens(builder_t *b)
{
    match_index_t *ix = b->ix;
    size_t total = 0;
    for (size_t r = 0; r < ix->n_recs; r++) {
        size_t n = 1;
        for (uint32_t i = 0; i < ix->recs[r].len; i++)
            n += ix->recs[r].norm[i] == ' ';
        total += n < MAX_REC_TOK ? n : MAX_REC_TOK;
    }
    ix->rec_toks = arena_alloc(ix->arena, (total ? total : 1) * sizeof *ix->rec_toks);
    if (ix->rec_toks == NULL)
        return -1;
    size_t at = 0;
    for (size_t r = 0; r < ix->n_recs; r++) {
        mrec_t *rec = &ix->recs[r];
        rec->tok = (uint32_t)at;
        const char *s = rec->norm;
        for (uint32_t i = 0; i < rec->len && rec->n_tok < MAX_REC_TOK;) {
            uint32_t st = i;
            while (i < rec->len && s[i] != ' ')
                i++;
            const char *f;
            size_t flen = fold_token(&ix->words, s + st, i - st, &f);
            int64_t t = intern_token(b, f, flen);
            if (t < 0)
                return -1;
            bool seen = false;
            for (uint32_t k = 0; k < rec->n_tok && !seen; k++)
                seen = ix->rec_toks[rec->tok + k] == (uint32_t)t;
            if (!seen)
                ix->toks[t].df++;
            ix->rec_toks[at++] = (uint32_t)t;
            rec->n_tok++;
            i++; /* the space */
        }
    }
    /* Every stop word is in the dictionary, in no record, so a query can
     * recognise a misspelt one even if no registry name uses it. */
    const char *w;
    for (size_t i = 0; (w = norm_stopword(i)) != NULL; i++)
        if (intern_token(b, w, strlen(w)) < 0)
            return -1;
    return 0;
}

/* Postings by the record's weight, then record. */
static int
post_cmp(const void *x, const void *y)
{
    const mpost_t *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight < b->weight ? -1 : 1;
    return a->rec < b->rec ? -1 : a->rec > b->rec;
}

/* Weights, record totals, postings. */
static int
build_weights_and_postings(builder_t *b)
{
    match_index_t *ix = b->ix;
    double n = (double)ix->n_recs, wmin = 0;
    for (size_t t = 0; t < ix->n_toks; t++) {
        mtok_t *tk = &ix->toks[t];
        tk->w = (float)log(1.0 + n / (tk->df ? tk->df : 1));
        if (!tk->stop && (wmin == 0 || tk->w < wmin))
            wmin = tk->w;
    }
    ix->w_stop = STOP_WEIGHT_FRACTION * (wmin > 0 ? wmin : 1.0);
    ix->w_unseen = log(2.0 + n);
    size_t total = 0;
    for (size_t t = 0; t < ix->n_toks; t++) {
        if (ix->toks[t].stop)
            ix->toks[t].w = (float)ix->w_stop;
        total += ix->toks[t].df;
    }
    for (size_t r = 0; r < ix->n_recs; r++) {
        double w = 0;
        for (uint32_t k = 0; k < ix->recs[r].n_tok; k++)
            w += ix->toks[ix->rec_toks[ix->recs[r].tok + k]].w;
        ix->recs[r].weight = (float)w;
    }
    ix->posts = arena_alloc(ix->arena, (total ? total : 1) * sizeof *ix->posts);
    if (ix->posts == NULL)
        return -1;
    size_t at = 0;
    for (size_t t = 0; t < ix->n_toks; t++) {
        ix->toks[t].post = (uint32_t)at;
        at += ix->toks[t].df;
    }
    for (size_t r = 0; r < ix->n_recs; r++) {
        const mrec_t *rec = &ix->recs[r];
        uint64_t sig = 0;
        for (uint32_t k = 0; k < rec->n_tok; k++)
            sig |= match_tok_bit(ix->rec_toks[rec->tok + k]);
        for (uint32_t k = 0; k < rec->n_tok; k++) {
            uint32_t t = ix->rec_toks[rec->tok + k];
            bool seen = false;
            for (uint32_t q = 0; q < k && !seen; q++)
                seen = ix->rec_toks[rec->tok + q] == t;
            if (seen)
                continue;
            mtok_t *tk = &ix->toks[t];
            ix->posts[tk->post + tk->n_post++] =
                (mpost_t){sig, rec->weight, (uint32_t)r, rec->tok, rec->n_tok};
        }
    }
    for (size_t t = 0; t < ix->n_toks; t++)
        if (ix->toks[t].n_post > 1)
            qsort(ix->posts + ix->toks[t].post, ix->toks[t].n_post, sizeof *ix->posts, post_cmp);
    return 0;
}

/* Deletion variants of the typo-tolerant tokens, and the singular of
 * every token that takes part in plural matching. */
static int
build_deletions(builder_t *b)
{
    match_index_t *ix = b->ix;
    size_t total = 0;
    for (size_t t = 0; t < ix->n_toks; t++) {
        const mtok_t *tk = &ix->toks[t];
        size_t n = tk->ncp;
        total += tk->plural;
        if (!tk->fuzzy)
            continue;
        total += 1;
        if (n >= SWAP_MIN_CP)
            total += n;
        if (n >= DEL2_MIN_CP && n <= DEL2_MAX_CP)
            total += n * (n - 1) / 2;
    }
    uint64_t *tmp = malloc((total ? total : 1) * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    size_t m = 0;
    for (size_t t = 0; t < ix->n_toks; t++) {
        const mtok_t *tk = &ix->toks[t];
        if (!tk->fuzzy && !tk->plural)
            continue;
        int32_t cp[MAX_TOKCP], sg[MAX_TOKCP];
        int n = strsim_decode(tk->s, tk->len, cp, MAX_TOKCP);
        if (tk->plural) {
            int ns = fold_singular(cp, n, sg);
            tmp[m++] = (uint64_t)keyidx_hash_cps(sg, ns, -1, -1) << 32 | t;
        }
        if (!tk->fuzzy)
            continue;
        tmp[m++] = (uint64_t)keyidx_hash_cps(cp, n, -1, -1) << 32 | t;
        if (n >= SWAP_MIN_CP)
            for (int i = 0; i < n; i++)
                tmp[m++] = (uint64_t)keyidx_hash_cps(cp, n, i, -1) << 32 | t;
        if (n >= DEL2_MIN_CP && n <= DEL2_MAX_CP)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    tmp[m++] = (uint64_t)keyidx_hash_cps(cp, n, i, j) << 32 | t;
    }
    int rc = keyidx_build(&ix->by_del, ix->arena, tmp, m);
    free(tmp);
    return rc;
}

/* The tables normalised name -> record and token -> token id. */
static int
build_name_tables(builder_t *b)
{
    match_index_t *ix = b->ix;
    size_t n = ix->n_recs > ix->n_toks ? ix->n_recs : ix->n_toks;
    uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    for (size_t r = 0; r < ix->n_recs; r++)
        tmp[r] = (uint64_t)keyidx_hash(ix->recs[r].norm, ix->recs[r].len) << 32 | r;
    int rc = keyidx_build(&ix->by_name, ix->arena, tmp, ix->n_recs);
    for (size_t t = 0; rc == 0 && t < ix->n_toks; t++)
        tmp[t] = (uint64_t)keyidx_hash(ix->toks[t].s, ix->toks[t].len) << 32 | t;
    if (rc == 0)
        rc = keyidx_build(&ix->by_tok, ix->arena, tmp, ix->n_toks);
    free(tmp);
    return rc;
}

/* Appends s[0..len) without its spaces as a spacing-free form of record
 * r (forms shorter than 6 bytes would meet too many other names). */
static int
add_ns(builder_t *b, size_t *cap, uint32_t r, const char *s, size_t len)
{
    match_index_t *ix = b->ix;
    char *o = arena_alloc(ix->arena, len + 1);
    if (o == NULL)
        return -1;
    size_t n = words_nospace(s, len, o);
    if (n < 6)
        return 0;
    for (size_t i = ix->n_ns; i-- > 0 && ix->ns[i].rec == r;)
        if (ix->ns[i].len == n && memcmp(ix->ns[i].s, o, n) == 0)
            return 0;
    if (vec_grow(&ix->ns, cap, ix->n_ns + 1, sizeof *ix->ns, 1024) != 0)
        return -1;
    ix->ns[ix->n_ns++] = (mns_t){o, (uint32_t)n, r};
    return 0;
}

bool
match_token_distinctive(const match_index_t *ix, const char *s, size_t len, uint32_t entity)
{
    size_t lo, hi;
    keyidx_range(&ix->by_tok, keyidx_hash(s, len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const mtok_t *t = &ix->toks[(uint32_t)ix->by_tok.ent[i]];
        if (t->len != len || memcmp(t->s, s, len) != 0)
            continue;
        /* A brand may name a group and one or two listed members
         * ("Huawei Technologies", "Huawei Investment & Holding"). */
        uint32_t seen[BRAND_MAX_ENTITIES];
        size_t n = 0;
        bool mine = false;
        for (uint32_t p = 0; p < t->n_post; p++) {
            uint32_t e = ix->recs[ix->posts[t->post + p].rec].entity;
            mine |= e == entity;
            bool dup = false;
            for (size_t k = 0; k < n && !dup; k++)
                dup = seen[k] == e;
            if (dup)
                continue;
            if (n == BRAND_MAX_ENTITIES)
                return false;
            seen[n++] = e;
        }
        return mine;
    }
    return false;
}

/* Appends key s[0..len) of record r. */
static int
add_key(builder_t *b, size_t *cap, uint32_t r, const char *s, size_t len, bool stem)
{
    match_index_t *ix = b->ix;
    if (vec_grow(&ix->keys, cap, ix->n_keys + 1, sizeof *ix->keys, 1024) != 0)
        return -1;
    ix->keys[ix->n_keys++] = (mkey_t){s, (uint32_t)len, r, stem};
    return 0;
}

/* The stems of a record's key: each prefix followed only by kind and
 * generic words ("sharif" and "sharif university" of "sharif university
 * technology"), that has a word of its own (not a place, kind or generic
 * word) and 5 letters or more. */
static int
add_stems(builder_t *b, size_t *cap, uint32_t r)
{
    match_index_t *ix = b->ix;
    const mrec_t *rec = &ix->recs[r];
    const mwords_t *w = &ix->words;
    size_t starts[MAX_REC_TOK], n = 0;
    for (size_t i = 0; i < rec->klen && n < MAX_REC_TOK; i++)
        if (i == 0 || rec->key[i - 1] == ' ')
            starts[n++] = i;
    bool own = false;
    for (size_t k = 1; k < n; k++) {
        size_t pe = starts[k - 1], pl = starts[k] - 1 - pe; /* word k-1 */
        own |= !words_in(w, WORD_PLACE, rec->key + pe, pl) &&
               !words_in(w, WORD_KIND, rec->key + pe, pl) &&
               !words_in(w, WORD_GENERIC, rec->key + pe, pl);
        bool generic_tail = true;
        for (size_t t = k; t < n && generic_tail; t++) {
            size_t te = t + 1 < n ? starts[t + 1] - 1 : rec->klen;
            generic_tail = words_in(w, WORD_KIND, rec->key + starts[t], te - starts[t]) ||
                           words_in(w, WORD_GENERIC, rec->key + starts[t], te - starts[t]);
        }
        if (own && generic_tail && starts[k] - 1 >= 5 &&
            add_key(b, cap, r, rec->key, starts[k] - 1, true) != 0)
            return -1;
    }
    return 0;
}

/* The canonical keys: every record's, and for a company whose name
 * opens with a place followed by its brand ("Zhejiang Dahua Technology",
 * "Shenzhen DJI"), the key without the place, as the company is known
 * abroad ("Dahua Technology USA Inc."). */
static int
build_keys(builder_t *b)
{
    match_index_t *ix = b->ix;
    size_t cap = 0;
    for (size_t r = 0; r < ix->n_recs; r++) {
        const mrec_t *rec = &ix->recs[r];
        if (add_key(b, &cap, (uint32_t)r, rec->key, rec->klen, false) != 0 ||
            (!rec->is_short && add_stems(b, &cap, (uint32_t)r) != 0))
            goto fail;
        const char *sp = memchr(rec->key, ' ', rec->klen);
        if (sp == NULL || rec->is_short || match_institution(&ix->ents[rec->entity]) ||
            !words_in(&ix->words, WORD_PLACE, rec->key, (size_t)(sp - rec->key)))
            continue;
        const char *rest = sp + 1;
        size_t rl = rec->klen - (size_t)(rest - rec->key);
        const char *sp2 = memchr(rest, ' ', rl);
        size_t first = sp2 ? (size_t)(sp2 - rest) : rl;
        if (first >= 3 && !words_in(&ix->words, WORD_PLACE, rest, first) &&
            match_token_distinctive(ix, rest, first, rec->entity) &&
            add_key(b, &cap, (uint32_t)r, rest, rl, false) != 0)
            goto fail;
    }
    uint64_t *t = malloc((ix->n_keys ? ix->n_keys : 1) * sizeof *t);
    if (t == NULL)
        goto fail;
    for (size_t i = 0; i < ix->n_keys; i++)
        t[i] = (uint64_t)keyidx_hash(ix->keys[i].s, ix->keys[i].len) << 32 | i;
    int rc = keyidx_build(&ix->by_key, ix->arena, t, ix->n_keys);
    free(t);
    mkey_t *k = rc == 0 ? arena_alloc(ix->arena, (ix->n_keys ? ix->n_keys : 1) * sizeof *k) : NULL;
    if (k == NULL)
        goto fail;
    if (ix->n_keys)
        memcpy(k, ix->keys, ix->n_keys * sizeof *k);
    free(ix->keys);
    ix->keys = k;
    return 0;
fail:
    free(ix->keys);
    ix->keys = NULL;
    ix->n_keys = 0;
    return -1;
}

/* The spacing-free forms of every record but Latin short forms: its
 * name and key without spaces, and for another script its Latin
 * rendering (pinyin for Han; a Chinese short name's pinyin too). */
static int
build_ns(builder_t *b, arena_t *tmp)
{
    match_index_t *ix = b->ix;
    uint64_t *t;
    int rc;
    size_t cap = 0;
    for (size_t r = 0; r < ix->n_recs; r++) {
        const mrec_t *rec = &ix->recs[r];
        bool other = script_needs(rec->norm, rec->len);
        if (rec->is_short && !other)
            continue;
        arena_reset(tmp);
        if (add_ns(b, &cap, (uint32_t)r, rec->norm, rec->len) != 0 ||
            add_ns(b, &cap, (uint32_t)r, rec->key, rec->klen) != 0)
            goto fail;
        if (!other)
            continue;
        const char *lat, *lkey;
        size_t llen, lklen;
        if (script_latin(ix->script, tmp, rec->norm, rec->len, &lat, &llen, NULL, 0) != 0) {
            if (norm_valid_utf8(rec->norm, rec->len))
                goto fail;
            continue;
        }
        if (add_ns(b, &cap, (uint32_t)r, lat, llen) != 0 ||
            words_key(&ix->words, tmp, lat, llen, &lkey, &lklen) != 0 ||
            add_ns(b, &cap, (uint32_t)r, lkey, lklen) != 0)
            goto fail;
        /* The key has Chinese legal forms dropped ("有限公司"): its
         * rendering is how a company's name is written in pinyin. */
        if (script_latin(ix->script, tmp, rec->key, rec->klen, &lat, &llen, NULL, 0) != 0 ||
            add_ns(b, &cap, (uint32_t)r, lat, llen) != 0)
            goto fail;
    }
    t = malloc((ix->n_ns ? ix->n_ns : 1) * sizeof *t);
    if (t == NULL)
        goto fail;
    for (size_t i = 0; i < ix->n_ns; i++)
        t[i] = (uint64_t)keyidx_hash(ix->ns[i].s, ix->ns[i].len) << 32 | i;
    rc = keyidx_build(&ix->by_ns, ix->arena, t, ix->n_ns);
    free(t);
    mns_t *ns = rc == 0 ? arena_alloc(ix->arena, (ix->n_ns ? ix->n_ns : 1) * sizeof *ns) : NULL;
    if (ns == NULL)
        goto fail;
    if (ix->n_ns)
        memcpy(ns, ix->ns, ix->n_ns * sizeof *ns);
    free(ix->ns);
    ix->ns = ns;
    return 0;
fail:
    free(ix->ns);
    ix->ns = NULL;
    ix->n_ns = 0;
    return -1;
}

/* The identifier table: every identifier's key -> ids[] index. */
static int
build_ids(builder_t *b)
{
    match_index_t *ix = b->ix;
    size_t total = 0;
    for (size_t e = 0; e < ix->n_ents; e++)
        total += ix->ents[e].n_ids;
    ix->ids = arena_alloc(ix->arena, (total ? total : 1) * sizeof *ix->ids);
    uint64_t *tmp = malloc((total ? total : 1) * sizeof *tmp);
    if (ix->ids == NULL || tmp == NULL) {
        free(tmp);
        return -1;
    }
    for (size_t e = 0; e < ix->n_ents; e++)
        for (uint32_t i = 0; i < ix->ents[e].n_ids; i++) {
            const reg_ident_t *id = &ix->ents[e].ids[i];
            if (id->scheme == NULL || id->value == NULL)
                continue;
            char *k = arena_alloc(ix->arena, strlen(id->scheme) + strlen(id->value) + 2);
            if (k == NULL) {
                free(tmp);
                return -1;
            }
            size_t len = fold_id_key(id->scheme, id->value, k);
            tmp[ix->n_ids] = (uint64_t)keyidx_hash(k, len) << 32 | ix->n_ids;
            ix->ids[ix->n_ids++] = (mid_t){k, (uint32_t)len, (uint32_t)e, i};
        }
    int rc = keyidx_build(&ix->by_id, ix->arena, tmp, ix->n_ids);
    free(tmp);
    return rc;
}

/* ---- exact-name neighbours, over the caller's threads --------------------- */

/* The neighbour pass is most of a large load (a fuzzy search per record:
 * 20 of 30 s at a million names, one core). The index is read-only by
 * then and search_fuzzy is thread-safe, so the records are cut into
 * chunks that NB tasks take in turn; each keeps what it finds in a
 * vector of its own, and one serial pass then lays the lists out in
 * record order, so the result is the same bytes whichever task found
 * what. The engine creates no thread (the daemon owns them, tests/abi.sh):
 * the tasks run on the threads of the caller's match_run_fn, or one after
 * the other here (the first then takes every chunk). Registries under
 * NB_THREAD_MIN records make one task (splitting costs more than it
 * saves). */
#define NB_CHUNK 256
#define NB_MAX_TASKS 64
#define NB_THREAD_MIN 4096
#define NB_SAME UINT32_MAX /* n_nb of a record that shares an earlier one's string */

/* One task of the neighbour pass. */
typedef struct nbwork {
    match_index_t *ix;   /* being built: each record's nb / n_nb are
                          * written by the task that took its chunk */
    atomic_size_t *next; /* next chunk to take (shared) */
    uint8_t *owner;      /* chunk -> the task that did it (shared,
                          * each entry written once) */
    uint8_t self;        /* this task's number */
    xcache_t *xc;        /* its token expansions (NULL: none) */
    mnb_t *v;            /* the neighbours it found (malloc'd) */
    size_t n, cap;       /* count, capacity */
    int rc;              /* 0, or -1 on OOM */
} nbwork_t;

/* The neighbours of record r into w->v: r->nb is their offset there
 * (or, with n_nb NB_SAME, the earlier record spelled the same). */
static int
nb_one(nbwork_t *w, arena_t *tmp, size_t r)
{
    match_index_t *ix = w->ix;
    mrec_t *rec = &ix->recs[r];
    size_t lo, hi, same = r;
    keyidx_range(&ix->by_name, keyidx_hash(rec->norm, rec->len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        uint32_t o = (uint32_t)ix->by_name.ent[i];
        if (o < same && ix->recs[o].len == rec->len &&
            memcmp(ix->recs[o].norm, rec->norm, rec->len) == 0)
            same = o;
    }
    if (same != r) {
        rec->nb = (uint32_t)same;
        rec->n_nb = NB_SAME;
        return 0;
    }
    arena_reset(tmp);
    search_res_t *res = NULL;
    size_t nres = 0, capres = 0;
    if (search_fuzzy_x(ix, rec->norm, rec->len, tmp, w->xc, &res, &nres, &capres) != 0)
        return -1;
    rec->nb = (uint32_t)w->n;
    for (size_t i = 0; i < nres; i++) {
        const mrec_t *o = &ix->recs[res[i].rec];
        if (o->len == rec->len && memcmp(o->norm, rec->norm, rec->len) == 0)
            continue;
        if (vec_grow(&w->v, &w->cap, w->n + 1, sizeof *w->v, 1024) != 0)
            return -1;
        w->v[w->n++] = (mnb_t){res[i].rec, (float)res[i].score};
    }
    rec->n_nb = (uint32_t)w->n - rec->nb;
    return 0;
}

/* The neighbour pass of one build: the chunks, who did each, and the
 * tasks' vectors. It opens as soon as the organisations' tables are done
 * (nb_open): at a million names the people's index takes longer than
 * those tables, and its thread then joins the pass instead of waiting
 * (half_people, half_orgs); whatever is left after the two halves is
 * done by the caller's threads (nb_rest). No task ever waits for
 * another: run may do the tasks one after the other. */
typedef struct nbpass {
    atomic_size_t next;       /* next chunk to take */
    atomic_uint state;        /* NB_PEOPLE_DONE | NB_OPEN */
    uint8_t *owner;           /* chunk -> the slot that did it (malloc'd) */
    nbwork_t w[NB_MAX_TASKS]; /* slot 0: the organisations' half; 1: the */
    int n_w;                  /* people's; then nb_rest's. Slots made */
} nbpass_t;

#define NB_PEOPLE_DONE 1u /* the people's half has finished */
#define NB_OPEN 2u        /* the organisations' tables are done */

/* Takes chunks until none is left (a task for match_run_fn). */
static void
nb_task(void *arg)
{
    nbwork_t *w = arg;
    size_t n_recs = w->ix->n_recs;
    if (atomic_load(w->next) * NB_CHUNK >= n_recs)
        return; /* nothing left: no scratch to make */
    arena_t *tmp = arena_new(0);
    if (tmp == NULL) {
        w->rc = -1;
        return;
    }
    /* Without one (OOM) the searches find the same, slower. */
    w->xc = xcache_new(w->ix);
    for (;;) {
        size_t c = atomic_fetch_add(w->next, 1);
        if (c * NB_CHUNK >= n_recs)
            break;
        w->owner[c] = w->self;
        size_t end = (c + 1) * NB_CHUNK < n_recs ? (c + 1) * NB_CHUNK : n_recs;
        for (size_t r = c * NB_CHUNK; r < end; r++)
            if (nb_one(w, tmp, r) != 0) {
                w->rc = -1;
                /* The others stop at their next chunk. */
                atomic_store(w->next, (n_recs + NB_CHUNK - 1) / NB_CHUNK);
                break;
            }
        if (w->rc != 0)
            break;
    }
    xcache_destroy(&w->xc);
    arena_destroy(&tmp);
}

/* Makes slots [p->n_w, p->n_w + k) of the pass. */
static void
nb_slots(nbpass_t *p, match_index_t *ix, int k)
{
    for (int t = p->n_w; t < p->n_w + k; t++)
        p->w[t] = (nbwork_t){ix, &p->next, p->owner, (uint8_t)t, NULL, NULL, 0, 0, 0};
    p->n_w += k;
}

/* Opens the pass over ix's records (its tables done), with the two
 * halves' slots. Returns whether the people's half had already
 * finished (then the chunks are left to nb_rest, which has every
 * thread), or -1 on OOM. */
static int
nb_open(nbpass_t *p, match_index_t *ix)
{
    size_t n_chunks = (ix->n_recs + NB_CHUNK - 1) / NB_CHUNK;
    if ((p->owner = malloc(n_chunks ? n_chunks : 1)) == NULL)
        return -1;
    nb_slots(p, ix, 2);
    return (atomic_fetch_or(&p->state, NB_OPEN) & NB_PEOPLE_DONE) != 0;
}

/* Does the chunks the halves left, in n_tasks tasks on run's threads
 * (run NULL: one task, here), then lays every slot's lists out in record
 * order: the same bytes as one thread's pass, whichever slot found what. */
static int
nb_rest(nbpass_t *p, match_index_t *ix, match_run_fn run, void *run_ctx, int n_tasks)
{
    int nt = run == NULL || ix->n_recs < NB_THREAD_MIN || n_tasks < 1 ? 1
             : n_tasks > NB_MAX_TASKS - p->n_w                        ? NB_MAX_TASKS - p->n_w
                                                                      : n_tasks;
    if (atomic_load(&p->next) * NB_CHUNK < ix->n_recs) {
        int first = p->n_w;
        void *args[NB_MAX_TASKS];
        nb_slots(p, ix, nt);
        for (int t = 0; t < nt; t++)
            args[t] = &p->w[first + t];
        if (nt == 1)
            nb_task(args[0]);
        else
            run(run_ctx, nb_task, args, nt);
    }
    int rc = 0;
    size_t total = 0;
    for (int t = 0; t < p->n_w; t++) {
        rc |= p->w[t].rc;
        total += p->w[t].n;
    }
    if (rc == 0 &&
        (ix->nbs = arena_alloc(ix->arena, (total ? total : 1) * sizeof *ix->nbs)) == NULL)
        rc = -1;
    size_t at = 0;
    for (size_t r = 0; rc == 0 && r < ix->n_recs; r++) {
        mrec_t *rec = &ix->recs[r];
        if (rec->n_nb == NB_SAME) {
            rec->n_nb = ix->recs[rec->nb].n_nb;
            rec->nb = ix->recs[rec->nb].nb;
            continue;
        }
        const nbwork_t *o = &p->w[p->owner[r / NB_CHUNK]];
        if (rec->n_nb)
            memcpy(ix->nbs + at, o->v + rec->nb, rec->n_nb * sizeof *ix->nbs);
        rec->nb = (uint32_t)at;
        at += rec->n_nb;
    }
    return rc;
}

/* Releases what the pass holds (not the index). */
static void
nb_free(nbpass_t *p)
{
    for (int t = 0; t < p->n_w; t++)
        free(p->w[t].v);
    free(p->owner);
}

match_index_t *
match_index_new(const reg_entity_t *ents, size_t n, const match_config_t *cfg, char *err,
                size_t errcap)
{
    return match_index_new_par(ents, n, cfg, NULL, NULL, 1, err, errcap);
}

/* The two halves of a build that need nothing of each other: the
 * people's index, and the organisations' tables; then, whichever half
 * is still running when the other ends, both take chunks of the
 * neighbour pass (nbpass_t). */
typedef struct halves {
    builder_t *b; /* the organisations' build */
    arena_t *tmp; /* its scratch arena */
    const reg_entity_t *ents;
    const match_person_words_t *pw; /* the people's words, or NULL */
    char *perr;                     /* the people's build's message */
    size_t perrcap;
    int rc;      /* the organisations' tables: 0 or -1 (OOM) */
    nbpass_t nb; /* the neighbour pass */
} halves_t;

static void
half_people(void *arg)
{
    halves_t *h = arg;
    match_index_t *ix = h->b->ix;
    person_search_mode_t mode = ix->cfg.score_every_person ? PERSON_SEARCH_EVERY
                                : ix->cfg.no_pair_index    ? PERSON_SEARCH_NO_PAIRS
                                                           : PERSON_SEARCH_PAIRS;
    ix->people = person_ix_new(h->ents, ix->n_ents, h->pw, ix->script, ix->cfg.threshold, mode,
                               h->perr, h->perrcap);
    if (atomic_fetch_or(&h->nb.state, NB_PEOPLE_DONE) & NB_OPEN)
        nb_task(&h->nb.w[1]);
}

/* The organisations' tables, their dictionary moved into the index's
 * arena (token strings already live there); then the neighbour pass is
 * opened, and taken part in while the people's half still runs. */
static void
half_orgs(void *arg)
{
    halves_t *h = arg;
    builder_t *b = h->b;
    match_index_t *ix = b->ix;
    if (build_records(b, h->tmp) != 0 || build_tokens(b) != 0 ||
        build_weights_and_postings(b) != 0 || build_name_tables(b) != 0 || build_keys(b) != 0 ||
        build_ns(b, h->tmp) != 0 || build_deletions(b) != 0 || build_ids(b) != 0) {
        h->rc = -1;
        return;
    }
    mtok_t *toks = arena_alloc(ix->arena, (ix->n_toks ? ix->n_toks : 1) * sizeof *toks);
    if (toks == NULL) {
        h->rc = -1;
        return;
    }
    if (ix->n_toks)
        memcpy(toks, ix->toks, ix->n_toks * sizeof *toks);
    free(ix->toks);
    ix->toks = toks;
    b->cap_toks = 0;
    free(b->map.slot);
    b->map.slot = NULL;
    int people_done = nb_open(&h->nb, ix);
    if (people_done < 0)
        h->rc = -1;
    else if (!people_done)
        nb_task(&h->nb.w[0]);
}

/* One of match_run_pair's two steps, as run calls one function for
 * every task. */
typedef struct pair_step {
    void (*fn)(void *);
    void *arg;
} pair_step_t;

static void
pair_step(void *p)
{
    const pair_step_t *st = p;
    st->fn(st->arg);
}

void
match_run_pair(match_run_fn run, void *ctx, void (*a)(void *), void (*b)(void *), void *arg)
{
    if (run == NULL) {
        a(arg);
        b(arg);
        return;
    }
    pair_step_t st[2] = {{a, arg}, {b, arg}};
    void *args[2] = {&st[0], &st[1]};
    run(ctx, pair_step, args, 2);
}

match_index_t *
match_index_new_par(const reg_entity_t *ents, size_t n, const match_config_t *cfg, match_run_fn run,
                    void *run_ctx, int n_tasks, char *err, size_t errcap)
{
    match_index_t *ix = calloc(1, sizeof *ix);
    builder_t b = {ix, {NULL, 0}, 0, err, errcap};
    halves_t h = {0}; /* nb_free accepts it before the halves */
    arena_t *tmp = arena_new(0);
    if (ix == NULL || tmp == NULL || (ix->arena = arena_new(256 * 1024)) == NULL)
        goto fail;
    ix->ents = ents;
    ix->n_ents = ents ? n : 0;
    if (cfg != NULL)
        ix->cfg = *cfg;
    else
        ix->cfg = (match_config_t){0.88, 0.08, 5, NULL, false, false};
    char serr[160] = "";
    const match_words_t *words = ix->cfg.words;
    if (words_build(&ix->words, ix->arena, words) != 0)
        goto fail;
    ix->cfg.words = NULL; /* borrowed for the build only */
    if ((ix->script = script_shared(serr, sizeof serr)) == NULL) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "match index: %s", serr);
        goto fail_quiet;
    }
    /* The people's index and the organisations' tables are built side
     * by side when the caller lends threads: at a million names 3.2 and
     * 1.7 s of one thread, and the organisations' thread then spends
     * the difference on the neighbour pass. (Tried when the loader still
     * held every registry file's parsed tree, it raised the load's peak
     * from 1,192 to 1,553 MiB, a thread allocating from a malloc arena of
     * its own where the trees' freed heap was not reused; the loader now
     * frees each tree as soon as it is read.) */
    h = (halves_t){&b, tmp, ents, words != NULL ? &words->person : NULL, serr, sizeof serr, 0, {0}};
    atomic_init(&h.nb.next, 0);
    atomic_init(&h.nb.state, 0);
    bool side_by_side = run != NULL && n_tasks >= 2 && ix->n_ents >= NB_THREAD_MIN;
    match_run_pair(side_by_side ? run : NULL, run_ctx, half_people, half_orgs, &h);
    if (ix->people == NULL) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "match index: people: %s", serr);
        goto fail_quiet;
    }
    if (h.rc != 0 || nb_rest(&h.nb, ix, run, run_ctx, n_tasks) != 0)
        goto fail;
    nb_free(&h.nb);
    arena_destroy(&tmp);
    return ix;
fail:
    build_oom(&b);
fail_quiet:
    nb_free(&h.nb);
    free(b.map.slot);
    arena_destroy(&tmp);
    if (ix != NULL) {
        if (b.cap_toks)
            free(ix->toks);
        person_ix_destroy(&ix->people);
        arena_destroy(&ix->arena);
        free(ix);
    }
    return NULL;
}

void
match_index_destroy(match_index_t **ip)
{
    if (ip == NULL || *ip == NULL)
        return;
    person_ix_destroy(&(*ip)->people);
    arena_destroy(&(*ip)->arena);
    free(*ip);
    *ip = NULL;
}

size_t
match_index_memory(const match_index_t *ix)
{
    return ix ? sizeof *ix + arena_reserved(ix->arena) + person_ix_memory(ix->people) : 0;
}
