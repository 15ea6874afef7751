/* SPDX-License-Identifier: Apache-2.0 */
/* test_import.c -- vet-import: CSV reader, helpers, and every format run as a user would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "country.h"
#include "csv.h"
#include "dates.h"
#include "import.h"
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------- */

/* The fixture directory: $VET_TESTS_DIR/fixtures/import. */
#define FXD tu_env_or("VET_TESTS_DIR", "tests")
#define FX "%s/fixtures/import/"

typedef struct run {
    int rc;
    char *out;
    size_t out_len;
    char *err;
} run_t;

typedef struct fixture {
    char dir[64];
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/vet-import-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Runs the importer with args (already shell-safe), capturing stdout and
 * stderr. Caller frees r->out and r->err (run_free). */
static run_t
run(const fixture_t *f, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s/out' 2>'%s/err'",
             tu_env_or("VET_IMPORT_BIN", "bin/vet-import"), args, f->dir, f->dir);
    int rc = tu_run(cmd);
    assert_true(rc >= 0);
    run_t r = {rc, NULL, 0, NULL};
    char path[128];
    snprintf(path, sizeof path, "%s/out", f->dir);
    r.out = tu_read_file(path, &r.out_len);
    snprintf(path, sizeof path, "%s/err", f->dir);
    r.err = tu_read_file(path, NULL);
    assert_non_null(r.out);
    assert_non_null(r.err);
    return r;
}

static void
run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

#define assert_has(hay, needle)                                                                    \
    do {                                                                                           \
        if (strstr((hay), (needle)) == NULL)                                                       \
            fail_msg("missing:\n%s\n--- in:\n%s", (needle), (hay));                                \
    } while (0)

#define assert_lacks(hay, needle)                                                                  \
    do {                                                                                           \
        if (strstr((hay), (needle)) != NULL)                                                       \
            fail_msg("unexpected:\n%s", (needle));                                                 \
    } while (0)

/* The hex SHA-256 of a file, as the header must show it. */
static void
sha_hex(const char *path, char hex[65])
{
    size_t n;
    char *d = tu_read_file(path, &n);
    assert_non_null(d);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)d, n);
    sodium_bin2hex(hex, 65, h, sizeof h);
    free(d);
}

/* Writes a minimal ruleset around registry text and runs vetd --check on it. */
static int
vetd_check(const fixture_t *f, const char *registry)
{
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/rs", f->dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/rs/registry", f->dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/rs/taxonomy.cfg", f->dir);
    tu_write_file(path, "categories = ( { code = \"quantum\"; label = \"Quantum\"; "
                        "keywords = [ \"qubit\" ]; } );\n");
    snprintf(path, sizeof path, "%s/rs/policy.cfg", f->dir);
    tu_write_file(path,
                  "version = \"import-test\";\nverdicts = [ \"clear\", \"review\" ];\n"
                  "risk_levels = [ \"low\", \"medium\", \"high\" ];\n"
                  "rules = ( { id = \"listed\"; when = \"partner.matched\"; verdict = \"review\";\n"
                  "  score = 50; reason = \"listed\"; cite = \"test\"; } );\n");
    snprintf(path, sizeof path, "%s/rs/registry/imported.cfg", f->dir);
    tu_write_file(path, registry);
    snprintf(cmd, sizeof cmd, "'%s' --check -r '%s/rs' >'%s/check' 2>&1",
             tu_env_or("VETD_BIN", "bin/vetd"), f->dir, f->dir);
    int rc = tu_run(cmd);
    assert_true(rc >= 0);
    if (rc != 0) {
        snprintf(path, sizeof path, "%s/check", f->dir);
        char *msg = tu_read_file(path, NULL);
        print_error("vetd --check: %s\n", msg ? msg : "?");
        free(msg);
    }
    return rc;
}

/* The output r of "vet-import args" loads as a ruleset, and running the
 * importer again gives the same bytes. */
static void
assert_loads_and_reproduces(const fixture_t *f, const run_t *r, const char *args)
{
    assert_int_equal(vetd_check(f, r->out), 0);
    run_t r2 = run(f, args);
    assert_int_equal(r2.rc, 0);
    assert_int_equal(r2.out_len, r->out_len);
    assert_memory_equal(r2.out, r->out, r->out_len);
    run_free(&r2);
}

/* ---- lib/csv.c: the one CSV reader ------------------------------------ */

static void
test_csv_basic(void **state)
{
    (void)state;
    const char *text = "a,\"b,c\",\"d \"\"e\"\"\"\r\n"
                       "\"multi\nline\",2,-0- \n"
                       "last,,x";
    csv_t *c = csv_new(text, strlen(text), ',', '"', 0, "t.csv");
    assert_non_null(c);
    csv_rec_t r;
    assert_int_equal(csv_next(c, &r), 1);
    assert_null(r.bad);
    assert_int_equal(r.n_fields, 3);
    assert_int_equal(r.line, 1);
    assert_string_equal(r.fields[0], "a");
    assert_string_equal(r.fields[1], "b,c");
    assert_string_equal(r.fields[2], "d \"e\"");
    assert_int_equal(r.lens[2], 5);
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 2);
    assert_int_equal(r.n_fields, 3);
    assert_string_equal(r.fields[0], "multi\nline");
    assert_string_equal(r.fields[2], "-0- ");
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 4);
    assert_int_equal(r.n_fields, 3);
    assert_string_equal(r.fields[1], "");
    assert_string_equal(r.fields[2], "x");
    assert_int_equal(csv_next(c, &r), 0);
    assert_string_equal(csv_error(c), "");
    csv_destroy(&c);
    assert_null(c);
    csv_destroy(NULL);
}

static void
test_csv_ofac_quirks(void **state)
{
    (void)state;
    /* Space after a closing quote, and the DOS end-of-file byte. */
    const char *text = "36,\"AERO\" ,-0- \r\n\x1a";
    csv_t *c = csv_new(text, strlen(text), ',', '"', 0, "sdn.csv");
    csv_rec_t r;
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.n_fields, 3);
    assert_string_equal(r.fields[1], "AERO");
    assert_int_equal(csv_next(c, &r), 0);
    csv_destroy(&c);
    /* A quoted line break keeps its CR; an empty line is a record. */
    text = "\"a\r\nb\"\r\n\r\nx";
    c = csv_new(text, strlen(text), ',', '"', 0, "crlf.csv");
    assert_int_equal(csv_next(c, &r), 1);
    assert_string_equal(r.fields[0], "a\r\nb");
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 3);
    assert_int_equal(r.n_fields, 1);
    assert_string_equal(r.fields[0], "");
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 4);
    assert_int_equal(csv_next(c, &r), 0);
    csv_destroy(&c);
}

static void
test_csv_tsv_unquoted(void **state)
{
    (void)state;
    const char *text = "name\tcountry\n\"quoted\" name\tIran\n";
    csv_t *c = csv_new(text, strlen(text), '\t', 0, 0, "n.tsv");
    csv_rec_t r;
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 2);
    assert_int_equal(r.n_fields, 2);
    assert_string_equal(r.fields[0], "\"quoted\" name");
    csv_destroy(&c);
}

/* Reads text to its first malformed record and checks the message. */
static void
csv_error_case(const char *text, const char *want)
{
    csv_t *c = csv_new(text, strlen(text), ',', '"', 0, "bad.csv");
    csv_rec_t r;
    int rc;
    while ((rc = csv_next(c, &r)) == 1 && r.bad == NULL)
        ;
    assert_int_equal(rc, 1);
    assert_string_equal(csv_error(c), want);
    csv_destroy(&c);
}

