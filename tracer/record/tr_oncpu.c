/* tr_oncpu.c: how much of a long run slice the loop thread spent on a CPU.
 * A slice's wall time is not its cost: the OS may run another process
 * meanwhile (the thread waits on a run queue), or stop ours (SIGSTOP, a
 * debugger), or the task may sleep in a blocking system call. The kernel's
 * per-thread schedstat says the first two apart from the last: ns on a CPU
 * and ns runnable but waiting for one; a SIGCONT handler counts stops.
 *
 * Reading schedstat costs ~330-500 ns on the development VM (a system call;
 * CLOCK_THREAD_CPUTIME_ID is ~300 ns, getrusage ~200 ns without run-queue
 * time), against ~10 ns for the rest of a trace point, so it is not read at
 * every slice end. It is read when a slice longer than LONG_NS ends, and at
 * a slice's start only when the last reading is older than STEP_NS: at most
 * one read per STEP_NS of wall time plus one per long slice (< 0.5 % of a
 * busy loop's time). The figure for a long slice therefore also counts what
 * ran between the last reading and the slice's start: at most STEP_NS of
 * error, always towards "on CPU". */
#include "tr_rec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LONG_NS 250000u /* slices at least this long carry on-CPU figures */
#define STEP_NS 250000u /* the baseline is at most this old at a slice start */

static struct {
    int fd; /* /proc/thread-self/schedstat of the loop thread, or -1 */
    /* the last reading (its time: tr__slice.at_raw) */
    int64_t cpu, runq;
    unsigned stops;
    struct sigaction old_cont;
    int handler;
} C = {.fd = -1};

tr__slice_clock tr__slice;

static _Atomic unsigned stops; /* SIGCONTs seen since start */

static void on_cont(int sig, siginfo_t *si, void *uc)
{
    atomic_fetch_add_explicit(&stops, 1, memory_order_relaxed);
    /* Chain: a program that handles SIGCONT itself still does. */
    struct sigaction *o = &C.old_cont;
    if (o->sa_flags & SA_SIGINFO) {
        if (o->sa_sigaction)
            o->sa_sigaction(sig, si, uc);
    } else if (o->sa_handler != SIG_DFL && o->sa_handler != SIG_IGN) {
        o->sa_handler(sig);
    }
}

/* "cpu_ns runq_ns timeslices\n" (Documentation/scheduler/sched-stats.rst);
 * without it, the thread's CPU clock and no run-queue figure. */
static void read_now(int64_t *cpu, int64_t *runq)
{
    if (C.fd >= 0) {
        char buf[96];
        ssize_t n = pread(C.fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n] = '\0';
            int64_t v[2] = {0, 0};
            const char *p = buf;
            for (int k = 0; k < 2; k++) {
                while (*p == ' ')
                    p++;
                while (*p >= '0' && *p <= '9')
                    v[k] = v[k] * 10 + (*p++ - '0');
            }
            *cpu = v[0];
            *runq = v[1];
            return;
        }
    }
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    *cpu = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    *runq = 0;
}

void tr__oncpu_take(uint64_t ts)
{
    read_now(&C.cpu, &C.runq);
    C.stops = atomic_load_explicit(&stops, memory_order_relaxed);
    tr__slice.at_raw = ts;
}

void tr__oncpu_start(void)
{
    if (C.fd >= 0) /* a forked child's copy of its parent's */
        close(C.fd);
    C.fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    tr__slice.long_raw = tr__clock_raw_of_ns(LONG_NS);
    tr__slice.step_raw = tr__clock_raw_of_ns(STEP_NS);
    tr__slice.open = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_cont;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    C.handler = sigaction(SIGCONT, &sa, &C.old_cont) == 0;
    tr__oncpu_take(tr__clock_raw());
}

void tr__oncpu_stop(void)
{
    if (C.handler)
        sigaction(SIGCONT, &C.old_cont, NULL);
    C.handler = 0;
    if (C.fd >= 0)
        close(C.fd);
    C.fd = -1;
}

static int64_t clamp(int64_t v, int64_t hi) { return v < 0 ? 0 : v > hi ? hi : v; }

/* The end of a long slice (tr__oncpu_slice_end, inline, tells). */
int tr__oncpu_long_end(uint64_t ts, tr__oncpu *out)
{
    int64_t cpu0 = C.cpu, runq0 = C.runq;
    unsigned stops0 = C.stops;
    uint64_t begin = tr__slice.begin_raw;
    tr__oncpu_take(ts);
    int64_t wall = tr__clock_ns(ts) - tr__clock_ns(begin);
    out->cpu = clamp(C.cpu - cpu0, wall);
    out->runq = clamp(C.runq - runq0, wall - out->cpu);
    out->stops = C.stops - stops0;
    out->pad = 0;
    return 1;
}
