/* tests/read/test_causes.c: the analysis facts and causes of tr_read on
 * traces written here line by line: who ran meanwhile, connections paired
 * across the process, the blame walk to its sink, mutex contention, and a
 * 100 000-task herd (parked, then released at once) whose stall count is
 * exact — the case that was quadratic (no timing is asserted). */
#include "test.h"

#include <stdarg.h>

#include "coscope/trace.h"
#include "gen.h"

/* A growing text buffer of trace lines. */
typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void put(text *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *b, const char *fmt, ...)
{
    va_list ap;
    if (!b->p) {
        b->cap = 1 << 16;
        b->p = malloc(b->cap);
        ASSERT_NOT_NULL(b->p);
    }
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        ASSERT(n >= 0);
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap *= 2;
        b->p = realloc(b->p, b->cap);
        ASSERT_NOT_NULL(b->p);
    }
}

static tr_trace *load(text *b)
{
    tr_trace *tr = NULL;
    int rc = tr_load_mem("trace.jsonl", b->p, b->len, NULL, &tr);
    if (rc != 0)
        fprintf(stderr, "%s\n", tr_last_error());
    ASSERT_OK(rc);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    return tr;
}

#define HEADER "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"t\",\"pid\":1,\"clock\":\"monotonic\",\"unix_ns\":0}\n"

/* A task `name` spawned by the loop at t and ready at once. */
static void spawn_ready(text *b, long long t, int task, const char *name)
{
    put(b, "{\"t\":%lld,\"ev\":\"spawn\",\"task\":%d,\"parent\":0,\"name\":\"%s\"}\n", t, task, name);
    put(b, "{\"t\":%lld,\"ev\":\"ready\",\"task\":%d,\"by\":0,\"why\":\"spawn\"}\n", t, task);
}

static void test_herd_100k(void)
{
    enum { N = 100000 };
    text b = {0};
    FILE *f = open_memstream(&b.p, &b.len);
    ASSERT_NOT_NULL(f);
    ASSERT_OK(gen_herd(f, N));
    ASSERT_OK(fclose(f));
    tr_trace *tr = load(&b);
    ASSERT_EQ(tr_ntasks(tr), N + 1);
    ASSERT_OK(tr_analyze(tr, NULL));
    /* task i waits from R + i to B + 2000 (i - 1): a stall past 20 ms */
    size_t want = 0;
    int64_t bstart = GEN_HERD_R + N + 1000;
    for (int64_t i = 1; i <= N; i++)
        want += bstart + 2000 * (i - 1) - (GEN_HERD_R + i) > 20000000;
    ASSERT_EQ(want, 90045); /* i > 9955: 100000 - 9955, checked by hand */
    ASSERT_EQ(tr_nstalls(tr), want);
    /* every one is a latency stall, woken by the releaser, each described
     * with who ran meanwhile (the call that was O(tasks) per stall) */
    char buf[512];
    size_t under = 0;
    for (size_t i = 0; i < tr_nstalls(tr); i++) {
        const tr_stall *s = &tr_stalls(tr)[i];
        ASSERT_EQ(s->kind, TR_STALL_LATENCY);
        tr_stall_describe(tr, s, buf, sizeof buf);
        if (strncmp(buf, "woken by releaser (100001) on chan; ran meanwhile: ", 51) != 0)
            TEST__FAIL("stall %zu: %s", i, buf);
        under += s->cause >= 0;
    }
    ASSERT_EQ(under, want);
    /* the loop was saturated by the herd: one cause, first */
    ASSERT_CMP(tr_ncauses(tr), >=, 1);
    ASSERT_EQ(tr_causes(tr)[0].kind, TR_CAUSE_SATURATION);
    tr_free(tr);
}

/* Who ran meanwhile: the tasks of the longest slices, each with its whole
 * run time in the interval, longest first. */
