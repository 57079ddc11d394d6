/* runtime/io_dns.c: host names for connect and listen, through libuv's
 * getaddrinfo on the thread pool. A blocking call like any other: the wait
 * is traced as an `io` wait with op `dns` at the caller's place, bracketed
 * by io_begin / io_end (res: how many addresses came back). Cancelling it
 * withdraws the request if it has not started (uv_cancel); one in flight
 * runs to its end and the call waits for it, as libuv cannot stop it. */
#include "co_int.h"
#include "replay_int.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

typedef struct dns_req {
    uv_getaddrinfo_t uv;
    co_task *t;
    int done;
    int status;
    int cancel_err;
    struct sockaddr_storage *out;
    int port;
} dns_req;

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    dns_req *r = req->data;
    r->done = 1;
    int n = 0;
    if (status == 0 && res) {
        for (struct addrinfo *a = res; a; a = a->ai_next)
            n++;
        memcpy(r->out, res->ai_addr, res->ai_addrlen); /* the first one */
        if (res->ai_family == AF_INET6)
            ((struct sockaddr_in6 *)r->out)->sin6_port = htons((uint16_t)r->port);
        else
            ((struct sockaddr_in *)r->out)->sin_port = htons((uint16_t)r->port);
    }
    uv_freeaddrinfo(res);
    r->status = status ? status : (n ? 0 : UV_EAI_NONAME);
    co__io_end(r->t->id, TR_OP_DNS, r->status ? r->status : n);
    int err = r->cancel_err ? r->cancel_err : r->status;
    co__wake(r->t, r->cancel_err ? co__cancel_why(r->cancel_err) : TR_WAKE_IO, err);
}

static void dns_cancel(co_task *t, co__wait *w, int err)
{
    (void)t;
    dns_req *r = w->ctx;
    r->cancel_err = err;
    uv_cancel((uv_req_t *)&r->uv); /* its callback comes with ECANCELED */
}

/* A replay's lookup: the recorded outcome and address. A cancel waits
 * for the recorded callback, as uv_cancel made it come. */
static void rp_dns_cancel(co_task *t, co__wait *w, int err)
{
    (void)t;
    (void)w;
    (void)err;
}

CO__PARKS_INLINE int rp_resolve(struct sockaddr_storage *out, const char *file, int line)
{
    co_task *self = co__current();
    co__rp_val v;
    co__rp_take("a host name lookup", &v);
    if (v.shape == CO__RP_BEGIN_END) {
        CO__TRACE(tr_rec_io_end(self->id, TR_OP_DNS, v.res));
        return (int)v.res;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_DNS, .fd = -1, .ms = -1,
                  .file = file, .line = line, .cancel = rp_dns_cancel};
    co__park(&w);
    co__rp_take_res("a host name lookup", &v);
    memset(out, 0, sizeof *out);
    co__rp_copy(&v, out, sizeof *out);
    return (int)v.res;
}

int co__resolve_at(const char *host, int port, struct sockaddr_storage *out,
                   const char *file, int line)
{
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_DNS, -1, -1, file, line);
    if (err)
        return err;
    co_task *self = co__current();
    dns_req r = {.t = self, .out = out, .port = port};
    r.uv.data = &r;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    CO__TRACE(tr_rec_io_begin(self->id, TR_OP_DNS, -1, -1));
    if (CO__RP_PLAY())
        return rp_resolve(out, file, line);
    err = uv_getaddrinfo(co__loop(), &r.uv, on_resolved, host, NULL, &hints);
    co__rp_out(err ? CO__RP_BEGIN_END : CO__RP_PARKS, err, -1, NULL, 0);
    if (err) {
        co__io_end(self->id, TR_OP_DNS, err);
        return err;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_DNS, .fd = -1, .ms = -1,
                  .file = file, .line = line, .cancel = dns_cancel, .ctx = &r};
    int rc = co__park(&w);
    assert(r.done && "woken before getaddrinfo finished");
    co__rp_res(rc, -1, out, rc == 0 ? sizeof *out : 0);
    return rc;
}
