/* tests/read/test_read.c: the trace reader, model and analysis (tr_read).
 * Golden inputs are the hand-written traces in tests/read/data (DATA_DIR);
 * bad inputs are a table of strings with the exact message each must give.
 * Exact values throughout: spans, stalls, victims, cycles, percentiles. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coscope/trace.h"
#include "gen.h"
#include "spans.h" /* the span invariants: test_spans_check */
#include "test.h"
#include "tr_int.h"

#define MS 1000000LL
#define NONE UINT32_MAX

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ASSERT_NOT_NULL(buf);
    ASSERT_EQ(fread(buf, 1, (size_t)n, f), n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static const char *data(const char *file)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", DATA_DIR, file);
    return path;
}

/* Loads a data file from memory under the name "trace.jsonl" (so messages
 * do not depend on where the tree is), from an exact-size heap copy so that
 * ASan sees any read past the end. */
static tr_trace *load_data(const char *file)
{
    size_t n;
    char *buf = slurp(data(file), &n);
    tr_trace *tr = NULL;
    int rc = tr_load_mem("trace.jsonl", buf, n, NULL, &tr);
    if (rc != 0)
        fprintf(stderr, "%s\n", tr_last_error());
    ASSERT_OK(rc);
    free(buf);
    return tr;
}

static int load_text(const char *text, size_t n, tr_trace **out)
{
    char *buf = malloc(n ? n : 1);
    ASSERT_NOT_NULL(buf);
    memcpy(buf, text, n);
    int rc = tr_load_mem("trace.jsonl", buf, n, NULL, out);
    free(buf);
    return rc;
}


static void span_is(const tr_trace *tr, size_t i, int64_t t0, int64_t t1, int state,
                    uint32_t ev0, uint32_t ev1)
{
    const tr_span *s = &tr_spans(tr)[i];
    ASSERT_EQ(s->t0, t0);
    ASSERT_EQ(s->t1, t1);
    ASSERT_EQ(s->state, state);
    ASSERT_EQ(s->ev0, ev0);
    ASSERT_EQ(tr_span_end_ev(tr, i), ev1);
}

/* ---- cases ---- */

static void test_fmt_dur(void)
{
    static const struct {
        int64_t ns;
        const char *s;
    } cases[] = {
        {0, "0 ns"},
        {1, "1 ns"},
        {950, "950 ns"},
        {999, "999 ns"},
        {1000, "1.00 \xc2\xb5s"},
        {1234, "1.23 \xc2\xb5s"},
        {1235, "1.24 \xc2\xb5s"},
        {9995, "10.0 \xc2\xb5s"},
        {12345, "12.3 \xc2\xb5s"},
        {99950, "100 \xc2\xb5s"},
        {999499, "999 \xc2\xb5s"},
        {999500, "1.00 ms"},
        {4560000, "4.56 ms"},
        {20000000, "20.0 ms"},
        {1284000000, "1.28 s"},
        {1285000000, "1.29 s"},
        {59999999999LL, "60.0 s"},
        {3600000000000LL, "3600 s"},
        {-950, "-950 ns"},
        {-4560000, "-4.56 ms"},
        {INT64_MAX, "9223372037 s"},
        {INT64_MIN, "-9223372037 s"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ASSERT_STR_EQ(tr_fmt_dur(buf, sizeof buf, cases[i].ns), cases[i].s);
    char small[4];
    ASSERT_STR_EQ(tr_fmt_dur(small, sizeof small, 4560000), "4.5");
}

static void test_basic(void)
{
    tr_trace *tr = load_data("basic.jsonl");
    const tr_header *h = tr_head(tr);
    ASSERT_STR_EQ(h->program, "basic");
    ASSERT_EQ(h->pid, 42);
    ASSERT_EQ(h->unix_ns, 1763762400000000123LL);
    ASSERT_EQ(h->version, 1);
    ASSERT_EQ(h->truncated, 0);
    ASSERT_EQ(h->duration, 1600);
    ASSERT_EQ(h->end_events, 20);
    ASSERT_EQ(h->end_dropped, 0);
    ASSERT_EQ(h->unknown_events, 0);
    ASSERT_EQ(h->unknown_fields, 0);
    ASSERT_EQ(tr_nwarnings(tr), 0);
    ASSERT_EQ(tr_nevents(tr), 20);

    const tr_event *ev = tr_events(tr);
    ASSERT_EQ(ev[0].ev, TR_EV_SPAWN);
    ASSERT_EQ(tr_ev_line(tr, 0), 2);
    ASSERT_EQ(tr_ev_line(tr, 19), 21);
    ASSERT_EQ(tr_ev_line(tr, 20), 0);
    ASSERT_STR_EQ(tr_str(tr, tr_ev_str(&ev[0])), "main");
    ASSERT_STR_EQ(tr_str(tr, tr_ev_at(tr, &ev[0])), "main.c:10");
    ASSERT_EQ(ev[7].ev, TR_EV_IO_BEGIN);
    ASSERT_EQ(ev[7].flags, TR_F_FD | TR_F_BYTES);
    ASSERT_EQ(tr_ev_val(tr, &ev[7]), 5);
    ASSERT_EQ(tr_ev_val2(tr, &ev[7]), 4096);
    ASSERT_EQ(ev[7].op, TR_OP_READ);
    ASSERT_EQ(ev[11].ev, TR_EV_IO_END);
    ASSERT_EQ(tr_ev_val(tr, &ev[11]), 12);
    ASSERT_EQ(ev[14].ev, TR_EV_MARK);
    ASSERT_STR_EQ(tr_str(tr, tr_ev_str(&ev[14])), "got it");
    ASSERT_EQ(ev[18].flags, TR_F_CODE);
    ASSERT_EQ(tr_ev_val(tr, &ev[18]), -5);
    ASSERT_STR_EQ(tr_str(tr, 0), "");
    ASSERT_STR_EQ(tr_str(tr, 999), "");
    ASSERT_EQ(tr_event_at(tr, 0), 0);
    ASSERT_EQ(tr_event_at(tr, 1), 2);
    ASSERT_EQ(tr_event_at(tr, 1200), 15);
    ASSERT_EQ(tr_event_at(tr, 1601), 20);

    ASSERT_EQ(tr_ntasks(tr), 2);
    const tr_task *t1 = tr_task_by_id(tr, 1), *t2 = tr_task_by_id(tr, 2);
    ASSERT(t1 == &tr_tasks(tr)[0] && t2 == &tr_tasks(tr)[1]);
    ASSERT_NULL(tr_task_by_id(tr, 3));
    ASSERT_EQ(t1->depth, 0);
    ASSERT_EQ(t2->depth, 1);
    ASSERT_EQ(t2->parent, 1);
    ASSERT_STR_EQ(tr_str(tr, t2->name), "worker");
    ASSERT_STR_EQ(tr_str(tr, t2->at), "main.c:12");
    ASSERT_EQ(t1->exit_t, 1500);
    ASSERT_EQ(t1->status, TR_STATUS_ERROR);
    ASSERT_EQ(t1->has_code, 1);
    ASSERT_EQ(t1->code, -5);
    ASSERT_EQ(t2->status, TR_STATUS_OK);
    ASSERT_EQ(t2->has_code, 0);

    test_spans_check(tr);
    ASSERT_EQ(tr_nspans(tr), 12);
    const tr_span *s = tr_spans(tr);
    span_is(tr, 0, 0, 100, TR_ST_READY, 0, 2);
    span_is(tr, 1, 100, 300, TR_ST_RUNNING, 2, 5);
    span_is(tr, 2, 300, 1200, TR_ST_WAITING, 5, 16);
    ASSERT_EQ(s[2].why, TR_WAIT_JOIN);
    ASSERT_EQ(tr_span_obj(tr, &s[2]), 2);
    ASSERT_EQ(tr_span_fd(tr, &s[2]), -1);
    ASSERT_STR_EQ(tr_str(tr, tr_span_site(tr, &s[2])), "main.c:13");
    ASSERT_EQ(tr_span_task(tr, &s[2]), 1);
    span_is(tr, 3, 1200, 1300, TR_ST_READY, 16, 17);
    span_is(tr, 4, 1300, 1500, TR_ST_RUNNING, 17, 18);
    span_is(tr, 5, 1500, 1600, TR_ST_DONE, 18, NONE);
    span_is(tr, 6, 200, 350, TR_ST_READY, 3, 6);
    span_is(tr, 7, 350, 450, TR_ST_RUNNING, 6, 8);
    span_is(tr, 8, 450, 920, TR_ST_WAITING, 8, 12);
    ASSERT_EQ(s[8].why, TR_WAIT_IO);
    ASSERT_EQ(s[8].op, TR_OP_READ);
    ASSERT_EQ(tr_span_fd(tr, &s[8]), 5);
    ASSERT_STR_EQ(tr_str(tr, tr_span_site(tr, &s[8])), "w.c:7");
    ASSERT_EQ(tr_span_task(tr, &s[8]), 2);
    span_is(tr, 9, 920, 1000, TR_ST_READY, 12, 13);
    span_is(tr, 10, 1000, 1200, TR_ST_RUNNING, 13, 15);
    span_is(tr, 11, 1200, 1600, TR_ST_DONE, 15, NONE);

    ASSERT_EQ(tr_span_find(tr, 1, 0), 0);
    ASSERT_EQ(tr_span_find(tr, 1, 299), 1);
    ASSERT_EQ(tr_span_find(tr, 1, 300), 2);
    ASSERT_EQ(tr_span_find(tr, 1, 1600), 5);
    ASSERT_EQ(tr_span_find(tr, 1, 1601), SIZE_MAX);
    ASSERT_EQ(tr_span_find(tr, 2, 199), SIZE_MAX);
    ASSERT_EQ(tr_span_find(tr, 2, 200), 6);
    ASSERT_EQ(tr_span_find(tr, 9, 200), SIZE_MAX);

    ASSERT_EQ(tr_nwakeups(tr), 4);
    tr_wakeup w[4];
    for (size_t i = 0; i < 4; i++)
        w[i] = tr_wakeup_get(tr, i);
    ASSERT(w[0].t == 0 && w[0].from == 0 && w[0].to == 1 && w[0].why == TR_WAKE_SPAWN && w[0].ev == 1);
    ASSERT(w[1].t == 200 && w[1].from == 1 && w[1].to == 2 && w[1].ev == 4);
    ASSERT(w[2].t == 920 && w[2].from == 0 && w[2].to == 2 && w[2].why == TR_WAKE_IO);
    ASSERT(w[3].t == 1200 && w[3].from == 2 && w[3].to == 1 && w[3].why == TR_WAKE_JOIN && w[3].ev == 16);
    ASSERT_EQ(tr_nidles(tr), 1);
    ASSERT(tr_idles(tr)[0].t0 == 500 && tr_idles(tr)[0].t1 == 900);
    ASSERT_EQ(tr_nworks(tr), 0);

    /* stats */
    ASSERT_EQ(t1->polls, 2);
    ASSERT_EQ(t1->wakes, 2);
    ASSERT_EQ(t1->busy, 400);
    ASSERT_EQ(t1->ready, 200);
    ASSERT_EQ(t1->waiting, 900);
    ASSERT_EQ(t2->busy, 300);
    ASSERT_EQ(t2->ready, 230);
    ASSERT_EQ(t2->waiting, 470);
    ASSERT(t2->run_p50 == 100 && t2->run_p90 == 200 && t2->run_p99 == 200 && t2->run_max == 200);
    ASSERT(t2->lat_p50 == 80 && t2->lat_p90 == 150 && t2->lat_max == 150);
    const tr_summary *sum = tr_summarize(tr);
    ASSERT_EQ(sum->events, 20);
    ASSERT_EQ(sum->tasks, 2);
    ASSERT_EQ(sum->spawned, 2);
    ASSERT_EQ(sum->exited, 2);
    ASSERT_EQ(sum->errored, 1);
    ASSERT_EQ(sum->cancelled, 0);
    ASSERT_EQ(sum->duration, 1600);
    ASSERT_EQ(sum->loop_idle, 400);
    ASSERT_EQ(sum->loop_busy, 1200);
    ASSERT_EQ(sum->polls, 4);
    ASSERT_EQ(sum->wakes, 4);
    ASSERT(sum->run_p50 == 200 && sum->run_p90 == 200 && sum->run_max == 200);
    ASSERT(sum->lat_p50 == 100 && sum->lat_p90 == 150 && sum->lat_p99 == 150 && sum->lat_max == 150);

    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 0);
    ASSERT_EQ(tr_ncycles(tr), 0);
    tr_analysis_opts tight = {150, 90, 400};
    ASSERT_OK(tr_analyze(tr, &tight));
    /* runs > 150: 1@100 (200), 1@1300 (200), 2@1000 (200); ready > 90 not
     * idle: 1@0 (100), 2@200 (150), 1@1200 (100); waits > 400: 1 join
     * (900), 2 io (470) */
    ASSERT_EQ(tr_nstalls(tr), 8);
    const tr_stall *st = tr_stalls(tr);
    static const struct { int kind; uint32_t task; int64_t t, dur; } want[] = {
        {TR_STALL_LATENCY, 1, 0, 100},   {TR_STALL_BLOCKED, 1, 100, 200},
        {TR_STALL_LATENCY, 2, 200, 150}, {TR_STALL_WAIT, 1, 300, 900},
        {TR_STALL_WAIT, 2, 450, 470},    {TR_STALL_BLOCKED, 2, 1000, 200},
        {TR_STALL_LATENCY, 1, 1200, 100}, {TR_STALL_BLOCKED, 1, 1300, 200},
    };
    for (size_t i = 0; i < 8; i++) {
        ASSERT_EQ(st[i].kind, want[i].kind);
        ASSERT_EQ(st[i].task, want[i].task);
        ASSERT_EQ(st[i].t, want[i].t);
        ASSERT_EQ(st[i].dur, want[i].dur);
    }
    /* the slice 100..300 kept task 2 ready from 200 */
    ASSERT_EQ(st[1].nvictims, 1);
    ASSERT_EQ(tr_victims(tr)[st[1].victim0].task, 2);
    ASSERT_EQ(tr_victims(tr)[st[1].victim0].waited, 100);
    ASSERT_STR_EQ(tr_str(tr, st[1].at), "main.c:13");
    ASSERT_EQ(st[7].at, 0); /* ended by exit: no at */
    ASSERT_OK(tr_analyze(tr, NULL)); /* idempotent: replaces */
    ASSERT_EQ(tr_nstalls(tr), 0);
    tr_free(tr);
    tr_free(NULL);
}

static void test_stalls(void)
{
    tr_trace *tr = load_data("stalls.jsonl");
    test_spans_check(tr);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 6);
    const tr_stall *s = tr_stalls(tr);
    const tr_victim *v = tr_victims(tr);

    ASSERT_EQ(s[0].kind, TR_STALL_LATENCY);
    ASSERT(s[0].task == 2 && s[0].t == 0 && s[0].dur == 32 * MS && s[0].nvictims == 0);
    ASSERT_EQ(s[1].kind, TR_STALL_LATENCY);
    ASSERT(s[1].task == 3 && s[1].t == 0 && s[1].dur == 33 * MS);

    ASSERT_EQ(s[2].kind, TR_STALL_BLOCKED);
    ASSERT(s[2].task == 1 && s[2].t == 1 * MS && s[2].dur == 30 * MS);
    ASSERT_STR_EQ(tr_str(tr, s[2].at), "a.c:5");
    ASSERT_EQ(s[2].nvictims, 2);
    ASSERT(v[s[2].victim0].task == 2 && v[s[2].victim0].waited == 30 * MS);
    ASSERT(v[s[2].victim0 + 1].task == 3 && v[s[2].victim0 + 1].waited == 30 * MS);
    ASSERT_EQ(tr_spans(tr)[s[2].span].state, TR_ST_RUNNING);
    ASSERT_EQ(s[2].cycle, -1);

    ASSERT_EQ(s[3].kind, TR_STALL_WAIT);
    ASSERT(s[3].task == 1 && s[3].t == 31 * MS && s[3].dur == 29 * MS);
    ASSERT(s[3].why == TR_WAIT_IO && s[3].op == TR_OP_READ);
    ASSERT_STR_EQ(tr_str(tr, s[3].at), "a.c:5");

    ASSERT_EQ(s[4].kind, TR_STALL_WAIT);
    ASSERT(s[4].task == 3 && s[4].t == 34 * MS && s[4].dur == 27 * MS);
    ASSERT(s[4].why == TR_WAIT_LOCK && s[4].obj == 100);
    ASSERT_STR_EQ(tr_str(tr, s[4].at), "c.c:3");

    /* task 2's 51 ms sleep is no stall; its 37 ms ready is 36 ms idle */
    ASSERT_EQ(s[5].kind, TR_STALL_STUCK);
    ASSERT(s[5].task == 3 && s[5].t == 63 * MS && s[5].dur == 67 * MS);
    ASSERT(s[5].why == TR_WAIT_CHAN_RECV && s[5].obj == 200);
    ASSERT_EQ(s[5].waits_on, 0);
    ASSERT_EQ(s[5].cycle, -1);
    ASSERT_EQ(tr_ncycles(tr), 0);

    const tr_summary *sum = tr_summarize(tr);
    ASSERT_EQ(sum->loop_idle, 26 * MS + 21 * MS + 36 * MS);
    ASSERT_EQ(sum->loop_busy, 130 * MS - sum->loop_idle);
    ASSERT_EQ(tr_task_by_id(tr, 2)->lat_max, 37 * MS);
    tr_free(tr);
}

