/* runtime/post.c: hand-offs from other threads. A poster is a uv_async_t
 * with a locked FIFO of (fn, arg): any thread appends and signals, and the
 * loop, in the async callback, takes the whole queue (uv_async_send
 * coalesces) and runs each fn on the loop thread, outside any task. Open
 * posters do not keep the loop running by themselves (co_main must still
 * end when its tasks have), but when the loop runs dry with tasks left and
 * a poster open, co_main waits for a post instead of giving the deadlock
 * verdict: those tasks may be waiting for what a foreign thread sends. */
#include "sched_int.h"
#include "replay_int.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct post_node {
    void (*fn)(void *arg);
    void *arg;
    struct post_node *next;
} post_node;

struct co_poster {
    uv_async_t async;
    pthread_mutex_t mu;
    post_node *head, *tail; /* under mu */
    int closed;             /* under mu */
    co_poster *prev, *next; /* open posters (loop thread) */
};

static co_poster *open_posters;

/* Runs the queue taken under the lock, oldest first. */
static void run_all(post_node *n)
{
    while (n) {
        post_node *next = n->next;
        n->fn(n->arg);
        free(n);
        n = next;
    }
}

static post_node *take(co_poster *p)
{
    pthread_mutex_lock(&p->mu);
    post_node *n = p->head;
    p->head = p->tail = NULL;
    pthread_mutex_unlock(&p->mu);
    return n;
}

static void on_async(uv_async_t *h)
{
    run_all(take(h->data));
}

int co_poster_new(co_poster **out)
{
    co__rp_check_supported("co_poster_new");
    uv_loop_t *loop = co__loop();
    if (!out || !loop)
        return CO_EINVAL;
    co_poster *p = calloc(1, sizeof *p);
    if (!p)
        return CO_ENOMEM;
    int err = uv_async_init(loop, &p->async, on_async);
    if (err) {
        free(p);
        return err;
    }
    pthread_mutex_init(&p->mu, NULL);
    p->async.data = p;
    uv_unref((uv_handle_t *)&p->async);
    p->next = open_posters;
    if (open_posters)
        open_posters->prev = p;
    open_posters = p;
    *out = p;
    return 0;
}

int co_post(co_poster *p, void (*fn)(void *arg), void *arg)
{
    if (!p || !fn)
        return CO_EINVAL;
    post_node *n = malloc(sizeof *n);
    if (!n)
        return CO_ENOMEM;
    *n = (post_node){fn, arg, NULL};
    pthread_mutex_lock(&p->mu);
    if (p->closed) {
        pthread_mutex_unlock(&p->mu);
        free(n);
        return CO_EPIPE;
    }
    if (p->tail)
        p->tail->next = n;
    else
        p->head = n;
    p->tail = n;
    pthread_mutex_unlock(&p->mu);
    return uv_async_send(&p->async);
}

static void poster_closed(uv_handle_t *h)
{
    co_poster *p = h->data;
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int co_poster_close(co_poster *p)
{
    if (!p || !co__loop())
        return CO_EINVAL;
    if (p->prev)
        p->prev->next = p->next;
    else
        open_posters = p->next;
    if (p->next)
        p->next->prev = p->prev;
    pthread_mutex_lock(&p->mu);
    p->closed = 1;
    post_node *n = p->head;
    p->head = p->tail = NULL;
    pthread_mutex_unlock(&p->mu);
    /* What was posted before the close still runs, as it would have on
     * the loop: outside any task (a blocking call there is fatal). */
    co_task *self = RT->current;
    RT->current = NULL;
    run_all(n);
    RT->current = self;
    uv_close((uv_handle_t *)&p->async, poster_closed);
    return 0;
}

int co__posters_wait(void)
{
    if (!open_posters)
        return 0;
    for (co_poster *p = open_posters; p; p = p->next)
        uv_ref((uv_handle_t *)&p->async);
    uv_run(co__loop(), UV_RUN_ONCE); /* until something is posted */
    for (co_poster *p = open_posters; p; p = p->next)
        uv_unref((uv_handle_t *)&p->async);
    return 1;
}

void co__posters_close_all(void)
{
    while (open_posters) {
        co_poster *p = open_posters;
        open_posters = p->next;
        p->prev = p->next = NULL;
        pthread_mutex_lock(&p->mu);
        p->closed = 1;
        post_node *n = p->head;
        p->head = p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        while (n) { /* no task is left to take what they would do */
            post_node *next = n->next;
            free(n);
            n = next;
        }
        uv_close((uv_handle_t *)&p->async, poster_closed);
    }
}
