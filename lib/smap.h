/* SPDX-License-Identifier: Apache-2.0 */
/* smap.h -- string -> int map (open addressing, hashed with hash.h),
 * built at load time and read-only afterwards: ids of organisations,
 * rules, test cases. */
#ifndef VET_SMAP_H
#define VET_SMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct smap smap_t;

/* Empty map, caller owns it (smap_destroy); NULL on OOM. Keys are
 * borrowed: they must outlive the map. */
smap_t *smap_new(void);
void smap_destroy(smap_t **mp);

/* Inserts key -> val. Returns 0, 1 if the key was already present (the
 * old value is kept and written to *old if old != NULL), -1 on OOM. */
int smap_put(smap_t *m, const char *key, int val, int *old);

/* The value of key, or -1 if absent. */
int smap_get(const smap_t *m, const char *key);

/* Number of keys in the map. */
size_t smap_count(const smap_t *m);

#endif
