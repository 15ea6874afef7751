/* SPDX-License-Identifier: Apache-2.0 */
/* rtest.c -- the ruleset test runner behind `vetd --test`.
 *
 * A case is { name; request; expect; }. Its request is a wire request
 * written in libconfig syntax: it is turned into the JSON it spells and
 * read by the wire format's own reader (proto_parse_tree), so a case can
 * say only what a client can send, and means what the client's request
 * would. The rest of a case is the runner's own and is read here: its
 * name, and expect (verdict, rules, partner, error, the categories
 * keyword spotting must or must not find: spotted, not_spotted, the
 * profile it was judged by, and the region the rules saw: profile,
 * region; the first match's method and the first person ruled out by
 * the date of birth: method, ruled_out).
 *
 * A run that could not read every case (an allocation failed, or
 * libconfig lost a setting) fails with "out of memory": it never reports
 * "all passed" over fewer cases than the files hold. */
#include "rtest.h"

#include <assert.h>
#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cfgread.h"
#include "cover.h"
#include "proto.h"
#include "request.h"
#include "sbuf.h"
#include "screen.h"
#include "vec.h"

/* One case being read: its file, its group and where errors go. */
typedef struct tcase {
    const char *file; /* test file path */
    const char *name; /* case name (borrowed from libconfig) */
    int line;         /* line of the case */
    diag_t *d;        /* errors */
    arena_t *a;       /* request memory */
    bool bad;         /* a malformed setting was found */
    bool oom;         /* an allocation failed: the case cannot run */
    cover_t *cover;   /* coverage counts (--coverage), or NULL */
} tcase_t;

/* Copies s (NULL: NULL) into the case's arena; a failed copy sets oom. */
static char *
keep(tcase_t *t, const char *s)
{
    char *p = s != NULL ? arena_strdup(t->a, s) : NULL;
    if (s != NULL && p == NULL)
        t->oom = true;
    return p;
}

/* Reports members of g that are not in allowed, prefixed by the case. */
static bool
check_members(tcase_t *t, const config_setting_t *g, const char *const *allowed, const char *what)
{
    char prefix[160];
    snprintf(prefix, sizeof prefix, "case \"%.120s\": ", t->name);
    bool ok = cfgread_check_members(t->d, t->file, g, allowed, prefix, what);
    t->bad |= !ok;
    return ok;
}

static const char *
str(tcase_t *t, const config_setting_t *g, const char *name)
{
    config_setting_t *s = config_setting_get_member(g, name);
    if (s == NULL)
        return NULL;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        diag_add(t->d, t->file, cfgread_line(s), 0, "case \"%s\": \"%s\" must be a string", t->name,
                 name);
        t->bad = true;
        return NULL;
    }
    return keep(t, config_setting_get_string(s));
}

static size_t
strs(tcase_t *t, const config_setting_t *g, const char *name, const char ***out)
{
    *out = NULL;
    config_setting_t *s = config_setting_get_member(g, name);
    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
        diag_add(t->d, t->file, cfgread_line(s), 0,
                 "case \"%s\": \"%s\" must be an array of strings", t->name, name);
        t->bad = true;
        return 0;
    }
    int n = config_setting_length(s);
    const char **v = arena_calloc(t->a, (size_t)n + 1, sizeof *v);
    if (v == NULL)
        t->oom = true;
    size_t k = 0;
    for (int i = 0; i < n && v != NULL; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            diag_add(t->d, t->file, cfgread_line(e), 0, "case \"%s\": %s[%d] must be a string",
                     t->name, name, i);
            t->bad = true;
            continue;
        }
        if ((v[k] = keep(t, config_setting_get_string(e))) != NULL)
            k++;
    }
    *out = v;
    return k;
}

/* Converts the libconfig setting s into the JSON value it spells: a
 * group is an object (members in order), an array or a list an array, a
 * string, integer, number or boolean the same. Returns the tree (caller
 * owns it: cJSON_Delete), or NULL on OOM. Keys and strings are borrowed
 * from s's tree: the result must go before its config_t does. */
