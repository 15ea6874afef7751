/* SPDX-License-Identifier: Apache-2.0 */
/* match.h -- finding a partner in the registry: identifiers, exact
 * names after normalisation, then fuzzy names.
 *
 * match_index_new builds, once per ruleset load, every structure the
 * request path needs (identifier table, normalised-name table, token
 * dictionary with weights, candidate index); match_find then answers
 * one query without locks and allocating only from the caller's arena. */
#ifndef VET_MATCH_H
#define VET_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "registry.h"

/* Method names in the wire format: "id", "exact", "unit", "related",
 * "fuzzy", from the most to the least confident (hits are ranked in
 * this order). Only id and exact identify the partner as the listed
 * organisation itself; the others ask a person to confirm:
 *   unit     a department, school, laboratory, campus, hospital or
 *            numbered institute OF the listed organisation, found in
 *            an affiliation string ("School of ..., Harbin Institute
 *            of Technology"; "CETC 14th Research Institute");
 *   related  a branch or subsidiary named after a listed company
 *            ("Huawei Technologies Canada Co., Ltd."): the listed
 *            parent, never the partner itself;
 *   fuzzy    a name that resembles a listed one (typos, transliteration,
 *            joined or split words, a short form without the country). */
typedef enum match_method {
    MATCH_ID = 0,
    MATCH_EXACT = 1,
    MATCH_UNIT = 2,
    MATCH_RELATED = 3,
    MATCH_FUZZY = 4,
} match_method_t;

#define MATCH_N_METHODS 5

const char *match_method_name(match_method_t m);

/* What a piece of identity evidence the request gives about a person
 * (partner.birth_date, partner.nationality) says of a match with a
 * listed individual; NONE for an organisation's match. Wire names:
 * "match", "differs", "not given", "not listed". */
typedef enum match_evidence {
    MATCH_EV_NONE = 0,       /* not a person's match */
    MATCH_EV_AGREES = 1,     /* the request's value agrees with a listed one */
    MATCH_EV_DIFFERS = 2,    /* the entry lists values and none agrees */
    MATCH_EV_NOT_GIVEN = 3,  /* the request gives none */
    MATCH_EV_NOT_LISTED = 4, /* the entry lists none */
} match_evidence_t;

/* "match", "differs", "not given", "not listed"; NULL for MATCH_EV_NONE. */
const char *match_evidence_name(match_evidence_t e);

/* True if s is a date of birth as requests and registry files write it:
 * "YYYY-MM-DD", "YYYY-MM" or "YYYY", a real calendar date with a year
 * from 1800 to 2100. When false, why (if not NULL) says what is wrong
 * ("month 13", "day 31 of month 2", "not YYYY-MM-DD, YYYY-MM or YYYY"). */
bool match_date_valid(const char *s, char *why, size_t whycap);

/* The words of organisation names, from the ruleset's words.cfg: how
 * the matcher reads "Natl Univ Def Technol, Coll Comp Sci, Changsha
 * 410073, Peoples R China". Every entry is normalised like names. */
typedef struct match_wordmap {
    const char *from; /* a word as written ("univ", "defence", "airforce") */
    const char *to;   /* what it stands for ("university", "defense", "air force") */
} match_wordmap_t;

/* The words of people's names, from words.cfg `person_names` (docs/RULES.md,
 * "People"). Every word is normalised, one word, Latin letters only: a
 * name in another script is compared in its Latin rendering (script.h). */
typedef struct match_person_words {
    const match_wordmap_t *variants; /* a spelling of a name -> the group's
                                      * first spelling ("mohammed" ->
                                      * "muhammad") */
    size_t n_variants;
    const match_wordmap_t *spellings; /* letters as written -> as read
                                       * ("kh" -> "h"); from may start with
                                       * '^' (word start) or end with '$'
                                       * (word end); to may be "" */
    size_t n_spellings;
    const char **particles; /* words that join a name and are no part of it
                             * ("al", "bin", "van", "de") */
    size_t n_particles;
    const char **joined; /* particles also written joined to the next word
                          * ("Alhusseini") */
    size_t n_joined;
    const char **titles; /* titles and honorifics ("dr", "haji") */
    size_t n_titles;
    const char **patronymics; /* endings of a father's name ("ovich"): such a
                               * word may be missing from the other name */
    size_t n_patronymics;
} match_person_words_t;

/* The form a word of a person's name is compared in, its spelling rules
 * applied (w->spellings: at each position the longest rule that applies,
 * anchors respected) and doubled letters written once ("hussein" ->
 * "husein"); variants are not looked up. word[0..len) is lower-case
 * ASCII; the form is written NUL-terminated into out (cap bytes).
 * Returns its length, or 0 if it is empty or does not fit. */
size_t match_person_spell(const match_person_words_t *w, const char *word, size_t len, char *out,
                          size_t cap);

typedef struct match_words {
    const match_wordmap_t *map; /* abbreviations and word forms */
    size_t n_map;
    const char **units; /* words that make a phrase a unit of an organisation
                         * ("school", "laboratory", "研究所") */
    size_t n_units;
    const char **places; /* countries, regions, cities, address words */
    size_t n_places;
    const char **branches; /* words that name a branch or subsidiary after its
                            * parent ("research", "technologies") */
    size_t n_branches;
    const char **qualifiers; /* words that may stand before a name without
                              * changing whom it names ("PLA") */
    size_t n_qualifiers;
    const char **kinds; /* words that say what kind of body a name is
                         * ("university", "bank"): a fuzzy match must not
                         * change it */
    size_t n_kinds;
    const char **legal_suffixes; /* legal forms that end a CJK name ("有限公司") */
    size_t n_legal_suffixes;
    const char **generic; /* words that may end a name and be left out of it
                           * ("technology" in "Sharif University of Technology") */
    size_t n_generic;
    match_person_words_t person; /* the words of people's names */
} match_words_t;

