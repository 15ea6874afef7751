/* SPDX-License-Identifier: Apache-2.0 */
/* match_int.h -- internals shared by the files of the matcher; not for other modules.
 *
 * The matcher, one job per file:
 *   match.c   the request path (match_find) and the method names
 *   build.c   building the index (match_index_new) and freeing it
 *   search.c  fuzzy search: query tokens, candidates, scores
 *   affil.c   affiliation strings: segments, spans, units, branches
 *   words.c   the ruleset's words: abbreviations, word forms, canonical keys
 *   fold.c    the forms strings are compared in: a name's matching
 *             form, identifier keys, token abbreviations and singulars
 *   keyidx.c  the sorted lookup tables (probes inline in keyidx.h)
 *   norm.c    text normalisation (norm.h)
 *   person.c  people's names: their own index and search (person.h)
 * String similarity itself (code points, edit distance, Jaro-Winkler)
 * is lib/strsim.h. */
#ifndef VET_MATCH_INT_H
#define VET_MATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "keyidx.h"
#include "match.h"
#include "registry.h"
#include "script.h"
#include "strsim.h"

/*
 * Design (everything below is built once by match_index_new, then only
 * read, so worker threads share it without locks):
 *
 *  - Names. Every name and alias of every entity but the individuals
 *    (type "individual": people have an index of their own, person.c,
 *    and a person's name never meets an organisation's) is normalised (norm.h);
 *    names that are empty or only stop words are dropped, duplicates
 *    within an entity are kept once. Each survivor is a "record".
 *  - Tokens. Records are split on spaces into a token dictionary
 *    (common abbreviations spelled out first: "Inst." is "institute"). A
 *    token's weight is its IDF, log(1 + N / df) over the N records;
 *    stop words weigh a tenth of the lightest real token, so they can
 *    tip a close call but never make a match.
 *  - Lookup tables (keyidx.h): a sorted array of (hash32 << 32 | value)
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
 *    third kind of similar token (fold_singular): the index also holds the
 *    singular of every plain ASCII token, probed the same way.
 *    Stop words are in the deletion table too, so a misspelt legal form
 *    ("Corproation") is recognised as one rather than taken for a rare,
 *    telling word.
 *  - Postings: token -> records containing it, sorted by the record's
 *    total weight B.
 *  - Canonical keys (words.c): every record also has its name in canonical
 *    form (the ruleset's abbreviations and word forms applied, singular,
 *    stop words and legal forms dropped, Han folded to simplified), in a
 *    table of its own; and spacing-free forms (its name and key without
 *    spaces, and for another script its Latin rendering, script.h), so
 *    "JSCARGUMENT" and "Guofang Keji Daxue" find their names. The request
 *    path (match.c, match_name) tries the name, its key, the affiliation
 *    analysis (affil.c), the spacing-free forms, then the fuzzy search.
 *  - Exact-name neighbours: for every record, the fuzzy matches of its
 *    own string (computed at load by the same code the request path
 *    uses). A query equal to a record's string has exactly those fuzzy
 *    matches, so an exact query costs a hash probe, not a fuzzy search.
 *    It is most of a large registry's load, so it runs on every core
 *    (build.c, build_neighbours: the same lists whichever thread finds
 *    them).
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
 * admit anything and the search stops. A record inside the interval is
 * then bounded from its own tokens before it is scored: each pair adds
 * at most best_i * a_i + best_j * b_j (the best similarity of either
 * token to any token of the other name), so the sum of that over the
 * query and record tokens that have a similar token at all caps m; a
 * record whose cap is below the threshold (at 1M names, most of the
 * ~256 records a query admits) is neither kept nor scored. Before its
 * tokens are read, a looser cap from the posting alone: a bit of each
 * of its tokens (mpost_t.sig) tells which query tokens it cannot hold,
 * and the rest with its whole weight B must still reach the threshold
 * (a name of common words, "United States Coast Guard Academy", walked
 * 5,000 postings of its rarest word, each a fetch of the record's
 * tokens, to admit none: 370 us at 1M names, now 25). Admitted
 * candidates are then scored exactly. The pruning only ever drops
 * records whose score is provably below the threshold.
 */

