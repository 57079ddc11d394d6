/* tracer/read/analysis.c: stalls and deadlocks from the model.
 * One walk over the spans in time order finds blocked slices (with the
 * tasks they kept waiting), long scheduling latencies and long waits; the
 * tasks still waiting at the end are STUCK, and the wait-for graph among
 * them (join -> joined task, lock -> holder, chan -> its other users when
 * all of those are stuck) gives the deadlock cycles.
 * Choices: LATENCY counts only the part of a READY span the loop was not
 * idle in the poller (the stall reports the whole span); WAIT skips waits
 * still open at the end (those are STUCK); a stuck task that waits on a
 * cycle without being in it has cycle -1 and waits_on set; a channel's
 * "users" are the tasks that ever waited on it, and waits_on names the
 * lowest-id other user when all of them are stuck. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tr_int.h"

#define NONE UINT32_MAX

typedef struct vec {
    void *p;
    size_t n, cap, size;
} vec;

static void *vec_push(vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        void *p = realloc(v->p, cap * v->size);
        if (!p)
            return NULL;
        v->p = p;
        v->cap = cap;
    }
    return (char *)v->p + v->size * v->n++;
}

void tr__analysis_free(tr_trace *tr)
{
    free(tr->stalls);
    free(tr->victims);
    free(tr->cycles);
    free(tr->cycle_tasks);
    tr->stalls = NULL;
    tr->victims = NULL;
    tr->cycles = NULL;
    tr->cycle_tasks = NULL;
    tr->nstalls = tr->nvictims = tr->ncycles = tr->ncycle_tasks = 0;
    tr__causes_free(tr);
}

/* The waits a long one of is a stall: on another task or the world. A
 * sleep is asked for, and so is a co_signal_wait (a server waiting for
 * SIGTERM is idle, not stalled). */
static int long_wait_kind(int why)
{
    switch (why) {
    case TR_WAIT_IO:
    case TR_WAIT_LOCK:
    case TR_WAIT_CHAN_SEND:
    case TR_WAIT_CHAN_RECV:
    case TR_WAIT_JOIN:
    case TR_WAIT_WORK:
    case TR_WAIT_SELECT:
    case TR_WAIT_SEM:
    case TR_WAIT_COND:
    case TR_WAIT_GROUP:
        return 1;
    default:
        return 0;
    }
}

static int is_chan(int why) { return why == TR_WAIT_CHAN_SEND || why == TR_WAIT_CHAN_RECV; }

/* The tasks READY during the blocking slice [a, b), in the order they
 * became ready. `active` keeps READY spans that may still overlap a later
 * slice; `*next` walks span_order. Slices come in t0 order, so a span that
 * ended before this slice began can be forgotten. */
static int victims_of(tr_trace *tr, const tr_span *slice, vec *active, size_t *next,
                      vec *victims, tr_stall *st)
{
    int64_t a = slice->t0, b = slice->t1;
    uint32_t *act = active->p;
    size_t keep = 0;
    for (size_t i = 0; i < active->n; i++)
        if (tr->spans[act[i]].t1 > a)
            act[keep++] = act[i];
    active->n = keep;
    for (; *next < tr->nspans; (*next)++) {
        uint32_t si = tr->span_order[*next];
        const tr_span *sp = &tr->spans[si];
        if (sp->t0 >= b)
            break;
        if (sp->state != TR_ST_READY || sp->t1 <= a)
            continue;
        uint32_t *slot = vec_push(active);
        if (!slot)
            return -ENOMEM;
        *slot = si;
    }
    act = active->p;
    st->victim0 = (uint32_t)victims->n;
    for (size_t i = 0; i < active->n; i++) {
        const tr_span *sp = &tr->spans[act[i]];
        int64_t lo = sp->t0 > a ? sp->t0 : a, hi = sp->t1 < b ? sp->t1 : b;
        uint32_t task = tr_span_task(tr, sp);
        if (hi <= lo || task == tr_span_task(tr, slice))
            continue;
        tr_victim *v = vec_push(victims);
        if (!v)
            return -ENOMEM;
        memset(v, 0, sizeof *v); /* padding too: results compare bytewise */
        v->task = task;
        v->waited = hi - lo;
    }
    st->nvictims = (uint32_t)(victims->n - st->victim0);
    return 0;
}

