/* SPDX-License-Identifier: Apache-2.0 */
/* test_ruleset.c -- the ruleset loader: a good ruleset loads with the
 * right counts and a stable digest; every kind of broken ruleset is
 * refused with every error reported as file:line: message. And the
 * ruleset test runner reads a case's request as the wire does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "rtest.h"
#include "ruleset.h"
#include "sbuf.h"
#include "testutil.h"

#define GOOD "tests/fixtures/rulesets/good"
#define NAMES "tests/fixtures/rulesets/names"

/* A scratch ruleset directory under /tmp, removed by teardown. */
typedef tu_rsdir_t tdir_t;

static const char *TAX =
    "categories = (\n"
    "  { code = \"ai\"; label = \"AI\"; keywords = [ \"machine learning\" ]; },\n"
    "  { code = \"ai.cv\"; label = \"Computer vision\"; }\n"
    ");\n";

static const char *POLICY_HEAD = "version = \"t1\";\n"
                                 "verdicts = [ \"clear\", \"review\", \"prohibited\" ];\n"
                                 "risk_levels = [ \"low\", \"high\" ];\n"
                                 "activities = [ \"joint_lab\", \"affiliation\" ];\n"
                                 "relation_kinds = ( { name = \"subsidiary_of\"; } );\n"
                                 "tags = [ \"seven-sons\" ];\n";

static const char *RULE_OK =
    "rules = (\n"
    "  { id = \"r1\"; when = \"partner.lists has \\\"l1\\\"\"; verdict = \"review\";\n"
    "    score = 50; reason = \"listed\"; cite = \"test\"; }\n"
    ");\n";

static const char *REG_OK =
    "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
    "organisations = (\n"
    "  { id = \"a\"; name = \"Alpha Institute of Technology\"; country = \"CN\";\n"
    "    lists = [ \"l1\" ]; sources = [ \"s\" ]; }\n"
    ");\n";

static int
setup(void **state)
{
    *state = tu_rsdir_new("rs");
    return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    tdir_t *t = *state;
    return tu_rsdir_destroy(&t);
}

/* Writes a ruleset from parts (NULL: file not written). */
static void
make(tdir_t *t, const char *tax, const char *policy, const char *reg)
{
    if (tax)
        tu_rsdir_put(t, "taxonomy.cfg", tax);
    if (policy)
        tu_rsdir_put(t, "policy.cfg", policy);
    if (reg)
        tu_rsdir_put(t, "registry/a.cfg", reg);
}

static char *
cat(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%s%s", a, b);
    return s;
}

/* Loads t, expects failure, returns every error joined by newlines with
 * the directory replaced by "D" (caller frees). */
static char *
load_errors(tdir_t *t)
{
    return tu_ruleset_errors(t->path);
}

static void
assert_has(const char *errs, const char *want)
{
    if (strstr(errs, want) == NULL) {
        print_error("missing error:\n  %s\nin:\n%s", want, errs);
        fail();
    }
}

static void
test_good_fixture_loads(void **state)
{
    (void)state;
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(GOOD, d);
    if (rs == NULL)
        diag_print(d, stderr);
    assert_non_null(rs);
    assert_int_equal(diag_count(d), 0);
    assert_string_equal(rs->version, "fixture-1");
    assert_int_equal(tax_count(rs->tax), 6);
    assert_int_equal(rs->n_ents, 10);
    assert_int_equal(rs->n_rules, 7);
    assert_int_equal(rs->n_files, 5);
    assert_int_equal(strlen(rs->digest), 64);
    assert_int_equal(rs->lists.n, 2);
    assert_string_equal(rs->verdicts.names[2], "prohibited");
    /* Symmetric relation co_lab_with is stored both ways. */
    int lab = -1, c54 = -1;
    for (size_t i = 0; i < rs->n_ents; i++) {
        if (strcmp(rs->ents[i].id, "lab-partner") == 0)
            lab = (int)i;
        if (strcmp(rs->ents[i].id, "cetc-54") == 0)
            c54 = (int)i;
    }
    assert_true(lab >= 0 && c54 >= 0);
    assert_int_equal(rs->ents[lab].n_rels, 1);
    assert_int_equal(rs->ents[c54].n_rels, 2);
    assert_true(strstr(rs->ents[lab].file, "registry/mcf.cfg") != NULL);
    assert_true(rs->ents[lab].line > 0);

    /* The digest is a function of the bytes: the same on a reload. */
    ruleset_t *again = ruleset_load(GOOD, d);
    assert_non_null(again);
    assert_string_equal(rs->digest, again->digest);
    ruleset_destroy(&again);
    ruleset_destroy(&rs);
    assert_null(rs);
    diag_destroy(&d);
}

static void
test_digest_changes_with_content(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol, REG_OK);
    diag_t *d = diag_new(0);
    ruleset_t *a = ruleset_load(t->path, d);
    assert_non_null(a);
    tu_rsdir_put(t, "registry/a.cfg",
                 "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
                 "organisations = ( { id = \"a\"; name = \"Alpha Institute\"; lists = [ \"l1\" ];"
                 " sources = [ \"s\" ]; } );\n");
    ruleset_t *b = ruleset_load(t->path, d);
    assert_non_null(b);
    assert_string_not_equal(a->digest, b->digest);
    ruleset_destroy(&a);
    ruleset_destroy(&b);
    diag_destroy(&d);
    free(pol);
}

static void
test_syntax_error_has_file_and_line(void **state)
{
    tdir_t *t = *state;
    make(t, TAX, "version = \"x\";\nverdicts = [ \"clear\" ;\n", REG_OK);
    char *e = load_errors(t);
    assert_has(e, "D/policy.cfg:2: syntax error");
    free(e);
}

