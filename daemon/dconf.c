/* SPDX-License-Identifier: Apache-2.0 */
/* dconf.c -- daemon settings from one table: defaults, file, flags. */
#include "dconf.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "cfgread.h"
#include "vocab.h"

typedef enum { T_INT, T_LONG, T_BOOL, T_STR, T_LIST } dtype_t;

/* Checks one entry of a list setting: 0, or -1 with why in msg. */
typedef int (*dcheck_fn)(const char *v, char *msg, size_t len);

/* The single source of truth: every setting, its type, where it lives
 * and its range. Names are dotted paths in the file. */
typedef struct dsetting {
    const char *name; /* path in the file */
    dtype_t type;
    size_t off;                 /* offset in dconf_t */
    size_t count_off;           /* T_LIST: offset of the count */
    long min, max;              /* T_INT / T_LONG range; T_LIST: min is the fewest entries */
    const char *const *choices; /* T_STR: allowed values, or NULL */
    dcheck_fn check;            /* T_LIST: each entry's check, or NULL */
} dsetting_t;

static const char *const levels[] = {"error", "warning", "info", "debug", NULL};
static const char *const fsyncs[] = {"always", "interval", "never", NULL};
static const char *const on_failures[] = {"refuse", "answer", NULL};

static int check_endpoint(const char *v, char *msg, size_t len);
static int check_mask(const char *v, char *msg, size_t len);

#define O(f) offsetof(dconf_t, f)
static const dsetting_t settings[] = {
    /* No endpoint would be a daemon nobody can reach. */
    {"endpoints", T_LIST, O(endpoints), O(n_endpoints), 1, 0, NULL, check_endpoint},
    {"workers", T_INT, O(workers), 0, 0, 256, NULL, NULL},
    {"rules", T_STR, O(rules), 0, 0, 0, NULL, NULL},
    {"profile", T_STR, O(profile), 0, 0, 0, NULL, NULL},
    {"require_rules", T_BOOL, O(require_rules), 0, 0, 0, NULL, NULL},
    {"log_level", T_STR, O(log_level), 0, 0, 0, levels, NULL},
    {"syslog", T_BOOL, O(syslog), 0, 0, 0, NULL, NULL},
    {"limits.max_request_bytes", T_LONG, O(max_request), 0, 256, 1L << 30, NULL, NULL},
    {"limits.max_message_bytes", T_LONG, O(max_message), 0, 256, 1L << 31, NULL, NULL},
    {"limits.hwm", T_INT, O(hwm), 0, 100, 10000000, NULL, NULL},
    {"limits.max_queued_replies", T_INT, O(max_queued_replies), 0, 100, 10000000, NULL, NULL},
    {"limits.max_inflight", T_INT, O(max_inflight), 0, 1, 1000000, NULL, NULL},
    {"limits.drain_ms", T_INT, O(drain_ms), 0, 0, 600000, NULL, NULL},
    {"limits.drain_quiet_ms", T_INT, O(drain_quiet_ms), 0, 0, 60000, NULL, NULL},
    {"limits.reload_max_shrink", T_INT, O(reload_max_shrink), 0, 0, 100, NULL, NULL},
    {"limits.handshake_ms", T_INT, O(handshake_ms), 0, 100, 600000, NULL, NULL},
    {"limits.heartbeat_ms", T_INT, O(heartbeat_ms), 0, 0, 600000, NULL, NULL},
    {"limits.fd_reserve", T_INT, O(fd_reserve), 0, 16, 100000, NULL, NULL},
    {"reviews", T_STR, O(reviews_path), 0, 0, 0, NULL, NULL},
    {"audit.path", T_STR, O(audit_path), 0, 0, 0, NULL, NULL},
    {"audit.fsync", T_STR, O(audit_fsync), 0, 0, 0, fsyncs, NULL},
    {"audit.fsync_interval_ms", T_INT, O(audit_interval_ms), 0, 1, 60000, NULL, NULL},
    {"audit.queue", T_INT, O(audit_queue), 0, 16, 10000000, NULL, NULL},
    {"audit.on_failure", T_STR, O(audit_on_failure), 0, 0, 0, on_failures, NULL},
    {"audit.mask", T_LIST, O(audit_mask), O(n_audit_mask), 0, 0, NULL, check_mask},
    /* Who may ask (docs/SECURITY.md). */
    {"curve.secret", T_STR, O(curve_secret), 0, 0, 0, NULL, NULL},
    {"curve.clients", T_STR, O(curve_clients), 0, 0, 0, NULL, NULL},
    {"curve.admins", T_STR, O(curve_admins), 0, 0, 0, NULL, NULL},
    {"allow_insecure", T_BOOL, O(allow_insecure), 0, 0, 0, NULL, NULL},
    {"admin_anywhere", T_BOOL, O(admin_anywhere), 0, 0, 0, NULL, NULL},
    {"user", T_STR, O(user), 0, 0, 0, NULL, NULL},
    {"allow_root", T_BOOL, O(allow_root), 0, 0, 0, NULL, NULL},
    {"pidfile", T_STR, O(pidfile), 0, 0, 0, NULL, NULL},
    {"connect", T_STR, O(connect), 0, 0, 0, NULL, NULL},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

/* The groups of the file: the first part of the dotted names above. */
static const char *const groups[] = {"limits", "audit", "curve"};
#define N_GROUPS (sizeof groups / sizeof groups[0])
#undef O

#define FIELD(c, s, type) ((type *)((char *)(c) + (s)->off))

static const dsetting_t *
find(const char *name)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0)
            return &settings[i];
    return NULL;
}

