/* examples/ex_server.h: the accept loop every example server shares: one
 * acceptor task, one task per connection, and a clean stop that waits for
 * (or cancels) the live connections so co_main can return. */
#ifndef EX_SERVER_H
#define EX_SERVER_H

#include <coscope/co.h>

typedef struct ex_server ex_server;

/* Serves one connection; the caller closes s after it returns. */
typedef void (*ex_conn_fn)(co_tcp *s, void *ctx);

/* Listens on host:port (0: any), then spawns the acceptor task; each
 * accepted connection runs fn(s, ctx) in its own task named
 * "<conn_name> <n>". Call from a task. 0 and *out, or an error. */
int ex_server_start(const char *host, int port, const char *conn_name,
                    ex_conn_fn fn, void *ctx, ex_server **out);
int ex_server_port(const ex_server *srv);
/* Connections accepted so far. */
long ex_server_accepted(const ex_server *srv);

/* Stops accepting and closes the listener, then waits until every
 * connection task has ended; with cancel_conns, cancels them first (their
 * blocking calls return CO_ECANCELED). Frees srv. Call from a task. */
void ex_server_stop(ex_server *srv, int cancel_conns);

#endif
