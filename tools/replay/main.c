/* SPDX-License-Identifier: Apache-2.0 */
/* main.c -- vet-replay: re-screens the requests of a vetd audit log
 * under another ruleset, in-process (include/vet_engine.h) on every
 * core, and reports what changes (docs/OPERATIONS.md, "Replay and the
 * daily re-screen").
 *
 * The log is read in chunks of REPLAY_CHUNK lines; each chunk is cut
 * into one contiguous slice per thread, each thread judges its slice
 * with its own vet_worker_t, and the main thread adds the chunk's
 * outcomes up in log order: the report and --out are the same whatever
 * the number of threads. Two chunks alternate, so that the main thread
 * reads the next chunk and adds up the last one while the threads judge
 * this one. */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "exitcode.h"
#include "norm.h"
#include "sbuf.h"
#include "smap.h"
#include "vec.h"
#include "vet_engine.h"

#define REPLAY_CHUNK 16384 /* lines judged between two merges */
#define REPLAY_MAX_THREADS 64
#define REPLAY_MAX_RULES 64 /* fired rules kept per record; more are cut */
#define REPLAY_SHOWN 10     /* refused requests, partners shown in full */

/* Exit codes (usage text, docs/OPERATIONS.md). */
enum {
    REPLAY_EXIT_SAME = EX_OK, /* nothing became more severe */
    REPLAY_EXIT_WORSE = 1,    /* some verdict became more severe */
};

static const char usage_text[] =
    "usage: vet-replay --audit FILE --rules DIR [--against DIR] [--since-digest D]\n"
    "                  [--reviews FILE] [--out FILE] [--coverage] [-j N]\n"
    "Re-screens every screening request of a vetd audit log (JSON lines) under the\n"
    "ruleset DIR, in-process on every core, and reports how many verdicts change,\n"
    "an old x new verdict table, the rules that fired newly or stopped firing, and\n"
    "the partners whose verdict became more severe.\n"
    "  --audit FILE       the audit log (\"-\": standard input)\n"
    "  --rules DIR        the new ruleset\n"
    "  --against DIR      old verdicts from re-screening under DIR too, instead of\n"
    "                     the verdicts the log recorded\n"
    "  --since-digest D   only the records from the first one judged under ruleset\n"
    "                     digest D (or a prefix of 8 or more hex digits) to the end,\n"
    "                     leaving out those already judged under DIR's digest: the\n"
    "                     daily re-screen after a list update, D the digest served\n"
    "                     before it\n"
    "  --reviews FILE     the review register vetd applied (vetd --reviews), applied\n"
    "                     to both rulesets; without it a verdict a review lowered\n"
    "                     is judged as if nobody had reviewed it\n"
    "  --out FILE         one JSON line per record whose verdict or fired rules\n"
    "                     change: id, request, old and new verdict and rules\n"
    "  --coverage         also report the rules and conditions of DIR that never\n"
    "                     fired or held over the replayed requests, and the\n"
    "                     registry entries never matched\n"
    "  -j N               threads (default: one per core)\n"
    "A request is replayed as the log recorded it, under the profile the record\n"
    "names when the request named none. Records of admin ops, of errors and of\n"
    "unreadable requests are skipped and counted; so are records with a masked\n"
    "field (\"***\", audit.mask), which cannot be replayed faithfully.\n"
    "Exit: 0 no verdict became more severe, 1 some did, 64 usage, 66 the log\n"
    "cannot be read, 73 --out cannot be written, 78 a ruleset (or --reviews)\n"
    "does not load, 70 out of memory.\n";

/* What became of one record; the order of the skip reasons is the
 * report's. */
/* clang-format off */
#define REPLAY_FATES(X)                                                          \
    X(REPLAYED, "replayed")                                                      \
    X(BAD_LINE, "not JSON")                                                      \
    X(ERROR, "an error reply (a refused or unreadable request)")                \
    X(ADMIN, "an admin op")                                                      \
    X(OTHER, "no screening result")                                              \
    X(MASKED, "masked fields (audit.mask): cannot be replayed faithfully")      \
    X(BEFORE, "judged before digest D (--since-digest)")                        \
    X(CURRENT, "already judged under the new ruleset (--since-digest)")         \
    X(REFUSED, "refused by the new ruleset (an error reply)")                   \
    X(REFUSED_OLD, "refused by the old ruleset (--against)")                    \
    X(NOMEM, "out of memory")
