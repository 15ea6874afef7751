/* taxonomy.c -- technology categories, their subtrees and an Aho-Corasick keyword spotter. */
#include "taxonomy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "norm.h"
#include "sbuf.h"
#include "vec.h"
#include "vocab.h"

#define TAX_NONE UINT32_MAX /* "no state" in the automaton tables */
#define TAX_SUGGEST_MAX 32  /* tax_suggest ranks at most this many */
#define TAX_LINEAR_EDGES 8  /* states with more edges are binary-searched */

/* One keyword as the automaton reports it. */
typedef struct tax_pat {
    int32_t cat;     /* category index */
    int32_t keyword; /* index into the category's keywords[] */
    uint32_t len;    /* bytes of the normalised keyword */
} tax_pat_t;

/* Load-time facts of one category, parallel to tax->cats. */
typedef struct tax_src {
    const char *file;   /* where declared (arena copy, may be NULL) */
    int line;           /* line of the declaration */
    const char *parent; /* declared parent code (arena copy) or NULL */
    const char **norm;  /* normalised keywords (arena), n_keywords of them;
                         * NULL where a keyword duplicates an earlier one */
    uint32_t *norm_len; /* their lengths */
} tax_src_t;

/* Keyword automaton, compact: the root has a full 256-entry table, every
 * other state a sorted run of (label, target) edges in CSR form. */
typedef struct tax_ac {
    uint32_t n_states;   /* state 0 is the root */
    uint32_t root[256];  /* root transitions, 0 = stay at the root */
    uint32_t *edge_off;  /* n_states + 1: edges of s are [edge_off[s], edge_off[s+1]) */
    uint8_t *edge_label; /* byte of each edge, sorted within a state */
    uint32_t *edge_to;   /* target state of each edge */
    uint32_t *fail;      /* failure link of each state */
    uint32_t *dict;      /* nearest state on the failure chain with outputs, or TAX_NONE */
    uint32_t *out_off;   /* n_states + 1: outputs of s are pats[out_off[s] .. out_off[s+1]) */
    tax_pat_t *pats;     /* keywords ending at each state, grouped by state */
    uint32_t max_len;    /* longest keyword, bytes */
} tax_ac_t;

struct tax {
    arena_t *arena;        /* owns every string and every built table */
    tax_cat_t *cats;       /* malloc'd, cap entries; public view of each category */
    tax_src_t *src;        /* malloc'd, parallel to cats */
    const char **codes;    /* malloc'd, parallel to cats: codes for vocab_suggest */
    size_t n;              /* categories added */
    size_t cap;            /* capacity of cats, src and codes */
    int32_t *hash;         /* malloc'd open-addressing table code -> index, -1 = empty */
    size_t hash_cap;       /* slots, a power of two (0 before the first add) */
    const char **rejected; /* malloc'd: well-formed codes whose tax_add failed */
    size_t n_rejected;     /* entries of rejected */
    size_t cap_rejected;   /* capacity of rejected */
    size_t n_failed;       /* tax_add calls that returned -1 */
    bool built;            /* tax_build succeeded; immutable from then on */
    size_t words;          /* uint64_t words per category bitset */
    uint64_t *subtree;     /* n * words (arena): category i and its descendants */
    tax_ac_t ac;           /* the keyword automaton (arena) */
};

/* ---- creation ------------------------------------------------------------ */

