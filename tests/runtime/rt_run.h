/* tests/runtime/rt_run.h: run a task body under co_main and prove it got to
 * its end. A check inside a task proves nothing unless the test sees that
 * the task reached it: a body that never ran (or stopped half-way without
 * aborting) would otherwise leave only `co_main(...) == 0` to assert.
 *
 *     RUN_TASK(body, arg);               // co_main returned 0, body ended
 *     int rc = rt_run_rc(body, arg);     // co_main's result, body ended
 *     const char *tr = RUN_TRACED(body, arg);   // RUN_TASK, traced: the text */
#ifndef COSCOPE_RT_RUN_H
#define COSCOPE_RT_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "coscope/co.h"
#include "test.h"

static co_fn rt_run__fn;
static int rt_run__ended;

static void *rt_run__body(void *arg)
{
    void *r = rt_run__fn(arg);
    rt_run__ended++; /* reached only when the body returned */
    return r;
}

/* Runs fn(arg) as co_main's main task; asserts it returned exactly once
 * (file and line of the caller) and returns co_main's result. */
static inline int rt_run__rc(co_fn fn, void *arg, const char *file, int line)
{
    rt_run__fn = fn;
    rt_run__ended = 0;
    int rc = co_main(rt_run__body, arg);
    if (rt_run__ended != 1) {
        fprintf(stderr, "%s:%d: the main task's body did not reach its end "
                        "(ended %d times; co_main returned %d)\n",
                file, line, rt_run__ended, rc);
        abort();
    }
    return rc;
}
#define rt_run_rc(fn, arg) rt_run__rc((fn), (arg), __FILE__, __LINE__)
#define RUN_TASK(fn, arg) ASSERT_OK(rt_run_rc((fn), (arg)))

/* RUN_TASK with tracing on, into a fresh file that is read back and
 * removed: the trace's text, NUL-terminated, in a static buffer that the
 * next call reuses (a trace longer than it fails the test). */
static inline const char *rt_run__traced(co_fn fn, void *arg, const char *file, int line)
{
    static char text[1 << 18];
    char path[] = "/tmp/coscope-rt-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    ASSERT_OK(co_trace_start(path));
    ASSERT_OK(rt_run__rc(fn, arg, file, line));
    ASSERT_OK(co_trace_stop());
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    unlink(path);
    ASSERT(n < sizeof text);
    text[n] = '\0';
    return text;
}
#define RUN_TRACED(fn, arg) rt_run__traced((fn), (arg), __FILE__, __LINE__)
/* RUN_TRACED in trace format v1 (COSCOPE_TRACE_FORMAT=1): for a test
 * that checks the lines v1 writes for what v2 folds into one (io_begin +
 * yield, io_end + ready, a co_yield's yield + ready). */
static inline const char *rt_run__traced_v1(co_fn fn, void *arg, const char *file, int line)
{
    setenv("COSCOPE_TRACE_FORMAT", "1", 1);
    const char *text = rt_run__traced(fn, arg, file, line);
    unsetenv("COSCOPE_TRACE_FORMAT");
    return text;
}
#define RUN_TRACED_V1(fn, arg) rt_run__traced_v1((fn), (arg), __FILE__, __LINE__)

#endif
