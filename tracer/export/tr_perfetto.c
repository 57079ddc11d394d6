/* tr_perfetto.c: the native Perfetto exporter: a Perfetto protobuf trace
 * (TracePacket / TrackDescriptor / TrackEvent, the subset documented in
 * docs/perfetto.proto) written with the small encoder in tr_pb.c, no
 * libprotobuf. The same slices and flows as the Chrome JSON export
 * (tr__span_slice, tr__next_run), as begin/end pairs on named tracks under
 * the process, with event names and categories interned. */
#include "coscope/tr_export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tr_export_int.h"
#include "tr_pb.h"

/* Field numbers of the subset (docs/perfetto.proto). */
enum {
    TRACE_PACKET = 1,
    PKT_TIMESTAMP = 8, PKT_SEQ_ID = 10, PKT_TRACK_EVENT = 11,
    PKT_INTERNED = 12, PKT_SEQ_FLAGS = 13, PKT_TRACK_DESC = 60,
    TD_UUID = 1, TD_NAME = 2, TD_PROCESS = 3, TD_PARENT = 5,
    PD_PID = 1, PD_NAME = 6,
    TE_ANNOT = 4, TE_TYPE = 9, TE_NAME_IID = 10, TE_TRACK = 11,
    TE_CAT_IID = 3, TE_FLOW = 47, TE_FLOW_END = 48,
    DA_INT = 4, DA_STRING = 6, DA_NAME = 10,
    ID_CATEGORIES = 1, ID_NAMES = 2, IN_IID = 1, IN_NAME = 2,
};
enum { SLICE_BEGIN = 1, SLICE_END = 2, INSTANT = 3 };
enum { SEQ_CLEARED = 1, SEQ_NEEDS_STATE = 2 };
#define SEQ 1 /* the one packet sequence */

/* Track uuids: the process, the loop, each task, each pool thread. */
#define UUID_PROCESS 1u
#define UUID_LOOP 2u
#define UUID_TASK(id) ((uint64_t)1 << 32 | (id))
#define UUID_POOL(n) ((uint64_t)2 << 32 | (n))

/* Interned strings: an open-addressed set of copies, iid = index + 1. */
typedef struct intern {
    char **keys;     /* by iid - 1 */
    uint32_t *slots; /* iid, 0 = empty */
    size_t n, mask;
} intern;

typedef struct pf {
    const tr_trace *tr;
    tr__sink *sink;
    tr_pb pkt, ev, sub, item, out;
    intern names, cats;
    int oom;
} pf;

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The iid of s in t; *fresh = 1 when it was just added (to be declared in
 * this packet's interned_data). 0 when out of memory. */
static uint64_t intern_of(pf *p, intern *t, const char *s, int *fresh)
{
    *fresh = 0;
    if (t->n * 2 >= t->mask) {
        size_t mask = t->mask ? t->mask * 2 + 1 : 255;
        uint32_t *slots = calloc(mask + 1, sizeof *slots);
        char **keys = realloc(t->keys, (mask + 1) / 2 * sizeof *keys);
        if (!slots || !keys) {
            free(slots);
            if (keys)
                t->keys = keys;
            p->oom = 1;
            return 0;
        }
        t->keys = keys;
        for (size_t i = 0; i < t->n; i++) {
            size_t h = hash_str(keys[i]) & mask;
            while (slots[h])
                h = (h + 1) & mask;
            slots[h] = (uint32_t)i + 1;
        }
        free(t->slots);
        t->slots = slots;
        t->mask = mask;
    }
    size_t h = hash_str(s) & t->mask;
    for (; t->slots[h]; h = (h + 1) & t->mask)
        if (strcmp(t->keys[t->slots[h] - 1], s) == 0)
            return t->slots[h];
    char *copy = strdup(s);
    if (!copy) {
        p->oom = 1;
        return 0;
    }
    t->keys[t->n++] = copy;
    t->slots[h] = (uint32_t)t->n;
    *fresh = 1;
    return t->n;
}

static void intern_free(intern *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->keys[i]);
    free(t->keys);
    free(t->slots);
}

