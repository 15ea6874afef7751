/* SPDX-License-Identifier: Apache-2.0 */
/* vet.c -- the vet command: screen a partner or run an admin op against
 * a running vetd through libvet, and say the result as an exit code. */
#include "vet.h"
#include "batch.h"
#include "sbuf.h"
#include "vetcli.h"
#include "vreview.h"
#include "vec.h"

#include <cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define DEFAULT_ENDPOINT "tcp://127.0.0.1:7470"
#define DEFAULT_TIMEOUT_MS 3000

static const char usage_text[] =
    "usage: vet [-e ENDPOINT] [-t TIMEOUT_MS] COMMAND [ARGS]\n"
    "commands:\n"
    "  screen --name NAME [--country CC] [--type TYPE] [--alias NAME]...\n"
    "         [--id SCHEME:VALUE]... [--tech CODE]... [--activity KIND] [--past]\n"
    "         [--text TEXT] [--context KEY=STRING | KEY:=NUMBER|true|false]...\n"
    "         [--profile ID] [--request-id ID] [--user NAME] [--json]\n"
    "  screen [--json] -        send the JSON request read from stdin as it is\n"
    "  profiles [--json]        the ruleset's profiles: id, rules, label, the default\n"
    "  ping | version | stats | taxonomy   [--json]\n"
    "  stats --all              each endpoint of -e's list: its ruleset digest and\n"
    "                           list dates, and whether all nodes agree\n"
    "  reload [--force] [--json]   reload the ruleset; --force accepts a ruleset\n"
    "                 that shrinks a list past limits.reload_max_shrink\n"
    "  batch [--format jsonl|csv] [--bom] [--input-format csv|jsonl]\n"
    "        [--inflight N] [--retries N] [--profile ID] [--user NAME]\n"
    "        [--keep-columns] [--summary] [FILE|-]\n"
    "        screen every record of a file (`vet batch --help` tells more)\n"
    "options:\n"
    "  -e ENDPOINT    vetd's endpoint (default $VET_ENDPOINT or " DEFAULT_ENDPOINT ");\n"
    "                 several, comma-separated: spread over, failed over\n"
    "  -t TIMEOUT_MS  time allowed for the answer (default 3000)\n"
    "  --server-key FILE, --key FILE   CURVE: vetd's public certificate and your\n"
    "                 key pair (files from `vetd keygen`, or Z85 keys); default\n"
    "                 $VET_SERVER_KEY, $VET_CLIENT_KEY (docs/SECURITY.md)\n"
    "  --json         print the daemon's reply as it is\n"
    "  --profile ID   judge by this profile of the ruleset (`vet profiles` lists\n"
    "                 them); without it, by the daemon's default profile\n"
    "  --user NAME    who is screening: sent as context.user, kept in vetd's\n"
    "                 audit log\n"
    "  screen wraps reasons to the terminal ($COLUMNS, else its width); 80\n"
    "  columns into a pipe or a file\n"
    "exit: 0 clear, 10 review, 20 prohibited, 64 usage, 65 request rejected,\n"
    "      69 vetd unavailable or not answering, 70 internal error\n";

typedef vetcli_conn_t cli_t;

/* The repeatable and single options of `vet screen`. */
typedef struct screen_opts {
    const char *name, *country, *type, *activity, *text, *request_id;
    const char *profile;                              /* --profile: the rules to judge by */
    const char *user;                                 /* --user: context.user */
    bool past;                                        /* --past: current = false */
    bool raw;                                         /* "-": the request comes from stdin */
    const char **aliases, **ids, **techs, **contexts; /* argv pointers; owned arrays */
    int naliases, nids, ntechs, ncontexts;
} screen_opts_t;

static int
usage_error(const char *fmt, const char *arg)
{
    return vetcli_usage_error("vet", usage_text, fmt, arg);
}

static int
common_opt(cli_t *cli, int argc, char **argv, int *i)
{
    return vetcli_common_opt(cli, "vet", usage_text, argc, argv, i);
}

static void
print_verbatim(const char *reply, size_t len)
{
    fwrite(reply, 1, len, stdout);
    if (len == 0 || reply[len - 1] != '\n')
        putchar('\n');
}

