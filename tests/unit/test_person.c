/* SPDX-License-Identifier: Apache-2.0 */
/* test_person.c -- people as partners: person-name matching (engine/match/person.c) on a small
 * registry of real listed individuals, the evidence of a date of birth and a nationality, people
 * and organisations apart, failed allocations, the loader's reading of person_names, birth_dates,
 * nationalities and same_as, and the wire format's fields (on tests/fixtures/rulesets/people). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "diag.h"
#include "match.h"
#include "proto.h"
#include "registry.h"
#include "ruleset.h"
#include "screen.h"
#include "testutil.h"
#include "vet_engine.h"

#define PEOPLE "tests/fixtures/rulesets/people"

/* The link wraps malloc (tests/tests.mk): a test can fail the k-th
 * allocation from now (arena chunks, the index's own; calloc and realloc
 * are not wrapped). */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
static long fail_in = -1; /* mallocs to let through before one fails; -1: none */
static long mallocs;      /* mallocs seen since counted from 0 */

void *
__wrap_malloc(size_t n)
{
    mallocs++;
    if (fail_in == 0) {
        fail_in = -1;
        errno = ENOMEM;
        return NULL;
    }
    if (fail_in > 0)
        fail_in--;
    return __real_malloc(n);
}

/* ---- a registry of real listed individuals (shared/data: OFAC SDN
 * sdn.csv and alt.csv by ent_num, UN_consolidated.xml by reference), and
 * two organisations ---- */

static const char *prig_al[] = {"PRIGOZHIN, Evgeny"};
static const char *naqdi_al[] = {"NAGHDI, Mohammad Reza"};
static const char *li_al[] = {"LEE, Karl"};
static const char *saddam_al[] = {"HUSSEIN, Saddam"};
static const char *atab_al[] = {
    /* Ислам Сеит-Умарович Атабиев */
    "\xd0\x98\xd1\x81\xd0\xbb\xd0\xb0\xd0\xbc \xd0\xa1\xd0\xb5\xd0\xb8\xd1\x82-\xd0\xa3\xd0\xbc"
    "\xd0\xb0\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x87 \xd0\x90\xd1\x82\xd0\xb0\xd0\xb1\xd0\xb8"
    "\xd0\xb5\xd0\xb2"};
static const char *tufail_al[] = {"Tufail, S.M."};
static const char *kim_dob[] = {"1984-01-08"};
static const char *sik_dob[] = {"1967", "1968", "1969"};
static const char *prig_dob[] = {"1961-06-01"};
static const char *naqdi_dob[] = {"1951", "1961-04"};
static const char *li_dob[] = {"1972-09-18"};
static const char *ivanov_dob[] = {"1950-05-12", "1952"};
static const char *mcl_dob[] = {"1964-03-23", "1964-03-22"};
static const char *nat_kp[] = {"KP"};
static const char *nat_ir[] = {"IR"};
static const char *nat_cn[] = {"CN"};
static const char *nat_gb_pk[] = {"GB", "PK"};
static const reg_ident_t kim_ids[] = {{"ofac", "20157"}};
static const reg_ident_t exch_ids[] = {{"ofac", "13129"}};

enum {
    E_KIM,
    E_SIK,
    E_PRIG,
    E_NAQDI,
    E_LI,
    E_HOSS,
    E_SADDAM,
    E_WALI,
    E_IVANOV,
    E_MCL,
    E_MATI,
    E_ATAB,
    E_TUFAIL,
    E_HSN,
    E_UDAY,
    E_QUSAY,
    E_SABAWI,
    E_UMAR,
    E_HAMDAN,
    E_KHAWLA,
    E_LONG,
    E_EXCH,
    E_HIT,
    N_ENTS
};

#define PERSON .type = "individual"
static reg_entity_t ents[N_ENTS] = {
    [E_KIM] = {.id = "sdn-20157",
               .name = "KIM, Jong Un",
               PERSON,
               .birth_dates = kim_dob,
               .n_birth_dates = 1,
               .ids = kim_ids,
               .n_ids = 1},
    [E_SIK] = {.id = "un-kpi.066",
               .name = "KIM JONG SIK",
               PERSON,
               .birth_dates = sik_dob,
               .n_birth_dates = 3,
               .nationalities = nat_kp,
               .n_nationalities = 1},
    [E_PRIG] = {.id = "sdn-21171",
                .name = "PRIGOZHIN, Yevgeniy Viktorovich",
                PERSON,
                .aliases = prig_al,
                .n_aliases = 1,
                .birth_dates = prig_dob,
                .n_birth_dates = 1},
    [E_NAQDI] = {.id = "sdn-12057",
                 .name = "NAQDI, Mohammad Reza",
                 PERSON,
                 .aliases = naqdi_al,
                 .n_aliases = 1,
                 .birth_dates = naqdi_dob,
                 .n_birth_dates = 2,
                 .nationalities = nat_ir,
                 .n_nationalities = 1},
    [E_LI] = {.id = "sdn-11447",
              .name = "LI, Fangwei",
              PERSON,
              .aliases = li_al,
              .n_aliases = 1,
              .birth_dates = li_dob,
              .n_birth_dates = 1,
              .nationalities = nat_cn,
              .n_nationalities = 1},
    [E_HOSS] = {.id = "sdn-17225", .name = "HOSSEINI, Sayyed Jabar", PERSON},
    [E_SADDAM] = {.id = "sdn-7843",
                  .name = "AL-TIKRITI, Saddam Hussein",
                  PERSON,
                  .aliases = saddam_al,
                  .n_aliases = 1},
    [E_WALI] = {.id = "sdn-13125", .name = "WALI, Mohammad", PERSON},
    [E_IVANOV] = {.id = "sdn-16690",
                  .name = "IVANOV, Victor Petrovich",
                  PERSON,
                  .birth_dates = ivanov_dob,
                  .n_birth_dates = 2},
    [E_MCL] = {.id = "sdn-19680",
               .name = "MCLINTOCK, James Alexander",
               PERSON,
               .birth_dates = mcl_dob,
               .n_birth_dates = 2,
               .nationalities = nat_gb_pk,
               .n_nationalities = 2},
    [E_MATI] = {.id = "un-tai.020", .name = "MATIULLAH", PERSON},
    [E_ATAB] = {.id = "un-qdi.364",
                .name = "ISLAM SEIT-UMAROVICH ATABIEV",
                PERSON,
                .aliases = atab_al,
                .n_aliases = 1},
    [E_TUFAIL] = {.id = "un-qdi.056",
                  .name = "MOHAMMED TUFAIL",
                  PERSON,
                  .aliases = tufail_al,
                  .n_aliases = 1},
    /* Made up, no listing: a name with an initial and a word in the
     * Arabic script (حسن), for test_initial_records. */
    [E_HSN] = {.id = "made-up-1", .name = "\xd8\xad\xd8\xb3\xd9\x86 Faraj X.", PERSON},
    /* UN IQi.003, IQi.002, IQi.036 and IQi.082 by their names in the
     * Arabic script: Uday and Qusay, sons of Saddam Hussein; Sab'awi
     * Ibrahim Hassan al-Tikriti and his son Omar. */
    [E_UDAY] = {.id = "un-iqi.003", .name = "عدي صدام حسين التكريتي", PERSON},
    [E_QUSAY] = {.id = "un-iqi.002", .name = "قصي صدام حسين التكريتي", PERSON},
    [E_SABAWI] = {.id = "un-iqi.036", .name = "سبعاوي إبراهيم حسن التكريتي", PERSON},
    [E_UMAR] = {.id = "un-iqi.082", .name = "عمر سبعاوي إبراهيم حسن التكريتي", PERSON},
    [E_HAMDAN] = {.id = "sdn-7913", .name = "HAMDAN, Usama", PERSON},
    /* UN IQi.066 by her name in the Arabic script alone. */
    [E_KHAWLA] = {.id = "un-iqi.066", .name = "خولة برزان إبراهيم حسن التكريتي", PERSON},
    /* Made up, no listing: a long name, two of whose words another
     * spelling joins, for test_long_names. */
    [E_LONG] = {.id = "made-up-2", .name = "Muhammad Abd Rahim Hamid Nasser", PERSON},
    [E_EXCH] = {.id = "sdn-13129",
                .name = "MOHAMMAD WALI MONEY EXCHANGE",
                .type = "company",
                .country = "AF",
                .ids = exch_ids,
                .n_ids = 1},
    [E_HIT] = {.id = "hit",
               .name = "Harbin Institute of Technology",
               .type = "university",
               .country = "CN"},
};

