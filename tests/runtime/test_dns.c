/* tests/runtime/test_dns.c: host names and IPv6 for co_tcp_listen /
 * co_tcp_connect, asserted exactly: bytes across a connection made by name
 * and one over ::1, the `dns` wait in the trace at the caller's place, a
 * name that cannot exist, cancellation of a lookup and a lookup past its
 * deadline (queued behind a thread pool held full, so it cannot have
 * started), and a connect by name traced as `dns` then `connect`, refused
 * or not. "localhost" comes from /etc/hosts, so no network is needed. */
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

static co_tcp *accepted;

static void *acceptor(void *arg)
{
    ASSERT_OK(co_tcp_accept(arg, &accepted));
    return NULL;
}

/* Listens on host, connects to it by host, and sends 5 bytes across. */
static void roundtrip(const char *host)
{
    co_tcp *l, *c;
    ASSERT_OK(co_tcp_listen(host, 0, &l));
    co_task *a = co_spawn(acceptor, l, "acceptor");
    ASSERT_OK(co_tcp_connect(host, co_tcp_port(l), &c));
    ASSERT_OK(co_join(a, NULL));
    ASSERT_EQ(co_write(c, "hello", 5), 5);
    char buf[8] = {0};
    ASSERT_EQ(co_read_exact(accepted, buf, 5), 5);
    ASSERT_STR_EQ(buf, "hello");
    ASSERT_OK(co_close(c));
    ASSERT_OK(co_close(accepted));
    ASSERT_OK(co_close(l));
}

static void *names_main(void *arg)
{
    (void)arg;
    roundtrip("localhost");
    roundtrip("::1");
    roundtrip("127.0.0.1");
    co_tcp *c = (co_tcp *)1;
    ASSERT_EQ(co_tcp_connect("no.such.host.invalid", 80, &c), CO_EAI_NONAME);
    ASSERT(c == (co_tcp *)1);
    ASSERT_EQ(co_tcp_connect("", 80, &c), CO_EINVAL);
    return NULL;
}

static void test_names(void)
{
    RUN_TASK(names_main, NULL);
}

static int lookup_rc;

static void *looker(void *arg)
{
    (void)arg;
    co_tcp *c;
    lookup_rc = co_tcp_connect("localhost", 9, &c);
    return NULL;
}

static void *cancel_main(void *arg)
{
    (void)arg;
    co_task *t = co_spawn(looker, NULL, "looker");
    co_yield(); /* it waits for the lookup on the thread pool */
    ASSERT_OK(co_cancel(t));
    ASSERT_OK(co_join(t, NULL));
    ASSERT_EQ(lookup_rc, CO_ECANCELED);
    return NULL;
}

static void test_cancel(void)
{
    RUN_TASK(cancel_main, NULL);
}

/* ---- past its deadline while queued: the pool is held full ---- */

enum { POOL = 4 };
static sem_t gate;
static atomic_int held;

static void hold(void *arg)
{
    (void)arg;
    atomic_fetch_add(&held, 1);
    while (sem_wait(&gate) != 0)
        ;
}

static void *filler(void *arg)
{
    (void)arg;
    ASSERT_OK(co_run_blocking(hold, NULL, "hold"));
    return NULL;
}

static void *late_looker(void *arg)
{
    (void)arg;
    co_tcp *c = (co_tcp *)1;
    ASSERT_OK(co_deadline(10));
    lookup_rc = co_tcp_connect("localhost", 9, &c);
    ASSERT(c == (co_tcp *)1);
    ASSERT_EQ(co_deadline_left(), 0);
    ASSERT_OK(co_deadline(0));
    return NULL;
}

static void *deadline_main(void *arg)
{
    (void)arg;
    co_task *fillers[POOL];
    ASSERT_OK(sem_init(&gate, 0, 0));
    for (int i = 0; i < POOL; i++)
        fillers[i] = co_spawn(filler, NULL, "filler");
    for (int i = 0; i < 5000 && atomic_load(&held) < POOL; i++)
        ASSERT_OK(co_sleep(1));
    ASSERT_EQ(atomic_load(&held), POOL);
    lookup_rc = 1;
    ASSERT_OK(co_join(co_spawn(late_looker, NULL, "looker"), NULL));
    ASSERT_EQ(lookup_rc, CO_ETIMEDOUT); /* while the pool was still held */
    for (int i = 0; i < POOL; i++)
        ASSERT_OK(sem_post(&gate));
    for (int i = 0; i < POOL; i++)
        ASSERT_OK(co_join(fillers[i], NULL));
    ASSERT_OK(sem_destroy(&gate));
    /* the pool is free again: the same lookup now goes through */
    co_tcp *l, *c;
    ASSERT_OK(co_tcp_listen("localhost", 0, &l));
    ASSERT_OK(co_tcp_connect("localhost", co_tcp_port(l), &c));
    ASSERT_OK(co_close(c));
    ASSERT_OK(co_close(l));
    return NULL;
}

