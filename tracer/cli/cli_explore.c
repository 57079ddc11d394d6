/* cli_explore.c: `coscope explore` — runs a program N times, each under
 * another schedule (COSCOPE_SEED=S+i, drawn by the runtime's controlled
 * scheduler), each traced, and reports every seed whose run failed: a
 * non-zero exit, a crash, the runtime's deadlock verdict (`stuck` lines),
 * or a stall of a kind given with --fail-on (the analysis `coscope stalls`
 * runs). Each run is recorded replayably, so a failing one can be replayed
 * exactly (`coscope replay`, the command printed); a seed is a schedule,
 * so running the program under it again is the other command printed. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coscope/tr_args.h"
#include "tr_format_int.h"

extern char **environ;

static void usage(FILE *f)
{
    fputs(
        "usage: coscope explore [-n RUNS] [--seed S] [--fail-on KINDS] "
        "[--threshold MS]\n"
        "                       [--timeout DUR] [--keep DIR] [--json] -- PROG "
        "[ARGS...]\n"
        "\n"
        "Runs PROG RUNS times, each with COSCOPE_SEED set to another seed (S, "
        "S+1, ...),\n"
        "so the runtime orders the tasks that are ready at the same time "
        "differently\n"
        "in each run, and records each run replayably (as record --replayable "
        "does).\n"
        "A run fails when PROG exits non-zero, is killed by a signal, writes "
        "no trace,\n"
        "ends in the runtime's deadlock verdict, or (with --fail-on) has a "
        "stall of\n"
        "one of KINDS. Each failing seed is listed with its trace, PROG's "
        "output, the\n"
        "`coscope replay` command that replays that run and the command that "
        "runs its\n"
        "schedule again.\n"
        "\n"
        "options:\n"
        "  -n RUNS           how many schedules to try (default 100)\n"
        "  --seed S          the first seed, 0 to 2^63-1 (default 1)\n"
        "  --fail-on KINDS   also fail a run with a stall of these kinds, "
        "comma-\n"
        "                    separated: blocked, latency, wait, stuck\n"
        "  --threshold MS    the stall threshold for --fail-on (as in "
        "coscope stalls)\n"
        "  --timeout DUR     kill a run still going after DUR and call it "
        "failed (a\n"
        "                    schedule that livelocks or hangs); default 60s, "
        "0: none\n"
        "  --keep DIR        write every run's trace and output into DIR "
        "(created if\n"
        "                    needed) and keep them; by default they go to a "
        "new\n"
        "                    directory under $TMPDIR (or /tmp) and only the "
        "failing\n"
        "                    runs' files are kept\n"
        "  --json            one JSON object on standard output "
        "(docs/cli-json.md)\n"
        "\n"
        "PROG's standard input is /dev/null; its output goes to seed-S.log "
        "beside\n"
        "the trace seed-S.jsonl and the replay log seed-S.replay.\n"
        "\n"
        "exit: 0 every run passed, 1 some run failed, 2 usage, 127 PROG could "
        "not be\n"
        "executed.\n",
        f);
}

typedef struct explore_opts {
    uint64_t runs, seed;
    unsigned fail_on; /* a bit per tr_stall_kind */
    const char *keep;
    int json;
    tr_analysis_opts ao;
    int64_t timeout; /* ns a run may take, 0: no limit */
} explore_opts;

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v > max)
        return -1;
    *out = v;
    return 0;
}

static int bad_usage(const char *msg)
{
    cli__usage_error("explore", "%s", msg);
    return -1;
}

