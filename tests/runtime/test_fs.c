/* tests/runtime/test_fs.c: stat, rename, unlink, mkdir, fsync, readdir,
 * asserted exactly on a scratch directory: results, errors, a cancel and a
 * deadline that withdraw a queued request (the pool held full, so it is
 * queued: the rename never happens), and the trace of each wait. */
#include <fcntl.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_run.h" /* and test.h */

static char dir[64], a[128], b[128], sub[128];

static void *fs_main(void *arg)
{
    (void)arg;
    ASSERT_OK(co_fs_mkdir(sub, 0700));
    ASSERT_EQ(co_fs_mkdir(sub, 0700), CO_EEXIST);
    int fd = co_fs_open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_CMP(fd, >=, 0);
    ASSERT_EQ(co_fs_write(fd, "twelve bytes", 12, -1), 12);
    ASSERT_OK(co_fs_fsync(fd));
    ASSERT_OK(co_fs_close(fd));
    ASSERT_EQ(co_fs_fsync(fd), CO_EBADF);
    co_stat st;
    ASSERT_OK(co_fs_stat(a, &st));
    ASSERT_EQ(st.size, 12);
    ASSERT(st.is_file && !st.is_dir);
    ASSERT_EQ(st.mode & 0777, 0600);
    ASSERT_CMP(st.mtime_ns, >, 0);
    ASSERT_OK(co_fs_stat(sub, &st));
    ASSERT(st.is_dir && !st.is_file);
    ASSERT_OK(co_fs_rename(a, b));
    ASSERT_EQ(co_fs_stat(a, &st), CO_ENOENT);
    ASSERT_OK(co_fs_stat(b, &st));
    ASSERT_EQ(st.size, 12);
    co_dirent *d;
    ASSERT_EQ(co_fs_readdir(dir, &d), 2);
    ASSERT_STR_EQ(d[0].name, "b");
    ASSERT_EQ(d[0].is_dir, 0);
    ASSERT_STR_EQ(d[1].name, "sub");
    ASSERT_EQ(d[1].is_dir, 1);
    co_fs_dirents_free(d, 2);
    ASSERT_OK(co_fs_unlink(b));
    ASSERT_EQ(co_fs_unlink(b), CO_ENOENT);
    ASSERT_EQ(co_fs_readdir(sub, &d), 0);
    co_fs_dirents_free(d, 0);
    ASSERT_EQ(co_fs_readdir("/no/such/dir", &d), CO_ENOENT);
    ASSERT_EQ(co_fs_stat(NULL, &st), CO_EINVAL);
    ASSERT_EQ(co_fs_rename(a, NULL), CO_EINVAL);
    ASSERT_EQ(co_fs_readdir(dir, NULL), CO_EINVAL);
    ASSERT_EQ(rmdir(sub), 0);
    return NULL;
}

