/* tests/export/test_sink.c: the exporters' output stream (tr_sink.c) and the
 * exports that span many of its buffers.
 * order: every byte handed over reaches the FILE once, in order, written by
 * the sink's thread while the caller fills the next buffer (and the same
 * without the thread, as when pthread_create fails); fail: a failed
 * write is -EIO at the end and nothing after it is written; chrome_big and
 * perfetto_big: a trace whose exports span several buffers comes out
 * whole (every run slice and flow, a long name cut in pieces across UTF-8
 * sequences, every protobuf packet framed). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coscope/tr_export.h"
#include "coscope/trace.h"
#include "test.h"
#include "tr_export_int.h"

/* ---- a FILE that records what reaches it ---- */

typedef struct capture {
    char *data;
    size_t len, cap;
    int calls, foreign_calls; /* writes, and those not from main's thread */
    int fail_at;              /* the first write call that fails (1-based), 0: none */
    int late;                 /* test_fail's buffers 'c' to 'h' offered */
    sem_t *hold;              /* the first write waits for it when set */
    int held;                 /* 1: the wait ended by a post, -1: timed out */
    pthread_t main_thread;
} capture;

static ssize_t cap_write(void *cookie, const char *p, size_t n)
{
    capture *c = cookie;
    c->calls++;
    if (!pthread_equal(pthread_self(), c->main_thread))
        c->foreign_calls++;
    if (c->hold && c->calls == 1) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 60; /* only a sink that never hands over waits this long */
        c->held = sem_timedwait(c->hold, &ts) == 0 ? 1 : -1;
    }
    if (n >= 50) /* a buffer of test_fail's, not stdio's one-byte retries */
        c->late += p[0] >= 'c' && p[0] <= 'h';
    if (c->fail_at && c->calls >= c->fail_at) {
        errno = ENOSPC;
        return -1;
    }
    if (c->len + n > c->cap) {
        c->cap = (c->len + n) * 2;
        c->data = realloc(c->data, c->cap);
        ASSERT_NOT_NULL(c->data);
    }
    memcpy(c->data + c->len, p, n);
    c->len += n;
    return (ssize_t)n;
}

static FILE *capture_open(capture *c)
{
    memset(c, 0, sizeof *c);
    c->main_thread = pthread_self();
    FILE *f = fopencookie(c, "w", (cookie_io_functions_t){NULL, cap_write, NULL, NULL});
    ASSERT_NOT_NULL(f);
    setvbuf(f, NULL, _IONBF, 0); /* one cookie write per fwrite */
    return f;
}

/* Byte k of the test stream: a pattern whose every byte depends on k, so a
 * lost, repeated or reordered buffer shows. */
static char pattern(size_t k) { return (char)((k * 2654435761u) >> 13); }

/* ---- the sink ---- */

static void order_run(int threaded)
{
    static const size_t sizes[] = {1, TR__SINK_CAP, 1000, TR__SINK_CAP - 1, 7, 65536,
                                   TR__SINK_CAP, 3, 200000, 1};
    capture c;
    FILE *f = capture_open(&c);
    sem_t hold;
    ASSERT_OK(sem_init(&hold, 0, 0));
    c.hold = threaded ? &hold : NULL; /* unthreaded, the first write would wait for itself */
    tr__sink_unthreaded = !threaded;
    tr__sink *s = tr__sink_new(f);
    ASSERT_NOT_NULL(s);
    size_t k = 0;
    char *b = tr__sink_next(s, 0);
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            for (size_t j = 0; j < sizes[i]; j++)
                b[j] = pattern(k++);
            b = tr__sink_next(s, sizes[i]);
            if (round == 0 && i == 0)
                sem_post(&hold); /* a buffer to fill while the first is written */
        }
    tr__sink_next(s, 0); /* nothing handed over */
    ASSERT_OK(tr__sink_free(s));
    ASSERT_EQ(c.held, threaded);
    ASSERT_EQ(c.len, k);
    for (size_t j = 0; j < k; j++)
        if (c.data[j] != pattern(j))
            TEST__FAIL("byte %zu of %zu differs", j, k);
    ASSERT_EQ(c.calls, 30); /* one write per buffer handed over */
    ASSERT_EQ(c.foreign_calls, threaded ? 30 : 0); /* by the sink's thread */
    fclose(f);
    sem_destroy(&hold);
    free(c.data);

    /* tr__sink_write: copied in whole buffers, a long run cut in CAP pieces */
    f = capture_open(&c);
    s = tr__sink_new(f);
    ASSERT_NOT_NULL(s);
    size_t n = 2 * TR__SINK_CAP + 12345;
    char *src = malloc(n);
    ASSERT_NOT_NULL(src);
    for (size_t j = 0; j < n; j++)
        src[j] = pattern(j);
    tr__sink_write(s, src, 10);
    tr__sink_write(s, src + 10, 0);
    tr__sink_write(s, src + 10, n - 10);
    ASSERT_OK(tr__sink_free(s));
    ASSERT_EQ(c.len, n);
    ASSERT(memcmp(c.data, src, n) == 0);
    ASSERT_EQ(c.calls, 4); /* 10 bytes, then CAP, CAP, the rest */
    fclose(f);
    free(src);
    free(c.data);
    ASSERT_OK(tr__sink_free(NULL));
    tr__sink_unthreaded = 0;
}

