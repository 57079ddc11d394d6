/* bench/read/bench_load.c: `bench_load FILE [THREADS]` loads a trace and
 * analyses it, printing `name: value unit` lines: load time, events/s,
 * bytes per event in memory, peak RSS, analysis time, stalls found. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "coscope/trace.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_load FILE [THREADS]\n");
        return 2;
    }
    struct stat sb;
    if (stat(argv[1], &sb) != 0) {
        perror(argv[1]);
        return 1;
    }
    tr_load_opts o = TR_LOAD_OPTS_INIT;
    o.threads = argc > 2 ? atoi(argv[2]) : 0;
    tr_trace *tr = NULL;
    double t0 = now_s();
    int rc = tr_load(argv[1], &o, &tr);
    double t1 = now_s();
    if (rc != 0) {
        fprintf(stderr, "%s\n", tr_last_error());
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long rss_after_load = ru.ru_maxrss;
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    double t2 = now_s();
    rc = tr_analyze(tr, &ao);
    double t3 = now_s();
    if (rc != 0) {
        fprintf(stderr, "tr_analyze: %d\n", rc);
        return 1;
    }
    getrusage(RUSAGE_SELF, &ru);
    size_t n = tr_nevents(tr);
    tr_mem mem;
    tr_memory(tr, &mem);
    double per = n ? 1.0 / (double)n : 0.0;
    printf("file_size: %.1f MB\n", (double)sb.st_size / 1e6);
    printf("events: %zu\n", n);
    printf("load_time: %.3f s\n", t1 - t0);
    printf("load_rate: %.2f Mevents/s\n", (double)n / (t1 - t0) / 1e6);
    printf("load_rate_bytes: %.1f MB/s\n", (double)sb.st_size / (t1 - t0) / 1e6);
    printf("event_bytes: %zu B/event\n", sizeof(tr_event));
    printf("event_array_bytes: %.1f B/event\n", (double)mem.events * per);
    printf("string_bytes: %.1f B/event\n", (double)mem.strings * per);
    printf("model_bytes: %.1f B/event\n", (double)mem.model * per);
    printf("analysis_bytes: %.1f B/event\n", (double)mem.analysis * per);
    printf("trace_bytes: %.1f B/event (%.1f MB)\n", (double)mem.total * per,
           (double)mem.total / 1e6);
    printf("peak_rss_after_load: %.1f MB\n", (double)rss_after_load / 1024.0);
    printf("peak_rss: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    printf("peak_rss_vs_file: %.2f x\n", (double)ru.ru_maxrss * 1024.0 / (double)sb.st_size);
    printf("tasks: %zu\n", tr_ntasks(tr));
    printf("spans: %zu\n", tr_nspans(tr));
    printf("analysis_time: %.3f s\n", t3 - t2);
    printf("stalls: %zu\n", tr_nstalls(tr));
    size_t kinds[TR_STALL__COUNT] = {0};
    for (size_t i = 0; i < tr_nstalls(tr); i++)
        kinds[tr_stalls(tr)[i].kind]++;
    printf("stalls_blocked: %zu\nstalls_latency: %zu\nstalls_wait: %zu\nstalls_stuck: %zu\n",
           kinds[TR_STALL_BLOCKED], kinds[TR_STALL_LATENCY], kinds[TR_STALL_WAIT],
           kinds[TR_STALL_STUCK]);
    printf("warnings: %zu\n", tr_nwarnings(tr));
    for (size_t i = 0; i < tr_nwarnings(tr); i++)
        printf("  %s\n", tr_warning(tr, i));
    tr_free(tr);
    return 0;
}
