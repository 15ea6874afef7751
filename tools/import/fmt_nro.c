/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_nro.c -- Canada's NRO TSV -> registry: as published (nro-tsv), as rules/ has it (ca-nro). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "country.h"
#include "import.h"
#include "nro.h"
#include "vec.h"

/* Ids stay within 60 bytes with the "nro-" prefix. */
#define NRO_SLUG_MAX 56

#define NRO_LIST "ca-nro"
#define NRO_URL                                                                                    \
    "https://science.gc.ca/site/science/en/safeguarding-your-research/"                            \
    "guidelines-and-tools-implement-research-security/"                                            \
    "sensitive-technology-research-and-affiliations-concern/named-research-organizations"

/*
 * ca-nro: rules/registry/ca-nro.cfg, the list with what it does not say.
 * Two small tables repair the published text (alias_fixes, extra_aliases,
 * dropped_aliases) and one adds the MCF annotations of FACTS.md
 * (annotations: tags, Chinese names, relations to entities of
 * rules/registry/mcf.cfg), each entry with its source. Anything not
 * covered by a source is not encoded. They were checked against the
 * 2024-09 edition, and every entry must apply: a new edition of the list
 * is looked at, not silently half-repaired. The tables are in (row,
 * alias) order, the order the file's header lists them in.
 */

/* Published aliases that the page (and so the TSV) runs together or splits
 * wrongly: (row, alias as published) -> replacement aliases. Checked
 * against canada_nro/named-research-organizations_2024-09-09.html, which has
 * the same text: these are slips of the published page, not of the parse. */
static const struct {
    unsigned long row;
    const char *alias;
    const char *const *with; /* NULL-terminated */
} alias_fixes[] = {
    /* Three names joined by commas inside one "; "-separated item. */
    {42, "CAEP, Beijing Computational Science Research Center, Ninth Academy",
     (const char *const[]){"CAEP", "Beijing Computational Science Research Center", "Ninth Academy",
                           NULL}},
    /* One name split in two by a stray "; " after the ampersand. */
    {42, "Center for High Pressure Science &",
     (const char *const[]){"Center for High Pressure Science & Technology Advanced Research",
                           NULL}},
    {42, "Technology Advanced Research", (const char *const[]){NULL}},
    /* An acronym and a name joined by a colon. */
    {94, "SUT: Sharif Technical University",
     (const char *const[]){"SUT", "Sharif Technical University", NULL}},
};

/* Aliases derived from the published name field itself (the page packs an
 * acronym and the parent academy into the name). */
static const struct {
    unsigned long row;
    const char *const *aliases; /* NULL-terminated */
} extra_aliases[] = {
    {2, (const char *const[]){"A.A. Kharkevich Institute for Information Transmission Problems",
                              "Institute for Information Transmission Problems", "IITP", NULL}},
};

/* Published aliases left out because, matched exactly (exact name matches
 * do not look at the country), they are the everyday names of other,
 * unlisted institutions; the entity stays reachable by its qualified
 * names. */
static const struct {
    unsigned long row;
    const char *alias;
    const char *why;
} dropped_aliases[] = {
    {70, "Naval Academy", "the generic name of many countries' naval academies"},
    {82, "Institute Pasteur", "near-identical to Institut Pasteur (Paris)"},
    {82, "Pasteur Institute",
     "also the English name of Institut Pasteur (Paris) and of other "
     "Pasteur Network institutes"},
};

#define SEVEN_SONS                                                                                 \
    "Wikipedia, 'Seven Sons of National Defence' "                                                 \
    "(en.wikipedia.org/wiki/Seven_Sons_of_National_Defence, revision of 2023-02-06), and the "     \
    "Hoover Institution's report on US research collaborations with the Seven Sons as "            \
    "summarised by ccasindia.org: one of China's 'Seven Sons of National Defence' "                \
    "(\u56fd\u9632\u4e03\u5b50), universities administered by MIIT [V]"
