/* SPDX-License-Identifier: Apache-2.0 */
/* registry.h -- organisations of concern, as loaded from registry/NAME.cfg.
 *
 * Entities are plain immutable records owned by the ruleset's arena;
 * symbols (lists, tags, risk levels, relation kinds) are indexes into
 * the ruleset's vocabularies (vocab.h). The array of entities is the
 * registry: entity i is ents[i], relation targets are such indexes. */
#ifndef VET_REGISTRY_H
#define VET_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct reg_ident {
    const char *scheme; /* e.g. "ror", "lei", "ofac" (lower case) */
    const char *value;  /* as published, trimmed */
} reg_ident_t;

typedef struct reg_rel {
    uint16_t kind;   /* index into the relation-kind vocabulary */
    uint32_t target; /* index of the related entity */
} reg_rel_t;

/* What kind of name an alias is (reg_entity_t.alias_kind). */
typedef enum reg_name_kind {
    REG_NAME_ALIAS = 0,  /* another full name, any script */
    REG_NAME_SHORT = 1,  /* a short form or acronym ("Beihang", "NUDT"): it
                          * identifies only with the country's agreement */
    REG_NAME_FORMER = 2, /* a former name (earlier list edition, renaming) */
} reg_name_kind_t;

typedef struct reg_entity {
    const char *id;             /* unique id, e.g. "hit" */
    const char *name;           /* primary name as published */
    const char *country;        /* ISO 3166-1 alpha-2, upper case; NULL if unknown */
    const char *type;           /* partner type ("university", ...); NULL if unknown */
    const char **aliases;       /* other names, any script */
    uint32_t n_aliases;         /* count of aliases */
    const uint8_t *alias_kind;  /* per alias, a reg_name_kind_t; NULL: all
                                 * REG_NAME_ALIAS */
    const reg_ident_t *ids;     /* identifiers */
    uint32_t n_ids;             /* count of ids */
    const uint16_t *lists;      /* list vocabulary indexes, sorted */
    uint16_t n_lists;           /* count of lists */
    const uint16_t *tags;       /* tag vocabulary indexes, sorted */
    uint16_t n_tags;            /* count of tags */
    int16_t risk;               /* risk vocabulary index; -1 if not set */
    const reg_rel_t *rels;      /* outgoing relations (symmetric kinds are
                                 * stored in both directions at load) */
    uint16_t n_rels;            /* count of rels */
    const char **birth_dates;   /* individuals: dates of birth as listed,
                                 * "YYYY-MM-DD", "YYYY-MM" or "YYYY" */
    uint16_t n_birth_dates;     /* count of birth_dates */
    const char **nationalities; /* individuals: ISO 3166-1 alpha-2 */
    uint16_t n_nationalities;   /* count of nationalities */
    const char **same_as;       /* ids of entries this one declares to be the
                                 * same body (registry `same_as`), as written */
    uint16_t n_same_as;         /* count of same_as */
    const char **merged;        /* ids of the entries merged into this one
                                 * (one body, one identity), or NULL */
    const char **merged_why;    /* parallel to merged: why ("same_as",
                                 * "identifier ofac:1234", "name and country") */
    uint16_t n_merged;          /* count of merged */
    const char **sources;       /* provenance, e.g. "ca-nro 2024-09 row 12" */
    uint16_t n_sources;         /* count of sources */
    const char *file;           /* registry file it came from */
    int line;                   /* line of its group in that file */
} reg_entity_t;

/* Name number i of an entity: 0 is the primary name, 1..n_aliases the
 * aliases. Borrowed from the entity. */
static inline const char *
reg_entity_name(const reg_entity_t *e, uint32_t i)
{
    return i == 0 ? e->name : e->aliases[i - 1];
}

/* The kind of name number i (0, the primary name, is REG_NAME_ALIAS). */
static inline reg_name_kind_t
reg_entity_name_kind(const reg_entity_t *e, uint32_t i)
{
    return i == 0 || e->alias_kind == NULL ? REG_NAME_ALIAS : (reg_name_kind_t)e->alias_kind[i - 1];
}

/* True if the entity carries list (tag) index sym. */
bool reg_has_list(const reg_entity_t *e, unsigned sym);
bool reg_has_tag(const reg_entity_t *e, unsigned sym);

#endif
