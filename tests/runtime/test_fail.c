/* tests/runtime/test_fail.c: how the runtime fails, asserted exactly.
 * Misuse aborts with task, object and place on stderr and as the trace's
 * last line (`fatal`); the deadlock verdict abandons stuck tasks (co_main
 * returns CO_EDEADLK, none of their code runs again) or, by choice, unwinds
 * them with CO_EDEADLK and stops a retry loop; refused calls are traced; a
 * 128 KiB frame is named as a stack overflow. Cases that abort run in a
 * forked child whose stderr and trace the parent reads. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

/* ---- a child process, its stderr and its trace ---- */

static char trace_path[64];
static char err[8192];

static void fresh_trace(void)
{
    strcpy(trace_path, "/tmp/coscope-fail-XXXXXX");
    int fd = mkstemp(trace_path);
    ASSERT(fd >= 0);
    close(fd);
}

/* Runs fn in a child with COSCOPE_TRACE=trace_path (when `traced`), its
 * stderr in err; returns the wait status. */
static int run_child(void (*fn)(void), int traced)
{
    int p[2];
    ASSERT_OK(pipe(p));
    fflush(stderr);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        if (traced)
            setenv("COSCOPE_TRACE", trace_path, 1);
        fn();
        _exit(0);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < sizeof err && (r = read(p[0], err + got, sizeof err - 1 - got)) > 0)
        got += (size_t)r;
    err[got] = '\0';
    close(p[0]);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    return st;
}

static void assert_aborted(int st)
{
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
        fprintf(stderr, "child stderr:\n%s", err);
    ASSERT(WIFSIGNALED(st));
    ASSERT_EQ(WTERMSIG(st), SIGABRT);
}

/* Takes out the on-CPU figures (,"cpu":N ,"runq":N ,"stops":N): the
 * recorder adds them to a slice of 250 us or more, and how long a slice
 * runs is up to the scheduler (a loaded machine, valgrind), not the test. */
static void drop_oncpu(char *s)
{
    static const char *const keys[] = {",\"cpu\":", ",\"runq\":", ",\"stops\":"};
    for (int k = 0; k < 3; k++) {
        char *p = strstr(s, keys[k]);
        if (!p)
            continue;
        char *e = p + strlen(keys[k]);
        while (*e >= '0' && *e <= '9')
            e++;
        memmove(p, e, strlen(e) + 1);
    }
}

/* The trace's lines with their `"t":N,` and on-CPU figures taken out, in a
 * static buffer. */
static char tbuf[4 << 20];
static char *tline[65536];
static size_t ntline;

static void read_trace(void)
{
    FILE *f = fopen(trace_path, "r");
    ASSERT_NOT_NULL(f);
    size_t n = fread(tbuf, 1, sizeof tbuf - 1, f);
    fclose(f);
    tbuf[n] = '\0';
    ntline = 0;
    for (char *p = tbuf; *p && ntline < sizeof tline / sizeof tline[0];) {
        char *nl = strchr(p, '\n');
        ASSERT_NOT_NULL(nl); /* whole lines only */
        *nl = '\0';
        if (strncmp(p, "{\"t\":", 5) == 0) { /* drop "t":N, */
            char *q = p + 5;
            while (*q >= '0' && *q <= '9')
                q++;
            ASSERT(*q == ',');
            memmove(p + 1, q + 1, strlen(q + 1) + 1);
        }
        drop_oncpu(p);
        tline[ntline++] = p;
        p = nl + 1;
    }
}

static size_t count_lines(const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < ntline; i++)
        n += strstr(tline[i], needle) != NULL;
    return n;
}

/* ---- misuse ---- */

static void outside_child(void)
{
    co_sleep(1);
}
static const int outside_line = __LINE__ - 2;

static void outside_traced_child(void)
{
    ASSERT_OK(co_trace_start(trace_path));
    co_mutex *m = co_mutex_new();
    co_mutex_lock(m);
}
static const int outside_lock_line = __LINE__ - 2;

static void test_outside_task(void)
{
    int st = run_child(outside_child, 0);
    assert_aborted(st);
    char want[512];
    snprintf(want, sizeof want,
             "coscope: fatal: a blocking call (sleep) outside a task, at %s:%d\n",
             __FILE__, outside_line);
    ASSERT_STR_EQ(err, want);

    fresh_trace();
    st = run_child(outside_traced_child, 0);
    assert_aborted(st);
    read_trace();
    snprintf(want, sizeof want,
             "{\"ev\":\"fatal\",\"task\":0,\"msg\":\"a blocking call (lock) outside "
             "a task, at %s:%d\",\"at\":\"%s:%d\"}",
             __FILE__, outside_lock_line, __FILE__, outside_lock_line);
    ASSERT_STR_EQ(tline[ntline - 1], want);
    unlink(trace_path);
}

