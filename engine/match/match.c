/* match.c -- finding a partner in the registry: identifiers, exact names, fuzzy names. */
#include "match.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "norm.h"

/*
 * Design (everything below is built once by match_index_new, then only
 * read, so worker threads share it without locks):
 *
 *  - Names. Every name and alias of every entity is normalised (norm.h);
 *    names that are empty or only stop words are dropped, duplicates
 *    within an entity are kept once. Each survivor is a "record".
 *  - Tokens. Records are split on spaces into a token dictionary
 *    (common abbreviations spelled out first: "Inst." is "institute"). A
 *    token's weight is its IDF, log(1 + N / df) over the N records;
 *    stop words weigh a tenth of the lightest real token, so they can
 *    tip a close call but never make a match.
 *  - Lookup tables ("keyidx"): a sorted array of (hash32 << 32 | value)
 *    with a radix directory on the hash's top bits, so a probe is two
 *    cache lines. Four of them: normalised name -> record, token ->
 *    token id, identifier key -> identifier, and the deletion
 *    neighbourhood below. Hash hits are confirmed by comparing strings
 *    (the deletion table needs no check: its candidates are verified by
 *    edit distance).
 *  - Typos. Two tokens are "similar" when their edit distance (optimal
 *    string alignment, on code points) is at most one edit per ~6.5
 *    characters of the longer token: 1 edit from 6 characters, 2 edits
 *    from 13; words of 5 only allow two adjacent letters swapped. (From
 *    7 to 6 after make eval: a typo in a 6-letter word was found a third
 *    of the time, and allowing it cost no precision on the look-alikes.)
 *    The usual "1 edit from 4, 2 from 8" is too loose for names:
 *    Hunan/Henan and Northwestern/Northeastern are different
 *    universities one or two letters apart. Similar tokens are found
 *    SymSpell-style: the index holds each eligible token with 0, 1 and
 *    (13..20 code points) 2 code points deleted; a query token probes
 *    with the same deletions. Tokens with digits or CJK ideographs
 *    ("27th", "哈尔滨工业大学") only match exactly: one different
 *    character there is a different thing. English plurals are the
 *    third kind of similar token (stem_token): the index also holds the
 *    singular of every plain ASCII token, probed the same way.
 *    Stop words are in the deletion table too, so a misspelt legal form
 *    ("Corproation") is recognised as one rather than taken for a rare,
 *    telling word.
 *  - Postings: token -> records containing it, sorted by the record's
 *    total weight B.
 *  - Exact-name neighbours: for every record, the fuzzy matches of its
 *    own string (computed at load by the same code the request path
 *    uses). A query equal to a record's string has exactly those fuzzy
 *    matches, so an exact query costs a hash probe, not a fuzzy search.
 *
 * Scoring. For query tokens q (weights a) and record tokens r (weights
 * b), pairs (i, j) of similar tokens are assigned one-to-one, greedily
 * by best similarity (Jaro-Winkler on code points; 1 for equal tokens):
 *     score = sum s_ij * (a_i + b_j) / (A + B)
 * with A, B the total weights of both names, so unmatched tokens on
 * either side pull the score down in proportion to how telling they
 * are. A query token not in the dictionary weighs what its most similar
 * dictionary token weighs (a typo is as telling as the word), or the
 * weight of a token seen once if it resembles nothing.
 *
 * Candidate generation (per query name) is MaxScore-like: query tokens
 * are taken rarest first; a record first reached through token k can at
 * best collect Ra_k (query weight still to come) + min(B, Bm_k) (record
 * weight still matchable) over A + B. Its score can reach the
 * threshold only for B in an interval, found by binary search in the
 * B-sorted postings; once the interval is empty no later token can
 * admit anything and the search stops. Admitted candidates are then
 * scored exactly. The pruning only ever drops records whose score is
 * provably below the threshold.
 */

#define MAX_QTOK 32             /* query tokens scored; more count as unmatched */
#define MAX_REC_TOK 255         /* record tokens kept (longer names are truncated) */
#define MAX_TOKCP 32            /* longest token (code points) with typo tolerance */
#define MIN_FUZZY_CP 5          /* shortest token with any typo tolerance */
#define SWAP_MIN_CP 5           /* 5 code points: one adjacent swap only */
#define DEL1_MIN_CP 6           /* one edit of any kind from 6 code points */
#define DEL2_MIN_CP 13          /* two edits from 13 */
#define DEL2_MAX_CP 20          /* bounds the C(n,2) probes of a query token */
#define MAX_EXP 16              /* similar dictionary tokens kept per query token */
#define MAX_PAIRS 512           /* scored token pairs per candidate */
#define STOP_WEIGHT_FRACTION 0.1
#define ABBREV_SIM 0.98f        /* "inst" vs "institute": close, yet not the same text */

/* One sorted lookup table: ent[] holds hash << 32 | value. */
typedef struct keyidx {
    uint64_t *ent;              /* sorted entries (index arena) */
    uint32_t *dir;              /* dir[b]: first entry with hash >> shift >= b */
    size_t n;                   /* entries */
    unsigned shift;             /* 32 - directory bits */
} keyidx_t;

