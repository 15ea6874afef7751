/* SPDX-License-Identifier: Apache-2.0 */
/* test_isocode.c -- lib/isocode.c: the shape checks and the table of
 * country names (iso_country_find), as vet batch and vetd's did-you-mean
 * use them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "isocode.h"

static void
test_names(void **state)
{
    (void)state;
    static const struct {
        const char *name, *code; /* code NULL: names no country */
    } cases[] = {
        /* ISO's short, common and official names. */
        {"China", "CN"},
        {"People's Republic of China", "CN"},
        {"Iran, Islamic Republic of", "IR"},
        {"Iran", "IR"},
        {"Islamic Republic of Iran", "IR"},
        {"Korea, Republic of", "KR"},
        {"Republic of Korea", "KR"},
        {"South Korea", "KR"},
        {"North Korea", "KP"},
        {"Russian Federation", "RU"},
        {"United States", "US"},
        {"United States of America", "US"},
        {"United Kingdom of Great Britain and Northern Ireland", "GB"},
        {"Taiwan", "TW"},
        {"Viet Nam", "VN"},
        /* Usual names the standard does not give. */
        {"Russia", "RU"},
        {"USA", "US"},
        {"U.S.", "US"},
        {"UK", "GB"},
        {"Vietnam", "VN"},
        {"Burma", "MM"},
        {"Peoples R China", "CN"},
        {"Turkey", "TR"},
        /* Case, punctuation, spaces, "the", accents or none. */
        {"  CHINA ", "CN"},
        {"south-korea", "KR"},
        {"The Netherlands", "NL"},
        {"Côte d'Ivoire", "CI"},
        {"Cote d’Ivoire", "CI"},
        {"Türkiye", "TR"},
        {"Turkiye", "TR"},
        /* Alpha-3 codes only in capitals: lower case, they are words. */
        {"CHN", "CN"},
        {"IRN", "IR"},
        {"chn", NULL},
        {"can", NULL},
        {"CAN", "CA"},
        /* Two countries, or none, or no name at all. */
        {"Korea", NULL},
        {"Congo", NULL},
        {"Democratic Republic of the Congo", "CD"},
        {"Republic of the Congo", "CG"},
        {"Atlantis", NULL},
        {"", NULL},
        {"   ", NULL},
        {"CN", NULL}, /* an alpha-2 code is not a name: iso_country_code */
        {"the", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = iso_country_find(cases[i].name);
        if ((got == NULL) != (cases[i].code == NULL) ||
            (got != NULL && strcmp(got, cases[i].code) != 0))
            fail_msg("iso_country_find(\"%s\") = %s, expected %s", cases[i].name,
                     got ? got : "NULL", cases[i].code ? cases[i].code : "NULL");
    }
    assert_null(iso_country_find(NULL));
    /* Longer than any name: refused, not cut. */
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(iso_country_find(longname));
}

static void
test_shapes(void **state)
{
    (void)state;
    assert_true(iso_country_code("CN"));
    assert_false(iso_country_code("cn"));
    assert_false(iso_country_code("CHN"));
    assert_false(iso_country_code(NULL));
    assert_true(iso_region_code("UA-43"));
    assert_true(iso_region_code("CN-BJ"));
    assert_false(iso_region_code("UA43"));
    assert_false(iso_region_code("UA-4321"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_shapes),
    };
    return cmocka_run_group_tests_name("isocode", tests, NULL, NULL);
}
