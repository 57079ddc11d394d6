/* replay_no.c: the replay number of a loaded trace's event — the number
 * `coscope replay --stop-at` takes (the runtime's count, tr_replay.h) — so
 * the viewer and the CLI can say "stop here". Lines, not events, are
 * counted: event N is the Nth loop-thread line, and every line but the
 * header, `end`, `halt`, `fatal` and the pool threads' work_begin /
 * work_end is one, including lines the reader keeps beside its events
 * (stack definitions) or ignores with a warning. So the number of an event
 * on line L is L - 1 minus the pool-thread lines before L. */
#include "coscope/tr_replay.h"

#include <errno.h>
#include <stdlib.h>

#include "coscope/trace.h"

struct tr_replay_index {
    uint32_t *work_lines; /* the pool threads' lines, ascending */
    size_t n;
};

static int is_pool(int ev)
{
    return ev == TR_EV_WORK_BEGIN || ev == TR_EV_WORK_END;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int tr_replay_index_new(const tr_trace *tr, tr_replay_index **out)
{
    *out = NULL;
    tr_replay_index *x = calloc(1, sizeof *x);
    if (!x)
        return -ENOMEM;
    const tr_event *ev = tr_events(tr);
    size_t n = 0;
    for (size_t i = 0; i < tr_nevents(tr); i++)
        n += is_pool(ev[i].ev);
    x->work_lines = malloc((n ? n : 1) * sizeof *x->work_lines);
    if (!x->work_lines) {
        free(x);
        return -ENOMEM;
    }
    for (size_t i = 0; i < tr_nevents(tr); i++)
        if (is_pool(ev[i].ev))
            x->work_lines[x->n++] = tr_ev_line(tr, i);
    qsort(x->work_lines, x->n, sizeof *x->work_lines, cmp_u32); /* moved by time */
    *out = x;
    return 0;
}

uint64_t tr_replay_index_event(const tr_replay_index *x, const tr_trace *tr, size_t i)
{
    if (!x || i >= tr_nevents(tr))
        return 0;
    int kind = tr_events(tr)[i].ev;
    uint32_t line = tr_ev_line(tr, i);
    if (is_pool(kind) || kind == TR_EV_END || kind == TR_EV_HALT || kind == TR_EV_FATAL ||
        line < 2)
        return 0;
    size_t lo = 0, hi = x->n; /* pool lines before `line` */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->work_lines[mid] < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint64_t)line - 1 - lo;
}

void tr_replay_index_free(tr_replay_index *x)
{
    if (x)
        free(x->work_lines);
    free(x);
}
