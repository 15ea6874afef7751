/* SPDX-License-Identifier: Apache-2.0 */
/* loader.h -- private to the ruleset loader (engine/load/): the state one
 * load shares between its steps, the plumbing every step uses (loader.c),
 * and the steps themselves, one file per kind of ruleset file.
 *
 * ruleset_load (ruleset.c) runs them in this order: loader_read_files,
 * load_policy_head, load_taxonomy, load_registry, load_vocab_publish,
 * load_registry_relations, load_policy_rules. A step reports every
 * problem into L->d as "file:line: message" and carries on; a failed
 * allocation sets L->oom, which fails the load at its end. No step frees
 * what another made: everything the ruleset keeps is in its arena, and
 * what only the load needs is in the loader_t, freed by loader_free. */
#ifndef VET_LOADER_H
#define VET_LOADER_H

#include <libconfig.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "match.h"
#include "ruleset.h"
#include "smap.h"
#include "vocab.h"

/* One file of the ruleset, read once and parsed. */
typedef struct rs_file {
    char *path;   /* as reported in errors: dir/name (arena copy
                   * after loader_read_files; NULL on OOM) */
    config_t cfg; /* parsed tree (whole only if ok) */
    bool ok;      /* parsed without error, nothing lost */
} rs_file_t;

/* A growable array of borrowed strings (a vocabulary under construction). */
typedef struct strvec {
    const char **v; /* entries (malloc'd array), borrowed from the arena */
    size_t n;       /* entries used */
    size_t cap;     /* entries allocated */
} strvec_t;

/* Where a symbol was first declared, for "declared twice" errors. */
typedef struct declsite {
    const char *file; /* borrowed: the declaring file's path */
    int line;         /* line of the declaration */
} declsite_t;

/* A relation waiting for every organisation to be known. */
typedef struct pending_rel {
    uint32_t from;      /* entity index of the declaring organisation */
    int kind;           /* relation kind index */
    const char *target; /* target organisation id, arena copy */
    const char *file;   /* borrowed: where it was declared */
    int line;           /* line of the relation */
} pending_rel_t;

/* A tag or a list an organisation names before any file read so far
 * declares it (registry files are read one at a time, and a later one
 * may declare it): resolved once every file is read. */
typedef struct pending_sym {
    uint32_t ent;     /* entity index of the organisation */
    bool tag;         /* a tag (else a list) */
    const char *name; /* arena copy */
    const char *file; /* borrowed: where it was named */
    int line;         /* line of its member */
} pending_sym_t;

/* Load state: everything the steps share. Lives on ruleset_load's stack;
 * loader_free releases what it holds (never the ruleset). */
typedef struct loader {
    ruleset_t *rs;                 /* being built (borrowed: ruleset_load owns it) */
    diag_t *d;                     /* where errors go (borrowed) */
    rs_file_t taxonomy;            /* taxonomy.cfg */
    rs_file_t policy;              /* policy.cfg */
    rs_file_t words;               /* words.cfg (optional) */
    rs_file_t *reg;                /* registry/NAME.cfg, name order (malloc'd) */
    size_t n_reg;                  /* entries of reg */
    char **reg_names;              /* their names (malloc'd, each too), until read */
    struct reg_ahead *ahead;       /* parallel to reg (loader.c's, malloc'd) */
    match_run_fn run;              /* lends a thread to read registry files */
    void *run_ctx;                 /* (loader_lend), or NULL */
    char *dir;                     /* the ruleset directory (malloc'd) */
    crypto_hash_sha256_state hash; /* the digest, until every file is read */
    size_t cap_ents;               /* entries allocated in rs->ents */
    pending_sym_t *syms;           /* tags and lists named before declared (malloc'd) */
    size_t n_syms;                 /* entries used in syms */
    size_t cap_syms;               /* entries allocated in syms */
    strvec_t lists;                /* list ids declared so far */
    strvec_t tags;                 /* tags declared so far */
    rs_list_t *list_info;          /* parallel to lists (malloc'd) */
    size_t list_info_cap;          /* entries allocated in list_info and list_site */
    declsite_t *list_site;         /* parallel to lists, for duplicate errors */
    smap_t *list_map;              /* list id -> index in lists */
    smap_t *tag_map;               /* tag -> index in tags */
    smap_t *ent_map;               /* organisation id -> index in rs->ents */
    pending_rel_t *rels;           /* relations to resolve (malloc'd) */
    size_t n_rels;                 /* entries used in rels */
    size_t cap_rels;               /* entries allocated in rels */
    bool oom;                      /* an allocation failed: the load must fail */
} loader_t;

/* ---- plumbing (loader.c) ---------------------------------------------- */

