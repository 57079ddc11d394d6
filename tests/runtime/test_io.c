/* tests/runtime/test_io.c: TCP and files for tasks. Every case runs a whole
 * co_main through RUN_TASK (rt_run.h): co_main returned 0 (every task ended,
 * the loop closed clean) and the main task reached its end. Byte streams are
 * checked byte by byte against a pattern, and again with a checksum, with
 * exact totals. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "coscope/co.h"
#include "rt_run.h" /* and test.h */

/* ---- a deterministic byte stream: a random tape read at an offset ---- */

#define TAPE 65521 /* prime, so streams of different clients differ */
static unsigned char tape[TAPE];

static void tape_init(void)
{
    uint32_t x = 2463534242u;
    for (int i = 0; i < TAPE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        tape[i] = (unsigned char)x;
    }
}

static size_t tape_pos(int stream_id, uint64_t pos)
{
    return (size_t)((pos + (uint64_t)stream_id * 7919u) % TAPE);
}

/* Fletcher-style sum, order-sensitive. */
typedef struct sum {
    uint64_t a, b;
} sum;

static void sum_add(sum *s, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s->a = (s->a + p[i]) % 65521;
        s->b = (s->b + s->a) % 65521;
    }
}

static void *p_of(intptr_t v)
{
    return (void *)v;
}

/* ---- echo: 100 clients, one server task per connection ---- */

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* 1 MiB per client (100 MiB in all); under valgrind, which runs this ~10x
 * slower, 128 KiB per client keeps the case short. */
#define NCLIENTS 100
#define ECHO_BYTES (RUNNING_ON_VALGRIND ? 128 * 1024 : 1024 * 1024)

static int echo_port;
static uint64_t echoed_total; /* bytes the server tasks wrote back */
static int echo_conns;

static void *echo_conn(void *arg)
{
    co_tcp *c = arg;
    char buf[16384];
    for (;;) {
        ssize_t n = co_read(c, buf, sizeof buf);
        ASSERT_CMP(n, >=, 0);
        if (n == 0)
            break;
        ASSERT_EQ(co_write(c, buf, (size_t)n), n);
        echoed_total += (uint64_t)n;
    }
    ASSERT_OK(co_close(c));
    return NULL;
}

static void *echo_server(void *arg)
{
    co_tcp *srv = arg;
    co_task *conns[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        co_tcp *c = NULL;
        ASSERT_OK(co_tcp_accept(srv, &c));
        ASSERT_NOT_NULL(c);
        conns[i] = co_spawn(echo_conn, c, "echo");
        ASSERT_NOT_NULL(conns[i]);
        echo_conns++;
    }
    for (int i = 0; i < NCLIENTS; i++)
        ASSERT_OK(co_join(conns[i], NULL));
    ASSERT_OK(co_close(srv));
    return NULL;
}

typedef struct client {
    int id;
    co_tcp *c;
    sum sent;
    uint64_t nsent;
} client;

/* Writes the client's stream in chunks of varying size, straight from the
 * tape (static memory, so big chunks need no stack). */
static void *client_writer(void *arg)
{
    client *cl = arg;
    uint32_t x = 12345u + (uint32_t)cl->id;
    uint64_t pos = 0;
    while (pos < ECHO_BYTES) {
        x = x * 1103515245u + 12345u;
        size_t at = tape_pos(cl->id, pos);
        size_t n = 1 + (x >> 8) % 40000;
        if (n > TAPE - at)
            n = TAPE - at;
        if (n > (uint64_t)ECHO_BYTES - pos)
            n = (size_t)((uint64_t)ECHO_BYTES - pos);
        ASSERT_EQ(co_write(cl->c, tape + at, n), n);
        sum_add(&cl->sent, tape + at, n);
        pos += n;
    }
    cl->nsent = pos;
    return NULL;
}

static void *echo_client(void *arg)
{
    client *cl = arg;
    ASSERT_OK(co_tcp_connect("127.0.0.1", echo_port, &cl->c));
    co_task *w = co_spawn(client_writer, cl, "writer");
    ASSERT_NOT_NULL(w);
    unsigned char buf[8192];
    uint64_t got = 0;
    sum recv_sum = {0, 0};
    while (got < ECHO_BYTES) {
        ssize_t n = co_read(cl->c, buf, sizeof buf);
        ASSERT_CMP(n, >, 0);
        ASSERT_CMP(got + (uint64_t)n, <=, (uint64_t)ECHO_BYTES);
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != tape[tape_pos(cl->id, got + (uint64_t)i)])
                TEST__FAIL("client %d: byte %llu is %u, expected %u", cl->id,
                           (unsigned long long)(got + (uint64_t)i), buf[i],
                           tape[tape_pos(cl->id, got + (uint64_t)i)]);
        sum_add(&recv_sum, buf, (size_t)n);
        got += (uint64_t)n;
    }
    ASSERT_OK(co_join(w, NULL));
    ASSERT_EQ(cl->nsent, ECHO_BYTES);
    ASSERT_EQ(recv_sum.a, cl->sent.a);
    ASSERT_EQ(recv_sum.b, cl->sent.b);
    ASSERT_OK(co_close(cl->c));
    return NULL;
}

