/* SPDX-License-Identifier: Apache-2.0 */
/* test_batch.c -- integration tests of `vet batch`: a real vetd on a
 * private ipc:// endpoint, bin/vet run on CSV and JSONL inputs, its output
 * checked line by line. Every daemon started here is stopped. Needs
 * $VETD_BIN, $VET_BIN and $VET_TESTS_DIR (tests/run.sh sets them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vet.h"

/* The captured run of one vet command. */
typedef struct result {
    int status; /* exit code, or 128 + signal */
    char *out;  /* stdout, owned */
    char *err;  /* stderr, owned */
} result_t;

/* A path under the tests directory ($VET_TESTS_DIR, default "tests"). */
static void
tests_path(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", tu_env_or("VET_TESTS_DIR", "tests"), rel);
}

/* Starts vetd on the fixture ruleset in d's directory and waits until it
 * answers. */
static void
daemon_start(tu_vetd_t *d)
{
    char rules[256];
    tests_path(rules, sizeof rules, "fixtures/rulesets/good");
    const char *args[] = {"-r", rules, "-e", d->ep, "-a", d->audit, "-w", "2", NULL};
    assert_int_equal(tu_vetd_spawn(d, args), 0);
    assert_int_equal(tu_vetd_wait(d), 0);
}

static int
setup(void **state)
{
    tu_vetd_t *d = calloc(1, sizeof *d);
    if (d == NULL)
        return -1;
    if (tu_vetd_init(d, "batch") != 0) {
        free(d);
        return -1;
    }
    *state = d;
    return 0;
}

static int
teardown(void **state)
{
    tu_vetd_t *d = *state;
    tu_vetd_stop(d);
    tu_vetd_cleanup(d);
    free(d);
    return 0;
}

