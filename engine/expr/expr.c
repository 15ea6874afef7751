/* SPDX-License-Identifier: Apache-2.0 */
/* expr.c -- the condition language's checker and code generator: syntax tree to program. */
#include "expr.h"

#include <stdlib.h>
#include <string.h>

#include "expr_int.h"
#include "match.h"
#include "vec.h"

/* ---- names --------------------------------------------------------------- */

/* The checker's types; the text is what messages say. */
/* clang-format off */
#define EXPR_TYPES(X)                                                   \
    X(ERR, "error") X(BOOL, "bool") X(NUM, "number") X(STR, "string")   \
    X(LISTS, "list set") X(TAGS, "tag set") X(RISK, "risk level")       \
    X(ACTIVITY, "activity") X(PTYPE, "partner type")                    \
    X(METHOD, "match method") X(ENTS, "entity set") X(CTX, "context value")
/* clang-format on */

typedef enum ty {
#define EXPR_TY_ENUM(name, text) TY_##name,
    EXPR_TYPES(EXPR_TY_ENUM)
#undef EXPR_TY_ENUM
} ty_t;

static const char *const ty_names[] = {
#define EXPR_TY_NAME(name, text) text,
    EXPR_TYPES(EXPR_TY_NAME)
#undef EXPR_TY_NAME
};

typedef enum nm {
    NM_MATCHED,
    NM_MATCH,
    NM_METHOD,
    NM_ID,
    NM_LISTS,
    NM_TAGS,
    NM_RISK,
    NM_COUNTRY,
    NM_REGION,
    NM_TYPE,
    NM_RELATED,
    NM_REL_LISTS,
    NM_REL_TAGS,
    NM_REL_RISK,
    NM_REL_EXISTS,
    NM_TECH_ANY,
    NM_TECH_ALL,
    NM_GIVEN_ANY,
    NM_GIVEN_ALL,
    NM_SPOTTED_ANY,
    NM_SPOTTED_ALL,
    NM_GIVEN_COUNT,
    NM_SPOTTED_COUNT,
    NM_ACTIVITY,
    NM_CURRENT,
    NM_CONTEXT
} nm_t;

/* Every name of the language but context.KEY: the single source of
 * truth for lookup and "did you mean". */
static const struct name {
    const char *key;   /* segments joined by '.', no arguments */
    const char *shown; /* as written, "(...)" for arguments */
    nm_t nm;           /* which */
    ty_t ty;           /* its type */
} names[] = {
    {"partner.matched", "partner.matched", NM_MATCHED, TY_BOOL},
    {"partner.match", "partner.match", NM_MATCH, TY_NUM},
    {"partner.method", "partner.method", NM_METHOD, TY_METHOD},
    {"partner.id", "partner.id", NM_ID, TY_STR},
    {"partner.lists", "partner.lists", NM_LISTS, TY_LISTS},
    {"partner.tags", "partner.tags", NM_TAGS, TY_TAGS},
    {"partner.risk", "partner.risk", NM_RISK, TY_RISK},
    {"partner.country", "partner.country", NM_COUNTRY, TY_STR},
    {"partner.region", "partner.region", NM_REGION, TY_STR},
    {"partner.type", "partner.type", NM_TYPE, TY_PTYPE},
    {"partner.related", "partner.related(...)", NM_RELATED, TY_ENTS},
    {"partner.related.lists", "partner.related(...).lists", NM_REL_LISTS, TY_LISTS},
    {"partner.related.tags", "partner.related(...).tags", NM_REL_TAGS, TY_TAGS},
    {"partner.related.risk", "partner.related(...).risk", NM_REL_RISK, TY_RISK},
    {"partner.related.exists", "partner.related(...).exists", NM_REL_EXISTS, TY_BOOL},
    {"tech.any", "tech.any(...)", NM_TECH_ANY, TY_BOOL},
    {"tech.all", "tech.all(...)", NM_TECH_ALL, TY_BOOL},
    {"tech.given.any", "tech.given.any(...)", NM_GIVEN_ANY, TY_BOOL},
    {"tech.given.all", "tech.given.all(...)", NM_GIVEN_ALL, TY_BOOL},
    {"tech.spotted.any", "tech.spotted.any(...)", NM_SPOTTED_ANY, TY_BOOL},
    {"tech.spotted.all", "tech.spotted.all(...)", NM_SPOTTED_ALL, TY_BOOL},
    {"tech.given.count", "tech.given.count", NM_GIVEN_COUNT, TY_NUM},
    {"tech.spotted.count", "tech.spotted.count", NM_SPOTTED_COUNT, TY_NUM},
    {"activity", "activity", NM_ACTIVITY, TY_ACTIVITY},
    {"current", "current", NM_CURRENT, TY_BOOL},
};

#define N_NAMES (sizeof names / sizeof names[0])

/* The names that take arguments, and how. */
static const struct call {
    const char *key;   /* as in names[].key */
    const char *usage; /* shown in "takes arguments" errors */
} calls[] = {
    {"partner.related", "partner.related(KIND, DEPTH)"},
    {"tech.any", "tech.any([\"code\", ...])"},
    {"tech.all", "tech.all([\"code\", ...])"},
    {"tech.given.any", "tech.given.any([\"code\", ...])"},
    {"tech.given.all", "tech.given.all([\"code\", ...])"},
    {"tech.spotted.any", "tech.spotted.any([\"code\", ...])"},
    {"tech.spotted.all", "tech.spotted.all([\"code\", ...])"},
};

