/* test_flight.c: the flight recorder end to end. flight_prog runs with
 * COSCOPE_FLIGHT in a fresh directory; the test lists what it wrote and
 * loads each dump with the library: nothing is written before a trigger,
 * a blocked loop dumps (while blocked and after), and the dump after holds
 * the stall with its victims as the analysis reports it; SIGUSR1,
 * co_trace_dump and a deadlock dump too. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coscope/trace.h"
#include "test.h"

static char dir[64];

/* Runs flight_prog CASE with COSCOPE_FLIGHT=flight in a fresh dir; its
 * stdout (malloc'd); asserts the exit status is 0. */
static char *run_status(const char *c, const char *flight, int *status);

static char *run(const char *c, const char *flight)
{
    int st = 0;
    char *out = run_status(c, flight, &st);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    return out;
}

/* The same, and the shell's wait status instead of asserting it. */
static char *run_status(const char *c, const char *flight, int *status)
{
    strcpy(dir, "/tmp/coscope-flight-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(dir));
    char trace[128], cmd[512];
    snprintf(trace, sizeof trace, "%s/run.jsonl", dir);
    snprintf(cmd, sizeof cmd, "COSCOPE_TRACE='%s' COSCOPE_FLIGHT=%s '%s' %s 2>'%s.stderr'",
             trace, flight, FLIGHT_PROG, c, dir);
    FILE *p = popen(cmd, "r");
    ASSERT_NOT_NULL(p);
    char *out = calloc(1, 4096);
    ASSERT_NOT_NULL(out);
    size_t n = fread(out, 1, 4095, p);
    out[n] = '\0';
    *status = pclose(p);
    return out;
}

/* The files the run left, sorted: "run.1.jsonl run.2.jsonl". */
static void files(char *out, size_t n)
{
    struct dirent **list;
    int k = scandir(dir, &list, NULL, alphasort);
    ASSERT(k >= 0);
    out[0] = '\0';
    for (int i = 0; i < k; i++) {
        const char *name = list[i]->d_name;
        if (name[0] != '.')
            snprintf(out + strlen(out), n - strlen(out), "%s%s", *out ? " " : "", name);
        free(list[i]);
    }
    free(list);
}

static tr_trace *load_dump(int k)
{
    char path[128];
    snprintf(path, sizeof path, "%s/run.%d.jsonl", dir, k);
    tr_trace *tr = NULL;
    if (tr_load(path, NULL, &tr) != 0)
        TEST__FAIL("load: %s", tr_last_error());
    ASSERT_EQ(tr_head(tr)->truncated, 0);
    ASSERT_OK(tr_analyze(tr, NULL));
    return tr;
}

static const char *stderr_text(void)
{
    static char buf[4096];
    char path[128];
    snprintf(path, sizeof path, "%s.stderr", dir);
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void cleanup(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.stderr'", dir, dir);
    ASSERT_EQ(system(cmd), 0);
}

static uint32_t task_named(const tr_trace *tr, const char *name)
{
    for (size_t i = 0; i < tr_ntasks(tr); i++)
        if (strcmp(tr_str(tr, tr_tasks(tr)[i].name), name) == 0)
            return tr_tasks(tr)[i].id;
    TEST__FAIL("no task \"%s\"", name);
}

static void test_stall(void)
{
    char *out = run("stall", "1s");
    ASSERT_STR_EQ(out, "before 0\n"); /* nothing written before the trigger */
    free(out);
    char got[512];
    files(got, sizeof got);
    ASSERT_STR_EQ(got, "run.1.jsonl run.2.jsonl");
    char want[256];
    snprintf(want, sizeof want,
             "coscope: flight recorder: loop blocked: wrote %s/run.1.jsonl\n"
             "coscope: flight recorder: loop stall ended: wrote %s/run.2.jsonl\n",
             dir, dir);
    ASSERT_STR_EQ(stderr_text(), want);
    /* the dump after the stall: a 1 s window that starts ~0.7 s before the
     * stall, every task known from the snapshot, the stall reported */
    tr_trace *tr = load_dump(2);
    uint32_t blocker = task_named(tr, "blocker");
    const tr_stall *found = NULL;
    for (size_t i = 0; i < tr_nstalls(tr); i++) {
        const tr_stall *s = &tr_stalls(tr)[i];
        if (s->kind != TR_STALL_BLOCKED || s->task != blocker)
            continue;
        ASSERT(found == NULL);
        found = s;
        ASSERT_CMP(s->dur, >=, 300000000);
        /* the two tasks it made ready waited behind it (and, on a loaded
         * machine, maybe a task whose timer fired just before) */
        int v1 = 0, v2 = 0;
        const tr_victim *v = tr_victims(tr) + s->victim0;
        for (uint32_t k = 0; k < s->nvictims; k++) {
            v1 += v[k].task == task_named(tr, "victim 1");
            v2 += v[k].task == task_named(tr, "victim 2");
        }
        ASSERT_EQ(v1, 1);
        ASSERT_EQ(v2, 1);
    }
    ASSERT_NOT_NULL(found);
    /* a window, not the whole run: nothing from its first second */
    ASSERT_CMP(tr_events(tr)[0].t, >=, 1000000000);
    const tr_task *tk = tr_task_by_id(tr, task_named(tr, "ticker"));
    /* the ticker, spawned at the run's start, comes from the snapshot */
    ASSERT_EQ(tk->spawn_t, tr_events(tr)[0].t);
    ASSERT_CMP(tk->spawn_t, <=, found->t); /* the window holds the whole stall */
    tr_free(tr);
    /* the dump during the stall: the blocker still running at its end */
    tr = load_dump(1);
    const tr_task *bt = tr_task_by_id(tr, task_named(tr, "blocker"));
    ASSERT_EQ(tr_spans(tr)[bt->span0 + bt->nspans - 1].state, TR_ST_RUNNING);
    tr_free(tr);
    cleanup();
}

static void test_usr1(void)
{
    free(run("usr1", "2s"));
    char got[512];
    files(got, sizeof got);
    ASSERT_STR_EQ(got, "run.1.jsonl");
    tr_trace *tr = load_dump(1);
    task_named(tr, "ticker");
    ASSERT(strstr(stderr_text(), "flight recorder: SIGUSR1: wrote ") != NULL);
    tr_free(tr);
    cleanup();
}

/* `coscope record --flight 2s` sets COSCOPE_FLIGHT for the program:
 * nothing in the directory before SIGUSR1, one dump after it, named in the
 * summary. */
static void test_record(void)
{
    strcpy(dir, "/tmp/coscope-flight-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(dir));
    char cmd[768];
    snprintf(cmd, sizeof cmd,
             "env -u COSCOPE_FLIGHT -u COSCOPE_TRACE '%s' record --flight 2s -o '%s/run.jsonl' "
             "-- '%s' usr1 2>'%s.stderr'",
             COSCOPE_BIN, dir, FLIGHT_PROG, dir);
    FILE *p = popen(cmd, "r");
    ASSERT_NOT_NULL(p);
    char out[256];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_STR_EQ(out, "before 0\n"); /* no file before the trigger */
    char got[512];
    files(got, sizeof got);
    ASSERT_STR_EQ(got, "run.1.jsonl");
    tr_trace *tr = load_dump(1);
    task_named(tr, "ticker");
    tr_free(tr);
    char want[512];
    snprintf(want, sizeof want,
             "coscope: %s exited with status 0; flight recorder: %s/run.1.jsonl (1 dump)\n",
             FLIGHT_PROG, dir);
    ASSERT(strstr(stderr_text(), want) != NULL);
    cleanup();
}

/* The writer faults the ring in ahead of the loop (flight mode's ring is
 * the window, 64 MB): the loop thread writes 2.5 MB of records (7.7 MB in
 * format v1) without a page fault; before, each 2 MB huge page was zeroed
 * on its first write, on the loop (1 to 4 faults here; hundreds without
 * huge pages). */
static void test_faults(void)
{
    char *out = run("faults", "64MB");
    long n = -1;
    if (strncmp(out, "loop_faults skip: ", 18) != 0) { /* ASan, valgrind: their own */
        ASSERT_EQ(sscanf(out, "loop_faults %ld", &n), 1);
        ASSERT_EQ(n, 0);
    }
    free(out);
    cleanup();
}

static void test_api(void)
{
    char *out = run("api", "64MB");
    ASSERT_STR_EQ(out, "dump 1 then -16\n"); /* the second within a second: EBUSY */
    free(out);
    char got[512];
    files(got, sizeof got);
    ASSERT_STR_EQ(got, "run.1.jsonl");
    tr_trace *tr = load_dump(1);
    task_named(tr, "ticker");
    tr_free(tr);
    cleanup();
}

/* Tasks that came and went before the window are folded away, and every
 * task still alive is in the dump's snapshot: 300 keepers and main never
 * exit there; each of the 2000 churn tasks the dump shows has exited. */
static void test_churn(void)
{
    char *out = run("churn", "100ms");
    ASSERT_STR_EQ(out, "dump 1\n");
    free(out);
    tr_trace *tr = load_dump(1);
    size_t keepers = 0, live = 0, churn = 0;
    for (size_t i = 0; i < tr_ntasks(tr); i++) {
        const tr_task *t = &tr_tasks(tr)[i];
        const char *name = tr_str(tr, t->name);
        keepers += strcmp(name, "keeper") == 0;
        churn += strcmp(name, "churn") == 0;
        live += t->exit_t == -1;
    }
    ASSERT_EQ(keepers, 300);
    ASSERT_EQ(live, 301);
    ASSERT_CMP(churn, <, 2000); /* the window holds the last waves only */
    tr_free(tr);
    cleanup();
}

static void test_deadlock(void)
{
    free(run("deadlock", "2s"));
    char got[512];
    files(got, sizeof got);
    ASSERT_STR_EQ(got, "run.1.jsonl");
    tr_trace *tr = load_dump(1);
    int stuck = 0;
    for (size_t i = 0; i < tr_nstalls(tr); i++)
        stuck += tr_stalls(tr)[i].kind == TR_STALL_STUCK;
    ASSERT_EQ(stuck, 2);
    ASSERT_EQ(tr_ncycles(tr), 1);
    ASSERT(strstr(stderr_text(), "flight recorder: deadlock: wrote ") != NULL);
    tr_free(tr);
    cleanup();
}

/* A crash dumps the window, ending with the halt line that says how. */
static void test_crash(void)
{
    int st = 0;
    free(run_status("crash", "2s", &st));
    /* the shell says 128 + SIGSEGV; under ASan its report exits 1 */
    ASSERT(WIFEXITED(st));
    ASSERT(WEXITSTATUS(st) == 128 + 11 || WEXITSTATUS(st) == 1);
    char got[512];
    files(got, sizeof got);
    ASSERT_STR_EQ(got, "run.1.jsonl");
    char path[128], line[4096], lastline[4096] = "";
    snprintf(path, sizeof path, "%s/run.1.jsonl", dir);
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    while (fgets(line, sizeof line, f))
        strcpy(lastline, line);
    fclose(f);
    ASSERT(strstr(lastline, "\"ev\":\"halt\",\"signal\":\"SIGSEGV\"") != NULL);
    tr_trace *tr = NULL;
    if (tr_load(path, NULL, &tr) != 0)
        TEST__FAIL("load: %s", tr_last_error());
    task_named(tr, "crasher");
    task_named(tr, "ticker");
    ASSERT(strstr(stderr_text(), "flight recorder: crash: wrote ") != NULL);
    tr_free(tr);
    cleanup();
}

static const test_case cases[] = {
    {"stall", test_stall},
    {"usr1", test_usr1},
    {"record", test_record},
    {"api", test_api},
    {"faults", test_faults},
    {"churn", test_churn},
    {"deadlock", test_deadlock},
    {"crash", test_crash},
    {NULL, NULL},
};

int main(int argc, char **argv) { return test_main(argc, argv, cases); }
