/* SPDX-License-Identifier: Apache-2.0 */
/* gen_registry.c -- a synthetic registry for make bench: names drawn from the token
 * statistics of the real lists, the same bytes for the same seed.
 *
 * usage: gen_registry [-s SEED] [-f NAMES_PER_FILE] [-o] [-S] DATA_DIR N_NAMES OUT_DIR
 *
 * Reads the real lists with vet-import's readers (ofac.h, un.h, nro.h):
 * DATA_DIR/ofac_sdn/{sdn,alt,add}.csv (entities and individuals; vessels
 * and aircraft left out), DATA_DIR/un/UN_consolidated.xml (ENTITY and
 * INDIVIDUAL) and DATA_DIR/canada_nro/nro_2024-09.tsv, and measures, for
 * organisations and individuals apart:
 *   - how many names an entry has (its name and aliases),
 *   - how many tokens (space-separated words) a name has,
 *   - how often each token comes, by position in the name (the only
 *     token, the first, a middle one, the last: legal forms end names,
 *     "AL" starts them),
 *   - the entries' countries,
 *   - and, over the whole token stream, how fast the vocabulary grows
 *     (Heaps' law, V(n) ~ n^beta, beta from the vocabulary at half and
 *     at all of the stream).
 * It then writes N_NAMES distinct names (ASCII case ignored) into
 * OUT_DIR/synthetic-NNN.cfg, NAMES_PER_FILE names a file (default
 * 100000), in the registry format (regw.h), list "synthetic". Each
 * token is drawn from the real distribution of its position, except
 * that, at the rate Heaps' law gives for a stream continuing the real
 * one, a new word is made up instead (an order-2 letter Markov chain
 * over the real words, with the length of a real word seen once): a
 * registry of a million names has a long tail of words no sample shows,
 * and the matcher's typo index grows with the vocabulary, not with the
 * names. Individuals (type = "individual") come at their real share,
 * unless -o (organisations only). -S prints the measured statistics.
 *
 * Not modelled: aliases are drawn independently of the entry's name
 * (real aliases often share most of its words). Exit status 0, 1 on an
 * unreadable list or a write error, 2 on a usage error. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "country.h"
#include "hash.h"
#include "import.h"
#include "nro.h"
#include "ofac.h"
#include "regw.h"
#include "sbuf.h"
#include "smap.h"
#include "un.h"
#include "vec.h"

enum { ORG = 0, PERSON = 1, N_KINDS = 2 };
enum { POS_ONLY = 0, POS_FIRST = 1, POS_MID = 2, POS_LAST = 3, N_POS = 4 };

static const char *const kind_name[N_KINDS] = {"organisations", "individuals"};
static const char *const pos_name[N_POS] = {"only", "first", "middle", "last"};

#define MAX_HIST 64    /* names an entry, tokens a name: larger counts are clamped */
#define MAX_NEWLEN 24  /* longest made-up word */
#define MARKOV_A 27    /* '^' (start) and a..z */
#define MAX_TRIES 20   /* draws of a name before giving up on distinctness */
#define MAX_ALIASES 40 /* aliases of one synthetic entry, at most */

/* A histogram over small counts, then a table to draw from. */
typedef struct hist {
    uint64_t n[MAX_HIST + 1]; /* n[i]: how often count i was seen */
    uint64_t total;           /* sum of n */
} hist_t;

/* How often each token comes at one position of one kind of name. */
typedef struct tokdist {
    uint32_t *count; /* by token id, grown with the dictionary */
    size_t cap;      /* capacity of count */
    uint64_t total;  /* tokens seen */
    uint32_t *tok;   /* after freeze: the tokens seen, id order */
    uint64_t *cum;   /* after freeze: cumulative counts, parallel to tok */
    size_t n;        /* after freeze: count of tok */
    uint64_t hapax;  /* after freeze: tokens seen once */
} tokdist_t;

