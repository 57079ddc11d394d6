/* lanes.c: which lanes the timeline shows, in which order — the loop, one
 * lane per thread-pool thread, then tasks depth-first by spawn with children
 * under their parent; collapsed subtrees are skipped and a name filter
 * keeps only the matching tasks. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vw_int.h"

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) ==
                   tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

static int task_matches(const vw_model *m, const tr_task *t, const char *f)
{
    char id[24];
    if (contains_nocase(tr_str(m->tr, t->name), f))
        return 1;
    snprintf(id, sizeof id, "#%u", t->id);
    return strcmp(id, f) == 0;
}

int vw__lanes_refresh(vw_state *st, const vw_model *m)
{
    size_t cap = 1 + m->nthreads + m->ntasks;
    if (!st->lanes) {
        st->lanes = malloc(cap * sizeof *st->lanes);
        if (!st->lanes)
            return -ENOMEM;
    }
    if (!st->lane_of) {
        st->lane_of = malloc((m->ntasks + 1) * sizeof *st->lane_of);
        if (!st->lane_of)
            return -ENOMEM;
    }
    size_t n = 0;
    vw_lane *l = st->lanes;
    memset(&l[n], 0, sizeof l[n]);
    l[n++].kind = VW_LANE_LOOP;
    for (size_t k = 0; k < m->nthreads; k++) {
        memset(&l[n], 0, sizeof l[n]);
        l[n].kind = VW_LANE_POOL;
        l[n].id = m->thread_ids[k];
        l[n++].idx = (uint32_t)k;
    }
    int filtering = st->filter[0] != '\0';
    uint32_t skip_depth = UINT32_MAX; /* inside a collapsed subtree */
    for (size_t k = 0; k < m->ntasks; k++) {
        uint32_t i = m->order[k];
        const tr_task *t = &m->tasks[i];
        uint32_t depth = m->depth[i];
        if (filtering) {
            if (!task_matches(m, t, st->filter))
                continue;
        } else {
            if (depth > skip_depth)
                continue;
            skip_depth = UINT32_MAX;
            if (st->collapsed[i] && m->nchildren[i])
                skip_depth = depth;
        }
        memset(&l[n], 0, sizeof l[n]);
        l[n].kind = VW_LANE_TASK;
        l[n].id = t->id;
        l[n].idx = i;
        l[n].depth = (uint16_t)(depth > 60 ? 60 : depth);
        l[n].nchildren = m->nchildren[i];
        l[n].collapsed = st->collapsed[i];
        n++;
    }
    st->nlanes = n;
    for (size_t i = 0; i < m->ntasks; i++)
        st->lane_of[i] = -1;
    for (size_t li = 0; li < n; li++)
        if (l[li].kind == VW_LANE_TASK)
            st->lane_of[l[li].idx] = (int32_t)li;
    return 0;
}
