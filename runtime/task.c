/* runtime/task.c: task life: spawn, run, exit, join, detach, cancel,
 * deadlines, yield and sleep. A task is malloc'd with its name; its stack
 * comes from the pool and goes back as soon as the task has exited, while
 * the struct lives on until it is joined (or at once when detached). */
#include "sched_int.h"
#include "replay_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void close_timer(uv_timer_t **tp)
{
    if (*tp) {
        uv_close((uv_handle_t *)*tp, free_handle);
        *tp = NULL;
    }
}

void co__task_free(co_task *t)
{
    if (!t)
        return;
    assert(t->state == CO__DONE && !t->stack);
    free(t->name);
    free(t);
}

static void all_link(co_task *t)
{
    t->all_prev = NULL;
    t->all_next = RT->all;
    if (RT->all)
        RT->all->all_prev = t;
    RT->all = t;
    RT->nlive++;
}

static void all_unlink(co_task *t)
{
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        RT->all = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    t->all_prev = t->all_next = NULL;
    RT->nlive--;
}

/* Exited tasks nobody has claimed yet sit on the unjoined list (reusing
 * the all_* links), freed at co_main's end unless a join or detach comes. */
static void unjoined_link(co_task *t)
{
    t->all_prev = NULL;
    t->all_next = RT->unjoined;
    if (RT->unjoined)
        RT->unjoined->all_prev = t;
    RT->unjoined = t;
}

static void unjoined_unlink(co_task *t)
{
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else if (RT->unjoined == t)
        RT->unjoined = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    t->all_prev = t->all_next = NULL;
}

static void task_finish(co_task *self)
{
    co__locals_free(self, 1); /* its own code, still on its stack */
    while (self->open_spans) { /* spans end with their task */
        self->open_spans--;
        CO__TRACE(tr_rec_span_end(self->id));
    }
    int cancelled = self->cancelled || self->deadlocked;
    tr_status st = cancelled ? TR_STATUS_CANCELLED : TR_STATUS_OK;
    if (cancelled)
        self->result = NULL;
    self->state = CO__DONE;
    CO__TRACE(tr_rec_exit(self->id, st, 0));
    close_timer(&self->sleep_timer);
    close_timer(&self->deadline_timer);
    all_unlink(self);
    if (self->group)
        co__group_child_done(self);
    if (self->joiner) {
        co_task *j = self->joiner;
        co__wake(j, TR_WAKE_JOIN, 0);
    } else if (!self->detached && !self->joined) {
        unjoined_link(self);
    }
}

void co__task_entry(void)
{
    co__task_started();
    co_task *self = RT->current;
    self->result = self->fn(self->arg);
    task_finish(self);
    co__switch_exit(self);
}

co_task *co__spawn(co_fn fn, void *arg, const char *name, const char *file,
                   int line, uint32_t stack)
{
    co_task *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = strdup(name ? name : "task");
    t->stack = co__stack_get();
    if (!t->name || !t->stack) {
        co__stack_put(t->stack);
        free(t->name);
        free(t);
        return NULL;
    }
    t->id = RT->next_id++;
    t->fn = fn;
    t->arg = arg;
    co__ctx_make(&t->ctx, t->stack->lo, t->stack->size, co__task_entry);
    all_link(t);
    t->state = CO__READY;
    uint64_t parent = co__cur_id();
    CO__TRACE(tr_rec_spawn_stack(t->id, parent, t->name, file, line, stack));
    CO__TRACE(tr_rec_ready(t->id, parent, TR_WAKE_SPAWN));
    co__ready_push(t);
    return t;
}

co_task *co__spawn_main(co_fn fn, void *arg)
{
    co_task *t = co__spawn(fn, arg, "main", NULL, 0, 0);
    if (t)
        t->detached = 1; /* co_main owns it; freed when it exits */
    return t;
}

co_task *co_spawn_at(co_fn fn, void *arg, const char *name, const char *file,
                     int line)
{
    if (!fn || !RT->active)
        return NULL;
    uint32_t stack = 0; /* the spawner's caller chain, when traced */
    CO__TRACE(stack = co__trace_stack(RT->current, __builtin_frame_address(0)));
    return co__spawn(fn, arg, name, file, line, stack);
}

#undef co_spawn
co_task *co_spawn(co_fn fn, void *arg, const char *name)
{
    return co_spawn_at(fn, arg, name, NULL, 0);
}

/* ---- abandoned by the deadlock verdict ---- */

void co__task_abandon(co_task *t)
{
    t->abandoned = 1; /* from now on co__wake ignores it */
    if (t->state == CO__WAITING && t->wait && t->wait->cancel)
        t->wait->cancel(t, t->wait, CO_EDEADLK); /* unlink from queues */
    close_timer(&t->sleep_timer);
    close_timer(&t->deadline_timer);
    all_unlink(t);
    t->all_next = RT->abandoned;
    RT->abandoned = t;
}

