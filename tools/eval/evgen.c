/* SPDX-License-Identifier: Apache-2.0 */
/* evgen.c -- vet-eval's name variations: case, punctuation, order, legal forms, typos, spaces. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#include "evgen.h"

#include "hash.h"

#define EVGEN_MAX_NAME 1023
#define EVGEN_MAX_WORDS 128

typedef struct kind_info {
    const char *name;  /* report name */
    const char *about; /* one-line description */
} kind_info_t;

#define EVGEN_INFO_(e, n, d) {n, d},
static const kind_info_t kind_info[EVGEN_N] = {EVGEN_KINDS(EVGEN_INFO_)};
#undef EVGEN_INFO_

const char *
evgen_kind_name(evgen_kind_t k)
{
    return (unsigned)k < EVGEN_N ? kind_info[k].name : "?";
}

const char *
evgen_kind_about(evgen_kind_t k)
{
    return (unsigned)k < EVGEN_N ? kind_info[k].about : "?";
}

int
evgen_kind_find(const char *name)
{
    for (int k = 0; k < EVGEN_N; k++)
        if (strcmp(kind_info[k].name, name) == 0)
            return k;
    return -1;
}

uint64_t
evgen_hash(uint64_t h, const char *s)
{
    /* FNV-1a (hash.h) started from the offset basis mixed with h. */
    h ^= HASH_SEED;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        h = hash_unit(h, *p);
    return h;
}

/* ---- PRNG (splitmix64: small, well mixed, state passed explicitly) ---- */

static uint64_t
rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A uniform-enough number in [0, n); n > 0. */
static size_t
rng_below(uint64_t *s, size_t n)
{
    return (size_t)(rng_next(s) % n);
}

/* ---- words ------------------------------------------------------------- */

typedef struct words {
    char buf[EVGEN_MAX_NAME + 1]; /* the name, spaces turned into NULs */
    char *w[EVGEN_MAX_WORDS];     /* the words, pointing into buf */
    size_t n;                     /* number of words */
} words_t;

static bool
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static char
to_lower(char c)
{
    return is_upper((unsigned char)c) ? (char)(c - 'A' + 'a') : c;
}

/* Splits s at runs of white space. Returns -1 when there are more words
 * than EVGEN_MAX_WORDS (s fits: the caller checked its length). */
static int
words_split(words_t *ws, const char *s)
{
    memcpy(ws->buf, s, strlen(s) + 1);
    ws->n = 0;
    char *p = ws->buf;
    for (;;) {
        while (is_space((unsigned char)*p))
            *p++ = '\0';
        if (*p == '\0')
            return 0;
        if (ws->n == EVGEN_MAX_WORDS)
            return -1;
        ws->w[ws->n++] = p;
        while (*p != '\0' && !is_space((unsigned char)*p))
            p++;
    }
}

/* A small append-only string writer over the caller's buffer. */
typedef struct outbuf {
    char *p;    /* the buffer */
    size_t cap; /* its size */
    size_t len; /* bytes written, without the NUL */
    bool over;  /* something did not fit */
} outbuf_t;

static void
ob_init(outbuf_t *o, char *p, size_t cap)
{
    o->p = p;
    o->cap = cap;
    o->len = 0;
    o->over = cap == 0;
    if (cap > 0)
        p[0] = '\0';
}

