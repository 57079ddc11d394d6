/* tests/runtime/test_group.c: task groups and the cancel shield, asserted
 * exactly: waiting for every child, cancelling a group, cancellation of the
 * waiter reaching children and grandchildren before the wait returns,
 * deadlines, shields, misuse, and the trace of a group wait. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

static int ended, cancelled_children;

static void *sleeper(void *arg)
{
    int rc = co_sleep((uint64_t)(intptr_t)arg);
    if (rc == CO_ECANCELED)
        cancelled_children++;
    ended++;
    return NULL;
}

static void *wait_main(void *arg)
{
    (void)arg;
    co_group *g = co_group_name(co_group_new(), "workers");
    ASSERT_OK(co_group_wait(g)); /* empty: at once */
    for (int i = 0; i < 3; i++)
        ASSERT_NOT_NULL(co_group_spawn(g, sleeper, (void *)(intptr_t)(3 - i), "w"));
    ASSERT_EQ(co_group_size(g), 3);
    ASSERT_OK(co_group_wait(g));
    ASSERT_EQ(ended, 3);
    ASSERT_EQ(co_group_size(g), 0);
    /* reusable */
    co_group_spawn(g, sleeper, (void *)1, "again");
    ASSERT_OK(co_group_wait(g));
    ASSERT_EQ(ended, 4);
    ASSERT_EQ(co_group_wait(NULL), CO_EINVAL);
    ASSERT_NULL(co_group_spawn(NULL, sleeper, NULL, "x"));
    ASSERT_NULL(co_group_spawn(g, NULL, NULL, "x"));
    co_group_free(g);
    return NULL;
}

static void test_wait(void)
{
    ended = cancelled_children = 0;
    RUN_TASK(wait_main, NULL);
}

static void *cancel_main(void *arg)
{
    (void)arg;
    co_group *g = co_group_new();
    for (int i = 0; i < 3; i++)
        co_group_spawn(g, sleeper, (void *)60000, "w");
    co_yield(); /* they sleep */
    ASSERT_OK(co_group_cancel(g));
    ASSERT_OK(co_group_wait(g));
    ASSERT_EQ(cancelled_children, 3);
    /* a cancelled group cancels what is spawned into it later */
    co_group_spawn(g, sleeper, (void *)60000, "late");
    ASSERT_OK(co_group_wait(g));
    ASSERT_EQ(cancelled_children, 4);
    ASSERT_EQ(co_group_cancel(NULL), CO_EINVAL);
    co_group_free(g);
    return NULL;
}

static void test_cancel(void)
{
    ended = cancelled_children = 0;
    RUN_TASK(cancel_main, NULL);
}

/* A middle task waits on its group of sleepers, each of which waits on a
 * group of its own: cancelling the middle task reaches all of them, and
 * its wait returns only once they have ended. */
static int ended_at_return, owner_rc;

static void *sub_owner(void *arg)
{
    (void)arg;
    co_group *g = co_group_new();
    co_group_spawn(g, sleeper, (void *)60000, "grandchild");
    co_group_spawn(g, sleeper, (void *)60000, "grandchild");
    int rc = co_group_wait(g);
    co_group_free(g);
    ended++;
    return (void *)(intptr_t)rc;
}

static void *owner(void *arg)
{
    (void)arg;
    co_group *g = co_group_new();
    co_group_spawn(g, sub_owner, NULL, "child");
    co_group_spawn(g, sleeper, (void *)60000, "child");
    owner_rc = co_group_wait(g);
    ended_at_return = ended;
    co_group_free(g);
    return NULL;
}

static void *tree_main(void *arg)
{
    (void)arg;
    co_task *o = co_spawn(owner, NULL, "owner");
    co_sleep(2); /* everybody waits */
    ASSERT_OK(co_cancel(o));
    ASSERT_OK(co_join(o, NULL));
    ASSERT_EQ(owner_rc, CO_ECANCELED);
    ASSERT_EQ(ended_at_return, 4); /* 2 grandchildren, 2 children */
    ASSERT_EQ(cancelled_children, 3); /* the sleepers */
    return NULL;
}

