/* SPDX-License-Identifier: Apache-2.0 */
/* vreview.c -- `vet review add|list|expire`: edits the review register
 * the daemon owns, through the daemon (op "review"), so that every change
 * is checked against the ruleset serving, written atomically, applied by
 * a reload through every gate, and kept in the audit log. */
#include "vreview.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vet.h"
#include "vetcli.h"

#define REVIEW_EDIT_TIMEOUT_MS 120000 /* an edit's default deadline (-t overrides) */

static const char usage_text[] =
    "usage: vet review add --not-entity ENTITY --name NAME [--country CC] --by WHO\n"
    "                      --reason WHY --expires YYYY-MM-DD --ref REF\n"
    "       vet review add --accept ENTITY --activity ACTIVITY --rule RULE --by WHO\n"
    "                      --reason WHY --expires YYYY-MM-DD --ref REF\n"
    "       vet review list [--json]\n"
    "       vet review expire ID --by WHO --reason WHY\n"
    "  add --not-entity: the partner NAME (in country CC, or with no country) is not\n"
    "                    ENTITY (the id a screen's reply gives in matches[].entity)\n"
    "  add --accept:     the tie with ENTITY is reviewed and accepted for ACTIVITY under\n"
    "                    RULE (a review-level rule) until the expiry date\n"
    "  list:             every entry, in force or not (state active, expired, withdrawn,\n"
    "                    inert)\n"
    "  expire:           withdraws entry ID today (it stays on record)\n"
    "  Common options: -e ENDPOINT, -t MS (an edit waits 120000 by default: it\n"
    "  reloads the ruleset), --json. Exit 0 done, 65 refused (the reason\n"
    "  on stderr), 69 vetd not answering. docs/OPERATIONS.md, \"The review register\".\n";

static int
usage_error(const char *fmt, const char *arg)
{
    return vetcli_usage_error("vet review", usage_text, fmt, arg);
}

/* The options of an edit, by name: argv pointers. */
typedef struct ropts {
    const char *not_entity, *accept, *name, *country, *activity, *rule;
    const char *by, *reason, *expires, *ref, *id;
} ropts_t;

/* Reads the options of `vet review ACTION` (argv[0] is the action) into
 * o and the common ones into cli. Returns 0, or an exit code. */
static int
read_opts(vetcli_conn_t *cli, int argc, char **argv, ropts_t *o)
{
    struct {
        const char *flag;
        const char **slot;
    } const named[] = {
        {"--not-entity", &o->not_entity},
        {"--accept", &o->accept},
        {"--name", &o->name},
        {"--country", &o->country},
        {"--activity", &o->activity},
        {"--rule", &o->rule},
        {"--by", &o->by},
        {"--reason", &o->reason},
        {"--expires", &o->expires},
        {"--ref", &o->ref},
    };
    for (int i = 1; i < argc; i++) {
        int r = vetcli_common_opt(cli, "vet review", usage_text, argc, argv, &i);
        if (r > 1)
            return r;
        if (r == 1)
            continue;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return -1;
        }
        bool found = false;
        for (size_t k = 0; k < sizeof named / sizeof named[0] && !found; k++) {
            const char *v;
            int m = vetcli_opt_value(argc, argv, &i, named[k].flag, &v);
            if (m < 0)
                return usage_error("%s needs a value", named[k].flag);
            if (m == 1) {
                *named[k].slot = v;
                found = true;
            }
        }
        if (found)
            continue;
        if (argv[i][0] != '-' && o->id == NULL) {
            o->id = argv[i];
            continue;
        }
        return usage_error("unknown argument \"%s\"", argv[i]);
    }
    return 0;
}

/* Adds "key": val to o when val is set; false on OOM. */
static bool
put(cJSON *o, const char *key, const char *val)
{
    return val == NULL || cJSON_AddStringToObject(o, key, val) != NULL;
}

/* The request of an edit, or NULL (after saying why: a usage error in
 * *status, or OOM). Caller frees with free(). */
static char *
edit_request(const char *action, const ropts_t *o, int *status)
{
    bool add = strcmp(action, "add") == 0;
    if (add) {
        if ((o->not_entity == NULL) == (o->accept == NULL)) {
            *status = usage_error("add needs one of --not-entity ENTITY or --accept ENTITY%s", "");
            return NULL;
        }
        if (o->id != NULL) {
            *status = usage_error("unexpected argument \"%s\" (vetd assigns the id)", o->id);
            return NULL;
        }
    } else if (o->id == NULL) {
        *status = usage_error("expire needs the entry's id (vet review list shows them)%s", "");
        return NULL;
    }
    cJSON *req = cJSON_CreateObject(), *rv = cJSON_CreateObject();
    char rid[48];
    snprintf(rid, sizeof rid, "vet-review-%ld", (long)getpid());
    bool ok = req != NULL && rv != NULL && put(req, "id", rid) && put(req, "op", "review") &&
              put(req, "action", action);
    if (add)
        ok = ok && put(rv, "decision", o->not_entity != NULL ? "not_entity" : "accepted") &&
             put(rv, "entity", o->not_entity != NULL ? o->not_entity : o->accept) &&
             put(rv, "name", o->name) && put(rv, "country", o->country) &&
             put(rv, "activity", o->activity) && put(rv, "rule", o->rule) &&
             put(rv, "expires", o->expires) && put(rv, "ref", o->ref);
    else
        ok = ok && put(rv, "id", o->id);
    ok = ok && put(rv, "by", o->by) && put(rv, "reason", o->reason);
    char *text = NULL;
    if (ok && cJSON_AddItemToObject(req, "review", rv)) {
        rv = NULL;
        text = cJSON_PrintUnformatted(req);
    }
    cJSON_Delete(rv);
    cJSON_Delete(req);
    if (text == NULL) {
        fputs("vet: out of memory\n", stderr);
        *status = EX_SOFTWARE;
    }
    return text;
}

