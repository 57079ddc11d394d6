/* tests/runtime/test_core.c: the scheduler and its primitives, asserted
 * exactly: FIFO order of yield, join/cancel/deadline error codes, sleep
 * order, channels, mutex hand-off, misuse, deadlock and overflow reports. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coscope/co.h"
#include "rt_run.h" /* and test.h */

static char order[256];
static size_t norder;

static void note(char c)
{
    if (norder + 1 < sizeof order) {
        order[norder++] = c;
        order[norder] = '\0';
    }
}

static void reset(void)
{
    norder = 0;
    order[0] = '\0';
}

/* ---- yield fairness ---- */

static void *yielder(void *arg)
{
    char c = (char)(intptr_t)arg;
    for (int i = 0; i < 3; i++) {
        note(c);
        co_yield();
    }
    return NULL;
}

static void *yield_main(void *arg)
{
    (void)arg;
    co_task *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = co_spawn(yielder, (void *)(intptr_t)('a' + i), "yielder");
    for (int i = 0; i < 3; i++)
        ASSERT_OK(co_join(t[i], NULL));
    return NULL;
}

static void test_yield_fifo(void)
{
    reset();
    RUN_TASK(yield_main, NULL);
    ASSERT_STR_EQ(order, "abcabcabc");
}

/* ---- join ---- */

static void *ret_arg(void *arg)
{
    return arg;
}

static void *join_main(void *arg)
{
    (void)arg;
    void *res = NULL;
    co_task *t = co_spawn(ret_arg, (void *)0x1234, "ret");
    ASSERT_NOT_NULL(t);
    ASSERT_EQ(co_join(NULL, NULL), CO_EINVAL); /* joining self: test_fail.c */
    ASSERT_OK(co_join(t, &res));
    ASSERT_EQ((intptr_t)res, 0x1234);
    /* Joining a task that has already finished. */
    t = co_spawn(ret_arg, (void *)0x99, "ret2");
    co_yield();
    co_yield();
    ASSERT_OK(co_join(t, &res));
    ASSERT_EQ((intptr_t)res, 0x99);
    ASSERT_EQ(co_task_id(co_self()), 1);
    ASSERT_STR_EQ(co_task_name(co_self()), "main");
    return NULL;
}

static void test_join(void)
{
    RUN_TASK(join_main, NULL);
}

/* ---- cancel ---- */

static int sleep_rc, second_rc;

static void *long_sleeper(void *arg)
{
    (void)arg;
    sleep_rc = co_sleep(10000);
    second_rc = co_sleep(1);
    return (void *)1;
}

static void *cancel_main(void *arg)
{
    (void)arg;
    co_task *t = co_spawn(long_sleeper, NULL, "sleeper");
    co_sleep(5);
    ASSERT_OK(co_cancel(t));
    void *res = (void *)7;
    ASSERT_OK(co_join(t, &res));
    ASSERT_NULL(res);
    ASSERT_EQ(sleep_rc, CO_ECANCELED);
    ASSERT_EQ(second_rc, CO_ECANCELED);
    /* Cancelling self: the next blocking call fails, code runs on. */
    ASSERT_OK(co_cancel(co_self()));
    ASSERT(co_cancelled());
    ASSERT_EQ(co_sleep(1), CO_ECANCELED);
    return NULL;
}

static void test_cancel(void)
{
    RUN_TASK(cancel_main, NULL);
}

/* ---- deadline ---- */

static void *deadline_main(void *arg)
{
    (void)arg;
    ASSERT_OK(co_deadline(20));
    ASSERT_EQ(co_sleep(5000), CO_ETIMEDOUT);
    ASSERT_EQ(co_sleep(1), CO_ETIMEDOUT); /* stays past the deadline */
    ASSERT_OK(co_deadline(0));
    ASSERT_OK(co_sleep(1));
    ASSERT_OK(co_deadline(1000)); /* not reached */
    ASSERT_OK(co_sleep(2));
    return NULL;
}

static void test_deadline(void)
{
    RUN_TASK(deadline_main, NULL);
}

/* A helper's own deadline nests inside its caller's: push narrows, pop puts
 * the outer one back (co_deadline would have wiped it). */
static int helper_rc;

static void helper_with_deadline(void)
{
    uint64_t outer;
    ASSERT_OK(co_deadline_push(10, &outer));
    ASSERT_CMP(co_deadline_left(), <=, 10);
    helper_rc = co_sleep(60000); /* the helper's 10 ms end it */
    ASSERT_EQ(co_deadline_left(), 0);
    ASSERT_OK(co_deadline_pop(outer));
}

