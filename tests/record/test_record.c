/* test_record.c: the recorder in one process: exact lines against a golden
 * file, string escaping, t order on both clocks, losslessness under
 * pressure, work events from other threads and the start/stop contract. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <pthread.h>

#include "coscope/tr_record.h"
#include "rec_util.h"
#include "tr_rec_int.h" /* the formatter, its memo counter */

/* ---- golden ---- */

/* Drops `"t":N,` from an event line; masks pid and unix_ns in the header. */
/* Takes out the on-CPU figures (,"cpu":N ,"runq":N ,"stops":N): the
 * recorder adds them to a slice of 250 us or more, and how long a slice
 * runs is up to the scheduler (a loaded machine, valgrind), not the test. */
static void drop_oncpu(char *s)
{
    static const char *const keys[] = {",\"cpu\":", ",\"runq\":", ",\"stops\":"};
    for (int k = 0; k < 3; k++) {
        char *p = strstr(s, keys[k]);
        if (!p)
            continue;
        char *e = p + strlen(keys[k]);
        while (*e >= '0' && *e <= '9')
            e++;
        memmove(p, e, strlen(e) + 1);
    }
}

static void normalise(char *s)
{
    drop_oncpu(s);
    if (strncmp(s, "{\"t\":", 5) == 0) {
        char *c = strchr(s, ',');
        ASSERT_NOT_NULL(c);
        memmove(s + 1, c + 1, strlen(c + 1) + 1);
        /* A slice's on-CPU figures appear when it lasted 250 us or more:
         * timing (a slow valgrind run), not what the script recorded. */
        static const char *const timed[] = {",\"cpu\":", ",\"runq\":", ",\"stops\":"};
        for (int k = 0; k < 3; k++) {
            char *p = strstr(s, timed[k]);
            if (!p)
                continue;
            char *e = p + strlen(timed[k]);
            while (*e >= '0' && *e <= '9')
                e++;
            memmove(p, e, strlen(e) + 1);
        }
        return;
    }
    /* the modules loaded: this binary and its libraries, at their load
     * addresses (the golden test checks the first one apart) */
    char *m = strstr(s, ",\"modules\":[");
    if (m) {
        char *e = strstr(m, "]}");
        ASSERT_NOT_NULL(e);
        memmove(m + strlen(",\"modules\":MODS"), e + 1, strlen(e + 1) + 1);
        memcpy(m, ",\"modules\":MODS", strlen(",\"modules\":MODS"));
    }
    static const char *const keys[] = {"\"pid\":", "\"unix_ns\":"};
    static const char *const masks[] = {"PID", "NS"};
    for (int k = 0; k < 2; k++) {
        char *p = strstr(s, keys[k]);
        if (!p)
            continue;
        p += strlen(keys[k]);
        char *e = p;
        while (*e >= '0' && *e <= '9')
            e++;
        ASSERT(e > p);
        size_t ml = strlen(masks[k]);
        memmove(p + ml, e, strlen(e) + 1);
        memcpy(p, masks[k], ml);
    }
}

static void script(void)
{
    tr_rec_spawn(1, 0, "main", "examples/echo.c", 42);
    tr_rec_spawn(2, 1, "worker \"a\"", NULL, 0);
    tr_rec_spawn(3, 1, NULL, "src/x.c", 7);
    tr_rec_ready(1, 0, TR_WAKE_SPAWN);
    tr_rec_ready(2, 1, TR_WAKE_TIMEOUT);
    tr_rec_ready(3, 2, (tr_wake)99);
    tr_rec_run(1);
    tr_rec_yield(1, TR_WAIT_YIELD, 0, TR_OP_NONE, -1, -1, NULL, 0);
    tr_rec_yield(1, TR_WAIT_IO, 0, TR_OP_READ, 7, -1, "examples/echo.c", 60);
    tr_rec_yield(2, TR_WAIT_SLEEP, 0, TR_OP_NONE, -1, 250, "a.c", 1);
    tr_rec_yield(2, TR_WAIT_JOIN, 3, TR_OP_NONE, -1, -1, "a.c", 2);
    tr_rec_yield(3, TR_WAIT_CHAN_RECV, 9, TR_OP_NONE, -1, 100, NULL, 0);
    tr_rec_io_begin(1, TR_OP_WRITE, 7, 4096);
    tr_rec_io_begin(1, TR_OP_DNS, -1, -1);
    tr_rec_io_begin(1, TR_OP_FS_OPEN, 0, -1);
    tr_rec_io_end(1, TR_OP_WRITE, 4096);
    tr_rec_io_end(1, TR_OP_READ, 0);
    tr_rec_io_end(1, TR_OP_READ, -104);
    tr_rec_io_end(1, TR_OP_READ, -4095);
    tr_rec_io_end(1, TR_OP_DNS, -3008);
    tr_rec_io_end(1, TR_OP_CONNECT, -95);
    tr_rec_io_end(1, TR_OP_CONNECT, -111);
    tr_rec_io_end(1, TR_OP_CLOSE, -9999);
    tr_rec_io(1, TR_OP_WRITE, 7, 102, 102);
    tr_rec_io(1, TR_OP_READ, 7, 4096, -11);
    tr_rec_io(1, TR_OP_LISTEN, 5, -1, 0);
    tr_rec_io(1, TR_OP_CLOSE, -1, -1, -9);
    tr_rec_stuck(4);
    tr_rec_exit(3, TR_STATUS_OK, 5);
    tr_rec_exit(2, TR_STATUS_ERROR, -5);
    tr_rec_exit(4, TR_STATUS_CANCELLED, 0);
    tr_rec_obj(9, TR_OBJ_CHAN, 4, "jobs", "src/x.c", 12);
    tr_rec_obj(10, TR_OBJ_MUTEX, -1, NULL, NULL, 0);
    tr_rec_obj(11, TR_OBJ_MUTEX, 0, "", NULL, 0);
    tr_rec_acquire(1, 10);
    tr_rec_release(1, 10);
    tr_rec_mark(1, "hello world", 11);
    tr_rec_mark(1, "cut here", 3);
    tr_rec_mark(1, NULL, 0);
    tr_rec_poll_begin();
    tr_rec_poll_end(3);
    tr_rec_poll_end(-1);
    tr_rec_run(18446744073709551615ull);
    tr_rec_work_begin(1, 2, "fib(30)");
    tr_rec_work_end(1, 2, "fib(30)");
    /* format v2's folds: one record, one line for two events */
    tr_rec_requeue(1, "a.c", 3, 0);
    tr_rec_io_begin(1, TR_OP_READ, 7, 16384);
    tr_rec_yield(1, TR_WAIT_IO, 0, TR_OP_READ, 7, -1, "examples/echo.c", 61);
    tr_rec_io_begin(1, TR_OP_ACCEPT, 5, -1);
    tr_rec_yield(1, TR_WAIT_IO, 0, TR_OP_ACCEPT, 5, 30, NULL, 0);
    tr_rec_io_end(1, TR_OP_READ, 126);
    tr_rec_ready(1, 0, TR_WAKE_IO);
    tr_rec_io_end(1, TR_OP_READ, -104);
    tr_rec_ready(1, 0, TR_WAKE_IO);
    /* and what does not fold: another task, another fd, a waker that is a
     * task, another reason, something in between */
    tr_rec_io_begin(2, TR_OP_WRITE, 7, 10);
    tr_rec_yield(1, TR_WAIT_IO, 0, TR_OP_WRITE, 7, -1, NULL, 0);
    tr_rec_io_begin(1, TR_OP_READ, 7, 10);
    tr_rec_yield(1, TR_WAIT_IO, 0, TR_OP_READ, 8, -1, NULL, 0);
    tr_rec_io_end(1, TR_OP_READ, 5);
    tr_rec_ready(1, 2, TR_WAKE_IO);
    tr_rec_io_end(1, TR_OP_READ, 5);
    tr_rec_ready(1, 0, TR_WAKE_TIMEOUT);
    tr_rec_io_end(1, TR_OP_CONNECT, 0);
    tr_rec_mark(1, "between", 7);
    tr_rec_ready(1, 0, TR_WAKE_IO);
    /* the run of the switch that ends a slice: `next` */
    tr_rec_requeue(1, NULL, 0, 0);
    tr_rec_run(2);
    tr_rec_io_begin(2, TR_OP_READ, 7, 8);
    tr_rec_yield(2, TR_WAIT_IO, 0, TR_OP_READ, 7, -1, NULL, 0);
    tr_rec_run(1);
    tr_rec_exit(1, TR_STATUS_OK, 0);
    tr_rec_run(3);
    tr_rec_yield(3, TR_WAIT_SLEEP, 0, TR_OP_NONE, -1, 5, NULL, 0);
    tr_rec_settle(); /* back to the loop: no run follows */
    tr_rec_run(3);
    tr_rec_yield(3, TR_WAIT_SLEEP, 0, TR_OP_NONE, -1, 5, NULL, 0);
    tr_rec_mark(3, "x", 1);
    tr_rec_run(3);
    tr_rec_io_begin(1, TR_OP_CLOSE, 7, -1); /* held back, then out at the stop */
}