static cJSON *
to_json(const config_setting_t *s)
{
    cJSON *j;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP: j = cJSON_CreateObject(); break;
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST: j = cJSON_CreateArray(); break;
    case CONFIG_TYPE_STRING: return cJSON_CreateStringReference(config_setting_get_string(s));
    case CONFIG_TYPE_INT: return cJSON_CreateNumber(config_setting_get_int(s));
    case CONFIG_TYPE_INT64: return cJSON_CreateNumber((double)config_setting_get_int64(s));
    case CONFIG_TYPE_FLOAT: return cJSON_CreateNumber(config_setting_get_float(s));
    case CONFIG_TYPE_BOOL: return cJSON_CreateBool(config_setting_get_bool(s));
    default: assert(!"a parsed libconfig setting has a type"); return NULL;
    }
    int n = config_setting_length(s);
    for (int i = 0; i < n && j != NULL; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        cJSON *v = to_json(e);
        bool added = config_setting_type(s) == CONFIG_TYPE_GROUP
                         ? cJSON_AddItemToObjectCS(j, config_setting_name(e), v)
                         : cJSON_AddItemToArray(j, v);
        if (!added) { /* v is NULL (OOM) or was not linked */
            cJSON_Delete(v);
            cJSON_Delete(j);
            j = NULL;
        }
    }
    return j;
}

/* Builds the case's request from its `request` group g through the wire
 * format's own reader (proto_parse_tree): a case's request is a wire
 * request written in libconfig syntax, so `vetd --test` accepts exactly
 * what a client may send. A request the wire refuses is a malformed case,
 * reported as "file:line: case \"name\": request: MESSAGE" at g's line
 * (t->bad); so is one whose op is not screen. On OOM t->oom. *req is
 * initialised whatever happens; its strings are in t->a. */
static void
read_request(tcase_t *t, const config_setting_t *g, request_t *req)
{
    request_init(req);
    cJSON *j = to_json(g);
    if (j == NULL) {
        t->oom = true;
        return;
    }
    req_err_t code;
    const char *msg;
    int rc = proto_parse_tree(j, t->a, req, &code, &msg);
    cJSON_Delete(j);
    if (rc != 0 && code == ERR_INTERNAL) {
        t->oom = true;
    } else if (rc != 0) {
        diag_add(t->d, t->file, cfgread_line(g), 0, "case \"%s\": request: %s", t->name, msg);
        t->bad = true;
    } else if (req->op != REQ_OP_SCREEN) {
        diag_add(t->d, t->file, cfgread_line(g), 0,
                 "case \"%s\": request: op must be \"screen\", not \"%s\"", t->name,
                 req_op_name(req->op));
        t->bad = true;
    }
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes the fired rule ids as "a, b" (or "none") into b. */
static void
fired_list(sbuf_t *b, const ruleset_t *rs, const result_t *res)
{
    if (res->n_rules == 0)
        sbuf_puts(b, "none");
    for (size_t i = 0; i < res->n_rules; i++)
        sbuf_printf(b, "%s%s", i ? ", " : "", rs->rules[res->rules[i].rule].id);
}

/* Checks that every code of want[0..n) names a category; reports the
 * others at the line of expect's member name (t->bad). */
static void
known_codes(tcase_t *t, const ruleset_t *rs, const config_setting_t *ex, const char *name,
            const char **want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (tax_find(rs->tax, want[i]) >= 0)
            continue;
        int near[1];
        int line = cfgread_line(config_setting_get_member(ex, name));
        if (tax_suggest(rs->tax, want[i], near, 1) == 1)
            diag_add(t->d, t->file, line, 0,
                     "case \"%s\": %s: unknown category \"%s\" (did you mean \"%s\"?)", t->name,
                     name, want[i], tax_get(rs->tax, near[0])->code);
        else
            diag_add(t->d, t->file, line, 0, "case \"%s\": %s: unknown category \"%s\"", t->name,
                     name, want[i]);
        t->bad = true;
    }
}

/* The first spotted category of res in code's subtree (code or a
 * descendant, as tech.spotted.any sees it), or NULL. */
static const res_cat_t *
spotted_in(const ruleset_t *rs, const result_t *res, const char *code)
{
    const uint64_t *sub = tax_subtree(rs->tax, tax_find(rs->tax, code));
    for (size_t i = 0; i < res->n_cats && sub != NULL; i++) {
        int c = res->cats[i].cat;
        if (res->cats[i].spotted && ((sub[c / 64] >> (c % 64)) & 1))
            return &res->cats[i];
    }
    return NULL;
}

/* Writes the spotted categories with their evidence, "a (w1, w2); b (w3)"
 * or "nothing", into b. */
static void
spotted_list(sbuf_t *b, const ruleset_t *rs, const result_t *res)
{
    size_t k = 0;
    for (size_t i = 0; i < res->n_cats; i++) {
        const res_cat_t *c = &res->cats[i];
        if (!c->spotted)
            continue;
        sbuf_printf(b, "%s%s (", k++ ? "; " : "", tax_get(rs->tax, c->cat)->code);
        for (size_t e = 0; e < c->n_evidence; e++)
            sbuf_printf(b, "%s\"%s\"", e ? ", " : "", c->evidence[e]);
        sbuf_puts(b, ")");
    }
    if (k == 0)
        sbuf_puts(b, "nothing");
}

