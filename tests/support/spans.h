/* tests/support/spans.h: the one span-invariant walker of the test suites.
 * A loaded trace promises these of its tasks and spans whatever the input
 * was (coscope/trace.h), so the reader's tests, the sample traces' test and
 * the fuzz corpus all check the same list, and a new invariant is added in
 * one place. A broken one fails through tests/test.h (file, line, both
 * values, abort()). */
#ifndef COSCOPE_TEST_SPANS_H
#define COSCOPE_TEST_SPANS_H

#include <stdint.h>

#include "coscope/trace.h"

/* Checks every task and span of tr: tasks in spawn order and found by id;
 * each task's spans contiguous in the span array, from its spawn (ready
 * first) to the trace's end, gap-free, one state at a time (no two alike in
 * a row), each begun by an event at its start and ended by the next span's;
 * fd, object and site only on waits; done last, exactly from the task's
 * exit; the task's busy + ready + waiting (+ done) time its whole life; the
 * events sorted by time. Reads every field and string it passes (so ASan
 * sees an array shorter than its count) and returns a checksum of them, so
 * the reads cannot be optimised away. */
uint64_t test_spans_check(const tr_trace *tr);

#endif
