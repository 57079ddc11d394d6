/* tr_clock.c: the trace clock. The hot path stores a raw reading: rdtsc ticks
 * when the TSC is invariant (constant_tsc and nonstop_tsc in /proc/cpuinfo),
 * else CLOCK_MONOTONIC nanoseconds. The writer converts raw readings to ns
 * since the trace began with a multiply calibrated against CLOCK_MONOTONIC,
 * so the expensive part happens off the loop thread. */
#include "tr_rec_int.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int tr__clock_tsc;

static int calibrated;
static uint64_t mult;          /* ns per tick, 32.32 fixed point */
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

/* ~10 ms between two samples: about 60 ns of bracketing error on each end,
 * a few parts per million of rate error. */
static int calibrate(void)
{
    uint64_t n0 = 0, c0 = 0, n1 = 0, c1 = 0;
    sample(&n0, &c0);
    struct timespec d = {0, 10 * 1000 * 1000};
    while (nanosleep(&d, &d) != 0)
        ;
    sample(&n1, &c1);
    if (c1 <= c0 || n1 <= n0 || c1 - c0 < 1000)
        return 0;
    mult = (uint64_t)(((tr__u128)(n1 - n0) << 32) / (c1 - c0));
    return mult != 0;
}
#endif

void tr__clock_init(void)
{
    if (calibrated)
        return;
    calibrated = 1;
    tr__clock_tsc = 0;
    const char *force = getenv("COSCOPE_TRACE_CLOCK");
    if (force && strcmp(force, "monotonic") == 0)
        return;
#if defined(__x86_64__) || defined(__i386__)
    if (tsc_invariant() && calibrate())
        tr__clock_tsc = 1;
#endif
}

void tr__clock_origin(void) { origin_raw = tr__clock_raw(); }

int64_t tr__clock_ns(uint64_t raw)
{
    if (raw <= origin_raw)
        return 0;
    uint64_t d = raw - origin_raw;
    if (!tr__clock_tsc)
        return (int64_t)d;
    return (int64_t)(((tr__u128)d * mult) >> 32);
}

uint64_t tr__clock_raw_of_ns(uint64_t ns)
{
    if (!tr__clock_tsc || mult == 0)
        return ns;
    return (uint64_t)(((tr__u128)ns << 32) / mult);
}