/* Match methods: indexes are match_method_t values, "none" is -1. */
static const struct method {
    const char *name; /* as written in rules */
    int value;        /* match_method_t, or -1 */
} methods[] = {
    {"id", MATCH_ID},           {"exact", MATCH_EXACT}, {"unit", MATCH_UNIT},
    {"related", MATCH_RELATED}, {"fuzzy", MATCH_FUZZY}, {"none", -1},
};

/* ---- checker and code generator ------------------------------------------ */

typedef struct cc {
    const expr_schema_t *s; /* vocabularies (borrowed) */
    arena_t *a;             /* the caller's arena: what the program keeps */
    arena_t *scratch;       /* tokens, tree, temporaries (ours) */
    expr_loc_t loc;         /* where errors go */
    expr_ins_t *code;       /* program being built (malloc, ours) */
    size_t n, cap;          /* instructions used / allocated */
    size_t words;           /* words of a category set */
    bool oom;               /* an allocation failed */
} cc_t;

/* What an operand is, once its name is resolved. */
typedef enum vk { VK_ERR, VK_LIT, VK_NAME, VK_EXPR } vk_t;

typedef struct val {
    vk_t vk;              /* kind; VK_ERR after a reported error */
    ty_t ty;              /* its type */
    nm_t nm;              /* VK_NAME: which name */
    const expr_node_t *n; /* the node */
    char shown[128];      /* VK_NAME: as written, for messages */
    const char *str;      /* string literal (scratch) */
    double num;           /* number literal */
    bool b;               /* bool literal */
    int rel_kind;         /* related: kind, -1 for "*" */
    const char *rel_name; /* related: kind name (borrowed) or "*" */
    int depth;            /* related: hops */
    unsigned which;       /* tech: EXPR_TECH_* bits */
    int *codes;           /* tech: category indexes (scratch) */
    size_t n_codes;       /* tech: count */
    const char *key;      /* context: key (scratch) */
} val_t;

static const vocab_t *
voc(const vocab_t *v)
{
    static const vocab_t empty = {NULL, 0};
    return v != NULL ? v : &empty;
}

static size_t
emit(cc_t *c, expr_ins_t in)
{
    if (vec_grow(&c->code, &c->cap, c->n + 1, sizeof *c->code, 32) != 0) {
        c->oom = true;
        return 0;
    }
    c->code[c->n] = in;
    return c->n++;
}

static size_t
emit_op(cc_t *c, expr_op_t op, int32_t a)
{
    return emit(c, (expr_ins_t){.op = (uint8_t)op, .a = a});
}

/* Points the jump at j to the next instruction to be emitted. */
static void
patch(cc_t *c, size_t j)
{
    if (!c->oom && j < c->n)
        c->code[j].a = (int32_t)c->n;
}

/* Reports `unknown WHAT "name" (did you mean "x"?)`. */
static void
unknown(cc_t *c, int col, const char *what, const char *name, const vocab_t *v)
{
    const char *sug = vocab_suggest(voc(v), name);
    if (sug != NULL)
        expr_error(&c->loc, col, "unknown %s \"%s\" (did you mean \"%s\"?)", what, name, sug);
    else
        expr_error(&c->loc, col, "unknown %s \"%s\"", what, name);
}

static const struct name *
find_name(const char *key)
{
    for (size_t i = 0; i < N_NAMES; i++)
        if (strcmp(names[i].key, key) == 0)
            return &names[i];
    return NULL;
}

static const struct call *
find_call(const char *key)
{
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (strcmp(calls[i].key, key) == 0)
            return &calls[i];
    return NULL;
}

static void
append(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    if (n + 1 < cap)
        snprintf(buf + n, cap - n, "%s", s);
}

/* partner.related(KIND, DEPTH): resolves the arguments of segment s. */
static void
related_args(cc_t *c, const expr_seg_t *s, val_t *v)
{
    if (s->n_args != 2 || s->args[0]->kind != EXPR_N_STR || s->args[1]->kind != EXPR_N_NUM) {
        expr_error(&c->loc, s->col,
                   "partner.related takes (KIND, DEPTH), "
                   "e.g. partner.related(\"subsidiary_of\", 2)");
        v->vk = VK_ERR;
        return;
    }
    const expr_node_t *k = s->args[0], *d = s->args[1];
    if (strcmp(k->str, "*") == 0) {
        v->rel_kind = -1;
        v->rel_name = "*";
    } else if ((v->rel_kind = vocab_find(voc(c->s->relations), k->str)) >= 0) {
        v->rel_name = c->s->relations->names[v->rel_kind];
    } else {
        unknown(c, k->col, "relation kind", k->str, c->s->relations);
        v->vk = VK_ERR;
    }
    if (d->num < 1 || d->num > EXPR_MAX_DEPTH || d->num != (int)d->num) {
        expr_error(&c->loc, d->col, "relation depth must be 1..%d, not %g", EXPR_MAX_DEPTH, d->num);
        v->vk = VK_ERR;
    }
    v->depth = (int)d->num;
}