/* Everything measured from the real lists. */
typedef struct stats {
    arena_t *arena;                            /* token strings, country codes */
    smap_t *dict;                              /* token -> id (keys in arena) */
    const char **tokens;                       /* by id */
    size_t n_tokens, cap_tokens;               /* count, capacity */
    hist_t names[N_KINDS];                     /* names per entry */
    hist_t ntok[N_KINDS];                      /* tokens per name */
    tokdist_t pos[N_KINDS][N_POS];             /* tokens by position */
    uint64_t entries[N_KINDS];                 /* entries read */
    uint64_t stream;                           /* tokens read, all kinds */
    uint64_t vocab_half;                       /* distinct tokens in the first half (after) */
    uint64_t *stream_ids;                      /* the stream's token ids, in order */
    size_t cap_stream;                         /* capacity of stream_ids */
    smap_t *cc_map;                            /* country code -> index */
    const char *cc[300];                       /* index -> code; cc[0] is "" (none) */
    size_t n_cc;                               /* count */
    uint64_t cc_count[N_KINDS][300];           /* entries by country */
    uint64_t mk[MARKOV_A][MARKOV_A][MARKOV_A]; /* letter trigrams of distinct words */
    hist_t newlen;                             /* lengths of ASCII words seen once */
    double beta;                               /* Heaps exponent */
} stats_t;

/* One real entry being read: its kind, country and names. */
typedef struct entry {
    int kind;            /* ORG or PERSON */
    const char *country; /* ISO alpha-2 or NULL */
    sbuf_t names[64];    /* its names, as written */
    size_t n;            /* count */
} entry_t;

static void
die_oom(void)
{
    fprintf(stderr, "gen_registry: out of memory\n");
    exit(1);
}

/* ---- the random numbers: splitmix64, deterministic across machines ---- */

static uint64_t
rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static uint64_t
rnd_below(uint64_t *s, uint64_t n)
{
    return rnd(s) % n;
}

/* Uniform in [0, 1). */
static double
rnd_unit(uint64_t *s)
{
    return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

/* A count drawn from histogram h (which must not be empty). */
static size_t
hist_draw(const hist_t *h, uint64_t *s)
{
    uint64_t r = rnd_below(s, h->total);
    for (size_t i = 0; i <= MAX_HIST; i++) {
        if (r < h->n[i])
            return i;
        r -= h->n[i];
    }
    return MAX_HIST;
}

static void
hist_add(hist_t *h, size_t v)
{
    h->n[v > MAX_HIST ? MAX_HIST : v]++;
    h->total++;
}

static double
hist_mean(const hist_t *h)
{
    double s = 0;
    for (size_t i = 0; i <= MAX_HIST; i++)
        s += (double)i * (double)h->n[i];
    return h->total ? s / (double)h->total : 0;
}

/* ---- measuring ---------------------------------------------------------- */

/* The id of token t (len bytes), added to the dictionary if new. */
static uint32_t
token_id(stats_t *st, const char *t, size_t len)
{
    char buf[256];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, t, len);
    buf[len] = '\0';
    int id = smap_get(st->dict, buf);
    if (id >= 0)
        return (uint32_t)id;
    char *key = arena_strdup(st->arena, buf);
    if (key == NULL ||
        vec_grow(&st->tokens, &st->cap_tokens, st->n_tokens + 1, sizeof *st->tokens, 4096) != 0)
        die_oom();
    id = (int)st->n_tokens;
    if (smap_put(st->dict, key, id, NULL) < 0)
        die_oom();
    st->tokens[st->n_tokens++] = key;
    return (uint32_t)id;
}

static void
dist_add(tokdist_t *d, uint32_t id)
{
    if (id >= d->cap) {
        size_t cap = d->cap ? d->cap : 4096;
        while (cap <= id)
            cap *= 2;
        uint32_t *c = realloc(d->count, cap * sizeof *c);
        if (c == NULL)
            die_oom();
        memset(c + d->cap, 0, (cap - d->cap) * sizeof *c);
        d->count = c;
        d->cap = cap;
    }
    d->count[id]++;
    d->total++;
}

