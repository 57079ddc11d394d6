/* examples/lock_crawler.c: a contended mutex that no single wait shows.
 * A server task serves P pages over HTTP/1.1 on loopback, each after a
 * short think time (a timer, like a backend's latency); W worker tasks
 * fetch them over keep-alive connections, and each one holds the mutex
 * "cookies" across its whole fetch (the bug: the lock should guard only the
 * cookie jar update). Every wait for the lock is short, but together they
 * serialise the crawl: `coscope stalls --threshold 1s` finds no stall and
 * names the mutex, what its holders did while holding it, and where. */
#include "ex_http.h"
#include "ex_server.h"
#include "ex_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: lock_crawler [--workers W] [--pages P] [--think-ms MS] [--unlocked]\n"
    "\n"
    "Serves P pages on 127.0.0.1 (each answered after MS ms) and fetches\n"
    "them with W worker tasks that hold the mutex \"cookies\" across each\n"
    "fetch; prints `pages: P` and exits.\n"
    "  --workers W   worker tasks (1..32, default 4)\n"
    "  --pages P     pages to fetch (1..10000, default 48)\n"
    "  --think-ms MS server time per page (0..1000, default 10)\n"
    "  --unlocked    take the mutex only around the cookie update (the fix)\n"
    "Set COSCOPE_TRACE=run.jsonl to record a trace.\n";

static long workers = 4, pages = 48, think_ms = 10;
static int unlocked;
static co_mutex *cookies;
static long next_page, fetched, cookie_count;
static int port;

static int page_handler(void *ctx, const ex_http_req *req, ex_http_out *out)
{
    (void)ctx;
    if (think_ms > 0) {
        int err = co_sleep((uint64_t)think_ms);
        if (err)
            return err;
    }
    char body[64];
    int n = snprintf(body, sizeof body, "page %s\n", req->path);
    return ex_http_respond(out, 200, "text/plain", body, (size_t)n, req->keep_alive);
}

static void page_conn(co_tcp *s, void *ctx)
{
    ex_http_serve(s, page_handler, ctx);
}

/* One GET of /page/N on s: 0 or an error. */
static int fetch(co_tcp *s, ex_rbuf *rb, long n)
{
    char path[64];
    ex_http_resp resp;
    snprintf(path, sizeof path, "/page/%ld", n);
    int err = ex_http_get(s, rb, "127.0.0.1", path, &resp);
    if (err)
        return err;
    err = resp.status == 200 ? 0 : CO_EINVAL;
    ex_http_resp_free(&resp);
    return err;
}

static void *worker(void *arg)
{
    (void)arg;
    co_tcp *s = NULL;
    ex_rbuf *rb = calloc(1, sizeof *rb);
    intptr_t err = rb ? co_tcp_connect("127.0.0.1", port, &s) : CO_ENOMEM;
    while (!err && next_page < pages) {
        long n = next_page++;
        if (!unlocked)
            co_mutex_lock(cookies); /* the bug: held across the fetch */
        err = fetch(s, rb, n);
        if (unlocked)
            co_mutex_lock(cookies);
        cookie_count++; /* what the lock is for */
        co_mutex_unlock(cookies);
        if (!err)
            fetched++;
    }
    if (s)
        co_close(s);
    free(rb);
    return (void *)err;
}

static void *main_task(void *arg)
{
    (void)arg;
    ex_server *srv;
    co_task *w[32];
    intptr_t rc = 0;
    cookies = co_mutex_name(co_mutex_new(), "cookies");
    if (!cookies || ex_server_start("127.0.0.1", 0, "page conn", page_conn, NULL, &srv) != 0)
        return (void *)(intptr_t)1;
    port = ex_server_port(srv);
    for (long i = 0; i < workers; i++) {
        char name[32];
        snprintf(name, sizeof name, "worker %ld", i + 1);
        w[i] = co_spawn(worker, NULL, name);
    }
    for (long i = 0; i < workers; i++) {
        void *res = NULL;
        if (!w[i] || co_join(w[i], &res) != 0 || res)
            rc = 1;
    }
    ex_server_stop(srv, 1);
    co_mutex_free(cookies);
    printf("pages: %ld\n", fetched);
    return (void *)rc;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int m;
        if (ex_opt_flag(argv, i, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (ex_opt_flag(argv, i, "--unlocked")) {
            unlocked = 1;
            continue;
        }
        if ((m = ex_opt_long(argc, argv, &i, "--workers", 1, 32, &workers)) ||
            (m = ex_opt_long(argc, argv, &i, "--pages", 1, 10000, &pages)) ||
            (m = ex_opt_long(argc, argv, &i, "--think-ms", 0, 1000, &think_ms))) {
            if (m < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "lock_crawler: unknown argument '%s'\n%s", argv[i], usage);
        return 2;
    }
    return co_main(main_task, NULL) == 0 && fetched == pages ? 0 : 1;
}
