/* SPDX-License-Identifier: Apache-2.0 */
/* audit.c -- the audit log: the record's line, and the writer: workers
 * push records over inproc ZeroMQ, one thread batches them into write()s
 * on a JSON-lines file. */
#include "audit.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "mclock.h"
#include "proto.h"

#define BATCH_BYTES ((size_t)1 << 20) /* a batch stops growing past this */
#define BUF_SLACK ((size_t)64 << 10)  /* room past BATCH_BYTES for one more record */
#define BACKOFF_MIN_MS 100            /* first retry after a failed write */
#define BACKOFF_MAX_MS 1000           /* retry interval ceiling */
#define TAIL_CHUNK 16384              /* bytes read per step of the tail scan */

/* Control messages, main thread -> writer, on the PAIR. */
enum {
    CTL_REOPEN = 'R', /* 1 byte: wake up, audit_reopen bumped reopen_req */
    CTL_STOP = 'S'    /* 1 byte + uint64 count of records to wait for */
};

struct audit {
    /* set by audit_new, read-only afterwards */
    void *zctx;            /* borrowed ZeroMQ context */
    vlog_t *log;           /* borrowed event log */
    char *path;            /* owned copy of cfg->path */
    audit_fsync_t policy;  /* durability policy */
    unsigned interval_ms;  /* fdatasync delay with INTERVAL */
    unsigned stop_ms;      /* patience with a failing disk at stop */
    int snd_hwm;           /* a sink's side of its pipe's high-water mark */
    int rcv_hwm;           /* the writer's side; the two add up to queue_max */
    char endpoint[80];     /* inproc endpoint of the records PULL */
    char ctl_endpoint[84]; /* inproc endpoint of the control PAIR */
    void *ctl_main;        /* control PAIR, owner thread's end */
    pthread_t thread;      /* the writer */

    /* shared between threads; failing and stopped are set by the writer
     * only, and publish nothing else, so relaxed loads do */
    _Atomic uint64_t written;   /* records written to the file */
    _Atomic uint64_t submitted; /* records sent by sinks already destroyed */
    _Atomic uint64_t accepted;  /* records audit_put queued (AUDIT_OK) */
    _Atomic uint64_t received;  /* records the writer took from the queues */
    _Atomic uint64_t dropped;   /* records audit_put did not queue */
    _Atomic uint64_t failures;  /* failed write()s and fdatasync()s */
    atomic_bool failing;        /* writes fail: audit_put refuses records */
    atomic_bool stopped;        /* the writer has left its loop */
    atomic_uint sinks;          /* live sinks */
    atomic_uint reopen_req;     /* bumped by each audit_reopen */

    /* the writer thread's (created by audit_new before the thread starts,
     * closed by audit_destroy after it is joined) */
    void *pull;           /* records in */
    void *ctl_writer;     /* control PAIR, writer's end */
    int fd;               /* the file */
    char *buf;            /* batch: records, each ending in '\n' */
    size_t len;           /* bytes in buf */
    size_t cap;           /* bytes allocated for buf */
    size_t off;           /* bytes of buf already written */
    uint64_t nrec;        /* records in buf */
    zmq_msg_t held;       /* record received but not yet in buf */
    bool have_held;       /* held is valid */
    unsigned reopen_done; /* reopen_req value last acted upon */
    unsigned backoff_ms;  /* next retry delay */
    int64_t retry_at;     /* monotonic ms of the next write attempt */
    bool dirty;           /* written since the last fdatasync (INTERVAL) */
    int64_t sync_at;      /* monotonic ms of the pending fdatasync */
    bool sync_failing;    /* fdatasync fails; warned once */
    bool stopping;        /* stop received */
    uint64_t expected;    /* records to receive before stopping */
    int64_t give_up_at;   /* monotonic ms: stop waiting for the disk */
    bool zmq_gone;        /* context terminated under us */
};

struct audit_sink {
    audit_t *a;    /* borrowed; outlives the sink */
    void *push;    /* PUSH socket connected to a->endpoint */
    uint64_t sent; /* records sent */
};

static const char *const fsync_names[] = {
#define X(e, s) s,
    AUDIT_FSYNC_POLICIES(X)
#undef X
};

static const char *const put_result_names[] = {
#define X(e, s) s,
    AUDIT_PUT_RESULTS(X)
#undef X
};

