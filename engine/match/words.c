/* SPDX-License-Identifier: Apache-2.0 */
/* words.c -- the ruleset's words of organisation names, compiled for the
 * matcher: what a word stands for (abbreviations, word forms), which
 * words make a unit, a place or a branch, and the canonical key of a
 * name built from them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "match_int.h"
#include "norm.h"

/* Builds one lookup table: hash of each string -> its index. */
static int
build_table(keyidx_t *t, arena_t *a, const char *const *s, const uint32_t *len, size_t n)
{
    uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        tmp[i] = (uint64_t)keyidx_hash(s[i], len[i]) << 32 | i;
    int rc = keyidx_build(t, a, tmp, n);
    free(tmp);
    return rc;
}

/* Index of s[0..len) in strs (by table t), or -1. */
static int64_t
find(const keyidx_t *t, const char *const *strs, const uint32_t *lens, const char *s, size_t len)
{
    if (t->ent == NULL)
        return -1;
    size_t lo, hi;
    keyidx_range(t, keyidx_hash(s, len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        uint32_t k = (uint32_t)t->ent[i];
        if (lens[k] == len && memcmp(strs[k], s, len) == 0)
            return k;
    }
    return -1;
}

/* Appends the canonical form of one normalised word to out (capacity
 * cap, *n used, a space before it if not first); stop words add
 * nothing. Does not map (the caller did). Returns -1 if out is full. */
/* Stop words that still tell one organisation from another: "Huawei
 * Investment & Holding" is not "Huawei", nor "BGI Group" the "BGI" of
 * another entry. They stay in canonical keys (only legal forms and
 * function words go). */
static bool
identity_word(const char *s, size_t len)
{
    static const char *const keep[] = {"group",         "holding", "holdings",
                                       "international", "intl",    "enterprise",
                                       "enterprises",   "trading", NULL};
    for (int i = 0; keep[i]; i++)
        if (strlen(keep[i]) == len && memcmp(keep[i], s, len) == 0)
            return true;
    return false;
}

static int
put_canon_word(const char *s, size_t len, char *out, size_t cap, size_t *n)
{
    if (norm_is_stopword(s, len) && !identity_word(s, len))
        return 0;
    char sg[MAX_TOKCP + 1];
    size_t m = len <= MAX_TOKCP ? fold_stem(s, len, sg) : 0;
    if (m > 0) {
        s = sg;
        len = m;
    }
    if (*n + len + 2 > cap)
        return -1;
    if (*n > 0)
        out[(*n)++] = ' ';
    memcpy(out + *n, s, len);
    *n += len;
    out[*n] = '\0';
    return 0;
}

/* True for ASCII digits s[0..len). */
static bool
all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return len > 0;
}

bool
words_filler(const char *prev, size_t plen, const char *s, size_t len, const char *next,
             size_t nlen)
{
    /* "48-th", "1 st": an ordinal's ending cut off by punctuation. */
    if (len == 2 && prev != NULL && all_digits(prev, plen) &&
        (memcmp(s, "th", 2) == 0 || memcmp(s, "st", 2) == 0 || memcmp(s, "nd", 2) == 0 ||
         memcmp(s, "rd", 2) == 0))
        return true;
    /* "No. 39", "Number 39": the number is the name. */
    return next != NULL && all_digits(next, nlen) &&
           ((len == 2 && memcmp(s, "no", 2) == 0) || (len == 6 && memcmp(s, "number", 6) == 0));
}

