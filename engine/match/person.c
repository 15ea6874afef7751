/* SPDX-License-Identifier: Apache-2.0 */
/* person.c -- people's names: the person index, the search of a person's name, and what a date
 * of birth and a nationality say of a match (person.h).
 *
 * Design. A person's name is a handful of words in no fixed order
 * ("KIM, Jong Un", "Jong Un Kim"), each written several ways (Mohammad,
 * Muhammad, Mohammed; Yevgeniy, Evgeny, Evgenii), some of them left out
 * (a Russian patronymic, a middle name) or cut to an initial. So names
 * are compared as sets of words, not as strings:
 *
 *  - Words. A name is normalised (norm.h: case, accents, punctuation);
 *    each word in another script is rendered in Latin letters (script.h:
 *    BGN/PCGN for Cyrillic and Persian, pinyin for Han, which also splits
 *    a Chinese name into its syllables); titles and particles ("haji",
 *    "dr"; "al", "bin", "van", "de": words.cfg person_names) are optional
 *    words: they pair like others, and count for nothing when the other
 *    name lacks them ("bin" is a particle in "Osama bin Laden" and a name
 *    in "Wang Bin"); a particle joined to its word is cut off it
 *    ("Alhusseini"). Each word is then read in the form it is compared
 *    in: the spelling rules applied ("kh" -> "h", "tch" -> "ch", "ou" ->
 *    "u", a final "iy", "ii", "y" -> "i"), doubled letters written once,
 *    and the result looked up among the variants ("mohammed" ->
 *    "muhammad"). A word of one letter
 *    is an initial; a word ending like a patronymic ("-ovich", "-evna")
 *    is a patronymic. A word that came from the Arabic script has lost
 *    its short vowels ("محمد" renders "mhmd").
 *  - Pairing. The words of the two names are paired one to one, best
 *    first: equal forms (1); two neighbouring words of one name written
 *    as one word of the other ("Fang Wei" / "Fangwei", 1); a typo within
 *    the matcher's budget (one edit from 6 letters, two from 13, an
 *    adjacent swap at 5: Jaro-Winkler of the two); a word from the Arabic
 *    script and a Latin one that has its letters with vowels added
 *    ("mhmd" / "muhamad", SIM_ABJAD); an initial and a word it begins
 *    (SIM_INITIAL).
 *  - Decision. Two names match when at least two words pair, one of them
 *    a whole word (a name of one word matches only a name of one word);
 *    when the words left over are all on one side and at most one (the
 *    request gives a name the list does not, or the other way round:
 *    EXTRA_NAME); a family name marked as such ("KIM, Jong Un": the
 *    words before the comma) has a word paired; titles and particles
 *    left over count for nothing; a
 *    patronymic left over counts for nothing when the other name has none
 *    left over (NO_PATRONYMIC), and as a word when both do (two fathers'
 *    names: two people). The score is the mean similarity of the pairs,
 *    times those factors. Hence "Kim Jong Un" is not "Kim Jong Sik" (a
 *    word left on each side), "Ivan Petrov" is "Ivan Ivanovich Petrov"
 *    (0.97), "J. Smith" is "John Smith" (0.93), "J. Smith" is not "John
 *    Paul Smith" (0.87 < the default threshold 0.88).
 *
 * The constants were chosen so that each kind of difference alone keeps
 * a name above the default fuzzy_threshold (0.88) and two of them
 * together mostly do not: an initial with a left-over word is 0.87; an
 * initial with a missing patronymic stays at 0.90, as "Y. V. Prigozhin"
 * does (Russian names are written so). A name alone is never an
 * identification (match.c: a person's match by name is fuzzy; only a
 * date of birth that agrees makes it exact), so these scores only rank
 * the candidates a person confirms; tools/eval/people.tsv measures them.
 *
 * Index. Every listed individual's name is read into words once, at
 * load. Three lookup tables (keyidx.h) lead from a word to the records
 * that hold it: by form (every whole word, and every two neighbouring
 * words joined), by deletion (SymSpell: the form and each form with one
 * letter deleted, for words of 5 letters or more, so a typo meets its
 * word), and by skeleton (the form without a, e, i, o, u, y, w, v: of
 * every word, and apart of the words from the Arabic script, which is
 * all a Latin word's skeleton needs to find). The deletion table leads
 * to the distinct forms, and each form to its records (fpost), so a
 * common name is listed once and not once per deletion: "muhammad" was
 * under its form and its eight deletions, nine lists of the same records
 * (at a million names, 500,000 entries for one query word, and 100 MiB
 * of index). A search probes its own words the same ways, each only
 * where it may pair: of the forms its deletions meet, those it may pair
 * (form_pairs), and a Latin word's skeleton among unvocalised words. It
 * keeps the records that two of its words reached (one when it has one
 * whole word), and those with an initial where two words may pair
 * (initial_may_match), less those whose count of words no match leaves
 * (cannot_match: every query word that reaches them known, a join only
 * where a probe of joins reached them, an initial pairing one word),
 * and scores them; scoring every record (PERSON_SEARCH_EVERY) finds
 * the same matches, which test_person checks. (A deletion meets forms its
 * word cannot pair, "ahmad" for "amjad"; walked, they made candidates
 * that scoring refused, and by luck found a few matches that no probe
 * reaches, such as a Latin word and an unvocalised one, which the
 * skeletons now find every time.)
 * It walks few entries (choose_walk): the records holding an initial come
 * first under every hash, so they are taken without testing the others;
 * of the rest it walks either every word's entries but the commonest's
 * ("muhammad": thousands), since another word must reach them too, or
 * only the two rarest words' (a match leaves one word unpaired at most,
 * so it pairs one of them), and looks the records found up in the other
 * words' entries: the candidates that still lack a word, sorted by
 * record, merged with each such list (mark_sorted), which costs about
 * the candidates, not the list. The records scored are the same either
 * way. A third way (pair_plan) takes the records that two common words
 * reach from a table of their pairs (build_pairs: every two words of a
 * record whose forms, or unvocalised skeletons, one record in 2,048
 * holds), and walks only the other probes: a query of common given
 * names ("Mohammad Ali Hassan") found the few records that hold two of
 * them by walking thousands that hold one. A record that two words
 * reach through one word of its own only is not in the table; the plan
 * walks such records where they may match (pair_walk_below), so it
 * scores the same records, less those their words' count refuses. Cost,
 * screening 2,000 listed individuals of the whole SDN list by their own
 * names (screen_run, best of 5, one core): p50 5 us, p99 90 us; the
 * slowest are long Arabic names of several common words (220 us). At a
 * million synthetic names (bench/scale.sh) a query of two common words
 * ("Muhammad Ali") has hundreds of records that match: hundreds of
 * microseconds (milliseconds before the pairs). Organisations are not
 * in this index, nor people in the organisations' (build.c): person and
 * organisation names never meet. */
#include "person.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyidx.h"
#include "match_int.h"
#include "norm.h"
#include "strsim.h"
#include "vec.h"

#define PERSON_MAX_TOK 16  /* words of a name compared; more count as left over */
#define PERSON_MAX_WORD 32 /* bytes of a word kept (STRSIM_MAX_CP) */
/* Records without an initial are numbered by the words of theirs that
 * count (counted_words), this many or more last. */
#define PERSON_CW_MAX 7
/* init_letters: 26 letters, then the initials (INIT_MANY: that many or
 * more), then the counted words (up to PERSON_CW_MAX). */
#define INIT_COUNT_SHIFT 26
#define INIT_MANY 7
#define INIT_WORDS_SHIFT 29
#define PERSON_FORM_CAP 96 /* a word's form after spelling rules */
#define PERSON_PREFETCH 4  /* records fetched ahead of the one scored */
/* A form is common (build_pairs) when one record in PERSON_PAIR_DIV holds
 * it, and PERSON_PAIR_MIN at least. */
#define PERSON_PAIR_DIV 2048
#define PERSON_PAIR_MIN 16
#define PERSON_SIMCACHE_MIN 64 /* records to score from which word_sim is cached */
/* A key whose records are one in PERSON_MAP_DIV of all, and
 * PERSON_MAP_MIN at least, has them as a bitmap too (build_maps): at most
 * four times the bytes of its entries. */
#define PERSON_MAP_DIV 256
#define PERSON_MAP_MIN 64
#define SIM_INITIAL 0.85   /* an initial and a word it begins */
#define SIM_ABJAD 0.90     /* an unvocalised word and a vocalised one */
#define EXTRA_NAME 0.94    /* one word of one name that the other lacks */
#define NO_PATRONYMIC 0.97 /* a patronymic that the other name leaves out */
/* A joined particle is cut off a word this many letters longer than it
 * (3 for an unvocalised word, which is shorter). */
#define JOINED_MIN 5

_Static_assert(PERSON_CW_MAX < 1 << (32 - INIT_WORDS_SHIFT) &&
                   INIT_MANY < 1 << (INIT_WORDS_SHIFT - INIT_COUNT_SHIFT),
               "init_letters holds a record's initials and counted words");
_Static_assert(PERSON_MAX_TOK <= 16, "candidates mark the query's words in a uint16_t");
_Static_assert(PERSON_MAX_WORD <= STRSIM_MAX_CP, "strsim compares words of PERSON_MAX_WORD");

enum {
    PT_INITIAL = 1,    /* a word of one letter */
    PT_PATRONYMIC = 2, /* ends like a father's name */
    PT_ABJAD = 4,      /* rendered from the Arabic script: short vowels lost */
    PT_OPTIONAL = 8,   /* a title or a particle: pairs, but may be missing */
    PT_KNOWN = 16,     /* a name of the variants: it differs from another
                        * one however close the spelling ("Hosseini" is
                        * not "Hossein") */
    PT_SURNAME = 32,   /* before the comma of "SURNAME, Given": one of
                        * these words must pair */
    PT_ASCII = 64,     /* its form is ASCII: a byte is a code point */
};

/* A word of a person's name, in the form it is compared in. */
typedef struct ptok {
    const char *s; /* the form (index arena or scratch) */
    uint8_t len;   /* its length, 1..PERSON_MAX_WORD */
    uint8_t flags; /* PT_* */
    char first;    /* its first letter as written ("y" of "Yevgeniy",
                    * whose form is "evgeni"): what an initial stands for */
    uint32_t form; /* a record's whole word: its form's id (build_records;
                    * what word_sim reads of it, with PT_ABJAD), or
                    * UINT32_MAX */
} ptok_t;

/* How the words of one form are written (person_ix_t.form_how), beside
 * its PT_KNOWN and PT_ASCII, which are the form's own. */
enum {
    FORM_ABJAD = 0x01, /* some record's word of the form is unvocalised */
    FORM_LATIN = 0x80, /* some record's word of the form is Latin */
};
_Static_assert((FORM_LATIN | FORM_ABJAD) & (PT_KNOWN | PT_ASCII) ? 0 : 1,
               "form_how keeps a form's flags and how it is written apart");

/* A title or a particle as probed_fully compares it. */
typedef struct popt {
    const char *skel; /* its skeleton (index arena) */
    uint8_t len;      /* its length as a word holds it (<= PERSON_MAX_WORD) */
    uint8_t skel_len; /* the skeleton's length */
    uint8_t cps;      /* its code points */
} popt_t;

/* The records of a common key as a bitmap (build_maps). */
typedef struct pmap {
    const uint64_t *ent;  /* the table's entries (keyidx_t.ent, or fpost) */
    size_t lo;            /* the key's first entry in them */
    const uint64_t *bits; /* bit r: record r is among the key's entries */
} pmap_t;

/* One name of a listed individual. */
typedef struct prec {
    uint32_t entity; /* index into the registry */
    uint32_t name;   /* reg_entity_name index */
    uint32_t tok;    /* first of its words in toks[] */
    uint8_t n_tok;   /* count */
    uint8_t extra;   /* words past PERSON_MAX_TOK */
    bool initial;    /* one of its words is an initial */
} prec_t;

struct person_ix {
    arena_t *arena;           /* owns everything below */
    const reg_entity_t *ents; /* borrowed registry */
    script_t *script;         /* borrowed: the Latin rendering */
    double threshold;         /* lowest score found */
    match_person_words_t w;   /* the words (copied into the arena) */
    const char **var_to;      /* variant i (w.variants) -> its form's target form */
    keyidx_t by_var;          /* form of a variant -> index */
    const char **var_from;    /* the variant's form */
    keyidx_t by_opt;          /* titles and particles -> index into opt[] */
    const char **opt;         /* titles, then particles: optional words */
    popt_t *opt_info;         /* each one's skeleton and lengths */
    size_t n_opt;             /* count */
    prec_t *recs;             /* names of individuals, those with an
                               * initial first, the others by their
                               * counted words (cw_start) */
    size_t n_recs;            /* count */
    uint64_t *twin;           /* bit r: two of record r's words share a form
                               * or a skeleton (record_twin) */
    uint32_t *init_letters;   /* record r < n_init: bit c - 'a' for each
                               * initial c it holds (the query words they
                               * may pair: person_search), how many
                               * initials << INIT_COUNT_SHIFT, and its
                               * counted_words << INIT_WORDS_SHIFT */
    uint32_t n_init;          /* records [0, n_init) hold an initial: in
                               * every table, the entries under one hash
                               * (sorted by record) start with them */
    ptok_t *toks;             /* words of every record, concatenated */
    size_t n_toks;            /* count */
    keyidx_t by_form;         /* whole words -> record */
    keyidx_t by_join;         /* two neighbouring words joined -> record */
    keyidx_t by_del;          /* deletion variants -> form (fpost) */
    uint64_t *fpost;          /* form << 32 | record, sorted: the records
                               * holding each whole word's form */
    uint32_t *fpost_off;      /* form f's: fpost[fpost_off[f], fpost_off[f + 1]) */
    size_t n_forms;           /* distinct forms of whole words */
    const char **form_s;      /* form f's letters (index arena) */
    uint8_t *form_len;        /* its length */
    uint8_t *form_how;        /* its PT_KNOWN and PT_ASCII, and how records
                               * write it: FORM_LATIN, FORM_ABJAD */
    keyidx_t by_skel;         /* skeletons -> record */
    keyidx_t by_skel_ab;      /* skeletons of unvocalised words -> record:
                               * all a Latin word's skeleton needs to find
                               * (two Latin words pair as typos, never by
                               * their skeletons: word_sim) */
    /* The records [n_init, n_recs) whose counted_words are c start at
     * cw_start[c] and end at cw_start[c + 1]. */
    uint32_t cw_start[PERSON_CW_MAX + 2];
    /* Two common words of one record (pair_min records hold each key at
     * least), for the search that meets two of them (pair_plan): the
     * records without an initial that hold keys a <= b in two of their
     * words are those of ppost[ppost_off[a], ppost_off[a + 1]) whose top
     * 32 bits are b, sorted (b << 32 | record). */
    uint32_t pair_min;   /* records of a common form, at least */
    bool every;          /* PERSON_SEARCH_EVERY */
    uint64_t *ppost;     /* b << 32 | record, grouped by a */
    uint32_t *ppost_off; /* a's group (n_forms + n_ab + 1) */
    keyidx_t by_common;  /* a common form's letters -> form id */
    /* The pair index's keys are the forms and, after them (n_forms + i),
     * the skeletons under which by_skel_ab lists unvocalised words. */
    uint32_t n_ab;         /* skeletons of unvocalised words */
    uint32_t *ab_count;    /* the records each one leads to */
    const char **ab_s;     /* its letters (index arena) */
    uint8_t *ab_len;       /* their count */
    keyidx_t by_ab_common; /* a common one's letters -> n_forms + i */
    /* The records of the keys with map_min entries or more, as bitmaps:
     * a candidate is looked up in one by a bit (mark_sorted), where
     * galloping through tens of thousands of a common word's entries
     * ("muhammad", its skeleton "mhmd") was most of a search. */
    pmap_t *maps;
    size_t n_maps;
    size_t map_min;
};

bool
person_is_individual(const reg_entity_t *e)
{
    return e->type != NULL && strcmp(e->type, "individual") == 0;
}

/* ---- dates and nationalities ------------------------------------------ */

static void
set_why(char *why, size_t cap, const char *fmt, int a, int b, int c)
{
    if (why != NULL && cap > 0)
        snprintf(why, cap, fmt, a, b, c);
}

