/* SPDX-License-Identifier: Apache-2.0 */
/* test_match.c -- identifier, exact and fuzzy partner matching on a small registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "match.h"
#include "match_int.h"
#include "norm.h"
#include "registry.h"

/* Real names (Canada NRO list, 2024-09) plus decoys. */
static const char *hit_al[] = {
    "HIT",
    "\xe5\x93\x88\xe5\xb0\x94\xe6\xbb\xa8\xe5\xb7\xa5\xe4\xb8\x9a\xe5\xa4\xa7\xe5\xad\xa6",
};
static const char *heu_al[] = {
    "HEU",
    "\xe5\x93\x88\xe5\xb0\x94\xe6\xbb\xa8\xe5\xb7\xa5\xe7\xa8\x8b\xe5\xa4\xa7\xe5\xad\xa6",
};
static const char *buaa_al[] = {"Beijing University of Aeronautics and Astronautics", "BUAA"};
static const char *nwpu_al[] = {
    "NWPU",
    "NPU",
    "Northwest Polytechnic University",
    "Northwest Polytechnical University",
    "Northwestern Polytechnical University",
};
static const char *sharif_al[] = {"Arya-Mehr University of Technology", "SHFT"};
static const char *iitp_al[] = {
    /* Институт проблем передачи информации им. А.А. Харкевича РАН */
    "\xd0\x98\xd0\xbd\xd1\x81\xd1\x82\xd0\xb8\xd1\x82\xd1\x83\xd1\x82 \xd0\xbf\xd1\x80\xd0\xbe"
    "\xd0\xb1\xd0\xbb\xd0\xb5\xd0\xbc \xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd0\xb4\xd0\xb0\xd1\x87"
    "\xd0\xb8 \xd0\xb8\xd0\xbd\xd1\x84\xd0\xbe\xd1\x80\xd0\xbc\xd0\xb0\xd1\x86\xd0\xb8\xd0\xb8 "
    "\xd0\xb8\xd0\xbc. \xd0\x90.\xd0\x90. \xd0\xa5\xd0\xb0\xd1\x80\xd0\xba\xd0\xb5\xd0\xb2\xd0"
    "\xb8\xd1\x87\xd0\xb0 \xd0\xa0\xd0\x90\xd0\x9d",
    "IITP RAS",
};
static const char *bit_al[] = {"BIT"};
static const char *njust_al[] = {"NJUST"};
static const char *tju_al[] = {"TJU"};
static const char *trading_al[] = {"Trading Company Limited"};

static const reg_ident_t hit_ids[] = {{"ror", "01yqg2h08"}, {"lei", "5493 00-ABCD-12"}};
static const reg_ident_t bit_ids[] = {{"ror", "01skt4w74"}};

enum {
    E_HIT,
    E_HEU,
    E_BUAA,
    E_NWPU,
    E_SHARIF,
    E_IITP,
    E_BIT,
    E_NJUST,
    E_TJU,
    E_ZENITH,
    E_NEU,
    E_HUNAN,
    E_HENAN,
    E_BITCO,
    E_ONLYSTOP,
    E_TWIN1,
    E_TWIN2,
    N_ENTS
};

static const char *no_al[1];

