/* SPDX-License-Identifier: Apache-2.0 */
/* test_merge.c -- one organisation, one identity (engine/load/load_merge.c):
 * each reason entries are merged for (same_as, a shared identifier, the
 * same name and country, an individual's name and date of birth), what is
 * never merged, what the survivor carries, relations and ids of merged-away
 * entries, the errors, the report, and a deterministic content digest. */
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
#include "load_merge.h"
#include "rtest.h"
#include "ruleset.h"
#include "testutil.h"

/* A scratch ruleset directory under /tmp, removed by teardown. */
typedef tu_rsdir_t tdir_t;

static const char *TAX = "categories = ( { code = \"ai\"; label = \"AI\"; } );\n";

/* A rule per list, so that a test case sees which lists a match carries. */
static const char *POLICY =
    "version = \"merge-1\";\n"
    "verdicts = [ \"clear\", \"review\", \"prohibited\" ];\n"
    "risk_levels = [ \"low\", \"high\" ];\n"
    "relation_kinds = ( { name = \"subsidiary_of\"; } );\n"
    "tags = [ \"t1\" ];\n"
    "rules = (\n"
    "  { id = \"on-l1\"; when = \"partner.lists has \\\"l1\\\"\"; verdict = \"review\";\n"
    "    score = 50; reason = \"l1\"; cite = \"test\"; },\n"
    "  { id = \"on-l2\"; when = \"partner.lists has \\\"l2\\\"\"; verdict = \"review\";\n"
    "    score = 50; reason = \"l2\"; cite = \"test\"; },\n"
    "  { id = \"on-l3\"; when = \"partner.lists has \\\"l3\\\"\"; verdict = \"prohibited\";\n"
    "    score = 90; reason = \"l3\"; cite = \"test\"; }\n"
    ");\n";

/* Every file declares the three lists (the same declaration is one list). */
#define FILL 3 /* filler organisations setup writes */

#define LISTS                                                                                      \
    "lists = ( { id = \"l1\"; name = \"List one\"; }, { id = \"l2\"; name = \"List two\"; },\n"    \
    "          { id = \"l3\"; name = \"List three\"; } );\n"

static int
setup(void **state)
{
    tdir_t *t = tu_rsdir_new("merge");
    if (t == NULL)
        return -1;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/tests", t->path);
    mkdir(sub, 0700);
    tu_rsdir_put(t, "taxonomy.cfg", TAX);
    tu_rsdir_put(t, "policy.cfg", POLICY);
    /* A rule may not name a list no organisation is on: one filler
     * organisation a list, in the last file (FILL of them). */
    tu_rsdir_put(t, "registry/zz-fill.cfg",
                 LISTS "organisations = (\n"
                       "  { id = \"fill-1\"; name = \"Filler One Qwxz\"; lists = [ \"l1\" ]; "
                       "sources = [ \"f\" ]; },\n"
                       "  { id = \"fill-2\"; name = \"Filler Two Qwxz\"; lists = [ \"l2\" ]; "
                       "sources = [ \"f\" ]; },\n"
                       "  { id = \"fill-3\"; name = \"Filler Three Qwxz\"; lists = [ \"l3\" ]; "
                       "sources = [ \"f\" ]; }\n"
                       ");\n");
    *state = t;
    return 0;
}

static int
teardown(void **state)
{
    tdir_t *t = *state;
    return tu_rsdir_destroy(&t);
}

/* Writes registry/NAME (the lists declaration prepended). */
static void
reg(tdir_t *t, const char *name, const char *orgs)
{
    char file[64];
    snprintf(file, sizeof file, "registry/%s", name);
    size_t n = strlen(LISTS) + strlen(orgs) + 1;
    char *text = malloc(n);
    assert_non_null(text);
    snprintf(text, n, "%s%s", LISTS, orgs);
    tu_rsdir_put(t, file, text);
    free(text);
}

