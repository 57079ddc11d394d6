/* tests/fuzz/test_read_oom.c: allocation failure at every allocation of the
 * reader, the analysis and the Chrome export, in turn. Linked with
 * --wrap=malloc,calloc,realloc,strdup, so the calls made from tr_read's and
 * tr_export's objects (cJSON's too: the reader hooks it) come through the
 * wrappers of tests/alloc_fail.h. Run k fails the k-th allocation; each call must then
 * succeed with exactly the unfailed result or fail with -ENOMEM and a
 * "name: out of memory" message; leaks are caught by ASan and valgrind. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_fail.h"
#include "coscope/tr_export.h"
#include "coscope/trace.h"
#include "test.h"
#include "tr_int.h"

/* What a load gives when nothing fails. */
typedef struct result {
    size_t events, tasks, spans, wakeups, works, idles, warnings, stalls,
        cycles;
} result;

static result result_of(const tr_trace *tr, int analysed)
{
    result r = {tr_nevents(tr),
                tr_ntasks(tr),
                tr_nspans(tr),
                tr_nwakeups(tr),
                tr_nworks(tr),
                tr_nidles(tr),
                tr_nwarnings(tr),
                0,
                0};
    if (analysed) {
        r.stalls = tr_nstalls(tr);
        r.cycles = tr_ncycles(tr);
    }
    return r;
}

static void same_result(const result *a, const result *b)
{
    ASSERT_EQ(a->events, b->events);
    ASSERT_EQ(a->tasks, b->tasks);
    ASSERT_EQ(a->spans, b->spans);
    ASSERT_EQ(a->wakeups, b->wakeups);
    ASSERT_EQ(a->works, b->works);
    ASSERT_EQ(a->idles, b->idles);
    ASSERT_EQ(a->warnings, b->warnings);
    ASSERT_EQ(a->stalls, b->stalls);
    ASSERT_EQ(a->cycles, b->cycles);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    ASSERT_OK(fseek(f, 0, SEEK_END));
    long len = ftell(f);
    ASSERT_CMP(len, >, 0);
    rewind(f);
    char *buf = __real_malloc((size_t)len);
    ASSERT_NOT_NULL(buf);
    ASSERT_EQ(fread(buf, 1, (size_t)len, f), len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void check_nomem(int rc, const char *name)
{
    char want[512];
    snprintf(want, sizeof want, "%s: out of memory", name);
    if (rc != -ENOMEM)
        fprintf(stderr, "k=%ld: rc %d, \"%s\"\n", (long)af_fail_at, rc,
                tr_last_error());
    ASSERT_EQ(rc, -ENOMEM);
    ASSERT_STR_EQ(tr_last_error(), want);
}

/* One load -> analyze -> export with the k-th allocation failing. Returns
 * whether a failure was injected. */
static int run_once(const char *path, const char *data, size_t len,
                    const tr_load_opts *o, FILE *devnull, const result *want,
                    long k)
{
    const char *name = data ? "oom.jsonl" : path;
    tr_trace *tr = NULL;
    af_arm(k);
    int rc =
        data ? tr_load_mem(name, data, len, o, &tr) : tr_load(path, o, &tr);
    if (rc != 0) {
        af_armed = 0;
        check_nomem(rc, name);
        ASSERT_NULL(tr);
        return af_injected;
    }
    int arc = tr_analyze(tr, NULL);
    int erc = tr_export_chrome(tr, devnull);
    af_armed = 0;
    ASSERT(arc == 0 || arc == -ENOMEM);
    ASSERT(erc == 0 || erc == -ENOMEM);
    if (arc !=
        0) /* a failed analysis leaves a trace that can be analysed again */
        ASSERT_OK(tr_analyze(tr, NULL));
    result got = result_of(tr, 1);
    same_result(&got, want);
    tr_free(tr);
    return af_injected;
}

/* Fails every allocation in turn, from a file and from memory. */
static long every_allocation(const char *path, const tr_load_opts *o)
{
    size_t len;
    char *data = slurp(path, &len);
    FILE *devnull = fopen("/dev/null", "w");
    ASSERT_NOT_NULL(devnull);
    tr_trace *tr;
    ASSERT_OK(tr_load(path, o, &tr));
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_OK(tr_export_chrome(tr, devnull));
    result want = result_of(tr, 1);
    tr_free(tr);

    long k, total = 0;
    for (int mem = 0; mem < 2; mem++) {
        for (k = 1; k < 100000; k++)
            if (!run_once(path, mem ? data : NULL, len, o, devnull, &want, k))
                break;
        ASSERT_CMP(k, >, 10); /* it does allocate */
        total += k - 1;
    }
    fclose(devnull);
    free(data);
    return total;
}

static const char *const files[] = {
    TRACES_DIR "/stall.jsonl",        /* a real recording */
    READ_DATA_DIR "/work.jsonl",      /* pool work: the exporter's sort */
    READ_DATA_DIR "/deadlock3.jsonl", /* a wait-for cycle */
    READ_DATA_DIR "/unknown.jsonl",   /* warnings */
    CORPUS_DIR "/long_msg.jsonl",     /* cJSON nodes beyond the arena */
};

static void test_serial(void)
{
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        long n = every_allocation(files[i], NULL);
        fprintf(stderr, "%s: %ld allocations failed in turn\n", files[i], n);
    }
}

/* The parallel load (split, threads, merge), threshold lowered so these
 * small files take it. */
static void test_parallel(void)
{
    size_t old = tr__set_parallel_threshold(64);
    for (int threads = 2; threads <= 3; threads++) {
        tr_load_opts o = {NULL, NULL, threads};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            long n = every_allocation(files[i], &o);
            fprintf(stderr, "%s, %d threads: %ld allocations failed in turn\n",
                    files[i], threads, n);
        }
    }
    tr__set_parallel_threshold(old);
}