static reg_entity_t ents[N_ENTS] = {
    [E_HIT] = {.name = "Harbin Institute of Technology",
               .country = "CN",
               .aliases = hit_al,
               .n_aliases = 2,
               .ids = hit_ids,
               .n_ids = 2,
               .risk = -1},
    [E_HEU] = {.name = "Harbin Engineering University",
               .country = "CN",
               .aliases = heu_al,
               .n_aliases = 2,
               .risk = -1},
    [E_BUAA] = {.name = "Beihang University",
                .country = "CN",
                .aliases = buaa_al,
                .n_aliases = 2,
                .risk = -1},
    [E_NWPU] = {.name = "Northwestern Polytechnical University",
                .country = "CN",
                .aliases = nwpu_al,
                .n_aliases = 5,
                .risk = -1},
    [E_SHARIF] = {.name = "Sharif University of Technology",
                  .country = "IR",
                  .aliases = sharif_al,
                  .n_aliases = 2,
                  .risk = -1},
    [E_IITP] = {.name = "A.A. Kharkevich Institute for Information Transmission Problems, "
                        "IITP, Russian Academy of Sciences",
                .country = "RU",
                .aliases = iitp_al,
                .n_aliases = 2,
                .risk = -1},
    [E_BIT] = {.name = "Beijing Institute of Technology",
               .country = "CN",
               .aliases = bit_al,
               .n_aliases = 1,
               .ids = bit_ids,
               .n_ids = 1,
               .risk = -1},
    [E_NJUST] = {.name = "Nanjing University of Science and Technology",
                 .country = "CN",
                 .aliases = njust_al,
                 .n_aliases = 1,
                 .risk = -1},
    [E_TJU] = {.name = "Tianjin University",
               .country = "CN",
               .aliases = tju_al,
               .n_aliases = 1,
               .risk = -1},
    /* Decoys. */
    [E_ZENITH] = {.name = "Zenith Trading Co., Ltd.",
                  .country = "HK",
                  .aliases = trading_al,
                  .n_aliases = 1,
                  .risk = -1},
    [E_NEU] = {.name = "Northeastern University", .country = "US", .aliases = no_al, .risk = -1},
    [E_HUNAN] = {.name = "Hunan University", .country = "CN", .aliases = no_al, .risk = -1},
    [E_HENAN] = {.name = "Henan University", .country = "CN", .aliases = no_al, .risk = -1},
    [E_BITCO] = {.name = "Beijing Institute of Technology Co., Ltd.",
                 .country = NULL,
                 .aliases = no_al,
                 .risk = -1},
    [E_ONLYSTOP] = {.name = "The Trading Company", .country = "US", .aliases = no_al, .risk = -1},
    [E_TWIN1] = {.name = "Institute of Applied Physics",
                 .country = "IR",
                 .aliases = no_al,
                 .risk = -1},
    [E_TWIN2] = {.name = "INSTITUTE OF APPLIED PHYSICS",
                 .country = "CN",
                 .aliases = no_al,
                 .risk = -1},
};

/* The words a ruleset's words.cfg gives (a few of rules/words.cfg). */
static const match_wordmap_t test_map[] = {
    {"inst", "institute"},  {"tech", "technology"},    {"technol", "technology"},
    {"univ", "university"}, {"sci", "science"},        {"sch", "school"},
    {"natl", "national"},   {"airforce", "air force"},
};
static const char *test_units[] = {"school", "department", "laboratory", "institute", "学院"};
static const char *test_places[] = {"peoples r china", "harbin", "shenzhen"};
static const char *test_branches[] = {"research", "canada", "technology"};
static const match_words_t test_words = {.map = test_map,
                                         .n_map = sizeof test_map / sizeof test_map[0],
                                         .units = test_units,
                                         .n_units = 5,
                                         .places = test_places,
                                         .n_places = 3,
                                         .branches = test_branches,
                                         .n_branches = 3};

static const match_config_t default_cfg = {0.88, 0.08, 5, &test_words, false, false};

typedef struct fixture {
    match_index_t *ix;    /* index over ents[] */
    arena_t *scratch;     /* per-query arena */
    match_hit_t hits[16]; /* last answer */
    int n;                /* its size */
    char err[128];        /* last error */
} fixture_t;

static int
setup(void **state)
{
    static fixture_t f;
    memset(&f, 0, sizeof f);
    f.ix = match_index_new(ents, N_ENTS, &default_cfg, f.err, sizeof f.err);
    f.scratch = arena_new(0);
    if (f.ix == NULL || f.scratch == NULL)
        return -1;
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    match_index_destroy(&f->ix);
    arena_destroy(&f->scratch);
    return 0;
}

/* Runs a name-only query (country may be NULL) against f->ix. */
static int
find(fixture_t *f, const char *name, const char *country)
{
    match_query_t q = {.name = name, .country = country};
    arena_reset(f->scratch);
    f->err[0] = '\0';
    f->n = match_find(f->ix, &q, f->scratch, f->hits, 16, f->err, sizeof f->err);
    return f->n;
}

/* The hit on entity e in the last answer, or NULL. */
static const match_hit_t *
hit_on(const fixture_t *f, unsigned e)
{
    for (int i = 0; i < f->n; i++)
        if (f->hits[i].entity == e)
            return &f->hits[i];
    return NULL;
}

/* An exact hit on e by its name name_idx, asked with e's country (an
 * acronym identifies only in its own country). */
static void
expect_exact(fixture_t *f, const char *name, unsigned e, uint32_t name_idx)
{
    assert_true(find(f, name, ents[e].country) >= 1);
    assert_int_equal(f->hits[0].entity, e);
    assert_int_equal(f->hits[0].method, MATCH_EXACT);
    assert_int_equal(f->hits[0].name, name_idx);
    assert_true(f->hits[0].score == 1.0);
}

