/* runtime/io_udp.c: UDP sockets for tasks. A receive waits for one
 * datagram straight into the caller's buffer (libuv's alloc callback hands
 * it over) and stops reading, so datagrams that come while nobody waits
 * stay in the kernel's queue; a send tries the socket at once and waits
 * for libuv only when the kernel buffer is full. Both are blocking calls
 * traced as io waits (ops udp_recv / udp_send) at the caller's place. */
#include "co_int.h"
#include "replay_int.h"

#include <stdlib.h>
#include <string.h>

struct co_udp {
    uv_udp_t h;
    int64_t fd;
    struct recv_req *reader;
    co_udp *prev, *next; /* open sockets, closed by co_main at its end */
    int fake;            /* a replay's: the recorded fd, no socket */
};


static co_udp *open_udp;

static void open_unlink(co_udp *u)
{
    if (u->prev)
        u->prev->next = u->next;
    else
        open_udp = u->next;
    if (u->next)
        u->next->prev = u->prev;
    u->prev = u->next = NULL;
}

typedef struct recv_req {
    co_task *t;
    co_udp *u;
    char *buf;
    size_t len;
    ssize_t res;
    struct sockaddr_storage from;
} recv_req;

static int addr_of(const char *host, int port, struct sockaddr_storage *ss)
{
    if (!host || port < 0 || port > 65535)
        return CO_EINVAL;
    memset(ss, 0, sizeof *ss);
    if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0 ||
        uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    return CO_EINVAL;
}

static void free_handle(uv_handle_t *h)
{
    free(h->data);
}

static void open_link(co_udp *u)
{
    u->next = open_udp;
    if (open_udp)
        open_udp->prev = u;
    open_udp = u;
}

/* Closes u's handle (frees u at its close callback), or frees a replay's. */
static void udp_release(co_udp *u)
{
    if (u->fake)
        free(u);
    else
        uv_close((uv_handle_t *)&u->h, free_handle);
}

/* A replay's bind: the recorded result and fd. */
static int rp_bind(co_udp **out)
{
    co__rp_val v;
    co__rp_take("co_udp_bind", &v);
    if (v.res < 0)
        return (int)v.res;
    co_udp *u = calloc(1, sizeof *u);
    if (!u)
        co__rp_diverged("out of memory");
    u->fake = 1;
    u->fd = v.fd;
    open_link(u);
    CO__TRACE(tr_rec_io(co__cur_id(), TR_OP_LISTEN, u->fd, -1, 0));
    *out = u;
    return 0;
}

int co_udp_bind(const char *host, int port, co_udp **out)
{
    uv_loop_t *loop = co__loop();
    struct sockaddr_storage ss;
    if (!out || !loop)
        return CO_EINVAL;
    int err = addr_of(host, port, &ss);
    if (err)
        return err;
    if (CO__RP_PLAY())
        return rp_bind(out);
    co_udp *u = calloc(1, sizeof *u);
    if (!u)
        return CO_ENOMEM;
    err = uv_udp_init_ex(loop, &u->h, ss.ss_family);
    if (err) {
        free(u);
        co__rp_out(CO__RP_SILENT, err, -1, NULL, 0);
        return err;
    }
    u->h.data = u;
    err = uv_udp_bind(&u->h, (const struct sockaddr *)&ss, 0);
    if (err) {
        uv_close((uv_handle_t *)&u->h, free_handle);
        co__rp_out(CO__RP_SILENT, err, -1, NULL, 0);
        return err;
    }
    uv_os_fd_t fd;
    u->fd = uv_fileno((uv_handle_t *)&u->h, &fd) == 0 ? fd : -1;
    uv_unref((uv_handle_t *)&u->h); /* a socket nobody waits on keeps nothing alive */
    open_link(u);
    co__rp_out(CO__RP_IO, 0, u->fd, NULL, 0);
    CO__TRACE(tr_rec_io(co__cur_id(), TR_OP_LISTEN, u->fd, -1, 0));
    *out = u;
    return 0;
}

int co_udp_port(const co_udp *u)
{
    if (!u)
        return CO_EINVAL;
    if (CO__RP_PLAY()) {
        co__rp_val v;
        co__rp_take("co_udp_port", &v);
        return (int)v.res;
    }
    struct sockaddr_storage ss;
    int len = sizeof ss;
    int port = uv_udp_getsockname(&u->h, (struct sockaddr *)&ss, &len);
    if (port == 0)
        port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                              : ((struct sockaddr_in *)&ss)->sin_port);
    co__rp_out(CO__RP_SILENT, port, -1, NULL, 0);
    return port;
}