static void test_ran_meanwhile(void)
{
    text b = {0};
    put(&b, HEADER);
    /* a: runs [10,20) and [40,45); b: [20,40); c: [45,46); d ready [0,50) */
    put(&b, "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"a\"}\n");
    put(&b, "{\"t\":0,\"ev\":\"spawn\",\"task\":2,\"parent\":0,\"name\":\"b\"}\n");
    put(&b, "{\"t\":0,\"ev\":\"spawn\",\"task\":3,\"parent\":0,\"name\":\"c\"}\n");
    put(&b, "{\"t\":0,\"ev\":\"spawn\",\"task\":4,\"parent\":0,\"name\":\"d\"}\n");
    put(&b, "{\"t\":0,\"ev\":\"ready\",\"task\":4,\"by\":0,\"why\":\"spawn\"}\n");
    put(&b, "{\"t\":1,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"spawn\"}\n");
    put(&b, "{\"t\":1,\"ev\":\"ready\",\"task\":2,\"by\":0,\"why\":\"spawn\"}\n");
    put(&b, "{\"t\":1,\"ev\":\"ready\",\"task\":3,\"by\":0,\"why\":\"spawn\"}\n");
    put(&b, "{\"t\":10,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":20,\"ev\":\"yield\",\"task\":1,\"why\":\"yield\"}\n");
    put(&b, "{\"t\":20,\"ev\":\"ready\",\"task\":1,\"by\":1,\"why\":\"yield\"}\n");
    put(&b, "{\"t\":20,\"ev\":\"run\",\"task\":2}\n");
    put(&b, "{\"t\":40,\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":40,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":45,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":45,\"ev\":\"run\",\"task\":3}\n");
    put(&b, "{\"t\":46,\"ev\":\"exit\",\"task\":3,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":50,\"ev\":\"run\",\"task\":4}\n");
    put(&b, "{\"t\":51,\"ev\":\"exit\",\"task\":4,\"status\":\"ok\"}\n");
    tr_trace *tr = load(&b);
    tr_ran r[4];
    ASSERT_EQ(tr_ran_meanwhile(tr, 0, 50, 0, r, 4), 0); /* before tr_analyze */
    tr_analysis_opts o = {5, 5, 5};
    ASSERT_OK(tr_analyze(tr, &o));
    ASSERT_EQ(tr_ran_meanwhile(tr, 0, 50, 4, r, 4), 3);
    ASSERT(r[0].task == 2 && r[0].ns == 20);
    ASSERT(r[1].task == 1 && r[1].ns == 15);
    ASSERT(r[2].task == 3 && r[2].ns == 1);
    /* clipped to the interval, self left out, max respected */
    ASSERT_EQ(tr_ran_meanwhile(tr, 15, 42, 2, r, 4), 1);
    ASSERT(r[0].task == 1 && r[0].ns == 7);
    ASSERT_EQ(tr_ran_meanwhile(tr, 0, 50, 4, r, 1), 1);
    ASSERT_EQ(r[0].task, 2);
    /* d's latency stall says so, and b's slice is its cause */
    const tr_stall *s = NULL;
    for (size_t i = 0; i < tr_nstalls(tr); i++)
        if (tr_stalls(tr)[i].task == 4 && tr_stalls(tr)[i].kind == TR_STALL_LATENCY)
            s = &tr_stalls(tr)[i];
    ASSERT_NOT_NULL(s);
    char buf[256];
    ASSERT_STR_EQ(tr_stall_describe(tr, s, buf, sizeof buf),
                  "woken by loop on spawn; ran meanwhile: b (2) 20 ns, a (1) 15 ns, c (3) 1 ns");
    ASSERT(s->cause >= 0);
    const tr_cause *c = &tr_causes(tr)[s->cause];
    ASSERT_EQ(c->kind, TR_CAUSE_RUN);
    ASSERT_EQ(c->task, 2);
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf),
                  "b (2) ran 20 ns on the loop without yielding");
    tr_free(tr);
}

/* A read on one end of a loopback connection is woken by the write on the
 * other: the walk crosses it to the writer, who slept. */
static void test_conn_pair(void)
{
    text b = {0};
    put(&b, HEADER);
    put(&b, "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"client\"}\n");
    put(&b, "{\"t\":0,\"ev\":\"spawn\",\"task\":2,\"parent\":0,\"name\":\"server\"}\n");
    put(&b, "{\"t\":0,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"spawn\"}\n");
    put(&b, "{\"t\":0,\"ev\":\"ready\",\"task\":2,\"by\":0,\"why\":\"spawn\"}\n");
    put(&b, "{\"t\":1,\"ev\":\"run\",\"task\":2}\n");
    put(&b, "{\"t\":2,\"ev\":\"conn\",\"task\":2,\"fd\":8,\"local\":\"127.0.0.1:80\",\"peer\":\"127.0.0.1:5000\"}\n");
    put(&b, "{\"t\":3,\"ev\":\"yield\",\"task\":2,\"why\":\"sleep\",\"ms\":100,\"at\":\"s.c:5\"}\n");
    put(&b, "{\"t\":4,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":5,\"ev\":\"conn\",\"task\":1,\"fd\":7,\"local\":\"127.0.0.1:5000\",\"peer\":\"127.0.0.1:80\"}\n");
    put(&b, "{\"t\":6,\"ev\":\"io_begin\",\"task\":1,\"op\":\"read\",\"fd\":7}\n");
    put(&b, "{\"t\":6,\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"read\",\"fd\":7,\"at\":\"c.c:9\"}\n");
    put(&b, "{\"t\":100000003,\"ev\":\"ready\",\"task\":2,\"by\":0,\"why\":\"timer\"}\n");
    put(&b, "{\"t\":100000004,\"ev\":\"run\",\"task\":2}\n");
    put(&b, "{\"t\":100000005,\"ev\":\"io\",\"task\":2,\"op\":\"write\",\"fd\":8,\"bytes\":3,\"res\":3}\n");
    put(&b, "{\"t\":100000006,\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":100000007,\"ev\":\"io_end\",\"task\":1,\"op\":\"read\",\"res\":3}\n");
    put(&b, "{\"t\":100000007,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"io\"}\n");
    put(&b, "{\"t\":100000008,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":100000009,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n");
    text keep = b;
    keep.p = malloc(b.cap);
    ASSERT_NOT_NULL(keep.p);
    memcpy(keep.p, b.p, b.len);
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 1); /* the client's read */
    const tr_stall *s = &tr_stalls(tr)[0];
    ASSERT_EQ(s->task, 1);
    ASSERT_EQ(s->cause, 0);
    const tr_cause *c = &tr_causes(tr)[0];
    ASSERT_EQ(c->kind, TR_CAUSE_SLEEP);
    ASSERT_EQ(c->task, 2);
    ASSERT_EQ(c->nlinks, 2);
    char buf[512];
    ASSERT_STR_EQ(tr_chain_describe(tr, tr_cause_links(tr) + c->link0, c->nlinks, buf, sizeof buf),
                  "client (1) io read fd 7 <- server (2) sleep");
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf), "server (2) slept 100 ms at s.c:5");
    tr_link chain[8];
    int sink = -1;
    ASSERT_EQ(tr_blame(tr, s->span, chain, 8, &sink), 2);
    ASSERT_EQ(sink, TR_CAUSE_SLEEP);
    ASSERT_EQ(chain[1].task, 2);
    tr_free(tr);

    /* without the server's conn line the read is outside I/O */
    char *cut = strstr(keep.p, "{\"t\":2,\"ev\":\"conn\"");
    ASSERT_NOT_NULL(cut);
    char *eol = strchr(cut, '\n') + 1;
    memmove(cut, eol, keep.len - (size_t)(eol - keep.p));
    keep.len -= (size_t)(eol - cut);
    tr = load(&keep);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_causes(tr)[0].kind, TR_CAUSE_IO);
    ASSERT_EQ(tr_causes(tr)[0].task, 1);
    ASSERT_STR_EQ(tr_cause_describe(tr, &tr_causes(tr)[0], buf, sizeof buf),
                  "client (1) waited 100 ms on io read fd 7 (outside the process) at c.c:9");
    tr_free(tr);
}

