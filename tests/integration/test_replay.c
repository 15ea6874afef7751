/* SPDX-License-Identifier: Apache-2.0 */
/* test_replay.c -- vet-replay and coverage as a user drives them: a real
 * vetd (audit.mask on one context key) serving a copy of the fixture
 * ruleset is asked through the real `vet` client; then the ruleset is
 * changed (an organisation added to a list, one removed, a rule's
 * verdict raised) and the real vet-replay re-screens the real audit
 * log: counts, the verdict table, the rules responsible, the exit code,
 * --out, --against, --since-digest, masked records and --coverage; then
 * `vetd --test --coverage`. Needs $VETD_BIN, $VET_BIN and
 * $VET_TESTS_DIR (tests/run.sh sets them); vet-replay is the one beside
 * $VET_BIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* The captured run of one command. */
typedef struct run {
    int status; /* exit code */
    char *out;  /* stdout, owned */
    char *err;  /* stderr, owned */
} run_t;

/* What the tests share: the daemon's directory (its audit log, the old
 * ruleset in d.rules), the changed ruleset, and the old digest. */
typedef struct fix {
    tu_vetd_t d;      /* the daemon that wrote the audit log */
    char neu[192];    /* the changed ruleset */
    char digest[80];  /* the old ruleset's digest, as the log has it */
    char ndigest[80]; /* the new one's */
} fix_t;

static void
run_free(run_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

/* Runs cmd (a shell command, 60 s at most) in d's directory's terms:
 * its stdout and stderr go to files there and are read back. */
static run_t
run(const tu_vetd_t *d, const char *cmd)
{
    char out[160], err[160], full[4096];
    snprintf(out, sizeof out, "%s/run.out", d->dir);
    snprintf(err, sizeof err, "%s/run.err", d->dir);
    snprintf(full, sizeof full, "timeout 60 %s < /dev/null > %s 2> %s", cmd, out, err);
    run_t r;
    r.status = tu_run(full);
    r.out = tu_read_file(out, NULL);
    r.err = tu_read_file(err, NULL);
    assert_non_null(r.out);
    assert_non_null(r.err);
    return r;
}

/* vet-replay: the binary beside $VET_BIN. */
static const char *
replay_bin(void)
{
    static char path[512];
    char vet[512];
    snprintf(vet, sizeof vet, "%s", tu_env_or("VET_BIN", "bin/vet"));
    snprintf(path, sizeof path, "%s/vet-replay", dirname(vet));
    return path;
}

/* Runs vet-replay with args (as the shell reads them). */
static run_t
replay(const tu_vetd_t *d, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s", replay_bin(), args);
    return run(d, cmd);
}

/* One screen through the real client; asserts its exit code. */
static void
vet_cli_screen(const tu_vetd_t *d, const char *args, int want)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s -e '%s' screen %s", tu_env_or("VET_BIN", "bin/vet"), d->ep, args);
    run_t r = run(d, cmd);
    if (r.status != want)
        fail_msg("vet screen %s: exit %d, wanted %d\n%s%s", args, r.status, want, r.out, r.err);
    run_free(&r);
}

/* The "ruleset" digest of the last audit record. */
static void
last_digest(const tu_vetd_t *d, char *buf, size_t n)
{
    char *text = tu_read_file(d->audit, NULL);
    assert_non_null(text);
    char *last = strstr(text, "\"ruleset\":\"");
    for (char *p = last; p != NULL; p = strstr(p + 1, "\"ruleset\":\""))
        last = p;
    assert_non_null(last);
    snprintf(buf, n, "%.64s", last + strlen("\"ruleset\":\""));
    free(text);
}

/* The fixture: a vetd on a copy of tests/fixtures/rulesets/good with
 * audit.mask = ["context.secret"]; six requests through `vet` (four
 * replayable, one masked, one refused); the changed ruleset beside it. */
