/* tests/replay/test_replay.c: record with `coscope record --replayable`,
 * re-run with `coscope replay`, as a user would (fork + exec, output to
 * files). The examples replay identically again and again; a client
 * replays with its server process gone; a changed branch, a read of the
 * wall clock and a write of other bytes are each reported at the right
 * event with the exact text; --stop-at stops before the right event, in
 * the right task (gdb checks the frame and a local). No timing: every
 * figure compared comes from the recorded trace itself. */
#include "coscope/trace.h"
#include "coscope/tr_replay.h"
#include "run_prog.h"
#include "test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef EX_BIN_DIR
#error "EX_BIN_DIR must name the directory of the example binaries"
#endif


static char dir[64];

static void make_dir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/coscope-rp-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(dir));
    }
}

/* Runs argv with env ("K=V" set, "K" unset; NULL-terminated, may be NULL). */
static run run_argv(char *const argv[], const char *const env[])
{
    make_dir();
    return run_capture(dir, argv, env);
}

/* argv for `coscope SUB [opts...] TRACE -- PROG [args...]`: opts and args
 * are NULL-terminated runs in one list: opts, NULL, prog, args, NULL. */
#define MAXARG 24
static void build_argv(char **v, const char *sub, const char *trace, va_list ap)
{
    int n = 0;
    const char *a;
    v[n++] = COSCOPE_BIN;
    v[n++] = (char *)sub;
    while ((a = va_arg(ap, const char *)) != NULL && n < MAXARG - 4)
        v[n++] = (char *)a;
    if (strcmp(sub, "record") == 0) {
        v[n++] = "--replayable";
        v[n++] = "-o";
    }
    v[n++] = (char *)trace;
    v[n++] = "--";
    while ((a = va_arg(ap, const char *)) != NULL && n < MAXARG - 1)
        v[n++] = (char *)a;
    v[n] = NULL;
}

static run coscope(const char *const env[], const char *sub, const char *trace, ...)
{
    char *v[MAXARG];
    va_list ap;
    va_start(ap, trace);
    build_argv(v, sub, trace, ap);
    va_end(ap);
    return run_argv(v, env);
}

