/* test_cli.c: end-to-end tests of the `coscope` binary on the small traces
 * in data/: exact stdout against golden files in golden/, exit codes, help
 * texts, `record` status passthrough, and the Chrome export checked as a
 * structure (parsed with cJSON). The binary path comes from COSCOPE_BIN.
 *
 * To regenerate the golden files after an intended output change, run
 *     COSCOPE_REGEN=1 ctest -R test_cli      (or: COSCOPE_REGEN=1 ./test_cli)
 * then review `git diff tests/cli/golden`. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.h"
#include "test.h"

#ifndef COSCOPE_BIN
#error "COSCOPE_BIN must name the coscope binary"
#endif

static char *slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    char *s = slurp_fd(fd);
    close(fd);
    return s;
}

/* Runs `coscope ARGS...` in `cwd` (the data dir if NULL). */
static result run_in(const char *cwd, const char *const *args)
{
    return run_prog(COSCOPE_BIN, args, cwd ? cwd : CLI_DATA, NULL);
}

static result run(const char *const *args)
{
    return run_in(NULL, args);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

#define ASSERT_HAS(hay, needle)                                                \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            TEST__FAIL("expected \"%s\" in:\n%s", (needle), (hay));            \
    } while (0)

/* Compares text with golden/NAME, or writes it there with COSCOPE_REGEN. */
static void check_golden(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", CLI_GOLDEN, name);
    if (getenv("COSCOPE_REGEN")) {
        FILE *f = fopen(path, "w");
        ASSERT_NOT_NULL(f);
        fputs(text, f);
        ASSERT_OK(fclose(f));
        fprintf(stderr, "regenerated %s\n", path);
        return;
    }
    char *want = slurp(path);
    if (!want)
        TEST__FAIL("missing golden file %s (run with COSCOPE_REGEN=1)", path);
    ASSERT_STR_EQ(text, want);
    free(want);
}

/* Runs the command, expects exit `status` and an empty stderr unless
 * `stderr_ok`, and checks stdout against golden/NAME. */
static void golden_cmd(const char *name, int status, int stderr_ok,
                       const char *const *args)
{
    result r = run(args);
    if (r.status != status)
        TEST__FAIL("%s: exit %d, expected %d; stderr:\n%s", name, r.status,
                   status, r.err);
    if (!stderr_ok)
        ASSERT_STR_EQ(r.err, "");
    check_golden(name, r.out);
    result_free(&r);
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/coscope-test-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ASSERT_OK(system(cmd));
}

/* ---- help and usage ---- */

static void test_help(void)
{
    static const char *const cmds[] = {"record", "stalls",   "stats",
                                       "export", "validate", "view"};
    result r = run((const char *[]){"--help", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT(starts_with(r.out, "usage: coscope COMMAND"));
    ASSERT_HAS(r.out, "3 stalls found with --fail-on-stall");
    result_free(&r);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char want[64];
        r = run((const char *[]){cmds[i], "--help", NULL});
        if (r.status != 0)
            TEST__FAIL("%s --help: exit %d", cmds[i], r.status);
        snprintf(want, sizeof want, "usage: coscope %s", cmds[i]);
        ASSERT_HAS(r.out, want);
        result_free(&r);
    }
}

static void expect_usage(const char *const *args, const char *msg)
{
    result r = run(args);
    if (r.status != 2)
        TEST__FAIL("%s ...: exit %d, expected 2", args[0] ? args[0] : "",
                   r.status);
    ASSERT_HAS(r.err, msg);
    ASSERT_STR_EQ(r.out, "");
    result_free(&r);
}

static void test_usage(void)
{
    expect_usage((const char *[]){NULL}, "usage: coscope");
    expect_usage((const char *[]){"frob", NULL},
                 "coscope: unknown command 'frob'");
    expect_usage((const char *[]){"stalls", NULL}, "stalls: missing FILE");
    expect_usage((const char *[]){"stalls", "basic.jsonl", "--bogus", NULL},
                 "unknown option '--bogus'");
    expect_usage(
        (const char *[]){"stalls", "basic.jsonl", "--threshold", "abc", NULL},
        "bad threshold 'abc'");
    expect_usage((const char *[]){"stalls", "basic.jsonl", "--threshold", NULL},
                 "--threshold needs a value");
    expect_usage((const char *[]){"stats", "basic.jsonl", "--sort", "x", NULL},
                 "--sort takes busy, latency, polls or name");
    expect_usage((const char *[]){"stats", "basic.jsonl", "--task", "", NULL},
                 "--task needs a task");
    expect_usage((const char *[]){"export", "basic.jsonl", NULL}, "--chrome");
    expect_usage((const char *[]){"validate", "a", "b", NULL},
                 "unexpected argument 'b'");
    expect_usage((const char *[]){"record", NULL}, "missing PROG");
    expect_usage((const char *[]){"record", "-o", NULL}, "-o needs");
}

/* ---- golden outputs ---- */

static void test_stalls_json(void)
{
    golden_cmd("basic.stalls.json", 0, 0,
               (const char *[]){"stalls", "basic.jsonl", "--json", NULL});
    golden_cmd("deadlock.stalls.json", 0, 1,
               (const char *[]){"stalls", "--json", "deadlock.jsonl", NULL});
    golden_cmd("basic.stalls-5ms.json", 0, 0,
               (const char *[]){"stalls", "basic.jsonl", "--json",
                                "--threshold=4.5ms", NULL});
}

static void test_stalls_human(void)
{
    golden_cmd("basic.stalls.txt", 0, 0,
               (const char *[]){"stalls", "basic.jsonl", NULL});
    golden_cmd("deadlock.stalls.txt", 0, 1,
               (const char *[]){"stalls", "deadlock.jsonl", NULL});
}

static void test_stats_json(void)
{
    golden_cmd("basic.stats.json", 0, 0,
               (const char *[]){"stats", "basic.jsonl", "--json", NULL});
    golden_cmd("basic.stats-busy.json", 0, 0,
               (const char *[]){"stats", "basic.jsonl", "--json", "--sort",
                                "busy", NULL});
    golden_cmd("basic.stats-task3.json", 0, 0,
               (const char *[]){"stats", "basic.jsonl", "--json", "--task", "3",
                                NULL});
    golden_cmd("deadlock.stats.json", 0, 1,
               (const char *[]){"stats", "deadlock.jsonl", "--json", NULL});
}

static void test_stats_human(void)
{
    golden_cmd("basic.stats.txt", 0, 0,
               (const char *[]){"stats", "basic.jsonl", NULL});
    golden_cmd(
        "basic.stats-name.txt", 0, 0,
        (const char *[]){"stats", "basic.jsonl", "--sort", "name", NULL});
    golden_cmd("basic.stats-task2.txt", 0, 0,
               (const char *[]){"stats", "basic.jsonl", "--task", "2", NULL});
    /* the same task by its label and by its name */
    golden_cmd("basic.stats-task2.txt", 0, 0,
               (const char *[]){"stats", "basic.jsonl", "--task", "handler (2)",
                                NULL});
    golden_cmd("basic.stats-task2.txt", 0, 0,
               (const char *[]){"stats", "basic.jsonl", "--task", "handler",
                                NULL});
}

/* `stats --range`: the range's figures, text and JSON (the 4 stalls that
 * overlap 10..60 ms of basic.jsonl and their 2 causes, each task's time,
 * the latency histogram); a range that is not FROM < TO, or one with
 * --task, is a usage error. */
static void test_stats_range(void)
{
    golden_cmd("basic.stats-range.txt", 0, 0,
               (const char *[]){"stats", "basic.jsonl", "--range", "10ms..60ms", NULL});
    golden_cmd("basic.stats-range.json", 0, 0,
               (const char *[]){"stats", "basic.jsonl", "--range", "10ms..60ms", "--json",
                                NULL});
    /* a range past the trace's end: no loop time, no stalls, no tasks */
    golden_cmd("basic.stats-range-after.json", 0, 0,
               (const char *[]){"stats", "basic.jsonl", "--range=1s..2s", "--json", NULL});
    result r = run((const char *[]){"stats", "basic.jsonl", "--range", "60ms..10ms", NULL});
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "coscope: stats: --range takes FROM..TO with FROM < TO (10ms..50ms), "
                         "not '60ms..10ms'\nTry 'coscope stats --help'.\n");
    result_free(&r);
    r = run((const char *[]){"stats", "basic.jsonl", "--range", "1..2", "--task", "2", NULL});
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "coscope: stats: --range goes without --task\n"
                         "Try 'coscope stats --help'.\n");
    result_free(&r);
}

