/* SPDX-License-Identifier: Apache-2.0 */
/* norm.c -- the one canonical form of names and text (see norm.h). */
#include "norm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/* NFKC + case fold + marks stripped in one decomposition pass; the
 * recomposition (COMPOSE) runs in utf8proc_normalize_utf32. utf8proc
 * refuses STRIPMARK unless COMPOSE or DECOMPOSE is also given. */
#define NORM_DECOMPOSE_OPTS                                                                        \
    (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK)
#define NORM_COMPOSE_OPTS (UTF8PROC_STABLE | UTF8PROC_COMPOSE)

/* Words that say what kind of body a name belongs to, not which one.
 * Three groups, nothing else:
 *  - legal forms (English, continental, post-Soviet, Gulf free zones;
 *    spelled out too: "sociedad anonima", "joint stock", "pvt"),
 *    as they come out of normalisation ("Co., Ltd." -> "co ltd",
 *    "OOO" and its Cyrillic spelling "ооо");
 *  - function words of the languages registry names are written in;
 *  - a few words that only qualify a business ("group", "holding",
 *    "trading", "enterprise", "international");
 *  - Chinese legal forms in pinyin ("youxian gongsi", "youxian zeren
 *    gongsi": limited (liability) company).
 * Frequent but identifying words ("university", "institute", "academy",
 * "technology") are NOT here: they separate "Harbin Institute of
 * Technology" from "Harbin University of Science and Technology", and
 * their commonness is already priced by the matcher's IDF weights.
 * Sorted by bytes (memcmp order) for bsearch; Cyrillic (0xd0/0xd1 lead
 * bytes) therefore sorts after every ASCII word. */
static const char *const stopwords[] = {
    "ab",
    "ag",
    "and",
    "anonima",
    "ao",
    "at",
    "bhd",
    "bv",
    "by",
    "cjsc",
    "co",
    "company",
    "corp",
    "corporation",
    "da",
    "das",
    "de",
    "del",
    "della",
    "der",
    "des",
    "di",
    "die",
    "do",
    "dos",
    "du",
    "el",
    "enterprise",
    "enterprises",
    "et",
    "for",
    "from",
    "fur",
    "fzc",
    "fzco",
    "fze",
    "gmbh",
    "gongsi",
    "group",
    "holding",
    "holdings",
    "in",
    "inc",
    "incorporated",
    "international",
    "intl",
    "joint",
    "jsc",
    "kg",
    "la",
    "las",
    "le",
    "les",
    "liability",
    "limited",
    "llc",
    "llp",
    "los",
    "lp",
    "ltd",
    "nv",
    "oao",
    "of",
    "ojsc",
    "on",
    "ooo",
    "oy",
    "pao",
    "pjsc",
    "plc",
    "pte",
    "pty",
    "pvt",
    "sa",
    "sarl",
    "sas",
    "sdn",
    "sociedad",
    "spa",
    "srl",
    "stock",
    "the",
    "to",
    "trading",
    "und",
    "von",
    "with",
    "y",
    "youxian",
    "zao",
    "zeren",
    "\xd0\xb0\xd0\xbe",         /* ао */
    "\xd0\xb2",                 /* в */
    "\xd0\xb7\xd0\xb0\xd0\xbe", /* зао */
    "\xd0\xb8",                 /* и */
    "\xd0\xbe\xd0\xb0\xd0\xbe", /* оао */
    "\xd0\xbe\xd0\xbe\xd0\xbe", /* ооо */
    "\xd0\xbf\xd0\xb0\xd0\xbe", /* пао */
};

typedef struct tokkey {
    const char *s; /* token bytes, not NUL-terminated */
    size_t len;    /* their count */
} tokkey_t;

static int
stopword_cmp(const void *k, const void *e)
{
    const tokkey_t *key = k;
    const char *w = *(const char *const *)e;
    size_t wl = strlen(w);
    int c = memcmp(key->s, w, key->len < wl ? key->len : wl);
    if (c != 0)
        return c;
    return key->len < wl ? -1 : key->len > wl;
}

bool
norm_is_stopword(const char *tok, size_t len)
{
    if (len == 0 || len > 16)
        return false;
    tokkey_t key = {tok, len};
    return bsearch(&key, stopwords, sizeof stopwords / sizeof stopwords[0], sizeof stopwords[0],
                   stopword_cmp) != NULL;
}

const char *
norm_stopword(size_t i)
{
    return i < sizeof stopwords / sizeof stopwords[0] ? stopwords[i] : NULL;
}

bool
norm_all_stopwords(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && s[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && s[i] != ' ')
            i++;
        if (i > start && !norm_is_stopword(s + start, i - start))
            return false;
    }
    return true;
}

/* Offset of the first byte that is not part of well-formed UTF-8
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), or
 * len if the whole input is valid. */
static size_t
utf8_bad_offset(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned char lo = 0x80, hi = 0xbf; /* range of the 2nd byte */
        if (c >= 0xc2 && c <= 0xdf)
            n = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            else if (c == 0xed)
                hi = 0x9f; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            else if (c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else
            return i;
        if (len - i < n)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k < n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
        i += n;
    }
    return len;
}