static co_mutex *table;

static void *holder_task(void *arg)
{
    (void)arg;
    ASSERT_OK(co_mutex_lock(table));
    co_sleep(1000); /* holds it while the worker misbehaves */
    return NULL;
}

static void *worker_task(void *arg)
{
    (void)arg;
    co_mutex_unlock(table);
    return NULL;
}
static const int unlock_line = __LINE__ - 3;

static void *unlock_main(void *arg)
{
    (void)arg;
    table = co_mutex_name(co_mutex_new(), "table");
    co_task *h = co_spawn(holder_task, NULL, "holder");
    co_yield();
    co_join(co_spawn(worker_task, NULL, "worker"), NULL);
    co_join(h, NULL);
    return NULL;
}

static void unlock_child(void)
{
    co_main(unlock_main, NULL);
}

static void test_unlock_not_held(void)
{
    fresh_trace();
    int st = run_child(unlock_child, 1);
    assert_aborted(st);
    char msg[512], want[2048];
    /* the object id depends on what the process made before: read it */
    const char *id = strstr(err, "of mutex ");
    ASSERT_NOT_NULL(id);
    int obj = atoi(id + 9);
    ASSERT_CMP(obj, >, 0);
    snprintf(msg, sizeof msg,
             "task 3 \"worker\": co_mutex_unlock of mutex %d \"table\", which it "
             "does not hold (held by task 2 \"holder\"), at %s:%d",
             obj, __FILE__, unlock_line);
    snprintf(want, sizeof want, "coscope: fatal: %s\n", msg);
    ASSERT_STR_EQ(err, want);
    read_trace();
    /* the last line, escaped as JSON */
    char esc[1024];
    size_t k = 0;
    for (const char *p = msg; *p; p++) {
        if (*p == '"')
            esc[k++] = '\\';
        esc[k++] = *p;
    }
    esc[k] = '\0';
    snprintf(want, sizeof want, "{\"ev\":\"fatal\",\"task\":3,\"msg\":\"%s\",\"at\":\"%s:%d\"}",
             esc, __FILE__, unlock_line);
    ASSERT_STR_EQ(tline[ntline - 1], want);
    ASSERT_EQ(count_lines("\"ev\":\"end\""), 0);
    unlink(trace_path);
}

static int relock_reached;

static void *relock_task(void *arg)
{
    (void)arg;
    ASSERT_OK(co_mutex_lock(table));
    relock_reached = 1;
    co_mutex_lock(table);
    relock_reached = 2; /* never: the second lock is fatal */
    return NULL;
}
static const int relock_line = __LINE__ - 4;

static void *relock_main(void *arg)
{
    (void)arg;
    table = co_mutex_name(co_mutex_new(), "table");
    co_join(co_spawn(relock_task, NULL, "relocker"), NULL);
    return NULL;
}

static void relock_child(void)
{
    co_main(relock_main, NULL);
    fprintf(stderr, "co_main returned (reached %d)\n", relock_reached);
}

/* Locking a mutex the caller holds would wait on itself forever: fatal,
 * named like an unlock not held, and the trace's last line says so. */
static void test_lock_held(void)
{
    fresh_trace();
    int st = run_child(relock_child, 1);
    assert_aborted(st);
    const char *id = strstr(err, "of mutex ");
    ASSERT_NOT_NULL(id);
    int obj = atoi(id + 9);
    ASSERT_CMP(obj, >, 0);
    char msg[512], want[2048];
    snprintf(msg, sizeof msg,
             "task 2 \"relocker\": co_mutex_lock of mutex %d \"table\", which "
             "it already holds, at %s:%d",
             obj, __FILE__, relock_line);
    snprintf(want, sizeof want, "coscope: fatal: %s\n", msg);
    ASSERT_STR_EQ(err, want);
    read_trace();
    char esc[1024];
    size_t k = 0;
    for (const char *p = msg; *p; p++) {
        if (*p == '"')
            esc[k++] = '\\';
        esc[k++] = *p;
    }
    esc[k] = '\0';
    snprintf(want, sizeof want, "{\"ev\":\"fatal\",\"task\":2,\"msg\":\"%s\",\"at\":\"%s:%d\"}",
             esc, __FILE__, relock_line);
    ASSERT_STR_EQ(tline[ntline - 1], want);
    /* the first lock was taken and traced, the second never waited */
    snprintf(want, sizeof want, "{\"ev\":\"acquire\",\"task\":2,\"obj\":%d}", obj);
    ASSERT_EQ(count_lines(want), 1);
    ASSERT_EQ(count_lines("\"why\":\"lock\""), 0);
    ASSERT_EQ(count_lines("\"ev\":\"end\""), 0);
    unlink(trace_path);
}

