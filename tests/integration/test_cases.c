/* SPDX-License-Identifier: Apache-2.0 */
/* test_cases.c -- the shared protocol cases (tests/cases/protocol.json),
 * run through libvet against a real vetd serving the cases' ruleset: one
 * CMocka test per case, every "expect" field checked. Needs $VETD_BIN and
 * $VET_TESTS_DIR (tests/run.sh sets them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vet.h"

#define MAX_CASES 256

/* The daemon and the cases, shared by every test. */
typedef struct cases {
    tu_vetd_t vetd;       /* the daemon and its directory */
    cJSON *doc;           /* owned: the parsed protocol.json */
    vet_client_t *client; /* owned */
} cases_t;

/* What one test gets: the shared state and its case (borrowed). */
typedef struct one_case {
    cases_t *all;
    const cJSON *c;
} one_case_t;

/* The file names its ruleset from the repository's root ("tests/...");
 * with the tests elsewhere ($VET_TESTS_DIR), the same path under it. */
static void
ruleset_path(char *buf, size_t n, const char *ruleset)
{
    const char *tests = tu_env_or("VET_TESTS_DIR", "tests");
    if (strncmp(ruleset, "tests/", 6) == 0)
        snprintf(buf, n, "%s/%s", tests, ruleset + 6);
    else
        snprintf(buf, n, "%s", ruleset);
}

/* Starts vetd on the cases' ruleset in a private directory and waits
 * until it answers; 0 or -1. */
static int
cases_start(cases_t *s)
{
    const char *rs = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s->doc, "ruleset"));
    if (rs == NULL) {
        fprintf(stderr, "protocol.json: no \"ruleset\"\n");
        return -1;
    }
    char rules[512];
    ruleset_path(rules, sizeof rules, rs);
    tu_vetd_t *d = &s->vetd;
    if (tu_vetd_init(d, "cases") != 0)
        return -1;
    const char *args[] = {"-r", rules, "-e", d->ep, "-a", d->audit, "-w", "2", NULL};
    if (tu_vetd_spawn(d, args) != 0 || tu_vetd_wait(d) != 0)
        return -1;
    s->client = vet_client_new(d->ep);
    return s->client != NULL ? 0 : -1;
}

static void
cases_stop(cases_t *s)
{
    vet_client_destroy(&s->client);
    tu_vetd_stop(&s->vetd);
    tu_vetd_cleanup(&s->vetd);
}