static int
days_in(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* The number of the n digits at s, or -1 if one is not a digit. */
static int
digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool
person_date_parse(const char *s, person_date_t *d, char *why, size_t whycap)
{
    size_t n = strlen(s);
    memset(d, 0, sizeof *d);
    if ((n != 4 && n != 7 && n != 10) || (n >= 7 && s[4] != '-') || (n == 10 && s[7] != '-') ||
        (d->year = digits(s, 4)) < 0 || (n >= 7 && (d->month = digits(s + 5, 2)) < 0) ||
        (n == 10 && (d->day = digits(s + 8, 2)) < 0)) {
        set_why(why, whycap, "not YYYY-MM-DD, YYYY-MM or YYYY", 0, 0, 0);
        return false;
    }
    if (d->year < 1800 || d->year > 2100) {
        set_why(why, whycap, "year %d is not between 1800 and 2100", d->year, 0, 0);
        return false;
    }
    if (n >= 7 && (d->month < 1 || d->month > 12)) {
        set_why(why, whycap, "month %d", d->month, 0, 0);
        return false;
    }
    if (n == 10 && (d->day < 1 || d->day > days_in(d->year, d->month))) {
        set_why(why, whycap, "day %d of %04d-%02d", d->day, d->year, d->month);
        return false;
    }
    return true;
}

/* True if a and b are the same date to the precision both give. */
static bool
dates_agree(const person_date_t *a, const person_date_t *b)
{
    if (a->year != b->year)
        return false;
    if (a->month == 0 || b->month == 0)
        return true;
    if (a->month != b->month)
        return false;
    return a->day == 0 || b->day == 0 || a->day == b->day;
}

match_evidence_t
person_birth_date(const reg_entity_t *e, const char *given)
{
    person_date_t g, l;
    if (given == NULL || !person_date_parse(given, &g, NULL, 0))
        return MATCH_EV_NOT_GIVEN;
    size_t listed = 0;
    for (uint16_t i = 0; i < e->n_birth_dates; i++) {
        if (!person_date_parse(e->birth_dates[i], &l, NULL, 0))
            continue;
        listed++;
        if (dates_agree(&g, &l))
            return MATCH_EV_AGREES;
    }
    return listed > 0 ? MATCH_EV_DIFFERS : MATCH_EV_NOT_LISTED;
}

match_evidence_t
person_nationality(const reg_entity_t *e, const char *given)
{
    if (given == NULL || given[0] == '\0')
        return MATCH_EV_NOT_GIVEN;
    if (e->n_nationalities == 0)
        return MATCH_EV_NOT_LISTED;
    for (uint16_t i = 0; i < e->n_nationalities; i++)
        if (strcasecmp(e->nationalities[i], given) == 0)
            return MATCH_EV_AGREES;
    return MATCH_EV_DIFFERS;
}

/* ---- the words of a name ---------------------------------------------- */

size_t
person_spell(const match_person_words_t *w, const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        const char *to = NULL;
        size_t fl = 0;
        for (size_t r = 0; w != NULL && r < w->n_spellings; r++) {
            const char *f = w->spellings[r].from;
            bool start = f[0] == '^';
            f += start;
            /* Most rules begin with another letter: skipped before the
             * strlen (a third of the people's index build was here). */
            if (f[0] != s[i])
                continue;
            size_t bl = strlen(f);
            bool end = bl > 0 && f[bl - 1] == '$';
            bl -= end;
            if (bl <= fl || (start && i != 0) || i + bl > len || (end && i + bl != len) ||
                memcmp(s + i, f, bl) != 0)
                continue;
            fl = bl;
            to = w->spellings[r].to;
        }
        const char *add = fl > 0 ? to : s + i;
        size_t al = fl > 0 ? strlen(to) : 1;
        if (n + al + 1 > cap)
            return 0;
        memcpy(out + n, add, al);
        n += al;
        i += fl > 0 ? fl : 1;
    }
    /* Doubled letters once: "Hussein", "Husein"; "Mohammed", "Mohamed". */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[k - 1] != out[i])
            out[k++] = out[i];
    if (cap > 0)
        out[k] = '\0';
    return k;
}

/* Index of s[0..len) in strs by table t, or -1. */
static int64_t
find_str(const keyidx_t *t, const char *const *strs, const char *s, size_t len)
{
    if (t->ent == NULL)
        return -1;
    size_t lo, hi;
    keyidx_range(t, keyidx_hash(s, len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        uint32_t k = (uint32_t)t->ent[i];
        if (strlen(strs[k]) == len && memcmp(strs[k], s, len) == 0)
            return k;
    }
    return -1;
}

/* The form of word s[0..len) into out (PERSON_FORM_CAP bytes): spelled,
 * then its variant's target (*known set); a joined particle cut off first
 * when the whole word is no variant. Returns its length (0: nothing
 * left). */
static size_t
word_form(const person_ix_t *p, const char *s, size_t len, bool abjad, char *out, bool *known)
{
    size_t n = person_spell(&p->w, s, len, out, PERSON_FORM_CAP);
    int64_t v = n > 0 ? find_str(&p->by_var, p->var_from, out, n) : -1;
    for (size_t j = 0; v < 0 && j < p->w.n_joined; j++) {
        size_t jl = strlen(p->w.joined[j]);
        if (len < jl + (abjad ? 3 : JOINED_MIN) || memcmp(s, p->w.joined[j], jl) != 0)
            continue;
        size_t m = person_spell(&p->w, s + jl, len - jl, out, PERSON_FORM_CAP);
        if (m == 0)
            continue;
        n = m;
        v = find_str(&p->by_var, p->var_from, out, n);
        break;
    }
    *known = v >= 0;
    if (v >= 0) {
        n = strlen(p->var_to[v]);
        memcpy(out, p->var_to[v], n + 1);
    }
    return n;
}

/* True if word s[0..len) ends like a patronymic (and is longer than
 * the ending by three letters at least: "ovich" alone is no name). */
static bool
is_patronymic(const person_ix_t *p, const char *s, size_t len)
{
    for (size_t i = 0; i < p->w.n_patronymics; i++) {
        size_t sl = strlen(p->w.patronymics[i]);
        if (len >= sl + 3 && memcmp(s + len - sl, p->w.patronymics[i], sl) == 0)
            return true;
    }
    return false;
}

/* True if word s[0..len) may be a title or a particle. Those are Latin
 * words; a word from the Arabic script of two letters that reads like
 * one is a name whose first letter its rendering dropped (عمر, Umar,
 * renders "mr"; عدي, Uday, "di"), unless it is the article written apart
 * (ال, "al": a joined particle). */
static bool
is_optional(const person_ix_t *p, const char *s, size_t len, bool abjad)
{
    if (abjad && len <= 2) {
        bool article = false;
        for (size_t j = 0; j < p->w.n_joined && !article; j++)
            article = strlen(p->w.joined[j]) == len && memcmp(p->w.joined[j], s, len) == 0;
        if (!article)
            return false;
    }
    return find_str(&p->by_opt, p->opt, s, len) >= 0;
}

/* Appends word s[0..len) (lower-case Latin, from an unvocalised script if
 * abjad) to t[*n], its form copied into a; past PERSON_MAX_TOK words it
 * counts in *extra. Its flags are more and what it is; a title or a
 * particle is kept as written, optional.
 * Returns 0, or -1 on OOM. */
static int
add_word(const person_ix_t *p, arena_t *a, const char *s, size_t len, bool abjad, uint8_t more,
         ptok_t *t, int *n, int *extra)
{
    if (len > PERSON_MAX_WORD)
        len = PERSON_MAX_WORD;
    if (*n == PERSON_MAX_TOK) {
        (*extra)++;
        return 0;
    }
    char f[PERSON_FORM_CAP];
    uint8_t flags = (abjad ? PT_ABJAD : 0) | more;
    size_t fl;
    if (is_optional(p, s, len, abjad)) {
        /* "bin" is a particle in "Osama bin Laden", a name in "Wang Bin":
         * it pairs when both names have it, and counts for nothing when
         * one has not. */
        flags |= PT_OPTIONAL;
        memcpy(f, s, len);
        fl = len;
    } else if (len == 1 && s[0] >= 'a' && s[0] <= 'z') {
        flags |= PT_INITIAL;
        f[0] = s[0];
        fl = 1;
    } else {
        if (is_patronymic(p, s, len))
            flags |= PT_PATRONYMIC;
        bool known;
        fl = word_form(p, s, len, abjad, f, &known);
        if (fl == 0)
            return 0;
        if (known)
            flags |= PT_KNOWN;
        if (fl > PERSON_MAX_WORD)
            fl = PERSON_MAX_WORD;
    }
    bool ascii = true;
    for (size_t i = 0; i < fl; i++)
        ascii &= (unsigned char)f[i] < 0x80;
    if (ascii)
        flags |= PT_ASCII;
    char *c = arena_strndup(a, f, fl);
    if (c == NULL)
        return -1;
    t[(*n)++] = (ptok_t){c, (uint8_t)fl, flags, s[0], UINT32_MAX};
    return 0;
}

/* True if the UTF-8 text s[0..len) has a letter of the Arabic script
 * (U+0600..U+077F, after NFKC: presentation forms are folded). */
static bool
has_abjad(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xd8 && c <= 0xdd)
            return true;
    }
    return false;
}

static bool
has_non_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return true;
    return false;
}

static void
put_err(char *err, size_t cap, const char *msg)
{
    if (err != NULL && cap > 0)
        snprintf(err, cap, "%s", msg);
}

/* Appends the words of name[0..nlen) to t (*n of them, *extra past
 * PERSON_MAX_TOK), each with the flags more. Returns 0, or -1 with a
 * message in err. */
static int
read_part(const person_ix_t *p, arena_t *a, const char *name, size_t nlen, uint8_t more, ptok_t *t,
          int *n, int *extra, char *err, size_t errcap)
{
    const char *norm;
    size_t len;
    if (norm_text(a, name, nlen, &norm, &len, err, errcap) != 0)
        return -1;
    for (size_t i = 0; i < len;) {
        size_t st = i;
        while (i < len && norm[i] != ' ')
            i++;
        const char *lat = norm + st;
        size_t llen = i - st;
        i++;
        bool abjad = false;
        /* Another script, or Latin letters ASCII has not ("ł"): one
         * word rendered at a time, so each knows where it came from. */
        if (has_non_ascii(lat, llen)) {
            abjad = has_abjad(lat, llen);
            if (script_latin(p->script, a, lat, llen, &lat, &llen, err, errcap) != 0)
                return -1;
        }
        /* A Chinese name renders as its syllables: several words. */
        for (size_t k = 0; k < llen;) {
            size_t ks = k;
            while (k < llen && lat[k] != ' ')
                k++;
            if (k > ks && add_word(p, a, lat + ks, k - ks, abjad, more, t, n, extra) != 0) {
                put_err(err, errcap, "out of memory");
                return -1;
            }
            k++;
        }
    }
    return 0;
}

/* True if the bytes at s start a hyphen: '-', U+2010 or U+2011. Sets
 * *len to its length. */
