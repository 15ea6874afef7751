/* SPDX-License-Identifier: Apache-2.0 */
/* test_proto.c -- the wire format: request parsing (every error message),
 * and the result, error and taxonomy replies against exact JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "proto.h"
#include "request.h"
#include "ruleset.h"
#include "sbuf.h"
#include "taxonomy.h"

/* ---- parsing ---- */

typedef struct pfx {
    arena_t *a;      /* per-request arena */
    request_t req;   /* last parsed request */
    req_err_t code;  /* last error code */
    const char *msg; /* last error message */
} pfx_t;

static int
psetup(void **state)
{
    pfx_t *f = calloc(1, sizeof *f);
    f->a = arena_new(0);
    *state = f;
    return f->a == NULL ? -1 : 0;
}

static int
pteardown(void **state)
{
    pfx_t *f = *state;
    arena_destroy(&f->a);
    free(f);
    return 0;
}

/* Parses a NUL-terminated request (the NUL not included), no size limit. */
static int
parse(pfx_t *f, const char *json)
{
    arena_reset(f->a);
    return proto_parse(json, strlen(json), 0, f->a, &f->req, &f->code, &f->msg);
}

/* Parses n bytes copied into a buffer of exactly n bytes, so that any
 * read past the end shows under ASan or valgrind. */
static int
parse_exact(pfx_t *f, const char *json, size_t n, size_t max)
{
    char *buf = malloc(n ? n : 1);
    memcpy(buf, json, n);
    arena_reset(f->a);
    int rc = proto_parse(buf, n, max, f->a, &f->req, &f->code, &f->msg);
    free(buf);
    return rc;
}

static void
test_full_example(void **state)
{
    pfx_t *f = *state;
    const char *json =
        "{ \"id\": \"req-17\",\n"
        "  \"op\": \"screen\",\n"
        "  \"partner\": { \"name\": \"Harbin Institute of Technology\", \"aliases\": [\"HIT\"],\n"
        "               \"country\": \"CN\", \"type\": \"university\",\n"
        "               \"ids\": { \"ror\": \"01yqg2h08\" } },\n"
        "  \"technologies\": [\"ai\", \"hypersonics\"],\n"
        "  \"activity\": \"joint_lab\",\n"
        "  \"current\": false,\n"
        "  \"text\": \"Joint laboratory on intelligent command and control using big data\",\n"
        "  \"context\": { \"funder\": \"NSERC\", \"department\": \"EE\" } }\n";
    assert_int_equal(parse(f, json), 0);
    assert_int_equal(f->code, ERR_NONE);
    assert_null(f->msg);
    const request_t *r = &f->req;
    assert_string_equal(r->id, "req-17");
    assert_int_equal(r->op, REQ_OP_SCREEN);
    assert_string_equal(r->name, "Harbin Institute of Technology");
    assert_int_equal(r->n_aliases, 1);
    assert_string_equal(r->aliases[0], "HIT");
    assert_string_equal(r->country, "CN");
    assert_string_equal(r->type, "university");
    assert_int_equal(r->n_ids, 1);
    assert_string_equal(r->id_schemes[0], "ror");
    assert_string_equal(r->id_values[0], "01yqg2h08");
    assert_int_equal(r->n_tech, 2);
    assert_string_equal(r->tech[0], "ai");
    assert_string_equal(r->tech[1], "hypersonics");
    assert_string_equal(r->activity, "joint_lab");
    assert_false(r->current);
    assert_string_equal(r->text,
                        "Joint laboratory on intelligent command and control using big data");
    assert_int_equal(r->n_ctx, 2);
    assert_string_equal(r->ctx[0].key, "funder");
    assert_string_equal(r->ctx[0].str, "NSERC");
    assert_string_equal(r->ctx[1].key, "department");
    assert_string_equal(r->ctx[1].str, "EE");
}

static void
test_defaults(void **state)
{
    pfx_t *f = *state;
    assert_int_equal(parse(f, "{\"partner\":{\"name\":\"X\"}}"), 0);
    const request_t *r = &f->req;
    assert_null(r->id);
    assert_int_equal(r->op, REQ_OP_SCREEN);
    assert_string_equal(r->name, "X");
    assert_int_equal(r->n_aliases, 0);
    assert_null(r->country);
    assert_null(r->type);
    assert_int_equal(r->n_ids, 0);
    assert_int_equal(r->n_tech, 0);
    assert_null(r->activity);
    assert_true(r->current);
    assert_null(r->text);
    assert_int_equal(r->n_ctx, 0);
}

/* null reads as absent for optional fields. */
static void
test_nulls_are_absent(void **state)
{
    pfx_t *f = *state;
    assert_int_equal(parse(f, "{\"id\":null,\"op\":null,\"partner\":{\"name\":\"X\","
                              "\"aliases\":null,\"country\":null,\"type\":null,"
                              "\"ids\":{\"ror\":null}},\"technologies\":null,"
                              "\"activity\":null,\"current\":null,\"text\":null,"
                              "\"context\":{\"a\":null,\"b\":1}}"),
                     0);
    const request_t *r = &f->req;
    assert_null(r->id);
    assert_int_equal(r->op, REQ_OP_SCREEN);
    assert_null(r->country);
    assert_int_equal(r->n_ids, 0);
    assert_true(r->current);
    assert_null(r->activity);
    assert_int_equal(r->n_ctx, 1);
    assert_string_equal(r->ctx[0].key, "b");
}

static void
test_normalised_fields(void **state)
{
    pfx_t *f = *state;
    assert_int_equal(parse(f, "{\"partner\":{\"name\":\"  Harbin\\tInstitute \\n\","
                              "\"aliases\":[\" HIT \"],\"country\":\"cn\","
                              "\"ids\":{\"ROR\":\" 01yqg2h08 \",\"Lei\":\"X\"}}}"),
                     0);
    const request_t *r = &f->req;
    assert_string_equal(r->name, "Harbin\tInstitute");
    assert_string_equal(r->aliases[0], "HIT");
    assert_string_equal(r->country, "CN");
    assert_int_equal(r->n_ids, 2);
    assert_string_equal(r->id_schemes[0], "ror");
    assert_string_equal(r->id_values[0], "01yqg2h08");
    assert_string_equal(r->id_schemes[1], "lei");
    assert_string_equal(r->id_values[1], "X");
}

