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
#include "taxonomy.h"
#include "vocab.h"

typedef struct rs_list {
    const char *id;        /* e.g. "ca-nro" */
    const char *name;      /* e.g. "Named Research Organizations (Canada)" */
    const char *authority; /* publisher, or NULL */
    const char *url;       /* where it is published, or NULL */
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
    int default_verdict; /* verdict when nothing fires (0) */
} ruleset_t;

/* Loads dir. On success returns the ruleset, caller owns it
 * (ruleset_destroy). On failure returns NULL and every error found is
 * in d as "file:line: message". Never returns a partial ruleset: when an
 * allocation fails anywhere in the load (ours or libconfig's), d gets
 * "out of memory" and the result is NULL. */
ruleset_t *ruleset_load(const char *dir, diag_t *d);
void ruleset_destroy(ruleset_t **rp);

/* True if list i of rs is stale at time now: it has a maximum age and
 * now is past its as_of date plus that age. */
bool ruleset_list_stale(const ruleset_t *rs, size_t i, time_t now);

/* Bytes held by the ruleset (arena, taxonomy, match index). */
size_t ruleset_memory(const ruleset_t *rs);

#endif
