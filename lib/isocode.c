/* isocode.c -- the shape of ISO 3166 codes. */
#include "isocode.h"

#include <string.h>

static bool
upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

bool
iso_country_code(const char *s)
{
    return s != NULL && strlen(s) == 2 && upper(s[0]) && upper(s[1]);
}

bool
iso_region_code(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 4 || n > 6 || !upper(s[0]) || !upper(s[1]) || s[2] != '-')
        return false;
    for (size_t i = 3; i < n; i++)
        if (!upper(s[i]) && !(s[i] >= '0' && s[i] <= '9'))
            return false;
    return true;
}