typedef struct mrec {
    uint32_t entity;            /* index into the registry */
    uint32_t name;              /* reg_entity_name index */
    const char *norm;           /* normalised name (index arena) */
    uint32_t len;               /* its length */
    uint32_t tok;               /* first of its tokens in rec_toks[] */
    uint16_t n_tok;             /* count of its tokens */
    float weight;               /* B: sum of its token weights */
    uint32_t nb;                /* first of its exact-name neighbours in nbs[] */
    uint32_t n_nb;              /* count of them */
} mrec_t;

typedef struct mtok {
    const char *s;              /* folded token (index arena) */
    uint32_t len;               /* byte length */
    uint16_t ncp;               /* code points */
    bool stop;                  /* a stop word */
    bool fuzzy;                 /* typo tolerant (no digits, no CJK, 6..32 code points) */
    bool plural;                /* takes part in plural matching (singular_cps) */
    float w;                    /* weight */
    uint32_t post;              /* first posting in posts[] */
    uint32_t n_post;            /* count of postings */
    uint32_t df;                /* records containing it */
} mtok_t;

typedef struct mpost {
    float weight;               /* the record's B (sort key) */
    uint32_t rec;               /* record index */
} mpost_t;

typedef struct mnb {
    uint32_t rec;               /* neighbouring record */
    float score;                /* fuzzy score before the country penalty */
} mnb_t;

typedef struct mid {
    const char *key;            /* "scheme\x1fvalue", normalised (index arena) */
    uint32_t len;               /* key length */
    uint32_t entity;            /* entity carrying it */
    uint32_t idx;               /* index in the entity's ids[] */
} mid_t;

struct match_index {
    arena_t *arena;             /* owns everything below */
    const reg_entity_t *ents;   /* borrowed registry */
    size_t n_ents;              /* its size */
    match_config_t cfg;         /* copy of the configuration */
    mrec_t *recs;               /* records */
    size_t n_recs;              /* count */
    uint32_t *rec_toks;         /* token ids of every record, concatenated */
    mtok_t *toks;               /* token dictionary */
    size_t n_toks;              /* count */
    mpost_t *posts;             /* postings of every token, concatenated */
    mnb_t *nbs;                 /* exact-name neighbours, concatenated */
    mid_t *ids;                 /* identifiers */
    size_t n_ids;               /* count */
    keyidx_t by_name;           /* norm string -> record */
    keyidx_t by_tok;            /* token string -> token id */
    keyidx_t by_del;            /* deletion variant -> token id */
    keyidx_t by_id;             /* identifier key -> ids[] index */
    double w_unseen;            /* weight of a query token like no known token */
    double w_stop;              /* weight of a stop word */
};

const char *
match_method_name(match_method_t m)
{
    switch (m) {
    case MATCH_ID: return "id";
    case MATCH_EXACT: return "exact";
    case MATCH_FUZZY: return "fuzzy";
    }
    return "?";
}

/* ---- hashing and the sorted lookup table ---------------------------- */

static uint32_t
mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return (uint32_t)(h >> 32);
}

static uint32_t
hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return mix64(h);
}

/* Hash of cp[0..n) without positions skip1 and skip2 (-1: none). */
static uint32_t
hash_del(const int32_t *cp, int n, int skip1, int skip2)
{
    uint64_t h = 0x84222325cbf29ce4ULL;
    for (int i = 0; i < n; i++)
        if (i != skip1 && i != skip2)
            h = (h ^ (uint32_t)cp[i]) * 0x100000001b3ULL;
    return mix64(h);
}

static int
u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Builds t from tmp[0..n) (sorted and deduplicated in place), copying
 * into arena a. Returns 0, or -1 on OOM. */
static int
keyidx_build(keyidx_t *t, arena_t *a, uint64_t *tmp, size_t n)
{
    if (n > 1)
        qsort(tmp, n, sizeof *tmp, u64_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || tmp[i] != tmp[m - 1])
            tmp[m++] = tmp[i];
    unsigned bits = 4;
    while (bits < 22 && ((size_t)1 << bits) * 2 < m)
        bits++;
    t->shift = 32 - bits;
    t->n = m;
    t->ent = arena_alloc(a, (m ? m : 1) * sizeof *t->ent);
    t->dir = arena_alloc(a, (((size_t)1 << bits) + 1) * sizeof *t->dir);
    if (t->ent == NULL || t->dir == NULL)
        return -1;
    if (m)
        memcpy(t->ent, tmp, m * sizeof *tmp);
    size_t e = 0;
    for (size_t b = 0; b <= ((size_t)1 << bits); b++) {
        while (e < m && (uint32_t)(t->ent[e] >> 32) >> t->shift < b)
            e++;
        t->dir[b] = (uint32_t)e;
    }
    return 0;
}

/* Range of entries that may hold hash h: [*lo, *hi). */
static void
keyidx_range(const keyidx_t *t, uint32_t h, size_t *lo, size_t *hi)
{
    uint32_t b = h >> t->shift;
    size_t i = t->dir[b], end = t->dir[b + 1];
    while (i < end && (uint32_t)(t->ent[i] >> 32) < h)
        i++;
    size_t j = i;
    while (j < end && (uint32_t)(t->ent[j] >> 32) == h)
        j++;
    *lo = i;
    *hi = j;
}

/* ---- code points, edit distance, Jaro-Winkler ----------------------- */

/* Decodes valid UTF-8 s[0..len) into cp; returns the count, or -1 if
 * more than cap code points. */
