/* bench/read/bench_herd.c: `bench_herd [N] [COSCOPE]` — the analysis on a
 * herd of N tasks (default 100 000) parked, then released at once
 * (gen_herd): every one but the first ~10 000 is a latency stall, each
 * described with who ran meanwhile. Prints `name: value unit` lines: load,
 * tr_analyze, describing every stall (what `coscope stalls` adds) and, when
 * the coscope program is given, the wall time of `coscope stalls` and
 * `coscope stats` on the same file (they should be of one order). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coscope/trace.h"
#include "gen.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time of `coscope CMD FILE` with stdout to /dev/null, or -1. */
static double time_cmd(const char *coscope, const char *cmd, const char *file)
{
    fflush(stdout); /* not twice through the child */
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execl(coscope, coscope, cmd, file, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return now_s() - t0;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    char path[] = "/tmp/coscope-herd-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || gen_herd(f, n) != 0 || fclose(f) != 0) {
        perror("bench_herd: writing the trace");
        return 1;
    }
    tr_load_opts lo = TR_LOAD_OPTS_INIT;
    tr_trace *tr = NULL;
    double t0 = now_s();
    if (tr_load(path, &lo, &tr) != 0) {
        fprintf(stderr, "%s\n", tr_last_error());
        unlink(path);
        return 1;
    }
    double t1 = now_s();
    if (tr_analyze(tr, NULL) != 0) {
        unlink(path);
        return 1;
    }
    double t2 = now_s();
    char buf[1024];
    size_t bytes = 0;
    for (size_t i = 0; i < tr_nstalls(tr); i++) {
        tr_stall_describe(tr, &tr_stalls(tr)[i], buf, sizeof buf);
        bytes += buf[0] != '\0';
    }
    double t3 = now_s();
    printf("herd_tasks: %u\n", n);
    printf("herd_events: %zu\n", tr_nevents(tr));
    printf("herd_stalls: %zu\n", tr_nstalls(tr));
    printf("herd_causes: %zu\n", tr_ncauses(tr));
    printf("herd_load: %.3f s\n", t1 - t0);
    printf("herd_analyze: %.3f s\n", t2 - t1);
    printf("herd_describe_all: %.3f s\n", t3 - t2);
    printf("herd_described: %zu stalls\n", bytes);
    tr_free(tr);
    if (argc > 2) {
        double s = time_cmd(argv[2], "stalls", path), st = time_cmd(argv[2], "stats", path);
        printf("herd_coscope_stalls: %.3f s\n", s);
        printf("herd_coscope_stats: %.3f s\n", st);
    }
    unlink(path);
    return 0;
}