static void
ob_putn(outbuf_t *o, const char *s, size_t n)
{
    if (o->over || o->len + n + 1 > o->cap) {
        o->over = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void
ob_puts(outbuf_t *o, const char *s)
{
    ob_putn(o, s, strlen(s));
}

/* The key of a word for table look-ups: its ASCII letters and digits,
 * lower-cased ("Co.," -> "co", "S.A." -> "sa", "L.L.C." -> "llc"). */
static void
word_key(const char *w, char *key, size_t cap)
{
    size_t k = 0;
    for (; *w != '\0' && k + 1 < cap; w++) {
        char c = *w;
        if (is_alpha((unsigned char)c) || (c >= '0' && c <= '9'))
            key[k++] = to_lower(c);
    }
    key[k] = '\0';
}

/* Whether word w has at least one ASCII letter and no ASCII lower-case letter. */
static bool
word_all_upper(const char *w)
{
    bool any = false;
    for (; *w != '\0'; w++) {
        if (*w >= 'a' && *w <= 'z')
            return false;
        if (is_upper((unsigned char)*w))
            any = true;
    }
    return any;
}

static bool
name_all_upper(const words_t *ws)
{
    bool any = false;
    for (size_t i = 0; i < ws->n; i++) {
        for (const char *p = ws->w[i]; *p != '\0'; p++)
            if (*p >= 'a' && *p <= 'z')
                return false;
        any = any || word_all_upper(ws->w[i]);
    }
    return any;
}

/* Writes s upper-cased (ASCII) when upper, as is otherwise. */
static void
ob_put_cased(outbuf_t *o, const char *s, bool upper)
{
    for (; *s != '\0'; s++) {
        char c = *s;
        if (upper && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        ob_putn(o, &c, 1);
    }
}

/* ---- word tables ----------------------------------------------------- */

/* Head nouns of institution names: "X University" <-> "University of X". */
static const char *const heads[] = {
    "university", "institute", "academy", "college",     "school",  "laboratory",
    "center",     "centre",    "bank",    "corporation", "company", NULL,
};

/* Words that are not swapped with a neighbour on their own. */
static const char *const small_words[] = {
    "of", "the", "and", "for", "de", "la", "del", "des", "du", "al", "el", "&", NULL,
};

static bool
in_table(const char *const *t, const char *key)
{
    for (size_t i = 0; t[i] != NULL; i++)
        if (strcmp(t[i], key) == 0)
            return true;
    return false;
}

/* Whether w, a whole word, is plain letters (no punctuation) -- only such
 * words move, so that "Co.," is not carried into the middle of a name. */
static bool
word_plain(const char *w)
{
    for (; *w != '\0'; w++)
        if (*w == ',' || *w == '.' || *w == '(' || *w == ')' || *w == ';')
            return false;
    return true;
}

/* ---- case -------------------------------------------------------------- */

enum { CASE_LOWER, CASE_UPPER, CASE_TITLE, CASE_N };

/* name with every code point lowered, raised, or title-cased by word. */
static int
recase(const char *name, int how, outbuf_t *o)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)name;
    bool word_start = true;
    while (*p != '\0') {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
        if (n <= 0) {
            /* Not UTF-8: copy the byte as it is. */
            ob_putn(o, (const char *)p, 1);
            p++;
            word_start = false;
            continue;
        }
        utf8proc_int32_t to = cp;
        if (how == CASE_LOWER || (how == CASE_TITLE && !word_start))
            to = utf8proc_tolower(cp);
        else
            to = utf8proc_toupper(cp);
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t m = utf8proc_encode_char(to, enc);
        ob_putn(o, (const char *)enc, (size_t)m);
        word_start = cp == ' ' || cp == '-' || cp == '(' || cp == '/';
        p += n;
    }
    return 0;
}

static int
gen_case(const char *name, uint64_t *rng, outbuf_t *o)
{
    int order[CASE_N] = {CASE_LOWER, CASE_UPPER, CASE_TITLE};
    /* Try the three styles from a random start; keep the first that changes the name. */
    size_t start = rng_below(rng, CASE_N);
    for (size_t i = 0; i < CASE_N; i++) {
        o->len = 0;
        o->p[0] = '\0';
        recase(name, order[(start + i) % CASE_N], o);
        if (o->over)
            return -1;
        if (strcmp(o->p, name) != 0)
            return 1;
    }
    return 0;
}

/* ---- punctuation ------------------------------------------------------- */

/* The byte length of a punctuation mark at p (ASCII or the typographic
 * quotes U+2018/2019/201C/201D), or 0. */
static size_t
punct_len(const char *p)
{
    static const char ascii[] = ".,;:'\"()[]!?";
    if (*p != '\0' && strchr(ascii, *p) != NULL)
        return 1;
    const unsigned char *u = (const unsigned char *)p;
    if (u[0] == 0xE2 && u[1] == 0x80 &&
        (u[2] == 0x98 || u[2] == 0x99 || u[2] == 0x9C || u[2] == 0x9D))
        return 3;
    return 0;
}

/* Writes s with white space runs collapsed to one space and trimmed. */
static void
ob_put_squeezed(outbuf_t *o, const char *s)
{
    bool space = false;
    for (; *s != '\0'; s++) {
        if (is_space((unsigned char)*s)) {
            space = o->len > 0;
            continue;
        }
        if (space)
            ob_putn(o, " ", 1);
        space = false;
        ob_putn(o, s, 1);
    }
}

static int
gen_punct_drop(const char *name, outbuf_t *o)
{
    char tmp[EVGEN_MAX_NAME + 1];
    size_t k = 0;
    for (const char *p = name; *p != '\0';) {
        size_t n = punct_len(p);
        if (n > 0) {
            p += n;
            continue;
        }
        tmp[k++] = (*p == '-' || *p == '/') ? ' ' : *p;
        p++;
    }
    tmp[k] = '\0';
    ob_put_squeezed(o, tmp);
    if (o->over)
        return -1;
    return strcmp(o->p, name) != 0 && o->len > 0 ? 1 : 0;
}

/* Whether w is an acronym that could take dots: 2 to 6 ASCII capitals only. */
static bool
is_acronym(const char *w)
{
    size_t n = strlen(w);
    if (n < 2 || n > 6)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_upper((unsigned char)w[i]))
            return false;
    return true;
}

