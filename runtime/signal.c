/* runtime/signal.c: POSIX signals as a blocking call. The first
 * co_signal_catch / co_signal_wait for a signal starts a uv_signal handle
 * that stays for the rest of co_main (so a ^C between two waits is kept, not
 * fatal): an arrival wakes every task waiting for that signal, or is kept
 * (coalesced) for the next wait when none does. The handle keeps the loop
 * alive only while someone waits: a task waiting for ^C is waiting for the
 * world, not deadlocked, but a caught signal nobody waits for must not keep
 * co_main from returning. */
#include "sched_int.h"
#include "replay_int.h"

#include <signal.h>
#include <stdlib.h>

typedef struct sig_waiter {
    co_task *task;
    struct sig_waiter *prev, *next;
} sig_waiter;

typedef struct sig_state {
    uv_signal_t *h;
    int pending;          /* arrivals nobody waited for (0 or 1) */
    sig_waiter *head;
    size_t nwait;
} sig_state;

#define NSIGS 65
static sig_state sigs[NSIGS];

static void unlink_waiter(sig_state *st, sig_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        st->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    if (--st->nwait == 0)
        uv_unref((uv_handle_t *)st->h);
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    if (CO__RP_REC()) { /* logged as a whole: its wake-ups follow */
        co__rp_log_signal(signum);
        co__rp_quiet = 1;
    }
    co__signal_arrived(signum);
    co__rp_quiet = 0;
}

/* What a signal's arrival does; the replay's driver calls it where the
 * recording says it came. */
void co__signal_arrived(int signum)
{
    sig_state *st = &sigs[signum];
    if (!st->head) {
        st->pending = 1;
        return;
    }
    while (st->head) {
        sig_waiter *w = st->head;
        unlink_waiter(st, w);
        co__wake(w->task, TR_WAKE_IO, signum);
    }
}

int co_signal_catch(int signum)
{
    uv_loop_t *loop = co__loop();
    if (!loop || signum <= 0 || signum >= NSIGS || signum == SIGKILL ||
        signum == SIGSTOP)
        return CO_EINVAL;
    sig_state *st = &sigs[signum];
    if (st->h)
        return 0;
    st->h = malloc(sizeof *st->h);
    if (!st->h)
        return CO_ENOMEM;
    int err = uv_signal_init(loop, st->h);
    if (!err)
        err = uv_signal_start(st->h, on_signal, signum);
    if (err) {
        free(st->h); /* init on Linux allocates nothing it keeps on failure */
        st->h = NULL;
        return err;
    }
    uv_unref((uv_handle_t *)st->h);
    st->pending = 0;
    return 0;
}

typedef struct sig_wait {
    sig_state *st;
    sig_waiter *w;
} sig_wait;

static void sig_cancel(co_task *t, co__wait *wt, int err)
{
    sig_wait *sw = wt->ctx;
    unlink_waiter(sw->st, sw->w);
    co__wake(t, co__cancel_why(err), err);
}

int co_signal_wait_at(int signum, const char *file, int line)
{
    if (signum <= 0 || signum >= NSIGS || signum == SIGKILL || signum == SIGSTOP)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_SIGNAL, (uint64_t)signum, TR_OP_NONE, -1, -1,
                           file, line);
    if (err)
        return err;
    if ((err = co_signal_catch(signum)))
        return err;
    sig_state *st = &sigs[signum];
    if (st->pending) { /* it came while nobody waited */
        st->pending = 0;
        return signum;
    }
    sig_waiter w = {.task = co__current(), .next = st->head};
    if (st->head)
        st->head->prev = &w;
    st->head = &w;
    if (st->nwait++ == 0)
        uv_ref((uv_handle_t *)st->h);
    sig_wait sw = {st, &w};
    co__wait wt = {.why = TR_WAIT_SIGNAL, .obj = (uint64_t)signum,
                   .op = TR_OP_NONE, .fd = -1, .ms = -1, .file = file,
                   .line = line, .cancel = sig_cancel, .ctx = &sw};
    return co__park(&wt);
}

#undef co_signal_wait
int co_signal_wait(int signum)
{
    return co_signal_wait_at(signum, NULL, 0);
}

static void sig_closed(uv_handle_t *h)
{
    free(h);
}

void co__signals_close_all(void)
{
    for (int i = 0; i < NSIGS; i++) {
        sig_state *st = &sigs[i];
        if (st->h) {
            uv_close((uv_handle_t *)st->h, sig_closed);
            st->h = NULL;
        }
        st->pending = 0;
        st->head = NULL;
        st->nwait = 0;
    }
}