/* words.cfg: every mistake at its line, and the ruleset not loaded. */
static void
test_words_errors(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol, REG_OK);
    tu_rsdir_put(t, "words.cfg",
                 "abbreviations = (\n"
                 "  [ \"university\", \"univ\" ],\n"
                 "  [ \"institute\", \"inst of\" ],\n"
                 "  [ \"united\", \"univ\" ],\n"
                 "  [ \"alone\" ],\n"
                 "  [ \"x\", \"...\" ]\n"
                 ");\n"
                 "colours = [ \"red\" ];\n");
    char *e = load_errors(t);
    assert_has(e, "D/words.cfg:3: abbreviations[1]: \"inst of\" is several words");
    assert_has(e, "D/words.cfg:4: abbreviations[2]: \"univ\" already stands for \"university\"");
    assert_has(e, "D/words.cfg:5: abbreviations[3] must be an array of two or more strings");
    assert_has(e, "D/words.cfg:6: abbreviations[4]: \"...\" has no letters or digits");
    assert_has(e, "D/words.cfg:8: unknown setting \"colours\"");
    free(e);
    /* Without words.cfg the ruleset loads (no abbreviations). */
    char path[128];
    snprintf(path, sizeof path, "%s/words.cfg", t->path);
    unlink(path);
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(t->path, d);
    assert_non_null(rs);
    assert_int_equal(rs->words.n_map, 0);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    free(pol);
}

static void
test_syntax_errors_of_several_files(void **state)
{
    tdir_t *t = *state;
    make(t, "categories = ( { code = = \"ai\"; } );\n",
         "version = \"x\";\nverdicts = [ \"clear\" \n", "organisations = ( { id = ; } );\n");
    char *e = load_errors(t);
    assert_has(e, "D/taxonomy.cfg:1: syntax error");
    assert_has(e, "D/policy.cfg:");
    assert_has(e, "D/registry/a.cfg:1: syntax error");
    free(e);
}

static void
test_all_errors_reported(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol,
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = (\n"
         "  { id = \"a\"; name = \"Alpha\"; lists = [ \"l2\" ]; sources = [ \"s\" ]; },\n"
         "  { id = \"a\"; name = \"Alpha again\"; sources = [ \"s\" ]; },\n"
         "  { id = \"b\"; name = \"Beta\"; tags = [ \"seven-son\" ]; sources = [ \"s\" ];\n"
         "    contry = \"CN\"; },\n"
         "  { id = \"c\"; name = \"Gamma\"; risk = \"hgih\"; type = \"univ\"; sources = [ \"s\" ]; "
         "},\n"
         "  { id = \"d\"; name = \"Delta\"; country = \"China\"; },\n"
         "  { id = \"e\"; name = \"\"; sources = [ \"s\" ];\n"
         "    relations = ( { kind = \"subsidiary_of\"; target = \"zz\"; },\n"
         "                  { kind = \"owned_by\"; target = \"a\"; } ); }\n"
         ");\n");
    char *e = load_errors(t);
    assert_has(
        e, "D/registry/a.cfg:3: organisation \"a\": unknown list \"l2\" (did you mean \"l1\"?)");
    assert_has(e,
               "D/registry/a.cfg:4: duplicate organisation id \"a\" (first at D/registry/a.cfg:3)");
    assert_has(e, "D/registry/a.cfg:5: organisation \"b\": unknown tag \"seven-son\" (did you mean "
                  "\"seven-sons\"?)");
    assert_has(e, "D/registry/a.cfg:6: unknown setting \"contry\" in an organisation (did you mean "
                  "\"country\"?)");
    assert_has(e, "D/registry/a.cfg:7: organisation \"c\": unknown risk level \"hgih\" (did you "
                  "mean \"high\"?)");
    assert_has(e, "D/registry/a.cfg:7: organisation \"c\": unknown partner type \"univ\"");
    assert_has(e, "D/registry/a.cfg:8: organisation \"d\": country \"China\" must be an ISO 3166-1 "
                  "alpha-2 code (upper case)");
    assert_has(
        e,
        "D/registry/a.cfg:8: organisation \"d\": missing \"sources\" (where its facts come from)");
    assert_has(e, "D/registry/a.cfg:9: organisation \"e\": \"name\" is empty");
    assert_has(e, "D/registry/a.cfg:10: organisation \"e\": relation subsidiary_of names unknown "
                  "organisation \"zz\"");
    assert_has(e, "D/registry/a.cfg:11: organisation \"e\": unknown relation kind \"owned_by\"");
    free(e);
    free(pol);
}

static void
test_rule_errors(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(
        POLICY_HEAD,
        "rules = (\n"
        "  { id = \"r1\"; when = \"partner.lists has \\\"l1\\\"\"; verdict = \"prohibitted\";\n"
        "    score = 150; reason = \"x\"; cite = \"y\"; },\n"
        "  { id = \"r1\"; when = \"current\"; verdict = \"review\"; score = 1; reason = \"x\"; "
        "cite = \"y\"; },\n"
        "  { id = \"r2\"; when = \"tech.any([\\\"ai.cvv\\\"])\"; verdict = \"review\"; score = 1;\n"
        "    reason = \"x\"; cite = \"y\"; },\n"
        "  { id = \"r3\"; when = \"current\"; verdict = \"review\"; score = 1; reason = \"x\"; },\n"
        "  { id = \"Bad Id\"; when = \"current\"; verdict = \"review\"; score = 1; reason = \"x\"; "
        "cite = \"y\"; }\n"
        ");\n");
    make(t, TAX, pol, REG_OK);
    char *e = load_errors(t);
    assert_has(e, "D/policy.cfg:8: rule \"r1\": unknown verdict \"prohibitted\" (did you mean "
                  "\"prohibited\"?)");
    assert_has(e, "D/policy.cfg:9: rule \"r1\": score must be in 0..100, not 150");
    assert_has(e, "D/policy.cfg:10: duplicate rule id \"r1\" (first at D/policy.cfg:8)");
    assert_has(e, "D/policy.cfg:11:"); /* the compiler's message, with a column */
    assert_has(e, "ai.cvv");
    assert_has(e, "D/policy.cfg:13: rule \"r3\": missing \"cite\"");
    assert_has(
        e,
        "D/policy.cfg:14: rule \"Bad Id\": id must be lower-case letters, digits, '_', '-' or '.'");
    free(e);
    free(pol);
}

