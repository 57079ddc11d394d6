/* tests/runtime/test_select.c: co_select and the channels' try calls,
 * asserted exactly: results, per-case errors, the order cases win in, the
 * timeout case, closed channels, cancellation and deadlines (no case done,
 * no waiter left behind), and the trace of the wait. */
#include <stdint.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

/* ---- try ---- */

static void check_try(void)
{
    co_chan *c = co_chan_new(sizeof(int), 1);
    int v = 0, one = 1, two = 2;
    ASSERT_EQ(co_chan_try_recv(c, &v), CO_EAGAIN);
    ASSERT_OK(co_chan_try_send(c, &one));
    ASSERT_EQ(co_chan_try_send(c, &two), CO_EAGAIN); /* full */
    ASSERT_OK(co_chan_try_recv(c, &v));
    ASSERT_EQ(v, 1);
    ASSERT_OK(co_chan_try_send(c, &two));
    co_chan_close(c);
    ASSERT_EQ(co_chan_try_send(c, &one), CO_EPIPE);
    ASSERT_OK(co_chan_try_recv(c, &v)); /* drains first */
    ASSERT_EQ(v, 2);
    ASSERT_EQ(co_chan_try_recv(c, &v), CO_EOF);
    ASSERT_EQ(co_chan_try_recv(NULL, &v), CO_EINVAL);
    ASSERT_EQ(co_chan_try_send(c, NULL), CO_EINVAL);
    co_chan_free(c);
}

static co_chan *rv;
static int got;

static void *rv_receiver(void *arg)
{
    (void)arg;
    ASSERT_OK(co_chan_recv(rv, &got));
    return NULL;
}

static void *rv_sender(void *arg)
{
    int *v = arg;
    ASSERT_OK(co_chan_send(rv, v));
    return NULL;
}

static void *try_main(void *arg)
{
    (void)arg;
    check_try(); /* inside a task too */
    /* Rendezvous: try_send succeeds only with a receiver waiting. */
    rv = co_chan_new(sizeof(int), 0);
    int v = 7;
    ASSERT_EQ(co_chan_try_send(rv, &v), CO_EAGAIN);
    co_task *r = co_spawn(rv_receiver, NULL, "receiver");
    co_yield(); /* it waits now */
    ASSERT_OK(co_chan_try_send(rv, &v));
    ASSERT_OK(co_join(r, NULL));
    ASSERT_EQ(got, 7);
    int w = 9, out = 0;
    ASSERT_EQ(co_chan_try_recv(rv, &out), CO_EAGAIN);
    co_task *s = co_spawn(rv_sender, &w, "sender");
    co_yield();
    ASSERT_OK(co_chan_try_recv(rv, &out));
    ASSERT_EQ(out, 9);
    ASSERT_OK(co_join(s, NULL));
    co_chan_free(rv);
    return NULL;
}

static void test_try(void)
{
    check_try(); /* outside a task: no task needed, nothing waits */
    RUN_TASK(try_main, NULL);
}

/* ---- select ---- */

static co_chan *ca, *cb;

static void *send_b_later(void *arg)
{
    int v = (int)(intptr_t)arg;
    co_sleep(2);
    ASSERT_OK(co_chan_send(cb, &v));
    return NULL;
}

