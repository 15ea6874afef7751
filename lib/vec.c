/* SPDX-License-Identifier: Apache-2.0 */
/* vec.c -- growing a heap array by doubling. */
#include "vec.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
vec_grow(void *arrayp, size_t *cap, size_t need, size_t elem_size, size_t first_cap)
{
    assert(arrayp != NULL && cap != NULL && elem_size > 0 && first_cap > 0);
    if (need <= *cap)
        return 0;
    size_t max = SIZE_MAX / elem_size; /* most elements a size_t can measure */
    if (need > max) {
        errno = ENOMEM;
        return -1;
    }
    /* Doubling stops at max rather than wrap: need fits, so max does. */
    size_t ncap = *cap == 0 ? first_cap : *cap > max / 2 ? max : *cap * 2;
    while (ncap < need)
        ncap = ncap > max / 2 ? max : ncap * 2;
    if (ncap > max)
        ncap = max; /* a first_cap too large for elem_size */
    /* The T * is read and written as bytes: no void ** alias of a T **. */
    void *old;
    memcpy(&old, arrayp, sizeof old);
    void *p = realloc(old, ncap * elem_size);
    if (p == NULL)
        return -1;
    memcpy(arrayp, &p, sizeof p);
    *cap = ncap;
    return 0;
}
