/* SPDX-License-Identifier: Apache-2.0 */
/* expr_parse.c -- the condition language's recursive-descent parser: tokens to a syntax tree. */
#include "expr_int.h"

#include <string.h>

/* Deep enough for any sane condition, shallow enough for the C stack
 * even under a fuzzer. */
#define EXPR_MAX_NEST 64

typedef struct parser {
    const expr_tok_t *t;   /* tokens, EOF-terminated (borrowed) */
    size_t pos;            /* current token */
    arena_t *a;            /* where nodes go */
    const expr_loc_t *loc; /* where errors go */
    int nest;              /* current nesting of parentheses / not */
} parser_t;

static expr_node_t *parse_or(parser_t *p);

static const expr_tok_t *
peek(const parser_t *p)
{
    return &p->t[p->pos];
}

static const expr_tok_t *
next(parser_t *p)
{
    const expr_tok_t *t = &p->t[p->pos];
    if (t->kind != EXPR_TK_EOF)
        p->pos++;
    return t;
}

/* Reports that memory ran out at the current token; returns NULL. */
static expr_node_t *
oom(parser_t *p)
{
    expr_error(p->loc, peek(p)->col, "out of memory");
    return NULL;
}

static expr_node_t *
node(parser_t *p, expr_nk_t kind, int col)
{
    expr_node_t *n = arena_calloc(p->a, 1, sizeof *n);
    if (n == NULL) {
        expr_error(p->loc, col, "out of memory");
        return NULL;
    }
    n->kind = kind;
    n->col = col;
    n->opcol = col;
    return n;
}

/* Reports "<prefix> <token>" at the current token; returns NULL. */
static expr_node_t *
fail_at(parser_t *p, const char *prefix, const char *suffix)
{
    char d[80];
    const expr_tok_t *t = peek(p);
    expr_error(p->loc, t->col, "%s%s%s", prefix, expr_tok_desc(t, d, sizeof d), suffix);
    return NULL;
}

/* Consumes a token of kind k or reports "expected 'k' but found ...". */
static bool
expect(parser_t *p, expr_tk_t k)
{
    if (peek(p)->kind == k) {
        next(p);
        return true;
    }
    char prefix[48];
    snprintf(prefix, sizeof prefix, "expected '%s' but found ", expr_tk_text(k));
    fail_at(p, prefix, "");
    return false;
}

static bool
is_literal(expr_tk_t k)
{
    return k == EXPR_TK_STRING || k == EXPR_TK_NUMBER || k == EXPR_TK_TRUE || k == EXPR_TK_FALSE;
}

static expr_node_t *
literal(parser_t *p)
{
    const expr_tok_t *t = next(p);
    expr_node_t *n;
    switch (t->kind) {
    case EXPR_TK_STRING:
        if ((n = node(p, EXPR_N_STR, t->col)) != NULL)
            n->str = t->str;
        return n;
    case EXPR_TK_NUMBER:
        if ((n = node(p, EXPR_N_NUM, t->col)) != NULL)
            n->num = t->num;
        return n;
    default:
        if ((n = node(p, EXPR_N_BOOL, t->col)) != NULL)
            n->b = t->kind == EXPR_TK_TRUE;
        return n;
    }
}

/* list := "[" [ literal ("," literal)* ] "]" ; the '[' is current. */
static expr_node_t *
list(parser_t *p)
{
    expr_node_t *n = node(p, EXPR_N_LIST, peek(p)->col);
    if (n == NULL)
        return NULL;
    next(p);
    size_t cap = 0;
    if (peek(p)->kind == EXPR_TK_RBRACK) {
        next(p);
        return n;
    }
    for (;;) {
        if (!is_literal(peek(p)->kind))
            return fail_at(p, "expected a string or number in the list but found ", "");
        if (n->n_items == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            expr_node_t **items = arena_alloc(p->a, ncap * sizeof *items);
            if (items == NULL)
                return oom(p);
            if (cap)
                memcpy(items, n->items, cap * sizeof *items);
            n->items = items;
            cap = ncap;
        }
        if ((n->items[n->n_items++] = literal(p)) == NULL)
            return NULL;
        if (peek(p)->kind == EXPR_TK_COMMA) {
            next(p);
            continue;
        }
        if (!expect(p, EXPR_TK_RBRACK))
            return NULL;
        return n;
    }
}

static expr_node_t *term(parser_t *p);

