/* SPDX-License-Identifier: Apache-2.0 */
/* person.h -- people's names in the matcher (partner.type "individual"):
 * the person index, built once per ruleset load from the registry's
 * individuals, the search of one name in it, and the identity evidence
 * a request gives (date of birth, nationality). Internal to
 * engine/match/: build.c builds the index, match.c searches it; the
 * design is described at the top of person.c. */
#ifndef VET_PERSON_H
#define VET_PERSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "match.h"
#include "registry.h"
#include "script.h"

typedef struct person_ix person_ix_t;

/* One listed person's name that a search found. */
typedef struct person_res {
    uint32_t entity; /* index of the individual in the registry */
    uint32_t name;   /* which of its names (reg_entity_name index) */
    double score;    /* similarity of the names, (0, 1] */
} person_res_t;

/* A date of birth, as far as it is known: month and day 0 when not. */
typedef struct person_date {
    int year;  /* 1800..2100 */
    int month; /* 1..12, or 0 */
    int day;   /* 1..31, or 0 */
} person_date_t;

/* True if e is a person: its type is "individual". */
bool person_is_individual(const reg_entity_t *e);

/* How an index is searched. Each finds the same names; the last two
 * are for the tests and benchmarks that show it. */
typedef enum person_search_mode {
    PERSON_SEARCH_PAIRS = 0, /* its records indexed by their pairs of common
                              * words too: faster when a query holds two
                              * (person.c, pair_plan) */
    PERSON_SEARCH_NO_PAIRS,  /* without the pairs */
    PERSON_SEARCH_EVERY,     /* every record scored: no probe, no filter;
                              * what the filters must never change */
} person_search_mode_t;

/* Builds the index of the names of every individual of ents[0..n)
 * (borrowed: they must outlive the index), read with the words w (NULL:
 * none; copied) and rendered in Latin letters by sc (borrowed), to be
 * searched as mode says. Names score at least threshold to be found.
 * Returns the index, caller owns it (person_ix_destroy), or NULL with a
 * message in err: "out of memory", or the script's failure on a name. */
person_ix_t *person_ix_new(const reg_entity_t *ents, size_t n, const match_person_words_t *w,
                           script_t *sc, double threshold, person_search_mode_t mode, char *err,
                           size_t errcap);

/* Frees the index; accepts NULL; nulls *pp. */
void person_ix_destroy(person_ix_t **pp);

/* Bytes the index holds. */
size_t person_ix_memory(const person_ix_t *p);

/* Finds the listed names of people that the person's name name (UTF-8,
 * any script) may be; appends them to the vector (*res, *n_res, *cap_res)
 * in scratch, any order, several names of one individual possibly.
 * Returns 0; or -1 with a message in err: "invalid UTF-8 at byte N",
 * "out of memory", or the script's failure. Thread-safe; allocates only
 * from scratch. */
int person_search(const person_ix_t *p, const char *name, arena_t *scratch, person_res_t **res,
                  size_t *n_res, size_t *cap_res, char *err, size_t errcap);

/* The form of a word of a person's name under w's spelling rules
 * (match.h, match_person_spell, which calls it). */
size_t person_spell(const match_person_words_t *w, const char *s, size_t len, char *out,
                    size_t cap);

/* Reads a date of birth ("YYYY-MM-DD", "YYYY-MM" or "YYYY") into d.
 * Returns true, or false with what is wrong in why (if not NULL). */
bool person_date_parse(const char *s, person_date_t *d, char *why, size_t whycap);

/* What the request's date of birth given (NULL: none) says of e's listed
 * dates: AGREES when one agrees to the precision both give (the same
 * year when either gives only a year, the same month when either gives
 * no day), DIFFERS when none does, NOT_GIVEN, NOT_LISTED. Listed dates
 * that do not parse (the loader refuses them) are ignored. */
match_evidence_t person_birth_date(const reg_entity_t *e, const char *given);

/* What the request's nationality given (ISO alpha-2, NULL: none) says of
 * e's listed nationalities (case ignored). */
match_evidence_t person_nationality(const reg_entity_t *e, const char *given);

#endif
