/* bench/read/gen.h: writes a synthetic coscope trace (see gen.c). */
#ifndef BENCH_READ_GEN_H
#define BENCH_READ_GEN_H

#include <stdint.h>
#include <stdio.h>

/* Writes about `nevents` event lines (plus the header) to out: `ntasks`
 * tasks kept alive, deterministic for a seed. Returns 0 or -1. */
int gen_trace(FILE *out, uint64_t nevents, uint64_t seed, uint32_t ntasks);

#endif
