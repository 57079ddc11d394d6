/* bench/read/gen.c: a synthetic but realistic coscope trace (format v1).
 * A simulated single-threaded scheduler: tasks cycle run -> yield on io,
 * sleep, channels, locks, plain yields and pool work -> ready; the loop
 * polls when nothing is ready; a few slices run long enough to stall.
 * Pool work lines are written late, as worker threads do, so readers must
 * sort. Deterministic for a given seed. Shared by gen_trace and the tests. */
#include "gen.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct wake {
    int64_t t;
    uint32_t task;
    uint8_t why; /* what the task waits for (gen_wait_*) */
} wake;

enum { W_IO, W_SLEEP, W_CHAN, W_LOCK, W_WORK };

typedef struct gen {
    FILE *out;
    uint64_t n, max;
    uint64_t rng;
    int64_t now;
    uint32_t next_id;
    uint32_t *ready;
    size_t nready, capready;
    wake *heap;
    size_t nheap, capheap;
} gen;

static uint64_t rnd(gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

static int64_t rnd_range(gen *g, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(g) % (uint64_t)(hi - lo + 1));
}

#define EMIT(g, ...)                                                           \
    do {                                                                       \
        fprintf((g)->out, __VA_ARGS__);                                        \
        (g)->n++;                                                              \
    } while (0)

static int push_ready(gen *g, uint32_t task)
{
    if (g->nready == g->capready) {
        size_t cap = g->capready ? g->capready * 2 : 1024;
        uint32_t *r = realloc(g->ready, cap * sizeof *r);
        if (!r)
            return -1;
        g->ready = r;
        g->capready = cap;
    }
    g->ready[g->nready++] = task;
    return 0;
}

static int heap_push(gen *g, wake w)
{
    if (g->nheap == g->capheap) {
        size_t cap = g->capheap ? g->capheap * 2 : 1024;
        wake *h = realloc(g->heap, cap * sizeof *h);
        if (!h)
            return -1;
        g->heap = h;
        g->capheap = cap;
    }
    size_t i = g->nheap++;
    while (i > 0 && g->heap[(i - 1) / 2].t > w.t) {
        g->heap[i] = g->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->heap[i] = w;
    return 0;
}

static wake heap_pop(gen *g)
{
    wake top = g->heap[0], last = g->heap[--g->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= g->nheap)
            break;
        if (c + 1 < g->nheap && g->heap[c + 1].t < g->heap[c].t)
            c++;
        if (g->heap[c].t >= last.t)
            break;
        g->heap[i] = g->heap[c];
        i = c;
    }
    if (g->nheap)
        g->heap[i] = last;
    return top;
}

static int spawn(gen *g, uint32_t parent)
{
    uint32_t id = g->next_id++;
    EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"spawn\",\"task\":%u,\"parent\":%u,\"name\":\"conn-%u\",\"at\":\"/home/dev/src/echo/server.c:%u\"}\n",
         g->now, id, parent, id % 500, 100 + id % 7);
    EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"ready\",\"task\":%u,\"by\":%u,\"why\":\"spawn\"}\n",
         g->now, id, parent);
    return push_ready(g, id);
}