static void *deadline_nested_main(void *arg)
{
    (void)arg;
    uint64_t saved;
    ASSERT_EQ(co_deadline_left(), -1);
    ASSERT_OK(co_deadline(60000));
    helper_with_deadline();
    ASSERT_EQ(helper_rc, CO_ETIMEDOUT);
    ASSERT_CMP(co_deadline_left(), >, 10); /* the caller's is back ... */
    ASSERT_CMP(co_deadline_left(), <=, 60000);
    ASSERT_OK(co_sleep(1)); /* ... and has not passed */
    /* An inner deadline later than the outer one keeps the outer. */
    ASSERT_OK(co_deadline_push(600000, &saved));
    ASSERT_CMP(co_deadline_left(), <=, 60000);
    ASSERT_OK(co_deadline_pop(saved));
    /* push(0) keeps the outer; the outer passing inside the inner scope
     * stays passed after the pop. */
    ASSERT_OK(co_deadline(5));
    ASSERT_OK(co_deadline_push(0, &saved));
    ASSERT_OK(co_deadline_push(60000, &saved));
    ASSERT_EQ(co_sleep(60000), CO_ETIMEDOUT);
    ASSERT_OK(co_deadline_pop(saved));
    ASSERT_EQ(co_sleep(1), CO_ETIMEDOUT);
    ASSERT_OK(co_deadline(0));
    ASSERT_EQ(co_deadline_left(), -1);
    ASSERT_OK(co_sleep(1));
    ASSERT_EQ(co_deadline_push(1, NULL), CO_EINVAL);
    return NULL;
}

static void test_deadline_nested(void)
{
    RUN_TASK(deadline_nested_main, NULL);
    ASSERT_EQ(co_deadline_push(1, &(uint64_t){0}), CO_EINVAL); /* no task */
    ASSERT_EQ(co_deadline_pop(0), CO_EINVAL);
    ASSERT_EQ(co_deadline_left(), -1);
}

/* ---- sleep order ---- */

static void *sleeper(void *arg)
{
    int ms = (int)(intptr_t)arg;
    ASSERT_OK(co_sleep((uint64_t)ms));
    note((char)('0' + ms / 10));
    return NULL;
}

static void *sleep_main(void *arg)
{
    (void)arg;
    co_task *a = co_spawn(sleeper, (void *)30, "s30");
    co_task *b = co_spawn(sleeper, (void *)10, "s10");
    co_task *c = co_spawn(sleeper, (void *)20, "s20");
    co_join(a, NULL);
    co_join(b, NULL);
    co_join(c, NULL);
    return NULL;
}

static void test_sleep_order(void)
{
    reset();
    RUN_TASK(sleep_main, NULL);
    ASSERT_STR_EQ(order, "123");
}

/* A sleep counts from the call, not from the loop's reading of the clock
 * (once per iteration): after 60 ms of computing in one iteration,
 * co_sleep(40) and a select's 40 ms timeout still take 40 ms. Before the
 * fix both came back at once. Lower bounds only: a slow machine passes. */
static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void spin_ms(uint64_t ms)
{
    for (uint64_t t0 = mono_ms(); mono_ms() - t0 < ms;)
        ;
}

static uint64_t slept_ms, selected_ms;
static int select_rc;

static void *late_sleeper(void *arg)
{
    (void)arg;
    spin_ms(60);
    uint64_t t0 = mono_ms();
    ASSERT_OK(co_sleep(40));
    slept_ms = mono_ms() - t0;
    spin_ms(60);
    co_chan *c = co_chan_new(sizeof(int), 0);
    ASSERT_NOT_NULL(c);
    int v;
    co_select_case k = {.chan = c, .op = CO_SELECT_RECV, .elem = &v};
    t0 = mono_ms();
    select_rc = co_select(&k, 1, 40);
    selected_ms = mono_ms() - t0;
    co_chan_free(c);
    return NULL;
}

static void test_sleep_from_call(void)
{
    slept_ms = selected_ms = 0;
    select_rc = -1;
    RUN_TASK(late_sleeper, NULL);
    ASSERT_EQ(select_rc, 1); /* the timeout case */
    /* the loop's clock ticks in whole ms (coarse): 1 ms of slack */
    ASSERT_CMP(slept_ms, >=, 39);
    ASSERT_CMP(selected_ms, >=, 39);
}

/* ---- channels ---- */

static co_chan *ch;

static void *chan_sender(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        note('s');
        ASSERT_OK(co_chan_send(ch, &i));
    }
    note('S');
    return NULL;
}

static void *rendezvous_main(void *arg)
{
    (void)arg;
    ch = co_chan_new(sizeof(int), 0);
    co_task *t = co_spawn(chan_sender, (void *)3, "sender");
    for (int i = 0; i < 3; i++) {
        int v = -1;
        co_yield(); /* let the sender block first */
        note('r');
        ASSERT_OK(co_chan_recv(ch, &v));
        ASSERT_EQ(v, i);
    }
    co_join(t, NULL);
    co_chan_free(ch);
    return NULL;
}