/* One of explore's options at argv[*i] (cli_prog_opt). */
static int explore_opt(void *ov, int argc, char **argv, int *i)
{
    explore_opts *o = ov;
    const char *val;
    int rc;
    if (strcmp(argv[*i], "--json") == 0) {
        o->json = 1;
    } else if ((rc = cli__opt_value(argc, argv, i, "-n", &val)) != 0) {
        if (rc < 0 || parse_u64(val, 1000000, &o->runs) != 0 || o->runs == 0)
            return bad_usage("-n needs a number of runs from 1 to 1000000");
    } else if ((rc = cli__opt_value(argc, argv, i, "--seed", &val)) != 0) {
        if (rc < 0 || parse_u64(val, INT64_MAX, &o->seed) != 0)
            return bad_usage("--seed needs a number from 0 to 9223372036854775807");
    } else if ((rc = cli__opt_value(argc, argv, i, "--fail-on", &val)) != 0) {
        if (rc < 0 || tr_parse_stall_kinds(val, &o->fail_on) != 0)
            return bad_usage("--fail-on needs stall kinds (blocked, latency, wait, stuck)");
    } else if ((rc = cli__opt_value(argc, argv, i, "--timeout", &val)) != 0) {
        if (rc < 0 || tr_parse_dur(val, &o->timeout) != 0 || o->timeout < 0)
            return bad_usage("--timeout needs a duration (60s, 500ms; 0: none)");
    } else if ((rc = cli__opt_value(argc, argv, i, "--keep", &val)) != 0) {
        if (rc < 0 || !*val)
            return bad_usage("--keep needs a directory");
        o->keep = val;
    } else {
        return cli__opt_threshold(argc, argv, i, "explore", &o->ao);
    }
    return 1;
}

/* Parses the options before PROG: the index of PROG, or 0 after --help and
 * -1 after a usage message, with *code set. */
static int parse_opts(int argc, char **argv, explore_opts *o, int *code)
{
    int i = cli__prog_args("explore", argc, argv, explore_opt, o, usage,
                           "missing PROG (coscope explore -- PROG [ARGS...])", code);
    if (i <= 0)
        return i;
    if (o->seed > (uint64_t)INT64_MAX - (o->runs - 1))
        return bad_usage("--seed plus -n goes past 9223372036854775807");
    return i;
}

/* ---- one run ---- */

/* A run's files, all in the explore directory: its trace, the replay log
 * beside it (as `coscope record --replayable` names it) and PROG's output. */
typedef struct run_files {
    char trace[4096], replay[4096], log[4096];
} run_files;

/* The variables a run sets, and those of ours it must not inherit (a
 * flight recording writes no trace to judge; a replay or a stop would not
 * be this run). */
static const char *const run_drop[] = {
    "COSCOPE_TRACE=",  "COSCOPE_SEED=",       "COSCOPE_FLIGHT=",
    "COSCOPE_REPLAY=", "COSCOPE_REPLAY_LOG=", "COSCOPE_REPLAY_NOTES=",
    "COSCOPE_STOP_AT="};

typedef struct run_env {
    char **env;
    char vars[3][4200];
} run_env;

/* Our environment without run_drop's, then the run's own three. 0 or
 * -ENOMEM; free e->env. */
static int env_make(run_env *e, const run_files *rf, uint64_t seed)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    e->env = calloc(n + 4, sizeof *e->env);
    if (!e->env)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int keep = 1;
        for (size_t d = 0; d < sizeof run_drop / sizeof run_drop[0]; d++)
            keep &= strncmp(environ[i], run_drop[d], strlen(run_drop[d])) != 0;
        if (keep)
            e->env[k++] = environ[i];
    }
    snprintf(e->vars[0], sizeof e->vars[0], "COSCOPE_TRACE=%s", rf->trace);
    snprintf(e->vars[1], sizeof e->vars[1], "COSCOPE_REPLAY_LOG=%s",
             rf->replay);
    snprintf(e->vars[2], sizeof e->vars[2], "COSCOPE_SEED=%" PRIu64, seed);
    for (int v = 0; v < 3; v++)
        e->env[k++] = e->vars[v];
    return 0;
}

/* How a run ended. */
typedef struct run_result {
    int status; /* exit status, or the signal when signaled */
    int signaled;
    int timed_out; /* killed by us at the --timeout */
} run_result;

/* Waits for pid, killing it (SIGKILL) once timeout ns have passed (0: no
 * limit): polled with a sleep that grows from 1 to 20 ms, so a short run
 * is reaped within about its own length. 0 and *status, or -errno. */
