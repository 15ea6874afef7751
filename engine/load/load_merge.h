/* SPDX-License-Identifier: Apache-2.0 */
/* load_merge.h -- one organisation, one identity: registry entries that are
 * the same body merged into one entity at load (load_merge.c). */
#ifndef VET_LOAD_MERGE_H
#define VET_LOAD_MERGE_H

#include <stdbool.h>
#include <stdio.h>

#include "ruleset.h"

/* Writes what the load merged to out: one line "merged: N entries into M
 * organisations (same_as a, identifier b, name and country c)", or
 * "merged: none ..."; with verbose, a line per merged entry: "merged ID
 * into SURVIVOR (file:line): why". Reads rs only. */
void load_merge_report(const ruleset_t *rs, FILE *out, bool verbose);

#endif
