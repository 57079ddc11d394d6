/* tests/fuzz/fuzz_export.c: libFuzzer target for the Chrome exporter.
 * Whatever loads is analysed and exported to /dev/null; the output is not
 * parsed (tests/cli checks it), it only must not crash, leak or hit UB, and
 * writing to /dev/null must succeed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "coscope/tr_export.h"
#include "coscope/trace.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull && !(devnull = fopen("/dev/null", "w")))
        abort();
    tr_trace *tr = NULL;
    tr_load_opts o = TR_LOAD_OPTS_INIT;
    o.threads = 1;
    if (tr_load_mem("fuzz.jsonl", (const char *)data, size, &o, &tr) != 0)
        return 0;
    if (tr_analyze(tr, NULL) != 0)
        abort();
    int rc = tr_export_chrome(tr, devnull);
    if (rc != 0) {
        fprintf(stderr, "tr_export_chrome: %d\n", rc);
        abort();
    }
    tr_free(tr);
    return 0;
}