static void test_chan_rendezvous(void)
{
    reset();
    RUN_TASK(rendezvous_main, NULL);
    /* The sender blocks on every send until the receiver takes it. */
    ASSERT_STR_EQ(order, "srsrsrS");
}

static void *buffered_main(void *arg)
{
    (void)arg;
    ch = co_chan_new(sizeof(int), 2);
    co_task *t = co_spawn(chan_sender, (void *)5, "sender");
    co_yield(); /* sender fills the buffer (2) and blocks on the 3rd */
    note('|');
    int v;
    for (int i = 0; i < 5; i++) {
        ASSERT_OK(co_chan_recv(ch, &v));
        ASSERT_EQ(v, i);
    }
    co_join(t, NULL);
    co_chan_close(ch);
    ASSERT_EQ(co_chan_recv(ch, &v), CO_EOF);
    ASSERT_EQ(co_chan_send(ch, &v), CO_EPIPE);
    co_chan_free(ch);
    return NULL;
}

static void test_chan_buffered(void)
{
    reset();
    RUN_TASK(buffered_main, NULL);
    ASSERT_STR_EQ(order, "sss|ssS");
}

static int close_rc[2];

static void *blocked_sender(void *arg)
{
    int v = 1;
    close_rc[(intptr_t)arg] = co_chan_send(ch, &v);
    return NULL;
}

static void *close_main(void *arg)
{
    (void)arg;
    ch = co_chan_new(sizeof(int), 1);
    int v = 42, out = 0;
    ASSERT_OK(co_chan_send(ch, &v));
    co_task *a = co_spawn(blocked_sender, (void *)0, "a");
    co_task *b = co_spawn(blocked_sender, (void *)1, "b");
    co_yield();
    co_chan_close(ch);
    co_join(a, NULL);
    co_join(b, NULL);
    ASSERT_EQ(close_rc[0], CO_EPIPE);
    ASSERT_EQ(close_rc[1], CO_EPIPE);
    ASSERT_OK(co_chan_recv(ch, &out)); /* drains what was buffered */
    ASSERT_EQ(out, 42);
    ASSERT_EQ(co_chan_recv(ch, &out), CO_EOF);
    co_chan_free(ch);
    return NULL;
}

static void test_chan_close(void)
{
    RUN_TASK(close_main, NULL);
}

/* ---- mutex ---- */

static co_mutex *mu;

static void *locker(void *arg)
{
    char c = (char)(intptr_t)arg;
    ASSERT_OK(co_mutex_lock(mu));
    note(c);
    co_yield();
    co_mutex_unlock(mu);
    return NULL;
}

static void *mutex_main(void *arg)
{
    (void)arg;
    mu = co_mutex_new();
    ASSERT_OK(co_mutex_lock(mu));
    /* locking it again is fatal misuse: test_fail.c's lock_held */
    co_task *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = co_spawn(locker, (void *)(intptr_t)('x' + i), "locker");
    co_yield(); /* all three queue up in order */
    note('u');
    co_mutex_unlock(mu);
    /* Barging is impossible: the lock went to x already. */
    ASSERT_OK(co_mutex_lock(mu));
    note('m');
    co_mutex_unlock(mu);
    for (int i = 0; i < 3; i++)
        co_join(t[i], NULL);
    co_mutex_free(mu);
    return NULL;
}

static void test_mutex_handoff(void)
{
    reset();
    RUN_TASK(mutex_main, NULL);
    ASSERT_STR_EQ(order, "uxyzm");
}

/* ---- misuse and limits ---- */

static void test_misuse_outside(void)
{
    co_yield(); /* no-op outside a task */
    /* a blocking call outside a task is fatal: test_fail.c, outside_task */
    ASSERT_EQ(co_join(NULL, NULL), CO_EINVAL);
    ASSERT_EQ(co_deadline(5), CO_EINVAL);
    ASSERT_NULL(co_self());
    ASSERT_NULL(co_spawn(ret_arg, NULL, "x"));
    ASSERT_EQ(co_main(NULL, NULL), CO_EINVAL);
    ASSERT_STR_EQ(co_strerror(CO_ECANCELED), "operation canceled");
    ASSERT_STR_EQ(co_strerror(CO_EDEADLK),
                  "tasks were blocked forever (deadlock)");
    ASSERT_STR_EQ(co_strerror(0), "success");
    ASSERT_STR_EQ(co_strerror(CO_ETIMEDOUT), "timed out");
}

static void *nested_main(void *arg)
{
    (void)arg;
    ASSERT_EQ(co_main(ret_arg, NULL), CO_EINVAL);
    return NULL;
}

