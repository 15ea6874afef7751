/* SPDX-License-Identifier: Apache-2.0 */
/* load_words.c -- words.cfg: the words of organisation names (abbreviations,
 * word forms, unit words, places, branch words), read into rs->words for
 * the matcher (match.h, match_words_t), the place names that reveal a
 * region (regions, into rs->regions, for partner.region), and the words
 * of people's names (person_names, into rs->words.person). Every word is
 * checked the way the matcher will read it: normalised (norm.h), a word
 * to rewrite must be one token, and no word may be given two meanings. */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgread.h"
#include "isocode.h"
#include "norm.h"
#include "smap.h"

/* Normalises w into the arena; NULL (reported at file:line) if it is
 * empty after normalisation, or not one token when one is required. */
static const char *
norm_word(loader_t *L, const char *file, int line, const char *w, bool one_token, const char *what)
{
    const char *n;
    size_t len;
    char msg[96];
    if (norm_text(L->rs->arena, w, strlen(w), &n, &len, msg, sizeof msg) != 0) {
        if (strcmp(msg, "out of memory") == 0)
            L->oom = true;
        else
            diag_add(L->d, file, line, 0, "%s: \"%s\": %s", what, w, msg);
        return NULL;
    }
    if (len == 0) {
        diag_add(L->d, file, line, 0, "%s: \"%s\" has no letters or digits", what, w);
        return NULL;
    }
    if (one_token && memchr(n, ' ', len) != NULL) {
        diag_add(L->d, file, line, 0,
                 "%s: \"%s\" is several words; only a single word can be rewritten", what, w);
        return NULL;
    }
    return n;
}

/* Reads a list of arrays [ "canonical", "variant", ... ] into the map:
 * each variant (and the canonical word itself, when it is one token and
 * differs from how it is written) maps to the canonical form. */
static void
read_map(loader_t *L, const char *file, const config_setting_t *root, const char *name,
         match_wordmap_t **map, size_t *n, size_t *cap)
{
    config_setting_t *list = loader_member(L, file, root, name, CONFIG_TYPE_LIST, false, "words");
    int len = list ? config_setting_length(list) : 0;
    for (int i = 0; i < len; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        int line = cfgread_line(e);
        char what[64];
        snprintf(what, sizeof what, "%s[%d]", name, i);
        if (config_setting_type(e) != CONFIG_TYPE_ARRAY || config_setting_length(e) < 2 ||
            config_setting_get_string_elem(e, 0) == NULL) {
            diag_add(L->d, file, line, 0,
                     "%s must be an array of two or more strings: [ \"what it stands for\", "
                     "\"as written\", ... ]",
                     what);
            continue;
        }
        const char *to =
            norm_word(L, file, line, config_setting_get_string_elem(e, 0), false, what);
        if (to == NULL)
            continue;
        for (int k = 1; k < config_setting_length(e); k++) {
            const char *raw = config_setting_get_string_elem(e, k);
            if (raw == NULL) {
                diag_add(L->d, file, line, 0, "%s: element %d is not a string", what, k);
                continue;
            }
            const char *from = norm_word(L, file, line, raw, true, what);
            if (from == NULL || strcmp(from, to) == 0)
                continue;
            bool clash = false;
            for (size_t j = 0; j < *n && !clash; j++)
                if (strcmp((*map)[j].from, from) == 0) {
                    clash = true;
                    if (strcmp((*map)[j].to, to) != 0)
                        diag_add(L->d, file, line, 0,
                                 "%s: \"%s\" already stands for \"%s\"; a word has one meaning",
                                 what, raw, (*map)[j].to);
                }
            if (clash)
                continue;
            if (*n == *cap) {
                size_t nc = *cap ? *cap * 2 : 128;
                match_wordmap_t *m = loader_chk(L, arena_alloc(L->rs->arena, nc * sizeof *m));
                if (m == NULL)
                    return;
                if (*n)
                    memcpy(m, *map, *n * sizeof *m);
                *map = m;
                *cap = nc;
            }
            (*map)[(*n)++] = (match_wordmap_t){from, to};
        }
    }
}

/* Reads an array of words, normalised; returns the count. */
static size_t
read_set(loader_t *L, const char *file, const config_setting_t *root, const char *name,
         const char ***out)
{
    const char **raw;
    size_t n = loader_strs(L, file, root, name, &raw, "words");
    *out = NULL;
    if (n == 0)
        return 0;
    const char **v = loader_chk(L, arena_alloc(L->rs->arena, n * sizeof *v));
    if (v == NULL)
        return 0;
    config_setting_t *s = config_setting_get_member(root, name);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = norm_word(L, file, cfgread_line(s), raw[i], false, name);
        if (w != NULL)
            v[m++] = w;
    }
    *out = v;
    return m;
}

