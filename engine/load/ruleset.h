/* SPDX-License-Identifier: Apache-2.0 */
/* ruleset.h -- loads a ruleset directory (taxonomy.cfg, registry/NAME.cfg,
 * policy.cfg) into one immutable compiled Ruleset.
 *
 * The struct is visible to the engine's own modules (screen, proto,
 * rtest) which read it; nothing writes to it after ruleset_load returns,
 * so any number of threads may share it without locks. Everything it
 * points to lives in its arena or in the handles it owns. */
#ifndef VET_RULESET_H
#define VET_RULESET_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "arena.h"
#include "diag.h"
#include "expr.h"
#include "match.h"
#include "registry.h"
#include "sbuf.h"
#include "taxonomy.h"
#include "vocab.h"

typedef struct rs_list {
    const char *id;        /* e.g. "ca-nro" */
    const char *name;      /* e.g. "Named Research Organizations (Canada)" */
    const char *authority; /* publisher, or NULL */
    const char *url;       /* where it is published, or NULL */
    const char *terms;     /* terms of use of the list's data (copyright,
                            * licence), or NULL if not recorded */
    const char *as_of;     /* "YYYY-MM-DD": the edition's publication (or
                            * download) date, or NULL if not recorded */
    int max_age_days;      /* older than this past as_of, the list is
                            * stale (0: no limit) */
    int64_t stale_after;   /* UTC seconds from which it is stale, or 0 */
    size_t entries;        /* organisations on it (set at the end of the load) */
} rs_list_t;

typedef struct rs_rule {
    const char *id;       /* unique rule id */
    int verdict;          /* index into verdicts */
    int score;            /* 0..100 */
    const char *reason;   /* why it matters, shown to the user */
    const char *cite;     /* the policy or list it encodes */
    const char *when_src; /* the condition as written */
    const expr_t *when;   /* compiled condition */
    const char *file;     /* where it was declared */
    int line;
} rs_rule_t;

/* A jurisdiction profile (policy.cfg `profiles`): the rules one kind of
 * institution is bound by. A ruleset without `profiles` has one, "all",
 * holding every rule. */
typedef struct rs_profile {
    const char *id;          /* e.g. "ca-tri-agency" */
    const char *label;       /* shown to people */
    const char *description; /* which policies it encodes, or NULL */
    const uint32_t *rules;   /* rule indexes, policy order */
    size_t n_rules;
} rs_profile_t;

/* A place name that reveals a region (words.cfg `regions`). */
typedef struct rs_region {
    const char *code;    /* ISO 3166-2, e.g. "UA-43" */
    const char *name;    /* e.g. "Autonomous Republic of Crimea" */
    const char **places; /* normalised place names (norm.h), whole words */
    size_t n_places;
} rs_region_t;

/* The review register (load_reviews.c; docs/OPERATIONS.md "The review
 * register"): decisions people made about a match or a tie. A file the
 * daemon owns beside the ruleset, read with it at every (re)load. */
#define RS_REVIEW_MAX_DAYS 1096 /* an entry lasts at most three years from its date */

typedef enum rs_review_kind {
    RS_REVIEW_NOT_ENTITY, /* "the name N (country C) is not entity E" */
    RS_REVIEW_ACCEPTED    /* "the tie with E is accepted for activity A
                           * under rule R until D" */
} rs_review_kind_t;

/* What an entry does now. */
typedef enum rs_review_state {
    RS_REVIEW_ACTIVE,    /* in force */
    RS_REVIEW_EXPIRED,   /* past its expiry date */
    RS_REVIEW_WITHDRAWN, /* expired early (vet review expire) */
    RS_REVIEW_INERT      /* names what this ruleset does not have (an
                          * organisation, activity or rule), or a rule
                          * whose verdict is the most severe */
} rs_review_state_t;

typedef struct rs_review {
    const char *id;          /* "rv-12", unique in the register */
    rs_review_kind_t kind;   /* what was decided */
    const char *entity_id;   /* the registry id as written */
    int64_t entity;          /* its index in ents (merged ids resolve to the
                              * survivor), or -1: not in this ruleset */
    const char *name;        /* not_entity: the partner's name as written */
    const char *norm;        /* ... normalised (norm.h): what is compared */
    const char *country;     /* not_entity: the partner's country, or NULL
                              * (then only a request without one matches) */
    const char *activity;    /* accepted: the activity */
    int activity_ix;         /* its index in activities, or -1 */
    const char *rule;        /* accepted: the rule whose verdict it lowers */
    int rule_ix;             /* its index in rules, or -1 */
    const char *by;          /* who decided */
    const char *on;          /* when ("YYYY-MM-DD") */
    const char *reason;      /* why */
    const char *expires;     /* last day in force ("YYYY-MM-DD") */
    const char *ref;         /* the case, ticket or file it rests on */
    const char *expired_on;  /* withdrawn that day, or NULL */
    const char *expired_by;  /* who withdrew it, or NULL */
    const char *expired_why; /* why, or NULL */
    int64_t until;           /* UTC seconds from which it is out of force */
    const char *inert;       /* why it is inert (RS_REVIEW_INERT), or NULL */
    int line;                /* where it is in the register */
} rs_review_t;

