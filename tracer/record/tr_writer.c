/* tr_writer.c: recording's lifetime and the writer thread. The writer drains
 * the loop ring and the work ring into JSON Lines and write(2)s them in
 * chunks of whole lines: when a producer nudges it (ring half full or full),
 * on tr_rec_flush(), on tr_rec_stop() and at least every 50 ms. A write
 * error stops writing for good (the program goes on, events are counted as
 * dropped). A crash handler fences the writer off and drains the rings
 * itself with the same code (tr__crash_drain). */
#include "tr_rec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/close_range.h>
#include <unistd.h>

#define OUT_CAP (256u << 10)
#define RESERVE (16u << 20) /* file blocks allocated ahead of the writes */
#define CRASH_CAP (64u << 10)
#define TICK_MS 50

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake;    /* the writer waits here for work */
    pthread_cond_t space;   /* producers wait here for room */
    pthread_cond_t flushed; /* tr_rec_flush waits here */
    pthread_t thread;
    long writer_tid;
    long loop_tid; /* the thread that started recording: the loop's */
    /* under mu */
    int kick, stop, work_open;
    uint64_t flush_req, flush_done;
    /* read without the lock */
    _Atomic int idle;         /* the writer sleeps */
    _Atomic int prod_waiting; /* a producer waits for space */
    _Atomic int recording;
    _Atomic int crashing;     /* the crash path owns the file */
    _Atomic int halted;       /* a fatal / halt line ended the file */
    _Atomic int writing;      /* the writer is inside write(2) */
    _Atomic uint64_t lines;   /* event lines in the file */
    _Atomic uint64_t dropped;
    /* owned by whoever writes: the writer thread, then the crash path once
     * it has fenced the writer off, then tr_rec_stop after the join */
    int fd;
    char *path;
    uint64_t off;  /* bytes in the file, all whole lines */
    uint64_t reserved; /* blocks allocated (fallocate) below this offset */
    int reserving;     /* 1 while fallocate works on this file */
    int failed;
    int err;       /* first write error, negative */
    int64_t committed_last_t;
    tr__out out;
    struct sigaction old_xfsz;
    /* flight mode (tr_flight.c): no file until a dump; under mu */
    int flight;
    char *program;
    int64_t unix_ns;
    uint64_t dump_req, dump_done;
    const char *dump_why; /* a string literal */
    int dump_rc;
    pthread_cond_t dumped;
    uint64_t populated; /* bytes of the loop ring faulted in (writer only) */
} W = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .fd = -1,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_conds(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&W.wake, &a);
    pthread_condattr_destroy(&a);
    pthread_cond_init(&W.space, NULL);
    pthread_cond_init(&W.flushed, NULL);
    pthread_cond_init(&W.dumped, NULL);
}


static uint64_t ring_end(const tr__ring *r, uint64_t pos) { return (pos | (r->size - 1)) + 1; }

/* ---- write errors ---- */

