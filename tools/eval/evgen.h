/* SPDX-License-Identifier: Apache-2.0 */
/* evgen.h -- vet-eval's variation generator: realistic, deterministic variants of a name. */
#ifndef VET_EVAL_EVGEN_H
#define VET_EVAL_EVGEN_H

#include <stddef.h>
#include <stdint.h>

/* The kinds of variation, in report order. One table (EVGEN_KINDS) gives
 * each its enum constant, report name and description. */
#define EVGEN_KINDS(X)                                                                             \
    X(EVGEN_CASE, "case", "lower, UPPER or Title Case (one that differs from the name)")           \
    X(EVGEN_PUNCT_DROP, "punct-drop", "punctuation removed (hyphen and slash become spaces)")      \
    X(EVGEN_PUNCT_ADD, "punct-add",                                                                \
      "punctuation added: dotted acronym, trailing dot, a comma or a hyphen between words")        \
    X(EVGEN_WORD_ORDER, "word-order",                                                              \
      "X University <-> University of X, else two adjacent words swapped")                         \
    X(EVGEN_LEGAL_FORM, "legal-form", "legal form spelled out or abbreviated (Co. <-> Company)")   \
    X(EVGEN_LEGAL_DROP, "legal-drop", "trailing legal form left out (X Co., Ltd. -> X)")           \
    X(EVGEN_TYPO_SUB, "typo-sub", "one letter replaced, in a word of >= 5 letters")                \
    X(EVGEN_TYPO_DEL, "typo-del", "one letter deleted, in a word of >= 5 letters")                 \
    X(EVGEN_TYPO_SWAP, "typo-swap", "two adjacent letters transposed, in a word of >= 5 letters")  \
    X(EVGEN_THE, "the-prefix", "\"The \" put in front")                                            \
    X(EVGEN_SPACES, "spaces", "a space doubled and a leading or trailing space")

#define EVGEN_ENUM_(e, n, d) e,
typedef enum evgen_kind { EVGEN_KINDS(EVGEN_ENUM_) EVGEN_N } evgen_kind_t;
#undef EVGEN_ENUM_

/* The report name ("typo-sub") and description of kind k; static
 * strings, "?" for an unknown kind. */
const char *evgen_kind_name(evgen_kind_t k);
const char *evgen_kind_about(evgen_kind_t k);

/* The kind named name, or -1. */
int evgen_kind_find(const char *name);

/* Writes into out (cap bytes) a variant of name (UTF-8) of kind k. The
 * random choices come from a PRNG seeded by seed, k and the bytes of
 * name, so the same three give the same variant in any order of calls.
 * Returns 1 when a variant was written (it always differs from name), 0
 * when the kind does not apply to name (e.g. a typo in a name without a
 * word of 5 letters; out is then ""), -1 when out is too small or name
 * longer than 1023 bytes. */
int evgen_apply(evgen_kind_t k, const char *name, uint64_t seed, char *out, size_t cap);

/* A 64-bit FNV-1a hash of s, mixed with h (the seeds of every random
 * choice of vet-eval). */
uint64_t evgen_hash(uint64_t h, const char *s);

#endif
