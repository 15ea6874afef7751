/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.c -- what the C test programs share: files, clocks, commands and a vetd of their own. */
/* nftw and its FTW_* flags are XSI. */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "diag.h"
#include "mclock.h"
#include "ruleset.h"
#include "sbuf.h"
#include "testutil.h"
#include "vec.h"

#define TU_START_MS 10000 /* how long a daemon may take to answer */
#define TU_STOP_MS 10000  /* how long it may take to exit on SIGTERM */
#define TU_PING_MS 200    /* one ping's wait for its reply */
#define TU_MAX_ARGS 30    /* arguments tu_vetd_spawn passes */

const char *
tu_env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : dflt;
}

uint64_t
tu_now_ms(void)
{
    /* The daemon's own clock; unsigned for the tests' deadline sums. */
    return (uint64_t)mclock_ms();
}

char *
tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    /* Read to the end rather than trust the size: a file another process
     * (the daemon) is still appending to may grow meanwhile. */
    size_t cap = 0, n = 0, got;
    char *s = NULL;
    for (;;) {
        /* Room for at least one byte more and the NUL. */
        if (vec_grow(&s, &cap, n + 2, 1, 4096) != 0) {
            free(s);
            s = NULL;
            break;
        }
        if ((got = fread(s + n, 1, cap - n - 1, f)) == 0)
            break;
        n += got;
    }
    if (s != NULL && ferror(f)) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s == NULL)
        return NULL;
    s[n] = '\0';
    if (len != NULL)
        *len = n;
    return s;
}

void
tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("%s: cannot open for writing", path);
    size_t n = strlen(text);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

int
tu_run(const char *cmd)
{
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

tu_out_t
tu_sh(const char *cmd)
{
    char out[] = "/tmp/vet-sh-out-XXXXXX", err[] = "/tmp/vet-sh-err-XXXXXX";
    int fo = mkstemp(out), fe = mkstemp(err);
    if (fo >= 0)
        close(fo);
    if (fe >= 0)
        close(fe);
    size_t n = strlen(cmd) + sizeof out + sizeof err + 32;
    char *full = malloc(n);
    int st = -1;
    if (full != NULL && fo >= 0 && fe >= 0) {
        snprintf(full, n, "{ %s\n} > %s 2> %s", cmd, out, err);
        st = tu_run(full);
    }
    free(full);
    char *o = fo >= 0 ? tu_read_file(out, NULL) : NULL,
         *e = fe >= 0 ? tu_read_file(err, NULL) : NULL;
    tu_out_t r = {st, o != NULL ? o : strdup(""), e != NULL ? e : strdup("")};
    if (fo >= 0)
        unlink(out);
    if (fe >= 0)
        unlink(err);
    return r;
}

void
tu_out_free(tu_out_t *o)
{
    free(o->out);
    free(o->err);
    o->out = o->err = NULL;
}

void
tu_out_expect(tu_out_t *o, int status, const char *in_out, const char *in_err)
{
    if (o->status != status || (in_out && !strstr(o->out, in_out)) ||
        (in_err && !strstr(o->err, in_err)))
        fail_msg("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwanted in stdout: %s\n"
                 "wanted in stderr: %s",
                 o->status, status, o->out, o->err, in_out ? in_out : "-", in_err ? in_err : "-");
    tu_out_free(o);
}

int
tu_vetd_init(tu_vetd_t *d, const char *tag)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "/tmp/vetd-%s-XXXXXX", tag);
    if (mkdtemp(d->dir) == NULL) {
        d->dir[0] = '\0';
        return -1;
    }
    snprintf(d->ep, sizeof d->ep, "ipc://%s/sock", d->dir);
    snprintf(d->log, sizeof d->log, "%s/vetd.log", d->dir);
    snprintf(d->audit, sizeof d->audit, "%s/audit.jsonl", d->dir);
    snprintf(d->rules, sizeof d->rules, "%s/rules", d->dir);
    snprintf(d->cfg, sizeof d->cfg, "%s/vetd.cfg", d->dir);
    snprintf(d->reviews, sizeof d->reviews, "%s/reviews.cfg", d->dir);
    return 0;
}