/* Whether words i and i + 1 are both plain (no punctuation) and neither
 * is a small word: the gaps that punctuation may be put in, the pairs
 * that may swap. */
static bool
content_pair(const words_t *ws, size_t i)
{
    char a[32], b[32];
    word_key(ws->w[i], a, sizeof a);
    word_key(ws->w[i + 1], b, sizeof b);
    return word_plain(ws->w[i]) && word_plain(ws->w[i + 1]) && !in_table(small_words, a) &&
           !in_table(small_words, b) && strcmp(ws->w[i], ws->w[i + 1]) != 0 && a[0] != '\0' &&
           b[0] != '\0';
}

enum { PA_ACRONYM, PA_TRAILING_DOT, PA_COMMA, PA_HYPHEN, PA_N };

static int
gen_punct_add(const char *name, uint64_t *rng, outbuf_t *o)
{
    words_t ws;
    if (words_split(&ws, name) < 0 || ws.n == 0)
        return ws.n == 0 ? 0 : -1;
    /* Which additions apply, then one of them at random. */
    bool ok[PA_N] = {false};
    /* In a name written all in capitals no word can be told to be an
     * acronym, unless the name is one short word ("HIT"). */
    size_t n_acr = 0;
    bool upper = name_all_upper(&ws) && !(ws.n == 1 && strlen(ws.w[0]) <= 4);
    for (size_t i = 0; i < ws.n && !upper; i++)
        n_acr += is_acronym(ws.w[i]);
    ok[PA_ACRONYM] = n_acr > 0;
    const char *last = ws.w[ws.n - 1];
    char lc = last[strlen(last) - 1];
    ok[PA_TRAILING_DOT] = is_alpha((unsigned char)lc);
    size_t gaps[EVGEN_MAX_WORDS], n_gaps = 0;
    for (size_t i = 0; i + 1 < ws.n; i++)
        if (content_pair(&ws, i))
            gaps[n_gaps++] = i;
    ok[PA_COMMA] = n_gaps > 0;
    ok[PA_HYPHEN] = n_gaps > 0;
    size_t n_ok = 0;
    for (int i = 0; i < PA_N; i++)
        n_ok += ok[i];
    if (n_ok == 0)
        return 0;
    size_t pick = rng_below(rng, n_ok);
    int how = 0;
    for (int i = 0; i < PA_N; i++)
        if (ok[i] && pick-- == 0) {
            how = i;
            break;
        }
    size_t at = 0;
    if (how == PA_ACRONYM) {
        size_t which = rng_below(rng, n_acr);
        for (size_t i = 0; i < ws.n; i++)
            if (is_acronym(ws.w[i]) && which-- == 0)
                at = i;
    } else if (how == PA_COMMA || how == PA_HYPHEN) {
        at = gaps[rng_below(rng, n_gaps)]; /* the gap after word at */
    }
    for (size_t i = 0; i < ws.n; i++) {
        if (how == PA_ACRONYM && i == at) {
            for (const char *c = ws.w[i]; *c != '\0'; c++) {
                ob_putn(o, c, 1);
                ob_putn(o, ".", 1);
            }
        } else {
            ob_puts(o, ws.w[i]);
        }
        if (i + 1 < ws.n) {
            if (i == at && how == PA_COMMA)
                ob_puts(o, ", ");
            else if (i == at && how == PA_HYPHEN)
                ob_puts(o, "-");
            else
                ob_puts(o, " ");
        }
    }
    if (how == PA_TRAILING_DOT)
        ob_puts(o, ".");
    if (o->over)
        return -1;
    return strcmp(o->p, name) != 0 ? 1 : 0;
}

