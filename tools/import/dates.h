/* SPDX-License-Identifier: Apache-2.0 */
/* dates.h -- dates of birth as the public lists write them -> "YYYY-MM-DD", "YYYY-MM", "YYYY".
 *
 * What a list gives and what vet-import writes for it (birth_dates):
 *   "02 Mar 1965", "1965-03-02"          -> "1965-03-02"
 *   "Mar 1965", "Nov. 1973", "July 1961" -> "1965-03" (the month)
 *   "1965"                               -> "1965"
 *   "circa 1965" (UN: APPROXIMATELY)     -> "1964", "1965", "1966": the list
 *       says how uncertain neither, and a date of birth outside what is
 *       written rules a match out, so a year either side is kept
 *   "1958 to 1960" (UN: BETWEEN)         -> "1958", "1959", "1960": each
 *       year of the range, so that any date inside it agrees
 *   "01 Jan 1961 to 31 Dec 1962"         -> "1961", "1962" (likewise)
 *   "26 Sep 1946 to 07 Dec 1946"         -> "1946" (a range inside a year)
 *   "01 Feb 1960 to 29 Feb 1960"         -> "1960-02" (inside a month)
 * A range of more than DATES_MAX_SPAN years, a date that is not one
 * (31 Feb), or any other text is not understood: nothing is written, and
 * the importer counts it. */
#ifndef VET_IMPORT_DATES_H
#define VET_IMPORT_DATES_H

#include <stdbool.h>
#include <stddef.h>

#define DATES_MAX_SPAN 20 /* years a range may cover */
#define DATES_MAX (DATES_MAX_SPAN + 3)

/* The dates one text gives, in order. */
typedef struct dates {
    char v[DATES_MAX][11]; /* "YYYY-MM-DD", "YYYY-MM" or "YYYY" */
    size_t n;              /* how many */
} dates_t;

/* Reads text (ASCII case ignored, spaces and a final '.' trimmed) into
 * *out as the table above says. Returns true if it was understood (out
 * has at least one date), false otherwise (out->n is 0). */
bool dates_parse(const char *text, dates_t *out);

/* Each year from..to into *out, a year either side too when circa. True,
 * or false (out->n 0) for years outside 1800..2100, to < from, or a span
 * over DATES_MAX_SPAN. */
bool dates_years(int from, int to, bool circa, dates_t *out);

#endif