#define MAX_QTOK 32     /* query tokens scored; more count as unmatched */
#define MAX_REC_TOK 255 /* record tokens kept (longer names are truncated) */
#define MAX_TOKCP 32    /* longest token (code points) with typo tolerance */
#define MIN_FUZZY_CP 5  /* shortest token with any typo tolerance */
#define SWAP_MIN_CP 5   /* 5 code points: one adjacent swap only */
#define DEL1_MIN_CP 6   /* one edit of any kind from 6 code points */
#define DEL2_MIN_CP 13  /* two edits from 13 */
#define DEL2_MAX_CP 20  /* bounds the C(n,2) probes of a query token */
#define MAX_EXP 16      /* similar dictionary tokens kept per query token */
#define MAX_PAIRS 512   /* scored token pairs per candidate */
#define STOP_WEIGHT_FRACTION 0.1
#define ABBREV_SIM 0.98f /* "inst" vs "institute": close, yet not the same text */

/* ---- the words of names (words.c) ------------------------------------- */

enum {
    WORD_UNIT = 0,
    WORD_PLACE = 1,
    WORD_BRANCH = 2,
    WORD_QUAL = 3,
    WORD_KIND = 4,
    WORD_GENERIC = 5,
    WORD_NSETS = 6
};

/* The ruleset's words (match_words_t), compiled: immutable once built. */
typedef struct mwords {
    const char **from, **to;      /* word -> what it stands for (may be several words) */
    uint32_t *from_len, *to_len;  /* their lengths */
    size_t n_map;                 /* count */
    uint32_t max_to;              /* longest target */
    keyidx_t by_from;             /* from -> index */
    const char **set[WORD_NSETS]; /* canonical words of each set */
    uint32_t *set_len[WORD_NSETS];
    size_t n_set[WORD_NSETS];
    keyidx_t by_set[WORD_NSETS];
    const char **cjk_units; /* CJK unit words, matched inside a token ("研究所") */
    size_t n_cjk_units;
    const char **cjk_legal; /* CJK legal forms ending a name ("有限公司"), longest first */
    size_t n_cjk_legal;
} mwords_t;

/* Compiles src (NULL: no words) into w, allocating from a. Returns 0, or
 * -1 on OOM. */
int words_build(mwords_t *w, arena_t *a, const match_words_t *src);

/* What the normalised word s[0..len) stands for (its target, maybe
 * several words, *outlen bytes), or NULL if it is not rewritten. */
const char *words_map(const mwords_t *w, const char *s, size_t len, size_t *outlen);

/* The canonical form of one normalised word, written into out (cap
 * bytes, NUL-terminated): mapped, each resulting word singular
 * (fold_stem), stop words dropped. Returns its length (0: nothing left,
 * or it did not fit). */
size_t words_canon(const mwords_t *w, const char *tok, size_t len, char *out, size_t cap);

/* s[0..len) without its spaces, written NUL-terminated into out (len + 1
 * bytes): the spacing-free form names are also compared in. Returns its
 * length. */
size_t words_nospace(const char *s, size_t len, char *out);

/* True if the normalised word s[0..len), between prev and next (NULL at
 * either end), says nothing in a name: an ordinal's cut-off ending
 * ("48-th"), "No." before a number. */
bool words_filler(const char *prev, size_t plen, const char *s, size_t len, const char *next,
                  size_t nlen);

/* True if the canonical word s[0..len) is in set (WORD_UNIT, ...). */
bool words_in(const mwords_t *w, int set, const char *s, size_t len);

/* The length of the CJK name s[0..len) without the legal form that ends
 * it ("中国兵器工业集团有限公司" -> "中国兵器工业集团"). */
size_t words_cjk_strip(const mwords_t *w, const char *s, size_t len);

/* True if the CJK text s[0..len) contains a CJK unit word. */
bool words_cjk_unit(const mwords_t *w, const char *s, size_t len);

/* The canonical key of a normalised name: its words canonical
 * (words_canon), stop words dropped, one space between. Names that
 * differ only in legal form, function words, abbreviations, word forms
 * or plurals have the same key. Allocates from a; -1 on OOM. */
int words_key(const mwords_t *w, arena_t *a, const char *norm, size_t len, const char **out,
              size_t *outlen);

/* A record: one distinct normalised name of an entity. */
typedef struct mrec {
    uint32_t entity;  /* index into the registry */
    uint32_t name;    /* reg_entity_name index */
    const char *norm; /* normalised name (index arena) */
    uint32_t len;     /* its length */
    uint32_t tok;     /* first of its tokens in rec_toks[] */
    uint16_t n_tok;   /* count of its tokens */
    float weight;     /* B: sum of its token weights */
    uint32_t nb;      /* first of its exact-name neighbours in nbs[] */
    uint32_t n_nb;    /* count of them */
    const char *key;  /* canonical key (words_key; Han folded to simplified) */
    uint32_t klen;    /* its length */
    bool is_short;    /* a short form or acronym (identifies only with the
                       * country's agreement, see match.c) */
    bool acronym;     /* written as an acronym ("NUDT") */
} mrec_t;

