/* SPDX-License-Identifier: Apache-2.0 */
/* test_vlog.c -- the event log: level names, the threshold, one whole
 * line per event on stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vlog.h"

static size_t
count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The line format: "2026-11-29T05:40:00.123Z ident[pid] level: message". */
static void
assert_line(const char *line, const char *ident, const char *level, const char *msg)
{
    char pat[512];
    snprintf(pat, sizeof pat,
             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z %s\\[%ld\\] %s: ",
             ident, (long)getpid(), level);
    regex_t re;
    assert_int_equal(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec(&re, line, 0, NULL, 0);
    regfree(&re);
    if (rc != 0)
        fail_msg("line does not match %s: %s", pat, line);
    const char *body = strstr(line, ": ");
    assert_non_null(body);
    size_t len = strcspn(body + 2, "\n");
    if (strlen(msg) != len || strncmp(body + 2, msg, len) != 0)
        fail_msg("message \"%.*s\", expected \"%s\"", (int)len, body + 2, msg);
}

static void
test_level_find(void **state)
{
    (void)state;
    assert_int_equal(vlog_level_find("error"), VLOG_ERR);
    assert_int_equal(vlog_level_find("warning"), VLOG_WARN);
    assert_int_equal(vlog_level_find("info"), VLOG_INFO);
    assert_int_equal(vlog_level_find("debug"), VLOG_DEBUG);
    assert_int_equal(vlog_level_find("warn"), -1);
    assert_int_equal(vlog_level_find("INFO"), -1);
    assert_int_equal(vlog_level_find(""), -1);
    assert_int_equal(vlog_level_find("debug "), -1);
}

static void
test_threshold(void **state)
{
    (void)state;
    vlog_t *l = vlog_new(VLOG_WARN, false, "unit");
    assert_non_null(l);
    tu_capture_t cap;
    tu_capture_start(&cap);
    vlog_msg(l, VLOG_DEBUG, "not shown %d", 1);
    vlog_msg(l, VLOG_INFO, "not shown %d", 2);
    vlog_msg(l, VLOG_WARN, "shown %d", 3);
    vlog_msg(l, VLOG_ERR, "shown %s", "4");
    char *out = tu_capture_end(&cap);
    assert_int_equal(count_lines(out), 2);
    assert_null(strstr(out, "not shown"));
    assert_line(out, "unit", "warning", "shown 3");
    assert_line(strchr(out, '\n') + 1, "unit", "error", "shown 4");
    free(out);
    vlog_destroy(&l);
    assert_null(l);
    vlog_destroy(&l);
    vlog_destroy(NULL);

    /* The most and least verbose thresholds. */
    l = vlog_new(VLOG_ERR, false, NULL);
    assert_non_null(l);
    tu_capture_start(&cap);
    vlog_msg(l, VLOG_WARN, "no");
    vlog_msg(l, VLOG_ERR, "yes");
    out = tu_capture_end(&cap);
    assert_int_equal(count_lines(out), 1);
    assert_line(out, "vetd", "error", "yes"); /* NULL ident: "vetd" */
    free(out);
    vlog_destroy(&l);

    l = vlog_new(VLOG_DEBUG, false, "d");
    assert_non_null(l);
    tu_capture_start(&cap);
    vlog_msg(l, VLOG_DEBUG, "dbg");
    vlog_msg(l, VLOG_INFO, "inf");
    out = tu_capture_end(&cap);
    assert_int_equal(count_lines(out), 2);
    assert_line(out, "d", "debug", "dbg");
    assert_line(strchr(out, '\n') + 1, "d", "info", "inf");
    free(out);
    vlog_destroy(&l);
}

static void
test_newlines_folded(void **state)
{
    (void)state;
    vlog_t *l = vlog_new(VLOG_INFO, false, "unit");
    assert_non_null(l);
    tu_capture_t cap;
    tu_capture_start(&cap);
    vlog_msg(l, VLOG_INFO, "rules/policy.cfg:3: bad\nrules/policy.cfg:9: worse\n%s", "end\n");
    char *out = tu_capture_end(&cap);
    assert_int_equal(count_lines(out), 1);
    assert_line(out, "unit", "info", "rules/policy.cfg:3: bad rules/policy.cfg:9: worse end ");
    free(out);
    vlog_destroy(&l);
}

/* A message longer than the line buffer is cut, still one line. */
static void
test_long_message(void **state)
{
    (void)state;
    char *big = malloc(5001);
    assert_non_null(big);
    memset(big, 'x', 5000);
    big[5000] = '\0';
    tu_capture_t cap;
    tu_capture_start(&cap);
    vlog_msg(NULL, VLOG_WARN, "%s", big);
    char *out = tu_capture_end(&cap);
    assert_int_equal(count_lines(out), 1);
    assert_true(strlen(out) > 2000);
    assert_true(strlen(out) < 2200);
    assert_non_null(strstr(out, "vetd["));
    free(out);
    free(big);
}

/* A NULL log writes to stderr as "vetd". */
static void
test_null_log(void **state)
{
    (void)state;
    tu_capture_t cap;
    tu_capture_start(&cap);
    vlog_msg(NULL, VLOG_INFO, "hello %d", 42);
    char *out = tu_capture_end(&cap);
    assert_int_equal(count_lines(out), 1);
    assert_line(out, "vetd", "info", "hello 42");
    free(out);
}

/* vlog.h: "a NULL handle logs to stderr at level INFO": the same
 * threshold as vlog_new(VLOG_INFO, ...), so debug lines are dropped. */
static void
test_null_log_threshold(void **state)
{
    (void)state;
    tu_capture_t cap;
    tu_capture_start(&cap);
    vlog_msg(NULL, VLOG_DEBUG, "debug detail");
    char *out = tu_capture_end(&cap);
    size_t lines = count_lines(out);
    free(out);
    assert_int_equal(lines, 0);
}

#define THREAD_LINES 200

static void *
logger_main(void *arg)
{
    vlog_t *l = arg;
    for (int i = 0; i < THREAD_LINES; i++)
        vlog_msg(l, VLOG_INFO, "thread line %d of %d with some padding to make it longer", i,
                 THREAD_LINES);
    return NULL;
}

/* Lines from several threads never interleave. */
static void
test_threads_whole_lines(void **state)
{
    (void)state;
    vlog_t *l = vlog_new(VLOG_INFO, false, "mt");
    assert_non_null(l);
    tu_capture_t cap;
    tu_capture_start(&cap);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, logger_main, l), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    char *out = tu_capture_end(&cap);
    assert_int_equal(count_lines(out), 3 * THREAD_LINES);
    int counts[THREAD_LINES] = {0};
    for (char *line = out; *line; line = strchr(line, '\n') + 1) {
        const char *body = strstr(line, "info: thread line ");
        int i = -1, n = -1;
        if (body == NULL || body > strchr(line, '\n') ||
            sscanf(body, "info: thread line %d of %d", &i, &n) != 2 || n != THREAD_LINES || i < 0 ||
            i >= THREAD_LINES)
            fail_msg("torn line: %.*s", (int)strcspn(line, "\n"), line);
        counts[i]++;
    }
    for (int i = 0; i < THREAD_LINES; i++)
        assert_int_equal(counts[i], 3);
    free(out);
    vlog_destroy(&l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_find),         cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_newlines_folded),    cmocka_unit_test(test_long_message),
        cmocka_unit_test(test_null_log),           cmocka_unit_test(test_threads_whole_lines),
        cmocka_unit_test(test_null_log_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
