/* SPDX-License-Identifier: Apache-2.0 */
/* test_expr.c -- the condition language: lexer, parser, checker (every message), evaluator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "expr.h"
#include "expr_int.h"
#include "match.h"
#include "registry.h"
#include "sbuf.h"
#include "taxonomy.h"
#include "vocab.h"

#define GOLDEN "tests/fixtures/expr/golden.txt"

/* ---- the test schema ----------------------------------------------------- */

static const char *lists_v[] = {"ca-nro", "us-sdn", "us-entity"};
static const char *tags_v[] = {"seven-sons", "defence-conglomerate"};
static const char *risks_v[] = {"low", "medium", "high", "critical"};
static const char *acts_v[] = {"research_partnership", "joint_lab", "affiliation", "funding"};
static const char *rels_v[] = {"subsidiary_of", "supervised_by", "co_lab_with"};
static const char *types_v[] = {"university", "research_institute", "company", "military"};

enum { L_CA_NRO, L_US_SDN, L_US_ENTITY };
enum { T_SEVEN, T_DEFENCE };
enum { R_LOW, R_MEDIUM, R_HIGH, R_CRITICAL };
enum { K_SUB, K_SUP, K_COLAB };

static const vocab_t V_LISTS = {lists_v, 3};
static const vocab_t V_TAGS = {tags_v, 2};
static const vocab_t V_RISKS = {risks_v, 4};
static const vocab_t V_ACTS = {acts_v, 4};
static const vocab_t V_RELS = {rels_v, 3};
static const vocab_t V_TYPES = {types_v, 4};
/* Two country groups, as policy.cfg's country_groups declares them. */
static const char *group_ids[] = {"fcoc", "occupied"};
static const vocab_t V_GROUPS = {group_ids, 2};
static const char *fcoc_codes[] = {"CN", "KP", "RU", "IR"};
static const char *occupied_codes[] = {"UA-43", "UA-40"};
static const expr_group_t GROUPS[] = {{"fcoc", fcoc_codes, 4}, {"occupied", occupied_codes, 2}};

/* The registry: A -sub-> B -sub-> C (C on us-entity, defence tag,
 * critical), A -colab- D (both ways), E isolated. F supervised_by A and
 * G in a cycle F -sub-> G -sub-> F. */
enum { E_A, E_B, E_C, E_D, E_E, E_F, E_G };
static const uint16_t a_lists[] = {L_CA_NRO};
static const uint16_t a_tags[] = {T_SEVEN};
static const uint16_t c_lists[] = {L_US_SDN, L_US_ENTITY};
static const uint16_t c_tags[] = {T_DEFENCE};
static const reg_rel_t a_rels[] = {{K_SUB, E_B}, {K_COLAB, E_D}};
static const reg_rel_t b_rels[] = {{K_SUB, E_C}};
static const reg_rel_t d_rels[] = {{K_COLAB, E_A}};
static const reg_rel_t f_rels[] = {{K_SUB, E_G}, {K_SUP, E_A}};
static const reg_rel_t g_rels[] = {{K_SUB, E_F}};

static const reg_entity_t ENTS[] = {
    [E_A] = {.id = "a",
             .name = "A",
             .country = "CN",
             .type = "university",
             .lists = a_lists,
             .n_lists = 1,
             .tags = a_tags,
             .n_tags = 1,
             .risk = R_HIGH,
             .rels = a_rels,
             .n_rels = 2},
    [E_B] = {.id = "b",
             .name = "B",
             .country = NULL,
             .type = "company",
             .risk = -1,
             .rels = b_rels,
             .n_rels = 1},
    [E_C] = {.id = "c",
             .name = "C",
             .country = "CN",
             .type = "military",
             .lists = c_lists,
             .n_lists = 2,
             .tags = c_tags,
             .n_tags = 1,
             .risk = R_CRITICAL},
    [E_D] = {.id = "d", .name = "D", .country = "RU", .risk = R_LOW, .rels = d_rels, .n_rels = 1},
    [E_E] = {.id = "e", .name = "E", .risk = -1},
    [E_F] = {.id = "f", .name = "F", .risk = -1, .rels = f_rels, .n_rels = 2},
    [E_G] = {.id = "g", .name = "G", .risk = R_MEDIUM, .rels = g_rels, .n_rels = 1},
};

typedef struct fx {
    tax_t *tax;           /* quantum(.sensing, .computing), ai, aerospace(.hypersonics) */
    expr_schema_t schema; /* the vocabularies above */
    arena_t *a;           /* compiled programs */
    diag_t *d;            /* compile errors */
    uint64_t given[4];    /* category bitsets of the facts */
    uint64_t spotted[4];
} fx_t;

static int
setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    f->tax = tax_new();
    f->d = diag_new(0);
    static const char *const codes[][2] = {
        {"quantum", NULL},
        {"quantum.sensing", "quantum"},
        {"quantum.computing", "quantum"},
        {"ai", NULL},
        {"aerospace", NULL},
        {"aerospace.hypersonics", "aerospace"},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *kw[] = {codes[i][0]};
        tax_def_t def = {.code = codes[i][0],
                         .label = codes[i][0],
                         .parent = codes[i][1],
                         .keywords = kw,
                         .n_keywords = 1,
                         .file = "taxonomy.cfg",
                         .line = (int)i + 1};
        if (tax_add(f->tax, &def, f->d) != 0)
            return -1;
    }
    if (tax_build(f->tax, f->d) != 0 || tax_words(f->tax) > 4) {
        diag_print(f->d, stderr);
        return -1;
    }
    f->schema = (expr_schema_t){&V_LISTS, &V_TAGS, &V_RISKS,  &V_ACTS, &V_RELS,
                                &V_TYPES, f->tax,  &V_GROUPS, GROUPS};
    f->a = arena_new(0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *f = *state;
    tax_destroy(&f->tax);
    arena_destroy(&f->a);
    diag_destroy(&f->d);
    free(f);
    return 0;
}

/* Fresh diagnostics before each test. */
static int
reset(void **state)
{
    fx_t *f = *state;
    diag_destroy(&f->d);
    f->d = diag_new(0);
    memset(f->given, 0, sizeof f->given);
    memset(f->spotted, 0, sizeof f->spotted);
    return f->d == NULL ? -1 : 0;
}

static void
set_cat(uint64_t *set, const tax_t *t, const char *code)
{
    int i = tax_find(t, code);
    assert_true(i >= 0);
    set[i / 64] |= 1ull << (i % 64);
}

/* Facts for one evaluation: ent < 0 for no match. */
static expr_facts_t
facts(fx_t *f, int ent)
{
    return (expr_facts_t){
        .ents = ENTS,
        .entity = ent >= 0 ? &ENTS[ent] : NULL,
        .match = ent >= 0 ? 1.0 : 0.0,
        .method = ent >= 0 ? MATCH_EXACT : -1,
        .country = NULL,
        .type = -1,
        .given = f->given,
        .spotted = f->spotted,
        .activity = -1,
        .current = true,
        .ctx = NULL,
        .n_ctx = 0,
    };
}

static expr_t *
compile_ok(fx_t *f, const char *src)
{
    expr_t *e = expr_compile(src, &f->schema, f->a, "p.cfg", 7, f->d);
    if (e == NULL || diag_count(f->d) != 0) {
        fprintf(stderr, "compiling %s:\n", src);
        diag_print(f->d, stderr);
    }
    assert_non_null(e);
    assert_int_equal(diag_count(f->d), 0);
    return e;
}

