/* SPDX-License-Identifier: Apache-2.0 */
/* affil.c -- affiliation strings: a partner as institutions write it
 * ("Natl Univ Def Technol, Coll Comp Sci & Technol, Changsha 410073,
 * Hunan, Peoples R China"; "School of ..., Harbin Institute of
 * Technology"; "Iran Electronics Industries (IEI)"; "CETC 14th Research
 * Institute"; "Huawei Technologies Canada Co., Ltd.").
 *
 * The string is cut into segments (commas, semicolons, parentheses...)
 * and words, each word in its canonical form (words.c). Candidate spans
 * are every prefix of a segment and every part after "of"/"at"; each is
 * looked up by canonical key, a hash probe. A span that names a listed
 * organisation is then judged by what surrounds it:
 *   - nothing but addresses, places, postcodes, a parenthesised acronym:
 *     the organisation itself (exact);
 *   - a department, school, laboratory, campus, hospital or numbered
 *     institute (words.cfg units): a unit of it;
 *   - after a company's name, only places, "Research", "Technologies",
 *     legal forms (words.cfg branches): a branch or subsidiary (related;
 *     for a university or institute, a campus: unit);
 *   - anything else: nothing (the fuzzy search still runs).
 * Short forms and acronyms identify only with the country's agreement,
 * or inside a numbered unit ("CETC 14th Research Institute"). Chinese
 * text has no spaces: its prefixes and suffixes are probed by character. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "fold.h"
#include "match_int.h"
#include "norm.h"

#define AF_MAX_TOK 64 /* words analysed; the rest of a long string is ignored */
#define AF_MAX_SEG 16 /* segments analysed */
#define AF_MIN_CJK 2  /* shortest CJK prefix probed (code points) */
#define AF_MIN_CJK_SUFFIX 4

/* One canonical word of the query. */
typedef struct atok {
    const char *s;     /* canonical word (scratch), or the stop word */
    uint32_t len;      /* its length */
    uint32_t off, end; /* bytes of the raw word it came from */
    uint8_t seg;       /* segment */
    bool stop;         /* a stop word: in no key */
    bool bound;        /* "of", "at"...: a part may start after it */
    bool unit, place, branch, qual, digit, cjk;
} atok_t;

/* One segment: words first..first+n. */
typedef struct aseg {
    uint32_t first, n;
    uint32_t content; /* words that are not stop words */
    bool paren;       /* inside parentheses */
    bool unit;        /* has a unit word */
    bool ignorable;   /* an address, a place, a postcode, an acronym, a legal form */
} aseg_t;

/* The analysed query. */
typedef struct aq {
    const match_index_t *ix;
    const match_query_t *q;
    const char *raw; /* the string analysed (Han folded to simplified) */
    size_t rawlen;
    bool spans; /* raw offsets are those of the caller's string */
    atok_t tok[AF_MAX_TOK];
    uint32_t n_tok;
    aseg_t seg[AF_MAX_SEG];
    uint32_t n_seg;
    arena_t *a;
} aq_t;

static const char *const bounds[] = {"of", "at", "de", "du", "des", "della", "di", "der", NULL};

static bool
is_bound(const char *s, size_t len)
{
    for (int i = 0; bounds[i]; i++)
        if (strlen(bounds[i]) == len && memcmp(bounds[i], s, len) == 0)
            return true;
    return false;
}

/* Length of a segment-breaking character at s (0 if none). */
static size_t
seg_break(const unsigned char *s, size_t left, int *paren)
{
    *paren = 0;
    switch (s[0]) {
    case '(':
    case '[': *paren = 1; return 1;
    case ')':
    case ']': *paren = -1; return 1;
    case ',':
    case ';':
    case '|':
    case '\n':
    case '\r':
    case '\t': return 1;
    default: break;
    }
    if (left >= 3 && s[0] == 0xef && s[1] == 0xbc) {
        if (s[2] == 0x88) { /* （ */
            *paren = 1;
            return 3;
        }
        if (s[2] == 0x89) { /* ） */
            *paren = -1;
            return 3;
        }
        if (s[2] == 0x8c || s[2] == 0x9b) /* ， ； */
            return 3;
    }
    if (left >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x81) /* 、 */
        return 3;
    return 0;
}

