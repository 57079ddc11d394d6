/* tracer/read/cause.c: what the stalls waited behind.
 * The blame walk starts at a stall's span and follows the wake that ended
 * it to the waker; while the waker was itself waiting or ready for most of
 * that interval it follows that span in turn, until a sink: a run slice, a
 * sleep or timer, outside I/O, pool work, or a wait nobody ended. A read
 * on a connection whose other end is in the process (paired from `conn`
 * events) was woken by the peer's last write before it. Each step moves to
 * an earlier wake, so a walk ends; it is capped and memoised per span, so
 * all walks together are O(stalls * log n). Aggregates (a saturated loop,
 * a contended mutex, a starved or backlogged channel, a saturated pool)
 * are causes no single interval shows. Stalls group under their root and
 * the causes rank by the task-time blamed on them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tr_int.h"

#define NONE UINT32_MAX
#define MAX_STEPS 64          /* longest blame chain followed */
#define CHAIN_SHOWN 6          /* links tr_chain_describe writes out */
#define BACK_SPANS 64         /* waker spans looked at per step */
#define SAT_WINDOW 100000000  /* ns: loop saturation is judged per 100 ms */
#define SAT_SHARE 90          /* % busy that makes a window saturated */

static int64_t clip(const tr_span *sp, int64_t a, int64_t b)
{
    int64_t lo = sp->t0 > a ? sp->t0 : a, hi = sp->t1 < b ? sp->t1 : b;
    return hi > lo ? hi - lo : 0;
}

void tr__causes_free(tr_trace *tr)
{
    free(tr->causes);
    free(tr->cause_victims);
    free(tr->cause_links);
    free(tr->run_spans);
    free(tr->run_tree);
    free(tr->run_cum);
    free(tr->busy);
    tr->busy = NULL;
    tr->nbusy = 0;
    free(tr->contended);
    tr->contended = NULL;
    tr->ncontended = 0;
    free(tr->conns);
    free(tr->writes);
    tr__map_free(&tr->blame_memo);
    tr->causes = NULL;
    tr->cause_victims = NULL;
    tr->cause_links = NULL;
    tr->run_spans = tr->run_tree = NULL;
    tr->run_cum = NULL;
    tr->conns = NULL;
    tr->writes = NULL;
    tr->ncauses = tr->ncause_victims = tr->ncause_links = 0;
    tr->nrun_spans = tr->nconns = tr->nwrites = 0;
}

size_t tr__causes_memory(const tr_trace *tr)
{
    if (!tr->run_cum) /* not analysed */
        return 0;
    return tr->ncauses * sizeof *tr->causes + tr->ncause_victims * sizeof *tr->cause_victims +
           tr->ncause_links * sizeof *tr->cause_links + tr->nspans * sizeof *tr->run_cum +
           tr->nrun_spans * (sizeof *tr->run_spans + 2 * sizeof *tr->run_tree) +
           tr->nbusy * sizeof *tr->busy +
           tr->nconns * sizeof *tr->conns + tr->nwrites * sizeof *tr->writes +
           tr->ncontended * sizeof *tr->contended;
}

/* ---- the run-slice index: longest slices in an interval ---- */

static int64_t run_len(const tr_trace *tr, uint32_t k)
{
    const tr_span *sp = &tr->spans[tr->run_spans[k]];
    return sp->t1 - sp->t0;
}

/* The longer of two run_spans positions (NONE loses). */
static uint32_t longer(const tr_trace *tr, uint32_t a, uint32_t b)
{
    if (a == NONE)
        return b;
    if (b == NONE)
        return a;
    return run_len(tr, b) > run_len(tr, a) ? b : a;
}

/* Adds a slice (taken in t0 order) to the busy union: it extends the last
 * stretch when it touches or overlaps it, else starts the next. */
static void add_busy(tr_trace *tr, const tr_span *sp)
{
    tr__busy *last = tr->nbusy ? &tr->busy[tr->nbusy - 1] : NULL;
    if (last && sp->t0 <= last->t1) {
        if (sp->t1 > last->t1)
            last->t1 = sp->t1;
        return;
    }
    /* saturating: a bad trace's times reach INT64_MAX */
    int64_t before = last ? tr__sat_add(last->before, last->t1 - last->t0) : 0;
    tr->busy[tr->nbusy++] = (tr__busy){sp->t0, sp->t1, before};
}

static int build_run_index(tr_trace *tr)
{
    size_t m = 0;
    for (size_t k = 0; k < tr->nspans; k++)
        m += tr->spans[k].state == TR_ST_RUNNING;
    tr->run_cum = malloc((tr->nspans ? tr->nspans : 1) * sizeof *tr->run_cum);
    tr->run_spans = malloc((m ? m : 1) * sizeof *tr->run_spans);
    tr->run_tree = malloc((m ? 2 * m : 1) * sizeof *tr->run_tree);
    tr->busy = malloc((m ? m : 1) * sizeof *tr->busy);
    if (!tr->run_cum || !tr->run_spans || !tr->run_tree || !tr->busy)
        return -ENOMEM;
    for (size_t k = 0; k < tr->nspans; k++) {
        uint32_t si = tr->span_order[k];
        if (tr->spans[si].state != TR_ST_RUNNING)
            continue;
        add_busy(tr, &tr->spans[si]);
        tr->run_spans[tr->nrun_spans++] = si;
    }
    for (size_t i = 0; i < tr->ntasks; i++) {
        const tr_task *t = &tr->tasks[i];
        int64_t sum = 0;
        for (size_t j = t->span0; j < (size_t)t->span0 + t->nspans && j < tr->nspans; j++) {
            tr->run_cum[j] = sum;
            if (tr->spans[j].state == TR_ST_RUNNING)
                sum += tr->spans[j].t1 - tr->spans[j].t0;
        }
    }
    /* a bottom-up segment tree: leaves at m + i, node i = longer child */
    for (size_t i = 0; i < m; i++)
        tr->run_tree[m + i] = (uint32_t)i;
    for (size_t i = m; i-- > 1;)
        tr->run_tree[i] = longer(tr, tr->run_tree[2 * i], tr->run_tree[2 * i + 1]);
    return 0;
}

/* Position of the longest slice among run_spans[l, r), or NONE. */
static uint32_t longest_in(const tr_trace *tr, size_t l, size_t r)
{
    size_t m = tr->nrun_spans;
    uint32_t best = NONE;
    for (l += m, r += m; l < r; l >>= 1, r >>= 1) {
        if (l & 1)
            best = longer(tr, best, tr->run_tree[l++]);
        if (r & 1)
            best = longer(tr, best, tr->run_tree[--r]);
    }
    return best;
}

size_t tr__longest_runs(const tr_trace *tr, int64_t t0, int64_t t1, uint32_t *out, size_t max)
{
    typedef struct range {
        size_t l, r;
        uint32_t best;
    } range;
    range heap[2 * 64 + 2];
    size_t nh = 0, n = 0;
    if (!tr->run_tree || tr->nrun_spans == 0 || max == 0)
        return 0;
    if (max > 64)
        max = 64;
    /* the slices starting in [t0, t1), and the one before if it reaches in */
    size_t r = tr__span_search(tr, tr->run_spans, 0, tr->nrun_spans, t1, TR__T0_GE);
    size_t l = tr__span_search(tr, tr->run_spans, 0, r, t0, TR__T0_GE);
    if (l > 0 && tr->spans[tr->run_spans[l - 1]].t1 > t0)
        l--;
    if (l >= r)
        return 0;
    heap[nh++] = (range){l, r, longest_in(tr, l, r)};
    while (nh && n < max) {
        size_t top = 0; /* few entries: a linear pick is enough */
        for (size_t i = 1; i < nh; i++)
            if (longer(tr, heap[top].best, heap[i].best) == heap[i].best &&
                heap[i].best != heap[top].best)
                top = i;
        range g = heap[top];
        heap[top] = heap[--nh];
        out[n++] = tr->run_spans[g.best];
        if (g.l < g.best)
            heap[nh++] = (range){g.l, g.best, longest_in(tr, g.l, g.best)};
        if (g.best + 1 < g.r)
            heap[nh++] = (range){g.best + 1, g.r, longest_in(tr, g.best + 1, g.r)};
    }
    return n;
}