static tr_stall *add_stall(const tr_trace *tr, vec *stalls, int kind, const tr_span *sp,
                           uint32_t span)
{
    tr_stall *st = vec_push(stalls);
    if (!st)
        return NULL;
    memset(st, 0, sizeof *st);
    st->kind = (uint8_t)kind;
    st->task = tr_span_task(tr, sp);
    st->t = sp->t0;
    st->dur = sp->t1 - sp->t0;
    st->span = span;
    st->cycle = -1;
    return st;
}

/* ---- stuck tasks and the wait-for graph ---- */

/* Per channel a stuck task waits on, per side (0: chan_send, 1: chan_recv):
 * the two lowest ids of stuck tasks that ever waited on that side. Only a
 * task on the other side can unblock a waiter (send to a receiver, receive
 * from a sender), so that is where its wait-for edge points; with nobody
 * stuck on the other side there is no edge: nobody left to do it. */
typedef struct chan_info {
    uint32_t min1[2], min2[2];
} chan_info;

static void chan_user(chan_info *info, int side, uint32_t task)
{
    if (!info->min1[side] || task < info->min1[side]) {
        info->min2[side] = info->min1[side];
        info->min1[side] = task;
    } else if (task != info->min1[side] && (!info->min2[side] || task < info->min2[side])) {
        info->min2[side] = task;
    }
}

/* Fills waits_on of the n STUCK stalls in st. Mutex holders are taken as
 * of event index `upto`: the first `stuck` event when the runtime reported
 * a deadlock (it cancels the tasks next, releasing their locks), else the
 * end of the trace. */
static int wait_for_edges(tr_trace *tr, tr_stall *st, size_t n, size_t upto)
{
    tr__map holder = {0}, chans = {0}, users = {0}, stuck = {0};
    chan_info *ci = calloc(n, sizeof *ci);
    uint32_t nchans = 0;
    int rc = -ENOMEM;
    if (!ci || tr__map_init(&holder, 16) || tr__map_init(&chans, 16) ||
        tr__map_init(&users, 16) || tr__map_init(&stuck, n))
        goto out;
    for (size_t i = 0; i < n; i++) {
        uint32_t *v = tr__map_get(&stuck, st[i].task, 1);
        if (!v)
            goto out;
        *v = (uint32_t)i;
        if (is_chan(st[i].why)) {
            uint32_t *c = tr__map_get(&chans, st[i].obj, 1);
            if (!c)
                goto out;
            if (*c == NONE)
                *c = nchans++;
        }
    }
    /* mutex holders at the cut; who ever waited on the channels in question */
    for (size_t i = 0; i < upto; i++) {
        const tr_event *e = &tr->ev[i];
        if (e->ev == TR_EV_ACQUIRE) {
            uint32_t *h = tr__map_get(&holder, e->arg, 1);
            if (!h)
                goto out;
            *h = e->task;
        } else if (e->ev == TR_EV_RELEASE) {
            uint32_t *h = tr__map_get(&holder, e->arg, 0);
            if (h && *h == e->task)
                *h = 0;
        } else if (e->ev == TR_EV_YIELD && is_chan(e->why) && (e->flags & TR_F_OBJ)) {
            uint32_t *c = tr__map_get(&chans, e->arg, 0);
            if (!c)
                continue;
            uint64_t side = e->why == TR_WAIT_CHAN_RECV;
            uint32_t *u = tr__map_get(&users, ((uint64_t)e->arg << 32 | e->task) << 1 | side, 1);
            if (!u)
                goto out;
            if (*u != NONE)
                continue;
            *u = 1;
            if (tr__map_get(&stuck, e->task, 0))
                chan_user(&ci[*c], e->why == TR_WAIT_CHAN_RECV, e->task);
        }
    }
    for (size_t i = 0; i < n; i++) {
        tr_stall *s = &st[i];
        if (s->why == TR_WAIT_JOIN) {
            s->waits_on = s->obj;
        } else if (s->why == TR_WAIT_LOCK) {
            uint32_t *h = tr__map_get(&holder, s->obj, 0);
            s->waits_on = h && *h != NONE ? *h : 0;
        } else if (is_chan(s->why)) {
            const chan_info *info = &ci[*tr__map_get(&chans, s->obj, 0)];
            int other = s->why == TR_WAIT_CHAN_SEND; /* the side that could unblock it */
            s->waits_on = info->min1[other] != s->task ? info->min1[other] : info->min2[other];
        }
    }
    rc = 0;
out:
    free(ci);
    tr__map_free(&holder);
    tr__map_free(&chans);
    tr__map_free(&users);
    tr__map_free(&stuck);
    return rc;
}