/* clang-format on */

typedef enum fate {
#define REPLAY_FATE_ENUM(name, text) FATE_##name,
    REPLAY_FATES(REPLAY_FATE_ENUM)
#undef REPLAY_FATE_ENUM
        FATE__COUNT
} fate_t;

static const char *const fate_text[] = {
#define REPLAY_FATE_TEXT(name, text) text,
    REPLAY_FATES(REPLAY_FATE_TEXT)
#undef REPLAY_FATE_TEXT
};

/* The verdicts, least severe first; the table's rows and columns. A
 * verdict a ruleset names otherwise ranks as unknown and is never
 * "more severe". */
static const char *const verdicts[] = {"clear", "review", "prohibited"};
#define N_VERDICTS 3
#define V_UNKNOWN N_VERDICTS /* the table's last row and column */

/* One record's outcome, filled by a thread, read by the main thread;
 * strings live in the thread's arena until the next chunk. */
typedef struct rec {
    const char *line;     /* the log line (the chunk's) */
    size_t len;           /* its length */
    bool before;          /* --since-digest: before D's first record */
    bool reviewed;        /* the record lists review decisions */
    fate_t fate;          /* what became of it */
    int old_v, new_v;     /* verdict ranks (V_UNKNOWN if unknown) */
    const char *old_name; /* old verdict as written */
    const char *new_name; /* new verdict as written */
    const char **old_r;   /* old fired rules */
    size_t n_old;
    const char **new_r; /* new fired rules */
    size_t n_new;
    const char *id;      /* the record's id as JSON, or NULL */
    const char *request; /* the request screened (JSON), when rules or verdict changed */
    const char *name;    /* partner.name, when the verdict became more severe */
    const char *country; /* partner.country, or NULL */
    const char *why;     /* FATE_REFUSED*: the error message */
} rec_t;

/* What every thread reads (immutable while threads run). */
typedef struct job {
    const vet_engine_t *neu; /* the new ruleset */
    const vet_engine_t *old; /* --against, or NULL */
    const char *new_digest;  /* neu's digest */
    const char *since;       /* --since-digest, or NULL */
    rec_t *recs;             /* the chunk being judged */
} job_t;

/* One buffer of lines read from the log. */
typedef struct chunk {
    rec_t *recs;  /* one per non-empty line */
    char **lines; /* getline buffers, reused */
    size_t *caps; /* their sizes */
    size_t n;     /* records in it */
} chunk_t;

/* One thread's slice and scratch. */
typedef struct slot {
    const job_t *job;    /* borrowed */
    size_t from, to;     /* its records [from, to) */
    vet_worker_t *w_new; /* scratch for the new ruleset (coverage counts) */
    vet_worker_t *w_old; /* for --against */
    arena_t *arena[2];   /* the slice's strings, one per chunk buffer */
    arena_t *a;          /* the one of the chunk being judged */
    pthread_t th;        /* the thread */
} slot_t;

static int
rank(const char *v)
{
    for (int i = 0; v != NULL && i < N_VERDICTS; i++)
        if (strcmp(v, verdicts[i]) == 0)
            return i;
    return V_UNKNOWN;
}

/* True if some string under j is "***" (a masked field). */
static bool
masked(const cJSON *j)
{
    if (cJSON_IsString(j))
        return strcmp(j->valuestring, "***") == 0;
    for (const cJSON *c = j->child; c != NULL; c = c->next)
        if (masked(c))
            return true;
    return false;
}

/* The ids of the rules in array j (strings, or objects with "id") into
 * *out in a. Returns 0, or -1 on OOM. */
static int
rule_ids(arena_t *a, const cJSON *j, const char ***out, size_t *n)
{
    *n = 0;
    *out = arena_alloc(a, REPLAY_MAX_RULES * sizeof **out);
    if (*out == NULL)
        return -1;
    const cJSON *r;
    cJSON_ArrayForEach(r, j)
    {
        const cJSON *s = cJSON_IsObject(r) ? cJSON_GetObjectItemCaseSensitive(r, "id") : r;
        if (!cJSON_IsString(s) || *n == REPLAY_MAX_RULES)
            continue;
        if (((*out)[(*n)++] = arena_strdup(a, s->valuestring)) == NULL)
            return -1;
    }
    return 0;
}

