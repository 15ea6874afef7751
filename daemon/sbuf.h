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
    char *data;             /* bytes, NUL-terminated; owned */
    size_t len;             /* bytes used, excluding the NUL */
    size_t cap;             /* bytes allocated */
    bool oom;               /* an allocation failed; content is truncated */
} sbuf_t;

#define SBUF_INIT { NULL, 0, 0, false }

void sbuf_init(sbuf_t *b);
void sbuf_free(sbuf_t *b);
/* Empties the buffer, keeps its memory. */
void sbuf_clear(sbuf_t *b);
void sbuf_append(sbuf_t *b, const char *s, size_t n);
void sbuf_puts(sbuf_t *b, const char *s);
void sbuf_putc(sbuf_t *b, char c);
void sbuf_printf(sbuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sbuf_vprintf(sbuf_t *b, const char *fmt, va_list ap);
/* Appends s (n bytes) as a JSON string literal with quotes, escaping
 * quotes, backslashes and control characters; bytes >= 0x80 are copied
 * as they are (the engine only stores valid UTF-8). s == NULL writes null. */
void sbuf_json_str(sbuf_t *b, const char *s, size_t n);
/* sbuf_json_str of a NUL-terminated string (NULL writes null). */
void sbuf_json_cstr(sbuf_t *b, const char *s);
/* Takes the data out; caller owns it (free). The buffer is reset. */
char *sbuf_take(sbuf_t *b);

#endif