/* tech.*.any/all([codes]): resolves the codes of segment s. */
static void
tech_args(cc_t *c, const expr_seg_t *s, const char *key, val_t *v)
{
    if (s->n_args != 1 || s->args[0]->kind != EXPR_N_LIST) {
        expr_error(&c->loc, s->col, "%s takes a list of category codes, e.g. %s([\"quantum\"])",
                   key, key);
        v->vk = VK_ERR;
        return;
    }
    const expr_node_t *l = s->args[0];
    v->codes = arena_alloc(c->scratch, (l->n_items + 1) * sizeof *v->codes);
    if (v->codes == NULL) {
        c->oom = true;
        v->vk = VK_ERR;
        return;
    }
    for (size_t i = 0; i < l->n_items; i++) {
        const expr_node_t *it = l->items[i];
        if (it->kind != EXPR_N_STR) {
            expr_error(&c->loc, it->col, "category codes must be strings, found %s",
                       ty_names[it->kind == EXPR_N_NUM ? TY_NUM : TY_BOOL]);
            v->vk = VK_ERR;
            continue;
        }
        int cat = c->s->tax != NULL ? tax_find(c->s->tax, it->str) : -1;
        if (cat < 0) {
            int sug[1];
            size_t ns = c->s->tax != NULL ? tax_suggest(c->s->tax, it->str, sug, 1) : 0;
            if (ns > 0)
                expr_error(&c->loc, it->col,
                           "unknown technology code \"%s\" (did you mean \"%s\"?)", it->str,
                           tax_get(c->s->tax, sug[0])->code);
            else
                expr_error(&c->loc, it->col, "unknown technology code \"%s\"", it->str);
            v->vk = VK_ERR;
            continue;
        }
        v->codes[v->n_codes++] = cat;
    }
}

/* Resolves a path node to a name; reports unknown names, misused
 * arguments and bad vocabulary in arguments (v->vk = VK_ERR). */
static void
resolve_path(cc_t *c, const expr_node_t *n, val_t *v)
{
    char key[128] = "";
    v->vk = VK_NAME;
    v->shown[0] = '\0';
    for (size_t i = 0; i < n->n_segs; i++) {
        if (i) {
            append(key, sizeof key, ".");
            append(v->shown, sizeof v->shown, ".");
        }
        append(key, sizeof key, n->segs[i].name);
        append(v->shown, sizeof v->shown, n->segs[i].name);
        if (n->segs[i].call)
            append(v->shown, sizeof v->shown, "(...)");
    }
    if (strcmp(n->segs[0].name, "context") == 0 && !n->segs[0].call) {
        if (n->n_segs == 2 && !n->segs[1].call) {
            v->nm = NM_CONTEXT;
            v->ty = TY_CTX;
            v->key = n->segs[1].name;
            return;
        }
        if (n->n_segs == 1)
            expr_error(&c->loc, n->col, "context needs a key: context.KEY");
        else
            expr_error(&c->loc, n->col,
                       "unknown name \"%s\" (context values are named context.KEY)", v->shown);
        v->vk = VK_ERR;
        return;
    }
    const struct name *nm = find_name(key);
    if (nm == NULL) {
        const char *shown[N_NAMES];
        for (size_t i = 0; i < N_NAMES; i++)
            shown[i] = names[i].shown;
        vocab_t all = {shown, N_NAMES};
        const char *sug = vocab_suggest(&all, v->shown);
        if (sug != NULL)
            expr_error(&c->loc, n->col, "unknown name \"%s\" (did you mean \"%s\"?)", v->shown,
                       sug);
        else
            expr_error(&c->loc, n->col, "unknown name \"%s\"", v->shown);
        v->vk = VK_ERR;
        return;
    }
    v->nm = nm->nm;
    v->ty = nm->ty;
    /* Arguments exactly where the language has them. */
    key[0] = '\0';
    for (size_t i = 0; i < n->n_segs; i++) {
        const expr_seg_t *s = &n->segs[i];
        if (i)
            append(key, sizeof key, ".");
        append(key, sizeof key, s->name);
        const struct call *cl = find_call(key);
        if (cl != NULL && !s->call) {
            expr_error(&c->loc, s->col, "%s takes arguments: %s", key, cl->usage);
            v->vk = VK_ERR;
            return;
        }
        if (cl == NULL && s->call) {
            expr_error(&c->loc, s->col, "%s is not a function", key);
            v->vk = VK_ERR;
            return;
        }
        if (cl == NULL)
            continue;
        if (strcmp(key, "partner.related") == 0)
            related_args(c, s, v);
        else
            tech_args(c, s, key, v);
    }
    switch (v->nm) {
    case NM_TECH_ANY:
    case NM_TECH_ALL: v->which = EXPR_TECH_GIVEN | EXPR_TECH_SPOTTED; break;
    case NM_GIVEN_ANY:
    case NM_GIVEN_ALL: v->which = EXPR_TECH_GIVEN; break;
    case NM_SPOTTED_ANY:
    case NM_SPOTTED_ALL: v->which = EXPR_TECH_SPOTTED; break;
    default: break;
    }
}

/* Classifies an operand: a literal, a name, or a boolean expression. */
static void
operand(cc_t *c, const expr_node_t *n, val_t *v)
{
    memset(v, 0, sizeof *v);
    v->n = n;
    switch (n->kind) {
    case EXPR_N_PATH: resolve_path(c, n, v); break;
    case EXPR_N_STR:
        v->vk = VK_LIT;
        v->ty = TY_STR;
        v->str = n->str;
        break;
    case EXPR_N_NUM:
        v->vk = VK_LIT;
        v->ty = TY_NUM;
        v->num = n->num;
        break;
    case EXPR_N_BOOL:
        v->vk = VK_LIT;
        v->ty = TY_BOOL;
        v->b = n->b;
        break;
    default:
        v->vk = VK_EXPR;
        v->ty = TY_BOOL;
        break;
    }
    if (v->vk == VK_ERR)
        v->ty = TY_ERR;
}

