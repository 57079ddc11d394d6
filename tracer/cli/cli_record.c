/* cli_record.c: `coscope record` — runs a program with COSCOPE_TRACE set so
 * the runtime records it, then loads the trace and prints a one-paragraph
 * summary. The program's exit status is passed through (1 when it exited 0
 * but no trace was written); a trace cut short by a crash is still
 * summarised (the reader says it is truncated). SIGINT and SIGTERM sent to
 * `record` are forwarded to the program. With --flight the program runs in
 * flight-recorder mode (COSCOPE_FLIGHT): FILE itself is never written, and
 * the summary lists the dumps FILE's stem.N.ext the run left. With --top
 * the trace is shown by top's live view while the program runs; with
 * --view by `coscope-view --follow`, a second child, whose window stays
 * until it is closed (record waits for both). */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tr_format_int.h"

extern char **environ;

static void usage(FILE *f)
{
    fputs("usage: coscope record [-o FILE] [--flight AMOUNT | --top | --view] "
          "[--replayable] -- PROG [ARGS...]\n"
          "\n"
          "Runs PROG with tracing on (COSCOPE_TRACE=FILE in its environment), "
          "then\n"
          "loads the trace and prints a summary (events, tasks, duration, "
          "stalls).\n"
          "\n"
          "options:\n"
          "  -o FILE, --output FILE   where the trace goes; default: PROG's "
          "basename\n"
          "                           + \".jsonl\" in the current directory\n"
          "  --flight AMOUNT          flight recorder (COSCOPE_FLIGHT=AMOUNT): "
          "keep only\n"
          "                           the last AMOUNT in memory, a time (2s, "
          "500ms) or a\n"
          "                           size (64MB), and write nothing until a "
          "trigger:\n"
          "                           SIGUSR1, co_trace_dump(), a blocked loop,"
          " a\n"
          "                           deadlock, a crash. Each dump is FILE with "
          "a number\n"
          "                           before the extension (run.1.jsonl, "
          "run.2.jsonl, ...)\n"
          "  --top                    while PROG runs, show `coscope top` of "
          "its trace\n"
          "                           (q leaves the view; it ends when PROG "
          "does)\n"
          "  --view                   while PROG runs, show its trace in the "
          "viewer as\n"
          "                           it grows (coscope view --follow FILE); "
          "record\n"
          "                           returns when PROG has ended and the "
          "window is closed\n"
          "  --replayable             also log every input the runtime takes "
          "(FILE's\n"
          "                           stem + \".replay\", COSCOPE_REPLAY_LOG) "
          "so that\n"
          "                           `coscope replay FILE -- PROG` re-runs "
          "it exactly\n"
          "\n"
          "exit: PROG's own exit status (128+N if killed by signal N), 127 if "
          "PROG\n"
          "could not be executed, 1 if PROG exited 0 but wrote no trace (an "
          "unwritable\n"
          "FILE, a program not built on the coscope runtime; with --flight, "
          "no dump is\n"
          "not an error), 2 usage.\n"
          "SIGINT and SIGTERM sent to coscope record are passed on to PROG.\n",
          f);
}

/* The trace path used when -o is not given: "./<basename>.jsonl". */
static char *default_path(const char *prog)
{
    const char *base = strrchr(prog, '/');
    size_t n;
    char *p;
    base = base ? base + 1 : prog;
    if (!*base)
        base = "trace";
    n = strlen(base) + sizeof ".jsonl";
    p = malloc(n);
    if (p)
        snprintf(p, n, "%s.jsonl", base);
    return p;
}

static volatile pid_t child_pid;

/* SIGINT / SIGTERM sent to us (kill, a supervisor stopping the run) go on
 * to PROG, which ends the way it would alone and leaves its trace; we stay
 * to summarise. ^C from the terminal (si_code > 0) reaches PROG directly,
 * through its process group: not forwarded, or PROG would get it twice. */