/* A string member of j copied into a, or NULL when absent. */
static const char *
member(arena_t *a, const cJSON *j, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(s) ? arena_strdup(a, s->valuestring) : NULL;
}

/* Screens json with e on w: the verdict and the fired rules into *v and
 * the rules, in a. Returns 0, 1 for an error reply (*why its message),
 * -1 on OOM. */
static int
judge(const vet_engine_t *e, vet_worker_t *w, arena_t *a, const char *json, const char **v,
      const char ***rules, size_t *n, const char **why)
{
    const char *reply;
    size_t len;
    int rc = vet_engine_screen(e, w, json, strlen(json), &reply, &len);
    if (rc < 0)
        return -1;
    cJSON *r = cJSON_ParseWithLength(reply, len);
    if (r == NULL)
        return -1;
    if (rc == 1) {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
        *why = member(a, err, "message");
        if (*why == NULL)
            *why = "error";
        cJSON_Delete(r);
        return 1;
    }
    *v = member(a, r, "verdict");
    rc = *v == NULL || rule_ids(a, cJSON_GetObjectItemCaseSensitive(r, "rules"), rules, n) != 0 ? -1
                                                                                                : 0;
    cJSON_Delete(r);
    return rc;
}

/* True if the sets of rules differ (each list holds a rule once). */
static bool
rules_differ(const rec_t *r)
{
    if (r->n_old != r->n_new)
        return true;
    for (size_t i = 0; i < r->n_old; i++) {
        bool in = false;
        for (size_t k = 0; k < r->n_new && !in; k++)
            in = strcmp(r->old_r[i], r->new_r[k]) == 0;
        if (!in)
            return true;
    }
    return false;
}

/* Judges one record (see rec_t): its fate and what the report needs. */
static void
replay_one(slot_t *s, rec_t *r)
{
    const job_t *job = s->job;
    arena_t *a = s->a;
    cJSON *j = cJSON_ParseWithLength(r->line, r->len);
    if (j == NULL) {
        r->fate = FATE_BAD_LINE;
        return;
    }
    cJSON *req = cJSON_GetObjectItemCaseSensitive(j, "request");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
    const char *digest = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "ruleset"));
    char *json = NULL;
    if (cJSON_GetObjectItemCaseSensitive(j, "error") != NULL) {
        r->fate = FATE_ERROR;
    } else if (cJSON_IsString(op) && strcmp(op->valuestring, "screen") != 0) {
        r->fate = FATE_ADMIN;
    } else if (!cJSON_IsObject(req) ||
               !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "verdict"))) {
        r->fate = FATE_OTHER;
    } else if (masked(req)) {
        r->fate = FATE_MASKED;
    } else if (job->since != NULL && r->before) {
        r->fate = FATE_BEFORE;
    } else if (job->since != NULL && digest != NULL && strcmp(digest, job->new_digest) == 0) {
        r->fate = FATE_CURRENT;
    } else {
        r->fate = FATE_REPLAYED;
        const char *profile = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "profile"));
        if (profile != NULL && cJSON_GetObjectItemCaseSensitive(req, "profile") == NULL &&
            cJSON_AddStringToObject(req, "profile", profile) == NULL)
            r->fate = FATE_NOMEM;
        if (r->fate == FATE_REPLAYED && (json = cJSON_PrintUnformatted(req)) == NULL)
            r->fate = FATE_NOMEM;
    }
    if (r->fate != FATE_REPLAYED)
        goto out;
    r->reviewed = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "reviewed")) > 0;
    int rc = 0;
    if (job->old == NULL) {
        r->old_name = member(a, j, "verdict");
        if (r->old_name == NULL ||
            rule_ids(a, cJSON_GetObjectItemCaseSensitive(j, "rules"), &r->old_r, &r->n_old) != 0)
            rc = -1;
    } else {
        rc = judge(job->old, s->w_old, a, json, &r->old_name, &r->old_r, &r->n_old, &r->why);
        if (rc == 1)
            r->fate = FATE_REFUSED_OLD;
    }
    if (rc == 0) {
        rc = judge(job->neu, s->w_new, a, json, &r->new_name, &r->new_r, &r->n_new, &r->why);
        if (rc == 1)
            r->fate = FATE_REFUSED;
    }
    if (rc < 0) {
        r->fate = FATE_NOMEM;
        goto out;
    }
    if (rc == 0) {
        r->old_v = rank(r->old_name);
        r->new_v = rank(r->new_name);
    }
    bool changed = rc == 1 || strcmp(r->old_name, r->new_name) != 0 || rules_differ(r);
    if (changed) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        char *idj = id != NULL ? cJSON_PrintUnformatted(id) : NULL;
        r->id = idj != NULL ? arena_strdup(a, idj) : NULL;
        r->request = arena_strdup(a, json);
        free(idj);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(req, "partner");
        r->name = member(a, p, "name");
        r->country = member(a, p, "country");
        if (r->request == NULL)
            r->fate = FATE_NOMEM;
    }
