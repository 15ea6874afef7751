/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli.c -- bin/vetd as a user runs it: --check, --test, --screen on
 * the fixture ruleset, the documented examples and broken inputs, and
 * the -c file in every spelling with its errors (through --print-config);
 * then bin/vet's human output against a vetd of the test's own (wrapping,
 * version and stats, --user, country names). The binaries come from
 * $VETD_BIN and $VET_BIN (tests/run.sh sets them; default bin/vetd,
 * bin/vet). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define GOOD "tests/fixtures/rulesets/good"

typedef struct run {
    int status; /* exit status */
    char *out;  /* stdout, owned */
    char *err;  /* stderr, owned */
} run_t;

/* Runs "vetd ARGS" with stdin from the file in (or /dev/null). */
static run_t
vetd(const char *args, const char *in)
{
    const char *bin = tu_env_or("VETD_BIN", "bin/vetd");
    char out[] = "/tmp/vet-cli-out-XXXXXX", err[] = "/tmp/vet-cli-err-XXXXXX";
    int fo = mkstemp(out), fe = mkstemp(err);
    close(fo);
    close(fe);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s < %s > %s 2> %s", bin, args, in ? in : "/dev/null", out, err);
    int st = tu_run(cmd);
    /* Empty rather than NULL: the tests search the output as it is. */
    char *o = tu_read_file(out, NULL), *e = tu_read_file(err, NULL);
    run_t r = {st, o != NULL ? o : strdup(""), e != NULL ? e : strdup("")};
    unlink(out);
    unlink(err);
    return r;
}

static void
run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

