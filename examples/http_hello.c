/* examples/http_hello.c: the smallest useful HTTP/1.1 server, for load
 * benchmarks with wrk: "Hello, World!" with Content-Length, keep-alive by
 * default, pipelined requests answered in one write, "Connection: close"
 * honoured. --duration bounds a run; --clients runs a checking load in
 * the same process instead of wrk. */
#include "ex_http.h"
#include "ex_server.h"
#include "ex_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELLO        "Hello, World!"
#define PIPELINE_MAX 4

static const char usage[] =
    "usage: http_hello [--port P] [--duration S] [--clients N --requests R]\n"
    "\n"
    "Answers every HTTP/1.1 request on 127.0.0.1 with \"" HELLO "\"\n"
    "(keep-alive, pipelining, Connection: close).\n"
    "  --port P      port (0 = any; default 8080, or 0 with --clients)\n"
    "  --duration S  stop after S seconds (1..3600); default: run until\n"
    "                killed\n"
    "  --clients N   run N client tasks in this process (1..1000), each\n"
    "                sending R requests on one connection in pipelined\n"
    "                batches of 1..4, the last with Connection: close; checks\n"
    "                every answer, prints `clients: N requests: TOTAL ok`\n"
    "                and exits\n"
    "  --requests R  requests per client (default 100)\n"
    "  --rounds K    with --clients: the whole load K times in a row (1..100,\n"
    "                default 1), each round's wall time printed as\n"
    "                `round I: S s` (a benchmark reads the later, steady ones)\n"
    "  e.g.  http_hello --port 8080 --duration 10 &\n"
    "        wrk -t2 -c100 -d8s http://127.0.0.1:8080/\n";

typedef struct options {
    long port, duration, clients, requests, rounds;
} options;

static options opt = {.port = -1, .requests = 100, .rounds = 1};

static int hello(void *ctx, const ex_http_req *req, ex_http_out *out)
{
    (void)ctx;
    return ex_http_respond(out, 200, "text/plain", HELLO, sizeof HELLO - 1,
                           req->keep_alive);
}

static void hello_conn(co_tcp *s, void *ctx)
{
    ex_http_serve(s, hello, ctx);
}

typedef struct client {
    int id, port;
    long ok;
} client;

/* One connection, opt.requests requests in batches of 1..PIPELINE_MAX
 * written at once; the last says Connection: close, so the server must
 * close after answering it. */
static int client_run(client *cl, co_tcp *s, ex_rbuf *rb)
{
    char batch[PIPELINE_MAX * 128];
    long sent = 0;
    while (sent < opt.requests) {
        long k = 1 + (sent + cl->id) % PIPELINE_MAX;
        if (k > opt.requests - sent)
            k = opt.requests - sent;
        size_t len = 0;
        for (long i = 0; i < k; i++) {
            int last = sent + i + 1 == opt.requests;
            len +=
                (size_t)snprintf(batch + len, sizeof batch - len,
                                 "GET /hello/%ld HTTP/1.1\r\n"
                                 "Host: 127.0.0.1\r\n%s\r\n",
                                 sent + i, last ? "Connection: close\r\n" : "");
        }
        ssize_t w = co_write(s, batch, len);
        if (w < 0)
            return (int)w;
        for (long i = 0; i < k; i++) {
            ex_http_resp resp;
            int err = ex_http_read_response(s, rb, &resp);
            if (err)
                return err;
            int last = sent + 1 == opt.requests;
            int good = resp.status == 200 && strcmp(resp.body, HELLO) == 0 &&
                       resp.keep_alive == !last;
            ex_http_resp_free(&resp);
            if (!good)
                return CO_EINVAL;
            cl->ok++;
            sent++;
        }
    }
    /* After Connection: close the server must hang up. */
    char c;
    ssize_t r = ex_rbuf_len(rb) ? 1 : co_read(s, &c, 1);
    return r == 0 ? 0 : CO_EINVAL;
}

