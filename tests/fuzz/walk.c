/* tests/fuzz/walk.c: every array of a loaded trace, read and checked.
 * Reading each element (and each string it names) is what lets ASan see an
 * array that is shorter than its count says; the checks are only those the
 * public header promises for every trace, whatever its input was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spans.h"
#include "walk.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: trace contract broken: %s\n", __FILE__,    \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* int64 fields summed without signed overflow */
#define U(x) ((uint64_t)(x))

/* strlen forces a read of every byte up to the NUL. */
static uint64_t str_sum(const tr_trace *tr, uint32_t id)
{
    const char *s = tr_str(tr, id);
    CHECK(s != NULL);
    return strlen(s) + (unsigned char)s[0];
}

static uint64_t walk_events(const tr_trace *tr)
{
    uint64_t sum = 0;
    size_t n = tr_nevents(tr);
    const tr_event *ev = tr_events(tr);
    CHECK(n == 0 || ev != NULL);
    for (size_t i = 0; i < n; i++) {
        const tr_event *e = &ev[i];
        CHECK(e->ev < TR_EV__COUNT);
        CHECK(i == 0 || e->t >= ev[i - 1].t); /* sorted by t */
        CHECK(tr_ev_line(tr, i) >= 2);        /* line 1 is the header */
        /* one line, one event, but for format v2's folded lines: their two
         * or three events are adjacent, at the line's t */
        CHECK(i == 0 || tr_ev_line(tr, i) != tr_ev_line(tr, i - 1) || e->t == ev[i - 1].t);
        sum += (uint64_t)e->t + e->task + e->why + e->op + e->flags + e->arg +
               (uint64_t)tr_ev_val(tr, e) + (uint64_t)tr_ev_val2(tr, e);
        sum += str_sum(tr, tr_ev_str(e)) + str_sum(tr, tr_ev_at(tr, e));
    }
    /* binary search: the first event at or after t */
    if (n > 0) {
        CHECK(tr_event_at(tr, ev[0].t) == 0);
        CHECK(tr_event_at(tr, ev[n - 1].t) < n);
        CHECK(tr_event_at(tr, INT64_MAX) <= n);
        CHECK(tr_event_at(tr, INT64_MIN) == 0);
    }
    return sum;
}


static uint64_t walk_rest(const tr_trace *tr)
{
    uint64_t sum = 0;
    size_t nev = tr_nevents(tr);
    int64_t prev_t = 0;
    for (size_t i = 0; i < tr_nwakeups(tr); i++) {
        tr_wakeup w = tr_wakeup_get(tr, i);
        CHECK(i == 0 || w.t >= prev_t);
        CHECK(w.ev < nev);
        CHECK(w.why < TR_WAKE__COUNT);
        CHECK(tr_events(tr)[w.ev].ev == TR_EV_READY);
        sum += (uint64_t)w.t + w.from + w.to;
        prev_t = w.t;
    }
    const tr_work *wk = tr_works(tr);
    for (size_t i = 0; i < tr_nworks(tr); i++) {
        CHECK(i == 0 || wk[i].t0 >= wk[i - 1].t0);
        sum += U(wk[i].t0) + U(wk[i].t1) + wk[i].task + wk[i].thread +
               str_sum(tr, wk[i].name);
    }
    const tr_idle *id = tr_idles(tr);
    for (size_t i = 0; i < tr_nidles(tr); i++) {
        CHECK(i == 0 || id[i].t0 >= id[i - 1].t0);
        sum += U(id[i].t0) + U(id[i].t1);
    }
    const tr_summary *s = tr_summarize(tr);
    CHECK(s != NULL);
    sum += s->events + s->tasks + s->spawned + s->exited + s->cancelled +
           s->errored + U(s->duration) + U(s->loop_busy) + U(s->loop_idle) +
           s->polls + s->wakes + U(s->run_p50) + U(s->run_p99) + U(s->lat_p50) +
           U(s->lat_max);
    char buf[32];
    sum += strlen(tr_fmt_dur(buf, sizeof buf, s->duration));
    sum += strlen(tr_fmt_dur(buf, sizeof buf, s->run_max));
    const tr_header *h = tr_head(tr);
    CHECK(h->program != NULL);
    sum += strlen(h->program) + (uint64_t)h->pid + (uint64_t)h->unix_ns +
           h->end_events + h->end_dropped + h->unknown_events +
           h->unknown_fields + (uint64_t)h->truncated;
    for (size_t i = 0; i < tr_nwarnings(tr); i++) {
        const char *m = tr_warning(tr, i);
        CHECK(m != NULL && m[0] != '\0');
        sum += strlen(m);
    }
    CHECK(tr_warning(tr, tr_nwarnings(tr)) == NULL);
    return sum;
}

/* Stalls, their victims and the deadlock cycles. The victim and cycle
 * arrays have no public count: read as far as the stalls point. */
static uint64_t walk_analysis(const tr_trace *tr)
{
    uint64_t sum = 0;
    size_t n = tr_nstalls(tr), nc = tr_ncycles(tr), nvict = 0, ncyc_tasks = 0;
    const tr_stall *st = tr_stalls(tr);
    const tr_cycle *cy = tr_cycles(tr);
    for (size_t i = 0; i < n; i++) {
        const tr_stall *s = &st[i];
        CHECK(s->kind < TR_STALL__COUNT);
        CHECK(i == 0 || s->t > st[i - 1].t ||
              (s->t == st[i - 1].t && s->task >= st[i - 1].task));
        CHECK(s->span < tr_nspans(tr));
        CHECK(s->cycle == -1 || (s->cycle >= 0 && (size_t)s->cycle < nc));
        CHECK(s->dur >= 0);
        if ((size_t)s->victim0 + s->nvictims > nvict)
            nvict = (size_t)s->victim0 + s->nvictims;
        sum += U(s->t) + U(s->dur) + s->task + s->obj + s->waits_on +
               str_sum(tr, s->at);
    }
    const tr_victim *v = tr_victims(tr);
    for (size_t i = 0; i < nvict; i++)
        sum += v[i].task + (uint64_t)v[i].waited;
    for (size_t i = 0; i < nc; i++) {
        CHECK(cy[i].ntasks > 0);
        if ((size_t)cy[i].task0 + cy[i].ntasks > ncyc_tasks)
            ncyc_tasks = (size_t)cy[i].task0 + cy[i].ntasks;
    }
    const uint32_t *ct = tr_cycle_tasks(tr);
    for (size_t i = 0; i < ncyc_tasks; i++)
        sum += ct[i];
    return sum;
}

uint64_t fuzz_walk(const tr_trace *tr, int analysed)
{
    CHECK(tr != NULL);
    /* tasks and spans: the suites' one walker (tests/support/spans.h) */
    uint64_t sum = walk_events(tr) + test_spans_check(tr) + walk_rest(tr);
    if (analysed)
        sum += walk_analysis(tr);
    return sum;
}
