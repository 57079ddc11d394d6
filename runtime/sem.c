/* runtime/sem.c: counting semaphores and condition variables. Both keep a
 * FIFO of waiters on the waiting tasks' stacks, like mutexes. A post hands
 * its unit straight to the oldest waiter (no barging), so a waiter's wait
 * is bounded by those before it. A condition needs no mutex here: task code
 * between two blocking calls is atomic, so `while (!ready) co_cond_wait(c)`
 * cannot miss a signal. Both announce themselves in the trace as objects
 * (`sem`, `cond`) and their waits carry the object's id. */
#include "sched_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct swaiter {
    co__qlink link; /* first: a queue's head is its waiter */
    co_task *task;
} swaiter;

typedef co__fifo squeue;

struct co_sem {
    co__obj obj;
    uint64_t count;
    squeue q;
};

struct co_cond {
    co__obj obj;
    squeue q;
};

static void sq_push(squeue *q, swaiter *w) { co__fifo_push(q, &w->link); }
static void sq_unlink(squeue *q, swaiter *w) { co__fifo_unlink(q, &w->link); }
static swaiter *sq_head(const squeue *q) { return (swaiter *)q->head; }

static swaiter *sq_pop(squeue *q)
{
    swaiter *w = sq_head(q);
    if (w)
        sq_unlink(q, w);
    return w;
}

typedef struct sq_wait {
    squeue *q;
    swaiter *w;
} sq_wait;

static void sq_cancel(co_task *t, co__wait *wt, int err)
{
    sq_wait *sw = wt->ctx;
    sq_unlink(sw->q, sw->w);
    co__wake(t, co__cancel_why(err), err);
}

static int sq_park(squeue *q, tr_wait why, uint64_t obj, const char *file,
                   int line)
{
    swaiter w = {.task = co__current()};
    sq_wait sw = {.q = q, .w = &w};
    sq_push(q, &w);
    co__wait wt = {.why = why, .obj = obj, .op = TR_OP_NONE, .fd = -1,
                   .ms = -1, .file = file, .line = line,
                   .cancel = sq_cancel, .ctx = &sw};
    return co__park(&wt);
}

static void obj_init(co__obj *o, tr_objkind kind, int64_t cap, const char *file,
                     int line)
{
    o->id = co__obj_id();
    o->kind = kind;
    o->cap = cap;
    o->file = file;
    o->line = line;
}

static void obj_rename(co__obj *o, const char *name)
{
    char *copy = strdup(name);
    if (copy) {
        free(o->name);
        o->name = copy;
        o->gen = co__trace_gen - 1; /* announced again, with the name */
        co__obj_announce(o);
    }
}

/* ---- semaphores ---- */

co_sem *co_sem_new_at(uint64_t count, const char *file, int line)
{
    co_sem *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    obj_init(&s->obj, TR_OBJ_SEM, -1, file, line);
    s->count = count;
    return s;
}

#undef co_sem_new
co_sem *co_sem_new(uint64_t count)
{
    return co_sem_new_at(count, NULL, 0);
}

co_sem *co_sem_name(co_sem *s, const char *name)
{
    if (s && name)
        obj_rename(&s->obj, name);
    return s;
}

int co_sem_wait_at(co_sem *s, const char *file, int line)
{
    if (!s)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_SEM, s->obj.id, TR_OP_NONE, -1, -1, file,
                           line);
    if (err)
        return err;
    co__obj_announce(&s->obj);
    if (s->count > 0 && !s->q.head) {
        s->count--;
        return 0;
    }
    return sq_park(&s->q, TR_WAIT_SEM, s->obj.id, file, line);
}

#undef co_sem_wait
int co_sem_wait(co_sem *s)
{
    return co_sem_wait_at(s, NULL, 0);
}

int co_sem_trywait(co_sem *s)
{
    if (!s)
        return CO_EINVAL;
    if (s->count == 0)
        return CO_EAGAIN;
    s->count--;
    return 0;
}

int co_sem_post(co_sem *s)
{
    if (!s)
        return CO_EINVAL;
    swaiter *w = sq_pop(&s->q);
    if (w) { /* the unit goes straight to the oldest waiter */
        co__wake(w->task, TR_WAKE_LOCK, 0);
        return 0;
    }
    if (s->count == UINT64_MAX)
        return CO_EINVAL;
    s->count++;
    return 0;
}

uint64_t co_sem_value(const co_sem *s)
{
    return s ? s->count : 0;
}

void co_sem_free_at(co_sem *s, const char *file, int line)
{
    if (!s)
        return;
    if (s->q.head) {
        char label[320];
        co__fatal(file, line, "co_sem_free of %s, which task %llu \"%s\" waits on",
                  co__obj_label(&s->obj, label, sizeof label),
                  (unsigned long long)sq_head(&s->q)->task->id, sq_head(&s->q)->task->name);
    }
    free(s->obj.name);
    free(s);
}

#undef co_sem_free
void co_sem_free(co_sem *s)
{
    co_sem_free_at(s, NULL, 0);
}

/* ---- condition variables ---- */

co_cond *co_cond_new_at(const char *file, int line)
{
    co_cond *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    obj_init(&c->obj, TR_OBJ_COND, -1, file, line);
    return c;
}

#undef co_cond_new
co_cond *co_cond_new(void)
{
    return co_cond_new_at(NULL, 0);
}

co_cond *co_cond_name(co_cond *c, const char *name)
{
    if (c && name)
        obj_rename(&c->obj, name);
    return c;
}

int co_cond_wait_at(co_cond *c, const char *file, int line)
{
    if (!c)
        return CO_EINVAL;
    int err = co__check_at(TR_WAIT_COND, c->obj.id, TR_OP_NONE, -1, -1, file,
                           line);
    if (err)
        return err;
    co__obj_announce(&c->obj);
    return sq_park(&c->q, TR_WAIT_COND, c->obj.id, file, line);
}

#undef co_cond_wait
int co_cond_wait(co_cond *c)
{
    return co_cond_wait_at(c, NULL, 0);
}

int co_cond_signal(co_cond *c)
{
    if (!c)
        return CO_EINVAL;
    swaiter *w = sq_pop(&c->q);
    if (w)
        co__wake(w->task, TR_WAKE_CHAN, 0);
    return w != NULL;
}

int co_cond_broadcast(co_cond *c)
{
    if (!c)
        return CO_EINVAL;
    int n = 0;
    swaiter *w;
    while ((w = sq_pop(&c->q))) {
        co__wake(w->task, TR_WAKE_CHAN, 0);
        n++;
    }
    return n;
}

void co_cond_free_at(co_cond *c, const char *file, int line)
{
    if (!c)
        return;
    if (c->q.head) {
        char label[320];
        co__fatal(file, line, "co_cond_free of %s, which task %llu \"%s\" waits on",
                  co__obj_label(&c->obj, label, sizeof label),
                  (unsigned long long)sq_head(&c->q)->task->id, sq_head(&c->q)->task->name);
    }
    free(c->obj.name);
    free(c);
}

#undef co_cond_free
void co_cond_free(co_cond *c)
{
    co_cond_free_at(c, NULL, 0);
}
