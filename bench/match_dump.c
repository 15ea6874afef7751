/* SPDX-License-Identifier: Apache-2.0 */
/* match_dump.c -- every match of many queries derived from a ruleset's own names, printed
 * one line a query, so that two builds of the matcher can be compared byte for byte.
 *
 * usage: match_dump [-n ENTRIES] [-S SEED] RULESET_DIR > out.txt
 *
 * A change that is meant to make matching faster, not different, must
 * leave this output unchanged (cmp the files of the build before and
 * after). For ENTRIES entries drawn by SEED (default: every entry), and
 * for each of their names, it asks match_find for: the name as listed;
 * with the entry's country and with another; with one letter swapped,
 * dropped or doubled in each word of 5 letters or more; without each
 * word; with its first two words swapped; its first letter an initial.
 * An organisation's names are asked as an organisation's, an
 * individual's as a person's (and, as a person's, with the entry's
 * first date of birth). Each line: the query, then every hit with its
 * entity, name, method, score (%.9g), span and a person's evidence.
 * A query the matcher refuses prints its error. Nothing is timed. Exit
 * 0, 1 if the ruleset does not load, 2 on a usage error. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "diag.h"
#include "match.h"
#include "ruleset.h"

#define MAX_HITS 16

static uint64_t
rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Asks one query and prints its line (or its error). Returns 0. */
static int
ask(const ruleset_t *rs, arena_t *a, const char *name, const char *country, bool person,
    const char *dob)
{
    match_query_t q = {.name = name, .country = country, .person = person, .birth_date = dob};
    match_hit_t out[MAX_HITS];
    char err[256];
    arena_reset(a);
    int n = match_find(rs->mx, &q, a, out, MAX_HITS, err, sizeof err);
    printf("%s|%s|%d|%s|", name, country ? country : "", person, dob ? dob : "");
    if (n < 0) {
        printf(" error: %s\n", err); /* the same error is the same output */
        return 0;
    }
    for (int i = 0; i < n; i++)
        printf(" %u:%u:%d:%.9g:%u+%u:%u%u%d", out[i].entity, out[i].name, (int)out[i].method,
               out[i].score, out[i].span_off, out[i].span_len, out[i].birth_date,
               out[i].nationality, out[i].ruled_out);
    putchar('\n');
    return 0;
}

/* Every variant of name (see the header) through ask. */
static int
variants(const ruleset_t *rs, arena_t *a, const char *name, const char *cc, bool person,
         const char *dob)
{
    size_t len = strlen(name);
    char *s = malloc(2 * len + 8);
    if (s == NULL)
        return -1;
    int rc = ask(rs, a, name, NULL, person, NULL);
    rc |= ask(rs, a, name, cc, person, NULL);
    rc |= ask(rs, a, name, "ZZ", person, NULL);
    if (person && dob != NULL)
        rc |= ask(rs, a, name, NULL, person, dob);
    /* Words: [st, en) of each. */
    size_t st[64], en[64], nw = 0;
    for (size_t i = 0; i < len && nw < 64;) {
        while (i < len && name[i] == ' ')
            i++;
        if (i == len)
            break;
        st[nw] = i;
        while (i < len && name[i] != ' ')
            i++;
        en[nw++] = i;
    }
    for (size_t w = 0; w < nw && rc == 0; w++) {
        size_t wl = en[w] - st[w];
        bool ascii = true;
        for (size_t i = st[w]; i < en[w]; i++)
            ascii &= (unsigned char)name[i] < 0x80;
        if (wl >= 5 && ascii) {
            size_t p = st[w] + 1 + (wl - 3) / 2;
            for (int k = 0; k < 3; k++) {
                memcpy(s, name, len + 1);
                if (k == 0) {
                    char c = s[p];
                    s[p] = s[p + 1];
                    s[p + 1] = c;
                } else if (k == 1) {
                    memmove(s + p, s + p + 1, len - p);
                } else {
                    memmove(s + p + 1, s + p, len - p + 1);
                }
                rc |= ask(rs, a, s, k == 1 ? cc : NULL, person, NULL);
            }
        }
        if (nw > 1) {
            size_t o = 0;
            for (size_t k = 0; k < nw; k++)
                if (k != w) {
                    if (o)
                        s[o++] = ' ';
                    memcpy(s + o, name + st[k], en[k] - st[k]);
                    o += en[k] - st[k];
                }
            s[o] = '\0';
            rc |= ask(rs, a, s, NULL, person, NULL);
        }
    }
    if (nw >= 2 && rc == 0) {
        int o = snprintf(s, 2 * len + 8, "%.*s %.*s", (int)(en[1] - st[1]), name + st[1],
                         (int)(en[0] - st[0]), name + st[0]);
        memcpy(s + o, name + en[1], len - en[1] + 1);
        rc |= ask(rs, a, s, NULL, person, NULL);
        snprintf(s, 2 * len + 8, "%c. %s", name[st[0]], name + st[1]);
        rc |= ask(rs, a, s, NULL, person, NULL);
    }
    free(s);
    return rc ? -1 : 0;
}

int
main(int argc, char **argv)
{
    size_t n = 0;
    uint64_t seed = 7;
    int opt;
    while ((opt = getopt(argc, argv, "n:S:")) != -1) {
        switch (opt) {
        case 'n': n = strtoul(optarg, NULL, 10); break;
        case 'S': seed = strtoull(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: match_dump [-n ENTRIES] [-S SEED] RULESET_DIR\n");
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: match_dump [-n ENTRIES] [-S SEED] RULESET_DIR\n");
        return 2;
    }
    diag_t *d = diag_new(20);
    if (d == NULL)
        return 1;
    ruleset_t *rs = ruleset_load(argv[optind], d);
    if (rs == NULL) {
        diag_print(d, stderr);
        diag_destroy(&d);
        return 1;
    }
    arena_t *a = arena_new(0);
    if (a == NULL)
        return 1;
    size_t total = n == 0 || n > rs->n_ents ? rs->n_ents : n;
    int rc = 0;
    for (size_t k = 0; k < total && rc == 0; k++) {
        size_t e = n == 0 ? k : rnd(&seed) % rs->n_ents;
        const reg_entity_t *en = &rs->ents[e];
        bool person = en->type != NULL && strcmp(en->type, "individual") == 0;
        const char *dob = person && en->n_birth_dates > 0 ? en->birth_dates[0] : NULL;
        for (uint32_t i = 0; i <= en->n_aliases && rc == 0; i++) {
            const char *nm = reg_entity_name(en, i);
            if (nm != NULL)
                rc = variants(rs, a, nm, en->country, person, dob);
        }
    }
    arena_destroy(&a);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    return rc ? 1 : 0;
}
