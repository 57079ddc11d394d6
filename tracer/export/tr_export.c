/* tr_export.c: the Chrome Trace Event Format exporter (Perfetto,
 * chrome://tracing). It walks the model the reader built — spans, wake-ups,
 * thread-pool work, loop idle time — and prints one JSON event per line
 * with a hand formatter straight into the buffers of a tr__sink, whose
 * thread writes them out meanwhile (no printf: vfprintf and one-byte fputc
 * were most of the export's time), no DOM, exact integer timestamps, so
 * output is byte-stable. */
#include "coscope/tr_export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tr_export_int.h"

#define POOL_TID_BASE 1000000u

#define OUT_CAP TR__SINK_CAP
#define STR_CHUNK 4096 /* a longer string is escaped in pieces */

typedef struct exporter {
    const tr_trace *tr;
    tr__sink *sink;
    int64_t pid;
    int first;
    uint64_t pool_base; /* tid of pool thread 0 */
    char *buf;          /* the sink's, OUT_CAP bytes, handed over when nearly full */
    size_t len;
} exporter;

/* ---- output: bytes into x->buf, handed to the sink when full ---- */

static void out_flush(exporter *x)
{
    x->buf = tr__sink_next(x->sink, x->len); /* errors: tr__sink_free's */
    x->len = 0;
}

/* Room for n more bytes (n <= OUT_CAP / 2) at the returned pointer. */
static char *out_room(exporter *x, size_t n)
{
    if (x->len + n > OUT_CAP)
        out_flush(x);
    return x->buf + x->len;
}

static void out_end(exporter *x, const char *e) { x->len = (size_t)(e - x->buf); }

static void out_mem(exporter *x, const char *s, size_t n)
{
    while (n) {
        size_t k = n < OUT_CAP / 2 ? n : OUT_CAP / 2;
        char *o = out_room(x, k);
        memcpy(o, s, k);
        out_end(x, o + k);
        s += k;
        n -= k;
    }
}

/* A string literal, or a token from the format tables (never escaped). */
#define OUT_LIT(x, lit) out_mem((x), (lit), sizeof(lit) - 1)
static void out_cstr(exporter *x, const char *s) { out_mem(x, s, strlen(s)); }
static void out_c(exporter *x, char c) { *out_room(x, 1) = c, x->len++; }

static void out_u64(exporter *x, uint64_t v) { out_end(x, tr__put_u64(out_room(x, 20), v)); }

static void out_i64(exporter *x, int64_t v)
{
    if (v < 0) {
        out_c(x, '-');
        out_u64(x, (uint64_t)0 - (uint64_t)v);
    } else {
        out_u64(x, (uint64_t)v);
    }
}

/* A quoted JSON string (NULL is ""), escaped by the format layer; a long
 * one in pieces that cut no UTF-8 sequence. */
static void out_str(exporter *x, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n <= STR_CHUNK) {
        char *o = out_room(x, TR__JSON_ESC_MAX(n) + 2);
        *o++ = '"';
        o = tr__json_esc(o, s, n);
        *o++ = '"';
        out_end(x, o);
        return;
    }
    out_c(x, '"');
    while (n) {
        size_t k = tr__json_cut(s, n, STR_CHUNK);
        char *o = out_room(x, TR__JSON_ESC_MAX(k));
        out_end(x, tr__json_esc(o, s, k));
        s += k;
        n -= k;
    }
    out_c(x, '"');
}

/* ns as microseconds with three decimals (the format layer's). */
static void out_us(exporter *x, int64_t ns) { out_end(x, tr__put_us(out_room(x, TR__US_MAX), ns)); }

/* "0x" and v in lower-case hex (flow ids). */
static void out_hex(exporter *x, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out_room(x, 18);
    int digits = 1;
    while (digits < 16 && (v >> (4 * digits)) != 0)
        digits++;
    *o++ = '0';
    *o++ = 'x';
    for (int d = digits - 1; d >= 0; d--)
        *o++ = hex[(v >> (4 * d)) & 15];
    out_end(x, o);
}

