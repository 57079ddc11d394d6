/* tests/runtime/test_work.c: co_run_blocking and cancelling pool requests.
 * To cancel work before it starts, the pool (UV_THREADPOOL_SIZE=4) is first
 * filled with functions held on a semaphore, so the next request must queue;
 * nothing here depends on timing except "still parked after a short sleep". */
#include <fcntl.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "coscope/co.h"
#include "rt_run.h" /* and test.h */

#define POOL 4

static uint64_t tid(void)
{
    return (uint64_t)syscall(SYS_gettid);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- the loop keeps serving while fn blocks a pool thread ---- */

static atomic_int ticks;
static atomic_int stop_ticking;
static uint64_t loop_tid, work_tid;
static int ticks_seen, side_effect;

static void *ticker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_ticking)) {
        ASSERT_OK(co_sleep(1));
        atomic_fetch_add(&ticks, 1);
    }
    return NULL;
}

static void slow(void *arg)
{
    work_tid = tid();
    sleep_ms(50);
    /* Not done until the loop has visibly run other tasks meanwhile. */
    for (int i = 0; i < 5000 && atomic_load(&ticks) < 10; i++)
        sleep_ms(1);
    ticks_seen = atomic_load(&ticks);
    *(int *)arg = 42;
}

static void *offload_main(void *arg)
{
    (void)arg;
    loop_tid = tid();
    co_task *t = co_spawn(ticker, NULL, "ticker");
    ASSERT_OK(co_run_blocking(slow, &side_effect, "slow"));
    ASSERT_EQ(side_effect, 42);
    atomic_store(&stop_ticking, 1);
    ASSERT_OK(co_join(t, NULL));
    ASSERT_EQ(co_run_blocking(NULL, NULL, "x"), CO_EINVAL);
    return NULL;
}

static void test_offload(void)
{
    RUN_TASK(offload_main, NULL);
    ASSERT_NE(work_tid, 0);
    ASSERT_NE(work_tid, loop_tid);
    ASSERT_CMP(ticks_seen, >=, 10);
    ASSERT_EQ(side_effect, 42);
    /* outside a task it is fatal: test_fail.c, outside_task */
}

/* ---- a full pool ---- */

static sem_t gate;
static atomic_int held;
static co_task *fillers[POOL];
static int filler_rc[POOL];

static void hold(void *arg)
{
    atomic_fetch_add(&held, 1);
    while (sem_wait(&gate) != 0)
        ;
    if (arg)
        *(int *)arg = 1;
}

static void *filler(void *arg)
{
    *(int *)arg = co_run_blocking(hold, NULL, "hold");
    return NULL;
}

static void fill_pool(void)
{
    ASSERT_OK(sem_init(&gate, 0, 0));
    atomic_store(&held, 0);
    for (int i = 0; i < POOL; i++) {
        filler_rc[i] = 1;
        fillers[i] = co_spawn(filler, &filler_rc[i], "filler");
        ASSERT_NOT_NULL(fillers[i]);
    }
    for (int i = 0; i < 5000 && atomic_load(&held) < POOL; i++)
        ASSERT_OK(co_sleep(1));
    ASSERT_EQ(atomic_load(&held), POOL);
}

static void drain_pool(void)
{
    for (int i = 0; i < POOL; i++)
        ASSERT_OK(sem_post(&gate));
    for (int i = 0; i < POOL; i++) {
        ASSERT_OK(co_join(fillers[i], NULL));
        ASSERT_EQ(filler_rc[i], 0);
    }
    ASSERT_OK(sem_destroy(&gate));
}

static int victim_ran, victim_rc;

static void mark_ran(void *arg)
{
    (void)arg;
    victim_ran = 1;
}

static void *victim(void *arg)
{
    if (arg)
        ASSERT_OK(co_deadline((uint64_t)(uintptr_t)arg));
    victim_rc = co_run_blocking(mark_ran, NULL, "victim");
    return NULL;
}