static const char *
str_item(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double
num_item(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Prints "  LABEL: a, b" for a non-empty array of strings. */
static void
print_list(const char *label, const cJSON *arr)
{
    if (cJSON_GetArraySize(arr) == 0)
        return;
    printf("  %s ", label);
    const cJSON *it;
    const char *sep = "";
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsString(it)) {
            printf("%s%s", sep, it->valuestring);
            sep = ", ";
        }
    }
}

/* The width human output is wrapped to: on a terminal, $COLUMNS if it
 * is a number, else the terminal's width (TIOCGWINSZ); into a pipe or a
 * file, 80, whatever the environment says, so that what scripts and
 * tests read does not depend on the window it ran in. Never under 40. */
static int
term_width(void)
{
    if (!isatty(STDOUT_FILENO))
        return 80;
    const char *env = getenv("COLUMNS");
    int w = 0;
    struct winsize ws;
    if (env == NULL || !vetcli_parse_int(env, 1, 10000, &w)) {
        w = 80;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
            w = ws.ws_col;
    }
    return w < 40 ? 40 : w;
}

/* Prints head, then text wrapped at spaces to width columns, every line
 * after the first indented by indent spaces, then a newline. A word
 * longer than a line (a URL) is never cut: it overflows. */
static void
print_wrapped(const char *head, const char *text, int indent, int width)
{
    fputs(head, stdout);
    int col = (int)strlen(head);
    const char *p = text;
    for (;;) {
        int room = width - col;
        int n = (int)strlen(p);
        if (n <= room) {
            fputs(p, stdout);
            break;
        }
        /* The last space that keeps the line within room, else the first
         * space at all (an overflowing word). */
        int cut = -1;
        for (int i = 0; i <= room && i < n; i++)
            if (p[i] == ' ')
                cut = i;
        if (cut <= 0) {
            const char *sp = strchr(p + 1, ' ');
            if (sp == NULL) {
                fputs(p, stdout);
                break;
            }
            cut = (int)(sp - p);
        }
        int end = cut;
        while (end > 0 && p[end - 1] == ' ')
            end--;
        printf("%.*s\n%*s", end, p, indent, "");
        p += cut;
        while (*p == ' ')
            p++;
        col = indent;
    }
    putchar('\n');
}

/* The human form of a screening reply (see the design note in the
 * report): verdict line, then one line per match, category and rule,
 * the note when the reply has one, and the ruleset. */