static bool gen(cc_t *c, const expr_node_t *n, const char *what);

static bool
is_set(const val_t *v)
{
    return v->ty == TY_LISTS || v->ty == TY_TAGS || v->ty == TY_ENTS;
}

/* Reports the misuse of a set where a value is wanted. */
static void
set_misuse(cc_t *c, const val_t *v)
{
    if (v->ty == TY_ENTS)
        expr_error(&c->loc, v->n->col,
                   "%s is a set of organisations: use .exists, .lists, .tags or .risk", v->shown);
    else
        expr_error(&c->loc, v->n->col, "%s is a set: use has, has_any or has_all", v->shown);
}

/* Emits the category tests of tech.*.any/all. */
static void
gen_tech(cc_t *c, const val_t *v)
{
    bool all = v->nm == NM_TECH_ALL || v->nm == NM_GIVEN_ALL || v->nm == NM_SPOTTED_ALL;
    if (v->n_codes == 0) {
        emit_op(c, EXPR_OP_CONST, all);
        return;
    }
    /* A taxonomy that failed tax_build still resolves codes but has no
     * subtrees; its errors already fail the load, so a constant keeps
     * the rest of the condition checked without reading NULL. */
    for (size_t i = 0; i < v->n_codes; i++)
        if (tax_subtree(c->s->tax, v->codes[i]) == NULL) {
            emit_op(c, EXPR_OP_CONST, 0);
            return;
        }
    if (!all) {
        /* One test against the union of the codes' subtrees. */
        uint64_t *mask = arena_calloc(c->scratch, c->words + 1, sizeof *mask);
        if (mask == NULL) {
            c->oom = true;
            return;
        }
        for (size_t i = 0; i < v->n_codes; i++) {
            const uint64_t *sub = tax_subtree(c->s->tax, v->codes[i]);
            for (size_t w = 0; w < c->words; w++)
                mask[w] |= sub[w];
        }
        emit(c, (expr_ins_t){.op = EXPR_OP_TECH, .what = (uint8_t)v->which, .mask = mask});
        return;
    }
    /* Every code's subtree must intersect: a chain of tests, one per code. */
    size_t *js = arena_alloc(c->scratch, v->n_codes * sizeof *js);
    if (js == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < v->n_codes; i++) {
        emit(c, (expr_ins_t){.op = EXPR_OP_TECH,
                             .what = (uint8_t)v->which,
                             .mask = tax_subtree(c->s->tax, v->codes[i])});
        if (i + 1 < v->n_codes)
            js[i] = emit_op(c, EXPR_OP_JF, 0);
    }
    for (size_t i = 0; i + 1 < v->n_codes; i++)
        patch(c, js[i]);
}

/* Emits code leaving operand v (which must be boolean) in the register.
 * what names the place for "must be a boolean" errors. Returns whether
 * the result is false whenever no entity is given. */
static bool
gen_bool(cc_t *c, const val_t *v, const char *what)
{
    if (v->vk == VK_ERR)
        return false;
    if (v->vk == VK_EXPR)
        return gen(c, v->n, what);
    if (v->ty != TY_BOOL) {
        if (v->ty == TY_CTX)
            expr_error(&c->loc, v->n->col,
                       "%s is a context value, not a boolean (compare it with == or !=)", v->shown);
        else if (is_set(v))
            set_misuse(c, v);
        else
            expr_error(&c->loc, v->n->col, "%s must be a boolean, found %s", what, ty_names[v->ty]);
        return false;
    }
    if (v->vk == VK_LIT) {
        emit_op(c, EXPR_OP_CONST, v->b);
        return false;
    }
    switch (v->nm) {
    case NM_MATCHED: emit_op(c, EXPR_OP_MATCHED, 0); return true;
    case NM_CURRENT: emit_op(c, EXPR_OP_CURRENT, 0); return false;
    case NM_REL_EXISTS:
        emit(c, (expr_ins_t){.op = EXPR_OP_REL,
                             .what = EXPR_REL_EXISTS,
                             .depth = (uint8_t)v->depth,
                             .kind = v->rel_kind,
                             .kname = v->rel_name});
        return true;
    default: gen_tech(c, v); return false;
    }
}

static expr_src_t
to_src(const val_t *v)
{
    expr_src_t s = {0};
    if (v->vk == VK_LIT) {
        if (v->ty == TY_NUM) {
            s.kind = EXPR_SRC_NUM;
            s.num = v->num;
        } else {
            s.kind = EXPR_SRC_STR;
            s.str = v->ty == TY_BOOL ? (v->b ? "true" : "false") : v->str;
        }
        return s;
    }
    switch (v->nm) {
    case NM_MATCH: s.kind = EXPR_SRC_MATCH; break;
    case NM_GIVEN_COUNT: s.kind = EXPR_SRC_GIVEN_COUNT; break;
    case NM_SPOTTED_COUNT: s.kind = EXPR_SRC_SPOTTED_COUNT; break;
    case NM_ID: s.kind = EXPR_SRC_ID; break;
    case NM_COUNTRY: s.kind = EXPR_SRC_COUNTRY; break;
    case NM_REGION: s.kind = EXPR_SRC_REGION; break;
    default:
        s.kind = EXPR_SRC_CTX;
        s.str = v->key;
        break;
    }
    return s;
}

static bool
is_symbolic(ty_t t)
{
    return t == TY_RISK || t == TY_ACTIVITY || t == TY_PTYPE || t == TY_METHOD;
}