/* Threaded, then as when pthread_create fails: the same bytes and calls. */
static void test_order(void)
{
    order_run(1);
    order_run(0);
}

static void test_fail(void)
{
    capture c;
    FILE *f = capture_open(&c);
    c.fail_at = 2;
    tr__sink *s = tr__sink_new(f);
    ASSERT_NOT_NULL(s);
    for (int i = 0; i < 8; i++)
        memset(tr__sink_next(s, 0), 'a' + i, 100), tr__sink_next(s, 100);
    ASSERT_EQ(tr__sink_free(s), -EIO);
    /* the first buffer; stdio may retry the failed one (glibc goes on byte
     * by byte), but none of the six after it is offered */
    ASSERT_EQ(c.len, 100);
    ASSERT_EQ(c.data[99], 'a');
    ASSERT_EQ(c.late, 0);
    fclose(f);
    free(c.data);

    /* the exporters pass it on */
    f = fopen("/dev/full", "w");
    ASSERT_NOT_NULL(f);
    tr_trace *tr = NULL;
    static const char mini[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"pid\":1}\n"
        "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"a\"}\n";
    ASSERT_OK(tr_load_mem("mini", mini, sizeof mini - 1, NULL, &tr));
    ASSERT_EQ(tr_export_chrome(tr, f), -EIO);
    clearerr(f);
    ASSERT_EQ(tr_export_perfetto(tr, f), -EIO);
    fclose(f);
    tr_free(tr);
}

/* ---- exports over many buffers ---- */

enum { TASKS = 50, CYCLES = 400, LONG_NAME = 20002 };

/* TASKS tasks, each CYCLES sleeps: every cycle a run, a yield and a timer
 * wake, so the Chrome export holds TASKS * CYCLES run slices and wake
 * flows (~6 MB, six sink buffers). Task 1's name is LONG_NAME bytes: "x",
 * then two-byte sequences, so a cut at an even offset would split one. */
static tr_trace *big_trace(char **long_name)
{
    size_t cap = (size_t)TASKS * CYCLES * 200 + 4 * LONG_NAME + 4096, n = 0;
    char *buf = malloc(cap), *name = malloc(LONG_NAME + 1);
    ASSERT(buf && name);
    name[0] = 'x';
    for (int i = 1; i < LONG_NAME - 1; i += 2)
        memcpy(name + i, "\xc2\xb5", 2);
    name[LONG_NAME - 1] = 'y';
    name[LONG_NAME] = 0;
    n += (size_t)snprintf(buf + n, cap - n,
                          "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,"
                          "\"program\":\"big\",\"pid\":77}\n");
    for (int t = 1; t <= TASKS; t++) {
        n += (size_t)snprintf(buf + n, cap - n,
                              "{\"t\":0,\"ev\":\"spawn\",\"task\":%d,\"parent\":0,"
                              "\"name\":\"%s\"}\n"
                              "{\"t\":0,\"ev\":\"ready\",\"task\":%d,\"by\":0,\"why\":\"spawn\"}\n",
                              t, t == 1 ? name : "w", t);
    }
    long long now = 1;
    for (int c = 0; c < CYCLES; c++)
        for (int t = 1; t <= TASKS; t++) {
            n += (size_t)snprintf(buf + n, cap - n,
                                  "{\"t\":%lld,\"ev\":\"run\",\"task\":%d}\n"
                                  "{\"t\":%lld,\"ev\":\"yield\",\"task\":%d,\"why\":\"sleep\","
                                  "\"ms\":1,\"at\":\"big.c:%d\"}\n"
                                  "{\"t\":%lld,\"ev\":\"ready\",\"task\":%d,\"by\":0,"
                                  "\"why\":\"timer\"}\n",
                                  now, t, now + 100, t, t, now + 150, t);
            now += 200;
        }
    for (int t = 1; t <= TASKS; t++)
        n += (size_t)snprintf(buf + n, cap - n,
                              "{\"t\":%lld,\"ev\":\"run\",\"task\":%d}\n"
                              "{\"t\":%lld,\"ev\":\"exit\",\"task\":%d,\"status\":\"ok\"}\n",
                              now, t, now + 10, t), now += 20;
    ASSERT(n < cap);
    tr_trace *tr = NULL;
    if (tr_load_mem("big", buf, n, NULL, &tr) != 0)
        TEST__FAIL("%s", tr_last_error());
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    ASSERT_OK(tr_analyze(tr, &ao));
    free(buf);
    *long_name = name;
    return tr;
}

static char *export_mem(const tr_trace *tr, int (*fn)(const tr_trace *, FILE *), size_t *len)
{
    char *data = NULL;
    FILE *f = open_memstream(&data, len);
    ASSERT_NOT_NULL(f);
    ASSERT_OK(fn(tr, f));
    ASSERT_OK(fclose(f));
    return data;
}

static void test_chrome_big(void)
{
    char *name;
    tr_trace *tr = big_trace(&name);
    size_t len;
    char *json = export_mem(tr, tr_export_chrome, &len);
    ASSERT_CMP(len, >, 5 * (size_t)TR__SINK_CAP);
    ASSERT_EQ(strlen(json), len);
    /* the same bytes as written in turn, without the sink's thread */
    size_t len1;
    tr__sink_unthreaded = 1;
    char *json1 = export_mem(tr, tr_export_chrome, &len1);
    tr__sink_unthreaded = 0;
    ASSERT_EQ(len1, len);
    ASSERT(memcmp(json1, json, len) == 0);
    free(json1);
    cJSON *root = cJSON_Parse(json);
    ASSERT_NOT_NULL(root);
    cJSON *e, *evs = cJSON_GetObjectItemCaseSensitive(root, "traceEvents");
    int runs = 0, starts = 0, ends = 0, long_named = 0;
    cJSON_ArrayForEach(e, evs)
    {
        const char *ph = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "ph"));
        const char *cat = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "cat"));
        const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
        ASSERT(ph && nm);
        if (!strcmp(ph, "X") && cat && !strcmp(cat, "run")) {
            runs++;
            long_named += !strcmp(nm, name); /* task 1's slices, named in full */
        }
        starts += !strcmp(ph, "s");
        ends += !strcmp(ph, "f");
    }
    ASSERT_EQ(runs, TASKS * (CYCLES + 1));
    ASSERT_EQ(starts, TASKS * (CYCLES + 1)); /* the spawns' wakes lead to runs too */
    ASSERT_EQ(ends, starts);
    ASSERT_EQ(long_named, CYCLES + 1);
    cJSON_Delete(root);
    free(json);
    free(name);
    tr_free(tr);
}

