/* SPDX-License-Identifier: Apache-2.0 */
/* cfgread.c -- checks shared by the readers of libconfig files, and the
 * guard that keeps libconfig's own faults from crashing the daemon. */
#include "cfgread.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vocab.h"

/* ---- the fault guard ---------------------------------------------------
 * Why a signal handler: libconfig 1.5 (Debian 12) uses the result of
 * several of its own allocations without checking it (the setting it
 * creates, the list it grows, the string buffer of its scanner), so when
 * malloc fails inside config_read_* the process dies of SIGSEGV: measured
 * with tests/fault, about two thirds of the allocation failures of a
 * load. For the daemon that is a reload that kills it, and a restart then
 * serves the files on disk without the shrink gate. The faulting code is
 * libconfig's parser after a failed allocation: it holds no lock and has
 * corrupted nothing (the failed malloc returned NULL), so leaving it by
 * siglongjmp and abandoning its half-built tree is safe, at the cost of
 * the leak. The guard is armed only on the calling thread (thread-local
 * jump buffer) and only for the duration of one libconfig call; any other
 * SIGSEGV goes to the previous disposition. What stays out of reach: the
 * flex scanner calls exit(2) when it cannot allocate its own buffer. */

static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static int guard_rc = -1;          /* set once by guard_setup */
static struct sigaction prev_segv; /* the dispositions replaced, */
static struct sigaction prev_bus;  /* set once by guard_setup */
static __thread sigjmp_buf *armed; /* this thread's guard, or NULL */

static void
on_fault(int sig, siginfo_t *si, void *uc)
{
    if (armed != NULL)
        siglongjmp(*armed, 1);
    (void)si;
    (void)uc;
    /* Not ours: give the signal back to whoever had it. Returning
     * re-executes the faulting instruction, which now meets the previous
     * disposition with its own flags (a handler installed with
     * SA_RESETHAND runs once, then the default action: the crash and
     * core it always was). Calling that handler from here instead would
     * loop forever once it returned, since this handler stays installed. */
    const struct sigaction *prev = sig == SIGSEGV ? &prev_segv : &prev_bus;
    if (sigaction(sig, prev, NULL) != 0)
        signal(sig, SIG_DFL);
}

static void
guard_setup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    guard_rc =
        sigaction(SIGSEGV, &sa, &prev_segv) == 0 && sigaction(SIGBUS, &sa, &prev_bus) == 0 ? 0 : -1;
}

int
cfgread_guard_install(void)
{
    pthread_once(&guard_once, guard_setup);
    return guard_rc;
}

/* The three guarded calls share one shape: arm, call, disarm. SIGSEGV
 * and SIGBUS are unblocked for the call: a thread that blocks every
 * signal (vetd's runner threads, which parse registry files while the
 * loading thread converts, runner.c) would otherwise be killed by the
 * fault, as the kernel does not hold back a blocked signal that the
 * thread's own fault raised. The mask is the caller's again after. */
#define GUARDED(cfg, call, on_fault_stmt)                                                          \
    do {                                                                                           \
        sigjmp_buf jb;                                                                             \
        sigset_t faults, saved;                                                                    \
        sigemptyset(&faults);                                                                      \
        sigaddset(&faults, SIGSEGV);                                                               \
        sigaddset(&faults, SIGBUS);                                                                \
        pthread_sigmask(SIG_UNBLOCK, &faults, &saved);                                             \
        if (sigsetjmp(jb, 1) != 0) {                                                               \
            armed = NULL;                                                                          \
            pthread_sigmask(SIG_SETMASK, &saved, NULL);                                            \
            memset((cfg), 0, sizeof *(cfg));                                                       \
            on_fault_stmt;                                                                         \
        }                                                                                          \
        armed = &jb;                                                                               \
        call;                                                                                      \
        armed = NULL;                                                                              \
        pthread_sigmask(SIG_SETMASK, &saved, NULL);                                                \
    } while (0)

bool
cfgread_init(config_t *cfg)
{
    GUARDED(cfg, config_init(cfg), return false);
    return true;
}

cfgread_rc_t
cfgread_parse(config_t *cfg, const char *text)
{
    volatile int rc = CONFIG_FALSE;
    GUARDED(cfg, rc = config_read_string(cfg, text), return CFGREAD_FAULT);
    return rc == CONFIG_TRUE ? CFGREAD_OK : CFGREAD_SYNTAX;
}

cfgread_rc_t
cfgread_parse_file(config_t *cfg, const char *path)
{
    volatile int rc = CONFIG_FALSE;
    GUARDED(cfg, rc = config_read_file(cfg, path), return CFGREAD_FAULT);
    if (rc == CONFIG_TRUE)
        return CFGREAD_OK;
    return config_error_type(cfg) == CONFIG_ERR_FILE_IO ? CFGREAD_IO : CFGREAD_SYNTAX;
}

int
cfgread_line(const config_setting_t *s)
{
    return s != NULL ? (int)config_setting_source_line(s) : 0;
}

bool
cfgread_check_members(diag_t *d, const char *file, const config_setting_t *grp,
                      const char *const *allowed, const char *prefix, const char *what)
{
    size_t na = 0;
    while (allowed[na] != NULL)
        na++;
    vocab_t v = {(const char **)allowed, na};
    bool ok = true;
    int n = config_setting_length(grp);
    for (int i = 0; i < n; i++) {
        config_setting_t *m = config_setting_get_elem(grp, (unsigned)i);
        const char *name = config_setting_name(m);
        if (name == NULL || vocab_find(&v, name) >= 0)
            continue;
        const char *sug = vocab_suggest(&v, name);
        if (sug != NULL)
            diag_add(d, file, cfgread_line(m), 0,
                     "%sunknown setting \"%s\" in %s (did you mean \"%s\"?)", prefix, name, what,
                     sug);
        else
            diag_add(d, file, cfgread_line(m), 0, "%sunknown setting \"%s\" in %s", prefix, name,
                     what);
        ok = false;
    }
    return ok;
}

/* Why this walk is needed: libconfig 1.5 (Debian 12's libconfig9
 * 1.5-0.4, lib/libconfig.c) copies names and strings with strdup and
 * does not check the result:
 *   config_setting_create:      setting->name = strdup(name);
 *   config_setting_set_string:  setting->value.sval = strdup(value);
 * (the parser reaches the second through config_setting_set_string_elem
 * for the elements of arrays and lists too). A failed strdup leaves a
 * group member without a name, which config_setting_get_member then
 * never finds (__config_list_search skips NULL names), or a string
 * setting whose value is NULL, and config_read* still returns
 * CONFIG_TRUE: the file would load with settings missing. Every other
 * allocation of its parser is dereferenced at once (the setting itself,
 * its list, the strbuf of a string being scanned), so its failure
 * crashes inside libconfig or exits from the flex scanner, never loads
 * less. Hence the two checks below cover every silent loss; bool, int
 * and float values are stored in the setting itself. */
bool
cfgread_complete(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING: return config_setting_get_string(s) != NULL;
    case CONFIG_TYPE_GROUP:
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST: {
        bool group = config_setting_type(s) == CONFIG_TYPE_GROUP;
        int n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            if (e == NULL || (group && config_setting_name(e) == NULL) || !cfgread_complete(e))
                return false;
        }
        return true;
    }
    default: return true;
    }
}
