/* SPDX-License-Identifier: Apache-2.0 */
/* fault.c -- LD_PRELOAD shim that makes one chosen allocation fail, so a
 * test can check that every allocation failure of a program ends in a
 * clean error or in the same result as a clean run (SQLite's malloc
 * fault tests, for whole programs).
 *
 * Interposes malloc, calloc, realloc, strdup, strndup (and __strdup,
 * __strndup), posix_memalign, aligned_alloc and memalign (free only to
 * recognise the bootstrap buffer). Every call of those, from any library,
 * is an "allocation" and is counted; realloc(p, 0) with p != NULL frees
 * and is not counted.
 * Controlled by the environment, read once by the shim's constructor
 * (allocations before it, a runtime's own start-up, are not counted):
 *   VET_FAULT_AT=N       fail the Nth counted allocation (1-based), once;
 *                        0 or unset: only count
 *   VET_FAULT_THREAD=P   count only in threads whose name (PR_GET_NAME)
 *                        starts with P (unset: every thread). A thread is
 *                        tested until its name matches, then counts for
 *                        the rest of its life.
 *   VET_FAULT_STEP=S     per-thread mode: the k-th distinct counting
 *                        thread (k = 0, 1, ...) fails its own allocation
 *                        number VET_FAULT_AT + k*S, so one daemon can fail
 *                        a different allocation in each reload thread
 *   VET_FAULT_EVERY=E    periodic mode: each counting thread fails its
 *                        allocations number VET_FAULT_AT, AT+E, AT+2E...
 *                        (a sample of a long-lived thread's allocations:
 *                        the daemon's workers, request after request)
 *   VET_FAULT_OBJ=S      count only allocations called from an object
 *                        whose path contains S (e.g. "vetd": our code, not
 *                        libzmq's, which asserts on a failed allocation)
 *   VET_FAULT_SKIP=S,T   count no allocation called from an object whose
 *                        path contains one of S, T, ... (libraries that
 *                        cannot survive a failed allocation of their own:
 *                        see tests/fault/run.sh)
 *   VET_FAULT_REPORT=F   append to file F: "fail N thread K caller OBJ+0xOFF"
 *                        at the moment an allocation is failed (written
 *                        at once: a crash that follows skips atexit),
 *                        "crash SIG at OBJ+0xOFF OBJ+0xOFF ..." (the stack,
 *                        innermost first, shim frames left out) if the
 *                        program then dies of SIGSEGV, SIGBUS, SIGILL,
 *                        SIGFPE or SIGABRT, and "count N threads K" when
 *                        it exits
 * The failed allocation returns NULL with errno ENOMEM, as malloc does.
 * The crash line lets a test tell a crash in a library that cannot
 * survive a failed allocation (libconfig 1.5) from one in our code.
 *
 * Build: cc -shared -fPIC fault.c -o libfault.so -ldl. Works under ASan
 * (ASAN_OPTIONS=verify_asan_link_order=0: the shim comes first, ASan's
 * malloc is the "next" one) and under valgrind with
 * --soname-synonyms=somalloc=nouserintercepts (valgrind otherwise
 * replaces every malloc it finds, this shim's included, and the shim
 * would see only the calls to strdup; with it, the libc malloc this shim
 * forwards to is still valgrind's). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define TLS __thread __attribute__((tls_model("initial-exec")))
#define EXPORT __attribute__((visibility("default")))

/* dlsym may allocate (its error buffer) before we know the real calloc;
 * those few early allocations come from here and are never freed. */
#define BOOT_SIZE (64 * 1024)
static _Alignas(16) unsigned char boot_buf[BOOT_SIZE];
static size_t boot_used;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);

