/* runtime/io_tcp.c: TCP for tasks (listen, accept, connect, read, write,
 * close) on libuv streams. A co_tcp is malloc'd, so its handle outlives any
 * task. Requests a task parks on (uv_write_t, uv_connect_t) live on that
 * task's stack: the task never returns before libuv's callback for them has
 * run. libuv cannot cancel a write or a connect, so cancelling one closes
 * the connection, which makes libuv call back at once with UV_ECANCELED. */
#include "co_int.h"
#include "replay_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LISTEN_BACKLOG 1024
/* Reads and writes that complete at once do not switch tasks. After this
 * many in a row on one socket, the next one goes through the poller, so a
 * peer that always has data ready cannot keep the other tasks from running
 * (libuv itself stops after 32 reads per socket per iteration). */
#define FAST_STREAK 32

typedef struct accept_waiter accept_waiter;
struct accept_waiter {
    accept_waiter *next;
    co_task *t;
    co_tcp *server;
    co_tcp *conn; /* the accepted connection, on success */
};

/* One parked read, write or connect; on the parked task's stack. */
typedef struct io_req {
    co_task *t;
    co_tcp *s;
    tr_op op;
    char *buf;       /* read: the caller's buffer */
    size_t len;      /* read: its size; write: the total to report */
    ssize_t res;     /* bytes, or a negative error */
    int cancel_err;  /* non-zero once cancelled: the error to return */
    union {
        uv_write_t write;
        uv_connect_t connect;
    } uv;
} io_req;

struct co_tcp {
    uv_tcp_t h;
    int64_t fd;
    int listening;
    int closing;      /* uv_close has been called */
    int closed;       /* its close callback has run */
    int release;      /* free at the close callback (nobody holds it) */
    int fake;         /* a replay's: no socket, no libuv handle */
    co_task *closer;  /* the task parked in co_close */
    /* listening side */
    int pending;      /* libuv holds an accepted fd until uv_accept */
    int listen_err;   /* a failed accept, for the next co_tcp_accept */
    accept_waiter *acc_head, *acc_tail;
    /* reading side: at most one task reads at a time */
    io_req *reader;
    int fast_streak; /* reads/writes done without parking, in a row */
    int armed;       /* libuv still reads it since the last delivery (on_read) */
    char *ahead;     /* bytes read past what co_read_line / co_read_exact */
    size_t nahead;   /* returned (io_buf.c), served first by co_read */
    co_tcp *live_prev, *live_next; /* every co_tcp not yet freed */
};

/* A replay's versions of the calls (at the end of this file): the same
 * trace lines and results, taken from the log instead of a socket. */
CO__PARKS_INLINE int rp_accept(co_tcp *srv, co_task *self, co_tcp **out,
                     const char *file, int line);
CO__PARKS_INLINE int rp_connect(co_tcp **out, const char *file, int line);
CO__PARKS_INLINE ssize_t rp_read(co_tcp *s, co_task *self, void *buf, size_t len,
                       const char *file, int line);
CO__PARKS_INLINE ssize_t rp_write(co_tcp *s, co_task *self, size_t len, const char *file,
                        int line);
CO__PARKS_INLINE int rp_close(co_tcp *s, co_task *self, const char *file, int line);

/* Every co_tcp not yet freed, for co__tcp_close_all (loop thread only). */
static co_tcp *live;

static void live_unlink_free(co_tcp *s)
{
    if (s->live_prev)
        s->live_prev->live_next = s->live_next;
    else
        live = s->live_next;
    if (s->live_next)
        s->live_next->live_prev = s->live_prev;
    free(s->ahead);
    free(s);
}

static tr_wake cancel_why(int err)
{
    return err == CO_ETIMEDOUT ? TR_WAKE_TIMEOUT : TR_WAKE_CANCEL;
}

static uv_stream_t *stream(co_tcp *s)
{
    return (uv_stream_t *)&s->h;
}

/* ---- life of a co_tcp ---- */

/* libuv writes with write(2), so a write to a peer that has gone raises
 * SIGPIPE, whose default action kills the process. A server must get
 * CO_EPIPE instead: ignore the signal, unless the program installed its
 * own handler. Done once, at the first socket. */
static void ignore_sigpipe(void)
{
    static int done;
    struct sigaction sa;
    if (done)
        return;
    done = 1;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sa.sa_flags = 0;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGPIPE, &sa, NULL);
    }
}

