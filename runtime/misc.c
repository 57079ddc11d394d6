/* runtime/misc.c: error names, object ids and announcements, and the
 * explicit tracing switch. */
#include "sched_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

unsigned co__trace_gen;
static uint64_t next_obj_id;

/* libuv maps only the errors it returns itself; the runtime also returns
 * CO_EDEADLK (from co_main), which it has no name for, and CO_ETIMEDOUT for
 * any deadline (a sleep's too), where libuv would say "connection". */
const char *co_strerror(int err)
{
    if (err == 0)
        return "success";
    if (err == CO_EDEADLK)
        return "tasks were blocked forever (deadlock)";
    if (err == CO_ETIMEDOUT)
        return "timed out";
    return uv_strerror(err);
}

const char *co__err_name(int err)
{
    if (err == CO_EDEADLK)
        return "EDEADLK";
    return uv_err_name(err);
}

uint64_t co__obj_id(void)
{
    return ++next_obj_id;
}

void co__obj_emit(co__obj *o)
{
    o->gen = co__trace_gen;
    tr_rec_obj(o->id, o->kind, o->cap, o->name, o->file, o->line);
}

int co_trace_start(const char *path)
{
    int r = tr_rec_start(path, program_invocation_short_name);
    if (r)
        return r;
    co__trace_gen++;
    /* The recorder's fault handler hands a CPU fault back to the previous
     * handler (ours) by returning, so the fault repeats with its address:
     * no reinstall needed in either order. */
    return 0;
}

int co_trace_stop(void)
{
    return tr_rec_stop();
}