static void
test_exact_names(void **state)
{
    fixture_t *f = *state;
    expect_exact(f, "Harbin Institute of Technology", E_HIT, 0);
    expect_exact(f, "harbin institute of technology", E_HIT, 0);
    expect_exact(f, "HARBIN INSTITUTE OF TECHNOLOGY.", E_HIT, 0);
    expect_exact(f, "  Harbin   Institute of Technology ", E_HIT, 0);
    expect_exact(f, "HIT", E_HIT, 1);
    expect_exact(f, "hit", E_HIT, 1);
    expect_exact(f, "BUAA", E_BUAA, 2);
    expect_exact(f, "Beijing University of Aeronautics and Astronautics", E_BUAA, 1);
    /* An alias identical to the primary name after normalisation is
     * the primary name. */
    expect_exact(f, "northwestern polytechnical university", E_NWPU, 0);
    assert_int_equal(f->n, 1);
    /* Names that differ only in legal form, function words, abbreviations
     * (the ruleset's words) or plurals have one key: exact. */
    expect_exact(f, "Beijing University of Aeronautics & Astronautics", E_BUAA, 1);
    expect_exact(f, "Zenith Trading S.A.", E_ZENITH, 0);
    expect_exact(f, "Beihang University Co., Ltd.", E_BUAA, 0);
    expect_exact(f, "Harbin Inst. of Tech.", E_HIT, 0);
    expect_exact(f, "Harbin Inst Technol", E_HIT, 0);
}

/* Acronyms and short forms identify only with the country's agreement. */
static void
test_short_forms(void **state)
{
    fixture_t *f = *state;
    /* No country: a review, never an identification. */
    assert_int_equal(find(f, "HIT", NULL), 1);
    assert_int_equal(f->hits[0].method, MATCH_FUZZY);
    assert_true(f->hits[0].score > 0.89 && f->hits[0].score < 0.91);
    /* Another country (Holon Institute of Technology, Israel): nothing. */
    assert_int_equal(find(f, "HIT", "IL"), 0);
    /* Given by the caller as an alias, without the country: nothing. */
    const char *al[] = {"HIT"};
    match_query_t q = {.name = "Holon Institute of Technology", .aliases = al, .n_aliases = 1};
    arena_reset(f->scratch);
    assert_int_equal(match_find(f->ix, &q, f->scratch, f->hits, 16, f->err, sizeof f->err), 0);
}

/* Affiliation strings: the listed name inside, and what surrounds it. */
static void
test_affiliations(void **state)
{
    fixture_t *f = *state;
    const char *s = "School of Computer Science, Harbin Institute of Technology, Harbin 150001, "
                    "Peoples R China";
    assert_int_equal(find(f, s, NULL), 1);
    assert_int_equal(f->hits[0].entity, E_HIT);
    assert_int_equal(f->hits[0].method, MATCH_UNIT);
    assert_int_equal(f->hits[0].span_off, 28);
    assert_int_equal(f->hits[0].span_len, strlen("Harbin Institute of Technology"));
    /* WoS abbreviations, a unit segment, an address. */
    assert_int_equal(
        find(f, "Harbin Inst Technol, Sch Comp Sci, Harbin 150001, Peoples R China", NULL), 1);
    assert_int_equal(f->hits[0].method, MATCH_UNIT);
    /* Only an address around it: the organisation itself. */
    assert_int_equal(find(f, "Harbin Institute of Technology, Shenzhen", "CN"), 1);
    assert_int_equal(f->hits[0].method, MATCH_EXACT);
    assert_int_equal(f->hits[0].span_len, strlen("Harbin Institute of Technology"));
    /* A parenthesised acronym. */
    assert_int_equal(find(f, "Harbin Institute of Technology (HIT)", NULL), 1);
    assert_int_equal(f->hits[0].method, MATCH_EXACT);
    /* A name that goes on with "of" is another name. */
    find(f, "Tianjin University of Technology", NULL);
    assert_null(hit_on(f, E_TJU));
    /* A place after a company's name: a branch (related), never exact. */
    assert_int_equal(find(f, "Zenith Trading Canada Co., Ltd.", NULL), 1);
    assert_int_equal(f->hits[0].entity, E_ZENITH);
    assert_int_equal(f->hits[0].method, MATCH_RELATED);
    /* Chinese: the unit after the name, without spaces (哈尔滨工业大学计算机学院). */
    assert_int_equal(find(f,
                          "\xe5\x93\x88\xe5\xb0\x94\xe6\xbb\xa8\xe5\xb7\xa5\xe4\xb8\x9a"
                          "\xe5\xa4\xa7\xe5\xad\xa6\xe8\xae\xa1\xe7\xae\x97\xe6\x9c\xba"
                          "\xe5\xad\xa6\xe9\x99\xa2",
                          NULL),
                     1);
    assert_int_equal(f->hits[0].method, MATCH_UNIT);
    /* Traditional Chinese folded to simplified: 哈爾濱工業大學. */
    expect_exact(f,
                 "\xe5\x93\x88\xe7\x88\xbe\xe6\xbf\xb1\xe5\xb7\xa5\xe6\xa5\xad"
                 "\xe5\xa4\xa7\xe5\xad\xb8",
                 E_HIT, 2);
    /* Pinyin of the Chinese name, words joined differently: fuzzy. */
    find(f, "Haerbin Gongye Daxue", NULL);
    assert_non_null(hit_on(f, E_HIT));
    assert_int_equal(hit_on(f, E_HIT)->method, MATCH_FUZZY);
}

