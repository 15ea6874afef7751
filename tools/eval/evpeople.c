/* SPDX-License-Identifier: Apache-2.0 */
/* evpeople.c -- vet-eval's people set: reading tools/eval/people.tsv, screening each person,
 * counting person recall and false positives (evpeople.h). */
#include "evpeople.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "import.h"
#include "sbuf.h"
#include "vec.h"

#define EVP_NAME_(e, n, d) n,
static const char *const class_names[] = {EVPEOPLE_CLASSES(EVP_NAME_)};
#undef EVP_NAME_
#define EVP_ABOUT_(e, n, d) d,
static const char *const class_about[] = {EVPEOPLE_CLASSES(EVP_ABOUT_)};
#undef EVP_ABOUT_

static const char header[] = "class\tquery\tbirth_date\tnationality\texpected\tnote";

#define EVP_MAX_EXPECTED 8 /* acceptable ids of one row */
#define EVP_MAX_SEEN 16    /* matches and ruled out read from one reply */

/* One person of the set. */
typedef struct evp_row {
    evpeople_class_t cls;             /* its class */
    char *query;                      /* the name as written (owned) */
    char *dob;                        /* partner.birth_date, or NULL (owned) */
    char *nat;                        /* partner.nationality, or NULL (owned) */
    char *expected[EVP_MAX_EXPECTED]; /* acceptable ids (owned); none: innocent */
    size_t n_expected;                /* how many */
    char *note;                       /* where the form comes from (owned) */
    unsigned long line;               /* its line in the file */
} evp_row_t;

/* Counts of one class. */
typedef struct evp_bucket {
    long queries;   /* rows screened */
    long hits;      /* an expected id among the matches */
    long exact;     /* ... by an identifier or exact (a date of birth that agrees) */
    long fuzzy;     /* ... by a fuzzy match */
    long wrong;     /* matches, none of them expected */
    long ruled;     /* namesake: the expected id ruled out */
    long matched;   /* any match at all (namesake, innocent: a false positive) */
    long not_clear; /* verdict other than clear */
    long absent;    /* no expected id in the ruleset */
    char **ex;      /* examples of what went wrong (owned) */
    size_t n_ex, cap_ex;
} evp_bucket_t;

/* Bucket EVP_N is every positive class together. */
struct evpeople {
    evp_row_t *rows;           /* in file order */
    size_t n, cap;             /* count, capacity */
    evp_bucket_t b[EVP_N + 1]; /* per class, then all positives */
};

const char *
evpeople_class_name(evpeople_class_t c)
{
    return (unsigned)c < EVP_N ? class_names[c] : "?";
}

const char *
evpeople_class_about(evpeople_class_t c)
{
    return (unsigned)c < EVP_N ? class_about[c] : "?";
}

static bool
positive(evpeople_class_t c)
{
    return c < EVP_NAMESAKE;
}

/* ---- reading ------------------------------------------------------------- */

static void __attribute__((format(printf, 4, 5)))
fault(sbuf_t *msg, const char *path, unsigned long line, const char *fmt, ...)
{
    va_list ap;
    sbuf_printf(msg, "%s:%lu: ", path, line);
    va_start(ap, fmt);
    sbuf_vprintf(msg, fmt, ap);
    va_end(ap);
    sbuf_putc(msg, '\n');
}

