/* SPDX-License-Identifier: Apache-2.0 */
/* test_update.c -- vet-update end to end, with no network: a loopback HTTP
 * server of the test's own serves real-format list files
 * (tests/fixtures/import, tests/fixtures/update, the ca-sema sample) and can
 * stall, truncate a body, answer 404 or 304; vet-update keeps a versioned
 * copy of tests/fixtures/rulesets/good current; a vetd of the test's own is
 * reloaded and confirmed. Each case says what an operator would meet.
 * Needs $VETD_BIN and $VET_IMPORT_BIN (tests/run.sh sets them); vet-update
 * is $VET_UPDATE_BIN or found beside vetd. Every process the test starts
 * dies with it (PR_SET_PDEATHSIG) and is stopped at the end of its case. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "vet.h"

#define GOOD "tests/fixtures/rulesets/good"
#define V1 "tests/fixtures/update/v1" /* the first publication */
#define UPDATE_FX "tests/fixtures/update"
#define SEMA_FX "tests/fixtures/ca-sema/sema-lmes-sample.xml"
#define RUN_LIMIT_MS 60000 /* no vet-update run of these cases takes a tenth of it */
#define STALL_S 30         /* how long a stalling answer waits: past every timeout here */

/* One case's world: a directory with the server's files, the source
 * ruleset, the versioned root, and the last run's output. */
typedef struct fx {
    char dir[64];   /* /tmp/vetd-update-XXXXXX */
    char www[128];  /* what the server serves */
    char src[128];  /* the ruleset --init starts from */
    char root[128]; /* the versioned root */
    char slog[128]; /* the server's request log: "GET /path inm=... -> 200" */
    char out[128];  /* the last run's stdout */
    char err[128];  /* the last run's stderr */
    int port;       /* the server's */
    pid_t server;   /* the server process; 0 if none */
    tu_vetd_t d;    /* a vetd serving ROOT/current, if d.dir[0] */
} fx_t;

static const char *
update_bin(void)
{
    static char path[PATH_MAX];
    const char *b = getenv("VET_UPDATE_BIN");
    if (b != NULL && b[0] != '\0')
        return b;
    const char *vetd = tu_env_or("VETD_BIN", "bin/vetd");
    const char *slash = strrchr(vetd, '/');
    snprintf(path, sizeof path, "%.*svet-update", slash ? (int)(slash - vetd + 1) : 0, vetd);
    return path;
}

/* ---- the HTTP server ---------------------------------------------------- */

static uint64_t
fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

static void
send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Answers one request on fd. The path's first segment chooses the
 * behaviour: /stall/ answers nothing for STALL_S, /trunc/ announces the
 * whole length and sends half, /nolen/ sends no Content-Length, /fail/
 * answers 500; otherwise the file under www, or 404. An If-None-Match
 * equal to the file's ETag (a hash of its bytes) gets 304. */
static void
serve_one(int fd, const char *www, const char *slog)
{
    char req[8192];
    size_t n = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (n < sizeof req - 1 && poll(&p, 1, 5000) == 1) {
        ssize_t r = read(fd, req + n, sizeof req - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL)
            break;
    }
    req[n] = '\0';
    char path[512] = "", inm[256] = "-";
    sscanf(req, "GET %511s", path);
    for (char *h = strstr(req, "\r\n"); h != NULL; h = strstr(h + 2, "\r\n"))
        if (strncasecmp(h + 2, "If-None-Match:", 14) == 0)
            sscanf(h + 16, " %255[^\r\n]", inm);
    const char *mode = "", *rel = path;
    static const char *const modes[] = {"/stall/", "/trunc/", "/nolen/", "/fail/"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strncmp(path, modes[i], strlen(modes[i])) == 0) {
            mode = modes[i];
            rel = path + strlen(modes[i]) - 1;
        }
    char file[PATH_MAX], etag[40], head[512];
    snprintf(file, sizeof file, "%s%s", www, rel);
    size_t len = 0;
    char *body = strstr(rel, "..") == NULL ? tu_read_file(file, &len) : NULL;
    int status = body == NULL ? 404 : 200;
    snprintf(etag, sizeof etag, "\"%016llx\"", body ? (unsigned long long)fnv1a(body, len) : 0ULL);
    if (status == 200 && strcmp(inm, etag) == 0)
        status = 304;
    if (strcmp(mode, "/fail/") == 0)
        status = 500;
    char line[1024];
    int ln = snprintf(line, sizeof line, "GET %s inm=%s -> %d\n", path, inm, status);
    int lf = open(slog, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (lf >= 0) {
        send_all(lf, line, (size_t)ln);
        close(lf);
    }
    if (strcmp(mode, "/stall/") == 0) {
        sleep(STALL_S);
        free(body);
        return;
    }
    if (status != 200) {
        int hn = snprintf(
            head, sizeof head,
            "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nETag: %s\r\nConnection: close\r\n\r\n", status,
            status == 304   ? "Not Modified"
            : status == 404 ? "Not Found"
                            : "Error",
            etag);
        send_all(fd, head, (size_t)hn);
        free(body);
        return;
    }
    bool nolen = strcmp(mode, "/nolen/") == 0, trunc = strcmp(mode, "/trunc/") == 0;
    int hn;
    if (nolen)
        hn = snprintf(
            head, sizeof head,
            "HTTP/1.1 200 OK\r\nETag: %s\r\nLast-Modified: Sat, 01 Jan 2000 00:00:00 GMT\r\n"
            "Connection: close\r\n\r\n",
            etag);
    else
        hn =
            snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nETag: %s\r\nLast-Modified: Sat, 01 "
                     "Jan 2000 00:00:00 GMT\r\nConnection: close\r\n\r\n",
                     len, etag);
    send_all(fd, head, (size_t)hn);
    send_all(fd, body, trunc ? len / 2 : len);
    free(body);
}

