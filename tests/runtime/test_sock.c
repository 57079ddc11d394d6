/* tests/runtime/test_sock.c: half-close, addresses and socket options of a
 * connection, asserted exactly over loopback (IPv4 and IPv6): the peer
 * reads EOF after co_shutdown and can still answer, each side's peer is
 * the other's local address, option calls and their errors, and the
 * shutdown's wait in the trace. */
#include <stdint.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

static co_tcp *srv_side, *cli_side;

static void *acceptor(void *arg)
{
    ASSERT_OK(co_tcp_accept(arg, &srv_side));
    return NULL;
}

static void make_pair(const char *host)
{
    co_tcp *l;
    ASSERT_OK(co_tcp_listen(host, 0, &l));
    co_task *a = co_spawn(acceptor, l, "acceptor");
    ASSERT_OK(co_tcp_connect(host, co_tcp_port(l), &cli_side));
    ASSERT_OK(co_join(a, NULL));
    ASSERT_OK(co_close(l));
}

static void *shutdown_main(void *arg)
{
    (void)arg;
    make_pair("127.0.0.1");
    ASSERT_EQ(co_write(cli_side, "bye", 3), 3);
    ASSERT_OK(co_shutdown(cli_side));
    char buf[8] = {0};
    ASSERT_EQ(co_read_exact(srv_side, buf, 3), 3);
    ASSERT_STR_EQ(buf, "bye");
    ASSERT_EQ(co_read(srv_side, buf, sizeof buf), 0); /* EOF: half-closed */
    ASSERT_EQ(co_write(srv_side, "ok", 2), 2);        /* the other way works */
    memset(buf, 0, sizeof buf);
    ASSERT_EQ(co_read_exact(cli_side, buf, 2), 2);
    ASSERT_STR_EQ(buf, "ok");
    ASSERT_EQ(co_shutdown(NULL), CO_EINVAL);
    ASSERT_OK(co_close(cli_side));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}

static void test_shutdown(void)
{
    RUN_TASK(shutdown_main, NULL);
}

static void check_addrs(const char *host, const char *want)
{
    make_pair(host);
    char a[64], b[64];
    int pa = 0, pb = 0;
    ASSERT_OK(co_tcp_peer(srv_side, a, sizeof a, &pa));
    ASSERT_OK(co_tcp_local(cli_side, b, sizeof b, &pb));
    ASSERT_STR_EQ(a, want);
    ASSERT_STR_EQ(b, want);
    ASSERT_EQ(pa, pb);
    ASSERT_OK(co_tcp_local(srv_side, a, sizeof a, &pa));
    ASSERT_OK(co_tcp_peer(cli_side, b, sizeof b, &pb));
    ASSERT_STR_EQ(a, b);
    ASSERT_EQ(pa, pb);
    ASSERT_OK(co_tcp_peer(srv_side, NULL, 0, &pa)); /* the port alone */
    ASSERT_EQ(co_tcp_peer(srv_side, a, 2, &pa), CO_ENOSPC);
    ASSERT_EQ(co_tcp_peer(NULL, a, sizeof a, &pa), CO_EINVAL);
    ASSERT_OK(co_close(cli_side));
    ASSERT_OK(co_close(srv_side));
}

static void *addr_main(void *arg)
{
    (void)arg;
    check_addrs("127.0.0.1", "127.0.0.1");
    check_addrs("::1", "::1");
    return NULL;
}

static void test_addresses(void)
{
    RUN_TASK(addr_main, NULL);
}

static void *options_main(void *arg)
{
    (void)arg;
    make_pair("127.0.0.1");
    ASSERT_OK(co_tcp_nodelay(cli_side, 1));
    ASSERT_OK(co_tcp_nodelay(cli_side, 0));
    ASSERT_OK(co_tcp_keepalive(srv_side, 1, 30));
    ASSERT_OK(co_tcp_keepalive(srv_side, 0, 0));
    ASSERT_EQ(co_tcp_keepalive(srv_side, 1, 0), CO_EINVAL);
    ASSERT_EQ(co_tcp_nodelay(NULL, 1), CO_EINVAL);
    ASSERT_EQ(co_write(cli_side, "x", 1), 1); /* still a working connection */
    char c;
    ASSERT_EQ(co_read(srv_side, &c, 1), 1);
    ASSERT_OK(co_close(cli_side));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}

static void test_options(void)
{
    RUN_TASK(options_main, NULL);
}

static void *trace_main(void *arg)
{
    (void)arg;
    make_pair("127.0.0.1");
    ASSERT_OK(co_shutdown(cli_side));
    ASSERT_OK(co_close(cli_side));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}
static const int shutdown_line = __LINE__ - 5;

static void test_trace(void)
{
    const char *tb = RUN_TRACED(trace_main, NULL);
    const char *p = strstr(tb, "\"ev\":\"io_begin\",\"task\":1,\"op\":\"shutdown\",\"fd\":");
    ASSERT_NOT_NULL(p);
    char want[512];
    snprintf(want, sizeof want, "\"why\":\"io\",\"op\":\"shutdown\",\"fd\":");
    p = strstr(p, want);
    ASSERT_NOT_NULL(p);
    snprintf(want, sizeof want, ",\"at\":\"%s:%d\"", __FILE__, shutdown_line);
    const char *at = strstr(p, want);
    ASSERT(at != NULL && at < strchr(p, '\n'));
    ASSERT_NOT_NULL(strstr(p, "\"ev\":\"io_end\",\"task\":1,\"op\":\"shutdown\",\"res\":0}"));
}

static const test_case cases[] = {
    {"shutdown", test_shutdown},
    {"addresses", test_addresses},
    {"options", test_options},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