out:
    free(json);
    cJSON_Delete(j);
}

static void *
replay_slice(void *arg)
{
    slot_t *s = arg;
    for (size_t i = s->from; i < s->to; i++)
        replay_one(s, &s->job->recs[i]);
    return NULL;
}

/* The report's sums, in log order. */
typedef struct tally {
    unsigned long long read;                                  /* records read */
    unsigned long long fate[FATE__COUNT];                     /* per fate */
    unsigned long long table[N_VERDICTS + 1][N_VERDICTS + 1]; /* old x new */
    unsigned long long changed;                               /* verdict changed */
    unsigned long long worse, better;                         /* more / less severe */
    unsigned long long rules_changed;                         /* same verdict, other rules */
    unsigned long long reviewed; /* replayed records a review decided */
    smap_t *rule_idx;            /* rule id -> index into rules */
    struct rule_count {
        const char *name;           /* rule id (arena) */
        unsigned long long newly;   /* records it fired on newly */
        unsigned long long stopped; /* records it stopped firing on */
    } * rules;                      /* first seen first */
    size_t n_rules, cap_rules;
    smap_t *partners;  /* "name\tcountry" normalised: seen */
    sbuf_t worse_list; /* one line per partner more severe */
    size_t n_partners; /* partners more severe */
    sbuf_t refused;    /* first refused requests */
    arena_t *a;        /* keys of the maps */
    FILE *out;         /* --out, or NULL */
    bool oom;
} tally_t;

/* Counts rule name into counts newly (or stopped). */
static void
count_rule(tally_t *t, const char *name, bool newly)
{
    int i = smap_get(t->rule_idx, name);
    if (i < 0) {
        char *key = arena_strdup(t->a, name);
        if (key == NULL ||
            vec_grow(&t->rules, &t->cap_rules, t->n_rules + 1, sizeof *t->rules, 16) != 0 ||
            smap_put(t->rule_idx, key, (int)t->n_rules, NULL) < 0) {
            t->oom = true;
            return;
        }
        i = (int)t->n_rules++;
        t->rules[i] = (struct rule_count){key, 0, 0};
    }
    if (newly)
        t->rules[i].newly++;
    else
        t->rules[i].stopped++;
}

static bool
has_rule(const char **rs, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rs[i], id) == 0)
            return true;
    return false;
}

/* Writes one --out line. */
static void
write_change(FILE *f, const rec_t *r)
{
    sbuf_t b = SBUF_INIT;
    sbuf_printf(&b, "{\"id\":%s,\"request\":%s,\"old\":{\"verdict\":", r->id ? r->id : "null",
                r->request);
    sbuf_json_cstr(&b, r->old_name != NULL ? r->old_name : "");
    sbuf_puts(&b, ",\"rules\":[");
    for (size_t i = 0; i < r->n_old; i++) {
        if (i > 0)
            sbuf_putc(&b, ',');
        sbuf_json_cstr(&b, r->old_r[i]);
    }
    sbuf_puts(&b, "]},\"new\":");
    if (r->fate == FATE_REFUSED) {
        sbuf_puts(&b, "{\"error\":");
        sbuf_json_cstr(&b, r->why);
        sbuf_puts(&b, "}}\n");
    } else {
        sbuf_puts(&b, "{\"verdict\":");
        sbuf_json_cstr(&b, r->new_name);
        sbuf_puts(&b, ",\"rules\":[");
        for (size_t i = 0; i < r->n_new; i++) {
            if (i > 0)
                sbuf_putc(&b, ',');
            sbuf_json_cstr(&b, r->new_r[i]);
        }
        sbuf_puts(&b, "]}}\n");
    }
    if (!b.oom)
        fwrite(b.data, 1, b.len, f);
    sbuf_free(&b);
}