static void
print_screen(const cJSON *r)
{
    int width = term_width();
    const char *verdict = str_item(r, "verdict");
    printf("%s (score %.0f)\n", verdict, num_item(r, "score"));

    const cJSON *matches =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "partner"), "matches");
    if (cJSON_GetArraySize(matches) == 0)
        printf("  partner  no match\n");
    const cJSON *m;
    cJSON_ArrayForEach(m, matches)
    {
        const char *name = str_item(m, "name"), *method = str_item(m, "method");
        const char *matched = str_item(m, "matched");
        printf("  partner  %s  [%s", name ? name : "?", method ? method : "?");
        if (matched != NULL && (name == NULL || strcmp(matched, name) != 0)) {
            if (method != NULL && strcmp(method, "id") == 0)
                printf(" %s", matched);
            else
                printf(" \"%s\"", matched);
        }
        printf(", %.2f]", num_item(m, "score"));
        print_list("lists:", cJSON_GetObjectItemCaseSensitive(m, "lists"));
        print_list("tags:", cJSON_GetObjectItemCaseSensitive(m, "tags"));
        const char *span = str_item(m, "matched_span");
        if (span != NULL)
            printf("  span: \"%s\"", span);
        putchar('\n');
    }

    const cJSON *cat;
    cJSON_ArrayForEach(cat, cJSON_GetObjectItemCaseSensitive(r, "categories"))
    {
        const char *code = str_item(cat, "code");
        bool given = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cat, "given"));
        printf("  category %s  %s", code ? code : "?", given ? "given" : "");
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(cat, "evidence");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cat, "spotted")) ||
            cJSON_GetArraySize(ev) > 0) {
            printf("%sspotted:", given ? "; " : "");
            const cJSON *e;
            const char *sep = " ";
            cJSON_ArrayForEach(e, ev)
            {
                if (cJSON_IsString(e)) {
                    printf("%s\"%s\"", sep, e->valuestring);
                    sep = ", ";
                }
            }
        }
        putchar('\n');
    }

    const cJSON *rule;
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(r, "rules"))
    {
        const char *id = str_item(rule, "id"), *v = str_item(rule, "verdict");
        const char *reason = str_item(rule, "reason"), *cite = str_item(rule, "cite");
        bool has_reason = reason != NULL && *reason != '\0',
             has_cite = cite != NULL && *cite != '\0';
        sbuf_t head = SBUF_INIT, text = SBUF_INIT;
        sbuf_printf(&head, "  rule     %s  %s %.0f%s", id ? id : "?", v ? v : "?",
                    num_item(rule, "score"), has_reason || has_cite ? "  " : "");
        if (has_reason)
            sbuf_puts(&text, reason);
        if (has_cite)
            sbuf_printf(&text, "%s(%s)", has_reason ? "  " : "", cite);
        if (head.oom || text.oom) /* the rule still shows, unwrapped */
            printf("  rule     %s  %s %.0f  %s  (%s)\n", id ? id : "?", v ? v : "?",
                   num_item(rule, "score"), reason ? reason : "", cite ? cite : "");
        else
            print_wrapped(head.data, text.len > 0 ? text.data : "", 11, width);
        sbuf_free(&head);
        sbuf_free(&text);
    }
    /* A match no rule acted on (docs/PROTOCOL.md, "note"). */
    const char *note = str_item(r, "note");
    if (note != NULL)
        print_wrapped("  note     ", note, 11, width);

    /* The profile the rules were chosen by; a daemon without profiles
     * names none. */
    const char *profile = str_item(r, "profile");
    if (profile != NULL)
        printf("  profile  %s\n", profile);

    /* Lists past their maximum age (docs/PROTOCOL.md, "stale"): the
     * verdict may miss parties listed since. */
    const cJSON *st;
    const char *sep = "  stale    ";
    cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(r, "stale"))
    {
        const char *list = str_item(st, "list"), *as_of = str_item(st, "as_of");
        printf("%s%s (edition %s, older than %.0f days)", sep, list ? list : "?",
               as_of ? as_of : "?", num_item(st, "max_age_days"));
        sep = ", ";
    }
    if (sep[0] == ',')
        printf(": update the lists (vet-update)\n");

    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(r, "ruleset");
    const char *version = str_item(rs, "version"), *digest = str_item(rs, "digest");
    printf("  ruleset  %s  (%.12s)  %.0f us\n", version ? version : "?", digest ? digest : "?",
           num_item(r, "elapsed_us"));
}

/* Reads all of stdin; caller frees. NULL (after saying why) on error. */
static char *
read_stdin(size_t *len)
{
    size_t cap = 0, n = 0;
    char *buf = NULL;
    while (vec_grow(&buf, &cap, n + 1, 1, 4096) == 0) {
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) {
            if (ferror(stdin)) {
                fprintf(stderr, "vet: reading stdin: %s\n", strerror(errno));
                free(buf);
                return NULL;
            }
            *len = n;
            return buf;
        }
    }
    free(buf);
    fputs("vet: out of memory\n", stderr);
    return NULL;
}

/* Sets key of object o to v, replacing an earlier value of the same key
 * (a repeated --id or --context: the last one wins). Takes v. */
static bool
set_member(cJSON *o, const char *key, cJSON *v)
{
    if (v == NULL)
        return false;
    if (cJSON_GetObjectItemCaseSensitive(o, key) != NULL)
        return cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    return cJSON_AddItemToObject(o, key, v);
}

static bool
add_string(cJSON *o, const char *key, const char *s)
{
    return s == NULL || set_member(o, key, cJSON_CreateString(s));
}

static bool
add_strings(cJSON *o, const char *key, const char **v, int n)
{
    if (n == 0)
        return true;
    cJSON *arr = cJSON_CreateStringArray(v, n);
    return arr != NULL && set_member(o, key, arr);
}