/* Three tasks take a mutex in turn; the holder sleeps while holding it.
 * No single wait crosses 20 ms but the contention cause does, naming the
 * mutex, the holders and what they did while holding. */
static void test_contention(void)
{
    text b = {0};
    put(&b, HEADER);
    put(&b, "{\"t\":0,\"ev\":\"obj\",\"obj\":1,\"kind\":\"mutex\",\"name\":\"cookies\"}\n");
    for (int i = 1; i <= 3; i++) {
        put(&b, "{\"t\":0,\"ev\":\"spawn\",\"task\":%d,\"parent\":0,\"name\":\"w%d\"}\n", i, i);
        put(&b, "{\"t\":0,\"ev\":\"ready\",\"task\":%d,\"by\":0,\"why\":\"spawn\"}\n", i);
    }
    /* w1 takes it at 1 and sleeps 15 ms; w2, w3 wait; hand-offs in order */
    long long t = 1;
    put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":1}\n", t);
    put(&b, "{\"t\":%lld,\"ev\":\"acquire\",\"task\":1,\"obj\":1}\n", t);
    put(&b, "{\"t\":%lld,\"ev\":\"yield\",\"task\":1,\"why\":\"sleep\",\"ms\":15,\"at\":\"w.c:3\"}\n", t + 1);
    put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":2}\n", t + 2);
    put(&b, "{\"t\":%lld,\"ev\":\"yield\",\"task\":2,\"why\":\"lock\",\"obj\":1,\"at\":\"w.c:2\"}\n", t + 3);
    put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":3}\n", t + 4);
    put(&b, "{\"t\":%lld,\"ev\":\"yield\",\"task\":3,\"why\":\"lock\",\"obj\":1,\"at\":\"w.c:2\"}\n", t + 5);
    t = 15000001;
    for (int h = 1; h <= 3; h++, t += 15000000) {
        put(&b, "{\"t\":%lld,\"ev\":\"ready\",\"task\":%d,\"by\":0,\"why\":\"timer\"}\n", t, h);
        put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":%d}\n", t + 1, h);
        put(&b, "{\"t\":%lld,\"ev\":\"release\",\"task\":%d,\"obj\":1}\n", t + 2, h);
        if (h < 3) {
            put(&b, "{\"t\":%lld,\"ev\":\"acquire\",\"task\":%d,\"obj\":1}\n", t + 2, h + 1);
            put(&b, "{\"t\":%lld,\"ev\":\"ready\",\"task\":%d,\"by\":%d,\"why\":\"lock\"}\n", t + 2, h + 1, h);
        }
        put(&b, "{\"t\":%lld,\"ev\":\"exit\",\"task\":%d,\"status\":\"ok\"}\n", t + 3, h);
        if (h < 3) {
            put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":%d}\n", t + 4, h + 1);
            put(&b, "{\"t\":%lld,\"ev\":\"yield\",\"task\":%d,\"why\":\"sleep\",\"ms\":15,\"at\":\"w.c:3\"}\n",
                t + 5, h + 1);
        }
    }
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 1); /* w3 waited ~30 ms: one stall, under it */
    ASSERT_EQ(tr_stalls(tr)[0].task, 3);
    ASSERT_EQ(tr_stalls(tr)[0].cause, 0);
    const tr_cause *c = &tr_causes(tr)[0];
    ASSERT_EQ(c->kind, TR_CAUSE_CONTENTION);
    ASSERT_EQ(c->obj, 1);
    ASSERT_EQ(c->count, 2);
    ASSERT_EQ(c->nvictims, 2);
    ASSERT_EQ(c->nholders, 3);
    ASSERT_EQ(c->held_why, TR_WAIT_SLEEP);
    char buf[512];
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf),
                  "lock cookies (obj 1) contended: 2 waits, 45.0 ms in all, longest 30.0 ms; held by "
                  "3 tasks, longest by w1 (1); held across sleep at w.c:3 (45.0 ms)");
    tr_free(tr);
}

/* Three jobs for a pool of one thread: the second and third queue behind
 * the first; their waits are stalls under the pool's cause. */
