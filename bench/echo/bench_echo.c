/* bench/echo/bench_echo.c: a load client for examples/echo_server. It keeps
 * C connections busy on 127.0.0.1 (one thread, epoll, a bounded window of
 * unanswered bytes per connection), checks every byte that comes back, and
 * prints the echo throughput as `name: value unit` lines. It is plain POSIX
 * on purpose: the client must not carry the runtime or the tracer, so that
 * COSCOPE_TRACE on the server is the only thing that changes between runs.
 * Usage: bench_echo --port P [--conns C] [--bytes N] [--window W] */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The stream carries byte (offset % PERIOD); a prime period means a chunk
 * that came back shifted or from another connection does not compare equal. */
#define PERIOD    251
#define IO_MAX    (64 * 1024)
#define CONNS_MAX 1000

static const char usage[] =
    "usage: bench_echo --port P [--conns C] [--bytes N] [--window W]\n"
    "\n"
    "Sends N bytes in all (default 1 GiB) to an echo server on 127.0.0.1:P\n"
    "over C connections (default 4, at most 1000), at most W bytes in\n"
    "flight per connection (default 262144), checks every byte echoed, and\n"
    "prints echo_mb_s (MB = 10^6 bytes, counted once: bytes sent and\n"
    "echoed back), echo_seconds and echo_bytes. Exit 1 on a mismatch, a\n"
    "refused connection or an early close.\n";

typedef struct conn {
    int fd;
    uint64_t want; /* bytes this connection sends in all */
    uint64_t sent, got;
    int out_on; /* EPOLLOUT currently requested */
} conn;

static char pattern[IO_MAX + PERIOD];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Parses a positive integer with an optional K/M/G (binary) suffix. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || v == 0)
        return -1;
    switch (*end) {
    case 'K': v <<= 10; end++; break;
    case 'M': v <<= 20; end++; break;
    case 'G': v <<= 30; end++; break;
    default: break;
    }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int conn_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static int want_out(int ep, conn *c, int on)
{
    if (c->out_on == on)
        return 0;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0u),
                             .data.ptr = c};
    c->out_on = on;
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes while the window has room. 0, or -1 on a socket error. */
static int pump_out(conn *c, uint64_t window)
{
    while (c->sent < c->want && c->sent - c->got < window) {
        uint64_t n = c->want - c->sent;
        uint64_t room = window - (c->sent - c->got);
        if (n > room)
            n = room;
        if (n > IO_MAX)
            n = IO_MAX;
        ssize_t w = write(c->fd, pattern + c->sent % PERIOD, (size_t)n);
        if (w < 0)
            return errno == EAGAIN ? 0 : -1;
        c->sent += (uint64_t)w;
    }
    return 0;
}

/* Reads what is there and checks it. 0, or -1 on an error, an early EOF
 * or a wrong byte (with a message). */
static int pump_in(conn *c)
{
    static char buf[IO_MAX];
    for (;;) {
        ssize_t r = read(c->fd, buf, sizeof buf);
        if (r < 0)
            return errno == EAGAIN ? 0 : -1;
        if (r == 0) {
            fprintf(stderr, "bench_echo: server closed after %llu bytes\n",
                    (unsigned long long)c->got);
            return -1;
        }
        if ((uint64_t)r > c->sent - c->got ||
            memcmp(buf, pattern + c->got % PERIOD, (size_t)r) != 0) {
            fprintf(stderr, "bench_echo: wrong echo at offset %llu\n",
                    (unsigned long long)c->got);
            return -1;
        }
        c->got += (uint64_t)r;
        if (c->got == c->want)
            return 0;
    }
}

static int run(int port, int nconns, uint64_t total, uint64_t window,
               double *seconds)
{
    conn *cs = calloc((size_t)nconns, sizeof *cs);
    int ep = epoll_create1(EPOLL_CLOEXEC), rc = -1, open = 0, left = 0;
    if (!cs || ep < 0)
        goto done;
    double t0 = now_s();
    for (int i = 0; i < nconns; i++, open++) {
        conn *c = &cs[i];
        c->want = total / (uint64_t)nconns +
                  (i < (int)(total % (uint64_t)nconns) ? 1 : 0);
        c->fd = conn_open(port);
        if (c->fd < 0) {
            perror("bench_echo: connect");
            goto done;
        }
        c->out_on = 1;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            goto done;
        left += c->want > 0;
    }
    struct epoll_event evs[64];
    while (left > 0) {
        int n = epoll_wait(ep, evs, 64, 10000);
        if (n == 0) {
            fprintf(stderr, "bench_echo: no progress for 10 s\n");
            goto done;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto done;
        }
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->got == c->want)
                continue;
            if (evs[i].events & (EPOLLERR | EPOLLHUP) &&
                !(evs[i].events & EPOLLIN)) {
                fprintf(stderr, "bench_echo: connection failed\n");
                goto done;
            }
            if (pump_in(c) != 0 || pump_out(c, window) != 0)
                goto done;
            if (c->got == c->want) {
                left--;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                shutdown(c->fd, SHUT_WR);
                continue;
            }
            /* Ask for EPOLLOUT only while a write is actually waiting. */
            int blocked = c->sent < c->want && c->sent - c->got < window;
            if (want_out(ep, c, blocked) != 0)
                goto done;
        }
    }
    *seconds = now_s() - t0;
    rc = 0;
done:
    for (int i = 0; i < open; i++)
        close(cs[i].fd);
    if (ep >= 0)
        close(ep);
    free(cs);
    return rc;
}

int main(int argc, char **argv)
{
    long port = 0, nconns = 4;
    uint64_t total = 1ull << 30, window = 256 * 1024;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        int bad = !v;
        if (v && strcmp(a, "--port") == 0)
            bad = (port = strtol(v, NULL, 10)) < 1 || port > 65535;
        else if (v && strcmp(a, "--conns") == 0)
            bad = (nconns = strtol(v, NULL, 10)) < 1 || nconns > CONNS_MAX;
        else if (v && strcmp(a, "--bytes") == 0)
            bad = parse_size(v, &total) != 0;
        else if (v && strcmp(a, "--window") == 0)
            bad = parse_size(v, &window) != 0;
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "bench_echo: bad option %s%s%s\n%s", a,
                    v ? " " : "", v ? v : "", usage);
            return 2;
        }
    }
    if (!port) {
        fprintf(stderr, "bench_echo: --port is required\n%s", usage);
        return 2;
    }
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (char)(i % PERIOD);
    double s = 0;
    if (run((int)port, (int)nconns, total, window, &s) != 0)
        return 1;
    printf("echo_bytes: %llu B\n", (unsigned long long)total);
    printf("echo_conns: %ld conns\n", nconns);
    printf("echo_seconds: %.3f s\n", s);
    printf("echo_mb_s: %.1f MB/s\n", (double)total / s / 1e6);
    return 0;
}