/* An endpoint libzmq can bind a ROUTER to for remote or local clients:
 * inproc:// would bind one nobody outside the process can reach. */
static int
check_endpoint(const char *v, char *msg, size_t len)
{
    if ((strncmp(v, "tcp://", 6) == 0 || strncmp(v, "ipc://", 6) == 0) && v[6] != '\0')
        return 0;
    snprintf(msg, len, "\"%s\" is not tcp://HOST:PORT or ipc://PATH", v);
    return -1;
}

#define MASK_NAME(s) s,
static const char *const mask_fields[] = {DCONF_MASK_FIELDS(MASK_NAME)};
#undef MASK_NAME
#define N_MASK_FIELDS (sizeof mask_fields / sizeof mask_fields[0])

/* A mask entry that names no field masks nothing: the log would keep
 * what the operator meant to keep out of it, so it is an error. */
static int
check_mask(const char *v, char *msg, size_t len)
{
    for (size_t i = 0; i < N_MASK_FIELDS; i++)
        if (strcmp(v, mask_fields[i]) == 0)
            return 0;
    if (strncmp(v, "context.", 8) == 0) {
        size_t klen = strlen(v + 8);
        if (klen > 0 && klen <= DCONF_MASK_KEY_MAX)
            return 0;
        snprintf(msg, len, "\"%s\": a context key has 1 to %d bytes", v, DCONF_MASK_KEY_MAX);
        return -1;
    }
    /* Candidates: the fields, and context.KEY with the entry's own key
     * for a mistyped group ("contxt.grant"). */
    const char *names[N_MASK_FIELDS + 1];
    char ctx[DCONF_MASK_KEY_MAX + 16];
    size_t n = 0;
    for (; n < N_MASK_FIELDS; n++)
        names[n] = mask_fields[n];
    const char *dot = strchr(v, '.');
    if (dot != NULL && dot[1] != '\0' && strlen(dot) <= DCONF_MASK_KEY_MAX + 1) {
        snprintf(ctx, sizeof ctx, "context%s", dot);
        names[n++] = ctx;
    }
    vocab_t known = {names, n};
    const char *sug = vocab_suggest(&known, v);
    /* As proto.c's suggest(): never a name as far from v as v is long
     * (vocab_suggest allows 2 edits, so "tx" would get "text"). */
    if (sug != NULL && (size_t)vocab_distance(v, sug) < strlen(v)) {
        snprintf(msg, len, "unknown field \"%s\" (did you mean \"%s\"?)", v, sug);
        return -1;
    }
    size_t used = (size_t)snprintf(msg, len, "unknown field \"%s\" (one of", v);
    for (size_t i = 0; i < N_MASK_FIELDS && used < len; i++)
        used += (size_t)snprintf(msg + used, len - used, " \"%s\",", mask_fields[i]);
    if (used < len)
        snprintf(msg + used, len - used, " \"context.KEY\")");
    return -1;
}