static void *echo_main(void *arg)
{
    (void)arg;
    co_tcp *srv = NULL;
    ASSERT_OK(co_tcp_listen("127.0.0.1", 0, &srv));
    echo_port = co_tcp_port(srv);
    ASSERT_CMP(echo_port, >, 0);
    co_task *s = co_spawn(echo_server, srv, "server");
    static client cls[NCLIENTS];
    co_task *ts[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        cls[i] = (client){.id = i};
        ts[i] = co_spawn(echo_client, &cls[i], "client");
        ASSERT_NOT_NULL(ts[i]);
    }
    for (int i = 0; i < NCLIENTS; i++)
        ASSERT_OK(co_join(ts[i], NULL));
    ASSERT_OK(co_join(s, NULL));
    return NULL;
}

static void test_echo(void)
{
    tape_init();
    RUN_TASK(echo_main, NULL);
    ASSERT_EQ(echo_conns, NCLIENTS);
    ASSERT_EQ(echoed_total, (uint64_t)NCLIENTS * ECHO_BYTES);
}

/* ---- connection refused, listen errors, ports ---- */

static void *refused_main(void *arg)
{
    (void)arg;
    co_tcp *srv = NULL, *c = (co_tcp *)1;
    ASSERT_OK(co_tcp_listen("127.0.0.1", 0, &srv));
    int port = co_tcp_port(srv);
    ASSERT_OK(co_close(srv)); /* nobody listens there now */
    ASSERT_EQ(co_tcp_connect("127.0.0.1", port, &c), CO_ECONNREFUSED);
    ASSERT(c == (co_tcp *)1); /* untouched on error */
    ASSERT_EQ(co_tcp_connect("localhost", port, &c), CO_ECONNREFUSED);
    /* a name that cannot exist (RFC 6761), through getaddrinfo */
    ASSERT_EQ(co_tcp_connect("no.such.host.invalid", port, &c), CO_EAI_NONAME);
    ASSERT_EQ(co_tcp_connect("127.0.0.1", 0, &c), CO_EINVAL);
    ASSERT_EQ(co_tcp_connect("127.0.0.1", 70000, &c), CO_EINVAL);
    return NULL;
}

static void test_refused(void)
{
    RUN_TASK(refused_main, NULL);
}

static void *port_main(void *arg)
{
    (void)arg;
    co_tcp *a = NULL, *b = NULL, *v6 = NULL;
    ASSERT_OK(co_tcp_listen("localhost", 0, &a));
    int port = co_tcp_port(a);
    ASSERT_CMP(port, >, 0);
    ASSERT_CMP(port, <=, 65535);
    ASSERT_EQ(co_tcp_listen("127.0.0.1", port, &b), CO_EADDRINUSE);
    ASSERT_NULL(b);
    ASSERT_EQ(co_tcp_listen("300.1.2.3", 0, &b), CO_EAI_NONAME); /* not an IP: a name */
    ASSERT_EQ(co_tcp_listen(NULL, 0, &b), CO_EINVAL);
    ASSERT_EQ(co_tcp_listen("127.0.0.1", -1, &b), CO_EINVAL);
    ASSERT_EQ(co_tcp_port(NULL), CO_EINVAL);
    ASSERT_OK(co_close(a));
    ASSERT_EQ(co_close(NULL), CO_EINVAL);

    /* IPv6 loopback, when the machine has it: connect and move bytes. */
    int r = co_tcp_listen("::1", 0, &v6);
    if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT) {
        fprintf(stderr, "note: no IPv6 loopback here (%s), skipped\n",
                co_strerror(r));
        return NULL;
    }
    ASSERT_OK(r);
    int p6 = co_tcp_port(v6);
    ASSERT_CMP(p6, >, 0);
    co_tcp *c = NULL, *s = NULL;
    ASSERT_OK(co_tcp_connect("::1", p6, &c));
    ASSERT_OK(co_tcp_accept(v6, &s));
    ASSERT_EQ(co_write(c, "six", 3), 3);
    char buf[8];
    ASSERT_EQ(co_read(s, buf, sizeof buf), 3);
    ASSERT(memcmp(buf, "six", 3) == 0);
    ASSERT_OK(co_close(c));
    ASSERT_OK(co_close(s));
    ASSERT_OK(co_close(v6));
    return NULL;
}

static void test_port(void)
{
    RUN_TASK(port_main, NULL);
}

/* ---- a pair of connected sockets for the small cases ---- */

typedef struct pair {
    co_tcp *srv, *client, *server_side;
} pair;