#define GK100 "Chinese name: ccasindia.org (the Hoover report's names); gk100.com; sxzd360.com [V]"
#define SUPERVISED_BY_MIIT                                                                         \
    (const char *const[])                                                                          \
    {                                                                                              \
        "supervised_by", "miit", NULL                                                              \
    }

/* MCF annotations from FACTS.md, by the NRO name as published: tags, extra
 * aliases, relations (kind, target id in mcf.cfg), a type where the name
 * misleads the guess, and the sources that support them (appended to the
 * organisation's sources). */
static const struct {
    const char *name;
    const char *const *tags;      /* NULL-terminated, or NULL */
    const char *type;             /* or NULL: guessed from the name */
    const char *const *aliases;   /* NULL-terminated, or NULL */
    const char *const *relations; /* kind, target, ...; NULL-terminated, or NULL */
    const char *const *sources;   /* NULL-terminated */
} annotations[] = {
    {"Beihang University", (const char *const[]){"seven-sons", NULL}, NULL,
     (const char *const[]){"\u5317\u4eac\u822a\u7a7a\u822a\u5929\u5927\u5b66", "\u5317\u822a",
                           NULL},
     SUPERVISED_BY_MIIT, (const char *const[]){SEVEN_SONS, GK100, NULL}},
    /* FACTS.md s4: one of seven universities. */
    {"Beijing Institute of Technology", (const char *const[]){"seven-sons", NULL}, "university",
     (const char *const[]){"\u5317\u4eac\u7406\u5de5\u5927\u5b66", "\u5317\u7406\u5de5", NULL},
     SUPERVISED_BY_MIIT, (const char *const[]){SEVEN_SONS, GK100, NULL}},
    /* FACTS.md s4: one of seven universities. */
    {"Harbin Institute of Technology", (const char *const[]){"seven-sons", NULL}, "university",
     (const char *const[]){"\u54c8\u5c14\u6ee8\u5de5\u4e1a\u5927\u5b66",
                           "\u54c8\u723e\u6ff1\u5de5\u696d\u5927\u5b78", "\u54c8\u5de5\u5927",
                           NULL},
     SUPERVISED_BY_MIIT,
     (const char *const[]){
         SEVEN_SONS, GK100 "; traditional form in public traditional-Chinese texts [V]", NULL}},
    {"Harbin Engineering University", (const char *const[]){"seven-sons", NULL}, NULL,
     (const char *const[]){"\u54c8\u5c14\u6ee8\u5de5\u7a0b\u5927\u5b66", NULL}, SUPERVISED_BY_MIIT,
     (const char *const[]){SEVEN_SONS, GK100, NULL}},
    {"Northwestern Polytechnical University", (const char *const[]){"seven-sons", NULL}, NULL,
     (const char *const[]){"\u897f\u5317\u5de5\u4e1a\u5927\u5b66", "\u897f\u5de5\u5927", NULL},
     SUPERVISED_BY_MIIT, (const char *const[]){SEVEN_SONS, GK100, NULL}},
    /* Its short name (nan hang) is left out: it is also the everyday short
     * name of an airline. */
    {"Nanjing University of Aeronautics and Astronautics",
     (const char *const[]){"seven-sons", NULL}, NULL,
     (const char *const[]){"\u5357\u4eac\u822a\u7a7a\u822a\u5929\u5927\u5b66", NULL},
     SUPERVISED_BY_MIIT, (const char *const[]){SEVEN_SONS, GK100, NULL}},
    {"Nanjing University of Science and Technology", (const char *const[]){"seven-sons", NULL},
     NULL,
     (const char *const[]){"\u5357\u4eac\u7406\u5de5\u5927\u5b66", "\u5357\u7406\u5de5", NULL},
     SUPERVISED_BY_MIIT, (const char *const[]){SEVEN_SONS, GK100, NULL}},
    {"Sichuan University", NULL, NULL,
     (const char *const[]){"\u56db\u5ddd\u5927\u5b66", "\u56db\u5ddd\u5927\u5b78", NULL}, NULL,
     (const char *const[]){
         "Chinese names: \u56db\u5ddd\u5927\u5b66, the university's own; traditional "
         "\u56db\u5ddd\u5927\u5b78 as public traditional-Chinese texts write it [T]",
         NULL}},
    {"China Academy of Electronics and Information Technology", NULL, NULL, NULL,
     (const char *const[]){"subsidiary_of", "cetc", NULL},
     (const char *const[]){
         "Government of Canada, Named Research Organizations (science.gc.ca, "
         "modified 2024-04-18): the list's own alias 'CETC CAEIT' places it in "
         "China Electronics Technology Group Corporation (registry entity 'cetc')",
         NULL}},
};