/* ---- events ---- */

/* Starts one event object: separator, ph, pid, tid. */
static void ev_open(exporter *x, const char *ph, uint64_t tid)
{
    if (x->first)
        OUT_LIT(x, "\n{\"ph\":\"");
    else
        OUT_LIT(x, ",\n{\"ph\":\"");
    x->first = 0;
    out_cstr(x, ph);
    OUT_LIT(x, "\",\"pid\":");
    out_i64(x, x->pid);
    OUT_LIT(x, ",\"tid\":");
    out_u64(x, tid);
}

static void meta_name(exporter *x, const char *what, uint64_t tid,
                      const char *name)
{
    ev_open(x, "M", tid);
    OUT_LIT(x, ",\"name\":\"");
    out_cstr(x, what);
    OUT_LIT(x, "\",\"args\":{\"name\":");
    out_str(x, name);
    OUT_LIT(x, "}}");
}

static void meta_sort(exporter *x, uint64_t tid, uint64_t index)
{
    ev_open(x, "M", tid);
    OUT_LIT(x, ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":");
    out_u64(x, index);
    OUT_LIT(x, "}}");
}

/* Event times ("ts", "dur") in 1/1024 us ticks, written as the exact
 * decimal of ticks / 1024 ("1992.9208984375"). Consumers hold times as
 * doubles and add and subtract them (DevTools adds ts + dur and drops a
 * slice whose end passes the next one's start; speedscope also shifts every
 * ts by its thread's first): with decimal microseconds each operation
 * rounds, and 12.5 % of slices were dropped. Binary fractions below 2^53
 * ticks (102 days) are exact doubles, so every such sum is exact and
 * contiguous slices stay contiguous. A tick is 0.977 ns: rounding a ns time
 * to ticks moves it < 0.49 ns, so a reader rounding ts * 1000 to ns (as
 * Perfetto does) gets the exact ns back. Negative times are written as 0. */
static uint64_t ticks_of(int64_t ns)
{
    if (ns <= 0)
        return 0;
    uint64_t n = (uint64_t)ns; /* * 1024 / 1000, rounded, without overflow */
    return n / 125 * 128 + ((n % 125) * 128 + 62) / 125;
}

static void put_ticks(exporter *x, uint64_t q)
{
    out_u64(x, q >> 10);
    uint64_t frac = (q & 1023) * 9765625; /* in 1e-10 us: 1/1024 = 0.0009765625 */
    if (frac == 0)
        return;
    char *o = out_room(x, 11);
    int n = 10;
    o[0] = '.';
    for (int k = 9; k >= 0; k--, frac /= 10)
        o[1 + k] = (char)('0' + frac % 10);
    while (o[n] == '0')
        n--;
    out_end(x, o + 1 + n);
}

static void put_ts(exporter *x, int64_t ns)
{
    put_ticks(x, ticks_of(ns));
}

/* The dur of [t0, t1]: the difference of the two ticks, so ts + dur is
 * exactly the end's ts. */
static void put_dur(exporter *x, int64_t t0, int64_t t1)
{
    uint64_t q0 = ticks_of(t0), q1 = ticks_of(t1);
    put_ticks(x, q1 > q0 ? q1 - q0 : 0);
}

/* Opens an X slice up to its dur; the caller adds ",\"args\":{...}" if it
 * wants, then closes with "}". */
static void slice_open(exporter *x, uint64_t tid, const char *cat,
                       const char *name, int64_t t0, int64_t t1)
{
    ev_open(x, "X", tid);
    OUT_LIT(x, ",\"cat\":\"");
    out_cstr(x, cat);
    OUT_LIT(x, "\",\"name\":");
    out_str(x, name);
    OUT_LIT(x, ",\"ts\":");
    put_ts(x, t0);
    OUT_LIT(x, ",\"dur\":");
    put_dur(x, t0, t1);
}

