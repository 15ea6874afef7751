/* SPDX-License-Identifier: Apache-2.0 */
/* sbuf.h -- growable byte buffer for replies, messages and JSON output. */
#ifndef VET_SBUF_H
#define VET_SBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* A plain value type: zero-initialise (SBUF_INIT) or sbuf_init, then
 * sbuf_free. data is always NUL-terminated once anything was written.
 * On OOM the buffer sets oom and ignores further writes, so writers
 * check once at the end instead of after every append. */
typedef struct sbuf {
    char *data; /* bytes, NUL-terminated; owned */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
    bool oom;   /* an allocation failed; content is truncated */
} sbuf_t;

#define SBUF_INIT                                                                                  \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

void sbuf_init(sbuf_t *b);
void sbuf_free(sbuf_t *b);
/* Empties the buffer, keeps its memory. */
void sbuf_clear(sbuf_t *b);
void sbuf_append(sbuf_t *b, const char *s, size_t n);
void sbuf_puts(sbuf_t *b, const char *s);
void sbuf_putc(sbuf_t *b, char c);
void sbuf_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vprintf(sbuf_t *b, const char *fmt, va_list ap);
/* Appends s (n bytes) as a JSON string literal with quotes, escaping
 * quotes, backslashes, control characters and DEL. The output is always
 * valid UTF-8, whatever s holds: well-formed characters are copied as
 * they are, and each byte that does not begin one (a stray continuation
 * byte, a character cut short, an overlong form, a surrogate, a code
 * point past U+10FFFF) becomes \ufffd: one per byte, so the count of
 * replacements is the count of bad bytes. s == NULL writes null. */
void sbuf_json_str(sbuf_t *b, const char *s, size_t n);
/* sbuf_json_str of a NUL-terminated string (NULL writes null). */
void sbuf_json_cstr(sbuf_t *b, const char *s);
/* Length of the longest prefix of s (n bytes) that does not end inside
 * a character: n, less the 1 to 3 bytes at the very end that begin a
 * well-formed character cut short there. For cutting text to a byte
 * budget: sbuf_utf8_prefix(body, 512) when body is longer. Only the end
 * is looked at; bad bytes before it stay (sbuf_json_str replaces them). */
size_t sbuf_utf8_prefix(const char *s, size_t n);
/* True if s (n bytes) is well-formed UTF-8 (NUL bytes included). */
bool sbuf_utf8_valid(const char *s, size_t n);
/* Appends p (n bytes) in standard base64 (RFC 4648 alphabet, '='
 * padding), without quotes: its characters need no JSON escape, so a
 * JSON string of it is sbuf_putc(b, '"'), sbuf_base64, sbuf_putc(b, '"').
 * p may be NULL when n is 0. */
void sbuf_base64(sbuf_t *b, const void *p, size_t n);
/* Takes the data out; caller owns it (free). The buffer is reset. */
char *sbuf_take(sbuf_t *b);

#endif