#define N_OF(a) (sizeof(a) / sizeof(a)[0])

/* The file ca-nro writes: the edition's header, then the organisations
 * in the order of the list. */
#define CA_NRO_EDITION                                                                             \
    "#   a parse of the page at the list URL below (modified 2024-04-18, saved 2024-09-09).\n"
/* An organisation's source: the published page and its edition, and the
 * record as the page prints it (its name and country: the list numbers
 * nothing), not a line of the transcription, which is not published. */
#define CA_NRO_LIST "Government of Canada, Named Research Organizations (science.gc.ca"
#define CA_NRO_SOURCE CA_NRO_LIST ", modified 2024-04-18): "

/* A country's organisations, for the header. */
typedef struct cc_count {
    char cc[3];
    size_t n;
} cc_count_t;

typedef struct conv {
    regw_t *w;
    const imp_opts_t *o;
    const char *list;
    bool curated;                     /* ca-nro */
    bool fix_used[N_OF(alias_fixes)]; /* each entry applied */
    bool drop_used[N_OF(dropped_aliases)];
    bool extra_used[N_OF(extra_aliases)];
    bool ann_used[N_OF(annotations)];
    size_t n_orgs, n_aliases; /* written */
    cc_count_t cc[16];        /* organisations by country */
    size_t n_cc;
} conv_t;

/* The type guessed from the name: University -> university; Institute,
 * Academy, Laboratory, Center/Centre -> research_institute; else other.
 * A hint only. */
static const char *
guess_type(const char *name)
{
    static const char *const inst[] = {"Institute", "Academy", "Laboratory", "Center", "Centre"};
    bool uni = false, ins = false;
    for (const char *p = name; *p != '\0';) {
        while (*p != '\0' && !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
            p++;
        size_t n = 0;
        while ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z'))
            n++;
        if (n == 10 && strncmp(p, "University", n) == 0)
            uni = true;
        for (size_t i = 0; i < N_OF(inst); i++)
            if (strlen(inst[i]) == n && strncmp(p, inst[i], n) == 0)
                ins = true;
        p += n;
    }
    return uni ? "university" : ins ? "research_institute" : "other";
}

/* Trims white space at both ends, in place. */
static char *
trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\v' || *s == '\f')
        s++;
    size_t n = strlen(s);
    while (n > 0 && strchr(" \t\r\n\v\f", s[n - 1]) != NULL)
        s[--n] = '\0';
    return s;
}

/* The loose comparison key of ca-nro's aliases: NFKC, case folded, curly
 * quotes straightened, white space collapsed. Caller frees; NULL on OOM
 * or bad UTF-8 (vet-import checked the file). */