static void pair_open(pair *p)
{
    ASSERT_OK(co_tcp_listen("127.0.0.1", 0, &p->srv));
    ASSERT_OK(co_tcp_connect("127.0.0.1", co_tcp_port(p->srv), &p->client));
    ASSERT_OK(co_tcp_accept(p->srv, &p->server_side));
}

static void pair_close(pair *p)
{
    if (p->client)
        ASSERT_OK(co_close(p->client));
    if (p->server_side)
        ASSERT_OK(co_close(p->server_side));
    ASSERT_OK(co_close(p->srv));
}

static void *eof_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p);
    ASSERT_EQ(co_write(p.client, "bye", 3), 3);
    ASSERT_OK(co_close(p.client));
    p.client = NULL;
    char buf[16];
    ASSERT_EQ(co_read(p.server_side, buf, sizeof buf), 3);
    ASSERT(memcmp(buf, "bye", 3) == 0);
    ASSERT_EQ(co_read(p.server_side, buf, sizeof buf), 0);
    ASSERT_EQ(co_read(p.server_side, buf, sizeof buf), 0); /* stays at EOF */
    ASSERT_EQ(co_read(p.server_side, buf, 0), CO_EINVAL);
    pair_close(&p);
    return NULL;
}

static void test_eof(void)
{
    RUN_TASK(eof_main, NULL);
}

/* EOF while parked: the read is in flight when the peer closes. */
static void *parked_eof_reader(void *arg)
{
    char buf[16];
    return p_of(co_read((co_tcp *)arg, buf, sizeof buf));
}

static void *eof_parked_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p);
    co_task *r = co_spawn(parked_eof_reader, p.server_side, "reader");
    ASSERT_OK(co_sleep(5)); /* the reader parks */
    ASSERT_OK(co_close(p.client));
    p.client = NULL;
    void *res = p_of(-1);
    ASSERT_OK(co_join(r, &res));
    ASSERT_EQ((intptr_t)res, 0);
    pair_close(&p);
    return NULL;
}

static void test_eof_parked(void)
{
    RUN_TASK(eof_parked_main, NULL);
}

/* Writing to a peer that has gone returns an error; no SIGPIPE kills us. */
static void *write_gone_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p);
    ASSERT_OK(co_close(p.client));
    p.client = NULL;
    ssize_t r = 0;
    for (int i = 0; i < 200 && r >= 0; i++) {
        r = co_write(p.server_side, "x", 1);
        if (r >= 0)
            ASSERT_OK(co_sleep(1)); /* let the peer's RST arrive */
    }
    ASSERT(r == CO_EPIPE || r == CO_ECONNRESET);
    pair_close(&p);
    return NULL;
}

static void test_write_gone(void)
{
    RUN_TASK(write_gone_main, NULL);
}

/* ---- cancellation and deadlines ---- */

static intptr_t blocked_rc;

static void *blocked_reader(void *arg)
{
    char buf[16];
    blocked_rc = co_read((co_tcp *)arg, buf, sizeof buf);
    /* Every later blocking call fails too: the task is cancelled. */
    ASSERT_EQ(co_read((co_tcp *)arg, buf, sizeof buf), CO_ECANCELED);
    return NULL;
}

static void *cancel_read_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p);
    blocked_rc = 1;
    co_task *r = co_spawn(blocked_reader, p.client, "reader");
    ASSERT_OK(co_sleep(10));
    ASSERT_EQ(blocked_rc, 1); /* still parked */
    ASSERT_OK(co_cancel(r));
    ASSERT_OK(co_join(r, NULL));
    ASSERT_EQ(blocked_rc, CO_ECANCELED);
    /* The connection is still good after a cancelled read. */
    ASSERT_EQ(co_write(p.server_side, "x", 1), 1);
    char c = 0;
    ASSERT_EQ(co_read(p.client, &c, 1), 1);
    ASSERT_EQ(c, 'x');
    pair_close(&p);
    return NULL;
}

static void test_cancel_read(void)
{
    RUN_TASK(cancel_read_main, NULL);
}

static void *deadline_reader(void *arg)
{
    char buf[16];
    ASSERT_OK(co_deadline(20));
    intptr_t rc = co_read((co_tcp *)arg, buf, sizeof buf);
    ASSERT_OK(co_deadline(0));
    return p_of(rc);
}

static void *deadline_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p);
    co_task *r = co_spawn(deadline_reader, p.client, "reader");
    void *res = NULL;
    ASSERT_OK(co_join(r, &res));
    ASSERT_EQ((intptr_t)res, CO_ETIMEDOUT);
    pair_close(&p);
    return NULL;
}

static void test_deadline_read(void)
{
    RUN_TASK(deadline_main, NULL);
}

/* A write the peer never drains parks; cancelling it closes the stream. */
static intptr_t write_rc;
static unsigned char *big;
#define BIG (64 * 1024 * 1024)

static void *blocked_writer(void *arg)
{
    write_rc = co_write((co_tcp *)arg, big, BIG);
    return NULL;
}