static int
decode_cps(const char *s, size_t len, int32_t *cp, int cap)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    int n = 0;
    while (p < end) {
        if (n == cap)
            return -1;
        unsigned c = *p;
        int32_t v;
        if (c < 0x80) {
            v = (int32_t)c;
            p += 1;
        } else if (c < 0xe0) {
            v = (int32_t)(((c & 0x1f) << 6) | (p[1] & 0x3f));
            p += 2;
        } else if (c < 0xf0) {
            v = (int32_t)(((c & 0x0f) << 12) | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f));
            p += 3;
        } else {
            v = (int32_t)(((c & 0x07) << 18) | ((p[1] & 0x3f) << 12)
                          | ((p[2] & 0x3f) << 6) | (p[3] & 0x3f));
            p += 4;
        }
        cp[n++] = v;
    }
    return n;
}

static bool
is_digit_cp(int32_t c)
{
    if (c < 0x80)
        return c >= '0' && c <= '9';
    /* Normalised text keeps only letters and numbers: a non-ASCII code
     * point is a number if it is in one of the decimal-digit blocks;
     * exotic numerals are rare enough in names to be treated as letters. */
    return (c >= 0x660 && c <= 0x669) || (c >= 0x6f0 && c <= 0x6f9)
           || (c >= 0xff10 && c <= 0xff19);
}

/* Typo tolerance applies to words of alphabetic scripts only. */
static bool
fuzzy_eligible(const int32_t *cp, int n)
{
    if (n < MIN_FUZZY_CP || n > MAX_TOKCP)
        return false;
    for (int i = 0; i < n; i++)
        if (is_digit_cp(cp[i]) || cp[i] >= 0x2e80)
            return false;
    return true;
}

static int
edits_allowed(int la, int lb)
{
    int m = la > lb ? la : lb;
    return m >= DEL2_MIN_CP ? 2 : m >= DEL1_MIN_CP ? 1 : 0;
}

/* True if b is a with two adjacent code points swapped: the commonest
 * slip of the fingers, and the only typo short words are allowed
 * ("Harbni"), since a changed letter there is often another name
 * ("Hunan", "Henan"). */
