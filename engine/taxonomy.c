/* SPDX-License-Identifier: Apache-2.0 */
/* taxonomy.c -- technology categories, their subtrees and a keyword spotter: phrase tries
 * walked from each word start, with patterns, except phrases and context vetoes. */
#include "taxonomy.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "norm.h"
#include "sbuf.h"
#include "vec.h"
#include "vocab.h"

#define TAX_NONE UINT32_MAX /* "no node" in the load-time trie */
#define TAX_SUGGEST_MAX 32  /* tax_suggest ranks at most this many */
#define TAX_LINEAR_EDGES 8  /* trie nodes with more edges are binary-searched */

/* What a phrase of a trie reports. The spotting trie holds the keywords
 * and the alternatives of each pattern's first term; the context trie
 * holds the phrases looked for around those: the other terms of
 * patterns, veto contexts and except phrases. */
enum {
    PK_KEYWORD, /* spotting: keyword ref of category cat */
    PK_ANCHOR,  /* spotting: first term of pattern ref */
    PK_TERM,    /* context: term sub of pattern ref */
    PK_CONTEXT, /* context: a context phrase of veto ref */
    PK_EXCEPT   /* context: an except phrase of category cat */
};

/* One phrase as a trie reports it. */
typedef struct tax_pat {
    int32_t cat;       /* category index */
    int32_t ref;       /* KEYWORD: keyword index; ANCHOR, TERM: pattern; CONTEXT: veto; else -1 */
    uint32_t len;      /* bytes of the normalised phrase */
    uint32_t guards;   /* KEYWORD: its vetoes are guard_ids[guards .. guards + n_guards) */
    uint16_t n_guards; /* KEYWORD: vetoes guarding it */
    uint8_t kind;      /* PK_* */
    uint8_t sub;       /* TERM: term index; KEYWORD: 1 if an except phrase contains it */
} tax_pat_t;

/* One alternative of a pattern term, normalised. */
typedef struct tax_alt {
    const char *norm; /* arena */
    uint32_t len;     /* bytes */
    uint8_t term;     /* which term of its pattern */
} tax_alt_t;

/* Load-time facts of one pattern. */
typedef struct tax_psrc {
    tax_alt_t *alts; /* arena, n_alts of them, duplicates within a term dropped */
    size_t n_alts;
    uint8_t n_terms;
    uint16_t window; /* words */
} tax_psrc_t;

/* Load-time facts of one veto. */
typedef struct tax_vsrc {
    int32_t *kw; /* arena: indexes of the keywords it guards */
    size_t n_kw;
    const char **ctx;  /* arena: normalised context phrases */
    uint32_t *ctx_len; /* their lengths */
    size_t n_ctx;
    uint16_t window; /* words */
} tax_vsrc_t;

/* Load-time facts of one category, parallel to tax->cats. */
typedef struct tax_src {
    const char *file;   /* where declared (arena copy, may be NULL) */
    int line;           /* line of the declaration */
    const char *parent; /* declared parent code (arena copy) or NULL */
    const char **norm;  /* normalised keywords (arena), n_kw of them;
                         * NULL where a keyword duplicates an earlier one */
    uint32_t *norm_len; /* their lengths */
    size_t n_kw;        /* declared keywords (the category's n_keywords less its patterns) */
    const char **ex;    /* normalised except phrases (arena) */
    uint32_t *ex_len;   /* their lengths */
    size_t n_ex;        /* except phrases */
    tax_psrc_t *pat;    /* patterns (arena) */
    size_t n_pat;       /* patterns */
    tax_vsrc_t *veto;   /* vetoes (arena) */
    size_t n_veto;      /* vetoes */
} tax_src_t;

/* A built pattern. */
typedef struct tax_cooc {
    int32_t cat;      /* category index */
    int32_t evidence; /* index of its line in the category's keywords[] */
    uint16_t window;  /* words either side of the first term */
    uint8_t n_terms;  /* terms, the first included */
} tax_cooc_t;

/* A trie of normalised phrases, compact: the root has a full 256-entry
 * table, every other node a sorted run of (label, child) edges in CSR
 * form.
 *
 * Why a trie walked from each word start, not an Aho-Corasick automaton
 * run over every byte: a phrase may only start at a word start, so the
 * failure links AC follows at every mismatch buy nothing, and most walks
 * die within a word's first bytes. Measured on the 71 texts of
 * rules/tests/{abstracts,keywords}.cfg (258 bytes on average) with the
 * default taxonomy (2,100 keywords, 17,000 nodes), one core: AC 7.6 us a
 * text, the word-start walk 3.1 us (and 26 us for 2 KB abstracts), in a
 * third less memory (no failure or dictionary links). The walk's worst
 * case is the longest phrase (max_len bytes) per word start: a text of n
 * bytes costs at most n * max_len steps; a typical walk ends within a
 * word's first 2 or 3 bytes. */
