/* tests/runtime/test_misc.c: the loop's clock (co_now), task-local storage
 * and hand-offs from other threads (co_post), asserted exactly: values,
 * isolation between tasks, destructors, order of posts, errors, and that
 * tasks waiting for a post are not taken for a deadlock. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

/* ---- co_now ---- */

static void *now_main(void *arg)
{
    (void)arg;
    uint64_t a = co_now();
    uint64_t b = co_now();
    ASSERT_EQ(a, b); /* no blocking call between: the same loop time */
    ASSERT_OK(co_sleep(5));
    uint64_t c = co_now();
    ASSERT_CMP(c, >=, a + 5); /* a timer of 5 ms fires 5 ms on, or later */
    return NULL;
}

static void test_now(void)
{
    ASSERT_EQ(co_now(), 0); /* outside co_main */
    RUN_TASK(now_main, NULL);
    ASSERT_EQ(co_now(), 0);
}

/* ---- task-local storage ---- */

static char key_a, key_b;
static char freed[32];
static size_t nfreed;

static void note_free(void *v)
{
    if (nfreed + 1 < sizeof freed) {
        freed[nfreed++] = *(char *)v;
        freed[nfreed] = '\0';
    }
}

static void *local_child(void *arg)
{
    ASSERT_NULL(co_local_get(&key_a)); /* starts empty */
    ASSERT_OK(co_local_set(&key_a, arg, note_free));
    co_yield();
    ASSERT_EQ(co_local_get(&key_a), arg); /* nobody else's value */
    return NULL;
}

static void *cancelled_child(void *arg)
{
    ASSERT_OK(co_local_set(&key_b, arg, note_free));
    co_sleep(60000); /* cancelled: the destructor still runs at the end */
    return NULL;
}

static void *local_main(void *arg)
{
    (void)arg;
    static char one = '1', two = '2', x = 'x', y = 'y', c = 'c';
    ASSERT_EQ(co_local_set(NULL, &one, NULL), CO_EINVAL);
    ASSERT_OK(co_local_set(&key_a, &one, NULL));
    ASSERT_OK(co_local_set(&key_b, &two, NULL));
    ASSERT_EQ(co_local_get(&key_a), &one);
    ASSERT_EQ(co_local_get(&key_b), &two);
    ASSERT_OK(co_local_set(&key_a, &two, NULL)); /* replaced */
    ASSERT_EQ(co_local_get(&key_a), &two);
    ASSERT_NULL(co_local_get(NULL));
    co_task *t1 = co_spawn(local_child, &x, "x");
    co_task *t2 = co_spawn(local_child, &y, "y");
    co_yield();
    ASSERT_EQ(co_local_get(&key_a), &two); /* theirs did not touch ours */
    ASSERT_STR_EQ(freed, ""); /* they have not ended yet */
    ASSERT_OK(co_join(t1, NULL));
    ASSERT_OK(co_join(t2, NULL));
    ASSERT_STR_EQ(freed, "xy"); /* each at its end, in the order they ended */
    co_task *t3 = co_spawn(cancelled_child, &c, "c");
    co_yield();
    ASSERT_OK(co_cancel(t3));
    ASSERT_OK(co_join(t3, NULL));
    ASSERT_STR_EQ(freed, "xyc");
    return NULL;
}

static void test_local(void)
{
    nfreed = 0;
    freed[0] = '\0';
    ASSERT_EQ(co_local_set(&key_a, NULL, NULL), CO_EINVAL); /* no task */
    ASSERT_NULL(co_local_get(&key_a));
    RUN_TASK(local_main, NULL);
}

/* ---- co_post ---- */

enum { NPOST = 1000 };
static co_poster *poster;
static co_sem *arrived;
static int seq[NPOST], nseq, post_errs;

static void deliver(void *arg)
{
    ASSERT(co_self() == NULL); /* on the loop, outside any task */
    seq[nseq++] = (int)(intptr_t)arg;
    co_sem_post(arrived);
}

