/* SPDX-License-Identifier: Apache-2.0 */
/* expr_lex.c -- the condition language's lexer: source bytes to tokens, with columns. */
#include "expr_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tk_text[EXPR_TK__COUNT] = {
#define EXPR_TK_TEXT(name, text) text,
    EXPR_TOKENS(EXPR_TK_TEXT)
#undef EXPR_TK_TEXT
};

void
expr_error(const expr_loc_t *loc, int col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_add(loc->d, loc->file, loc->line, col, "%s", msg);
}

const char *
expr_tk_text(expr_tk_t k)
{
    return (unsigned)k < EXPR_TK__COUNT ? tk_text[k] : NULL;
}

const char *
expr_tok_desc(const expr_tok_t *t, char *buf, size_t cap)
{
    /* Long literals are cut: the column already says where they are. */
    int n = t->len > 40 ? 40 : (int)t->len;
    const char *more = t->len > 40 ? "..." : "";
    switch (t->kind) {
    case EXPR_TK_EOF: snprintf(buf, cap, "end of condition"); break;
    case EXPR_TK_STRING: snprintf(buf, cap, "string %.*s%s", n, t->text, more); break;
    case EXPR_TK_NUMBER: snprintf(buf, cap, "number %.*s%s", n, t->text, more); break;
    default: snprintf(buf, cap, "'%.*s%s'", n, t->text, more); break;
    }
    return buf;
}

static bool
is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Identifiers may contain '-' (context keys such as "funding-body"):
 * the language has no minus operator, so this is unambiguous. */
static bool
is_ident_char(int c)
{
    return is_ident_start(c) || is_digit(c) || c == '-';
}

static expr_tk_t
keyword(const char *s, size_t n)
{
    for (int k = EXPR_TK_AND; k < EXPR_TK__COUNT; k++)
        if (strlen(tk_text[k]) == n && memcmp(tk_text[k], s, n) == 0)
            return (expr_tk_t)k;
    return EXPR_TK_IDENT;
}

/* Scans the string literal starting at the quote src[*i]; fills t.
 * Returns 0 or -1 after reporting. */
static int
lex_string(const char *src, size_t *i, arena_t *a, const expr_loc_t *loc, expr_tok_t *t)
{
    size_t start = *i, j = start + 1;
    /* The unescaped value is never longer than the literal. */
    size_t cap = 0;
    while (src[j + cap] != '\0')
        cap++;
    char *out = arena_alloc(a, cap + 1);
    if (out == NULL) {
        expr_error(loc, t->col, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (;;) {
        char c = src[j];
        if (c == '\0') {
            expr_error(loc, t->col, "unterminated string");
            return -1;
        }
        if (c == '"')
            break;
        if (c == '\\') {
            char e = src[j + 1];
            if (e == '"' || e == '\\') {
                out[n++] = e;
                j += 2;
                continue;
            }
            if (e == '\0') {
                expr_error(loc, t->col, "unterminated string");
                return -1;
            }
            if ((unsigned char)e < 0x20 || (unsigned char)e >= 0x7f)
                expr_error(loc, (int)j + 1,
                           "invalid escape in string (only \\\" and \\\\ are allowed)");
            else
                expr_error(loc, (int)j + 1,
                           "invalid escape '\\%c' in string (only \\\" and \\\\ are allowed)", e);
            return -1;
        }
        out[n++] = c;
        j++;
    }
    out[n] = '\0';
    t->kind = EXPR_TK_STRING;
    t->str = out;
    t->len = j + 1 - start;
    *i = j + 1;
    return 0;
}

/* Scans digits [. digits], with an optional leading '-'. */
static int
lex_number(const char *src, size_t *i, const expr_loc_t *loc, expr_tok_t *t)
{
    size_t j = *i;
    if (src[j] == '-')
        j++;
    while (is_digit((unsigned char)src[j]))
        j++;
    bool bad = false;
    if (src[j] == '.') {
        j++;
        if (!is_digit((unsigned char)src[j]))
            bad = true;
        while (is_digit((unsigned char)src[j]))
            j++;
    }
    /* "3abc", "1.5.2" and "1." are typos, not two tokens. */
    while (is_ident_char((unsigned char)src[j]) || src[j] == '.') {
        bad = true;
        j++;
    }
    size_t len = j - *i;
    if (bad || len > 64) {
        expr_error(loc, t->col, "malformed number '%.*s'", len > 40 ? 40 : (int)len, src + *i);
        return -1;
    }
    char buf[72];
    memcpy(buf, src + *i, len);
    buf[len] = '\0';
    t->kind = EXPR_TK_NUMBER;
    t->num = strtod(buf, NULL);
    t->len = len;
    *i = j;
    return 0;
}

/* Two-character operators first, then one-character ones. */
static int
lex_punct(const char *src, size_t *i, const expr_loc_t *loc, expr_tok_t *t)
{
    static const expr_tk_t order[] = {
        EXPR_TK_EQ,     EXPR_TK_NE,     EXPR_TK_LE,     EXPR_TK_GE,     EXPR_TK_LT,    EXPR_TK_GT,
        EXPR_TK_LPAREN, EXPR_TK_RPAREN, EXPR_TK_LBRACK, EXPR_TK_RBRACK, EXPR_TK_COMMA, EXPR_TK_DOT,
    };
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        const char *p = tk_text[order[k]];
        size_t n = strlen(p);
        if (strncmp(src + *i, p, n) == 0) {
            t->kind = order[k];
            t->len = n;
            *i += n;
            return 0;
        }
    }
    unsigned char c = (unsigned char)src[*i];
    const char *hint = c == '='    ? " (did you mean '=='?)"
                       : c == '!'  ? " (did you mean '!=' or 'not'?)"
                       : c == '&'  ? " (use 'and')"
                       : c == '|'  ? " (use 'or')"
                       : c == '\'' ? " (strings use double quotes)"
                                   : "";
    if (c >= 0x20 && c < 0x7f)
        expr_error(loc, t->col, "unexpected character '%c'%s", c, hint);
    else
        expr_error(loc, t->col, "unexpected byte 0x%02x", c);
    return -1;
}

int
expr_lex(const char *src, arena_t *a, const expr_loc_t *loc, expr_tok_t **out)
{
    /* At most one token per source byte, plus EOF. */
    size_t srclen = strlen(src);
    expr_tok_t *toks = arena_calloc(a, srclen + 1, sizeof *toks);
    if (toks == NULL) {
        expr_error(loc, 0, "out of memory");
        return -1;
    }
    size_t n = 0, i = 0;
    for (;;) {
        while (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r')
            i++;
        expr_tok_t *t = &toks[n];
        t->col = (int)i + 1;
        t->text = src + i;
        unsigned char c = (unsigned char)src[i];
        if (c == '\0') {
            t->kind = EXPR_TK_EOF;
            t->len = 0;
            n++;
            break;
        }
        if (is_ident_start(c)) {
            size_t j = i;
            while (is_ident_char((unsigned char)src[j]))
                j++;
            t->len = j - i;
            t->kind = keyword(src + i, t->len);
            i = j;
        } else if (c == '"') {
            if (lex_string(src, &i, a, loc, t) != 0)
                return -1;
        } else if (is_digit(c) || (c == '-' && is_digit((unsigned char)src[i + 1]))) {
            if (lex_number(src, &i, loc, t) != 0)
                return -1;
        } else if (lex_punct(src, &i, loc, t) != 0) {
            return -1;
        }
        n++;
    }
    *out = toks;
    return (int)n;
}