/* ---- connections with both ends in the process ---- */

static int cmp_conn(const void *a, const void *b)
{
    const tr__conn *x = a, *y = b;
    if (x->fd != y->fd)
        return x->fd < y->fd ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static int cmp_write(const void *a, const void *b)
{
    const tr__write *x = a, *y = b;
    if (x->fd != y->fd)
        return x->fd < y->fd ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static int is_write(const tr_event *e)
{
    return (e->ev == TR_EV_IO_BEGIN || e->ev == TR_EV_IO) &&
           (e->op == TR_OP_WRITE || e->op == TR_OP_CLOSE);
}

/* conn events name their ends by address (local in `s`, peer in `at`):
 * the end whose local is this one's peer and whose peer is this local is
 * the other end. */
static int build_conns(tr_trace *tr)
{
    tr__map ends = {0};
    size_t n = 0, nw = 0;
    for (size_t i = 0; i < tr->nev; i++) {
        n += tr->ev[i].ev == TR_EV_CONN;
        nw += is_write(&tr->ev[i]);
    }
    if (n == 0)
        return 0;
    int rc = -ENOMEM;
    tr->conns = malloc(n * sizeof *tr->conns);
    tr->writes = malloc((nw ? nw : 1) * sizeof *tr->writes);
    if (!tr->conns || !tr->writes || tr__map_init(&ends, n))
        goto out;
    for (size_t i = 0; i < tr->nev; i++) {
        const tr_event *e = &tr->ev[i];
        if (e->ev != TR_EV_CONN)
            continue;
        uint32_t *v = tr__map_get(&ends, (uint64_t)tr_ev_str(e) << 32 | tr_ev_at(tr, e), 1);
        if (!v)
            goto out;
        *v = (uint32_t)i; /* a reused address pair: the latest end counts */
    }
    for (size_t i = 0; i < tr->nev; i++) {
        const tr_event *e = &tr->ev[i];
        if (e->ev != TR_EV_CONN)
            continue;
        uint32_t *p = tr__map_get(&ends, (uint64_t)tr_ev_at(tr, e) << 32 | tr_ev_str(e), 0);
        if (!p || *p == NONE || *p == i)
            continue;
        const tr_event *q = &tr->ev[*p];
        tr->conns[tr->nconns++] = (tr__conn){e->arg, q->arg, e->t, q->task};
    }
    for (size_t i = 0; i < tr->nev; i++) {
        const tr_event *e = &tr->ev[i];
        if (!is_write(e))
            continue;
        int64_t fd = e->ev == TR_EV_IO ? (int64_t)(int32_t)e->arg : tr_ev_val(tr, e);
        if (fd >= 0 && fd <= UINT32_MAX)
            tr->writes[tr->nwrites++] = (tr__write){e->task, (uint32_t)fd, e->t};
    }
    if (tr->nconns)
        qsort(tr->conns, tr->nconns, sizeof *tr->conns, cmp_conn);
    if (tr->nwrites)
        qsort(tr->writes, tr->nwrites, sizeof *tr->writes, cmp_write);
    rc = 0;
out:
    tr__map_free(&ends);
    return rc;
}

/* The paired end that was up on fd at t, or NULL. */
static const tr__conn *conn_at(const tr_trace *tr, int64_t fd, int64_t t)
{
    size_t lo = 0, hi = tr->nconns;
    if (fd < 0 || fd > UINT32_MAX)
        return NULL;
    while (lo < hi) { /* first entry after (fd, t) */
        size_t mid = lo + (hi - lo) / 2;
        const tr__conn *c = &tr->conns[mid];
        if (c->fd < fd || (c->fd == fd && c->t <= t))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && tr->conns[lo - 1].fd == fd ? &tr->conns[lo - 1] : NULL;
}

/* The last write or close on fd at or before t (its task in *who), or -1. */
static int64_t last_write(const tr_trace *tr, uint32_t fd, int64_t t, uint32_t *who)
{
    size_t lo = 0, hi = tr->nwrites;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const tr__write *w = &tr->writes[mid];
        if (w->fd < fd || (w->fd == fd && w->t <= t))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || tr->writes[lo - 1].fd != fd)
        return -1;
    *who = tr->writes[lo - 1].task;
    return tr->writes[lo - 1].t;
}

/* The fd an accept that woke its task at ready event `ready` took: the
 * res of its io_end, a few events before. -1 if not found. */
static int64_t accepted_fd(const tr_trace *tr, uint32_t ready)
{
    uint32_t task = tr->ev[ready].task;
    for (uint32_t i = ready, k = 0; i > 0 && k < 64; i--, k++) {
        const tr_event *e = &tr->ev[i - 1];
        if (e->ev == TR_EV_IO_END && e->task == task && e->op == TR_OP_ACCEPT)
            return (e->flags & TR_F_ERR) ? -1 : tr_ev_val(tr, e);
    }
    return -1;
}

/* ---- the blame walk ---- */

/* The span of task `who` that held up an interval [a, tw) it ended at tw.
 * Looking back over its spans in the interval (at most BACK_SPANS), the
 * state it spent most of it in decides: waiting, its longest wait is
 * followed (the waker was itself waiting); ready, its longest ready span
 * (the loop was busy with others); running, its longest run slice (it was
 * busy itself). NONE if unknown. */
static uint32_t held_up_by(const tr_trace *tr, uint32_t who, int64_t a, int64_t tw)
{
    const tr_task *t = tr_task_by_id(tr, who);
    if (!t || t->nspans == 0 || (size_t)t->span0 + t->nspans > tr->nspans)
        return NONE;
    size_t lo = tr__span_search(tr, NULL, t->span0, (size_t)t->span0 + t->nspans, tw, TR__T0_GE);
    if (lo == t->span0)
        return NONE;
    uint32_t best[TR_ST__COUNT] = {NONE, NONE, NONE, NONE};
    int64_t best_ov[TR_ST__COUNT] = {0}, sum[TR_ST__COUNT] = {0};
    for (size_t j = lo - 1, k = 0; k < BACK_SPANS; j--, k++) {
        const tr_span *sp = &tr->spans[j];
        if (sp->t1 <= a)
            break;
        int64_t ov = clip(sp, a, tw);
        if (sp->state < TR_ST__COUNT) {
            sum[sp->state] += ov;
            if (ov > best_ov[sp->state] || best[sp->state] == NONE)
                best[sp->state] = (uint32_t)j, best_ov[sp->state] = ov;
        }
        if (j == t->span0)
            break;
    }
    /* the state it spent most of the interval in, and its longest span */
    int st = TR_ST_RUNNING;
    if (sum[TR_ST_READY] > sum[st])
        st = TR_ST_READY;
    if (sum[TR_ST_WAITING] > sum[st])
        st = TR_ST_WAITING;
    if (best[st] != NONE)
        return best[st];
    return best[TR_ST_WAITING] != NONE ? best[TR_ST_WAITING] : best[TR_ST_READY];
}

static int is_contended(const tr_trace *tr, uint32_t obj)
{
    size_t lo = 0, hi = tr->ncontended;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->contended[mid] < obj)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < tr->ncontended && tr->contended[lo] == obj;
}

/* Who woke a waiting span and when: *who (0: nobody in the trace) at *tw,
 * or the sink the span itself is; LOOP_HELD when the data it read arrived
 * at *tw but the wake came later, and most of the wait was that delay: the
 * loop was busy and did not poll (a ping-pong over a loopback connection
 * would otherwise bounce between its two ends back to the start). */
#define LOOP_HELD (-2)
static int woken_by(const tr_trace *tr, uint32_t si, uint32_t *who, int64_t *tw)
{
    const tr_span *sp = &tr->spans[si];
    uint32_t task = tr_span_task(tr, sp);
    if (sp->why == TR_WAIT_SLEEP)
        return TR_CAUSE_SLEEP;
    if (sp->why == TR_WAIT_WORK)
        return TR_CAUSE_WORK;
    uint32_t end = tr_span_end_ev(tr, si);
    if (end == NONE || tr->ev[end].ev != TR_EV_READY)
        return TR_CAUSE_WAIT;
    const tr_event *e = &tr->ev[end];
    *tw = e->t;
    switch (e->why) {
    case TR_WAKE_TIMER:
        return TR_CAUSE_SLEEP;
    case TR_WAKE_WORK:
        return TR_CAUSE_WORK;
    case TR_WAKE_TIMEOUT: /* its own deadline ended it */
    case TR_WAKE_SPAWN:
        return TR_CAUSE_WAIT;
    case TR_WAKE_IO: {
        int64_t fd = sp->op == TR_OP_ACCEPT ? accepted_fd(tr, end) : tr_span_fd(tr, sp);
        const tr__conn *c = conn_at(tr, fd, e->t);
        if (!c)
            return TR_CAUSE_IO;
        *who = c->peer_task; /* connect / accept: the other end's task */
        if (sp->op == TR_OP_READ) {
            int64_t w = last_write(tr, c->peer_fd, e->t, who);
            if (w < sp->t0)
                return TR_CAUSE_IO; /* nothing the peer wrote explains it */
            *tw = w;
            if (e->t - w > w - sp->t0)
                return LOOP_HELD;
        }
        return *who == task ? TR_CAUSE_IO : -1;
    }
    default:
        *who = e->arg;
        return *who == 0 || *who == task ? TR_CAUSE_WAIT : -1;
    }
}

/* The longest slice of another task than sp's in [a, b): the loop was
 * busy with it; NONE and *sink WAIT when there is none. */
static uint32_t loop_holder(const tr_trace *tr, const tr_span *sp, int64_t a, int64_t b, int *sink)
{
    uint32_t top[2];
    size_t n = tr__longest_runs(tr, a, b, top, 2);
    for (size_t i = 0; i < n; i++)
        if (tr_span_task(tr, &tr->spans[top[i]]) != tr_span_task(tr, sp))
            return top[i];
    *sink = TR_CAUSE_WAIT;
    return NONE;
}

/* One step back from span si: the span that held it up, or NONE when si is
 * the root, with *sink the kind of root it is. */
static uint32_t step(const tr_trace *tr, uint32_t si, int *sink)
{
    const tr_span *sp = &tr->spans[si];
    if (sp->state == TR_ST_RUNNING) {
        *sink = tr_span_os_held(tr, si) ? TR_CAUSE_OS : TR_CAUSE_RUN;
        return NONE;
    }
    if (sp->state == TR_ST_READY) /* whoever held the loop meanwhile */
        return loop_holder(tr, sp, sp->t0, sp->t1, sink);
    if (sp->state != TR_ST_WAITING) {
        *sink = TR_CAUSE_WAIT;
        return NONE;
    }
    if (sp->why == TR_WAIT_LOCK && is_contended(tr, tr_span_obj(tr, sp))) {
        *sink = TR_CAUSE_CONTENTION; /* one of many waits: the aggregate is the cause */
        return NONE;
    }
    uint32_t who = 0;
    int64_t tw = sp->t1;
    int k = woken_by(tr, si, &who, &tw);
    if (k == LOOP_HELD)
        return loop_holder(tr, sp, tw, sp->t1, sink);
    if (k >= 0) {
        *sink = k;
        return NONE;
    }
    uint32_t next = held_up_by(tr, who, sp->t0, tw);
    if (next == NONE || next == si)
        *sink = TR_CAUSE_WAIT;
    return next == si ? NONE : next;
}

size_t tr_blame(const tr_trace *tr, size_t span, tr_link *chain, size_t max, int *sink)
{
    int k = TR_CAUSE_WAIT;
    size_t n = 0;
    if (!tr || span >= tr->nspans || !chain || max == 0)
        return 0;
    uint32_t si = (uint32_t)span;
    while (si != NONE && n < max) {
        for (size_t i = 0; i < n; i++)
            if (chain[i].span == si) { /* a loop in a bad trace: stop */
                k = TR_CAUSE_WAIT;
                goto done;
            }
        chain[n++] = (tr_link){tr_span_task(tr, &tr->spans[si]), si};
        si = step(tr, si, &k);
    }
done:
    if (sink)
        *sink = k;
    return n;
}

/* The root of span si's walk, memoised: (root span << 4) | sink. */
static int root_of(tr_trace *tr, uint32_t si, uint32_t *root, int *sink)
{
    uint32_t path[MAX_STEPS];
    size_t n = 0;
    uint32_t cur = si, packed = NONE;
    int k = TR_CAUSE_WAIT;
    while (cur != NONE && n < MAX_STEPS) {
        uint32_t *m = tr__map_get(&tr->blame_memo, cur, 0);
        if (m && *m != NONE) {
            packed = *m;
            break;
        }
        for (size_t i = 0; i < n; i++)
            if (path[i] == cur)
                goto cut;
        path[n++] = cur;
        uint32_t next = step(tr, cur, &k);
        if (next == NONE) {
            packed = cur << 4 | (uint32_t)k;
            break;
        }
        cur = next;
    }
cut:
    if (packed == NONE) /* too long or a loop: the last span reached */
        packed = path[n - 1] << 4 | TR_CAUSE_WAIT;
    if (tr->nspans < (1u << 27))
        for (size_t i = 0; i < n; i++) {
            uint32_t *m = tr__map_get(&tr->blame_memo, path[i], 1);
            if (!m)
                return -ENOMEM;
            *m = packed;
        }
    *root = packed >> 4;
    *sink = (int)(packed & 15);
    return 0;
}

/* ---- building the causes ---- */

typedef struct proto {
    tr_cause c;
    uint32_t *victims;
    size_t nv, capv;
    uint32_t worst; /* stall with the longest dur, or NONE */
    int64_t top_ns; /* CONTENTION: the longest total hold of one task */
    int64_t lat_ns; /* latency stalls: counted only if no blocked stall
                       under the same root counted its victims already */
    int blocked;
} proto;

typedef struct builder {
    tr_trace *tr;
    const tr_analysis_opts *o;
    proto *p;
    size_t n, cap;
    tr__map by_key; /* root span or aggregate key -> proto */
    int64_t *lens;  /* scratch for distributions */
    size_t nlens, caplens;
} builder;

/* Makes room for one more element in *arr (n used of *cap, elements of
 * `size` bytes), doubling from 16. 0 or -ENOMEM (the array is kept). */
static int grow(void *arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 16;
    void *p = realloc(*(void **)arr, c * size);
    if (!p)
        return -ENOMEM;
    *(void **)arr = p;
    *cap = c;
    return 0;
}

static proto *proto_new(builder *b, uint64_t key, int kind)
{
    uint32_t *slot = tr__map_get(&b->by_key, key, 1);
    if (!slot)
        return NULL;
    if (*slot != NONE)
        return &b->p[*slot];
    if (grow(&b->p, b->n, &b->cap, sizeof *b->p))
        return NULL;
    *slot = (uint32_t)b->n;
    proto *p = &b->p[b->n++];
    memset(p, 0, sizeof *p);
    p->c.kind = (uint8_t)kind;
    p->c.span = NONE;
    p->c.held_why = 255;
    p->worst = NONE;
    return p;
}

static int add_victim(proto *p, uint32_t task)
{
    if (p->nv && p->victims[p->nv - 1] == task)
        return 0;
    if (grow(&p->victims, p->nv, &p->capv, sizeof *p->victims))
        return -ENOMEM;
    p->victims[p->nv++] = task;
    return 0;
}

static int push_len(builder *b, int64_t v)
{
    if (grow(&b->lens, b->nlens, &b->caplens, sizeof *b->lens))
        return -ENOMEM;
    b->lens[b->nlens++] = v;
    return 0;
}

static void set_dist(builder *b, tr_cause *c)
{
    c->count = b->nlens;
    c->p99 = tr__percentile(b->lens, b->nlens, 99);
    c->max = tr__percentile(b->lens, b->nlens, 100);
    c->p50 = tr__percentile(b->lens, b->nlens, 50);
    b->nlens = 0;
}

/* Adds run slice si's on-CPU figures to c, the part `part` of its wall
 * time counts (a slice reaching into a saturated period counts its share). */
static void add_oncpu(const tr_trace *tr, tr_cause *c, uint32_t si, int64_t part)
{
    tr_oncpu oc;
    const tr_span *sp = &tr->spans[si];
    int64_t wall = sp->t1 - sp->t0;
    tr_span_oncpu(tr, si, &oc);
    uint32_t end = tr_span_end_ev(tr, si);
    c->measured |= end != NONE && tr_ev_oncpu(tr, end, NULL);
    if (part < wall) { /* in double: cpu * part overflows int64 */
        oc.cpu = (int64_t)((double)oc.cpu * (double)part / (double)wall);
        oc.runq = (int64_t)((double)oc.runq * (double)part / (double)wall);
    }
    c->cpu = tr__sat_add(c->cpu, oc.cpu);
    c->runq = tr__sat_add(c->runq, oc.runq);
    c->stops += oc.stops;
}

/* Where a run slice ended: the `at` of the yield (or exit) that ended it. */
static uint32_t slice_site(const tr_trace *tr, uint32_t si)
{
    uint32_t end = tr_span_end_ev(tr, si);
    return end == NONE ? 0 : tr_ev_at(tr, &tr->ev[end]);
}

#define KEY_SPAN(si) ((uint64_t)1 << 40 | (si))
#define KEY_SAT(i) ((uint64_t)2 << 40 | (i))
#define KEY_OBJ(kind, obj) ((uint64_t)(3 + (kind)) << 40 | (obj))
#define KEY_POOL ((uint64_t)20 << 40)

/* The largest value of a small map-indexed accumulator table. */
typedef struct acc {
    uint64_t key;
    int64_t ns;
} acc;

static int acc_add(tr__map *m, acc **v, size_t *n, size_t *cap, uint64_t key, int64_t ns)
{
    uint32_t *slot = tr__map_get(m, key, 1);
    if (!slot)
        return -ENOMEM;
    if (*slot == NONE) {
        if (grow(v, *n, cap, sizeof **v))
            return -ENOMEM;
        *slot = (uint32_t)(*n)++;
        (*v)[*slot] = (acc){key, 0};
    }
    (*v)[*slot].ns = tr__sat_add((*v)[*slot].ns, ns);
    return 0;
}

static uint64_t acc_top(const acc *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i].ns > v[best].ns || (v[i].ns == v[best].ns && v[i].key < v[best].key))
            best = i;
    return n ? v[best].key : 0;
}

