/* SPDX-License-Identifier: Apache-2.0 */
/* evreal.c -- vet-eval's real-world form set: reading and checking tools/eval/realworld.tsv. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "evreal.h"
#include "import.h"
#include "sbuf.h"
#include "vec.h"

#define EVREAL_NAME_(e, n, d) n,
static const char *const class_names[] = {EVREAL_CLASSES(EVREAL_NAME_)};
#undef EVREAL_NAME_
#define EVREAL_ABOUT_(e, n, d) d,
static const char *const class_about[] = {EVREAL_CLASSES(EVREAL_ABOUT_)};
#undef EVREAL_ABOUT_

static const char header[] = "class\tquery\tcountry\texpected\tnote";

struct evreal {
    evreal_row_t *rows; /* the queries, in file order */
    void **blocks;      /* blocks[i]: the one allocation holding row i's strings (owned) */
    size_t n;           /* rows (and blocks) */
    size_t cap;         /* capacity of rows */
    size_t cap_blocks;  /* capacity of blocks */
};

const char *
evreal_class_name(evreal_class_t c)
{
    return (unsigned)c < EVREAL_N ? class_names[c] : "?";
}

const char *
evreal_class_about(evreal_class_t c)
{
    return (unsigned)c < EVREAL_N ? class_about[c] : "?";
}

int
evreal_class_find(const char *name)
{
    for (int i = 0; i < EVREAL_N; i++)
        if (strcmp(class_names[i], name) == 0)
            return i;
    return -1;
}

/* The collected messages of a load: every fault, "path:line: message". */
typedef struct faults {
    sbuf_t msg;       /* one line per fault */
    long n;           /* faults seen */
    const char *path; /* the file read (borrowed) */
} faults_t;

/* Records one fault at line of the file. */
static void __attribute__((format(printf, 3, 4)))
fault(faults_t *f, unsigned long line, const char *fmt, ...)
{
    va_list ap;
    f->n++;
    sbuf_printf(&f->msg, "%s:%lu: ", f->path, line);
    va_start(ap, fmt);
    sbuf_vprintf(&f->msg, fmt, ap);
    va_end(ap);
    sbuf_putc(&f->msg, '\n');
}

static bool
is_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Checks a query: non-empty UTF-8, no control characters, no space at
 * either end. Returns NULL or what is wrong (static). */
static const char *
bad_query(const char *s, size_t n)
{
    if (n == 0)
        return "empty query";
    if (!sbuf_utf8_valid(s, n))
        return "query is not valid UTF-8";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return "control character in the query";
    if (s[0] == ' ' || s[n - 1] == ' ')
        return "space at the start or end of the query";
    return NULL;
}

/* Checks the expected column of a row of class cls; returns NULL or what
 * is wrong (static), and the number of ids in *n_ids. */
static const char *
bad_expected(evreal_class_t cls, const char *s, size_t *n_ids)
{
    *n_ids = 0;
    if (cls == EVREAL_INNOCENT)
        return strcmp(s, "-") == 0 ? NULL : "an innocent query expects \"-\" (no match)";
    if (strcmp(s, "-") == 0 || s[0] == '\0')
        return "a positive query needs the registry id it must identify";
    size_t k = 0;
    for (const char *p = s;; p++) {
        if (*p == '|' || *p == '\0') {
            if (k == 0)
                return "empty id in the expected column";
            (*n_ids)++;
            k = 0;
            if (*p == '\0')
                return NULL;
        } else if (!is_id_char(*p)) {
            return "an id holds only letters, digits, '.', '_' and '-' (several separated by '|')";
        } else {
            k++;
        }
    }
}

/* Adds a row: its strings copied into one block the row owns. */
static int
add_row(evreal_t *s, evreal_class_t cls, char **fld, size_t n_ids, unsigned long line)
{
    size_t lq = strlen(fld[1]) + 1, lc = strlen(fld[2]) + 1, le = strlen(fld[3]) + 1;
    size_t ln = strlen(fld[4]) + 1;
    if (vec_grow(&s->rows, &s->cap, s->n + 1, sizeof *s->rows, 256) != 0 ||
        vec_grow(&s->blocks, &s->cap_blocks, s->n + 1, sizeof *s->blocks, 256) != 0)
        return -1;
    size_t ptrs = (n_ids > 0 ? n_ids : 1) * sizeof(char *);
    char *b = malloc(ptrs + lq + lc + le + ln);
    if (b == NULL)
        return -1;
    const char **ids = (const char **)(void *)b;
    char *q = b + ptrs, *c = q + lq, *e = c + lc, *nt = e + le;
    memcpy(q, fld[1], lq);
    memcpy(c, fld[2], lc);
    memcpy(e, fld[3], le);
    memcpy(nt, fld[4], ln);
    size_t k = 0;
    if (n_ids > 0)
        for (char *t = e;; t++) {
            char *start = t;
            while (*t != '|' && *t != '\0')
                t++;
            ids[k++] = start;
            if (*t == '\0')
                break;
            *t = '\0';
        }
    s->blocks[s->n] = b;
    s->rows[s->n++] = (evreal_row_t){cls, q, c[0] ? c : NULL, n_ids ? ids : NULL, n_ids, nt, line};
    return 0;
}