typedef struct tax_ptrie {
    uint32_t n_states;   /* node 0 is the root */
    uint32_t root[256];  /* children of the root; 0 = none (the root is no one's child) */
    uint32_t *edge_off;  /* n_states + 1: edges of s are [edge_off[s], edge_off[s+1]) */
    uint8_t *edge_label; /* byte of each edge, sorted within a node */
    uint32_t *edge_to;   /* child of each edge */
    uint32_t *out_off;   /* n_states + 1: outputs of s are pats[out_off[s] .. out_off[s+1]) */
    tax_pat_t *pats;     /* phrases ending at each node, grouped by node */
    uint32_t max_len;    /* longest phrase, bytes */
} tax_ptrie_t;

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
    tax_ptrie_t spot;      /* the spotting trie (arena) */
    tax_ptrie_t ctx;       /* the context trie (arena) */
    tax_cooc_t *coocs;     /* every pattern (arena), categories in order */
    uint16_t *veto_window; /* every veto's window (arena), categories in order */
    uint32_t *guard_ids;   /* arena: runs of veto indexes, one run per guarded keyword */
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
    src->n_kw = n;
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

/* Normalises len bytes at s into the arena. Returns 0 with *out and
 * *outlen, 1 if s is invalid UTF-8, normalises to nothing or is too long
 * (why, of whycap bytes, says which), or -1 on OOM. */
static int
norm_phrase(tax_t *t, const char *s, size_t len, const char **out, uint32_t *outlen, char *why,
            size_t whycap)
{
    size_t n;
    why[0] = '\0';
    if (norm_text(t->arena, s, len, out, &n, why, whycap) != 0) {
        if (norm_valid_utf8(s, len))
            return -1; /* valid input: norm_text failed on memory */
        if (why[0] == '\0')
            snprintf(why, whycap, "invalid UTF-8");
        return 1;
    }
    if (n == 0) {
        snprintf(why, whycap, "empty after normalisation");
        return 1;
    }
    if (n > UINT32_MAX / 2) {
        snprintf(why, whycap, "too long");
        return 1;
    }
    *outlen = (uint32_t)n;
    return 0;
}

/* True if the normalised phrase n (nl bytes) occurs as whole words in h. */
static bool
contains_words(const char *h, size_t hl, const char *n, size_t nl)
{
    for (size_t p = 0; p + nl <= hl; p++)
        if ((p == 0 || h[p - 1] == ' ') && (p + nl == hl || h[p + nl] == ' ') &&
            memcmp(h + p, n, nl) == 0)
            return true;
    return false;
}

/* Index of the keyword of src whose normal form is norm, or -1. */
static int
keyword_index(const tax_src_t *src, const char *norm, uint32_t len)
{
    for (size_t k = 0; k < src->n_kw; k++)
        if (src->norm[k] != NULL && src->norm_len[k] == len && memcmp(src->norm[k], norm, len) == 0)
            return (int)k;
    return -1;
}

/* A declared window, 0 meaning the default, as words; -1 if out of range. */
static int
window_words(int w)
{
    if (w == 0)
        return TAX_WINDOW_DEFAULT;
    return w >= 1 && w <= TAX_WINDOW_MAX ? w : -1;
}

/* Checks and normalises def's except phrases into src; each must contain
 * a keyword of the category and not be one. Returns the number of errors,
 * or -1 on OOM. */
static int
add_except(tax_t *t, const tax_def_t *def, const char *code, tax_src_t *src, diag_t *d)
{
    int errors = 0;
    size_t n = def->n_except;
    src->ex = arena_calloc(t->arena, n ? n : 1, sizeof *src->ex);
    src->ex_len = arena_calloc(t->arena, n ? n : 1, sizeof *src->ex_len);
    if (src->ex == NULL || src->ex_len == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *e = def->except[i] != NULL ? def->except[i] : "";
        const char *out;
        uint32_t len;
        char why[96];
        int rc = norm_phrase(t, e, strlen(e), &out, &len, why, sizeof why);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            diag_add(d, def->file, def->line, 0, "category \"%s\": except %zu: %s", code, i + 1,
                     why);
            errors++;
            continue;
        }
        if (keyword_index(src, out, len) >= 0) {
            diag_add(d, def->file, def->line, 0,
                     "category \"%s\": except \"%s\" is one of its keywords (it would veto every "
                     "occurrence)",
                     code, e);
            errors++;
            continue;
        }
        bool inside = false;
        for (size_t k = 0; k < src->n_kw && !inside; k++)
            inside =
                src->norm[k] != NULL && contains_words(out, len, src->norm[k], src->norm_len[k]);
        if (!inside) {
            diag_add(d, def->file, def->line, 0,
                     "category \"%s\": except \"%s\" contains none of its keywords (it could never "
                     "apply)",
                     code, e);
            errors++;
            continue;
        }
        src->ex[src->n_ex] = out;
        src->ex_len[src->n_ex++] = len;
    }
    return errors;
}

/* Checks and normalises one pattern into *ps (its alternatives split at
 * '|'). Returns the number of errors, or -1 on OOM. */
