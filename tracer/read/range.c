/* range.c: figures for a time range [t0, t1) of a trace — each state's
 * time (spans clipped to the range), the loop's busy share, the stalls
 * that start inside it and the scheduling latencies that end inside it.
 * `coscope stats --range` prints them and the viewer's range panel draws
 * them: one computation for both. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
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
        whole > 0 ? (int64_t)((__extension__(__int128)part) * 1000 / whole)
                  : 0;
    snprintf(buf, n, "%" PRId64 ".%" PRId64 "%%", permille / 10,
             permille % 10);
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

int tr_range_stats(const tr_trace *tr, int64_t t0, int64_t t1, tr_range *out)
{
    if (!tr || !out || t1 <= t0)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    out->t0 = t0;
    out->t1 = t1;
    int64_t dur = tr->head.duration;
    int64_t a = t0 > 0 ? t0 : 0, b = t1 < dur ? t1 : dur;
    if (b > a) {
        out->loop_idle = tr_idle_within(tr, a, b);
        out->loop_busy = (b - a) - out->loop_idle;
    }
    for (size_t k = 0; k < tr->ntasks; k++)
        add_task(tr, &tr->tasks[k], t0, t1, out->state_ns, &out->lat);
    for (size_t k = 0; k < tr_nstalls(tr); k++) {
        const tr_stall *s = &tr_stalls(tr)[k];
        out->nstalls += s->t >= t0 && s->t < t1;
    }
    return 0;
}
