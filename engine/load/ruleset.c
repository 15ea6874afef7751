/* SPDX-License-Identifier: Apache-2.0 */
/* ruleset.c -- loads a ruleset directory into one immutable Ruleset: the
 * order of the load, the content digest of what it compiled, and the
 * ruleset's release.
 *
 * Order: read and parse every file (so syntax errors of all files are
 * reported together) and hash them, read policy.cfg's vocabularies,
 * build the taxonomy, declare the lists and tags of registry files and
 * read their organisations, merge the entries that are one body
 * (load_merge.c), resolve their relations, compile the rules,
 * and build the match index. Each kind of file has its reader
 * (load_policy.c, load_taxonomy.c, load_registry.c, load_vocab.c) on
 * the plumbing of loader.c; every problem goes into the diag with
 * file:line, and the load fails at the end if there was any.
 *
 * Never a partial ruleset: a load that cannot be sure it read and
 * compiled everything (loader.h: the sticky oom flag) returns NULL. */
#include "ruleset.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "request.h"

static const char *const type_names[] = {
#define X(s) s,
    REQ_TYPES(X)
#undef X
};

/* ---- content digest ------------------------------------------------------ */

/* The content digest hashes a canonical walk of what was compiled, in a
 * framing that cannot be ambiguous: every string is its length (4 bytes,
 * little-endian; NULL is 0xffffffff) then its bytes, every number 8
 * bytes little-endian, every sequence its count first. Where things were
 * declared (file, line) is left out: the digest is of meaning. */
static void
cd_u64(crypto_hash_sha256_state *h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    crypto_hash_sha256_update(h, b, sizeof b);
}

static void
cd_str(crypto_hash_sha256_state *h, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    uint32_t len = s != NULL ? (uint32_t)n : UINT32_MAX;
    unsigned char b[4] = {(unsigned char)len, (unsigned char)(len >> 8), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 24)};
    crypto_hash_sha256_update(h, b, sizeof b);
    if (n > 0)
        crypto_hash_sha256_update(h, (const unsigned char *)s, n);
}

/* A real number as text with every digit that tells it apart. */
static void
cd_real(crypto_hash_sha256_state *h, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    cd_str(h, buf);
}

static void
cd_strs(crypto_hash_sha256_state *h, const char *const *v, size_t n)
{
    cd_u64(h, n);
    for (size_t i = 0; i < n; i++)
        cd_str(h, v[i]);
}

/* An entity's aliases with their kinds. A plain alias is hashed as
 * cd_str does; any other kind as the string 0xff, the kind's digit, then
 * the name: never the framing of a plain alias (names are UTF-8, where
 * 0xff cannot occur), and a registry without short or former names
 * keeps the digest it had before kinds existed. */
static void
cd_aliases(crypto_hash_sha256_state *h, const reg_entity_t *e)
{
    cd_u64(h, e->n_aliases);
    for (uint32_t i = 0; i < e->n_aliases; i++) {
        reg_name_kind_t k = reg_entity_name_kind(e, i + 1);
        if (k == REG_NAME_ALIAS) {
            cd_str(h, e->aliases[i]);
            continue;
        }
        size_t n = strlen(e->aliases[i]) + 2;
        uint32_t len = (uint32_t)n;
        unsigned char b[6] = {(unsigned char)len,
                              (unsigned char)(len >> 8),
                              (unsigned char)(len >> 16),
                              (unsigned char)(len >> 24),
                              0xff,
                              (unsigned char)('0' + k)};
        crypto_hash_sha256_update(h, b, sizeof b);
        crypto_hash_sha256_update(h, (const unsigned char *)e->aliases[i], n - 2);
    }
}

/* Names of vocabulary indexes, so that renumbering shows. */
static void
cd_syms(crypto_hash_sha256_state *h, const vocab_t *voc, const uint16_t *ix, size_t n)
{
    cd_u64(h, n);
    for (size_t i = 0; i < n; i++)
        cd_str(h, ix[i] < voc->n ? voc->names[ix[i]] : NULL);
}

