/* tests/crash/test_crash.c: the trace survives the program. Children run a
 * traced program and die: SIGKILL at a random moment, a segfault, an
 * abort, a division by zero, an illegal instruction, ^C, SIGTERM, exit()
 * inside a task, a misuse, a stack overflow, a full disk. The parent then
 * reads each trace with the real reader and checks what was kept and that
 * it ends on the line that says how the run ended (halt / fatal).
 * argv[2], when given, is the coscope binary: every command must still
 * work on every such trace. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coscope/co.h"
#include "coscope/trace.h"
#include "test.h"

static const char *coscope_bin;
static char trace_path[64];

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fresh_path(void)
{
    strcpy(trace_path, "/tmp/coscope-crash-XXXXXX");
    int fd = mkstemp(trace_path);
    ASSERT(fd >= 0);
    close(fd);
}

/* Forks; the child points COSCOPE_TRACE at trace_path, sends its stderr
 * to a pipe and runs fn. Returns the pid; *errfd reads the child's stderr. */
static pid_t spawn_child(void (*fn)(void), int *errfd)
{
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        setenv("COSCOPE_TRACE", trace_path, 1);
        fn();
        _exit(0);
    }
    close(p[1]);
    *errfd = p[0];
    return pid;
}

static void read_all(int fd, char *buf, size_t n)
{
    size_t got = 0;
    ssize_t r;
    while (got + 1 < n && (r = read(fd, buf + got, n - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
}

/* Loads the trace: it must read, with the cut-short warning. */
static tr_trace *load_cut_short(void)
{
    tr_trace *tr = NULL;
    tr_load_opts o = TR_LOAD_OPTS_INIT;
    int rc = tr_load(trace_path, &o, &tr);
    if (rc)
        fprintf(stderr, "load: %s\n", tr_last_error());
    ASSERT_OK(rc);
    ASSERT_EQ(tr_head(tr)->truncated, 1);
    int warned = 0;
    for (size_t i = 0; i < tr_nwarnings(tr); i++)
        if (strstr(tr_warning(tr, i), "trace cut short after"))
            warned = 1;
    ASSERT(warned);
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    ASSERT_OK(tr_analyze(tr, &ao));
    return tr;
}

/* Loads a trace that ended on a `halt` or `fatal` line (`ev`, with `str`
 * its signal name or message): whole, not truncated, no warning, that line
 * last. */
static tr_trace *load_ended(int ev, const char *str)
{
    tr_trace *tr = NULL;
    tr_load_opts o = TR_LOAD_OPTS_INIT;
    int rc = tr_load(trace_path, &o, &tr);
    if (rc)
        fprintf(stderr, "load: %s\n", tr_last_error());
    ASSERT_OK(rc);
    ASSERT_EQ(tr_head(tr)->truncated, 0);
    ASSERT_EQ(tr_nwarnings(tr), 0);
    size_t n = tr_nevents(tr);
    ASSERT_CMP(n, >, 0);
    const tr_event *last = &tr_events(tr)[n - 1];
    ASSERT_EQ(last->ev, ev);
    if (str)
        ASSERT_STR_EQ(tr_str(tr, tr_ev_str(last)), str);
    ASSERT_EQ(tr_head(tr)->duration, last->t); /* durations run to it */
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    ASSERT_OK(tr_analyze(tr, &ao));
    return tr;
}

/* The last mark in the trace, or NULL. */
static const char *last_mark(const tr_trace *tr, uint32_t *task)
{
    const tr_event *ev = tr_events(tr);
    for (size_t i = tr_nevents(tr); i-- > 0;)
        if (ev[i].ev == TR_EV_MARK) {
            if (task)
                *task = ev[i].task;
            return tr_str(tr, tr_ev_str(&ev[i]));
        }
    return NULL;
}

static void check_cli(const char *cmd_name)
{
    if (!coscope_bin)
        return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s %s %s%s > /dev/null 2>&1", coscope_bin,
             cmd_name, trace_path, strcmp(cmd_name, "why") == 0 ? " 1" : "");
    int st = system(cmd);
    ASSERT(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0)
        fprintf(stderr, "coscope %s %s: exit %d\n", cmd_name, trace_path,
                WEXITSTATUS(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
}

static void check_stalls_cli(void)
{
    check_cli("stalls");
}

/* `coscope ARGS` (TRACE in ARGS stands for the trace): exit 0 asserted,
 * its stdout in out (NUL-terminated, cut at n - 1 bytes). */
static void cli_output(const char *args, char *out, size_t n)
{
    char cmd[1024];
    const char *t = strstr(args, "TRACE");
    ASSERT_NOT_NULL(t);
    snprintf(cmd, sizeof cmd, "%s %.*s%s%s 2>/dev/null", coscope_bin, (int)(t - args), args,
             trace_path, t + 5);
    FILE *p = popen(cmd, "r");
    ASSERT_NOT_NULL(p);
    size_t got = fread(out, 1, n - 1, p);
    out[got] = '\0';
    while (fgetc(p) != EOF) /* let it finish */
        ;
    int st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "coscope %s: status %d; stdout:\n%s\n", args, st, out);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
}

/* `coscope view --screenshot` draws the trace headless (when the viewer
 * is built: the CLI finds coscope-view beside itself): exit 0, a PNG. */
static void check_view(void)
{
#ifdef COSCOPE_VIEWER_BUILT
    if (!coscope_bin)
        return;
    char png[96], cmd[512];
    snprintf(png, sizeof png, "%s.png", trace_path);
    unlink(png);
    snprintf(cmd, sizeof cmd, "SDL_VIDEODRIVER=offscreen %s view %s --screenshot %s > /dev/null 2>&1",
             coscope_bin, trace_path, png);
    int st = system(cmd);
    ASSERT(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0)
        fprintf(stderr, "coscope view %s --screenshot: exit %d\n", trace_path, WEXITSTATUS(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    FILE *f = fopen(png, "rb");
    ASSERT_NOT_NULL(f);
    unsigned char b[8] = {0};
    ASSERT_EQ(fread(b, 1, 8, f), 8);
    fclose(f);
    ASSERT(memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0);
    unlink(png);
#endif
}

/* Every command reads a trace that ended on a halt or fatal line. */
static void check_every_cli(void)
{
    check_cli("stalls");
    check_cli("stats");
    check_cli("export --chrome -o /dev/null");
    check_cli("validate");
    check_cli("why"); /* the trace, then task 1: see check_cli */
    check_cli("top --once");
    check_view();
}

/* ---- SIGKILL at a random moment ---- */

static void *busy_ticker(void *arg)
{
    (void)arg;
    for (;;) {
        co_yield();
        co_sleep(1);
    }
    return NULL;
}

static void *ticker_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++)
        co_detach(co_spawn(busy_ticker, NULL, "busy"));
    for (;;) {
        co_mark("tick %lld", (long long)mono_ns());
        co_sleep(5);
    }
    return NULL;
}

static void ticker_child(void)
{
    co_main(ticker_main, NULL);
}

/* The value of the last whole "tick N" line in the trace file so far, or
 * -1: what the writer has put on disk. */
static long long last_tick_on_disk(void)
{
    FILE *f = fopen(trace_path, "r");
    ASSERT_NOT_NULL(f);
    static char line[4096];
    long long last = -1, v;
    while (fgets(line, sizeof line, f)) {
        const char *m = strstr(line, "\"msg\":\"tick ");
        if (m && strchr(line, '\n') && sscanf(m + 12, "%lld", &v) == 1)
            last = v;
    }
    fclose(f);
    return last;
}

/* Killed at a random moment, the trace keeps every tick the writer had put
 * on disk before the kill, and reads as cut short. How much was lost is a
 * wall-clock figure (it depends on when the kernel ran the writer thread),
 * printed, not asserted: on a loaded machine any bound flakes. */
static void test_sigkill(void)
{
    fresh_path();
    unsigned seed = (unsigned)mono_ns();
    srand(seed);
    int delay_ms = 300 + rand() % 500;
    int errfd;
    pid_t pid = spawn_child(ticker_child, &errfd);
    usleep((useconds_t)delay_ms * 1000);
    long long on_disk = -1;
    for (int i = 0; i < 6000 && (on_disk = last_tick_on_disk()) < 0; i++)
        usleep(10 * 1000); /* the writer flushes while the program runs */
    ASSERT_CMP(on_disk, >=, 0);
    int64_t killed_at = mono_ns();
    kill(pid, SIGKILL);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    close(errfd);
    ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    tr_trace *tr = load_cut_short();
    const char *m = last_mark(tr, NULL);
    ASSERT_NOT_NULL(m);
    long long at = 0;
    ASSERT_EQ(sscanf(m, "tick %lld", &at), 1);
    ASSERT_CMP(at, >=, on_disk);
    fprintf(stderr, "killed after %d ms (seed %u): last mark %.1f ms before\n",
            delay_ms, seed, (double)(killed_at - at) / 1e6);
    tr_free(tr);
    check_stalls_cli();
    unlink(trace_path);
}

/* ---- fatal signals inside a task ---- */

static int crash_kind;

static void *crasher(void *arg)
{
    (void)arg;
    co_sleep(2);
    co_mark("about to crash");
    volatile int zero = 0, one = 1;
    switch (crash_kind) {
    case SIGSEGV:
        *(volatile int *)(uintptr_t)zero = 1;
        break;
    case SIGABRT:
        abort();
    case SIGILL:
        __builtin_trap(); /* ud2 */
    case SIGINT:
    case SIGTERM:
        raise(crash_kind); /* ^C, kill: the usual way to stop a server */
        break;
    case SIGFPE: {
#if defined(__x86_64__)
        /* A real idiv, out of UBSan's sight (it would stop at the UB first
         * with an exit, not a signal). */
        int a = one, b = zero, q;
        __asm__ volatile("cltd; idivl %2" : "=a"(q) : "a"(a), "r"(b) : "edx");
        (void)q;
#else
        volatile int x = one / zero;
        (void)x;
#endif
        break;
    }
    }
    return NULL;
}

static void *crash_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        co_detach(co_spawn(busy_ticker, NULL, "busy"));
    co_join(co_spawn(crasher, NULL, "crasher"), NULL);
    return NULL;
}

static void crash_child(void)
{
    co_main(crash_main, NULL);
}

static void crash_case(int sig)
{
    fresh_path();
    crash_kind = sig;
    int errfd;
    pid_t pid = spawn_child(crash_child, &errfd);
    char err[4096];
    read_all(errfd, err, sizeof err);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
#ifdef CO_ASAN
    /* ASan turns SEGV and FPE into a report and exit(1) after our flush. */
    if (sig != SIGABRT && WIFEXITED(st)) {
        ASSERT_NE(WEXITSTATUS(st), 0);
        if (!strstr(err, "Sanitizer"))
            fprintf(stderr, "child stderr:\n%s\n", err);
        ASSERT(strstr(err, "Sanitizer") != NULL);
    } else
#endif
    {
        ASSERT(WIFSIGNALED(st));
        ASSERT_EQ(WTERMSIG(st), sig);
    }
    char signame[32];
    snprintf(signame, sizeof signame, "SIG%s", sigabbrev_np(sig));
    tr_trace *tr = load_ended(TR_EV_HALT, signame);
    uint32_t task = 0;
    const char *m = last_mark(tr, &task);
    ASSERT_NOT_NULL(m);
    ASSERT_STR_EQ(m, "about to crash");
    const tr_task *t = tr_task_by_id(tr, task);
    ASSERT_NOT_NULL(t);
    ASSERT_STR_EQ(tr_str(tr, t->name), "crasher");
    /* Every event up to the crash: the crasher's mark is its last event. */
    const tr_event *ev = tr_events(tr);
    size_t last_of_task = 0;
    for (size_t i = 0; i < tr_nevents(tr); i++)
        if (ev[i].task == task)
            last_of_task = i;
    ASSERT_EQ(ev[last_of_task].ev, TR_EV_MARK);
    tr_free(tr);
    check_every_cli();
    unlink(trace_path);
}

static void test_segv(void)
{
    crash_case(SIGSEGV);
}
static void test_abort(void)
{
    crash_case(SIGABRT);
}
static void test_fpe(void)
{
    crash_case(SIGFPE);
}
static void test_ill(void)
{
    crash_case(SIGILL);
}
static void test_sigint(void)
{
    crash_case(SIGINT);
}
static void test_sigterm(void)
{
    crash_case(SIGTERM);
}

/* ---- exit() inside a task ---- */

static void *exiter(void *arg)
{
    (void)arg;
    co_sleep(1);
    co_mark("exiting");
    exit(3);
}

static void *exit_main(void *arg)
{
    (void)arg;
    co_detach(co_spawn(busy_ticker, NULL, "busy"));
    co_join(co_spawn(exiter, NULL, "exiter"), NULL);
    return NULL;
}

static void exit_child(void)
{
    co_main(exit_main, NULL);
}

static void test_exit_in_task(void)
{
    fresh_path();
    int errfd;
    pid_t pid = spawn_child(exit_child, &errfd);
    char err[4096];
    read_all(errfd, err, sizeof err);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 3);
    tr_trace *tr = load_ended(TR_EV_HALT, NULL);
    const tr_event *last = &tr_events(tr)[tr_nevents(tr) - 1];
    ASSERT_EQ(last->flags, TR_F_CODE);
    ASSERT_EQ(tr_ev_val(tr, last), 3);
    ASSERT_STR_EQ(last_mark(tr, NULL), "exiting");
    tr_free(tr);
    check_every_cli();
    if (coscope_bin) {
        static char out[8192];
        cli_output("stats TRACE", out, sizeof out);
        ASSERT_NOT_NULL(
            strstr(out, "\n  ended      the program called exit(3) before co_main returned\n"));
        cli_output("stalls --json TRACE", out, sizeof out);
        ASSERT_NOT_NULL(strstr(out, ",\"ending\":{\"kind\":\"exit\",\"words\":\"the program "
                                    "called exit(3) before co_main returned\"},"));
    }
    unlink(trace_path);
}

/* ---- a misuse: the fatal line ---- */

static void *bad_unlocker(void *arg)
{
    co_mark("unlocking what I never locked");
    co_mutex_unlock(arg);
    return NULL;
}

static void *fatal_main(void *arg)
{
    (void)arg;
    co_mutex *m = co_mutex_name(co_mutex_new(), "table");
    co_join(co_spawn(bad_unlocker, m, "sloppy"), NULL);
    return NULL;
}

static void fatal_child(void)
{
    co_main(fatal_main, NULL);
}

static void test_fatal(void)
{
    fresh_path();
    int errfd;
    pid_t pid = spawn_child(fatal_child, &errfd);
    char err[4096];
    read_all(errfd, err, sizeof err);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFSIGNALED(st));
    ASSERT_EQ(WTERMSIG(st), SIGABRT);
    ASSERT(strstr(err, "coscope: fatal: task 2 \"sloppy\": co_mutex_unlock of "
                       "mutex ") != NULL);
    const char *msg = strstr(err, "task 2");
    char *nl = strchr(msg, '\n');
    ASSERT_NOT_NULL(nl);
    *nl = '\0';
    tr_trace *tr = load_ended(TR_EV_FATAL, msg);
    ASSERT_EQ(tr_events(tr)[tr_nevents(tr) - 1].task, 2);
    long long fatal_t = (long long)tr_events(tr)[tr_nevents(tr) - 1].t;
    ASSERT_STR_EQ(last_mark(tr, NULL), "unlocking what I never locked");
    tr_free(tr);
    check_every_cli();
    if (!coscope_bin)
        return;
    /* top and why see the run end at the fatal line, with its task
     * running there */
    static char out[8192];
    char want[256], args[128];
    cli_output("top --once --json TRACE", out, sizeof out);
    snprintf(want, sizeof want, "\"truncated\":false,\"t\":%lld,", fatal_t);
    ASSERT_NOT_NULL(strstr(out, want));
    ASSERT_NOT_NULL(strstr(out, "\n{\"id\":2,\"name\":\"sloppy\",\"state\":\"running\","
                                "\"wait\":null,\"at\":null,"));
    /* every text surface says how the run ended, in the runtime's words */
    char died[1200], line[1300];
    snprintf(died, sizeof died, "the program died: %s", msg);
    snprintf(line, sizeof line, " (%s); loop busy ", died);
    cli_output("top --once TRACE", out, sizeof out);
    ASSERT_NOT_NULL(strstr(out, line));
    cli_output("stalls TRACE", out, sizeof out);
    ASSERT_EQ(strncmp(out, died, strlen(died)), 0);
    ASSERT_EQ(out[strlen(died)], '\n');
    snprintf(line, sizeof line, "\n  ended      %s\n", died);
    cli_output("stats TRACE", out, sizeof out);
    ASSERT_NOT_NULL(strstr(out, line));
    cli_output("stalls --json TRACE", out, sizeof out);
    ASSERT_NOT_NULL(strstr(out, ",\"ending\":{\"kind\":\"fatal\",\"words\":\"the program "
                                "died: task 2 \\\"sloppy\\\": co_mutex_unlock of mutex "));
    snprintf(args, sizeof args, "why TRACE 2 --at %lldns --json", fatal_t);
    cli_output(args, out, sizeof out);
    snprintf(want, sizeof want,
             "{\"task\":2,\"name\":\"sloppy\",\"at\":%lld,\"state\":\"running\","
             "\"sink\":\"run\",\"cause\":",
             fatal_t);
    if (strncmp(out, want, strlen(want)) != 0)
        TEST__FAIL("why: %s", out);
    /* the cause: none, unless the slice blocked the loop over 20 ms (as it
     * can under valgrind), when it is that stall's cause 0 */
    const char *rest = out + strlen(want);
    int is_cause = strncmp(rest, "0,", 2) == 0;
    ASSERT(is_cause || strncmp(rest, "null,", 5) == 0);
    rest += is_cause ? 2 : 5;
    static const char chain[] =
        "\"chain\":[{\"task\":2,\"name\":\"sloppy\",\"state\":\"running\",\"t\":";
    if (strncmp(rest, chain, strlen(chain)) != 0)
        TEST__FAIL("why: %s", out);
    long long run_t = 0, dur = 0;
    ASSERT_EQ(sscanf(rest + strlen(chain), "%lld,\"dur_ns\":%lld}]}", &run_t, &dur), 2);
    ASSERT_EQ(run_t + dur, fatal_t); /* its run slice ends at the fatal line */
    ASSERT(!is_cause || dur > 20000000); /* a stall is a slice over the 20 ms */
    snprintf(args, sizeof args, "why TRACE 2 --at %lldns", fatal_t);
    cli_output(args, out, sizeof out);
    ASSERT_STR_EQ(strchr(out, '\n') ? strchr(out, '\n') + 1 : "x", "");
    ASSERT_NOT_NULL(strstr(out, "sloppy (2) was running at "));
    unlink(trace_path);
}