static void write_meta(exporter *x)
{
    const tr_header *h = tr_head(x->tr);
    const tr_task *tasks = tr_tasks(x->tr);
    char label[512];

    meta_name(x, "process_name", 0, h->program ? h->program : "");
    meta_name(x, "thread_name", 0, "loop");
    meta_sort(x, 0, 0);
    for (size_t i = 0; i < tr_ntasks(x->tr); i++) {
        tr_task_label(x->tr, tasks[i].id, label, sizeof label);
        meta_name(x, "thread_name", tasks[i].id, label);
        meta_sort(x, tasks[i].id, i + 1);
    }
}

static void write_span(exporter *x, const tr_task *task, const tr_span *s,
                       int64_t t0, int64_t t1)
{
    const tr_trace *tr = x->tr;
    char label[512];

    switch (s->state) {
    case TR_ST_RUNNING:
        slice_open(x, task->id, "run", tr_str(tr, task->name), t0, t1);
        break;
    case TR_ST_READY: {
        tr_wakeup w;
        int woken = tr_span_wakeup(tr, (size_t)(s - tr_spans(tr)), &w);
        slice_open(x, task->id, "ready", "ready", t0, t1);
        if (woken) {
            tr_task_label(x->tr, w.from, label, sizeof label);
            OUT_LIT(x, ",\"args\":{\"why\":");
            out_str(x, tr_wake_name(w.why));
            OUT_LIT(x, ",\"by\":");
            out_str(x, label);
            out_c(x, '}');
        }
        break;
    }
    case TR_ST_WAITING: {
        int64_t fd = tr_span_fd(tr, s);
        uint32_t obj = tr_span_obj(tr, s);
        slice_open(x, task->id, "wait", tr_wait_name(s->why), t0, t1);
        OUT_LIT(x, ",\"args\":{");
        if (s->why == TR_WAIT_IO) {
            OUT_LIT(x, "\"op\":");
            out_str(x, tr_op_name(s->op));
            out_c(x, ',');
        }
        OUT_LIT(x, "\"at\":");
        out_str(x, tr_str(tr, tr_span_site(tr, s)));
        if (fd >= 0)
            OUT_LIT(x, ",\"fd\":"), out_i64(x, fd);
        if (obj != 0)
            OUT_LIT(x, ",\"obj\":"), out_u64(x, obj);
        out_c(x, '}');
        break;
    }
    default:
        return;
    }
    out_c(x, '}');
}

int tr__span_slice(const tr_span *s, int64_t *prev, int64_t *t0, int64_t *t1)
{
    *t0 = s->t0 > *prev ? s->t0 : *prev;
    *t1 = s->t1;
    if (s->state == TR_ST_DONE)
        return 0;
    if (*t1 < *t0) {
        if (s->state != TR_ST_RUNNING)
            return 0;
        *t1 = *t0;
    }
    if (*t1 == *t0 && s->state != TR_ST_RUNNING)
        return 0;
    *prev = *t1;
    return 1;
}

/* A task's spans, clamped so that even a malformed model cannot produce
 * overlapping slices on one track. Zero-length ready / wait spans are noise
 * and are skipped; run slices are kept, flows end on them. */
static void write_tasks(exporter *x)
{
    const tr_task *tasks = tr_tasks(x->tr);
    const tr_span *spans = tr_spans(x->tr);
    size_t nspans = tr_nspans(x->tr);

    for (size_t i = 0; i < tr_ntasks(x->tr); i++) {
        const tr_task *t = &tasks[i];
        int64_t prev = INT64_MIN;
        for (uint32_t k = 0; k < t->nspans; k++) {
            if ((size_t)t->span0 + k >= nspans)
                break;
            const tr_span *s = &spans[t->span0 + k];
            int64_t t0, t1;
            if (tr__span_slice(s, &prev, &t0, &t1))
                write_span(x, t, s, t0, t1);
        }
    }
}