static const reg_entity_t *
ent(const ruleset_t *rs, const char *id)
{
    for (size_t i = 0; i < rs->n_ents; i++)
        if (strcmp(rs->ents[i].id, id) == 0)
            return &rs->ents[i];
    return NULL;
}

static bool
has_name(const reg_entity_t *e, const char *name)
{
    for (uint32_t i = 0; i <= e->n_aliases; i++)
        if (strcmp(reg_entity_name(e, i), name) == 0)
            return true;
    return false;
}

static bool
has_list(const ruleset_t *rs, const reg_entity_t *e, const char *list)
{
    int ix = vocab_find(&rs->lists, list);
    return ix >= 0 && reg_has_list(e, (unsigned)ix);
}

/* What load_merge_report writes (caller frees). */
static char *
report(const ruleset_t *rs, bool verbose)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    load_merge_report(rs, f, verbose);
    fclose(f);
    return buf;
}

static void
assert_has(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL) {
        print_error("missing:\n  %s\nin:\n%s", needle, hay);
        fail();
    }
}

/* ---- (b) same_as --------------------------------------------------------- */

static void
test_same_as(void **state)
{
    tdir_t *t = *state;
    reg(t, "a.cfg",
        "organisations = (\n"
        "  { id = \"alpha\"; name = \"Alpha Institute\"; aliases = [ \"AI Inst\" ];\n"
        "    country = \"CN\"; lists = [ \"l1\" ]; sources = [ \"s-alpha\" ]; }\n"
        ");\n");
    reg(t, "b.cfg",
        "organisations = (\n"
        "  { id = \"beta\"; name = \"Beta Research Institute\"; short_names = [ \"BRI\" ];\n"
        "    type = \"research_institute\"; lists = [ \"l2\" ]; tags = [ \"t1\" ];\n"
        "    risk = \"high\"; ids = { ror = \"0abc\"; }; same_as = [ \"alpha\" ];\n"
        "    sources = [ \"s-beta\" ]; }\n"
        ");\n");
    ruleset_t *rs = tu_rsdir_load(t);
    assert_int_equal(rs->n_ents, 1 + FILL);
    const reg_entity_t *e = &rs->ents[0];
    /* The first in load order survives, with its id, name and place. */
    assert_string_equal(e->id, "alpha");
    assert_string_equal(e->name, "Alpha Institute");
    assert_string_equal(e->country, "CN");
    assert_non_null(strstr(e->file, "registry/a.cfg"));
    /* ... and gains everything the other says. */
    assert_string_equal(e->type, "research_institute");
    assert_true(has_list(rs, e, "l1") && has_list(rs, e, "l2"));
    assert_int_equal(e->n_tags, 1);
    assert_string_equal(rs->risks.names[e->risk], "high");
    assert_true(has_name(e, "AI Inst") && has_name(e, "Beta Research Institute") &&
                has_name(e, "BRI"));
    assert_int_equal(e->n_ids, 1);
    assert_string_equal(e->ids[0].scheme, "ror");
    assert_int_equal(e->n_sources, 2);
    assert_string_equal(e->sources[0], "s-alpha");
    assert_string_equal(e->sources[1], "s-beta");
    assert_int_equal(e->n_merged, 1);
    assert_string_equal(e->merged[0], "beta");
    assert_string_equal(e->merged_why[0], "same_as");
    /* A short name stays a short name. */
    for (uint32_t i = 1; i <= e->n_aliases; i++)
        if (strcmp(reg_entity_name(e, i), "BRI") == 0)
            assert_int_equal(reg_entity_name_kind(e, i), REG_NAME_SHORT);
    char *r = report(rs, true);
    assert_has(r, "merged: 1 entry into 1 organisation (same_as 1)\n");
    assert_has(r, "merged beta into alpha (");
    free(r);
    ruleset_destroy(&rs);
}

/* ---- (a) identifiers ------------------------------------------------------ */

