/* live.c: the view of a trace that grows (coscope view --follow). A poll of
 * the tr_follow refills the same tr_trace, so before it the state notes
 * what its indexes point at (vw__keep), and after it the analysis and the
 * model are rebuilt and vw__retrace rebuilds what the state derived from
 * the old ones. Live mode holds the playhead at the end. Polls are paced by
 * their own cost (a refresh is O(events) plus the analysis): every 250 ms,
 * or 4x the last refresh when that is longer, so a big trace being written
 * costs at most a fifth of a core. In a window the reading, rebuilding and
 * analysis run on a worker thread (vw__follow_start) while the frame shows
 * the trace it has; the swap and the retrace are the window's (finish).
 * No SDL here: the tests drive it. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vw_int.h"

int64_t vw__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void vw__keep(const vw_state *st, const vw_model *m, vw_keep *k)
{
    memset(k, 0, sizeof *k);
    k->ntasks = m->ntasks;
    k->duration = st->duration;
    size_t ns = tr_nspans(m->tr);
    if (st->sel_span >= 0 && (size_t)st->sel_span < ns) {
        const tr_span *sp = &tr_spans(m->tr)[st->sel_span];
        k->has_span = 1;
        k->span_task = tr_span_task(m->tr, sp);
        k->span_t0 = sp->t0;
    }
    if (st->sel_stall >= 0 && (size_t)st->sel_stall < tr_nstalls(m->tr)) {
        const tr_stall *s = &tr_stalls(m->tr)[st->sel_stall];
        k->has_stall = 1;
        k->stall_task = s->task;
        k->stall_kind = s->kind;
        k->stall_t = s->t;
    }
}

/* The stall of k found again (same task, kind and start), or -1. */
static long find_stall(const vw_model *m, const vw_keep *k)
{
    const tr_stall *s = tr_stalls(m->tr);
    for (size_t i = 0; k->has_stall && i < tr_nstalls(m->tr); i++)
        if (s[i].task == k->stall_task && s[i].kind == k->stall_kind && s[i].t == k->stall_t)
            return (long)i;
    return -1;
}

/* The window after the trace grew from k->duration: one that showed the
 * whole trace grows with it; live, one that showed the end follows it. */
static void follow_window(vw_state *st, const vw_keep *k)
{
    int64_t grown = vw__sub(st->duration, k->duration);
    if (grown <= 0)
        return;
    if (st->t0 <= 0 && st->t1 >= k->duration) {
        if (st->duration > st->t1)
            vw__set_window(st, st->t0 > 0 ? st->t0 : 0, st->duration);
    } else if (st->live && k->duration >= st->t0 && k->duration <= st->t1) {
        vw__set_window(st, vw__add(st->t0, grown), vw__add(st->t1, grown));
    }
}

int vw__retrace(vw_state *st, const vw_model *m, const vw_keep *k)
{
    uint8_t *c = realloc(st->collapsed, m->ntasks + 1);
    if (!c)
        return -1;
    st->collapsed = c;
    if (m->ntasks > k->ntasks) /* tasks only ever come after the known ones */
        memset(c + k->ntasks, 0, m->ntasks - k->ntasks + 1);
    st->duration = m->duration;
    /* sized by the model's tasks and pool threads: allocated again */
    free(st->lanes);
    free(st->lane_of);
    st->lanes = NULL;
    st->lane_of = NULL;
    st->nlanes = 0;
    if (vw__lanes_refresh(st, m) != 0)
        return -1;
    st->ov_cols = 0; /* the busy columns follow the trace's length */
    if (vw__overview_refresh(st, m) != 0)
        return -1;
    follow_window(st, k);
    vw__set_playhead(st, m, st->live ? st->duration : st->playhead);
    long span = -1;
    if (k->has_span) {
        size_t s = tr_span_find(m->tr, k->span_task, k->span_t0);
        span = s == SIZE_MAX ? -1 : (long)s;
    }
    st->wakes_task = 0; /* the wake-up indexes moved: look them up again */
    vw__select(st, m, st->sel_task, span);
    st->sel_stall = find_stall(m, k);
    st->sel_cause = -1;
    if (st->has_range && st->range_ready)
        vw__range_done(st, m);
    if (st->scroll > 0 && (size_t)st->scroll >= st->nlanes)
        st->scroll = st->nlanes ? (int)st->nlanes - 1 : 0;
    st->dirty = 1;
    return 0;
}

void vw__live(vw_state *st, const vw_model *m, int on)
{
    st->live = on;
    if (on) {
        st->playing = 0;
        vw__set_playhead(st, m, st->duration);
        vw__reveal(st, st->duration);
    }
    snprintf(st->status, sizeof st->status, "%s",
             on ? "live: the playhead follows the end (l: stop)"
                : "live off: the playhead stays (l: live again)");
    st->dirty = 1;
}

/* One fetch and what it needs before the swap: the grown trace analysed
 * and its model built, aside, so that it can run on a worker thread while
 * the window draws the trace it has (tr_follow_fetch leaves that alone). */
struct vw__fetch {
    pthread_t thr;
    tr_follow *f;
    long rc;       /* tr_follow_fetch's */
    int model_rc;  /* 0 or -ENOMEM: the analysis or the model failed */
    vw_model m;    /* over tr_follow_next, when have_m */
    int have_m;
    int64_t t0;
    char msg[256]; /* tr_last_error() is per thread: the fetch's, kept */
    atomic_int done;
    int threaded;
};

