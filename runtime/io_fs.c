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
    void *buf;      /* a read's buffer: its bytes go into the replay log */
    co__rp_val rv;  /* replay: the result's data (a stat, the entries) */
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

/* A replay's cancel: the recorded callback (its io_end and wake-up) comes
 * from the log, as uv_cancel made it come. */
static void rp_fs_cancel(co_task *t, co__wait *w, int err)
{
    fs_req *r = w->ctx;
    (void)t;
    if (!r->cancel_err)
        r->cancel_err = err;
}

/* A replay's request: no file is touched. The log says whether libuv
 * refused it at once (an io_end, no wait) or it parked (its io_end and
 * wake-up come from the log), then its result, whose data (read bytes, a
 * stat, the entries) is left in r->rv. */
CO__PARKS_INLINE ssize_t fs_replay(fs_req *r, int64_t fd, const char *file, int line)
{
    co__rp_take(tr_op_name(r->op), &r->rv);
    if (r->rv.shape != CO__RP_PARKS) {
        CO__TRACE(tr_rec_io_end(r->t->id, r->op, r->rv.res));
        return r->rv.res;
    }
    co__wait w = {.why = TR_WAIT_IO, .op = r->op, .fd = fd, .ms = -1,
                  .file = file, .line = line, .cancel = rp_fs_cancel, .ctx = r};
    co__park(&w);
    co__rp_take_res(tr_op_name(r->op), &r->rv);
    return r->rv.res;
}

/* Parks until on_fs has run, leaving the request for the caller to read
 * and clean up (stat's buffer, readdir's entries): the caller logs the
 * result (co__rp_res) when recording. */
CO__PARKS_INLINE ssize_t fs_wait_keep(fs_req *r, int64_t fd, const char *file, int line)
{
    if (CO__RP_PLAY())
        return fs_replay(r, fd, file, line);
    co__rp_park();
    co__wait w = {.why = TR_WAIT_IO, .op = r->op, .fd = fd, .ms = -1,
                  .file = file, .line = line, .cancel = fs_cancel, .ctx = r};
    co__park(&w);
    assert(r->done && "woken before the fs request finished");
    return r->res;
}

/* Parks until on_fs has run; returns the request's result. */
static ssize_t fs_wait(fs_req *r, int64_t fd, const char *file, int line)
{
    ssize_t res = fs_wait_keep(r, fd, file, line);
    if (CO__RP_PLAY()) {
        if (r->op == TR_OP_FS_READ && res > 0)
            co__rp_copy(&r->rv, r->buf, (size_t)res);
        return res;
    }
    co__rp_res(res, -1, r->op == TR_OP_FS_READ ? r->buf : NULL,
               r->op == TR_OP_FS_READ && res > 0 ? (size_t)res : 0);
    uv_fs_req_cleanup(&r->uv);
    return res;
}

/* Starting failed synchronously: libuv will not call back. */
static ssize_t fs_fail(fs_req *r, int err)
{
    co__rp_out(CO__RP_BEGIN_END, err, -1, NULL, 0);
    uv_fs_req_cleanup(&r->uv);
    co__io_end(r->t->id, r->op, err);
    return err;
}

/* In a replay the libuv call is not made: fs_wait takes its outcome. */
#define FS_CALL(call) (CO__RP_PLAY() ? 0 : (call))

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
    err = FS_CALL(uv_fs_open(co__loop(), &r.uv, path, flags, mode, on_fs));
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
    fs_req r = {.t = co__current(), .op = op, .buf = write ? NULL : buf};
    r.uv.data = &r;
    uv_buf_t b = {.base = buf, .len = len};
    if (write && co__rp_mode && len)
        co__rp_written("co_fs_write", buf, len);
    CO__TRACE(tr_rec_io_begin(r.t->id, op, fd, (int64_t)len));
    if (write)
        err = FS_CALL(uv_fs_write(co__loop(), &r.uv, fd, &b, 1, offset, on_fs));
    else
        err = FS_CALL(uv_fs_read(co__loop(), &r.uv, fd, &b, 1, offset, on_fs));
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
        if (CO__RP_PLAY()) { /* the recorded fd is not ours to close */
            co__rp_take("co_fs_close", &r.rv);
            return err == CO_EINVAL ? (int)r.rv.res : err;
        }
        int res = uv_fs_close(loop, &r.uv, fd, NULL);
        uv_fs_req_cleanup(&r.uv);
        co__rp_out(CO__RP_SILENT, res, -1, NULL, 0);
        return err == CO_EINVAL ? res : err;
    }
    CO__TRACE(tr_rec_io_begin(r.t->id, TR_OP_FS_CLOSE, fd, -1));
    err = FS_CALL(uv_fs_close(loop, &r.uv, fd, on_fs));
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