static int wait_bounded(pid_t pid, int64_t timeout, int *status, int *timed_out)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long nap = 1000000;
    *timed_out = 0;
    for (;;) {
        pid_t w = waitpid(pid, status, timeout ? WNOHANG : 0);
        if (w == pid)
            return 0;
        if (w < 0 && errno != EINTR)
            return -errno;
        if (w != 0)
            continue;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t gone = (int64_t)(now.tv_sec - t0.tv_sec) * 1000000000 +
                       (now.tv_nsec - t0.tv_nsec);
        if (gone >= timeout && !*timed_out) {
            kill(pid, SIGKILL);
            *timed_out = 1;
            timeout = 0; /* now wait for it to go */
            continue;
        }
        struct timespec d = {0, nap};
        nanosleep(&d, NULL);
        nap = nap * 2 > 20000000 ? 20000000 : nap * 2;
    }
}

/* Runs prog under seed, recorded replayably into rf's files. 0, or a
 * negative errno when it could not be started (-ENOENT...). */
static int run_one(char **prog, uint64_t seed, const run_files *rf,
                   int64_t timeout, run_result *r)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status, rc;
    static run_env e; /* 12 KB: not on the stack */
    if (env_make(&e, rf, seed) != 0)
        return -ENOMEM;
    /* files left from before must not pass for this run's */
    unlink(rf->trace);
    unlink(rf->replay);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, rf->log,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    rc = posix_spawnp(&pid, prog[0], &fa, NULL, prog, e.env);
    posix_spawn_file_actions_destroy(&fa);
    free(e.env);
    if (rc != 0)
        return -rc;
    if ((rc = wait_bounded(pid, timeout, &status, &r->timed_out)) != 0)
        return rc;
    r->signaled = WIFSIGNALED(status);
    r->status = r->signaled ? WTERMSIG(status) : WEXITSTATUS(status);
    return 0;
}

/* ---- judging a run ---- */

typedef struct verdict {
    int failed;
    size_t stuck;   /* `stuck` lines: tasks the deadlock verdict found */
    size_t stalls;  /* stalls of the --fail-on kinds */
    unsigned kinds; /* which of those kinds were found */
    int no_trace;
    char reason[256];  /* "exit status 1; deadlock: 2 tasks stuck" */
    char message[256]; /* the last line PROG printed, "" if none */
} verdict;

