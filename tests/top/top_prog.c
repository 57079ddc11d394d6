/* top_prog.c: parks its tasks in known states for `coscope top --once`
 * (test_top.c), under COSCOPE_TRACE. holder takes the mutex "shared" and
 * sleeps; locker waits for it; receiver waits on a channel nobody sends
 * on; sleeper sleeps; then spinner makes "victim" ready and blocks the
 * loop for good (it is running, victim stays ready, main waits to join
 * it). It prints "parked" and the line of each wait (so the test knows the
 * `at` to expect) and runs until killed. */
#include <stdio.h>
#include <unistd.h>

#include "coscope/co.h"

static co_mutex *shared;
static co_chan *ch;
static volatile int held;
static int line_hold, line_lock, line_recv, line_sleep, line_join;

static void *holder(void *arg)
{
    (void)arg;
    co_mutex_lock(shared);
    held = 1;
    line_hold = __LINE__; co_sleep(100000000);
    return NULL;
}

static void *locker(void *arg)
{
    (void)arg;
    line_lock = __LINE__; co_mutex_lock(shared);
    return NULL;
}

static void *receiver(void *arg)
{
    int v;
    (void)arg;
    line_recv = __LINE__; co_chan_recv(ch, &v);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    line_sleep = __LINE__; co_sleep(100000000);
    return NULL;
}

static void *victim(void *arg)
{
    (void)arg;
    return NULL;
}

static void *spinner(void *arg)
{
    (void)arg;
    co_detach(co_spawn(victim, NULL, "victim"));
    printf("parked hold=%d lock=%d recv=%d sleep=%d join=%d\n", line_hold, line_lock,
           line_recv, line_sleep, line_join);
    fflush(stdout);
    for (;;) /* the loop never gets back: this task stays running */
        usleep(1000);
    return NULL;
}

static void *main_task(void *arg)
{
    (void)arg;
    shared = co_mutex_name(co_mutex_new(), "shared");
    ch = co_chan_new(sizeof(int), 0);
    co_detach(co_spawn(holder, NULL, "holder"));
    while (!held)
        co_yield();
    co_detach(co_spawn(locker, NULL, "locker"));
    co_detach(co_spawn(receiver, NULL, "receiver"));
    co_detach(co_spawn(sleeper, NULL, "sleeper"));
    co_sleep(20); /* each of them runs once and parks */
    line_join = __LINE__ + 1;
    co_join(co_spawn(spinner, NULL, "spinner"), NULL);
    return NULL;
}

int main(void) { return co_main(main_task, NULL) == 0 ? 0 : 1; }