static int
set_str(char **slot, const char *v)
{
    /* Keeping the old value would silently serve another ruleset or
     * audit path than the one asked for: out of memory is an error. */
    char *copy = strdup(v);
    if (copy == NULL)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

dconf_t *
dconf_new(const char *default_rules)
{
    dconf_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->endpoints[c->n_endpoints++] = strdup("tcp://127.0.0.1:7470");
    c->rules = strdup(default_rules ? default_rules : "rules");
    c->require_rules = true;
    c->log_level = strdup("info");
    /* Room for a request of the largest size plus a margin, no more:
     * libzmq reads any message under this limit whole into memory
     * before vetd can look at it. */
    c->max_request = 1L << 20;
    c->max_message = (1L << 20) + (64L << 10);
    /* Small queues: a flooding peer fills its own per-peer queue and
     * waits, while the others' requests go on being read in turn. */
    c->hwm = 1000;
    c->max_queued_replies = 20000;
    c->max_inflight = 64;
    c->drain_ms = 5000;
    c->drain_quiet_ms = 500;
    c->reload_max_shrink = 10;
    c->handshake_ms = 10000;
    c->heartbeat_ms = 10000;
    c->fd_reserve = 64;
    c->audit_path = strdup("vetd-audit.jsonl");
    c->reviews_path = strdup("vetd-reviews.cfg");
    c->audit_fsync = strdup("interval");
    c->audit_interval_ms = 200;
    c->audit_queue = 1024;
    /* No answer without its audit record: failing closed is the default. */
    c->audit_on_failure = strdup("refuse");
    if (c->endpoints[0] == NULL || c->rules == NULL || c->log_level == NULL ||
        c->audit_path == NULL || c->audit_fsync == NULL || c->audit_on_failure == NULL ||
        c->reviews_path == NULL) {
        dconf_destroy(&c);
        return NULL;
    }
    return c;
}

static void
clear_list(char **list, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free(list[i]);
        list[i] = NULL;
    }
    *n = 0;
}

void
dconf_destroy(dconf_t **cp)
{
    if (cp == NULL || *cp == NULL)
        return;
    dconf_t *c = *cp;
    clear_list(c->endpoints, &c->n_endpoints);
    clear_list(c->audit_mask, &c->n_audit_mask);
    free(c->rules);
    free(c->profile);
    free(c->log_level);
    free(c->audit_path);
    free(c->reviews_path);
    free(c->audit_fsync);
    free(c->audit_on_failure);
    free(c->curve_secret);
    free(c->curve_clients);
    free(c->curve_admins);
    free(c->user);
    free(c->pidfile);
    free(c->connect);
    free(c);
    *cp = NULL;
}

static bool
in_choices(const char *const *choices, const char *v)
{
    for (size_t i = 0; choices[i] != NULL; i++)
        if (strcmp(choices[i], v) == 0)
            return true;
    return false;
}

static void
choices_text(const char *const *choices, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; choices[i] != NULL && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"", i ? ", " : "", choices[i]);
}

