/* bench/read/gen.h: writes a synthetic coscope trace (see gen.c). */
#ifndef BENCH_READ_GEN_H
#define BENCH_READ_GEN_H

#include <stdint.h>
#include <stdio.h>

/* Writes about `nevents` event lines (plus the header) to out: `ntasks`
 * tasks kept alive, deterministic for a seed. Returns 0 or -1. */
int gen_trace(FILE *out, uint64_t nevents, uint64_t seed, uint32_t ntasks);

/* The herd: n tasks park (a wait on an event) one after another, a
 * releaser makes them all ready at GEN_HERD_R (1 ns apart), then they run
 * 2 us each, back to back, and exit: task i is ready from GEN_HERD_R + i to
 * GEN_HERD_R + n + 1000 + 2000 (i - 1). Every task but the first ~10 000
 * waits past 20 ms to run: the trace that made `coscope stalls` quadratic.
 * Returns 0 or -1. */
#define GEN_HERD_R 20000000000LL
int gen_herd(FILE *out, uint32_t n);

#endif