static void
result_free(result_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

/* Starts `vet batch -e EP args...` with stdin from in_fd (or /dev/null)
 * and its output in the daemon's directory. Returns the pid. */
static pid_t
vet_spawn(tu_vetd_t *d, int in_fd, const char *const *args, const char *const *env)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = tu_env_or("VET_BIN", "bin/vet");
    argv[n++] = "batch";
    argv[n++] = "-e";
    argv[n++] = d->ep;
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char out[160], err[160];
    snprintf(out, sizeof out, "%s/out", d->dir);
    snprintf(err, sizeof err, "%s/err", d->dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int i = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || i < 0)
            _exit(126);
        dup2(o, 1);
        dup2(e, 2);
        dup2(i, 0);
        for (size_t k = 0; env != NULL && env[k] != NULL; k++)
            putenv((char *)env[k]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits (60 s at most) for vet and collects what it wrote. */
static result_t
vet_wait(tu_vetd_t *d, pid_t pid)
{
    int st;
    uint64_t end = tu_now_ms() + 60000;
    pid_t r;
    while ((r = waitpid(pid, &st, WNOHANG)) == 0 && tu_now_ms() < end)
        usleep(5000);
    if (r == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        char path[160];
        snprintf(path, sizeof path, "%s/err", d->dir);
        char *err = tu_read_file(path, NULL);
        fprintf(stderr, "vet batch stderr:\n%s\n", err ? err : "");
        free(err);
        fail_msg("vet batch did not finish within 60 s");
    }
    result_t res;
    res.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    char path[160];
    snprintf(path, sizeof path, "%s/out", d->dir);
    res.out = tu_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/err", d->dir);
    res.err = tu_read_file(path, NULL);
    assert_non_null(res.out);
    assert_non_null(res.err);
    return res;
}

static result_t
vet_run(tu_vetd_t *d, const char *const *args)
{
    return vet_wait(d, vet_spawn(d, -1, args, NULL));
}

/* Splits text into lines (modified in place); returns how many. */
static size_t
split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l != NULL && n < max;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    return n;
}

/* The JSONL result lines of r; each must be a JSON object. Caller frees
 * each with cJSON_Delete. */
static size_t
json_lines(const result_t *r, cJSON **objs, size_t max)
{
    char *copy = strdup(r->out);
    assert_non_null(copy);
    char **lines = calloc(max, sizeof *lines);
    assert_non_null(lines);
    size_t n = split_lines(copy, lines, max);
    for (size_t i = 0; i < n; i++) {
        objs[i] = cJSON_Parse(lines[i]);
        if (!cJSON_IsObject(objs[i]))
            fail_msg("output line %zu is not a JSON object: %.200s", i + 1, lines[i]);
    }
    free(lines);
    free(copy);
    return n;
}

static double
num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static const char *
str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const char *
err_code(const cJSON *o)
{
    return str(cJSON_GetObjectItemCaseSensitive(o, "error"), "code");
}

static void
free_objs(cJSON **objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(objs[i]);
}

/* The summary's count for "verdict NAME" or "error NAME", -1 if absent. */
static long
summary_count(const char *err, const char *kind, const char *name)
{
    char *copy = strdup(err), *lines[64];
    assert_non_null(copy);
    size_t n = split_lines(copy, lines, 64);
    long count = -1;
    for (size_t i = 0; i < n; i++) {
        char k[32], nm[64];
        long c;
        if (sscanf(lines[i], " %31s %63s %ld", k, nm, &c) == 3 && strcmp(k, kind) == 0 &&
            strcmp(nm, name) == 0)
            count = c;
    }
    free(copy);
    return count;
}

/* A path under the daemon's directory. */
static void
dir_path(const tu_vetd_t *d, char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", d->dir, name);
}

/* ---- tests ---- */

/* CSV with quoting in, JSONL out: input order, line numbers, the caller's
 * ids, verdicts, and the most severe verdict's exit code. */
static void
test_csv_to_jsonl(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char in[256];
    tests_path(in, sizeof in, "fixtures/batch/partners.csv");
    result_t r = vet_run(d, (const char *[]){in, NULL});
    assert_int_equal(r.status, 20);
    cJSON *o[16];
    size_t n = json_lines(&r, o, 16);
    assert_int_equal(n, 6);
    static const struct {
        int line;
        const char *id, *verdict;
        double score;
    } want[] = {
        {2, "p1", "prohibited", 100}, {3, "p2", "clear", 0},   {4, "p3", "clear", 0},
        {7, "p4", "review", 40},      {8, "p5", "review", 45}, {9, "p6", "prohibited", 100},
    };
    for (size_t i = 0; i < n; i++) {
        assert_int_equal((int)num(o[i], "line"), want[i].line);
        assert_string_equal(str(o[i], "id"), want[i].id);
        assert_string_equal(str(o[i], "verdict"), want[i].verdict);
        assert_int_equal((int)num(o[i], "score"), (int)want[i].score);
        /* The member order of the reply is kept, after line and id. */
        assert_string_equal(o[i]->child->string, "line");
        assert_string_equal(o[i]->child->next->string, "id");
    }
    /* context.funder reached the rule that reads it. */
    char *p5 = cJSON_PrintUnformatted(o[4]);
    assert_non_null(strstr(p5, "\"funder-flag\""));
    free(p5);
    /* ids "ofac:9750" found the sanctioned entity. */
    char *p6 = cJSON_PrintUnformatted(o[5]);
    assert_non_null(strstr(p6, "\"method\":\"id\""));
    free(p6);
    free_objs(o, n);
    result_free(&r);
}

/* --format csv: a header, one row per record, quoted where needed; the
 * rules with their reasons, the best match with its method, score, the
 * alias that matched (an identifier here) and its lists. */
static void
test_csv_output(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char in[256];
    tests_path(in, sizeof in, "fixtures/batch/partners.csv");
    result_t r = vet_run(d, (const char *[]){"--format", "csv", in, NULL});
    assert_int_equal(r.status, 20);
    const char *want =
        "line,id,name,verdict,score,rules,reasons,match,method,match_score,alias,lists,"
        "unacted_match,note,error,profile\n"
        "2,p1,Harbin Institute of Technology,prohibited,100,strac-nro;nro-named,strac-nro: "
        "current affiliation with a Named Research Organization in a sensitive technology "
        "research area | nro-named: partner is a Named Research Organization,Harbin Institute of "
        "Technology,exact,1.00,Harbin Institute of Technology,ca-nro,,,,all\n"
        "3,p2,University of Toronto,clear,0,,,,,,,,,,,all\n"
        "4,p3,\"Smith, Jones \"\"and\"\" Partners\nConsulting\",clear,0,,,,,,,,,,,all\n"
        "7,p4,Harbin Institute of Technology,review,40,nro-named,nro-named: partner is a Named "
        "Research Organization,Harbin Institute of Technology,exact,1.00,Harbin Institute of "
        "Technology,ca-nro,,,,all\n"
        "8,p5,National University of Defense Technology,review,45,nro-named;funder-flag,"
        "nro-named: partner is a Named Research Organization | funder-flag: federally funded "
        "work with a high-risk partner,National University of Defense Technology,exact,1.00,"
        "National University of Defense Technology,ca-nro,,,,all\n"
        "9,p6,Unlisted Trading Company,prohibited,100,sdn-block,sdn-block: partner is on the "
        "OFAC SDN list,\"BEIJING ALITE TECHNOLOGIES CO., LTD.\",id,1.00,ofac:9750,us-sdn,,,,"
        "all\n";
    assert_string_equal(r.out, want);
    result_free(&r);
}

/* JSONL in: ids kept (a number comes back as a string), blank lines
 * skipped, bad lines get an error line and the batch goes on; --summary
 * counts; the bad records do not hide the prohibited one: exit 20, and
 * stderr says how many could not be screened. */
static void
test_jsonl_malformed_summary(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char in[256];
    tests_path(in, sizeof in, "fixtures/batch/requests.jsonl");
    result_t r = vet_run(d, (const char *[]){"--summary", in, NULL});
    assert_int_equal(r.status, 20);
    assert_non_null(strstr(r.err, "vet batch: 4 records could not be screened (see the error "
                                  "lines); the exit code is the most severe verdict's\n"));
    cJSON *o[16];
    size_t n = json_lines(&r, o, 16);
    assert_int_equal(n, 8);
    static const struct {
        int line;
        const char *id, *verdict, *error, *message;
    } want[] = {
        {1, "j1", "prohibited", NULL, NULL},
        {3, "42", "clear", NULL, NULL},
        {4, NULL, NULL, "bad_input", "invalid JSON at byte 61"},
        {5, "j4", "review", NULL, NULL},
        {6, "j5", NULL, "bad_request", "partner.name: expected a string"},
        {7, NULL, NULL, "bad_input", "id: expected a string or number"},
        {8, NULL, NULL, "bad_input", "expected a JSON object at byte 0"},
        {9, NULL, "review", NULL, NULL},
    };
    for (size_t i = 0; i < n; i++) {
        assert_int_equal((int)num(o[i], "line"), want[i].line);
        if (want[i].id != NULL)
            assert_string_equal(str(o[i], "id"), want[i].id);
        else
            assert_null(cJSON_GetObjectItemCaseSensitive(o[i], "id"));
        if (want[i].verdict != NULL)
            assert_string_equal(str(o[i], "verdict"), want[i].verdict);
        if (want[i].error != NULL) {
            assert_string_equal(err_code(o[i]), want[i].error);
            assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(o[i], "error"), "message"),
                                want[i].message);
        }
    }
    free_objs(o, n);
    assert_int_equal(summary_count(r.err, "verdict", "clear"), 1);
    assert_int_equal(summary_count(r.err, "verdict", "review"), 2);
    assert_int_equal(summary_count(r.err, "verdict", "prohibited"), 1);
    assert_int_equal(summary_count(r.err, "error", "bad_input"), 3);
    assert_int_equal(summary_count(r.err, "error", "bad_request"), 1);
    assert_int_equal(summary_count(r.err, "error", "timeout"), -1);
    result_free(&r);
}

