/* tests/runtime/test_dns.c: host names and IPv6 for co_tcp_listen /
 * co_tcp_connect, asserted exactly: bytes across a connection made by name
 * and one over ::1, the `dns` wait in the trace at the caller's place, a
 * name that cannot exist, and cancellation of a lookup. "localhost" comes
 * from /etc/hosts, so no network is needed. */
#include <stdint.h>
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

static void *trace_main(void *arg)
{
    (void)arg;
    co_tcp *l;
    ASSERT_OK(co_tcp_listen("localhost", 0, &l));
    ASSERT_OK(co_close(l));
    return NULL;
}
static const int listen_line = __LINE__ - 4;

static void test_trace(void)
{
    const char *tb = RUN_TRACED(trace_main, NULL);
    char want[3][512];
    snprintf(want[0], sizeof want[0], "\"ev\":\"io_begin\",\"task\":1,\"op\":\"dns\"}");
    snprintf(want[1], sizeof want[1],
             "\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"dns\",\"at\":\"%s:%d\"",
             __FILE__, listen_line);
    snprintf(want[2], sizeof want[2], "\"ev\":\"io_end\",\"task\":1,\"op\":\"dns\",\"res\":");
    const char *p = tb;
    for (int i = 0; i < 3; i++) {
        const char *q = strstr(p, want[i]);
        if (!q)
            fprintf(stderr, "missing: %s\n", want[i]);
        ASSERT_NOT_NULL(q);
        p = q + 1;
    }
    ASSERT_CMP(atoi(strstr(p, "\"res\":") + 6), >=, 1);
    ASSERT_NOT_NULL(strstr(p, "\"op\":\"listen\""));
}

static const test_case cases[] = {
    {"names", test_names},
    {"cancel", test_cancel},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
