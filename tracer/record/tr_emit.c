/* tr_emit.c: the trace points, the recorder's hot path. Each call appends one
 * record to the loop ring, or completes the one held back for a fold (trace
 * format v2; see `prod` below): a bounds check against a cached limit, a
 * handful of stores, a release store of head. No lock, no malloc, no
 * syscall unless the cached limit is crossed (every half ring), when
 * reserve_slow() pads the wrap, nudges the writer or waits for it
 * (lossless). Work events come from pool threads and take the writer mutex
 * instead. */
#include "tr_rec_int.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

int tr__on;
tr__ring tr__loop_ring;
tr__ring tr__work_ring;
uint64_t tr__loop_events;
_Atomic uint64_t tr__work_events;

/* Loop-thread producer state: head as this thread knows it and the byte
 * count up to which it may write without looking at the writer. `pend`:
 * the size of a record written at head but not yet published, held back
 * one emit so that what usually follows can fold into it (format v2: one
 * record and one line for two events or three): an io_begin, which the
 * task's yield turns into an io_wait; an io_end, which the loop's ready
 * turns into an io_wake; the end of a run slice (yield, requeue, io_wait,
 * exit), which the scheduler's run of the next task completes (`next`).
 * Every other emit, tr_rec_settle (the runtime's switch back to the loop),
 * a flush and a stop publish it first, as it was. */
static struct {
    uint64_t head;
    uint64_t limit;
    size_t pend;
} prod;

/* COSCOPE_STOP_AT=N: the loop's Nth event (its Nth line that is not the
 * header, `end` or a pool thread's work_begin / work_end) is preceded by a
 * SIGTRAP raised right where it is emitted, on the stack of the task that
 * emits it, so a debugger lands there. 0: none. While one is set, every
 * record takes reserve_slow, where the count is checked: the hot path
 * stays as it is. */
static uint64_t stop_at;

static void stop_hit(void)
{
    stop_at = 0;
    tr_rec_flush(); /* the events before it are on disk for a reader */
    raise(SIGTRAP);
}

void tr__emit_reset(void)
{
    prod.head = atomic_load_explicit(&tr__loop_ring.head, memory_order_relaxed);
    prod.limit = prod.head; /* first record goes through reserve_slow() */
    prod.pend = 0;
    tr__loop_events = 0;
    atomic_store(&tr__work_events, 0);
    const char *env = getenv("COSCOPE_STOP_AT");
    stop_at = env ? strtoull(env, NULL, 10) : 0;
}

uint64_t tr_rec_loop_events(void)
{
    return tr__loop_events;
}

static uint64_t ring_end(const tr__ring *r, uint64_t pos) { return (pos | (r->size - 1)) + 1; }

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Makes room for `size` contiguous bytes at the producer's head: pads to
 * the ring end if the record would straddle it, and waits for the writer
 * when the ring is full. Sets a new limit: the ring end, or half a ring past
 * tail, so crossing half full comes back here to wake the writer early. */
static void reserve_slow(size_t size)
{
    tr__ring *r = &tr__loop_ring;
    if (stop_at && tr__loop_events + 1 == stop_at)
        stop_hit();
    for (;;) {
        uint64_t h = prod.head, end = ring_end(r, h);
        uint64_t pad = h + size > end ? end - h : 0;
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        uint64_t used = h + pad + size - tail;
        if (used > r->size / 2)
            tr__writer_kick();
        if (used > r->size) {
            tr__writer_wait_space(r, h, pad + size, 0);
            continue;
        }
        if (pad) {
            r->buf[h & (r->size - 1)] = TR__PAD;
            prod.head = h + pad;
        }
        uint64_t room = used <= r->size / 2 ? r->size / 2 : r->size;
        prod.limit = min_u64(tail + room, ring_end(r, prod.head));
        if (stop_at) /* every record comes here until the stop */
            prod.limit = prod.head;
        return;
    }
}

static inline void rec_commit(size_t size)
{
    prod.head += size;
    atomic_store_explicit(&tr__loop_ring.head, prod.head, memory_order_release);
    tr__loop_events++;
}

static inline tr__rec *head_rec(void)
{
    return (tr__rec *)(tr__loop_ring.buf + (prod.head & (tr__loop_ring.size - 1)));
}

