/* tests/runtime/test_sock.c: half-close, addresses and socket options of a
 * connection, asserted exactly over loopback (IPv4 and IPv6): the peer
 * reads EOF after co_shutdown and can still answer, each side's peer is
 * the other's local address, option calls and their errors (the options
 * read back with getsockopt on co_tcp_fd), the errors of a socket being
 * closed or reset, and the shutdown's wait in the trace. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <sys/socket.h>
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

/* The option as the kernel has it on s's descriptor. */
static int sockopt(co_tcp *s, int level, int name)
{
    int fd = co_tcp_fd(s);
    ASSERT_CMP(fd, >=, 0);
    int v = -1;
    socklen_t n = sizeof v;
    ASSERT_OK(getsockopt(fd, level, name, &v, &n));
    ASSERT_EQ(n, sizeof v);
    return v;
}

static void *options_main(void *arg)
{
    (void)arg;
    make_pair("127.0.0.1");
    ASSERT(co_tcp_fd(cli_side) != co_tcp_fd(srv_side));
    ASSERT_EQ(sockopt(cli_side, IPPROTO_TCP, TCP_NODELAY), 0); /* libuv's default */
    ASSERT_OK(co_tcp_nodelay(cli_side, 1));
    ASSERT_EQ(sockopt(cli_side, IPPROTO_TCP, TCP_NODELAY), 1);
    ASSERT_EQ(sockopt(srv_side, IPPROTO_TCP, TCP_NODELAY), 0); /* that socket only */
    ASSERT_OK(co_tcp_nodelay(cli_side, 0));
    ASSERT_EQ(sockopt(cli_side, IPPROTO_TCP, TCP_NODELAY), 0);
    ASSERT_OK(co_tcp_nodelay(cli_side, 7)); /* any non-zero is on */
    ASSERT_EQ(sockopt(cli_side, IPPROTO_TCP, TCP_NODELAY), 1);
    ASSERT_EQ(sockopt(srv_side, SOL_SOCKET, SO_KEEPALIVE), 0);
    ASSERT_OK(co_tcp_keepalive(srv_side, 1, 30));
    ASSERT_EQ(sockopt(srv_side, SOL_SOCKET, SO_KEEPALIVE), 1);
    ASSERT_EQ(sockopt(srv_side, IPPROTO_TCP, TCP_KEEPIDLE), 30);
    ASSERT_OK(co_tcp_keepalive(srv_side, 1, 45)); /* a new delay replaces it */
    ASSERT_EQ(sockopt(srv_side, IPPROTO_TCP, TCP_KEEPIDLE), 45);
    ASSERT_EQ(sockopt(cli_side, SOL_SOCKET, SO_KEEPALIVE), 0);
    ASSERT_OK(co_tcp_keepalive(srv_side, 0, 0));
    ASSERT_EQ(sockopt(srv_side, SOL_SOCKET, SO_KEEPALIVE), 0);
    ASSERT_EQ(co_tcp_keepalive(srv_side, 1, 0), CO_EINVAL);
    ASSERT_EQ(sockopt(srv_side, SOL_SOCKET, SO_KEEPALIVE), 0); /* refused: unchanged */
    ASSERT_EQ(co_tcp_fd(NULL), CO_EINVAL);
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

/* ---- a socket being closed, a connection reset ---- */

static co_tcp *closing;
static int observed;

/* Runs while the main task is parked in co_close(closing), before libuv's
 * close callback: every call on the half-gone socket says CO_EBADF. */
static void *observer(void *arg)
{
    (void)arg;
    char h[64] = "untouched";
    int port = -1;
    ASSERT_EQ(co_tcp_peer(closing, h, sizeof h, &port), CO_EBADF);
    ASSERT_EQ(co_tcp_local(closing, h, sizeof h, &port), CO_EBADF);
    ASSERT_EQ(co_tcp_peer(closing, NULL, 0, &port), CO_EBADF);
    ASSERT_STR_EQ(h, "untouched");
    ASSERT_EQ(port, -1);
    ASSERT_EQ(co_tcp_fd(closing), CO_EBADF);
    ASSERT_EQ(co_tcp_nodelay(closing, 1), CO_EBADF);
    ASSERT_EQ(co_tcp_keepalive(closing, 1, 30), CO_EBADF);
    ASSERT_EQ(co_shutdown(closing), CO_EBADF);
    observed++;
    return NULL;
}

static void *closing_main(void *arg)
{
    (void)arg;
    make_pair("127.0.0.1");
    closing = cli_side;
    observed = 0;
    co_task *o = co_spawn(observer, NULL, "observer");
    ASSERT_OK(co_close(cli_side)); /* the observer runs while this waits */
    ASSERT_EQ(observed, 1);
    ASSERT_OK(co_join(o, NULL));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}

static void test_closing(void)
{
    RUN_TASK(closing_main, NULL);
}

/* The peer resets the connection (SO_LINGER 0, then close): the socket is
 * still ours, but it has no peer any more. */
static void *reset_main(void *arg)
{
    (void)arg;
    make_pair("127.0.0.1");
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    ASSERT_OK(setsockopt(co_tcp_fd(cli_side), SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    ASSERT_OK(co_close(cli_side)); /* sends RST, not FIN */
    char buf[8];
    ASSERT_EQ(co_read(srv_side, buf, sizeof buf), CO_ECONNRESET);
    char h[64] = "untouched";
    int port = -1;
    ASSERT_EQ(co_tcp_peer(srv_side, h, sizeof h, &port), CO_ENOTCONN);
    ASSERT_EQ(co_tcp_peer(srv_side, NULL, 0, &port), CO_ENOTCONN);
    ASSERT_STR_EQ(h, "untouched");
    ASSERT_EQ(port, -1);
    ASSERT_OK(co_close(srv_side));
    return NULL;
}

static void test_reset(void)
{
    RUN_TASK(reset_main, NULL);
}

static int traced_fd;

static void *trace_main(void *arg)
{
    (void)arg;
    make_pair("127.0.0.1");
    traced_fd = co_tcp_fd(cli_side);
    ASSERT_OK(co_shutdown(cli_side));
    ASSERT_OK(co_close(cli_side));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}
static const int shutdown_line = __LINE__ - 5;

static void test_trace(void)
{
    const char *tb = RUN_TRACED_V1(trace_main, NULL); /* checks v1's lines */
    char want[512];
    ASSERT_CMP(traced_fd, >=, 0);
    /* co_tcp_fd is the descriptor the trace names */
    snprintf(want, sizeof want, "\"ev\":\"io_begin\",\"task\":1,\"op\":\"shutdown\",\"fd\":%d}",
             traced_fd);
    const char *p = strstr(tb, want);
    ASSERT_NOT_NULL(p);
    snprintf(want, sizeof want, "\"why\":\"io\",\"op\":\"shutdown\",\"fd\":");
    p = strstr(p, want);
    ASSERT_NOT_NULL(p);
    snprintf(want, sizeof want, ",\"at\":\"%s:%d\"", __FILE__, shutdown_line);
    const char *at = strstr(p, want);
    ASSERT(at != NULL && at < strchr(p, '\n'));
    ASSERT_NOT_NULL(strstr(p, "\"ev\":\"io_end\",\"task\":1,\"op\":\"shutdown\",\"res\":0}"));
}

/* ---- a shutdown that has to wait ----
 * The peer never reads and both buffers are small, so a 4 MiB write cannot
 * finish; a shutdown queued behind it waits for it (uv_shutdown waits for
 * the write queue) until the test drains the peer. Nothing here depends on
 * timing: only the drain can end either wait. */

#define FILL (4 << 20)
static char fill_out[FILL], fill_in[FILL];
static int filled, shut_done, shut_rc;

static void *filler(void *arg)
{
    (void)arg;
    ASSERT_EQ(co_write(cli_side, fill_out, FILL), FILL);
    filled++;
    return NULL;
}

static void *shutter(void *arg)
{
    if (arg)
        ASSERT_OK(co_deadline(1));
    shut_rc = co_shutdown(cli_side);
    shut_done++;
    return NULL;
}
static const int shutter_line = __LINE__ - 4;

static void *blocked_main(void *arg)
{
    make_pair("127.0.0.1");
    int small = 65536; /* locks both buffers (no autotuning): far below FILL */
    ASSERT_OK(setsockopt(co_tcp_fd(cli_side), SOL_SOCKET, SO_SNDBUF, &small, sizeof small));
    ASSERT_OK(setsockopt(co_tcp_fd(srv_side), SOL_SOCKET, SO_RCVBUF, &small, sizeof small));
    for (size_t i = 0; i < FILL; i++)
        fill_out[i] = (char)(i * 7 + 1);
    filled = shut_done = 0;
    shut_rc = 1;
    co_task *f = co_spawn(filler, NULL, "filler");
    co_task *sh = co_spawn(shutter, arg, "shutter");
    co_yield(); /* both run and park: the write is stuck, the shutdown behind it */
    ASSERT_EQ(filled, 0);
    ASSERT_EQ(shut_done, 0);
    if (!arg)
        ASSERT_OK(co_cancel(sh));
    /* The deadline (1 ms) is due before this sleep ends; a cancel is
     * recorded at once. Either way the shutdown cannot be withdrawn. */
    ASSERT_OK(co_sleep(20));
    ASSERT_EQ(shut_done, 0);
    ASSERT_EQ(filled, 0);
    ASSERT_EQ(co_read_exact(srv_side, fill_in, FILL), FILL); /* the drain */
    ASSERT(memcmp(fill_in, fill_out, FILL) == 0);
    ASSERT_OK(co_join(f, NULL));
    ASSERT_OK(co_join(sh, NULL));
    ASSERT_EQ(filled, 1);
    ASSERT_EQ(shut_done, 1);
    ASSERT_EQ(shut_rc, (arg ? CO_ETIMEDOUT : CO_ECANCELED));
    char c;
    ASSERT_EQ(co_read(srv_side, &c, 1), 0); /* the half-close did happen */
    ASSERT_OK(co_close(cli_side));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}

/* The shutter's (task 4's) lines in the trace: io_begin, yield at the
 * call, then nothing of it until the shutdown's io_end, then ready with
 * the refusal's reason (by the loop), then run. */
static void check_blocked_trace(const char *path, const char *why)
{
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    static char tb[1 << 20];
    size_t n = fread(tb, 1, sizeof tb - 1, f);
    fclose(f);
    tb[n] = '\0';
    char want[512];
    const char *p = strstr(tb, "\"ev\":\"io_begin\",\"task\":4,\"op\":\"shutdown\",\"fd\":");
    ASSERT_NOT_NULL(p);
    p = strstr(p, "\"ev\":\"yield\",\"task\":4,\"why\":\"io\",\"op\":\"shutdown\",\"fd\":");
    ASSERT_NOT_NULL(p);
    snprintf(want, sizeof want, ",\"at\":\"%s:%d\"", __FILE__, shutter_line);
    const char *at = strstr(p, want);
    ASSERT(at != NULL && at < strchr(p, '\n'));
    const char *end = strstr(p, "\"ev\":\"io_end\",\"task\":4,\"op\":\"shutdown\",\"res\":0}");
    ASSERT_NOT_NULL(end);
    const char *early = strstr(p, "\"ev\":\"ready\",\"task\":4,");
    ASSERT(early != NULL && early > end); /* not woken by the cancel or deadline */
    snprintf(want, sizeof want, "\"ev\":\"ready\",\"task\":4,\"by\":0,\"why\":\"%s\"}", why);
    ASSERT(strstr(end, want) == early);
    ASSERT_NOT_NULL(strstr(early, "\"ev\":\"run\",\"task\":4"));
    /* one wait only: the refusal did not end it and start another */
    ASSERT_NULL(strstr(p + 1, "\"ev\":\"yield\",\"task\":4,"));
    unlink(path);
}

static void run_blocked(void *arg, const char *why)
{
    char path[] = "/tmp/coscope-sock-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    setenv("COSCOPE_TRACE_FORMAT", "1", 1); /* checks v1's lines */
    ASSERT_OK(co_trace_start(path));
    unsetenv("COSCOPE_TRACE_FORMAT");
    RUN_TASK(blocked_main, arg);
    ASSERT_OK(co_trace_stop());
    check_blocked_trace(path, why);
}

static void test_shutdown_cancel(void)
{
    run_blocked(NULL, "cancel");
}

static void test_shutdown_deadline(void)
{
    run_blocked((void *)1, "timeout");
}

static const test_case cases[] = {
    {"shutdown", test_shutdown},
    {"addresses", test_addresses},
    {"options", test_options},
    {"trace", test_trace},
    {"closing", test_closing},
    {"reset", test_reset},
    {"shutdown_cancel", test_shutdown_cancel},
    {"shutdown_deadline", test_shutdown_deadline},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