static bool
is_ordering(expr_cmp_t op)
{
    return op != EXPR_CMP_EQ && op != EXPR_CMP_NE;
}

/* a OP "literal" where a is a risk, activity, type or method name. */
static bool
gen_symbolic(cc_t *c, const val_t *a, expr_cmp_t op, const val_t *b)
{
    const char *s = b->str;
    int col = b->n->col;
    if (a->ty == TY_METHOD) {
        size_t i = 0;
        while (i < sizeof methods / sizeof methods[0] && strcmp(methods[i].name, s) != 0)
            i++;
        if (i == sizeof methods / sizeof methods[0]) {
            expr_error(&c->loc, col,
                       "unknown match method \"%s\" (valid: id, exact, unit, related, fuzzy, none)",
                       s);
            return false;
        }
        emit(c, (expr_ins_t){.op = EXPR_OP_METHOD, .a = methods[i].value, .name = methods[i].name});
        if (op == EXPR_CMP_NE)
            emit_op(c, EXPR_OP_NOT, 0);
        return op == EXPR_CMP_EQ && methods[i].value >= 0;
    }
    const vocab_t *v = a->ty == TY_RISK       ? c->s->risks
                       : a->ty == TY_ACTIVITY ? c->s->activities
                                              : c->s->types;
    int idx = vocab_find(voc(v), s);
    if (idx < 0) {
        unknown(c, col, ty_names[a->ty], s, v);
        return false;
    }
    const char *name = v->names[idx];
    switch (a->nm) {
    case NM_RISK:
        emit(c, (expr_ins_t){.op = EXPR_OP_RISK, .cmp = (uint8_t)op, .a = idx, .name = name});
        return op != EXPR_CMP_NE;
    case NM_REL_RISK:
        emit(c, (expr_ins_t){.op = EXPR_OP_REL,
                             .what = EXPR_REL_RISK,
                             .cmp = (uint8_t)op,
                             .depth = (uint8_t)a->depth,
                             .a = idx,
                             .name = name,
                             .kind = a->rel_kind,
                             .kname = a->rel_name});
        return true;
    default:
        emit(c, (expr_ins_t){.op = a->ty == TY_ACTIVITY ? EXPR_OP_ACTIVITY : EXPR_OP_TYPE,
                             .a = idx,
                             .name = name});
        if (op == EXPR_CMP_NE)
            emit_op(c, EXPR_OP_NOT, 0);
        return false;
    }
}

/* a == b / a != b on booleans. */
static bool
gen_bool_eq(cc_t *c, const val_t *a, expr_cmp_t op, const val_t *b)
{
    bool eq = op == EXPR_CMP_EQ;
    if (b->vk == VK_LIT) {
        bool needs = gen_bool(c, a, "operand of a comparison");
        if (eq != b->b)
            emit_op(c, EXPR_OP_NOT, 0);
        return eq == b->b && needs;
    }
    /* if a then b else not b (negated for !=): b is emitted twice. */
    size_t before = diag_count(c->loc.d);
    gen_bool(c, a, "operand of a comparison");
    size_t j1 = emit_op(c, EXPR_OP_JF, 0);
    gen_bool(c, b, "operand of a comparison");
    if (!eq)
        emit_op(c, EXPR_OP_NOT, 0);
    size_t j2 = emit_op(c, EXPR_OP_JMP, 0);
    patch(c, j1);
    if (diag_count(c->loc.d) == before) {
        gen_bool(c, b, "operand of a comparison");
        if (eq)
            emit_op(c, EXPR_OP_NOT, 0);
    }
    patch(c, j2);
    return false;
}

/* Checks and emits a OP b; col locates type errors. Returns whether the
 * result is false whenever no entity is given. */
static bool
gen_cmp_vals(cc_t *c, const val_t *a, expr_cmp_t op, const val_t *b, int col)
{
    static const expr_cmp_t flip[] = {EXPR_CMP_EQ, EXPR_CMP_NE, EXPR_CMP_GT,
                                      EXPR_CMP_GE, EXPR_CMP_LT, EXPR_CMP_LE};
    if (a->vk == VK_ERR || b->vk == VK_ERR)
        return false;
    if (is_set(a) || is_set(b)) {
        set_misuse(c, is_set(a) ? a : b);
        return false;
    }
    const char *ta = ty_names[a->ty], *tb = ty_names[b->ty];
    /* Put the name first: "high" <= partner.risk is partner.risk >= "high". */
    if (a->vk == VK_LIT && b->vk != VK_LIT) {
        const val_t *t = a;
        a = b;
        b = t;
        op = flip[op];
    }
    if (a->ty == TY_CTX || b->ty == TY_CTX) {
        const val_t *o = a->ty == TY_CTX ? b : a;
        bool lit_bool = o->ty == TY_BOOL && o->vk == VK_LIT;
        if (o->ty != TY_CTX && o->ty != TY_NUM && o->ty != TY_STR && !lit_bool) {
            expr_error(&c->loc, col, "cannot compare %s with %s", ta, tb);
            return false;
        }
        if (is_ordering(op) && (o->ty == TY_STR || lit_bool)) {
            expr_error(&c->loc, col, "operator '%s' cannot be applied to %s", expr_cmp_text(op),
                       ty_names[o->ty]);
            return false;
        }
        emit(c, (expr_ins_t){
                    .op = EXPR_OP_CMP, .cmp = (uint8_t)op, .lhs = to_src(a), .rhs = to_src(b)});
        return false;
    }
    if (a->ty == TY_BOOL || b->ty == TY_BOOL) {
        if (a->ty != b->ty) {
            expr_error(&c->loc, col, "cannot compare %s with %s", ta, tb);
            return false;
        }
        if (is_ordering(op)) {
            expr_error(&c->loc, col, "operator '%s' cannot be applied to bool", expr_cmp_text(op));
            return false;
        }
        return gen_bool_eq(c, a, op, b);
    }
    if (is_symbolic(a->ty) || is_symbolic(b->ty)) {
        const val_t *sym = is_symbolic(a->ty) ? a : b, *o = sym == a ? b : a;
        if (o->ty != TY_STR) {
            expr_error(&c->loc, col, "cannot compare %s with %s", ta, tb);
            return false;
        }
        if (o->vk != VK_LIT || sym == b) {
            expr_error(&c->loc, col, "%s must be compared with a string literal", sym->shown);
            return false;
        }
        if (is_ordering(op) && sym->ty != TY_RISK) {
            expr_error(&c->loc, col, "operator '%s' cannot be applied to %s", expr_cmp_text(op),
                       ty_names[sym->ty]);
            return false;
        }
        return gen_symbolic(c, a, op, b);
    }
    if (a->ty != b->ty) {
        expr_error(&c->loc, col, "cannot compare %s with %s", ta, tb);
        return false;
    }
    if (a->ty == TY_STR && is_ordering(op)) {
        expr_error(&c->loc, col, "operator '%s' cannot be applied to string", expr_cmp_text(op));
        return false;
    }
    emit(c,
         (expr_ins_t){.op = EXPR_OP_CMP, .cmp = (uint8_t)op, .lhs = to_src(a), .rhs = to_src(b)});
    return false;
}

