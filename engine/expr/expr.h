/* SPDX-License-Identifier: Apache-2.0 */
/* expr.h -- the rule condition language (`when = "..."` in policy.cfg).
 *
 * Compiled once at load: lexer -> parser -> type-checked tree -> flat
 * compiled form; evaluated per request without allocation. Every name
 * (list, tag, risk level, activity, category code, relation kind,
 * partner type, match method) is resolved at compile time against the
 * ruleset's vocabularies, so a typo is a load error with file:line:col,
 * never a silent miss.
 *
 * Grammar (see docs/RULES.md for the full reference):
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | cmp
 *   cmp     := term [ ("=="|"!="|"<"|"<="|">"|">=") term
 *                   | "in" (list | "countries" "(" STRING ")")
 *                   | "has" term | "has_any" list | "has_all" list ]
 *   term    := path | STRING | NUMBER | "true" | "false" | "(" expr ")"
 *   list    := "[" [ literal ("," literal)* ] "]"
 *   path    := IDENT ( "." IDENT | "." IDENT "(" args ")" )*
 *
 * Names (types in brackets):
 *   partner.matched [bool]     a registry entity matched
 *   partner.match   [number]   match score 0..1 (0 when unmatched)
 *   partner.method  [method]   "id" | "exact" | "unit" | "related" | "fuzzy" | "none"
 *   partner.id      [string]   matched entity id ("" when unmatched)
 *   partner.lists   [set of list]   partner.tags [set of tag]
 *   partner.risk    [risk]     ordinal, compared with < <= > >= == !=
 *   partner.country [string]   entity's country, else the request's
 *   partner.region  [string]   the request's partner.region (ISO 3166-2),
 *       else the region a place name in the partner's names reveals
 *       (words.cfg `regions`), else ""
 *   X in countries("ID")       X is one of the codes of the policy's
 *       country group ID (`country_groups`, ISO 3166-1 or 3166-2 codes)
 *   partner.type    [type]     entity's type, else the request's
 *   partner.related(KIND, DEPTH) [entity set], KIND a relation kind or
 *       "*", DEPTH 1..4; has .lists, .tags [set], .risk [risk] meaning
 *       "some related entity within DEPTH hops has ...", .exists [bool]
 *   tech.any([codes]), tech.all([codes])           given or spotted
 *   tech.given.any/all([codes]), tech.spotted.any/all([codes])
 *       a code matches itself and its descendants
 *   tech.given.count, tech.spotted.count [number]
 *   activity [activity] ("" when the request names none)
 *   current  [bool]
 *   context.KEY [string or number; missing is null: == false, != true,
 *       ordering false]
 */
#ifndef VET_EXPR_H
#define VET_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "registry.h"
#include "taxonomy.h"
#include "vocab.h"

/* A named set of country or region codes (policy.cfg `country_groups`). */
typedef struct expr_group {
    const char *id;     /* e.g. "foreign-country-of-concern" */
    const char **codes; /* ISO 3166-1 alpha-2 or ISO 3166-2, upper case */
    size_t n;
} expr_group_t;

/* What names may mean: borrowed, must outlive every compiled expr. */
typedef struct expr_schema {
    const vocab_t *lists;      /* list ids declared by the ruleset */
    const vocab_t *tags;       /* tags */
    const vocab_t *risks;      /* risk levels, lowest first */
    const vocab_t *activities; /* activity kinds */
    const vocab_t *relations;  /* relation kinds */
    const vocab_t *types;      /* partner types */
    const tax_t *tax;          /* technology categories */
    const vocab_t *groups;     /* country group ids, or NULL for none */
    const expr_group_t *group; /* parallel to groups */
} expr_schema_t;

/* One context value of a request. */
typedef struct expr_ctxval {
    const char *key; /* borrowed */
    const char *str; /* string value, or NULL when numeric */
    double num;      /* numeric value when str == NULL */
} expr_ctxval_t;

/* What one evaluation sees: the request, plus one candidate partner
 * match (rules are evaluated once per match, and once with no match
 * when nothing matched, so all partner.* names in one condition refer
 * to the same entity). All borrowed for the duration of expr_eval. */
typedef struct expr_facts {
    const reg_entity_t *ents;   /* the whole registry (relation targets) */
    const reg_entity_t *entity; /* the matched entity, or NULL */
    double match;               /* match score (0 when entity == NULL) */
    int method;                 /* match_method_t, or -1 when unmatched */
    const char *country;        /* request's partner.country, or NULL */
    const char *region;         /* partner.region: given or derived, or NULL */
    int type;                   /* request's partner type index, or -1 */
    const uint64_t *given;      /* category bitset: codes given by the client */
    const uint64_t *spotted;    /* category bitset: codes spotted in text */
    int activity;               /* activity index, or -1 */
    bool current;               /* the tie is current */
    const expr_ctxval_t *ctx;   /* request context values */
    size_t n_ctx;
} expr_facts_t;

typedef struct expr expr_t;

/* Compiles src. file and line locate the `when` setting for errors;
 * columns count bytes of src from 1. All errors found are reported into
 * d ("file:line:col: message"), e.g. unknown names with a suggestion,
 * type mismatches ("cannot compare number with string"), syntax errors
 * ("expected ')' but found 'and'"). Returns the compiled form allocated
 * in a (immutable, shareable between threads, lives as long as a) or
 * NULL on error. */
expr_t *expr_compile(const char *src, const expr_schema_t *schema, arena_t *a, const char *file,
                     int line, diag_t *d);

/* Evaluates a compiled condition: 1 true, 0 false. Never allocates,
 * never fails on a compiled expression (-1 is reserved for a corrupt
 * program and asserts in debug builds). Thread-safe. */
int expr_eval(const expr_t *e, const expr_facts_t *f);

/* True if the condition can only hold for a matched partner (every
 * path to true reads partner.* of an entity); lets screen skip the
 * no-match evaluation. Optional optimisation: may return false. */
bool expr_needs_entity(const expr_t *e);

/* True if the condition tests list index list: partner.lists has
 * (has_any, has_all) it, or partner.related(...).lists does. The loader
 * refuses a rule naming a list that no organisation is on. */
bool expr_reads_list(const expr_t *e, unsigned list);

/* The top-level `and` conjuncts of a compiled condition, for coverage
 * (which part of a rule never holds): their count (1 when the condition
 * is no conjunction: then conjunct 0 is e itself), the i-th (i < count)
 * as a condition of its own that expr_eval evaluates, and its source
 * text ("partner.lists has \"ca-nro\""). Borrowed, valid as long as e. */
size_t expr_n_conjuncts(const expr_t *e);
const expr_t *expr_conjunct(const expr_t *e, size_t i);
const char *expr_conjunct_src(const expr_t *e, size_t i);

/* True if e can never hold given which tags some organisation carries
 * (carried[t] for tag index t): e tests nothing but tags (partner.tags
 * has..., partner.related(...).tags has...), without `not`, and each
 * tag it tests is carried by no one. The loader warns about a rule one
 * of whose conjuncts never holds. */
bool expr_needs_absent_tags(const expr_t *e, const bool *carried);

/* Writes a readable dump of the compiled form (one instruction or node
 * per line) for tests and `vetd --check -v`. */
void expr_dump(const expr_t *e, FILE *f);

#endif
