/* SPDX-License-Identifier: Apache-2.0 */
/* main.c -- vet-update: keeps the lists of a versioned ruleset current.
 * For each list of the ruleset's sources.cfg it downloads the official
 * files (fetch.c), imports them with vet-import's own code (imprun.c)
 * into a staging copy of the ruleset, refuses what does not parse or
 * shrinks too much, loads and tests the copy with the engine, installs
 * it as a new version and switches ROOT/current with one rename
 * (vroot.c), asks vetd to reload and confirms the digest it serves
 * (ureload.c), and reports what changed (ureport.c). docs/OPERATIONS.md
 * is its manual. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "fetch.h"
#include "imprun.h"
#include "regdiff.h"
#include "rtest.h"
#include "ruleset.h"
#include "srcs.h"
#include "ureload.h"
#include "ureport.h"
#include "ustate.h"
#include "vroot.h"

/* The outcomes of a run, least to most severe: the run's exit code is
 * that of its most severe outcome (docs/OPERATIONS.md). X(enum, code,
 * word) */
#define UPDATE_OUTCOMES(X)                                                                         \
    X(OUT_NOTHING, 0, "nothing new") /* every list current; or --init, --rollback done */          \
    X(OUT_UPDATED, 10, "updated")    /* a new version installed (--dry-run: would be) */           \
    X(OUT_FAILED, 1, "failed")       /* network, I/O, vetd not confirming, bad sources.cfg */      \
    X(OUT_REFUSED, 20, "refused")    /* parse, shrink, size cap, --check or --test failure */

typedef enum outcome {
#define OUT_ENUM(e, code, word) e,
    UPDATE_OUTCOMES(OUT_ENUM)
#undef OUT_ENUM
} outcome_t;

static const int outcome_code[] = {
#define OUT_CODE(e, code, word) code,
    UPDATE_OUTCOMES(OUT_CODE)
#undef OUT_CODE
};
static const char *const outcome_word[] = {
#define OUT_WORD(e, code, word) word,
    UPDATE_OUTCOMES(OUT_WORD)
#undef OUT_WORD
};

/* The steps at which VET_UPDATE_TEST_HOOK=STEP:kill (SIGKILL, as kill -9
 * would) or STEP:pause (stop until killed) takes effect: the test of a
 * crash at every point of an update. X(name) */
#define UPDATE_STEPS(X)                                                                            \
    X("staged")     /* the staging copy of the ruleset is made */                                  \
    X("downloaded") /* a list's files are downloaded */                                            \
    X("imported")   /* a list's registry file is imported */                                       \
    X("checked")    /* the staging copy loaded */                                                  \
    X("installed")  /* the new version is in versions/, current not switched */                    \
    X("linked")     /* the new link is made, not yet renamed over current */                       \
    X("switched")   /* current names the new version */                                            \
    X("reloaded")   /* vetd confirmed it */                                                        \
    X("saved")      /* the state file is written */

#define DEFAULT_ENDPOINT "tcp://127.0.0.1:7470"
#define DEFAULT_KEEP 5
#define DEFAULT_RELOAD_TIMEOUT_S 120
#define SYNC_TIMEOUT_MS 3000 /* asking an idle run's vetd which digest it serves */
#define MAX_ONLY 64          /* --list options */
#define MAX_SHOWN_ERRORS 5   /* load errors quoted in the report (all go to stderr) */

/* One run: the options and what the run builds. */
typedef struct ctx {
    const char *root;           /* ROOT */
    const char *endpoint;       /* vetd */
    const char *only[MAX_ONLY]; /* --list ids (argv), n_only of them */
    size_t n_only;
    bool force, dry_run, json, no_reload;
    long keep; /* versions kept besides current */
    int reload_timeout_ms;
    char now[32];    /* UTC time of the run, ISO 8601 */
    ureport_t *rep;  /* the report */
    ustate_t *state; /* the state file, as read */
    outcome_t worst; /* most severe outcome so far */
} ctx_t;

/* What one list's update left for the end of the run. */
typedef struct got {
    const srcs_list_t *l;           /* the list */
    ureport_list_t *ul;             /* its report section */
    fetch_res_t res[SRCS_MAX_URLS]; /* each URL's download */
    bool record;                    /* res and registry_sha256 are its new state */
    bool touched;                   /* 304: only its `checked` time is new */
    char registry_sha256[65];       /* the registry file these downloads make */
} got_t;

static void
worse(ctx_t *c, outcome_t o)
{
    if (o > c->worst)
        c->worst = o;
}

#define STEP_NAME(s) s,
static const char *const steps[] = {UPDATE_STEPS(STEP_NAME)};
#undef STEP_NAME

/* True if VET_UPDATE_TEST_HOOK is unset, or names a step of UPDATE_STEPS
 * and an action: a test's typo must not pass for a run that never stopped. */
static bool
hook_valid(void)
{
    const char *h = getenv("VET_UPDATE_TEST_HOOK");
    if (h == NULL || h[0] == '\0')
        return true;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        size_t n = strlen(steps[i]);
        if (strncmp(h, steps[i], n) == 0 && h[n] == ':' &&
            (strcmp(h + n + 1, "kill") == 0 || strcmp(h + n + 1, "pause") == 0))
            return true;
    }
    return false;
}

/* The test hook: see UPDATE_STEPS. */
static void
hook(const char *step)
{
    const char *h = getenv("VET_UPDATE_TEST_HOOK");
    size_t n = strlen(step);
    if (h == NULL || strncmp(h, step, n) != 0 || h[n] != ':')
        return;
    if (strcmp(h + n + 1, "kill") == 0)
        raise(SIGKILL);
    if (strcmp(h + n + 1, "pause") == 0) {
        fprintf(stderr, "vet-update: paused at %s (pid %ld)\n", step, (long)getpid());
        fflush(stderr);
        for (;;)
            pause();
    }
}

/* Hex SHA-256 of the file at path into hex (65 bytes); "" if it cannot
 * be read (a missing file). */
static void
file_sha256(const char *path, char *hex)
{
    size_t len;
    hex[0] = '\0';
    char *data = imp_read_file(path, &len);
    if (data == NULL)
        return;
    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(md, (const unsigned char *)data, len);
    sodium_bin2hex(hex, 65, md, sizeof md);
    free(data);
}

