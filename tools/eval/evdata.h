/* SPDX-License-Identifier: Apache-2.0 */
/* evdata.h -- vet-eval's data: listed organisations from the sources, and the registry. */
#ifndef VET_EVAL_EVDATA_H
#define VET_EVAL_EVDATA_H

#include <stdbool.h>
#include <stddef.h>

/* ---- names ------------------------------------------------------------- */

/* Writes into out (cap bytes) the comparison form of name: NFKC, case
 * folded, accents stripped, apostrophes dropped ("Xi'an" = "Xian"), every
 * other character that is not a letter or digit a space, spaces
 * collapsed and trimmed. Two names are "the same name" when their forms
 * are equal. Returns 0, or -1 (out = "") when name is not UTF-8 or out
 * is too small. */
int evdata_norm(const char *name, char *out, size_t cap);

/* Writes into out the core of a comparison form norm (evdata_norm's
 * output): runs of one-letter words joined ("s a" -> "sa", from "S.A."),
 * then legal-form words (co, company, ltd, limited, llc, inc, corp,
 * corporation, sa, srl, bv, gmbh, jsc, ...) and "the" left out. Two names
 * with the same non-empty core cannot be told apart by name alone.
 * Returns 0, or -1 (out = "") when out is too small. */
int evdata_core(const char *norm, char *out, size_t cap);

/* ---- the registry of a ruleset ----------------------------------------- */

typedef struct evdata_reg evdata_reg_t;

/* Reads every .cfg file of DIR/registry (libconfig) of the ruleset directory dir:
 * each organisation's id, names (name, aliases, short_names, former_names,
 * and those that `names` groups of any file add to it), country and
 * source keys. Returns the
 * registry, caller owns it (evdata_reg_destroy); NULL with a message in
 * err (cap bytes) on failure. */
evdata_reg_t *evdata_reg_load(const char *dir, char *err, size_t cap);
void evdata_reg_destroy(evdata_reg_t **rp);

/* The number of organisations. */
size_t evdata_reg_count(const evdata_reg_t *r);

/* The index of the organisation with id, or -1. */
long evdata_reg_find(const evdata_reg_t *r, const char *id);

/* The id and country (NULL if none) of organisation i; borrowed, valid
 * as long as r. */
const char *evdata_reg_id(const evdata_reg_t *r, size_t i);
const char *evdata_reg_country(const evdata_reg_t *r, size_t i);

/* The organisation that a source record is recorded under: key is
 * "ca-nro:name:NAME" (the NRO record its sources cite, by the name the
 * list prints),
 * "ofac:N" (ids.ofac) or "un:REF" (ids.un). Returns its index or -1
 * when none (the first one in file order when several). */
long evdata_reg_by_key(const evdata_reg_t *r, const char *key);

/* Whether organisation i has a name or alias whose comparison form is
 * norm (already in that form). */
bool evdata_reg_carries(const evdata_reg_t *r, size_t i, const char *norm);

/* Whether organisation i has a name or alias whose core (evdata_core)
 * is core; never for an empty core. */
bool evdata_reg_carries_core(const evdata_reg_t *r, size_t i, const char *core);

/* The organisations with a name or alias of comparison form norm: writes
 * up to max of their indexes into idx, returns how many there are. */
size_t evdata_reg_carriers(const evdata_reg_t *r, const char *norm, size_t *idx, size_t max);

/* ---- the listed organisations of the public sources --------------------- */

typedef struct evdata_org {
    const char *list; /* "ca-nro", "us-sdn" or "un-sc" (static) */
    char *key;        /* registry key (see evdata_reg_by_key) */
    char *ref;        /* the record as a person finds it: "row 42", "ent_num 306", "CDe.003" */
    char *country;    /* ISO code the source gives (NRO only), or NULL */
    char **names;     /* the primary name first, then every alias, each once */
    size_t n_names;
} evdata_org_t;

typedef struct evdata_src evdata_src_t;

/* Reads the listed organisations of the sources under data (the shared
 * data directory): canada_nro/nro_2024-09.tsv, ofac_sdn/sdn.csv and
 * alt.csv (entities only: type -0-), un/UN_consolidated.xml (ENTITY
 * records). A name field holding several names separated by " ; " gives
 * each. Returns the set, caller owns it (evdata_src_destroy); NULL with a
 * message in err on failure (a missing file says which). */
evdata_src_t *evdata_src_load(const char *data, char *err, size_t cap);
void evdata_src_destroy(evdata_src_t **sp);

/* The organisations, in source order (NRO, SDN, UN), *n of them;
 * borrowed, valid as long as s. */
evdata_org_t *const *evdata_src_orgs(const evdata_src_t *s, size_t *n);

#endif