static char *
tmpfile_with(const char *text)
{
    char *path = strdup("/tmp/vet-cli-in-XXXXXX");
    int fd = mkstemp(path);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static void
test_check_good(void **state)
{
    (void)state;
    run_t r = vetd("--check -r " GOOD, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(
        strstr(r.out, "ok: 5 files, 6 categories, 10 organisations, 7 rules (version fixture-1"));
    run_free(&r);
}

static void
test_check_broken_reports_file_line(void **state)
{
    (void)state;
    char dir[] = "/tmp/vet-cli-rs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cp -R " GOOD
             "/. %s/ && sed -i 's/id = \"ca-nro\"/id = = \"ca-nro\"/' %s/registry/nro.cfg"
             " && sed -i 's/has \\\\\"us-sdn\\\\\"/has \\\\\"us-sdm\\\\\"/' %s/policy.cfg",
             dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    char args[256];
    snprintf(args, sizeof args, "--check -r %s", dir);
    run_t r = vetd(args, NULL);
    assert_int_equal(r.status, 1);
    char want[256];
    snprintf(want, sizeof want, "%s/registry/nro.cfg:4: syntax error", dir);
    assert_non_null(strstr(r.err, want));
    assert_non_null(strstr(r.err, "ruleset not loaded"));
    run_free(&r);

    /* Fix the syntax: now the unknown list in a rule is reported with its column. */
    snprintf(cmd, sizeof cmd, "cp " GOOD "/registry/nro.cfg %s/registry/nro.cfg", dir);
    assert_int_equal(system(cmd), 0);
    r = vetd(args, NULL);
    assert_int_equal(r.status, 1);
    snprintf(want, sizeof want, "%s/policy.cfg:", dir);
    assert_non_null(strstr(r.err, want));
    assert_non_null(strstr(r.err, "unknown list \"us-sdm\" (did you mean \"us-sdn\"?)"));
    run_free(&r);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void
test_test_mode_counts_and_failures(void **state)
{
    (void)state;
    run_t r = vetd("--test -r " GOOD, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "16 passed, 0 failed\n"));
    run_free(&r);

    /* A wrong expectation fails with the case's file:line. */
    char dir[] = "/tmp/vet-cli-rs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[512];
    snprintf(
        cmd, sizeof cmd,
        "cp -R " GOOD
        "/. %s/ && sed -i '0,/verdict = \"prohibited\"/s//verdict = \"clear\"/' %s/tests/cases.cfg",
        dir, dir);
    assert_int_equal(system(cmd), 0);
    char args[256];
    snprintf(args, sizeof args, "--test -r %s", dir);
    r = vetd(args, NULL);
    assert_int_equal(r.status, 1);
    char want[512];
    snprintf(want, sizeof want,
             "%s/tests/cases.cfg:3: case \"HIT, AI, current affiliation: STRAC prohibits\": "
             "expected verdict clear, got prohibited (rules fired: strac-nro, nro-named)",
             dir);
    assert_non_null(strstr(r.out, want));
    assert_non_null(strstr(r.out, "15 passed, 1 failed\n"));
    run_free(&r);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void
test_screen_stdin_to_stdout(void **state)
{
    (void)state;
    char *in = tmpfile_with("{\"id\":\"cli-1\",\"partner\":{\"name\":\"WSIEC\",\"country\":\"CN\"},"
                            "\"activity\":\"other\"}");
    run_t r = vetd("--screen -r " GOOD, in);
    assert_int_equal(r.status, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "id")->valuestring, "cli-1");
    assert_string_equal(cJSON_GetObjectItem(j, "verdict")->valuestring, "prohibited");
    assert_int_equal(cJSON_GetObjectItem(j, "score")->valueint, 100);
    cJSON *rule = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rules"), 0);
    assert_string_equal(cJSON_GetObjectItem(rule, "id")->valuestring, "sdn-block");
    assert_string_equal(cJSON_GetObjectItem(rule, "cite")->valuestring, "31 CFR Chapter V");
    cJSON_Delete(j);
    run_free(&r);
    unlink(in);
    free(in);

    /* Malformed JSON: an error reply naming the place, exit 65. */
    in = tmpfile_with("{\"partner\": {\"name\": \"x\",}");
    r = vetd("--screen -r " GOOD, in);
    assert_int_equal(r.status, 65);
    assert_non_null(strstr(r.out, "\"code\":\"bad_request\""));
    assert_non_null(strstr(r.out, "invalid JSON at byte"));
    run_free(&r);
    unlink(in);
    free(in);

    /* Unknown field: caught, with a suggestion. */
    in = tmpfile_with("{\"partner\":{\"name\":\"x\"},\"technology\":[\"ai\"]}");
    r = vetd("--screen -r " GOOD, in);
    assert_int_equal(r.status, 65);
    assert_non_null(
        strstr(r.out, "unknown field \\\"technology\\\" (did you mean \\\"technologies\\\"?)"));
    run_free(&r);
    unlink(in);
    free(in);
}

static void
test_usage_errors(void **state)
{
    (void)state;
    run_t r = vetd("--bogus", NULL);
    assert_int_equal(r.status, 64);
    assert_non_null(strstr(r.err, "usage: vetd"));
    run_free(&r);
    r = vetd("--check -r /nonexistent", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "/nonexistent: not a ruleset directory"));
    run_free(&r);
}

/* Every spelling getopt_long accepts for -c reads the file: vetd once
 * looked only for "-c FILE" and "--config FILE" and served the defaults,
 * masks off, for the others. */
static void
test_config_spellings(void **state)
{
    (void)state;
    char *cfg = tmpfile_with("workers = 3;\naudit = { mask = [\"partner.ids\"]; };\n");
    static const char *const forms[] = {"--config=%s", "--config %s", "--conf %s",
                                        "-c%s",        "-c %s",       "-w 3 --print-config -c %s"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char flag[256], args[320];
        snprintf(flag, sizeof flag, forms[i], cfg);
        /* --print-config before and after: the order of flags is free. */
        snprintf(args, sizeof args, i % 2 ? "%s --print-config" : "--print-config %s", flag);
        run_t r = vetd(args, NULL);
        if (r.status != 0 || strstr(r.out, "\nworkers = 3;\n") == NULL ||
            strstr(r.out, "  mask = [\"partner.ids\"];\n") == NULL)
            fail_msg("vetd %s: exit %d, the file not in effect:\n%s%s", args, r.status, r.out,
                     r.err);
        run_free(&r);
    }
    /* Flags override the file wherever they stand. */
    char args[320];
    snprintf(args, sizeof args, "-w 5 --config=%s --print-config", cfg);
    run_t r = vetd(args, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\nworkers = 5;\n"));
    run_free(&r);
    /* Two files: an error, not one of them silently ignored. */
    snprintf(args, sizeof args, "-c %s --config=%s --print-config", cfg, cfg);
    r = vetd(args, NULL);
    assert_int_equal(r.status, 64);
    assert_non_null(strstr(r.err, "vetd: -c given twice"));
    assert_string_equal(r.out, "");
    run_free(&r);
    unlink(cfg);
    free(cfg);
}

/* A -c file that is missing or wrong stops vetd with EX_CONFIG (78) and
 * every error at its place, before anything runs. */
static void
test_config_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/vet-cli-cfg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char args[320], want[512];
    snprintf(args, sizeof args, "--conf=%s/absent.cfg --print-config", dir);
    run_t r = vetd(args, NULL);
    assert_int_equal(r.status, 78);
    snprintf(want, sizeof want, "vetd: %s/absent.cfg: cannot read: No such file or directory\n",
             dir);
    assert_non_null(strstr(r.err, want));
    assert_string_equal(r.out, "");
    run_free(&r);

    char path[160];
    snprintf(path, sizeof path, "%s/vetd.cfg", dir);
    tu_write_file(path, "workers = 2;\n"
                        "endpoints = [\"tcp://127.0.0.1:7470\", \"udp://127.0.0.1:7471\"];\n"
                        "limits = { max_request_bytes = 2097152; };\n"
                        "audit = {\n"
                        "  mask = [\"partner.nmae\"];\n"
                        "};\n");
    snprintf(args, sizeof args, "-c%s --print-config", path);
    r = vetd(args, NULL);
    assert_int_equal(r.status, 78);
    static const char *const errs[] = {
        ":2: endpoints: entry 2: \"udp://127.0.0.1:7471\" is not tcp://HOST:PORT or ipc://PATH",
        ":5: audit.mask: entry 1: unknown field \"partner.nmae\" (did you mean \"partner.name\"?)",
        ":3: limits.max_message_bytes (1114112) must be at least limits.max_request_bytes "
        "(2097152) + 4096",
        ": configuration not loaded",
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        snprintf(want, sizeof want, "vetd: %s%s\n", path, errs[i]);
        if (strstr(r.err, want) == NULL)
            fail_msg("missing \"%s\" in:\n%s", want, r.err);
    }
    assert_string_equal(r.out, "");
    run_free(&r);

    /* The empty endpoint list, and a bad -e over a good file. */
    tu_write_file(path, "endpoints = [];\n");
    snprintf(args, sizeof args, "-c %s --check -r " GOOD, path);
    r = vetd(args, NULL);
    assert_int_equal(r.status, 78);
    snprintf(want, sizeof want, "vetd: %s:1: endpoints: at least 1 entry\n", path);
    assert_non_null(strstr(r.err, want));
    run_free(&r);
    tu_write_file(path, "workers = 2;\n");
    snprintf(args, sizeof args, "-c %s -e inproc://vetd --print-config", path);
    r = vetd(args, NULL);
    assert_int_equal(r.status, 64);
    assert_non_null(strstr(r.err, "vetd: endpoints: \"inproc://vetd\" is not tcp://HOST:PORT "
                                  "or ipc://PATH\n"));
    run_free(&r);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    assert_int_equal(system(args), 0);
}

static void
test_documented_examples_run(void **state)
{
    (void)state;
    /* docs/RULES.md's worked example, extracted from the page itself. */
    char dir[] = "/tmp/vet-cli-doc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[512], args[256];
    snprintf(cmd, sizeof cmd, "sh tests/extract-doc-files.sh docs/RULES.md %s", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(args, sizeof args, "--check -r %s", dir);
    run_t r = vetd(args, NULL);
    if (r.status != 0)
        fprintf(stderr, "%s", r.err);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "ok: 3 files, 4 categories, 3 organisations, 3 rules"));
    run_free(&r);
    snprintf(args, sizeof args, "--test -r %s", dir);
    r = vetd(args, NULL);
    if (r.status != 0)
        fprintf(stderr, "%s", r.out);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "5 passed, 0 failed"));
    run_free(&r);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);

    /* The README's sample request against the starter ruleset. */
    r = vetd("--screen -r rules", "docs/examples/request.json");
    assert_int_equal(r.status, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_non_null(cJSON_GetObjectItem(j, "verdict"));
    /* A joint lab with a Seven Sons university on a given AI code: its
     * researchers are involved in the funded work (STRAC), prohibited;
     * the MCF rule; HIT is on the US Entity List, to which a joint lab
     * transfers technology, and on DoD's Section 1286 list (issue 13). */
    assert_string_equal(cJSON_GetObjectItem(j, "verdict")->valuestring, "prohibited");
    assert_int_equal(cJSON_GetObjectItem(j, "score")->valueint, 100);
    cJSON *rules = cJSON_GetObjectItem(j, "rules");
    assert_int_equal(cJSON_GetArraySize(rules), 4);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rules, 0), "id")->valuestring,
                        "strac-nro-current");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rules, 1), "id")->valuestring,
                        "mcf-tagged-sensitive");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rules, 2), "id")->valuestring,
                        "export-control-transfer");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rules, 3), "id")->valuestring,
                        "us-rs-1286");
    cJSON_Delete(j);
    run_free(&r);
}

