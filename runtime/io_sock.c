/* runtime/io_sock.c: what a server does to a connection besides reading
 * and writing: half-close it (co_shutdown, a blocking call on
 * uv_shutdown), ask whom it talks to (co_tcp_peer / co_tcp_local), and set
 * TCP_NODELAY and keepalive. Kept apart from io_tcp.c, which owns the
 * connection's life; this file reaches the handle through co__tcp_uv. */
#include "co_int.h"
#include "replay_int.h"

#include <string.h>

typedef struct shut_req {
    uv_shutdown_t uv;
    co_task *t;
    int cancel_err;
    int done;
} shut_req;

static void on_shutdown(uv_shutdown_t *req, int status)
{
    shut_req *r = req->data;
    r->done = 1;
    co__io_end(r->t->id, TR_OP_SHUTDOWN, status);
    int err = r->cancel_err ? r->cancel_err : status;
    co__wake(r->t, r->cancel_err ? co__cancel_why(r->cancel_err) : TR_WAKE_IO, err);
}

/* libuv cannot withdraw a shutdown: the call waits for its callback (it
 * comes once the writes queued before it are out), then returns the
 * error. */
static void shut_cancel(co_task *t, co__wait *w, int err)
{
    (void)t;
    shut_req *r = w->ctx;
    if (!r->cancel_err)
        r->cancel_err = err;
}

/* A replay's half-close: the recorded outcome; a wait's wake-up and
 * io_end come from the log. */
CO__PARKS_INLINE int rp_shutdown(co_tcp *s, const char *file, int line)
{
    int64_t fd;
    if (!s)
        return CO_EINVAL;
    if (!co__tcp_replay_open(s, &fd))
        return CO_EBADF;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_SHUTDOWN, fd, -1, file, line);
    if (err)
        return err;
    shut_req r = {.t = co__current()};
    co__rp_val v;
    CO__TRACE(tr_rec_io_begin(r.t->id, TR_OP_SHUTDOWN, fd, -1));
    co__rp_take("co_shutdown", &v);
    if (v.shape != CO__RP_PARKS) {
        CO__TRACE(tr_rec_io_end(r.t->id, TR_OP_SHUTDOWN, v.res));
        return (int)v.res;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_SHUTDOWN, .fd = fd, .ms = -1,
                  .file = file, .line = line, .cancel = shut_cancel, .ctx = &r};
    return co__park(&w);
}

int co_shutdown_at(co_tcp *s, const char *file, int line)
{
    if (CO__RP_PLAY())
        return rp_shutdown(s, file, line);
    uv_tcp_t *h = co__tcp_uv(s);
    if (!s)
        return CO_EINVAL;
    if (!h)
        return CO_EBADF;
    uv_os_fd_t fd = -1;
    uv_fileno((uv_handle_t *)h, &fd);
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_SHUTDOWN, fd, -1, file, line);
    if (err)
        return err;
    shut_req r = {.t = co__current()};
    r.uv.data = &r;
    CO__TRACE(tr_rec_io_begin(r.t->id, TR_OP_SHUTDOWN, fd, -1));
    err = uv_shutdown(&r.uv, (uv_stream_t *)h, on_shutdown);
    co__rp_out(err ? CO__RP_BEGIN_END : CO__RP_PARKS, err, -1, NULL, 0);
    if (err) {
        co__io_end(r.t->id, TR_OP_SHUTDOWN, err);
        return err;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_SHUTDOWN, .fd = fd, .ms = -1,
                  .file = file, .line = line, .cancel = shut_cancel, .ctx = &r};
    int rc = co__park(&w);
    assert(r.done && "woken before the shutdown finished");
    return rc;
}

#undef co_shutdown
int co_shutdown(co_tcp *s)
{
    return co_shutdown_at(s, NULL, 0);
}