/* Walks the wait-for chain from stall *cur, marking each stall it lists in
 * path 1 in color, until one with no edge or one seen before (color != 0):
 * then *met is 1 and *cur is that one. Returns how many it listed. */
static size_t walk_chain(const tr_stall *st, tr__map *at, uint8_t *color, uint32_t *path,
                         uint32_t *cur, int *met)
{
    size_t len = 0;
    *met = 0;
    while (color[*cur] == 0) {
        color[*cur] = 1;
        path[len++] = *cur;
        uint32_t *nx = st[*cur].waits_on ? tr__map_get(at, st[*cur].waits_on, 0) : NULL;
        if (!nx)
            return len;
        *cur = *nx;
    }
    *met = 1;
    return len;
}

/* A stuck task that waits (through its wait-for chain) on one that waits
 * forever waits forever too: it is not `open`, trace end or not. `color`
 * and `path` are find_cycles' scratch arrays of n. */
static void close_open_waits(tr_stall *st, size_t n, tr__map *at, uint8_t *color, uint32_t *path)
{
    memset(color, 0, n); /* 0: not seen, 1: on this walk, 2: decided */
    for (size_t i = 0; i < n; i++) {
        uint32_t cur = (uint32_t)i;
        int met;
        size_t len = walk_chain(st, at, color, path, &cur, &met), upto = len;
        for (size_t j = 0; j < len && upto == len; j++)
            if (!st[path[j]].open)
                upto = j; /* what waits on it waits forever */
        if (upto == len && !(met && color[cur] == 2 && !st[cur].open))
            upto = 0;
        for (size_t j = 0; j < len; j++) {
            color[path[j]] = 2;
            if (j < upto)
                st[path[j]].open = 0;
        }
    }
}

/* Cycles of the wait-for graph among stuck tasks. Every stuck task has at
 * most one edge, so a walk from each task finds every cycle once; a cycle
 * is listed from its earliest-spawned task. */
static int find_cycles(tr_trace *tr, tr_stall *st, size_t n)
{
    tr__map at = {0};
    uint8_t *color = calloc(n ? n : 1, 1);
    uint32_t *path = malloc((n ? n : 1) * sizeof *path);
    vec cycles = {.size = sizeof(tr_cycle)}, members = {.size = sizeof(uint32_t)};
    int rc = -ENOMEM;
    if (!color || !path || tr__map_init(&at, n))
        goto out;
    for (size_t i = 0; i < n; i++) {
        uint32_t *v = tr__map_get(&at, st[i].task, 1);
        if (!v)
            goto out;
        *v = (uint32_t)i;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t cur = (uint32_t)i;
        int met;
        size_t len = walk_chain(st, &at, color, path, &cur, &met);
        if (met && color[cur] == 1) { /* came back onto this walk: a cycle */
            size_t from = len;
            while (from > 0 && path[from - 1] != cur)
                from--;
            from--;
            size_t first = from; /* stalls are in spawn order: lowest index */
            for (size_t j = from; j < len; j++)
                if (path[j] < path[first])
                    first = j;
            tr_cycle *c = vec_push(&cycles);
            if (!c)
                goto out;
            c->task0 = (uint32_t)members.n;
            c->ntasks = (uint32_t)(len - from);
            for (size_t j = 0; j < len - from; j++) {
                uint32_t k = path[from + (first - from + j) % (len - from)];
                uint32_t *m = vec_push(&members);
                if (!m)
                    goto out;
                *m = st[k].task;
                st[k].cycle = (int32_t)(cycles.n - 1);
                st[k].open = 0; /* a cycle waits forever, trace end or not */
            }
        }
        for (size_t j = 0; j < len; j++)
            color[path[j]] = 2;
    }
    close_open_waits(st, n, &at, color, path);
    tr->cycles = cycles.p;
    tr->ncycles = cycles.n;
    tr->cycle_tasks = members.p;
    tr->ncycle_tasks = members.n;
    cycles.p = members.p = NULL;
    rc = 0;
out:
    free(cycles.p);
    free(members.p);
    free(color);
    free(path);
    tr__map_free(&at);
    return rc;
}