/* One run slice of `task` and what it does next. */
static int run_one(gen *g, uint32_t task)
{
    EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"run\",\"task\":%u}\n", g->now, task);
    int64_t slice = rnd_range(g, 2000, 40000);
    if (rnd(g) % 100000 == 0)
        slice = rnd_range(g, 21000000, 60000000); /* a blocking call */
    g->now += slice;
    uint64_t r = rnd(g) % 100;
    if (r < 2) {
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"exit\",\"task\":%u,\"status\":\"%s\"}\n", g->now,
             task, r == 0 ? "cancelled" : "ok");
        return spawn(g, task);
    }
    if (r < 4) {
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"mark\",\"task\":%u,\"msg\":\"request done\"}\n",
             g->now, task);
    }
    if (r < 10) { /* co_yield: ready again at once */
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"yield\",\"task\":%u,\"why\":\"yield\",\"at\":\"/home/dev/src/echo/server.c:80\"}\n",
             g->now, task);
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"ready\",\"task\":%u,\"by\":%u,\"why\":\"yield\"}\n",
             g->now, task, task);
        return push_ready(g, task);
    }
    wake w = {.task = task};
    if (r < 55) {
        int fd = 10 + (int)(task % 1000);
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"io_begin\",\"task\":%u,\"op\":\"read\",\"fd\":%d,\"bytes\":65536}\n",
             g->now, task, fd);
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"yield\",\"task\":%u,\"why\":\"io\",\"op\":\"read\",\"fd\":%d,\"at\":\"/home/dev/src/echo/server.c:42\"}\n",
             g->now, task, fd);
        w.why = W_IO;
        w.t = g->now + rnd_range(g, 10000, 3000000);
    } else if (r < 75) {
        int ms = (int)rnd_range(g, 1, 30);
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"yield\",\"task\":%u,\"why\":\"sleep\",\"ms\":%d,\"at\":\"/home/dev/src/echo/server.c:55\"}\n",
             g->now, task, ms);
        w.why = W_SLEEP;
        w.t = g->now + ms * 1000000LL;
    } else if (r < 88) {
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"yield\",\"task\":%u,\"why\":\"chan_recv\",\"obj\":%u,\"at\":\"/home/dev/src/echo/server.c:61\"}\n",
             g->now, task, 1 + task % 16);
        w.why = W_CHAN;
        w.t = g->now + rnd_range(g, 5000, 500000);
    } else if (r < 95) {
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"yield\",\"task\":%u,\"why\":\"lock\",\"obj\":%u,\"at\":\"/home/dev/src/echo/server.c:70\"}\n",
             g->now, task, 100 + task % 4);
        w.why = W_LOCK;
        w.t = g->now + rnd_range(g, 1000, 200000);
    } else {
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"yield\",\"task\":%u,\"why\":\"work\",\"at\":\"/home/dev/src/echo/server.c:90\"}\n",
             g->now, task);
        w.why = W_WORK;
        w.t = g->now + rnd_range(g, 100000, 5000000);
    }
    return heap_push(g, w);
}

/* The loop found what `w` waited for: completion lines, then ready. */
static void wake_one(gen *g, wake w)
{
    static const char *const why[] = {"io", "timer", "chan", "lock", "work"};
    uint32_t by = 0;
    if (w.why == W_IO)
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"io_end\",\"task\":%u,\"op\":\"read\",\"res\":%u}\n",
             g->now, w.task, (unsigned)(rnd(g) % 4096));
    if (w.why == W_WORK) { /* written late by a pool thread */
        uint32_t thread = 1 + w.task % 4;
        int64_t t0 = g->now - rnd_range(g, 50000, 90000);
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"work_begin\",\"task\":%u,\"thread\":%u,\"name\":\"hash\"}\n",
             t0, w.task, thread);
        EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"work_end\",\"task\":%u,\"thread\":%u,\"name\":\"hash\"}\n",
             g->now - 1000, w.task, thread);
    }
    if (w.why == W_CHAN || w.why == W_LOCK)
        by = 1 + (uint32_t)(rnd(g) % (g->next_id - 1));
    EMIT(g, "{\"t\":%" PRId64 ",\"ev\":\"ready\",\"task\":%u,\"by\":%u,\"why\":\"%s\"}\n", g->now,
         w.task, by, why[w.why]);
    push_ready(g, w.task);
}

int gen_trace(FILE *out, uint64_t nevents, uint64_t seed, uint32_t ntasks)
{
    gen g;
    memset(&g, 0, sizeof g);
    g.out = out;
    g.max = nevents;
    g.rng = seed ? seed : 88172645463325252ULL;
    g.next_id = 1;
    fprintf(out, "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"gen_trace\","
                 "\"pid\":4242,\"clock\":\"monotonic\",\"unix_ns\":1763762400000000000}\n");
    int rc = 0;
    for (uint32_t i = 0; i < ntasks && rc == 0; i++)
        rc = spawn(&g, 0);
    while (rc == 0 && g.n + 8 < g.max) {
        if (g.nready == 0) {
            if (g.nheap == 0)
                break;
            EMIT(&g, "{\"t\":%" PRId64 ",\"ev\":\"poll_begin\"}\n", g.now);
            if (g.heap[0].t > g.now)
                g.now = g.heap[0].t;
            EMIT(&g, "{\"t\":%" PRId64 ",\"ev\":\"poll_end\",\"events\":1}\n", g.now);
        }
        while (g.nheap && g.heap[0].t <= g.now && g.n + 8 < g.max)
            wake_one(&g, heap_pop(&g));
        /* run what is ready now, in FIFO order, a batch at a time */
        size_t batch = g.nready;
        uint32_t *run = malloc((batch ? batch : 1) * sizeof *run);
        if (!run) {
            rc = -1;
            break;
        }
        memcpy(run, g.ready, batch * sizeof *run);
        g.nready = 0;
        for (size_t i = 0; i < batch && rc == 0; i++) {
            if (g.n + 8 >= g.max) {
                rc = push_ready(&g, run[i]); /* stays ready */
                continue;
            }
            rc = run_one(&g, run[i]);
        }
        free(run);
    }
    g.n++;
    fprintf(out, "{\"t\":%" PRId64 ",\"ev\":\"end\",\"events\":%" PRIu64 ",\"dropped\":0}\n",
            g.now, g.n);
    free(g.ready);
    free(g.heap);
    return rc == 0 && !ferror(out) ? 0 : -1;
}