static co_tcp *tcp_new(uv_loop_t *loop, int family, int *err)
{
    ignore_sigpipe();
    co_tcp *s = calloc(1, sizeof *s);
    if (!s) {
        *err = CO_ENOMEM;
        return NULL;
    }
    /* With a family, the socket exists at once, so io_begin can name its fd. */
    *err = family == AF_UNSPEC ? uv_tcp_init(loop, &s->h)
                               : uv_tcp_init_ex(loop, &s->h, (unsigned)family);
    if (*err) {
        free(s);
        return NULL;
    }
    s->h.data = s;
    s->fd = -1;
    s->live_next = live;
    if (live)
        live->live_prev = s;
    live = s;
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&s->h, &fd) == 0)
        s->fd = fd;
    return s;
}

/* A replay's connection: the recorded fd, no socket behind it. */
static co_tcp *tcp_fake(int64_t fd)
{
    co_tcp *s = calloc(1, sizeof *s);
    if (!s)
        co__rp_diverged("out of memory");
    s->fake = 1;
    s->fd = fd;
    s->live_next = live;
    if (live)
        live->live_prev = s;
    live = s;
    return s;
}

static void on_close(uv_handle_t *h)
{
    co_tcp *s = h->data;
    s->closed = 1;
    if (s->closer) {
        co_task *t = s->closer;
        s->closer = NULL;
        co__io_end(t->id, TR_OP_CLOSE, 0);
        co__wake(t, TR_WAKE_IO, 0);
    }
    if (s->release)
        live_unlink_free(s);
}


static void accept_unlink(co_tcp *srv, accept_waiter *aw)
{
    accept_waiter *prev = NULL;
    for (accept_waiter *p = srv->acc_head; p; prev = p, p = p->next) {
        if (p != aw)
            continue;
        if (prev)
            prev->next = p->next;
        else
            srv->acc_head = p->next;
        if (srv->acc_tail == p)
            srv->acc_tail = prev;
        break;
    }
    aw->next = NULL;
    /* A listener keeps the loop alive only while someone waits on it, so
     * a forgotten server does not stop co_main from returning. */
    if (!srv->acc_head && !srv->fake)
        uv_unref((uv_handle_t *)&srv->h);
}

/* libuv stops reading s (see on_read), and s counts for the loop again. */
static void read_stop(co_tcp *s)
{
    uv_read_stop(stream(s));
    uv_ref((uv_handle_t *)stream(s));
    s->armed = 0;
}

/* Starts closing s: tasks parked on it in read or accept get CO_ECANCELED
 * now; parked writes get it from libuv during the close. */
static void tcp_kill(co_tcp *s)
{
    if (s->closing)
        return;
    s->closing = 1;
    if (s->reader) {
        io_req *r = s->reader;
        s->reader = NULL;
        if (!s->fake)
            read_stop(s);
        r->res = CO_ECANCELED;
        co__io_end(r->t->id, TR_OP_READ, CO_ECANCELED);
        co__wake(r->t, TR_WAKE_IO, 0);
    }
    while (s->acc_head) {
        accept_waiter *aw = s->acc_head;
        accept_unlink(s, aw);
        co__io_end(aw->t->id, TR_OP_ACCEPT, CO_ECANCELED);
        co__wake(aw->t, TR_WAKE_IO, CO_ECANCELED);
    }
    if (s->fake)
        s->closed = 1; /* nothing to close: freed by its owner */
    else
        uv_close((uv_handle_t *)&s->h, on_close);
}

/* Closes s in the background; it is freed by its close callback. */
static void tcp_discard(co_tcp *s)
{
    s->release = 1;
    tcp_kill(s);
    if (s->fake)
        live_unlink_free(s);
}

/* For co_main once every task has ended, before it closes the loop's
 * remaining handles: closes the sockets the program never closed (a
 * listener nobody accepts on does not keep the loop alive) and frees them
 * at their close callbacks, so they do not leak. */
void co__tcp_close_all(void)
{
    co_tcp *s = live;
    while (s) {
        co_tcp *next = s->live_next;
        s->release = 1;
        if (s->closed)
            live_unlink_free(s);
        else
            tcp_kill(s);
        s = next;
    }
}

/* An IP literal at once; a host name through getaddrinfo (io_dns.c), a
 * wait traced at the caller's place. */
static int parse_addr(const char *host, int port, struct sockaddr_storage *ss,
                      const char *file, int line)
{
    if (!host || !*host || port < 0 || port > 65535)
        return CO_EINVAL;
    memset(ss, 0, sizeof *ss);
    if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0 ||
        uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    return co__resolve_at(host, port, ss, file, line);
}

/* ---- listen / accept ---- */

