/* examples/echo_server.c: a TCP echo server, one task per connection.
 * With --clients it also runs that many client tasks in the same process,
 * each sending a pseudo-random pattern in varying chunks and checking every
 * byte that comes back, then stops the server and reports. */
#include "ex_server.h"
#include "ex_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MAX 8192

static const char usage[] =
    "usage: echo_server [--port P] [--chunk B] [--clients N --bytes M]\n"
    "\n"
    "A TCP echo server on 127.0.0.1, one coroutine per connection.\n"
    "  --port P     port to listen on (0 = any free port; default 7007,\n"
    "               or 0 with --clients); the port is printed\n"
    "  --clients N  also run N client tasks in this process (1..1000); each\n"
    "               sends --bytes of a pseudo-random pattern and checks the\n"
    "               echo byte for byte, then the program prints\n"
    "               `clients: N bytes: TOTAL ok` and exits (1 on a mismatch)\n"
    "  --bytes M    bytes per client (default 65536)\n"
    "  --chunk B    the server reads and echoes up to B bytes at a time\n"
    "               (default 65536, libuv's suggested read size; 64..1M)\n"
    "Set COSCOPE_TRACE=run.jsonl to record a trace.\n";

typedef struct options {
    long port, clients, bytes, chunk;
} options;

typedef struct client {
    int id, port;
    long bytes;
    long echoed; /* bytes that came back equal */
    int ok;
} client;

static options opt = {.port = -1, .clients = 0, .bytes = 65536,
                      .chunk = 65536};

/* The buffer is on the heap: a 64 KiB chunk would fill a 64 KiB stack. */
static void echo_conn(co_tcp *s, void *ctx)
{
    (void)ctx;
    char *buf = malloc((size_t)opt.chunk);
    if (!buf)
        return;
    for (;;) {
        ssize_t n = co_read(s, buf, (size_t)opt.chunk);
        if (n <= 0)
            break; /* EOF, reset or cancelled */
        if (co_write(s, buf, (size_t)n) < 0)
            break;
    }
    free(buf);
}

/* Reads exactly len bytes. 0 or an error (CO_EOF on an early close). */
static int read_all(co_tcp *s, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = co_read(s, buf + got, len - got);
        if (n == 0)
            return CO_EOF;
        if (n < 0)
            return (int)n;
        got += (size_t)n;
    }
    return 0;
}

static void *client_task(void *arg)
{
    client *cl = arg;
    char out[CHUNK_MAX], back[CHUNK_MAX]; /* 16 KB of a 64 KB stack */
    co_tcp *s;
    int err = co_tcp_connect("127.0.0.1", cl->port, &s);
    if (err) {
        fprintf(stderr, "client %d: connect: %s\n", cl->id, co_strerror(err));
        return NULL;
    }
    ex_rng rng;
    ex_rng_seed(&rng, 0xEC40u + (uint64_t)cl->id);
    uint64_t sent_sum = EX_FNV_INIT, back_sum = EX_FNV_INIT;
    long sent = 0;
    int mismatch = 0;
    while (sent < cl->bytes && !mismatch) {
        size_t n = 1 + ex_rng_below(&rng, CHUNK_MAX);
        if ((long)n > cl->bytes - sent)
            n = (size_t)(cl->bytes - sent);
        for (size_t i = 0; i < n; i++)
            out[i] = (char)(ex_rng_next(&rng) >> 56);
        ssize_t w = co_write(s, out, n);
        err = w < 0 ? (int)w : read_all(s, back, n);
        if (err) {
            fprintf(stderr, "client %d: echo failed after %ld bytes: %s\n",
                    cl->id, sent, co_strerror(err));
            mismatch = 1;
            break;
        }
        sent_sum = ex_fnv(sent_sum, out, n);
        back_sum = ex_fnv(back_sum, back, n);
        if (memcmp(out, back, n) != 0) {
            fprintf(stderr, "client %d: echoed bytes differ at offset %ld\n",
                    cl->id, sent);
            mismatch = 1;
        } else {
            cl->echoed += (long)n;
        }
        sent += (long)n;
    }
    co_close(s);
    cl->ok = !mismatch && sent == cl->bytes && sent_sum == back_sum;
    return NULL;
}

static int run_clients(int port)
{
    client *cls = calloc((size_t)opt.clients, sizeof *cls);
    co_task **tasks = calloc((size_t)opt.clients, sizeof *tasks);
    long total = 0, failed = 0;
    if (!cls || !tasks) {
        free(cls);
        free(tasks);
        return 1;
    }
    for (long i = 0; i < opt.clients; i++) {
        char name[32];
        cls[i] = (client){.id = (int)i + 1, .port = port, .bytes = opt.bytes};
        snprintf(name, sizeof name, "client %ld", i + 1);
        tasks[i] = co_spawn(client_task, &cls[i], name);
    }
    for (long i = 0; i < opt.clients; i++) {
        if (tasks[i])
            co_join(tasks[i], NULL);
        total += cls[i].echoed;
        failed += !cls[i].ok;
    }
    if (failed)
        printf("clients: %ld bytes: %ld FAILED (%ld clients)\n", opt.clients,
               total, failed);
    else
        printf("clients: %ld bytes: %ld ok\n", opt.clients, total);
    free(cls);
    free(tasks);
    return failed ? 1 : 0;
}

static void *main_task(void *arg)
{
    int *status = arg;
    ex_server *srv;
    int err = ex_server_start("127.0.0.1", (int)opt.port, "conn", echo_conn,
                              NULL, &srv);
    if (err) {
        fprintf(stderr, "echo_server: listen on port %ld: %s\n", opt.port,
                co_strerror(err));
        *status = 1;
        return NULL;
    }
    int port = ex_server_port(srv);
    printf("echo_server: listening on 127.0.0.1:%d\n", port);
    fflush(stdout);
    if (opt.clients == 0) {
        for (;;) /* until killed */
            if (co_sleep(3600 * 1000) != 0)
                break;
        ex_server_stop(srv, 1);
        return NULL;
    }
    co_mark("starting %ld clients x %ld bytes", opt.clients, opt.bytes);
    *status = run_clients(port);
    co_mark("clients done");
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
        if ((r = ex_opt_long(argc, argv, &i, "--port", 0, 65535, &opt.port)) ||
            (r = ex_opt_long(argc, argv, &i, "--clients", 1, 1000,
                             &opt.clients)) ||
            (r = ex_opt_long(argc, argv, &i, "--bytes", 0, 1L << 30,
                             &opt.bytes)) ||
            (r = ex_opt_long(argc, argv, &i, "--chunk", 64, 1L << 20,
                             &opt.chunk))) {
            if (r < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "echo_server: unknown option %s\n%s", argv[i], usage);
        return 2;
    }
    if (opt.port < 0)
        opt.port = opt.clients ? 0 : 7007;
    int status = 0;
    int err = co_main(main_task, &status);
    if (err) {
        fprintf(stderr, "echo_server: %s\n", co_strerror(err));
        return 1;
    }
    return status;
}
