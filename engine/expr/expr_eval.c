/* SPDX-License-Identifier: Apache-2.0 */
/* expr_eval.c -- the condition language's evaluator and disassembler of compiled programs. */
#include "expr.h"

#include <assert.h>
#include <string.h>

#include "expr_int.h"

static const char *const op_names[EXPR_OP__COUNT] = {
#define EXPR_OP_NAME(name, text) text,
    EXPR_OPS(EXPR_OP_NAME)
#undef EXPR_OP_NAME
};

static const char *const src_names[] = {
    [EXPR_SRC_MATCH] = "partner.match",
    [EXPR_SRC_GIVEN_COUNT] = "tech.given.count",
    [EXPR_SRC_SPOTTED_COUNT] = "tech.spotted.count",
    [EXPR_SRC_ID] = "partner.id",
    [EXPR_SRC_COUNTRY] = "partner.country",
    [EXPR_SRC_REGION] = "partner.region",
};

static const char *const rel_names[] = {"exists", "lists has", "tags has", "risk"};

/* ---- evaluator ----------------------------------------------------------- */

bool
expr_needs_entity(const expr_t *e)
{
    return e != NULL && e->needs_entity;
}

size_t
expr_n_conjuncts(const expr_t *e)
{
    return e->n_conj > 0 ? e->n_conj : 1;
}

const expr_t *
expr_conjunct(const expr_t *e, size_t i)
{
    assert(i < expr_n_conjuncts(e));
    return e->conj != NULL ? e->conj[i] : e;
}

const char *
expr_conjunct_src(const expr_t *e, size_t i)
{
    assert(i < expr_n_conjuncts(e));
    return e->conj_src != NULL ? e->conj_src[i] : "";
}

bool
expr_needs_absent_tags(const expr_t *e, const bool *carried)
{
    bool tested = false;
    for (size_t i = 0; i < e->n; i++) {
        const expr_ins_t *in = &e->code[i];
        switch ((expr_op_t)in->op) {
        case EXPR_OP_JF:
        case EXPR_OP_JT:
        case EXPR_OP_JMP:
        case EXPR_OP_RET: break;
        case EXPR_OP_HAS_TAG:
            if (in->a < 0 || carried[in->a])
                return false;
            tested = true;
            break;
        case EXPR_OP_REL:
            if (in->what != EXPR_REL_TAGS || in->a < 0 || carried[in->a])
                return false;
            tested = true;
            break;
        default: return false;
        }
    }
    return tested;
}

bool
expr_reads_list(const expr_t *e, unsigned list)
{
    for (size_t i = 0; e != NULL && i < e->n; i++) {
        const expr_ins_t *in = &e->code[i];
        if ((in->op == EXPR_OP_HAS_LIST || (in->op == EXPR_OP_REL && in->what == EXPR_REL_LISTS)) &&
            in->a >= 0 && (unsigned)in->a == list)
            return true;
    }
    return false;
}

/* A scalar read for EXPR_OP_CMP; null (missing) compares false but for !=. */
typedef struct value {
    enum { V_NULL, V_NUM, V_STR } kind; /* what was read */
    double num;                         /* V_NUM */
    const char *str;                    /* V_STR (borrowed) */
} value_t;

static size_t
count_bits(const uint64_t *set, size_t words)
{
    size_t n = 0;
    for (size_t w = 0; set != NULL && w < words; w++)
        n += (size_t)__builtin_popcountll(set[w]);
    return n;
}

static value_t
fetch(const expr_t *e, const expr_src_t *s, const expr_facts_t *f)
{
    value_t v = {V_NULL, 0, NULL};
    switch ((expr_src_kind_t)s->kind) {
    case EXPR_SRC_NUM:
        v.kind = V_NUM;
        v.num = s->num;
        break;
    case EXPR_SRC_STR:
        v.kind = V_STR;
        v.str = s->str;
        break;
    case EXPR_SRC_MATCH:
        v.kind = V_NUM;
        v.num = f->entity != NULL ? f->match : 0;
        break;
    case EXPR_SRC_GIVEN_COUNT:
        v.kind = V_NUM;
        v.num = (double)count_bits(f->given, e->words);
        break;
    case EXPR_SRC_SPOTTED_COUNT:
        v.kind = V_NUM;
        v.num = (double)count_bits(f->spotted, e->words);
        break;
    case EXPR_SRC_ID:
        v.kind = V_STR;
        v.str = f->entity != NULL && f->entity->id != NULL ? f->entity->id : "";
        break;
    case EXPR_SRC_COUNTRY:
        v.str = f->entity != NULL && f->entity->country != NULL ? f->entity->country : f->country;
        v.kind = v.str != NULL ? V_STR : V_NULL;
        break;
    case EXPR_SRC_REGION:
        v.kind = V_STR;
        v.str = f->region != NULL ? f->region : "";
        break;
    case EXPR_SRC_CTX:
        for (size_t i = 0; i < f->n_ctx; i++) {
            const expr_ctxval_t *cv = &f->ctx[i];
            if (cv->key == NULL || strcmp(cv->key, s->str) != 0)
                continue;
            v.kind = cv->str != NULL ? V_STR : V_NUM;
            v.str = cv->str;
            v.num = cv->num;
            break;
        }
        break;
    }
    return v;
}