static int
add_pattern(tax_t *t, const tax_def_t *def, const char *code, size_t p, tax_psrc_t *ps, diag_t *d)
{
    const tax_pattern_def_t *pd = &def->patterns[p];
    assert(pd->n_terms == 0 || pd->terms != NULL);
    int line = pd->line > 0 ? pd->line : def->line;
    int errors = 0;
    int w = window_words(pd->window);
    if (w < 0) {
        diag_add(d, def->file, line, 0, "category \"%s\": pattern: window %d is not in 1..%d", code,
                 pd->window, TAX_WINDOW_MAX);
        errors++;
    }
    if (pd->n_terms < 2 || pd->n_terms > TAX_TERMS_MAX) {
        diag_add(d, def->file, line, 0, "category \"%s\": pattern: needs 2 to %d terms, not %zu",
                 code, TAX_TERMS_MAX, pd->n_terms);
        return errors + 1;
    }
    size_t n_alts = 0;
    for (size_t j = 0; j < pd->n_terms; j++)
        for (const char *c = pd->terms[j] != NULL ? pd->terms[j] : ""; c != NULL;
             c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL)
            n_alts++;
    ps->alts = arena_calloc(t->arena, n_alts, sizeof *ps->alts);
    if (ps->alts == NULL)
        return -1;
    ps->n_alts = 0;
    for (size_t j = 0; j < pd->n_terms; j++) {
        const char *c = pd->terms[j] != NULL ? pd->terms[j] : "";
        for (size_t a = 1;; a++) {
            size_t len = strcspn(c, "|");
            const char *out;
            uint32_t olen;
            char why[96];
            int rc = norm_phrase(t, c, len, &out, &olen, why, sizeof why);
            if (rc < 0)
                return -1;
            if (rc > 0) {
                diag_add(d, def->file, line, 0,
                         "category \"%s\": pattern: term %zu: alternative %zu: %s", code, j + 1, a,
                         why);
                errors++;
            } else {
                bool dup = false;
                for (size_t k = 0; k < ps->n_alts && !dup; k++)
                    dup = ps->alts[k].term == j && ps->alts[k].len == olen &&
                          memcmp(ps->alts[k].norm, out, olen) == 0;
                if (!dup)
                    ps->alts[ps->n_alts++] = (tax_alt_t){out, olen, (uint8_t)j};
            }
            if (c[len] != '|')
                break;
            c += len + 1;
        }
    }
    ps->n_terms = (uint8_t)pd->n_terms;
    ps->window = (uint16_t)(w > 0 ? w : TAX_WINDOW_DEFAULT);
    return errors;
}

/* Checks and normalises one veto into *vs: its keywords must be the
 * category's, its context phrases not one of them. Returns the number of
 * errors, or -1 on OOM. */
static int
add_veto(tax_t *t, const tax_def_t *def, const char *code, size_t v, tax_vsrc_t *vs,
         const tax_src_t *src, diag_t *d)
{
    const tax_veto_def_t *vd = &def->vetoes[v];
    assert(vd->n_keywords == 0 || vd->keywords != NULL);
    assert(vd->n_context == 0 || vd->context != NULL);
    int line = vd->line > 0 ? vd->line : def->line;
    int errors = 0;
    int w = window_words(vd->window);
    if (w < 0) {
        diag_add(d, def->file, line, 0, "category \"%s\": veto: window %d is not in 1..%d", code,
                 vd->window, TAX_WINDOW_MAX);
        errors++;
    }
    if (vd->n_keywords == 0) {
        diag_add(d, def->file, line, 0, "category \"%s\": veto: no keywords to guard", code);
        errors++;
    }
    if (vd->n_context == 0) {
        diag_add(d, def->file, line, 0, "category \"%s\": veto: no context", code);
        errors++;
    }
    vs->kw = arena_calloc(t->arena, vd->n_keywords ? vd->n_keywords : 1, sizeof *vs->kw);
    vs->ctx = arena_calloc(t->arena, vd->n_context ? vd->n_context : 1, sizeof *vs->ctx);
    vs->ctx_len = arena_calloc(t->arena, vd->n_context ? vd->n_context : 1, sizeof *vs->ctx_len);
    if (vs->kw == NULL || vs->ctx == NULL || vs->ctx_len == NULL)
        return -1;
    vocab_t kv = {def->keywords, def->n_keywords};
    for (size_t i = 0; i < vd->n_keywords; i++) {
        const char *kw = vd->keywords[i] != NULL ? vd->keywords[i] : "";
        const char *out;
        uint32_t len;
        char why[96];
        int rc = norm_phrase(t, kw, strlen(kw), &out, &len, why, sizeof why);
        if (rc < 0)
            return -1;
        int k = rc == 0 ? keyword_index(src, out, len) : -1;
        if (rc > 0) {
            diag_add(d, def->file, line, 0, "category \"%s\": veto: keyword %zu: %s", code, i + 1,
                     why);
            errors++;
        } else if (k < 0) {
            const char *sug = vocab_suggest(&kv, kw);
            if (sug != NULL)
                diag_add(d, def->file, line, 0,
                         "category \"%s\": veto: \"%s\" is not one of its keywords (did you "
                         "mean \"%s\"?)",
                         code, kw, sug);
            else
                diag_add(d, def->file, line, 0,
                         "category \"%s\": veto: \"%s\" is not one of its keywords", code, kw);
            errors++;
        } else {
            bool dup = false;
            for (size_t j = 0; j < vs->n_kw && !dup; j++)
                dup = vs->kw[j] == k;
            if (!dup)
                vs->kw[vs->n_kw++] = k;
        }
    }
    for (size_t i = 0; i < vd->n_context; i++) {
        const char *c = vd->context[i] != NULL ? vd->context[i] : "";
        const char *out;
        uint32_t len;
        char why[96];
        int rc = norm_phrase(t, c, strlen(c), &out, &len, why, sizeof why);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            diag_add(d, def->file, line, 0, "category \"%s\": veto: context %zu: %s", code, i + 1,
                     why);
            errors++;
            continue;
        }
        bool guarded = false;
        for (size_t j = 0; j < vs->n_kw && !guarded; j++)
            guarded =
                src->norm_len[vs->kw[j]] == len && memcmp(src->norm[vs->kw[j]], out, len) == 0;
        if (guarded) {
            diag_add(d, def->file, line, 0,
                     "category \"%s\": veto: context \"%s\" is a keyword it guards (it would "
                     "veto every occurrence)",
                     code, c);
            errors++;
            continue;
        }
        vs->ctx[vs->n_ctx] = out;
        vs->ctx_len[vs->n_ctx++] = len;
    }
    vs->window = (uint16_t)(w > 0 ? w : TAX_WINDOW_DEFAULT);
    return errors;
}

