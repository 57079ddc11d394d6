/* tests/runtime/test_oom.c: allocation failure at every allocation site of
 * the runtime (and the recorder), in turn. The binary is linked with
 * --wrap=malloc,calloc,realloc,strdup, which reroutes those calls made from
 * libcoscope's objects and this file through tests/alloc_fail.h (libuv's
 * own allocations are not ours to test). Run k makes the k-th allocation
 * fail; each run must end with co_main returning 0 or an error and no
 * crash; leaks are caught by the ASan and valgrind runs of this test. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_fail.h"
#include "coscope/co.h"
#include "rt_run.h" /* and test.h */

/* ---- a program touching every allocating call, checking each ---- */

static void *child(void *arg)
{
    co_chan *c = arg;
    int v = 7;
    if (co_sleep(1) != 0)
        return NULL;
    co_chan_send(c, &v);
    return NULL;
}

static void *server(void *arg)
{
    co_tcp *srv = arg, *conn;
    if (co_tcp_accept(srv, &conn) != 0)
        return NULL;
    char buf[16];
    ssize_t n = co_read(conn, buf, sizeof buf);
    if (n > 0)
        co_write(conn, buf, (size_t)n);
    co_close(conn);
    return NULL;
}

static void *program(void *arg)
{
    (void)arg;
    co_mark("start");
    co_mutex *m = co_mutex_name(co_mutex_new(), "m");
    co_chan *c = co_chan_name(co_chan_new(sizeof(int), 1), "c");
    if (m && co_mutex_lock(m) == 0)
        co_mutex_unlock(m);
    if (c) {
        co_task *t = co_spawn(child, c, "child");
        if (t) {
            int v;
            co_chan_recv(c, &v);
            co_join(t, NULL);
        }
    }
    co_deadline(5000);
    co_tcp *srv = NULL, *cl = NULL;
    if (co_tcp_listen("127.0.0.1", 0, &srv) == 0) {
        co_task *s = co_spawn(server, srv, "server");
        if (co_tcp_connect("127.0.0.1", co_tcp_port(srv), &cl) == 0) {
            char buf[4];
            if (co_write(cl, "ping", 4) == 4)
                co_read(cl, buf, sizeof buf);
            co_close(cl);
        }
        if (s) {
            co_cancel(s);
            co_join(s, NULL);
        }
        co_close(srv);
    }
    co_deadline(0);
    co_mutex_free(m);
    co_chan_free(c);
    return NULL;
}

static void test_every_site(void)
{
    char path[] = "/tmp/coscope-oom-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    /* A failed allocation can leave the main task waiting forever (the
     * child that should send could not sleep): unwind it, so what it holds
     * is freed (the default abandon policy leaks it, by design). */
    ASSERT_OK(co_set_deadlock_policy(CO_DEADLOCK_CANCEL));
    /* Unarmed, the program runs clean. */
    RUN_TASK(program, NULL);
    long k;
    for (k = 1; k < 10000; k++) {
        af_arm(k);
        int rc = co_trace_start(path);
        int rc2 = co_main(program, NULL);
        if (rc == 0)
            co_trace_stop();
        af_armed = 0;
        ASSERT(rc2 == 0 || rc2 < 0);
        if (!af_injected)
            break; /* every site has had its turn */
    }
    fprintf(stderr, "%ld allocation sites failed in turn\n", k - 1);
    ASSERT_CMP(k, >, 10); /* the program does allocate */
    unlink(path);
}

static const test_case cases[] = {
    {"every_site", test_every_site},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
