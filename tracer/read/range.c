/* range.c: figures for a time range [t0, t1) of a trace — each task's
 * time per state (spans clipped to the range), the loop's busy share, the
 * stalls that overlap it and the causes they waited behind, and the
 * scheduling latencies that end inside it — and the short lines both
 * surfaces print for a stall and a cause. `coscope stats --range` prints
 * them and the viewer's range panel draws them: one computation for both. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr_int.h"

static int bucket_of(int64_t v)
{
    if (v < 2)
        return 0;
    int b = 63 - __builtin_clzll((unsigned long long)v);
    return b < TR_HIST_BUCKETS ? b : TR_HIST_BUCKETS - 1;
}

static void add_task(const tr_trace *tr, const tr_task *t, int64_t t0,
                     int64_t t1, int64_t ns[TR_ST__COUNT], tr_hist *lat)
{
    for (uint32_t j = 0; j < t->nspans; j++) {
        const tr_span *sp = &tr->spans[t->span0 + j];
        int64_t a = sp->t0 > t0 ? sp->t0 : t0;
        int64_t b = sp->t1 < t1 ? sp->t1 : t1;
        if (b > a && sp->state < TR_ST__COUNT)
            ns[sp->state] = tr__sat_add(ns[sp->state], b - a);
        if (lat && sp->state == TR_ST_READY && sp->t1 >= t0 && sp->t1 < t1) {
            lat->count[bucket_of(sp->t1 - sp->t0)]++;
            lat->total++;
        }
    }
}

char *tr_fmt_pct(char *buf, size_t n, int64_t part, int64_t whole)
{
    /* 128-bit: part * 1000 overflows int64 for hostile traces */
    int64_t permille =
        whole > 0 ? (int64_t)((__extension__(__int128) part) * 1000 / whole)
                  : 0;
    snprintf(buf, n, "%" PRId64 ".%" PRId64 "%%", permille / 10, permille % 10);
    return buf;
}

int tr_range_task(const tr_trace *tr, uint32_t task, int64_t t0, int64_t t1,
                  int64_t ns[TR_ST__COUNT])
{
    if (!tr || !ns || t1 <= t0)
        return -EINVAL;
    memset(ns, 0, TR_ST__COUNT * sizeof *ns);
    const tr_task *t = tr_task_by_id(tr, task);
    if (!t)
        return -EINVAL;
    add_task(tr, t, t0, t1, ns, NULL);
    return 0;
}

/* Most running time first, then the lower id: the order of both lists. */
static int task_time_cmp(const void *a, const void *b)
{
    const tr_task_time *x = a, *y = b;
    int64_t rx = x->ns[TR_ST_RUNNING], ry = y->ns[TR_ST_RUNNING];
    if (rx != ry)
        return rx > ry ? -1 : 1;
    return x->task < y->task ? -1 : x->task > y->task;
}

/* Every task with time in the range, into out->tasks (sorted), and the
 * sums over them into out->state_ns, out->lat. */
static int range_tasks(const tr_trace *tr, tr_range *out)
{
    out->tasks = calloc(tr->ntasks ? tr->ntasks : 1, sizeof *out->tasks);
    if (!out->tasks)
        return -ENOMEM;
    for (size_t k = 0; k < tr->ntasks; k++) {
        tr_task_time *tt = &out->tasks[out->ntasks];
        add_task(tr, &tr->tasks[k], out->t0, out->t1, tt->ns, &out->lat);
        for (int s = 0; s < TR_ST__COUNT; s++)
            out->state_ns[s] = tr__sat_add(out->state_ns[s], tt->ns[s]);
        if (tt->ns[TR_ST_RUNNING] || tt->ns[TR_ST_READY] ||
            tt->ns[TR_ST_WAITING]) {
            tt->task = tr->tasks[k].id;
            out->ntasks++;
        } else {
            memset(tt, 0, sizeof *tt);
        }
    }
    qsort(out->tasks, out->ntasks, sizeof *out->tasks, task_time_cmp);
    return 0;
}