int
audit_fsync_find(const char *name)
{
    for (int i = 0; i < AUDIT_FSYNC_COUNT; i++)
        if (name != NULL && strcmp(name, fsync_names[i]) == 0)
            return i;
    return -1;
}

const char *
audit_fsync_name(audit_fsync_t f)
{
    return (unsigned)f < AUDIT_FSYNC_COUNT ? fsync_names[f] : "?";
}

const char *
audit_put_result_name(audit_put_result_t r)
{
    return (unsigned)r < AUDIT_PUT_RESULT_COUNT ? put_result_names[r] : "?";
}

static void
sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- opening the file ---------------------------------------------- */

/* Cuts a torn last line (left by a crash in the middle of a write) off
 * the file open on fd, so that our first record starts a line of its
 * own. Returns 0, or -1 with a message in err. */
static int
repair_tail(const char *path, int fd, vlog_t *log, char *err, size_t errlen)
{
    struct stat st, rst;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "audit: %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0)
        return 0;
    /* The write descriptor cannot read: look through a second one, after
     * making sure it is the same file. */
    int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
    if (rfd < 0 || fstat(rfd, &rst) != 0 || rst.st_dev != st.st_dev || rst.st_ino != st.st_ino) {
        vlog_msg(log, VLOG_WARN, "audit: %s: cannot check its last line: %s", path,
                 rfd < 0 ? strerror(errno) : "file replaced");
        if (rfd >= 0)
            close(rfd);
        return 0;
    }
    char chunk[TAIL_CHUNK];
    off_t end = st.st_size;
    off_t keep = 0; /* bytes up to and including the last '\n' */
    bool found = false;
    while (end > 0 && !found) {
        size_t n = end < TAIL_CHUNK ? (size_t)end : TAIL_CHUNK;
        ssize_t r = pread(rfd, chunk, n, end - (off_t)n);
        if (r != (ssize_t)n) {
            snprintf(err, errlen, "audit: %s: %s", path,
                     r < 0 ? strerror(errno) : "file shrank while read");
            close(rfd);
            return -1;
        }
        for (size_t i = n; i > 0; i--) {
            if (chunk[i - 1] == '\n') {
                keep = end - (off_t)n + (off_t)i;
                found = true;
                break;
            }
        }
        end -= (off_t)n;
    }
    close(rfd);
    if (keep == st.st_size)
        return 0;
    if (ftruncate(fd, keep) != 0) {
        snprintf(err, errlen, "audit: %s: cannot cut its torn last line: %s", path,
                 strerror(errno));
        return -1;
    }
    vlog_msg(log, VLOG_WARN, "audit: %s: last line was torn (a crash?): dropped %lld bytes", path,
             (long long)(st.st_size - keep));
    return 0;
}

/* What a file that is not a regular one is, for a message. */
static const char *
file_kind(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
                         : "special";
}

/* The message for a path that is not a regular file. */
static void
not_regular(const char *path, mode_t m, char *err, size_t errlen)
{
    if (S_ISLNK(m))
        snprintf(err, errlen, "audit: %s is a symbolic link; refusing to follow it", path);
    else
        snprintf(err, errlen, "audit: %s is %s, not a regular file", path, file_kind(m));
}

/* Opens path for appending, private and its tail repaired. Returns the
 * descriptor, or -1 with a message in err. */
