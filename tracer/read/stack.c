/* tracer/read/stack.c: caller chains and on-CPU figures of a loaded trace.
 * They live beside the events in sorted lists keyed by event index (so a
 * tr_event stays 32 bytes): filled by the parser, offset when chunks are
 * merged, re-indexed around the sort, then checked and symbolised
 * (symbols.c). Also the public accessors and the one stack formatter every
 * surface (CLI text and JSON, viewer, export) uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr_int.h"

int tr__grow_push(void **p, size_t *n, size_t *cap, size_t size, const void *elem)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        void *q = realloc(*p, c * size);
        if (!q)
            return -ENOMEM;
        *p = q;
        *cap = c;
    }
    memcpy((char *)*p + *n * size, elem, size);
    (*n)++;
    return 0;
}

void tr__stackdata_free(tr__stackdata *d)
{
    free(d->refs);
    free(d->cpus);
    free(d->defs);
    free(d->pcs);
    free(d->mods);
    memset(d, 0, sizeof *d);
}

/* A copy of an array of n elements of `size` bytes, room for cap. */
static int copy_array(void **dst, const void *src, size_t n, size_t cap, size_t size)
{
    *dst = NULL;
    if (cap == 0)
        return 0;
    *dst = malloc(cap * size);
    if (!*dst)
        return -ENOMEM;
    if (n)
        memcpy(*dst, src, n * size);
    return 0;
}

int tr__stackdata_copy(tr__stackdata *dst, const tr__stackdata *src)
{
    *dst = *src; /* the counts and capacities; the arrays are copied */
    dst->refs = NULL;
    dst->cpus = NULL;
    dst->defs = NULL;
    dst->pcs = NULL;
    dst->mods = NULL;
    if (copy_array((void **)&dst->refs, src->refs, src->nrefs, src->caprefs, sizeof *src->refs) ||
        copy_array((void **)&dst->cpus, src->cpus, src->ncpus, src->capcpus, sizeof *src->cpus) ||
        copy_array((void **)&dst->defs, src->defs, src->ndefs, src->capdefs, sizeof *src->defs) ||
        copy_array((void **)&dst->pcs, src->pcs, src->npcs, src->cappcs, sizeof *src->pcs) ||
        copy_array((void **)&dst->mods, src->mods, src->nmods, src->capmods, sizeof *src->mods)) {
        tr__stackdata_free(dst);
        return -ENOMEM;
    }
    return 0;
}

void tr__stack_free(tr_trace *tr)
{
    tr__stackdata_free(&tr->sd);
    tr__map_free(&tr->stack_idx);
    free(tr->frames);
    tr->frames = NULL;
    tr->nframes = 0;
    tr__strtab_free(&tr->sym);
}

/* Appends n elements to a growable array. */
static int append(void **p, size_t *len, size_t *cap, size_t size, const void *src, size_t n)
{
    if (*len + n > *cap) {
        size_t c = *cap ? *cap : 16;
        while (c < *len + n)
            c *= 2;
        void *q = realloc(*p, c * size);
        if (!q)
            return -ENOMEM;
        *p = q;
        *cap = c;
    }
    if (n)
        memcpy((char *)*p + *len * size, src, n * size);
    *len += n;
    return 0;
}