/* After the loop closed: libuv holds nothing on these stacks any more. */
void co__abandoned_free(void)
{
    while (RT->abandoned) {
        co_task *t = RT->abandoned;
        RT->abandoned = t->all_next;
        co__stack_discard(t->stack);
        co__locals_free(t, 0); /* no line of its code runs again */
        free(t->name);
        free(t);
    }
}

/* ---- join / detach ---- */

static void join_cancel(co_task *self, co__wait *w, int err)
{
    co_task *t = w->ctx;
    t->joiner = NULL;
    t->joined = 0;
    co__wake(self, err == CO_ETIMEDOUT ? TR_WAKE_TIMEOUT : TR_WAKE_CANCEL, err);
}

int co_join_at(co_task *t, void **result, const char *file, int line)
{
    co_task *self = RT->current;
    if (!t)
        return CO_EINVAL;
    if (self && t == self)
        co__fatal(file, line, "co_join of itself");
    if (self && (t->joined || t->detached))
        co__fatal(file, line, "co_join of task %llu \"%s\", %s",
                  (unsigned long long)t->id, t->name,
                  t->detached ? "which is detached" : "which another task joins");
    int err = co__check_at(TR_WAIT_JOIN, t->id, TR_OP_NONE, -1, -1, file, line);
    if (err)
        return err;
    if (t->state != CO__DONE) {
        t->joined = 1;
        t->joiner = self;
        co__wait w = {.why = TR_WAIT_JOIN, .obj = t->id, .op = TR_OP_NONE,
                      .fd = -1, .ms = -1, .file = file, .line = line,
                      .cancel = join_cancel, .ctx = t};
        err = co__park(&w);
        if (err)
            return err;
    } else {
        unjoined_unlink(t);
    }
    if (result)
        *result = t->result;
    /* An exited task's stack may still be the zombie being released. */
    if (t->stack)
        co__after_switch();
    co__task_free(t);
    return 0;
}

#undef co_join
int co_join(co_task *t, void **result)
{
    return co_join_at(t, result, NULL, 0);
}

void co_detach(co_task *t)
{
    if (!t || t->detached || t->joined)
        return;
    t->detached = 1;
    if (t->state == CO__DONE) {
        unjoined_unlink(t);
        if (t->stack)
            co__after_switch();
        co__task_free(t);
    }
}

/* ---- cancel / deadline ---- */

void co__task_deliver(co_task *t, int err)
{
    co__wait *w = t->wait;
    assert(t->state == CO__WAITING && w);
    if (w->cancel)
        w->cancel(t, w, err);
    else
        co__wake(t, err == CO_ETIMEDOUT ? TR_WAKE_TIMEOUT : TR_WAKE_CANCEL, err);
}

int co_cancel(co_task *t)
{
    if (!t || t->state == CO__DONE || !RT->active)
        return CO_EINVAL;
    if (t->cancelled)
        return 0;
    t->cancelled = 1;
    /* A deadlocked task is unwinding already, or parked for good; a
     * shielded one gets it at its first blocking call after the shield. */
    if (t->state == CO__WAITING && !t->deadlocked && !t->shield)
        co__task_deliver(t, CO_ECANCELED);
    return 0;
}

int co_shield_begin(void)
{
    co_task *t = RT->current;
    if (!t)
        return CO_EINVAL;
    t->shield++;
    return 0;
}

int co_shield_end(void)
{
    co_task *t = RT->current;
    if (!t || t->shield == 0)
        return CO_EINVAL;
    t->shield--;
    return 0;
}

int co_cancelled(void)
{
    co_task *t = RT->current;
    return t ? t->cancelled || t->deadlocked : 0;
}

/* What a deadline's timer does; the replay's driver calls it where the
 * recording says the timer fired. */
void co__deadline_fired(co_task *t)
{
    t->timed_out = 1;
    if (t->state == CO__WAITING && !t->deadlocked)
        co__task_deliver(t, CO_ETIMEDOUT);
}

static void on_deadline(uv_timer_t *h)
{
    co_task *t = h->data;
    if (CO__RP_REC()) { /* logged as a whole: its wake-ups follow from it */
        co__rp_log_deadline(t->id);
        co__rp_quiet = 1;
    }
    co__deadline_fired(t);
    co__rp_quiet = 0;
}

/* Makes the timer and timed_out agree with t->deadline_at (absolute loop
 * time in ms, 0: none): passed already, armed for the rest, or stopped. */
static int deadline_arm(co_task *t)
{
    uint64_t now = co__now_ms();
    t->timed_out = t->deadline_at && now >= t->deadline_at;
    if (t->deadline_timer)
        uv_timer_stop(t->deadline_timer);
    if (!t->deadline_at || t->timed_out || CO__RP_PLAY())
        return 0; /* a replay's log says when it fires */
    if (!t->deadline_timer) {
        t->deadline_timer = malloc(sizeof *t->deadline_timer);
        if (!t->deadline_timer)
            return CO_ENOMEM;
        uv_timer_init(&RT->loop, t->deadline_timer);
        t->deadline_timer->data = t;
    }
    return uv_timer_start(t->deadline_timer, on_deadline, t->deadline_at - now, 0);
}

