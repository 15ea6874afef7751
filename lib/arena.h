/* SPDX-License-Identifier: Apache-2.0 */
/* arena.h -- bump allocator: one owner, many small allocations, freed at once. */
#ifndef VET_ARENA_H
#define VET_ARENA_H

#include <stddef.h>

typedef struct arena arena_t;

/* Creates an arena whose chunks are at least chunk bytes (0: 64 KiB).
 * Returns the handle, caller owns it (arena_destroy), or NULL on OOM. */
arena_t *arena_new(size_t chunk);

/* Frees every chunk and the arena; accepts NULL; nulls *ap. */
void arena_destroy(arena_t **ap);

/* Returns n bytes aligned to 16, owned by the arena (valid until
 * arena_reset or arena_destroy), or NULL on OOM. n == 0 returns a
 * valid unique pointer. */
void *arena_alloc(arena_t *a, size_t n);

/* As arena_alloc, zero-filled. */
void *arena_calloc(arena_t *a, size_t count, size_t size);

/* Copies the NUL-terminated s (or n bytes of s, then a NUL) into the
 * arena. Returns the copy or NULL on OOM; s == NULL returns NULL. */
char *arena_strdup(arena_t *a, const char *s);
char *arena_strndup(arena_t *a, const char *s, size_t n);

/* Forgets every allocation but keeps the largest chunk for reuse, so a
 * worker that resets per request stops calling malloc once warmed up.
 * Pointers handed out before are invalid afterwards. */
void arena_reset(arena_t *a);

/* Bytes handed out since the last reset, and bytes reserved from malloc. */
size_t arena_used(const arena_t *a);
size_t arena_reserved(const arena_t *a);

#endif