static void test_deadline(void)
{
    ASSERT_OK(setenv("UV_THREADPOOL_SIZE", "4", 1));
    RUN_TASK(deadline_main, NULL);
}

static void *refused_connect(void *arg)
{
    (void)arg;
    co_tcp *c;
    ASSERT_OK(co_cancel(co_self()));
    ASSERT_EQ(co_tcp_connect("localhost", 9, &c), CO_ECANCELED);
    return NULL;
}
static const int refused_line = __LINE__ - 3;

static void *trace_main(void *arg)
{
    (void)arg;
    co_tcp *l, *c;
    ASSERT_OK(co_tcp_listen("localhost", 0, &l));
    ASSERT_OK(co_tcp_connect("localhost", co_tcp_port(l), &c));
    ASSERT_OK(co_close(c));
    ASSERT_OK(co_close(l));
    co_task *t = co_spawn(refused_connect, NULL, "refused");
    ASSERT_OK(co_join(t, NULL));
    return NULL;
}
static const int listen_line = __LINE__ - 8;

/* Each of want[0..n) in order in tb, after p; returns where the last was. */
static const char *in_order(const char *tb, const char *p, char want[][512], int n)
{
    for (int i = 0; i < n; i++) {
        const char *q = strstr(p, want[i]);
        if (!q)
            fprintf(stderr, "missing after offset %zu: %s\nin: %s\n", (size_t)(p - tb),
                    want[i], p);
        ASSERT_NOT_NULL(q);
        p = q + 1;
    }
    return p - 1;
}

static void test_trace(void)
{
    const char *tb = RUN_TRACED_V1(trace_main, NULL); /* checks v1's lines */
    char want[6][512];
    /* listen by name: the lookup, then the listen */
    snprintf(want[0], sizeof want[0], "\"ev\":\"io_begin\",\"task\":1,\"op\":\"dns\"}");
    snprintf(want[1], sizeof want[1],
             "\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"dns\",\"at\":\"%s:%d\"",
             __FILE__, listen_line);
    snprintf(want[2], sizeof want[2], "\"ev\":\"io_end\",\"task\":1,\"op\":\"dns\",\"res\":");
    const char *p = in_order(tb, tb, want, 3);
    ASSERT_CMP(atoi(strstr(p, "\"res\":") + 6), >=, 1);
    snprintf(want[0], sizeof want[0], "\"ev\":\"io\",\"task\":1,\"op\":\"listen\",\"fd\":");
    p = in_order(tb, p, want, 1);
    /* connect by name: the lookup at the caller's line, then the connect
     * at the same line */
    snprintf(want[0], sizeof want[0], "\"ev\":\"io_begin\",\"task\":1,\"op\":\"dns\"}");
    snprintf(want[1], sizeof want[1],
             "\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"dns\",\"at\":\"%s:%d\"",
             __FILE__, listen_line + 1);
    snprintf(want[2], sizeof want[2], "\"ev\":\"io_end\",\"task\":1,\"op\":\"dns\",\"res\":");
    snprintf(want[3], sizeof want[3], "\"ev\":\"io_begin\",\"task\":1,\"op\":\"connect\",\"fd\":");
    snprintf(want[4], sizeof want[4], "\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"connect\",\"fd\":");
    snprintf(want[5], sizeof want[5], "\"ev\":\"io_end\",\"task\":1,\"op\":\"connect\",\"res\":0}");
    p = in_order(tb, p, want, 6);
    const char *y = strstr(tb, want[4]), *nl = strchr(y, '\n');
    snprintf(want[0], sizeof want[0], ",\"at\":\"%s:%d\"", __FILE__, listen_line + 1);
    const char *at = strstr(y, want[0]);
    ASSERT(at != NULL && at < nl);
    /* a connect by name refused (the task is cancelled) is refused as its
     * lookup: a `dns` wait of no length, never a connect (no closing brace
     * after "at": a slice of 250 us or more, as under valgrind, carries its
     * on-CPU figures there) */
    snprintf(want[0], sizeof want[0],
             "\"ev\":\"yield\",\"task\":2,\"why\":\"io\",\"op\":\"dns\",\"at\":\"%s:%d\"",
             __FILE__, refused_line);
    snprintf(want[1], sizeof want[1], "\"ev\":\"ready\",\"task\":2,\"by\":2,\"why\":\"cancel\"}");
    snprintf(want[2], sizeof want[2], "\"ev\":\"run\",\"task\":2}");
    snprintf(want[3], sizeof want[3], "\"ev\":\"exit\",\"task\":2,\"status\":\"cancelled\"");
    in_order(tb, p, want, 4);
    ASSERT_NULL(strstr(tb, "\"task\":2,\"why\":\"io\",\"op\":\"connect\""));
    ASSERT_NULL(strstr(tb, "\"ev\":\"io_begin\",\"task\":2"));
}

static const test_case cases[] = {
    {"names", test_names},
    {"cancel", test_cancel},
    {"deadline", test_deadline},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