/* ---- word order -------------------------------------------------------- */

static int
gen_word_order(const char *name, uint64_t *rng, outbuf_t *o)
{
    words_t ws;
    if (words_split(&ws, name) < 0)
        return -1;
    if (ws.n < 2)
        return 0;
    char k0[32], k1[32], kl[32];
    word_key(ws.w[0], k0, sizeof k0);
    word_key(ws.w[1], k1, sizeof k1);
    word_key(ws.w[ws.n - 1], kl, sizeof kl);
    bool upper = name_all_upper(&ws);
    /* "University of X" -> "X University". */
    if (ws.n >= 3 && in_table(heads, k0) && strcmp(k1, "of") == 0 && word_plain(ws.w[0])) {
        for (size_t i = 2; i < ws.n; i++) {
            ob_puts(o, ws.w[i]);
            ob_puts(o, " ");
        }
        ob_puts(o, ws.w[0]);
        return o->over ? -1 : 1;
    }
    /* "X University" -> "University of X" (only where X has no "of"). */
    bool has_of = false;
    for (size_t i = 0; i + 1 < ws.n; i++) {
        char k[32];
        word_key(ws.w[i], k, sizeof k);
        has_of = has_of || strcmp(k, "of") == 0;
    }
    if (in_table(heads, kl) && !has_of && word_plain(ws.w[ws.n - 1])) {
        ob_puts(o, ws.w[ws.n - 1]);
        ob_put_cased(o, " of", upper);
        for (size_t i = 0; i + 1 < ws.n; i++) {
            ob_puts(o, " ");
            ob_puts(o, ws.w[i]);
        }
        return o->over ? -1 : 1;
    }
    /* "Harbin Institute of Technology" -> "Institute of Technology, Harbin":
     * a place (or founder) before a head noun moves to the end. */
    char k1h[32];
    word_key(ws.w[1], k1h, sizeof k1h);
    if (ws.n >= 3 && in_table(heads, k1h) && word_plain(ws.w[0]) && word_plain(ws.w[ws.n - 1])) {
        for (size_t i = 1; i < ws.n; i++) {
            ob_puts(o, ws.w[i]);
            ob_puts(o, i + 1 < ws.n ? " " : ", ");
        }
        ob_puts(o, ws.w[0]);
        return o->over ? -1 : 1;
    }
    /* Otherwise two adjacent plain words that are not small words. */
    size_t cand[EVGEN_MAX_WORDS], n_cand = 0;
    for (size_t i = 0; i + 1 < ws.n; i++)
        if (content_pair(&ws, i))
            cand[n_cand++] = i;
    if (n_cand == 0)
        return 0;
    size_t at = cand[rng_below(rng, n_cand)];
    char *t = ws.w[at];
    ws.w[at] = ws.w[at + 1];
    ws.w[at + 1] = t;
    for (size_t i = 0; i < ws.n; i++) {
        if (i > 0)
            ob_puts(o, " ");
        ob_puts(o, ws.w[i]);
    }
    return o->over ? -1 : 1;
}