/* Counts the tokens of one name (len bytes at s). */
static void
measure_name(stats_t *st, int kind, const char *s, size_t len)
{
    size_t start[MAX_HIST], tlen[MAX_HIST], n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t b = i;
        while (i < len && s[i] != ' ' && s[i] != '\t')
            i++;
        if (i > b && n < MAX_HIST) {
            start[n] = b;
            tlen[n] = i - b;
            n++;
        }
    }
    if (n == 0)
        return;
    hist_add(&st->ntok[kind], n);
    for (size_t k = 0; k < n; k++) {
        int pos = n == 1 ? POS_ONLY : k == 0 ? POS_FIRST : k + 1 == n ? POS_LAST : POS_MID;
        uint32_t id = token_id(st, s + start[k], tlen[k]);
        dist_add(&st->pos[kind][pos], id);
        if (vec_grow(&st->stream_ids, &st->cap_stream, st->stream + 1, sizeof *st->stream_ids,
                     65536) != 0)
            die_oom();
        st->stream_ids[st->stream++] = id;
    }
}

/* The index of country code cc ("" for none) in st->cc. */
static size_t
country_index(stats_t *st, const char *cc)
{
    int i = smap_get(st->cc_map, cc);
    if (i >= 0)
        return (size_t)i;
    if (st->n_cc == sizeof st->cc / sizeof st->cc[0])
        return 0;
    char *k = arena_strdup(st->arena, cc);
    if (k == NULL || smap_put(st->cc_map, k, (int)st->n_cc, NULL) < 0)
        die_oom();
    st->cc[st->n_cc] = k;
    return st->n_cc++;
}

static void
entry_begin(entry_t *e, int kind, const char *country)
{
    for (size_t i = 0; i < e->n; i++)
        sbuf_clear(&e->names[i]);
    e->n = 0;
    e->kind = kind;
    e->country = country;
}

/* Adds a name (or several, separated by ';', as the UN list writes
 * them); an empty one or one the entry has is skipped. */
static void
entry_name(entry_t *e, const char *s)
{
    if (s == NULL)
        return;
    while (*s) {
        const char *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        bool dup = len == 0;
        for (size_t i = 0; i < e->n && !dup; i++)
            dup = e->names[i].len == len && memcmp(e->names[i].data, s, len) == 0;
        if (!dup && e->n < sizeof e->names / sizeof e->names[0]) {
            sbuf_append(&e->names[e->n], s, len);
            if (e->names[e->n].oom)
                die_oom();
            e->n++;
        }
        if (end == NULL)
            break;
        s = end + 1;
    }
}

static void
entry_end(stats_t *st, entry_t *e)
{
    if (e->n == 0)
        return;
    hist_add(&st->names[e->kind], e->n);
    st->entries[e->kind]++;
    st->cc_count[e->kind][country_index(st, e->country ? e->country : "")]++;
    for (size_t i = 0; i < e->n; i++)
        measure_name(st, e->kind, e->names[i].data, e->names[i].len);
}

/* The readers' state: the stats, the entry being read, and for the SDN
 * list each ent_num's first address country (by ent_num). */
typedef struct reading {
    stats_t *st;
    entry_t e;
    smap_t *sdn_cc; /* ent_num -> index into st->cc */
    arena_t *keys;  /* its keys */
} reading_t;

static int
add_row(void *ctx, const imp_file_t *f, const ofac_row_t *row, sbuf_t *err)
{
    (void)f;
    (void)err;
    reading_t *r = ctx;
    const char *cc = country_lookup(row->country);
    if (cc == NULL || smap_get(r->sdn_cc, row->ent_num) >= 0)
        return 0;
    char *k = arena_strdup(r->keys, row->ent_num);
    if (k == NULL || smap_put(r->sdn_cc, k, (int)country_index(r->st, cc), NULL) < 0)
        return imp_oom(err);
    return 0;
}

