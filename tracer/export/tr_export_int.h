/* tr_export_int.h: private helpers the exporters share (tr_export.c,
 * tr_perfetto.c). The JSON writers are the format layer's
 * (tr_format_int.h). */
#ifndef TR_EXPORT_INT_H
#define TR_EXPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "coscope/trace.h"
#include "tr_format_int.h"

/* Shared by the exporters, so both draw the same slices and flows: */
/* Span s as a slice of its task's track: 1 with [*t0, *t1] clamped to start
 * no earlier than *prev (the previous slice's end, updated), so even a
 * malformed model cannot overlap slices; 0 for a span not drawn (done, or
 * an empty ready / wait span; an empty run slice is kept: flows end there). */
int tr__span_slice(const tr_span *s, int64_t *prev, int64_t *t0, int64_t *t1);
/* The first run span of `task` starting at or after t (where a wake-up at
 * t leads), or NULL. */
const tr_span *tr__next_run(const tr_trace *tr, const tr_task *task, int64_t t);
/* The thread-pool works' indices sorted by (thread, t0), so each pool
 * thread's track is clamped against its previous slice; malloc'd (the
 * caller frees), NULL when out of memory. */
size_t *tr__work_order(const tr_trace *tr);

#endif