/* ---- legal forms ------------------------------------------------------- */

/* Each legal form as word keys (abbreviated, spelled out) and how each is
 * written. Longer forms first, so "co ltd" wins over "co". */
typedef struct legal_form {
    const char *abbr_key; /* word keys of the abbreviation, space separated */
    const char *abbr;     /* as written */
    const char *full_key; /* word keys spelled out */
    const char *full;     /* as written */
} legal_form_t;

static const legal_form_t legal_forms[] = {
    {"co ltd", "Co., Ltd.", "company limited", "Company Limited"},
    {"pjsc", "PJSC", "public joint stock company", "Public Joint Stock Company"},
    {"ojsc", "OJSC", "open joint stock company", "Open Joint Stock Company"},
    {"cjsc", "CJSC", "closed joint stock company", "Closed Joint Stock Company"},
    {"jsc", "JSC", "joint stock company", "Joint Stock Company"},
    {"llc", "LLC", "limited liability company", "Limited Liability Company"},
    {"plc", "PLC", "public limited company", "Public Limited Company"},
    {"co", "Co.", "company", "Company"},
    {"ltd", "Ltd.", "limited", "Limited"},
    {"corp", "Corp.", "corporation", "Corporation"},
    {"inc", "Inc.", "incorporated", "Incorporated"},
    {"sa", "S.A.", "sociedad anonima", "Sociedad Anonima"},
    {"pvt", "Pvt.", "private", "Private"},
    {"intl", "Int'l", "international", "International"},
};
#define N_LEGAL (sizeof legal_forms / sizeof legal_forms[0])

/* Whether the words of ws from i on spell the keys (space-separated).
 * Sets *n to the number of words. */
static bool
words_match_keys(const words_t *ws, size_t i, const char *keys, size_t *n)
{
    char want[64];
    size_t k = 0;
    const char *p = keys;
    while (*p != '\0') {
        size_t l = strcspn(p, " ");
        if (l >= sizeof want || i + k >= ws->n)
            return false;
        memcpy(want, p, l);
        want[l] = '\0';
        char got[64];
        word_key(ws->w[i + k], got, sizeof got);
        if (strcmp(got, want) != 0)
            return false;
        k++;
        p += l;
        while (*p == ' ')
            p++;
    }
    *n = k;
    return k > 0;
}

typedef struct legal_hit {
    size_t at, n; /* words [at, at + n) */
    size_t form;  /* index in legal_forms */
    bool abbr;    /* found abbreviated (so it becomes spelled out) */
} legal_hit_t;

/* Finds the legal forms in ws, left to right, longest first, never
 * overlapping, and never the first word (a name is not its legal form). */
static size_t
legal_find(const words_t *ws, legal_hit_t *hits, size_t max)
{
    size_t n_hits = 0;
    for (size_t i = 1; i < ws->n && n_hits < max;) {
        size_t best = 0, best_form = 0;
        bool best_abbr = false;
        for (size_t f = 0; f < N_LEGAL; f++) {
            size_t n;
            if (words_match_keys(ws, i, legal_forms[f].abbr_key, &n) && n > best) {
                best = n;
                best_form = f;
                best_abbr = true;
            }
            if (words_match_keys(ws, i, legal_forms[f].full_key, &n) && n > best) {
                best = n;
                best_form = f;
                best_abbr = false;
            }
        }
        if (best == 0) {
            i++;
            continue;
        }
        hits[n_hits++] = (legal_hit_t){i, best, best_form, best_abbr};
        i += best;
    }
    return n_hits;
}

/* The punctuation that closed word w and is not part of a legal form's
 * spelling: a trailing comma or semicolon ("Co.," keeps its ","). */