static void
test_exact_other_scripts(void **state)
{
    fixture_t *f = *state;
    expect_exact(
        f, "\xe5\x93\x88\xe5\xb0\x94\xe6\xbb\xa8\xe5\xb7\xa5\xe4\xb8\x9a\xe5\xa4\xa7\xe5\xad\xa6",
        E_HIT, 2);
    assert_int_equal(f->n, 1);
    /* 哈尔滨工程大学 (Harbin Engineering University) is one character
     * from 哈尔滨工业大学 but another body: ideographs never match fuzzily. */
    expect_exact(
        f, "\xe5\x93\x88\xe5\xb0\x94\xe6\xbb\xa8\xe5\xb7\xa5\xe7\xa8\x8b\xe5\xa4\xa7\xe5\xad\xa6",
        E_HEU, 2);
    assert_int_equal(f->n, 1);
    /* Cyrillic in capitals, without the dots: case folded, punctuation gone. */
    expect_exact(
        f,
        "\xd0\x98\xd0\x9d\xd0\xa1\xd0\xa2\xd0\x98\xd0\xa2\xd0\xa3\xd0\xa2 \xd0\x9f\xd0\xa0"
        "\xd0\x9e\xd0\x91\xd0\x9b\xd0\x95\xd0\x9c \xd0\x9f\xd0\x95\xd0\xa0\xd0\x95\xd0\x94"
        "\xd0\x90\xd0\xa7\xd0\x98 \xd0\x98\xd0\x9d\xd0\xa4\xd0\x9e\xd0\xa0\xd0\x9c\xd0\x90"
        "\xd0\xa6\xd0\x98\xd0\x98 \xd0\x98\xd0\x9c \xd0\x90 \xd0\x90 \xd0\xa5\xd0\x90\xd0\xa0"
        "\xd0\x9a\xd0\x95\xd0\x92\xd0\x98\xd0\xa7\xd0\x90 \xd0\xa0\xd0\x90\xd0\x9d",
        E_IITP, 1);
}

/* A fuzzy hit on e with a score in [lo, hi]. */
static double
expect_fuzzy(fixture_t *f, const char *name, const char *country, unsigned e, double lo)
{
    find(f, name, country);
    const match_hit_t *h = hit_on(f, e);
    if (h == NULL)
        print_error("\"%s\": no hit on entity %u\n", name, e);
    assert_non_null(h);
    assert_int_equal(h->method, MATCH_FUZZY);
    if (h->score < lo || h->score >= 1.0)
        print_error("\"%s\": score %.4f\n", name, h->score);
    assert_true(h->score >= lo && h->score < 1.0);
    return h->score;
}

static void
test_typos_match(void **state)
{
    fixture_t *f = *state;
    expect_fuzzy(f, "Harbin Institue of Technology", NULL, E_HIT, 0.95);
    assert_int_equal(f->hits[0].entity, E_HIT);
    assert_int_equal(f->hits[0].name, 0);
    expect_fuzzy(f, "Beihang Univeristy", NULL, E_BUAA, 0.95);
    expect_fuzzy(f, "Northwestern Polytechnic University", NULL, E_NWPU, 0.95);
    expect_fuzzy(f, "Nanjing University of Science & Technolgy", NULL, E_NJUST, 0.95);
    /* A plural, and a typo'd legal form that weighs like one. */
    /* Plurals: one key ("Technologies" is "Technology"). */
    expect_exact(f, "The Harbin Institute of Technologies", E_HIT, 0);
    expect_fuzzy(f, "Beijing Institute of Technology Corproation", NULL, E_BIT, 0.95);
    /* Abbreviations of generic words are spelled out. */
    /* Five-letter words allow one swap of adjacent letters; six-letter
     * words one edit of any kind. */
    expect_fuzzy(f, "Harbni Institute of Technology", NULL, E_HIT, 0.95);
    expect_fuzzy(f, "Harbon Institute of Technology", NULL, E_HIT, 0.95);
    expect_fuzzy(f, "Harbn Institute of Technology", NULL, E_HIT, 0.95);
}