/* The script in format v2 (the default), or v1 (COSCOPE_TRACE_FORMAT=1),
 * against its golden file. */
static void golden_of(int v1, const char *golden_path)
{
    const char *path = rec_path("golden.jsonl");
    if (v1)
        setenv("COSCOPE_TRACE_FORMAT", "1", 1);
    ASSERT_OK(tr_rec_start(path, "golden \"prog\""));
    unsetenv("COSCOPE_TRACE_FORMAT");
    script();
    tr_rec_flush(); /* publishes the held-back io_begin: every record counted */
    /* records, one line each: v2 folds 10 v1 records into others (3 runs
     * as `next`, 3 io_begins into io_wait, 2 loop readies into io_wake, the
     * ready of each of 2 requeues) */
    ASSERT_EQ(tr_rec_events(), v1 ? 80 : 70);
    ASSERT_OK(tr_rec_stop());
    ASSERT_EQ(tr_rec_dropped(), 0);

    rec_lines got = rec_read(path), want = rec_read(golden_path);
    rec_assert_json(&got);
    /* Work lines may come out before loop lines emitted earlier (the
     * writer drains the two rings one after the other): compare them moved
     * just before the end line, each group in its own order. */
    size_t k = 0;
    char **order = calloc(got.n, sizeof *order);
    ASSERT_NOT_NULL(order);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i + 1 < got.n; i++)
            if ((strstr(got.v[i], "\"ev\":\"work_") != NULL) == pass)
                order[k++] = got.v[i];
    order[k++] = got.v[got.n - 1];
    ASSERT_EQ(k, got.n);
    /* The header names this executable first, by its real path. */
    char exe[1024], want_mod[1100];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ASSERT(el > 0);
    exe[el] = '\0';
    snprintf(want_mod, sizeof want_mod, ",\"modules\":[{\"path\":\"%s\",\"base\":", exe);
    ASSERT_NOT_NULL(strstr(got.v[0], want_mod));
    if (getenv("COSCOPE_UPDATE_GOLDEN")) { /* after a deliberate change: rewrite it */
        FILE *g = fopen(golden_path, "w");
        ASSERT_NOT_NULL(g);
        for (size_t i = 0; i < got.n; i++) {
            normalise(order[i]);
            fprintf(g, "%s\n", order[i]);
        }
        fclose(g);
        return;
    }
    ASSERT_EQ(got.n, want.n);
    for (size_t i = 0; i < got.n; i++) {
        normalise(order[i]);
        ASSERT_STR_EQ(order[i], want.v[i]);
    }
    free(order);
    rec_free(&got);
    rec_free(&want);
    rec_cleanup();
}

static void golden(void) { golden_of(0, RECORD_GOLDEN); }
static void golden_v1(void) { golden_of(1, RECORD_GOLDEN_V1); }

/* ---- escaping ---- */

static void escape(void)
{
    static const struct {
        const char *in;
        size_t len;
        const char *json; /* the string as written, between the quotes */
        const char *value; /* what a JSON parser reads back */
    } cases[] = {
        {"a\"b\\c/", 6, "a\\\"b\\\\c/", "a\"b\\c/"},
        {"\x01\x1f\n\t\r", 5, "\\u0001\\u001f\\u000a\\u0009\\u000d", "\x01\x1f\n\t\r"},
        {"a\0b", 3, "a\\u0000b", NULL},
        {"del\x7f", 4, "del\x7f", "del\x7f"},
        {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
         "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"},
        {"x\xffy", 3, "x\xef\xbf\xbdy", "x\xef\xbf\xbdy"},
        {"\xc0\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xf4\x90\x80\x80!", 5,
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!"},
        {"\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    const char *path = rec_path("escape.jsonl");
    ASSERT_OK(tr_rec_start(path, "esc\n\"ape\"\xff"));
    for (int i = 0; i < N; i++)
        tr_rec_mark((uint64_t)i + 1, cases[i].in, cases[i].len);
    /* names: cut to 255 bytes, never inside a UTF-8 character */
    char long_name[400];
    memset(long_name, 'n', 300);
    long_name[300] = '\0';
    tr_rec_spawn(1, 0, long_name, "dir/we\"ird\\.c", 9);
    memset(long_name, 'u', 254);
    strcpy(long_name + 254, "\xc3\xa9tail");
    tr_rec_spawn(2, 0, long_name, NULL, 0);
    tr_rec_mark(3, long_name, strlen(long_name));
    ASSERT_OK(tr_rec_stop());

    rec_lines L = rec_read(path);
    rec_assert_json(&L);
    ASSERT_EQ(L.n, 1 + N + 3 + 1);
    ASSERT(strstr(L.v[0], "\"program\":\"esc\\u000a\\\"ape\\\"\xef\xbf\xbd\",") != NULL);
    for (int i = 0; i < N; i++) {
        char want[256];
        snprintf(want, sizeof want, "\"ev\":\"mark\",\"task\":%d,\"msg\":\"%s\"}", i + 1,
                 cases[i].json);
        const char *c = strchr(L.v[1 + i], ',');
        ASSERT_NOT_NULL(c);
        ASSERT_STR_EQ(c + 1, want);
        cJSON *j = cJSON_Parse(L.v[1 + i]);
        ASSERT_NOT_NULL(j);
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(j, "msg"));
        ASSERT_NOT_NULL(v);
        if (cases[i].value)
            ASSERT_STR_EQ(v, cases[i].value);
        cJSON_Delete(j);
    }
    cJSON *j = cJSON_Parse(L.v[1 + N]);
    ASSERT_EQ(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(j, "name"))), 255);
    ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "at")), "dir/we\"ird\\.c:9");
    cJSON_Delete(j);
    j = cJSON_Parse(L.v[2 + N]);
    char cut[255];
    memset(cut, 'u', 254);
    cut[254] = '\0';
    ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "name")), cut);
    cJSON_Delete(j);
    j = cJSON_Parse(L.v[3 + N]);
    ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "msg")), cut);
    cJSON_Delete(j);
    rec_free(&L);
    rec_cleanup();
}

