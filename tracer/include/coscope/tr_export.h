/* coscope/tr_export.h: writing a loaded trace in other tools' formats.
 *
 *     tr_trace *tr;  ... tr_load(path, &o, &tr) ...
 *     FILE *f = fopen("out.json", "w");
 *     if (tr_export_chrome(tr, f) != 0) ...   // then open it in Perfetto
 *
 * The exporter reads the model (tasks, spans, wake-ups...) and, when
 * tr_analyze has run, the stalls. */
#ifndef COSCOPE_TR_EXPORT_H
#define COSCOPE_TR_EXPORT_H

#include <stdio.h>

#include "coscope/trace.h"

/* Writes `tr` to `out` as a Chrome Trace Event Format JSON object
 * ({"traceEvents":[...]}), which Perfetto, chrome://tracing, Chrome
 * DevTools and speedscope open whole. One process (the traced program); one
 * thread track per task (tid = task id, named "name (id)", ordered by
 * spawn), tid 0 for the loop (busy / idle slices) and tid 1000000+N for
 * thread-pool thread N. Run, ready and wait spans are "X" slices in
 * categories "run", "ready", "wait"; marks are "I" (instant) events; every
 * wake-up is an instant "wake NAME (ID)" (category "run") on the waker's
 * track and a flow from it: "s" there, "f" with bp "e" at the start of the
 * wakee's next run slice, both in category "run" with a hex string id. After
 * tr_analyze, each stall is an "I" event in category "stall" on its task's
 * track at its start, named "blocked stall" / "latency stall" / "wait
 * stall" / "stuck stall", with args msg (the evidence in words: tasks ready
 * meanwhile, what it waited on, whom a stuck task waits on, the deadlock
 * cycle), dur (µs) and at.
 * Timestamps are microseconds printed exactly from integer nanoseconds; a
 * dur is exact too unless ts + dur added as doubles would pass the next
 * slice's start, when it is the largest double that does not (17 digits):
 * slices of one track never overlap, exactly or in floating point. Does not
 * close `out`.
 * Returns 0, -EINVAL for a NULL argument, -ENOMEM when out of memory, or
 * -EIO if writing failed. */
int tr_export_chrome(const tr_trace *tr, FILE *out);

/* Writes `tr` to `out` as a Perfetto protobuf trace (open it in
 * ui.perfetto.dev or trace_processor): a track per task under the process,
 * the loop's and each pool thread's; run / ready / wait slices with their
 * state, wait site, fd or object; each wake-up an instant on the waker's
 * track with a flow to the wakee's run slice; marks and (after tr_analyze)
 * stalls as instants. Event names and categories are interned. The same
 * slices and flows as tr_export_chrome. The messages used are the subset in
 * docs/perfetto.proto. Returns 0, -EINVAL, -ENOMEM or -EIO. */
int tr_export_perfetto(const tr_trace *tr, FILE *out);

#endif