static void *join_self_main(void *arg)
{
    (void)arg;
    co_join(co_self(), NULL);
    return NULL;
}
static const int join_self_line = __LINE__ - 3;

static void join_self_child(void)
{
    co_main(join_self_main, NULL);
}

static co_task *joined_twice;
static void *sleepy(void *arg)
{
    (void)arg;
    co_sleep(50);
    return NULL;
}
static void *second_joiner(void *arg)
{
    (void)arg;
    co_join(joined_twice, NULL);
    return NULL;
}
static const int join_twice_line = __LINE__ - 3;
static void *join_twice_main(void *arg)
{
    (void)arg;
    joined_twice = co_spawn(sleepy, NULL, "sleepy");
    co_detach(co_spawn(second_joiner, NULL, "second"));
    co_join(joined_twice, NULL);
    return NULL;
}
static void join_twice_child(void)
{
    co_main(join_twice_main, NULL);
}

static void test_join_misuse(void)
{
    assert_aborted(run_child(join_self_child, 0));
    char want[512];
    snprintf(want, sizeof want,
             "coscope: fatal: task 1 \"main\": co_join of itself, at %s:%d\n",
             __FILE__, join_self_line);
    ASSERT_STR_EQ(err, want);

    assert_aborted(run_child(join_twice_child, 0));
    snprintf(want, sizeof want,
             "coscope: fatal: task 3 \"second\": co_join of task 2 \"sleepy\", "
             "which another task joins, at %s:%d\n",
             __FILE__, join_twice_line);
    ASSERT_STR_EQ(err, want);
}

static co_chan *jobs;
static void *waiting_receiver(void *arg)
{
    (void)arg;
    int v;
    co_chan_recv(jobs, &v);
    return NULL;
}
static void *free_waited_main(void *arg)
{
    (void)arg;
    jobs = co_chan_name(co_chan_new(sizeof(int), 0), "jobs");
    co_detach(co_spawn(waiting_receiver, NULL, "receiver"));
    co_yield();
    co_chan_free(jobs);
    return NULL;
}
static const int free_line = __LINE__ - 3;
static void free_waited_child(void)
{
    co_main(free_waited_main, NULL);
}

static void test_free_waited(void)
{
    assert_aborted(run_child(free_waited_child, 0));
    const char *id = strstr(err, "of chan ");
    ASSERT_NOT_NULL(id);
    char want[512];
    snprintf(want, sizeof want,
             "coscope: fatal: task 1 \"main\": co_chan_free of chan %d \"jobs\", "
             "which task 2 \"receiver\" waits on, at %s:%d\n",
             atoi(id + 8), __FILE__, free_line);
    ASSERT_STR_EQ(err, want);
}

/* ---- the deadlock verdict ---- */

/* Two mutexes taken in opposite orders, written with pthread habits: the
 * second lock's result is ignored and both are unlocked. */
static co_mutex *ma, *mb;
static int after_lock, sloppy_unlocked;

static void *sloppy(void *arg)
{
    int first = arg != NULL;
    co_mutex *x = first ? ma : mb, *y = first ? mb : ma;
    co_mutex_lock(x);
    co_yield(); /* both hold their first before either takes its second */
    co_mutex_lock(y);
    after_lock++;
    co_mutex_unlock(y); /* fatal if ever reached without the lock */
    co_mutex_unlock(x);
    sloppy_unlocked++;
    return NULL;
}

static void *sloppy_main(void *arg)
{
    (void)arg;
    ma = co_mutex_name(co_mutex_new(), "a");
    mb = co_mutex_name(co_mutex_new(), "b");
    co_task *l = co_spawn(sloppy, (void *)1, "left");
    co_task *r = co_spawn(sloppy, NULL, "right");
    co_join(l, NULL);
    co_join(r, NULL);
    return NULL;
}