size_t
words_canon(const mwords_t *w, const char *tok, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    if (len > 0 && (unsigned char)tok[0] >= 0xe0) {
        /* Chinese: no words to map; the legal form that ends it goes. */
        size_t m = words_cjk_strip(w, tok, len);
        if (m + 1 > cap)
            return 0;
        memcpy(out, tok, m);
        out[m] = '\0';
        return m;
    }
    /* "14th" is 14; "CETC14" is "CETC 14". */
    size_t d = 0;
    while (d < len && tok[d] >= '0' && tok[d] <= '9')
        d++;
    if (d > 0 && d < len) {
        const char *suf = tok + d;
        size_t sl = len - d;
        if (sl == 2 && (memcmp(suf, "th", 2) == 0 || memcmp(suf, "st", 2) == 0 ||
                        memcmp(suf, "nd", 2) == 0 || memcmp(suf, "rd", 2) == 0))
            len = d;
    }
    size_t split = 0;
    for (size_t i = 1; i < len && split == 0; i++) {
        bool a = tok[i - 1] >= '0' && tok[i - 1] <= '9', b = tok[i] >= '0' && tok[i] <= '9';
        bool la = tok[i - 1] >= 'a' && tok[i - 1] <= 'z', lb = tok[i] >= 'a' && tok[i] <= 'z';
        if ((a && lb) || (la && b))
            split = i;
    }
    if (split > 0 && len < 64) {
        size_t m1 = words_canon(w, tok, split, out, cap);
        char rest[256];
        size_t m2 = words_canon(w, tok + split, len - split, rest, sizeof rest);
        if (m1 + m2 + 2 > cap)
            return 0;
        if (m1 > 0 && m2 > 0)
            out[m1++] = ' ';
        memcpy(out + m1, rest, m2);
        out[m1 + m2] = '\0';
        return m1 + m2;
    }
    size_t tl;
    const char *t = words_map(w, tok, len, &tl);
    char sg[MAX_TOKCP + 1];
    if (t == NULL) {
        /* "Centres": the singular may be what is rewritten ("centre"). */
        size_t m = len <= MAX_TOKCP ? fold_stem(tok, len, sg) : 0;
        t = m > 0 ? words_map(w, sg, m, &tl) : NULL;
    }
    if (t == NULL) {
        t = tok;
        tl = len;
    }
    for (size_t i = 0; i < tl;) {
        size_t st = i;
        while (i < tl && t[i] != ' ')
            i++;
        if (i > st && put_canon_word(t + st, i - st, out, cap, &n) != 0)
            return 0;
        i++;
    }
    return n;
}

const char *
words_map(const mwords_t *w, const char *s, size_t len, size_t *outlen)
{
    int64_t k = find(&w->by_from, w->from, w->from_len, s, len);
    if (k < 0)
        return NULL;
    *outlen = w->to_len[k];
    return w->to[k];
}

bool
words_in(const mwords_t *w, int set, const char *s, size_t len)
{
    return find(&w->by_set[set], w->set[set], w->set_len[set], s, len) >= 0;
}

size_t
words_cjk_strip(const mwords_t *w, const char *s, size_t len)
{
    for (size_t i = 0; i < w->n_cjk_legal; i++) {
        size_t l = strlen(w->cjk_legal[i]);
        /* Something must be left: "公司" alone is no name. */
        if (l + 6 <= len && memcmp(s + len - l, w->cjk_legal[i], l) == 0)
            return len - l;
    }
    return len;
}

bool
words_cjk_unit(const mwords_t *w, const char *s, size_t len)
{
    for (size_t i = 0; i < w->n_cjk_units; i++) {
        size_t ul = strlen(w->cjk_units[i]);
        for (size_t k = 0; k + ul <= len; k++)
            if (memcmp(s + k, w->cjk_units[i], ul) == 0)
                return true;
    }
    return false;
}

