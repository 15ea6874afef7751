/* SPDX-License-Identifier: Apache-2.0 */
/* batch.h -- `vet batch`: screens every record of a CSV or JSONL file
 * through vetd, many requests in flight, one result per record in input
 * order. */
#ifndef BATCH_H
#define BATCH_H

/* Runs `vet batch` with argv[0] == "batch" and the options after it.
 * endpoint (borrowed) and timeout_ms are the defaults the options -e and
 * -t override. Writes the results on stdout, messages (and the progress
 * bar, when stderr is a terminal) on stderr. Returns the exit code: the
 * most severe verdict's if a record was review (10) or prohibited (20),
 * whatever else failed; else, when a record ended in error, the highest
 * error exit (65 bad input or rejected, 69 vetd unavailable or not
 * answering, 70 internal); else 0. 64 on a usage error (nothing sent),
 * 66 when the input cannot be opened, 74 when the output cannot be
 * written. */
int batch_main(const char *endpoint, int timeout_ms, int argc, char **argv);

#endif