static bool
gen_cmp(cc_t *c, const expr_node_t *n)
{
    val_t a, b;
    operand(c, n->l, &a);
    operand(c, n->r, &b);
    return gen_cmp_vals(c, &a, (expr_cmp_t)(n->op - EXPR_TK_EQ), &b, n->opcol);
}

/* x in [l1, l2, ...]: x == l1 or x == l2 or ... */
/* The list a `countries("ID")` term stands for: the codes of the
 * policy's country group ID, as string literals (scratch arena). NULL
 * after a reported error (anything but that one call, an unknown
 * group) or on OOM. */
static const expr_node_t *
group_list(cc_t *c, const expr_node_t *p)
{
    const expr_seg_t *s = &p->segs[0];
    if (p->n_segs != 1 || strcmp(s->name, "countries") != 0 || !s->call || s->n_args != 1 ||
        s->args[0]->kind != EXPR_N_STR) {
        expr_error(&c->loc, p->col,
                   "'in' takes a list [\"a\", ...] or countries(\"GROUP\") on its right");
        return NULL;
    }
    const char *id = s->args[0]->str;
    int g = vocab_find(voc(c->s->groups), id);
    if (g < 0) {
        unknown(c, s->args[0]->col, "country group", id, c->s->groups);
        return NULL;
    }
    const expr_group_t *grp = &c->s->group[g];
    expr_node_t *l = arena_calloc(c->scratch, 1, sizeof *l);
    expr_node_t **items = arena_calloc(c->scratch, grp->n + 1, sizeof *items);
    expr_node_t *lits = arena_calloc(c->scratch, grp->n + 1, sizeof *lits);
    if (l == NULL || items == NULL || lits == NULL) {
        c->oom = true;
        return NULL;
    }
    *l = (expr_node_t){.kind = EXPR_N_LIST, .col = p->col, .items = items, .n_items = grp->n};
    for (size_t i = 0; i < grp->n; i++) {
        lits[i] = (expr_node_t){.kind = EXPR_N_STR, .col = s->args[0]->col, .str = grp->codes[i]};
        items[i] = &lits[i];
    }
    return l;
}

static bool
gen_in(cc_t *c, const expr_node_t *n)
{
    val_t a;
    operand(c, n->l, &a);
    if (a.vk == VK_ERR)
        return false;
    if (is_set(&a)) {
        set_misuse(c, &a);
        return false;
    }
    if (a.ty == TY_BOOL) {
        expr_error(&c->loc, n->opcol, "operator 'in' cannot be applied to bool");
        return false;
    }
    const expr_node_t *l = n->r->kind == EXPR_N_PATH ? group_list(c, n->r) : n->r;
    if (l == NULL)
        return false;
    if (l->n_items == 0) {
        emit_op(c, EXPR_OP_CONST, 0);
        return false;
    }
    size_t *js = arena_alloc(c->scratch, l->n_items * sizeof *js);
    if (js == NULL) {
        c->oom = true;
        return false;
    }
    bool needs = true;
    for (size_t i = 0; i < l->n_items; i++) {
        val_t b;
        operand(c, l->items[i], &b);
        if (!gen_cmp_vals(c, &a, EXPR_CMP_EQ, &b, l->items[i]->col))
            needs = false;
        if (i + 1 < l->n_items)
            js[i] = emit_op(c, EXPR_OP_JT, 0);
    }
    for (size_t i = 0; i + 1 < l->n_items; i++)
        patch(c, js[i]);
    return needs;
}

/* set has "x", set has_any [...], set has_all [...]: the set of a
 * related(...) is the union over the organisations reached. */
