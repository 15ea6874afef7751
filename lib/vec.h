/* SPDX-License-Identifier: Apache-2.0 */
/* vec.h -- growing a heap array by doubling: the one way the tree does it. */
#ifndef VET_VEC_H
#define VET_VEC_H

#include <stddef.h>

/* Makes room for need elements of elem_size bytes in the heap array
 * whose address is arrayp (a T ** passed as void *: vec_grow(&v, &cap,
 * n + 1, sizeof *v, 16)) and whose capacity is *cap elements. Does
 * nothing when need <= *cap. Otherwise the capacity becomes first_cap
 * (when *cap is 0) or twice *cap, doubled again until it holds need,
 * and the array is reallocated: elements are kept, new ones are not
 * initialised.
 * Returns 0, or -1 (errno ENOMEM) on OOM or when need * elem_size does
 * not fit a size_t; on failure *arrayp and *cap are unchanged and the
 * old array stays valid.
 * Ownership: *arrayp is NULL or from malloc/realloc; the caller owns it
 * before and after (free), and on success it may have moved.
 * The new capacity depends only on *cap, need and first_cap, so
 * parallel arrays that share one capacity each grow from a copy of it,
 * then store the copy:
 *     size_t ca = w->cap, cb = w->cap;
 *     if (vec_grow(&w->a, &ca, n + 1, sizeof *w->a, 16) != 0 ||
 *         vec_grow(&w->b, &cb, n + 1, sizeof *w->b, 16) != 0)
 *         return -1;
 *     w->cap = ca;
 * (If a later array fails, an earlier one is merely larger than the
 * recorded capacity, and grows again from it next time.)
 * elem_size and first_cap must be > 0 (assert). Object pointers are
 * assumed to share void *'s size and representation, as they do on
 * every platform vetd builds for. */
int vec_grow(void *arrayp, size_t *cap, size_t need, size_t elem_size, size_t first_cap);

#endif