static void test_pool(void)
{
    text b = {0};
    put(&b, HEADER);
    for (int i = 1; i <= 3; i++) {
        put(&b, "{\"t\":0,\"ev\":\"spawn\",\"task\":%d,\"parent\":0,\"name\":\"job%d\"}\n", i, i);
        put(&b, "{\"t\":0,\"ev\":\"ready\",\"task\":%d,\"by\":0,\"why\":\"spawn\"}\n", i);
    }
    for (int i = 1; i <= 3; i++) {
        put(&b, "{\"t\":%d,\"ev\":\"run\",\"task\":%d}\n", 2 * i, i);
        put(&b, "{\"t\":%d,\"ev\":\"yield\",\"task\":%d,\"why\":\"work\",\"at\":\"p.c:%d\"}\n",
            2 * i + 1, i, 9);
    }
    long long t = 7; /* job1's work starts when job3 has queued: job1 waited none */
    for (int i = 1; i <= 3; i++, t += 30000000) {
        put(&b, "{\"t\":%lld,\"ev\":\"work_begin\",\"task\":%d,\"thread\":1,\"name\":\"fib\"}\n", t, i);
        put(&b, "{\"t\":%lld,\"ev\":\"work_end\",\"task\":%d,\"thread\":1,\"name\":\"fib\"}\n",
            t + 30000000, i);
        put(&b, "{\"t\":%lld,\"ev\":\"ready\",\"task\":%d,\"by\":0,\"why\":\"work\"}\n", t + 30000000, i);
        put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":%d}\n", t + 30000001, i);
        put(&b, "{\"t\":%lld,\"ev\":\"exit\",\"task\":%d,\"status\":\"ok\"}\n", t + 30000002, i);
    }
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 3); /* the three work waits */
    ASSERT_EQ(tr_ncauses(tr), 1);
    const tr_cause *c = &tr_causes(tr)[0];
    ASSERT_EQ(c->kind, TR_CAUSE_POOL);
    ASSERT_EQ(c->count, 3);       /* jobs that queued: job1 for 4 ns */
    ASSERT_EQ(c->nstalls, 3);
    ASSERT_EQ(c->blamed, (7 - 3) + (30000007 - 5) + (60000007 - 7)); /* work start - yield */
    char buf[512];
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf),
                  "thread pool saturated: 3 jobs queued 90.0 ms in all (p50 30.0 ms, max 60.0 ms); "
                  "busiest job1 (1) running fib");
    tr_free(tr);
}

/* Task 1, `name`, waits n times on the channel "jobs" (obj 1) for `why`
 * (chan_send or chan_recv) at `at`, each wait `ns` long; analysed. */
static tr_trace *chan_waits(const char *name, const char *why, const char *at, int n, long long ns)
{
    text b = {0};
    put(&b, HEADER);
    put(&b, "{\"t\":0,\"ev\":\"obj\",\"obj\":1,\"kind\":\"chan\",\"cap\":1,\"name\":\"jobs\"}\n");
    spawn_ready(&b, 0, 1, name);
    long long t = 1;
    for (int i = 0; i < n; i++, t += ns + 2) {
        put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":1}\n", t);
        put(&b, "{\"t\":%lld,\"ev\":\"yield\",\"task\":1,\"why\":\"%s\",\"obj\":1,\"at\":\"%s\"}\n",
            t + 1, why, at);
        put(&b, "{\"t\":%lld,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"chan\"}\n", t + ns + 1);
    }
    put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":1}\n", t);
    put(&b, "{\"t\":%lld,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n", t + 1);
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    return tr;
}

/* A sender that finds its channel full, again and again for a short while:
 * no stall, one backlog cause. */
static void test_backlog(void)
{
    tr_trace *tr = chan_waits("tx", "chan_send", "tx.c:4", 6, 5000000);
    ASSERT_EQ(tr_nstalls(tr), 0);
    ASSERT_EQ(tr_ncauses(tr), 1);
    const tr_cause *c = &tr_causes(tr)[0];
    ASSERT_EQ(c->kind, TR_CAUSE_BACKLOG);
    ASSERT_EQ(c->count, 6);
    ASSERT_EQ(c->blamed, 30000000);
    char buf[512];
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf),
                  "chan_send jobs (obj 1): senders (channel full) waited 6 times, 30.0 ms in all, "
                  "longest 5.00 ms at tx.c:4");
    /* above its total, the aggregate is gone */
    tr_analysis_opts o = {40000000, 40000000, 40000000};
    ASSERT_OK(tr_analyze(tr, &o));
    ASSERT_EQ(tr_ncauses(tr), 0);
    tr_free(tr);
}

/* A bad trace's run slices overlap (a runs from 50 ms to the end at
 * t ~ INT64_MAX, b runs inside it): ends are not sorted by start, and the
 * saturation scan once stepped 100 ms at a time to the end (fuzz_read
 * timed out; `stalls` ran for hours). The busy union makes it O(slices):
 * one saturated period from 100 ms, whatever the end (no timing asserted:
 * the hang was 9e10 steps, this finishes or the ctest timeout fails it). */