static char *cat(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

/* Says so once on stderr and stops writing. From a signal handler the reason
 * is the errno name (strerror may allocate); otherwise its text. */
static void fail(int err, int crash)
{
    if (W.failed)
        return;
    W.failed = 1;
    W.err = -err;
    static char msg[1024 + 256];
    char ebuf[128], nbuf[24];
    const char *why = crash ? tr__errname(-err, nbuf) : strerror_r(err, ebuf, sizeof ebuf);
    char *o = cat(msg, "coscope: trace write to ");
    size_t plen = strnlen(W.path, 1024);
    memcpy(o, W.path, plen);
    o += plen;
    o = cat(o, " failed: ");
    o = cat(o, why);
    o = cat(o, "; recording stopped, the program continues\n");
    ssize_t rc = write(2, msg, (size_t)(o - msg));
    (void)rc;
}

/* ext4 and xfs allocate a growing file's blocks a page at a time as
 * write(2) extends it (delayed allocation, with its reservations and
 * extent updates): about half of what the kernel spends on a trace's
 * bytes. Blocks allocated ahead, RESERVE at a time, with FALLOC_FL_KEEP_SIZE
 * (the size stays the bytes written, so a follower reads whole lines), cut
 * that: dd of 1 GiB into /tmp took 0.16-0.19 s of system time, 0.09-0.10 s
 * into blocks allocated first. give_back returns what was not used; a
 * program killed without a crash flush leaves up to RESERVE allocated past
 * the end until the file is rewritten or removed. A file that cannot (a
 * pipe, a terminal, a file system without fallocate) is written as is. */
static void reserve(size_t n)
{
    while (W.reserving && W.off + n > W.reserved) {
        if (fallocate(W.fd, FALLOC_FL_KEEP_SIZE, (off_t)W.reserved, RESERVE) == 0)
            W.reserved += RESERVE;
        else
            W.reserving = 0;
    }
}

/* Frees the blocks reserve allocated past the file's end (async-signal-
 * safe: the crash path calls it too). */
static void give_back(void)
{
    W.reserving = 0;
    if (W.reserved > W.off && ftruncate(W.fd, (off_t)W.off) != 0)
        (void)0; /* only blocks past the end stay allocated */
    W.reserved = 0;
}

/* Writes out->buf. On error the file is cut back to its last whole line
 * (a short write may have stopped mid-line), the lines that did not make it
 * count as dropped, and writing stops. */
static void write_lines(tr__out *out, int crash)
{
    size_t done = 0;
    if (!crash)
        reserve(out->len);
    while (done < out->len) {
        ssize_t n = write(W.fd, out->buf + done, out->len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        int err = n < 0 ? errno : ENOSPC;
        size_t keep = done;
        while (keep > 0 && out->buf[keep - 1] != '\n')
            keep--;
        if (keep < done && ftruncate(W.fd, (off_t)(W.off + keep)) != 0)
            keep = done; /* nothing better to do */
        uint64_t kept = 0;
        for (size_t i = 0; i < keep; i++)
            kept += out->buf[i] == '\n';
        W.off += keep;
        atomic_fetch_add(&W.lines, kept);
        atomic_fetch_add(&W.dropped, out->lines - kept);
        fail(err, crash);
        return;
    }
    W.off += out->len;
    atomic_fetch_add(&W.lines, out->lines);
}

/* ---- draining ---- */

/* Writes what `out` holds and frees the ring up to `pos`. The writer first
 * announces it is writing, then checks for a crash: with both seq_cst,
 * either it sees the crash and backs off, or the crash path sees it writing
 * and waits, so no line is written twice. Returns -1 if it backed off. */
static int commit(tr__ring *ring, uint64_t pos, tr__out *out, int crash)
{
    if (out->lines) {
        if (W.failed) {
            atomic_fetch_add(&W.dropped, out->lines);
        } else {
            if (!crash) {
                atomic_store(&W.writing, 1);
                if (atomic_load(&W.crashing)) {
                    atomic_store(&W.writing, 0);
                    return -1;
                }
            }
            write_lines(out, crash);
        }
        W.committed_last_t = out->last_t;
    }
    out->len = 0;
    out->lines = 0;
    atomic_store(&ring->tail, pos);
    if (!crash) {
        atomic_store(&W.writing, 0);
        if (atomic_load(&W.prod_waiting)) {
            pthread_mutex_lock(&W.mu);
            pthread_cond_broadcast(&W.space);
            pthread_mutex_unlock(&W.mu);
        }
    }
    return 0;
}

/* Formats every record published in `ring` so far. Loop lines are clamped
 * so t never goes back (the TSC of another core may lag by a few ticks). */
static int drain_ring(tr__ring *ring, int loop, tr__out *out, int crash)
{
    uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    uint64_t pos = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    uint64_t mask = ring->size - 1;
    while (pos != head) {
        const tr__rec *r = (const tr__rec *)(ring->buf + (pos & mask));
        if (r->ev == TR__PAD) {
            pos = ring_end(ring, pos);
            continue;
        }
        if (out->cap - out->len < TR__MAXLINE && commit(ring, pos, out, crash) != 0)
            return -1;
        if (!W.failed) {
            int64_t t = tr__clock_ns(r->ts);
            if (loop) {
                if (t < out->last_t)
                    t = out->last_t;
                out->last_t = t;
            }
            out->len += tr__fmt_rec(out->buf + out->len, r, t);
        }
        out->lines++;
        pos += TR__REC_SIZE(r->slen);
    }
    return commit(ring, pos, out, crash);
}

/* Flight mode's share of a writer iteration: fold what left the window,
 * the triggers, and the dumps tr_rec_dump asked for. */
/* Flight mode's ring is the window (64 MB by default). Each tick faults in
 * the stretch ahead of the loop's head, on this thread, so that the loop's
 * first pass over a page does not: that is a zeroed 2 MB huge page, some
 * hundred us of loop time each (clear_page was 1.5 % of http_hello's
 * samples in a 6 s run, all on the loop thread; now on this one).
 * MADV_POPULATE_WRITE maps pages and writes no byte, so it does not race
 * with the records the loop writes meanwhile. Only up to POPULATE_AHEAD
 * past the head: a short run does not hold 64 MB it never used, nor wait
 * at its stop for them to be zeroed. Advice: nothing where the kernel or
 * the ring (under 2 MB, not page-aligned) does not allow it. */
#define POPULATE_AHEAD ((uint64_t)8 << 20)
#define POPULATE_STEP ((uint64_t)2 << 20) /* ring_init's alignment, from 2 MB */

static void flight_populate(void)
{
#ifdef MADV_POPULATE_WRITE
    tr__ring *r = &tr__loop_ring;
    if (r->size < POPULATE_STEP || W.populated >= r->size)
        return;
    uint64_t want = atomic_load_explicit(&r->head, memory_order_relaxed) + POPULATE_AHEAD;
    want = want < r->size ? (want + POPULATE_STEP - 1) & ~(POPULATE_STEP - 1) : r->size;
    if (want <= W.populated)
        return;
    madvise(r->buf + W.populated, want - W.populated, MADV_POPULATE_WRITE);
    W.populated = want; /* tried once: a kernel without it says so every time */
#endif
}

static void flight_service(int stopping)
{
    flight_populate();
    /* as commit() does for writes: the crash path waits while we fold or
     * dump, and we back off once it has begun */
    atomic_store(&W.writing, 1);
    if (atomic_load(&W.crashing)) {
        atomic_store(&W.writing, 0);
        return;
    }
    tr__flight_tick(W.program, (long)getpid(), W.unix_ns, stopping);
    pthread_mutex_lock(&W.mu);
    uint64_t req = W.dump_req;
    const char *why = W.dump_why;
    pthread_mutex_unlock(&W.mu);
    int rc = 0;
    if (req != W.dump_done)
        rc = tr__flight_api_ok() ? tr__flight_dump(why, W.program, (long)getpid(), W.unix_ns)
                                 : -EBUSY;
    atomic_store(&W.writing, 0);
    if (req == W.dump_done)
        return;
    pthread_mutex_lock(&W.mu);
    W.dump_rc = rc;
    W.dump_done = req;
    pthread_cond_broadcast(&W.dumped);
    pthread_mutex_unlock(&W.mu);
}

/* The TSC rate that stamps lines is fixed once, here, over the 10 ms after
 * the clock was picked (off the program's start path): the writer formats
 * nothing before, unless recording stops sooner. Called with W.mu held;
 * a kick meanwhile (a full ring) waits for the rest of those 10 ms. */
static void settle_clock(void)
{
    uint64_t due = tr__clock_settle_due();
    while (due && !W.stop && tr__mono_ns() < due) {
        struct timespec until = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
        pthread_cond_timedwait(&W.wake, &W.mu, &until);
    }
    tr__clock_settle();
}

/* The writer's own file table: a second thread sharing the program's makes
 * the kernel take and drop a reference to the file on every fd syscall of
 * the loop (read, recv, write, epoll_ctl), which a process with one thread
 * per table skips: ~2.8 % of a traced http_hello's CPU samples (fdget,
 * fput, do_epoll_ctl), gone with this. The writer unshares the table and
 * closes the copies it got of the program's fds, so a socket the program
 * closes is closed; it keeps the trace file (the loop's copy serves the
 * crash path and tr_rec_stop) and stderr, for its messages. Where the
 * kernel has no CLOSE_RANGE_UNSHARE (before 5.9) the table stays shared. */
static void writer_own_fds(void)
{
#if defined(SYS_close_range) && defined(CLOSE_RANGE_UNSHARE)
    unsigned keep = W.fd > 3 ? (unsigned)W.fd : 0; /* above 3: a gap to keep */
    unsigned first = W.fd == 3 ? 4u : 3u;
    if (syscall(SYS_close_range, first, keep ? keep - 1 : ~0u, CLOSE_RANGE_UNSHARE) != 0)
        return;
    if (keep)
        syscall(SYS_close_range, keep + 1, ~0u, 0u);
    for (int fd = 0; fd < 2; fd++)
        if (fd != W.fd)
            close(fd);
#endif
}

static void *writer_main(void *arg)
{
    (void)arg;
    W.writer_tid = (long)syscall(SYS_gettid);
    /* never cancelled: glibc's cancellation points (write, the condition
     * waits) then skip their two atomic swaps of the cancel type (co_main) */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    writer_own_fds();
    pthread_mutex_lock(&W.mu);
    settle_clock();
    for (;;) {
        uint64_t req = W.flush_req;
        int stopping = W.stop;
        W.kick = 0;
        pthread_mutex_unlock(&W.mu);
        if (W.flight)
            flight_service(stopping);
        else if (!atomic_load(&W.crashing) && drain_ring(&tr__loop_ring, 1, &W.out, 0) == 0)
            drain_ring(&tr__work_ring, 0, &W.out, 0);
        pthread_mutex_lock(&W.mu);
        pthread_cond_broadcast(&W.space);
        if (W.flush_done != req) {
            W.flush_done = req;
            pthread_cond_broadcast(&W.flushed);
        }
        if (stopping)
            break;
        if (!W.kick && !W.stop && W.flush_req == req) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += TICK_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            atomic_store(&W.idle, 1);
            pthread_cond_timedwait(&W.wake, &W.mu, &until);
            atomic_store(&W.idle, 0);
        }
    }
    pthread_mutex_unlock(&W.mu);
    return NULL;
}

/* ---- producers' side ---- */

void tr__writer_kick(void)
{
    if (!atomic_load_explicit(&W.idle, memory_order_relaxed))
        return;
    pthread_mutex_lock(&W.mu);
    W.kick = 1;
    pthread_cond_signal(&W.wake);
    pthread_mutex_unlock(&W.mu);
}

int tr__writer_wait_space(tr__ring *ring, uint64_t head, uint64_t need, int locked)
{
    int rc = 0;
    if (!locked)
        pthread_mutex_lock(&W.mu);
    atomic_fetch_add(&W.prod_waiting, 1);
    /* not `head + need - tail`: tail may have passed a stale head */
    while (head + need > atomic_load(&ring->tail) + ring->size) {
        if (locked && !W.work_open) {
            rc = -1;
            break;
        }
        W.kick = 1;
        pthread_cond_signal(&W.wake);
        pthread_cond_wait(&W.space, &W.mu);
    }
    atomic_fetch_sub(&W.prod_waiting, 1);
    if (!locked || rc)
        pthread_mutex_unlock(&W.mu);
    return rc;
}

int tr__work_lock(void)
{
    pthread_mutex_lock(&W.mu);
    if (W.work_open)
        return 1;
    pthread_mutex_unlock(&W.mu);
    return 0;
}

void tr__work_unlock(void) { pthread_mutex_unlock(&W.mu); }

/* ---- the crash path ---- */

static void pause_ms(long ms)
{
    struct timespec d = {0, ms * 1000000L};
    while (nanosleep(&d, &d) != 0 && errno == EINTR)
        ;
}

/* Async-signal-safe: atomics, nanosleep, write, ftruncate and the formatter.
 * The first caller fences the writer off (waiting at most a second for a
 * write in flight to land), ends recording and writes what is left from a
 * static buffer, then `last` (a fatal or halt line) if given: the trace's
 * last line, after which nothing more is written. A second thread crashing
 * meanwhile waits for it; the same thread re-entering (a fault inside the
 * flush) returns at once. */
static void crash_drain(const tr__rec *last)
{
    static _Atomic long owner;
    static char buf[CRASH_CAP];
    if (!atomic_load(&W.recording) || atomic_load(&W.halted))
        return;
    if (W.flight && last && last->ev == TR_EV_HALT && last->slen == 0)
        return; /* flight mode: a plain exit() is no reason to dump */
    long self = (long)syscall(SYS_gettid), none = 0;
    if (!atomic_compare_exchange_strong(&owner, &none, self)) {
        for (int i = 0; none != self && i < 1000 && atomic_load(&owner) != 0; i++)
            pause_ms(1);
        return;
    }
    if (self == W.loop_tid)
        tr_rec_settle(); /* a held-back io_begin / io_end is an event too */
    __atomic_store_n(&tr__on, 0, __ATOMIC_RELAXED);
    atomic_store(&W.crashing, 1);
    if (self != W.writer_tid)
        for (int i = 0; i < 1000 && atomic_load(&W.writing); i++)
            pause_ms(1);
    tr__fmt_nocache = 1;
    tr__clock_settle();
    if (W.flight) { /* the window as it is, ending with `last` */
        tr__flight_crash_dump(last, W.program, (long)getpid(), W.unix_ns);
        if (last)
            atomic_store(&W.halted, 1);
        atomic_store(&owner, 0);
        return;
    }
    tr__out out = {buf, sizeof buf, 0, 0, W.committed_last_t};
    if (drain_ring(&tr__loop_ring, 1, &out, 1) == 0)
        drain_ring(&tr__work_ring, 0, &out, 1);
    if (last) {
        int64_t t = tr__clock_ns(tr__clock_raw());
        if (t < out.last_t)
            t = out.last_t;
        out.last_t = t;
        out.len = tr__fmt_rec(out.buf, last, t);
        out.lines = 1;
        commit(&tr__loop_ring, atomic_load(&tr__loop_ring.tail), &out, 1);
        atomic_store(&W.halted, 1);
    }
    give_back(); /* nothing is written after a crash flush */
    atomic_store(&owner, 0);
}

void tr__crash_drain(void) { crash_drain(NULL); }

void tr_rec_crash_flush(void) { crash_drain(NULL); }

/* A record with room for a message, on the caller's stack (no malloc: these
 * run in signal handlers and just before abort). */
typedef union last_rec {
    tr__rec r;
    unsigned char bytes[TR__REC_HEAD + TR__STRMAX + 1];
} last_rec;

static size_t cut_utf8(const char *s, size_t len)
{
    if (len > TR__STRMAX) {
        len = TR__STRMAX;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    return len;
}

static void (*volatile halt_hook)(void);

void tr_rec_set_halt_hook(void (*fn)(void))
{
    halt_hook = fn;
}

static void run_halt_hook(void)
{
    void (*fn)(void) = halt_hook;
    if (fn)
        fn();
}

void tr_rec_fatal(uint64_t task, const char *msg, size_t len, const char *file, int line)
{
    run_halt_hook();
    last_rec lr;
    memset(&lr, 0, TR__REC_HEAD);
    size_t n = msg ? cut_utf8(msg, len) : 0;
    lr.r.ev = TR_EV_FATAL;
    lr.r.slen = (uint8_t)n;
    lr.r.task = task;
    lr.r.file = file;
    lr.r.line = line;
    if (n)
        memcpy(lr.r.str, msg, n);
    crash_drain(&lr.r);
}

void tr_rec_halt(int sig, int code)
{
    run_halt_hook();
    last_rec lr;
    memset(&lr, 0, TR__REC_HEAD);
    lr.r.ev = TR_EV_HALT;
    lr.r.v1 = code;
    if (sig > 0) {
        /* "SIG" + the abbreviation (a table lookup in glibc) */
        const char *ab = sigabbrev_np(sig);
        char name[32] = "SIG";
        size_t n = 3;
        if (ab) {
            size_t al = strnlen(ab, sizeof name - 4);
            memcpy(name + 3, ab, al);
            n += al;
        } else { /* a real-time signal: "SIG" and its number */
            char d[12];
            size_t nd = 0;
            for (unsigned v = (unsigned)sig; v; v /= 10)
                d[nd++] = (char)('0' + v % 10);
            while (nd)
                name[n++] = d[--nd];
        }
        memcpy(lr.r.str, name, n);
        lr.r.slen = (uint8_t)n;
    }
    crash_drain(&lr.r);
}

/* exit() (or a return from main) while recording: the run ended without
 * tr_rec_stop, so say how, with what is left of the trace before it. */
static void at_exit(int status, void *arg)
{
    (void)arg;
    tr_rec_halt(0, status);
}

/* ---- lifetime ---- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -ENOSPC;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A ring of 2 MiB or more (flight mode's 64 MiB) asks for huge pages: the
 * loop writes it and the writer reads it back a window later from memory,
 * and with 4 KiB pages most of those reads also miss the TLB. */
static int ring_init(tr__ring *r, size_t size)
{
    size_t huge = (size_t)2 << 20;
    r->buf = aligned_alloc(size >= huge ? huge : 64, size);
#ifdef MADV_HUGEPAGE
    if (r->buf && size >= huge)
        madvise(r->buf, size, MADV_HUGEPAGE); /* advice: ignored where unsupported */
#endif
    r->size = size;
    atomic_store(&r->head, 0);
    atomic_store(&r->tail, 0);
    return r->buf ? 0 : -ENOMEM;
}

static void release_all(void)
{
    if (W.fd >= 0)
        close(W.fd);
    W.fd = -1;
    free(tr__loop_ring.buf);
    free(tr__work_ring.buf);
    free(W.out.buf);
    free(W.path);
    free(W.program);
    tr__loop_ring.buf = tr__work_ring.buf = NULL;
    W.out.buf = NULL;
    W.path = NULL;
    W.program = NULL;
    if (W.flight)
        tr__flight_stop();
    W.flight = 0;
}

/* A forked child does not own the writer thread or the file: it stops
 * recording, lets go of the parent's buffers and file, and may start its
 * own trace. */
static void atfork_child(void)
{
    tr__on = 0;
    if (atomic_load(&W.recording)) {
        atomic_store(&W.recording, 0);
        tr__crash_uninstall();
        sigaction(SIGXFSZ, &W.old_xfsz, NULL);
        release_all();
    }
    pthread_mutex_init(&W.mu, NULL);
    init_conds();
}

static void init_once(void)
{
    init_conds();
    pthread_atfork(NULL, NULL, atfork_child);
    on_exit(at_exit, NULL);
}

/* A run's counters and flags from zero, the header's n bytes written. */
static void reset_run(size_t n)
{
    struct stat st;
    W.off = n;
    W.reserved = 0;
    W.reserving = W.fd >= 0 && fstat(W.fd, &st) == 0 && S_ISREG(st.st_mode);
    W.kick = W.stop = 0;
    W.work_open = 1;
    W.flush_req = W.flush_done = 0;
    W.dump_req = W.dump_done = 0;
    W.failed = W.err = 0;
    W.committed_last_t = 0;
    W.writer_tid = 0;
    W.loop_tid = (long)syscall(SYS_gettid);
    atomic_store(&W.crashing, 0);
    atomic_store(&W.halted, 0);
    atomic_store(&W.writing, 0);
    atomic_store(&W.lines, 0);
    atomic_store(&W.dropped, 0);
    tr__emit_reset();
}

/* Starts the writer thread: 0 or a negative errno. */
static int start_thread(void)
{
    /* The writer takes no asynchronous signals: they belong to the program. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int prc = pthread_create(&W.thread, NULL, writer_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0)
        return -prc;
    /* so top -H, perf and gdb can tell its time from the program's */
    pthread_setname_np(W.thread, "coscope-writer");
    return 0;
}

int tr_rec_start(const char *path, const char *program)
{
    if (!path)
        return -EINVAL;
    if (atomic_load(&W.recording))
        return -EEXIST;
    pthread_once(&once, init_once);
    tr__clock_init();

    int rc = -ENOMEM;
    /* COSCOPE_FLIGHT: the rings hold the window, nothing is written yet */
    size_t flight_ring = tr__flight_config(path);
    W.flight = flight_ring != 0;
    W.populated = 0;
    W.path = strdup(path);
    W.program = strdup(program ? program : "");
    W.out = (tr__out){malloc(OUT_CAP), OUT_CAP, 0, 0, 0};
    if (!W.path || !W.program || !W.out.buf ||
        ring_init(&tr__loop_ring, W.flight ? flight_ring : TR__LOOP_RING) ||
        ring_init(&tr__work_ring, TR__WORK_RING))
        goto fail;
    W.fd = W.flight ? -1 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (!W.flight && W.fd < 0) {
        rc = -errno;
        goto fail;
    }

    /* A file-size limit must give EFBIG, not kill the program. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    sigaction(SIGXFSZ, &ign, &W.old_xfsz);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    tr__clock_origin();
    tr__stack_start(); /* the header names the modules */
    tr__oncpu_start();
    W.unix_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    tr__fmt_reset(); /* the format version first: the header says it */
    size_t n = tr__fmt_header(W.out.buf, W.program, (long)getpid(), W.unix_ns);
    rc = W.flight ? 0 : write_all(W.fd, W.out.buf, n);
    if (rc != 0) {
        sigaction(SIGXFSZ, &W.old_xfsz, NULL);
        tr__oncpu_stop();
        goto fail;
    }

    reset_run(n);
    rc = start_thread();
    if (rc != 0) {
        sigaction(SIGXFSZ, &W.old_xfsz, NULL);
        tr__oncpu_stop();
        goto fail;
    }
    atomic_store(&W.recording, 1);
    tr__crash_install();
    __atomic_store_n(&tr__on, 1, __ATOMIC_RELEASE);
    return 0;

fail:
    release_all();
    return rc;
}

int tr_rec_stop(void)
{
    if (!atomic_load(&W.recording))
        return 0;
    tr_rec_settle();
    __atomic_store_n(&tr__on, 0, __ATOMIC_RELEASE);
    pthread_mutex_lock(&W.mu);
    W.work_open = 0;
    W.stop = 1;
    pthread_cond_signal(&W.wake);
    pthread_cond_broadcast(&W.space);
    pthread_mutex_unlock(&W.mu);
    pthread_join(W.thread, NULL);

    /* After a crash flush the writer wrote nothing more: drain here. */
    if (atomic_load(&W.crashing))
        drain_ring(&tr__loop_ring, 1, &W.out, 1), drain_ring(&tr__work_ring, 0, &W.out, 1);
    tr__crash_uninstall();
    if (!W.failed && !atomic_load(&W.halted) && !W.flight) { /* a halt line stays last */
        int64_t t = tr_rec_now();
        if (t < W.out.last_t)
            t = W.out.last_t;
        size_t n = tr__fmt_end(W.out.buf, t, atomic_load(&W.lines), atomic_load(&W.dropped));
        int rc = write_all(W.fd, W.out.buf, n);
        if (rc != 0) {
            /* cut a partial end line: the file stays whole lines */
            if (ftruncate(W.fd, (off_t)W.off) != 0)
                (void)0;
            fail(-rc, 0);
        } else {
            W.off += n;
        }
    }
    give_back(); /* none in flight mode: no file was reserved */
    atomic_store(&W.recording, 0);
    sigaction(SIGXFSZ, &W.old_xfsz, NULL);
    tr__oncpu_stop();
    tr__stack_stop();
    release_all();
    return W.err;
}

int tr_rec_dump(const char *why)
{
    if (!atomic_load(&W.recording) || !W.flight)
        return -EINVAL;
    tr_rec_settle();
    pthread_mutex_lock(&W.mu);
    uint64_t ticket = ++W.dump_req;
    W.dump_why = why ? why : "co_trace_dump";
    W.kick = 1;
    pthread_cond_signal(&W.wake);
    while (W.dump_done < ticket)
        pthread_cond_wait(&W.dumped, &W.mu);
    int rc = W.dump_rc;
    pthread_mutex_unlock(&W.mu);
    return rc;
}

void tr_rec_flush(void)
{
    if (!atomic_load(&W.recording))
        return;
    if ((long)syscall(SYS_gettid) == W.loop_tid)
        tr_rec_settle();
    pthread_mutex_lock(&W.mu);
    uint64_t ticket = ++W.flush_req;
    pthread_cond_signal(&W.wake);
    while (W.flush_done < ticket)
        pthread_cond_wait(&W.flushed, &W.mu);
    pthread_mutex_unlock(&W.mu);
}

int64_t tr_rec_now(void) { return tr__clock_ns(tr__clock_raw()); }

uint64_t tr_rec_events(void)
{
    return tr__loop_events + atomic_load_explicit(&tr__work_events, memory_order_relaxed);
}

uint64_t tr_rec_dropped(void) { return atomic_load(&W.dropped); }
