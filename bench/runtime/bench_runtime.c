/* bench/runtime/bench_runtime.c: what the runtime costs. Prints
 * `name: value unit` lines: the raw asm switch, glibc swapcontext for
 * comparison, a co_yield round trip between two tasks, spawn+join with
 * pooled stacks, and the RSS of N live tasks. Medians of 5 runs.
 * Usage: bench_runtime [live_tasks]   (default 100000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <ucontext.h>

#include "coscope/co.h"
#include "ctx.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median5(double v[5])
{
    qsort(v, 5, sizeof v[0], cmp_d);
    return v[2];
}

/* ---- raw switch ---- */
#define SWITCHES 20000000L
static co__ctx main_ctx, other_ctx;
static char other_stack[64 * 1024] __attribute__((aligned(16)));

static void other_entry(void)
{
    for (;;)
        co__ctx_swap(&other_ctx, &main_ctx);
}

static double bench_raw_switch(void)
{
    co__ctx_make(&other_ctx, other_stack, sizeof other_stack, other_entry);
    co__ctx_swap(&main_ctx, &other_ctx);
    uint64_t t0 = now_ns();
    for (long i = 0; i < SWITCHES / 2; i++)
        co__ctx_swap(&main_ctx, &other_ctx);
    return (double)(now_ns() - t0) / SWITCHES;
}

/* ---- swapcontext ---- */
#define UC_SWITCHES 400000L
static ucontext_t uc_main, uc_other;

static void uc_entry(void)
{
    for (;;)
        swapcontext(&uc_other, &uc_main);
}

static double bench_swapcontext(void)
{
    getcontext(&uc_other);
    uc_other.uc_stack.ss_sp = other_stack;
    uc_other.uc_stack.ss_size = sizeof other_stack;
    makecontext(&uc_other, uc_entry, 0);
    swapcontext(&uc_main, &uc_other);
    uint64_t t0 = now_ns();
    for (long i = 0; i < UC_SWITCHES / 2; i++)
        swapcontext(&uc_main, &uc_other);
    return (double)(now_ns() - t0) / UC_SWITCHES;
}

/* ---- co_yield round trip ---- */
#define YIELDS 5000000L
static void *yield_loop(void *arg)
{
    (void)arg;
    for (long i = 0; i < YIELDS; i++)
        co_yield();
    return NULL;
}

static double yield_ns;
static void *yield_main(void *arg)
{
    (void)arg;
    co_task *a = co_spawn(yield_loop, NULL, "a");
    co_task *b = co_spawn(yield_loop, NULL, "b");
    uint64_t t0 = now_ns();
    co_join(a, NULL);
    co_join(b, NULL);
    /* A round trip is a -> b -> a: two yields. */
    yield_ns = (double)(now_ns() - t0) / YIELDS;
    return NULL;
}

/* ---- spawn + join ---- */
#define SPAWNS 1000000L
static void *nothing(void *arg)
{
    return arg;
}

static double spawn_ns;
static void *spawn_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) /* warm the stack pool */
        co_join(co_spawn(nothing, NULL, "w"), NULL);
    uint64_t t0 = now_ns();
    for (long i = 0; i < SPAWNS; i++)
        co_join(co_spawn(nothing, NULL, "n"), NULL);
    spawn_ns = (double)(now_ns() - t0) / SPAWNS;
    return NULL;
}

/* ---- live tasks ---- */
static long live_n;
static long live_ok;
static co_chan *gate;

static void *parked(void *arg)
{
    (void)arg;
    int v;
    co_chan_recv(gate, &v); /* wait until released */
    live_ok++;
    return NULL;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static long live_rss_before, live_rss_after;
static void *live_main(void *arg)
{
    (void)arg;
    gate = co_chan_new(sizeof(int), 0);
    co_task **t = malloc(sizeof *t * (size_t)live_n);
    live_rss_before = rss_kb();
    long made = 0;
    for (; made < live_n; made++)
        if (!(t[made] = co_spawn(parked, NULL, "parked")))
            break;
    co_yield(); /* every task runs once and parks */
    live_rss_after = rss_kb();
    if (made < live_n)
        fprintf(stderr, "bench: spawn failed after %ld tasks (vm.max_map_count"
                        " limits guarded stacks: 2 mappings each)\n", made);
    co_chan_close(gate);
    for (long i = 0; i < made; i++)
        co_join(t[i], NULL);
    live_n = made;
    free(t);
    co_chan_free(gate);
    return NULL;
}

/* Each guarded stack is two mappings; Linux's default vm.max_map_count
 * (65530) caps live tasks near 32 k. Raise it when root, and say so. */
static void raise_map_count(long tasks)
{
    long want = 2 * tasks + 20000, have = 0;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &have) != 1)
            have = 0;
        fclose(f);
    }
    if (have >= want)
        return;
    f = fopen("/proc/sys/vm/max_map_count", "w");
    if (f && fprintf(f, "%ld\n", want) > 0 && fclose(f) == 0)
        fprintf(stderr, "bench: raised vm.max_map_count %ld -> %ld\n", have, want);
    else
        fprintf(stderr, "bench: vm.max_map_count is %ld; %ld tasks need %ld "
                        "(run as root to raise it)\n", have, tasks, want);
}

int main(int argc, char **argv)
{
    long live = argc > 1 ? atol(argv[1]) : 100000;
    double v[5];
    raise_map_count(live);

    for (int i = 0; i < 5; i++)
        v[i] = bench_raw_switch();
    printf("raw_switch: %.2f ns\n", median5(v));
    for (int i = 0; i < 5; i++)
        v[i] = bench_swapcontext();
    printf("glibc_swapcontext: %.2f ns\n", median5(v));
    for (int i = 0; i < 5; i++) {
        co_main(yield_main, NULL);
        v[i] = yield_ns;
    }
    printf("co_yield_round_trip: %.2f ns\n", median5(v));
    for (int i = 0; i < 5; i++) {
        co_main(spawn_main, NULL);
        v[i] = spawn_ns;
    }
    printf("spawn_join: %.2f ns\n", median5(v));

    live_n = live;
    co_main(live_main, NULL);
    printf("live_tasks: %ld tasks\n", live_n);
    printf("live_tasks_rss: %.1f MiB\n",
           (double)(live_rss_after - live_rss_before) / 1024.0);
    printf("live_task_bytes: %.0f B/task\n",
           (double)(live_rss_after - live_rss_before) * 1024.0 / (double)live_n);
    return live_ok == live_n ? 0 : 1;
}