static int
ev(fx_t *f, const char *src, const expr_facts_t *facts_)
{
    int r = expr_eval(compile_ok(f, src), facts_);
    assert_true(r == 0 || r == 1);
    return r;
}

/* Compiles src expecting exactly the messages want (NULL-terminated),
 * each as "p.cfg:7:COL: message". */
static void
check_errs(fx_t *f, const char *src, const char *const *want)
{
    diag_destroy(&f->d);
    f->d = diag_new(0);
    expr_t *e = expr_compile(src, &f->schema, f->a, "p.cfg", 7, f->d);
    size_t n = 0;
    while (want[n] != NULL)
        n++;
    if (diag_count(f->d) != n) {
        fprintf(stderr, "compiling %s:\n", src);
        diag_print(f->d, stderr);
    }
    assert_null(e);
    assert_int_equal(diag_count(f->d), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(diag_get(f->d, i), want[i]);
}

#define ERRS(src, ...) check_errs(f, (src), (const char *const[]){__VA_ARGS__, NULL})

static char *
dump(const expr_t *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    expr_dump(e, m);
    fclose(m);
    return buf;
}

/* ---- lexer --------------------------------------------------------------- */

static int
lex(fx_t *f, arena_t *a, const char *src, expr_tok_t **toks)
{
    expr_loc_t loc = {"p.cfg", 7, f->d};
    return expr_lex(src, a, &loc, toks);
}

static void
test_lex_tokens_and_columns(void **state)
{
    fx_t *f = *state;
    arena_t *a = arena_new(0);
    expr_tok_t *t;
    const char *src = "partner.lists has_any [\"a\\\"b\\\\\", 2.5] and not(x<=-3)!=y >= z>w<v==";
    int n = lex(f, a, src, &t);
    static const expr_tk_t kinds[] = {
        EXPR_TK_IDENT,  EXPR_TK_DOT,    EXPR_TK_IDENT,  EXPR_TK_HAS_ANY, EXPR_TK_LBRACK,
        EXPR_TK_STRING, EXPR_TK_COMMA,  EXPR_TK_NUMBER, EXPR_TK_RBRACK,  EXPR_TK_AND,
        EXPR_TK_NOT,    EXPR_TK_LPAREN, EXPR_TK_IDENT,  EXPR_TK_LE,      EXPR_TK_NUMBER,
        EXPR_TK_RPAREN, EXPR_TK_NE,     EXPR_TK_IDENT,  EXPR_TK_GE,      EXPR_TK_IDENT,
        EXPR_TK_GT,     EXPR_TK_IDENT,  EXPR_TK_LT,     EXPR_TK_IDENT,   EXPR_TK_EQ,
        EXPR_TK_EOF,
    };
    assert_int_equal(n, sizeof kinds / sizeof kinds[0]);
    for (int i = 0; i < n; i++)
        assert_int_equal(t[i].kind, kinds[i]);
    assert_int_equal(t[0].col, 1);
    assert_int_equal(t[1].col, 8);
    assert_int_equal(t[2].col, 9);
    assert_int_equal(t[3].col, 15);
    assert_int_equal(t[5].col, 24);
    assert_string_equal(t[5].str, "a\"b\\");
    assert_int_equal(t[5].len, 8);
    assert_true(t[7].num == 2.5);
    assert_true(t[14].num == -3);
    assert_int_equal(t[n - 1].col, (int)strlen(src) + 1);
    assert_int_equal(diag_count(f->d), 0);

    /* Keywords are whole words; identifiers may hold '-' and digits;
     * and/or/true/false are keywords, has_anything is not. */
    n = lex(f, a, "true false in has has_all has_anything context.funding-body2 or\t\n_x", &t);
    assert_int_equal(n, 12);
    assert_int_equal(t[0].kind, EXPR_TK_TRUE);
    assert_int_equal(t[1].kind, EXPR_TK_FALSE);
    assert_int_equal(t[2].kind, EXPR_TK_IN);
    assert_int_equal(t[3].kind, EXPR_TK_HAS);
    assert_int_equal(t[4].kind, EXPR_TK_HAS_ALL);
    assert_int_equal(t[5].kind, EXPR_TK_IDENT);
    assert_int_equal(t[7].kind, EXPR_TK_DOT);
    assert_int_equal(t[8].kind, EXPR_TK_IDENT);
    assert_int_equal(t[8].len, strlen("funding-body2"));
    assert_int_equal(t[9].kind, EXPR_TK_OR);
    assert_int_equal(t[10].kind, EXPR_TK_IDENT);
    assert_int_equal(t[10].col, 66);
    assert_string_equal(expr_tk_text(EXPR_TK_HAS_ANY), "has_any");
    assert_null(expr_tk_text(EXPR_TK_IDENT));

    char buf[80];
    n = lex(f, a, "\"a string\" 42 ) x", &t);
    assert_int_equal(n, 5);
    assert_string_equal(expr_tok_desc(&t[0], buf, sizeof buf), "string \"a string\"");
    assert_string_equal(expr_tok_desc(&t[1], buf, sizeof buf), "number 42");
    assert_string_equal(expr_tok_desc(&t[2], buf, sizeof buf), "')'");
    assert_string_equal(expr_tok_desc(&t[3], buf, sizeof buf), "'x'");
    assert_string_equal(expr_tok_desc(&t[4], buf, sizeof buf), "end of condition");
    assert_int_equal(diag_count(f->d), 0);
    arena_destroy(&a);
}

static void
test_lex_errors(void **state)
{
    fx_t *f = *state;
    static const struct {
        const char *src, *msg;
    } cases[] = {
        {"x == \"abc", "p.cfg:7:6: unterminated string"},
        {"x == \"abc\\", "p.cfg:7:6: unterminated string"},
        {"x == \"a\\nb\"",
         "p.cfg:7:8: invalid escape '\\n' in string (only \\\" and \\\\ are allowed)"},
        {"x == \"a\\\x01\"",
         "p.cfg:7:8: invalid escape in string (only \\\" and \\\\ are allowed)"},
        {"x > 1.", "p.cfg:7:5: malformed number '1.'"},
        {"x > 1.2.3", "p.cfg:7:5: malformed number '1.2.3'"},
        {"x > 3abc", "p.cfg:7:5: malformed number '3abc'"},
        {"x = 1", "p.cfg:7:3: unexpected character '=' (did you mean '=='?)"},
        {"!x", "p.cfg:7:1: unexpected character '!' (did you mean '!=' or 'not'?)"},
        {"a && b", "p.cfg:7:3: unexpected character '&' (use 'and')"},
        {"a || b", "p.cfg:7:3: unexpected character '|' (use 'or')"},
        {"x == 'a'", "p.cfg:7:6: unexpected character ''' (strings use double quotes)"},
        {"x # y", "p.cfg:7:3: unexpected character '#'"},
        {"x - 1", "p.cfg:7:3: unexpected character '-'"},
        {"x == \xc3\xa9", "p.cfg:7:6: unexpected byte 0xc3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arena_t *a = arena_new(0);
        diag_destroy(&f->d);
        f->d = diag_new(0);
        expr_tok_t *t;
        assert_int_equal(lex(f, a, cases[i].src, &t), -1);
        assert_int_equal(diag_count(f->d), 1);
        assert_string_equal(diag_get(f->d, 0), cases[i].msg);
        arena_destroy(&a);
        /* The compiler stops at the same error. */
        ERRS(cases[i].src, cases[i].msg);
    }
}

/* ---- parser -------------------------------------------------------------- */

/* Parses src and returns its S-expression (caller frees), or NULL. */
static char *
parse(fx_t *f, const char *src)
{
    arena_t *a = arena_new(0);
    expr_loc_t loc = {"p.cfg", 7, f->d};
    expr_tok_t *t;
    char *out = NULL;
    if (expr_lex(src, a, &loc, &t) >= 0) {
        expr_node_t *n = expr_parse(t, a, &loc);
        if (n != NULL) {
            sbuf_t b = SBUF_INIT;
            expr_ast_print(n, &b);
            out = sbuf_take(&b);
        }
    }
    arena_destroy(&a);
    return out;
}

static void
test_parse_trees(void **state)
{
    fx_t *f = *state;
    static const struct {
        const char *src, *tree;
    } cases[] = {
        {"a or b and not c", "(or a (and b (not c)))"},
        {"a and b or c", "(or (and a b) c)"},
        {"a or b or c", "(or (or a b) c)"},
        {"not not a", "(not (not a))"},
        {"(a or b) and c", "(and (or a b) c)"},
        {"not x == 1", "(not (== x 1))"},
        {"x.y != \"s\"", "(!= x.y \"s\")"},
        {"1 < 2", "(< 1 2)"},
        {"x <= 2.5 and y > 0 and z >= 1", "(and (and (<= x 2.5) (> y 0)) (>= z 1))"},
        {"activity in [\"a\", 2, true]", "(in activity [\"a\" 2 true])"},
        {"activity in []", "(in activity [])"},
        {"s has \"x\"", "(has s \"x\")"},
        {"s has_any [\"x\", \"y\"]", "(has_any s [\"x\" \"y\"])"},
        {"s has_all [false]", "(has_all s [false])"},
        {"partner.related(\"*\", 2).lists has \"x\"", "(has partner.related(\"*\" 2).lists \"x\")"},
        {"tech.given.any([\"q\", \"r\"])", "tech.given.any([\"q\" \"r\"])"},
        {"f() and g(x, (y))", "(and f() g(x y))"},
        {"context.in == context.not", "(== context.in context.not)"},
        {"\"a\\\"b\"", "\"a\\\"b\""},
        {"true", "true"},
        {"((((current))))", "current"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = parse(f, cases[i].src);
        if (got == NULL)
            diag_print(f->d, stderr);
        assert_non_null(got);
        assert_string_equal(got, cases[i].tree);
        free(got);
    }
    assert_int_equal(diag_count(f->d), 0);
}

static void
test_parse_errors(void **state)
{
    fx_t *f = *state;
    static const struct {
        const char *src, *msg;
    } cases[] = {
        {"", "p.cfg:7:1: empty condition"},
        {"   ", "p.cfg:7:1: empty condition"},
        {"current and and x", "p.cfg:7:13: unexpected 'and'"},
        {"current and", "p.cfg:7:12: unexpected end of condition"},
        {") x", "p.cfg:7:1: unexpected ')'"},
        {"x == ,", "p.cfg:7:6: unexpected ','"},
        {"(current and x", "p.cfg:7:15: expected ')' but found end of condition"},
        {"(current x)", "p.cfg:7:10: expected ')' but found 'x'"},
        {"f(1, 2", "p.cfg:7:7: expected ')' but found end of condition"},
        {"activity in [\"a\" \"b\"]", "p.cfg:7:18: expected ']' but found string \"b\""},
        {"activity in [\"a\",",
         "p.cfg:7:18: expected a string or number in the list but found end of condition"},
        {"activity in [activity]",
         "p.cfg:7:14: expected a string or number in the list but found 'activity'"},
        {"activity in \"a\"", "p.cfg:7:13: expected '[' after 'in' but found string \"a\""},
        {"s has_any \"a\"", "p.cfg:7:11: expected '[' after 'has_any' but found string \"a\""},
        {"s has_all x", "p.cfg:7:11: expected '[' after 'has_all' but found 'x'"},
        {"partner.", "p.cfg:7:9: expected a name after '.' but found end of condition"},
        {"partner.\"x\"", "p.cfg:7:9: expected a name after '.' but found string \"x\""},
        {"current current", "p.cfg:7:9: unexpected 'current' after the end of the condition"},
        {"x == 1 == 2", "p.cfg:7:8: unexpected '==' after the end of the condition"},
        {"current)", "p.cfg:7:8: unexpected ')' after the end of the condition"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        diag_destroy(&f->d);
        f->d = diag_new(0);
        assert_null(parse(f, cases[i].src));
        assert_int_equal(diag_count(f->d), 1);
        assert_string_equal(diag_get(f->d, 0), cases[i].msg);
        ERRS(cases[i].src, cases[i].msg);
    }
}

static void
test_parse_nesting_limit(void **state)
{
    fx_t *f = *state;
    char deep[400], ok[300];
    /* 64 levels parse; 65 do not, with a message instead of a crash. */
    snprintf(ok, sizeof ok, "%.*scurrent%.*s", 64,
             "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((", 64,
             "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))");
    compile_ok(f, ok);
    memset(deep, 0, sizeof deep);
    for (int i = 0; i < 65; i++)
        strcat(deep, "not ");
    strcat(deep, "current");
    ERRS(deep, "p.cfg:7:257: condition nested too deeply (more than 64 levels)");
    snprintf(deep, sizeof deep, "(%s)", ok);
    ERRS(deep, "p.cfg:7:65: condition nested too deeply (more than 64 levels)");
}

/* ---- checker: every message ---------------------------------------------- */

static void
test_check_unknown_names(void **state)
{
    fx_t *f = *state;
    ERRS("partner.listz has \"ca-nro\"",
         "p.cfg:7:1: unknown name \"partner.listz\" (did you mean \"partner.lists\"?)");
    ERRS("curent", "p.cfg:7:1: unknown name \"curent\" (did you mean \"current\"?)");
    ERRS("current and frobnicate", "p.cfg:7:13: unknown name \"frobnicate\"");
    ERRS("tech.anyy([\"ai\"])",
         "p.cfg:7:1: unknown name \"tech.anyy(...)\" (did you mean \"tech.any(...)\"?)");
    ERRS("partner.related(\"*\", 1).listz has \"x\"",
         "p.cfg:7:1: unknown name \"partner.related(...).listz\" "
         "(did you mean \"partner.related(...).lists\"?)");
    ERRS("context == 1", "p.cfg:7:1: context needs a key: context.KEY");
    ERRS("context.a.b == 1",
         "p.cfg:7:1: unknown name \"context.a.b\" (context values are named context.KEY)");
    ERRS("context.f(1) == 1",
         "p.cfg:7:1: unknown name \"context.f(...)\" (context values are named context.KEY)");
    ERRS("partner.related.exists",
         "p.cfg:7:9: partner.related takes arguments: partner.related(KIND, DEPTH)");
    ERRS("tech.given.all",
         "p.cfg:7:12: tech.given.all takes arguments: tech.given.all([\"code\", ...])");
    ERRS("partner.lists() has \"ca-nro\"", "p.cfg:7:9: partner.lists is not a function");
    ERRS("current()", "p.cfg:7:1: current is not a function");
    ERRS("tech().any([\"ai\"])", "p.cfg:7:1: tech is not a function");
}

static void
test_check_vocabulary(void **state)
{
    fx_t *f = *state;
    ERRS("partner.lists has \"ca-nr0\"",
         "p.cfg:7:19: unknown list \"ca-nr0\" (did you mean \"ca-nro\"?)");
    ERRS("partner.tags has_any [\"seven-son\", \"zzz\"]",
         "p.cfg:7:23: unknown tag \"seven-son\" (did you mean \"seven-sons\"?)",
         "p.cfg:7:36: unknown tag \"zzz\"");
    ERRS("activity in [\"joint_lab\", \"joint_lba\"]",
         "p.cfg:7:27: unknown activity \"joint_lba\" (did you mean \"joint_lab\"?)");
    ERRS("activity == \"x\"", "p.cfg:7:13: unknown activity \"x\"");
    ERRS("partner.risk >= \"hgih\"",
         "p.cfg:7:17: unknown risk level \"hgih\" (did you mean \"high\"?)");
    ERRS("\"hgih\" <= partner.risk",
         "p.cfg:7:1: unknown risk level \"hgih\" (did you mean \"high\"?)");
    ERRS("tech.any([\"quantum.sensng\"])", "p.cfg:7:11: unknown technology code \"quantum.sensng\" "
                                           "(did you mean \"quantum.sensing\"?)");
    ERRS("tech.spotted.all([\"ai\", \"zzzzzzzzzzzzzzzzzzzz\"])",
         "p.cfg:7:25: unknown technology code \"zzzzzzzzzzzzzzzzzzzz\"");
    ERRS("partner.related(\"subsidary_of\", 2).exists",
         "p.cfg:7:17: unknown relation kind \"subsidary_of\" (did you mean \"subsidiary_of\"?)");
    ERRS("partner.type == \"univ\"", "p.cfg:7:17: unknown partner type \"univ\"");
    ERRS("partner.type != \"universty\"",
         "p.cfg:7:17: unknown partner type \"universty\" (did you mean \"university\"?)");
    ERRS("partner.method == \"alias\"", "p.cfg:7:19: unknown match method \"alias\" (valid: id, "
                                        "exact, unit, related, fuzzy, none)");
    ERRS("partner.related(\"*\", 1).tags has \"defence\"", "p.cfg:7:34: unknown tag \"defence\"");
    ERRS("partner.related(\"*\", 1).risk > \"hi\"",
         "p.cfg:7:32: unknown risk level \"hi\" (did you mean \"high\"?)");
}

static void
test_check_arguments(void **state)
{
    fx_t *f = *state;
    ERRS("partner.related(\"*\", 9).exists", "p.cfg:7:22: relation depth must be 1..4, not 9");
    ERRS("partner.related(\"*\", 0).exists", "p.cfg:7:22: relation depth must be 1..4, not 0");
    ERRS("partner.related(\"*\", 1.5).exists", "p.cfg:7:22: relation depth must be 1..4, not 1.5");
    ERRS("partner.related(\"subsidary\", 7).exists",
         "p.cfg:7:17: unknown relation kind \"subsidary\"",
         "p.cfg:7:30: relation depth must be 1..4, not 7");
    ERRS("partner.related(2).exists", "p.cfg:7:9: partner.related takes (KIND, DEPTH), e.g. "
                                      "partner.related(\"subsidiary_of\", 2)");
    ERRS("partner.related(2, \"*\").exists", "p.cfg:7:9: partner.related takes (KIND, DEPTH), e.g. "
                                             "partner.related(\"subsidiary_of\", 2)");
    ERRS("tech.any(\"ai\")",
         "p.cfg:7:6: tech.any takes a list of category codes, e.g. tech.any([\"quantum\"])");
    ERRS("tech.given.any([\"ai\"], [\"ai\"])",
         "p.cfg:7:12: tech.given.any takes a list of category codes, e.g. "
         "tech.given.any([\"quantum\"])");
    ERRS("tech.all([\"ai\", 3, true])", "p.cfg:7:17: category codes must be strings, found number",
         "p.cfg:7:20: category codes must be strings, found bool");
}

static void
test_check_types(void **state)
{
    fx_t *f = *state;
    ERRS("partner.match >= \"high\"", "p.cfg:7:15: cannot compare number with string");
    ERRS("\"x\" == tech.given.count", "p.cfg:7:5: cannot compare string with number");
    ERRS("partner.lists == \"x\"",
         "p.cfg:7:1: partner.lists is a set: use has, has_any or has_all");
    ERRS("\"x\" != partner.tags", "p.cfg:7:8: partner.tags is a set: use has, has_any or has_all");
    ERRS("partner.lists in [\"ca-nro\"]",
         "p.cfg:7:1: partner.lists is a set: use has, has_any or has_all");
    ERRS("partner.lists", "p.cfg:7:1: partner.lists is a set: use has, has_any or has_all");
    ERRS("partner.related(\"*\", 2)", "p.cfg:7:1: partner.related(...) is a set of organisations: "
                                      "use .exists, .lists, .tags or .risk");
    ERRS("partner.related(\"*\", 2) == 1", "p.cfg:7:1: partner.related(...) is a set of "
                                           "organisations: use .exists, .lists, .tags or .risk");
    ERRS("current and 3", "p.cfg:7:13: operand of 'and' must be a boolean, found number");
    ERRS("\"x\" or current", "p.cfg:7:1: operand of 'or' must be a boolean, found string");
    ERRS("not partner.match", "p.cfg:7:5: operand of 'not' must be a boolean, found number");
    ERRS("partner.match", "p.cfg:7:1: condition must be a boolean, found number");
    ERRS("activity", "p.cfg:7:1: condition must be a boolean, found activity");
    ERRS("context.funder",
         "p.cfg:7:1: context.funder is a context value, not a boolean (compare it with == or !=)");
    ERRS("current and context.flag",
         "p.cfg:7:13: context.flag is a context value, not a boolean (compare it with == or !=)");
    ERRS("current < true", "p.cfg:7:9: operator '<' cannot be applied to bool");
    ERRS("current == 1", "p.cfg:7:9: cannot compare bool with number");
    ERRS("partner.id > \"a\"", "p.cfg:7:12: operator '>' cannot be applied to string");
    ERRS("context.x >= \"a\"", "p.cfg:7:11: operator '>=' cannot be applied to string");
    ERRS("context.x < true", "p.cfg:7:11: operator '<' cannot be applied to bool");
    ERRS("context.x == current", "p.cfg:7:11: cannot compare context value with bool");
    ERRS("activity < \"joint_lab\"", "p.cfg:7:10: operator '<' cannot be applied to activity");
    ERRS("partner.method >= \"id\"", "p.cfg:7:16: operator '>=' cannot be applied to match method");
    ERRS("partner.risk == 2", "p.cfg:7:14: cannot compare risk level with number");
    ERRS("partner.risk == partner.id",
         "p.cfg:7:14: partner.risk must be compared with a string literal");
    ERRS("partner.id == activity", "p.cfg:7:12: activity must be compared with a string literal");
    ERRS("partner.type == partner.risk", "p.cfg:7:14: cannot compare partner type with risk level");
    ERRS("partner.match in [1, \"a\"]", "p.cfg:7:22: cannot compare number with string");
    ERRS("current in [true]", "p.cfg:7:9: operator 'in' cannot be applied to bool");
    ERRS("partner.risk has \"high\"",
         "p.cfg:7:14: operator 'has' needs a list or tag set, found risk level");
    ERRS("\"x\" has_any [\"x\"]",
         "p.cfg:7:5: operator 'has_any' needs a list or tag set, found string");
    ERRS("partner.lists has partner.id", "p.cfg:7:19: 'has' needs a string literal, found string");
    ERRS("partner.lists has_all [\"ca-nro\", 1]",
         "p.cfg:7:34: 'has_all' needs a string literal, found number");
}

static void
test_check_reports_every_error(void **state)
{
    fx_t *f = *state;
    /* Siblings of a failed subtree are still checked, in source order,
     * and an error does not cascade into its parents. */
    ERRS("(partner.lists has \"ca-nr0\" or partner.match > \"x\") and not partner.listz "
         "and activity in [\"joint_lba\", 3] and tech.any([\"aii\"]) and partner.match",
         "p.cfg:7:20: unknown list \"ca-nr0\" (did you mean \"ca-nro\"?)",
         "p.cfg:7:46: cannot compare number with string",
         "p.cfg:7:61: unknown name \"partner.listz\" (did you mean \"partner.lists\"?)",
         "p.cfg:7:92: unknown activity \"joint_lba\" (did you mean \"joint_lab\"?)",
         "p.cfg:7:105: cannot compare activity with number",
         "p.cfg:7:122: unknown technology code \"aii\" (did you mean \"ai\"?)",
         "p.cfg:7:134: operand of 'and' must be a boolean, found number");
    /* A diag shared with other errors: only this compile's count. */
    diag_destroy(&f->d);
    f->d = diag_new(0);
    diag_add(f->d, "other.cfg", 1, 0, "earlier");
    assert_null(expr_compile("curent", &f->schema, f->a, "p.cfg", 7, f->d));
    assert_int_equal(diag_count(f->d), 2);
    assert_non_null(expr_compile("current", &f->schema, f->a, "p.cfg", 7, f->d));
    assert_int_equal(diag_count(f->d), 2);
    /* No file, no line. */
    diag_destroy(&f->d);
    f->d = diag_new(0);
    assert_null(expr_compile("curent", &f->schema, f->a, NULL, 0, f->d));
    assert_string_equal(diag_get(f->d, 0), "unknown name \"curent\" (did you mean \"current\"?)");
}

/* An empty schema (no vocabularies, no taxonomy) is valid: every name
 * is just unknown. */
static void
test_check_empty_schema(void **state)
{
    fx_t *f = *state;
    expr_schema_t empty = {0};
    diag_destroy(&f->d);
    f->d = diag_new(0);
    assert_null(expr_compile("partner.lists has \"ca-nro\" or tech.any([\"ai\"]) or "
                             "partner.related(\"x\", 1).exists",
                             &empty, f->a, "p.cfg", 7, f->d));
    assert_int_equal(diag_count(f->d), 3);
    assert_string_equal(diag_get(f->d, 0), "p.cfg:7:19: unknown list \"ca-nro\"");
    assert_string_equal(diag_get(f->d, 1), "p.cfg:7:41: unknown technology code \"ai\"");
    assert_string_equal(diag_get(f->d, 2), "p.cfg:7:67: unknown relation kind \"x\"");
    diag_destroy(&f->d);
    f->d = diag_new(0);
    expr_t *e = expr_compile("current and tech.given.count == 0", &empty, f->a, "p.cfg", 7, f->d);
    assert_non_null(e);
    expr_facts_t x = facts(f, -1);
    assert_int_equal(expr_eval(e, &x), 1);
}

/* ---- evaluator ----------------------------------------------------------- */

static void
test_eval_lists_tags_and_match(void **state)
{
    fx_t *f = *state;
    expr_facts_t a = facts(f, E_A), c = facts(f, E_C), none = facts(f, -1);
    assert_int_equal(ev(f, "partner.lists has \"ca-nro\"", &a), 1);
    assert_int_equal(ev(f, "partner.lists has \"ca-nro\"", &c), 0);
    assert_int_equal(ev(f, "partner.lists has \"ca-nro\"", &none), 0);
    assert_int_equal(ev(f, "partner.lists has_any [\"us-sdn\", \"ca-nro\"]", &a), 1);
    assert_int_equal(ev(f, "partner.lists has_any [\"us-sdn\", \"us-entity\"]", &a), 0);
    assert_int_equal(ev(f, "partner.lists has_all [\"us-sdn\", \"us-entity\"]", &c), 1);
    assert_int_equal(ev(f, "partner.lists has_all [\"us-sdn\", \"ca-nro\"]", &c), 0);
    assert_int_equal(ev(f, "partner.lists has_any []", &c), 0);
    assert_int_equal(ev(f, "partner.lists has_all []", &none), 1);
    assert_int_equal(ev(f, "partner.tags has \"seven-sons\"", &a), 1);
    assert_int_equal(ev(f, "partner.tags has \"defence-conglomerate\"", &a), 0);
    assert_int_equal(ev(f, "partner.tags has_all [\"defence-conglomerate\"]", &c), 1);
    assert_int_equal(ev(f, "partner.tags has_any [\"seven-sons\"]", &none), 0);
    assert_int_equal(ev(f, "partner.matched", &a), 1);
    assert_int_equal(ev(f, "partner.matched", &none), 0);
    assert_int_equal(ev(f, "partner.id == \"a\"", &a), 1);
    assert_int_equal(ev(f, "partner.id == \"\"", &none), 1);
    assert_int_equal(ev(f, "partner.id != \"a\"", &c), 1);
    assert_int_equal(ev(f, "partner.match >= 1", &a), 1);
    assert_int_equal(ev(f, "partner.match > 0", &none), 0);
    a.match = 0.9;
    assert_int_equal(ev(f, "partner.match < 0.95 and 0.85 < partner.match", &a), 1);
    assert_int_equal(ev(f, "partner.match == 0.9", &a), 1);
    assert_int_equal(ev(f, "partner.match <= 0.89", &a), 0);
}

/* partner.country and partner.region against a policy's country group:
 * countries("ID") stands for its codes, unknown groups and any other
 * call after 'in' are compile errors. */
static void
test_country_groups(void **state)
{
    fx_t *f = *state;
    expr_facts_t a = facts(f, E_A), none = facts(f, -1);
    /* E_A is a CN organisation; the request's country counts when
     * nothing matched. */
    assert_int_equal(ev(f, "partner.country in countries(\"fcoc\")", &a), 1);
    none.country = "DE";
    assert_int_equal(ev(f, "partner.country in countries(\"fcoc\")", &none), 0);
    none.country = "IR";
    assert_int_equal(ev(f, "partner.country in countries(\"fcoc\")", &none), 1);
    assert_int_equal(ev(f, "not partner.country in countries(\"fcoc\")", &none), 0);
    none.country = NULL;
    assert_int_equal(ev(f, "partner.country in countries(\"fcoc\")", &none), 0);
    /* partner.region: "" when neither given nor revealed. */
    assert_int_equal(ev(f, "partner.region == \"\"", &none), 1);
    assert_int_equal(ev(f, "partner.region in countries(\"occupied\")", &none), 0);
    none.region = "UA-40";
    assert_int_equal(ev(f, "partner.region in countries(\"occupied\")", &none), 1);
    assert_int_equal(ev(f, "partner.region in [\"UA-43\"]", &none), 0);
    ERRS("partner.country in countries(\"fcc\")",
         "p.cfg:7:30: unknown country group \"fcc\" (did you mean \"fcoc\"?)");
    ERRS("partner.country in regions(\"fcoc\")",
         "p.cfg:7:20: 'in' takes a list [\"a\", ...] or countries(\"GROUP\") on its right");
    ERRS("partner.country in countries", "p.cfg:7:20: 'in' takes a list [\"a\", ...] or "
                                         "countries(\"GROUP\") on its right");
}

static void
test_eval_method_and_activity(void **state)
{
    fx_t *f = *state;
    expr_facts_t a = facts(f, E_A), none = facts(f, -1);
    a.method = MATCH_FUZZY;
    assert_int_equal(ev(f, "partner.method == \"fuzzy\"", &a), 1);
    assert_int_equal(ev(f, "partner.method != \"fuzzy\"", &a), 0);
    assert_int_equal(ev(f, "\"exact\" != partner.method", &a), 1);
    assert_int_equal(ev(f, "partner.method in [\"id\", \"exact\"]", &a), 0);
    a.method = MATCH_ID;
    assert_int_equal(ev(f, "partner.method in [\"id\", \"exact\"]", &a), 1);
    assert_int_equal(ev(f, "partner.method == \"none\"", &a), 0);
    assert_int_equal(ev(f, "partner.method == \"none\"", &none), 1);
    assert_int_equal(ev(f, "partner.method != \"fuzzy\"", &none), 1);
    assert_int_equal(ev(f, "partner.method == \"id\"", &none), 0);

    /* No activity: == and in are false, != true. */
    assert_int_equal(ev(f, "activity == \"joint_lab\"", &none), 0);
    assert_int_equal(ev(f, "activity in [\"joint_lab\", \"funding\"]", &none), 0);
    assert_int_equal(ev(f, "activity != \"joint_lab\"", &none), 1);
    none.activity = 1;
    assert_int_equal(ev(f, "activity == \"joint_lab\"", &none), 1);
    assert_int_equal(ev(f, "activity in [\"funding\", \"joint_lab\"]", &none), 1);
    assert_int_equal(ev(f, "activity in []", &none), 0);
    assert_int_equal(ev(f, "not (activity in [\"funding\"])", &none), 1);
    assert_int_equal(ev(f, "current", &none), 1);
    none.current = false;
    assert_int_equal(ev(f, "current", &none), 0);
    assert_int_equal(ev(f, "current == false and not current", &none), 1);
}

static void
test_eval_risk(void **state)
{
    fx_t *f = *state;
    expr_facts_t a = facts(f, E_A), b = facts(f, E_B), none = facts(f, -1);
    /* A is high. */
    assert_int_equal(ev(f, "partner.risk >= \"high\"", &a), 1);
    assert_int_equal(ev(f, "partner.risk > \"high\"", &a), 0);
    assert_int_equal(ev(f, "partner.risk == \"high\"", &a), 1);
    assert_int_equal(ev(f, "partner.risk != \"high\"", &a), 0);
    assert_int_equal(ev(f, "partner.risk < \"critical\"", &a), 1);
    assert_int_equal(ev(f, "partner.risk <= \"medium\"", &a), 0);
    assert_int_equal(ev(f, "\"medium\" < partner.risk", &a), 1);
    assert_int_equal(ev(f, "\"critical\" <= partner.risk", &a), 0);
    assert_int_equal(ev(f, "partner.risk in [\"low\", \"high\"]", &a), 1);
    /* Unset risk (B) and no match compare false but for !=. */
    static const char *const ops[] = {"<", "<=", ">", ">=", "=="};
    for (size_t i = 0; i < 5; i++) {
        char src[64];
        snprintf(src, sizeof src, "partner.risk %s \"medium\"", ops[i]);
        assert_int_equal(ev(f, src, &b), 0);
        assert_int_equal(ev(f, src, &none), 0);
    }
    assert_int_equal(ev(f, "partner.risk != \"medium\"", &b), 1);
    assert_int_equal(ev(f, "partner.risk != \"medium\"", &none), 1);
}

static void
test_eval_country_and_type(void **state)
{
    fx_t *f = *state;
    expr_facts_t a = facts(f, E_A), b = facts(f, E_B), d = facts(f, E_D), none = facts(f, -1);
    assert_int_equal(ev(f, "partner.country in [\"CN\", \"RU\"]", &a), 1);
    assert_int_equal(ev(f, "partner.country == \"RU\"", &d), 1);
    /* B has no country: the request's is used; none at all is null. */
    assert_int_equal(ev(f, "partner.country == \"CN\"", &b), 0);
    assert_int_equal(ev(f, "partner.country != \"CN\"", &b), 1);
    b.country = "CN";
    assert_int_equal(ev(f, "partner.country == \"CN\"", &b), 1);
    a.country = "US";
    assert_int_equal(ev(f, "partner.country == \"CN\"", &a), 1);
    assert_int_equal(ev(f, "partner.country in []", &none), 0);
    none.country = "RU";
    assert_int_equal(ev(f, "partner.country in [\"CN\", \"RU\"]", &none), 1);

    /* The organisation's type wins; else the request's. */
    assert_int_equal(ev(f, "partner.type == \"university\"", &a), 1);
    a.type = 2;
    assert_int_equal(ev(f, "partner.type == \"company\"", &a), 0);
    assert_int_equal(ev(f, "partner.type in [\"company\", \"military\"]", &b), 1);
    assert_int_equal(ev(f, "partner.type == \"university\"", &d), 0);
    d.type = 0;
    assert_int_equal(ev(f, "partner.type == \"university\"", &d), 1);
    assert_int_equal(ev(f, "partner.type != \"university\"", &none), 1);
    none.type = 3;
    assert_int_equal(ev(f, "partner.type == \"military\"", &none), 1);
}

static void
test_eval_related_look_through(void **state)
{
    fx_t *f = *state;
    expr_facts_t a = facts(f, E_A), b = facts(f, E_B), d = facts(f, E_D), e = facts(f, E_E);
    expr_facts_t fe = facts(f, E_F), none = facts(f, -1);
    /* A subsidiary_of B subsidiary_of C, C on us-entity. */
    assert_int_equal(ev(f, "partner.related(\"subsidiary_of\", 1).lists has \"us-entity\"", &a), 0);
    assert_int_equal(ev(f, "partner.related(\"subsidiary_of\", 2).lists has \"us-entity\"", &a), 1);
    assert_int_equal(ev(f, "partner.related(\"subsidiary_of\", 4).lists has \"us-entity\"", &a), 1);
    assert_int_equal(ev(f, "partner.related(\"subsidiary_of\", 1).lists has \"us-entity\"", &b), 1);
    assert_int_equal(ev(f, "partner.related(\"supervised_by\", 4).lists has \"us-entity\"", &a), 0);
    assert_int_equal(ev(f, "partner.related(\"*\", 2).tags has \"defence-conglomerate\"", &a), 1);
    /* The partner itself does not count, even through a symmetric tie. */
    assert_int_equal(ev(f, "partner.related(\"*\", 4).lists has \"ca-nro\"", &a), 0);
    assert_int_equal(ev(f, "partner.related(\"co_lab_with\", 1).lists has \"ca-nro\"", &d), 1);
    assert_int_equal(ev(f, "partner.related(\"co_lab_with\", 3).lists has \"us-entity\"", &d), 0);
    assert_int_equal(ev(f, "partner.related(\"*\", 3).lists has \"us-entity\"", &d), 1);
    assert_int_equal(ev(f, "partner.related(\"*\", 2).lists has \"us-entity\"", &d), 0);
    /* The union of the reached organisations' sets. */
    assert_int_equal(ev(f, "partner.related(\"*\", 3).lists has_all [\"ca-nro\", \"us-sdn\"]", &d),
                     1);
    assert_int_equal(
        ev(f, "partner.related(\"co_lab_with\", 3).lists has_any [\"us-sdn\", \"us-entity\"]", &d),
        0);
    /* exists, risk. */
    assert_int_equal(ev(f, "partner.related(\"*\", 1).exists", &a), 1);
    assert_int_equal(ev(f, "partner.related(\"*\", 1).exists", &e), 0);
    assert_int_equal(ev(f, "partner.related(\"supervised_by\", 1).exists", &a), 0);
    assert_int_equal(ev(f, "partner.related(\"*\", 4).exists", &none), 0);
    assert_int_equal(ev(f, "partner.related(\"subsidiary_of\", 1).risk >= \"low\"", &a), 0);
    assert_int_equal(ev(f, "partner.related(\"subsidiary_of\", 2).risk >= \"critical\"", &a), 1);
    assert_int_equal(ev(f, "partner.related(\"co_lab_with\", 1).risk == \"low\"", &a), 1);
    assert_int_equal(ev(f, "partner.related(\"co_lab_with\", 1).risk > \"low\"", &a), 0);
    assert_int_equal(ev(f, "\"low\" < partner.related(\"*\", 1).risk", &d), 1);
    /* A cycle F -> G -> F is bounded by the depth; F also supervised_by A. */
    assert_int_equal(ev(f, "partner.related(\"subsidiary_of\", 4).risk == \"medium\"", &fe), 1);
    assert_int_equal(ev(f, "partner.related(\"subsidiary_of\", 4).lists has \"ca-nro\"", &fe), 0);
    assert_int_equal(ev(f, "partner.related(\"*\", 1).lists has \"ca-nro\"", &fe), 1);
    assert_int_equal(ev(f, "partner.related(\"*\", 3).lists has \"us-entity\"", &fe), 1);
    assert_int_equal(ev(f, "partner.related(\"*\", 2).lists has \"us-entity\"", &fe), 0);
    /* Without the registry there is nothing to walk. */
    a.ents = NULL;
    assert_int_equal(ev(f, "partner.related(\"*\", 1).exists", &a), 0);
}

static void
test_eval_tech(void **state)
{
    fx_t *f = *state;
    expr_facts_t x = facts(f, -1);
    assert_int_equal(ev(f, "tech.any([\"quantum\"])", &x), 0);
    assert_int_equal(ev(f, "tech.given.count == 0 and tech.spotted.count == 0", &x), 1);
    set_cat(f->given, f->tax, "quantum.sensing");
    set_cat(f->spotted, f->tax, "aerospace.hypersonics");
    set_cat(f->spotted, f->tax, "ai");
    /* A code matches its descendants, not its ancestors. */
    assert_int_equal(ev(f, "tech.any([\"quantum\"])", &x), 1);
    assert_int_equal(ev(f, "tech.any([\"quantum.computing\"])", &x), 0);
    assert_int_equal(ev(f, "tech.any([\"quantum.computing\", \"aerospace\"])", &x), 1);
    assert_int_equal(ev(f, "tech.given.any([\"quantum\"])", &x), 1);
    assert_int_equal(ev(f, "tech.spotted.any([\"quantum\"])", &x), 0);
    assert_int_equal(ev(f, "tech.given.any([\"aerospace\"])", &x), 0);
    assert_int_equal(ev(f, "tech.spotted.any([\"aerospace\", \"quantum\"])", &x), 1);
    assert_int_equal(ev(f, "tech.all([\"quantum\", \"aerospace\", \"ai\"])", &x), 1);
    assert_int_equal(ev(f, "tech.all([\"quantum\", \"quantum.computing\"])", &x), 0);
    assert_int_equal(ev(f, "tech.given.all([\"quantum\", \"ai\"])", &x), 0);
    assert_int_equal(ev(f, "tech.spotted.all([\"ai\", \"aerospace.hypersonics\"])", &x), 1);
    assert_int_equal(ev(f, "tech.any([])", &x), 0);
    assert_int_equal(ev(f, "tech.all([])", &x), 1);
    assert_int_equal(ev(f, "tech.given.count == 1 and tech.spotted.count >= 2", &x), 1);
    assert_int_equal(ev(f, "tech.spotted.count > 2", &x), 0);
    /* No sets at all (NULL) are empty. */
    x.given = NULL;
    x.spotted = NULL;
    assert_int_equal(ev(f, "tech.any([\"quantum\"]) or tech.given.count > 0", &x), 0);
}

static void
test_eval_context(void **state)
{
    fx_t *f = *state;
    expr_ctxval_t ctx[] = {
        {"funder", "NSERC", 0},
        {"budget", NULL, 250000},
        {"flag", "true", 0},
        {"funding-body", "X", 0},
    };
    expr_facts_t x = facts(f, -1);
    x.ctx = ctx;
    x.n_ctx = 4;
    assert_int_equal(ev(f, "context.funder == \"NSERC\"", &x), 1);
    assert_int_equal(ev(f, "\"NSERC\" != context.funder", &x), 0);
    assert_int_equal(ev(f, "context.funder in [\"DND\", \"NSERC\"]", &x), 1);
    assert_int_equal(ev(f, "context.funder in [1, 2]", &x), 0);
    assert_int_equal(ev(f, "context.budget > 100000", &x), 1);
    assert_int_equal(ev(f, "context.budget <= 100000", &x), 0);
    assert_int_equal(ev(f, "context.budget == 250000", &x), 1);
    assert_int_equal(ev(f, "context.budget in [1, 250000]", &x), 1);
    assert_int_equal(ev(f, "context.budget == \"250000\"", &x), 0);
    assert_int_equal(ev(f, "context.flag == true", &x), 1);
    assert_int_equal(ev(f, "context.flag != false", &x), 1);
    assert_int_equal(ev(f, "context.funding-body == \"X\"", &x), 1);
    /* A string compared with a number: unequal, unordered. */
    assert_int_equal(ev(f, "context.funder == 3", &x), 0);
    assert_int_equal(ev(f, "context.funder != 3", &x), 1);
    assert_int_equal(ev(f, "context.funder > 3", &x), 0);
    /* Missing is null: == false, != true, ordering false. */
    assert_int_equal(ev(f, "context.dept == \"x\"", &x), 0);
    assert_int_equal(ev(f, "context.dept != \"x\"", &x), 1);
    assert_int_equal(ev(f, "context.dept < 3 or context.dept >= 3", &x), 0);
    assert_int_equal(ev(f, "context.dept in [\"x\", 1]", &x), 0);
    /* Two context values. */
    assert_int_equal(ev(f, "context.funder == context.funder", &x), 1);
    assert_int_equal(ev(f, "context.funder == context.budget", &x), 0);
    assert_int_equal(ev(f, "context.budget >= context.budget", &x), 1);
    assert_int_equal(ev(f, "context.dept == context.dept", &x), 0);
    /* Literals and names both ways. */
    assert_int_equal(ev(f, "1 < 2 and \"a\" == \"a\" and \"a\" != \"b\"", &x), 1);
    assert_int_equal(ev(f, "partner.id == context.funder", &x), 0);
    x.n_ctx = 0;
    assert_int_equal(ev(f, "context.funder == \"NSERC\"", &x), 0);
}

static void
test_eval_booleans(void **state)
{
    fx_t *f = *state;
    expr_facts_t a = facts(f, E_A), none = facts(f, -1);
    assert_int_equal(ev(f, "true", &a), 1);
    assert_int_equal(ev(f, "false", &a), 0);
    assert_int_equal(ev(f, "not true or not not true", &a), 1);
    assert_int_equal(ev(f, "false or false or true", &a), 1);
    assert_int_equal(ev(f, "true and true and false", &a), 0);
    assert_int_equal(ev(f, "false and true or true", &a), 1);
    assert_int_equal(ev(f, "false and (true or true)", &a), 0);
    /* bool == bool, with literals and without. */
    assert_int_equal(ev(f, "partner.matched == true", &a), 1);
    assert_int_equal(ev(f, "partner.matched != true", &none), 1);
    assert_int_equal(ev(f, "true == partner.matched", &none), 0);
    assert_int_equal(ev(f, "true == false", &none), 0);
    assert_int_equal(ev(f, "false != true", &none), 1);
    static const struct {
        bool matched, current;
    } cases[] = {{false, false}, {false, true}, {true, false}, {true, true}};
    for (size_t i = 0; i < 4; i++) {
        expr_facts_t x = facts(f, cases[i].matched ? E_A : -1);
        x.current = cases[i].current;
        bool eq = cases[i].matched == cases[i].current;
        assert_int_equal(ev(f, "partner.matched == current", &x), eq);
        assert_int_equal(ev(f, "partner.matched != current", &x), !eq);
        assert_int_equal(ev(f, "(partner.matched and current) == (current or false)", &x),
                         (cases[i].matched && cases[i].current) == cases[i].current);
        assert_int_equal(ev(f, "(partner.lists has \"ca-nro\") != (not current)", &x),
                         cases[i].matched != !cases[i].current);
    }
}

static void
test_needs_entity(void **state)
{
    fx_t *f = *state;
    static const struct {
        const char *src;
        bool needs;
    } cases[] = {
        {"partner.matched", true},
        {"partner.lists has \"ca-nro\" and current", true},
        {"current and partner.tags has_any [\"seven-sons\"]", true},
        {"partner.related(\"*\", 2).exists and tech.any([\"ai\"])", true},
        {"partner.related(\"*\", 2).lists has \"us-sdn\"", true},
        {"partner.risk >= \"high\"", true},
        {"partner.risk != \"high\"", false},
        {"partner.method == \"fuzzy\" and current", true},
        {"partner.method != \"fuzzy\"", false},
        {"partner.method == \"none\"", false},
        {"partner.method in [\"id\", \"exact\"]", true},
        {"partner.method in [\"id\", \"none\"]", false},
        {"partner.lists has_all []", false},
        {"partner.matched == true", true},
        {"partner.matched == false", false},
        {"partner.matched != current", false},
        {"partner.lists has \"ca-nro\" or current", false},
        {"partner.lists has \"ca-nro\" or partner.matched", true},
        {"not partner.matched", false},
        {"not not partner.matched", false},
        {"current", false},
        {"tech.any([\"ai\"]) and activity == \"joint_lab\"", false},
        {"context.funder == \"x\" and partner.id == \"a\"", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expr_t *e = compile_ok(f, cases[i].src);
        if (expr_needs_entity(e) != cases[i].needs)
            fprintf(stderr, "needs_entity(%s)\n", cases[i].src);
        assert_int_equal(expr_needs_entity(e), cases[i].needs);
        /* Soundness: whatever needs an entity is false without one. */
        if (cases[i].needs) {
            expr_facts_t x = facts(f, -1);
            assert_int_equal(expr_eval(e, &x), 0);
        }
    }
    assert_false(expr_needs_entity(NULL));
}

/* The compiled program lives in the caller's arena only: compiling
 * does not leak, evaluating allocates nothing (run under valgrind). */
static void
test_program_lives_in_arena(void **state)
{
    fx_t *f = *state;
    arena_t *a = arena_new(1024);
    size_t before = arena_used(a);
    expr_t *e = expr_compile("partner.lists has \"ca-nro\" and context.x == \"y\"", &f->schema, a,
                             "p.cfg", 7, f->d);
    assert_non_null(e);
    size_t after = arena_used(a);
    assert_true(after > before);
    /* A failed compile keeps (almost) nothing in the caller's arena. */
    assert_null(expr_compile("partner.lists has \"zz\" and context.x == \"y\"", &f->schema, a,
                             "p.cfg", 7, f->d));
    assert_int_equal(arena_used(a), after);
    expr_facts_t x = facts(f, E_A);
    expr_ctxval_t cv = {"x", "y", 0};
    x.ctx = &cv;
    x.n_ctx = 1;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(expr_eval(e, &x), 1);
    assert_int_equal(arena_used(a), after);
    arena_destroy(&a);
}

/* ---- golden: source -> dump or errors ------------------------------------ */

/* tests/fixtures/expr/golden.txt: "> source" lines, each followed by the
 * expected dump, or the expected error messages, up to a blank line. */
static void
test_golden(void **state)
{
    fx_t *f = *state;
    FILE *in = fopen(GOLDEN, "r");
    assert_non_null(in);
    char line[1024];
    char *src = NULL;
    sbuf_t want = SBUF_INIT;
    int cases = 0;
    bool more = true;
    while (more) {
        more = fgets(line, sizeof line, in) != NULL;
        if (more && line[0] == '#')
            continue;
        if (more && line[0] != '\n' && src == NULL) {
            assert_true(strncmp(line, "> ", 2) == 0);
            line[strcspn(line, "\n")] = '\0';
            src = strdup(line + 2);
            continue;
        }
        if (more && line[0] != '\n') {
            sbuf_puts(&want, line);
            continue;
        }
        if (src == NULL)
            continue;
        /* End of a case: compile and compare. */
        diag_destroy(&f->d);
        f->d = diag_new(0);
        expr_t *e = expr_compile(src, &f->schema, f->a, "p.cfg", 7, f->d);
        sbuf_t got = SBUF_INIT;
        if (e != NULL) {
            char *d = dump(e);
            sbuf_puts(&got, d);
            free(d);
        }
        for (size_t i = 0; i < diag_count(f->d); i++)
            sbuf_printf(&got, "%s\n", diag_get(f->d, i));
        if (strcmp(got.data ? got.data : "", want.data ? want.data : "") != 0)
            fprintf(stderr, "golden case: %s\n--- want\n%s--- got\n%s", src,
                    want.data ? want.data : "", got.data ? got.data : "");
        assert_string_equal(got.data ? got.data : "", want.data ? want.data : "");
        sbuf_free(&got);
        sbuf_clear(&want);
        free(src);
        src = NULL;
        cases++;
    }
    fclose(in);
    sbuf_free(&want);
    assert_true(cases >= 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_lex_tokens_and_columns, reset),
        cmocka_unit_test_setup(test_lex_errors, reset),
        cmocka_unit_test_setup(test_parse_trees, reset),
        cmocka_unit_test_setup(test_parse_errors, reset),
        cmocka_unit_test_setup(test_parse_nesting_limit, reset),
        cmocka_unit_test_setup(test_check_unknown_names, reset),
        cmocka_unit_test_setup(test_check_vocabulary, reset),
        cmocka_unit_test_setup(test_check_arguments, reset),
        cmocka_unit_test_setup(test_check_types, reset),
        cmocka_unit_test_setup(test_check_reports_every_error, reset),
        cmocka_unit_test_setup(test_check_empty_schema, reset),
        cmocka_unit_test_setup(test_eval_lists_tags_and_match, reset),
        cmocka_unit_test_setup(test_country_groups, reset),
        cmocka_unit_test_setup(test_eval_method_and_activity, reset),
        cmocka_unit_test_setup(test_eval_risk, reset),
        cmocka_unit_test_setup(test_eval_country_and_type, reset),
        cmocka_unit_test_setup(test_eval_related_look_through, reset),
        cmocka_unit_test_setup(test_eval_tech, reset),
        cmocka_unit_test_setup(test_eval_context, reset),
        cmocka_unit_test_setup(test_eval_booleans, reset),
        cmocka_unit_test_setup(test_needs_entity, reset),
        cmocka_unit_test_setup(test_program_lives_in_arena, reset),
        cmocka_unit_test_setup(test_golden, reset),
    };
    return cmocka_run_group_tests_name("expr", tests, setup, teardown);
}
