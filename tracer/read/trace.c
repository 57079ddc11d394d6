/* tracer/read/trace.c: a tr_trace's lifetime and its plain accessors
 * (header, events, strings, warnings). The reader fills the struct, the
 * model and analysis files add their arrays; all of it goes in tr_free. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr_int.h"

int tr__warn(tr_trace *tr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    char *msg = malloc((size_t)n + 1);
    char **warn = realloc(tr->warn, (tr->nwarn + 1) * sizeof *warn);
    if (!msg || !warn) {
        free(msg);
        if (warn)
            tr->warn = warn;
        return -ENOMEM;
    }
    tr->warn = warn;
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    tr->warn[tr->nwarn++] = msg;
    return 0;
}

void tr_free(tr_trace *tr)
{
    if (!tr)
        return;
    tr__analysis_free(tr);
    tr__model_free(tr);
    tr__stack_free(tr);
    for (size_t i = 0; i < tr->nwarn; i++)
        free(tr->warn[i]);
    free(tr->warn);
    free(tr->ev);
    free(tr->wide);
    free(tr->lines);
    free(tr->runs);
    tr__strtab_free(&tr->st);
    free(tr->name);
    free(tr);
}

size_t tr_nwarnings(const tr_trace *tr) { return tr ? tr->nwarn : 0; }

const char *tr_warning(const tr_trace *tr, size_t i)
{
    return tr && i < tr->nwarn ? tr->warn[i] : NULL;
}

const tr_header *tr_head(const tr_trace *tr) { return tr ? &tr->head : NULL; }
const char *tr_trace_path(const tr_trace *tr) { return tr && tr->name ? tr->name : ""; }
size_t tr_nevents(const tr_trace *tr) { return tr ? tr->nev : 0; }
const tr_event *tr_events(const tr_trace *tr) { return tr ? tr->ev : NULL; }

const char *tr_str(const tr_trace *tr, uint32_t id)
{
    return tr ? tr__str(&tr->st, id) : "";
}

size_t tr_event_at(const tr_trace *tr, int64_t t)
{
    size_t lo = 0, hi = tr ? tr->nev : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->ev[mid].t < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- compact event fields ---- */

/* The memory budget (docs/architecture.md): a loaded trace is smaller than
 * its file only while these hold. */
_Static_assert(sizeof(tr_event) == 32, "tr_event grew past 32 bytes");
_Static_assert(sizeof(tr_span) == 24, "tr_span grew past 24 bytes");

uint32_t tr_ev_str(const tr_event *e)
{
    return e && e->ev != TR_EV_YIELD ? e->s : 0;
}

static const tr__wide *wide_of(const tr_trace *tr, const tr_event *e)
{
    if (!tr || !e || e->v != TR_EV_WIDE || e->v2 < 0 || (size_t)e->v2 >= tr->nwide)
        return NULL;
    return &tr->wide[e->v2];
}

uint32_t tr_ev_at(const tr_trace *tr, const tr_event *e)
{
    if (e && e->ev == TR_EV_YIELD)
        return e->s;
    const tr__wide *w = wide_of(tr, e);
    return w ? w->at : 0;
}

int64_t tr_ev_val(const tr_trace *tr, const tr_event *e)
{
    if (e && e->v != TR_EV_WIDE)
        return e->v;
    const tr__wide *w = wide_of(tr, e);
    return w ? w->val : 0;
}

int64_t tr_ev_val2(const tr_trace *tr, const tr_event *e)
{
    if (e && e->v != TR_EV_WIDE)
        return e->v2;
    const tr__wide *w = wide_of(tr, e);
    return w ? w->val2 : 0;
}

uint32_t tr_ev_line(const tr_trace *tr, size_t i)
{
    if (!tr || i >= tr->nev)
        return 0;
    if (tr->lines)
        return tr->lines[i];
    size_t lo = 0, hi = tr->nruns; /* the last run starting at or before i */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->runs[mid].ev <= i)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    const tr__linerun *r = &tr->runs[lo - 1];
    return r->line + (uint32_t)(i - r->ev);
}

void tr_memory(const tr_trace *tr, tr_mem *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!tr)
        return;
    out->events = tr->nev * sizeof *tr->ev + tr->nwide * sizeof *tr->wide +
                  (tr->lines ? tr->nev * sizeof *tr->lines : 0) + tr->nruns * sizeof *tr->runs +
                  tr__stack_memory(tr); /* stacks, frames, on-CPU figures */
    out->strings = tr->st.cap + (size_t)tr->st.offcap * sizeof *tr->st.off +
                   (tr->st.slots ? ((size_t)tr->st.mask + 1) * sizeof *tr->st.slots : 0);
    size_t map = tr->task_idx.keys ? (tr->task_idx.mask + 1) * (sizeof(uint64_t) +
                                                                sizeof(uint32_t) + 1)
                                   : 0;
    out->model = tr->ntasks * sizeof *tr->tasks + map + tr->nspans * sizeof *tr->spans +
                 (tr->span_order ? tr->nspans * sizeof *tr->span_order : 0) +
                 tr->nwakes * sizeof *tr->wakes + tr->nworks * sizeof *tr->works +
                 tr->nidles * sizeof *tr->idles +
                 (tr->idle_before ? (tr->nidles + 1) * sizeof *tr->idle_before : 0);
    out->analysis = tr->nstalls * sizeof *tr->stalls + tr->nvictims * sizeof *tr->victims +
                    tr->ncycles * sizeof *tr->cycles +
                    tr->ncycle_tasks * sizeof *tr->cycle_tasks + tr__causes_memory(tr);
    out->total = out->events + out->strings + out->model + out->analysis;
}