/* out (PATH_MAX bytes) = root/a, or root/a/b. A path too long for
 * PATH_MAX is cut, and then names nothing the run made. */
static void
path_of(char *out, const char *root, const char *a, const char *b)
{
    int n = b != NULL ? snprintf(out, PATH_MAX, "%s/%s/%s", root, a, b)
                      : snprintf(out, PATH_MAX, "%s/%s", root, a);
    if (n < 0 || n >= PATH_MAX)
        out[PATH_MAX - 1] = '\0';
}

/* Days since the ISO time iso ("" or unreadable: -1). */
static long
days_since(const char *iso)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (iso == NULL || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                              &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return (long)((time(NULL) - t) / 86400);
}

/* A list whose publisher has not confirmed it for longer than its
 * max_age_days gets a note saying so. */
static void
note_age(ctx_t *c, const srcs_list_t *l, ureport_list_t *ul)
{
    const ustate_list_t *st = ustate_find(c->state, l->id);
    long age = st != NULL ? days_since(st->checked) : -1;
    if (age < 0)
        ureport_list_note(ul, "never confirmed current by vet-update");
    else if (age > l->num.max_age_days)
        ureport_list_note(ul, "STALE: last confirmed current %ld days ago (%s; max_age_days %lld)",
                          age, st->checked, l->num.max_age_days);
}

static void
opts_of(const srcs_list_t *l, fetch_opts_t *o)
{
    o->connect_timeout_s = (long)l->num.connect_timeout_s;
    o->timeout_s = (long)l->num.timeout_s;
    o->stall_timeout_s = (long)l->num.stall_timeout_s;
    o->retries = (long)l->num.retries;
    o->retry_delay_s = (long)l->num.retry_delay_s;
    o->max_bytes = l->num.max_bytes;
}

/* regdiff_fn: into the list's report section. */
static void
on_change(void *ctx, regdiff_kind_t kind, const char *id, const char *name,
          const char *const *fields, size_t n_fields)
{
    ureport_list_change(ctx, kind, id, name, fields, n_fields);
}

/* Compares the installed registry file with the staged one and applies
 * the shrink limit. Returns the list's status; on a refusal the staged
 * file is put back as it was (old bytes, or none). */
static ureport_status_t
judge(ctx_t *c, got_t *g, const char *old_path, const char *new_path, const char *old_bytes,
      size_t old_len)
{
    const srcs_list_t *l = g->l;
    sbuf_t err = SBUF_INIT;
    ureport_status_t st = UREPORT_UPDATED;
    regdiff_file_t *a = regdiff_read(old_path, &err);
    regdiff_file_t *b = a != NULL ? regdiff_read(new_path, &err) : NULL;
    if (a == NULL || b == NULL) {
        ureport_list_status(g->ul, UREPORT_REFUSED, "%s", err.data ? err.data : "");
        st = UREPORT_REFUSED;
        goto restore;
    }
    ureport_list_counts(g->ul, regdiff_count(a), regdiff_count(b));
    if (regdiff_compare(a, b, on_change, g->ul) != 0) {
        ureport_list_status(g->ul, UREPORT_FAILED, "out of memory");
        st = UREPORT_FAILED;
        goto restore;
    }
    /* Each list the old file names, then the file as a whole (NULL). */
    for (size_t i = 0; i <= regdiff_n_lists(a); i++) {
        const char *id = i < regdiff_n_lists(a) ? regdiff_list(a, i) : NULL;
        size_t before = id ? regdiff_on_list(a, id) : regdiff_count(a);
        size_t after = id ? regdiff_on_list(b, id) : regdiff_count(b);
        if (before == 0 || after >= before)
            continue;
        double lost = 100.0 * (double)(before - after) / (double)before;
        if (lost <= (double)l->num.max_shrink_percent)
            continue;
        if (c->force) {
            ureport_list_note(g->ul, "forced: %s%s%s goes from %zu to %zu organisations (-%.0f%%)",
                              id ? "list \"" : l->registry, id ? id : "", id ? "\"" : "", before,
                              after, lost);
            continue;
        }
        ureport_list_status(g->ul, UREPORT_REFUSED,
                            "%s%s%s would go from %zu to %zu organisations (-%.0f%%, limit %lld%%: "
                            "max_shrink_percent); if this is deliberate, --force",
                            id ? "list \"" : l->registry, id ? id : "", id ? "\"" : "", before,
                            after, lost, l->num.max_shrink_percent);
        st = UREPORT_REFUSED;
        goto restore;
    }
    ureport_list_status(g->ul, UREPORT_UPDATED, NULL);
    goto out;
restore:
    /* The staging copy keeps the installed file: other lists may still
     * be installed with it. */
    sbuf_clear(&err);
    if (old_bytes != NULL ? vroot_write_file(new_path, old_bytes, old_len, &err) != 0
                          : unlink(new_path) != 0) {
        ureport_list_status(g->ul, UREPORT_FAILED, "restoring %s: %s", new_path,
                            err.data ? err.data : strerror(errno));
        st = UREPORT_FAILED;
    }
out:
    regdiff_destroy(&a);
    regdiff_destroy(&b);
    sbuf_free(&err);
    return st;
}

