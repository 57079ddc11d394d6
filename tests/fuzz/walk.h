/* tests/fuzz/walk.h: reads every array of a loaded (and analysed) trace and
 * checks the contracts of coscope/trace.h that hold for any input (order,
 * index ranges; the tasks' spans through the suites' one walker,
 * tests/support/spans.h). Shared by the libFuzzer targets and the corpus
 * regression test, so both look at the same bytes. */
#ifndef FUZZ_WALK_H
#define FUZZ_WALK_H

#include <stdint.h>

#include "coscope/trace.h"

/* Touches everything reachable from tr (strings included) and abort()s with
 * a message on stderr if a contract is broken. Returns a checksum so that
 * the reads cannot be optimised away. `analysed`: tr_analyze has run. */
uint64_t fuzz_walk(const tr_trace *tr, int analysed);

#endif
