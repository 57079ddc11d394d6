/* runtime/sched.c: the scheduler on a libuv loop, and co_main.
 * libuv callbacks only make tasks ready (co__wake); the check handle is the
 * one place that drains the ready queue, in FIFO order (in an order drawn
 * from COSCOPE_SEED when it is set: explore.c). A task that blocks
 * switches straight to the next ready task (one switch, not two) until the
 * per-iteration budget runs out; then the loop polls for I/O again, so a
 * busy set of yielding tasks cannot starve the network. */
#include "sched_int.h"
#include "replay_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef CO_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

co__rt co__rt_state;

uv_loop_t *co__loop(void)
{
    return RT->active ? &RT->loop : NULL;
}

co_task *co__current(void)
{
    return RT->current;
}

/* In a replay the clock is the recorded one: it moves only where the
 * recording says a loop iteration saw it move, so sleeps take no time. */
uint64_t co__now_ms(void)
{
    if (CO__RP_PLAY())
        return RT->start_ms + co__rp_now();
    return uv_now(&RT->loop);
}

/* A timer for ms from now, counted from the clock, not from the loop's
 * reading of it: uv_now is read once per iteration, and a task that ran
 * 50 ms in this one would see co_sleep(40) return at once. The lag is
 * read from the clock libuv reads (CLOCK_MONOTONIC_COARSE when it ticks
 * at 1 ms or finer, else CLOCK_MONOTONIC), so it is 0 when the loop's
 * reading is fresh. co_now keeps the loop's reading: a replay logs that. */
int co__timer_after(uv_timer_t *timer, uv_timer_cb cb, uint64_t ms)
{
    static clockid_t clock = (clockid_t)-1;
    if (clock == (clockid_t)-1) {
        struct timespec res;
        clock = clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 && res.tv_sec == 0 &&
                        res.tv_nsec <= 1000000
                    ? CLOCK_MONOTONIC_COARSE
                    : CLOCK_MONOTONIC;
    }
    struct timespec ts;
    uint64_t loop = uv_now(&RT->loop), lag = 0;
    if (clock_gettime(clock, &ts) == 0) {
        uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
        lag = now > loop ? now - loop : 0;
    }
    return uv_timer_start(timer, cb, ms + lag, 0);
}

uint64_t co_now(void)
{
    return RT->active ? co__now_ms() - RT->start_ms : 0;
}

/* ---- switching (with ASan fiber annotations) ---- */

#ifdef CO_ASAN
static void asan_start(void **save, co_task *to)
{
    if (to)
        __sanitizer_start_switch_fiber(save, to->stack->lo, to->stack->size);
    else
        __sanitizer_start_switch_fiber(save, RT->loop_stack_bottom,
                                       RT->loop_stack_size);
}
static void asan_finish(void *save)
{
    const void *bottom;
    size_t size;
    __sanitizer_finish_switch_fiber(save, &bottom, &size);
    if (RT->from_loop) {
        RT->loop_stack_bottom = bottom;
        RT->loop_stack_size = size;
    }
}
#define ASAN_START(save, to) asan_start((save), (to))
#define ASAN_FINISH(save) asan_finish(save)
#else
#define ASAN_START(save, to) ((void)(save), (void)(to))
#define ASAN_FINISH(save) ((void)(save))
#endif

static void start_running(co_task *t)
{
    RT->current = t;
    t->state = CO__RUNNING;
    CO__TRACE(tr_rec_run(t->id));
}

static co_task *ready_pop(void)
{
    if (co__explore_on) /* COSCOPE_SEED: explore.c picks */
        return co__explore_pick();
    co_task *t = RT->ready_head;
    if (t) {
        RT->ready_head = t->next_ready;
        if (!RT->ready_head)
            RT->ready_tail = NULL;
        t->next_ready = NULL;
        RT->nready--;
    }
    return t;
}

static void on_idle(uv_idle_t *h)
{
    (void)h; /* exists only to keep the poll from blocking */
}

void co__ready_push(co_task *t)
{
    t->next_ready = NULL;
    if (RT->ready_tail)
        RT->ready_tail->next_ready = t;
    else
        RT->ready_head = t;
    RT->ready_tail = t;
    RT->nready++;
    if (!RT->idle_on) {
        /* An active idle handle makes the poll non-blocking. */
        uv_idle_start(&RT->idle, on_idle);
        RT->idle_on = 1;
    }
}