static bool
good_date(const char *s)
{
    size_t n = strlen(s);
    if (n != 4 && n != 7 && n != 10)
        return false;
    for (size_t i = 0; i < n; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool
good_query(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ' || !sbuf_utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static char *
dup_or_null(const char *s)
{
    return s[0] != '\0' ? strdup(s) : NULL;
}

static void
row_free(evp_row_t *r)
{
    free(r->query);
    free(r->dob);
    free(r->nat);
    for (size_t i = 0; i < r->n_expected; i++)
        free(r->expected[i]);
    free(r->note);
}

/* Checks and keeps one record; faults go to msg. Returns 0, or -1 on OOM. */
static int
add_row(evpeople_t *s, const csv_rec_t *r, const char *path, sbuf_t *msg)
{
    unsigned long ln = r->line;
    if (r->n_fields != 6) {
        fault(msg, path, ln, "expected 6 tab-separated fields, not %zu", r->n_fields);
        return 0;
    }
    int cls = -1;
    for (int c = 0; c < EVP_N; c++)
        if (strcmp(r->fields[0], class_names[c]) == 0)
            cls = c;
    const char *q = r->fields[1], *dob = r->fields[2], *nat = r->fields[3];
    const char *exp = r->fields[4];
    size_t before = msg->len;
    if (cls < 0)
        fault(msg, path, ln, "unknown class \"%s\"", r->fields[0]);
    if (!good_query(q))
        fault(msg, path, ln,
              "the query must be UTF-8 without control characters or spaces at "
              "either end");
    if (dob[0] != '\0' && !good_date(dob))
        fault(msg, path, ln, "birth_date \"%s\" is not YYYY-MM-DD, YYYY-MM or YYYY", dob);
    if ((cls == EVP_CONFIRMED || cls == EVP_NAMESAKE) && dob[0] == '\0')
        fault(msg, path, ln, "a %s row needs a date of birth", class_names[cls]);
    if (nat[0] != '\0' &&
        (strlen(nat) != 2 || nat[0] < 'A' || nat[0] > 'Z' || nat[1] < 'A' || nat[1] > 'Z'))
        fault(msg, path, ln, "nationality \"%s\" is not two capital letters", nat);
    if (cls == EVP_INNOCENT ? strcmp(exp, "-") != 0 : exp[0] == '\0' || strcmp(exp, "-") == 0)
        fault(msg, path, ln, "%s",
              cls == EVP_INNOCENT ? "an innocent row expects \"-\""
                                  : "the row needs the registry id it names");
    if (r->fields[5][0] == '\0')
        fault(msg, path, ln, "the note is empty");
    if (msg->len != before || msg->oom)
        return msg->oom ? -1 : 0;
    if (vec_grow(&s->rows, &s->cap, s->n + 1, sizeof *s->rows, 64) != 0)
        return -1;
    evp_row_t *row = &s->rows[s->n];
    memset(row, 0, sizeof *row);
    row->cls = (evpeople_class_t)cls;
    row->line = ln;
    row->query = strdup(q);
    row->dob = dup_or_null(dob);
    row->nat = dup_or_null(nat);
    row->note = strdup(r->fields[5]);
    bool oom = row->query == NULL || row->note == NULL || (dob[0] && row->dob == NULL) ||
               (nat[0] && row->nat == NULL);
    if (cls != EVP_INNOCENT) {
        for (const char *p = exp; !oom;) {
            const char *bar = strchr(p, '|');
            size_t l = bar != NULL ? (size_t)(bar - p) : strlen(p);
            if (l == 0 || row->n_expected == EVP_MAX_EXPECTED) {
                fault(msg, path, ln, "bad expected ids \"%s\"", exp);
                row_free(row);
                return 0;
            }
            if ((row->expected[row->n_expected] = strndup(p, l)) == NULL)
                oom = true;
            else
                row->n_expected++;
            if (bar == NULL)
                break;
            p = bar + 1;
        }
    }
    if (oom) {
        row_free(row);
        return -1;
    }
    s->n++;
    return 0;
}

evpeople_t *
evpeople_load(const char *path, char *err, size_t cap)
{
    size_t len;
    char *data = imp_read_file(path, &len);
    if (data == NULL) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    evpeople_t *s = calloc(1, sizeof *s);
    csv_t *c = s != NULL ? csv_new(data, len, '\t', 0, CSV_SKIP_BLANK, path) : NULL;
    sbuf_t msg = SBUF_INIT;
    bool seen_header = false, oom = c == NULL;
    csv_rec_t r;
    int rc;
    while (!oom && (rc = csv_next(c, &r)) == 1) {
        if (r.fields[0][0] == '#')
            continue;
        if (!seen_header) {
            sbuf_t h = SBUF_INIT;
            for (size_t i = 0; i < r.n_fields; i++)
                sbuf_printf(&h, "%s%s", i ? "\t" : "", r.fields[i]);
            if (h.oom)
                oom = true;
            else if (strcmp(h.data, header) != 0)
                fault(&msg, path, r.line, "the header must be \"%s\" (tab-separated)", header);
            sbuf_free(&h);
            seen_header = true;
            continue;
        }
        if (add_row(s, &r, path, &msg) != 0)
            oom = true;
    }
    if (!oom && rc < 0)
        oom = true;
    if (!oom && !seen_header)
        fault(&msg, path, 1, "no header");
    csv_destroy(&c);
    free(data);
    if (oom || msg.oom || msg.len > 0) {
        snprintf(err, cap, "%s", oom || msg.oom ? "out of memory" : msg.data);
        sbuf_free(&msg);
        evpeople_destroy(&s);
        return NULL;
    }
    sbuf_free(&msg);
    return s;
}

void
evpeople_destroy(evpeople_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    evpeople_t *s = *sp;
    for (size_t i = 0; i < s->n; i++)
        row_free(&s->rows[i]);
    free(s->rows);
    for (int b = 0; b <= EVP_N; b++) {
        for (size_t i = 0; i < s->b[b].n_ex; i++)
            free(s->b[b].ex[i]);
        free(s->b[b].ex);
    }
    free(s);
    *sp = NULL;
}

size_t
evpeople_count(const evpeople_t *s, evpeople_class_t c)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->rows[i].cls == c;
    return n;
}

size_t
evpeople_unknown(const evpeople_t *s, evpeople_known_fn known, void *ctx, char *err, size_t cap)
{
    size_t n = 0, k = 0;
    if (cap > 0)
        err[0] = '\0';
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = 0; j < s->rows[i].n_expected; j++) {
            if (known(ctx, s->rows[i].expected[j]))
                continue;
            n++;
            if (k < cap) {
                int w = snprintf(err + k, cap - k, "line %lu: %s\n", s->rows[i].line,
                                 s->rows[i].expected[j]);
                k += w > 0 ? (size_t)w : 0;
            }
        }
    return n;
}

/* ---- screening ------------------------------------------------------------ */

/* One match or ruled-out entry of a reply (borrowed from its JSON). */
typedef struct seen {
    const char *entity;
    const char *method;
    const cJSON *merged; /* ids merged into it, or NULL */
} seen_t;

/* Whether entry x is one of row r's expected ids (its own id, or one
 * merged into it). */
static bool
is_expected(const evp_row_t *r, const seen_t *x)
{
    for (size_t i = 0; i < r->n_expected; i++) {
        if (strcmp(x->entity, r->expected[i]) == 0)
            return true;
        const cJSON *v;
        cJSON_ArrayForEach(v, x->merged)
        {
            if (cJSON_IsString(v) && strcmp(v->valuestring, r->expected[i]) == 0)
                return true;
        }
    }
    return false;
}

/* Reads the entries of array a into out (at most EVP_MAX_SEEN). */
static size_t
read_seen(const cJSON *a, seen_t *out)
{
    size_t n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, a)
    {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, "entity");
        const cJSON *me = cJSON_GetObjectItemCaseSensitive(m, "method");
        if (n == EVP_MAX_SEEN || !cJSON_IsString(e))
            continue;
        out[n++] = (seen_t){e->valuestring, cJSON_IsString(me) ? me->valuestring : "",
                            cJSON_GetObjectItemCaseSensitive(m, "merged")};
    }
    return n;
}

