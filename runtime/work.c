/* runtime/work.c: co_run_blocking, a blocking function run on libuv's
 * thread pool while the loop keeps serving other tasks. The request lives
 * on the parked task's stack, so the task always waits for after_work: a
 * cancel withdraws the work only if no pool thread has picked it up yet
 * (uv_cancel); once fn has started it runs to its end and the call
 * returns 0, since fn's effects have happened. */
#include "co_int.h"
#include "replay_int.h"

#include <sys/syscall.h>
#include <unistd.h>

typedef struct work_req {
    uv_work_t uv;
    co_task *t;
    uint64_t task_id; /* read by the pool thread: t itself is loop-only */
    const char *name;
    void (*fn)(void *arg);
    void *arg;
    int cancel_err; /* non-zero once cancelled */
    int done;
    int res;
} work_req;

/* On a pool thread. */
static void work_run(uv_work_t *uv)
{
    work_req *r = uv->data;
    uint64_t tid = (uint64_t)syscall(SYS_gettid);
    CO__TRACE(tr_rec_work_begin(r->task_id, tid, r->name));
    r->fn(r->arg);
    CO__TRACE(tr_rec_work_end(r->task_id, tid, r->name));
}

/* Back on the loop thread. */
static void after_work(uv_work_t *uv, int status)
{
    work_req *r = uv->data;
    tr_wake why = TR_WAKE_WORK;
    r->res = 0;
    if (status == UV_ECANCELED) { /* withdrawn before it started */
        r->res = r->cancel_err ? r->cancel_err : CO_ECANCELED;
        why = r->res == CO_ETIMEDOUT ? TR_WAKE_TIMEOUT : TR_WAKE_CANCEL;
    }
    r->done = 1;
    co__wake(r->t, why, r->res);
}

static void work_cancel(co_task *t, co__wait *w, int err)
{
    work_req *r = w->ctx;
    (void)t;
    if (r->cancel_err)
        return; /* a second delivery (timeout, then cancel) */
    r->cancel_err = err;
    uv_cancel((uv_req_t *)&r->uv); /* fails once fn has started: wait */
}

/* A replay runs fn on the loop thread where the recording's pool finished
 * it (the log's wake-up), unless it was withdrawn then. */
static void rp_work_woken(co_task *t, co__wait *w, int result)
{
    work_req *r = w->ctx;
    if (result == 0) {
        CO__TRACE(tr_rec_work_begin(t->id, 0, r->name));
        r->fn(r->arg);
        CO__TRACE(tr_rec_work_end(t->id, 0, r->name));
    }
    r->done = 1;
}

static void rp_work_cancel(co_task *t, co__wait *w, int err)
{
    work_req *r = w->ctx;
    (void)t;
    if (!r->cancel_err)
        r->cancel_err = err; /* the recorded callback says how it ended */
}

CO__PARKS_INLINE int rp_run_blocking(work_req *r, const char *file, int line)
{
    co__wait w = {.why = TR_WAIT_WORK, .op = TR_OP_NONE, .fd = -1, .ms = -1,
                  .file = file, .line = line, .cancel = rp_work_cancel,
                  .ctx = r, .replay_wake = rp_work_woken};
    return co__park(&w);
}

int co_run_blocking_at(void (*fn)(void *arg), void *arg, const char *name,
                       const char *file, int line)
{
    if (!fn)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_WORK, 0, TR_OP_NONE, -1, -1, file, line);
    if (err)
        return err;
    co_task *self = co__current();
    work_req r = {.t = self, .task_id = self->id,
                  .name = name ? name : "work", .fn = fn, .arg = arg};
    r.uv.data = &r;
    if (CO__RP_PLAY())
        return rp_run_blocking(&r, file, line);
    err = uv_queue_work(co__loop(), &r.uv, work_run, after_work);
    if (err)
        return err;
    co__wait w = {.why = TR_WAIT_WORK, .op = TR_OP_NONE, .fd = -1, .ms = -1,
                  .file = file, .line = line, .cancel = work_cancel,
                  .ctx = &r};
    co__park(&w);
    assert(r.done && "woken before the work finished");
    return r.res;
}

#undef co_run_blocking
int co_run_blocking(void (*fn)(void *arg), void *arg, const char *name)
{
    return co_run_blocking_at(fn, arg, name, NULL, 0);
}