/* Adds "KEY=VALUE" or "KEY:=SCALAR" (scheme ':' for ids) to o. Returns 0,
 * or an exit code. */
static int
add_pair(cJSON *o, const char *opt, const char *arg, char sep)
{
    const char *p = strchr(arg, sep);
    if (p == NULL || p == arg || (sep == ':' && p[1] == '\0'))
        return usage_error(sep == ':' ? "--id needs SCHEME:VALUE, not \"%s\""
                                      : "--context needs KEY=VALUE, not \"%s\"",
                           arg);
    bool typed = sep == '=' && p[-1] == ':';
    size_t klen = (size_t)(p - arg) - (typed ? 1 : 0);
    if (klen == 0)
        return usage_error("%s needs a key", opt);
    char *key = strndup(arg, klen);
    if (key == NULL) {
        fputs("vet: out of memory\n", stderr);
        return EX_SOFTWARE;
    }
    cJSON *v;
    if (typed) {
        v = cJSON_Parse(p + 1);
        if (v == NULL || !(cJSON_IsNumber(v) || cJSON_IsBool(v))) {
            cJSON_Delete(v);
            free(key);
            return usage_error("--context KEY:=VALUE needs a number, true or false: \"%s\"", arg);
        }
    } else {
        v = cJSON_CreateString(p + 1);
    }
    bool ok = set_member(o, key, v);
    free(key);
    if (!ok) {
        fputs("vet: out of memory\n", stderr);
        return EX_SOFTWARE;
    }
    return 0;
}

/* Builds the screening request of the options. Returns 0 and *out
 * (caller frees with free()), or an exit code. */
static int
build_request(const screen_opts_t *o, char **out)
{
    cJSON *root = cJSON_CreateObject(), *partner = NULL, *ids = NULL, *ctx = NULL;
    int status = EX_SOFTWARE;
    if (root == NULL || !add_string(root, "id", o->request_id) ||
        (partner = cJSON_AddObjectToObject(root, "partner")) == NULL ||
        !add_string(partner, "name", o->name) ||
        !add_strings(partner, "aliases", o->aliases, o->naliases) ||
        !add_string(partner, "country", o->country) || !add_string(partner, "type", o->type))
        goto oom;
    if (o->nids > 0) {
        if ((ids = cJSON_AddObjectToObject(partner, "ids")) == NULL)
            goto oom;
        for (int i = 0; i < o->nids; i++)
            if ((status = add_pair(ids, "--id", o->ids[i], ':')) != 0)
                goto fail;
    }
    if (!add_strings(root, "technologies", o->techs, o->ntechs) ||
        !add_string(root, "activity", o->activity) ||
        (o->past && cJSON_AddFalseToObject(root, "current") == NULL) ||
        !add_string(root, "text", o->text))
        goto oom;
    if (o->ncontexts > 0 || o->user != NULL) {
        if ((ctx = cJSON_AddObjectToObject(root, "context")) == NULL)
            goto oom;
        for (int i = 0; i < o->ncontexts; i++)
            if ((status = add_pair(ctx, "--context", o->contexts[i], '=')) != 0)
                goto fail;
        /* --user is context.user, over a --context user=... */
        if (!add_string(ctx, "user", o->user))
            goto oom;
    }
    if (!add_string(root, "profile", o->profile))
        goto oom;
    *out = cJSON_PrintUnformatted(root);
    if (*out == NULL)
        goto oom;
    cJSON_Delete(root);
    return 0;
oom:
    fputs("vet: out of memory\n", stderr);
    status = EX_SOFTWARE;
fail:
    cJSON_Delete(root);
    return status;
}

/* Appends arg to a growing array of argv pointers. */
static bool
push_arg(const char ***arr, int *n, const char *arg)
{
    const char **na = realloc(*arr, (size_t)(*n + 1) * sizeof *na);
    if (na == NULL)
        return false;
    na[(*n)++] = arg;
    *arr = na;
    return true;
}