static void
test_csv_errors(void **state)
{
    (void)state;
    csv_error_case("a,b\nc,\"open\nstill open\n", "bad.csv:2: unterminated quoted field");
    csv_error_case("a,b\n\nx,y\"z\n", "bad.csv:3: quote inside an unquoted field");
    csv_error_case("\"a\"b,c\n", "bad.csv:1: unexpected character after a closing quote");
    csv_error_case("x\n\"a\" \"b\"\n", "bad.csv:2: unexpected quote after a quoted field");
    csv_error_case("\"a\nb\"c\n", "bad.csv:2: unexpected character after a closing quote");
}

/* vet batch's dialect: blank lines skipped, quotes inside a field are
 * data, a malformed record keeps what was read and the next line goes
 * on. */
static void
test_csv_lax(void **state)
{
    (void)state;
    const char *text = "\n  \t\na,b\"c\n"
                       "m5,\"a closing quote\" then text,CA\n"
                       "\"id\nwith\"\"\",\"x\n"
                       "\n"
                       "y";
    csv_t *c = csv_new(text, strlen(text), ',', '"', CSV_SKIP_BLANK | CSV_LAX_QUOTES, "lax.csv");
    csv_rec_t r;
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 3);
    assert_null(r.bad);
    assert_string_equal(r.fields[1], "b\"c");
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 4);
    assert_string_equal(r.bad, "a closing quote not followed by a comma");
    assert_string_equal(csv_error(c), "lax.csv:4: a closing quote not followed by a comma");
    assert_int_equal(r.n_fields, 2);
    assert_string_equal(r.fields[0], "m5");
    assert_string_equal(r.fields[1], "a closing quote");
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 5);
    assert_string_equal(r.bad, "unterminated quoted field");
    assert_int_equal(r.n_fields, 2);
    assert_string_equal(r.fields[0], "id\nwith\"");
    assert_string_equal(r.fields[1], "x\n\ny");
    assert_int_equal(csv_next(c, &r), 0);
    csv_destroy(&c);
}

/* A line source: the lines of a NULL-terminated array, numbered from 10;
 * "!" fails. */
typedef struct lines {
    const char *const *v;
    size_t i;
} lines_t;

static int
next_test_line(void *ctx, csv_line_t *l)
{
    lines_t *x = ctx;
    const char *s = x->v[x->i];
    if (s == NULL)
        return 0;
    if (strcmp(s, "!") == 0)
        return -1;
    *l = (csv_line_t){s, strlen(s), "\n", 10 + x->i++};
    return 1;
}

static void
test_csv_lines(void **state)
{
    (void)state;
    static const char *const v[] = {"a,\"b", "c\",d", "e,f", "!", NULL};
    lines_t x = {v, 0};
    csv_t *c = csv_new_lines(next_test_line, &x, ',', '"', 0, "stdin");
    csv_rec_t r;
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 10);
    assert_int_equal(r.n_fields, 3);
    assert_string_equal(r.fields[1], "b\nc");
    /* The source asked for one line at a time: the next is its third. */
    assert_int_equal(x.i, 2);
    assert_int_equal(csv_next(c, &r), 1);
    assert_int_equal(r.line, 12);
    assert_int_equal(csv_next(c, &r), -1);
    assert_string_equal(csv_error(c), "stdin: read error");
    csv_destroy(&c);
}

/* ---- helpers of the formats ------------------------------------------ */

static void
test_country(void **state)
{
    (void)state;
    assert_string_equal(country_lookup("Korea, North"), "KP");
    assert_string_equal(country_lookup("People\xE2\x80\x99s Republic of China"), "CN");
    assert_string_equal(country_lookup("Iran (Islamic Republic of)"), "IR");
    assert_string_equal(country_lookup(" united kingdom "), "GB");
    assert_null(country_lookup("Region: Crimea"));
    assert_null(country_lookup("undetermined"));
    assert_true(country_is_code("RU"));
    assert_false(country_is_code("TX"));
    assert_false(country_is_code("ru"));
}

static void
test_slug(void **state)
{
    (void)state;
    char s[64];
    imp_slug("Air Force Xi\xE2\x80\x99"
             "an Flight Academy",
             s, 56);
    assert_string_equal(s, "air-force-xian-flight-academy");
    imp_slug("A.A. Kharkevich Institute for Information Transmission Problems, IITP", s, 56);
    assert_string_equal(s, "aa-kharkevich-institute-for-information-transmission");
    imp_slug("  (CETC) 54th  ", s, 56);
    assert_string_equal(s, "cetc-54th");
}

/* ---- ofac-sdn ----------------------------------------------------------- */

static const char *
ofac_args(char *buf, size_t size)
{
    snprintf(buf, size, "--format ofac-sdn '" FX "sdn.csv' '" FX "alt.csv' '" FX "add.csv'", FXD,
             FXD, FXD);
    return buf;
}

static void
test_ofac(void **state)
{
    fixture_t *f = *state;
    char args[1200];
    run_t r = run(f, ofac_args(args, sizeof args));
    assert_int_equal(r.rc, 0);
    assert_has(r.out, "  { id = \"sdn-9750\";\n"
                      "    name = \"BEIJING ALITE TECHNOLOGIES CO., LTD.\";\n"
                      "    aliases = [ \"ALCO\", \"BEIJING HAILI LIANHE KEJI YOUXIAN GONGSI\" ];\n"
                      "    country = \"CN\";\n"
                      "    lists = [ \"us-sdn\" ];\n"
                      "    ids = { ofac = \"9750\"; };\n"
                      "    sources = [ \"US Treasury, OFAC, Specially Designated Nationals and "
                      "Blocked Persons List, ent_num 9750\" ];\n"
                      "  },\n");
    /* Banco Nacional de Cuba has addresses in four countries: none set. */
    assert_has(r.out, "  { id = \"sdn-306\";\n"
                      "    name = \"BANCO NACIONAL DE CUBA\";\n"
                      "    aliases = [ \"NATIONAL BANK OF CUBA\" ];\n"
                      "    lists = [ \"us-sdn\" ];\n");
    assert_has(r.out, "lists = (\n  { id = \"us-sdn\"; name = \"Specially Designated Nationals");
    /* Individuals are written too (test_ofac_people: their dates of birth
     * and nationalities). */
    assert_has(r.out, "  { id = \"sdn-1572\";\n"
                      "    name = \"NORIEGA, Manuel Antonio\";\n"
                      "    country = \"PA\"; type = \"individual\";\n"
                      "    lists = [ \"us-sdn\" ];\n");
    assert_has(r.out, "# 4 organisations and 1 individuals, 6 aliases.\n");
    /* Vessels and aircraft are left out, and so are their names. */
    assert_lacks(r.out, "HERMANN");
    assert_lacks(r.out, "EP-GOM");
    /* Sorted by id, numbers as numbers. */
    char *a = strstr(r.out, "\"sdn-36\""), *b = strstr(r.out, "\"sdn-306\""),
         *c = strstr(r.out, "\"sdn-9750\""), *d = strstr(r.out, "\"sdn-23063\"");
    assert_true(a && b && c && d && a < b && b < c && c < d);
    char hex[65], line[128], path[512];
    snprintf(path, sizeof path, FX "sdn.csv", FXD);
    sha_hex(path, hex);
    snprintf(line, sizeof line, "#   sdn.csv  SHA-256 %s\n", hex);
    assert_has(r.out, line);
    snprintf(path, sizeof path, FX "add.csv", FXD);
    sha_hex(path, hex);
    snprintf(line, sizeof line, "#   add.csv  SHA-256 %s\n", hex);
    assert_has(r.out, line);
    assert_string_equal(
        r.err,
        "vet-import: 4 organisations and 1 individuals written\n"
        "vet-import: skipped 1 vessels\n"
        "vet-import: skipped 1 aircraft\n"
        "vet-import: note: 1 records with addresses in several countries (no country set)\n");
    /* Loads, and the same input gives the same bytes. */
    assert_loads_and_reproduces(f, &r, args);
    run_free(&r);
}