/* Zeroes *L and makes its maps for loading into rs, errors into d (both
 * borrowed). A failed allocation sets L->oom; loader_free is due either way. */
void loader_init(loader_t *L, ruleset_t *rs, diag_t *d);

/* Releases what L holds: the parsed trees, the maps, the vectors. Not the
 * ruleset, nor the paths (they are in its arena). Accepts a loader that
 * loader_init left half made. */
void loader_free(loader_t *L);

/* Lends L run's threads (if threads >= 2) to read registry files: the
 * next one is read while the one before is converted
 * (loader_each_registry). run NULL: one after the other, in the loading
 * thread (the default). */
void loader_lend(loader_t *L, match_run_fn run, void *run_ctx, int threads);

/* Releases the parsed tree of registry file i (loader_each_registry),
 * once everything has been read from it (organisations, overlays: their
 * strings are copies in the ruleset's arena). libconfig's tree of a
 * file takes about nine times the file's bytes: at a million names the
 * trees of every file at once were 900 MiB, more than the loaded
 * ruleset, so each is freed as soon as it can be. */
void loader_free_registry_tree(loader_t *L, size_t i);

/* Reads taxonomy.cfg, policy.cfg and words.cfg of dir, each read once,
 * its name and bytes hashed into the digest (L->hash) and the same bytes
 * parsed, and lists registry/NAME.cfg in name order: L->reg gets an
 * entry per registry file (L->n_reg), read later by
 * loader_each_registry. Sets rs->n_files. Every problem is reported (a
 * missing or unreadable file, syntax, @include); a file's ok says
 * whether its tree is whole. */
void loader_read_files(loader_t *L, const char *dir);

/* What a conversion of a registry file asks of loader_each_registry. */
typedef enum loader_turn {
    LOADER_FREE_TREE, /* done with its tree */
    LOADER_KEEP_TREE, /* its tree is read again later (overlays) */
    LOADER_STOP       /* read no more files (out of memory) */
} loader_turn_t;

/* Converts registry file f, whose tree is L->reg[f] (f->ok: whole). */
typedef loader_turn_t (*loader_convert_fn)(loader_t *L, size_t f, void *arg);

/* Reads every registry file, in name order, and hands each to
 * convert(L, f, arg) in its turn: first its reading's messages go to
 * L->d, its name and bytes into the digest (L->hash), and its path
 * becomes an arena copy, as if it were read only then. The trees
 * convert is done with are freed. With a thread lent (loader_lend),
 * file f+1 is read and the trees done with are freed on one task while
 * file f is converted on another: convert may use anything of L but the
 * other files' L->reg and L->ahead entries. At a million names,
 * libconfig's parse and the freeing of its trees were two thirds of
 * the registry's reading. */
void loader_each_registry(loader_t *L, loader_convert_fn convert, void *arg);

/* Writes the digest of every file read into rs->digest; after the last
 * registry file. */
void loader_finish_digest(loader_t *L);

/* Reads one optional file at path (a missing file leaves f->ok false
 * and reports nothing) into f, the way loader_read_files reads a
 * ruleset's files, and writes the SHA-256 (hex) of its name and bytes
 * into digest (of nothing when it is missing). f->path is an arena copy. */
void loader_read_one(loader_t *L, rs_file_t *f, const char *path, char digest[65]);

/* A source or a rule's cite must cite what a reader can find: the published document
 * (publisher, title, edition) and the record's own identifier in it. Two
 * things are not that, and a registry file or a policy is refused for them: a file
 * name ("sdn.csv", "FACTS.md", "shared/data/x.csv": a download changes
 * with every edition, a file of ours is not published) and "line N" (a
 * line of such a file). A URL is a published address, not a file of
 * ours: a word holding "://", or whose part before its first '/' is a
 * host name ("scsanctions.un.org/.../consolidated.xml"), is allowed.
 * Returns the offending word (its length in *n), or NULL if s is fine. */
const char *loader_cites_file(const char *s, size_t *n);

/* Returns p; a NULL p (a failed allocation) sets the sticky L->oom. */
void *loader_chk(loader_t *L, void *p);

/* Copies s into the ruleset's arena (owned by it). NULL for a NULL s, or
 * on OOM (L->oom set). */
char *loader_strdup(loader_t *L, const char *s);

/* Reports each member of grp whose name is not in allowed (NULL
 * terminated) as "file:line: unknown setting ... in WHAT" (cfgread.h). */
void loader_check_members(loader_t *L, const char *file, const config_setting_t *grp,
                          const char *const *allowed, const char *what);

/* Member name of grp if present and of type want (an integer is a
 * number, an empty array an empty list). Returns it (borrowed from the
 * tree), or NULL: absent (reported as "WHAT: missing" if required), or
 * of another type (reported). */