/* Malformed CSV rows: wrong field count, a bad cell, bad quoting, an
 * unterminated quote at the end; good rows around them are answered, and
 * the review among them is the exit code (10), not the errors'. */
static void
test_csv_malformed(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char in[256];
    tests_path(in, sizeof in, "fixtures/batch/malformed.csv");
    result_t r = vet_run(d, (const char *[]){in, NULL});
    assert_int_equal(r.status, 10);
    cJSON *o[16];
    size_t n = json_lines(&r, o, 16);
    assert_int_equal(n, 7);
    static const struct {
        int line;
        const char *id, *verdict, *error;
    } want[] = {
        {2, "m1", "clear", NULL},       {3, "m2", NULL, "bad_input"}, {4, "m3", NULL, "bad_input"},
        {5, "m4", NULL, "bad_request"}, {6, "m5", NULL, "bad_input"}, {7, "m6", "review", NULL},
        {8, "m7", NULL, "bad_input"},
    };
    for (size_t i = 0; i < n; i++) {
        assert_int_equal((int)num(o[i], "line"), want[i].line);
        assert_string_equal(str(o[i], "id"), want[i].id);
        if (want[i].verdict != NULL)
            assert_string_equal(str(o[i], "verdict"), want[i].verdict);
        else
            assert_string_equal(err_code(o[i]), want[i].error);
    }
    assert_non_null(strstr(str(cJSON_GetObjectItemCaseSensitive(o[1], "error"), "message"),
                           "7 fields, the header has 6"));
    assert_non_null(
        strstr(str(cJSON_GetObjectItemCaseSensitive(o[6], "error"), "message"), "unterminated"));
    free_objs(o, n);
    result_free(&r);
}

/* An unknown column is refused before anything is sent: exit 64, the
 * column named, no output, and vetd saw no screening request. */
static void
test_unknown_column(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char in[256];
    tests_path(in, sizeof in, "fixtures/batch/unknown-column.csv");
    result_t r = vet_run(d, (const char *[]){in, NULL});
    assert_int_equal(r.status, 64);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "unknown column \"activty\""));
    assert_non_null(strstr(r.err, "unknown-column.csv:1:"));
    result_free(&r);
    vet_client_t *c = vet_client_new(d->ep);
    assert_non_null(c);
    char *reply = NULL;
    assert_int_equal(vet_screen(c, "{\"op\":\"stats\"}", 3000, &reply), VET_OK);
    assert_non_null(strstr(reply, "\"by_op\":{\"screen\":0,"));
    vet_free(reply);
    vet_client_destroy(&c);
}