/* ---- t's digits ---- */

/* The formatter keeps the digits of `t` above its low 8 between lines:
 * every t, rising, falling and across each 10^8, with and without the
 * cache (the crash path's), is its exact decimal. */
static void t_digits(void)
{
    static const int64_t ts[] = {0, 7, 99999999, 100000000, 100000005, 199999999, 200000000,
                                 123456789012, 123456789013, 123400000000, 123499999999,
                                 123500000001, 100000001, 99999999, 1000000000000000000,
                                 1000000000000000001, INT64_MAX, 5, 100000000};
    static char buf[TR__MAXLINE + 64];
    tr__fmt_reset();
    tr__rec r;
    memset(&r, 0, sizeof r);
    r.ev = TR_EV_RUN;
    r.task = 3;
    for (int nocache = 0; nocache < 2; nocache++) {
        tr__fmt_nocache = nocache;
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
            size_t n = tr__fmt_rec(buf, &r, ts[i]);
            buf[n] = 0;
            char want[64];
            snprintf(want, sizeof want, "{\"t\":%lld,\"ev\":\"run\",\"task\":3}\n",
                     (long long)ts[i]);
            ASSERT_STR_EQ(buf, want);
        }
    }
    tr__fmt_reset();
}

/* ---- blocks allocated ahead of the writes ---- */

enum { RESERVE_MB = 16 }; /* tr_writer.c's RESERVE */

/* 1 when the file system under path allocates blocks for fallocate with
 * FALLOC_FL_KEEP_SIZE (ext4, xfs, tmpfs do), probed on a file beside it. */
static int can_reserve(const char *path)
{
    char probe[160];
    snprintf(probe, sizeof probe, "%s.probe", path);
    int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_CMP(fd, >=, 0);
    int ok = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 20) == 0;
    close(fd);
    unlink(probe);
    return ok;
}

static long long allocated(const char *path, long long *size)
{
    struct stat st;
    ASSERT_OK(stat(path, &st));
    *size = (long long)st.st_size;
    return (long long)st.st_blocks * 512;
}

static void reserve_marks(int n)
{
    for (int i = 0; i < n; i++)
        tr_rec_mark(1, "a mark of some forty bytes, to fill a file", 42);
}

/* Recording allocates the file's blocks ahead (RESERVE_MB at a time)
 * while its size stays the bytes of whole lines written, and gives back
 * what was not used when it stops, and after a crash flush. */
static void reserve(void)
{
    const char *path = rec_path("reserve.jsonl");
    int ahead = can_reserve(path);
    long long size;
    ASSERT_OK(tr_rec_start(path, "reserve"));
    reserve_marks(20000);
    tr_rec_flush();
    long long blocks = allocated(path, &size);
    rec_lines L = rec_read(path);
    ASSERT(L.whole);
    ASSERT_EQ(L.n, 1 + 20000);
    rec_free(&L);
    if (ahead)
        ASSERT_CMP(blocks, >=, (long long)RESERVE_MB << 20);
    ASSERT_CMP(size, <, (long long)RESERVE_MB << 20);
    ASSERT_OK(tr_rec_stop());
    blocks = allocated(path, &size);
    ASSERT_CMP(blocks, <, size + (1 << 20)); /* given back */
    L = rec_read(path);
    ASSERT_EQ(L.n, 1 + 20000 + 1);
    ASSERT(rec_is(L.v[L.n - 1], "end"));
    rec_free(&L);

    /* A crash flush gives the blocks back too: nothing is written after it. */
    const char *crashed = rec_path("reserve-crash.jsonl");
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        if (tr_rec_start(crashed, "crash") != 0)
            _exit(90);
        reserve_marks(20000);
        tr_rec_flush();
        long long sz;
        if (ahead && allocated(crashed, &sz) < (long long)RESERVE_MB << 20)
            _exit(91);
        reserve_marks(100); /* in the ring: the crash flush writes them */
        tr_rec_crash_flush();
        _exit(0);
    }
    int st = rec_wait(pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    blocks = allocated(crashed, &size);
    ASSERT_CMP(blocks, <, size + (1 << 20));
    L = rec_read(crashed);
    ASSERT(L.whole);
    ASSERT_EQ(L.n, 1 + 20100); /* no end line after a crash flush */
    rec_free(&L);
    if (!ahead)
        printf("note: no fallocate here; only the sizes and lines were checked\n");
    rec_cleanup();
}

/* ---- t order ---- */

static void order_run(const char *path)
{
    ASSERT_OK(tr_rec_start(path, "order"));
    int64_t prev = 0;
    for (int i = 0; i < 100000; i++) {
        tr_rec_run((uint64_t)i % 7 + 1);
        tr_rec_yield((uint64_t)i % 7 + 1, TR_WAIT_YIELD, 0, TR_OP_NONE, -1, -1, NULL, 0);
        if (i % 1000 == 0) {
            int64_t now = tr_rec_now();
            ASSERT_CMP(now, >=, prev);
            prev = now;
        }
    }
    tr_rec_mark(1, "before", 6);
    struct timespec d = {0, 20 * 1000 * 1000};
    while (nanosleep(&d, &d) != 0)
        ;
    tr_rec_mark(1, "after", 5);
    ASSERT_OK(tr_rec_stop());

    rec_lines L = rec_read(path);
    /* header, the first run, then each yield with the next run folded in
     * (`next`), the marks and end */
    ASSERT_EQ(L.n, 1 + 1 + 100000 + 2 + 1);
    ASSERT_EQ(rec_int(L.v[2], "next", -1), 2);
    long long last = 0, before = -1, after = -1;
    for (size_t i = 1; i < L.n; i++) {
        long long t = rec_int(L.v[i], "t", -1);
        ASSERT_CMP(t, >=, last);
        last = t;
        if (strstr(L.v[i], "\"msg\":\"before\""))
            before = t;
        if (strstr(L.v[i], "\"msg\":\"after\""))
            after = t;
    }
    /* nanosleep sleeps at least 20 ms; the calibrated clock must see that */
    ASSERT_CMP(after - before, >=, 19 * 1000 * 1000);
    ASSERT_EQ(rec_int(L.v[L.n - 1], "events", -1), 100003);
    rec_free(&L);
}