static int
parse_screen(cli_t *cli, screen_opts_t *o, int argc, char **argv)
{
    /* Each option fills either one string or a growing list. */
    const struct {
        const char *name;
        const char **single; /* where a single option's value goes */
        const char ***list;  /* or the list a repeatable one adds to */
        int *count;          /* and that list's length */
    } opts[] = {
        {"--name", &o->name, NULL, NULL},
        {"--country", &o->country, NULL, NULL},
        {"--type", &o->type, NULL, NULL},
        {"--activity", &o->activity, NULL, NULL},
        {"--text", &o->text, NULL, NULL},
        {"--request-id", &o->request_id, NULL, NULL},
        {"--profile", &o->profile, NULL, NULL},
        {"--user", &o->user, NULL, NULL},
        {"--alias", NULL, &o->aliases, &o->naliases},
        {"--id", NULL, &o->ids, &o->nids},
        {"--tech", NULL, &o->techs, &o->ntechs},
        {"--context", NULL, &o->contexts, &o->ncontexts},
    };
    for (int i = 1; i < argc; i++) {
        int r = common_opt(cli, argc, argv, &i);
        if (r > 1)
            return r;
        if (r == 1)
            continue;
        if (strcmp(argv[i], "--past") == 0) {
            o->past = true;
            continue;
        }
        if (strcmp(argv[i], "-") == 0) {
            o->raw = true;
            continue;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return -1;
        }
        size_t k;
        const char *v = NULL;
        for (k = 0; k < sizeof opts / sizeof opts[0]; k++)
            if ((r = vetcli_opt_value(argc, argv, &i, opts[k].name, &v)) != 0)
                break;
        if (k == sizeof opts / sizeof opts[0])
            return usage_error("screen: unknown argument \"%s\"", argv[i]);
        if (r < 0)
            return usage_error("screen: %s needs a value", opts[k].name);
        if (opts[k].single != NULL) {
            *opts[k].single = v;
            continue;
        }
        bool ok = push_arg(opts[k].list, opts[k].count, v);
        if (!ok) {
            fputs("vet: out of memory\n", stderr);
            return EX_SOFTWARE;
        }
    }
    if (o->raw &&
        (o->name || o->country || o->type || o->activity || o->text || o->request_id ||
         o->profile || o->user || o->past || o->naliases || o->nids || o->ntechs || o->ncontexts))
        return usage_error("screen: \"-\" reads the whole request from stdin; %s",
                           "give no fields with it");
    if (!o->raw && o->name == NULL)
        return usage_error("screen: --name is required%s", "");
    return 0;
}

static int
cmd_screen(cli_t *cli, int argc, char **argv)
{
    screen_opts_t o;
    memset(&o, 0, sizeof o);
    char *request = NULL, *reply = NULL;
    size_t len = 0, rlen = 0;
    cJSON *r = NULL;
    char idbuf[32];
    int status = parse_screen(cli, &o, argc, argv);
    if (status != 0)
        goto done;
    if (o.request_id == NULL) {
        snprintf(idbuf, sizeof idbuf, "vet-%ld", (long)getpid());
        o.request_id = idbuf;
    }
    if (o.raw) {
        if ((request = read_stdin(&len)) == NULL) {
            status = EX_DATAERR;
            goto done;
        }
    } else {
        if ((status = build_request(&o, &request)) != 0)
            goto done;
        len = strlen(request);
    }
    if ((status = vetcli_transact(cli, request, len, 1, &reply, &rlen)) != 0)
        goto done;
    if (cli->json)
        print_verbatim(reply, rlen);
    if ((r = vetcli_parse_reply(reply, rlen)) == NULL) {
        status = EX_SOFTWARE;
        goto done;
    }
    if ((status = vetcli_error_reply(r)) != 0)
        goto done;
    const char *verdict = str_item(r, "verdict");
    if (verdict == NULL) {
        fprintf(stderr, "vet: reply has no verdict: %.80s\n", reply);
        status = EX_SOFTWARE;
        goto done;
    }
    /* libvet never hands over a reply to another request; a different
     * id means the daemon broke the protocol. */
    const char *rid = str_item(r, "id");
    if (!o.raw && (rid == NULL || strcmp(rid, o.request_id) != 0)) {
        fprintf(stderr, "vet: reply is for id \"%s\", not \"%s\"\n", rid ? rid : "", o.request_id);
        status = EX_SOFTWARE;
        goto done;
    }
    if (!cli->json)
        print_screen(r);
    status = vetcli_verdict_exit(verdict, strlen(verdict));
done:
    cJSON_Delete(r);
    vet_free(reply);
    free(request);
    free(o.aliases);
    free(o.ids);
    free(o.techs);
    free(o.contexts);
    return status < 0 ? 0 : status;
}