int
words_key(const mwords_t *w, arena_t *a, const char *norm, size_t len, const char **out,
          size_t *outlen)
{
    /* A word can grow when mapped ("univ" -> "university"): room for
     * the longest mapping per word, bounded by the words' count. */
    size_t words = 1;
    for (size_t i = 0; i < len; i++)
        words += norm[i] == ' ';
    size_t cap = len + words * (w->max_to + 2) + 1;
    char *buf = arena_alloc(a, cap);
    if (buf == NULL)
        return -1;
    size_t n = 0;
    buf[0] = '\0';
    char one[256];
    const char *prev = NULL;
    size_t plen = 0;
    for (size_t i = 0; i < len;) {
        size_t st = i;
        while (i < len && norm[i] != ' ')
            i++;
        size_t ns = i + 1, ne = ns;
        while (ne < len && norm[ne] != ' ')
            ne++;
        bool filler = i > st && words_filler(prev, plen, norm + st, i - st,
                                             ns < len ? norm + ns : NULL, ns < len ? ne - ns : 0);
        prev = norm + st;
        plen = i - st;
        if (filler) {
            i++;
            continue;
        }
        size_t m = i > st ? words_canon(w, norm + st, i - st, one, sizeof one) : 0;
        const char *word = one;
        if (m == 0 && i > st && !norm_is_stopword(norm + st, i - st)) {
            /* Too long to canonicalise: kept as written, never dropped
             * (a dropped word would make a longer name equal a shorter). */
            word = norm + st;
            m = i - st;
        }
        if (m > 0) {
            if (n > 0)
                buf[n++] = ' ';
            memcpy(buf + n, word, m);
            n += m;
        }
        i++;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

/* Splits each entry of a word list into canonical words, appending them
 * to the set's vectors (multi-word entries contribute each word; CJK
 * entries go to the CJK unit list when set is WORD_UNIT). */
static int
add_set_words(mwords_t *w, arena_t *a, int set, const char *const *list, size_t n)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++)
        cap += 1 + strlen(list[i]) / 2;
    w->set[set] = arena_alloc(a, (cap ? cap : 1) * sizeof *w->set[set]);
    w->set_len[set] = arena_alloc(a, (cap ? cap : 1) * sizeof *w->set_len[set]);
    if (set == WORD_UNIT) {
        w->cjk_units = arena_alloc(a, (n ? n : 1) * sizeof *w->cjk_units);
        if (w->cjk_units == NULL)
            return -1;
    }
    if (w->set[set] == NULL || w->set_len[set] == NULL)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = list[i];
        if ((unsigned char)e[0] >= 0xe0 && set == WORD_UNIT) {
            w->cjk_units[w->n_cjk_units++] = e;
            continue;
        }
        if ((unsigned char)e[0] >= 0xe0 && m < cap) {
            /* A CJK entry is one word (Chinese has no spaces). */
            w->set[set][m] = e;
            w->set_len[set][m++] = (uint32_t)strlen(e);
            continue;
        }
        size_t len = strlen(e);
        for (size_t k = 0; k < len;) {
            size_t st = k;
            while (k < len && e[k] != ' ')
                k++;
            char one[256];
            size_t ol = k > st ? words_canon(w, e + st, k - st, one, sizeof one) : 0;
            /* A mapped word may be several ("airforce" -> "air force"). */
            for (size_t j = 0; j < ol && m < cap;) {
                size_t js = j;
                while (j < ol && one[j] != ' ')
                    j++;
                char *c = arena_strndup(a, one + js, j - js);
                if (c == NULL)
                    return -1;
                w->set[set][m] = c;
                w->set_len[set][m++] = (uint32_t)(j - js);
                j++;
            }
            k++;
        }
    }
    w->n_set[set] = m;
    return build_table(&w->by_set[set], a, w->set[set], w->set_len[set], m);
}

int
words_build(mwords_t *w, arena_t *a, const match_words_t *src)
{
    memset(w, 0, sizeof *w);
    static const match_words_t none = {0};
    if (src == NULL)
        src = &none;
    size_t n = src->n_map;
    w->from = arena_alloc(a, (n ? n : 1) * sizeof *w->from);
    w->to = arena_alloc(a, (n ? n : 1) * sizeof *w->to);
    w->from_len = arena_alloc(a, (n ? n : 1) * sizeof *w->from_len);
    w->to_len = arena_alloc(a, (n ? n : 1) * sizeof *w->to_len);
    if (w->from == NULL || w->to == NULL || w->from_len == NULL || w->to_len == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if ((w->from[i] = arena_strdup(a, src->map[i].from)) == NULL ||
            (w->to[i] = arena_strdup(a, src->map[i].to)) == NULL)
            return -1;
        w->from_len[i] = (uint32_t)strlen(w->from[i]);
        w->to_len[i] = (uint32_t)strlen(w->to[i]);
        if (w->to_len[i] > w->max_to)
            w->max_to = w->to_len[i];
    }
    w->n_map = n;
    if (build_table(&w->by_from, a, w->from, w->from_len, n) != 0)
        return -1;
    if (add_set_words(w, a, WORD_UNIT, src->units, src->n_units) != 0 ||
        add_set_words(w, a, WORD_PLACE, src->places, src->n_places) != 0 ||
        add_set_words(w, a, WORD_BRANCH, src->branches, src->n_branches) != 0 ||
        add_set_words(w, a, WORD_QUAL, src->qualifiers, src->n_qualifiers) != 0 ||
        add_set_words(w, a, WORD_KIND, src->kinds, src->n_kinds) != 0 ||
        add_set_words(w, a, WORD_GENERIC, src->generic, src->n_generic) != 0)
        return -1;
    /* Longest first, so "股份有限公司" goes before "有限公司" and "公司". */
    n = src->n_legal_suffixes;
    w->cjk_legal = arena_alloc(a, (n ? n : 1) * sizeof *w->cjk_legal);
    if (w->cjk_legal == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t k = w->n_cjk_legal++;
        while (k > 0 && strlen(w->cjk_legal[k - 1]) < strlen(src->legal_suffixes[i])) {
            w->cjk_legal[k] = w->cjk_legal[k - 1];
            k--;
        }
        w->cjk_legal[k] = src->legal_suffixes[i];
    }
    return 0;
}

size_t
words_nospace(const char *s, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ')
            out[n++] = s[i];
    out[n] = '\0';
    return n;
}
