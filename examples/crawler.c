/* examples/crawler.c: a web crawler against a site served in the same
 * process. A server task serves ~200 generated pages over HTTP/1.1 on
 * loopback (one of them deliberately slow); N crawler tasks share a channel
 * as the work queue, fetch over keep-alive connections, parse href links and
 * dedupe them in a set guarded by a co_mutex. The crawl ends when no page is
 * outstanding: the task that sees the count reach 0 closes the queue. */
#include "ex_http.h"
#include "ex_server.h"
#include "ex_util.h"

#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: crawler [--crawlers N] [--pages P] [--seed S] [--slow-ms MS]\n"
    "\n"
    "Serves a generated site of P linked pages on 127.0.0.1 and crawls it\n"
    "from /page/0 with N tasks sharing a channel as the work queue, then\n"
    "prints `pages: P bytes: B` (B: body bytes fetched) and exits.\n"
    "  --crawlers N  crawler tasks (1..64, default 8)\n"
    "  --pages P     pages on the site (2..5000, default 200)\n"
    "  --seed S      seed of the site's link graph and text (default 42)\n"
    "  --slow-ms MS  how long the server sleeps before answering the one\n"
    "                slow page (default 150)\n"
    "  --port P      the site's port (default 0: any)\n"
    "Set COSCOPE_TRACE=run.jsonl to record a trace.\n";

typedef struct options {
    long crawlers, pages, seed, slow_ms, port;
} options;

static options opt = {
    .crawlers = 8, .pages = 200, .seed = 42, .slow_ms = 150, .port = 0};

/* ---- the site ---- */

typedef struct page {
    char *html;
    size_t len;
} page;

static page *site;
static long slow_page;

static const char *const words[] = {
    "coroutine", "loop",   "stack",     "yield", "timer",  "socket",
    "channel",   "mutex",  "trace",     "stall", "replay", "latency",
    "task",      "wake",   "poll",      "queue", "buffer", "deadline",
    "join",      "cancel", "scheduler", "event", "handle", "thread",
};
#define NWORDS (sizeof words / sizeof words[0])

/* Appends printf output to a growing string. 0 or CO_ENOMEM. */
static int appendf(ex_http_out *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int appendf(ex_http_out *b, const char *fmt, ...)
{
    va_list ap;
    char tmp[256];
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return CO_EINVAL;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return CO_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, tmp, (size_t)n + 1);
    b->len += (size_t)n;
    return 0;
}

/* Page i links to i+1 (so every page is reachable from page 0) and to 2..7
 * pages the PRNG picks; its text is 20..200 words. Deterministic per seed.
 * Pages up to the slow one link only among themselves, so the slow page
 * gates the rest of the site: the crawl visibly waits for it. */
static int site_build(void)
{
    ex_rng rng;
    ex_rng_seed(&rng, (uint64_t)opt.seed);
    site = calloc((size_t)opt.pages, sizeof *site);
    if (!site)
        return CO_ENOMEM;
    slow_page = opt.pages * 2 / 3;
    for (long i = 0; i < opt.pages; i++) {
        ex_http_out b = {0};
        int err = appendf(&b,
                          "<!DOCTYPE html>\n<html><head><title>Page %ld"
                          "</title></head>\n<body>\n<h1>Page %ld</h1>\n<p>",
                          i, i);
        unsigned nwords = 20 + ex_rng_below(&rng, 181);
        for (unsigned w = 0; w < nwords && !err; w++)
            err = appendf(&b, "%s%s", w ? " " : "",
                          words[ex_rng_below(&rng, NWORDS)]);
        err = err ? err : appendf(&b, ".</p>\n<ul>\n");
        if (i + 1 < opt.pages && !err)
            err =
                appendf(&b, "<li><a href=\"/page/%ld\">next</a></li>\n", i + 1);
        unsigned nlinks = 2 + ex_rng_below(&rng, 6);
        for (unsigned l = 0; l < nlinks && !err; l++) {
            long range = i <= slow_page ? slow_page + 1 : opt.pages;
            uint32_t to = ex_rng_below(&rng, (uint32_t)range);
            err = appendf(&b, "<li><a href=\"/page/%u\">page %u</a></li>\n", to,
                          to);
        }
        /* Links the crawler must skip: off-site and in-page. */
        err = err ? err
                  : appendf(&b, "</ul>\n<a href=\"#top\">top</a> "
                                "<a href=\"http://example.invalid/\">away</a>"
                                "\n</body></html>\n");
        if (err) {
            ex_http_out_free(&b);
            return err;
        }
        site[i].html = b.data;
        site[i].len = b.len;
    }
    return 0;
}