/* Takes the connection libuv holds for srv. */
static int take_conn(co_tcp *srv, co_tcp **out)
{
    int err;
    co_tcp *c = tcp_new(srv->h.loop, AF_UNSPEC, &err);
    if (!c)
        return err; /* libuv keeps the fd: a later accept retries */
    srv->pending = 0;
    err = uv_accept(stream(srv), stream(c));
    if (err) {
        tcp_discard(c);
        return err;
    }
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&c->h, &fd) == 0)
        c->fd = fd;
    *out = c;
    return 0;
}

/* "127.0.0.1:40312" for a socket address, "" if it has none. */
static void addr_name(const struct sockaddr_storage *ss, int ok, char *buf, size_t n)
{
    char ip[64] = "";
    int port = 0;
    buf[0] = '\0';
    if (ok != 0)
        return;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        uv_ip4_name(a, ip, sizeof ip);
        port = ntohs(a->sin_port);
        snprintf(buf, n, "%s:%d", ip, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        uv_ip6_name(a, ip, sizeof ip);
        port = ntohs(a->sin6_port);
        snprintf(buf, n, "[%s]:%d", ip, port);
    }
}

/* The `conn` trace line of a connection that just came up: its two
 * addresses let the reader pair both ends when they are in this process
 * (a read on one is then woken by a write on the other). */
static void trace_conn(uint64_t task, co_tcp *c)
{
    if (CO__RP_PLAY()) { /* the addresses are the recording's */
        co__rp_conn(task, c->fd, "", "");
        return;
    }
    if (!TR_ON() && !CO__RP_REC())
        return;
    struct sockaddr_storage l, p;
    int nl = sizeof l, np = sizeof p;
    char local[72], peer[72];
    addr_name(&l, uv_tcp_getsockname(&c->h, (struct sockaddr *)&l, &nl), local, sizeof local);
    addr_name(&p, uv_tcp_getpeername(&c->h, (struct sockaddr *)&p, &np), peer, sizeof peer);
    co__rp_conn(task, c->fd, local, peer);
}

static void on_connection(uv_stream_t *server, int status)
{
    co_tcp *srv = server->data;
    accept_waiter *aw = srv->acc_head;
    if (status == 0 && !aw) {
        srv->pending = 1; /* libuv stops accepting until we take it */
        return;
    }
    if (status < 0 && !aw) {
        srv->listen_err = status;
        return;
    }
    accept_unlink(srv, aw);
    int res = status;
    if (res == 0)
        res = take_conn(srv, &aw->conn);
    if (res == CO_ENOMEM)
        srv->pending = 1;
    if (res == 0)
        trace_conn(aw->t->id, aw->conn);
    co__io_end(aw->t->id, TR_OP_ACCEPT, res == 0 ? aw->conn->fd : res);
    co__wake(aw->t, TR_WAKE_IO, res);
}

int co_tcp_listen_at(const char *host, int port, co_tcp **out,
                     const char *file, int line)
{
    uv_loop_t *loop = co__loop();
    struct sockaddr_storage ss;
    if (!out || !loop)
        return CO_EINVAL;
    int err = parse_addr(host, port, &ss, file, line);
    if (err)
        return err;
    uint64_t id = co__cur_id();
    co_tcp *s;
    if (CO__RP_PLAY()) {
        co__rp_val v;
        co__rp_take("co_tcp_listen", &v);
        if (v.shape == CO__RP_SILENT)
            return (int)v.res;
        s = tcp_fake(v.fd);
        err = (int)v.res;
    } else {
        s = tcp_new(loop, ss.ss_family, &err);
        if (!s) {
            co__rp_out(CO__RP_SILENT, err, -1, NULL, 0);
            return err;
        }
        err = uv_tcp_bind(&s->h, (const struct sockaddr *)&ss, 0);
        if (!err)
            err = uv_listen(stream(s), LISTEN_BACKLOG, on_connection);
        co__rp_out(CO__RP_IO, err, s->fd, NULL, 0);
    }
    CO__TRACE(tr_rec_io(id, TR_OP_LISTEN, s->fd, -1, err));
    if (err) {
        tcp_discard(s);
        return err;
    }
    s->listening = 1;
    if (!s->fake)
        uv_unref((uv_handle_t *)&s->h);
    *out = s;
    return 0;
}

#undef co_tcp_listen
int co_tcp_listen(const char *host, int port, co_tcp **out)
{
    return co_tcp_listen_at(host, port, out, NULL, 0);
}

int co_tcp_port(const co_tcp *s)
{
    struct sockaddr_storage ss;
    int n = sizeof ss;
    if (!s || s->closing)
        return CO_EINVAL;
    if (CO__RP_PLAY()) {
        co__rp_val v;
        co__rp_take("co_tcp_port", &v);
        return (int)v.res;
    }
    int port = uv_tcp_getsockname(&s->h, (struct sockaddr *)&ss, &n);
    if (port == 0 && ss.ss_family == AF_INET)
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else if (port == 0)
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    co__rp_out(CO__RP_SILENT, port, -1, NULL, 0);
    return port;
}