/* Adds the canonical words of the raw word raw[off..end). */
static int
add_word(aq_t *z, size_t off, size_t end)
{
    const mwords_t *w = &z->ix->words;
    const char *norm;
    size_t nlen;
    /* fold_name joins single letters ("B.V." is "bv", a legal form). */
    char *word = arena_strndup(z->a, z->raw + off, end - off);
    if (word == NULL || fold_name(z->a, word, &norm, &nlen, NULL, 0) != 0)
        return -1;
    for (size_t i = 0; i < nlen;) {
        size_t st = i;
        while (i < nlen && norm[i] != ' ')
            i++;
        size_t tl = i - st;
        i++;
        if (tl == 0)
            continue;
        if (z->n_seg == 0 || z->n_tok == AF_MAX_TOK)
            return 0;
        char one[256];
        size_t cl = words_canon(w, norm + st, tl, one, sizeof one);
        const char *canon = one;
        bool bound = is_bound(norm + st, tl);
        if (cl == 0 && !norm_is_stopword(norm + st, tl)) {
            /* Too long to canonicalise: kept as written (as words_key does). */
            canon = norm + st;
            cl = tl;
        }
        if (cl == 0) {
            /* A stop word (or nothing left): kept for "of"/"at" only. */
            atok_t *t = &z->tok[z->n_tok++];
            memset(t, 0, sizeof *t);
            t->s = norm + st;
            t->len = (uint32_t)tl;
            t->off = (uint32_t)off;
            t->end = (uint32_t)end;
            t->seg = (uint8_t)(z->n_seg - 1);
            t->stop = true;
            t->bound = bound;
            z->seg[z->n_seg - 1].n++;
            continue;
        }
        for (size_t j = 0; j < cl && z->n_tok < AF_MAX_TOK;) {
            size_t js = j;
            while (j < cl && canon[j] != ' ')
                j++;
            char *c = arena_strndup(z->a, canon + js, j - js);
            if (c == NULL)
                return -1;
            atok_t *t = &z->tok[z->n_tok++];
            memset(t, 0, sizeof *t);
            t->s = c;
            t->len = (uint32_t)(j - js);
            t->off = (uint32_t)off;
            t->end = (uint32_t)end;
            t->seg = (uint8_t)(z->n_seg - 1);
            t->bound = bound;
            t->unit = words_in(w, WORD_UNIT, c, t->len);
            t->place = words_in(w, WORD_PLACE, c, t->len);
            t->branch = words_in(w, WORD_BRANCH, c, t->len) || t->place;
            t->qual = words_in(w, WORD_QUAL, c, t->len);
            t->cjk = (unsigned char)c[0] >= 0xe0;
            if (t->cjk)
                t->unit = words_cjk_unit(w, c, t->len);
            for (size_t k = 0; k < t->len && !t->digit; k++)
                t->digit = c[k] >= '0' && c[k] <= '9';
            aseg_t *sg = &z->seg[z->n_seg - 1];
            sg->n++;
            sg->content++;
            sg->unit |= t->unit;
            j++;
        }
    }
    return 0;
}

static void
open_seg(aq_t *z, bool paren)
{
    if (z->n_seg > 0 && z->seg[z->n_seg - 1].n == 0) {
        z->seg[z->n_seg - 1].paren = paren;
        return;
    }
    if (z->n_seg == AF_MAX_SEG)
        return;
    aseg_t *s = &z->seg[z->n_seg++];
    memset(s, 0, sizeof *s);
    s->first = z->n_tok;
    s->paren = paren;
}