static atomic_int init_state;   /* 0 not started, 1 resolving, 2 ready */
static atomic_bool counting;    /* the environment is read: count from now */
static long fault_at;           /* VET_FAULT_AT, 0: count only */
static long fault_step;         /* VET_FAULT_STEP, 0: one global counter */
static long fault_every;        /* VET_FAULT_EVERY, 0: fail once */
static const char *caller_obj;  /* VET_FAULT_OBJ or NULL: every caller */
static const char *skip_objs;   /* VET_FAULT_SKIP or NULL: none skipped */
static char thread_prefix[16];  /* VET_FAULT_THREAD (a thread name is < 16 bytes) */
static size_t prefix_len;       /* 0: every thread counts */
static const char *report_path; /* VET_FAULT_REPORT or NULL */

static atomic_long total;    /* allocations counted, every thread */
static atomic_int n_threads; /* distinct threads that counted */

static TLS int t_state;  /* 0 not yet matched, 1 counting */
static TLS int t_index;  /* k: order in which this thread matched */
static TLS long t_count; /* allocations this thread counted */
static TLS int t_busy;   /* inside the shim's own reporting */

static bool
in_boot(const void *p)
{
    return (const unsigned char *)p >= boot_buf && (const unsigned char *)p < boot_buf + BOOT_SIZE;
}

static void *
boot_alloc(size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n || need > BOOT_SIZE - boot_used)
        return NULL;
    void *p = boot_buf + boot_used;
    boot_used += need;
    return p; /* static storage: already zero */
}

static long
env_long(const char *name)
{
    const char *s = getenv(name);
    return s != NULL ? strtol(s, NULL, 10) : 0;
}

/* Resolves the next definitions. Runs once, from the constructor or
 * from the first allocation, whichever comes first (a sanitizer's
 * runtime or another library's constructor may allocate before ours). */
static void
fault_init(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&init_state, &expect, 1))
        return; /* done, or being done by this thread */
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    atomic_store(&init_state, 2);
}

/* Reads the environment and starts counting. Only from the constructor:
 * an allocation from ASan's start-up (.preinit_array) comes before libc
 * has set environ, and getenv would find nothing. Allocations made
 * before it are not counted (start-up of the runtime, never the
 * program's). */
static void
fault_configure(void)
{
    fault_at = env_long("VET_FAULT_AT");
    fault_step = env_long("VET_FAULT_STEP");
    fault_every = env_long("VET_FAULT_EVERY");
    caller_obj = getenv("VET_FAULT_OBJ");
    skip_objs = getenv("VET_FAULT_SKIP");
    if (caller_obj != NULL && *caller_obj == '\0')
        caller_obj = NULL;
    const char *p = getenv("VET_FAULT_THREAD");
    if (p != NULL && *p != '\0') {
        prefix_len = strlen(p) < sizeof thread_prefix - 1 ? strlen(p) : sizeof thread_prefix - 1;
        memcpy(thread_prefix, p, prefix_len);
    }
    report_path = getenv("VET_FAULT_REPORT");
    if (report_path != NULL && *report_path == '\0')
        report_path = NULL;
    atomic_store(&counting, true);
}

/* Appends one line to the report file (no allocation: a stack buffer,
 * open/write/close). */
static void
report_line(const char *line, size_t len)
{
    if (report_path == NULL)
        return;
    int fd = open(report_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, len);
    (void)w;
    close(fd);
}

