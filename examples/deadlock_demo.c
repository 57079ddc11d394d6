/* examples/deadlock_demo.c: three tasks in a wait-for cycle. A joins B, B
 * waits for a mutex that C holds, C joins A: nothing can ever wake any of
 * them, so co_main reports each on stderr and returns CO_EDEADLK. Its trace
 * ends with the three stuck, which is what the analyser's deadlock finder
 * is tested on. */
#include <coscope/co.h>

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: deadlock_demo\n"
    "\n"
    "Builds a deadlock on purpose: task A joins B, B locks the mutex\n"
    "\"resource\" that C holds, C joins A. The runtime names the three stuck\n"
    "tasks on stderr; the program then exits 1. Try\n"
    "  COSCOPE_TRACE=deadlock.jsonl deadlock_demo; coscope stalls "
    "deadlock.jsonl\n";

static co_task *task_a, *task_b;
static co_mutex *resource;

static void *a_fn(void *arg)
{
    (void)arg;
    co_join(task_b, NULL); /* B never ends */
    return NULL;
}

static void *b_fn(void *arg)
{
    (void)arg;
    co_sleep(10); /* let C take the mutex first */
    if (co_mutex_lock(resource) == 0)
        co_mutex_unlock(resource);
    return NULL;
}

static void *c_fn(void *arg)
{
    (void)arg;
    co_mutex_lock(resource);
    co_mark("C holds \"resource\" and joins A");
    co_join(task_a, NULL); /* A waits for B, which waits for us */
    co_mutex_unlock(resource);
    return NULL;
}

static void *main_task(void *arg)
{
    (void)arg;
    resource = co_mutex_name(co_mutex_new(), "resource");
    task_a = co_spawn(a_fn, NULL, "A");
    task_b = co_spawn(b_fn, NULL, "B");
    co_task *c = co_spawn(c_fn, NULL, "C");
    if (!resource || !task_a || !task_b || !c) {
        fprintf(stderr, "deadlock_demo: out of memory\n");
        return NULL;
    }
    co_detach(c); /* nobody joins C; main leaves the three to their fate */
    co_mark("A joins B, B locks resource (held by C), C joins A");
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        fprintf(stderr, "deadlock_demo: unknown option %s\n%s", argv[1], usage);
        return 2;
    }
    int err = co_main(main_task, NULL);
    co_mutex_free(resource);
    if (err == CO_EDEADLK) {
        fprintf(stderr, "deadlock_demo: co_main returned CO_EDEADLK: A joins "
                        "B, B waits for \"resource\" held by C, C joins A\n");
        return 1;
    }
    fprintf(stderr, "deadlock_demo: expected a deadlock, co_main returned %d\n",
            err);
    return 2;
}