/* A small person_names, in the shape of rules/words.cfg's. */
static const match_wordmap_t variants[] = {
    {"mohammad", "muhammad"}, {"mohammed", "muhammad"}, {"mohamed", "muhammad"},
    {"hossein", "husayn"},    {"hussein", "husayn"},    {"husain", "husayn"},
    {"hosseini", "husayni"},  {"husseini", "husayni"},  {"evgeny", "yevgeniy"},
    {"evgenii", "yevgeniy"},  {"victor", "viktor"},
};
static const match_wordmap_t spellings[] = {
    {"kh", "h"}, {"gh", "q"}, {"ou", "u"}, {"^ye", "e"}, {"iy$", "i"}, {"ii$", "i"}, {"y$", "i"},
};
static const char *particles[] = {"al", "bin", "ibn", "di"};
static const char *joined[] = {"al"};
static const char *titles[] = {"sayyed", "haji", "dr", "mr"};
static const char *patronymics[] = {"ovich", "evich", "ovna", "evna"};
static const match_words_t words = {
    .person = {.variants = variants,
               .n_variants = sizeof variants / sizeof variants[0],
               .spellings = spellings,
               .n_spellings = sizeof spellings / sizeof spellings[0],
               .particles = particles,
               .n_particles = sizeof particles / sizeof particles[0],
               .joined = joined,
               .n_joined = 1,
               .titles = titles,
               .n_titles = sizeof titles / sizeof titles[0],
               .patronymics = patronymics,
               .n_patronymics = 4}};

static match_index_t *ix;    /* the registry above */
static vet_engine_t *engine; /* the people fixture */
static vet_worker_t *worker;

static int
setup(void **state)
{
    (void)state;
    char err[256] = "";
    match_config_t cfg = {0.88, 0.08, 5, &words, false, false};
    ix = match_index_new(ents, N_ENTS, &cfg, err, sizeof err);
    if (ix == NULL)
        print_error("match_index_new: %s\n", err);
    char *errs = NULL;
    engine = vet_engine_load(PEOPLE, &errs);
    if (engine == NULL)
        print_error("%s", errs != NULL ? errs : "vet_engine_load failed\n");
    free(errs);
    worker = vet_worker_new();
    return ix != NULL && engine != NULL && worker != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    match_index_destroy(&ix);
    vet_worker_destroy(&worker);
    vet_engine_destroy(&engine);
    return 0;
}

/* The hits of a person's query (dob and nat may be NULL), into out. */
static int
find_person(const char *name, const char *dob, const char *nat, match_hit_t *out, size_t cap)
{
    arena_t *a = arena_new(0);
    match_query_t q = {.name = name, .person = true, .birth_date = dob, .nationality = nat};
    char err[128] = "";
    int n = match_find(ix, &q, a, out, cap, err, sizeof err);
    if (n < 0)
        print_error("match_find(%s): %s\n", name, err);
    arena_destroy(&a);
    return n;
}

/* The first hit on entity e among h[0..n), or NULL. */
static const match_hit_t *
hit_on(const match_hit_t *h, int n, int e)
{
    for (int i = 0; i < n; i++)
        if (h[i].entity == (uint32_t)e)
            return &h[i];
    return NULL;
}

/* Asserts that the person's name (no date, no nationality) is a fuzzy
 * match of entity e, at a score of at least min. */
static void
expect_person(const char *name, int e, double min)
{
    match_hit_t h[16];
    int n = find_person(name, NULL, NULL, h, 16);
    const match_hit_t *x = hit_on(h, n, e);
    if (x == NULL) {
        print_error("\"%s\": expected a match of %s, got %d hits%s%s\n", name, ents[e].id, n,
                    n > 0 ? ", first " : "", n > 0 ? ents[h[0].entity].id : "");
        fail();
    }
    assert_int_equal(x->method, MATCH_FUZZY);
    assert_false(x->ruled_out);
    if (x->score < min) {
        print_error("\"%s\": %s at %.3f, expected at least %.3f\n", name, ents[e].id, x->score,
                    min);
        fail();
    }
}

/* Asserts that the person's name matches nobody (e < 0) or not entity e. */
static void
expect_not(const char *name, int e)
{
    match_hit_t h[16];
    int n = find_person(name, NULL, NULL, h, 16);
    assert_true(n >= 0);
    if ((e < 0 && n > 0) || (e >= 0 && hit_on(h, n, e) != NULL)) {
        print_error("\"%s\": expected no match%s%s, got %s (%.3f)\n", name, e >= 0 ? " of " : "",
                    e >= 0 ? ents[e].id : "", ents[h[0].entity].id, h[0].score);
        fail();
    }
}

/* ---- names ---- */

static void
test_word_order(void **state)
{
    (void)state;
    expect_person("Kim Jong Un", E_KIM, 0.99);
    expect_person("Jong Un Kim", E_KIM, 0.99);
    expect_person("KIM, Jong Un", E_KIM, 0.99);
    expect_person("Kim Jong-un", E_KIM, 0.99); /* a hyphenated given name */
    expect_person("Kim Jongun", E_KIM, 0.99);  /* written as one word */
    /* Another given name is another person, Korean order or not. */
    expect_not("Kim Jong Sik", E_KIM);
    expect_person("Kim Jong Sik", E_SIK, 0.99);
    expect_not("Kim Yo Jong", -1);
    /* One word is nobody's whole name but a one-word name's. */
    expect_not("Kim", -1);
    expect_person("Matiullah", E_MATI, 0.99);
    expect_not("Matiullah Khan", E_MATI);
}

static void
test_initials_and_patronymics(void **state)
{
    (void)state;
    /* The patronymic may be left out, not replaced. */
    expect_person("Victor Ivanov", E_IVANOV, 0.96);
    expect_person("Viktor Petrovich Ivanov", E_IVANOV, 0.99);
    expect_not("Victor Sergeyevich Ivanov", E_IVANOV);
    /* An initial is weaker: it pairs, at a lower score. */
    expect_person("J. A. McLintock", E_MCL, 0.89);
    expect_person("James McLintock", E_MCL, 0.93); /* a middle name left out */
    expect_not("J. McLintock", E_MCL);             /* both: 0.87 */
    expect_not("P. McLintock", E_MCL);
    /* The first letter as written stands for the word ("Y" of Yevgeniy). */
    expect_person("Y. V. Prigozhin", E_PRIG, 0.89);
    match_hit_t h[8];
    int n = find_person("J. A. McLintock", NULL, NULL, h, 8);
    const match_hit_t *x = hit_on(h, n, E_MCL);
    assert_non_null(x);
    assert_true(x->score < 0.95);
}

/* A record that holds an initial is scored only when two of the query's
 * words may pair in it (person.c, initial_may_match): words that their
 * probes reach (a Latin word reaches an unvocalised one by its skeleton),
 * or that its initial pairs, which no probe reaches. */
static void
test_initial_records(void **state)
{
    (void)state;
    /* "Tufail, S.M.": only "Tufail" is reached; the initials pair
     * "Sultan" and "Mahmood" (2.7 / 3 = 0.90). */
    expect_person("Sultan Mahmood Tufail", E_TUFAIL, 0.89);
    expect_person("S. M. Tufail", E_TUFAIL, 0.89);
    /* No word begins with S or M: the initials pair nothing. */
    expect_not("Bashir Tufail", E_TUFAIL);
    /* "Faraj" is reached by its form, "Hasan" by its skeleton "hsn" (the
     * unvocalised حسن it pairs); the initial X is left over ((1 + 0.9) /
     * 2 * 0.94 = 0.89). */
    expect_person("Hasan Faraj", E_HSN, 0.89);
    expect_not("Karim Faraj", E_HSN);
}