static void test_saturation_stride(void)
{
    text b = {0};
    put(&b, HEADER);
    spawn_ready(&b, 0, 1, "a");
    spawn_ready(&b, 0, 2, "b");
    put(&b, "{\"t\":50000000,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":60000000,\"ev\":\"run\",\"task\":2}\n");
    put(&b, "{\"t\":61000000,\"ev\":\"yield\",\"task\":2,\"why\":\"sleep\",\"ms\":1}\n");
    put(&b, "{\"t\":150000000,\"ev\":\"spawn\",\"task\":3,\"parent\":1,\"name\":\"c\"}\n");
    put(&b, "{\"t\":150000000,\"ev\":\"ready\",\"task\":3,\"by\":1,\"why\":\"spawn\"}\n");
    put(&b, "{\"t\":9223372036854775000,\"ev\":\"mark\",\"task\":1,\"msg\":\"x\"}\n");
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 5);
    ASSERT_EQ(tr_ncauses(tr), 3);
    const tr_cause *c = &tr_causes(tr)[0];
    ASSERT_EQ(c->kind, TR_CAUSE_SATURATION);
    ASSERT_EQ(c->t, 100000000);
    ASSERT_EQ(c->dur, 9223372036700000000);
    ASSERT_EQ(c->nvictims, 2); /* b's ready time is before it: a's run cause */
    ASSERT_EQ(c->nstalls, 2);
    /* b's 60 ms latency is blamed on a's slice for the 10 ms it overlaps */
    ASSERT_EQ(tr_causes(tr)[1].kind, TR_CAUSE_WAIT);
    ASSERT_EQ(tr_causes(tr)[2].kind, TR_CAUSE_RUN);
    ASSERT_EQ(tr_causes(tr)[2].task, 1);
    ASSERT_EQ(tr_causes(tr)[2].blamed, 10000000);
    tr_free(tr);
}

/* A period that opens inside one long slice (a runs 50 ms - 1 s, so the
 * windows from 100 ms are busy) is named after that slice: its run time
 * is counted clipped to the period (it once said "0 slices, most by loop"). */
static void test_saturation_inside_slice(void)
{
    text b = {0};
    put(&b, HEADER);
    spawn_ready(&b, 0, 1, "a");
    put(&b, "{\"t\":50000000,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":150000000,\"ev\":\"spawn\",\"task\":3,\"parent\":1,\"name\":\"c\"}\n");
    put(&b, "{\"t\":150000000,\"ev\":\"ready\",\"task\":3,\"by\":1,\"why\":\"spawn\"}\n");
    put(&b, "{\"t\":1000000000,\"ev\":\"yield\",\"task\":1,\"why\":\"sleep\",\"ms\":1,\"at\":\"a.c:7\"}\n");
    put(&b, "{\"t\":1000000000,\"ev\":\"run\",\"task\":3}\n");
    put(&b, "{\"t\":1000000001,\"ev\":\"exit\",\"task\":3,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":1001000000,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"timer\"}\n");
    put(&b, "{\"t\":1001000000,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":1001000001,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":1001000002,\"ev\":\"end\",\"events\":12,\"dropped\":0}\n");
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 3);
    const tr_cause *c = &tr_causes(tr)[0];
    ASSERT_EQ(c->kind, TR_CAUSE_SATURATION);
    ASSERT_EQ(c->t, 100000000);
    ASSERT_EQ(c->dur, 900000000);
    ASSERT_EQ(c->blamed, 850000000);
    char buf[512];
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf),
                  "loop 100% busy for 900 ms: 1 slice (p50 950 ms, p99 950 ms, max 950 ms), most by "
                  "a (1) ending at a.c:7");
    tr_free(tr);
}

/* One slice of a, 60 ms of wall time while b was ready, ending with the
 * figures `figs`; returns the analysed trace. */
static tr_trace *one_slice(const char *figs)
{
    text b = {0};
    put(&b, HEADER);
    spawn_ready(&b, 0, 1, "a");
    spawn_ready(&b, 0, 2, "b");
    put(&b, "{\"t\":1,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":60000001,\"ev\":\"yield\",\"task\":1,\"why\":\"sleep\",\"ms\":1,\"at\":\"a.c:5\"%s}\n",
        figs);
    put(&b, "{\"t\":60000001,\"ev\":\"run\",\"task\":2}\n");
    put(&b, "{\"t\":60000002,\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":61000001,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"timer\"}\n");
    put(&b, "{\"t\":61000002,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":61000003,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":61000004,\"ev\":\"end\",\"events\":12,\"dropped\":0}\n");
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    return tr;
}

/* b's 60 ms wait behind a's slice, and what the slice is: the OS's when
 * it was mostly in the run queue or the process was stopped (an `os`
 * cause, no blocked stall), the task's when it was on a CPU or asleep in
 * a call (a `run` cause and a blocked stall); half and half is the task's. */