static void forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (child_pid > 0 && (!si || si->si_code <= 0))
        kill(child_pid, sig);
}

/* `record --top`: has PROG ended? Reaps it into w->status when it has. */
typedef struct child_wait {
    pid_t pid;
    int status, reaped;
} child_wait;

static int child_ended(void *arg)
{
    child_wait *w = arg;
    if (!w->reaped && waitpid(w->pid, &w->status, WNOHANG) == w->pid)
        w->reaped = 1;
    return w->reaped;
}

/* Runs argv with the trace path in its environment (and top's view of
 * top_path while it runs, when given); returns the exit status to pass on
 * (128+signal when killed), or -errno if it could not start. */
/* `record --view`: coscope-view --follow path, a second child; -1 when it
 * could not start (said on stderr: the recording goes on without it). */
static pid_t start_viewer(const char *path)
{
    char prog[4096], where[4352];
    if (cli__viewer_path(prog, sizeof prog, where, sizeof where) != 0) {
        fprintf(stderr, "coscope: record --view: %s\n", where);
        return -1;
    }
    char *args[] = {prog, "--follow", (char *)path, NULL};
    pid_t pid;
    posix_spawnattr_t attr;
    sigset_t dflt;
    posix_spawnattr_init(&attr);
    sigemptyset(&dflt); /* record ignores SIGQUIT meanwhile: the viewer not */
    sigaddset(&dflt, SIGQUIT);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(&pid, prog, NULL, &attr, args, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "coscope: record --view: cannot run %s: %s\n", prog, strerror(rc));
        return -1;
    }
    return pid;
}

static int run(char **argv, const char *top_path, const char *view_path, int *signaled)
{
    posix_spawnattr_t attr;
    sigset_t dflt, fwd, old_mask;
    struct sigaction ign = {0}, fw = {0}, old_int, old_quit, old_term;
    pid_t pid;
    int rc, status;

    /* While PROG runs, ^C is for PROG: we forward or ignore it and wait to
     * summarise, and the child gets the default handlers back. Blocked
     * until child_pid is known, so none is lost in between. */
    ign.sa_handler = SIG_IGN;
    fw.sa_sigaction = forward;
    fw.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&fw.sa_mask);
    sigemptyset(&fwd);
    sigaddset(&fwd, SIGINT);
    sigaddset(&fwd, SIGTERM);
    sigprocmask(SIG_BLOCK, &fwd, &old_mask);
    sigaction(SIGINT, &fw, &old_int);
    sigaction(SIGTERM, &fw, &old_term);
    sigaction(SIGQUIT, &ign, &old_quit);
    posix_spawnattr_init(&attr);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGQUIT);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    posix_spawnattr_setsigmask(&attr, &old_mask);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    rc = posix_spawnp(&pid, argv[0], NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (rc == 0)
        child_pid = pid;
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    child_wait w = {pid, 0, 0};
    pid_t viewer = rc == 0 && view_path ? start_viewer(view_path) : -1;
    if (rc == 0 && top_path)
        cli__top_live(top_path, child_ended, &w);
    if (w.reaped) {
        status = w.status;
    } else if (rc == 0) {
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                rc = errno;
                break;
            }
        }
    }
    child_pid = 0;
    while (viewer > 0 && waitpid(viewer, NULL, 0) < 0 && errno == EINTR)
        ; /* the window stays until it is closed */
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (rc != 0)
        return -rc;
    *signaled = WIFSIGNALED(status);
    if (*signaled)
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

