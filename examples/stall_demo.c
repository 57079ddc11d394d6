/* examples/stall_demo.c: a short run (~0.3 s) that stalls on purpose, in
 * each way `coscope stalls` knows: a task busy-looping 60 ms on the loop
 * (blocked loop), tasks made ready just before it and so starved for those
 * 60 ms (scheduling latency), and a mutex held across a 120 ms sleep (long
 * lock waits). A heartbeat task ticks every 10 ms to make the gap visible. */
#include "ex_util.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: stall_demo\n"
    "\n"
    "Runs for about 0.3 s and stalls on purpose: a 60 ms busy loop on the\n"
    "event loop, three tasks starved by it, and two tasks waiting ~120 ms\n"
    "for a mutex held across a sleep. Record and analyse it with\n"
    "  COSCOPE_TRACE=stall.jsonl stall_demo && coscope stalls stall.jsonl\n";

#define BUSY_MS 60
#define HOLD_MS 120

static co_mutex *config;
static co_chan *requests;

static void *holder_task(void *arg)
{
    (void)arg;
    co_mutex_lock(config);
    co_mark("holding \"config\" across a %d ms sleep", HOLD_MS);
    co_sleep(HOLD_MS); /* the mistake: sleeping with the lock held */
    co_mutex_unlock(config);
    return NULL;
}

static void *waiter_task(void *arg)
{
    (void)arg;
    co_sleep(5);
    co_mutex_lock(config); /* waits for the holder */
    co_sleep(10);
    co_mutex_unlock(config);
    return NULL;
}

static void *starved_task(void *arg)
{
    (void)arg;
    co_mark("finally running");
    return NULL;
}

static void *handler_task(void *arg)
{
    int req;
    (void)arg;
    while (co_chan_recv(requests, &req) == 0)
        co_mark("handling request %d", req);
    return NULL;
}

static void *busy_task(void *arg)
{
    int req = 1;
    (void)arg;
    co_sleep(30);
    /* Wake the handler and spawn two tasks: all three are ready now, and
     * none can run until this task gives the loop back. */
    co_chan_send(requests, &req);
    co_detach(co_spawn(starved_task, NULL, "starved 1"));
    co_detach(co_spawn(starved_task, NULL, "starved 2"));
    co_mark("busy-looping %d ms on the loop thread", BUSY_MS);
    ex_busy_ms(BUSY_MS);
    co_chan_close(requests);
    return NULL;
}

static void *heartbeat_task(void *arg)
{
    (void)arg;
    uint64_t last = ex_now_ns();
    for (int i = 0; i < 25; i++) {
        co_sleep(10);
        uint64_t now = ex_now_ns();
        if (now - last > 30 * 1000000ull)
            co_mark("heartbeat late: %llu ms since the last",
                    (unsigned long long)((now - last) / 1000000));
        last = now;
    }
    return NULL;
}

static void *main_task(void *arg)
{
    (void)arg;
    config = co_mutex_name(co_mutex_new(), "config");
    requests = co_chan_name(co_chan_new(sizeof(int), 4), "requests");
    if (!config || !requests) {
        fprintf(stderr, "stall_demo: out of memory\n");
        return NULL;
    }
    co_task *tasks[6] = {
        co_spawn(heartbeat_task, NULL, "heartbeat"),
        co_spawn(holder_task, NULL, "holder"),
        co_spawn(waiter_task, NULL, "waiter 1"),
        co_spawn(waiter_task, NULL, "waiter 2"),
        co_spawn(handler_task, NULL, "handler"),
        co_spawn(busy_task, NULL, "busy"),
    };
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        if (tasks[i])
            co_join(tasks[i], NULL);
    co_mutex_free(config);
    co_chan_free(requests);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        fprintf(stderr, "stall_demo: unknown option %s\n%s", argv[1], usage);
        return 2;
    }
    uint64_t t0 = ex_now_ns();
    int err = co_main(main_task, NULL);
    if (err) {
        fprintf(stderr, "stall_demo: %s\n", co_strerror(err));
        return 1;
    }
    printf("stall_demo: done in %llu ms (busy loop %d ms, lock held %d ms)\n",
           (unsigned long long)((ex_now_ns() - t0) / 1000000), BUSY_MS,
           HOLD_MS);
    return 0;
}