static void test_os_runq(void)
{
    char buf[512];
    static const struct {
        const char *figs;
        int kind, os_held;
        size_t nstalls;
        const char *what;
    } cases[] = {
        {",\"cpu\":1000000,\"runq\":59000000", TR_CAUSE_OS, 1, 1,
         "a (1) was held off the CPU by the OS for 59.0 ms of a 60.0 ms slice at a.c:5 (on a CPU "
         "1.00 ms of 60.0 ms, preempted 59.0 ms)"},
        {",\"cpu\":1000000,\"stops\":1", TR_CAUSE_OS, 1, 1,
         "a (1) was held off the CPU by the OS for 59.0 ms of a 60.0 ms slice at a.c:5 (on a CPU "
         "1.00 ms of 60.0 ms, the process stopped meanwhile)"},
        {",\"cpu\":30000000,\"runq\":30000000", TR_CAUSE_RUN, 0, 2,
         "a (1) ran 60.0 ms on the loop without yielding at a.c:5 (on a CPU 30.0 ms of 60.0 ms, "
         "preempted 30.0 ms)"},
        {",\"cpu\":1000000", TR_CAUSE_RUN, 0, 2, /* asleep in a call: it held the loop */
         "a (1) ran 60.0 ms on the loop without yielding at a.c:5 (on a CPU 1.00 ms of 60.0 ms)"},
        {"", TR_CAUSE_RUN, 0, 2, "a (1) ran 60.0 ms on the loop without yielding at a.c:5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_trace *tr = one_slice(cases[i].figs);
        size_t slice = tr_task_by_id(tr, 1)->span0 + 1; /* ready, then running */
        ASSERT_EQ(tr_spans(tr)[slice].state, TR_ST_RUNNING);
        ASSERT_EQ(tr_span_os_held(tr, slice), cases[i].os_held);
        ASSERT_EQ(tr_span_os_held(tr, slice - 1), 0); /* not a run slice */
        ASSERT_EQ(tr_nstalls(tr), cases[i].nstalls);
        ASSERT_EQ(tr_ncauses(tr), 1);
        const tr_cause *c = &tr_causes(tr)[0];
        ASSERT_EQ(c->kind, cases[i].kind);
        ASSERT_EQ(c->task, 1);
        ASSERT_EQ(c->nvictims, 1);
        ASSERT_EQ(tr_cause_victims(tr)[c->victim0], 2);
        /* b's wait inside the slice (its latency is 1 ns longer) */
        ASSERT_EQ(c->blamed, 60000000);
        ASSERT_EQ(c->measured, cases[i].figs[0] != '\0');
        ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf), cases[i].what);
        int sink = -1;
        tr_link chain[4];
        const tr_stall *s = &tr_stalls(tr)[0]; /* b's latency, first by t */
        ASSERT_EQ(s->task, 2);
        ASSERT_EQ(tr_blame(tr, s->span, chain, 4, &sink), 2);
        ASSERT_EQ(sink, cases[i].kind);
        ASSERT_STR_EQ(tr_cause_kind_name(sink), cases[i].kind == TR_CAUSE_OS ? "os" : "run");
        tr_free(tr);
    }
}

/* A loop saturated by a's 30 ms slices (each on a CPU 20 ms, preempted
 * 10 ms: the task's, not the OS's) says how much of its busy time was on
 * a CPU, summed over its slices. */
static void test_saturation_oncpu(void)
{
    text b = {0};
    put(&b, HEADER);
    spawn_ready(&b, 0, 1, "a");
    spawn_ready(&b, 0, 2, "b");
    long long t = 0;
    for (int i = 0; i < 10; i++, t += 30000000) {
        put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":1}\n", t);
        put(&b, "{\"t\":%lld,\"ev\":\"yield\",\"task\":1,\"why\":\"yield\",\"at\":\"a.c:5\","
                "\"cpu\":20000000,\"runq\":10000000}\n", t + 30000000);
        put(&b, "{\"t\":%lld,\"ev\":\"ready\",\"task\":1,\"by\":1,\"why\":\"yield\"}\n", t + 30000000);
    }
    put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":2}\n", t);
    put(&b, "{\"t\":%lld,\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"}\n", t + 1);
    put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":1}\n", t + 1);
    put(&b, "{\"t\":%lld,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n", t + 2);
    put(&b, "{\"t\":%lld,\"ev\":\"end\",\"events\":37,\"dropped\":0}\n", t + 3);
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 1); /* b's 300 ms latency; no slice blocked 20 ms */
    ASSERT_EQ(tr_stalls(tr)[0].kind, TR_STALL_LATENCY);
    ASSERT_EQ(tr_stalls(tr)[0].cause, 0);
    const tr_cause *c = &tr_causes(tr)[0];
    ASSERT_EQ(c->kind, TR_CAUSE_SATURATION);
    ASSERT_EQ(c->t, 0);
    ASSERT_EQ(c->dur, 300000000);
    ASSERT_EQ(c->measured, 1);
    ASSERT_EQ(c->cpu, 200000000);
    ASSERT_EQ(c->runq, 100000000);
    char buf[512];
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf),
                  "loop 100% busy for 300 ms: 10 slices (p50 30.0 ms, p99 30.0 ms, max 30.0 ms), most "
                  "by a (1) ending at a.c:5 (on a CPU 200 ms of 300 ms, preempted 100 ms)");
    tr_free(tr);
}

/* A receiver that finds its channel empty, again and again, each wait
 * below the threshold: no stall, one starvation cause. */
static void test_starvation(void)
{
    tr_trace *tr = chan_waits("rx", "chan_recv", "rx.c:8", 5, 7000000);
    ASSERT_EQ(tr_nstalls(tr), 0);
    ASSERT_EQ(tr_ncauses(tr), 1);
    const tr_cause *c = &tr_causes(tr)[0];
    ASSERT_EQ(c->kind, TR_CAUSE_STARVATION);
    ASSERT_EQ(c->obj, 1);
    ASSERT_EQ(c->count, 5);
    ASSERT_EQ(c->blamed, 35000000);
    ASSERT_EQ(c->nvictims, 1);
    char buf[512];
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf),
                  "chan_recv jobs (obj 1): receivers (nothing to receive) waited 5 times, 35.0 ms in "
                  "all, longest 7.00 ms at rx.c:8");
    ASSERT_STR_EQ(tr_cause_kind_name(c->kind), "starvation");
    tr_free(tr);
}

