/* SPDX-License-Identifier: Apache-2.0 */
/* request.c -- request defaults and wire-format names. */
#include "request.h"

#include <string.h>

static const char *const op_names[] = {
#define X(e, s) s,
    REQ_OPS(X)
#undef X
};

static const char *const err_names[] = {
#define X(e, s) s,
    REQ_ERRORS(X)
#undef X
};

const char *
req_op_name(req_op_t op)
{
    return (unsigned)op < REQ_OP_COUNT ? op_names[op] : "?";
}

int
req_op_find(const char *name)
{
    for (int i = 0; i < REQ_OP_COUNT; i++)
        if (strcmp(op_names[i], name) == 0)
            return i;
    return -1;
}

const char *
req_err_name(req_err_t e)
{
    return (unsigned)e < ERR_COUNT ? err_names[e] : "internal";
}

void
request_init(request_t *r)
{
    memset(r, 0, sizeof *r);
    r->op = REQ_OP_SCREEN;
    r->current = true;
}
