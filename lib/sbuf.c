/* SPDX-License-Identifier: Apache-2.0 */
/* sbuf.c -- growable byte buffer. */
#include "sbuf.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "vec.h"

void
sbuf_init(sbuf_t *b)
{
    memset(b, 0, sizeof *b);
}

void
sbuf_free(sbuf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void
sbuf_clear(sbuf_t *b)
{
    b->len = 0;
    b->oom = false;
    if (b->data != NULL)
        b->data[0] = '\0';
}

static bool
reserve(sbuf_t *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true; /* the common case, without a call */
    if (vec_grow(&b->data, &b->cap, b->len + extra + 1, 1, 256) != 0) {
        b->oom = true;
        return false;
    }
    return true;
}

void
sbuf_append(sbuf_t *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
sbuf_puts(sbuf_t *b, const char *s)
{
    sbuf_append(b, s, strlen(s));
}

void
sbuf_putc(sbuf_t *b, char c)
{
    sbuf_append(b, &c, 1);
}

void
sbuf_vprintf(sbuf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void
sbuf_printf(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sbuf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Bytes copied as they are into a JSON string literal: printable ASCII
 * but the quote and the backslash. The rest (escapes, bytes >= 0x80)
 * takes the slow path. */
static inline bool
plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Bytes in the well-formed UTF-8 character at the start of s (n > 0
 * bytes), or 0 if none starts there. utf8proc_iterate refuses overlong
 * forms, surrogates, code points past U+10FFFF and characters cut short
 * by n; it reads at most 4 bytes, hence the clamp. */
static size_t
char_len(const char *s, size_t n)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t k =
        utf8proc_iterate((const utf8proc_uint8_t *)s, n < 4 ? (utf8proc_ssize_t)n : 4, &cp);
    return k > 0 ? (size_t)k : 0;
}

void
sbuf_json_str(sbuf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (s == NULL) {
        sbuf_append(b, "null", 4);
        return;
    }
    /* Worst case every byte becomes \u00XX or \ufffd (a well-formed
     * character is copied, so never grows). */
    if (n > (SIZE_MAX - 2) / 6) {
        b->oom = true;
        return;
    }
    if (!reserve(b, n * 6 + 2))
        return;
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        /* Copy the run of bytes that need no care in one go: replies
         * are mostly long plain ASCII strings (reasons, citations). */
        size_t run = i;
        while (run < n && plain((unsigned char)s[run]))
            run++;
        memcpy(o, s + i, run - i);
        o += run - i;
        if (run == n)
            break;
        unsigned char c = (unsigned char)s[run];
        i = run + 1;
        if (c >= 0x80) {
            size_t k = char_len(s + run, n - run);
            if (k > 0) {
                memcpy(o, s + run, k);
                o += k;
                i = run + k;
            } else {
                memcpy(o, "\\ufffd", 6);
                o += 6;
            }
            continue;
        }
        switch (c) {
        case '"':
            *o++ = '\\';
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            *o++ = '\\';
            break;
        case '\n':
            *o++ = '\\';
            *o++ = 'n';
            break;
        case '\r':
            *o++ = '\\';
            *o++ = 'r';
            break;
        case '\t':
            *o++ = '\\';
            *o++ = 't';
            break;
        default:
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

void
sbuf_json_cstr(sbuf_t *b, const char *s)
{
    sbuf_json_str(b, s, s ? strlen(s) : 0);
}

size_t
sbuf_utf8_prefix(const char *s, size_t n)
{
    /* The last byte that is not a continuation byte, 1 to 3 back. */
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        unsigned char c = (unsigned char)s[n - k];
        if ((c & 0xc0) == 0x80)
            continue;
        size_t need = c < 0xc2 || c > 0xf4 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (need <= k)
            return n; /* not a lead byte, or its character is all there */
        if (k == 1)
            return n - 1; /* every lead byte can begin a character */
        /* Does what is there begin a well-formed character? Its second
         * byte is there and carries the only constraint beyond "is a
         * continuation byte" (E0 A0.., ED ..9F, F0 90.., F4 ..8F), so
         * complete it with 0x80s and ask the decoder. */
        char t[4] = {'\x80', '\x80', '\x80', '\x80'};
        memcpy(t, s + n - k, k);
        return char_len(t, need) == need ? n - k : n;
    }
    return n;
}

bool
sbuf_utf8_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = char_len(s + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

void
sbuf_base64(sbuf_t *b, const void *p, size_t n)
{
    const int variant = sodium_base64_VARIANT_ORIGINAL;
    if (n / 3 > (SIZE_MAX - 8) / 4) {
        b->oom = true;
        return;
    }
    size_t cap = sodium_base64_ENCODED_LEN(n, variant); /* with its NUL */
    if (!reserve(b, cap))
        return;
    sodium_bin2base64(b->data + b->len, cap, p, n, variant);
    b->len += cap - 1;
}

char *
sbuf_take(sbuf_t *b)
{
    char *p = b->data;
    if (p == NULL)
        p = calloc(1, 1);
    memset(b, 0, sizeof *b);
    return p;
}