tax_t *
tax_new(void)
{
    tax_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->arena = arena_new(0);
    if (t->arena == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void
tax_destroy(tax_t **tp)
{
    if (tp == NULL || *tp == NULL)
        return;
    tax_t *t = *tp;
    arena_destroy(&t->arena);
    free(t->cats);
    free(t->src);
    free(t->codes);
    free(t->hash);
    free(t->rejected);
    free(t);
    *tp = NULL;
}

/* ---- code -> index hash table ------------------------------------------- */

/* Slot holding code, or the empty slot where it would go. hash_cap > 0. */
static size_t
code_slot(const tax_t *t, const char *code)
{
    size_t mask = t->hash_cap - 1;
    size_t i = (size_t)hash_bytes(code, strlen(code)) & mask;
    while (t->hash[i] >= 0 && strcmp(t->cats[t->hash[i]].code, code) != 0)
        i = (i + 1) & mask;
    return i;
}

/* Makes room for one more entry at load factor <= 1/2. Returns 0 or -1 on OOM. */
static int
code_table_reserve(tax_t *t)
{
    if ((t->n + 1) * 2 <= t->hash_cap)
        return 0;
    size_t ncap = t->hash_cap ? t->hash_cap * 2 : 64;
    int32_t *nh = malloc(ncap * sizeof *nh);
    if (nh == NULL)
        return -1;
    for (size_t i = 0; i < ncap; i++)
        nh[i] = -1;
    free(t->hash);
    t->hash = nh;
    t->hash_cap = ncap;
    for (size_t k = 0; k < t->n; k++)
        t->hash[code_slot(t, t->cats[k].code)] = (int32_t)k;
    return 0;
}

int
tax_find(const tax_t *t, const char *code)
{
    if (t == NULL || code == NULL || t->hash_cap == 0)
        return -1;
    return t->hash[code_slot(t, code)];
}

/* ---- tax_add ------------------------------------------------------------- */

/* True if code is lower-case [a-z0-9_] segments joined by single dots. */
static bool
code_ok(const char *code)
{
    bool seg_empty = true;
    for (const char *p = code; *p != '\0'; p++) {
        char c = *p;
        if (c == '.') {
            if (seg_empty)
                return false;
            seg_empty = true;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
            seg_empty = false;
        } else {
            return false;
        }
    }
    return !seg_empty;
}

static bool
blank(const char *s)
{
    if (s == NULL)
        return true;
    for (; *s != '\0'; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

static int
grow_cats(tax_t *t)
{
    /* Three arrays, one capacity (vec.h). */
    size_t cc = t->cap, cs = t->cap, ck = t->cap;
    if (vec_grow(&t->cats, &cc, t->n + 1, sizeof *t->cats, 16) != 0 ||
        vec_grow(&t->src, &cs, t->n + 1, sizeof *t->src, 16) != 0 ||
        vec_grow(&t->codes, &ck, t->n + 1, sizeof *t->codes, 16) != 0)
        return -1;
    t->cap = cc;
    return 0;
}

/* Remembers a well-formed code whose category was refused, so children
 * naming it as their parent do not add a second, misleading error. */
static void
remember_rejected(tax_t *t, const char *code)
{
    if (vec_grow(&t->rejected, &t->cap_rejected, t->n_rejected + 1, sizeof *t->rejected, 8) != 0)
        return; /* only costs a redundant message later */
    char *copy = arena_strdup(t->arena, code);
    if (copy != NULL)
        t->rejected[t->n_rejected++] = copy;
}

static bool
was_rejected(const tax_t *t, const char *code)
{
    for (size_t i = 0; i < t->n_rejected; i++)
        if (strcmp(t->rejected[i], code) == 0)
            return true;
    return false;
}

/* Copies n strings into the arena (NULL entries become ""). NULL on OOM. */
static const char **
copy_strs(arena_t *a, const char *const *v, size_t n)
{
    const char **out = arena_alloc(a, (n ? n : 1) * sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((out[i] = arena_strdup(a, v[i] != NULL ? v[i] : "")) == NULL)
            return NULL;
    return out;
}

/* Checks and normalises def's keywords into src; reports each bad one.
 * Returns the number of errors, or -1 on OOM. */
static int
add_keywords(tax_t *t, const tax_def_t *def, const char *code, tax_src_t *src, diag_t *d)
{
    int errors = 0;
    size_t n = def->n_keywords;
    src->norm = arena_calloc(t->arena, n ? n : 1, sizeof *src->norm);
    src->norm_len = arena_calloc(t->arena, n ? n : 1, sizeof *src->norm_len);
    if (src->norm == NULL || src->norm_len == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *kw = def->keywords[i] != NULL ? def->keywords[i] : "";
        const char *out;
        size_t outlen;
        char err[96] = "";
        if (norm_text(t->arena, kw, strlen(kw), &out, &outlen, err, sizeof err) != 0) {
            if (norm_valid_utf8(kw, strlen(kw)))
                return -1; /* valid input: norm_text failed on memory */
            /* Keyword numbers are 1-based, as a person counts a list. */
            diag_add(d, def->file, def->line, 0, "category \"%s\": keyword %zu: %s", code, i + 1,
                     err[0] != '\0' ? err : "invalid UTF-8");
            errors++;
            continue;
        }
        if (outlen == 0) {
            diag_add(d, def->file, def->line, 0,
                     "category \"%s\": keyword %zu is empty after normalisation", code, i + 1);
            errors++;
            continue;
        }
        if (outlen > UINT32_MAX / 2) {
            diag_add(d, def->file, def->line, 0, "category \"%s\": keyword %zu is too long", code,
                     i + 1);
            errors++;
            continue;
        }
        /* "Radar" and "radar" are one keyword: spot it once per category. */
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++)
            dup = src->norm[k] != NULL && strcmp(src->norm[k], out) == 0;
        if (!dup) {
            src->norm[i] = out;
            src->norm_len[i] = (uint32_t)outlen;
        }
    }
    return errors;
}

int
tax_add(tax_t *t, const tax_def_t *def, diag_t *d)
{
    assert(t != NULL && def != NULL);
    assert(!t->built); /* a built taxonomy is immutable */
    assert(def->n_keywords == 0 || def->keywords != NULL);
    assert(def->n_refs == 0 || def->refs != NULL);
    const char *code = def->code;
    int errors = 0;

    if (code == NULL || code[0] == '\0') {
        diag_add(d, def->file, def->line, 0, "category code is empty");
        code = "";
        errors++;
    } else if (!code_ok(code)) {
        diag_add(d, def->file, def->line, 0,
                 "category code \"%s\": must be lower-case letters, digits and '_' "
                 "separated by '.'",
                 code);
        errors++;
    } else {
        int prev = tax_find(t, code);
        if (prev >= 0) {
            const tax_src_t *ps = &t->src[prev];
            if (ps->file != NULL && ps->line > 0)
                diag_add(d, def->file, def->line, 0,
                         "duplicate category \"%s\" (first declared at %s:%d)", code, ps->file,
                         ps->line);
            else if (ps->line > 0)
                diag_add(d, def->file, def->line, 0,
                         "duplicate category \"%s\" (first declared at line %d)", code, ps->line);
            else
                diag_add(d, def->file, def->line, 0, "duplicate category \"%s\"", code);
            errors++;
        }
    }
    if (blank(def->label)) {
        diag_add(d, def->file, def->line, 0, "category \"%s\": label is empty", code);
        errors++;
    }

    tax_src_t src = {0};
    int kerr = add_keywords(t, def, code, &src, d);
    if (kerr < 0)
        goto oom;
    errors += kerr;
    if (errors > 0) {
        /* A duplicate's code still exists; others' children would dangle. */
        if (code_ok(code) && tax_find(t, code) < 0)
            remember_rejected(t, code);
        t->n_failed++;
        return -1;
    }

    if (grow_cats(t) != 0 || code_table_reserve(t) != 0)
        goto oom;
    tax_cat_t cat = {0};
    cat.code = arena_strdup(t->arena, code);
    cat.label = arena_strdup(t->arena, def->label);
    cat.parent = -1;
    cat.keywords = copy_strs(t->arena, def->keywords, def->n_keywords);
    cat.n_keywords = def->n_keywords;
    cat.refs = copy_strs(t->arena, def->refs, def->n_refs);
    cat.n_refs = def->n_refs;
    src.file = def->file != NULL ? arena_strdup(t->arena, def->file) : NULL;
    src.line = def->line;
    src.parent = def->parent != NULL ? arena_strdup(t->arena, def->parent) : NULL;
    if (cat.code == NULL || cat.label == NULL || cat.keywords == NULL || cat.refs == NULL ||
        (def->file != NULL && src.file == NULL) || (def->parent != NULL && src.parent == NULL))
        goto oom;
    t->cats[t->n] = cat;
    t->src[t->n] = src;
    t->codes[t->n] = cat.code;
    t->hash[code_slot(t, cat.code)] = (int32_t)t->n;
    t->n++;
    return 0;

oom:
    diag_add(d, def->file, def->line, 0, "category \"%s\": out of memory", code);
    t->n_failed++;
    return -1;
}

/* ---- tax_build: parents and subtrees ------------------------------------- */

/* Resolves every declared parent; reports unknown ones. Returns the error count. */
static int
resolve_parents(tax_t *t, diag_t *d)
{
    int errors = 0;
    vocab_t v = {t->codes, t->n};
    for (size_t i = 0; i < t->n; i++) {
        const tax_src_t *s = &t->src[i];
        t->cats[i].parent = -1;
        if (s->parent == NULL)
            continue;
        int p = tax_find(t, s->parent);
        if (p >= 0) {
            t->cats[i].parent = p;
            continue;
        }
        errors++;
        if (was_rejected(t, s->parent))
            continue; /* its own error is reported already */
        const char *sug = vocab_suggest(&v, s->parent);
        if (sug != NULL)
            diag_add(d, s->file, s->line, 0,
                     "category \"%s\": unknown parent \"%s\" (did you mean \"%s\"?)",
                     t->cats[i].code, s->parent, sug);
        else
            diag_add(d, s->file, s->line, 0, "category \"%s\": unknown parent \"%s\"",
                     t->cats[i].code, s->parent);
    }
    return errors;
}

/* Reports every parent cycle once, at its first-declared member, as
 * "x -> y -> x". Returns the error count, or -1 on OOM. */
static int
find_cycles(tax_t *t, diag_t *d)
{
    /* 0 unvisited, 1 on the current walk, 2 done. */
    unsigned char *state = calloc(t->n ? t->n : 1, 1);
    if (state == NULL)
        return -1;
    int errors = 0;
    for (size_t i = 0; i < t->n; i++) {
        int j = (int)i;
        while (j >= 0 && state[j] == 0) {
            state[j] = 1;
            j = t->cats[j].parent;
        }
        if (j >= 0 && state[j] == 1) {
            /* j is on a ring every member of which was just walked. */
            int first = j;
            for (int k = t->cats[j].parent; k != j; k = t->cats[k].parent)
                if (k < first)
                    first = k;
            sbuf_t b = SBUF_INIT;
            int k = first;
            do {
                sbuf_printf(&b, "%s -> ", t->cats[k].code);
                k = t->cats[k].parent;
            } while (k != first);
            sbuf_puts(&b, t->cats[first].code);
            diag_add(d, t->src[first].file, t->src[first].line, 0,
                     "category \"%s\": parent cycle %s", t->cats[first].code,
                     b.oom ? "(out of memory)" : b.data);
            sbuf_free(&b);
            errors++;
        }
        for (j = (int)i; j >= 0 && state[j] == 1; j = t->cats[j].parent)
            state[j] = 2;
    }
    free(state);
    return errors;
}

static int
build_subtrees(tax_t *t)
{
    t->words = (t->n + 63) / 64;
    t->subtree = arena_calloc(t->arena, t->n * t->words + 1, sizeof *t->subtree);
    if (t->subtree == NULL)
        return -1;
    /* Parents are acyclic here, so every walk ends at a root. */
    for (size_t i = 0; i < t->n; i++)
        for (int a = (int)i; a >= 0; a = t->cats[a].parent)
            t->subtree[(size_t)a * t->words + i / 64] |= 1ULL << (i % 64);
    return 0;
}

/* ---- tax_build: the automaton -------------------------------------------- */

/* Load-time trie with child/sibling lists, compacted afterwards. */
typedef struct trie {
    uint32_t *child;   /* first child of each node, TAX_NONE if a leaf */
    uint32_t *sibling; /* next sibling, TAX_NONE at the end */
    uint8_t *label;    /* byte on the edge into the node */
    uint32_t n;        /* nodes */
    size_t cap;        /* capacity of child, sibling and label */
} trie_t;

typedef struct trie_out {
    uint32_t state; /* where the keyword ends */
    tax_pat_t pat;  /* what it reports */
} trie_out_t;

static void
trie_free(trie_t *tr)
{
    free(tr->child);
    free(tr->sibling);
    free(tr->label);
}

static uint32_t
trie_node(trie_t *tr, uint8_t c)
{
    /* Three arrays, one capacity (vec.h). */
    size_t cc = tr->cap, cs = tr->cap, cl = tr->cap;
    if (vec_grow(&tr->child, &cc, (size_t)tr->n + 1, sizeof *tr->child, 1024) != 0 ||
        vec_grow(&tr->sibling, &cs, (size_t)tr->n + 1, sizeof *tr->sibling, 1024) != 0 ||
        vec_grow(&tr->label, &cl, (size_t)tr->n + 1, sizeof *tr->label, 1024) != 0)
        return TAX_NONE;
    tr->cap = cc;
    tr->child[tr->n] = TAX_NONE;
    tr->sibling[tr->n] = TAX_NONE;
    tr->label[tr->n] = c;
    return tr->n++;
}

/* Adds the path of s (len bytes); returns its last node or TAX_NONE on OOM. */
static uint32_t
trie_insert(trie_t *tr, const char *s, size_t len)
{
    uint32_t at = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        uint32_t k = tr->child[at];
        while (k != TAX_NONE && tr->label[k] != c)
            k = tr->sibling[k];
        if (k == TAX_NONE) {
            if ((k = trie_node(tr, c)) == TAX_NONE)
                return TAX_NONE;
            tr->sibling[k] = tr->child[at];
            tr->child[at] = k;
        }
        at = k;
    }
    return at;
}

/* Transition of a non-root state, TAX_NONE if absent. */
static uint32_t
ac_edge(const tax_ac_t *ac, uint32_t s, uint8_t c)
{
    uint32_t lo = ac->edge_off[s], hi = ac->edge_off[s + 1];
    if (hi - lo <= TAX_LINEAR_EDGES) {
        for (uint32_t e = lo; e < hi; e++)
            if (ac->edge_label[e] == c)
                return ac->edge_to[e];
        return TAX_NONE;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ac->edge_label[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ac->edge_off[s + 1] && ac->edge_label[lo] == c ? ac->edge_to[lo] : TAX_NONE;
}

/* The automaton's next state from s on byte c (goto, then failure links). */
static uint32_t
ac_step(const tax_ac_t *ac, uint32_t s, uint8_t c)
{
    while (s != 0) {
        uint32_t n = ac_edge(ac, s, c);
        if (n != TAX_NONE)
            return n;
        s = ac->fail[s];
    }
    return ac->root[c];
}

static int
cmp_out(const void *a, const void *b)
{
    const trie_out_t *x = a, *y = b;
    if (x->state != y->state)
        return x->state < y->state ? -1 : 1;
    if (x->pat.cat != y->pat.cat)
        return x->pat.cat < y->pat.cat ? -1 : 1;
    return (x->pat.keyword > y->pat.keyword) - (x->pat.keyword < y->pat.keyword);
}

/* Compacts the trie into ac (arena), then computes failure and
 * dictionary links breadth first. Returns 0 or -1 on OOM. */
static int
ac_compact(tax_t *t, const trie_t *tr, trie_out_t *outs, size_t n_outs)
{
    tax_ac_t *ac = &t->ac;
    uint32_t ns = tr->n;
    ac->n_states = ns;
    ac->edge_off = arena_calloc(t->arena, (size_t)ns + 1, sizeof *ac->edge_off);
    ac->edge_label = arena_alloc(t->arena, ns);
    ac->edge_to = arena_alloc(t->arena, (size_t)ns * sizeof *ac->edge_to);
    ac->fail = arena_calloc(t->arena, ns, sizeof *ac->fail);
    ac->dict = arena_alloc(t->arena, (size_t)ns * sizeof *ac->dict);
    ac->out_off = arena_calloc(t->arena, (size_t)ns + 1, sizeof *ac->out_off);
    ac->pats = arena_alloc(t->arena, (n_outs ? n_outs : 1) * sizeof *ac->pats);
    uint32_t *queue = malloc((size_t)ns * sizeof *queue);
    if (ac->edge_off == NULL || ac->edge_label == NULL || ac->edge_to == NULL || ac->fail == NULL ||
        ac->dict == NULL || ac->out_off == NULL || ac->pats == NULL || queue == NULL) {
        free(queue);
        return -1;
    }

    /* Edges in CSR form, each state's run sorted by byte (insertion sort:
     * fan-out is small except at the root, which also gets a full table). */
    uint32_t e = 0;
    for (uint32_t s = 0; s < ns; s++) {
        ac->edge_off[s] = e;
        for (uint32_t k = tr->child[s]; k != TAX_NONE; k = tr->sibling[k]) {
            uint32_t j = e++;
            while (j > ac->edge_off[s] && ac->edge_label[j - 1] > tr->label[k]) {
                ac->edge_label[j] = ac->edge_label[j - 1];
                ac->edge_to[j] = ac->edge_to[j - 1];
                j--;
            }
            ac->edge_label[j] = tr->label[k];
            ac->edge_to[j] = k;
        }
    }
    ac->edge_off[ns] = e;
    memset(ac->root, 0, sizeof ac->root);
    for (uint32_t k = ac->edge_off[0]; k < ac->edge_off[1]; k++)
        ac->root[ac->edge_label[k]] = ac->edge_to[k];

    /* Outputs grouped by state. */
    if (n_outs > 0)
        qsort(outs, n_outs, sizeof *outs, cmp_out);
    for (size_t i = 0; i < n_outs; i++) {
        ac->out_off[outs[i].state + 1]++;
        ac->pats[i] = outs[i].pat;
        if (outs[i].pat.len > ac->max_len)
            ac->max_len = outs[i].pat.len;
    }
    for (uint32_t s = 0; s < ns; s++)
        ac->out_off[s + 1] += ac->out_off[s];

    /* Failure links: a state's is computed from its parent's, so breadth first. */
    size_t head = 0, tail = 0;
    ac->dict[0] = TAX_NONE;
    for (uint32_t k = ac->edge_off[0]; k < ac->edge_off[1]; k++) {
        uint32_t u = ac->edge_to[k];
        ac->fail[u] = 0;
        ac->dict[u] = TAX_NONE;
        queue[tail++] = u;
    }
    while (head < tail) {
        uint32_t s = queue[head++];
        for (uint32_t k = ac->edge_off[s]; k < ac->edge_off[s + 1]; k++) {
            uint32_t u = ac->edge_to[k];
            uint32_t f = ac_step(ac, ac->fail[s], ac->edge_label[k]);
            ac->fail[u] = f;
            ac->dict[u] = ac->out_off[f + 1] > ac->out_off[f] ? f : ac->dict[f];
            queue[tail++] = u;
        }
    }
    free(queue);
    return 0;
}

static int
build_automaton(tax_t *t)
{
    trie_t tr = {0};
    size_t n_outs = 0, cap_outs = 0;
    trie_out_t *outs = NULL;
    int rc = -1;
    if (trie_node(&tr, 0) == TAX_NONE)
        goto done;
    for (size_t i = 0; i < t->n; i++) {
        const tax_src_t *s = &t->src[i];
        for (size_t k = 0; k < t->cats[i].n_keywords; k++) {
            if (s->norm[k] == NULL)
                continue; /* a duplicate of an earlier keyword */
            uint32_t end = trie_insert(&tr, s->norm[k], s->norm_len[k]);
            if (end == TAX_NONE)
                goto done;
            if (vec_grow(&outs, &cap_outs, n_outs + 1, sizeof *outs, 256) != 0)
                goto done;
            outs[n_outs++] = (trie_out_t){end, {(int32_t)i, (int32_t)k, s->norm_len[k]}};
        }
    }
    rc = ac_compact(t, &tr, outs, n_outs);
done:
    trie_free(&tr);
    free(outs);
    return rc;
}

int
tax_build(tax_t *t, diag_t *d)
{
    assert(t != NULL);
    if (t->built)
        return 0;
    int errors = resolve_parents(t, d);
    int cycles = find_cycles(t, d);
    if (cycles < 0)
        goto oom;
    errors += cycles;
    /* An incomplete taxonomy would spot silently less: refuse it. The
     * failed tax_add calls have reported their errors already. */
    if (errors > 0 || t->n_failed > 0)
        return -1;
    if (build_subtrees(t) != 0 || build_automaton(t) != 0)
        goto oom;
    t->built = true;
    return 0;
oom:
    diag_add(d, NULL, 0, 0, "taxonomy: out of memory");
    return -1;
}

/* ---- queries ------------------------------------------------------------- */

size_t
tax_count(const tax_t *t)
{
    return t != NULL ? t->n : 0;
}

const tax_cat_t *
tax_get(const tax_t *t, int i)
{
    if (t == NULL || i < 0 || (size_t)i >= t->n)
        return NULL;
    return &t->cats[i];
}

size_t
tax_words(const tax_t *t)
{
    return t != NULL ? (t->n + 63) / 64 : 0;
}

const uint64_t *
tax_subtree(const tax_t *t, int i)
{
    if (t == NULL || !t->built || i < 0 || (size_t)i >= t->n)
        return NULL;
    return &t->subtree[(size_t)i * t->words];
}

/* True if the '.'-segment seg (len bytes) is one of code's segments. */
static bool
has_segment(const char *code, const char *seg, size_t len)
{
    for (const char *p = code; *p != '\0';) {
        size_t n = strcspn(p, ".");
        if (n == len && memcmp(p, seg, len) == 0)
            return true;
        p += n;
        if (*p == '.')
            p++;
    }
    return false;
}

static bool
shares_segment(const char *query, const char *code)
{
    for (const char *p = query; *p != '\0';) {
        size_t n = strcspn(p, ".");
        if (n > 0 && has_segment(code, p, n))
            return true;
        p += n;
        if (*p == '.')
            p++;
    }
    return false;
}

size_t
tax_suggest(const tax_t *t, const char *code, int *out, size_t max)
{
    if (t == NULL || code == NULL || code[0] == '\0' || out == NULL || max == 0)
        return 0;
    if (max > TAX_SUGGEST_MAX)
        max = TAX_SUGGEST_MAX;
    /* Codes are lower case; compare the query the same way. */
    char q[256];
    size_t ql = 0;
    for (; code[ql] != '\0' && ql < sizeof q - 1; ql++)
        q[ql] = (code[ql] >= 'A' && code[ql] <= 'Z') ? (char)(code[ql] - 'A' + 'a') : code[ql];
    q[ql] = '\0';
    int limit = (int)ql / 3 > 2 ? (int)ql / 3 : 2;

    int score[TAX_SUGGEST_MAX];
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const char *c = t->cats[i].code;
        int dist = vocab_distance(q, c);
        if (dist > limit && strncmp(c, q, ql) != 0 && !shares_segment(q, c))
            continue;
        /* Nearest first; ties keep declaration order. */
        if (n == max && dist >= score[n - 1])
            continue;
        size_t j = n < max ? n++ : n - 1;
        while (j > 0 && score[j - 1] > dist) {
            score[j] = score[j - 1];
            out[j] = out[j - 1];
            j--;
        }
        score[j] = dist;
        out[j] = (int)i;
    }
    return n;
}

/* Text order: by position, then category, then keyword. */
static bool
hit_before(const tax_hit_t *a, const tax_hit_t *b)
{
    if (a->pos != b->pos)
        return a->pos < b->pos;
    if (a->cat != b->cat)
        return a->cat < b->cat;
    return a->keyword < b->keyword;
}

/* Inserts h into the sorted out[0..n); when full, keeps the cap first. */
static size_t
hit_insert(tax_hit_t *out, size_t n, size_t cap, tax_hit_t h)
{
    if (n == cap) {
        if (!hit_before(&h, &out[n - 1]))
            return n;
        n--;
    }
    size_t j = n;
    while (j > 0 && hit_before(&h, &out[j - 1])) {
        out[j] = out[j - 1];
        j--;
    }
    out[j] = h;
    return n + 1;
}

size_t
tax_spot(const tax_t *t, const char *text, size_t len, tax_hit_t *out, size_t cap)
{
    if (t == NULL || !t->built || text == NULL || out == NULL || cap == 0)
        return 0;
    const tax_ac_t *ac = &t->ac;
    size_t n = 0;
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        /* Matches are found by their end, so one may start before an
         * earlier-found one; once no later match can start before the
         * last kept hit, the kept hits are final. */
        if (n == cap && i + 1 > out[cap - 1].pos + ac->max_len)
            break;
        s = ac_step(ac, s, (uint8_t)text[i]);
        if (i + 1 < len && text[i + 1] != ' ')
            continue; /* no keyword may end inside a word */
        uint32_t o = ac->out_off[s + 1] > ac->out_off[s] ? s : ac->dict[s];
        for (; o != TAX_NONE; o = ac->dict[o]) {
            for (uint32_t p = ac->out_off[o]; p < ac->out_off[o + 1]; p++) {
                const tax_pat_t *pat = &ac->pats[p];
                size_t start = i + 1 - pat->len;
                if (start > 0 && text[start - 1] != ' ')
                    continue;
                n = hit_insert(out, n, cap,
                               (tax_hit_t){.cat = pat->cat, .keyword = pat->keyword, .pos = start});
            }
        }
    }
    return n;
}

size_t
tax_memory(const tax_t *t)
{
    if (t == NULL)
        return 0;
    return sizeof *t + arena_reserved(t->arena) +
           t->cap * (sizeof *t->cats + sizeof *t->src + sizeof *t->codes) +
           t->hash_cap * sizeof *t->hash + t->cap_rejected * sizeof *t->rejected;
}
