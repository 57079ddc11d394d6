/* tracer/read/facts.c: the analysis facts every surface shows — names of
 * stall kinds and objects, task labels, what a wait was on, who woke a
 * stall's task and who ran meanwhile, and the one description of a stall.
 * The text report, the JSON, the Chrome export and the viewer call these
 * instead of keeping their own copies. The object-name index is built with
 * the model (no cache to invalidate); the run-slice index behind
 * tr_ran_meanwhile is built by tr_analyze. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr_int.h"

static const char *const stall_kinds[TR_STALL__COUNT] = {"blocked", "latency", "wait",
                                                        "stuck"};

const char *tr_stall_kind_name(int kind)
{
    return kind >= 0 && kind < TR_STALL__COUNT ? stall_kinds[kind] : "?";
}

/* ---- how the run ended ---- */

tr_ending tr_trace_ending(const tr_trace *tr, const tr_event **ev)
{
    if (ev)
        *ev = NULL;
    if (!tr || tr->head.truncated)
        return TR_ENDING_NONE;
    /* the last line sorts last, or nearly: look back a little for it */
    for (size_t i = tr->nev, k = 0; i > 0 && k < 256; i--, k++) {
        const tr_event *e = &tr->ev[i - 1];
        if (e->ev != TR_EV_END && e->ev != TR_EV_FATAL && e->ev != TR_EV_HALT)
            continue;
        if (ev)
            *ev = e;
        return e->ev == TR_EV_END     ? TR_ENDING_END
               : e->ev == TR_EV_FATAL ? TR_ENDING_FATAL
               : (e->flags & TR_F_CODE) ? TR_ENDING_EXIT
                                        : TR_ENDING_SIGNAL;
    }
    return TR_ENDING_END;
}

char *tr_ending_describe(const tr_trace *tr, char *buf, size_t n)
{
    tr__buf b = {buf, n, 0};
    const tr_event *e;
    if (!buf || n == 0)
        return buf;
    buf[0] = '\0';
    switch (tr_trace_ending(tr, &e)) {
    case TR_ENDING_NONE:
        tr__app(&b, "the trace has no end line: still being written, or cut short");
        break;
    case TR_ENDING_FATAL:
        tr__app(&b, "the program died: %s", tr_str(tr, tr_ev_str(e)));
        break;
    case TR_ENDING_SIGNAL:
        tr__app(&b, "the program was killed by %s", tr_str(tr, tr_ev_str(e)));
        break;
    case TR_ENDING_EXIT:
        tr__app(&b, "the program called exit(%" PRId64 ") before co_main returned",
                tr_ev_val(tr, e));
        break;
    default:
        break;
    }
    return buf;
}

const char *tr_stall_label(const tr_stall *s)
{
    return s->kind == TR_STALL_STUCK && s->open ? "waiting" : tr_stall_kind_name(s->kind);
}

int tr_stall_kind_parse(const char *s, size_t n)
{
    for (int k = 0; s && k < TR_STALL__COUNT; k++)
        if (strlen(stall_kinds[k]) == n && strncmp(s, stall_kinds[k], n) == 0)
            return k;
    return -1;
}

/* ---- object names ---- */

static int cmp_objname(const void *a, const void *b)
{
    const tr__objname *x = a, *y = b;
    return (x->obj > y->obj) - (x->obj < y->obj);
}

int tr__objs_build(tr_trace *tr)
{
    size_t n = 0;
    for (size_t i = 0; i < tr->nev; i++)
        n += tr->ev[i].ev == TR_EV_OBJ;
    tr->nobjs = 0;
    if (n == 0)
        return 0;
    tr->objs = malloc(n * sizeof *tr->objs);
    if (!tr->objs)
        return -ENOMEM;
    for (size_t i = 0; i < tr->nev; i++)
        if (tr->ev[i].ev == TR_EV_OBJ)
            tr->objs[tr->nobjs++] = (tr__objname){tr->ev[i].arg, tr_ev_str(&tr->ev[i])};
    /* A bad trace may reuse an id: it then gets one of its names. */
    qsort(tr->objs, tr->nobjs, sizeof *tr->objs, cmp_objname);
    return 0;
}

const char *tr_obj_name(const tr_trace *tr, uint32_t obj)
{
    if (!tr || !tr->nobjs)
        return "";
    tr__objname key = {obj, 0};
    const tr__objname *o = bsearch(&key, tr->objs, tr->nobjs, sizeof key, cmp_objname);
    return o ? tr_str(tr, o->name) : "";
}

/* ---- bounded text ---- */

