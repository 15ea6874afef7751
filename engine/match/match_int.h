/* match_int.h -- internals shared by the files of the matcher; not for other modules.
 *
 * The matcher, one job per file:
 *   match.c   the request path (match_find) and the method names
 *   build.c   building the index (match_index_new) and freeing it
 *   search.c  fuzzy search: query tokens, candidates, scores
 *   fold.c    the forms strings are compared in: a name's matching
 *             form, identifier keys, token abbreviations and singulars
 *   keyidx.c  the sorted lookup tables (probes inline in keyidx.h)
 *   norm.c    text normalisation (norm.h)
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
#include "strsim.h"

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
} mrec_t;

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

/* A posting: one record containing a token. */
typedef struct mpost {
    float weight; /* the record's B (sort key) */
    uint32_t rec; /* record index */
} mpost_t;

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
    double w_unseen;          /* weight of a query token like no known token */
    double w_stop;            /* weight of a stop word */
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