static void accept_cancel(co_task *t, co__wait *w, int err)
{
    accept_waiter *aw = w->ctx;
    accept_unlink(aw->server, aw);
    co__io_end(t->id, TR_OP_ACCEPT, err);
    co__wake(t, cancel_why(err), err);
}

int co_tcp_accept_at(co_tcp *server, co_tcp **out, const char *file, int line)
{
    if (!server || !out || !server->listening)
        return CO_EINVAL;
    if (server->closing)
        return CO_EBADF;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_ACCEPT, server->fd, -1, file,
                           line);
    if (err)
        return err;
    co_task *self = co__current();
    if (CO__RP_PLAY())
        return rp_accept(server, self, out, file, line);
    if (server->listen_err || server->pending) { /* no need to wait */
        co_tcp *c = NULL;
        err = server->listen_err;
        server->listen_err = 0;
        if (!err)
            err = take_conn(server, &c);
        co__rp_out(CO__RP_IO, err, err ? -1 : c->fd, NULL, 0);
        if (!err)
            trace_conn(self->id, c);
        CO__TRACE(tr_rec_io(self->id, TR_OP_ACCEPT, server->fd, -1,
                            err ? err : c->fd));
        if (!err)
            *out = c;
        return err;
    }
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_ACCEPT, server->fd, -1));
    accept_waiter aw = {.t = self, .server = server};
    if (server->acc_tail)
        server->acc_tail->next = &aw;
    else
        server->acc_head = &aw;
    server->acc_tail = &aw;
    uv_ref((uv_handle_t *)&server->h);
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_ACCEPT, .fd = server->fd,
                  .ms = -1, .file = file, .line = line,
                  .cancel = accept_cancel, .ctx = &aw};
    co__rp_park();
    err = co__park(&w);
    co__rp_res(err, err ? -1 : aw.conn->fd, NULL, 0);
    if (!err)
        *out = aw.conn;
    return err;
}

#undef co_tcp_accept
int co_tcp_accept(co_tcp *server, co_tcp **out)
{
    return co_tcp_accept_at(server, out, NULL, 0);
}

/* ---- connect ---- */

static void on_connect(uv_connect_t *req, int status)
{
    io_req *r = req->data;
    r->res = r->cancel_err ? r->cancel_err : status;
    if (r->res == 0)
        trace_conn(r->t->id, r->s);
    co__io_end(r->t->id, TR_OP_CONNECT, r->res);
    if (r->res < 0)
        tcp_discard(r->s); /* no-op when the cancel already did */
    co__wake(r->t, r->cancel_err ? cancel_why(r->cancel_err) : TR_WAKE_IO, 0);
}

/* Closing the handle makes libuv call on_connect with UV_ECANCELED during
 * the close; the task wakes there, when the request is off its stack. */
static void connect_cancel(co_task *t, co__wait *w, int err)
{
    io_req *r = w->ctx;
    (void)t;
    if (r->cancel_err)
        return; /* a second delivery (timeout, then cancel) */
    r->cancel_err = err;
    tcp_discard(r->s);
}

int co_tcp_connect_at(const char *host, int port, co_tcp **out,
                      const char *file, int line)
{
    uv_loop_t *loop = co__loop();
    struct sockaddr_storage ss;
    if (!out || port == 0)
        return CO_EINVAL;
    /* A host name is looked up first, and a refused call is refused (and
     * traced) there, as the `dns` wait it would have made. */
    int err = parse_addr(host, port, &ss, file, line);
    if (!err)
        err = co__check_at(TR_WAIT_IO, 0, TR_OP_CONNECT, -1, -1, file, line);
    if (err)
        return err;
    if (CO__RP_PLAY())
        return rp_connect(out, file, line);
    co_tcp *s = tcp_new(loop, ss.ss_family, &err);
    if (!s) {
        co__rp_out(CO__RP_SILENT, err, -1, NULL, 0);
        return err;
    }
    co_task *self = co__current();
    io_req r = {.t = self, .s = s, .op = TR_OP_CONNECT};
    r.uv.connect.data = &r;
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_CONNECT, s->fd, -1));
    err = uv_tcp_connect(&r.uv.connect, &s->h, (const struct sockaddr *)&ss,
                         on_connect);
    co__rp_out(err ? CO__RP_BEGIN_END : CO__RP_PARKS, err, s->fd, NULL, 0);
    if (err) {
        co__io_end(self->id, TR_OP_CONNECT, err);
        tcp_discard(s);
        return err;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_CONNECT, .fd = s->fd,
                  .ms = -1, .file = file, .line = line,
                  .cancel = connect_cancel, .ctx = &r};
    co__park(&w);
    co__rp_res(r.res, -1, NULL, 0);
    if (r.res < 0)
        return (int)r.res; /* s is being freed by its close callback */
    *out = s;
    return 0;
}

