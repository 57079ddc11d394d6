/* runtime/misc.c: error names, object ids and announcements, and the
 * explicit tracing switch. */
#include "sched_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* co.h's CO_E* are libuv's codes: checked here, where uv.h is in scope. */
_Static_assert(CO_E2BIG == UV_E2BIG, "CO_E2BIG is UV_E2BIG");
_Static_assert(CO_EACCES == UV_EACCES, "CO_EACCES is UV_EACCES");
_Static_assert(CO_EADDRINUSE == UV_EADDRINUSE, "CO_EADDRINUSE is UV_EADDRINUSE");
_Static_assert(CO_EAGAIN == UV_EAGAIN, "CO_EAGAIN is UV_EAGAIN");
_Static_assert(CO_EBADF == UV_EBADF, "CO_EBADF is UV_EBADF");
_Static_assert(CO_EISDIR == UV_EISDIR, "CO_EISDIR is UV_EISDIR");
_Static_assert(CO_ENOTCONN == UV_ENOTCONN, "CO_ENOTCONN is UV_ENOTCONN");
_Static_assert(CO_ESRCH == UV_ESRCH, "CO_ESRCH is UV_ESRCH");
_Static_assert(CO_EAI_NONAME == UV_EAI_NONAME, "CO_EAI_NONAME is UV_EAI_NONAME");
_Static_assert(CO_EBUSY == UV_EBUSY, "CO_EBUSY is UV_EBUSY");
_Static_assert(CO_ECANCELED == UV_ECANCELED, "CO_ECANCELED is UV_ECANCELED");
_Static_assert(CO_ECONNREFUSED == UV_ECONNREFUSED, "CO_ECONNREFUSED is UV_ECONNREFUSED");
_Static_assert(CO_ECONNRESET == UV_ECONNRESET, "CO_ECONNRESET is UV_ECONNRESET");
_Static_assert(CO_EEXIST == UV_EEXIST, "CO_EEXIST is UV_EEXIST");
_Static_assert(CO_EINVAL == UV_EINVAL, "CO_EINVAL is UV_EINVAL");
_Static_assert(CO_ENOENT == UV_ENOENT, "CO_ENOENT is UV_ENOENT");
_Static_assert(CO_ENOMEM == UV_ENOMEM, "CO_ENOMEM is UV_ENOMEM");
_Static_assert(CO_ENOSPC == UV_ENOSPC, "CO_ENOSPC is UV_ENOSPC");
_Static_assert(CO_EPIPE == UV_EPIPE, "CO_EPIPE is UV_EPIPE");
_Static_assert(CO_ETIMEDOUT == UV_ETIMEDOUT, "CO_ETIMEDOUT is UV_ETIMEDOUT");
_Static_assert(CO_EOF == UV_EOF, "CO_EOF is UV_EOF");

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
    uint64_t seed;
    if (!co__loop()) /* before co_main: its seed, for the header */
        co__explore_env(&seed);
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

int co_trace_dump(void)
{
    return tr_rec_dump(NULL);
}