/* Each side of a channel the only party that could unblock the other: a
 * waits to receive on "up", which only b ever sent on, and b to receive on
 * "down", which only a sent on. A true cycle: DEADLOCK, and no cause (a
 * deadlock is not a cause). Both say the cycle from its lowest task. */
static void test_chan_cycle(void)
{
    text b = {0};
    put(&b, HEADER);
    put(&b, "{\"t\":0,\"ev\":\"obj\",\"obj\":1,\"kind\":\"chan\",\"cap\":0,\"name\":\"up\"}\n");
    put(&b, "{\"t\":0,\"ev\":\"obj\",\"obj\":2,\"kind\":\"chan\",\"cap\":0,\"name\":\"down\"}\n");
    spawn_ready(&b, 0, 1, "a");
    spawn_ready(&b, 0, 2, "b");
    /* a sends on down (b receives it), b sends on up (a receives it) */
    put(&b, "{\"t\":1,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":2,\"ev\":\"yield\",\"task\":1,\"why\":\"chan_send\",\"obj\":2,\"at\":\"a.c:3\"}\n");
    put(&b, "{\"t\":3,\"ev\":\"run\",\"task\":2}\n");
    put(&b, "{\"t\":4,\"ev\":\"ready\",\"task\":1,\"by\":2,\"why\":\"chan\"}\n");
    put(&b, "{\"t\":5,\"ev\":\"yield\",\"task\":2,\"why\":\"chan_send\",\"obj\":1,\"at\":\"b.c:3\"}\n");
    put(&b, "{\"t\":6,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":7,\"ev\":\"ready\",\"task\":2,\"by\":1,\"why\":\"chan\"}\n");
    put(&b, "{\"t\":8,\"ev\":\"yield\",\"task\":1,\"why\":\"chan_recv\",\"obj\":1,\"at\":\"a.c:4\"}\n");
    put(&b, "{\"t\":9,\"ev\":\"run\",\"task\":2}\n");
    put(&b, "{\"t\":10,\"ev\":\"yield\",\"task\":2,\"why\":\"chan_recv\",\"obj\":2,\"at\":\"b.c:4\"}\n");
    put(&b, "{\"t\":30000000,\"ev\":\"end\",\"events\":16,\"dropped\":0}\n");
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 2);
    char buf[512];
    for (size_t i = 0; i < 2; i++) {
        const tr_stall *s = &tr_stalls(tr)[i];
        ASSERT_EQ(s->kind, TR_STALL_STUCK);
        ASSERT_EQ(s->cause, -1);
        ASSERT_EQ(s->waits_on, s->task == 1 ? 2 : 1);
    }
    ASSERT_STR_EQ(tr_stall_describe(tr, &tr_stalls(tr)[0], buf, sizeof buf),
                  "chan_recv up (obj 1), waits on b (2); DEADLOCK: a (1) -> b (2) -> a (1)");
    ASSERT_STR_EQ(tr_stall_describe(tr, &tr_stalls(tr)[1], buf, sizeof buf),
                  "chan_recv down (obj 2), waits on a (1); DEADLOCK: a (1) -> b (2) -> a (1)");
    ASSERT_EQ(tr_ncauses(tr), 0);
    tr_free(tr);
}

/* A read on a loopback connection whose data came at once but whose wake
 * came 30 ms later, the loop busy with hog meanwhile: the wait is hog's
 * doing, not the writer's (who had just run). In a request/response
 * ping-pong the walk once bounced between the two ends back to the first
 * request. */
static void test_bounce(void)
{
    text b = {0};
    put(&b, HEADER);
    spawn_ready(&b, 0, 1, "client");
    spawn_ready(&b, 0, 2, "server");
    spawn_ready(&b, 0, 3, "hog");
    put(&b, "{\"t\":1,\"ev\":\"run\",\"task\":2}\n");
    put(&b, "{\"t\":2,\"ev\":\"conn\",\"task\":2,\"fd\":8,\"local\":\"127.0.0.1:80\",\"peer\":\"127.0.0.1:5000\"}\n");
    put(&b, "{\"t\":3,\"ev\":\"io_begin\",\"task\":2,\"op\":\"read\",\"fd\":8}\n");
    put(&b, "{\"t\":3,\"ev\":\"yield\",\"task\":2,\"why\":\"io\",\"op\":\"read\",\"fd\":8,\"at\":\"s.c:9\"}\n");
    put(&b, "{\"t\":4,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":4,\"ev\":\"conn\",\"task\":1,\"fd\":7,\"local\":\"127.0.0.1:5000\",\"peer\":\"127.0.0.1:80\"}\n");
    put(&b, "{\"t\":5,\"ev\":\"io\",\"task\":1,\"op\":\"write\",\"fd\":7,\"bytes\":3,\"res\":3}\n");
    put(&b, "{\"t\":6,\"ev\":\"io_begin\",\"task\":1,\"op\":\"read\",\"fd\":7}\n");
    put(&b, "{\"t\":6,\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"read\",\"fd\":7,\"at\":\"c.c:9\"}\n");
    put(&b, "{\"t\":6,\"ev\":\"run\",\"task\":3}\n");
    put(&b, "{\"t\":30000006,\"ev\":\"exit\",\"task\":3,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":30000007,\"ev\":\"io_end\",\"task\":2,\"op\":\"read\",\"res\":3}\n");
    put(&b, "{\"t\":30000007,\"ev\":\"ready\",\"task\":2,\"by\":0,\"why\":\"io\"}\n");
    put(&b, "{\"t\":30000008,\"ev\":\"run\",\"task\":2}\n");
    put(&b, "{\"t\":30000009,\"ev\":\"io\",\"task\":2,\"op\":\"write\",\"fd\":8,\"bytes\":3,\"res\":3}\n");
    put(&b, "{\"t\":30000010,\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":30000011,\"ev\":\"io_end\",\"task\":1,\"op\":\"read\",\"res\":3}\n");
    put(&b, "{\"t\":30000011,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"io\"}\n");
    put(&b, "{\"t\":30000012,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":30000013,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n");
    put(&b, "{\"t\":30000014,\"ev\":\"end\",\"events\":27,\"dropped\":0}\n");
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    const tr_stall *w = NULL;
    for (size_t i = 0; i < tr_nstalls(tr); i++)
        if (tr_stalls(tr)[i].task == 2 && tr_stalls(tr)[i].kind == TR_STALL_WAIT)
            w = &tr_stalls(tr)[i];
    ASSERT_NOT_NULL(w);
    tr_link chain[8];
    int sink = -1;
    ASSERT_EQ(tr_blame(tr, w->span, chain, 8, &sink), 2);
    ASSERT_EQ(sink, TR_CAUSE_RUN);
    ASSERT_EQ(chain[1].task, 3);
    char buf[512];
    ASSERT_STR_EQ(tr_chain_describe(tr, chain, 2, buf, sizeof buf),
                  "server (2) io read fd 8 <- hog (3) running");
    ASSERT(w->cause >= 0);
    const tr_cause *c = &tr_causes(tr)[w->cause];
    ASSERT_EQ(c->kind, TR_CAUSE_RUN);
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf),
                  "hog (3) ran 30.0 ms on the loop without yielding");
    /* the client's read: its data came at 30000009, the wake at once: the
     * server's doing, and behind the server's read, hog again */
    ASSERT_EQ(tr_nstalls(tr), 3); /* hog's slice, the two reads */
    tr_free(tr);
}