/* tid 0: the loop is idle while in the poller and busy the rest of the time;
 * busy slices also give flows from the loop a slice to start from. */
static void write_loop(exporter *x)
{
    const tr_idle *idles = tr_idles(x->tr);
    int64_t end = tr_head(x->tr)->duration, cur = 0;

    for (size_t i = 0; i < tr_nidles(x->tr); i++) {
        int64_t t0 = idles[i].t0 > cur ? idles[i].t0 : cur;
        int64_t t1 = idles[i].t1 >= 0 ? idles[i].t1 : end;
        if (t1 <= t0)
            continue;
        if (t0 > cur) {
            slice_open(x, 0, "poll", "busy", cur, t0);
            out_c(x, '}');
        }
        slice_open(x, 0, "poll", "idle", t0, t1);
        out_c(x, '}');
        cur = t1;
    }
    if (end > cur) {
        slice_open(x, 0, "poll", "busy", cur, end);
        out_c(x, '}');
    }
}

static int cmp_work(const void *a, const void *b, void *ctx)
{
    const tr_work *w = ctx;
    const tr_work *wa = &w[*(const size_t *)a], *wb = &w[*(const size_t *)b];
    if (wa->thread != wb->thread)
        return wa->thread < wb->thread ? -1 : 1;
    if (wa->t0 != wb->t0)
        return wa->t0 < wb->t0 ? -1 : 1;
    return 0;
}

size_t *tr__work_order(const tr_trace *tr)
{
    const tr_work *w = tr_works(tr);
    size_t n = tr_nworks(tr);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return NULL;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, cmp_work, (void *)w);
    return order;
}

/* Thread-pool work, one track per pool thread. Sorted by (thread, t0) so
 * each track can be clamped against its previous slice. */
static int write_works(exporter *x)
{
    const tr_work *w = tr_works(x->tr);
    size_t n = tr_nworks(x->tr);
    int64_t end = tr_head(x->tr)->duration, prev = 0;
    char label[512];
    size_t *order;

    if (n == 0)
        return 0;
    if (!(order = tr__work_order(x->tr)))
        return -ENOMEM;

    for (size_t i = 0; i < n; i++) {
        const tr_work *wk = &w[order[i]];
        uint64_t tid = x->pool_base + wk->thread;
        if (i == 0 || wk->thread != w[order[i - 1]].thread) {
            snprintf(label, sizeof label, "pool thread %" PRIu32, wk->thread);
            meta_name(x, "thread_name", tid, label);
            meta_sort(x, tid, tid);
            prev = 0;
        }
        int64_t t0 = wk->t0 > prev ? wk->t0 : prev;
        int64_t t1 = wk->t1 >= 0 ? wk->t1 : end;
        if (t1 < t0)
            t1 = t0;
        slice_open(x, tid, "work", tr_str(x->tr, wk->name), t0, t1);
        tr_task_label(x->tr, wk->task, label, sizeof label);
        OUT_LIT(x, ",\"args\":{\"task\":");
        out_str(x, label);
        OUT_LIT(x, "}}");
        prev = t1;
    }
    free(order);
    return 0;
}

static void write_marks(exporter *x)
{
    const tr_event *ev = tr_events(x->tr);
    for (size_t i = 0; i < tr_nevents(x->tr); i++) {
        if (ev[i].ev != TR_EV_MARK)
            continue;
        const char *msg = tr_str(x->tr, tr_ev_str(&ev[i]));
        uint32_t tid = tr_task_by_id(x->tr, ev[i].task) ? ev[i].task : 0;
        ev_open(x, "I", tid);
        OUT_LIT(x, ",\"s\":\"t\",\"cat\":\"mark\",\"name\":");
        out_str(x, msg);
        OUT_LIT(x, ",\"ts\":");
        put_ts(x, ev[i].t);
        OUT_LIT(x, ",\"args\":{\"msg\":");
        out_str(x, msg);
        OUT_LIT(x, "}}");
    }
}

