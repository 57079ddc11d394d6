/* test_stacks.c: caller chains and on-CPU time, end to end. The programs
 * next to this file run traced (COSCOPE_TRACE); the trace is loaded and
 * analysed with the library, and what it says is compared exactly: the
 * helper's wait has read_line's line, then its caller's; a slice stretched
 * by a process stop is not a blocked loop, a busy one and a blocking call
 * are; traces without stacks (switched off, or from before) still read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coscope/trace.h"
#include "test.h"
#include "tr_int.h" /* tr__set_parallel_threshold */

static char dir[64];

static const char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int next;
    if (!dir[0]) {
        strcpy(dir, "/tmp/coscope-stacks-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(dir));
    }
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

/* Runs prog with COSCOPE_TRACE=trace (and `env`, "NAME=VALUE" or NULL);
 * returns its stdout (malloc'd); asserts it exited 0. */
static char *run(const char *prog, const char *trace, const char *env)
{
    int out[2];
    ASSERT_OK(pipe(out));
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        setenv("COSCOPE_TRACE", trace, 1);
        if (env)
            putenv((char *)env);
        execl(prog, prog, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    for (;;) {
        ssize_t n = read(out[0], buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len + 1 == cap)
            ASSERT_NOT_NULL(buf = realloc(buf, cap *= 2));
    }
    buf[len] = '\0';
    close(out[0]);
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    return buf;
}

static tr_trace *load(const char *path)
{
    tr_trace *tr = NULL;
    if (tr_load(path, NULL, &tr) != 0)
        TEST__FAIL("load: %s", tr_last_error());
    ASSERT_OK(tr_analyze(tr, NULL));
    return tr;
}

static uint32_t task_named(const tr_trace *tr, const char *name)
{
    for (size_t i = 0; i < tr_ntasks(tr); i++)
        if (strcmp(tr_str(tr, tr_tasks(tr)[i].name), name) == 0)
            return tr_tasks(tr)[i].id;
    TEST__FAIL("no task \"%s\"", name);
}

/* The one long io-read wait of task `task`. */
static const tr_stall *read_wait(const tr_trace *tr, uint32_t task)
{
    const tr_stall *found = NULL;
    for (size_t i = 0; i < tr_nstalls(tr); i++) {
        const tr_stall *s = &tr_stalls(tr)[i];
        if (s->task == task && s->kind == TR_STALL_WAIT && s->op == TR_OP_READ) {
            ASSERT(found == NULL);
            found = s;
        }
    }
    ASSERT_NOT_NULL(found);
    return found;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static void expect_frame(const tr_trace *tr, uint32_t stack, size_t i, const char *func,
                         int line)
{
    tr_frame f;
    ASSERT_OK(tr_stack_frame(tr, stack, i, &f));
    ASSERT_NOT_NULL(f.func);
    ASSERT_STR_EQ(f.func, func);
    ASSERT_NOT_NULL(f.file);
    ASSERT(ends_with(f.file, "stack_helper.c"));
    ASSERT_EQ(f.line, line);
    ASSERT_NOT_NULL(f.module);
    ASSERT_STR_EQ(f.module, "stack_helper");
}

/* ---- the helper case ---- */

static void test_helper(void)
{
    const char *trace = tmp_path("helper.jsonl");
    char *out = run(STACK_HELPER, trace, NULL);
    int read_at = 0, handle_at = 0, server_at = 0;
    ASSERT_EQ(sscanf(out, "read_line %d handle %d server %d", &read_at, &handle_at,
                     &server_at), 3);
    free(out);
    tr_trace *tr = load(trace);
    const tr_stall *w = read_wait(tr, task_named(tr, "server"));
    /* `at` is still the innermost call, co_read inside read_line */
    char at[64];
    snprintf(at, sizeof at, ":%d", read_at);
    ASSERT(ends_with(tr_str(tr, w->at), at));
    uint32_t stack = tr_span_stack(tr, w->span);
    ASSERT_CMP(stack, >, 0);
    /* read_line's call of co_read, then the caller's line in handle(),
     * then handle's caller: the first three frames, exactly */
    ASSERT_CMP(tr_stack_depth(tr, stack), >=, 3);
    expect_frame(tr, stack, 0, "read_line", read_at);
    expect_frame(tr, stack, 1, "handle", handle_at);
    expect_frame(tr, stack, 2, "server", server_at);
    /* the task entry (the stack's root) is left out */
    ASSERT_EQ(tr_stack_depth(tr, stack), 3);
    char text[1024], want[512];
    tr_fmt_stack(text, sizeof text, tr, stack, " < ");
    snprintf(want, sizeof want, "read_line %s:%d < handle ", "", read_at);
    ASSERT(strstr(text, "read_line ") == text);
    ASSERT(strstr(text, " < handle ") != NULL);
    ASSERT(strstr(text, " < server ") != NULL);
    (void)want;
    /* the spawn of "client" has its own stack: server's co_spawn call */
    const tr_task *cl = tr_task_by_id(tr, task_named(tr, "client"));
    size_t sp = cl->span0; /* its first span begins at its spawn */
    uint32_t spawn_stack = tr_ev_stack(tr, tr_spans(tr)[sp].ev0);
    ASSERT_CMP(spawn_stack, >, 0);
    tr_frame f;
    ASSERT_OK(tr_stack_frame(tr, spawn_stack, 0, &f));
    ASSERT_STR_EQ(f.func, "server");
    tr_free(tr);
}

/* What `coscope stalls` says about the same wait, in text and JSON. */
static char *run_cli(const char *a, const char *b, const char *c)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s %s %s", COSCOPE_BIN, a, b, c ? c : "");
    FILE *p = popen(cmd, "r");
    ASSERT_NOT_NULL(p);
    size_t cap = 1 << 16, len = fread(NULL, 0, 0, p);
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    len = fread(buf, 1, cap - 1, p);
    buf[len] = '\0';
    pclose(p);
    return buf;
}

static void test_helper_json(void)
{
    const char *trace = tmp_path("helper.jsonl");
    char *out = run(STACK_HELPER, trace, NULL);
    int read_at = 0, handle_at = 0, server_at = 0;
    ASSERT_EQ(sscanf(out, "read_line %d handle %d server %d", &read_at, &handle_at,
                     &server_at), 3);
    free(out);
    char want[256];
    char *text = run_cli("stalls", trace, NULL);
    snprintf(want, sizeof want, "stack_helper.c:%d < handle ", read_at);
    ASSERT(strstr(text, want) != NULL);
    snprintf(want, sizeof want, "stack_helper.c:%d < server ", handle_at);
    ASSERT(strstr(text, want) != NULL);
    free(text);
    char *js = run_cli("stalls", "--json", trace);
    snprintf(want, sizeof want, "{\"func\":\"handle\",\"file\":");
    ASSERT(strstr(js, want) != NULL);
    snprintf(want, sizeof want, "stack_helper.c\",\"line\":%d,", handle_at);
    ASSERT(strstr(js, want) != NULL);
    free(js);
    /* and `why server` inside its read wait (asked there: on a slow run,
     * valgrind, its longest wait is the accept): the read, with the
     * helper's line, then the caller's */
    tr_trace *tr;
    ASSERT_OK(tr_load(trace, NULL, &tr));
    char at[64], args[128];
    snprintf(at, sizeof at, "stack_helper.c:%d", read_at);
    int64_t read_t = -1;
    for (size_t i = 0; i < tr_nevents(tr) && read_t < 0; i++) {
        const tr_event *e = &tr_events(tr)[i];
        const char *s = tr_str(tr, tr_ev_at(tr, e));
        size_t n = strlen(s), k = strlen(at);
        if (e->ev == TR_EV_YIELD && e->task == 2 && n >= k && strcmp(s + n - k, at) == 0)
            read_t = e->t;
    }
    tr_free(tr);
    ASSERT_CMP(read_t, >=, 0);
    snprintf(args, sizeof args, "server --at %lldns", (long long)read_t + 1);
    char *why = run_cli("why", trace, args);
    ASSERT(strncmp(why, "why was server (2) not running at ", 34) == 0);
    snprintf(want, sizeof want, "stack_helper.c:%d\n       stack: read_line ", read_at);
    if (!strstr(why, want)) /* seen once under valgrind in CI: say what it answered */
        TEST__FAIL("no \"%s\" in:\n%s", want, why);
    snprintf(want, sizeof want, "stack_helper.c:%d < handle ", read_at);
    ASSERT(strstr(why, want) != NULL);
    snprintf(want, sizeof want, "stack_helper.c:%d < server ", handle_at);
    ASSERT(strstr(why, want) != NULL);
    /* down to a sink: the client's sleep before it wrote; on a slow run (valgrind) the
     * wake may come long after the write, and then the loop's slice in between is the
     * sink (run, or os when the OS held it) */
    ASSERT(strstr(why, "\nsink: sleep\n") != NULL || strstr(why, "\nsink: run\n") != NULL ||
           strstr(why, "\nsink: os\n") != NULL);
    free(why);
}

/* A chain seen again is written once: the trace has one `stack` line per
 * distinct chain, and both reads of read_line's loop refer to one id. */
static void test_repeat_interned(void)
{
    const char *trace = tmp_path("interned.jsonl");
    free(run(STACK_HELPER, trace, NULL));
    FILE *f = fopen(trace, "r");
    ASSERT_NOT_NULL(f);
    char line[4096];
    int stack_lines = 0, max_id = 0, modules = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "\"ev\":\"trace\"")) {
            modules = strstr(line, ",\"modules\":[{\"path\":\"") != NULL;
            continue;
        }
        const char *p = strstr(line, "\"ev\":\"stack\",\"stack\":");
        if (p) {
            stack_lines++;
            int id = atoi(p + strlen("\"ev\":\"stack\",\"stack\":"));
            ASSERT_EQ(id, max_id + 1); /* ids are dense, each defined once */
            max_id = id;
        }
    }
    fclose(f);
    ASSERT(modules);
    ASSERT_CMP(stack_lines, >=, 3);
    tr_trace *tr = load(trace);
    /* every spawn / yield with a stack refers to a defined one */
    size_t with = 0;
    for (size_t i = 0; i < tr_nevents(tr); i++) {
        uint32_t s = tr_ev_stack(tr, i);
        if (s) {
            with++;
            ASSERT_CMP(s, <=, max_id);
            ASSERT_CMP(tr_stack_depth(tr, s), >, 0);
        }
    }
    /* main_task's three co_yield() calls share one chain */
    ASSERT_CMP(with, >=, (size_t)stack_lines + 2);
    ASSERT_EQ(tr_nwarnings(tr), 0);
    tr_free(tr);
}