static void order(void)
{
    order_run(rec_path("order.jsonl"));
    /* The fallback clock, in a child: the clock is chosen once per process. */
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        setenv("COSCOPE_TRACE_CLOCK", "monotonic", 1);
        order_run(rec_path("order-mono.jsonl"));
        _exit(0);
    }
    int st = rec_wait(pid);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    rec_cleanup();
}

/* ---- lossless under pressure ---- */

static void lossless(void)
{
    const uint64_t n = RUNNING_ON_VALGRIND ? 100000 : 2000000;
    const char *path = rec_path("lossless.jsonl");
    ASSERT_OK(tr_rec_start(path, "lossless"));
    for (uint64_t i = 1; i <= n; i++) {
        if (i % 5 == 0)
            tr_rec_mark(i, "a message of some length, to vary record sizes", 17 + i % 30);
        else
            tr_rec_yield(i, TR_WAIT_IO, 0, TR_OP_READ, 3, -1, "x.c", 1);
    }
    ASSERT_EQ(tr_rec_events(), n);
    ASSERT_OK(tr_rec_stop());
    ASSERT_EQ(tr_rec_dropped(), 0);

    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    char *line = NULL;
    size_t cap = 0;
    uint64_t lines = 0, want = 1;
    ssize_t len;
    long long end_events = -1, end_dropped = -1;
    while ((len = getline(&line, &cap, f)) > 0) {
        ASSERT_EQ(line[len - 1], '\n');
        lines++;
        if (lines == 1)
            continue;
        if (rec_is(line, "end")) {
            end_events = rec_int(line, "events", -1);
            end_dropped = rec_int(line, "dropped", -1);
            continue;
        }
        ASSERT_EQ(rec_int(line, "task", -1), want); /* every event, in order */
        want++;
    }
    free(line);
    fclose(f);
    ASSERT_EQ(want, n + 1);
    ASSERT_EQ(lines, n + 2);
    ASSERT_EQ(end_events, n);
    ASSERT_EQ(end_dropped, 0);
    rec_cleanup();
}

/* ---- work events from pool threads ---- */

enum { WORK_THREADS = 4, WORK_EACH = 5000, WORK_LOOP = 50000 };

static void *work_thread(void *arg)
{
    uint64_t th = (uint64_t)(uintptr_t)arg;
    char name[32];
    for (uint64_t i = 0; i < WORK_EACH; i++) {
        snprintf(name, sizeof name, "job %llu", (unsigned long long)i);
        tr_rec_work_begin(th * 1000000 + i, th, name);
        tr_rec_work_end(th * 1000000 + i, th, name);
    }
    return NULL;
}

static void work(void)
{
    const char *path = rec_path("work.jsonl");
    ASSERT_OK(tr_rec_start(path, "work"));
    pthread_t t[WORK_THREADS];
    for (uintptr_t i = 0; i < WORK_THREADS; i++)
        ASSERT_OK(pthread_create(&t[i], NULL, work_thread, (void *)(i + 1)));
    for (uint64_t i = 1; i <= WORK_LOOP; i++)
        tr_rec_run(i);
    for (int i = 0; i < WORK_THREADS; i++)
        ASSERT_OK(pthread_join(t[i], NULL));
    ASSERT_EQ(tr_rec_events(), WORK_LOOP + 2 * WORK_THREADS * WORK_EACH);
    ASSERT_OK(tr_rec_stop());

    rec_lines L = rec_read(path);
    ASSERT_EQ(L.n, 1 + WORK_LOOP + 2 * WORK_THREADS * WORK_EACH + 1);
    uint64_t next_run = 1, next[WORK_THREADS + 1][2] = {{0}};
    for (size_t i = 1; i + 1 < L.n; i++) {
        const char *s = L.v[i];
        if (rec_is(s, "run")) {
            ASSERT_EQ(rec_int(s, "task", -1), next_run);
            next_run++;
            continue;
        }
        int end = rec_is(s, "work_end");
        ASSERT(end || rec_is(s, "work_begin"));
        long long th = rec_int(s, "thread", -1);
        ASSERT(th >= 1 && th <= WORK_THREADS);
        uint64_t j = next[th][end]++;
        ASSERT_EQ(rec_int(s, "task", -1), (long long)th * 1000000 + (long long)j);
        char want[32];
        snprintf(want, sizeof want, "\"name\":\"job %llu\"}", (unsigned long long)j);
        ASSERT(strstr(s, want) != NULL);
    }
    ASSERT_EQ(next_run, WORK_LOOP + 1);
    for (int th = 1; th <= WORK_THREADS; th++) {
        ASSERT_EQ(next[th][0], WORK_EACH);
        ASSERT_EQ(next[th][1], WORK_EACH);
    }
    ASSERT_EQ(rec_int(L.v[L.n - 1], "events", -1), WORK_LOOP + 2 * WORK_THREADS * WORK_EACH);
    rec_free(&L);
    rec_cleanup();
}

/* ---- the start/stop contract ---- */

/* Threads of this process whose name (comm) is `name`; the tid of one of
 * them in *tid when tid is not NULL (0: none). */
static int threads_named(const char *name, long *tid)
{
    DIR *d = opendir("/proc/self/task");
    ASSERT_NOT_NULL(d);
    int n = 0;
    if (tid)
        *tid = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[300], comm[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* the thread ended meanwhile */
        if (fgets(comm, sizeof comm, f))
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
        if (strcmp(comm, name) == 0 && n++ == 0 && tid)
            *tid = atol(de->d_name);
    }
    closedir(d);
    return n;
}

/* 1 once no thread is named `name`. A joined thread can still be listed
 * for a moment: pthread_join returns when the kernel clears its tid, before
 * the thread has let go of its files (the writer has a file table of its
 * own) and left /proc. So this waits for it, 10 s at most. */
static int threads_gone(const char *name)
{
    for (int i = 0; i < 10000; i++) {
        if (threads_named(name, NULL) == 0)
            return 1;
        usleep(1000);
    }
    return 0;
}