/* Publishes the held-back record, if any. A held io_begin reads the clock
 * only here: the yield that usually follows overwrites it with a time of
 * its own, so its read would be wasted (a clock read is 9-14 ns in this VM,
 * about a quarter of what a traced I/O wait costs the loop). Published
 * unfolded, it takes the time of the emit that publishes it. */
static inline void pend_commit(void)
{
    if (__builtin_expect(prod.pend != 0, 0)) {
        size_t size = prod.pend;
        prod.pend = 0;
        tr__rec *p = head_rec();
        if (p->ev == TR_EV_IO_BEGIN)
            p->ts = tr__clock_raw();
        rec_commit(size);
    }
}

void tr_rec_settle(void)
{
    pend_commit();
}

static inline tr__rec *rec_begin(size_t size)
{
    pend_commit();
    if (__builtin_expect(prod.head + size > prod.limit, 0))
        reserve_slow(size);
    return head_rec();
}

/* Ends a record that something may fold into: held back in format v2,
 * published at once in v1 (which folds nothing: one record, one line). */
static inline void rec_hold(size_t size)
{
    if (tr__fmt_v1)
        rec_commit(size);
    else
        prod.pend = size;
}

/* The held-back record when it is `ev` of `task`, else NULL. */
static inline tr__rec *pend_of(uint8_t ev, uint64_t task)
{
    if (!prod.pend)
        return NULL;
    tr__rec *p = head_rec();
    return p->ev == ev && p->task == task ? p : NULL;
}

static inline uint8_t u8_or_max(int v) { return (unsigned)v < 255u ? (uint8_t)v : 255u; }

/* Inline string length: at most TR__STRMAX bytes, cut back to a UTF-8
 * character boundary when it had to be cut. */
