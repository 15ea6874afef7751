/* SPDX-License-Identifier: Apache-2.0 */
/* fold.c -- the forms strings are compared in: names, identifier keys, abbreviations, singulars. */
#include "fold.h"

#include <stdio.h>
#include <string.h>

#include "match_int.h"
#include "norm.h"

int
fold_name(arena_t *a, const char *name, const char **out, size_t *outlen, char *msg, size_t msgcap)
{
    const char *s;
    size_t len;
    if (norm_text(a, name, strlen(name), &s, &len, msg, msgcap) != 0)
        return -1;
    *out = s;
    *outlen = len;
    bool run = false;
    for (size_t i = 0; i + 2 < len && !run; i++)
        run = (i == 0 || s[i - 1] == ' ') && s[i] >= 'a' && s[i] <= 'z' && s[i + 1] == ' ' &&
              s[i + 2] >= 'a' && s[i + 2] <= 'z' && (i + 3 == len || s[i + 3] == ' ');
    if (!run)
        return 0;
    char *j = arena_alloc(a, len + 1);
    if (j == NULL) {
        if (msg != NULL && msgcap > 0)
            snprintf(msg, msgcap, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        /* Drop a space between two one-letter words. */
        bool single_before =
            i >= 1 && s[i - 1] >= 'a' && s[i - 1] <= 'z' && (i == 1 || s[i - 2] == ' ');
        bool single_after =
            i + 1 < len && s[i + 1] >= 'a' && s[i + 1] <= 'z' && (i + 2 == len || s[i + 2] == ' ');
        if (s[i] == ' ' && single_before && single_after)
            continue;
        j[n++] = s[i];
    }
    j[n] = '\0';
    *out = j;
    *outlen = n;
    return 0;
}

size_t
fold_id_key(const char *scheme, const char *value, char *out)
{
    size_t n = 0;
    const char *parts[2] = {scheme, value};
    for (int p = 0; p < 2; p++) {
        const char *s = parts[p];
        size_t len = strlen(s), lo = 0;
        while (lo < len && (s[lo] == ' ' || s[lo] == '\t'))
            lo++;
        while (len > lo && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        for (size_t i = lo; i < len; i++) {
            char c = s[i];
            if (p == 1 && (c == ' ' || c == '-' || c == '\t'))
                continue;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c + ('a' - 'A'));
            out[n++] = c;
        }
        if (p == 0)
            out[n++] = '\x1f';
    }
    out[n] = '\0';
    return n;
}

/* ---- tokens ------------------------------------------------------------ */

size_t
fold_token(const mwords_t *w, const char *s, size_t len, const char **out)
{
    *out = s;
    size_t tl;
    const char *t = w != NULL ? words_map(w, s, len, &tl) : NULL;
    /* Only abbreviations ("univ", "natl"): a spelling variant of the
     * same length ("defence", "organisation", "centre") keeps its own
     * token, so that its typos ("defenec") stay within reach; the
     * canonical key already makes the two spellings one name. */
    if (t != NULL && memchr(t, ' ', tl) == NULL && tl >= len + 2) {
        *out = t;
        return tl;
    }
    return len;
}

/* The singular of a plain ASCII word of 5+ letters, by Harman's
 * S-stemmer (-ies -> -y, -es -> -e, -s -> -, sparing -aes -ees -oes -us
 * -ss), written into buf (len + 1 bytes). Returns its length, or 0 if
 * the token has no such form. Plurals are a third way two tokens can be
 * similar (besides equality and typos): "Technologies" ~ "Technology"
 * is three edits, too many for the typo rule. Only used to find and
 * accept similar tokens, never to rewrite them: stemming would shorten
 * words like "Cazares" and cost them their typo tolerance. */
static size_t
stem_token(const int32_t *cp, int n, char *buf)
{
    if (n < 5 || cp[n - 1] != 's')
        return 0;
    for (int i = 0; i < n; i++) {
        if (cp[i] < 'a' || cp[i] > 'z')
            return 0;
        buf[i] = (char)cp[i];
    }
    size_t m = (size_t)n;
    if (cp[n - 2] == 'e' && cp[n - 3] == 'i' && cp[n - 4] != 'e' && cp[n - 4] != 'a') {
        buf[n - 3] = 'y';
        m = (size_t)n - 2;
    } else if (cp[n - 2] == 'e') {
        if (cp[n - 3] == 'a' || cp[n - 3] == 'e' || cp[n - 3] == 'o')
            return 0;
        m = (size_t)n - 1;
    } else if (cp[n - 2] == 'u' || cp[n - 2] == 's')
        return 0;
    else
        m = (size_t)n - 1;
    buf[m] = '\0';
    return m;
}

size_t
fold_stem(const char *s, size_t len, char *buf)
{
    int32_t cp[MAX_TOKCP];
    if (len < 5 || len > MAX_TOKCP)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 'a' || s[i] > 'z')
            return 0;
        cp[i] = (unsigned char)s[i];
    }
    return stem_token(cp, (int)len, buf);
}

int
fold_singular(const int32_t *cp, int n, int32_t *out)
{
    char buf[MAX_TOKCP + 1];
    size_t m = stem_token(cp, n, buf);
    if (m > 0) {
        for (size_t i = 0; i < m; i++)
            out[i] = (unsigned char)buf[i];
        return (int)m;
    }
    if (n < 4)
        return 0;
    for (int i = 0; i < n; i++) {
        if (cp[i] < 'a' || cp[i] > 'z')
            return 0;
        out[i] = cp[i];
    }
    return n;
}

static bool
is_digit_cp(int32_t c)
{
    if (c < 0x80)
        return c >= '0' && c <= '9';
    /* Normalised text keeps only letters and numbers: a non-ASCII code
     * point is a number if it is in one of the decimal-digit blocks;
     * exotic numerals are rare enough in names to be treated as letters. */
    return (c >= 0x660 && c <= 0x669) || (c >= 0x6f0 && c <= 0x6f9) || (c >= 0xff10 && c <= 0xff19);
}

bool
fold_typo_tolerant(const int32_t *cp, int n)
{
    if (n < MIN_FUZZY_CP || n > MAX_TOKCP)
        return false;
    for (int i = 0; i < n; i++)
        if (is_digit_cp(cp[i]) || cp[i] >= 0x2e80)
            return false;
    return true;
}