/* A word from the Arabic script of two letters is a title or a particle
 * only when it is the article: عمر (Umar) renders "mr" and عدي (Uday)
 * "di", which are no "Mr" and no "di" (person.c, is_optional). Read as
 * titles, they counted for nothing, and one brother's name matched
 * another's. */
static void
test_arabic_names_not_titles(void **state)
{
    (void)state;
    expect_person("قصي صدام حسين التكريتي", E_QUSAY, 0.99);
    expect_not("قصي صدام حسين التكريتي", E_UDAY);
    expect_person("عدي صدام حسين التكريتي", E_UDAY, 0.99);
    expect_not("عدي صدام حسين التكريتي", E_QUSAY);
    expect_person("عمر سبعاوي إبراهيم حسن التكريتي", E_UMAR, 0.99);
    /* The father's whole name is in the son's: a name with a word more
     * (0.94, a match, as any name is), no longer the same name (1). */
    match_hit_t h[16];
    int n = find_person("سبعاوي إبراهيم حسن التكريتي", NULL, NULL, h, 16);
    const match_hit_t *x = hit_on(h, n, E_UMAR);
    assert_non_null(x);
    assert_true(x->score < 0.95);
    expect_not("سعد سبعاوي إبراهيم حسن التكريتي", E_UMAR); /* a brother */
}

/* An unvocalised word's first alef carries any vowel: إبراهيم, rendered
 * "abrahim", is Ibrahim (person.c, unvocalised). */
static void
test_initial_alef(void **state)
{
    (void)state;
    expect_person("Omar Sabawi Ibrahim Hasan al-Tikriti", E_UMAR, 0.89);
    expect_person("Sabawi Ibrahim Hassan al-Tikriti", E_SABAWI, 0.89);
    expect_not("Sabawi Abraham Hassan al-Tikriti", E_SABAWI); /* Abraham is another name */
}

/* A last ta marbuta or heh is a Latin name's final a or e, both ways:
 * the query in the Arabic script and the record in the Latin one, and the
 * other way round (each word's skeleton is probed without its "h"). */
static void
test_final_ta_marbuta(void **state)
{
    (void)state;
    expect_person("أسامة حمدان", E_HAMDAN, 0.89);
    expect_person("Khawla Barzan Ibrahim Hasan al-Tikriti", E_KHAWLA, 0.89);
    expect_not("علي حمدان", E_HAMDAN);                              /* Ali is not Usama */
    expect_not("Khawli Barzan Ibrahim Hasan al-Tikriti", E_KHAWLA); /* the h is an a or an e */
}

/* Records are numbered by their counted words, and a search refuses
 * those that have more than the query's words can pair (cannot_match,
 * the cut in person_search, choose_walk's second way): a long name is
 * still found by a query that pairs all its words but one, also when one
 * query word pairs two of its words joined, and refused by one that
 * leaves two unpaired. */
static void
test_long_names(void **state)
{
    (void)state;
    expect_person("Muhammad Abd Rahim Hamid", E_LONG, 0.93);
    expect_person("Abd Rahim Hamid Nasser", E_LONG, 0.93);
    expect_person("Abdrahim Muhammad Hamid Nasser", E_LONG, 0.99);
    expect_person("Abdrahim Muhammad Hamid", E_LONG, 0.93); /* a join and one word left */
    expect_not("Muhammad Hamid", E_LONG);
    expect_not("Muhammad Abd Hamid", E_LONG);
}

static void
test_transliteration(void **state)
{
    (void)state;
    expect_person("Evgenii Prigozhin", E_PRIG, 0.99);
    expect_person("Yevgeny Prigozin", E_PRIG, 0.9); /* and a typo */
    expect_person("Mohammed Reza Naghdi", E_NAQDI, 0.99);
    expect_person("Muhammad Reza Naqdi", E_NAQDI, 0.99);
    /* Евгений Викторович Пригожин (BGN/PCGN: yevgeniy viktorovich prigozhin) */
    expect_person(
        "\xd0\x95\xd0\xb2\xd0\xb3\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb9 \xd0\x92\xd0\xb8\xd0\xba"
        "\xd1\x82\xd0\xbe\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x87 \xd0\x9f\xd1\x80\xd0\xb8"
        "\xd0\xb3\xd0\xbe\xd0\xb6\xd0\xb8\xd0\xbd",
        E_PRIG, 0.99);
    /* محمد رضا نقدی: the Persian script writes no short vowels (mhmd rza nqdi) */
    expect_person(
        "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xd8\xb1\xd8\xb6\xd8\xa7 \xd9\x86\xd9\x82\xd8\xaf"
        "\xdb\x8c",
        E_NAQDI, 0.89);
    /* 李方伟 in pinyin, and the given name split or joined */
    expect_person("\xe6\x9d\x8e\xe6\x96\xb9\xe4\xbc\x9f", E_LI, 0.99);
    expect_person("Li Fang Wei", E_LI, 0.99);
    expect_person("Fangwei Li", E_LI, 0.99);
    expect_person("Karl Lee", E_LI, 0.99);
    /* A listed name in Cyrillic, a request in Latin letters. */
    expect_person("Islam Atabiev", E_ATAB, 0.96);
    /* Two names of the variants are two names, however close: Hosseini
     * is not Hossein. */
    expect_not("Jabar Hossein", E_HOSS);
    expect_person("Jabar Husseini", E_HOSS, 0.99);
}

static void
test_particles_titles_surnames(void **state)
{
    (void)state;
    expect_person("Saddam Hussein", E_SADDAM, 0.99);
    expect_person("Saddam Hussein al-Tikriti", E_SADDAM, 0.99);
    expect_person("Saddam Hussein Altikriti", E_SADDAM, 0.99);
    expect_person("Sayyed Jabar Hosseini", E_HOSS, 0.99);
    expect_person("Jabar Hosseini", E_HOSS, 0.99); /* the title may be left out */
    expect_person("Haji Mohammad Wali", E_WALI, 0.99);
    /* The family name a list gives before its comma must be there. */
    expect_not("Mohammad Reza", E_NAQDI);
    expect_not("Mohammad Hosseini", -1);
}

/* ---- the pair index finds what the search finds without it ---- */

/* Names of many people made of few common words, as at scale: Muhammad
 * in four spellings and in the Arabic script, Ali, Hassan, Ahmad, with
 * titles, particles and initials. Made up, so that every common word is
 * held by dozens of records (person.c: a form is common from 16). */
#define PAIR_ENTS 2400
#define PAIR_HITS 256

static const char *const pair_given[] = {
    "Muhammad",
    "Mohammed",
    "Mohamed",
    "Mohammad",
    "Ali",
    "Hassan",
    "Hasan",
    "Ahmad",
    "Ahmed",
    "Ibrahim",
    "Abdullah",
    "Omar",
    "Yusuf",
    "Khalid",
    "Abd Rahim",
    "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf",                         /* محمد */
    "\xd8\xb9\xd9\x84\xd9\x8a",                                 /* علي */
    "\xd8\xad\xd8\xb3\xd9\x86",                                 /* حسن */
    "\xd8\xa3\xd8\xad\xd9\x85\xd8\xaf",                         /* أحمد */
    "\xd8\xb9\xd8\xa8\xd8\xaf\xd8\xa7\xd9\x84\xd9\x84\xd9\x87", /* عبدالله */
};
static const char *const pair_family[] = {
    "Khan",     "Rahman", "Hussein", "al-Tikriti", "Haddad",    "Nasser", "Saleh",
    "Karimi",   "Hamdan", "Qasim",   "Hashimi",    "Mansour",   "Haji",   "bin Laden",
    "Abu Bakr", "M.",     "A. R.",   "Fang Wei",   "Ivanovich", "Hassan", "Ali",
};

static int
hit_order(const void *x, const void *y)
{
    const match_hit_t *a = x, *b = y;
    return a->entity != b->entity ? (a->entity < b->entity ? -1 : 1)
           : a->name != b->name   ? (a->name < b->name ? -1 : 1)
                                  : 0;
}