static uint64_t varint(const unsigned char *p, size_t len, size_t *at)
{
    uint64_t v = 0;
    for (int shift = 0; *at < len && shift < 64; shift += 7) {
        unsigned char b = p[(*at)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    TEST__FAIL("varint runs past the end at %zu", *at);
}

static void test_perfetto_big(void)
{
    char *name;
    tr_trace *tr = big_trace(&name);
    size_t len;
    unsigned char *pb = (unsigned char *)export_mem(tr, tr_export_perfetto, &len);
    ASSERT_CMP(len, >, 2 * (size_t)TR__SINK_CAP);
    /* a Trace is repeated field 1 (packet), length-delimited, to the end */
    size_t at = 0, packets = 0, named = 0;
    while (at < len) {
        ASSERT_EQ(varint(pb, len, &at), (1 << 3) | 2);
        uint64_t n = varint(pb, len, &at);
        ASSERT_CMP(n, <=, len - at);
        named += memmem(pb + at, n, name, LONG_NAME) != NULL;
        at += n;
        packets++;
    }
    ASSERT_EQ(at, len);
    ASSERT_CMP(packets, >=, (size_t)TASKS * CYCLES);
    ASSERT_EQ(named, 1); /* the long name's track, declared once */
    free(pb);
    free(name);
    tr_free(tr);
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"order", test_order},
        {"fail", test_fail},
        {"chrome_big", test_chrome_big},
        {"perfetto_big", test_perfetto_big},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