static bool
gen_has(cc_t *c, const expr_node_t *n)
{
    const char *opname = expr_tk_text(n->op);
    val_t a;
    operand(c, n->l, &a);
    if (a.vk == VK_ERR)
        return false;
    if (a.ty != TY_LISTS && a.ty != TY_TAGS) {
        expr_error(&c->loc, n->opcol, "operator '%s' needs a list or tag set, found %s", opname,
                   ty_names[a.ty]);
        return false;
    }
    bool all = n->kind == EXPR_N_HAS_ALL;
    expr_node_t *const *items = n->kind == EXPR_N_HAS ? &n->r : n->r->items;
    size_t count = n->kind == EXPR_N_HAS ? 1 : n->r->n_items;
    if (count == 0) {
        emit_op(c, EXPR_OP_CONST, all);
        return false;
    }
    bool lists = a.ty == TY_LISTS;
    const vocab_t *v = lists ? c->s->lists : c->s->tags;
    size_t *js = arena_alloc(c->scratch, count * sizeof *js);
    if (js == NULL) {
        c->oom = true;
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        val_t b;
        js[i] = SIZE_MAX; /* patch() ignores it if nothing is emitted */
        operand(c, items[i], &b);
        if (b.vk == VK_ERR)
            continue;
        if (b.vk != VK_LIT || b.ty != TY_STR) {
            expr_error(&c->loc, items[i]->col, "'%s' needs a string literal, found %s", opname,
                       ty_names[b.ty]);
            continue;
        }
        int sym = vocab_find(voc(v), b.str);
        if (sym < 0) {
            unknown(c, items[i]->col, lists ? "list" : "tag", b.str, v);
            continue;
        }
        if (a.nm == NM_LISTS || a.nm == NM_TAGS)
            emit(c, (expr_ins_t){.op = lists ? EXPR_OP_HAS_LIST : EXPR_OP_HAS_TAG,
                                 .a = sym,
                                 .name = v->names[sym]});
        else
            emit(c, (expr_ins_t){.op = EXPR_OP_REL,
                                 .what = lists ? EXPR_REL_LISTS : EXPR_REL_TAGS,
                                 .depth = (uint8_t)a.depth,
                                 .a = sym,
                                 .name = v->names[sym],
                                 .kind = a.rel_kind,
                                 .kname = a.rel_name});
        if (i + 1 < count)
            js[i] = emit_op(c, all ? EXPR_OP_JF : EXPR_OP_JT, 0);
    }
    for (size_t i = 0; i + 1 < count; i++)
        patch(c, js[i]);
    return true;
}

/* Emits code leaving the boolean value of n in the register; reports
 * every error it can (siblings are checked after an error). */
static bool
gen(cc_t *c, const expr_node_t *n, const char *what)
{
    switch (n->kind) {
    case EXPR_N_AND:
    case EXPR_N_OR: {
        bool is_and = n->kind == EXPR_N_AND;
        const char *w = is_and ? "operand of 'and'" : "operand of 'or'";
        bool nl = gen(c, n->l, w);
        size_t j = emit_op(c, is_and ? EXPR_OP_JF : EXPR_OP_JT, 0);
        bool nr = gen(c, n->r, w);
        patch(c, j);
        return is_and ? (nl || nr) : (nl && nr);
    }
    case EXPR_N_NOT:
        gen(c, n->l, "operand of 'not'");
        emit_op(c, EXPR_OP_NOT, 0);
        return false;
    case EXPR_N_CMP: return gen_cmp(c, n);
    case EXPR_N_IN: return gen_in(c, n);
    case EXPR_N_HAS:
    case EXPR_N_HAS_ANY:
    case EXPR_N_HAS_ALL: return gen_has(c, n);
    default: {
        val_t v;
        operand(c, n, &v);
        return gen_bool(c, &v, what);
    }
    }
}

/* Jumps to jumps are shortened: a jf landing on a jf (or jmp) goes on to
 * its target, landing on a jt falls through it. Targets only grow, so
 * this terminates. */
static void
thread_jumps(expr_ins_t *code, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t op = code[i].op;
        if (op != EXPR_OP_JF && op != EXPR_OP_JT && op != EXPR_OP_JMP)
            continue;
        for (;;) {
            const expr_ins_t *t = &code[code[i].a];
            if (t->op == EXPR_OP_JMP || (op != EXPR_OP_JMP && t->op == op))
                code[i].a = t->a;
            else if ((op == EXPR_OP_JF && t->op == EXPR_OP_JT) ||
                     (op == EXPR_OP_JT && t->op == EXPR_OP_JF))
                code[i].a = (int32_t)(t - code) + 1;
            else
                break;
        }
    }
}

static bool
keep_str(arena_t *a, const char **s)
{
    return *s == NULL || (*s = arena_strdup(a, *s)) != NULL;
}

/* Copies the program into the caller's arena, with the strings and
 * category sets it holds (until now in scratch), so a failed compile
 * leaves that arena untouched. Returns it or NULL on OOM (reported). */
static expr_t *
finish(cc_t *c, bool needs)
{
    expr_t *e = arena_alloc(c->a, sizeof *e);
    expr_ins_t *code = arena_alloc(c->a, c->n * sizeof *code);
    bool ok = e != NULL && code != NULL;
    for (size_t i = 0; ok && i < c->n; i++) {
        code[i] = c->code[i];
        if (code[i].op == EXPR_OP_CMP)
            ok = keep_str(c->a, &code[i].lhs.str) && keep_str(c->a, &code[i].rhs.str);
        if (code[i].op == EXPR_OP_TECH && c->words > 0) {
            uint64_t *m = arena_alloc(c->a, c->words * sizeof *m);
            if ((ok = m != NULL))
                code[i].mask = memcpy(m, code[i].mask, c->words * sizeof *m);
        }
    }
    if (!ok) {
        expr_error(&c->loc, 0, "out of memory");
        return NULL;
    }
    *e = (expr_t){code, c->n, c->s->tax, c->words, needs, NULL, NULL, 1};
    return e;
}

