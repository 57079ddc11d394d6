/* hist.c: log2 histograms of run-slice lengths and scheduling latencies,
 * computed on demand from the spans (a pass over one task's spans, or over
 * all of them), so the model carries no per-task bucket arrays. */
#include <errno.h>
#include <string.h>

#include "tr_int.h"

static int bucket_of(int64_t v)
{
    if (v < 2)
        return 0;
    int b = 63 - __builtin_clzll((unsigned long long)v);
    return b < TR_HIST_BUCKETS ? b : TR_HIST_BUCKETS - 1;
}

int64_t tr_hist_lo(int i)
{
    if (i <= 0)
        return 0;
    if (i >= TR_HIST_BUCKETS)
        i = TR_HIST_BUCKETS - 1;
    return (int64_t)1 << i;
}

static void count_task(const tr_trace *tr, const tr_task *t, tr_hist *run,
                       tr_hist *lat)
{
    for (uint32_t j = 0; j < t->nspans; j++) {
        const tr_span *sp = &tr->spans[t->span0 + j];
        tr_hist *h = sp->state == TR_ST_RUNNING ? run
                     : sp->state == TR_ST_READY ? lat
                                                : NULL;
        if (h) {
            h->count[bucket_of(sp->t1 - sp->t0)]++;
            h->total++;
        }
    }
}

int tr_histograms(const tr_trace *tr, uint32_t task, tr_hist *run,
                  tr_hist *lat)
{
    if (!tr)
        return -EINVAL;
    tr_hist sink_run, sink_lat;
    tr_hist *r = run ? run : &sink_run, *l = lat ? lat : &sink_lat;
    memset(r, 0, sizeof *r);
    memset(l, 0, sizeof *l);
    if (task) {
        const tr_task *t = tr_task_by_id(tr, task);
        if (!t)
            return -EINVAL;
        count_task(tr, t, r, l);
        return 0;
    }
    for (size_t k = 0; k < tr->ntasks; k++)
        count_task(tr, &tr->tasks[k], r, l);
    return 0;
}