static void add_reason(verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_reason(verdict *v, const char *fmt, ...)
{
    size_t n = strlen(v->reason);
    va_list ap;
    if (n)
        n += (size_t)snprintf(v->reason + n, sizeof v->reason - n, "; ");
    if (n >= sizeof v->reason)
        return;
    va_start(ap, fmt);
    vsnprintf(v->reason + n, sizeof v->reason - n, fmt, ap);
    va_end(ap);
    v->failed = 1;
}

/* The last non-empty line of the log (its last 4 KB), in v->message. */
static void last_line(const char *log, verdict *v)
{
    char buf[4096];
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    v->message[0] = '\0';
    if (fd < 0)
        return;
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from =
        size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (n <= 0)
        return;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    char *start = strrchr(buf, '\n');
    start = start ? start + 1 : buf;
    size_t len = strlen(start);
    if (len >= sizeof v->message)
        len =
            sizeof v->message - 1; /* cli__esc never cuts inside a character */
    memcpy(v->message, start, len);
    v->message[len] = '\0';
}

/* The trace's part of the verdict: the deadlock verdict's `stuck` lines
 * and, with --fail-on, the stalls of those kinds. */
static void judge_trace(const char *trace, const explore_opts *o, verdict *v)
{
    tr_load_opts lo = TR_LOAD_OPTS_INIT;
    tr_trace *tr = NULL;
    struct stat st;
    lo.threads = 1; /* small traces, many of them */
    if (stat(trace, &st) != 0) {
        v->no_trace = 1;
        add_reason(
            v, "no trace was written (is it built with the coscope runtime?)");
        return;
    }
    if (tr_load(trace, &lo, &tr) != 0) {
        add_reason(v, "unreadable trace: %s", tr_last_error());
        return;
    }
    for (size_t i = 0; i < tr_nevents(tr); i++)
        v->stuck += tr_events(tr)[i].ev == TR_EV_STUCK;
    if (v->stuck)
        add_reason(v, "deadlock: %zu task%s stuck", v->stuck,
                   v->stuck == 1 ? "" : "s");
    if (o->fail_on && tr_analyze(tr, &o->ao) != 0) {
        add_reason(v, "out of memory analysing the trace");
    } else if (o->fail_on) {
        for (size_t i = 0; i < tr_nstalls(tr); i++) {
            unsigned k = tr_stalls(tr)[i].kind;
            if ((o->fail_on >> k) & 1u) {
                v->stalls++;
                v->kinds |= 1u << k;
            }
        }
        char names[64] = "";
        for (int k = 0; k < 32; k++)
            if ((v->kinds >> k) & 1u)
                snprintf(names + strlen(names), sizeof names - strlen(names),
                         "%s%s", names[0] ? ", " : "", tr_stall_kind_name(k));
        if (v->stalls)
            add_reason(v, "%zu stall%s (%s)", v->stalls,
                       v->stalls == 1 ? "" : "s", names);
    }
    tr_free(tr);
}

static void judge(const run_result *r, const char *trace, const char *log,
                  const explore_opts *o, verdict *v)
{
    char d[32];
    memset(v, 0, sizeof *v);
    if (r->timed_out)
        add_reason(v, "timed out after %s (killed: a livelock or a hang under "
                      "this schedule)",
                   cli__dur(d, sizeof d, o->timeout));
    else if (r->signaled)
        add_reason(v, "killed by signal %d (%s)", r->status,
                   strsignal(r->status));
    else if (r->status != 0)
        add_reason(v, "exit status %d", r->status);
    judge_trace(trace, o, v);
    last_line(log, v);
}

/* ---- reporting ---- */

/* Appends s to the string at *buf (length *len, capacity *cap), quoted for
 * a POSIX shell when it needs to be. 0 or -ENOMEM. */
static int put_word(char **buf, size_t *len, size_t *cap, const char *s)
{
    static const char plain[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "0123456789_-+=/.,:@%";
    int quote = !*s || s[strspn(s, plain)] != '\0';
    size_t need = *len + 4 * strlen(s) + 4;
    if (need > *cap) {
        char *b = realloc(*buf, need * 2);
        if (!b)
            return -ENOMEM;
        *buf = b;
        *cap = need * 2;
    }
    char *o = *buf + *len;
    if (*len)
        *o++ = ' ';
    if (quote)
        *o++ = '\'';
    for (; *s; s++) {
        if (*s == '\'' && quote) { /* ' ends the quote, \' is one, ' reopens */
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *s;
        }
    }
    if (quote)
        *o++ = '\'';
    *o = '\0';
    *len = (size_t)(o - *buf);
    return 0;
}

/* words, then PROG and its arguments, as one shell command; NULL when
 * out of memory. */
static char *command(const char *const *words, size_t n, char **prog)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++)
        if (put_word(&buf, &len, &cap, words[i]) != 0)
            goto fail;
    for (char **a = prog; *a; a++)
        if (put_word(&buf, &len, &cap, *a) != 0)
            goto fail;
    return buf;
fail:
    free(buf);
    return NULL;
}

/* The two ways to see a failing run again: `coscope replay` of its
 * recording (the same run, inputs from its log), and a new run of its
 * schedule (COSCOPE_SEED) recorded to seed-S.jsonl in the current
 * directory. replay is NULL when the run left no replay log. */
typedef struct repro {
    char *replay, *rerun;
} repro;

static int repro_make(repro *rp, uint64_t seed, const run_files *rf,
                      char **prog)
{
    char head[64], name[48];
    struct stat st;
    snprintf(head, sizeof head, "COSCOPE_SEED=%" PRIu64, seed);
    snprintf(name, sizeof name, "seed-%" PRIu64 ".jsonl", seed);
    const char *rerun[] = {head, "coscope", "record", "-o", name, "--"};
    const char *replay[] = {"coscope", "replay", rf->trace, "--"};
    rp->rerun = command(rerun, sizeof rerun / sizeof rerun[0], prog);
    rp->replay = NULL;
    if (stat(rf->replay, &st) == 0)
        rp->replay = command(replay, sizeof replay / sizeof replay[0], prog);
    if (!rp->rerun || (!rp->replay && stat(rf->replay, &st) == 0)) {
        free(rp->rerun);
        free(rp->replay);
        return -ENOMEM;
    }
    return 0;
}