int
tu_vetd_spawn(tu_vetd_t *d, const char *const *args)
{
    const char *argv[TU_MAX_ARGS + 8];
    size_t n = 0;
    char nofile[64];
    if (d->rlim_nofile > 0) {
        /* Through prlimit(1) rather than setrlimit in the child: under
         * valgrind (make valgrind runs the tests in it) the child's
         * setrlimit(RLIMIT_NOFILE) only changes valgrind's own record. */
        snprintf(nofile, sizeof nofile, "--nofile=%ld:%ld", d->rlim_nofile, d->rlim_nofile);
        argv[n++] = "/usr/bin/prlimit";
        argv[n++] = nofile;
        argv[n++] = "--";
    }
    argv[n++] = tu_env_or("VETD_BIN", "bin/vetd");
    bool own_reviews = false, own_user = false;
    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        if (n > TU_MAX_ARGS + 2)
            return -1;
        own_reviews |= strncmp(args[i], "--reviews", 9) == 0 || strcmp(args[i], "-c") == 0;
        own_user |= strncmp(args[i], "--user", 6) == 0 || strcmp(args[i], "--allow-root") == 0;
        argv[n++] = args[i];
    }
    if (!own_reviews && d->reviews[0] != '\0') {
        argv[n++] = "--reviews";
        argv[n++] = d->reviews;
    }
    /* vetd refuses to serve as root without being told (the tests run
     * as root on CI): say it, unless the test chose a user. */
    if (!own_user && geteuid() == 0)
        argv[n++] = "--allow-root";
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Never outlive the test, whatever happens to it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (d->rlim_fsize > 0) {
            /* Soft only: a test can give the disk room again (prlimit). */
            struct rlimit rl;
            getrlimit(RLIMIT_FSIZE, &rl);
            rl.rlim_cur = (rlim_t)d->rlim_fsize;
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    d->pid = pid;
    return 0;
}

/* One ping through a fresh REQ socket: true if {"ok":true} came back
 * within TU_PING_MS. A fresh socket each time, since a REQ socket that
 * got no reply cannot send again. Raw ZeroMQ rather than libvet keeps
 * this module linkable into tests that do not link the client. */
static bool
ping_once(void *ctx, const char *ep)
{
    void *s = zmq_socket(ctx, ZMQ_REQ);
    if (s == NULL)
        return false;
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    bool up = false;
    static const char ping[] = "{\"op\":\"ping\"}";
    if (zmq_connect(s, ep) == 0 && zmq_send(s, ping, sizeof ping - 1, 0) >= 0) {
        zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, TU_PING_MS) == 1) {
            char buf[256];
            int n = zmq_recv(s, buf, sizeof buf - 1, 0);
            /* zmq_recv gives the message's size, even past buf. */
            if (n > (int)sizeof buf - 1)
                n = (int)sizeof buf - 1;
            if (n > 0) {
                buf[n] = '\0';
                up = strstr(buf, "\"ok\":true") != NULL;
            }
        }
    }
    zmq_close(s);
    return up;
}

static void
print_log(const tu_vetd_t *d, const char *what)
{
    char *log = tu_read_file(d->log, NULL);
    fprintf(stderr, "vetd %s:\n%s\n", what, log != NULL ? log : "");
    free(log);
}

int
tu_vetd_wait(tu_vetd_t *d)
{
    void *ctx = zmq_ctx_new();
    if (ctx == NULL) {
        fprintf(stderr, "zmq_ctx_new: %s\n", zmq_strerror(zmq_errno()));
        return -1;
    }
    uint64_t end = tu_now_ms() + TU_START_MS;
    int rc = -1;
    while (rc != 0 && tu_now_ms() < end) {
        if (ping_once(ctx, d->ep)) {
            rc = 0;
        } else if (d->pid > 0 && waitpid(d->pid, NULL, WNOHANG) == d->pid) {
            d->pid = 0;
            print_log(d, "exited at start-up");
            break;
        }
    }
    if (rc != 0 && d->pid > 0)
        print_log(d, "did not answer ping within 10 s");
    zmq_ctx_term(ctx);
    return rc;
}