static void
test_ofac_all_and_list_id(void **state)
{
    fixture_t *f = *state;
    char args[1300], base_args[1200];
    snprintf(args, sizeof args, "%s --all --list-id ofac-test --risk high",
             ofac_args(base_args, sizeof base_args));
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    assert_has(r.out, "  { id = \"sdn-1572\";\n"
                      "    name = \"NORIEGA, Manuel Antonio\";\n");
    assert_has(r.out, "    country = \"PA\"; type = \"individual\";\n"
                      "    lists = [ \"ofac-test\" ]; risk = \"high\";\n");
    assert_has(r.out, "{ id = \"ofac-test\";");
    assert_lacks(r.out, "us-sdn");
    /* --all: vessels and aircraft too. */
    assert_has(r.out, "    name = \"HERMANN\";\n");
    assert_has(r.out, "    name = \"EP-GOM\";\n");
    assert_has(r.err, "vet-import: 6 organisations and 1 individuals written\n");
    assert_int_equal(vetd_check(f, r.out), 0);
    run_free(&r);
}

/* Real records of individuals (sdn-people.csv: sdn.csv lines of ent_num
 * 7846, 7940, 15962): dates of birth and nationalities from the remarks
 * (dates.h): a circa year a year either side, a range each of its years,
 * "possibly Palestinian" as PS. */
static void
test_ofac_people(void **state)
{
    fixture_t *f = *state;
    char args[600];
    snprintf(args, sizeof args, "--format ofac-sdn '" FX "sdn-people.csv'", FXD);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    assert_has(r.out, "  { id = \"sdn-7846\";\n"
                      "    name = \"AL-TIKRITI, Abid Hamid Mahmud\";\n"
                      "    type = \"individual\";\n"
                      "    birth_dates = [ \"1956\", \"1957\", \"1958\" ]; "
                      "nationalities = [ \"IQ\" ];\n"
                      "    lists = [ \"us-sdn\" ];\n");
    assert_has(r.out, "    name = \"ABU DHESS, Mohamed\";\n"
                      "    type = \"individual\";\n"
                      "    birth_dates = [ \"1966-02-01\" ]; nationalities = [ \"PS\" ];\n");
    assert_has(r.out, "    name = \"NIKOUSOKHAN, Mahmoud\";\n"
                      "    type = \"individual\";\n"
                      "    birth_dates = [ \"1961\", \"1962\" ]; nationalities = [ \"IR\" ];\n");
    assert_has(r.out, "# 0 organisations and 3 individuals, 0 aliases.\n");
    assert_string_equal(r.err, "vet-import: 0 organisations and 3 individuals written\n");
    assert_loads_and_reproduces(f, &r, args);
    run_free(&r);
}

/* ---- nro-tsv ------------------------------------------------------------ */

static void
test_nro(void **state)
{
    fixture_t *f = *state;
    char args[600];
    snprintf(args, sizeof args, "--format nro-tsv '" FX "nro.tsv'", FXD);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    assert_has(r.out,
               "  { id = \"nro-air-force-xian-flight-academy\";\n"
               "    name = \"Air Force Xi\xE2\x80\x99"
               "an Flight Academy\";\n"
               "    aliases = [ \"PLA Air Force Xi'an Flight Academy\", \"Air Force Xi'an Flight "
               "Academy\", "
               "\"Xi'an Flying College of PLA Air Force\" ];\n"
               "    country = \"CN\"; type = \"research_institute\";\n"
               "    lists = [ \"ca-nro\" ]; risk = \"high\";\n"
               "    sources = [ \"Government of Canada, Named Research Organizations "
               "(science.gc.ca): 'Air Force Xi\xE2\x80\x99"
               "an Flight Academy', People\xE2\x80\x99s Republic of China\" ];\n"
               "  },\n");
    assert_has(r.out, "  { id = \"nro-sharif-university-of-technology\";\n");
    assert_has(r.out, "\"SUT: Sharif Technical University\"");
    assert_has(r.out, "    country = \"IR\"; type = \"university\";\n");
    assert_has(r.out, "    country = \"RU\"; type = \"research_institute\";\n");
    assert_string_equal(r.err, "vet-import: 7 organisations written\n");
    /* Loads, and the same input gives the same bytes. */
    assert_loads_and_reproduces(f, &r, args);
    run_free(&r);
}

/* ---- ca-nro ----------------------------------------------------------- */

/* ca-nro's repairs are checked against the 2024-09 edition: on another
 * file they do not apply, and it says which. (That it writes
 * rules/registry/ca-nro.cfg byte for byte from that edition is checked by
 * make rules-check, which has the shared data.) */
static void
test_ca_nro(void **state)
{
    fixture_t *f = *state;
    char args[600];
    snprintf(args, sizeof args, "--format ca-nro '" FX "nro.tsv'", FXD);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 65);
    assert_int_equal(r.out_len, 0);
    assert_has(r.err, "nro.tsv: alias fix for row 42 \"CAEP, Beijing Computational Science "
                      "Research Center, Ninth Academy\" did not apply\n");
    run_free(&r);
}

/* ---- csl ------------------------------------------------------------- */

static void
test_csl(void **state)
{
    fixture_t *f = *state;
    char args[800];
    snprintf(args, sizeof args, "--format csl '" FX "csl_2023.csv' '" FX "csl_2018.csv'", FXD, FXD);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    /* Entity List: the "and any successor..." phrase is no name, and a
     * leading "and " is dropped from an alias. */
    assert_has(
        r.out,
        "  { id = \"csl-el-china-electronics-technology-group-corporation\";\n"
        "    name = \"China Electronics Technology Group Corporation 13th Research Institute "
        "(CETC 13)\";\n"
        "    aliases = [ \"Hebei Semiconductor Research Institute\", \"HSRI\", \"Hebei Institute "
        "of Semiconductors\", \"Hebei Semiconductor Institute\", \"Hebei Semiconductor\", "
        "\"CETC Research Institute 13\" ];\n"
        "    country = \"CN\";\n"
        "    lists = [ \"us-el\" ];\n"
        "    sources = [ \"US Consolidated Screening List (trade.gov), Entity List (EL) of the "
        "US Department of Commerce, Bureau of Industry and Security: 'China Electronics "
        "Technology Group Corporation 13th Research Institute (CETC 13)', Federal Register 83 FR "
        "37423; 87 FR 77505, start date 2018-08-01, _id "
        "99ed1b052fdb09695fae1ba87516d8a0882b0df04652e07aeb5ce7be\" ];\n");
    assert_has(r.out, "  { id = \"csl-isn-sinobright-import-and-export-company\";\n"
                      "    name = \"Sinobright Import and Export Company\";\n"
                      "    lists = [ \"us-isn\" ];\n");
    assert_lacks(r.out, "successor");
    assert_has(r.out, "  { id = \"csl-ssi-18300\";\n"
                      "    name = \"ROSNEFT TRADE LIMITED\";\n"
                      "    aliases = [ \"TNK TRADE LIMITED\" ];\n"
                      "    country = \"CY\";\n"
                      "    lists = [ \"us-ssi\" ];\n"
                      "    ids = { ofac = \"18300\"; };\n");
    /* 2018 layout: no _id; two rows of one name get two ids. */
    assert_has(r.out, "  { id = \"csl-dpl-al-naser-wings-airlines\";\n");
    assert_has(r.out, "  { id = \"csl-dpl-al-naser-wings-airlines-2\";\n"
                      "    name = \"AL NASER WINGS AIRLINES\";\n    country = \"AE\";\n");
    assert_has(r.out, "\"US Consolidated Screening List (trade.gov), Specially Designated "
                      "Nationals and Blocked Persons List (SDN) of the US Treasury, OFAC: 'GCH & "
                      "SONS CO., INC.', ent_num 16794\"");
    /* One declaration per list used, and only those. */
    assert_has(r.out, "{ id = \"us-el\"; name = \"Entity List\";");
    assert_has(r.out, "{ id = \"us-dpl\";");
    assert_lacks(r.out, "{ id = \"us-uvl\";");
    /* An individual, with the date of birth and nationality the CSL gives. */
    assert_has(r.out, "  { id = \"csl-sdn-52291\";\n"
                      "    name = \"RIM, Ryong Nam\";\n"
                      "    type = \"individual\";\n"
                      "    birth_dates = [ \"1978-12-05\" ]; nationalities = [ \"KP\" ];\n");
    assert_string_equal(r.err, "vet-import: 7 organisations and 1 individuals written\n"
                               "vet-import: skipped 1 vessels\n");
    /* Loads, and the same input gives the same bytes. */
    assert_loads_and_reproduces(f, &r, args);
    run_free(&r);
}