/* Checks the spotted / not_spotted expectations; explains a miss in why. */
static void
check_spotted(sbuf_t *why, const ruleset_t *rs, const result_t *res, const char **sp, size_t n_sp,
              const char **nsp, size_t n_nsp)
{
    for (size_t i = 0; i < n_sp && why->len == 0; i++)
        if (spotted_in(rs, res, sp[i]) == NULL) {
            sbuf_printf(why, "expected %s spotted, spotted: ", sp[i]);
            spotted_list(why, rs, res);
        }
    for (size_t i = 0; i < n_nsp && why->len == 0; i++) {
        if (spotted_in(rs, res, nsp[i]) != NULL) {
            sbuf_printf(why, "expected %s not spotted, spotted: ", nsp[i]);
            spotted_list(why, rs, res);
        }
    }
}

/* Runs one case; returns true if it passed. Failures are printed. */
static bool
run_case(const ruleset_t *rs, tcase_t *t, const config_setting_t *g, FILE *out)
{
    static const char *const allowed[] = {"name", "request", "expect", NULL};
    static const char *const allowed_e[] = {"verdict", "rules",       "partner", "error",
                                            "spotted", "not_spotted", "profile", "region",
                                            "method",  "ruled_out",   NULL};
    check_members(t, g, allowed, "a case");
    config_setting_t *rq = config_setting_get_member(g, "request");
    config_setting_t *ex = config_setting_get_member(g, "expect");
    if (rq == NULL || config_setting_type(rq) != CONFIG_TYPE_GROUP || ex == NULL ||
        config_setting_type(ex) != CONFIG_TYPE_GROUP) {
        diag_add(t->d, t->file, t->line, 0, "case \"%s\": needs groups \"request\" and \"expect\"",
                 t->name);
        return false;
    }
    check_members(t, ex, allowed_e, "expect");
    request_t req;
    read_request(t, rq, &req);
    const char *want_verdict = str(t, ex, "verdict");
    const char *want_partner = str(t, ex, "partner");
    const char *want_error = str(t, ex, "error");
    const char *want_profile = str(t, ex, "profile");
    const char *want_region = str(t, ex, "region");
    const char *want_method = str(t, ex, "method");
    const char *want_ruled = str(t, ex, "ruled_out");
    const char **want_rules;
    size_t n_want = strs(t, ex, "rules", &want_rules);
    bool has_rules = config_setting_get_member(ex, "rules") != NULL;
    const char **want_sp, **want_nsp;
    size_t n_sp = strs(t, ex, "spotted", &want_sp);
    size_t n_nsp = strs(t, ex, "not_spotted", &want_nsp);
    known_codes(t, rs, ex, "spotted", want_sp, n_sp);
    known_codes(t, rs, ex, "not_spotted", want_nsp, n_nsp);
    if (want_verdict == NULL && want_error == NULL) {
        diag_add(t->d, t->file, t->line, 0, "case \"%s\": expect needs \"verdict\" or \"error\"",
                 t->name);
        t->bad = true;
    }
    if (want_verdict != NULL && vocab_find(&rs->verdicts, want_verdict) < 0) {
        diag_add(t->d, t->file, cfgread_line(config_setting_get_member(ex, "verdict")), 0,
                 "case \"%s\": unknown verdict \"%s\"", t->name, want_verdict);
        t->bad = true;
    }
    for (size_t i = 0; i < n_want; i++) {
        bool known = false;
        for (size_t r = 0; r < rs->n_rules && !known; r++)
            known = strcmp(rs->rules[r].id, want_rules[i]) == 0;
        if (!known) {
            diag_add(t->d, t->file, cfgread_line(config_setting_get_member(ex, "rules")), 0,
                     "case \"%s\": unknown rule \"%s\"", t->name, want_rules[i]);
            t->bad = true;
        }
    }
    if (t->oom)
        diag_add(t->d, t->file, t->line, 0, "case \"%s\": out of memory", t->name);
    if (t->bad || t->oom)
        return false;

    result_t res;
    int rc = screen_run(rs, &req, t->a, &res);
    if (rc == 0 && t->cover != NULL)
        cover_count(t->cover, &req, &res);
    sbuf_t why = SBUF_INIT;
    if (want_error != NULL) {
        if (rc == 0)
            sbuf_printf(&why, "expected error %s, got verdict %s", want_error,
                        rs->verdicts.names[res.verdict]);
        else if (strcmp(req_err_name(res.err), want_error) != 0)
            sbuf_printf(&why, "expected error %s, got %s: %s", want_error, req_err_name(res.err),
                        res.errmsg);
    } else if (rc != 0) {
        sbuf_printf(&why, "expected verdict %s, got error %s: %s", want_verdict,
                    req_err_name(res.err), res.errmsg);
    } else {
        const char *got = rs->verdicts.names[res.verdict];
        if (strcmp(got, want_verdict) != 0) {
            sbuf_printf(&why, "expected verdict %s, got %s (rules fired: ", want_verdict, got);
            fired_list(&why, rs, &res);
            sbuf_puts(&why, ")");
        }
        if (why.len == 0 && has_rules) {
            const char **got_ids = arena_calloc(t->a, res.n_rules + 1, sizeof *got_ids);
            if (got_ids == NULL)
                sbuf_puts(&why, "out of memory");
            for (size_t i = 0; i < res.n_rules && got_ids; i++)
                got_ids[i] = rs->rules[res.rules[i].rule].id;
            bool same = got_ids != NULL && res.n_rules == n_want;
            if (same) {
                qsort(got_ids, res.n_rules, sizeof *got_ids, cmp_str);
                qsort(want_rules, n_want, sizeof *want_rules, cmp_str);
                for (size_t i = 0; i < n_want && same; i++)
                    same = strcmp(got_ids[i], want_rules[i]) == 0;
            }
            if (!same && got_ids != NULL) {
                sbuf_puts(&why, "expected rules [");
                for (size_t i = 0; i < n_want; i++)
                    sbuf_printf(&why, "%s%s", i ? ", " : "", want_rules[i]);
                sbuf_puts(&why, "], got [");
                fired_list(&why, rs, &res);
                sbuf_puts(&why, "]");
            }
        }
        if (why.len == 0 && want_partner != NULL) {
            const reg_entity_t *got_e = res.n_matches ? &rs->ents[res.matches[0].entity] : NULL;
            const char *got_p = got_e != NULL ? got_e->id : "";
            /* An id merged into the entity (load_merge.c) still names it. */
            bool same = strcmp(got_p, want_partner) == 0;
            for (uint16_t i = 0; !same && got_e != NULL && i < got_e->n_merged; i++)
                same = strcmp(got_e->merged[i], want_partner) == 0;
            if (!same)
                sbuf_printf(&why, "expected partner \"%s\", got \"%s\"", want_partner, got_p);
        }
        if (why.len == 0 && want_method != NULL) {
            const char *got_m = res.n_matches ? match_method_name(res.matches[0].method) : "";
            if (strcmp(got_m, want_method) != 0)
                sbuf_printf(&why, "expected method \"%s\", got \"%s\"", want_method, got_m);
        }
        if (why.len == 0 && want_ruled != NULL) {
            /* "" expects that nobody was ruled out. */
            const char *got_r = res.n_ruled_out ? rs->ents[res.ruled_out[0].entity].id : "";
            if (strcmp(got_r, want_ruled) != 0)
                sbuf_printf(&why, "expected ruled_out \"%s\", got \"%s\"", want_ruled, got_r);
        }
        if (why.len == 0 && want_profile != NULL &&
            strcmp(rs->profiles[res.profile].id, want_profile) != 0)
            sbuf_printf(&why, "expected profile \"%s\", got \"%s\"", want_profile,
                        rs->profiles[res.profile].id);
        if (why.len == 0 && want_region != NULL) {
            /* "" expects that no region was given or revealed. */
            const char *got_r = res.region_code != NULL ? res.region_code : "";
            if (strcmp(got_r, want_region) != 0)
                sbuf_printf(&why, "expected region \"%s\", got \"%s\"%s%s", want_region, got_r,
                            res.region_place ? " from the place " : "",
                            res.region_place ? res.region_place : "");
        }
        if (why.len == 0)
            check_spotted(&why, rs, &res, want_sp, n_sp, want_nsp, n_nsp);
    }
    /* A message that ran out of memory still fails the case. */
    bool pass = why.len == 0 && !why.oom;
    if (!pass)
        fprintf(out, "%s:%d: case \"%s\": %s\n", t->file, t->line, t->name,
                why.data != NULL && !why.oom ? why.data : "out of memory");
    sbuf_free(&why);
    return pass;
}