config_setting_t *loader_member(loader_t *L, const char *file, const config_setting_t *grp,
                                const char *name, int want, bool required, const char *what);

/* String member name of grp, checked valid UTF-8 and not blank, copied
 * into the arena. NULL if absent (reported if required) or bad
 * (reported), or on OOM (L->oom). */
const char *loader_str(loader_t *L, const char *file, const config_setting_t *grp, const char *name,
                       bool required, const char *what);

/* Array (or list) of strings member name of grp, each checked as
 * loader_str does and copied into the arena. Returns how many were kept
 * and *out (arena, NULL terminated), or 0 and *out NULL when absent. Bad
 * elements are reported and skipped; on OOM L->oom is set. */
size_t loader_strs(loader_t *L, const char *file, const config_setting_t *grp, const char *name,
                   const char ***out, const char *what);

/* True if s is a valid id: lower-case letters, digits, '_', '-' or '.'. */
bool loader_valid_id(const char *s);

/* Index of name in v, or -1 after reporting at file:line "WHAT: unknown
 * KIND \"name\"" with the closest name as a suggestion. */
int loader_resolve(loader_t *L, const char *file, int line, const vocab_t *v, const char *kind,
                   const char *name, const char *what);

/* ---- vocabularies (load_vocab.c) ------------------------------------- */

/* Reads the array of unique names root.name into out (arena); required:
 * at least one. Duplicates are reported. */
void load_vocab_names(loader_t *L, const char *file, const config_setting_t *root, const char *name,
                      vocab_t *out, bool required);

/* Reads root.relation_kinds into rs->relations and rs->rel_symmetric. */
void load_vocab_relation_kinds(loader_t *L, const char *file, const config_setting_t *root);

/* Declares the tags of root.tags; any file may (a repeat is the same tag). */
void load_vocab_tags(loader_t *L, const char *file, const config_setting_t *root);

/* Declares the lists of root.lists; any file may (the same declaration
 * twice is one list, a different one an error). */
void load_vocab_lists(loader_t *L, const char *file, const config_setting_t *root);

/* Copies the declared lists and tags into the ruleset (rs->lists,
 * rs->tags, rs->list_info, in the arena). On OOM L->oom. */
void load_vocab_publish(loader_t *L);

/* ---- policy.cfg (load_policy.c) -------------------------------------- */

/* Reads everything of policy.cfg but its rules: version, vocabularies,
 * relation kinds, tags, lists, matching settings. */
void load_policy_head(loader_t *L);

/* Compiles policy.cfg's rules into rs->rules against the finished
 * vocabularies, taxonomy and registry. */
void load_policy_rules(loader_t *L);

/* Reads policy.cfg's profiles and default_profile (after the rules:
 * they name rules); without `profiles`, one profile "all" holds every
 * rule. */
void load_policy_profiles(loader_t *L);

/* ---- taxonomy.cfg (load_taxonomy.c) ---------------------------------- */

/* Reads the categories into rs->tax and builds it. */
void load_taxonomy(loader_t *L);

/* ---- words.cfg (load_words.c) ------------------------------------------ */

/* Reads the words of organisation names into rs->words (an absent file
 * gives empty tables) and points rs->match.words at them; and the place
 * names that reveal a region into rs->regions. */
void load_words(loader_t *L);

/* ---- registry/NAME.cfg (load_registry.c) ----------------------------- */

/* Reads every registry file in turn (loader_each_registry): its tags
 * and lists, then its organisations into rs->ents (relations left
 * pending in L->rels; a tag or list a later file declares, pending in
 * L->syms), its tree freed unless it has overlays; then finishes the
 * digest, resolves the pending tags and lists, and reads the overlays,
 * which may name organisations of any file: the names `names` groups
 * add, the list memberships `listings` groups add. rs->ents is malloc'd
 * (the ruleset frees it). */
void load_registry(loader_t *L);

/* Resolves the pending relations into each organisation's rels; a
 * symmetric kind gets the reverse edge too. */
void load_registry_relations(loader_t *L);

/* ---- one body, one identity (load_merge.c) ---------------------------- */

/* Merges the entries of rs->ents that are the same body (same_as, a
 * shared identifier, the same normalised name and country) into the one
 * first in load order, which records the others in merged / merged_why;
 * drops the others from rs->ents, maps their ids to the survivor in
 * L->ent_map and moves the pending relations with them. Runs after the
 * overlays, before load_registry_relations. A same_as naming an unknown
 * id, and an individual joined to an organisation, are file:line errors. */
void load_merge_registry(loader_t *L);

#endif
