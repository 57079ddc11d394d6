/* runtime/sched_int.h: the scheduler's state, shared by sched.c and task.c.
 * One runtime per process: co_main is not reentrant. */
#ifndef COSCOPE_SCHED_INT_H
#define COSCOPE_SCHED_INT_H

#include "co_int.h"
#include "stack.h"

typedef struct co__rt {
    uv_loop_t loop;
    uv_prepare_t prepare; /* marks poll_begin when the poller may block */
    uv_check_t check;     /* the one place that drains the ready queue */
    uv_idle_t idle;       /* active only while tasks are ready */
    int idle_on;
    int active;           /* inside co_main */
    co_task *current;     /* running task, NULL on the loop */
    co__ctx loop_ctx;     /* the loop's context while a task runs */
    co_task *ready_head, *ready_tail;
    size_t nready;
    int budget;           /* task switches left before the loop polls */
    co_task *all;         /* live (not yet exited) tasks */
    size_t nlive;
    co_task *unjoined;    /* exited, neither joined nor detached */
    co_task *zombie;      /* exited task whose stack is still in use */
    uint64_t next_id;
    int in_poll;
    int64_t poll_wakes;
    int from_loop;        /* the switch in progress started on the loop */
    int verdicts;         /* deadlock verdicts given in this co_main */
    uint64_t start_ms;    /* uv_now at co_main's start: co_now's zero */
    co_task *abandoned;   /* found blocked forever, never run again; their
                             stacks are released at co_main's end */
#ifdef CO_ASAN
    const void *loop_stack_bottom;
    size_t loop_stack_size;
#endif
} co__rt;

extern co__rt co__rt_state;
#define RT (&co__rt_state)

/* Ready queue (FIFO) and switching. */
void co__ready_push(co_task *t);
/* Leaves the current task (already marked READY/WAITING/DONE): runs the
 * next ready task directly while the budget lasts, else returns to the
 * loop. Returns when the task is switched back in. */
void co__switch_out(co_task *self);
/* Final switch of an exited task; never returns. */
void co__switch_exit(co_task *self) __attribute__((noreturn));
/* Called first thing after any switch back in. */
void co__after_switch(void);
/* Called first thing by a new task. */
void co__task_started(void);

/* task.c */
void co__task_entry(void);
void co__task_free(co_task *t);
void co__task_deliver(co_task *t, int err); /* cancel / timeout a wait */

/* fail.c: the deadlock verdict. Called by co_main when the loop ran dry
 * with tasks left: reports them, then either makes them unwind (the cancel
 * policy, first verdict: returns 1, run the loop again) or abandons them
 * for good (returns 0). */
int co__deadlock_verdict(void);
/* task.c: takes a stuck task out of the live set for good: undoes its
 * wait's registrations, never wakes it; freed by co__abandoned_free. */
void co__task_abandon(co_task *t);
void co__abandoned_free(void);

/* explore.c: the schedule drawn from COSCOPE_SEED. co__explore_env reads
 * the variable (0 and a message for a bad value: FIFO) into *seed, tells
 * the recorder (the trace header's `seed`) and returns 1 when it is set;
 * co__explore_start (co_main's start) does so and arms the scheduler:
 * while co__explore_on, co__explore_pick takes the next task from the
 * ready queue (NULL when empty) in place of its head. */
extern int co__explore_on;
int co__explore_env(uint64_t *seed);
void co__explore_start(void);
co_task *co__explore_pick(void);

/* The loop's clock (absolute ms, as uv_now; the recorded one in a replay),
 * and the prepare / check callbacks' work, which a replay's driver runs in
 * place of libuv (replay.c). */
uint64_t co__now_ms(void);

/* The caller chain of a trace point in task t, for tr_rec_*_stack: the
 * frames above `anchor` (a local of the outermost runtime function -- the
 * blocking call's wait struct -- or its __builtin_frame_address(0)), on the
 * task's own stack, so the first frame is the program's. 0 when there is
 * none. Call under TR_ON().
 * Inline: no call of its own (5.5 instructions a traced co_yield in a
 * Release build, where it was a tail call; a frame fewer for the walk to
 * climb where it was not). */
static inline uint32_t co__trace_stack(const co_task *t, const void *anchor)
{
    if (!t || !t->stack)
        return 0;
    return tr_rec_stack(anchor, t->stack->lo, t->stack->lo + t->stack->size);
}
/* uv_timer_start for ms counted from now, not from the loop's reading of
 * the clock (sched.c): co_sleep's and co_select's timeouts. */
int co__timer_after(uv_timer_t *timer, uv_timer_cb cb, uint64_t ms);
void co__loop_prepare(void);
void co__loop_check(void);

#define CO__BUDGET 256 /* task switches per loop iteration */

#endif