/* COSCOPE_STACKS=0: no stack lines, no modules, and the same analysis. */
static void test_no_stacks(void)
{
    const char *trace = tmp_path("nostacks.jsonl");
    free(run(STACK_HELPER, trace, "COSCOPE_STACKS=0"));
    FILE *f = fopen(trace, "r");
    ASSERT_NOT_NULL(f);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        ASSERT(strstr(line, "\"stack\"") == NULL);
        ASSERT(strstr(line, "\"modules\"") == NULL);
    }
    fclose(f);
    tr_trace *tr = load(trace);
    const tr_stall *w = read_wait(tr, task_named(tr, "server"));
    ASSERT_EQ(tr_span_stack(tr, w->span), 0);
    char text[64] = "x";
    tr_fmt_stack(text, sizeof text, tr, 0, NULL);
    ASSERT_STR_EQ(text, "");
    tr_free(tr);
}

/* The executable is gone when the trace is read: it still loads, and the
 * frames are addresses with the module's name and offset. */
static void test_exe_gone(void)
{
    const char *copy = tmp_path("helper-copy");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", STACK_HELPER, copy);
    ASSERT_EQ(system(cmd), 0);
    const char *trace = tmp_path("gone.jsonl");
    free(run(copy, trace, NULL));
    ASSERT_OK(unlink(copy));
    tr_trace *tr = load(trace);
    const tr_stall *w = read_wait(tr, task_named(tr, "server"));
    uint32_t stack = tr_span_stack(tr, w->span);
    /* one frame per pc, no inlined calls known: 1 to 3 by the build */
    ASSERT_CMP(tr_stack_depth(tr, stack), >=, 1);
    tr_frame f;
    for (size_t i = 0; i < tr_stack_depth(tr, stack); i++) {
        ASSERT_OK(tr_stack_frame(tr, stack, i, &f));
        ASSERT(f.func == NULL && f.file == NULL && f.line == 0 && !f.inlined);
        ASSERT_STR_EQ(f.module, "helper-copy");
    }
    ASSERT_OK(tr_stack_frame(tr, stack, 0, &f));
    char one[128], want[128];
    tr_fmt_frame(one, sizeof one, &f);
    snprintf(want, sizeof want, "0x%llx (helper-copy+0x%llx)", (unsigned long long)f.pc,
             (unsigned long long)f.offset);
    ASSERT_STR_EQ(one, want);
    tr_free(tr);
}

