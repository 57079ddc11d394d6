/* bench_record.c: what tracing costs. Prints `name: value unit` lines:
 * the emit cost with tracing off and on (in bursts that fit the ring, and
 * sustained, where the loop waits for the writer), the formatter's
 * throughput into memory, and which clock the recorder uses.
 * Usage: bench_record [events] [trace path]  (default 10000000, a temp file) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coscope/tr_record.h"
#include "tr_rec_int.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The runtime's pattern: the TR_ON() branch at the call site. */
static void emit_loop(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (TR_ON())
            tr_rec_yield(i, TR_WAIT_IO, 0, TR_OP_READ, 7, -1, "bench.c", 42);
}

static double bench_off(uint64_t n)
{
    double t0 = now_s();
    emit_loop(n);
    return (now_s() - t0) * 1e9 / (double)n;
}

/* Bursts of `burst` events with an untimed flush between them: the cost of
 * the hot path itself while the ring has room. */
static double bench_burst(uint64_t n, uint64_t burst)
{
    double spent = 0;
    for (uint64_t done = 0; done < n; done += burst) {
        double t0 = now_s();
        emit_loop(burst);
        spent += now_s() - t0;
        tr_rec_flush();
    }
    return spent * 1e9 / (double)n;
}

static double bench_sustained(uint64_t n)
{
    double t0 = now_s();
    emit_loop(n);
    tr_rec_flush();
    return (now_s() - t0) * 1e9 / (double)n;
}

/* The timestamp alone, for reference: the emit cost is this plus the
 * record stores. */
static double bench_clock(uint64_t n)
{
    uint64_t sum = 0;
    double t0 = now_s();
    for (uint64_t i = 0; i < n; i++)
        sum += tr__clock_raw();
    double ns = (now_s() - t0) * 1e9 / (double)n;
    if (sum == 42)
        puts("");
    return ns;
}

/* A typical mix of records, formatted over and over into a buffer. */
static void bench_format(double *mb_s, double *ns_line)
{
    static _Alignas(8) unsigned char recs[64 * 512];
    size_t off = 0, nrec = 0;
    for (int i = 0; i < 64; i++) {
        tr__rec *r = (tr__rec *)(recs + off);
        memset(r, 0, TR__REC_HEAD);
        r->ts = 1000000u + (uint64_t)i * 977;
        r->task = 1 + (uint64_t)i % 200;
        switch (i % 8) {
        case 0: r->ev = TR_EV_RUN; break;
        case 1: r->ev = TR_EV_YIELD; r->a = TR_WAIT_IO; r->b = TR_OP_READ; r->v1 = 12;
                r->v2 = -1; r->file = "examples/echo_server.c"; r->line = 88; break;
        case 2: r->ev = TR_EV_READY; r->arg = 0; r->a = TR_WAKE_IO; break;
        case 3: r->ev = TR_EV_IO_BEGIN; r->a = TR_OP_WRITE; r->v1 = 12; r->v2 = 4096; break;
        case 4: r->ev = TR_EV_IO_END; r->a = TR_OP_WRITE; r->v1 = 4096; break;
        case 5: r->ev = TR_EV_SPAWN; r->arg = 1; r->slen = 11; memcpy(r->str, "client 1234", 11);
                r->file = "examples/echo_server.c"; r->line = 120; break;
        case 6: r->ev = TR_EV_MARK; r->slen = 18; memcpy(r->str, "request parsed ok!", 18); break;
        default: r->ev = TR_EV_POLL_END; r->v1 = 3; break;
        }
        off += TR__REC_SIZE(r->slen);
        nrec++;
    }
    size_t cap = 1u << 20;
    char *out = malloc(cap);
    if (!out)
        exit(1);
    uint64_t bytes = 0, lines = 0;
    double t0 = now_s(), t1;
    do {
        for (int rep = 0; rep < 100; rep++) {
            size_t len = 0;
            for (size_t p = 0, k = 0; k < nrec; k++) {
                const tr__rec *r = (const tr__rec *)(recs + p);
                len += tr__fmt_rec(out + len, r, (int64_t)r->ts + rep);
                p += TR__REC_SIZE(r->slen);
            }
            bytes += len;
            lines += nrec;
        }
        t1 = now_s();
    } while (t1 - t0 < 1.0);
    if (out[0] != '{')
        exit(1);
    free(out);
    *mb_s = (double)bytes / (t1 - t0) / 1e6;
    *ns_line = (t1 - t0) * 1e9 / (double)lines;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    char tmp[] = "/tmp/coscope-bench-XXXXXX";
    const char *path = argc > 2 ? argv[2] : NULL;
    if (!path) {
        int fd = mkstemp(tmp);
        if (fd < 0)
            return 1;
        close(fd);
        path = tmp;
    }
    if (n < 100000)
        n = 100000;

    printf("trace_off_ns_per_event: %.2f ns\n", bench_off(n));
    if (tr_rec_start(path, "bench_record") != 0) {
        fprintf(stderr, "bench_record: cannot record to %s\n", path);
        return 1;
    }
    printf("clock: %s\n", tr__clock_tsc ? "rdtsc" : "clock_gettime");
    printf("clock_read_ns: %.2f ns\n", bench_clock(n / 10));
    uint64_t burst = TR__LOOP_RING / 2 / TR__REC_HEAD; /* half a ring of yields */
    printf("trace_on_burst_ns_per_event: %.2f ns\n", bench_burst(n, burst));
    printf("trace_on_sustained_ns_per_event: %.2f ns\n", bench_sustained(n));
    tr_rec_stop();
    printf("events_dropped: %llu events\n", (unsigned long long)tr_rec_dropped());
    double mb, ns;
    bench_format(&mb, &ns);
    printf("format_throughput: %.0f MB/s\n", mb);
    printf("format_ns_per_line: %.1f ns\n", ns);
    if (path == tmp)
        unlink(tmp);
    return 0;
}
