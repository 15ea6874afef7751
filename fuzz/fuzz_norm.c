/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_norm.c -- fuzz target for name normalisation and matching: the
 * input is normalised whole (checking the canonical form's promises),
 * then split on NUL bytes into a match query against the fixture
 * ruleset's index ($VET_FUZZ_RULES overrides the directory). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fixture.h"
#include "diag.h"
#include "match.h"
#include "norm.h"
#include "ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ALIASES 4
#define MAX_IDS 4
#define MAX_HITS 8

/* Checks what norm.h promises of a successful norm_text: outlen is the
 * string's length, the text is valid UTF-8 with single inner spaces and
 * none at either end, and normalising it again changes nothing. Aborts
 * (a fuzzer finding) when one does not hold. */
static void
check_norm(arena_t *a, const char *s, size_t len)
{
    if (strlen(s) != len || !norm_valid_utf8(s, len))
        abort();
    if (len > 0 && (s[0] == ' ' || s[len - 1] == ' ' || strstr(s, "  ") != NULL))
        abort();
    const char *again;
    size_t alen;
    if (norm_text(a, s, len, &again, &alen, NULL, 0) != 0)
        abort();
    if (alen != len || memcmp(again, s, len) != 0)
        abort();
    (void)norm_all_stopwords(s, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t *a;
    const ruleset_t *rs = fuzz_fixture(&a);

    /* The whole input, NULs included: norm_text takes a length. */
    const char *norm;
    size_t nlen;
    char err[128];
    int rc = norm_text(a, (const char *)data, size, &norm, &nlen, err, sizeof err);
    if ((rc == 0) != norm_valid_utf8((const char *)data, size))
        abort();
    if (rc == 0)
        check_norm(a, norm, nlen);

    /* Parts: name, country, aliases, then identifier scheme/value pairs. */
    char *buf = arena_alloc(a, size + 1);
    if (buf == NULL)
        abort();
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *part[2 + MAX_ALIASES + 2 * MAX_IDS];
    size_t np = 0;
    for (char *p = buf; np < sizeof part / sizeof part[0];) {
        part[np++] = p;
        size_t l = strlen(p);
        if (p + l == buf + size)
            break;
        p += l + 1;
    }
    const char *aliases[MAX_ALIASES], *schemes[MAX_IDS], *values[MAX_IDS];
    match_query_t q = {.name = part[0],
                       .aliases = aliases,
                       .country = np > 1 ? part[1] : NULL,
                       .id_schemes = schemes,
                       .id_values = values};
    for (size_t i = 2; i < np && i < 2 + MAX_ALIASES; i++)
        aliases[q.n_aliases++] = part[i];
    for (size_t i = 2 + MAX_ALIASES; i + 1 < np; i += 2) {
        schemes[q.n_ids] = part[i];
        values[q.n_ids++] = part[i + 1];
    }
    match_hit_t hits[MAX_HITS];
    int n = match_find(rs->mx, &q, a, hits, MAX_HITS, err, sizeof err);
    if (n > MAX_HITS)
        abort();
    /* match.h: at most cap hits, one per entity, scores in (0, 1]. */
    for (int i = 0; i < n; i++) {
        if (hits[i].entity >= rs->n_ents || !(hits[i].score > 0 && hits[i].score <= 1.0))
            abort();
        for (int j = 0; j < i; j++)
            if (hits[j].entity == hits[i].entity)
                abort();
    }
    return 0;
}
