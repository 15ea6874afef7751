/* SPDX-License-Identifier: Apache-2.0 */
/* exitcode.h -- the exit codes of every vetd program (vetd, vet,
 * vet-import, vet-eval): a verdict's code, then <sysexits.h> for errors
 * (DESIGN.md §3). Programs use the EX_ names of <sysexits.h> directly. */
#ifndef VET_EXITCODE_H
#define VET_EXITCODE_H

#include <sysexits.h>

enum {
    VET_EXIT_CLEAR = EX_OK,   /* a clear verdict, or success */
    VET_EXIT_FAIL = 1,        /* a check that ran and failed (vetd --test, --check) */
    VET_EXIT_REVIEW = 10,     /* a review verdict */
    VET_EXIT_PROHIBITED = 20, /* a prohibited verdict */
};

#endif