static bool
one_swap(const int32_t *a, int la, const int32_t *b, int lb)
{
    if (la != lb)
        return false;
    int i = 0;
    while (i < la && a[i] == b[i])
        i++;
    if (i + 1 >= la || a[i] != b[i + 1] || a[i + 1] != b[i])
        return false;
    for (i += 2; i < la; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Optimal string alignment distance, or k + 1 if it exceeds k. */
static int
osa_within(const int32_t *a, int la, const int32_t *b, int lb, int k)
{
    if (abs(la - lb) > k)
        return k + 1;
    uint8_t d[MAX_TOKCP + 1][MAX_TOKCP + 1];
    for (int i = 0; i <= la; i++)
        d[i][0] = (uint8_t)i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = (uint8_t)j;
    for (int i = 1; i <= la; i++) {
        int rowmin = 255;
        for (int j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && d[i - 2][j - 2] + 1 < c)
                c = d[i - 2][j - 2] + 1;
            d[i][j] = (uint8_t)c;
            if (c < rowmin)
                rowmin = c;
        }
        if (rowmin > k)
            return k + 1;
    }
    return d[la][lb] > k ? k + 1 : d[la][lb];
}

static double
jaro_winkler(const int32_t *a, int la, const int32_t *b, int lb)
{
    if (la == 0 || lb == 0)
        return 0.0;
    int win = (la > lb ? la : lb) / 2 - 1;
    if (win < 0)
        win = 0;
    bool ma[MAX_TOKCP] = { false }, mb[MAX_TOKCP] = { false };
    int m = 0;
    for (int i = 0; i < la; i++) {
        int lo = i - win < 0 ? 0 : i - win, hi = i + win + 1 > lb ? lb : i + win + 1;
        for (int j = lo; j < hi; j++)
            if (!mb[j] && a[i] == b[j]) {
                ma[i] = mb[j] = true;
                m++;
                break;
            }
    }
    if (m == 0)
        return 0.0;
    int t = 0;
    for (int i = 0, j = 0; i < la; i++) {
        if (!ma[i])
            continue;
        while (!mb[j])
            j++;
        if (a[i] != b[j])
            t++;
        j++;
    }
    double jaro = ((double)m / la + (double)m / lb + (double)(m - t / 2) / m) / 3.0;
    int p = 0;
    while (p < 4 && p < la && p < lb && a[p] == b[p])
        p++;
    return jaro + p * 0.1 * (1.0 - jaro);
}

/* ---- token folding -------------------------------------------------- */

/* Abbreviations of the generic words of organisation names, spelled
 * out for fuzzy matching only (exact matching compares whole normalised
 * names): "Harbin Inst. of Tech." meets "Harbin Institute of
 * Technology". */
static const struct {
    const char *from;           /* token as written */
    const char *to;             /* what it stands for */
} abbrevs[] = {
    { "acad", "academy" },      { "assn", "association" },
    { "assoc", "association" }, { "centre", "center" },
    { "ctr", "center" },        { "dept", "department" },
    { "eng", "engineering" },   { "engg", "engineering" },
    { "inst", "institute" },    { "lab", "laboratory" },
    { "labs", "laboratories" }, { "mfg", "manufacturing" },
    { "natl", "national" },     { "res", "research" },
    { "sci", "science" },       { "tech", "technology" },
    { "univ", "university" },
};

/* The dictionary form of a token: its abbreviation spelled out, or the
 * token itself. Sets *out (the token or a table string), returns its
 * length. */
static size_t
fold_token(const char *s, size_t len, const char **out)
{
    *out = s;
    if (len <= 6)
        for (size_t i = 0; i < sizeof abbrevs / sizeof abbrevs[0]; i++)
            if (strlen(abbrevs[i].from) == len && memcmp(abbrevs[i].from, s, len) == 0) {
                *out = abbrevs[i].to;
                return strlen(abbrevs[i].to);
            }
    return len;
}

/* The singular of a plain ASCII word of 5+ letters, by Harman's
 * S-stemmer (-ies -> -y, -es -> -e, -s -> -, sparing -aes -ees -oes -us
 * -ss), written into buf (len + 1 bytes). Returns its length, or 0 if
 * the token has no such form. Plurals are a third way two tokens can be
 * similar (besides equality and typos): "Technologies" ~ "Technology"
 * is three edits, too many for the typo rule. Only used to find and
 * accept similar tokens, never to rewrite them: stemming would shorten
 * words like "Cazares" and cost them their typo tolerance. */
static size_t
stem_token(const int32_t *cp, int n, char *buf)
{
    if (n < 5 || cp[n - 1] != 's')
        return 0;
    for (int i = 0; i < n; i++) {
        if (cp[i] < 'a' || cp[i] > 'z')
            return 0;
        buf[i] = (char)cp[i];
    }
    size_t m = (size_t)n;
    if (cp[n - 2] == 'e' && cp[n - 3] == 'i' && cp[n - 4] != 'e' && cp[n - 4] != 'a') {
        buf[n - 3] = 'y';
        m = (size_t)n - 2;
    } else if (cp[n - 2] == 'e') {
        if (cp[n - 3] == 'a' || cp[n - 3] == 'e' || cp[n - 3] == 'o')
            return 0;
        m = (size_t)n - 1;
    } else if (cp[n - 2] == 'u' || cp[n - 2] == 's')
        return 0;
    else
        m = (size_t)n - 1;
    buf[m] = '\0';
    return m;
}

/* The singular of cp[0..n) if it is a plural (see stem_token), else the
 * token itself, as code points in out; returns the count, or 0 if the
 * token takes no part in plural matching (not plain ASCII, or shorter
 * than 4 letters). */
static int
singular_cps(const int32_t *cp, int n, int32_t *out)
{
    char buf[MAX_TOKCP + 1];
    size_t m = stem_token(cp, n, buf);
    if (m > 0) {
        for (size_t i = 0; i < m; i++)
            out[i] = (unsigned char)buf[i];
        return (int)m;
    }
    if (n < 4)
        return 0;
    for (int i = 0; i < n; i++) {
        if (cp[i] < 'a' || cp[i] > 'z')
            return 0;
        out[i] = cp[i];
    }
    return n;
}

/* ---- scratch helpers ------------------------------------------------ */

/* Makes room for one more element of size sz in the arena-backed vector
 * (*v, *n, *cap). Returns 0, or -1 on OOM. */
static int
vec_reserve(arena_t *a, void **v, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = arena_alloc(a, nc * sz);
    if (p == NULL)
        return -1;
    if (n)
        memcpy(p, *v, n * sz);
    *v = p;
    *cap = nc;
    return 0;
}

/* Set of record ids, open addressing, in the scratch arena. */
typedef struct recset {
    uint32_t *slot;             /* rec + 1, 0 empty */
    uint32_t mask;              /* capacity - 1 */
    uint32_t *list;             /* members in insertion order */
    size_t n;                   /* count */
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

/* ---- fuzzy search --------------------------------------------------- */

typedef struct qtok {
    const char *s;              /* folded token (scratch or abbrevs[]) */
    uint32_t len;               /* byte length */
    int32_t tid;                /* dictionary token, or -1 */
    bool stop;                  /* a stop word */
    bool abbrev;                /* an abbreviation spelled out (fold_token) */
    double a;                   /* weight */
    double maxb;                /* heaviest similar dictionary token */
    int n_exp;                  /* similar dictionary tokens */
    uint32_t exp_tid[MAX_EXP];  /* their ids */
    float exp_sim[MAX_EXP];     /* their similarity (1 for the token itself) */
} qtok_t;

typedef struct fres {
    uint32_t rec;               /* matching record */
    double score;               /* before the country penalty */
} fres_t;

static int32_t
find_token(const match_index_t *ix, const char *s, size_t len)
{
    size_t lo, hi;
    keyidx_range(&ix->by_tok, hash_bytes(s, len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        uint32_t t = (uint32_t)ix->by_tok.ent[i];
        if (ix->toks[t].len == len && memcmp(ix->toks[t].s, s, len) == 0)
            return (int32_t)t;
    }
    return -1;
}

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
    int32_t cp[MAX_TOKCP];      /* code points */
    int n;                      /* count (<= 0: none) */
    int32_t sg[MAX_TOKCP];      /* singular (singular_cps) */
    int nsg;                    /* count (0: no plural matching) */
} qform_t;

/* Checks the dictionary tokens whose deletion variant has hash h: a
 * token is similar if within the typo budget (edits_allowed) or if both
 * have the same singular. */
static void
probe_del(const match_index_t *ix, qtok_t *q, const qform_t *f, uint32_t h,
          uint32_t *seen, int *n_seen)
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
        int dn = decode_cps(d->s, d->len, dcp, MAX_TOKCP);
        if (dn < 0)
            continue;
        int k = edits_allowed(f->n, dn);
        bool similar = d->fuzzy && f->n >= MIN_FUZZY_CP
                       && (k > 0 ? osa_within(f->cp, f->n, dcp, dn, k) <= k
                                 : one_swap(f->cp, f->n, dcp, dn));
        if (!similar && f->nsg > 0 && d->plural) {
            int nd = singular_cps(dcp, dn, dsg);
            similar = nd == f->nsg && memcmp(dsg, f->sg, (size_t)nd * sizeof *dsg) == 0;
        }
        if (similar)
            exp_add(q, t, (float)jaro_winkler(f->cp, f->n, dcp, dn));
    }
}