static int compare_stall(const void *a, const void *b)
{
    const tr_stall *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->task != y->task)
        return x->task < y->task ? -1 : 1;
    return (x->kind > y->kind) - (x->kind < y->kind);
}

/* Phase 1: the `stuck` events. The runtime found these tasks blocked
 * forever and is about to cancel them: their wait at that moment is the
 * STUCK stall (not a long WAIT), and the wait-for graph is taken there.
 * Marks their spans in *stuck_span; *cut is the first such event (or nev). */
static int find_stuck_events(tr_trace *tr, tr__map *stuck_span, size_t *cut)
{
    *cut = tr->nev;
    for (size_t i = 0; i < tr->nev; i++) {
        const tr_event *e = &tr->ev[i];
        if (e->ev != TR_EV_STUCK)
            continue;
        if (*cut == tr->nev)
            *cut = i;
        size_t si = tr_span_find(tr, e->task, e->t);
        if (si == SIZE_MAX || tr->spans[si].state != TR_ST_WAITING)
            continue;
        uint32_t *v = tr__map_get(stuck_span, si, 1);
        if (!v)
            return -ENOMEM;
        *v = 1;
    }
    return 0;
}

/* Phase 2: one walk over the spans in time order for blocked slices (with
 * their victims), long latencies and long finished waits. */
static int find_interval_stalls(tr_trace *tr, const tr_analysis_opts *o, tr__map *stuck_span,
                                vec *stalls, vec *victims)
{
    vec active = {.size = sizeof(uint32_t)};
    size_t next = 0;
    int rc = -ENOMEM;
    for (size_t k = 0; k < tr->nspans; k++) {
        uint32_t si = tr->span_order[k];
        const tr_span *sp = &tr->spans[si];
        int64_t d = sp->t1 - sp->t0;
        tr_stall *st;
        /* A slice blocks the loop by what the task did (on a CPU, or
         * asleep in a call), not by time the OS took (stack.c). */
        if (sp->state == TR_ST_RUNNING && d > o->blocked_ns &&
            tr_span_blocking(tr, si) > o->blocked_ns) {
            if (!(st = add_stall(tr, stalls, TR_STALL_BLOCKED, sp, si)))
                goto out;
            uint32_t end = tr_span_end_ev(tr, si);
            if (end != NONE)
                st->at = tr_ev_at(tr, &tr->ev[end]);
            if (victims_of(tr, sp, &active, &next, victims, st))
                goto out;
        } else if (sp->state == TR_ST_READY && d > o->latency_ns &&
                   d - tr__idle_within(tr, sp->t0, sp->t1) > o->latency_ns) {
            if (!add_stall(tr, stalls, TR_STALL_LATENCY, sp, si))
                goto out;
        } else if (sp->state == TR_ST_WAITING && d > o->wait_ns && long_wait_kind(sp->why) &&
                   tr_span_end_ev(tr, si) != NONE && !tr__map_get(stuck_span, si, 0)) {
            if (!(st = add_stall(tr, stalls, TR_STALL_WAIT, sp, si)))
                goto out;
            st->why = sp->why, st->op = sp->op;
            st->at = tr_span_site(tr, sp), st->obj = tr_span_obj(tr, sp);
        }
    }
    rc = 0;
out:
    free(active.p);
    return rc;
}

