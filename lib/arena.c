/* SPDX-License-Identifier: Apache-2.0 */
/* arena.c -- bump allocator over a list of malloc'd chunks. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16

typedef struct chunk {
    struct chunk *next; /* older chunk, or NULL */
    size_t cap;         /* usable bytes in data[] */
    size_t used;        /* bytes handed out from data[] */
    _Alignas(ARENA_ALIGN) unsigned char data[];
} chunk_t;

struct arena {
    chunk_t *head;   /* current chunk (newest) */
    size_t chunk;    /* minimum chunk size */
    size_t used;     /* bytes handed out since reset */
    size_t reserved; /* bytes obtained from malloc */
};

arena_t *
arena_new(size_t chunk)
{
    arena_t *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->chunk = chunk ? chunk : 64 * 1024;
    return a;
}

static void
free_chunks(chunk_t *c)
{
    while (c != NULL) {
        chunk_t *next = c->next;
        free(c);
        c = next;
    }
}

void
arena_destroy(arena_t **ap)
{
    if (ap == NULL || *ap == NULL)
        return;
    free_chunks((*ap)->head);
    free(*ap);
    *ap = NULL;
}

void *
arena_alloc(arena_t *a, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    if (need < n)
        return NULL; /* overflow */
    chunk_t *c = a->head;
    if (c == NULL || c->cap - c->used < need) {
        size_t cap = a->chunk;
        while (cap < need) {
            if (cap > SIZE_MAX / 2)
                return NULL;
            cap *= 2;
        }
        c = malloc(sizeof *c + cap);
        if (c == NULL)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
        a->reserved += cap;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used += need;
    return p;
}

void *
arena_calloc(arena_t *a, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

char *
arena_strndup(arena_t *a, const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    char *p = arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
arena_strdup(arena_t *a, const char *s)
{
    return s == NULL ? NULL : arena_strndup(a, s, strlen(s));
}

void
arena_reset(arena_t *a)
{
    /* Keep the largest chunk: after a few requests it fits the biggest
     * request seen, and resets stop touching malloc. */
    chunk_t *best = NULL, *c = a->head;
    for (; c != NULL; c = c->next)
        if (best == NULL || c->cap > best->cap)
            best = c;
    chunk_t *rest = NULL;
    for (c = a->head; c != NULL;) {
        chunk_t *next = c->next;
        if (c != best) {
            c->next = rest;
            rest = c;
        }
        c = next;
    }
    free_chunks(rest);
    a->head = best;
    a->reserved = 0;
    if (best != NULL) {
        best->next = NULL;
        best->used = 0;
        a->reserved = best->cap;
    }
    a->used = 0;
}

size_t
arena_used(const arena_t *a)
{
    return a->used;
}

size_t
arena_reserved(const arena_t *a)
{
    return a->reserved;
}
