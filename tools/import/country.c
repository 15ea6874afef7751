/* SPDX-License-Identifier: Apache-2.0 */
/* country.c -- lookups in the generated country tables (country_tab.c). */
#include "country.h"

#include <stdlib.h>
#include <string.h>

static int
cmp_name(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const country_name_t *)e)->key);
}

static int
cmp_code(const void *k, const void *e)
{
    return strcmp((const char *)k, (const char *)e);
}

const char *
country_lookup(const char *name)
{
    char key[128];
    size_t n = 0;
    while (*name == ' ')
        name++;
    for (const char *p = name; *p != '\0'; p++) {
        /* U+2019 RIGHT SINGLE QUOTATION MARK -> ' so that both spellings
         * of "People's Republic of China" find the same entry. */
        if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
            (unsigned char)p[2] == 0x99) {
            if (n + 1 >= sizeof key)
                return NULL;
            key[n++] = '\'';
            p += 2;
            continue;
        }
        if (n + 1 >= sizeof key)
            return NULL;
        char c = *p;
        key[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    while (n > 0 && key[n - 1] == ' ')
        n--;
    key[n] = '\0';
    const country_name_t *e =
        bsearch(key, country_names, country_n_names, sizeof country_names[0], cmp_name);
    return e ? e->code : NULL;
}

bool
country_is_code(const char *s)
{
    if (strlen(s) != 2)
        return false;
    return bsearch(s, country_codes, country_n_codes, sizeof country_codes[0], cmp_code) != NULL;
}
