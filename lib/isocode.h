/* SPDX-License-Identifier: Apache-2.0 */
/* isocode.h -- ISO 3166 codes as rulesets and requests write them: the
 * shape checks for the loader (country groups, regions) and the wire
 * format (partner.region), and the one table of ISO 3166-1 country names
 * that turns "China" or "South Korea" into its alpha-2 code (vet batch's
 * input, the daemon's did-you-mean for partner.country). The shape checks
 * do not ask whether a code is assigned (the standard changes; a ruleset
 * says what it means); the name table holds the 249 assigned codes. */
#ifndef VET_ISOCODE_H
#define VET_ISOCODE_H

#include <stdbool.h>

/* True if s is an ISO 3166-1 alpha-2 code: two upper-case ASCII letters. */
bool iso_country_code(const char *s);

/* True if s is an ISO 3166-2 subdivision code: an alpha-2 country code,
 * '-', then one to three upper-case ASCII letters or digits ("UA-43"). */
bool iso_region_code(const char *s);

/* The alpha-2 code of the country that s names: its ISO 3166-1 short,
 * common or official name ("Iran, Islamic Republic of", "Iran",
 * "Islamic Republic of Iran"), its alpha-3 code in capitals ("IRN"), or
 * a usual English name the standard does not give ("Russia", "UK",
 * "Vietnam", "Burma"). ASCII case, punctuation and a leading "the" do
 * not matter; accents may be written or left out ("Cote d'Ivoire"). An
 * alpha-2 code is not looked up (iso_country_code checks one). A name of
 * two countries ("Korea", "Congo") names none. Returns a static string,
 * or NULL if s names no country. */
const char *iso_country_find(const char *s);

#endif