/* Fills q's similar dictionary tokens and weights. A token that is not
 * a stop word but most resembles one ("Corproation") counts as one. */
static void
expand_token(const match_index_t *ix, qtok_t *q)
{
    q->tid = find_token(ix, q->s, q->len);
    q->stop = q->tid >= 0 ? ix->toks[q->tid].stop : norm_is_stopword(q->s, q->len);
    q->n_exp = 0;
    if (q->tid >= 0)
        exp_add(q, (uint32_t)q->tid, q->abbrev ? ABBREV_SIM : 1.0f);
    qform_t f;
    f.n = q->stop ? -1 : decode_cps(q->s, q->len, f.cp, MAX_TOKCP);
    f.nsg = f.n > 0 ? singular_cps(f.cp, f.n, f.sg) : 0;
    uint32_t seen[64];
    int n_seen = 0;
    if (f.nsg > 0)
        probe_del(ix, q, &f, hash_del(f.sg, f.nsg, -1, -1), seen, &n_seen);
    if (f.n > 0 && fuzzy_eligible(f.cp, f.n)) {
        int n = f.n;
        probe_del(ix, q, &f, hash_del(f.cp, n, -1, -1), seen, &n_seen);
        if (n >= SWAP_MIN_CP)
            for (int i = 0; i < n; i++)
                probe_del(ix, q, &f, hash_del(f.cp, n, i, -1), seen, &n_seen);
        if (n >= DEL2_MIN_CP && n <= DEL2_MAX_CP)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    probe_del(ix, q, &f, hash_del(f.cp, n, i, j), seen, &n_seen);
    }
    q->maxb = 0;
    int best = -1;
    for (int i = 0; i < q->n_exp; i++) {
        double w = ix->toks[q->exp_tid[i]].w;
        if (w > q->maxb)
            q->maxb = w;
        if (best < 0 || q->exp_sim[i] > q->exp_sim[best]
            || (q->exp_sim[i] == q->exp_sim[best] && w > ix->toks[q->exp_tid[best]].w))
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

typedef struct tpair {
    float s;                    /* similarity */
    uint8_t i;                  /* query token */
    uint8_t j;                  /* record token */
} tpair_t;

/* The exact score of record r against the query tokens (see top). */
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
                    pairs[k] = (tpair_t){ qt[i].exp_sim[e], (uint8_t)i, (uint8_t)j };
                }
    uint64_t qused = 0;
    bool rused[MAX_REC_TOK] = { false };
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

/* Finds the records whose fuzzy score against the normalised name
 * norm[0..len) is at least the threshold; appends them to (*res, *n,
 * *cap) in the scratch arena. Returns 0, or -1 on OOM. */
static int
fuzzy_search(const match_index_t *ix, const char *norm, size_t len, arena_t *scratch,
             fres_t **res, size_t *n_res, size_t *cap_res)
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
            A += ix->w_unseen;      /* beyond what we score: unmatched */
            continue;
        }
        qt[nq].len = (uint32_t)fold_token(norm + st, i - st, &qt[nq].s);
        qt[nq].abbrev = qt[nq].s != norm + st;
        expand_token(ix, &qt[nq]);
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
    if (recset_init(&cand, scratch, 64) != 0)
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
                if (recset_add(&cand, scratch, po->rec) != 0)
                    return -1;
            }
        }
    }

    for (size_t c = 0; c < cand.n; c++) {
        double s = score_record(ix, qt, nq, A, cand.list[c]);
        if (s < ix->cfg.threshold || s <= 0)
            continue;
        if (vec_reserve(scratch, (void **)res, *n_res, cap_res, sizeof **res) != 0)
            return -1;
        (*res)[(*n_res)++] = (fres_t){ cand.list[c], s };
    }
    return 0;
}

/* ---- building ------------------------------------------------------- */

/* Temporary string -> token id table used while building. */
typedef struct tokmap {
    uint32_t *slot;             /* tid + 1, 0 empty */
    size_t cap;                 /* power of two */
} tokmap_t;

typedef struct builder {
    match_index_t *ix;          /* being built */
    tokmap_t map;               /* token interning */
    size_t cap_toks;            /* capacity of ix->toks (malloc'd while building) */
    char *err;                  /* caller's buffer */
    size_t errcap;              /* its size */
} builder_t;