/* Writes p->pkt as one Trace.packet and empties it. */
static void flush_packet(pf *p)
{
    tr__pb_msg(&p->out, TRACE_PACKET, &p->pkt);
    tr__pb_reset(&p->pkt);
    if (p->out.n >= TR__SINK_CAP / 2) { /* hand over in chunks */
        tr__sink_write(p->sink, p->out.b, p->out.n);
        tr__pb_reset(&p->out);
    }
    if (p->out.oom || p->pkt.oom)
        p->oom = 1;
}

static void track(pf *p, uint64_t uuid, uint64_t parent, const char *name)
{
    tr__pb_reset(&p->sub);
    tr__pb_uint(&p->sub, TD_UUID, uuid);
    tr__pb_str(&p->sub, TD_NAME, name);
    if (parent) {
        tr__pb_uint(&p->sub, TD_PARENT, parent);
    } else {
        tr__pb_reset(&p->item);
        tr__pb_uint(&p->item, PD_PID, (uint64_t)tr_head(p->tr)->pid);
        tr__pb_str(&p->item, PD_NAME, name);
        tr__pb_msg(&p->sub, TD_PROCESS, &p->item);
    }
    tr__pb_uint(&p->pkt, PKT_SEQ_ID, SEQ);
    tr__pb_msg(&p->pkt, PKT_TRACK_DESC, &p->sub);
    flush_packet(p);
}

/* Declares a freshly interned string in this packet's interned_data. */
static void declare(pf *p, uint32_t list, uint64_t iid, const char *s)
{
    tr__pb_reset(&p->item);
    tr__pb_uint(&p->item, IN_IID, iid);
    tr__pb_str(&p->item, IN_NAME, s);
    tr__pb_msg(&p->sub, list, &p->item);
}

/* Starts a track event in p->ev (the caller adds flows and annotations,
 * then calls event_end). name / cat NULL for a slice end. */
static void event_begin(pf *p, int type, uint64_t uuid, const char *name, const char *cat)
{
    tr__pb_reset(&p->ev);
    tr__pb_reset(&p->sub);
    tr__pb_uint(&p->ev, TE_TYPE, (uint64_t)type);
    tr__pb_uint(&p->ev, TE_TRACK, uuid);
    if (cat) {
        int fresh;
        uint64_t iid = intern_of(p, &p->cats, cat, &fresh);
        if (fresh)
            declare(p, ID_CATEGORIES, iid, cat);
        tr__pb_uint(&p->ev, TE_CAT_IID, iid);
    }
    if (name) {
        int fresh;
        uint64_t iid = intern_of(p, &p->names, name, &fresh);
        if (fresh)
            declare(p, ID_NAMES, iid, name);
        tr__pb_uint(&p->ev, TE_NAME_IID, iid);
    }
}

static void annot_str(pf *p, const char *key, const char *v)
{
    tr__pb_reset(&p->item);
    tr__pb_str(&p->item, DA_NAME, key);
    tr__pb_str(&p->item, DA_STRING, v);
    tr__pb_msg(&p->ev, TE_ANNOT, &p->item);
}

static void annot_int(pf *p, const char *key, int64_t v)
{
    tr__pb_reset(&p->item);
    tr__pb_str(&p->item, DA_NAME, key);
    tr__pb_uint(&p->item, DA_INT, (uint64_t)v);
    tr__pb_msg(&p->ev, TE_ANNOT, &p->item);
}

static void event_end(pf *p, int64_t t)
{
    tr__pb_uint(&p->pkt, PKT_TIMESTAMP, (uint64_t)(t > 0 ? t : 0));
    tr__pb_uint(&p->pkt, PKT_SEQ_ID, SEQ);
    tr__pb_uint(&p->pkt, PKT_SEQ_FLAGS, SEQ_NEEDS_STATE);
    if (p->sub.n)
        tr__pb_msg(&p->pkt, PKT_INTERNED, &p->sub);
    tr__pb_msg(&p->pkt, PKT_TRACK_EVENT, &p->ev);
    flush_packet(p);
}

