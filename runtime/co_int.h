/* runtime/co_int.h: what the runtime's files share and users never see.
 * The task struct, the scheduler's park/wake protocol that every blocking
 * call is built on, and the trace helpers. */
#ifndef COSCOPE_CO_INT_H
#define COSCOPE_CO_INT_H

#include <assert.h>
#include <stdint.h>
#include <uv.h>

#include "coscope/co.h"
#include "coscope/tr_record.h"
#include "ctx.h"

/* Trace point guard: one predictable branch when tracing is off. */
#define CO__TRACE(call)                                                        \
    do {                                                                       \
        if (TR_ON())                                                           \
            call;                                                              \
    } while (0)

/* A helper that parks on a wait struct of its own, on the way from a
 * public call (a replay's rp_* fed from the log): always inlined, so the
 * traced caller chain, which starts at the frame holding the wait struct
 * (co__trace_stack), starts in the same frame as when recording,
 * at every optimisation level (ASan builds do not inline by themselves). */
#define CO__PARKS_INLINE static inline __attribute__((always_inline))

typedef enum co__state {
    CO__READY = 0,
    CO__RUNNING,
    CO__WAITING,
    CO__DONE
} co__state;

typedef struct co__stack co__stack;
typedef struct co__wait co__wait;

/* What a parked task waits on. Lives on the parked task's stack for the
 * duration of co__park(). `cancel` is called (on the loop, by whoever
 * cancels the task or by its deadline timer) when the wait must end early
 * with `err` (CO_ECANCELED or CO_ETIMEDOUT); it must undo the wait's
 * registrations (unlink from a queue, stop a timer, stop reading...) and
 * call co__wake(t, why, err) — now, or later once libuv lets go of memory
 * on the task's stack. NULL `cancel` means "just wake it with err". */
struct co__wait {
    tr_wait why;
    uint64_t obj;   /* mutex / chan id, or the joined task's id */
    tr_op op;
    int64_t fd;     /* -1: none */
    int64_t ms;     /* -1: none */
    const char *file;
    int line;
    void (*cancel)(co_task *t, co__wait *w, int err);
    void *ctx;      /* for the cancel function */
    /* Replay only (replay.c): what the loop's callback would have done
     * besides the wake-up (unlink a waiter, run pool work); NULL: none. */
    void (*replay_wake)(co_task *t, co__wait *w, int result);
};

struct co_task {
    co__ctx ctx;                /* saved registers while switched out */
    uint64_t id;
    char *name;
    co_fn fn;
    void *arg;
    void *result;
    co__state state;
    co__stack *stack;
    co_task *next_ready;        /* ready queue link */
    co_task *all_prev, *all_next; /* every live task (for stuck reports) */
    co__wait *wait;             /* while WAITING, else NULL */
    int wake_result;            /* what co__park returns */
    int cancelled;              /* co_cancel was called */
    int cancel_pending;         /* cancelled, not yet delivered to a call */
    int timed_out;              /* the deadline has passed */
    int deadlocked;             /* found blocked forever; unwinding (cancel
                                   policy): every blocking call fails with
                                   CO_EDEADLK */
    int abandoned;              /* found blocked forever; never runs again */
    int reported;               /* named in a deadlock report already */
    unsigned refusals;          /* blocking calls refused after the verdict */
    int shield;                 /* co_shield_begin depth: no cancellation */
    struct co__local *locals;   /* task-local values (local.c) */
    unsigned open_spans;        /* co_span_begin depth */
    struct co_group *group;     /* the group it was spawned into, or NULL */
    co_task *group_prev, *group_next;
    uint64_t deadline_at;       /* loop time (ms) of the deadline, 0: none */
    uv_timer_t *deadline_timer; /* lazily allocated, closed at exit */
    uv_timer_t *sleep_timer;    /* lazily allocated, closed at exit */
    co_task *joiner;            /* the task waiting in co_join on us */
    int detached;
    int joined;                 /* someone called co_join on us */
};

/* The loop this thread's co_main runs, and the running task (NULL when the
 * loop itself runs). */
uv_loop_t *co__loop(void);
co_task *co__current(void);

/* Returns 0 if the current task may block, or the error its next blocking
 * call must return (CO_ECANCELED / CO_ETIMEDOUT / CO_EDEADLK; CO_EINVAL
 * outside a task). For calls that must work anyway (the close calls). */
int co__check(void);

/* The check every blocking call makes before registering its wait, with
 * what the wait would be (as in co__wait). Outside a task it is a misuse:
 * fatal. A refusal (cancelled, past the deadline, deadlocked) is traced as
 * a wait of no length, `yield` then `ready` (by itself, why cancel or
 * timeout) then `run`, so a loop retrying a refused call is seen in the
 * trace; a task retrying after the deadlock verdict is parked for good
 * after CO__DEADLOCK_RETRIES refusals. Returns 0 or the error. */
int co__check_at(tr_wait why, uint64_t obj, tr_op op, int64_t fd, int64_t ms,
                 const char *file, int line);
#define CO__DEADLOCK_RETRIES 100