void co__after_switch(void)
{
    RT->from_loop = 0;
    co_task *z = RT->zombie;
    if (z) {
        RT->zombie = NULL;
        co__stack_put(z->stack);
        z->stack = NULL;
        if (z->detached)
            co__task_free(z);
    }
}

/* First thing a new task does: complete the switch that started it. */
void co__task_started(void)
{
    ASAN_FINISH(NULL);
    co__after_switch();
}

/* From a task to the next ready one, or to the loop. */
static void switch_from(co_task *self, int dead)
{
    co_task *next = NULL;
    if (RT->budget > 0 && RT->ready_head) {
        next = ready_pop();
        RT->budget--;
    }
    if (next == self) { /* co_yield with nobody else ready */
        start_running(self);
        return;
    }
    void *fake = NULL;
    RT->from_loop = 0;
    if (next) {
        start_running(next);
        ASAN_START(dead ? NULL : &fake, next);
        co__ctx_swap(&self->ctx, &next->ctx);
    } else {
        RT->current = NULL;
        CO__TRACE(tr_rec_settle()); /* no run follows the slice's end */
        ASAN_START(dead ? NULL : &fake, NULL);
        co__ctx_swap(&self->ctx, &RT->loop_ctx);
    }
    ASAN_FINISH(fake);
    co__after_switch();
}

void co__switch_out(co_task *self)
{
    switch_from(self, 0);
}

void co__switch_exit(co_task *self)
{
    RT->zombie = self;
    switch_from(self, 1);
    abort(); /* an exited task is never switched back in */
}

/* From the loop into t; returns when some task switches back to the loop. */
static void run_from_loop(co_task *t)
{
    void *fake = NULL;
    start_running(t);
    RT->from_loop = 1;
    ASAN_START(&fake, t);
    co__ctx_swap(&RT->loop_ctx, &t->ctx);
    ASAN_FINISH(fake);
    RT->current = NULL;
    co__after_switch();
}

/* ---- park / wake ---- */

int co__check(void)
{
    co_task *t = RT->current;
    if (!t)
        return CO_EINVAL;
    if (t->deadlocked)
        return CO_EDEADLK;
    if (t->cancelled && !t->shield)
        return CO_ECANCELED;
    if (t->timed_out)
        return CO_ETIMEDOUT;
    return 0;
}

int co__park(co__wait *w)
{
    co_task *self = RT->current;
    assert(self && "co__park outside a task");
    self->wait = w;
    self->state = CO__WAITING;
    CO__TRACE(tr_rec_yield_stack(self->id, w->why, w->obj, w->op, w->fd, w->ms,
                                 w->file, w->line, co__trace_stack(self, w)));
    co__switch_out(self);
    self->wait = NULL;
    return self->wake_result;
}

void co__wake(co_task *t, tr_wake why, int result)
{
    if (t->abandoned)
        return; /* the deadlock verdict: it never runs again */
    assert(t->state == CO__WAITING && "co__wake of a task that isn't waiting");
    t->wake_result = result;
    t->state = CO__READY;
    CO__TRACE(tr_rec_ready(t->id, co__cur_id(), why));
    if (CO__RP_LOOP_REC() && !RT->current)
        co__rp_log_wake(t->id, why, result);
    if (RT->in_poll)
        RT->poll_wakes++;
    co__ready_push(t);
}

/* ---- the loop's handles ---- */

void co__loop_prepare(void)
{
    RT->in_poll = 1;
    RT->poll_wakes = 0;
    CO__TRACE(tr_rec_poll_begin());
}

static void on_prepare(uv_prepare_t *h)
{
    (void)h;
    if (RT->nready == 0) { /* nothing to run: the poller may block */
        if (CO__RP_REC())
            co__rp_log_prep();
        co__loop_prepare();
    }
}

static void on_check(uv_check_t *h)
{
    (void)h;
    if (CO__RP_REC())
        co__rp_log_check(uv_now(&RT->loop) - RT->start_ms);
    co__loop_check();
}

