/* runtime/io_fs.c: files for tasks, on libuv's thread-pool fs requests.
 * The uv_fs_t lives on the parked task's stack, so a task always waits for
 * the request's callback before it returns, even when cancelled: uv_cancel
 * only removes a request that has not started; one already running on a
 * pool thread is let finish and its result thrown away. */
#include "co_int.h"

#include <stdlib.h>

typedef struct fs_req {
    uv_fs_t uv;
    co_task *t;
    tr_op op;
    int cancel_err; /* non-zero once cancelled: the error to return */
    int done;
    ssize_t res;
} fs_req;

static tr_wake cancel_why(int err)
{
    return err == CO_ETIMEDOUT ? TR_WAKE_TIMEOUT : TR_WAKE_CANCEL;
}

static void on_fs(uv_fs_t *uv)
{
    fs_req *r = uv->data;
    ssize_t res = uv->result;
    if (r->cancel_err) {
        /* An open that got through anyway must not leak its fd. */
        if (r->op == TR_OP_FS_OPEN && res >= 0) {
            uv_fs_t c;
            uv_fs_close(uv->loop, &c, (uv_file)res, NULL);
            uv_fs_req_cleanup(&c);
        }
        res = r->cancel_err;
    }
    r->res = res;
    r->done = 1;
    CO__TRACE(tr_rec_io_end(r->t->id, r->op, res));
    co__wake(r->t, r->cancel_err ? cancel_why(r->cancel_err) : TR_WAKE_IO, 0);
}

/* Never wakes the task itself: on_fs does, once the pool is done with the
 * request (at once with UV_ECANCELED if it had not started). A close is
 * not withdrawn, so the fd is closed whatever happens. */
static void fs_cancel(co_task *t, co__wait *w, int err)
{
    fs_req *r = w->ctx;
    (void)t;
    if (r->cancel_err)
        return; /* a second delivery (timeout, then cancel) */
    r->cancel_err = err;
    if (r->op != TR_OP_FS_CLOSE)
        uv_cancel((uv_req_t *)&r->uv);
}

/* Parks until on_fs has run; returns the request's result. */
static ssize_t fs_wait(fs_req *r, int64_t fd, const char *file, int line)
{
    co__wait w = {.why = TR_WAIT_IO, .op = r->op, .fd = fd, .ms = -1,
                  .file = file, .line = line, .cancel = fs_cancel, .ctx = r};
    co__park(&w);
    assert(r->done && "woken before the fs request finished");
    uv_fs_req_cleanup(&r->uv);
    return r->res;
}

/* Starting failed synchronously: libuv will not call back. */
static ssize_t fs_fail(fs_req *r, int err)
{
    uv_fs_req_cleanup(&r->uv);
    CO__TRACE(tr_rec_io_end(r->t->id, r->op, err));
    return err;
}

int co_fs_open_at(const char *path, int flags, int mode, const char *file,
                  int line)
{
    if (!path)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_OPEN, -1, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_OPEN};
    r.uv.data = &r;
    CO__TRACE(tr_rec_io_begin(r.t->id, TR_OP_FS_OPEN, -1, -1));
    err = uv_fs_open(co__loop(), &r.uv, path, flags, mode, on_fs);
    if (err)
        return (int)fs_fail(&r, err);
    return (int)fs_wait(&r, -1, file, line);
}

#undef co_fs_open
int co_fs_open(const char *path, int flags, int mode)
{
    return co_fs_open_at(path, flags, mode, NULL, 0);
}

/* Both directions: the request differs only in the libuv call. */
static ssize_t fs_rw(int write, int fd, void *buf, size_t len, int64_t offset,
                     const char *file, int line)
{
    if ((!buf && len) || offset < -1)
        return CO_EINVAL;
    tr_op op = write ? TR_OP_FS_WRITE : TR_OP_FS_READ;
    int err = co__check_at(TR_WAIT_IO, 0, op, fd, -1, file, line);
    if (err)
        return err;
    if (len > INT32_MAX)
        len = INT32_MAX; /* like read(2), a short transfer */
    fs_req r = {.t = co__current(), .op = op};
    r.uv.data = &r;
    uv_buf_t b = {.base = buf, .len = len};
    CO__TRACE(tr_rec_io_begin(r.t->id, op, fd, (int64_t)len));
    if (write)
        err = uv_fs_write(co__loop(), &r.uv, fd, &b, 1, offset, on_fs);
    else
        err = uv_fs_read(co__loop(), &r.uv, fd, &b, 1, offset, on_fs);
    if (err)
        return fs_fail(&r, err);
    return fs_wait(&r, fd, file, line);
}

ssize_t co_fs_read_at(int fd, void *buf, size_t len, int64_t offset,
                      const char *file, int line)
{
    return fs_rw(0, fd, buf, len, offset, file, line);
}

#undef co_fs_read
ssize_t co_fs_read(int fd, void *buf, size_t len, int64_t offset)
{
    return co_fs_read_at(fd, buf, len, offset, NULL, 0);
}

ssize_t co_fs_write_at(int fd, const void *buf, size_t len, int64_t offset,
                       const char *file, int line)
{
    return fs_rw(1, fd, (void *)buf, len, offset, file, line);
}

#undef co_fs_write
ssize_t co_fs_write(int fd, const void *buf, size_t len, int64_t offset)
{
    return co_fs_write_at(fd, buf, len, offset, NULL, 0);
}

/* The fd is closed in every case, even when the caller was cancelled
 * (then synchronously, on the loop thread), so it never leaks. */
int co_fs_close_at(int fd, const char *file, int line)
{
    uv_loop_t *loop = co__loop();
    if (!loop)
        return CO_EINVAL;
    int err = co__check();
    fs_req r = {.t = co__current(), .op = TR_OP_FS_CLOSE};
    r.uv.data = &r;
    if (err) { /* outside a task (CO_EINVAL) or cancelled */
        int res = uv_fs_close(loop, &r.uv, fd, NULL);
        uv_fs_req_cleanup(&r.uv);
        return err == CO_EINVAL ? res : err;
    }
    CO__TRACE(tr_rec_io_begin(r.t->id, TR_OP_FS_CLOSE, fd, -1));
    err = uv_fs_close(loop, &r.uv, fd, on_fs);
    if (err)
        return (int)fs_fail(&r, err);
    return (int)fs_wait(&r, fd, file, line);
}

#undef co_fs_close
int co_fs_close(int fd)
{
    return co_fs_close_at(fd, NULL, 0);
}
