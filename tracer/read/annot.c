/* tracer/read/annot.c: the program's own annotations, totalled. Spans
 * (span_begin / span_end) are paired per task, innermost first, and summed
 * by name; one walk over the events with a stack of open spans. */
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
