/* tests/runtime/test_proc.c: subprocesses, asserted exactly: bytes through
 * piped stdin/stdout of a real program, exit codes and signals, waiting
 * after the exit, a program that does not exist, cancelling a wait and
 * passing its deadline (the process runs on and is waited again), a second
 * waiter (CO_EBUSY), kill, and the trace of a wait. */
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

static void *pipe_main(void *arg)
{
    (void)arg;
    char *argv[] = {"sort", NULL};
    co_proc_opts o = {.pipe_stdin = 1, .pipe_stdout = 1};
    co_proc *p;
    ASSERT_OK(co_proc_spawn("sort", argv, &o, &p));
    ASSERT_CMP(co_proc_pid(p), >, 0);
    ASSERT_EQ(co_fs_write(co_proc_fd(p, 0), "b\na\nc\n", 6, -1), 6);
    ASSERT_OK(co_proc_close_fd(p, 0)); /* EOF for sort */
    ASSERT_EQ(co_proc_fd(p, 0), CO_EBADF);
    ASSERT_EQ(co_proc_fd(p, 2), CO_EBADF); /* not piped */
    char buf[16] = {0};
    size_t n = 0;
    ssize_t r;
    while (n < 6 && (r = co_fs_read(co_proc_fd(p, 1), buf + n, sizeof buf - 1 - n, -1)) > 0)
        n += (size_t)r;
    ASSERT_STR_EQ(buf, "a\nb\nc\n");
    int st = -1;
    ASSERT_OK(co_proc_wait(p, &st));
    ASSERT_EQ(st, 0);
    ASSERT_OK(co_proc_wait(p, &st)); /* again: the same */
    ASSERT_EQ(st, 0);
    ASSERT_EQ(co_proc_kill(p, SIGTERM), CO_ESRCH);
    co_proc_free(p);
    return NULL;
}

static void test_pipes(void)
{
    RUN_TASK(pipe_main, NULL);
}

static void *status_main(void *arg)
{
    (void)arg;
    char *exit3[] = {"sh", "-c", "exit 3", NULL};
    co_proc *p;
    ASSERT_OK(co_proc_spawn("sh", exit3, NULL, &p));
    co_sleep(50); /* likely exited before the wait; either way the same */
    int st = -1;
    ASSERT_OK(co_proc_wait(p, &st));
    ASSERT_EQ(st, 3);
    co_proc_free(p);
    char *sleeper[] = {"sleep", "60", NULL};
    ASSERT_OK(co_proc_spawn("sleep", sleeper, NULL, &p));
    ASSERT_OK(co_proc_kill(p, SIGTERM));
    ASSERT_OK(co_proc_wait(p, &st));
    ASSERT_EQ(st, 128 + SIGTERM);
    co_proc_free(p);
    char *none[] = {"no-such-program-coscope", NULL};
    ASSERT_EQ(co_proc_spawn("no-such-program-coscope", none, NULL, &p), CO_ENOENT);
    ASSERT_EQ(co_proc_spawn(NULL, none, NULL, &p), CO_EINVAL);
    return NULL;
}

static void test_status(void)
{
    RUN_TASK(status_main, NULL);
}

static co_proc *waited;
static int wait_rc;

static void *waiter(void *arg)
{
    (void)arg;
    int st;
    wait_rc = co_proc_wait(waited, &st);
    return NULL;
}

static void *cancel_main(void *arg)
{
    (void)arg;
    char *sleeper[] = {"sleep", "60", NULL};
    ASSERT_OK(co_proc_spawn("sleep", sleeper, NULL, &waited));
    co_task *t = co_spawn(waiter, NULL, "waiter");
    co_yield();
    ASSERT_OK(co_cancel(t));
    ASSERT_OK(co_join(t, NULL));
    ASSERT_EQ(wait_rc, CO_ECANCELED);
    ASSERT_OK(co_proc_kill(waited, 0)); /* it runs on */
    ASSERT_OK(co_proc_kill(waited, SIGKILL));
    int st;
    ASSERT_OK(co_proc_wait(waited, &st));
    ASSERT_EQ(st, 128 + SIGKILL);
    co_proc_free(waited);
    return NULL;
}

