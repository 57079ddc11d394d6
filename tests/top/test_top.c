/* test_top.c: `coscope top`. --once on a running program (top_prog, under
 * COSCOPE_TRACE, its tasks parked in known states): the state, wait and
 * site of every task, read from the table; on a finished sample trace: the
 * exact table. The live mode on a pseudo-terminal: keys, q, ^C, and the
 * terminal restored. */
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <termios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

/* Runs cmd with sh; its stdout, malloc'd. */
static char *capture(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    ASSERT_NOT_NULL(p);
    size_t cap = 1 << 16, n;
    char *out = malloc(cap);
    ASSERT_NOT_NULL(out);
    n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    pclose(p);
    return out;
}

/* The row of task `name` in a table: its cells split on runs of two or
 * more spaces (no cell of these tables holds two spaces). */
static int row_of(const char *table, const char *name, char cells[9][128])
{
    for (const char *l = table; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        int k = 0;
        size_t j = 0;
        memset(cells, 0, 9 * 128);
        for (size_t i = 0; i < len && k < 9; i++) {
            if (l[i] == ' ' && i + 1 < len && l[i + 1] == ' ') {
                while (i + 1 < len && l[i + 1] == ' ')
                    i++;
                if (j) {
                    k++;
                    j = 0;
                }
                continue;
            }
            if (j < 127)
                cells[k][j++] = l[i];
        }
        if (k == 8 && strcmp(cells[1], name) == 0)
            return 1;
    }
    return 0;
}

static void expect_row(const char *table, const char *name, const char *state,
                       const char *wait, int line)
{
    char cells[9][128], at[64];
    if (!row_of(table, name, cells))
        TEST__FAIL("no row for %s in:\n%s", name, table);
    ASSERT_STR_EQ(cells[2], state);
    ASSERT_STR_EQ(cells[7], wait);
    if (line) {
        snprintf(at, sizeof at, "top_prog.c:%d", line);
        size_t n = strlen(cells[8]), m = strlen(at);
        if (n < m || strcmp(cells[8] + n - m, at) != 0)
            TEST__FAIL("%s: at %s, want ...%s", name, cells[8], at);
    } else {
        ASSERT_STR_EQ(cells[8], "-");
    }
}

static void test_running(void)
{
    char dir[] = "/tmp/coscope-top-XXXXXX", trace[64], cmd[512];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/run.jsonl", dir);
    int fds[2];
    ASSERT_OK(pipe(fds));
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        /* dies with the test, even when an assertion aborts it */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        setenv("COSCOPE_TRACE", trace, 1);
        unsetenv("COSCOPE_FLIGHT");
        execl(TOP_PROG, TOP_PROG, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    ASSERT_NOT_NULL(in);
    int hold, lock, recv, slp, join;
    ASSERT_EQ(fscanf(in, "parked hold=%d lock=%d recv=%d sleep=%d join=%d", &hold, &lock,
                     &recv, &slp, &join), 5);
    /* The writer thread writes what was recorded within 50 ms: read until
     * the last task's state is in the file (bounded, not timed). */
    snprintf(cmd, sizeof cmd, "'%s' top --once --sort id '%s'", COSCOPE_BIN, trace);
    char *out = NULL;
    for (int tries = 0; tries < 400; tries++) {
        free(out);
        out = capture(cmd);
        if (strstr(out, "1 running, 1 ready, 5 waiting"))
            break;
        usleep(25000);
    }
    ASSERT(strstr(out, " (still being written or cut short); loop busy ") != NULL);
    ASSERT(strstr(out, "; 7 tasks: 1 running, 1 ready, 5 waiting, 0 done; ") != NULL);
    ASSERT(strncmp(strchr(out, '\n') + 1, "ID  TASK      STATE    ", 23) == 0);
    expect_row(out, "holder", "waiting", "sleep", hold);
    expect_row(out, "locker", "waiting", "lock shared (obj 1)", lock);
    expect_row(out, "receiver", "waiting", "chan_recv obj 2", recv);
    expect_row(out, "sleeper", "waiting", "sleep", slp);
    expect_row(out, "spinner", "running", "-", 0);
    expect_row(out, "victim", "ready", "-", 0);
    expect_row(out, "main", "waiting", "join spinner (6)", join);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' top --once --json --sort id '%s'", COSCOPE_BIN, trace);
    out = capture(cmd);
    ASSERT(strstr(out, "\"truncated\":true,") != NULL);
    char want[256];
    snprintf(want, sizeof want,
             "{\"id\":3,\"name\":\"locker\",\"state\":\"waiting\",\"wait\":\"lock shared "
             "(obj 1)\",\"at\":\"%s:%d\",", TOP_PROG_SRC, lock);
    ASSERT(strstr(out, want) != NULL);
    ASSERT(strstr(out, "{\"id\":6,\"name\":\"spinner\",\"state\":\"running\",\"wait\":null,"
                       "\"at\":null,") != NULL);
    free(out);
    kill(pid, SIGKILL);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    fclose(in);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
}

static void test_sample(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' top --once --sort stalls '%s/deadlock.jsonl'",
             COSCOPE_BIN, TRACES_DIR);
    char *out = capture(cmd);
    ASSERT_STR_EQ(out,
                  "coscope top: " TRACES_DIR "/deadlock.jsonl at 9.28 ms (ended); loop busy 2.2%; "
                  "4 tasks: 0 running, 0 ready, 0 waiting, 4 done; 3 stalls\n"
                  "ID  TASK  STATE  BUSY  POLLS  LAT p99  STALLS  WAIT  AT\n"
                  " 2  A     done   0.0%      2  28.2 \u00b5s       1  -     -\n"
                  " 3  B     done   0.0%      3  25.1 \u00b5s       1  -     -\n"
                  " 4  C     done   0.0%      2  7.09 \u00b5s       1  -     -\n"
                  " 1  main  done   0.3%      1  6.81 \u00b5s       0  -     -\n");
    free(out);
}

