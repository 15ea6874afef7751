/* SPDX-License-Identifier: Apache-2.0 */
/* idtab.h -- `vet batch`'s table of request ids on the wire: which record
 * an id answers for and how many sends of it are still unanswered. */
#ifndef IDTAB_H
#define IDTAB_H

#include <stddef.h>
#include <stdint.h>

#define IDTAB_NONE UINT64_MAX /* owner: no record waits for this id's reply */

/* One id on the wire. */
typedef struct idtab_entry {
    char *key;       /* owned: the id (its bytes, not JSON), NUL-terminated */
    size_t len;      /* its length */
    uint64_t owner;  /* the record a reply to this id answers, or IDTAB_NONE */
    int outstanding; /* sends of this id whose reply has not come */
} idtab_entry_t;

typedef struct idtab idtab_t;

/* An empty table; caller owns it (idtab_destroy). NULL on out of memory. */
idtab_t *idtab_new(void);

/* Frees the table and its keys; accepts NULL and NULLs *p. */
void idtab_destroy(idtab_t **p);

/* The entry of key (n bytes), or NULL. Borrowed: valid until the next
 * idtab_add or idtab_remove. */
idtab_entry_t *idtab_get(idtab_t *t, const char *key, size_t n);

/* Adds key (n bytes, copied; it must not be in the table) with owner and
 * no send outstanding. Returns the entry (borrowed, as idtab_get's), or
 * NULL on out of memory (the table is unchanged). */
idtab_entry_t *idtab_add(idtab_t *t, const char *key, size_t n, uint64_t owner);

/* Removes e (an entry of t) and frees its key. */
void idtab_remove(idtab_t *t, idtab_entry_t *e);

/* Number of ids in the table. */
size_t idtab_count(const idtab_t *t);

#endif
