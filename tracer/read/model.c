/* tracer/read/model.c: sorted events -> tasks, state spans, wake-ups, pool
 * work, loop idle time, per-task and overall stats.
 * Two passes over the events: the first checks them against the task
 * lifecycle and counts, the second writes every array at its final size
 * and place (each task's spans contiguous), so no array is built twice.
 * Oddities that leave the rest usable are warnings: a state event of an
 * exited task is ignored, as is a work_end with no open work_begin. A
 * transition to the state a task is already in opens no new span (spans
 * are maximal), though a repeated ready still counts as a wake-up. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tr_int.h"

#define NONE UINT32_MAX

static uint64_t work_key(const tr_event *e)
{
    return (uint64_t)e->task << 32 | e->arg;
}

static int is_state_event(int ev)
{
    return ev == TR_EV_READY || ev == TR_EV_RUN || ev == TR_EV_YIELD || ev == TR_EV_EXIT;
}

static uint8_t state_of(int ev)
{
    switch (ev) {
    case TR_EV_SPAWN:
    case TR_EV_READY: return TR_ST_READY;
    case TR_EV_RUN: return TR_ST_RUNNING;
    case TR_EV_YIELD: return TR_ST_WAITING;
    default: return TR_ST_DONE;
    }
}

typedef struct counts {
    size_t spans, wakes, works, idles, runs, readies;
    uint64_t after_exit;
    uint32_t after_exit_line, after_exit_task;
} counts;

static int never_spawned(tr_trace *tr, size_t i)
{
    tr__set_error("%s:%u: task %u was never spawned", tr->name, tr_ev_line(tr, i),
                  tr->ev[i].task);
    return -EINVAL;
}

/* The task a spawn names as its parent or a ready as its waker must be
 * known, like the task of any event (0 is the loop). */
static int unknown_ref(tr_trace *tr, size_t i)
{
    const tr_event *e = &tr->ev[i];
    if (e->arg == 0 || (e->ev != TR_EV_SPAWN && e->ev != TR_EV_READY) ||
        tr__map_get(&tr->task_idx, e->arg, 0))
        return 0;
    tr__set_error("%s:%u: \"%s\" task %u was never spawned", tr->name, tr_ev_line(tr, i),
                  e->ev == TR_EV_SPAWN ? "parent" : "by", e->arg);
    return -EINVAL;
}

/* Pass 1 at a spawn: the task's record (state and tasks grow by doubling). */
static int count_spawn(tr_trace *tr, size_t i, size_t *capp, uint8_t **state_out, counts *n)
{
    const tr_event *e = &tr->ev[i];
    uint8_t *state = *state_out;
    size_t cap = *capp;
    uint32_t *idx = tr__map_get(&tr->task_idx, e->task, 1);
    if (!idx)
        return -ENOMEM;
    if (*idx != NONE) {
        tr__set_error("%s:%u: task %u spawned twice", tr->name, tr_ev_line(tr, i),
                      e->task);
        return -EINVAL;
    }
    if (tr->ntasks == cap) {
        cap *= 2;
        uint8_t *s2 = realloc(state, cap);
        if (s2)
            *state_out = state = s2;
        tr_task *t2 = realloc(tr->tasks, cap * sizeof *t2);
        if (t2)
            tr->tasks = t2;
        if (!s2 || !t2)
            return -ENOMEM;
    }
    *idx = (uint32_t)tr->ntasks;
    tr_task *t = &tr->tasks[tr->ntasks++];
    memset(t, 0, sizeof *t);
    t->id = e->task;
    t->parent = e->arg;
    t->name = e->s;
    t->at = tr_ev_at(tr, e);
    t->spawn_t = e->t;
    t->exit_t = -1;
    if (unknown_ref(tr, i))
        return -EINVAL;
    uint32_t *p = e->arg ? tr__map_get(&tr->task_idx, e->arg, 0) : NULL;
    t->depth = p && *p != NONE && *p != *idx ? tr->tasks[*p].depth + 1 : 0;
    t->nspans = 1;
    state[*idx] = TR_ST_READY;
    n->spans++;
    *capp = cap;
    return 0;
}