/* Checks and normalises def's except phrases, patterns and vetoes into
 * src. Returns the number of errors, or -1 on OOM. */
static int
add_refinements(tax_t *t, const tax_def_t *def, const char *code, tax_src_t *src, diag_t *d)
{
    assert(def->n_except == 0 || def->except != NULL);
    assert(def->n_patterns == 0 || def->patterns != NULL);
    assert(def->n_vetoes == 0 || def->vetoes != NULL);
    int errors = add_except(t, def, code, src, d);
    if (errors < 0)
        return -1;
    src->pat = arena_calloc(t->arena, def->n_patterns ? def->n_patterns : 1, sizeof *src->pat);
    src->veto = arena_calloc(t->arena, def->n_vetoes ? def->n_vetoes : 1, sizeof *src->veto);
    if (src->pat == NULL || src->veto == NULL)
        return -1;
    for (size_t p = 0; p < def->n_patterns; p++) {
        int e = add_pattern(t, def, code, p, &src->pat[src->n_pat], d);
        if (e < 0)
            return -1;
        errors += e;
        src->n_pat += e == 0;
    }
    for (size_t v = 0; v < def->n_vetoes; v++) {
        int e = add_veto(t, def, code, v, &src->veto[src->n_veto], src, d);
        if (e < 0)
            return -1;
        errors += e;
        src->n_veto += e == 0;
    }
    return errors;
}

/* Joins n strings with sep into b. */
static void
join(sbuf_t *b, const char *const *v, size_t n, const char *sep)
{
    for (size_t i = 0; i < n; i++)
        sbuf_printf(b, "%s%s", i ? sep : "", v[i] != NULL ? v[i] : "");
}

/* Pattern p of def in full, "a|b + c (within 8 words)", in the arena;
 * NULL on OOM. */
static const char *
pattern_line(tax_t *t, const tax_def_t *def, size_t p, const tax_psrc_t *ps)
{
    sbuf_t b = SBUF_INIT;
    join(&b, def->patterns[p].terms, def->patterns[p].n_terms, " + ");
    sbuf_printf(&b, " (within %u words)", (unsigned)ps->window);
    const char *s = b.oom ? NULL : arena_strdup(t->arena, b.data);
    sbuf_free(&b);
    return s;
}

/* The evidence line of pattern p of def: each term's first alternative,
 * trimmed, joined by " + " ("nitrogen vacancy + diamond"), in the arena;
 * NULL on OOM. */
static const char *
pattern_evidence(tax_t *t, const tax_def_t *def, size_t p)
{
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, "");
    for (size_t j = 0; j < def->patterns[p].n_terms; j++) {
        const char *c = def->patterns[p].terms[j] != NULL ? def->patterns[p].terms[j] : "";
        c += strspn(c, " \t");
        size_t n = strcspn(c, "|");
        while (n > 0 && (c[n - 1] == ' ' || c[n - 1] == '\t'))
            n--;
        sbuf_printf(&b, "%s%.*s", j ? " + " : "", (int)n, c);
    }
    const char *s = b.oom ? NULL : arena_strdup(t->arena, b.data);
    sbuf_free(&b);
    return s;
}

/* The canonical line of veto v of def, "k|k unless c|c (within 12 words)",
 * in the arena; NULL on OOM. */