static void *cancel_write_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p);
    big = calloc(1, BIG);
    ASSERT_NOT_NULL(big);
    write_rc = 1;
    co_task *w = co_spawn(blocked_writer, p.client, "writer");
    ASSERT_OK(co_sleep(20));
    ASSERT_EQ(write_rc, 1); /* still parked: the peer reads nothing */
    ASSERT_OK(co_cancel(w));
    ASSERT_OK(co_join(w, NULL));
    ASSERT_EQ(write_rc, CO_ECANCELED);
    ASSERT_EQ(co_write(p.client, "x", 1), CO_EBADF); /* closed by the cancel */
    free(big);
    /* The peer drains what got through, then sees the stream end. */
    char buf[8192]; /* tasks have 64 KiB stacks */
    ssize_t n;
    uint64_t total = 0;
    while ((n = co_read(p.server_side, buf, sizeof buf)) > 0)
        total += (uint64_t)n;
    ASSERT(n == 0 || n == CO_ECONNRESET);
    ASSERT_CMP(total, <, BIG);
    pair_close(&p);
    return NULL;
}

static void test_cancel_write(void)
{
    RUN_TASK(cancel_write_main, NULL);
}

static void *blocked_acceptor(void *arg)
{
    co_tcp *c = NULL;
    return p_of(co_tcp_accept((co_tcp *)arg, &c));
}

static void *cancel_accept_main(void *arg)
{
    (void)arg;
    co_tcp *srv = NULL;
    ASSERT_OK(co_tcp_listen("127.0.0.1", 0, &srv));
    co_task *a = co_spawn(blocked_acceptor, srv, "acceptor");
    ASSERT_OK(co_sleep(5));
    ASSERT_OK(co_cancel(a));
    ASSERT_OK(co_join(a, NULL)); /* a cancelled task's result is NULL */
    /* The server still accepts; a deadline ends a wait on it too. */
    co_tcp *c = NULL, *s = NULL;
    ASSERT_OK(co_tcp_connect("127.0.0.1", co_tcp_port(srv), &c));
    ASSERT_OK(co_tcp_accept(srv, &s));
    ASSERT_OK(co_deadline(10));
    ASSERT_EQ(co_tcp_accept(srv, &s), CO_ETIMEDOUT);
    ASSERT_OK(co_deadline(0));
    ASSERT_OK(co_close(c));
    ASSERT_OK(co_close(s));
    /* Closing a server wakes its acceptors with CO_ECANCELED. */
    co_task *b = co_spawn(blocked_acceptor, srv, "acceptor");
    ASSERT_OK(co_sleep(5));
    ASSERT_OK(co_close(srv));
    void *res = NULL;
    ASSERT_OK(co_join(b, &res));
    ASSERT_EQ((intptr_t)res, CO_ECANCELED);
    return NULL;
}

static void test_cancel_accept(void)
{
    RUN_TASK(cancel_accept_main, NULL);
}

/* Another task closing the socket ends a parked read. */
static void *close_wakes_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p);
    co_task *r = co_spawn(parked_eof_reader, p.client, "reader");
    ASSERT_OK(co_sleep(5));
    ASSERT_OK(co_close(p.client));
    p.client = NULL;
    void *res = NULL;
    ASSERT_OK(co_join(r, &res));
    ASSERT_EQ((intptr_t)res, CO_ECANCELED);
    pair_close(&p);
    return NULL;
}

static void test_close_wakes(void)
{
    RUN_TASK(close_wakes_main, NULL);
}

/* ---- reading between reads ----
 * epoll_ctl is interposed here (libuv calls it through the dynamic linker,
 * so this definition is the one it gets): the calls, and those that failed. */
static int ctl_calls, ctl_failed;

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    ctl_calls++;
    long rc = syscall(SYS_epoll_ctl, epfd, op, fd, ev);
    ctl_failed += rc != 0;
    return (int)rc;
}

#define ROUNDS 100

static void *responder(void *arg)
{
    co_tcp *s = arg;
    char buf[64];
    for (int i = 0; i < ROUNDS; i++) {
        ASSERT_EQ(co_read(s, buf, sizeof buf), 4);
        ASSERT(memcmp(buf, "ping", 4) == 0);
        ASSERT_EQ(co_write(s, "pong", 4), 4);
    }
    /* nobody reads now: what the peer sends meanwhile waits in the kernel */
    ASSERT_OK(co_sleep(20));
    ASSERT_EQ(co_read(s, buf, sizeof buf), 4);
    ASSERT(memcmp(buf, "late", 4) == 0);
    ASSERT_OK(co_sleep(20)); /* the peer closes meanwhile */
    ASSERT_EQ(co_read(s, buf, sizeof buf), 0);
    return p_of(ROUNDS);
}

static void *late_writer(void *arg)
{
    ASSERT_OK(co_sleep(5));
    ASSERT_EQ(co_write((co_tcp *)arg, "x", 1), 1);
    return NULL;
}