/* No hit on e at the default threshold. */
static void
expect_no_hit(fixture_t *f, const char *name, unsigned e)
{
    assert_true(find(f, name, NULL) >= 0);
    if (hit_on(f, e) != NULL)
        print_error("\"%s\" matched entity %u at %.4f\n", name, e, hit_on(f, e)->score);
    assert_null(hit_on(f, e));
}

static void
test_traps_do_not_match(void **state)
{
    fixture_t *f = *state;
    expect_no_hit(f, "Harbin University of Science and Technology", E_HIT);
    expect_no_hit(f, "Northwestern University", E_NWPU);
    expect_no_hit(f, "University of Technology", E_SHARIF);
    expect_no_hit(f, "University of Technology", E_BIT);
    expect_no_hit(f, "University of Technology", E_NJUST);
    expect_no_hit(f, "Tianjin University of Technology", E_TJU);
    /* One or two letters apart, different bodies. */
    expect_no_hit(f, "Northwestern University", E_NEU);
    expect_no_hit(f, "Northeastern Polytechnical University", E_NWPU);
    expect_no_hit(f, "Henan University", E_HUNAN);
    expect_no_hit(f, "Hunan University", E_HENAN);
    /* Only stop words and legal forms: nothing at all, even where a
     * registry name shares them. */
    assert_int_equal(find(f, "Trading Co., Ltd.", NULL), 0);
    assert_int_equal(find(f, "The Trading Company", NULL), 0);
    assert_int_equal(find(f, "Trading Company Limited", NULL), 0);
    assert_int_equal(find(f, "Acme Trading Co., Ltd.", NULL), 0);
    assert_int_equal(find(f, "...", NULL), 0);
    assert_int_equal(find(f, "", NULL), 0);
}

static void
test_traps_scores_below_threshold(void **state)
{
    (void)state;
    /* The same traps with the threshold lowered, to see how far below
     * 0.88 they score (a margin, not a coin toss). */
    match_config_t cfg = {0.3, 0.08, 16, &test_words, false, false};
    char err[128];
    match_index_t *ix = match_index_new(ents, N_ENTS, &cfg, err, sizeof err);
    arena_t *a = arena_new(0);
    assert_non_null(ix);
    static const struct {
        const char *q;
        unsigned e;
        double max;
    } traps[] = {
        {"Harbin University of Science and Technology", E_HIT, 0.75},
        {"Northwestern University", E_NWPU, 0.80},
        {"University of Technology", E_SHARIF, 0.75},
        {"Tianjin University of Technology", E_TJU, 0.85},
    };
    for (size_t i = 0; i < sizeof traps / sizeof traps[0]; i++) {
        match_query_t q = {.name = traps[i].q};
        match_hit_t hits[16];
        arena_reset(a);
        int n = match_find(ix, &q, a, hits, 16, err, sizeof err);
        assert_true(n >= 0);
        for (int k = 0; k < n; k++)
            if (hits[k].entity == traps[i].e) {
                if (hits[k].score > traps[i].max)
                    print_error("\"%s\": %.4f\n", traps[i].q, hits[k].score);
                assert_true(hits[k].score <= traps[i].max);
            }
    }
    match_index_destroy(&ix);
    arena_destroy(&a);
}

static void
test_country_penalty(void **state)
{
    fixture_t *f = *state;
    /* Two typos and a legal form: about 0.95 on its own. */
    const char *name = "Tainjin Univeristy Co";
    double none = expect_fuzzy(f, name, NULL, E_TJU, 0.88);
    assert_true(none < 0.88 + 0.08);
    double same = expect_fuzzy(f, name, "cn", E_TJU, 0.88);
    assert_true(same == none);
    find(f, name, "US");
    assert_null(hit_on(f, E_TJU));
    /* Unknown country on either side: no penalty. */
    expect_fuzzy(f, name, "", E_TJU, 0.88);
    /* A strong match survives the penalty, lowered by exactly 0.08. */
    double strong = expect_fuzzy(f, "Harbin Institue of Technology", NULL, E_HIT, 0.95);
    double other = expect_fuzzy(f, "Harbin Institue of Technology", "US", E_HIT, 0.88);
    assert_true(other > strong - 0.08 - 1e-9 && other < strong - 0.08 + 1e-9);
    /* Exact matches in the same (or an unknown) country are not
     * penalised; in another country the name is only fuzzy. */
    expect_exact(f, "Harbin Institute of Technology", E_HIT, 0);
    find(f, "Harbin Institute of Technology", "CN");
    assert_int_equal(f->hits[0].method, MATCH_EXACT);
    assert_true(f->hits[0].score == 1.0);
    find(f, "Harbin Institute of Technology", "US");
    assert_int_equal(f->hits[0].method, MATCH_FUZZY);
    assert_true(f->hits[0].score > 0.92 - 1e-9 && f->hits[0].score < 0.92 + 1e-9);
}