void tr__app(tr__buf *b, const char *fmt, ...)
{
    if (b->n == 0 || b->len >= b->n - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->len, b->n - b->len, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    if ((size_t)k < b->n - b->len) {
        b->len += (size_t)k;
        return;
    }
    /* Cut: back off to a UTF-8 character boundary. */
    size_t end = b->n - 1;
    while (end > b->len && ((unsigned char)b->p[end] & 0xC0) == 0x80)
        end--;
    b->p[end] = '\0';
    b->len = b->n - 1; /* full: nothing more is appended */
}

char *tr_task_label(const tr_trace *tr, uint32_t id, char *buf, size_t n)
{
    const tr_task *t;
    if (!buf || n == 0)
        return buf;
    if (id == 0) {
        snprintf(buf, n, "loop");
        return buf;
    }
    t = tr_task_by_id(tr, id);
    snprintf(buf, n, "%s (%" PRIu32 ")", t ? tr_str(tr, t->name) : "?", id);
    return buf;
}

static void app_task(tr__buf *b, const tr_trace *tr, uint32_t id)
{
    char label[320];
    tr__app(b, "%s", tr_task_label(tr, id, label, sizeof label));
}

static void app_obj(tr__buf *b, const tr_trace *tr, uint32_t obj)
{
    const char *name = tr_obj_name(tr, obj);
    if (*name)
        tr__app(b, "%s (obj %" PRIu32 ")", name, obj);
    else
        tr__app(b, "obj %" PRIu32, obj);
}

static void app_wait(tr__buf *b, const tr_trace *tr, int why, int op, int64_t fd, uint32_t obj)
{
    switch (why) {
    case TR_WAIT_IO:
        tr__app(b, "io %s", tr_op_name(op));
        if (fd >= 0)
            tr__app(b, " fd %" PRId64, fd);
        break;
    case TR_WAIT_JOIN:
        tr__app(b, "join");
        if (obj) {
            tr__app(b, " ");
            app_task(b, tr, obj);
        }
        break;
    case TR_WAIT_LOCK:
    case TR_WAIT_CHAN_SEND:
    case TR_WAIT_CHAN_RECV:
    case TR_WAIT_SEM:
    case TR_WAIT_COND:
    case TR_WAIT_GROUP:
        tr__app(b, "%s", tr_wait_name(why));
        if (obj) {
            tr__app(b, " ");
            app_obj(b, tr, obj);
        }
        break;
    default:
        tr__app(b, "%s", tr_wait_name(why));
        break;
    }
}

char *tr_describe_wait(const tr_trace *tr, int why, int op, int64_t fd, uint32_t obj,
                       char *buf, size_t n)
{
    tr__buf b = {buf, n, 0};
    if (!buf || n == 0)
        return buf;
    buf[0] = '\0';
    app_wait(&b, tr, why, op, fd, obj);
    return buf;
}

int64_t tr_stall_fd(const tr_trace *tr, const tr_stall *s)
{
    return tr && s && s->span < tr->nspans ? tr_span_fd(tr, &tr->spans[s->span]) : -1;
}

/* ---- searches over spans ---- */

static int passes(const tr_span *sp, int64_t x, int key)
{
    switch (key) {
    case TR__T0_GE:
        return sp->t0 >= x;
    case TR__T0_GT:
        return sp->t0 > x;
    default:
        return sp->t1 > x;
    }
}

size_t tr__span_search(const tr_trace *tr, const uint32_t *idx, size_t lo, size_t hi, int64_t x,
                       int key)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (!passes(&tr->spans[idx ? idx[mid] : mid], x, key))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- wake-ups ---- */

int tr__wakeup_in(const tr_trace *tr, uint32_t task, int64_t t0, int64_t t1, tr_wakeup *out)
{
    size_t lo = 0, hi = tr_nwakeups(tr);
    while (lo < hi) { /* first wake-up at or after t0 */
        size_t mid = lo + (hi - lo) / 2;
        if (tr_wakeup_get(tr, mid).t < t0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < tr_nwakeups(tr); lo++) {
        tr_wakeup w = tr_wakeup_get(tr, lo);
        if (w.t > t1)
            break;
        if (w.to == task) {
            *out = w;
            return 1;
        }
    }
    return 0;
}

int tr_stall_wakeup(const tr_trace *tr, const tr_stall *s, tr_wakeup *out)
{
    if (!tr || !s || !out)
        return 0;
    if (s->kind == TR_STALL_WAIT && s->span < tr->nspans) {
        uint32_t end = tr_span_end_ev(tr, s->span);
        if (end == UINT32_MAX || tr->ev[end].ev != TR_EV_READY)
            return 0;
        const tr_event *e = &tr->ev[end];
        *out = (tr_wakeup){e->t, e->arg, e->task, e->why, end};
        return 1;
    }
    if (s->kind != TR_STALL_LATENCY)
        return 0;
    if (s->span < tr->nspans)
        return tr_span_wakeup(tr, s->span, out);
    return tr__wakeup_in(tr, s->task, s->t, s->t + s->dur, out);
}

int tr_span_wakeup(const tr_trace *tr, size_t span, tr_wakeup *out)
{
    if (!tr || !out || span >= tr->nspans || tr->spans[span].state != TR_ST_READY)
        return 0;
    const tr_span *sp = &tr->spans[span];
    const tr_event *e = &tr->ev[sp->ev0];
    if (e->ev == TR_EV_READY) {
        *out = (tr_wakeup){e->t, e->arg, e->task, e->why, sp->ev0};
        return 1;
    }
    /* it began at the spawn line: the ready line follows within the span */
    return tr__wakeup_in(tr, tr_span_task(tr, sp), sp->t0, sp->t1, out);
}

/* ---- who ran meanwhile ---- */

static int64_t clip(const tr_span *sp, int64_t t0, int64_t t1)
{
    int64_t a = sp->t0 > t0 ? sp->t0 : t0, b = sp->t1 < t1 ? sp->t1 : t1;
    return b > a ? b - a : 0;
}

/* Run time of the task owning span index `si` within [t0, t1): its spans
 * are contiguous and ordered, run_cum holds the running time before each. */
static int64_t task_ran(const tr_trace *tr, const tr_task *t, int64_t t0, int64_t t1)
{
    size_t lo = t->span0, hi = (size_t)t->span0 + t->nspans, end = hi;
    if (hi > tr->nspans || lo >= hi)
        return 0;
    size_t a = tr__span_search(tr, NULL, lo, end, t0, TR__T1_GT);
    size_t b = tr__span_search(tr, NULL, a, end, t1, TR__T0_GE); /* [a, b) overlap it */
    if (a >= b)
        return 0;
    int64_t sum = tr->run_cum[b - 1] - tr->run_cum[a];
    if (tr->spans[b - 1].state == TR_ST_RUNNING)
        sum += tr->spans[b - 1].t1 - tr->spans[b - 1].t0;
    /* the two ends may stick out of the interval */
    if (tr->spans[a].state == TR_ST_RUNNING)
        sum -= (tr->spans[a].t1 - tr->spans[a].t0) - clip(&tr->spans[a], t0, t1);
    if (b - 1 != a && tr->spans[b - 1].state == TR_ST_RUNNING)
        sum -= (tr->spans[b - 1].t1 - tr->spans[b - 1].t0) - clip(&tr->spans[b - 1], t0, t1);
    return sum;
}

size_t tr_ran_meanwhile(const tr_trace *tr, int64_t t0, int64_t t1, uint32_t self, tr_ran *out,
                        size_t max)
{
    enum { SLICES = 64 }; /* longest slices looked at: 4 per task wanted */
    uint32_t top[SLICES];
    size_t n = 0;
    if (!tr || !tr->run_cum || max == 0 || t1 <= t0)
        return 0;
    size_t ntop = tr__longest_runs(tr, t0, t1, top, max * 4 < SLICES ? max * 4 : SLICES);
    for (size_t i = 0; i < ntop && n < max; i++) {
        uint32_t task = tr_span_task(tr, &tr->spans[top[i]]);
        const tr_task *t = tr_task_by_id(tr, task);
        size_t k;
        if (task == self || !t)
            continue;
        for (k = 0; k < n && out[k].task != task; k++)
            ;
        if (k < n)
            continue;
        int64_t ns = task_ran(tr, t, t0, t1);
        if (ns <= 0)
            continue;
        out[n++] = (tr_ran){task, ns};
    }
    for (size_t i = 1; i < n; i++) { /* longest first, then id */
        tr_ran r = out[i];
        size_t j = i;
        for (; j > 0 && (out[j - 1].ns < r.ns || (out[j - 1].ns == r.ns && out[j - 1].task > r.task));
             j--)
            out[j] = out[j - 1];
        out[j] = r;
    }
    return n;
}

/* ---- the description of a stall ---- */

#define VICTIMS_SHOWN 5

static void app_cycle(tr__buf *b, const tr_trace *tr, const tr_stall *s)
{
    if (s->cycle < 0 || (size_t)s->cycle >= tr->ncycles || tr->cycles[s->cycle].ntasks == 0)
        return;
    const tr_cycle *c = &tr->cycles[s->cycle];
    const uint32_t *ct = tr->cycle_tasks + c->task0;
    tr__app(b, "; DEADLOCK: ");
    for (uint32_t i = 0; i <= c->ntasks; i++) {
        if (i)
            tr__app(b, " -> ");
        app_task(b, tr, ct[i % c->ntasks]);
    }
}

static void describe_stuck(tr__buf *b, const tr_trace *tr, const tr_stall *s)
{
    app_wait(b, tr, s->why, s->op, tr_stall_fd(tr, s), s->obj);
    if (s->waits_on) {
        tr__app(b, ", waits on ");
        app_task(b, tr, s->waits_on);
    } else if ((s->why == TR_WAIT_CHAN_RECV || s->why == TR_WAIT_CHAN_SEND) && s->obj) {
        /* open: the program may still be running, a sender may yet come */
        tr__app(b, "; %snobody left to %s on ", s->open ? "" : "stuck: ",
                s->why == TR_WAIT_CHAN_RECV ? "send" : "receive");
        app_obj(b, tr, s->obj);
        if (s->open)
            tr__app(b, " so far");
    }
    app_cycle(b, tr, s);
}

/* A blocked slice with measured on-CPU figures: "on CPU 38.8 µs, asleep
 * 40.0 ms, preempted 600 µs; " (asleep: off the CPU, not waiting for one:
 * in a blocking call). Nothing for a slice recorded without them. */
static void app_oncpu(tr__buf *b, const tr_trace *tr, const tr_stall *s)
{
    tr_oncpu oc;
    char d[32];
    uint32_t end = s->span < tr_nspans(tr) ? tr_span_end_ev(tr, s->span) : UINT32_MAX;
    if (end == UINT32_MAX || !tr_ev_oncpu(tr, end, &oc))
        return;
    tr_span_oncpu(tr, s->span, &oc);
    int64_t asleep = tr_span_blocking(tr, s->span) - oc.cpu;
    tr__app(b, "on CPU %s", tr_fmt_dur(d, sizeof d, oc.cpu));
    if (asleep > 0)
        tr__app(b, ", asleep %s", tr_fmt_dur(d, sizeof d, asleep));
    if (oc.runq > 0)
        tr__app(b, ", preempted %s", tr_fmt_dur(d, sizeof d, oc.runq));
    tr__app(b, "; ");
}

char *tr_stall_describe(const tr_trace *tr, const tr_stall *s, char *buf, size_t n)
{
    tr__buf b = {buf, n, 0};
    char d[32];
    if (!buf || n == 0)
        return buf;
    buf[0] = '\0';
    if (!tr || !s)
        return buf;
    switch (s->kind) {
    case TR_STALL_BLOCKED: {
        app_oncpu(&b, tr, s);
        if (s->nvictims == 0 || (size_t)s->victim0 + s->nvictims > tr->nvictims) {
            tr__app(&b, "nothing else was ready");
            break;
        }
        const tr_victim *v = tr->victims + s->victim0;
        tr__app(&b, "ready meanwhile: ");
        for (uint32_t i = 0; i < s->nvictims && i < VICTIMS_SHOWN; i++) {
            tr__app(&b, "%s", i ? ", " : "");
            app_task(&b, tr, v[i].task);
            tr__app(&b, " %s", tr_fmt_dur(d, sizeof d, v[i].waited));
        }
        if (s->nvictims > VICTIMS_SHOWN)
            tr__app(&b, ", and %" PRIu32 " more", s->nvictims - VICTIMS_SHOWN);
        break;
    }
    case TR_STALL_LATENCY: {
        tr_wakeup w;
        tr_ran r[VICTIMS_SHOWN];
        size_t nr = tr_ran_meanwhile(tr, s->t, s->t + s->dur, s->task, r, VICTIMS_SHOWN);
        if (tr_stall_wakeup(tr, s, &w)) {
            tr__app(&b, "woken by ");
            app_task(&b, tr, w.from);
            tr__app(&b, " on %s", tr_wake_name(w.why));
        } else {
            tr__app(&b, "ready");
        }
        for (size_t i = 0; i < nr; i++) {
            tr__app(&b, "%s", i ? ", " : "; ran meanwhile: ");
            app_task(&b, tr, r[i].task);
            tr__app(&b, " %s", tr_fmt_dur(d, sizeof d, r[i].ns));
        }
        break;
    }
    case TR_STALL_WAIT:
        app_wait(&b, tr, s->why, s->op, tr_stall_fd(tr, s), s->obj);
        break;
    case TR_STALL_STUCK:
        describe_stuck(&b, tr, s);
        break;
    default:
        break;
    }
    return buf;
}