static int
open_log(const char *path, vlog_t *log, char *err, size_t errlen)
{
    /* O_NOFOLLOW: a link planted at the path would send the records, and
     * our chmod, to any file we may write. O_NONBLOCK: opening a FIFO
     * would wait for a reader (we refuse it below anyway); on a regular
     * file it changes nothing, so it stays. */
    const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK;
    /* O_EXCL tells a file we create, made 0640 whatever the umask, from
     * one we find, whose mode we only narrow. A file removed between the
     * two opens is created on the next round. */
    bool created = false;
    int fd = -1;
    for (int round = 0; round < 3 && fd < 0; round++) {
        fd = open(path, flags | O_CREAT | O_EXCL, 0640);
        created = fd >= 0;
        if (fd < 0 && errno == EEXIST)
            fd = open(path, flags);
        if (fd < 0 && errno != ENOENT)
            break;
    }
    struct stat st;
    if (fd < 0) {
        int e = errno;
        if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
            not_regular(path, st.st_mode, err, errlen);
        else
            snprintf(err, errlen, "audit: %s: %s", path, strerror(e));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "audit: %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        not_regular(path, st.st_mode, err, errlen);
        close(fd);
        return -1;
    }
    mode_t was = st.st_mode & 07777;
    mode_t want = created ? 0640 : was & 0640;
    if (was != want) {
        if (fchmod(fd, want) != 0) {
            snprintf(err, errlen, "audit: %s is mode %04o and cannot be set to %04o: %s", path,
                     (unsigned)was, (unsigned)want, strerror(errno));
            close(fd);
            return -1;
        }
        if (!created)
            vlog_msg(log, VLOG_WARN, "audit: %s was mode %04o; set to %04o", path, (unsigned)was,
                     (unsigned)want);
    }
    if (repair_tail(path, fd, log, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- the writer thread --------------------------------------------- */

/* fdatasync, warning once per outage when it fails. */
static void
sync_file(audit_t *a)
{
    a->dirty = false;
    if (fdatasync(a->fd) == 0) {
        if (a->sync_failing)
            vlog_msg(a->log, VLOG_WARN, "audit: %s: fdatasync works again", a->path);
        a->sync_failing = false;
        return;
    }
    atomic_fetch_add(&a->failures, 1);
    if (!a->sync_failing)
        vlog_msg(a->log, VLOG_WARN, "audit: %s: fdatasync: %s; records may not be on disk", a->path,
                 strerror(errno));
    a->sync_failing = true;
}

/* Counts the records (lines) in the first n bytes of the batch. */
static uint64_t
count_lines(const char *p, size_t n)
{
    uint64_t k = 0;
    const char *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        k++;
        p++;
    }
    return k;
}

/* A write failed with errno err: keep the file made of whole lines (cut
 * back a partly written record, which is written again later), drop the
 * records that did get out from the batch, refuse new records until a
 * write succeeds (failing) and schedule a retry. */
static void
write_failed(audit_t *a, int err)
{
    size_t whole = a->off; /* written bytes that form whole lines */
    while (whole > 0 && a->buf[whole - 1] != '\n')
        whole--;
    size_t torn = a->off - whole;
    if (torn > 0) {
        struct stat st;
        if (fstat(a->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)torn &&
            ftruncate(a->fd, st.st_size - (off_t)torn) == 0)
            a->off = whole;
        else
            /* Leave off where it is: the retry completes the line. */
            vlog_msg(a->log, VLOG_WARN, "audit: %s: cannot cut a partly written record: %s",
                     a->path, strerror(errno));
    }
    if (whole > 0) {
        uint64_t k = count_lines(a->buf, whole);
        atomic_fetch_add(&a->written, k);
        a->nrec -= k;
        memmove(a->buf, a->buf + whole, a->len - whole);
        a->len -= whole;
        a->off -= whole;
    }
    atomic_fetch_add(&a->failures, 1);
    if (!atomic_load_explicit(&a->failing, memory_order_relaxed))
        vlog_msg(a->log, VLOG_WARN,
                 "audit: %s: write: %s; keeping the records queued, "
                 "refusing new ones and retrying",
                 a->path, strerror(err));
    atomic_store_explicit(&a->failing, true, memory_order_relaxed);
    a->retry_at = mclock_ms() + a->backoff_ms;
    a->backoff_ms = a->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : a->backoff_ms * 2;
}

/* Writes the batch, handling short writes; on success applies the
 * durability policy, on failure keeps what is left for a retry. */
static void
write_batch(audit_t *a)
{
    while (a->off < a->len) {
        ssize_t w = write(a->fd, a->buf + a->off, a->len - a->off);
        if (w > 0) {
            a->off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        write_failed(a, w < 0 ? errno : EIO);
        return;
    }
    atomic_fetch_add(&a->written, a->nrec);
    a->len = a->off = 0;
    a->nrec = 0;
    if (atomic_load_explicit(&a->failing, memory_order_relaxed))
        vlog_msg(a->log, VLOG_WARN, "audit: %s: writing again", a->path);
    atomic_store_explicit(&a->failing, false, memory_order_relaxed);
    a->backoff_ms = BACKOFF_MIN_MS;
    int64_t now = mclock_ms();
    if (a->stopping)
        a->give_up_at = now + a->stop_ms;
    if (a->policy == AUDIT_FSYNC_ALWAYS) {
        sync_file(a);
    } else if (a->policy == AUDIT_FSYNC_INTERVAL && !a->dirty) {
        a->dirty = true;
        a->sync_at = now + a->interval_ms;
    }
}

/* Appends one record and its '\n' to the batch (room is there). */
static void
append_record(audit_t *a, const char *p, size_t n)
{
    char *dst = a->buf + a->len;
    memcpy(dst, p, n);
    /* One record, one line: a newline inside would split it. */
    for (size_t i = 0; i < n; i++)
        if (dst[i] == '\n' || dst[i] == '\r')
            dst[i] = ' ';
    dst[n] = '\n';
    a->len += n + 1;
    a->nrec++;
}

/* Moves queued records into the batch until the queue is empty or the
 * batch full. Returns true when records may still be queued. */
static bool
drain(audit_t *a)
{
    for (;;) {
        if (!a->have_held) {
            if (a->len >= BATCH_BYTES)
                return true;
            int rc = zmq_msg_init(&a->held);
            assert(rc == 0);
            /* Counted before it is taken, so that audit_queued, which
             * subtracts this count, never shows more than is queued. */
            atomic_fetch_add(&a->received, 1);
            if (zmq_msg_recv(&a->held, a->pull, ZMQ_DONTWAIT) < 0) {
                int e = errno;
                atomic_fetch_sub(&a->received, 1);
                rc = zmq_msg_close(&a->held);
                assert(rc == 0);
                (void)rc;
                if (e == ETERM)
                    a->zmq_gone = true;
                else if (e != EAGAIN && e != EINTR)
                    vlog_msg(a->log, VLOG_ERR, "audit: receive: %s", zmq_strerror(e));
                return e == EINTR;
            }
            a->have_held = true;
        }
        size_t n = zmq_msg_size(&a->held);
        if (n > 0) {
            if (a->len + n + 1 > a->cap) {
                if (a->len > 0)
                    return true; /* write what we have first */
                char *p = realloc(a->buf, n + 1);
                if (p == NULL) {
                    vlog_msg(a->log, VLOG_ERR,
                             "audit: out of memory for a %zu-byte record; "
                             "retrying",
                             n);
                    sleep_ms(BACKOFF_MIN_MS);
                    return true;
                }
                a->buf = p;
                a->cap = n + 1;
            }
            append_record(a, zmq_msg_data(&a->held), n);
        }
        int rc = zmq_msg_close(&a->held);
        assert(rc == 0);
        (void)rc;
        a->have_held = false;
    }
}

/* Closes the file and opens the path again; the batch in hand, which may
 * hold records put after the request, goes to the new file. */
static void
reopen_file(audit_t *a)
{
    a->reopen_done = atomic_load(&a->reopen_req);
    char err[512];
    int fd = open_log(a->path, a->log, err, sizeof err);
    if (fd < 0) {
        vlog_msg(a->log, VLOG_ERR, "%s; still writing to the old file", err);
        return;
    }
    if (a->dirty)
        sync_file(a);
    if (close(a->fd) != 0)
        vlog_msg(a->log, VLOG_WARN, "audit: %s: close: %s", a->path, strerror(errno));
    a->fd = fd;
    /* A record partly written to the old file (whose cut failed, and
     * was logged) is written whole to the new one. */
    a->off = 0;
    a->retry_at = 0;
    vlog_msg(a->log, VLOG_INFO, "audit: %s: reopened", a->path);
}

/* Takes every control message waiting: a stop sets the count of records
 * to receive before the thread may end. */
static void
read_ctl(audit_t *a)
{
    for (;;) {
        unsigned char m[16];
        int n = zmq_recv(a->ctl_writer, m, sizeof m, ZMQ_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ETERM)
                a->zmq_gone = true;
            else if (errno != EAGAIN)
                vlog_msg(a->log, VLOG_ERR, "audit: control: %s", zmq_strerror(errno));
            return;
        }
        if (n == 1 + (int)sizeof(uint64_t) && m[0] == CTL_STOP) {
            a->stopping = true;
            memcpy(&a->expected, m + 1, sizeof a->expected);
            a->give_up_at = mclock_ms() + a->stop_ms;
        }
        /* CTL_REOPEN only wakes us up: the request is in reopen_req. */
    }
}

/* Poll timeout in ms (-1: none) until the next thing to do by the clock. */
static long
next_timeout(const audit_t *a, bool more, int64_t now)
{
    if (more && a->len == 0)
        return 0;
    int64_t t = -1;
    if (a->len > 0)
        t = a->retry_at - now;
    if (a->dirty && (t < 0 || a->sync_at - now < t))
        t = a->sync_at - now;
    if (a->stopping && (t < 0 || a->give_up_at - now < t))
        t = a->give_up_at - now;
    if (a->zmq_gone && t < 0)
        t = BACKOFF_MIN_MS;
    if (t == -1)
        return -1;
    return t < 0 ? 0 : t > INT_MAX ? INT_MAX : (long)t;
}

/* The writer thread: batch, write, sync, reopen, until a stop and every
 * record the sinks sent is written (or the disk failed for stop_ms). */
static void *
writer_main(void *arg)
{
    audit_t *a = arg;
    bool more = false;
    for (;;) {
        /* Take new records only once the batch is out: a failing disk
         * leaves them queued (audit_put refuses more meanwhile, and the
         * queues are bounded anyway). */
        if (a->len == 0 && !a->zmq_gone)
            more = drain(a);
        /* After drain: a record put after audit_reopen is in the batch
         * only if the request is visible here, so it goes to the new file. */
        if (atomic_load(&a->reopen_req) != a->reopen_done)
            reopen_file(a);
        int64_t now = mclock_ms();
        if (a->len > 0 && now >= a->retry_at) {
            write_batch(a);
            now = mclock_ms();
        }
        if (a->dirty && now >= a->sync_at)
            sync_file(a);
        if (a->zmq_gone && !a->stopping) {
            vlog_msg(a->log, VLOG_ERR, "audit: the ZeroMQ context is terminating; stopping");
            a->stopping = true;
            a->expected = atomic_load(&a->received);
            a->give_up_at = now + a->stop_ms;
        }
        if (a->stopping) {
            uint64_t received = atomic_load(&a->received);
            if (a->len == 0 && !a->have_held && received >= a->expected)
                break;
            if (now >= a->give_up_at) {
                uint64_t lost = a->nrec + (a->have_held ? 1 : 0) +
                                (a->expected > received ? a->expected - received : 0);
                vlog_msg(a->log, VLOG_ERR,
                         "audit: %s: giving up after %u ms without "
                         "progress: %" PRIu64 " records lost",
                         a->path, a->stop_ms, lost);
                break;
            }
        }
        long timeout = next_timeout(a, more, now);
        if (a->zmq_gone) {
            sleep_ms(timeout);
            continue;
        }
        zmq_pollitem_t items[2] = {
            {a->ctl_writer, 0, ZMQ_POLLIN, 0},
            {a->pull, 0, ZMQ_POLLIN, 0},
        };
        if (zmq_poll(items, a->len == 0 ? 2 : 1, timeout) < 0) {
            if (errno == ETERM)
                a->zmq_gone = true;
            else if (errno != EINTR)
                vlog_msg(a->log, VLOG_ERR, "audit: poll: %s", zmq_strerror(errno));
            continue;
        }
        if (items[0].revents & ZMQ_POLLIN)
            read_ctl(a);
    }
    atomic_store_explicit(&a->stopped, true, memory_order_relaxed);
    if (a->policy != AUDIT_FSYNC_NEVER)
        sync_file(a);
    return NULL;
}

/* ---- the handle ---------------------------------------------------- */

/* Closes a socket we own; only our own bug can make this fail. */
static void
close_socket(void **sp)
{
    if (*sp == NULL)
        return;
    int rc = zmq_close(*sp);
    assert(rc == 0);
    (void)rc;
    *sp = NULL;
}

/* zmq_setsockopt of an int option: 0, or -1 with errno. */
static int
set_int(void *s, int option, int value)
{
    return zmq_setsockopt(s, option, &value, sizeof value);
}

/* Frees what audit_new built; the thread is not running. */
static void
release(audit_t *a)
{
    if (a->pull != NULL && zmq_unbind(a->pull, a->endpoint) != 0)
        vlog_msg(a->log, VLOG_WARN, "audit: unbind %s: %s", a->endpoint, zmq_strerror(errno));
    close_socket(&a->pull);
    close_socket(&a->ctl_main);
    close_socket(&a->ctl_writer);
    if (a->have_held) {
        int rc = zmq_msg_close(&a->held);
        assert(rc == 0);
        (void)rc;
    }
    if (a->fd >= 0 && close(a->fd) != 0)
        vlog_msg(a->log, VLOG_WARN, "audit: %s: close: %s", a->path, strerror(errno));
    free(a->buf);
    free(a->path);
    free(a);
}

audit_t *
audit_new(void *zctx, const audit_cfg_t *cfg, vlog_t *log, char *err, size_t errlen)
{
    assert(zctx != NULL && cfg != NULL);
    if (cfg->path == NULL || cfg->path[0] == '\0') {
        snprintf(err, errlen, "audit: no file name");
        return NULL;
    }
    if ((unsigned)cfg->fsync >= AUDIT_FSYNC_COUNT) {
        snprintf(err, errlen, "audit: unknown fsync policy %d", (int)cfg->fsync);
        return NULL;
    }
    audit_t *a = calloc(1, sizeof *a);
    if (a == NULL) {
        snprintf(err, errlen, "audit: out of memory");
        return NULL;
    }
    a->fd = -1;
    a->zctx = zctx;
    a->log = log;
    a->policy = cfg->fsync;
    a->interval_ms = cfg->interval_ms ? cfg->interval_ms : AUDIT_INTERVAL_MS_DEFAULT;
    a->stop_ms = cfg->stop_ms ? cfg->stop_ms : AUDIT_STOP_MS_DEFAULT;
    unsigned q = cfg->queue_max ? cfg->queue_max : AUDIT_QUEUE_MAX_DEFAULT;
    /* An inproc pipe holds the sender's SNDHWM plus the receiver's
     * RCVHWM, and ZeroMQ reads 0 as no limit: both sides at least 1. */
    q = q < 2 ? 2 : q > INT_MAX ? INT_MAX : q;
    a->rcv_hwm = (int)(q / 2);
    a->snd_hwm = (int)(q - q / 2);
    a->backoff_ms = BACKOFF_MIN_MS;
    a->cap = BATCH_BYTES + BUF_SLACK;
    a->path = strdup(cfg->path);
    a->buf = malloc(a->cap);
    if (a->path == NULL || a->buf == NULL) {
        snprintf(err, errlen, "audit: out of memory");
        release(a);
        return NULL;
    }
    a->fd = open_log(a->path, log, err, errlen);
    if (a->fd < 0) {
        release(a);
        return NULL;
    }
    /* Unique among live handles (the address) and across a handle freed
     * and another allocated at the same place (the clock). */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(a->endpoint, sizeof a->endpoint, "inproc://vetd-audit-%p-%lld.%09ld", (void *)a,
             (long long)ts.tv_sec, ts.tv_nsec);
    snprintf(a->ctl_endpoint, sizeof a->ctl_endpoint, "%s-ctl", a->endpoint);
    const char *what = a->endpoint;
    a->pull = zmq_socket(zctx, ZMQ_PULL);
    if (a->pull == NULL || set_int(a->pull, ZMQ_RCVHWM, a->rcv_hwm) != 0 ||
        set_int(a->pull, ZMQ_LINGER, 0) != 0 || zmq_bind(a->pull, a->endpoint) != 0)
        goto zfail;
    what = a->ctl_endpoint;
    a->ctl_writer = zmq_socket(zctx, ZMQ_PAIR);
    if (a->ctl_writer == NULL || set_int(a->ctl_writer, ZMQ_LINGER, 0) != 0 ||
        zmq_bind(a->ctl_writer, a->ctl_endpoint) != 0)
        goto zfail;
    a->ctl_main = zmq_socket(zctx, ZMQ_PAIR);
    if (a->ctl_main == NULL || set_int(a->ctl_main, ZMQ_LINGER, 0) != 0 ||
        zmq_connect(a->ctl_main, a->ctl_endpoint) != 0)
        goto zfail;
    /* The writer takes no signals: they are the main thread's business.
     * (Its sockets move to it with the thread start, a full barrier.) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&a->thread, NULL, writer_main, a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "audit: cannot start the writer thread: %s", strerror(rc));
        release(a);
        return NULL;
    }
    return a;
zfail:
    snprintf(err, errlen, "audit: %s: %s", what, zmq_strerror(errno));
    release(a);
    return NULL;
}

void
audit_reopen(audit_t *a)
{
    assert(a != NULL);
    atomic_fetch_add(&a->reopen_req, 1);
    /* Only a wake-up: if the pipe is full, wake-ups are already queued. */
    const char m = CTL_REOPEN;
    while (zmq_send(a->ctl_main, &m, 1, ZMQ_DONTWAIT) < 0) {
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            vlog_msg(a->log, VLOG_ERR, "audit: reopen: %s", zmq_strerror(errno));
        break;
    }
}

bool
audit_healthy(const audit_t *a)
{
    return !atomic_load_explicit(&a->failing, memory_order_relaxed) &&
           !atomic_load_explicit(&a->stopped, memory_order_relaxed);
}

uint64_t
audit_written(const audit_t *a)
{
    return atomic_load(&a->written);
}

uint64_t
audit_dropped(const audit_t *a)
{
    return atomic_load(&a->dropped);
}

uint64_t
audit_failures(const audit_t *a)
{
    return atomic_load(&a->failures);
}

uint64_t
audit_queued(const audit_t *a)
{
    /* received first, so accepted is the later snapshot. A put counts
     * its record after the send, and the writer counts one before it
     * tries to take it: either may be ahead for a moment, hence the
     * guard. */
    uint64_t received = atomic_load(&a->received);
    uint64_t accepted = atomic_load(&a->accepted);
    return accepted > received ? accepted - received : 0;
}

void
audit_destroy(audit_t **ap)
{
    if (ap == NULL || *ap == NULL)
        return;
    audit_t *a = *ap;
    *ap = NULL;
    unsigned live = atomic_load(&a->sinks);
    assert(live == 0);
    if (live != 0)
        vlog_msg(a->log, VLOG_ERR,
                 "audit: destroyed with %u sinks alive; "
                 "their last records may be lost",
                 live);
    /* The writer stops once it has received every record the sinks sent:
     * counting makes this independent of how ZeroMQ orders our PAIR
     * against the sinks' pipes. */
    unsigned char m[1 + sizeof(uint64_t)];
    uint64_t expected = atomic_load(&a->submitted);
    m[0] = CTL_STOP;
    memcpy(m + 1, &expected, sizeof expected);
    while (zmq_send(a->ctl_main, m, sizeof m, 0) < 0) {
        if (errno == EINTR)
            continue;
        /* ETERM: the writer sees it too and stops by itself. */
        vlog_msg(a->log, VLOG_ERR, "audit: stop: %s", zmq_strerror(errno));
        break;
    }
    int rc = pthread_join(a->thread, NULL);
    assert(rc == 0);
    (void)rc;
    release(a);
}

/* ---- sinks --------------------------------------------------------- */

audit_sink_t *
audit_sink_new(audit_t *a)
{
    assert(a != NULL);
    audit_sink_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        vlog_msg(a->log, VLOG_ERR, "audit: out of memory for a sink");
        return NULL;
    }
    s->a = a;
    s->push = zmq_socket(a->zctx, ZMQ_PUSH);
    /* LINGER -1: records sent before the close still reach the writer. */
    if (s->push == NULL || set_int(s->push, ZMQ_SNDHWM, a->snd_hwm) != 0 ||
        set_int(s->push, ZMQ_LINGER, -1) != 0 || zmq_connect(s->push, a->endpoint) != 0) {
        vlog_msg(a->log, VLOG_ERR, "audit: sink on %s: %s", a->endpoint, zmq_strerror(errno));
        close_socket(&s->push);
        free(s);
        return NULL;
    }
    atomic_fetch_add(&a->sinks, 1);
    return s;
}

void
audit_sink_destroy(audit_sink_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    audit_sink_t *s = *sp;
    *sp = NULL;
    atomic_fetch_add(&s->a->submitted, s->sent);
    atomic_fetch_sub(&s->a->sinks, 1);
    close_socket(&s->push);
    free(s);
}

/* zmq_send of one record without waiting: AUDIT_OK, AUDIT_FULL or
 * AUDIT_GONE. */
static audit_put_result_t
send_now(void *push, const char *line, size_t len)
{
    for (bool looked = false;;) {
        if (zmq_send(push, line, len, ZMQ_DONTWAIT) >= 0)
            return AUDIT_OK;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return AUDIT_GONE; /* ETERM: the context is terminating */
        if (looked)
            return AUDIT_FULL;
        /* zmq_send hears that the writer made room at most once a
         * millisecond or so; asking for ZMQ_EVENTS hears it now, so a
         * queue just drained is not reported full. */
        int ev = 0;
        size_t evlen = sizeof ev;
        looked = true;
        if (zmq_getsockopt(push, ZMQ_EVENTS, &ev, &evlen) != 0)
            return errno == ETERM ? AUDIT_GONE : AUDIT_FULL;
        if (!(ev & ZMQ_POLLOUT))
            return AUDIT_FULL;
    }
}

audit_put_result_t
audit_put(audit_sink_t *s, const char *line, size_t len)
{
    if (len == 0)
        return AUDIT_OK;
    audit_t *a = s->a;
    audit_put_result_t r;
    if (atomic_load_explicit(&a->stopped, memory_order_relaxed))
        r = AUDIT_GONE;
    else if (atomic_load_explicit(&a->failing, memory_order_relaxed))
        /* Queued, the record would wait in memory for a disk that may
         * not come back; refused, the worker knows its request is not
         * audited and can act on it. */
        r = AUDIT_FAILING;
    else
        r = send_now(s->push, line, len);
    if (r != AUDIT_OK) {
        atomic_fetch_add_explicit(&a->dropped, 1, memory_order_relaxed);
        return r;
    }
    s->sent++;
    atomic_fetch_add_explicit(&a->accepted, 1, memory_order_relaxed);
    return AUDIT_OK;
}

/* ---- the record ------------------------------------------------------ */

void
audit_format(sbuf_t *b, const audit_record_t *r, const char *const *mask, size_t n_mask)
{
    struct tm tm;
    gmtime_r(&r->at.tv_sec, &tm);
    char stamp[40];
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%06ldZ", r->at.tv_nsec / 1000L);
    sbuf_printf(b, "{\"ts\":\"%s\",\"peer\":", stamp);
    sbuf_json_cstr(b, r->peer);
    sbuf_puts(b, ",\"id\":");
    sbuf_json_cstr(b, r->req->id);
    /* Who asked, by the caller's own account (context.user): masked
     * with context, as the request below is. */
    const char *user = NULL;
    for (size_t i = 0; r->parsed && i < r->req->n_ctx; i++)
        if (strcmp(r->req->ctx[i].key, "user") == 0)
            user = r->req->ctx[i].str;
    if (user != NULL) {
        bool hide = false;
        for (size_t i = 0; i < n_mask; i++)
            hide |= strcmp(mask[i], "context") == 0 || strcmp(mask[i], "context.user") == 0;
        sbuf_puts(b, ",\"user\":");
        if (hide)
            sbuf_puts(b, "\"***\"");
        else
            sbuf_json_cstr(b, user);
    }
    if (r->parsed) {
        sbuf_puts(b, ",\"request\":");
        proto_write_request(b, r->req, mask, n_mask);
    } else {
        /* It could not be read, so it cannot be masked field by field:
         * keep its start only when nothing is to be masked. */
        size_t len = r->raw_len;
        sbuf_printf(b, ",\"bytes\":%zu", len);
        if (n_mask == 0) {
            /* Its start, cut on a character boundary; bytes that are not
             * UTF-8 go in base64, so the line stays valid UTF-8 and the
             * bytes can be recovered exactly. */
            size_t keep = len <= AUDIT_RAW_MAX ? len : sbuf_utf8_prefix(r->raw, AUDIT_RAW_MAX);
            if (sbuf_utf8_valid(r->raw, keep)) {
                sbuf_puts(b, ",\"raw\":");
                sbuf_json_str(b, r->raw, keep);
            } else {
                keep = len < AUDIT_RAW_MAX ? len : AUDIT_RAW_MAX;
                sbuf_puts(b, ",\"raw_base64\":\"");
                sbuf_base64(b, r->raw, keep);
                sbuf_putc(b, '"');
            }
        }
    }
    const ruleset_t *rs = r->rs;
    if (r->err != ERR_NONE) {
        sbuf_printf(b, ",\"error\":{\"code\":\"%s\",\"message\":", req_err_name(r->err));
        sbuf_json_cstr(b, r->errmsg);
        sbuf_putc(b, '}');
    } else if (r->res != NULL) {
        /* A verdict is only given with a ruleset. */
        assert(rs != NULL);
        proto_write_audit_result(b, rs, r->req, r->res, mask, n_mask);
    } else if (r->reply != NULL) {
        sbuf_puts(b, ",\"reply\":");
        sbuf_puts(b, r->reply);
    }
    sbuf_puts(b, ",\"ruleset\":");
    if (rs != NULL)
        sbuf_printf(b, "\"%s\"", rs->digest);
    else
        sbuf_puts(b, "null");
    /* The review register it was judged with: decisions change verdicts
     * as much as rules do. */
    if (rs != NULL && rs->reviews_digest[0] != '\0')
        sbuf_printf(b, ",\"reviews\":\"%s\"", rs->reviews_digest);
    sbuf_printf(b, ",\"latency_us\":%" PRIu64 "}", r->latency_us);
}