/* A rule's cite names the published document a reader can look up,
 * never a file of ours or of the data the ruleset was built from (the
 * registry's sources are held to the same, test_import.c). A URL is an
 * address, and passes. */
static void
test_cite_names_no_file(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD,
                    "rules = (\n"
                    "  { id = \"r1\"; when = \"current\"; verdict = \"review\"; score = 1;\n"
                    "    reason = \"x\"; cite = \"documented ties (FACTS.md, section 8)\"; },\n"
                    "  { id = \"r2\"; when = \"current\"; verdict = \"review\"; score = 1;\n"
                    "    reason = \"x\"; cite = \"as shared/data/README.md says\"; },\n"
                    "  { id = \"r3\"; when = \"current\"; verdict = \"review\"; score = 1;\n"
                    "    reason = \"x\"; cite = \"UN list, scsanctions.un.org/resources/xml/en/"
                    "consolidated.xml; 87 FR 77505\"; }\n"
                    ");\n");
    make(t, TAX, pol, REG_OK);
    char *e = load_errors(t);
    assert_has(e, "D/policy.cfg:9: rule \"r1\": cite names \"FACTS.md\", a file or a line of one: "
                  "cite the published document (publisher, title, date, clause)");
    assert_has(e, "D/policy.cfg:11: rule \"r2\": cite names \"shared/data/README.md\"");
    assert_true(strstr(e, "\"r3\"") == NULL);
    free(e);
    /* As a user meets it: vetd --check refuses the ruleset, at the line. */
    char cmd[1024], out[600];
    snprintf(out, sizeof out, "%s.check", t->path);
    snprintf(cmd, sizeof cmd, "'%s' --check -r '%s' >'%s' 2>&1", tu_env_or("VETD_BIN", "bin/vetd"),
             t->path, out);
    assert_int_equal(tu_run(cmd), 1);
    char *msg = tu_read_file(out, NULL);
    assert_non_null(msg);
    assert_has(msg, "policy.cfg:9: rule \"r1\": cite names \"FACTS.md\", a file or a line of one");
    free(msg);
    unlink(out);
    free(pol);
}

static void
test_policy_errors(void **state)
{
    tdir_t *t = *state;
    make(t, TAX,
         "version = \"x\";\n"
         "verdicts = [ ];\n"
         "activites = [ \"a\" ];\n"
         "matching = { fuzzy_threshold = 1.5; max_matches = 0; };\n"
         "rules = ( );\n",
         REG_OK);
    char *e = load_errors(t);
    assert_has(e, "D/policy.cfg:2: \"verdicts\" must list at least one name");
    assert_has(e, "D/policy.cfg:3: unknown setting \"activites\" in policy.cfg (did you mean "
                  "\"activities\"?)");
    assert_has(e, "D/policy.cfg:4: matching: fuzzy_threshold must be in (0, 1], not 1.5");
    assert_has(e, "D/policy.cfg:4: matching: max_matches must be in 1..100, not 0");
    free(e);
}

static void
test_taxonomy_errors_are_located(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t,
         "categories = (\n"
         "  { code = \"ai\"; label = \"AI\"; },\n"
         "  { code = \"ai\"; label = \"AI again\"; },\n"
         "  { code = \"x.y\"; label = \"orphan\"; },\n"
         "  { code = \"q\"; label = \"Q\"; keywrds = [ \"a\" ]; }\n"
         ");\n",
         pol, REG_OK);
    char *e = load_errors(t);
    assert_has(e, "D/taxonomy.cfg:3:");
    assert_has(e, "duplicate category \"ai\"");
    assert_has(e, "D/taxonomy.cfg:4:");
    assert_has(e, "unknown parent \"x\"");
    assert_has(
        e,
        "D/taxonomy.cfg:5: unknown setting \"keywrds\" in a category (did you mean \"keywords\"?)");
    free(e);
    free(pol);
}

static void
test_missing_files(void **state)
{
    tdir_t *t = *state;
    make(t, TAX, NULL, REG_OK);
    char *e = load_errors(t);
    assert_has(e, "D/policy.cfg: cannot read: No such file or directory");
    free(e);

    diag_t *d = diag_new(0);
    assert_null(ruleset_load("/nonexistent/rules", d));
    assert_string_equal(diag_get(d, 0),
                        "/nonexistent/rules: not a ruleset directory: No such file or directory");
    diag_destroy(&d);
}

