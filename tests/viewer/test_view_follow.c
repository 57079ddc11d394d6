/* test_view_follow.c: `coscope-view --follow`, headless, driven step by
 * step through its test hook (COSCOPE_VIEW_SCRIPT=1: commands on stdin,
 * one answer line each on stdout), so nothing depends on time: the test
 * writes the trace, asks for a poll and a screenshot, appends, asks again.
 * The second frame has the new task's lane and its running span (pixels
 * of the PNG) and the state says so exactly (tasks, lanes, the live
 * playhead at the new end, "ended"); `l` (action live) lets go of the end;
 * a garbage append is reported with file:line and the last good trace
 * stays on screen. */
#include <SDL.h>
#include <SDL_image.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "vw_int.h"

enum { LANES_Y = 94, LANE_H = 24 };

#define HEADER "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"grow\",\"pid\":7}\n"
#define FIRST                                                                   \
    "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"main\"}\n"        \
    "{\"t\":0,\"ev\":\"run\",\"task\":1}\n"                                          \
    "{\"t\":1000000,\"ev\":\"yield\",\"task\":1,\"why\":\"sleep\",\"ms\":1}\n"        \
    "{\"t\":2000000,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"timer\"}\n"        \
    "{\"t\":2000000,\"ev\":\"run\",\"task\":1}\n"
#define SECOND                                                                  \
    "{\"t\":3000000,\"ev\":\"spawn\",\"task\":2,\"parent\":1,\"name\":\"late\"}\n"   \
    "{\"t\":3000000,\"ev\":\"yield\",\"task\":1,\"why\":\"join\",\"obj\":2}\n"       \
    "{\"t\":3000000,\"ev\":\"run\",\"task\":2}\n"                                    \
    "{\"t\":5000000,\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"}\n"                 \
    "{\"t\":5000000,\"ev\":\"ready\",\"task\":1,\"by\":2,\"why\":\"join\"}\n"        \
    "{\"t\":5000000,\"ev\":\"run\",\"task\":1}\n"                                    \
    "{\"t\":6000000,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n"                 \
    "{\"t\":6000000,\"ev\":\"end\",\"events\":12,\"dropped\":0}\n"

static char trace[64], shot_a[64], shot_b[64], shot_c[64];

static void put(const char *text, int append)
{
    int fd = open(trace, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0600);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, text, strlen(text)), (long)strlen(text));
    close(fd);
}

/* The viewer as a child: its stdin and stdout are the test's pipes. */
typedef struct viewer {
    pid_t pid;
    FILE *in, *out;
} viewer;