/* Request-response in one process: each read parks (the peer has not sent
 * yet), and libuv keeps reading a socket after a delivery, so the parked
 * reads after the first cost no epoll_ctl (two each before, the first
 * failing with EEXIST: 200 calls here). Bytes that arrive while nobody
 * reads (the socket still watched), and then EOF, reach the next reads
 * whole; an idle watched socket does not keep co_main from returning. */
static void *read_watch_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p);
    co_task *r = co_spawn(responder, p.server_side, "responder");
    ASSERT_OK(co_sleep(5)); /* the responder parks in its first read */
    int calls0 = ctl_calls, failed0 = ctl_failed;
    char buf[64];
    for (int i = 0; i < ROUNDS; i++) {
        ASSERT_EQ(co_write(p.client, "ping", 4), 4);
        ASSERT_EQ(co_read(p.client, buf, sizeof buf), 4);
        ASSERT(memcmp(buf, "pong", 4) == 0);
    }
    int calls = ctl_calls - calls0, failed = ctl_failed - failed0;
    printf("read_watch: %d epoll_ctl calls (%d failed) over %d round trips\n", calls, failed,
           ROUNDS);
    ASSERT_CMP(calls, <=, 2); /* the client's first parked read: one ADD */
    ASSERT_EQ(failed, 0);
    ASSERT_EQ(co_write(p.client, "late", 4), 4);
    ASSERT_OK(co_sleep(10)); /* the loop polls while nobody reads */
    ASSERT_OK(co_close(p.client));
    p.client = NULL;
    void *res = NULL;
    ASSERT_OK(co_join(r, &res));
    ASSERT_EQ((intptr_t)res, ROUNDS);
    pair_close(&p);
    /* a socket left watched after a parked read, not closed: co_main
     * returns all the same (RUN_TASK; it closes what is left open) */
    pair q;
    pair_open(&q);
    co_task *w = co_spawn(late_writer, q.client, "late writer");
    ASSERT_EQ(co_read(q.server_side, buf, sizeof buf), 1); /* parks, then watched */
    ASSERT_OK(co_join(w, NULL));
    return NULL;
}

static void test_read_watch(void)
{
    RUN_TASK(read_watch_main, NULL);
}

/* A listener nobody waits on does not keep co_main from returning (co_main
 * closes its handle; the co_tcp itself stays reachable from here). */
static co_tcp *forgotten;

static void *forgotten_main(void *arg)
{
    (void)arg;
    ASSERT_OK(co_tcp_listen("127.0.0.1", 0, &forgotten));
    return NULL;
}

static void test_idle_listener(void)
{
    RUN_TASK(forgotten_main, NULL);
    ASSERT_NOT_NULL(forgotten);
}

/* A connect cancelled before libuv called back: the socket is closed and
 * the connect returns CO_ECANCELED; nothing leaks (valgrind). */
static int connect_rc;
static int connect_port;

static void *connector(void *arg)
{
    co_tcp *c = (co_tcp *)1;
    (void)arg;
    connect_rc = co_tcp_connect("127.0.0.1", connect_port, &c);
    ASSERT(c == (co_tcp *)1);
    return NULL;
}

static void *canceller(void *arg)
{
    ASSERT_OK(co_cancel((co_task *)arg)); /* runs before the loop polls */
    return NULL;
}

static co_tcp *closing;
static int close_rc;

static void *closer(void *arg)
{
    (void)arg;
    close_rc = co_close(closing);
    return NULL;
}

static void *cancel_connect_main(void *arg)
{
    (void)arg;
    co_tcp *srv = NULL;
    ASSERT_OK(co_tcp_listen("127.0.0.1", 0, &srv));
    connect_port = co_tcp_port(srv);
    connect_rc = 1;
    co_task *c = co_spawn(connector, NULL, "connector");
    co_task *k = co_spawn(canceller, c, "canceller");
    ASSERT_OK(co_join(c, NULL));
    ASSERT_OK(co_join(k, NULL));
    ASSERT_EQ(connect_rc, CO_ECANCELED);

    /* Same for a close: the caller gets the error, the close completes. */
    pair p;
    pair_open(&p);
    closing = p.client;
    p.client = NULL;
    close_rc = 1;
    c = co_spawn(closer, NULL, "closer");
    k = co_spawn(canceller, c, "canceller");
    ASSERT_OK(co_join(c, NULL));
    ASSERT_OK(co_join(k, NULL));
    ASSERT_EQ(close_rc, CO_ECANCELED);
    char b;
    ASSERT_EQ(co_read(p.server_side, &b, 1), 0); /* it did close */
    pair_close(&p);
    ASSERT_OK(co_close(srv));
    return NULL;
}

static void test_cancel_connect(void)
{
    RUN_TASK(cancel_connect_main, NULL);
}

/* A reader whose bytes are always there still lets others run: after a
 * streak of reads that completed at once, one goes through the poller. */
#define FAIR_BYTES (32 * 1024)
static int fair_stop, fair_ticks;

