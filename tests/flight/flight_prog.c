/* flight_prog.c: programs for the flight recorder's tests, run with
 * COSCOPE_FLIGHT and COSCOPE_TRACE=DIR/run.jsonl. argv[1] is the case:
 *   stall     3 s of normal work (a ticker and two workers), then a task
 *             blocks the loop 300 ms of CPU, then 0.5 s more; prints how
 *             many files DIR held just before the stall ("before 0").
 *   usr1      prints "before N" (files written so far), raises SIGUSR1,
 *             then keeps running 300 ms.
 *   api       co_trace_dump() twice in a row: prints both results.
 *   deadlock  two tasks each wait for the other (join): the runtime's
 *             deadlock verdict dumps.
 *   crash     a task dereferences NULL after 100 ms (dies of SIGSEGV).
 *   churn     300 "keeper" tasks wait on a channel; then 2000 short tasks
 *             come and go in 40 waves over ~0.4 s; then co_trace_dump()
 *             (prints "dump N") with a window that starts after the
 *             keepers' last records: they are known from the snapshot.
 *   faults    two tasks yield to each other 1000 times, a flush (the writer
 *             has served the ring once), then 20000 times each (2.5 MB of
 *             ring in format v2, 40000 64-byte records; 7.7 MB in v1, a
 *             yield, ready and run each): prints "loop_faults N", the
 *             page faults the loop thread took in that stretch, or
 *             "loop_faults skip: WHY" where they are not the ring's alone
 *             (ASan and valgrind fault in shadow memory of their own) or
 *             the kernel refuses MADV_POPULATE_WRITE. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "coscope/co.h"
#include "coscope/tr_record.h"

static int files_in_dir(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", getenv("COSCOPE_TRACE"));
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int64_t cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static volatile int stop;

static void *ticker(void *arg)
{
    (void)arg;
    while (!stop)
        co_sleep(2);
    return NULL;
}

static void *worker(void *arg)
{
    co_mutex *m = arg;
    while (!stop) {
        co_mutex_lock(m);
        co_yield();
        co_mutex_unlock(m);
        co_sleep(5);
    }
    return NULL;
}

static void *victim(void *arg)
{
    (void)arg;
    return NULL;
}

/* Makes two tasks ready, then holds the loop: they wait behind it. */
static void *blocker(void *arg)
{
    (void)arg;
    co_detach(co_spawn(victim, NULL, "victim 1"));
    co_detach(co_spawn(victim, NULL, "victim 2"));
    int64_t until = cpu_ns() + 300 * 1000000LL;
    volatile unsigned sink = 0;
    while (cpu_ns() < until)
        for (int k = 0; k < 1000; k++)
            sink += (unsigned)k;
    (void)sink;
    co_yield();
    return NULL;
}

static void *stall_main(void *arg)
{
    (void)arg;
    co_mutex *m = co_mutex_name(co_mutex_new(), "shared");
    co_task *t = co_spawn(ticker, NULL, "ticker");
    co_task *w1 = co_spawn(worker, m, "worker 1");
    co_task *w2 = co_spawn(worker, m, "worker 2");
    co_sleep(3000);
    printf("before %d\n", files_in_dir());
    fflush(stdout);
    co_join(co_spawn(blocker, NULL, "blocker"), NULL);
    /* 0.5 s more; in steps, as the loop's clock is only read again at its
     * next iteration (one co_sleep(500) here would be due at once) */
    for (int i = 0; i < 50; i++)
        co_sleep(10);
    stop = 1;
    co_join(t, NULL);
    co_join(w1, NULL);
    co_join(w2, NULL);
    co_mutex_free(m);
    return NULL;
}

static void *usr1_main(void *arg)
{
    (void)arg;
    co_task *t = co_spawn(ticker, NULL, "ticker");
    co_sleep(50);
    printf("before %d\n", files_in_dir());
    fflush(stdout);
    raise(SIGUSR1);
    co_sleep(300);
    stop = 1;
    co_join(t, NULL);
    return NULL;
}

static void *api_main(void *arg)
{
    (void)arg;
    co_task *t = co_spawn(ticker, NULL, "ticker");
    co_sleep(20);
    int a = co_trace_dump(), b = co_trace_dump();
    printf("dump %d then %d\n", a, b);
    stop = 1;
    co_join(t, NULL);
    return NULL;
}

static void *keeper(void *arg)
{
    int v;
    co_chan_recv(arg, &v); /* until the channel closes */
    return NULL;
}

