/* tests/runtime/test_signal.c: co_signal_catch / co_signal_wait, asserted
 * exactly: the signal returned, every waiter woken, an arrival kept for the
 * next wait (one, however many came), a lone waiter not taken for a
 * deadlock, cancellation and deadlines, errors, the trace. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

static int got[2];

static void *waiter(void *arg)
{
    int i = (int)(intptr_t)arg;
    got[i] = co_signal_wait(SIGUSR1);
    return NULL;
}

static void *wait_main(void *arg)
{
    (void)arg;
    co_task *a = co_spawn(waiter, (void *)0, "a");
    co_task *b = co_spawn(waiter, (void *)1, "b");
    co_yield(); /* both wait */
    ASSERT_OK(kill(getpid(), SIGUSR1));
    ASSERT_OK(co_join(a, NULL));
    ASSERT_OK(co_join(b, NULL));
    ASSERT_EQ(got[0], SIGUSR1);
    ASSERT_EQ(got[1], SIGUSR1);
    /* Caught from now on: arrivals while nobody waits are kept, as one. */
    ASSERT_OK(kill(getpid(), SIGUSR1));
    ASSERT_OK(kill(getpid(), SIGUSR1));
    co_sleep(1); /* the loop sees them */
    ASSERT_EQ(co_signal_wait(SIGUSR1), SIGUSR1); /* at once */
    ASSERT_OK(co_deadline(5));
    ASSERT_EQ(co_signal_wait(SIGUSR1), CO_ETIMEDOUT); /* only one was kept */
    ASSERT_OK(co_deadline(0));
    ASSERT_EQ(co_signal_wait(0), CO_EINVAL);
    ASSERT_EQ(co_signal_wait(SIGKILL), CO_EINVAL);
    ASSERT_EQ(co_signal_catch(SIGSTOP), CO_EINVAL);
    ASSERT_EQ(co_signal_catch(1000), CO_EINVAL);
    return NULL;
}

static void test_wait(void)
{
    ASSERT_EQ(co_signal_catch(SIGUSR1), CO_EINVAL); /* outside co_main */
    RUN_TASK(wait_main, NULL);
}

/* The only task waits for a signal another thread sends later: co_main
 * waits with it instead of calling it a deadlock. */
static void *sender(void *arg)
{
    (void)arg;
    usleep(20 * 1000);
    kill(getpid(), SIGUSR2);
    return NULL;
}

static void *lone_main(void *arg)
{
    (void)arg;
    ASSERT_OK(co_signal_catch(SIGUSR2));
    pthread_t th;
    ASSERT_OK(pthread_create(&th, NULL, sender, NULL));
    ASSERT_EQ(co_signal_wait(SIGUSR2), SIGUSR2);
    ASSERT_OK(pthread_join(th, NULL));
    return NULL;
}

static void test_lone_waiter(void)
{
    RUN_TASK(lone_main, NULL);
}

/* Cancelled: CO_ECANCELED, and the handle no longer keeps the loop alive
 * (co_main returns). */
static int cancel_rc;

static void *cancelled_waiter(void *arg)
{
    (void)arg;
    cancel_rc = co_signal_wait(SIGUSR1);
    return NULL;
}

static void *cancel_main(void *arg)
{
    (void)arg;
    co_task *t = co_spawn(cancelled_waiter, NULL, "waiter");
    co_yield();
    ASSERT_OK(co_cancel(t));
    ASSERT_OK(co_join(t, NULL));
    ASSERT_EQ(cancel_rc, CO_ECANCELED);
    return NULL;
}

static void test_cancel(void)
{
    RUN_TASK(cancel_main, NULL);
}

static void *trace_main(void *arg)
{
    (void)arg;
    co_task *t = co_spawn(waiter, (void *)0, "waiter");
    co_yield();
    ASSERT_OK(kill(getpid(), SIGUSR1));
    ASSERT_OK(co_join(t, NULL));
    return NULL;
}

static void test_trace(void)
{
    const char *tb = RUN_TRACED(trace_main, NULL);
    char want[512];
    snprintf(want, sizeof want,
             "\"ev\":\"yield\",\"task\":2,\"why\":\"signal\",\"obj\":%d,\"at\":\"%s:17\"",
             SIGUSR1, __FILE__);
    const char *y = strstr(tb, want);
    ASSERT_NOT_NULL(y);
    ASSERT_NOT_NULL(strstr(y, "\"ev\":\"ready\",\"task\":2,\"by\":0,\"why\":\"io\"}"));
}

static const test_case cases[] = {
    {"wait", test_wait},
    {"lone_waiter", test_lone_waiter},
    {"cancel", test_cancel},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
