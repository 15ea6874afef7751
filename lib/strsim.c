/* SPDX-License-Identifier: Apache-2.0 */
/* strsim.c -- string similarity on code points: decoding, OSA distance, one swap, Jaro-Winkler. */
#include "strsim.h"

#include <assert.h>
#include <stdlib.h>

int
strsim_decode(const char *s, size_t len, int32_t *cp, int cap)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    int n = 0;
    while (p < end) {
        if (n == cap)
            return -1;
        unsigned c = *p;
        int32_t v;
        if (c < 0x80) {
            v = (int32_t)c;
            p += 1;
        } else if (c < 0xe0) {
            v = (int32_t)(((c & 0x1f) << 6) | (p[1] & 0x3f));
            p += 2;
        } else if (c < 0xf0) {
            v = (int32_t)(((c & 0x0f) << 12) | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f));
            p += 3;
        } else {
            v = (int32_t)(((c & 0x07) << 18) | ((p[1] & 0x3f) << 12) | ((p[2] & 0x3f) << 6) |
                          (p[3] & 0x3f));
            p += 4;
        }
        cp[n++] = v;
    }
    return n;
}

/* True if a[0..n) and b[0..n) are equal. */
static bool
same_cp(const int32_t *a, const int32_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

bool
strsim_one_swap(const int32_t *a, int la, const int32_t *b, int lb)
{
    if (la != lb)
        return false;
    int i = 0;
    while (i < la && a[i] == b[i])
        i++;
    return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           same_cp(a + i + 2, b + i + 2, la - i - 2);
}

/* strsim_osa_within for k = 1, the budget of most words (6 to 12
 * letters), in one pass instead of the table: after the common prefix,
 * one substitution, swap, insertion or deletion must leave the rest
 * equal. The lengths differ by one at most. */
static int
osa_one(const int32_t *a, int la, const int32_t *b, int lb)
{
    int i = 0, m = la < lb ? la : lb;
    while (i < m && a[i] == b[i])
        i++;
    if (la == lb) {
        if (i == la || same_cp(a + i + 1, b + i + 1, la - i - 1))
            return i == la ? 0 : 1;
        return strsim_one_swap(a, la, b, lb) ? 1 : 2;
    }
    return la > lb ? (same_cp(a + i + 1, b + i, lb - i) ? 1 : 2)
                   : (same_cp(a + i, b + i + 1, la - i) ? 1 : 2);
}

int
strsim_osa_within(const int32_t *a, int la, const int32_t *b, int lb, int k)
{
    assert(la >= 0 && la <= STRSIM_MAX_CP && lb >= 0 && lb <= STRSIM_MAX_CP);
    assert(k >= 0 && k < 255);
    if (abs(la - lb) > k)
        return k + 1;
    if (la == 0 || lb == 0)
        return la + lb; /* (the rows below would find no column) */
    if (k == 1)
        return osa_one(a, la, b, lb);
    uint8_t d[STRSIM_MAX_CP + 1][STRSIM_MAX_CP + 1];
    for (int i = 0; i <= la; i++)
        d[i][0] = (uint8_t)i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = (uint8_t)j;
    for (int i = 1; i <= la; i++) {
        int rowmin = 255;
        for (int j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < c)
                c = d[i - 2][j - 2] + 1;
            d[i][j] = (uint8_t)c;
            if (c < rowmin)
                rowmin = c;
        }
        if (rowmin > k)
            return k + 1;
    }
    return d[la][lb] > k ? k + 1 : d[la][lb];
}

double
strsim_jaro_winkler(const int32_t *a, int la, const int32_t *b, int lb)
{
    assert(la >= 0 && la <= STRSIM_MAX_CP && lb >= 0 && lb <= STRSIM_MAX_CP);
    if (la == 0 || lb == 0)
        return 0.0;
    int win = (la > lb ? la : lb) / 2 - 1;
    if (win < 0)
        win = 0;
    bool ma[STRSIM_MAX_CP] = {false}, mb[STRSIM_MAX_CP] = {false};
    int m = 0;
    for (int i = 0; i < la; i++) {
        int lo = i - win < 0 ? 0 : i - win, hi = i + win + 1 > lb ? lb : i + win + 1;
        for (int j = lo; j < hi; j++)
            if (!mb[j] && a[i] == b[j]) {
                ma[i] = mb[j] = true;
                m++;
                break;
            }
    }
    if (m == 0)
        return 0.0;
    int t = 0;
    for (int i = 0, j = 0; i < la; i++) {
        if (!ma[i])
            continue;
        while (!mb[j])
            j++;
        if (a[i] != b[j])
            t++;
        j++;
    }
    double jaro = ((double)m / la + (double)m / lb + (double)(m - t / 2) / m) / 3.0;
    int p = 0;
    while (p < 4 && p < la && p < lb && a[p] == b[p])
        p++;
    return jaro + p * 0.1 * (1.0 - jaro);
}
