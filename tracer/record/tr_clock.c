/* tr_clock.c: the trace clock. The hot path stores a raw reading: rdtsc ticks
 * when the TSC is invariant (constant_tsc and nonstop_tsc in /proc/cpuinfo),
 * else CLOCK_MONOTONIC nanoseconds. The writer converts raw readings to ns
 * since the trace began with a multiply calibrated against CLOCK_MONOTONIC,
 * so the expensive part happens off the loop thread. The calibration is off
 * the start path too: start-up takes one (ns, ticks) pair and a 200 us rate
 * good to ~0.1 % (for thresholds), and the writer thread fixes the rate that
 * stamps lines over >= 10 ms (tr__clock_settle) before it formats any. */
#include "tr_rec_int.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int tr__clock_tsc;

static int calibrated;
static _Atomic uint64_t mult;  /* ns per tick, 32.32 fixed point */
static _Atomic int settled;    /* mult is final */
static uint64_t n0, c0;        /* the first calibration pair */
static uint64_t origin_raw;    /* raw reading at t = 0 */

__extension__ typedef unsigned __int128 tr__u128;

uint64_t tr__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
/* Both flags must be on the first "flags" line: a TSC that stops in deep
 * C-states or changes rate with the frequency cannot be used as a clock. */
static int tsc_invariant(void)
{
    static char buf[16384];
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *flags = strstr(buf, "\nflags");
    if (!flags)
        return 0;
    char *eol = strchr(flags + 1, '\n');
    if (eol)
        *eol = '\0';
    return strstr(flags, " constant_tsc") && strstr(flags, " nonstop_tsc");
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* One (ns, ticks) pair: the tick reading bracketed by two clock reads, taking
 * the tightest of a few tries so a preemption does not skew it. */
static void sample(uint64_t *ns, uint64_t *ticks)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t a = tr__mono_ns(), c = rdtsc(), b = tr__mono_ns();
        if (b - a < best) {
            best = b - a;
            *ns = a + (b - a) / 2;
            *ticks = c;
        }
    }
}

static uint64_t rate(uint64_t na, uint64_t ca, uint64_t nb, uint64_t cb)
{
    if (cb <= ca || nb <= na || cb - ca < 1000)
        return 0;
    return (uint64_t)(((tr__u128)(nb - na) << 32) / (cb - ca));
}

/* The provisional rate: ~200 us of spinning between two samples, good to
 * ~0.1 % with ~60 ns of bracketing error on each end. */
static int calibrate(void)
{
    uint64_t n1 = 0, c1 = 0;
    sample(&n0, &c0);
    while (tr__mono_ns() < n0 + 200 * 1000)
        ;
    sample(&n1, &c1);
    uint64_t m = rate(n0, c0, n1, c1);
    atomic_store(&mult, m);
    return m != 0;
}
#endif

void tr__clock_init(void)
{
    if (calibrated)
        return;
    calibrated = 1;
    tr__clock_tsc = 0;
    atomic_store(&settled, 1);
    const char *force = getenv("COSCOPE_TRACE_CLOCK");
    if (force && strcmp(force, "monotonic") == 0)
        return;
#if defined(__x86_64__) || defined(__i386__)
    if (tsc_invariant() && calibrate()) {
        tr__clock_tsc = 1;
        atomic_store(&settled, 0);
    }
#endif
}

uint64_t tr__clock_settle_due(void)
{
    return atomic_load(&settled) ? 0 : n0 + TR__CALIBRATE_NS;
}

/* Over >= 10 ms the bracketing error is a few parts per million; a trace
 * that ends sooner (a short program, a crash) settles over what it had:
 * its error is then ~120 ns over the whole trace. Async-signal-safe. */
void tr__clock_settle(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (atomic_load(&settled))
        return;
    uint64_t n1 = 0, c1 = 0;
    sample(&n1, &c1);
    uint64_t m = rate(n0, c0, n1, c1);
    if (m)
        atomic_store(&mult, m);
#endif
    atomic_store(&settled, 1);
}

void tr__clock_origin(void) { origin_raw = tr__clock_raw(); }

int64_t tr__clock_ns(uint64_t raw)
{
    if (raw <= origin_raw)
        return 0;
    uint64_t d = raw - origin_raw;
    if (!tr__clock_tsc)
        return (int64_t)d;
    return (int64_t)(((tr__u128)d * atomic_load_explicit(&mult, memory_order_relaxed)) >> 32);
}

uint64_t tr__clock_raw_of_ns(uint64_t ns)
{
    uint64_t m = atomic_load_explicit(&mult, memory_order_relaxed);
    if (!tr__clock_tsc || m == 0)
        return ns;
    return (uint64_t)(((tr__u128)ns << 32) / m);
}