static void
test_numeric_ids(void **state)
{
    pfx_t *f = *state;
    static const struct {
        const char *json;
        const char *id;
    } cases[] = {
        {"{\"id\":42,\"op\":\"ping\"}", "42"},
        {"{\"id\":-3,\"op\":\"ping\"}", "-3"},
        {"{\"id\":0,\"op\":\"ping\"}", "0"},
        {"{\"id\":-0.0,\"op\":\"ping\"}", "0"},
        {"{\"id\":1.5,\"op\":\"ping\"}", "1.5"},
        {"{\"id\":0.1,\"op\":\"ping\"}", "0.1"},
        {"{\"id\":123456789012,\"op\":\"ping\"}", "123456789012"},
        {"{\"id\":1e20,\"op\":\"ping\"}", "1e+20"},
        {"{\"id\":\"\",\"op\":\"ping\"}", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(parse(f, cases[i].json), 0);
        assert_string_equal(f->req.id, cases[i].id);
        assert_int_equal(f->req.op, REQ_OP_PING);
    }
}

static void
test_admin_ops(void **state)
{
    pfx_t *f = *state;
    static const struct {
        const char *name;
        req_op_t op;
    } ops[] = {
        {"ping", REQ_OP_PING},     {"version", REQ_OP_VERSION},   {"stats", REQ_OP_STATS},
        {"reload", REQ_OP_RELOAD}, {"taxonomy", REQ_OP_TAXONOMY},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char json[64];
        snprintf(json, sizeof json, "{\"op\":\"%s\",\"id\":\"a\"}", ops[i].name);
        assert_int_equal(parse(f, json), 0);
        assert_int_equal(f->req.op, ops[i].op);
        assert_string_equal(f->req.id, "a");
        assert_null(f->req.name);
    }
}

static void
test_context_types(void **state)
{
    pfx_t *f = *state;
    assert_int_equal(parse(f, "{\"partner\":{\"name\":\"X\"},\"context\":{\"funder\":\"NSERC\","
                              "\"amount\":250000.5,\"n\":-2,\"yes\":true,\"no\":false,"
                              "\"empty\":\"\"}}"),
                     0);
    const request_t *r = &f->req;
    assert_int_equal(r->n_ctx, 6);
    assert_string_equal(r->ctx[0].key, "funder");
    assert_string_equal(r->ctx[0].str, "NSERC");
    assert_string_equal(r->ctx[1].key, "amount");
    assert_null(r->ctx[1].str);
    assert_true(r->ctx[1].num == 250000.5);
    assert_null(r->ctx[2].str);
    assert_true(r->ctx[2].num == -2.0);
    assert_string_equal(r->ctx[3].str, "true");
    assert_string_equal(r->ctx[4].str, "false");
    assert_string_equal(r->ctx[5].key, "empty");
    assert_string_equal(r->ctx[5].str, "");
}

static void
test_unicode_accepted(void **state)
{
    pfx_t *f = *state;
    /* raw UTF-8 (Chinese, Cyrillic), and escapes incl. a surrogate pair */
    assert_int_equal(parse(f, "{\"partner\":{\"name\":\"哈尔滨工业大学\","
                              "\"aliases\":[\"Московский\",\"\\u54c8\\u5de5\\u5927\","
                              "\"\\ud83d\\ude00\"]}}"),
                     0);
    assert_string_equal(f->req.name, "哈尔滨工业大学");
    assert_string_equal(f->req.aliases[0], "Московский");
    assert_string_equal(f->req.aliases[1], "哈工大");
    assert_string_equal(f->req.aliases[2], "\xf0\x9f\x98\x80");
}

/* Every string lives in the arena: the input may go away. */
static void
test_strings_copied(void **state)
{
    pfx_t *f = *state;
    char json[] = "{\"id\":\"r\",\"partner\":{\"name\":\"N\",\"aliases\":[\"A\"],"
                  "\"type\":\"company\",\"ids\":{\"ror\":\"V\"}},\"technologies\":[\"ai\"],"
                  "\"activity\":\"funding\",\"text\":\"T\",\"context\":{\"k\":\"v\"}}";
    arena_reset(f->a);
    assert_int_equal(proto_parse(json, strlen(json), 0, f->a, &f->req, &f->code, &f->msg), 0);
    memset(json, 'x', strlen(json));
    const request_t *r = &f->req;
    assert_string_equal(r->id, "r");
    assert_string_equal(r->name, "N");
    assert_string_equal(r->aliases[0], "A");
    assert_string_equal(r->type, "company");
    assert_string_equal(r->id_schemes[0], "ror");
    assert_string_equal(r->id_values[0], "V");
    assert_string_equal(r->tech[0], "ai");
    assert_string_equal(r->activity, "funding");
    assert_string_equal(r->text, "T");
    assert_string_equal(r->ctx[0].key, "k");
    assert_string_equal(r->ctx[0].str, "v");
}

typedef struct err_case {
    const char *json; /* request, NUL-terminated */
    req_err_t code;   /* expected code */
    const char *msg;  /* expected message */
    const char *id;   /* expected echoed id, or NULL */
} err_case_t;

#define P(x) "{\"id\":\"e\",\"partner\":{\"name\":\"X\"," x "}}"
#define T(x) "{\"id\":\"e\",\"partner\":{\"name\":\"X\"}," x "}"

static const err_case_t err_cases[] = {
    /* document */
    {"", ERR_BAD_REQUEST, "invalid JSON at byte 0", NULL},
    {"{\"a\":}", ERR_BAD_REQUEST, "invalid JSON at byte 5", NULL},
    {"{\"id\":\"x\",", ERR_BAD_REQUEST, "invalid JSON at byte 9", NULL},
    {"{\"partner\":{\"name\":\"x\"}} x", ERR_BAD_REQUEST, "invalid JSON at byte 25", NULL},
    {"{\"partner\":{\"name\":\"x\"}}{}", ERR_BAD_REQUEST, "invalid JSON at byte 24", NULL},
    {"[1]", ERR_BAD_REQUEST, "request: expected a JSON object", NULL},
    {"\"x\"", ERR_BAD_REQUEST, "request: expected a JSON object", NULL},
    {"{\"id\":\"e\",\"partner\":{\"name\":\"a\\u0000b\"}}", ERR_BAD_REQUEST,
     "request: \\u0000 at byte 30 is not allowed", NULL},
    /* id and op */
    {"{\"id\":true}", ERR_BAD_REQUEST, "id: expected a string or number", NULL},
    {"{\"id\":[\"a\"]}", ERR_BAD_REQUEST, "id: expected a string or number", NULL},
    {"{\"id\":1e999}", ERR_BAD_REQUEST, "id: number out of range", NULL},
    {"{\"id\":\"r1\",\"op\":\"foo\"}", ERR_UNKNOWN_OP, "unknown op \"foo\"", "r1"},
    {"{\"op\":\"foo\",\"id\":\"r1\"}", ERR_UNKNOWN_OP, "unknown op \"foo\"", "r1"},
    {"{\"id\":7,\"op\":\"scren\"}", ERR_UNKNOWN_OP,
     "unknown op \"scren\" (did you mean \"screen\"?)", "7"},
    {"{\"id\":\"r1\",\"op\":5}", ERR_BAD_REQUEST, "op: expected a string", "r1"},
    {"{\"id\":\"a\",\"id\":\"b\"}", ERR_BAD_REQUEST, "duplicate field \"id\"", "a"},
    {"{\"op\":\"ping\",\"op\":\"ping\"}", ERR_BAD_REQUEST, "duplicate field \"op\"", NULL},
    /* admin ops take only id and op */
    {"{\"id\":\"p\",\"op\":\"ping\",\"partner\":{}}", ERR_BAD_REQUEST, "unknown field \"partner\"",
     "p"},
    {"{\"op\":\"stats\",\"iD\":1}", ERR_BAD_REQUEST, "unknown field \"iD\" (did you mean \"id\"?)",
     NULL},
    {"{\"op\":\"ping\",\"zz\":1}", ERR_BAD_REQUEST, "unknown field \"zz\"", NULL},
    /* top level */
    {"{\"id\":\"e\"}", ERR_BAD_REQUEST, "partner: required", "e"},
    {"{\"id\":\"e\",\"op\":\"screen\",\"partner\":null}", ERR_BAD_REQUEST, "partner: required",
     "e"},
    {"{\"id\":\"e\",\"partner\":[]}", ERR_BAD_REQUEST, "partner: expected an object", "e"},
    {"{\"partner\":{\"name\":\"X\"},\"techs\":[],\"id\":\"late\"}", ERR_BAD_REQUEST,
     "unknown field \"techs\"", "late"},
    {T("\"technology\":[\"ai\"]"), ERR_BAD_REQUEST,
     "unknown field \"technology\" (did you mean \"technologies\"?)", "e"},
    {T("\"Text\":\"x\""), ERR_BAD_REQUEST, "unknown field \"Text\" (did you mean \"text\"?)", "e"},
    {T("\"\":1"), ERR_BAD_REQUEST, "unknown field \"\"", "e"},
    {T("\"partner\":{\"name\":\"Y\"}"), ERR_BAD_REQUEST, "duplicate field \"partner\"", "e"},
    {T("\"technologies\":\"ai\""), ERR_BAD_REQUEST, "technologies: expected an array of strings",
     "e"},
    {T("\"technologies\":[\"ai\",null]"), ERR_BAD_REQUEST, "technologies[1]: expected a string",
     "e"},
    {T("\"activity\":1"), ERR_BAD_REQUEST, "activity: expected a string", "e"},
    {T("\"current\":\"yes\""), ERR_BAD_REQUEST, "current: expected true or false", "e"},
    {T("\"current\":1"), ERR_BAD_REQUEST, "current: expected true or false", "e"},
    {T("\"text\":5"), ERR_BAD_REQUEST, "text: expected a string", "e"},
    {T("\"context\":[]"), ERR_BAD_REQUEST, "context: expected an object", "e"},
    {T("\"context\":\"x\""), ERR_BAD_REQUEST, "context: expected an object", "e"},
    {T("\"context\":{\"foo\":{\"a\":1}}"), ERR_BAD_REQUEST,
     "context.foo: expected a string, number or boolean", "e"},
    {T("\"context\":{\"ok\":1,\"foo\":[1]}"), ERR_BAD_REQUEST,
     "context.foo: expected a string, number or boolean", "e"},
    {T("\"context\":{\"\":1}"), ERR_BAD_REQUEST, "context: empty key", "e"},
    {T("\"context\":{\"a\":1,\"a\":\"2\"}"), ERR_BAD_REQUEST, "duplicate field \"context.a\"", "e"},
    {T("\"context\":{\"a\":-1e999}"), ERR_BAD_REQUEST, "context.a: number out of range", "e"},
    /* partner */
    {"{\"id\":\"e\",\"partner\":{}}", ERR_BAD_REQUEST, "partner.name: required", "e"},
    {"{\"id\":\"e\",\"partner\":{\"name\":null}}", ERR_BAD_REQUEST, "partner.name: required", "e"},
    {"{\"id\":\"e\",\"partner\":{\"name\":5}}", ERR_BAD_REQUEST, "partner.name: expected a string",
     "e"},
    {"{\"id\":\"e\",\"partner\":{\"name\":\" \\t\\n \"}}", ERR_BAD_REQUEST, "partner.name: empty",
     "e"},
    {"{\"id\":\"e\",\"partner\":{\"name\":\"\"}}", ERR_BAD_REQUEST, "partner.name: empty", "e"},
    {"{\"id\":\"e\",\"partner\":{\"nmae\":\"X\"}}", ERR_BAD_REQUEST,
     "unknown field \"partner.nmae\" (did you mean \"partner.name\"?)", "e"},
    {P("\"zzzzzzz\":1"), ERR_BAD_REQUEST, "unknown field \"partner.zzzzzzz\"", "e"},
    {P("\"name\":\"Y\""), ERR_BAD_REQUEST, "duplicate field \"partner.name\"", "e"},
    {P("\"aliases\":\"HIT\""), ERR_BAD_REQUEST, "partner.aliases: expected an array of strings",
     "e"},
    {P("\"aliases\":[\"a\",\"b\",3]"), ERR_BAD_REQUEST, "partner.aliases[2]: expected a string",
     "e"},
    {P("\"aliases\":[\"a\",\"  \"]"), ERR_BAD_REQUEST, "partner.aliases[1]: empty", "e"},
    {P("\"country\":\"CHN\""), ERR_BAD_REQUEST,
     "partner.country: expected an ISO 3166-1 alpha-2 code (did you mean \"CN\"?)", "e"},
    {P("\"country\":\"South Korea\""), ERR_BAD_REQUEST,
     "partner.country: expected an ISO 3166-1 alpha-2 code (did you mean \"KR\"?)", "e"},
    {P("\"country\":\"Korea\""), ERR_BAD_REQUEST,
     "partner.country: expected an ISO 3166-1 alpha-2 code", "e"},
    {P("\"country\":\"C1\""), ERR_BAD_REQUEST,
     "partner.country: expected an ISO 3166-1 alpha-2 code", "e"},
    {P("\"country\":\"\""), ERR_BAD_REQUEST, "partner.country: expected an ISO 3166-1 alpha-2 code",
     "e"},
    {P("\"country\":86"), ERR_BAD_REQUEST, "partner.country: expected an ISO 3166-1 alpha-2 code",
     "e"},
    {P("\"type\":3"), ERR_BAD_REQUEST, "partner.type: expected a string", "e"},
    {P("\"ids\":[]"), ERR_BAD_REQUEST, "partner.ids: expected an object", "e"},
    {P("\"ids\":{\"ror\":5}"), ERR_BAD_REQUEST, "partner.ids.ror: expected a string", "e"},
    {P("\"ids\":{\"ROR\":\" \"}"), ERR_BAD_REQUEST, "partner.ids.ror: empty", "e"},
    {P("\"ids\":{\"ror\":\"a\",\"ROR\":\"b\"}"), ERR_BAD_REQUEST,
     "duplicate field \"partner.ids.ror\"", "e"},
    {P("\"ids\":{\"\":\"a\"}"), ERR_BAD_REQUEST, "partner.ids: empty key", "e"},
    /* invalid UTF-8: raw bytes, overlong, surrogate, truncated */
    {"{\"id\":\"e\",\"partner\":{\"name\":\"\xff\"}}", ERR_BAD_REQUEST,
     "partner.name: invalid UTF-8", "e"},
    {"{\"id\":\"e\",\"partner\":{\"name\":\"\xc0\xaf\"}}", ERR_BAD_REQUEST,
     "partner.name: invalid UTF-8", "e"},
    {"{\"id\":\"e\",\"partner\":{\"name\":\"a\xed\xa0\x80\"}}", ERR_BAD_REQUEST,
     "partner.name: invalid UTF-8", "e"},
    {P("\"aliases\":[\"ok\",\"\xe5\x93\"]"), ERR_BAD_REQUEST, "partner.aliases[1]: invalid UTF-8",
     "e"},
    {P("\"type\":\"\x80\""), ERR_BAD_REQUEST, "partner.type: invalid UTF-8", "e"},
    {P("\"ids\":{\"ror\":\"\xfe\"}"), ERR_BAD_REQUEST, "partner.ids.ror: invalid UTF-8", "e"},
    {P("\"ids\":{\"r\xf0r\":\"1\"}"), ERR_BAD_REQUEST, "partner.ids: invalid UTF-8 in a field name",
     "e"},
    {P("\"n\xe9\":1"), ERR_BAD_REQUEST, "partner: invalid UTF-8 in a field name", "e"},
    {T("\"t\xe9\":1"), ERR_BAD_REQUEST, "request: invalid UTF-8 in a field name", "e"},
    {T("\"text\":\"caf\xe9\""), ERR_BAD_REQUEST, "text: invalid UTF-8", "e"},
    {T("\"activity\":\"\xc3\""), ERR_BAD_REQUEST, "activity: invalid UTF-8", "e"},
    {T("\"technologies\":[\"\xc3(\"]"), ERR_BAD_REQUEST, "technologies[0]: invalid UTF-8", "e"},
    {T("\"context\":{\"k\":\"\xc3\"}"), ERR_BAD_REQUEST, "context.k: invalid UTF-8", "e"},
    {T("\"context\":{\"\xc3\":\"v\"}"), ERR_BAD_REQUEST, "context: invalid UTF-8 in a field name",
     "e"},
    {"{\"id\":\"\xc3\",\"partner\":{\"name\":\"X\"}}", ERR_BAD_REQUEST, "id: invalid UTF-8", NULL},
    {"{\"id\":\"e\",\"op\":\"\xc3\"}", ERR_BAD_REQUEST, "op: invalid UTF-8", "e"},
};

static void
test_error_messages(void **state)
{
    pfx_t *f = *state;
    int bad = 0;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const err_case_t *c = &err_cases[i];
        int rc = parse_exact(f, c->json, strlen(c->json), 0);
        if (rc != -1 || f->code != c->code || f->msg == NULL || strcmp(f->msg, c->msg) != 0 ||
            (c->id == NULL) != (f->req.id == NULL) ||
            (c->id != NULL && strcmp(c->id, f->req.id) != 0)) {
            print_error("case %zu: %s\n  want %s \"%s\" id %s\n  got rc %d %s \"%s\" id %s\n", i,
                        c->json, req_err_name(c->code), c->msg, c->id ? c->id : "(none)", rc,
                        req_err_name(f->code), f->msg ? f->msg : "(null)",
                        f->req.id ? f->req.id : "(none)");
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* proto_parse_tree is proto_parse without the text: the same tree gives
 * the same request, code, message and echoed id, for every error case
 * that is valid JSON and for accepted requests (compared through their
 * canonical wire form). */
static void
test_tree_same_as_text(void **state)
{
    pfx_t *f = *state;
    const char *ok[] = {
        "{\"id\":\"t\",\"op\":\"screen\",\"partner\":{\"name\":\" HIT \",\"aliases\":[\"a\"],"
        "\"country\":\"cn\",\"type\":\"university\",\"ids\":{\"ROR\":\"01yqg2h08\",\"x\":null}},"
        "\"technologies\":[\"ai\"],\"activity\":\"joint_lab\",\"current\":false,"
        "\"text\":\"t\",\"context\":{\"s\":\"v\",\"n\":1.5,\"b\":true,\"z\":null}}",
        "{\"id\":12,\"partner\":{\"name\":\"X\"}}",
        "{\"op\":\"reload\",\"force\":true}",
    };
    arena_t *a2 = arena_new(0);
    assert_non_null(a2);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cJSON *root = cJSON_Parse(ok[i]);
        assert_non_null(root);
        request_t tr;
        req_err_t code;
        const char *msg;
        arena_reset(a2);
        assert_int_equal(proto_parse_tree(root, a2, &tr, &code, &msg), 0);
        assert_int_equal(code, ERR_NONE);
        assert_null(msg);
        cJSON_Delete(root); /* the request holds copies */
        assert_int_equal(parse(f, ok[i]), 0);
        sbuf_t want = SBUF_INIT, got = SBUF_INIT;
        proto_write_request(&want, &f->req, NULL, 0);
        proto_write_request(&got, &tr, NULL, 0);
        assert_string_equal(got.data, want.data);
        sbuf_free(&want);
        sbuf_free(&got);
    }
    size_t compared = 0;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const err_case_t *c = &err_cases[i];
        cJSON *root = cJSON_ParseWithOpts(c->json, NULL, 1);
        if (root == NULL || strstr(c->msg, "\\u0000") != NULL) {
            cJSON_Delete(root); /* what only text can carry */
            continue;
        }
        request_t tr;
        req_err_t code;
        const char *msg;
        arena_reset(a2);
        int rc = proto_parse_tree(root, a2, &tr, &code, &msg);
        cJSON_Delete(root);
        if (rc != -1 || code != c->code || msg == NULL || strcmp(msg, c->msg) != 0 ||
            (c->id == NULL) != (tr.id == NULL) || (c->id != NULL && strcmp(c->id, tr.id) != 0))
            fail_msg("case %zu: %s\n  want %s \"%s\"\n  got rc %d %s \"%s\"", i, c->json,
                     req_err_name(c->code), c->msg, rc, req_err_name(code), msg ? msg : "(null)");
        compared++;
    }
    assert_true(compared > 60);
    arena_destroy(&a2);
}

/* Builds {"partner":{"name":"X"},FIELD:[n items made by fmt]}. */
static char *
with_array(const char *field, const char *item, size_t n, bool object)
{
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, "{\"id\":\"lim\",");
    if (strncmp(field, "partner.", 8) == 0)
        sbuf_printf(&b, "\"partner\":{\"name\":\"X\",\"%s\":%c", field + 8, object ? '{' : '[');
    else
        sbuf_printf(&b, "\"partner\":{\"name\":\"X\"},\"%s\":%c", field, object ? '{' : '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sbuf_putc(&b, ',');
        if (object)
            sbuf_printf(&b, "\"k%zu\":", i);
        sbuf_puts(&b, item);
    }
    sbuf_putc(&b, object ? '}' : ']');
    sbuf_puts(&b, strncmp(field, "partner.", 8) == 0 ? "}}" : "}");
    return sbuf_take(&b);
}