static int
read_sdn(reading_t *r, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/ofac_sdn/add.csv", dir);
    imp_file_t f = {path, NULL, 0};
    char *data = imp_read_file(path, &f.len);
    if (data == NULL) {
        fprintf(stderr, "gen_registry: %s: %s\n", path, strerror(errno));
        return -1;
    }
    f.data = data;
    sbuf_t err = SBUF_INIT;
    int rc = ofac_read(&f, OFAC_ADD, add_row, r, &err);
    free(data);
    ofac_list_t *l = NULL;
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/ofac_sdn", dir);
        l = ofac_list_load(path, &err);
    }
    if (l == NULL) {
        fprintf(stderr, "gen_registry: %s\n", err.data ? err.data : "out of memory");
        sbuf_free(&err);
        return -1;
    }
    size_t n;
    const ofac_ent_t *ents = ofac_list_ents(l, &n);
    for (size_t i = 0; i < n; i++) {
        int kind = ents[i].type[0] == '\0'                   ? ORG
                   : strcmp(ents[i].type, "individual") == 0 ? PERSON
                                                             : -1;
        if (kind < 0)
            continue; /* vessels and aircraft */
        int c = smap_get(r->sdn_cc, ents[i].ent_num);
        entry_begin(&r->e, kind, c > 0 ? r->st->cc[c] : NULL);
        entry_name(&r->e, ents[i].name);
        for (size_t k = 0; k < ents[i].n_aliases; k++)
            entry_name(&r->e, ents[i].aliases[k]);
        entry_end(r->st, &r->e);
    }
    ofac_list_destroy(&l);
    sbuf_free(&err);
    return 0;
}

static int
un_rec(void *ctx, const imp_file_t *f, const un_rec_t *rec, sbuf_t *err)
{
    (void)f;
    (void)err;
    reading_t *r = ctx;
    const char *cc = rec->n_countries > 0 && rec->countries[0] != NULL
                         ? country_lookup(rec->countries[0])
                         : NULL;
    entry_begin(&r->e, rec->person ? PERSON : ORG, cc);
    if (rec->person) {
        sbuf_t b = SBUF_INIT;
        for (size_t i = 0; i < 4; i++)
            if (rec->names[i] != NULL && rec->names[i][0] != '\0') {
                if (b.len > 0)
                    sbuf_putc(&b, ' ');
                sbuf_puts(&b, rec->names[i]);
            }
        if (b.oom)
            die_oom();
        entry_name(&r->e, b.data);
        sbuf_free(&b);
    } else {
        entry_name(&r->e, rec->names[0]);
    }
    entry_name(&r->e, rec->orig);
    for (size_t i = 0; i < rec->n_aliases; i++)
        entry_name(&r->e, rec->aliases[i]);
    entry_end(r->st, &r->e);
    return 0;
}

static int
nro_row(void *ctx, const imp_file_t *f, nro_row_t *row, sbuf_t *err)
{
    (void)f;
    (void)err;
    reading_t *r = ctx;
    entry_begin(&r->e, ORG, country_lookup(row->country));
    entry_name(&r->e, row->name);
    char *p = row->aliases;
    for (char *a; (a = nro_alias(&p)) != NULL;)
        entry_name(&r->e, a);
    entry_end(r->st, &r->e);
    return 0;
}

/* Reads path whole and hands it to the UN (un != 0) or NRO reader. */
static int
read_file_with(reading_t *r, const char *path, bool un)
{
    imp_file_t f = {path, NULL, 0};
    char *data = imp_read_file(path, &f.len);
    if (data == NULL) {
        fprintf(stderr, "gen_registry: %s: %s\n", path, strerror(errno));
        return -1;
    }
    f.data = data;
    sbuf_t err = SBUF_INIT;
    int rc = un ? un_read(&f, un_rec, r, &err) : nro_read(&f, nro_row, r, &err);
    if (rc < 0)
        fprintf(stderr, "gen_registry: %s\n", err.data ? err.data : "out of memory");
    sbuf_free(&err);
    free(data);
    return rc;
}