static void *fair_ticker(void *arg)
{
    (void)arg;
    while (!fair_stop) {
        fair_ticks++;
        co_yield();
    }
    return NULL;
}

static void *fairness_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p);
    static unsigned char data[FAIR_BYTES];
    for (int i = 0; i < FAIR_BYTES; i++)
        data[i] = (unsigned char)(i * 7);
    ASSERT_EQ(co_write(p.server_side, data, FAIR_BYTES), FAIR_BYTES);
    ASSERT_OK(co_sleep(5)); /* all of it is in the client's buffer now */
    co_task *t = co_spawn(fair_ticker, NULL, "ticker");
    for (int i = 0; i < FAIR_BYTES; i++) {
        unsigned char b;
        ASSERT_EQ(co_read(p.client, &b, 1), 1);
        ASSERT_EQ(b, (unsigned char)(i * 7));
    }
    int seen = fair_ticks;
    fair_stop = 1;
    ASSERT_OK(co_join(t, NULL));
    /* One poller trip per 33 reads at least, and the ticker runs at each. */
    ASSERT_CMP(seen, >=, FAIR_BYTES / 33);
    pair_close(&p);
    return NULL;
}

static void test_fairness(void)
{
    RUN_TASK(fairness_main, NULL);
}

/* co__tcp_close_all (internal, for co_main's shutdown) closes and frees
 * the sockets a program forgot: valgrind sees no leak. */
void co__tcp_close_all(void);

static void *close_all_main(void *arg)
{
    (void)arg;
    pair p;
    pair_open(&p); /* none of the three closed by the program */
    ASSERT_EQ(co_write(p.client, "left", 4), 4);
    co__tcp_close_all();
    co__tcp_close_all(); /* twice is harmless */
    return NULL;
}

static void test_close_all(void)
{
    RUN_TASK(close_all_main, NULL);
}

/* ---- files ---- */

static char tmpdir[64];

static void *fs_main(void *arg)
{
    (void)arg;
    char path[128];
    snprintf(path, sizeof path, "%s/data", tmpdir);
    int fd = co_fs_open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT_CMP(fd, >=, 0);
    ASSERT_EQ(co_fs_write(fd, "hello world", 11, 0), 11);
    ASSERT_EQ(co_fs_write(fd, "XY", 2, 6), 2);
    char buf[64] = {0};
    ASSERT_EQ(co_fs_read(fd, buf, sizeof buf, 0), 11);
    ASSERT_STR_EQ(buf, "hello XYrld");
    /* Offset -1: the file position, which pread/pwrite left at 0. */
    ASSERT_EQ(co_fs_write(fd, "ABC", 3, -1), 3);
    memset(buf, 0, sizeof buf);
    ASSERT_EQ(co_fs_read(fd, buf, sizeof buf, -1), 8);
    ASSERT_STR_EQ(buf, "lo XYrld");
    ASSERT_EQ(co_fs_read(fd, buf, sizeof buf, -1), 0); /* at the end */
    memset(buf, 0, sizeof buf);
    ASSERT_EQ(co_fs_read(fd, buf, 5, 0), 5);
    ASSERT_STR_EQ(buf, "ABClo");
    ASSERT_EQ(co_fs_read(fd, buf, sizeof buf, 100), 0); /* past the end */
    ASSERT_EQ(co_fs_read(fd, buf, sizeof buf, -2), CO_EINVAL);

    /* A larger block, exact bytes back. */
    size_t n = 300000;
    unsigned char *out = malloc(n), *in = malloc(n);
    ASSERT(out && in);
    for (size_t i = 0; i < n; i++)
        out[i] = tape[i % TAPE];
    ASSERT_EQ(co_fs_write(fd, out, n, 4096), n);
    ASSERT_EQ(co_fs_read(fd, in, n, 4096), n);
    ASSERT(memcmp(in, out, n) == 0);
    free(out);
    free(in);
    ASSERT_OK(co_fs_close(fd));
    struct stat st;
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_size, 4096 + 300000);
    ASSERT_EQ(co_fs_close(fd), CO_EBADF); /* closed already */
    ASSERT_OK(unlink(path));
    return NULL;
}

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/coscope-io-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(tmpdir));
}

static void test_fs_roundtrip(void)
{
    tape_init();
    make_tmpdir();
    RUN_TASK(fs_main, NULL);
    ASSERT_OK(rmdir(tmpdir));
}

static void *fs_missing_main(void *arg)
{
    (void)arg;
    char path[128];
    snprintf(path, sizeof path, "%s/nope", tmpdir);
    ASSERT_EQ(co_fs_open(path, O_RDONLY, 0), CO_ENOENT);
    ASSERT_EQ(co_fs_open(NULL, O_RDONLY, 0), CO_EINVAL);
    char buf[4];
    ASSERT_EQ(co_fs_read(-1, buf, sizeof buf, 0), CO_EBADF);
    ASSERT_EQ(co_fs_write(-1, buf, sizeof buf, -1), CO_EBADF);
    ASSERT_EQ(co_fs_close(-1), CO_EBADF);
    return NULL;
}