static void
test_identifier(void **state)
{
    tdir_t *t = *state;
    reg(t, "a.cfg",
        "organisations = (\n"
        "  { id = \"sdn-1234\"; name = \"ACME TRADING CO\"; lists = [ \"l1\" ];\n"
        "    ids = { ofac = \"1234\"; lei = \"AB 12\"; }; sources = [ \"sdn\" ]; },\n"
        "  { id = \"other\"; name = \"Other Trading\"; lists = [ \"l1\" ];\n"
        "    ids = { ofac = \"12345\"; }; sources = [ \"sdn\" ]; }\n"
        ");\n");
    /* The CSL row: same ofac number, another name; and a third entry with
     * the LEI written another way (case and spacing are not identity). */
    reg(t, "b.cfg",
        "organisations = (\n"
        "  { id = \"csl-ssi-1234\"; name = \"Acme Trading Company Limited\";\n"
        "    lists = [ \"l2\" ]; ids = { ofac = \"1234\"; }; sources = [ \"csl\" ]; },\n"
        "  { id = \"lei-entry\"; name = \"Acme\"; lists = [ \"l3\" ];\n"
        "    ids = { lei = \"ab12\"; }; sources = [ \"gleif\" ]; }\n"
        ");\n");
    ruleset_t *rs = tu_rsdir_load(t);
    assert_int_equal(rs->n_ents, 2 + FILL);
    const reg_entity_t *e = ent(rs, "sdn-1234");
    assert_non_null(e);
    assert_null(ent(rs, "csl-ssi-1234"));
    assert_int_equal(e->n_merged, 2);
    assert_string_equal(e->merged[0], "csl-ssi-1234");
    assert_string_equal(e->merged_why[0], "identifier ofac:1234");
    assert_string_equal(e->merged[1], "lei-entry");
    assert_string_equal(e->merged_why[1], "identifier lei:ab12");
    assert_true(has_list(rs, e, "l1") && has_list(rs, e, "l2") && has_list(rs, e, "l3"));
    /* An identifier it has (compared as keys) is not repeated. */
    assert_int_equal(e->n_ids, 2);
    assert_true(has_name(e, "Acme Trading Company Limited") && has_name(e, "Acme"));
    /* 1234 is not 12345. */
    assert_int_equal(ent(rs, "other")->n_merged, 0);
    char *r = report(rs, false);
    assert_string_equal(r, "merged: 2 entries into 1 organisation (identifier 2)\n");
    free(r);
    ruleset_destroy(&rs);
}

/* ---- (c) name and country, (d) an individual's name and date of birth ---- */