/* main joins h, which sleeps 10, 12 and 10 ms: the walk ends at h's
 * longest sleep, and main's 32 ms join is blamed on it only for the 12 ms
 * that sleep lasted (it once took all 32: more than the sink's own span). */
static void test_blame_capped(void)
{
    text b = {0};
    put(&b, HEADER);
    spawn_ready(&b, 0, 1, "main");
    put(&b, "{\"t\":1,\"ev\":\"run\",\"task\":1}\n");
    put(&b, "{\"t\":1,\"ev\":\"spawn\",\"task\":2,\"parent\":1,\"name\":\"h\"}\n");
    put(&b, "{\"t\":1,\"ev\":\"ready\",\"task\":2,\"by\":1,\"why\":\"spawn\"}\n");
    put(&b, "{\"t\":2,\"ev\":\"yield\",\"task\":1,\"why\":\"join\",\"obj\":2,\"at\":\"m.c:3\"}\n");
    put(&b, "{\"t\":2,\"ev\":\"run\",\"task\":2}\n");
    static const long long ms[] = {10, 12, 10};
    long long t = 3;
    for (int i = 0; i < 3; i++) {
        put(&b, "{\"t\":%lld,\"ev\":\"yield\",\"task\":2,\"why\":\"sleep\",\"ms\":%lld,\"at\":\"h.c:%d\"}\n",
            t, ms[i], 7 + i);
        t += ms[i] * 1000000;
        put(&b, "{\"t\":%lld,\"ev\":\"ready\",\"task\":2,\"by\":0,\"why\":\"timer\"}\n", t);
        put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":2}\n", t);
    }
    put(&b, "{\"t\":%lld,\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"}\n", t + 1);
    put(&b, "{\"t\":%lld,\"ev\":\"ready\",\"task\":1,\"by\":2,\"why\":\"join\"}\n", t + 1);
    put(&b, "{\"t\":%lld,\"ev\":\"run\",\"task\":1}\n", t + 2);
    put(&b, "{\"t\":%lld,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n", t + 3);
    tr_trace *tr = load(&b);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 1); /* main's join; no sleep is a stall */
    ASSERT_EQ(tr_stalls(tr)[0].dur, t + 1 - 2);
    ASSERT_EQ(tr_ncauses(tr), 1);
    const tr_cause *c = &tr_causes(tr)[0];
    ASSERT_EQ(c->kind, TR_CAUSE_SLEEP);
    ASSERT_EQ(c->dur, 12000000);
    ASSERT_EQ(c->blamed, 12000000);
    ASSERT_EQ(c->nstalls, 1);
    char buf[256];
    ASSERT_STR_EQ(tr_cause_describe(tr, c, buf, sizeof buf), "h (2) slept 12.0 ms at h.c:8");
    tr_free(tr);
}

static const test_case cases[] = {
    {"herd_100k", test_herd_100k},
    {"ran_meanwhile", test_ran_meanwhile},
    {"conn_pair", test_conn_pair},
    {"contention", test_contention},
    {"pool", test_pool},
    {"backlog", test_backlog},
    {"saturation_stride", test_saturation_stride},
    {"saturation_inside_slice", test_saturation_inside_slice},
    {"os_runq", test_os_runq},
    {"saturation_oncpu", test_saturation_oncpu},
    {"starvation", test_starvation},
    {"chan_cycle", test_chan_cycle},
    {"bounce", test_bounce},
    {"blame_capped", test_blame_capped},
    {NULL, NULL},
};

int main(int argc, char **argv) { return test_main(argc, argv, cases); }