/* Reads regions: the place names that reveal that a partner is in a
 * region some rules single out (an occupied territory under territorial
 * sanctions) when the request does not say: an institution's name often
 * carries its city ("Sevastopol State University"). */
static void
read_regions(loader_t *L, const char *file, const config_setting_t *root)
{
    ruleset_t *rs = L->rs;
    config_setting_t *list =
        loader_member(L, file, root, "regions", CONFIG_TYPE_LIST, false, "words");
    int n = list ? config_setting_length(list) : 0;
    if (n == 0)
        return;
    rs->regions = loader_chk(L, arena_calloc(rs->arena, (size_t)n, sizeof *rs->regions));
    if (rs->regions == NULL)
        return;
    static const char *const allowed[] = {"code", "name", "places", NULL};
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        int line = cfgread_line(g);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(L->d, file, line, 0, "regions[%d] must be a group", i);
            continue;
        }
        loader_check_members(L, file, g, allowed, "a region");
        const char *code = loader_str(L, file, g, "code", true, "region");
        if (code == NULL)
            continue;
        char what[96];
        snprintf(what, sizeof what, "region \"%.60s\"", code);
        if (!iso_region_code(code)) {
            diag_add(L->d, file, line, 0,
                     "%s: code must be an upper-case ISO 3166-2 code (\"UA-43\")", what);
            continue;
        }
        rs_region_t *r = &rs->regions[rs->n_regions];
        r->code = code;
        r->name = loader_str(L, file, g, "name", true, what);
        if (config_setting_get_member(g, "places") == NULL) {
            diag_add(L->d, file, line, 0, "%s: missing \"places\"", what);
            continue;
        }
        r->n_places = read_set(L, file, g, "places", &r->places);
        for (size_t k = 0; k < r->n_places; k++)
            for (size_t j = 0; j < rs->n_regions; j++)
                for (size_t m = 0; m < rs->regions[j].n_places; m++)
                    if (strcmp(rs->regions[j].places[m], r->places[k]) == 0)
                        diag_add(L->d, file, line, 0,
                                 "%s: place \"%s\" already reveals region %s; a place is in one "
                                 "region",
                                 what, r->places[k], rs->regions[j].code);
        rs->n_regions++;
    }
}

/* ---- person_names -------------------------------------------------------- */

/* True if s is lower-case ASCII letters (at least min of them). */
static bool
latin_letters(const char *s, size_t min)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (s[n] < 'a' || s[n] > 'z')
            return false;
    return n >= min;
}

/* A word of person_names, normalised: one word of the letters a to z (a
 * name in another script is compared in its Latin rendering, script.h).
 * NULL, reported at file:line, otherwise. */
static const char *
person_word(loader_t *L, const char *file, int line, const char *w, const char *what)
{
    const char *n = norm_word(L, file, line, w, true, what);
    if (n != NULL && !latin_letters(n, 1)) {
        diag_add(L->d, file, line, 0,
                 "%s: \"%s\" must be Latin letters a to z (a name in another script is compared "
                 "in its Latin rendering)",
                 what, w);
        return NULL;
    }
    return n;
}

/* Reads the array of words g.name into *out (arena); returns the count. */
static size_t
read_person_set(loader_t *L, const char *file, const config_setting_t *g, const char *name,
                const char ***out)
{
    char what[64];
    snprintf(what, sizeof what, "person_names.%s", name);
    const char **raw;
    size_t n = loader_strs(L, file, g, name, &raw, what);
    *out = NULL;
    if (n == 0)
        return 0;
    const char **v = loader_chk(L, arena_calloc(L->rs->arena, n + 1, sizeof *v));
    if (v == NULL)
        return 0;
    int line = cfgread_line(config_setting_get_member(g, name));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = person_word(L, file, line, raw[i], what);
        bool dup = false;
        for (size_t k = 0; k < m && w != NULL && !dup; k++)
            dup = strcmp(v[k], w) == 0;
        if (w != NULL && !dup)
            v[m++] = w;
    }
    *out = v;
    return m;
}

/* Reads person_names.spellings: arrays [ "as read", "as written", ... ].
 * "as written" is letters with an optional '^' before them (only at a
 * word's start) or '$' after them (only at its end); "as read" is
 * letters, or "" (the letters are dropped). A spelling as written has
 * one reading. */
