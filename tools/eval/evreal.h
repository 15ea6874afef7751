/* SPDX-License-Identifier: Apache-2.0 */
/* evreal.h -- vet-eval's real-world form set: reading and checking tools/eval/realworld.tsv. */
#ifndef VET_EVAL_EVREAL_H
#define VET_EVAL_EVREAL_H

#include <stdbool.h>
#include <stddef.h>

/* The classes of the set, in report order: the form a partner name takes
 * (docs/EVAL.md, "The real-world form set"). One table gives each its
 * enum constant, name (the TSV's class column) and description. */
#define EVREAL_CLASSES(X)                                                                          \
    X(EVREAL_AFFILIATION, "affiliation",                                                           \
      "department, school, lab, campus or hospital around a listed name; Name (ACRONYM); "         \
      "a postal address after the name")                                                           \
    X(EVREAL_WOS, "wos",                                                                           \
      "Web of Science / Scopus affiliation strings (Natl Univ Def Technol, ...)")                  \
    X(EVREAL_NATIVE, "native",                                                                     \
      "native scripts: Chinese (simplified, traditional), Persian, "                               \
      "Russian, Korean official names")                                                            \
    X(EVREAL_PINYIN, "pinyin", "pinyin renderings of Chinese names (Guofang Keji Daxue)")          \
    X(EVREAL_SHORT, "short", "short forms and acronyms in daily use (Beihang, NUDT, Huawei)")      \
    X(EVREAL_LEGAL, "legal",                                                                       \
      "legal-form and word variants, former names (Corp. for Corporation, no legal form)")         \
    X(EVREAL_BRANCH, "branch",                                                                     \
      "subsidiaries, branches, research arms, numbered institutes of a listed group")              \
    X(EVREAL_JOINS, "joins",                                                                       \
      "words joined or split, Navy/Naval, Air Force/Airforce, Defence/Defense, digit groups")      \
    X(EVREAL_INNOCENT, "innocent",                                                                 \
      "real organisations on no list that look like listed ones: "                                 \
      "must match nothing")

#define EVREAL_ENUM_(e, n, d) e,
typedef enum evreal_class { EVREAL_CLASSES(EVREAL_ENUM_) EVREAL_N } evreal_class_t;
#undef EVREAL_ENUM_

/* The name ("wos") and description of class c; static strings, "?" for
 * an unknown class. */
const char *evreal_class_name(evreal_class_t c);
const char *evreal_class_about(evreal_class_t c);

/* The class named name, or -1. */
int evreal_class_find(const char *name);

/* One query of the set. */
typedef struct evreal_row {
    evreal_class_t cls;    /* its class */
    const char *query;     /* the partner name as a user writes it */
    const char *country;   /* ISO 3166-1 alpha-2 code, or NULL when the form gives none */
    const char **expected; /* acceptable registry ids; none for an innocent query */
    size_t n_expected;     /* how many (0 for EVREAL_INNOCENT, else >= 1) */
    const char *note;      /* the form, and where such strings come from */
    unsigned long line;    /* its line in the file */
} evreal_row_t;

typedef struct evreal evreal_t;

/* Reads the set at path: '#' lines are comments, the first other line
 * is the header "class<TAB>query<TAB>country<TAB>expected<TAB>note",
 * then one query a line, five tab-separated fields, no quoting. Checks
 * every row (known class; non-empty query of valid UTF-8 without
 * control characters or surrounding spaces; country empty or two
 * capital letters; expected "-" for an innocent query and one or more
 * ids of [A-Za-z0-9._-] separated by '|' otherwise; a note; the same
 * class, query and country at most once) and collects every fault as a
 * "path:line: message" line. Returns the set, caller owns it
 * (evreal_destroy); NULL on any fault, with the messages in err (cap
 * bytes; the first ones when they do not fit) or "out of memory". */
evreal_t *evreal_load(const char *path, char *err, size_t cap);
void evreal_destroy(evreal_t **sp);

/* The rows in file order, *n of them; borrowed, valid as long as s. */
const evreal_row_t *evreal_rows(const evreal_t *s, size_t *n);

/* Whether row r accepts registry id as its identification. */
bool evreal_accepts(const evreal_row_t *r, const char *id);

#endif
