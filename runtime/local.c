/* runtime/local.c: task-local storage. Values are keyed by an address the
 * program owns (a static variable's), so two libraries never collide and
 * no key registry is needed; each task keeps a short list, looked up
 * linearly (a task holds a handful). A value's destructor runs when its
 * task ends, on the task's stack, before its exit is traced. */
#include "sched_int.h"

#include <stdlib.h>

typedef struct co__local {
    const void *key;
    void *value;
    void (*dtor)(void *value);
    struct co__local *next;
} co__local;

static co__local *find(co_task *t, const void *key)
{
    for (co__local *l = t->locals; l; l = l->next)
        if (l->key == key)
            return l;
    return NULL;
}

int co_local_set(const void *key, void *value, void (*dtor)(void *value))
{
    co_task *t = co__current();
    if (!t || !key)
        return CO_EINVAL;
    co__local *l = find(t, key);
    if (!l) {
        l = malloc(sizeof *l);
        if (!l)
            return CO_ENOMEM;
        l->key = key;
        l->next = t->locals;
        t->locals = l;
    }
    l->value = value;
    l->dtor = dtor;
    return 0;
}

void *co_local_get(const void *key)
{
    co_task *t = co__current();
    co__local *l = t && key ? find(t, key) : NULL;
    return l ? l->value : NULL;
}

void co__locals_free(co_task *t, int run_dtors)
{
    /* A destructor may set values again: take the list first, repeat. */
    while (t->locals) {
        co__local *l = t->locals;
        t->locals = NULL;
        while (l) {
            co__local *next = l->next;
            if (run_dtors && l->dtor)
                l->dtor(l->value);
            free(l);
            l = next;
        }
    }
}
