/* SPDX-License-Identifier: Apache-2.0 */
/* vocab.c -- vocabulary lookup and typo suggestions. */
#include "vocab.h"

#include <string.h>

int
vocab_find(const vocab_t *v, const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->names[i], name) == 0)
            return (int)i;
    return -1;
}

int
vocab_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 255)
        la = 255;
    if (lb > 255)
        lb = 255;
    unsigned char row[256];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned char)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned prev = row[0]; /* row[i-1][j-1] */
        row[0] = (unsigned char)(i > 255 ? 255 : i);
        for (size_t j = 1; j <= lb; j++) {
            unsigned cur = row[j];
            unsigned best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1u < best)
                best = row[j] + 1u;
            if (row[j - 1] + 1u < best)
                best = row[j - 1] + 1u;
            row[j] = (unsigned char)(best > 255 ? 255 : best);
            prev = cur;
        }
    }
    return row[lb];
}

const char *
vocab_suggest(const vocab_t *v, const char *name)
{
    if (name == NULL)
        return NULL;
    int len = (int)strlen(name);
    int limit = len / 3 > 2 ? len / 3 : 2;
    const char *best = NULL;
    int bestd = limit + 1;
    for (size_t i = 0; i < v->n; i++) {
        int d = vocab_distance(name, v->names[i]);
        if (d < bestd) {
            bestd = d;
            best = v->names[i];
        }
    }
    return best;
}
