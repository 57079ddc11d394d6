/* examples/ex_server.c: the shared accept loop of ex_server.h. Connection
 * tasks live in a task group: a stop cancels the group (when asked) and
 * waits for it, so no connection outlives the server, and a stop that is
 * itself cancelled still takes the connections down with it. */
#include "ex_server.h"

#include <stdio.h>
#include <stdlib.h>

struct ex_server {
    co_tcp *listener;
    co_task *acceptor;
    const char *conn_name;
    ex_conn_fn fn;
    void *ctx;
    long accepted;
    co_group *conns; /* one task per live connection */
};

typedef struct conn_start {
    ex_server *srv;
    co_tcp *s;
} conn_start;

static void *conn_task(void *arg)
{
    conn_start *cs = arg;
    ex_server *srv = cs->srv;
    co_tcp *s = cs->s;
    free(cs);
    srv->fn(s, srv->ctx);
    co_close(s);
    return NULL;
}

static void *acceptor_task(void *arg)
{
    ex_server *srv = arg;
    for (;;) {
        co_tcp *s;
        int err = co_tcp_accept(srv->listener, &s);
        if (err == CO_ECANCELED || err == CO_ETIMEDOUT)
            break;
        if (err) {
            /* e.g. EMFILE: keep serving the connections we have */
            fprintf(stderr, "accept: %s\n", co_strerror(err));
            co_sleep(10);
            continue;
        }
        conn_start *cs = malloc(sizeof *cs);
        char name[64];
        snprintf(name, sizeof name, "%s %ld", srv->conn_name,
                 srv->accepted + 1);
        if (cs)
            *cs = (conn_start){srv, s};
        co_task *t = cs ? co_group_spawn(srv->conns, conn_task, cs, name) : NULL;
        if (!t) {
            free(cs);
            co_close(s);
            continue;
        }
        srv->accepted++;
    }
    co_close(srv->listener);
    srv->listener = NULL;
    return NULL;
}

int ex_server_start(const char *host, int port, const char *conn_name,
                    ex_conn_fn fn, void *ctx, ex_server **out)
{
    ex_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return CO_ENOMEM;
    srv->conn_name = conn_name;
    srv->fn = fn;
    srv->ctx = ctx;
    srv->conns = co_group_name(co_group_new(), "connections");
    if (!srv->conns) {
        free(srv);
        return CO_ENOMEM;
    }
    int err = co_tcp_listen(host, port, &srv->listener);
    if (err)
        goto fail;
    srv->acceptor = co_spawn(acceptor_task, srv, "acceptor");
    if (!srv->acceptor) {
        co_close(srv->listener);
        err = CO_ENOMEM;
        goto fail;
    }
    *out = srv;
    return 0;
fail:
    co_group_free(srv->conns);
    free(srv);
    return err;
}

int ex_server_port(const ex_server *srv)
{
    return srv->listener ? co_tcp_port(srv->listener) : CO_EBADF;
}

long ex_server_accepted(const ex_server *srv)
{
    return srv->accepted;
}

void ex_server_stop(ex_server *srv, int cancel_conns)
{
    co_cancel(srv->acceptor);
    co_join(srv->acceptor, NULL);
    if (cancel_conns)
        co_group_cancel(srv->conns);
    co_group_wait(srv->conns); /* cancelled itself: cancels them, waits */
    co_group_free(srv->conns);
    free(srv);
}