/* Loop saturation: runs of 100 ms windows the loop was >= 90 % busy in.
 * Blamed: the ready time of every task inside (they waited for the loop);
 * named after the task and the site with the most run time there. */
static int saturation_period(builder *b, int64_t p0, int64_t p1, uint32_t idx)
{
    tr_trace *tr = b->tr;
    tr__map tasks = {0}, sites = {0};
    acc *tv = NULL, *sv = NULL;
    size_t nt = 0, ct = 0, ns = 0, cs = 0;
    int rc = -ENOMEM;
    int64_t blamed = 0;
    proto *p;
    if (tr__map_init(&tasks, 16) || tr__map_init(&sites, 16))
        goto out;
    /* the slices begun in the period, and the one before if it reaches in
     * (a period may open inside one long slice): run time counts clipped */
    size_t lo = tr__span_search(tr, tr->run_spans, 0, tr->nrun_spans, p0, TR__T0_GE);
    if (lo > 0 && tr->spans[tr->run_spans[lo - 1]].t1 > p0)
        lo--;
    for (size_t k = lo; k < tr->nrun_spans; k++) {
        uint32_t si = tr->run_spans[k];
        const tr_span *sp = &tr->spans[si];
        if (sp->t0 >= p1)
            break;
        int64_t d = clip(sp, p0, p1);
        if (acc_add(&tasks, &tv, &nt, &ct, tr_span_task(tr, sp), d) ||
            acc_add(&sites, &sv, &ns, &cs, slice_site(tr, si), d) || push_len(b, sp->t1 - sp->t0))
            goto out;
    }
    if (!(p = proto_new(b, KEY_SAT(idx), TR_CAUSE_SATURATION)))
        goto out;
    for (size_t k = lo; k < tr->nrun_spans && tr->spans[tr->run_spans[k]].t0 < p1; k++)
        add_oncpu(tr, &p->c, tr->run_spans[k], clip(&tr->spans[tr->run_spans[k]], p0, p1));
    p->c.task = (uint32_t)acc_top(tv, nt);
    p->c.at = (uint32_t)acc_top(sv, ns);
    p->c.t = p0;
    p->c.dur = p1 - p0;
    set_dist(b, &p->c);
    int64_t longest = -1; /* the stack of the top task's longest slice at the top site */
    for (size_t k = lo; k < tr->nrun_spans; k++) {
        uint32_t si = tr->run_spans[k];
        const tr_span *sp = &tr->spans[si];
        if (sp->t0 >= p1)
            break;
        if (tr_span_task(tr, sp) == p->c.task && slice_site(tr, si) == p->c.at &&
            sp->t1 - sp->t0 > longest) {
            longest = sp->t1 - sp->t0;
            p->c.stack = tr_span_stack(tr, si);
        }
    }
    /* ready spans that began in the period, clipped to it */
    for (size_t k = tr__span_search(tr, tr->span_order, 0, tr->nspans, p0, TR__T0_GE);
         k < tr->nspans; k++) {
        const tr_span *sp = &tr->spans[tr->span_order[k]];
        if (sp->t0 >= p1)
            break;
        if (sp->state != TR_ST_READY)
            continue;
        int64_t w = clip(sp, p0, p1);
        blamed = tr__sat_add(blamed, w);
        if (w > 0 && add_victim(p, tr_span_task(tr, sp)))
            goto out;
    }
    p->c.blamed = blamed;
    rc = 0;
out:
    free(tv);
    free(sv);
    tr__map_free(&tasks);
    tr__map_free(&sites);
    return rc;
}