static bool
compare_num(double x, expr_cmp_t op, double y)
{
    switch (op) {
    case EXPR_CMP_EQ: return x == y;
    case EXPR_CMP_NE: return x != y;
    case EXPR_CMP_LT: return x < y;
    case EXPR_CMP_LE: return x <= y;
    case EXPR_CMP_GT: return x > y;
    case EXPR_CMP_GE: return x >= y;
    }
    return false;
}

static bool
eval_cmp(const expr_t *e, const expr_ins_t *in, const expr_facts_t *f)
{
    value_t x = fetch(e, &in->lhs, f), y = fetch(e, &in->rhs, f);
    expr_cmp_t op = (expr_cmp_t)in->cmp;
    /* null, or values of different kinds (a context value is dynamic):
     * unequal and unordered. */
    if (x.kind == V_NULL || y.kind == V_NULL || x.kind != y.kind)
        return op == EXPR_CMP_NE;
    if (x.kind == V_NUM)
        return compare_num(x.num, op, y.num);
    if (op == EXPR_CMP_EQ || op == EXPR_CMP_NE)
        return (strcmp(x.str, y.str) == 0) == (op == EXPR_CMP_EQ);
    return false;
}

/* An unset risk (-1) is unordered: only != holds. */
static bool
risk_cmp(int risk, expr_cmp_t op, int level)
{
    if (risk < 0)
        return op == EXPR_CMP_NE;
    return compare_num(risk, op, level);
}

static bool
rel_test(const reg_entity_t *t, const expr_ins_t *in)
{
    switch ((expr_rel_t)in->what) {
    case EXPR_REL_EXISTS: return true;
    case EXPR_REL_LISTS: return reg_has_list(t, (unsigned)in->a);
    case EXPR_REL_TAGS: return reg_has_tag(t, (unsigned)in->a);
    case EXPR_REL_RISK: return risk_cmp(t->risk, (expr_cmp_t)in->cmp, in->a);
    }
    return false;
}

/* Depth-first walk of the relations of kind in->kind (any if -1) from
 * the partner, at most in->depth hops, on a fixed stack: true as soon as
 * an organisation other than the partner passes rel_test. */
static bool
eval_rel(const expr_ins_t *in, const expr_facts_t *f)
{
    struct frame {
        const reg_entity_t *e; /* organisation whose relations are walked */
        uint32_t next;         /* next relation to follow */
    } st[EXPR_MAX_DEPTH];
    const reg_entity_t *start = f->entity;
    if (start == NULL || f->ents == NULL)
        return false;
    int depth = in->depth < 1 ? 1 : in->depth > EXPR_MAX_DEPTH ? EXPR_MAX_DEPTH : in->depth;
    int sp = 0;
    st[0] = (struct frame){start, 0};
    while (sp >= 0) {
        struct frame *fr = &st[sp];
        if (fr->next >= fr->e->n_rels) {
            sp--;
            continue;
        }
        const reg_rel_t *r = &fr->e->rels[fr->next++];
        if (in->kind >= 0 && r->kind != (uint32_t)in->kind)
            continue;
        const reg_entity_t *t = &f->ents[r->target];
        if (t == start)
            continue;
        if (rel_test(t, in))
            return true;
        if (sp + 1 < depth)
            st[++sp] = (struct frame){t, 0};
    }
    return false;
}

static bool
eval_tech(const expr_t *e, const expr_ins_t *in, const expr_facts_t *f)
{
    const uint64_t *g = (in->what & EXPR_TECH_GIVEN) ? f->given : NULL;
    const uint64_t *s = (in->what & EXPR_TECH_SPOTTED) ? f->spotted : NULL;
    for (size_t w = 0; w < e->words; w++) {
        uint64_t have = (g != NULL ? g[w] : 0) | (s != NULL ? s[w] : 0);
        if (have & in->mask[w])
            return true;
    }
    return false;
}

static bool
eval_type(const expr_ins_t *in, const expr_facts_t *f)
{
    /* The organisation's type wins over the one the request claims. */
    if (f->entity != NULL && f->entity->type != NULL)
        return strcmp(f->entity->type, in->name) == 0;
    return f->type == in->a;
}