static void
test_name_and_country(void **state)
{
    tdir_t *t = *state;
    reg(t, "a.cfg",
        "organisations = (\n"
        "  { id = \"hit\"; name = \"Harbin Institute of Technology\"; country = \"CN\";\n"
        "    type = \"university\"; lists = [ \"l1\" ]; sources = [ \"a\" ]; },\n"
        "  { id = \"ndu-cn\"; name = \"National Defense University\"; country = \"CN\";\n"
        "    lists = [ \"l1\" ]; sources = [ \"a\" ]; },\n"
        "  { id = \"nocountry\"; name = \"Gamma Works\"; lists = [ \"l1\" ]; sources = [ \"a\" ]; "
        "},\n"
        "  { id = \"komid-un\"; name = \"Korea Mining Development Trading Corporation\";\n"
        "    lists = [ \"l1\" ]; sources = [ \"a\" ]; },\n"
        "  { id = \"acr\"; name = \"Foo Bar Works\"; aliases = [ \"FBW\" ]; country = \"IR\";\n"
        "    lists = [ \"l1\" ]; sources = [ \"a\" ]; },\n"
        "  { id = \"kim-1\"; name = \"KIM, Yong Chol\"; type = \"individual\"; country = \"KP\";\n"
        "    birth_dates = [ \"1960-01-01\" ]; lists = [ \"l1\" ]; sources = [ \"a\" ]; },\n"
        "  { id = \"lee-1\"; name = \"LEE, Min\"; type = \"individual\"; country = \"KP\";\n"
        "    birth_dates = [ \"1970\" ]; lists = [ \"l1\" ]; sources = [ \"a\" ]; }\n"
        ");\n");
    reg(t, "b.cfg",
        "organisations = (\n"
        /* Same name after normalisation, same country: one body. */
        "  { id = \"el-hit\"; name = \"HARBIN INSTITUTE OF TECHNOLOGY.\"; country = \"CN\";\n"
        "    lists = [ \"l2\" ]; sources = [ \"b\" ]; },\n"
        /* Same name, another country: another body. */
        "  { id = \"ndu-us\"; name = \"National Defense University\"; country = \"US\";\n"
        "    lists = [ \"l2\" ]; sources = [ \"b\" ]; },\n"
        /* A name of three words or more, one country unknown: one body. */
        "  { id = \"komid-sdn\"; name = \"KOREA MINING DEVELOPMENT TRADING CORPORATION\";\n"
        "    country = \"KP\"; lists = [ \"l2\" ]; sources = [ \"b\" ]; },\n"
        /* A shorter one, one country unknown: never by name. */
        "  { id = \"gamma-2\"; name = \"Gamma Works\"; country = \"CN\"; lists = [ \"l2\" ];\n"
        "    sources = [ \"b\" ]; },\n"
        /* An acronym in common says too little. */
        "  { id = \"acr-2\"; name = \"Fine Brass Workshop\"; aliases = [ \"FBW\" ];\n"
        "    country = \"IR\"; lists = [ \"l2\" ]; sources = [ \"b\" ]; },\n"
        /* A person's name, word order aside, and a full date of birth. */
        "  { id = \"kim-2\"; name = \"Yong Chol KIM\"; type = \"individual\";\n"
        "    birth_dates = [ \"1959\", \"1960-01-01\" ]; nationalities = [ \"KP\" ];\n"
        "    lists = [ \"l2\" ]; sources = [ \"b\" ]; },\n"
        /* The same name, born another day: another man. */
        "  { id = \"kim-3\"; name = \"KIM Yong Chol\"; type = \"individual\";\n"
        "    birth_dates = [ \"1961-05-05\" ]; lists = [ \"l2\" ]; sources = [ \"b\" ]; },\n"
        /* A person and a country: never on name alone (a year is no date). */
        "  { id = \"lee-2\"; name = \"LEE Min\"; type = \"individual\"; country = \"KP\";\n"
        "    birth_dates = [ \"1970\" ]; lists = [ \"l2\" ]; sources = [ \"b\" ]; },\n"
        /* An organisation named like a person never joins the person. */
        "  { id = \"kim-co\"; name = \"Kim Yong Chol\"; country = \"KP\"; type = \"company\";\n"
        "    lists = [ \"l2\" ]; sources = [ \"b\" ]; }\n"
        ");\n");
    ruleset_t *rs = tu_rsdir_load(t);
    const reg_entity_t *hit = ent(rs, "hit");
    assert_int_equal(hit->n_merged, 1);
    assert_string_equal(hit->merged[0], "el-hit");
    assert_string_equal(hit->merged_why[0], "name and country");
    assert_true(has_list(rs, hit, "l1") && has_list(rs, hit, "l2"));
    assert_string_equal(hit->type, "university");
    assert_non_null(ent(rs, "ndu-us"));
    assert_int_equal(ent(rs, "ndu-cn")->n_merged, 0);
    assert_non_null(ent(rs, "gamma-2"));
    assert_non_null(ent(rs, "acr-2"));
    const reg_entity_t *kim = ent(rs, "kim-1");
    assert_int_equal(kim->n_merged, 1);
    assert_string_equal(kim->merged[0], "kim-2");
    assert_string_equal(kim->merged_why[0], "name and date of birth");
    assert_int_equal(kim->n_birth_dates, 2);
    assert_int_equal(kim->n_nationalities, 1);
    assert_non_null(ent(rs, "kim-3"));
    assert_non_null(ent(rs, "kim-co"));
    assert_non_null(ent(rs, "lee-2"));
    const reg_entity_t *komid = ent(rs, "komid-un");
    assert_int_equal(komid->n_merged, 1);
    assert_string_equal(komid->merged[0], "komid-sdn");
    assert_string_equal(komid->merged_why[0], "name, one country unknown");
    assert_string_equal(komid->country, "KP");
    assert_int_equal(rs->n_ents, 13 + FILL);
    char *r = report(rs, false);
    assert_string_equal(r, "merged: 3 entries into 3 organisations (name and country 1, name and "
                           "date of birth 1, name, one country unknown 1)\n");
    free(r);
    ruleset_destroy(&rs);
}