static void slice(pf *p, uint64_t uuid, const char *name, const char *cat, int64_t t0,
                  int64_t t1)
{
    event_begin(p, SLICE_BEGIN, uuid, name, cat);
    event_end(p, t0);
    event_begin(p, SLICE_END, uuid, NULL, NULL);
    event_end(p, t1);
}

static void write_tracks(pf *p)
{
    const tr_task *tasks = tr_tasks(p->tr);
    const tr_header *h = tr_head(p->tr);
    char label[512];

    /* the first packet clears the sequence's interning state */
    tr__pb_uint(&p->pkt, PKT_SEQ_FLAGS, SEQ_CLEARED);
    track(p, UUID_PROCESS, 0, h->program ? h->program : "");
    track(p, UUID_LOOP, UUID_PROCESS, "loop");
    for (size_t i = 0; i < tr_ntasks(p->tr); i++) {
        tr_task_label(p->tr, tasks[i].id, label, sizeof label);
        track(p, UUID_TASK(tasks[i].id), UUID_PROCESS, label);
    }
}

static void write_loop(pf *p)
{
    const tr_idle *idles = tr_idles(p->tr);
    int64_t end = tr_head(p->tr)->duration, cur = 0;
    for (size_t i = 0; i < tr_nidles(p->tr); i++) {
        int64_t t0 = idles[i].t0 > cur ? idles[i].t0 : cur;
        int64_t t1 = idles[i].t1 >= 0 ? idles[i].t1 : end;
        if (t1 <= t0)
            continue;
        if (t0 > cur)
            slice(p, UUID_LOOP, "busy", "poll", cur, t0);
        slice(p, UUID_LOOP, "idle", "poll", t0, t1);
        cur = t1;
    }
    if (end > cur)
        slice(p, UUID_LOOP, "busy", "poll", cur, end);
}

/* Flows end on run slices: for each span, the ids of the flows that end
 * there, as offsets into one array (counting sort by span). */
typedef struct flows {
    uint32_t *first; /* per span + 1 */
    uint64_t *ids;
} flows;

static int build_flows(pf *p, flows *fl)
{
    const tr_span *spans = tr_spans(p->tr);
    size_t ns = tr_nspans(p->tr), nw = tr_nwakeups(p->tr);
    fl->first = calloc(ns + 2, sizeof *fl->first);
    fl->ids = malloc((nw ? nw : 1) * sizeof *fl->ids);
    if (!fl->first || !fl->ids)
        return -ENOMEM;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nw; i++) {
            tr_wakeup w = tr_wakeup_get(p->tr, i);
            const tr_task *to = tr_task_by_id(p->tr, w.to);
            const tr_span *run = to ? tr__next_run(p->tr, to, w.t) : NULL;
            if (!run)
                continue;
            size_t k = (size_t)(run - spans);
            if (pass == 0)
                fl->first[k + 2]++;
            else
                fl->ids[fl->first[k + 1]++] = i + 1;
        }
        if (pass == 0)
            for (size_t k = 2; k < ns + 2; k++)
                fl->first[k] += fl->first[k - 1];
    }
    return 0; /* now first[k] .. first[k + 1] are span k's flows */
}