/* Pass 1: tasks, checks, and the size of every array. */
static int pass_count(tr_trace *tr, uint8_t **state_out, counts *n)
{
    size_t cap = 64;
    uint8_t *state = malloc(cap);
    tr->tasks = malloc(cap * sizeof *tr->tasks);
    *state_out = state;
    if (!state || !tr->tasks || tr__map_init(&tr->task_idx, 64) != 0)
        return -ENOMEM;
    int in_poll = 0;
    for (size_t i = 0; i < tr->nev; i++) {
        const tr_event *e = &tr->ev[i];
        uint32_t *idx = NULL;
        if (e->ev == TR_EV_SPAWN) {
            int rc = count_spawn(tr, i, &cap, state_out, n);
            if (rc != 0)
                return rc;
            state = *state_out;
            continue;
        }
        if (e->task != 0) {
            idx = tr__map_get(&tr->task_idx, e->task, 0);
            if (!idx)
                return never_spawned(tr, i);
            if (unknown_ref(tr, i))
                return -EINVAL;
        }
        if (e->ev == TR_EV_RENAME) /* the task's name is its last one */
            tr->tasks[*idx].name = e->s;
        if (is_state_event(e->ev)) {
            tr_task *t = &tr->tasks[*idx];
            if (state[*idx] == TR_ST_DONE) {
                if (n->after_exit++ == 0) {
                    n->after_exit_line = tr_ev_line(tr, i);
                    n->after_exit_task = e->task;
                }
                continue;
            }
            uint8_t s = state_of(e->ev);
            if (s != state[*idx]) {
                state[*idx] = s;
                t->nspans++;
                n->spans++;
            }
            if (e->ev == TR_EV_READY) {
                t->wakes++;
                n->wakes++;
            } else if (e->ev == TR_EV_EXIT) {
                t->exit_t = e->t;
                t->status = e->why;
                t->has_code = (e->flags & TR_F_CODE) != 0;
                t->code = tr_ev_val(tr, e);
            }
        } else if (e->ev == TR_EV_WORK_BEGIN) {
            n->works++;
        } else if (e->ev == TR_EV_POLL_BEGIN && !in_poll) {
            in_poll = 1;
            n->idles++;
        } else if (e->ev == TR_EV_POLL_END) {
            in_poll = 0;
        }
    }
    return 0;
}

/* Pass 2 at work_begin / work_end: open a pool job, or close the one open
 * for the same task and thread (an end with none open is counted). */
static int fill_work(tr_trace *tr, size_t i, tr__map *open_work, uint64_t *unmatched,
                     uint32_t *unmatched_line)
{
    const tr_event *e = &tr->ev[i];
    if (e->ev == TR_EV_WORK_BEGIN) {
        uint32_t *w = tr__map_get(open_work, work_key(e), 1);
        if (!w)
            return -ENOMEM;
        *w = (uint32_t)tr->nworks;
        tr_work *wk = &tr->works[tr->nworks++];
        memset(wk, 0, sizeof *wk);
        wk->t0 = e->t;
        wk->t1 = -1;
        wk->task = e->task;
        wk->thread = e->arg;
        wk->name = e->s;
        return 0;
    }
    uint32_t *w = tr__map_get(open_work, work_key(e), 0);
    if (w && *w != NONE) {
        tr->works[*w].t1 = e->t;
        *w = NONE;
    } else if ((*unmatched)++ == 0) {
        *unmatched_line = tr_ev_line(tr, i);
    }
    return 0;
}