/* Starts the server on 127.0.0.1, an ephemeral port (f->port). */
static void
server_start(fx_t *f)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 64), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
    f->port = ntohs(a.sin_port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGCHLD, SIG_IGN); /* no zombies */
        for (;;) {
            int c = accept(s, NULL, NULL);
            if (c < 0)
                continue;
            pid_t h = fork();
            if (h == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the server */
                close(s);
                serve_one(c, f->www, f->slog);
                close(c);
                _exit(0);
            }
            close(c);
        }
    }
    close(s);
    f->server = pid;
}

/* ---- files -------------------------------------------------------------- */

static void
copy_file(const char *from, const char *to)
{
    size_t len;
    char *d = tu_read_file(from, &len);
    assert_non_null(d);
    FILE *o = fopen(to, "wb");
    assert_non_null(o);
    assert_int_equal(fwrite(d, 1, len, o), len);
    assert_int_equal(fclose(o), 0);
    free(d);
}

/* Puts file name of fixture directory dir (or tests/fixtures/import when
 * dir has none) on the server. */
static void
serve(fx_t *f, const char *dir, const char *name)
{
    char from[PATH_MAX], to[PATH_MAX];
    struct stat st;
    snprintf(from, sizeof from, "%s/%s", dir, name);
    if (stat(from, &st) != 0)
        snprintf(from, sizeof from, "%s/%s", V1, name);
    snprintf(to, sizeof to, "%s/%s", f->www, name);
    copy_file(from, to);
}

/* The OFAC files of fixture directory dir (v1: tests/fixtures/import). */
static void
serve_sdn(fx_t *f, const char *dir)
{
    serve(f, dir, "sdn.csv");
    serve(f, dir, "alt.csv");
    serve(f, dir, "add.csv");
}

static int
count_in(const char *path, const char *what)
{
    char *t = tu_read_file(path, NULL);
    int n = 0;
    for (const char *p = t; p != NULL && (p = strstr(p, what)) != NULL; p++)
        n++;
    free(t);
    return n;
}

/* ---- running vet-update ------------------------------------------------- */

/* Runs vet-update with args (NULL-ended) and, when hook is not NULL,
 * VET_UPDATE_TEST_HOOK=hook; stdout and stderr to f->out and f->err.
 * Returns the exit code, 128 + the signal that ended it, or (background)
 * the pid of the process left running. */
static int
run_v(fx_t *f, const char *hook, bool background, const char *const *args)
{
    const char *argv[32] = {update_bin()};
    size_t n = 1;
    for (; args[n - 1] != NULL && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (hook != NULL)
            setenv("VET_UPDATE_TEST_HOOK", hook, 1);
        else
            unsetenv("VET_UPDATE_TEST_HOOK");
        unsetenv("VET_ENDPOINT");
        int o = open(f->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(f->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0)
            _exit(126);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (background)
        return pid;
    int status;
    uint64_t end = tu_now_ms() + RUN_LIMIT_MS;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (tu_now_ms() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("vet-update ran for more than %d ms", RUN_LIMIT_MS);
        }
        usleep(20000);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define run(f, ...) run_v((f), NULL, false, (const char *const[]){__VA_ARGS__, NULL})
#define run_hooked(f, hook, ...) run_v((f), (hook), false, (const char *const[]){__VA_ARGS__, NULL})

/* Prints the last run's output (for a failing assertion's context). */
static void
show(const fx_t *f)
{
    char *o = tu_read_file(f->out, NULL), *e = tu_read_file(f->err, NULL);
    print_message("--- vet-update stdout:\n%s--- stderr:\n%s---\n", o ? o : "", e ? e : "");
    free(o);
    free(e);
}

static void
expect_exit(fx_t *f, int got, int want)
{
    if (got != want)
        show(f);
    assert_int_equal(got, want);
}

/* The last run's JSON report (caller deletes it). */
static cJSON *
report(const fx_t *f)
{
    char *t = tu_read_file(f->out, NULL);
    cJSON *j = t != NULL ? cJSON_Parse(t) : NULL;
    if (j == NULL)
        show(f);
    assert_non_null(j);
    free(t);
    return j;
}

static const cJSON *
list_of(const cJSON *r, const char *id)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(r, "lists"))
    {
        if (strcmp(tu_jstr(l, "id"), id) == 0)
            return l;
    }
    fail_msg("no list %s in the report", id);
    return NULL;
}

/* True if list l reports a change of kind to organisation id (and, when
 * field is not NULL, that field among those changed). */
static bool
has_change(const cJSON *l, const char *kind, const char *id, const char *field)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(l, "changes"))
    {
        if (strcmp(tu_jstr(c, "change"), kind) != 0 || strcmp(tu_jstr(c, "id"), id) != 0)
            continue;
        if (field == NULL)
            return true;
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(c, "fields"))
        {
            if (cJSON_IsString(x) && strcmp(x->valuestring, field) == 0)
                return true;
        }
    }
    return false;
}