/* Builds the tables to draw from, the letter model and Heaps' beta. */
static void
freeze(stats_t *st)
{
    for (int k = 0; k < N_KINDS; k++)
        for (int p = 0; p < N_POS; p++) {
            tokdist_t *d = &st->pos[k][p];
            size_t n = 0;
            for (size_t i = 0; i < d->cap; i++)
                n += d->count[i] > 0;
            d->tok = malloc((n + 1) * sizeof *d->tok);
            d->cum = malloc((n + 1) * sizeof *d->cum);
            if (d->tok == NULL || d->cum == NULL)
                die_oom();
            uint64_t c = 0;
            for (size_t i = 0; i < d->cap; i++)
                if (d->count[i] > 0) {
                    c += d->count[i];
                    d->hapax += d->count[i] == 1;
                    d->tok[d->n] = (uint32_t)i;
                    d->cum[d->n++] = c;
                }
        }
    /* Letter trigrams over the distinct all-letter words, and the lengths
     * of those seen once in the whole stream. */
    uint32_t *freq = calloc(st->n_tokens + 1, sizeof *freq);
    if (freq == NULL)
        die_oom();
    /* In a fixed random order: in reading order, the second half is
     * other lists, whose own words would inflate beta. */
    uint64_t s = 42;
    for (size_t i = st->stream; i > 1; i--) {
        size_t j = (size_t)rnd_below(&s, i);
        uint64_t t = st->stream_ids[i - 1];
        st->stream_ids[i - 1] = st->stream_ids[j];
        st->stream_ids[j] = t;
    }
    for (size_t i = 0; i < st->stream; i++) {
        freq[st->stream_ids[i]]++;
        if (i + 1 == st->stream / 2 + 1) {
            uint64_t v = 0;
            for (size_t t = 0; t < st->n_tokens; t++)
                v += freq[t] > 0;
            st->vocab_half = v;
        }
    }
    for (size_t t = 0; t < st->n_tokens; t++) {
        const char *w = st->tokens[t];
        size_t len = strlen(w), i;
        for (i = 0; i < len; i++) {
            char c = (char)(w[i] | 0x20);
            if (c < 'a' || c > 'z')
                break;
        }
        if (i < len || len < 2)
            continue;
        if (freq[t] == 1)
            hist_add(&st->newlen, len < MAX_NEWLEN ? len : MAX_NEWLEN);
        int a = 0, b = 0;
        for (i = 0; i < len; i++) {
            int c = (w[i] | 0x20) - 'a' + 1;
            st->mk[a][b][c]++;
            a = b;
            b = c;
        }
    }
    /* V(n) ~ n^beta through (n/2, V_half) and (n, V). */
    double vh = (double)st->vocab_half, v = (double)st->n_tokens;
    st->beta = vh > 0 && v > vh ? log(v / vh) / log(2.0) : 0.5;
    free(freq);
}

/* ---- generating ---------------------------------------------------------- */

typedef struct gen {
    const stats_t *st;
    uint64_t seed;             /* PRNG state */
    uint64_t n_out;            /* tokens written so far */
    uint64_t n_new;            /* of which made up */
    uint64_t *seen;            /* open-addressing set of name hashes (0 = empty) */
    size_t seen_mask;          /* its size - 1 */
    sbuf_t name;               /* the name being drawn */
    char word[MAX_NEWLEN + 1]; /* a made-up word */
} gen_t;

/* The rate of new words at this point of the stream: the real stream
 * continued, V(n) = V_real (n / N_real)^beta, dV/dn = beta V(n) / n,
 * spread over positions by their own share of words seen once. */
static double
new_rate(const gen_t *g, const tokdist_t *d)
{
    const stats_t *st = g->st;
    double n = (double)st->stream + (double)g->n_out;
    double v = (double)st->n_tokens * pow(n / (double)st->stream, st->beta);
    double global = st->beta * v / n;
    uint64_t hapax = 0, total = 0;
    for (int k = 0; k < N_KINDS; k++)
        for (int p = 0; p < N_POS; p++) {
            hapax += st->pos[k][p].hapax;
            total += st->pos[k][p].total;
        }
    double share = d->total && hapax
                       ? ((double)d->hapax / (double)d->total) / ((double)hapax / (double)total)
                       : 1.0;
    double r = global * share;
    return r > 0.9 ? 0.9 : r;
}