static const char *
veto_line(tax_t *t, const tax_def_t *def, size_t v, const tax_vsrc_t *vs)
{
    sbuf_t b = SBUF_INIT;
    join(&b, def->vetoes[v].keywords, def->vetoes[v].n_keywords, "|");
    sbuf_puts(&b, " unless ");
    join(&b, def->vetoes[v].context, def->vetoes[v].n_context, "|");
    sbuf_printf(&b, " (within %u words)", (unsigned)vs->window);
    const char *s = b.oom ? NULL : arena_strdup(t->arena, b.data);
    sbuf_free(&b);
    return s;
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
    kerr = add_refinements(t, def, code, &src, d);
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
    /* Evidence lines: the keywords, then the patterns (all of them valid here). */
    cat.n_keywords = def->n_keywords + def->n_patterns;
    cat.n_patterns = def->n_patterns;
    cat.keywords = arena_alloc(t->arena, (cat.n_keywords ? cat.n_keywords : 1) * sizeof(char *));
    const char **kws = copy_strs(t->arena, def->keywords, def->n_keywords);
    if (cat.keywords == NULL || kws == NULL)
        goto oom;
    memcpy(cat.keywords, kws, def->n_keywords * sizeof *kws);
    cat.patterns = arena_alloc(t->arena, (def->n_patterns ? def->n_patterns : 1) * sizeof(char *));
    if (cat.patterns == NULL)
        goto oom;
    for (size_t p = 0; p < def->n_patterns; p++)
        if ((cat.keywords[def->n_keywords + p] = pattern_evidence(t, def, p)) == NULL ||
            (cat.patterns[p] = pattern_line(t, def, p, &src.pat[p])) == NULL)
            goto oom;
    cat.vetoes = arena_alloc(t->arena, (def->n_vetoes ? def->n_vetoes : 1) * sizeof(char *));
    if (cat.vetoes == NULL)
        goto oom;
    for (size_t v = 0; v < def->n_vetoes; v++)
        if ((cat.vetoes[v] = veto_line(t, def, v, &src.veto[v])) == NULL)
            goto oom;
    cat.n_vetoes = def->n_vetoes;
    cat.except = copy_strs(t->arena, def->except, def->n_except);
    cat.n_except = def->n_except;
    cat.refs = copy_strs(t->arena, def->refs, def->n_refs);
    cat.n_refs = def->n_refs;
    src.file = def->file != NULL ? arena_strdup(t->arena, def->file) : NULL;
    src.line = def->line;
    src.parent = def->parent != NULL ? arena_strdup(t->arena, def->parent) : NULL;
    if (cat.code == NULL || cat.label == NULL || cat.except == NULL || cat.refs == NULL ||
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

/* ---- tax_build: the tries ------------------------------------------------ */

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

/* Child of node s on byte c, 0 if none (the root is no one's child). */
static uint32_t
pt_child(const tax_ptrie_t *pt, uint32_t s, uint8_t c)
{
    if (s == 0)
        return pt->root[c];
    uint32_t lo = pt->edge_off[s], hi = pt->edge_off[s + 1];
    if (hi - lo <= TAX_LINEAR_EDGES) {
        for (uint32_t e = lo; e < hi; e++)
            if (pt->edge_label[e] == c)
                return pt->edge_to[e];
        return 0;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pt->edge_label[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < pt->edge_off[s + 1] && pt->edge_label[lo] == c ? pt->edge_to[lo] : 0;
}

static int
cmp_out(const void *a, const void *b)
{
    const trie_out_t *x = a, *y = b;
    if (x->state != y->state)
        return x->state < y->state ? -1 : 1;
    if (x->pat.cat != y->pat.cat)
        return x->pat.cat < y->pat.cat ? -1 : 1;
    if (x->pat.kind != y->pat.kind)
        return x->pat.kind < y->pat.kind ? -1 : 1;
    if (x->pat.ref != y->pat.ref)
        return x->pat.ref < y->pat.ref ? -1 : 1;
    return (x->pat.sub > y->pat.sub) - (x->pat.sub < y->pat.sub);
}

/* Compacts the load-time trie into pt (arena). Returns 0 or -1 on OOM. */
static int
pt_compact(tax_t *t, tax_ptrie_t *pt, const trie_t *tr, trie_out_t *outs, size_t n_outs)
{
    uint32_t ns = tr->n;
    pt->n_states = ns;
    pt->edge_off = arena_calloc(t->arena, (size_t)ns + 1, sizeof *pt->edge_off);
    pt->edge_label = arena_alloc(t->arena, ns);
    pt->edge_to = arena_alloc(t->arena, (size_t)ns * sizeof *pt->edge_to);
    pt->out_off = arena_calloc(t->arena, (size_t)ns + 1, sizeof *pt->out_off);
    pt->pats = arena_alloc(t->arena, (n_outs ? n_outs : 1) * sizeof *pt->pats);
    if (pt->edge_off == NULL || pt->edge_label == NULL || pt->edge_to == NULL ||
        pt->out_off == NULL || pt->pats == NULL)
        return -1;

    /* Edges in CSR form, each state's run sorted by byte (insertion sort:
     * fan-out is small except at the root, which also gets a full table). */
    uint32_t e = 0;
    for (uint32_t s = 0; s < ns; s++) {
        pt->edge_off[s] = e;
        for (uint32_t k = tr->child[s]; k != TAX_NONE; k = tr->sibling[k]) {
            uint32_t j = e++;
            while (j > pt->edge_off[s] && pt->edge_label[j - 1] > tr->label[k]) {
                pt->edge_label[j] = pt->edge_label[j - 1];
                pt->edge_to[j] = pt->edge_to[j - 1];
                j--;
            }
            pt->edge_label[j] = tr->label[k];
            pt->edge_to[j] = k;
        }
    }
    pt->edge_off[ns] = e;
    memset(pt->root, 0, sizeof pt->root);
    for (uint32_t k = pt->edge_off[0]; k < pt->edge_off[1]; k++)
        pt->root[pt->edge_label[k]] = pt->edge_to[k];

    /* Outputs grouped by state. */
    if (n_outs > 0)
        qsort(outs, n_outs, sizeof *outs, cmp_out);
    for (size_t i = 0; i < n_outs; i++) {
        pt->out_off[outs[i].state + 1]++;
        pt->pats[i] = outs[i].pat;
        if (outs[i].pat.len > pt->max_len)
            pt->max_len = outs[i].pat.len;
    }
    for (uint32_t s = 0; s < ns; s++)
        pt->out_off[s + 1] += pt->out_off[s];
    return 0;
}

/* Load-time trie and the outputs it will report. */
typedef struct pt_load {
    trie_t tr;        /* the phrases' paths */
    trie_out_t *outs; /* malloc'd: what each phrase reports */
    size_t n_outs;    /* entries of outs */
    size_t cap_outs;  /* capacity of outs */
} pt_load_t;

/* Adds phrase s (len bytes) reporting pat. Returns 0 or -1 on OOM. */
static int
pt_add(pt_load_t *l, const char *s, uint32_t len, tax_pat_t pat)
{
    uint32_t end = trie_insert(&l->tr, s, len);
    if (end == TAX_NONE ||
        vec_grow(&l->outs, &l->cap_outs, l->n_outs + 1, sizeof *l->outs, 256) != 0)
        return -1;
    pat.len = len;
    l->outs[l->n_outs++] = (trie_out_t){end, pat};
    return 0;
}

/* What guards one keyword. */
typedef struct kw_guard {
    uint32_t off;   /* first of its vetoes in guard_ids */
    uint16_t n;     /* how many */
    uint8_t except; /* 1 if an except phrase of its category contains it */
} kw_guard_t;

/* Numbers every pattern and veto across categories (t->coocs,
 * t->veto_window), and fills guard[i][k] for keyword k of category i:
 * its run of vetoes in t->guard_ids, and whether an except phrase of its
 * category contains it (guard[i] arrays in the arena). Returns 0 or -1
 * on OOM. */
static int
build_tables(tax_t *t, kw_guard_t **guard)
{
    size_t n_pat = 0, n_veto = 0, n_ids = 0;
    for (size_t i = 0; i < t->n; i++) {
        n_pat += t->src[i].n_pat;
        n_veto += t->src[i].n_veto;
        for (size_t v = 0; v < t->src[i].n_veto; v++)
            n_ids += t->src[i].veto[v].n_kw;
    }
    t->coocs = arena_alloc(t->arena, (n_pat ? n_pat : 1) * sizeof *t->coocs);
    t->veto_window = arena_alloc(t->arena, (n_veto ? n_veto : 1) * sizeof *t->veto_window);
    t->guard_ids = arena_alloc(t->arena, (n_ids ? n_ids : 1) * sizeof *t->guard_ids);
    if (t->coocs == NULL || t->veto_window == NULL || t->guard_ids == NULL)
        return -1;
    size_t pat_base = 0, veto_base = 0, ids = 0;
    for (size_t i = 0; i < t->n; i++) {
        const tax_src_t *s = &t->src[i];
        kw_guard_t *g = arena_calloc(t->arena, s->n_kw ? s->n_kw : 1, sizeof *g);
        if (g == NULL)
            return -1;
        guard[i] = g;
        for (size_t p = 0; p < s->n_pat; p++)
            t->coocs[pat_base + p] = (tax_cooc_t){(int32_t)i, (int32_t)(s->n_kw + p),
                                                  s->pat[p].window, s->pat[p].n_terms};
        for (size_t v = 0; v < s->n_veto; v++)
            t->veto_window[veto_base + v] = s->veto[v].window;
        for (size_t k = 0; k < s->n_kw; k++) {
            if (s->norm[k] == NULL)
                continue;
            g[k].off = (uint32_t)ids;
            for (size_t v = 0; v < s->n_veto; v++)
                for (size_t j = 0; j < s->veto[v].n_kw; j++)
                    if (s->veto[v].kw[j] == (int32_t)k) {
                        t->guard_ids[ids++] = (uint32_t)(veto_base + v);
                        g[k].n++;
                    }
            for (size_t e = 0; e < s->n_ex && !g[k].except; e++)
                g[k].except = contains_words(s->ex[e], s->ex_len[e], s->norm[k], s->norm_len[k]);
        }
        pat_base += s->n_pat;
        veto_base += s->n_veto;
    }
    return 0;
}

/* Builds the spotting trie (context false: keywords and first terms) or
 * the context trie (other terms, veto contexts, except phrases).
 * Returns 0 or -1 on OOM. */
static int
build_trie(tax_t *t, tax_ptrie_t *pt, bool context, kw_guard_t *const *guard)
{
    pt_load_t l = {0};
    int rc = -1;
    if (trie_node(&l.tr, 0) == TAX_NONE)
        goto done;
    size_t pat_base = 0, veto_base = 0;
    for (size_t i = 0; i < t->n; i++) {
        const tax_src_t *s = &t->src[i];
        int32_t cat = (int32_t)i;
        if (!context) {
            for (size_t k = 0; k < s->n_kw; k++) {
                if (s->norm[k] == NULL)
                    continue; /* a duplicate of an earlier keyword */
                const kw_guard_t *g = &guard[i][k];
                tax_pat_t pat = {cat, (int32_t)k, 0, g->off, g->n, PK_KEYWORD, g->except};
                if (pt_add(&l, s->norm[k], s->norm_len[k], pat) != 0)
                    goto done;
            }
        }
        for (size_t p = 0; p < s->n_pat; p++)
            for (size_t a = 0; a < s->pat[p].n_alts; a++) {
                const tax_alt_t *alt = &s->pat[p].alts[a];
                if ((alt->term == 0) == context)
                    continue;
                tax_pat_t pat = {cat,      (int32_t)(pat_base + p),
                                 0,        0,
                                 0,        alt->term == 0 ? PK_ANCHOR : PK_TERM,
                                 alt->term};
                if (pt_add(&l, alt->norm, alt->len, pat) != 0)
                    goto done;
            }
        if (context) {
            for (size_t v = 0; v < s->n_veto; v++)
                for (size_t c = 0; c < s->veto[v].n_ctx; c++) {
                    tax_pat_t pat = {cat, (int32_t)(veto_base + v), 0, 0, 0, PK_CONTEXT, 0};
                    if (pt_add(&l, s->veto[v].ctx[c], s->veto[v].ctx_len[c], pat) != 0)
                        goto done;
                }
            for (size_t e = 0; e < s->n_ex; e++) {
                tax_pat_t pat = {cat, -1, 0, 0, 0, PK_EXCEPT, 0};
                if (pt_add(&l, s->ex[e], s->ex_len[e], pat) != 0)
                    goto done;
            }
        }
        pat_base += s->n_pat;
        veto_base += s->n_veto;
    }
    rc = pt_compact(t, pt, &l.tr, l.outs, l.n_outs);
done:
    trie_free(&l.tr);
    free(l.outs);
    return rc;
}

/* Builds the pattern and veto tables and both tries. Returns 0 or -1 on OOM. */
static int
build_spotting(tax_t *t)
{
    kw_guard_t **guard = calloc(t->n ? t->n : 1, sizeof *guard);
    if (guard == NULL)
        return -1;
    int rc = build_tables(t, guard) == 0 && build_trie(t, &t->spot, false, guard) == 0 &&
                     build_trie(t, &t->ctx, true, guard) == 0
                 ? 0
                 : -1;
    free(guard); /* the runs themselves live in the arena */
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
    if (build_subtrees(t) != 0 || build_spotting(t) != 0)
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

/* Start of the word w words before the word starting at pos (clamped
 * to the text's start). Normalised text has single spaces. */
static size_t
words_back(const char *text, size_t pos, unsigned w)
{
    for (; w > 0 && pos > 0; w--) {
        pos--; /* the space before the current word */
        while (pos > 0 && text[pos - 1] != ' ')
            pos--;
    }
    return pos;
}

/* End of the word w words after the word ending at end (clamped to len). */
static size_t
words_fwd(const char *text, size_t len, size_t end, unsigned w)
{
    for (; w > 0 && end < len; w--) {
        end++; /* the space after the current word */
        while (end < len && text[end] != ' ')
            end++;
    }
    return end;
}

/* A walk down a trie from one word start of a text. */
typedef struct pt_walk {
    const tax_ptrie_t *pt; /* the trie */
    const char *text;      /* normalised text */
    size_t len;            /* its bytes */
    size_t i;              /* next byte to read */
    uint32_t s;            /* node reached */
} pt_walk_t;

/* Advances the walk to the next word end where phrases end; returns true
 * with that end and the phrases' range in pt->pats, false once no longer
 * phrase can match. */
static bool
pt_next(pt_walk_t *w, size_t *end, uint32_t *lo, uint32_t *hi)
{
    const tax_ptrie_t *pt = w->pt;
    while (w->i < w->len) {
        uint32_t s = pt_child(pt, w->s, (uint8_t)w->text[w->i]);
        if (s == 0)
            return false;
        w->s = s;
        w->i++;
        /* No phrase may end inside a word. */
        if ((w->i == w->len || w->text[w->i] == ' ') && pt->out_off[s + 1] > pt->out_off[s]) {
            *end = w->i;
            *lo = pt->out_off[s];
            *hi = pt->out_off[s + 1];
            return true;
        }
    }
    return false;
}

/* Start of the word after the one at or containing pos, or len. */
static size_t
next_word(const char *text, size_t len, size_t pos)
{
    const char *sp = memchr(text + pos, ' ', len - pos);
    return sp != NULL ? (size_t)(sp - text) + 1 : len;
}

/* What a context scan looks for. */
typedef struct cx_query {
    uint8_t kind;  /* PK_TERM, PK_CONTEXT or PK_EXCEPT */
    int32_t ref;   /* TERM: pattern; CONTEXT: veto; EXCEPT: category */
    size_t lo, hi; /* TERM, CONTEXT: an occurrence must overlap [lo, hi);
                    * EXCEPT: it must contain [lo, hi) */
    uint32_t want; /* TERM: bitmask of the terms to find */
} cx_query_t;

/* Walks the context trie from every word start of text where an
 * occurrence relevant to q can start. Returns true once q is satisfied:
 * a context or except phrase found, or every term of q->want. */
static bool
cx_find(const tax_t *t, const char *text, size_t len, const cx_query_t *q)
{
    const tax_ptrie_t *pt = &t->ctx;
    if (pt->max_len == 0)
        return false;
    size_t from = q->lo > pt->max_len ? q->lo - pt->max_len : 0;
    while (from > 0 && text[from - 1] != ' ')
        from--;
    /* An except phrase starts at or before the keyword; any other
     * occurrence before the region's end. */
    size_t last = q->kind == PK_EXCEPT ? q->lo : q->hi - 1;
    uint32_t seen = 0;
    for (size_t st = from; st < len && st <= last; st = next_word(text, len, st)) {
        pt_walk_t w = {pt, text, len, st, 0};
        size_t end;
        uint32_t lo, hi;
        while (pt_next(&w, &end, &lo, &hi)) {
            for (uint32_t p = lo; p < hi; p++) {
                const tax_pat_t *pat = &pt->pats[p];
                if (pat->kind != q->kind || (q->kind == PK_EXCEPT ? pat->cat : pat->ref) != q->ref)
                    continue;
                if (q->kind == PK_EXCEPT) {
                    if (end >= q->hi)
                        return true;
                } else if (end > q->lo) {
                    if (q->kind == PK_CONTEXT)
                        return true;
                    seen |= 1u << pat->sub;
                    if (seen == q->want)
                        return true;
                }
            }
        }
    }
    return false;
}

/* True if the occurrence [start, end) of pat is evidence: a keyword that
 * no except phrase contains and no veto's context is near, or a
 * pattern's first term with every other term near. */
static bool
holds(const tax_t *t, const char *text, size_t len, const tax_pat_t *pat, size_t start, size_t end)
{
    if (pat->kind == PK_ANCHOR) {
        const tax_cooc_t *c = &t->coocs[pat->ref];
        cx_query_t q = {PK_TERM, pat->ref, words_back(text, start, c->window),
                        words_fwd(text, len, end, c->window), ((1u << c->n_terms) - 1) & ~1u};
        return cx_find(t, text, len, &q);
    }
    if (pat->sub) {
        cx_query_t q = {PK_EXCEPT, pat->cat, start, end, 0};
        if (cx_find(t, text, len, &q))
            return false;
    }
    for (uint32_t g = 0; g < pat->n_guards; g++) {
        uint32_t v = t->guard_ids[pat->guards + g];
        unsigned w = t->veto_window[v];
        cx_query_t q = {PK_CONTEXT, (int32_t)v, words_back(text, start, w),
                        words_fwd(text, len, end, w), 0};
        if (cx_find(t, text, len, &q))
            return false;
    }
    return true;
}

size_t
tax_spot(const tax_t *t, const char *text, size_t len, tax_hit_t *out, size_t cap)
{
    if (t == NULL || !t->built || text == NULL || out == NULL || cap == 0)
        return 0;
    size_t n = 0;
    for (size_t st = 0; st < len; st = next_word(text, len, st)) {
        /* Word starts come in text order: once the kept hits all start
         * before this one, no later hit can displace them. */
        if (n == cap && st > out[cap - 1].pos)
            break;
        pt_walk_t w = {&t->spot, text, len, st, 0};
        size_t end;
        uint32_t lo, hi;
        while (pt_next(&w, &end, &lo, &hi)) {
            for (uint32_t p = lo; p < hi; p++) {
                const tax_pat_t *pat = &t->spot.pats[p];
                tax_hit_t h = {.cat = pat->cat,
                               .keyword =
                                   pat->kind == PK_KEYWORD ? pat->ref : t->coocs[pat->ref].evidence,
                               .pos = st};
                if (n == cap && !hit_before(&h, &out[n - 1]))
                    continue; /* would not be kept: spare the context check */
                if ((pat->kind == PK_ANCHOR || pat->sub || pat->n_guards) &&
                    !holds(t, text, len, pat, st, end))
                    continue;
                n = hit_insert(out, n, cap, h);
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