int tr__stack_merge(tr_trace *tr, tr__stackdata *c, size_t ev_base, const uint32_t *remap)
{
    tr__stackdata *d = &tr->sd;
    size_t r0 = d->nrefs, c0 = d->ncpus, d0 = d->ndefs, p0 = d->npcs, m0 = d->nmods;
    if (append((void **)&d->refs, &d->nrefs, &d->caprefs, sizeof *c->refs, c->refs, c->nrefs) ||
        append((void **)&d->cpus, &d->ncpus, &d->capcpus, sizeof *c->cpus, c->cpus, c->ncpus) ||
        append((void **)&d->defs, &d->ndefs, &d->capdefs, sizeof *c->defs, c->defs, c->ndefs) ||
        append((void **)&d->pcs, &d->npcs, &d->cappcs, sizeof *c->pcs, c->pcs, c->npcs) ||
        append((void **)&d->mods, &d->nmods, &d->capmods, sizeof *c->mods, c->mods, c->nmods))
        return -ENOMEM;
    for (size_t i = r0; i < d->nrefs; i++)
        d->refs[i].ev += (uint32_t)ev_base;
    for (size_t i = c0; i < d->ncpus; i++)
        d->cpus[i].ev += (uint32_t)ev_base;
    for (size_t i = d0; i < d->ndefs; i++)
        d->defs[i].pc0 += (uint32_t)p0;
    for (size_t i = m0; remap && i < d->nmods; i++) {
        d->mods[i].path = remap[d->mods[i].path];
        d->mods[i].build_id = remap[d->mods[i].build_id];
    }
    tr__stackdata_free(c);
    return 0;
}

static int is_work(const tr_event *e)
{
    return e->ev == TR_EV_WORK_BEGIN || e->ev == TR_EV_WORK_END;
}

/* The sort only moves work events (pool threads' lines) among the loop's,
 * whose order it keeps; the events referred to are all loop events. So a
 * reference survives the sort as its rank among loop events. Both lists
 * are in event order. */
void tr__refs_to_ranks(tr_trace *tr)
{
    size_t rank = 0, a = 0, b = 0;
    tr__stackdata *d = &tr->sd;
    for (size_t i = 0; i < tr->nev && (a < d->nrefs || b < d->ncpus); i++) {
        if (is_work(&tr->ev[i]))
            continue;
        while (a < d->nrefs && d->refs[a].ev == i)
            d->refs[a++].ev = (uint32_t)rank;
        while (b < d->ncpus && d->cpus[b].ev == i)
            d->cpus[b++].ev = (uint32_t)rank;
        rank++;
    }
}

void tr__refs_from_ranks(tr_trace *tr)
{
    size_t rank = 0, a = 0, b = 0;
    tr__stackdata *d = &tr->sd;
    for (size_t i = 0; i < tr->nev && (a < d->nrefs || b < d->ncpus); i++) {
        if (is_work(&tr->ev[i]))
            continue;
        while (a < d->nrefs && d->refs[a].ev == rank)
            d->refs[a++].ev = (uint32_t)i;
        while (b < d->ncpus && d->cpus[b].ev == rank)
            d->cpus[b++].ev = (uint32_t)i;
        rank++;
    }
}

int tr__stack_finish(tr_trace *tr)
{
    tr__stackdata *d = &tr->sd;
    if (tr__strtab_init(&tr->sym) != 0)
        goto nomem;
    if (d->ndefs == 0 && d->nrefs == 0)
        return 0;
    if (tr__map_init(&tr->stack_idx, d->ndefs * 2 + 16) != 0)
        goto nomem;
    for (size_t i = 0; i < d->ndefs; i++) {
        uint32_t *v = tr__map_get(&tr->stack_idx, d->defs[i].id, 1);
        if (!v)
            goto nomem;
        if (*v != UINT32_MAX) {
            tr__set_error("%s:%u: stack %u defined twice", tr->name, d->defs[i].line,
                          d->defs[i].id);
            return -EINVAL;
        }
        *v = (uint32_t)i;
    }
    size_t undefined = 0;
    uint32_t first = 0;
    for (size_t i = 0; i < d->nrefs; i++)
        if (!tr__map_get(&tr->stack_idx, d->refs[i].stack, 0) && undefined++ == 0)
            first = d->refs[i].stack;
    if (undefined && tr__warn(tr, "%s: %zu event%s refer to a stack never defined (first: %u)",
                              tr->name, undefined, undefined == 1 ? "" : "s", first))
        goto nomem;
    if (tr__symbolize(tr) != 0)
        goto nomem;
    return 0;
nomem:
    tr__set_error("%s: out of memory", tr->name);
    return -ENOMEM;
}