/* A trace recorded before stacks and on-CPU figures existed. */
static void test_old_trace(void)
{
    tr_trace *tr = load(SAMPLE_TRACE);
    ASSERT_CMP(tr_nevents(tr), >, 0);
    for (size_t i = 0; i < tr_nevents(tr); i++) {
        ASSERT_EQ(tr_ev_stack(tr, i), 0);
        ASSERT_EQ(tr_ev_oncpu(tr, i, NULL), 0);
    }
    for (size_t i = 0; i < tr_nspans(tr); i++) {
        const tr_span *sp = &tr_spans(tr)[i];
        tr_oncpu oc;
        int64_t cpu = tr_span_oncpu(tr, i, &oc);
        ASSERT_EQ(cpu, sp->state == TR_ST_RUNNING ? sp->t1 - sp->t0 : 0);
        ASSERT_EQ(oc.runq, 0);
        ASSERT_EQ(tr_span_blocking(tr, i), sp->state == TR_ST_RUNNING ? sp->t1 - sp->t0 : 0);
    }
    tr_free(tr);
}

/* Stacks from an untrusted file: modules that are a FIFO, a device, a
 * missing file or an executable with another build id are not used (the
 * load neither hangs nor trusts them); bad stack lines are errors with
 * their line; a reference to an undefined stack is a warning. */