static void
run_file(const ruleset_t *rs, const char *path, FILE *out, diag_t *d, arena_t *a,
         rtest_summary_t *sum, cover_t *cover)
{
    config_t cfg;
    cfgread_rc_t rc = cfgread_init(&cfg) ? cfgread_parse_file(&cfg, path) : CFGREAD_FAULT;
    if (rc != CFGREAD_OK) {
        if (rc == CFGREAD_FAULT)
            diag_add(d, path, 0, 0, "out of memory");
        else
            diag_add(d, path, config_error_line(&cfg), 0, "%s", config_error_text(&cfg));
        sum->failed++;
        config_destroy(&cfg);
        return;
    }
    if (!cfgread_complete(config_root_setting(&cfg))) {
        diag_add(d, path, 0, 0, "out of memory"); /* libconfig lost a setting */
        sum->failed++;
        config_destroy(&cfg);
        return;
    }
    sum->files++;
    config_setting_t *root = config_root_setting(&cfg);
    config_setting_t *cases = config_setting_get_member(root, "cases");
    tcase_t t0 = {path, "", 0, d, a, false, false, NULL};
    static const char *const allowed[] = {"cases", NULL};
    if (!check_members(&t0, root, allowed, "a test file"))
        sum->failed++;
    if (cases == NULL || config_setting_type(cases) != CONFIG_TYPE_LIST) {
        diag_add(d, path, 1, 0, "\"cases\" must be a list of groups");
        sum->failed++;
        config_destroy(&cfg);
        return;
    }
    for (int i = 0; i < config_setting_length(cases); i++) {
        config_setting_t *g = config_setting_get_elem(cases, (unsigned)i);
        arena_reset(a);
        tcase_t t = {path, "", cfgread_line(g), d, a, false, false, cover};
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            diag_add(d, path, t.line, 0, "cases[%d] must be a group", i);
            sum->failed++;
            continue;
        }
        const char *name = NULL;
        if (config_setting_lookup_string(g, "name", &name) != CONFIG_TRUE) {
            diag_add(d, path, t.line, 0, "cases[%d]: missing \"name\"", i);
            sum->failed++;
            continue;
        }
        t.name = name;
        if (run_case(rs, &t, g, out))
            sum->passed++;
        else
            sum->failed++;
    }
    config_destroy(&cfg);
}