static void test_fs_missing(void)
{
    make_tmpdir();
    RUN_TASK(fs_missing_main, NULL);
    ASSERT_OK(rmdir(tmpdir));
}

/* ---- the trace of a short exchange ---- */

static int fd_listen = -1, fd_accepted = -1, fd_client = -1;
static uint64_t id_server, id_client;

/* The fd of the socket bound to (or, with peer, connected to) port. */
static int find_fd(int port, int want_listen, int peer)
{
    int found = -1;
    for (int fd = 3; fd < 1024; fd++) {
        struct sockaddr_in sa;
        socklen_t n = sizeof sa;
        int r = peer ? getpeername(fd, (struct sockaddr *)&sa, &n)
                     : getsockname(fd, (struct sockaddr *)&sa, &n);
        if (r != 0 || sa.sin_family != AF_INET || ntohs(sa.sin_port) != port)
            continue;
        int lis = 0;
        socklen_t ln = sizeof lis;
        ASSERT_OK(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &lis, &ln));
        if (!!lis != want_listen)
            continue;
        ASSERT_EQ(found, -1); /* exactly one */
        found = fd;
    }
    ASSERT_CMP(found, >=, 0);
    return found;
}

static void *trace_server(void *arg)
{
    co_tcp *srv = arg, *c = NULL;
    id_server = co_task_id(co_self());
    ASSERT_OK(co_tcp_accept(srv, &c));
    char buf[16];
    ASSERT_EQ(co_read(c, buf, sizeof buf), 4); /* parks: client sleeps */
    ASSERT(memcmp(buf, "ping", 4) == 0);
    fd_accepted = find_fd(co_tcp_port(srv), 0, 0);
    ASSERT_EQ(co_write(c, "pong", 4), 4);
    ASSERT_OK(co_close(c));
    return NULL;
}

static void *trace_main(void *arg)
{
    (void)arg;
    co_tcp *srv = NULL, *c = NULL;
    ASSERT_OK(co_tcp_listen("127.0.0.1", 0, &srv));
    int port = co_tcp_port(srv);
    fd_listen = find_fd(port, 1, 0);
    co_task *s = co_spawn(trace_server, srv, "server");
    id_client = co_task_id(co_self());
    ASSERT_OK(co_tcp_connect("127.0.0.1", port, &c));
    fd_client = find_fd(port, 0, 1);
    ASSERT_OK(co_sleep(10));
    ASSERT_EQ(co_write(c, "ping", 4), 4);
    char buf[16];
    ASSERT_EQ(co_read(c, buf, sizeof buf), 4); /* parks: server replies */
    ASSERT(memcmp(buf, "pong", 4) == 0);
    ASSERT_OK(co_join(s, NULL));
    ASSERT_OK(co_close(c));
    ASSERT_OK(co_close(srv));
    return NULL;
}

#define MAXEV 4096
static cJSON *evs[MAXEV];
static int nev;

static void load_trace(const char *path)
{
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    char line[4096];
    nev = 0;
    while (fgets(line, sizeof line, f)) {
        ASSERT_CMP(nev, <, MAXEV);
        cJSON *j = cJSON_Parse(line);
        if (!j)
            TEST__FAIL("%s:%d: not JSON: %s", path, nev + 1, line);
        evs[nev++] = j;
    }
    fclose(f);
}