/* The message of the report's step name (NULL if it has none); *ok its outcome. */
static const char *
step_of(const cJSON *r, const char *name, bool *ok)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(r, "steps"))
    {
        if (strcmp(tu_jstr(s, "step"), name) == 0) {
            if (ok != NULL)
                *ok = cJSON_IsTrue(cJSON_GetObjectItem(s, "ok"));
            return tu_jstr(s, "message");
        }
    }
    return NULL;
}

static void
expect_list(const cJSON *r, const char *id, const char *status, const char *in_message)
{
    const cJSON *l = list_of(r, id);
    const char *msg = tu_jstr(l, "message");
    if (strcmp(tu_jstr(l, "status"), status) != 0 ||
        (in_message != NULL && (msg == NULL || strstr(msg, in_message) == NULL))) {
        char *t = cJSON_Print(l);
        print_message("list %s: want %s with \"%s\":\n%s\n", id, status,
                      in_message ? in_message : "", t);
        free(t);
        fail();
    }
}

/* ---- the versioned root ------------------------------------------------- */

/* The version ROOT/current names, into name (64 bytes). */
static void
current_of(const fx_t *f, char *name)
{
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof link, "%s/current", f->root);
    ssize_t n = readlink(link, target, sizeof target - 1);
    assert_true(n > 9);
    target[n] = '\0';
    assert_memory_equal(target, "versions/", 9);
    assert_true(n - 9 < 64);
    memcpy(name, target + 9, (size_t)(n - 9) + 1);
}

/* Entries of dir whose names start with prefix. */
static int
count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static int
count_versions(const fx_t *f)
{
    char v[PATH_MAX];
    snprintf(v, sizeof v, "%s/versions", f->root);
    return count_entries(v, "2");
}

/* Loads and tests ROOT/current with vetd, as vetd -r ROOT/current would. */
static void
expect_current_whole(const fx_t *f)
{
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd,
             "%s --check -r %s/current >/dev/null 2>&1 && %s --test -r %s/current >/dev/null 2>&1",
             tu_env_or("VETD_BIN", "bin/vetd"), f->root, tu_env_or("VETD_BIN", "bin/vetd"),
             f->root);
    assert_int_equal(tu_run(cmd), 0);
    /* Nothing half made is left beside it. */
    assert_int_equal(count_entries(f->root, ".staging-"), 0);
}

/* The sources.cfg of the test ruleset: us-sdn from sdn_pfx on the server
 * (with extra settings), ca-sema from sema_pfx; short timeouts, one retry. */
static void
write_sources(fx_t *f, const char *sdn_pfx, const char *sema_pfx, const char *extra)
{
    char path[PATH_MAX], text[4096];
    snprintf(path, sizeof path, "%s/sources.cfg", f->src);
    snprintf(text, sizeof text,
             "# vet-update's test sources: the test's own server on 127.0.0.1\n"
             "defaults = { connect_timeout_s = 2; timeout_s = 3; stall_timeout_s = 2;\n"
             "             retries = 1; retry_delay_s = 0; };\n"
             "lists = (\n"
             "  { id = \"us-sdn\"; registry = \"registry/sdn.cfg\"; format = \"ofac-sdn\";\n"
             "    urls = [ \"http://127.0.0.1:%d/%ssdn.csv\", \"http://127.0.0.1:%d/%salt.csv\",\n"
             "             \"http://127.0.0.1:%d/%sadd.csv\" ];\n"
             "    %s },\n"
             "  { id = \"ca-sema\"; registry = \"registry/ca-sema.cfg\"; format = \"ca-sema\";\n"
             "    urls = [ \"http://127.0.0.1:%d/%ssema-lmes.xml\" ]; }\n"
             ");\n",
             f->port, sdn_pfx, f->port, sdn_pfx, f->port, sdn_pfx, extra ? extra : "", f->port,
             sema_pfx);
    tu_write_file(path, text);
}

/* The edition vet-update records for the test server's files: the day of
 * their Last-Modified (the server's), the default maximum age. */
#define EDITION "--as-of 2000-01-01 --max-age-days 7"

/* A world: the server serving version 1 of the lists; the source ruleset
 * (the good fixture, these cases, its registry/sdn.cfg and ca-sema.cfg
 * imported by vet-import from those very files); ROOT made from it by
 * vet-update --init. */