typedef struct match_config {
    double threshold;           /* fuzzy matches below this score are dropped (0..1) */
    double country_penalty;     /* subtracted from a fuzzy score when the request's
                                 * country and the entity's are both known and differ */
    unsigned max_results;       /* most hits returned per query (>= 1) */
    const match_words_t *words; /* NULL: none; read by match_index_new only */
    bool no_pair_index;         /* people's index without its pairs of common
                                 * words (person.h): the same matches, slower;
                                 * for the tests and benchmarks that compare */
    bool score_every_person;    /* a person's name scored against every listed
                                 * name (person.h, PERSON_SEARCH_EVERY): the
                                 * same matches, far slower; for the tests */
} match_config_t;

typedef struct match_hit {
    uint32_t entity;       /* index into the registry */
    uint32_t name;         /* which of the entity's names matched:
                            * 0 primary, i = aliases[i-1] (reg_entity_name);
                            * for MATCH_ID, the index of the identifier in ids[] */
    match_method_t method; /* how it matched */
    double score;          /* 1.0 for id and exact; (0, 1] for fuzzy,
                            * after the country penalty */
    uint16_t query;        /* which name of the query found it: 0 the
                            * name, i = aliases[i-1] */
    uint32_t span_off;     /* the bytes of that query string that named  */
    uint32_t span_len;     /* the organisation; span_len 0: the whole
                            * string (also for MATCH_ID) */
    uint8_t birth_date;    /* people: match_evidence_t of the date of birth */
    uint8_t nationality;   /* people: match_evidence_t of the nationality */
    bool ruled_out;        /* people: the name matched but every listed date
                            * of birth differs from the request's: not a
                            * match, reported so that nothing disappears */
} match_hit_t;

typedef struct match_query {
    const char *name;     /* required, UTF-8, any script */
    const char **aliases; /* more names the caller knows it by */
    size_t n_aliases;
    const char *country;     /* ISO alpha-2 or NULL */
    const char **id_schemes; /* identifier schemes, parallel to id_values */
    const char **id_values;
    size_t n_ids;
    bool person;             /* the partner is a person (partner.type
                              * "individual"): only listed individuals
                              * match, and only them; otherwise only
                              * organisations (every other entry) do */
    const char *birth_date;  /* person: "YYYY-MM-DD", "YYYY-MM", "YYYY" or NULL */
    const char *nationality; /* person: ISO alpha-2 or NULL */
} match_query_t;

typedef struct match_index match_index_t;

/* Builds the index over ents[0..n) (borrowed: they must outlive the
 * index). Returns the handle, caller owns it (match_index_destroy), or
 * NULL on OOM with a message in err. */
match_index_t *match_index_new(const reg_entity_t *ents, size_t n, const match_config_t *cfg,
                               char *err, size_t errcap);
void match_index_destroy(match_index_t **ip);

/* Runs fn(args[i]) once for every i in [0, n), on as many threads as it
 * has, and returns when every call has returned. The engine creates no
 * thread (the daemon owns them): a caller that has threads lends them to
 * an index build through this. */
typedef void (*match_run_fn)(void *ctx, void (*fn)(void *), void *const *args, int n);

/* Runs a(arg) and b(arg), two steps that share arg but touch nothing of
 * each other's: side by side on run's threads, or a then b when run is
 * NULL. Returns when both have returned. */
void match_run_pair(match_run_fn run, void *ctx, void (*a)(void *), void (*b)(void *), void *arg);

/* match_index_new, with the build's neighbour pass (most of a large
 * registry's load) split into n_tasks tasks handed to run (with ctx):
 * registries of 4,096 records and more; run NULL or n_tasks 1: done in
 * the calling thread. The index is the same whichever thread does what.
 * Same ownership and errors as match_index_new. */
match_index_t *match_index_new_par(const reg_entity_t *ents, size_t n, const match_config_t *cfg,
                                   match_run_fn run, void *ctx, int n_tasks, char *err,
                                   size_t errcap);

/* Finds the entities the query names. Writes at most cap hits into out,
 * best first (one hit per entity: its best name), and returns how many.
 * Identifier hits come first, then exact, then fuzzy by score. Exact and
 * id matches suppress fuzzy hits on the same entity. A name that is only
 * stop words or legal forms ("Trading Co., Ltd.") matches nothing by
 * name. An exact name of an entity whose country differs from the
 * request's (both known) counts as a fuzzy match of score 1 minus the
 * country penalty. When anything matched by id or exact name, fuzzy hits
 * are dropped.
 * A person's query (q->person) is matched against the listed
 * individuals only (person.c): the name alone is a fuzzy match; a date
 * of birth that agrees makes it exact (score 1); one that differs from
 * every listed date rules it out: such hits come last, with ruled_out
 * set (at most max_results of them, besides as many matches). A
 * nationality that differs lowers a fuzzy score, one that agrees raises
 * it. An organisation's query never matches an individual, nor a
 * person's an organisation, even by identifier.
 * Returns -1 if a name is not valid UTF-8, or on OOM (message in err).
 * Thread-safe; allocates only from scratch. */
int match_find(const match_index_t *ix, const match_query_t *q, arena_t *scratch, match_hit_t *out,
               size_t cap, char *err, size_t errcap);

/* Memory held by the index, in bytes (reported by --check and bench). */
size_t match_index_memory(const match_index_t *ix);

#endif