/* One failing seed, as text. */
static void print_failure(uint64_t seed, const verdict *v, const run_files *rf,
                          const repro *rp, FILE *f)
{
    fprintf(f, "seed %" PRIu64 ": %s", seed, v->reason);
    if (v->message[0]) {
        fputs(": ", f);
        cli__fput_esc(v->message, f);
    }
    fputs("\n  trace:  ", f);
    cli__fput_esc(v->no_trace ? "(none)" : rf->trace, f);
    fputs("\n  output: ", f);
    cli__fput_esc(rf->log, f);
    if (rp->replay) {
        fputs("\n  replay: ", f);
        cli__fput_esc(rp->replay, f);
    }
    fputs("\n  rerun:  ", f);
    cli__fput_esc(rp->rerun, f);
    fputc('\n', f);
}

static void json_str_or_null(const char *s, FILE *f)
{
    if (s)
        tr__json_str(f, s);
    else
        fputs("null", f);
}

/* One failing seed, as an element of the JSON "failures" list. */
static void print_failure_json(uint64_t seed, const run_result *r,
                               const verdict *v, const run_files *rf,
                               const repro *rp, int first, FILE *f)
{
    fprintf(f, "%s{\"seed\":%" PRIu64 ",\"exit\":", first ? "\n" : ",\n", seed);
    if (r->signaled)
        fputs("null,\"signal\":", f);
    fprintf(f, "%d%s,\"stuck\":%zu,\"stalls\":%zu,\"reason\":", r->status,
            r->signaled ? "" : ",\"signal\":null", v->stuck, v->stalls);
    tr__json_str(f, v->reason);
    fputs(",\"message\":", f);
    tr__json_str(f, v->message);
    fputs(",\"trace\":", f);
    json_str_or_null(v->no_trace ? NULL : rf->trace, f);
    fputs(",\"output\":", f);
    tr__json_str(f, rf->log);
    fputs(",\"replay\":", f);
    json_str_or_null(rp->replay, f);
    fputs(",\"rerun\":", f);
    tr__json_str(f, rp->rerun);
    fputc('}', f);
}

/* ---- the command ---- */

/* 0 if prog names an executable file as execvp would find it (a path
 * with a slash, or through PATH), else the errno. Checked before the
 * first run because a failed exec is not always reported by posix_spawn
 * (under valgrind the child exits 127 instead), and 100 runs of a typo
 * should be one message. */
static int find_prog(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? 0 : errno;
    const char *path = getenv("PATH");
    char buf[4096];
    int err = ENOENT;
    for (const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
         *p;) {
        size_t n = strcspn(p, ":");
        int len = snprintf(buf, sizeof buf, "%.*s%s%s", (int)n, p, n ? "/" : "",
                           prog);
        if (len > 0 && (size_t)len < sizeof buf) {
            struct stat st;
            if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
                if (access(buf, X_OK) == 0)
                    return 0;
                err = EACCES;
            }
        }
        p += n + (p[n] == ':');
    }
    return err;
}

/* The directory the runs write to: --keep's (created if needed) or a new
 * one under $TMPDIR; in buf. 0, or -1 after a message. */