static void
setup_with(fx_t *f, const char *sdn_pfx, const char *sema_pfx, const char *extra)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/vetd-update-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->www, sizeof f->www, "%s/www", f->dir);
    snprintf(f->src, sizeof f->src, "%s/src", f->dir);
    snprintf(f->root, sizeof f->root, "%s/root", f->dir);
    snprintf(f->slog, sizeof f->slog, "%s/server.log", f->dir);
    snprintf(f->out, sizeof f->out, "%s/out", f->dir);
    snprintf(f->err, sizeof f->err, "%s/err", f->dir);
    assert_int_equal(mkdir(f->www, 0755), 0);
    serve_sdn(f, V1);
    char cmd[PATH_MAX * 3], to[PATH_MAX];
    snprintf(to, sizeof to, "%s/sema-lmes.xml", f->www);
    copy_file(SEMA_FX, to);
    server_start(f);
    const char *imp = tu_env_or("VET_IMPORT_BIN", "bin/vet-import");
    snprintf(cmd, sizeof cmd,
             "cp -R %s %s && cp %s/cases.cfg %s/tests/cases.cfg && rm -f %s/registry/sdn.cfg && "
             "%s " EDITION " --format ofac-sdn %s/sdn.csv %s/alt.csv %s/add.csv > "
             "%s/registry/sdn.cfg 2>/dev/null && "
             "%s " EDITION " --format ca-sema %s > %s/registry/ca-sema.cfg 2>/dev/null",
             GOOD, f->src, UPDATE_FX, f->src, f->src, imp, f->www, f->www, f->www, f->src, imp, to,
             f->src);
    assert_int_equal(tu_run(cmd), 0);
    write_sources(f, sdn_pfx, sema_pfx, extra);
    expect_exit(f, run(f, "--init", f->root, "--from", f->src), 0);
}

static void
setup(fx_t *f)
{
    setup_with(f, "", "", NULL);
}

static void
teardown(fx_t *f)
{
    if (f->d.dir[0] != '\0')
        tu_vetd_cleanup(&f->d);
    if (f->server > 0) {
        kill(f->server, SIGKILL);
        waitpid(f->server, NULL, 0);
        f->server = 0;
    }
    if (f->dir[0] != '\0')
        tu_remove_tree(f->dir);
    memset(f, 0, sizeof *f);
}

/* CMocka's per-case setup and teardown: a zeroed world in *state, torn
 * down whatever the case did (a failed assertion included). */
static int
fx_new(void **state)
{
    *state = calloc(1, sizeof(fx_t));
    return *state != NULL ? 0 : -1;
}

static int
fx_free(void **state)
{
    teardown(*state);
    free(*state);
    return 0;
}

/* Every list line of the example report of docs/OPERATIONS.md (the
 * us-sdn line, its organisations) is in the last run's text report. */
static void
expect_doc_report(fx_t *f)
{
    char cmd[PATH_MAX], path[PATH_MAX];
    snprintf(cmd, sizeof cmd, "sh tests/extract-doc-files.sh docs/OPERATIONS.md %s/doc", f->dir);
    assert_int_equal(tu_run(cmd), 0);
    snprintf(path, sizeof path, "%s/doc/report.txt", f->dir);
    char *doc = tu_read_file(path, NULL), *out = tu_read_file(f->out, NULL);
    assert_non_null(doc);
    assert_non_null(out);
    int checked = 0;
    for (char *line = strtok(doc, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strncmp(line, "us-sdn ", 7) != 0 && strncmp(line, "  + ", 4) != 0 &&
            strncmp(line, "  - ", 4) != 0 && strncmp(line, "  ~ ", 4) != 0)
            continue;
        if (strstr(out, line) == NULL) {
            show(f);
            fail_msg("docs/OPERATIONS.md's report line \"%s\" is not what vet-update prints", line);
        }
        checked++;
    }
    assert_int_equal(checked, 4);
    free(doc);
    free(out);
}

/* ---- the cases ---------------------------------------------------------- */

/* The everyday path: the same files again (nothing new, the validators
 * recorded), then a conditional request answered 304 (nothing new), then
 * a new publication: organisations added, removed and changed, reported
 * by id; a new version installed and current switched; --keep honoured. */