/* Downloads, imports and judges one list into the staging copy. */
static ureport_status_t
update_list(ctx_t *c, got_t *g, const char *cur_dir, const char *stage)
{
    const srcs_list_t *l = g->l;
    char old_path[PATH_MAX], new_path[PATH_MAX], dl_dir[PATH_MAX], old_sha[65];
    char paths[SRCS_MAX_URLS][PATH_MAX];
    const char *pathv[SRCS_MAX_URLS];
    path_of(old_path, cur_dir, l->registry, NULL);
    path_of(new_path, stage, "rules", l->registry);
    path_of(dl_dir, stage, "download", l->id);
    if (mkdir(dl_dir, 0755) != 0) {
        ureport_list_status(g->ul, UREPORT_FAILED, "%s: %s", dl_dir, strerror(errno));
        return UREPORT_FAILED;
    }
    file_sha256(old_path, old_sha);
    /* The validators describe the installed file only if it is the one
     * their download made (not after a rollback, or a hand edit). */
    const ustate_list_t *st = ustate_find(c->state, l->id);
    bool cond = st != NULL && old_sha[0] != '\0' && strcmp(st->registry_sha256, old_sha) == 0 &&
                st->n_files == l->n_urls;
    fetch_opts_t fo;
    opts_of(l, &fo);
    size_t n304 = 0;
    bool was304[SRCS_MAX_URLS] = {false};
    sbuf_t err = SBUF_INIT;
    ureport_status_t rc = UREPORT_UPDATED;
    /* Pass 0 asks conditionally; pass 1 fetches in full what a 304
     * answered, when another file of the list did change. */
    for (int pass = 0; pass < 2 && rc == UREPORT_UPDATED; pass++) {
        for (size_t i = 0; i < l->n_urls; i++) {
            if (pass == 1 && !was304[i])
                continue;
            path_of(paths[i], dl_dir, l->files[i], NULL);
            pathv[i] = paths[i];
            bool same_url = cond && strcmp(st->files[i].url, l->urls[i]) == 0;
            sbuf_clear(&err);
            fetch_rc_t f = fetch_get(
                l->urls[i], paths[i], pass == 0 && same_url ? st->files[i].etag : NULL,
                pass == 0 && same_url ? st->files[i].last_modified : NULL, &fo, &g->res[i], &err);
            ureport_list_file(g->ul, l->files[i], l->urls[i], g->res[i].http, g->res[i].bytes);
            if (f == FETCH_TOO_BIG || f == FETCH_FAILED) {
                ureport_list_status(g->ul, f == FETCH_TOO_BIG ? UREPORT_REFUSED : UREPORT_FAILED,
                                    "%s: %s", l->urls[i], err.data ? err.data : "");
                rc = f == FETCH_TOO_BIG ? UREPORT_REFUSED : UREPORT_FAILED;
                break;
            }
            if (f == FETCH_NOT_MODIFIED) {
                if (pass == 1) { /* it answered 304 to a plain request */
                    ureport_list_status(g->ul, UREPORT_FAILED,
                                        "%s: 304 to an unconditional request", l->urls[i]);
                    rc = UREPORT_FAILED;
                    break;
                }
                was304[i] = true;
                n304++;
            }
        }
        if (pass == 0 && n304 == l->n_urls) {
            ureport_list_status(g->ul, UREPORT_UNCHANGED, "not modified since %s",
                                st->downloaded[0] ? st->downloaded : "the last download");
            g->touched = true;
            sbuf_free(&err);
            return UREPORT_UNCHANGED;
        }
        if (n304 == 0)
            break;
    }
    if (rc != UREPORT_UPDATED) {
        sbuf_free(&err);
        return rc;
    }
    hook("downloaded");

    const imp_format_t *fmt = imprun_format(l->format);
    /* The edition: the one the data gives (the UN list's dateGenerated),
     * else the newest Last-Modified its server gave for its files (the
     * publication as the publisher dates it: the same file keeps the same
     * edition, so an unchanged list stays unchanged); with the list's
     * maximum age. */
    char edition[11] = "";
    for (size_t i = 0; i < l->n_urls; i++) {
        char day[11];
        if (fetch_http_day(g->res[i].last_modified, day) && strcmp(day, edition) > 0)
            memcpy(edition, day, sizeof edition);
    }
    imp_opts_t io = {
        l->list_id, l->risk, l->all, NULL, (int)l->num.max_age_days, edition[0] ? edition : NULL};
    sbuf_t out = SBUF_INIT, summary = SBUF_INIT;
    size_t old_len = 0;
    char *old_bytes = NULL;
    sbuf_clear(&err);
    imprun_rc_t ir = imprun_run(fmt, &io, NULL, pathv, l->n_urls, &out, &summary, &err);
    if (ir != IMPRUN_OK) {
        rc = ir == IMPRUN_REFUSED ? UREPORT_REFUSED : UREPORT_FAILED;
        ureport_list_status(g->ul, rc, "%s: %s",
                            ir == IMPRUN_REFUSED ? "does not import" : "import",
                            err.data ? err.data : "");
        goto done;
    }
    for (char *p = summary.data, *nl; p != NULL && *p != '\0'; p = nl) {
        nl = strchr(p, '\n');
        if (nl != NULL)
            *nl++ = '\0';
        ureport_list_note(g->ul, "%s", p);
    }
    hook("imported");
    old_bytes = imp_read_file(old_path, &old_len);
    if (old_bytes != NULL && old_len == out.len && memcmp(old_bytes, out.data, out.len) == 0) {
        ureport_list_status(g->ul, UREPORT_UNCHANGED, "downloaded; the same registry file");
        snprintf(g->registry_sha256, sizeof g->registry_sha256, "%s", old_sha);
        g->record = true;
        rc = UREPORT_UNCHANGED;
        goto done;
    }
    sbuf_clear(&err);
    if (vroot_write_file(new_path, out.data, out.len, &err) != 0) {
        ureport_list_status(g->ul, UREPORT_FAILED, "%s", err.data ? err.data : "");
        rc = UREPORT_FAILED;
        goto done;
    }
    rc = judge(c, g, old_path, new_path, old_bytes, old_len);
    if (rc == UREPORT_UPDATED) {
        unsigned char md[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(md, (const unsigned char *)out.data, out.len);
        sodium_bin2hex(g->registry_sha256, sizeof g->registry_sha256, md, sizeof md);
        g->record = true;
    }
done:
    free(old_bytes);
    sbuf_free(&out);
    sbuf_free(&summary);
    sbuf_free(&err);
    return rc;
}

/* Loads dir and runs its own tests (vetd --check, vetd --test), each a
 * step of the report. On success fills digest (65 bytes) and returns
 * OUT_NOTHING; else OUT_REFUSED (or OUT_FAILED when out of memory). */
static outcome_t
check_ruleset(ctx_t *c, const char *dir, char *digest)
{
    diag_t *d = diag_new(0);
    if (d == NULL) {
        ureport_step(c->rep, "check", false, "out of memory");
        return OUT_FAILED;
    }
    outcome_t o = OUT_NOTHING;
    ruleset_t *rs = ruleset_load(dir, d);
    if (rs == NULL) {
        sbuf_t b = SBUF_INIT;
        for (size_t i = 0; i < diag_count(d) && i < MAX_SHOWN_ERRORS; i++)
            sbuf_printf(&b, "%s%s", i ? "; " : "", diag_get(d, i) ? diag_get(d, i) : "");
        if (diag_count(d) > MAX_SHOWN_ERRORS)
            sbuf_printf(&b, "; and %zu more", diag_count(d) - MAX_SHOWN_ERRORS);
        ureport_step(c->rep, "check", false, "%zu error%s, not installed: %s", diag_count(d),
                     diag_count(d) == 1 ? "" : "s", b.data ? b.data : "");
        diag_print(d, stderr);
        sbuf_free(&b);
        diag_destroy(&d);
        return OUT_REFUSED;
    }
    ureport_step(c->rep, "check", true,
                 "ok: %zu files, %zu organisations, %zu rules (version %s, digest %.12s)",
                 rs->n_files, rs->n_ents, rs->n_rules, rs->version, rs->digest);
    snprintf(digest, 65, "%s", rs->digest);
    hook("checked");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    rtest_summary_t sum = {0, 0, 0};
    int rc = out != NULL ? rtest_run(rs, dir, out, d, &sum) : -1;
    if (out != NULL)
        fclose(out);
    if (out == NULL) {
        ureport_step(c->rep, "tests", false, "out of memory");
        o = OUT_FAILED;
    } else if (rc != 0) {
        /* The first failure says which case; all go to stderr. */
        char *first = buf != NULL ? buf : (char *)"";
        char *nl = strchr(first, '\n');
        if (nl != NULL)
            *nl = '\0';
        const char *why = first[0] ? first : diag_count(d) ? diag_get(d, 0) : "";
        ureport_step(c->rep, "tests", false, "%u passed, %u failed, not installed: %s", sum.passed,
                     sum.failed, why ? why : "");
        if (nl != NULL)
            *nl = '\n';
        fputs(buf != NULL ? buf : "", stderr);
        diag_print(d, stderr);
        o = OUT_REFUSED;
    } else {
        ureport_step(c->rep, "tests", true, "%u passed, %u failed", sum.passed, sum.failed);
    }
    free(buf);
    ruleset_destroy(&rs);
    diag_destroy(&d);
    return o;
}

/* Writes the state file; a failure is reported (the validators only
 * save downloads, so it fails nothing). */
static void
save_state(ctx_t *c)
{
    char path[PATH_MAX];
    path_of(path, c->root, USTATE_FILE, NULL);
    sbuf_t text = SBUF_INIT, err = SBUF_INIT;
    ustate_render(c->state, &text);
    if (text.oom || vroot_write_file(path, text.data, text.len, &err) != 0)
        ureport_step(c->rep, "state", false, "%s", text.oom ? "out of memory" : err.data);
    sbuf_free(&text);
    sbuf_free(&err);
}

/* Records the downloads of got[0..n) in the state: those that made a
 * file now installed (or identical to it), and the 304s' times. */
static void
record_state(ctx_t *c, const got_t *got, size_t n, bool installed)
{
    for (size_t i = 0; i < n; i++) {
        const got_t *g = &got[i];
        ureport_status_t s = ureport_list_get_status(g->ul);
        const ustate_list_t *old = ustate_find(c->state, g->l->id);
        int rc = 0;
        if (g->touched && old != NULL) {
            ustate_list_t l = *old;
            l.checked = c->now;
            rc = ustate_put(c->state, &l);
        } else if (g->record && (s == UREPORT_UNCHANGED || (s == UREPORT_UPDATED && installed))) {
            ustate_file_t files[SRCS_MAX_URLS];
            for (size_t k = 0; k < g->l->n_urls; k++)
                files[k] = (ustate_file_t){g->l->urls[k], g->res[k].etag, g->res[k].last_modified,
                                           g->res[k].sha256, g->res[k].bytes};
            ustate_list_t l = {g->l->id, g->registry_sha256, c->now, c->now, files, g->l->n_urls};
            rc = ustate_put(c->state, &l);
        }
        if (rc != 0)
            ureport_step(c->rep, "state", false, "out of memory");
    }
}

/* Removes the versions beyond --keep, never current. */
static void
prune(ctx_t *c, const char *current)
{
    char **names;
    size_t n, kept = 0, removed = 0;
    sbuf_t err = SBUF_INIT;
    if (vroot_versions(c->root, &names, &n, &err) != 0) {
        ureport_step(c->rep, "prune", false, "%s", err.data);
        sbuf_free(&err);
        return;
    }
    for (size_t i = n; i-- > 0;) {
        if (strcmp(names[i], current) == 0)
            continue;
        if (kept < (size_t)c->keep) {
            kept++;
            continue;
        }
        sbuf_clear(&err);
        if (vroot_retire(c->root, names[i], &err) != 0)
            ureport_step(c->rep, "prune", false, "%s", err.data);
        else
            removed++;
    }
    if (removed > 0)
        ureport_step(c->rep, "prune", true, "removed %zu old version%s; %zu kept besides current",
                     removed, removed == 1 ? "" : "s", kept);
    vroot_free_names(names, n);
    sbuf_free(&err);
}

/* Nothing new was installed: if vetd serves another ruleset than
 * current (an earlier run was killed before its reload), reload it. An
 * absent daemon is only noted. */
static void
sync_daemon(ctx_t *c, const char *current)
{
    char want[13], served[65];
    sbuf_t msg = SBUF_INIT;
    vroot_digest12(current, want);
    if (ureload_serving(c->endpoint, SYNC_TIMEOUT_MS, served, &msg) != 0) {
        ureport_step(c->rep, "vetd", true, "not asked to reload (nothing new): %s", msg.data);
    } else if (strncmp(served, want, 12) == 0) {
        ureport_step(c->rep, "vetd", true, "%s serves %.12s (current)", c->endpoint, served);
    } else {
        sbuf_clear(&msg);
        ureload_rc_t rc = ureload_run(c->endpoint, false, c->reload_timeout_ms, want, &msg);
        ureport_step(c->rep, "vetd", rc == URELOAD_CONFIRMED, "served %.12s, not current: %s",
                     served[0] ? served : "nothing", msg.data ? msg.data : "");
        if (rc != URELOAD_CONFIRMED)
            worse(c, rc == URELOAD_REFUSED ? OUT_REFUSED : OUT_FAILED);
    }
    sbuf_free(&msg);
}

/* Takes the lock and removes what killed runs left. -1 if the lock is held. */
static int
begin(ctx_t *c)
{
    sbuf_t err = SBUF_INIT, log = SBUF_INIT;
    int fd = vroot_lock(c->root, &err);
    if (fd < 0) {
        fprintf(stderr, "vet-update: %s\n", err.data);
        sbuf_free(&err);
        return -1;
    }
    if (vroot_clean(c->root, &log) > 0)
        fprintf(stderr, "vet-update: %s", log.data);
    sbuf_free(&err);
    sbuf_free(&log);
    return fd;
}

/* The current version's name, or NULL after saying why (not versioned). */
static bool
current_of(ctx_t *c, char *name)
{
    sbuf_t err = SBUF_INIT;
    int rc = vroot_current(c->root, name, &err);
    if (rc == 1)
        fprintf(stderr,
                "vet-update: %s is not a versioned ruleset (no %s/current): make one with "
                "vet-update --init %s --from RULES_DIR\n",
                c->root, c->root, c->root);
    else if (rc < 0)
        fprintf(stderr, "vet-update: %s\n", err.data);
    sbuf_free(&err);
    return rc == 0;
}

/* Installs the checked staging directory dir as a new version and
 * switches current to it; the report gets the step. 0, or -1. */
static int
install(ctx_t *c, const char *dir, const char *digest, char *name)
{
    sbuf_t err = SBUF_INIT;
    int rc = vroot_install(c->root, dir, digest, name, &err);
    if (rc == 0) {
        hook("installed");
        rc = vroot_switch(c->root, name, hook, &err);
    }
    if (rc != 0)
        ureport_step(c->rep, "install", false, "%s", err.data);
    else
        ureport_step(c->rep, "install", true, "current -> %s/%s", VROOT_VERSIONS, name);
    sbuf_free(&err);
    return rc;
}

static outcome_t
run_update(ctx_t *c)
{
    char cur[VROOT_NAME_MAX], cur_dir[PATH_MAX], path[PATH_MAX];
    if (begin(c) < 0 || !current_of(c, cur))
        return OUT_FAILED;
    path_of(cur_dir, c->root, VROOT_VERSIONS, cur);
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%s/%s", VROOT_VERSIONS, cur);
    ureport_set(c->rep, "current", rel);
    path_of(path, cur_dir, SRCS_FILE, NULL);
    diag_t *d = diag_new(0);
    srcs_t *srcs = d != NULL ? srcs_load(path, d) : NULL;
    if (srcs == NULL) {
        if (d != NULL)
            diag_print(d, stderr);
        fprintf(stderr, "vet-update: %s: no list updated\n", path);
        diag_destroy(&d);
        return OUT_FAILED;
    }
    diag_destroy(&d);
    for (size_t i = 0; i < c->n_only; i++)
        if (srcs_find(srcs, c->only[i]) == NULL) {
            const char *sug = srcs_suggest(srcs, c->only[i]);
            fprintf(stderr, "vet-update: --list %s: no such list in %s%s%s%s\n", c->only[i], path,
                    sug ? " (did you mean \"" : "", sug ? sug : "", sug ? "\"?)" : "");
            srcs_destroy(&srcs);
            exit(EX_USAGE);
        }

    sbuf_t err = SBUF_INIT;
    char *stage = vroot_stage(c->root, &err);
    got_t *got = calloc(srcs_count(srcs) + 1, sizeof *got);
    size_t n_got = 0, n_updated = 0;
    bool recorded = false; /* the state has this run's downloads */
    outcome_t o = OUT_NOTHING;
    char staged[PATH_MAX], digest[65] = "", name[VROOT_NAME_MAX] = "";
    if (stage == NULL || got == NULL) {
        fprintf(stderr, "vet-update: %s\n", stage == NULL ? err.data : "out of memory");
        o = OUT_FAILED;
        goto out;
    }
    path_of(staged, stage, "rules", NULL);
    path_of(path, stage, "download", NULL);
    sbuf_clear(&err);
    if (vroot_copy_tree(cur_dir, staged, &err) != 0 || mkdir(path, 0755) != 0) {
        fprintf(stderr, "vet-update: %s\n", err.len ? err.data : strerror(errno));
        o = OUT_FAILED;
        goto out;
    }
    hook("staged");

    for (size_t i = 0; i < srcs_count(srcs); i++) {
        const srcs_list_t *l = srcs_get(srcs, i);
        bool chosen = c->n_only == 0;
        for (size_t k = 0; k < c->n_only; k++)
            chosen = chosen || strcmp(c->only[k], l->id) == 0;
        if (!chosen)
            continue;
        got_t *g = &got[n_got++];
        g->l = l;
        g->ul = ureport_list(c->rep, l->id, l->registry);
        ureport_status_t st = update_list(c, g, cur_dir, stage);
        if (st == UREPORT_UPDATED)
            n_updated++;
        else if (st == UREPORT_FAILED)
            worse(c, OUT_FAILED);
        else if (st == UREPORT_REFUSED)
            worse(c, OUT_REFUSED);
        if (st == UREPORT_FAILED || st == UREPORT_REFUSED)
            note_age(c, l, g->ul);
    }

    if (n_updated == 0) {
        if (!c->dry_run && !c->no_reload)
            sync_daemon(c, cur);
        goto out;
    }
    o = check_ruleset(c, staged, digest);
    if (o != OUT_NOTHING)
        goto out;
    const char *at = NULL;
    if (!c->force && ustate_rejected(c->state, digest, &at)) {
        ureport_step(c->rep, "install", false,
                     "ruleset %.12s was rolled back from on %s: not installed again "
                     "(--force installs it)",
                     digest, at);
        o = OUT_REFUSED;
        goto out;
    }
    if (c->dry_run) {
        ureport_step(c->rep, "install", true, "dry run: ruleset %.12s passed; not installed",
                     digest);
        o = OUT_UPDATED;
        goto out;
    }
    if (install(c, staged, digest, name) != 0) {
        o = OUT_FAILED;
        goto out;
    }
    hook("switched");
    snprintf(rel, sizeof rel, "%s/%s", VROOT_VERSIONS, name);
    ureport_set(c->rep, "installed", rel);
    ureport_set(c->rep, "digest", digest);
    o = OUT_UPDATED;
    bool keep_state = true;
    if (!c->no_reload) {
        sbuf_t msg = SBUF_INIT;
        ureload_rc_t rc = ureload_run(c->endpoint, c->force, c->reload_timeout_ms, digest, &msg);
        if (rc == URELOAD_CONFIRMED) {
            ureport_step(c->rep, "vetd", true, "%s", msg.data);
            hook("reloaded");
        } else if (rc == URELOAD_REFUSED) {
            /* vetd still serves the old ruleset: current names it again. */
            ureport_step(c->rep, "vetd", false, "%s", msg.data);
            sbuf_clear(&err);
            if (vroot_switch(c->root, cur, NULL, &err) == 0 &&
                vroot_retire(c->root, name, &err) == 0)
                ureport_step(c->rep, "rollback", true, "current -> %s/%s again; %s removed",
                             VROOT_VERSIONS, cur, rel);
            else
                ureport_step(c->rep, "rollback", false, "%s", err.data);
            ureport_set(c->rep, "installed", "none: vetd refused it");
            o = OUT_REFUSED;
            keep_state = false;
        } else {
            ureport_step(c->rep, "vetd", false,
                         "%s; %s stays installed: vetd loads it at its next reload or start",
                         msg.data, rel);
            worse(c, OUT_FAILED);
        }
        sbuf_free(&msg);
    }
    record_state(c, got, n_got, keep_state);
    save_state(c);
    recorded = true;
    hook("saved");
    if (keep_state)
        prune(c, name);
out:
    /* What stayed as installed (304s, identical files) is recorded
     * whatever became of the rest. */
    if (!recorded && !c->dry_run && got != NULL && n_got > 0) {
        record_state(c, got, n_got, false);
        save_state(c);
    }
    if (stage != NULL && vroot_remove_tree(stage) != 0 && errno != ENOENT)
        fprintf(stderr, "vet-update: removing %s: %s\n", stage, strerror(errno));
    free(stage);
    free(got);
    srcs_destroy(&srcs);
    sbuf_free(&err);
    return o;
}

static outcome_t
run_init(ctx_t *c, const char *from)
{
    char path[PATH_MAX], cur[VROOT_NAME_MAX];
    struct stat st;
    path_of(path, c->root, "policy.cfg", NULL);
    if (stat(path, &st) == 0) {
        fprintf(stderr,
                "vet-update: %s is a ruleset itself: --init makes a new root beside it "
                "(vet-update --init NEWROOT --from %s)\n",
                c->root, c->root);
        return OUT_FAILED;
    }
    path_of(path, c->root, VROOT_VERSIONS, NULL);
    if ((mkdir(c->root, 0755) != 0 && errno != EEXIST) ||
        (mkdir(path, 0755) != 0 && errno != EEXIST)) {
        fprintf(stderr, "vet-update: %s: %s\n", path, strerror(errno));
        return OUT_FAILED;
    }
    if (begin(c) < 0)
        return OUT_FAILED;
    sbuf_t err = SBUF_INIT;
    int rc = vroot_current(c->root, cur, &err);
    sbuf_free(&err);
    if (rc != 1) {
        fprintf(stderr, "vet-update: %s is already a versioned ruleset (current -> versions/%s)\n",
                c->root, rc == 0 ? cur : "?");
        return OUT_FAILED;
    }
    path_of(path, from, "policy.cfg", NULL);
    if (stat(path, &st) != 0) {
        fprintf(stderr, "vet-update: --from %s: not a ruleset (%s: %s)\n", from, path,
                strerror(errno));
        return OUT_FAILED;
    }
    path_of(path, from, SRCS_FILE, NULL);
    if (stat(path, &st) == 0) {
        diag_t *d = diag_new(0);
        srcs_t *s = d != NULL ? srcs_load(path, d) : NULL;
        if (s == NULL) {
            if (d != NULL)
                diag_print(d, stderr);
            ureport_step(c->rep, "sources", false, "%s does not load", path);
            diag_destroy(&d);
            return OUT_REFUSED;
        }
        ureport_step(c->rep, "sources", true, "%s: %zu lists", path, srcs_count(s));
        srcs_destroy(&s);
        diag_destroy(&d);
    }
    char *stage = vroot_stage(c->root, &err);
    char staged[PATH_MAX], digest[65], name[VROOT_NAME_MAX];
    outcome_t o = OUT_FAILED;
    if (stage == NULL) {
        fprintf(stderr, "vet-update: %s\n", err.data);
        sbuf_free(&err);
        return OUT_FAILED;
    }
    path_of(staged, stage, "rules", NULL);
    if (vroot_copy_tree(from, staged, &err) != 0) {
        fprintf(stderr, "vet-update: %s\n", err.data);
    } else if ((o = check_ruleset(c, staged, digest)) == OUT_NOTHING &&
               install(c, staged, digest, name) != 0) {
        o = OUT_FAILED;
    } else if (o == OUT_NOTHING) {
        char rel[PATH_MAX];
        snprintf(rel, sizeof rel, "%s/%s", VROOT_VERSIONS, name);
        ureport_set(c->rep, "installed", rel);
        ureport_set(c->rep, "digest", digest);
    }
    vroot_remove_tree(stage);
    free(stage);
    sbuf_free(&err);
    return o;
}

static outcome_t
run_rollback(ctx_t *c)
{
    char cur[VROOT_NAME_MAX], want[13], from[13];
    if (begin(c) < 0 || !current_of(c, cur))
        return OUT_FAILED;
    char **names;
    size_t n;
    sbuf_t err = SBUF_INIT;
    if (vroot_versions(c->root, &names, &n, &err) != 0) {
        fprintf(stderr, "vet-update: %s\n", err.data);
        sbuf_free(&err);
        return OUT_FAILED;
    }
    const char *prev = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], cur) < 0)
            prev = names[i];
    outcome_t o = OUT_NOTHING;
    char rel[PATH_MAX];
    if (prev == NULL) {
        ureport_step(c->rep, "rollback", false, "no version older than %s/%s to go back to",
                     VROOT_VERSIONS, cur);
        o = OUT_FAILED;
        goto out;
    }
    if (vroot_switch(c->root, prev, hook, &err) != 0) {
        ureport_step(c->rep, "rollback", false, "%s", err.data);
        o = OUT_FAILED;
        goto out;
    }
    snprintf(rel, sizeof rel, "%s/%s", VROOT_VERSIONS, prev);
    ureport_set(c->rep, "current", rel);
    snprintf(rel, sizeof rel, "%s/%s", VROOT_VERSIONS, cur);
    ureport_set(c->rep, "left", rel);
    ureport_step(c->rep, "rollback", true, "current -> %s/%s", VROOT_VERSIONS, prev);
    vroot_digest12(prev, want);
    vroot_digest12(cur, from);
    if (!c->no_reload) {
        /* Going back is deliberate: the shrink gate is forced. */
        sbuf_t msg = SBUF_INIT;
        ureload_rc_t rc = ureload_run(c->endpoint, true, c->reload_timeout_ms, want, &msg);
        ureport_step(c->rep, "vetd", rc == URELOAD_CONFIRMED, "%s", msg.data);
        if (rc == URELOAD_REFUSED) {
            sbuf_clear(&err);
            if (vroot_switch(c->root, cur, NULL, &err) == 0)
                ureport_step(c->rep, "rollback", false, "undone: current -> %s/%s again",
                             VROOT_VERSIONS, cur);
            else
                ureport_step(c->rep, "rollback", false, "%s", err.data);
            o = OUT_REFUSED;
        } else if (rc != URELOAD_CONFIRMED) {
            o = OUT_FAILED;
        }
        sbuf_free(&msg);
    }
    if (o != OUT_REFUSED) {
        /* A later run must not install the same ruleset again by itself. */
        if (ustate_reject(c->state, from, c->now) != 0)
            ureport_step(c->rep, "state", false, "out of memory");
        save_state(c);
    }
