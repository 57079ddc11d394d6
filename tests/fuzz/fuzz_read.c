/* tests/fuzz/fuzz_read.c: libFuzzer target for the trace reader, model and
 * analysis. Any input must load or fail with a "fuzz.jsonl..." message;
 * what loads is walked (every array, every string: walk.c) and analysed
 * twice, with the default thresholds and with 1 ns ones (every slice a
 * stall), so the second run also replaces the first's results. The
 * parallel load (threshold lowered, 2 threads) must agree with the serial
 * one: same error message, or the same events, tasks, spans, warnings;
 * checked for one input size in four (a thread per run costs 5x). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/trace.h"
#include "tr_int.h"
#include "walk.h"

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SAME(a, b)                                                             \
    do {                                                                       \
        if ((a) != (b)) {                                                      \
            fprintf(stderr, "serial vs parallel: %s: %zu != %zu\n", #a,        \
                    (size_t)(a), (size_t)(b));                                 \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The same input split in two chunks parsed on two threads. */
static void parallel_agrees(const uint8_t *data, size_t size, int rc,
                            const char *err, const tr_trace *serial)
{
    tr_trace *par = NULL;
    tr_load_opts o = TR_LOAD_OPTS_INIT;
    o.threads = 2;
    size_t old = tr__set_parallel_threshold(1);
    int prc = tr_load_mem("fuzz.jsonl", (const char *)data, size, &o, &par);
    tr__set_parallel_threshold(old);
    SAME(rc, prc);
    if (rc != 0) {
        if (strcmp(err, tr_last_error()) != 0) {
            fprintf(stderr, "serial: \"%s\"\nparallel: \"%s\"\n", err,
                    tr_last_error());
            abort();
        }
        return;
    }
    SAME(tr_nevents(serial), tr_nevents(par));
    SAME(tr_ntasks(serial), tr_ntasks(par));
    SAME(tr_nspans(serial), tr_nspans(par));
    SAME(tr_nwakeups(serial), tr_nwakeups(par));
    SAME(tr_nworks(serial), tr_nworks(par));
    SAME(tr_nwarnings(serial), tr_nwarnings(par));
    /* events bytewise (side-table indices included) and what the packed
     * fields mean: the merge re-bases lines, strings and the side table */
    const tr_event *es = tr_events(serial), *ep = tr_events(par);
    if (tr_nevents(serial) && memcmp(es, ep, tr_nevents(serial) * sizeof *es) != 0) {
        fprintf(stderr, "serial vs parallel: events differ\n");
        abort();
    }
    for (size_t i = 0; i < tr_nevents(serial); i++) {
        SAME(tr_ev_line(serial, i), tr_ev_line(par, i));
        SAME(tr_ev_val(serial, &es[i]), tr_ev_val(par, &ep[i]));
        SAME(tr_ev_val2(serial, &es[i]), tr_ev_val2(par, &ep[i]));
        if (strcmp(tr_str(serial, tr_ev_at(serial, &es[i])), tr_str(par, tr_ev_at(par, &ep[i]))) ||
            strcmp(tr_str(serial, tr_ev_str(&es[i])), tr_str(par, tr_ev_str(&ep[i])))) {
            fprintf(stderr, "serial vs parallel: strings of event %zu differ\n", i);
            abort();
        }
    }
    for (size_t i = 0; i < tr_nwarnings(serial); i++)
        if (strcmp(tr_warning(serial, i), tr_warning(par, i)) != 0) {
            fprintf(stderr, "serial: \"%s\"\nparallel: \"%s\"\n",
                    tr_warning(serial, i), tr_warning(par, i));
            abort();
        }
    tr_free(par);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tr_trace *tr = NULL;
    tr_load_opts o = TR_LOAD_OPTS_INIT;
    o.threads = 1;
    int rc = tr_load_mem("fuzz.jsonl", (const char *)data, size, &o, &tr);
    if (rc != 0) {
        if (tr != NULL || strncmp(tr_last_error(), "fuzz.jsonl", 10) != 0) {
            fprintf(stderr, "bad failure: \"%s\"\n", tr_last_error());
            abort();
        }
        char err[512];
        snprintf(err, sizeof err, "%s", tr_last_error());
        if (size % 4 == 0)
            parallel_agrees(data, size, rc, err, NULL);
        return 0;
    }
    if (size % 4 == 0)
        parallel_agrees(data, size, 0, NULL, tr);
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