static void
test_count_limits(void **state)
{
    pfx_t *f = *state;
    static const struct {
        const char *field;
        const char *item;
        size_t max;
        bool object;
        const char *msg;
    } lim[] = {
        {"partner.aliases", "\"a\"", 64, false, "partner.aliases: more than 64 entries"},
        {"partner.ids", "\"v\"", 32, true, "partner.ids: more than 32 entries"},
        {"technologies", "\"ai\"", 64, false, "technologies: more than 64 entries"},
        {"context", "1", 64, true, "context: more than 64 entries"},
    };
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
        char *ok = with_array(lim[i].field, lim[i].item, lim[i].max, lim[i].object);
        char *over = with_array(lim[i].field, lim[i].item, lim[i].max + 1, lim[i].object);
        assert_int_equal(parse(f, ok), 0);
        assert_int_equal(parse(f, over), -1);
        assert_int_equal(f->code, ERR_BAD_REQUEST);
        assert_string_equal(f->msg, lim[i].msg);
        assert_string_equal(f->req.id, "lim");
        free(ok);
        free(over);
    }
}

/* A request whose field FIELD (top level or partner.X) is a string of n
 * copies of c. */
static char *
with_string(const char *field, char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    sbuf_t b = SBUF_INIT;
    if (strcmp(field, "partner.name") == 0)
        sbuf_printf(&b, "{\"partner\":{\"name\":\"%s\"}}", s);
    else if (strcmp(field, "partner.aliases[0]") == 0)
        sbuf_printf(&b, "{\"partner\":{\"name\":\"X\",\"aliases\":[\"%s\"]}}", s);
    else if (strcmp(field, "id") == 0)
        sbuf_printf(&b, "{\"id\":\"%s\",\"partner\":{\"name\":\"X\"}}", s);
    else if (strcmp(field, "context.k") == 0)
        sbuf_printf(&b, "{\"partner\":{\"name\":\"X\"},\"context\":{\"k\":\"%s\"}}", s);
    else
        sbuf_printf(&b, "{\"partner\":{\"name\":\"X\"},\"%s\":\"%s\"}", field, s);
    free(s);
    return sbuf_take(&b);
}

