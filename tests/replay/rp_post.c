/* tests/replay/rp_post.c: hand-offs from another thread, for test_replay:
 * a thread of the program posts five numbers, with pauses, to a poster;
 * each post sends its number on a channel a task receives from, marking
 * it between its own sleeps. When the posts run relative to the task's
 * sleeps is the thread's timing: the log keeps it, and a replay runs each
 * post where the recording did, once the thread has posted it.
 * Prints `rp_post: ok` when all five came in order. */
#include <coscope/co.h>

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static co_poster *poster;
static co_chan *numbers;
static int got[5], ngot;

static void deliver(void *arg)
{
    int v = (int)(intptr_t)arg;
    co_chan_try_send(numbers, &v);
}

static void *thread_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        usleep(2000);
        co_post(poster, deliver, (void *)(intptr_t)(i + 1));
    }
    return NULL;
}

static void *receiver(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        int v;
        if (co_chan_recv(numbers, &v) != 0)
            break;
        co_mark("got %d", v);
        got[ngot++] = v;
        co_sleep(1);
    }
    return NULL;
}

static void *main_task(void *arg)
{
    (void)arg;
    numbers = co_chan_new(sizeof(int), 8);
    if (!numbers || co_poster_new(&poster) != 0)
        return NULL;
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    co_task *r = co_spawn(receiver, NULL, "receiver");
    co_join(r, NULL);
    pthread_join(th, NULL);
    co_poster_close(poster);
    co_chan_free(numbers);
    return NULL;
}

int main(void)
{
    if (co_main(main_task, NULL) != 0 || ngot != 5)
        return 1;
    for (int i = 0; i < 5; i++)
        if (got[i] != i + 1)
            return 1;
    printf("rp_post: ok\n");
    return 0;
}
