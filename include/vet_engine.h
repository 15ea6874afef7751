/* SPDX-License-Identifier: Apache-2.0 */
/* vet_engine.h -- embed vetd's screening engine in a C program: load a
 * ruleset, screen JSON requests in-process, no daemon, no ZeroMQ.
 *
 *   char *errs;
 *   vet_engine_t *e = vet_engine_load("rules", &errs);
 *   if (e == NULL) { fputs(errs, stderr); free(errs); exit(1); }
 *   vet_worker_t *w = vet_worker_new();          // one per thread
 *   const char *reply; size_t n;
 *   vet_engine_screen(e, w, json, strlen(json), &reply, &n);
 *   ...
 *   vet_worker_destroy(&w);
 *   vet_engine_destroy(&e);
 *
 * The wire format of requests and replies is docs/PROTOCOL.md. */
#ifndef VET_ENGINE_H
#define VET_ENGINE_H

#include <stddef.h>

#include "vet_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vet_engine vet_engine_t;
typedef struct vet_worker vet_worker_t;

/* Loads and compiles the ruleset directory dir. Returns the engine,
 * caller owns it (vet_engine_destroy); it is immutable and may be shared
 * by any number of threads. On failure returns NULL and, if errors is
 * not NULL, sets *errors to every error found, one "file:line: message"
 * per line (caller frees with free()). */
VET_API vet_engine_t *vet_engine_load(const char *dir, char **errors);
VET_API void vet_engine_destroy(vet_engine_t **ep);

/* The ruleset's version (policy.cfg) and SHA-256 digest (hex) of its
 * files; borrowed, valid as long as the engine. */
VET_API const char *vet_engine_version(const vet_engine_t *e);
VET_API const char *vet_engine_digest(const vet_engine_t *e);

/* Makes profile (a profile of the ruleset's policy.cfg) the one that
 * judges requests naming none, in place of the ruleset's
 * default_profile; NULL restores that. Call it before the engine is
 * shared between threads. Returns 0, or -1 when the ruleset has no such
 * profile (or on OOM), with *error, if error is not NULL, set to a
 * message (caller frees with free()); the default is then unchanged. */
VET_API int vet_engine_set_profile(vet_engine_t *e, const char *profile, char **error);

/* Reads the review register at path (the file vetd owns: vetd.cfg
 * reviews, --reviews; docs/OPERATIONS.md "The review register") and
 * applies it to every later screen, as vetd does: a match a person
 * dismissed is reported apart, a tie a person accepted counts for
 * nothing. A missing file is an empty register. Call it before the
 * engine is shared between threads. Returns 0, or -1 when the register
 * does not read, with *error, if error is not NULL, set to every
 * "path:line: message" (caller frees with free()); the engine then keeps
 * the register it had. */
VET_API int vet_engine_load_reviews(vet_engine_t *e, const char *path, char **error);

/* Per-thread scratch memory (request arena and reply buffer). Caller
 * owns it (vet_worker_destroy); NULL on OOM. Never share one between
 * threads at the same time. */
VET_API vet_worker_t *vet_worker_new(void);
VET_API void vet_worker_destroy(vet_worker_t **wp);

/* Screens one request (len bytes of JSON). Sets *reply to the reply
 * JSON (NUL-terminated, *reply_len bytes), borrowed from the worker and
 * valid until its next call. Returns 0 for a verdict reply, 1 for an
 * error reply (bad_request, too_large, unknown_op...), -1 if out of
 * memory (no reply). Admin ops other than "taxonomy" and "profiles" are
 * for the daemon and answer unknown_op here. */
VET_API int vet_engine_screen(const vet_engine_t *e, vet_worker_t *w, const char *json, size_t len,
                              const char **reply, size_t *reply_len);

/* Coverage (vet-replay --coverage): which rules fired, how often each
 * top-level `and` conjunct of a rule's condition held, which registry
 * entries matched. Off unless asked, so screening costs nothing more:
 * a worker counts once vet_worker_cover has given it a counter block,
 * and only into its own block, so counting takes no lock.
 *
 * Makes w count the requests it screens with e from its next
 * vet_engine_screen on (w must screen with e only while it counts;
 * calling it again starts again from zero). Returns 0, or -1 on OOM. */
VET_API int vet_worker_cover(vet_worker_t *w, const vet_engine_t *e);

/* The coverage report of e over the counts of the n workers ws (each
 * counting for e, vet_worker_cover; one not counting adds nothing): a
 * text, one item per line, the rules that never fired marked "NEVER
 * FIRED", the conjuncts that never held "NEVER HELD", then the registry
 * entries never matched, by list (docs/RULES.md, "Coverage"). Call it
 * when no worker is screening. Caller owns the string (free()); NULL on
 * OOM. */
VET_API char *vet_engine_coverage(const vet_engine_t *e, vet_worker_t *const *ws, size_t n);

#ifdef __cplusplus
}
#endif

#endif
