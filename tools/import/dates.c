/* SPDX-License-Identifier: Apache-2.0 */
/* dates.c -- dates of birth as the public lists write them -> "YYYY-MM-DD", "YYYY-MM", "YYYY". */
#include "dates.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define YEAR_MIN 1800
#define YEAR_MAX 2100

/* One end of what a list writes: a year, perhaps a month, perhaps a day. */
typedef struct ymd {
    int y, m, d; /* m, d 0 when not given */
} ymd_t;

static const char *const months[12] = {"january",   "february", "march",    "april",
                                       "may",       "june",     "july",     "august",
                                       "september", "october",  "november", "december"};

static bool
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

static bool
valid(const ymd_t *t)
{
    if (t->y < YEAR_MIN || t->y > YEAR_MAX || t->m < 0 || t->m > 12)
        return false;
    if (t->d != 0 && (t->m == 0 || t->d < 1 || t->d > month_days(t->y, t->m)))
        return false;
    return true;
}

/* Reads n digits at *p (exactly n) into *v. */
static bool
digits(const char **p, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (c - '0');
    }
    if ((*p)[n] >= '0' && (*p)[n] <= '9')
        return false;
    *p += n;
    *v = x;
    return true;
}

static const char *
skip_spaces(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* A month name or its first three letters (any case), an optional '.'
 * after it: its number, *p moved past it; 0 if none. */
static int
month_word(const char **p)
{
    size_t n = 0;
    while (((*p)[n] >= 'a' && (*p)[n] <= 'z') || ((*p)[n] >= 'A' && (*p)[n] <= 'Z'))
        n++;
    if (n < 3)
        return 0;
    for (int m = 0; m < 12; m++) {
        size_t full = strlen(months[m]);
        if ((n == 3 || n == full) && n <= full && strncasecmp(*p, months[m], n) == 0) {
            *p += n;
            if (**p == '.')
                (*p)++;
            return m + 1;
        }
    }
    /* "Sept" */
    if (n == 4 && strncasecmp(*p, "sept", 4) == 0) {
        *p += n;
        if (**p == '.')
            (*p)++;
        return 9;
    }
    return 0;
}

/* One end at *p: "YYYY-MM-DD", "YYYY-MM", "YYYY", "DD Mon YYYY" or "Mon
 * YYYY". *p moved past it. */
static bool
one_date(const char **p, ymd_t *t)
{
    const char *s = skip_spaces(*p);
    *t = (ymd_t){0, 0, 0};
    if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
        s[3] >= '0' && s[3] <= '9' && !(s[4] >= '0' && s[4] <= '9')) {
        digits(&s, 4, &t->y);
        /* "-MM", not the "-YYYY" that ends a range ("circa 1958-1960"). */
        if (s[0] == '-' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
            !(s[3] >= '0' && s[3] <= '9')) {
            const char *q = s + 1;
            if (!digits(&q, 2, &t->m))
                return false;
            s = q;
            if (s[0] == '-' && s[1] >= '0' && s[1] <= '9') {
                q = s + 1;
                if (!digits(&q, 2, &t->d))
                    return false;
                s = q;
            }
        }
        *p = s;
        return valid(t);
    }
    if (s[0] >= '0' && s[0] <= '9') {
        size_t nd = s[1] >= '0' && s[1] <= '9' ? 2 : 1;
        if (!digits(&s, nd, &t->d))
            return false;
        s = skip_spaces(s);
    }
    if ((t->m = month_word(&s)) == 0)
        return false;
    s = skip_spaces(s);
    if (*s == ',')
        s = skip_spaces(s + 1);
    if (!digits(&s, 4, &t->y))
        return false;
    *p = s;
    return valid(t);
}

static void
put(dates_t *out, const ymd_t *t, bool month, bool day)
{
    char *v = out->v[out->n++];
    if (day)
        snprintf(v, sizeof out->v[0], "%04d-%02d-%02d", t->y, t->m, t->d);
    else if (month)
        snprintf(v, sizeof out->v[0], "%04d-%02d", t->y, t->m);
    else
        snprintf(v, sizeof out->v[0], "%04d", t->y);
}

bool
dates_years(int from, int to, bool circa, dates_t *out)
{
    out->n = 0;
    if (from < YEAR_MIN || to > YEAR_MAX || to < from || to - from > DATES_MAX_SPAN)
        return false;
    if (circa) {
        from--;
        to++;
    }
    for (int y = from; y <= to; y++) {
        ymd_t t = {y, 0, 0};
        put(out, &t, false, false);
    }
    return true;
}

/* True if p (after spaces) starts with word w followed by a space. */
static bool
word(const char **p, const char *w)
{
    const char *s = skip_spaces(*p);
    size_t n = strlen(w);
    if (strncasecmp(s, w, n) != 0 || s[n] != ' ')
        return false;
    *p = s + n;
    return true;
}

bool
dates_parse(const char *text, dates_t *out)
{
    out->n = 0;
    char buf[128];
    size_t n = strlen(text);
    if (n >= sizeof buf)
        return false;
    memcpy(buf, text, n + 1);
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '.' || buf[n - 1] == '\n'))
        buf[--n] = '\0';
    const char *p = buf;
    bool circa = word(&p, "circa");
    ymd_t a, b;
    if (!one_date(&p, &a))
        return false;
    p = skip_spaces(p);
    if (*p == '\0') {
        if (circa)
            return dates_years(a.y, a.y, true, out);
        put(out, &a, a.m != 0, a.d != 0);
        return true;
    }
    /* A range: "A to B", or "YYYY-YYYY" after circa. */
    if (word(&p, "to") || (*p == '-' && (p++, true))) {
        if (!one_date(&p, &b) || *skip_spaces(p) != '\0')
            return false;
    } else {
        return false;
    }
    if (b.y < a.y || (b.y == a.y && b.m != 0 && a.m != 0 && b.m < a.m))
        return false;
    if (circa || a.y != b.y)
        return dates_years(a.y, b.y, circa, out);
    if (a.m != 0 && a.m == b.m) {
        bool same_day = a.d == b.d;
        put(out, &a, true, same_day && a.d != 0);
        return true;
    }
    put(out, &a, false, false);
    return true;
}