/* The first busy stretch ending after t (by_end) or starting at or after
 * t, or nbusy: the stretches are disjoint, so starts and ends are sorted. */
static size_t busy_search(const tr_trace *tr, int64_t t, int by_end)
{
    size_t lo = 0, hi = tr->nbusy;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (by_end ? tr->busy[mid].t1 > t : tr->busy[mid].t0 >= t)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Busy time of the stretches before busy[k] (k may be nbusy). */
static int64_t busy_before(const tr_trace *tr, size_t k)
{
    if (k < tr->nbusy)
        return tr->busy[k].before;
    const tr__busy *last = &tr->busy[tr->nbusy - 1];
    return tr__sat_add(last->before, last->t1 - last->t0);
}

/* Time the loop was busy within [a, b): prefix sums over the stretches,
 * the two edge ones clipped. Overlapping slices of a bad trace count once,
 * so it never exceeds b - a. */
static int64_t run_within(const tr_trace *tr, int64_t a, int64_t b)
{
    size_t l = busy_search(tr, a, 1), h = busy_search(tr, b, 0);
    if (l >= h)
        return 0;
    int64_t sum = busy_before(tr, h) - busy_before(tr, l);
    if (tr->busy[l].t0 < a)
        sum -= a - tr->busy[l].t0;
    if (tr->busy[h - 1].t1 > b)
        sum -= tr->busy[h - 1].t1 - b;
    return sum;
}

/* The first window start after w worth looking at: e = w + SAT_WINDOW if
 * a busy stretch covers e, else the window of the first stretch after e. */
static int64_t next_window(const tr_trace *tr, int64_t w)
{
    int64_t e = w + SAT_WINDOW;
    size_t k = busy_search(tr, e, 1);
    if (k == tr->nbusy)
        return INT64_MAX;
    if (tr->busy[k].t0 <= e)
        return e;
    int64_t aligned = tr->busy[k].t0 / SAT_WINDOW * SAT_WINDOW;
    return aligned > e ? aligned : e;
}

static int add_period(builder *b, int64_t **periods, size_t *np, size_t *cap, int64_t p0,
                      int64_t p1)
{
    if (grow(periods, *np, cap, 2 * sizeof **periods)) /* [t0, t1) pairs */
        return -ENOMEM;
    (*periods)[2 * *np] = p0;
    (*periods)[2 * *np + 1] = p1;
    if (saturation_period(b, p0, p1, (uint32_t)*np))
        return -ENOMEM;
    (*np)++;
    return 0;
}

/* Periods of whole 100 ms windows (from t = 0) with >= 90 % of their time
 * busy (a lone window below that between two above is kept in). Every
 * window looked at holds a busy stretch's start or end, or follows one that
 * does: a stretch longer than a window is jumped to its end, and windows
 * with nothing running are skipped by a search; so this is O(stretches),
 * whatever the times (a bad trace's span a year long once took 100 s). */
static int find_saturation(builder *b, int64_t **periods, size_t *np)
{
    tr_trace *tr = b->tr;
    int64_t dur = tr->head.duration, start = -1, w = 0;
    const int64_t share = (int64_t)SAT_WINDOW / 100 * SAT_SHARE;
    size_t cap = 0;
    int rc = 0;
    *periods = NULL;
    *np = 0;
    while (rc == 0 && tr->nbusy && dur >= SAT_WINDOW && w <= dur - SAT_WINDOW) {
        int64_t e = w + SAT_WINDOW;
        if (run_within(tr, w, e) >= share) {
            if (start < 0)
                start = w;
            w = e;
            /* inside one long stretch every window is busy: jump to the
             * last whole window it covers */
            size_t k = busy_search(tr, e, 1);
            int64_t to = k < tr->nbusy && tr->busy[k].t0 <= e
                             ? tr->busy[k].t1 / SAT_WINDOW * SAT_WINDOW
                             : w;
            if (to > w)
                w = to;
            continue;
        }
        /* one window below the share inside a busy stretch (a hiccup, the
         * OS taking the CPU) does not split it: the next one decides */
        if (start >= 0 && e <= dur - SAT_WINDOW && run_within(tr, e, e + SAT_WINDOW) >= share) {
            w = e;
            continue;
        }
        if (start >= 0)
            rc = add_period(b, periods, np, &cap, start, w);
        start = -1;
        w = next_window(tr, w);
    }
    if (rc == 0 && start >= 0)
        rc = add_period(b, periods, np, &cap, start, w);
    return rc;
}

/* Mutex contention and channel waits, per object. Holders of a contended
 * mutex are asked what they did while holding it. */
typedef struct objacc {
    uint32_t obj;
    int kind; /* TR_CAUSE_CONTENTION / STARVATION / BACKLOG */
} objacc;

static int object_waits(builder *b)
{
    tr_trace *tr = b->tr;
    for (size_t si = 0; si < tr->nspans; si++) {
        const tr_span *sp = &tr->spans[si];
        if (sp->state != TR_ST_WAITING || tr_span_end_ev(tr, si) == NONE)
            continue;
        int kind = sp->why == TR_WAIT_LOCK        ? TR_CAUSE_CONTENTION
                   : sp->why == TR_WAIT_CHAN_RECV ? TR_CAUSE_STARVATION
                   : sp->why == TR_WAIT_CHAN_SEND ? TR_CAUSE_BACKLOG
                                                  : -1;
        uint32_t obj = kind >= 0 ? tr_span_obj(tr, sp) : 0;
        if (!obj)
            continue;
        int64_t d = sp->t1 - sp->t0;
        /* channel waits long enough to be stalls are explained by their walk */
        if (kind != TR_CAUSE_CONTENTION && d > b->o->wait_ns)
            continue;
        proto *p = proto_new(b, KEY_OBJ(kind, obj), kind);
        if (!p)
            return -ENOMEM;
        p->c.obj = obj;
        p->c.blamed = tr__sat_add(p->c.blamed, d);
        p->c.count++;
        if (d > p->c.max)
            p->c.max = d;
        if (!p->c.at || d > p->c.dur) { /* the longest wait's site */
            p->c.at = tr_span_site(tr, sp);
            p->c.dur = d;
            p->c.t = sp->t0;
        }
        if (add_victim(p, tr_span_task(tr, sp)))
            return -ENOMEM;
    }
    return 0;
}

/* What the holders of contended mutexes did while holding them: their
 * waits (by kind, op and site) and run time, inside acquire -> release.
 * Activities are interned as (why, op, site) -> id so a key fits 64 bits. */
typedef struct holding {
    tr__map held, combo, what, who;
    uint64_t *combos; /* id -> why << 56 | op << 48 | site */
    uint32_t *combo_span; /* id -> a span doing it (for its stack) */
    size_t ncombos, capcombos;
    acc *wv, *hv;
    size_t nw, cw, nh, ch;
} holding;

static int combo_id(holding *h, int why, int op, uint32_t site, uint32_t span, uint32_t *id)
{
    uint64_t k = (uint64_t)why << 56 | (uint64_t)op << 48 | site;
    uint32_t *slot = tr__map_get(&h->combo, k, 1);
    if (!slot)
        return -ENOMEM;
    if (*slot == NONE) {
        size_t cap = h->capcombos; /* two arrays of one length */
        if (grow(&h->combos, h->ncombos, &h->capcombos, sizeof *h->combos) ||
            grow(&h->combo_span, h->ncombos, &cap, sizeof *h->combo_span))
            return -ENOMEM;
        *slot = (uint32_t)h->ncombos;
        h->combo_span[h->ncombos] = span;
        h->combos[h->ncombos++] = k;
    }
    *id = *slot;
    return 0;
}

/* One hold of obj by task over [h0, h1): what it did meanwhile. */
static int one_hold(builder *b, holding *h, uint32_t obj, uint32_t task, int64_t h0, int64_t h1)
{
    tr_trace *tr = b->tr;
    size_t s = tr_span_find(tr, task, h0);
    const tr_task *t = tr_task_by_id(tr, task);
    if (s == SIZE_MAX || !t)
        return 0;
    if (acc_add(&h->who, &h->hv, &h->nh, &h->ch, (uint64_t)obj << 32 | task, h1 - h0))
        return -ENOMEM;
    for (; s < (size_t)t->span0 + t->nspans && tr->spans[s].t0 < h1; s++) {
        const tr_span *sp = &tr->spans[s];
        uint32_t id;
        int why;
        if (sp->state == TR_ST_WAITING)
            why = sp->why;
        else if (sp->state == TR_ST_RUNNING)
            why = 255;
        else
            continue;
        uint32_t site = why == 255 ? slice_site(tr, (uint32_t)s) : tr_span_site(tr, sp);
        if (combo_id(h, why, why == 255 ? 0 : sp->op, site, (uint32_t)s, &id) ||
            acc_add(&h->what, &h->wv, &h->nw, &h->cw, (uint64_t)obj << 32 | id, clip(sp, h0, h1)))
            return -ENOMEM;
    }
    return 0;
}

static proto *contention_of(builder *b, uint32_t obj)
{
    uint32_t *slot = tr__map_get(&b->by_key, KEY_OBJ(TR_CAUSE_CONTENTION, obj), 0);
    return slot && *slot != NONE ? &b->p[*slot] : NULL;
}

static int holders(builder *b)
{
    tr_trace *tr = b->tr;
    holding h;
    int rc = -ENOMEM;
    memset(&h, 0, sizeof h);
    if (tr__map_init(&h.held, 16) || tr__map_init(&h.combo, 16) || tr__map_init(&h.what, 16) ||
        tr__map_init(&h.who, 16))
        goto out;
    for (size_t i = 0; i < tr->nev; i++) {
        const tr_event *e = &tr->ev[i];
        if ((e->ev != TR_EV_ACQUIRE && e->ev != TR_EV_RELEASE) || !contention_of(b, e->arg))
            continue;
        uint32_t *acq = tr__map_get(&h.held, (uint64_t)e->arg << 32 | e->task, 1);
        if (!acq)
            goto out;
        if (e->ev == TR_EV_ACQUIRE) {
            *acq = (uint32_t)i;
        } else if (*acq != NONE) {
            if (one_hold(b, &h, e->arg, e->task, tr->ev[*acq].t, e->t))
                goto out;
            *acq = NONE;
        }
    }
    for (size_t i = 0; i < h.nw; i++) { /* the longest activity per mutex */
        proto *p = contention_of(b, (uint32_t)(h.wv[i].key >> 32));
        uint64_t k = h.combos[(uint32_t)h.wv[i].key];
        if (p && h.wv[i].ns > p->c.held_ns) {
            p->c.held_ns = h.wv[i].ns;
            p->c.held_why = (uint8_t)(k >> 56);
            p->c.held_op = (uint8_t)(k >> 48);
            p->c.held_at = (uint32_t)k;
            p->c.stack = tr_span_stack(tr, h.combo_span[(uint32_t)h.wv[i].key]);
        }
    }
    for (size_t i = 0; i < h.nh; i++) { /* holders, and the one that held longest */
        proto *p = contention_of(b, (uint32_t)(h.hv[i].key >> 32));
        if (!p)
            continue;
        p->c.nholders++;
        if (h.hv[i].ns > p->top_ns) {
            p->c.task = (uint32_t)h.hv[i].key;
            p->top_ns = h.hv[i].ns;
        }
    }
    rc = 0;
out:
    free(h.wv);
    free(h.hv);
    free(h.combos);
    free(h.combo_span);
    tr__map_free(&h.held);
    tr__map_free(&h.combo);
    tr__map_free(&h.what);
    tr__map_free(&h.who);
    return rc;
}

/* Thread-pool saturation: work that queued (its wait began before its
 * work did) waited for a free worker. Named after the task whose work kept
 * the pool busiest, with that work's name as the site. */
static int pool_waits(builder *b)
{
    tr_trace *tr = b->tr;
    tr__map busy = {0};
    acc *bv = NULL;
    size_t nb = 0, cb = 0;
    int rc = -ENOMEM;
    int64_t queued = 0;
    proto *p = NULL;
    if (tr__map_init(&busy, 16))
        goto out;
    for (size_t i = 0; i < tr->nworks; i++) {
        const tr_work *w = &tr->works[i];
        int64_t end = w->t1 >= 0 ? w->t1 : tr->head.duration;
        if (acc_add(&busy, &bv, &nb, &cb, (uint64_t)w->task << 32 | w->name, end - w->t0))
            goto out;
        size_t s = tr_span_find(tr, w->task, w->t0);
        if (s == SIZE_MAX || tr->spans[s].state != TR_ST_WAITING ||
            tr->spans[s].why != TR_WAIT_WORK || w->t0 <= tr->spans[s].t0)
            continue;
        int64_t q = w->t0 - tr->spans[s].t0;
        if (!p && !(p = proto_new(b, KEY_POOL, TR_CAUSE_POOL)))
            goto out;
        queued = tr__sat_add(queued, q);
        if (push_len(b, q) || add_victim(p, w->task))
            goto out;
    }
    if (p) {
        uint64_t top = acc_top(bv, nb);
        p->c.task = (uint32_t)(top >> 32);
        p->c.at = (uint32_t)top; /* the work's name */
        p->c.blamed = queued >= b->o->wait_ns ? queued : -1;
        set_dist(b, &p->c);
        p->c.dur = p->c.max;
    }
    rc = 0;
out:
    free(bv);
    tr__map_free(&busy);
    return rc;
}

/* ---- stalls under their causes ---- */

/* The task-time stall s lays on the root span `root`: a blocked slice its
 * victims' waits inside it; any other stall the part of it that the root
 * span overlaps. A root only explains what it lasted: main's 300 ms join on
 * a task whose longest wait was one 10 ms sleep blames the sleep 10 ms. */
static int64_t stall_blame(const tr_trace *tr, const tr_stall *s, uint32_t root)
{
    if (s->kind != TR_STALL_BLOCKED)
        return clip(&tr->spans[root], s->t, tr__sat_add(s->t, s->dur));
    int64_t sum = 0;
    for (uint32_t i = 0; i < s->nvictims; i++)
        sum = tr__sat_add(sum, tr->victims[s->victim0 + i].waited);
    return sum;
}

/* The first period ending after t (np if none). */
static size_t period_after(const int64_t *periods, size_t np, int64_t t)
{
    size_t lo = 0, hi = np;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (periods[2 * mid + 1] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int in_period(const int64_t *periods, size_t np, int64_t t)
{
    size_t lo = period_after(periods, np, t);
    return lo < np && periods[2 * lo] <= t ? (int)lo : -1;
}

/* The saturation period [a, b) overlaps most, if that is at least half of
 * it; else -1. */
static int mostly_in_period(const int64_t *periods, size_t np, int64_t a, int64_t b)
{
    int best = -1;
    int64_t best_ov = 0;
    for (int i = (int)period_after(periods, np, a); (size_t)i < np && periods[2 * i] < b; i++) {
        int64_t lo = periods[2 * i] > a ? periods[2 * i] : a;
        int64_t hi = periods[2 * i + 1] < b ? periods[2 * i + 1] : b;
        if (hi - lo > best_ov)
            best = i, best_ov = hi - lo;
    }
    return best >= 0 && best_ov >= b - a - best_ov ? best : -1; /* 2 * ov overflows near INT64_MAX */
}

/* An aggregate by key if it was kept (blamed >= 0), else NULL. */
static proto *kept(builder *b, uint64_t key)
{
    uint32_t *slot = tr__map_get(&b->by_key, key, 0);
    return slot && *slot != NONE && b->p[*slot].c.blamed >= 0 ? &b->p[*slot] : NULL;
}

static proto *cause_of_stall(builder *b, const tr_stall *s, const int64_t *periods, size_t np)
{
    tr_trace *tr = b->tr;
    proto *p = NULL;
    int sat = s->kind == TR_STALL_BLOCKED || s->kind == TR_STALL_LATENCY
                  ? in_period(periods, np, s->t)
                  : -1;
    if (sat >= 0 && (p = kept(b, KEY_SAT((uint32_t)sat))))
        return p;
    if (s->kind == TR_STALL_WAIT && s->why == TR_WAIT_LOCK &&
        (p = kept(b, KEY_OBJ(TR_CAUSE_CONTENTION, s->obj))))
        return p;
    if (s->kind == TR_STALL_WAIT && s->why == TR_WAIT_WORK && (p = kept(b, KEY_POOL)))
        return p;
    uint32_t root = s->span;
    int sink = tr_span_os_held(tr, root) ? TR_CAUSE_OS : TR_CAUSE_RUN;
    if (s->kind != TR_STALL_BLOCKED && root_of(tr, s->span, &root, &sink))
        return NULL;
    const tr_span *sp = &tr->spans[root];
    if (sink == TR_CAUSE_CONTENTION &&
        (p = kept(b, KEY_OBJ(TR_CAUSE_CONTENTION, tr_span_obj(tr, sp)))))
        return p;
    /* ended by a task busy on a saturated loop: the saturation is the cause */
    if (sink == TR_CAUSE_RUN &&
        ((sat = in_period(periods, np, sp->t0)) >= 0 ||
         (sat = mostly_in_period(periods, np, s->t, s->t + s->dur)) >= 0) &&
        (p = kept(b, KEY_SAT((uint32_t)sat))))
        return p;
    if (!(p = proto_new(b, KEY_SPAN(root), sink)))
        return NULL;
    if (p->c.span == root) /* a later stall behind the same root */
        return p;
    p->c.span = root;
    p->c.task = tr_span_task(tr, sp);
    p->c.t = sp->t0;
    p->c.dur = sp->t1 - sp->t0;
    p->c.why = sp->state == TR_ST_WAITING ? sp->why : 0;
    p->c.op = sp->state == TR_ST_WAITING ? sp->op : 0;
    p->c.at = sp->state == TR_ST_RUNNING ? slice_site(tr, root) : tr_span_site(tr, sp);
    p->c.stack = tr_span_stack(tr, root);
    if (sp->state == TR_ST_RUNNING)
        add_oncpu(tr, &p->c, root, p->c.dur);
    return p;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The mutexes with a kept contention cause, sorted, for the walk. */
static int list_contended(builder *b)
{
    tr_trace *tr = b->tr;
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->p[i].c.kind == TR_CAUSE_CONTENTION && b->p[i].c.blamed >= 0;
    tr->contended = malloc((n ? n : 1) * sizeof *tr->contended);
    if (!tr->contended)
        return -ENOMEM;
    for (size_t i = 0; i < b->n; i++)
        if (b->p[i].c.kind == TR_CAUSE_CONTENTION && b->p[i].c.blamed >= 0)
            tr->contended[tr->ncontended++] = b->p[i].c.obj;
    if (tr->ncontended)
        qsort(tr->contended, tr->ncontended, sizeof *tr->contended, cmp_u32);
    return 0;
}

static int assign_stalls(builder *b, const int64_t *periods, size_t np)
{
    tr_trace *tr = b->tr;
    for (size_t i = 0; i < tr->nstalls; i++) {
        tr_stall *s = &tr->stalls[i];
        s->cause = -1;
        if (s->kind == TR_STALL_STUCK || s->span >= tr->nspans)
            continue;
        proto *p = cause_of_stall(b, s, periods, np);
        if (!p)
            return -ENOMEM;
        int aggregate = p->c.span == NONE;
        if (aggregate)
            ; /* its total is its own measure */
        else if (s->kind == TR_STALL_LATENCY)
            p->lat_ns = tr__sat_add(p->lat_ns, stall_blame(tr, s, p->c.span));
        else
            p->c.blamed = tr__sat_add(p->c.blamed, stall_blame(tr, s, p->c.span));
        p->blocked |= s->kind == TR_STALL_BLOCKED;
        p->c.nstalls++;
        if (p->worst == NONE || s->dur > tr->stalls[p->worst].dur)
            p->worst = (uint32_t)i;
        s->cause = (int32_t)(p - b->p); /* a proto index until ranked */
        if (s->kind != TR_STALL_BLOCKED && add_victim(p, s->task)) /* not the culprit */
            return -ENOMEM;
        if (s->kind == TR_STALL_BLOCKED)
            for (uint32_t k = 0; k < s->nvictims; k++)
                if (add_victim(p, tr->victims[s->victim0 + k].task))
                    return -ENOMEM;
    }
    return 0;
}


typedef struct ranked {
    int64_t blamed, t;
    int kind;
    uint32_t idx;
} ranked;

static int cmp_rank(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->blamed != y->blamed)
        return x->blamed > y->blamed ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Ranks the kept protos, copies them out with their victims and chains,
 * and points the stalls at the ranked indices. */
static int finish(builder *b)
{
    tr_trace *tr = b->tr;
    ranked *order = malloc((b->n ? b->n : 1) * sizeof *order);
    uint32_t *rank = malloc((b->n ? b->n : 1) * sizeof *rank);
    size_t n = 0, nv = 0;
    int rc = -ENOMEM;
    if (!order || !rank)
        goto out;
    for (size_t i = 0; i < b->n; i++) {
        rank[i] = NONE;
        if (!b->p[i].blocked && b->p[i].c.span != NONE)
            b->p[i].c.blamed = tr__sat_add(b->p[i].c.blamed, b->p[i].lat_ns);
        if (b->p[i].c.blamed >= 0 && (b->p[i].c.blamed > 0 || b->p[i].c.nstalls > 0))
            order[n++] = (ranked){b->p[i].c.blamed, b->p[i].c.t, b->p[i].c.kind, (uint32_t)i};
        if (b->p[i].nv)
            qsort(b->p[i].victims, b->p[i].nv, sizeof(uint32_t), cmp_u32);
        size_t k = 0;
        for (size_t j = 0; j < b->p[i].nv; j++)
            if (k == 0 || b->p[i].victims[k - 1] != b->p[i].victims[j])
                b->p[i].victims[k++] = b->p[i].victims[j];
        b->p[i].nv = k;
    }
    if (n)
        qsort(order, n, sizeof *order, cmp_rank);
    for (size_t i = 0; i < n; i++)
        nv += b->p[order[i].idx].nv;
    tr->causes = calloc(n ? n : 1, sizeof *tr->causes);
    tr->cause_victims = malloc((nv ? nv : 1) * sizeof *tr->cause_victims);
    tr->cause_links = malloc((n ? n : 1) * MAX_STEPS * sizeof *tr->cause_links);
    if (!tr->causes || !tr->cause_victims || !tr->cause_links)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const proto *p = &b->p[order[i].idx];
        tr_cause *c = &tr->causes[i];
        rank[order[i].idx] = (uint32_t)i;
        *c = p->c;
        c->victim0 = (uint32_t)tr->ncause_victims;
        c->nvictims = (uint32_t)p->nv;
        if (p->nv)
            memcpy(tr->cause_victims + tr->ncause_victims, p->victims, p->nv * sizeof(uint32_t));
        tr->ncause_victims += p->nv;
        c->link0 = (uint32_t)tr->ncause_links;
        c->nlinks = 0;
        if (p->worst != NONE && p->c.span != NONE) {
            int sink;
            c->nlinks = (uint32_t)tr_blame(tr, tr->stalls[p->worst].span,
                                           tr->cause_links + tr->ncause_links, MAX_STEPS, &sink);
            tr->ncause_links += c->nlinks;
        }
    }
    tr->ncauses = n;
    if (tr->ncause_links) { /* room was made for MAX_STEPS links a cause */
        tr_link *l = realloc(tr->cause_links, tr->ncause_links * sizeof *l);
        if (l)
            tr->cause_links = l;
    }
    for (size_t i = 0; i < tr->nstalls; i++)
        if (tr->stalls[i].cause >= 0)
            tr->stalls[i].cause = rank[tr->stalls[i].cause] == NONE
                                      ? -1
                                      : (int32_t)rank[tr->stalls[i].cause];
    rc = 0;
out:
    free(order);
    free(rank);
    return rc;
}

int tr__causes_build(tr_trace *tr, const tr_analysis_opts *o)
{
    builder b;
    int64_t *periods = NULL;
    size_t np = 0;
    int rc = -ENOMEM;
    memset(&b, 0, sizeof b);
    b.tr = tr;
    b.o = o;
    if (build_run_index(tr) || build_conns(tr) || tr__map_init(&tr->blame_memo, 64) ||
        tr__map_init(&b.by_key, 64) || find_saturation(&b, &periods, &np) || object_waits(&b) ||
        holders(&b) || pool_waits(&b))
        goto out;
    for (size_t i = 0; i < b.n; i++) { /* aggregates below the threshold go */
        tr_cause *c = &b.p[i].c;
        int64_t min = c->kind == TR_CAUSE_SATURATION ? o->latency_ns : o->wait_ns;
        if (c->span == NONE && c->blamed >= 0 && c->blamed < min)
            c->blamed = -1;
    }
    if (list_contended(&b) || assign_stalls(&b, periods, np) || finish(&b))
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < b.n; i++)
        free(b.p[i].victims);
    free(b.p);
    free(b.lens);
    free(periods);
    tr__map_free(&b.by_key);
    tr__map_free(&tr->blame_memo);
    return rc;
}

/* ---- accessors and words ---- */

size_t tr_ncauses(const tr_trace *tr) { return tr ? tr->ncauses : 0; }
const tr_cause *tr_causes(const tr_trace *tr) { return tr ? tr->causes : NULL; }
const uint32_t *tr_cause_victims(const tr_trace *tr) { return tr ? tr->cause_victims : NULL; }
const tr_link *tr_cause_links(const tr_trace *tr) { return tr ? tr->cause_links : NULL; }

static const char *const cause_kinds[TR_CAUSE__COUNT] = {
    "run", "sleep", "io", "work", "wait", "saturation", "contention", "starvation", "backlog",
    "pool", "os"};

const char *tr_cause_kind_name(int kind)
{
    return kind >= 0 && kind < TR_CAUSE__COUNT ? cause_kinds[kind] : "?";
}

static void app_task(tr__buf *b, const tr_trace *tr, uint32_t id)
{
    char label[320];
    tr__app(b, "%s", tr_task_label(tr, id, label, sizeof label));
}

static void app_site(tr__buf *b, const tr_trace *tr, uint32_t at)
{
    if (at && *tr_str(tr, at))
        tr__app(b, " at %s", tr_str(tr, at));
}

static void app_objwait(tr__buf *b, const tr_trace *tr, int why, uint32_t obj)
{
    char what[400];
    tr__app(b, "%s", tr_describe_wait(tr, why, 0, -1, obj, what, sizeof what));
}

/* What the loop thread's clocks said, when they said it: " (on a CPU
 * 1.20 ms of 4.10 ms, preempted 2.90 ms)", ", the process stopped". */
static void app_oncpu(tr__buf *b, const tr_cause *c, int64_t of)
{
    char d[32], d2[32];
    if (!c->measured)
        return;
    tr__app(b, " (on a CPU %s of %s", tr_fmt_dur(d, sizeof d, c->cpu),
            tr_fmt_dur(d2, sizeof d2, of));
    if (c->runq > 0)
        tr__app(b, ", preempted %s", tr_fmt_dur(d, sizeof d, c->runq));
    if (c->stops)
        tr__app(b, ", the process stopped meanwhile");
    tr__app(b, ")");
}

static void describe_aggregate(tr__buf *b, const tr_trace *tr, const tr_cause *c)
{
    char d[32], d2[32], d3[32], what[400];
    switch (c->kind) {
    case TR_CAUSE_SATURATION: {
        int64_t busy = run_within(tr, c->t, c->t + c->dur); /* the share that made it saturated */
        tr__app(b, "loop %d%% busy for %s: %llu slice%s (p50 %s, p99 %s, max %s), most by ",
                c->dur ? (int)(100.0 * (double)busy / (double)c->dur) : 0,
                tr_fmt_dur(d, sizeof d, c->dur), (unsigned long long)c->count,
                c->count == 1 ? "" : "s", tr_fmt_dur(d2, sizeof d2, c->p50),
                tr_fmt_dur(d3, sizeof d3, c->p99), tr_fmt_dur(what, sizeof what, c->max));
        app_task(b, tr, c->task);
        if (c->at && *tr_str(tr, c->at))
            tr__app(b, " ending at %s", tr_str(tr, c->at));
        app_oncpu(b, c, busy);
        break;
    }
    case TR_CAUSE_CONTENTION:
        app_objwait(b, tr, TR_WAIT_LOCK, c->obj);
        tr__app(b, " contended: %llu wait%s, %s in all, longest %s", (unsigned long long)c->count,
                c->count == 1 ? "" : "s", tr_fmt_dur(d, sizeof d, c->blamed),
                tr_fmt_dur(d2, sizeof d2, c->max));
        if (c->task) {
            tr__app(b, "; held by %u task%s, longest by ", c->nholders, c->nholders == 1 ? "" : "s");
            app_task(b, tr, c->task);
        }
        if (c->held_why == 255 && c->held_ns > 0) {
            tr__app(b, ", running %s while holding", tr_fmt_dur(d, sizeof d, c->held_ns));
            app_site(b, tr, c->held_at);
        } else if (c->held_ns > 0) {
            tr__app(b, "; held across %s",
                    tr_describe_wait(tr, c->held_why, c->held_op, -1, 0, what, sizeof what));
            app_site(b, tr, c->held_at);
            tr__app(b, " (%s)", tr_fmt_dur(d, sizeof d, c->held_ns));
        }
        break;
    case TR_CAUSE_STARVATION:
    case TR_CAUSE_BACKLOG:
        app_objwait(b, tr, c->kind == TR_CAUSE_STARVATION ? TR_WAIT_CHAN_RECV : TR_WAIT_CHAN_SEND,
                    c->obj);
        tr__app(b, ": %s waited %llu times, %s in all, longest %s",
                c->kind == TR_CAUSE_STARVATION ? "receivers (nothing to receive)"
                                               : "senders (channel full)",
                (unsigned long long)c->count, tr_fmt_dur(d, sizeof d, c->blamed),
                tr_fmt_dur(d2, sizeof d2, c->max));
        app_site(b, tr, c->at);
        break;
    case TR_CAUSE_POOL:
        tr__app(b, "thread pool saturated: %llu jobs queued %s in all (p50 %s, max %s); busiest ",
                (unsigned long long)c->count, tr_fmt_dur(d, sizeof d, c->blamed),
                tr_fmt_dur(d2, sizeof d2, c->p50), tr_fmt_dur(d3, sizeof d3, c->max));
        app_task(b, tr, c->task);
        if (c->at && *tr_str(tr, c->at))
            tr__app(b, " running %s", tr_str(tr, c->at));
        break;
    default:
        break;
    }
}

char *tr_cause_describe(const tr_trace *tr, const tr_cause *c, char *buf, size_t n)
{
    tr__buf b = {buf, n, 0};
    char d[32], what[400];
    if (!buf || n == 0)
        return buf;
    buf[0] = '\0';
    if (!tr || !c)
        return buf;
    if (c->span == NONE) {
        describe_aggregate(&b, tr, c);
        return buf;
    }
    int64_t fd = c->span < tr->nspans ? tr_span_fd(tr, &tr->spans[c->span]) : -1;
    app_task(&b, tr, c->task);
    tr_fmt_dur(d, sizeof d, c->dur);
    switch (c->kind) {
    case TR_CAUSE_RUN:
        tr__app(&b, " ran %s on the loop without yielding", d);
        break;
    case TR_CAUSE_OS: /* the share that was not the task's own */
        tr__app(&b, " was held off the CPU by the OS for %s of a %s slice",
                tr_fmt_dur(what, sizeof what, c->dur - tr_span_blocking(tr, c->span)), d);
        break;
    case TR_CAUSE_SLEEP:
        if (c->why == TR_WAIT_SLEEP)
            tr__app(&b, " slept %s", d);
        else
            tr__app(&b, " waited %s on %s until a timer fired", d,
                    tr_describe_wait(tr, c->why, c->op, fd, tr_span_obj(tr, &tr->spans[c->span]),
                                     what, sizeof what));
        break;
    case TR_CAUSE_IO:
        tr__app(&b, " waited %s on %s (outside the process)", d,
                tr_describe_wait(tr, c->why, c->op, fd, 0, what, sizeof what));
        break;
    case TR_CAUSE_WORK:
        tr__app(&b, " waited %s for work on the thread pool", d);
        break;
    default:
        tr__app(&b, " waited %s on %s, ended by no task", d,
                tr_describe_wait(tr, c->why, c->op, fd, tr_span_obj(tr, &tr->spans[c->span]), what,
                                 sizeof what));
        break;
    }
    app_site(&b, tr, c->at);
    if (c->kind == TR_CAUSE_RUN || c->kind == TR_CAUSE_OS)
        app_oncpu(&b, c, c->dur);
    return buf;
}

/* One link in words: "crawler 5 (7) io read fd 18", "busy (7) running". */
static void app_link(tr__buf *b, const tr_trace *tr, const tr_link *l)
{
    char what[400];
    app_task(b, tr, l->task);
    if (l->span >= tr->nspans)
        return;
    const tr_span *sp = &tr->spans[l->span];
    switch (sp->state) {
    case TR_ST_RUNNING:
        tr__app(b, " running");
        break;
    case TR_ST_READY:
        tr__app(b, " ready");
        break;
    case TR_ST_WAITING:
        tr__app(b, " %s", tr_describe_wait(tr, sp->why, sp->op, tr_span_fd(tr, sp),
                                           tr_span_obj(tr, sp), what, sizeof what));
        break;
    default:
        tr__app(b, " done");
        break;
    }
}

char *tr_chain_describe(const tr_trace *tr, const tr_link *chain, size_t n, char *buf,
                        size_t size)
{
    tr__buf b = {buf, size, 0};
    if (!buf || size == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; tr && chain && i < n; i++) {
        if (n > CHAIN_SHOWN && i == 2) { /* the waiter's end and the root's end */
            tr__app(&b, " <- (%zu more)", n - CHAIN_SHOWN + 1);
            i = n - (CHAIN_SHOWN - 3);
        }
        if (i)
            tr__app(&b, " <- ");
        app_link(&b, tr, &chain[i]);
    }
    return buf;
}