/* Notes a partner whose verdict became more severe, once per
 * normalised name and country. */
static void
note_worse(tally_t *t, const rec_t *r)
{
    const char *name = r->name != NULL ? r->name : "";
    const char *norm;
    size_t nlen;
    if (norm_text(t->a, name, strlen(name), &norm, &nlen, NULL, 0) != 0)
        norm = name;
    sbuf_t key = SBUF_INIT;
    sbuf_printf(&key, "%s\t%s", norm, r->country != NULL ? r->country : "");
    char *k = key.oom ? NULL : arena_strdup(t->a, key.data);
    sbuf_free(&key);
    int put = k != NULL ? smap_put(t->partners, k, 1, NULL) : -1;
    if (put < 0) {
        t->oom = true;
        return;
    }
    if (put == 1)
        return;
    t->n_partners++;
    sbuf_printf(&t->worse_list, "  %s -> %s  %s%s%s%s  id %s\n", r->old_name, r->new_name, name,
                r->country != NULL ? " (" : "", r->country != NULL ? r->country : "",
                r->country != NULL ? ")" : "", r->id != NULL ? r->id : "null");
}

/* Adds one judged record to the tally (main thread, log order). */
static void
tally_one(tally_t *t, const rec_t *r)
{
    t->read++;
    t->fate[r->fate]++;
    if (r->fate == FATE_REFUSED || r->fate == FATE_REFUSED_OLD) {
        if (t->fate[FATE_REFUSED] + t->fate[FATE_REFUSED_OLD] <= REPLAY_SHOWN)
            sbuf_printf(&t->refused, "  id %s: %s\n", r->id != NULL ? r->id : "null", r->why);
        if (r->fate == FATE_REFUSED && t->out != NULL)
            write_change(t->out, r);
        return;
    }
    if (r->fate != FATE_REPLAYED)
        return;
    t->reviewed += r->reviewed;
    t->table[r->old_v][r->new_v]++;
    bool vchanged = strcmp(r->old_name, r->new_name) != 0;
    if (vchanged) {
        t->changed++;
        if (r->old_v < N_VERDICTS && r->new_v < N_VERDICTS && r->new_v > r->old_v) {
            t->worse++;
            note_worse(t, r);
        } else if (r->old_v < N_VERDICTS && r->new_v < N_VERDICTS && r->new_v < r->old_v) {
            t->better++;
        }
    }
    if (r->request == NULL)
        return; /* nothing changed */
    if (!vchanged)
        t->rules_changed++;
    for (size_t i = 0; i < r->n_new; i++)
        if (!has_rule(r->old_r, r->n_old, r->new_r[i]))
            count_rule(t, r->new_r[i], true);
    for (size_t i = 0; i < r->n_old; i++)
        if (!has_rule(r->new_r, r->n_new, r->old_r[i]))
            count_rule(t, r->old_r[i], false);
    if (t->out != NULL)
        write_change(t->out, r);
}