/* Exit codes: all clear 0, review 10; the format told by --input-format
 * for a file without a telling name; JSONL found on stdin by its '{'. */
static void
test_exit_codes_and_formats(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char path[160];
    dir_path(d, path, sizeof path, "clear.txt");
    tu_write_file(path, "name,country\nUniversity of Toronto,CA\nETH Zurich,CH\n");
    result_t r = vet_run(d, (const char *[]){"--input-format", "csv", path, NULL});
    assert_int_equal(r.status, 0);
    cJSON *o[4];
    size_t n = json_lines(&r, o, 4);
    assert_int_equal(n, 2);
    assert_string_equal(str(o[1], "verdict"), "clear");
    free_objs(o, n);
    result_free(&r);

    /* Same file, auto-detected: no '{', so CSV. */
    r = vet_run(d, (const char *[]){path, NULL});
    assert_int_equal(r.status, 0);
    result_free(&r);

    /* A malformed row among clear ones: the batch is not clear (65). */
    dir_path(d, path, sizeof path, "clear-and-bad.csv");
    tu_write_file(path, "name,country\nUniversity of Toronto,CA\nETH Zurich,CH,extra\n");
    r = vet_run(d, (const char *[]){path, NULL});
    assert_int_equal(r.status, 65);
    assert_non_null(strstr(r.out, "\"line\":3,\"error\":{\"code\":\"bad_input\""));
    assert_null(strstr(r.err, "could not be screened")); /* the exit code says it */
    result_free(&r);

    dir_path(d, path, sizeof path, "review.in");
    tu_write_file(path, "{\"partner\":{\"name\":\"Beihang University\"},"
                        "\"activity\":\"research_partnership\"}\n");
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    r = vet_wait(d, vet_spawn(d, fd, (const char *[]){"-", NULL}, NULL));
    close(fd);
    assert_int_equal(r.status, 10);
    n = json_lines(&r, o, 4);
    assert_int_equal(n, 1);
    assert_string_equal(str(o[0], "verdict"), "review");
    free_objs(o, n);
    result_free(&r);

    /* Usage errors send nothing. */
    r = vet_run(d, (const char *[]){"--inflight", "0", path, NULL});
    assert_int_equal(r.status, 64);
    result_free(&r);
    r = vet_run(d, (const char *[]){"--format", "xml", path, NULL});
    assert_int_equal(r.status, 64);
    result_free(&r);
    dir_path(d, path, sizeof path, "missing.csv");
    r = vet_run(d, (const char *[]){path, NULL});
    assert_int_equal(r.status, 66);
    result_free(&r);
}

/* A request over the daemon's 1 MiB limit gets vetd's too_large reply,
 * which carries no id: it is matched to its record by size, written as
 * that record's error line, counted under too_large and exits 65, while
 * the records around it are screened. (It once read the reply after
 * freeing it.) */
static void
test_too_large_record(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char path[160];
    dir_path(d, path, sizeof path, "big.jsonl");
    size_t big = 1050 * 1024; /* over max_request_bytes, under max_message_bytes */
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, 'a', big);
    text[big] = '\0';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"id\":\"a\",\"partner\":{\"name\":\"University of Toronto\"}}\n");
    fprintf(f, "{\"id\":\"b\",\"partner\":{\"name\":\"x\"},\"text\":\"%s\"}\n", text);
    fprintf(f, "{\"id\":\"c\",\"partner\":{\"name\":\"University of Toronto\"}}\n");
    assert_int_equal(fclose(f), 0);
    free(text);
    result_t r = vet_run(d, (const char *[]){"--summary", path, NULL});
    assert_int_equal(r.status, 65);
    cJSON *o[4];
    size_t n = json_lines(&r, o, 4);
    assert_int_equal(n, 3);
    assert_string_equal(str(o[0], "verdict"), "clear");
    assert_string_equal(str(o[1], "id"), "b");
    assert_int_equal(num(o[1], "line"), 2);
    assert_string_equal(err_code(o[1]), "too_large");
    assert_string_equal(str(o[2], "verdict"), "clear");
    assert_int_equal(summary_count(r.err, "error", "too_large"), 1);
    free_objs(o, n);
    result_free(&r);
}

/* Writes count JSONL requests numbered from first ("id":"r<i>"),
 * cycling through a prohibited, a review and a clear partner. */