static bool
hyphen_at(const char *s, size_t *len)
{
    if (s[0] == '-') {
        *len = 1;
        return true;
    }
    *len = 3;
    return (unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
           ((unsigned char)s[2] == 0x90 || (unsigned char)s[2] == 0x91);
}

/* Reads name into at most PERSON_MAX_TOK words t (strings in a); the
 * words past them are counted in *extra. A hyphen between two words
 * joins them ("Jong-un", "Seit-Umarovich": one name each; "Al-Tikriti"
 * is then a particle joined to its word); in "SURNAME, Given" the words
 * before the first comma are the family name (PT_SURNAME). Returns the
 * count, or -1 with a message in err (invalid UTF-8, OOM, the script's
 * failure). */
static int
read_name(const person_ix_t *p, arena_t *a, const char *name, ptok_t *t, int *extra, char *err,
          size_t errcap)
{
    size_t len = strlen(name), m = 0, comma = 0;
    char *c = arena_alloc(a, len + 1);
    if (c == NULL) {
        put_err(err, errcap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < len;) {
        size_t hl;
        if (m > 0 && c[m - 1] != ' ' && c[m - 1] != ',' && hyphen_at(name + i, &hl) &&
            i + hl < len && name[i + hl] != ' ') {
            i += hl;
            continue;
        }
        if (name[i] == ',' && comma == 0)
            comma = m;
        c[m++] = name[i++];
    }
    c[m] = '\0';
    *extra = 0;
    int n = 0;
    /* A family name before the comma, and a given name after it. */
    size_t rest = comma + 1;
    while (rest < m && c[rest] == ' ')
        rest++;
    bool split = comma > 0 && rest < m;
    if (split ? read_part(p, a, c, comma, PT_SURNAME, t, &n, extra, err, errcap) != 0 ||
                    read_part(p, a, c + rest, m - rest, 0, t, &n, extra, err, errcap) != 0
              : read_part(p, a, c, m, 0, t, &n, extra, err, errcap) != 0)
        return -1;
    return n;
}

/* ---- comparing two names ----------------------------------------------- */

static bool
is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

/* True if the unvocalised letter a may stand for the Latin letter b. */
static bool
unvocalised_letter(char a, char b)
{
    return a == b || (a == 'v' && (b == 'u' || b == 'o' || b == 'w')) ||
           ((a == 'i' || a == 'y') && (b == 'e' || b == 'i' || b == 'y'));
}

/* True if the unvocalised letter a may stand for one of r[0..rl)'s last
 * letters, up to its last that is not a vowel. */
static bool
ends_like(char a, const char *r, size_t rl)
{
    for (size_t k = rl; k > 0; k--) {
        if (unvocalised_letter(a, r[k - 1]))
            return true;
        if (!is_vowel(r[k - 1]))
            return false;
    }
    return false;
}

/* True if the unvocalised word q is the Latin word r with vowels left
 * out: q's letters are r's in order, r's other letters are vowels; q's
 * "v" (waw) may be r's "u", "o" or "w", q's "i" and "y" (yeh) r's "e",
 * "i" or "y". ("mhmd" / "muhamad", "hsini" / "hoseini", "mvsvi" /
 * "musavi"; not "hsn" / "husayn": the y is a letter of its own.) */
static bool
unvocalised(const char *q, size_t ql, const char *r, size_t rl)
{
    /* Most pairs fail at an end: q's first letter stands for one of r's
     * first letters up to its first consonant, and its last for one of
     * r's after its last consonant; tested before the table, which a
     * query in the Arabic script would fill for thousands of names. */
    if (ql > rl)
        return false;
    /* A first alef ("a") carries any vowel: إبراهيم is Ibrahim, أسامة
     * Usama. */
    bool alef = ql > 0 && q[0] == 'a' && is_vowel(r[0]);
    /* A last "h" (ta marbuta or heh) may be the only mark of a final a
     * or e: أسامة is Usama, فاطمه Fatemeh or Fatima, زاده Zade. Not of
     * an i (الله, "alh", is not Ali), nor alone after one letter. */
    bool silent_h = ql >= 3 && q[ql - 1] == 'h' && (r[rl - 1] == 'a' || r[rl - 1] == 'e');
    if (ql > 0) {
        size_t k = 0;
        while (!alef && !unvocalised_letter(q[0], r[k]))
            if (!is_vowel(r[k]) || ++k == rl)
                return false;
        if (!ends_like(q[ql - 1], r, rl) && !(silent_h && ends_like(q[ql - 2], r, rl)))
            return false;
    }
    /* ok[i][j]: q[i..] matches r[j..]; filled from the ends. */
    bool ok[PERSON_MAX_WORD + 1][PERSON_MAX_WORD + 1];
    for (size_t i = ql + 1; i-- > 0;)
        for (size_t j = rl + 1; j-- > 0;) {
            if (i == ql) {
                ok[i][j] = j == rl || (is_vowel(r[j]) && ok[i][j + 1]);
                continue;
            }
            if (j == rl) {
                ok[i][j] = false;
                continue;
            }
            bool same = unvocalised_letter(q[i], r[j]) || (i == 0 && j == 0 && alef);
            ok[i][j] = (same && ok[i + 1][j + 1]) || (is_vowel(r[j]) && ok[i][j + 1]) ||
                       (silent_h && i == ql - 1 && ok[ql][j]);
        }
    return ok[0][0];
}

/* The typo budget of two words of la and lb letters (as the matcher's,
 * match_int.h): one edit from 6, two from 13; 5 allows an adjacent swap. */
static int
edits_allowed(int la, int lb)
{
    int m = la > lb ? la : lb;
    return m >= 13 ? 2 : m >= 6 ? 1 : 0;
}

/* Similarity of two words (0: they do not pair). */
static double
word_sim(const ptok_t *a, const ptok_t *b)
{
    bool ia = a->flags & PT_INITIAL, ib = b->flags & PT_INITIAL;
    if (ia || ib)
        return a->s[0] == b->s[0] || (ia && a->s[0] == b->first) || (ib && b->s[0] == a->first)
                   ? SIM_INITIAL
                   : 0;
    if (a->len == b->len && memcmp(a->s, b->s, a->len) == 0)
        return 1.0;
    bool ua = a->flags & PT_ABJAD, ub = b->flags & PT_ABJAD;
    if (ua != ub)
        return (ua ? unvocalised(a->s, a->len, b->s, b->len)
                   : unvocalised(b->s, b->len, a->s, a->len))
                   ? SIM_ABJAD
                   : 0;
    /* Two different names of the variants are two names. */
    if ((a->flags & PT_KNOWN) && (b->flags & PT_KNOWN))
        return 0;
    if (a->len < 5 || b->len < 5)
        return 0; /* fewer than 5 code points (below), read without decoding */
    if (a->flags & b->flags & PT_ASCII) {
        /* Lengths too far apart, told without decoding (most pairs of
         * different names). */
        int k = edits_allowed(a->len, b->len), d = (int)b->len - (int)a->len;
        if (d > k || -d > k)
            return 0;
    }
    int32_t ca[PERSON_MAX_WORD], cb[PERSON_MAX_WORD];
    int na = strsim_decode(a->s, a->len, ca, PERSON_MAX_WORD);
    int nb = strsim_decode(b->s, b->len, cb, PERSON_MAX_WORD);
    if (na < 5 || nb < 5)
        return 0;
    int k = edits_allowed(na, nb);
    int d = nb - na;
    if (d > k || -d > k)
        return 0;
    bool similar =
        k > 0 ? strsim_osa_within(ca, na, cb, nb, k) <= k : strsim_one_swap(ca, na, cb, nb);
    return similar ? strsim_jaro_winkler(ca, na, cb, nb) : 0;
}

/* True if x[0..xl) + y[0..yl) (a doubled letter at the joint written
 * once, as forms are) is z[0..zl). */
static bool
joins(const ptok_t *x, const ptok_t *y, const ptok_t *z)
{
    /* The lengths first: the strings are elsewhere in memory. */
    size_t sum = (size_t)x->len + y->len;
    if (z->len != sum && (size_t)z->len + 1 != sum)
        return false;
    size_t skip = x->s[x->len - 1] == y->s[0];
    return (size_t)x->len + y->len - skip == z->len && memcmp(z->s, x->s, x->len) == 0 &&
           memcmp(z->s + x->len, y->s + skip, y->len - skip) == 0;
}

/* Pairs two neighbouring whole words of a[] with one word of b[] they
 * spell joined ("fang wei" / "fangwei"), marking them used. Returns the
 * number of such pairs. */
static int
pair_joined(const ptok_t *a, int na, bool *au, const ptok_t *b, int nb, bool *bu)
{
    int pairs = 0;
    for (int i = 0; i + 1 < na; i++) {
        if (au[i] || au[i + 1] || ((a[i].flags | a[i + 1].flags) & (PT_INITIAL | PT_OPTIONAL)))
            continue;
        for (int j = 0; j < nb; j++)
            if (!bu[j] && !(b[j].flags & (PT_INITIAL | PT_OPTIONAL)) &&
                joins(&a[i], &a[i + 1], &b[j])) {
                au[i] = au[i + 1] = bu[j] = true;
                pairs++;
                break;
            }
    }
    return pairs;
}

/* A candidate pair of words. */
typedef struct wpair {
    float s;   /* similarity */
    uint8_t i; /* word of the query */
    uint8_t j; /* word of the record */
} wpair_t;

/* False if the words a[0..n) mark a family name (PT_SURNAME) and none of
 * its words is paired (used). */
static bool
surname_paired(const ptok_t *a, int n, const bool *used)
{
    bool has = false;
    for (int i = 0; i < n; i++) {
        if ((a[i].flags & (PT_SURNAME | PT_OPTIONAL)) != PT_SURNAME)
            continue;
        if (used[i])
            return true;
        has = true;
    }
    return !has;
}

/* What word_sim said of the query's words and the forms of record words
 * a search has scored, keyed by (form << 1 | unvocalised) * PERSON_MAX_TOK
 * + query word, + 1 (0: empty): the candidates of a query of common names
 * hold the same few forms, whose comparisons were most of their scoring,
 * and whose letters, elsewhere in memory, a fetch each. */
#define SIMCACHE_SLOTS 4096
typedef struct simcache {
    uint32_t key[SIMCACHE_SLOTS];
    double sim[SIMCACHE_SLOTS];
} simcache_t;

/* word_sim(q, r), q being query word i, from c when it has it. (An
 * initial pairs a word by the letter it was written with, which its form
 * may not begin with: not kept.) */
static double
cached_sim(simcache_t *c, const ptok_t *q, int i, const ptok_t *r)
{
    if (c == NULL || r->form == UINT32_MAX || (q->flags & PT_INITIAL))
        return word_sim(q, r);
    uint32_t k = ((r->form << 1 | ((r->flags & PT_ABJAD) != 0)) * PERSON_MAX_TOK + (uint32_t)i) + 1;
    uint32_t h = (k * 0x9e3779b1u) >> 20;
    for (int probe = 0; probe < 8; probe++, h = (h + 1) & (SIMCACHE_SLOTS - 1)) {
        if (c->key[h] == k)
            return c->sim[h];
        if (c->key[h] == 0) {
            c->key[h] = k;
            c->sim[h] = word_sim(q, r);
            return c->sim[h];
        }
    }
    return word_sim(q, r);
}

/* The score of the query's words q[0..nq) (qx more past them) against
 * the record's r[0..nr) (rx more): the decision at the top of this file.
 * 0 when they do not match. sc (NULL: none) keeps word_sim's answers. */
static double
score_names(const ptok_t *q, int nq, int qx, const ptok_t *r, int nr, int rx, simcache_t *sc)
{
    bool qu[PERSON_MAX_TOK] = {false}, ru[PERSON_MAX_TOK] = {false};
    int pairs = pair_joined(q, nq, qu, r, nr, ru);
    pairs += pair_joined(r, nr, ru, q, nq, qu);
    int full = pairs;
    double sum = pairs;
    wpair_t wp[PERSON_MAX_TOK * PERSON_MAX_TOK];
    int np = 0;
    for (int i = 0; i < nq; i++)
        for (int j = 0; j < nr; j++) {
            if (qu[i] || ru[j])
                continue;
            double s = cached_sim(sc, &q[i], i, &r[j]);
            if (s <= 0)
                continue;
            int k = np++;
            while (k > 0 && wp[k - 1].s < s) {
                wp[k] = wp[k - 1];
                k--;
            }
            wp[k] = (wpair_t){(float)s, (uint8_t)i, (uint8_t)j};
        }
    for (int k = 0; k < np; k++) {
        if (qu[wp[k].i] || ru[wp[k].j])
            continue;
        qu[wp[k].i] = ru[wp[k].j] = true;
        pairs++;
        sum += wp[k].s;
        full += !((q[wp[k].i].flags | r[wp[k].j].flags) & (PT_INITIAL | PT_OPTIONAL));
    }
    /* A name of one word is someone's whole name only against another. */
    int qn = nq + qx, rn = nr + rx;
    if (qn == 1 || rn == 1)
        return qn == 1 && rn == 1 && pairs == 1 && full == 1 ? sum : 0;
    if (full < 1 || pairs < 2)
        return 0;
    int uq = qx, ur = rx, uqp = 0, urp = 0;
    /* A family name a name gives ("NAQDI, Mohammad Reza") must be in the
     * other: "Mohammad Reza" is not him. One of its words will do: a
     * Spanish name is often written with its first family name alone
     * ("Julio Cesar Lopez" for "LOPEZ PENA, Julio Cesar"). */
    if (!surname_paired(q, nq, qu) || !surname_paired(r, nr, ru))
        return 0;
    for (int i = 0; i < nq; i++)
        if (!qu[i] && !(q[i].flags & PT_OPTIONAL)) {
            uqp += (q[i].flags & PT_PATRONYMIC) != 0;
            uq += !(q[i].flags & PT_PATRONYMIC);
        }
    for (int j = 0; j < nr; j++)
        if (!ru[j] && !(r[j].flags & PT_OPTIONAL)) {
            urp += (r[j].flags & PT_PATRONYMIC) != 0;
            ur += !(r[j].flags & PT_PATRONYMIC);
        }
    bool patronymic_left = false;
    if (uqp > 0 && urp > 0) {
        uq += uqp; /* two fathers' names */
        ur += urp;
    } else {
        patronymic_left = uqp + urp > 0;
    }
    if ((uq > 0 && ur > 0) || uq + ur > 1)
        return 0;
    double s = sum / pairs;
    if (uq + ur == 1)
        s *= EXTRA_NAME;
    if (patronymic_left)
        s *= NO_PATRONYMIC;
    return s > 1.0 ? 1.0 : s;
}

/* ---- probes ------------------------------------------------------------- */

/* The skeleton of a form: its letters but a, e, i, o, u, y, w, v (what an
 * unvocalised rendering and a Latin spelling share). Written into out
 * (len + 1 bytes); returns its length. */
static size_t
skeleton(const char *s, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (!is_vowel(s[i]) && s[i] != 'y' && s[i] != 'w' && s[i] != 'v')
            out[n++] = s[i];
    out[n] = '\0';
    return n;
}

/* True if x[0..xl) is y[0..yl) and a last "h" (silent_h_skeleton). */
static bool
h_dropped(const char *x, size_t xl, const char *y, size_t yl)
{
    return xl == yl + 1 && x[yl] == 'h' && memcmp(x, y, yl) == 0;
}

/* True if the skeleton (sl letters) of word t is found by a Latin
 * spelling without its last letter too: t is unvocalised and ends in an
 * "h" that may stand for a final vowel (unvocalised). */
static bool
silent_h_skeleton(const ptok_t *t, size_t sl)
{
    return (t->flags & PT_ABJAD) && sl >= 2 && t->len >= 3 && t->s[t->len - 1] == 'h';
}

/* The hashes of the deletion variants of form s[0..len) (the form
 * itself, and it with each letter deleted) into h (PERSON_MAX_WORD + 1),
 * when it has 5 letters or more. Returns how many. */
static size_t
deletion_hashes(const char *s, size_t len, uint32_t *h)
{
    int32_t cp[PERSON_MAX_WORD];
    int n = strsim_decode(s, len, cp, PERSON_MAX_WORD);
    if (n < 5)
        return 0;
    h[0] = keyidx_hash_cps(cp, n, -1, -1);
    for (int i = 0; i < n; i++)
        h[i + 1] = keyidx_hash_cps(cp, n, i, -1);
    return (size_t)n + 1;
}

/* Calls fn(ctx, hash) for the deletion variants of form s[0..len)
 * (deletion_hashes). Returns 0, or fn's -1. */
static int
each_deletion(const char *s, size_t len, int (*fn)(void *, uint32_t), void *ctx)
{
    uint32_t h[PERSON_MAX_WORD + 1];
    size_t n = deletion_hashes(s, len, h);
    for (size_t i = 0; i < n; i++)
        if (fn(ctx, h[i]) != 0)
            return -1;
    return 0;
}

/* The words of a name (t[0..n), x more past them) that count when a
 * match is decided (score_names: all but titles, particles and
 * patronymics; words past PERSON_MAX_TOK count), PERSON_CW_MAX at most. */
static int
counted_words(const ptok_t *t, int n, int x)
{
    int c = x;
    for (int k = 0; k < n; k++)
        c += !(t[k].flags & (PT_OPTIONAL | PT_PATRONYMIC));
    return c < PERSON_CW_MAX ? c : PERSON_CW_MAX;
}

/* ---- building ----------------------------------------------------------- */

/* Growable arrays of table entries (hash << 32 | record) while building. */
typedef struct entvec {
    uint64_t *v;
    size_t n, cap;
    uint32_t rec; /* the record being added */
} entvec_t;

/* The distinct forms of whole words while building: form id -> string,
 * and an open-addressing table string -> form id + 1. */
typedef struct formset {
    const char **s; /* each form (index arena) */
    uint8_t *len;   /* its length */
    size_t n, cap;  /* count, capacity of s and len */
    uint32_t *slot; /* form id + 1, 0 empty */
    size_t n_slot;  /* slots, a power of two */
} formset_t;

/* The id of form s[0..len) (index arena: kept as it is when new).
 * Returns it, or -1 on OOM. */
static int64_t
form_id(formset_t *f, const char *s, uint8_t len)
{
    if ((f->n + 1) * 2 > f->n_slot) {
        size_t ns = f->n_slot ? f->n_slot * 2 : 1024;
        uint32_t *sl = calloc(ns, sizeof *sl);
        if (sl == NULL)
            return -1;
        for (size_t i = 0; i < f->n; i++) {
            size_t k = keyidx_hash(f->s[i], f->len[i]) & (ns - 1);
            while (sl[k] != 0)
                k = (k + 1) & (ns - 1);
            sl[k] = (uint32_t)i + 1;
        }
        free(f->slot);
        f->slot = sl;
        f->n_slot = ns;
    }
    size_t k = keyidx_hash(s, len) & (f->n_slot - 1);
    for (; f->slot[k] != 0; k = (k + 1) & (f->n_slot - 1)) {
        uint32_t i = f->slot[k] - 1;
        if (f->len[i] == len && memcmp(f->s[i], s, len) == 0)
            return i;
    }
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 1024;
        const char **ns = realloc(f->s, nc * sizeof *ns);
        if (ns == NULL)
            return -1;
        f->s = ns;
        uint8_t *nl = realloc(f->len, nc * sizeof *nl);
        if (nl == NULL)
            return -1;
        f->len = nl;
        f->cap = nc;
    }
    f->s[f->n] = s;
    f->len[f->n] = len;
    f->slot[k] = (uint32_t)++f->n;
    return (int64_t)f->n - 1;
}

static int
ent_add(void *ctx, uint32_t h)
{
    entvec_t *e = ctx;
    if (vec_grow(&e->v, &e->cap, e->n + 1, sizeof *e->v, 1024) != 0)
        return -1;
    e->v[e->n++] = (uint64_t)h << 32 | e->rec;
    return 0;
}

/* Copies the words w into p's arena and builds the variant and optional
 * word tables. Returns 0, or -1 on OOM. */
static int
build_words(person_ix_t *p, const match_person_words_t *w)
{
    static const match_person_words_t none = {0};
    if (w == NULL)
        w = &none;
    arena_t *a = p->arena;
    match_wordmap_t *sp = arena_calloc(a, w->n_spellings + 1, sizeof *sp);
    const char **j = arena_calloc(a, w->n_joined + 1, sizeof *j);
    const char **pt = arena_calloc(a, w->n_patronymics + 1, sizeof *pt);
    p->n_opt = w->n_titles + w->n_particles;
    p->opt = arena_calloc(a, p->n_opt + 1, sizeof *p->opt);
    p->opt_info = arena_calloc(a, p->n_opt + 1, sizeof *p->opt_info);
    p->var_from = arena_calloc(a, 2 * w->n_variants + 1, sizeof *p->var_from);
    p->var_to = arena_calloc(a, 2 * w->n_variants + 1, sizeof *p->var_to);
    if (sp == NULL || j == NULL || pt == NULL || p->opt == NULL || p->opt_info == NULL ||
        p->var_from == NULL || p->var_to == NULL)
        return -1;
    for (size_t i = 0; i < w->n_spellings; i++)
        if ((sp[i].from = arena_strdup(a, w->spellings[i].from)) == NULL ||
            (sp[i].to = arena_strdup(a, w->spellings[i].to)) == NULL)
            return -1;
    for (size_t i = 0; i < w->n_joined; i++)
        if ((j[i] = arena_strdup(a, w->joined[i])) == NULL)
            return -1;
    for (size_t i = 0; i < w->n_patronymics; i++)
        if ((pt[i] = arena_strdup(a, w->patronymics[i])) == NULL)
            return -1;
    for (size_t i = 0; i < p->n_opt; i++) {
        const char *s = i < w->n_titles ? w->titles[i] : w->particles[i - w->n_titles];
        if ((p->opt[i] = arena_strdup(a, s)) == NULL)
            return -1;
        size_t ol = strlen(s) < PERSON_MAX_WORD ? strlen(s) : PERSON_MAX_WORD, cps = 0;
        char sk[PERSON_MAX_WORD + 1];
        size_t sl = skeleton(s, ol, sk);
        for (size_t k = 0; k < ol; k++)
            cps += ((unsigned char)s[k] & 0xc0) != 0x80;
        const char *skc = arena_strndup(a, sk, sl);
        if (skc == NULL)
            return -1;
        p->opt_info[i] = (popt_t){skc, (uint8_t)ol, (uint8_t)sl, (uint8_t)cps};
    }
    p->w = (match_person_words_t){.spellings = sp,
                                  .n_spellings = w->n_spellings,
                                  .joined = j,
                                  .n_joined = w->n_joined,
                                  .patronymics = pt,
                                  .n_patronymics = w->n_patronymics};
    size_t cap = 2 * w->n_variants > p->n_opt ? 2 * w->n_variants : p->n_opt;
    uint64_t *tmp = malloc((cap ? cap : 1) * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < p->n_opt; i++)
        tmp[i] = (uint64_t)keyidx_hash(p->opt[i], strlen(p->opt[i])) << 32 | i;
    rc = keyidx_build(&p->by_opt, a, tmp, p->n_opt);
    /* Variants are looked up by their form: what the spelling rules make
     * of them; the loader has checked that no form has two targets. The
     * target is looked up too (it maps to itself): a known name. */
    char f[PERSON_FORM_CAP], t[PERSON_FORM_CAP];
    size_t nv = 0;
    for (size_t i = 0; rc == 0 && i < w->n_variants; i++) {
        const char *from = w->variants[i].from, *to = w->variants[i].to;
        size_t fl = person_spell(&p->w, from, strlen(from), f, sizeof f);
        size_t tl = person_spell(&p->w, to, strlen(to), t, sizeof t);
        if (fl == 0 || tl == 0)
            continue;
        const char *tc = arena_strndup(a, t, tl), *fc = arena_strndup(a, f, fl);
        if (tc == NULL || fc == NULL) {
            rc = -1;
            break;
        }
        p->var_from[nv] = fc;
        p->var_to[nv] = tc;
        tmp[nv] = (uint64_t)keyidx_hash(f, fl) << 32 | nv;
        nv++;
        p->var_from[nv] = p->var_to[nv] = tc;
        tmp[nv] = (uint64_t)keyidx_hash(t, tl) << 32 | nv;
        nv++;
    }
    if (rc == 0)
        rc = keyidx_build(&p->by_var, a, tmp, nv);
    free(tmp);
    return rc;
}

/* True if words t[0..n) (x more) are those of record r. */
static bool
same_words(const person_ix_t *p, const prec_t *r, const ptok_t *t, int n, int x)
{
    if (r->n_tok != n || r->extra != x)
        return false;
    for (int i = 0; i < n; i++) {
        const ptok_t *o = &p->toks[r->tok + (uint32_t)i];
        if (o->len != t[i].len || o->flags != t[i].flags || o->first != t[i].first ||
            memcmp(o->s, t[i].s, o->len) != 0)
            return false;
    }
    return true;
}

/* True if key f of the pair index (UINT32_MAX: none) is common: a form
 * or an unvocalised skeleton that pair_min records or more hold. */
static bool
pair_key_common(const person_ix_t *p, uint32_t f)
{
    if (f == UINT32_MAX)
        return false;
    if (f < p->n_forms)
        return p->fpost_off[f + 1] - p->fpost_off[f] >= p->pair_min;
    return p->ab_count[f - p->n_forms] >= p->pair_min;
}

/* Keys of the pair index a record's word holds (build_pairs): its form,
 * and for an unvocalised word the skeletons by_skel_ab lists it under
 * (its own, and without a last "h": silent_h_skeleton), UINT32_MAX when
 * none. */
#define PERSON_WORD_KEYS 3

/* The common keys (held by pair_min records or more), and the records
 * that hold two of them in two of their words (ppost; by_common and
 * by_ab_common to find them): the records of two common words
 * ("muhammad", "ali") are thousands each at a million names, and those
 * holding both far fewer. The records are p->recs in the order they
 * were read, numbered to[]; their words' keys are tokkey (the unvocalised
 * skeletons numbered from 0 here, ab their letters). Returns 0, or -1
 * on OOM. */
static int
build_pairs(person_ix_t *p, const formset_t *fs, const formset_t *ab, uint32_t *tokkey,
            const uint32_t *to)
{
    /* Without pairs (person_ix_new) no key is common: no pair is kept. */
    if (p->pair_min != UINT32_MAX)
        p->pair_min = (uint32_t)(p->n_recs / PERSON_PAIR_DIV);
    if (p->pair_min < PERSON_PAIR_MIN)
        p->pair_min = PERSON_PAIR_MIN;
    size_t nf = fs->n, nk = fs->n + ab->n;
    p->n_ab = (uint32_t)ab->n;
    p->ab_count = arena_calloc(p->arena, ab->n + 1, sizeof *p->ab_count);
    p->ab_s = arena_alloc(p->arena, (ab->n + 1) * sizeof *p->ab_s);
    p->ab_len = arena_alloc(p->arena, ab->n + 1);
    if (p->ab_s != NULL && p->ab_len != NULL && ab->n > 0) {
        memcpy(p->ab_s, ab->s, ab->n * sizeof *ab->s);
        memcpy(p->ab_len, ab->len, ab->n);
    }
    p->ppost_off = arena_calloc(p->arena, nk + 2, sizeof *p->ppost_off);
    uint32_t *last = calloc(ab->n + 1, sizeof *last); /* record + 1 last counted */
    uint64_t *tmp = malloc((nk ? nk : 1) * sizeof *tmp);
    if (p->ab_count == NULL || p->ab_s == NULL || p->ab_len == NULL || p->ppost_off == NULL ||
        last == NULL || tmp == NULL) {
        free(last);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < p->n_recs; i++)
        for (uint32_t t = p->recs[i].tok; t < p->recs[i].tok + p->recs[i].n_tok; t++)
            for (int j = 1; j < PERSON_WORD_KEYS; j++) {
                uint32_t *k = &tokkey[t * PERSON_WORD_KEYS + j];
                if (*k == UINT32_MAX)
                    continue;
                if (last[*k] != i + 1)
                    p->ab_count[*k]++;
                last[*k] = (uint32_t)i + 1;
                *k += (uint32_t)nf;
            }
    free(last);
    size_t nc = 0, na = 0;
    for (size_t f = 0; f < nf; f++)
        if (pair_key_common(p, (uint32_t)f))
            tmp[nc++] = (uint64_t)keyidx_hash(fs->s[f], fs->len[f]) << 32 | f;
    int rc = keyidx_build(&p->by_common, p->arena, tmp, nc);
    for (size_t f = 0; f < ab->n; f++)
        if (pair_key_common(p, (uint32_t)(nf + f)))
            tmp[na++] = (uint64_t)keyidx_hash(ab->s[f], ab->len[f]) << 32 | (nf + f);
    if (rc == 0)
        rc = keyidx_build(&p->by_ab_common, p->arena, tmp, na);
    free(tmp);
    if (rc != 0)
        return -1;
    /* Counted by the smaller key, then placed; each group sorted. */
    uint32_t *off = p->ppost_off;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < p->n_recs; i++) {
            const prec_t *r = &p->recs[i];
            if (r->initial)
                continue;
            const uint32_t *tk = &tokkey[(size_t)r->tok * PERSON_WORD_KEYS];
            for (int x = 0; x < r->n_tok * PERSON_WORD_KEYS; x++) {
                if (!pair_key_common(p, tk[x]))
                    continue;
                for (int y = (x / PERSON_WORD_KEYS + 1) * PERSON_WORD_KEYS;
                     y < r->n_tok * PERSON_WORD_KEYS; y++) {
                    if (!pair_key_common(p, tk[y]))
                        continue;
                    uint32_t a = tk[x] < tk[y] ? tk[x] : tk[y], b = tk[x] ^ tk[y] ^ a;
                    if (pass == 0)
                        off[a + 1]++;
                    else
                        p->ppost[off[a]++] = (uint64_t)b << 32 | to[i];
                }
            }
        }
        if (pass == 0) {
            for (size_t f = 0; f < nk; f++)
                off[f + 1] += off[f];
            p->ppost = arena_alloc(p->arena, (off[nk] ? off[nk] : 1) * sizeof *p->ppost);
            /* off[a] is a's start, and placing moves it to its end. */
            if (p->ppost == NULL)
                return -1;
        }
    }
    /* off[a] is now a's end. Sorted and its repeats dropped (a record
     * "Muhammad Ali Muhammad" holds the pair twice), packed. */
    size_t at = 0, start = 0;
    for (size_t f = 0; f < nk; f++) {
        size_t end = off[f];
        size_t m = keyidx_sort_unique(p->ppost + start, end - start);
        memmove(p->ppost + at, p->ppost + start, m * sizeof *p->ppost);
        off[f] = (uint32_t)at;
        at += m;
        start = end;
    }
    off[nk] = (uint32_t)at;
    return 0;
}

