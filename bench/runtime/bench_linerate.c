/* bench/runtime/bench_linerate.c: what tracing costs a program that keeps
 * running (issue 13), each figure printed with its goal and hit / miss:
 * - start-up: an empty program run N times traced and N times untraced,
 *   alternating (paired), wall time of spawn to exit;
 * - spawn + exit beyond the stack pool: 5000 tasks parked, then tasks
 *   spawned and joined while they stay parked (no pooled stack is free
 *   after the first 4096 live ones);
 * - sustained traced co_yield ping-pong: 1 M+ yields per task, untraced and
 *   traced in the same process, paired rounds; the traced time ends after
 *   tr_rec_flush, so the writer thread's formatting and write(2) count.
 * - what a clock read costs here (the trace clock is rdtsc where the TSC is
 *   invariant, else CLOCK_MONOTONIC): the untraced yield plus one read is
 *   the floor under the traced figure, before any byte is stored.
 * Usage: bench_linerate [yields_per_task] [startup_pairs] [trace_path]
 * (startup_pairs 0: the yield figures only, e.g. under perf). Only the default
 * trace, /tmp/bench_linerate.PID.jsonl, is removed between and after runs: a
 * given trace_path is never unlinked (as root, /dev/null once was). */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coscope/co.h"
#include "coscope/tr_record.h"

extern char **environ;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *verdict(double v, double goal) { return v <= goal ? "hit" : "MISS"; }

/* Removes the trace between runs only when it is the bench's own /tmp
 * file: a path given on the command line (/dev/null, say) is the user's. */
static int own_trace;
static void drop_trace(const char *path)
{
    if (own_trace)
        unlink(path);
}

/* ---- start-up ---- */
static void *empty_main(void *arg) { return arg; }

/* One run of `self --empty`, traced into `path` or not: wall ns. */
static double run_empty(const char *self, const char *path)
{
    char var[4200];
    char *envp[256];
    int n = 0;
    for (char **e = environ; *e && n < 250; e++)
        if (strncmp(*e, "COSCOPE_TRACE=", 14) != 0)
            envp[n++] = *e;
    if (path) {
        snprintf(var, sizeof var, "COSCOPE_TRACE=%s", path);
        envp[n++] = var;
    }
    envp[n] = NULL;
    char *argv[] = {(char *)self, "--empty", NULL};
    pid_t pid;
    double t0 = now_ns();
    if (posix_spawn(&pid, self, NULL, NULL, argv, envp) != 0)
        return -1;
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return now_ns() - t0;
}

/* fresh: the trace file is removed before each traced run (untimed), so
 * the figure is the tracer's own start-up; else each run truncates the last
 * run's trace, which on ext4 frees (and here discards) its blocks inline in
 * open(O_TRUNC) and starts writeback at close (auto_da_alloc). */
static int bench_startup(const char *self, int pairs, const char *path, int fresh)
{
    double *off = malloc(sizeof *off * (size_t)pairs), *on = malloc(sizeof *on * (size_t)pairs);
    double *diff = malloc(sizeof *diff * (size_t)pairs);
    int rc = 0;
    for (int i = 0; i < pairs && rc == 0; i++) {
        int first_on = i % 2;
        if (fresh)
            drop_trace(path);
        double a = run_empty(self, first_on ? path : NULL);
        double b = run_empty(self, first_on ? NULL : path);
        on[i] = first_on ? a : b;
        off[i] = first_on ? b : a;
        diff[i] = on[i] - off[i];
        if (a < 0 || b < 0)
            rc = -1;
    }
    drop_trace(path);
    if (rc == 0) {
        const char *sfx = fresh ? "" : "_overwrite";
        double d = median(diff, pairs) / 1e6;
        printf("startup_untraced%s: %.2f ms\n", sfx, median(off, pairs) / 1e6);
        printf("startup_traced%s: %.2f ms\n", sfx, median(on, pairs) / 1e6);
        printf("startup_tax%s: %.2f ms (goal <= 3 ms over untraced: %s; median of %d paired "
               "differences; %s)\n", sfx, d, verdict(d, 3), pairs,
               fresh ? "a new trace file each run" : "each run truncates the last run's trace");
    }
    free(off);
    free(on);
    free(diff);
    return rc;
}

/* ---- spawn + exit beyond the pool ---- */
/* Rounds of BATCH tasks spawned (all live at once: a stack each), then all
 * joined: a server whose live count swings past the 4096 pooled stacks.
 * Round 0 starts from a cold pool; the figure is the later rounds. */
#define BATCH 10000
#define ROUNDS_B 6
static double round_ns[ROUNDS_B];
static double pooled_ns;

static void *nothing(void *arg) { return arg; }

static void *beyond_main(void *arg)
{
    (void)arg;
    double t0 = now_ns();
    for (int i = 0; i < 200000; i++)
        co_join(co_spawn(nothing, NULL, "n"), NULL);
    pooled_ns = (now_ns() - t0) / 200000;
    co_task **t = malloc(sizeof *t * BATCH);
    for (int r = 0; r < ROUNDS_B; r++) {
        t0 = now_ns();
        for (int i = 0; i < BATCH; i++)
            t[i] = co_spawn(nothing, NULL, "batch");
        for (int i = 0; i < BATCH; i++)
            co_join(t[i], NULL);
        round_ns[r] = (now_ns() - t0) / BATCH;
    }
    free(t);
    return NULL;
}

