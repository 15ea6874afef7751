/* SPDX-License-Identifier: Apache-2.0 */
/* request.h -- a screening request and its result, as plain records.
 *
 * A request is built by the wire format's reader (proto.h): from JSON
 * text (proto_parse), or from a cJSON tree (proto_parse_tree), which is
 * how the ruleset test runner reads tests/NAME.cfg; only unit tests and
 * benchmarks fill one by hand. Every string is borrowed from whoever
 * built it (usually a per-request arena). A result is filled by
 * screen_run from the same arena. */
#ifndef VET_REQUEST_H
#define VET_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expr.h"
#include "match.h"

/* Operations of the wire protocol. X(enum, name) */
#define REQ_OPS(X)                                                                                 \
    X(REQ_OP_SCREEN, "screen")                                                                     \
    X(REQ_OP_PING, "ping")                                                                         \
    X(REQ_OP_VERSION, "version")                                                                   \
    X(REQ_OP_STATS, "stats")                                                                       \
    X(REQ_OP_RELOAD, "reload")                                                                     \
    X(REQ_OP_TAXONOMY, "taxonomy")                                                                 \
    X(REQ_OP_PROFILES, "profiles")                                                                 \
    X(REQ_OP_REVIEW, "review")

typedef enum req_op {
#define X(e, s) e,
    REQ_OPS(X)
#undef X
        REQ_OP_COUNT
} req_op_t;

const char *req_op_name(req_op_t op);
/* Op with this name, or -1. */
int req_op_find(const char *name);

/* Partner types of the wire format (DESIGN.md §3). X(name) */
/* clang-format off */
#define REQ_TYPES(X) \
    X("university") X("research_institute") X("military") X("company") \
    X("state_owned_enterprise") X("government") X("individual") X("other")
/* clang-format on */

/* Error codes of the wire format. X(enum, name) */
#define REQ_ERRORS(X)                                                                              \
    X(ERR_NONE, "none")                                                                            \
    X(ERR_BAD_REQUEST, "bad_request")                                                              \
    X(ERR_TOO_LARGE, "too_large")                                                                  \
    X(ERR_UNKNOWN_OP, "unknown_op")                                                                \
    X(ERR_UNAVAILABLE, "unavailable")                                                              \
    X(ERR_FORBIDDEN, "forbidden")                                                                  \
    X(ERR_BUSY, "busy")                                                                            \
    X(ERR_INTERNAL, "internal")

typedef enum req_err {
#define X(e, s) e,
    REQ_ERRORS(X)
#undef X
        ERR_COUNT
} req_err_t;

const char *req_err_name(req_err_t e);

/* The review op's "review" object (docs/PROTOCOL.md, "The review
 * register"): what to add, or which entry to withdraw. Strings borrowed
 * from the request's arena; NULL when absent. */
typedef struct req_review {
    const char *id;       /* expire: the entry ("rv-12") */
    const char *decision; /* add: "not_entity" or "accepted" */
    const char *entity;   /* add: the registry id */
    const char *name;     /* add, not_entity: the partner's name */
    const char *country;  /* add, not_entity: its country, or NULL */
    const char *activity; /* add, accepted: the activity */
    const char *rule;     /* add, accepted: the rule */
    const char *by;       /* who decides (add, expire) */
    const char *reason;   /* why (add, expire) */
    const char *expires;  /* add: last day in force, YYYY-MM-DD */
    const char *ref;      /* add: the case or ticket */
} req_review_t;

typedef struct request {
    const char *id;       /* caller's correlation id, or NULL */
    req_op_t op;          /* default REQ_OP_SCREEN */
    const char *name;     /* partner.name (required for screen) */
    const char **aliases; /* partner.aliases */
    size_t n_aliases;
    const char *country;     /* partner.country, upper case, or NULL */
    const char *region;      /* partner.region (ISO 3166-2), upper case, or NULL */
    const char *type;        /* partner.type, or NULL (an organisation) */
    const char *birth_date;  /* partner.birth_date ("YYYY-MM-DD", "YYYY-MM",
                              * "YYYY"; type "individual" only), or NULL */
    const char *nationality; /* partner.nationality, upper case (type
                              * "individual" only), or NULL */
    const char **id_schemes; /* partner.ids keys, parallel to id_values */
    const char **id_values;
    size_t n_ids;
    const char **tech; /* technologies: codes as given */
    size_t n_tech;
    const char *activity;        /* or NULL */
    bool current;                /* default true */
    bool force;                  /* reload: accept a ruleset the shrink gate refuses */
    const char *text;            /* free text, or NULL */
    const char *profile;         /* profile to judge by (the request's), or NULL */
    const char *default_profile; /* when profile is NULL: the daemon's
                                  * default (vetd.cfg profile), or NULL
                                  * for the ruleset's default_profile */
    const char *action;          /* review: "add", "expire" or "list" */
    req_review_t review;         /* review: the entry (add) or its id (expire) */
    expr_ctxval_t *ctx;          /* context values */
    size_t n_ctx;
} request_t;

/* Fills r with the defaults (op screen, current true, all else empty). */
void request_init(request_t *r);

/* One category in a result: given by the client, spotted, or both. */
typedef struct res_cat {
    int cat;               /* taxonomy index */
    bool given;            /* the client named it (or a descendant) */
    bool spotted;          /* keywords revealed it */
    const char **evidence; /* spotted keywords, as declared; deduplicated */
    size_t n_evidence;
} res_cat_t;

/* One fired rule. */
typedef struct res_rule {
    int rule;       /* index into the ruleset's rules */
    int64_t entity; /* entity it fired on, or -1 (no match) */
    int review;     /* index into the ruleset's reviews of the accepted
                     * tie that lowers it (it then counts for nothing:
                     * shown, not judged), or -1 */
} res_rule_t;

typedef struct result {
    int profile;              /* index of the profile it was judged by */
    int region;               /* rs->regions index partner.region named or a
                               * place revealed, or -1 */
    const char *region_code;  /* partner.region as rules saw it, or NULL */
    const char *region_place; /* the place name that revealed it (as
                               * declared, normalised), or NULL when the
                               * request gave partner.region */
    int verdict;              /* verdict index (0 = least severe) */
    int score;                /* highest fired score, 0 if none */
    match_hit_t *matches;     /* partner matches, best first */
    size_t n_matches;
    match_hit_t *ruled_out; /* people whose name matched but whose listed
                             * dates of birth all differ from the
                             * request's (match_hit_t.ruled_out): no
                             * matches, reported */
    size_t n_ruled_out;
    match_hit_t *dismissed;       /* matches the review register says are not
                                   * the partner (not_entity): no matches,
                                   * reported with the decision */
    const uint32_t *dismissed_by; /* parallel: index into the ruleset's reviews */
    size_t n_dismissed;
    res_cat_t *cats; /* categories, taxonomy order */
    size_t n_cats;
    res_rule_t *rules; /* fired rules, policy order */
    size_t n_rules;
    const char *note;   /* why a match changed nothing: set when the partner
                         * matched and no rule fired on any match; else NULL */
    req_err_t err;      /* ERR_NONE, or why screening refused */
    const char *errmsg; /* message naming the field, or NULL */
} result_t;

#endif