static char *
fold(const char *s)
{
    utf8proc_uint8_t *m = NULL;
    if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &m,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                         UTF8PROC_CASEFOLD) < 0)
        return NULL;
    char *out = (char *)m;
    size_t k = 0;
    bool space = false;
    for (const char *p = out; *p != '\0'; p++) {
        /* U+2018, U+2019 -> ' */
        if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
            ((unsigned char)p[2] == 0x98 || (unsigned char)p[2] == 0x99)) {
            p += 2;
            if (space && k > 0)
                out[k++] = ' ';
            space = false;
            out[k++] = '\'';
            continue;
        }
        if (strchr(" \t\r\n\v\f", *p) != NULL) {
            space = true;
            continue;
        }
        if (space && k > 0)
            out[k++] = ' ';
        space = false;
        out[k++] = *p;
    }
    out[k] = '\0';
    return out;
}

/* The aliases kept so far, with their fold keys (the name's first). */
typedef struct kept {
    const char **v; /* aliases (borrowed) */
    char **keys;    /* fold keys, owned; keys[0] is the name's */
    size_t n, n_keys, cap;
} kept_t;

static void
kept_free(kept_t *k)
{
    for (size_t i = 0; i < k->n_keys; i++)
        free(k->keys[i]);
    free(k->keys);
    free(k->v);
}

/* Keeps alias (borrowed) unless empty or already there by its fold key;
 * the name's key is added with as_name. 0, or -1 on OOM. */
static int
keep(kept_t *k, const char *alias, bool as_name)
{
    if (alias[0] == '\0')
        return 0;
    char *key = fold(alias);
    if (key == NULL)
        return -1;
    for (size_t i = 0; i < k->n_keys; i++)
        if (strcmp(k->keys[i], key) == 0) {
            free(key);
            return 0;
        }
    /* keys and v share one capacity (vec.h). */
    size_t ck = k->cap, cv = k->cap;
    if (vec_grow(&k->keys, &ck, k->n_keys + 1, sizeof *k->keys, 16) != 0 ||
        vec_grow(&k->v, &cv, k->n_keys + 1, sizeof *k->v, 16) != 0) {
        free(key);
        return -1;
    }
    k->cap = ck;
    k->keys[k->n_keys++] = key;
    if (!as_name)
        k->v[k->n++] = alias;
    return 0;
}

/* ca-nro's aliases of row: the published ones with the repairs applied and
 * the dropped ones left out, the derived ones, then the annotation's; each
 * once by its fold key and never the name. 0, or -1 (err). */
static int
curated_aliases(conv_t *x, const imp_file_t *f, const nro_row_t *row, const char *name, long ann,
                kept_t *k, sbuf_t *err)
{
    if (keep(k, name, true) < 0)
        return imp_oom(err);
    char *p = row->aliases;
    for (char *a; (a = nro_alias(&p)) != NULL;) {
        a = trim(a);
        size_t i;
        for (i = 0; i < N_OF(alias_fixes); i++)
            if (alias_fixes[i].row == row->line && strcmp(alias_fixes[i].alias, a) == 0)
                break;
        if (i < N_OF(alias_fixes)) {
            x->fix_used[i] = true;
            for (const char *const *w = alias_fixes[i].with; *w != NULL; w++)
                if (keep(k, *w, false) < 0)
                    return imp_oom(err);
            continue;
        }
        for (i = 0; i < N_OF(dropped_aliases); i++)
            if (dropped_aliases[i].row == row->line && strcmp(dropped_aliases[i].alias, a) == 0)
                break;
        if (i < N_OF(dropped_aliases)) {
            x->drop_used[i] = true;
            continue;
        }
        if (strchr(a, ';') != NULL) {
            sbuf_printf(err, "%s:%lu: alias \"%s\" still holds a ';'", f->path, row->line, a);
            return -1;
        }
        if (keep(k, a, false) < 0)
            return imp_oom(err);
    }
    for (size_t i = 0; i < N_OF(extra_aliases); i++) {
        if (extra_aliases[i].row != row->line)
            continue;
        x->extra_used[i] = true;
        for (const char *const *a = extra_aliases[i].aliases; *a != NULL; a++)
            if (keep(k, *a, false) < 0)
                return imp_oom(err);
    }
    for (const char *const *a = ann >= 0 ? annotations[ann].aliases : NULL; a && *a; a++)
        if (keep(k, *a, false) < 0)
            return imp_oom(err);
    return 0;
}