int
tu_vetd_stop(tu_vetd_t *d)
{
    if (d->pid <= 0)
        return -1;
    kill(d->pid, SIGTERM);
    int st = 0;
    uint64_t end = tu_now_ms() + TU_STOP_MS;
    pid_t r;
    while ((r = waitpid(d->pid, &st, WNOHANG)) == 0 && tu_now_ms() < end)
        usleep(10000);
    if (r == 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, &st, 0);
        d->pid = 0;
        return -2;
    }
    d->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int
tu_remove_tree(const char *path)
{
    /* Depth first, so a directory is empty when its turn comes; links are
     * removed, not followed. */
    return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tu_ruleset_errors(const char *dir)
{
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(dir, d);
    assert_null(rs);
    sbuf_t b = SBUF_INIT;
    size_t dl = strlen(dir);
    for (size_t i = 0; diag_get(d, i) != NULL; i++) {
        const char *m = diag_get(d, i), *p;
        while ((p = strstr(m, dir)) != NULL) {
            sbuf_append(&b, m, (size_t)(p - m));
            sbuf_puts(&b, "D");
            m = p + dl;
        }
        sbuf_printf(&b, "%s\n", m);
    }
    diag_destroy(&d);
    return sbuf_take(&b);
}

tu_rsdir_t *
tu_rsdir_new(const char *tag)
{
    tu_rsdir_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    snprintf(t->path, sizeof t->path, "/tmp/vet-test-%.16s-XXXXXX", tag);
    if (mkdtemp(t->path) == NULL) {
        free(t);
        return NULL;
    }
    char reg[128];
    snprintf(reg, sizeof reg, "%s/registry", t->path);
    if (mkdir(reg, 0700) != 0) {
        tu_rsdir_destroy(&t);
        return NULL;
    }
    return t;
}

int
tu_rsdir_destroy(tu_rsdir_t **dp)
{
    if (dp == NULL || *dp == NULL)
        return 0;
    int rc = tu_remove_tree((*dp)->path);
    free(*dp);
    *dp = NULL;
    return rc == 0 ? 0 : -1;
}

void
tu_rsdir_put(const tu_rsdir_t *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir->path, name);
    tu_write_file(path, text);
}

ruleset_t *
tu_rsdir_load(const tu_rsdir_t *dir)
{
    diag_t *d = diag_new(0);
    ruleset_t *rs = ruleset_load(dir->path, d);
    if (rs == NULL)
        diag_print(d, stderr);
    assert_non_null(rs);
    diag_destroy(&d);
    return rs;
}

void
tu_vetd_cleanup(tu_vetd_t *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
    }
    if (d->dir[0] == '\0')
        return;
    if (tu_remove_tree(d->dir) != 0)
        fprintf(stderr, "could not remove %s\n", d->dir);
    d->dir[0] = '\0';
}

cJSON *
tu_call(vet_client_t *c, const char *req)
{
    char *reply = NULL;
    int rc = vet_screen(c, req, 5000, &reply);
    if (rc != VET_OK)
        fail_msg("vet_screen: %s", vet_client_error(c));
    cJSON *j = cJSON_Parse(reply);
    if (j == NULL)
        fail_msg("reply is not JSON: %s", reply);
    vet_free(reply);
    return j;
}

/* The item at a dotted path, or NULL. */
static const cJSON *
jpath(const cJSON *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *v = j;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
        v = cJSON_GetObjectItemCaseSensitive(v, tok);
    return v;
}

const char *
tu_jstr(const cJSON *j, const char *path)
{
    const cJSON *v = jpath(j, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double
tu_jnum(const cJSON *j, const char *path)
{
    const cJSON *v = jpath(j, path);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

void
tu_capture_start(tu_capture_t *cap)
{
    snprintf(cap->path, sizeof cap->path, "/tmp/vetd-stderr-XXXXXX");
    int fd = mkstemp(cap->path);
    assert_true(fd >= 0);
    fflush(stderr);
    cap->saved = dup(STDERR_FILENO);
    assert_true(cap->saved >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
}

char *
tu_capture_end(tu_capture_t *cap)
{
    fflush(stderr);
    assert_true(dup2(cap->saved, STDERR_FILENO) >= 0);
    close(cap->saved);
    char *text = tu_read_file(cap->path, NULL);
    assert_non_null(text);
    unlink(cap->path);
    return text;
}