static void *poster_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < NPOST; i++) {
        if (co_post(poster, deliver, (void *)(intptr_t)i) != 0)
            post_errs++;
        if (i % 100 == 0)
            usleep(100); /* let the loop catch up now and then */
    }
    return NULL;
}

static void *spawned_by_post(void *arg)
{
    (void)arg;
    co_sem_post(arrived);
    return NULL;
}

static void spawn_from_loop(void *arg)
{
    (void)arg;
    co_detach(co_spawn(spawned_by_post, NULL, "posted"));
}

static void *post_main(void *arg)
{
    (void)arg;
    ASSERT_EQ(co_poster_new(NULL), CO_EINVAL);
    ASSERT_OK(co_poster_new(&poster));
    arrived = co_sem_new(0);
    pthread_t th;
    ASSERT_OK(pthread_create(&th, NULL, poster_thread, NULL));
    /* The only task waits for what another thread posts: not a deadlock. */
    for (int i = 0; i < NPOST; i++)
        ASSERT_OK(co_sem_wait(arrived));
    ASSERT_OK(pthread_join(th, NULL));
    ASSERT_EQ(post_errs, 0);
    ASSERT_EQ(nseq, NPOST);
    for (int i = 0; i < NPOST; i++)
        ASSERT_EQ(seq[i], i); /* in the order posted */
    ASSERT_OK(co_post(poster, spawn_from_loop, NULL));
    ASSERT_OK(co_sem_wait(arrived)); /* the task a post spawned ran */
    ASSERT_EQ(co_post(poster, NULL, NULL), CO_EINVAL);
    ASSERT_EQ(co_post(NULL, deliver, NULL), CO_EINVAL);
    /* Queued, then closed: it still runs, at the close. */
    nseq = 0;
    ASSERT_OK(co_post(poster, deliver, (void *)7));
    ASSERT_OK(co_poster_close(poster));
    ASSERT_EQ(nseq, 1);
    ASSERT_EQ(seq[0], 7);
    ASSERT_EQ(co_sem_value(arrived), 1);
    co_sem_free(arrived);
    /* One left open: co_main closes and frees it (ASan / valgrind see). */
    co_poster *left;
    ASSERT_OK(co_poster_new(&left));
    ASSERT_OK(co_post(left, deliver, (void *)1));
    return NULL;
}

static void test_post(void)
{
    nseq = post_errs = 0;
    co_poster *p;
    ASSERT_EQ(co_poster_new(&p), CO_EINVAL); /* outside co_main */
    RUN_TASK(post_main, NULL);
    ASSERT_EQ(nseq, 1); /* the one queued on the open poster was dropped */
}

/* ---- spans and renames ---- */

static void *span_child(void *arg)
{
    (void)arg;
    ASSERT_OK(co_span_begin("left open")); /* closed at the task's end */
    return NULL;
}

static void *span_main(void *arg)
{
    (void)arg;
    ASSERT_EQ(co_span_end(), CO_EINVAL); /* none open */
    ASSERT_EQ(co_span_begin(NULL), CO_EINVAL);
    ASSERT_OK(co_span_begin("request"));
    ASSERT_OK(co_span_begin("query"));
    ASSERT_OK(co_span_end());
    ASSERT_OK(co_span_end());
    ASSERT_EQ(co_span_end(), CO_EINVAL);
    ASSERT_OK(co_task_rename(co_self(), "server"));
    ASSERT_STR_EQ(co_task_name(co_self()), "server");
    ASSERT_EQ(co_task_rename(NULL, "x"), CO_EINVAL);
    ASSERT_EQ(co_task_rename(co_self(), NULL), CO_EINVAL);
    ASSERT_OK(co_join(co_spawn(span_child, NULL, "child"), NULL));
    return NULL;
}
static const int span_line = __LINE__ - 12;