typedef struct ruleset {
    arena_t *arena;       /* owns every string and array below */
    const char *dir;      /* directory it was loaded from */
    const char *version;  /* policy.cfg version */
    char digest[65];      /* SHA-256 (hex) over every file loaded,
                           * in load order, names included: the
                           * very bytes that were parsed */
    char content[65];     /* SHA-256 (hex) over a canonical walk of
                           * what was compiled (vocabularies,
                           * categories, organisations, rules):
                           * equal for equal meaning */
    time_t loaded_at;     /* wall-clock time of the load */
    size_t n_files;       /* files read */
    vocab_t verdicts;     /* least severe first */
    vocab_t lists;        /* list ids */
    rs_list_t *list_info; /* parallel to lists */
    vocab_t tags;
    vocab_t risks; /* lowest first */
    vocab_t activities;
    vocab_t relations;      /* relation kinds */
    uint8_t *rel_symmetric; /* parallel to relations: 1 if symmetric */
    vocab_t types;          /* partner types (REQ_TYPES) */
    tax_t *tax;             /* owned */
    reg_entity_t *ents;     /* the registry */
    size_t n_ents;
    match_config_t match; /* matching settings */
    match_words_t words;  /* words.cfg (match.words points here) */
    match_index_t *mx;    /* owned */
    rs_rule_t *rules;     /* policy order */
    size_t n_rules;
    rs_profile_t *profiles; /* at least one (policy.cfg order) */
    size_t n_profiles;
    int default_profile;      /* index into profiles */
    vocab_t profile_ids;      /* parallel to profiles, for lookups */
    vocab_t groups;           /* country group ids (policy.cfg) */
    expr_group_t *group;      /* parallel to groups */
    const char **group_label; /* parallel to groups */
    const char **group_cite;  /* parallel to groups */
    rs_region_t *regions;     /* words.cfg regions */
    size_t n_regions;
    int default_verdict;  /* verdict when nothing fires (0) */
    rs_review_t *reviews; /* the review register, file order (none: NULL) */
    size_t n_reviews;
    uint64_t *review_keys;    /* entity << 32 | review index, sorted: lookups */
    const char *reviews_path; /* the register read, or NULL */
    char reviews_digest[65];  /* SHA-256 (hex) of its bytes; "" if none */
} ruleset_t;

/* Loads dir. On success returns the ruleset, caller owns it
 * (ruleset_destroy). On failure returns NULL and every error found is
 * in d as "file:line: message". Never returns a partial ruleset: when an
 * allocation fails anywhere in the load (ours or libconfig's), d gets
 * "out of memory" and the result is NULL. Same as
 * ruleset_load_par(dir, d, NULL, NULL, 1): one thread. */
ruleset_t *ruleset_load(const char *dir, diag_t *d);

/* ruleset_load, with the match index (most of a large registry's load)
 * built over threads the caller lends: run (with run_ctx) gets the
 * build's tasks, threads of them (match_index_new_par, match.h), and the
 * content digest is computed beside the build; run NULL or threads 1:
 * all in the calling thread. The engine creates no
 * thread. The ruleset is the same whichever thread built what. Same
 * ownership and errors as ruleset_load. */
ruleset_t *ruleset_load_par(const char *dir, diag_t *d, match_run_fn run, void *run_ctx,
                            int threads);
void ruleset_destroy(ruleset_t **rp);

/* True if list i of rs is stale at time now: it has a maximum age and
 * now is past its as_of date plus that age. */
bool ruleset_list_stale(const ruleset_t *rs, size_t i, time_t now);

/* Reads the review register at path into rs (not yet shared: call it
 * before the ruleset serves) and checks every entry against rs. A
 * missing file is an empty register. Entries that name what rs does not
 * have are kept, inert (rs_review_t.inert says why): a list update that
 * drops an organisation must not stop reloads. Returns 0, or -1 with
 * every error in d as "path:line: message" (rs then has no register). */
int ruleset_load_reviews(ruleset_t *rs, const char *path, diag_t *d);

/* What entry r of rs does at time now. */
rs_review_state_t ruleset_review_state(const rs_review_t *r, time_t now);

/* Name of a state: "active", "expired", "withdrawn", "inert". */
const char *ruleset_review_state_name(rs_review_state_t s);

/* Name of a kind as the register writes it: "not_entity", "accepted". */
const char *ruleset_review_kind_name(rs_review_kind_t k);

/* True if the register has any entry naming entity (in force or not):
 * what a screen asks before it normalises a name to look one up. */
bool ruleset_reviews_name(const ruleset_t *rs, uint32_t entity);

/* The entry in force at now that says the partner name (normalised:
 * norm, nlen) with country (NULL: none) is not entity; or NULL. */
const rs_review_t *ruleset_review_not(const ruleset_t *rs, uint32_t entity, const char *norm,
                                      size_t nlen, const char *country, time_t now);

/* The entry in force at now that accepts the tie with entity for
 * activity (index) under rule (index); or NULL. */
const rs_review_t *ruleset_review_accepted(const ruleset_t *rs, uint32_t entity, int activity,
                                           int rule, time_t now);

/* Appends the register's text for entries v[0..n) to b: what
 * ruleset_load_reviews reads back (the daemon writes it when an entry is
 * added or withdrawn). */
void ruleset_reviews_format(sbuf_t *b, const rs_review_t *v, size_t n);

/* Bytes held by the ruleset (arena, taxonomy, match index). */
size_t ruleset_memory(const ruleset_t *rs);

#endif