/* Fills rs->content from the compiled ruleset. No allocation. */
static void
content_digest(ruleset_t *rs)
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    cd_str(&h, "vetd ruleset content 1");
    cd_str(&h, rs->version);
    const vocab_t *vocabs[] = {&rs->verdicts,   &rs->lists,     &rs->tags, &rs->risks,
                               &rs->activities, &rs->relations, &rs->types};
    for (size_t i = 0; i < sizeof vocabs / sizeof vocabs[0]; i++)
        cd_strs(&h, vocabs[i]->names, vocabs[i]->n);
    for (size_t i = 0; i < rs->lists.n; i++) {
        cd_str(&h, rs->list_info[i].name);
        cd_str(&h, rs->list_info[i].authority);
        cd_str(&h, rs->list_info[i].url);
        if (rs->list_info[i].terms != NULL) { /* hashed only when recorded */
            cd_str(&h, "\xff"
                       "terms");
            cd_str(&h, rs->list_info[i].terms);
        }
        if (rs->list_info[i].as_of != NULL) { /* hashed only when recorded */
            cd_str(&h, "\xff"
                       "as_of");
            cd_str(&h, rs->list_info[i].as_of);
            cd_u64(&h, (uint64_t)rs->list_info[i].max_age_days);
        }
    }
    for (size_t i = 0; i < rs->relations.n; i++)
        cd_u64(&h, rs->rel_symmetric[i]);
    cd_real(&h, rs->match.threshold);
    cd_real(&h, rs->match.country_penalty);
    cd_u64(&h, rs->match.max_results);

    cd_u64(&h, tax_count(rs->tax));
    for (size_t i = 0; i < tax_count(rs->tax); i++) {
        const tax_cat_t *c = tax_get(rs->tax, (int)i);
        const tax_cat_t *parent = tax_get(rs->tax, c->parent);
        cd_str(&h, c->code);
        cd_str(&h, c->label);
        cd_str(&h, parent != NULL ? parent->code : NULL);
        cd_strs(&h, c->keywords, c->n_keywords);
        cd_strs(&h, c->refs, c->n_refs);
        /* Later settings, hashed only when used, so a ruleset without
         * them keeps the content digest it had before they existed. */
        if (c->n_patterns + c->n_except + c->n_vetoes > 0) {
            cd_str(&h, "\xff"
                       "patterns, except, vetoes");
            cd_strs(&h, c->patterns, c->n_patterns);
            cd_strs(&h, c->except, c->n_except);
            cd_strs(&h, c->vetoes, c->n_vetoes);
        }
    }
    /* words.cfg (likewise only when the ruleset has one). */
    const match_words_t *w = &rs->words;
    if (w->n_map + w->n_units + w->n_places + w->n_branches + w->n_qualifiers + w->n_kinds +
            w->n_legal_suffixes + w->n_generic >
        0) {
        cd_str(&h, "\xff"
                   "words");
        cd_u64(&h, w->n_map);
        for (size_t i = 0; i < w->n_map; i++) {
            cd_str(&h, w->map[i].from);
            cd_str(&h, w->map[i].to);
        }
        cd_strs(&h, w->units, w->n_units);
        cd_strs(&h, w->places, w->n_places);
        cd_strs(&h, w->branches, w->n_branches);
        cd_strs(&h, w->qualifiers, w->n_qualifiers);
        cd_strs(&h, w->kinds, w->n_kinds);
        cd_strs(&h, w->legal_suffixes, w->n_legal_suffixes);
        cd_strs(&h, w->generic, w->n_generic);
    }
    /* words.cfg person_names (only when the ruleset has them). */
    const match_person_words_t *pw = &rs->words.person;
    if (pw->n_variants + pw->n_spellings + pw->n_particles + pw->n_joined + pw->n_titles +
            pw->n_patronymics >
        0) {
        cd_str(&h, "\xff"
                   "person_names");
        const match_wordmap_t *maps[2] = {pw->variants, pw->spellings};
        size_t nmaps[2] = {pw->n_variants, pw->n_spellings};
        for (int m = 0; m < 2; m++) {
            cd_u64(&h, nmaps[m]);
            for (size_t i = 0; i < nmaps[m]; i++) {
                cd_str(&h, maps[m][i].from);
                cd_str(&h, maps[m][i].to);
            }
        }
        cd_strs(&h, pw->particles, pw->n_particles);
        cd_strs(&h, pw->joined, pw->n_joined);
        cd_strs(&h, pw->titles, pw->n_titles);
        cd_strs(&h, pw->patronymics, pw->n_patronymics);
    }

    cd_u64(&h, rs->n_ents);
    for (size_t i = 0; i < rs->n_ents; i++) {
        const reg_entity_t *e = &rs->ents[i];
        cd_str(&h, e->id);
        cd_str(&h, e->name);
        cd_str(&h, e->country);
        cd_str(&h, e->type);
        cd_aliases(&h, e);
        cd_u64(&h, e->n_ids);
        for (uint32_t k = 0; k < e->n_ids; k++) {
            cd_str(&h, e->ids[k].scheme);
            cd_str(&h, e->ids[k].value);
        }
        cd_syms(&h, &rs->lists, e->lists, e->n_lists);
        cd_syms(&h, &rs->tags, e->tags, e->n_tags);
        cd_str(&h, e->risk >= 0 && (size_t)e->risk < rs->risks.n ? rs->risks.names[e->risk] : NULL);
        cd_u64(&h, e->n_rels);
        for (uint16_t k = 0; k < e->n_rels; k++) {
            cd_str(&h,
                   e->rels[k].kind < rs->relations.n ? rs->relations.names[e->rels[k].kind] : NULL);
            cd_str(&h, e->rels[k].target < rs->n_ents ? rs->ents[e->rels[k].target].id : NULL);
        }
        cd_strs(&h, e->sources, e->n_sources);
        /* A person's dates of birth and nationalities, and same_as links,
         * only when there are (older rulesets keep their digest). */
        if (e->n_birth_dates + e->n_nationalities + e->n_same_as > 0) {
            cd_str(&h, "\xff"
                       "person, same_as");
            cd_strs(&h, e->birth_dates, e->n_birth_dates);
            cd_strs(&h, e->nationalities, e->n_nationalities);
            cd_strs(&h, e->same_as, e->n_same_as);
        }
        /* Entries merged into it (load_merge.c), only when there are:
         * their ids still name it, so they are part of its meaning. */
        if (e->n_merged > 0) {
            cd_str(&h, "\xff"
                       "merged");
            cd_strs(&h, e->merged, e->n_merged);
            cd_strs(&h, e->merged_why, e->n_merged);
        }
    }

    cd_u64(&h, rs->n_rules);
    for (size_t i = 0; i < rs->n_rules; i++) {
        const rs_rule_t *r = &rs->rules[i];
        cd_str(&h, r->id);
        cd_str(&h, r->verdict >= 0 && (size_t)r->verdict < rs->verdicts.n
                       ? rs->verdicts.names[r->verdict]
                       : NULL);
        cd_u64(&h, (uint64_t)(int64_t)r->score);
        cd_str(&h, r->reason);
        cd_str(&h, r->cite);
        cd_str(&h, r->when_src);
    }
    cd_u64(&h, (uint64_t)(int64_t)rs->default_verdict);
    /* Settings added later, hashed only when declared (as above). */
    if (rs->groups.n > 0) {
        cd_str(&h, "\xff"
                   "country groups");
        cd_u64(&h, rs->groups.n);
        for (size_t i = 0; i < rs->groups.n; i++) {
            cd_str(&h, rs->group[i].id);
            cd_str(&h, rs->group_label[i]);
            cd_str(&h, rs->group_cite[i]);
            cd_strs(&h, rs->group[i].codes, rs->group[i].n);
        }
    }
    if (rs->n_regions > 0) {
        cd_str(&h, "\xff"
                   "regions");
        cd_u64(&h, rs->n_regions);
        for (size_t i = 0; i < rs->n_regions; i++) {
            cd_str(&h, rs->regions[i].code);
            cd_str(&h, rs->regions[i].name);
            cd_strs(&h, rs->regions[i].places, rs->regions[i].n_places);
        }
    }
    if (!(rs->n_profiles == 1 && strcmp(rs->profiles[0].id, "all") == 0 &&
          rs->profiles[0].description == NULL && rs->profiles[0].n_rules == rs->n_rules)) {
        cd_str(&h, "\xff"
                   "profiles");
        cd_u64(&h, rs->n_profiles);
        for (size_t i = 0; i < rs->n_profiles; i++) {
            const rs_profile_t *p = &rs->profiles[i];
            cd_str(&h, p->id);
            cd_str(&h, p->label);
            cd_str(&h, p->description);
            cd_u64(&h, p->n_rules);
            for (size_t k = 0; k < p->n_rules; k++)
                cd_str(&h, rs->rules[p->rules[k]].id);
        }
        cd_str(&h, rs->profiles[rs->default_profile].id);
    }

    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, md);
    sodium_bin2hex(rs->content, sizeof rs->content, md, sizeof md);
}

