/* SPDX-License-Identifier: Apache-2.0 */
/* bjson.c -- a non-allocating JSONL line check that finds the top-level "id" and "profile". */
#include "bjson.h"

#include <string.h>

#define MAX_DEPTH 1000 /* cJSON's nesting limit: deeper is refused */

/* Where a scan is; what it found goes to r. */
typedef struct cursor {
    const char *s;   /* the line; borrowed */
    size_t n, i;     /* its length, the position */
    bjson_scan_t *r; /* the result being filled; borrowed */
} cursor_t;

static bool
scan_fail(cursor_t *j, const char *msg)
{
    if (j->r->err == NULL) {
        j->r->err = msg;
        j->r->err_at = j->i;
    }
    return false;
}

static void
scan_ws(cursor_t *j)
{
    while (j->i < j->n &&
           (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r'))
        j->i++;
}

static bool
scan_hex4(cursor_t *j, unsigned *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++, j->i++) {
        if (j->i >= j->n)
            return scan_fail(j, "invalid JSON");
        char c = j->s[j->i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return scan_fail(j, "invalid JSON");
        *v = *v * 16 + d;
    }
    return true;
}

static bool
scan_string(cursor_t *j)
{
    j->i++; /* the opening quote */
    while (j->i < j->n) {
        unsigned char c = (unsigned char)j->s[j->i];
        if (c == '"') {
            j->i++;
            return true;
        }
        if (c < 0x20)
            return scan_fail(j, "invalid JSON");
        if (c != '\\') {
            j->i++;
            continue;
        }
        size_t at = j->i++;
        if (j->i >= j->n)
            break;
        c = (unsigned char)j->s[j->i];
        if (c != 'u') {
            if (c == '\0' || strchr("\"\\/bfnrt", c) == NULL)
                return scan_fail(j, "invalid JSON");
            j->i++;
            continue;
        }
        j->i++;
        unsigned u, lo;
        if (!scan_hex4(j, &u))
            return false;
        if (u == 0) {
            /* vetd refuses it before reading the id. */
            j->i = at;
            return scan_fail(j, "\\u0000 is not allowed");
        }
        if (u >= 0xDC00 && u <= 0xDFFF)
            return scan_fail(j, "invalid JSON");
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (j->i + 2 > j->n || j->s[j->i] != '\\' || j->s[j->i + 1] != 'u')
                return scan_fail(j, "invalid JSON");
            j->i += 2;
            if (!scan_hex4(j, &lo))
                return false;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return scan_fail(j, "invalid JSON");
        }
    }
    return scan_fail(j, "invalid JSON");
}

static bool
scan_digits(cursor_t *j)
{
    size_t from = j->i;
    while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
        j->i++;
    return j->i > from || scan_fail(j, "invalid JSON");
}

static bool
scan_number(cursor_t *j)
{
    if (j->s[j->i] == '-')
        j->i++;
    if (j->i < j->n && j->s[j->i] == '0')
        j->i++;
    else if (!scan_digits(j))
        return false;
    if (j->i < j->n && j->s[j->i] == '.') {
        j->i++;
        if (!scan_digits(j))
            return false;
    }
    if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
            j->i++;
        if (!scan_digits(j))
            return false;
    }
    return true;
}

static bool scan_value(cursor_t *j, int depth);

/* An object; at the top, the "id" member and how to cut it are noted,
 * and where the "profile" member's value is. */
static bool
scan_object(cursor_t *j, int depth)
{
    bool top = depth == 0, first = true;
    if (top)
        j->r->open = j->i;
    j->i++;
    size_t prev_end = j->i; /* end of the previous member's value */
    scan_ws(j);
    if (j->i < j->n && j->s[j->i] == '}') {
        if (top)
            j->r->close = j->i;
        j->i++;
        return true;
    }
    for (;;) {
        scan_ws(j);
        if (j->i >= j->n || j->s[j->i] != '"')
            return scan_fail(j, "invalid JSON");
        size_t key = j->i;
        if (!scan_string(j))
            return false;
        bool is_id = top && j->i - key == 4 && memcmp(j->s + key, "\"id\"", 4) == 0;
        bool is_profile = top && j->i - key == 9 && memcmp(j->s + key, "\"profile\"", 9) == 0;
        scan_ws(j);
        if (j->i >= j->n || j->s[j->i] != ':')
            return scan_fail(j, "invalid JSON");
        j->i++;
        scan_ws(j);
        size_t val = j->i;
        if (!scan_value(j, depth + 1))
            return false;
        size_t vend = j->i;
        if (is_id) {
            if (j->r->has_id) {
                j->i = key;
                return scan_fail(j, "duplicate field \"id\"");
            }
            j->r->has_id = true;
            j->r->id_val = val;
            j->r->id_end = vend;
        }
        if (is_profile) {
            /* vet batch may replace its value: which one would be ambiguous. */
            if (j->r->has_profile) {
                j->i = key;
                return scan_fail(j, "duplicate field \"profile\"");
            }
            j->r->has_profile = true;
            j->r->profile_val = val;
            j->r->profile_end = vend;
        }
        scan_ws(j);
        if (j->i < j->n && j->s[j->i] == ',') {
            if (is_id) {
                j->r->cut_from = key;
                j->r->cut_to = j->i + 1;
            }
            j->i++;
            prev_end = vend;
            first = false;
            continue;
        }
        if (j->i < j->n && j->s[j->i] == '}') {
            if (is_id) {
                j->r->cut_from = first ? key : prev_end;
                j->r->cut_to = vend;
            }
            if (top)
                j->r->close = j->i;
            j->i++;
            return true;
        }
        return scan_fail(j, "invalid JSON");
    }
}

static bool
scan_array(cursor_t *j, int depth)
{
    j->i++;
    scan_ws(j);
    if (j->i < j->n && j->s[j->i] == ']') {
        j->i++;
        return true;
    }
    for (;;) {
        scan_ws(j);
        if (!scan_value(j, depth + 1))
            return false;
        scan_ws(j);
        if (j->i < j->n && j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->i < j->n && j->s[j->i] == ']') {
            j->i++;
            return true;
        }
        return scan_fail(j, "invalid JSON");
    }
}

static bool
scan_value(cursor_t *j, int depth)
{
    if (depth >= MAX_DEPTH)
        return scan_fail(j, "nested too deeply");
    if (j->i >= j->n)
        return scan_fail(j, "invalid JSON");
    char c = j->s[j->i];
    static const char *const lits[] = {"true", "false", "null"};
    switch (c) {
    case '{': return scan_object(j, depth);
    case '[': return scan_array(j, depth);
    case '"': return scan_string(j);
    case 't':
    case 'f':
    case 'n':
        for (size_t k = 0; k < 3; k++) {
            size_t l = strlen(lits[k]);
            if (lits[k][0] == c && j->n - j->i >= l && memcmp(j->s + j->i, lits[k], l) == 0) {
                j->i += l;
                return true;
            }
        }
        return scan_fail(j, "invalid JSON");
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return scan_number(j);
        return scan_fail(j, "invalid JSON");
    }
}

void
bjson_scan(bjson_scan_t *out, const char *s, size_t n)
{
    memset(out, 0, sizeof *out);
    cursor_t c = {s, n, 0, out};
    scan_ws(&c);
    if (c.i >= n || s[c.i] != '{') {
        scan_fail(&c, "expected a JSON object");
        return;
    }
    if (!scan_value(&c, 0))
        return;
    scan_ws(&c);
    if (c.i < n)
        scan_fail(&c, "invalid JSON");
}