/* ---- un-xml -------------------------------------------------------------- */

static void
test_un(void **state)
{
    fixture_t *f = *state;
    char args[600];
    snprintf(args, sizeof args, "--format un-xml '" FX "un.xml'", FXD);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    assert_has(r.out,
               "  { id = \"un-kpe.001\";\n"
               "    name = \"KOREA MINING DEVELOPMENT TRADING CORPORATION\";\n"
               "    aliases = [ \"CHANGGWANG SINYONG CORPORATION\", \"EXTERNAL TECHNOLOGY GENERAL "
               "CORPORATION\", \"DPRKN MINING DEVELOPMENT TRADING COOPERATION\", \"KOMID\" ];\n"
               "    country = \"KP\";\n"
               "    lists = [ \"un-sc\" ];\n"
               "    ids = { un = \"KPe.001\"; };\n"
               "    sources = [ \"United Nations Security Council Consolidated List, permanent "
               "reference number KPe.001 (DATAID 690735), listed on 2009-04-24\" ];\n");
    assert_has(r.out, "    name = \"ADF\";\n");
    assert_has(r.out, "\"Forces D\xC3\xA9mocratiques Alli\xC3\xA9"
                      "es-Arm\xC3\xA9"
                      "e Nationale");
    assert_has(r.out, "    country = \"CD\";\n");
    /* Individuals: dates of birth (EXACT as given, APPROXIMATELY a year
     * either side, BETWEEN each year), nationalities, and no "Low"
     * quality alias. */
    assert_has(r.out, "  { id = \"un-cdi.001\";\n    name = \"ERIC BADEGE\";\n");
    assert_has(r.out, "    birth_dates = [ \"1971\" ]; nationalities = [ \"CD\" ];\n");
    assert_has(r.out, "  { id = \"un-cdi.028\";\n"
                      "    name = \"JEAN-MARIE LUGERERO RUNIGA\";\n"
                      "    aliases = [ \"Jean-Marie Rugerero\" ];\n"
                      "    country = \"RW\"; type = \"individual\";\n"
                      "    birth_dates = [ \"1959\", \"1960\", \"1961\", \"1966-09-09\" ];\n");
    assert_has(r.out, "  { id = \"un-qdi.420\";\n"
                      "    name = \"TAHA IBRAHIM ABDALLAH BAKR AL KHUWAYT\";\n"
                      "    aliases = [ \"Hajji Abdelnasser\", \"Hajji Abd al-Nasr\", "
                      "\"Hajji 'Abd Al-Nasir\" ];\n"
                      "    type = \"individual\";\n"
                      "    birth_dates = [ \"1965\", \"1966\", \"1967\", \"1968\", \"1969\" ]; "
                      "nationalities = [ \"IQ\" ];\n");
    assert_lacks(r.out, "Mullah Taha");
    /* An alias field packing a name and its variants in brackets, or
     * ';'-separated names, gives one alias per name; "(original script)"
     * notes are dropped. */
    assert_has(
        r.out,
        "\"Hay\xE2\x80\x99"
        "at Tahrir al-Sham (HTS)\", \"\xD9\x87\xD9\x8A\xD8\xA6\xD8\xA9 "
        "\xD8\xAA\xD8\xAD\xD8\xB1\xD9\x8A\xD8\xB1 \xD8\xA7\xD9\x84\xD8\xB4\xD8\xA7\xD9\x85\", ");
    assert_has(r.out, "\"Liberation of al-Sham Commission\", ");
    assert_has(r.out, "\"Tahrir al-Sham Hay\xE2\x80\x99"
                      "at\", ");
    assert_has(r.out, "\"Jabhat al-Nusrah\", ");
    assert_lacks(r.out, "original script");
    assert_lacks(r.out, "Sham; ");
    assert_string_equal(r.err, "vet-import: 3 organisations and 3 individuals written\n"
                               "vet-import: skipped 3 low-quality aliases of individuals (UN "
                               "QUALITY Low)\n"
                               "vet-import: note: 1 records with addresses in several "
                               "countries (no country set)\n");
    /* Loads, and the same input gives the same bytes. */
    assert_loads_and_reproduces(f, &r, args);

    /* The UN list has no vessels or aircraft: --all changes nothing. */
    snprintf(args, sizeof args, "--format un-xml --all '" FX "un.xml'", FXD);
    run_t r2 = run(f, args);
    assert_int_equal(r2.rc, 0);
    assert_int_equal(r2.out_len, r.out_len);
    run_free(&r2);
    run_free(&r);
}

/* ---- ftm ----------------------------------------------------------------- */

/* The fixture holds real list records (OFAC SDN ent_num 9750, 306, 1572,
 * 4234; UN KPe.001) written as FollowTheMoney lines by hand: shared/data
 * has no FtM export to copy rows from. */
static void
test_ftm(void **state)
{
    fixture_t *f = *state;
    char args[600];
    snprintf(args, sizeof args, "--format ftm '" FX "entities.ftm.json'", FXD);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    assert_has(r.out, "  { id = \"ftm-ofac-9750\";\n"
                      "    name = \"BEIJING ALITE TECHNOLOGIES CO., LTD.\";\n"
                      "    aliases = [ \"ALCO\", \"BEIJING HAILI LIANHE KEJI YOUXIAN GONGSI\" ];\n"
                      "    country = \"CN\";\n"
                      "    lists = [ \"opensanctions\" ];\n"
                      "    sources = [ \"OpenSanctions, entity ofac-9750 "
                      "(opensanctions.org/entities/ofac-9750)\" ];\n");
    assert_has(r.out, "  { id = \"ftm-un-kpe.001\";\n");
    /* Four countries: none chosen. */
    assert_has(r.out, "    aliases = [ \"NATIONAL BANK OF CUBA\" ];\n"
                      "    lists = [ \"opensanctions\" ];\n");
    assert_has(r.out, "  { id = \"ftm-ofac-1572\";\n"
                      "    name = \"NORIEGA, Manuel Antonio\";\n"
                      "    country = \"PA\"; type = \"individual\";\n");
    assert_lacks(r.out, "HERMANN");
    assert_string_equal(
        r.err, "vet-import: 3 organisations and 1 individuals written\n"
               "vet-import: skipped 1 records of other schemas (sanctions, addresses, links...)\n"
               "vet-import: skipped 1 vessels\n"
               "vet-import: note: 1 records with several countries (no country set)\n");
    /* Loads, and the same input gives the same bytes. */
    assert_loads_and_reproduces(f, &r, args);
    run_free(&r);
}

