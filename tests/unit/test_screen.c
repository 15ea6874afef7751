/* SPDX-License-Identifier: Apache-2.0 */
/* test_screen.c -- screening semantics on the fixture ruleset, through
 * screen_run and through the embedding API (JSON in, JSON out); the
 * note of a match no rule acts on; and the starter policy's coverage of
 * every match method. */
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
#include "expr.h"
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

/* ---- no silent clears: the note -------------------------------------- */

/* A match no rule acts on: the verdict stays clear, and the note says
 * which organisation matched, how, and what the request shows. */
static void
test_note_when_no_rule_acts(void **state)
{
    fx_t *f = *state;
    request_t q;
    request_init(&q);
    /* A defence conglomerate: the fixture acts on it only on sensitive work. */
    q.name = "China Electronics Technology Group Corporation";
    q.activity = "other";
    result_t r;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    assert_int_equal(r.verdict, 0);
    assert_int_equal(r.n_rules, 0);
    assert_int_equal(r.n_matches, 1);
    assert_non_null(r.note);
    assert_non_null(strstr(r.note, "The partner matched cetc (exact) in the registry, but no rule "
                                   "acts on this match"));
    assert_non_null(strstr(r.note, "Here no technology was given or spotted in the text. "));
    assert_null(strstr(r.note, "current = false"));
    assert_non_null(strstr(r.note, "Check the match before relying on this verdict."));

    /* A past tie, no technology, no activity: all three said. */
    arena_reset(f->a);
    q.activity = NULL;
    q.current = false;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    assert_int_equal(r.n_rules, 0);
    assert_non_null(r.note);
    assert_non_null(strstr(r.note, "Here the tie is past (current = false), no technology was "
                                   "given or spotted in the text and no activity was given. "));

    /* With sensitive work a rule acts (mcf-related): no note. */
    arena_reset(f->a);
    const char *tech[] = {"ai"};
    q.tech = tech;
    q.n_tech = 1;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    assert_true(fired(f, &r, "mcf-related"));
    assert_null(r.note);
}

/* A rule that fired, or no match at all: no note. */
static void
test_no_note_otherwise(void **state)
{
    fx_t *f = *state;
    request_t q;
    request_init(&q);
    q.name = "Harbin Institue of Technology"; /* fuzzy, and fuzzy-confirm acts on it */
    result_t r;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    assert_true(r.n_matches >= 1);
    assert_int_equal(r.matches[0].method, MATCH_FUZZY);
    assert_true(fired(f, &r, "fuzzy-confirm"));
    assert_null(r.note);

    arena_reset(f->a);
    request_init(&q);
    q.name = "University of Toronto";
    q.current = false;
    assert_int_equal(screen_run(f->rs, &q, f->a, &r), 0);
    assert_int_equal(r.n_matches, 0);
    assert_null(r.note);
}

/* The note through the reply: after "rules", as PROTOCOL.md shows. */
static void
test_note_in_reply(void **state)
{
    (void)state;
    char *errs = NULL;
    vet_engine_t *e = vet_engine_load(GOOD, &errs);
    assert_non_null(e);
    vet_worker_t *w = vet_worker_new();
    const char *req = "{\"id\":\"n-1\",\"partner\":{\"name\":\"China Electronics Technology "
                      "Group Corporation\"},\"activity\":\"other\"}";
    const char *reply;
    size_t n;
    assert_int_equal(vet_engine_screen(e, w, req, strlen(req), &reply, &n), 0);
    assert_non_null(strstr(reply, "\"verdict\":\"clear\""));
    assert_non_null(strstr(reply, "\"rules\":[],\"note\":\"The partner matched cetc (exact) "));
    const char *req2 = "{\"id\":\"n-2\",\"partner\":{\"name\":\"Somewhere Else\"}}";
    assert_int_equal(vet_engine_screen(e, w, req2, strlen(req2), &reply, &n), 0);
    assert_null(strstr(reply, "\"note\""));
    vet_worker_destroy(&w);
    vet_engine_destroy(&e);
}

/* ---- the starter policy: every identification is covered ------------ */

