/* tests/runtime/test_sync.c: semaphores, condition variables and
 * co_mutex_trylock, asserted exactly: counts, FIFO hand-off, results and
 * errors, cancellation and deadlines (nothing taken, no waiter left), and
 * the trace events. */
#include <stdint.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

static char order[64];
static size_t norder;

static void note(char c)
{
    if (norder + 1 < sizeof order) {
        order[norder++] = c;
        order[norder] = '\0';
    }
}

/* ---- semaphores ---- */

static co_sem *sem;

static void *sem_taker(void *arg)
{
    ASSERT_OK(co_sem_wait(sem));
    note((char)(intptr_t)arg);
    return NULL;
}
static const int sem_wait_line = __LINE__ - 4;

static void *sem_main(void *arg)
{
    (void)arg;
    sem = co_sem_name(co_sem_new(2), "slots");
    ASSERT_EQ(co_sem_value(sem), 2);
    ASSERT_OK(co_sem_wait(sem));
    ASSERT_OK(co_sem_trywait(sem));
    ASSERT_EQ(co_sem_trywait(sem), CO_EAGAIN);
    ASSERT_EQ(co_sem_value(sem), 0);
    co_task *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = co_spawn(sem_taker, (void *)(intptr_t)('a' + i), "taker");
    co_yield(); /* all three wait, in order */
    note('p');
    ASSERT_OK(co_sem_post(sem)); /* straight to a: no barging */
    ASSERT_EQ(co_sem_trywait(sem), CO_EAGAIN);
    ASSERT_OK(co_sem_post(sem));
    ASSERT_OK(co_sem_post(sem));
    for (int i = 0; i < 3; i++)
        ASSERT_OK(co_join(t[i], NULL));
    ASSERT_EQ(co_sem_value(sem), 0);
    ASSERT_OK(co_sem_post(sem)); /* nobody waits: the count */
    ASSERT_EQ(co_sem_value(sem), 1);
    ASSERT_EQ(co_sem_wait(NULL), CO_EINVAL);
    ASSERT_EQ(co_sem_post(NULL), CO_EINVAL);
    ASSERT_EQ(co_sem_trywait(NULL), CO_EINVAL);
    co_sem_free(sem);
    return NULL;
}

static void test_sem(void)
{
    norder = 0;
    RUN_TASK(sem_main, NULL);
    ASSERT_STR_EQ(order, "pabc");
}

static int victim_rc, late_rc;

static void *sem_victim(void *arg)
{
    (void)arg;
    victim_rc = co_sem_wait(sem);
    return NULL;
}

static void *sem_late(void *arg)
{
    (void)arg;
    ASSERT_OK(co_deadline(2));
    late_rc = co_sem_wait(sem);
    return NULL;
}

static void *sem_cancel_main(void *arg)
{
    (void)arg;
    sem = co_sem_new(0);
    co_task *v = co_spawn(sem_victim, NULL, "victim");
    co_yield();
    ASSERT_OK(co_cancel(v));
    ASSERT_OK(co_join(v, NULL));
    ASSERT_EQ(victim_rc, CO_ECANCELED);
    ASSERT_OK(co_join(co_spawn(sem_late, NULL, "late"), NULL));
    ASSERT_EQ(late_rc, CO_ETIMEDOUT);
    /* Nobody is left waiting: a post goes to the count, and it can be
     * freed (fatal while waited on). */
    ASSERT_OK(co_sem_post(sem));
    ASSERT_EQ(co_sem_value(sem), 1);
    co_sem_free(sem);
    return NULL;
}

static void test_sem_cancel(void)
{
    RUN_TASK(sem_cancel_main, NULL);
}

/* ---- condition variables ---- */

static co_cond *cond;
static int ready, woken;

static void *cond_waiter(void *arg)
{
    while (!ready)
        ASSERT_OK(co_cond_wait(cond));
    note((char)(intptr_t)arg);
    woken++;
    return NULL;
}
static const int cond_wait_line = __LINE__ - 5;