static void api(void)
{
    ASSERT_EQ(tr_rec_stop(), 0); /* not recording: a no-op */
    tr_rec_flush();
    tr_rec_crash_flush();
    tr_rec_run(1); /* off: nothing happens */
    ASSERT_EQ(tr_rec_start(NULL, "x"), -EINVAL);
    ASSERT_EQ(tr_rec_start("/nonexistent-dir/x/trace.jsonl", "x"), -ENOENT);

    const char *path = rec_path("api.jsonl");
    ASSERT_OK(tr_rec_start(path, NULL));
    ASSERT(TR_ON());
    ASSERT_EQ(tr_rec_start(path, "again"), -EEXIST);
    ASSERT_EQ(threads_named("coscope-writer", NULL), 1);
    for (int i = 0; i < 10; i++)
        tr_rec_run((uint64_t)i + 1);
    tr_rec_flush(); /* synchronous: the lines are in the file now */
    rec_lines L = rec_read(path);
    ASSERT_EQ(L.n, 11);
    ASSERT(strstr(L.v[0], "\"program\":\"\"") != NULL);
    rec_free(&L);

    /* a forked child does not inherit recording; it may start its own */
    const char *child_path = rec_path("api-child.jsonl");
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        if (TR_ON() || tr_rec_stop() != 0 || tr_rec_start(child_path, "child") != 0)
            _exit(1);
        tr_rec_run(7);
        _exit(tr_rec_stop() == 0 ? 0 : 2);
    }
    int st = rec_wait(pid);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    L = rec_read(child_path);
    ASSERT_EQ(L.n, 3);
    rec_free(&L);

    /* crash flush: writes what is left, ends recording, is idempotent */
    for (int i = 0; i < 5; i++)
        tr_rec_mark(1, "m", 1);
    tr_rec_crash_flush();
    tr_rec_crash_flush();
    ASSERT(!TR_ON());
    tr_rec_mark(1, "late", 4); /* not recorded */
    L = rec_read(path);
    ASSERT_EQ(L.n, 16);
    rec_assert_json(&L);
    rec_free(&L);
    ASSERT_EQ(tr_rec_stop(), 0);
    ASSERT_EQ(tr_rec_stop(), 0);
    ASSERT(threads_gone("coscope-writer")); /* joined */
    L = rec_read(path);
    ASSERT_EQ(L.n, 17);
    ASSERT(strstr(L.v[16], "\"ev\":\"end\",\"events\":15,\"dropped\":0}") != NULL);
    rec_free(&L);

    /* and again, to the same file: truncated, a fresh trace from t = 0 */
    ASSERT_OK(tr_rec_start(path, "second"));
    tr_rec_run(1);
    ASSERT_EQ(tr_rec_events(), 1);
    ASSERT_OK(tr_rec_stop());
    L = rec_read(path);
    ASSERT_EQ(L.n, 3);
    ASSERT(strstr(L.v[0], "\"program\":\"second\"") != NULL);
    ASSERT(strstr(L.v[2], "\"events\":1,\"dropped\":0}") != NULL);
    rec_free(&L);
    rec_cleanup();
}

/* ---- the writer's own file table ---- */

/* The fds in thread tid's table, below the soft limit (valgrind keeps its
 * own above it): their count, the first `max` of them in v. */
static int fds_of(long tid, long *v, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/fd", tid);
    DIR *d = opendir(path);
    ASSERT_NOT_NULL(d);
    struct rlimit rl;
    ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
    int self = dirfd(d), n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long fd = atol(de->d_name);
        if (de->d_name[0] == '.' || (rlim_t)fd >= rl.rlim_cur || fd == self) /* self: this listing's */
            continue;
        if (n < max)
            v[n] = fd;
        n++;
    }
    closedir(d);
    return n;
}

static int has_fd(const long *v, int n, long fd)
{
    for (int i = 0; i < n; i++)
        if (v[i] == fd)
            return 1;
    return 0;
}

/* Does this kernel unshare a file table in close_range (5.9 and later)?
 * Asked in a child, whose table it is. */
static int unshare_works(void)
{
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0)
        _exit(syscall(SYS_close_range, ~0u - 1, ~0u - 1, 4u /* CLOSE_RANGE_UNSHARE */) == 0 ? 0 : 1);
    int st = rec_wait(pid);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The writer thread has a file table of its own (so the loop's fd calls
 * take no file references), holding only stderr and the trace file: a pipe
 * the program opened before recording and closes while it records is
 * closed (its reader sees EOF at once), in a full trace and in flight mode. */
static void own_fds(void)
{
    int unshare = unshare_works();
    if (!unshare)
        printf("own_fds: this kernel has no CLOSE_RANGE_UNSHARE: the table stays shared\n");
    for (int flight = 0; flight < 2; flight++) {
        int p[2];
        ASSERT_OK(pipe2(p, O_NONBLOCK | O_CLOEXEC));
        const char *path = rec_path("own-fds.jsonl");
        if (flight)
            setenv("COSCOPE_FLIGHT", "1MB", 1);
        ASSERT_OK(tr_rec_start(path, "own-fds"));
        unsetenv("COSCOPE_FLIGHT");
        tr_rec_run(1);
        tr_rec_flush(); /* the writer has run past its start */
        long writer;
        ASSERT_EQ(threads_named("coscope-writer", &writer), 1);
        long lv[256], wv[256];
        int ln = fds_of((long)syscall(SYS_gettid), lv, 256);
        int wn = fds_of(writer, wv, 256);
        ASSERT_CMP(ln, <=, 256);
        ASSERT_CMP(wn, <=, 256);
        ASSERT(has_fd(lv, ln, p[0]) && has_fd(lv, ln, p[1]));
        if (unshare) {
            /* stderr, and the trace file when there is one */
            ASSERT_EQ(wn, flight ? 1 : 2);
            ASSERT(has_fd(wv, wn, 2));
            for (int i = 0; i < wn; i++) {
                if (wv[i] == 2)
                    continue;
                ASSERT(has_fd(lv, ln, wv[i])); /* the loop's copy: for the crash path */
                char link[64], target[4096];
                snprintf(link, sizeof link, "/proc/self/fd/%ld", wv[i]);
                ssize_t n = readlink(link, target, sizeof target - 1);
                ASSERT_CMP(n, >, 0);
                target[n] = '\0';
                ASSERT_STR_EQ(target, path);
            }
        } else {
            ASSERT_EQ(wn, ln);
            ASSERT(has_fd(wv, wn, p[0]) && has_fd(wv, wn, p[1]));
        }
        ASSERT_OK(close(p[1]));
        char c;
        ASSERT_EQ(read(p[0], &c, 1), 0); /* EOF: no other copy of the write end */
        ASSERT_OK(close(p[0]));
        ASSERT_OK(tr_rec_stop());
        ASSERT(threads_gone("coscope-writer")); /* before the next one starts */
    }
    rec_cleanup();
}

/* Integers at every digit-count boundary (the formatter counts digits and
 * writes 8 at a time), and `at` strings from the formatter's cache: the same
 * site twice, the same file at another line, a path that needs escaping. */