/* The hits of a person's name, as text, by entity. */
static void
person_hits(const match_index_t *mx, arena_t *a, const char *name, char *out, size_t cap)
{
    match_query_t q = {.name = name, .person = true};
    match_hit_t h[PAIR_HITS];
    char err[128];
    arena_reset(a);
    int n = match_find(mx, &q, a, h, PAIR_HITS, err, sizeof err);
    if (n < 0 || n >= PAIR_HITS)
        fail_msg("\"%s\": %d hits (%s)", name, n, n < 0 ? err : "the most asked");
    qsort(h, (size_t)n, sizeof *h, hit_order);
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%u:%d:%.6f ", h[i].entity, (int)h[i].method,
                               h[i].score);
}

static reg_entity_t pair_ents[PAIR_ENTS];
static char pair_names[PAIR_ENTS][96];

/* The made-up registry: two to four words, the last a family name. */
static void
pair_registry(void)
{
    static char ids[PAIR_ENTS][16];
    reg_entity_t *pe = pair_ents;
    char(*names)[96] = pair_names;
    size_t ng = sizeof pair_given / sizeof *pair_given,
           nf = sizeof pair_family / sizeof *pair_family;
    uint32_t x = 12345;
    for (size_t i = 0; i < PAIR_ENTS; i++) {
        const char *w[4];
        int n = 2 + (int)(i % 3);
        for (int k = 0; k < n; k++) {
            x = x * 1103515245u + 12345u;
            w[k] = k < n - 1 ? pair_given[(x >> 16) % ng] : pair_family[(x >> 16) % nf];
        }
        size_t at = 0;
        for (int k = 0; k < n; k++)
            at += (size_t)snprintf(names[i] + at, sizeof names[i] - at, "%s%s", k ? " " : "", w[k]);
        snprintf(ids[i], sizeof ids[i], "made-up-p%zu", i);
        pe[i] = (reg_entity_t){.id = ids[i], .name = names[i], .type = "individual", .risk = -1};
    }
}

/* The made-up registry's index, in *a, and in *b the same but as how
 * says: "no pair index" or "every name scored" (match_config_t). */
static void
pair_indexes(match_index_t **a, match_index_t **b, const char *how)
{
    pair_registry();
    match_config_t fast = {0.88, 0.0, PAIR_HITS, NULL, false, false}, other = fast;
    other.no_pair_index = strcmp(how, "no pair index") == 0;
    other.score_every_person = strcmp(how, "every name scored") == 0;
    char err[256];
    *a = match_index_new(pair_ents, PAIR_ENTS, &fast, err, sizeof err);
    *b = match_index_new(pair_ents, PAIR_ENTS, &other, err, sizeof err);
    assert_non_null(*a);
    assert_non_null(*b);
}

/* Fails unless indexes a and b (what each is, as and bs) find the same
 * hits for the person's name q; returns how many. */
static long
same_hits(const match_index_t *a, const match_index_t *b, arena_t *ar, const char *q,
          const char *as, const char *bs)
{
    static char ha[PAIR_HITS * 24], hb[PAIR_HITS * 24];
    person_hits(a, ar, q, ha, sizeof ha);
    person_hits(b, ar, q, hb, sizeof hb);
    if (strcmp(ha, hb) != 0)
        fail_msg("\"%s\": %s %s, %s %s", q, as, ha, bs, hb);
    long hits = 0;
    for (const char *c = ha; *c; c++)
        hits += *c == ' ';
    return hits;
}

/* Ends a comparison of two indexes: fails unless it asked more than
 * min_queries queries and found more than per hits a query on average
 * (not a test of nothing: most queries match names), then frees what
 * pair_indexes and the test made. */
static void
compared(long queries, long hits, long min_queries, long per, arena_t **ar, match_index_t **a,
         match_index_t **b)
{
    assert_true(queries > min_queries);
    assert_true(hits > per * queries);
    arena_destroy(ar);
    match_index_destroy(a);
    match_index_destroy(b);
}

/* Whatever the query, the search with the pair index (pair_plan) finds
 * the names the search without it finds, with the same scores: queries
 * of two and three of the common words in every order, the same word
 * spelled twice, a typo, an initial, a title, the Arabic script. */
static void
test_pair_index_same_matches(void **state)
{
    (void)state;
    size_t ng = sizeof pair_given / sizeof *pair_given;
    match_index_t *a, *b;
    pair_indexes(&a, &b, "no pair index");
    /* The pairs are there (memory), and searched below. */
    assert_true(match_index_memory(a) > match_index_memory(b));
    arena_t *ar = arena_new(0);
    assert_non_null(ar);
    static const char *const extra[] = {
        "Muhamad", "Mohammmad", "Alli", "Hasan Ali", "M.", "Haji", "al", "Abdrahim",
    };
    size_t ne = sizeof extra / sizeof *extra, nw = ng + ne;
    char q[256];
    long hits = 0, queries = 0;
    for (size_t i = 0; i < nw; i++)
        for (size_t j = 0; j < nw; j++)
            for (size_t k = 0; k <= nw; k++) {
                const char *wi = i < ng ? pair_given[i] : extra[i - ng];
                const char *wj = j < ng ? pair_given[j] : extra[j - ng];
                const char *wk = k == nw ? NULL : k < ng ? pair_given[k] : extra[k - ng];
                if (wk != NULL && (i + j + k) % 4 != 0)
                    continue; /* a quarter of the three-word queries */
                snprintf(q, sizeof q, "%s %s%s%s", wi, wj, wk ? " " : "", wk ? wk : "");
                hits += same_hits(a, b, ar, q, "with pairs", "without");
                queries++;
            }
    compared(queries, hits, 2000, 5, &ar, &a, &b);
}

/* A way a request writes a listed name (variant). */
static void
variant(const char *name, int how, char *out, size_t cap)
{
    char w[8][48];
    int n = 0;
    for (const char *c = name; *c && n < 8;) {
        size_t l = strcspn(c, " ");
        if (l > 0 && l < sizeof w[0])
            snprintf(w[n++], sizeof w[0], "%.*s", (int)l, c);
        c += l + (c[l] == ' ');
    }
    size_t at = 0;
    out[0] = '\0';
#define PUT(...) (at += (size_t)snprintf(out + at, cap - at, __VA_ARGS__))
    switch (how) {
    case 0: /* reversed */
        for (int k = n - 1; k >= 0; k--)
            PUT("%s%s", k == n - 1 ? "" : " ", w[k]);
        break;
    case 1: /* the first word an initial (a Latin one) */
        PUT((unsigned char)w[0][0] < 0x80 ? "%.1s." : "%s", w[0]);
        for (int k = 1; k < n; k++)
            PUT(" %s", w[k]);
        break;
    case 2: /* the last word left out */
        for (int k = 0; k + 1 < n || (n == 1 && k == 0); k++)
            PUT("%s%s", k ? " " : "", w[k]);
        break;
    case 3: /* a word more: a patronymic, a title, a name */
        PUT("%.95s %s", name, (const char *[]){"Sergeevich", "Haji", "Karimi"}[strlen(name) % 3]);
        break;
    case 4: /* the first two words joined */
        PUT("%s%s", w[0], n > 1 ? w[1] : "");
        for (int k = 2; k < n; k++)
            PUT(" %s", w[k]);
        break;
    case 5: /* a letter of the longest word doubled: a typo */
    default: {
        int big = 0;
        for (int k = 1; k < n; k++)
            if (strlen(w[k]) > strlen(w[big]))
                big = k;
        for (int k = 0; k < n; k++) {
            size_t l = strlen(w[k]);
            if (k == big && l >= 5 && (unsigned char)w[k][2] < 0x80)
                PUT("%s%.3s%c%s", k ? " " : "", w[k], w[k][2], w[k] + 3);
            else
                PUT("%s%s", k ? " " : "", w[k]);
        }
        break;
    }
    }
#undef PUT
}

/* The search's probes and filters never lose a match: it finds what
 * scoring every listed name finds (PERSON_SEARCH_EVERY), with the same
 * scores, for listed names written as requests write them: in another
 * order, with an initial, a word left out or added, two words joined, a
 * typo; and for two common words, a word written twice among them ("Ahmad
 * حسن حسن" is "حسن Hussein": only the word written twice reaches it, through
 * two of its words). */