/* The part of stall s inside [t0, t1); -1 when it does not overlap (a
 * stall of no length overlaps when it starts inside). */
static int64_t stall_inside(const tr_stall *s, int64_t t0, int64_t t1)
{
    int64_t end = tr__sat_add(s->t, s->dur > 0 ? s->dur : 1);
    if (s->t >= t1 || end <= t0)
        return -1;
    int64_t a = s->t > t0 ? s->t : t0, b = end < t1 ? end : t1;
    return s->dur > 0 ? b - a : 0;
}

/* The stalls overlapping the range (time order, as tr_stalls) and, per
 * cause, how many of them waited behind it and their time in the range
 * (rank order, as tr_causes). */
static int range_stalls(const tr_trace *tr, tr_range *out)
{
    size_t ns = tr_nstalls(tr), nc = tr_ncauses(tr);
    const tr_stall *st = tr_stalls(tr);
    out->stalls = malloc((ns ? ns : 1) * sizeof *out->stalls);
    tr_cause_share *per = calloc(nc ? nc : 1, sizeof *per);
    if (!out->stalls || !per) {
        free(per);
        return -ENOMEM;
    }
    for (size_t k = 0; k < ns; k++) {
        int64_t in = stall_inside(&st[k], out->t0, out->t1);
        if (in < 0)
            continue;
        out->stalls[out->nstalls++] = (uint32_t)k;
        if (st[k].cause >= 0 && (size_t)st[k].cause < nc) {
            tr_cause_share *c = &per[st[k].cause];
            c->nstalls++;
            c->ns = tr__sat_add(c->ns, in);
        }
    }
    for (size_t c = 0; c < nc; c++)
        if (per[c].nstalls) {
            per[out->ncauses] = per[c];
            per[out->ncauses++].cause = (uint32_t)c;
        }
    out->causes = per;
    return 0;
}

int tr_range_stats(const tr_trace *tr, int64_t t0, int64_t t1, tr_range *out)
{
    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    if (!tr || t1 <= t0)
        return -EINVAL;
    out->t0 = t0;
    out->t1 = t1;
    int64_t dur = tr->head.duration;
    int64_t a = t0 > 0 ? t0 : 0, b = t1 < dur ? t1 : dur;
    if (b > a) {
        out->loop_idle = tr_idle_within(tr, a, b);
        out->loop_busy = (b - a) - out->loop_idle;
    }
    if (range_tasks(tr, out) != 0 || range_stalls(tr, out) != 0) {
        tr_range_close(out);
        return -ENOMEM;
    }
    return 0;
}

void tr_range_close(tr_range *r)
{
    if (!r)
        return;
    free(r->tasks);
    free(r->stalls);
    free(r->causes);
    r->tasks = NULL;
    r->stalls = NULL;
    r->causes = NULL;
    r->ntasks = r->nstalls = r->ncauses = 0;
}

char *tr_stall_brief(const tr_trace *tr, const tr_stall *s, char *buf, size_t n)
{
    char task[160], t[32], d[32];
    snprintf(buf, n, "%s at %s for %s",
             tr_task_label(tr, s->task, task, sizeof task),
             tr_fmt_dur(t, sizeof t, s->t), tr_fmt_dur(d, sizeof d, s->dur));
    return buf;
}

char *tr_cause_share_brief(const tr_trace *tr, const tr_cause_share *c,
                           char *buf, size_t n)
{
    char task[160], d[32];
    const tr_cause *cause = &tr_causes(tr)[c->cause];
    snprintf(buf, n, "%s: %" PRIu32 " stall%s, %s",
             tr_task_label(tr, cause->task, task, sizeof task), c->nstalls,
             c->nstalls == 1 ? "" : "s", tr_fmt_dur(d, sizeof d, c->ns));
    return buf;
}
