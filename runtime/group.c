/* runtime/group.c: task groups, structured concurrency. A group owns the
 * tasks spawned into it (their structs are freed as they end) and
 * co_group_wait returns when the last has ended. Cancellation goes down the
 * tree: cancelling a group cancels its children, and a task cancelled (or
 * past its deadline) while it waits for its group cancels the children and
 * still waits for them, under a shield, before it returns the error; so no
 * child outlives the scope that made it, whatever ends that scope. */
#include "sched_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct co_group {
    co__obj obj;
    co_task *head;     /* live children */
    size_t n;
    int cancelled;     /* later spawns start cancelled */
    co_task *waiter;   /* the task in co_group_wait */
};

co_group *co_group_new_at(const char *file, int line)
{
    co_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->obj.id = co__obj_id();
    g->obj.kind = TR_OBJ_GROUP;
    g->obj.cap = -1;
    g->obj.file = file;
    g->obj.line = line;
    return g;
}

#undef co_group_new
co_group *co_group_new(void)
{
    return co_group_new_at(NULL, 0);
}

co_group *co_group_name(co_group *g, const char *name)
{
    if (!g || !name)
        return g;
    char *copy = strdup(name);
    if (copy) {
        free(g->obj.name);
        g->obj.name = copy;
        g->obj.gen = co__trace_gen - 1;
        co__obj_announce(&g->obj);
    }
    return g;
}

co_task *co_group_spawn_at(co_group *g, co_fn fn, void *arg, const char *name,
                           const char *file, int line)
{
    if (!g || !fn || !co__loop())
        return NULL;
    co__obj_announce(&g->obj);
    uint32_t stack = 0; /* the spawner's caller chain, when traced */
    CO__TRACE(stack = co__trace_stack(co__current(), __builtin_frame_address(0)));
    co_task *t = co__spawn(fn, arg, name, file, line, stack);
    if (!t)
        return NULL;
    t->detached = 1; /* the group owns it: freed when it ends */
    t->group = g;
    t->group_prev = NULL;
    t->group_next = g->head;
    if (g->head)
        g->head->group_prev = t;
    g->head = t;
    g->n++;
    if (g->cancelled)
        co_cancel(t);
    return t;
}

#undef co_group_spawn
co_task *co_group_spawn(co_group *g, co_fn fn, void *arg, const char *name)
{
    return co_group_spawn_at(g, fn, arg, name, NULL, 0);
}

void co__group_child_done(co_task *t)
{
    co_group *g = t->group;
    if (t->group_prev)
        t->group_prev->group_next = t->group_next;
    else
        g->head = t->group_next;
    if (t->group_next)
        t->group_next->group_prev = t->group_prev;
    t->group = NULL;
    t->group_prev = t->group_next = NULL;
    if (--g->n == 0 && g->waiter) {
        co_task *w = g->waiter;
        g->waiter = NULL;
        co__wake(w, TR_WAKE_JOIN, 0);
    }
}

int co_group_cancel(co_group *g)
{
    if (!g)
        return CO_EINVAL;
    g->cancelled = 1;
    for (co_task *t = g->head, *next; t; t = next) {
        next = t->group_next; /* cancelling never frees it here */
        co_cancel(t);
    }
    return 0;
}

static void group_wait_cancel(co_task *t, co__wait *w, int err)
{
    co_group *g = w->ctx;
    g->waiter = NULL;
    co__wake(t, co__cancel_why(err), err);
}

static int group_park(co_group *g, const char *file, int line)
{
    co_task *self = co__current();
    g->waiter = self;
    co__wait w = {.why = TR_WAIT_GROUP, .obj = g->obj.id, .op = TR_OP_NONE,
                  .fd = -1, .ms = -1, .file = file, .line = line,
                  .cancel = group_wait_cancel, .ctx = g};
    return co__park(&w);
}

int co_group_wait_at(co_group *g, const char *file, int line)
{
    if (!g)
        return CO_EINVAL;
    co_task *self = co__current();
    if (self && self->group == g)
        co__fatal(file, line, "co_group_wait on its own group");
    if (self && g->waiter)
        co__fatal(file, line, "co_group_wait on a group task %llu \"%s\" "
                              "waits on already",
                  (unsigned long long)g->waiter->id, g->waiter->name);
    int err = co__check_at(TR_WAIT_GROUP, g->obj.id, TR_OP_NONE, -1, -1, file,
                           line);
    if (err == 0 && g->n > 0)
        err = group_park(g, file, line);
    if (err == 0 || err == CO_EDEADLK || g->n == 0)
        return err;
    /* Cancelled or past the deadline: the children go too, and the scope
     * ends only once they have. */
    co_group_cancel(g);
    self->shield++; /* later cancels must not cut this wait short */
    while (g->n > 0) /* a deadline firing meanwhile wakes it: wait on */
        if (group_park(g, file, line) == CO_EDEADLK)
            break;
    self->shield--;
    return err;
}

#undef co_group_wait
int co_group_wait(co_group *g)
{
    return co_group_wait_at(g, NULL, 0);
}

size_t co_group_size(const co_group *g)
{
    return g ? g->n : 0;
}

void co_group_free_at(co_group *g, const char *file, int line)
{
    if (!g)
        return;
    if (g->n) {
        char label[320];
        co__fatal(file, line, "co_group_free of %s, which still has %zu "
                              "task%s (the first: task %llu \"%s\")",
                  co__obj_label(&g->obj, label, sizeof label), g->n,
                  g->n == 1 ? "" : "s", (unsigned long long)g->head->id,
                  g->head->name);
    }
    free(g->obj.name);
    free(g);
}

#undef co_group_free
void co_group_free(co_group *g)
{
    co_group_free_at(g, NULL, 0);
}
