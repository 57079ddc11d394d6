/* tests/runtime/test_trace.c: what the runtime records. A small scripted
 * program runs with tracing on; its trace, minus timestamps, poll lines and
 * directories in `at`, must equal golden/trace_script.txt line for line.
 * The `end` line's count is checked apart (it counts the poll lines, whose
 * number depends on timing).
 * Regenerate after an intended change: COSCOPE_UPDATE_GOLDEN=1 test_trace. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coscope/co.h"
#include "rt_run.h" /* and test.h */

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR must be defined"
#endif

static co_mutex *mu;
static co_chan *ch;

static void *locker(void *arg)
{
    (void)arg;
    co_mutex_lock(mu);
    co_sleep(3);
    co_mutex_unlock(mu);
    return NULL;
}

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++)
        co_chan_send(ch, &i);
    co_chan_close(ch);
    return NULL;
}

static void *forever(void *arg)
{
    (void)arg;
    co_sleep(100000);
    return NULL;
}

static void *script(void *arg)
{
    (void)arg;
    mu = co_mutex_name(co_mutex_new(), "table");
    ch = co_chan_name(co_chan_new(sizeof(int), 0), "jobs");
    co_task *a = co_spawn(locker, NULL, "locker-a");
    co_task *b = co_spawn(locker, NULL, "locker-b");
    co_task *p = co_spawn(producer, NULL, "producer");
    co_yield();
    int v;
    while (co_chan_recv(ch, &v) == 0)
        co_mark("got %d", v);
    co_join(p, NULL);
    co_join(a, NULL);
    co_join(b, NULL);
    co_task *f = co_spawn(forever, NULL, "forever");
    co_yield();
    co_cancel(f);
    co_join(f, NULL);
    co_deadline(2);
    co_sleep(50);
    co_deadline(0);
    co_chan_free(ch);
    co_mutex_free(mu);
    return NULL;
}

/* Drops "t", poll lines and the header's run-specific fields; keeps the
 * basename of `at`. */
static int normalise(const char *line, char *out, size_t n)
{
    if (strstr(line, "\"ev\":\"poll_"))
        return 0;
    /* Caller chains and on-CPU figures depend on the build and the timing
     * (tests/stacks checks them): drop `stack` lines and those fields. */
    if (strstr(line, "\"ev\":\"stack\""))
        return 0;
    if (strstr(line, "\"ev\":\"trace\""))
        return snprintf(out, n, "header\n"), 1;
    if (strstr(line, "\"ev\":\"end\"")) /* its count includes poll lines */
        return snprintf(out, n, "end\n"), 1;
    const char *p = line;
    size_t o = 0;
    if (strncmp(p, "{\"t\":", 5) == 0) {
        p += 5;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p == ',')
            p++;
        out[o++] = '{';
    }
    while (*p && o + 1 < n) {
        if (strncmp(p, ",\"stack\":", 9) == 0 || strncmp(p, ",\"cpu\":", 7) == 0 ||
            strncmp(p, ",\"runq\":", 8) == 0 || strncmp(p, ",\"stops\":", 9) == 0) {
            p = strchr(p, ':') + 1;
            while (*p >= '0' && *p <= '9')
                p++;
            continue;
        }
        if (strncmp(p, "\"at\":\"", 6) == 0) {
            const char *q = p + 6, *base = q;
            while (*q && *q != '"') {
                if (*q == '/')
                    base = q + 1;
                q++;
            }
            o += (size_t)snprintf(out + o, n - o, "\"at\":\"%.*s\"",
                                  (int)(q - base), base);
            p = *q ? q + 1 : q;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
    return 1;
}

static void test_script_golden(void)
{
    char path[] = "/tmp/coscope-trace-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    ASSERT_OK(co_trace_start(path));
    RUN_TASK(script, NULL);
    ASSERT_OK(co_trace_stop());

    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    char got[16384] = "";
    size_t glen = 0;
    char line[1024], norm[1024];
    while (fgets(line, sizeof line, f)) {
        if (normalise(line, norm, sizeof norm)) {
            size_t l = strlen(norm);
            ASSERT(glen + l < sizeof got);
            memcpy(got + glen, norm, l + 1);
            glen += l;
        }
    }
    fclose(f);
    unlink(path);

    const char *golden = GOLDEN_DIR "/trace_script.txt";
    if (getenv("COSCOPE_UPDATE_GOLDEN")) {
        FILE *g = fopen(golden, "w");
        ASSERT_NOT_NULL(g);
        fputs(got, g);
        fclose(g);
        return;
    }
    FILE *g = fopen(golden, "r");
    ASSERT_NOT_NULL(g);
    char want[16384];
    size_t wl = fread(want, 1, sizeof want - 1, g);
    want[wl] = '\0';
    fclose(g);
    ASSERT_STR_EQ(got, want);
}

/* The script, then a sleep long enough that the loop polls for it even on
 * a slow, loaded run (valgrind with the other core busy): the script's own
 * sleeps of 2-3 ms can be due before the loop gets to its poll phase. */
static void *script_then_sleep(void *arg)
{
    script(arg);
    co_sleep(100);
    return NULL;
}

/* Poll lines pair up and the loop's clock never goes back. */
static void test_poll_pairs(void)
{
    char path[] = "/tmp/coscope-trace-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    ASSERT_OK(co_trace_start(path));
    RUN_TASK(script_then_sleep, NULL);
    ASSERT_OK(co_trace_stop());
    FILE *f = fopen(path, "r");
    char line[1024];
    int open_poll = 0, pairs = 0;
    long long last_t = -1;
    while (fgets(line, sizeof line, f)) {
        const char *t = strstr(line, "{\"t\":");
        if (t) {
            long long v = atoll(t + 5);
            ASSERT_CMP(v, >=, last_t);
            last_t = v;
        }
        if (strstr(line, "\"poll_begin\"")) {
            ASSERT_EQ(open_poll, 0);
            open_poll = 1;
        } else if (strstr(line, "\"poll_end\"")) {
            ASSERT_EQ(open_poll, 1);
            open_poll = 0;
            pairs++;
        }
    }
    fclose(f);
    unlink(path);
    ASSERT_EQ(open_poll, 0);
    ASSERT_CMP(pairs, >=, 1); /* at least the 100 ms sleep idles the loop */
}

static const test_case cases[] = {
    {"script_golden", test_script_golden},
    {"poll_pairs", test_poll_pairs},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