/* A name that ends in its acronym in brackets (the CSL and the UN write
 * them so) is also the name without it; a bracket that is no acronym is
 * part of the name. */
static void
test_bracketed_acronym(void **state)
{
    tdir_t *t = *state;
    reg(t, "a.cfg",
        "organisations = (\n"
        "  { id = \"csl-aaspt\"; name = \"Academy of Aerospace Solid Propulsion Technology "
        "(AASPT)\";\n"
        "    country = \"CN\"; lists = [ \"l1\" ]; sources = [ \"a\" ]; },\n"
        "  { id = \"x-1\"; name = \"Xylo Works (formerly Yarrow Works)\"; country = \"CN\";\n"
        "    lists = [ \"l1\" ]; sources = [ \"a\" ]; }\n"
        ");\n");
    reg(t, "b.cfg",
        "organisations = (\n"
        "  { id = \"aaspt\"; name = \"Academy of Aerospace Solid Propulsion Technology\";\n"
        "    aliases = [ \"AASPT\" ]; country = \"CN\"; lists = [ \"l2\" ]; sources = [ \"b\" "
        "]; },\n"
        "  { id = \"x-2\"; name = \"Xylo Works\"; country = \"CN\"; lists = [ \"l2\" ];\n"
        "    sources = [ \"b\" ]; }\n"
        ");\n");
    ruleset_t *rs = tu_rsdir_load(t);
    const reg_entity_t *e = ent(rs, "csl-aaspt");
    assert_int_equal(e->n_merged, 1);
    assert_string_equal(e->merged[0], "aaspt");
    assert_non_null(ent(rs, "x-2"));
    assert_int_equal(rs->n_ents, 3 + FILL);
    ruleset_destroy(&rs);
}

/* Two entries of one file on one list are two bodies, whatever names they
 * share; a third entry that shares a name with each joins only one. */
static void
test_same_list_stays_apart(void **state)
{
    tdir_t *t = *state;
    reg(t, "a.cfg",
        "organisations = (\n"
        "  { id = \"caep\"; name = \"Chinese Academy of Engineering Physics\";\n"
        "    aliases = [ \"Center for High Pressure Science\" ]; country = \"CN\";\n"
        "    lists = [ \"l1\" ]; sources = [ \"a\" ]; },\n"
        "  { id = \"hpstar\"; name = \"Center for High Pressure Science\"; country = \"CN\";\n"
        "    lists = [ \"l1\" ]; sources = [ \"a\" ]; }\n"
        ");\n");
    reg(t, "b.cfg",
        "organisations = (\n"
        "  { id = \"x\"; name = \"Center for High Pressure Science\";\n"
        "    aliases = [ \"Chinese Academy of Engineering Physics\" ]; country = \"CN\";\n"
        "    lists = [ \"l2\" ]; sources = [ \"b\" ]; }\n"
        ");\n");
    ruleset_t *rs = tu_rsdir_load(t);
    assert_int_equal(rs->n_ents, 2 + FILL);
    assert_non_null(ent(rs, "caep"));
    assert_non_null(ent(rs, "hpstar"));
    assert_int_equal(ent(rs, "caep")->n_merged + ent(rs, "hpstar")->n_merged, 1);
    ruleset_destroy(&rs);
}

/* ---- relations, ids of merged-away entries, the screening ------------------ */

