/* examples/ex_http.h: just enough HTTP/1.1 for the crawler and http_hello:
 * a request-head parser, a keep-alive/pipelining connection loop for
 * servers, and a GET client that reads a Content-Length body. No chunked
 * encoding: every response here carries Content-Length. */
#ifndef EX_HTTP_H
#define EX_HTTP_H

#include "ex_util.h"

#define EX_HTTP_PATH_MAX 256

typedef struct ex_http_req {
    char method[16];
    char path[EX_HTTP_PATH_MAX];
    size_t content_length; /* a request body is read and ignored */
    int keep_alive;        /* 1.1 default on; "Connection: close" off */
} ex_http_req;

/* Parses a request head at p[0, n). Returns the head's length (through the
 * blank line) when complete, 0 when more bytes are needed, CO_EINVAL when
 * malformed. */
int ex_http_parse_request(const char *p, size_t n, ex_http_req *req);

/* A growing output buffer: responses to pipelined requests are gathered
 * and written with one co_write. */
typedef struct ex_http_out {
    char *data;
    size_t len, cap;
} ex_http_out;
/* Appends a whole response (status line, Content-Type, Content-Length,
 * Connection, body). 0 or CO_ENOMEM. */
int ex_http_respond(ex_http_out *out, int status, const char *type,
                    const void *body, size_t len, int keep_alive);
void ex_http_out_free(ex_http_out *out);

/* Answers one request by appending its response to out (it may block, e.g.
 * co_sleep). Returns 0 or an error that ends the connection. */
typedef int (*ex_http_handler)(void *ctx, const ex_http_req *req,
                               ex_http_out *out);

/* Serves requests on s until the peer closes, asks to close, or an error:
 * reads, answers every complete request in the buffer, then writes the
 * batch. Does not close s. Returns the number of requests answered, or a
 * negative error (CO_ECANCELED when the task is cancelled). */
long ex_http_serve(co_tcp *s, ex_http_handler fn, void *ctx);

typedef struct ex_http_resp {
    int status;
    int keep_alive;
    size_t content_length;
    char *body; /* malloc'd, NUL-terminated; ex_http_resp_free */
} ex_http_resp;

/* Parses a response head at p[0, n): its length, 0 incomplete, CO_EINVAL. */
int ex_http_parse_response(const char *p, size_t n, ex_http_resp *resp);
/* Sends "GET path" with Host and keep-alive on s, reads the response
 * (reusing rb across requests on one connection). 0 or an error. */
int ex_http_get(co_tcp *s, ex_rbuf *rb, const char *host, const char *path,
                ex_http_resp *resp);
/* Reads one response (head and Content-Length body) from s. 0 or <0;
 * CO_EOF when the peer closed before a whole response. */
int ex_http_read_response(co_tcp *s, ex_rbuf *rb, ex_http_resp *resp);
void ex_http_resp_free(ex_http_resp *resp);

#endif
