/* SPDX-License-Identifier: Apache-2.0 */
/* expr_int.h -- internals shared by the stages of the condition language; not for other modules. */
#ifndef VET_EXPR_INT_H
#define VET_EXPR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "sbuf.h"
#include "taxonomy.h"

/* Where errors go: the `when` setting's file and line, columns are
 * bytes of the source from 1. */
typedef struct expr_loc {
    const char *file; /* borrowed, may be NULL */
    int line;         /* line of the setting */
    diag_t *d;        /* where messages are added */
} expr_loc_t;

/* Reports one located error (printf-style) into loc->d. */
void expr_error(const expr_loc_t *loc, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- lexer --------------------------------------------------------------- */

/* Every token: kind and, for punctuation and keywords, its spelling.
 * Keywords are recognised from this table. */
/* clang-format off */
#define EXPR_TOKENS(X)                                                  \
    X(EOF, NULL) X(IDENT, NULL) X(STRING, NULL) X(NUMBER, NULL)         \
    X(LPAREN, "(") X(RPAREN, ")") X(LBRACK, "[") X(RBRACK, "]")         \
    X(COMMA, ",") X(DOT, ".")                                           \
    X(EQ, "==") X(NE, "!=") X(LT, "<") X(LE, "<=") X(GT, ">") X(GE, ">=") \
    X(AND, "and") X(OR, "or") X(NOT, "not") X(IN, "in") X(HAS, "has")   \
    X(HAS_ANY, "has_any") X(HAS_ALL, "has_all")                         \
    X(TRUE, "true") X(FALSE, "false")
/* clang-format on */

typedef enum expr_tk {
#define EXPR_TK_ENUM(name, text) EXPR_TK_##name,
    EXPR_TOKENS(EXPR_TK_ENUM)
#undef EXPR_TK_ENUM
        EXPR_TK__COUNT
} expr_tk_t;

typedef struct expr_tok {
    expr_tk_t kind;   /* what it is */
    int col;          /* 1-based byte column of its first byte */
    const char *text; /* its bytes in the source (borrowed) */
    size_t len;       /* count of those bytes */
    const char *str;  /* STRING: unescaped value (scratch arena) */
    double num;       /* NUMBER: value */
} expr_tok_t;

/* Spelling of a punctuation or keyword kind ("==", "and"), or NULL. */
const char *expr_tk_text(expr_tk_t k);

/* Tokenises src into an array ending with an EXPR_TK_EOF token,
 * allocated in a (with the unescaped strings). Returns the count of
 * tokens including EOF, or -1 after reporting the first lexical error
 * (unterminated string, bad escape, stray character, malformed number)
 * into loc. */
int expr_lex(const char *src, arena_t *a, const expr_loc_t *loc, expr_tok_t **out);

/* Describes a token for a message: 'and', ')', string "x", number 3,
 * end of condition. Writes into buf (cap bytes) and returns buf. */
const char *expr_tok_desc(const expr_tok_t *t, char *buf, size_t cap);

/* ---- parser -------------------------------------------------------------- */

typedef enum expr_nk {
    EXPR_N_OR,      /* l or r */
    EXPR_N_AND,     /* l and r */
    EXPR_N_NOT,     /* not l */
    EXPR_N_CMP,     /* l op r, op one of EQ NE LT LE GT GE */
    EXPR_N_IN,      /* l in r (r a LIST) */
    EXPR_N_HAS,     /* l has r */
    EXPR_N_HAS_ANY, /* l has_any r (r a LIST) */
    EXPR_N_HAS_ALL, /* l has_all r (r a LIST) */
    EXPR_N_PATH,    /* a name: segs */
    EXPR_N_STR,     /* string literal */
    EXPR_N_NUM,     /* number literal */
    EXPR_N_BOOL,    /* true / false */
    EXPR_N_LIST,    /* [ literal, ... ] */
} expr_nk_t;

struct expr_node;

/* One segment of a path: `related("x", 2)` or `lists`. */
typedef struct expr_seg {
    const char *name;        /* identifier (scratch arena) */
    int col;                 /* its column */
    bool call;               /* followed by "(" args ")" */
    struct expr_node **args; /* call arguments (terms or lists) */
    size_t n_args;           /* count of args */
} expr_seg_t;

/* A syntax tree node, allocated in the scratch arena of one compile. */
typedef struct expr_node {
    expr_nk_t kind;           /* what it is */
    int col;                  /* column where the node starts */
    int opcol;                /* column of the operator (binary, not) */
    expr_tk_t op;             /* CMP: the comparison token */
    struct expr_node *l, *r;  /* operands */
    struct expr_node **items; /* LIST: elements */
    size_t n_items;           /* LIST: count */
    expr_seg_t *segs;         /* PATH: segments */
    size_t n_segs;            /* PATH: count */
    const char *str;          /* STR: value */
    double num;               /* NUM: value */
    bool b;                   /* BOOL: value */
} expr_node_t;

/* Parses the tokens (from expr_lex) into a tree allocated in a. Returns
 * the root, or NULL after reporting the first syntax error into loc. */
expr_node_t *expr_parse(const expr_tok_t *toks, arena_t *a, const expr_loc_t *loc);

/* Appends the tree as an S-expression, e.g. (and (has partner.lists
 * "x") current), to b (tests and debugging). */
void expr_ast_print(const expr_node_t *n, sbuf_t *b);

/* ---- the compiled form (compiler -> evaluator) --------------------------- */

/* Most hops partner.related() follows: bounds the evaluator's stack. */
#define EXPR_MAX_DEPTH 4

/* A program for an accumulator machine: leaf instructions set the one
 * boolean register, jumps (always forward) implement short-circuit
 * and/or, EXPR_OP_RET returns it. The text is the dump's mnemonic. */
/* clang-format off */
#define EXPR_OPS(X)                                                     \
    X(CONST, "const") X(JF, "jf") X(JT, "jt") X(JMP, "jmp")             \
    X(NOT, "not") X(RET, "ret")                                         \
    X(MATCHED, "partner.matched") X(CURRENT, "current")                 \
    X(HAS_LIST, "partner.lists has") X(HAS_TAG, "partner.tags has")     \
    X(RISK, "partner.risk") X(METHOD, "partner.method ==")              \
    X(ACTIVITY, "activity ==") X(TYPE, "partner.type ==")               \
    X(REL, "partner.related") X(TECH, "tech") X(CMP, "cmp")
/* clang-format on */

typedef enum expr_op {
#define EXPR_OP_ENUM(name, text) EXPR_OP_##name,
    EXPR_OPS(EXPR_OP_ENUM)
#undef EXPR_OP_ENUM
        EXPR_OP__COUNT
} expr_op_t;

/* Comparisons, in the order of their tokens EXPR_TK_EQ..EXPR_TK_GE. */
typedef enum expr_cmp {
    EXPR_CMP_EQ,
    EXPR_CMP_NE,
    EXPR_CMP_LT,
    EXPR_CMP_LE,
    EXPR_CMP_GT,
    EXPR_CMP_GE
} expr_cmp_t;

_Static_assert(EXPR_TK_GE - EXPR_TK_EQ == EXPR_CMP_GE && EXPR_TK_NE - EXPR_TK_EQ == EXPR_CMP_NE,
               "comparison tokens and expr_cmp_t are in the same order");

static inline const char *
expr_cmp_text(unsigned op)
{
    return expr_tk_text((expr_tk_t)(EXPR_TK_EQ + op));
}

/* Operands of EXPR_OP_CMP: scalar values read from the facts, or literals. */
typedef enum expr_src_kind {
    EXPR_SRC_NUM,
    EXPR_SRC_STR,
    EXPR_SRC_MATCH,
    EXPR_SRC_GIVEN_COUNT,
    EXPR_SRC_SPOTTED_COUNT,
    EXPR_SRC_ID,
    EXPR_SRC_COUNTRY,
    EXPR_SRC_REGION,
    EXPR_SRC_CTX
} expr_src_kind_t;

typedef struct expr_src {
    uint8_t kind;    /* expr_src_kind_t */
    double num;      /* EXPR_SRC_NUM: value */
    const char *str; /* EXPR_SRC_STR: value; EXPR_SRC_CTX: key */
} expr_src_t;

/* What EXPR_OP_REL tests on each organisation it reaches. */
typedef enum expr_rel { EXPR_REL_EXISTS, EXPR_REL_LISTS, EXPR_REL_TAGS, EXPR_REL_RISK } expr_rel_t;

/* EXPR_OP_TECH: which category sets of the request it reads. */
#define EXPR_TECH_GIVEN 1u
#define EXPR_TECH_SPOTTED 2u

typedef struct expr_ins {
    uint8_t op;           /* expr_op_t */
    uint8_t cmp;          /* RISK, CMP, REL with EXPR_REL_RISK: expr_cmp_t */
    uint8_t what;         /* REL: expr_rel_t; TECH: EXPR_TECH_* bits */
    uint8_t depth;        /* REL: most hops, 1..EXPR_MAX_DEPTH */
    int32_t a;            /* CONST: 0/1; jumps: target; HAS_*, RISK,
                           * ACTIVITY, TYPE, REL: vocabulary index;
                           * METHOD: match_method_t or -1 ("none") */
    int32_t kind;         /* REL: relation kind, -1 for any */
    const char *name;     /* name of index a (dump; TYPE compares it) */
    const char *kname;    /* REL: relation kind name or "*" (dump) */
    const uint64_t *mask; /* TECH: category set, words words */
    expr_src_t lhs, rhs;  /* CMP: operands */
} expr_ins_t;

/* A compiled condition; it and everything it points to live in the
 * caller's arena, but vocabulary names (borrowed from the schema). */
struct expr {
    const expr_ins_t *code;         /* the program, ends with EXPR_OP_RET */
    size_t n;                       /* count of instructions */
    const tax_t *tax;               /* categories, for the dump (borrowed) */
    size_t words;                   /* words of a category set */
    bool needs_entity;              /* the result is false whenever entity == NULL */
    const struct expr *const *conj; /* top-level `and` conjuncts, each a program
                                     * of its own (coverage); NULL in them */
    const char *const *conj_src;    /* their source text, parallel to conj */
    size_t n_conj;                  /* count of conjuncts (>= 1 once compiled) */
};

#endif
