/* SPDX-License-Identifier: Apache-2.0 */
/* country.h -- country names and codes as the public lists write them -> ISO 3166-1 alpha-2. */
#ifndef VET_IMPORT_COUNTRY_H
#define VET_IMPORT_COUNTRY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct country_name {
    const char *key;  /* lower case name */
    const char *code; /* ISO 3166-1 alpha-2 */
} country_name_t;

/* The generated tables (country_tab.c), sorted bytewise. */
extern const country_name_t country_names[];
extern const size_t country_n_names;
extern const char country_codes[][3];
extern const size_t country_n_codes;

/* The alpha-2 code of a country name (ASCII case and surrounding space
 * ignored, the typographic apostrophe read as '), or NULL if the name is
 * not in the table. The result is a static string. */
const char *country_lookup(const char *name);

/* Whether s is an assigned ISO 3166-1 alpha-2 code (upper case). */
bool country_is_code(const char *s);

#endif
