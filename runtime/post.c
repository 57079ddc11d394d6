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
    size_t queued;          /* under mu: nodes in the queue */
    pthread_cond_t posted;  /* a replay waits here for a post */
    unsigned seq;           /* creation order in this co_main (replay) */
    co_poster *prev, *next; /* open posters (loop thread) */
};

static co_poster *open_posters;
static unsigned next_seq;

/* Runs fn as the loop does: outside any task. Its wake-ups follow from the
 * post, which the log records as a whole. */
static void run_one(post_node *n)
{
    co_task *self = RT->current;
    RT->current = NULL;
    co__rp_quiet++;
    n->fn(n->arg);
    co__rp_quiet--;
    RT->current = self;
    free(n);
}

/* Runs the queue taken under the lock, oldest first; recording, each run
 * is logged. */
static void run_all(co_poster *p, post_node *n)
{
    while (n) {
        post_node *next = n->next;
        if (CO__RP_REC())
            co__rp_log_post(p->seq);
        run_one(n);
        n = next;
    }
}

static post_node *take(co_poster *p)
{
    pthread_mutex_lock(&p->mu);
    post_node *n = p->head;
    p->head = p->tail = NULL;
    p->queued = 0;
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* Replay: the oldest post of p, waiting (at most 60 s: a program whose
 * threads do not post what they did is not the recorded one) for it. */
static post_node *take_one(co_poster *p)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&p->mu);
    while (!p->head)
        if (pthread_cond_timedwait(&p->posted, &p->mu, &until) != 0)
            break;
    post_node *n = p->head;
    if (n) {
        p->head = n->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
    }
    pthread_mutex_unlock(&p->mu);
    if (!n)
        co__rp_diverged("no thread posted to poster %u what the recording "
                        "runs next (waited 60 s)", p->seq);
    return n;
}

void co__post_run_next(unsigned poster)
{
    co_poster *p = open_posters;
    while (p && p->seq != poster)
        p = p->next;
    if (!p)
        co__rp_diverged("the recording runs a post of poster %u, which is not "
                        "open", poster);
    run_one(take_one(p));
}

static void on_async(uv_async_t *h)
{
    run_all(h->data, take(h->data));
}

int co_poster_new(co_poster **out)
{
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
    pthread_cond_init(&p->posted, NULL);
    p->seq = next_seq++;
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
    p->queued++;
    pthread_cond_signal(&p->posted);
    pthread_mutex_unlock(&p->mu);
    return uv_async_send(&p->async);
}

static void poster_closed(uv_handle_t *h)
{
    co_poster *p = h->data;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->posted);
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
    /* What was posted before the close still runs, as it would have on
     * the loop: outside any task (a blocking call there is fatal). How
     * much that is, is the other threads' timing: logged, and a replay
     * runs that many once they are posted. */
    if (CO__RP_PLAY()) {
        co__rp_val v;
        co__rp_take("co_poster_close", &v);
        for (int64_t i = 0; i < v.res; i++)
            run_one(take_one(p));
    }
    pthread_mutex_lock(&p->mu);
    p->closed = 1;
    post_node *n = p->head;
    size_t count = p->queued;
    p->head = p->tail = NULL;
    p->queued = 0;
    pthread_mutex_unlock(&p->mu);
    if (CO__RP_PLAY()) { /* beyond the recording's: dropped */
        while (n) {
            post_node *next = n->next;
            free(n);
            n = next;
        }
    } else {
        co__rp_out(CO__RP_SILENT, (int64_t)count, -1, NULL, 0);
        while (n) {
            post_node *next = n->next;
            run_one(n);
            n = next;
        }
    }
    uv_close((uv_handle_t *)&p->async, poster_closed);
    return 0;
}

int co__posters_wait(void)
{
    if (!open_posters)
        return 0;
    if (CO__RP_PLAY()) { /* the recording's next stretch of the loop */
        co__rp_run();
        return 1;
    }
    for (co_poster *p = open_posters; p; p = p->next)
        uv_ref((uv_handle_t *)&p->async);
    co__rp_loop = 1;
    uv_run(co__loop(), UV_RUN_ONCE); /* until something is posted */
    co__rp_loop = 0;
    if (CO__RP_REC())
        co__rp_log_run_end();
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