static void bench_beyond(void)
{
    double b[5], p[5], cold[5];
    for (int i = 0; i < 5; i++) {
        co_main(beyond_main, NULL);
        cold[i] = round_ns[0];
        b[i] = median(round_ns + 1, ROUNDS_B - 1);
        p[i] = pooled_ns;
    }
    double mb = median(b, 5);
    printf("spawn_exit_pooled: %.1f ns (one live task at a time)\n", median(p, 5));
    printf("spawn_exit_beyond_pool_cold: %.1f ns (first round of a run, every stack new)\n",
           median(cold, 5));
    printf("spawn_exit_beyond_pool: %.1f ns (goal <= 500 ns: %s; rounds of %d live tasks spawned "
           "then joined, rounds 2-%d of 5 runs)\n", mb, verdict(mb, 500), BATCH, ROUNDS_B);
}

/* ---- sustained yield ping-pong ---- */
static long yields;
static double yield_ns;

static void *yield_loop(void *arg)
{
    for (long i = 0; i < yields; i++)
        co_yield();
    return arg;
}

static void *yield_main(void *arg)
{
    (void)arg;
    double t0 = now_ns();
    co_task *a = co_spawn(yield_loop, NULL, "a");
    co_task *b = co_spawn(yield_loop, NULL, "b");
    co_join(a, NULL);
    co_join(b, NULL);
    tr_rec_flush(); /* the writer's share counts (a no-op untraced) */
    yield_ns = (now_ns() - t0) / (double)(2 * yields);
    return NULL;
}

static double one_yield_run(const char *path)
{
    if (path)
        setenv("COSCOPE_TRACE", path, 1);
    else
        unsetenv("COSCOPE_TRACE");
    co_main(yield_main, NULL);
    unsetenv("COSCOPE_TRACE");
    return yield_ns;
}

/* ns per read of each clock, 10 M back-to-back reads (the best of 3). */
static double clock_cost(int tsc)
{
    enum { N = 10000000 };
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
        volatile uint64_t sink = 0;
        double t0 = now_ns();
        for (int i = 0; i < N; i++) {
#if defined(__x86_64__) || defined(__i386__)
            if (tsc) {
                uint32_t lo, hi;
                __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
                sink += lo ^ hi;
                continue;
            }
#endif
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            sink += (uint64_t)ts.tv_nsec;
        }
        double ns = (now_ns() - t0) / N;
        best = ns < best ? ns : best;
        (void)sink;
    }
    return best;
}

static void bench_clock(double untraced)
{
#if defined(__x86_64__) || defined(__i386__)
    double clk = clock_cost(1);
    printf("clock_read_ns: %.2f ns per read (rdtsc; CLOCK_MONOTONIC %.2f ns; best of 3 x 10 M)\n",
           clk, clock_cost(0));
#else
    double clk = clock_cost(0);
    printf("clock_read_ns: %.2f ns per read (CLOCK_MONOTONIC; best of 3 x 10 M)\n", clk);
#endif
    printf("yield_traced_floor: %.2f ns per yield (the untraced yield plus one clock read: "
           "under the traced figure before a byte is stored)\n", untraced + clk);
}

static void bench_yield(const char *path)
{
    enum { ROUNDS = 5 };
    double off[ROUNDS], on[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        if (r % 2) {
            on[r] = one_yield_run(path);
            off[r] = one_yield_run(NULL);
        } else {
            off[r] = one_yield_run(NULL);
            on[r] = one_yield_run(path);
        }
    }
    drop_trace(path);
    double m_off = median(off, ROUNDS), m_on = median(on, ROUNDS);
    printf("yield_untraced: %.2f ns per yield\n", m_off);
    printf("yield_traced_sustained: %.2f ns per yield (goal <= 40 ns: %s; untraced %.2f ns; "
           "%ld yields per task, writer flushed inside the timing, median of %d paired rounds)\n",
           m_on, verdict(m_on, 40), m_off, yields, ROUNDS);
    bench_clock(m_off);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--empty") == 0)
        return co_main(empty_main, NULL) == 0 ? 0 : 1;
    yields = argc > 1 ? atol(argv[1]) : 1000000;
    int pairs = argc > 2 ? atoi(argv[2]) : 40;
    char def[64];
    snprintf(def, sizeof def, "/tmp/bench_linerate.%ld.jsonl", (long)getpid());
    const char *path = argc > 3 ? argv[3] : def;
    own_trace = argc <= 3;
    if (yields < 1 || pairs < 0)
        return 2;
    if (pairs == 0) {
        bench_yield(path);
        return 0;
    }

    if (bench_startup("/proc/self/exe", pairs, path, 1) != 0 ||
        bench_startup("/proc/self/exe", pairs, path, 0) != 0) {
        fprintf(stderr, "bench_linerate: the empty program failed\n");
        return 1;
    }
    bench_beyond();
    bench_yield(path);
    return 0;
}