static void
test_update_report(void **state)
{
    fx_t *f = *state;
    setup(f);
    char v1[64], v2[64];
    current_of(f, v1);

    expect_exit(f, run(f, "--json", "--no-reload", f->root), 0);
    cJSON *r = report(f);
    assert_string_equal(tu_jstr(r, "result"), "nothing new");
    expect_list(r, "us-sdn", "unchanged", "the same registry file");
    expect_list(r, "ca-sema", "unchanged", "the same registry file");
    cJSON_Delete(r);

    expect_exit(f, run(f, "--json", "--no-reload", f->root), 0);
    r = report(f);
    expect_list(r, "us-sdn", "unchanged", "not modified");
    cJSON_Delete(r);
    /* The second run asked with the ETag of the first and got 304. */
    assert_int_equal(count_in(f->slog, "GET /sdn.csv inm=-"), 1);
    assert_int_equal(count_in(f->slog, "GET /sdn.csv inm=\""), 1);
    assert_true(count_in(f->slog, "-> 304") >= 4);

    serve_sdn(f, UPDATE_FX "/v2");
    /* docs/OPERATIONS.md's example report is this update's. */
    expect_exit(f, run(f, "--dry-run", "--no-reload", f->root), 10);
    expect_doc_report(f);
    expect_exit(f, run(f, "--json", "--no-reload", "--keep", "1", f->root), 10);
    r = report(f);
    assert_string_equal(tu_jstr(r, "result"), "updated");
    assert_int_equal((int)tu_jnum(r, "exit"), 10);
    const cJSON *l = list_of(r, "us-sdn");
    assert_string_equal(tu_jstr(l, "status"), "updated");
    assert_true(has_change(l, "removed", "sdn-306", NULL));
    assert_true(has_change(l, "added", "sdn-4633", NULL));
    assert_true(has_change(l, "changed", "sdn-36", "name"));
    assert_false(has_change(l, "changed", "sdn-9750", NULL));
    /* sdn-1572's line in sdn.csv moved (sdn-306, before it, left): its
     * source cites the record's ent_num, not the line, so it is unchanged. */
    assert_false(has_change(l, "changed", "sdn-1572", NULL));
    assert_int_equal((int)tu_jnum(l, "added"), 1);
    assert_int_equal((int)tu_jnum(l, "removed"), 1);
    assert_int_equal((int)tu_jnum(l, "after"), (int)tu_jnum(l, "before"));
    expect_list(r, "ca-sema", "unchanged", "not modified");
    bool ok = false;
    assert_non_null(step_of(r, "check", &ok));
    assert_true(ok);
    assert_non_null(step_of(r, "tests", &ok));
    assert_true(ok);
    current_of(f, v2);
    assert_string_not_equal(v1, v2);
    char want[80];
    snprintf(want, sizeof want, "versions/%s", v2);
    assert_string_equal(tu_jstr(r, "installed"), want);
    /* The directory's name carries the digest vetd will report. */
    assert_memory_equal(v2 + 17, tu_jstr(r, "digest"), 12);
    cJSON_Delete(r);
    expect_current_whole(f);
    assert_int_equal(count_versions(f), 2);

    /* The installed registry file is byte for byte what vet-import makes. */
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd,
             "%s " EDITION " --format ofac-sdn %s/sdn.csv %s/alt.csv %s/add.csv 2>/dev/null | "
             "cmp -s - "
             "%s/current/registry/sdn.cfg",
             tu_env_or("VET_IMPORT_BIN", "bin/vet-import"), f->www, f->www, f->www, f->root);
    assert_int_equal(tu_run(cmd), 0);

    /* The text report names the changes too. */
    serve(f, V1, "sdn.csv");
    expect_exit(f, run(f, "--no-reload", "--keep", "1", "--force", f->root), 10);
    char *text = tu_read_file(f->out, NULL);
    assert_non_null(strstr(text, "us-sdn"));
    assert_non_null(strstr(text, "+ sdn-306  BANCO NACIONAL DE CUBA"));
    assert_non_null(strstr(text, "- sdn-4633  BANK MASKAN"));
    assert_non_null(strstr(text, "result     updated (exit 10)"));
    free(text);
    /* --keep 1: current and one more. */
    assert_int_equal(count_versions(f), 2);
    teardown(f);
}

/* --dry-run downloads, imports, checks and tests, and installs nothing. */
static void
test_update_dry_run(void **state)
{
    fx_t *f = *state;
    setup(f);
    char v1[64], now[64];
    current_of(f, v1);
    serve_sdn(f, UPDATE_FX "/v2");
    expect_exit(f, run(f, "--json", "--dry-run", "--no-reload", f->root), 10);
    cJSON *r = report(f);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r, "dry_run")));
    assert_true(has_change(list_of(r, "us-sdn"), "added", "sdn-4633", NULL));
    cJSON_Delete(r);
    current_of(f, now);
    assert_string_equal(v1, now);
    assert_int_equal(count_versions(f), 1);
    expect_current_whole(f);
    /* It recorded nothing: the real run still downloads and installs. */
    expect_exit(f, run(f, "--no-reload", f->root), 10);
    teardown(f);
}

/* A file the server does not have: the list failed (exit 1), the other
 * list is still checked, nothing is installed. */
static void
test_update_not_found(void **state)
{
    fx_t *f = *state;
    setup_with(f, "", "gone/", NULL);
    char v1[64], now[64];
    current_of(f, v1);
    serve_sdn(f, UPDATE_FX "/v2");
    expect_exit(f, run(f, "--json", "--no-reload", f->root), 1);
    cJSON *r = report(f);
    expect_list(r, "ca-sema", "failed", "HTTP 404");
    /* The exit code is the worst outcome; us-sdn was installed. */
    expect_list(r, "us-sdn", "updated", NULL);
    assert_string_equal(tu_jstr(r, "result"), "failed");
    cJSON_Delete(r);
    current_of(f, now);
    assert_string_not_equal(v1, now);
    expect_current_whole(f);
    teardown(f);
}

/* A body cut short (the connection closes before Content-Length bytes):
 * retried, then failed; nothing installed. */
static void
test_update_truncated_transfer(void **state)
{
    fx_t *f = *state;
    setup_with(f, "trunc/", "", NULL);
    char v1[64], now[64];
    current_of(f, v1);
    expect_exit(f, run(f, "--json", "--no-reload", f->root), 1);
    cJSON *r = report(f);
    expect_list(r, "us-sdn", "failed", "truncated");
    expect_list(r, "us-sdn", "failed", "2 attempts");
    cJSON_Delete(r);
    assert_int_equal(count_in(f->slog, "GET /trunc/sdn.csv"), 2);
    current_of(f, now);
    assert_string_equal(v1, now);
    expect_current_whole(f);
    teardown(f);
}

/* A file that arrives whole by HTTP but is itself cut (half an XML
 * document), and a CSV with a broken quote: neither imports; refused. */