static const cJSON *
item(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* Checks that the strings at key of each element of arr, in order, are
 * the strings of want. */
static void
check_list(const char *name, const cJSON *arr, const char *key, const cJSON *want)
{
    if (!cJSON_IsArray(want))
        fail_msg("expect.%s: not an array", name);
    if (!cJSON_IsArray(arr))
        fail_msg("%s: the reply has no array", name);
    int n = cJSON_GetArraySize(want);
    if (cJSON_GetArraySize(arr) != n)
        fail_msg("%s: %d in the reply, %d expected", name, cJSON_GetArraySize(arr), n);
    for (int i = 0; i < n; i++) {
        const cJSON *got = cJSON_GetArrayItem(arr, i);
        const char *g = cJSON_GetStringValue(key != NULL ? item(got, key) : got);
        const char *w = cJSON_GetStringValue(cJSON_GetArrayItem(want, i));
        if (g == NULL || w == NULL || strcmp(g, w) != 0)
            fail_msg("%s[%d]: \"%s\", expected \"%s\"", name, i, g ? g : "(none)",
                     w ? w : "(none)");
    }
}

/* Checks the member of the first partner match (expect null: no match). */
static void
check_match(const cJSON *reply, const char *key, const cJSON *want)
{
    const cJSON *first = cJSON_GetArrayItem(item(item(reply, "partner"), "matches"), 0);
    if (cJSON_IsNull(want)) {
        if (first != NULL)
            fail_msg("%s: a match, none expected", key);
        return;
    }
    const char *g = cJSON_GetStringValue(item(first, key));
    const char *w = cJSON_GetStringValue(want);
    if (w == NULL)
        fail_msg("expect.%s: not a string or null", key);
    if (g == NULL || strcmp(g, w) != 0)
        fail_msg("%s of the first match: \"%s\", expected \"%s\"", key, g ? g : "(none)", w);
}

static void
check_string(const char *name, const cJSON *got, const cJSON *want)
{
    const char *g = cJSON_GetStringValue(got), *w = cJSON_GetStringValue(want);
    if (w == NULL)
        fail_msg("expect.%s: not a string", name);
    if (g == NULL || strcmp(g, w) != 0)
        fail_msg("%s: \"%s\", expected \"%s\"", name, g ? g : "(none)", w);
}

/* Checks one "expect" member against the reply. */
static void
check_expect(const cJSON *reply, const cJSON *e)
{
    const char *k = e->string;
    const cJSON *err = item(reply, "error");
    if (strcmp(k, "id") == 0 || strcmp(k, "verdict") == 0) {
        check_string(k, item(reply, k), e);
    } else if (strcmp(k, "score") == 0) {
        const cJSON *g = item(reply, "score");
        if (!cJSON_IsNumber(g) || !cJSON_IsNumber(e) || g->valuedouble != e->valuedouble)
            fail_msg("score: %g, expected %g", cJSON_IsNumber(g) ? g->valuedouble : -1,
                     cJSON_IsNumber(e) ? e->valuedouble : -1);
    } else if (strcmp(k, "rules") == 0) {
        check_list(k, item(reply, "rules"), "id", e);
    } else if (strcmp(k, "categories") == 0) {
        check_list(k, item(reply, "categories"), "code", e);
    } else if (strcmp(k, "entity") == 0 || strcmp(k, "method") == 0) {
        check_match(reply, k, e);
    } else if (strcmp(k, "error") == 0) {
        check_string("error.code", item(err, "code"), e);
    } else if (strcmp(k, "message_contains") == 0) {
        const char *m = cJSON_GetStringValue(item(err, "message"));
        const char *w = cJSON_GetStringValue(e);
        if (w == NULL)
            fail_msg("expect.message_contains: not a string");
        if (m == NULL || strstr(m, w) == NULL)
            fail_msg("error.message \"%s\" does not contain \"%s\"", m ? m : "(none)", w);
    } else if (strcmp(k, "ok") == 0) {
        const cJSON *g = item(reply, "ok");
        if (!cJSON_IsBool(g) || !cJSON_IsBool(e) || cJSON_IsTrue(g) != cJSON_IsTrue(e))
            fail_msg("ok: not %s", cJSON_IsTrue(e) ? "true" : "false");
    } else if (strcmp(k, "ruleset_version") == 0) {
        check_string(k, item(item(reply, "ruleset"), "version"), e);
    } else if (strcmp(k, "profile") == 0) {
        check_string(k, item(reply, "profile"), e);
    } else if (strcmp(k, "note_contains") == 0) {
        const char *note = cJSON_GetStringValue(item(reply, "note"));
        if (cJSON_IsNull(e)) {
            if (item(reply, "note") != NULL)
                fail_msg("note: \"%s\", none expected", note ? note : "(not a string)");
        } else {
            const char *w = cJSON_GetStringValue(e);
            if (w == NULL)
                fail_msg("expect.note_contains: not a string or null");
            if (note == NULL || strstr(note, w) == NULL)
                fail_msg("note \"%s\" does not contain \"%s\"", note ? note : "(none)", w);
        }
    } else {
        /* A field this test does not know would go unchecked. */
        fail_msg("expect.%s: unknown to test_cases.c", k);
    }
}

static void
test_case(void **state)
{
    one_case_t *oc = *state;
    const cJSON *c = oc->c;
    const cJSON *req = item(c, "request"), *raw = item(c, "raw"), *expect = item(c, "expect");
    assert_true(cJSON_IsObject(expect));
    assert_true((req != NULL) != (raw != NULL));
    char *text = req != NULL ? cJSON_PrintUnformatted(req) : strdup(cJSON_GetStringValue(raw));
    assert_non_null(text);
    char *reply = NULL;
    size_t len = 0;
    int rc = vet_call(oc->all->client, text, strlen(text), 5000, &reply, &len);
    free(text);
    if (rc != VET_OK)
        fail_msg("vet_call: %s", vet_client_error(oc->all->client));
    cJSON *r = cJSON_ParseWithLength(reply, len);
    if (!cJSON_IsObject(r))
        fail_msg("reply is not a JSON object: %s", reply);
    vet_free(reply);
    /* An error is expected exactly when the case says so. */
    if ((item(expect, "error") != NULL) != (item(r, "error") != NULL)) {
        char *p = cJSON_PrintUnformatted(r);
        fprintf(stderr, "reply: %s\n", p ? p : "?");
        free(p);
        cJSON_Delete(r);
        fail_msg("%s", item(expect, "error") ? "no error reply" : "an unexpected error reply");
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, expect)
    {
        check_expect(r, e);
    }
    cJSON_Delete(r);
}

int
main(void)
{
    cases_t all = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/cases/protocol.json", tu_env_or("VET_TESTS_DIR", "tests"));
    char *text = tu_read_file(path, NULL);
    if (text == NULL) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    all.doc = cJSON_Parse(text);
    free(text);
    const cJSON *cs = item(all.doc, "cases");
    int n = cJSON_GetArraySize(cs);
    if (!cJSON_IsArray(cs) || n == 0 || n > MAX_CASES) {
        fprintf(stderr, "%s: no \"cases\" array (or more than %d)\n", path, MAX_CASES);
        cJSON_Delete(all.doc);
        return 1;
    }
    struct CMUnitTest tests[MAX_CASES];
    one_case_t states[MAX_CASES];
    for (int i = 0; i < n; i++) {
        const cJSON *c = cJSON_GetArrayItem(cs, i);
        const char *name = cJSON_GetStringValue(item(c, "name"));
        states[i] = (one_case_t){&all, c};
        tests[i] = (struct CMUnitTest){name != NULL ? name : "(unnamed case)", test_case, NULL,
                                       NULL, &states[i]};
    }
    int rc = 1;
    if (cases_start(&all) == 0)
        rc = _cmocka_run_group_tests("protocol cases", tests, (size_t)n, NULL, NULL);
    else
        fprintf(stderr, "[  FAILED  ] 1 test(s): vetd did not start\n");
    cases_stop(&all);
    cJSON_Delete(all.doc);
    return rc;
}
