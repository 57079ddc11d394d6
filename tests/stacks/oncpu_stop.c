/* oncpu_stop.c: three run slices of about the same wall time that are not
 * the same thing. "stopped": the task sleeps in a blocking read() while a
 * forked child stops the whole process for 50 ms (SIGSTOP ... SIGCONT);
 * the stop lands inside the slice because the child only acts once the
 * task has written to it, and the task only goes on once the child has
 * continued it. "busy": 40 ms of the thread's own CPU time. "asleep": a
 * 40 ms usleep() on the loop thread. Only the last two block the loop.
 * Traced through COSCOPE_TRACE. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coscope/co.h"

static int reached;

static void *stopped(void *arg)
{
    (void)arg;
    int go[2], back[2];
    if (pipe(go) != 0 || pipe(back) != 0)
        return NULL;
    pid_t parent = getpid(), child = fork();
    if (child == 0) {
        char b;
        if (read(go[0], &b, 1) != 1)
            _exit(1);
        kill(parent, SIGSTOP);
        struct timespec d = {0, 50 * 1000 * 1000};
        nanosleep(&d, NULL);
        kill(parent, SIGCONT);
        _exit(write(back[1], "c", 1) == 1 ? 0 : 1);
    }
    char b = 'g';
    if (child < 0 || write(go[1], &b, 1) != 1 || read(back[0], &b, 1) != 1)
        return NULL;
    int st = 0;
    waitpid(child, &st, 0);
    reached += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    close(go[0]), close(go[1]), close(back[0]), close(back[1]);
    co_yield(); /* the slice ends here */
    return NULL;
}

static int64_t cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void *busy(void *arg)
{
    (void)arg;
    int64_t until = cpu_ns() + 40 * 1000000LL;
    volatile unsigned sink = 0;
    while (cpu_ns() < until)
        for (int k = 0; k < 1000; k++)
            sink += (unsigned)k;
    (void)sink;
    reached++;
    co_yield();
    return NULL;
}

static void *asleep(void *arg)
{
    (void)arg;
    usleep(40 * 1000); /* the mistake: a blocking call on the loop */
    reached++;
    co_yield();
    return NULL;
}

static void *main_task(void *arg)
{
    (void)arg;
    co_join(co_spawn(stopped, NULL, "stopped"), NULL);
    co_join(co_spawn(busy, NULL, "busy"), NULL);
    co_join(co_spawn(asleep, NULL, "asleep"), NULL);
    return NULL;
}

int main(void)
{
    int rc = co_main(main_task, NULL);
    printf("reached %d\n", reached);
    return rc == 0 && reached == 3 ? 0 : 1;
}