static void test_hostile(void)
{
    const char *fifo = tmp_path("fifo");
    ASSERT_OK(mkfifo(fifo, 0600));
    char trace[4096];
    snprintf(trace, sizeof trace,
             "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"modules\":["
             "{\"path\":\"%s\",\"base\":4096,\"size\":4096},"
             "{\"path\":\"/dev/zero\",\"base\":8192,\"size\":4096},"
             "{\"path\":\"/nonexistent/x\",\"base\":12288,\"size\":4096},"
             "{\"path\":\"%s\",\"base\":16384,\"size\":1048576,\"build_id\":\"00ff\"}]}\n"
             "{\"t\":1,\"ev\":\"stack\",\"stack\":1,\"pcs\":[\"0x1010\",\"0x2020\",\"0x3030\",\"0x5000\",\"0x9\"]}\n"
             "{\"t\":2,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"a\",\"stack\":1}\n"
             "{\"t\":3,\"ev\":\"spawn\",\"task\":2,\"parent\":0,\"name\":\"b\",\"stack\":7}\n"
             "{\"t\":4,\"ev\":\"end\",\"events\":3,\"dropped\":0}\n",
             fifo, STACK_HELPER);
    tr_trace *tr = NULL;
    if (tr_load_mem("hostile", trace, strlen(trace), NULL, &tr) != 0)
        TEST__FAIL("load: %s", tr_last_error());
    ASSERT_EQ(tr_ev_stack(tr, 0), 1);
    ASSERT_EQ(tr_ev_stack(tr, 1), 7);
    ASSERT_EQ(tr_stack_depth(tr, 1), 5);
    ASSERT_EQ(tr_stack_depth(tr, 7), 0);
    static const char *const want[] = {"0x1010 (fifo+0x10)", "0x2020 (zero+0x20)",
                                       "0x3030 (x+0x30)", "0x5000 (stack_helper+0x1000)",
                                       "0x9"};
    for (size_t i = 0; i < 5; i++) {
        tr_frame f;
        char one[128];
        ASSERT_OK(tr_stack_frame(tr, 1, i, &f));
        ASSERT_STR_EQ(tr_fmt_frame(one, sizeof one, &f), want[i]);
    }
    ASSERT_EQ(tr_nwarnings(tr), 1);
    ASSERT_STR_EQ(tr_warning(tr, 0), "hostile: 1 event refer to a stack never defined (first: 7)");
    tr_free(tr);

    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"{\"t\":1,\"ev\":\"stack\",\"stack\":0,\"pcs\":[]}", "bad:2: \"stack\" must be 1 or more"},
        {"{\"t\":1,\"ev\":\"stack\",\"stack\":1,\"pcs\":[\"12\"]}",
         "bad:2: \"pcs\" must hold addresses (\"0x1a2b\")"},
        {"{\"t\":1,\"ev\":\"stack\",\"stack\":1,\"pcs\":[\"0x12345678901234567\"]}",
         "bad:2: \"pcs\" must hold addresses (\"0x1a2b\")"},
        {"{\"t\":1,\"ev\":\"stack\",\"stack\":1,\"pcs\":\"0x1\"}", "bad:2: \"pcs\" must be an array"},
        {"{\"t\":1,\"ev\":\"stack\",\"stack\":1}", "bad:2: missing \"pcs\""},
        {"{\"t\":1,\"ev\":\"stack\",\"stack\":1,\"pcs\":[]}\n"
         "{\"t\":1,\"ev\":\"stack\",\"stack\":1,\"pcs\":[]}",
         "bad:3: stack 1 defined twice"},
        {"{\"t\":1,\"ev\":\"yield\",\"task\":1,\"why\":\"yield\",\"cpu\":-1}",
         "bad:2: \"cpu\" is out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf,
                 "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n%s\n", bad[i].line);
        ASSERT_EQ(tr_load_mem("bad", buf, strlen(buf), NULL, &tr), -EINVAL);
        ASSERT_STR_EQ(tr_last_error(), bad[i].msg);
    }
}