static void
write_requests(FILE *f, int first, int count)
{
    static const char *const bodies[] = {
        "\"partner\":{\"name\":\"Harbin Institute of Technology\",\"country\":\"CN\"},"
        "\"technologies\":[\"ai.ml\"],\"activity\":\"affiliation\"",
        "\"partner\":{\"name\":\"Beihang University\"},\"activity\":\"research_partnership\"",
        "\"partner\":{\"name\":\"University of Toronto\",\"country\":\"CA\"}",
    };
    for (int i = first; i < first + count; i++)
        fprintf(f, "{\"id\":\"r%d\",%s}\n", i, bodies[i % 3]);
}

/* Checks the output of requests r0 .. r<count-1>: one line each, in
 * order, line numbers 1.., the verdict of each one's partner. */
static void
check_requests(const result_t *r, int count)
{
    static const char *const verdicts[] = {"prohibited", "review", "clear"};
    cJSON **o = calloc((size_t)count + 1, sizeof *o);
    assert_non_null(o);
    size_t n = json_lines(r, o, (size_t)count + 1);
    assert_int_equal(n, (size_t)count);
    for (int i = 0; i < count; i++) {
        char id[32];
        snprintf(id, sizeof id, "r%d", i);
        assert_int_equal((int)num(o[i], "line"), i + 1);
        const char *got = str(o[i], "id");
        if (got == NULL || strcmp(got, id) != 0)
            fail_msg("output line %d: id %s, expected %s", i + 1, got ? got : "(none)", id);
        const char *v = str(o[i], "verdict");
        if (v == NULL || strcmp(v, verdicts[i % 3]) != 0)
            fail_msg("output line %d (%s): verdict %s, expected %s", i + 1, id, v ? v : "(none)",
                     verdicts[i % 3]);
    }
    free_objs(o, n);
    free(o);
}

/* 5,000 records through a window of 64 (the reorder buffer wraps many
 * times): every record answered exactly once, in order. */
static void
test_many_records(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char path[160];
    dir_path(d, path, sizeof path, "many.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    write_requests(f, 0, 5000);
    assert_int_equal(fclose(f), 0);
    result_t r = vet_run(d, (const char *[]){"--inflight", "64", "--summary", path, NULL});
    assert_int_equal(r.status, 20);
    check_requests(&r, 5000);
    assert_int_equal(summary_count(r.err, "verdict", "prohibited"), 1667);
    assert_int_equal(summary_count(r.err, "verdict", "review"), 1667);
    assert_int_equal(summary_count(r.err, "verdict", "clear"), 1666);
    result_free(&r);
}

/* Asks the daemon for its count of screening requests. */
static long
screened(const tu_vetd_t *d)
{
    vet_client_t *c = vet_client_new(d->ep);
    assert_non_null(c);
    char *reply = NULL;
    long n = -1;
    if (vet_screen(c, "{\"op\":\"stats\"}", 3000, &reply) == VET_OK) {
        const char *p = strstr(reply, "\"by_op\":{\"screen\":");
        if (p != NULL)
            n = strtol(p + strlen("\"by_op\":{\"screen\":"), NULL, 10);
    }
    vet_free(reply);
    vet_client_destroy(&c);
    return n;
}

/* The daemon dies in the middle of a batch with requests in flight and
 * comes back: the requests it never answered are sent again, and every
 * input line still gets exactly one output line. */
static void
test_daemon_restart(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    int fds[2];
    /* Close-on-exec: a daemon started later must not hold the pipe open. */
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(fcntl(fds[0], F_SETFD, FD_CLOEXEC), 0);
    assert_int_equal(fcntl(fds[1], F_SETFD, FD_CLOEXEC), 0);
    pid_t vet = vet_spawn(d, fds[0], (const char *[]){"-t", "500", "--summary", "-", NULL}, NULL);
    close(fds[0]);
    FILE *w = fdopen(fds[1], "w");
    assert_non_null(w);
    /* The first 1,000 are answered by the first daemon. */
    write_requests(w, 0, 1000);
    fflush(w);
    uint64_t end = tu_now_ms() + 20000;
    while (screened(d) < 1000 && tu_now_ms() < end)
        usleep(20000);
    assert_true(screened(d) >= 1000);
    /* The next 300 reach a daemon that no longer answers, then dies. */
    kill(d->pid, SIGSTOP);
    write_requests(w, 1000, 300);
    fflush(w);
    usleep(300000);
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, 0);
    d->pid = 0;
    /* More arrive while no daemon is there at all. */
    write_requests(w, 1300, 200);
    fflush(w);
    usleep(200000);
    daemon_start(d);
    write_requests(w, 1500, 500);
    fclose(w);
    result_t r = vet_wait(d, vet);
    if (r.status != 20)
        fprintf(stderr, "vet batch stderr:\n%s\n", r.err);
    assert_int_equal(r.status, 20);
    check_requests(&r, 2000);
    assert_true(summary_count(r.err, "resent", "requests") > 0);
    assert_int_equal(summary_count(r.err, "error", "timeout"), -1);
    result_free(&r);
}