/* args := [ arg ("," arg)* ] ")" ; arg := list | term. The '(' is eaten. */
static bool
args(parser_t *p, expr_seg_t *s)
{
    size_t cap = 0;
    if (peek(p)->kind == EXPR_TK_RPAREN) {
        next(p);
        return true;
    }
    for (;;) {
        expr_node_t *a = peek(p)->kind == EXPR_TK_LBRACK ? list(p) : term(p);
        if (a == NULL)
            return false;
        if (s->n_args == cap) {
            size_t ncap = cap ? cap * 2 : 2;
            expr_node_t **v = arena_alloc(p->a, ncap * sizeof *v);
            if (v == NULL)
                return oom(p) != NULL;
            if (cap)
                memcpy(v, s->args, cap * sizeof *v);
            s->args = v;
            cap = ncap;
        }
        s->args[s->n_args++] = a;
        if (peek(p)->kind == EXPR_TK_COMMA) {
            next(p);
            continue;
        }
        return expect(p, EXPR_TK_RPAREN);
    }
}

/* path := IDENT [ "(" args ")" ] ( "." NAME [ "(" args ")" ] )*, where
 * NAME may be a keyword (context.in is a valid key). */
static expr_node_t *
path(parser_t *p)
{
    expr_node_t *n = node(p, EXPR_N_PATH, peek(p)->col);
    if (n == NULL)
        return NULL;
    size_t cap = 0;
    for (;;) {
        const expr_tok_t *t = next(p);
        if (n->n_segs == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            expr_seg_t *v = arena_calloc(p->a, ncap, sizeof *v);
            if (v == NULL)
                return oom(p);
            if (cap)
                memcpy(v, n->segs, cap * sizeof *v);
            n->segs = v;
            cap = ncap;
        }
        expr_seg_t *s = &n->segs[n->n_segs++];
        s->name = arena_strndup(p->a, t->text, t->len);
        s->col = t->col;
        if (s->name == NULL)
            return oom(p);
        if (peek(p)->kind == EXPR_TK_LPAREN) {
            next(p);
            s->call = true;
            if (!args(p, s))
                return NULL;
        }
        if (peek(p)->kind != EXPR_TK_DOT)
            return n;
        next(p);
        expr_tk_t k = peek(p)->kind;
        if (k != EXPR_TK_IDENT && k < EXPR_TK_AND)
            return fail_at(p, "expected a name after '.' but found ", "");
    }
}

/* term := path | STRING | NUMBER | "true" | "false" | "(" expr ")" */
static expr_node_t *
term(parser_t *p)
{
    const expr_tok_t *t = peek(p);
    if (t->kind == EXPR_TK_IDENT)
        return path(p);
    if (is_literal(t->kind))
        return literal(p);
    if (t->kind == EXPR_TK_LPAREN) {
        if (++p->nest > EXPR_MAX_NEST) {
            expr_error(p->loc, t->col, "condition nested too deeply (more than %d levels)",
                       EXPR_MAX_NEST);
            return NULL;
        }
        next(p);
        expr_node_t *n = parse_or(p);
        if (n == NULL || !expect(p, EXPR_TK_RPAREN))
            return NULL;
        p->nest--;
        return n;
    }
    return fail_at(p, "unexpected ", "");
}

/* cmp := term [ op term | "in" (list | countries("GROUP")) | "has" term | "has_any" list |
 * "has_all" list ] */
static expr_node_t *
cmp(parser_t *p)
{
    expr_node_t *l = term(p);
    if (l == NULL)
        return NULL;
    const expr_tok_t *t = peek(p);
    expr_nk_t kind;
    bool wants_list = false;
    switch (t->kind) {
    case EXPR_TK_EQ:
    case EXPR_TK_NE:
    case EXPR_TK_LT:
    case EXPR_TK_LE:
    case EXPR_TK_GT:
    case EXPR_TK_GE: kind = EXPR_N_CMP; break;
    case EXPR_TK_IN:
        kind = EXPR_N_IN;
        wants_list = true;
        break;
    case EXPR_TK_HAS: kind = EXPR_N_HAS; break;
    case EXPR_TK_HAS_ANY:
        kind = EXPR_N_HAS_ANY;
        wants_list = true;
        break;
    case EXPR_TK_HAS_ALL:
        kind = EXPR_N_HAS_ALL;
        wants_list = true;
        break;
    default: return l;
    }
    expr_node_t *n = node(p, kind, l->col);
    if (n == NULL)
        return NULL;
    n->op = t->kind;
    n->opcol = t->col;
    n->l = l;
    next(p);
    if (kind == EXPR_N_IN && peek(p)->kind == EXPR_TK_IDENT) {
        n->r = term(p); /* countries("GROUP"): the compiler checks it */
    } else if (wants_list) {
        if (peek(p)->kind != EXPR_TK_LBRACK) {
            char prefix[48];
            snprintf(prefix, sizeof prefix, "expected '[' after '%s' but found ",
                     expr_tk_text(n->op));
            return fail_at(p, prefix, "");
        }
        n->r = list(p);
    } else {
        n->r = term(p);
    }
    return n->r ? n : NULL;
}

