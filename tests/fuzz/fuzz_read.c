/* tests/fuzz/fuzz_read.c: libFuzzer target for the trace reader, model and
 * analysis. Any input must load or fail with a "fuzz.jsonl..." message;
 * what loads is walked (every array, every string: walk.c) and analysed
 * twice, with the default thresholds and with 1 ns ones (every slice a
 * stall), so the second run also replaces the first's results. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/trace.h"
#include "walk.h"

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tr_trace *tr = NULL;
    tr_load_opts o = TR_LOAD_OPTS_INIT;
    o.threads = 1;
    if (tr_load_mem("fuzz.jsonl", (const char *)data, size, &o, &tr) != 0) {
        if (tr != NULL || strncmp(tr_last_error(), "fuzz.jsonl", 10) != 0) {
            fprintf(stderr, "bad failure: \"%s\"\n", tr_last_error());
            abort();
        }
        return 0;
    }
    sink += fuzz_walk(tr, 0);
    if (tr_analyze(tr, NULL) != 0)
        abort();
    sink += fuzz_walk(tr, 1);
    tr_analysis_opts tight = {1, 1, 1};
    if (tr_analyze(tr, &tight) != 0)
        abort();
    sink += fuzz_walk(tr, 1);
    tr_free(tr);
    return 0;
}
