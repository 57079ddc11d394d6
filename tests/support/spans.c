/* tests/support/spans.c: the span-invariant walker (spans.h), one loop over
 * the tasks and one over each task's spans, every check an ASSERT of
 * tests/test.h. */
#include "spans.h"

#include <string.h>

#include "test.h"

/* int64 fields summed without signed overflow */
#define U(x) ((uint64_t)(x))

/* strlen forces a read of every byte up to the NUL. */
static uint64_t str_sum(const tr_trace *tr, uint32_t id)
{
    const char *s = tr_str(tr, id);
    ASSERT(s != NULL);
    return strlen(s) + (unsigned char)s[0];
}

/* Span j of task t: in range, begun at its event, ended by the next. */
static uint64_t check_span(const tr_trace *tr, const tr_task *t, uint32_t j)
{
    const tr_span *s = &tr_spans(tr)[t->span0 + j];
    size_t nev = tr_nevents(tr);
    uint32_t ev1 = tr_span_end_ev(tr, t->span0 + j);
    ASSERT_EQ(tr_span_task(tr, s), t->id);
    ASSERT_CMP(s->state, <, TR_ST__COUNT);
    ASSERT_CMP(s->t0, <=, s->t1);
    ASSERT_CMP(s->ev0, <, nev);
    ASSERT_EQ(tr_events(tr)[s->ev0].t, s->t0);
    if (j + 1 < t->nspans) {
        ASSERT_EQ(s->t1, s[1].t0);           /* gap-free */
        ASSERT_NE(s->state, s[1].state);     /* one state at a time */
        ASSERT_EQ(ev1, s[1].ev0);            /* the next one's event ends it */
        ASSERT_CMP(ev1, <, nev);
        ASSERT_NE(s->state, TR_ST_DONE);     /* done is last */
    } else {
        ASSERT_EQ(ev1, UINT32_MAX);
    }
    if (s->state != TR_ST_WAITING) {
        ASSERT_EQ(tr_span_fd(tr, s), -1);
        ASSERT_EQ(tr_span_obj(tr, s), 0);
        ASSERT_EQ(tr_span_site(tr, s), 0);
    }
    return U(s->t0) + U(s->t1) + (uint64_t)tr_span_fd(tr, s) + s->why + s->op +
           tr_span_obj(tr, s) + str_sum(tr, tr_span_site(tr, s));
}

/* Task i: its place among the tasks, its life from spawn to the end. */
static uint64_t check_task(const tr_trace *tr, size_t i, size_t span0)
{
    const tr_task *t = &tr_tasks(tr)[i];
    const tr_span *sp = tr_spans(tr);
    int64_t dur = tr_head(tr)->duration;
    ASSERT(tr_task_by_id(tr, t->id) == t);
    if (i > 0)
        ASSERT_CMP(tr_tasks(tr)[i - 1].spawn_t, <=, t->spawn_t);
    ASSERT_EQ(t->span0, span0); /* contiguous, in task order */
    ASSERT_CMP(t->nspans, >=, 1);
    ASSERT_CMP((size_t)t->span0 + t->nspans, <=, tr_nspans(tr));
    uint64_t sum = t->id + t->parent + t->depth + t->status + t->has_code + (uint64_t)t->code +
                   t->polls + t->wakes + U(t->busy) + U(t->ready) + U(t->waiting) +
                   U(t->run_p50) + U(t->run_p90) + U(t->run_p99) + U(t->run_max) +
                   U(t->lat_p50) + U(t->lat_p90) + U(t->lat_p99) + U(t->lat_max) +
                   U(t->exit_t);
    sum += str_sum(tr, t->name) + str_sum(tr, t->at);
    int64_t covered = 0;
    for (uint32_t j = 0; j < t->nspans; j++) {
        sum += check_span(tr, t, j);
        covered += sp[t->span0 + j].t1 - sp[t->span0 + j].t0;
    }
    const tr_span *first = &sp[t->span0], *last = &sp[t->span0 + t->nspans - 1];
    ASSERT_EQ(first->t0, t->spawn_t);
    ASSERT_EQ(first->state, TR_ST_READY);
    ASSERT_EQ(last->t1, dur);
    ASSERT_EQ(covered, dur - t->spawn_t);
    if (t->exit_t >= 0) {
        ASSERT_EQ(last->state, TR_ST_DONE);
        ASSERT_EQ(last->t0, t->exit_t);
    } else {
        ASSERT_NE(last->state, TR_ST_DONE);
    }
    ASSERT_EQ(t->busy + t->ready + t->waiting + (t->exit_t >= 0 ? dur - t->exit_t : 0),
              dur - t->spawn_t);
    /* the span covering the spawn instant is found by the lookup */
    ASSERT_CMP(tr_span_find(tr, t->id, t->spawn_t), <, tr_nspans(tr));
    return sum;
}

uint64_t test_spans_check(const tr_trace *tr)
{
    ASSERT(tr != NULL);
    uint64_t sum = 0;
    size_t total = 0;
    for (size_t i = 0; i < tr_ntasks(tr); i++) {
        sum += check_task(tr, i, total);
        total += tr_tasks(tr)[i].nspans;
    }
    ASSERT_EQ(total, tr_nspans(tr));
    ASSERT(tr_task_by_id(tr, UINT32_MAX) == NULL || tr_ntasks(tr) > 0);
    for (size_t i = 1; i < tr_nevents(tr); i++)
        ASSERT_CMP(tr_events(tr)[i - 1].t, <=, tr_events(tr)[i].t);
    return sum;
}