/* Phase 3: one STUCK stall per task still waiting at the end (or in the
 * span a `stuck` event fell in). Where the run did not end normally (no
 * end line: followed while written, or cut short; or the program died) a
 * wait the runtime did not report is only known to reach where the trace
 * stops: `open`. */
static int find_stuck_tasks(tr_trace *tr, tr__map *stuck_span, vec *stalls)
{
    int ended = tr_trace_ending(tr, NULL) == TR_ENDING_END;
    for (size_t k = 0; k < tr->ntasks; k++) {
        const tr_task *t = &tr->tasks[k];
        if (t->nspans == 0)
            continue;
        uint32_t si = t->span0 + t->nspans - 1;
        int reported = 0;
        for (uint32_t j = t->span0; j < t->span0 + t->nspans; j++)
            if (tr__map_get(stuck_span, j, 0)) {
                si = j, reported = 1;
                break;
            }
        const tr_span *sp = &tr->spans[si];
        if (sp->state != TR_ST_WAITING)
            continue;
        tr_stall *st = add_stall(tr, stalls, TR_STALL_STUCK, sp, si);
        if (!st)
            return -ENOMEM;
        st->open = !reported && !ended;
        st->why = sp->why, st->op = sp->op;
        st->at = tr_span_site(tr, sp), st->obj = tr_span_obj(tr, sp);
    }
    return 0;
}

int tr_analyze(tr_trace *tr, const tr_analysis_opts *opts)
{
    if (!tr)
        return -EINVAL;
    tr_analysis_opts o = TR_ANALYSIS_OPTS_INIT;
    if (opts)
        o = *opts;
    tr__analysis_free(tr);
    vec stalls = {.size = sizeof(tr_stall)}, victims = {.size = sizeof(tr_victim)};
    tr__map stuck_span = {0};
    size_t cut, s0;
    int rc = -ENOMEM;
    if (tr__map_init(&stuck_span, 16) || find_stuck_events(tr, &stuck_span, &cut) ||
        find_interval_stalls(tr, &o, &stuck_span, &stalls, &victims))
        goto fail;
    s0 = stalls.n;
    if (find_stuck_tasks(tr, &stuck_span, &stalls))
        goto fail;
    tr_stall *all = stalls.p;
    if (stalls.n > s0 && (wait_for_edges(tr, all + s0, stalls.n - s0, cut) ||
                          find_cycles(tr, all + s0, stalls.n - s0)))
        goto fail;
    if (stalls.n)
        qsort(stalls.p, stalls.n, sizeof(tr_stall), compare_stall);
    tr->stalls = stalls.p;
    tr->nstalls = stalls.n;
    tr->victims = victims.p;
    tr->nvictims = victims.n;
    stalls.p = victims.p = NULL;
    tr__map_free(&stuck_span);
    /* Phase 4: causes (cause.c), over the stalls just found. */
    if ((rc = tr__causes_build(tr, &o)) != 0)
        goto fail;
    return 0;
fail:
    free(stalls.p);
    free(victims.p);
    tr__map_free(&stuck_span);
    tr__analysis_free(tr);
    return rc;
}

size_t tr_nstalls(const tr_trace *tr) { return tr ? tr->nstalls : 0; }
const tr_stall *tr_stalls(const tr_trace *tr) { return tr ? tr->stalls : NULL; }
const tr_victim *tr_victims(const tr_trace *tr) { return tr ? tr->victims : NULL; }
size_t tr_ncycles(const tr_trace *tr) { return tr ? tr->ncycles : 0; }
const tr_cycle *tr_cycles(const tr_trace *tr) { return tr ? tr->cycles : NULL; }
const uint32_t *tr_cycle_tasks(const tr_trace *tr) { return tr ? tr->cycle_tasks : NULL; }
