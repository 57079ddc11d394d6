/* runtime/proc.c: subprocesses on uv_spawn. The program's stdin / stdout /
 * stderr can be pipes whose other ends the caller gets as file
 * descriptors (read and written with co_fs_read / co_fs_write, on the
 * thread pool), and co_proc_wait is a blocking call that returns the exit
 * status. libuv reaps the child whenever it exits; the status is kept
 * until someone waits. */
#include "co_int.h"
#include "replay_int.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct co_proc {
    uv_process_t h;
    int pid;
    int exited;
    int status;       /* exit code, or 128 + signal */
    co_task *waiter;
    int fds[3];       /* our ends of the pipes, -1 when not piped */
};

static void on_exit_cb(uv_process_t *h, int64_t code, int sig)
{
    co_proc *p = h->data;
    p->exited = 1;
    p->status = sig ? 128 + sig : (int)code;
    if (p->waiter) {
        co_task *w = p->waiter;
        p->waiter = NULL;
        co__io_end(w->id, TR_OP_PROC_WAIT, p->status);
        co__wake(w, TR_WAKE_IO, 0);
    }
}

static void proc_closed(uv_handle_t *h)
{
    free(h->data);
}

static void close_all(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

int co_proc_spawn(const char *file, char *const argv[], const co_proc_opts *o,
                  co_proc **out)
{
    co__rp_check_supported("co_proc_spawn");
    uv_loop_t *loop = co__loop();
    if (!file || !argv || !argv[0] || !out || !loop)
        return CO_EINVAL;
    co_proc *p = calloc(1, sizeof *p);
    if (!p)
        return CO_ENOMEM;
    int theirs[3] = {-1, -1, -1};
    p->fds[0] = p->fds[1] = p->fds[2] = -1;
    uv_stdio_container_t stdio[3];
    int want[3] = {o && o->pipe_stdin, o && o->pipe_stdout, o && o->pipe_stderr};
    for (int i = 0; i < 3; i++) {
        if (want[i]) {
            int pp[2];
            if (pipe2(pp, O_CLOEXEC) != 0) {
                int e = -errno;
                close_all(p->fds, 3);
                close_all(theirs, 3);
                free(p);
                return e;
            }
            /* stdin: the child reads pp[0]; stdout/stderr: it writes pp[1] */
            theirs[i] = i == 0 ? pp[0] : pp[1];
            p->fds[i] = i == 0 ? pp[1] : pp[0];
            stdio[i].flags = UV_INHERIT_FD;
            stdio[i].data.fd = theirs[i];
        } else {
            stdio[i].flags = UV_INHERIT_FD;
            stdio[i].data.fd = i;
        }
    }
    uv_process_options_t po;
    memset(&po, 0, sizeof po);
    po.file = file;
    po.args = (char **)argv;
    po.env = o ? (char **)o->env : NULL;
    po.cwd = o ? o->cwd : NULL;
    po.exit_cb = on_exit_cb;
    po.stdio_count = 3;
    po.stdio = stdio;
    p->h.data = p;
    int err = uv_spawn(loop, &p->h, &po);
    close_all(theirs, 3); /* the child has its copies */
    CO__TRACE(tr_rec_io(co__cur_id(), TR_OP_SPAWN, -1, -1, err ? err : p->h.pid));
    if (err) {
        close_all(p->fds, 3);
        /* uv_spawn initialised the handle even on failure: close it, and
         * free p once libuv lets go */
        uv_close((uv_handle_t *)&p->h, proc_closed);
        return err;
    }
    p->pid = p->h.pid;
    *out = p;
    return 0;
}

int co_proc_pid(const co_proc *p)
{
    return p ? p->pid : CO_EINVAL;
}

int co_proc_fd(const co_proc *p, int which)
{
    if (!p || which < 0 || which > 2)
        return CO_EINVAL;
    return p->fds[which] >= 0 ? p->fds[which] : CO_EBADF;
}

int co_proc_close_fd(co_proc *p, int which)
{
    if (!p || which < 0 || which > 2 || p->fds[which] < 0)
        return CO_EINVAL;
    close(p->fds[which]);
    p->fds[which] = -1;
    return 0;
}

int co_proc_kill(co_proc *p, int sig)
{
    if (!p)
        return CO_EINVAL;
    return p->exited ? CO_ESRCH : uv_process_kill(&p->h, sig);
}

static void wait_cancel(co_task *t, co__wait *w, int err)
{
    co_proc *p = w->ctx;
    p->waiter = NULL;
    co__io_end(t->id, TR_OP_PROC_WAIT, err);
    co__wake(t, co__cancel_why(err), err);
}

int co_proc_wait_at(co_proc *p, int *status, const char *file, int line)
{
    if (!p)
        return CO_EINVAL;
    if (p->waiter)
        return CO_EBUSY;
    int err = co__check_at(TR_WAIT_IO, 0, TR_OP_PROC_WAIT, -1, -1, file, line);
    if (err)
        return err;
    if (!p->exited) {
        co_task *self = co__current();
        p->waiter = self;
        CO__TRACE(tr_rec_io_begin(self->id, TR_OP_PROC_WAIT, -1, -1));
        co__wait w = {.why = TR_WAIT_IO, .op = TR_OP_PROC_WAIT, .fd = -1, .ms = -1,
                      .file = file, .line = line, .cancel = wait_cancel, .ctx = p};
        if ((err = co__park(&w)))
            return err;
    }
    if (status)
        *status = p->status;
    return 0;
}

#undef co_proc_wait
int co_proc_wait(co_proc *p, int *status)
{
    return co_proc_wait_at(p, status, NULL, 0);
}

void co_proc_free(co_proc *p)
{
    if (!p)
        return;
    if (p->waiter)
        co__fatal(NULL, 0, "co_proc_free of process %d, which task %llu \"%s\" waits for",
                  p->pid, (unsigned long long)p->waiter->id, co_task_name(p->waiter));
    if (!p->exited)
        uv_process_kill(&p->h, SIGKILL);
    close_all(p->fds, 3);
    uv_close((uv_handle_t *)&p->h, proc_closed);
}