void co__loop_check(void)
{
    if (RT->in_poll) {
        RT->in_poll = 0;
        CO__TRACE(tr_rec_poll_end(RT->poll_wakes));
    }
    RT->budget = CO__BUDGET;
    while (RT->budget > 0 && RT->ready_head) {
        RT->budget--;
        run_from_loop(ready_pop());
    }
    if (!RT->ready_head && RT->idle_on) {
        uv_idle_stop(&RT->idle);
        RT->idle_on = 0;
    }
}

/* ---- co_main ---- */

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

extern co_task *co__spawn_main(co_fn fn, void *arg);

/* The loop until it runs dry: libuv's, or in a replay the recording's. */
static void run_loop(void)
{
    if (CO__RP_PLAY()) {
        co__rp_run();
        return;
    }
    co__rp_loop = 1;
    uv_run(&RT->loop, UV_RUN_DEFAULT);
    co__rp_loop = 0;
    if (CO__RP_REC())
        co__rp_log_run_end();
}

/* The loop thread's cancellation while co_main runs: disabled, its type
 * asynchronous. Once a process has a second thread (a trace writer, libuv's
 * pool, the program's own), glibc wraps every cancellation point (read,
 * write, recv, epoll_wait, ...) in two atomic swaps of the calling thread's
 * cancel type, and skips both when the type is already asynchronous (perf
 * of a flight-mode http_hello: 1.01 % of the samples before, 0.32 % after).
 * With cancellation disabled the type does nothing else; a pthread_cancel
 * of the loop thread waits for co_main's return. */
typedef struct cancel_mode {
    int state, type;
} cancel_mode;

static cancel_mode cancel_quiet(void)
{
    cancel_mode old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old.state);
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old.type);
    return old;
}

static void cancel_restore(cancel_mode old)
{
    pthread_setcanceltype(old.type, NULL); /* first: the state may enable it */
    pthread_setcancelstate(old.state, NULL);
}

int co_main(co_fn fn, void *arg)
{
    if (!fn || RT->active)
        return CO_EINVAL;
    memset(RT, 0, sizeof *RT);
    int rc = co__rp_begin();
    if (rc)
        return rc;
    if ((rc = uv_loop_init(&RT->loop)) != 0) {
        co__rp_end();
        return rc;
    }
    uv_prepare_init(&RT->loop, &RT->prepare);
    uv_check_init(&RT->loop, &RT->check);
    uv_idle_init(&RT->loop, &RT->idle);
    uv_prepare_start(&RT->prepare, on_prepare);
    uv_check_start(&RT->check, on_check);
    uv_unref((uv_handle_t *)&RT->prepare);
    uv_unref((uv_handle_t *)&RT->check);
    co__stack_configure();
    cancel_mode cancel = cancel_quiet();
    RT->start_ms = uv_now(&RT->loop);
    RT->active = 1;
    RT->next_id = 1;
    co__explore_start();

    int own_trace = 0;
    const char *path = getenv("COSCOPE_TRACE");
    if (path && *path && !TR_ON()) {
        int r = co_trace_start(path);
        if (r)
            fprintf(stderr, "coscope: cannot record trace to %s: %s\n", path,
                    co_strerror(r));
        else
            own_trace = 1;
    }
    co__overflow_install();

    if (!co__spawn_main(fn, arg)) {
        rc = CO_ENOMEM;
    } else {
        for (;;) {
            run_loop();
            if (RT->nlive == 0)
                break;
            if (co__posters_wait())
                continue; /* another thread may still wake them */
            rc = CO_EDEADLK;
            if (!co__deadlock_verdict())
                break; /* abandoned: nothing left to run */
        }
    }

    /* Close our handles and anything the program left open. */
    co__tcp_close_all();
    co__posters_close_all();
    co__signals_close_all();
    co__udp_close_all();
    uv_walk(&RT->loop, close_walk, NULL);
    uv_run(&RT->loop, UV_RUN_DEFAULT);
    int cr = uv_loop_close(&RT->loop);
    if (cr && !rc)
        rc = cr;
    co__abandoned_free();
    while (RT->unjoined) {
        co_task *t = RT->unjoined;
        RT->unjoined = t->all_next;
        co__task_free(t);
    }
    co__stack_pool_drain();
    co__overflow_uninstall();
    if (own_trace)
        co_trace_stop();
    co__rp_end();
    RT->active = 0;
    cancel_restore(cancel);
    return rc;
}
