/* test_screen.c -- screening semantics on the fixture ruleset, through
 * screen_run and through the embedding API (JSON in, JSON out). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "request.h"
#include "ruleset.h"
#include "screen.h"
#include "vet_engine.h"

#define GOOD "tests/fixtures/rulesets/good"

typedef struct fx {
    ruleset_t *rs; /* the fixture ruleset */
    arena_t *a;    /* request scratch */
} fx_t;

static int
setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    diag_t *d = diag_new(0);
    f->rs = ruleset_load(GOOD, d);
    if (f->rs == NULL)
        diag_print(d, stderr);
    diag_destroy(&d);
    f->a = arena_new(0);
    *state = f;
    return f->rs == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    fx_t *f = *state;
    ruleset_destroy(&f->rs);
    arena_destroy(&f->a);
    free(f);
    return 0;
}

static bool
fired(const fx_t *f, const result_t *r, const char *id)
{
    for (size_t i = 0; i < r->n_rules; i++)
        if (strcmp(f->rs->rules[r->rules[i].rule].id, id) == 0)
            return true;
    return false;
}

static void
test_strac_prohibits_current_affiliation(void **state)
{
    fx_t *f = *state;
    request_t q;
    request_init(&q);
    q.name = "Harbin Institute of Technology";
    q.country = "CN";
    const char *tech[] = {"quantum.sensing"};
    q.tech = tech;
    q.n_tech = 1;
    q.activity = "affiliation";
    result_t r;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    assert_string_equal(f->rs->verdicts.names[r.verdict], "prohibited");
    assert_int_equal(r.score, 100);
    assert_true(fired(f, &r, "strac-nro"));
    assert_true(fired(f, &r, "nro-named"));
    assert_int_equal(r.n_rules, 2);
    assert_true(r.n_matches >= 1);
    assert_string_equal(f->rs->ents[r.matches[0].entity].id, "hit");
    assert_int_equal(r.matches[0].method, MATCH_EXACT);
    assert_true(r.matches[0].score == 1.0);
    /* The rule records the entity it fired on. */
    assert_string_equal(f->rs->ents[r.rules[0].entity].id, "hit");
    /* Given category reported, not spotted. */
    assert_int_equal(r.n_cats, 1);
    assert_string_equal(tax_get(f->rs->tax, r.cats[0].cat)->code, "quantum.sensing");
    assert_true(r.cats[0].given);
    assert_false(r.cats[0].spotted);

    /* Past affiliation: STRAC does not count it. */
    arena_reset(f->a);
    q.current = false;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    assert_string_equal(f->rs->verdicts.names[r.verdict], "review");
    assert_false(fired(f, &r, "strac-nro"));
}

static void
test_nothing_fires_is_clear(void **state)
{
    fx_t *f = *state;
    request_t q;
    request_init(&q);
    q.name = "University of Toronto";
    result_t r;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    assert_int_equal(r.verdict, 0);
    assert_int_equal(r.score, 0);
    assert_int_equal(r.n_rules, 0);
    assert_int_equal(r.n_matches, 0);
}

static void
test_spotted_evidence(void **state)
{
    fx_t *f = *state;
    request_t q;
    request_init(&q);
    q.name = "Beihang University";
    q.text = "A study of Hypersonic flows, scramjet engines and (again) hypersonic drag; "
             "machine-learning surrogates.";
    result_t r;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    assert_int_equal(r.n_cats, 2);
    /* taxonomy order: ai.ml before aerospace.hypersonics */
    assert_string_equal(tax_get(f->rs->tax, r.cats[0].cat)->code, "ai.ml");
    assert_int_equal(r.cats[0].n_evidence, 1);
    assert_string_equal(r.cats[0].evidence[0], "machine learning");
    assert_string_equal(tax_get(f->rs->tax, r.cats[1].cat)->code, "aerospace.hypersonics");
    assert_int_equal(r.cats[1].n_evidence, 2); /* deduplicated */
    assert_true(r.cats[1].spotted && !r.cats[1].given);
    assert_true(fired(f, &r, "nro-keywords"));
    assert_string_equal(f->rs->verdicts.names[r.verdict], "review");
}

static void
test_bad_requests(void **state)
{
    fx_t *f = *state;
    request_t q;
    request_init(&q);
    q.name = "X";
    const char *tech[] = {"ai", "quantum.sensng"};
    q.tech = tech;
    q.n_tech = 2;
    result_t r;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), -1);
    assert_int_equal(r.err, ERR_BAD_REQUEST);
    assert_non_null(strstr(
        r.errmsg, "technologies[1]: unknown code \"quantum.sensng\" (nearest: quantum.sensing"));

    request_init(&q);
    q.name = "X";
    q.activity = "joint_lba";
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), -1);
    assert_string_equal(r.errmsg,
                        "activity: unknown activity \"joint_lba\" (did you mean \"joint_lab\"?)");

    request_init(&q);
    q.name = "X";
    q.type = "univ";
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), -1);
    assert_string_equal(r.errmsg, "partner.type: unknown partner type \"univ\"");

    request_init(&q);
    q.name = "";
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), -1);
    assert_string_equal(r.errmsg, "partner.name: required");

    request_init(&q);
    q.name = "Bad \xff name";
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), -1);
    assert_int_equal(r.err, ERR_BAD_REQUEST);
    assert_non_null(strstr(r.errmsg, "UTF-8"));
}