static const char *str_of(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static long long num_of(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : -999;
}

/* The next event of task after index i, or -1. */
static int next_of(uint64_t task, int i)
{
    for (int k = i + 1; k < nev; k++)
        if (num_of(evs[k], "task") == (long long)task)
            return k;
    return -1;
}

/* Finds the parked op of task and checks its lines (format v2): io_wait
 * (op, fd, at test_io.c: the io_begin and the yield in one line) → [conn]
 * → io_wake (op, res: the io_end and the loop's ready in one) → run. */
static void expect_parked(uint64_t task, const char *op, int fd, long long res)
{
    int y = -1;
    while ((y = next_of(task, y)) >= 0)
        if (!strcmp(str_of(evs[y], "ev"), "io_wait") &&
            !strcmp(str_of(evs[y], "op"), op))
            break;
    if (y < 0)
        TEST__FAIL("no io_wait op=%s for task %llu", op,
                   (unsigned long long)task);
    ASSERT_EQ(num_of(evs[y], "fd"), fd);
    ASSERT(strstr(str_of(evs[y], "at"), "test_io.c:") != NULL);
    ASSERT_STR_EQ(str_of(evs[y], "why"), ""); /* implied: io */
    int e = next_of(task, y);
    ASSERT_CMP(e, >, 0);
    if (res >= 0 && (!strcmp(op, "accept") || !strcmp(op, "connect"))) {
        /* a connection that came up says its two ends first */
        ASSERT_STR_EQ(str_of(evs[e], "ev"), "conn");
        ASSERT(!strncmp(str_of(evs[e], "local"), "127.0.0.1:", 10));
        ASSERT(!strncmp(str_of(evs[e], "peer"), "127.0.0.1:", 10));
        e = next_of(task, e);
        ASSERT_CMP(e, >, 0);
    }
    ASSERT_STR_EQ(str_of(evs[e], "ev"), "io_wake");
    ASSERT_STR_EQ(str_of(evs[e], "op"), op);
    ASSERT_EQ(num_of(evs[e], "res"), res);
    /* then it runs: a run line, or the `next` of the line that ended the
     * slice before it (the scheduler switched straight into it) */
    int run = e + 1;
    while (run < nev && num_of(evs[run], "next") != (long long)task &&
           (num_of(evs[run], "task") != (long long)task ||
            strcmp(str_of(evs[run], "ev"), "run") != 0))
        run++;
    ASSERT_CMP(run, <, nev);
    int other = next_of(task, e); /* nothing of its own before */
    ASSERT(other < 0 || other >= run);
}

/* A write the socket took at once: one `io` line (op, fd, bytes, res), no
 * io_begin, no yield, and the task's next event is not an io_end. */
static void expect_fast(uint64_t task, const char *op, int fd, long long res)
{
    int i = -1;
    while ((i = next_of(task, i)) >= 0)
        if (!strcmp(str_of(evs[i], "ev"), "io") &&
            !strcmp(str_of(evs[i], "op"), op))
            break;
    ASSERT_CMP(i, >=, 0);
    ASSERT_EQ(num_of(evs[i], "fd"), fd);
    ASSERT_EQ(num_of(evs[i], "bytes"), res);
    ASSERT_EQ(num_of(evs[i], "res"), res);
    int e = next_of(task, i);
    if (e > 0) {
        ASSERT(strcmp(str_of(evs[e], "ev"), "io_wake") != 0);
        ASSERT(strcmp(str_of(evs[e], "ev"), "io_end") != 0);
        ASSERT(strcmp(str_of(evs[e], "ev"), "yield") != 0 ||
               strcmp(str_of(evs[e], "op"), op) != 0);
    }
    for (int k = 0; k < nev; k++) /* no io_begin (nor io_wait) of a fast op */
        if (num_of(evs[k], "task") == (long long)task &&
            (!strcmp(str_of(evs[k], "ev"), "io_begin") ||
             !strcmp(str_of(evs[k], "ev"), "io_wait")) &&
            !strcmp(str_of(evs[k], "op"), op))
            TEST__FAIL("io_begin for the fast %s of task %llu", op,
                       (unsigned long long)task);
}

static void test_trace(void)
{
    char path[128];
    make_tmpdir();
    snprintf(path, sizeof path, "%s/trace.jsonl", tmpdir);
    ASSERT_OK(setenv("COSCOPE_TRACE", path, 1));
    RUN_TASK(trace_main, NULL);
    ASSERT_OK(unsetenv("COSCOPE_TRACE"));
    load_trace(path);
    ASSERT_CMP(nev, >, 10);
    ASSERT_STR_EQ(str_of(evs[0], "ev"), "trace");
    ASSERT_STR_EQ(str_of(evs[nev - 1], "ev"), "end");

    expect_parked(id_server, "accept", fd_listen, fd_accepted);
    expect_parked(id_server, "read", fd_accepted, 4);
    expect_fast(id_server, "write", fd_accepted, 4);
    expect_parked(id_client, "connect", fd_client, 0);
    expect_fast(id_client, "write", fd_client, 4);
    expect_parked(id_client, "read", fd_client, 4);
    /* co_close waits for libuv's close callback: parked too. */
    int closes = 0;
    for (int i = 0; i < nev; i++)
        if (!strcmp(str_of(evs[i], "ev"), "io_wait") &&
            !strcmp(str_of(evs[i], "op"), "close"))
            closes++;
    ASSERT_EQ(closes, 3);
    for (int i = 0; i < nev; i++)
        cJSON_Delete(evs[i]);
    ASSERT_OK(unlink(path));
    ASSERT_OK(rmdir(tmpdir));
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"echo", test_echo},
        {"refused", test_refused},
        {"port", test_port},
        {"eof", test_eof},
        {"eof_parked", test_eof_parked},
        {"write_gone", test_write_gone},
        {"cancel_read", test_cancel_read},
        {"deadline_read", test_deadline_read},
        {"cancel_write", test_cancel_write},
        {"cancel_accept", test_cancel_accept},
        {"close_wakes", test_close_wakes},
        {"idle_listener", test_idle_listener},
        {"read_watch", test_read_watch},
        {"cancel_connect", test_cancel_connect},
        {"fairness", test_fairness},
        {"close_all", test_close_all},
        {"fs_roundtrip", test_fs_roundtrip},
        {"fs_missing", test_fs_missing},
        {"trace", test_trace},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