static void
test_length_limits(void **state)
{
    pfx_t *f = *state;
    static const struct {
        const char *field;
        size_t max;
        const char *msg;
    } lim[] = {
        {"partner.name", 1024, "partner.name: longer than 1024 bytes"},
        {"partner.aliases[0]", 1024, "partner.aliases[0]: longer than 1024 bytes"},
        {"text", 65536, "text: longer than 65536 bytes"},
        {"activity", 1024, "activity: longer than 1024 bytes"},
        {"id", 1024, "id: longer than 1024 bytes"},
        {"context.k", 1024, "context.k: longer than 1024 bytes"},
    };
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
        char *ok = with_string(lim[i].field, 'a', lim[i].max);
        char *over = with_string(lim[i].field, 'a', lim[i].max + 1);
        assert_int_equal(parse(f, ok), 0);
        assert_int_equal(parse(f, over), -1);
        assert_int_equal(f->code, ERR_BAD_REQUEST);
        assert_string_equal(f->msg, lim[i].msg);
        free(ok);
        free(over);
    }
    /* a 2-byte character counts as 2 bytes */
    char *s = with_string("partner.name", 'a', 1023);
    char *p = strstr(s, "aaa");
    memcpy(p, "\xc3\xa9", 2); /* 1021 'a' + é = 1023 bytes */
    assert_int_equal(parse(f, s), 0);
    free(s);
}