size_t tr__stack_memory(const tr_trace *tr)
{
    const tr__stackdata *d = &tr->sd;
    if (!d->nrefs && !d->ncpus && !d->ndefs)
        return 0; /* a trace without stacks holds none of it */
    return d->caprefs * sizeof *d->refs + d->capcpus * sizeof *d->cpus +
           d->capdefs * sizeof *d->defs + d->cappcs * sizeof *d->pcs +
           d->capmods * sizeof *d->mods + tr->nframes * sizeof *tr->frames + tr->sym.cap +
           (size_t)tr->sym.offcap * sizeof *tr->sym.off +
           (tr->stack_idx.keys ? (tr->stack_idx.mask + 1) * (sizeof(uint64_t) + sizeof(uint32_t) + 1)
                               : 0);
}

/* ---- public accessors ---- */

/* Index of the entry for event ev in a list sorted by ev (each entry
 * begins with its uint32_t ev), or -1. */
static long find_ev(const void *list, size_t n, size_t size, size_t ev)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t at;
        memcpy(&at, (const char *)list + mid * size, sizeof at);
        if (at < ev)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n) {
        uint32_t at;
        memcpy(&at, (const char *)list + lo * size, sizeof at);
        if (at == ev)
            return (long)lo;
    }
    return -1;
}
#define FIND_EV(list, n, evi) find_ev((list), (n), sizeof *(list), (evi))

uint32_t tr_ev_stack(const tr_trace *tr, size_t i)
{
    if (!tr || i >= tr->nev)
        return 0;
    long k = FIND_EV(tr->sd.refs, tr->sd.nrefs, i);
    return k < 0 ? 0 : tr->sd.refs[k].stack;
}

int tr_ev_oncpu(const tr_trace *tr, size_t i, tr_oncpu *out)
{
    if (!tr || i >= tr->nev)
        return 0;
    long k = FIND_EV(tr->sd.cpus, tr->sd.ncpus, i);
    if (k < 0)
        return 0;
    if (out) {
        out->cpu = tr->sd.cpus[k].cpu;
        out->runq = tr->sd.cpus[k].runq;
        out->stops = tr->sd.cpus[k].stops;
    }
    return 1;
}

uint32_t tr_span_stack(const tr_trace *tr, size_t span)
{
    if (!tr || span >= tr->nspans)
        return 0;
    const tr_span *sp = &tr->spans[span];
    if (sp->state == TR_ST_RUNNING) { /* where the slice ended */
        uint32_t end = tr_span_end_ev(tr, span);
        return end == UINT32_MAX ? 0 : tr_ev_stack(tr, end);
    }
    return tr_ev_stack(tr, sp->ev0); /* the yield (waiting), the spawn */
}

int64_t tr_span_oncpu(const tr_trace *tr, size_t span, tr_oncpu *out)
{
    if (!tr || span >= tr->nspans)
        return 0;
    const tr_span *sp = &tr->spans[span];
    int64_t wall = sp->t1 - sp->t0;
    tr_oncpu oc = {wall, 0, 0};
    uint32_t end = tr_span_end_ev(tr, span);
    if (sp->state == TR_ST_RUNNING && end != UINT32_MAX && tr_ev_oncpu(tr, end, &oc)) {
        if (oc.cpu > wall)
            oc.cpu = wall;
        if (oc.runq > wall - oc.cpu)
            oc.runq = wall - oc.cpu;
    } else {
        oc.cpu = sp->state == TR_ST_RUNNING ? wall : 0;
    }
    if (out)
        *out = oc;
    return oc.cpu;
}

int64_t tr_span_blocking(const tr_trace *tr, size_t span)
{
    tr_oncpu oc;
    if (!tr || span >= tr->nspans || tr->spans[span].state != TR_ST_RUNNING)
        return 0;
    int64_t wall = tr->spans[span].t1 - tr->spans[span].t0;
    tr_span_oncpu(tr, span, &oc);
    /* Off the CPU and not waiting for one: asleep in a system call, unless
     * the process was stopped meanwhile (then the OS held it). */
    int64_t asleep = oc.stops ? 0 : wall - oc.cpu - oc.runq;
    return oc.cpu + asleep;
}