static void *select_main(void *arg)
{
    (void)arg;
    ca = co_chan_new(sizeof(int), 1);
    cb = co_chan_new(sizeof(int), 1);
    int va = -1, vb = -1, one = 1, two = 2;
    co_select_case k[2] = {{ca, CO_SELECT_RECV, &va, 99},
                           {cb, CO_SELECT_RECV, &vb, 99}};
    /* Both ready: the first case wins; the other stays untouched. */
    ASSERT_OK(co_chan_send(ca, &one));
    ASSERT_OK(co_chan_send(cb, &two));
    ASSERT_EQ(co_select(k, 2, -1), 0);
    ASSERT_EQ(va, 1);
    ASSERT_EQ(k[0].err, 0);
    ASSERT_EQ(k[1].err, 0);
    ASSERT_EQ(co_select(k, 2, -1), 1);
    ASSERT_EQ(vb, 2);
    /* None ready, timeout 0: the timeout case at once. */
    ASSERT_EQ(co_select(k, 2, 0), 2);
    /* Waits; b's sender wakes it. */
    co_task *t = co_spawn(send_b_later, (void *)(intptr_t)5, "sender");
    ASSERT_EQ(co_select(k, 2, -1), 1);
    ASSERT_EQ(vb, 5);
    ASSERT_OK(co_join(t, NULL));
    /* The case that did not fire left no waiter: ca's slot takes a value
     * and keeps it. */
    ASSERT_OK(co_chan_try_send(ca, &one));
    ASSERT_EQ(co_chan_try_send(ca, &one), CO_EAGAIN);
    ASSERT_OK(co_chan_try_recv(ca, &va));
    /* Timeout > 0: nothing comes. */
    ASSERT_EQ(co_select(k, 2, 3), 2);
    /* A send case, and a NULL case skipped. */
    int nine = 9;
    co_select_case s[2] = {{NULL, CO_SELECT_RECV, NULL, 0},
                           {ca, CO_SELECT_SEND, &nine, 0}};
    ASSERT_EQ(co_select(s, 2, -1), 1);
    ASSERT_OK(co_chan_try_recv(ca, &va));
    ASSERT_EQ(va, 9);
    /* Closed channels can go: recv drained gets CO_EOF, send CO_EPIPE. */
    co_chan_close(cb);
    ASSERT_EQ(co_select(k, 2, -1), 1);
    ASSERT_EQ(k[1].err, CO_EOF);
    co_select_case sc = {cb, CO_SELECT_SEND, &nine, 0};
    ASSERT_EQ(co_select(&sc, 1, -1), 0);
    ASSERT_EQ(sc.err, CO_EPIPE);
    /* Bad arguments. */
    ASSERT_EQ(co_select(NULL, 1, -1), CO_EINVAL);
    ASSERT_EQ(co_select(k, 0, -1), CO_EINVAL);
    co_select_case bad = {ca, 7, &va, 0};
    ASSERT_EQ(co_select(&bad, 1, -1), CO_EINVAL);
    co_select_case noelem = {ca, CO_SELECT_RECV, NULL, 0};
    ASSERT_EQ(co_select(&noelem, 1, -1), CO_EINVAL);
    co_chan_free(ca);
    co_chan_free(cb);
    return NULL;
}

static void test_select(void)
{
    RUN_TASK(select_main, NULL);
}

/* At most 64 cases: 64 work (the last one can go, and is the one done),
 * 65 are refused with CO_EINVAL before any case is tried. */
static void *select_many_main(void *arg)
{
    (void)arg;
    enum { MANY = 65 };
    co_chan *ch[MANY];
    int into[MANY];
    co_select_case k[MANY];
    for (int i = 0; i < MANY; i++) {
        ch[i] = co_chan_new(sizeof(int), 1);
        ASSERT_NOT_NULL(ch[i]);
        into[i] = -1;
        k[i] = (co_select_case){ch[i], CO_SELECT_RECV, &into[i], 0};
    }
    int v = 63;
    ASSERT_OK(co_chan_try_send(ch[63], &v));
    v = 64;
    ASSERT_OK(co_chan_try_send(ch[64], &v));
    ASSERT_EQ(co_select(k, MANY, 0), CO_EINVAL);
    ASSERT_EQ(into[64], -1); /* nothing taken */
    ASSERT_EQ(co_select(k, MANY, -1), CO_EINVAL);
    ASSERT_EQ(co_select(k, 64, -1), 63);
    ASSERT_EQ(into[63], 63);
    ASSERT_OK(k[63].err);
    ASSERT_EQ(co_select(k, 64, 0), 64); /* none can go now: the timeout case */
    ASSERT_EQ(co_chan_try_recv(ch[64], &v), 0); /* still there */
    ASSERT_EQ(v, 64);
    for (int i = 0; i < MANY; i++)
        co_chan_free(ch[i]);
    return NULL;
}

static void test_select_many(void)
{
    RUN_TASK(select_many_main, NULL);
}

/* Two selects wait on one channel: each send wakes exactly one of them, in
 * the order they came, and a waiter whose select fired elsewhere is never
 * handed an element. */
static co_chan *shared, *other;
static int sel_val[2], sel_idx[2];

static void *selector(void *arg)
{
    int i = (int)(intptr_t)arg;
    co_select_case k[2] = {{other, CO_SELECT_RECV, &sel_val[i], 0},
                           {shared, CO_SELECT_RECV, &sel_val[i], 0}};
    sel_idx[i] = co_select(k, 2, -1);
    return NULL;
}