static void
test_update_malformed(void **state)
{
    fx_t *f = *state;
    setup(f);
    char v1[64], now[64], path[PATH_MAX];
    current_of(f, v1);
    size_t len;
    char *xml = tu_read_file(SEMA_FX, &len);
    assert_non_null(xml);
    xml[len / 2] = '\0';
    snprintf(path, sizeof path, "%s/sema-lmes.xml", f->www);
    tu_write_file(path, xml);
    free(xml);
    snprintf(path, sizeof path, "%s/sdn.csv", f->www);
    tu_write_file(path, "36,\"AEROCARIBBEAN AIRLINES,-0- ,\"CUBA\",-0- \r\n306,\"BANCO\r\n");
    expect_exit(f, run(f, "--json", "--no-reload", f->root), 20);
    cJSON *r = report(f);
    expect_list(r, "ca-sema", "refused", "does not import");
    expect_list(r, "us-sdn", "refused", "does not import");
    assert_string_equal(tu_jstr(r, "result"), "refused");
    cJSON_Delete(r);
    current_of(f, now);
    assert_string_equal(v1, now);
    expect_current_whole(f);
    teardown(f);
}

/* A file over max_bytes is refused, whether the server announces its
 * length or not. */
static void
test_update_size_cap(void **state)
{
    fx_t *f = *state;
    static const char *const pfx[] = {"", "nolen/"};
    for (size_t i = 0; i < 2; i++) {
        setup_with(f, pfx[i], "", "max_bytes = 100;");
        serve_sdn(f, UPDATE_FX "/v2");
        expect_exit(f, run(f, "--json", "--no-reload", f->root), 20);
        cJSON *r = report(f);
        expect_list(r, "us-sdn", "refused", "larger than max_bytes (100 bytes)");
        cJSON_Delete(r);
        assert_int_equal(count_versions(f), 1);
        expect_current_whole(f);
        teardown(f);
    }
}

/* A server that accepts and never answers: the timeout ends each attempt;
 * the run fails in bounded time. */
static void
test_update_stall(void **state)
{
    fx_t *f = *state;
    setup_with(f, "stall/", "", NULL);
    uint64_t t0 = tu_now_ms();
    expect_exit(f, run(f, "--json", "--no-reload", f->root), 1);
    uint64_t took = tu_now_ms() - t0;
    cJSON *r = report(f);
    expect_list(r, "us-sdn", "failed", "timed out");
    cJSON_Delete(r);
    /* Two attempts of at most timeout_s = 3 s each. */
    assert_true(took < 15000);
    assert_int_equal(count_in(f->slog, "GET /stall/sdn.csv"), 2);
    expect_current_whole(f);
    teardown(f);
}

/* Half the list gone is refused; --force installs it. */
static void
test_update_shrink(void **state)
{
    fx_t *f = *state;
    setup(f);
    char v1[64], now[64];
    current_of(f, v1);
    serve(f, UPDATE_FX "/shrunk", "sdn.csv");
    expect_exit(f, run(f, "--json", "--no-reload", f->root), 20);
    cJSON *r = report(f);
    expect_list(r, "us-sdn", "refused", "max_shrink_percent");
    cJSON_Delete(r);
    current_of(f, now);
    assert_string_equal(v1, now);
    /* The refusal recorded nothing: the next run refuses again. */
    expect_exit(f, run(f, "--json", "--no-reload", f->root), 20);
    expect_exit(f, run(f, "--json", "--no-reload", "--force", f->root), 10);
    r = report(f);
    assert_true(has_change(list_of(r, "us-sdn"), "removed", "sdn-36", NULL));
    assert_true(has_change(list_of(r, "us-sdn"), "removed", "sdn-306", NULL));
    cJSON_Delete(r);
    current_of(f, now);
    assert_string_not_equal(v1, now);
    expect_current_whole(f);
    teardown(f);
}

/* The staging copy that does not load (a rule names a list left with no
 * organisation), and one whose own tests fail: both refused, nothing
 * installed. */
static void
test_update_check_and_test_failures(void **state)
{
    fx_t *f = *state;
    setup(f);
    char v1[64], now[64];
    current_of(f, v1);
    serve(f, UPDATE_FX "/empty", "sdn.csv");
    expect_exit(f, run(f, "--json", "--no-reload", "--force", f->root), 20);
    cJSON *r = report(f);
    bool ok = true;
    const char *msg = step_of(r, "check", &ok);
    assert_non_null(msg);
    assert_false(ok);
    assert_non_null(strstr(msg, "not installed"));
    assert_null(step_of(r, "install", NULL));
    cJSON_Delete(r);

    serve(f, UPDATE_FX "/renamed", "sdn.csv");
    expect_exit(f, run(f, "--json", "--no-reload", f->root), 20);
    r = report(f);
    assert_non_null(step_of(r, "check", &ok));
    assert_true(ok);
    msg = step_of(r, "tests", &ok);
    assert_non_null(msg);
    assert_false(ok);
    assert_non_null(strstr(msg, "an SDN entity by its listed name"));
    cJSON_Delete(r);
    current_of(f, now);
    assert_string_equal(v1, now);
    assert_int_equal(count_versions(f), 1);
    expect_current_whole(f);
    teardown(f);
}

/* kill -9 at every step of an update: current always names a complete
 * version (the old one, or the new one once switched), and the next run
 * cleans up and finishes the job. */
