/* examples/ex_util.c: the helpers of ex_util.h. The line reader keeps one
 * fixed buffer per connection so a task never mallocs per request; lines
 * longer than it are refused (CO_E2BIG) rather than grown without bound,
 * since every peer of an example server is untrusted input. */
#include "ex_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int ex_opt_flag(char **argv, int i, const char *name)
{
    return strcmp(argv[i], name) == 0;
}

int ex_opt_long(int argc, char **argv, int *i, const char *name, long min,
                long max, long *out)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    const char *val;
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        val = arg + n + 1;
    } else if (arg[n] == '\0') {
        if (*i + 1 >= argc) {
            fprintf(stderr, "%s: missing value\n", name);
            return -1;
        }
        val = argv[++*i];
    } else {
        return 0; /* a longer option that starts the same */
    }
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end || v < min || v > max) {
        fprintf(stderr, "%s: expected an integer in [%ld, %ld], got \"%s\"\n",
                name, min, max, val);
        return -1;
    }
    *out = v;
    return 1;
}

void ex_rng_seed(ex_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t ex_rng_next(ex_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t ex_rng_below(ex_rng *r, uint32_t n)
{
    return (uint32_t)(ex_rng_next(r) % n); /* bias is irrelevant here */
}

uint64_t ex_fnv(uint64_t h, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t ex_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ms of this thread's CPU time, not of wall time: work costs CPU, and on a
 * busy machine a wall-clock spin would do less of it (the analysis judges a
 * blocked loop by the CPU the task used, not by time the OS took away). */
void ex_busy_ms(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    uint64_t until = now + (uint64_t)ms * 1000000u;
    volatile uint64_t sink = 0;
    while (now < until) {
        for (int k = 0; k < 1000; k++)
            sink += (uint64_t)k;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    (void)sink;
}

void ex_rbuf_take(ex_rbuf *rb, size_t n)
{
    rb->start += n;
    if (rb->start == rb->end)
        rb->start = rb->end = 0;
}

ssize_t ex_rbuf_fill(co_tcp *s, ex_rbuf *rb)
{
    if (rb->start > 0) {
        memmove(rb->data, rb->data + rb->start, rb->end - rb->start);
        rb->end -= rb->start;
        rb->start = 0;
    }
    if (rb->end == sizeof rb->data)
        return CO_E2BIG;
    ssize_t n = co_read(s, rb->data + rb->end, sizeof rb->data - rb->end);
    if (n > 0)
        rb->end += (size_t)n;
    return n;
}

ssize_t ex_read_line(co_tcp *s, ex_rbuf *rb, char *out, size_t cap)
{
    for (;;) {
        const char *p = ex_rbuf_peek(rb);
        const char *nl = memchr(p, '\n', ex_rbuf_len(rb));
        if (nl) {
            size_t n = (size_t)(nl - p);
            size_t keep = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
            if (keep + 1 > cap)
                return CO_E2BIG;
            memcpy(out, p, keep);
            out[keep] = '\0';
            ex_rbuf_take(rb, n + 1);
            return (ssize_t)keep;
        }
        if (ex_rbuf_len(rb) + 1 > cap)
            return CO_E2BIG;
        ssize_t r = ex_rbuf_fill(s, rb);
        if (r == 0)
            return CO_EOF;
        if (r < 0)
            return r;
    }
}

ssize_t ex_read_exact(co_tcp *s, ex_rbuf *rb, void *out, size_t len)
{
    char *dst = out;
    size_t got = ex_rbuf_len(rb) < len ? ex_rbuf_len(rb) : len;
    memcpy(dst, ex_rbuf_peek(rb), got);
    ex_rbuf_take(rb, got);
    while (got < len) {
        ssize_t r = co_read(s, dst + got, len - got);
        if (r == 0)
            return CO_EOF;
        if (r < 0)
            return r;
        got += (size_t)r;
    }
    return (ssize_t)len;
}