#undef co_tcp_connect
int co_tcp_connect(const char *host, int port, co_tcp **out)
{
    return co_tcp_connect_at(host, port, out, NULL, 0);
}

/* ---- read ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    co_tcp *s = h->data;
    (void)suggested;
    /* Read straight into the caller's buffer: no copy, no buffering. */
    buf->base = s->reader ? s->reader->buf : NULL;
    buf->len = s->reader ? s->reader->len : 0;
}

/* After a read that parked, libuv keeps reading the socket: stopping at
 * each delivery and starting at the next parked read cost two epoll_ctl
 * calls a read (libuv's stop leaves the fd in epoll, so the next start's
 * ADD fails with EEXIST and is retried as MOD): two of the five system
 * calls of an exchange with a peer in the same process (strace). While no task reads,
 * the handle is unreferenced (an idle socket keeps nothing alive, as
 * before); data that arrives then stops the reading (libuv asks for a
 * buffer first; none is given, nothing is read), and a read that finds its
 * bytes directly (the fast path in co_read_at) stops it too: that peer is
 * quick, and a watcher would only wake the loop for what recv takes. */
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    co_tcp *s = st->data;
    io_req *r = s->reader;
    (void)buf;
    if (nread == 0)
        return; /* EAGAIN: keep waiting */
    if (!r || nread < 0) {
        read_stop(s); /* data with no reader (UV_ENOBUFS), or EOF / an error */
        if (!r)
            return;
    } else {
        uv_unref((uv_handle_t *)st); /* still reading; nobody waits */
        s->armed = 1;
    }
    s->reader = NULL;
    r->res = nread == UV_EOF ? 0 : nread;
    co__io_end(r->t->id, TR_OP_READ, r->res);
    co__wake(r->t, TR_WAKE_IO, 0);
}

static void read_cancel(co_task *t, co__wait *w, int err)
{
    io_req *r = w->ctx;
    if (r->s->reader == r) {
        r->s->reader = NULL;
        if (!r->s->fake)
            read_stop(r->s);
    }
    r->res = err;
    co__io_end(t->id, TR_OP_READ, err);
    co__wake(t, cancel_why(err), err);
}

/* Bytes read ahead, served without touching the socket: one `io` line. */
static ssize_t take_ahead(co_tcp *s, co_task *self, void *buf, size_t len)
{
    size_t n = len < s->nahead ? len : s->nahead;
    memcpy(buf, s->ahead, n);
    memmove(s->ahead, s->ahead + n, s->nahead - n);
    s->nahead -= n;
    CO__TRACE(tr_rec_io(self->id, TR_OP_READ, s->fd, (int64_t)len, (int64_t)n));
    return (ssize_t)n;
}

int co__tcp_unread(co_tcp *s, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    char *b = malloc(s->nahead + n);
    if (!b)
        return CO_ENOMEM;
    memcpy(b, p, n); /* in front of what was ahead already */
    if (s->nahead)
        memcpy(b + n, s->ahead, s->nahead);
    free(s->ahead);
    s->ahead = b;
    s->nahead += n;
    return 0;
}