/* tr_follow with the k-th allocation failing, over three appends: every
 * call succeeds or fails with -ENOMEM and "path: out of memory"; after a
 * failure the follow keeps answering the same, the trace it shows (if
 * any) stays whole; nothing leaks. Returns whether a failure was injected. */
static int follow_once(const char *data, size_t len, const char *tmp, long k)
{
    FILE *w = fopen(tmp, "wb");
    ASSERT_NOT_NULL(w);
    fclose(w);
    af_arm(k);
    tr_follow *f = NULL;
    int rc = tr_follow_open(tmp, &f);
    long prc = 0;
    for (int piece = 1; rc == 0 && piece <= 3; piece++) {
        size_t a = len * (size_t)(piece - 1) / 3, b = len * (size_t)piece / 3;
        int saved = af_armed;
        af_armed = 0; /* the test's own stdio */
        w = fopen(tmp, "ab");
        ASSERT_NOT_NULL(w);
        ASSERT_EQ(fwrite(data + a, 1, b - a, w), b - a);
        fclose(w);
        af_armed = saved;
        prc = tr_follow_poll(f);
        if (prc < 0) {
            check_nomem((int)prc, tmp);
            ASSERT_EQ(tr_follow_poll(f), prc); /* stopped, the same answer */
            break;
        }
        tr_trace *tr = tr_follow_trace(f);
        if (tr && prc > 0 && tr_analyze(tr, NULL) != 0)
            break; /* the analysis may fail too: the trace stays loaded */
    }
    af_armed = 0;
    if (rc != 0)
        check_nomem(rc, tmp);
    tr_follow_free(f);
    return af_injected;
}

static void test_follow(void)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/coscope-oom-follow-%d.jsonl", (int)getpid());
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *data = slurp(files[i], &len);
        long k;
        for (k = 1; k < 100000; k++)
            if (!follow_once(data, len, tmp, k))
                break;
        ASSERT_CMP(k, >, 10);
        fprintf(stderr, "%s followed: %ld allocations failed in turn\n", files[i], k - 1);
        free(data);
    }
    unlink(tmp);
}

static const test_case cases[] = {
    {"serial", test_serial},
    {"parallel", test_parallel},
    {"follow", test_follow},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