static void
print_report(const tally_t *t, const vet_engine_t *neu, const vet_engine_t *old, bool reviews,
             double secs)
{
    unsigned long long skipped = t->read - t->fate[FATE_REPLAYED];
    printf("records read      %llu\n", t->read);
    printf("replayed          %llu  under %s (%.16s)", t->fate[FATE_REPLAYED],
           vet_engine_version(neu), vet_engine_digest(neu));
    if (old != NULL)
        printf(" against %s (%.16s)", vet_engine_version(old), vet_engine_digest(old));
    printf("\n");
    printf("skipped           %llu\n", skipped);
    for (int f = 1; f < FATE__COUNT; f++)
        if (t->fate[f] > 0)
            printf("  %-8llu %s\n", t->fate[f], fate_text[f]);
    if (t->refused.len > 0)
        printf("refused (first %d):\n%s", REPLAY_SHOWN, t->refused.data);
    if (t->reviewed > 0)
        printf("reviewed          %llu  (review decisions in the log: %s)\n", t->reviewed,
               reviews ? "the register of --reviews applied"
                       : "no --reviews, so judged as if nobody had reviewed them");
    printf("verdicts changed  %llu  (%llu more severe, %llu less severe)\n", t->changed, t->worse,
           t->better);
    printf("rules changed     %llu  (same verdict, other rules)\n", t->rules_changed);
    /* The table: rows old, columns new; the unknown row and column only
     * when something is there. */
    bool unk = false;
    for (int i = 0; i <= N_VERDICTS; i++)
        unk = unk || t->table[i][V_UNKNOWN] > 0 || t->table[V_UNKNOWN][i] > 0;
    int nv = unk ? N_VERDICTS + 1 : N_VERDICTS;
    printf("\n%-14s", old ? "old \\ new" : "logged \\ new");
    for (int c = 0; c < nv; c++)
        printf(" %12s", c < N_VERDICTS ? verdicts[c] : "other");
    printf("\n");
    for (int r = 0; r < nv; r++) {
        printf("%-14s", r < N_VERDICTS ? verdicts[r] : "other");
        for (int c = 0; c < nv; c++)
            printf(" %12llu", t->table[r][c]);
        printf("\n");
    }
    if (t->n_rules > 0) {
        printf("\nrules responsible   newly fired  stopped firing\n");
        for (size_t i = 0; i < t->n_rules; i++)
            printf("  %-28s %8llu %15llu\n", t->rules[i].name, t->rules[i].newly,
                   t->rules[i].stopped);
    }
    if (t->n_partners > 0)
        printf("\npartners now more severe: %zu\n%s", t->n_partners, t->worse_list.data);
    if (secs > 0)
        printf("\nreplayed %llu requests in %.1f s: %.0f requests/s\n", t->fate[FATE_REPLAYED],
               secs, (double)t->fate[FATE_REPLAYED] / secs);
}

static vet_engine_t *
load(const char *dir)
{
    char *errs = NULL;
    vet_engine_t *e = vet_engine_load(dir, &errs);
    if (e == NULL)
        fprintf(stderr, "vet-replay: %s: the ruleset does not load:\n%s", dir,
                errs != NULL ? errs : "out of memory\n");
    free(errs);
    return e;
}

/* Applies the review register at path to e; 0, or -1 with its errors
 * printed. */