/* No daemon at all: every record fails with "timeout", quickly once the
 * first ones have, and the exit code says unavailable. */
static void
test_unreachable(void **state)
{
    tu_vetd_t *d = *state;
    char path[160];
    dir_path(d, path, sizeof path, "few.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    write_requests(f, 0, 3000);
    assert_int_equal(fclose(f), 0);
    uint64_t t0 = tu_now_ms();
    result_t r = vet_run(d, (const char *[]){"-t", "200", "--retries", "1", "--summary", "--format",
                                             "csv", path, NULL});
    assert_int_equal(r.status, 69);
    /* 3,000 would take 3000/256 windows x 400 ms without giving up. */
    assert_true(tu_now_ms() - t0 < 20000);
    assert_int_equal(summary_count(r.err, "error", "timeout"), 3000);
    char *lines[4];
    size_t n = split_lines(r.out, lines, 4);
    assert_int_equal(n, 4);
    assert_non_null(strstr(lines[1], "1,r0,Harbin Institute of Technology,,,,,,,,,,,,timeout: "));
    result_free(&r);
}

/* The screening records of the daemon's audit log (stopped first, so
 * that every record is written; the ping that found it up is left out),
 * parsed; returns how many. Caller frees each. */
static size_t
audit_records(tu_vetd_t *d, cJSON **recs, size_t max)
{
    assert_int_equal(tu_vetd_stop(d), 0);
    char *text = tu_read_file(d->audit, NULL);
    assert_non_null(text);
    char **lines = calloc(max + 1, sizeof *lines);
    assert_non_null(lines);
    size_t nl = split_lines(text, lines, max + 1), n = 0;
    for (size_t i = 0; i < nl; i++) {
        cJSON *rec = cJSON_Parse(lines[i]);
        assert_true(cJSON_IsObject(rec));
        const char *op = str(cJSON_GetObjectItemCaseSensitive(rec, "request"), "op");
        if (op != NULL && strcmp(op, "screen") != 0) {
            cJSON_Delete(rec);
            continue;
        }
        assert_true(n < max);
        recs[n++] = rec;
    }
    free(lines);
    free(text);
    return n;
}

/* The verdict of each partner of write_requests. */
static const char *
verdict_of(const char *name)
{
    if (strcmp(name, "Harbin Institute of Technology") == 0)
        return "prohibited";
    if (strcmp(name, "Beihang University") == 0)
        return "review";
    return "clear";
}

/* The caller's id is the request's id (issue 15): vetd's audit log ties
 * each verdict to the caller's record, --user reaches it as context.user
 * (a row's own context.user wins), ids repeated in the input are never
 * in flight twice and each reply reaches its own record, a record
 * without an id is sent as "vet-batch:LINE", and an id with that prefix
 * is refused. */
static void
test_audit_ids(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char path[160];
    dir_path(d, path, sizeof path, "dup.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* 600 records, ids cycling through d0..d4 while the partners cycle
     * through three verdicts: every id is reused with every verdict. Every
     * seventh has no id; line 601 has a context.user of its own; line 602
     * takes the prefix of invented ids. */
    static const char *const bodies[] = {
        "\"partner\":{\"name\":\"Harbin Institute of Technology\",\"country\":\"CN\"},"
        "\"technologies\":[\"ai.ml\"],\"activity\":\"affiliation\"",
        "\"partner\":{\"name\":\"Beihang University\"},\"activity\":\"research_partnership\"",
        "\"partner\":{\"name\":\"University of Toronto\",\"country\":\"CA\"}",
    };
    for (int i = 0; i < 600; i++) {
        if (i % 7 == 6)
            fprintf(f, "{%s}\n", bodies[i % 3]);
        else
            fprintf(f, "{\"id\":\"d%d\",%s}\n", i % 5, bodies[i % 3]);
    }
    fprintf(f, "{\"id\":\"own\",%s,\"context\":{\"user\":\"bob\"}}\n", bodies[2]);
    fprintf(f, "{\"id\":\"vet-batch:7\",%s}\n", bodies[2]);
    assert_int_equal(fclose(f), 0);
    result_t r = vet_run(
        d, (const char *[]){"--inflight", "32", "--user", "alice", "--summary", path, NULL});
    assert_int_equal(r.status, 20);
    cJSON *o[610];
    size_t n = json_lines(&r, o, 610);
    assert_int_equal(n, 602);
    for (int i = 0; i < 600; i++) {
        const char *want = i % 3 == 0 ? "prohibited" : i % 3 == 1 ? "review" : "clear";
        const char *got = str(o[i], "verdict");
        if (got == NULL || strcmp(got, want) != 0)
            fail_msg("line %d: verdict %s, expected %s", i + 1, got ? got : "(none)", want);
    }
    assert_string_equal(err_code(o[601]), "bad_input");
    assert_non_null(strstr(str(cJSON_GetObjectItemCaseSensitive(o[601], "error"), "message"),
                           "ids beginning \"vet-batch:\""));
    free_objs(o, n);
    result_free(&r);

    /* The audit log: one record per request sent, under the caller's id
     * or the line's, with the verdict of the partner it names. */
    cJSON *a[700];
    size_t na = audit_records(d, a, 700);
    assert_int_equal(na, 601);
    int per_id[5] = {0}, invented = 0;
    for (size_t i = 0; i < na; i++) {
        const char *id = str(a[i], "id");
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(a[i], "request");
        assert_non_null(id);
        assert_string_equal(str(req, "id"), id);
        const char *name = str(cJSON_GetObjectItemCaseSensitive(req, "partner"), "name");
        assert_non_null(name);
        assert_string_equal(str(a[i], "verdict"), verdict_of(name));
        const char *user = str(cJSON_GetObjectItemCaseSensitive(req, "context"), "user");
        assert_non_null(user);
        if (strcmp(id, "own") == 0) {
            assert_string_equal(user, "bob");
        } else if (strncmp(id, "vet-batch:", 10) == 0) {
            /* The line has no id of its own and is every seventh. */
            long line = strtol(id + 10, NULL, 10);
            assert_int_equal(line % 7, 0);
            assert_string_equal(user, "alice");
            invented++;
        } else {
            assert_true(id[0] == 'd' && id[1] >= '0' && id[1] <= '4' && id[2] == '\0');
            assert_string_equal(user, "alice");
            per_id[id[1] - '0']++;
        }
    }
    assert_int_equal(invented, 85);
    assert_int_equal(per_id[0] + per_id[1] + per_id[2] + per_id[3] + per_id[4], 515);
    for (int k = 0; k < 5; k++)
        assert_true(per_id[k] >= 100);
    free_objs(a, na);

    /* CSV: the id column is the request's id; a row without one is
     * "vet-batch:LINE". */
    assert_int_equal(truncate(d->audit, 0), 0);
    daemon_start(d);
    dir_path(d, path, sizeof path, "ids.csv");
    tu_write_file(path, "id,name,country\n"
                        "grant-4711,Harbin Institute of Technology,CN\n"
                        ",University of Toronto,CA\n");
    r = vet_run(d, (const char *[]){"--format", "csv", "--user", "alice", path, NULL});
    assert_int_equal(r.status, 10);
    result_free(&r);
    n = audit_records(d, a, 4);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        const char *name = str(cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(a[i], "request"), "partner"),
                               "name");
        assert_string_equal(str(a[i], "id"), strcmp(name, "University of Toronto") == 0
                                                 ? "vet-batch:3"
                                                 : "grant-4711");
    }
    free_objs(a, n);
}