static void *cancel_queued_main(void *arg)
{
    (void)arg;
    fill_pool();
    victim_rc = 1;
    co_task *v = co_spawn(victim, NULL, "victim");
    ASSERT_OK(co_sleep(5));
    ASSERT_EQ(victim_rc, 1); /* queued behind the full pool */
    ASSERT_OK(co_cancel(v));
    ASSERT_OK(co_join(v, NULL));
    ASSERT_EQ(victim_rc, CO_ECANCELED);
    drain_pool();
    ASSERT_EQ(victim_ran, 0); /* withdrawn before it started: never runs */
    return NULL;
}

static void test_cancel_queued(void)
{
    ASSERT_OK(setenv("UV_THREADPOOL_SIZE", "4", 1));
    RUN_TASK(cancel_queued_main, NULL);
    ASSERT_EQ(victim_ran, 0);
}

static void *deadline_queued_main(void *arg)
{
    (void)arg;
    fill_pool();
    victim_rc = 1;
    co_task *v = co_spawn(victim, (void *)(uintptr_t)10, "victim");
    ASSERT_OK(co_join(v, NULL));
    ASSERT_EQ(victim_rc, CO_ETIMEDOUT);
    drain_pool();
    ASSERT_EQ(victim_ran, 0);
    return NULL;
}

static void test_deadline_queued(void)
{
    ASSERT_OK(setenv("UV_THREADPOOL_SIZE", "4", 1));
    RUN_TASK(deadline_queued_main, NULL);
}

/* Once fn has started, a cancel waits for it and the call returns 0. */
static int held_done, running_rc;

static void *runner(void *arg)
{
    (void)arg;
    running_rc = co_run_blocking(hold, &held_done, "hold");
    return NULL;
}

static void *cancel_running_main(void *arg)
{
    (void)arg;
    ASSERT_OK(sem_init(&gate, 0, 0));
    atomic_store(&held, 0);
    running_rc = 1;
    co_task *r = co_spawn(runner, NULL, "runner");
    for (int i = 0; i < 5000 && atomic_load(&held) < 1; i++)
        ASSERT_OK(co_sleep(1));
    ASSERT_OK(co_cancel(r));
    ASSERT_OK(co_sleep(5));
    ASSERT_EQ(running_rc, 1); /* still waiting for fn */
    ASSERT_OK(sem_post(&gate));
    ASSERT_OK(co_join(r, NULL));
    ASSERT_EQ(running_rc, 0);
    ASSERT_EQ(held_done, 1);
    ASSERT_OK(sem_destroy(&gate));
    return NULL;
}

static void test_cancel_running(void)
{
    RUN_TASK(cancel_running_main, NULL);
}

/* ---- fs requests queued behind a full pool ---- */

static int fs_rc;
static char fs_path[64];

static void *fs_victim(void *arg)
{
    int fd = *(int *)arg;
    if (fd < 0)
        fs_rc = co_fs_open(fs_path, O_RDWR | O_CREAT, 0600);
    else
        fs_rc = (int)co_fs_write(fd, "never", 5, 0);
    return NULL;
}