static void *shortlived(void *arg)
{
    (void)arg;
    co_yield();
    return NULL;
}

static void *churn_main(void *arg)
{
    (void)arg;
    enum { KEEPERS = 300, WAVES = 40, WAVE = 50 };
    co_chan *ch = co_chan_new(sizeof(int), 0);
    co_task *keep[KEEPERS], *wave[WAVE];
    for (int i = 0; i < KEEPERS; i++)
        keep[i] = co_spawn(keeper, ch, "keeper");
    co_sleep(10);
    for (int w = 0; w < WAVES; w++) {
        for (int i = 0; i < WAVE; i++)
            wave[i] = co_spawn(shortlived, NULL, "churn");
        for (int i = 0; i < WAVE; i++)
            co_join(wave[i], NULL);
        co_sleep(10);
    }
    printf("dump %d\n", co_trace_dump());
    co_chan_close(ch);
    for (int i = 0; i < KEEPERS; i++)
        co_join(keep[i], NULL);
    co_chan_free(ch);
    return NULL;
}

static void *crasher(void *arg)
{
    co_sleep(100);
    *(volatile int *)arg = 1; /* NULL: SIGSEGV */
    return NULL;
}

static void *crash_main(void *arg)
{
    co_task *t = co_spawn(ticker, NULL, "ticker");
    co_join(co_spawn(crasher, arg, "crasher"), NULL);
    co_join(t, NULL);
    return NULL;
}

static co_task *peer[2];

static void *joiner(void *arg)
{
    int i = (int)(long)arg;
    co_sleep(5);
    co_join(peer[1 - i], NULL);
    return NULL;
}

static void *deadlock_main(void *arg)
{
    (void)arg;
    peer[0] = co_spawn(joiner, (void *)0L, "a");
    peer[1] = co_spawn(joiner, (void *)1L, "b");
    return NULL; /* a and b wait on each other: nothing can end it */
}

static long yields_left;

static void *yielder(void *arg)
{
    while (yields_left-- > 0)
        co_yield();
    return arg;
}

static long loop_minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_minflt;
}

static int populate_works(void)
{
#ifdef MADV_POPULATE_WRITE
    size_t n = (size_t)2 << 20;
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    int ok = madvise(p, n, MADV_POPULATE_WRITE) == 0;
    munmap(p, n);
    return ok;
#else
    return 0;
#endif
}

/* Both rounds run the same code, with no test of which round it is (the
 * compiler would peel the first into call sites of its own): the second
 * interns no new caller chain, which could touch a fresh page of the
 * intern table. The flush after each round: the writer has served. */
static void *faults_main(void *arg)
{
    (void)arg;
    static volatile long per_round[2] = {2 * 1000, 2 * 20000};
    long f0 = 0, f1 = 0;
    volatile int rounds = 2;
    for (int round = 0; round < rounds; round++) {
        yields_left = per_round[round];
        co_task *a = co_spawn(yielder, NULL, "a"), *b = co_spawn(yielder, NULL, "b");
        co_yield(); /* both have run: their stacks are touched */
        f0 = loop_minflt();
        co_join(a, NULL);
        co_join(b, NULL);
        f1 = loop_minflt();
        tr_rec_flush();
    }
    const char *pre = getenv("LD_PRELOAD");
#ifdef CO_ASAN
    int asan = 1;
#else
    int asan = 0;
#endif
    if (asan)
        printf("loop_faults skip: ASan\n");
    else if (pre && strstr(pre, "vgpreload"))
        printf("loop_faults skip: valgrind\n");
    else if (!populate_works())
        printf("loop_faults skip: no MADV_POPULATE_WRITE\n");
    else
        printf("loop_faults %ld\n", f1 - f0);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    co_fn fn = strcmp(c, "stall") == 0 ? stall_main
               : strcmp(c, "usr1") == 0 ? usr1_main
               : strcmp(c, "api") == 0 ? api_main
               : strcmp(c, "deadlock") == 0 ? deadlock_main
               : strcmp(c, "crash") == 0 ? crash_main
               : strcmp(c, "churn") == 0 ? churn_main
               : strcmp(c, "faults") == 0 ? faults_main : NULL;
    if (!fn)
        return 2;
    int rc = co_main(fn, NULL);
    return strcmp(c, "deadlock") == 0 ? (rc == CO_EDEADLK ? 0 : 1) : rc == 0 ? 0 : 1;
}