static const char *
word_tail(const char *w)
{
    size_t n = strlen(w);
    if (n > 0 && (w[n - 1] == ',' || w[n - 1] == ';'))
        return w + n - 1;
    return "";
}

static int
gen_legal_form(const char *name, uint64_t *rng, outbuf_t *o)
{
    words_t ws;
    if (words_split(&ws, name) < 0)
        return -1;
    legal_hit_t hits[16];
    size_t n_hits = legal_find(&ws, hits, 16);
    if (n_hits == 0)
        return 0;
    legal_hit_t h = hits[rng_below(rng, n_hits)];
    const legal_form_t *f = &legal_forms[h.form];
    bool upper = name_all_upper(&ws);
    for (size_t i = 0; i < ws.n; i++) {
        if (i > 0)
            ob_puts(o, " ");
        if (i == h.at) {
            ob_put_cased(o, h.abbr ? f->full : f->abbr, upper);
            /* "Ltd.," keeps the comma that followed it. */
            ob_puts(o, word_tail(ws.w[h.at + h.n - 1]));
            i += h.n - 1;
            continue;
        }
        ob_puts(o, ws.w[i]);
    }
    if (o->over)
        return -1;
    return strcmp(o->p, name) != 0 ? 1 : 0;
}

static int
gen_legal_drop(const char *name, outbuf_t *o)
{
    words_t ws;
    if (words_split(&ws, name) < 0)
        return -1;
    legal_hit_t hits[16];
    size_t n_hits = legal_find(&ws, hits, 16);
    /* Drop the run of legal forms that ends the name ("Co., Ltd." or
     * "Company Limited"), keeping at least one word. */
    size_t end = ws.n;
    for (size_t k = n_hits; k > 0; k--) {
        if (hits[k - 1].at + hits[k - 1].n != end)
            break;
        end = hits[k - 1].at;
    }
    if (end == ws.n || end == 0)
        return 0;
    for (size_t i = 0; i < end; i++) {
        if (i > 0)
            ob_puts(o, " ");
        const char *w = ws.w[i];
        size_t n = strlen(w);
        /* "Acme, Ltd." -> "Acme", not "Acme,". */
        if (i + 1 == end && n > 1 && w[n - 1] == ',')
            n--;
        ob_putn(o, w, n);
    }
    if (o->over)
        return -1;
    return strcmp(o->p, name) != 0 ? 1 : 0;
}

/* ---- typos ------------------------------------------------------------- */