static void
test_filters_never_lose_a_match(void **state)
{
    (void)state;
    match_index_t *a, *b;
    pair_indexes(&a, &b, "every name scored");
    arena_t *ar = arena_new(0);
    assert_non_null(ar);
    char q[256];
    long hits = 0, queries = 0;
    size_t ng = sizeof pair_given / sizeof *pair_given;
    for (size_t i = 0; i < PAIR_ENTS + ng * ng + ng; i += i < PAIR_ENTS ? 13 : 1)
        for (int how = 0; how < (i < PAIR_ENTS ? 7 : i < PAIR_ENTS + ng * ng ? 1 : 3); how++) {
            if (i >= PAIR_ENTS + ng * ng) /* a word twice, and one other */
                snprintf(q, sizeof q, (const char *[]){"Yusuf %s %s", "%s Khan %s", "%s %s"}[how],
                         pair_given[i - PAIR_ENTS - ng * ng], pair_given[i - PAIR_ENTS - ng * ng]);
            else if (i >= PAIR_ENTS) /* two common words */
                snprintf(q, sizeof q, "%s %s", pair_given[(i - PAIR_ENTS) / ng],
                         pair_given[(i - PAIR_ENTS) % ng]);
            else if (how == 6)
                snprintf(q, sizeof q, "%.95s", pair_names[i]);
            else
                variant(pair_names[i], how, q, sizeof q);
            hits += same_hits(a, b, ar, q, "searched", "every name scored");
            queries++;
        }
    compared(queries, hits, 1000, 3, &ar, &a, &b);
}

/* A word written twice finds the listed names that two spellings of it
 * make, two of the word's probes reaching two of their words that share
 * no form or skeleton ("hasan", "hassan"): "Yusuf Hasan Hasan" finds
 * "Hasan Hassan", as scoring every name does, whether the word's
 * records are walked or counted apart (tally_copies). */
static void
test_word_twice_two_spellings(void **state)
{
    (void)state;
    static reg_entity_t e[] = {
        {.id = "p-1", .name = "Hasan Hassan", .type = "individual", .risk = -1},
        {.id = "p-2", .name = "Yusuf Karimi", .type = "individual", .risk = -1},
        {.id = "p-3", .name = "Hasan Khan", .type = "individual", .risk = -1},
        {.id = "p-4", .name = "Hassan Hasan Haddad", .type = "individual", .risk = -1},
        {.id = "p-5", .name = "Abd Rahim Abdrahim", .type = "individual", .risk = -1},
    };
    size_t n = sizeof e / sizeof e[0];
    match_config_t fast = {0.88, 0.0, PAIR_HITS, NULL, false, false}, every = fast;
    every.score_every_person = true;
    char err[256];
    match_index_t *a = match_index_new(e, n, &fast, err, sizeof err);
    match_index_t *b = match_index_new(e, n, &every, err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    arena_t *ar = arena_new(0);
    assert_non_null(ar);
    static const char *const qs[] = {
        "Yusuf Hasan Hasan",      "Hasan Yusuf Hasan", "Hasan Khan Hasan",
        "Haddad Hasan Hasan",     "Hasan Hasan",       "Karimi Abdrahim Abdrahim",
        "Abdrahim Khan Abdrahim",
    };
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        same_hits(a, b, ar, qs[i], "searched", "every name scored");
    /* And the one it is about is found. */
    match_query_t q = {.name = "Yusuf Hasan Hasan", .person = true};
    match_hit_t h[8];
    arena_reset(ar);
    int k = match_find(a, &q, ar, h, 8, err, sizeof err), found = 0;
    for (int i = 0; i < k; i++)
        found |= h[i].entity == 0;
    assert_true(found);
    arena_destroy(&ar);
    match_index_destroy(&a);
    match_index_destroy(&b);
}

/* ---- people and organisations ---- */

static void
test_people_and_organisations_apart(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    match_hit_t h[16];
    char err[128];
    /* A person's request meets no organisation, by name or identifier. */
    match_query_t q = {.name = "Mohammad Wali Money Exchange", .person = true};
    int n = match_find(ix, &q, a, h, 16, err, sizeof err);
    assert_true(n >= 0);
    for (int i = 0; i < n; i++)
        assert_string_equal(ents[h[i].entity].type, "individual");
    const char *sc[] = {"ofac"}, *v13129[] = {"13129"}, *v20157[] = {"20157"};
    q = (match_query_t){
        .name = "M. W.", .id_schemes = sc, .id_values = v13129, .n_ids = 1, .person = true};
    assert_int_equal(match_find(ix, &q, a, h, 16, err, sizeof err), 0);
    /* An organisation's request meets no person, by name or identifier. */
    const char *names[] = {"Kim Jong Un", "Mohammad Wali", "Saddam Hussein", "KIM, Jong Un"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        q = (match_query_t){.name = names[k]};
        n = match_find(ix, &q, a, h, 16, err, sizeof err);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++)
            assert_null(ents[h[i].entity].type != NULL &&
                                strcmp(ents[h[i].entity].type, "individual") == 0
                            ? ents[h[i].entity].id
                            : NULL);
    }
    q = (match_query_t){.name = "K. J. U.", .id_schemes = sc, .id_values = v20157, .n_ids = 1};
    assert_int_equal(match_find(ix, &q, a, h, 16, err, sizeof err), 0);
    /* A person's identifier on a person's request identifies. */
    q.person = true;
    assert_int_equal(match_find(ix, &q, a, h, 16, err, sizeof err), 1);
    assert_int_equal(h[0].entity, E_KIM);
    assert_int_equal(h[0].method, MATCH_ID);
    /* Organisations are found as before. */
    q = (match_query_t){.name = "Harbin Institute of Technology"};
    assert_int_equal(match_find(ix, &q, a, h, 16, err, sizeof err), 1);
    assert_int_equal(h[0].method, MATCH_EXACT);
    arena_destroy(&a);
}

/* ---- date of birth and nationality ---- */