ssize_t co_read_at(co_tcp *s, void *buf, size_t len, const char *file,
                   int line)
{
    if (!s || !buf || len == 0 || s->listening)
        return CO_EINVAL;
    if (s->closing)
        return CO_EBADF;
    if (s->reader)
        return CO_EBUSY;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_READ, s->fd, -1, file, line);
    if (err)
        return err;
    co_task *self = co__current();
    if (len > INT32_MAX)
        len = INT32_MAX;
    if (s->nahead) /* read ahead by a buffered read: those come first */
        return take_ahead(s, self, buf, len);
    if (CO__RP_PLAY())
        return rp_read(s, self, buf, len, file, line);
    /* Fast path: when bytes are already there, take them without a trip
     * through the poller. Only this task reads the socket, and libuv reads
     * it only for a parked reader, so a direct recv cannot race with it.
     * Traced as one `io` line. */
    if (s->fd >= 0 && s->fast_streak < FAST_STREAK) {
        ssize_t n = recv((int)s->fd, buf, len, MSG_DONTWAIT);
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR)) {
            if (n < 0)
                n = -errno;
            if (s->armed)
                read_stop(s);
            s->fast_streak++;
            co__rp_out(CO__RP_IO, n, -1, buf, n > 0 ? (size_t)n : 0);
            CO__TRACE(tr_rec_io(self->id, TR_OP_READ, s->fd, (int64_t)len, n));
            return n;
        }
    }
    s->fast_streak = 0;
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_READ, s->fd, (int64_t)len));
    io_req r = {.t = self, .s = s, .op = TR_OP_READ, .buf = buf, .len = len};
    s->reader = &r;
    if (s->armed) { /* still reading since the last delivery */
        uv_ref((uv_handle_t *)stream(s));
        s->armed = 0;
        err = 0;
    } else {
        err = uv_read_start(stream(s), on_alloc, on_read);
    }
    co__rp_out(err ? CO__RP_BEGIN_END : CO__RP_PARKS, err, -1, NULL, 0);
    if (err) {
        s->reader = NULL;
        co__io_end(self->id, TR_OP_READ, err);
        return err;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_READ, .fd = s->fd, .ms = -1,
                  .file = file, .line = line, .cancel = read_cancel,
                  .ctx = &r};
    co__park(&w);
    co__rp_res(r.res, -1, buf, r.res > 0 ? (size_t)r.res : 0);
    return r.res;
}

#undef co_read
ssize_t co_read(co_tcp *s, void *buf, size_t len)
{
    return co_read_at(s, buf, len, NULL, 0);
}

/* ---- write ---- */

static void on_write(uv_write_t *req, int status)
{
    io_req *r = req->data;
    if (r->cancel_err)
        r->res = r->cancel_err;
    else
        r->res = status < 0 ? status : (ssize_t)r->len;
    co__io_end(r->t->id, TR_OP_WRITE, r->res);
    co__wake(r->t, r->cancel_err ? cancel_why(r->cancel_err) : TR_WAKE_IO, 0);
}

/* The bytes may be half sent: the stream is unusable after this anyway,
 * so close it; libuv then fails the write with UV_ECANCELED during the
 * close and on_write wakes the task once the buffer is no longer used. */
static void write_cancel(co_task *t, co__wait *w, int err)
{
    io_req *r = w->ctx;
    (void)t;
    if (r->cancel_err)
        return;
    r->cancel_err = err;
    tcp_kill(r->s);
}

ssize_t co_write_at(co_tcp *s, const void *buf, size_t len, const char *file,
                    int line)
{
    if (!s || (!buf && len) || s->listening)
        return CO_EINVAL;
    if (s->closing)
        return CO_EBADF;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_WRITE, s->fd, -1, file, line);
    if (err)
        return err;
    if (len == 0)
        return 0;
    co_task *self = co__current();
    if (co__rp_mode)
        co__rp_written("co_write", buf, len);
    if (CO__RP_PLAY())
        return rp_write(s, self, len, file, line);
    /* Fast path: the socket buffer takes it all. uv_try_write refuses while
     * other writes are queued, which keeps the bytes in order. Done at once,
     * it is traced as one `io` line; else io_begin / io_end around the wait
     * for the rest. */
    size_t off = 0;
    while (off < len && s->fast_streak < FAST_STREAK) {
        size_t chunk = len - off < (1u << 30) ? len - off : (1u << 30);
        uv_buf_t b = {.base = (char *)buf + off, .len = chunk};
        int n = uv_try_write(stream(s), &b, 1);
        if (n == UV_EAGAIN)
            break;
        if (n < 0) {
            co__rp_out(CO__RP_IO, n, -1, NULL, 0);
            CO__TRACE(tr_rec_io(self->id, TR_OP_WRITE, s->fd, (int64_t)len, n));
            return n;
        }
        off += (size_t)n;
        if ((size_t)n < chunk)
            break;
    }
    if (off == len) {
        co__rp_out(CO__RP_IO, (int64_t)len, -1, NULL, 0);
        s->fast_streak++;
        CO__TRACE(tr_rec_io(self->id, TR_OP_WRITE, s->fd, (int64_t)len,
                            (int64_t)len));
        return (ssize_t)len;
    }
    s->fast_streak = 0;
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_WRITE, s->fd, (int64_t)len));
    io_req r = {.t = self, .s = s, .op = TR_OP_WRITE, .len = len};
    r.uv.write.data = &r;
    uv_buf_t rest = {.base = (char *)buf + off, .len = len - off};
    err = uv_write(&r.uv.write, stream(s), &rest, 1, on_write);
    co__rp_out(err ? CO__RP_BEGIN_END : CO__RP_PARKS, err, -1, NULL, 0);
    if (err) {
        co__io_end(self->id, TR_OP_WRITE, err);
        return err;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_WRITE, .fd = s->fd, .ms = -1,
                  .file = file, .line = line, .cancel = write_cancel,
                  .ctx = &r};
    co__park(&w);
    co__rp_res(r.res, -1, NULL, 0);
    return r.res;
}

