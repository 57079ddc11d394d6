/* test_view_memory.c: the viewer's remembered state under
 * $XDG_STATE_HOME/coscope/ — saved, read back with the exact values, one
 * entry per trace file (by absolute path), restored onto a view state, and
 * a corrupt file ignored with a warning. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "view_fixture.h"

static char dir[64], file[128];

static void temp_state(void)
{
    snprintf(dir, sizeof dir, "/tmp/coscope-state-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(dir));
    ASSERT_OK(setenv("XDG_STATE_HOME", dir, 1));
    snprintf(file, sizeof file, "%s/coscope/view-state", dir);
}

static void temp_done(void)
{
    char d[128];
    unlink(file);
    snprintf(d, sizeof d, "%s/coscope", dir);
    rmdir(d);
    ASSERT_OK(rmdir(dir));
}

/* stderr of f() as a string */
static void capture(void (*f)(void), char *buf, size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/coscope-state-err-%d", (int)getpid());
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    ASSERT(fd >= 0);
    dup2(fd, 2);
    f();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t k = read(fd, buf, n - 1);
    buf[k > 0 ? k : 0] = '\0';
    close(fd);
    unlink(path);
}

static void test_roundtrip(void)
{
    temp_state();
    char key[4096], key2[4096];
    char small[1024];
    snprintf(small, sizeof small, "%s/small.jsonl", VIEW_DATA);
    ASSERT_OK(vw__memory_key(small, key, sizeof key));
    ASSERT_EQ(key[0], '/');
    ASSERT(strstr(key, "/tests/viewer/data/small.jsonl") != NULL);
    ASSERT_EQ(vw__memory_key("/no/such/trace.jsonl", key2, sizeof key2), -1);
    /* nothing yet: nothing remembered, no warning */
    vw_memory m;
    ASSERT_OK(vw__memory_load(key, &m));
    ASSERT_EQ(m.has_window, 0);
    ASSERT_EQ(m.has_view, 0);
    vw_memory a = {1, 40, 60, 1280, 720, 1, 1234567, 8901234, 2};
    ASSERT_OK(vw__memory_save(key, &a));
    ASSERT_OK(vw__memory_load(key, &m));
    ASSERT_EQ(m.has_window, 1);
    ASSERT_EQ(m.x, 40);
    ASSERT_EQ(m.y, 60);
    ASSERT_EQ(m.w, 1280);
    ASSERT_EQ(m.h, 720);
    ASSERT_EQ(m.has_view, 1);
    ASSERT_EQ(m.t0, 1234567);
    ASSERT_EQ(m.t1, 8901234);
    ASSERT_EQ(m.sel_task, 2);
    /* another file's view is kept beside it; each finds its own */
    snprintf(key2, sizeof key2, "/elsewhere/other.jsonl");
    vw_memory b = {1, 0, 0, 800, 600, 1, 5, 10, 0};
    ASSERT_OK(vw__memory_save(key2, &b));
    ASSERT_OK(vw__memory_load(key, &m));
    ASSERT_EQ(m.w, 800); /* the window is the last one's */
    ASSERT_EQ(m.t0, 1234567);
    ASSERT_EQ(m.t1, 8901234);
    ASSERT_EQ(m.sel_task, 2);
    ASSERT_OK(vw__memory_load(key2, &m));
    ASSERT_EQ(m.t0, 5);
    ASSERT_EQ(m.t1, 10);
    ASSERT_EQ(m.sel_task, 0);
    ASSERT_OK(vw__memory_load("/never/seen.jsonl", &m));
    ASSERT_EQ(m.has_window, 1);
    ASSERT_EQ(m.has_view, 0);
    temp_done();
}

static void test_restore(void)
{
    temp_state();
    fx_open("small.jsonl");
    char key[4096], path[1024];
    snprintf(path, sizeof path, "%s/small.jsonl", VIEW_DATA);
    ASSERT_OK(vw__memory_key(path, key, sizeof key));
    ASSERT_EQ(vw__memory_key("-", key + 2048, 2048), -1); /* stdin: nothing to remember */
    /* the view as the user left it */
    S.t0 = 1000000;
    S.t1 = 3500000;
    vw__select(&S, &M, 4, -1);
    vw_memory mem = {1, 10, 20, 1000, 700, 0, 0, 0, 0};
    vw__memory_of(&mem, &S);
    ASSERT_OK(vw__memory_save(key, &mem));
    /* reopened: a fresh state, then the remembered view */
    vw__state_close(&S);
    ASSERT_OK(vw__state_init(&S, &M, 1600, 900));
    ASSERT_EQ(S.sel_task, 0);
    vw_memory got;
    ASSERT_OK(vw__memory_load(key, &got));
    vw__memory_apply(&S, &M, &got);
    ASSERT_EQ(S.t0, 1000000);
    ASSERT_EQ(S.t1, 3500000);
    ASSERT_EQ(S.sel_task, 4);
    /* a window past the end of a now shorter file is clamped; a task that
     * no longer exists is not selected */
    vw_memory past = {0, 0, 0, 0, 0, 1, 2000000, 999999999999, 77};
    vw__select(&S, &M, 0, -1);
    vw__memory_apply(&S, &M, &past);
    ASSERT_EQ(S.t0, 2000000);
    ASSERT_EQ(S.t1, M.duration);
    ASSERT_EQ(S.sel_task, 0);
    fx_close();
    temp_done();
}

static const char *corrupt_key;
static int corrupt_rc;
static vw_memory corrupt_mem;
static void load_corrupt(void)
{
    corrupt_rc = vw__memory_load(corrupt_key, &corrupt_mem);
}

static void write_file(const char *text)
{
    FILE *f = fopen(file, "w");
    ASSERT_NOT_NULL(f);
    fputs(text, f);
    fclose(f);
}

static void test_corrupt(void)
{
    temp_state();
    char d[128];
    snprintf(d, sizeof d, "%s/coscope", dir);
    ASSERT_OK(mkdir(d, 0700));
    static const char *const bad[] = {
        "garbage\n",
        "coscope-view-state 1\nwindow 1 2 three 4\n",
        "coscope-view-state 1\nwindow 0 0 10 10\n",
        "coscope-view-state 1\nfile 9 3 1 /x.jsonl\n",
        "coscope-view-state 1\nfile 1 2 1 /x.jsonl", /* cut short */
        "coscope-view-state 1\nwhat 1\n",
        "",
        "\x01\x02\x03",
    };
    corrupt_key = "/x.jsonl";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(bad[i]);
        char err[1024];
        capture(load_corrupt, err, sizeof err);
        ASSERT_EQ(corrupt_rc, -1);
        ASSERT_EQ(corrupt_mem.has_window, 0);
        ASSERT_EQ(corrupt_mem.has_view, 0);
        ASSERT(strstr(err, "coscope: warning: ") == err);
        ASSERT(strstr(err, "view-state:") != NULL);
        ASSERT(strstr(err, "not a viewer state file; ignored\n") != NULL);
    }
    /* saving over a corrupt file makes a good one */
    vw_memory a = {1, 1, 2, 640, 480, 1, 1, 2, 3};
    ASSERT_OK(vw__memory_save("/x.jsonl", &a));
    vw_memory m;
    ASSERT_OK(vw__memory_load("/x.jsonl", &m));
    ASSERT_EQ(m.w, 640);
    ASSERT_EQ(m.sel_task, 3);
    temp_done();
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"roundtrip", test_roundtrip},
        {"restore", test_restore},
        {"corrupt", test_corrupt},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