/* A misuse the program cannot recover from (unlocking a mutex it does not
 * hold, joining itself, blocking outside a task...): prints "coscope:
 * fatal: task N "name": MESSAGE, at FILE:LINE" on stderr, writes it as the
 * trace's last line (`fatal`), and aborts. */
void co__fatal(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* Switches the current task out until co__wake(). Emits `yield` with the
 * wait's fields. Returns the result passed to co__wake. */
int co__park(co__wait *w);

/* Makes a WAITING task ready (FIFO) with `result` for its co__park; emits
 * `ready` with by = the current task (0 on the loop). Call from the loop
 * thread only. */
void co__wake(co_task *t, tr_wake why, int result);

/* co__trace_stack (sched_int.h, inline): the caller chain of a trace point
 * in a task. */

/* group.c: a group's child has ended (called from its exit, before its
 * struct is freed): unlinks it and wakes the group's waiter when it was
 * the last. */
void co__group_child_done(co_task *t);
/* local.c: runs the destructors of t's task-local values (at its exit)
 * and frees them; with run_dtors 0 only frees (an abandoned task). */
void co__locals_free(co_task *t, int run_dtors);
/* task.c: a new task, made ready (co_spawn's work without the checks);
 * stack is the spawner's traced caller chain (co__trace_stack) or 0. */
co_task *co__spawn(co_fn fn, void *arg, const char *name, const char *file,
                   int line, uint32_t stack);

/* An intrusive FIFO of waiters that live on their tasks' stacks (channels,
 * semaphores, conditions): a waiter struct starts with its co__qlink, is
 * pushed at the tail, and can be unlinked from anywhere (a cancel). */
typedef struct co__qlink {
    struct co__qlink *prev, *next;
} co__qlink;
typedef struct co__fifo {
    co__qlink *head, *tail;
} co__fifo;

static inline void co__fifo_push(co__fifo *q, co__qlink *l)
{
    l->next = NULL;
    l->prev = q->tail;
    if (q->tail)
        q->tail->next = l;
    else
        q->head = l;
    q->tail = l;
}

static inline void co__fifo_unlink(co__fifo *q, co__qlink *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        q->head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        q->tail = l->prev;
    l->prev = l->next = NULL;
}

/* Tracing id of the current task (0 on the loop). */
static inline uint64_t co__cur_id(void)
{
    co_task *t = co__current();
    return t ? t->id : 0;
}

/* Objects (mutexes, channels) share one id space per process. Each is
 * announced with an `obj` line once per trace: at creation when tracing is
 * on, else at its first traced use (co__obj_announce). */
uint64_t co__obj_id(void);
typedef struct co__obj {
    uint64_t id;
    tr_objkind kind;
    int64_t cap;
    char *name;
    const char *file;
    int line;
    unsigned gen; /* trace generation it was announced in */
} co__obj;
extern unsigned co__trace_gen;
void co__obj_emit(co__obj *o);
static inline void co__obj_announce(co__obj *o)
{
    if (TR_ON() && o->gen != co__trace_gen)
        co__obj_emit(o);
}
static inline tr_wake co__cancel_why(int err)
{
    return err == CO_ETIMEDOUT ? TR_WAKE_TIMEOUT : TR_WAKE_CANCEL;
}

/* "mutex 3 "table"" / "chan 2" for messages, in buf. */
const char *co__obj_label(const co__obj *o, char *buf, size_t n);

/* io_dns.c: resolves host through getaddrinfo (a blocking call, traced as
 * op dns): the first address, with port, in *out. 0 or an error (EAI_*). */
struct sockaddr_storage;
int co__resolve_at(const char *host, int port, struct sockaddr_storage *out,
                   const char *file, int line);

/* io_tcp.c: the handle of an open connection (NULL once closing), for
 * the socket options and half-close of io_sock.c. */
uv_tcp_t *co__tcp_uv(co_tcp *s);
/* In a replay, where every co_tcp is a replay's (no handle): 1 and its
 * recorded fd in *fd while it is open, else 0. */
int co__tcp_replay_open(co_tcp *s, int64_t *fd);

/* io_tcp.c: puts n bytes back in front of s's stream; the next reads get
 * them first. 0 or CO_ENOMEM. For the buffered reads (io_buf.c). */
int co__tcp_unread(co_tcp *s, const void *p, size_t n);

/* Closes and frees every co_tcp the program left open (io_tcp.c); called
 * by co_main once the tasks are done. Safe to call twice. */
void co__tcp_close_all(void);

/* post.c: when the loop ran dry with tasks left, waits for a post if a
 * poster is open (returns 1; run the loop again), else returns 0. And
 * co_main's end: closes the posters the program left open. */
int co__posters_wait(void);
void co__posters_close_all(void);
/* signal.c: co_main's end closes the signal handles co_signal_* started. */
void co__signals_close_all(void);
/* io_udp.c: co_main's end closes and frees the UDP sockets left open. */
void co__udp_close_all(void);

/* Error name for messages ("ECANCELED"). */
const char *co__err_name(int err);

#endif