bool
norm_valid_utf8(const char *s, size_t len)
{
    return utf8_bad_offset((const unsigned char *)s, len) == len;
}

/* Apostrophes join rather than separate: "People's", "People’s" and
 * "Peoples" are one word, as are "Xi'an" and "Xian". */
static bool
is_apostrophe(int32_t cp)
{
    return cp == 0x27 || cp == 0x60 || cp == 0x2018 || cp == 0x2019 || cp == 0x02bc || cp == 0xff07;
}

static bool
is_word_cp(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return true;
    default: return false;
    }
}

static void
set_err(char *errbuf, size_t errcap, const char *msg, size_t off, bool with_off)
{
    if (errbuf == NULL || errcap == 0)
        return;
    if (with_off)
        snprintf(errbuf, errcap, "%s%zu", msg, off);
    else
        snprintf(errbuf, errcap, "%s", msg);
}

/* The ASCII path: no table lookups beyond the C locale-free tests. */
static int
norm_ascii(arena_t *a, const char *in, size_t len, const char **out, size_t *outlen)
{
    char *o = arena_alloc(a, len + 1);
    if (o == NULL)
        return -1;
    size_t n = 0;
    bool space = false; /* a separator is pending */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\'' || c == '`')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (space && n > 0)
                o[n++] = ' ';
            space = false;
            o[n++] = (char)c;
        } else
            space = true;
    }
    o[n] = '\0';
    *out = o;
    *outlen = n;
    return 0;
}

int
norm_text(arena_t *a, const char *in, size_t len, const char **out, size_t *outlen, char *errbuf,
          size_t errcap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t bad = utf8_bad_offset(s, len);
    if (bad != len) {
        set_err(errbuf, errcap, "invalid UTF-8 at byte ", bad, true);
        return -1;
    }
    bool ascii = true;
    for (size_t i = 0; i < len && ascii; i++)
        ascii = s[i] < 0x80;
    if (ascii) {
        if (norm_ascii(a, in, len, out, outlen) == 0)
            return 0;
        set_err(errbuf, errcap, "out of memory", 0, false);
        return -1;
    }
    if (len > (size_t)INT32_MAX / 8) {
        set_err(errbuf, errcap, "text too long", 0, false);
        return -1;
    }

    /* Decompose into code points from the arena. Most text grows little;
     * if utf8proc says the buffer was short it tells the size needed
     * (U+FDFA alone becomes 18 code points), and we retry once. */
    utf8proc_ssize_t cap = (utf8proc_ssize_t)len + 16;
    int32_t *cps = arena_alloc(a, (size_t)cap * sizeof *cps);
    if (cps == NULL)
        goto oom;
    utf8proc_ssize_t n =
        utf8proc_decompose(s, (utf8proc_ssize_t)len, cps, cap, NORM_DECOMPOSE_OPTS);
    if (n > cap) {
        cap = n;
        if ((cps = arena_alloc(a, (size_t)cap * sizeof *cps)) == NULL)
            goto oom;
        n = utf8proc_decompose(s, (utf8proc_ssize_t)len, cps, cap, NORM_DECOMPOSE_OPTS);
    }
    if (n >= 0 && n <= cap)
        n = utf8proc_normalize_utf32(cps, n, NORM_COMPOSE_OPTS);
    if (n < 0 || n > cap) {
        /* Validated above, so utf8proc has nothing to object to. */
        set_err(errbuf, errcap, "cannot normalise text", 0, false);
        return -1;
    }

    char *o = arena_alloc(a, (size_t)n * 4 + 1);
    if (o == NULL)
        goto oom;
    size_t on = 0;
    bool space = false;
    for (utf8proc_ssize_t i = 0; i < n; i++) {
        int32_t cp = cps[i];
        if (is_apostrophe(cp))
            continue;
        if (cp < 0x80) {
            if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
                if (space && on > 0)
                    o[on++] = ' ';
                space = false;
                o[on++] = (char)cp;
            } else if (cp >= 'A' && cp <= 'Z') {
                /* Case folding already lowered these; kept for safety. */
                if (space && on > 0)
                    o[on++] = ' ';
                space = false;
                o[on++] = (char)(cp + ('a' - 'A'));
            } else
                space = true;
            continue;
        }
        if (cp == 0x0640)
            continue; /* tatweel: stretches a word, is not a letter */
        /* Persian written with Arabic letters (keyboards differ): one form. */
        if (cp == 0x064a || cp == 0x0649)
            cp = 0x06cc; /* ي ى -> ی */
        else if (cp == 0x0643)
            cp = 0x06a9; /* ك -> ک */
        if (!is_word_cp(cp)) {
            space = true;
            continue;
        }
        if (space && on > 0)
            o[on++] = ' ';
        space = false;
        on += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)o + on);
    }
    o[on] = '\0';
    *out = o;
    *outlen = on;
    return 0;
oom:
    set_err(errbuf, errcap, "out of memory", 0, false);
    return -1;
}