static void
test_protocol_examples(void **state)
{
    (void)state;
    /* docs/PROTOCOL.md: every example request, with its expect lines. */
    char dir[] = "/tmp/vet-cli-proto-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sh tests/extract-doc-files.sh docs/PROTOCOL.md %s", dir);
    assert_int_equal(system(cmd), 0);
    char *page = tu_read_file("docs/PROTOCOL.md", NULL);
    assert_non_null(page);
    int checked = 0;
    for (char *line = strtok(page, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        bool neg = strncmp(line, "<!-- expect-not ", 16) == 0;
        if (!neg && strncmp(line, "<!-- expect ", 12) != 0)
            continue;
        char *name = line + (neg ? 16 : 12);
        char *colon = strstr(name, ": ");
        char *end = strstr(name, " -->");
        assert_non_null(colon);
        assert_non_null(end);
        *colon = '\0';
        *end = '\0';
        const char *want = colon + 2;
        char in[256];
        snprintf(in, sizeof in, "%s/%s", dir, name);
        run_t r = vetd("--screen -r rules", in);
        if ((strstr(r.out, want) != NULL) == neg)
            fail_msg("%s: %s \"%s\" in reply:\n%s", name, neg ? "unexpected" : "missing", want,
                     r.out);
        run_free(&r);
        checked++;
    }
    assert_true(checked >= 12);
    free(page);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- the vet client as a user runs it, against a vetd of its own ---- */

/* Runs the shell command "ENV VET -e EP ARGS" (env may be ""), capturing
 * stdout and stderr as vetd() does. wrap, if not NULL, is a command that
 * takes the whole command as its last argument ("script -qec"). */
static run_t
vet_sh(const tu_vetd_t *d, const char *env, const char *wrap, const char *args)
{
    char inner[2048], cmd[4096];
    snprintf(inner, sizeof inner, "%s %s -e %s %s", env, tu_env_or("VET_BIN", "bin/vet"), d->ep,
             args);
    char out[] = "/tmp/vet-cli-out-XXXXXX", err[] = "/tmp/vet-cli-err-XXXXXX";
    int fo = mkstemp(out), fe = mkstemp(err);
    close(fo);
    close(fe);
    if (wrap != NULL)
        snprintf(cmd, sizeof cmd, "%s '%s' /dev/null < /dev/null > %s 2> %s", wrap, inner, out,
                 err);
    else
        snprintf(cmd, sizeof cmd, "%s < /dev/null > %s 2> %s", inner, out, err);
    int st = tu_run(cmd);
    char *o = tu_read_file(out, NULL), *e = tu_read_file(err, NULL);
    run_t r = {st, o != NULL ? o : strdup(""), e != NULL ? e : strdup("")};
    unlink(out);
    unlink(err);
    return r;
}

/* A vetd on the fixture ruleset, with an audit log. */
static void
vet_daemon_start(tu_vetd_t *d)
{
    assert_int_equal(tu_vetd_init(d, "cli"), 0);
    const char *args[] = {"-r", GOOD, "-e", d->ep, "-a", d->audit, "-w", "1", NULL};
    assert_int_equal(tu_vetd_spawn(d, args), 0);
    assert_int_equal(tu_vetd_wait(d), 0);
}

/* The longest line of text (a "\r\n" counts as a line end). */
static size_t
longest_line(const char *text)
{
    size_t best = 0;
    while (*text != '\0') {
        size_t n = strcspn(text, "\r\n");
        if (n > best)
            best = n;
        text += n;
        text += strspn(text, "\r\n");
    }
    return best;
}

/* vet screen wraps reasons and citations: 80 columns into a file,
 * whatever $COLUMNS says; $COLUMNS on a terminal (a pseudo-terminal made
 * by script(1)); the whole text with --json. */
static void
test_vet_screen_wraps(void **state)
{
    (void)state;
    tu_vetd_t d;
    vet_daemon_start(&d);
    run_t r = vet_sh(&d, "COLUMNS=50", NULL, "screen --name WSIEC");
    assert_int_equal(r.status, 10);
    assert_non_null(strstr(r.out, "\n  rule     fuzzy-confirm  review 60  the partner resembles a "
                                  "listed\n"
                                  "           organisation; confirm its identity  (vetd matching "
                                  "policy)\n"));
    run_free(&r);
    /* The long note of a match no rule acted on. */
    r = vet_sh(&d, "", NULL, "screen --name 'China Electronics Technology Group Corporation'");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\n  note     The partner matched cetc (exact) in the registry, "
                                  "but no rule acts on\n           this match,"));
    /* Only the partner line, which is not wrapped, may be longer. */
    assert_true(longest_line(strstr(r.out, "\n  note")) <= 80);
    run_free(&r);

    r = vet_sh(&d, "COLUMNS=60", "script -qec", "screen --name WSIEC");
    assert_int_equal(r.status, 10);
    assert_non_null(strstr(r.out,
                           "\n  rule     fuzzy-confirm  review 60  the partner resembles a\r\n"
                           "           listed organisation; confirm its identity  (vetd\r\n"
                           "           matching policy)\r\n"));
    run_free(&r);

    r = vet_sh(&d, "COLUMNS=50", NULL, "screen --json --name WSIEC");
    assert_int_equal(r.status, 10);
    assert_non_null(strstr(r.out, "\"reason\":\"the partner resembles a listed organisation; "
                                  "confirm its identity\""));
    run_free(&r);
    assert_int_equal(tu_vetd_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

/* vet version and vet stats print in one style, "key: value" lines with
 * dotted keys; a list of objects a line per element. */
static void
test_vet_version_stats_style(void **state)
{
    (void)state;
    tu_vetd_t d;
    vet_daemon_start(&d);
    run_t r = vet_sh(&d, "", NULL, "version");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\nruleset.version: fixture-1\n"));
    assert_non_null(strstr(r.out, "\nruleset.lists.ca-nro: name Named Research Organizations, "
                                  "authority Government of Canada, url https://science.gc.ca/, "
                                  "terms null, as_of null, entries 5, stale false\n"));
    assert_null(strchr(r.out, '{'));
    run_free(&r);
    r = vet_sh(&d, "", NULL, "stats");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\nworkers: 1\n"));
    assert_non_null(strstr(r.out, "\nby_op.version: 1\n"));
    assert_non_null(strstr(r.out, "\nruleset.version: fixture-1\n"));
    assert_non_null(strstr(r.out, "\nruleset.lists.us-sdn: as_of null, entries 2, stale false\n"));
    assert_null(strchr(r.out, '{'));
    /* Every line is one key and its value. */
    for (const char *l = r.out; *l != '\0'; l = strchr(l, '\n') + 1) {
        const char *colon = strstr(l, ": ");
        if (colon == NULL || colon > strchr(l, '\n'))
            fail_msg("vet stats: a line without \"key: value\": %.80s", l);
    }
    run_free(&r);
    assert_int_equal(tu_vetd_stop(&d), 0);
    tu_vetd_cleanup(&d);
}

/* vet screen --user reaches vetd's audit log as context.user; a
 * country's name is refused with its code suggested (engine/proto.c,
 * lib/isocode.c's table), a name of two countries without a guess. */
static void
test_vet_user_and_country(void **state)
{
    (void)state;
    tu_vetd_t d;
    vet_daemon_start(&d);
    run_t r =
        vet_sh(&d, "", NULL, "screen --user carol --request-id u-1 --name 'University of Toronto'");
    assert_int_equal(r.status, 0);
    run_free(&r);
    static const struct {
        const char *country, *suggestion;
    } names[] = {
        {"China", "CN"},
        {"'South Korea'", "KR"},
        {"Russia", "RU"},
        {"USA", "US"},
        {"'Iran, Islamic Republic of'", "IR"},
        {"'Côte d’Ivoire'", "CI"},
        {"'the Netherlands'", "NL"},
        {"Korea", NULL},
        {"Atlantis", NULL},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char args[256], want[128];
        snprintf(args, sizeof args, "screen --name x --country %s", names[i].country);
        r = vet_sh(&d, "", NULL, args);
        assert_int_equal(r.status, 65);
        if (names[i].suggestion != NULL) {
            snprintf(want, sizeof want,
                     "vet: bad_request: partner.country: expected an ISO 3166-1 alpha-2 code (did "
                     "you mean \"%s\"?)\n",
                     names[i].suggestion);
            if (strcmp(r.err, want) != 0)
                fail_msg("--country %s: %s", names[i].country, r.err);
        } else {
            assert_string_equal(r.err, "vet: bad_request: partner.country: expected an ISO "
                                       "3166-1 alpha-2 code\n");
        }
        run_free(&r);
    }
    assert_int_equal(tu_vetd_stop(&d), 0);
    char *audit = tu_read_file(d.audit, NULL);
    assert_non_null(audit);
    char *rec = strstr(audit, "\"id\":\"u-1\"");
    assert_non_null(rec);
    rec[strcspn(rec, "\n")] = '\0';
    if (strstr(rec, "\"context\":{\"user\":\"carol\"}") == NULL)
        fail_msg("audit record of u-1 without context.user: %s", rec);
    free(audit);
    tu_vetd_cleanup(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_good),
        cmocka_unit_test(test_check_broken_reports_file_line),
        cmocka_unit_test(test_test_mode_counts_and_failures),
        cmocka_unit_test(test_screen_stdin_to_stdout),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_config_spellings),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_documented_examples_run),
        cmocka_unit_test(test_protocol_examples),
        cmocka_unit_test(test_vet_screen_wraps),
        cmocka_unit_test(test_vet_version_stats_style),
        cmocka_unit_test(test_vet_user_and_country),
    };
    return cmocka_run_group_tests_name("vetd-cli", tests, NULL, NULL);
}