static inline size_t str_len(const char *s)
{
    if (!s)
        return 0;
    size_t n = strnlen(s, TR__STRMAX + 1);
    if (n > TR__STRMAX) {
        n = TR__STRMAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return n;
}

static inline size_t mem_len(const char *s, size_t len)
{
    if (!s)
        return 0;
    if (len > TR__STRMAX) {
        len = TR__STRMAX;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    return len;
}

#define HEAD_NO_TS(r, ev_, a_, b_, slen_, line_)                               \
    do {                                                                       \
        (r)->ev = (ev_);                                                       \
        (r)->a = (a_);                                                         \
        (r)->b = (b_);                                                         \
        (r)->slen = (uint8_t)(slen_);                                          \
        (r)->line = (line_);                                                   \
    } while (0)

#define HEAD(r, ev_, a_, b_, slen_, line_)                                     \
    do {                                                                       \
        HEAD_NO_TS(r, ev_, a_, b_, slen_, line_);                              \
        (r)->ts = tr__clock_raw();                                             \
    } while (0)

void tr_rec_spawn_stack(uint64_t task, uint64_t parent, const char *name, const char *file,
                        int line, uint32_t stack)
{
    if (!TR_ON())
        return;
    size_t n = str_len(name), size = TR__REC_SIZE(n);
    tr__rec *r = rec_begin(size);
    HEAD(r, TR_EV_SPAWN, 0, 0, n, line);
    r->task = task;
    r->arg = parent;
    r->file = file;
    r->stack = stack;
    if (n)
        memcpy(r->str, name, n);
    rec_commit(size);
}

void tr_rec_spawn(uint64_t task, uint64_t parent, const char *name, const char *file,
                  int line)
{
    tr_rec_spawn_stack(task, parent, name, file, line, 0);
}

/* A chain's definition goes before a held-back io_begin rather than
 * between it and its yield, so the first wait at a new place folds too:
 * the io_begin is moved after it, still held back (a definition may come
 * anywhere before its first use). */
void tr__emit_stack(uint32_t id, const uintptr_t *pcs, int n)
{
    tr__rec held;
    int holding = prod.pend == TR__REC_HEAD &&
                  (head_rec()->ev == TR_EV_IO_BEGIN || head_rec()->ev == TR_EV_IO_END);
    if (holding) {
        memcpy(&held, head_rec(), TR__REC_HEAD); /* io_begin / io_end: a head only */
        prod.pend = 0;
    }
    size_t bytes = (size_t)n * sizeof *pcs, size = TR__REC_SIZE(bytes);
    tr__rec *r = rec_begin(size);
    HEAD(r, TR_EV_STACK, 0, 0, bytes, 0);
    r->task = id;
    memcpy(r->str, pcs, bytes);
    rec_commit(size);
    if (holding) {
        memcpy(rec_begin(TR__REC_HEAD), &held, TR__REC_HEAD);
        prod.pend = TR__REC_HEAD;
    }
}

/* The end of a run slice (yield or exit): a long one carries what the
 * thread's clocks say about it as an inline tr__oncpu. */
static inline tr__rec *slice_end_begin(uint8_t ev, uint8_t a, uint8_t b, int line,
                                       size_t *size)
{
    pend_commit(); /* a held io_begin takes its time before this one's */
    uint64_t ts = tr__clock_raw();
    tr__oncpu oc;
    size_t n = tr__oncpu_slice_end(ts, &oc) ? sizeof oc : 0;
    *size = TR__REC_SIZE(n);
    tr__rec *r = rec_begin(*size);
    r->ev = ev;
    r->a = a;
    r->b = b;
    r->slen = (uint8_t)n;
    r->line = line;
    r->ts = ts;
    r->spare = 0; /* `next`: none yet */
    if (n)
        memcpy(r->str, &oc, sizeof oc);
    return r;
}

void tr_rec_ready(uint64_t task, uint64_t by, tr_wake why)
{
    if (!TR_ON())
        return;
    tr__rec *p;
    if (why == TR_WAKE_IO && by == 0 && (p = pend_of(TR_EV_IO_END, task))) {
        p->ev = TR_EV_IO_WAKE; /* at the io_end's time: one clock read fewer */
        pend_commit();
        return;
    }
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_READY, u8_or_max(why), 0, 0, 0);
    r->task = task;
    r->arg = by;
    rec_commit(TR__REC_HEAD);
}

void tr_rec_run(uint64_t task)
{
    if (!TR_ON())
        return;
    if (prod.pend && task <= UINT32_MAX) {
        tr__rec *p = head_rec();
        if (tr__ends_slice(p->ev)) { /* the switch that ended that slice: `next` */
            p->spare = (uint32_t)task;
            tr__oncpu_slice_begin(p->ts);
            pend_commit();
            return;
        }
    }
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_RUN, 0, 0, 0, 0);
    r->task = task;
    tr__oncpu_slice_begin(r->ts);
    rec_commit(TR__REC_HEAD);
}

void tr_rec_yield_stack(uint64_t task, tr_wait why, uint64_t obj, tr_op op, int64_t fd,
                        int64_t ms, const char *file, int line, uint32_t stack)
{
    if (!TR_ON())
        return;
    uint8_t ev = TR_EV_YIELD;
    tr__rec *p;
    if (why == TR_WAIT_IO && obj == 0 && (p = pend_of(TR_EV_IO_BEGIN, task)) &&
        p->a == u8_or_max(op) && p->v1 == fd) {
        ev = TR_EV_IO_WAIT; /* the io_begin folds in: its bytes go in arg */
        obj = (uint64_t)p->v2;
        prod.pend = 0; /* overwritten in place */
    }
    size_t size;
    tr__rec *r = slice_end_begin(ev, u8_or_max(why), u8_or_max(op), line, &size);
    r->task = task;
    r->arg = obj;
    r->v1 = fd;
    r->v2 = ms;
    r->file = file;
    r->stack = stack;
    rec_hold(size); /* the run of the switch that follows folds in (`next`) */
}

void tr_rec_requeue(uint64_t task, const char *file, int line, uint32_t stack)
{
    if (!TR_ON())
        return;
    if (tr__fmt_v1) { /* v1 folds nothing: the yield, then its ready */
        tr_rec_yield_stack(task, TR_WAIT_YIELD, 0, TR_OP_NONE, -1, -1, file, line, stack);
        tr_rec_ready(task, task, TR_WAKE_YIELD);
        return;
    }
    size_t size;
    tr__rec *r = slice_end_begin(TR_EV_REQUEUE, TR_WAIT_YIELD, TR_OP_NONE, line, &size);
    r->task = task;
    r->arg = 0;
    r->v1 = -1;
    r->v2 = -1;
    r->file = file;
    r->stack = stack;
    rec_hold(size); /* as a yield's */
}