/* Cuts the string into segments and canonical words. */
static int
tokenise(aq_t *z)
{
    const unsigned char *s = (const unsigned char *)z->raw;
    size_t n = z->rawlen, i = 0;
    bool paren = false;
    open_seg(z, false);
    while (i < n) {
        int p;
        size_t b = seg_break(s + i, n - i, &p);
        if (b > 0) {
            if (p > 0)
                paren = true;
            else if (p < 0)
                paren = false;
            open_seg(z, paren);
            i += b;
            continue;
        }
        if (s[i] == ' ') {
            i++;
            continue;
        }
        size_t st = i;
        while (i < n && s[i] != ' ' && seg_break(s + i, n - i, &p) == 0)
            i++;
        if (z->n_seg == AF_MAX_SEG &&
            z->seg[z->n_seg - 1].first + z->seg[z->n_seg - 1].n < z->n_tok)
            break;
        if (add_word(z, st, i) != 0)
            return -1;
    }
    /* "No. 39", "48-th": words that say nothing in a name. */
    for (uint32_t t = 0; t < z->n_tok; t++) {
        atok_t *a = &z->tok[t];
        const atok_t *pv = t > 0 && z->tok[t - 1].seg == a->seg ? &z->tok[t - 1] : NULL;
        const atok_t *nx = t + 1 < z->n_tok && z->tok[t + 1].seg == a->seg ? &z->tok[t + 1] : NULL;
        if (!a->stop && words_filler(pv ? pv->s : NULL, pv ? pv->len : 0, a->s, a->len,
                                     nx ? nx->s : NULL, nx ? nx->len : 0)) {
            a->stop = true;
            z->seg[a->seg].content--;
        }
    }
    for (uint32_t k = 0; k < z->n_seg; k++) {
        aseg_t *sg = &z->seg[k];
        bool all_place = sg->content > 0, digit = false, unknown_one = false;
        for (uint32_t t = sg->first; t < sg->first + sg->n; t++) {
            const atok_t *a = &z->tok[t];
            if (a->stop)
                continue;
            all_place &= a->place;
            digit |= a->digit;
        }
        unknown_one = sg->content == 1 && !sg->unit;
        sg->ignorable = sg->content == 0 || all_place || (digit && !sg->unit) || unknown_one;
    }
    return 0;
}

/* ---- judging a span --------------------------------------------------- */

/* Whether the entity's country and the query's disagree (both known). */
static bool
other_country(const aq_t *z, const reg_entity_t *e)
{
    const char *qc = z->q->country;
    return qc != NULL && qc[0] != '\0' && e->country != NULL && e->country[0] != '\0' &&
           strcasecmp(qc, e->country) != 0;
}

static bool
same_country(const aq_t *z, const reg_entity_t *e)
{
    const char *qc = z->q->country;
    return qc != NULL && qc[0] != '\0' && e->country != NULL && strcasecmp(qc, e->country) == 0;
}

/* True for a one-word name that few organisations' names use
 * (match_token_distinctive), of 5 letters or more: a brand ("Baidu", "Huawei") that can head its
 * subsidiaries' names ("Baidu Research"). */
static bool
distinctive(const match_index_t *ix, const mrec_t *rec)
{
    return rec->klen >= 5 && memchr(rec->key, ' ', rec->klen) == NULL &&
           match_token_distinctive(ix, rec->key, rec->klen, rec->entity);
}

/* What the rest of a lone CJK word is, around the probed part. */
enum {
    CJK_NONE = 0,       /* not a CJK probe */
    CJK_REST_UNIT = 1,  /* a prefix; the rest holds a unit word (学院, 研究所) */
    CJK_REST_OTHER = 2, /* a prefix; the rest is something else */
    CJK_AFTER_QUAL = 3, /* a suffix after a qualifier (中国人民解放军...) */
};

/* The method and score of record r found at words [i, j) of segment sg,
 * by what surrounds it; -1 when the surroundings say nothing. */