static void test_spans(void)
{
    ASSERT_EQ(co_span_begin("x"), CO_EINVAL); /* outside a task */
    const char *buf = RUN_TRACED(span_main, NULL);
    char want[7][512];
    snprintf(want[0], sizeof want[0],
             "\"ev\":\"span_begin\",\"task\":1,\"name\":\"request\",\"at\":\"%s:%d\"}\n",
             __FILE__, span_line);
    snprintf(want[1], sizeof want[1],
             "\"ev\":\"span_begin\",\"task\":1,\"name\":\"query\",\"at\":\"%s:%d\"}\n",
             __FILE__, span_line + 1);
    snprintf(want[2], sizeof want[2], "\"ev\":\"span_end\",\"task\":1}\n");
    snprintf(want[3], sizeof want[3], "\"ev\":\"span_end\",\"task\":1}\n");
    snprintf(want[4], sizeof want[4], "\"ev\":\"rename\",\"task\":1,\"name\":\"server\"}\n");
    snprintf(want[5], sizeof want[5], "\"ev\":\"span_end\",\"task\":2}\n");
    snprintf(want[6], sizeof want[6], "\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"");
    const char *p = buf;
    for (int i = 0; i < 7; i++) {
        const char *q = strstr(p, want[i]);
        if (!q)
            fprintf(stderr, "missing: %s", want[i]);
        ASSERT_NOT_NULL(q);
        p = q + 1;
    }
}

/* ---- the loop thread's cancellation ----
 * co_main runs with cancellation disabled (and its type asynchronous, so
 * glibc's cancellation points skip their atomic swaps): a pthread_cancel of
 * the loop thread waits until co_main has returned and restored both, then
 * acts at the thread's next cancellation point. */

static atomic_int cx_running, cx_sent, cx_done, cx_after;
static int cx_rc = -1, cx_state = -1, cx_type = -1;

static void *cancel_task(void *arg)
{
    (void)arg;
    int old;
    ASSERT_OK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old));
    ASSERT_EQ(old, PTHREAD_CANCEL_DISABLE);
    ASSERT_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old));
    ASSERT_EQ(old, PTHREAD_CANCEL_ASYNCHRONOUS);
    atomic_store(&cx_running, 1);
    for (int i = 0; i < 10000 && !atomic_load(&cx_sent); i++)
        ASSERT_OK(co_sleep(1));
    ASSERT(atomic_load(&cx_sent));
    ASSERT_OK(co_sleep(20)); /* the loop polls: cancellation points, pending cancel */
    atomic_store(&cx_done, 1);
    return NULL;
}

static void *cancel_loop(void *arg)
{
    (void)arg;
    cx_rc = co_main(cancel_task, NULL);
    /* restored: enabled, deferred (neither call acts on the pending cancel) */
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &cx_type);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &cx_state);
    pthread_testcancel(); /* the cancel acts here */
    atomic_store(&cx_after, 1);
    return NULL;
}

static void test_cancel(void)
{
    pthread_t th;
    ASSERT_OK(pthread_create(&th, NULL, cancel_loop, NULL));
    for (int i = 0; i < 10000 && !atomic_load(&cx_running); i++)
        usleep(1000);
    ASSERT(atomic_load(&cx_running));
    ASSERT_OK(pthread_cancel(th));
    atomic_store(&cx_sent, 1);
    void *ret = NULL;
    ASSERT_OK(pthread_join(th, &ret));
    ASSERT(ret == PTHREAD_CANCELED);
    ASSERT_EQ(atomic_load(&cx_done), 1); /* the task ran to its end */
    ASSERT_EQ(cx_rc, 0);
    ASSERT_EQ(cx_type, PTHREAD_CANCEL_DEFERRED);
    ASSERT_EQ(cx_state, PTHREAD_CANCEL_ENABLE);
    ASSERT_EQ(atomic_load(&cx_after), 0);
}

static const test_case cases[] = {
    {"now", test_now},
    {"local", test_local},
    {"post", test_post},
    {"spans", test_spans},
    {"cancel", test_cancel},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
