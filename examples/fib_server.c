/* examples/fib_server.c: answers "n\n" with "fib(n)\n" over TCP, computed by
 * the naive recursion on purpose, so n = 34..36 costs tens of milliseconds.
 * Without --offload that work runs on the loop thread and every other task
 * waits (the blocked loop `coscope stalls` finds); with --offload it goes to
 * the thread pool through co_run_blocking and the loop stays responsive. */
#include "ex_server.h"
#include "ex_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIB_MAX 40 /* naive fib(40) is already seconds of CPU */

static const char usage[] =
    "usage: fib_server [--port P] [--offload] [--clients N --requests R --n "
    "K]\n"
    "\n"
    "Answers one line \"n\" with \"fib(n)\" (naive recursion, n in 0..40)\n"
    "over TCP on 127.0.0.1.\n"
    "  --port P      port (0 = any; default 7030, or 0 with --clients)\n"
    "  --offload     compute on the thread pool (co_run_blocking); without it\n"
    "                the computation blocks the event loop\n"
    "  --clients N   also run N client tasks in this process (1..100), each\n"
    "                sending R requests for fib(K) and checking the answers;\n"
    "                prints `clients: N requests: TOTAL ok` and exits\n"
    "  --requests R  requests per client (default 3)\n"
    "  --n K         the argument (default 35: 30-60 ms here)\n"
    "Set COSCOPE_TRACE=run.jsonl to record a trace.\n";

typedef struct options {
    long port, clients, requests, n;
    int offload;
} options;

static options opt = {.port = -1, .requests = 3, .n = 35};

/* Recursing through a volatile pointer keeps the compiler from turning the
 * naive recursion into a loop: the cost is the point. */
static uint64_t fib_naive(int n);
static uint64_t (*volatile fib_call)(int) = fib_naive;

static uint64_t fib_naive(int n)
{
    return n < 2 ? (uint64_t)n : fib_call(n - 1) + fib_call(n - 2);
}

static uint64_t fib_iter(int n)
{
    uint64_t a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        uint64_t c = a + b;
        a = b;
        b = c;
    }
    return a;
}

typedef struct fib_job {
    int n;
    uint64_t result;
} fib_job;

static void fib_work(void *arg) /* on a pool thread */
{
    fib_job *job = arg;
    job->result = fib_naive(job->n);
}

/* Parses a decimal n in [0, FIB_MAX]; -1 when it is not one. */
static int parse_n(const char *line)
{
    int n = 0;
    if (!*line || strlen(line) > 2)
        return -1;
    for (const char *p = line; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n <= FIB_MAX ? n : -1;
}

static void fib_conn(co_tcp *s, void *ctx)
{
    ex_rbuf *rb = malloc(sizeof *rb);
    (void)ctx;
    if (!rb)
        return;
    rb->start = rb->end = 0;
    for (;;) {
        char line[64], reply[64];
        ssize_t len = ex_read_line(s, rb, line, sizeof line);
        if (len < 0)
            break; /* EOF, reset, cancelled, or an overlong line */
        int n = parse_n(line);
        int rlen;
        if (n < 0) {
            rlen = snprintf(reply, sizeof reply, "error: expected n in 0..%d\n",
                            FIB_MAX);
        } else {
            fib_job job = {.n = n};
            if (opt.offload) {
                if (co_run_blocking(fib_work, &job, "fib") != 0)
                    break;
            } else {
                fib_work(&job); /* blocks the loop: the point of this demo */
            }
            rlen = snprintf(reply, sizeof reply, "%" PRIu64 "\n", job.result);
        }
        if (co_write(s, reply, (size_t)rlen) < 0)
            break;
    }
    free(rb);
}

typedef struct client {
    int id, port;
    long ok;
} client;

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
    if (!rb) {
        co_close(s);
        return NULL;
    }
    rb->start = rb->end = 0;
    char want[32];
    snprintf(want, sizeof want, "%" PRIu64, fib_iter((int)opt.n));
    for (long r = 0; r < opt.requests; r++) {
        char req[16], line[64];
        int len = snprintf(req, sizeof req, "%ld\n", opt.n);
        ssize_t w = co_write(s, req, (size_t)len);
        ssize_t got = w < 0 ? w : ex_read_line(s, rb, line, sizeof line);
        if (got < 0) {
            fprintf(stderr, "client %d: request %ld: %s\n", cl->id, r + 1,
                    co_strerror((int)got));
            break;
        }
        if (strcmp(line, want) != 0) {
            fprintf(stderr, "client %d: fib(%ld) = \"%s\", expected %s\n",
                    cl->id, opt.n, line, want);
            break;
        }
        cl->ok++;
    }
    free(rb);
    co_close(s);
    return NULL;
}

static int run_clients(int port)
{
    client *cls = calloc((size_t)opt.clients, sizeof *cls);
    co_task **tasks = calloc((size_t)opt.clients, sizeof *tasks);
    long total = 0, want = opt.clients * opt.requests;
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
        total += cls[i].ok;
    }
    if (total == want)
        printf("clients: %ld requests: %ld ok\n", opt.clients, total);
    else
        printf("clients: %ld requests: %ld FAILED (%ld answered right)\n",
               opt.clients, want, total);
    free(cls);
    free(tasks);
    return total == want ? 0 : 1;
}

static void *main_task(void *arg)
{
    int *status = arg;
    ex_server *srv;
    int err = ex_server_start("127.0.0.1", (int)opt.port, "conn", fib_conn,
                              NULL, &srv);
    if (err) {
        fprintf(stderr, "fib_server: listen on port %ld: %s\n", opt.port,
                co_strerror(err));
        *status = 1;
        return NULL;
    }
    int port = ex_server_port(srv);
    printf("fib_server: listening on 127.0.0.1:%d (%s)\n", port,
           opt.offload ? "offload to the thread pool"
                       : "computing on the loop");
    fflush(stdout);
    if (opt.clients == 0) {
        while (co_sleep(3600 * 1000) == 0) /* until killed */
            ;
        ex_server_stop(srv, 1);
        return NULL;
    }
    co_mark("%ld clients x %ld requests of fib(%ld), %s", opt.clients,
            opt.requests, opt.n, opt.offload ? "offloaded" : "on the loop");
    *status = run_clients(port);
    ex_server_stop(srv, 0);
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
        if (ex_opt_flag(argv, i, "--offload")) {
            opt.offload = 1;
            continue;
        }
        if ((r = ex_opt_long(argc, argv, &i, "--port", 0, 65535, &opt.port)) ||
            (r = ex_opt_long(argc, argv, &i, "--clients", 1, 100,
                             &opt.clients)) ||
            (r = ex_opt_long(argc, argv, &i, "--requests", 1, 10000,
                             &opt.requests)) ||
            (r = ex_opt_long(argc, argv, &i, "--n", 0, FIB_MAX, &opt.n))) {
            if (r < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "fib_server: unknown option %s\n%s", argv[i], usage);
        return 2;
    }
    if (opt.port < 0)
        opt.port = opt.clients ? 0 : 7030;
    int status = 0;
    int err = co_main(main_task, &status);
    if (err) {
        fprintf(stderr, "fib_server: %s\n", co_strerror(err));
        return 1;
    }
    return status;
}