static void
test_update_killed(void **state)
{
    fx_t *f = *state;
    static const struct {
        const char *step;
        bool switched; /* current names the new version after the kill */
    } steps[] = {{"staged", false},  {"downloaded", false}, {"imported", false},
                 {"checked", false}, {"installed", false},  {"linked", false},
                 {"switched", true}, {"saved", true}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        setup(f);
        char v1[64], now[64], hook[64];
        current_of(f, v1);
        serve_sdn(f, UPDATE_FX "/v2");
        snprintf(hook, sizeof hook, "%s:kill", steps[i].step);
        int rc = run_hooked(f, hook, "--no-reload", f->root);
        if (rc != 128 + SIGKILL)
            print_message("step %s\n", steps[i].step);
        expect_exit(f, rc, 128 + SIGKILL);
        current_of(f, now);
        assert_int_equal(strcmp(v1, now) != 0, steps[i].switched);
        char cmd[PATH_MAX];
        snprintf(cmd, sizeof cmd, "%s --check -r %s/current >/dev/null 2>&1",
                 tu_env_or("VETD_BIN", "bin/vetd"), f->root);
        assert_int_equal(tu_run(cmd), 0);
        /* The next run: installs if the killed one had not switched,
         * else finds nothing new; either way leaves nothing behind. */
        expect_exit(f, run(f, "--json", "--no-reload", f->root), steps[i].switched ? 0 : 10);
        cJSON *r = report(f);
        assert_true(has_change(list_of(r, "us-sdn"), "added", "sdn-4633", NULL) ==
                    !steps[i].switched);
        cJSON_Delete(r);
        expect_current_whole(f);
        assert_int_equal(count_entries(f->root, ".current.tmp-"), 0);
        teardown(f);
    }
}

/* The same from outside: vet-update paused in the middle (as by a stalled
 * download), then kill -9. */
static void
test_update_killed_from_outside(void **state)
{
    fx_t *f = *state;
    setup(f);
    char v1[64], now[64];
    current_of(f, v1);
    serve_sdn(f, UPDATE_FX "/v2");
    pid_t pid =
        run_v(f, "imported:pause", true, (const char *const[]){"--no-reload", f->root, NULL});
    uint64_t end = tu_now_ms() + 20000;
    while (count_in(f->err, "paused at imported") == 0 && tu_now_ms() < end)
        usleep(20000);
    assert_int_equal(count_in(f->err, "paused at imported"), 1);
    assert_int_equal(count_entries(f->root, ".staging-"), 1);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    current_of(f, now);
    assert_string_equal(v1, now);
    expect_exit(f, run(f, "--no-reload", f->root), 10);
    expect_current_whole(f);
    teardown(f);
}

/* Reads the digest vetd serves. */
static void
served(const tu_vetd_t *d, char *digest)
{
    vet_client_t *c = vet_client_new(d->ep);
    assert_non_null(c);
    cJSON *j = tu_call(c, "{\"id\":\"v\",\"op\":\"version\"}");
    const char *s = tu_jstr(j, "ruleset.digest");
    assert_non_null(s);
    snprintf(digest, 65, "%s", s);
    cJSON_Delete(j);
    vet_client_destroy(&c);
}

/* A vetd serving ROOT/current: an update reloads it and `version`
 * confirms the new digest; a rollback takes it back (and the content
 * rolled back from is not installed again by itself); a run killed
 * between the switch and the reload is caught up by the next one. */
static void
test_update_daemon(void **state)
{
    fx_t *f = *state;
    setup(f);
    tu_vetd_t *d = &f->d;
    char cur[PATH_MAX], v1[64], v2[64], dg[65];
    assert_int_equal(tu_vetd_init(d, "update"), 0);
    snprintf(cur, sizeof cur, "%s/current", f->root);
    const char *args[] = {"-r", cur, "-e", d->ep, "-a", d->audit, "-w", "1", NULL};
    assert_int_equal(tu_vetd_spawn(d, args), 0);
    assert_int_equal(tu_vetd_wait(d), 0);
    current_of(f, v1);
    served(d, dg);
    assert_memory_equal(dg, v1 + 17, 12);

    serve_sdn(f, UPDATE_FX "/v2");
    expect_exit(f, run(f, "--json", "-e", d->ep, f->root), 10);
    cJSON *r = report(f);
    bool ok = false;
    const char *msg = step_of(r, "vetd", &ok);
    assert_non_null(msg);
    assert_true(ok);
    assert_non_null(strstr(msg, "confirms digest"));
    served(d, dg);
    assert_string_equal(dg, tu_jstr(r, "digest"));
    cJSON_Delete(r);
    current_of(f, v2);

    /* Back to the version before. */
    expect_exit(f, run(f, "--json", "--rollback", "-e", d->ep, f->root), 0);
    r = report(f);
    assert_string_equal(tu_jstr(r, "result"), "rolled back");
    assert_non_null(step_of(r, "vetd", &ok));
    assert_true(ok);
    cJSON_Delete(r);
    current_of(f, cur);
    assert_string_equal(cur, v1);
    served(d, dg);
    assert_memory_equal(dg, v1 + 17, 12);
    /* The publisher still has v2: not reinstalled without --force. */
    expect_exit(f, run(f, "--json", "-e", d->ep, f->root), 20);
    r = report(f);
    msg = step_of(r, "install", &ok);
    assert_non_null(msg);
    assert_false(ok);
    assert_non_null(strstr(msg, "rolled back from"));
    cJSON_Delete(r);
    served(d, dg);
    assert_memory_equal(dg, v1 + 17, 12);

    /* --force installs it, but the run dies before the reload... */
    expect_exit(f, run_hooked(f, "switched:kill", "--force", "-e", d->ep, f->root), 128 + SIGKILL);
    current_of(f, cur);
    assert_string_not_equal(cur, v1);
    served(d, dg);
    assert_memory_equal(dg, v1 + 17, 12);
    /* ...and the next run, finding nothing new, reloads vetd. */
    expect_exit(f, run(f, "--json", "-e", d->ep, f->root), 0);
    r = report(f);
    msg = step_of(r, "vetd", &ok);
    assert_non_null(msg);
    assert_true(ok);
    cJSON_Delete(r);
    served(d, dg);
    assert_memory_equal(dg, cur + 17, 12);

    assert_int_equal(tu_vetd_stop(d), 0);
    tu_vetd_cleanup(d);
    teardown(f);
}

