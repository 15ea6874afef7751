/* stats.h -- the daemon's counters: requests by op, verdict and error
 * code, and a latency histogram, kept per worker (single writer, no
 * contention) and summed when someone asks. */
#ifndef VET_STATS_H
#define VET_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "sbuf.h"

#define STATS_VERDICTS 8        /* verdict indexes counted; more fold into the last */

typedef struct stats stats_t;

/* Counters for n_workers writers. Caller owns it (stats_destroy); NULL
 * on OOM. */
stats_t *stats_new(size_t n_workers);
void stats_destroy(stats_t **sp);

/* Records one request answered by worker w: its op (or -1 if it could
 * not be read), its verdict index (-1 if none), its error (ERR_NONE if
 * none) and its latency. Only worker w may call this for w. */
void stats_record(stats_t *s, size_t w, int op, int verdict, req_err_t err,
                  uint64_t latency_us);

/* Counts a reply the server could not deliver: gone, the client had
 * left; otherwise it did not read its replies (its queue was full).
 * Main thread only. */
void stats_undeliverable(stats_t *s, bool gone);

/* Latency at quantile q (0..1) over everything recorded, in µs (upper
 * bound of its bucket, within about 3 %); 0 if nothing was recorded. */
uint64_t stats_quantile(const stats_t *s, double q);

/* Appends the counters as JSON members (no braces):
 * "requests":N,"by_op":{...},"by_verdict":{...},"by_error":{...},
 * "latency_us":{"p50":..,"p99":..,"p999":..,"max":..},"undeliverable":N,
 * "undeliverable_by":{"gone":N,"not_reading":N}.
 * verdict_names (n_verdicts) name the verdict indexes (the current
 * ruleset's), NULL for "verdict_<i>". */
void stats_write_json(const stats_t *s, sbuf_t *b, const char *const *verdict_names,
                      size_t n_verdicts);

#endif