static void
test_key_limits_and_echo(void **state)
{
    pfx_t *f = *state;
    char key[200];
    memset(key, 'k', 129);
    key[129] = '\0';
    char json[512];
    snprintf(json, sizeof json, "{\"partner\":{\"name\":\"X\",\"ids\":{\"%s\":\"1\"}}}", key);
    assert_int_equal(parse(f, json), -1);
    assert_string_equal(f->msg, "partner.ids: key longer than 128 bytes");
    snprintf(json, sizeof json, "{\"partner\":{\"name\":\"X\"},\"context\":{\"%s\":1}}", key);
    assert_int_equal(parse(f, json), -1);
    assert_string_equal(f->msg, "context: key longer than 128 bytes");
    key[128] = '\0';
    snprintf(json, sizeof json, "{\"partner\":{\"name\":\"X\"},\"context\":{\"%s\":1}}", key);
    assert_int_equal(parse(f, json), 0);

    /* client text quoted in a message is cut at 64 bytes, on a character
     * boundary: 63 'x' then a 2-byte character straddling byte 64 */
    char name[100];
    memset(name, 'x', 63);
    memcpy(name + 63, "\xc3\xa9zzzz", 7);
    snprintf(json, sizeof json, "{\"partner\":{\"name\":\"X\"},\"%s\":1}", name);
    assert_int_equal(parse(f, json), -1);
    char want[200];
    snprintf(want, sizeof want, "unknown field \"%.63s...\"", name);
    assert_string_equal(f->msg, want);
    snprintf(json, sizeof json, "{\"op\":\"%s\"}", name);
    assert_int_equal(parse(f, json), -1);
    assert_int_equal(f->code, ERR_UNKNOWN_OP);
    snprintf(want, sizeof want, "unknown op \"%.63s...\"", name);
    assert_string_equal(f->msg, want);
}

static void
test_too_large(void **state)
{
    pfx_t *f = *state;
    const char *json = "{\"id\":\"big\",\"partner\":{\"name\":\"X\"}}"; /* 35 bytes */
    size_t n = strlen(json);
    assert_int_equal(parse_exact(f, json, n, n - 1), -1);
    assert_int_equal(f->code, ERR_TOO_LARGE);
    assert_string_equal(f->msg, "request is 35 bytes, limit is 34");
    assert_null(f->req.id); /* not parsed at all */
    assert_int_equal(parse_exact(f, json, n, n), 0);
    assert_int_equal(parse_exact(f, json, n, 0), 0);
    /* even garbage is too_large before it is invalid */
    assert_int_equal(parse_exact(f, "xxxxxxxxxx", 10, 5), -1);
    assert_int_equal(f->code, ERR_TOO_LARGE);
    assert_string_equal(f->msg, "request is 10 bytes, limit is 5");
}

static void
test_not_nul_terminated(void **state)
{
    pfx_t *f = *state;
    /* the bytes after len are not part of the request */
    const char *json = "{\"partner\":{\"name\":\"X\"}}GARBAGE";
    assert_int_equal(parse_exact(f, json, 24, 0), 0);
    assert_string_equal(f->req.name, "X");
    /* truncated documents, each in a buffer of exactly its size */
    static const char *const cut[] = {
        "{\"a\":\"abc",
        "{\"a\":12",
        "{\"a\":tru",
        "{\"a\":\"\\u12",
        "{\"a\":\"\\",
        "{",
        "{\"partner\":{\"name\":\"X\"}",
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        assert_int_equal(parse_exact(f, cut[i], strlen(cut[i]), 0), -1);
        assert_int_equal(f->code, ERR_BAD_REQUEST);
        assert_true(strncmp(f->msg, "invalid JSON at byte ", 21) == 0);
    }
}

static void
test_nul_bytes(void **state)
{
    pfx_t *f = *state;
    const char json[] = "{\"partner\":{\"name\":\"X\"}}";
    /* C clients sending the terminating NUL are fine */
    assert_int_equal(parse_exact(f, json, sizeof json, 0), 0);
    assert_string_equal(f->req.name, "X");
    /* a NUL inside would cut the name short: refused */
    const char mid[] = "{\"partner\":{\"name\":\"X\0Y\"}}";
    assert_int_equal(parse_exact(f, mid, sizeof mid - 1, 0), -1);
    assert_string_equal(f->msg, "invalid JSON at byte 21");
    /* an escaped backslash before u0000 is not a NUL */
    assert_int_equal(parse(f, "{\"partner\":{\"name\":\"a\\\\u0000\"}}"), 0);
    assert_string_equal(f->req.name, "a\\u0000");
}