static void start(viewer *v)
{
    int to[2], from[2];
    ASSERT_OK(pipe(to));
    ASSERT_OK(pipe(from));
    fflush(NULL);
    v->pid = fork();
    ASSERT(v->pid >= 0);
    if (v->pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[1]);
        close(from[0]);
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
        setenv("COSCOPE_VIEW_SCRIPT", "1", 1);
        execl(VIEW_EXE, VIEW_EXE, "--follow", trace, "--screenshot", "unused.png",
              (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    v->in = fdopen(to[1], "w");
    v->out = fdopen(from[0], "r");
    ASSERT_NOT_NULL(v->in);
    ASSERT_NOT_NULL(v->out);
}

/* Sends one command; its answer line, without the newline. */
static const char *ask(viewer *v, const char *fmt, const char *arg)
{
    static char line[1024];
    fprintf(v->in, fmt, arg);
    fputc('\n', v->in);
    fflush(v->in);
    if (!fgets(line, sizeof line, v->out))
        TEST__FAIL("the viewer gave no answer to \"%s\"", fmt);
    line[strcspn(line, "\n")] = '\0';
    return line;
}

static void finish(viewer *v)
{
    fclose(v->in); /* end of the script: the viewer exits 0 */
    int st;
    ASSERT_EQ(waitpid(v->pid, &st, 0), v->pid);
    fclose(v->out);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
}

/* Pixels of colour c on row y of the timeline (x from 240). */
static int count_colour(SDL_Surface *s, int y, vw_rgba c)
{
    SDL_Surface *a = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    ASSERT_NOT_NULL(a);
    int n = 0;
    for (int x = 240; x < a->w; x++) {
        uint32_t px = ((uint32_t *)((uint8_t *)a->pixels + y * a->pitch))[x];
        n += (uint8_t)(px >> 16) == c.r && (uint8_t)(px >> 8) == c.g && (uint8_t)px == c.b;
    }
    SDL_FreeSurface(a);
    return n;
}

static void setup(void)
{
    int pid = (int)getpid();
    snprintf(trace, sizeof trace, "/tmp/coscope-follow-%d.jsonl", pid);
    snprintf(shot_a, sizeof shot_a, "/tmp/coscope-follow-%d-a.png", pid);
    snprintf(shot_b, sizeof shot_b, "/tmp/coscope-follow-%d-b.png", pid);
    snprintf(shot_c, sizeof shot_c, "/tmp/coscope-follow-%d-c.png", pid);
    signal(SIGPIPE, SIG_IGN);
}

static void test_grow(void)
{
    setup();
    put(HEADER FIRST, 0);
    viewer v;
    start(&v);
    ASSERT_STR_EQ(ask(&v, "shot %s", shot_a),
                  "shot events=5 tasks=1 lanes=2 duration=2000000 playhead=2000000 "
                  "window=0..2000000 live=1 follow=growing");
    ASSERT_STR_EQ(ask(&v, "%s", "poll"), "polled 0"); /* nothing new yet */
    put(SECOND, 1);
    ASSERT_STR_EQ(ask(&v, "%s", "poll"), "polled 8");
    ASSERT_STR_EQ(ask(&v, "shot %s", shot_b),
                  "shot events=13 tasks=2 lanes=3 duration=6000000 playhead=6000000 "
                  "window=0..6000000 live=1 follow=ended");
    ASSERT_STR_EQ(ask(&v, "action %s", "live"), "applied live");
    ASSERT_STR_EQ(ask(&v, "action %s", "home"), "applied home");
    ASSERT_STR_EQ(ask(&v, "shot %s", shot_c),
                  "shot events=13 tasks=2 lanes=3 duration=6000000 playhead=0 "
                  "window=0..6000000 live=0 follow=ended");
    finish(&v);

    /* the new lane: empty in the first frame, running green in the second
     * (late runs 3..5 ms of 6); main's lane runs in both */
    SDL_Surface *a = IMG_Load(shot_a), *b = IMG_Load(shot_b);
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    vw_rgba run = vw__state_colour(TR_ST_RUNNING, 0);
    int lane1 = LANES_Y + LANE_H + LANE_H / 2, lane2 = LANES_Y + 2 * LANE_H + LANE_H / 2;
    ASSERT_CMP(count_colour(a, lane1, run), >, 100);
    ASSERT_EQ(count_colour(a, lane2, run), 0);
    ASSERT_CMP(count_colour(b, lane1, run), >, 100);
    ASSERT_CMP(count_colour(b, lane2, run), >, 100);
    SDL_FreeSurface(a);
    SDL_FreeSurface(b);
    unlink(shot_a);
    unlink(shot_b);
    unlink(shot_c);
    unlink(trace);
}

/* Garbage appended: the lines before it come first, then the poll says
 * file:line; the trace shown is the last good one (live at its end), and
 * later polls give the same answer. */
static void test_garbage(void)
{
    setup();
    put(HEADER FIRST, 0);
    viewer v;
    start(&v);
    ASSERT_STR_EQ(ask(&v, "%s", "poll"), "polled 0"); /* it has read the file */
    put("{\"t\":3000000,\"ev\":\"spawn\",\"task\":2,\"parent\":1,\"name\":\"late\"}\n"
        "{\"t\":3000000,\"ev\":\"run\",\"task\":2,\"why\"}\n",
        1);
    ASSERT_STR_EQ(ask(&v, "%s", "poll"), "polled 1"); /* the spawn before it */
    char want[256];
    snprintf(want, sizeof want, "error %s:8: not a JSON object", trace);
    ASSERT_STR_EQ(ask(&v, "%s", "poll"), want);
    ASSERT_STR_EQ(ask(&v, "shot %s", shot_a),
                  "shot events=6 tasks=2 lanes=3 duration=3000000 playhead=3000000 "
                  "window=0..3000000 live=1 follow=stopped");
    put("{\"t\":4000000,\"ev\":\"run\",\"task\":1}\n", 1);
    ASSERT_STR_EQ(ask(&v, "%s", "poll"), want);
    ASSERT_STR_EQ(ask(&v, "%s", "bogus"), "unknown bogus");
    finish(&v);
    unlink(shot_a);
    unlink(trace);
}

/* The window's way: the poll runs on a worker thread (vw__follow_start)
 * while the state keeps the trace it has, and the swap happens when the
 * window asks (vw__follow_finish). Waits on the worker's flag, not time. */
static void test_worker(void)
{
    setup();
    put(HEADER FIRST, 0);
    vw_follower fw;
    memset(&fw, 0, sizeof fw);
    ASSERT_OK(tr_follow_open(trace, &fw.f));
    ASSERT_EQ(vw__follow_step(&fw, NULL), 5);
    ASSERT_EQ(fw.have_model, 1);
    vw_state st;
    ASSERT_OK(vw__state_init(&st, &fw.m, 1600, 900));
    st.follow = VW_FOLLOW_GROWING;
    vw__live(&st, &fw.m, 1);
    put(SECOND, 1);
    ASSERT_OK(vw__follow_start(&fw));
    ASSERT_EQ(tr_nevents(fw.m.tr), 5); /* meanwhile: the trace it had */
    while (!vw__follow_ready(&fw))
        usleep(1000);
    ASSERT_EQ(tr_nevents(fw.m.tr), 5); /* not swapped before finish */
    ASSERT_EQ(vw__follow_finish(&fw, &st), 8);
    char dump[512];
    vw__state_dump(&st, &fw.m, dump, sizeof dump);
    ASSERT_STR_EQ(dump, "events=13 tasks=2 lanes=3 duration=6000000 playhead=6000000 "
                        "window=0..6000000 live=1 follow=ended");
    ASSERT(fw.m.tr == tr_follow_trace(fw.f));
    /* a worker still running when the view closes is waited for */
    ASSERT_OK(vw__follow_start(&fw));
    vw__state_close(&st);
    vw__follow_close(&fw);
    unlink(trace);
}

/* The first line of /proc/PATH (NUL bytes as spaces), or "". */
static const char *proc_text(const char *fmt, long pid, char *buf, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, fmt, pid);
    buf[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return buf;
    ssize_t r = read(fd, buf, n - 1);
    close(fd);
    buf[r > 0 ? r : 0] = '\0';
    for (ssize_t i = 0; i < r; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    return buf;
}

/* The pid of record's child running coscope-view --follow trace, which
 * has the trace open, or 0 (not yet). */
static long viewer_of(pid_t record)
{
    char kids[256], cmd[4096], want[256], fd_path[128], link[256], path[64];
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)record, (long)record);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t r = read(fd, kids, sizeof kids - 1);
    close(fd);
    kids[r > 0 ? r : 0] = '\0';
    snprintf(want, sizeof want, " --follow %s ", trace);
    for (char *p = strtok(kids, " "); p; p = strtok(NULL, " ")) {
        long kid = atol(p);
        proc_text("/proc/%ld/cmdline", kid, cmd, sizeof cmd);
        if (!strstr(cmd, want))
            continue;
        for (int k = 3; k < 64; k++) { /* tr_follow has the file open */
            snprintf(fd_path, sizeof fd_path, "/proc/%ld/fd/%d", kid, k);
            ssize_t n = readlink(fd_path, link, sizeof link - 1);
            if (n > 0 && (link[n] = '\0', strcmp(link, trace) == 0))
                return kid;
        }
    }
    return 0;
}

/* `record --view -- top_prog`: record runs the program and, beside it,
 * coscope-view --follow on its trace (an old file there is removed first,
 * so the view starts at the run's first line); SIGTERM to the group ends
 * the program and closes the window; record passes the status on. */
static void test_record_view(void)
{
    char dir[] = "/tmp/coscope-rview-XXXXXX";
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/run.jsonl", dir);
    put("an old run's file\n", 0);
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
        unsetenv("COSCOPE_FLIGHT");
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execl(COSCOPE_EXE, COSCOPE_EXE, "record", "--view", "-o", trace, "--", TOP_PROG,
              (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    long view_pid = 0;
    static char text[1 << 16];
    for (;;) { /* no timing: until both hold, or the test's timeout fails it */
        if (!view_pid)
            view_pid = viewer_of(pid);
        int fd = open(trace, O_RDONLY);
        ssize_t r = fd >= 0 ? read(fd, text, sizeof text - 1) : 0;
        if (fd >= 0)
            close(fd);
        text[r > 0 ? r : 0] = '\0';
        if (view_pid && strstr(text, "\"name\":\"spinner\""))
            break;
        usleep(20000);
    }
    int fresh_file = strncmp(text, "{\"ev\":\"trace\",", 14) == 0; /* the old one is gone */
    ASSERT_OK(kill(-pid, SIGTERM)); /* first: a failed check leaves no child */
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 128 + SIGTERM);
    ASSERT_EQ(kill((pid_t)view_pid, 0), -1); /* the window closed too */
    ASSERT(fresh_file);
    unlink(trace);
    rmdir(dir);
}

static const test_case cases[] = {
    {"grow", test_grow},
    {"garbage", test_garbage},
    {"worker", test_worker},
    {"record_view", test_record_view},
    {NULL, NULL},
};

int main(int argc, char **argv) { return test_main(argc, argv, cases); }