static void site_free(void)
{
    for (long i = 0; site && i < opt.pages; i++)
        free(site[i].html);
    free(site);
    site = NULL;
}

/* "/page/N" with N a page of the site: N; otherwise -1. */
static long page_of(const char *path, size_t len)
{
    if (len < 7 || len > 12 || strncmp(path, "/page/", 6) != 0)
        return -1;
    long n = 0;
    for (size_t i = 6; i < len; i++) {
        if (path[i] < '0' || path[i] > '9')
            return -1;
        n = n * 10 + (path[i] - '0');
    }
    return n < opt.pages ? n : -1;
}

static int site_handler(void *ctx, const ex_http_req *req, ex_http_out *out)
{
    (void)ctx;
    long p = page_of(req->path, strlen(req->path));
    if (strcmp(req->method, "GET") != 0 || p < 0)
        return ex_http_respond(out, 404, "text/plain", "not found\n", 10,
                               req->keep_alive);
    if (p == slow_page) {
        co_mark("slow page /page/%ld: server sleeps %ld ms", p, opt.slow_ms);
        int err = co_sleep((uint64_t)opt.slow_ms);
        if (err)
            return err;
    }
    return ex_http_respond(out, 200, "text/html", site[p].html, site[p].len,
                           req->keep_alive);
}

static void site_conn(co_tcp *s, void *ctx)
{
    ex_http_serve(s, site_handler, ctx);
}

static volatile int interrupted; /* ^C came (set by the stopper task) */

/* ---- the crawl ---- */

typedef struct crawl {
    int port;
    co_chan *queue;      /* page numbers still to fetch */
    co_mutex *lock;      /* guards seen, outstanding and the totals */
    unsigned char *seen; /* pages ever queued */
    long outstanding;    /* queued or being fetched */
    long pages, bytes;
    int failed;
} crawl;

/* Collects up to max page numbers from the href="..." links in html. */
static size_t parse_links(const char *html, long *links, size_t max)
{
    size_t n = 0;
    const char *p = html;
    while (n < max && (p = strstr(p, "href=\"")) != NULL) {
        p += 6;
        const char *end = strchr(p, '"');
        if (!end)
            break;
        long to = page_of(p, (size_t)(end - p));
        if (to >= 0)
            links[n++] = to;
        p = end + 1;
    }
    return n;
}

/* Queues the new ones among links and retires the page just fetched. */
static void record_page(crawl *c, size_t body, const long *links, size_t n)
{
    if (co_mutex_lock(c->lock) != 0)
        return; /* cancelled (^C): the crawl is over anyway */
    c->pages++;
    c->bytes += (long)body;
    for (size_t i = 0; i < n; i++) {
        if (c->seen[links[i]])
            continue;
        c->seen[links[i]] = 1;
        c->outstanding++;
        /* Never waits: the queue holds every page of the site. */
        co_chan_send(c->queue, &links[i]);
    }
    if (--c->outstanding == 0) {
        co_mark("queue drained after %ld pages", c->pages);
        co_chan_close(c->queue);
    }
    co_mutex_unlock(c->lock);
}

static void *crawler_task(void *arg)
{
    crawl *c = arg;
    co_tcp *s = NULL;
    ex_rbuf *rb = malloc(sizeof *rb);
    long page_no, links[64];
    if (!rb)
        goto fail;
    while (co_chan_recv(c->queue, &page_no) == 0) {
        char path[32];
        ex_http_resp resp;
        int err = 0;
        if (!s) {
            err = co_tcp_connect("127.0.0.1", c->port, &s);
            rb->start = rb->end = 0;
        }
        snprintf(path, sizeof path, "/page/%ld", page_no);
        err = err ? err : ex_http_get(s, rb, "127.0.0.1", path, &resp);
        if (err == CO_ECANCELED)
            break; /* ^C: stop quietly */
        if (err || resp.status != 200) {
            fprintf(stderr, "crawler: GET %s: %s\n", path,
                    err ? co_strerror(err) : "status not 200");
            if (!err)
                ex_http_resp_free(&resp);
            goto fail;
        }
        size_t n = parse_links(resp.body, links, 64);
        record_page(c, resp.content_length, links, n);
        if (!resp.keep_alive) {
            co_close(s);
            s = NULL;
        }
        ex_http_resp_free(&resp);
    }
    if (s)
        co_close(s);
    free(rb);
    return NULL;
fail:
    /* Stop the whole crawl: the others drain the queue and end. */
    c->failed = 1;
    co_chan_close(c->queue);
    if (s)
        co_close(s);
    free(rb);
    return NULL;
}