static int
judge(const aq_t *z, uint32_t sg, uint32_t i, uint32_t j, const mrec_t *rec, bool single, int cjk,
      double *score)
{
    const aseg_t *S = &z->seg[sg];
    const reg_entity_t *e = &z->ix->ents[rec->entity];
    uint32_t before = 0, after = 0;
    bool rest_unit = cjk == CJK_REST_UNIT, rest_branch = true, rest_digit = false;
    bool rest_all_digit = true, rest_plain = true; /* only units, places, numbers */
    for (uint32_t t = S->first; t < S->first + S->n; t++) {
        const atok_t *a = &z->tok[t];
        if (a->stop || (t >= i && t < j) || (t < i && a->qual))
            continue;
        if (t < i)
            before++;
        else
            after++;
        rest_unit |= a->unit;
        rest_branch &= a->branch || a->digit;
        rest_digit |= a->digit;
        rest_all_digit &= a->digit;
        rest_plain &= a->unit || a->place || a->digit;
    }
    bool others_ignorable = true, others_unit = false;
    for (uint32_t k = 0; k < z->n_seg; k++) {
        if (k == sg || z->seg[k].ignorable)
            continue;
        others_ignorable = false;
        others_unit |= z->seg[k].unit;
        for (uint32_t t = z->seg[k].first; t < z->seg[k].first + z->seg[k].n; t++)
            rest_digit |= z->tok[t].digit && z->seg[k].unit;
    }
    /* "Tianjin University of Technology" is not a part of "Tianjin
     * University": a name that goes on with "of", "for" or "and" is
     * another name. */
    for (uint32_t t = j; t < S->first + S->n; t++) {
        const atok_t *a = &z->tok[t];
        if (!a->stop)
            break;
        if (a->bound ||
            (a->len == 3 && (memcmp(a->s, "for", 3) == 0 || memcmp(a->s, "and", 3) == 0)))
            return -1;
    }
    bool inst = match_institution(e);
    bool cjk_rest = cjk == CJK_REST_UNIT || cjk == CJK_REST_OTHER;
    bool whole = before == 0 && after == 0 && !cjk_rest;
    /* A university's name followed by words that are neither a unit, a
     * place nor a number is a longer name ("Tianjin Univ Technol",
     * "Shahid Beheshti Univ Med Sci"): another body. */
    if (inst && after > 0 && !rest_plain)
        return -1;
    int method = -1;
    *score = 1.0;
    if (whole && others_ignorable)
        method = MATCH_EXACT;
    else if (rest_unit || others_unit || (after > 0 && rest_all_digit)) {
        /* A unit; a bare number after a group is its numbered institute
         * ("CETC 38"). */
        method = MATCH_UNIT;
        *score = 0.95;
    } else if (whole)
        method = MATCH_EXACT; /* one of several organisations named */
    else if (before == 0 && !cjk_rest && rest_branch) {
        method = inst ? MATCH_UNIT : MATCH_RELATED;
        *score = inst ? 0.95 : 0.92;
    }
    if (method < 0)
        return -1;
    bool numbered = method == MATCH_UNIT && rest_digit;
    /* A brand heading its subsidiaries' names ("Baidu Research",
     * "Hikvision Europe B.V."): one word, not an acronym. */
    bool brand = (method == MATCH_RELATED || method == MATCH_UNIT) && !rec->acronym &&
                 distinctive(z->ix, rec);
    if (single && !numbered && !brand && !(rec->is_short && same_country(z, e)))
        return -1; /* one word inside a longer name: too little to go on */
    if (rec->is_short && !same_country(z, e) && !numbered && !brand)
        return -1; /* an acronym or short form needs the country's word */
    if (other_country(z, e)) {
        /* A subsidiary abroad is what "related" means; an institution
         * abroad with the same name is another institution. */
        if (method == MATCH_RELATED || (method == MATCH_UNIT && !inst))
            return MATCH_RELATED; /* a company's lab abroad: its subsidiary */
        if (inst)
            return -1;
        *score = (method == MATCH_EXACT ? 1.0 : *score) - z->ix->cfg.country_penalty;
        method = MATCH_FUZZY;
    }
    return method;
}

/* ---- probing --------------------------------------------------------- */

/* Probes key[0..klen) and pushes each record judged at [i, j). Returns
 * the number pushed, or -1 on OOM. */
static int
probe(const aq_t *z, const char *key, size_t klen, uint32_t sg, uint32_t i, uint32_t j, bool single,
      int cjk, uint32_t off, uint32_t end, affil_push_fn push, void *ctx)
{
    const match_index_t *ix = z->ix;
    size_t lo, hi;
    int n = 0;
    keyidx_range(&ix->by_key, keyidx_hash(key, klen), &lo, &hi);
    for (size_t k = lo; k < hi; k++) {
        const mkey_t *mk = &ix->keys[(uint32_t)ix->by_key.ent[k]];
        if (mk->stem || mk->len != klen || memcmp(mk->s, key, klen) != 0)
            continue;
        uint32_t r = mk->rec;
        const mrec_t *rec = &ix->recs[r];
        double score;
        int m = judge(z, sg, i, j, rec, single, cjk, &score);
        if (m < 0 || score < ix->cfg.threshold)
            continue;
        uint32_t so = z->spans ? off : 0, sl = z->spans ? end - off : 0;
        if (push(ctx, r, (match_method_t)m, score, so, sl) != 0)
            return -1;
        n++;
    }
    return n;
}

/* Probes the prefixes and suffixes of a lone CJK word (Chinese has no
 * spaces: "哈尔滨工业大学计算机科学与技术学院"). */