static void write_span(pf *p, const tr_task *t, const tr_span *s, size_t k, int64_t t0,
                       int64_t t1, const flows *fl)
{
    const tr_trace *tr = p->tr;
    uint64_t uuid = UUID_TASK(t->id);
    char label[512];
    switch (s->state) {
    case TR_ST_RUNNING:
        event_begin(p, SLICE_BEGIN, uuid, tr_str(tr, t->name), "run");
        for (uint32_t i = fl->first[k]; i < fl->first[k + 1]; i++)
            tr__pb_fixed64(&p->ev, TE_FLOW_END, fl->ids[i]);
        break;
    case TR_ST_READY: {
        tr_wakeup w;
        event_begin(p, SLICE_BEGIN, uuid, "ready", "ready");
        if (tr_span_wakeup(tr, k, &w)) {
            annot_str(p, "why", tr_wake_name(w.why));
            annot_str(p, "by", tr_task_label(tr, w.from, label, sizeof label));
        }
        break;
    }
    default: {
        int64_t fd = tr_span_fd(tr, s);
        uint32_t obj = tr_span_obj(tr, s);
        event_begin(p, SLICE_BEGIN, uuid, tr_wait_name(s->why), "wait");
        if (s->why == TR_WAIT_IO)
            annot_str(p, "op", tr_op_name(s->op));
        annot_str(p, "at", tr_str(tr, tr_span_site(tr, s)));
        if (fd >= 0)
            annot_int(p, "fd", fd);
        if (obj)
            annot_int(p, "obj", obj);
        break;
    }
    }
    event_end(p, t0);
    event_begin(p, SLICE_END, uuid, NULL, NULL);
    event_end(p, t1);
}

static void write_tasks(pf *p, const flows *fl)
{
    const tr_task *tasks = tr_tasks(p->tr);
    const tr_span *spans = tr_spans(p->tr);
    size_t nspans = tr_nspans(p->tr);
    for (size_t i = 0; i < tr_ntasks(p->tr); i++) {
        const tr_task *t = &tasks[i];
        int64_t prev = INT64_MIN, t0, t1;
        for (uint32_t k = 0; k < t->nspans && (size_t)t->span0 + k < nspans; k++)
            if (tr__span_slice(&spans[t->span0 + k], &prev, &t0, &t1))
                write_span(p, t, &spans[t->span0 + k], t->span0 + k, t0, t1, fl);
    }
}

/* The start of every flow: an instant on the waker's track. */
static void write_wakes(pf *p)
{
    char label[512], name[600];
    for (size_t i = 0; i < tr_nwakeups(p->tr); i++) {
        tr_wakeup w = tr_wakeup_get(p->tr, i);
        const tr_task *to = tr_task_by_id(p->tr, w.to);
        if (!to || !tr__next_run(p->tr, to, w.t))
            continue;
        uint64_t uuid = tr_task_by_id(p->tr, w.from) ? UUID_TASK(w.from) : UUID_LOOP;
        snprintf(name, sizeof name, "wake %s",
                 tr_task_label(p->tr, to->id, label, sizeof label));
        event_begin(p, INSTANT, uuid, name, "run");
        tr__pb_fixed64(&p->ev, TE_FLOW, i + 1);
        annot_str(p, "why", tr_wake_name(w.why));
        event_end(p, w.t);
    }
}