static void
test_invalid_utf8_and_nul(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol,
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = ( { id = \"a\"; name = \"Bad \xff\xfe name\"; sources = [ \"s\" ]; } "
         ");\n");
    char *e = load_errors(t);
    assert_has(e, "D/registry/a.cfg:2: organisation \"a\": \"name\" is not valid UTF-8");
    free(e);

    char path[256];
    snprintf(path, sizeof path, "%s/registry/a.cfg", t->path);
    FILE *f = fopen(path, "wb");
    fwrite("organisations = ( );\n\0junk", 1, 26, f);
    fclose(f);
    e = load_errors(t);
    assert_has(e, "D/registry/a.cfg: contains a NUL byte (binary file?)");
    free(e);
    free(pol);
}

static void
test_include_is_refused(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol, "lists = ( { id = \"l1\"; name = \"L\"; } );\n  @include \"registry\"\n");
    char *e = load_errors(t);
    assert_has(e, "D/registry/a.cfg:2: @include is not supported: a ruleset is its directory "
                  "(put organisations in registry/NAME.cfg)");
    free(e);
    free(pol);
}

static void
test_large_registry_loads(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol, NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/registry/big.cfg", t->path);
    FILE *f = fopen(path, "w");
    fputs("lists = ( { id = \"l1\"; name = \"List one\"; } );\norganisations = (\n", f);
    for (int i = 0; i < 20000; i++)
        fprintf(f,
                "%s{ id = \"o%d\"; name = \"Organisation %d Research Institute\"; "
                "aliases = [ \"Org %d\" ]; lists = [ \"l1\" ]; sources = [ \"gen\" ]; }\n",
                i ? "," : "", i, i, i);
    fputs(");\n", f);
    fclose(f);
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(t->path, d);
    diag_print(d, stderr);
    assert_non_null(rs);
    assert_int_equal(rs->n_ents, 20000);
    assert_string_equal(rs->ents[19999].id, "o19999");
    assert_int_equal(rs->ents[19999].line, 20002);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    free(pol);
}

static void
test_tags_shared_between_files(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    /* policy.cfg declares seven-sons; the registry file declares it
     * again and adds its own: both are one vocabulary. */
    make(t, TAX, pol,
         "tags = [ \"seven-sons\", \"defence-lab-host\" ];\n"
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = ( { id = \"a\"; name = \"Alpha\"; tags = [ \"seven-sons\", "
         "\"defence-lab-host\" ]; lists = [ \"l1\" ]; sources = [ \"s\" ]; } );\n");
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(t->path, d);
    diag_print(d, stderr);
    assert_non_null(rs);
    assert_int_equal(rs->tags.n, 2);
    assert_int_equal(rs->ents[0].n_tags, 2);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    free(pol);
}

/* Registry files are read one at a time (load_registry frees each
 * parsed file before it reads the next): a file may still name a list
 * and a tag that only a later file declares, and a name no file
 * declares is still an error at its own file and line. */
static void
test_later_file_declares(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol,
         "organisations = ( { id = \"a\"; name = \"Alpha\"; sources = [ \"s\" ];\n"
         "  lists = [ \"l1\", \"l0\" ]; tags = [ \"host\", \"seven-sons\" ]; } );\n");
    tu_rsdir_put(t, "registry/b.cfg",
                 "tags = [ \"host\" ];\n"
                 "lists = ( { id = \"l0\"; name = \"List zero\"; },\n"
                 "          { id = \"l1\"; name = \"List one\"; } );\n"
                 "organisations = ( { id = \"b\"; name = \"Beta\"; lists = [ \"l1\" ];\n"
                 "  sources = [ \"s\" ]; } );\n");
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(t->path, d);
    diag_print(d, stderr);
    assert_non_null(rs);
    assert_int_equal(rs->n_ents, 2);
    const reg_entity_t *a = &rs->ents[0];
    assert_string_equal(a->id, "a");
    /* Both lists, sorted and unique, as if declared before. */
    assert_int_equal(a->n_lists, 2);
    assert_true(a->lists[0] < a->lists[1]);
    assert_int_equal(a->n_tags, 2);
    ruleset_destroy(&rs);

    /* One unknown name among them is reported where it was written. */
    make(t, NULL, NULL,
         "organisations = ( { id = \"a\"; name = \"Alpha\"; sources = [ \"s\" ];\n"
         "  lists = [ \"l1\", \"l2\" ]; } );\n");
    char *e = load_errors(t);
    assert_has(e, "D/registry/a.cfg:2: organisation \"a\": unknown list \"l2\" (did you mean");
    free(e);
    diag_destroy(&d);
    free(pol);
}

/* A registry file of 0 bytes is what an import that died before writing
 * leaves behind: loading it as "no organisations" would silently drop a
 * whole list. */
static void
test_empty_registry_file(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol, REG_OK);
    tu_rsdir_put(t, "registry/x.cfg", "");
    char *e = load_errors(t);
    assert_has(e, "D/registry/x.cfg: empty file (a failed import leaves this; "
                  "restore it or delete it)");
    free(e);
    free(pol);
}

/* With no rules nothing ever fires: every partner would be "clear". */
static void
test_policy_without_rules(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, "rules = ( );\n");
    make(t, TAX, pol, REG_OK);
    char *e = load_errors(t);
    assert_has(e, "D/policy.cfg:7: the policy has no rules: every partner would be clear");
    free(e);
    free(pol);
}

/* A rule testing a list nobody is on never fires: a failed import or a
 * list id that no importer writes. Both ways of naming a list count. */