static void test_deadlock3(void)
{
    tr_trace *tr = load_data("deadlock3.jsonl");
    test_spans_check(tr);
    ASSERT_EQ(tr_task_by_id(tr, 3)->depth, 2);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 3);
    const tr_stall *s = tr_stalls(tr);
    ASSERT(s[0].kind == TR_STALL_STUCK && s[0].task == 3 && s[0].t == 12 && s[0].dur == 988);
    ASSERT(s[1].kind == TR_STALL_STUCK && s[1].task == 1 && s[1].t == 21);
    ASSERT(s[2].kind == TR_STALL_STUCK && s[2].task == 2 && s[2].t == 31);
    ASSERT_EQ(s[0].waits_on, 1);
    ASSERT_EQ(s[1].waits_on, 2);
    ASSERT_EQ(s[2].waits_on, 3);
    ASSERT(s[0].cycle == 0 && s[1].cycle == 0 && s[2].cycle == 0);
    ASSERT_EQ(tr_ncycles(tr), 1);
    const tr_cycle *c = tr_cycles(tr);
    const uint32_t *ct = tr_cycle_tasks(tr);
    ASSERT(c[0].task0 == 0 && c[0].ntasks == 3);
    ASSERT(ct[0] == 1 && ct[1] == 2 && ct[2] == 3);
    tr_free(tr);
}

/* The runtime's `stuck` events: the same cycle, found where the runtime
 * reported it, although the tasks were cancelled and exited afterwards; the
 * cancelled waits are not also listed as long WAITs. */
static void test_stuck_events(void)
{
    tr_trace *tr = load_data("stuck_cancelled.jsonl");
    test_spans_check(tr);
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 3);
    const tr_stall *s = tr_stalls(tr);
    ASSERT(s[0].kind == TR_STALL_STUCK && s[0].task == 3 && s[0].t == 12);
    ASSERT_EQ(s[0].dur, 50000040 - 12);
    ASSERT(s[1].kind == TR_STALL_STUCK && s[1].task == 1 && s[1].t == 21);
    ASSERT(s[2].kind == TR_STALL_STUCK && s[2].task == 2 && s[2].t == 31);
    ASSERT_EQ(s[0].why, TR_WAIT_JOIN);
    ASSERT_EQ(s[2].why, TR_WAIT_LOCK);
    ASSERT_EQ(s[0].waits_on, 1);
    ASSERT_EQ(s[1].waits_on, 2);
    ASSERT_EQ(s[2].waits_on, 3); /* C held the mutex when it was reported */
    ASSERT(s[0].cycle == 0 && s[1].cycle == 0 && s[2].cycle == 0);
    ASSERT_EQ(tr_ncycles(tr), 1);
    ASSERT_EQ(tr_task_by_id(tr, 2)->status, TR_STATUS_CANCELLED);
    tr_free(tr);
}