#undef co_write
ssize_t co_write(co_tcp *s, const void *buf, size_t len)
{
    return co_write_at(s, buf, len, NULL, 0);
}

/* ---- close ---- */

static void close_cancel(co_task *t, co__wait *w, int err)
{
    co_tcp *s = w->ctx;
    s->closer = NULL; /* on_close still frees s */
    co__io_end(t->id, TR_OP_CLOSE, err);
    co__wake(t, cancel_why(err), err);
}

/* s is released in every case; a cancelled or timed-out caller gets the
 * error at once and the close finishes in the background. */
int co_close_at(co_tcp *s, const char *file, int line)
{
    if (!s)
        return CO_EINVAL;
    co_task *self = co__current();
    int err = self ? co__check() : 0;
    int64_t fd = s->fd;
    s->release = 1;
    if (CO__RP_PLAY() && self && !err)
        return rp_close(s, self, file, line);
    if (s->closed) { /* a cancelled write or connect closed it already */
        live_unlink_free(s);
        if (self && !err)
            co__rp_out(CO__RP_IO, 0, -1, NULL, 0);
        if (self)
            CO__TRACE(tr_rec_io(self->id, TR_OP_CLOSE, fd, -1, err));
        return err;
    }
    tcp_kill(s);
    if (s->fake) /* a replay's, closed by a task refused its wait */
        live_unlink_free(s);
    if (!self || err) {
        if (self)
            CO__TRACE(tr_rec_io(self->id, TR_OP_CLOSE, fd, -1, err));
        return err;
    }
    co__rp_park();
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_CLOSE, fd, -1));
    s->closer = self;
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_CLOSE, .fd = s->fd,
                  .ms = -1, .file = file, .line = line,
                  .cancel = close_cancel, .ctx = s};
    return co__park(&w);
}

#undef co_close
int co_close(co_tcp *s)
{
    return co_close_at(s, NULL, 0);
}

/* For io_sock.c: the libuv handle of an open connection, NULL once closing
 * (or for NULL). */
uv_tcp_t *co__tcp_uv(co_tcp *s)
{
    return s && !s->closing && !s->fake ? &s->h : NULL;
}

int co__tcp_replay_open(co_tcp *s, int64_t *fd)
{
    if (!s || !s->fake || s->closing)
        return 0;
    *fd = s->fd;
    return 1;
}

/* ---- replay ----
 * Each mirrors its call after the checks: the log says whether the call
 * completed at once (and with which trace lines) or parked; a parked one
 * is woken by the log's driver, which also writes the io_end (and conn)
 * lines the loop wrote, and then takes its result from the log. */

/* What on_connection and on_read do besides the wake-up. */
static void rp_accept_woken(co_task *t, co__wait *w, int result)
{
    accept_waiter *aw = w->ctx;
    (void)t;
    (void)result;
    accept_unlink(aw->server, aw);
}

static void rp_read_woken(co_task *t, co__wait *w, int result)
{
    io_req *r = w->ctx;
    (void)t;
    (void)result;
    if (r->s->reader == r)
        r->s->reader = NULL;
}

CO__PARKS_INLINE int rp_accept(co_tcp *srv, co_task *self, co_tcp **out,
                     const char *file, int line)
{
    co__rp_val v;
    co__rp_take("co_tcp_accept", &v);
    if (v.shape != CO__RP_PARKS) {
        co_tcp *c = v.res == 0 ? tcp_fake(v.fd) : NULL;
        if (c)
            trace_conn(self->id, c);
        CO__TRACE(tr_rec_io(self->id, TR_OP_ACCEPT, srv->fd, -1,
                            c ? c->fd : v.res));
        if (c)
            *out = c;
        return (int)v.res;
    }
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_ACCEPT, srv->fd, -1));
    accept_waiter aw = {.t = self, .server = srv};
    if (srv->acc_tail)
        srv->acc_tail->next = &aw;
    else
        srv->acc_head = &aw;
    srv->acc_tail = &aw;
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_ACCEPT, .fd = srv->fd,
                  .ms = -1, .file = file, .line = line,
                  .cancel = accept_cancel, .ctx = &aw};
    w.replay_wake = rp_accept_woken;
    co__park(&w);
    co__rp_take_res("co_tcp_accept", &v);
    if (v.res == 0)
        *out = tcp_fake(v.fd);
    return (int)v.res;
}