int
rtest_run(const ruleset_t *rs, const char *dir, FILE *out, diag_t *d, rtest_summary_t *sum)
{
    return rtest_run_cover(rs, dir, out, d, sum, NULL);
}

int
rtest_run_cover(const ruleset_t *rs, const char *dir, FILE *out, diag_t *d, rtest_summary_t *sum,
                cover_t *cover)
{
    memset(sum, 0, sizeof *sum);
    size_t errs = diag_count(d);
    sbuf_t tdir = SBUF_INIT;
    sbuf_printf(&tdir, "%s%stests", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/");
    if (tdir.oom) {
        diag_add(d, dir, 0, 0, "out of memory");
        sbuf_free(&tdir);
        return -1;
    }
    DIR *dp = opendir(tdir.data);
    if (dp == NULL) {
        diag_add(d, tdir.data, 0, 0, "cannot read test directory: %s", strerror(errno));
        sbuf_free(&tdir);
        return -1;
    }
    /* Every test file or none: a file skipped for want of memory would
     * let the run pass on fewer cases. */
    bool oom = false;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while (!oom && (de = readdir(dp)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || de->d_name[0] == '.' || strcmp(de->d_name + len - 4, ".cfg") != 0)
            continue;
        if (vec_grow(&names, &cap, n + 1, sizeof *names, 16) != 0) {
            oom = true;
            break;
        }
        if ((names[n] = strdup(de->d_name)) == NULL)
            oom = true;
        else
            n++;
    }
    closedir(dp);
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_str);
    arena_t *a = oom ? NULL : arena_new(0);
    if (a == NULL)
        oom = true;
    for (size_t i = 0; i < n; i++) {
        sbuf_t path = SBUF_INIT;
        sbuf_printf(&path, "%s/%s", tdir.data, names[i]);
        if (path.oom)
            oom = true;
        else if (!oom)
            run_file(rs, path.data, out, d, a, sum, cover);
        sbuf_free(&path);
        free(names[i]);
    }
    if (oom)
        diag_add(d, tdir.data, 0, 0, "out of memory: test files not run");
    free(names);
    arena_destroy(&a);
    sbuf_free(&tdir);
    return sum->failed == 0 && diag_count(d) == errs ? 0 : -1;
}