/* ---- stack overflow ---- */

static int recurse(volatile char *p, int depth)
{
    volatile char buf[512];
    buf[0] = (char)depth;
    if (p)
        buf[1] = p[0];
    if (depth > 1000000)
        return 0;
    return recurse(buf, depth + 1) + buf[1];
}

static void *deep(void *arg)
{
    (void)arg;
    co_mark("going deep");
    recurse(NULL, 0);
    return NULL;
}

static void *overflow_main(void *arg)
{
    (void)arg;
    co_sleep(1);
    co_join(co_spawn(deep, NULL, "handle_client"), NULL);
    return NULL;
}

static void overflow_child(void)
{
    co_main(overflow_main, NULL);
}

static void test_stack_overflow(void)
{
    fresh_path();
    int errfd;
    pid_t pid = spawn_child(overflow_child, &errfd);
    char err[4096];
    read_all(errfd, err, sizeof err);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFSIGNALED(st));
    ASSERT(strstr(err, "coscope: stack overflow in task 2 \"handle_client\""));
    tr_trace *tr = load_ended(TR_EV_FATAL, "stack overflow in task 2 "
                                           "\"handle_client\" (raise COSCOPE_STACK_KB)");
    const char *m = last_mark(tr, NULL);
    ASSERT_NOT_NULL(m);
    ASSERT_STR_EQ(m, "going deep");
    tr_free(tr);
    check_every_cli();
    unlink(trace_path);
}