static void test_tree(void)
{
    ended = cancelled_children = 0;
    RUN_TASK(tree_main, NULL);
}

/* Past the deadline while waiting: the same, with CO_ETIMEDOUT. */
static void *deadline_main(void *arg)
{
    (void)arg;
    co_group *g = co_group_new();
    co_group_spawn(g, sleeper, (void *)60000, "w");
    co_group_spawn(g, sleeper, (void *)60000, "w");
    ASSERT_OK(co_deadline(2));
    ASSERT_EQ(co_group_wait(g), CO_ETIMEDOUT);
    ASSERT_EQ(co_group_size(g), 0);
    ASSERT_EQ(cancelled_children, 2);
    ASSERT_OK(co_deadline(0));
    co_group_free(g);
    return NULL;
}

static void test_deadline(void)
{
    ended = cancelled_children = 0;
    RUN_TASK(deadline_main, NULL);
}

/* ---- the shield ---- */

static int in_shield_rc, after_rc, flag_in_shield;

static void *cleaner(void *arg)
{
    (void)arg;
    ASSERT_OK(co_shield_begin());
    ASSERT_OK(co_shield_begin()); /* nests */
    in_shield_rc = co_sleep(3); /* the cancel arrives during it */
    ASSERT_OK(co_shield_end());
    flag_in_shield = co_cancelled();
    ASSERT_EQ(co_sleep(1), 0 + in_shield_rc); /* still shielded: 0 */
    ASSERT_OK(co_shield_end());
    after_rc = co_sleep(1);
    return NULL;
}

static void *shield_main(void *arg)
{
    (void)arg;
    co_task *t = co_spawn(cleaner, NULL, "cleaner");
    co_yield(); /* it sleeps, shielded */
    ASSERT_OK(co_cancel(t));
    ASSERT_OK(co_join(t, NULL));
    ASSERT_EQ(in_shield_rc, 0); /* slept its 3 ms to the end */
    ASSERT(flag_in_shield);     /* the cancel was kept ... */
    ASSERT_EQ(after_rc, CO_ECANCELED); /* ... and delivered after */
    ASSERT_EQ(co_shield_end(), CO_EINVAL);
    return NULL;
}

static void test_shield(void)
{
    RUN_TASK(shield_main, NULL);
    ASSERT_EQ(co_shield_begin(), CO_EINVAL); /* outside a task */
}

/* A shield does not stop a deadline: a cleanup bounded by
 * co_deadline_push times out inside it (though cancelled meanwhile), and
 * the kept cancel is delivered after the shield. */
static int bounded_rc, refused_in_shield, cancelled_after;

static void *bounded_cleaner(void *arg)
{
    (void)arg;
    uint64_t outer;
    ASSERT_OK(co_shield_begin());
    ASSERT_OK(co_deadline_push(5, &outer));
    bounded_rc = co_sleep(100000); /* cancelled during it, then timed out */
    refused_in_shield = co_sleep(1); /* still past it: refused */
    ASSERT_OK(co_deadline_pop(outer));
    ASSERT_OK(co_sleep(1)); /* the deadline is gone, the cancel kept */
    ASSERT_OK(co_shield_end());
    cancelled_after = co_sleep(1);
    return NULL;
}

static void *shield_deadline_main(void *arg)
{
    (void)arg;
    bounded_rc = refused_in_shield = cancelled_after = 1;
    co_task *t = co_spawn(bounded_cleaner, NULL, "cleaner");
    co_yield(); /* it sleeps, shielded, bounded */
    ASSERT_OK(co_cancel(t));
    ASSERT_EQ(bounded_rc, 1); /* the cancel did not end it */
    ASSERT_OK(co_join(t, NULL));
    ASSERT_EQ(bounded_rc, CO_ETIMEDOUT);
    ASSERT_EQ(refused_in_shield, CO_ETIMEDOUT);
    ASSERT_EQ(cancelled_after, CO_ECANCELED);
    return NULL;
}