/* Appends the text of scalar v (strings bare, others as JSON) to t. */
static void
scalar_text(sbuf_t *t, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        sbuf_puts(t, v->valuestring);
        return;
    }
    char *j = cJSON_PrintUnformatted(v);
    sbuf_puts(t, j != NULL ? j : "?");
    free(j);
}

/* The human form of an admin reply (version, stats, and any reply of
 * unknown shape), one style for all: a "key: value" line per scalar,
 * nested objects as dotted keys ("ruleset.version: 2026.11"), an array
 * of scalars joined by ", ", an array of objects a line each, named by
 * the element's "id" (else its index) with its members "k v, k v". */
static void
print_flat(const cJSON *o, const char *prefix)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        if (prefix[0] == '\0' && strcmp(it->string, "id") == 0)
            continue;
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", it->string);
        if (cJSON_IsObject(it)) {
            print_flat(it, key);
            continue;
        }
        if (!cJSON_IsArray(it)) {
            sbuf_t t = SBUF_INIT;
            scalar_text(&t, it);
            printf("%s: %s\n", key, t.oom ? "?" : t.data);
            sbuf_free(&t);
            continue;
        }
        if (cJSON_GetArraySize(it) == 0) {
            printf("%s: (none)\n", key);
            continue;
        }
        const cJSON *e;
        sbuf_t t = SBUF_INIT;
        int index = 0;
        cJSON_ArrayForEach(e, it)
        {
            if (!cJSON_IsObject(e)) {
                sbuf_puts(&t, t.len > 0 ? ", " : "");
                scalar_text(&t, e);
                continue;
            }
            const char *id = str_item(e, "id");
            sbuf_t line = SBUF_INIT;
            const cJSON *m;
            cJSON_ArrayForEach(m, e)
            {
                if (id != NULL && strcmp(m->string, "id") == 0)
                    continue;
                sbuf_printf(&line, "%s%s ", line.len > 0 ? ", " : "", m->string);
                scalar_text(&line, m);
            }
            if (id != NULL)
                printf("%s.%s: %s\n", key, id, line.oom || line.len == 0 ? "" : line.data);
            else
                printf("%s.%d: %s\n", key, index, line.oom || line.len == 0 ? "" : line.data);
            sbuf_free(&line);
            index++;
        }
        if (t.len > 0)
            printf("%s: %s\n", key, t.oom ? "?" : t.data);
        sbuf_free(&t);
    }
}

static void
print_taxonomy(const cJSON *r)
{
    const cJSON *cat;
    cJSON_ArrayForEach(cat, cJSON_GetObjectItemCaseSensitive(r, "categories"))
    {
        const char *code = str_item(cat, "code"), *label = str_item(cat, "label");
        bool child = str_item(cat, "parent") != NULL;
        printf("%s%-*s  %s\n", child ? "  " : "", child ? 30 : 32, code ? code : "?",
               label ? label : "");
    }
    print_list("activities:", cJSON_GetObjectItemCaseSensitive(r, "activities"));
    putchar('\n');
    print_list("verdicts:", cJSON_GetObjectItemCaseSensitive(r, "verdicts"));
    putchar('\n');
}

/* The human form of a profiles reply: one line per profile, its id, how
 * many rules it holds and its label, the default marked. */