out:
    vroot_free_names(names, n);
    sbuf_free(&err);
    return o;
}

/* --status: the versions, and when each list was last confirmed. */
static outcome_t
run_status(ctx_t *c)
{
    char cur[VROOT_NAME_MAX], path[PATH_MAX];
    if (!current_of(c, cur))
        return OUT_FAILED;
    char **names;
    size_t n;
    sbuf_t err = SBUF_INIT, all = SBUF_INIT;
    if (vroot_versions(c->root, &names, &n, &err) != 0) {
        fprintf(stderr, "vet-update: %s\n", err.data);
        sbuf_free(&err);
        return OUT_FAILED;
    }
    for (size_t i = n; i-- > 0;)
        sbuf_printf(&all, "%s%s%s", all.len ? ", " : "", names[i],
                    strcmp(names[i], cur) == 0 ? " (current)" : "");
    ureport_set(c->rep, "versions", all.data ? all.data : "");
    vroot_free_names(names, n);
    char vdir[PATH_MAX];
    path_of(vdir, c->root, VROOT_VERSIONS, cur);
    path_of(path, vdir, SRCS_FILE, NULL);
    diag_t *d = diag_new(0);
    srcs_t *s = d != NULL ? srcs_load(path, d) : NULL;
    outcome_t o = OUT_NOTHING;
    if (s == NULL) {
        if (d != NULL)
            diag_print(d, stderr);
        o = OUT_FAILED;
    }
    for (size_t i = 0; s != NULL && i < srcs_count(s); i++) {
        const srcs_list_t *l = srcs_get(s, i);
        const ustate_list_t *st = ustate_find(c->state, l->id);
        ureport_list_t *ul = ureport_list(c->rep, l->id, l->registry);
        long age = st != NULL ? days_since(st->checked) : -1;
        char file[PATH_MAX], sha[65];
        path_of(file, vdir, l->registry, NULL);
        file_sha256(file, sha);
        if (age < 0)
            ureport_list_status(ul, UREPORT_STALE, "never confirmed current by vet-update");
        else
            ureport_list_status(ul, age > l->num.max_age_days ? UREPORT_STALE : UREPORT_CURRENT,
                                "last confirmed current %ld day%s ago (max_age_days %lld)", age,
                                age == 1 ? "" : "s", l->num.max_age_days);
        if (age < 0 || age > l->num.max_age_days)
            worse(c, OUT_FAILED);
        if (st != NULL)
            ureport_list_note(ul, "downloaded %s, last confirmed current %s", st->downloaded,
                              st->checked);
        if (st != NULL && strcmp(sha, st->registry_sha256) != 0)
            ureport_list_note(ul,
                              "the installed %s is not what that download made (a rollback, "
                              "or --init from another copy)",
                              l->registry);
    }
    srcs_destroy(&s);
    diag_destroy(&d);
    sbuf_free(&err);
    sbuf_free(&all);
    return o;
}