/* ---- ca-sema ------------------------------------------------------------ */

/* The sample of Canada's Consolidated Autonomous Sanctions List: real
 * listings written by hand in the published (bilingual-tag) format, each
 * row's source said at the top of the file. */
#define FXS "%s/fixtures/ca-sema/sema-lmes-sample.xml"

static void
test_ca_sema(void **state)
{
    fixture_t *f = *state;
    char args[600];
    snprintf(args, sizeof args, "--format ca-sema '" FXS "'", FXD);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    /* The header counts what was skipped, as the other formats do. */
    assert_has(r.out, "# 9 organisations and 3 individuals, 2 aliases.\n"
                      "# Skipped: 2 vessels.\n");
    assert_has(r.out, "  { id = \"ca-sema\"; name = \"Consolidated Canadian Autonomous Sanctions "
                      "List\"; authority = \"Global Affairs Canada\";\n");
    /* No country: the Country element is the regime, not an address. */
    assert_has(
        r.out,
        "  { id = \"ca-sema-russia-1-part-2-1\";\n"
        "    name = \"Aktsionerny Bank Russian Federation\";\n"
        "    aliases = [ \"Bank Rossiya\" ];\n"
        "    lists = [ \"ca-sema\" ];\n"
        "    sources = [ \"Global Affairs Canada, Consolidated Canadian Autonomous Sanctions "
        "List, Special Economic Measures (Russia) Regulations, Schedule 1, Part 2, item 1, "
        "listed 2014-03-21\" ];\n"
        "  },\n");
    assert_has(r.out, "  { id = \"ca-sema-russia-1-part-2-39\";\n"
                      "    name = \"JSC United Aircraft Corporation\";\n"
                      "    lists = [ \"ca-sema\" ];\n");
    assert_has(r.out, "  { id = \"ca-sema-belarus-1-part-2-1\";\n"
                      "    name = \"Belaeronavigatsia Republican Unitary Air Navigation Services "
                      "Enterprise\";\n");
    assert_has(r.out,
               "Special Economic Measures (Belarus) Regulations, Schedule 1, Part 2, item 1, "
               "listed 2021-06-17\" ];\n");
    assert_has(r.out, "    name = \"Dobrolet\";\n    aliases = [ \"Dobrolyot\" ];\n");
    assert_lacks(r.out, "country =");
    /* Individuals, with the date of birth the list gives (their one-word
     * aliases, parts of a name, dropped). */
    assert_has(r.out, "  { id = \"ca-sema-russia-1-part-1-94\";\n"
                      "    name = \"Andrey Igorevich AKIMOV\";\n"
                      "    type = \"individual\";\n"
                      "    birth_dates = [ \"1953-09-22\" ];\n"
                      "    lists = [ \"ca-sema\" ];\n");
    assert_has(r.out, "    name = \"Nicol\xC3\xA1s MADURO MOROS\";\n");
    assert_lacks(r.out, "\"Andrei\"");
    assert_lacks(r.out, "Balitiyskiy");
    assert_string_equal(r.err, "vet-import: 9 organisations and 3 individuals written\n"
                               "vet-import: skipped 2 vessels\n"
                               "vet-import: note: 1 one-word aliases of individuals (parts of a "
                               "name; dropped)\n");
    /* Loads, and the same input gives the same bytes. */
    assert_loads_and_reproduces(f, &r, args);
    run_free(&r);

    /* --all keeps vessels too, with their IMO numbers; --list-id applies. */
    snprintf(args, sizeof args, "--format ca-sema --all --list-id ca-test '" FXS "'", FXD);
    r = run(f, args);
    assert_int_equal(r.rc, 0);
    assert_has(r.out, "  { id = \"ca-sema-russia-1-part-1-94\";\n"
                      "    name = \"Andrey Igorevich AKIMOV\";\n"
                      "    type = \"individual\";\n"
                      "    birth_dates = [ \"1953-09-22\" ];\n"
                      "    lists = [ \"ca-test\" ];\n");
    assert_has(r.out, "  { id = \"ca-sema-justice-for-victims-of-corrupt-1\";\n"
                      "    name = \"Nicol\xC3\xA1s MADURO MOROS\";\n");
    assert_has(r.out, "Justice for Victims of Corrupt Foreign Officials Regulations (JVCFOR), "
                      "item 1, listed 2017-11-03\" ];\n");
    assert_has(r.out, "  { id = \"ca-sema-russia-1.1-2\";\n"
                      "    name = \"M/V Maria\";\n"
                      "    type = \"other\";\n"
                      "    lists = [ \"ca-test\" ];\n"
                      "    ids = { imo = \"8517839\"; };\n");
    assert_lacks(r.out, "\"Andrei\"");
    assert_string_equal(r.err, "vet-import: 11 organisations and 3 individuals written\n"
                               "vet-import: note: 1 one-word aliases of individuals (parts of a "
                               "name; dropped)\n");
    assert_int_equal(vetd_check(f, r.out), 0);
    run_free(&r);
}

/* The English-only element names the file had before 2026, an Aliases
 * text that packs several names (labels, a legal form after a comma,
 * quotes), and an element the reader does not know: noted, not dropped in
 * silence. */
static void
test_ca_sema_variants(void **state)
{
    fixture_t *f = *state;
    char path[256], args[400];
    snprintf(path, sizeof path, "%s/sema.xml", f->dir);
    tu_write_file(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<data-set>\n<record>\n"
                        "  <Country>Russia / Russie</Country>\n"
                        "  <EntityOrShip>United\xC2\xA0Shipbuilding Corporation </EntityOrShip>\n"
                        "  <Aliases>USC, Russian: \xD0\x9E\xD0\x9E\xD0\x9E \"A, B\", X Co., Ltd.; "
                        "Y (a, b)</Aliases>\n"
                        "  <Remarks>not read</Remarks>\n"
                        "  <Schedule>1, Part 2</Schedule>\n  <Item>27</Item>\n"
                        "  <DateOfListing>2014-08-06</DateOfListing>\n</record>\n"
                        "<notice>not a record</notice>\n</data-set>\n");
    snprintf(args, sizeof args, "--format ca-sema '%s'", path);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    assert_has(r.out, "  { id = \"ca-sema-russia-1-part-2-27\";\n"
                      "    name = \"United Shipbuilding Corporation\";\n"
                      "    aliases = [ \"USC\", \"\xD0\x9E\xD0\x9E\xD0\x9E \\\"A, B\\\"\", "
                      "\"X Co., Ltd.\", \"Y (a, b)\" ];\n");
    assert_string_equal(r.err,
                        "vet-import: 1 organisations written\n"
                        "vet-import: note: 1 record elements vet-import does not read (ignored)\n"
                        "vet-import: note: 1 elements under <data-set> other than <record> "
                        "(ignored)\n");
    assert_int_equal(vetd_check(f, r.out), 0);
    run_free(&r);
}

/* ---- dates of birth (dates.h) --------------------------------------------- */