/* A word made up by the letter model, in capitals as most lists write. */
static const char *
made_up(gen_t *g)
{
    const stats_t *st = g->st;
    size_t len = hist_draw(&st->newlen, &g->seed);
    if (len < 3)
        len = 3;
    int a = 0, b = 0;
    for (size_t i = 0; i < len; i++) {
        const uint64_t *row = st->mk[a][b];
        uint64_t tot = 0;
        for (int c = 1; c < MARKOV_A; c++)
            tot += row[c];
        int c = 1;
        if (tot == 0) {
            c = 1 + (int)rnd_below(&g->seed, MARKOV_A - 1);
        } else {
            uint64_t r = rnd_below(&g->seed, tot);
            for (c = 1; c < MARKOV_A - 1 && r >= row[c]; c++)
                r -= row[c];
        }
        g->word[i] = (char)('A' + c - 1);
        a = b;
        b = c;
    }
    g->word[len] = '\0';
    return g->word;
}

/* A token for position p of a name of kind k. */
static const char *
draw_token(gen_t *g, int k, int p)
{
    const tokdist_t *d = &g->st->pos[k][p];
    g->n_out++;
    if (d->n == 0 || rnd_unit(&g->seed) < new_rate(g, d)) {
        g->n_new++;
        return made_up(g);
    }
    uint64_t r = rnd_below(&g->seed, d->cum[d->n - 1]);
    size_t lo = 0, hi = d->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->cum[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return g->st->tokens[d->tok[lo]];
}

/* Records the name's hash; false if an equal name (ASCII case ignored)
 * was drawn before. */
static bool
name_fresh(gen_t *g, const char *s, size_t len)
{
    uint64_t h = HASH_SEED;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        h = hash_unit(h, c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    if (h == 0)
        h = 1;
    for (size_t i = (size_t)h & g->seen_mask;; i = (i + 1) & g->seen_mask) {
        if (g->seen[i] == h)
            return false;
        if (g->seen[i] == 0) {
            g->seen[i] = h;
            return true;
        }
    }
}

/* Draws a name of kind k into g->name, distinct from every earlier one
 * (a few tries, then a number is appended). */
static const char *
draw_name(gen_t *g, int k)
{
    for (int t = 0;; t++) {
        sbuf_clear(&g->name);
        size_t n = hist_draw(&g->st->ntok[k], &g->seed);
        if (n == 0)
            n = 1;
        for (size_t i = 0; i < n; i++) {
            int p = n == 1 ? POS_ONLY : i == 0 ? POS_FIRST : i + 1 == n ? POS_LAST : POS_MID;
            if (i > 0)
                sbuf_putc(&g->name, ' ');
            sbuf_puts(&g->name, draw_token(g, k, p));
        }
        if (t >= MAX_TRIES)
            sbuf_printf(&g->name, " %d", t);
        if (g->name.oom)
            die_oom();
        if (name_fresh(g, g->name.data, g->name.len))
            return g->name.data;
    }
}

/* Draws a country for an entry of kind k: a code, or NULL. */
static const char *
draw_country(gen_t *g, int k)
{
    const stats_t *st = g->st;
    uint64_t tot = st->entries[k], r = rnd_below(&g->seed, tot ? tot : 1);
    for (size_t i = 0; i < st->n_cc; i++) {
        if (r < st->cc_count[k][i])
            return st->cc[i][0] ? st->cc[i] : NULL;
        r -= st->cc_count[k][i];
    }
    return NULL;
}

/* Writes w to dir/synthetic-NNN.cfg. 0, or -1 with a message. */
static int
write_file(regw_t *w, const char *dir, int fileno, const char *header)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/synthetic-%03d.cfg", dir, fileno);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    sbuf_t out = SBUF_INIT;
    if (regw_set_header(w, header) < 0)
        die_oom();
    regw_keep_order(w);
    regw_render(w, "synthetic", &out);
    if (out.oom)
        die_oom();
    FILE *f = fopen(tmp, "w");
    int rc = f != NULL && fwrite(out.data, 1, out.len, f) == out.len ? 0 : -1;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "gen_registry: %s: %s\n", path, strerror(errno));
    sbuf_free(&out);
    return rc;
}