/* Orders rows by class, query and country (none first), then line. */
static int
row_key_cmp(const void *a, const void *b)
{
    const evreal_row_t *x = *(const evreal_row_t *const *)a, *y = *(const evreal_row_t *const *)b;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    int d = strcmp(x->query, y->query);
    if (d == 0)
        d = strcmp(x->country ? x->country : "", y->country ? y->country : "");
    if (d != 0)
        return d;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Reports every row whose class, query and country an earlier row has. */
static int
check_duplicates(const evreal_t *s, faults_t *f)
{
    if (s->n < 2)
        return 0;
    const evreal_row_t **v = malloc(s->n * sizeof *v);
    if (v == NULL)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        v[i] = &s->rows[i];
    qsort(v, s->n, sizeof *v, row_key_cmp);
    /* Neighbours that differ only in their line are duplicates: the
     * earlier line is the one kept. */
    for (size_t i = 1; i < s->n; i++) {
        evreal_row_t a = *v[i - 1], b = *v[i];
        a.line = b.line = 0;
        if (row_key_cmp(&(const evreal_row_t *){&a}, &(const evreal_row_t *){&b}) == 0)
            fault(f, v[i]->line, "the same class, query and country as line %lu", v[i - 1]->line);
    }
    free(v);
    return 0;
}

/* Checks one record and adds it; returns -1 only when memory ran out. */
static int
take_record(evreal_t *s, const csv_rec_t *r, faults_t *f)
{
    if (r->n_fields != 5) {
        fault(f, r->line, "expected 5 tab-separated fields (%s), found %zu", header, r->n_fields);
        return 0;
    }
    char **fld = r->fields;
    int cls = evreal_class_find(fld[0]);
    if (cls < 0) {
        sbuf_t known = SBUF_INIT;
        for (int i = 0; i < EVREAL_N; i++)
            sbuf_printf(&known, "%s%s", i ? ", " : "", class_names[i]);
        fault(f, r->line, "unknown class \"%s\" (one of %s)", fld[0],
              known.data ? known.data : "?");
        sbuf_free(&known);
        return 0;
    }
    const char *why = bad_query(fld[1], r->lens[1]);
    if (why != NULL) {
        fault(f, r->line, "%s", why);
        return 0;
    }
    const char *cc = fld[2];
    if (cc[0] != '\0' &&
        (strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')) {
        fault(f, r->line, "country \"%s\": an ISO 3166-1 alpha-2 code (\"CN\") or empty", cc);
        return 0;
    }
    size_t n_ids;
    why = bad_expected((evreal_class_t)cls, fld[3], &n_ids);
    if (why != NULL) {
        fault(f, r->line, "expected \"%s\": %s", fld[3], why);
        return 0;
    }
    if (fld[4][0] == '\0') {
        fault(f, r->line, "empty note: say what form this is and where it comes from");
        return 0;
    }
    return add_row(s, (evreal_class_t)cls, fld, n_ids, r->line);
}

evreal_t *
evreal_load(const char *path, char *err, size_t cap)
{
    if (cap > 0)
        err[0] = '\0';
    size_t len;
    char *data = imp_read_file(path, &len);
    if (data == NULL) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    evreal_t *s = calloc(1, sizeof *s);
    csv_t *c = csv_new(data, len, '\t', 0, 0, path);
    faults_t f = {SBUF_INIT, 0, path};
    int rc = s != NULL && c != NULL ? 0 : -1;
    bool seen_header = false;
    csv_rec_t r;
    int got = 0;
    while (rc == 0 && (got = csv_next(c, &r)) == 1) {
        if (r.fields[0][0] == '#' || (r.n_fields == 1 && r.lens[0] == 0))
            continue;
        if (r.bad != NULL) {
            fault(&f, r.line, "%s", r.bad);
            continue;
        }
        if (!seen_header) {
            seen_header = true;
            bool ok = r.n_fields == 5;
            static const char *const cols[] = {"class", "query", "country", "expected", "note"};
            for (size_t i = 0; ok && i < 5; i++)
                ok = strcmp(r.fields[i], cols[i]) == 0;
            if (!ok)
                fault(&f, r.line, "the first line that is not a comment must be the header \"%s\"",
                      "class<TAB>query<TAB>country<TAB>expected<TAB>note");
            continue;
        }
        rc = take_record(s, &r, &f);
    }
    if (rc == 0 && got < 0)
        rc = -1;
    if (rc == 0 && !seen_header)
        fault(&f, 1, "no header line (class<TAB>query<TAB>country<TAB>expected<TAB>note)");
    if (rc == 0)
        rc = check_duplicates(s, &f);
    if (rc < 0 || f.msg.oom)
        snprintf(err, cap, "%s: out of memory", path);
    else if (f.n > 0) {
        /* The messages without the last newline; when they do not fit,
         * the whole lines that do. */
        size_t n = f.msg.len - 1;
        if (cap > 0 && n >= cap) {
            n = cap - 1;
            while (n > 0 && f.msg.data[n] != '\n')
                n--;
        }
        if (cap > 0) {
            memcpy(err, f.msg.data, n);
            err[n] = '\0';
        }
        rc = -1;
    }
    sbuf_free(&f.msg);
    csv_destroy(&c);
    free(data);
    if (rc < 0)
        evreal_destroy(&s);
    return s;
}

void
evreal_destroy(evreal_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    evreal_t *s = *sp;
    for (size_t i = 0; i < s->n; i++)
        free(s->blocks[i]);
    free(s->blocks);
    free(s->rows);
    free(s);
    *sp = NULL;
}

const evreal_row_t *
evreal_rows(const evreal_t *s, size_t *n)
{
    *n = s->n;
    return s->rows;
}

bool
evreal_accepts(const evreal_row_t *r, const char *id)
{
    for (size_t i = 0; i < r->n_expected; i++)
        if (strcmp(r->expected[i], id) == 0)
            return true;
    return false;
}