/* Collects the conjuncts of the left spine of `and`s under n (source
 * order) into out and the column of the `and` after each into seps;
 * returns their count, or 0 past cap. `a and (b and c)` has two
 * conjuncts; `(a and b) and c` parses like `a and b and c` and has three. */
static size_t
flatten_and(const expr_node_t *n, const expr_node_t **out, int *seps, size_t cap)
{
    size_t k = 0;
    if (n->kind == EXPR_N_AND) {
        if ((k = flatten_and(n->l, out, seps, cap)) == 0 || k >= cap)
            return 0;
        seps[k - 1] = n->opcol;
        out[k++] = n->r;
        return k;
    }
    out[0] = n;
    return cap > 0 ? 1 : 0;
}

/* The source text of a conjunct: src bytes [from, to) trimmed of spaces
 * and of the parentheses a split left unbalanced. In a; NULL on OOM. */
static const char *
conj_text(arena_t *a, const char *src, size_t from, size_t to)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = from; i < to; i++) {
        if (src[i] == '"' && (i == from || src[i - 1] != '\\'))
            in_str = !in_str;
        else if (!in_str)
            depth += src[i] == '(' ? 1 : src[i] == ')' ? -1 : 0;
    }
    for (;;) {
        while (from < to && src[from] == ' ')
            from++;
        while (to > from && src[to - 1] == ' ')
            to--;
        if (depth > 0 && from < to && src[from] == '(') {
            from++, depth--;
        } else if (depth < 0 && to > from && src[to - 1] == ')') {
            to--, depth++;
        } else {
            break;
        }
    }
    return arena_strndup(a, src + from, to - from);
}

#define EXPR_MAX_CONJ 32 /* conjuncts counted apart; a longer chain is one */

/* Compiles each top-level conjunct of root as a program of its own into
 * e (coverage counts how often each holds). Returns false on OOM. */
static bool
split_conjuncts(cc_t *c, const expr_node_t *root, const char *src, expr_t *e)
{
    const expr_node_t *part[EXPR_MAX_CONJ];
    int seps[EXPR_MAX_CONJ];
    size_t n = flatten_and(root, part, seps, EXPR_MAX_CONJ);
    if (n <= 1) {
        const expr_t **one = arena_alloc(c->a, sizeof *one);
        const char **txt = arena_alloc(c->a, sizeof *txt);
        if (one == NULL || txt == NULL || (txt[0] = conj_text(c->a, src, 0, strlen(src))) == NULL)
            return false;
        one[0] = e;
        e->conj = one, e->conj_src = txt, e->n_conj = 1;
        return true;
    }
    const expr_t **conj = arena_alloc(c->a, n * sizeof *conj);
    const char **txt = arena_alloc(c->a, n * sizeof *txt);
    if (conj == NULL || txt == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t from = i == 0 ? 0 : (size_t)seps[i - 1] - 1 + 3; /* past "and" */
        size_t to = i + 1 < n ? (size_t)seps[i] - 1 : strlen(src);
        c->n = 0;
        bool needs = gen(c, part[i], "condition");
        emit_op(c, EXPR_OP_RET, 0);
        if (c->oom)
            return false;
        thread_jumps(c->code, c->n);
        expr_t *ce = finish(c, needs);
        if (ce == NULL || (txt[i] = conj_text(c->a, src, from, to)) == NULL)
            return false;
        ce->n_conj = 1, ce->conj = NULL, ce->conj_src = NULL;
        conj[i] = ce;
    }
    e->conj = conj, e->conj_src = txt, e->n_conj = n;
    return true;
}

expr_t *
expr_compile(const char *src, const expr_schema_t *schema, arena_t *a, const char *file, int line,
             diag_t *d)
{
    cc_t c = {.s = schema, .a = a, .loc = {file, line, d}};
    expr_t *e = NULL;
    size_t before = diag_count(d);
    c.words = schema->tax != NULL ? tax_words(schema->tax) : 0;
    c.scratch = arena_new(0);
    if (c.scratch == NULL) {
        expr_error(&c.loc, 0, "out of memory");
        return NULL;
    }
    expr_tok_t *toks;
    if (expr_lex(src != NULL ? src : "", c.scratch, &c.loc, &toks) < 0)
        goto out;
    expr_node_t *root = expr_parse(toks, c.scratch, &c.loc);
    if (root == NULL)
        goto out;
    bool needs = gen(&c, root, "condition");
    emit_op(&c, EXPR_OP_RET, 0);
    if (c.oom) {
        expr_error(&c.loc, 0, "out of memory");
        goto out;
    }
    if (diag_count(d) != before)
        goto out;
    thread_jumps(c.code, c.n);
    e = finish(&c, needs);
    if (e != NULL && !split_conjuncts(&c, root, src != NULL ? src : "", e)) {
        expr_error(&c.loc, 0, "out of memory");
        e = NULL;
    }
out:
    /* Every stage reports its failures; this catches one that did not,
     * so that NULL always comes with a message. */
    if (e == NULL && diag_count(d) == before)
        expr_error(&c.loc, 0, "out of memory");
    free(c.code);
    arena_destroy(&c.scratch);
    return e;
}