static void numbers(void)
{
    static const uint64_t v[] = {0, 1, 9, 10, 99, 100, 999, 1000, 9999999, 10000000,
                                 99999999, 100000000, 100000001, 999999999999ull,
                                 1000000000000ull, 12345678901234567ull,
                                 9999999999999999999ull, 10000000000000000000ull,
                                 UINT64_MAX};
    enum { N = sizeof v / sizeof v[0] };
    const char *path = rec_path("numbers.jsonl");
    ASSERT_OK(tr_rec_start(path, "numbers"));
    for (int i = 0; i < N; i++)
        tr_rec_run(v[i]);
    static const char *const files[] = {"a/b.c", "a/b.c", "a/b.c", "q\"x\\.c", "a/b.c"};
    static const int lines[] = {7, 7, 70000, 3, 7};
    for (int i = 0; i < 5; i++)
        tr_rec_yield(1, TR_WAIT_YIELD, 0, TR_OP_NONE, -1, -1, files[i], lines[i]);
    ASSERT_OK(tr_rec_stop());
    rec_lines L = rec_read(path);
    ASSERT_EQ(L.n, (size_t)N + 7);
    for (int i = 0; i < N; i++) {
        char want[64];
        snprintf(want, sizeof want, "\"ev\":\"run\",\"task\":%llu", (unsigned long long)v[i]);
        const char *p = strstr(L.v[1 + i], want);
        ASSERT_NOT_NULL(p);
        p += strlen(want);
        ASSERT(*p == '}' || *p == ',');
    }
    static const char *const at[] = {"\"at\":\"a/b.c:7\"", "\"at\":\"a/b.c:7\"",
                                     "\"at\":\"a/b.c:70000\"", "\"at\":\"q\\\"x\\\\.c:3\"",
                                     "\"at\":\"a/b.c:7\""};
    for (int i = 0; i < 5; i++)
        ASSERT_NOT_NULL(strstr(L.v[1 + N + i], at[i]));
    rec_assert_json(&L);
    rec_free(&L);
    rec_cleanup();
}

/* The writer's line memo (tr_fmt.c): a line whose kind, task and printed
 * fields were seen before is a copy, so each field the memo keys on is
 * changed alone here, right after a line it would otherwise match, and
 * every line must come out as its fields say. First, records with other
 * values in every field fill the ring past a wrap, so that the fields a
 * kind does not write hold stale bytes. */
static void line_memo(void)
{
    const char *path = rec_path("memo.jsonl");
    ASSERT_OK(tr_rec_start(path, "memo"));
    enum { FILL = 70000 }; /* 64-byte records: past the 4 MB ring's end */
    for (int i = 0; i < FILL; i++)
        tr_rec_io(9, TR_OP_WRITE, 77 + i % 2, 88, 99);
    tr_rec_flush();
    /* another pointer, the same text: not const, so no compiler may merge it
     * with the literal (clang did, and the line hit the memo) */
    static char same_text[] = "m.c";
    const char *m = "m.c";
    for (int i = 0; i < 3; i++) {
        tr_rec_requeue(5, m, 1, 0);
        tr_rec_run(6);
    }
    tr_rec_requeue(5, m, 1, 0);
    tr_rec_run(7);            /* another `next` only */
    tr_rec_requeue(5, m, 2, 0); /* line */
    tr_rec_run(6);
    tr_rec_requeue(5, same_text, 2, 0); /* file pointer */
    tr_rec_run(6);
    tr_rec_requeue(5, m, 2, 3); /* stack */
    tr_rec_run(6);
    tr_rec_requeue(4, m, 2, 3); /* task */
    tr_rec_settle();
    for (int i = 0; i < 3; i++)
        tr_rec_ready(5, 1, TR_WAKE_CHAN);
    tr_rec_ready(5, 2, TR_WAKE_CHAN); /* by */
    tr_rec_ready(5, 2, TR_WAKE_TIMER); /* why */
    static const int64_t res[] = {10, 10, 10, -104, 10, 11};
    for (int i = 0; i < 6; i++) {
        tr_rec_io_end(5, TR_OP_READ, res[i]);
        tr_rec_ready(5, 0, TR_WAKE_IO); /* folds: io_wake */
    }
    tr_rec_io_end(5, TR_OP_WRITE, 11); /* op */
    tr_rec_ready(5, 0, TR_WAKE_IO);
    for (int i = 0; i < 3; i++)
        tr_rec_io(5, TR_OP_WRITE, 3, 4, 4);
    tr_rec_io(5, TR_OP_WRITE, 4, 4, 4); /* fd */
    tr_rec_io(5, TR_OP_WRITE, 4, 5, 4); /* bytes */
    tr_rec_io(5, TR_OP_WRITE, 4, 5, 5); /* res */
    for (int i = 0; i < 3; i++)
        tr_rec_yield(5, TR_WAIT_SLEEP, 0, TR_OP_NONE, -1, 5, m, 9);
    tr_rec_yield(5, TR_WAIT_SLEEP, 0, TR_OP_NONE, -1, 6, m, 9); /* ms */
    tr_rec_yield(5, TR_WAIT_CHAN_RECV, 9, TR_OP_NONE, -1, 6, m, 9); /* why, obj */
    tr_rec_yield(5, TR_WAIT_CHAN_RECV, 8, TR_OP_NONE, -1, 6, m, 9); /* obj */
    static const int64_t bytes[] = {100, 100, 100, 200};
    for (int i = 0; i < 4; i++) {
        tr_rec_io_begin(5, TR_OP_READ, 3, bytes[i]);
        tr_rec_yield(5, TR_WAIT_IO, 0, TR_OP_READ, 3, -1, m, 9); /* folds: io_wait */
    }
    tr_rec_io_begin(5, TR_OP_READ, 4, 200); /* fd */
    tr_rec_yield(5, TR_WAIT_IO, 0, TR_OP_READ, 4, -1, m, 9);
    tr_rec_settle();
    ASSERT_OK(tr_rec_stop());
    static const char *const want[] = {
        "{\"ev\":\"requeue\",\"task\":5,\"at\":\"m.c:1\",\"next\":6}",
        "{\"ev\":\"requeue\",\"task\":5,\"at\":\"m.c:1\",\"next\":6}",
        "{\"ev\":\"requeue\",\"task\":5,\"at\":\"m.c:1\",\"next\":6}",
        "{\"ev\":\"requeue\",\"task\":5,\"at\":\"m.c:1\",\"next\":7}",
        "{\"ev\":\"requeue\",\"task\":5,\"at\":\"m.c:2\",\"next\":6}",
        "{\"ev\":\"requeue\",\"task\":5,\"at\":\"m.c:2\",\"next\":6}",
        "{\"ev\":\"requeue\",\"task\":5,\"at\":\"m.c:2\",\"stack\":3,\"next\":6}",
        "{\"ev\":\"requeue\",\"task\":4,\"at\":\"m.c:2\",\"stack\":3}",
        "{\"ev\":\"ready\",\"task\":5,\"by\":1,\"why\":\"chan\"}",
        "{\"ev\":\"ready\",\"task\":5,\"by\":1,\"why\":\"chan\"}",
        "{\"ev\":\"ready\",\"task\":5,\"by\":1,\"why\":\"chan\"}",
        "{\"ev\":\"ready\",\"task\":5,\"by\":2,\"why\":\"chan\"}",
        "{\"ev\":\"ready\",\"task\":5,\"by\":2,\"why\":\"timer\"}",
        "{\"ev\":\"io_wake\",\"task\":5,\"op\":\"read\",\"res\":10}",
        "{\"ev\":\"io_wake\",\"task\":5,\"op\":\"read\",\"res\":10}",
        "{\"ev\":\"io_wake\",\"task\":5,\"op\":\"read\",\"res\":10}",
        "{\"ev\":\"io_wake\",\"task\":5,\"op\":\"read\",\"err\":\"ECONNRESET\"}",
        "{\"ev\":\"io_wake\",\"task\":5,\"op\":\"read\",\"res\":10}",
        "{\"ev\":\"io_wake\",\"task\":5,\"op\":\"read\",\"res\":11}",
        "{\"ev\":\"io_wake\",\"task\":5,\"op\":\"write\",\"res\":11}",
        "{\"ev\":\"io\",\"task\":5,\"op\":\"write\",\"fd\":3,\"bytes\":4,\"res\":4}",
        "{\"ev\":\"io\",\"task\":5,\"op\":\"write\",\"fd\":3,\"bytes\":4,\"res\":4}",
        "{\"ev\":\"io\",\"task\":5,\"op\":\"write\",\"fd\":3,\"bytes\":4,\"res\":4}",
        "{\"ev\":\"io\",\"task\":5,\"op\":\"write\",\"fd\":4,\"bytes\":4,\"res\":4}",
        "{\"ev\":\"io\",\"task\":5,\"op\":\"write\",\"fd\":4,\"bytes\":5,\"res\":4}",
        "{\"ev\":\"io\",\"task\":5,\"op\":\"write\",\"fd\":4,\"bytes\":5,\"res\":5}",
        "{\"ev\":\"yield\",\"task\":5,\"why\":\"sleep\",\"ms\":5,\"at\":\"m.c:9\"}",
        "{\"ev\":\"yield\",\"task\":5,\"why\":\"sleep\",\"ms\":5,\"at\":\"m.c:9\"}",
        "{\"ev\":\"yield\",\"task\":5,\"why\":\"sleep\",\"ms\":5,\"at\":\"m.c:9\"}",
        "{\"ev\":\"yield\",\"task\":5,\"why\":\"sleep\",\"ms\":6,\"at\":\"m.c:9\"}",
        "{\"ev\":\"yield\",\"task\":5,\"why\":\"chan_recv\",\"obj\":9,\"ms\":6,\"at\":\"m.c:9\"}",
        "{\"ev\":\"yield\",\"task\":5,\"why\":\"chan_recv\",\"obj\":8,\"ms\":6,\"at\":\"m.c:9\"}",
        "{\"ev\":\"io_wait\",\"task\":5,\"op\":\"read\",\"fd\":3,\"bytes\":100,\"at\":\"m.c:9\"}",
        "{\"ev\":\"io_wait\",\"task\":5,\"op\":\"read\",\"fd\":3,\"bytes\":100,\"at\":\"m.c:9\"}",
        "{\"ev\":\"io_wait\",\"task\":5,\"op\":\"read\",\"fd\":3,\"bytes\":100,\"at\":\"m.c:9\"}",
        "{\"ev\":\"io_wait\",\"task\":5,\"op\":\"read\",\"fd\":3,\"bytes\":200,\"at\":\"m.c:9\"}",
        "{\"ev\":\"io_wait\",\"task\":5,\"op\":\"read\",\"fd\":4,\"bytes\":200,\"at\":\"m.c:9\"}",
    };
    enum { W = sizeof want / sizeof want[0] };
    rec_lines L = rec_read(path);
    rec_assert_json(&L);
    ASSERT_EQ(L.n, (size_t)1 + FILL + W + 1); /* header, fill, the lines, end */
    size_t long_slices = 0;
    for (size_t i = 0; i < W; i++) {
        char *line = L.v[1 + FILL + i];
        long_slices += strstr(line, ",\"cpu\":") != NULL;
        normalise(line);
        ASSERT_STR_EQ(line, want[i]);
    }
    /* served from the memo: a line is kept at its (kind, task)'s second
     * miss in a row, so all but the first three of the fill's lines (two
     * lines in turn: a set has two ways), and 8 of the script's: the third
     * of each run of three equal lines (requeue, ready, io_wake, io,
     * yield, io_wait), the requeue with another `next` and the io_wake of
     * 10 after the error. A requeue that ended a run slice of 250 us or
     * more (a slow valgrind run) carries on-CPU figures and is no memo
     * line, which can cost its run one hit. */
    uint64_t hits = tr__fmt_memo_hits(), want_hits = FILL - 3 + 8;
    ASSERT_CMP(hits, <=, want_hits);
    ASSERT_CMP(hits + long_slices, >=, want_hits);
    rec_free(&L);
    rec_cleanup();
}

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The TSC rate is fixed by the writer after start-up (tr__clock_settle):
 * the t between two events must still agree with CLOCK_MONOTONIC, read
 * around each emit, for a trace longer than the 10 ms calibration span and
 * for one that stops before it (which settles over what it had). The slack
 * (1 % + 20 us) is far below what a wrong or unsettled rate would be off
 * by, and preemption only widens the bracket. */