static int
setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    if (f == NULL || tu_vetd_init(&f->d, "replay") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    tu_vetd_t *d = &f->d;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp -R %s/fixtures/rulesets/good/. %s/", d->rules,
             tu_env_or("VET_TESTS_DIR", "tests"), d->rules);
    if (tu_run(cmd) != 0)
        return -1;
    tu_write_file(d->cfg, "audit = { mask = [\"context.secret\"]; fsync = \"always\"; };\n");
    const char *args[] = {"-c", d->cfg,   "-r", d->rules, "-e", d->ep,
                          "-a", d->audit, "-w", "2",      NULL};
    if (tu_vetd_spawn(d, args) != 0 || tu_vetd_wait(d) != 0)
        return -1;
    vet_cli_screen(d,
                   "--request-id r1 --name 'Harbin Institute of Technology' --country CN --tech ai "
                   "--activity funding",
                   20);
    vet_cli_screen(d, "--request-id r2 --name 'Beihang University' --country CN", 10);
    vet_cli_screen(d, "--request-id r3 --name 'Acme Robotics' --country CA", 0);
    vet_cli_screen(d, "--request-id r4 --name 'Sharif University of Technology' --country IR", 10);
    vet_cli_screen(d, "--request-id r5 --name 'Acme Robotics' --country CA --context secret=x", 0);
    vet_cli_screen(d, "--request-id r6 --name 'Acme Robotics' --tech no.such.code", 65);
    if (tu_vetd_stop(d) != 0)
        return -1;
    last_digest(d, f->digest, sizeof f->digest);

    /* The change: Acme Robotics on the SDN list, Sharif off the NRO
     * list, and nro-named raised from review to prohibited. */
    snprintf(f->neu, sizeof f->neu, "%s/rules.new", d->dir);
    snprintf(cmd, sizeof cmd,
             "cp -R %s %s && "
             "sed -i 's/row 79\" \\]; },/row 79\" ]; }/; /\"sharif\"/,/row 94/d' "
             "%s/registry/nro.cfg && "
             "sed -i 's/verdict = \"review\"; score = 40;/verdict = \"prohibited\"; score = 40;/' "
             "%s/policy.cfg",
             d->rules, f->neu, f->neu, f->neu);
    if (tu_run(cmd) != 0)
        return -1;
    /* Its own cases expected the old verdicts: the change is the
     * test's, not the ruleset's author's. */
    char extra[256];
    snprintf(extra, sizeof extra, "%s/tests/cases.cfg", f->neu);
    tu_write_file(extra, "cases = ();\n");
    snprintf(extra, sizeof extra, "%s/registry/acme.cfg", f->neu);
    tu_write_file(extra, "organisations = (\n"
                         "  { id = \"sdn-acme\"; name = \"Acme Robotics\"; country = \"CA\";\n"
                         "    type = \"company\"; lists = [ \"us-sdn\" ];\n"
                         "    sources = [ \"us-sdn (a test's own entry)\" ]; }\n"
                         ");\n");
    return 0;
}

static int
teardown(void **state)
{
    fix_t *f = *state;
    if (f == NULL)
        return 0;
    tu_vetd_stop(&f->d);
    tu_vetd_cleanup(&f->d);
    free(f);
    return 0;
}

/* Asserts that text holds needle. */
static void
has(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL)
        fail_msg("expected \"%s\" in:\n%s", needle, text);
}

/* The count on the line starting with label ("replayed"), or -1. */
static long
count_of(const char *text, const char *label)
{
    size_t n = strlen(label);
    for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, label, n) == 0 && p[n] == ' ')
            return strtol(p + n, NULL, 10);
    return -1;
}

/* The table's row for old verdict v: its three counts. */
static void
row(const char *text, const char *v, long *c, long *r, long *p)
{
    char key[32];
    snprintf(key, sizeof key, "\n%-14s", v);
    const char *at = strstr(text, key);
    if (at == NULL)
        fail_msg("no table row \"%s\" in:\n%s", v, text);
    assert_int_equal(sscanf(at + strlen(key), "%ld %ld %ld", c, r, p), 3);
}