static void
test_relations_and_ids(void **state)
{
    tdir_t *t = *state;
    reg(t, "a.cfg",
        "organisations = (\n"
        "  { id = \"parent\"; name = \"Parent Group\"; country = \"CN\"; lists = [ \"l1\" ];\n"
        "    sources = [ \"a\" ]; }\n"
        ");\n");
    reg(t, "b.cfg",
        "organisations = (\n"
        "  { id = \"child\"; name = \"Child Works\"; country = \"CN\"; sources = [ \"b\" ];\n"
        "    relations = ( { kind = \"subsidiary_of\"; target = \"parent-2\"; },\n"
        "                  { kind = \"subsidiary_of\"; target = \"parent\"; } ); },\n"
        /* Merged into parent; its relation to parent would be a loop. */
        "  { id = \"parent-2\"; name = \"Parent Group Holding\"; same_as = [ \"parent\" ];\n"
        "    lists = [ \"l2\" ]; sources = [ \"b\" ];\n"
        "    relations = ( { kind = \"subsidiary_of\"; target = \"parent\"; } ); }\n"
        ");\n");
    /* Names and listings overlays reach merged-away entries too (they
     * apply before the merge). */
    tu_rsdir_put(t, "registry/c.cfg",
                 LISTS "listings = ( { id = \"parent-2\"; lists = [ \"l3\" ]; "
                       "sources = [ \"c\" ]; } );\n");
    /* A case naming the merged-away id passes. */
    tu_rsdir_put(t, "tests/t.cfg",
                 "cases = (\n"
                 "  { name = \"by the merged-away id\";\n"
                 "    request = { partner = { name = \"Parent Group Holding\"; }; };\n"
                 "    expect = { verdict = \"prohibited\"; rules = [ \"on-l1\", \"on-l2\", "
                 "\"on-l3\" ];\n"
                 "               partner = \"parent-2\"; }; },\n"
                 "  { name = \"by the survivor's id\";\n"
                 "    request = { partner = { name = \"Parent Group\"; }; };\n"
                 "    expect = { verdict = \"prohibited\"; partner = \"parent\"; }; },\n"
                 "  { name = \"another id does not pass\";\n"
                 "    request = { partner = { name = \"Parent Group\"; }; };\n"
                 "    expect = { verdict = \"prohibited\"; partner = \"child\"; }; }\n"
                 ");\n");
    ruleset_t *rs = tu_rsdir_load(t);
    assert_int_equal(rs->n_ents, 2 + FILL);
    const reg_entity_t *p = ent(rs, "parent"), *c = ent(rs, "child");
    assert_non_null(p);
    assert_non_null(c);
    assert_true(has_list(rs, p, "l3"));
    /* Both relations of child named the one body: one edge, to parent. */
    assert_int_equal(c->n_rels, 1);
    assert_ptr_equal(&rs->ents[c->rels[0].target], p);
    /* parent-2's relation to parent became a loop: dropped. */
    assert_int_equal(p->n_rels, 0);
    diag_t *d = diag_new(0);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    rtest_summary_t sum;
    rtest_run(rs, t->path, f, d, &sum);
    fclose(f);
    assert_int_equal(diag_count(d), 0);
    assert_int_equal(sum.passed, 2);
    assert_int_equal(sum.failed, 1);
    assert_has(out,
               "case \"another id does not pass\": expected partner \"child\", got \"parent\"");
    free(out);
    diag_destroy(&d);
    ruleset_destroy(&rs);
}

/* One body on three lists of three files (a Named Research Organization,
 * the Entity List, the Section 1260H list): one match, every list's rule. */
