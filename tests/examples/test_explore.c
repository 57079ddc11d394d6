/* tests/examples/test_explore.c: `coscope explore` end to end. It finds the
 * order-dependent bug planted in examples/race_demo.c (which passes under
 * the default FIFO schedule) within 20 schedules, names the seed, and the
 * commands it prints reproduce that run: `coscope replay` of the kept
 * recording is identical, and a new run under the seed has the same exit
 * status, message and events. The fixed program explores clean; deadlocks
 * and --fail-on stalls fail a run; usage errors and a missing PROG have
 * their exit codes. Runs are few and deterministic (seeds), never timed. */
#include "run_prog.h"
#include "test.h"

#include <dirent.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef EX_BIN_DIR
#error "EX_BIN_DIR must name the directory of the example binaries"
#endif

static char dir[64]; /* the test's own cwd and TMPDIR */


static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/coscope-explore-test-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(dir));
    ASSERT_OK(setenv("TMPDIR", dir, 1));
    ASSERT_OK(chdir(dir));
    unsetenv("COSCOPE_SEED");
    unsetenv("COSCOPE_TRACE");
}

/* Runs argv (NULL-terminated) in dir, output captured. */
static run run_argv(char *const *argv)
{
    return run_capture(dir, argv, NULL);
}

/* coscope explore ARGS... (NULL-terminated; "@race_demo" is the example's
 * path). */