static void clock_span(const char *name, long gap_us)
{
    const char *path = rec_path(name);
    long long m1 = mono_ns();
    ASSERT_OK(tr_rec_start(path, "clock"));
    tr_rec_run(1);
    long long m2 = mono_ns();
    struct timespec d = {0, gap_us * 1000};
    while (nanosleep(&d, &d) != 0)
        ;
    long long m3 = mono_ns();
    tr_rec_run(2);
    long long m4 = mono_ns();
    ASSERT_OK(tr_rec_stop());
    rec_lines L = rec_read(path);
    ASSERT_EQ(L.n, 4);
    ASSERT(rec_is(L.v[1], "run") && rec_is(L.v[2], "run"));
    long long t1 = rec_int(L.v[1], "t", -1), t2 = rec_int(L.v[2], "t", -1);
    ASSERT_CMP(t1, >=, 0);
    ASSERT_CMP(t1, <=, m2 - m1 + 20000);
    long long dt = t2 - t1, slack = (m4 - m1) / 100 + 20000;
    ASSERT_CMP(dt, >=, m3 - m2 - slack);
    ASSERT_CMP(dt, <=, m4 - m1 + slack);
    rec_free(&L);
}

static void clock_settle(void)
{
    clock_span("clock-long.jsonl", 40 * 1000); /* first: calibrates */
    clock_span("clock-again.jsonl", 5 * 1000); /* the process's rate stays */
    rec_cleanup();
}

static void clock_short(void)
{
    clock_span("clock-short.jsonl", 2 * 1000); /* stops before 10 ms */
    rec_cleanup();
}

/* ---- an io_begin's time ---- */

static void nap_ms(long ms)
{
    struct timespec d = {0, ms * 1000 * 1000};
    while (nanosleep(&d, &d) != 0)
        ;
}

/* Format v2 holds an io_begin back for the yield that folds it in, and
 * reads its clock only if something else publishes it: its t is then the
 * publisher's, never 0 nor before the line ahead of it. v1 publishes it at
 * once, at the time it was called. Each is published here by a different
 * kind of emit, after a wait that v2's t must include and v1's must not. */