static void *race_main(void *arg)
{
    (void)arg;
    shared = co_chan_new(sizeof(int), 0);
    other = co_chan_new(sizeof(int), 0);
    co_task *a = co_spawn(selector, (void *)0, "sel-a");
    co_task *b = co_spawn(selector, (void *)1, "sel-b");
    co_yield(); /* both wait on both */
    int v = 10;
    ASSERT_OK(co_chan_try_send(other, &v)); /* a takes it from `other` */
    v = 11;
    ASSERT_OK(co_chan_try_send(shared, &v)); /* a is stale there: b gets it */
    ASSERT_EQ(co_chan_try_send(shared, &v), CO_EAGAIN); /* nobody is left */
    ASSERT_EQ(co_chan_try_send(other, &v), CO_EAGAIN);
    ASSERT_OK(co_join(a, NULL));
    ASSERT_OK(co_join(b, NULL));
    ASSERT_EQ(sel_idx[0], 0);
    ASSERT_EQ(sel_val[0], 10);
    ASSERT_EQ(sel_idx[1], 1);
    ASSERT_EQ(sel_val[1], 11);
    co_chan_free(shared);
    co_chan_free(other);
    return NULL;
}

static void test_select_race(void)
{
    RUN_TASK(race_main, NULL);
}

/* Cancelled or past its deadline: the error, no case done, no waiter left
 * (the channels can be freed, which is fatal while anyone waits). */
static int cancel_rc, deadline_rc, deadline_idx;

static void *sel_victim(void *arg)
{
    (void)arg;
    int v;
    co_select_case k[2] = {{ca, CO_SELECT_RECV, &v, 0}, {cb, CO_SELECT_RECV, &v, 0}};
    cancel_rc = co_select(k, 2, 10000);
    return NULL;
}

static void *sel_deadline(void *arg)
{
    (void)arg;
    int v;
    co_select_case k = {ca, CO_SELECT_RECV, &v, 0};
    ASSERT_OK(co_deadline(2));
    deadline_rc = co_select(&k, 1, -1);
    ASSERT_OK(co_deadline(0));
    deadline_idx = co_select(&k, 1, 1); /* its own timeout still works */
    return NULL;
}

static void *sel_cancel_main(void *arg)
{
    (void)arg;
    ca = co_chan_new(sizeof(int), 0);
    cb = co_chan_new(sizeof(int), 0);
    co_task *t = co_spawn(sel_victim, NULL, "victim");
    co_yield();
    ASSERT_OK(co_cancel(t));
    ASSERT_OK(co_join(t, NULL));
    ASSERT_EQ(cancel_rc, CO_ECANCELED);
    int v = 1;
    ASSERT_EQ(co_chan_try_send(ca, &v), CO_EAGAIN);
    ASSERT_EQ(co_chan_try_send(cb, &v), CO_EAGAIN);
    ASSERT_OK(co_join(co_spawn(sel_deadline, NULL, "deadline"), NULL));
    ASSERT_EQ(deadline_rc, CO_ETIMEDOUT);
    ASSERT_EQ(deadline_idx, 1);
    co_chan_free(ca);
    co_chan_free(cb);
    return NULL;
}

static void test_select_cancel(void)
{
    RUN_TASK(sel_cancel_main, NULL);
}

/* The trace: one wait, why "select", with the timeout as ms and the
 * caller's place; woken by the timer for the timeout case. */
static void *sel_trace_main(void *arg)
{
    (void)arg;
    ca = co_chan_new(sizeof(int), 0);
    int v;
    co_select_case k = {ca, CO_SELECT_RECV, &v, 0};
    ASSERT_EQ(co_select(&k, 1, 4), 1);
    co_chan_free(ca);
    return NULL;
}
static const int sel_trace_line = __LINE__ - 4;

static void test_select_trace(void)
{
    const char *buf = RUN_TRACED(sel_trace_main, NULL);
    char want[512];
    snprintf(want, sizeof want,
             "\"ev\":\"yield\",\"task\":1,\"why\":\"select\",\"ms\":4,\"at\":\"%s:%d\"",
             __FILE__, sel_trace_line);
    const char *y = strstr(buf, want);
    ASSERT_NOT_NULL(y);
    /* the task's next ready line (poll lines may come between) */
    const char *r = strstr(y, "\"ev\":\"ready\",\"task\":1,");
    ASSERT_NOT_NULL(r);
    const char *timer = "\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"timer\"}";
    ASSERT(strncmp(r, timer, strlen(timer)) == 0);
}

static const test_case cases[] = {
    {"try", test_try},
    {"select", test_select},
    {"select_many", test_select_many},
    {"select_race", test_select_race},
    {"select_cancel", test_select_cancel},
    {"select_trace", test_select_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
