/* tracer/read/annot.c: the program's own annotations. Spans (span_begin /
 * span_end) are paired per task, innermost first: summed by name
 * (tr_annot_spans) or listed one by one for drawing (tr_annot_list); each
 * is one walk over the events with a stack of open spans. */
#include "tr_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct open_span {
    uint32_t task, name;
    int64_t t0;
} open_span;

static long find_or_add(const tr_trace *tr, tr_annot **v, size_t *n, size_t *cap,
                        uint32_t name)
{
    const char *s = tr_str(tr, name);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(tr_str(tr, (*v)[i].name), s) == 0)
            return (long)i;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        tr_annot *w = realloc(*v, c * sizeof *w);
        if (!w)
            return -ENOMEM;
        *v = w;
        *cap = c;
    }
    (*v)[*n] = (tr_annot){.name = name};
    return (long)(*n)++;
}

static int add(const tr_trace *tr, tr_annot **v, size_t *n, size_t *cap,
               const open_span *o, int64_t t1, int open)
{
    long k = find_or_add(tr, v, n, cap, o->name);
    if (k < 0)
        return (int)k;
    tr_annot *a = &(*v)[k];
    int64_t d = t1 > o->t0 ? t1 - o->t0 : 0;
    a->count++;
    a->open += open != 0;
    a->total += d;
    if (d > a->max)
        a->max = d;
    return 0;
}

long tr_annot_spans(const tr_trace *tr, tr_annot **out)
{
    tr_annot *v = NULL;
    open_span *st = NULL;
    size_t n = 0, cap = 0, depth = 0, stcap = 0;
    int rc = 0;
    const tr_event *ev = tr_events(tr);
    for (size_t i = 0; i < tr_nevents(tr) && rc == 0; i++) {
        const tr_event *e = &ev[i];
        if (e->ev == TR_EV_SPAN_BEGIN) {
            if (depth == stcap) {
                size_t c = stcap ? stcap * 2 : 16;
                open_span *w = realloc(st, c * sizeof *w);
                if (!w) {
                    rc = -ENOMEM;
                    break;
                }
                st = w;
                stcap = c;
            }
            st[depth++] = (open_span){e->task, tr_ev_str(e), e->t};
            long k = find_or_add(tr, &v, &n, &cap, tr_ev_str(e)); /* its order */
            if (k < 0)
                rc = (int)k;
        } else if (e->ev == TR_EV_SPAN_END) {
            size_t j = depth;
            while (j > 0 && st[j - 1].task != e->task)
                j--;
            if (j == 0)
                continue; /* nothing open in that task: ignored */
            rc = add(tr, &v, &n, &cap, &st[j - 1], e->t, 0);
            memmove(&st[j - 1], &st[j], (depth - j) * sizeof *st);
            depth--;
        }
    }
    for (size_t j = 0; j < depth && rc == 0; j++)
        rc = add(tr, &v, &n, &cap, &st[j], tr_head(tr)->duration, 1);
    free(st);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    return (long)n;
}

/* ---- one by one ---- */

static int by_task_t0(const void *a, const void *b)
{
    const tr_annot_span *x = a, *y = b;
    if (x->task != y->task)
        return x->task < y->task ? -1 : 1;
    if (x->t0 != y->t0)
        return x->t0 < y->t0 ? -1 : 1;
    return x->depth < y->depth ? -1 : x->depth > y->depth;
}

/* Opens one at e: its entry in *v (t1 unknown yet), its index on the stack. */
static int list_begin(tr_annot_span **v, size_t *n, size_t *cap, size_t **st, size_t *depth,
                      size_t *stcap, const tr_event *e)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        tr_annot_span *w = realloc(*v, c * sizeof *w);
        if (!w)
            return -ENOMEM;
        *v = w;
        *cap = c;
    }
    if (*depth == *stcap) {
        size_t c = *stcap ? *stcap * 2 : 16;
        size_t *w = realloc(*st, c * sizeof *w);
        if (!w)
            return -ENOMEM;
        *st = w;
        *stcap = c;
    }
    uint32_t nested = 0;
    for (size_t j = 0; j < *depth; j++)
        nested += (*v)[(*st)[j]].task == e->task;
    (*v)[*n] = (tr_annot_span){e->t, -1, e->task, tr_ev_str(e), nested, 1};
    (*st)[(*depth)++] = (*n)++;
    return 0;
}

long tr_annot_list(const tr_trace *tr, tr_annot_span **out)
{
    if (!tr || !out)
        return -EINVAL;
    tr_annot_span *v = NULL;
    size_t *st = NULL, n = 0, cap = 0, depth = 0, stcap = 0;
    int rc = 0;
    const tr_event *ev = tr_events(tr);
    for (size_t i = 0; i < tr_nevents(tr) && rc == 0; i++) {
        const tr_event *e = &ev[i];
        if (e->ev == TR_EV_SPAN_BEGIN) {
            rc = list_begin(&v, &n, &cap, &st, &depth, &stcap, e);
        } else if (e->ev == TR_EV_SPAN_END) {
            size_t j = depth;
            while (j > 0 && v[st[j - 1]].task != e->task)
                j--;
            if (j == 0)
                continue; /* nothing open in that task: ignored */
            tr_annot_span *a = &v[st[j - 1]];
            a->t1 = e->t > a->t0 ? e->t : a->t0;
            a->open = 0;
            memmove(&st[j - 1], &st[j], (depth - j) * sizeof *st);
            depth--;
        }
    }
    int64_t end = tr_head(tr)->duration;
    for (size_t j = 0; j < depth; j++)
        v[st[j]].t1 = end > v[st[j]].t0 ? end : v[st[j]].t0;
    free(st);
    if (rc) {
        free(v);
        return rc;
    }
    if (n)
        qsort(v, n, sizeof *v, by_task_t0);
    *out = v;
    return (long)n;
}