static int
probe_cjk(const aq_t *z, uint32_t sg, const atok_t *t, uint32_t ti, affil_push_fn push, void *ctx)
{
    size_t at[129];
    int n = 0;
    for (size_t i = 0; i < t->len && n < 128;) {
        at[n] = i;
        int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)t->s + i,
                                              (utf8proc_ssize_t)(t->len - i), &c);
        if (k <= 0)
            return 0;
        n++;
        i += (size_t)k;
    }
    at[n] = t->len;
    /* Longest prefix first: the listed name, then what follows it. */
    for (int p = n - 1; p >= AF_MIN_CJK; p--) {
        const char *rest = t->s + at[p];
        size_t rl = t->len - at[p];
        int cjk = words_cjk_unit(&z->ix->words, rest, rl) ? CJK_REST_UNIT : CJK_REST_OTHER;
        int got = probe(z, t->s, at[p], sg, ti, ti + 1, false, cjk, t->off, t->end, push, ctx);
        if (got != 0)
            return got;
    }
    /* A suffix, after a qualifier only ("中国人民解放军国防科技大学"):
     * Chinese names often end with another name ("南京信息工程大学"). */
    for (int p = 1; p + AF_MIN_CJK_SUFFIX <= n; p++) {
        if (!words_in(&z->ix->words, WORD_QUAL, t->s, at[p]))
            continue;
        int got = probe(z, t->s + at[p], t->len - at[p], sg, ti, ti + 1, false, CJK_AFTER_QUAL,
                        t->off, t->end, push, ctx);
        if (got != 0)
            return got;
    }
    return 0;
}

/* Appends the key of segment k's words to key (at *kl, capacity cap). */
static bool
seg_key(const aq_t *z, uint32_t k, char *key, size_t *kl, size_t cap)
{
    const aseg_t *S = &z->seg[k];
    for (uint32_t t = S->first; t < S->first + S->n; t++) {
        const atok_t *a = &z->tok[t];
        if (a->stop)
            continue;
        if (*kl + a->len + 2 > cap)
            return false;
        if (*kl > 0)
            key[(*kl)++] = ' ';
        memcpy(key + *kl, a->s, a->len);
        *kl += a->len;
    }
    return true;
}

/* Two neighbouring segments as one name, in either order: Web of
 * Science writes "Chinese Acad Sci, Inst Comp Technol" for the
 * Institute of Computing Technology, Chinese Academy of Sciences. */
static int
probe_pairs(const aq_t *z, char *key, size_t cap, affil_push_fn push, void *ctx)
{
    const match_index_t *ix = z->ix;
    int total = 0;
    for (uint32_t k = 0; k + 1 < z->n_seg; k++) {
        const aseg_t *A = &z->seg[k], *B = &z->seg[k + 1];
        if (A->ignorable || B->ignorable || A->paren || B->paren || A->n == 0 || B->n == 0)
            continue;
        bool others_ignorable = true, others_unit = false;
        for (uint32_t o = 0; o < z->n_seg; o++) {
            if (o == k || o == k + 1 || z->seg[o].ignorable)
                continue;
            others_ignorable = false;
            others_unit |= z->seg[o].unit;
        }
        for (int order = 0; order < 2; order++) {
            size_t kl = 0;
            if (!seg_key(z, order ? k + 1 : k, key, &kl, cap) ||
                !seg_key(z, order ? k : k + 1, key, &kl, cap))
                continue;
            size_t lo, hi;
            keyidx_range(&ix->by_key, keyidx_hash(key, kl), &lo, &hi);
            for (size_t e = lo; e < hi; e++) {
                const mkey_t *mk = &ix->keys[(uint32_t)ix->by_key.ent[e]];
                if (mk->stem || mk->len != kl || memcmp(mk->s, key, kl) != 0 ||
                    ix->recs[mk->rec].is_short)
                    continue;
                const reg_entity_t *ent = &ix->ents[ix->recs[mk->rec].entity];
                match_method_t m = others_unit || !others_ignorable ? MATCH_UNIT : MATCH_EXACT;
                double score = m == MATCH_UNIT ? 0.95 : 1.0;
                if (other_country(z, ent)) {
                    if (match_institution(ent))
                        continue;
                    score -= ix->cfg.country_penalty;
                    m = MATCH_FUZZY;
                }
                if (score < ix->cfg.threshold)
                    continue;
                uint32_t off = z->tok[A->first].off, end = z->tok[B->first + B->n - 1].end;
                if (push(ctx, mk->rec, m, score, z->spans ? off : 0, z->spans ? end - off : 0) != 0)
                    return -1;
                total++;
            }
        }
    }
    return total;
}