/* ---- replies ---- */

typedef struct wfx {
    ruleset_t rs;         /* hand-built ruleset (only what proto reads) */
    reg_entity_t ents[2]; /* its registry: hit, nasty */
} wfx_t;

static const char *const verdict_names[] = {"clear", "review", "prohibited"};
static const char *const list_names[] = {"ca-nro", "us-entity"};
static const char *const tag_names[] = {"defence", "seven-sons"};
static const char *const risk_names[] = {"low", "medium", "high"};
static const char *const activity_names[] = {"joint_lab", "funding"};
static const char *const hit_aliases[] = {"HIT", "哈尔滨工业大学"};
static const reg_ident_t hit_ids[] = {{"ror", "01yqg2h08"}, {"x", "a\"b"}};
static const uint16_t hit_lists[] = {0, 1};
static const uint16_t hit_tags[] = {0, 1};
static const char *const hit_sources[] = {"ca-nro 2024-09 row 12"};
/* A name with everything that must be escaped, and UTF-8 kept as is. */
#define NASTY "Q\"uo\\te\nnew\tline\x01\x1f\x7f caf\xc3\xa9"
#define NASTY_JSON "Q\\\"uo\\\\te\\nnew\\tline\\u0001\\u001f\\u007f caf\xc3\xa9"

static vocab_t
vocab_of(const char *const *names, size_t n)
{
    vocab_t v = {(const char **)names, n};
    return v;
}

static void
add_cat(tax_t *t, const char *code, const char *label, const char *parent)
{
    static const char *const kw[] = {"keyword"};
    tax_def_t d = {0};
    d.code = code;
    d.label = label;
    d.parent = parent;
    d.keywords = (const char **)kw;
    d.n_keywords = 1;
    d.file = "test";
    d.line = 1;
    diag_t *dg = diag_new(0);
    assert_int_equal(tax_add(t, &d, dg), 0);
    diag_destroy(&dg);
}

static int
wsetup(void **state)
{
    wfx_t *w = calloc(1, sizeof *w);
    ruleset_t *rs = &w->rs;
    rs->version = "2024.1";
    strcpy(rs->digest, "d1g357");
    rs->verdicts = vocab_of(verdict_names, 3);
    rs->lists = vocab_of(list_names, 2);
    /* The lists' editions: none recorded (never stale). */
    static rs_list_t list_infos[2] = {{.id = "ca-nro", .name = "Named Research Organizations"},
                                      {.id = "us-entity", .name = "Entity List"}};
    rs->list_info = list_infos;
    rs->tags = vocab_of(tag_names, 2);
    rs->risks = vocab_of(risk_names, 3);
    rs->activities = vocab_of(activity_names, 2);
    rs->tax = tax_new();
    add_cat(rs->tax, "ai", "Artificial intelligence", NULL);
    add_cat(rs->tax, "quantum", "Quantum", NULL);
    add_cat(rs->tax, "quantum.sensing", "Quantum \"sensing\"", "quantum");
    diag_t *dg = diag_new(0);
    int rc = tax_build(rs->tax, dg);
    diag_destroy(&dg);

    reg_entity_t *e = &w->ents[0];
    e->id = "hit";
    e->name = "Harbin Institute of Technology";
    e->country = "CN";
    e->aliases = (const char **)hit_aliases;
    e->n_aliases = 2;
    e->ids = hit_ids;
    e->n_ids = 2;
    e->lists = hit_lists;
    e->n_lists = 2;
    e->tags = hit_tags;
    e->n_tags = 2;
    e->risk = 2;
    e->sources = (const char **)hit_sources;
    e->n_sources = 1;
    e = &w->ents[1];
    e->id = "nasty";
    e->name = NASTY;
    e->risk = -1;
    rs->ents = w->ents;
    rs->n_ents = 2;

    static const rs_rule_t rules[] = {
        {"nro-named", 2, 100, "Named research organisation", "STRAC 2024 s.3", "x", NULL,
         "policy.cfg", 1},
        {"ai-review", 1, 40, "AI work \"dual use\"", NULL, "y", NULL, "policy.cfg", 2},
    };
    rs->rules = (rs_rule_t *)rules;
    rs->n_rules = 2;
    /* One profile holding both, as a ruleset without `profiles` has. */
    static const uint32_t both[] = {0, 1};
    static const rs_profile_t all[] = {{"all", "Every rule", NULL, both, 2}};
    static const char *const all_ids[] = {"all"};
    rs->profiles = (rs_profile_t *)all;
    rs->n_profiles = 1;
    rs->profile_ids = vocab_of(all_ids, 1);
    *state = w;
    return rc;
}

static int
wteardown(void **state)
{
    wfx_t *w = *state;
    tax_destroy(&w->rs.tax);
    free(w);
    return 0;
}

/* Asserts the buffer holds exactly want and is one JSON object. */
static void
check_json(sbuf_t *b, const char *want)
{
    assert_false(b->oom);
    assert_string_equal(b->data, want);
    assert_int_equal(b->len, strlen(want));
    cJSON *j = cJSON_Parse(b->data);
    assert_non_null(j);
    assert_true(cJSON_IsObject(j));
    cJSON_Delete(j);
}