/* A canonical key of a record: its own, or (for a company whose name
 * starts with its city, "Zhejiang Dahua Technology") the key without it. */
typedef struct mkey {
    const char *s; /* the key (index arena) */
    uint32_t len;  /* its length */
    uint32_t rec;  /* record */
    bool stem;     /* the name without the generic words that end it
                    * ("Shahid Beheshti" of "Shahid Beheshti University"):
                    * a short form, never an identification */
} mkey_t;

/* A spacing-free form of a record, for names whose words are joined or
 * split differently, or written in Latin letters (pinyin). */
typedef struct mns {
    const char *s; /* the form (index arena) */
    uint32_t len;  /* its length */
    uint32_t rec;  /* record */
} mns_t;

/* A dictionary token (a record token after fold_token). */
typedef struct mtok {
    const char *s;   /* folded token (index arena) */
    uint32_t len;    /* byte length */
    uint16_t ncp;    /* code points */
    bool stop;       /* a stop word */
    bool fuzzy;      /* typo tolerant (fold_typo_tolerant) */
    bool plural;     /* takes part in plural matching (fold_singular) */
    float w;         /* weight */
    uint32_t post;   /* first posting in posts[] */
    uint32_t n_post; /* count of postings */
    uint32_t df;     /* records containing it */
} mtok_t;

/* A posting: one record containing a token, with what the bound checked
 * before scoring reads of the record (search.c, xset_may_reach), so that
 * walking a posting list touches the record's tokens but not the record:
 * at a million names that took one cache miss of two off every posting
 * walked. */
typedef struct mpost {
    uint64_t sig;   /* its tokens, a bit each (match_tok_bit): what the
                     * search tells of them without reading them */
    float weight;   /* the record's B (sort key) */
    uint32_t rec;   /* record index */
    uint32_t tok;   /* its first token in rec_toks[] (mrec_t.tok) */
    uint32_t n_tok; /* its count of tokens (mrec_t.n_tok) */
} mpost_t;

/* The bit of dictionary token t in a posting's sig. */
static inline uint64_t
match_tok_bit(uint32_t t)
{
    return (uint64_t)1 << ((t * 0x9e3779b1u) >> 26);
}

/* An exact-name neighbour: a fuzzy match of a record's own string. */
typedef struct mnb {
    uint32_t rec; /* neighbouring record */
    float score;  /* fuzzy score before the country penalty */
} mnb_t;

/* An identifier of an entity, by its key (fold_id_key). */
typedef struct mid {
    const char *key; /* "scheme\x1fvalue", normalised (index arena) */
    uint32_t len;    /* key length */
    uint32_t entity; /* entity carrying it */
    uint32_t idx;    /* index in the entity's ids[] */
} mid_t;

/* The index (match.h's opaque handle): immutable once built. */
struct match_index {
    arena_t *arena;           /* owns everything below */
    const reg_entity_t *ents; /* borrowed registry */
    size_t n_ents;            /* its size */
    match_config_t cfg;       /* copy of the configuration */
    mrec_t *recs;             /* records */
    size_t n_recs;            /* count */
    uint32_t *rec_toks;       /* token ids of every record, concatenated */
    mtok_t *toks;             /* token dictionary */
    size_t n_toks;            /* count */
    mpost_t *posts;           /* postings of every token, concatenated */
    mnb_t *nbs;               /* exact-name neighbours, concatenated */
    mid_t *ids;               /* identifiers */
    size_t n_ids;             /* count */
    keyidx_t by_name;         /* norm string -> record */
    keyidx_t by_tok;          /* token string -> token id */
    keyidx_t by_del;          /* deletion variant -> token id */
    keyidx_t by_id;           /* identifier key -> ids[] index */
    mwords_t words;           /* the ruleset's words */
    mkey_t *keys;             /* canonical keys */
    size_t n_keys;            /* count */
    keyidx_t by_key;          /* canonical key -> keys[] index */
    mns_t *ns;                /* spacing-free forms */
    size_t n_ns;              /* count */
    keyidx_t by_ns;           /* spacing-free form -> ns[] index */
    script_t *script;         /* transliteration, traditional Chinese (the
                               * process's one, script_shared: borrowed) */
    double w_unseen;          /* weight of a query token like no known token */
    double w_stop;            /* weight of a stop word */
    struct person_ix *people; /* the individuals' names (person.c; owned):
                               * none of them is in the records above */
};

