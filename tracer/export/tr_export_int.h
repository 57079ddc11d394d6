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

/* The exporters' output: buffers that a thread of the sink's own writes to
 * a FILE while the exporter fills the next (tr_sink.c). */
typedef struct tr__sink tr__sink;
#define TR__SINK_CAP (1u << 20) /* bytes in each buffer */
/* A sink onto f (borrowed: not closed), or NULL when out of memory. */
tr__sink *tr__sink_new(FILE *f);
/* Hands over the first n bytes of the buffer the last call returned (none
 * at the first call, or with n == 0) and returns the buffer to fill next,
 * TR__SINK_CAP bytes, waiting while every buffer is still being written. */
char *tr__sink_next(tr__sink *s, size_t n);
/* Copies n bytes in and hands them over (for an exporter that builds its
 * bytes elsewhere; not to be mixed with filling tr__sink_next's buffers). */
void tr__sink_write(tr__sink *s, const void *p, size_t n);
/* Non-zero: new sinks write in the caller's thread, as when pthread_create
 * fails (for tests). */
extern int tr__sink_unthreaded;
/* Writes out what was handed over, fflushes the FILE and frees the sink:
 * 0, or -EIO if a write failed. NULL is a no-op. */
int tr__sink_free(tr__sink *s);

#endif