static void
test_dates(void **state)
{
    (void)state;
    char why[64];
    assert_true(match_date_valid("1984-01-08", why, sizeof why));
    assert_true(match_date_valid("1984-01", why, sizeof why));
    assert_true(match_date_valid("1984", why, sizeof why));
    assert_true(match_date_valid("2000-02-29", why, sizeof why));
    assert_false(match_date_valid("1900-02-29", why, sizeof why));
    assert_string_equal(why, "day 29 of 1900-02");
    assert_false(match_date_valid("1984-13", why, sizeof why));
    assert_string_equal(why, "month 13");
    assert_false(match_date_valid("1700", why, sizeof why));
    assert_string_equal(why, "year 1700 is not between 1800 and 2100");
    const char *bad[] = {
        "",     "84",      "1984-1-8",   "1984/01/08", "08 Jan 1984", "1984-01-08T00",
        "198a", "1984-00", "1984-01-32", "1984-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(match_date_valid(bad[i], NULL, 0));
    assert_false(match_date_valid(NULL, NULL, 0));
    assert_string_equal(match_evidence_name(MATCH_EV_AGREES), "match");
    assert_string_equal(match_evidence_name(MATCH_EV_DIFFERS), "differs");
    assert_string_equal(match_evidence_name(MATCH_EV_NOT_GIVEN), "not given");
    assert_string_equal(match_evidence_name(MATCH_EV_NOT_LISTED), "not listed");
    assert_null(match_evidence_name(MATCH_EV_NONE));
}

/* The one hit of a person's query on entity e, with dob and nat. */
static match_hit_t
one(const char *name, const char *dob, const char *nat, int e)
{
    match_hit_t h[16];
    int n = find_person(name, dob, nat, h, 16);
    const match_hit_t *x = hit_on(h, n, e);
    assert_non_null(x);
    return *x;
}

static void
test_birth_date(void **state)
{
    (void)state;
    /* The same date: exact, score 1. */
    match_hit_t h = one("Kim Jong Un", "1984-01-08", NULL, E_KIM);
    assert_int_equal(h.method, MATCH_EXACT);
    assert_true(h.score == 1.0);
    assert_int_equal(h.birth_date, MATCH_EV_AGREES);
    assert_false(h.ruled_out);
    /* The precision both give: a year or a month agrees with a date. */
    assert_int_equal(one("Kim Jong Un", "1984", NULL, E_KIM).method, MATCH_EXACT);
    assert_int_equal(one("Kim Jong Un", "1984-01", NULL, E_KIM).method, MATCH_EXACT);
    assert_int_equal(one("Kim Jong Sik", "1968-05-01", NULL, E_SIK).method, MATCH_EXACT);
    assert_int_equal(one("Muhammad Reza Naqdi", "1961-04-20", NULL, E_NAQDI).method, MATCH_EXACT);
    assert_int_equal(one("Muhammad Reza Naqdi", "1951-12", NULL, E_NAQDI).method, MATCH_EXACT);
    /* Another date: ruled out, and reported. */
    h = one("Kim Jong Un", "1984-02", NULL, E_KIM);
    assert_true(h.ruled_out);
    assert_int_equal(h.birth_date, MATCH_EV_DIFFERS);
    assert_int_equal(h.method, MATCH_FUZZY);
    assert_true(one("Muhammad Reza Naqdi", "1961-05", NULL, E_NAQDI).ruled_out);
    assert_true(one("Kim Jong Sik", "1990", NULL, E_SIK).ruled_out);
    /* No date given, none listed. */
    h = one("Kim Jong Un", NULL, NULL, E_KIM);
    assert_int_equal(h.birth_date, MATCH_EV_NOT_GIVEN);
    assert_int_equal(h.nationality, MATCH_EV_NOT_GIVEN);
    h = one("Mohammad Wali", "1975", NULL, E_WALI);
    assert_int_equal(h.birth_date, MATCH_EV_NOT_LISTED);
    assert_int_equal(h.method, MATCH_FUZZY);
    assert_false(h.ruled_out);
    /* An identifier stays one whatever the date. */
    arena_t *a = arena_new(0);
    const char *sc[] = {"ofac"}, *va[] = {"20157"};
    match_query_t q = {.name = "Kim Jong Un",
                       .id_schemes = sc,
                       .id_values = va,
                       .n_ids = 1,
                       .person = true,
                       .birth_date = "1990"};
    match_hit_t hh[4];
    char err[64];
    assert_int_equal(match_find(ix, &q, a, hh, 4, err, sizeof err), 1);
    assert_int_equal(hh[0].method, MATCH_ID);
    assert_int_equal(hh[0].birth_date, MATCH_EV_DIFFERS);
    assert_false(hh[0].ruled_out);
    arena_destroy(&a);
}

static void
test_ruled_out_last(void **state)
{
    (void)state;
    /* Two listings of one name, one date: the ruled out come after the
     * matches, however they score. */
    static const char *d1[] = {"1970"}, *d2[] = {"1980"};
    reg_entity_t two[3] = {
        {.id = "a", .name = "ZHANG, Lei", PERSON, .birth_dates = d1, .n_birth_dates = 1},
        {.id = "b", .name = "ZHANG, Lei Ming", PERSON, .birth_dates = d2, .n_birth_dates = 1},
        {.id = "c", .name = "LEI, Zhang", PERSON},
    };
    char err[128];
    match_config_t cfg = {0.88, 0.08, 1, &words, false, false};
    match_index_t *x = match_index_new(two, 3, &cfg, err, sizeof err);
    assert_non_null(x);
    arena_t *a = arena_new(0);
    match_query_t q = {.name = "Zhang Lei", .person = true, .birth_date = "1980"};
    match_hit_t h[8];
    /* max_results 1: one match, one ruled out. */
    int n = match_find(x, &q, a, h, 8, err, sizeof err);
    assert_int_equal(n, 2);
    assert_false(h[0].ruled_out);
    assert_int_equal(h[0].entity, 1); /* exact by the date, though a word is left over */
    assert_int_equal(h[0].method, MATCH_EXACT);
    assert_true(h[1].ruled_out);
    assert_int_equal(h[1].entity, 0);
    arena_destroy(&a);
    match_index_destroy(&x);
}

static void
test_nationality(void **state)
{
    (void)state;
    match_hit_t same = one("Li Fang Wei", NULL, "CN", E_LI);
    match_hit_t other = one("Li Fang Wei", NULL, "FR", E_LI);
    match_hit_t none = one("Li Fang Wei", NULL, NULL, E_LI);
    assert_int_equal(same.nationality, MATCH_EV_AGREES);
    assert_int_equal(other.nationality, MATCH_EV_DIFFERS);
    assert_int_equal(none.nationality, MATCH_EV_NOT_GIVEN);
    assert_int_equal(other.method, MATCH_FUZZY); /* never rules out alone */
    assert_false(other.ruled_out);
    assert_true(other.score < none.score);
    assert_true(same.score >= none.score);
    /* Several listed: any agrees. */
    assert_int_equal(one("James McLintock", NULL, "pk", E_MCL).nationality, MATCH_EV_AGREES);
    assert_int_equal(one("Mohammad Wali", NULL, "AF", E_WALI).nationality, MATCH_EV_NOT_LISTED);
    /* A date that agrees decides, whatever the nationality. */
    match_hit_t h = one("Li Fangwei", "1972-09-18", "US", E_LI);
    assert_int_equal(h.method, MATCH_EXACT);
    assert_int_equal(h.nationality, MATCH_EV_DIFFERS);
}

/* ---- failed allocations ---- */

/* Every allocation of a person's search failed in turn: the search
 * fails with "out of memory" or gives the clean run's hits, never fewer. */
static void
test_search_allocation_failures(void **state)
{
    (void)state;
    static const struct {
        const char *name, *dob;
    } qs[] = {
        {"Kim Jong Un", "1984-02"},
        {"\xd0\x95\xd0\xb2\xd0\xb3\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb9 \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb3"
         "\xd0\xbe\xd0\xb6\xd0\xb8\xd0\xbd",
         NULL},
        {"Saddam Hussein Altikriti", "1937"},
        {"J. A. McLintock", NULL},
    };
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        match_query_t q = {.name = qs[k].name, .person = true, .birth_date = qs[k].dob};
        match_hit_t clean[8], got[8];
        char err[128];
        arena_t *a = arena_new(64);
        assert_non_null(a);
        mallocs = 0;
        int n = match_find(ix, &q, a, clean, 8, err, sizeof err);
        long points = mallocs;
        arena_destroy(&a);
        assert_true(n > 0);
        assert_true(points > 3);
        for (long i = 0; i < points; i++) {
            a = arena_new(64);
            assert_non_null(a);
            err[0] = '\0';
            fail_in = i;
            int m = match_find(ix, &q, a, got, 8, err, sizeof err);
            fail_in = -1;
            if (m < 0) {
                assert_string_equal(err, "out of memory");
            } else {
                assert_int_equal(m, n);
                for (int j = 0; j < n; j++) {
                    assert_int_equal(got[j].entity, clean[j].entity);
                    assert_int_equal(got[j].method, clean[j].method);
                    assert_int_equal(got[j].ruled_out, clean[j].ruled_out);
                }
            }
            arena_destroy(&a);
        }
    }
}

/* Every allocation of the index build failed in turn: NULL with a
 * message, or an index that finds what a clean one finds. */
static void
test_build_allocation_failures(void **state)
{
    (void)state;
    match_config_t cfg = {0.88, 0.08, 5, &words, false, false};
    char err[256];
    mallocs = 0;
    match_index_t *x = match_index_new(ents, N_ENTS, &cfg, err, sizeof err);
    long points = mallocs;
    assert_non_null(x);
    match_index_destroy(&x);
    for (long i = 0; i < points; i++) {
        err[0] = '\0';
        fail_in = i;
        x = match_index_new(ents, N_ENTS, &cfg, err, sizeof err);
        fail_in = -1;
        if (x == NULL) {
            assert_non_null(strstr(err, "out of memory"));
            continue;
        }
        arena_t *a = arena_new(0);
        match_query_t q = {.name = "Jong Un Kim", .person = true};
        match_hit_t h[4];
        assert_int_equal(match_find(x, &q, a, h, 4, err, sizeof err), 1);
        assert_int_equal(h[0].entity, E_KIM);
        arena_destroy(&a);
        match_index_destroy(&x);
    }
}

/* ---- spelling rules ---- */