void tr_rec_yield(uint64_t task, tr_wait why, uint64_t obj, tr_op op, int64_t fd, int64_t ms,
                  const char *file, int line)
{
    tr_rec_yield_stack(task, why, obj, op, fd, ms, file, line, 0);
}

void tr_rec_io_begin(uint64_t task, tr_op op, int64_t fd, int64_t bytes)
{
    if (!TR_ON())
        return;
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD_NO_TS(r, TR_EV_IO_BEGIN, u8_or_max(op), 0, 0, 0);
    r->task = task;
    r->v1 = fd;
    r->v2 = bytes;
    if (tr__fmt_v1) /* published at once: its time now */
        r->ts = tr__clock_raw();
    /* v2: the yield that usually follows folds it in; else its time is
     * read when it is published (pend_commit) */
    rec_hold(TR__REC_HEAD);
}

void tr_rec_io_end(uint64_t task, tr_op op, int64_t res)
{
    if (!TR_ON())
        return;
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_IO_END, u8_or_max(op), 0, 0, 0);
    r->task = task;
    r->v1 = res;
    rec_hold(TR__REC_HEAD); /* the ready that usually follows folds it in */
}

void tr_rec_io(uint64_t task, tr_op op, int64_t fd, int64_t bytes, int64_t res)
{
    if (!TR_ON())
        return;
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_IO, u8_or_max(op), 0, 0, 0);
    r->task = task;
    r->arg = (uint64_t)fd; /* -1: none */
    r->v1 = res;
    r->v2 = bytes;
    rec_commit(TR__REC_HEAD);
}

void tr_rec_exit(uint64_t task, tr_status status, int64_t code)
{
    if (!TR_ON())
        return;
    size_t size;
    tr__rec *r = slice_end_begin(TR_EV_EXIT, u8_or_max(status), 0, 0, &size);
    r->task = task;
    r->v1 = code;
    rec_hold(size); /* as a yield's */
}

void tr_rec_obj(uint64_t obj, tr_objkind kind, int64_t cap, const char *name, const char *file,
                int line)
{
    if (!TR_ON())
        return;
    size_t n = str_len(name), size = TR__REC_SIZE(n);
    tr__rec *r = rec_begin(size);
    HEAD(r, TR_EV_OBJ, u8_or_max(kind), name != NULL, n, line);
    r->task = obj;
    r->v1 = cap;
    r->file = file;
    if (n)
        memcpy(r->str, name, n);
    rec_commit(size);
}

void tr_rec_acquire(uint64_t task, uint64_t obj)
{
    if (!TR_ON())
        return;
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_ACQUIRE, 0, 0, 0, 0);
    r->task = task;
    r->arg = obj;
    rec_commit(TR__REC_HEAD);
}

void tr_rec_release(uint64_t task, uint64_t obj)
{
    if (!TR_ON())
        return;
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_RELEASE, 0, 0, 0, 0);
    r->task = task;
    r->arg = obj;
    rec_commit(TR__REC_HEAD);
}

void tr_rec_mark(uint64_t task, const char *msg, size_t len)
{
    if (!TR_ON())
        return;
    size_t n = mem_len(msg, len), size = TR__REC_SIZE(n);
    tr__rec *r = rec_begin(size);
    HEAD(r, TR_EV_MARK, 0, 0, n, 0);
    r->task = task;
    if (n)
        memcpy(r->str, msg, n);
    rec_commit(size);
}

/* A task and a name, with an optional `at`: span_begin and rename. */
static void task_name_rec(tr_ev ev, uint64_t task, const char *name, const char *file,
                          int line)
{
    size_t n = str_len(name), size = TR__REC_SIZE(n);
    tr__rec *r = rec_begin(size);
    HEAD(r, ev, 0, 0, n, line);
    r->task = task;
    r->file = file;
    if (n)
        memcpy(r->str, name, n);
    rec_commit(size);
}