static void
test_dates(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *want; /* the dates joined by ' ', or NULL: not understood */
    } cases[] = {
        {"02 Mar 1965", "1965-03-02"},
        {"2 Mar 1965.", "1965-03-02"},
        {"Mar 1965", "1965-03"},
        {"1965", "1965"},
        {"1965-03-02", "1965-03-02"},
        {"1965-03", "1965-03"},
        {"Nov. 1973 ", "1973-11"},
        {"July 1961", "1961-07"},
        {"August 1961", "1961-08"},
        {"Sept 1970", "1970-09"},
        {"circa 1965", "1964 1965 1966"},
        {"circa 02 Jan 1965", "1964 1965 1966"},
        {"circa 1958-1960", "1957 1958 1959 1960 1961"},
        {"1958 to 1960", "1958 1959 1960"},
        {"01 Jan 1961 to 31 Dec 1962", "1961 1962"},
        {"Mar 1960 to Feb 1961", "1960 1961"},
        {"26 Sep 1946 to 07 Dec 1946", "1946"},
        {"01 Feb 1960 to 29 Feb 1960", "1960-02"},
        {"01 Jan 1960 to 01 Jan 1960", "1960-01-01"},
        {"29 Feb 1960", "1960-02-29"},
        {"29 Feb 1961", NULL},
        {"31 Apr 1970", NULL},
        {"1960 to 1990", NULL}, /* a span of more than DATES_MAX_SPAN years */
        {"1962 to 1960", NULL},
        {"1700", NULL},
        {"30-35 years old", NULL},
        {"24/06/1402 (Hijri Calendar)", NULL},
        {"Between Aug. and Sep. 1977", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dates_t d;
        bool ok = dates_parse(cases[i].in, &d);
        char got[256] = "";
        for (size_t k = 0; k < d.n; k++) {
            strcat(got, k ? " " : "");
            strcat(got, d.v[k]);
        }
        if (ok != (cases[i].want != NULL) || (ok && strcmp(got, cases[i].want) != 0))
            fail_msg("dates_parse(\"%s\"): %s \"%s\", want %s", cases[i].in, ok ? "true" : "false",
                     got, cases[i].want ? cases[i].want : "false");
        assert_int_equal(d.n == 0, !ok);
    }
    dates_t d;
    assert_true(dates_years(1970, 1972, false, &d));
    assert_int_equal(d.n, 3);
    assert_false(dates_years(1972, 1970, false, &d));
    assert_int_equal(d.n, 0);
}

/* ---- a whole CSL import next to a hand-made registry: one body, one entity - */

/* The CSL rows of bodies a hand-made registry carries too are merged into
 * one entity at load (engine/load/load_merge.c): by the OFAC number both
 * give, by a name both give in the same country, and for a person by the
 * OFAC number; the reply names the body once, with every list. */
static void
test_csl_alongside_registry(void **state)
{
    fixture_t *f = *state;
    char args[600], path[256], cmd[1400];
    snprintf(args, sizeof args, "--format csl '" FX "csl_2023.csv'", FXD);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    assert_int_equal(vetd_check(f, r.out), 0); /* writes f->dir/rs, the CSL as imported.cfg */
    snprintf(path, sizeof path, "%s/rs/registry/mcf.cfg", f->dir);
    tu_write_file(path,
                  "lists = ( { id = \"mcf-test\"; name = \"Hand-made list\"; } );\n"
                  "organisations = (\n"
                  "  { id = \"cetc-13\"; name = \"CETC 13th Research Institute\";\n"
                  "    aliases = [ \"Hebei Semiconductor Research Institute\" ];\n"
                  "    country = \"CN\"; type = \"research_institute\"; lists = [ \"mcf-test\" ];\n"
                  "    sources = [ \"by hand\" ]; },\n"
                  "  { id = \"rosneft-trade\"; name = \"Rosneft Trade Ltd\"; country = \"CY\";\n"
                  "    ids = { ofac = \"18300\"; }; lists = [ \"mcf-test\" ];\n"
                  "    sources = [ \"by hand\" ]; },\n"
                  "  { id = \"rim-ryong-nam\"; name = \"Rim Ryong Nam\"; type = \"individual\";\n"
                  "    ids = { ofac = \"52291\"; }; lists = [ \"mcf-test\" ];\n"
                  "    sources = [ \"by hand\" ]; }\n"
                  ");\n");
    snprintf(cmd, sizeof cmd, "'%s' --check -v -r '%s/rs' >'%s/check' 2>&1",
             tu_env_or("VETD_BIN", "bin/vetd"), f->dir, f->dir);
    assert_int_equal(tu_run(cmd), 0);
    snprintf(path, sizeof path, "%s/check", f->dir);
    char *out = tu_read_file(path, NULL);
    assert_non_null(out);
    /* 7 entries (4 CSL rows, 3 by hand), 4 organisations. */
    assert_has(out, " 4 organisations, ");
    assert_has(out, "merged: 3 entries into 3 organisations (identifier 2, name and country 1)\n");
    assert_has(out, "merged cetc-13 into csl-el-china-electronics-technology-group-corporation (");
    assert_has(out, "merged rosneft-trade into csl-ssi-18300 (");
    assert_has(out, "): identifier ofac:18300\n");
    assert_has(out, "merged rim-ryong-nam into csl-sdn-52291 (");
    free(out);
    /* The reply: one match, both lists, the merged id named. */
    snprintf(
        cmd, sizeof cmd,
        "echo '{\"partner\":{\"name\":\"CETC 13th Research Institute\",\"country\":\"CN\"}}' | "
        "'%s' --screen -r '%s/rs' >'%s/screen' 2>&1",
        tu_env_or("VETD_BIN", "bin/vetd"), f->dir, f->dir);
    assert_int_equal(tu_run(cmd), 0);
    snprintf(path, sizeof path, "%s/screen", f->dir);
    out = tu_read_file(path, NULL);
    assert_non_null(out);
    assert_has(out, "\"matches\":[{\"entity\":\"csl-el-china-electronics-technology-group-"
                    "corporation\"");
    assert_has(out, "\"lists\":[\"us-el\",\"mcf-test\"]");
    assert_has(out, "\"merged\":[\"cetc-13\"]}]");
    free(out);
    run_free(&r);
}

/* ---- malformed input and usage -------------------------------------- */

/* Writes text to DIR/name, runs the importer with "fmt_args DIR/name",
 * and checks exit 65, empty stdout and exactly "DIR/name:want\n". */
static void
bad_case(const fixture_t *f, const char *fmt_args, const char *name, const char *text,
         const char *want)
{
    char path[256], args[800], msg[600];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    tu_write_file(path, text);
    snprintf(args, sizeof args, "%s '%s'", fmt_args, path);
    run_t r = run(f, args);
    assert_int_equal(r.rc, 65);
    assert_int_equal(r.out_len, 0);
    snprintf(msg, sizeof msg, "%s:%s\n", path, want);
    assert_string_equal(r.err, msg);
    run_free(&r);
}