static int
build_oom(builder_t *b)
{
    if (b->err != NULL && b->errcap > 0)
        snprintf(b->err, b->errcap, "match index: out of memory");
    return -1;
}

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
        size_t k = hash_bytes(t->s, t->len) & (nc - 1);
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
    size_t k = hash_bytes(s, len) & (b->map.cap - 1);
    while (b->map.slot[k] != 0) {
        const mtok_t *t = &ix->toks[b->map.slot[k] - 1];
        if (t->len == len && memcmp(t->s, s, len) == 0)
            return b->map.slot[k] - 1;
        k = (k + 1) & (b->map.cap - 1);
    }
    if (ix->n_toks == b->cap_toks) {
        size_t nc = b->cap_toks ? b->cap_toks * 2 : 1024;
        mtok_t *nt = realloc(ix->toks, nc * sizeof *nt);
        if (nt == NULL)
            return -1;
        ix->toks = nt;
        b->cap_toks = nc;
    }
    mtok_t *t = &ix->toks[ix->n_toks];
    memset(t, 0, sizeof *t);
    if ((t->s = arena_strndup(ix->arena, s, len)) == NULL)
        return -1;
    t->len = (uint32_t)len;
    t->stop = norm_is_stopword(s, len);
    int32_t cp[MAX_TOKCP];
    int n = decode_cps(s, len, cp, MAX_TOKCP);
    t->ncp = (uint16_t)(n < 0 ? MAX_TOKCP + 1 : n);
    int32_t sg[MAX_TOKCP];
    t->plural = n > 0 && singular_cps(cp, n, sg) > 0;
    t->fuzzy = n > 0 && fuzzy_eligible(cp, n);
    b->map.slot[k] = (uint32_t)++ix->n_toks;
    return (int64_t)ix->n_toks - 1;
}

/* A name's matching form: norm_text, then runs of two or more one-letter
 * words joined ("s a" -> "sa"), so that "S.A.", "S. A." and "SA" are one
 * token, the legal form the stop-word list knows, and "B.V." meets "BV".
 * Registry names and queries both go through here. The result is in a
 * (or is norm_text's own); 0, or -1 with msg as norm_text. */
static int
name_form(arena_t *a, const char *name, const char **out, size_t *outlen, char *msg,
          size_t msgcap)
{
    const char *s;
    size_t len;
    if (norm_text(a, name, strlen(name), &s, &len, msg, msgcap) != 0)
        return -1;
    *out = s;
    *outlen = len;
    bool run = false;
    for (size_t i = 0; i + 2 < len && !run; i++)
        run = (i == 0 || s[i - 1] == ' ') && s[i] >= 'a' && s[i] <= 'z' && s[i + 1] == ' '
              && s[i + 2] >= 'a' && s[i + 2] <= 'z' && (i + 3 == len || s[i + 3] == ' ');
    if (!run)
        return 0;
    char *j = arena_alloc(a, len + 1);
    if (j == NULL) {
        if (msg != NULL && msgcap > 0)
            snprintf(msg, msgcap, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        /* Drop a space between two one-letter words. */
        bool single_before = i >= 1 && s[i - 1] >= 'a' && s[i - 1] <= 'z'
                             && (i == 1 || s[i - 2] == ' ');
        bool single_after = i + 1 < len && s[i + 1] >= 'a' && s[i + 1] <= 'z'
                            && (i + 2 == len || s[i + 2] == ' ');
        if (s[i] == ' ' && single_before && single_after)
            continue;
        j[n++] = s[i];
    }
    j[n] = '\0';
    *out = j;
    *outlen = n;
    return 0;
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
            if (name_form(tmp, name, &norm, &len, NULL, 0) != 0) {
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
            size_t flen = fold_token(s + st, i - st, &f);
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
            i++;                        /* the space */
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
        for (uint32_t k = 0; k < rec->n_tok; k++) {
            uint32_t t = ix->rec_toks[rec->tok + k];
            bool seen = false;
            for (uint32_t q = 0; q < k && !seen; q++)
                seen = ix->rec_toks[rec->tok + q] == t;
            if (seen)
                continue;
            mtok_t *tk = &ix->toks[t];
            ix->posts[tk->post + tk->n_post++] = (mpost_t){ rec->weight, (uint32_t)r };
        }
    }
    for (size_t t = 0; t < ix->n_toks; t++)
        if (ix->toks[t].n_post > 1)
            qsort(ix->posts + ix->toks[t].post, ix->toks[t].n_post, sizeof *ix->posts,
                  post_cmp);
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
        int n = decode_cps(tk->s, tk->len, cp, MAX_TOKCP);
        if (tk->plural) {
            int ns = singular_cps(cp, n, sg);
            tmp[m++] = (uint64_t)hash_del(sg, ns, -1, -1) << 32 | t;
        }
        if (!tk->fuzzy)
            continue;
        tmp[m++] = (uint64_t)hash_del(cp, n, -1, -1) << 32 | t;
        if (n >= SWAP_MIN_CP)
            for (int i = 0; i < n; i++)
                tmp[m++] = (uint64_t)hash_del(cp, n, i, -1) << 32 | t;
        if (n >= DEL2_MIN_CP && n <= DEL2_MAX_CP)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    tmp[m++] = (uint64_t)hash_del(cp, n, i, j) << 32 | t;
    }
    int rc = keyidx_build(&ix->by_del, ix->arena, tmp, m);
    free(tmp);
    return rc;
}