/* Stores one value read from the file; reports a type or range error. */
static void
read_one(dconf_t *c, const dsetting_t *s, const config_setting_t *v, const char *file, diag_t *d)
{
    int line = cfgread_line(v);
    int t = config_setting_type(v);
    switch (s->type) {
    case T_INT:
    case T_LONG: {
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
            diag_add(d, file, line, 0, "%s: expected an integer", s->name);
            return;
        }
        long long x = config_setting_get_int64(v);
        if (t == CONFIG_TYPE_INT)
            x = config_setting_get_int(v);
        if (x < s->min || x > s->max) {
            diag_add(d, file, line, 0, "%s: %lld is out of range (%ld to %ld)", s->name, x, s->min,
                     s->max);
            return;
        }
        if (s->type == T_INT)
            *FIELD(c, s, int) = (int)x;
        else
            *FIELD(c, s, long) = (long)x;
        return;
    }
    case T_BOOL:
        if (t != CONFIG_TYPE_BOOL) {
            diag_add(d, file, line, 0, "%s: expected true or false", s->name);
            return;
        }
        *FIELD(c, s, bool) = config_setting_get_bool(v) != 0;
        return;
    case T_STR: {
        const char *str = t == CONFIG_TYPE_STRING ? config_setting_get_string(v) : NULL;
        if (str == NULL || str[0] == '\0') {
            diag_add(d, file, line, 0, "%s: expected a non-empty string", s->name);
            return;
        }
        if (s->choices != NULL && !in_choices(s->choices, str)) {
            char list[160];
            choices_text(s->choices, list, sizeof list);
            diag_add(d, file, line, 0, "%s: \"%s\" is not one of %s", s->name, str, list);
            return;
        }
        if (set_str(FIELD(c, s, char *), str) != 0)
            diag_add(d, file, line, 0, "%s: out of memory", s->name);
        return;
    }
    case T_LIST: {
        if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
            diag_add(d, file, line, 0, "%s: expected a list of strings, e.g. [\"a\", \"b\"]",
                     s->name);
            return;
        }
        int n = config_setting_length(v);
        if (n > DCONF_MAX_LIST) {
            diag_add(d, file, line, 0, "%s: at most %d entries", s->name, DCONF_MAX_LIST);
            return;
        }
        if (n < s->min) {
            diag_add(d, file, line, 0, "%s: at least %ld entr%s", s->name, s->min,
                     s->min == 1 ? "y" : "ies");
            return;
        }
        char **list = FIELD(c, s, char *);
        size_t *count = (size_t *)((char *)c + s->count_off);
        clear_list(list, count);
        for (int i = 0; i < n; i++) {
            const char *str = config_setting_get_string_elem(v, i);
            int eline = cfgread_line(config_setting_get_elem(v, (unsigned)i));
            if (str == NULL || str[0] == '\0') {
                diag_add(d, file, eline, 0, "%s: entry %d: expected a non-empty string", s->name,
                         i + 1);
                continue;
            }
            char why[512];
            if (s->check != NULL && s->check(str, why, sizeof why) != 0) {
                diag_add(d, file, eline, 0, "%s: entry %d: %s", s->name, i + 1, why);
                continue;
            }
            /* A mask entry dropped for want of memory would leave a field
             * unmasked: an error, not a skip. */
            if ((list[*count] = strdup(str)) != NULL)
                (*count)++;
            else
                diag_add(d, file, eline, 0, "%s: out of memory", s->name);
        }
        return;
    }
    }
}

/* Names allowed inside group prefix ("" for the root), NULL-terminated,
 * from the settings table. */
static size_t
members_of(const char *prefix, const char **out, size_t max)
{
    size_t n = 0, plen = strlen(prefix);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *name = settings[i].name;
        if (plen > 0 && (strncmp(name, prefix, plen) != 0 || name[plen] != '.'))
            continue;
        const char *rest = plen > 0 ? name + plen + 1 : name;
        /* At the root, "limits.hwm" contributes the group "limits". */
        const char *member = rest;
        for (size_t g = 0; g < N_GROUPS; g++)
            if (plen == 0 && strncmp(rest, groups[g], strlen(groups[g])) == 0 &&
                rest[strlen(groups[g])] == '.')
                member = groups[g];
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup = dup || strcmp(out[k], member) == 0;
        if (!dup && n + 1 < max)
            out[n++] = member;
    }
    out[n] = NULL;
    return n;
}

/* Settings that must agree: max_message_bytes leaves room for a
 * request of max_request_bytes and its framing. line is where to point
 * (0: nowhere in the file). */
