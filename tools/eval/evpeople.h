/* SPDX-License-Identifier: Apache-2.0 */
/* evpeople.h -- vet-eval's people set: reading tools/eval/people.tsv, screening every person it
 * holds (partner.type "individual"), and counting person recall and false positives. */
#ifndef VET_EVAL_EVPEOPLE_H
#define VET_EVAL_EVPEOPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cJSON.h>

#include "vet_engine.h"

/* The classes of the set, in report order: one table gives each its enum
 * constant, name (the TSV's class column) and description. The positive
 * classes come first, then the two that must match nothing. */
#define EVPEOPLE_CLASSES(X)                                                                        \
    X(EVP_ORDER, "order", "the listed name in another order (family name last, no comma)")         \
    X(EVP_TRANSLIT, "translit",                                                                    \
      "other transliterations (Mohammed / Muhammad, Yevgeniy / Evgeny, -iy / -y, Kh / H, "         \
      "gh / q)")                                                                                   \
    X(EVP_SCRIPT, "script", "native scripts: Cyrillic, Persian, Arabic, Chinese, Korean")          \
    X(EVP_PARTIAL, "partial",                                                                      \
      "a patronymic, a middle name or a second family name left out; initials")                    \
    X(EVP_CONFIRMED, "confirmed",                                                                  \
      "with the listed date of birth: must be identified (method exact)")                          \
    X(EVP_NAMESAKE, "namesake",                                                                    \
      "a listed person's name with another date of birth: must be ruled out, not matched")         \
    X(EVP_INNOCENT, "innocent", "real people on no list: must match nothing")

#define EVP_ENUM_(e, n, d) e,
typedef enum evpeople_class { EVPEOPLE_CLASSES(EVP_ENUM_) EVP_N } evpeople_class_t;
#undef EVP_ENUM_

/* The name and description of class c; static, "?" if unknown. */
const char *evpeople_class_name(evpeople_class_t c);
const char *evpeople_class_about(evpeople_class_t c);

typedef struct evpeople evpeople_t;

/* Reads the set at path: '#' lines are comments, the first other line is
 * the header "class<TAB>query<TAB>birth_date<TAB>nationality<TAB>
 * expected<TAB>note", then one person a line: a known class; a query of
 * valid UTF-8 without control characters or surrounding spaces; a date
 * of birth ("YYYY-MM-DD", "YYYY-MM", "YYYY") or empty (a confirmed or
 * namesake row needs one); a nationality (two capital letters) or empty;
 * the expected registry id (several separated by '|'; "-" for an
 * innocent row); a note. Collects every fault as "path:line: message".
 * Returns the set, caller owns it (evpeople_destroy); NULL on any fault,
 * with the messages in err (cap bytes), or "out of memory". */
evpeople_t *evpeople_load(const char *path, char *err, size_t cap);
void evpeople_destroy(evpeople_t **sp);

/* Says whether the ruleset has an organisation (or person) of this id. */
typedef bool (*evpeople_known_fn)(void *ctx, const char *id);

/* The rows of class c. */
size_t evpeople_count(const evpeople_t *s, evpeople_class_t c);

/* Checks that every expected id of the set is one the ruleset has
 * (known); writes "line N: id" for each that is not into err (cap bytes)
 * and returns how many. */
size_t evpeople_unknown(const evpeople_t *s, evpeople_known_fn known, void *ctx, char *err,
                        size_t cap);

/* Screens every row through the engine (e, w borrowed), with a request
 * that would make any listed partner matter (current affiliation, AI),
 * and counts the outcome per class; known(ctx, id) tells expected ids
 * absent from the ruleset. A match "is" an expected id when its entity
 * or an id merged into it is. Returns 0, or -1 when a request could not
 * be screened (message on stderr). */
int evpeople_run(evpeople_t *s, const vet_engine_t *e, vet_worker_t *w, evpeople_known_fn known,
                 void *ctx);

/* Prints the report to out: per positive class the recall and how the
 * hits were found; the namesakes ruled out and the ones that leaked; the
 * innocent that matched; then up to n_examples misses per class. */
void evpeople_print(const evpeople_t *s, FILE *out, const char *path, size_t n_examples);

/* The numbers and examples as JSON (caller owns it), or NULL on OOM. */
cJSON *evpeople_json(const evpeople_t *s, const char *path, size_t max_examples);

#endif
