/* cli_replay.c: `coscope replay` — re-runs a program recorded with
 * `record --replayable`, the runtime feeding it the recorded inputs
 * (COSCOPE_REPLAY), into a trace of its own in a temporary directory, then
 * checks every event of that trace against the recorded one (tr_replay_cmp
 * in tracer/read/replay_cmp.c) and reports the first difference. With
 * --stop-at the runtime raises SIGTRAP right before that event; --gdb runs
 * the replay under gdb so that the user lands in the task's stack. */
#include "cli.h"

#include "coscope/tr_args.h"
#include "coscope/tr_replay.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void usage(FILE *f)
{
    fputs("usage: coscope replay FILE [--stop-at EVENT|TIME] [--gdb] "
          "[--gdb-x CMDS] -- PROG [ARGS...]\n"
          "\n"
          "Runs PROG again on the inputs recorded beside FILE (FILE's stem + "
          "\".replay\",\n"
          "written by `coscope record --replayable`): no socket or timer is "
          "touched for\n"
          "a recorded operation and time is virtual, so the peers need not "
          "exist and\n"
          "sleeps take no time. Every event of the replayed run is checked "
          "against\n"
          "FILE: `replayed N events, identical`, or the first difference, "
          "the last\n"
          "events that matched and the likely reason.\n"
          "\n"
          "options:\n"
          "  --stop-at EVENT   raise SIGTRAP right before event EVENT (1 is "
          "the first\n"
          "                    event after the header; loop events, as "
          "numbered in the\n"
          "                    difference report), in the task that emits "
          "it\n"
          "  --stop-at TIME    the same at the first event at or after TIME "
          "(300us, 1.5ms,\n"
          "                    2s; a bare number is an EVENT here)\n"
          "  --gdb             run the replay under gdb: it stops there with "
          "the task's\n"
          "                    stack and locals (gdb -ex run --args PROG ...)\n"
          "  --gdb-x CMDS      with --gdb: gdb -batch -x CMDS (scripts, "
          "tests)\n"
          "\n"
          "exit: 0 identical, 1 a difference (or a bad FILE), 2 usage; "
          "under --gdb,\n"
          "gdb's status; stopped by --stop-at: 0 when every event before it "
          "matched.\n",
          f);
}

char *cli__replay_log_path(const char *trace)
{
    const char *slash = strrchr(trace, '/');
    const char *base = slash ? slash + 1 : trace;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - trace) : strlen(trace);
    char *p = malloc(stem + sizeof ".replay");
    if (p) {
        memcpy(p, trace, stem);
        memcpy(p + stem, ".replay", sizeof ".replay");
    }
    return p;
}

typedef struct rp_opts {
    const char *trace, *stop_at, *gdb_x;
    int gdb;
    char **prog;
} rp_opts;

static int replay_opt(void *ov, int argc, char **argv, int *i)
{
    rp_opts *o = ov;
    const char *val, *a = argv[*i];
    int rc;
    if ((rc = cli__opt_value(argc, argv, i, "--stop-at", &val))) {
        if (rc < 0 || !*val)
            return cli__usage_error("replay", "--stop-at needs an event number or a time"),
                   -1;
        o->stop_at = val;
    } else if ((rc = cli__opt_value(argc, argv, i, "--gdb-x", &val))) {
        if (rc < 0 || !*val)
            return cli__usage_error("replay", "--gdb-x needs a file"), -1;
        o->gdb_x = val;
    } else if (strcmp(a, "--gdb") == 0) {
        o->gdb = 1;
    } else if (!o->trace && !(a[0] == '-' && a[1])) {
        o->trace = a; /* FILE, then PROG */
    } else {
        return 0;
    }
    return 1;
}

static int parse_opts(int argc, char **argv, rp_opts *o, int *code)
{
    static const char needs[] = "needs FILE and PROG (coscope replay FILE -- PROG [ARGS...])";
    int i = cli__prog_args("replay", argc, argv, replay_opt, o, usage, needs, code);
    if (i <= 0)
        return i;
    if (!o->trace) {
        *code = cli__usage_error("replay", "%s", needs);
        return -1;
    }
    if (strcmp(o->trace, "-") == 0) { /* the log is found by FILE's name */
        *code = cli__usage_error("replay", "FILE cannot be - (standard input): the "
                                 "replay log is found beside the trace file "
                                 "(its stem + .replay)");
        return -1;
    }
    if (o->gdb_x && !o->gdb) {
        *code = cli__usage_error("replay", "--gdb-x goes with --gdb");
        return -1;
    }
    o->prog = argv + i;
    return i;
}

/* The event number --stop-at names: a bare number, or the first loop
 * event of the recording at or after a time. 0 after a message, with the
 * exit code in *code (usage, or no such event). */
