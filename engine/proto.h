/* proto.h -- the wire format (DESIGN.md §3, docs/PROTOCOL.md): JSON
 * request -> request_t, result_t -> JSON reply. Used unchanged by
 * `vetd --screen` and by the daemon's workers. */
#ifndef VET_PROTO_H
#define VET_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "request.h"
#include "ruleset.h"
#include "sbuf.h"

/* Parses len bytes of JSON (need not be NUL-terminated) into *req, with
 * every string copied into a (valid until it is reset). Returns 0, or -1
 * with *code (ERR_BAD_REQUEST, ERR_UNKNOWN_OP, ERR_TOO_LARGE) and *msg
 * (allocated in a, naming the field: "partner.name: expected a string",
 * "unknown field \"techs\"", "invalid JSON at byte 17"). req->id is set
 * whenever the id could be read, even on error, so the error reply can
 * echo it. Unknown top-level and partner fields are errors; anything
 * goes inside context (string, number or bool values; bools read as
 * "true"/"false"). Requests over max_len bytes (0: no limit) are
 * ERR_TOO_LARGE without being parsed. */
int proto_parse(const char *json, size_t len, size_t max_len, arena_t *a,
                request_t *req, req_err_t *code, const char **msg);

/* Appends the reply to a screened request (one JSON object, no newline). */
void proto_write_result(sbuf_t *b, const ruleset_t *rs, const request_t *req,
                        const result_t *res, uint64_t elapsed_us);

/* Appends an error reply: {"id":...,"error":{"code":...,"message":...}};
 * id may be NULL (omitted). */
void proto_write_error(sbuf_t *b, const char *id, req_err_t code,
                       const char *msg);

/* Appends the taxonomy reply ({"categories":[...],"activities":[...],
 * "verdicts":[...]}), with the id if not NULL. */
void proto_write_taxonomy(sbuf_t *b, const ruleset_t *rs, const char *id);

/* Appends req in the wire format (a valid request that screens the
 * same), for the audit log. Fields named in mask (n_mask of them:
 * "partner.name", "partner.aliases", "partner.country", "partner.ids",
 * "text", "context" or "context.KEY"; a group masks what it holds)
 * are written as "***". */
void proto_write_request(sbuf_t *b, const request_t *req, const char *const *mask,
                         size_t n_mask);

#endif