/* ---- exit codes ---- */

/* --kind keeps only the named kinds, in the table, the JSON count and the
 * --fail-on-stall verdict; an unknown kind is a usage error. */
static void test_kind_filter(void)
{
    result r = run((const char *[]){"stalls", "basic.jsonl", "--kind",
                                    "blocked,latency", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT(starts_with(r.out, "2 stalls (threshold 20.0 ms)\n"));
    ASSERT_HAS(r.out, "latency  fetch (3)");
    ASSERT_HAS(r.out, "blocked  handler (2)");
    ASSERT(strstr(r.out, "wait ") == NULL);
    result_free(&r);

    r = run((const char *[]){"stalls", "basic.jsonl", "--kind", "stuck",
                             "--fail-on-stall", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "no stalls (threshold 20.0 ms)\n");
    result_free(&r);

    r = run((const char *[]){"stalls", "basic.jsonl", "--kind", "wait",
                             "--json", "--fail-on-stall", NULL});
    ASSERT_EQ(r.status, 3);
    ASSERT_HAS(r.out, "\"count\":2,");
    ASSERT(strstr(r.out, "\"kind\":\"blocked\"") == NULL);
    result_free(&r);

    r = run((const char *[]){"stalls", "basic.jsonl", "--kind", "slow", NULL});
    ASSERT_EQ(r.status, 2);
    ASSERT_HAS(r.err, "bad --kind 'slow'");
    result_free(&r);

    r = run((const char *[]){"stalls", "basic.jsonl", "--kind", "", NULL});
    ASSERT_EQ(r.status, 2);
    result_free(&r);
}

static void test_exit_codes(void)
{
    result r =
        run((const char *[]){"stalls", "basic.jsonl", "--fail-on-stall", NULL});
    ASSERT_EQ(r.status, 3);
    result_free(&r);

    r = run((const char *[]){"stalls", "basic.jsonl", "--fail-on-stall",
                             "--threshold", "1000", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "no stalls (threshold 1.00 s)\n");
    result_free(&r);

    r = run((const char *[]){"stalls", "no-such.jsonl", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT(starts_with(r.err, "coscope: "));
    ASSERT_HAS(r.err, "no-such.jsonl");
    ASSERT_STR_EQ(r.out, "");
    result_free(&r);

    r = run((const char *[]){"stats", "bad.jsonl", "--json", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT(starts_with(r.err, "coscope: bad.jsonl:3: "));
    ASSERT_STR_EQ(r.out, "");
    result_free(&r);

    r = run((const char *[]){"stats", "basic.jsonl", "--task", "99", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "coscope: basic.jsonl: no task 99\n");
    result_free(&r);

    /* --task takes a task as the tools print it: a label must match */
    r = run((const char *[]){"stats", "basic.jsonl", "--task", "main (3)", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "coscope: basic.jsonl: no task main (3)\n");
    result_free(&r);
    r = run((const char *[]){"stats", "basic.jsonl", "--task", "x", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "coscope: basic.jsonl: no task x\n");
    result_free(&r);
}

/* `view` runs coscope-view when the build has one (a headless screenshot
 * proves the arguments arrived); without it, it says so (test_cli_layers
 * checks both strictly). */
static void test_view(void)
{
    char png[128];
    struct stat st;
    make_tmpdir();
    snprintf(png, sizeof png, "%s/v.png", tmpdir);
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    result r =
        run((const char *[]){"view", "basic.jsonl", "--screenshot", png, NULL});
    if (strstr(r.err, "coscope-view is not installed")) {
        ASSERT_EQ(r.status, 1);
    } else {
        if (r.status != 0)
            TEST__FAIL("view: exit %d; stderr:\n%s", r.status, r.err);
        ASSERT_OK(stat(png, &st));
        ASSERT_CMP(st.st_size, >, 0);
    }
    result_free(&r);
    remove_tmpdir();
}

/* ---- validate ---- */

static void test_validate(void)
{
    result r = run((const char *[]){"validate", "basic.jsonl", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "basic.jsonl: ok, 34 events, 3 tasks, 80.0 ms\n");
    ASSERT_STR_EQ(r.err, "");
    result_free(&r);

    r = run((const char *[]){"validate", "bad.jsonl", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT(starts_with(r.err, "coscope: bad.jsonl:3: "));
    ASSERT_EQ(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err));
    ASSERT_STR_EQ(r.out, "");
    result_free(&r);

    /* Truncated: valid, with a warning on stderr naming the file. */
    r = run((const char *[]){"validate", "truncated.jsonl", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT(starts_with(r.out, "truncated.jsonl: ok, 14 events, 3 tasks, "));
    ASSERT_HAS(r.out, "truncated");
    ASSERT(starts_with(r.err, "coscope: warning: truncated.jsonl"));
    result_free(&r);
}

static size_t count_of(const char *s, const char *needle);

/* A trace with no end line (being written, or cut short): its tasks still
 * waiting are not called stuck, and top does not count them as stalls. */
static void test_open_waits(void)
{
    result r = run((const char *[]){"stalls", "truncated.jsonl", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_HAS(r.out, "\nstill waiting where the trace stops (it has no end line: still being "
                      "written, or cut short): 2 tasks\n");
    ASSERT_HAS(r.out, "\nwaiting  main (1)     6.00 µs   30.0 ms  demo.c:25  join handler (2), "
                      "waits on handler (2)\n");
    ASSERT_HAS(r.out, "\nwaiting  handler (2)  30.0 ms   2.00 µs  demo.c:31  io read fd 7\n");
    ASSERT(strstr(r.out, "stuck") == NULL);
    result_free(&r);
    r = run((const char *[]){"stalls", "truncated.jsonl", "--json", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_EQ(count_of(r.out, "\"kind\":\"stuck\""), 2);
    ASSERT_EQ(count_of(r.out, "\"open\":true"), 2);
    result_free(&r);
    r = run((const char *[]){"top", "--once", "truncated.jsonl", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_HAS(r.out, "2 waiting, 0 done; 2 stalls\n"); /* blocked + latency */
    result_free(&r);
    r = run((const char *[]){"stalls", "deadlock.jsonl", "--json", NULL});
    ASSERT_EQ(count_of(r.out, "\"open\""), 0); /* no end line, but a lock cycle */
    result_free(&r);
}

/* ---- record ---- */

static void test_record_status(void)
{
    make_tmpdir();
    /* No trace written: say so, keep the exit status. */
    result r = run_in(tmpdir, (const char *[]){"record", "--", "/bin/sh", "-c",
                                               "exit 7", NULL});
    ASSERT_EQ(r.status, 7);
    ASSERT_HAS(r.err, "no trace was written to sh.jsonl");
    result_free(&r);

    r = run_in(tmpdir,
               (const char *[]){"record", "--", "/no/such/program", NULL});
    ASSERT_EQ(r.status, 127);
    ASSERT(starts_with(r.err, "coscope: cannot run /no/such/program: "));
    result_free(&r);

    /* Killed by a signal, no trace: 128 + signal. */
    r = run_in(tmpdir,
               (const char *[]){"record", "-o", "k.jsonl", "--", "/bin/sh",
                                "-c", "kill -TERM $$", NULL});
    ASSERT_EQ(r.status, 128 + 15);
    ASSERT_HAS(r.err, "was killed by signal 15");
    result_free(&r);

    /* SIGTERM sent to record is passed on: PROG's trap runs and its status
     * comes back (without forwarding, record itself would die of it). */
    r = run_in(tmpdir, (const char *[]){"record", "-o", "t.jsonl", "--", "/bin/sh",
                                        "-c",
                                        "trap 'exit 9' TERM; kill -TERM $PPID; "
                                        "sleep 5 >/dev/null 2>&1 & wait",
                                        NULL});
    ASSERT_EQ(r.status, 9);
    ASSERT_HAS(r.err, "/bin/sh exited with status 9; no trace was written");
    result_free(&r);
    remove_tmpdir();
}

static void test_record_trace(void)
{
    char cmd[512];
    make_tmpdir();
    /* A "program" that writes a trace where COSCOPE_TRACE says, by copying
     * one: the default path is PROG's basename + .jsonl in the cwd. */
    snprintf(cmd, sizeof cmd, "cp '%s/basic.jsonl' \"$COSCOPE_TRACE\"",
             CLI_DATA);
    result r = run_in(
        tmpdir, (const char *[]){"record", "--", "/bin/sh", "-c", cmd, NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.err,
                  "coscope: /bin/sh exited with status 0; recorded 34 events "
                  "from 3 tasks over 80.0 ms in sh.jsonl; 4 stalls found "
                  "(coscope stalls sh.jsonl).\n");
    result_free(&r);

    /* Running again without writing must not summarise the stale file, and
     * a recording that wrote nothing fails even when PROG exited 0. */
    r = run_in(tmpdir, (const char *[]){"record", "--", "/bin/sh", "-c",
                                        "exit 0", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT_HAS(r.err, "no trace was written to sh.jsonl");
    result_free(&r);

    /* An unwritable trace path: nothing written, exit 1. */
    r = run_in(tmpdir, (const char *[]){"record", "-o", "/nonexistent/x.jsonl",
                                        "--", "/bin/sh", "-c", "exit 0", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT_HAS(r.err, "exited with status 0; no trace was written to "
                      "/nonexistent/x.jsonl");
    result_free(&r);

    /* A crash leaves a truncated trace: summarised with the warning, and
     * the signal's status passed through. */
    snprintf(cmd, sizeof cmd,
             "cp '%s/truncated.jsonl' \"$COSCOPE_TRACE\"; kill -SEGV $$",
             CLI_DATA);
    r = run_in(tmpdir, (const char *[]){"record", "-o", "crash.jsonl", "--",
                                        "/bin/sh", "-c", cmd, NULL});
    ASSERT_EQ(r.status, 128 + 11);
    ASSERT(starts_with(r.err, "coscope: warning: crash.jsonl"));
    ASSERT_HAS(r.err, "/bin/sh was killed by signal 11; recorded 14 events "
                      "from 3 tasks");
    ASSERT_HAS(r.err, "(truncated) in crash.jsonl");
    result_free(&r);
    remove_tmpdir();
}

/* ---- annotated spans in stats ---- */

static void test_stats_spans(void)
{
    /* request: 2..8 us, 9..10 us, 11 us to the end (15 us, still open);
     * query: 3..5 us. The task's name is its last (rename). */
    result r = run((const char *[]){"stats", "spans.jsonl", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_HAS(r.out, "server");
    ASSERT_HAS(r.out, "\n\nSPAN     COUNT    TOTAL     MEAN      MAX  OPEN\n"
                      "request      3  11.0 \u00b5s  3.67 \u00b5s  6.00 \u00b5s     1\n"
                      "query        1  2.00 \u00b5s  2.00 \u00b5s  2.00 \u00b5s     0\n");
    result_free(&r);
    r = run((const char *[]){"stats", "spans.jsonl", "--json", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_HAS(r.out, "],\"spans\":[{\"name\":\"request\",\"count\":3,\"open\":1,"
                      "\"total\":11000,\"max\":6000},{\"name\":\"query\",\"count\":1,"
                      "\"open\":0,\"total\":2000,\"max\":2000}]}\n");
    ASSERT_HAS(r.out, "\"name\":\"server\"");
    result_free(&r);
    /* a trace without spans has no spans section */
    r = run((const char *[]){"stats", "basic.jsonl", NULL});
    ASSERT(strstr(r.out, "SPAN") == NULL);
    result_free(&r);
}

/* ---- Chrome export, checked as a structure ---- */

typedef struct xslice {
    double tid, ts, dur;
} xslice;

static int cmp_slice(const void *a, const void *b)
{
    const xslice *x = a, *y = b;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static void check_chrome(const char *json, int expect_flows, int expect_work)
{
    cJSON *root = cJSON_Parse(json);
    ASSERT_NOT_NULL(root);
    /* no displayTimeUnit: an old Perfetto read "ns" as the unit of ts */
    ASSERT_NULL(cJSON_GetObjectItemCaseSensitive(root, "displayTimeUnit"));
    cJSON *evs = cJSON_GetObjectItemCaseSensitive(root, "traceEvents");
    ASSERT(cJSON_IsArray(evs));
    int n = cJSON_GetArraySize(evs);
    xslice *sl = calloc((size_t)n + 1, sizeof *sl);
    double *named = calloc((size_t)n + 1, sizeof *named);
    double *used = calloc((size_t)n + 1, sizeof *used);
    double *s_id = calloc((size_t)n + 1, sizeof *s_id);
    double *f_id = calloc((size_t)n + 1, sizeof *f_id);
    size_t nsl = 0, nnamed = 0, nused = 0, ns = 0, nf = 0, nwork = 0, nwakes = 0;
    int process_named = 0;
    ASSERT(sl && named && used && s_id && f_id);

    cJSON *e;
    cJSON_ArrayForEach(e, evs)
    {
        const char *ph =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "ph"));
        const char *name =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
        cJSON *tid = cJSON_GetObjectItemCaseSensitive(e, "tid");
        cJSON *pid = cJSON_GetObjectItemCaseSensitive(e, "pid");
        cJSON *ts = cJSON_GetObjectItemCaseSensitive(e, "ts");
        ASSERT_NOT_NULL(ph);
        ASSERT_NOT_NULL(name);
        ASSERT(*name || strcmp(ph, "I") == 0);
        ASSERT(cJSON_IsNumber(tid) && tid->valuedouble >= 0);
        ASSERT(cJSON_IsNumber(pid));
        if (strcmp(ph, "M") == 0) {
            cJSON *args = cJSON_GetObjectItemCaseSensitive(e, "args");
            ASSERT(cJSON_IsObject(args));
            if (strcmp(name, "thread_name") == 0) {
                const char *tn = cJSON_GetStringValue(
                    cJSON_GetObjectItemCaseSensitive(args, "name"));
                ASSERT(tn && *tn);
                named[nnamed++] = tid->valuedouble;
            } else if (strcmp(name, "process_name") == 0) {
                process_named = 1;
            }
            continue;
        }
        ASSERT(cJSON_IsNumber(ts) && ts->valuedouble >= 0);
        used[nused++] = tid->valuedouble;
        ASSERT_NOT_NULL(cJSON_GetObjectItemCaseSensitive(e, "cat"));
        if (strcmp(ph, "X") == 0) {
            cJSON *dur = cJSON_GetObjectItemCaseSensitive(e, "dur");
            ASSERT(cJSON_IsNumber(dur) && dur->valuedouble >= 0);
            sl[nsl++] =
                (xslice){tid->valuedouble, ts->valuedouble, dur->valuedouble};
            if (tid->valuedouble >= 1000000)
                nwork++;
        } else if (strcmp(ph, "s") == 0 || strcmp(ph, "f") == 0) {
            /* hex string ids (Perfetto reads a string id as hex); the
             * flow's category is that of the events it binds to */
            const char *id =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "id"));
            ASSERT(id && strncmp(id, "0x", 2) == 0);
            char *end;
            double v = (double)strtoull(id + 2, &end, 16);
            ASSERT(*end == '\0' && v > 0);
            ASSERT_STR_EQ(name, "wake");
            ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "cat")),
                          "run");
            if (ph[0] == 's') {
                s_id[ns++] = v;
            } else {
                ASSERT_STR_EQ(cJSON_GetStringValue(
                                  cJSON_GetObjectItemCaseSensitive(e, "bp")),
                              "e");
                f_id[nf++] = v;
            }
        } else if (strcmp(ph, "I") == 0) {
            const char *cat =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "cat"));
            ASSERT_STR_EQ(
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "s")),
                "t");
            if (strcmp(cat, "run") == 0) { /* the wake a flow starts from */
                ASSERT(strncmp(name, "wake ", 5) == 0);
                nwakes++;
            } else {
                ASSERT_NOT_NULL(cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(e, "args"), "msg"));
            }
        } else {
            TEST__FAIL("unexpected ph %s", ph);
        }
    }
    ASSERT(process_named);

    /* Every track that has events has a name. */
    for (size_t i = 0; i < nused; i++) {
        size_t k = 0;
        while (k < nnamed && named[k] != used[i])
            k++;
        if (k == nnamed)
            TEST__FAIL("tid %.0f has no thread_name", used[i]);
    }
    /* Flows pair up: every s has exactly one f with its id, and back. */
    ASSERT_EQ(ns, nf);
    ASSERT_EQ(ns, (size_t)expect_flows);
    ASSERT_EQ(nwakes, ns);
    for (size_t i = 0; i < ns; i++) {
        size_t matches = 0;
        for (size_t k = 0; k < nf; k++)
            matches += f_id[k] == s_id[i];
        ASSERT_EQ(matches, 1);
        for (size_t k = 0; k < i; k++)
            ASSERT(s_id[k] != s_id[i]);
    }
    /* X slices on one track never overlap. */
    qsort(sl, nsl, sizeof *sl, cmp_slice);
    for (size_t i = 1; i < nsl; i++) {
        if (sl[i].tid != sl[i - 1].tid)
            continue;
        /* as consumers compute it: in doubles (times are binary fractions) */
        if (sl[i - 1].ts + sl[i - 1].dur > sl[i].ts)
            TEST__FAIL("tid %.0f: slice at %.3f + %.3f overlaps %.3f",
                       sl[i].tid, sl[i - 1].ts, sl[i - 1].dur, sl[i].ts);
    }
    ASSERT_EQ(nwork, (size_t)expect_work);
    free(sl);
    free(named);
    free(used);
    free(s_id);
    free(f_id);
    cJSON_Delete(root);
}

/* Occurrences of `needle` in `s`. */
static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_export_chrome(void)
{
    result r = run((const char *[]){"export", "basic.jsonl", "--chrome", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.err, "");
    /* 6 ready lines, each followed by a run. */
    check_chrome(r.out, 6, 1);
    /* Times as exact binary fractions of a us (1/1024 us ticks), and the
     * escaped mark. */
    ASSERT_HAS(r.out, "\"ts\":80005.5,\"dur\":0.5,");

    ASSERT_HAS(r.out, "\"name\":\"start \\\"busy\\\" loop \xc2\xb5\"");
    ASSERT_HAS(r.out, "\"args\":{\"name\":\"handler (2)\"}");

    /* Stalls: one "I" event each on the task's track, exactly the ones
     * `coscope stalls` lists, saying why. */
    ASSERT_EQ(count_of(r.out, "\"cat\":\"stall\""), 4);
    /* The words are the evidence column of `coscope stalls`, and each
     * stall names its cause. */
    ASSERT_HAS(r.out, "{\"ph\":\"I\",\"pid\":4242,\"tid\":2,\"s\":\"t\",\"cat\":\"stall\","
                      "\"name\":\"blocked stall\",\"ts\":7,\"args\":{\"msg\":\"ready meanwhile: "
                      "fetch (3) 30.0 ms\",\"dur\":30001.000,\"at\":\"demo.c:31\",\"cause\":1}}");
    ASSERT_HAS(r.out, "\"name\":\"latency stall\",\"ts\":4,\"args\":{\"msg\":\"woken by main "
                      "(1) on spawn; ran meanwhile: handler (2) 30.0 ms, main (1) 2.00 \xc2\xb5s\","
                      "\"dur\":30006.000,\"cause\":1}}");
    ASSERT_HAS(r.out, "\"msg\":\"io read fd 7\",\"dur\":49992.500,\"at\":\"demo.c:31\",\"cause\":0}");
    ASSERT_HAS(r.out, "\"msg\":\"join handler (2)\",\"dur\":79999.500,\"at\":\"demo.c:25\","
                      "\"cause\":0}");
    /* Causes: one "I" event each on the root task's track, in rank order. */
    ASSERT_EQ(count_of(r.out, "\"cat\":\"cause\""), 2);
    ASSERT_HAS(r.out, "{\"ph\":\"I\",\"pid\":4242,\"tid\":2,\"s\":\"t\",\"cat\":\"cause\","
                      "\"name\":\"cause 0: io\",\"ts\":30008,\"args\":{\"msg\":\"handler (2) "
                      "waited 50.0 ms on io read fd 7 (outside the process) at demo.c:31\","
                      "\"dur\":49992.500,\"blamed\":99985.000,\"victims\":[1,2],\"chain\":\"main "
                      "(1) join handler (2) <- handler (2) io read fd 7\"}}");
    ASSERT_HAS(r.out, "\"name\":\"cause 1: run\",\"ts\":7,\"args\":{\"msg\":\"handler (2) ran "
                      "30.0 ms on the loop without yielding at demo.c:31\",\"dur\":30001.000,"
                      "\"blamed\":30001.000,\"victims\":[3],\"chain\":\"fetch (3) ready <- handler "
                      "(2) running\"}}");
    result_free(&r);
    /* 200 ns is 204.8 ticks: 205, written 0.2001953125; 2800 ns: 2867 */
    r = run((const char *[]){"export", "deadlock.jsonl", "--chrome", NULL});
    ASSERT_HAS(r.out, "\"ts\":0.2001953125,\"dur\":1}");
    ASSERT_HAS(r.out, "\"name\":\"busy\",\"ts\":0,\"dur\":2.7998046875}");
    result_free(&r);
    result r1 = run((const char *[]){"export", "basic.jsonl", "--chrome", "--threshold", "1ms",
                                     NULL});
    ASSERT_EQ(r1.status, 0);
    result rs = run((const char *[]){"stalls", "basic.jsonl", "--json", "--threshold", "1ms",
                                     NULL});
    ASSERT_HAS(rs.out, "\"count\":5,");
    ASSERT_EQ(count_of(r1.out, "\"cat\":\"stall\""), 5);
    check_chrome(r1.out, 6, 1);
    result_free(&r1);
    result_free(&rs);
    expect_usage((const char *[]){"export", "basic.jsonl", "--chrome", "--threshold", "x", NULL},
                 "coscope: export: bad threshold 'x'\nTry 'coscope export --help'.\n");

    r = run((const char *[]){"export", "deadlock.jsonl", "--chrome", NULL});
    ASSERT_EQ(r.status, 0);
    check_chrome(r.out, 7, 0);
    ASSERT_EQ(count_of(r.out, "\"cat\":\"stall\""), 4);
    ASSERT_HAS(r.out, "\"name\":\"stuck stall\",\"ts\":2.2998046875,\"args\":{\"msg\":\"lock m2 (obj 2), "
                      "waits on b (3); DEADLOCK: a (2) -> b (3) -> c (4) -> a (2)\","
                      "\"dur\":499997.700,\"at\":\"dl.c:22\"}}");
    ASSERT_HAS(r.out, "\"msg\":\"join a (2), waits on a (2)\"");
    ASSERT_EQ(count_of(r.out, "\"cat\":\"cause\""), 0); /* a deadlock is not a cause */
    result_free(&r);

    /* -o writes the same bytes as stdout. */
    make_tmpdir();
    char out[128];
    snprintf(out, sizeof out, "%s/out.json", tmpdir);
    r = run(
        (const char *[]){"export", "basic.jsonl", "--chrome", "-o", out, NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "");
    result r2 =
        run((const char *[]){"export", "--chrome", "basic.jsonl", NULL});
    char *file = slurp(out);
    ASSERT_NOT_NULL(file);
    ASSERT_STR_EQ(file, r2.out);
    free(file);
    result_free(&r);
    result_free(&r2);
    remove_tmpdir();
}

/* ---- progress while loading ---- */

/* Checks that err is a progress line (rising percentages up to 100, for
 * `path`) taken away with "\r\033[K", followed by `rest`. */
static void check_progress(const char *err, const char *path, const char *rest)
{
    char want[256];
    int n = snprintf(want, sizeof want, "\rcoscope: loading %s: ", path);
    const char *p = err;
    int last = -1, lines = 0;
    while (strncmp(p, want, (size_t)n) == 0) {
        p += n;
        char *end;
        long pct = strtol(p, &end, 10);
        ASSERT_CMP(pct, >, last);
        ASSERT_CMP(pct, <=, 100);
        last = (int)pct;
        lines++;
        p = strchr(p, '\r');
        ASSERT_NOT_NULL(p);
        if (strncmp(p, "\r\033[K", 4) == 0)
            break;
    }
    ASSERT_CMP(lines, >=, 1);
    ASSERT_EQ(last, 100);
    ASSERT(strncmp(p, "\r\033[K", 4) == 0);
    ASSERT_STR_EQ(p + 4, rest);
}

/* Runs `coscope ARGS` on a pseudo-terminal (stdout and stderr both), with
 * COSCOPE_PROGRESS unset; returns what the terminal got. */
static char *run_on_pty(const char *const *args, int status)
{
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    ASSERT(pid >= 0);
    if (pid == 0) {
        const char *argv[16] = {COSCOPE_BIN};
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        unsetenv("COSCOPE_PROGRESS");
        execv(COSCOPE_BIN, (char **)argv);
        _exit(127);
    }
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ASSERT_NOT_NULL(buf);
        }
        ssize_t k = read(master, buf + len, cap - len - 1);
        if (k <= 0)
            break; /* EIO once the child has closed the terminal */
        len += (size_t)k;
    }
    buf[len] = '\0';
    close(master);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), status);
    return buf;
}

static void test_progress(void)
{
    /* not a terminal, nothing asked: no progress */
    const char *stats[] = {"stats", "basic.jsonl", "--json", NULL};
    unsetenv("COSCOPE_PROGRESS");
    result plain = run(stats);
    ASSERT_EQ(plain.status, 0);
    ASSERT_STR_EQ(plain.err, "");

    /* asked for: the line, then the same output */
    setenv("COSCOPE_PROGRESS", "1", 1);
    result r = run(stats);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, plain.out);
    check_progress(r.err, "basic.jsonl", "");
    result_free(&r);

    /* an error: the progress line goes before the message */
    const char *bad[] = {"validate", "bad.jsonl", NULL};
    r = run(bad);
    ASSERT_EQ(r.status, 1);
    unsetenv("COSCOPE_PROGRESS");
    result quiet = run(bad);
    ASSERT_EQ(quiet.status, 1);
    ASSERT_STR_EQ(quiet.err, "coscope: bad.jsonl:3: not a JSON object\n");
    ASSERT_STR_EQ(r.err, quiet.err); /* failed before the first progress */
    result_free(&r);
    result_free(&quiet);
    result_free(&plain);

    /* a terminal: files from 16 MB show it unasked, smaller ones do not */
    make_tmpdir();
    char big[128], bad_big[128];
    snprintf(big, sizeof big, "%s/big.jsonl", tmpdir);
    snprintf(bad_big, sizeof bad_big, "%s/bad-big.jsonl", tmpdir);
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(k ? bad_big : big, "w");
        ASSERT_NOT_NULL(f);
        fputs("{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"big\"}\n",
              f);
        for (int i = 0; i < 240000; i++)
            fprintf(f, "{\"t\":%d,\"ev\":\"mark\",\"task\":0,\"msg\":\"%s\"}\n", i,
                    "padding padding padding padding");
        if (k)
            fputs("oops\n", f); /* line 240002, after the progress began */
        fputs("{\"t\":240000,\"ev\":\"end\",\"events\":240000,\"dropped\":0}\n", f);
        ASSERT_OK(fclose(f));
    }
    struct stat sb;
    ASSERT_OK(stat(big, &sb));
    ASSERT_CMP(sb.st_size, >=, 16 << 20);
    const char *vbig[] = {"validate", big, NULL};
    char *tty = run_on_pty(vbig, 0);
    char tail[300];
    snprintf(tail, sizeof tail, "%s: ok, 240001 events, 0 tasks, 240 \xc2\xb5s\r\n", big);
    check_progress(tty, big, tail);
    free(tty);
    const char *vbad[] = {"validate", bad_big, NULL};
    tty = run_on_pty(vbad, 1);
    snprintf(tail, sizeof tail, "coscope: %s:240002: not a JSON object\r\n", bad_big);
    char *p = strstr(tty, "\r\033[K");
    ASSERT_NOT_NULL(p);
    ASSERT(strncmp(tty, "\rcoscope: loading ", strlen("\rcoscope: loading ")) == 0);
    ASSERT_STR_EQ(p + 4, tail);
    free(tty);
    const char *vsmall[] = {"validate", CLI_DATA "/basic.jsonl", NULL};
    tty = run_on_pty(vsmall, 0);
    ASSERT(strncmp(tty, CLI_DATA "/basic.jsonl: ok, ", strlen(CLI_DATA "/basic.jsonl: ok, ")) == 0);
    free(tty);
    remove_tmpdir();
}

/* coscope why: the chain from a task's wait to its sink, in words and
 * JSON; the cause it is under; a stuck task's wait-for words; errors. */
static void test_why(void)
{
    result r = run((const char *[]){"why", "basic.jsonl", "main", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out,
                  "why was main (1) not running at 6.00 \xc2\xb5s?\n"
                  "  main (1) join handler (2) from 6.00 \xc2\xb5s for 80.0 ms at demo.c:25\n"
                  "  <- handler (2) io read fd 7 from 30.0 ms for 50.0 ms at demo.c:31\n"
                  "sink: io\n"
                  "cause 0 (io, 100 ms blamed): handler (2) waited 50.0 ms on io read fd 7 (outside "
                  "the process) at demo.c:31\n");
    result_free(&r);
    r = run((const char *[]){"why", "basic.jsonl", "fetch (3)", "--json", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "{\"task\":3,\"name\":\"fetch\",\"at\":4000,\"state\":\"ready\","
                         "\"sink\":\"run\",\"cause\":1,\"chain\":[{\"task\":3,\"name\":\"fetch\","
                         "\"state\":\"ready\",\"t\":4000,\"dur_ns\":30006000},{\"task\":2,\"name\":"
                         "\"handler\",\"state\":\"running\",\"t\":7000,\"dur_ns\":30001000}]}\n");
    result_free(&r);
    r = run((const char *[]){"why", "basic.jsonl", "2", "--at", "10ms", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "handler (2) was running at 10.0 ms\n");
    result_free(&r);
    r = run((const char *[]){"why", "deadlock.jsonl", "a", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "why was a (2) not running at 2.30 \xc2\xb5s?\n"
                         "  a (2) lock m2 (obj 2) from 2.30 \xc2\xb5s for 500 ms at dl.c:22\n"
                         "sink: wait\n"
                         "stuck: lock m2 (obj 2), waits on b (3); DEADLOCK: a (2) -> b (3) -> c (4) "
                         "-> a (2)\n");
    result_free(&r);
    r = run((const char *[]){"why", "basic.jsonl", "nosuch", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "coscope: basic.jsonl: no task nosuch\n");
    result_free(&r);
    expect_usage((const char *[]){"why", "basic.jsonl", NULL}, "why: missing TASK");
    expect_usage((const char *[]){"why", "basic.jsonl", "1", "--at", "x", NULL}, "why: bad time 'x'");
}

/* A slice the OS held (on a CPU 1.5 µs of 4.07 ms, the rest in the run
 * queue: the "blocked the loop 4.07 ms" that was not) is an `os`
 * cause, not a blocked stall and not "ran on the loop"; a slice that ran
 * is a `run` cause with its on-CPU figures; both in text, JSON and why. */
static void test_os_cause(void)
{
    result r = run((const char *[]){"stalls", "preempt.jsonl", "--threshold", "1ms", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(
        r.out,
        "4 stalls (threshold 1.00 ms)\n"
        "CAUSES (what the stalls waited behind, by task-time blamed)\n"
        "#  KIND   BLAMED  TASKS  STALLS  CAUSE                                                      "
        "                                                                       CHAIN\n"
        "0  os    8.14 ms      2       2  main (1) was held off the CPU by the OS for 4.07 ms of a "
        "4.07 ms slice at p.c:5 (on a CPU 1.50 \xc2\xb5s of 4.07 ms, preempted 4.07 ms)  busy (3) "
        "ready <- main (1) running\n"
        "1  run   5.00 ms      1       2  busy (3) ran 5.00 ms on the loop without yielding at p.c:9 "
        "(on a CPU 4.90 ms of 5.00 ms, preempted 100 \xc2\xb5s)                        late (4) "
        "ready <- busy (3) running\n"
        "\n"
        "under cause 0 (os): 2 stalls\n"
        "KIND     TASK         START  DURATION  AT  EVIDENCE\n"
        "latency  fetch (2)  2.00 \xc2\xb5s   4.07 ms  -   woken by main (1) on spawn; ran "
        "meanwhile: main (1) 4.07 ms\n"
        "latency  busy (3)   2.00 \xc2\xb5s   4.07 ms  -   woken by main (1) on spawn; ran "
        "meanwhile: main (1) 4.07 ms, fetch (2) 2.00 \xc2\xb5s\n"
        "\n"
        "under cause 1 (run): 2 stalls\n"
        "KIND     TASK        START  DURATION  AT     EVIDENCE\n"
        "latency  late (4)  4.07 ms   5.00 ms  -      woken by fetch (2) on spawn; ran meanwhile: "
        "busy (3) 5.00 ms, fetch (2) 1.00 \xc2\xb5s\n"
        "blocked  busy (3)  4.07 ms   5.00 ms  p.c:9  on CPU 4.90 ms, preempted 100 \xc2\xb5s; ready "
        "meanwhile: late (4) 5.00 ms\n"
        "\n"
        "1 run slice over the threshold was stretched by the OS, not the task (not listed): the "
        "longest, main (1) at 1.00 \xc2\xb5s, 4.07 ms with 1.50 \xc2\xb5s on CPU, preempted 4.07 ms\n");
    ASSERT(strstr(r.out, "blocked the loop") == NULL);
    result_free(&r);
    r = run((const char *[]){"stalls", "preempt.jsonl", "--threshold", "1ms", "--json", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_HAS(r.out,
               "\"causes\":[\n{\"kind\":\"os\",\"task\":1,\"name\":\"main\",\"at\":\"p.c:5\",\"t\":1000,"
               "\"dur_ns\":4071000,\"blamed_ns\":8140000,\"stalls\":2,\"victims\":[2,3],\"chain\":[{"
               "\"task\":3,\"name\":\"busy\",\"state\":\"ready\",\"t\":2000,\"dur_ns\":4072000},{\"task\":1,"
               "\"name\":\"main\",\"state\":\"running\",\"t\":1000,\"dur_ns\":4071000}],\"cpu_ns\":1500,"
               "\"runq_ns\":4068500,\"stops\":0,\"stack\":\"\",\"what\":\"main (1) was held off the CPU "
               "by the OS for 4.07 ms of a 4.07 ms slice at p.c:5 (on a CPU 1.50 \xc2\xb5s of 4.07 ms, "
               "preempted 4.07 ms)\"},\n{\"kind\":\"run\",\"task\":3,");
    ASSERT_HAS(r.out, "\"cpu_ns\":4900000,\"runq_ns\":100000,\"stops\":0,\"stack\":\"\",\"what\":"
                      "\"busy (3) ran 5.00 ms on the loop without yielding at p.c:9 (on a CPU 4.90 ms "
                      "of 5.00 ms, preempted 100 \xc2\xb5s)\"}\n],");
    ASSERT_EQ(count_of(r.out, "{\"kind\":\"blocked\","), 1);
    result_free(&r);
    r = run((const char *[]){"why", "preempt.jsonl", "fetch", "--threshold", "1ms", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "why was fetch (2) not running at 2.00 \xc2\xb5s?\n"
                         "  fetch (2) ready from 2.00 \xc2\xb5s for 4.07 ms\n"
                         "  <- main (1) running from 1.00 \xc2\xb5s for 4.07 ms\n"
                         "sink: os\n"
                         "cause 0 (os, 8.14 ms blamed): main (1) was held off the CPU by the OS for "
                         "4.07 ms of a 4.07 ms slice at p.c:5 (on a CPU 1.50 \xc2\xb5s of 4.07 ms, "
                         "preempted 4.07 ms)\n");
    result_free(&r);
    r = run((const char *[]){"why", "preempt.jsonl", "fetch", "--threshold", "1ms", "--json", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "{\"task\":2,\"name\":\"fetch\",\"at\":2000,\"state\":\"ready\",\"sink\":\"os\","
                         "\"cause\":0,\"chain\":[{\"task\":2,\"name\":\"fetch\",\"state\":\"ready\",\"t\":"
                         "2000,\"dur_ns\":4070000},{\"task\":1,\"name\":\"main\",\"state\":\"running\","
                         "\"t\":1000,\"dur_ns\":4071000}]}\n");
    result_free(&r);
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"help", test_help},
        {"usage", test_usage},
        {"stalls_json", test_stalls_json},
        {"why", test_why},
        {"os_cause", test_os_cause},
        {"stalls_human", test_stalls_human},
        {"stats_json", test_stats_json},
        {"stats_human", test_stats_human},
        {"stats_range", test_stats_range},
        {"exit_codes", test_exit_codes},
        {"open_waits", test_open_waits},
        {"kind_filter", test_kind_filter},
        {"validate", test_validate},
        {"view", test_view},
        {"stats_spans", test_stats_spans},
        {"record_status", test_record_status},
        {"record_trace", test_record_trace},
        {"export_chrome", test_export_chrome},
        {"progress", test_progress},
        {NULL, NULL},
    };
    unsetenv("COSCOPE_PROGRESS"); /* a developer's setting must not reach the goldens */
    return test_main(argc, argv, cases);
}
