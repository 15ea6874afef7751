/* isocode.h -- the shape of ISO 3166 codes as rulesets and requests write
 * them: one check for the loader (country groups, regions) and the wire
 * format (partner.region). Shape only: whether a code is assigned is not
 * checked (the standard changes; a ruleset says what it means). */
#ifndef VET_ISOCODE_H
#define VET_ISOCODE_H

#include <stdbool.h>

/* True if s is an ISO 3166-1 alpha-2 code: two upper-case ASCII letters. */
bool iso_country_code(const char *s);

/* True if s is an ISO 3166-2 subdivision code: an alpha-2 country code,
 * '-', then one to three upper-case ASCII letters or digits ("UA-43"). */
bool iso_region_code(const char *s);

#endif