static void
read_spellings(loader_t *L, const char *file, const config_setting_t *g, match_person_words_t *pw)
{
    config_setting_t *list =
        loader_member(L, file, g, "spellings", CONFIG_TYPE_LIST, false, "person_names");
    int len = list ? config_setting_length(list) : 0;
    size_t total = 0;
    for (int i = 0; i < len; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        total += config_setting_type(e) == CONFIG_TYPE_ARRAY ? (size_t)config_setting_length(e) : 0;
    }
    match_wordmap_t *map = loader_chk(L, arena_calloc(L->rs->arena, total + 1, sizeof *map));
    int *lines = loader_chk(L, calloc(total + 1, sizeof *lines));
    size_t n = 0;
    for (int i = 0; i < len && map != NULL && lines != NULL; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        int line = cfgread_line(e);
        const char *to =
            config_setting_type(e) == CONFIG_TYPE_ARRAY && config_setting_length(e) >= 2
                ? config_setting_get_string_elem(e, 0)
                : NULL;
        if (to == NULL) {
            diag_add(L->d, file, line, 0,
                     "person_names.spellings[%d] must be an array of two or more strings: "
                     "[ \"as read\", \"as written\", ... ]",
                     i);
            continue;
        }
        if (!latin_letters(to, 0)) {
            diag_add(L->d, file, line, 0,
                     "person_names.spellings[%d]: \"%s\" (as read) must be lower-case letters a "
                     "to z, or \"\"",
                     i, to);
            continue;
        }
        const char *to_c = loader_strdup(L, to);
        for (int k = 1; k < config_setting_length(e) && to_c != NULL; k++) {
            const char *from = config_setting_get_string_elem(e, k);
            if (from == NULL) {
                diag_add(L->d, file, line, 0,
                         "person_names.spellings[%d]: element %d is not a string", i, k);
                continue;
            }
            size_t fl = strlen(from);
            bool start = fl > 0 && from[0] == '^', end = fl > 1 && from[fl - 1] == '$';
            char body[64];
            size_t bl = fl - start - end;
            if (bl == 0 || bl >= sizeof body) {
                diag_add(L->d, file, line, 0,
                         "person_names.spellings[%d]: \"%s\" must be letters, with '^' before "
                         "them or '$' after them",
                         i, from);
                continue;
            }
            memcpy(body, from + start, bl);
            body[bl] = '\0';
            if (!latin_letters(body, 1)) {
                diag_add(L->d, file, line, 0,
                         "person_names.spellings[%d]: \"%s\" must be lower-case letters a to z, "
                         "with '^' before them (a word's start) or '$' after them (its end)",
                         i, from);
                continue;
            }
            bool dup = false;
            for (size_t j = 0; j < n && !dup; j++)
                if (strcmp(map[j].from, from) == 0) {
                    dup = true;
                    if (strcmp(map[j].to, to_c) != 0)
                        diag_add(L->d, file, line, 0,
                                 "person_names.spellings[%d]: \"%s\" is already read as \"%s\" "
                                 "(line %d); a spelling has one reading",
                                 i, from, map[j].to, lines[j]);
                }
            if (dup)
                continue;
            const char *from_c = loader_strdup(L, from);
            if (from_c == NULL)
                break;
            lines[n] = line;
            map[n++] = (match_wordmap_t){from_c, to_c};
        }
    }
    free(lines);
    pw->spellings = map;
    pw->n_spellings = map != NULL ? n : 0;
}

/* Reads person_names.variants: arrays [ "name", "another spelling", ... ]
 * of one word each. Every word is read under the spelling rules (match.h,
 * match_person_spell) before it is looked up, so two groups whose words
 * read the same would make one word stand for two names: an error. */
