/* examples/ex_server.c: the shared accept loop of ex_server.h. Connection
 * tasks are detached and linked into a list (their node lives on their own
 * stack), so a stop can cancel them; the last one to end closes a channel
 * the stopping task waits on, which is how it learns they are all gone. */
#include "ex_server.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct conn_node conn_node;
struct conn_node {
    conn_node *prev, *next;
    co_task *task;
};

struct ex_server {
    co_tcp *listener;
    co_task *acceptor;
    const char *conn_name;
    ex_conn_fn fn;
    void *ctx;
    long accepted;
    long live; /* connection tasks not yet ended */
    int stopping;
    co_chan *all_done; /* closed when live drops to 0 during a stop */
    conn_node *conns;
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
    conn_node node = {.prev = NULL, .next = srv->conns, .task = co_self()};
    if (srv->conns)
        srv->conns->prev = &node;
    srv->conns = &node;

    srv->fn(s, srv->ctx);
    co_close(s);

    if (node.prev)
        node.prev->next = node.next;
    else
        srv->conns = node.next;
    if (node.next)
        node.next->prev = node.prev;
    if (--srv->live == 0 && srv->stopping)
        co_chan_close(srv->all_done);
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
        co_task *t = cs ? co_spawn(conn_task, cs, name) : NULL;
        if (!t) {
            free(cs);
            co_close(s);
            continue;
        }
        cs->srv = srv;
        cs->s = s;
        srv->accepted++;
        srv->live++;
        co_detach(t);
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
    srv->all_done = co_chan_new(1, 1);
    if (!srv->all_done) {
        free(srv);
        return CO_ENOMEM;
    }
    co_chan_name(srv->all_done, "server stopped");
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
    co_chan_free(srv->all_done);
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
    srv->stopping = 1;
    if (cancel_conns)
        for (conn_node *n = srv->conns; n; n = n->next)
            co_cancel(n->task);
    if (srv->live > 0) {
        char c;
        co_chan_recv(srv->all_done, &c); /* CO_EOF once the last has ended */
    }
    co_chan_free(srv->all_done);
    free(srv);
}