static void sloppy_child(void)
{
    int rc = co_main(sloppy_main, NULL);
    /* their waits were undone: the mutexes can be freed */
    co_mutex_free(ma);
    co_mutex_free(mb);
    printf("rc=%d after=%d unlocked=%d\n", rc, after_lock, sloppy_unlocked);
    _exit(rc == CO_EDEADLK && after_lock == 0 && sloppy_unlocked == 0 ? 0 : 1);
}

static void test_deadlock_abandon(void)
{
    fresh_trace();
    int st = run_child(sloppy_child, 1);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "child stderr:\n%s", err);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT(strstr(err, "coscope: task 1 \"main\" blocked forever in join (task 2) at ") != NULL);
    ASSERT(strstr(err, "coscope: task 2 \"left\" blocked forever in lock (mutex ") != NULL);
    ASSERT(strstr(err, "coscope: task 3 \"right\" blocked forever in lock (mutex ") != NULL);
    ASSERT(strstr(err, "coscope: 3 tasks will not run again; what they held "
                       "(mutexes, memory) is leaked\n") != NULL);
    ASSERT_NULL(strstr(err, "fatal"));
    read_trace();
    ASSERT_EQ(count_lines("\"ev\":\"stuck\""), 3);
    ASSERT_EQ(count_lines("\"ev\":\"exit\""), 0); /* none ran to an exit */
    ASSERT_EQ(count_lines("\"why\":\"cancel\""), 0); /* none was woken */
    ASSERT(strncmp(tline[ntline - 1], "{\"ev\":\"end\",", 12) == 0);
    unlink(trace_path);
}

/* The careful program: checks what lock returned. */
static int second_rc[2], sleep_after, cancelled_seen, join_rc;

static void *careful(void *arg)
{
    int first = arg != NULL;
    co_mutex *x = first ? ma : mb, *y = first ? mb : ma;
    ASSERT_OK(co_mutex_lock(x));
    co_yield();
    second_rc[first] = co_mutex_lock(y);
    if (second_rc[first] == 0)
        co_mutex_unlock(y);
    co_mutex_unlock(x);
    cancelled_seen += co_cancelled() != 0;
    sleep_after += co_sleep(1) == CO_EDEADLK; /* refused at once */
    return (void *)1;
}

static void *careful_main(void *arg)
{
    (void)arg;
    ma = co_mutex_new();
    mb = co_mutex_new();
    co_task *l = co_spawn(careful, (void *)1, "left");
    co_task *r = co_spawn(careful, NULL, "right");
    void *res = (void *)7;
    join_rc = co_join(l, &res);
    ASSERT_EQ(join_rc, CO_EDEADLK); /* the joiner was stuck too */
    ASSERT_OK(co_join(r, &res) == CO_EDEADLK ? 0 : 1);
    return NULL;
}

static void run_careful(void)
{
    second_rc[0] = second_rc[1] = 0;
    sleep_after = cancelled_seen = 0;
    ASSERT_EQ(rt_run_rc(careful_main, NULL), CO_EDEADLK);
    ASSERT_EQ(second_rc[0], CO_EDEADLK);
    ASSERT_EQ(second_rc[1], CO_EDEADLK);
    ASSERT_EQ(cancelled_seen, 2);
    ASSERT_EQ(sleep_after, 2);
    co_mutex_free(ma);
    co_mutex_free(mb);
}

static void test_deadlock_cancel(void)
{
    ASSERT_EQ(co_set_deadlock_policy((co_deadlock_policy)5), CO_EINVAL);
    ASSERT_OK(co_set_deadlock_policy(CO_DEADLOCK_CANCEL));
    run_careful();
    ASSERT_OK(co_set_deadlock_policy(CO_DEADLOCK_ABANDON));
    /* the environment overrides the call */
    setenv("COSCOPE_DEADLOCK", "cancel", 1);
    run_careful();
    unsetenv("COSCOPE_DEADLOCK");
}

/* Retry loops after the verdict: every refused call is traced and the
 * loop is stopped after CO__DEADLOCK_RETRIES (100) refusals. */
static int lock_fails, sleep_fails;

static void *holder_forever(void *arg)
{
    (void)arg;
    ASSERT_OK(co_mutex_lock(mb));
    int v;
    co_chan_recv(jobs, &v); /* nobody ever sends */
    return NULL;
}

static void *retry_yield(void *arg)
{
    (void)arg;
    while (co_mutex_lock(mb)) {
        lock_fails++;
        co_yield();
    }
    return NULL;
}
static const int retry_yield_line = __LINE__ - 6;

