/* runtime/chan.c: channels. A ring buffer of `cap` elements plus FIFO queues
 * of waiting senders and receivers; capacity 0 is a rendezvous where the
 * element goes straight from the sender's memory to the receiver's. Waiter
 * records live on the waiting tasks' stacks for the duration of the wait. */
#include "sched_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cwaiter {
    co_task *task;
    void *elem; /* send: the element to give; recv: where to put one */
    struct cwaiter *prev, *next;
} cwaiter;

typedef struct wqueue {
    cwaiter *head, *tail;
} wqueue;

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
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
}

static void q_unlink(wqueue *q, cwaiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->prev = w->next = NULL;
}

static cwaiter *q_pop(wqueue *q)
{
    cwaiter *w = q->head;
    if (w)
        q_unlink(q, w);
    return w;
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

int co_chan_send_at(co_chan *c, const void *elem, const char *file, int line)
{
    if (!c || !elem)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_CHAN_SEND, c->obj.id, TR_OP_NONE, -1, -1,
                           file, line);
    if (err)
        return err;
    if (c->closed)
        return CO_EPIPE;
    co__obj_announce(&c->obj);
    cwaiter *r = q_pop(&c->receivers);
    if (r) { /* a receiver waits: the buffer is empty, hand it over */
        memcpy(r->elem, elem, c->esz);
        co__wake(r->task, TR_WAKE_CHAN, 0);
        return 0;
    }
    if (c->len < c->cap) {
        memcpy(slot(c, c->len), elem, c->esz);
        c->len++;
        return 0;
    }
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
    if (c->len > 0) {
        memcpy(elem, slot(c, 0), c->esz);
        c->head = (c->head + 1) % c->cap;
        c->len--;
        cwaiter *s = q_pop(&c->senders);
        if (s) { /* room now: the oldest sender's element moves in */
            memcpy(slot(c, c->len), s->elem, c->esz);
            c->len++;
            co__wake(s->task, TR_WAKE_CHAN, 0);
        }
        return 0;
    }
    cwaiter *s = q_pop(&c->senders);
    if (s) { /* rendezvous */
        memcpy(elem, s->elem, c->esz);
        co__wake(s->task, TR_WAKE_CHAN, 0);
        return 0;
    }
    if (c->closed)
        return CO_EOF;
    return chan_park(c, &c->receivers, elem, TR_WAIT_CHAN_RECV, file, line);
}

#undef co_chan_recv
int co_chan_recv(co_chan *c, void *elem)
{
    return co_chan_recv_at(c, elem, NULL, 0);
}

void co_chan_close(co_chan *c)
{
    if (!c || c->closed)
        return;
    c->closed = 1;
    cwaiter *w;
    while ((w = q_pop(&c->senders)))
        co__wake(w->task, TR_WAKE_CHAN, CO_EPIPE);
    while ((w = q_pop(&c->receivers)))
        co__wake(w->task, TR_WAKE_CHAN, CO_EOF);
}

void co_chan_free_at(co_chan *c, const char *file, int line)
{
    if (!c)
        return;
    cwaiter *w = c->senders.head ? c->senders.head : c->receivers.head;
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
