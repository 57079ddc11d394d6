/* runtime/chan.c: channels. A ring buffer of `cap` elements plus FIFO queues
 * of waiting senders and receivers; capacity 0 is a rendezvous where the
 * element goes straight from the sender's memory to the receiver's. Waiter
 * records live on the waiting tasks' stacks for the duration of the wait.
 * co_select queues one waiter per case, all sharing one state: the first to
 * fire claims the select and the others become stale, skipped by whoever
 * pops them, so no element is ever handed to a select that already took
 * another. */
#include "sched_int.h"
#include "replay_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One co_select's shared state: the first of its waiters to fire claims
 * it; the others are stale from then on and skipped by whoever pops them. */
typedef struct sel_state {
    int fired;
    int index; /* the case that fired */
    int err;   /* its result */
} sel_state;

typedef struct cwaiter {
    co__qlink link; /* first: a queue's head is its waiter */
    co_task *task;
    void *elem;     /* send: the element to give; recv: where to put one */
    int queued;     /* linked in a queue */
    sel_state *sel; /* NULL unless part of a co_select */
    int index;      /* its case in that select */
} cwaiter;

typedef co__fifo wqueue;

struct co_chan {
    co__obj obj;
    size_t esz, cap;
    char *buf;
    size_t head, len;
    int closed;
    wqueue senders, receivers;
};

typedef struct chan_wait {
    co_chan *c;
    wqueue *q;
    cwaiter *w;
} chan_wait;

static void q_push(wqueue *q, cwaiter *w)
{
    w->queued = 1;
    co__fifo_push(q, &w->link);
}

static void q_unlink(wqueue *q, cwaiter *w)
{
    co__fifo_unlink(q, &w->link);
    w->queued = 0;
}

/* The oldest live waiter: a select's waiters whose select another case
 * already claimed are dropped on the way. */
static cwaiter *q_pop(wqueue *q)
{
    cwaiter *w;
    while ((w = (cwaiter *)q->head)) {
        q_unlink(q, w);
        if (!w->sel || !w->sel->fired)
            return w;
    }
    return NULL;
}

/* A waiter's operation is done (its element copied) with result err: wake
 * its task. A select's park returns 0 and finds which case in its state. */
static void fire(cwaiter *w, int err)
{
    if (w->sel) {
        w->sel->fired = 1;
        w->sel->index = w->index;
        w->sel->err = err;
        err = 0;
    }
    co__wake(w->task, TR_WAKE_CHAN, err);
}

co_chan *co_chan_new_at(size_t elem_size, size_t capacity, const char *file,
                        int line)
{
    if (elem_size == 0 || (capacity && elem_size > SIZE_MAX / capacity))
        return NULL;
    co_chan *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (capacity) {
        c->buf = malloc(elem_size * capacity);
        if (!c->buf) {
            free(c);
            return NULL;
        }
    }
    c->esz = elem_size;
    c->cap = capacity;
    c->obj.id = co__obj_id();
    c->obj.kind = TR_OBJ_CHAN;
    c->obj.cap = (int64_t)capacity;
    c->obj.file = file;
    c->obj.line = line;
    return c; /* announced at first use or naming, like mutexes */
}

#undef co_chan_new
co_chan *co_chan_new(size_t elem_size, size_t capacity)
{
    return co_chan_new_at(elem_size, capacity, NULL, 0);
}

co_chan *co_chan_name(co_chan *c, const char *name)
{
    if (!c || !name)
        return c;
    char *copy = strdup(name);
    if (copy) {
        free(c->obj.name);
        c->obj.name = copy;
        c->obj.gen = co__trace_gen - 1;
        co__obj_announce(&c->obj);
    }
    return c;
}

static void *slot(co_chan *c, size_t i)
{
    return c->buf + ((c->head + i) % c->cap) * c->esz;
}

static void chan_cancel(co_task *t, co__wait *wt, int err)
{
    chan_wait *cw = wt->ctx;
    q_unlink(cw->q, cw->w);
    co__wake(t, co__cancel_why(err), err);
}

static int chan_park(co_chan *c, wqueue *q, void *elem, tr_wait why,
                     const char *file, int line)
{
    cwaiter w = {.task = co__current(), .elem = elem};
    chan_wait cw = {.c = c, .q = q, .w = &w};
    q_push(q, &w);
    co__wait wt = {.why = why, .obj = c->obj.id, .op = TR_OP_NONE, .fd = -1,
                   .ms = -1, .file = file, .line = line,
                   .cancel = chan_cancel, .ctx = &cw};
    return co__park(&wt);
}

