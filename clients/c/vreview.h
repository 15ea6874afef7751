/* SPDX-License-Identifier: Apache-2.0 */
/* vreview.h -- `vet review`: the review register's editor (vreview.c). */
#ifndef VREVIEW_H
#define VREVIEW_H

#include <stdbool.h>

/* Runs `vet review ACTION ...` (argv[0] is "review") against vetd at
 * endpoint, with the common options already read (timeout_ms, json).
 * Returns the exit code. */
int review_main(const char *endpoint, int timeout_ms, bool json, int argc, char **argv);

#endif