/* ---- load ---------------------------------------------------------------- */

/* When lists record their editions (as_of), the version replies carry
 * says which: policy.cfg's version, "+lists.", and the newest as_of
 * (2026.11+lists.20261203), so that the version changes when a list does
 * (the digest tells two updates of one day apart). Returns 0, or -1 on
 * OOM. */
static int
lists_version(ruleset_t *rs)
{
    const char *newest = NULL;
    for (size_t i = 0; i < rs->lists.n; i++) {
        const char *a = rs->list_info[i].as_of;
        if (a != NULL && (newest == NULL || strcmp(a, newest) > 0))
            newest = a;
    }
    if (newest == NULL)
        return 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%.200s+lists.%.4s%.2s%.2s", rs->version, newest, newest + 5,
             newest + 8);
    const char *v = arena_strdup(rs->arena, buf);
    if (v == NULL)
        return -1;
    rs->version = v;
    return 0;
}

/* If path is a symbolic link, writes what it points to into out (cap
 * bytes; a relative target is taken from the link's own directory) and
 * returns true; else false (out unspecified). */
static bool
resolve_link(const char *path, char *out, size_t cap)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
        return false;
    char t[4096];
    ssize_t n = readlink(path, t, sizeof t - 1);
    if (n <= 0)
        return false;
    t[n] = '\0';
    const char *slash = strrchr(path, '/');
    int w;
    if (t[0] == '/' || slash == NULL)
        w = snprintf(out, cap, "%s", t);
    else
        w = snprintf(out, cap, "%.*s/%s", (int)(slash - path), path, t);
    return w > 0 && (size_t)w < cap;
}