static int
run_check_sources(const char *path)
{
    diag_t *d = diag_new(0);
    srcs_t *s = d != NULL ? srcs_load(path, d) : NULL;
    if (s == NULL) {
        if (d != NULL)
            diag_print(d, stderr);
        fprintf(stderr, "vet-update: %s: %zu error%s\n", path, d ? diag_count(d) : 1,
                d && diag_count(d) == 1 ? "" : "s");
        diag_destroy(&d);
        return 1;
    }
    printf("ok: %s: %zu list%s:", path, srcs_count(s), srcs_count(s) == 1 ? "" : "s");
    for (size_t i = 0; i < srcs_count(s); i++)
        printf(" %s", srcs_get(s, i)->id);
    printf("\n");
    srcs_destroy(&s);
    diag_destroy(&d);
    return 0;
}

static void
usage(FILE *f)
{
    fprintf(
        f,
        "usage: vet-update [options] ROOT            update the lists of ROOT/current\n"
        "       vet-update --init ROOT --from DIR    make ROOT a versioned ruleset from DIR\n"
        "       vet-update --rollback ROOT           switch ROOT/current to the version before\n"
        "       vet-update --status ROOT             versions, and each list's last check\n"
        "       vet-update --check-sources FILE      validate a sources.cfg\n"
        "options:\n"
        "  --list ID            only this list (repeatable)\n"
        "  --force              accept a shrink past max_shrink_percent (the reload is\n"
        "                       forced too); install a ruleset rolled back from\n"
        "  --dry-run            download, import, check and test; install nothing\n"
        "  --keep N             versions kept besides current (default %d)\n"
        "  -e, --endpoint EP    vetd to reload (default $VET_ENDPOINT or %s)\n"
        "  --no-reload          do not ask vetd to reload\n"
        "  --reload-timeout S   seconds allowed for the reload (default %d)\n"
        "  --json               the report as one JSON object\n"
        "exit: 0 nothing new (or --init, --rollback done), 10 updated, 20 refused,\n"
        "      1 failed, 64 usage (docs/OPERATIONS.md)\n",
        DEFAULT_KEEP, DEFAULT_ENDPOINT, DEFAULT_RELOAD_TIMEOUT_S);
}