static void
test_identifiers(void **state)
{
    fixture_t *f = *state;
    const char *schemes[] = {"ROR", "lei", "ror", "isni"};
    const char *values[] = {" 01YQG2H08 ", "549300abcd12", "01skt4w74", "01yqg2h08"};
    match_query_t q = {.name = "Harbin Institute of Technology",
                       .id_schemes = schemes,
                       .id_values = values,
                       .n_ids = 4};
    arena_reset(f->scratch);
    int n = match_find(f->ix, &q, f->scratch, f->hits, 16, f->err, sizeof f->err);
    /* HIT by id (the first of its ids that matched wins: both name it,
     * one hit per entity), BIT by id, then the exact name adds nothing
     * for HIT; "isni" is not a scheme HIT has. */
    assert_true(n >= 2);
    assert_int_equal(f->hits[0].method, MATCH_ID);
    assert_int_equal(f->hits[1].method, MATCH_ID);
    assert_int_equal(f->hits[0].entity, E_HIT);
    assert_int_equal(f->hits[1].entity, E_BIT);
    assert_int_equal(f->hits[1].name, 0);
    assert_true(f->hits[0].name == 0 || f->hits[0].name == 1);
    assert_true(f->hits[0].score == 1.0);
    for (int i = 2; i < n; i++)
        assert_true(f->hits[i].entity != E_HIT && f->hits[i].entity != E_BIT);

    /* The LEI alone, spelled with other separators. */
    const char *s2[] = {"LEI"}, *v2[] = {"5493-00 abcd-12"};
    match_query_t q2 = {
        .name = "Unknown Partner Ltd", .id_schemes = s2, .id_values = v2, .n_ids = 1};
    arena_reset(f->scratch);
    n = match_find(f->ix, &q2, f->scratch, f->hits, 16, f->err, sizeof f->err);
    assert_int_equal(n, 1);
    assert_int_equal(f->hits[0].entity, E_HIT);
    assert_int_equal(f->hits[0].name, 1);
    assert_int_equal(f->hits[0].method, MATCH_ID);
    /* The right value under another scheme is nothing. */
    const char *s3[] = {"grid"}, *v3[] = {"01yqg2h08"};
    match_query_t q3 = {
        .name = "Unknown Partner Ltd", .id_schemes = s3, .id_values = v3, .n_ids = 1};
    arena_reset(f->scratch);
    assert_int_equal(match_find(f->ix, &q3, f->scratch, f->hits, 16, f->err, sizeof f->err), 0);
}

static void
test_order_and_suppression(void **state)
{
    fixture_t *f = *state;
    /* Two entities with the same normalised name: both exact, by index. */
    assert_int_equal(find(f, "institute of applied physics", NULL), 2);
    assert_int_equal(f->hits[0].entity, E_TWIN1);
    assert_int_equal(f->hits[1].entity, E_TWIN2);
    /* The same name in two countries: the request's country decides;
     * the twin elsewhere becomes a fuzzy look-alike, dropped because
     * the partner is identified exactly. */
    assert_int_equal(find(f, "Institute of Applied Physics", "IR"), 1);
    assert_int_equal(f->hits[0].entity, E_TWIN1);
    assert_int_equal(f->hits[0].method, MATCH_EXACT);
    /* An exact match identifies the partner: no look-alikes of others. */
    assert_int_equal(find(f, "Beijing Institute of Technology", NULL), 1);
    assert_int_equal(f->hits[0].method, MATCH_EXACT);
    assert_int_equal(f->hits[0].entity, E_BIT);
    assert_int_equal(find(f, "Beijing Institute of Technology Co., Ltd.", NULL), 1);
    assert_int_equal(f->hits[0].entity, E_BITCO);
    /* An exact name in another country is only fuzzy (1 - penalty), so
     * the precomputed look-alikes are reported too. */
    assert_int_equal(find(f, "Beijing Institute of Technology", "US"), 2);
    const match_hit_t *bit = hit_on(f, E_BIT), *bitco = hit_on(f, E_BITCO);
    assert_non_null(bit);
    assert_non_null(bitco);
    assert_int_equal(bit->method, MATCH_FUZZY);
    assert_true(bit->score > 0.92 - 1e-9 && bit->score < 0.92 + 1e-9);
    assert_int_equal(bitco->method, MATCH_FUZZY);
    assert_true(f->hits[0].score >= f->hits[1].score);
    /* A typo: both fuzzy, best first. */
    find(f, "Beijing Institue of Technology", NULL);
    assert_true(f->n == 2);
    assert_int_equal(f->hits[0].method, MATCH_FUZZY);
    assert_true(f->hits[0].score >= f->hits[1].score);
    /* Aliases of the query are tried too; exact on one suppresses fuzzy
     * on the same entity from another. */
    const char *al[] = {"Harbin Institue of Technology", "HIT"};
    match_query_t q = {.name = "Unknown Name", .aliases = al, .n_aliases = 2, .country = "CN"};
    arena_reset(f->scratch);
    int n = match_find(f->ix, &q, f->scratch, f->hits, 16, f->err, sizeof f->err);
    assert_int_equal(n, 1);
    assert_int_equal(f->hits[0].entity, E_HIT);
    assert_int_equal(f->hits[0].method, MATCH_EXACT);
    assert_int_equal(f->hits[0].name, 1);
}