static void setup(void)
{
    strcpy(dir, "/tmp/coscope-fs-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
}

static void test_calls(void)
{
    setup();
    RUN_TASK(fs_main, NULL);
    ASSERT_OK(rmdir(dir));
}

/* ---- cancelled while queued: the pool is held full by blocking work ---- */

enum { POOL = 4 };
static sem_t gate;
static atomic_int held;
static co_task *fillers[POOL];
static int rename_rc;

static void hold(void *arg)
{
    (void)arg;
    atomic_fetch_add(&held, 1);
    while (sem_wait(&gate) != 0)
        ;
}

static void *filler(void *arg)
{
    (void)arg;
    ASSERT_OK(co_run_blocking(hold, NULL, "hold"));
    return NULL;
}

static void *renamer(void *arg)
{
    (void)arg;
    rename_rc = co_fs_rename(a, b);
    return NULL;
}

static void *cancel_main(void *arg)
{
    (void)arg;
    int fd = co_fs_open(a, O_WRONLY | O_CREAT, 0600);
    ASSERT_CMP(fd, >=, 0);
    ASSERT_OK(co_fs_close(fd));
    ASSERT_OK(sem_init(&gate, 0, 0));
    for (int i = 0; i < POOL; i++)
        fillers[i] = co_spawn(filler, NULL, "filler");
    for (int i = 0; i < 5000 && atomic_load(&held) < POOL; i++)
        ASSERT_OK(co_sleep(1));
    ASSERT_EQ(atomic_load(&held), POOL);
    rename_rc = 1;
    co_task *r = co_spawn(renamer, NULL, "renamer");
    ASSERT_OK(co_sleep(2));
    ASSERT_EQ(rename_rc, 1); /* queued behind the held pool */
    ASSERT_OK(co_cancel(r));
    ASSERT_OK(co_join(r, NULL));
    ASSERT_EQ(rename_rc, CO_ECANCELED);
    for (int i = 0; i < POOL; i++)
        ASSERT_OK(sem_post(&gate));
    for (int i = 0; i < POOL; i++)
        ASSERT_OK(co_join(fillers[i], NULL));
    ASSERT_OK(sem_destroy(&gate));
    co_stat st;
    ASSERT_OK(co_fs_stat(a, &st)); /* the rename never happened */
    ASSERT_EQ(co_fs_stat(b, &st), CO_ENOENT);
    ASSERT_OK(co_fs_unlink(a));
    /* Cancelled before the call: refused at once, nothing done. */
    co_cancel(co_self());
    ASSERT_EQ(co_fs_mkdir(sub, 0700), CO_ECANCELED);
    return NULL;
}

static void test_cancel(void)
{
    ASSERT_OK(setenv("UV_THREADPOOL_SIZE", "4", 1));
    setup();
    RUN_TASK(cancel_main, NULL);
    ASSERT_EQ(access(sub, F_OK), -1);
    ASSERT_OK(rmdir(dir));
}

/* ---- past its deadline while queued: withdrawn, as a cancel is ---- */

static void *late_renamer(void *arg)
{
    (void)arg;
    ASSERT_OK(co_deadline(10));
    rename_rc = co_fs_rename(a, b);
    ASSERT_EQ(co_deadline_left(), 0);
    ASSERT_OK(co_deadline(0));
    return NULL;
}

static void *deadline_main(void *arg)
{
    (void)arg;
    int fd = co_fs_open(a, O_WRONLY | O_CREAT, 0600);
    ASSERT_CMP(fd, >=, 0);
    ASSERT_OK(co_fs_close(fd));
    ASSERT_OK(sem_init(&gate, 0, 0));
    for (int i = 0; i < POOL; i++)
        fillers[i] = co_spawn(filler, NULL, "filler");
    for (int i = 0; i < 5000 && atomic_load(&held) < POOL; i++)
        ASSERT_OK(co_sleep(1));
    ASSERT_EQ(atomic_load(&held), POOL);
    rename_rc = 1;
    ASSERT_OK(co_join(co_spawn(late_renamer, NULL, "renamer"), NULL));
    ASSERT_EQ(rename_rc, CO_ETIMEDOUT); /* while the pool was still held */
    for (int i = 0; i < POOL; i++)
        ASSERT_OK(sem_post(&gate));
    for (int i = 0; i < POOL; i++)
        ASSERT_OK(co_join(fillers[i], NULL));
    ASSERT_OK(sem_destroy(&gate));
    co_stat st;
    ASSERT_OK(co_fs_stat(a, &st)); /* the rename never happened */
    ASSERT_EQ(co_fs_stat(b, &st), CO_ENOENT);
    ASSERT_OK(co_fs_unlink(a));
    /* Past the deadline before the call: refused at once, nothing done. */
    ASSERT_OK(co_deadline(1));
    ASSERT_EQ(co_sleep(1000), CO_ETIMEDOUT);
    ASSERT_EQ(co_fs_mkdir(sub, 0700), CO_ETIMEDOUT);
    ASSERT_OK(co_deadline(0));
    return NULL;
}

static void test_deadline(void)
{
    ASSERT_OK(setenv("UV_THREADPOOL_SIZE", "4", 1));
    setup();
    RUN_TASK(deadline_main, NULL);
    ASSERT_EQ(access(sub, F_OK), -1);
    ASSERT_OK(rmdir(dir));
}

/* ---- the trace ---- */

static int trace_fd;

static void *trace_main(void *arg)
{
    (void)arg;
    co_stat st;
    ASSERT_OK(co_fs_mkdir(sub, 0700));
    ASSERT_OK(co_fs_stat(sub, &st));
    co_dirent *d;
    ASSERT_EQ(co_fs_readdir(dir, &d), 1);
    co_fs_dirents_free(d, 1);
    ASSERT_OK(co_fs_rename(sub, a));
    ASSERT_EQ(co_fs_unlink(a), CO_EISDIR);
    int fd = co_fs_open(b, O_WRONLY | O_CREAT, 0600);
    ASSERT_CMP(fd, >=, 0);
    trace_fd = fd;
    ASSERT_OK(co_fs_fsync(fd));
    ASSERT_OK(co_fs_close(fd));
    ASSERT_OK(co_fs_unlink(b));
    return NULL;
}
static const int mkdir_line = __LINE__ - 15;
static const int fsync_line = __LINE__ - 6;

static void test_trace(void)
{
    setup();
    char path[160];
    snprintf(path, sizeof path, "%s.jsonl", dir);
    setenv("COSCOPE_TRACE_FORMAT", "1", 1); /* checks v1's lines */
    ASSERT_OK(co_trace_start(path));
    unsetenv("COSCOPE_TRACE_FORMAT");
    RUN_TASK(trace_main, NULL);
    ASSERT_OK(co_trace_stop());
    ASSERT_OK(rmdir(a));
    ASSERT_OK(rmdir(dir));
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    static char tb[1 << 16];
    size_t n = fread(tb, 1, sizeof tb - 1, f);
    fclose(f);
    tb[n] = '\0';
    static const char *const ops[] = {"fs_mkdir", "fs_stat", "fs_readdir", "fs_rename",
                                      "fs_unlink"};
    static const char *const ends[] = {"\"res\":0}", "\"res\":0}", "\"res\":1}",
                                       "\"res\":0}", "\"err\":\"EISDIR\"}"};
    static const int line_of[] = {0, 1, 3, 5, 6}; /* below mkdir's */
    const char *p = tb;
    for (int i = 0; i < 5; i++) {
        char want[512];
        snprintf(want, sizeof want, "\"ev\":\"io_begin\",\"task\":1,\"op\":\"%s\"}", ops[i]);
        const char *q = strstr(p, want);
        ASSERT_NOT_NULL(q);
        snprintf(want, sizeof want,
                 "\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"%s\",\"at\":\"%s:%d\"",
                 ops[i], __FILE__, mkdir_line + line_of[i]);
        q = strstr(q, want);
        if (!q)
            fprintf(stderr, "missing: %s\n", want);
        ASSERT_NOT_NULL(q);
        snprintf(want, sizeof want, "\"ev\":\"io_end\",\"task\":1,\"op\":\"%s\",%s", ops[i],
                 ends[i]);
        q = strstr(q, want);
        if (!q)
            fprintf(stderr, "missing: %s\n", want);
        ASSERT_NOT_NULL(q);
        p = q;
    }
    /* fsync names its fd in the wait */
    char want[512];
    snprintf(want, sizeof want, "\"ev\":\"io_begin\",\"task\":1,\"op\":\"fs_fsync\",\"fd\":%d}",
             trace_fd);
    const char *q = strstr(p, want);
    if (!q)
        fprintf(stderr, "missing: %s\n", want);
    ASSERT_NOT_NULL(q);
    snprintf(want, sizeof want,
             "\"ev\":\"yield\",\"task\":1,\"why\":\"io\",\"op\":\"fs_fsync\",\"fd\":%d,"
             "\"at\":\"%s:%d\"",
             trace_fd, __FILE__, fsync_line);
    q = strstr(q, want);
    if (!q)
        fprintf(stderr, "missing: %s\n", want);
    ASSERT_NOT_NULL(q);
    q = strstr(q, "\"ev\":\"io_end\",\"task\":1,\"op\":\"fs_fsync\",\"res\":0}");
    ASSERT_NOT_NULL(q);
    unlink(path);
}

static const test_case cases[] = {
    {"calls", test_calls},
    {"cancel", test_cancel},
    {"deadline", test_deadline},
    {"trace", test_trace},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