static void test_misuse_nested(void)
{
    RUN_TASK(nested_main, NULL);
}

static int counted;

static void *count_one(void *arg)
{
    (void)arg;
    counted++;
    return NULL;
}

static void *many_main(void *arg)
{
    (void)arg;
    enum { N = 2000 };
    static co_task *t[N];
    for (int i = 0; i < N; i++)
        ASSERT_NOT_NULL(t[i] = co_spawn(count_one, NULL, "one"));
    for (int i = 0; i < N; i++)
        ASSERT_OK(co_join(t[i], NULL));
    return NULL;
}

static void test_many_tasks(void)
{
    counted = 0;
    RUN_TASK(many_main, NULL);
    ASSERT_EQ(counted, 2000);
}

static void *detached_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        co_detach(co_spawn(count_one, NULL, "det"));
    co_task *t = co_spawn(count_one, NULL, "unjoined"); /* freed at the end */
    (void)t;
    return NULL;
}

static void test_detached(void)
{
    counted = 0;
    RUN_TASK(detached_main, NULL);
    ASSERT_EQ(counted, 101);
}

/* ---- subprocess checks: deadlock report and stack overflow ---- */

static int run_child(void (*fn)(void), char *err, size_t n, int *status)
{
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        fn();
        _exit(0);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < n && (r = read(p[0], err + got, n - 1 - got)) > 0)
        got += (size_t)r;
    err[got] = '\0';
    close(p[0]);
    ASSERT_EQ(waitpid(pid, status, 0), pid);
    return 0;
}

static co_task *peer[2];
static int dl_rc[2];

static void *dl_task(void *arg)
{
    intptr_t i = (intptr_t)arg;
    co_yield(); /* both exist before either joins */
    dl_rc[i] = co_join(peer[1 - i], NULL);
    return NULL;
}

static void *deadlock_main(void *arg)
{
    (void)arg;
    peer[0] = co_spawn(dl_task, (void *)0, "left");
    peer[1] = co_spawn(dl_task, (void *)1, "right");
    return NULL; /* never joined: co_main frees them at its end */
}

static void deadlock_child(void)
{
    dl_rc[0] = dl_rc[1] = 77;
    int rc = rt_run_rc(deadlock_main, NULL);
    /* abandoned (the default): neither join ever returned */
    _exit(rc == CO_EDEADLK && dl_rc[0] == 77 && dl_rc[1] == 77 ? 0 : 1);
}

static void test_deadlock_report(void)
{
    char err[4096];
    int st;
    run_child(deadlock_child, err, sizeof err, &st);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT(strstr(err, "coscope: task 2 \"left\" blocked forever in join "
                       "(task 3) at ") != NULL);
    ASSERT(strstr(err, "coscope: task 3 \"right\" blocked forever in join "
                       "(task 2) at ") != NULL);
}

static int recurse(volatile char *p, int depth)
{
    volatile char buf[512];
    buf[0] = (char)depth;
    if (p)
        buf[1] = p[0];
    if (depth > 1000000) /* never: the guard page stops us long before */
        return 0;
    return recurse(buf, depth + 1) + buf[1];
}

static void *deep(void *arg)
{
    (void)arg;
    recurse(NULL, 0);
    return NULL;
}

static void *overflow_main(void *arg)
{
    (void)arg;
    co_join(co_spawn(deep, NULL, "handle_client"), NULL);
    return NULL;
}

static void overflow_child(void)
{
    co_main(overflow_main, NULL);
}

static void test_stack_overflow(void)
{
    char err[4096];
    int st;
    run_child(overflow_child, err, sizeof err, &st);
    ASSERT(WIFSIGNALED(st));
    ASSERT_EQ(WTERMSIG(st), SIGSEGV);
    ASSERT(strstr(err, "coscope: stack overflow in task 2 \"handle_client\"")
           != NULL);
}

static const test_case cases[] = {
    {"yield_fifo", test_yield_fifo},
    {"join", test_join},
    {"cancel", test_cancel},
    {"deadline", test_deadline},
    {"deadline_nested", test_deadline_nested},
    {"sleep_order", test_sleep_order},
    {"sleep_from_call", test_sleep_from_call},
    {"chan_rendezvous", test_chan_rendezvous},
    {"chan_buffered", test_chan_buffered},
    {"chan_close", test_chan_close},
    {"mutex_handoff", test_mutex_handoff},
    {"misuse_outside", test_misuse_outside},
    {"misuse_nested", test_misuse_nested},
    {"many_tasks", test_many_tasks},
    {"detached", test_detached},
    {"deadlock_report", test_deadlock_report},
    {"stack_overflow", test_stack_overflow},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
