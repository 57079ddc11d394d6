/* tests/cli/test_samples.c: the committed sample traces in traces/. For
 * each, the exact `coscope stalls --json` and `coscope stats --json` output
 * against golden/samples/, and the state-interval invariants of the model
 * (gap-free, ordered, one state at a time, spawn to end).
 * After re-recording traces/ (scripts/record-samples.sh), regenerate with
 *     COSCOPE_REGEN=1 ./test_samples */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/trace.h"
#include "spans.h"
#include "test.h"

#ifndef COSCOPE_BIN
#error "COSCOPE_BIN, TRACES_DIR and SAMPLES_GOLDEN must be defined"
#endif

static const char *const samples[] = {"crawler",     "fib_blocking",
                                      "fib_offload", "echo",
                                      "stall",       "deadlock"};
#define NSAMPLES (sizeof samples / sizeof samples[0])

static char *run(const char *cmd, size_t *len)
{
    FILE *p = popen(cmd, "r");
    ASSERT_NOT_NULL(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += r;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ASSERT_NOT_NULL(buf);
        }
    }
    buf[n] = '\0';
    int st = pclose(p);
    ASSERT_EQ(st, 0);
    *len = n;
    return buf;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ASSERT_NOT_NULL(buf);
    ASSERT_EQ(fread(buf, 1, (size_t)n, f), n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void golden(const char *sample, const char *sub)
{
    char cmd[1024], path[1024];
    snprintf(cmd, sizeof cmd, "%s %s %s/%s.jsonl --json", COSCOPE_BIN, sub,
             TRACES_DIR, sample);
    snprintf(path, sizeof path, "%s/%s.%s.json", SAMPLES_GOLDEN, sample, sub);
    size_t n, m;
    char *got = run(cmd, &n);
    if (getenv("COSCOPE_REGEN")) {
        FILE *f = fopen(path, "wb");
        ASSERT_NOT_NULL(f);
        fwrite(got, 1, n, f);
        fclose(f);
    } else {
        char *want = slurp(path, &m);
        if (!want)
            TEST__FAIL("missing golden %s (COSCOPE_REGEN=1 writes it)", path);
        if (n != m || memcmp(got, want, n) != 0)
            TEST__FAIL("%s differs from %s", cmd, path);
        free(want);
    }
    free(got);
}

static void test_stalls_json(void)
{
    for (size_t i = 0; i < NSAMPLES; i++)
        golden(samples[i], "stalls");
}

static void test_stats_json(void)
{
    for (size_t i = 0; i < NSAMPLES; i++)
        golden(samples[i], "stats");
}


static void test_invariants(void)
{
    for (size_t i = 0; i < NSAMPLES; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.jsonl", TRACES_DIR, samples[i]);
        tr_trace *tr = NULL;
        if (tr_load(path, NULL, &tr) != 0)
            TEST__FAIL("%s", tr_last_error());
        ASSERT_EQ(tr_head(tr)->truncated, 0);
        ASSERT_EQ(tr_head(tr)->end_dropped, 0);
        ASSERT_EQ(tr_head(tr)->end_events + 0, tr_nevents(tr) - 1);
        test_spans_check(tr);
        ASSERT_OK(tr_analyze(tr, NULL));
        tr_free(tr);
    }
}

static const test_case cases[] = {
    {"stalls_json", test_stalls_json},
    {"stats_json", test_stats_json},
    {"invariants", test_invariants},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