/* P: one formatted line to out */
#define P(...) fprintf(out, __VA_ARGS__)
/* gen_herd: N tasks park (why event) one after another, a releaser makes them all
 * ready at R (1 ns apart), then they run 2 us each, back to back, and
 * exit. Task i (1-based) is ready from R + i to B + 2000 (i - 1). */
int gen_herd(FILE *out, uint32_t n)
{
    int64_t t = 1000, bstart = GEN_HERD_R + n + 1000;
    P("%s", "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"herd\",\"pid\":1,\"clock\":\"monotonic\",\"unix_ns\":0}\n");
    for (uint32_t i = 1; i <= n; i++, t += 100) {
        P("{\"t\":%lld,\"ev\":\"spawn\",\"task\":%u,\"parent\":0,\"name\":\"w\"}\n", (long long)t, i);
        P("{\"t\":%lld,\"ev\":\"ready\",\"task\":%u,\"by\":0,\"why\":\"spawn\"}\n", (long long)t, i);
        P("{\"t\":%lld,\"ev\":\"run\",\"task\":%u}\n", (long long)t + 10, i);
        P("{\"t\":%lld,\"ev\":\"yield\",\"task\":%u,\"why\":\"event\",\"at\":\"herd.c:9\"}\n",
            (long long)t + 20, i);
    }
    uint32_t rel = n + 1;
    P("{\"t\":%lld,\"ev\":\"spawn\",\"task\":%u,\"parent\":0,\"name\":\"releaser\"}\n", (long long)t, rel);
    P("{\"t\":%lld,\"ev\":\"ready\",\"task\":%u,\"by\":0,\"why\":\"spawn\"}\n", (long long)t, rel);
    P("{\"t\":%lld,\"ev\":\"run\",\"task\":%u}\n", (long long)t + 10, rel);
    P("{\"t\":%lld,\"ev\":\"yield\",\"task\":%u,\"why\":\"sleep\",\"ms\":1}\n", (long long)t + 20, rel);
    P("{\"t\":%lld,\"ev\":\"ready\",\"task\":%u,\"by\":0,\"why\":\"timer\"}\n", (long long)GEN_HERD_R - 1, rel);
    P("{\"t\":%lld,\"ev\":\"run\",\"task\":%u}\n", (long long)GEN_HERD_R, rel);
    for (uint32_t i = 1; i <= n; i++)
        P("{\"t\":%lld,\"ev\":\"ready\",\"task\":%u,\"by\":%u,\"why\":\"chan\"}\n",
            (long long)(GEN_HERD_R + i), i, rel);
    P("{\"t\":%lld,\"ev\":\"exit\",\"task\":%u,\"status\":\"ok\"}\n", (long long)(GEN_HERD_R + n + 1), rel);
    for (uint32_t i = 1; i <= n; i++) {
        int64_t r = bstart + 2000 * (int64_t)(i - 1);
        P("{\"t\":%lld,\"ev\":\"run\",\"task\":%u}\n", (long long)r, i);
        P("{\"t\":%lld,\"ev\":\"exit\",\"task\":%u,\"status\":\"ok\"}\n", (long long)r + 2000, i);
    }
    P("{\"t\":%lld,\"ev\":\"end\",\"events\":0,\"dropped\":0}\n", (long long)(bstart + 2000LL * n));
    return ferror(out) ? -1 : 0;
}

#undef P