static void test_cancel(void)
{
    RUN_TASK(cancel_main, NULL);
}

/* Past the deadline: CO_ETIMEDOUT, the process runs on (it waits for a
 * line on its stdin) and a later wait gets its status. */
static void *deadline_main(void *arg)
{
    (void)arg;
    char *argv[] = {"sh", "-c", "read x; exit 4", NULL};
    co_proc_opts o = {.pipe_stdin = 1};
    co_proc *p;
    ASSERT_OK(co_proc_spawn("sh", argv, &o, &p));
    int st = -1;
    ASSERT_OK(co_deadline(10));
    ASSERT_EQ(co_proc_wait(p, &st), CO_ETIMEDOUT);
    ASSERT_EQ(st, -1); /* untouched */
    ASSERT_EQ(co_proc_wait(p, &st), CO_ETIMEDOUT); /* refused: still past it */
    ASSERT_OK(co_deadline(0));
    ASSERT_OK(co_proc_kill(p, 0)); /* it runs on */
    ASSERT_EQ(co_fs_write(co_proc_fd(p, 0), "\n", 1, -1), 1);
    ASSERT_OK(co_proc_wait(p, &st)); /* no waiter was left behind */
    ASSERT_EQ(st, 4);
    co_proc_free(p);
    return NULL;
}

static void test_deadline(void)
{
    RUN_TASK(deadline_main, NULL);
}

/* One waiter at a time: a second gets CO_EBUSY, the first its status. */
static void *busy_main(void *arg)
{
    (void)arg;
    char *sleeper[] = {"sleep", "60", NULL};
    ASSERT_OK(co_proc_spawn("sleep", sleeper, NULL, &waited));
    wait_rc = 1;
    co_task *t = co_spawn(waiter, NULL, "waiter");
    co_yield(); /* it waits */
    int st = -1;
    ASSERT_EQ(co_proc_wait(waited, &st), CO_EBUSY);
    ASSERT_EQ(st, -1);
    ASSERT_EQ(wait_rc, 1);
    ASSERT_OK(co_proc_kill(waited, SIGTERM));
    ASSERT_OK(co_join(t, NULL));
    ASSERT_OK(wait_rc);
    ASSERT_OK(co_proc_wait(waited, &st));
    ASSERT_EQ(st, 128 + SIGTERM);
    co_proc_free(waited);
    return NULL;
}

static void test_busy(void)
{
    RUN_TASK(busy_main, NULL);
}

static void *trace_main(void *arg)
{
    (void)arg;
    char *argv[] = {"sh", "-c", "exit 7", NULL};
    co_proc *p;
    ASSERT_OK(co_proc_spawn("sh", argv, NULL, &p));
    int st;
    ASSERT_OK(co_proc_wait(p, &st));
    co_proc_free(p);
    return NULL;
}
static const int wait_line = __LINE__ - 4;

static void test_trace(void)
{
    const char *tb = RUN_TRACED_V1(trace_main, NULL); /* checks v1's lines */
    const char *p = strstr(tb, "\"ev\":\"io\",\"task\":1,\"op\":\"spawn\",\"res\":");
    ASSERT_NOT_NULL(p);
    ASSERT_CMP(atoi(strstr(p, "\"res\":") + 6), >, 0);
    p = strstr(p, "\"ev\":\"io_begin\",\"task\":1,\"op\":\"proc_wait\"}");
    ASSERT_NOT_NULL(p);
    char want[512];
    snprintf(want, sizeof want,
             "\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"proc_wait\",\"at\":\"%s:%d\"",
             __FILE__, wait_line);
    p = strstr(p, want);
    if (!p)
        fprintf(stderr, "missing %s\n%s", want, tb);
    ASSERT_NOT_NULL(p);
    ASSERT_NOT_NULL(strstr(p, "\"ev\":\"io_end\",\"task\":1,\"op\":\"proc_wait\",\"res\":7}"));
}

static const test_case cases[] = {
    {"pipes", test_pipes},
    {"status", test_status},
    {"cancel", test_cancel},
    {"deadline", test_deadline},
    {"busy", test_busy},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