static void *cond_main(void *arg)
{
    (void)arg;
    cond = co_cond_name(co_cond_new(), "ready");
    ASSERT_EQ(co_cond_signal(cond), 0); /* nobody waits: lost, as it should */
    co_task *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = co_spawn(cond_waiter, (void *)(intptr_t)('x' + i), "waiter");
    co_yield();
    ASSERT_EQ(co_cond_signal(cond), 1); /* x wakes, sees !ready, waits again */
    co_yield();
    ASSERT_EQ(woken, 0);
    ready = 1;
    ASSERT_EQ(co_cond_signal(cond), 1); /* y: the oldest now */
    co_yield();
    ASSERT_STR_EQ(order, "y");
    ASSERT_EQ(co_cond_broadcast(cond), 2);
    for (int i = 0; i < 3; i++)
        ASSERT_OK(co_join(t[i], NULL));
    ASSERT_STR_EQ(order, "yzx");
    ASSERT_EQ(co_cond_broadcast(cond), 0);
    ASSERT_EQ(co_cond_wait(NULL), CO_EINVAL);
    ASSERT_EQ(co_cond_signal(NULL), CO_EINVAL);
    co_cond_free(cond);
    return NULL;
}

static void test_cond(void)
{
    norder = 0;
    ready = woken = 0;
    RUN_TASK(cond_main, NULL);
}

static void *cond_victim(void *arg)
{
    (void)arg;
    victim_rc = co_cond_wait(cond);
    return NULL;
}

static void *cond_late(void *arg)
{
    (void)arg;
    ASSERT_OK(co_deadline(2));
    late_rc = co_cond_wait(cond);
    return NULL;
}

static void *cond_cancel_main(void *arg)
{
    (void)arg;
    cond = co_cond_new();
    co_task *v = co_spawn(cond_victim, NULL, "victim");
    co_yield();
    ASSERT_OK(co_cancel(v));
    ASSERT_OK(co_join(v, NULL));
    ASSERT_EQ(victim_rc, CO_ECANCELED);
    ASSERT_OK(co_join(co_spawn(cond_late, NULL, "late"), NULL));
    ASSERT_EQ(late_rc, CO_ETIMEDOUT);
    ASSERT_EQ(co_cond_broadcast(cond), 0); /* no waiter left behind */
    co_cond_free(cond);
    return NULL;
}

static void test_cond_cancel(void)
{
    RUN_TASK(cond_cancel_main, NULL);
}

/* ---- trylock ---- */

static co_mutex *mu;
static int other_try;

static void *other_trier(void *arg)
{
    (void)arg;
    other_try = co_mutex_trylock(mu);
    return NULL;
}

static void *trylock_main(void *arg)
{
    (void)arg;
    mu = co_mutex_new();
    ASSERT_OK(co_mutex_trylock(mu));
    ASSERT_EQ(co_mutex_trylock(mu), CO_EINVAL); /* the caller holds it */
    ASSERT_OK(co_join(co_spawn(other_trier, NULL, "other"), NULL));
    ASSERT_EQ(other_try, CO_EBUSY);
    co_mutex_unlock(mu);
    ASSERT_OK(co_join(co_spawn(other_trier, NULL, "other"), NULL));
    ASSERT_OK(other_try); /* it took it, and exited holding it */
    ASSERT_EQ(co_mutex_trylock(NULL), CO_EINVAL);
    co_mutex_free(mu);
    return NULL;
}

static void test_trylock(void)
{
    RUN_TASK(trylock_main, NULL);
    ASSERT_EQ(co_mutex_trylock(mu), CO_EINVAL); /* outside a task */
}

/* ---- the trace ---- */