/* Reads the pty into buf (cap bytes) until it holds pat; 0 at end of
 * output. Bounded by the output, not by time: the program redraws every
 * second, so pat either comes or the test's own timeout fails it. */
static int pty_until(int fd, char *buf, size_t cap, size_t *len, const char *pat)
{
    while (!memmem(buf, *len, pat, strlen(pat))) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, -1) < 0)
            return 0;
        ssize_t n = read(fd, buf + *len, cap - 1 - *len);
        if (n <= 0)
            return 0;
        *len += (size_t)n;
        buf[*len] = '\0';
    }
    return 1;
}

/* The modes the test's pty starts in (line mode and echo, as a shell's
 * terminal): they are `before`, to compare with after the program ends
 * (reading them from the pty would race with the program's raw mode). */
static struct termios *pty_modes(struct termios *t)
{
    int fd;
    pid_t pid = forkpty(&fd, NULL, NULL, NULL);
    ASSERT(pid >= 0);
    if (pid == 0)
        _exit(0);
    ASSERT_OK(tcgetattr(fd, t));
    ASSERT(t->c_lflag & ECHO);
    ASSERT(t->c_lflag & ICANON);
    waitpid(pid, NULL, 0);
    close(fd);
    return t;
}

/* The live mode on a terminal: alternate screen and hidden cursor, a key
 * re-sorts at once, q quits and ^C (SIGINT) too, and the terminal is as
 * it was (echo, line mode, main screen, cursor shown) after either. */
static void live_run(int quit_by_sigint)
{
    int fd;
    struct termios before, after;
    pid_t pid = forkpty(&fd, NULL, pty_modes(&before), NULL);
    ASSERT(pid >= 0);
    if (pid == 0) {
        execl(COSCOPE_BIN, COSCOPE_BIN, "top", TRACES_DIR "/stall.jsonl", (char *)NULL);
        _exit(127);
    }
    static char buf[1 << 20];
    size_t len = 0;
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "sort: busy"));
    ASSERT(memmem(buf, len, "\033[?1049h\033[?25l", 14) != NULL);
    ASSERT(memmem(buf, len, "ID  TASK       STATE   BUSY", 27) != NULL);
    ASSERT_EQ(write(fd, "p", 1), 1);
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "sort: polls"));
    /* heartbeat has the most polls (26): first under the header */
    char *hdr = strstr(strstr(buf, "sort: busy"), "ID  TASK");
    ASSERT_NOT_NULL(hdr);
    ASSERT(strncmp(strchr(hdr, '\n') + 1, " 2  heartbeat", 13) == 0);
    if (quit_by_sigint)
        kill(pid, SIGINT);
    else
        ASSERT_EQ(write(fd, "q", 1), 1);
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "\033[?25h\033[?1049l"));
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_OK(tcgetattr(fd, &after));
    ASSERT_EQ(after.c_lflag, before.c_lflag);
    close(fd);
}

static void test_live_q(void) { live_run(0); }
static void test_live_sigint(void) { live_run(1); }

/* `record --top -- top_prog`: the live view shows the program's tasks
 * while it runs; SIGTERM to record goes on to the program, and when it
 * ends the view ends, the terminal is restored and record summarises. */
static void test_record_top(void)
{
    char dir[] = "/tmp/coscope-top-XXXXXX", trace[64];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/run.jsonl", dir);
    int fd;
    struct termios before, after;
    pid_t pid = forkpty(&fd, NULL, pty_modes(&before), NULL);
    ASSERT(pid >= 0);
    if (pid == 0) {
        unsetenv("COSCOPE_FLIGHT");
        execl(COSCOPE_BIN, COSCOPE_BIN, "record", "--top", "-o", trace, "--", TOP_PROG,
              (char *)NULL);
        _exit(127);
    }
    static char buf[1 << 20];
    size_t len = 0;
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "\033[?1049h\033[?25l"));
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "7 tasks: 1 running, 1 ready, 5 waiting"));
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "sort: busy"));
    kill(pid, SIGTERM);
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "\033[?25h\033[?1049l"));
    char want[256];
    snprintf(want, sizeof want, "coscope: %s was killed by signal 15; recorded ", TOP_PROG);
    ASSERT(pty_until(fd, buf, sizeof buf, &len, want));
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 128 + SIGTERM);
    ASSERT_OK(tcgetattr(fd, &after));
    ASSERT_EQ(after.c_lflag, before.c_lflag);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
}

