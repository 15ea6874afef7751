/* SPDX-License-Identifier: Apache-2.0 */
/* registry.c -- small queries on immutable entities. */
#include "registry.h"

static bool
has_sym(const uint16_t *v, unsigned n, unsigned sym)
{
    /* Sorted and short (a few entries): a linear scan beats bsearch. */
    for (unsigned i = 0; i < n && v[i] <= sym; i++)
        if (v[i] == sym)
            return true;
    return false;
}

bool
reg_has_list(const reg_entity_t *e, unsigned sym)
{
    return has_sym(e->lists, e->n_lists, sym);
}

bool
reg_has_tag(const reg_entity_t *e, unsigned sym)
{
    return has_sym(e->tags, e->n_tags, sym);
}