static void
test_malformed(void **state)
{
    fixture_t *f = *state;
    /* Real rows, broken on purpose. */
    bad_case(
        f, "--format ofac-sdn", "sdn.csv",
        "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "173,\"ANGLO-CARIBBEAN CO., LTD.,-0- ,\"CUBA\",-0- ,-0- \r\n",
        "2: unexpected character after a closing quote");
    bad_case(
        f, "--format ofac-sdn", "sdn.csv",
        "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "173,\"ANGLO-CARIBBEAN CO., LTD.\",-0- ,\"CUBA\"\r\n",
        "2: expected 12 fields, got 4");
    bad_case(
        f, "--format ofac-sdn", "sdn.csv",
        "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "306,\"BANCO NACIONAL DE CUBA,-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a\r\n",
        "2: unexpected character after a closing quote");
    bad_case(
        f, "--format ofac-sdn", "sdn.csv",
        "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "306,\"BANCO NACIONAL DE CUBA\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a.k.a. "
        "'BNC'.\r\n",
        "2: unterminated quoted field");
    bad_case(
        f, "--format ofac-sdn", "sdn.csv",
        "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n",
        "2: duplicate ent_num \"36\"");
    bad_case(f, "--format ofac-sdn", "sdn.csv",
             "36,\"AEROCARIBBEAN \xC0IRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "
             ",-0- \r\n",
             "1: not valid UTF-8");
    bad_case(f, "--format nro-tsv", "nro.tsv",
             "name\tcountry\taliases\n"
             "Academy of Military Medical Sciences\tPeople\xE2\x80\x99s Republic of China\tAMMS\n"
             "Aerospace Research Institute\tPersia\tARI\n",
             "3: unknown country \"Persia\"");
    bad_case(f, "--format nro-tsv", "nro.tsv",
             "name\tcountry\taliases\nAerospace Research Institute\tIran\n",
             "2: expected 3 tab-separated columns, got 2");
    bad_case(f, "--format nro-tsv", "nro.tsv", "name\taliases\n",
             "1: expected the header name<TAB>country<TAB>aliases");
    bad_case(f, "--format csl", "csl.csv",
             "source,entity_number,type,programs,name\n"
             "Unverified List (UVL) - Bureau of Industry and Security,,,,Atlas Sanatgaran\n"
             "Unverified List (UVL) - Bureau of Industry and Security,,,Atlas Sanatgaran\n",
             "3: expected 5 fields, got 4");
    bad_case(f, "--format csl", "csl.csv",
             "source,entity_number,type,programs,name\n"
             "Unverified List - Bureau of Industry and Security,,,,Atlas Sanatgaran\n",
             "2: unknown source list \"Unverified List - Bureau of Industry and Security\"");
    bad_case(f, "--format csl", "csl.csv", "source,entity_number,type,programs\n",
             "1: header has no \"name\" column");
    bad_case(f, "--format un-xml", "un.xml",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CONSOLIDATED_LIST>\n  <ENTITIES>\n"
             "    <ENTITY>\n      <FIRST_NAME>ADF</FIRST_NAME>\n    </ENTITIES>\n"
             "</CONSOLIDATED_LIST>\n",
             "6: bad XML: Opening and ending tag mismatch: ENTITY line 4 and ENTITIES");
    bad_case(f, "--format un-xml", "un.xml",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CONSOLIDATED_LIST>\n  <ENTITIES>\n"
             "    <ENTITY>\n      <FIRST_NAME>ADF</FIRST_NAME>\n    </ENTITY>\n  </ENTITIES>\n"
             "</CONSOLIDATED_LIST>\n",
             "4: ENTITY without a REFERENCE_NUMBER");
    /* ca-sema: a real row (SOR/2015-178, item 38), broken on purpose. */
#define SEMA_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<data-set>\n"
#define SEMA_TULA                                                                                  \
    "<record>\n  <Country-Pays>Russia / Russie</Country-Pays>\n"                                   \
    "  <EntityOrShip-EntiteOuNavire>JSC Tula Arms Plant</EntityOrShip-EntiteOuNavire>\n"           \
    "  <Schedule-Annexe>1, Part 2</Schedule-Annexe>\n"                                             \
    "  <Item-NumeroDarticle>38</Item-NumeroDarticle>\n</record>\n"
    bad_case(f, "--format ca-sema", "sema.xml",
             SEMA_HEAD "<record>\n  <Country-Pays>Russia / Russie</Country-Pays>\n"
                       "  <EntityOrShip-EntiteOuNavire>JSC Tula Arms Plant</EntityOrShip>\n"
                       "</record>\n</data-set>\n",
             "5: bad XML: Opening and ending tag mismatch: EntityOrShip-EntiteOuNavire line 5 "
             "and EntityOrShip");
    bad_case(f, "--format ca-sema", "sema.xml",
             SEMA_HEAD SEMA_TULA "<record>\n  <Country-Pays>Russia / Russie</Country-Pays>\n"
                                 "  <Item-NumeroDarticle>39</Item-NumeroDarticle>\n</record>\n"
                                 "</data-set>\n",
             "9: record without a name (no EntityOrShip, LastName or GivenName)");
    bad_case(f, "--format ca-sema", "sema.xml", SEMA_HEAD "</data-set>\n",
             "1: empty list: no <record> in <data-set>");
    bad_case(f, "--format ca-sema", "sema.xml", "", "1: bad XML: Document is empty");
    bad_case(f, "--format ca-sema", "sema.xml",
             "<?xml version=\"1.0\"?>\n<html><body>Page moved</body></html>\n",
             "2: expected the root element data-set");
    bad_case(f, "--format ca-sema", "sema.xml", SEMA_HEAD SEMA_TULA SEMA_TULA "</data-set>\n",
             "9: a second record with this Country, Schedule and Item "
             "(ca-sema-russia-1-part-2-38)");
    bad_case(f, "--format ca-sema", "sema.xml",
             SEMA_HEAD "<record>\n  <Country>Russia / Russie</Country>\n"
                       "  <EntityOrShip>JSC Tula Arms Plant</EntityOrShip>\n"
                       "  <LastName>Tula</LastName>\n  <Item>38</Item>\n</record>\n</data-set>\n",
             "3: record has both EntityOrShip and LastName/GivenName");
    bad_case(f, "--format ca-sema", "sema.xml",
             SEMA_HEAD "<record>\n  <Country>Russia / Russie</Country>\n"
                       "  <EntityOrShip>JSC Tula Arms Plant</EntityOrShip>\n</record>\n"
                       "</data-set>\n",
             "3: record without an Item");
    bad_case(f, "--format ca-sema", "sema.xml",
             SEMA_HEAD "<record>\n  <Country>Russia / Russie</Country>\n"
                       "  <EntityOrShip>JSC Tula Arms Plant</EntityOrShip>\n"
                       "  <Item>38</Item>\n  <Item-NumeroDarticle>39</Item-NumeroDarticle>\n"
                       "</record>\n</data-set>\n",
             "7: <record> has a second <Item-NumeroDarticle> element");
#undef SEMA_HEAD
#undef SEMA_TULA
    bad_case(f, "--format ftm", "e.json",
             "{\"id\": \"ofac-306\", \"schema\": \"LegalEntity\", \"properties\": "
             "{\"name\": [\"BANCO NACIONAL DE CUBA\"]}}\n"
             "{\"id\": \"ofac-9750\", \"schema\": \"Company\", \"properties\": "
             "{\"name\": [\"BEIJING ALITE\"}\n",
             "2: bad JSON at column 81");
    bad_case(f, "--format ftm", "e.json", "[\"ofac-306\"]\n", "1: not a JSON object");
    bad_case(f, "--format ftm", "e.json",
             "{\"id\": \"ofac-306\", \"properties\": {\"name\": [\"BANCO NACIONAL DE CUBA\"]}}\n",
             "1: entity without a \"schema\" string");
    bad_case(f, "--format ftm", "e.json",
             "{\"id\": \"ofac-306\", \"schema\": \"Company\", \"properties\": "
             "{\"name\": \"BANCO NACIONAL DE CUBA\"}}\n",
             "1: property \"name\" is not an array");
}

/* --select keeps the organisations a curated id file names, says so in the
 * header with the file's digest, and fails without output when an id is
 * not in the input (a record the source has dropped). */