/* True if two of the words t[0..n) (a record's) share a form or a
 * skeleton, with or without a last "h": one probe of a query's word may
 * then reach both (copies_alone). */
static bool
record_twin(const ptok_t *t, int n)
{
    char sk[PERSON_MAX_TOK][PERSON_MAX_WORD + 1];
    size_t sl[PERSON_MAX_TOK];
    for (int j = 0; j < n; j++)
        sl[j] = skeleton(t[j].s, t[j].len, sk[j]);
    for (int j = 0; j < n; j++)
        for (int k = 0; k < j; k++)
            if ((t[j].form == t[k].form && t[j].form != UINT32_MAX) ||
                (sl[j] == sl[k] && memcmp(sk[j], sk[k], sl[j]) == 0) ||
                h_dropped(sk[j], sl[j], sk[k], sl[k]) || h_dropped(sk[k], sl[k], sk[j], sl[j]))
                return true;
    return false;
}

/* Reads every name of every individual into records, and fills the
 * three tables' entries. Returns 0, or -1 with a message in err. */
static int
build_records(person_ix_t *p, size_t n_ents, char *err, size_t errcap)
{
    arena_t *tmp = arena_new(0);
    entvec_t form = {0}, join = {0}, del = {0}, skel = {0}, skel_ab = {0}, fp = {0};
    formset_t fs = {0};
    uint8_t *how = NULL; /* form_how while building */
    size_t cap_how = 0;
    uint32_t *tokkey = NULL; /* each word's keys of the pair index */
    size_t cap_tokkey = 0;
    formset_t abs = {0}; /* skeletons of unvocalised words */
    size_t cap_recs = 0, cap_toks = 0;
    int rc = tmp != NULL ? 0 : -1;
    if (rc != 0)
        put_err(err, errcap, "out of memory");
    for (size_t e = 0; rc == 0 && e < n_ents; e++) {
        const reg_entity_t *ent = &p->ents[e];
        if (!person_is_individual(ent))
            continue;
        size_t first = p->n_recs;
        for (uint32_t i = 0; rc == 0 && i <= ent->n_aliases; i++) {
            const char *name = reg_entity_name(ent, i);
            ptok_t t[PERSON_MAX_TOK];
            int x;
            arena_reset(tmp);
            if (name == NULL)
                continue;
            int n = read_name(p, tmp, name, t, &x, err, errcap);
            if (n < 0) {
                /* The loader refuses invalid UTF-8: a name that still
                 * fails here is skipped; anything else fails the build. */
                if (!norm_valid_utf8(name, strlen(name)))
                    continue;
                rc = -1;
                break;
            }
            bool dup = n == 0;
            for (size_t r = first; r < p->n_recs && !dup; r++)
                dup = same_words(p, &p->recs[r], t, n, x);
            if (dup)
                continue;
            if (vec_grow(&p->recs, &cap_recs, p->n_recs + 1, sizeof *p->recs, 256) != 0 ||
                vec_grow(&p->toks, &cap_toks, p->n_toks + (size_t)n, sizeof *p->toks, 1024) != 0 ||
                vec_grow(&tokkey, &cap_tokkey, (p->n_toks + (size_t)n) * PERSON_WORD_KEYS,
                         sizeof *tokkey, 1024) != 0) {
                put_err(err, errcap, "out of memory");
                rc = -1;
                break;
            }
            uint32_t r = (uint32_t)p->n_recs;
            prec_t *rec = &p->recs[p->n_recs++];
            *rec = (prec_t){(uint32_t)e, i, (uint32_t)p->n_toks, (uint8_t)n, (uint8_t)x, false};
            form.rec = join.rec = skel.rec = skel_ab.rec = fp.rec = r;
            for (int k = 0; k < n && rc == 0; k++) {
                ptok_t *o = &p->toks[p->n_toks++];
                char *s = arena_strndup(p->arena, t[k].s, t[k].len);
                if (s == NULL) {
                    rc = -1;
                    break;
                }
                *o = (ptok_t){s, t[k].len, t[k].flags, t[k].first, UINT32_MAX};
                uint32_t *tk = &tokkey[(p->n_toks - 1) * PERSON_WORD_KEYS];
                for (int j = 0; j < PERSON_WORD_KEYS; j++)
                    tk[j] = UINT32_MAX;
                rec->initial |= (o->flags & PT_INITIAL) != 0;
                if (o->flags & (PT_INITIAL | PT_OPTIONAL))
                    continue;
                char sk[PERSON_MAX_WORD + 1];
                size_t sl = skeleton(o->s, o->len, sk);
                size_t n_before = fs.n;
                int64_t f = form_id(&fs, o->s, o->len);
                if (f >= 0 && fs.n > n_before &&
                    vec_grow(&how, &cap_how, fs.n, sizeof *how, 1024) != 0)
                    f = -1;
                if (f >= 0) {
                    tk[0] = o->form = (uint32_t)f;
                    if (fs.n > n_before)
                        how[f] = o->flags & (PT_KNOWN | PT_ASCII);
                    how[f] |= (o->flags & PT_ABJAD) ? FORM_ABJAD : FORM_LATIN;
                }
                if (f < 0 || ent_add(&form, keyidx_hash(o->s, o->len)) != 0 ||
                    ent_add(&fp, (uint32_t)f) != 0 ||
                    (sl > 0 && ent_add(&skel, keyidx_hash(sk, sl)) != 0) ||
                    (sl > 0 && (o->flags & PT_ABJAD) &&
                     ent_add(&skel_ab, keyidx_hash(sk, sl)) != 0) ||
                    (silent_h_skeleton(o, sl) && ent_add(&skel_ab, keyidx_hash(sk, sl - 1)) != 0))
                    rc = -1;
                /* The skeletons by_skel_ab lists it under, as keys. */
                for (int j = 1; rc == 0 && (o->flags & PT_ABJAD) && sl > 0 && j < 3; j++) {
                    size_t kl = j == 1 ? sl : silent_h_skeleton(o, sl) ? sl - 1 : 0;
                    size_t n_ab = abs.n;
                    int64_t id = kl > 0 ? form_id(&abs, sk, (uint8_t)kl) : -2;
                    if (id == -1 ||
                        (abs.n > n_ab && (abs.s[id] = arena_strndup(p->arena, sk, kl)) == NULL))
                        rc = -1;
                    else if (id >= 0)
                        tk[j] = (uint32_t)id;
                }
            }
            /* Two neighbouring words joined, as another spelling writes
             * them ("Fang Wei" is found by "Fangwei"). */
            for (int k = 0; rc == 0 && k + 1 < n; k++) {
                const ptok_t *x0 = &p->toks[rec->tok + (uint32_t)k], *x1 = x0 + 1;
                if ((x0->flags | x1->flags) & (PT_INITIAL | PT_OPTIONAL))
                    continue;
                char j[2 * PERSON_MAX_WORD + 1];
                size_t skip = x0->s[x0->len - 1] == x1->s[0];
                memcpy(j, x0->s, x0->len);
                memcpy(j + x0->len, x1->s + skip, x1->len - skip);
                if (ent_add(&join, keyidx_hash(j, x0->len + x1->len - skip)) != 0)
                    rc = -1;
            }
            if (rc != 0)
                put_err(err, errcap, "out of memory");
        }
    }
    /* The records move into the arena, those with an initial first: a
     * search takes every record with an initial that any of its words
     * reaches, and finds them at the head of each posting list
     * (person_search) instead of testing every record it walks. */
    uint32_t *to = rc == 0 ? malloc((p->n_recs ? p->n_recs : 1) * sizeof *to) : NULL;
    if (rc == 0 && to == NULL) {
        put_err(err, errcap, "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        /* Those without an initial by their counted words, so that a
         * record's number tells them (rec_words). */
        uint32_t ni = 0, nr = 0, next[PERSON_CW_MAX + 1] = {0};
        for (size_t i = 0; i < p->n_recs; i++) {
            const prec_t *x = &p->recs[i];
            ni += x->initial;
            if (!x->initial)
                next[counted_words(&p->toks[x->tok], x->n_tok, x->extra)]++;
        }
        p->n_init = ni;
        for (int c = 0, start = (int)ni; c <= PERSON_CW_MAX; c++) {
            p->cw_start[c] = (uint32_t)start;
            start += (int)next[c];
            next[c] = p->cw_start[c];
        }
        p->cw_start[PERSON_CW_MAX + 1] = (uint32_t)p->n_recs;
        for (size_t i = 0; i < p->n_recs; i++) {
            const prec_t *x = &p->recs[i];
            to[i] = x->initial ? nr++ : next[counted_words(&p->toks[x->tok], x->n_tok, x->extra)]++;
        }
        entvec_t *ev[] = {&form, &join, &skel, &skel_ab, &fp};
        for (size_t k = 0; k < sizeof ev / sizeof *ev; k++)
            for (size_t i = 0; i < ev[k]->n; i++)
                ev[k]->v[i] = (ev[k]->v[i] & ~(uint64_t)UINT32_MAX) | to[(uint32_t)ev[k]->v[i]];
        /* Deletion variants lead to forms, and each form to the records
         * holding it: a common name ("muhammad") is under every one of
         * its deletions, and its thousands of records are listed once,
         * not once a deletion (the entries a search walks, and 70 MiB
         * of a million names' index). */
        for (size_t f = 0; rc == 0 && f < fs.n; f++) {
            del.rec = (uint32_t)f;
            rc = each_deletion(fs.s[f], fs.len[f], ent_add, &del);
        }
        fp.n = keyidx_sort_unique(fp.v, fp.n);
        p->n_forms = fs.n;
        p->form_s = arena_alloc(p->arena, (fs.n ? fs.n : 1) * sizeof *p->form_s);
        p->form_len = arena_alloc(p->arena, fs.n ? fs.n : 1);
        p->form_how = arena_alloc(p->arena, fs.n ? fs.n : 1);
        p->init_letters =
            arena_calloc(p->arena, p->n_init ? p->n_init : 1, sizeof *p->init_letters);
        p->twin = arena_calloc(p->arena, p->n_recs / 64 + 1, sizeof *p->twin);
        if (p->form_s == NULL || p->form_len == NULL || p->form_how == NULL ||
            p->init_letters == NULL || p->twin == NULL) {
            rc = -1;
        } else if (fs.n) {
            memcpy(p->form_s, fs.s, fs.n * sizeof *fs.s);
            memcpy(p->form_len, fs.len, fs.n);
            memcpy(p->form_how, how, fs.n);
        }
        for (size_t i = 0; rc == 0 && i < p->n_recs; i++) {
            const prec_t *x = &p->recs[i];
            uint32_t n_initials = 0;
            for (uint8_t k = 0; x->initial && k < x->n_tok; k++) {
                const ptok_t *o = &p->toks[x->tok + k];
                if (o->flags & PT_INITIAL) {
                    p->init_letters[to[i]] |= 1u << (o->s[0] - 'a');
                    n_initials++;
                }
            }
            if (record_twin(&p->toks[x->tok], x->n_tok))
                p->twin[to[i] / 64] |= 1ull << (to[i] % 64);
            if (x->initial)
                p->init_letters[to[i]] |=
                    (n_initials < INIT_MANY ? n_initials : INIT_MANY) << INIT_COUNT_SHIFT |
                    (uint32_t)counted_words(&p->toks[x->tok], x->n_tok, x->extra)
                        << INIT_WORDS_SHIFT;
        }
        p->fpost = arena_alloc(p->arena, (fp.n ? fp.n : 1) * sizeof *p->fpost);
        p->fpost_off = arena_alloc(p->arena, (fs.n + 1) * sizeof *p->fpost_off);
        if (p->fpost != NULL && p->fpost_off != NULL) {
            if (fp.n)
                memcpy(p->fpost, fp.v, fp.n * sizeof *fp.v);
            size_t at = 0;
            for (size_t f = 0; f <= fs.n; f++) {
                while (at < fp.n && (fp.v[at] >> 32) < f)
                    at++;
                p->fpost_off[f] = (uint32_t)at;
            }
        }
        if (rc == 0 && (p->fpost == NULL || p->fpost_off == NULL ||
                        build_pairs(p, &fs, &abs, tokkey, to) != 0))
            rc = -1;
        prec_t *r = arena_alloc(p->arena, (p->n_recs ? p->n_recs : 1) * sizeof *r);
        ptok_t *t = arena_alloc(p->arena, (p->n_toks ? p->n_toks : 1) * sizeof *t);
        if (rc != 0 || p->fpost == NULL || p->fpost_off == NULL || r == NULL || t == NULL ||
            keyidx_build(&p->by_form, p->arena, form.v, form.n) != 0 ||
            keyidx_build(&p->by_join, p->arena, join.v, join.n) != 0 ||
            keyidx_build(&p->by_del, p->arena, del.v, del.n) != 0 ||
            keyidx_build(&p->by_skel, p->arena, skel.v, skel.n) != 0 ||
            keyidx_build(&p->by_skel_ab, p->arena, skel_ab.v, skel_ab.n) != 0) {
            put_err(err, errcap, "out of memory");
            rc = -1;
        } else {
            for (size_t i = 0; i < p->n_recs; i++)
                r[to[i]] = p->recs[i];
            if (p->n_toks)
                memcpy(t, p->toks, p->n_toks * sizeof *t);
        }
        free(p->recs);
        free(p->toks);
        p->recs = rc == 0 ? r : NULL;
        p->toks = rc == 0 ? t : NULL;
    } else {
        free(p->recs);
        free(p->toks);
        p->recs = NULL;
        p->toks = NULL;
    }
    free(to);
    free(tokkey);
    free(abs.s);
    free(abs.len);
    free(abs.slot);
    free(form.v);
    free(join.v);
    free(del.v);
    free(skel.v);
    free(skel_ab.v);
    free(fp.v);
    free(fs.s);
    free(fs.len);
    free(how);
    free(fs.slot);
    arena_destroy(&tmp);
    return rc;
}

/* Appends to p->maps the bitmaps of the keys of entries ent[0..n) (a
 * table's, or fpost's: key = the top 32 bits) that have map_min entries
 * or more. Returns 0, or -1 on OOM. */
static int
build_maps_of(person_ix_t *p, const uint64_t *ent, size_t n, size_t *cap)
{
    size_t words = p->n_recs / 64 + 1;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && ent[j] >> 32 == ent[i] >> 32;)
            j++;
        if (j - i < p->map_min)
            continue;
        uint64_t *bits = arena_calloc(p->arena, words, sizeof *bits);
        if (bits == NULL || vec_grow(&p->maps, cap, p->n_maps + 1, sizeof *p->maps, 16) != 0)
            return -1;
        for (size_t e = i; e < j; e++)
            bits[(uint32_t)ent[e] / 64] |= 1ull << ((uint32_t)ent[e] % 64);
        p->maps[p->n_maps++] = (pmap_t){ent, i, bits};
    }
    return 0;
}