static void *client_task(void *arg)
{
    client *cl = arg;
    co_tcp *s;
    int err = co_tcp_connect("127.0.0.1", cl->port, &s);
    if (err) {
        fprintf(stderr, "client %d: connect: %s\n", cl->id, co_strerror(err));
        return NULL;
    }
    ex_rbuf *rb = malloc(sizeof *rb);
    if (rb) {
        rb->start = rb->end = 0;
        err = client_run(cl, s, rb);
        if (err) {
            fprintf(stderr, "client %d: after %ld answers: %s\n", cl->id,
                    cl->ok, co_strerror(err));
            cl->ok = -1;
        }
    }
    free(rb);
    co_close(s);
    return NULL;
}

static int run_round(int port)
{
    client *cls = calloc((size_t)opt.clients, sizeof *cls);
    co_task **tasks = calloc((size_t)opt.clients, sizeof *tasks);
    long total = 0, want = opt.clients * opt.requests;
    int failed = 0;
    if (!cls || !tasks) {
        free(cls);
        free(tasks);
        return 1;
    }
    for (long i = 0; i < opt.clients; i++) {
        char name[32];
        cls[i] = (client){.id = (int)i + 1, .port = port};
        snprintf(name, sizeof name, "client %ld", i + 1);
        tasks[i] = co_spawn(client_task, &cls[i], name);
    }
    for (long i = 0; i < opt.clients; i++) {
        if (tasks[i])
            co_join(tasks[i], NULL);
        if (cls[i].ok < 0)
            failed = 1;
        else
            total += cls[i].ok;
    }
    failed |= total != want;
    printf("clients: %ld requests: %ld %s\n", opt.clients, total,
           failed ? "FAILED" : "ok");
    free(cls);
    free(tasks);
    return failed;
}

/* The client load, opt.rounds times; a round's time only when there are
 * several (a single run prints what it always printed). */
static int run_clients(int port)
{
    for (long k = 1; k <= opt.rounds; k++) {
        uint64_t t0 = ex_now_ns();
        if (run_round(port))
            return 1;
        if (opt.rounds > 1)
            printf("round %ld: %.3f s\n", k, (double)(ex_now_ns() - t0) / 1e9);
    }
    return 0;
}

static void *main_task(void *arg)
{
    int *status = arg;
    ex_server *srv;
    int err = ex_server_start("127.0.0.1", (int)opt.port, "conn", hello_conn,
                              NULL, &srv);
    if (err) {
        fprintf(stderr, "http_hello: listen on port %ld: %s\n", opt.port,
                co_strerror(err));
        *status = 1;
        return NULL;
    }
    printf("http_hello: listening on http://127.0.0.1:%d/\n",
           ex_server_port(srv));
    fflush(stdout);
    if (opt.clients) {
        *status = run_clients(ex_server_port(srv));
        ex_server_stop(srv, 0);
        return NULL;
    }
    uint64_t ms = opt.duration ? (uint64_t)opt.duration * 1000 : 3600 * 1000;
    while (co_sleep(ms) == 0 && !opt.duration)
        ; /* no --duration: until killed */
    co_mark("duration over: stopping");
    long accepted = ex_server_accepted(srv);
    ex_server_stop(srv, 1);
    printf("http_hello: stopped after %ld s, %ld connections\n", opt.duration,
           accepted);
    return NULL;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int r = 0;
        if (ex_opt_flag(argv, i, "--help") || ex_opt_flag(argv, i, "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = ex_opt_long(argc, argv, &i, "--port", 0, 65535, &opt.port)) ||
            (r = ex_opt_long(argc, argv, &i, "--duration", 1, 3600,
                             &opt.duration)) ||
            (r = ex_opt_long(argc, argv, &i, "--clients", 1, 1000,
                             &opt.clients)) ||
            (r = ex_opt_long(argc, argv, &i, "--requests", 1, 1000000,
                             &opt.requests)) ||
            (r = ex_opt_long(argc, argv, &i, "--rounds", 1, 100, &opt.rounds))) {
            if (r < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "http_hello: unknown option %s\n%s", argv[i], usage);
        return 2;
    }
    if (opt.port < 0)
        opt.port = opt.clients ? 0 : 8080;
    int status = 0;
    int err = co_main(main_task, &status);
    if (err) {
        fprintf(stderr, "http_hello: %s\n", co_strerror(err));
        return 1;
    }
    return status;
}