static void
print_stats(const stats_t *st)
{
    printf("real lists: %llu tokens, %zu distinct (%llu in the first half: Heaps beta %.3f)\n",
           (unsigned long long)st->stream, st->n_tokens, (unsigned long long)st->vocab_half,
           st->beta);
    for (int k = 0; k < N_KINDS; k++) {
        printf("%s: %llu entries, %.2f names each, %.2f tokens a name\n", kind_name[k],
               (unsigned long long)st->entries[k], hist_mean(&st->names[k]),
               hist_mean(&st->ntok[k]));
        for (int p = 0; p < N_POS; p++) {
            const tokdist_t *d = &st->pos[k][p];
            uint32_t best = 0;
            for (size_t i = 0; i < d->n; i++)
                if (d->count[d->tok[i]] > d->count[d->tok[best]])
                    best = (uint32_t)i;
            printf("  %-6s %7llu tokens, %6zu distinct, %5.1f%% seen once; most common \"%s\"\n",
                   pos_name[p], (unsigned long long)d->total, d->n,
                   d->total ? 100.0 * (double)d->hapax / (double)d->total : 0.0,
                   d->n ? st->tokens[d->tok[best]] : "");
        }
    }
}

static void
usage(void)
{
    fprintf(stderr, "usage: gen_registry [-s SEED] [-f NAMES_PER_FILE] [-o] [-S] DATA_DIR N_NAMES "
                    "OUT_DIR\n");
}