/* ---- stalls and causes (when tr_analyze has run) ----
 * Their words come from the analysis library (tr_stall_describe,
 * tr_cause_describe, tr_chain_describe): the same text as coscope stalls. */

/* One "I" event per stall on its task's track, at the stall's start: the
 * why of a slow slice, in Perfetto next to the slice itself. */
static void write_stalls(exporter *x)
{
    const tr_stall *st = tr_stalls(x->tr);
    char msg[2048];
    for (size_t i = 0; i < tr_nstalls(x->tr); i++) {
        const tr_stall *s = &st[i];
        uint32_t tid = tr_task_by_id(x->tr, s->task) ? s->task : 0;
        ev_open(x, "I", tid);
        OUT_LIT(x, ",\"s\":\"t\",\"cat\":\"stall\",\"name\":\"");
        out_cstr(x, tr_stall_label(s));
        OUT_LIT(x, " stall\",\"ts\":");
        put_ts(x, s->t);
        OUT_LIT(x, ",\"args\":{\"msg\":");
        out_str(x, tr_stall_describe(x->tr, s, msg, sizeof msg));
        OUT_LIT(x, ",\"dur\":");
        out_us(x, s->dur);
        if (s->at) {
            OUT_LIT(x, ",\"at\":");
            out_str(x, tr_str(x->tr, s->at));
        }
        if (s->cause >= 0)
            OUT_LIT(x, ",\"cause\":"), out_i64(x, s->cause);
        OUT_LIT(x, "}}");
    }
}

/* One "I" event per cause on its root task's track, at the root's start,
 * in rank order: what it was, the task-time blamed on it, its victims and
 * the chain of its worst stall. */
static void write_causes(exporter *x)
{
    const tr_cause *cs = tr_causes(x->tr);
    char msg[2048];
    for (size_t i = 0; i < tr_ncauses(x->tr); i++) {
        const tr_cause *c = &cs[i];
        const uint32_t *v = tr_cause_victims(x->tr) + c->victim0;
        uint32_t tid = tr_task_by_id(x->tr, c->task) ? c->task : 0;
        ev_open(x, "I", tid);
        OUT_LIT(x, ",\"s\":\"t\",\"cat\":\"cause\",\"name\":\"cause ");
        out_u64(x, i);
        OUT_LIT(x, ": ");
        out_cstr(x, tr_cause_kind_name(c->kind));
        OUT_LIT(x, "\",\"ts\":");
        put_ts(x, c->t);
        OUT_LIT(x, ",\"args\":{\"msg\":");
        out_str(x, tr_cause_describe(x->tr, c, msg, sizeof msg));
        OUT_LIT(x, ",\"dur\":");
        out_us(x, c->dur);
        OUT_LIT(x, ",\"blamed\":");
        out_us(x, c->blamed);
        OUT_LIT(x, ",\"victims\":[");
        for (uint32_t k = 0; k < c->nvictims; k++) {
            if (k)
                out_c(x, ',');
            out_u64(x, v[k]);
        }
        OUT_LIT(x, "],\"chain\":");
        out_str(x, tr_chain_describe(x->tr, tr_cause_links(x->tr) + c->link0, c->nlinks,
                                             msg, sizeof msg));
        if (c->stack) {
            OUT_LIT(x, ",\"stack\":");
            out_str(x, tr_fmt_stack(msg, sizeof msg, x->tr, c->stack, NULL));
        }
        OUT_LIT(x, "}}");
    }
}