static void
test_scratch_stops_growing(void **state)
{
    fx_t *f = *state;
    request_t q;
    request_init(&q);
    q.name = "Harbin Institue of Technology"; /* fuzzy path */
    q.text = "intelligent command and control with big data and quantum computing";
    result_t r;
    for (int i = 0; i < 10; i++) {
        arena_reset(f->a);
        assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    }
    size_t reserved = arena_reserved(f->a);
    for (int i = 0; i < 1000; i++) {
        arena_reset(f->a);
        assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    }
    assert_int_equal(arena_reserved(f->a), reserved);
}

/* ---- through the embedding API ------------------------------------- */

static const char *REQ =
    "{\"id\":\"r-1\",\"partner\":{\"name\":\"Harbin Institute of Technology\",\"country\":\"CN\"},"
    "\"technologies\":[\"ai\"],\"activity\":\"affiliation\","
    "\"text\":\"intelligent command and control\"}";

typedef struct th {
    const vet_engine_t *e; /* shared engine */
    int ok;                /* replies that matched */
} th_t;

static void *
worker(void *arg)
{
    th_t *t = arg;
    vet_worker_t *w = vet_worker_new();
    for (int i = 0; i < 2000; i++) {
        const char *reply;
        size_t n;
        if (vet_engine_screen(t->e, w, REQ, strlen(REQ), &reply, &n) == 0 &&
            strstr(reply, "\"verdict\":\"prohibited\"") != NULL)
            t->ok++;
    }
    vet_worker_destroy(&w);
    return NULL;
}

static void
test_engine_api_json_and_threads(void **state)
{
    (void)state;
    char *errs = NULL;
    vet_engine_t *e = vet_engine_load(GOOD, &errs);
    assert_non_null(e);
    assert_null(errs);
    assert_string_equal(vet_engine_version(e), "fixture-1");
    assert_int_equal(strlen(vet_engine_digest(e)), 64);
    vet_worker_t *w = vet_worker_new();
    const char *reply;
    size_t n;
    assert_int_equal(vet_engine_screen(e, w, REQ, strlen(REQ), &reply, &n), 0);
    cJSON *j = cJSON_Parse(reply);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "id")->valuestring, "r-1");
    assert_string_equal(cJSON_GetObjectItem(j, "verdict")->valuestring, "prohibited");
    cJSON *rules = cJSON_GetObjectItem(j, "rules");
    assert_int_equal(cJSON_GetArraySize(rules), 2);
    cJSON *m0 =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "partner"), "matches"), 0);
    assert_string_equal(cJSON_GetObjectItem(m0, "entity")->valuestring, "hit");
    assert_string_equal(cJSON_GetObjectItem(m0, "method")->valuestring, "exact");
    cJSON *rsj = cJSON_GetObjectItem(j, "ruleset");
    assert_string_equal(cJSON_GetObjectItem(rsj, "digest")->valuestring, vet_engine_digest(e));
    cJSON_Delete(j);

    /* Errors are replies too, and the worker stays usable. */
    const char *bad = "{\"id\":7,\"partner\":{\"name\":42}}";
    assert_int_equal(vet_engine_screen(e, w, bad, strlen(bad), &reply, &n), 1);
    assert_non_null(strstr(reply, "\"bad_request\""));
    assert_non_null(strstr(reply, "partner.name: expected a string"));
    assert_int_equal(vet_engine_screen(e, w, REQ, strlen(REQ), &reply, &n), 0);

    /* Shared immutable ruleset, one worker per thread: same answers. */
    th_t t[2] = {{e, 0}, {e, 0}};
    pthread_t tid[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&tid[i], NULL, worker, &t[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(tid[i], NULL);
    assert_int_equal(t[0].ok, 2000);
    assert_int_equal(t[1].ok, 2000);
    vet_worker_destroy(&w);
    vet_engine_destroy(&e);

    /* A broken ruleset: NULL and the errors as text. */
    assert_null(vet_engine_load("/nonexistent", &errs));
    assert_non_null(errs);
    assert_non_null(strstr(errs, "/nonexistent: not a ruleset directory"));
    free(errs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strac_prohibits_current_affiliation),
        cmocka_unit_test(test_nothing_fires_is_clear),
        cmocka_unit_test(test_spotted_evidence),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_scratch_stops_growing),
        cmocka_unit_test(test_engine_api_json_and_threads),
    };
    return cmocka_run_group_tests_name("screen", tests, setup, teardown);
}