/* Pass 2: every span, wake-up, work and idle at its place. */
static int pass_fill(tr_trace *tr, uint8_t *state, counts *n, uint64_t *unmatched,
                     uint32_t *unmatched_line)
{
    size_t nt = tr->ntasks;
    uint32_t *cur = malloc((nt ? nt : 1) * sizeof *cur);
    uint32_t *fill = calloc(nt ? nt : 1, sizeof *fill);
    tr->spans = malloc((n->spans ? n->spans : 1) * sizeof *tr->spans);
    tr->span_order = malloc((n->spans ? n->spans : 1) * sizeof *tr->span_order);
    tr->wakes = malloc((n->wakes ? n->wakes : 1) * sizeof *tr->wakes);
    tr->works = malloc((n->works ? n->works : 1) * sizeof *tr->works);
    tr->idles = malloc((n->idles ? n->idles : 1) * sizeof *tr->idles);
    tr__map open_work = {0};
    int rc = -ENOMEM;
    if (!cur || !fill || !tr->spans || !tr->span_order || !tr->wakes || !tr->works ||
        !tr->idles || tr__map_init(&open_work, 16) != 0)
        goto out;
    uint32_t span0 = 0;
    for (size_t k = 0; k < nt; k++) {
        tr->tasks[k].span0 = span0;
        span0 += tr->tasks[k].nspans;
        cur[k] = NONE;
    }
    size_t no = 0;
    int in_poll = 0;
    for (size_t i = 0; i < tr->nev; i++) {
        const tr_event *e = &tr->ev[i];
        if (e->ev == TR_EV_SPAWN || is_state_event(e->ev)) {
            uint32_t k = *tr__map_get(&tr->task_idx, e->task, 0);
            uint8_t s = state_of(e->ev);
            if (e->ev == TR_EV_SPAWN) {
                state[k] = TR_ST__COUNT;
            } else if (state[k] == TR_ST_DONE) {
                continue;
            }
            if (e->ev == TR_EV_READY)
                tr->wakes[tr->nwakes++] = (uint32_t)i;
            if (s == state[k])
                continue;
            state[k] = s;
            if (cur[k] != NONE)
                tr->spans[cur[k]].t1 = e->t;
            uint32_t pos = tr->tasks[k].span0 + fill[k]++;
            tr_span *sp = &tr->spans[pos];
            memset(sp, 0, sizeof *sp);
            sp->t0 = e->t;
            sp->state = s;
            sp->ev0 = (uint32_t)i;
            if (s == TR_ST_WAITING) {
                sp->why = e->why;
                sp->op = e->op;
            }
            n->runs += s == TR_ST_RUNNING;
            n->readies += s == TR_ST_READY;
            cur[k] = pos;
            tr->span_order[no++] = pos;
        } else if (e->ev == TR_EV_WORK_BEGIN || e->ev == TR_EV_WORK_END) {
            if (fill_work(tr, i, &open_work, unmatched, unmatched_line) != 0)
                goto out;
        } else if (e->ev == TR_EV_POLL_BEGIN && !in_poll) {
            in_poll = 1;
            tr->idles[tr->nidles++] = (tr_idle){.t0 = e->t, .t1 = tr->head.duration};
        } else if (e->ev == TR_EV_POLL_END && in_poll) {
            in_poll = 0;
            tr->idles[tr->nidles - 1].t1 = e->t;
        }
    }
    for (size_t k = 0; k < nt; k++)
        if (cur[k] != NONE)
            tr->spans[cur[k]].t1 = tr->head.duration;
    tr->nspans = no;
    rc = 0;
out:
    tr__map_free(&open_work);
    free(cur);
    free(fill);
    return rc;
}

/* ---- percentiles ---- */

static void swap64(int64_t *a, int64_t *b)
{
    int64_t x = *a;
    *a = *b;
    *b = x;
}

/* Moves the k-th smallest of v[0..n) to v[k] (Hoare's selection). */
static void select_kth(int64_t *v, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (hi > lo) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap64(&v[mid], &v[lo]);
        if (v[hi] < v[lo])
            swap64(&v[hi], &v[lo]);
        if (v[hi] < v[mid])
            swap64(&v[hi], &v[mid]);
        int64_t pivot = v[mid];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j)
                swap64(&v[i++], &v[j--]);
        }
        if (kk <= j)
            hi = j;
        else if (kk >= i)
            lo = i;
        else
            return;
    }
}

int64_t tr__percentile(int64_t *v, size_t n, int p)
{
    if (n == 0)
        return 0;
    size_t rank = ((size_t)p * n + 99) / 100; /* nearest rank: ceil(p/100 n) */
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    select_kth(v, n, rank - 1);
    return v[rank - 1];
}

static void pcts(int64_t *v, size_t n, int64_t out[4])
{
    int64_t mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = v[i] > mx ? v[i] : mx;
    out[0] = tr__percentile(v, n, 50);
    out[1] = tr__percentile(v, n, 90);
    out[2] = tr__percentile(v, n, 99);
    out[3] = mx;
}

/* Per-task totals and percentiles, then the same over all tasks. Each task's
 * run slices fill the next stretch of one array, so the overall percentile
 * needs no second copy. Cut-off slices (still running at the end) count. */
