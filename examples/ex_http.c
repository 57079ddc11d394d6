/* examples/ex_http.c: the HTTP/1.1 subset of ex_http.h. Heads are parsed in
 * place in the connection's read buffer (no copy until a field is kept),
 * and a head must fit that buffer: a peer that sends more gets the
 * connection closed, never a bigger allocation. */
#include "ex_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The length of the head at p[0, n) through its blank line, or 0. Accepts
 * bare "\n" line ends as well as "\r\n". */
static size_t head_length(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] != '\n')
            continue;
        if (p[i + 1] == '\n')
            return i + 2;
        if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* The next line in [*p, end) without its line end; advances *p past it. */
static size_t next_line(const char **p, const char *end, const char **line)
{
    const char *s = *p;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    *line = s;
    if (e > s && e[-1] == '\r')
        e--;
    return (size_t)(e - s);
}

/* Header fields both sides care about. Returns 0 or CO_EINVAL. */
typedef struct head_fields {
    int has_length;
    size_t content_length;
    int conn_close, conn_keep_alive;
} head_fields;

static int header_value_is(const char *v, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n == w && strncasecmp(v, word, w) == 0;
}

static int parse_headers(const char *p, const char *end, head_fields *f)
{
    memset(f, 0, sizeof *f);
    while (p < end) {
        const char *line;
        size_t n = next_line(&p, end, &line);
        if (n == 0)
            break; /* the blank line */
        const char *colon = memchr(line, ':', n);
        if (!colon || colon == line)
            return CO_EINVAL;
        size_t klen = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vlen = n - klen - 1;
        while (vlen && (*v == ' ' || *v == '\t'))
            v++, vlen--;
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (klen == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
            size_t len = 0;
            if (vlen == 0 || vlen > 12)
                return CO_EINVAL;
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return CO_EINVAL;
                len = len * 10 + (size_t)(v[i] - '0');
            }
            f->has_length = 1;
            f->content_length = len;
        } else if (klen == 10 && strncasecmp(line, "Connection", 10) == 0) {
            if (header_value_is(v, vlen, "close"))
                f->conn_close = 1;
            else if (header_value_is(v, vlen, "keep-alive"))
                f->conn_keep_alive = 1;
        } else if (klen == 17 &&
                   strncasecmp(line, "Transfer-Encoding", 17) == 0) {
            return CO_EINVAL; /* chunked bodies are not supported here */
        }
    }
    return 0;
}

int ex_http_parse_request(const char *p, size_t n, ex_http_req *req)
{
    size_t head = head_length(p, n);
    if (head == 0)
        return n >= EX_RBUF_SIZE ? CO_EINVAL : 0;
    const char *cur = p, *end = p + head, *line;
    size_t len = next_line(&cur, end, &line);
    /* METHOD SP PATH SP HTTP/1.x */
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1)
        return CO_EINVAL;
    const char *path = sp1 + 1;
    const char *sp2 = memchr(path, ' ', len - (size_t)(path - line));
    if (!sp2)
        return CO_EINVAL;
    size_t mlen = (size_t)(sp1 - line), plen = (size_t)(sp2 - path);
    size_t vlen = len - (size_t)(sp2 + 1 - line);
    const char *ver = sp2 + 1;
    if (mlen == 0 || mlen >= sizeof req->method || plen == 0 ||
        plen >= sizeof req->path || vlen != 8 || strncmp(ver, "HTTP/1.", 7))
        return CO_EINVAL;
    memcpy(req->method, line, mlen);
    req->method[mlen] = '\0';
    memcpy(req->path, path, plen);
    req->path[plen] = '\0';
    head_fields f;
    if (parse_headers(cur, end, &f))
        return CO_EINVAL;
    req->content_length = f.has_length ? f.content_length : 0;
    if (ver[7] == '1')
        req->keep_alive = !f.conn_close;
    else
        req->keep_alive = f.conn_keep_alive && !f.conn_close;
    return (int)head;
}

int ex_http_parse_response(const char *p, size_t n, ex_http_resp *resp)
{
    size_t head = head_length(p, n);
    if (head == 0)
        return n >= EX_RBUF_SIZE ? CO_EINVAL : 0;
    const char *cur = p, *end = p + head, *line;
    size_t len = next_line(&cur, end, &line);
    /* HTTP/1.x SSS reason */
    if (len < 12 || strncmp(line, "HTTP/1.", 7) || line[8] != ' ')
        return CO_EINVAL;
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (line[i] < '0' || line[i] > '9')
            return CO_EINVAL;
        status = status * 10 + (line[i] - '0');
    }
    head_fields f;
    if (parse_headers(cur, end, &f) || !f.has_length)
        return CO_EINVAL;
    resp->status = status;
    resp->content_length = f.content_length;
    resp->keep_alive =
        line[7] == '1' ? !f.conn_close : f.conn_keep_alive && !f.conn_close;
    return (int)head;
}

static int out_reserve(ex_http_out *out, size_t more)
{
    if (out->len + more <= out->cap)
        return 0;
    size_t cap = out->cap ? out->cap : 4096;
    while (cap < out->len + more)
        cap *= 2;
    char *d = realloc(out->data, cap);
    if (!d)
        return CO_ENOMEM;
    out->data = d;
    out->cap = cap;
    return 0;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Error";
    }
}