/* ^C stops the crawl: the crawlers are cancelled, their group waited for,
 * and what was fetched so far is reported. */
static void *stopper_task(void *arg)
{
    co_group *crawlers = arg;
    if (co_signal_wait(SIGINT) == SIGINT) {
        co_mark("interrupted");
        interrupted = 1;
        co_group_cancel(crawlers);
    }
    return NULL;
}

static void *main_task(void *arg)
{
    int *status = arg;
    crawl c = {0};
    ex_server *srv = NULL;
    co_group *crawlers = co_group_name(co_group_new(), "crawlers");
    *status = 1;
    c.seen = calloc((size_t)opt.pages, 1);
    c.queue = co_chan_new(sizeof(long), (size_t)opt.pages);
    c.lock = co_mutex_new();
    if (!crawlers || !c.seen || !c.queue || !c.lock || site_build() != 0) {
        fprintf(stderr, "crawler: out of memory\n");
        goto done;
    }
    co_chan_name(c.queue, "work queue");
    co_mutex_name(c.lock, "seen set");
    int err = ex_server_start("127.0.0.1", (int)opt.port, "http conn",
                              site_conn, NULL, &srv);
    if (err) {
        fprintf(stderr, "crawler: listen: %s\n", co_strerror(err));
        goto done;
    }
    c.port = ex_server_port(srv);

    long start = 0;
    c.seen[0] = 1;
    c.outstanding = 1;
    co_chan_send(c.queue, &start);
    co_mark("crawl of %ld pages with %ld crawlers", opt.pages, opt.crawlers);
    co_signal_catch(SIGINT);
    co_task *stopper = co_spawn(stopper_task, crawlers, "stopper");
    fprintf(stderr, "crawler: crawling %ld pages (^C stops)\n", opt.pages);
    for (long i = 0; i < opt.crawlers; i++) {
        char name[32];
        snprintf(name, sizeof name, "crawler %ld", i + 1);
        co_group_spawn(crawlers, crawler_task, &c, name);
    }
    co_group_wait(crawlers);
    co_cancel(stopper); /* no ^C came: it stops waiting */
    co_join(stopper, NULL);
    ex_server_stop(srv, interrupted);
    printf("pages: %ld bytes: %ld\n", c.pages, c.bytes);
    if (interrupted) {
        fprintf(stderr, "crawler: interrupted after %ld pages\n", c.pages);
        *status = 130;
    } else {
        *status = c.failed || c.pages != opt.pages;
    }
done:
    site_free();
    co_group_free(crawlers);
    co_mutex_free(c.lock);
    co_chan_free(c.queue);
    free(c.seen);
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
        if ((r = ex_opt_long(argc, argv, &i, "--crawlers", 1, 64,
                             &opt.crawlers)) ||
            (r = ex_opt_long(argc, argv, &i, "--pages", 2, 5000, &opt.pages)) ||
            (r = ex_opt_long(argc, argv, &i, "--seed", 0, 1L << 31,
                             &opt.seed)) ||
            (r = ex_opt_long(argc, argv, &i, "--slow-ms", 0, 5000,
                             &opt.slow_ms)) ||
            (r = ex_opt_long(argc, argv, &i, "--port", 0, 65535, &opt.port))) {
            if (r < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "crawler: unknown option %s\n%s", argv[i], usage);
        return 2;
    }
    int status = 0;
    int err = co_main(main_task, &status);
    if (err) {
        fprintf(stderr, "crawler: %s\n", co_strerror(err));
        return 1;
    }
    return status;
}