static void
report_failure(long n, const void *caller)
{
    char line[512];
    Dl_info di;
    const char *obj = "?";
    uintptr_t off = (uintptr_t)caller;
    if (dladdr(caller, &di) != 0 && di.dli_fname != NULL) {
        obj = di.dli_fname;
        off = (uintptr_t)caller - (uintptr_t)di.dli_fbase;
    }
    int len = snprintf(line, sizeof line, "fail %ld thread %d caller %s+0x%lx\n", n, t_index, obj,
                       (unsigned long)off);
    if (len > 0)
        report_line(line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

/* True if the thread's name starts with the prefix. */
static bool
thread_matches(void)
{
    char name[17] = "";
    if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0)
        return false;
    return strncmp(name, thread_prefix, prefix_len) == 0;
}

/* True if caller lies in an object whose path contains caller_obj. */
static bool
caller_matches(const void *caller)
{
    Dl_info di;
    return dladdr(caller, &di) != 0 && di.dli_fname != NULL &&
           strstr(di.dli_fname, caller_obj) != NULL;
}

/* True if caller lies in an object whose path contains one of the
 * comma-separated names of skip_objs. */
static bool
caller_skipped(const void *caller)
{
    Dl_info di;
    if (dladdr(caller, &di) == 0 || di.dli_fname == NULL)
        return false;
    for (const char *p = skip_objs; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char name[128];
        if (n > 0 && n < sizeof name) {
            memcpy(name, p, n);
            name[n] = '\0';
            if (strstr(di.dli_fname, name) != NULL)
                return true;
        }
        p += n + (e != NULL);
    }
    return false;
}

/* Counts one allocation made from caller; true if it must fail. */
static bool
fault_now(const void *caller)
{
    if (!atomic_load_explicit(&counting, memory_order_acquire) || t_busy)
        return false;
    if (caller_obj != NULL) {
        t_busy = 1;
        bool ours = caller_matches(caller);
        t_busy = 0;
        if (!ours)
            return false;
    }
    if (skip_objs != NULL) {
        t_busy = 1;
        bool skip = caller_skipped(caller);
        t_busy = 0;
        if (skip)
            return false;
    }
    if (t_state == 0) {
        if (prefix_len > 0 && !thread_matches())
            return false;
        t_state = 1;
        t_index = atomic_fetch_add(&n_threads, 1);
    }
    long n = atomic_fetch_add(&total, 1) + 1;
    t_count++;
    if (fault_at <= 0)
        return false;
    bool fail = fault_every > 0  ? t_count >= fault_at && (t_count - fault_at) % fault_every == 0
                : fault_step > 0 ? t_count == fault_at + (long)t_index * fault_step
                                 : n == fault_at;
    if (!fail)
        return false;
    t_busy = 1;
    report_failure(fault_step > 0 ? t_count : n, caller);
    t_busy = 0;
    errno = ENOMEM;
    return true;
}

/* Writes the crashing stack to the report, then returns: the handler
 * was installed with SA_RESETHAND, so the faulting instruction (or
 * abort's own retry) ends the program with the default action. */
static void
on_crash(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    t_busy = 1;
    void *frames[32];
    int n = backtrace(frames, 32);
    char line[2048];
    size_t len = (size_t)snprintf(line, sizeof line, "crash %d at", sig);
    Dl_info self;
    if (dladdr((void *)on_crash, &self) == 0)
        self.dli_fbase = NULL;
    for (int i = 0; i < n && len < sizeof line - 200; i++) {
        Dl_info di;
        if (dladdr(frames[i], &di) == 0 || di.dli_fname == NULL)
            continue;
        if (di.dli_fbase == self.dli_fbase)
            continue; /* the shim's own frames */
        int w = snprintf(line + len, sizeof line - len, " %s+0x%lx", di.dli_fname,
                         (unsigned long)((uintptr_t)frames[i] - (uintptr_t)di.dli_fbase));
        if (w > 0)
            len += (size_t)w;
    }
    if (len < sizeof line - 1)
        line[len++] = '\n';
    report_line(line, len);
}

static void
catch_crashes(void)
{
    /* backtrace loads libgcc_s on first use: do it now, not in a
     * signal handler (t_busy: these allocations are not counted). */
    void *frame[1];
    t_busy = 1;
    backtrace(frame, 1);
    t_busy = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_crash;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

__attribute__((constructor)) static void
fault_start(void)
{
    fault_init();
    fault_configure();
    if (fault_at > 0 && report_path != NULL)
        catch_crashes();
}

__attribute__((destructor)) static void
fault_end(void)
{
    char line[96];
    int len = snprintf(line, sizeof line, "count %ld threads %d\n", atomic_load(&total),
                       atomic_load(&n_threads));
    if (len > 0)
        report_line(line, (size_t)len);
}

/* ---- the interposed functions ------------------------------------------ */

/* While the real functions are being resolved (init_state 1), requests
 * are served from the bootstrap buffer. */
#define RESOLVE_OR_BOOT(n)                                                                         \
    do {                                                                                           \
        if (atomic_load(&init_state) != 2) {                                                       \
            fault_init();                                                                          \
            if (atomic_load(&init_state) != 2)                                                     \
                return boot_alloc(n);                                                              \
        }                                                                                          \
    } while (0)

/* malloc for a caller: strdup and strndup report their own caller. */
static void *
counted_malloc(size_t n, const void *caller)
{
    RESOLVE_OR_BOOT(n);
    if (fault_now(caller))
        return NULL;
    return real_malloc(n);
}

EXPORT void *
malloc(size_t n)
{
    return counted_malloc(n, __builtin_return_address(0));
}

EXPORT void *
calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    RESOLVE_OR_BOOT(count * size);
    if (fault_now(__builtin_return_address(0)))
        return NULL;
    return real_calloc(count, size);
}

EXPORT void *
realloc(void *p, size_t n)
{
    if (in_boot(p)) {
        /* Moves a bootstrap block to the real heap (size unknown: copy
         * what fits; boot blocks are small). */
        void *q = malloc(n);
        if (q != NULL)
            memcpy(q, p,
                   n < (size_t)(boot_buf + BOOT_SIZE - (unsigned char *)p)
                       ? n
                       : (size_t)(boot_buf + BOOT_SIZE - (unsigned char *)p));
        return q;
    }
    RESOLVE_OR_BOOT(n);
    if ((p == NULL || n != 0) && fault_now(__builtin_return_address(0)))
        return NULL;
    return real_realloc(p, n);
}

EXPORT void
free(void *p)
{
    if (p == NULL || in_boot(p))
        return;
    if (real_free == NULL)
        fault_init();
    if (real_free != NULL)
        real_free(p);
}

/* The copies of strdup and strndup, counted as allocations of caller. */
static char *
dup_counted(const char *s, size_t n, void *caller)
{
    char *p = counted_malloc(n + 1, caller);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

EXPORT char *
strdup(const char *s)
{
    return dup_counted(s, strlen(s), __builtin_return_address(0));
}

EXPORT char *
strndup(const char *s, size_t max)
{
    return dup_counted(s, strnlen(s, max), __builtin_return_address(0));
}

/* Older headers turned strdup into __strdup (libconfig 1.5 as Debian
 * builds it calls that one): the same functions under those names. */
char *__strdup(const char *s);
char *__strndup(const char *s, size_t max);
void *memalign(size_t align, size_t n); /* <malloc.h>, obsolete but still called */

EXPORT char *
__strdup(const char *s)
{
    return dup_counted(s, strlen(s), __builtin_return_address(0));
}

EXPORT char *
__strndup(const char *s, size_t max)
{
    return dup_counted(s, strnlen(s, max), __builtin_return_address(0));
}

EXPORT int
posix_memalign(void **out, size_t align, size_t n)
{
    if (atomic_load(&init_state) != 2)
        fault_init();
    if (real_posix_memalign == NULL)
        return ENOMEM;
    if (fault_now(__builtin_return_address(0)))
        return ENOMEM;
    return real_posix_memalign(out, align, n);
}

EXPORT void *
aligned_alloc(size_t align, size_t n)
{
    if (atomic_load(&init_state) != 2)
        fault_init();
    if (real_aligned_alloc == NULL || fault_now(__builtin_return_address(0)))
        return NULL;
    return real_aligned_alloc(align, n);
}

EXPORT void *
memalign(size_t align, size_t n)
{
    if (atomic_load(&init_state) != 2)
        fault_init();
    if (real_memalign == NULL || fault_now(__builtin_return_address(0)))
        return NULL;
    return real_memalign(align, n);
}