/* The two last steps of a load (build_last) and what they share. */
typedef struct last_step {
    ruleset_t *rs;
    match_run_fn run; /* lent to the match index's build, or NULL */
    void *run_ctx;
    int threads;
    char err[256]; /* the build's error */
} last_step_t;

static void
index_task(void *arg)
{
    last_step_t *t = arg;
    t->rs->mx = match_index_new_par(t->rs->ents, t->rs->n_ents, &t->rs->match, t->run, t->run_ctx,
                                    t->threads, t->err, sizeof t->err);
}

static void
digest_task(void *arg)
{
    content_digest(((last_step_t *)arg)->rs);
}

/* Builds rs's match index and its content digest: side by side when the
 * caller lends threads (the digest, 0.4 s at a million names, then
 * costs the load next to nothing), as neither writes what the other
 * reads; else one after the other. A failed build goes to d. */
static void
build_last(ruleset_t *rs, diag_t *d, match_run_fn run, void *run_ctx, int threads)
{
    last_step_t t = {rs, run, run_ctx, threads, ""};
    match_run_pair(threads >= 2 ? run : NULL, run_ctx, index_task, digest_task, &t);
    if (rs->mx == NULL)
        diag_add(d, rs->dir, 0, 0, "building the match index: %s", t.err);
}