/* The JSON request for row r. Caller frees; NULL on OOM. */
static char *
request_of(const evp_row_t *r)
{
    cJSON *req = cJSON_CreateObject(), *partner = cJSON_CreateObject();
    const char *tech[] = {"ai"};
    if (req == NULL || partner == NULL || !cJSON_AddItemToObject(req, "partner", partner)) {
        cJSON_Delete(req);
        cJSON_Delete(partner);
        return NULL;
    }
    cJSON_AddStringToObject(partner, "name", r->query);
    cJSON_AddStringToObject(partner, "type", "individual");
    if (r->dob != NULL)
        cJSON_AddStringToObject(partner, "birth_date", r->dob);
    if (r->nat != NULL)
        cJSON_AddStringToObject(partner, "nationality", r->nat);
    cJSON_AddItemToObject(req, "technologies", cJSON_CreateStringArray(tech, 1));
    cJSON_AddStringToObject(req, "activity", "affiliation");
    char *js = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    return js;
}

/* Adds an example line to bucket b; a failed allocation loses it. */
static void __attribute__((format(printf, 2, 3))) example(evp_bucket_t *b, const char *fmt, ...)
{
    if (vec_grow(&b->ex, &b->cap_ex, b->n_ex + 1, sizeof *b->ex, 16) != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *t = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (t == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(t, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->ex[b->n_ex++] = t;
}

/* "id method; ..." of entries x[0..n), into out. */
static void
seen_line(const seen_t *x, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    if (n == 0)
        snprintf(out, cap, "none");
    for (size_t i = 0; i < n && k < cap; i++) {
        int w = snprintf(out + k, cap - k, "%s%s %s", i ? "; " : "", x[i].entity, x[i].method);
        k += w > 0 ? (size_t)w : 0;
    }
}

/* Counts the reply to row r into its class's bucket (and a positive
 * class's into the total). */
static void
count(evpeople_t *s, const evp_row_t *r, const cJSON *reply, evpeople_known_fn known, void *ctx)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, "verdict");
    const char *verdict = cJSON_IsString(v) ? v->valuestring : "?";
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(reply, "partner");
    seen_t m[EVP_MAX_SEEN], ro[EVP_MAX_SEEN];
    size_t nm = read_seen(cJSON_GetObjectItemCaseSensitive(p, "matches"), m);
    size_t nr = read_seen(cJSON_GetObjectItemCaseSensitive(p, "ruled_out"), ro);
    const seen_t *hit = NULL;
    for (size_t i = 0; i < nm && hit == NULL; i++)
        if (is_expected(r, &m[i]))
            hit = &m[i];
    bool ruled = false;
    for (size_t i = 0; i < nr && !ruled; i++)
        ruled = is_expected(r, &ro[i]);
    bool absent = r->n_expected > 0;
    for (size_t i = 0; i < r->n_expected && absent; i++)
        absent = known != NULL && !known(ctx, r->expected[i]);
    bool exact =
        hit != NULL && (strcmp(hit->method, "exact") == 0 || strcmp(hit->method, "id") == 0);
    evp_bucket_t *bs[2] = {&s->b[r->cls], positive(r->cls) ? &s->b[EVP_N] : NULL};
    for (int k = 0; k < 2 && bs[k] != NULL; k++) {
        evp_bucket_t *b = bs[k];
        b->queries++;
        b->hits += hit != NULL;
        b->exact += exact;
        b->fuzzy += hit != NULL && !exact;
        b->wrong += hit == NULL && nm > 0;
        b->ruled += ruled;
        b->matched += nm > 0;
        b->not_clear += strcmp(verdict, "clear") != 0;
        b->absent += absent;
    }
    bool bad = positive(r->cls) ? hit == NULL || (r->cls == EVP_CONFIRMED && !exact)
                                : nm > 0 || (r->cls == EVP_NAMESAKE && !ruled);
    if (!bad)
        return;
    char ml[512], rl[256], exp[256];
    seen_line(m, nm, ml, sizeof ml);
    seen_line(ro, nr, rl, sizeof rl);
    size_t k = 0;
    exp[0] = '\0';
    for (size_t i = 0; i < r->n_expected && k < sizeof exp; i++) {
        int w = snprintf(exp + k, sizeof exp - k, "%s%s", i ? "|" : "", r->expected[i]);
        k += w > 0 ? (size_t)w : 0;
    }
    example(&s->b[r->cls],
            "line %lu: \"%s\" [%s %s] expected %s%s -> matches: %s; ruled out: %s; "
            "verdict %s",
            r->line, r->query, r->dob ? r->dob : "-", r->nat ? r->nat : "-",
            r->n_expected ? exp : "nothing", absent ? " (not in the ruleset)" : "", ml, rl,
            verdict);
}

int
evpeople_run(evpeople_t *s, const vet_engine_t *e, vet_worker_t *w, evpeople_known_fn known,
             void *ctx)
{
    for (size_t i = 0; i < s->n; i++) {
        const evp_row_t *r = &s->rows[i];
        char *js = request_of(r);
        if (js == NULL) {
            fprintf(stderr, "vet-eval: out of memory\n");
            return -1;
        }
        const char *out;
        size_t out_len;
        int rc = vet_engine_screen(e, w, js, strlen(js), &out, &out_len);
        free(js);
        if (rc != 0) {
            fprintf(stderr, "vet-eval: the engine refused a person (line %lu, %s): %.*s\n", r->line,
                    r->query, rc < 0 ? 13 : (int)out_len, rc < 0 ? "out of memory" : out);
            return -1;
        }
        cJSON *reply = cJSON_ParseWithLength(out, out_len);
        if (reply == NULL) {
            fprintf(stderr, "vet-eval: unreadable reply\n");
            return -1;
        }
        count(s, r, reply, known, ctx);
        cJSON_Delete(reply);
    }
    return 0;
}

/* ---- the report ------------------------------------------------------------ */

static double
pct(long a, long b)
{
    return b > 0 ? 100.0 * (double)a / (double)b : 0.0;
}

void
evpeople_print(const evpeople_t *s, FILE *out, const char *path, size_t n_examples)
{
    const evp_bucket_t *all = &s->b[EVP_N];
    fprintf(out,
            "\npeople set %s: %ld positive queries, %ld namesakes, %ld innocent "
            "(partner.type \"individual\")\n\n",
            path, all->queries, s->b[EVP_NAMESAKE].queries, s->b[EVP_INNOCENT].queries);
    fprintf(out, "%-10s %7s %5s %7s %6s %6s %6s %6s  %s\n", "class", "queries", "hits", "recall",
            "exact", "fuzzy", "wrong", "absent", "target");
    for (int c = 0; c <= EVP_N; c++) {
        if (c < EVP_N && !positive((evpeople_class_t)c))
            continue;
        const evp_bucket_t *b = &s->b[c];
        fprintf(out, "%-10s %7ld %5ld %6.2f%% %6ld %6ld %6ld %6ld  %s\n",
                c == EVP_N ? "all" : class_names[c], b->queries, b->hits, pct(b->hits, b->queries),
                b->exact, b->fuzzy, b->wrong, b->absent,
                c == EVP_CONFIRMED ? "identified (exact) = hits"
                : c == EVP_N       ? "recall >= 90%"
                                   : "");
    }
    const evp_bucket_t *ns = &s->b[EVP_NAMESAKE], *in = &s->b[EVP_INNOCENT];
    fprintf(out, "\n%-10s %7s %9s %7s %9s %6s\n", "class", "queries", "ruled-out", "matched",
            "fp-rate", "absent");
    fprintf(out, "%-10s %7ld %9ld %7ld %8.2f%% %6ld  target: matched = 0 (ruled out by the date)\n",
            "namesake", ns->queries, ns->ruled, ns->matched, pct(ns->matched, ns->queries),
            ns->absent);
    fprintf(out, "%-10s %7ld %9s %7ld %8.2f%% %6s  target: matched <= 1%%\n", "innocent",
            in->queries, "-", in->matched, pct(in->matched, in->queries), "-");
    fprintf(out, "\nrecall: an expected person among the matches (exact: identified by a date of "
                 "birth that agrees or an\nidentifier; fuzzy: by the name alone, a review); wrong: "
                 "matched, but not the expected person;\nnamesake matched: the listed person "
                 "matched although the dates differ, or another matched (a false\npositive); "
                 "innocent matched: any match at all. Measured, never tuned on (docs/EVAL.md).\n");
    if (n_examples == 0)
        return;
    fprintf(out, "\nExamples of the people set (misses, false positives), in file order\n");
    for (int c = 0; c < EVP_N; c++) {
        const evp_bucket_t *b = &s->b[c];
        if (b->n_ex == 0)
            continue;
        fprintf(out, "%s (%zu, %zu shown):\n", class_names[c], b->n_ex,
                b->n_ex < n_examples ? b->n_ex : n_examples);
        for (size_t i = 0; i < b->n_ex && i < n_examples; i++)
            fprintf(out, "    %s\n", b->ex[i]);
    }
}

cJSON *
evpeople_json(const evpeople_t *s, const char *path, size_t max_examples)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "file", path);
    cJSON *cs = cJSON_AddArrayToObject(o, "classes");
    for (int c = 0; c <= EVP_N && cs != NULL; c++) {
        const evp_bucket_t *b = &s->b[c];
        cJSON *j = cJSON_CreateObject();
        if (j == NULL)
            break;
        cJSON_AddStringToObject(j, "class", c == EVP_N ? "all" : class_names[c]);
        cJSON_AddNumberToObject(j, "queries", (double)b->queries);
        if (c == EVP_N || positive((evpeople_class_t)c)) {
            cJSON_AddNumberToObject(j, "hits", (double)b->hits);
            cJSON_AddNumberToObject(j, "recall", pct(b->hits, b->queries) / 100.0);
            cJSON_AddNumberToObject(j, "exact", (double)b->exact);
            cJSON_AddNumberToObject(j, "fuzzy", (double)b->fuzzy);
            cJSON_AddNumberToObject(j, "wrong", (double)b->wrong);
        } else {
            cJSON_AddNumberToObject(j, "ruled_out", (double)b->ruled);
            cJSON_AddNumberToObject(j, "matched", (double)b->matched);
            cJSON_AddNumberToObject(j, "false_positive_rate", pct(b->matched, b->queries) / 100.0);
        }
        cJSON_AddNumberToObject(j, "not_clear", (double)b->not_clear);
        cJSON_AddNumberToObject(j, "absent", (double)b->absent);
        if (b->n_ex > 0) {
            cJSON *a = cJSON_AddArrayToObject(j, "examples");
            for (size_t i = 0; a != NULL && i < b->n_ex && i < max_examples; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(b->ex[i]));
        }
        cJSON_AddItemToArray(cs, j);
    }
    return o;
}
