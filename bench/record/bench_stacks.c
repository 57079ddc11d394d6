/* bench_stacks.c: what caller chains and on-CPU figures cost. Prints
 * `name: value unit` lines:
 *   - a traced co_yield round trip (yield + ready + run lines, one walk)
 *     with stacks on and off (COSCOPE_STACKS=0), as medians of paired runs
 *     alternating on/off, and their difference: the added cost per wait;
 *   - the walk alone (an interned chain of 8 frames: walk + hash lookup);
 *   - the clocks the on-CPU figures could be read from, per read.
 * Usage: bench_stacks [yields per run]  (default 200000; 7 pairs) */
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

#define PAIRS 7

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

static long yields;
static double yield_ns;

static void *yield_main(void *arg)
{
    (void)arg;
    uint64_t t0 = now_ns();
    for (long i = 0; i < yields; i++)
        co_yield();
    yield_ns = (double)(now_ns() - t0) / (double)yields;
    return NULL;
}

/* One traced run of `yields` co_yield calls; the trace goes to a temp file. */
static double traced_yield(int stacks)
{
    char path[] = "/tmp/coscope-bench-stacks-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        exit(1);
    close(fd);
    setenv("COSCOPE_STACKS", stacks ? "1" : "0", 1);
    if (co_trace_start(path) != 0 || co_main(yield_main, NULL) != 0)
        exit(1);
    co_trace_stop();
    unlink(path);
    return yield_ns;
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
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (tr_rec_stack(__builtin_frame_address(0), lo, hi) == 0)
            exit(1);
    walk_ns = (double)(now_ns() - t0) / (double)n;
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
    yields = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    if (yields < 1000)
        yields = 1000;
    double on[PAIRS], off[PAIRS], diff[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        /* alternate which goes first, so a drift of the VM's speed
         * cancels out of the paired difference */
        if (i % 2) {
            off[i] = traced_yield(0);
            on[i] = traced_yield(1);
        } else {
            on[i] = traced_yield(1);
            off[i] = traced_yield(0);
        }
        diff[i] = on[i] - off[i];
    }
    printf("traced_yield_stacks_on: %.1f ns\n", median(on, PAIRS));
    printf("traced_yield_stacks_off: %.1f ns\n", median(off, PAIRS));
    printf("stacks_added_per_wait: %.1f ns\n", median(diff, PAIRS));

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