static void *retry_sleep(void *arg)
{
    (void)arg;
    while (co_mutex_lock(mb)) {
        lock_fails++;
        if (co_sleep(1))
            sleep_fails++;
    }
    return NULL;
}

static void *retry_main(void *arg)
{
    mb = co_mutex_new();
    jobs = co_chan_new(sizeof(int), 0);
    co_detach(co_spawn(holder_forever, NULL, "holder"));
    co_yield();
    co_detach(co_spawn(arg ? retry_sleep : retry_yield, NULL, "retrier"));
    return NULL;
}

static void test_retry_loops(void)
{
    ASSERT_OK(co_set_deadlock_policy(CO_DEADLOCK_CANCEL));
    fresh_trace();
    ASSERT_OK(co_trace_start(trace_path));
    lock_fails = sleep_fails = 0;
    ASSERT_EQ(rt_run_rc(retry_main, NULL), CO_EDEADLK);
    ASSERT_OK(co_trace_stop());
    /* one real wait that the verdict ended, then 99 refused calls that
     * returned; the 100th parked the task for good */
    ASSERT_EQ(lock_fails, 100);
    read_trace();
    char at[512];
    snprintf(at, sizeof at, "\"task\":3,\"why\":\"lock\",\"obj\":");
    ASSERT_EQ(count_lines(at), 1 + 100 + 1); /* wait, refusals, parked */
    snprintf(at, sizeof at, ",\"at\":\"%s:%d\"", __FILE__, retry_yield_line);
    ASSERT_EQ(count_lines(at), 102);
    ASSERT_EQ(count_lines("{\"ev\":\"ready\",\"task\":3,\"by\":3,\"why\":\"cancel\"}"), 100);
    ASSERT_EQ(count_lines("{\"ev\":\"stuck\",\"task\":3}"), 1);
    ASSERT_EQ(count_lines("\"ev\":\"exit\",\"task\":3"), 0);
    co_mutex_free(mb); /* the parked retrier's wait was undone */
    co_chan_free(jobs);

    lock_fails = sleep_fails = 0;
    ASSERT_EQ(rt_run_rc(retry_main, (void *)1), CO_EDEADLK);
    ASSERT_EQ(lock_fails, 50);  /* the real wait + refusals 2, 4 .. 98 */
    ASSERT_EQ(sleep_fails, 50); /* refusals 1, 3 .. 99; 100 parked */
    ASSERT_OK(co_set_deadlock_policy(CO_DEADLOCK_ABANDON));
    co_mutex_free(mb);
    co_chan_free(jobs);
    unlink(trace_path);
}

/* The retry loop's stop is said on stderr, exactly, after the verdict's
 * report: which task, how many calls were refused, the last one's place. */
static void retry_child(void)
{
    co_set_deadlock_policy(CO_DEADLOCK_CANCEL);
    lock_fails = 0;
    int rc = co_main(retry_main, NULL);
    fprintf(stderr, "rc=%d fails=%d\n", rc, lock_fails);
    _exit(rc == CO_EDEADLK ? 0 : 1);
}

static void test_retry_message(void)
{
    int st = run_child(retry_child, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "child stderr:\n%s", err);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    char want[512];
    snprintf(want, sizeof want,
             "coscope: task 3 \"retrier\" kept calling after the deadlock verdict "
             "(100 calls refused with CO_EDEADLK, the last at %s:%d): it will not "
             "run again\n",
             __FILE__, retry_yield_line);
    const char *m = strstr(err, want);
    if (!m)
        fprintf(stderr, "missing: %schild stderr:\n%s", want, err);
    ASSERT_NOT_NULL(m);
    ASSERT(m > err && m[-1] == '\n'); /* a line of its own */
    /* after the first verdict's report; then the second verdict abandons
     * it, and co_main returns */
    const char *report = strstr(err, "coscope: task 3 \"retrier\" blocked forever in lock (mutex ");
    ASSERT(report != NULL && report < m);
    char rest[1024];
    snprintf(rest, sizeof rest,
             "%scoscope: 1 task will not run again; what it held (mutexes, memory) "
             "is leaked\nrc=%d fails=100\n",
             want, CO_EDEADLK);
    ASSERT_STR_EQ(m, rest);
}

/* ---- refused calls are traced: a wait of no length ---- */