/* A cancelled connect in a replay: the recording's callback (ECANCELED,
 * with its io_end and wake-up) comes from the log. */
static void rp_connect_cancel(co_task *t, co__wait *w, int err)
{
    io_req *r = w->ctx;
    (void)t;
    if (r->cancel_err)
        return;
    r->cancel_err = err;
    tcp_discard(r->s);
    r->s = NULL;
}

CO__PARKS_INLINE int rp_connect(co_tcp **out, const char *file, int line)
{
    co_task *self = co__current();
    co__rp_val v;
    co__rp_take("co_tcp_connect", &v);
    if (v.shape == CO__RP_SILENT)
        return (int)v.res;
    co_tcp *s = tcp_fake(v.fd);
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_CONNECT, s->fd, -1));
    if (v.shape == CO__RP_BEGIN_END) {
        CO__TRACE(tr_rec_io_end(self->id, TR_OP_CONNECT, v.res));
        tcp_discard(s);
        return (int)v.res;
    }
    io_req r = {.t = self, .s = s, .op = TR_OP_CONNECT};
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_CONNECT, .fd = s->fd,
                  .ms = -1, .file = file, .line = line,
                  .cancel = rp_connect_cancel, .ctx = &r};
    co__park(&w);
    co__rp_take_res("co_tcp_connect", &v);
    if (v.res < 0) {
        if (r.s)
            tcp_discard(r.s);
        return (int)v.res;
    }
    *out = s;
    return 0;
}

CO__PARKS_INLINE ssize_t rp_read(co_tcp *s, co_task *self, void *buf, size_t len,
                       const char *file, int line)
{
    co__rp_val v;
    co__rp_take("co_read", &v);
    if (v.shape == CO__RP_IO) {
        co__rp_copy(&v, buf, len);
        CO__TRACE(tr_rec_io(self->id, TR_OP_READ, s->fd, (int64_t)len, v.res));
        return v.res;
    }
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_READ, s->fd, (int64_t)len));
    if (v.shape == CO__RP_BEGIN_END) {
        CO__TRACE(tr_rec_io_end(self->id, TR_OP_READ, v.res));
        return v.res;
    }
    io_req r = {.t = self, .s = s, .op = TR_OP_READ, .buf = buf, .len = len};
    s->reader = &r;
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_READ, .fd = s->fd, .ms = -1,
                  .file = file, .line = line, .cancel = read_cancel,
                  .ctx = &r, .replay_wake = rp_read_woken};
    co__park(&w);
    co__rp_take_res("co_read", &v);
    co__rp_copy(&v, buf, len);
    return v.res;
}

/* A cancelled write in a replay closes the connection as it did when
 * recorded; the write's callback comes from the log. */
static void rp_write_cancel(co_task *t, co__wait *w, int err)
{
    io_req *r = w->ctx;
    (void)t;
    if (r->cancel_err)
        return;
    r->cancel_err = err;
    tcp_kill(r->s);
}

CO__PARKS_INLINE ssize_t rp_write(co_tcp *s, co_task *self, size_t len, const char *file,
                        int line)
{
    co__rp_val v;
    co__rp_take("co_write", &v);
    if (v.shape == CO__RP_IO) {
        CO__TRACE(tr_rec_io(self->id, TR_OP_WRITE, s->fd, (int64_t)len, v.res));
        return v.res;
    }
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_WRITE, s->fd, (int64_t)len));
    if (v.shape == CO__RP_BEGIN_END) {
        CO__TRACE(tr_rec_io_end(self->id, TR_OP_WRITE, v.res));
        return v.res;
    }
    io_req r = {.t = self, .s = s, .op = TR_OP_WRITE, .len = len};
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_WRITE, .fd = s->fd, .ms = -1,
                  .file = file, .line = line, .cancel = rp_write_cancel,
                  .ctx = &r};
    co__park(&w);
    co__rp_take_res("co_write", &v);
    return v.res;
}

CO__PARKS_INLINE int rp_close(co_tcp *s, co_task *self, const char *file, int line)
{
    co__rp_val v;
    int64_t fd = s->fd;
    co__rp_take("co_close", &v);
    tcp_kill(s);
    if (v.shape != CO__RP_PARKS) {
        live_unlink_free(s);
        CO__TRACE(tr_rec_io(self->id, TR_OP_CLOSE, fd, -1, 0));
        return 0;
    }
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_CLOSE, fd, -1));
    s->closer = self;
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_CLOSE, .fd = fd, .ms = -1,
                  .file = file, .line = line, .cancel = close_cancel,
                  .ctx = s};
    int err = co__park(&w);
    live_unlink_free(s);
    return err;
}