/* The analysed string raw[0..rawlen) in a, or NULL on OOM. */
static aq_t *
analyse(const match_index_t *ix, const match_query_t *q, const char *raw, size_t rawlen, bool spans,
        arena_t *a)
{
    aq_t *z = arena_alloc(a, sizeof *z);
    if (z == NULL)
        return NULL;
    memset(z, 0, sizeof *z);
    z->ix = ix;
    z->q = q;
    z->raw = raw;
    z->rawlen = rawlen;
    z->spans = spans;
    z->a = a;
    return tokenise(z) == 0 ? z : NULL;
}

int
affil_find(const match_index_t *ix, const match_query_t *q, const char *raw, size_t rawlen,
           bool spans, arena_t *a, affil_push_fn push, void *ctx, affil_seg_t *segs,
           size_t cap_segs, size_t *n_segs)
{
    aq_t *z = analyse(ix, q, raw, rawlen, spans, a);
    if (z == NULL)
        return -1;
    /* The segments worth a fuzzy search of their own, for the caller's
     * last resort: not addresses, places or acronyms. */
    *n_segs = 0;
    for (uint32_t k = 0; k < z->n_seg && *n_segs < cap_segs; k++) {
        const aseg_t *S = &z->seg[k];
        if (S->ignorable || S->content < 2 || S->n == 0)
            continue;
        segs[*n_segs].off = z->tok[S->first].off;
        segs[*n_segs].len = z->tok[S->first + S->n - 1].end - segs[*n_segs].off;
        (*n_segs)++;
    }
    size_t cap = rawlen * 2 + 64;
    char *key = arena_alloc(a, cap);
    if (key == NULL)
        return -1;
    int total = 0;
    for (uint32_t sg = 0; sg < z->n_seg; sg++) {
        const aseg_t *S = &z->seg[sg];
        if (S->content == 0 || (S->paren && S->content < 2))
            continue;
        uint32_t end = S->first + S->n, last_content = S->first;
        for (uint32_t t = S->first; t < end; t++)
            if (!z->tok[t].stop)
                last_content = t;
        /* Starts: the segment's first word, the first after leading
         * qualifiers ("PLA ..."), and each word after "of"/"at". */
        uint32_t head = S->first;
        while (head < end && (z->tok[head].qual || z->tok[head].stop))
            head++;
        for (uint32_t st = S->first; st < end; st++) {
            if (st != S->first && st != head && !z->tok[st - 1].bound)
                continue;
            size_t kl = 0;
            uint32_t content = 0;
            int found = 0;
            /* From the first word every prefix; after "of" the rest only. */
            for (uint32_t j = st; j < end; j++) {
                const atok_t *t = &z->tok[j];
                if (!t->stop) {
                    if (kl + t->len + 2 > cap)
                        break;
                    if (kl > 0)
                        key[kl++] = ' ';
                    memcpy(key + kl, t->s, t->len);
                    kl += t->len;
                    content++;
                }
                bool last = j == last_content;
                bool from_head = st == S->first || st == head;
                if (t->stop || (!from_head && !last))
                    continue;
                bool whole = from_head && last;
                /* A part of a segment must say more than one word, but
                 * for the head of a numbered unit ("CETC 14th ..."). */
                bool single = !whole && content < 2 && !t->cjk;
                int got = probe(z, key, kl, sg, st, j + 1, single, CJK_NONE, z->tok[st].off, t->end,
                                push, ctx);
                if (got < 0)
                    return -1;
                if (got > 0)
                    found = got;
            }
            total += found;
        }
        if (S->content == 1) {
            for (uint32_t t = S->first; t < end; t++)
                if (z->tok[t].cjk && !z->tok[t].stop) {
                    int got = probe_cjk(z, sg, &z->tok[t], t, push, ctx);
                    if (got < 0)
                        return -1;
                    total += got;
                }
        }
    }
    if (total == 0) {
        int got = probe_pairs(z, key, cap, push, ctx);
        if (got < 0)
            return -1;
        total += got;
    }
    return total;
}