static void
test_three_lists_one_match(void **state)
{
    tdir_t *t = *state;
    reg(t, "ca-nro.cfg",
        "organisations = ( { id = \"nro-beihang\"; name = \"Beihang University\";\n"
        "  aliases = [ \"Beijing University of Aeronautics and Astronautics\" ];\n"
        "  country = \"CN\"; type = \"university\"; lists = [ \"l1\" ]; sources = [ \"nro\" ]; } "
        ");\n");
    reg(t, "csl.cfg",
        "organisations = ( { id = \"csl-el-beihang-university\"; name = \"Beihang University\";\n"
        "  country = \"CN\"; lists = [ \"l2\" ]; sources = [ \"csl row 7\" ]; } );\n");
    reg(t, "dod.cfg",
        "organisations = ( { id = \"dod-buaa\";\n"
        "  name = \"BEIJING UNIVERSITY OF AERONAUTICS AND ASTRONAUTICS\"; country = \"CN\";\n"
        "  lists = [ \"l3\" ]; sources = [ \"1260H\" ]; } );\n");
    tu_rsdir_put(
        t, "tests/t.cfg",
        "cases = (\n"
        "  { name = \"one match, three lists\";\n"
        "    request = { partner = { name = \"Beihang University\"; country = \"CN\"; }; };\n"
        "    expect = { verdict = \"prohibited\"; rules = [ \"on-l1\", \"on-l2\", "
        "\"on-l3\" ];\n"
        "               partner = \"nro-beihang\"; }; },\n"
        "  { name = \"by the 1260H name and id\";\n"
        "    request = { partner = { name = \"Beijing University of Aeronautics and "
        "Astronautics\"; country = \"CN\"; }; };\n"
        "    expect = { verdict = \"prohibited\"; rules = [ \"on-l1\", \"on-l2\", "
        "\"on-l3\" ];\n"
        "               partner = \"dod-buaa\"; }; }\n"
        ");\n");
    ruleset_t *rs = tu_rsdir_load(t);
    assert_int_equal(rs->n_ents, 1 + FILL);
    const reg_entity_t *e = &rs->ents[0];
    assert_string_equal(e->id, "nro-beihang");
    assert_int_equal(e->n_lists, 3);
    assert_int_equal(e->n_merged, 2);
    assert_string_equal(e->merged[0], "csl-el-beihang-university");
    assert_string_equal(e->merged_why[0], "name and country");
    assert_string_equal(e->merged[1], "dod-buaa");
    assert_string_equal(e->merged_why[1], "name and country");
    diag_t *d = diag_new(0);
    rtest_summary_t sum;
    int rc = rtest_run(rs, t->path, stderr, d, &sum);
    assert_int_equal(rc, 0);
    assert_int_equal(sum.passed, 2);
    diag_destroy(&d);
    ruleset_destroy(&rs);
}

/* A merge through another entry says which. */
static void
test_via(void **state)
{
    tdir_t *t = *state;
    reg(t, "a.cfg",
        "organisations = ( { id = \"a1\"; name = \"Alpha Works\"; country = \"RU\";\n"
        "  lists = [ \"l1\" ]; sources = [ \"a\" ]; } );\n");
    reg(t, "b.cfg",
        "organisations = ( { id = \"b1\"; name = \"Alpha Works\"; country = \"RU\";\n"
        "  ids = { inn = \"77\"; }; lists = [ \"l2\" ]; sources = [ \"b\" ]; } );\n");
    reg(t, "c.cfg",
        "organisations = ( { id = \"c1\"; name = \"AO Alfa\"; ids = { inn = \"77\"; };\n"
        "  lists = [ \"l3\" ]; sources = [ \"c\" ]; } );\n");
    ruleset_t *rs = tu_rsdir_load(t);
    assert_int_equal(rs->n_ents, 1 + FILL);
    const reg_entity_t *e = &rs->ents[0];
    assert_int_equal(e->n_merged, 2);
    assert_string_equal(e->merged[0], "b1");
    assert_string_equal(e->merged_why[0], "name and country");
    assert_string_equal(e->merged[1], "c1");
    assert_string_equal(e->merged_why[1], "identifier inn:77 (via b1)");
    char *r = report(rs, true);
    assert_has(r, "merged: 2 entries into 1 organisation (identifier 1, name and country 1)\n");
    assert_has(r, "merged c1 into a1 (");
    assert_has(r, "): identifier inn:77 (via b1)\n");
    free(r);
    ruleset_destroy(&rs);
}

