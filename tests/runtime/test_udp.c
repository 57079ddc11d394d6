/* tests/runtime/test_udp.c: UDP for tasks over loopback, asserted exactly:
 * datagrams and their senders (IPv4 and IPv6), a datagram cut to the
 * buffer, one that comes before anybody receives, cancellation that takes
 * nothing, a send refused (cancelled, past its deadline) that sends
 * nothing, errors, and the trace of a receive. */
#include <stdint.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

static co_udp *a, *b;
static char rbuf[64], rfrom[64];
static ssize_t rlen;
static int rport;

static void *receiver(void *arg)
{
    (void)arg;
    rlen = co_udp_recv(b, rbuf, sizeof rbuf, rfrom, sizeof rfrom, &rport);
    return NULL;
}
static const int recv_line = __LINE__ - 3;

static void exchange(const char *host)
{
    ASSERT_OK(co_udp_bind(host, 0, &a));
    ASSERT_OK(co_udp_bind(host, 0, &b));
    int pa = co_udp_port(a), pb = co_udp_port(b);
    ASSERT_CMP(pa, >, 0);
    /* b waits first; a's datagram wakes it */
    memset(rbuf, 0, sizeof rbuf);
    co_task *t = co_spawn(receiver, NULL, "receiver");
    co_yield();
    ASSERT_EQ(co_udp_send(a, "ping", 4, host, pb), 4);
    ASSERT_OK(co_join(t, NULL));
    ASSERT_EQ(rlen, 4);
    ASSERT_STR_EQ(rbuf, "ping");
    ASSERT_STR_EQ(rfrom, host);
    ASSERT_EQ(rport, pa);
    /* sent before anybody receives: kept by the kernel for the next one */
    ASSERT_EQ(co_udp_send(b, "pong!", 5, host, pa), 5);
    char small[3];
    ASSERT_EQ(co_udp_recv(a, small, sizeof small, NULL, 0, NULL), 3); /* cut */
    ASSERT(memcmp(small, "pon", 3) == 0);
    ASSERT_OK(co_udp_close(a));
    ASSERT_OK(co_udp_close(b));
}

static void *udp_main(void *arg)
{
    (void)arg;
    exchange("127.0.0.1");
    exchange("::1");
    co_udp *u;
    ASSERT_EQ(co_udp_bind("not an ip", 0, &u), CO_EINVAL);
    ASSERT_OK(co_udp_bind("127.0.0.1", 0, &u));
    char c;
    ASSERT_EQ(co_udp_recv(u, &c, 0, NULL, 0, NULL), CO_EINVAL);
    ASSERT_EQ(co_udp_send(u, "x", 1, "bad", 9), CO_EINVAL);
    ASSERT_EQ(co_udp_close(NULL), CO_EINVAL);
    (void)u; /* left open: co_main closes and frees it */
    return NULL;
}

static void test_exchange(void)
{
    RUN_TASK(udp_main, NULL);
}

static void *cancel_main(void *arg)
{
    (void)arg;
    ASSERT_OK(co_udp_bind("127.0.0.1", 0, &b));
    co_task *t = co_spawn(receiver, NULL, "receiver");
    co_yield();
    ASSERT_OK(co_cancel(t));
    ASSERT_OK(co_join(t, NULL));
    ASSERT_EQ(rlen, CO_ECANCELED);
    /* nothing was taken: a datagram sent now is the next one received */
    ASSERT_OK(co_udp_bind("127.0.0.1", 0, &a));
    ASSERT_EQ(co_udp_send(a, "after", 5, "127.0.0.1", co_udp_port(b)), 5);
    char buf[8] = {0};
    ASSERT_EQ(co_udp_recv(b, buf, sizeof buf, NULL, 0, NULL), 5);
    ASSERT_STR_EQ(buf, "after");
    ASSERT_OK(co_deadline(2));
    ASSERT_EQ(co_udp_recv(b, buf, sizeof buf, NULL, 0, NULL), CO_ETIMEDOUT);
    ASSERT_OK(co_deadline(0));
    ASSERT_OK(co_udp_close(a));
    ASSERT_OK(co_udp_close(b));
    return NULL;
}

static void test_cancel(void)
{
    RUN_TASK(cancel_main, NULL);
}

/* A send refused before it starts sends nothing: the next datagram b
 * receives is the one sent after. */
static ssize_t refused_rc[2];

static void *refused_sender(void *arg)
{
    int port = co_udp_port(b);
    if (arg) {
        ASSERT_OK(co_deadline(1));
        ASSERT_EQ(co_sleep(1000), CO_ETIMEDOUT);
        refused_rc[1] = co_udp_send(a, "late", 4, "127.0.0.1", port);
        ASSERT_OK(co_deadline(0));
    } else {
        ASSERT_OK(co_cancel(co_self()));
        refused_rc[0] = co_udp_send(a, "gone", 4, "127.0.0.1", port);
    }
    return NULL;
}

static void *send_refused_main(void *arg)
{
    (void)arg;
    ASSERT_OK(co_udp_bind("127.0.0.1", 0, &a));
    ASSERT_OK(co_udp_bind("127.0.0.1", 0, &b));
    refused_rc[0] = refused_rc[1] = 1;
    ASSERT_OK(co_join(co_spawn(refused_sender, NULL, "cancelled"), NULL));
    ASSERT_OK(co_join(co_spawn(refused_sender, (void *)1, "late"), NULL));
    ASSERT_EQ(refused_rc[0], CO_ECANCELED);
    ASSERT_EQ(refused_rc[1], CO_ETIMEDOUT);
    ASSERT_EQ(co_udp_send(a, "after", 5, "127.0.0.1", co_udp_port(b)), 5);
    char buf[8] = {0};
    ASSERT_EQ(co_udp_recv(b, buf, sizeof buf, NULL, 0, NULL), 5);
    ASSERT_STR_EQ(buf, "after");
    ASSERT_OK(co_udp_close(a));
    ASSERT_OK(co_udp_close(b));
    return NULL;
}

static void test_send_refused(void)
{
    RUN_TASK(send_refused_main, NULL);
}

static void test_trace(void)
{
    const char *tb = RUN_TRACED_V1(cancel_main, NULL); /* checks v1's lines */
    const char *p = strstr(tb, "\"ev\":\"io_begin\",\"task\":2,\"op\":\"udp_recv\",\"fd\":");
    ASSERT_NOT_NULL(p);
    char want[512];
    snprintf(want, sizeof want,
             "\"ev\":\"yield\",\"task\":2,\"why\":\"io\",\"op\":\"udp_recv\",\"fd\":");
    p = strstr(p, want);
    ASSERT_NOT_NULL(p);
    snprintf(want, sizeof want, ",\"at\":\"%s:%d\"", __FILE__, recv_line);
    const char *at = strstr(p, want);
    ASSERT(at != NULL && at < strchr(p, '\n'));
    ASSERT_NOT_NULL(strstr(p, "\"ev\":\"io_end\",\"task\":2,\"op\":\"udp_recv\",\"err\":\"ECANCELED\"}"));
    ASSERT_NOT_NULL(strstr(p, "\"ev\":\"io\",\"task\":1,\"op\":\"udp_send\",\"fd\":"));
    ASSERT_NOT_NULL(strstr(p, "\"ev\":\"io_end\",\"task\":1,\"op\":\"udp_recv\",\"res\":5}"));
}

static const test_case cases[] = {
    {"exchange", test_exchange},
    {"cancel", test_cancel},
    {"send_refused", test_send_refused},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