/* ---- the disk fills up ---- */

static long yields_done;

static void *yielder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        co_yield();
        yields_done++;
    }
    return NULL;
}

static void *disk_main(void *arg)
{
    (void)arg;
    co_task *a = co_spawn(yielder, NULL, "a");
    co_task *b = co_spawn(yielder, NULL, "b");
    co_join(a, NULL);
    co_join(b, NULL);
    return NULL;
}

static void disk_child(void)
{
    struct rlimit rl = {64 * 1024, 64 * 1024};
    setrlimit(RLIMIT_FSIZE, &rl);
    int rc = co_main(disk_main, NULL);
    /* The program went on to the end despite the trace. */
    _exit(rc == 0 && yields_done == 40000 ? 0 : 1);
}

static void test_disk_full(void)
{
    fresh_path();
    int errfd;
    pid_t pid = spawn_child(disk_child, &errfd);
    char err[4096];
    read_all(errfd, err, sizeof err);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    /* Told once. */
    const char *first = strstr(err, "coscope: trace write to");
    ASSERT_NOT_NULL(first);
    ASSERT_NULL(strstr(first + 1, "coscope: trace write to"));
    tr_trace *tr = load_cut_short();
    ASSERT_CMP(tr_nevents(tr), >, 100);
    tr_free(tr);
    check_stalls_cli();
    unlink(trace_path);
}

static const test_case cases[] = {
    {"sigkill", test_sigkill},
    {"segv", test_segv},
    {"abort", test_abort},
    {"fpe", test_fpe},
    {"ill", test_ill},
    {"sigint", test_sigint},
    {"sigterm", test_sigterm},
    {"exit_in_task", test_exit_in_task},
    {"fatal", test_fatal},
    {"stack_overflow", test_stack_overflow},
    {"disk_full", test_disk_full},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc > 2)
        coscope_bin = argv[2];
    return test_main(argc > 1 ? 2 : argc, argv, cases);
}