static void
print_profiles(const cJSON *r)
{
    const char *dflt = str_item(r, "default");
    const cJSON *profiles = cJSON_GetObjectItemCaseSensitive(r, "profiles"), *p;
    int width = 0;
    cJSON_ArrayForEach(p, profiles)
    {
        const char *id = str_item(p, "id");
        int n = id != NULL ? (int)strlen(id) : 1;
        if (n > width)
            width = n;
    }
    cJSON_ArrayForEach(p, profiles)
    {
        const char *id = str_item(p, "id"), *label = str_item(p, "label");
        int nrules = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "rules"));
        bool is_default = id != NULL && dflt != NULL && strcmp(id, dflt) == 0;
        printf("%-*s  %3d rule%s  %s%s\n", width, id ? id : "?", nrules, nrules == 1 ? " " : "s",
               label ? label : "", is_default ? "  (default)" : "");
    }
}

/* The human form of a reload reply; returns the exit code. */
static int
show_reload(const cJSON *r, bool json)
{
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(r, "ruleset");
        const char *version = str_item(rs, "version"), *digest = str_item(rs, "digest");
        if (!json)
            printf("reloaded: ruleset %s (%.12s)\n", version ? version : "?",
                   digest ? digest : "?");
        return EX_OK;
    }
    fputs("vet: reload failed, the old ruleset keeps serving\n", stderr);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "errors"))
    {
        if (cJSON_IsString(e))
            fprintf(stderr, "%s\n", e->valuestring);
    }
    return EX_DATAERR;
}

/* Shows the (non-error) reply r to admin op; returns the exit code.
 * With json the reply was printed already: only the exit code counts. */
static int
show_admin(const char *op, cJSON *r, const char *reply, bool json)
{
    if (strcmp(op, "reload") == 0)
        return show_reload(r, json);
    if (json)
        return EX_OK;
    if (strcmp(op, "ping") == 0) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
            fprintf(stderr, "vet: unexpected reply to ping: %.80s\n", reply);
            return EX_SOFTWARE;
        }
        puts("ok");
    } else if (strcmp(op, "taxonomy") == 0) {
        print_taxonomy(r);
    } else if (strcmp(op, "profiles") == 0) {
        print_profiles(r);
    } else {
        print_flat(r, "");
    }
    return EX_OK;
}

/* vet stats --all: the stats of each endpoint of cli's list, asked one
 * by one (a list otherwise reaches whichever daemon the round robin
 * picks), one line per node: its ruleset digest and version, and each
 * list's date; then whether they all agree. A broker deals stats to one
 * worker: give the workers' own endpoints (docs/DEPLOY.md). Exit 0 all
 * agree, 1 they differ, or the first node's failure (69, ...). */
static int
stats_all(const cli_t *cli)
{
    char *list = strdup(cli->endpoint), *save = NULL;
    if (list == NULL)
        return EX_OSERR;
    char first[65] = "";
    int status = EX_OK, nodes = 0;
    bool differ = false;
    for (char *ep = strtok_r(list, ", ", &save); ep != NULL; ep = strtok_r(NULL, ", ", &save)) {
        cli_t one = *cli;
        one.endpoint = ep;
        char request[64], *reply = NULL;
        size_t rlen = 0;
        int len = snprintf(request, sizeof request, "{\"id\":\"vet-%ld\",\"op\":\"stats\"}",
                           (long)getpid());
        int st = vetcli_transact(&one, request, (size_t)len, 1, &reply, &rlen);
        cJSON *r = st == 0 ? vetcli_parse_reply(reply, rlen) : NULL;
        if (st == 0 && r == NULL)
            st = EX_SOFTWARE;
        if (st == 0)
            st = vetcli_error_reply(r);
        if (st != 0) {
            printf("%s  not answering\n", ep);
            status = status ? status : st;
        } else {
            const cJSON *rs = cJSON_GetObjectItemCaseSensitive(r, "ruleset");
            const cJSON *dg = cJSON_GetObjectItemCaseSensitive(rs, "digest");
            const cJSON *ver = cJSON_GetObjectItemCaseSensitive(rs, "version");
            const char *digest = cJSON_IsString(dg) ? dg->valuestring : "none";
            printf("%s  ruleset %s  version %s  lists", ep, digest,
                   cJSON_IsString(ver) ? ver->valuestring : "-");
            const cJSON *l;
            cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(rs, "lists"))
            {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(l, "id");
                const cJSON *asof = cJSON_GetObjectItemCaseSensitive(l, "as_of");
                if (cJSON_IsString(id))
                    printf(" %s@%s", id->valuestring,
                           cJSON_IsString(asof) ? asof->valuestring : "-");
            }
            putchar('\n');
            if (nodes++ == 0)
                snprintf(first, sizeof first, "%s", digest);
            else
                differ |= strcmp(first, digest) != 0;
        }
        cJSON_Delete(r);
        vet_free(reply);
    }
    free(list);
    if (status != EX_OK)
        return status;
    if (differ)
        printf("the nodes judge by different rulesets\n");
    else
        printf("all %d node%s judge by ruleset %s\n", nodes, nodes == 1 ? "" : "s", first);
    return differ ? VET_EXIT_FAIL : EX_OK;
}

