/* SPDX-License-Identifier: Apache-2.0 */
/* proto.c -- the wire format: JSON request -> request_t (cJSON), and
 * result / error / taxonomy -> JSON reply (written straight into an sbuf).
 * One reader of requests, get_request, behind both entry points: JSON
 * text (proto_parse) and a cJSON tree (proto_parse_tree, for the ruleset
 * test runner), so a test case and the wire cannot disagree. */
#include "proto.h"

#include <assert.h>
#include <cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isocode.h"
#include "norm.h"
#include "vocab.h"

/* Limits on one request. A legitimate client never comes near them; they
 * bound the work and memory an abusive request can cost. */
#define PROTO_MAX_STRING 1024 /* name, alias, id, codes, values */
#define PROTO_MAX_KEY 128     /* partner.ids schemes, context keys */
#define PROTO_MAX_TEXT 65536  /* text */
#define PROTO_MAX_ALIASES 64
#define PROTO_MAX_IDS 32
#define PROTO_MAX_TECH 64
#define PROTO_MAX_CTX 64
#define PROTO_ECHO_MAX 64 /* bytes of client text quoted in a message */

/* Top-level fields of a request; the first two are the only ones every
 * op accepts, force belongs to reload, the rest to screen. X(enum, name) */
#define PROTO_FIELDS(X)                                                                            \
    X(F_ID, "id")                                                                                  \
    X(F_OP, "op")                                                                                  \
    X(F_PARTNER, "partner")                                                                        \
    X(F_TECH, "technologies")                                                                      \
    X(F_ACTIVITY, "activity")                                                                      \
    X(F_CURRENT, "current")                                                                        \
    X(F_TEXT, "text")                                                                              \
    X(F_CONTEXT, "context")                                                                        \
    X(F_PROFILE, "profile")                                                                        \
    X(F_FORCE, "force")                                                                            \
    X(F_ACTION, "action")                                                                          \
    X(F_REVIEW, "review")

/* Fields of partner. X(enum, name) */
#define PARTNER_FIELDS(X)                                                                          \
    X(P_NAME, "name")                                                                              \
    X(P_ALIASES, "aliases")                                                                        \
    X(P_COUNTRY, "country")                                                                        \
    X(P_REGION, "region")                                                                          \
    X(P_TYPE, "type")                                                                              \
    X(P_IDS, "ids")                                                                                \
    X(P_BIRTH_DATE, "birth_date")                                                                  \
    X(P_NATIONALITY, "nationality")

enum {
#define X(e, s) e,
    PROTO_FIELDS(X)
#undef X
        F_COUNT
};

enum {
#define X(e, s) e,
    PARTNER_FIELDS(X)
#undef X
        P_COUNT
};

static const char *const field_names[] = {
#define X(e, s) s,
    PROTO_FIELDS(X)
#undef X
};

static const char *const partner_names[] = {
#define X(e, s) s,
    PARTNER_FIELDS(X)
#undef X
};

/* State of one parse: where strings go and the first error. */
typedef struct pctx {
    arena_t *a;      /* the request's arena (borrowed) */
    request_t *req;  /* being filled (borrowed) */
    req_err_t code;  /* error code once failed */
    const char *msg; /* error message (in a, or static) */
} pctx_t;