_Static_assert(MAX_TOKCP <= STRSIM_MAX_CP, "strsim compares tokens of MAX_TOKCP code points");
_Static_assert(MAX_QTOK <= 64, "score_record marks used query tokens in a uint64_t");
_Static_assert(MAX_REC_TOK <= 255, "a token pair holds a record token index in a uint8_t");

/* ---- fuzzy search (search.c) ------------------------------------------ */

/* One record that a fuzzy search found. */
typedef struct search_res {
    uint32_t rec; /* matching record */
    double score; /* before the country penalty */
} search_res_t;

/* Finds the records whose fuzzy score against the normalised name
 * norm[0..len) (in its matching form, fold_name) is at least the
 * threshold; appends them to the vector (*res, *n_res, *cap_res) in the
 * scratch arena, in the order they were reached. Returns 0, or -1 on
 * OOM. Thread-safe; allocates only from scratch. */
int search_fuzzy(const match_index_t *ix, const char *norm, size_t len, arena_t *scratch,
                 search_res_t **res, size_t *n_res, size_t *cap_res);

/* The similar dictionary tokens of each dictionary token, remembered
 * once found: the neighbour pass (build.c) searches every record's own
 * name, so it meets each common token thousands of times, and finding
 * its typos (the deletion probes) was a fifth of a million names' load.
 * One per thread (not shared); it only speeds a search up, never changes
 * it. */
typedef struct xcache xcache_t;

/* A cache for ix's dictionary; NULL on OOM (search without one). */
xcache_t *xcache_new(const match_index_t *ix);
void xcache_destroy(xcache_t **xp);

/* search_fuzzy, with the query tokens' expansions taken from and kept
 * in xc (NULL: none). The same results. */
int search_fuzzy_x(const match_index_t *ix, const char *norm, size_t len, arena_t *scratch,
                   xcache_t *xc, search_res_t **res, size_t *n_res, size_t *cap_res);

/* True for a body that belongs to one country (a university, an
 * institute): the same name abroad is another body, not a look-alike. */
static inline bool
match_institution(const reg_entity_t *e)
{
    return e->type != NULL &&
           (strcmp(e->type, "university") == 0 || strcmp(e->type, "research_institute") == 0);
}

/* True if the dictionary token s[0..len) is in the names of entity and
 * of at most BRAND_MAX_ENTITIES entities in all (a brand: "dahua",
 * "huawei"); false if unknown (build.c). */
#define BRAND_MAX_ENTITIES 3
bool match_token_distinctive(const match_index_t *ix, const char *s, size_t len, uint32_t entity);

/* ---- affiliation strings (affil.c) ----------------------------------- */

/* Receives one identification: record rec, how, its score, and the
 * bytes of the query string that named it (len 0: the whole string).
 * Returns 0, or -1 on OOM. */
typedef int (*affil_push_fn)(void *ctx, uint32_t rec, match_method_t m, double score, uint32_t off,
                             uint32_t len);

/* A segment of an affiliation string worth a fuzzy search of its own. */
typedef struct affil_seg {
    uint32_t off, len; /* its bytes in the string */
} affil_seg_t;

/* Analyses the query string raw[0..rawlen) (normalised Han already
 * simplified; spans false when raw is not the caller's own string, so
 * offsets would not point into it) and pushes every listed organisation
 * it names, judged by its surroundings (the comment at the top of
 * affil.c). Also writes into segs (at most cap_segs, *n_segs of them)
 * the segments that are not addresses, places or acronyms, so that the
 * caller's fuzzy search of each does not analyse the string again.
 * Returns how many were pushed, or -1 on OOM. */
int affil_find(const match_index_t *ix, const match_query_t *q, const char *raw, size_t rawlen,
               bool spans, arena_t *a, affil_push_fn push, void *ctx, affil_seg_t *segs,
               size_t cap_segs, size_t *n_segs);

/* The canonical key of a normalised name (words_key), Han folded to
 * simplified first. Returns 0, or -1 on OOM or a script failure. */
int match_key_of(const match_index_t *ix, arena_t *a, const char *norm, size_t len,
                 const char **key, size_t *klen);

/* ---- scratch vectors ---------------------------------------------------- */

/* Makes room for one more element of size sz in the arena-backed vector
 * (*v, n elements, *cap capacity), moving it into a larger block of a
 * when full (the old block stays in the arena until its reset). Returns
 * 0, or -1 on OOM (the vector is unchanged). */
static inline int
match_vec_reserve(arena_t *a, void **v, size_t n, size_t *cap, size_t sz)
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

#endif