static void
test_spelling(void **state)
{
    (void)state;
    char out[64];
    const match_person_words_t *w = &words.person;
    struct {
        const char *in, *want;
    } cases[] = {
        {"yevgeniy", "evgeni"}, /* ^ye, and iy$ as the longest rule at the end */
        {"evgeny", "evgeni"},     {"evgenii", "evgeni"}, {"khalid", "halid"},
        {"naghdi", "naqdi"},      {"mousavi", "musavi"}, {"hussein", "husein"}, /* doubled once */
        {"yemen", "emen"},        {"maye", "maye"}, /* ^ only at the start */
        {"tkachyov", "tkachyov"},                   /* y$ only at the end */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = match_person_spell(w, cases[i].in, strlen(cases[i].in), out, sizeof out);
        assert_int_equal(n, strlen(cases[i].want));
        assert_string_equal(out, cases[i].want);
    }
    /* Too long for the buffer: 0. */
    assert_int_equal(match_person_spell(w, "khkhkhkh", 8, out, 4), 0);
    /* No words: the word with its doubled letters once. */
    assert_int_equal(match_person_spell(NULL, "mohammed", 8, out, sizeof out), 7);
    assert_string_equal(out, "mohamed");
}

/* ---- the loader ---- */

/* A temporary ruleset: the people fixture's taxonomy and policy, with
 * the given words.cfg (NULL: none) and registry file. Returns the
 * directory (static buffer). */
static const char *
temp_ruleset(const char *wordscfg, const char *registry)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/vet-test-person-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/registry", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    const char *copy[] = {"taxonomy.cfg", "policy.cfg"};
    for (size_t i = 0; i < 2; i++) {
        char src[256];
        snprintf(src, sizeof src, PEOPLE "/%s", copy[i]);
        char *text = tu_read_file(src, NULL);
        assert_non_null(text);
        snprintf(path, sizeof path, "%s/%s", dir, copy[i]);
        tu_write_file(path, text);
        free(text);
    }
    if (wordscfg != NULL) {
        snprintf(path, sizeof path, "%s/words.cfg", dir);
        tu_write_file(path, wordscfg);
    }
    snprintf(path, sizeof path, "%s/registry/a.cfg", dir);
    tu_write_file(path, registry);
    return dir;
}

static void
assert_has(const char *errs, const char *want)
{
    if (strstr(errs, want) == NULL) {
        print_error("missing error:\n  %s\nin:\n%s", want, errs);
        fail();
    }
}

#define LISTS                                                                                      \
    "lists = ( { id = \"us-sdn\"; name = \"SDN\"; }, { id = \"un-sc\"; name = \"UN\"; } );\n"
#define UN_PERSON                                                                                  \
    "  { id = \"un-kpi.066\"; name = \"KIM JONG SIK\"; type = \"individual\";\n"                   \
    "    lists = [ \"un-sc\" ]; sources = [ \"x\" ]; }\n"

static void
test_registry_fields(void **state)
{
    (void)state;
    const char *dir = temp_ruleset(
        NULL, LISTS "organisations = (\n"
                    "  { id = \"p1\"; name = \"KIM, Jong Un\"; type = \"individual\";\n"
                    "    birth_dates = [ \"1984-01-08\", \"1984-13\", \"08 Jan 1984\" ];\n"
                    "    nationalities = [ \"KP\", \"kp\", \"PRK\" ];\n"
                    "    same_as = [ \"un-kpi.001\", \"Bad Id\", \"p1\" ];\n"
                    "    lists = [ \"us-sdn\" ]; sources = [ \"x\" ]; },\n"
                    "  { id = \"o1\"; name = \"An Organisation\"; type = \"company\";\n"
                    "    birth_dates = [ \"1990\" ];\n"
                    "    nationalities = [ \"CN\" ];\n"
                    "    lists = [ \"us-sdn\" ]; sources = [ \"x\" ]; }\n"
                    ");\n");
    char *errs = tu_ruleset_errors(dir);
    assert_has(errs, "D/registry/a.cfg:4: organisation \"p1\": birth date \"1984-13\": month 13 "
                     "(\"YYYY-MM-DD\", \"YYYY-MM\" or \"YYYY\")");
    assert_has(errs, "D/registry/a.cfg:4: organisation \"p1\": birth date \"08 Jan 1984\": not "
                     "YYYY-MM-DD, YYYY-MM or YYYY");
    assert_has(errs, "D/registry/a.cfg:5: organisation \"p1\": nationality \"kp\" must be an ISO "
                     "3166-1 alpha-2 code (upper case)");
    assert_has(errs, "D/registry/a.cfg:5: organisation \"p1\": nationality \"PRK\"");
    assert_has(errs, "D/registry/a.cfg:6: organisation \"p1\": same_as \"Bad Id\" is not an id");
    assert_has(errs, "D/registry/a.cfg:6: organisation \"p1\": same_as names the entry itself");
    assert_has(errs, "D/registry/a.cfg:9: organisation \"o1\": birth_dates is for individuals "
                     "(type = \"individual\")");
    assert_has(errs, "D/registry/a.cfg:10: organisation \"o1\": nationalities is for individuals");
    free(errs);
    tu_remove_tree(dir);

    /* A good one loads, keeps what it read, and its content digest says
     * so. (same_as links are resolved by load_merge.c: test_merge.c.) */
    const char *reg =
        LISTS "organisations = (\n"
              "  { id = \"p1\"; name = \"KIM, Jong Un\"; type = \"individual\";\n"
              "    birth_dates = [ \"1984-01-08\" ]; nationalities = [ \"KP\" ];\n"
              "    lists = [ \"us-sdn\" ]; sources = [ \"x\" ]; },\n" UN_PERSON ");\n";
    const char *bare =
        LISTS "organisations = (\n"
              "  { id = \"p1\"; name = \"KIM, Jong Un\"; type = \"individual\";\n"
              "    lists = [ \"us-sdn\" ]; sources = [ \"x\" ]; },\n" UN_PERSON ");\n";
    char content[2][65];
    for (int k = 0; k < 2; k++) {
        dir = temp_ruleset(NULL, k == 0 ? reg : bare);
        diag_t *d = diag_new(0);
        ruleset_t *rs = ruleset_load(dir, d);
        if (rs == NULL)
            diag_print(d, stderr);
        assert_non_null(rs);
        const reg_entity_t *e = &rs->ents[0];
        if (k == 0) {
            assert_int_equal(e->n_birth_dates, 1);
            assert_string_equal(e->birth_dates[0], "1984-01-08");
            assert_int_equal(e->n_nationalities, 1);
            assert_string_equal(e->nationalities[0], "KP");
        } else {
            assert_int_equal(e->n_birth_dates + e->n_nationalities + e->n_same_as, 0);
        }
        memcpy(content[k], rs->content, sizeof content[k]);
        ruleset_destroy(&rs);
        diag_destroy(&d);
        tu_remove_tree(dir);
    }
    assert_string_not_equal(content[0], content[1]);
}