const tr_span *tr__next_run(const tr_trace *tr, const tr_task *task, int64_t t)
{
    const tr_span *spans = tr_spans(tr);
    size_t nspans = tr_nspans(tr);
    size_t lo = task->span0, hi = (size_t)task->span0 + task->nspans;
    if (hi > nspans)
        hi = nspans;
    if (lo > hi)
        return NULL;
    while (lo < hi) { /* lower bound on t0 */
        size_t mid = lo + (hi - lo) / 2;
        if (spans[mid].t0 < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t end = (size_t)task->span0 + task->nspans;
         lo < end && lo < nspans; lo++)
        if (spans[lo].state == TR_ST_RUNNING)
            return &spans[lo];
    return NULL;
}

/* One flow per wake-up that led to a run; a wake with no later run slice
 * has nothing to point at and is left out, so every "s" has its "f".
 * Chrome DevTools binds a flow event only to a slice with the same ts, pid,
 * tid and category, and a flow's two ends share one category: so the flow
 * is in category "run", starts at an instant "wake NAME (ID)" (category
 * "run") put on the waker's track at the wake, and ends at the start of
 * the wakee's run slice. Perfetto binds "s" to the slice open on the
 * waker's track then and "f" (bp "e") to the run slice, which encloses its
 * ts; its JSON importer reads string ids as hex, so ids are "0x..". */
static void write_flows(exporter *x)
{
    char label[512], name[600];
    for (size_t i = 0; i < tr_nwakeups(x->tr); i++) {
        tr_wakeup w = tr_wakeup_get(x->tr, i);
        const tr_task *to = tr_task_by_id(x->tr, w.to);
        if (!to)
            continue;
        const tr_span *run = tr__next_run(x->tr, to, w.t);
        if (!run)
            continue;
        uint32_t from = tr_task_by_id(x->tr, w.from) ? w.from : 0;
        tr_task_label(x->tr, to->id, label, sizeof label);
        memcpy(name, "wake ", 5); /* label has < 512 bytes: no snprintf per wake-up */
        memcpy(name + 5, label, strnlen(label, sizeof label - 1) + 1);
        ev_open(x, "I", from);
        OUT_LIT(x, ",\"s\":\"t\",\"cat\":\"run\",\"name\":");
        out_str(x, name);
        OUT_LIT(x, ",\"ts\":");
        put_ts(x, w.t);
        OUT_LIT(x, ",\"args\":{\"why\":");
        out_str(x, tr_wake_name(w.why));
        OUT_LIT(x, "}}");
        ev_open(x, "s", from);
        OUT_LIT(x, ",\"id\":\"");
        out_hex(x, i + 1);
        OUT_LIT(x, "\",\"cat\":\"run\",\"name\":\"wake\",\"ts\":");
        put_ts(x, w.t);
        out_c(x, '}');
        ev_open(x, "f", to->id);
        OUT_LIT(x, ",\"bp\":\"e\",\"id\":\"");
        out_hex(x, i + 1);
        OUT_LIT(x, "\",\"cat\":\"run\",\"name\":\"wake\",\"ts\":");
        put_ts(x, run->t0);
        out_c(x, '}');
    }
}

int tr_export_chrome(const tr_trace *tr, FILE *out)
{
    exporter x = {tr, NULL, 0, 1, POOL_TID_BASE, NULL, 0};
    int rc;

    if (!tr || !out)
        return -EINVAL;
    if (!(x.sink = tr__sink_new(out)))
        return -ENOMEM;
    x.buf = tr__sink_next(x.sink, 0);
    x.pid = tr_head(tr)->pid;
    for (size_t i = 0; i < tr_ntasks(tr); i++)
        if (tr_tasks(tr)[i].id >= x.pool_base)
            x.pool_base = (uint64_t)tr_tasks(tr)[i].id + 1;

    OUT_LIT(&x, "{\"traceEvents\":[");
    write_meta(&x);
    write_loop(&x);
    write_tasks(&x);
    rc = write_works(&x);
    if (rc == 0) {
        write_marks(&x);
        write_stalls(&x);
        write_causes(&x);
        write_flows(&x);
        /* no displayTimeUnit: some Perfetto versions took "ns" to mean that ts
         * is in ns, not us; it is only a display hint for the others */
        OUT_LIT(&x, "\n]}\n");
        out_flush(&x);
    }
    int wrc = tr__sink_free(x.sink);
    return rc != 0 ? rc : wrc;
}