/* Stacks and on-CPU figures follow their events through a parallel load
 * (chunks merged) and the sort (pool threads' lines moved earlier). */
static void test_parallel(void)
{
    char *buf = malloc(1 << 20);
    ASSERT_NOT_NULL(buf);
    size_t n = (size_t)sprintf(buf, "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n");
    int64_t t = 10;
    for (int k = 1; k <= 300; k++) {
        n += (size_t)sprintf(buf + n, "{\"t\":%lld,\"ev\":\"stack\",\"stack\":%d,\"pcs\":[\"0x%x\"]}\n",
                             (long long)t++, k, 0x1000 + k);
        n += (size_t)sprintf(buf + n,
                             "{\"t\":%lld,\"ev\":\"spawn\",\"task\":%d,\"parent\":0,\"name\":\"t\",\"stack\":%d}\n",
                             (long long)t++, k, k);
        n += (size_t)sprintf(buf + n, "{\"t\":%lld,\"ev\":\"ready\",\"task\":%d,\"by\":0,\"why\":\"spawn\"}\n",
                             (long long)t++, k);
        n += (size_t)sprintf(buf + n, "{\"t\":%lld,\"ev\":\"run\",\"task\":%d}\n", (long long)t++, k);
        /* a pool thread's lines, written late with earlier times */
        if (k > 1)
            n += (size_t)sprintf(buf + n,
                                 "{\"t\":%lld,\"ev\":\"work_begin\",\"task\":%d,\"thread\":1,\"name\":\"w\"}\n",
                                 (long long)t - 6, k - 1);
        n += (size_t)sprintf(buf + n,
                             "{\"t\":%lld,\"ev\":\"yield\",\"task\":%d,\"why\":\"yield\",\"stack\":%d,"
                             "\"cpu\":%d,\"runq\":%d}\n",
                             (long long)t++, k, 301 - k, k, 2 * k);
        t += 3;
    }
    size_t old = tr__set_parallel_threshold(1024);
    for (int threads = 1; threads <= 4; threads += 3) {
        tr_load_opts o = TR_LOAD_OPTS_INIT;
        o.threads = threads;
        tr_trace *tr = NULL;
        if (tr_load_mem("par", buf, n, &o, &tr) != 0)
            TEST__FAIL("load: %s", tr_last_error());
        size_t spawns = 0, yields = 0;
        for (size_t i = 0; i < tr_nevents(tr); i++) {
            const tr_event *e = &tr_events(tr)[i];
            tr_oncpu oc;
            if (e->ev == TR_EV_SPAWN) {
                spawns++;
                ASSERT_EQ(tr_ev_stack(tr, i), e->task);
            } else if (e->ev == TR_EV_YIELD) {
                yields++;
                ASSERT_EQ(tr_ev_stack(tr, i), 301 - e->task);
                ASSERT_EQ(tr_ev_oncpu(tr, i, &oc), 1);
                ASSERT_EQ(oc.cpu, e->task);
                ASSERT_EQ(oc.runq, 2 * e->task);
            } else {
                ASSERT_EQ(tr_ev_stack(tr, i), 0);
                ASSERT_EQ(tr_ev_oncpu(tr, i, NULL), 0);
            }
        }
        ASSERT_EQ(spawns, 300);
        ASSERT_EQ(yields, 300);
        tr_frame f;
        ASSERT_OK(tr_stack_frame(tr, 300, 0, &f));
        ASSERT_EQ(f.pc, 0x1000 + 300);
        tr_free(tr);
    }
    tr__set_parallel_threshold(old);
    free(buf);
}