/* The send that needs no wait: 0 done, CO_EPIPE closed, CO_EAGAIN it would
 * have to wait. */
static int try_send(co_chan *c, const void *elem)
{
    if (c->closed)
        return CO_EPIPE;
    cwaiter *r = q_pop(&c->receivers);
    if (r) { /* a receiver waits: the buffer is empty, hand it over */
        memcpy(r->elem, elem, c->esz);
        fire(r, 0);
        return 0;
    }
    if (c->len < c->cap) {
        memcpy(slot(c, c->len), elem, c->esz);
        c->len++;
        return 0;
    }
    return CO_EAGAIN;
}

/* The receive that needs no wait: 0, CO_EOF closed and drained, CO_EAGAIN. */
static int try_recv(co_chan *c, void *elem)
{
    if (c->len > 0) {
        memcpy(elem, slot(c, 0), c->esz);
        c->head = (c->head + 1) % c->cap;
        c->len--;
        cwaiter *s = q_pop(&c->senders);
        if (s) { /* room now: the oldest sender's element moves in */
            memcpy(slot(c, c->len), s->elem, c->esz);
            c->len++;
            fire(s, 0);
        }
        return 0;
    }
    cwaiter *s = q_pop(&c->senders);
    if (s) { /* rendezvous */
        memcpy(elem, s->elem, c->esz);
        fire(s, 0);
        return 0;
    }
    return c->closed ? CO_EOF : CO_EAGAIN;
}

int co_chan_send_at(co_chan *c, const void *elem, const char *file, int line)
{
    if (!c || !elem)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_CHAN_SEND, c->obj.id, TR_OP_NONE, -1, -1,
                           file, line);
    if (err)
        return err;
    co__obj_announce(&c->obj);
    err = try_send(c, elem);
    if (err != CO_EAGAIN)
        return err;
    return chan_park(c, &c->senders, (void *)elem, TR_WAIT_CHAN_SEND, file,
                     line);
}

#undef co_chan_send
int co_chan_send(co_chan *c, const void *elem)
{
    return co_chan_send_at(c, elem, NULL, 0);
}

int co_chan_recv_at(co_chan *c, void *elem, const char *file, int line)
{
    if (!c || !elem)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_CHAN_RECV, c->obj.id, TR_OP_NONE, -1, -1,
                           file, line);
    if (err)
        return err;
    co__obj_announce(&c->obj);
    err = try_recv(c, elem);
    if (err != CO_EAGAIN)
        return err;
    return chan_park(c, &c->receivers, elem, TR_WAIT_CHAN_RECV, file, line);
}

#undef co_chan_recv
int co_chan_recv(co_chan *c, void *elem)
{
    return co_chan_recv_at(c, elem, NULL, 0);
}

/* Never waits, so never switches: usable from any task, or from the loop
 * (a libuv callback, co_post's function). */
int co_chan_try_send(co_chan *c, const void *elem)
{
    if (!c || !elem)
        return CO_EINVAL;
    co__obj_announce(&c->obj);
    return try_send(c, elem);
}

int co_chan_try_recv(co_chan *c, void *elem)
{
    if (!c || !elem)
        return CO_EINVAL;
    co__obj_announce(&c->obj);
    return try_recv(c, elem);
}

/* ---- select ---- */

#define SEL_MAX 64

typedef struct sel_wait {
    co_select_case *cases;
    size_t n;
    cwaiter *w;
    uv_timer_t *timer; /* the select's own timeout, or NULL */
} sel_wait;

static void sel_unlink(sel_wait *sw)
{
    for (size_t i = 0; i < sw->n; i++) {
        co_select_case *k = &sw->cases[i];
        if (sw->w[i].queued)
            q_unlink(k->op == CO_SELECT_SEND ? &k->chan->senders
                                             : &k->chan->receivers,
                     &sw->w[i]);
    }
}

static void sel_cancel(co_task *t, co__wait *wt, int err)
{
    sel_wait *sw = wt->ctx;
    sel_unlink(sw);
    if (sw->timer)
        uv_timer_stop(sw->timer);
    co__wake(t, co__cancel_why(err), err);
}

static void sel_timeout(uv_timer_t *h)
{
    co_task *t = h->data;
    if (t->state != CO__WAITING)
        return; /* a case fired first; the task has not run yet */
    sel_wait *sw = t->wait->ctx;
    sel_unlink(sw);
    co__wake(t, TR_WAKE_TIMER, (int)sw->n); /* "the timeout case" */
}