void tr_rec_span_begin(uint64_t task, const char *name, const char *file, int line)
{
    if (!TR_ON())
        return;
    task_name_rec(TR_EV_SPAN_BEGIN, task, name, file, line);
}

void tr_rec_span_end(uint64_t task)
{
    if (!TR_ON())
        return;
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_SPAN_END, 0, 0, 0, 0);
    r->task = task;
    rec_commit(TR__REC_HEAD);
}

void tr_rec_rename(uint64_t task, const char *name)
{
    if (!TR_ON())
        return;
    task_name_rec(TR_EV_RENAME, task, name, NULL, 0);
}

void tr_rec_conn(uint64_t task, int64_t fd, const char *local, const char *peer)
{
    if (!TR_ON())
        return;
    /* both addresses inline, "local\0peer"; b says where peer starts */
    size_t nl = local ? strnlen(local, 63) : 0, np = peer ? strnlen(peer, 63) : 0;
    size_t n = nl + 1 + np, size = TR__REC_SIZE(n);
    tr__rec *r = rec_begin(size);
    HEAD(r, TR_EV_CONN, 0, (uint8_t)nl, n, 0);
    r->task = task;
    r->v1 = fd;
    memcpy(r->str, local ? local : "", nl);
    r->str[nl] = '\0';
    memcpy(r->str + nl + 1, peer ? peer : "", np);
    rec_commit(size);
}

void tr_rec_stuck(uint64_t task)
{
    if (!TR_ON())
        return;
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_STUCK, 0, 0, 0, 0);
    r->task = task;
    rec_commit(TR__REC_HEAD);
}

void tr_rec_poll_begin(void)
{
    if (!TR_ON())
        return;
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_POLL_BEGIN, 0, 0, 0, 0);
    rec_commit(TR__REC_HEAD);
}

void tr_rec_poll_end(int64_t events)
{
    if (!TR_ON())
        return;
    tr__rec *r = rec_begin(TR__REC_HEAD);
    HEAD(r, TR_EV_POLL_END, 0, 0, 0, 0);
    r->v1 = events;
    rec_commit(TR__REC_HEAD);
}

/* Pool threads: many producers, so they take the writer mutex; the writer
 * still reads the work ring without it, as the ring's only consumer. The
 * clock is read before the lock so waiting for it does not shift t. */
static void work_emit(tr_ev ev, uint64_t task, uint64_t thread, const char *name)
{
    if (!__atomic_load_n(&tr__on, __ATOMIC_RELAXED))
        return;
    uint64_t ts = tr__clock_raw();
    size_t n = str_len(name), size = TR__REC_SIZE(n);
    if (!tr__work_lock())
        return;
    tr__ring *ring = &tr__work_ring;
    uint64_t h, pad;
    for (;;) {
        /* re-read after a wait: another pool thread may have written */
        h = atomic_load_explicit(&ring->head, memory_order_relaxed);
        uint64_t end = ring_end(ring, h);
        pad = h + size > end ? end - h : 0;
        uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
        if (h + pad + size - tail <= ring->size)
            break;
        if (tr__writer_wait_space(ring, h, pad + size, 1) != 0)
            return; /* recording stopped while waiting; unlocked */
    }
    if (pad) {
        ring->buf[h & (ring->size - 1)] = TR__PAD;
        h += pad;
    }
    tr__rec *r = (tr__rec *)(ring->buf + (h & (ring->size - 1)));
    r->ev = (uint8_t)ev;
    r->slen = (uint8_t)n;
    r->ts = ts;
    r->task = task;
    r->arg = thread;
    if (n)
        memcpy(r->str, name, n);
    atomic_store_explicit(&ring->head, h + size, memory_order_release);
    atomic_fetch_add_explicit(&tr__work_events, 1, memory_order_relaxed);
    tr__work_unlock();
}

void tr_rec_work_begin(uint64_t task, uint64_t thread, const char *name)
{
    work_emit(TR_EV_WORK_BEGIN, task, thread, name);
}

void tr_rec_work_end(uint64_t task, uint64_t thread, const char *name)
{
    work_emit(TR_EV_WORK_END, task, thread, name);
}