/* Starts r (already set up by `start`), or fails as fs_fail does. */
#define FS_START(r, call)                                                      \
    do {                                                                       \
        CO__TRACE(tr_rec_io_begin((r)->t->id, (r)->op, -1, -1));               \
        int start_err_ = FS_CALL(call);                                        \
        if (start_err_)                                                        \
            return (int)fs_fail((r), start_err_);                              \
    } while (0)

int co_fs_stat_at(const char *path, co_stat *st, const char *file, int line)
{
    if (!path || !st)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_STAT, -1, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_STAT};
    r.uv.data = &r;
    FS_START(&r, uv_fs_stat(co__loop(), &r.uv, path, on_fs));
    err = (int)fs_wait_keep(&r, -1, file, line);
    if (CO__RP_PLAY()) {
        if (err == 0)
            co__rp_copy(&r.rv, st, sizeof *st);
        return err;
    }
    if (err == 0) {
        const uv_stat_t *s = &r.uv.statbuf;
        st->size = s->st_size;
        st->mode = s->st_mode;
        st->ino = s->st_ino;
        st->mtime_ns = (int64_t)s->st_mtim.tv_sec * 1000000000 + s->st_mtim.tv_nsec;
        st->is_dir = (s->st_mode & S_IFMT) == S_IFDIR;
        st->is_file = (s->st_mode & S_IFMT) == S_IFREG;
    }
    co__rp_res(err, -1, st, err == 0 ? sizeof *st : 0);
    uv_fs_req_cleanup(&r.uv);
    return err;
}

int co_fs_rename_at(const char *from, const char *to, const char *file, int line)
{
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
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_FSYNC, fd, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_FSYNC};
    r.uv.data = &r;
    CO__TRACE(tr_rec_io_begin(r.t->id, TR_OP_FS_FSYNC, fd, -1));
    err = FS_CALL(uv_fs_fsync(co__loop(), &r.uv, fd, on_fs));
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

/* A listing in the replay log: each entry as is_dir ('0' / '1'), its
 * name, a NUL. */
static void entries_log(int n, co_dirent **out)
{
    if (!CO__RP_REC())
        return;
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += strlen((*out)[i].name) + 2;
    char *p = malloc(len ? len : 1), *q = p;
    for (int i = 0; p && i < n; i++) {
        *q++ = (*out)[i].is_dir ? '1' : '0';
        size_t k = strlen((*out)[i].name) + 1;
        memcpy(q, (*out)[i].name, k);
        q += k;
    }
    co__rp_res(n, -1, p, p ? len : 0);
    free(p);
}

static int entries_unpack(const co__rp_val *v, co_dirent **out)
{
    size_t count = 0;
    const char *p = v->data, *end = p + v->len;
    for (const char *q = p; q < end; q++)
        count += *q == '\0';
    co_dirent *e = calloc(count ? count : 1, sizeof *e);
    if (!e)
        return CO_ENOMEM;
    size_t n = 0;
    while (p + 1 < end && n < count) {
        e[n].is_dir = *p++ == '1';
        size_t k = strnlen(p, (size_t)(end - p));
        if (!(e[n].name = strndup(p, k))) {
            co_fs_dirents_free(e, n);
            return CO_ENOMEM;
        }
        n++;
        p += k + 1;
    }
    *out = e;
    return (int)n;
}

int co_fs_readdir_at(const char *path, co_dirent **out, const char *file, int line)
{
    if (!path || !out)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_FS_READDIR, -1, -1, file, line);
    if (err)
        return err;
    fs_req r = {.t = co__current(), .op = TR_OP_FS_READDIR};
    r.uv.data = &r;
    FS_START(&r, uv_fs_scandir(co__loop(), &r.uv, path, 0, on_fs));
    ssize_t res = fs_wait_keep(&r, -1, file, line);
    if (CO__RP_PLAY())
        return res < 0 ? (int)res : entries_unpack(&r.rv, out);
    int rc = res < 0 ? (int)res : take_entries(&r.uv, (size_t)res, out);
    entries_log(rc, out);
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