/* Records of the audit log: one per line. */
static long
audit_lines(const tu_vetd_t *d)
{
    char *text = tu_read_file(d->audit, NULL);
    assert_non_null(text);
    long n = 0;
    for (char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

/* The whole report against the recorded verdicts. */
static void
test_replay_report(void **state)
{
    fix_t *f = *state;
    tu_vetd_t *d = &f->d;
    char args[1024], out[256];
    snprintf(out, sizeof out, "%s/changes.jsonl", d->dir);
    snprintf(args, sizeof args, "--audit %s --rules %s --out %s -j 2", d->audit, f->neu, out);
    run_t r = replay(d, args);
    /* Something became more severe: exit 1. */
    if (r.status != 1)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    assert_int_equal(count_of(r.out, "records read"), audit_lines(d));
    assert_int_equal(count_of(r.out, "replayed"), 4);
    has(r.out, "1        masked fields (audit.mask): cannot be replayed faithfully\n");
    has(r.out, "1        an error reply (a refused or unreadable request)\n");
    has(r.out, "an admin op\n"); /* the pings of the test's wait */
    assert_int_equal(count_of(r.out, "verdicts changed"), 3);
    has(r.out, "verdicts changed  3  (2 more severe, 1 less severe)\n");
    long c, v, p;
    row(r.out, "clear", &c, &v, &p); /* Acme: now on the SDN list */
    assert_true(c == 0 && v == 0 && p == 1);
    row(r.out, "review", &c, &v, &p); /* Sharif delisted; Beihang's rule raised */
    assert_true(c == 1 && v == 0 && p == 1);
    row(r.out, "prohibited", &c, &v, &p); /* HIT: prohibited either way */
    assert_true(c == 0 && v == 0 && p == 1);
    has(r.out, "  sdn-block                           1               0\n");
    has(r.out, "  nro-named                           0               1\n");
    has(r.out, "partners now more severe: 2\n");
    has(r.out, "review -> prohibited  Beihang University (CN)  id \"r2\"\n");
    has(r.out, "clear -> prohibited  Acme Robotics (CA)  id \"r3\"\n");

    /* --out: one line per changed record, in log order. */
    char *text = tu_read_file(out, NULL);
    assert_non_null(text);
    const char *want_ids[] = {"r2", "r3", "r4"};
    const char *want_old[] = {"review", "clear", "review"};
    const char *want_new[] = {"prohibited", "prohibited", "clear"};
    size_t n = 0;
    for (char *line = text, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1, n++) {
        *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        assert_true(n < 3);
        assert_string_equal(tu_jstr(j, "id"), want_ids[n]);
        assert_string_equal(tu_jstr(j, "old.verdict"), want_old[n]);
        assert_string_equal(tu_jstr(j, "new.verdict"), want_new[n]);
        assert_string_equal(tu_jstr(j, "request.id"), want_ids[n]);
        assert_non_null(tu_jstr(j, "request.partner.name"));
        cJSON_Delete(j);
    }
    assert_int_equal(n, 3);
    free(text);
    run_free(&r);

    /* The old ruleset itself: nothing changes, exit 0. */
    snprintf(args, sizeof args, "--audit %s --rules %s", d->audit, d->rules);
    r = replay(d, args);
    if (r.status != 0)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    assert_int_equal(count_of(r.out, "replayed"), 4);
    assert_int_equal(count_of(r.out, "verdicts changed"), 0);
    run_free(&r);
}

/* --against: the old verdicts from the old ruleset, re-screened. */
static void
test_replay_against(void **state)
{
    fix_t *f = *state;
    tu_vetd_t *d = &f->d;
    char args[1024];
    snprintf(args, sizeof args, "--audit %s --rules %s --against %s", d->audit, f->neu, d->rules);
    run_t r = replay(d, args);
    if (r.status != 1)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    has(r.out, "against fixture-1");
    has(r.out, "old \\ new");
    has(r.out, "verdicts changed  3  (2 more severe, 1 less severe)\n");
    run_free(&r);

    /* Reversed: Sharif, listed again, is the one more severe. */
    snprintf(args, sizeof args, "--audit %s --rules %s --against %s", d->audit, d->rules, f->neu);
    r = replay(d, args);
    if (r.status != 1)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    has(r.out, "verdicts changed  3  (1 more severe, 2 less severe)\n");
    has(r.out, "partners now more severe: 1\n");
    has(r.out, "clear -> review  Sharif University of Technology (IR)  id \"r4\"\n");
    run_free(&r);
}

/* --since-digest: records judged under the old digest and later, not
 * those already judged under the new ruleset. */
static void
test_replay_since(void **state)
{
    fix_t *f = *state;
    tu_vetd_t *d = &f->d;
    /* vetd now serves the new ruleset and judges one more request. */
    const char *args0[] = {"-c", d->cfg,   "-r", f->neu, "-e", d->ep,
                           "-a", d->audit, "-w", "2",    NULL};
    assert_int_equal(tu_vetd_spawn(d, args0), 0);
    assert_int_equal(tu_vetd_wait(d), 0);
    vet_cli_screen(d, "--request-id r7 --name 'Beihang University' --country CN", 20);
    assert_int_equal(tu_vetd_stop(d), 0);
    last_digest(d, f->ndigest, sizeof f->ndigest);
    assert_string_not_equal(f->digest, f->ndigest);

    char args[1024];
    snprintf(args, sizeof args, "--audit %s --rules %s --since-digest %s", d->audit, f->neu,
             f->digest);
    run_t r = replay(d, args);
    if (r.status != 1)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    assert_int_equal(count_of(r.out, "replayed"), 4);
    has(r.out, "1        already judged under the new ruleset (--since-digest)\n");
    has(r.out, "partners now more severe: 2\n");
    run_free(&r);

    /* Since the new digest: everything before it is left out; a prefix
     * of the digest is enough. */
    char prefix[17];
    snprintf(prefix, sizeof prefix, "%.16s", f->ndigest);
    snprintf(args, sizeof args, "--audit %s --rules %s --since-digest %s", d->audit, f->neu,
             prefix);
    r = replay(d, args);
    if (r.status != 0)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    assert_int_equal(count_of(r.out, "replayed"), 0);
    has(r.out, "judged before digest D (--since-digest)\n");
    run_free(&r);

    /* Not a digest: a usage error. */
    snprintf(args, sizeof args, "--audit %s --rules %s --since-digest xyz", d->audit, f->neu);
    r = replay(d, args);
    assert_int_equal(r.status, 64);
    run_free(&r);
}

/* --coverage: rules that never fired, conditions that never held,
 * registry entries never matched. */
static void
test_replay_coverage(void **state)
{
    fix_t *f = *state;
    tu_vetd_t *d = &f->d;
    char args[1024];
    snprintf(args, sizeof args, "--audit %s --rules %s --coverage", d->audit, d->rules);
    run_t r = replay(d, args);
    if (r.status != 0)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    has(r.out, "coverage: 4 requests; 5 of 7 rules never fired\n");
    has(r.out, "  rule nro-named: fired 3 of 4\n");
    has(r.out, "  rule sdn-block: fired 0 of 4  NEVER FIRED\n");
    has(r.out, "    condition 1 held 0 NEVER HELD: partner.lists has \"us-sdn\"\n");
    has(r.out, "    condition 3 held 1: tech.given.any([\"ai\", \"quantum\", \"aerospace\"])\n");
    has(r.out, "registry: 3 of 10 entries matched; 7 never matched\n");
    has(r.out, "  list us-sdn: 2 of 2 never matched\n");
    run_free(&r);
}

/* The usage and error exits. */
static void
test_replay_errors(void **state)
{
    fix_t *f = *state;
    tu_vetd_t *d = &f->d;
    char args[1024];
    run_t r = replay(d, "--rules /nonexistent");
    assert_int_equal(r.status, 64);
    has(r.err, "usage: vet-replay");
    run_free(&r);
    snprintf(args, sizeof args, "--audit %s/none.jsonl --rules %s", d->dir, d->rules);
    r = replay(d, args);
    assert_int_equal(r.status, 66);
    run_free(&r);
    snprintf(args, sizeof args, "--audit %s --rules %s/none", d->audit, d->dir);
    r = replay(d, args);
    assert_int_equal(r.status, 78);
    has(r.err, "the ruleset does not load");
    run_free(&r);
}

/* vetd --test --coverage: the ruleset's own cases, and what they never
 * exercise; the closing summary stays last. */
static void
test_rtest_coverage(void **state)
{
    fix_t *f = *state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --test --coverage -r %s/fixtures/rulesets/good",
             tu_env_or("VETD_BIN", "bin/vetd"), tu_env_or("VET_TESTS_DIR", "tests"));
    run_t r = run(&f->d, cmd);
    if (r.status != 0)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    has(r.out, "coverage: ");
    has(r.out, "  rule strac-nro: fired ");
    has(r.out, "registry: ");
    const char *last = strstr(r.out, "coverage: ");
    assert_non_null(strstr(last, " passed, 0 failed\n"));
    run_free(&r);
}

/* A rule that needs a tag no organisation carries can never fire: a
 * warning of vetd --check (file:line), which still passes, and the
 * first lines of a coverage report. */
static void
test_never_fire_warning(void **state)
{
    fix_t *f = *state;
    tu_vetd_t *d = &f->d;
    char cmd[2048], path[256];
    snprintf(cmd, sizeof cmd, "cp -R %s %s/rules.tag", d->rules, d->dir);
    assert_int_equal(tu_run(cmd), 0);
    snprintf(path, sizeof path, "%s/rules.tag/policy.cfg", d->dir);
    size_t len;
    char *policy = tu_read_file(path, &len);
    assert_non_null(policy);
    /* A tag declared and carried by no one, and a rule on line 14 that
     * needs it. */
    const char *tags = "\"seven-sons\" ];", *rules = "\nrules = (\n";
    char *t = strstr(policy, tags), *r0 = strstr(policy, rules);
    assert_true(t != NULL && r0 != NULL && t < r0);
    *t = '\0';
    *r0 = '\0';
    size_t cap = len + 512;
    char *text = malloc(cap);
    assert_non_null(text);
    snprintf(text, cap,
             "%s\"seven-sons\", \"orphan-tag\" ];%s\nrules = (\n"
             "  { id = \"orphan\"; when = \"partner.tags has \\\"orphan-tag\\\" and current\";\n"
             "    verdict = \"review\"; score = 10; reason = \"r\"; cite = \"c\"; },\n%s",
             policy, t + strlen(tags), r0 + strlen(rules));
    tu_write_file(path, text);
    free(text);
    free(policy);
    snprintf(cmd, sizeof cmd, "%s --check -r %s/rules.tag", tu_env_or("VETD_BIN", "bin/vetd"),
             d->dir);
    run_t r = run(d, cmd);
    if (r.status != 0)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    has(r.out, "/rules.tag/policy.cfg:14: warning: rule \"orphan\" can never fire: condition 1 "
               "(partner.tags has \"orphan-tag\") needs a tag no organisation carries\n");
    run_free(&r);
    /* The fixture's own rules all can fire: no warning. */
    snprintf(cmd, sizeof cmd, "%s --check -r %s", tu_env_or("VETD_BIN", "bin/vetd"), d->rules);
    r = run(d, cmd);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "warning"));
    run_free(&r);
    char args[1024];
    snprintf(args, sizeof args, "--audit %s --rules %s/rules.tag --coverage", d->audit, d->dir);
    r = replay(d, args);
    has(r.out, "warning: rule \"orphan\" can never fire");
    has(r.out, "  rule orphan: fired 0 of 4  NEVER FIRED\n");
    run_free(&r);
}