/* A whole number in [min, max] from s, or -1. */
static long
number(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && v >= min && v <= max ? v : -1;
}

int
main(int argc, char **argv)
{
    enum { M_UPDATE, M_INIT, M_ROLLBACK, M_STATUS, M_CHECK_SOURCES } mode = M_UPDATE;
    static const struct option longopts[] = {{"init", no_argument, NULL, 'I'},
                                             {"from", required_argument, NULL, 'f'},
                                             {"rollback", no_argument, NULL, 'R'},
                                             {"status", no_argument, NULL, 'S'},
                                             {"check-sources", no_argument, NULL, 'C'},
                                             {"list", required_argument, NULL, 'l'},
                                             {"force", no_argument, NULL, 'F'},
                                             {"dry-run", no_argument, NULL, 'n'},
                                             {"keep", required_argument, NULL, 'k'},
                                             {"endpoint", required_argument, NULL, 'e'},
                                             {"no-reload", no_argument, NULL, 'N'},
                                             {"reload-timeout", required_argument, NULL, 't'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.keep = DEFAULT_KEEP;
    c.reload_timeout_ms = DEFAULT_RELOAD_TIMEOUT_S * 1000;
    c.endpoint = getenv("VET_ENDPOINT");
    if (c.endpoint == NULL || c.endpoint[0] == '\0')
        c.endpoint = DEFAULT_ENDPOINT;
    const char *from = NULL;
    int modes = 0, opt;
    while ((opt = getopt_long(argc, argv, "e:h", longopts, NULL)) != -1) {
        long v;
        switch (opt) {
        case 'I': mode = M_INIT, modes++; break;
        case 'R': mode = M_ROLLBACK, modes++; break;
        case 'S': mode = M_STATUS, modes++; break;
        case 'C': mode = M_CHECK_SOURCES, modes++; break;
        case 'f': from = optarg; break;
        case 'l':
            if (c.n_only == MAX_ONLY) {
                fprintf(stderr, "vet-update: more than %d --list options\n", MAX_ONLY);
                return EX_USAGE;
            }
            c.only[c.n_only++] = optarg;
            break;
        case 'F': c.force = true; break;
        case 'n': c.dry_run = true; break;
        case 'N': c.no_reload = true; break;
        case 'j': c.json = true; break;
        case 'e': c.endpoint = optarg; break;
        case 'k':
            if ((v = number(optarg, 1, 1000)) < 0) {
                fprintf(stderr, "vet-update: --keep %s: expected 1 to 1000\n", optarg);
                return EX_USAGE;
            }
            c.keep = v;
            break;
        case 't':
            if ((v = number(optarg, 1, 86400)) < 0) {
                fprintf(stderr, "vet-update: --reload-timeout %s: expected 1 to 86400\n", optarg);
                return EX_USAGE;
            }
            c.reload_timeout_ms = (int)v * 1000;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EX_USAGE;
        }
    }
    if (argc - optind != 1 || modes > 1 || (from != NULL) != (mode == M_INIT)) {
        fprintf(stderr, "vet-update: %s\n",
                argc - optind != 1 ? "expected one ROOT (or FILE) argument"
                : modes > 1        ? "--init, --rollback, --status and --check-sources exclude "
                                     "each other"
                                   : "--init and --from go together");
        usage(stderr);
        return EX_USAGE;
    }
    if (!hook_valid()) {
        fprintf(stderr, "vet-update: VET_UPDATE_TEST_HOOK: expected STEP:kill or STEP:pause\n");
        return EX_USAGE;
    }
    if (mode == M_CHECK_SOURCES)
        return run_check_sources(argv[optind]);
    c.root = argv[optind];
    if (sodium_init() < 0 || fetch_global_init() != 0) {
        fprintf(stderr, "vet-update: libsodium or libcurl failed to initialise\n");
        return outcome_code[OUT_FAILED];
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(c.now, sizeof c.now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char state_path[PATH_MAX];
    sbuf_t warn = SBUF_INIT;
    path_of(state_path, c.root, USTATE_FILE, NULL);
    c.rep = ureport_new(c.root, c.dry_run);
    c.state = ustate_load(state_path, &warn);
    if (c.rep == NULL || c.state == NULL) {
        fprintf(stderr, "vet-update: out of memory\n");
        return outcome_code[OUT_FAILED];
    }
    if (warn.len > 0)
        fprintf(stderr, "vet-update: %s\n", warn.data);
    sbuf_free(&warn);

    outcome_t o;
    switch (mode) {
    case M_INIT: o = run_init(&c, from); break;
    case M_ROLLBACK: o = run_rollback(&c); break;
    case M_STATUS: o = run_status(&c); break;
    default: o = run_update(&c); break;
    }
    worse(&c, o);
    const char *word = outcome_word[c.worst];
    if (c.worst == OUT_NOTHING && mode == M_INIT)
        word = "initialised";
    else if (c.worst == OUT_NOTHING && mode == M_ROLLBACK)
        word = "rolled back";
    else if (c.worst == OUT_NOTHING && mode == M_STATUS)
        word = "status";
    ureport_result(c.rep, word, outcome_code[c.worst]);
    ureport_print(c.rep, c.json, stdout);
    ureport_destroy(&c.rep);
    ustate_destroy(&c.state);
    fetch_global_cleanup();
    return outcome_code[c.worst];
}
