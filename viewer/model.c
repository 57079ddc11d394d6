/* model.c: indexes over a loaded trace that drawing needs every frame —
 * the spawn-tree order of tasks, prefix sums of running and work time (so a
 * pixel column of a million sub-pixel spans is summed in O(log n); idle
 * time has the reader's, tr_idle_sums) and works grouped per pool thread.
 * Built once; nothing here changes with the view. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vw_int.h"

long vw__task_index(const vw_model *m, uint32_t id)
{
    const tr_task *t = tr_task_by_id(m->tr, id);
    return t ? (long)(t - m->tasks) : -1;
}

/* Depth-first order of the spawn tree, children in spawn order. Iterative,
 * so a deep chain of spawns cannot overflow the stack. */
static int build_order(vw_model *m)
{
    size_t n = m->ntasks;
    uint32_t *first = malloc((n + 1) * sizeof *first);
    uint32_t *next = malloc((n + 1) * sizeof *next);
    uint32_t *stack = malloc((n + 1) * sizeof *stack);
    int rc = -ENOMEM;
    if (!first || !next || !stack)
        goto fail;
    const uint32_t none = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        first[i] = none;
        next[i] = none;
        long p =
            m->tasks[i].parent ? vw__task_index(m, m->tasks[i].parent) : -1;
        /* a parent spawned after its child would be a bad trace: treat as a
         * root so the order stays a tree walk */
        m->parent_idx[i] = p >= 0 && (size_t)p < i ? (uint32_t)p : none;
    }
    /* link children in reverse so each list ends up in spawn order */
    uint32_t root_first = none;
    for (size_t k = n; k-- > 0;) {
        uint32_t p = m->parent_idx[k];
        if (p == none) {
            next[k] = root_first;
            root_first = (uint32_t)k;
        } else {
            next[k] = first[p];
            first[p] = (uint32_t)k;
            m->nchildren[p]++;
        }
    }
    size_t sp = 0, out = 0;
    for (uint32_t r = root_first; r != none; r = next[r]) {
        stack[sp++] = r;
        while (sp) {
            uint32_t t = stack[--sp];
            m->order[out++] = t;
            uint32_t p = m->parent_idx[t];
            m->depth[t] = p == none ? 0 : m->depth[p] + 1;
            /* push children in reverse so the first pops first */
            size_t base = sp;
            for (uint32_t c = first[t]; c != none; c = next[c])
                stack[sp++] = c;
            for (size_t a = base, b = sp; a + 1 < b; a++, b--) {
                uint32_t x = stack[a];
                stack[a] = stack[b - 1];
                stack[b - 1] = x;
            }
        }
    }
    rc = out == n ? 0 : -EINVAL;
fail:
    free(first);
    free(next);
    free(stack);
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int build_pool(vw_model *m)
{
    size_t nw = tr_nworks(m->tr);
    const tr_work *w = tr_works(m->tr);
    m->work_idx = malloc((nw + 1) * sizeof *m->work_idx);
    m->cum_work = malloc((nw + 1) * sizeof *m->cum_work);
    uint32_t *ids = malloc((nw + 1) * sizeof *ids);
    if (!m->work_idx || !m->cum_work || !ids) {
        free(ids);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nw; i++)
        ids[i] = w[i].thread;
    qsort(ids, nw, sizeof *ids, cmp_u32);
    size_t nt = 0;
    for (size_t i = 0; i < nw; i++)
        if (nt == 0 || ids[nt - 1] != ids[i])
            ids[nt++] = ids[i];
    m->thread_ids = ids;
    m->nthreads = nt;
    m->thread_w0 = calloc(nt + 1, sizeof *m->thread_w0);
    if (!m->thread_w0)
        return -ENOMEM;
    /* counting sort by thread keeps each group in t0 order */
    for (size_t i = 0; i < nw; i++) {
        uint32_t *p = bsearch(&w[i].thread, ids, nt, sizeof *ids, cmp_u32);
        m->thread_w0[(p - ids) + 1]++;
    }
    for (size_t k = 0; k < nt; k++)
        m->thread_w0[k + 1] += m->thread_w0[k];
    uint32_t *fill = malloc((nt + 1) * sizeof *fill);
    if (!fill)
        return -ENOMEM;
    memcpy(fill, m->thread_w0, (nt + 1) * sizeof *fill);
    for (size_t i = 0; i < nw; i++) {
        uint32_t *p = bsearch(&w[i].thread, ids, nt, sizeof *ids, cmp_u32);
        m->work_idx[fill[p - ids]++] = (uint32_t)i;
    }
    free(fill);
    m->cum_work[0] = 0;
    for (size_t k = 0; k < nw; k++) {
        const tr_work *x = &w[m->work_idx[k]];
        int64_t t1 = x->t1 < 0 ? m->duration : x->t1;
        int64_t d = t1 > x->t0 ? t1 - x->t0 : 0; /* threads overlap: saturate */
        m->cum_work[k + 1] = m->cum_work[k] > INT64_MAX - d ? INT64_MAX : m->cum_work[k] + d;
    }
    return 0;
}