int co_deadline(uint64_t ms)
{
    co_task *t = RT->current;
    if (!t)
        return CO_EINVAL;
    t->deadline_at = ms ? co__now_ms() + ms : 0;
    return deadline_arm(t);
}

int co_deadline_push(uint64_t ms, uint64_t *saved)
{
    co_task *t = RT->current;
    if (!t || !saved)
        return CO_EINVAL;
    *saved = t->deadline_at;
    uint64_t want = co__now_ms() + ms;
    if (ms && (!t->deadline_at || want < t->deadline_at))
        t->deadline_at = want; /* an inner deadline only ever narrows */
    return deadline_arm(t);
}

int co_deadline_pop(uint64_t saved)
{
    co_task *t = RT->current;
    if (!t)
        return CO_EINVAL;
    t->deadline_at = saved;
    return deadline_arm(t);
}

int64_t co_deadline_left(void)
{
    co_task *t = RT->current;
    if (!t || !t->deadline_at)
        return -1;
    uint64_t now = co__now_ms();
    return now >= t->deadline_at ? 0 : (int64_t)(t->deadline_at - now);
}

/* ---- yield / sleep ---- */

void co_yield_at(const char *file, int line)
{
    co_task *self = RT->current;
    if (!self)
        return;
    CO__TRACE(tr_rec_requeue(self->id, file, line,
                             co__trace_stack(self, __builtin_frame_address(0))));
    self->state = CO__READY;
    co__ready_push(self);
    co__switch_out(self);
}

#undef co_yield
void co_yield(void)
{
    co_yield_at(NULL, 0);
}

static void on_sleep(uv_timer_t *h)
{
    co__wake(h->data, TR_WAKE_TIMER, 0);
}

static void sleep_cancel(co_task *t, co__wait *w, int err)
{
    (void)w;
    uv_timer_stop(t->sleep_timer);
    co__wake(t, err == CO_ETIMEDOUT ? TR_WAKE_TIMEOUT : TR_WAKE_CANCEL, err);
}

int co_sleep_at(uint64_t ms, const char *file, int line)
{
    co_task *self = RT->current;
    int err = co__check_at(TR_WAIT_SLEEP, 0, TR_OP_NONE, -1, (int64_t)ms,
                           file, line);
    if (err)
        return err;
    if (!self->sleep_timer) {
        self->sleep_timer = malloc(sizeof *self->sleep_timer);
        if (!self->sleep_timer)
            return CO_ENOMEM;
        uv_timer_init(&RT->loop, self->sleep_timer);
        self->sleep_timer->data = self;
    }
    if (!CO__RP_PLAY()) /* a replay's log says when it fires */
        co__timer_after(self->sleep_timer, on_sleep, ms);
    co__wait w = {.why = TR_WAIT_SLEEP, .op = TR_OP_NONE, .fd = -1,
                  .ms = (int64_t)ms, .file = file, .line = line,
                  .cancel = sleep_cancel};
    return co__park(&w);
}

#undef co_sleep
int co_sleep(uint64_t ms)
{
    return co_sleep_at(ms, NULL, 0);
}

/* ---- identity and marks ---- */

co_task *co_self(void)
{
    return RT->current;
}

uint64_t co_task_id(const co_task *t)
{
    return t ? t->id : 0;
}

const char *co_task_name(const co_task *t)
{
    return t ? t->name : NULL;
}

int co_task_rename(co_task *t, const char *name)
{
    if (!t || !name || t->state == CO__DONE)
        return CO_EINVAL;
    char *copy = strdup(name);
    if (!copy)
        return CO_ENOMEM;
    free(t->name);
    t->name = copy;
    CO__TRACE(tr_rec_rename(t->id, t->name));
    return 0;
}

int co_span_begin_at(const char *name, const char *file, int line)
{
    co_task *t = RT->current;
    if (!t || !name)
        return CO_EINVAL;
    t->open_spans++;
    CO__TRACE(tr_rec_span_begin(t->id, name, file, line));
    return 0;
}

#undef co_span_begin
int co_span_begin(const char *name)
{
    return co_span_begin_at(name, NULL, 0);
}

int co_span_end(void)
{
    co_task *t = RT->current;
    if (!t || t->open_spans == 0)
        return CO_EINVAL;
    t->open_spans--;
    CO__TRACE(tr_rec_span_end(t->id));
    return 0;
}

void co_mark(const char *fmt, ...)
{
    if (!TR_ON() || !fmt)
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    tr_rec_mark(co__cur_id(), buf, len);
}