/* What a reviewer reads (issue 15): the match's method, score, alias and
 * lists; a cleared record's match only in unacted_match; formula cells
 * neutralised; --bom; --keep-columns carries other columns through (and
 * without it they stop the run); country names sent as codes with a
 * note, and vetd suggesting the code for a name the batch does not
 * convert (JSONL). */
static void
test_reviewer_csv(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char in[256];
    tests_path(in, sizeof in, "fixtures/batch/reviewer.csv");
    result_t r = vet_run(d, (const char *[]){"--format", "csv", in, NULL});
    assert_int_equal(r.status, 64);
    assert_non_null(strstr(r.err, "unknown column \"department\""));
    assert_string_equal(r.out, "");
    result_free(&r);

    r = vet_run(d, (const char *[]){"--format", "csv", "--bom", "--keep-columns", in, NULL});
    assert_int_equal(r.status, 10);
    static const char *const want[] = {
        "\xEF\xBB\xBFline,id,name,verdict,score,rules,reasons,match,method,match_score,alias,"
        "lists,unacted_match,note,error,profile,department,owner\n",
        /* A formula in a kept cell, an @ that would start one. */
        "\n2,r1,Harbin Institute of Technology,review,40,nro-named,nro-named: partner is a Named "
        "Research Organization,Harbin Institute of Technology,exact,1.00,Harbin Institute of "
        "Technology,ca-nro,,\"country \"\"China\"\" read as CN\",,all,"
        "\"'=HYPERLINK(\"\"http://example.org\"\")\",\"'@alice\"\n",
        /* Clear although CETC matched: the match is not in match. */
        "\n3,r2,China Electronics Technology Group Corporation,clear,0,,,,,,,,China Electronics "
        "Technology Group Corporation (exact 1.00),\"country \"\"People's Republic of China\"\" "
        "read as CN; The partner matched cetc (exact)",
        ",,all,\"'+physics\",\"'-bob\"\n",
        /* A fuzzy match says so, with the alias that matched. */
        "\n4,r3,WSIEC,review,60,fuzzy-confirm,fuzzy-confirm: the partner resembles a listed "
        "organisation; confirm its identity,WUHAN SANJIANG IMPORT AND EXPORT CO. LTD,fuzzy,0.90,"
        "WSIEC,us-sdn,,,,all,Chemistry,\"carol, dave\"\n",
        "\n5,r4,University of Toronto,clear,0,,,,,,,,,\"country \"\"canada\"\" read as "
        "CA\",,all,,\n",
        "\n6,r5,Beihang University,,,,,,,,,,,,bad_request: partner.country: expected an ISO "
        "3166-1 alpha-2 code,,,\n",
    };
    assert_int_equal(strncmp(r.out, want[0], strlen(want[0])), 0);
    for (size_t i = 1; i < sizeof want / sizeof want[0]; i++)
        if (strstr(r.out, want[i]) == NULL)
            fail_msg("CSV output lacks\n%s\nin\n%s", want[i], r.out);
    result_free(&r);

    /* JSONL output: the note and the kept cells, under "input". */
    r = vet_run(d, (const char *[]){"--keep-columns", in, NULL});
    assert_int_equal(r.status, 10);
    cJSON *o[8];
    size_t n = json_lines(&r, o, 8);
    assert_int_equal(n, 5);
    assert_string_equal(str(o[0], "input_note"), "country \"China\" read as CN");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(o[0], "input"), "department"),
                        "=HYPERLINK(\"http://example.org\")");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(o[2], "input"), "owner"),
                        "carol, dave");
    free_objs(o, n);
    result_free(&r);

    /* --bom is for CSV output only. */
    r = vet_run(d, (const char *[]){"--bom", in, NULL});
    assert_int_equal(r.status, 64);
    result_free(&r);

    /* JSONL records go to vetd as written: a country's name gets vetd's
     * suggestion. */
    char path[160];
    dir_path(d, path, sizeof path, "iran.jsonl");
    tu_write_file(path, "{\"id\":\"i1\",\"partner\":{\"name\":\"Sharif University of "
                        "Technology\",\"country\":\"Iran\"}}\n");
    r = vet_run(d, (const char *[]){path, NULL});
    assert_int_equal(r.status, 65);
    assert_non_null(strstr(r.out, "partner.country: expected an ISO 3166-1 alpha-2 code (did "
                                  "you mean \\\"IR\\\"?)"));
    result_free(&r);
}