static int stats(tr_trace *tr, const counts *n)
{
    int64_t *runs = malloc((n->runs ? n->runs : 1) * sizeof *runs);
    int64_t *lats = malloc((n->readies ? n->readies : 1) * sizeof *lats);
    if (!runs || !lats) {
        free(runs);
        free(lats);
        return -ENOMEM;
    }
    size_t nr = 0, nl = 0;
    tr_summary *s = &tr->sum;
    for (size_t k = 0; k < tr->ntasks; k++) {
        tr_task *t = &tr->tasks[k];
        size_t r0 = nr, l0 = nl;
        for (uint32_t j = 0; j < t->nspans; j++) {
            const tr_span *sp = &tr->spans[t->span0 + j];
            int64_t d = sp->t1 - sp->t0;
            switch (sp->state) {
            case TR_ST_RUNNING: t->busy += d, t->polls++, runs[nr++] = d; break;
            case TR_ST_READY: t->ready += d, lats[nl++] = d; break;
            case TR_ST_WAITING: t->waiting += d; break;
            default: break;
            }
        }
        int64_t q[4];
        pcts(runs + r0, nr - r0, q);
        t->run_p50 = q[0], t->run_p90 = q[1], t->run_p99 = q[2], t->run_max = q[3];
        pcts(lats + l0, nl - l0, q);
        t->lat_p50 = q[0], t->lat_p90 = q[1], t->lat_p99 = q[2], t->lat_max = q[3];
        s->polls += t->polls;
        s->wakes += t->wakes;
        s->exited += t->exit_t >= 0;
        s->cancelled += t->exit_t >= 0 && t->status == TR_STATUS_CANCELLED;
        s->errored += t->exit_t >= 0 && t->status == TR_STATUS_ERROR;
    }
    int64_t q[4];
    pcts(runs, nr, q);
    s->run_p50 = q[0], s->run_p90 = q[1], s->run_p99 = q[2], s->run_max = q[3];
    pcts(lats, nl, q);
    s->lat_p50 = q[0], s->lat_p90 = q[1], s->lat_p99 = q[2], s->lat_max = q[3];
    free(runs);
    free(lats);
    s->events = tr->nev;
    s->tasks = s->spawned = tr->ntasks;
    s->duration = tr->head.duration;
    s->loop_idle = tr->idle_before[tr->nidles];
    s->loop_busy = s->duration - s->loop_idle;
    return 0;
}

int tr__model_build(tr_trace *tr)
{
    counts n;
    memset(&n, 0, sizeof n);
    uint8_t *state = NULL;
    uint64_t unmatched = 0;
    uint32_t unmatched_line = 0;
    int rc = pass_count(tr, &state, &n);
    if (rc == 0)
        rc = pass_fill(tr, state, &n, &unmatched, &unmatched_line);
    free(state);
    if (rc == 0) {
        tr->idle_before = malloc((tr->nidles + 1) * sizeof *tr->idle_before);
        if (!tr->idle_before)
            rc = -ENOMEM;
    }
    if (rc == 0) {
        tr->idle_before[0] = 0;
        for (size_t i = 0; i < tr->nidles; i++)
            tr->idle_before[i + 1] = tr->idle_before[i] + (tr->idles[i].t1 - tr->idles[i].t0);
        rc = stats(tr, &n);
    }
    if (rc == 0)
        rc = tr__objs_build(tr);
    if (rc == 0 && n.after_exit)
        rc = tr__warn(tr, "%s:%u: task %u is active after its exit (%llu event%s ignored)",
                      tr->name, n.after_exit_line, n.after_exit_task,
                      (unsigned long long)n.after_exit, n.after_exit == 1 ? "" : "s");
    if (rc == 0 && unmatched)
        rc = tr__warn(tr, "%s:%u: work_end without a work_begin (%llu ignored)", tr->name,
                      unmatched_line, (unsigned long long)unmatched);
    if (rc == -ENOMEM)
        tr__set_error("%s: out of memory", tr->name);
    return rc;
}

void tr__model_free(tr_trace *tr)
{
    free(tr->tasks);
    tr__map_free(&tr->task_idx);
    free(tr->spans);
    free(tr->span_order);
    free(tr->wakes);
    free(tr->works);
    free(tr->idles);
    free(tr->idle_before);
    free(tr->objs);
}

int64_t tr__idle_within(const tr_trace *tr, int64_t a, int64_t b)
{
    /* idle time before x = whole idles ending before x + part of the one
     * containing x; idles are ordered and disjoint. */
    int64_t before[2];
    int64_t xs[2] = {a, b};
    for (int j = 0; j < 2; j++) {
        size_t lo = 0, hi = tr->nidles;
        while (lo < hi) { /* first idle with t1 > x */
            size_t mid = lo + (hi - lo) / 2;
            if (tr->idles[mid].t1 <= xs[j])
                lo = mid + 1;
            else
                hi = mid;
        }
        before[j] = tr->idle_before[lo];
        if (lo < tr->nidles && tr->idles[lo].t0 < xs[j])
            before[j] += xs[j] - tr->idles[lo].t0;
    }
    return before[1] - before[0];
}

