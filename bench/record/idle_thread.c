/* idle_thread.c: an LD_PRELOAD module that starts one thread which only
 * sleeps. flight.sh runs http_hello untraced with it, to tell what any
 * second thread costs the loop (the trace writer is one) from what the
 * recorder's own work costs: glibc wraps each cancellation point in more
 * work once a process has two threads. */
#include <pthread.h>
#include <unistd.h>

static void *idle(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

__attribute__((constructor)) static void start_idle(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, idle, NULL) == 0)
        pthread_detach(t);
}