static int
row_fn(void *ctx, const imp_file_t *f, nro_row_t *row, sbuf_t *err)
{
    conv_t *x = ctx;
    const char *name = row->name, *country = row->country;
    if (x->curated) {
        name = trim(row->name);
        if (name[0] == '\0') {
            sbuf_printf(err, "%s:%lu: empty name", f->path, row->line);
            return -1;
        }
    }
    while (*name == ' ')
        name++;
    if (name[0] == '\0') {
        regw_skip(x->w, "records without a name");
        return 0;
    }
    const char *cc = country_lookup(country);
    if (cc == NULL) {
        sbuf_printf(err, "%s:%lu: unknown country \"%s\"", f->path, row->line, country);
        return -1;
    }
    char slug[NRO_SLUG_MAX + 1], id[NRO_SLUG_MAX + 8];
    imp_slug(name, slug, NRO_SLUG_MAX);
    snprintf(id, sizeof id, "nro-%s", slug);
    bool dup;
    regw_org_t *org = regw_org_new(x->w, id, &dup);
    if (org == NULL) {
        if (dup)
            sbuf_printf(err, "%s:%lu: id \"%s\" made from the name is already taken", f->path,
                        row->line, id);
        else
            imp_oom(err);
        return -1;
    }
    sbuf_t src = SBUF_INIT;
    if (x->curated)
        sbuf_puts(&src, CA_NRO_SOURCE);
    else if (x->o->as_of != NULL)
        sbuf_printf(&src, CA_NRO_LIST ", modified %s): ", x->o->as_of);
    else
        sbuf_puts(&src, CA_NRO_LIST "): ");
    sbuf_printf(&src, "'%s', %s", name, country);
    long ann = -1;
    for (size_t i = 0; x->curated && ann < 0 && i < N_OF(annotations); i++)
        if (strcmp(annotations[i].name, name) == 0)
            ann = (long)i;
    if (ann >= 0)
        x->ann_used[ann] = true;
    const char *type = ann >= 0 && annotations[ann].type ? annotations[ann].type : guess_type(name);
    if (regw_org_set_name(org, name) < 0 || regw_org_set_country(org, cc) < 0 ||
        regw_org_set_type(org, type) < 0 || regw_org_add_list(org, x->list) < 0 ||
        regw_org_set_risk(org, x->o->risk ? x->o->risk : "high") < 0 || src.oom ||
        regw_org_add_source(org, src.data) < 0) {
        sbuf_free(&src);
        return imp_oom(err);
    }
    sbuf_free(&src);
    if (!x->curated) {
        char *p = row->aliases;
        for (char *a; (a = nro_alias(&p)) != NULL;)
            if (regw_org_add_alias(org, a) < 0)
                return imp_oom(err);
        return 0;
    }
    kept_t k = {NULL, NULL, 0, 0, 0};
    int r = curated_aliases(x, f, row, name, ann, &k, err);
    for (size_t i = 0; r == 0 && i < k.n; i++)
        if (regw_org_add_alias(org, k.v[i]) < 0)
            r = imp_oom(err);
    x->n_aliases += k.n;
    kept_free(&k);
    if (r < 0)
        return -1;
    if (ann >= 0) {
        for (const char *const *t = annotations[ann].tags; t && *t; t++)
            if (regw_org_add_tag(org, *t) < 0)
                return imp_oom(err);
        for (const char *const *rel = annotations[ann].relations; rel && *rel; rel += 2)
            if (regw_org_add_relation(org, rel[0], rel[1]) < 0)
                return imp_oom(err);
        for (const char *const *s = annotations[ann].sources; *s; s++)
            if (regw_org_add_source(org, *s) < 0)
                return imp_oom(err);
    }
    x->n_orgs++;
    size_t i = 0;
    while (i < x->n_cc && strcmp(x->cc[i].cc, cc) != 0)
        i++;
    if (i == x->n_cc) {
        if (x->n_cc == N_OF(x->cc)) {
            sbuf_printf(err, "%s:%lu: more than %zu countries", f->path, row->line, N_OF(x->cc));
            return -1;
        }
        snprintf(x->cc[x->n_cc++].cc, sizeof x->cc[0].cc, "%s", cc);
    }
    x->cc[i].n++;
    return 0;
}