static void io_begin_time_of(int v1)
{
    const char *path = rec_path(v1 ? "io-begin-v1.jsonl" : "io-begin.jsonl");
    if (v1)
        setenv("COSCOPE_TRACE_FORMAT", "1", 1);
    ASSERT_OK(tr_rec_start(path, "io_begin"));
    unsetenv("COSCOPE_TRACE_FORMAT");
    const long gap = 3; /* ms, between an io_begin and what publishes it */
    nap_ms(gap);
    tr_rec_run(1);
    tr_rec_io_begin(1, TR_OP_FS_OPEN, -1, -1); /* by the io_end of a failure */
    nap_ms(gap);
    tr_rec_io_end(1, TR_OP_FS_OPEN, -2);
    tr_rec_io_begin(1, TR_OP_READ, 7, 10); /* by a yield on another fd */
    nap_ms(gap);
    tr_rec_yield(1, TR_WAIT_IO, 0, TR_OP_READ, 8, -1, NULL, 0);
    tr_rec_run(1);
    tr_rec_io_begin(1, TR_OP_WRITE, 7, 10); /* by a mark */
    nap_ms(gap);
    tr_rec_mark(1, "m", 1);
    tr_rec_io_begin(1, TR_OP_CLOSE, 7, -1); /* by an exit */
    nap_ms(gap);
    tr_rec_exit(1, TR_STATUS_OK, 0);
    tr_rec_run(2);
    tr_rec_io_begin(2, TR_OP_CLOSE, 9, -1); /* by the stop */
    nap_ms(gap);
    ASSERT_OK(tr_rec_stop());

    rec_lines L = rec_read(path);
    rec_assert_json(&L);
    int begins = 0;
    long long last = 0;
    for (size_t i = 1; i + 1 < L.n; i++) {
        long long t = rec_int(L.v[i], "t", -1);
        ASSERT_CMP(t, >=, last); /* never 0, never before the line ahead */
        if (i == 1)
            ASSERT_CMP(t, >=, gap * 1000 * 1000);
        if (rec_is(L.v[i], "io_begin")) {
            begins++;
            /* v2: at its publisher's time, after the wait; v1: before it */
            long long next = i + 2 < L.n ? rec_int(L.v[i + 1], "t", -1) : -1;
            if (v1 && next >= 0)
                ASSERT_CMP(next - t, >=, gap * 1000 * 1000);
            if (!v1)
                ASSERT_CMP(t - last, >=, gap * 1000 * 1000);
        }
        last = t;
    }
    ASSERT_EQ(begins, 5);
    rec_free(&L);
}

static void io_begin_time(void)
{
    io_begin_time_of(0);
    io_begin_time_of(1);
    rec_cleanup();
}

/* ---- interned chains ---- */

/* One wait site (one first pc) reached from different callers: chains that
 * differ only below their first frame, so they share a memo entry. Each
 * call is kept its own (noinline, and work after it: no tail calls). */
static const void *stk_lo, *stk_hi, *stk_cut;
static volatile int stk_sink;

__attribute__((noinline)) static uint32_t stk_walk(void)
{
    uint32_t id = tr_rec_stack(NULL, stk_lo, stk_cut ? stk_cut : stk_hi); /* not this frame */
    stk_sink++;
    return id;
}

__attribute__((noinline)) static uint32_t stk_site(void)
{
    uint32_t id = stk_walk(); /* every chain's first pc */
    stk_sink++;
    return id;
}

__attribute__((noinline)) static uint32_t stk_from_a(void)
{
    uint32_t id = stk_site();
    stk_sink++;
    return id;
}

__attribute__((noinline)) static uint32_t stk_from_b(void)
{
    uint32_t id = stk_site();
    stk_sink++;
    return id;
}

__attribute__((noinline)) static uint32_t stk_from_c(void)
{
    uint32_t id = stk_from_a(); /* a's chain and one frame more */
    stk_sink++;
    return id;
}

/* Chain k, through one call site so nothing above it differs: a, b, c, and
 * (3) a's first three frames alone, the walk's top cut at this frame. */
__attribute__((noinline)) static uint32_t stk_via(int k)
{
    uint32_t (*f)(void) = k == 1 ? stk_from_b : k == 2 ? stk_from_c : stk_from_a;
    stk_cut = k == 3 ? __builtin_frame_address(0) : NULL;
    uint32_t id = f();
    stk_sink++;
    return id;
}

/* The first pc of a `stack` line: its pcs' first string. */
static unsigned long long first_pc(const char *line)
{
    const char *p = strstr(line, "\"pcs\":[\"");
    ASSERT_NOT_NULL(p);
    return strtoull(p + strlen("\"pcs\":[\""), NULL, 16);
}

/* A chain seen again gets its id again and no second line, however the
 * chains sharing its first pc interleave; a chain that differs in any word
 * or in length gets its own. */
static void stack_memo(void)
{
    pthread_attr_t at;
    void *addr;
    size_t size;
    ASSERT_EQ(pthread_getattr_np(pthread_self(), &at), 0);
    ASSERT_EQ(pthread_attr_getstack(&at, &addr, &size), 0);
    pthread_attr_destroy(&at);
    stk_lo = addr;
    stk_hi = (const char *)addr + size;
    const char *path = rec_path("memo.jsonl");
    for (int run = 0; run < 2; run++) { /* a second recording numbers again from 1 */
        ASSERT_OK(tr_rec_start(path, "memo"));
        /* each in turn, then interleaved: ids 1 to 4 every time */
        static const int order[] = {0, 1, 2, 3, 1, 0, 3, 2, 0, 0, 1, 1, 2, 2, 3, 3, 0};
        const int len = (int)(sizeof order / sizeof order[0]);
        for (int i = 0; i < 100 * len; i++) {
            int k = order[i % len];
            ASSERT_EQ(stk_via(k), (uint32_t)k + 1);
        }
        ASSERT_OK(tr_rec_stop());
        rec_lines L = rec_read(path);
        const char *def[5] = {NULL};
        int n = 0;
        for (size_t i = 0; i < L.n; i++)
            if (rec_is(L.v[i], "stack")) {
                n++;
                long long id = rec_int(L.v[i], "stack", -1);
                ASSERT(id >= 1 && id <= 4);
                ASSERT_NULL(def[id]);
                def[id] = L.v[i];
            }
        ASSERT_EQ(n, 4);
        for (int k = 2; k <= 4; k++) /* one site, so one memo entry */
            ASSERT_EQ(first_pc(def[1]), first_pc(def[k]));
        /* the cut chain: a's first three pcs and no more */
        const char *pa = strstr(def[1], "\"pcs\":["), *pd = strstr(def[4], "\"pcs\":[");
        int npcs = 0;
        for (const char *q = pd; (q = strstr(q, "\"0x")) != NULL; q++)
            npcs++;
        ASSERT_EQ(npcs, 3);
        ASSERT_EQ(strncmp(pa, pd, (size_t)(strchr(pd, ']') - pd)), 0);
        ASSERT(pa[strchr(pd, ']') - pd] == ','); /* a goes on */
        rec_free(&L);
    }
    rec_cleanup();
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"golden", golden}, {"golden_v1", golden_v1}, {"escape", escape}, {"order", order}, {"lossless", lossless},
        {"work", work},     {"api", api},       {"clock_settle", clock_settle},
        {"clock_short", clock_short},           {"numbers", numbers},
        {"reserve", reserve},
        {"t_digits", t_digits},
        {"own_fds", own_fds}, {"line_memo", line_memo},
        {"io_begin_time", io_begin_time}, {"stack_memo", stack_memo},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
