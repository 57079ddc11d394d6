/* bench_stacks.c: what caller chains and on-CPU figures cost. Prints
 * `name: value unit` lines:
 *   - a traced co_yield round trip (yield + ready + run lines, one walk)
 *     with stacks on and off (COSCOPE_STACKS=0): PAIRS pairs of short runs,
 *     on and off back to back in alternating order, and the median of each
 *     pair's own difference, the added cost per wait. Timed on the loop
 *     thread's CPU clock (the headline: a busy machine's other processes do
 *     not count), on the process's (the trace writer thread too) and on the
 *     wall clock, with the middle half of the pairs' differences as spread;
 *   - the walk alone (an interned chain of 8 frames: walk + hash lookup),
 *     on the thread's CPU clock;
 *   - the clocks the on-CPU figures could be read from, per read.
 * Usage: bench_stacks [yields per run]  (default 50000; 31 pairs) */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "coscope/co.h"
#include "coscope/tr_record.h"

#define PAIRS 31

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The value at quantile q of v (sorted in place). */
static double quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[(int)(q * (n - 1) + 0.5)];
}

static double median(double *v, int n)
{
    return quantile(v, n, 0.5);
}

/* One traced run's figures, ns per yield. */
typedef struct run {
    double loop_cpu, proc_cpu, wall;
} run;

static long yields;
static double loop_cpu_ns, loop_wall_ns;

static void *yield_main(void *arg)
{
    (void)arg;
    uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = now_ns();
    for (long i = 0; i < yields; i++)
        co_yield();
    loop_wall_ns = (double)(now_ns() - t0) / (double)yields;
    loop_cpu_ns = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)yields;
    return NULL;
}

/* One traced run of `yields` co_yield calls; the trace goes to a temp file.
 * The process's CPU spans start to stop, so the writer's flush counts. */
static run traced_yield(int stacks)
{
    char path[] = "/tmp/coscope-bench-stacks-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        exit(1);
    close(fd);
    setenv("COSCOPE_STACKS", stacks ? "1" : "0", 1);
    uint64_t p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (co_trace_start(path) != 0 || co_main(yield_main, NULL) != 0)
        exit(1);
    co_trace_stop();
    run r = {loop_cpu_ns,
             (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - p0) / (double)yields,
             loop_wall_ns};
    unlink(path);
    return r;
}

/* traced_yield_stacks_on|off SFX: medians of each arm;
 * stacks_added_per_wait SFX: the median of the pairs' own differences, and
 * _spread: their 25th..75th percentile. */
static void print_pairs(const char *sfx, const double *on, const double *off)
{
    double a[PAIRS], b[PAIRS], d[PAIRS];
    for (int i = 0; i < PAIRS; i++)
        a[i] = on[i], b[i] = off[i], d[i] = on[i] - off[i];
    printf("traced_yield_stacks_on%s: %.1f ns\n", sfx, median(a, PAIRS));
    printf("traced_yield_stacks_off%s: %.1f ns\n", sfx, median(b, PAIRS));
    printf("stacks_added_per_wait%s: %.1f ns\n", sfx, median(d, PAIRS));
    printf("stacks_added_per_wait%s_spread: %.1f..%.1f ns\n", sfx,
           quantile(d, PAIRS, 0.25), quantile(d, PAIRS, 0.75));
}

/* ---- the walk alone, 8 frames deep ---- */
static double walk_ns;
static const void *lo, *hi;

__attribute__((noinline)) static void walk_at(int depth, long n)
{
    if (depth > 0) {
        walk_at(depth - 1, n);
        __asm__ volatile("" ::: "memory"); /* not a tail call: keep the frame */
        return;
    }
    uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < n; i++)
        if (tr_rec_stack(__builtin_frame_address(0), lo, hi) == 0)
            exit(1);
    walk_ns = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / (double)n;
}

static void *walk_main(void *arg)
{
    (void)arg;
    /* the task's stack is COSCOPE_STACK_KB (64 KB) around this frame */
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    lo = (const void *)(here - 60 * 1024);
    hi = (const void *)(here + 2 * 1024);
    walk_at(7, yields);
    return NULL;
}

/* ---- clocks for on-CPU time ---- */
static double per_read(int which, long n)
{
    int fd = open("/proc/thread-self/schedstat", O_RDONLY);
    char buf[96];
    struct timespec ts;
    struct rusage ru;
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (which == 0)
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        else if (which == 1 && pread(fd, buf, sizeof buf, 0) <= 0)
            exit(1);
        else if (which == 2)
            getrusage(RUSAGE_THREAD, &ru);
    }
    double ns = (double)(now_ns() - t0) / (double)n;
    close(fd);
    return ns;
}

int main(int argc, char **argv)
{
    yields = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
    if (yields < 1000)
        yields = 1000;
    static double on[3][PAIRS], off[3][PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        /* back to back, alternating which goes first, so a drift of the
         * VM's speed cancels out of each pair's own difference */
        run r_on, r_off;
        if (i % 2) {
            r_off = traced_yield(0);
            r_on = traced_yield(1);
        } else {
            r_on = traced_yield(1);
            r_off = traced_yield(0);
        }
        on[0][i] = r_on.loop_cpu, off[0][i] = r_off.loop_cpu;
        on[1][i] = r_on.proc_cpu, off[1][i] = r_off.proc_cpu;
        on[2][i] = r_on.wall, off[2][i] = r_off.wall;
    }
    /* the headline: the loop thread's CPU, what a wait costs the program */
    print_pairs("", on[0], off[0]);
    print_pairs("_process_cpu", on[1], off[1]);
    print_pairs("_wall", on[2], off[2]);

    char path[] = "/tmp/coscope-bench-stacks-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    setenv("COSCOPE_STACKS", "1", 1);
    if (co_trace_start(path) != 0 || co_main(walk_main, NULL) != 0)
        return 1;
    co_trace_stop();
    unlink(path);
    printf("stack_walk_8_frames_interned: %.1f ns\n", walk_ns);

    printf("read_thread_cputime: %.0f ns\n", per_read(0, 200000));
    printf("read_schedstat: %.0f ns\n", per_read(1, 200000));
    printf("read_getrusage_thread: %.0f ns\n", per_read(2, 200000));
    return 0;
}