static void *fs_cancel_main(void *arg)
{
    (void)arg;
    int fd = co_fs_open(fs_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT_CMP(fd, >=, 0);
    fill_pool();
    int none = -1;
    int *args[2] = {&none, &fd};
    for (int k = 0; k < 2; k++) {
        fs_rc = 1;
        co_task *v = co_spawn(fs_victim, args[k], "fs_victim");
        ASSERT_OK(co_sleep(5));
        ASSERT_EQ(fs_rc, 1);
        ASSERT_OK(co_cancel(v));
        ASSERT_OK(co_join(v, NULL));
        ASSERT_EQ(fs_rc, CO_ECANCELED);
    }
    drain_pool();
    char buf[8];
    ASSERT_EQ(co_fs_read(fd, buf, sizeof buf, 0), 0); /* nothing written */
    ASSERT_OK(co_fs_close(fd));
    return NULL;
}

static void test_fs_cancel_queued(void)
{
    ASSERT_OK(setenv("UV_THREADPOOL_SIZE", "4", 1));
    snprintf(fs_path, sizeof fs_path, "/tmp/coscope-work-%d", (int)getpid());
    RUN_TASK(fs_cancel_main, NULL);
    ASSERT_OK(unlink(fs_path));
}

/* ---- the trace: yield(work) → work_begin/work_end on the pool thread →
 * ready(work), with the thread id the function saw ---- */

static uint64_t traced_task;

static void *trace_main(void *arg)
{
    (void)arg;
    traced_task = co_task_id(co_self());
    atomic_store(&ticks, 10); /* slow() needs no ticker here */
    ASSERT_OK(co_run_blocking(slow, &side_effect, "slow"));
    return NULL;
}

static long long t_of(const char *line)
{
    long long t = -1;
    ASSERT_EQ(sscanf(line, "{\"t\":%lld,", &t), 1);
    return t;
}

/* The index of the first line at or after `from` holding all of a, b, c. */
static int find_line(char **lines, int n, int from, const char *a,
                     const char *b, const char *c)
{
    for (int i = from; i < n; i++)
        if (strstr(lines[i], a) && strstr(lines[i], b) && strstr(lines[i], c))
            return i;
    return -1;
}

static void test_trace(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/coscope-work-%d.jsonl", (int)getpid());
    ASSERT_OK(setenv("COSCOPE_TRACE", path, 1));
    RUN_TASK(trace_main, NULL);
    ASSERT_OK(unsetenv("COSCOPE_TRACE"));
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    static char buf[512][256];
    char *lines[512];
    int n = 0;
    while (n < 512 && fgets(buf[n], sizeof buf[n], f)) {
        lines[n] = buf[n];
        n++;
    }
    fclose(f);
    char task[32], thread[48];
    snprintf(task, sizeof task, "\"task\":%llu,", (unsigned long long)traced_task);
    snprintf(thread, sizeof thread, "\"thread\":%llu,", (unsigned long long)work_tid);
    /* Pool threads' lines may come late in the file: order them by "t". */
    int y = find_line(lines, n, 0, "\"ev\":\"yield\"", task, "\"why\":\"work\"");
    ASSERT_CMP(y, >=, 0);
    ASSERT(strstr(lines[y], "\"at\":\"") && strstr(lines[y], "test_work.c:"));
    int b = find_line(lines, n, 0, "\"ev\":\"work_begin\"", task, thread);
    ASSERT_CMP(b, >=, 0);
    ASSERT(strstr(lines[b], "\"name\":\"slow\""));
    int e = find_line(lines, n, 0, "\"ev\":\"work_end\"", task, thread);
    ASSERT_CMP(e, >=, 0);
    ASSERT(strstr(lines[e], "\"name\":\"slow\""));
    int r = find_line(lines, n, y, "\"ev\":\"ready\"", task, "\"why\":\"work\"");
    ASSERT_CMP(r, >, y);
    /* work_begin may precede the yield: the pool can start fn before the
     * task has finished switching out. */
    ASSERT_CMP(t_of(lines[y]), <, t_of(lines[r]));
    ASSERT_CMP(t_of(lines[b]), <, t_of(lines[e]));
    ASSERT_CMP(t_of(lines[e]), <=, t_of(lines[r]));
    /* exactly one work item */
    ASSERT_EQ(find_line(lines, n, b + 1, "\"ev\":\"work_begin\"", "", ""), -1);
    ASSERT_OK(unlink(path));
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"offload", test_offload},
        {"cancel_queued", test_cancel_queued},
        {"cancel_running", test_cancel_running},
        {"deadline_queued", test_deadline_queued},
        {"fs_cancel_queued", test_fs_cancel_queued},
        {"trace", test_trace},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
