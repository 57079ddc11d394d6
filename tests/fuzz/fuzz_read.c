/* tests/read/fuzz_read.c: libFuzzer target for the trace reader. Any input
 * must load or fail with a "name:..." message; what loads is analysed and
 * must keep its spans contiguous and gap-free. Build with
 * -DENABLE_FUZZERS=ON and CC=clang; seed it with tests/read/data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tr_trace *tr = NULL;
    if (tr_load_mem("fuzz.jsonl", (const char *)data, size, NULL, &tr) != 0) {
        if (strncmp(tr_last_error(), "fuzz.jsonl", 10) != 0)
            abort();
        return 0;
    }
    const tr_span *sp = tr_spans(tr);
    for (size_t i = 0; i < tr_ntasks(tr); i++) {
        const tr_task *t = &tr_tasks(tr)[i];
        for (uint32_t j = 0; j + 1 < t->nspans; j++)
            if (sp[t->span0 + j].t1 != sp[t->span0 + j + 1].t0)
                abort();
        if (t->nspans == 0 || sp[t->span0 + t->nspans - 1].t1 != tr_head(tr)->duration)
            abort();
    }
    if (tr_analyze(tr, NULL) != 0)
        abort();
    tr_free(tr);
    return 0;
}
