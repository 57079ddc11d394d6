/* stack_helper.c: every wait made through a helper. The server task reads
 * its request through read_line(), a helper wrapping co_read, and the
 * client sends the line only after 40 ms, so the read is a long wait. Its
 * stack must name read_line's co_read call and, below it, the caller's
 * line in handle() (issue 11: "the helper case's stack includes the
 * caller's line"). Prints the lines of the calls for the test to compare:
 * "read_line LINE handle LINE server LINE". Traced through COSCOPE_TRACE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/co.h"

static int read_at, handle_at, server_at, done;

/* Reads up to '\n' (kept), NUL-terminates; the length or an error. */
static ssize_t read_line(co_tcp *c, char *buf, size_t n)
{
    size_t len = 0;
    while (len + 1 < n) {
        ssize_t r = co_read(c, buf + len, n - 1 - len); read_at = __LINE__;
        if (r <= 0)
            return r < 0 ? r : (ssize_t)len;
        len += (size_t)r;
        if (memchr(buf, '\n', len))
            break;
    }
    buf[len] = '\0';
    return (ssize_t)len;
}

static int handle(co_tcp *conn)
{
    char line[64];
    ssize_t n = read_line(conn, line, sizeof line); handle_at = __LINE__;
    return n == 6 && strcmp(line, "hello\n") == 0 ? 0 : -1;
}

static void *client(void *arg)
{
    co_tcp *c = NULL;
    if (co_tcp_connect("127.0.0.1", *(int *)arg, &c) != 0)
        return NULL;
    co_sleep(40); /* the server waits in read_line meanwhile */
    co_write(c, "hello\n", 6);
    co_close(c);
    return NULL;
}

static void *server(void *arg)
{
    (void)arg;
    co_tcp *srv = NULL, *conn = NULL;
    if (co_tcp_listen("127.0.0.1", 0, &srv) != 0)
        return NULL;
    int port = co_tcp_port(srv);
    co_task *cl = co_spawn(client, &port, "client");
    if (co_tcp_accept(srv, &conn) == 0) {
        done = handle(conn) == 0; server_at = __LINE__;
        co_close(conn);
    }
    co_join(cl, NULL);
    co_close(srv);
    return NULL;
}

static void *main_task(void *arg)
{
    co_join(co_spawn(server, arg, "server"), NULL);
    volatile int rounds = 3; /* not unrolled into three call sites */
    for (int i = 0; i < rounds; i++)
        co_yield(); /* one chain, seen three times: one `stack` line */
    return NULL;
}

int main(void)
{
    int rc = co_main(main_task, NULL);
    printf("read_line %d handle %d server %d\n", read_at, handle_at, server_at);
    return rc == 0 && done ? 0 : 1;
}