int
main(int argc, char **argv)
{
    uint64_t seed = 1;
    unsigned long per_file = 100000;
    bool orgs_only = false, show = false;
    int opt;
    while ((opt = getopt(argc, argv, "s:f:oS")) != -1) {
        switch (opt) {
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'f': per_file = strtoul(optarg, NULL, 10); break;
        case 'o': orgs_only = true; break;
        case 'S': show = true; break;
        default: usage(); return 2;
        }
    }
    if (argc - optind != 3 || per_file == 0) {
        usage();
        return 2;
    }
    const char *data = argv[optind], *outdir = argv[optind + 2];
    char *end;
    unsigned long long want = strtoull(argv[optind + 1], &end, 10);
    if (*end != '\0' || want == 0 || want > 100000000ULL) {
        fprintf(stderr, "gen_registry: N_NAMES must be 1 .. 100000000\n");
        return 2;
    }

    static stats_t st;
    st.arena = arena_new(0);
    st.dict = smap_new();
    st.cc_map = smap_new();
    reading_t r = {&st, {0}, smap_new(), arena_new(0)};
    if (st.arena == NULL || st.dict == NULL || st.cc_map == NULL || r.sdn_cc == NULL ||
        r.keys == NULL)
        die_oom();
    for (size_t i = 0; i < sizeof r.e.names / sizeof r.e.names[0]; i++)
        sbuf_init(&r.e.names[i]);
    country_index(&st, "");
    char path[4096];
    if (read_sdn(&r, data) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/un/UN_consolidated.xml", data);
    if (read_file_with(&r, path, true) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/canada_nro/nro_2024-09.tsv", data);
    if (read_file_with(&r, path, false) != 0)
        return 1;
    freeze(&st);
    if (show)
        print_stats(&st);

    /* The share of names that are individuals', as on the real lists. */
    uint64_t real_names[N_KINDS];
    for (int k = 0; k < N_KINDS; k++)
        real_names[k] = (uint64_t)(hist_mean(&st.names[k]) * (double)st.entries[k] + 0.5);
    double person_share =
        orgs_only ? 0.0
                  : (double)real_names[PERSON] / (double)(real_names[ORG] + real_names[PERSON]);

    gen_t g = {&st, seed, 0, 0, NULL, 0, SBUF_INIT, {0}};
    size_t slots = 1024;
    while (slots < 2 * want)
        slots *= 2;
    g.seen = calloc(slots, sizeof *g.seen);
    if (g.seen == NULL)
        die_oom();
    g.seen_mask = slots - 1;

    unsigned long long names = 0, in_file = 0, ents[N_KINDS] = {0, 0};
    int fileno = 0;
    regw_t *w = NULL;
    char header[512], id[32], src[96];
    unsigned long long first = 0;
    while (names < want) {
        if (w == NULL) {
            w = regw_new();
            if (w == NULL || regw_add_list(w, "synthetic", "Synthetic names (make bench only)",
                                           NULL, NULL, NULL) < 0)
                die_oom();
            in_file = 0;
            first = ents[ORG] + ents[PERSON];
        }
        int k = rnd_unit(&g.seed) < person_share ? PERSON : ORG;
        size_t n = hist_draw(&st.names[k], &g.seed);
        if (n == 0)
            n = 1;
        if (n > MAX_ALIASES + 1)
            n = MAX_ALIASES + 1;
        if (n > want - names)
            n = (size_t)(want - names);
        unsigned long long num = ents[ORG] + ents[PERSON];
        snprintf(id, sizeof id, "syn-%07llu", num);
        bool dup;
        regw_org_t *o = regw_org_new(w, id, &dup);
        if (o == NULL || regw_org_set_name(o, draw_name(&g, k)) < 0)
            die_oom();
        for (size_t i = 1; i < n; i++)
            if (regw_org_add_alias(o, draw_name(&g, k)) < 0)
                die_oom();
        const char *cc = draw_country(&g, k);
        snprintf(src, sizeof src, "gen_registry seed %llu, entry %llu", (unsigned long long)seed,
                 num);
        char val[24];
        snprintf(val, sizeof val, "%llu", num);
        if ((cc != NULL && regw_org_set_country(o, cc) < 0) ||
            (k == PERSON && regw_org_set_type(o, "individual") < 0) ||
            regw_org_add_id(o, "synthetic", val) < 0 || regw_org_add_list(o, "synthetic") < 0 ||
            regw_org_add_source(o, src) < 0)
            die_oom();
        ents[k]++;
        names += n;
        in_file += n;
        if (in_file >= per_file || names >= want) {
            snprintf(header, sizeof header,
                     "# Synthetic registry for make bench, written by bench/gen_registry.c (seed "
                     "%llu):\n# names drawn from the token statistics of the real lists; they "
                     "name nobody.\n# Entries %llu .. %llu, %llu names.\n",
                     (unsigned long long)seed, first, ents[ORG] + ents[PERSON] - 1, in_file);
            if (write_file(w, outdir, fileno++, header) != 0)
                return 1;
            regw_destroy(&w);
        }
    }
    fprintf(stderr,
            "gen_registry: %llu names: %llu organisations, %llu individuals, in %d files; "
            "%llu tokens, %llu of them made-up words\n",
            names, ents[ORG], ents[PERSON], fileno, (unsigned long long)g.n_out,
            (unsigned long long)g.n_new);
    sbuf_free(&g.name);
    free(g.seen);
    for (size_t i = 0; i < sizeof r.e.names / sizeof r.e.names[0]; i++)
        sbuf_free(&r.e.names[i]);
    for (int k = 0; k < N_KINDS; k++)
        for (int p = 0; p < N_POS; p++) {
            free(st.pos[k][p].count);
            free(st.pos[k][p].tok);
            free(st.pos[k][p].cum);
        }
    free(st.tokens);
    free(st.stream_ids);
    smap_destroy(&st.dict);
    smap_destroy(&st.cc_map);
    smap_destroy(&r.sdn_cc);
    arena_destroy(&r.keys);
    arena_destroy(&st.arena);
    return 0;
}
