/* runtime/fail.c: how the runtime fails. A misuse (unlocking a mutex the
 * caller does not hold or locking one it does, joining itself, blocking
 * outside a task) is fatal:
 * named with task, object and place, kept as the trace's last line, then
 * abort(). A deadlock gets a verdict, as in Go: the stuck tasks are named
 * and, by default, never run again (co_main returns CO_EDEADLK); code
 * written with pthread habits would otherwise run on after a failed lock and
 * trip over the half-done state. Unwinding them by cancellation is an
 * option, and then every blocking call they make is refused, traced, and
 * bounded. */
#include "sched_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static co_deadlock_policy policy = CO_DEADLOCK_ABANDON;

int co_set_deadlock_policy(co_deadlock_policy p)
{
    if (p != CO_DEADLOCK_ABANDON && p != CO_DEADLOCK_CANCEL)
        return CO_EINVAL;
    policy = p;
    return 0;
}

/* COSCOPE_DEADLOCK=cancel|abandon overrides the call, so a run can be
 * switched without a rebuild. */
static co_deadlock_policy current_policy(void)
{
    const char *env = getenv("COSCOPE_DEADLOCK");
    if (!env || !*env)
        return policy;
    if (strcmp(env, "cancel") == 0)
        return CO_DEADLOCK_CANCEL;
    if (strcmp(env, "abandon") == 0)
        return CO_DEADLOCK_ABANDON;
    fprintf(stderr, "coscope: COSCOPE_DEADLOCK=%s is not cancel or abandon; "
                    "ignored\n", env);
    return policy;
}

const char *co__obj_label(const co__obj *o, char *buf, size_t n)
{
    const char *kind = tr_objkind_name(o->kind);
    if (o->name)
        snprintf(buf, n, "%s %llu \"%s\"", kind, (unsigned long long)o->id,
                 o->name);
    else
        snprintf(buf, n, "%s %llu", kind, (unsigned long long)o->id);
    return buf;
}

void co__fatal(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    size_t n = 0;
    co_task *t = co__current();
    if (t) /* outside a task the message says so itself */
        n = (size_t)snprintf(msg, sizeof msg, "task %llu \"%s\": ",
                             (unsigned long long)t->id, t->name);
    va_list ap;
    va_start(ap, fmt);
    if (n < sizeof msg)
        n += (size_t)vsnprintf(msg + n, sizeof msg - n, fmt, ap);
    va_end(ap);
    if (file && n < sizeof msg)
        n += (size_t)snprintf(msg + n, sizeof msg - n, ", at %s:%d", file, line);
    if (n >= sizeof msg)
        n = sizeof msg - 1;
    fprintf(stderr, "coscope: fatal: %s\n", msg);
    fflush(stderr);
    tr_rec_fatal(t ? t->id : 0, msg, n, file, line);
    abort();
}

/* A task that keeps calling after the verdict would spin forever (its calls
 * all fail at once): it gets the default verdict instead, a wait nothing
 * ends, and co_main's next verdict abandons it. */
static void park_for_good(co_task *t, co__wait *w)
{
    fprintf(stderr, "coscope: task %llu \"%s\" kept calling after the "
                    "deadlock verdict (%u calls refused with CO_EDEADLK, the "
                    "last",
            (unsigned long long)t->id, t->name, t->refusals);
    if (w->file)
        fprintf(stderr, " at %s:%d", w->file, w->line);
    fprintf(stderr, "): it will not run again\n");
    t->reported = 1;
    co__park(w);
    abort(); /* an abandoned task is never switched back in */
}

int co__check_at(tr_wait why, uint64_t obj, tr_op op, int64_t fd, int64_t ms,
                 const char *file, int line)
{
    co_task *t = co__current();
    if (!t)
        co__fatal(file, line, "a blocking call (%s) outside a task",
                  why == TR_WAIT_IO ? tr_op_name(op) : tr_wait_name(why));
    int err = t->deadlocked ? CO_EDEADLK
              : t->cancelled && !t->shield ? CO_ECANCELED
              : t->timed_out ? CO_ETIMEDOUT : 0;
    if (!err)
        return 0;
    CO__TRACE(tr_rec_yield(t->id, why, obj, op, fd, ms, file, line));
    CO__TRACE(tr_rec_ready(t->id, t->id, co__cancel_why(err)));
    CO__TRACE(tr_rec_run(t->id));
    if (err == CO_EDEADLK && ++t->refusals >= CO__DEADLOCK_RETRIES) {
        co__wait w = {.why = why, .obj = obj, .op = op, .fd = fd, .ms = ms,
                      .file = file, .line = line};
        park_for_good(t, &w);
    }
    return err;
}

/* ---- the deadlock verdict ---- */

static const char *wait_target(const co_task *t, char *buf, size_t n)
{
    const co__wait *w = t->wait;
    if (!w)
        return "?";
    switch (w->why) {
    case TR_WAIT_JOIN:
        snprintf(buf, n, "join (task %llu)", (unsigned long long)w->obj);
        break;
    case TR_WAIT_LOCK:
        snprintf(buf, n, "lock (mutex %llu)", (unsigned long long)w->obj);
        break;
    case TR_WAIT_CHAN_SEND:
    case TR_WAIT_CHAN_RECV:
        snprintf(buf, n, "%s (chan %llu)", tr_wait_name(w->why),
                 (unsigned long long)w->obj);
        break;
    case TR_WAIT_IO:
        snprintf(buf, n, "io %s (fd %lld)", tr_op_name(w->op), (long long)w->fd);
        break;
    case TR_WAIT_SEM:
    case TR_WAIT_COND:
    case TR_WAIT_GROUP:
        snprintf(buf, n, "%s (%s %llu)", tr_wait_name(w->why),
                 tr_wait_name(w->why), (unsigned long long)w->obj);
        break;
    default:
        snprintf(buf, n, "%s", tr_wait_name(w->why));
    }
    return buf;
}

/* Says who is stuck and on what (each task once per co_main). */
static void report_stuck(void)
{
    for (co_task *t = RT->all; t; t = t->all_next) {
        if (t->reported)
            continue;
        t->reported = 1;
        char what[96];
        const co__wait *w = t->wait;
        fprintf(stderr, "coscope: task %llu \"%s\" blocked forever in %s",
                (unsigned long long)t->id, t->name,
                wait_target(t, what, sizeof what));
        if (w && w->file)
            fprintf(stderr, " at %s:%d", w->file, w->line);
        fputc('\n', stderr);
        CO__TRACE(tr_rec_stuck(t->id));
    }
}

int co__deadlock_verdict(void)
{
    report_stuck();
    CO__TRACE(tr_rec_dump("deadlock")); /* flight mode: the window, stuck lines in it */
    if (RT->verdicts++ == 0 && current_policy() == CO_DEADLOCK_CANCEL) {
        /* Deliver after the report: waking one may wake others. */
        for (co_task *t = RT->all, *next; t; t = next) {
            next = t->all_next;
            t->deadlocked = 1;
            if (t->state == CO__WAITING)
                co__task_deliver(t, CO_EDEADLK);
        }
        return 1;
    }
    size_t n = 0;
    while (RT->all) {
        co__task_abandon(RT->all);
        n++;
    }
    fprintf(stderr, "coscope: %zu task%s will not run again; what %s held "
                    "(mutexes, memory) is leaked\n",
            n, n == 1 ? "" : "s", n == 1 ? "it" : "they");
    return 0;
}