/* A registry file read for its syntax errors alone (a loader_convert_fn). */
static loader_turn_t
syntax_only(loader_t *L, size_t f, void *arg)
{
    (void)L;
    (void)f;
    (void)arg;
    return LOADER_FREE_TREE;
}

ruleset_t *
ruleset_load_par(const char *dir, diag_t *d, match_run_fn run, void *run_ctx, int threads)
{
    size_t errs_before = diag_count(d);
    if (sodium_init() < 0) {
        diag_add(d, NULL, 0, 0, "libsodium failed to initialise");
        return NULL;
    }
    ruleset_t *rs = calloc(1, sizeof *rs);
    if (rs == NULL || (rs->arena = arena_new(1 << 20)) == NULL || (rs->tax = tax_new()) == NULL) {
        diag_add(d, dir, 0, 0, "out of memory");
        ruleset_destroy(&rs);
        return NULL;
    }
    rs->types.names = (const char **)type_names;
    rs->types.n = sizeof type_names / sizeof type_names[0];
    rs->loaded_at = time(NULL);

    loader_t L;
    loader_init(&L, rs, d);
    loader_lend(&L, run, run_ctx, threads);
    /* A directory that is a symbolic link (vet-update's ROOT/current) is
     * followed once, here: every file is then read from the version it
     * named at this moment, even if the link is switched during the load,
     * and rs->dir says which version this is. */
    char target[4096];
    if (resolve_link(dir, target, sizeof target))
        dir = target;
    rs->dir = loader_strdup(&L, dir);
    if (L.oom)
        goto done;

    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        diag_add(d, dir, 0, 0, "not a ruleset directory: %s",
                 errno ? strerror(errno) : "not a directory");
        goto done;
    }
    loader_read_files(&L, dir);
    if (!L.policy.ok || !L.taxonomy.ok || L.oom) {
        /* Rules need both. The registry files are still read for their
         * own syntax errors. */
        loader_each_registry(&L, syntax_only, NULL);
        goto done;
    }
    load_policy_head(&L);
    load_taxonomy(&L);
    load_words(&L);
    load_registry(&L);
    load_merge_registry(&L);
    load_vocab_publish(&L);
    if (L.oom)
        goto done; /* the steps below read the vocabularies */
    load_registry_relations(&L);
    load_policy_rules(&L);
    load_policy_profiles(&L);
    if (diag_count(d) == errs_before && !L.oom) {
        for (size_t e = 0; e < rs->n_ents; e++)
            for (uint16_t k = 0; k < rs->ents[e].n_lists; k++)
                if (rs->ents[e].lists[k] < rs->lists.n)
                    rs->list_info[rs->ents[e].lists[k]].entries++;
        if (lists_version(rs) != 0)
            L.oom = true;
        else
            build_last(rs, d, run, run_ctx, threads);
    }
done:
    loader_free(&L);
    if (L.oom)
        diag_add(d, dir, 0, 0, "out of memory");
    if (L.oom || diag_count(d) != errs_before) {
        ruleset_destroy(&rs);
        return NULL;
    }
    return rs;
}

ruleset_t *
ruleset_load(const char *dir, diag_t *d)
{
    return ruleset_load_par(dir, d, NULL, NULL, 1);
}

void
ruleset_destroy(ruleset_t **rp)
{
    if (rp == NULL || *rp == NULL)
        return;
    ruleset_t *rs = *rp;
    match_index_destroy(&rs->mx);
    tax_destroy(&rs->tax);
    free(rs->ents);
    arena_destroy(&rs->arena);
    free(rs);
    *rp = NULL;
}

bool
ruleset_list_stale(const ruleset_t *rs, size_t i, time_t now)
{
    const rs_list_t *l = &rs->list_info[i];
    return l->stale_after != 0 && (int64_t)now >= l->stale_after;
}

size_t
ruleset_memory(const ruleset_t *rs)
{
    return arena_reserved(rs->arena) + rs->n_ents * sizeof *rs->ents +
           (rs->tax ? tax_memory(rs->tax) : 0) + (rs->mx ? match_index_memory(rs->mx) : 0);
}