static int
build_name_tables(builder_t *b)
{
    match_index_t *ix = b->ix;
    size_t n = ix->n_recs > ix->n_toks ? ix->n_recs : ix->n_toks;
    uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    for (size_t r = 0; r < ix->n_recs; r++)
        tmp[r] = (uint64_t)hash_bytes(ix->recs[r].norm, ix->recs[r].len) << 32 | r;
    int rc = keyidx_build(&ix->by_name, ix->arena, tmp, ix->n_recs);
    for (size_t t = 0; rc == 0 && t < ix->n_toks; t++)
        tmp[t] = (uint64_t)hash_bytes(ix->toks[t].s, ix->toks[t].len) << 32 | t;
    if (rc == 0)
        rc = keyidx_build(&ix->by_tok, ix->arena, tmp, ix->n_toks);
    free(tmp);
    return rc;
}

/* The identifier key: scheme lower-cased and trimmed, a 0x1f separator,
 * the value trimmed, lower-cased, spaces and hyphens removed. Writes at
 * most cap bytes into out (which must hold strlen(scheme) +
 * strlen(value) + 2) and returns the length. */
static size_t
id_key(const char *scheme, const char *value, char *out)
{
    size_t n = 0;
    const char *parts[2] = { scheme, value };
    for (int p = 0; p < 2; p++) {
        const char *s = parts[p];
        size_t len = strlen(s), lo = 0;
        while (lo < len && (s[lo] == ' ' || s[lo] == '\t'))
            lo++;
        while (len > lo && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        for (size_t i = lo; i < len; i++) {
            char c = s[i];
            if (p == 1 && (c == ' ' || c == '-' || c == '\t'))
                continue;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c + ('a' - 'A'));
            out[n++] = c;
        }
        if (p == 0)
            out[n++] = '\x1f';
    }
    out[n] = '\0';
    return n;
}

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
            size_t len = id_key(id->scheme, id->value, k);
            tmp[ix->n_ids] = (uint64_t)hash_bytes(k, len) << 32 | ix->n_ids;
            ix->ids[ix->n_ids++] = (mid_t){ k, (uint32_t)len, (uint32_t)e, i };
        }
    int rc = keyidx_build(&ix->by_id, ix->arena, tmp, ix->n_ids);
    free(tmp);
    return rc;
}

/* For every record, the fuzzy matches of its own string but the records
 * spelled the same (those are exact matches). Records that share a
 * string share the list. */
static int
build_neighbours(builder_t *b, arena_t *tmp)
{
    match_index_t *ix = b->ix;
    size_t cap = 0, n = 0;
    mnb_t *all = NULL;
    int rc = 0;
    for (size_t r = 0; r < ix->n_recs && rc == 0; r++) {
        mrec_t *rec = &ix->recs[r];
        size_t lo, hi, same = r;
        keyidx_range(&ix->by_name, hash_bytes(rec->norm, rec->len), &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            uint32_t o = (uint32_t)ix->by_name.ent[i];
            if (o < same && ix->recs[o].len == rec->len
                && memcmp(ix->recs[o].norm, rec->norm, rec->len) == 0)
                same = o;
        }
        if (same != r) {
            rec->nb = ix->recs[same].nb;
            rec->n_nb = ix->recs[same].n_nb;
            continue;
        }
        arena_reset(tmp);
        fres_t *res = NULL;
        size_t nres = 0, capres = 0;
        if (fuzzy_search(ix, rec->norm, rec->len, tmp, &res, &nres, &capres) != 0) {
            rc = -1;
            break;
        }
        rec->nb = (uint32_t)n;
        for (size_t i = 0; i < nres; i++) {
            const mrec_t *o = &ix->recs[res[i].rec];
            if (o->len == rec->len && memcmp(o->norm, rec->norm, rec->len) == 0)
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                mnb_t *na = realloc(all, nc * sizeof *na);
                if (na == NULL) {
                    rc = -1;
                    break;
                }
                all = na;
                cap = nc;
            }
            all[n++] = (mnb_t){ res[i].rec, (float)res[i].score };
        }
        rec->n_nb = (uint32_t)n - rec->nb;
    }
    if (rc == 0) {
        ix->nbs = arena_alloc(ix->arena, (n ? n : 1) * sizeof *ix->nbs);
        if (ix->nbs == NULL)
            rc = -1;
        else if (n)
            memcpy(ix->nbs, all, n * sizeof *all);
    }
    free(all);
    return rc;
}