/* The first annot of a task id >= id (they are sorted by task id). */
static size_t annot_lower(const vw_model *m, uint64_t id)
{
    size_t lo = 0, hi = m->nannots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->annots[mid].task < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The annotated spans, each task's range of them and their reach. */
static int build_annots(vw_model *m)
{
    long n = tr_annot_list(m->tr, &m->annots);
    if (n < 0)
        return (int)n;
    m->nannots = (size_t)n;
    m->annot0 = malloc((2 * m->ntasks + 1) * sizeof *m->annot0);
    m->annot_reach = malloc((m->nannots ? m->nannots : 1) * sizeof *m->annot_reach);
    if (!m->annot0 || !m->annot_reach)
        return -ENOMEM;
    for (size_t k = 0; k < m->nannots; k++) {
        int first = k == 0 || m->annots[k - 1].task != m->annots[k].task;
        int64_t t1 = m->annots[k].t1;
        m->annot_reach[k] = first || t1 > m->annot_reach[k - 1] ? t1 : m->annot_reach[k - 1];
    }
    for (size_t i = 0; i < m->ntasks; i++) { /* tasks are in spawn order */
        m->annot0[2 * i] = (uint32_t)annot_lower(m, m->tasks[i].id);
        m->annot0[2 * i + 1] = (uint32_t)annot_lower(m, (uint64_t)m->tasks[i].id + 1);
    }
    return 0;
}

void vw__model_annots(const vw_model *m, size_t i, size_t *a, size_t *b)
{
    *a = *b = 0;
    if (m->annot0 && i < m->ntasks) {
        *a = m->annot0[2 * i];
        *b = m->annot0[2 * i + 1];
    }
}

int vw__model_init(vw_model *m, const tr_trace *tr)
{
    memset(m, 0, sizeof *m);
    m->tr = tr;
    m->duration = tr_head(tr)->duration;
    m->ntasks = tr_ntasks(tr);
    m->tasks = tr_tasks(tr);
    size_t n = m->ntasks, ns = tr_nspans(tr);
    m->order = malloc((n + 1) * sizeof *m->order);
    m->parent_idx = malloc((n + 1) * sizeof *m->parent_idx);
    m->nchildren = calloc(n + 1, sizeof *m->nchildren);
    m->depth = calloc(n + 1, sizeof *m->depth);
    m->cum_run = malloc((ns + 1) * sizeof *m->cum_run);
    int rc = -ENOMEM;
    if (!m->order || !m->parent_idx || !m->nchildren || !m->depth ||
        !m->cum_run)
        goto fail;
    if ((rc = build_order(m)) != 0)
        goto fail;
    const tr_span *sp = tr_spans(tr);
    /* Run spans of different tasks overlap only in a bad trace (two tasks
     * "running" at once), but there the sum could pass INT64_MAX: saturate. */
    m->cum_run[0] = 0;
    for (size_t i = 0; i < ns; i++) {
        int64_t d = sp[i].state == TR_ST_RUNNING ? sp[i].t1 - sp[i].t0 : 0;
        m->cum_run[i + 1] = m->cum_run[i] > INT64_MAX - d ? INT64_MAX : m->cum_run[i] + d;
    }
    if ((rc = build_pool(m)) != 0 || (rc = build_annots(m)) != 0 ||
        (rc = tr_replay_index_new(tr, &m->replay)) != 0)
        goto fail;
    return 0;
fail:
    vw__model_close(m);
    return rc;
}

void vw__model_close(vw_model *m)
{
    if (!m)
        return;
    free(m->order);
    free(m->parent_idx);
    free(m->nchildren);
    free(m->depth);
    free(m->cum_run);
    free(m->thread_ids);
    free(m->thread_w0);
    free(m->work_idx);
    free(m->cum_work);
    free(m->annots);
    free(m->annot0);
    free(m->annot_reach);
    tr_replay_index_free(m->replay);
    memset(m, 0, sizeof *m);
}