int
expr_eval(const expr_t *e, const expr_facts_t *f)
{
    bool acc = false;
    size_t pc = 0;
    if (e == NULL)
        return -1;
    while (pc < e->n) {
        const expr_ins_t *in = &e->code[pc++];
        switch ((expr_op_t)in->op) {
        case EXPR_OP_CONST: acc = in->a != 0; break;
        case EXPR_OP_JF:
            if (!acc)
                pc = (size_t)in->a;
            break;
        case EXPR_OP_JT:
            if (acc)
                pc = (size_t)in->a;
            break;
        case EXPR_OP_JMP: pc = (size_t)in->a; break;
        case EXPR_OP_NOT: acc = !acc; break;
        case EXPR_OP_RET: return acc;
        case EXPR_OP_MATCHED: acc = f->entity != NULL; break;
        case EXPR_OP_CURRENT: acc = f->current; break;
        case EXPR_OP_HAS_LIST:
            acc = f->entity != NULL && reg_has_list(f->entity, (unsigned)in->a);
            break;
        case EXPR_OP_HAS_TAG:
            acc = f->entity != NULL && reg_has_tag(f->entity, (unsigned)in->a);
            break;
        case EXPR_OP_RISK:
            acc = risk_cmp(f->entity != NULL ? f->entity->risk : -1, (expr_cmp_t)in->cmp, in->a);
            break;
        case EXPR_OP_METHOD: acc = (f->entity != NULL ? f->method : -1) == in->a; break;
        case EXPR_OP_ACTIVITY: acc = f->activity == in->a; break;
        case EXPR_OP_TYPE: acc = eval_type(in, f); break;
        case EXPR_OP_REL: acc = eval_rel(in, f); break;
        case EXPR_OP_TECH: acc = eval_tech(e, in, f); break;
        case EXPR_OP_CMP: acc = eval_cmp(e, in, f); break;
        default: assert(!"corrupt expression program"); return -1;
        }
    }
    assert(!"expression program without ret");
    return -1;
}

/* ---- disassembler -------------------------------------------------------- */

static void
dump_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void
dump_src(FILE *out, const expr_src_t *s)
{
    switch ((expr_src_kind_t)s->kind) {
    case EXPR_SRC_NUM: fprintf(out, "%g", s->num); break;
    case EXPR_SRC_STR: dump_str(out, s->str); break;
    case EXPR_SRC_CTX: fprintf(out, "context.%s", s->str); break;
    default: fputs(src_names[s->kind], out); break;
    }
}

static void
dump_tech(const expr_t *e, const expr_ins_t *in, FILE *out)
{
    const char *set = in->what == EXPR_TECH_GIVEN     ? "given"
                      : in->what == EXPR_TECH_SPOTTED ? "spotted"
                                                      : "given|spotted";
    fprintf(out, "tech %s &", set);
    const char *sep = " {";
    for (size_t w = 0; w < e->words; w++)
        for (int b = 0; b < 64; b++)
            if (in->mask[w] >> b & 1) {
                const tax_cat_t *cat = tax_get(e->tax, (int)(w * 64) + b);
                fprintf(out, "%s%s", sep, cat != NULL ? cat->code : "?");
                sep = ", ";
            }
    fputs(*sep == ',' ? "}" : " {}", out);
}

void
expr_dump(const expr_t *e, FILE *out)
{
    if (e == NULL) {
        fputs("(no program)\n", out);
        return;
    }
    for (size_t i = 0; i < e->n; i++) {
        const expr_ins_t *in = &e->code[i];
        fprintf(out, "%4zu  ", i);
        switch ((expr_op_t)in->op) {
        case EXPR_OP_CONST: fputs(in->a ? "const true" : "const false", out); break;
        case EXPR_OP_JF:
        case EXPR_OP_JT:
        case EXPR_OP_JMP: fprintf(out, "%s %d", op_names[in->op], (int)in->a); break;
        case EXPR_OP_HAS_LIST:
        case EXPR_OP_HAS_TAG:
        case EXPR_OP_METHOD:
        case EXPR_OP_ACTIVITY:
        case EXPR_OP_TYPE:
            fprintf(out, "%s ", op_names[in->op]);
            dump_str(out, in->name);
            break;
        case EXPR_OP_RISK:
            fprintf(out, "partner.risk %s ", expr_cmp_text(in->cmp));
            dump_str(out, in->name);
            break;
        case EXPR_OP_REL:
            fputs("partner.related(", out);
            dump_str(out, in->kname);
            fprintf(out, ", %d).%s", in->depth, rel_names[in->what]);
            if (in->what == EXPR_REL_RISK)
                fprintf(out, " %s", expr_cmp_text(in->cmp));
            if (in->what != EXPR_REL_EXISTS) {
                fputc(' ', out);
                dump_str(out, in->name);
            }
            break;
        case EXPR_OP_TECH: dump_tech(e, in, out); break;
        case EXPR_OP_CMP:
            fputs("cmp ", out);
            dump_src(out, &in->lhs);
            fprintf(out, " %s ", expr_cmp_text(in->cmp));
            dump_src(out, &in->rhs);
            break;
        default: fputs(in->op < EXPR_OP__COUNT ? op_names[in->op] : "?", out); break;
        }
        fputc('\n', out);
    }
}