static void fetch_run(struct vw__fetch *j)
{
    j->rc = tr_follow_fetch(j->f);
    if (j->rc < 0)
        snprintf(j->msg, sizeof j->msg, "%s", tr_last_error());
    tr_trace *next = tr_follow_next(j->f);
    if (next) {
        if (tr_analyze(next, NULL) != 0 || vw__model_init(&j->m, next) != 0)
            j->model_rc = -ENOMEM;
        else
            j->have_m = 1;
    }
    atomic_store(&j->done, 1);
}

static void *fetch_thread(void *arg)
{
    fetch_run(arg);
    return NULL;
}

static struct vw__fetch *fetch_new(vw_follower *fw)
{
    struct vw__fetch *j = calloc(1, sizeof *j);
    if (j) {
        j->f = fw->f;
        j->t0 = vw__now_ns();
        atomic_init(&j->done, 0);
    }
    return j;
}

int vw__follow_start(vw_follower *fw)
{
    if (fw->job)
        return 0;
    struct vw__fetch *j = fetch_new(fw);
    if (!j)
        return -ENOMEM;
    j->threaded = pthread_create(&j->thr, NULL, fetch_thread, j) == 0;
    if (!j->threaded)
        fetch_run(j); /* no thread: here, then */
    fw->job = j;
    return 0;
}

int vw__follow_ready(const vw_follower *fw)
{
    return fw->job && atomic_load(&fw->job->done);
}

static void fetch_free(struct vw__fetch *j)
{
    if (!j)
        return;
    if (j->threaded)
        pthread_join(j->thr, NULL);
    if (j->have_m)
        vw__model_close(&j->m);
    free(j);
}

/* The fetch's trace swapped in with its model, the state retraced (keep
 * taken against the old model first), st's follow fields and the pace. */
long vw__follow_finish(vw_follower *fw, vw_state *st)
{
    struct vw__fetch *j = fw->job;
    if (!j)
        return 0;
    if (j->threaded) {
        pthread_join(j->thr, NULL);
        j->threaded = 0;
    }
    fw->job = NULL;
    int rc = j->model_rc, had = tr_follow_trace(fw->f) != NULL;
    if (rc == 0 && j->have_m) {
        vw_keep k;
        if (fw->have_model && st)
            vw__keep(st, &fw->m, &k);
        tr_follow_swap(fw->f);
        if (fw->have_model)
            vw__model_close(&fw->m);
        fw->m = j->m; /* its arrays moved with the swap; the struct did not */
        fw->m.tr = tr_follow_trace(fw->f);
        fw->have_model = 1;
        j->have_m = 0;
        if (st && had && vw__retrace(st, &fw->m, &k) != 0)
            rc = -ENOMEM;
    }
    if (st) {
        st->follow = j->rc < 0               ? VW_FOLLOW_STOPPED
                     : tr_follow_ended(fw->f) ? VW_FOLLOW_ENDED
                                              : VW_FOLLOW_GROWING;
        if (j->rc < 0 && !st->follow_msg[0]) {
            snprintf(st->follow_msg, sizeof st->follow_msg, "%s", j->msg);
            st->dirty = 1;
        }
        if (st->follow == VW_FOLLOW_ENDED && st->live)
            st->dirty = 1;
    }
    int64_t cost = vw__now_ns() - j->t0;
    fw->interval_ns = cost * 4 > 250000000 ? cost * 4 : 250000000;
    fw->next_ns = vw__now_ns() + fw->interval_ns;
    long added = j->rc;
    if (added < 0)
        snprintf(fw->msg, sizeof fw->msg, "%s", j->msg);
    else if (rc)
        snprintf(fw->msg, sizeof fw->msg, "out of memory");
    fetch_free(j);
    return rc ? rc : added;
}

long vw__follow_step(vw_follower *fw, vw_state *st)
{
    if (fw->job) /* one in flight: that one, then */
        return vw__follow_finish(fw, st);
    struct vw__fetch *j = fetch_new(fw);
    if (!j)
        return -ENOMEM;
    fetch_run(j);
    fw->job = j;
    return vw__follow_finish(fw, st);
}

void vw__follow_close(vw_follower *fw)
{
    fetch_free(fw->job);
    fw->job = NULL;
    if (fw->have_model)
        vw__model_close(&fw->m);
    tr_follow_free(fw->f);
    memset(fw, 0, sizeof *fw);
}

size_t vw__state_dump(const vw_state *st, const vw_model *m, char *buf, size_t n)
{
    static const char *const follow[] = {"none", "growing", "ended", "stopped"};
    int w = snprintf(buf, n,
                     "events=%zu tasks=%zu lanes=%zu duration=%lld playhead=%lld "
                     "window=%lld..%lld live=%d follow=%s",
                     tr_nevents(m->tr), m->ntasks, st->nlanes, (long long)st->duration,
                     (long long)st->playhead, (long long)st->t0, (long long)st->t1, st->live,
                     st->follow >= 0 && st->follow <= VW_FOLLOW_STOPPED ? follow[st->follow]
                                                                       : "?");
    return w < 0 ? 0 : (size_t)w;
}