static char *path_in_dir(const char *name)
{
    make_dir();
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    ASSERT_NOT_NULL(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static const char *ex(const char *prog)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", EX_BIN_DIR, prog);
    return buf[k];
}

/* ---- the recorded trace, numbered as the runtime numbers events ---- */

static int is_event(const char *l)
{
    return !strstr(l, "\"ev\":\"trace\"") && !strstr(l, "\"ev\":\"work_") &&
           !strstr(l, "\"ev\":\"end\"") && !strstr(l, "\"ev\":\"halt\"");
}

/* The number of the first event containing `after` (NULL: any), then the
 * first from there containing `needle` (0 if none); its line in *lineno
 * and its t in *t when non-NULL. count: how many events in all. */
static size_t find_event(const char *trace, const char *after, const char *needle,
                         size_t *lineno, long long *t, size_t *count)
{
    char *text = test_slurp(trace, NULL);
    ASSERT_NOT_NULL(text);
    size_t ev = 0, line = 0, found = 0;
    int armed = after == NULL;
    for (char *l = text, *nl; (nl = strchr(l, '\n')) != NULL; l = nl + 1) {
        *nl = '\0';
        line++;
        if (!is_event(l))
            continue;
        ev++;
        if (!armed && strstr(l, after))
            armed = 1;
        if (armed && !found && needle && strstr(l, needle)) {
            found = ev;
            if (lineno)
                *lineno = line;
            if (t)
                *t = strtoll(l + 5, NULL, 10);
        }
    }
    free(text);
    if (count)
        *count = ev;
    return found;
}

static size_t count_events(const char *trace)
{
    size_t n;
    find_event(trace, NULL, NULL, NULL, NULL, &n);
    return n;
}

/* The last line of text (without its '\n'), in buf. */
static const char *last_line(const char *text, char *buf, size_t n)
{
    size_t len = strlen(text);
    while (len && text[len - 1] == '\n')
        len--;
    size_t start = len;
    while (start && text[start - 1] != '\n')
        start--;
    snprintf(buf, n, "%.*s", (int)(len - start), text + start);
    return buf;
}

static void assert_identical(run *r, size_t n)
{
    char want[80], got[512];
    snprintf(want, sizeof want, "replayed %zu events, identical", n);
    if (r->status != 0 || strcmp(last_line(r->out, got, sizeof got), want) != 0)
        TEST__FAIL("want \"%s\", exit 0; got exit %d:\n%s\nstderr:\n%s", want,
                   r->status, r->out, r->err);
}

/* Records prog (args: NULL-terminated) with --replayable into name, then
 * replays it `times` times, each identical. */
/* The reader's numbering (tr_replay_index: what the viewer offers as
 * --stop-at) agrees with the runtime's, counted from the file's lines as
 * find_event does, for every event the reader keeps. */
static void check_numbers(const char *trace)
{
    tr_trace *tr = NULL;
    ASSERT_OK(tr_load(trace, NULL, &tr));
    tr_replay_index *x = NULL;
    ASSERT_OK(tr_replay_index_new(tr, &x));
    size_t nlines = 0;
    for (size_t i = 0; i < tr_nevents(tr); i++)
        nlines = tr_ev_line(tr, i) > nlines ? tr_ev_line(tr, i) : nlines;
    uint64_t *want = calloc(nlines + 2, sizeof *want);
    ASSERT_NOT_NULL(want);
    char *text = test_slurp(trace, NULL);
    ASSERT_NOT_NULL(text);
    uint64_t ev = 0;
    size_t line = 0;
    for (char *l = text, *nl; (nl = strchr(l, '\n')) != NULL && line <= nlines; l = nl + 1) {
        *nl = '\0';
        line++;
        if (is_event(l) && line <= nlines)
            want[line] = ++ev;
    }
    size_t checked = 0;
    for (size_t i = 0; i < tr_nevents(tr); i++) {
        uint64_t got = tr_replay_index_event(x, tr, i), w = want[tr_ev_line(tr, i)];
        if (got != w)
            TEST__FAIL("%s:%u: reader numbers it %llu, the runtime %llu", trace,
                       tr_ev_line(tr, i), (unsigned long long)got, (unsigned long long)w);
        checked += w != 0;
    }
    ASSERT(checked > 20);
    free(text);
    free(want);
    tr_replay_index_free(x);
    tr_free(tr);
}

static void record_and_replay(const char *name, int times, const char *prog, ...)
{
    char *trace = path_in_dir(name);
    const char *args[10] = {0};
    va_list ap;
    va_start(ap, prog);
    for (int i = 0; i < 9 && (args[i] = va_arg(ap, const char *)); i++)
        ;
    va_end(ap);
    run r = coscope(NULL, "record", trace, NULL, prog, args[0], args[1], args[2],
                    args[3], args[4], args[5], args[6], args[7], args[8], NULL);
    ASSERT_EQ(r.status, 0);
    run_free(&r);
    size_t n = count_events(trace);
    ASSERT(n > 20);
    check_numbers(trace);
    for (int k = 0; k < times; k++) {
        r = coscope(NULL, "replay", trace, NULL, prog, args[0], args[1], args[2],
                    args[3], args[4], args[5], args[6], args[7], args[8], NULL);
        assert_identical(&r, n);
        run_free(&r);
    }
    free(trace);
}

/* ---- the examples ---- */

static void test_echo(void)
{
    record_and_replay("echo.jsonl", 10, ex("echo_server"), "--clients", "4",
                      "--bytes", "20000", NULL);
}

static void test_crawler(void)
{
    record_and_replay("crawler.jsonl", 10, ex("crawler"), "--crawlers", "4",
                      "--pages", "40", "--slow-ms", "20", NULL);
}

static void test_fib_offload(void)
{
    record_and_replay("fib.jsonl", 10, ex("fib_server"), "--offload", "--clients",
                      "2", "--requests", "3", "--n", "22", NULL);
}

/* Deadlines, a select timeout, cancelled reads and sleeps. */
static void test_waits(void)
{
    record_and_replay("waits.jsonl", 3, RP_WAITS, NULL);
}

/* A run under explore.c's seeded scheduler replays under its seed, which
 * the log keeps: the replay's environment has none, or another. */
static void test_seed(void)
{
    char *trace = path_in_dir("seed.jsonl");
    const char *seeded[] = {"COSCOPE_SEED=7", NULL};
    run r = coscope(seeded, "record", trace, NULL, ex("crawler"), "--crawlers",
                    "4", "--pages", "40", "--slow-ms", "20", NULL);
    ASSERT_EQ(r.status, 0);
    run_free(&r);
    size_t n = count_events(trace);
    const char *other[] = {"COSCOPE_SEED=8", NULL};
    for (int k = 0; k < 2; k++) {
        r = coscope(k ? other : NULL, "replay", trace, NULL, ex("crawler"),
                    "--crawlers", "4", "--pages", "40", "--slow-ms", "20", NULL);
        assert_identical(&r, n);
        run_free(&r);
    }
    free(trace);
}

/* The file calls replay with their directory gone. */
static void test_files(void)
{
    char *trace = path_in_dir("files.jsonl");
    char *fsdir = path_in_dir("fsdir");
    ASSERT_EQ(mkdir(fsdir, 0755), 0);
    run r = coscope(NULL, "record", trace, NULL, RP_FILES, fsdir, NULL);
    ASSERT_EQ(r.status, 0);
    run_free(&r);
    ASSERT_EQ(rmdir(fsdir), 0); /* rp_files left it empty */
    size_t n = count_events(trace);
    ASSERT(find_event(trace, NULL, "\"msg\":\"entry a.txt dir 0\"", NULL,
                      NULL, NULL) > 0);
    for (int k = 0; k < 3; k++) {
        r = coscope(NULL, "replay", trace, NULL, RP_FILES, fsdir, NULL);
        assert_identical(&r, n);
        ASSERT(strncmp(r.out, "rp_files: ok\n", 13) == 0);
        run_free(&r);
    }
    struct stat st;
    ASSERT(stat(fsdir, &st) != 0); /* the replay made nothing */
    free(fsdir);
    free(trace);
}

/* A subprocess replays without running: its pipes' bytes and its exit
 * status come from the log, and the marker it touched when recorded is
 * not touched again. */
static void test_proc(void)
{
    char *trace = path_in_dir("proc.jsonl");
    char *mark = path_in_dir("proc.marker");
    run r = coscope(NULL, "record", trace, NULL, RP_PROC, mark, NULL);
    ASSERT_EQ(r.status, 0);
    run_free(&r);
    ASSERT_EQ(unlink(mark), 0); /* the recorded shell touched it */
    ASSERT(find_event(trace, NULL, "\"msg\":\"status 3\"", NULL, NULL, NULL) > 0);
    size_t n = count_events(trace);
    for (int k = 0; k < 3; k++) {
        r = coscope(NULL, "replay", trace, NULL, RP_PROC, mark, NULL);
        assert_identical(&r, n);
        ASSERT(strncmp(r.out, "rp_proc: ok\n", 12) == 0);
        run_free(&r);
    }
    ASSERT(access(mark, F_OK) != 0);
    free(mark);
    free(trace);
}

/* Posts from another thread of the program run where they ran. */
static void test_post(void)
{
    record_and_replay("post.jsonl", 3, RP_POST, NULL);
}

/* ---- a client of a server in another process ---- */

static pid_t server_pid;

/* A plain blocking echo server in a child process, for one connection. */
static int server_start(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(ls >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    ASSERT_EQ(listen(ls, 4), 0);
    ASSERT_EQ(getsockname(ls, (struct sockaddr *)&a, &len), 0);
    fflush(NULL);
    server_pid = fork();
    ASSERT(server_pid >= 0);
    if (server_pid == 0) {
        int c = accept(ls, NULL, NULL);
        char buf[256];
        ssize_t n;
        while (c >= 0 && (n = read(c, buf, sizeof buf)) > 0)
            if (write(c, buf, (size_t)n) != n)
                break;
        _exit(0);
    }
    close(ls);
    return ntohs(a.sin_port);
}

static void server_stop(void)
{
    kill(server_pid, SIGTERM);
    int st;
    ASSERT_EQ(waitpid(server_pid, &st, 0), server_pid);
}

/* Records rp_client against a live server (args after the port), stops
 * the server; returns the trace path and the port (as text) in port. */
static char *record_client(const char *name, char *port, size_t n, const char *arg)
{
    char *trace = path_in_dir(name);
    snprintf(port, n, "%d", server_start());
    run r = coscope(NULL, "record", trace, NULL, RP_CLIENT, port, arg, NULL);
    ASSERT_EQ(r.status, 0);
    run_free(&r);
    server_stop();
    return trace;
}

static void test_external(void)
{
    char port[16];
    char *trace = record_client("client.jsonl", port, sizeof port, NULL);
    size_t n = count_events(trace);
    for (int k = 0; k < 3; k++) {
        run r = coscope(NULL, "replay", trace, NULL, RP_CLIENT, port, NULL);
        assert_identical(&r, n);
        ASSERT(strncmp(r.out, "rp_client: 4 rounds\n", 20) == 0);
        run_free(&r);
    }
    free(trace);
}

/* A server recorded until it is killed (SIGTERM to `coscope record`,
 * which passes it on), its client a separate process: the log is whole up
 * to the kill, and the replay matches every recorded event. */
static void test_killed(void)
{
    char *trace = path_in_dir("killed.jsonl");
    char *out = path_in_dir("killed.out");
    char *argv[] = {COSCOPE_BIN, "record", "--replayable", "-o", trace, "--",
                    (char *)ex("echo_server"), "--port", "0", NULL};
    fflush(NULL);
    pid_t rec = fork();
    ASSERT(rec >= 0);
    if (rec == 0) {
        if (!freopen(out, "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    /* Its port, from its first line (however long it takes to start). */
    const char *pre = "echo_server: listening on 127.0.0.1:";
    char *text = NULL, port[16] = "";
    for (;;) {
        free(text);
        text = test_slurp(out, NULL);
        char *p = text ? strstr(text, pre) : NULL;
        if (p && strchr(p, '\n')) {
            snprintf(port, sizeof port, "%d", atoi(p + strlen(pre)));
            break;
        }
        int st;
        ASSERT_EQ(waitpid(rec, &st, WNOHANG), 0); /* still running */
        usleep(10000);
    }
    free(text);
    char *client[] = {RP_CLIENT, port, NULL};
    run r = run_argv(client, NULL);
    ASSERT_EQ(r.status, 0);
    run_free(&r);
    ASSERT_EQ(kill(rec, SIGTERM), 0);
    int st;
    ASSERT_EQ(waitpid(rec, &st, 0), rec);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM);
    size_t n = count_events(trace);
    char want[128], got[512];
    snprintf(want, sizeof want, "replayed %zu events, identical (the recording "
             "ends there)", n);
    r = coscope(NULL, "replay", trace, NULL, ex("echo_server"), "--port", "0",
                NULL);
    if (r.status != 0 || strcmp(last_line(r.out, got, sizeof got), want) != 0)
        TEST__FAIL("want \"%s\", exit 0; got exit %d:\n%s\nstderr:\n%s", want,
                   r.status, r.out, r.err);
    run_free(&r);
    free(out);
    free(trace);
}

static const char generic_reason[] =
    "likely reason: the program read something the runtime does not control "
    "(time(), rand(), getenv, a file read with stdio) and took another path\n";

/* The report of a difference at event ev (recorded line `line`): its
 * first line and the reason, exactly; the two lines contain rec / rep. */
static void assert_differs(run *r, size_t ev, size_t line, const char *rec,
                           const char *rep)
{
    char head[128];
    snprintf(head, sizeof head, "coscope replay: event %zu differs (recorded "
             "trace line %zu)\n", ev, line);
    const char *h = strstr(r->out, head);
    if (r->status != 1 || !h)
        TEST__FAIL("want \"%s\", exit 1; got exit %d:\n%s\nstderr:\n%s", head,
                   r->status, r->out, r->err);
    const char *l1 = strstr(h, "\n  recorded: ");
    const char *l2 = strstr(h, "\n  replayed: ");
    ASSERT(l1 && l2 && l1 < l2);
    const char *e1 = strchr(l1 + 1, '\n');
    const char *e2 = strchr(l2 + 1, '\n');
    const char *f1 = strstr(l1, rec), *f2 = strstr(l2, rep);
    if (!f1 || f1 > e1 || !f2 || f2 > e2)
        TEST__FAIL("recorded line without %s or replayed without %s:\n%s", rec,
                   rep, r->out);
    ASSERT(strstr(h, "\nlast matching events:\n") != NULL);
    ASSERT(strstr(h, generic_reason) != NULL);
}

static void test_branch(void)
{
    char port[16];
    char *trace = record_client("branch.jsonl", port, sizeof port, NULL);
    size_t line = 0;
    size_t ev = find_event(trace, "got 2: hello 2", "\"why\":\"sleep\"", &line,
                           NULL, NULL);
    ASSERT(ev > 0);
    const char *env[] = {"RP_BRANCH=1", NULL};
    run r = coscope(env, "replay", trace, NULL, RP_CLIENT, port, NULL);
    assert_differs(&r, ev, line, "\"ms\":10", "\"ms\":11");
    run_free(&r);
    free(trace);
}

static void test_clock(void)
{
    char port[16];
    char *trace = record_client("clock.jsonl", port, sizeof port, "--clock");
    size_t line = 0;
    size_t ev = find_event(trace, NULL, "\"msg\":\"clock ", &line, NULL, NULL);
    ASSERT(ev > 0);
    run r = coscope(NULL, "replay", trace, NULL, RP_CLIENT, port, "--clock", NULL);
    assert_differs(&r, ev, line, "\"msg\":\"clock ", "\"msg\":\"clock ");
    run_free(&r);
    free(trace);
}

/* Another program on the same recording: the report blames the binary. */
static void test_binary(void)
{
    char port[16];
    char *trace = record_client("binary.jsonl", port, sizeof port, NULL);
    run r = coscope(NULL, "replay", trace, NULL, RP_WAITS, NULL);
    ASSERT_EQ(r.status, 1);
    const char *why = strstr(r.out, "\nlikely reason: ");
    if (!why || strncmp(why, "\nlikely reason: the binary changed (build id ",
                        45) != 0 || !strstr(why, " was recorded, ") ||
        !strstr(why, " replayed)\n"))
        TEST__FAIL("no binary-changed reason in:\n%s", r.out);
    ASSERT(strncmp(r.out, "coscope replay: event ", 22) == 0 ||
           strstr(r.out, "\ncoscope replay: event ") != NULL);
    run_free(&r);
    free(trace);
}

static void test_content(void)
{
    char port[16];
    char *trace = record_client("content.jsonl", port, sizeof port, NULL);
    char want[256], got[512];
    snprintf(want, sizeof want, "coscope replay: %zu events identical, but a "
             "write's content differs: task 2 \"client\": co_write wrote other "
             "bytes than the recording (8 bytes, recorded 8)",
             count_events(trace));
    const char *env[] = {"RP_UPPER=1", NULL};
    run r = coscope(env, "replay", trace, NULL, RP_CLIENT, port, NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(last_line(r.out, got, sizeof got), want);
    run_free(&r);
    free(trace);
}

/* ---- stopping ---- */

static void assert_stopped(run *r, size_t ev)
{
    char want[128], got[512];
    snprintf(want, sizeof want, "stopped before event %zu as asked; the %zu "
             "events before it are identical", ev, ev - 1);
    if (r->status != 0 || strcmp(last_line(r->out, got, sizeof got), want) != 0)
        TEST__FAIL("want \"%s\", exit 0; got exit %d:\n%s\nstderr:\n%s", want,
                   r->status, r->out, r->err);
}

static void test_stop_at(void)
{
    char port[16], num[32];
    char *trace = record_client("stop.jsonl", port, sizeof port, NULL);
    size_t ev = find_event(trace, NULL, "got 2: hello 2", NULL, NULL, NULL);
    ASSERT(ev > 1);
    snprintf(num, sizeof num, "%zu", ev);
    run r = coscope(NULL, "replay", trace, "--stop-at", num, NULL, RP_CLIENT,
                    port, NULL);
    assert_stopped(&r, ev);
    run_free(&r);
    free(trace);
}

static void test_stop_at_time(void)
{
    char port[16], at[48];
    char *trace = record_client("stop_t.jsonl", port, sizeof port, NULL);
    long long t = 0;
    size_t ev = find_event(trace, NULL, "got 3: hello 3", NULL, &t, NULL);
    ASSERT(ev > 1);
    /* The first event at or after t: this one, or an earlier one of the
     * same nanosecond. */
    size_t first = ev;
    char needle[48];
    snprintf(needle, sizeof needle, "{\"t\":%lld,", t);
    size_t same = find_event(trace, NULL, needle, NULL, NULL, NULL);
    if (same && same < first)
        first = same;
    snprintf(at, sizeof at, "%lldns", t);
    run r = coscope(NULL, "replay", trace, "--stop-at", at, NULL, RP_CLIENT,
                    port, NULL);
    assert_stopped(&r, first);
    run_free(&r);
    free(trace);
}

static void test_gdb(void)
{
    if (access("/usr/bin/gdb", X_OK) != 0) {
        printf("SKIP: no /usr/bin/gdb\n");
        return;
    }
    char port[16], num[32];
    char *trace = record_client("gdb.jsonl", port, sizeof port, NULL);
    size_t ev = find_event(trace, NULL, "got 2: hello 2", NULL, NULL, NULL);
    ASSERT(ev > 1);
    snprintf(num, sizeof num, "%zu", ev);
    char *cmds = path_in_dir("gdb.cmds");
    FILE *f = fopen(cmds, "w");
    ASSERT_NOT_NULL(f);
    fputs("frame function client_task\nprint round\nprint sent\nkill\n", f);
    fclose(f);
    run r = coscope(NULL, "replay", trace, "--stop-at", num, "--gdb", "--gdb-x",
                    cmds, NULL, RP_CLIENT, port, NULL);
    if (!strstr(r.out, "received signal SIGTRAP") ||
        !strstr(r.out, " in client_task (") || !strstr(r.out, "$1 = 2\n") ||
        !strstr(r.out, "$2 = 8\n"))
        TEST__FAIL("gdb did not stop in client_task, round 2, 8 bytes sent:\n%s\nstderr:\n%s",
                   r.out, r.err);
    run_free(&r);
    free(cmds);
    free(trace);
}

static void test_no_log(void)
{
    char port[16];
    char *trace = record_client("nolog.jsonl", port, sizeof port, NULL);
    char *log = path_in_dir("nolog.replay");
    ASSERT_EQ(unlink(log), 0);
    run r = coscope(NULL, "replay", trace, NULL, RP_CLIENT, port, NULL);
    ASSERT_EQ(r.status, 1);
    char want[512];
    snprintf(want, sizeof want, "coscope: replay: no replay log %s (record "
             "with `coscope record --replayable`)\n", log);
    ASSERT_STR_EQ(r.err, want);
    run_free(&r);
    free(log);
    free(trace);
}

/* Usage errors exit 2, a bad trace 1. */
static void test_usage(void)
{
    char port[16];
    char *trace = record_client("usage.jsonl", port, sizeof port, NULL);
    run r = coscope(NULL, "replay", trace, "--stop-at", "soon", NULL, RP_CLIENT,
                    port, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "coscope: replay: --stop-at: 'soon' is neither an "
                         "event number (1, 2, ...) nor a time\n"
                         "Try 'coscope replay --help'.\n");
    run_free(&r);
    r = coscope(NULL, "replay", trace, "--stop-at", "3600s", NULL, RP_CLIENT, port,
                NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "coscope: replay: no event at or after 3600s\n");
    run_free(&r);
    char *argv[] = {COSCOPE_BIN, "replay", trace, NULL};
    r = run_argv(argv, NULL);
    ASSERT_EQ(r.status, 2);
    run_free(&r);
    free(trace);
}

static const test_case cases[] = {
    {"echo", test_echo},
    {"crawler", test_crawler},
    {"fib_offload", test_fib_offload},
    {"external", test_external},
    {"branch", test_branch},
    {"clock", test_clock},
    {"content", test_content},
    {"stop_at", test_stop_at},
    {"stop_at_time", test_stop_at_time},
    {"gdb", test_gdb},
    {"no_log", test_no_log},
    {"waits", test_waits},
    {"killed", test_killed},
    {"binary", test_binary},
    {"seed", test_seed},
    {"files", test_files},
    {"proc", test_proc},
    {"post", test_post},
    {"usage", test_usage},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    int rc = test_main(argc, argv, cases);
    if (dir[0]) {
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        if (d)
            closedir(d);
        rmdir(dir);
    }
    return rc;
}
