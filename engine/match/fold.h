/* SPDX-License-Identifier: Apache-2.0 */
/* fold.h -- the forms the matcher compares strings in: a name's
 * matching form, an identifier's key, a token's dictionary form, its
 * singular, and whether it tolerates typos.
 *
 * Registry names at load and query names per request go through the
 * same functions, so both sides always meet in the same form. All are
 * thread-safe; only fold_name allocates (from the caller's arena). */
#ifndef VET_FOLD_H
#define VET_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* A name's matching form: norm_text (norm.h), then runs of two or more
 * one-letter words joined ("s a" -> "sa"), so that "S.A.", "S. A." and
 * "SA" are one token, the legal form the stop-word list knows, and
 * "B.V." meets "BV". On success returns 0 and sets *out, *outlen to the
 * form, NUL-terminated, in arena a (or norm_text's own result, also in
 * a): valid until a is reset. Returns -1 as norm_text does (invalid
 * UTF-8, or out of memory), with its message in msg if msg != NULL. */
int fold_name(arena_t *a, const char *name, const char **out, size_t *outlen, char *msg,
              size_t msgcap);

/* The identifier key: scheme lower-cased and trimmed, a 0x1f separator,
 * the value trimmed, lower-cased, spaces, tabs and hyphens removed.
 * Writes it NUL-terminated into out, which must hold strlen(scheme) +
 * strlen(value) + 2 bytes, and returns its length. */
size_t fold_id_key(const char *scheme, const char *value, char *out);

struct mwords;

/* The dictionary form of the token s[0..len): what it stands for when
 * it is an abbreviation the ruleset's words rewrite into one longer word
 * ("inst" is "institute"), or the token itself. Sets *out to s or to the words' string and
 * returns the form's length. */
size_t fold_token(const struct mwords *w, const char *s, size_t len, const char **out);

/* The singular of a plain lower-case ASCII word of 5+ letters (Harman's
 * S-stemmer, see fold_singular), written into buf (len + 1 bytes);
 * returns its length, or 0 if the word has no such form. */
size_t fold_stem(const char *s, size_t len, char *buf);

/* The singular of the token cp[0..n) (n <= MAX_TOKCP) if it is an
 * English plural, else the token itself, as code points in out (room
 * for n); returns their count, or 0 if the token takes no part in
 * plural matching (not plain lower-case ASCII, or shorter than 4
 * letters). Two tokens with the same singular are similar. */
int fold_singular(const int32_t *cp, int n, int32_t *out);

/* True if the token cp[0..n) tolerates typos: MIN_FUZZY_CP to
 * MAX_TOKCP code points of an alphabetic script. Tokens with digits or
 * CJK ideographs ("27th", "哈尔滨工业大学") only match exactly: one
 * different character there is a different thing. */
bool fold_typo_tolerant(const int32_t *cp, int n);

#endif
