/* SPDX-License-Identifier: Apache-2.0 */
/* admin.h -- the daemon's admin ops (ping, version, stats, reload) and
 * the ruleset gates every load passes: this module gathers what a reply
 * says, proto (proto_write_version, _stats, _reload...) writes it. */
#ifndef VET_ADMIN_H
#define VET_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "ruleset.h"
#include "sbuf.h"
#include "server.h"
#include "vlog.h"

/* Loads cfg->rules at start-up through the gates (nothing serves yet,
 * so the shrink gate passes). Returns the ruleset (caller owns it:
 * ruleset_destroy, or hand it to rsh_swap) with *took_us its load time,
 * or NULL with every reason logged. */
ruleset_t *admin_load_first(server_t *s, uint64_t *took_us);

/* Reloads cfg->rules through the gates; if they all pass, swaps the new
 * ruleset in. force passes the shrink gate. When reply is not NULL,
 * appends the reply to the reload op (id borrowed, may be NULL).
 * Serialised with other reloads; the calling thread must not hold a
 * ruleset pinned (the swap frees the old one once nobody does). */
void admin_reload(server_t *s, sbuf_t *reply, const char *id, bool force);

/* Logs a warning for each list of rs past its maximum age (as_of plus
 * max_age_days): its verdicts may miss parties listed since. Called at
 * every (re)load; replies and stats say it too. */
void admin_log_stale(vlog_t *log, const ruleset_t *rs);

/* Answers admin op req->op (REQ_OP_PING, _VERSION, _STATS or _RELOAD)
 * into reply, for the worker of rsh slot `slot`, which has *rs pinned
 * (NULL: no ruleset). A reload unpins it first and pins the ruleset then
 * current, stored back in *rs. */
void admin_answer(server_t *s, size_t slot, const request_t *req, const ruleset_t **rs,
                  sbuf_t *reply);

#endif