/* ---- receive ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)suggested;
    co_udp *u = h->data;
    *b = uv_buf_init(u->reader ? u->reader->buf : NULL,
                     u->reader ? (unsigned)u->reader->len : 0);
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *addr,
                    unsigned flags)
{
    (void)b;
    (void)flags; /* UV_UDP_PARTIAL: cut to the buffer, as recvfrom does */
    co_udp *u = h->data;
    recv_req *r = u->reader;
    if (!r || (n == 0 && !addr))
        return; /* nothing more to read for now */
    if (addr)
        memcpy(&r->from, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in));
    uv_udp_recv_stop(h);
    uv_unref((uv_handle_t *)h);
    u->reader = NULL;
    r->res = n;
    co__io_end(r->t->id, TR_OP_UDP_RECV, n);
    co__wake(r->t, TR_WAKE_IO, 0);
}

static void recv_cancel(co_task *t, co__wait *w, int err)
{
    recv_req *r = w->ctx;
    if (!r->u->fake) {
        uv_udp_recv_stop(&r->u->h);
        uv_unref((uv_handle_t *)&r->u->h);
    }
    r->u->reader = NULL;
    r->res = err;
    co__io_end(t->id, TR_OP_UDP_RECV, err);
    co__wake(t, co__cancel_why(err), err);
}

static void from_name(const struct sockaddr_storage *ss, char *host, size_t n, int *port)
{
    if (ss->ss_family == AF_INET6) {
        if (host)
            uv_ip6_name((const struct sockaddr_in6 *)ss, host, n);
        if (port)
            *port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    } else {
        if (host)
            uv_ip4_name((const struct sockaddr_in *)ss, host, n);
        if (port)
            *port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
    }
}

/* The replay log keeps a datagram as its sender's address, then its
 * bytes. */
static void recv_log(const recv_req *r)
{
    if (!CO__RP_REC())
        return;
    size_t n = r->res > 0 ? (size_t)r->res : 0;
    char *p = malloc(sizeof r->from + n);
    if (p) {
        memcpy(p, &r->from, sizeof r->from);
        memcpy(p + sizeof r->from, r->buf, n);
    }
    co__rp_res(r->res, -1, p, p ? sizeof r->from + n : 0);
    free(p);
}

static void rp_recv_woken(co_task *t, co__wait *w, int result)
{
    recv_req *r = w->ctx;
    (void)t;
    (void)result;
    r->u->reader = NULL;
}

/* A replay's receive: the recorded outcome, datagram and sender. */
CO__PARKS_INLINE ssize_t rp_recv(recv_req *r, char *from, size_t n, int *port,
                       const char *file, int line)
{
    co__rp_val v;
    co__rp_take("co_udp_recv", &v);
    if (v.shape != CO__RP_PARKS) {
        r->u->reader = NULL;
        CO__TRACE(tr_rec_io_end(r->t->id, TR_OP_UDP_RECV, v.res));
        return v.res;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_UDP_RECV, .fd = r->u->fd,
                  .ms = -1, .file = file, .line = line, .cancel = recv_cancel,
                  .ctx = r, .replay_wake = rp_recv_woken};
    co__park(&w);
    co__rp_take_res("co_udp_recv", &v);
    if (v.len >= sizeof r->from) {
        memcpy(&r->from, v.data, sizeof r->from);
        size_t k = v.len - sizeof r->from;
        memcpy(r->buf, (const char *)v.data + sizeof r->from, k < r->len ? k : r->len);
    }
    if (v.res >= 0)
        from_name(&r->from, from, n, port);
    return v.res;
}

ssize_t co_udp_recv_at(co_udp *u, void *buf, size_t len, char *from, size_t n,
                       int *port, const char *file, int line)
{
    if (!u || !buf || len == 0 || (from && n == 0))
        return CO_EINVAL;
    if (u->reader)
        return CO_EBUSY;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_UDP_RECV, u->fd, -1, file, line);
    if (err)
        return err;
    co_task *self = co__current();
    recv_req r = {.t = self, .u = u, .buf = buf, .len = len > INT32_MAX ? INT32_MAX : len};
    u->reader = &r;
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_UDP_RECV, u->fd, (int64_t)r.len));
    if (CO__RP_PLAY())
        return rp_recv(&r, from, n, port, file, line);
    err = uv_udp_recv_start(&u->h, on_alloc, on_recv);
    co__rp_out(err ? CO__RP_BEGIN_END : CO__RP_PARKS, err, -1, NULL, 0);
    if (!err) /* waiting for the world: the loop stays up */
        uv_ref((uv_handle_t *)&u->h);
    if (err) {
        u->reader = NULL;
        co__io_end(self->id, TR_OP_UDP_RECV, err);
        return err;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_UDP_RECV, .fd = u->fd, .ms = -1,
                  .file = file, .line = line, .cancel = recv_cancel, .ctx = &r};
    co__park(&w);
    recv_log(&r);
    if (r.res >= 0)
        from_name(&r.from, from, n, port);
    return r.res;
}