/* A replay's timeout comes from the log: what sel_timeout does but wake. */
static void sel_replay_timeout(co_task *t, co__wait *w, int result)
{
    (void)t;
    (void)result;
    sel_unlink(w->ctx);
}

static void sel_timer_closed(uv_handle_t *h)
{
    free(h);
}

/* The first case that can go now, done; n when none can. */
static int sel_try(co_select_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        co_select_case *k = &cases[i];
        if (!k->chan)
            continue;
        co__obj_announce(&k->chan->obj);
        int r = k->op == CO_SELECT_SEND ? try_send(k->chan, k->elem)
                                        : try_recv(k->chan, k->elem);
        if (r != CO_EAGAIN) {
            k->err = r;
            return (int)i;
        }
    }
    return (int)n;
}

static int sel_park(co_select_case *cases, size_t n, int64_t timeout_ms,
                    const char *file, int line)
{
    cwaiter w[SEL_MAX];
    sel_state st = {0};
    sel_wait sw = {.cases = cases, .n = n, .w = w};
    co_task *self = co__current();
    if (timeout_ms > 0) {
        sw.timer = malloc(sizeof *sw.timer);
        if (!sw.timer)
            return CO_ENOMEM;
        uv_timer_init(co__loop(), sw.timer);
        sw.timer->data = self;
        if (!CO__RP_PLAY()) /* a replay's log says when it fires */
            co__timer_after(sw.timer, sel_timeout, (uint64_t)timeout_ms);
    }
    for (size_t i = 0; i < n; i++) {
        w[i] = (cwaiter){.task = self, .elem = cases[i].elem, .sel = &st,
                         .index = (int)i};
        if (cases[i].chan)
            q_push(cases[i].op == CO_SELECT_SEND ? &cases[i].chan->senders
                                                 : &cases[i].chan->receivers,
                   &w[i]);
    }
    co__wait wt = {.why = TR_WAIT_SELECT, .op = TR_OP_NONE, .fd = -1,
                   .ms = timeout_ms, .file = file, .line = line,
                   .cancel = sel_cancel, .ctx = &sw,
                   .replay_wake = sel_replay_timeout};
    int r = co__park(&wt);
    if (sw.timer) {
        uv_timer_stop(sw.timer);
        uv_close((uv_handle_t *)sw.timer, sel_timer_closed);
    }
    if (r < 0 || r == (int)n)
        return r; /* cancelled / past the deadline, or the timeout */
    sel_unlink(&sw); /* the cases that did not fire */
    cases[st.index].err = st.err;
    return st.index;
}

int co_select_at(co_select_case *cases, size_t n, int64_t timeout_ms,
                 const char *file, int line)
{
    if (!cases || n == 0 || n > SEL_MAX)
        return CO_EINVAL;
    for (size_t i = 0; i < n; i++) {
        co_select_case *k = &cases[i];
        if ((k->chan && !k->elem) ||
            (k->op != CO_SELECT_SEND && k->op != CO_SELECT_RECV))
            return CO_EINVAL;
        k->err = 0;
    }
    int err = co__check_at(TR_WAIT_SELECT, 0, TR_OP_NONE, -1,
                           timeout_ms < 0 ? -1 : timeout_ms, file, line);
    if (err)
        return err;
    int i = sel_try(cases, n);
    if (i < (int)n || timeout_ms == 0)
        return i;
    return sel_park(cases, n, timeout_ms < 0 ? -1 : timeout_ms, file, line);
}

#undef co_select
int co_select(co_select_case *cases, size_t n, int64_t timeout_ms)
{
    return co_select_at(cases, n, timeout_ms, NULL, 0);
}

void co_chan_close(co_chan *c)
{
    if (!c || c->closed)
        return;
    c->closed = 1;
    cwaiter *w;
    while ((w = q_pop(&c->senders)))
        fire(w, CO_EPIPE);
    while ((w = q_pop(&c->receivers)))
        fire(w, CO_EOF);
}

void co_chan_free_at(co_chan *c, const char *file, int line)
{
    if (!c)
        return;
    cwaiter *w = (cwaiter *)(c->senders.head ? c->senders.head : c->receivers.head);
    if (w) {
        char label[320];
        co__fatal(file, line, "co_chan_free of %s, which task %llu \"%s\" "
                              "waits on",
                  co__obj_label(&c->obj, label, sizeof label),
                  (unsigned long long)w->task->id, w->task->name);
    }
    free(c->obj.name);
    free(c->buf);
    free(c);
}

#undef co_chan_free
void co_chan_free(co_chan *c)
{
    co_chan_free_at(c, NULL, 0);
}