static const char *
str_of(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* One entry, human form: "rv-3  active  not_entity  ENTITY  ..." then
 * the decision's words on the next line. */
static void
print_entry(const cJSON *e)
{
    const char *state = str_of(e, "state"), *dec = str_of(e, "decision");
    printf("%s  %s  %s %s", str_of(e, "id"), state ? state : "", dec ? dec : "?",
           str_of(e, "entity"));
    if (str_of(e, "name") != NULL)
        printf(": name \"%s\"%s%s", str_of(e, "name"), str_of(e, "country") ? ", country " : "",
               str_of(e, "country") ? str_of(e, "country") : ", no country");
    if (str_of(e, "rule") != NULL)
        printf(": %s, rule %s", str_of(e, "activity"), str_of(e, "rule"));
    printf("\n    by %s on %s, until %s, ref %s: %s\n", str_of(e, "by"), str_of(e, "on"),
           str_of(e, "expires"), str_of(e, "ref"), str_of(e, "reason"));
    if (str_of(e, "expired_on") != NULL)
        printf("    withdrawn on %s by %s: %s\n", str_of(e, "expired_on"), str_of(e, "expired_by"),
               str_of(e, "expired_why"));
    if (str_of(e, "inert") != NULL)
        printf("    inert: %s\n", str_of(e, "inert"));
}

int
review_main(const vetcli_conn_t *conn, int argc, char **argv)
{
    vetcli_conn_t cli = *conn;
    if (argc < 2)
        return usage_error("review needs an action: add, list or expire%s", "");
    const char *action = argv[1];
    if (strcmp(action, "-h") == 0 || strcmp(action, "--help") == 0) {
        fputs(usage_text, stdout);
        return EX_OK;
    }
    if (strcmp(action, "add") != 0 && strcmp(action, "list") != 0 && strcmp(action, "expire") != 0)
        return usage_error("unknown action \"%s\" (add, list or expire)", action);
    ropts_t o;
    memset(&o, 0, sizeof o);
    int status = read_opts(&cli, argc - 1, argv + 1, &o);
    if (status != 0)
        return status < 0 ? EX_OK : status;
    bool list = strcmp(action, "list") == 0;
    char *request = NULL;
    if (list) {
        if (o.id != NULL || o.by != NULL || o.not_entity != NULL || o.accept != NULL)
            return usage_error("list takes no entry%s", "");
        char buf[96];
        snprintf(buf, sizeof buf,
                 "{\"id\":\"vet-review-%ld\",\"op\":\"review\",\"action\":\"list\"}",
                 (long)getpid());
        request = strdup(buf);
        if (request == NULL) {
            fputs("vet: out of memory\n", stderr);
            return EX_SOFTWARE;
        }
    } else if ((request = edit_request(action, &o, &status)) == NULL) {
        return status;
    }
    /* An edit reloads the ruleset through every gate before vetd
     * answers: seconds for a large registry, not a screen's 3. */
    if (!list && !cli.timeout_set)
        cli.timeout_ms = REVIEW_EDIT_TIMEOUT_MS;
    char *reply = NULL;
    size_t rlen = 0;
    /* An edit is not idempotent: sent once, never retried. */
    status = vetcli_transact(&cli, request, strlen(request), list ? 1 : 0, &reply, &rlen);
    free(request);
    if (status != 0)
        return status;
    if (cli.json) {
        fwrite(reply, 1, rlen, stdout);
        putchar('\n');
    }
    cJSON *r = vetcli_parse_reply(reply, rlen);
    vet_free(reply);
    if (r == NULL)
        return EX_SOFTWARE;
    if ((status = vetcli_error_reply(r)) != 0) {
        cJSON_Delete(r);
        return status;
    }
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
        /* The gates refused the ruleset with the new register: nothing
         * changed, and they say why. */
        fprintf(stderr, "vet: review %s refused; the register is unchanged\n", action);
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "errors"))
        {
            if (cJSON_IsString(e))
                fprintf(stderr, "%s\n", e->valuestring);
        }
        cJSON_Delete(r);
        return EX_DATAERR;
    }
    if (!cli.json) {
        if (list) {
            const cJSON *e, *all = cJSON_GetObjectItemCaseSensitive(r, "reviews");
            const char *path = str_of(r, "register");
            printf("%d entr%s in %s\n", cJSON_GetArraySize(all),
                   cJSON_GetArraySize(all) == 1 ? "y" : "ies", path ? path : "(no register)");
            cJSON_ArrayForEach(e, all) print_entry(e);
        } else {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "review");
            printf("%s %s\n", strcmp(action, "add") == 0 ? "added" : "withdrawn",
                   str_of(e, "id") ? str_of(e, "id") : "?");
            print_entry(e);
        }
    }
    cJSON_Delete(r);
    return EX_OK;
}