/* The bitmaps of the keys of every table a search probes (build_maps_of).
 * Returns 0, or -1 on OOM. */
static int
build_maps(person_ix_t *p)
{
    p->map_min = p->n_recs / PERSON_MAP_DIV;
    if (p->map_min < PERSON_MAP_MIN)
        p->map_min = PERSON_MAP_MIN;
    if (p->every)
        return 0; /* nothing is looked up */
    size_t cap = 0;
    const keyidx_t *t[] = {&p->by_form, &p->by_join, &p->by_skel, &p->by_skel_ab};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        if (build_maps_of(p, t[k]->ent, t[k]->n, &cap) != 0)
            return -1;
    return p->fpost != NULL && p->fpost_off != NULL
               ? build_maps_of(p, p->fpost, p->fpost_off[p->n_forms], &cap)
               : 0;
}

/* The bitmap of the key whose entries start at ent[lo], or NULL. */
static const uint64_t *
find_map(const person_ix_t *p, const uint64_t *ent, size_t lo)
{
    for (size_t i = 0; i < p->n_maps; i++)
        if (p->maps[i].ent == ent && p->maps[i].lo == lo)
            return p->maps[i].bits;
    return NULL;
}

person_ix_t *
person_ix_new(const reg_entity_t *ents, size_t n, const match_person_words_t *w, script_t *sc,
              double threshold, person_search_mode_t mode, char *err, size_t errcap)
{
    person_ix_t *p = calloc(1, sizeof *p);
    if (p == NULL || (p->arena = arena_new(64 * 1024)) == NULL) {
        put_err(err, errcap, "out of memory");
        person_ix_destroy(&p);
        return NULL;
    }
    p->ents = ents;
    p->script = sc;
    p->threshold = threshold;
    p->every = mode == PERSON_SEARCH_EVERY;
    p->pair_min = mode == PERSON_SEARCH_PAIRS ? 0 : UINT32_MAX;
    if (build_words(p, w) != 0) {
        put_err(err, errcap, "out of memory");
        person_ix_destroy(&p);
        return NULL;
    }
    if (build_records(p, ents != NULL ? n : 0, err, errcap) != 0) {
        person_ix_destroy(&p);
    } else if (build_maps(p) != 0) {
        put_err(err, errcap, "out of memory");
        person_ix_destroy(&p);
    }
    return p;
}

void
person_ix_destroy(person_ix_t **pp)
{
    if (pp == NULL || *pp == NULL)
        return;
    arena_destroy(&(*pp)->arena);
    free((*pp)->maps);
    free(*pp);
    *pp = NULL;
}

size_t
person_ix_memory(const person_ix_t *p)
{
    return p != NULL ? sizeof *p + arena_reserved(p->arena) + p->n_maps * sizeof *p->maps : 0;
}

/* ---- the search ---------------------------------------------------------- */

/* Candidate records with the query's words that reached them, an open
 * addressing map in the scratch arena. */
typedef struct cands {
    uint32_t *key;  /* record + 1, 0 empty */
    uint16_t *mask; /* bit i: query word i reached it */
    bool *joined;   /* a query word reached two of its words joined (a
                     * probe of by_join: wbound_t.joins) */
    uint8_t *hits;  /* probes of probes_t.tally's word that reached it (2:
                     * two or more) */
    uint32_t *list; /* slots in insertion order */
    size_t n;       /* count */
    size_t cap;     /* slots, a power of two */
} cands_t;

static int
cands_init(cands_t *c, arena_t *a, size_t cap)
{
    c->key = arena_calloc(a, cap, sizeof *c->key);
    c->mask = arena_calloc(a, cap, sizeof *c->mask);
    c->joined = arena_calloc(a, cap, sizeof *c->joined);
    c->hits = arena_calloc(a, cap, sizeof *c->hits);
    c->list = arena_alloc(a, cap / 2 * sizeof *c->list);
    c->n = 0;
    c->cap = cap;
    return c->key && c->mask && c->joined && c->hits && c->list ? 0 : -1;
}

/* Marks record rec reached by the query words of bits (two of its
 * words joined if joined), hits more times by the tallied word's probes.
 * Returns 0, or -1 on OOM. */
static int
cands_add(cands_t *c, arena_t *a, uint32_t rec, uint16_t bits, bool joined, uint8_t hits)
{
    if ((c->n + 1) * 2 > c->cap) {
        cands_t g;
        if (cands_init(&g, a, c->cap * 2) != 0)
            return -1;
        for (size_t i = 0; i < c->n; i++) {
            uint32_t s = c->list[i];
            if (cands_add(&g, a, c->key[s] - 1, c->mask[s], c->joined[s], c->hits[s]) != 0)
                return -1;
        }
        *c = g;
    }
    size_t i = (rec * 0x9e3779b1u) & (c->cap - 1);
    while (c->key[i] != 0 && c->key[i] != rec + 1)
        i = (i + 1) & (c->cap - 1);
    if (c->key[i] == 0) {
        c->key[i] = rec + 1;
        c->list[c->n++] = (uint32_t)i;
    }
    c->mask[i] |= bits;
    c->joined[i] |= joined;
    c->hits[i] = c->hits[i] + hits < 2 ? (uint8_t)(c->hits[i] + hits) : 2;
    return 0;
}

/* The query words of mask m (a sum of bits, inline: the builtin is a
 * call into libgcc on the baseline x86-64, and the search counts the
 * words of each candidate, often). */
static inline int
words_count(uint32_t m)
{
    m = m - ((m >> 1) & 0x55555555u);
    m = (m & 0x33333333u) + ((m >> 2) & 0x33333333u);
    m = (m + (m >> 4)) & 0x0f0f0f0fu;
    return (int)((m * 0x01010101u) >> 24);
}

/* True if the words of mask m are fewer than need (1 or 2). */
static bool
too_few(uint16_t m, int need)
{
    return m == 0 || (need == 2 && (m & (m - 1)) == 0);
}

/* One probe of a search: the entries of a table under one hash, or the
 * records of one form (each entry's low 32 bits are a record). */
typedef struct probe {
    const uint64_t *ent; /* the table's entries (keyidx_t.ent, or fpost) */
    size_t lo, hi;       /* its entries under the hash, or of the form */
    size_t mid;          /* the first of them without an initial (n_init) */
    uint16_t bits;       /* the query words it stands for */
    int8_t word;         /* the one word, or -1 for two joined */
    size_t wend;         /* its entries [mid, wend) are walked, the rest
                          * looked up (choose_walk) */
    uint32_t form;       /* its key of the pair index (build_pairs): the form
                          * of fpost's records, or the skeleton of a Latin
                          * word's by_skel_ab probe; or UINT32_MAX */
    bool joined;         /* one word's probe of by_join: it reaches two
                          * words of its records joined */
    bool tally;          /* a probe of probes_t.tally's word */
    const uint64_t *map; /* its records as a bitmap (build_maps), or NULL */
} probe_t;

/* The probes of a search, while they are collected. */
typedef struct probes {
    probe_t *v;           /* in the scratch arena */
    size_t n, cap;        /* count, capacity */
    arena_t *a;           /* the scratch arena */
    const keyidx_t *t;    /* the table of the next probes */
    uint16_t bits;        /* their words */
    int8_t word;          /* their one word, or -1 */
    uint32_t n_init;      /* the index's records with an initial */
    uint16_t joins;       /* words that are two neighbouring words of some
                           * record joined (by_join) */
    uint32_t own;         /* the common form of the word probed, probed by
                           * its records (fpost), or UINT32_MAX */
    bool joined;          /* the next probes are one word's of by_join */
    uint16_t alone;       /* words written twice whose copies may be all that
                           * reaches a match (copies_alone): their probes are
                           * walked, and stand for their copies too (but
                           * tally's: see person_search) */
    int8_t tally;         /* of alone, the word whose probes reach all it may
                           * pair, whose reaches are counted, or -1 */
    const person_ix_t *p; /* the index */
} probes_t;

/* The first of the entries ent[lo, hi) (under one hash or of one form,
 * so sorted by record) whose record is rec or later. */
static size_t
first_from(const uint64_t *ent, size_t lo, size_t hi, uint32_t rec)
{
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if ((uint32_t)ent[m] < rec)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

/* Appends the probe of entries ent[lo, hi) (lo < hi) of key form (or
 * UINT32_MAX) for the words of ps->bits. Returns 0, or -1 on OOM. */
static int
push_probe(probes_t *ps, const uint64_t *ent, size_t lo, size_t hi, uint32_t form, bool joined)
{
    if (match_vec_reserve(ps->a, (void **)&ps->v, ps->n, &ps->cap, sizeof *ps->v) != 0)
        return -1;
    size_t mid = first_from(ent, lo, hi, ps->n_init);
    ps->v[ps->n++] = (probe_t){ent,
                               lo,
                               hi,
                               mid,
                               ps->bits,
                               ps->word,
                               mid,
                               form,
                               joined,
                               ps->word >= 0 && ps->word == ps->tally,
                               hi - lo >= ps->p->map_min ? find_map(ps->p, ent, lo) : NULL};
    return 0;
}

static int
probe_add(void *ctx, uint32_t h)
{
    probes_t *ps = ctx;
    size_t lo, hi;
    keyidx_range(ps->t, h, &lo, &hi);
    return lo == hi ? 0 : push_probe(ps, ps->t->ent, lo, hi, UINT32_MAX, ps->joined);
}

/* Adds the probe of the records of form f (fpost), if any. Returns 0, or
 * -1 on OOM. */
static int
probe_add_form(const person_ix_t *p, probes_t *ps, uint32_t f)
{
    size_t lo = p->fpost_off[f], hi = p->fpost_off[f + 1];
    return lo == hi ? 0 : push_probe(ps, p->fpost, lo, hi, f, false);
}

/* The letters of key k of the pair index (a form, or an unvocalised
 * skeleton after them), their count in *len. */
static const char *
key_letters(const person_ix_t *p, uint32_t k, size_t *len)
{
    if (k < p->n_forms) {
        *len = p->form_len[k];
        return p->form_s[k];
    }
    *len = p->ab_len[k - p->n_forms];
    return p->ab_s[k - p->n_forms];
}

/* The common key (build_pairs) of letters s[0..len) in t (by_common, a
 * form; by_ab_common, an unvocalised skeleton), or UINT32_MAX if none. */
static uint32_t
common_key(const person_ix_t *p, const keyidx_t *t, const char *s, size_t len)
{
    size_t lo, hi;
    keyidx_range(t, keyidx_hash(s, len), &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        size_t kl;
        const char *ks = key_letters(p, (uint32_t)t->ent[i], &kl);
        if (kl == len && memcmp(ks, s, len) == 0)
            return (uint32_t)t->ent[i];
    }
    return UINT32_MAX;
}

/* Form ids, while a word's deletion variants are looked up. */
typedef struct formids {
    uint32_t *v;          /* in the scratch arena */
    size_t n, cap;        /* count, capacity */
    arena_t *a;           /* the scratch arena */
    const person_ix_t *p; /* the index */
} formids_t;

static int
formids_add(void *ctx, uint32_t h)
{
    formids_t *f = ctx;
    size_t lo, hi;
    keyidx_range(&f->p->by_del, h, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        if (match_vec_reserve(f->a, (void **)&f->v, f->n, &f->cap, sizeof *f->v) != 0)
            return -1;
        f->v[f->n++] = (uint32_t)f->p->by_del.ent[i];
    }
    return 0;
}

/* Sorts v[0..n) (a heap sort: no memory, n log n at worst). */
static void
sort_u32(uint32_t *v, size_t n)
{
    for (size_t end = n, start = n / 2;;) {
        size_t root;
        if (start > 0) {
            root = --start;
        } else {
            if (end <= 1)
                return;
            uint32_t t = v[--end];
            v[end] = v[0];
            v[0] = t;
            root = 0;
        }
        for (size_t child; (child = 2 * root + 1) < end; root = child) {
            if (child + 1 < end && v[child] < v[child + 1])
                child++;
            if (v[root] >= v[child])
                break;
            uint32_t t = v[root];
            v[root] = v[child];
            v[child] = t;
        }
    }
}

/* True if the query's word t may pair a record's word of form f: word_sim
 * compares a word by its letters, PT_KNOWN, PT_ASCII and whether it is
 * unvocalised, and a form's words differ only in the last, tried both
 * ways when its records write it both ways. */
static bool
form_pairs(const person_ix_t *p, const ptok_t *t, uint32_t f)
{
    uint8_t how = p->form_how[f];
    ptok_t o = {p->form_s[f], p->form_len[f], how & (PT_KNOWN | PT_ASCII), p->form_s[f][0],
                UINT32_MAX};
    if ((how & FORM_LATIN) && word_sim(t, &o) > 0)
        return true;
    o.flags |= PT_ABJAD;
    return (how & FORM_ABJAD) && word_sim(t, &o) > 0;
}

/* The probes of the query's word t by its deletion variants
 * (h[0..nh), deletion_hashes): one probe for each form they lead to that t may pair
 * (form_pairs), once, of the records holding it. A deletion meets many
 * forms t does not pair ("amad" of "amjad" is a deletion of "ahmad",
 * five letters apart from it by one swap at most): walked or looked up,
 * their records made candidates that scoring then refused, most of a
 * common name's search at a million names. Returns 0, or -1 on OOM. */
static int
probe_forms(const person_ix_t *p, const ptok_t *t, const uint32_t *h, size_t nh, probes_t *ps)
{
    formids_t f = {NULL, 0, 0, ps->a, p};
    for (size_t i = 0; i < nh; i++)
        if (formids_add(&f, h[i]) != 0)
            return -1;
    sort_u32(f.v, f.n);
    /* What form_pairs and probe_add_form read of each form, fetched
     * together: dozens of forms at random places at a million names. */
    for (size_t i = 0; i < f.n; i++) {
        __builtin_prefetch(&p->form_how[f.v[i]]);
        __builtin_prefetch(&p->form_len[f.v[i]]);
        __builtin_prefetch(&p->form_s[f.v[i]]);
        __builtin_prefetch(&p->fpost_off[f.v[i]]);
    }
    for (size_t i = 0; i < f.n; i++)
        __builtin_prefetch(p->form_s[f.v[i]]);
    for (size_t i = 0; i < f.n; i++) {
        if (i > 0 && f.v[i] == f.v[i - 1])
            continue;
        if (f.v[i] == ps->own || p->fpost_off[f.v[i]] == p->fpost_off[f.v[i] + 1] ||
            !form_pairs(p, t, f.v[i]))
            continue;
        /* The word's own form, which its probe of by_form reaches: a
         * tallied word's probes reach a record's word once. */
        if (ps->word == ps->tally && p->form_len[f.v[i]] == t->len &&
            memcmp(p->form_s[f.v[i]], t->s, t->len) == 0)
            continue;
        if (probe_add_form(p, ps, f.v[i]) != 0)
            return -1;
    }
    return 0;
}

/* Sorts v[0..n) by their top 32 bits (a record), least significant
 * byte first; tmp has room for n. */
static void
sort_by_record(uint64_t *v, uint64_t *tmp, size_t n)
{
    for (int shift = 32; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[(v[i] >> shift & 0xff) + 1]++;
        if (count[1] == n) /* every key has this byte 0 */
            continue;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++)
            tmp[count[v[i] >> shift & 0xff]++] = v[i];
        memcpy(v, tmp, n * sizeof *v);
    }
}