static void
test_write_result(void **state)
{
    wfx_t *w = *state;
    static const char *const ev_ai[] = {"big data", "machine learning"};
    match_hit_t hits[] = {
        {.entity = 0, .name = 0, .method = MATCH_ID, .score = 1.0},
        {.entity = 0, .name = 2, .method = MATCH_EXACT, .score = 1.0},
        {.entity = 1, .name = 0, .method = MATCH_FUZZY, .score = 0.926},
    };
    res_cat_t cats[] = {
        {0, true, true, (const char **)ev_ai, 2},
        {2, true, false, NULL, 0},
    };
    res_rule_t fired[] = {{0, 0, -1}, {1, -1, -1}};
    result_t res = {0};
    res.verdict = 2;
    res.score = 100;
    res.matches = hits;
    res.n_matches = 3;
    res.cats = cats;
    res.n_cats = 2;
    res.rules = fired;
    res.n_rules = 2;
    request_t req;
    request_init(&req);
    req.id = "req-17";
    sbuf_t b = SBUF_INIT;
    proto_write_result(&b, &w->rs, &req, &res, 37);
    check_json(
        &b, "{\"id\":\"req-17\",\"verdict\":\"prohibited\",\"score\":100,"
            "\"partner\":{\"matches\":["
            "{\"entity\":\"hit\",\"name\":\"Harbin Institute of Technology\","
            "\"matched\":\"ror:01yqg2h08\",\"method\":\"id\",\"score\":1.00,\"country\":\"CN\","
            "\"lists\":[\"ca-nro\",\"us-entity\"],\"tags\":[\"defence\",\"seven-sons\"],"
            "\"risk\":\"high\",\"sources\":[\"ca-nro 2024-09 row 12\"]},"
            "{\"entity\":\"hit\",\"name\":\"Harbin Institute of Technology\","
            "\"matched\":\"哈尔滨工业大学\",\"method\":\"exact\",\"score\":1.00,\"country\":\"CN\","
            "\"lists\":[\"ca-nro\",\"us-entity\"],\"tags\":[\"defence\",\"seven-sons\"],"
            "\"risk\":\"high\",\"sources\":[\"ca-nro 2024-09 row 12\"]},"
            "{\"entity\":\"nasty\",\"name\":\"" NASTY_JSON "\",\"matched\":\"" NASTY_JSON "\","
            "\"method\":\"fuzzy\",\"score\":0.93,\"country\":null,\"lists\":[],\"tags\":[],"
            "\"risk\":null,\"sources\":[]}]},"
            "\"categories\":["
            "{\"code\":\"ai\",\"label\":\"Artificial intelligence\",\"given\":true,"
            "\"spotted\":true,\"evidence\":[\"big data\",\"machine learning\"]},"
            "{\"code\":\"quantum.sensing\",\"label\":\"Quantum \\\"sensing\\\"\",\"given\":true,"
            "\"spotted\":false,\"evidence\":[]}],"
            "\"rules\":["
            "{\"id\":\"nro-named\",\"verdict\":\"prohibited\",\"score\":100,"
            "\"reason\":\"Named research organisation\",\"cite\":\"STRAC 2024 s.3\","
            "\"entity\":\"hit\"},"
            "{\"id\":\"ai-review\",\"verdict\":\"review\",\"score\":40,"
            "\"reason\":\"AI work \\\"dual use\\\"\",\"cite\":null,\"entity\":null}],"
            "\"profile\":\"all\",\"ruleset\":{\"version\":\"2024.1\",\"digest\":\"d1g357\"},"
            "\"elapsed_us\":37}");

    /* the escaped strings read back as the originals */
    cJSON *j = cJSON_Parse(b.data);
    cJSON *m =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "partner"), "matches"), 2);
    assert_string_equal(cJSON_GetObjectItem(m, "name")->valuestring, NASTY);
    assert_true(cJSON_GetObjectItem(m, "score")->valuedouble == 0.93);
    cJSON_Delete(j);
    sbuf_free(&b);
}

static void
test_write_result_empty(void **state)
{
    wfx_t *w = *state;
    result_t res = {0};
    request_t req;
    request_init(&req);
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, "X"); /* appends to what is there */
    proto_write_result(&b, &w->rs, &req, &res, UINT64_MAX);
    assert_string_equal(
        b.data,
        "X{\"verdict\":\"clear\",\"score\":0,\"partner\":{\"matches\":[]},\"categories\":[],"
        "\"rules\":[],\"profile\":\"all\",\"ruleset\":{\"version\":\"2024.1\",\"digest\":"
        "\"d1g357\"},"
        "\"elapsed_us\":18446744073709551615}");
    sbuf_free(&b);
}

static void
test_score_format(void **state)
{
    wfx_t *w = *state;
    static const struct {
        double in;
        const char *out;
    } cases[] = {
        {1.0, "1.00"}, {0.926, "0.93"}, {0.5, "0.50"},
        {0.0, "0.00"}, {0.999, "1.00"}, {0.8749, "0.87"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        match_hit_t hit = {.entity = 1, .name = 0, .method = MATCH_FUZZY, .score = cases[i].in};
        result_t res = {0};
        res.matches = &hit;
        res.n_matches = 1;
        sbuf_t b = SBUF_INIT;
        proto_write_result(&b, &w->rs, NULL, &res, 0);
        char want[32];
        snprintf(want, sizeof want, "\"score\":%s,", cases[i].out);
        if (strstr(b.data, want) == NULL)
            fail_msg("score %g: want %s in %s", cases[i].in, want, b.data);
        sbuf_free(&b);
    }
}

/* An identifier value with a quote: both parts escaped, one string. */
static void
test_write_ident_escaped(void **state)
{
    wfx_t *w = *state;
    match_hit_t hit = {.entity = 0, .name = 1, .method = MATCH_ID, .score = 1.0};
    result_t res = {0};
    res.matches = &hit;
    res.n_matches = 1;
    sbuf_t b = SBUF_INIT;
    proto_write_result(&b, &w->rs, NULL, &res, 0);
    assert_non_null(strstr(b.data, ",\"matched\":\"x:a\\\"b\",\"method\":\"id\","));
    cJSON *j = cJSON_Parse(b.data);
    assert_non_null(j);
    cJSON *m =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "partner"), "matches"), 0);
    assert_string_equal(cJSON_GetObjectItem(m, "matched")->valuestring, "x:a\"b");
    cJSON_Delete(j);
    sbuf_free(&b);
}

/* matched_span: the bytes of the query string (the name, or the alias
 * the hit names) that named the organisation; only when span_len > 0,
 * and only when the span lies within its string on UTF-8 boundaries. */
static void
test_write_span(void **state)
{
    wfx_t *w = *state;
    static const char *const aliases[] = {"HIT Shenzhen", "Dept. of Physics, 哈尔滨工业大学"};
    request_t req;
    request_init(&req);
    req.name = "School of Computing, Harbin Institute of Technology, Harbin 150001, China";
    req.aliases = (const char **)aliases;
    req.n_aliases = 2;
    size_t nlen = strlen(req.name), alen = strlen(aliases[1]);
    static const struct {
        match_method_t method; /* of the hit written (entity hit, its name) */
        uint16_t query;        /* the hit's query, span_off, span_len */
        uint32_t off, len;
        bool req;         /* written with the request (else NULL) */
        const char *span; /* the matched_span written, or NULL: none */
    } cases[] = {
        /* in the name */
        {MATCH_UNIT, 0, 21, 30, true, "Harbin Institute of Technology"},
        /* in the second alias, a native-script span at the very end */
        {MATCH_UNIT, 2, 18, 21, true, "哈尔滨工业大学"},
        /* the whole first alias, spelled out */
        {MATCH_RELATED, 1, 0, 12, true, "HIT Shenzhen"},
        /* span_len 0: the whole string, nothing written */
        {MATCH_EXACT, 0, 0, 0, true, NULL},
        {MATCH_ID, 0, 0, 0, true, NULL},
        {MATCH_FUZZY, 1, 4, 0, true, NULL},
        /* no request: nothing to quote */
        {MATCH_UNIT, 0, 21, 30, false, NULL},
        /* a query the request does not have */
        {MATCH_UNIT, 3, 0, 1, true, NULL},
        /* a span that starts or ends inside a character (3 bytes each) */
        {MATCH_UNIT, 2, 19, 20, true, NULL},
        {MATCH_UNIT, 2, 18, 20, true, NULL},
        /* past the end, and offsets that would wrap */
        {MATCH_UNIT, 0, 60, 20, true, NULL},
        {MATCH_UNIT, 0, 73, 1, true, NULL},
        {MATCH_UNIT, 0, 200, 1, true, NULL},
        {MATCH_UNIT, 0, UINT32_MAX, 2, true, NULL},
        {MATCH_UNIT, 0, 1, UINT32_MAX, true, NULL},
        /* the last byte, exactly */
        {MATCH_UNIT, 0, 72, 1, true, "a"},
    };
    /* The offsets above are the strings' own. */
    assert_int_equal(nlen, 73);
    assert_int_equal(alen, 39);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result_t res = {0};
        match_hit_t hit = {.entity = 0,
                           .name = 0,
                           .method = cases[i].method,
                           .score = 0.9,
                           .query = cases[i].query,
                           .span_off = cases[i].off,
                           .span_len = cases[i].len};
        res.matches = &hit;
        res.n_matches = 1;
        sbuf_t b = SBUF_INIT;
        proto_write_result(&b, &w->rs, cases[i].req ? &req : NULL, &res, 0);
        assert_false(b.oom);
        cJSON *j = cJSON_Parse(b.data);
        assert_non_null(j);
        cJSON *m = cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "partner"), "matches"), 0);
        const cJSON *span = cJSON_GetObjectItem(m, "matched_span");
        if (cases[i].span == NULL) {
            if (span != NULL)
                fail_msg("case %zu: unexpected matched_span in %s", i, b.data);
        } else {
            if (!cJSON_IsString(span) || strcmp(span->valuestring, cases[i].span) != 0)
                fail_msg("case %zu: want matched_span \"%s\" in %s", i, cases[i].span, b.data);
            /* right after matched, before method: nothing else is new */
            char want[160];
            snprintf(want, sizeof want, "\",\"matched_span\":\"%s\",\"method\":\"%s\",",
                     cases[i].span, match_method_name(hit.method));
            assert_non_null(strstr(b.data, want));
        }
        cJSON_Delete(j);
        sbuf_free(&b);
    }
}