static void test_shield_deadline(void)
{
    RUN_TASK(shield_deadline_main, NULL);
}

/* ---- misuse ---- */

static int run_child_abort(void (*fn)(void), char *err, size_t n)
{
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        fn();
        _exit(0);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < n && (r = read(p[0], err + got, n - 1 - got)) > 0)
        got += (size_t)r;
    err[got] = '\0';
    close(p[0]);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    return st;
}

static void *free_busy_main(void *arg)
{
    (void)arg;
    co_group *g = co_group_name(co_group_new(), "pool");
    co_group_spawn(g, sleeper, (void *)50, "worker");
    co_group_free(g);
    return NULL;
}
static const int free_busy_line = __LINE__ - 3;

static void free_busy_child(void)
{
    co_main(free_busy_main, NULL);
}

static co_task *member;
static void *join_member_main(void *arg)
{
    (void)arg;
    co_group *g = co_group_new();
    member = co_group_spawn(g, sleeper, (void *)50, "member");
    co_join(member, NULL);
    return NULL;
}
static const int join_member_line = __LINE__ - 3;

static void join_member_child(void)
{
    co_main(join_member_main, NULL);
}

static void test_misuse(void)
{
    char err[2048], want[1024];
    int st = run_child_abort(free_busy_child, err, sizeof err);
    ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    const char *id = strstr(err, "of group ");
    ASSERT_NOT_NULL(id);
    snprintf(want, sizeof want,
             "coscope: fatal: task 1 \"main\": co_group_free of group %d \"pool\", "
             "which still has 1 task (the first: task 2 \"worker\"), at %s:%d\n",
             atoi(id + 9), __FILE__, free_busy_line);
    ASSERT_STR_EQ(err, want);
    st = run_child_abort(join_member_child, err, sizeof err);
    ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    snprintf(want, sizeof want,
             "coscope: fatal: task 1 \"main\": co_join of task 2 \"member\", which "
             "is detached, at %s:%d\n",
             __FILE__, join_member_line);
    ASSERT_STR_EQ(err, want);
}

/* ---- the trace ---- */

static void *trace_main(void *arg)
{
    (void)arg;
    co_group *g = co_group_name(co_group_new(), "clients");
    co_group_spawn(g, sleeper, (void *)1, "client");
    ASSERT_OK(co_group_wait(g));
    co_group_free(g);
    return NULL;
}
static const int group_wait_line = __LINE__ - 4;

static void test_trace(void)
{
    const char *buf = RUN_TRACED(trace_main, NULL);
    char want[4][512];
    snprintf(want[0], sizeof want[0],
             "\"ev\":\"obj\",\"obj\":1,\"kind\":\"group\",\"name\":\"clients\",\"at\":\"%s:%d\"}",
             __FILE__, group_wait_line - 2);
    snprintf(want[1], sizeof want[1], "\"ev\":\"spawn\",\"task\":2,\"parent\":1,\"name\":\"client\"");
    snprintf(want[2], sizeof want[2],
             "\"ev\":\"yield\",\"task\":1,\"why\":\"group\",\"obj\":1,\"at\":\"%s:%d\"",
             __FILE__, group_wait_line);
    snprintf(want[3], sizeof want[3], "\"ev\":\"ready\",\"task\":1,\"by\":2,\"why\":\"join\"}");
    const char *p = buf;
    for (int i = 0; i < 4; i++) {
        const char *q = strstr(p, want[i]);
        if (!q)
            fprintf(stderr, "missing: %s\n%s", want[i], buf);
        ASSERT_NOT_NULL(q);
        p = q + 1;
    }
}

static const test_case cases[] = {
    {"wait", test_wait},
    {"cancel", test_cancel},
    {"tree", test_tree},
    {"deadline", test_deadline},
    {"shield", test_shield},
    {"shield_deadline", test_shield_deadline},
    {"misuse", test_misuse},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