static void
test_max_results_and_cap(void **state)
{
    (void)state;
    match_config_t cfg = {0.3, 0.08, 2, &test_words, false, false};
    char err[128];
    match_index_t *ix = match_index_new(ents, N_ENTS, &cfg, err, sizeof err);
    arena_t *a = arena_new(0);
    assert_non_null(ix);
    match_query_t q = {.name = "University of Technology"};
    match_hit_t hits[16];
    int n = match_find(ix, &q, a, hits, 16, err, sizeof err);
    assert_int_equal(n, 2); /* max_results */
    assert_true(hits[0].score >= hits[1].score);
    arena_reset(a);
    n = match_find(ix, &q, a, hits, 1, err, sizeof err);
    assert_int_equal(n, 1); /* cap */
    match_index_destroy(&ix);
    arena_destroy(&a);
}

static void
test_invalid_utf8(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(find(f, "Harbin \xff Institute", NULL), -1);
    assert_string_equal(f->err, "name: invalid UTF-8 at byte 7");
    const char *al[] = {"Good Name", "\xc0\xaf"};
    match_query_t q = {.name = "Harbin Institute of Technology", .aliases = al, .n_aliases = 2};
    arena_reset(f->scratch);
    assert_int_equal(match_find(f->ix, &q, f->scratch, f->hits, 16, f->err, sizeof f->err), -1);
    assert_string_equal(f->err, "aliases[1]: invalid UTF-8 at byte 0");
}

static void
test_empty_registry(void **state)
{
    (void)state;
    char err[128] = "";
    match_index_t *ix = match_index_new(NULL, 0, &default_cfg, err, sizeof err);
    assert_non_null(ix);
    assert_true(match_index_memory(ix) > 0);
    arena_t *a = arena_new(0);
    const char *s[] = {"ror"}, *v[] = {"01yqg2h08"};
    match_query_t q = {
        .name = "Harbin Institue of Technology", .id_schemes = s, .id_values = v, .n_ids = 1};
    match_hit_t hits[4];
    assert_int_equal(match_find(ix, &q, a, hits, 4, err, sizeof err), 0);
    match_index_destroy(&ix);
    assert_null(ix);
    match_index_destroy(&ix); /* NULL is fine */
    match_index_destroy(NULL);
    arena_destroy(&a);
}

static void
test_names_and_memory(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(match_method_name(MATCH_ID), "id");
    assert_string_equal(match_method_name(MATCH_EXACT), "exact");
    assert_string_equal(match_method_name(MATCH_FUZZY), "fuzzy");
    assert_true(match_index_memory(f->ix) > sizeof(reg_entity_t) * N_ENTS);
    /* A query allocates from the scratch arena only, and little. */
    find(f, "Harbin Institue of Technology", NULL);
    assert_true(arena_used(f->scratch) > 0);
    assert_true(arena_used(f->scratch) < 64 * 1024);
}

typedef struct worker {
    const match_index_t *ix; /* shared index */
    int ok;                  /* 1 if every answer was as expected */
} worker_t;