/* Every table entry must have found its row (see above). */
static int
check_tables(const conv_t *x, const imp_file_t *f, sbuf_t *err)
{
    for (size_t i = 0; i < N_OF(alias_fixes); i++)
        if (!x->fix_used[i]) {
            sbuf_printf(err, "%s: alias fix for row %lu \"%s\" did not apply", f->path,
                        alias_fixes[i].row, alias_fixes[i].alias);
            return -1;
        }
    for (size_t i = 0; i < N_OF(dropped_aliases); i++)
        if (!x->drop_used[i]) {
            sbuf_printf(err, "%s: dropped alias for row %lu \"%s\" not found", f->path,
                        dropped_aliases[i].row, dropped_aliases[i].alias);
            return -1;
        }
    for (size_t i = 0; i < N_OF(extra_aliases); i++)
        if (!x->extra_used[i]) {
            sbuf_printf(err, "%s: extra aliases for missing row %lu", f->path,
                        extra_aliases[i].row);
            return -1;
        }
    for (size_t i = 0; i < N_OF(annotations); i++)
        if (!x->ann_used[i]) {
            sbuf_printf(err, "%s: annotation for \"%s\": no such organisation", f->path,
                        annotations[i].name);
            return -1;
        }
    return 0;
}

/* A list of libconfig string literals, for the header. */
static void
put_qlist(sbuf_t *b, const char *const *v)
{
    sbuf_puts(b, "[ ");
    for (size_t i = 0; v[i] != NULL; i++) {
        if (i > 0)
            sbuf_puts(b, ", ");
        regw_quote(b, v[i]);
    }
    sbuf_puts(b, v[0] != NULL ? " ]" : "]");
}

/* The input as the header names it: its directory's name and its own,
 * from the absolute path ("canada_nro/nro_2024-09.tsv"). */
static void
put_source_name(sbuf_t *b, const char *path)
{
    sbuf_t abs = SBUF_INIT;
    char cwd[4096];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
        sbuf_printf(&abs, "%s/", cwd);
    sbuf_puts(&abs, path);
    /* The path's components, "." and ".." resolved as os.path.abspath does. */
    const char *part[256];
    size_t len[256], n = 0;
    for (const char *p = abs.data ? abs.data : ""; *p != '\0';) {
        size_t l = strcspn(p, "/");
        if (l == 0 || (l == 1 && p[0] == '.')) {
        } else if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (n > 0)
                n--;
        } else if (n < N_OF(part)) {
            part[n] = p;
            len[n++] = l;
        }
        p += l;
        if (*p == '/')
            p++;
    }
    for (size_t i = n > 2 ? n - 2 : 0; i < n; i++) {
        sbuf_append(b, part[i], len[i]);
        if (i + 1 < n)
            sbuf_putc(b, '/');
    }
    sbuf_free(&abs);
}

static int
cc_cmp(const void *a, const void *b)
{
    return strcmp(((const cc_count_t *)a)->cc, ((const cc_count_t *)b)->cc);
}

