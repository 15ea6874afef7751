/* SPDX-License-Identifier: Apache-2.0 */
/* stats.h -- the daemon's counters: requests by op, verdict and error
 * code, and a latency histogram, kept per worker (single writer, no
 * contention) and summed when someone asks. */
#ifndef VET_STATS_H
#define VET_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "request.h"

/* Verdict indexes counted; more fold into the last. The size of the
 * snapshot's array (proto_counters_t), which the stats reply writes. */
#define STATS_VERDICTS PROTO_STATS_VERDICTS

typedef struct stats stats_t;

/* Counters for n_workers writers. Caller owns it (stats_destroy); NULL
 * on OOM. */
stats_t *stats_new(size_t n_workers);
void stats_destroy(stats_t **sp);

/* Records one request answered by worker w: its op (or -1 if it could
 * not be read), its verdict index (-1 if none), its error (ERR_NONE if
 * none) and its latency. Only worker w may call this for w. */
void stats_record(stats_t *s, size_t w, int op, int verdict, req_err_t err, uint64_t latency_us);

/* Counts a reply the server could not deliver: gone, the client had
 * left; otherwise it did not read its replies (its queue was full).
 * Main thread only. */
void stats_undeliverable(stats_t *s, bool gone);

/* Latency at quantile q (0..1) over everything recorded, in µs (upper
 * bound of its bucket, within about 3 %); 0 if nothing was recorded. */
uint64_t stats_quantile(const stats_t *s, double q);

/* Fills *out with the counters summed over every worker, and the
 * latency quantiles p50, p99 and p999 (as stats_quantile). Each counter
 * is a snapshot; the stats reply (proto_write_stats) writes them. Safe
 * from any thread. */
void stats_snapshot(const stats_t *s, proto_counters_t *out);

#endif