static void summarise(const char *prog, const char *path, int status,
                      int signaled)
{
    tr_trace *tr = NULL;
    char dur[32];

    if (cli__load(path, &tr) != CLI_OK)
        return; /* the reader's error is printed */
    if (tr_analyze(tr, &(tr_analysis_opts)TR_ANALYSIS_OPTS_INIT) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        tr_free(tr);
        return;
    }
    size_t nst = tr_nstalls(tr);
    fprintf(stderr,
            "coscope: %s %s %d; recorded %zu events from %zu tasks over %s%s "
            "in %s; ",
            prog, signaled ? "was killed by signal" : "exited with status",
            signaled ? status - 128 : status, tr_nevents(tr), tr_ntasks(tr),
            cli__dur(dur, sizeof dur, tr_head(tr)->duration),
            tr_head(tr)->truncated ? " (truncated)" : "", path);
    if (nst)
        fprintf(stderr, "%zu stall%s found (coscope stalls %s).\n", nst,
                nst == 1 ? "" : "s", path);
    else
        fprintf(stderr, "no stalls found.\n");
    tr_free(tr);
}

/* COSCOPE_FLIGHT's grammar (the format layer's, which the recorder reads
 * it with): checked here so a typo is a usage error rather than a run
 * recorded to the file after all. */
static int flight_amount_ok(const char *s)
{
    int64_t ns;
    uint64_t bytes;
    return tr__parse_amount(s, &ns, &bytes) == 0;
}

/* Dump k of a flight recording to path: "run.jsonl" -> "run.k.jsonl" (the
 * number before the extension, or appended when there is none). */
static void dump_name(char *buf, size_t n, const char *path, int k)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (!dot || dot == (slash ? slash + 1 : path))
        snprintf(buf, n, "%s.%d", path, k);
    else
        snprintf(buf, n, "%.*s.%d%s", (int)(dot - path), path, k, dot);
}

/* After a --flight run: names the dumps written since `since` (the
 * recorder numbers them 1, 2, ... and writes at most 100). */
static void flight_summary(const char *prog, const char *path, int status,
                           int signaled, time_t since)
{
    char name[4096];
    int n = 0;
    fprintf(stderr, "coscope: %s %s %d; flight recorder: ", prog,
            signaled ? "was killed by signal" : "exited with status",
            signaled ? status - 128 : status);
    for (int k = 1; k <= 100; k++) {
        struct stat st;
        dump_name(name, sizeof name, path, k);
        if (stat(name, &st) != 0)
            break;
        if (st.st_mtim.tv_sec < since)
            continue; /* left by an earlier run */
        fprintf(stderr, "%s", n++ ? " " : "");
        cli__fput_esc(name, stderr);
    }
    if (n == 0)
        fprintf(stderr, "no dump (nothing triggered one)\n");
    else
        fprintf(stderr, " (%d dump%s)\n", n, n == 1 ? "" : "s");
}

/* record's options. */
typedef struct rec_opts {
    const char *out, *flight;
    int top, view, replayable;
} rec_opts;

/* Parses the options before PROG into *o: the index of PROG, or 0 after
 * --help and -1 after a usage message, with *exit_code set. */
static int record_opt(void *ov, int argc, char **argv, int *i)
{
    rec_opts *o = ov;
    const char *val, *a = argv[*i];
    int rc;
    if ((rc = cli__opt_value(argc, argv, i, "-o", &val)) != 0 ||
        (rc = cli__opt_value(argc, argv, i, "--output", &val)) != 0) {
        if (rc < 0 || !*val)
            return cli__usage_error("record", "-o needs a file name"), -1;
        o->out = val;
    } else if ((rc = cli__opt_value(argc, argv, i, "--flight", &val)) != 0) {
        if (rc < 0 || !flight_amount_ok(val))
            return cli__usage_error("record", "--flight needs a time (2s, 500ms) or a "
                                              "size (64MB)"),
                   -1;
        o->flight = val;
    } else if (strcmp(a, "--top") == 0) {
        o->top = 1;
    } else if (strcmp(a, "--view") == 0) {
        o->view = 1;
    } else if (strcmp(a, "--replayable") == 0) {
        o->replayable = 1;
    } else {
        return 0;
    }
    return 1;
}

