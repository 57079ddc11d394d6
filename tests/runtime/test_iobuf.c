/* tests/runtime/test_iobuf.c: co_read_line and co_read_exact over real TCP
 * on loopback, asserted exactly: lines and their lengths, EOF in the middle
 * of a line, CO_E2BIG, bytes read ahead served to the next read of any
 * kind, cancellation and a deadline that lose nothing, and the caller's
 * place in the trace (co_read_line's and co_read_exact's). Writers pause between pieces; results never depend on how TCP
 * cuts the stream. */
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

static co_tcp *srv_side, *cli_side;

static void *acceptor(void *arg)
{
    ASSERT_OK(co_tcp_accept(arg, &srv_side));
    return NULL;
}

/* A connected pair: cli_side (connect) and srv_side (accept). */
static void make_pair(void)
{
    co_tcp *l;
    ASSERT_OK(co_tcp_listen("127.0.0.1", 0, &l));
    co_task *a = co_spawn(acceptor, l, "acceptor");
    ASSERT_OK(co_tcp_connect("127.0.0.1", co_tcp_port(l), &cli_side));
    ASSERT_OK(co_join(a, NULL));
    ASSERT_OK(co_close(l));
}

typedef struct pieces {
    const char *p[8];
    int close_after;
} pieces;

static void *writer(void *arg)
{
    pieces *w = arg;
    for (int i = 0; w->p[i]; i++) {
        size_t n = strlen(w->p[i]);
        ASSERT_EQ(co_write(cli_side, w->p[i], n), (ssize_t)n);
        co_sleep(1); /* likely separate segments; nothing depends on it */
    }
    if (w->close_after)
        ASSERT_OK(co_close(cli_side));
    return NULL;
}

static void *lines_main(void *arg)
{
    (void)arg;
    make_pair();
    pieces w = {{"hello\nwor", "ld\n", "par", "tial\nlast", NULL}, 1};
    co_task *t = co_spawn(writer, &w, "writer");
    char buf[64];
    ASSERT_EQ(co_read_line(srv_side, buf, sizeof buf), 6);
    ASSERT_STR_EQ(buf, "hello\n");
    ASSERT_EQ(co_read_line(srv_side, buf, sizeof buf), 6);
    ASSERT_STR_EQ(buf, "world\n");
    ASSERT_EQ(co_read_line(srv_side, buf, sizeof buf), 8);
    ASSERT_STR_EQ(buf, "partial\n");
    ASSERT_EQ(co_read_line(srv_side, buf, sizeof buf), 4); /* EOF, no '\n' */
    ASSERT_STR_EQ(buf, "last");
    ASSERT_EQ(co_read_line(srv_side, buf, sizeof buf), 0);
    ASSERT_STR_EQ(buf, "");
    ASSERT_EQ(co_read(srv_side, buf, sizeof buf), 0);
    ASSERT_EQ(co_read_line(srv_side, buf, 1), CO_EINVAL);
    ASSERT_EQ(co_read_line(NULL, buf, sizeof buf), CO_EINVAL);
    ASSERT_OK(co_join(t, NULL));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}

static void test_lines(void)
{
    RUN_TASK(lines_main, NULL);
}

static void *mixed_main(void *arg)
{
    (void)arg;
    make_pair();
    /* 10 000 bytes after a header line, then a line too long for 8. */
    static char body[10001];
    for (int i = 0; i < 10000; i++)
        body[i] = (char)('a' + i % 26);
    pieces w = {{"len 10000\n", body, "0123456789abcdefghij", NULL}, 1};
    co_task *t = co_spawn(writer, &w, "writer");
    char line[32];
    ASSERT_EQ(co_read_line(srv_side, line, sizeof line), 10);
    ASSERT_STR_EQ(line, "len 10000\n");
    static char got[10000];
    ASSERT_EQ(co_read_exact(srv_side, got, sizeof got), 10000);
    ASSERT(memcmp(got, body, 10000) == 0);
    char small[8];
    ASSERT_EQ(co_read_line(srv_side, small, sizeof small), CO_E2BIG);
    /* the 7 bytes it looked at are still there, for a read of any kind */
    char c;
    ASSERT_EQ(co_read(srv_side, &c, 1), 1);
    ASSERT_EQ(c, '0');
    char rest[32] = {0};
    ASSERT_EQ(co_read_exact(srv_side, rest, 30), 19); /* EOF after 19 */
    ASSERT_STR_EQ(rest, "123456789abcdefghij");
    ASSERT_EQ(co_read_exact(srv_side, rest, 4), 0);
    ASSERT_EQ(co_read_exact(srv_side, rest, 0), CO_EINVAL);
    ASSERT_OK(co_join(t, NULL));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}

static void test_mixed(void)
{
    RUN_TASK(mixed_main, NULL);
}

/* Cancelled half-way through a line: the bytes it read are not lost. */
static ssize_t cancelled_rc;
static int reader_started;

static void *line_reader(void *arg)
{
    (void)arg;
    char buf[64];
    reader_started = 1;
    cancelled_rc = co_read_line(srv_side, buf, sizeof buf);
    return NULL;
}

