/* SPDX-License-Identifier: Apache-2.0 */
/* test_idtab.c -- vet batch's table of ids on the wire (clients/c/idtab.c):
 * every operation checked against a plain array, through growth and the
 * backward-shift removals that keep probe runs whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idtab.h"

#define KEYS 3000 /* distinct keys drawn from: several growths of the table */

/* The model: which keys are in, with their owner. */
typedef struct model {
    bool in[KEYS];
    uint64_t owner[KEYS];
    size_t count;
} model_t;

static void
key_of(int k, char *buf, size_t n)
{
    snprintf(buf, n, "id-%d", k);
}

/* Every key is found exactly when the model has it, with its owner. */
static void
check_all(idtab_t *t, const model_t *m)
{
    assert_int_equal(idtab_count(t), m->count);
    for (int k = 0; k < KEYS; k++) {
        char key[32];
        key_of(k, key, sizeof key);
        idtab_entry_t *e = idtab_get(t, key, strlen(key));
        if (!m->in[k]) {
            if (e != NULL)
                fail_msg("key %s found after its removal", key);
            continue;
        }
        if (e == NULL)
            fail_msg("key %s lost", key);
        assert_string_equal(e->key, key);
        assert_int_equal(e->len, strlen(key));
        assert_int_equal(e->owner, m->owner[k]);
    }
}

/* Random adds and removals, the table checked whole every 500 steps and
 * at the end: removals in the middle of probe runs must leave every other
 * key reachable. */
static void
test_against_model(void **state)
{
    (void)state;
    idtab_t *t = idtab_new();
    assert_non_null(t);
    model_t *m = calloc(1, sizeof *m);
    assert_non_null(m);
    srand(15);
    for (int step = 0; step < 60000; step++) {
        int k = rand() % KEYS;
        char key[32];
        key_of(k, key, sizeof key);
        idtab_entry_t *e = idtab_get(t, key, strlen(key));
        assert_true((e != NULL) == m->in[k]);
        /* Fill up to about two thirds of the keys, then churn. */
        bool add = !m->in[k] && (m->count < KEYS * 2 / 3 || rand() % 2 == 0);
        if (add) {
            e = idtab_add(t, key, strlen(key), (uint64_t)step);
            assert_non_null(e);
            assert_int_equal(e->outstanding, 0);
            m->in[k] = true;
            m->owner[k] = (uint64_t)step;
            m->count++;
        } else if (m->in[k]) {
            e->outstanding++; /* a field the caller changes in place */
            idtab_remove(t, e);
            m->in[k] = false;
            m->count--;
        }
        if (step % 500 == 0)
            check_all(t, m);
    }
    check_all(t, m);
    /* Empty it: the table ends empty and every key is gone. */
    for (int k = 0; k < KEYS; k++) {
        char key[32];
        key_of(k, key, sizeof key);
        idtab_entry_t *e = idtab_get(t, key, strlen(key));
        if (e != NULL) {
            idtab_remove(t, e);
            m->in[k] = false;
            m->count--;
        }
    }
    check_all(t, m);
    free(m);
    idtab_destroy(&t);
    assert_null(t);
    idtab_destroy(&t); /* NULL is accepted */
}

/* Keys are bytes: a prefix, an empty key and one with a NUL-free
 * non-ASCII text are distinct keys. */
static void
test_bytes(void **state)
{
    (void)state;
    idtab_t *t = idtab_new();
    assert_non_null(t);
    assert_non_null(idtab_add(t, "grant-4711", 10, 1));
    assert_non_null(idtab_add(t, "grant-471", 9, 2));
    assert_non_null(idtab_add(t, "", 0, 3));
    assert_non_null(idtab_add(t, "哈工大", strlen("哈工大"), 4));
    assert_int_equal(idtab_get(t, "grant-4711", 10)->owner, 1);
    assert_int_equal(idtab_get(t, "grant-471", 9)->owner, 2);
    assert_int_equal(idtab_get(t, "", 0)->owner, 3);
    assert_int_equal(idtab_get(t, "哈工大", strlen("哈工大"))->owner, 4);
    assert_null(idtab_get(t, "grant-47", 8));
    idtab_entry_t *e = idtab_get(t, "grant-471", 9);
    e->owner = IDTAB_NONE;
    assert_int_equal(idtab_get(t, "grant-471", 9)->owner, IDTAB_NONE);
    idtab_remove(t, e);
    assert_null(idtab_get(t, "grant-471", 9));
    assert_int_equal(idtab_get(t, "grant-4711", 10)->owner, 1);
    assert_int_equal(idtab_count(t), 3);
    idtab_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_model),
        cmocka_unit_test(test_bytes),
    };
    return cmocka_run_group_tests_name("idtab", tests, NULL, NULL);
}
