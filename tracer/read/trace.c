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
    for (size_t i = 0; i < tr->nwarn; i++)
        free(tr->warn[i]);
    free(tr->warn);
    free(tr->ev);
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