static void
check_limits(const dconf_t *c, diag_t *d, const char *file, int line)
{
    if (c->max_message - c->max_request < DCONF_FRAME_OVERHEAD)
        diag_add(d, file, line, 0,
                 "limits.max_message_bytes (%ld) must be at least limits.max_request_bytes "
                 "(%ld) + %d",
                 c->max_message, c->max_request, DCONF_FRAME_OVERHEAD);
}

int
dconf_load(dconf_t *c, const char *path, diag_t *d)
{
    size_t before = diag_count(d);
    /* libconfig reports I/O errors without errno; look first. */
    struct stat st;
    if (stat(path, &st) != 0) {
        diag_add(d, path, 0, 0, "cannot read: %s", strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        diag_add(d, path, 0, 0, "cannot read: is a directory, not a configuration file");
        return -1;
    }
    config_t cfg;
    config_init(&cfg);
    if (config_read_file(&cfg, path) != CONFIG_TRUE) {
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
            diag_add(d, path, 0, 0, "cannot read: %s", strerror(errno));
        else
            diag_add(d, config_error_file(&cfg) ? config_error_file(&cfg) : path,
                     config_error_line(&cfg), 0, "%s", config_error_text(&cfg));
        config_destroy(&cfg);
        return -1;
    }
    const char *allowed[N_SETTINGS + 1];
    config_setting_t *root = config_root_setting(&cfg);
    members_of("", allowed, N_SETTINGS + 1);
    cfgread_check_members(d, path, root, allowed, "", "the daemon configuration");
    for (size_t g = 0; g < N_GROUPS; g++) {
        config_setting_t *grp = config_setting_get_member(root, groups[g]);
        if (grp == NULL)
            continue;
        if (!config_setting_is_group(grp)) {
            diag_add(d, path, cfgread_line(grp), 0, "%s: expected a group { ... }", groups[g]);
            continue;
        }
        members_of(groups[g], allowed, N_SETTINGS + 1);
        cfgread_check_members(d, path, grp, allowed, "", groups[g]);
    }
    for (size_t i = 0; i < N_SETTINGS; i++) {
        config_setting_t *v = config_lookup(&cfg, settings[i].name);
        if (v != NULL)
            read_one(c, &settings[i], v, path, d);
    }
    /* Point at whichever of the two the file sets, the larger first. */
    config_setting_t *lim = config_lookup(&cfg, "limits.max_message_bytes");
    if (lim == NULL)
        lim = config_lookup(&cfg, "limits.max_request_bytes");
    check_limits(c, d, path, cfgread_line(lim));
    config_destroy(&cfg);
    return diag_count(d) > before ? -1 : 0;
}

int
dconf_set(dconf_t *c, const char *name, const char *value, char *err, size_t errlen)
{
    const dsetting_t *s = find(name);
    if (s == NULL) {
        snprintf(err, errlen, "unknown setting \"%s\"", name);
        return -1;
    }
    switch (s->type) {
    case T_INT:
    case T_LONG: {
        char *end;
        errno = 0;
        long x = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || x < s->min || x > s->max) {
            snprintf(err, errlen, "%s: expected an integer from %ld to %ld, not \"%s\"", name,
                     s->min, s->max, value);
            return -1;
        }
        if (s->type == T_INT)
            *FIELD(c, s, int) = (int)x;
        else
            *FIELD(c, s, long) = x;
        return 0;
    }
    case T_BOOL:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
            snprintf(err, errlen, "%s: expected true or false, not \"%s\"", name, value);
            return -1;
        }
        *FIELD(c, s, bool) = strcmp(value, "true") == 0;
        return 0;
    case T_STR:
        if (value[0] == '\0') {
            snprintf(err, errlen, "%s: expected a non-empty string", name);
            return -1;
        }
        if (s->choices != NULL && !in_choices(s->choices, value)) {
            char list[160];
            choices_text(s->choices, list, sizeof list);
            snprintf(err, errlen, "%s: \"%s\" is not one of %s", name, value, list);
            return -1;
        }
        if (set_str(FIELD(c, s, char *), value) != 0) {
            snprintf(err, errlen, "%s: out of memory", name);
            return -1;
        }
        return 0;
    case T_LIST: {
        char **list = FIELD(c, s, char *);
        size_t *count = (size_t *)((char *)c + s->count_off);
        if (*count >= DCONF_MAX_LIST) {
            snprintf(err, errlen, "%s: at most %d entries", name, DCONF_MAX_LIST);
            return -1;
        }
        if (value[0] == '\0') {
            snprintf(err, errlen, "%s: expected a non-empty string", name);
            return -1;
        }
        char why[512];
        if (s->check != NULL && s->check(value, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", name, why);
            return -1;
        }
        if ((list[*count] = strdup(value)) == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        (*count)++;
        return 0;
    }
    }
    return -1;
}

int
dconf_check(const dconf_t *c, diag_t *d)
{
    size_t before = diag_count(d);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const dsetting_t *s = &settings[i];
        if (s->type != T_LIST)
            continue;
        char *const *list = FIELD(c, s, char *const);
        size_t n = *(const size_t *)((const char *)c + s->count_off);
        if (n < (size_t)s->min)
            diag_add(d, NULL, 0, 0, "%s: at least %ld entr%s", s->name, s->min,
                     s->min == 1 ? "y" : "ies");
        char why[512];
        for (size_t k = 0; k < n; k++)
            if (s->check != NULL && s->check(list[k], why, sizeof why) != 0)
                diag_add(d, NULL, 0, 0, "%s: entry %zu: %s", s->name, k + 1, why);
    }
    check_limits(c, d, NULL, 0);
    return diag_count(d) > before ? -1 : 0;
}