/* docs/examples/screen-csv.sh runs as shown in docs/INTEGRATION.md. */
static void
test_example_script(void **state)
{
    tu_vetd_t *d = *state;
    daemon_start(d);
    char rel[256], script[PATH_MAX], in[PATH_MAX], vet[PATH_MAX], cmd[4 * PATH_MAX];
    tests_path(rel, sizeof rel, "../docs/examples/screen-csv.sh");
    assert_non_null(realpath(rel, script));
    tests_path(rel, sizeof rel, "fixtures/batch/partners.csv");
    assert_non_null(realpath(rel, in));
    assert_non_null(realpath(tu_env_or("VET_BIN", "bin/vet"), vet));
    snprintf(cmd, sizeof cmd,
             "cd '%s' && VET_ENDPOINT='%s' VET='%s' sh '%s' '%s' > example.out 2>&1", d->dir, d->ep,
             vet, script, in);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 20);
    char path[160];
    dir_path(d, path, sizeof path, "example.out");
    char *out = tu_read_file(path, NULL);
    assert_non_null(out);
    assert_non_null(strstr(out, "prohibited: p1 p6\n"));
    assert_non_null(strstr(out, "review: p4 p5\n"));
    assert_non_null(strstr(out, "rows not screened: 0\n"));
    assert_non_null(strstr(out, "verdict prohibited"));
    free(out);
    dir_path(d, path, sizeof path, "verdicts.csv");
    char *csv = tu_read_file(path, NULL);
    assert_non_null(csv);
    assert_true(strncmp(csv, "line,id,name,verdict,", 21) == 0);
    free(csv);

    /* Rows that could not be screened are counted; the review among them
     * is the exit code. */
    tests_path(rel, sizeof rel, "fixtures/batch/malformed.csv");
    assert_non_null(realpath(rel, in));
    snprintf(cmd, sizeof cmd,
             "cd '%s' && VET_ENDPOINT='%s' VET='%s' sh '%s' '%s' > example.out 2>&1", d->dir, d->ep,
             vet, script, in);
    st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 10);
    dir_path(d, path, sizeof path, "example.out");
    out = tu_read_file(path, NULL);
    assert_non_null(out);
    assert_non_null(strstr(out, "review: m6\n"));
    assert_non_null(strstr(out, "rows not screened: 5\n"));
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv_to_jsonl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_malformed_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_codes_and_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_daemon_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_example_script, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reviewer_csv, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
