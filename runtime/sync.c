/* runtime/sync.c: mutexes with FIFO hand-off. Unlock gives the lock straight
 * to the oldest waiter (no barging), so a waiter's wait is bounded by the
 * holders before it. Every take and give is traced (acquire/release): the
 * analyser needs the holder to draw the wait-for graph. */
#include "sched_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mwaiter {
    co_task *task;
    struct co_mutex *m;
    struct mwaiter *prev, *next;
} mwaiter;

struct co_mutex {
    co__obj obj;
    co_task *owner;
    mwaiter *head, *tail;
};

co_mutex *co_mutex_new_at(const char *file, int line)
{
    co_mutex *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->obj.id = co__obj_id();
    m->obj.kind = TR_OBJ_MUTEX;
    m->obj.cap = -1;
    m->obj.file = file;
    m->obj.line = line;
    /* Announced at its first traced use or naming, so a name given right
     * after creation is in the one `obj` line. */
    return m;
}

#undef co_mutex_new
co_mutex *co_mutex_new(void)
{
    return co_mutex_new_at(NULL, 0);
}

co_mutex *co_mutex_name(co_mutex *m, const char *name)
{
    if (!m || !name)
        return m;
    char *copy = strdup(name);
    if (copy) {
        free(m->obj.name);
        m->obj.name = copy;
        /* A rename after the first announcement is announced again: readers
         * take the last `obj` line of an id. */
        m->obj.gen = co__trace_gen - 1;
        co__obj_announce(&m->obj);
    }
    return m;
}

static void unlink_waiter(co_mutex *m, mwaiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        m->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        m->tail = w->prev;
    w->prev = w->next = NULL;
}

static void lock_cancel(co_task *t, co__wait *wt, int err)
{
    mwaiter *w = wt->ctx;
    unlink_waiter(w->m, w);
    co__wake(t, co__cancel_why(err), err);
}

int co_mutex_lock_at(co_mutex *m, const char *file, int line)
{
    co_task *self = co__current();
    if (!m)
        return CO_EINVAL;
    if (self && m->owner == self) { /* it would wait on itself forever */
        char label[320];
        co__fatal(file, line, "co_mutex_lock of %s, which it already holds",
                  co__obj_label(&m->obj, label, sizeof label));
    }
    int err = co__check_at(TR_WAIT_LOCK, m->obj.id, TR_OP_NONE, -1, -1, file,
                           line);
    if (err)
        return err;
    co__obj_announce(&m->obj);
    if (!m->owner) {
        m->owner = self;
        CO__TRACE(tr_rec_acquire(self->id, m->obj.id));
        return 0;
    }
    mwaiter w = {.task = self, .m = m, .prev = m->tail, .next = NULL};
    if (m->tail)
        m->tail->next = &w;
    else
        m->head = &w;
    m->tail = &w;
    co__wait wt = {.why = TR_WAIT_LOCK, .obj = m->obj.id, .op = TR_OP_NONE,
                   .fd = -1, .ms = -1, .file = file, .line = line,
                   .cancel = lock_cancel, .ctx = &w};
    err = co__park(&wt);
    assert(err != 0 || m->owner == self);
    return err;
}

int co_mutex_trylock(co_mutex *m)
{
    co_task *self = co__current();
    if (!m || !self || m->owner == self)
        return CO_EINVAL;
    if (m->owner)
        return CO_EBUSY;
    co__obj_announce(&m->obj);
    m->owner = self;
    CO__TRACE(tr_rec_acquire(self->id, m->obj.id));
    return 0;
}

#undef co_mutex_lock
int co_mutex_lock(co_mutex *m)
{
    return co_mutex_lock_at(m, NULL, 0);
}

/* Who holds m, for the misuse message. */
static const char *holder(const co_mutex *m, char *buf, size_t n)
{
    if (!m->owner)
        return "nobody holds it";
    snprintf(buf, n, "held by task %llu \"%s\"",
             (unsigned long long)m->owner->id, m->owner->name);
    return buf;
}

void co_mutex_unlock_at(co_mutex *m, const char *file, int line)
{
    co_task *self = co__current();
    if (!m)
        co__fatal(file, line, "co_mutex_unlock of NULL");
    if (m->owner != self || !self) {
        char label[320], who[320];
        co__fatal(file, line, "co_mutex_unlock of %s, which %s (%s)",
                  co__obj_label(&m->obj, label, sizeof label),
                  self ? "it does not hold" : "was called outside a task",
                  holder(m, who, sizeof who));
    }
    CO__TRACE(tr_rec_release(self->id, m->obj.id));
    mwaiter *w = m->head;
    if (!w) {
        m->owner = NULL;
        return;
    }
    unlink_waiter(m, w);
    m->owner = w->task;
    CO__TRACE(tr_rec_acquire(w->task->id, m->obj.id));
    co__wake(w->task, TR_WAKE_LOCK, 0);
}

#undef co_mutex_unlock
void co_mutex_unlock(co_mutex *m)
{
    co_mutex_unlock_at(m, NULL, 0);
}

void co_mutex_free_at(co_mutex *m, const char *file, int line)
{
    if (!m)
        return;
    if (m->head) {
        char label[320];
        co__fatal(file, line, "co_mutex_free of %s, which task %llu \"%s\" "
                              "waits on",
                  co__obj_label(&m->obj, label, sizeof label),
                  (unsigned long long)m->head->task->id, m->head->task->name);
    }
    free(m->obj.name);
    free(m);
}

#undef co_mutex_free
void co_mutex_free(co_mutex *m)
{
    co_mutex_free_at(m, NULL, 0);
}