void
dconf_clear_list(dconf_t *c, const char *name)
{
    const dsetting_t *s = find(name);
    if (s != NULL && s->type == T_LIST)
        clear_list(FIELD(c, s, char *), (size_t *)((char *)c + s->count_off));
}

/* A string in libconfig's syntax: quotes and backslashes escaped. */
static void
print_str(const char *s, FILE *f)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void
print_value(const dconf_t *c, const dsetting_t *s, FILE *f)
{
    switch (s->type) {
    case T_INT: fprintf(f, "%d", *FIELD(c, s, int)); break;
    case T_LONG: {
        /* libconfig reads integers beyond 32 bits only with an L. */
        long v = *FIELD(c, s, long);
        fprintf(f, "%ld%s", v, v > INT_MAX || v < INT_MIN ? "L" : "");
        break;
    }
    case T_BOOL: fputs(*FIELD(c, s, bool) ? "true" : "false", f); break;
    case T_STR: print_str(*FIELD(c, s, char *), f); break;
    case T_LIST: {
        char **list = FIELD(c, s, char *);
        size_t n = *(size_t *)((char *)c + s->count_off);
        fputc('[', f);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ", " : "", f);
            print_str(list[i], f);
        }
        fputc(']', f);
        break;
    }
    }
}

void
dconf_print(const dconf_t *c, FILE *f)
{
    /* The table lists each group's settings together, so a change of
     * prefix opens or closes a group. */
    char group[16] = "";
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const dsetting_t *s = &settings[i];
        const char *dot = strchr(s->name, '.');
        char g[16] = "";
        if (dot != NULL)
            snprintf(g, sizeof g, "%.*s", (int)(dot - s->name), s->name);
        if (strcmp(g, group) != 0) {
            if (group[0] != '\0')
                fprintf(f, "};\n");
            if (g[0] != '\0')
                fprintf(f, "%s = {\n", g);
            snprintf(group, sizeof group, "%s", g);
        }
        if (s->type == T_STR && *FIELD(c, s, char *) == NULL) {
            /* Unset, and no value means the same (profile: the
             * ruleset's default_profile). */
            fprintf(f, "%s# %s: not set\n", g[0] ? "  " : "", dot ? dot + 1 : s->name);
            continue;
        }
        fprintf(f, "%s%s = ", g[0] ? "  " : "", dot ? dot + 1 : s->name);
        print_value(c, s, f);
        fputs(";\n", f);
    }
    if (group[0] != '\0')
        fprintf(f, "};\n");
}