static void
read_variants(loader_t *L, const char *file, const config_setting_t *g, match_person_words_t *pw)
{
    config_setting_t *list =
        loader_member(L, file, g, "variants", CONFIG_TYPE_LIST, false, "person_names");
    int len = list ? config_setting_length(list) : 0;
    size_t total = 0;
    for (int i = 0; i < len; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        total += config_setting_type(e) == CONFIG_TYPE_ARRAY ? (size_t)config_setting_length(e) : 0;
    }
    match_wordmap_t *map = loader_chk(L, arena_calloc(L->rs->arena, total + 1, sizeof *map));
    /* form -> group, and per group its first word and line */
    smap_t *forms = loader_chk(L, smap_new());
    int *lines = loader_chk(L, calloc((size_t)len + 1, sizeof *lines));
    const char **firsts = loader_chk(L, calloc((size_t)len + 1, sizeof *firsts));
    size_t n = 0;
    for (int i = 0; i < len && map != NULL && forms != NULL && lines != NULL && firsts != NULL;
         i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        int line = cfgread_line(e);
        lines[i] = line;
        char what[64];
        snprintf(what, sizeof what, "person_names.variants[%d]", i);
        if (config_setting_type(e) != CONFIG_TYPE_ARRAY || config_setting_length(e) < 2 ||
            config_setting_get_string_elem(e, 0) == NULL) {
            diag_add(L->d, file, line, 0,
                     "%s must be an array of two or more strings: [ \"name\", \"another "
                     "spelling\", ... ]",
                     what);
            continue;
        }
        for (int k = 0; k < config_setting_length(e); k++) {
            const char *raw = config_setting_get_string_elem(e, k);
            if (raw == NULL) {
                diag_add(L->d, file, line, 0, "%s: element %d is not a string", what, k);
                continue;
            }
            const char *w = person_word(L, file, line, raw, what);
            if (w == NULL) {
                if (k == 0)
                    break;
                continue;
            }
            if (k == 0)
                firsts[i] = w;
            if (firsts[i] == NULL)
                break;
            char f[128];
            size_t fl = match_person_spell(pw, w, strlen(w), f, sizeof f);
            const char *fc = fl > 0 ? loader_strdup(L, f) : NULL;
            if (fc == NULL) {
                if (fl == 0)
                    diag_add(L->d, file, line, 0, "%s: \"%s\" reads as nothing", what, raw);
                continue;
            }
            int old;
            int r = smap_put(forms, fc, i, &old);
            if (r < 0) {
                L->oom = true;
                break;
            }
            if (r == 1) {
                if (old != i)
                    diag_add(L->d, file, line, 0,
                             "%s: \"%s\" reads as \"%s\", as a word of variants[%d] (line %d, "
                             "\"%s\") does; a spelling stands for one name",
                             what, raw, fc, old, lines[old], firsts[old]);
                continue;
            }
            if (k > 0)
                map[n++] = (match_wordmap_t){w, firsts[i]};
        }
    }
    smap_destroy(&forms);
    free(lines);
    free(firsts);
    pw->variants = map;
    pw->n_variants = map != NULL ? n : 0;
}

/* Reads person_names: the words of people's names (match.h,
 * match_person_words_t). */
static void
read_person_names(loader_t *L, const char *file, const config_setting_t *root)
{
    config_setting_t *g =
        loader_member(L, file, root, "person_names", CONFIG_TYPE_GROUP, false, "words");
    if (g == NULL)
        return;
    static const char *const allowed[] = {"variants", "spellings",   "particles", "joined",
                                          "titles",   "patronymics", NULL};
    loader_check_members(L, file, g, allowed, "person_names");
    match_person_words_t *pw = &L->rs->words.person;
    read_spellings(L, file, g, pw);
    read_variants(L, file, g, pw);
    pw->n_particles = read_person_set(L, file, g, "particles", &pw->particles);
    pw->n_joined = read_person_set(L, file, g, "joined", &pw->joined);
    pw->n_titles = read_person_set(L, file, g, "titles", &pw->titles);
    pw->n_patronymics = read_person_set(L, file, g, "patronymics", &pw->patronymics);
    for (size_t i = 0; i < pw->n_joined; i++) {
        bool known = false;
        for (size_t k = 0; k < pw->n_particles && !known; k++)
            known = strcmp(pw->particles[k], pw->joined[i]) == 0;
        if (!known)
            diag_add(L->d, file, cfgread_line(config_setting_get_member(g, "joined")), 0,
                     "person_names.joined: \"%s\" is not one of the particles", pw->joined[i]);
    }
}

void
load_words(loader_t *L)
{
    ruleset_t *rs = L->rs;
    rs->match.words = &rs->words;
    if (!L->words.ok)
        return; /* absent (optional) or reported by loader_read_files */
    const char *file = L->words.path;
    config_setting_t *root = config_root_setting(&L->words.cfg);
    static const char *const allowed[] = {
        "abbreviations", "word_forms",     "units",   "places",  "branches",     "qualifiers",
        "kinds",         "legal_suffixes", "generic", "regions", "person_names", NULL};
    loader_check_members(L, file, root, allowed, "words.cfg");
    match_wordmap_t *map = NULL;
    size_t n = 0, cap = 0;
    read_map(L, file, root, "abbreviations", &map, &n, &cap);
    read_map(L, file, root, "word_forms", &map, &n, &cap);
    rs->words.map = map;
    rs->words.n_map = n;
    rs->words.n_units = read_set(L, file, root, "units", &rs->words.units);
    rs->words.n_places = read_set(L, file, root, "places", &rs->words.places);
    rs->words.n_branches = read_set(L, file, root, "branches", &rs->words.branches);
    rs->words.n_qualifiers = read_set(L, file, root, "qualifiers", &rs->words.qualifiers);
    rs->words.n_kinds = read_set(L, file, root, "kinds", &rs->words.kinds);
    rs->words.n_generic = read_set(L, file, root, "generic", &rs->words.generic);
    rs->words.n_legal_suffixes =
        read_set(L, file, root, "legal_suffixes", &rs->words.legal_suffixes);
    read_regions(L, file, root);
    read_person_names(L, file, root);
}