static void
test_select(void **state)
{
    fixture_t *f = *state;
    char sel[256], args[1600], base[1200];
    snprintf(sel, sizeof sel, "%s/dual-use.ids", f->dir);
    tu_write_file(sel, "# proliferation\nsdn-9750   # BEIJING ALITE\n\n  sdn-23063\n");
    snprintf(args, sizeof args, "--select '%s' %s", sel, ofac_args(base, sizeof base));
    run_t r = run(f, args);
    assert_int_equal(r.rc, 0);
    assert_has(r.out, "# 2 organisations, ");
    assert_has(r.out,
               "# Selected: only the organisations listed in dual-use.ids (3 others left out).\n");
    char hex[65], line[128];
    sha_hex(sel, hex);
    snprintf(line, sizeof line, "#   dual-use.ids  SHA-256 %s\n", hex);
    assert_has(r.out, line);
    assert_has(r.out, "{ id = \"sdn-9750\";");
    assert_has(r.out, "{ id = \"sdn-23063\";");
    assert_lacks(r.out, "\"sdn-306\"");
    assert_lacks(r.out, "\"sdn-36\"");
    assert_has(r.err, "vet-import: 2 organisations written\n");
    assert_int_equal(vetd_check(f, r.out), 0);
    run_free(&r);

    static const struct {
        const char *ids, *err;
    } bad[] = {
        {"sdn-9750\nsdn-1\n", "dual-use.ids:2: no organisation \"sdn-1\" in the input"},
        {"sdn-9750\n# again\nsdn-9750\n",
         "dual-use.ids:3: \"sdn-9750\" is already selected on line 1"},
        {"sdn-9750 sdn-306\n", "dual-use.ids:1: expected one organisation id per line"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tu_write_file(sel, bad[i].ids);
        run_t b = run(f, args);
        assert_int_equal(b.rc, 65);
        assert_int_equal(b.out_len, 0);
        assert_has(b.err, bad[i].err);
        run_free(&b);
    }
}

/* ---- sources cite published documents ------------------------------------ */

/* A registry entry of id with the one source src. */
static char *
entry_with_source(char *buf, size_t size, const char *id, const char *src)
{
    snprintf(buf, size,
             "  { id = \"%s\"; name = \"Entity %s\"; lists = [ \"l\" ];\n"
             "    sources = [ \"%s\" ]; }",
             id, id, src);
    return buf;
}

/* vetd refuses a source that names a file (a download's, or one of this
 * repository or of the data it was built from) or a line of one: a
 * reader cannot find either. The sources every importer writes pass
 * (assert_loads_and_reproduces runs the same vetd --check on them); so
 * do citations whose words merely look like file names: a URL, "F.R.". */
static void
test_sources_cite_published(void **state)
{
    fixture_t *f = *state;
    static const char *const bad[][2] = {
        {"old-ofac", "OFAC SDN sdn.csv line 1, ent_num 36"},
        {"old-un",
         "UN SC consolidated list UN_consolidated.xml line 42390, REFERENCE_NUMBER CDe.001"},
        {"facts", "FACTS.md \xC2\xA7"
                  "4: one of the Seven Sons [V: en.wikipedia.org]"},
        {"shared", "[V: shared/data/csl_samples/csl_2018_sample.csv, names as listed there]"},
        {"ours", "as names.cfg cites it"},
        {"a-line", "the list's transcription, line 259"},
    };
    static const char *const good[] = {
        "US Treasury, OFAC, Specially Designated Nationals and Blocked Persons List, ent_num 36",
        "United Nations Security Council Consolidated List, permanent reference number CDe.001 "
        "(DATAID 6908402), listed on 2014-06-30",
        "the XML file scsanctions.un.org/resources/xml/en/consolidated.xml",
        "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
        "Denied Persons List: 46 F.R. 46154 9/17/81; 87 FR 77505. Online (read 2024).",
        "a pipeline 5 and a headline 7",
    };
    char text[8192], e[512];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "lists = ( { id = \"l\"; name = \"L\"; authority = \"A\"; } );\n"
                                "organisations = (\n");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s,\n",
                              entry_with_source(e, sizeof e, bad[i][0], bad[i][1]));
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char id[16];
        snprintf(id, sizeof id, "good-%zu", i);
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%s\n",
                              entry_with_source(e, sizeof e, id, good[i]),
                              i + 1 < sizeof good / sizeof good[0] ? "," : "");
    }
    snprintf(text + n, sizeof text - n, ");\n");
    assert_true(strlen(text) < sizeof text - 1);
    assert_int_not_equal(vetd_check(f, text), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/check", f->dir);
    char *msg = tu_read_file(path, NULL);
    assert_non_null(msg);
    /* Each at its line, naming the word at fault. */
    assert_has(msg, "imported.cfg:4: organisation \"old-ofac\": source 1 cites \"sdn.csv\", a "
                    "file or a line of one: cite the published document (publisher, title, "
                    "edition) and the record's own identifier in it");
    assert_has(msg, "imported.cfg:6: organisation \"old-un\": source 1 cites "
                    "\"UN_consolidated.xml\"");
    assert_has(msg, "imported.cfg:8: organisation \"facts\": source 1 cites \"FACTS.md\"");
    assert_has(msg, "imported.cfg:10: organisation \"shared\": source 1 cites "
                    "\"shared/data/csl_samples/csl_2018_sample.csv\"");
    assert_has(msg, "imported.cfg:12: organisation \"ours\": source 1 cites \"names.cfg\"");
    assert_has(msg, "imported.cfg:14: organisation \"a-line\": source 1 cites \"line 259\"");
    /* One message per bad entry (old-ofac's "line 1" is the same source's
     * second fault: the first is reported), none for the good ones. */
    size_t count = 0;
    for (const char *p = msg; (p = strstr(p, " cites \"")) != NULL; p++)
        count++;
    assert_int_equal(count, sizeof bad / sizeof bad[0]);
    assert_lacks(msg, "good-");
    free(msg);
}

static void
test_usage(void **state)
{
    fixture_t *f = *state;
    static const char *const cases[] = {
        "",
        "--format nope x",
        "--format ofac-sdn",
        "--format ofac-sdn a b c d",
        "--format csl --list-id x tests/fixtures/import/csl_2023.csv",
        "--format ofac-sdn --list-id BAD tests/fixtures/import/sdn.csv",
        "--format ca-nro --list-id x tests/fixtures/import/nro.tsv",
        "--bogus",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_t r = run(f, cases[i]);
        if (r.rc != 64)
            fail_msg("\"%s\": exit %d, not 64", cases[i], r.rc);
        assert_int_equal(r.out_len, 0);
        assert_true(r.err[0] != '\0');
        run_free(&r);
    }
    run_t r = run(f, "--format ofac-sdn /nonexistent/sdn.csv");
    assert_int_equal(r.rc, 66);
    assert_int_equal(r.out_len, 0);
    assert_has(r.err, "/nonexistent/sdn.csv");
    run_free(&r);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_basic),
        cmocka_unit_test(test_csv_ofac_quirks),
        cmocka_unit_test(test_csv_tsv_unquoted),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_lax),
        cmocka_unit_test(test_csv_lines),
        cmocka_unit_test(test_country),
        cmocka_unit_test(test_slug),
        cmocka_unit_test_setup_teardown(test_ofac, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ofac_all_and_list_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ofac_people, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nro, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ca_nro, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_un, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ftm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ca_sema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ca_sema_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select, setup, teardown),
        cmocka_unit_test(test_dates),
        cmocka_unit_test_setup_teardown(test_csl_alongside_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sources_cite_published, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