#undef co_udp_recv
ssize_t co_udp_recv(co_udp *u, void *buf, size_t len, char *from, size_t n, int *port)
{
    return co_udp_recv_at(u, buf, len, from, n, port, NULL, 0);
}

/* ---- send ---- */

typedef struct send_req {
    uv_udp_send_t uv;
    co_task *t;
    int status, cancel_err, done;
} send_req;

static void on_send(uv_udp_send_t *req, int status)
{
    send_req *r = req->data;
    r->done = 1;
    r->status = status;
    int err = r->cancel_err ? r->cancel_err : status;
    co__wake(r->t, r->cancel_err ? co__cancel_why(r->cancel_err) : TR_WAKE_IO, err);
}

/* libuv cannot withdraw a send: wait for its callback, then fail. */
static void send_cancel(co_task *t, co__wait *w, int err)
{
    (void)t;
    send_req *r = w->ctx;
    if (!r->cancel_err)
        r->cancel_err = err;
}

/* A replay's send: the recorded outcome; a wait's wake-up from the log. */
CO__PARKS_INLINE ssize_t rp_send(co_udp *u, co_task *self, size_t len, const char *file,
                       int line)
{
    co__rp_val v;
    co__rp_take("co_udp_send", &v);
    if (v.shape == CO__RP_IO) {
        CO__TRACE(tr_rec_io(self->id, TR_OP_UDP_SEND, u->fd, (int64_t)len, v.res));
        return v.res;
    }
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_UDP_SEND, u->fd, (int64_t)len));
    if (v.shape == CO__RP_BEGIN_END) {
        CO__TRACE(tr_rec_io_end(self->id, TR_OP_UDP_SEND, v.res));
        return v.res;
    }
    send_req r = {.t = self};
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_UDP_SEND, .fd = u->fd, .ms = -1,
                  .file = file, .line = line, .cancel = send_cancel, .ctx = &r};
    int rc = co__park(&w);
    CO__TRACE(tr_rec_io_end(self->id, TR_OP_UDP_SEND, rc ? rc : (int64_t)len));
    return rc ? rc : (ssize_t)len;
}

ssize_t co_udp_send_at(co_udp *u, const void *buf, size_t len, const char *host,
                       int port, const char *file, int line)
{
    struct sockaddr_storage ss;
    if (!u || (!buf && len) || len > INT32_MAX)
        return CO_EINVAL;
    int err = addr_of(host, port, &ss);
    if (err)
        return err;
    if ((err = co__check_at(TR_WAIT_IO, 0, TR_OP_UDP_SEND, u->fd, -1, file, line)))
        return err;
    co_task *self = co__current();
    if (co__rp_mode)
        co__rp_written("co_udp_send", buf, len);
    if (CO__RP_PLAY())
        return rp_send(u, self, len, file, line);
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
    int n = uv_udp_try_send(&u->h, &b, 1, (const struct sockaddr *)&ss);
    if (n != UV_EAGAIN)
        co__rp_out(CO__RP_IO, n, -1, NULL, 0);
    if (n != UV_EAGAIN) { /* done (or failed) at once */
        CO__TRACE(tr_rec_io(self->id, TR_OP_UDP_SEND, u->fd, (int64_t)len, n));
        return n;
    }
    send_req r = {.t = self};
    r.uv.data = &r;
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_UDP_SEND, u->fd, (int64_t)len));
    err = uv_udp_send(&r.uv, &u->h, &b, 1, (const struct sockaddr *)&ss, on_send);
    co__rp_out(err ? CO__RP_BEGIN_END : CO__RP_PARKS, err, -1, NULL, 0);
    if (err) {
        co__io_end(self->id, TR_OP_UDP_SEND, err);
        return err;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_UDP_SEND, .fd = u->fd, .ms = -1,
                  .file = file, .line = line, .cancel = send_cancel, .ctx = &r};
    int rc = co__park(&w);
    assert(r.done && "woken before the send finished");
    co__io_end(self->id, TR_OP_UDP_SEND, rc ? rc : (int64_t)len);
    return rc ? rc : (ssize_t)len;
}

#undef co_udp_send
ssize_t co_udp_send(co_udp *u, const void *buf, size_t len, const char *host, int port)
{
    return co_udp_send_at(u, buf, len, host, port, NULL, 0);
}

int co_udp_close(co_udp *u)
{
    if (!u)
        return CO_EINVAL;
    if (u->reader) /* a task waits in co_udp_recv on it: misuse */
        co__fatal(NULL, 0, "co_udp_close of a socket task %llu \"%s\" reads",
                  (unsigned long long)u->reader->t->id, co_task_name(u->reader->t));
    open_unlink(u);
    udp_release(u);
    return 0;
}

void co__udp_close_all(void)
{
    while (open_udp) {
        co_udp *u = open_udp;
        open_unlink(u);
        udp_release(u);
    }
}