static void *cancel_main(void *arg)
{
    (void)arg;
    make_pair();
    ASSERT_EQ(co_write(cli_side, "abc", 3), 3);
    co_task *r = co_spawn(line_reader, NULL, "reader");
    co_sleep(5); /* it takes "abc" and waits for the rest of the line */
    ASSERT(reader_started);
    ASSERT_OK(co_cancel(r));
    ASSERT_OK(co_join(r, NULL));
    ASSERT_EQ(cancelled_rc, CO_ECANCELED);
    ASSERT_EQ(co_write(cli_side, "def\n", 4), 4);
    char buf[64];
    ASSERT_EQ(co_read_line(srv_side, buf, sizeof buf), 7);
    ASSERT_STR_EQ(buf, "abcdef\n");
    ASSERT_OK(co_close(cli_side));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}

static void test_cancel(void)
{
    RUN_TASK(cancel_main, NULL);
}

/* Past its deadline half-way through a line: CO_ETIMEDOUT, and the bytes
 * it had read are not lost. "abc" is in the socket before the reader
 * starts (FIONREAD says so), so its first read takes them at once; the
 * second waits for the rest of the line until the deadline. */
static void *late_line_reader(void *arg)
{
    (void)arg;
    char buf[64];
    reader_started = 1;
    ASSERT_OK(co_deadline(10));
    cancelled_rc = co_read_line(srv_side, buf, sizeof buf);
    ASSERT_OK(co_deadline(0));
    return NULL;
}

static void *deadline_main(void *arg)
{
    (void)arg;
    make_pair();
    ASSERT_EQ(co_write(cli_side, "abc", 3), 3);
    int queued = 0;
    for (int i = 0; i < 5000 && queued < 3; i++) {
        ASSERT_OK(ioctl(co_tcp_fd(srv_side), FIONREAD, &queued));
        if (queued < 3)
            ASSERT_OK(co_sleep(1));
    }
    ASSERT_EQ(queued, 3);
    reader_started = 0;
    ASSERT_OK(co_join(co_spawn(late_line_reader, NULL, "reader"), NULL));
    ASSERT(reader_started);
    ASSERT_EQ(cancelled_rc, CO_ETIMEDOUT);
    ASSERT_OK(ioctl(co_tcp_fd(srv_side), FIONREAD, &queued));
    ASSERT_EQ(queued, 0); /* "abc" left the socket: the reader had it */
    ASSERT_EQ(co_write(cli_side, "def\n", 4), 4);
    char buf[64];
    ASSERT_EQ(co_read_line(srv_side, buf, sizeof buf), 7);
    ASSERT_STR_EQ(buf, "abcdef\n");
    ASSERT_OK(co_close(cli_side));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}

static void test_deadline(void)
{
    RUN_TASK(deadline_main, NULL);
}

/* The waits inside co_read_line and co_read_exact are traced at the
 * caller's line. Each writer is spawned right before the read, so it runs
 * only once the read has found nothing and waits. */
static void *trace_main(void *arg)
{
    (void)arg;
    make_pair();
    pieces w = {{"x\n", NULL}, 0};
    co_task *t = co_spawn(writer, &w, "writer");
    char buf[8];
    ASSERT_EQ(co_read_line(srv_side, buf, sizeof buf), 2);
    ASSERT_OK(co_join(t, NULL));
    pieces w2 = {{"ab", "cd", NULL}, 1};
    t = co_spawn(writer, &w2, "writer");
    ASSERT_EQ(co_read_exact(srv_side, buf, 4), 4);
    ASSERT(memcmp(buf, "abcd", 4) == 0);
    ASSERT_OK(co_join(t, NULL));
    ASSERT_OK(co_close(srv_side));
    return NULL;
}
static const int read_line_line = __LINE__ - 10;
static const int read_exact_line = __LINE__ - 7;

static void test_trace(void)
{
    const char *tb = RUN_TRACED(trace_main, NULL);
    char want[512];
    /* format v2: the read's io_begin and yield are one io_wait line */
    static const char wait[] = "\"ev\":\"io_wait\",\"task\":1,\"op\":\"read\",\"fd\":";
    const char *y = strstr(tb, wait);
    ASSERT_NOT_NULL(y);
    snprintf(want, sizeof want, ",\"at\":\"%s:%d\"", __FILE__, read_line_line);
    const char *nl = strchr(y, '\n');
    const char *at = strstr(y, want);
    ASSERT(at != NULL && at < nl);
    /* the next read wait is co_read_exact's, at its caller's line */
    y = strstr(nl, wait);
    ASSERT_NOT_NULL(y);
    nl = strchr(y, '\n');
    snprintf(want, sizeof want, ",\"at\":\"%s:%d\"", __FILE__, read_exact_line);
    at = strstr(y, want);
    if (!at || at > nl)
        fprintf(stderr, "missing %s in: %.*s\n", want, (int)(nl - y), y);
    ASSERT(at != NULL && at < nl);
}

static const test_case cases[] = {
    {"lines", test_lines},
    {"mixed", test_mixed},
    {"cancel", test_cancel},
    {"deadline", test_deadline},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