static void *trace_main(void *arg)
{
    (void)arg;
    sem = co_sem_name(co_sem_new(0), "slots");
    co_task *t = co_spawn(sem_taker, (void *)'t', "taker");
    co_yield();
    ASSERT_OK(co_sem_post(sem));
    ASSERT_OK(co_join(t, NULL));
    co_sem_free(sem);
    mu = co_mutex_name(co_mutex_new(), "m");
    ASSERT_OK(co_mutex_trylock(mu));
    co_mutex_unlock(mu);
    co_mutex_free(mu);
    cond = co_cond_name(co_cond_new(), "ready");
    ready = 0;
    t = co_spawn(cond_waiter, (void *)'c', "waiter");
    co_yield();
    ready = 1;
    ASSERT_EQ(co_cond_signal(cond), 1);
    ASSERT_OK(co_join(t, NULL));
    co_cond_free(cond);
    return NULL;
}
static const int sem_new_line = __LINE__ - 20;
static const int cond_new_line = __LINE__ - 11;

static void test_trace(void)
{
    const char *buf = RUN_TRACED_V1(trace_main, NULL); /* checks v1's lines */
    /* Every line here, in order (other lines between them allowed). */
    char want[11][512];
    snprintf(want[0], sizeof want[0],
             "\"ev\":\"obj\",\"obj\":1,\"kind\":\"sem\",\"name\":\"slots\",\"at\":\"%s:%d\"}",
             __FILE__, sem_new_line);
    snprintf(want[1], sizeof want[1],
             "\"ev\":\"yield\",\"task\":2,\"why\":\"sem\",\"obj\":1,\"at\":\"%s:%d\"",
             __FILE__, sem_wait_line);
    snprintf(want[2], sizeof want[2], "\"ev\":\"ready\",\"task\":2,\"by\":1,\"why\":\"lock\"}");
    snprintf(want[3], sizeof want[3], "\"ev\":\"obj\",\"obj\":2,\"kind\":\"mutex\",\"name\":\"m\"");
    snprintf(want[4], sizeof want[4], "\"ev\":\"acquire\",\"task\":1,\"obj\":2}");
    snprintf(want[5], sizeof want[5], "\"ev\":\"release\",\"task\":1,\"obj\":2}");
    /* a cond wait and the signal that ends it */
    snprintf(want[6], sizeof want[6],
             "\"ev\":\"obj\",\"obj\":3,\"kind\":\"cond\",\"name\":\"ready\",\"at\":\"%s:%d\"}",
             __FILE__, cond_new_line);
    snprintf(want[7], sizeof want[7],
             "\"ev\":\"yield\",\"task\":3,\"why\":\"cond\",\"obj\":3,\"at\":\"%s:%d\"",
             __FILE__, cond_wait_line);
    snprintf(want[8], sizeof want[8], "\"ev\":\"ready\",\"task\":3,\"by\":1,\"why\":\"chan\"}");
    snprintf(want[9], sizeof want[9], "\"ev\":\"run\",\"task\":3}");
    snprintf(want[10], sizeof want[10], "\"ev\":\"exit\",\"task\":3,\"status\":\"ok\"");
    const char *p = buf;
    for (int i = 0; i < 11; i++) {
        const char *q = strstr(p, want[i]);
        if (!q)
            fprintf(stderr, "missing after offset %zu: %s\n", (size_t)(p - buf), want[i]);
        ASSERT_NOT_NULL(q);
        p = q + 1;
    }
    /* one wait each: the sem's and the cond's */
    ASSERT_NULL(strstr(strchr(strstr(buf, want[1]), '\n'), "\"why\":\"sem\""));
    ASSERT_NULL(strstr(strchr(strstr(buf, want[7]), '\n'), "\"why\":\"cond\""));
}

static const test_case cases[] = {
    {"sem", test_sem},
    {"sem_cancel", test_sem_cancel},
    {"cond", test_cond},
    {"cond_cancel", test_cond_cancel},
    {"trylock", test_trylock},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