static int
load_reviews(vet_engine_t *e, const char *path)
{
    char *errs = NULL;
    int rc = vet_engine_load_reviews(e, path, &errs);
    if (rc != 0)
        fprintf(stderr, "vet-replay: %s: the review register does not read:\n%s", path,
                errs != NULL ? errs : "out of memory\n");
    free(errs);
    return rc;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* True if line is the record judged under digest (a prefix of) d. */
static bool
judged_under(const char *line, const char *d)
{
    const char *k = "\"ruleset\":\"";
    size_t kl = strlen(k), dl = strlen(d);
    for (const char *p = strstr(line, k); p != NULL; p = strstr(p + 1, k))
        if (strncmp(p + kl, d, dl) == 0)
            return true;
    return false;
}

/* Reads up to REPLAY_CHUNK non-empty lines of in into c (c->n of
 * them), marking those before the first record judged under since
 * (--since-digest: *seen says whether it was met); sets *eof at the end
 * of the input (or a read error: ferror tells). */
static void
read_chunk(FILE *in, chunk_t *c, const char *since, bool *seen, bool *eof)
{
    c->n = 0;
    while (c->n < REPLAY_CHUNK) {
        size_t n = c->n;
        ssize_t len = getline(&c->lines[n], &c->caps[n], in);
        if (len < 0) {
            *eof = true;
            return;
        }
        while (len > 0 && (c->lines[n][len - 1] == '\n' || c->lines[n][len - 1] == '\r'))
            c->lines[n][--len] = '\0';
        if (len == 0)
            continue;
        c->recs[n] = (rec_t){.line = c->lines[n], .len = (size_t)len};
        if (since != NULL && !*seen)
            *seen = judged_under(c->lines[n], since);
        c->recs[n].before = since != NULL && !*seen;
        c->n++;
    }
}

/* Cuts chunk c (buffer index buf) into one slice per slot and starts a
 * thread on each; a slice whose thread cannot start is judged here. */
static void
start_chunk(slot_t *slots, long nth, const chunk_t *c, int buf)
{
    size_t n = c->n, per = (n + (size_t)nth - 1) / (size_t)nth;
    for (long i = 0; i < nth; i++) {
        slot_t *s = &slots[i];
        s->a = s->arena[buf];
        arena_reset(s->a);
        s->from = (size_t)i * per < n ? (size_t)i * per : n;
        s->to = s->from + per < n ? s->from + per : n;
        if (s->from == s->to)
            continue;
        if (pthread_create(&s->th, NULL, replay_slice, s) != 0) {
            replay_slice(s); /* no thread: do it here */
            s->from = s->to;
        }
    }
}

/* Waits for the threads start_chunk started. */
static void
join_chunk(slot_t *slots, long nth)
{
    for (long i = 0; i < nth; i++)
        if (slots[i].from != slots[i].to)
            pthread_join(slots[i].th, NULL);
}

int
main(int argc, char **argv)
{
    const char *audit = NULL, *rules = NULL, *against = NULL, *since = NULL, *outp = NULL,
               *reviews = NULL;
    bool coverage = false;
    long nth = sysconf(_SC_NPROCESSORS_ONLN);
    enum { O_AGAINST = 256, O_SINCE, O_OUT, O_COVERAGE, O_REVIEWS };
    static const struct option opts[] = {
        {"audit", required_argument, NULL, 'a'},
        {"rules", required_argument, NULL, 'r'},
        {"against", required_argument, NULL, O_AGAINST},
        {"since-digest", required_argument, NULL, O_SINCE},
        {"out", required_argument, NULL, O_OUT},
        {"reviews", required_argument, NULL, O_REVIEWS},
        {"coverage", no_argument, NULL, O_COVERAGE},
        {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "a:r:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': audit = optarg; break;
        case 'r': rules = optarg; break;
        case O_AGAINST: against = optarg; break;
        case O_SINCE: since = optarg; break;
        case O_OUT: outp = optarg; break;
        case O_REVIEWS: reviews = optarg; break;
        case O_COVERAGE: coverage = true; break;
        case 'j': nth = strtol(optarg, NULL, 10); break;
        case 'h': fputs(usage_text, stdout); return EX_OK;
        default: fputs(usage_text, stderr); return EX_USAGE;
        }
    }
    if (audit == NULL || rules == NULL || optind != argc || nth < 1 || nth > REPLAY_MAX_THREADS) {
        fputs(usage_text, stderr);
        return EX_USAGE;
    }
    if (since != NULL &&
        (strlen(since) < 8 || strspn(since, "0123456789abcdef") != strlen(since))) {
        fprintf(stderr,
                "vet-replay: --since-digest: \"%s\" is not a ruleset digest (8 to 64 "
                "lower-case hex digits)\n",
                since);
        return EX_USAGE;
    }
    FILE *in = strcmp(audit, "-") == 0 ? stdin : fopen(audit, "r");
    if (in == NULL) {
        fprintf(stderr, "vet-replay: %s: %s\n", audit, strerror(errno));
        return EX_NOINPUT;
    }
    vet_engine_t *neu = load(rules), *old = against != NULL ? load(against) : NULL;
    int rc = EX_OK;
    if (neu == NULL || (against != NULL && old == NULL) ||
        (reviews != NULL &&
         (load_reviews(neu, reviews) != 0 || (old != NULL && load_reviews(old, reviews) != 0)))) {
        rc = EX_CONFIG;
        goto done_engines;
    }
    tally_t t = {.a = arena_new(0), .worse_list = SBUF_INIT, .refused = SBUF_INIT};
    t.rule_idx = smap_new();
    t.partners = smap_new();
    chunk_t ch[2] = {{0}};
    bool ok = true;
    for (int k = 0; k < 2; k++)
        ok = ok && (ch[k].recs = calloc(REPLAY_CHUNK, sizeof *ch[k].recs)) != NULL &&
             (ch[k].lines = calloc(REPLAY_CHUNK, sizeof *ch[k].lines)) != NULL &&
             (ch[k].caps = calloc(REPLAY_CHUNK, sizeof *ch[k].caps)) != NULL;
    slot_t slots[REPLAY_MAX_THREADS] = {{0}};
    vet_worker_t *covered[REPLAY_MAX_THREADS] = {0};
    job_t job = {neu, old, vet_engine_digest(neu), since, NULL};
    ok = ok && t.a != NULL && t.rule_idx != NULL && t.partners != NULL;
    for (long i = 0; ok && i < nth; i++) {
        slot_t *s = &slots[i];
        s->job = &job;
        ok = (s->w_new = vet_worker_new()) != NULL && (s->arena[0] = arena_new(0)) != NULL &&
             (s->arena[1] = arena_new(0)) != NULL &&
             (old == NULL || (s->w_old = vet_worker_new()) != NULL) &&
             (!coverage || vet_worker_cover(s->w_new, neu) == 0);
        covered[i] = s->w_new;
    }
    if (ok && outp != NULL && (t.out = fopen(outp, "w")) == NULL) {
        fprintf(stderr, "vet-replay: %s: %s\n", outp, strerror(errno));
        rc = EX_CANTCREAT;
        goto done;
    }
    if (!ok) {
        rc = EX_SOFTWARE;
        goto done;
    }
    double t0 = now_s();
    bool seen_since = false, eof = false;
    int cur = 0, prev = -1;
    read_chunk(in, &ch[cur], since, &seen_since, &eof);
    while (ch[cur].n > 0) {
        job.recs = ch[cur].recs;
        start_chunk(slots, nth, &ch[cur], cur);
        if (prev >= 0)
            for (size_t i = 0; i < ch[prev].n; i++)
                tally_one(&t, &ch[prev].recs[i]);
        int next = 1 - cur;
        ch[next].n = 0;
        if (!eof)
            read_chunk(in, &ch[next], since, &seen_since, &eof);
        join_chunk(slots, nth);
        prev = cur;
        cur = next;
    }
    if (prev >= 0)
        for (size_t i = 0; i < ch[prev].n; i++)
            tally_one(&t, &ch[prev].recs[i]);
    double secs = now_s() - t0;
    if (ferror(in)) {
        fprintf(stderr, "vet-replay: %s: %s\n", audit, strerror(errno));
        rc = EX_NOINPUT;
        goto done;
    }
    if (t.oom || t.worse_list.oom || t.refused.oom || t.fate[FATE_NOMEM] > 0) {
        fprintf(stderr, "vet-replay: out of memory\n");
        rc = EX_SOFTWARE;
        goto done;
    }
    if (since != NULL && !seen_since)
        fprintf(stderr, "vet-replay: no record was judged under digest %s: nothing replayed\n",
                since);
    print_report(&t, neu, old, reviews != NULL, secs);
    if (coverage) {
        char *rep = vet_engine_coverage(neu, covered, (size_t)nth);
        if (rep == NULL) {
            fprintf(stderr, "vet-replay: out of memory\n");
            rc = EX_SOFTWARE;
            goto done;
        }
        printf("\n%s", rep);
        free(rep);
    }
    rc = t.worse > 0 ? REPLAY_EXIT_WORSE : REPLAY_EXIT_SAME;
done:
    if (t.out != NULL && fclose(t.out) != 0 && rc < EX_USAGE) {
        fprintf(stderr, "vet-replay: %s: %s\n", outp, strerror(errno));
        rc = EX_CANTCREAT;
    }
    for (long i = 0; i < nth; i++) {
        vet_worker_destroy(&slots[i].w_new);
        vet_worker_destroy(&slots[i].w_old);
        arena_destroy(&slots[i].arena[0]);
        arena_destroy(&slots[i].arena[1]);
    }
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; ch[k].lines != NULL && i < REPLAY_CHUNK; i++)
            free(ch[k].lines[i]);
        free(ch[k].lines);
        free(ch[k].caps);
        free(ch[k].recs);
    }
    free(t.rules);
    smap_destroy(&t.rule_idx);
    smap_destroy(&t.partners);
    sbuf_free(&t.worse_list);
    sbuf_free(&t.refused);
    arena_destroy(&t.a);
done_engines:
    vet_engine_destroy(&neu);
    vet_engine_destroy(&old);
    if (in != stdin)
        fclose(in);
    return rc;
}