/* ---- accessors ---- */

size_t tr_ntasks(const tr_trace *tr) { return tr ? tr->ntasks : 0; }
const tr_task *tr_tasks(const tr_trace *tr) { return tr ? tr->tasks : NULL; }

const tr_task *tr_task_by_id(const tr_trace *tr, uint32_t id)
{
    if (!tr)
        return NULL;
    uint32_t *k = tr__map_get((tr__map *)&tr->task_idx, id, 0);
    return k ? &tr->tasks[*k] : NULL;
}

size_t tr_nspans(const tr_trace *tr) { return tr ? tr->nspans : 0; }
const tr_span *tr_spans(const tr_trace *tr) { return tr ? tr->spans : NULL; }
size_t tr_nwakeups(const tr_trace *tr) { return tr ? tr->nwakes : 0; }

tr_wakeup tr_wakeup_get(const tr_trace *tr, size_t i)
{
    tr_wakeup w;
    memset(&w, 0, sizeof w); /* padding too: views compare bytewise */
    if (!tr || i >= tr->nwakes)
        return w;
    const tr_event *e = &tr->ev[tr->wakes[i]];
    w.t = e->t;
    w.from = e->arg;
    w.to = e->task;
    w.why = e->why;
    w.ev = tr->wakes[i];
    return w;
}

size_t tr_nworks(const tr_trace *tr) { return tr ? tr->nworks : 0; }
const tr_work *tr_works(const tr_trace *tr) { return tr ? tr->works : NULL; }
size_t tr_nidles(const tr_trace *tr) { return tr ? tr->nidles : 0; }
const tr_idle *tr_idles(const tr_trace *tr) { return tr ? tr->idles : NULL; }
const int64_t *tr_idle_sums(const tr_trace *tr) { return tr ? tr->idle_before : NULL; }
int64_t tr_idle_within(const tr_trace *tr, int64_t a, int64_t b)
{
    return tr && tr->idle_before && b > a ? tr__idle_within(tr, a, b) : 0;
}
const tr_summary *tr_summarize(const tr_trace *tr) { return tr ? &tr->sum : NULL; }

size_t tr_span_find(const tr_trace *tr, uint32_t task, int64_t t)
{
    const tr_task *tk = tr_task_by_id(tr, task);
    if (!tk || t < tk->spawn_t || t > tr->head.duration)
        return SIZE_MAX;
    /* the last span starting at or before t: zero-length spans at t lose to
     * the one that follows them */
    size_t lo = tk->span0, hi = (size_t)tk->span0 + tk->nspans;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->spans[mid].t0 <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > tk->span0 ? lo - 1 : SIZE_MAX;
}

/* ---- what a span's opening event says ---- */

static const tr_event *opener(const tr_trace *tr, const tr_span *sp)
{
    return tr && sp && sp->ev0 < tr->nev ? &tr->ev[sp->ev0] : NULL;
}

uint32_t tr_span_task(const tr_trace *tr, const tr_span *sp)
{
    const tr_event *e = opener(tr, sp);
    return e ? e->task : 0;
}

uint32_t tr_span_site(const tr_trace *tr, const tr_span *sp)
{
    const tr_event *e = opener(tr, sp);
    return e && sp->state == TR_ST_WAITING ? tr_ev_at(tr, e) : 0;
}

uint32_t tr_span_obj(const tr_trace *tr, const tr_span *sp)
{
    const tr_event *e = opener(tr, sp);
    return e && sp->state == TR_ST_WAITING && (e->flags & TR_F_OBJ) ? e->arg : 0;
}

int64_t tr_span_fd(const tr_trace *tr, const tr_span *sp)
{
    const tr_event *e = opener(tr, sp);
    return e && sp->state == TR_ST_WAITING && (e->flags & TR_F_FD) ? tr_ev_val(tr, e) : -1;
}

uint32_t tr_span_end_ev(const tr_trace *tr, size_t i)
{
    if (!tr || i >= tr->nspans)
        return NONE;
    const tr_task *tk = tr_task_by_id(tr, tr_span_task(tr, &tr->spans[i]));
    if (!tk || i + 1 >= (size_t)tk->span0 + tk->nspans)
        return NONE;
    return tr->spans[i + 1].ev0;
}
