/* idle_thread.c: an LD_PRELOAD module that starts one thread which only
 * sleeps, set up as the trace writer sets itself up: a file table of its
 * own (so the kernel does not take a file reference on each of the loop's
 * fd calls) and never cancelled. flight.sh runs http_hello untraced with
 * it, to tell what a second thread as such still costs the loop from what
 * the recorder's own work costs. */
#include <linux/close_range.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *idle(void *arg)
{
    (void)arg;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    /* a copy of the table with every fd closed in it: an unshared copy
     * that kept them would hold the program's sockets open after it
     * closes them (a peer would wait for an EOF that never comes) */
    syscall(SYS_close_range, 0u, ~0u, CLOSE_RANGE_UNSHARE);
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