/* vetd refusing the reload (its own shrink gate, tighter than the
 * list's): current goes back to what vetd serves; exit 20. */
static void
test_update_daemon_refuses(void **state)
{
    fx_t *f = *state;
    setup_with(f, "", "", "max_shrink_percent = 60;");
    tu_vetd_t *d = &f->d;
    char cur[PATH_MAX], v1[64], dg[65];
    assert_int_equal(tu_vetd_init(d, "update"), 0);
    snprintf(cur, sizeof cur, "%s/current", f->root);
    const char *args[] = {"-r", cur, "-e", d->ep, "-a", d->audit, "-w", "1", NULL};
    assert_int_equal(tu_vetd_spawn(d, args), 0);
    assert_int_equal(tu_vetd_wait(d), 0);
    current_of(f, v1);
    serve(f, UPDATE_FX "/shrunk", "sdn.csv");
    expect_exit(f, run(f, "--json", "-e", d->ep, f->root), 20);
    cJSON *r = report(f);
    bool ok = true;
    const char *msg = step_of(r, "vetd", &ok);
    assert_non_null(msg);
    assert_false(ok);
    assert_non_null(strstr(msg, "refused the reload"));
    assert_non_null(step_of(r, "rollback", &ok));
    assert_true(ok);
    cJSON_Delete(r);
    current_of(f, cur);
    assert_string_equal(cur, v1);
    assert_int_equal(count_versions(f), 1);
    served(d, dg);
    assert_memory_equal(dg, v1 + 17, 12);
    assert_int_equal(tu_vetd_stop(d), 0);
    tu_vetd_cleanup(d);
    teardown(f);
}

/* Usage errors (64), a plain directory, a bad sources file (file:line). */
static void
test_update_usage(void **state)
{
    fx_t *f = *state;
    setup(f);
    expect_exit(f, run(f, "--no-reload", "--list", "us-sdm", f->root), 64);
    assert_int_equal(count_in(f->err, "did you mean \"us-sdn\"?"), 1);
    expect_exit(f, run(f, "--no-reload", f->root, f->root), 64);
    expect_exit(f, run(f, "--init", f->root), 64);
    expect_exit(f, run(f, "--no-reload", f->src), 1);
    assert_int_equal(count_in(f->err, "not a versioned ruleset"), 1);
    expect_exit(f, run(f, "--init", f->root, "--from", f->src), 1);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/bad.cfg", f->dir);
    tu_write_file(
        path, "lists = (\n  { id = \"x\"; registry = \"registry/x.cfg\"; format = \"ofac-sdm\";\n"
              "    urls = [ \"http://example.org/sdn.csv\" ]; }\n);\n");
    expect_exit(f, run(f, "--check-sources", path), 1);
    assert_int_equal(
        count_in(f->err,
                 "bad.cfg:2: list \"x\": unknown format \"ofac-sdm\" (did you mean \"ofac-sdn\"?)"),
        1);
    assert_int_equal(count_in(f->err, "bad.cfg:3: list \"x\": urls[0]"), 1);
    /* Only one list: the other is not even asked for. */
    expect_exit(f, run(f, "--json", "--no-reload", "--list", "us-sdn", f->root), 0);
    cJSON *r = report(f);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "lists")), 1);
    cJSON_Delete(r);
    assert_int_equal(count_in(f->slog, "sema-lmes.xml"), 0);
    /* The default ruleset's own sources file is valid, and so is the
     * example of docs/OPERATIONS.md. */
    expect_exit(f, run(f, "--check-sources", "rules/sources.cfg"), 0);
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "sh tests/extract-doc-files.sh docs/OPERATIONS.md %s/doc", f->dir);
    assert_int_equal(tu_run(cmd), 0);
    snprintf(path, sizeof path, "%s/doc/sources.cfg", f->dir);
    expect_exit(f, run(f, "--check-sources", path), 0);
    teardown(f);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_update_report, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_dry_run, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_not_found, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_truncated_transfer, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_malformed, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_size_cap, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_stall, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_shrink, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_check_and_test_failures, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_killed, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_killed_from_outside, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_daemon, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_daemon_refuses, fx_new, fx_free),
        cmocka_unit_test_setup_teardown(test_update_usage, fx_new, fx_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