static void *
worker_run(void *p)
{
    worker_t *w = p;
    arena_t *a = arena_new(0);
    char err[128];
    w->ok = a != NULL;
    static const struct {
        const char *q;
        unsigned e;
        match_method_t m;
    } cases[] = {
        {"Harbin Institute of Technology", E_HIT, MATCH_EXACT},
        {"Harbin Institue of Technology", E_HIT, MATCH_FUZZY},
        {"Beihang Univeristy", E_BUAA, MATCH_FUZZY},
        {"NWPU", E_NWPU, MATCH_FUZZY},
    };
    for (int i = 0; i < 2000 && w->ok; i++) {
        size_t c = (size_t)i % (sizeof cases / sizeof cases[0]);
        match_query_t q = {.name = cases[c].q};
        match_hit_t hits[4];
        arena_reset(a);
        int n = match_find(w->ix, &q, a, hits, 4, err, sizeof err);
        w->ok = n >= 1 && hits[0].entity == cases[c].e && hits[0].method == cases[c].m;
    }
    arena_destroy(&a);
    return NULL;
}

static void
test_shared_between_threads(void **state)
{
    fixture_t *f = *state;
    pthread_t th[4];
    worker_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){f->ix, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].ok, 1);
    }
}

/* The canonical key of name under words w (NUL-terminated, in a). */
static const char *
key_of(const mwords_t *w, arena_t *a, const char *name)
{
    const char *norm, *key;
    size_t len, klen;
    assert_int_equal(norm_text(a, name, strlen(name), &norm, &len, NULL, 0), 0);
    assert_int_equal(words_key(w, a, norm, len, &key, &klen), 0);
    return key;
}

/* The canonical key: each equivalence the words and the code give. */
static void
test_canonical_keys(void **state)
{
    (void)state;
    static const match_wordmap_t map[] = {
        {"natl", "national"},      {"univ", "university"},    {"def", "defense"},
        {"defence", "defense"},    {"technol", "technology"}, {"fourth", "4"},
        {"airforce", "air force"}, {"centre", "center"},
    };
    static const char *legal[] = {"有限公司", "股份有限公司", "公司"};
    match_words_t src = {.map = map,
                         .n_map = sizeof map / sizeof map[0],
                         .legal_suffixes = legal,
                         .n_legal_suffixes = 3};
    arena_t *a = arena_new(0);
    mwords_t w;
    assert_int_equal(words_build(&w, a, &src), 0);
    /* Abbreviations, function words, legal forms, plurals. */
    assert_string_equal(key_of(&w, a, "Natl Univ Def Technol"),
                        key_of(&w, a, "National University of Defence Technology"));
    assert_string_equal(key_of(&w, a, "Huawei Technologies Co., Ltd."), "huawei technology");
    /* Words that tell bodies apart stay: the holding is not the brand. */
    assert_string_equal(key_of(&w, a, "Huawei Investment & Holding Co., Ltd."),
                        "huawei investment holding");
    /* A word written as two ("Airforce"), plurals of a mapped word. */
    assert_string_equal(key_of(&w, a, "Airforce Command College"),
                        key_of(&w, a, "Air Force Command College"));
    assert_string_equal(key_of(&w, a, "Research Centres"), "research center");
    /* Ordinals and numbers: "4th", "Fourth", "No. 4", "4-th". */
    assert_string_equal(key_of(&w, a, "4th Military Medical University"),
                        key_of(&w, a, "Fourth Military Medical University"));
    assert_string_equal(key_of(&w, a, "48-th Institute"), "48 institute");
    assert_string_equal(key_of(&w, a, "Bureau No. 39"), "bureau 39");
    /* Letters and digits run together are two words. */
    assert_string_equal(key_of(&w, a, "CETC14"), "cetc 14");
    /* Chinese legal forms end a name; the longest goes. */
    assert_string_equal(key_of(&w, a, "中国兵器工业集团有限公司"), "中国兵器工业集团");
    assert_string_equal(key_of(&w, a, "科大讯飞股份有限公司"), "科大讯飞");
    /* Nothing left but the legal form: kept, not emptied. */
    assert_string_equal(key_of(&w, a, "公司"), "公司");
    arena_destroy(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_names),
        cmocka_unit_test(test_short_forms),
        cmocka_unit_test(test_canonical_keys),
        cmocka_unit_test(test_affiliations),
        cmocka_unit_test(test_exact_other_scripts),
        cmocka_unit_test(test_typos_match),
        cmocka_unit_test(test_traps_do_not_match),
        cmocka_unit_test(test_traps_scores_below_threshold),
        cmocka_unit_test(test_country_penalty),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_order_and_suppression),
        cmocka_unit_test(test_max_results_and_cap),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_empty_registry),
        cmocka_unit_test(test_names_and_memory),
        cmocka_unit_test(test_shared_between_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
