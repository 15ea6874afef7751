/* SPDX-License-Identifier: Apache-2.0 */
/* regw.h -- deterministic registry writer: lists and organisations -> registry/NAME.cfg. */
#ifndef VET_IMPORT_REGW_H
#define VET_IMPORT_REGW_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

typedef struct regw regw_t;
typedef struct regw_org regw_org_t;

/* An empty writer; caller owns it (regw_destroy). NULL on OOM. */
regw_t *regw_new(void);
void regw_destroy(regw_t **p);

/* Records an input file for the header: its basename and the SHA-256 of
 * data[0..len). Strings are copied. 0, or -1 on OOM. */
int regw_add_source(regw_t *w, const char *path, const void *data, size_t len);

/* Declares a list (idempotent by id; the first declaration wins). Strings
 * are copied; authority, url and terms (of use of the list's data) may be
 * NULL. 0, or -1 on OOM. */
int regw_add_list(regw_t *w, const char *id, const char *name, const char *authority,
                  const char *url, const char *terms);

/* Records the edition of every list the file declares: as_of
 * ("YYYY-MM-DD"; NULL keeps what was set, e.g. the date the data gives;
 * then fallback if nothing was) and max_age_days (0: none), written into
 * each list declaration. 0, or -1 on OOM. */
int regw_set_edition(regw_t *w, const char *as_of, const char *fallback, int max_age_days);

/* A new organisation with this id, owned by the writer. NULL if the id is
 * taken (*dup set true) or on OOM (*dup false). */
regw_org_t *regw_org_new(regw_t *w, const char *id, bool *dup);

/* The organisation with this id (owned by the writer), or NULL. */
regw_org_t *regw_find(const regw_t *w, const char *id);

/* Setters and adders copy their strings and clean them (whitespace runs
 * become one space, ends trimmed, control characters dropped). Empty
 * values are ignored; an alias equal to the name or to another alias
 * (ASCII case ignored) is dropped, as is a repeated list,
 * source or id scheme. All return 0, or -1 on OOM. */
int regw_org_set_name(regw_org_t *o, const char *name);
int regw_org_add_alias(regw_org_t *o, const char *alias);
int regw_org_set_country(regw_org_t *o, const char *cc);
int regw_org_set_type(regw_org_t *o, const char *type);
int regw_org_set_risk(regw_org_t *o, const char *risk);
int regw_org_add_id(regw_org_t *o, const char *scheme, const char *value);
int regw_org_add_list(regw_org_t *o, const char *list);
int regw_org_add_source(regw_org_t *o, const char *source);
/* An individual's date of birth ("YYYY-MM-DD", "YYYY-MM" or "YYYY": see
 * imp_dates) and nationality (ISO 3166-1 alpha-2), written in the order
 * added; a repeat is dropped. 0, or -1 on OOM. */
int regw_org_add_birth_date(regw_org_t *o, const char *date);
int regw_org_add_nationality(regw_org_t *o, const char *cc);
/* Whether its type is "individual". */
bool regw_org_is_individual(const regw_org_t *o);
/* Tags, and relations to other organisations (kind, target id), written
 * after the lists; a repeated tag or relation is dropped. 0, or -1 on OOM. */
int regw_org_add_tag(regw_org_t *o, const char *tag);
int regw_org_add_relation(regw_org_t *o, const char *kind, const char *target);
/* The organisation's name ("" if unset; owned by the organisation). */
const char *regw_org_name(const regw_org_t *o);

/* Counts a skipped record under reason (a static string). */
void regw_skip(regw_t *w, const char *reason);
/* Counts a note (e.g. a country the table does not know) for the summary. */
void regw_note(regw_t *w, const char *what);

size_t regw_count(const regw_t *w);

/* Keeps only the organisations whose ids are in ids[0..n) and drops the
 * rest; why (borrowed, e.g. the selection file's name) is named in the
 * rendered header. Returns 0; 1 with *missing set to the index of an id
 * no organisation has (nothing dropped then); -1 on OOM. */
int regw_retain(regw_t *w, const char *const *ids, size_t n, const char *why, size_t *missing);

/* The file's header comment, for a format whose file says more than the
 * generic header (ca-nro: the repairs it made): whole '#' lines, each
 * ending in '\n' (copied). It replaces the title, the sources and the
 * counts; the selection and skip lines still follow. 0, or -1 on OOM. */
int regw_set_header(regw_t *w, const char *text);

/* Writes the organisations in the order they were made, not by id. */
void regw_keep_order(regw_t *w);

/* Renders the registry file into out (appended): a header comment (title,
 * each source file's basename and SHA-256, counts; or regw_set_header's),
 * the lists in id order, the organisations in id order (digit runs
 * compared as numbers; or as made, regw_keep_order). Same content, same
 * bytes. out->oom reports an allocation failure. */
void regw_render(regw_t *w, const char *title, sbuf_t *out);

/* Appends s to out as a libconfig string literal (quotes and backslashes
 * escaped), as the registry file writes strings. */
void regw_quote(sbuf_t *out, const char *s);

/* The summary for stderr: organisations written, skipped records by reason. */
void regw_summary(const regw_t *w, sbuf_t *out);

#endif