/* unary := "not" unary | cmp */
static expr_node_t *
unary(parser_t *p)
{
    const expr_tok_t *t = peek(p);
    if (t->kind != EXPR_TK_NOT)
        return cmp(p);
    if (++p->nest > EXPR_MAX_NEST) {
        expr_error(p->loc, t->col, "condition nested too deeply (more than %d levels)",
                   EXPR_MAX_NEST);
        return NULL;
    }
    next(p);
    expr_node_t *n = node(p, EXPR_N_NOT, t->col);
    if (n == NULL || (n->l = unary(p)) == NULL)
        return NULL;
    p->nest--;
    return n;
}

/* and := unary ("and" unary)* ; or := and ("or" and)*, left-associative. */
static expr_node_t *
binary(parser_t *p, expr_tk_t tk, expr_nk_t kind, expr_node_t *(*sub)(parser_t *))
{
    expr_node_t *l = sub(p);
    while (l != NULL && peek(p)->kind == tk) {
        expr_node_t *n = node(p, kind, l->col);
        if (n == NULL)
            return NULL;
        n->opcol = next(p)->col;
        n->l = l;
        if ((n->r = sub(p)) == NULL)
            return NULL;
        l = n;
    }
    return l;
}

static expr_node_t *
parse_and(parser_t *p)
{
    return binary(p, EXPR_TK_AND, EXPR_N_AND, unary);
}

static expr_node_t *
parse_or(parser_t *p)
{
    return binary(p, EXPR_TK_OR, EXPR_N_OR, parse_and);
}

expr_node_t *
expr_parse(const expr_tok_t *toks, arena_t *a, const expr_loc_t *loc)
{
    parser_t p = {toks, 0, a, loc, 0};
    if (peek(&p)->kind == EXPR_TK_EOF) {
        expr_error(loc, 1, "empty condition");
        return NULL;
    }
    expr_node_t *n = parse_or(&p);
    if (n == NULL)
        return NULL;
    if (peek(&p)->kind != EXPR_TK_EOF)
        return fail_at(&p, "unexpected ", " after the end of the condition");
    return n;
}

/* ---- printing (tests) ---------------------------------------------------- */

static void
print_str(sbuf_t *b, const char *s)
{
    sbuf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sbuf_putc(b, '\\');
        sbuf_putc(b, *s);
    }
    sbuf_putc(b, '"');
}

void
expr_ast_print(const expr_node_t *n, sbuf_t *b)
{
    static const char *const names[] = {
        [EXPR_N_OR] = "or",           [EXPR_N_AND] = "and", [EXPR_N_NOT] = "not",
        [EXPR_N_IN] = "in",           [EXPR_N_HAS] = "has", [EXPR_N_HAS_ANY] = "has_any",
        [EXPR_N_HAS_ALL] = "has_all",
    };
    switch (n->kind) {
    case EXPR_N_STR: print_str(b, n->str); return;
    case EXPR_N_NUM: sbuf_printf(b, "%g", n->num); return;
    case EXPR_N_BOOL: sbuf_puts(b, n->b ? "true" : "false"); return;
    case EXPR_N_LIST:
        sbuf_putc(b, '[');
        for (size_t i = 0; i < n->n_items; i++) {
            if (i)
                sbuf_putc(b, ' ');
            expr_ast_print(n->items[i], b);
        }
        sbuf_putc(b, ']');
        return;
    case EXPR_N_PATH:
        for (size_t i = 0; i < n->n_segs; i++) {
            const expr_seg_t *s = &n->segs[i];
            sbuf_printf(b, "%s%s", i ? "." : "", s->name);
            if (!s->call)
                continue;
            sbuf_putc(b, '(');
            for (size_t j = 0; j < s->n_args; j++) {
                if (j)
                    sbuf_putc(b, ' ');
                expr_ast_print(s->args[j], b);
            }
            sbuf_putc(b, ')');
        }
        return;
    case EXPR_N_NOT:
        sbuf_puts(b, "(not ");
        expr_ast_print(n->l, b);
        sbuf_putc(b, ')');
        return;
    case EXPR_N_CMP: sbuf_printf(b, "(%s ", expr_tk_text(n->op)); break;
    default: sbuf_printf(b, "(%s ", names[n->kind]); break;
    }
    expr_ast_print(n->l, b);
    sbuf_putc(b, ' ');
    expr_ast_print(n->r, b);
    sbuf_putc(b, ')');
}