static void *refused_main(void *arg)
{
    (void)arg;
    co_cancel(co_self());
    ASSERT_EQ(co_sleep(5), CO_ECANCELED);
    return NULL;
}
static const int refused_line = __LINE__ - 3;

static void *timed_out_main(void *arg)
{
    (void)arg;
    ASSERT_OK(co_deadline(1));
    ASSERT_EQ(co_sleep(10000), CO_ETIMEDOUT);
    ASSERT_EQ(co_sleep(7), CO_ETIMEDOUT);
    return NULL;
}
static const int timed_out_line = __LINE__ - 3;

static void test_refused_traced(void)
{
    fresh_trace();
    ASSERT_OK(co_trace_start(trace_path));
    RUN_TASK(refused_main, NULL);
    ASSERT_OK(co_trace_stop());
    read_trace();
    size_t i = 0;
    while (i < ntline && !strstr(tline[i], "\"why\":\"sleep\""))
        i++;
    ASSERT(i + 3 < ntline);
    char want[512];
    snprintf(want, sizeof want,
             "{\"ev\":\"yield\",\"task\":1,\"why\":\"sleep\",\"ms\":5,\"at\":\"%s:%d\"}",
             __FILE__, refused_line);
    ASSERT_STR_EQ(tline[i], want);
    ASSERT_STR_EQ(tline[i + 1], "{\"ev\":\"ready\",\"task\":1,\"by\":1,\"why\":\"cancel\"}");
    ASSERT_STR_EQ(tline[i + 2], "{\"ev\":\"run\",\"task\":1}");
    ASSERT_STR_EQ(tline[i + 3], "{\"ev\":\"exit\",\"task\":1,\"status\":\"cancelled\"}");

    ASSERT_OK(co_trace_start(trace_path));
    RUN_TASK(timed_out_main, NULL);
    ASSERT_OK(co_trace_stop());
    read_trace();
    snprintf(want, sizeof want,
             "{\"ev\":\"yield\",\"task\":1,\"why\":\"sleep\",\"ms\":7,\"at\":\"%s:%d\"}",
             __FILE__, timed_out_line);
    for (i = 0; i < ntline && strcmp(tline[i], want) != 0; i++)
        ;
    ASSERT(i + 2 < ntline);
    ASSERT_STR_EQ(tline[i + 1], "{\"ev\":\"ready\",\"task\":1,\"by\":1,\"why\":\"timeout\"}");
    ASSERT_STR_EQ(tline[i + 2], "{\"ev\":\"run\",\"task\":1}");
    unlink(trace_path);
}

/* ---- big frames ---- */

static void *big_frame(void *arg)
{
    (void)arg;
    volatile char buf[128 * 1024];
    buf[0] = 1; /* the frame's lowest byte: 64 KiB below the stack */
    return (void *)(intptr_t)buf[0];
}

static void *big_main(void *arg)
{
    (void)arg;
    co_join(co_spawn(big_frame, NULL, "big"), NULL);
    return NULL;
}

static void big_child(void)
{
    co_main(big_main, NULL);
}

static void test_big_frame(void)
{
#ifdef CO_ASAN
    /* ASan moves big locals to its fake stack (heap): no frame to
     * overflow. The plain build tests it. */
    return;
#endif
    fresh_trace();
    int st = run_child(big_child, 1);
    if (!WIFSIGNALED(st))
        fprintf(stderr, "child stderr:\n%s", err);
    ASSERT(WIFSIGNALED(st));
    ASSERT_EQ(WTERMSIG(st), SIGSEGV);
    ASSERT_STR_EQ(err, "coscope: stack overflow in task 2 \"big\" (raise "
                       "COSCOPE_STACK_KB)\n");
    read_trace();
    ASSERT_STR_EQ(tline[ntline - 1],
                  "{\"ev\":\"fatal\",\"task\":2,\"msg\":\"stack overflow in task 2 "
                  "\\\"big\\\" (raise COSCOPE_STACK_KB)\"}");
    unlink(trace_path);
}

static const test_case cases[] = {
    {"outside_task", test_outside_task},
    {"unlock_not_held", test_unlock_not_held},
    {"lock_held", test_lock_held},
    {"join_misuse", test_join_misuse},
    {"free_waited", test_free_waited},
    {"deadlock_abandon", test_deadlock_abandon},
    {"deadlock_cancel", test_deadlock_cancel},
    {"retry_loops", test_retry_loops},
    {"retry_message", test_retry_message},
    {"refused_traced", test_refused_traced},
    {"big_frame", test_big_frame},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
