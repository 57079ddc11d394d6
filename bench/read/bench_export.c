/* bench/read/bench_export.c: `bench_export FILE [OUT]` times what
 * `coscope export --chrome FILE -o OUT` does, step by step: load, analysis,
 * the Chrome JSON export into OUT (default: a file beside /tmp, removed
 * after) and again into /dev/null (the formatter alone, no page cache),
 * then the same two for the Perfetto protobuf export (--perfetto), so the
 * two formats are compared on one loaded trace.
 * Prints `name: value unit` lines, with the goals of issue 13: the whole
 * command <= 7 s and load <= 3 s on the 10 M-event gen_trace file. Each
 * step's CPU time (user + system, all threads) is printed beside its wall
 * time: on a VM shared with other work it moves less. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "coscope/tr_export.h"
#include "coscope/trace.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

typedef int (*exporter)(const tr_trace *tr, FILE *f);

static double export_to(const tr_trace *tr, exporter fn, const char *path, long *bytes)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    double t0 = now_s();
    int rc = fn(tr, f);
    long n = ftell(f);
    if (fclose(f) != 0 || rc != 0)
        return -1;
    *bytes = n;
    return now_s() - t0;
}

static const char *verdict(double v, double goal) { return v <= goal ? "hit" : "MISS"; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_export FILE [OUT]\n");
        return 2;
    }
    char def[64];
    snprintf(def, sizeof def, "/tmp/bench_export.%ld.json", (long)getpid());
    const char *out = argc > 2 ? argv[2] : def;
    tr_load_opts o = TR_LOAD_OPTS_INIT;
    tr_trace *tr = NULL;
    double c0 = cpu_s(), t0 = now_s();
    if (tr_load(argv[1], &o, &tr) != 0) {
        fprintf(stderr, "%s\n", tr_last_error());
        return 1;
    }
    double t1 = now_s(), c1 = cpu_s();
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    if (tr_analyze(tr, &ao) != 0)
        return 1;
    double t2 = now_s(), c2 = cpu_s();
    long bytes = 0, null_bytes = 0, pb_bytes = 0;
    double file_s = export_to(tr, tr_export_chrome, out, &bytes), c3 = cpu_s();
    if (out == def)
        unlink(def);
    double null_s = export_to(tr, tr_export_chrome, "/dev/null", &null_bytes), c4 = cpu_s();
    double pb_s = export_to(tr, tr_export_perfetto, out, &pb_bytes), c5 = cpu_s();
    if (out == def)
        unlink(def);
    double pb_null_s = export_to(tr, tr_export_perfetto, "/dev/null", &null_bytes), c6 = cpu_s();
    if (file_s < 0 || null_s < 0 || pb_s < 0 || pb_null_s < 0) {
        fprintf(stderr, "bench_export: export failed\n");
        return 1;
    }
    double load = t1 - t0, whole = load + (t2 - t1) + file_s;
    printf("events: %zu\n", tr_nevents(tr));
    printf("load_time: %.3f s (goal <= 3 s: %s; CPU %.3f s)\n", load, verdict(load, 3), c1 - c0);
    printf("analysis_time: %.3f s (CPU %.3f s)\n", t2 - t1, c2 - c1);
    printf("export_chrome_time: %.3f s (CPU %.3f s; %.0f MB written to %s)\n", file_s, c3 - c2,
           (double)bytes / 1e6, out == def ? "/tmp" : out);
    printf("export_chrome_null_time: %.3f s (CPU %.3f s; the same export into /dev/null)\n",
           null_s, c4 - c3);
    printf("export_perfetto_time: %.3f s (CPU %.3f s; %.0f MB written to %s)\n", pb_s, c5 - c4,
           (double)pb_bytes / 1e6, out == def ? "/tmp" : out);
    printf("export_perfetto_null_time: %.3f s (CPU %.3f s; the same export into /dev/null)\n",
           pb_null_s, c6 - c5);
    printf("export_chrome_command_time: %.3f s (goal <= 7 s: %s; load + analysis + export to "
           "the file)\n", whole, verdict(whole, 7));
    tr_free(tr);
    return 0;
}