/* The verdict index of the most severe rule firing on entity e matched
 * by method m, in the situation of f (-1: none fires). */
static int
worst_fired(const ruleset_t *rs, expr_facts_t *f, const reg_entity_t *e, match_method_t m)
{
    f->entity = e;
    f->method = (int)m;
    f->match = m == MATCH_ID || m == MATCH_EXACT ? 1.0 : 0.9;
    int worst = -1;
    for (size_t r = 0; r < rs->n_rules; r++)
        if (expr_eval(rs->rules[r].when, f) == 1 && rs->rules[r].verdict > worst)
            worst = rs->rules[r].verdict;
    return worst;
}

/* Issue 12, "no silent clears", on rules/ itself: for every organisation
 * of the registry and every situation (activity, current or past, no,
 * given or spotted sensitive technology), an identification to confirm
 * (fuzzy, unit, related) fires a rule exactly when a confident one (id,
 * exact) would, and never more than review. So no list or tag the policy
 * acts on is left without a rule for the weaker identifications, and a
 * resemblance never asks more than the organisation itself would. */
static void
test_starter_policy_covers_every_method(void **state)
{
    (void)state;
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load("rules", d);
    if (rs == NULL)
        diag_print(d, stderr);
    diag_destroy(&d);
    assert_non_null(rs);
    int review = vocab_find(&rs->verdicts, "review");
    assert_true(review >= 0);
    size_t words = tax_words(rs->tax) + 1;
    uint64_t *none = calloc(words, sizeof *none), *ai = calloc(words, sizeof *ai);
    assert_non_null(none);
    assert_non_null(ai);
    int c = tax_find(rs->tax, "ai");
    assert_true(c >= 0);
    ai[c / 64] |= 1ULL << (c % 64);
    static const match_method_t weak[] = {MATCH_UNIT, MATCH_RELATED, MATCH_FUZZY};
    size_t situations = 0, acted = 0;
    for (size_t i = 0; i < rs->n_ents; i++) {
        const reg_entity_t *e = &rs->ents[i];
        for (int act = -1; act < (int)rs->activities.n; act++)
            for (int cur = 0; cur < 2; cur++)
                for (int tech = 0; tech < 3; tech++) {
                    expr_facts_t f = {
                        .ents = rs->ents,
                        .type = -1,
                        .given = tech == 1 ? ai : none,
                        .spotted = tech == 2 ? ai : none,
                        .activity = act,
                        .current = cur == 1,
                    };
                    situations++;
                    int exact = worst_fired(rs, &f, e, MATCH_EXACT);
                    assert_int_equal(worst_fired(rs, &f, e, MATCH_ID), exact);
                    acted += exact >= 0;
                    for (size_t k = 0; k < sizeof weak / sizeof weak[0]; k++) {
                        int got = worst_fired(rs, &f, e, weak[k]);
                        if ((got >= 0) != (exact >= 0) || got > review)
                            fail_msg("%s by %s (activity %s, %s, %s): exact gives %s, %s gives %s",
                                     e->id, match_method_name(weak[k]),
                                     act >= 0 ? rs->activities.names[act] : "none",
                                     cur ? "current" : "past",
                                     tech == 0   ? "no technology"
                                     : tech == 1 ? "ai given"
                                                 : "ai spotted",
                                     exact >= 0 ? rs->verdicts.names[exact] : "nothing",
                                     match_method_name(weak[k]),
                                     got >= 0 ? rs->verdicts.names[got] : "nothing");
                    }
                }
    }
    /* The sweep saw the policy act, and not everywhere. */
    assert_true(acted > 0 && acted < situations);
    free(none);
    free(ai);
    ruleset_destroy(&rs);
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
        cmocka_unit_test(test_note_when_no_rule_acts),
        cmocka_unit_test(test_no_note_otherwise),
        cmocka_unit_test(test_note_in_reply),
        cmocka_unit_test(test_starter_policy_covers_every_method),
        cmocka_unit_test(test_engine_api_json_and_threads),
    };
    return cmocka_run_group_tests_name("screen", tests, setup, teardown);
}