static void
test_rule_names_empty_list(void **state)
{
    tdir_t *t = *state;
    char *pol =
        cat(POLICY_HEAD,
            "rules = (\n"
            "  { id = \"r1\"; when = \"partner.lists has \\\"l1\\\"\"; verdict = \"review\";\n"
            "    score = 50; reason = \"listed\"; cite = \"test\"; },\n"
            "  { id = \"us-el\"; when = \"partner.lists has_any [\\\"l1\\\", \\\"l2\\\"]\";\n"
            "    verdict = \"review\"; score = 50; reason = \"listed\"; cite = \"test\"; },\n"
            "  { id = \"near\"; verdict = \"review\"; score = 50; reason = \"r\"; cite = \"c\";\n"
            "    when = \"partner.related(\\\"*\\\", 2).lists has \\\"l2\\\"\"; }\n"
            ");\n");
    make(t, TAX, pol,
         "lists = ( { id = \"l1\"; name = \"List one\"; }, { id = \"l2\"; name = \"Two\"; } );\n"
         "organisations = ( { id = \"a\"; name = \"Alpha\"; lists = [ \"l1\" ];"
         " sources = [ \"s\" ]; } );\n");
    char *e = load_errors(t);
    assert_has(e, "D/policy.cfg:10: rule \"us-el\" names list \"l2\" which has no organisations");
    assert_has(e, "D/policy.cfg:13: rule \"near\" names list \"l2\" which has no organisations");
    assert_null(strstr(e, "rule \"r1\""));
    assert_null(strstr(e, "list \"l1\" which"));
    free(e);
    free(pol);
}

/* The content digest is of what was compiled: the same for two loads,
 * the same when only a comment changes (the file digest is not), and
 * different when one alias changes. */
static void
test_content_digest(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    const char *reg =
        "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
        "organisations = ( { id = \"a\"; name = \"Alpha Institute\"; aliases = [ \"AIT\" ];\n"
        "  lists = [ \"l1\" ]; sources = [ \"s\" ]; } );\n";
    make(t, TAX, pol, reg);
    diag_t *d = diag_new(0);
    ruleset_t *a = ruleset_load(t->path, d);
    ruleset_t *b = ruleset_load(t->path, d);
    diag_print(d, stderr);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(strlen(a->content), 64);
    assert_string_equal(a->content, b->content);
    assert_string_equal(a->digest, b->digest);
    ruleset_destroy(&b);

    char *commented = cat("# a comment changes the bytes, not the meaning\n", reg);
    tu_rsdir_put(t, "registry/a.cfg", commented);
    b = ruleset_load(t->path, d);
    assert_non_null(b);
    assert_string_equal(a->content, b->content);
    assert_string_not_equal(a->digest, b->digest);
    ruleset_destroy(&b);

    tu_rsdir_put(
        t, "registry/a.cfg",
        "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
        "organisations = ( { id = \"a\"; name = \"Alpha Institute\"; aliases = [ \"AIT2\" ];\n"
        "  lists = [ \"l1\" ]; sources = [ \"s\" ]; } );\n");
    b = ruleset_load(t->path, d);
    assert_non_null(b);
    assert_string_not_equal(a->content, b->content);
    assert_int_equal(diag_count(d), 0);
    ruleset_destroy(&a);
    ruleset_destroy(&b);
    diag_destroy(&d);
    free(commented);
    free(pol);
}

/* Index of the entity with id in rs; fails the test if there is none. */
static const reg_entity_t *
find_ent(const ruleset_t *rs, const char *id)
{
    for (size_t i = 0; i < rs->n_ents; i++)
        if (strcmp(rs->ents[i].id, id) == 0)
            return &rs->ents[i];
    fail_msg("no organisation \"%s\"", id);
    return NULL;
}

/* Name i of e is s, of kind k. */
static void
assert_name(const reg_entity_t *e, uint32_t i, const char *s, reg_name_kind_t k)
{
    assert_true(i <= e->n_aliases);
    assert_string_equal(reg_entity_name(e, i), s);
    assert_int_equal(reg_entity_name_kind(e, i), k);
}

/* Short and former names, of an organisation and of a `names` overlay
 * read before the file that defines its organisations: aliases first,
 * then short, then former names; a name the organisation has is
 * skipped; the overlay's sources follow the organisation's. */
static void
test_names_fixture(void **state)
{
    (void)state;
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(NAMES, d);
    diag_print(d, stderr);
    assert_non_null(rs);
    const reg_entity_t *b = find_ent(rs, "beihang");
    assert_int_equal(b->n_aliases, 6);
    assert_non_null(b->alias_kind);
    assert_name(b, 0, "Beihang University", REG_NAME_ALIAS);
    assert_name(b, 1, "Beijing University of Aeronautics and Astronautics", REG_NAME_ALIAS);
    assert_name(b, 2, "BUAA", REG_NAME_ALIAS);
    assert_name(b, 3, "北京航空航天大学", REG_NAME_ALIAS);
    assert_name(b, 4, "北航", REG_NAME_SHORT);
    assert_name(b, 5, "Beihang", REG_NAME_SHORT);
    assert_name(b, 6, "Beijing Institute of Aeronautics", REG_NAME_FORMER);
    assert_int_equal(b->n_sources, 2);
    assert_string_equal(b->sources[0], "fixture: organisation");
    assert_string_equal(b->sources[1], "fixture: names overlay");
    assert_true(strstr(b->file, "registry/b-orgs.cfg") != NULL); /* where it was defined */

    const reg_entity_t *s = find_ent(rs, "sharif");
    assert_int_equal(s->n_aliases, 4);
    assert_name(s, 1, "SUT", REG_NAME_ALIAS);
    assert_name(s, 2, "Sharif", REG_NAME_SHORT); /* its second SUT is skipped */
    assert_name(s, 3, "Arya-Mehr University of Technology", REG_NAME_FORMER);
    assert_name(s, 4, "Aryamehr University of Technology", REG_NAME_FORMER);
    assert_int_equal(s->n_sources, 3);

    /* The overlay's names identify: the fixture's own cases. */
    char *out = NULL;
    size_t outlen = 0;
    FILE *fp = open_memstream(&out, &outlen);
    assert_non_null(fp);
    rtest_summary_t sum;
    int rc = rtest_run(rs, NAMES, fp, d, &sum);
    fclose(fp);
    if (rc != 0)
        fprintf(stderr, "%s", out);
    assert_int_equal(rc, 0);
    assert_int_equal(sum.passed, 3);
    assert_int_equal(sum.failed, 0);
    free(out);
    ruleset_destroy(&rs);
    diag_destroy(&d);
}