/* Thread-pool work: one track per pool thread, in (thread, t0) order. */
static int write_works(pf *p)
{
    const tr_work *w = tr_works(p->tr);
    size_t n = tr_nworks(p->tr);
    int64_t end = tr_head(p->tr)->duration, prev = 0;
    char label[512];
    size_t *order;

    if (n == 0)
        return 0;
    if (!(order = tr__work_order(p->tr)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const tr_work *wk = &w[order[i]];
        uint64_t uuid = UUID_POOL(wk->thread);
        if (i == 0 || wk->thread != w[order[i - 1]].thread) {
            snprintf(label, sizeof label, "pool thread %" PRIu32, wk->thread);
            track(p, uuid, UUID_PROCESS, label);
            prev = 0;
        }
        int64_t t0 = wk->t0 > prev ? wk->t0 : prev;
        int64_t t1 = wk->t1 >= 0 ? wk->t1 : end;
        if (t1 < t0)
            t1 = t0;
        event_begin(p, SLICE_BEGIN, uuid, tr_str(p->tr, wk->name), "work");
        annot_str(p, "task", tr_task_label(p->tr, wk->task, label, sizeof label));
        event_end(p, t0);
        event_begin(p, SLICE_END, uuid, NULL, NULL);
        event_end(p, t1);
        prev = t1;
    }
    free(order);
    return 0;
}

static void write_marks(pf *p)
{
    const tr_event *ev = tr_events(p->tr);
    for (size_t i = 0; i < tr_nevents(p->tr); i++) {
        if (ev[i].ev != TR_EV_MARK)
            continue;
        uint32_t task = ev[i].task;
        const char *msg = tr_str(p->tr, tr_ev_str(&ev[i]));
        event_begin(p, INSTANT, tr_task_by_id(p->tr, task) ? UUID_TASK(task) : UUID_LOOP, msg,
                    "mark");
        annot_str(p, "msg", msg);
        event_end(p, ev[i].t);
    }
}

/* After tr_analyze: each stall as an instant on its task's track, with the
 * library's words for it (tr_stall_describe), as in the JSON export. */
static void write_stalls(pf *p)
{
    const tr_stall *st = tr_stalls(p->tr);
    char name[64], msg[2048];
    for (size_t i = 0; i < tr_nstalls(p->tr); i++) {
        const tr_stall *s = &st[i];
        snprintf(name, sizeof name, "%s stall", tr_stall_label(s));
        event_begin(p, INSTANT, tr_task_by_id(p->tr, s->task) ? UUID_TASK(s->task) : UUID_LOOP,
                    name, "stall");
        annot_str(p, "msg", tr_stall_describe(p->tr, s, msg, sizeof msg));
        annot_int(p, "dur_ns", s->dur);
        if (s->at)
            annot_str(p, "at", tr_str(p->tr, s->at));
        if (s->cause >= 0)
            annot_int(p, "cause", s->cause);
        event_end(p, s->t);
    }
}

/* Each cause as an instant on its root task's track, in rank order. */
static void write_causes(pf *p)
{
    const tr_cause *cs = tr_causes(p->tr);
    char name[96], msg[2048];
    for (size_t i = 0; i < tr_ncauses(p->tr); i++) {
        const tr_cause *c = &cs[i];
        snprintf(name, sizeof name, "cause %zu: %s", i, tr_cause_kind_name(c->kind));
        event_begin(p, INSTANT, tr_task_by_id(p->tr, c->task) ? UUID_TASK(c->task) : UUID_LOOP,
                    name, "cause");
        annot_str(p, "msg", tr_cause_describe(p->tr, c, msg, sizeof msg));
        annot_int(p, "dur_ns", c->dur);
        annot_int(p, "blamed_ns", c->blamed);
        annot_str(p, "chain", tr_chain_describe(p->tr, tr_cause_links(p->tr) + c->link0,
                                                c->nlinks, msg, sizeof msg));
        event_end(p, c->t);
    }
}

int tr_export_perfetto(const tr_trace *tr, FILE *out)
{
    pf p;
    flows fl = {NULL, NULL};
    int rc;

    if (!tr || !out)
        return -EINVAL;
    memset(&p, 0, sizeof p);
    p.tr = tr;
    if (!(p.sink = tr__sink_new(out)))
        return -ENOMEM;
    rc = build_flows(&p, &fl);
    if (rc == 0) {
        write_tracks(&p);
        rc = write_works(&p);
    }
    if (rc == 0) {
        write_loop(&p);
        write_tasks(&p, &fl);
        write_wakes(&p);
        write_marks(&p);
        write_stalls(&p);
        write_causes(&p);
        tr__sink_write(p.sink, p.out.b, p.out.n);
        if (p.oom)
            rc = -ENOMEM;
    }
    int wrc = tr__sink_free(p.sink);
    if (rc == 0)
        rc = wrc;
    free(fl.first);
    free(fl.ids);
    tr__pb_free(&p.pkt);
    tr__pb_free(&p.ev);
    tr__pb_free(&p.sub);
    tr__pb_free(&p.item);
    tr__pb_free(&p.out);
    intern_free(&p.names);
    intern_free(&p.cats);
    return rc;
}