static uint64_t stop_event(const tr_replay_trace *rec, const char *s, int *code)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (!*end && errno == 0 && n > 0)
        return n;
    int64_t ns;
    if (*end && tr_parse_dur(s, &ns) == 0) {
        size_t k = tr_replay_event_at(rec, ns);
        if (k)
            return k;
        fprintf(stderr, "coscope: replay: no event at or after %s\n", s);
        *code = CLI_BAD;
        return 0;
    }
    *code = cli__usage_error("replay", "--stop-at: '%s' is neither an event number "
                     "(1, 2, ...) nor a time", s);
    return 0;
}

static int set_env(const tr_replay_trace *rec, const char *log, const char *out,
                   const char *notes, uint64_t stop)
{
    char num[32], seed_num[32];
    uint64_t seed;
    int seeded = tr_replay_seed(rec, &seed);
    snprintf(num, sizeof num, "%llu", (unsigned long long)stop);
    snprintf(seed_num, sizeof seed_num, "%llu", (unsigned long long)seed);
    /* the recording's schedule: the picks follow from the seed */
    if (seeded ? setenv("COSCOPE_SEED", seed_num, 1) : unsetenv("COSCOPE_SEED"))
        return -1;
    if (setenv("COSCOPE_REPLAY", log, 1) || setenv("COSCOPE_TRACE", out, 1) ||
        setenv("COSCOPE_REPLAY_NOTES", notes, 1) ||
        unsetenv("COSCOPE_REPLAY_LOG") || unsetenv("COSCOPE_FLIGHT") ||
        (stop ? setenv("COSCOPE_STOP_AT", num, 1)
              : unsetenv("COSCOPE_STOP_AT")))
        return -1;
    return 0;
}

/* Runs argv, waits; its wait status, or -1 (message printed). */
static int run_wait(char **argv)
{
    pid_t pid;
    int status, rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        fprintf(stderr, "coscope: cannot run %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

/* gdb -q [-batch -x CMDS] -ex run --args PROG ARGS... */
static int run_gdb(const rp_opts *o)
{
    size_t n = 0;
    while (o->prog[n])
        n++;
    char **v = calloc(n + 9, sizeof *v);
    if (!v)
        return -1;
    size_t k = 0;
    v[k++] = "gdb";
    v[k++] = "-q";
    if (o->gdb_x) {
        v[k++] = "-batch";
        v[k++] = "-ex";
        v[k++] = "run";
        v[k++] = "-x";
        v[k++] = (char *)o->gdb_x;
    } else {
        v[k++] = "-ex";
        v[k++] = "run";
    }
    v[k++] = "--args";
    for (size_t i = 0; i < n; i++)
        v[k++] = o->prog[i];
    int status = run_wait(v);
    free(v);
    return status;
}

static void cleanup(char *dir, const char *out, const char *notes)
{
    unlink(out);
    unlink(notes);
    rmdir(dir);
}

int cli__replay(int argc, char **argv)
{
    rp_opts o = {0};
    int code = CLI_USAGE;
    if (parse_opts(argc, argv, &o, &code) <= 0)
        return code;
    tr_replay_trace *rec = NULL;
    int err = tr_replay_load(o.trace, &rec);
    if (err != 0) {
        fprintf(stderr, "coscope: replay: %s: %s\n", o.trace,
                err == -EINVAL ? "not a coscope trace" : strerror(-err));
        return CLI_BAD;
    }
    char *log = cli__replay_log_path(o.trace);
    char dir[] = "/tmp/coscope-replay.XXXXXX", out[64], notes[64];
    uint64_t stop = 0;
    code = CLI_BAD;
    if (!log || access(log, R_OK) != 0) {
        fprintf(stderr, "coscope: replay: no replay log %s (record with "
                "`coscope record --replayable`)\n", log ? log : "");
        goto done;
    }
    if (o.stop_at && (stop = stop_event(rec, o.stop_at, &code)) == 0)
        goto done;
    if (!mkdtemp(dir)) {
        fprintf(stderr, "coscope: replay: %s: %s\n", dir, strerror(errno));
        goto done;
    }
    snprintf(out, sizeof out, "%s/replayed.jsonl", dir);
    snprintf(notes, sizeof notes, "%s/notes", dir);
    if (set_env(rec, log, out, notes, stop) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        cleanup(dir, out, notes);
        goto done;
    }
    if (stop && !o.gdb) { /* the SIGTRAP ends it: no core file wanted */
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
    }
    int status = o.gdb ? run_gdb(&o) : run_wait(o.prog);
    if (status < 0) {
        cleanup(dir, out, notes);
        code = CLI_NOEXEC;
        goto done;
    }
    if (o.gdb) { /* the user's session: its status */
        cleanup(dir, out, notes);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : CLI_BAD;
        goto done;
    }
    tr_replay_run run = {.status = status, .stopped_at = stop,
                         .replayed = out, .notes = notes};
    code = tr_replay_check(rec, &run, stdout) == 0 ? CLI_OK : CLI_BAD;
    cleanup(dir, out, notes);
done:
    free(log);
    tr_replay_free(rec);
    return code;
}