static run explore(const char *first, ...)
{
    char *argv[24] = {COSCOPE_BIN, "explore"};
    static char paths[4][256];
    int argc = 2, np = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 23; a = va_arg(ap, const char *)) {
        if (a[0] == '@' && np < 4) {
            snprintf(paths[np], sizeof paths[np], "%s/%s", EX_BIN_DIR, a + 1);
            a = paths[np++];
        }
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    return run_argv(argv);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Files left in dir (the test's own dot files aside). */
static int dir_entries(const char *path)
{
    DIR *d = opendir(path);
    ASSERT_NOT_NULL(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A trace's events as "ev task why at" lines, without times or fields a
 * schedule does not decide (on-CPU figures, the header's pid and clock). */
static char *events(const char *path)
{
    char *text = test_slurp(path, NULL);
    ASSERT_NOT_NULL(text);
    char *out = malloc(strlen(text) + 1);
    ASSERT_NOT_NULL(out);
    size_t o = 0;
    const char *keys[] = {"\"ev\":", "\"task\":", "\"why\":", "\"at\":", "\"next\":"};
    for (char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char *end = strchr(line + 1, '\n');
        ASSERT_NOT_NULL(end);
        for (size_t k = 0; k < 5; k++) {
            char *p = strstr(line + 1, keys[k]);
            if (p && p < end) {
                p += strlen(keys[k]);
                size_t len = strcspn(p, ",}");
                if (k == 4) /* format v2: the run folded into this line */
                    memcpy(out + o, "next:", 5), o += 5;
                memcpy(out + o, p, len);
                o += len;
            }
            out[o++] = k == 4 ? '\n' : ' ';
        }
    }
    out[o] = '\0';
    free(text);
    return out;
}

#define RACE_MSG "race_demo: overdrawn: balance -20 after alice reserved, bob reserved"

/* Under FIFO the planted bug never shows: the program passes. */
static void test_fifo_passes(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/race_demo", EX_BIN_DIR);
    run r = run_argv((char *[]){path, NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "race_demo: balance 40\n");
    run_free(&r);
}

/* Explore finds it among seeds 1..20 (seed 2, fixed by the runtime's PRNG),
 * and the printed command reproduces it: status, message and events. */
static void test_finds_race(void)
{
    run r = explore("-n", "20", "--", "@race_demo", NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT_EQ(count(r.out, "\nseed ") + (strncmp(r.out, "seed ", 5) == 0), 1);
    ASSERT_EQ(strncmp(r.out, "seed 2: exit status 1: " RACE_MSG "\n", 23 + sizeof RACE_MSG), 0);
    ASSERT(strstr(r.out, "\nexplored 20 schedules (seeds 1..20): 1 failed\n") != NULL);
    char trace[256], cmd[1024], replay[1024];
    const char *t = strstr(r.out, "\n  trace:  ");
    const char *c = strstr(r.out, "\n  rerun:  ");
    const char *p = strstr(r.out, "\n  replay: ");
    ASSERT_NOT_NULL(t);
    ASSERT_NOT_NULL(c);
    ASSERT_NOT_NULL(p);
    ASSERT_EQ(sscanf(t, "\n  trace:  %255[^\n]", trace), 1);
    ASSERT_EQ(sscanf(c, "\n  rerun:  %1023[^\n]", cmd), 1);
    ASSERT_EQ(sscanf(p, "\n  replay: %1023[^\n]", replay), 1);
    char want[1024];
    snprintf(want, sizeof want, "COSCOPE_SEED=2 coscope record -o seed-2.jsonl -- %s/race_demo",
             EX_BIN_DIR);
    ASSERT_STR_EQ(cmd, want);
    snprintf(want, sizeof want, "coscope replay %s -- %s/race_demo", trace, EX_BIN_DIR);
    ASSERT_STR_EQ(replay, want);
    char *kept = events(trace);
    run_free(&r);

    /* the command as printed, with this build's coscope on the PATH */
    char bindir[256], pathvar[4096];
    snprintf(bindir, sizeof bindir, "%s", COSCOPE_BIN);
    *strrchr(bindir, '/') = '\0';
    snprintf(pathvar, sizeof pathvar, "%s:%s", bindir, getenv("PATH") ? getenv("PATH") : "");
    ASSERT_OK(setenv("PATH", pathvar, 1));
    /* the replay of the kept recording: the same run, event for event */
    r = run_argv((char *[]){"sh", "-c", replay, NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT(strncmp(r.out, "replayed ", 9) == 0);
    ASSERT(strstr(r.out, " events, identical\n") != NULL);
    ASSERT(strstr(r.err, RACE_MSG "\n") != NULL);
    run_free(&r);
    /* a new run of the schedule */
    r = run_argv((char *[]){"sh", "-c", cmd, NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT(strstr(r.err, RACE_MSG "\n") != NULL);
    ASSERT(strstr(r.err, "race_demo exited with status 1; recorded ") != NULL);
    char *again = events("seed-2.jsonl");
    ASSERT_STR_EQ(again, kept);
    /* this schedule's switches in: run lines, and runs folded into the
     * line that ended the slice before (format v2's `next`) */
    ASSERT_EQ(count(again, "\"run\"") + count(again, "next:"), 8);
    char *head = test_slurp("seed-2.jsonl", NULL);
    ASSERT(strstr(head, ",\"seed\":2") != NULL && strstr(head, ",\"seed\":2") < strchr(head, '\n'));
    free(head);
    free(again);
    free(kept);
    run_free(&r);
}

/* The mutex version: every schedule passes, nothing is left behind. */
static void test_fixed_clean(void)
{
    run r = explore("-n", "20", "--", "@race_demo", "--fixed", NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "explored 20 schedules (seeds 1..20): 0 failed\n");
    ASSERT_STR_EQ(r.err, "");
    ASSERT_EQ(dir_entries(dir), 0);
    run_free(&r);
    /* --keep: every run's trace and output stay */
    r = explore("-n", "3", "--seed", "5", "--keep", "kept", "--", "@race_demo", "--fixed", NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "explored 3 schedules (seeds 5..7): 0 failed\n");
    ASSERT_EQ(dir_entries("kept"), 9); /* trace, replay log, output */
    char *log = test_slurp("kept/seed-6.log", NULL);
    ASSERT_STR_EQ(log, "race_demo: balance 40\n");
    free(log);
    char *t = test_slurp("kept/seed-7.jsonl", NULL);
    ASSERT(strstr(t, ",\"seed\":7") != NULL);
    free(t);
    run_free(&r);
}

/* The deadlock verdict fails a run; --json says so per seed. */
static void test_deadlock_json(void)
{
    run r = explore("-n", "2", "--json", "--", "@deadlock_demo", NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT_EQ(strncmp(r.out, "{\"seed\":1,\"runs\":2,\"failures\":[\n{\"seed\":1,\"exit\":1,"
                             "\"signal\":null,\"stuck\":3,\"stalls\":0,\"reason\":\"exit status 1; "
                             "deadlock: 3 tasks stuck\",\"message\":\"deadlock_demo: co_main "
                             "returned CO_EDEADLK",
                      strlen("{\"seed\":1,\"runs\":2,\"failures\":[\n{\"seed\":1,\"exit\":1,"
                             "\"signal\":null,\"stuck\":3,\"stalls\":0,\"reason\":\"exit status 1; "
                             "deadlock: 3 tasks stuck\",\"message\":\"deadlock_demo: co_main "
                             "returned CO_EDEADLK")),
              0);
    ASSERT_EQ(count(r.out, "\"stuck\":3,"), 2);
    ASSERT(strstr(r.out, "\n],\"failed\":2,\"dir\":\"") != NULL);
    ASSERT_EQ(r.out[strlen(r.out) - 1], '\n');
    run_free(&r);
}

/* --fail-on blocked: stall_demo's 60 ms busy loop fails every run (a
 * stall that load only lengthens); without it the runs pass. */
static void test_fail_on(void)
{
    run r = explore("-n", "2", "--fail-on", "blocked", "--", "@stall_demo", NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT(strncmp(r.out, "seed 1: 1 stall (blocked)", 25) == 0 ||
           strncmp(r.out, "seed 1: 2 stalls (blocked)", 26) == 0);
    ASSERT(strstr(r.out, "explored 2 schedules (seeds 1..2): 2 failed\n") != NULL);
    run_free(&r);
    r = explore("-n", "2", "--", "@stall_demo", NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "explored 2 schedules (seeds 1..2): 0 failed\n");
    run_free(&r);
}

static void test_usage(void)
{
    const char *bad[][4] = {
        {"-n", "0", "--", "true"},
        {"-n", "x", "--", "true"},
        {"--seed", "-1", "--", "true"},
        {"--fail-on", "slow", "--", "true"},
        {"--seed", "9223372036854775807", "--", "true"},
        {"--bogus", "--", "true", NULL},
        {"-n", "3", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run r = explore(bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL);
        ASSERT_EQ(r.status, 2);
        ASSERT_STR_EQ(r.out, "");
        ASSERT(strstr(r.err, "coscope: explore: ") == r.err);
        run_free(&r);
    }
    run r = explore("-n", "2", "--", "./no-such-program", NULL);
    ASSERT_EQ(r.status, 127);
    ASSERT(strstr(r.err, "coscope: cannot run ./no-such-program: ") != NULL);
    ASSERT_EQ(dir_entries(dir), 0);
    run_free(&r);
    r = explore("--help", NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT(strncmp(r.out, "usage: coscope explore ", 23) == 0);
    run_free(&r);
}

/* A run that does not end by --timeout is killed and fails with that
 * reason (a schedule that livelocks would otherwise hang explore): here a
 * program that sleeps 30 s, given 200 ms. */
static void test_timeout(void)
{
    run r = explore("-n", "1", "--timeout", "200ms", "--", "/bin/sleep", "30", NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT(strncmp(r.out,
                   "seed 1: timed out after 200 ms (killed: a livelock or a hang "
                   "under this schedule); no trace was written",
                   103) == 0);
    ASSERT(strstr(r.out, "\nexplored 1 schedule") != NULL);
    run_free(&r);
    r = explore("--timeout", "soon", "--", "true", NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT(strstr(r.err, "coscope: explore: --timeout needs a duration") == r.err);
    run_free(&r);
}

static const test_case cases[] = {
    {"timeout", test_timeout},
    {"fifo_passes", test_fifo_passes}, {"finds_race", test_finds_race},
    {"fixed_clean", test_fixed_clean}, {"deadlock_json", test_deadlock_json},
    {"fail_on", test_fail_on},         {"usage", test_usage},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    setup();
    int rc = test_main(argc, argv, cases);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (rc == 0 && system(cmd) != 0)
        rc = 1;
    return rc;
}