/* ---- the content digest ---------------------------------------------------- */

static void
test_digest(void **state)
{
    tdir_t *t = *state;
    reg(t, "a.cfg",
        "organisations = ( { id = \"a1\"; name = \"Alpha Works\"; country = \"RU\";\n"
        "  lists = [ \"l1\" ]; sources = [ \"a\" ]; } );\n");
    reg(t, "b.cfg",
        "# the same body, another list\n"
        "organisations = ( { id = \"b1\"; name = \"ALPHA WORKS\"; country = \"RU\";\n"
        "  lists = [ \"l2\" ]; sources = [ \"b\" ]; } );\n");
    ruleset_t *one = tu_rsdir_load(t), *two = tu_rsdir_load(t);
    assert_string_equal(one->content, two->content);
    char c1[65];
    memcpy(c1, one->content, sizeof c1);
    ruleset_destroy(&one);
    ruleset_destroy(&two);
    /* Layout and comments aside, the same meaning: the same digest. */
    reg(t, "b.cfg",
        "organisations = (\n  { id = \"b1\";\n    name = \"ALPHA WORKS\";\n"
        "    country = \"RU\"; lists = [ \"l2\" ]; sources = [ \"b\" ]; }\n);\n");
    one = tu_rsdir_load(t);
    assert_string_equal(one->content, c1);
    ruleset_destroy(&one);
    /* Another body: the merge is gone, and the digest says so. */
    reg(t, "b.cfg",
        "organisations = ( { id = \"b1\"; name = \"ALPHA WORKS\"; country = \"UA\";\n"
        "  lists = [ \"l2\" ]; sources = [ \"b\" ]; } );\n");
    one = tu_rsdir_load(t);
    assert_int_equal(one->n_ents, 2 + FILL);
    assert_string_not_equal(one->content, c1);
    ruleset_destroy(&one);
}

/* ---- errors ------------------------------------------------------------------ */

static void
test_errors(void **state)
{
    tdir_t *t = *state;
    reg(t, "a.cfg",
        "organisations = (\n"
        "  { id = \"alpha\"; name = \"Alpha\"; lists = [ \"l1\" ]; sources = [ \"a\" ]; },\n"
        "  { id = \"person\"; name = \"DOE, John\"; type = \"individual\"; lists = [ \"l1\" ];\n"
        "    ids = { ofac = \"9\"; }; sources = [ \"a\" ]; }\n"
        ");\n");
    reg(t, "b.cfg",
        "organisations = (\n"
        "  { id = \"beta\"; name = \"Beta\"; same_as = [ \"alpah\" ]; sources = [ \"b\" ]; },\n"
        "  { id = \"gamma\"; name = \"Gamma\"; type = \"company\"; same_as = [ \"person\" ];\n"
        "    sources = [ \"b\" ]; },\n"
        "  { id = \"delta\"; name = \"Delta Ltd\"; type = \"company\"; ids = { ofac = \"9\"; };\n"
        "    sources = [ \"b\" ]; }\n"
        ");\n");
    char *errs = tu_ruleset_errors(t->path);
    assert_has(errs, "D/registry/b.cfg:4: organisation \"beta\": same_as: unknown organisation "
                     "\"alpah\" (did you mean \"alpha\"?)\n");
    assert_has(errs, "D/registry/b.cfg:5: organisation \"gamma\": same_as \"person\": an "
                     "individual and an organisation are never one body\n");
    assert_has(errs, "D/registry/b.cfg:7: organisation \"delta\" (company) and \"person\" "
                     "(individual, D/registry/a.cfg:5) share identifier ofac:9: an individual "
                     "and an organisation are never one body\n");
    free(errs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identifier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_and_country, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bracketed_acronym, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_list_stays_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relations_and_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_lists_one_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_via, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