int tr_span_os_held(const tr_trace *tr, size_t span)
{
    if (!tr || span >= tr->nspans || tr->spans[span].state != TR_ST_RUNNING)
        return 0;
    int64_t wall = tr->spans[span].t1 - tr->spans[span].t0, mine = tr_span_blocking(tr, span);
    return wall - mine > mine; /* 2 * mine would overflow near INT64_MAX */
}

size_t tr_os_stretched(const tr_trace *tr, int64_t threshold, size_t *longest)
{
    size_t n = 0, best = SIZE_MAX;
    for (size_t i = 0; tr && i < tr->nspans; i++) {
        const tr_span *sp = &tr->spans[i];
        int64_t wall = sp->t1 - sp->t0;
        if (sp->state != TR_ST_RUNNING || wall <= threshold ||
            tr_span_blocking(tr, i) > threshold)
            continue;
        n++;
        if (best == SIZE_MAX || wall > tr->spans[best].t1 - tr->spans[best].t0)
            best = i;
    }
    if (longest)
        *longest = best;
    return n;
}

static const tr__stackdef *def_of(const tr_trace *tr, uint32_t stack)
{
    if (!tr || !stack || !tr->stack_idx.keys)
        return NULL;
    uint32_t *v = tr__map_get((tr__map *)&tr->stack_idx, stack, 0);
    return v ? &tr->sd.defs[*v] : NULL;
}

size_t tr_stack_depth(const tr_trace *tr, uint32_t stack)
{
    const tr__stackdef *d = def_of(tr, stack);
    return d ? d->nframes : 0;
}

int tr_stack_frame(const tr_trace *tr, uint32_t stack, size_t i, tr_frame *out)
{
    const tr__stackdef *d = def_of(tr, stack);
    if (!d || i >= d->nframes || !out)
        return -EINVAL;
    const tr__frame *f = &tr->frames[d->f0 + i];
    out->pc = f->pc;
    out->func = f->func ? tr__str(&tr->sym, f->func) : NULL;
    out->file = f->file ? tr__str(&tr->sym, f->file) : NULL;
    out->line = f->line;
    out->module = f->module ? tr__str(&tr->sym, f->module) : NULL;
    out->offset = f->offset;
    out->inlined = f->inlined;
    return 0;
}

char *tr_fmt_frame(char *buf, size_t n, const tr_frame *f)
{
    if (!buf || n == 0)
        return buf;
    if (f->func && f->file && f->line)
        snprintf(buf, n, "%s %s:%u", f->func, f->file, f->line);
    else if (f->func && f->module)
        snprintf(buf, n, "%s (%s+0x%llx)", f->func, f->module, (unsigned long long)f->offset);
    else if (f->func)
        snprintf(buf, n, "%s", f->func);
    else if (f->module)
        snprintf(buf, n, "0x%llx (%s+0x%llx)", (unsigned long long)f->pc, f->module,
                 (unsigned long long)f->offset);
    else
        snprintf(buf, n, "0x%llx", (unsigned long long)f->pc);
    return buf;
}

char *tr_fmt_stack(char *buf, size_t n, const tr_trace *tr, uint32_t stack, const char *sep)
{
    if (!buf || n == 0)
        return buf;
    buf[0] = '\0';
    size_t len = 0, depth = tr_stack_depth(tr, stack);
    for (size_t i = 0; i < depth && len + 1 < n; i++) {
        tr_frame f;
        char one[512];
        if (tr_stack_frame(tr, stack, i, &f) != 0)
            break;
        tr_fmt_frame(one, sizeof one, &f);
        int w = snprintf(buf + len, n - len, "%s%s", i ? (sep ? sep : " < ") : "", one);
        if (w < 0)
            break;
        len += (size_t)w < n - len ? (size_t)w : n - len - 1;
    }
    return buf;
}