/* note: after rules, only when the result has one. */
static void
test_write_note(void **state)
{
    wfx_t *w = *state;
    match_hit_t hit = {.entity = 0, .name = 0, .method = MATCH_EXACT, .score = 1.0};
    result_t res = {0};
    res.matches = &hit;
    res.n_matches = 1;
    res.note = "The partner matched hit (exact) \"in\" the registry";
    sbuf_t b = SBUF_INIT;
    proto_write_result(&b, &w->rs, NULL, &res, 5);
    assert_false(b.oom);
    assert_non_null(strstr(b.data, "\"rules\":[],\"note\":\"The partner matched hit (exact) "
                                   "\\\"in\\\" the registry\",\"profile\":\"all\",\"ruleset\":{"));
    cJSON *j = cJSON_Parse(b.data);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "note")->valuestring, res.note);
    cJSON_Delete(j);
    sbuf_free(&b);

    /* no note, no member */
    res.note = NULL;
    proto_write_result(&b, &w->rs, NULL, &res, 5);
    assert_null(strstr(b.data, "\"note\""));
    sbuf_free(&b);
}

static void
test_write_error(void **state)
{
    (void)state;
    sbuf_t b = SBUF_INIT;
    proto_write_error(&b, "r1", ERR_BAD_REQUEST, "partner.name: expected a string");
    check_json(&b, "{\"id\":\"r1\",\"error\":{\"code\":\"bad_request\","
                   "\"message\":\"partner.name: expected a string\"}}");
    sbuf_clear(&b);
    proto_write_error(&b, NULL, ERR_UNKNOWN_OP, "unknown op \"foo\"");
    check_json(&b, "{\"error\":{\"code\":\"unknown_op\",\"message\":\"unknown op \\\"foo\\\"\"}}");
    sbuf_clear(&b);
    proto_write_error(&b, "a\"\n", ERR_TOO_LARGE, "line\nbreak");
    check_json(&b, "{\"id\":\"a\\\"\\n\",\"error\":{\"code\":\"too_large\","
                   "\"message\":\"line\\nbreak\"}}");
    sbuf_clear(&b);
    proto_write_error(&b, NULL, ERR_UNAVAILABLE, NULL);
    check_json(&b, "{\"error\":{\"code\":\"unavailable\",\"message\":\"unavailable\"}}");
    sbuf_clear(&b);
    proto_write_error(&b, "", ERR_INTERNAL, "out of memory");
    check_json(&b, "{\"id\":\"\",\"error\":{\"code\":\"internal\","
                   "\"message\":\"out of memory\"}}");
    sbuf_free(&b);
}

/* A failed parse gives what the error reply needs: the id and message. */
static void
test_parse_then_error_reply(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    const char *json = "{\"id\":\"q\\\"1\",\"partner\":{\"name\":\"X\",\"nmae\":1}}";
    request_t req;
    req_err_t code;
    const char *msg;
    assert_int_equal(proto_parse(json, strlen(json), 0, a, &req, &code, &msg), -1);
    sbuf_t b = SBUF_INIT;
    proto_write_error(&b, req.id, code, msg);
    check_json(&b, "{\"id\":\"q\\\"1\",\"error\":{\"code\":\"bad_request\","
                   "\"message\":\"unknown field \\\"partner.nmae\\\" "
                   "(did you mean \\\"partner.name\\\"?)\"}}");
    sbuf_free(&b);
    arena_destroy(&a);
}

static void
test_write_taxonomy(void **state)
{
    wfx_t *w = *state;
    sbuf_t b = SBUF_INIT;
    proto_write_taxonomy(&b, &w->rs, "t1");
    check_json(&b, "{\"id\":\"t1\",\"categories\":["
                   "{\"code\":\"ai\",\"label\":\"Artificial intelligence\"},"
                   "{\"code\":\"quantum\",\"label\":\"Quantum\"},"
                   "{\"code\":\"quantum.sensing\",\"label\":\"Quantum \\\"sensing\\\"\","
                   "\"parent\":\"quantum\"}],"
                   "\"activities\":[\"joint_lab\",\"funding\"],"
                   "\"verdicts\":[\"clear\",\"review\",\"prohibited\"]}");
    sbuf_clear(&b);
    proto_write_taxonomy(&b, &w->rs, NULL);
    assert_true(strncmp(b.data, "{\"categories\":[{\"code\":\"ai\"", 27) == 0);
    sbuf_free(&b);
}

#define PT(t) cmocka_unit_test_setup_teardown(t, psetup, pteardown)
#define WT(t) cmocka_unit_test_setup_teardown(t, wsetup, wteardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PT(test_full_example),
        PT(test_defaults),
        PT(test_nulls_are_absent),
        PT(test_normalised_fields),
        PT(test_numeric_ids),
        PT(test_admin_ops),
        PT(test_context_types),
        PT(test_unicode_accepted),
        PT(test_strings_copied),
        PT(test_error_messages),
        PT(test_tree_same_as_text),
        PT(test_count_limits),
        PT(test_length_limits),
        PT(test_key_limits_and_echo),
        PT(test_too_large),
        PT(test_not_nul_terminated),
        PT(test_nul_bytes),
        WT(test_write_result),
        WT(test_write_result_empty),
        WT(test_score_format),
        WT(test_write_ident_escaped),
        WT(test_write_span),
        WT(test_write_note),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_parse_then_error_reply),
        WT(test_write_taxonomy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