/* ping, version, stats, reload, taxonomy, profiles: {"op":NAME,"id":...}. */
static int
cmd_admin(cli_t *cli, const char *op, int argc, char **argv)
{
    /* A reload is not idempotent: no second attempt behind the user's back. */
    bool reload = strcmp(op, "reload") == 0, force = false, all = false;
    for (int i = 1; i < argc; i++) {
        int r = common_opt(cli, argc, argv, &i);
        if (r > 1)
            return r;
        if (r == 1)
            continue;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return EX_OK;
        }
        if (reload && strcmp(argv[i], "--force") == 0) {
            force = true;
            continue;
        }
        if (strcmp(op, "stats") == 0 && strcmp(argv[i], "--all") == 0) {
            all = true;
            continue;
        }
        return usage_error("unknown argument \"%s\"", argv[i]);
    }
    if (all)
        return stats_all(cli);
    char request[128];
    int len = snprintf(request, sizeof request, "{\"id\":\"vet-%ld\",\"op\":\"%s\"%s}",
                       (long)getpid(), op, force ? ",\"force\":true" : "");
    char *reply = NULL;
    size_t rlen = 0;
    int status = vetcli_transact(cli, request, (size_t)len, reload ? 0 : 1, &reply, &rlen);
    if (status != 0)
        return status;
    if (cli->json)
        print_verbatim(reply, rlen);
    cJSON *r = vetcli_parse_reply(reply, rlen);
    if (r == NULL)
        status = EX_SOFTWARE;
    else if ((status = vetcli_error_reply(r)) == 0)
        status = show_admin(op, r, reply, cli->json);
    cJSON_Delete(r);
    vet_free(reply);
    return status;
}

int
main(int argc, char **argv)
{
    static const char *const admin_ops[] = {"ping",   "version",  "stats",
                                            "reload", "taxonomy", "profiles"};
    cli_t cli = {getenv("VET_ENDPOINT"), DEFAULT_TIMEOUT_MS, false, false};
    if (cli.endpoint == NULL || *cli.endpoint == '\0')
        cli.endpoint = DEFAULT_ENDPOINT;
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
            strcmp(argv[i], "help") == 0) {
            fputs(usage_text, stdout);
            return EX_OK;
        }
        int r = common_opt(&cli, argc, argv, &i);
        if (r > 1)
            return r;
        if (r == 0)
            break;
    }
    if (i >= argc)
        return usage_error("no command%s", "");
    const char *cmd = argv[i];
    if (strcmp(cmd, "screen") == 0)
        return cmd_screen(&cli, argc - i, argv + i);
    /* vet review lives in vreview.c, vet batch in batch.c. */
    if (strcmp(cmd, "review") == 0)
        return review_main(&cli, argc - i, argv + i);
    if (strcmp(cmd, "batch") == 0)
        return batch_main(cli.endpoint, cli.timeout_ms, argc - i, argv + i);
    for (size_t k = 0; k < sizeof admin_ops / sizeof admin_ops[0]; k++)
        if (strcmp(cmd, admin_ops[k]) == 0)
            return cmd_admin(&cli, cmd, argc - i, argv + i);
    if (cmd[0] == '-')
        return usage_error("unknown option \"%s\"", cmd);
    return usage_error("unknown command \"%s\"", cmd);
}
