/* SPDX-License-Identifier: Apache-2.0 */
/* vreview.h -- `vet review`: the review register's editor (vreview.c). */
#ifndef VREVIEW_H
#define VREVIEW_H

#include "vetcli.h"

/* Runs `vet review ACTION ...` (argv[0] is "review") against vetd with
 * the common options already read (conn, borrowed). Returns the exit
 * code. */
int review_main(const vetcli_conn_t *conn, int argc, char **argv);

#endif