static int make_dir(const explore_opts *o, char *buf, size_t n)
{
    if (o->keep) {
        snprintf(buf, n, "%s", o->keep);
        if (mkdir(buf, 0755) == 0 || errno == EEXIST)
            return 0;
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(buf, n, "%s/coscope-explore-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(buf))
            return 0;
    }
    fprintf(stderr, "coscope: explore: cannot create %s: %s\n", buf,
            strerror(errno));
    return -1;
}

/* rf's paths for seed in dir; -1 when they do not fit. */
static int files_make(run_files *rf, const char *dir, uint64_t seed)
{
    int a = snprintf(rf->trace, sizeof rf->trace, "%s/seed-%" PRIu64 ".jsonl",
                     dir, seed);
    int b = snprintf(rf->replay, sizeof rf->replay,
                     "%s/seed-%" PRIu64 ".replay", dir, seed);
    int c =
        snprintf(rf->log, sizeof rf->log, "%s/seed-%" PRIu64 ".log", dir, seed);
    return a > 0 && b > 0 && c > 0 && (size_t)a < sizeof rf->trace &&
                   (size_t)b < sizeof rf->replay && (size_t)c < sizeof rf->log
               ? 0
               : -1;
}

static void files_remove(const run_files *rf)
{
    unlink(rf->trace);
    unlink(rf->replay);
    unlink(rf->log);
}

/* Runs and judges seed's schedule, reports it if it failed. 1 failed, 0
 * passed, -1 after a message (PROG cannot run, out of memory). */
static int explore_one(const explore_opts *o, char **prog, const char *dir,
                       uint64_t seed, uint64_t nfailed, FILE *out)
{
    static run_files rf; /* 12 KB: not on the stack */
    run_result r = {0, 0, 0};
    verdict v;
    repro rp;
    if (files_make(&rf, dir, seed) != 0) {
        fprintf(stderr, "coscope: explore: directory name too long: %s\n", dir);
        return -1;
    }
    int rc = run_one(prog, seed, &rf, o->timeout, &r);
    if (rc != 0) {
        fprintf(stderr, "coscope: cannot run %s: %s\n", prog[0], strerror(-rc));
        files_remove(&rf);
        return -1;
    }
    judge(&r, rf.trace, rf.log, o, &v);
    if (!v.failed) {
        if (!o->keep)
            files_remove(&rf);
        return 0;
    }
    if (repro_make(&rp, seed, &rf, prog) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        return -1;
    }
    if (o->json)
        print_failure_json(seed, &r, &v, &rf, &rp, nfailed == 0, out);
    else
        print_failure(seed, &v, &rf, &rp, out);
    fflush(out);
    free(rp.replay);
    free(rp.rerun);
    return 1;
}

int cli__explore(int argc, char **argv)
{
    explore_opts o = {100, 1, 0, NULL, 0, TR_ANALYSIS_OPTS_INIT, 60000000000};
    char dir[4096];
    int i, code;
    uint64_t nfailed = 0, done;

    if ((i = parse_opts(argc, argv, &o, &code)) <= 0)
        return code;
    char **prog = argv + i;
    int err = find_prog(prog[0]);
    if (err) {
        fprintf(stderr, "coscope: cannot run %s: %s\n", prog[0], strerror(err));
        return CLI_NOEXEC;
    }
    if (make_dir(&o, dir, sizeof dir) != 0)
        return CLI_BAD;
    if (o.json) {
        printf("{\"seed\":%" PRIu64 ",\"runs\":%" PRIu64 ",\"failures\":[",
               o.seed, o.runs);
    }
    for (done = 0; done < o.runs; done++) {
        int rc = explore_one(&o, prog, dir, o.seed + done, nfailed, stdout);
        if (rc < 0) {
            if (!o.keep && nfailed == 0)
                rmdir(dir);
            return done == 0 ? CLI_NOEXEC : CLI_BAD;
        }
        nfailed += (uint64_t)rc;
    }
    int kept = o.keep || nfailed > 0;
    if (!kept)
        rmdir(dir);
    if (o.json) {
        printf("%s],\"failed\":%" PRIu64 ",\"dir\":", nfailed ? "\n" : "",
               nfailed);
        if (kept)
            tr__json_str(stdout, dir);
        else
            fputs("null", stdout);
        fputs("}\n", stdout);
    } else {
        printf("explored %" PRIu64 " schedule%s (seeds %" PRIu64 "..%" PRIu64
               "): %" PRIu64 " failed\n",
               o.runs, o.runs == 1 ? "" : "s", o.seed, o.seed + o.runs - 1,
               nfailed);
    }
    return nfailed ? CLI_BAD : CLI_OK;
}