/* ---- on-CPU versus wall ---- */

/* The slice that ends with task's first yield (its only long one). */
static size_t long_slice(const tr_trace *tr, uint32_t task)
{
    const tr_task *t = tr_task_by_id(tr, task);
    size_t best = SIZE_MAX;
    for (uint32_t i = t->span0; i < t->span0 + t->nspans; i++) {
        const tr_span *sp = &tr_spans(tr)[i];
        if (sp->state == TR_ST_RUNNING && sp->t1 - sp->t0 > 20000000) {
            ASSERT_EQ(best, SIZE_MAX);
            best = i;
        }
    }
    ASSERT(best != SIZE_MAX);
    return best;
}

static void test_stopped_not_blocking(void)
{
    const char *trace = tmp_path("oncpu.jsonl");
    char *out = run(ONCPU_STOP, trace, NULL);
    ASSERT_STR_EQ(out, "reached 3\n");
    free(out);
    tr_trace *tr = load(trace);
    uint32_t stopped = task_named(tr, "stopped"), busy = task_named(tr, "busy"),
             asleep = task_named(tr, "asleep");
    /* what the clocks said about each slice */
    tr_oncpu oc;
    size_t s = long_slice(tr, stopped);
    int64_t wall = tr_spans(tr)[s].t1 - tr_spans(tr)[s].t0;
    ASSERT_CMP(wall, >=, 50000000);
    tr_span_oncpu(tr, s, &oc);
    ASSERT_EQ(oc.stops, 1);
    ASSERT_CMP(oc.cpu, <, wall / 2);
    ASSERT_CMP(tr_span_blocking(tr, s), <, 20000000);
    size_t b = long_slice(tr, busy);
    ASSERT_CMP(tr_span_oncpu(tr, b, &oc), >=, 40000000);
    ASSERT_EQ(oc.stops, 0);
    size_t a = long_slice(tr, asleep);
    tr_span_oncpu(tr, a, &oc);
    ASSERT_EQ(oc.stops, 0);
    ASSERT_CMP(tr_span_blocking(tr, a), >=, 40000000);
    /* of the three, exactly two blocked-loop stalls: busy and asleep, not
     * stopped (main's own short slices may cross the threshold under
     * valgrind, so other tasks are not counted) */
    int blocked = 0, seen_busy = 0, seen_asleep = 0;
    for (size_t i = 0; i < tr_nstalls(tr); i++) {
        const tr_stall *st = &tr_stalls(tr)[i];
        if (st->kind != TR_STALL_BLOCKED ||
            (st->task != stopped && st->task != busy && st->task != asleep))
            continue;
        blocked++;
        ASSERT_NE(st->task, stopped);
        seen_busy += st->task == busy;
        seen_asleep += st->task == asleep;
    }
    ASSERT_EQ(blocked, 2);
    ASSERT_EQ(seen_busy, 1);
    ASSERT_EQ(seen_asleep, 1);
    /* and the stopped one is said to be the OS's doing */
    size_t longest = 0;
    ASSERT_EQ(tr_os_stretched(tr, 20000000, &longest), 1);
    ASSERT_EQ(longest, s);
    /* main's join on it waited for the OS: an os cause, the stopped slice
     * (on a loaded machine busy's slice may be mostly preempted and an os
     * cause too, so only the stopped task's are counted) */
    ASSERT(tr_span_os_held(tr, s));
    size_t os = 0;
    for (size_t i = 0; i < tr_ncauses(tr); i++) {
        const tr_cause *c = &tr_causes(tr)[i];
        if (c->kind != TR_CAUSE_OS || c->task != stopped)
            continue;
        os++;
        ASSERT_EQ(c->span, s);
        ASSERT_EQ(c->task, stopped);
        ASSERT_EQ(c->stops, 1);
        ASSERT_EQ(c->nvictims, 1);
        ASSERT_EQ(tr_cause_victims(tr)[c->victim0], task_named(tr, "main"));
    }
    ASSERT_EQ(os, 1);
    tr_free(tr);
    char *text = run_cli("stalls", trace, NULL);
    ASSERT(strstr(text, "\n1 run slice over the threshold was stretched by the OS, not the "
                        "task (not listed): the longest, stopped (2) at ") != NULL);
    ASSERT(strstr(text, ", the process stopped meanwhile\n") != NULL);
    ASSERT(strstr(text, "  os  ") != NULL);
    ASSERT(strstr(text, "stopped (2) was held off the CPU by the OS for ") != NULL);
    ASSERT(strstr(text, ", the process stopped meanwhile)  ") != NULL); /* then padding */
    ASSERT(strstr(text, "  main (1) join stopped (2) <- stopped (2) running\n") != NULL);
    free(text);
    char *js = run_cli("stalls", "--json", trace);
    ASSERT(strstr(js, "],\"os_stretched\":{\"count\":1,\"longest\":{\"task\":2,") != NULL);
    ASSERT(strstr(js, ",\"stops\":1}}}\n") != NULL);
    ASSERT(strstr(js, "\n{\"kind\":\"os\",\"task\":2,\"name\":\"stopped\",") != NULL);
    ASSERT(strstr(js, ",\"stops\":1,\"stack\":\"stopped ") != NULL);
    free(js);
}

static const test_case cases[] = {
    {"helper", test_helper},
    {"helper_json", test_helper_json},
    {"repeat_interned", test_repeat_interned},
    {"no_stacks", test_no_stacks},
    {"exe_gone", test_exe_gone},
    {"old_trace", test_old_trace},
    {"stopped_not_blocking", test_stopped_not_blocking},
    {"hostile", test_hostile},
    {"parallel", test_parallel},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    int rc = test_main(argc, argv, cases);
    if (dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            rc = 1;
    }
    return rc;
}