/* Appends s (without its NUL) at p; returns the end. */
static char *put(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* Decimal digits of v at p; returns the end. */
static char *put_uint(char *p, size_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* The head is assembled by hand: snprintf here was ~5 % of a hello
 * server's CPU (docs/benchmarks.md). */
int ex_http_respond(ex_http_out *out, int status, const char *type,
                    const void *body, size_t len, int keep_alive)
{
    const char *why = reason(status);
    if (status < 100 || status > 999 || strlen(why) + strlen(type) > 160)
        return CO_EINVAL;
    char head[256], *p = head;
    p = put(p, "HTTP/1.1 ");
    p = put_uint(p, (size_t)status);
    *p++ = ' ';
    p = put(p, why);
    p = put(p, "\r\nContent-Type: ");
    p = put(p, type);
    p = put(p, "\r\nContent-Length: ");
    p = put_uint(p, len);
    p = put(p, keep_alive ? "\r\nConnection: keep-alive\r\n\r\n"
                          : "\r\nConnection: close\r\n\r\n");
    size_t n = (size_t)(p - head);
    if (out_reserve(out, n + len))
        return CO_ENOMEM;
    memcpy(out->data + out->len, head, n);
    if (len)
        memcpy(out->data + out->len + n, body, len);
    out->len += n + len;
    return 0;
}

void ex_http_out_free(ex_http_out *out)
{
    free(out->data);
    out->data = NULL;
    out->len = out->cap = 0;
}

/* Answers every complete request buffered in rb. Sets *done when the
 * connection must close after the batch. Returns requests answered or <0. */
static long answer_buffered(ex_rbuf *rb, ex_http_handler fn, void *ctx,
                            ex_http_out *out, int *done)
{
    long answered = 0;
    while (!*done) {
        ex_http_req req;
        int head =
            ex_http_parse_request(ex_rbuf_peek(rb), ex_rbuf_len(rb), &req);
        if (head == 0)
            break;
        if (head < 0) {
            *done = 1;
            int err =
                ex_http_respond(out, 400, "text/plain", "bad request\n", 12, 0);
            return err ? err : answered;
        }
        size_t whole = (size_t)head + req.content_length;
        if (whole > EX_RBUF_SIZE) { /* a body we will not buffer */
            *done = 1;
            int err =
                ex_http_respond(out, 431, "text/plain", "too large\n", 10, 0);
            return err ? err : answered;
        }
        if (ex_rbuf_len(rb) < whole)
            break; /* the body is still on its way */
        ex_rbuf_take(rb, whole);
        int err = fn(ctx, &req, out);
        if (err)
            return err;
        answered++;
        if (!req.keep_alive)
            *done = 1;
    }
    return answered;
}

long ex_http_serve(co_tcp *s, ex_http_handler fn, void *ctx)
{
    ex_rbuf *rb = malloc(sizeof *rb);
    ex_http_out out = {0};
    long answered = 0, res = 0;
    int done = 0;
    if (!rb)
        return CO_ENOMEM;
    rb->start = rb->end = 0;
    while (!done) {
        ssize_t r = ex_rbuf_fill(s, rb);
        if (r == 0)
            break; /* the client closed */
        if (r < 0) {
            res = r == CO_EOF || r == CO_ECONNRESET ? 0 : r;
            break;
        }
        long n = answer_buffered(rb, fn, ctx, &out, &done);
        if (n < 0) {
            res = n;
            break;
        }
        answered += n;
        if (out.len) {
            ssize_t w = co_write(s, out.data, out.len);
            out.len = 0;
            if (w < 0) {
                res = w == CO_EPIPE || w == CO_ECONNRESET ? 0 : w;
                break;
            }
        }
    }
    ex_http_out_free(&out);
    free(rb);
    return res < 0 ? res : answered;
}

int ex_http_get(co_tcp *s, ex_rbuf *rb, const char *host, const char *path,
                ex_http_resp *resp)
{
    char req[512];
    memset(resp, 0, sizeof *resp);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\n"
                     "User-Agent: coscope-example\r\nAccept: text/html\r\n\r\n",
                     path, host);
    if (n < 0 || (size_t)n >= sizeof req)
        return CO_EINVAL;
    ssize_t w = co_write(s, req, (size_t)n);
    if (w < 0)
        return (int)w;
    return ex_http_read_response(s, rb, resp);
}

int ex_http_read_response(co_tcp *s, ex_rbuf *rb, ex_http_resp *resp)
{
    int head;
    memset(resp, 0, sizeof *resp);
    while ((head = ex_http_parse_response(ex_rbuf_peek(rb), ex_rbuf_len(rb),
                                          resp)) == 0) {
        ssize_t r = ex_rbuf_fill(s, rb);
        if (r == 0)
            return CO_EOF;
        if (r < 0)
            return (int)r;
    }
    if (head < 0)
        return head;
    ex_rbuf_take(rb, (size_t)head);
    resp->body = malloc(resp->content_length + 1);
    if (!resp->body)
        return CO_ENOMEM;
    ssize_t r = ex_read_exact(s, rb, resp->body, resp->content_length);
    if (r < 0) {
        ex_http_resp_free(resp);
        return (int)r;
    }
    resp->body[resp->content_length] = '\0';
    return 0;
}

void ex_http_resp_free(ex_http_resp *resp)
{
    free(resp->body);
    resp->body = NULL;
}