/* A review decision in the log: a vetd with a review register that
 * says Sharif University (IR) is not the listed "sharif" clears it; a
 * replay without the register judges it as if nobody had reviewed it
 * (review, more severe, and says so), with --reviews as vetd did. */
static void
test_replay_reviews(void **state)
{
    (void)state;
    tu_vetd_t d;
    assert_int_equal(tu_vetd_init(&d, "replay-rv"), 0);
    char cmd[1024], reg[192];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp -R %s/fixtures/rulesets/good/. %s/", d.rules,
             tu_env_or("VET_TESTS_DIR", "tests"), d.rules);
    assert_int_equal(tu_run(cmd), 0);
    snprintf(reg, sizeof reg, "%s/reviews.cfg", d.dir);
    /* Dated today, in force for a year: what vet review add writes. */
    char on[16], until[16], text[1024];
    time_t now = time(NULL);
    struct tm tm;
    strftime(on, sizeof on, "%Y-%m-%d", gmtime_r(&now, &tm));
    now += 365 * 86400;
    strftime(until, sizeof until, "%Y-%m-%d", gmtime_r(&now, &tm));
    snprintf(text, sizeof text,
             "reviews = (\n"
             "  { id = \"rv-1\"; decision = \"not_entity\"; entity = \"sharif\";\n"
             "    name = \"Sharif University of Technology\"; country = \"IR\";\n"
             "    by = \"a.lee\"; on = \"%s\"; reason = \"a namesake\";\n"
             "    expires = \"%s\"; ref = \"RS-1\"; }\n"
             ");\n",
             on, until);
    tu_write_file(reg, text);
    const char *args[] = {"-r",        d.rules, "-e", d.ep, "-a", d.audit,
                          "--reviews", reg,     "-w", "1",  NULL};
    assert_int_equal(tu_vetd_spawn(&d, args), 0);
    assert_int_equal(tu_vetd_wait(&d), 0);
    vet_cli_screen(&d, "--request-id s1 --name 'Sharif University of Technology' --country IR", 0);
    assert_int_equal(tu_vetd_stop(&d), 0);

    snprintf(cmd, sizeof cmd, "--audit %s --rules %s", d.audit, d.rules);
    run_t r = replay(&d, cmd);
    if (r.status != 1)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    has(r.out, "reviewed          1  (review decisions in the log: no --reviews, so judged as if "
               "nobody had reviewed them)\n");
    has(r.out, "clear -> review  Sharif University of Technology (IR)  id \"s1\"\n");
    run_free(&r);
    snprintf(cmd, sizeof cmd, "--audit %s --rules %s --reviews %s", d.audit, d.rules, reg);
    r = replay(&d, cmd);
    if (r.status != 0)
        fail_msg("exit %d\n%s%s", r.status, r.out, r.err);
    has(r.out, "the register of --reviews applied");
    assert_int_equal(count_of(r.out, "verdicts changed"), 0);
    run_free(&r);
    tu_vetd_cleanup(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_report),   cmocka_unit_test(test_replay_against),
        cmocka_unit_test(test_replay_coverage), cmocka_unit_test(test_replay_errors),
        cmocka_unit_test(test_rtest_coverage),  cmocka_unit_test(test_never_fire_warning),
        cmocka_unit_test(test_replay_since),    cmocka_unit_test(test_replay_reviews),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