static void put_file(const char *path, const char *text, int append)
{
    FILE *f = fopen(path, append ? "ab" : "wb");
    ASSERT_NOT_NULL(f);
    ASSERT_EQ(fputs(text, f) >= 0, 1);
    ASSERT_OK(fclose(f));
}

/* The live view follows the file: it waits for a file not there yet, shows
 * a task appended later, says when the trace ended, and when a bad line
 * comes it stops following with the reader's file:line under the last
 * good table. Each step waits for the next redraw (one a second). */
static void test_live_follow(void)
{
    char dir[] = "/tmp/coscope-topf-XXXXXX", trace[64], want[256];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/live.jsonl", dir);
    int fd;
    struct termios before;
    pid_t pid = forkpty(&fd, NULL, pty_modes(&before), NULL);
    ASSERT(pid >= 0);
    if (pid == 0) {
        execl(COSCOPE_BIN, COSCOPE_BIN, "top", trace, (char *)NULL);
        _exit(127);
    }
    static char buf[1 << 20];
    size_t len = 0;
    snprintf(want, sizeof want, "waiting for a trace in %s (%s: No such file or directory)",
             trace, trace);
    ASSERT(pty_until(fd, buf, sizeof buf, &len, want));
    put_file(trace,
             "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"p\"}\n"
             "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"main\"}\n"
             "{\"t\":10,\"ev\":\"run\",\"task\":1}\n",
             0);
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "1 tasks: 1 running, 0 ready"));
    put_file(trace,
             "{\"t\":20,\"ev\":\"spawn\",\"task\":2,\"parent\":1,\"name\":\"latecomer\"}\n", 1);
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "2 tasks: 1 running, 1 ready"));
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "latecomer"));
    put_file(trace, "{\"t\":30,\"ev\":\"run\",\"task\":2,\n", 1);
    snprintf(want, sizeof want, "stopped following: %s:5: not a JSON object", trace);
    ASSERT(pty_until(fd, buf, sizeof buf, &len, want));
    ASSERT_EQ(write(fd, "q", 1), 1);
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "\033[?25h\033[?1049l"));
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    close(fd);
    /* a trace that ended says so */
    put_file(trace,
             "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"p\"}\n"
             "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"main\"}\n"
             "{\"t\":9,\"ev\":\"end\",\"events\":1,\"dropped\":0}\n",
             0);
    pid = forkpty(&fd, NULL, pty_modes(&before), NULL);
    ASSERT(pid >= 0);
    if (pid == 0) {
        execl(COSCOPE_BIN, COSCOPE_BIN, "top", trace, (char *)NULL);
        _exit(127);
    }
    len = 0;
    ASSERT(pty_until(fd, buf, sizeof buf, &len, "(ended)"));
    kill(pid, SIGINT);
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
}

static void test_json(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' top --once --json '%s/deadlock.jsonl'", COSCOPE_BIN,
             TRACES_DIR);
    char *out = capture(cmd);
    ASSERT_STR_EQ(out,
                  "{\"program\":\"deadlock_demo\",\"truncated\":false,\"t\":9277707,"
                  "\"loop_busy\":210490,\"stalls\":3,\"tasks\":[\n"
                  "{\"id\":1,\"name\":\"main\",\"state\":\"done\",\"wait\":null,\"at\":null,"
                  "\"busy\":35670,\"polls\":1,\"lat_p99\":6810,\"stalls\":0},\n"
                  "{\"id\":3,\"name\":\"B\",\"state\":\"done\",\"wait\":null,\"at\":null,"
                  "\"busy\":2090,\"polls\":3,\"lat_p99\":25110,\"stalls\":1},\n"
                  "{\"id\":4,\"name\":\"C\",\"state\":\"done\",\"wait\":null,\"at\":null,"
                  "\"busy\":630,\"polls\":2,\"lat_p99\":7090,\"stalls\":1},\n"
                  "{\"id\":2,\"name\":\"A\",\"state\":\"done\",\"wait\":null,\"at\":null,"
                  "\"busy\":430,\"polls\":2,\"lat_p99\":28230,\"stalls\":1}\n"
                  "]}\n");
    free(out);
}

static const test_case cases[] = {
    {"json", test_json},
    {"record_top", test_record_top},
    {"live_q", test_live_q},
    {"live_sigint", test_live_sigint},
    {"live_follow", test_live_follow},
    {"running", test_running},
    {"sample", test_sample},
    {NULL, NULL},
};

int main(int argc, char **argv) { return test_main(argc, argv, cases); }