/* ca-nro's header: where the file comes from and what was repaired. */
static int
curated_header(conv_t *x, const imp_file_t *f, sbuf_t *err)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256(h, (const unsigned char *)f->data, f->len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    qsort(x->cc, x->n_cc, sizeof x->cc[0], cc_cmp);
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, "# Canada, Named Research Organizations (STRAC), generated by\n"
                  "# vet-import --format ca-nro (make rules-update): do not edit by hand;\n"
                  "# change the tables of tools/import/fmt_nro.c and re-run it.\n"
                  "# Source file: ");
    put_source_name(&b, f->path);
    sbuf_printf(&b, "\n#   SHA-256 %s\n" CA_NRO_EDITION "# %zu organisations (", hex, x->n_orgs);
    for (size_t i = 0; i < x->n_cc; i++)
        sbuf_printf(&b, "%s%s %zu", i > 0 ? ", " : "", x->cc[i].cc, x->cc[i].n);
    sbuf_printf(&b, "), %zu aliases after repairs and MCF annotations.\n", x->n_aliases);
    sbuf_puts(&b, "# Each organisation's source cites the published page by its name and\n"
                  "# country as printed there; \"row N\" below is line N of the TSV (line 1 is\n"
                  "# the header).\n"
                  "# type is guessed from the name (University -> university; Institute, Academy,\n"
                  "# Laboratory, Center/Centre -> research_institute; else other): a hint only.\n"
                  "# Repairs of the published text (the tables of fmt_nro.c):\n");
    for (size_t i = 0; i < N_OF(alias_fixes); i++) {
        sbuf_printf(&b, "#   row %lu: ", alias_fixes[i].row);
        regw_quote(&b, alias_fixes[i].alias);
        sbuf_puts(&b, " -> ");
        put_qlist(&b, alias_fixes[i].with);
        sbuf_putc(&b, '\n');
    }
    for (size_t i = 0; i < N_OF(extra_aliases); i++) {
        sbuf_printf(&b, "#   row %lu: aliases derived from the name: ", extra_aliases[i].row);
        put_qlist(&b, extra_aliases[i].aliases);
        sbuf_putc(&b, '\n');
    }
    for (size_t i = 0; i < N_OF(dropped_aliases); i++) {
        sbuf_printf(&b, "#   row %lu: alias ", dropped_aliases[i].row);
        regw_quote(&b, dropped_aliases[i].alias);
        sbuf_printf(&b, " left out: %s\n", dropped_aliases[i].why);
    }
    sbuf_puts(&b, "# Tags and relations used here are declared in registry/mcf.cfg.\n");
    int r = b.oom || regw_set_header(x->w, b.data) < 0 ? imp_oom(err) : 0;
    sbuf_free(&b);
    return r;
}

static int
convert(regw_t *w, const imp_opts_t *o, const imp_file_t *f, bool curated, sbuf_t *err)
{
    conv_t x = {.w = w, .o = o, .list = o->list_id ? o->list_id : NRO_LIST, .curated = curated};
    if (regw_add_list(w, x.list, "Named Research Organizations", "Government of Canada", NRO_URL,
                      IMP_TERMS_CA_NRO) < 0)
        return imp_oom(err);
    if (nro_read(f, row_fn, &x, err) < 0)
        return -1;
    if (!curated)
        return 0;
    regw_keep_order(w);
    if (check_tables(&x, f, err) < 0)
        return -1;
    return curated_header(&x, f, err);
}

static int
nro_tsv_run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    (void)n_files;
    return convert(w, o, &files[0], false, err);
}

static int
ca_nro_run(regw_t *w, const imp_opts_t *o, const imp_file_t *files, size_t n_files, sbuf_t *err)
{
    (void)n_files;
    return convert(w, o, &files[0], true, err);
}

const imp_format_t imp_nro_tsv = {
    "nro-tsv",  "nro.tsv (name<TAB>country<TAB>aliases, header line; list ca-nro)", 1, 1, true,
    nro_tsv_run};

const imp_format_t imp_ca_nro = {
    "ca-nro",
    "nro_2024-09.tsv (as nro-tsv, with the repairs and MCF annotations of "
    "rules/registry/ca-nro.cfg)",
    1,
    1,
    false,
    ca_nro_run};