static int parse_opts(int argc, char **argv, rec_opts *o, int *exit_code)
{
    int i = cli__prog_args("record", argc, argv, record_opt, o, usage,
                           "missing PROG (coscope record -- PROG [ARGS...])", exit_code);
    if (i <= 0)
        return i;
    if (o->replayable && o->flight) {
        *exit_code = cli__usage_error("record", "--replayable needs the whole "
                                      "trace: not with --flight");
        return -1;
    }
    if ((o->top || o->view) && o->flight) {
        *exit_code = cli__usage_error("record", "--%s shows the trace as it is "
                                      "written: not with --flight, which writes none",
                                      o->top ? "top" : "view");
        return -1;
    }
    if (o->top && o->view) {
        *exit_code = cli__usage_error("record", "--top and --view: one live view at a time");
        return -1;
    }
    return i;
}

/* COSCOPE_TRACE (and COSCOPE_FLIGHT) for PROG; 0 or -ENOMEM. An exported
 * COSCOPE_FLIGHT means flight mode as --flight does, except under --top
 * and --view, which need the trace written as it goes. */
static int set_env(const char *path, rec_opts *o)
{
    const char *val = getenv("COSCOPE_FLIGHT");
    if (setenv("COSCOPE_TRACE", path, 1) != 0)
        return -ENOMEM;
    if (o->replayable) {
        char *log = cli__replay_log_path(path);
        int bad = !log || setenv("COSCOPE_REPLAY_LOG", log, 1) != 0;
        free(log);
        if (bad || unsetenv("COSCOPE_REPLAY") != 0)
            return -ENOMEM;
    } else if (unsetenv("COSCOPE_REPLAY_LOG") != 0) {
        return -ENOMEM;
    }
    if (o->top || o->view)
        return unsetenv("COSCOPE_FLIGHT") != 0 ? -ENOMEM : 0;
    if (!o->flight && val && *val && strcmp(val, "0") != 0)
        o->flight = val;
    if (o->flight && setenv("COSCOPE_FLIGHT", o->flight, 1) != 0)
        return -ENOMEM;
    return 0;
}

int cli__record(int argc, char **argv)
{
    rec_opts o = {NULL, NULL, 0, 0, 0};
    char *path = NULL;
    int i, existed, status, signaled = 0, code = CLI_USAGE;
    struct stat before, after;

    if ((i = parse_opts(argc, argv, &o, &code)) <= 0)
        return code;
    char **prog = argv + i;

    path = o.out ? strdup(o.out) : default_path(prog[0]);
    if (!path || set_env(path, &o) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        free(path);
        return CLI_BAD;
    }
    /* A trace left by an earlier run must not be taken for this one's. */
    existed = stat(path, &before) == 0;
    time_t started = time(NULL);
    /* A live view follows the file from its first line: not an old run's
     * lines that PROG then truncates (it would see the file shrink). */
    if (existed && (o.top || o.view) && unlink(path) == 0)
        existed = 0;

    status = run(prog, o.top ? path : NULL, o.view ? path : NULL, &signaled);
    if (status < 0) {
        fprintf(stderr, "coscope: cannot run %s: %s\n", prog[0],
                strerror(-status));
        free(path);
        return CLI_NOEXEC;
    }
    if (o.flight) {
        flight_summary(prog[0], path, status, signaled, started);
        free(path);
        return status;
    }
    if (stat(path, &after) != 0 ||
        (existed && after.st_ino == before.st_ino &&
         after.st_size == before.st_size &&
         after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
         after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)) {
        fprintf(stderr,
                "coscope: %s %s %d; no trace was written to %s (is it built "
                "with the coscope runtime?)\n",
                prog[0],
                signaled ? "was killed by signal" : "exited with status",
                signaled ? status - 128 : status, path);
        /* A recording that recorded nothing failed, whatever PROG did. */
        if (status == 0)
            status = CLI_BAD;
    } else {
        summarise(prog[0], path, status, signaled);
    }
    free(path);
    return status;
}