/* The first of pend[lo, hi) (record << 32 | slot, sorted) whose record
 * is rec or later, galloping from lo: about log(distance) steps. */
static size_t
pend_from(const uint64_t *pend, size_t lo, size_t hi, uint32_t rec)
{
    if (lo >= hi || (uint32_t)(pend[lo] >> 32) >= rec)
        return lo;
    size_t prev = lo, step = 1, cur = lo + 1;
    while (cur < hi && (uint32_t)(pend[cur] >> 32) < rec) {
        prev = cur;
        step *= 2;
        cur = prev + step;
    }
    lo = prev + 1;
    hi = cur < hi ? cur + 1 : hi;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if ((uint32_t)(pend[m] >> 32) < rec)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

/* The first of ent[lo, hi) (sorted by record) whose record is rec or
 * later, galloping from lo. */
static size_t
ent_from(const uint64_t *ent, size_t lo, size_t hi, uint32_t rec)
{
    if (lo >= hi || (uint32_t)ent[lo] >= rec)
        return lo;
    size_t prev = lo, step = 1, cur = lo + 1;
    while (cur < hi && (uint32_t)ent[cur] < rec) {
        prev = cur;
        step *= 2;
        cur = prev + step;
    }
    return first_from(ent, prev + 1, cur < hi ? cur + 1 : hi, rec);
}

/* The first of the pair index's entries g[lo, hi) (sorted) that is key
 * or more. */
static size_t
pair_from(const uint64_t *g, size_t lo, size_t hi, uint64_t key)
{
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (g[m] < key)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

/* Marks with pr's words the candidates pend[0..n) (record << 32 | slot,
 * sorted; pm[i] the words that reached pend[i]) that pr reaches (its
 * entries without an initial, sorted by record too). The two sorted
 * lists are merged from the shorter one, galloping in the longer: a
 * probe costs about min(n, entries) log(max / min), so a common word's
 * thousands of entries cost the candidates, and the hundreds of small
 * probes of its deletions cost their own few entries, not the list of
 * candidates each (walking the candidates once per probe was most of
 * a common name's search at a million names). */
static void
mark_sorted(cands_t *c, const uint64_t *pend, uint16_t *pm, size_t n, const probe_t *pr)
{
    if (pr->map != NULL) {
        /* A bit a candidate. The map holds the probe's walked records
         * too, which the walk marked with the same words. */
        for (size_t i = 0; i < n; i++) {
            uint32_t rec = (uint32_t)(pend[i] >> 32);
            if (pr->map[rec / 64] >> (rec % 64) & 1) {
                c->mask[(uint32_t)pend[i]] |= pr->bits;
                c->joined[(uint32_t)pend[i]] |= pr->joined;
                pm[i] |= pr->bits;
            }
        }
        return;
    }
    const uint64_t *ent = pr->ent;
    size_t lo = pr->wend, hi = pr->hi;
    if (hi - lo < n) {
        size_t i = 0;
        for (size_t e = lo; e < hi && i < n; e++) {
            uint32_t rec = (uint32_t)ent[e];
            i = pend_from(pend, i, n, rec);
            for (; i < n && (uint32_t)(pend[i] >> 32) == rec; i++) {
                c->mask[(uint32_t)pend[i]] |= pr->bits;
                c->joined[(uint32_t)pend[i]] |= pr->joined;
                pm[i] |= pr->bits;
            }
        }
        return;
    }
    for (size_t i = 0; i < n && lo < hi; i++) {
        if ((pm[i] & pr->bits) == pr->bits && !pr->joined)
            continue;
        uint32_t rec = (uint32_t)(pend[i] >> 32);
        lo = ent_from(ent, lo, hi, rec);
        if (lo < hi && (uint32_t)ent[lo] == rec) {
            c->mask[(uint32_t)pend[i]] |= pr->bits;
            c->joined[(uint32_t)pend[i]] |= pr->joined;
            pm[i] |= pr->bits;
        }
    }
}

/* The first word of q written as word i is, if earlier than i, or i:
 * "Muhammad ... Muhammad" is one word written twice, and its two copies
 * must not count as the two words a record needs. */
static int
first_copy(const ptok_t *q, int i)
{
    int k = 0;
    while (k < i && !(q[k].len == q[i].len && memcmp(q[k].s, q[i].s, q[i].len) == 0))
        k++;
    return k;
}

/* True if word i of q is written as an earlier word is (first_copy). */
static bool
word_again(const ptok_t *q, int i)
{
    return first_copy(q, i) < i;
}

/* Word i of q and the later words written as it is (first_copy). */
static uint16_t
copies_of(const ptok_t *q, int nq, int i)
{
    uint16_t copies = (uint16_t)(1u << i);
    for (int k = i + 1; k < nq; k++)
        if (first_copy(q, k) == i)
            copies |= (uint16_t)(1u << k);
    return copies;
}

/* The hash of the two neighbouring words x and y joined (a doubled
 * letter at the joint written once), as collect_probes probes them. */
static uint32_t
joined_hash(const ptok_t *x, const ptok_t *y)
{
    char j[2 * PERSON_MAX_WORD + 1];
    size_t skip = x->s[x->len - 1] == y->s[0];
    memcpy(j, x->s, x->len);
    memcpy(j + x->len, y->s + skip, y->len - skip);
    return keyidx_hash(j, x->len + y->len - skip);
}

/* A table and a hash that collect_probes will look up. */
typedef struct tprobe {
    const keyidx_t *t;
    uint32_t h;
} tprobe_t;

/* Fetches ahead the tables' cache lines that collect_probes looks up for
 * the query's words q[0..nq), all at once: a lookup is two misses in a
 * row at a million names, and a query's hundred lookups waited for
 * them one after the other. The deletion hashes of word i
 * (deletion_hashes) are left in dh[i], nd[i] of them, for probe_forms. */
static void
prefetch_probes(const person_ix_t *p, const ptok_t *q, int nq, uint32_t (*dh)[PERSON_MAX_WORD + 1],
                size_t *nd)
{
    tprobe_t v[PERSON_MAX_TOK * (PERSON_MAX_WORD + 8)];
    size_t n = 0;
    for (int i = 0; i < nq; i++) {
        const ptok_t *t = &q[i];
        nd[i] = 0;
        if (t->flags & (PT_INITIAL | PT_OPTIONAL))
            continue;
        if (!word_again(q, i)) {
            uint32_t h = keyidx_hash(t->s, t->len);
            v[n++] = (tprobe_t){&p->by_common, h};
            v[n++] = (tprobe_t){&p->by_form, h};
            v[n++] = (tprobe_t){&p->by_join, h};
            char sk[PERSON_MAX_WORD + 1];
            size_t sl = skeleton(t->s, t->len, sk);
            if (sl > 0) {
                uint32_t hs = keyidx_hash(sk, sl);
                v[n++] = (tprobe_t){(t->flags & PT_ABJAD) ? &p->by_skel : &p->by_skel_ab, hs};
                if (!(t->flags & PT_ABJAD))
                    v[n++] = (tprobe_t){&p->by_ab_common, hs};
            }
            nd[i] = deletion_hashes(t->s, t->len, dh[i]);
            for (size_t k = 0; k < nd[i]; k++)
                v[n++] = (tprobe_t){&p->by_del, dh[i][k]};
        }
        if (i + 1 < nq && !(q[i + 1].flags & (PT_INITIAL | PT_OPTIONAL))) {
            uint32_t h = joined_hash(t, &q[i + 1]);
            v[n++] = (tprobe_t){&p->by_form, h};
            v[n++] = (tprobe_t){&p->by_join, h};
        }
    }
    for (size_t k = 0; k < n; k++)
        keyidx_prefetch_dir(v[k].t, v[k].h);
    for (size_t k = 0; k < n; k++)
        keyidx_prefetch_ent(v[k].t, v[k].h);
}

/* Collects the probes of the query's words q[0..nq): each whole word by
 * its form, its deletions and its skeleton; two neighbouring whole words
 * joined. An unvocalised word's skeleton finds every record word it may
 * pair by its letters (by_skel); a Latin word's finds the unvocalised
 * ones (by_skel_ab), which its form and deletions do not, and not the
 * Latin ones, which they do ("hsn" would find every Hassan, Hussein and
 * Hosseini). Returns 0, or -1 on OOM. */
static int
collect_probes(const person_ix_t *p, const ptok_t *q, int nq, probes_t *ps)
{
    uint32_t dh[PERSON_MAX_TOK][PERSON_MAX_WORD + 1];
    size_t nd[PERSON_MAX_TOK];
    prefetch_probes(p, q, nq, dh, nd);
    for (int i = 0; i < nq; i++) {
        const ptok_t *t = &q[i];
        if (t->flags & (PT_INITIAL | PT_OPTIONAL))
            continue;
        /* A word written twice ("Muhammad ... Muhammad") is one word: its
         * two copies must not count as the two words a record needs. */
        if (word_again(q, i))
            goto joined;
        ps->bits = (uint16_t)(1u << i);
        if ((ps->alone & ps->bits) && i != ps->tally)
            ps->bits = copies_of(q, nq, i);
        ps->word = (int8_t)i;
        ps->t = &p->by_form;
        /* A common form by its own records, which pair_plan knows. */
        ps->own = common_key(p, &p->by_common, t->s, t->len);
        if (ps->own != UINT32_MAX ? probe_add_form(p, ps, ps->own) != 0
                                  : probe_add(ps, keyidx_hash(t->s, t->len)) != 0)
            return -1;
        /* A record that writes it as two words ("Fang Wei" / "fangwei"). */
        size_t before = ps->n;
        ps->t = &p->by_join;
        ps->joined = true;
        int rc = probe_add(ps, keyidx_hash(t->s, t->len));
        ps->joined = false;
        if (rc != 0)
            return -1;
        if (ps->n > before)
            ps->joins |= (uint16_t)(1u << i);
        if (probe_forms(p, t, dh[i], nd[i], ps) != 0)
            return -1;
        char sk[PERSON_MAX_WORD + 1];
        size_t sl = skeleton(t->s, t->len, sk);
        ps->t = (t->flags & PT_ABJAD) ? &p->by_skel : &p->by_skel_ab;
        before = ps->n;
        if (sl > 0 && probe_add(ps, keyidx_hash(sk, sl)) != 0)
            return -1;
        /* A Latin word's: the records of unvocalised words under it,
         * which the pair index knows as a key of its own. */
        if (ps->n > before && !(t->flags & PT_ABJAD))
            ps->v[before].form = common_key(p, &p->by_ab_common, sk, sl);
        /* Its last "h" may be a Latin final vowel (unvocalised). */
        if (silent_h_skeleton(t, sl) && probe_add(ps, keyidx_hash(sk, sl - 1)) != 0)
            return -1;
    joined:
        if (i + 1 < nq && !(q[i + 1].flags & (PT_INITIAL | PT_OPTIONAL))) {
            ps->bits = (uint16_t)(3u << i);
            ps->word = -1;
            /* As a whole word of a record, or as two joined ("Ahmad
             * Ahmad": its two words, each paired). */
            uint32_t h = joined_hash(t, &q[i + 1]);
            ps->t = &p->by_form;
            if (probe_add(ps, h) != 0)
                return -1;
            ps->t = &p->by_join;
            if (probe_add(ps, h) != 0)
                return -1;
        }
    }
    return 0;
}

/* The longest word (code points) whose every pair its probes reach: from
 * 11 letters a word may pair one two edits away (edits_allowed: two from
 * 13, lengths within two), which no one-deletion probe meets. */
#define PERSON_PROBED_CP 10

/* True if every record word that the query's whole word t may pair with
 * (word_sim, pair_joined) is reached by t's own probes, a joined probe
 * of t, or the skeleton of t: t's typos are one edit (PERSON_PROBED_CP);
 * it has a skeleton, which an unvocalised word that pairs with it shares
 * (unvocalised: the letters it differs in are those skeleton drops); and
 * it pairs no title or particle, which are in no table. (An initial may
 * pair it too: records with one are all taken anyway.) If not, *titles
 * (when given) tells whether only the last fails: its probes reach every
 * word it may pair but titles and particles. */
static bool
probed_fully(const person_ix_t *p, const ptok_t *t, bool *titles)
{
    int32_t cp[PERSON_MAX_WORD];
    char sk[PERSON_MAX_WORD + 1];
    size_t sl = skeleton(t->s, t->len, sk);
    int n = strsim_decode(t->s, t->len, cp, PERSON_MAX_WORD);
    if (titles != NULL)
        *titles = false;
    if (n > PERSON_PROBED_CP || sl == 0)
        return false;
    if (titles != NULL)
        *titles = true;
    for (size_t i = 0; i < p->n_opt; i++) {
        /* Equal words and an unvocalised pair share their skeleton; a
         * typo needs five letters and lengths within two: the rest
         * cannot pair, and cost no comparison. */
        const popt_t *o = &p->opt_info[i];
        int on = o->cps;
        if ((o->skel_len != sl || memcmp(o->skel, sk, sl) != 0) &&
            (on < 5 || n < 5 || on > n + 2 || n > on + 2))
            continue;
        ptok_t ow = {p->opt[i], o->len, PT_OPTIONAL, p->opt[i][0], UINT32_MAX};
        if (word_sim(t, &ow) > 0)
            return false;
        ow.flags |= PT_ABJAD;
        if (word_sim(t, &ow) > 0)
            return false;
    }
    return true;
}

/* What the query's words may pair in a record that holds an initial
 * without their probes reaching it (initial_may_match). A word that
 * probed_fully pairs only what its probes reach, and the record's
 * initials. */
typedef struct unreached {
    uint16_t any;                     /* words that may pair any record's word
                                       * unreached: initials, titles and
                                       * particles, a word written twice, a
                                       * word not probed_fully */
    uint32_t letters[PERSON_MAX_TOK]; /* each word's first letters, as an
                                       * initial pairs it (word_sim) */
    uint16_t titles;                  /* of any, the words whose probes reach
                                       * all they may pair but titles and
                                       * particles (probed_fully) */
} unreached_t;

static void
unreached_init(const person_ix_t *p, const ptok_t *q, int nq, unreached_t *u)
{
    u->any = u->titles = 0;
    for (int i = 0; i < nq; i++) {
        u->letters[i] = 0;
        char c[2] = {q[i].s[0], q[i].first};
        for (int k = 0; k < 2; k++)
            if (c[k] >= 'a' && c[k] <= 'z')
                u->letters[i] |= 1u << (c[k] - 'a');
        bool titles = false;
        if ((q[i].flags & (PT_INITIAL | PT_OPTIONAL)) || word_again(q, i) ||
            !probed_fully(p, &q[i], &titles))
            u->any |= (uint16_t)(1u << i);
        if (titles && (u->any & (1u << i)) && !(q[i].flags & (PT_INITIAL | PT_OPTIONAL)) &&
            !word_again(q, i))
            u->titles |= (uint16_t)(1u << i);
    }
}

/* The most words of its own a record without an initial may have and
 * still be matched by the query (cannot_match). */
typedef struct wbound {
    uint16_t np; /* the query's words that count (counted_words) */
    int wq;      /* the query's counted words, those past PERSON_MAX_TOK too */
    int joins;   /* its words that may each pair two neighbouring words of a
                  * record (by_join) */
} wbound_t;

static void
wbound_init(const ptok_t *q, int nq, int qx, wbound_t *b)
{
    b->np = 0;
    b->wq = qx;
    for (int i = 0; i < nq; i++)
        if (!(q[i].flags & (PT_OPTIONAL | PT_PATRONYMIC))) {
            b->np |= (uint16_t)(1u << i);
            b->wq++;
        }
    b->joins = 0; /* once the probes are known: probes_t.joins */
}

/* True if a record of words counted words (counted_words), which at
 * most n of the query's words may pair, one each (or, if joined, two
 * joined: b->joins), n_counted of them counted (b->np), leaves more than
 * one counted word unpaired, or one on each side, which no match does
 * (score_names; patronymics may be left over besides). */
static bool
leaves_too_many(const wbound_t *b, int n, int n_counted, int words, bool joined)
{
    int uq = b->wq - n_counted;
    int ur = words - n - (joined ? b->joins : 0);
    if (ur < 0)
        ur = 0;
    return (uq > 0 && ur > 0) || uq + ur > 1;
}

/* False if record rec, which holds an initial and which the query's
 * words of mask m reached (every probe's: these records head each, and
 * are all taken), cannot match (score_names): a word it did not reach
 * pairs only as u tells, one of its initials at most (each initial pairs
 * one word), and it needs two of the query's nq words paired, and at
 * most one counted word left over, on one side only (as cannot_match
 * counts them, with its initials and counted words kept beside their
 * letters). Every record with an initial that a word reaches is a
 * candidate, so a common word ("muhammad") made its every record with
 * an initial one, and most were scored to be refused; and an initial
 * seemed to pair every query word of its letter ("Umar Andrey Abdallah
 * Antonio" and "Basri Umar A."). */
static bool
initial_may_match(const person_ix_t *p, const unreached_t *u, const wbound_t *b, int nq,
                  uint32_t rec, uint16_t m, bool joined)
{
    uint32_t init = p->init_letters[rec];
    /* Words that may pair any of its words, one of its titles or
     * particles at least (which count for nothing on its side), and only
     * one of its initials. */
    uint16_t any = m | (u->any & ~u->titles), some = m | u->any, initial = 0;
    for (int i = 0; i < nq; i++)
        if (!(any & (1u << i)) && (u->letters[i] & init))
            initial |= (uint16_t)(1u << i);
    int k = (int)(init >> INIT_COUNT_SHIFT & INIT_MANY);
    if (k == INIT_MANY)
        k = PERSON_MAX_TOK;
    /* Each letter's initials pair the words of that letter, and there are
     * at most k less one for each other letter of its initials. */
    uint32_t letters = init & ((1u << 26) - 1);
    int per = k - words_count(letters) + 1, i_all = 0, i_counted = 0;
    for (uint32_t l = letters; l != 0; l &= l - 1) {
        uint16_t of = 0;
        for (int i = 0; i < nq; i++)
            if ((initial & (1u << i)) && (u->letters[i] & l & -l))
                of |= (uint16_t)(1u << i);
        int a = words_count(of), c = words_count(of & ~some & b->np);
        i_all += a < per ? a : per;
        i_counted += c < per ? c : per;
    }
    int n = words_count(any) + (i_all < k ? i_all : k);
    int n_counted = words_count(some & b->np) + (i_counted < k ? i_counted : k);
    return words_count(some | initial) >= 2 &&
           !leaves_too_many(b, n, n_counted, (int)(init >> INIT_WORDS_SHIFT), joined);
}

/* The counted words of record rec, which holds no initial (cw_start). */
static int
rec_words(const person_ix_t *p, uint32_t rec)
{
    int c = PERSON_CW_MAX;
    while (c > 0 && rec < p->cw_start[c])
        c--;
    return c;
}

/* True if record rec, which holds no initial and which the query's
 * words of mask m reached, cannot match, whatever its words: a match
 * leaves at most one counted word unpaired, and on one side only
 * (score_names; patronymics may be left over besides), and here even the
 * most words the two may pair leave more. A query word pairs one of the
 * record's words if its probes reach it (m; or unknown: those of its
 * probes not yet looked up reach it or not), or unreached as u tells;
 * each pairs one, or two that a join makes one, if a probe of by_join
 * reached the record (joined; or may, not yet looked up): a query word
 * with a join somewhere in the index ("muhammad": "muham mad") made
 * every record a word shorter than it is.
 * Most records that two common words reach ("muhammad", "ali") are
 * longer names that a third word of the query does not reach: refused
 * here by their number, neither looked up in the probes not walked nor
 * scored. */
static bool
cannot_match(const person_ix_t *p, const unreached_t *u, const wbound_t *b, uint32_t rec,
             uint16_t m, uint16_t unknown, bool joined)
{
    /* A word whose probes reach all it may pair but titles and particles
     * pairs none of the record's counted words unreached. */
    uint16_t may = m | unknown | u->any, counted = m | unknown | (u->any & ~u->titles);
    return leaves_too_many(b, words_count(counted), words_count(may & b->np), rec_words(p, rec),
                           joined);
}

/* The words written twice (first_copy) whose copies, paired with two
 * words of a record, may be all of the query that reaches a match: with
 * the words that may pair unreached (u), they leave at most one counted
 * word of the query unpaired. Their probes then stand for their copies
 * too, so that a record that only they reach has two words, and are all
 * walked. ("Ahmad Hasan Hasan" is "Hasan Hussein" written in Arabic,
 * which only Hasan reaches; a word written twice counted once, the name
 * was not found.) Not of a query of one word (need 1), which takes the
 * records one word reaches. */
static uint16_t
copies_alone(const ptok_t *q, int nq, const unreached_t *u, const wbound_t *b, int need)
{
    uint16_t alone = 0;
    for (int i = 0; need == 2 && i < nq; i++) {
        if ((q[i].flags & (PT_INITIAL | PT_OPTIONAL)) || word_again(q, i))
            continue;
        uint16_t copies = copies_of(q, nq, i);
        if (copies != (1u << i) && b->wq - words_count((copies | u->any) & b->np) <= 1)
            alone |= (uint16_t)(1u << i);
    }
    return alone;
}

/* True if walking b entries the second way (choose_walk) costs less
 * than walking a the first: its records are then looked up in every
 * other word's entries, and its words tried (probed_fully), so it pays
 * only when the common words' entries are many more. (Taken whenever b
 * < a, it made exact names of the default ruleset's individuals slower
 * at p50, 11 to 16 us: their entries are few either way. With twice b
 * plus 256, p50 stayed at 11.6 us and the 125,000-name registry's
 * individuals' fuzzy p99 fell from 1,117 to 690 us; 64 and 1,024 did no
 * better.) */
static bool
walk_less(size_t b, size_t a)
{
    return 2 * b + 256 < a;
}

/* Chooses the probes whose records a search walks (sets their wend),
 * the fewest entries of two ways that each reach every record that can
 * be found (need: the words that must reach a record without an
 * initial; records with one are taken apart), unless a word written
 * twice is tallied (need 2): then every probe but its own, whose records
 * tally_copies counts apart and the lookups mark:
 *  - every probe but those of the word with the most entries: a record
 *    needs two words, so one not that word ("muhammad": thousands);
 *  - the probes of the two rarest whole words that probed_fully: a
 *    match leaves at most one of the query's words unpaired (titles,
 *    particles and patronymics apart), so it pairs one of these two,
 *    with a record word that their probes (and their skeletons,
 *    appended here) reach. A query of common given names with one rare
 *    family name walks little more than the family name's records; and
 *    of the second of the two, only the records short enough to match
 *    without the first.
 * Returns 0, or -1 on OOM. */
static int
choose_walk(const person_ix_t *p, const ptok_t *q, int nq, int need, probes_t *ps)
{
    /* The tallied word's records are not walked (tally_copies), so
     * every other word's are. */
    if (ps->tally >= 0 && need == 2) {
        for (size_t k = 0; k < ps->n; k++)
            ps->v[k].wend = ps->v[k].tally ? ps->v[k].mid : ps->v[k].hi;
        return 0;
    }
    size_t size[PERSON_MAX_TOK] = {0}, all = 0;
    for (size_t k = 0; k < ps->n; k++) {
        size_t n = ps->v[k].hi - ps->v[k].mid;
        all += n;
        if (ps->v[k].word >= 0)
            size[ps->v[k].word] += n;
    }
    int big = -1, x = -1, y = -1;
    for (int i = 0; i < nq; i++)
        if (!(ps->alone & (1u << i)) && (big < 0 || size[i] > size[big]))
            big = i;
    if (need == 1)
        big = -1;
    size_t cost_a = all - (big >= 0 ? size[big] : 0), lo1 = SIZE_MAX, lo2 = SIZE_MAX;
    for (int i = 0; i < nq; i++)
        if (!(q[i].flags & (PT_INITIAL | PT_OPTIONAL | PT_PATRONYMIC)) && !word_again(q, i)) {
            if (size[i] < lo1) {
                lo2 = lo1;
                lo1 = size[i];
            } else if (size[i] < lo2) {
                lo2 = size[i];
            }
        }
    /* The two rarest words that pass, tried only when even the two
     * rarest of all would walk less than the first way. */
    bool tried[PERSON_MAX_TOK] = {false};
    for (int pass = 0; need == 2 && ps->alone == 0 && lo2 != SIZE_MAX && walk_less(lo1, cost_a) &&
                       y < 0 && pass < nq;
         pass++) {
        int best = -1;
        for (int i = 0; i < nq; i++)
            if (!tried[i] && !(q[i].flags & (PT_INITIAL | PT_OPTIONAL | PT_PATRONYMIC)) &&
                !word_again(q, i) && (best < 0 || size[i] < size[best]))
                best = i;
        if (best < 0)
            break;
        tried[best] = true;
        if (!probed_fully(p, &q[best], NULL))
            continue;
        if (x < 0)
            x = best;
        else
            y = best;
    }
    if (y >= 0) {
        /* A record that does not pair x leaves x unpaired, so it must
         * pair all its own counted words with the query's others (and
         * their joins): only y's records that short are walked. */
        int ylim = nq - 1 + words_count(ps->joins);
        size_t cost = 0;
        for (size_t k = 0; k < ps->n; k++) {
            probe_t *pr = &ps->v[k];
            if (pr->bits & (1u << x))
                pr->wend = pr->hi;
            else if ((pr->bits & (1u << y)) && ylim < PERSON_CW_MAX)
                pr->wend = first_from(pr->ent, pr->mid, pr->hi, p->cw_start[ylim + 1]);
            else if (pr->bits & (1u << y))
                pr->wend = pr->hi;
            else
                pr->wend = pr->mid;
            cost += pr->wend - pr->mid;
        }
        if (walk_less(cost, cost_a))
            return 0;
    }
    for (size_t k = 0; k < ps->n; k++)
        ps->v[k].wend = big < 0 || ps->v[k].word != big ? ps->v[k].hi : ps->v[k].mid;
    return 0;
}

/* The records of the pair index (ppost[lo, hi)) that hold two words
 * reached by the query's words of bits, one each. */
typedef struct pairrun {
    size_t lo, hi;
    uint16_t bits;
} pairrun_t;

/* The most pairs of probes pair_plan looks up. */
#define PERSON_PAIR_LOOKUPS 1024

/* The fewest counted words a record must have for pair_plan to leave it
 * when two of the query's words reach it only through one word of its
 * own: it cannot match then (score_names). Its words paired through that
 * one are one pair; the rest are paired by the query's words that pair
 * what their probes do not reach:
 *  - x: initials, titles and particles, words not probed_fully for their
 *    letters (any of the record's words);
 *  - y: words that may pair a title or particle (probed_fully's other
 *    reason: only those, which count for nothing on the record's side);
 *  - a word written again pairs what its first copy pairs.
 * Two pairs are needed, and at most one counted word left over on one
 * side: the query leaves at least uq = wq - 1 - (x counted) - y, the
 * record its counted words less 1 + x. Returns 0 when every such record
 * is refused, PERSON_CW_MAX + 1 when none may be left. */
static int
pair_walk_below(const ptok_t *q, int nq, const unreached_t *u, const wbound_t *b)
{
    uint16_t x = 0, y = 0;
    for (int i = 0; i < nq; i++) {
        uint16_t bit = (uint16_t)(1u << i);
        if (!(u->any & bit))
            continue;
        int k = first_copy(q, i);
        if (k < i && ((q[k].flags ^ q[i].flags) & (PT_ABJAD | PT_INITIAL | PT_OPTIONAL)) == 0) {
            /* A copy: what its first copy pairs. */
            x |= (uint16_t)((x >> k & 1u) << i);
            y |= (uint16_t)((y >> k & 1u) << i);
            continue;
        }
        if (u->titles & bit)
            y |= bit;
        else
            x |= bit;
    }
    if ((x | y) == 0)
        return 0;
    int nx = words_count(x), nxc = words_count(x & b->np);
    int uq = b->wq - 1 - nxc - words_count(y);
    return uq >= 2 ? 0 : uq == 1 ? 2 + nx : 3 + nx;
}

/* True if a record's word may hold both keys a and b of the pair index
 * (build_pairs): one form, or an unvocalised word's form and its
 * skeletons. */
static bool
one_word_keys(const person_ix_t *p, uint32_t a, uint32_t b)
{
    if (a == b)
        return true;
    size_t al, bl;
    const char *as = key_letters(p, a, &al), *bs = key_letters(p, b, &bl);
    /* An unvocalised word is under its skeleton and, ending in "h",
     * under it without the "h" too. */
    if (a >= p->n_forms && b >= p->n_forms)
        return h_dropped(as, al, bs, bl) || h_dropped(bs, bl, as, al);
    /* A form's unvocalised words are under its skeleton, with or without
     * a last "h". */
    uint32_t f = a < p->n_forms ? a : b;
    size_t ol = f == a ? bl : al;
    const char *os = f == a ? bs : as;
    if ((f == a ? b : a) < p->n_forms || !(p->form_how[f] & FORM_ABJAD))
        return false;
    char sk[PERSON_MAX_WORD + 1];
    size_t sl = skeleton(p->form_s[f], p->form_len[f], sk);
    return (ol == sl && memcmp(os, sk, sl) == 0) || h_dropped(sk, sl, os, ol);
}

/* True if probes x and y are of common forms (build_pairs) whose pairs
 * the plan looks up: of two words, or (need 1: one word and its copies)
 * of the one word, a probe with itself too ("Mohammad ... Muhammad"). */
static bool
pair_probes(const person_ix_t *p, const probe_t *x, const probe_t *y, int need)
{
    return x->word >= 0 && y->word >= 0 && pair_key_common(p, x->form) &&
           pair_key_common(p, y->form) && (need == 1 || x->word != y->word);
}

/* Chooses the pair index's plan over choose_walk's when it walks fewer
 * entries than walk (choose_walk's): it walks every probe but those of
 * common forms (build_pairs), and takes the records that two of those
 * reach through two of their words by the pairs of their forms (runs).
 * A record that a match needs two words (need; one word and its copy
 * when need is 1) to reach is then reached by some probe walked, or
 * found by its pair, or reached through one of its words only: by two
 * words' probes of one form, or by one word's. Such a record is walked
 * if it may match (pair_walk_below), so the records scored are those of
 * choose_walk's plan. A query of common given names ("Mohammad Ali
 * Hassan") walked thousands of records to find the few that hold two of
 * them. Returns 1 when taken (each probe's wend set; the runs in *runs),
 * 0 when not, -1 on OOM. */
static int
pair_plan(const person_ix_t *p, const ptok_t *q, int nq, int need, const unreached_t *u,
          const wbound_t *b, int cmax, probes_t *ps, size_t walk, pairrun_t **runs, size_t *n_runs)
{
    size_t n_big = 0, cap = 0;
    bool one_word = need == 1;
    for (size_t k = 0; k < ps->n; k++) {
        const probe_t *x = &ps->v[k];
        if (!pair_probes(p, x, x, 1))
            continue;
        n_big++;
        for (size_t l = k + 1; l < ps->n && !one_word; l++)
            one_word = pair_probes(p, x, &ps->v[l], 2) && one_word_keys(p, x->form, ps->v[l].form);
    }
    if (n_big == 0 || n_big * (n_big + 1) / 2 > PERSON_PAIR_LOOKUPS)
        return 0;
    int below = one_word ? pair_walk_below(q, nq, u, b) : 0;
    if (below > PERSON_CW_MAX)
        return 0;
    /* The probes of common forms walk the records of fewer counted words
     * than below (numbered first: cw_start), the others all theirs:
     * their ends, kept apart until the plan is taken. */
    size_t cost = 0;
    size_t *wend = arena_alloc(ps->a, (ps->n ? ps->n : 1) * sizeof *wend);
    if (wend == NULL)
        return -1;
    for (size_t k = 0; k < ps->n; k++) {
        const probe_t *pr = &ps->v[k];
        wend[k] = pair_probes(p, pr, pr, 1)
                      ? first_from(pr->ent, pr->mid, pr->hi, p->cw_start[below])
                      : pr->hi;
        cost += wend[k] - pr->mid;
    }
    if (cost >= walk)
        return 0;
    uint32_t lim = cmax < PERSON_CW_MAX ? p->cw_start[cmax + 1] : UINT32_MAX;
    *n_runs = 0;
    for (size_t k = 0; k < ps->n; k++)
        for (size_t l = need == 1 ? k : k + 1; l < ps->n; l++) {
            const probe_t *x = &ps->v[k], *y = &ps->v[l];
            if (!pair_probes(p, x, y, need))
                continue;
            uint32_t fa = x->form < y->form ? x->form : y->form, fb = x->form ^ y->form ^ fa;
            const uint64_t *g = p->ppost;
            size_t glo = p->ppost_off[fa], ghi = p->ppost_off[fa + 1];
            size_t lo = pair_from(g, glo, ghi, (uint64_t)fb << 32);
            size_t hi = pair_from(g, lo, ghi, (uint64_t)fb << 32 | lim);
            if (lo == hi)
                continue;
            cost += hi - lo;
            if (cost >= walk)
                return 0;
            if (match_vec_reserve(ps->a, (void **)runs, *n_runs, &cap, sizeof **runs) != 0)
                return -1;
            (*runs)[(*n_runs)++] = (pairrun_t){lo, hi, (uint16_t)(x->bits | y->bits)};
        }
    for (size_t k = 0; k < ps->n; k++)
        ps->v[k].wend = wend[k];
    return 1;
}

/* Adds to c, with the words copies, the records without an initial
 * that the tallied word's probes (probes_t.tally; not walked) reach
 * through two of their words: two of the probes reach them, or one does
 * and two of their words share a form or a skeleton (record_twin). A
 * bit a record for each, over the probes' entries: walking a common
 * word's tens of thousands of records into the candidates' map (to
 * count the probes that reach each) was most of "Muhamad Mohammmad
 * Jesus" (2.2 ms). Returns 0, or -1 on OOM. */
static int
tally_copies(const person_ix_t *p, const probes_t *ps, uint16_t copies, cands_t *c, arena_t *a)
{
    size_t words = p->n_recs / 64 + 1;
    uint64_t *once = arena_calloc(a, words, sizeof *once);
    uint64_t *twice = arena_calloc(a, words, sizeof *twice);
    uint64_t *joined = arena_calloc(a, words, sizeof *joined);
    if (once == NULL || twice == NULL || joined == NULL)
        return -1;
    for (size_t k = 0; k < ps->n; k++) {
        const probe_t *pr = &ps->v[k];
        if (!pr->tally)
            continue;
        for (size_t e = pr->mid; e < pr->hi; e++) {
            uint32_t rec = (uint32_t)pr->ent[e];
            uint64_t bit = 1ull << (rec % 64);
            twice[rec / 64] |= once[rec / 64] & bit;
            once[rec / 64] |= bit;
            if (pr->joined)
                joined[rec / 64] |= bit;
        }
    }
    for (size_t w = 0; w < words; w++)
        for (uint64_t m = twice[w] | (once[w] & p->twin[w]); m != 0; m &= m - 1) {
            int b = __builtin_ctzll(m);
            if (cands_add(c, a, (uint32_t)(w * 64 + (size_t)b), copies, joined[w] >> b & 1, 0) != 0)
                return -1;
        }
    return 0;
}

/* Scores the query's words q[0..nq) (qx more) against the records
 * to_score[0..n) and appends those that match to the vector (*res,
 * *n_res, *cap_res) in scratch. Returns 0, or -1 on OOM. Each record and
 * its words are fetched a few ahead (PERSON_PREFETCH), since at a
 * million names scoring them waits on memory, not on comparing. */
static int
score_list(const person_ix_t *p, const ptok_t *q, int nq, int qx, const uint32_t *to_score,
           size_t n_to_score, arena_t *scratch, person_res_t **res, size_t *n_res, size_t *cap_res)
{
    /* Many records of few forms: their comparisons kept (simcache_t). */
    simcache_t *sc =
        n_to_score >= PERSON_SIMCACHE_MIN ? arena_calloc(scratch, 1, sizeof *sc) : NULL;
    for (size_t k = 0; k < n_to_score; k++) {
        if (k + 2 * PERSON_PREFETCH < n_to_score)
            __builtin_prefetch(&p->recs[to_score[k + 2 * PERSON_PREFETCH]]);
        if (k + PERSON_PREFETCH < n_to_score)
            __builtin_prefetch(&p->toks[p->recs[to_score[k + PERSON_PREFETCH]].tok]);
        if (k + PERSON_PREFETCH / 2 < n_to_score) {
            /* The words' letters: a record's are adjacent in the arena. */
            const prec_t *nr = &p->recs[to_score[k + PERSON_PREFETCH / 2]];
            __builtin_prefetch(p->toks[nr->tok].s);
        }
        const prec_t *r = &p->recs[to_score[k]];
        double s = score_names(q, nq, qx, &p->toks[r->tok], r->n_tok, r->extra, sc);
        if (s < p->threshold || s <= 0)
            continue;
        if (match_vec_reserve(scratch, (void **)res, *n_res, cap_res, sizeof **res) != 0)
            return -1;
        (*res)[(*n_res)++] = (person_res_t){r->entity, r->name, s};
    }
    return 0;
}

int
person_search(const person_ix_t *p, const char *name, arena_t *scratch, person_res_t **res,
              size_t *n_res, size_t *cap_res, char *err, size_t errcap)
{
    if (p == NULL || p->n_recs == 0)
        return 0;
    ptok_t q[PERSON_MAX_TOK];
    int qx;
    int nq = read_name(p, scratch, name, q, &qx, err, errcap);
    if (nq < 0)
        return -1;
    if (p->every) {
        uint32_t *all = arena_alloc(scratch, p->n_recs * sizeof *all);
        if (all == NULL)
            goto oom;
        for (size_t k = 0; k < p->n_recs; k++)
            all[k] = (uint32_t)k;
        if (score_list(p, q, nq, qx, all, p->n_recs, scratch, res, n_res, cap_res) != 0)
            goto oom;
        return 0;
    }
    int whole = 0; /* distinct whole words */
    for (int i = 0; i < nq; i++)
        whole += !(q[i].flags & (PT_INITIAL | PT_OPTIONAL)) && !word_again(q, i);
    if (whole == 0)
        return 0;
    probes_t ps = {NULL, 0, 0, scratch, NULL, 0, 0, p->n_init, 0, UINT32_MAX, false, 0, -1, p};
    cands_t c;
    /* A record is scored when two of the query's words reach it (one when
     * the query has one whole word), or when it holds an initial, which
     * may pair any word: those head every probe's entries. */
    int need = whole >= 2 ? 2 : 1;
    size_t heads = 0;
    /* A name of one word matches only a name of one word, by one pair:
     * no record is refused before it is scored. */
    unreached_t u = {0};
    wbound_t b = {0};
    bool by_pairs = nq + qx >= 2;
    if (by_pairs) {
        unreached_init(p, q, nq, &u);
        wbound_init(q, nq, qx, &b);
        ps.alone = copies_alone(q, nq, &u, &b, need);
    }
    for (int i = 0; i < nq && ps.tally < 0; i++)
        if ((ps.alone & ~u.any) & (1u << i))
            ps.tally = (int8_t)i;
    if (collect_probes(p, q, nq, &ps) != 0)
        goto oom;
    for (size_t k = 0; k < ps.n; k++)
        heads += ps.v[k].mid - ps.v[k].lo;
    /* Records of more counted words than the query's words can pair,
     * and one left over, cannot match (cannot_match): numbered last
     * (cw_start), they are cut off every probe's entries. A name of one
     * word matches only a name of one word. */
    int cmax = nq + qx >= 2 ? nq + words_count(ps.joins) + 1 : 1;
    if (cmax < PERSON_CW_MAX)
        for (size_t k = 0; k < ps.n; k++)
            ps.v[k].hi = first_from(ps.v[k].ent, ps.v[k].mid, ps.v[k].hi, p->cw_start[cmax + 1]);
    if (choose_walk(p, q, nq, need, &ps) != 0)
        goto oom;
    b.joins = words_count(ps.joins);
    size_t walk = 0, n_runs = 0;
    pairrun_t *runs = NULL;
    for (size_t k = 0; k < ps.n; k++)
        walk += ps.v[k].wend - ps.v[k].mid;
    /* The pairs' plan walks no common word's probes: not with copies that
     * may be alone. */
    int paired = by_pairs && ps.alone == 0
                     ? pair_plan(p, q, nq, need, &u, &b, cmax, &ps, walk, &runs, &n_runs)
                     : 0;
    if (paired < 0)
        goto oom;
    /* The candidate map is made as large as the entries to add need:
     * growing it from a few slots rehashed a common word's thousands of
     * records several times over. */
    size_t expect = heads, cap = 64;
    for (size_t k = 0; k < ps.n; k++)
        expect += ps.v[k].wend - ps.v[k].mid;
    for (size_t k = 0; k < n_runs; k++)
        expect += runs[k].hi - runs[k].lo;
    while (cap < 2 * expect + 2 && cap < ((size_t)1 << 26))
        cap *= 2;
    if (cands_init(&c, scratch, cap) != 0)
        goto oom;
    for (size_t k = 0; k < ps.n; k++)
        for (size_t e = ps.v[k].lo; e < ps.v[k].mid; e++)
            if (cands_add(&c, scratch, (uint32_t)ps.v[k].ent[e], ps.v[k].bits, ps.v[k].joined,
                          ps.v[k].tally) != 0)
                goto oom;
    for (size_t k = 0; k < ps.n; k++) {
        const probe_t *pr = &ps.v[k];
        for (size_t e = pr->mid; e < pr->wend; e++)
            if (cands_add(&c, scratch, (uint32_t)pr->ent[e], pr->bits, pr->joined, pr->tally) != 0)
                goto oom;
    }
    /* A record that the tallied word reached through two of its words
     * (two of its probes, or one of a record whose two words share a
     * key: record_twin) has its copies too. Its probes' heads are walked,
     * and the rest too when one word is enough (need 1); else the
     * records two of them reach are found apart (tally_copies), the
     * others looked up like any probe's. */
    if (ps.tally >= 0) {
        uint16_t copies = copies_of(q, nq, ps.tally);
        if (need == 2 && tally_copies(p, &ps, copies, &c, scratch) != 0)
            goto oom;
        for (size_t k = 0; k < c.n; k++) {
            uint32_t slot = c.list[k], rec = c.key[slot] - 1;
            if (c.hits[slot] >= 2 || (c.hits[slot] == 1 && (p->twin[rec / 64] >> (rec % 64) & 1)))
                c.mask[slot] |= copies;
        }
    }
    /* The words of the probes not walked, for the candidates that need
     * one, and for all when a record's count of words may refuse them
     * (by_pairs: then their words are all known, and those a third word
     * does not reach are refused; taken with two words, they were scored
     * to be refused, 580 records for one match of "LIU, 'Abd Marco
     * RABNOVICH, 'Ali Santos"): both lists sorted by record, so one merge
     * per probe that gallops over its entries (a common word's run to
     * thousands). */
    size_t n_pend = 0;
    uint64_t *pend = arena_alloc(scratch, (c.n ? c.n : 1) * 2 * sizeof *pend);
    uint16_t *pm = arena_alloc(scratch, (c.n ? c.n : 1) * sizeof *pm);
    if (pend == NULL || pm == NULL)
        goto oom;
    /* unknown[k]: the words of the probes not walked from k on, which
     * may still reach a candidate once probes [0, k) are looked up
     * (unknown[0]: a record they reach is not always marked with them);
     * unjoined[k]: whether one of them is of by_join. */
    uint16_t *unknown = arena_alloc(scratch, (ps.n + 1) * sizeof *unknown);
    bool *unjoined = arena_alloc(scratch, (ps.n + 1) * sizeof *unjoined);
    if (unknown == NULL || unjoined == NULL)
        goto oom;
    unknown[ps.n] = 0;
    unjoined[ps.n] = false;
    for (size_t k = ps.n; k-- > 0;) {
        bool walked = ps.v[k].wend == ps.v[k].hi;
        unknown[k] = unknown[k + 1] | (walked ? 0 : ps.v[k].bits);
        unjoined[k] = unjoined[k + 1] || (!walked && ps.v[k].joined);
    }
    for (size_t k = 0; k < c.n; k++) {
        uint32_t slot = c.list[k], rec = c.key[slot] - 1;
        if (rec >= p->n_init && (by_pairs || too_few(c.mask[slot], need)) &&
            !(by_pairs && cannot_match(p, &u, &b, rec, c.mask[slot], unknown[0],
                                       c.joined[slot] || unjoined[0])))
            pend[n_pend++] = (uint64_t)rec << 32 | slot;
    }
    if (n_pend > 0) {
        sort_by_record(pend, pend + c.n, n_pend);
        for (size_t i = 0; i < n_pend; i++)
            pm[i] = c.mask[(uint32_t)pend[i]];
        for (size_t k = 0; n_pend > 0 && k < ps.n; k++) {
            if (ps.v[k].wend == ps.v[k].hi)
                continue;
            mark_sorted(&c, pend, pm, n_pend, &ps.v[k]);
            /* Those that cannot match even if every word still to look
             * up reaches them leave the list, once the probes of this
             * word are done (a word's deletions are many probes in a
             * row), and so do those with words enough unless by_pairs:
             * the list shrinks word by word, and each word's probes look
             * up fewer. */
            size_t nx = k + 1;
            while (nx < ps.n && ps.v[nx].wend == ps.v[nx].hi)
                nx++;
            if (nx < ps.n && ps.v[nx].bits == ps.v[k].bits)
                continue;
            size_t m = 0;
            for (size_t i = 0; i < n_pend; i++)
                if ((by_pairs || too_few(pm[i], need)) &&
                    !(by_pairs &&
                      cannot_match(p, &u, &b, (uint32_t)(pend[i] >> 32), pm[i], unknown[k + 1],
                                   c.joined[(uint32_t)pend[i]] || unjoined[k + 1]))) {
                    pend[m] = pend[i];
                    pm[m++] = pm[i];
                }
            n_pend = m;
        }
    }
    /* The records of two common words (pair_plan), reached by each word
     * that reaches two of their words (so by every word of a probe not
     * walked that reaches one: the others reach another), and by the
     * probes walked, if any, already: their words are all known. */
    for (size_t k = 0; k < n_runs; k++)
        for (size_t e = runs[k].lo; e < runs[k].hi; e++)
            if (cands_add(&c, scratch, (uint32_t)p->ppost[e], runs[k].bits, false, 0) != 0)
                goto oom;
    /* The records to score, in the order they were found. */
    uint32_t *to_score = arena_alloc(scratch, (c.n ? c.n : 1) * sizeof *to_score);
    size_t n_to_score = 0;
    if (to_score == NULL)
        goto oom;
    for (size_t k = 0; k < c.n; k++) {
        uint32_t slot = c.list[k], rec = c.key[slot] - 1;
        bool keep;
        if (rec >= p->n_init)
            keep = !too_few(c.mask[slot], need) &&
                   !(by_pairs && cannot_match(p, &u, &b, rec, c.mask[slot], 0, c.joined[slot]));
        else
            keep = !by_pairs || initial_may_match(p, &u, &b, nq, rec, c.mask[slot], c.joined[slot]);
        if (keep)
            to_score[n_to_score++] = rec;
    }
    if (score_list(p, q, nq, qx, to_score, n_to_score, scratch, res, n_res, cap_res) != 0)
        goto oom;
    return 0;
oom:
    put_err(err, errcap, "out of memory");
    return -1;
}