static int name_of(const struct sockaddr_storage *ss, char *host, size_t n, int *port)
{
    int err;
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        err = host ? uv_ip6_name(a, host, n) : 0;
        if (port)
            *port = ntohs(a->sin6_port);
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        err = host ? uv_ip4_name(a, host, n) : 0;
        if (port)
            *port = ntohs(a->sin_port);
    } else {
        return CO_EINVAL;
    }
    return err;
}

/* Whether s is open, the same question in a replay (no handle there). */
static int is_open(co_tcp *s, uv_tcp_t **h)
{
    int64_t fd;
    *h = co__tcp_uv(s);
    return CO__RP_PLAY() ? co__tcp_replay_open(s, &fd) : *h != NULL;
}

/* A replay's answer of a call that asks the socket: its result, and a
 * port (in fd) and a host name (the data) for the address calls. */
static int rp_answer(const char *what, char *host, size_t n, int *port)
{
    co__rp_val v;
    co__rp_take(what, &v);
    if (host && n) {
        size_t k = co__rp_copy(&v, host, n - 1);
        host[k] = '\0';
    }
    if (port && v.res == 0)
        *port = (int)v.fd;
    return (int)v.res;
}

static int addr_of(co_tcp *s, int peer, char *host, size_t n, int *port)
{
    uv_tcp_t *h;
    if (!s || (host && n == 0))
        return CO_EINVAL;
    if (!is_open(s, &h))
        return CO_EBADF;
    if (CO__RP_PLAY())
        return rp_answer(peer ? "co_tcp_peer" : "co_tcp_local", host, n, port);
    struct sockaddr_storage ss;
    int len = sizeof ss, p = 0;
    memset(&ss, 0, sizeof ss);
    int err = peer ? uv_tcp_getpeername(h, (struct sockaddr *)&ss, &len)
                   : uv_tcp_getsockname(h, (struct sockaddr *)&ss, &len);
    if (!err)
        err = name_of(&ss, host, n, &p);
    if (!err && port)
        *port = p;
    co__rp_out(CO__RP_SILENT, err, p, err || !host ? NULL : host,
               err || !host ? 0 : strlen(host));
    return err;
}

int co_tcp_peer(co_tcp *s, char *host, size_t n, int *port)
{
    return addr_of(s, 1, host, n, port);
}

int co_tcp_local(co_tcp *s, char *host, size_t n, int *port)
{
    return addr_of(s, 0, host, n, port);
}

int co_tcp_nodelay(co_tcp *s, int on)
{
    uv_tcp_t *h;
    if (!s)
        return CO_EINVAL;
    if (!is_open(s, &h))
        return CO_EBADF;
    if (CO__RP_PLAY())
        return rp_answer("co_tcp_nodelay", NULL, 0, NULL);
    int err = uv_tcp_nodelay(h, on != 0);
    co__rp_out(CO__RP_SILENT, err, -1, NULL, 0);
    return err;
}

int co_tcp_keepalive(co_tcp *s, int on, unsigned delay_s)
{
    uv_tcp_t *h;
    if (!s || (on && delay_s == 0))
        return CO_EINVAL;
    if (!is_open(s, &h))
        return CO_EBADF;
    if (CO__RP_PLAY())
        return rp_answer("co_tcp_keepalive", NULL, 0, NULL);
    int err = uv_tcp_keepalive(h, on != 0, delay_s);
    co__rp_out(CO__RP_SILENT, err, -1, NULL, 0);
    return err;
}

int co_tcp_fd(co_tcp *s)
{
    uv_tcp_t *h = co__tcp_uv(s);
    int64_t rfd;
    if (!s)
        return CO_EINVAL;
    if (CO__RP_PLAY()) /* the recorded number: no socket behind it */
        return co__tcp_replay_open(s, &rfd) ? (int)rfd : CO_EBADF;
    uv_os_fd_t fd = -1;
    if (!h)
        return CO_EBADF;
    int err = uv_fileno((uv_handle_t *)h, &fd);
    return err ? err : fd;
}