/* The letter runs of >= 5 ASCII letters of name: start offsets and lengths. */
static size_t
long_runs(const char *name, size_t *start, size_t *len, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; name[i] != '\0' && n < max;) {
        if (!is_alpha((unsigned char)name[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (is_alpha((unsigned char)name[j]))
            j++;
        /* A run glued to non-ASCII bytes is part of a non-Latin word: skip. */
        bool glued =
            (i > 0 && (unsigned char)name[i - 1] >= 0x80) || (unsigned char)name[j] >= 0x80;
        if (j - i >= 5 && !glued) {
            start[n] = i;
            len[n] = j - i;
            n++;
        }
        i = j;
    }
    return n;
}

static int
gen_typo(evgen_kind_t k, const char *name, uint64_t *rng, outbuf_t *o)
{
    size_t start[EVGEN_MAX_WORDS], len[EVGEN_MAX_WORDS];
    size_t n = long_runs(name, start, len, EVGEN_MAX_WORDS);
    if (n == 0)
        return 0;
    size_t r = rng_below(rng, n);
    size_t s = start[r], l = len[r];
    char tmp[EVGEN_MAX_NAME + 1];
    size_t nl = strlen(name);
    memcpy(tmp, name, nl + 1);
    if (k == EVGEN_TYPO_SUB) {
        size_t at = s + rng_below(rng, l);
        char c = tmp[at];
        char lc = to_lower(c);
        char nc = (char)('a' + rng_below(rng, 25));
        if (nc >= lc)
            nc++; /* never the same letter */
        if (is_upper((unsigned char)c))
            nc = (char)(nc - 'a' + 'A');
        tmp[at] = nc;
    } else if (k == EVGEN_TYPO_DEL) {
        size_t at = s + rng_below(rng, l);
        memmove(tmp + at, tmp + at + 1, nl - at);
    } else {
        /* Adjacent pairs of different letters ("ll" swapped is no typo). */
        size_t pos[EVGEN_MAX_NAME], np = 0;
        for (size_t i = s; i + 1 < s + l; i++)
            if (to_lower(tmp[i]) != to_lower(tmp[i + 1]))
                pos[np++] = i;
        if (np == 0)
            return 0;
        /* The letters swap, the case pattern stays ("China" -> "Hcina"). */
        size_t at = pos[rng_below(rng, np)];
        char a = tmp[at], b = tmp[at + 1];
        tmp[at] = is_upper((unsigned char)a) ? (char)(to_lower(b) - 'a' + 'A') : to_lower(b);
        tmp[at + 1] = is_upper((unsigned char)b) ? (char)(to_lower(a) - 'a' + 'A') : to_lower(a);
    }
    ob_puts(o, tmp);
    if (o->over)
        return -1;
    return strcmp(o->p, name) != 0 ? 1 : 0;
}

/* ---- "The", spaces ----------------------------------------------------- */

static int
gen_the(const char *name, outbuf_t *o)
{
    char k[8];
    words_t ws;
    if (words_split(&ws, name) < 0)
        return -1;
    if (ws.n == 0)
        return 0;
    word_key(ws.w[0], k, sizeof k);
    if (strcmp(k, "the") == 0)
        return 0;
    ob_puts(o, name_all_upper(&ws) ? "THE " : "The ");
    ob_puts(o, name);
    return o->over ? -1 : 1;
}

static int
gen_spaces(const char *name, uint64_t *rng, outbuf_t *o)
{
    size_t spaces[EVGEN_MAX_NAME], n = 0;
    for (size_t i = 0; name[i] != '\0'; i++)
        if (name[i] == ' ')
            spaces[n++] = i;
    bool lead = rng_below(rng, 2) == 0;
    if (lead)
        ob_puts(o, " ");
    if (n > 0) {
        size_t at = spaces[rng_below(rng, n)];
        ob_putn(o, name, at);
        ob_puts(o, "  ");
        ob_puts(o, name + at + 1);
    } else {
        ob_puts(o, name);
    }
    if (!lead)
        ob_puts(o, " ");
    return o->over ? -1 : 1;
}

/* ---- entry point ------------------------------------------------------- */

int
evgen_apply(evgen_kind_t k, const char *name, uint64_t seed, char *out, size_t cap)
{
    if (cap == 0 || strlen(name) > EVGEN_MAX_NAME)
        return -1;
    outbuf_t o;
    ob_init(&o, out, cap);
    uint64_t rng = evgen_hash(seed * 0x9e3779b97f4a7c15ULL + (uint64_t)k + 1, name);
    int r;
    switch (k) {
    case EVGEN_CASE: r = gen_case(name, &rng, &o); break;
    case EVGEN_PUNCT_DROP: r = gen_punct_drop(name, &o); break;
    case EVGEN_PUNCT_ADD: r = gen_punct_add(name, &rng, &o); break;
    case EVGEN_WORD_ORDER: r = gen_word_order(name, &rng, &o); break;
    case EVGEN_LEGAL_FORM: r = gen_legal_form(name, &rng, &o); break;
    case EVGEN_LEGAL_DROP: r = gen_legal_drop(name, &o); break;
    case EVGEN_TYPO_SUB:
    case EVGEN_TYPO_DEL:
    case EVGEN_TYPO_SWAP: r = gen_typo(k, name, &rng, &o); break;
    case EVGEN_THE: r = gen_the(name, &o); break;
    case EVGEN_SPACES: r = gen_spaces(name, &rng, &o); break;
    default: r = 0; break;
    }
    if (o.over)
        r = -1;
    if (r != 1)
        out[0] = '\0';
    return r;
}
