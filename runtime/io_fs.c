/* runtime/io_fs.c: files for tasks, on libuv's thread-pool fs requests.
 * The uv_fs_t lives on the parked task's stack, so a task always waits for
 * the request's callback before it returns, even when cancelled: uv_cancel
 * only removes a request that has not started; one already running on a
 * pool thread is let finish and its result thrown away. */
#include "co_int.h"
#include "replay_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    co__io_end(r->t->id, r->op, res);
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
    co__io_end(r->t->id, r->op, err);
    return err;
}

int co_fs_open_at(const char *path, int flags, int mode, const char *file,
                  int line)
{
    co__rp_check_supported("co_fs_open");
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
    co__rp_check_supported("co_fs_read");
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
    co__rp_check_supported("co_fs_write");
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
    co__rp_check_supported("co_fs_close");
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

/* ---- the other calls a server makes: stat, rename, unlink, mkdir, fsync,
 * readdir. Same request, same wait; results read before the cleanup. ---- */

/* Parks until on_fs has run, leaving the request for the caller to read
 * and clean up (stat's buffer, readdir's entries). */
static ssize_t fs_wait_keep(fs_req *r, int64_t fd, const char *file, int line)
{
    co__wait w = {.why = TR_WAIT_IO, .op = r->op, .fd = fd, .ms = -1,
                  .file = file, .line = line, .cancel = fs_cancel, .ctx = r};
    co__park(&w);
    assert(r->done && "woken before the fs request finished");
    return r->res;
}

/* Starts r (already set up by `start`), or fails as fs_fail does. */
#define FS_START(r, call)                                                      \
    do {                                                                       \
        CO__TRACE(tr_rec_io_begin((r)->t->id, (r)->op, -1, -1));               \
        int start_err_ = (call);                                               \
        if (start_err_)                                                        \
            return (int)fs_fail((r), start_err_);                              \
    } while (0)

int co_fs_stat_at(const char *path, co_stat *st, const char *file, int line)
{
    co__rp_check_supported("co_fs_stat");
    if (!path || !st)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_STAT, -1, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_STAT};
    r.uv.data = &r;
    FS_START(&r, uv_fs_stat(co__loop(), &r.uv, path, on_fs));
    err = (int)fs_wait_keep(&r, -1, file, line);
    if (err == 0) {
        const uv_stat_t *s = &r.uv.statbuf;
        st->size = s->st_size;
        st->mode = s->st_mode;
        st->ino = s->st_ino;
        st->mtime_ns = (int64_t)s->st_mtim.tv_sec * 1000000000 + s->st_mtim.tv_nsec;
        st->is_dir = (s->st_mode & S_IFMT) == S_IFDIR;
        st->is_file = (s->st_mode & S_IFMT) == S_IFREG;
    }
    uv_fs_req_cleanup(&r.uv);
    return err;
}

int co_fs_rename_at(const char *from, const char *to, const char *file, int line)
{
    co__rp_check_supported("co_fs_rename");
    if (!from || !to)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_RENAME, -1, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_RENAME};
    r.uv.data = &r;
    FS_START(&r, uv_fs_rename(co__loop(), &r.uv, from, to, on_fs));
    return (int)fs_wait(&r, -1, file, line);
}

int co_fs_unlink_at(const char *path, const char *file, int line)
{
    co__rp_check_supported("co_fs_unlink");
    if (!path)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_UNLINK, -1, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_UNLINK};
    r.uv.data = &r;
    FS_START(&r, uv_fs_unlink(co__loop(), &r.uv, path, on_fs));
    return (int)fs_wait(&r, -1, file, line);
}

int co_fs_mkdir_at(const char *path, int mode, const char *file, int line)
{
    co__rp_check_supported("co_fs_mkdir");
    if (!path)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_MKDIR, -1, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_MKDIR};
    r.uv.data = &r;
    FS_START(&r, uv_fs_mkdir(co__loop(), &r.uv, path, mode, on_fs));
    return (int)fs_wait(&r, -1, file, line);
}

int co_fs_fsync_at(int fd, const char *file, int line)
{
    co__rp_check_supported("co_fs_fsync");
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_FSYNC, fd, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_FSYNC};
    r.uv.data = &r;
    CO__TRACE(tr_rec_io_begin(r.t->id, TR_OP_FS_FSYNC, fd, -1));
    err = uv_fs_fsync(co__loop(), &r.uv, fd, on_fs);
    if (err)
        return (int)fs_fail(&r, err);
    return (int)fs_wait(&r, fd, file, line);
}

void co_fs_dirents_free(co_dirent *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

/* The entries of a finished scandir, copied out (sorted, as libuv does). */
static int take_entries(uv_fs_t *uv, size_t count, co_dirent **out)
{
    co_dirent *v = calloc(count ? count : 1, sizeof *v);
    if (!v)
        return CO_ENOMEM;
    uv_dirent_t ent;
    size_t n = 0;
    int oom = 0;
    /* to the end: reaching UV_EOF is what frees libuv's list */
    while (uv_fs_scandir_next(uv, &ent) != UV_EOF) {
        if (n >= count || oom)
            continue;
        v[n].name = strdup(ent.name);
        v[n].is_dir = ent.type == UV_DIRENT_DIR;
        if (!v[n].name)
            oom = 1;
        else
            n++;
    }
    if (oom) {
        co_fs_dirents_free(v, n);
        return CO_ENOMEM;
    }
    *out = v;
    return (int)n;
}

int co_fs_readdir_at(const char *path, co_dirent **out, const char *file, int line)
{
    co__rp_check_supported("co_fs_readdir");
    if (!path || !out)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_READDIR, -1, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_READDIR};
    r.uv.data = &r;
    FS_START(&r, uv_fs_scandir(co__loop(), &r.uv, path, 0, on_fs));
    ssize_t res = fs_wait_keep(&r, -1, file, line);
    int rc = res < 0 ? (int)res : take_entries(&r.uv, (size_t)res, out);
    uv_fs_req_cleanup(&r.uv);
    return rc;
}

#undef co_fs_stat
int co_fs_stat(const char *path, co_stat *st) { return co_fs_stat_at(path, st, NULL, 0); }
#undef co_fs_rename
int co_fs_rename(const char *from, const char *to) { return co_fs_rename_at(from, to, NULL, 0); }
#undef co_fs_unlink
int co_fs_unlink(const char *path) { return co_fs_unlink_at(path, NULL, 0); }
#undef co_fs_mkdir
int co_fs_mkdir(const char *path, int mode) { return co_fs_mkdir_at(path, mode, NULL, 0); }
#undef co_fs_fsync
int co_fs_fsync(int fd) { return co_fs_fsync_at(fd, NULL, 0); }
#undef co_fs_readdir
int co_fs_readdir(const char *path, co_dirent **out) { return co_fs_readdir_at(path, out, NULL, 0); }