static void
test_person_names_errors(void **state)
{
    (void)state;
    const char *dir =
        temp_ruleset("person_names = {\n"
                     "  variants = (\n"
                     "    [ \"hasan\", \"hassan\" ],\n"
                     "    [ \"husayn\", \"hasen\", \"hassan\" ],\n"
                     "    [ \"muhammad\" ],\n"
                     "    [ \"ali\", \"\xd0\xb0\xd0\xbb\xd0\xb8\", \"abu bakr\" ]\n"
                     "  );\n"
                     "  spellings = (\n"
                     "    [ \"h\", \"kh\" ],\n"
                     "    [ \"x\", \"kh\" ],\n"
                     "    [ \"i\", \"iy$\", \"^\", \"i$y\", \"Kh\" ],\n"
                     "    [ \"I\", \"ii$\" ]\n"
                     "  );\n"
                     "  particles = [ \"al\" ];\n"
                     "  joined = [ \"el\" ];\n"
                     "  titels = [ \"dr\" ];\n"
                     "};\n",
                     LISTS "organisations = ( { id = \"p1\"; name = \"X Y\"; type = "
                           "\"individual\"; lists = [ \"us-sdn\" ]; sources = [ \"x\" ]; } );\n");
    char *errs = tu_ruleset_errors(dir);
    /* Every error of the file, each at its line. */
    assert_has(errs, "D/words.cfg:4: person_names.variants[1]: \"hassan\" reads as \"hasan\", as "
                     "a word of variants[0] (line 3, \"hasan\") does; a spelling stands for one "
                     "name");
    assert_has(errs, "D/words.cfg:5: person_names.variants[2] must be an array of two or more "
                     "strings");
    assert_has(errs, "D/words.cfg:6: person_names.variants[3]: \"\xd0\xb0\xd0\xbb\xd0\xb8\" must "
                     "be Latin letters a to z");
    assert_has(errs, "D/words.cfg:6: person_names.variants[3]: \"abu bakr\" is several words");
    assert_has(errs, "D/words.cfg:10: person_names.spellings[1]: \"kh\" is already read as \"h\" "
                     "(line 9); a spelling has one reading");
    assert_has(errs, "D/words.cfg:11: person_names.spellings[2]: \"^\" must be letters");
    assert_has(errs, "D/words.cfg:11: person_names.spellings[2]: \"i$y\" must be lower-case "
                     "letters a to z");
    assert_has(errs, "D/words.cfg:11: person_names.spellings[2]: \"Kh\" must be lower-case");
    assert_has(errs, "D/words.cfg:12: person_names.spellings[3]: \"I\" (as read) must be "
                     "lower-case letters");
    assert_has(errs, "D/words.cfg:15: person_names.joined: \"el\" is not one of the particles");
    assert_has(errs, "D/words.cfg:16: unknown setting \"titels\" in person_names (did you mean "
                     "\"titles\"?)");
    free(errs);
    tu_remove_tree(dir);
}

/* ---- the wire format, on the people fixture ---- */

/* The reply to a request (borrowed until the next call). */
static const char *
screen_json(const char *json)
{
    const char *reply;
    size_t len;
    vet_engine_screen(engine, worker, json, strlen(json), &reply, &len);
    return reply;
}

static void
assert_in(const char *s, const char *want)
{
    if (strstr(s, want) == NULL) {
        print_error("missing:\n  %s\nin:\n  %s\n", want, s);
        fail();
    }
}

static void
test_wire_requests(void **state)
{
    (void)state;
    static const struct {
        const char *partner, *error;
    } bad[] = {
        {"{\"name\": \"Kim Jong Un\", \"birth_date\": \"1984-01-08\"}",
         "partner.birth_date: only for a person (partner.type \\\"individual\\\")"},
        {"{\"name\": \"Kim Jong Un\", \"type\": \"company\", \"nationality\": \"KP\"}",
         "partner.nationality: only for a person"},
        {"{\"name\": \"Kim Jong Un\", \"type\": \"individual\", \"birth_date\": \"1984-02-30\"}",
         "partner.birth_date: expected a date \\\"YYYY-MM-DD\\\", \\\"YYYY-MM\\\" or "
         "\\\"YYYY\\\": day 30 of 1984-02"},
        {"{\"name\": \"Kim Jong Un\", \"type\": \"individual\", \"birth_date\": 1984}",
         "partner.birth_date: expected a date"},
        {"{\"name\": \"Kim Jong Un\", \"type\": \"individual\", \"nationality\": \"PRK\"}",
         "partner.nationality: expected an ISO 3166-1 alpha-2 code"},
        {"{\"name\": \"Kim Jong Un\", \"type\": \"individual\", \"birth_dat\": \"1984\"}",
         "unknown field \\\"partner.birth_dat\\\" (did you mean \\\"partner.birth_date\\\"?)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char req[512];
        snprintf(req, sizeof req, "{\"id\": \"b\", \"partner\": %s}", bad[i].partner);
        const char *r = screen_json(req);
        assert_in(r, "\"code\":\"bad_request\"");
        assert_in(r, bad[i].error);
    }
    /* null is absent; a nationality in lower case is read in upper case. */
    const char *r = screen_json("{\"partner\": {\"name\": \"Li Fangwei\", \"type\": \"individual\","
                                " \"birth_date\": null, \"nationality\": \"cn\"}}");
    assert_in(r, "\"birth_date\":\"not given\",\"birth_dates\":[\"1972-09-18\"],"
                 "\"nationality\":\"match\",\"nationalities\":[\"CN\"]");
}

static void
test_wire_replies(void **state)
{
    (void)state;
    /* A person's match carries what the date of birth and the nationality say. */
    const char *r = screen_json("{\"partner\": {\"name\": \"Kim Jong Un\", \"type\": "
                                "\"individual\", \"birth_date\": \"1984-01-08\"}}");
    assert_in(r, "\"verdict\":\"prohibited\"");
    assert_in(r, "\"entity\":\"sdn-20157\",\"name\":\"KIM, Jong Un\",\"matched\":\"KIM, Jong "
                 "Un\",\"method\":\"exact\",\"score\":1.00,\"birth_date\":\"match\","
                 "\"birth_dates\":[\"1984-01-08\"],\"nationality\":\"not given\","
                 "\"nationalities\":[],\"country\":\"KP\"");
    assert_true(strstr(r, "ruled_out") == NULL);
    /* Ruled out: a partner.ruled_out entry and a note, the verdict clear. */
    r = screen_json("{\"partner\": {\"name\": \"Zhang Lei\", \"type\": \"individual\", "
                    "\"birth_date\": \"1990-05-17\"}}");
    assert_in(r, "\"verdict\":\"clear\"");
    assert_in(r, "\"partner\":{\"matches\":[],\"ruled_out\":[{\"entity\":\"sdn-16318\"");
    assert_in(r, "\"birth_date\":\"differs\",\"birth_dates\":[\"1976-01-03\"]");
    assert_in(r, "\"note\":\"The date of birth given (1990-05-17) rules out the listed person of "
                 "the same name: sdn-16318 (born 1976-01-03).");
    /* An organisation's match carries none of them. */
    r = screen_json("{\"partner\": {\"name\": \"Mohammad Wali Money Exchange\"}}");
    assert_in(r, "\"entity\":\"sdn-13129\"");
    assert_true(strstr(r, "birth_date") == NULL);
    /* The person's fields in the request record (the audit log). */
    arena_t *a = arena_new(0);
    request_t req;
    req_err_t code;
    const char *msg;
    const char *json = "{\"partner\": {\"name\": \"Kim Jong Un\", \"type\": \"individual\", "
                       "\"birth_date\": \"1984\", \"nationality\": \"kp\"}}";
    assert_int_equal(proto_parse(json, strlen(json), 0, a, &req, &code, &msg), 0);
    sbuf_t b = SBUF_INIT;
    proto_write_request(&b, &req, NULL, 0);
    assert_in(b.data, "\"type\":\"individual\",\"birth_date\":\"1984\",\"nationality\":\"KP\"");
    sbuf_clear(&b);
    const char *mask[] = {"partner.birth_date"};
    proto_write_request(&b, &req, mask, 1);
    assert_in(b.data, "\"birth_date\":\"***\",\"nationality\":\"KP\"");
    sbuf_free(&b);
    arena_destroy(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_order),
        cmocka_unit_test(test_initials_and_patronymics),
        cmocka_unit_test(test_transliteration),
        cmocka_unit_test(test_initial_records),
        cmocka_unit_test(test_arabic_names_not_titles),
        cmocka_unit_test(test_initial_alef),
        cmocka_unit_test(test_final_ta_marbuta),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_particles_titles_surnames),
        cmocka_unit_test(test_people_and_organisations_apart),
        cmocka_unit_test(test_birth_date),
        cmocka_unit_test(test_ruled_out_last),
        cmocka_unit_test(test_nationality),
        cmocka_unit_test(test_search_allocation_failures),
        cmocka_unit_test(test_build_allocation_failures),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_spelling),
        cmocka_unit_test(test_registry_fields),
        cmocka_unit_test(test_person_names_errors),
        cmocka_unit_test(test_wire_requests),
        cmocka_unit_test(test_wire_replies),
        cmocka_unit_test(test_pair_index_same_matches),
        cmocka_unit_test(test_filters_never_lose_a_match),
        cmocka_unit_test(test_word_twice_two_spellings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