/* `io`: an I/O that completed at once, one line; fd lands in arg, res in
 * val, an error in str; the task's state does not change. */
static void test_io_event(void)
{
    static const char text[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"m\"}\n"
        "{\"t\":0,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"spawn\"}\n"
        "{\"t\":5,\"ev\":\"run\",\"task\":1}\n"
        "{\"t\":6,\"ev\":\"io\",\"task\":1,\"op\":\"write\",\"fd\":7,"
        "\"bytes\":102,\"res\":102}\n"
        "{\"t\":7,\"ev\":\"io\",\"task\":1,\"op\":\"read\",\"fd\":7,"
        "\"bytes\":64,\"err\":\"ECONNRESET\"}\n"
        "{\"t\":8,\"ev\":\"io\",\"task\":1,\"op\":\"close\",\"res\":0}\n"
        "{\"t\":9,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n"
        "{\"t\":10,\"ev\":\"end\",\"events\":7,\"dropped\":0}\n";
    tr_trace *tr = NULL;
    ASSERT_OK(load_text(text, sizeof text - 1, &tr));
    const tr_event *e = tr_events(tr);
    ASSERT_EQ(e[3].ev, TR_EV_IO);
    ASSERT_EQ(e[3].op, TR_OP_WRITE);
    ASSERT_EQ(e[3].arg, 7);
    ASSERT_EQ(tr_ev_val(tr, &e[3]), 102);
    ASSERT_EQ(tr_ev_val2(tr, &e[3]), 102);
    ASSERT_EQ(e[3].flags, TR_F_FD | TR_F_BYTES);
    ASSERT_EQ(e[4].flags, TR_F_FD | TR_F_BYTES | TR_F_ERR);
    ASSERT_STR_EQ(tr_str(tr, tr_ev_str(&e[4])), "ECONNRESET");
    ASSERT_EQ(e[5].flags, 0);
    test_spans_check(tr);
    const tr_task *t = tr_task_by_id(tr, 1);
    ASSERT_EQ(t->nspans, 3); /* ready, running 5..9, done */
    ASSERT_EQ(t->busy, 4);
    tr_free(tr);
    /* A bad field is an error like anywhere else. */
    static const char bad[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"m\"}\n"
        "{\"t\":6,\"ev\":\"io\",\"task\":1,\"op\":\"write\"}\n";
    ASSERT_EQ(load_text(bad, sizeof bad - 1, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "trace.jsonl:3: missing \"res\"");
}

/* `fatal` and `halt`: the last line of a run that did not reach
 * tr_rec_stop. The trace is whole (not truncated), its duration runs to
 * that line, and the task still running there stays so to the end. */
static void test_ending_lines(void)
{
    static const char fatal[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"m\"}\n"
        "{\"t\":0,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"spawn\"}\n"
        "{\"t\":5,\"ev\":\"run\",\"task\":1}\n"
        "{\"t\":9,\"ev\":\"fatal\",\"task\":1,\"msg\":\"co_mutex_unlock of "
        "mutex 1 not held\",\"at\":\"a.c:3\"}\n";
    tr_trace *tr = NULL;
    ASSERT_OK(load_text(fatal, sizeof fatal - 1, &tr));
    ASSERT_EQ(tr_nevents(tr), 4);
    const tr_event *e = tr_events(tr);
    ASSERT_EQ(e[3].ev, TR_EV_FATAL);
    ASSERT_EQ(e[3].task, 1);
    ASSERT_STR_EQ(tr_str(tr, tr_ev_str(&e[3])), "co_mutex_unlock of mutex 1 not held");
    ASSERT_EQ(tr_head(tr)->truncated, 0);
    ASSERT_EQ(tr_head(tr)->duration, 9);
    ASSERT_EQ(tr_nwarnings(tr), 0);
    test_spans_check(tr);
    ASSERT_EQ(tr_task_by_id(tr, 1)->busy, 4);
    tr_free(tr);

    static const char sig[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"m\"}\n"
        "{\"t\":0,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"spawn\"}\n"
        "{\"t\":20,\"ev\":\"halt\",\"signal\":\"SIGTERM\"}\n";
    ASSERT_OK(load_text(sig, sizeof sig - 1, &tr));
    e = tr_events(tr);
    ASSERT_EQ(e[2].ev, TR_EV_HALT);
    ASSERT_STR_EQ(tr_str(tr, tr_ev_str(&e[2])), "SIGTERM");
    ASSERT_EQ(e[2].flags, 0);
    ASSERT_EQ(tr_head(tr)->truncated, 0);
    ASSERT_EQ(tr_head(tr)->duration, 20);
    tr_free(tr);

    static const char code[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":3,\"ev\":\"halt\",\"code\":3}\n";
    ASSERT_OK(load_text(code, sizeof code - 1, &tr));
    e = tr_events(tr);
    ASSERT_EQ(e[0].ev, TR_EV_HALT);
    ASSERT_EQ(e[0].flags, TR_F_CODE);
    ASSERT_EQ(tr_ev_val(tr, &e[0]), 3);
    ASSERT_EQ(tr_head(tr)->truncated, 0);
    tr_free(tr);

    static const char bad[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":3,\"ev\":\"halt\"}\n";
    ASSERT_EQ(load_text(bad, sizeof bad - 1, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "trace.jsonl:2: missing \"code\"");
}

/* Histograms count exactly the run and ready spans, in log2 buckets, per
 * task and over all tasks. */
static void test_histograms(void)
{
    tr_trace *tr = load_data("basic.jsonl");
    tr_hist run, lat, r1, l1;
    ASSERT_OK(tr_histograms(tr, 0, &run, &lat));
    const tr_summary *s = tr_summarize(tr);
    ASSERT_EQ(run.total, s->polls);
    uint64_t sum = 0, readies = 0;
    for (int i = 0; i < TR_HIST_BUCKETS; i++)
        sum += run.count[i];
    ASSERT_EQ(sum, run.total);
    const tr_span *sp = tr_spans(tr);
    for (size_t i = 0; i < tr_nspans(tr); i++)
        readies += sp[i].state == TR_ST_READY;
    ASSERT_EQ(lat.total, readies);
    /* Per task, bucket by bucket, against the task's own spans. */
    const tr_task *t = &tr_tasks(tr)[0];
    ASSERT_OK(tr_histograms(tr, t->id, &r1, &l1));
    ASSERT_EQ(r1.total, t->polls);
    uint64_t want_run[TR_HIST_BUCKETS] = {0}, want_lat[TR_HIST_BUCKETS] = {0};
    for (uint32_t j = 0; j < t->nspans; j++) {
        const tr_span *x = &sp[t->span0 + j];
        if (x->state != TR_ST_RUNNING && x->state != TR_ST_READY)
            continue;
        int64_t d = x->t1 - x->t0;
        int b = 0; /* the bucket by linear search, apart from hist.c's clz */
        while (b + 1 < TR_HIST_BUCKETS && tr_hist_lo(b + 1) <= d)
            b++;
        (x->state == TR_ST_RUNNING ? want_run : want_lat)[b]++;
    }
    for (int i = 0; i < TR_HIST_BUCKETS; i++) {
        ASSERT_EQ(r1.count[i], want_run[i]);
        ASSERT_EQ(l1.count[i], want_lat[i]);
    }
    ASSERT_EQ(tr_histograms(tr, 99999, &r1, NULL), -EINVAL);
    ASSERT_EQ(tr_histograms(NULL, 0, &r1, NULL), -EINVAL);
    ASSERT_EQ(tr_hist_lo(0), 0);
    ASSERT_EQ(tr_hist_lo(1), 2);
    ASSERT_EQ(tr_hist_lo(10), 1024);
    ASSERT_EQ(tr_hist_lo(TR_HIST_BUCKETS - 1), (int64_t)1 << 39);
    tr_free(tr);
}

/* The same tasks in a trace with no end line (followed while written, or
 * cut short): the receivers and the joiner waiting on one are only known
 * to be waiting where it stops (`open`), and say so instead of "nobody left
 * to send"; the A/B lock cycle waits forever either way. With the end line
 * nothing is open. */
static void test_open_waits(void)
{
    size_t n;
    char *buf = slurp(data("mutexpair.jsonl"), &n);
    ASSERT(n > 2 && buf[n - 1] == '\n');
    size_t cut = n - 1;
    while (cut > 0 && buf[cut - 1] != '\n')
        cut--; /* the `end` line starts at cut */
    static const char end[] = "{\"t\":100,\"ev\":\"end\"";
    ASSERT(strncmp(&buf[cut], end, sizeof end - 1) == 0);
    tr_trace *tr = NULL;
    for (int ended = 0; ended < 2; ended++) {
        ASSERT_OK(load_text(buf, ended ? n : cut, &tr));
        ASSERT_EQ(tr_head(tr)->truncated, !ended);
        ASSERT_OK(tr_analyze(tr, NULL));
        ASSERT_EQ(tr_nstalls(tr), 5);
        const tr_stall *s = tr_stalls(tr);
        static const uint32_t task[] = {2, 1, 3, 4, 5};
        static const uint8_t open[] = {0, 0, 1, 1, 1};
        for (int i = 0; i < 5; i++) {
            ASSERT_EQ(s[i].kind, TR_STALL_STUCK);
            ASSERT_EQ(s[i].task, task[i]);
            ASSERT_EQ(s[i].open, ended ? 0 : open[i]);
        }
        char b[256];
        ASSERT_STR_EQ(tr_stall_describe(tr, &s[2], b, sizeof b),
                      ended ? "chan_recv obj 7; stuck: nobody left to send on obj 7"
                            : "chan_recv obj 7; nobody left to send on obj 7 so far");
        ASSERT_STR_EQ(tr_stall_label(&s[2]), ended ? "stuck" : "waiting");
        ASSERT_STR_EQ(tr_stall_label(&s[0]), "stuck");
        ASSERT_STR_EQ(tr_stall_describe(tr, &s[4], b, sizeof b), "join R1 (3), waits on R1 (3)");
        ASSERT_STR_EQ(tr_stall_describe(tr, &s[0], b, sizeof b),
                      "lock obj 1, waits on A (1); DEADLOCK: A (1) -> B (2) -> A (1)");
        tr_free(tr);
    }
    free(buf);
}

static void test_mutexpair(void)
{
    tr_trace *tr = load_data("mutexpair.jsonl");
    test_spans_check(tr);
    /* yield "yield" is followed by ready at once: a zero-length WAITING */
    const tr_task *a = tr_task_by_id(tr, 1);
    const tr_span *sa = &tr_spans(tr)[a->span0];
    ASSERT_EQ(a->nspans, 6);
    span_is(tr, a->span0 + 0, 0, 10, TR_ST_READY, 3, 13);
    span_is(tr, a->span0 + 1, 10, 12, TR_ST_RUNNING, 13, 15);
    span_is(tr, a->span0 + 2, 12, 12, TR_ST_WAITING, 15, 16);
    ASSERT_EQ(sa[2].why, TR_WAIT_YIELD);
    span_is(tr, a->span0 + 3, 12, 30, TR_ST_READY, 16, 20);
    span_is(tr, a->span0 + 5, 31, 100, TR_ST_WAITING, 21, NONE);
    ASSERT(sa[5].why == TR_WAIT_LOCK && tr_span_obj(tr, &sa[5]) == 2);

    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_nstalls(tr), 5);
    const tr_stall *s = tr_stalls(tr);
    static const struct { uint32_t task, waits_on; int64_t t; int cycle; } want[] = {
        /* R1 and R2 both receive on chan 7 and nobody is left to send on
         * it: stuck, but not waiting on each other (no cycle, no edge) */
        {2, 1, 22, 0}, {1, 2, 31, 0}, {3, 0, 41, -1}, {4, 0, 51, -1}, {5, 3, 61, -1},
    };
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(s[i].kind, TR_STALL_STUCK);
        ASSERT_EQ(s[i].task, want[i].task);
        ASSERT_EQ(s[i].t, want[i].t);
        ASSERT_EQ(s[i].waits_on, want[i].waits_on);
        ASSERT_EQ(s[i].cycle, want[i].cycle);
    }
    ASSERT_EQ(tr_ncycles(tr), 1);
    const tr_cycle *c = tr_cycles(tr);
    const uint32_t *ct = tr_cycle_tasks(tr);
    ASSERT(c[0].ntasks == 2 && ct[c[0].task0] == 1 && ct[c[0].task0 + 1] == 2);
    char buf[256];
    ASSERT_STR_EQ(tr_stall_describe(tr, &s[2], buf, sizeof buf),
                  "chan_recv obj 7; stuck: nobody left to send on obj 7");
    ASSERT_STR_EQ(tr_stall_describe(tr, &s[0], buf, sizeof buf),
                  "lock obj 1, waits on A (1); DEADLOCK: A (1) -> B (2) -> A (1)");
    ASSERT_EQ(s[2].cause, -1); /* stuck: not under a cause */
    tr_free(tr);
}

static void test_work(void)
{
    tr_trace *tr = load_data("work.jsonl");
    test_spans_check(tr);
    ASSERT_EQ(tr_nevents(tr), 17);
    const tr_event *e = tr_events(tr);
    static const uint32_t lines[] = {2, 3, 4, 5, 8, 6, 11, 9, 7, 10, 12, 13, 14, 15, 16, 17, 18};
    for (int i = 0; i < 17; i++)
        ASSERT_EQ(tr_ev_line(tr, i), lines[i]);
    ASSERT(e[4].ev == TR_EV_WORK_BEGIN && e[4].t == 25 && e[6].t == 30);
    ASSERT_STR_EQ(tr_str(tr, tr_ev_str(&e[6])), "late");
    ASSERT_EQ(tr_nworks(tr), 2);
    const tr_work *w = tr_works(tr);
    ASSERT(w[0].t0 == 25 && w[0].t1 == 85 && w[0].task == 1 && w[0].thread == 2);
    ASSERT_STR_EQ(tr_str(tr, w[0].name), "fib");
    ASSERT(w[1].t0 == 30 && w[1].t1 == -1 && w[1].thread == 3);
    ASSERT_EQ(tr_nwarnings(tr), 2);
    ASSERT_STR_EQ(tr_warning(tr, 0), "trace.jsonl:17: task 1 is active after its exit (1 event ignored)");
    ASSERT_STR_EQ(tr_warning(tr, 1), "trace.jsonl:13: work_end without a work_begin (1 ignored)");
    ASSERT_NULL(tr_warning(tr, 2));
    const tr_task *t = tr_task_by_id(tr, 1);
    ASSERT_EQ(t->exit_t, 99);
    ASSERT_EQ(t->status, TR_STATUS_CANCELLED);
    ASSERT_EQ(tr_summarize(tr)->cancelled, 1);
    tr_free(tr);
}

static void test_truncated(void)
{
    tr_trace *tr = load_data("truncated.jsonl");
    test_spans_check(tr);
    ASSERT_EQ(tr_head(tr)->truncated, 1);
    ASSERT_EQ(tr_nevents(tr), 4);
    ASSERT_EQ(tr_head(tr)->duration, 1284000000);
    ASSERT_EQ(tr_nwarnings(tr), 1);
    ASSERT_STR_EQ(tr_warning(tr, 0), "trace.jsonl: trace cut short after 1.28 s");
    tr_free(tr);

    /* whole lines, no end line */
    static const char noend[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"m\"}\n"
        "{\"t\":4560000,\"ev\":\"run\",\"task\":1}\n";
    ASSERT_OK(load_text(noend, sizeof noend - 1, &tr));
    ASSERT_EQ(tr_head(tr)->truncated, 1);
    ASSERT_STR_EQ(tr_warning(tr, 0), "trace.jsonl: trace cut short after 4.56 ms");
    ASSERT_STR_EQ(tr_head(tr)->program, "");
    tr_free(tr);

    /* only a last line without its newline is cut short (the recorder
     * writes whole lines): with one, it is an error like any other line;
     * a valid last line without one is kept */
    static const char cut[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":950,\"ev\":\"poll_begin\"}\n"
        "{\"t\":960,\"ev\n";
    tr = (tr_trace *)1;
    ASSERT_EQ(load_text(cut, sizeof cut - 1, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "trace.jsonl:3: not a JSON object");
    ASSERT_NULL(tr);
    ASSERT_OK(load_text(cut, sizeof cut - 2, &tr));
    ASSERT_EQ(tr_nevents(tr), 1);
    ASSERT_STR_EQ(tr_warning(tr, 0), "trace.jsonl: trace cut short after 950 ns");
    ASSERT_EQ(tr_nidles(tr), 1);
    ASSERT_EQ(tr_idles(tr)[0].t1, 950);
    tr_free(tr);
    static const char nonl[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":7,\"ev\":\"end\",\"events\":0,\"dropped\":2}";
    ASSERT_OK(load_text(nonl, sizeof nonl - 1, &tr));
    ASSERT_EQ(tr_head(tr)->truncated, 0);
    ASSERT_EQ(tr_head(tr)->end_dropped, 2);
    ASSERT_EQ(tr_nwarnings(tr), 0);
    tr_free(tr);
    /* header only (cut right after it) */
    static const char head[] = "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n";
    ASSERT_OK(load_text(head, sizeof head - 1, &tr));
    ASSERT_EQ(tr_nevents(tr), 0);
    ASSERT_STR_EQ(tr_warning(tr, 0), "trace.jsonl: trace cut short after 0 ns");
    ASSERT_OK(tr_analyze(tr, NULL));
    ASSERT_EQ(tr_summarize(tr)->run_p50, 0);
    tr_free(tr);
}

/* Integers are exact to 64 bits (cJSON's double would round these). */
static void test_big_numbers(void)
{
    static const char text[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1.0,\"unix_ns\":9223372036854775807,"
        "\"pid\":-9223372036854775808}\n"
        "{\"t\":9007199254740993,\"ev\":\"poll_begin\"}\n"
        "{\"t\":9007199254740995,\"ev\":\"poll_end\",\"events\":-0}\n"
        "{\"t\":9007199254740995,\"ev\":\"mark\",\"task\":0,\"msg\":\"\\u0001x\"}\n"
        "{\"t\":9007199254740995,\"ev\":\"end\",\"events\":3,\"dropped\":0, \"x\":[1,2.5e3,-0]}\n";
    tr_trace *tr;
    ASSERT_OK(load_text(text, sizeof text - 1, &tr));
    ASSERT_EQ(tr_head(tr)->unix_ns, INT64_MAX);
    ASSERT_EQ(tr_head(tr)->pid, INT64_MIN);
    ASSERT_EQ(tr_events(tr)[0].t, 9007199254740993LL);
    ASSERT_EQ(tr_idles(tr)[0].t1 - tr_idles(tr)[0].t0, 2);
    ASSERT_STR_EQ(tr_str(tr, tr_ev_str(&tr_events(tr)[2])), "\x01x");
    ASSERT_EQ(tr_head(tr)->unknown_fields, 1);
    tr_free(tr);
}

static void same_trace(tr_trace *a, tr_trace *b);

/* Values beyond 32 bits (and INT32_MIN, the marker itself) and the `at` of
 * spawn and obj live in a side table: every one reads back exactly, from a
 * serial load and from every parallel split. */
static void test_wide_values(void)
{
    static const char head[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"w\"}\n";
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    ASSERT_NOT_NULL(text);
    len += (size_t)sprintf(text + len, "%s", head);
    enum { N = 300 };
    for (int k = 1; k <= N; k++) {
        long long t = k * 100LL;
        len += (size_t)sprintf(
            text + len,
            "{\"t\":%lld,\"ev\":\"spawn\",\"task\":%d,\"parent\":0,\"name\":\"n%d\",\"at\":\"s.c:%d\"}\n"
            "{\"t\":%lld,\"ev\":\"obj\",\"obj\":%d,\"kind\":\"chan\",\"cap\":%lld,\"at\":\"o.c:%d\"}\n"
            "{\"t\":%lld,\"ev\":\"ready\",\"task\":%d,\"by\":0,\"why\":\"spawn\"}\n"
            "{\"t\":%lld,\"ev\":\"run\",\"task\":%d}\n"
            "{\"t\":%lld,\"ev\":\"io_begin\",\"task\":%d,\"op\":\"read\",\"fd\":%d,\"bytes\":%lld}\n"
            "{\"t\":%lld,\"ev\":\"yield\",\"task\":%d,\"why\":\"io\",\"op\":\"read\",\"fd\":%d,"
            "\"ms\":%lld,\"at\":\"y.c:%d\"}\n"
            "{\"t\":%lld,\"ev\":\"io_end\",\"task\":%d,\"op\":\"read\",\"res\":%lld}\n"
            "{\"t\":%lld,\"ev\":\"exit\",\"task\":%d,\"status\":\"error\",\"code\":%lld}\n",
            t, k, k, k, t, k, (1LL << 40) + k, k, t, k, t + 1, k, t + 2, k, k,
            10000000000LL + k, t + 3, k, k, k % 2 ? 4294967296000LL : 7LL, k, t + 4, k,
            k % 3 ? (long long)INT32_MIN : 2147483647LL, t + 5, k,
            k % 2 ? (long long)INT64_MIN : -5LL);
        ASSERT_CMP(len, <, cap - 1024);
    }
    len += (size_t)sprintf(text + len, "{\"t\":%d,\"ev\":\"end\",\"events\":%d,\"dropped\":0}\n",
                           N * 100 + 10, N * 8 + 1);
    tr_trace *serial;
    tr_load_opts one = {NULL, NULL, 1};
    ASSERT_OK(tr_load_mem("wide", text, len, &one, &serial));
    test_spans_check(serial);
    ASSERT_EQ(tr_nevents(serial), N * 8 + 1);
    const tr_event *e = tr_events(serial);
    for (int k = 1; k <= N; k++) {
        const tr_event *x = &e[(k - 1) * 8];
        char want[32];
        ASSERT_EQ(x[0].ev, TR_EV_SPAWN);
        snprintf(want, sizeof want, "s.c:%d", k);
        ASSERT_STR_EQ(tr_str(serial, tr_ev_at(serial, &x[0])), want);
        snprintf(want, sizeof want, "n%d", k);
        ASSERT_STR_EQ(tr_str(serial, tr_ev_str(&x[0])), want);
        ASSERT_EQ(tr_ev_line(serial, (size_t)(k - 1) * 8), (uint32_t)(k - 1) * 8 + 2);
        ASSERT_EQ(x[1].ev, TR_EV_OBJ);
        ASSERT_EQ(tr_ev_val(serial, &x[1]), (1LL << 40) + k);
        snprintf(want, sizeof want, "o.c:%d", k);
        ASSERT_STR_EQ(tr_str(serial, tr_ev_at(serial, &x[1])), want);
        ASSERT_EQ(tr_ev_val(serial, &x[4]), k);
        ASSERT_EQ(tr_ev_val2(serial, &x[4]), 10000000000LL + k);
        ASSERT_EQ(x[5].ev, TR_EV_YIELD);
        ASSERT_EQ(tr_ev_val(serial, &x[5]), k);
        ASSERT_EQ(tr_ev_val2(serial, &x[5]), k % 2 ? 4294967296000LL : 7LL);
        snprintf(want, sizeof want, "y.c:%d", k);
        ASSERT_STR_EQ(tr_str(serial, tr_ev_at(serial, &x[5])), want);
        ASSERT_EQ(tr_ev_str(&x[5]), 0);
        ASSERT_EQ(tr_ev_val(serial, &x[6]), k % 3 ? (long long)INT32_MIN : 2147483647LL);
        ASSERT_EQ(tr_ev_val(serial, &x[7]), k % 2 ? INT64_MIN : -5LL);
        ASSERT_EQ(tr_ev_at(serial, &x[7]), 0);
        const tr_task *t = tr_task_by_id(serial, (uint32_t)k);
        ASSERT_EQ(t->code, k % 2 ? INT64_MIN : -5LL);
        snprintf(want, sizeof want, "s.c:%d", k);
        ASSERT_STR_EQ(tr_str(serial, t->at), want);
        const tr_span *w = &tr_spans(serial)[t->span0 + 2];
        ASSERT_EQ(w->state, TR_ST_WAITING);
        ASSERT_EQ(tr_span_fd(serial, w), k);
        snprintf(want, sizeof want, "y.c:%d", k);
        ASSERT_STR_EQ(tr_str(serial, tr_span_site(serial, w)), want);
    }
    ASSERT_EQ(tr_ev_val(serial, &e[N * 8]), N * 8 + 1);
    tr_mem m;
    tr_memory(serial, &m);
    ASSERT_CMP(m.events, >=, tr_nevents(serial) * sizeof(tr_event));
    ASSERT_EQ(m.total, m.events + m.strings + m.model + m.analysis);
    ASSERT_CMP(m.model, >=, tr_nspans(serial) * sizeof(tr_span));
    tr_memory(NULL, &m);
    ASSERT_EQ(m.total, 0);
    tr_memory(serial, NULL); /* no-op */
    size_t old = tr__set_parallel_threshold(1000);
    for (int threads = 2; threads <= 7; threads++) {
        tr_trace *par;
        tr_load_opts o = {NULL, NULL, threads};
        ASSERT_OK(tr_load_mem("wide", text, len, &o, &par));
        same_trace(serial, par);
        tr_free(par);
    }
    tr__set_parallel_threshold(old);
    tr_free(serial);
    free(text);
}

/* Line numbers survive reordering: pool-thread events written late are
 * sorted into place, and most of them here are out of file order (the
 * reader then keeps a line per event instead of runs). */
static void test_lines(void)
{
    static const char head[] =
        "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"
        "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"m\"}\n";
    enum { N = 200 };
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    ASSERT_NOT_NULL(text);
    len += (size_t)sprintf(text, "%s", head);
    /* work events with falling t: line 3 + i holds t = 1000 - i */
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(text + len,
                               "{\"t\":%d,\"ev\":\"work_begin\",\"task\":1,\"thread\":%d,"
                               "\"name\":\"w\"}\n",
                               1000 - i, i);
    len += (size_t)sprintf(text + len, "{\"t\":2000,\"ev\":\"whatever\"}\n"
                                       "{\"t\":2001,\"ev\":\"poll_begin\"}\n");
    tr_trace *tr;
    ASSERT_OK(tr_load_mem("lines", text, len, NULL, &tr));
    ASSERT_EQ(tr_nevents(tr), N + 2);
    ASSERT_EQ(tr_ev_line(tr, 0), 2);           /* spawn at t 0 */
    for (int i = 0; i < N; i++)                /* t 801..1000: lines 202..3 */
        ASSERT_EQ(tr_ev_line(tr, (size_t)i + 1), (uint32_t)(3 + N - 1 - i));
    ASSERT_EQ(tr_ev_line(tr, N + 1), N + 4);   /* after the skipped line */
    ASSERT_EQ(tr_ev_line(tr, N + 2), 0);
    ASSERT_NOT_NULL(tr->lines);
    tr_free(tr);
    /* mostly in order, with unknown kinds skipped now and then: runs */
    len = (size_t)sprintf(text, "%s", head);
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(text + len, "%s{\"t\":%d,\"ev\":\"mark\",\"task\":1,\"msg\":\"x\"}\n",
                               i % 50 == 0 ? "{\"t\":0,\"ev\":\"future\"}\n" : "", i + 1);
    ASSERT_OK(tr_load_mem("lines", text, len, NULL, &tr));
    ASSERT_EQ(tr_nevents(tr), N + 1);
    ASSERT_NULL(tr->lines);
    ASSERT_EQ(tr->nruns, 5);
    for (int i = 0; i < N; i++)
        ASSERT_EQ(tr_ev_line(tr, (size_t)i + 1), (uint32_t)(3 + i + i / 50 + 1));
    tr_free(tr);
    free(text);
}

static void test_unknown(void)
{
    tr_trace *tr = load_data("unknown.jsonl");
    test_spans_check(tr);
    ASSERT_EQ(tr_head(tr)->unknown_events, 2);
    ASSERT_EQ(tr_head(tr)->unknown_fields, 4); /* host, color, fd (on run), prio */
    ASSERT_EQ(tr_nevents(tr), 5);
    ASSERT_EQ(tr_nwarnings(tr), 1);
    ASSERT_STR_EQ(tr_warning(tr, 0),
                  "trace.jsonl: skipped 2 events of unknown kind (first \"gc\" on line 4) and "
                  "4 unknown fields (first \"host\" on line 1)");
    tr_free(tr);
}

typedef struct bad_input {
    const char *text;
    size_t len;
    int rc;
    const char *msg;
} bad_input;

#define H "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"p\"}\n"
#define SPAWN1 "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"a\"}\n"
#define END "{\"t\":100,\"ev\":\"end\",\"events\":0,\"dropped\":0}\n"
#define BAD(text, msg) {text, sizeof(text) - 1, -EINVAL, msg}
#define HDR_MSG "trace.jsonl:1: expected the header ({\"ev\":\"trace\",...}) on the first line"

static const bad_input bads[] = {
    BAD("", "trace.jsonl: empty file"),
    BAD("hello\n", HDR_MSG),
    BAD("\n", HDR_MSG),
    BAD("{\"t\":0,\"ev\":\"run\",\"task\":1}\n" END, HDR_MSG),
    BAD("[1,2]\n", HDR_MSG),
    BAD("\x00\x01\x02\xff\xfe\n\x00", HDR_MSG),
    BAD("{\"ev\":\"trace\",\"format\":\"other\",\"version\":1}\n", "trace.jsonl:1: \"format\" must be \"coscope\""),
    BAD("{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":3}\n",
        "trace.jsonl:1: unsupported version 3 (this reader knows versions 1 and 2)"),
    BAD("{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":0}\n",
        "trace.jsonl:1: unsupported version 0 (this reader knows versions 1 and 2)"),
    BAD("{\"ev\":\"trace\",\"format\":\"coscope\"}\n", "trace.jsonl:1: missing \"version\""),
    BAD("{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":\"1\"}\n",
        "trace.jsonl:1: \"version\" must be an integer"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":\"x\",\"parent\":0,\"name\":\"a\"}\n" END,
        "trace.jsonl:2: \"task\" must be an integer"),
    BAD(H "{\"t\":1.5,\"ev\":\"poll_begin\"}\n" END, "trace.jsonl:2: \"t\" must be an integer"),
    BAD(H "{\"t\":1e30,\"ev\":\"poll_begin\"}\n" END, "trace.jsonl:2: \"t\" is out of range"),
    BAD(H "{\"t\":99999999999999999999,\"ev\":\"poll_begin\"}\n" END, "trace.jsonl:2: \"t\" is out of range"),
    BAD(H "{\"t\":1e400,\"ev\":\"poll_begin\"}\n" END, "trace.jsonl:2: \"t\" is out of range"),
    BAD(H "{\"t\":-1,\"ev\":\"poll_begin\"}\n" END, "trace.jsonl:2: \"t\" is out of range"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":4294967296,\"parent\":0,\"name\":\"a\"}\n" END,
        "trace.jsonl:2: \"task\" is out of range"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":0,\"parent\":0,\"name\":\"a\"}\n" END,
        "trace.jsonl:2: \"task\" must be 1 or more"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":-1,\"name\":\"a\"}\n" END,
        "trace.jsonl:2: \"parent\" is out of range"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0}\n" END, "trace.jsonl:2: missing \"name\""),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":7}\n" END,
        "trace.jsonl:2: \"name\" must be a string"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"a\xff\"}\n" END,
        "trace.jsonl:2: \"name\" is not valid UTF-8"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"\xff\"}\n" END,
        "trace.jsonl:2: not a JSON object"),
    /* numbers are numbers: not strings of digits, not forged marks */
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":\"5\",\"parent\":0,\"name\":\"a\"}\n" END,
        "trace.jsonl:2: \"task\" must be an integer"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":\"\\u00015\",\"parent\":0,\"name\":\"a\"}\n" END,
        "trace.jsonl:2: \"task\" must be an integer"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":5}\n" END,
        "trace.jsonl:2: \"name\" must be a string"),
    BAD(H "{\"t\":007,\"ev\":\"poll_begin\"}\n" END, "trace.jsonl:2: not a JSON object"),
    BAD(H "{\"t\":1.2.3,\"ev\":\"poll_begin\"}\n" END, "trace.jsonl:2: not a JSON object"),
    BAD(H "{\"t\":-,\"ev\":\"poll_begin\"}\n" END, "trace.jsonl:2: not a JSON object"),
    BAD(H "{\"t\":1,\"ev\":\"mark\",\"task\":0,\"msg\":\"a\tb\"}\n" END,
        "trace.jsonl:2: not a JSON object"),
    BAD(H "{\"t\":9223372036854775808,\"ev\":\"poll_begin\"}\n" END,
        "trace.jsonl:2: \"t\" is out of range"),
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"\xed\xa0\x80\"}\n" END,
        "trace.jsonl:2: \"name\" is not valid UTF-8"),
    BAD(H "{\"ev\":\"run\",\"task\":1}\n" END, "trace.jsonl:2: missing \"t\""),
    BAD(H "{\"t\":0,\"task\":1}\n" END, "trace.jsonl:2: missing \"ev\""),
    BAD(H "{\"t\":0,\"ev\":5}\n" END, "trace.jsonl:2: \"ev\" must be a string"),
    BAD(H "5\n" END, "trace.jsonl:2: not a JSON object"),
    BAD(H "{\"t\":0,\"ev\":\"poll_begin\"} x\n" END, "trace.jsonl:2: not a JSON object"),
    BAD(H "{\"t\":0,\"ev\":\"poll_begin\"\n" END, "trace.jsonl:2: not a JSON object"),
    /* cJSON skips NUL like a space between tokens; inside one it is an error */
    BAD(H "{\"t\":1\x00" "2,\"ev\":\"poll_begin\"}\n" END, "trace.jsonl:2: not a JSON object"),
    BAD(H "\n" END, "trace.jsonl:2: empty line"),
    BAD(H SPAWN1 "{\"t\":0,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"bogus\"}\n" END,
        "trace.jsonl:3: bad \"why\": \"bogus\""),
    BAD(H SPAWN1 "{\"t\":0,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"a\\\"b\\u0001\"}\n" END,
        "trace.jsonl:3: bad \"why\": \"a?b?\""),
    BAD(H SPAWN1 "{\"t\":0,\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"nope\"}\n" END,
        "trace.jsonl:3: bad \"op\": \"nope\""),
    BAD(H SPAWN1 "{\"t\":0,\"ev\":\"io_end\",\"task\":1,\"op\":\"read\"}\n" END,
        "trace.jsonl:3: missing \"res\""),
    BAD(H SPAWN1 "{\"t\":0,\"ev\":\"exit\",\"task\":1,\"status\":\"fine\"}\n" END,
        "trace.jsonl:3: bad \"status\": \"fine\""),
    BAD(H "{\"t\":10,\"ev\":\"poll_begin\"}\n{\"t\":5,\"ev\":\"poll_end\"}\n" END,
        "trace.jsonl:3: \"t\" goes backwards (5 after 10)"),
    BAD(H "{\"t\":0,\"ev\":\"run\",\"task\":7}\n" END, "trace.jsonl:2: task 7 was never spawned"),
    BAD(H "{\"t\":0,\"ev\":\"io_begin\",\"task\":7,\"op\":\"read\"}\n" END,
        "trace.jsonl:2: task 7 was never spawned"),
    BAD(H SPAWN1 SPAWN1 END, "trace.jsonl:3: task 1 spawned twice"),
    BAD(H H END, "trace.jsonl:2: header line in the middle of the trace"),
    /* a whole last line that does not parse is an error, not a cut */
    BAD(H SPAWN1 "this is not json\n", "trace.jsonl:3: not a JSON object"),
    BAD(H SPAWN1 "{\"t\":5,\"ev\":\"run\",\"task\":1}\r\n{\"t\":6,\n",
        "trace.jsonl:4: not a JSON object"),
    /* NUL inside a string (cJSON decodes it; C strings would end there) */
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"a\\u0000b\"}\n" END,
        "trace.jsonl:2: a string holds \\u0000 (NUL)"),
    BAD(H SPAWN1 "{\"t\":1,\"ev\":\"mark\",\"task\":1,\"msg\":\"\\\\\\u0000\"}\n" END,
        "trace.jsonl:3: a string holds \\u0000 (NUL)"),
    BAD("{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"p\\u0000q\"}\n" END,
        "trace.jsonl:1: a string holds \\u0000 (NUL)"),
    /* the tasks a spawn or a ready names must exist, like any event's */
    BAD(H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":77,\"name\":\"a\"}\n" END,
        "trace.jsonl:2: \"parent\" task 77 was never spawned"),
    BAD(H SPAWN1 "{\"t\":0,\"ev\":\"ready\",\"task\":1,\"by\":999,\"why\":\"spawn\"}\n" END,
        "trace.jsonl:3: \"by\" task 999 was never spawned"),
    /* a syntax error is reported even after an earlier model error */
    BAD(H "{\"t\":0,\"ev\":\"run\",\"task\":7}\n{\"t\":0,\"ev\":\"run\",\"task\":\"x\"}\n" END,
        "trace.jsonl:3: \"task\" must be an integer"),
};

static void test_bad_inputs(void)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        tr_trace *tr = (tr_trace *)1;
        int rc = load_text(bads[i].text, bads[i].len, &tr);
        if (rc != bads[i].rc || strcmp(tr_last_error(), bads[i].msg) != 0)
            fprintf(stderr, "case %zu\n", i);
        ASSERT_EQ(rc, bads[i].rc);
        ASSERT_STR_EQ(tr_last_error(), bads[i].msg);
        ASSERT_NULL(tr);
    }
}

static void test_hostile(void)
{
    tr_trace *tr;
    /* deep nesting: cJSON's nesting limit refuses it */
    size_t depth = 5000;
    size_t n = strlen(H) + depth * 2 + 200;
    char *buf = malloc(n), *p = buf;
    p += sprintf(p, H "{\"t\":0,\"ev\":\"poll_begin\",\"x\":");
    memset(p, '[', depth), p += depth;
    memset(p, ']', depth), p += depth;
    p += sprintf(p, "}\n" END);
    ASSERT_EQ(load_text(buf, (size_t)(p - buf), &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "trace.jsonl:2: not a JSON object");
    /* moderate nesting in an unknown field is skipped and counted */
    p = buf + sprintf(buf, H "{\"t\":0,\"ev\":\"poll_begin\",\"x\":");
    memset(p, '[', 100), p += 100;
    memset(p, ']', 100), p += 100;
    p += sprintf(p, "}\n" END);
    ASSERT_OK(load_text(buf, (size_t)(p - buf), &tr));
    ASSERT_EQ(tr_head(tr)->unknown_fields, 1);
    tr_free(tr);
    free(buf);

    /* 100 000 '[' as the last line: with its newline an error, without
     * one a line cut short */
    n = strlen(H SPAWN1) + 100000 + 1;
    buf = malloc(n);
    memcpy(buf, H SPAWN1, strlen(H SPAWN1));
    memset(buf + strlen(H SPAWN1), '[', 100000);
    buf[n - 1] = '\n';
    ASSERT_EQ(load_text(buf, n, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "trace.jsonl:3: not a JSON object");
    ASSERT_OK(load_text(buf, n - 1, &tr));
    ASSERT_EQ(tr_head(tr)->truncated, 1);
    ASSERT_EQ(tr_nevents(tr), 1);
    tr_free(tr);
    free(buf);
    /* an escaped backslash before "u0000" is text, not a NUL */
    static const char literal[] =
        H "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"a\\\\u0000\"}\n" END;
    ASSERT_OK(load_text(literal, sizeof literal - 1, &tr));
    ASSERT_STR_EQ(tr_str(tr, tr_tasks(tr)[0].name), "a\\u0000");
    tr_free(tr);

    /* a 10 MB line: an error, not a crash, wherever it is */
    n = 10 << 20;
    buf = malloc(n + 200);
    p = buf + sprintf(buf, H "{\"t\":0,\"ev\":\"mark\",\"task\":0,\"msg\":\"");
    memset(p, 'a', n), p += n;
    p += sprintf(p, "\"}\n" END);
    ASSERT_EQ(load_text(buf, (size_t)(p - buf), &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "trace.jsonl:2: line longer than 1 MiB");
    ASSERT_EQ(load_text(buf, (size_t)(p - buf) - sizeof END + 1 - 3, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "trace.jsonl:2: line longer than 1 MiB");
    free(buf);

    /* binary garbage after a good header: one long line, or many */
    buf = malloc(1 << 16);
    p = buf + sprintf(buf, H);
    uint32_t x = 12345;
    for (int i = 0; i < 60000; i++) {
        x = x * 1103515245 + 12345;
        *p++ = (char)(x >> 16);
    }
    int rc = load_text(buf, (size_t)(p - buf), &tr);
    if (rc == 0)
        tr_free(tr);
    ASSERT(rc == 0 || rc == -EINVAL);
    free(buf);

    /* tr_load: missing file, directory */
    ASSERT_EQ(tr_load("/nonexistent/trace.jsonl", NULL, &tr), -ENOENT);
    ASSERT_STR_EQ(tr_last_error(), "/nonexistent/trace.jsonl: No such file or directory");
    ASSERT_EQ(tr_load("/tmp", NULL, &tr), -EISDIR);
    ASSERT_EQ(tr_load(NULL, NULL, &tr), -EINVAL);
    ASSERT_EQ(tr_load_mem("x", NULL, 0, NULL, NULL), -EINVAL);
}

/* memcmp that accepts NULL for an empty array */
static int bytes_differ(const void *a, const void *b, size_t n)
{
    return n ? memcmp(a, b, n) : 0;
}

/* Two traces that hold the same events build the same model: spans,
 * tasks, wake-ups, pool work, idle time, summary and warnings; then the
 * same analysis: stalls and their victims. */
static void same_model(tr_trace *a, tr_trace *b)
{
    ASSERT_EQ(tr_nspans(a), tr_nspans(b));
    ASSERT_OK(bytes_differ(tr_spans(a), tr_spans(b), tr_nspans(a) * sizeof(tr_span)));
    ASSERT_EQ(tr_ntasks(a), tr_ntasks(b));
    ASSERT_OK(bytes_differ(tr_tasks(a), tr_tasks(b), tr_ntasks(a) * sizeof(tr_task)));
    ASSERT_EQ(tr_nwakeups(a), tr_nwakeups(b));
    for (size_t i = 0; i < tr_nwakeups(a); i++) {
        tr_wakeup wa = tr_wakeup_get(a, i), wb = tr_wakeup_get(b, i);
        ASSERT_OK(bytes_differ(&wa, &wb, sizeof wa));
    }
    ASSERT_EQ(tr_nworks(a), tr_nworks(b));
    ASSERT_OK(bytes_differ(tr_works(a), tr_works(b), tr_nworks(a) * sizeof(tr_work)));
    ASSERT_EQ(tr_nidles(a), tr_nidles(b));
    ASSERT_OK(bytes_differ(tr_summarize(a), tr_summarize(b), sizeof(tr_summary)));
    ASSERT_EQ(tr_nwarnings(a), tr_nwarnings(b));
    for (size_t i = 0; i < tr_nwarnings(a); i++)
        ASSERT_STR_EQ(tr_warning(a, i), tr_warning(b, i));
    ASSERT_OK(tr_analyze(a, NULL));
    ASSERT_OK(tr_analyze(b, NULL));
    ASSERT_EQ(tr_nstalls(a), tr_nstalls(b));
    ASSERT_OK(bytes_differ(tr_stalls(a), tr_stalls(b), tr_nstalls(a) * sizeof(tr_stall)));
    ASSERT_EQ(a->nvictims, b->nvictims);
    ASSERT_OK(bytes_differ(tr_victims(a), tr_victims(b), a->nvictims * sizeof(tr_victim)));
}

/* Two loads give the same trace: events, strings, model and analysis. */
static void same_trace(tr_trace *a, tr_trace *b)
{
    ASSERT_EQ(tr_nevents(a), tr_nevents(b));
    ASSERT_OK(bytes_differ(tr_events(a), tr_events(b), tr_nevents(a) * sizeof(tr_event)));
    ASSERT_EQ(a->st.n, b->st.n);
    for (uint32_t i = 0; i < a->st.n; i++)
        ASSERT_STR_EQ(tr_str(a, i), tr_str(b, i));
    ASSERT_OK(bytes_differ(&tr_head(a)->pid, &tr_head(b)->pid,
                     sizeof(tr_header) - offsetof(tr_header, pid)));
    ASSERT_STR_EQ(tr_head(a)->program, tr_head(b)->program);
    for (size_t i = 0; i < tr_nevents(a); i++) {
        const tr_event *ea = &tr_events(a)[i], *eb = &tr_events(b)[i];
        ASSERT_EQ(tr_ev_line(a, i), tr_ev_line(b, i));
        ASSERT_EQ(tr_ev_val(a, ea), tr_ev_val(b, eb));
        ASSERT_EQ(tr_ev_val2(a, ea), tr_ev_val2(b, eb));
        ASSERT_STR_EQ(tr_str(a, tr_ev_at(a, ea)), tr_str(b, tr_ev_at(b, eb)));
    }
    same_model(a, b);
}

/* Format v2's folded lines (requeue, io_wait, io_wake) load as the two v1
 * events each stands for: the same events, stacks, on-CPU figures, tasks,
 * wake-ups, stalls and warnings as the v1 file that spells them out. */
static void test_folded(void)
{
    tr_trace *a = load_data("folded_v1.jsonl"), *b = load_data("folded_v2.jsonl");
    ASSERT_EQ(tr_head(a)->version, 1);
    ASSERT_EQ(tr_head(b)->version, 2);
    ASSERT_EQ(tr_nevents(a), 27); /* end is one too; a stack line is not */
    ASSERT_EQ(tr_nevents(b), 27);
    /* all but `end`, whose `events` counts lines: 27 and 19 */
    ASSERT_OK(bytes_differ(tr_events(a), tr_events(b), 26 * sizeof(tr_event)));
    ASSERT_EQ(tr_ev_val(a, &tr_events(a)[26]), 27);
    ASSERT_EQ(tr_ev_val(b, &tr_events(b)[26]), 19);
    for (size_t i = 0; i < 26; i++) {
        const tr_event *ea = &tr_events(a)[i], *eb = &tr_events(b)[i];
        ASSERT_EQ(tr_ev_val(a, ea), tr_ev_val(b, eb));
        ASSERT_EQ(tr_ev_val2(a, ea), tr_ev_val2(b, eb));
        ASSERT_STR_EQ(tr_str(a, tr_ev_at(a, ea)), tr_str(b, tr_ev_at(b, eb)));
        ASSERT_STR_EQ(tr_str(a, tr_ev_str(ea)), tr_str(b, tr_ev_str(eb)));
        ASSERT_EQ(tr_ev_stack(a, i), tr_ev_stack(b, i));
        tr_oncpu oa, ob;
        int ha = tr_ev_oncpu(a, i, &oa), hb = tr_ev_oncpu(b, i, &ob);
        ASSERT_EQ(ha, hb);
        if (ha) { /* field by field: the struct has padding */
            ASSERT_EQ(oa.cpu, ob.cpu);
            ASSERT_EQ(oa.runq, ob.runq);
            ASSERT_EQ(oa.stops, ob.stops);
        }
    }
    ASSERT_EQ(tr_ev_oncpu(b, 9, NULL), 1); /* the io_wait's yield: cpu 300 us, 1 stop */
    /* the second event of a folded line is on that line */
    ASSERT_EQ(tr_events(b)[7].ev, TR_EV_RUN); /* requeue's `next` */
    ASSERT_EQ(tr_ev_line(b, 7), 8);
    ASSERT_EQ(tr_events(b)[8].ev, TR_EV_IO_BEGIN); /* io_wait at t 170 */
    ASSERT_EQ(tr_ev_line(b, 8), 9);
    ASSERT_EQ(tr_events(b)[9].ev, TR_EV_YIELD); /* and its yield, on the same line */
    ASSERT_EQ(tr_ev_line(b, 9), 9);
    ASSERT_EQ(tr_ev_line(a, 9), 12);
    ASSERT_EQ(tr_ev_stack(b, 9), 1);
    same_model(a, b);
    ASSERT_CMP(tr_nstalls(a), >, 0); /* the 30 ms waits */
    tr_free(a);
    tr_free(b);
}

static int count_calls(void *ctx, uint64_t done, uint64_t total)
{
    int *calls = ctx;
    (*calls)++;
    ASSERT_CMP(done, <=, total);
    return 0;
}

static int cancel_at_end(void *ctx, uint64_t done, uint64_t total)
{
    (void)ctx;
    return done == total;
}

/* tr_load == tr_load_mem on every data file, and on a generated trace. */
static void test_file_equals_mem(void)
{
    static const char *files[] = {"basic.jsonl", "stalls.jsonl", "deadlock3.jsonl",
                                  "mutexpair.jsonl", "truncated.jsonl", "unknown.jsonl",
                                  "work.jsonl", "stuck_cancelled.jsonl"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n;
        char *buf = slurp(data(files[i]), &n);
        tr_trace *a, *b;
        ASSERT_OK(tr_load(data(files[i]), NULL, &a));
        ASSERT_OK(tr_load_mem(data(files[i]), buf, n, NULL, &b));
        test_spans_check(a);
        same_trace(a, b);
        tr_free(a);
        tr_free(b);
        free(buf);
    }
    tr_trace *tr;
    int calls = 0;
    tr_load_opts o = {count_calls, &calls, 0};
    ASSERT_OK(tr_load(data("basic.jsonl"), &o, &tr));
    ASSERT_EQ(calls, 1); /* small file: once, at the end */
    tr_free(tr);
    o.progress = cancel_at_end;
    ASSERT_EQ(tr_load(data("basic.jsonl"), &o, &tr), -ECANCELED);
    ASSERT_NULL(tr);
    ASSERT_STR_EQ(tr_last_error(), tr_last_error()); /* set, not NULL */
}

static char *gen_text(uint64_t nev, uint32_t tasks, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ASSERT_NOT_NULL(f);
    ASSERT_OK(gen_trace(f, nev, 7, tasks));
    ASSERT_OK(fclose(f));
    return buf;
}

/* The parallel path (threshold lowered) gives exactly the serial result. */
static void test_parallel(void)
{
    size_t len;
    char *text = gen_text(60000, 50, &len);
    tr_trace *serial, *par;
    tr_load_opts one = {NULL, NULL, 1};
    ASSERT_OK(tr_load_mem("gen", text, len, &one, &serial));
    test_spans_check(serial);
    ASSERT_EQ(tr_nwarnings(serial), 0);
    ASSERT_CMP(tr_nworks(serial), >, 0);
    size_t old = tr__set_parallel_threshold(1000);
    for (int threads = 2; threads <= 5; threads++) {
        tr_load_opts o = {NULL, NULL, threads};
        ASSERT_OK(tr_load_mem("gen", text, len, &o, &par));
        same_trace(serial, par);
        tr_free(par);
    }
    /* and through a file (mmap + dropped pages) */
    char path[] = "/tmp/coscope_read_XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, text, len), (long long)len);
    close(fd);
    int calls = 0;
    tr_load_opts o2 = {count_calls, &calls, 2};
    ASSERT_OK(tr_load(path, &o2, &par));
    ASSERT_CMP(calls, >=, 1);
    tr_free(par);
    unlink(path);

    /* errors: same message and line from every split */
    char *bad = malloc(len + 1);
    size_t cut = len * 3 / 4;
    while (text[cut - 1] != '\n')
        cut++;
    size_t line = 1;
    for (size_t i = 0; i < cut; i++)
        line += text[i] == '\n';
    long long tnext = strtoll(text + cut + 5, NULL, 10); /* {"t":N of the next line */
    char inserts[3][128];
    snprintf(inserts[0], sizeof inserts[0], "{\"t\":1,\"ev\":\"poll_begin\"}\n");
    snprintf(inserts[1], sizeof inserts[1], "{\"t\":%lld,\"ev\":\"run\",\"task\":\"x\"}\n", tnext);
    snprintf(inserts[2], sizeof inserts[2], "{\"t\":%lld,\"ev\":\"run\",\"task\":999999}\n", tnext);
    for (size_t k = 0; k < 3; k++) {
        size_t il = strlen(inserts[k]);
        bad = realloc(bad, len + il);
        memcpy(bad, text, cut);
        memcpy(bad + cut, inserts[k], il);
        memcpy(bad + cut + il, text + cut, len - cut);
        char want[256];
        tr__set_parallel_threshold(SIZE_MAX);
        ASSERT_EQ(tr_load_mem("gen", bad, len + il, &one, &par), -EINVAL);
        snprintf(want, sizeof want, "%s", tr_last_error());
        char prefix[32];
        snprintf(prefix, sizeof prefix, "gen:%zu: ", line);
        ASSERT_OK(strncmp(want, prefix, strlen(prefix)));
        tr__set_parallel_threshold(1000);
        for (int threads = 2; threads <= 4; threads++) {
            tr_load_opts o = {NULL, NULL, threads};
            ASSERT_EQ(tr_load_mem("gen", bad, len + il, &o, &par), -EINVAL);
            ASSERT_STR_EQ(tr_last_error(), want);
        }
    }
    free(bad);
    tr__set_parallel_threshold(old);
    tr_free(serial);
    free(text);
}

/* Percentiles on a known trace: one task, run slices 1..100 ns. */
static void test_percentiles(void)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    n += (size_t)sprintf(buf + n, H SPAWN1);
    int64_t t = 0;
    for (int i = 0; i < 100; i++) {
        int len = (i * 37) % 100 + 1; /* 1..100 shuffled */
        n += (size_t)sprintf(buf + n, "{\"t\":%lld,\"ev\":\"run\",\"task\":1}\n", (long long)t);
        t += len;
        n += (size_t)sprintf(buf + n,
                             "{\"t\":%lld,\"ev\":\"yield\",\"task\":1,\"why\":\"yield\"}\n"
                             "{\"t\":%lld,\"ev\":\"ready\",\"task\":1,\"by\":1,\"why\":\"yield\"}\n",
                             (long long)t, (long long)t);
        t += 2 * len; /* latency: 2..200 */
    }
    n += (size_t)sprintf(buf + n, "{\"t\":%lld,\"ev\":\"end\",\"events\":0,\"dropped\":0}\n",
                         (long long)t);
    tr_trace *tr;
    ASSERT_OK(load_text(buf, n, &tr));
    test_spans_check(tr);
    const tr_task *k = tr_task_by_id(tr, 1);
    ASSERT_EQ(k->polls, 100);
    ASSERT_EQ(k->wakes, 100);
    ASSERT_EQ(k->run_p50, 50);
    ASSERT_EQ(k->run_p90, 90);
    ASSERT_EQ(k->run_p99, 99);
    ASSERT_EQ(k->run_max, 100);
    /* READY spans: the first (spawn -> run, 0 ns) and 99 of 2..200, the
     * last one ends at the trace's end (200 ns) */
    ASSERT_EQ(k->lat_max, 200);
    ASSERT_EQ(k->busy, 5050);
    const tr_summary *s = tr_summarize(tr);
    ASSERT_EQ(s->run_p50, 50);
    ASSERT_EQ(s->run_p99, 99);
    tr_free(tr);
    free(buf);

    int64_t v[] = {5, 1, 4, 2, 3};
    ASSERT_EQ(tr__percentile(v, 5, 50), 3);
    ASSERT_EQ(tr__percentile(v, 5, 1), 1);
    ASSERT_EQ(tr__percentile(v, 5, 100), 5);
    ASSERT_EQ(tr__percentile(v, 0, 50), 0);
    int64_t same[] = {7, 7, 7, 7};
    ASSERT_EQ(tr__percentile(same, 4, 90), 7);
}

/* A deterministic mini-fuzzer: every data file, mutated many ways (bytes
 * flipped, cut, lines doubled, digits made huge), must load or fail with a
 * message, never crash; what loads must keep the span invariants. Run it
 * under ASan/UBSan and valgrind. */
static void test_mutations(void)
{
    static const char *files[] = {"basic.jsonl", "stalls.jsonl", "deadlock3.jsonl",
                                  "mutexpair.jsonl", "work.jsonl", "unknown.jsonl"};
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int loaded = 0, failed = 0;
    for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
        size_t n;
        char *orig = slurp(data(files[fi]), &n);
        for (int round = 0; round < 400; round++) {
            char *buf = malloc(n * 2 + 64);
            size_t len = n;
            memcpy(buf, orig, n);
            int edits = 1 + round % 4;
            for (int k = 0; k < edits; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                size_t pos = (size_t)(x >> 8) % len;
                switch ((x >> 3) % 6) {
                case 0: buf[pos] = (char)(x >> 40); break;           /* any byte */
                case 1: len = pos + 1; break;                        /* cut */
                case 2: {
                    static const char special[] = "{}[]\",:0-9\n\\ e";
                    buf[pos] = special[(x >> 20) % (sizeof special - 1)];
                    break;
                }
                case 3: /* double a stretch (a line, often) */
                    if (pos + 40 <= len && len + 40 < n * 2 + 64) {
                        memmove(buf + pos + 40, buf + pos, len - pos);
                        len += 40;
                    }
                    break;
                case 4: /* a huge number */
                    if (buf[pos] >= '0' && buf[pos] <= '9' && len + 30 < n * 2 + 64) {
                        memmove(buf + pos + 30, buf + pos, len - pos);
                        memset(buf + pos, '9', 30);
                        len += 30;
                    }
                    break;
                default: buf[pos] = '\0'; break;
                }
            }
            tr_trace *tr = NULL;
            char *exact = malloc(len);
            memcpy(exact, buf, len);
            free(buf);
            int rc = tr_load_mem("m.jsonl", exact, len, NULL, &tr);
            if (rc == 0) {
                test_spans_check(tr);
                ASSERT_OK(tr_analyze(tr, NULL));
                tr_free(tr);
                loaded++;
            } else {
                ASSERT_EQ(rc, -EINVAL);
                ASSERT_OK(strncmp(tr_last_error(), "m.jsonl:", 8));
                failed++;
            }
            free(exact);
        }
        free(orig);
    }
    ASSERT_CMP(loaded, >, 100);
    ASSERT_CMP(failed, >, 100);
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"fmt_dur", test_fmt_dur},
        {"basic", test_basic},
        {"stalls", test_stalls},
        {"deadlock3", test_deadlock3},
        {"stuck_events", test_stuck_events},
        {"io_event", test_io_event},
        {"ending_lines", test_ending_lines},
        {"histograms", test_histograms},
        {"mutexpair", test_mutexpair},
        {"open_waits", test_open_waits},
        {"work", test_work},
        {"truncated", test_truncated},
        {"unknown", test_unknown},
        {"big_numbers", test_big_numbers},
        {"wide_values", test_wide_values},
        {"lines", test_lines},
        {"folded", test_folded},
        {"bad_inputs", test_bad_inputs},
        {"hostile", test_hostile},
        {"file_equals_mem", test_file_equals_mem},
        {"parallel", test_parallel},
        {"percentiles", test_percentiles},
        {"mutations", test_mutations},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