static int fail(pctx_t *p, req_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats the error into the arena and returns -1. */
static int
fail(pctx_t *p, req_err_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *m = n >= 0 ? arena_alloc(p->a, (size_t)n + 1) : NULL;
    if (m == NULL) {
        p->code = ERR_INTERNAL;
        p->msg = "out of memory";
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(m, (size_t)n + 1, fmt, ap);
    va_end(ap);
    p->code = code;
    p->msg = m;
    return -1;
}

static int
oom(pctx_t *p)
{
    p->code = ERR_INTERNAL;
    p->msg = "out of memory";
    return -1;
}

/* Copies client text s (valid UTF-8) into buf for quoting in a message:
 * at most PROTO_ECHO_MAX bytes, cut on a character boundary, then "...".
 * Returns buf. */
static const char *
echo(const char *s, char *buf, size_t cap)
{
    size_t n = strlen(s);
    (void)cap;
    assert(cap > PROTO_ECHO_MAX + 3);
    if (n <= PROTO_ECHO_MAX) {
        memcpy(buf, s, n + 1);
        return buf;
    }
    n = PROTO_ECHO_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    memcpy(buf, s, n);
    memcpy(buf + n, "...", 4);
    return buf;
}

/* Vocabulary view of a const name table (vocab_t is read-only here). */
static vocab_t
names_vocab(const char *const *names, size_t n)
{
    vocab_t v = {(const char **)names, n};
    return v;
}

static bool
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static char
ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char
ascii_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Reads a string value: type, length limit and UTF-8 are checked, then
 * it is copied into the arena (trimmed of ASCII white space if trim; an
 * empty result is an error then). field names the place in messages. */
static int
get_string(pctx_t *p, const cJSON *v, const char *field, size_t max, bool trim, const char **out)
{
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return fail(p, ERR_BAD_REQUEST, "%s: expected a string", field);
    const char *s = v->valuestring;
    size_t n = strlen(s);
    if (n > max)
        return fail(p, ERR_BAD_REQUEST, "%s: longer than %zu bytes", field, max);
    if (!norm_valid_utf8(s, n))
        return fail(p, ERR_BAD_REQUEST, "%s: invalid UTF-8", field);
    if (trim) {
        while (n > 0 && is_ws(*s)) {
            s++;
            n--;
        }
        while (n > 0 && is_ws(s[n - 1]))
            n--;
        if (n == 0)
            return fail(p, ERR_BAD_REQUEST, "%s: empty", field);
    }
    if ((*out = arena_strndup(p->a, s, n)) == NULL)
        return oom(p);
    return 0;
}

/* Checks an object key before it is used or quoted: valid UTF-8, not
 * empty, at most max bytes. where names the object in messages. */
static int
check_key(pctx_t *p, const char *key, const char *where, size_t max)
{
    size_t n = strlen(key);
    if (!norm_valid_utf8(key, n))
        return fail(p, ERR_BAD_REQUEST, "%s: invalid UTF-8 in a field name", where);
    if (max != 0 && n == 0)
        return fail(p, ERR_BAD_REQUEST, "%s: empty key", where);
    if (max != 0 && n > max)
        return fail(p, ERR_BAD_REQUEST, "%s: key longer than %zu bytes", where, max);
    return 0;
}

/* vocab_suggest, but never a name that shares nothing with key (an
 * empty or two-letter key is within edit distance 2 of "id"). */
static const char *
suggest(const vocab_t *known, const char *key)
{
    const char *sug = vocab_suggest(known, key);
    if (sug != NULL && (size_t)vocab_distance(key, sug) >= strlen(key))
        return NULL;
    return sug;
}

/* "unknown field", with the closest known name when it looks like a typo.
 * prefix is "" or "partner.". */
static int
unknown_field(pctx_t *p, const char *prefix, const char *key, const vocab_t *known)
{
    char eb[PROTO_ECHO_MAX + 4];
    const char *sug = suggest(known, key);
    if (sug != NULL)
        return fail(p, ERR_BAD_REQUEST, "unknown field \"%s%s\" (did you mean \"%s%s\"?)", prefix,
                    echo(key, eb, sizeof eb), prefix, sug);
    return fail(p, ERR_BAD_REQUEST, "unknown field \"%s%s\"", prefix, echo(key, eb, sizeof eb));
}

/* Number of elements of an array or members of an object; cJSON keeps
 * them in a list, so this walks it once. */
static size_t
count_children(const cJSON *v)
{
    size_t n = 0;
    for (const cJSON *c = v->child; c != NULL; c = c->next)
        n++;
    return n;
}

/* Reads an array of strings (technologies, partner.aliases). */
static int
get_string_array(pctx_t *p, const cJSON *v, const char *field, size_t max_items, bool trim,
                 const char ***out, size_t *nout)
{
    if (!cJSON_IsArray(v))
        return fail(p, ERR_BAD_REQUEST, "%s: expected an array of strings", field);
    size_t n = count_children(v);
    if (n > max_items)
        return fail(p, ERR_BAD_REQUEST, "%s: more than %zu entries", field, max_items);
    const char **arr = arena_alloc(p->a, n * sizeof *arr);
    if (arr == NULL)
        return oom(p);
    size_t i = 0;
    for (const cJSON *c = v->child; c != NULL; c = c->next, i++) {
        char path[96];
        snprintf(path, sizeof path, "%s[%zu]", field, i);
        if (get_string(p, c, path, PROTO_MAX_STRING, trim, &arr[i]) != 0)
            return -1;
    }
    *out = arr;
    *nout = n;
    return 0;
}

/* Reads partner.ids: scheme (lower-cased) -> non-empty string. */
static int
get_ids(pctx_t *p, const cJSON *v)
{
    request_t *r = p->req;
    if (!cJSON_IsObject(v))
        return fail(p, ERR_BAD_REQUEST, "partner.ids: expected an object");
    size_t n = count_children(v);
    if (n > PROTO_MAX_IDS)
        return fail(p, ERR_BAD_REQUEST, "partner.ids: more than %d entries", PROTO_MAX_IDS);
    r->id_schemes = arena_alloc(p->a, n * sizeof *r->id_schemes);
    r->id_values = arena_alloc(p->a, n * sizeof *r->id_values);
    if (r->id_schemes == NULL || r->id_values == NULL)
        return oom(p);
    for (const cJSON *c = v->child; c != NULL; c = c->next) {
        if (check_key(p, c->string, "partner.ids", PROTO_MAX_KEY) != 0)
            return -1;
        char *scheme = arena_strdup(p->a, c->string);
        if (scheme == NULL)
            return oom(p);
        for (char *s = scheme; *s != '\0'; s++)
            *s = ascii_lower(*s);
        char path[PROTO_MAX_KEY + 32];
        snprintf(path, sizeof path, "partner.ids.%s", scheme);
        for (size_t k = 0; k < r->n_ids; k++)
            if (strcmp(r->id_schemes[k], scheme) == 0)
                return fail(p, ERR_BAD_REQUEST, "duplicate field \"%s\"", path);
        if (cJSON_IsNull(c))
            continue;
        const char *val;
        if (get_string(p, c, path, PROTO_MAX_STRING, true, &val) != 0)
            return -1;
        r->id_schemes[r->n_ids] = scheme;
        r->id_values[r->n_ids++] = val;
    }
    return 0;
}

/* Reads an ISO 3166 code of the partner (field: "partner.country",
 * "partner.nationality": alpha-2; "partner.region": 3166-2), case
 * ignored, into *out upper case; example is shown in the message. */
static int
get_iso_code(pctx_t *p, const cJSON *v, const char *field, bool region, const char *example,
             const char **out)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    size_t n = s != NULL ? strlen(s) : 0;
    char up[8] = "";
    for (size_t i = 0; i < n && n < sizeof up; i++)
        up[i] = ascii_upper(s[i]);
    /* A country's name ("China") gets its code as a suggestion: the
     * request is still refused, the caller decides. */
    const char *sug =
        strcmp(field, "partner.country") == 0 && s != NULL ? iso_country_find(s) : NULL;
    if (sug != NULL && !iso_country_code(up))
        return fail(p, ERR_BAD_REQUEST,
                    "%s: expected an ISO 3166-1 alpha-2 code (did you mean \"%s\"?)", field, sug);
    if (!(region ? iso_region_code(up) : iso_country_code(up)))
        return fail(p, ERR_BAD_REQUEST, "%s: expected an ISO 3166-%s code%s", field,
                    region ? "2 subdivision" : "1 alpha-2", example);
    if ((*out = arena_strdup(p->a, up)) == NULL)
        return oom(p);
    return 0;
}

/* Reads partner.birth_date: "YYYY-MM-DD", "YYYY-MM" or "YYYY", a real
 * date (match_date_valid). */
static int
get_birth_date(pctx_t *p, const cJSON *v)
{
    const char *s;
    char why[64] = "";
    if (!cJSON_IsString(v) || strlen(v->valuestring) > 16 ||
        !match_date_valid(v->valuestring, why, sizeof why))
        return fail(
            p, ERR_BAD_REQUEST,
            "partner.birth_date: expected a date \"YYYY-MM-DD\", \"YYYY-MM\" or \"YYYY\"%s%s",
            why[0] ? ": " : "", why);
    if (get_string(p, v, "partner.birth_date", PROTO_MAX_STRING, false, &s) != 0)
        return -1;
    p->req->birth_date = s;
    return 0;
}

/* Reads the partner object. */
static int
get_partner(pctx_t *p, const cJSON *v)
{
    request_t *r = p->req;
    if (!cJSON_IsObject(v))
        return fail(p, ERR_BAD_REQUEST, "partner: expected an object");
    vocab_t known = names_vocab(partner_names, P_COUNT);
    unsigned seen = 0;
    for (const cJSON *c = v->child; c != NULL; c = c->next) {
        if (check_key(p, c->string, "partner", 0) != 0)
            return -1;
        int f = vocab_find(&known, c->string);
        if (f < 0)
            return unknown_field(p, "partner.", c->string, &known);
        if (seen & (1u << f))
            return fail(p, ERR_BAD_REQUEST, "duplicate field \"partner.%s\"", c->string);
        seen |= 1u << f;
        /* null reads as absent for every field (name is then missing) */
        if (cJSON_IsNull(c))
            continue;
        int rc = 0;
        switch (f) {
        case P_NAME: rc = get_string(p, c, "partner.name", PROTO_MAX_STRING, true, &r->name); break;
        case P_ALIASES:
            rc = get_string_array(p, c, "partner.aliases", PROTO_MAX_ALIASES, true, &r->aliases,
                                  &r->n_aliases);
            break;
        case P_COUNTRY: rc = get_iso_code(p, c, "partner.country", false, "", &r->country); break;
        case P_REGION:
            rc = get_iso_code(p, c, "partner.region", true, " (\"UA-43\")", &r->region);
            break;
        case P_TYPE:
            rc = get_string(p, c, "partner.type", PROTO_MAX_STRING, false, &r->type);
            break;
        case P_IDS: rc = get_ids(p, c); break;
        case P_BIRTH_DATE: rc = get_birth_date(p, c); break;
        case P_NATIONALITY:
            rc = get_iso_code(p, c, "partner.nationality", false, " (\"RU\")", &r->nationality);
            break;
        default: assert(!"unhandled partner field");
        }
        if (rc != 0)
            return -1;
    }
    if (r->name == NULL)
        return fail(p, ERR_BAD_REQUEST, "partner.name: required");
    /* A date of birth or a nationality says the partner is a person: a
     * request that does not also say so would be screened as an
     * organisation, and the date silently unused. */
    bool person = r->type != NULL && strcmp(r->type, "individual") == 0;
    if (!person && (r->birth_date != NULL || r->nationality != NULL))
        return fail(p, ERR_BAD_REQUEST,
                    "partner.%s: only for a person (partner.type \"individual\")",
                    r->birth_date != NULL ? "birth_date" : "nationality");
    return 0;
}

/* Reads context: key -> string, number or boolean ("true"/"false"). */
static int
get_context(pctx_t *p, const cJSON *v)
{
    request_t *r = p->req;
    if (!cJSON_IsObject(v))
        return fail(p, ERR_BAD_REQUEST, "context: expected an object");
    size_t n = count_children(v);
    if (n > PROTO_MAX_CTX)
        return fail(p, ERR_BAD_REQUEST, "context: more than %d entries", PROTO_MAX_CTX);
    r->ctx = arena_calloc(p->a, n, sizeof *r->ctx);
    if (r->ctx == NULL)
        return oom(p);
    for (const cJSON *c = v->child; c != NULL; c = c->next) {
        if (check_key(p, c->string, "context", PROTO_MAX_KEY) != 0)
            return -1;
        char path[PROTO_MAX_KEY + 16];
        snprintf(path, sizeof path, "context.%s", c->string);
        for (size_t k = 0; k < r->n_ctx; k++)
            if (strcmp(r->ctx[k].key, c->string) == 0)
                return fail(p, ERR_BAD_REQUEST, "duplicate field \"%s\"", path);
        expr_ctxval_t *cv = &r->ctx[r->n_ctx];
        if (cJSON_IsNull(c)) {
            continue;
        } else if (cJSON_IsString(c)) {
            if (get_string(p, c, path, PROTO_MAX_STRING, false, &cv->str) != 0)
                return -1;
        } else if (cJSON_IsNumber(c)) {
            if (!isfinite(c->valuedouble))
                return fail(p, ERR_BAD_REQUEST, "%s: number out of range", path);
            cv->num = c->valuedouble;
        } else if (cJSON_IsBool(c)) {
            cv->str = cJSON_IsTrue(c) ? "true" : "false";
        } else {
            return fail(p, ERR_BAD_REQUEST, "%s: expected a string, number or boolean", path);
        }
        if ((cv->key = arena_strdup(p->a, c->string)) == NULL)
            return oom(p);
        r->n_ctx++;
    }
    return 0;
}

/* Shortest text that reads back as v ("42", "1.5", "1e+20"). */
static void
format_number(double v, char *buf, size_t cap)
{
    if (v == 0)
        v = 0; /* no "-0" */
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, cap, "%.0f", v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Reads id (string or number) into req->id. */
/* The review op's "review" object: strings only, each field once,
 * unknown fields refused with a suggestion. What they must say (an
 * entity of the ruleset, a date in range...) the daemon checks against
 * the ruleset it serves. */
static int
get_review(pctx_t *p, const cJSON *v)
{
    req_review_t *rv = &p->req->review;
    static const char *const names[] = {"id",      "decision", "entity", "name",
                                        "country", "activity", "rule",   "by",
                                        "reason",  "expires",  "ref"};
    const char **slots[] = {&rv->id,      &rv->decision, &rv->entity, &rv->name,
                            &rv->country, &rv->activity, &rv->rule,   &rv->by,
                            &rv->reason,  &rv->expires,  &rv->ref};
    if (!cJSON_IsObject(v))
        return fail(p, ERR_BAD_REQUEST, "review: expected an object");
    vocab_t known = names_vocab(names, sizeof names / sizeof names[0]);
    for (const cJSON *c = v->child; c != NULL; c = c->next) {
        if (check_key(p, c->string, "review", 0) != 0)
            return -1;
        int f = vocab_find(&known, c->string);
        if (f < 0)
            return unknown_field(p, "review.", c->string, &known);
        if (*slots[f] != NULL)
            return fail(p, ERR_BAD_REQUEST, "review: duplicate field \"%s\"", c->string);
        char field[32];
        snprintf(field, sizeof field, "review.%s", names[f]);
        if (f == 4) { /* country */
            if (get_iso_code(p, c, "review.country", false, "", slots[f]) != 0)
                return -1;
        } else if (get_string(p, c, field, PROTO_MAX_TEXT, true, slots[f]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int
get_id(pctx_t *p, const cJSON *v)
{
    if (cJSON_IsNull(v))
        return 0;
    if (cJSON_IsNumber(v)) {
        char num[40];
        if (!isfinite(v->valuedouble))
            return fail(p, ERR_BAD_REQUEST, "id: number out of range");
        format_number(v->valuedouble, num, sizeof num);
        if ((p->req->id = arena_strdup(p->a, num)) == NULL)
            return oom(p);
        return 0;
    }
    if (!cJSON_IsString(v))
        return fail(p, ERR_BAD_REQUEST, "id: expected a string or number");
    return get_string(p, v, "id", PROTO_MAX_STRING, false, &p->req->id);
}

/* Reads op into req->op. */
static int
get_op(pctx_t *p, const cJSON *v)
{
    if (cJSON_IsNull(v))
        return 0;
    const char *name;
    if (get_string(p, v, "op", PROTO_MAX_STRING, false, &name) != 0)
        return -1;
    int op = req_op_find(name);
    if (op >= 0) {
        p->req->op = (req_op_t)op;
        return 0;
    }
    const char *ops[REQ_OP_COUNT];
    for (int i = 0; i < REQ_OP_COUNT; i++)
        ops[i] = req_op_name((req_op_t)i);
    vocab_t known = names_vocab(ops, REQ_OP_COUNT);
    const char *sug = suggest(&known, name);
    char eb[PROTO_ECHO_MAX + 4];
    if (sug != NULL)
        return fail(p, ERR_UNKNOWN_OP, "unknown op \"%s\" (did you mean \"%s\"?)",
                    echo(name, eb, sizeof eb), sug);
    return fail(p, ERR_UNKNOWN_OP, "unknown op \"%s\"", echo(name, eb, sizeof eb));
}

/* Reads the top-level object: id first (so that every later error can
 * echo it), then op (which decides the fields allowed), then every
 * member in document order. */
static int
get_request(pctx_t *p, const cJSON *root)
{
    request_t *r = p->req;
    if (!cJSON_IsObject(root))
        return fail(p, ERR_BAD_REQUEST, "request: expected a JSON object");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (v != NULL && get_id(p, v) != 0)
        return -1;
    v = cJSON_GetObjectItemCaseSensitive(root, "op");
    if (v != NULL && get_op(p, v) != 0)
        return -1;

    /* Admin ops take nothing but id and op; reload also force; review
     * action and review; screen every field but those. */
    const char *allowed[F_COUNT];
    size_t nallowed = 0;
    for (int f = 0; f < F_COUNT; f++)
        if (f < F_PARTNER || (r->op == REQ_OP_SCREEN   ? f < F_FORCE
                              : r->op == REQ_OP_RELOAD ? f == F_FORCE
                              : r->op == REQ_OP_REVIEW ? f == F_ACTION || f == F_REVIEW
                                                       : false))
            allowed[nallowed++] = field_names[f];
    vocab_t known = names_vocab(allowed, nallowed);
    unsigned seen = 0;
    for (const cJSON *c = root->child; c != NULL; c = c->next) {
        if (check_key(p, c->string, "request", 0) != 0)
            return -1;
        if (vocab_find(&known, c->string) < 0)
            return unknown_field(p, "", c->string, &known);
        vocab_t all = names_vocab(field_names, F_COUNT);
        int f = vocab_find(&all, c->string);
        if (seen & (1u << f))
            return fail(p, ERR_BAD_REQUEST, "duplicate field \"%s\"", c->string);
        seen |= 1u << f;
        if (cJSON_IsNull(c))
            continue;
        int rc = 0;
        switch (f) {
        case F_ID:
        case F_OP: break; /* read above */
        case F_PARTNER: rc = get_partner(p, c); break;
        case F_TECH:
            rc =
                get_string_array(p, c, "technologies", PROTO_MAX_TECH, false, &r->tech, &r->n_tech);
            break;
        case F_ACTIVITY:
            rc = get_string(p, c, "activity", PROTO_MAX_STRING, false, &r->activity);
            break;
        case F_CURRENT:
            if (!cJSON_IsBool(c))
                rc = fail(p, ERR_BAD_REQUEST, "current: expected true or false");
            else
                r->current = cJSON_IsTrue(c);
            break;
        case F_TEXT: rc = get_string(p, c, "text", PROTO_MAX_TEXT, false, &r->text); break;
        case F_CONTEXT: rc = get_context(p, c); break;
        case F_PROFILE:
            rc = get_string(p, c, "profile", PROTO_MAX_STRING, false, &r->profile);
            break;
        case F_FORCE:
            if (!cJSON_IsBool(c))
                rc = fail(p, ERR_BAD_REQUEST, "force: expected true or false");
            else
                r->force = cJSON_IsTrue(c);
            break;
        case F_ACTION: rc = get_string(p, c, "action", PROTO_MAX_STRING, false, &r->action); break;
        case F_REVIEW: rc = get_review(p, c); break;
        default: assert(!"unhandled request field");
        }
        if (rc != 0)
            return -1;
    }
    if (r->op == REQ_OP_SCREEN && r->name == NULL)
        return fail(p, ERR_BAD_REQUEST, "partner: required");
    if (r->op == REQ_OP_REVIEW) {
        static const char *const actions[] = {"add", "expire", "list"};
        vocab_t known_actions = names_vocab(actions, 3);
        if (r->action == NULL)
            return fail(p, ERR_BAD_REQUEST, "action: required (\"add\", \"expire\" or \"list\")");
        if (vocab_find(&known_actions, r->action) < 0)
            return fail(p, ERR_BAD_REQUEST,
                        "action: \"%.32s\" is not \"add\", \"expire\" or \"list\"", r->action);
        bool list = strcmp(r->action, "list") == 0;
        if (list != (cJSON_GetObjectItemCaseSensitive(root, "review") == NULL))
            return fail(p, ERR_BAD_REQUEST,
                        list ? "review: \"list\" takes no review" : "review: required");
    }
    return 0;
}

/* cJSON ends strings at a NUL, so "a\u0000b" would silently read as "a".
 * Returns the offset of the first \u0000 escape in the (already valid)
 * document, or -1. Outside strings a backslash is not valid JSON, so
 * every backslash seen here is inside a string. */
static long
escaped_nul(const char *json, size_t len)
{
    for (size_t i = 0; i + 6 <= len; i++) {
        if (json[i] != '\\')
            continue;
        if (json[i + 1] == 'u' && memcmp(json + i + 2, "0000", 4) == 0)
            return (long)i;
        i++; /* skip the escaped character */
    }
    return -1;
}

int
proto_parse(const char *json, size_t len, size_t max_len, arena_t *a, request_t *req,
            req_err_t *code, const char **msg)
{
    pctx_t p = {a, req, ERR_NONE, NULL};
    int rc = -1;
    request_init(req);
    *code = ERR_NONE;
    *msg = NULL;
    if (max_len != 0 && len > max_len) {
        fail(&p, ERR_TOO_LARGE, "request is %zu bytes, limit is %zu", len, max_len);
        goto out;
    }
    /* C clients often send the terminating NUL too; anything else NUL is
     * not JSON (and would cut a string short inside cJSON). */
    size_t n = len;
    while (n > 0 && json[n - 1] == '\0')
        n--;
    const char *nul = n > 0 ? memchr(json, '\0', n) : NULL;
    if (nul != NULL) {
        fail(&p, ERR_BAD_REQUEST, "invalid JSON at byte %zu", (size_t)(nul - json));
        goto out;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, n, &end, 0);
    if (root == NULL) {
        size_t at = end != NULL && end >= json ? (size_t)(end - json) : 0;
        fail(&p, ERR_BAD_REQUEST, "invalid JSON at byte %zu", at);
        goto out;
    }
    size_t pos = (size_t)(end - json);
    while (pos < n &&
           (json[pos] == ' ' || json[pos] == '\t' || json[pos] == '\n' || json[pos] == '\r'))
        pos++;
    long esc;
    if (pos < n)
        fail(&p, ERR_BAD_REQUEST, "invalid JSON at byte %zu", pos);
    else if ((esc = escaped_nul(json, n)) >= 0)
        fail(&p, ERR_BAD_REQUEST, "request: \\u0000 at byte %ld is not allowed", esc);
    else
        rc = get_request(&p, root);
    cJSON_Delete(root);
out:
    *code = p.code;
    *msg = p.msg;
    return rc;
}

int
proto_parse_tree(const cJSON *root, arena_t *a, request_t *req, req_err_t *code, const char **msg)
{
    pctx_t p = {a, req, ERR_NONE, NULL};
    request_init(req);
    int rc = get_request(&p, root);
    *code = p.code;
    *msg = p.msg;
    return rc;
}

/* ---- replies ---- */

/* Name of symbol i of v, or NULL (written as null) if out of range,
 * which would be a bug of whoever built the result. */
static const char *
sym(const vocab_t *v, int i)
{
    assert(i >= 0 && (size_t)i < v->n);
    return i >= 0 && (size_t)i < v->n ? v->names[i] : NULL;
}

void
proto_open_reply(sbuf_t *b, const char *id)
{
    sbuf_putc(b, '{');
    if (id == NULL)
        return;
    sbuf_puts(b, "\"id\":");
    sbuf_json_cstr(b, id);
    sbuf_putc(b, ',');
}

static void
put_strings(sbuf_t *b, const char *const *s, size_t n)
{
    sbuf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        sbuf_json_cstr(b, s[i]);
    }
    sbuf_putc(b, ']');
}

static void
put_syms(sbuf_t *b, const vocab_t *v, const uint16_t *idx, size_t n)
{
    sbuf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        sbuf_json_cstr(b, sym(v, idx[i]));
    }
    sbuf_putc(b, ']');
}

/* Writes "scheme:value" as one JSON string, escaping both parts: each is
 * written as its own literal, then the two are joined by turning the
 * first one's closing quote into ':' and dropping the second's opening
 * quote. */
static void
put_ident(sbuf_t *b, const reg_ident_t *id)
{
    sbuf_json_cstr(b, id->scheme);
    size_t mid = b->len;
    sbuf_json_cstr(b, id->value);
    if (b->oom)
        return;
    b->data[mid - 1] = ':';
    memmove(b->data + mid, b->data + mid + 1, b->len - mid); /* with the NUL */
    b->len--;
}

/* Scores are printed with exactly two decimals (0.93, 1.00): stable for
 * golden tests and all the precision a reader needs. */
static void
put_score(sbuf_t *b, double s)
{
    sbuf_printf(b, "%.2f", isfinite(s) ? s : 0.0);
}

/* The query string a hit was found by: req->name (query 0) or
 * req->aliases[query - 1]; NULL when req is NULL or query is out of
 * range. Borrowed from req. */
static const char *
hit_query(const request_t *req, const match_hit_t *h)
{
    if (req == NULL)
        return NULL;
    if (h->query == 0)
        return req->name;
    return h->query <= req->n_aliases ? req->aliases[h->query - 1] : NULL;
}

/* Writes ,"matched_span":"..." (the bytes of the query string that named
 * the organisation) when the hit has a span (span_len > 0). The span is
 * diagnostic: one that does not lie within its string, or cuts a UTF-8
 * character, is left out rather than read out of bounds or quoted
 * garbled. */
static void
put_span(sbuf_t *b, const request_t *req, const match_hit_t *h)
{
    const char *q = hit_query(req, h);
    if (h->span_len == 0 || q == NULL)
        return;
    size_t n = strlen(q);
    if (h->span_off > n || h->span_len > n - h->span_off)
        return;
    const char *span = q + h->span_off;
    if (!sbuf_utf8_valid(span, h->span_len))
        return;
    sbuf_puts(b, ",\"matched_span\":");
    sbuf_json_str(b, span, h->span_len);
}

/* For a person's match (birth_date set): ,"birth_date":"match"|"differs"|
 * "not given"|"not listed","birth_dates":[...],"nationality":...,
 * "nationalities":[...]: what the request's date of birth and nationality
 * say of it, and what the list gives. */
static void
put_person(sbuf_t *b, const reg_entity_t *e, const match_hit_t *h)
{
    const char *bd = match_evidence_name((match_evidence_t)h->birth_date);
    const char *nat = match_evidence_name((match_evidence_t)h->nationality);
    if (bd == NULL || nat == NULL)
        return;
    sbuf_puts(b, ",\"birth_date\":");
    sbuf_json_cstr(b, bd);
    sbuf_puts(b, ",\"birth_dates\":");
    put_strings(b, e->birth_dates, e->n_birth_dates);
    sbuf_puts(b, ",\"nationality\":");
    sbuf_json_cstr(b, nat);
    sbuf_puts(b, ",\"nationalities\":");
    put_strings(b, e->nationalities, e->n_nationalities);
}

void
proto_write_review(sbuf_t *b, const rs_review_t *r, const char *state)
{
    const char *const names[] = {"id",       "decision", "entity",     "name",       "country",
                                 "activity", "rule",     "by",         "on",         "reason",
                                 "expires",  "ref",      "expired_on", "expired_by", "expired_why"};
    const char *const vals[] = {r->id,         ruleset_review_kind_name(r->kind),
                                r->entity_id,  r->name,
                                r->country,    r->activity,
                                r->rule,       r->by,
                                r->on,         r->reason,
                                r->expires,    r->ref,
                                r->expired_on, r->expired_by,
                                r->expired_why};
    sbuf_putc(b, '{');
    bool first = true;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (vals[i] == NULL)
            continue;
        sbuf_printf(b, "%s\"%s\":", first ? "" : ",", names[i]);
        sbuf_json_cstr(b, vals[i]);
        first = false;
    }
    if (state != NULL) {
        sbuf_puts(b, ",\"state\":");
        sbuf_json_cstr(b, state);
        if (r->inert != NULL) {
            sbuf_puts(b, ",\"inert\":");
            sbuf_json_cstr(b, r->inert);
        }
    }
    sbuf_putc(b, '}');
}

/* A match; review is the decision that dismissed it, or NULL. */
static void
put_match(sbuf_t *b, const ruleset_t *rs, const request_t *req, const match_hit_t *h,
          const rs_review_t *review)
{
    assert(h->entity < rs->n_ents);
    const reg_entity_t *e = &rs->ents[h->entity];
    sbuf_puts(b, "{\"entity\":");
    sbuf_json_cstr(b, e->id);
    /* name is the entity's own (primary) name; matched is what the
     * request was found by: the identifier, or the name or alias. */
    sbuf_puts(b, ",\"name\":");
    sbuf_json_cstr(b, e->name);
    sbuf_puts(b, ",\"matched\":");
    if (h->method == MATCH_ID) {
        assert(h->name < e->n_ids);
        if (h->name < e->n_ids)
            put_ident(b, &e->ids[h->name]);
        else
            sbuf_puts(b, "null");
    } else {
        assert(h->name <= e->n_aliases);
        sbuf_json_cstr(b, h->name <= e->n_aliases ? reg_entity_name(e, h->name) : NULL);
    }
    put_span(b, req, h);
    sbuf_puts(b, ",\"method\":");
    sbuf_json_cstr(b, match_method_name(h->method));
    sbuf_puts(b, ",\"score\":");
    put_score(b, h->score);
    put_person(b, e, h);
    sbuf_puts(b, ",\"country\":");
    sbuf_json_cstr(b, e->country);
    sbuf_puts(b, ",\"lists\":");
    put_syms(b, &rs->lists, e->lists, e->n_lists);
    sbuf_puts(b, ",\"tags\":");
    put_syms(b, &rs->tags, e->tags, e->n_tags);
    sbuf_puts(b, ",\"risk\":");
    sbuf_json_cstr(b, e->risk >= 0 ? sym(&rs->risks, e->risk) : NULL);
    sbuf_puts(b, ",\"sources\":");
    put_strings(b, e->sources, e->n_sources);
    /* Entries merged into it (one body, one identity): their ids. */
    if (e->n_merged > 0) {
        sbuf_puts(b, ",\"merged\":");
        put_strings(b, e->merged, e->n_merged);
    }
    if (review != NULL) {
        sbuf_puts(b, ",\"reviewed\":");
        proto_write_review(b, review, NULL);
    }
    sbuf_putc(b, '}');
}

static void
put_category(sbuf_t *b, const ruleset_t *rs, const res_cat_t *c)
{
    const tax_cat_t *tc = tax_get(rs->tax, c->cat);
    sbuf_puts(b, "{\"code\":");
    sbuf_json_cstr(b, tc->code);
    sbuf_puts(b, ",\"label\":");
    sbuf_json_cstr(b, tc->label);
    sbuf_puts(b, c->given ? ",\"given\":true" : ",\"given\":false");
    sbuf_puts(b, c->spotted ? ",\"spotted\":true" : ",\"spotted\":false");
    sbuf_puts(b, ",\"evidence\":");
    put_strings(b, c->evidence, c->n_evidence);
    sbuf_putc(b, '}');
}

static void
put_rule(sbuf_t *b, const ruleset_t *rs, const res_rule_t *fired)
{
    assert(fired->rule >= 0 && (size_t)fired->rule < rs->n_rules);
    const rs_rule_t *r = &rs->rules[fired->rule];
    sbuf_puts(b, "{\"id\":");
    sbuf_json_cstr(b, r->id);
    /* An accepted tie: the rule is shown at the verdict it now counts
     * for (none), with the decision and what it would have been. */
    bool accepted = fired->review >= 0 && (size_t)fired->review < rs->n_reviews;
    sbuf_puts(b, ",\"verdict\":");
    sbuf_json_cstr(b, sym(&rs->verdicts, accepted ? rs->default_verdict : r->verdict));
    sbuf_printf(b, ",\"score\":%d", accepted ? 0 : r->score);
    if (accepted) {
        sbuf_puts(b, ",\"reviewed\":");
        proto_write_review(b, &rs->reviews[fired->review], NULL);
        sbuf_puts(b, ",\"lowered_from\":{\"verdict\":");
        sbuf_json_cstr(b, sym(&rs->verdicts, r->verdict));
        sbuf_printf(b, ",\"score\":%d}", r->score);
    }
    sbuf_puts(b, ",\"reason\":");
    sbuf_json_cstr(b, r->reason);
    sbuf_puts(b, ",\"cite\":");
    sbuf_json_cstr(b, r->cite);
    sbuf_puts(b, ",\"entity\":");
    assert(fired->entity < (int64_t)rs->n_ents);
    bool has = fired->entity >= 0 && (uint64_t)fired->entity < rs->n_ents;
    sbuf_json_cstr(b, has ? rs->ents[fired->entity].id : NULL);
    sbuf_putc(b, '}');
}

void
proto_write_result(sbuf_t *b, const ruleset_t *rs, const request_t *req, const result_t *res,
                   uint64_t elapsed_us)
{
    proto_open_reply(b, req != NULL ? req->id : NULL);
    sbuf_puts(b, "\"verdict\":");
    sbuf_json_cstr(b, sym(&rs->verdicts, res->verdict));
    sbuf_printf(b, ",\"score\":%d", res->score);

    sbuf_puts(b, ",\"partner\":{\"matches\":[");
    for (size_t i = 0; i < res->n_matches; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        put_match(b, rs, req, &res->matches[i], NULL);
    }
    sbuf_putc(b, ']');
    /* People whose listed dates of birth all differ from the request's:
     * no matches, never silently dropped. */
    for (size_t i = 0; i < res->n_ruled_out; i++) {
        sbuf_puts(b, i > 0 ? "," : ",\"ruled_out\":[");
        put_match(b, rs, req, &res->ruled_out[i], NULL);
    }
    if (res->n_ruled_out > 0)
        sbuf_putc(b, ']');
    /* Matches the review register dismissed: with the decision. */
    for (size_t i = 0; i < res->n_dismissed; i++) {
        sbuf_puts(b, i > 0 ? "," : ",\"dismissed\":[");
        put_match(b, rs, req, &res->dismissed[i], &rs->reviews[res->dismissed_by[i]]);
    }
    if (res->n_dismissed > 0)
        sbuf_putc(b, ']');
    if (res->region_code != NULL) {
        /* Where the rules placed the partner, and why: a region read
         * from a place name is evidence a person should confirm. */
        sbuf_puts(b, ",\"region\":{\"code\":");
        sbuf_json_cstr(b, res->region_code);
        if (res->region >= 0) {
            sbuf_puts(b, ",\"name\":");
            sbuf_json_cstr(b, rs->regions[res->region].name);
        }
        sbuf_puts(b, ",\"from\":");
        sbuf_json_cstr(b, res->region_place != NULL ? "name" : "request");
        if (res->region_place != NULL) {
            sbuf_puts(b, ",\"place\":");
            sbuf_json_cstr(b, res->region_place);
        }
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "},\"categories\":[");
    for (size_t i = 0; i < res->n_cats; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        put_category(b, rs, &res->cats[i]);
    }
    sbuf_puts(b, "],\"rules\":[");
    for (size_t i = 0; i < res->n_rules; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        put_rule(b, rs, &res->rules[i]);
    }
    sbuf_putc(b, ']');
    if (res->note != NULL) {
        sbuf_puts(b, ",\"note\":");
        sbuf_json_cstr(b, res->note);
    }
    sbuf_puts(b, ",\"profile\":");
    sbuf_json_cstr(b, rs->profiles[res->profile].id);
    /* A list past its maximum age may miss parties listed since: every
     * verdict says so until it is updated (vet-update). */
    time_t now = time(NULL);
    size_t n_stale = 0;
    for (size_t i = 0; i < rs->lists.n; i++) {
        if (!ruleset_list_stale(rs, i, now))
            continue;
        const rs_list_t *l = &rs->list_info[i];
        sbuf_puts(b, n_stale++ ? ",{\"list\":" : ",\"stale\":[{\"list\":");
        sbuf_json_cstr(b, l->id);
        sbuf_puts(b, ",\"as_of\":");
        sbuf_json_cstr(b, l->as_of);
        sbuf_printf(b, ",\"max_age_days\":%d}", l->max_age_days);
    }
    if (n_stale > 0)
        sbuf_putc(b, ']');
    sbuf_puts(b, ",\"ruleset\":{\"version\":");
    sbuf_json_cstr(b, rs->version);
    sbuf_puts(b, ",\"digest\":");
    sbuf_json_cstr(b, rs->digest);
    sbuf_printf(b, "},\"elapsed_us\":%" PRIu64 "}", elapsed_us);
}

void
proto_write_error(sbuf_t *b, const char *id, req_err_t code, const char *msg)
{
    proto_open_reply(b, id);
    sbuf_puts(b, "\"error\":{\"code\":");
    sbuf_json_cstr(b, req_err_name(code));
    sbuf_puts(b, ",\"message\":");
    sbuf_json_cstr(b, msg != NULL ? msg : req_err_name(code));
    sbuf_puts(b, "}}");
}

void
proto_write_taxonomy(sbuf_t *b, const ruleset_t *rs, const char *id)
{
    proto_open_reply(b, id);
    sbuf_puts(b, "\"categories\":[");
    size_t n = tax_count(rs->tax);
    for (size_t i = 0; i < n; i++) {
        const tax_cat_t *c = tax_get(rs->tax, (int)i);
        if (i > 0)
            sbuf_putc(b, ',');
        sbuf_puts(b, "{\"code\":");
        sbuf_json_cstr(b, c->code);
        sbuf_puts(b, ",\"label\":");
        sbuf_json_cstr(b, c->label);
        if (c->parent >= 0) {
            sbuf_puts(b, ",\"parent\":");
            sbuf_json_cstr(b, tax_get(rs->tax, c->parent)->code);
        }
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "],\"activities\":");
    put_strings(b, rs->activities.names, rs->activities.n);
    sbuf_puts(b, ",\"verdicts\":");
    put_strings(b, rs->verdicts.names, rs->verdicts.n);
    sbuf_putc(b, '}');
}

void
proto_write_profiles(sbuf_t *b, const ruleset_t *rs, const char *id, const char *dflt)
{
    proto_open_reply(b, id);
    sbuf_puts(b, "\"default\":");
    sbuf_json_cstr(b, dflt != NULL ? dflt : rs->profiles[rs->default_profile].id);
    sbuf_puts(b, ",\"profiles\":[");
    for (size_t i = 0; i < rs->n_profiles; i++) {
        const rs_profile_t *p = &rs->profiles[i];
        if (i > 0)
            sbuf_putc(b, ',');
        sbuf_puts(b, "{\"id\":");
        sbuf_json_cstr(b, p->id);
        sbuf_puts(b, ",\"label\":");
        sbuf_json_cstr(b, p->label);
        if (p->description != NULL) {
            sbuf_puts(b, ",\"description\":");
            sbuf_json_cstr(b, p->description);
        }
        sbuf_puts(b, ",\"rules\":[");
        for (size_t k = 0; k < p->n_rules; k++) {
            if (k > 0)
                sbuf_putc(b, ',');
            sbuf_json_cstr(b, rs->rules[p->rules[k]].id);
        }
        sbuf_puts(b, "]}");
    }
    sbuf_puts(b, "]}");
}

/* Is field (e.g. "partner.name", "context.funder") masked? A mask entry
 * names the field or a group above it ("partner", "context"). */
static bool
masked(const char *const *mask, size_t n_mask, const char *field)
{
    for (size_t i = 0; i < n_mask; i++) {
        size_t l = strlen(mask[i]);
        if (strncmp(field, mask[i], l) == 0 && (field[l] == '\0' || field[l] == '.'))
            return true;
    }
    return false;
}

/* A match as the audit record keeps it: the organisation, the name or
 * identifier it was found by, how, and the score. */
static void
put_audit_match(sbuf_t *b, const ruleset_t *rs, const match_hit_t *h, bool hide)
{
    const reg_entity_t *e = &rs->ents[h->entity];
    sbuf_puts(b, "{\"entity\":");
    sbuf_json_cstr(b, e->id);
    sbuf_puts(b, ",\"matched\":");
    if (hide)
        sbuf_puts(b, "\"***\"");
    else if (h->method == MATCH_ID && h->name < e->n_ids)
        put_ident(b, &e->ids[h->name]);
    else if (h->method != MATCH_ID && h->name <= e->n_aliases)
        sbuf_json_cstr(b, reg_entity_name(e, h->name));
    else
        sbuf_puts(b, "null");
    sbuf_puts(b, ",\"method\":");
    sbuf_json_cstr(b, match_method_name(h->method));
    sbuf_puts(b, ",\"score\":");
    put_score(b, h->score);
}

void
proto_write_audit_result(sbuf_t *b, const ruleset_t *rs, const request_t *req, const result_t *res,
                         const char *const *mask, size_t n_mask)
{
    /* An exact match's name is the partner's own: masked with it. */
    bool hide = masked(mask, n_mask, "partner.name") || masked(mask, n_mask, "partner.aliases") ||
                masked(mask, n_mask, "partner.ids");
    sbuf_puts(b, ",\"verdict\":");
    sbuf_json_cstr(b, sym(&rs->verdicts, res->verdict));
    sbuf_puts(b, ",\"profile\":");
    sbuf_json_cstr(b, rs->profiles[res->profile].id);
    sbuf_printf(b, ",\"score\":%d,\"rules\":[", res->score);
    for (size_t i = 0; i < res->n_rules; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        sbuf_json_cstr(b, rs->rules[res->rules[i].rule].id);
    }
    sbuf_puts(b, "],\"partners\":[");
    for (size_t i = 0; i < res->n_matches; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        sbuf_json_cstr(b, rs->ents[res->matches[i].entity].id);
    }
    sbuf_puts(b, "],\"matches\":[");
    for (size_t i = 0; i < res->n_matches; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        put_audit_match(b, rs, &res->matches[i], hide);
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
    /* What people decided changed this verdict: the matches the register
     * dismissed and the rules whose tie it accepted, with the entry. */
    size_t n = 0;
    for (size_t i = 0; i < res->n_dismissed; i++) {
        sbuf_puts(b, n++ ? "," : ",\"reviewed\":[");
        put_audit_match(b, rs, &res->dismissed[i], hide);
        sbuf_puts(b, ",\"review\":");
        sbuf_json_cstr(b, rs->reviews[res->dismissed_by[i]].id);
        sbuf_puts(b, ",\"decision\":\"not_entity\"}");
    }
    for (size_t i = 0; i < res->n_rules; i++) {
        const res_rule_t *r = &res->rules[i];
        if (r->review < 0)
            continue;
        sbuf_puts(b, n++ ? "," : ",\"reviewed\":[");
        sbuf_puts(b, "{\"entity\":");
        sbuf_json_cstr(b, r->entity >= 0 ? rs->ents[r->entity].id : NULL);
        sbuf_puts(b, ",\"rule\":");
        sbuf_json_cstr(b, rs->rules[r->rule].id);
        sbuf_puts(b, ",\"review\":");
        sbuf_json_cstr(b, rs->reviews[r->review].id);
        sbuf_puts(b, ",\"decision\":\"accepted\"}");
    }
    if (n > 0)
        sbuf_putc(b, ']');
    (void)req;
}

#define MASK "\"***\""

void
proto_write_request(sbuf_t *b, const request_t *req, const char *const *mask, size_t n_mask)
{
    proto_open_reply(b, req->id);
    sbuf_puts(b, "\"op\":");
    sbuf_json_cstr(b, req_op_name(req->op));
    if (req->op == REQ_OP_REVIEW) {
        /* A change of the review register is a decision the record keeps
         * whole: who, what, why; the partner's name and country in it
         * are masked as a screen's are. */
        sbuf_puts(b, ",\"action\":");
        sbuf_json_cstr(b, req->action);
        const req_review_t *rv = &req->review;
        const char *const names[] = {"id",   "decision", "entity", "name",    "country", "activity",
                                     "rule", "by",       "reason", "expires", "ref"};
        const char *const vals[] = {rv->id,      rv->decision, rv->entity, rv->name,
                                    rv->country, rv->activity, rv->rule,   rv->by,
                                    rv->reason,  rv->expires,  rv->ref};
        bool any = false;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (vals[i] == NULL)
                continue;
            sbuf_printf(b, "%s\"%s\":", any ? "," : ",\"review\":{", names[i]);
            if ((i == 3 && masked(mask, n_mask, "partner.name")) ||
                (i == 4 && masked(mask, n_mask, "partner.country")))
                sbuf_puts(b, MASK);
            else
                sbuf_json_cstr(b, vals[i]);
            any = true;
        }
        sbuf_puts(b, any ? "}}" : "}");
        return;
    }
    if (req->op != REQ_OP_SCREEN) {
        /* A forced reload is the decision the record must show. */
        sbuf_puts(b, req->force ? ",\"force\":true}" : "}");
        return;
    }
    sbuf_puts(b, ",\"partner\":{\"name\":");
    if (masked(mask, n_mask, "partner.name"))
        sbuf_puts(b, MASK);
    else
        sbuf_json_cstr(b, req->name);
    if (req->n_aliases > 0) {
        sbuf_puts(b, ",\"aliases\":");
        if (masked(mask, n_mask, "partner.aliases"))
            sbuf_puts(b, MASK);
        else
            put_strings(b, req->aliases, req->n_aliases);
    }
    if (req->country != NULL) {
        sbuf_puts(b, ",\"country\":");
        if (masked(mask, n_mask, "partner.country"))
            sbuf_puts(b, MASK);
        else
            sbuf_json_cstr(b, req->country);
    }
    if (req->region != NULL) {
        sbuf_puts(b, ",\"region\":");
        if (masked(mask, n_mask, "partner.region"))
            sbuf_puts(b, MASK);
        else
            sbuf_json_cstr(b, req->region);
    }
    if (req->type != NULL) {
        sbuf_puts(b, ",\"type\":");
        sbuf_json_cstr(b, req->type);
    }
    if (req->birth_date != NULL) {
        sbuf_puts(b, ",\"birth_date\":");
        if (masked(mask, n_mask, "partner.birth_date"))
            sbuf_puts(b, MASK);
        else
            sbuf_json_cstr(b, req->birth_date);
    }
    if (req->nationality != NULL) {
        sbuf_puts(b, ",\"nationality\":");
        if (masked(mask, n_mask, "partner.nationality"))
            sbuf_puts(b, MASK);
        else
            sbuf_json_cstr(b, req->nationality);
    }
    if (req->n_ids > 0) {
        sbuf_puts(b, ",\"ids\":");
        if (masked(mask, n_mask, "partner.ids")) {
            sbuf_puts(b, MASK);
        } else {
            sbuf_putc(b, '{');
            for (size_t i = 0; i < req->n_ids; i++) {
                if (i > 0)
                    sbuf_putc(b, ',');
                sbuf_json_cstr(b, req->id_schemes[i]);
                sbuf_putc(b, ':');
                sbuf_json_cstr(b, req->id_values[i]);
            }
            sbuf_putc(b, '}');
        }
    }
    sbuf_putc(b, '}');
    if (req->n_tech > 0) {
        sbuf_puts(b, ",\"technologies\":");
        put_strings(b, req->tech, req->n_tech);
    }
    if (req->activity != NULL) {
        sbuf_puts(b, ",\"activity\":");
        sbuf_json_cstr(b, req->activity);
    }
    if (!req->current)
        sbuf_puts(b, ",\"current\":false");
    if (req->profile != NULL) {
        sbuf_puts(b, ",\"profile\":");
        sbuf_json_cstr(b, req->profile);
    }
    if (req->text != NULL) {
        sbuf_puts(b, ",\"text\":");
        if (masked(mask, n_mask, "text"))
            sbuf_puts(b, MASK);
        else
            sbuf_json_cstr(b, req->text);
    }
    if (req->n_ctx > 0) {
        sbuf_puts(b, ",\"context\":{");
        for (size_t i = 0; i < req->n_ctx; i++) {
            char field[PROTO_MAX_KEY + 16];
            snprintf(field, sizeof field, "context.%s", req->ctx[i].key);
            if (i > 0)
                sbuf_putc(b, ',');
            sbuf_json_cstr(b, req->ctx[i].key);
            sbuf_putc(b, ':');
            if (masked(mask, n_mask, field)) {
                sbuf_puts(b, MASK);
            } else if (req->ctx[i].str != NULL) {
                sbuf_json_cstr(b, req->ctx[i].str);
            } else {
                char num[40];
                format_number(req->ctx[i].num, num, sizeof num);
                sbuf_puts(b, num);
            }
        }
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, '}');
}