/* Loads t and returns its content digest (a copy in buf). */
static void
content_of(tdir_t *t, char buf[65])
{
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(t->path, d);
    diag_print(d, stderr);
    assert_non_null(rs);
    memcpy(buf, rs->content, 65);
    ruleset_destroy(&rs);
    diag_destroy(&d);
}

/* The content digest covers names and their kinds: a short name is not
 * the same as an alias; names given by an overlay are the same meaning
 * as names given in the organisation's own group; an organisation
 * without short or former names keeps the digest it had before kinds. */
static void
test_names_content_digest(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    char plain[65], alias[65], shortn[65], inline_[65], overlay[65];
    make(t, TAX, pol,
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = ( { id = \"a\"; name = \"Alpha Institute\"; lists = [ \"l1\" ];\n"
         "  sources = [ \"s\" ]; } );\n");
    content_of(t, plain);
    make(t, NULL, NULL,
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = ( { id = \"a\"; name = \"Alpha Institute\"; aliases = [ \"AI\" ];\n"
         "  lists = [ \"l1\" ]; sources = [ \"s\" ]; } );\n");
    content_of(t, alias);
    make(t, NULL, NULL,
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = ( { id = \"a\"; name = \"Alpha Institute\"; short_names = [ \"AI\" ];\n"
         "  lists = [ \"l1\" ]; sources = [ \"s\" ]; } );\n");
    content_of(t, shortn);
    assert_string_not_equal(plain, alias);
    assert_string_not_equal(alias, shortn);

    make(t, NULL, NULL,
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = ( { id = \"a\"; name = \"Alpha Institute\"; aliases = [ \"Alpha\" ];\n"
         "  short_names = [ \"AI\" ]; former_names = [ \"Alpha College\" ];\n"
         "  lists = [ \"l1\" ]; sources = [ \"s\", \"t\" ]; } );\n");
    content_of(t, inline_);
    make(t, NULL, NULL,
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = ( { id = \"a\"; name = \"Alpha Institute\"; lists = [ \"l1\" ];\n"
         "  sources = [ \"s\" ]; } );\n");
    tu_rsdir_put(
        t, "registry/0names.cfg",
        "names = ( { id = \"a\"; former_names = [ \"Alpha College\" ];\n"
        "  short_names = [ \"AI\" ]; aliases = [ \"Alpha\" ]; sources = [ \"t\" ]; } );\n");
    content_of(t, overlay);
    assert_string_equal(inline_, overlay);
    free(pol);
}

/* Every error of a `names` group, located, all reported. */
static void
test_names_errors(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol,
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = (\n"
         "  { id = \"alpha-institute\"; name = \"Alpha Institute\"; lists = [ \"l1\" ];\n"
         "    short_names = [ \"AI\", \"\" ]; sources = [ \"s\" ]; }\n"
         ");\n");
    tu_rsdir_put(t, "registry/names.cfg",
                 "names = (\n"
                 "  { id = \"alpha-institue\"; aliases = [ \"Alpha\" ]; sources = [ \"s\" ]; },\n"
                 "  { id = \"alpha-institute\"; aliases = [ \"Alpha\" ]; },\n"
                 "  { id = \"alpha-institute\"; aliases = [ \"Alpha\" ]; sources = [ ]; },\n"
                 "  { id = \"alpha-institute\"; former_names = [ \" \" ]; sources = [ \"s\" ]; },\n"
                 "  { id = \"alpha-institute\"; shortnames = [ \"A\" ]; sources = [ \"s\" ]; },\n"
                 "  { aliases = [ \"Alpha\" ]; sources = [ \"s\" ]; },\n"
                 "  \"alpha-institute\" );\n" /* libconfig puts a scalar at its next token's line */
                 "nmes = ( );\n");
    char *e = load_errors(t);
    assert_has(e, "D/registry/a.cfg:4: organisation \"alpha-institute\": short_names[1] is empty");
    assert_has(e, "D/registry/names.cfg:2: names: unknown organisation \"alpha-institue\" "
                  "(did you mean \"alpha-institute\"?)");
    assert_has(e, "D/registry/names.cfg:3: names \"alpha-institute\": missing \"sources\" "
                  "(where its names come from)");
    assert_has(e, "D/registry/names.cfg:4: names \"alpha-institute\": \"sources\" is empty");
    assert_has(e, "D/registry/names.cfg:5: names \"alpha-institute\": former_names[0] is empty");
    assert_has(e, "D/registry/names.cfg:6: unknown setting \"shortnames\" in a names group "
                  "(did you mean \"short_names\"?)");
    assert_has(e, "D/registry/names.cfg:7: names: missing \"id\"");
    assert_has(e, "D/registry/names.cfg:8: names[6] must be a group");
    assert_has(e, "D/registry/names.cfg:9: unknown setting \"nmes\" in a registry file "
                  "(did you mean \"names\"?)");
    free(e);

    tu_rsdir_put(t, "registry/names.cfg", "names = { id = \"alpha-institute\"; };\n");
    e = load_errors(t);
    assert_has(e, "D/registry/names.cfg:1: a registry file: \"names\" must be a list, not a group");
    free(e);
    free(pol);
}

/* A `listings` group adds list memberships to an organisation of another
 * file, read before or after it: the lists come out a sorted set with the
 * organisation's own (one it has already is accepted and adds nothing),
 * the group's sources follow the organisation's, a rule may name a list
 * only an overlay fills, and the content digest is that of the same
 * memberships written in the organisation's own group. */
static void
test_listings_overlay(void **state)
{
    tdir_t *t = *state;
    char *pol =
        cat(POLICY_HEAD,
            "rules = (\n"
            "  { id = \"r3\"; when = \"partner.lists has \\\"l3\\\"\"; verdict = \"review\";\n"
            "    score = 50; reason = \"listed\"; cite = \"test\"; }\n"
            ");\n");
    const char *decl =
        "lists = ( { id = \"l1\"; name = \"One\"; }, { id = \"l2\"; name = \"Two\"; },\n"
        "          { id = \"l3\"; name = \"Three\"; } );\n";
    char *inline_reg =
        cat(decl, "organisations = ( { id = \"a\"; name = \"Alpha Institute\";\n"
                  "  lists = [ \"l3\", \"l1\", \"l2\" ]; sources = [ \"s\", \"t\" ]; } );\n");
    make(t, TAX, pol, inline_reg);
    char inline_[65], overlay[65];
    content_of(t, inline_);

    char *own = cat(decl, "organisations = ( { id = \"a\"; name = \"Alpha Institute\";\n"
                          "  lists = [ \"l2\" ]; sources = [ \"s\" ]; } );\n");
    make(t, NULL, NULL, own);
    /* Read before a.cfg (name order): its organisation is not known yet. */
    tu_rsdir_put(t, "registry/0listings.cfg",
                 "listings = ( { id = \"a\"; lists = [ \"l3\", \"l2\", \"l1\", \"l3\" ];\n"
                 "  sources = [ \"t\" ]; } );\n");
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(t->path, d);
    diag_print(d, stderr);
    assert_non_null(rs);
    const reg_entity_t *a = find_ent(rs, "a");
    static const char *const want[] = {"l1", "l2", "l3"};
    assert_int_equal(a->n_lists, 3);
    for (uint16_t i = 0; i < a->n_lists; i++)
        assert_string_equal(rs->lists.names[a->lists[i]], want[i]);
    assert_int_equal(a->n_sources, 2);
    assert_string_equal(a->sources[0], "s");
    assert_string_equal(a->sources[1], "t");
    memcpy(overlay, rs->content, 65);
    ruleset_destroy(&rs);
    assert_string_equal(inline_, overlay);

    /* Two groups, one repeating lists the organisation has: same result. */
    tu_rsdir_put(t, "registry/b.cfg",
                 "listings = ( { id = \"a\"; lists = [ \"l2\" ]; sources = [ \"t\" ]; } );\n");
    content_of(t, overlay);
    assert_string_equal(inline_, overlay);
    diag_destroy(&d);
    free(own);
    free(inline_reg);
    free(pol);
}

/* Every error of a `listings` group, located, all reported. */
static void
test_listings_errors(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol,
         "lists = ( { id = \"l1\"; name = \"List one\"; }, { id = \"us-el\"; name = \"EL\"; } );\n"
         "organisations = (\n"
         "  { id = \"alpha-institute\"; name = \"Alpha Institute\"; lists = [ \"l1\" ];\n"
         "    sources = [ \"s\" ]; }\n"
         ");\n");
    tu_rsdir_put(t, "registry/listed.cfg",
                 "listings = (\n"
                 "  { id = \"alpha-institue\"; lists = [ \"us-el\" ]; sources = [ \"s\" ]; },\n"
                 "  { id = \"alpha-institute\"; lists = [ \"us-e1\" ]; sources = [ \"s\" ]; },\n"
                 "  { id = \"alpha-institute\"; lists = [ \"us-el\" ]; },\n"
                 "  { id = \"alpha-institute\"; lists = [ \"us-el\" ]; sources = [ ]; },\n"
                 "  { id = \"alpha-institute\"; sources = [ \"s\" ]; },\n"
                 "  { id = \"alpha-institute\"; lists = [ ]; sources = [ \"s\" ]; },\n"
                 "  { id = \"alpha-institute\"; list = [ \"us-el\" ]; sources = [ \"s\" ]; },\n"
                 "  { lists = [ \"us-el\" ]; sources = [ \"s\" ]; },\n"
                 "  \"alpha-institute\" );\n" /* libconfig puts a scalar at its next token's line */
                 "listing = ( );\n");
    char *e = load_errors(t);
    assert_has(e, "D/registry/listed.cfg:2: listings: unknown organisation \"alpha-institue\" "
                  "(did you mean \"alpha-institute\"?)");
    assert_has(e, "D/registry/listed.cfg:3: listings \"alpha-institute\": unknown list \"us-e1\" "
                  "(did you mean \"us-el\"?)");
    assert_has(e, "D/registry/listed.cfg:4: listings \"alpha-institute\": missing \"sources\" "
                  "(where its listings come from)");
    assert_has(e, "D/registry/listed.cfg:5: listings \"alpha-institute\": \"sources\" is empty");
    assert_has(e, "D/registry/listed.cfg:6: listings \"alpha-institute\": missing \"lists\" "
                  "(the lists it adds)");
    assert_has(e, "D/registry/listed.cfg:7: listings \"alpha-institute\": \"lists\" is empty");
    assert_has(e, "D/registry/listed.cfg:8: unknown setting \"list\" in a listings group "
                  "(did you mean \"lists\"?)");
    assert_has(e, "D/registry/listed.cfg:9: listings: missing \"id\"");
    assert_has(e, "D/registry/listed.cfg:10: listings[8] must be a group");
    assert_has(e, "D/registry/listed.cfg:11: unknown setting \"listing\" in a registry file "
                  "(did you mean \"listings\"?)");
    free(e);
    free(pol);
}

/* Two importers' files may both declare a list: the same declaration is
 * one list, a different one is an error naming the first. */
static void
test_list_redeclared(void **state)
{
    tdir_t *t = *state;
    char *policy = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, policy, REG_OK);
    tu_rsdir_put(
        t, "registry/b.cfg",
        "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
        "organisations = (\n"
        "  { id = \"b\"; name = \"Beta Works\"; lists = [ \"l1\" ]; sources = [ \"s\" ]; }\n"
        ");\n");
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(t->path, d);
    assert_non_null(rs);
    assert_int_equal(rs->lists.n, 1);
    assert_int_equal(rs->n_ents, 2);
    ruleset_destroy(&rs);
    diag_destroy(&d);

    tu_rsdir_put(t, "registry/b.cfg", "lists = ( { id = \"l1\"; name = \"Another list\"; } );\n");
    char *errs = load_errors(t);
    assert_has(errs, "D/registry/b.cfg:1: list \"l1\" declared twice (first at "
                     "D/registry/a.cfg:1)");
    free(errs);
    free(policy);
}

/* A test case's request is a wire request: it is read by the wire
 * format's own reader, so what a client cannot send (ids as a string, an
 * op that does not screen) is an error of the case at its request's
 * file:line, with the wire's message, and what the wire normalises (a
 * lower-case country, an upper-case id scheme) reads as the wire reads it. */
static void
test_case_request_is_a_wire_request(void **state)
{
    tdir_t *t = *state;
    char *pol = cat(POLICY_HEAD, RULE_OK);
    make(t, TAX, pol,
         "lists = ( { id = \"l1\"; name = \"List one\"; } );\n"
         "organisations = (\n"
         "  { id = \"a\"; name = \"Alpha Institute of Technology\"; country = \"CN\";\n"
         "    ids = { ror = \"0abc\"; }; lists = [ \"l1\" ]; sources = [ \"s\" ]; }\n"
         ");\n");
    char tests[128];
    snprintf(tests, sizeof tests, "%s/tests", t->path);
    assert_int_equal(mkdir(tests, 0700), 0);
    tu_rsdir_put(t, "tests/w.cfg",
                 "cases = (\n"
                 "  { name = \"ids as a string\";\n"
                 "    request = { partner = { name = \"Alpha\"; ids = \"0abc\"; }; };\n"
                 "    expect = { verdict = \"review\"; }; },\n"
                 "  { name = \"as the wire reads it\";\n"
                 "    request = { id = 7; partner = { name = \" Nobody \"; country = \"cn\";\n"
                 "                ids = { ROR = \"0abc\"; }; }; };\n"
                 "    expect = { verdict = \"review\"; rules = [ \"r1\" ]; partner = \"a\"; }; },\n"
                 "  { name = \"not a screening\";\n"
                 "    request = { op = \"ping\"; };\n"
                 "    expect = { verdict = \"clear\"; }; },\n"
                 "  { name = \"typo\";\n"
                 "    request = {\n"
                 "      partner = { name = \"Alpha\"; contry = \"CN\"; }; };\n"
                 "    expect = { verdict = \"review\"; }; }\n"
                 ");\n");
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(t->path, d);
    diag_print(d, stderr);
    assert_non_null(rs);
    char *out = NULL;
    size_t outlen = 0;
    FILE *fp = open_memstream(&out, &outlen);
    assert_non_null(fp);
    rtest_summary_t sum;
    assert_int_equal(rtest_run(rs, t->path, fp, d, &sum), -1);
    fclose(fp);
    assert_int_equal(sum.files, 1);
    assert_int_equal(sum.passed, 1);
    assert_int_equal(sum.failed, 3);
    assert_string_equal(out, ""); /* no case ran and failed: they are malformed */
    assert_int_equal(diag_count(d), 3);
    char want[512];
    snprintf(want, sizeof want,
             "%s/tests/w.cfg:3: case \"ids as a string\": request: partner.ids: expected an object",
             t->path);
    assert_string_equal(diag_get(d, 0), want);
    snprintf(
        want, sizeof want,
        "%s/tests/w.cfg:10: case \"not a screening\": request: op must be \"screen\", not \"ping\"",
        t->path);
    assert_string_equal(diag_get(d, 1), want);
    snprintf(want, sizeof want,
             "%s/tests/w.cfg:13: case \"typo\": request: unknown field \"partner.contry\" "
             "(did you mean \"partner.country\"?)",
             t->path);
    assert_string_equal(diag_get(d, 2), want);
    free(out);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    free(pol);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_fixture_loads),
        cmocka_unit_test_setup_teardown(test_later_file_declares, setup, teardown),
        cmocka_unit_test_setup_teardown(test_words_errors, setup, teardown),
        cmocka_unit_test(test_names_fixture),
        cmocka_unit_test_setup_teardown(test_names_content_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listings_overlay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listings_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_redeclared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest_changes_with_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error_has_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors_of_several_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_errors_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cite_names_no_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_taxonomy_errors_are_located, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_and_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_include_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_registry_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags_shared_between_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_registry_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_without_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_names_empty_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_request_is_a_wire_request, setup, teardown),
    };
    return cmocka_run_group_tests_name("ruleset", tests, NULL, NULL);
}