match_index_t *
match_index_new(const reg_entity_t *ents, size_t n, const match_config_t *cfg,
                char *err, size_t errcap)
{
    match_index_t *ix = calloc(1, sizeof *ix);
    builder_t b = { ix, { NULL, 0 }, 0, err, errcap };
    arena_t *tmp = arena_new(0);
    if (ix == NULL || tmp == NULL || (ix->arena = arena_new(256 * 1024)) == NULL)
        goto fail;
    ix->ents = ents;
    ix->n_ents = ents ? n : 0;
    if (cfg != NULL)
        ix->cfg = *cfg;
    else
        ix->cfg = (match_config_t){ 0.88, 0.08, 5 };
    if (build_records(&b, tmp) != 0 || build_tokens(&b) != 0
        || build_weights_and_postings(&b) != 0 || build_name_tables(&b) != 0
        || build_deletions(&b) != 0 || build_ids(&b) != 0)
        goto fail;
    /* The dictionary moves into the arena; token strings already live there. */
    mtok_t *toks = arena_alloc(ix->arena, (ix->n_toks ? ix->n_toks : 1) * sizeof *toks);
    if (toks == NULL)
        goto fail;
    if (ix->n_toks)
        memcpy(toks, ix->toks, ix->n_toks * sizeof *toks);
    free(ix->toks);
    ix->toks = toks;
    b.cap_toks = 0;
    free(b.map.slot);
    b.map.slot = NULL;
    if (build_neighbours(&b, tmp) != 0)
        goto fail;
    arena_destroy(&tmp);
    return ix;
fail:
    build_oom(&b);
    free(b.map.slot);
    arena_destroy(&tmp);
    if (ix != NULL) {
        if (b.cap_toks)
            free(ix->toks);
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
    arena_destroy(&(*ip)->arena);
    free(*ip);
    *ip = NULL;
}

size_t
match_index_memory(const match_index_t *ix)
{
    return ix ? sizeof *ix + arena_reserved(ix->arena) : 0;
}

/* ---- the request path ----------------------------------------------- */

typedef struct hitvec {
    match_hit_t *v;             /* hits (scratch arena) */
    size_t n;                   /* count */
    size_t cap;                 /* capacity */
} hitvec_t;

static int
push_hit(hitvec_t *h, arena_t *a, uint32_t ent, uint32_t name, match_method_t m, double s)
{
    if (vec_reserve(a, (void **)&h->v, h->n, &h->cap, sizeof *h->v) != 0)
        return -1;
    h->v[h->n++] = (match_hit_t){ ent, name, m, s };
    return 0;
}

/* Pushes a fuzzy hit after the country penalty, if it still clears the
 * threshold. */
static int
push_fuzzy(const match_index_t *ix, const match_query_t *q, hitvec_t *h, arena_t *a,
           uint32_t r, double s)
{
    const mrec_t *rec = &ix->recs[r];
    const char *ec = ix->ents[rec->entity].country;
    if (q->country != NULL && q->country[0] != '\0' && ec != NULL && ec[0] != '\0'
        && strcasecmp(q->country, ec) != 0)
        s -= ix->cfg.country_penalty;
    if (s < ix->cfg.threshold || s <= 0)
        return 0;
    return push_hit(h, a, rec->entity, rec->name, MATCH_FUZZY, s);
}

static int
match_name(const match_index_t *ix, const match_query_t *q, const char *name,
           const char *what, arena_t *a, hitvec_t *h, char *err, size_t errcap)
{
    const char *norm;
    size_t len;
    char msg[96];
    if (name_form(a, name, &norm, &len, msg, sizeof msg) != 0) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "%s: %s", what, msg);
        return -1;
    }
    if (len == 0 || norm_all_stopwords(norm, len))
        return 0;
    bool exact = false;
    size_t lo, hi;
    keyidx_range(&ix->by_name, hash_bytes(norm, len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        uint32_t r = (uint32_t)ix->by_name.ent[i];
        const mrec_t *rec = &ix->recs[r];
        if (rec->len != len || memcmp(rec->norm, norm, len) != 0)
            continue;
        /* Country is part of identity ("National Defense University"
         * exists in China and in the US): the same name in another
         * country is only a fuzzy match, for a human to confirm. */
        const char *ec = ix->ents[rec->entity].country;
        bool other_country = q->country != NULL && q->country[0] != '\0' && ec != NULL
            && ec[0] != '\0' && strcasecmp(q->country, ec) != 0;
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
    fres_t *res = NULL;
    size_t nres = 0, capres = 0;
    if (fuzzy_search(ix, norm, len, a, &res, &nres, &capres) != 0)
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
match_find(const match_index_t *ix, const match_query_t *q, arena_t *scratch,
           match_hit_t *out, size_t cap, char *err, size_t errcap)
{
    if (ix == NULL || q == NULL)
        return 0;
    hitvec_t h = { NULL, 0, 0 };
    for (size_t i = 0; i < q->n_ids; i++) {
        const char *sc = q->id_schemes ? q->id_schemes[i] : NULL;
        const char *va = q->id_values ? q->id_values[i] : NULL;
        if (sc == NULL || va == NULL)
            continue;
        char *k = arena_alloc(scratch, strlen(sc) + strlen(va) + 2);
        if (k == NULL)
            goto oom;
        size_t len = id_key(sc, va, k);
        size_t lo, hi;
        keyidx_range(&ix->by_id, hash_bytes(k, len), &lo, &hi);
        for (size_t e = lo; e < hi; e++) {
            const mid_t *id = &ix->ids[(uint32_t)ix->by_id.ent[e]];
            if (id->len == len && memcmp(id->key, k, len) == 0
                && push_hit(&h, scratch, id->entity, id->idx, MATCH_ID, 1.0) != 0)
                goto oom;
        }
    }
    if (q->name != NULL
        && match_name(ix, q, q->name, "name", scratch, &h, err, errcap) != 0)
        return -1;
    for (size_t i = 0; i < q->n_aliases; i++) {
        char what[32];
        snprintf(what, sizeof what, "aliases[%zu]", i);
        if (q->aliases != NULL && q->aliases[i] != NULL
            && match_name(ix, q, q->aliases[i], what, scratch, &h, err, errcap) != 0)
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
