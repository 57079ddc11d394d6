/* tests/read/test_follow.c: tr_follow, the reader of a trace being written.
 * The test is the writer: it appends to a file and polls, so every step is
 * in its hands (no thread, no timing). A partial line waits for its '\n';
 * new tasks and spans appear; the trace pointer stays the same; the end
 * line is seen; what a follow reads in pieces equals what tr_load reads at
 * once; a bad append stops following with the reader's file:line message
 * and leaves the last good trace; a file that shrinks or holds an endless
 * line is refused; standard input is followed as a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coscope/trace.h"
#include "test.h"

#define HEADER "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"p\"}\n"
#define SPAWN1 "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"main\"}\n"
#define RUN1 "{\"t\":10,\"ev\":\"run\",\"task\":1}\n"
#define SPAWN2 "{\"t\":20,\"ev\":\"spawn\",\"task\":2,\"parent\":1,\"name\":\"late\"}\n"
#define YIELD1 "{\"t\":30,\"ev\":\"yield\",\"task\":1,\"why\":\"sleep\",\"ms\":5}\n"
#define RUN2 "{\"t\":40,\"ev\":\"run\",\"task\":2}\n"
#define EXIT2 "{\"t\":50,\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"}\n"
#define END "{\"t\":60,\"ev\":\"end\",\"events\":7,\"dropped\":0}\n"

static char path[64];

static void fresh(void)
{
    snprintf(path, sizeof path, "/tmp/coscope-follow-%d.jsonl", (int)getpid());
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    ASSERT(fd >= 0);
    close(fd);
}

static void append(const char *s, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, s, n), (long)n);
    close(fd);
}

static void append_str(const char *s) { append(s, strlen(s)); }

static void test_grow(void)
{
    fresh();
    tr_follow *f;
    ASSERT_OK(tr_follow_open(path, &f));
    ASSERT_EQ(tr_follow_poll(f), 0); /* empty: no trace yet */
    ASSERT_NULL(tr_follow_trace(f));
    append(HEADER, strlen(HEADER) - 5); /* the header, cut short */
    ASSERT_EQ(tr_follow_poll(f), 0);
    ASSERT_NULL(tr_follow_trace(f));
    ASSERT_EQ(tr_follow_offset(f), 0);
    append_str(&HEADER[strlen(HEADER) - 5]);
    ASSERT_EQ(tr_follow_poll(f), 0); /* the header alone: a trace, no events */
    tr_trace *tr = tr_follow_trace(f);
    ASSERT_NOT_NULL(tr);
    ASSERT_EQ(tr_nevents(tr), 0);
    ASSERT_STR_EQ(tr_head(tr)->program, "p");

    append_str(SPAWN1 RUN1);
    append(SPAWN2, 25); /* a line still being written */
    ASSERT_EQ(tr_follow_poll(f), 2);
    ASSERT(tr_follow_trace(f) == tr); /* the same struct, refilled */
    ASSERT_EQ(tr_nevents(tr), 2);
    ASSERT_EQ(tr_ntasks(tr), 1);
    ASSERT_EQ(tr_head(tr)->truncated, 1);
    ASSERT_EQ(tr_follow_ended(f), 0);
    ASSERT_EQ(tr_follow_offset(f), strlen(HEADER SPAWN1 RUN1));
    ASSERT_EQ(tr_follow_poll(f), 0); /* nothing new: nothing changes */
    ASSERT_EQ(tr_nevents(tr), 2);

    append_str(&SPAWN2[25]);
    append_str(YIELD1 RUN2);
    ASSERT_EQ(tr_follow_poll(f), 3);
    ASSERT_EQ(tr_ntasks(tr), 2);
    const tr_task *late = tr_task_by_id(tr, 2);
    ASSERT_NOT_NULL(late);
    ASSERT_STR_EQ(tr_str(tr, late->name), "late");
    ASSERT_EQ(late->nspans, 2); /* ready, running (to the end so far) */
    ASSERT_EQ(tr_spans(tr)[late->span0 + 1].t1, 40);
    ASSERT_EQ(tr_head(tr)->duration, 40);
    ASSERT_OK(tr_analyze(tr, NULL));

    append_str(EXIT2 END);
    ASSERT_EQ(tr_follow_poll(f), 2);
    ASSERT_EQ(tr_follow_ended(f), 1);
    ASSERT_EQ(tr_head(tr)->truncated, 0);
    ASSERT_EQ(tr_head(tr)->end_events, 7);
    ASSERT_EQ(tr_task_by_id(tr, 2)->exit_t, 50);
    ASSERT_EQ(tr_nwarnings(tr), 0);
    ASSERT_OK(tr_analyze(tr, NULL));

    /* what was followed is what a load gives */
    tr_trace *all;
    ASSERT_OK(tr_load(path, NULL, &all));
    ASSERT_EQ(tr_nevents(all), tr_nevents(tr));
    ASSERT_EQ(tr_nspans(all), tr_nspans(tr));
    ASSERT_OK(memcmp(tr_spans(all), tr_spans(tr), tr_nspans(tr) * sizeof(tr_span)));
    ASSERT_OK(memcmp(tr_events(all), tr_events(tr), tr_nevents(tr) * sizeof(tr_event)));
    tr_free(all);
    tr_follow_free(f);
    unlink(path);
}

static char *slurp(const char *name, size_t *n)
{
    FILE *fp = fopen(name, "rb");
    ASSERT_NOT_NULL(fp);
    ASSERT_OK(fseek(fp, 0, SEEK_END));
    long len = ftell(fp);
    ASSERT_CMP(len, >, 0);
    rewind(fp);
    char *buf = malloc((size_t)len);
    ASSERT_NOT_NULL(buf);
    ASSERT_EQ(fread(buf, 1, (size_t)len, fp), len);
    fclose(fp);
    *n = (size_t)len;
    return buf;
}

/* Sample recordings appended in pieces of odd sizes (cut anywhere: in
 * names, numbers, between \r and \n), a poll after each: the same events,
 * spans, stalls and causes as a load, line numbers included. */
static void test_pieces(void)
{
    static const char *const names[] = {"stall.jsonl", "crawler.jsonl", "fib_offload.jsonl",
                                        "deadlock.jsonl"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char src[512];
        snprintf(src, sizeof src, "%s/%s", TRACES_DIR, names[k]);
        size_t len;
        char *data = slurp(src, &len);
        fresh();
        tr_follow *f;
        ASSERT_OK(tr_follow_open(path, &f));
        size_t step = 1, polls = 0, grew = 0;
        for (size_t at = 0; at < len; at += step, step = step * 7 % 401 + 1) {
            size_t n = len - at < step ? len - at : step;
            append(data + at, n);
            long added = tr_follow_poll(f);
            ASSERT_CMP(added, >=, 0);
            polls++;
            grew += added > 0;
            if (added > 0 && polls % 8 == 0) /* analysed now and then */
                ASSERT_OK(tr_analyze(tr_follow_trace(f), NULL));
        }
        ASSERT_CMP(grew, >, 3);
        tr_trace *tr = tr_follow_trace(f), *all;
        ASSERT_OK(tr_analyze(tr, NULL));
        ASSERT_OK(tr_load(src, NULL, &all));
        ASSERT_OK(tr_analyze(all, NULL));
        ASSERT_EQ(tr_follow_ended(f), !tr_head(all)->truncated);
        ASSERT_EQ(tr_nevents(tr), tr_nevents(all));
        ASSERT_OK(memcmp(tr_events(all), tr_events(tr), tr_nevents(tr) * sizeof(tr_event)));
        for (size_t i = 0; i < tr_nevents(tr); i += 97)
            ASSERT_EQ(tr_ev_line(tr, i), tr_ev_line(all, i));
        ASSERT_EQ(tr_ntasks(tr), tr_ntasks(all));
        ASSERT_EQ(tr_nspans(tr), tr_nspans(all));
        ASSERT_OK(memcmp(tr_spans(all), tr_spans(tr), tr_nspans(tr) * sizeof(tr_span)));
        ASSERT_EQ(tr_nstalls(tr), tr_nstalls(all));
        ASSERT_EQ(tr_ncauses(tr), tr_ncauses(all));
        ASSERT_EQ(tr_nwarnings(tr), tr_nwarnings(all));
        for (size_t i = 0; i < tr_nwarnings(tr); i++)
            ASSERT_STR_EQ(tr_warning(tr, i) + strlen(path), tr_warning(all, i) + strlen(src));
        fprintf(stderr, "%s: %zu polls, %zu added events, %zu events\n", names[k], polls, grew,
                tr_nevents(tr));
        tr_free(all);
        tr_follow_free(f);
        free(data);
        unlink(path);
    }
}

/* Garbage after good lines in one append: the good ones are kept, the bad
 * one is named by file:line, and following stops there for good. */
static void test_bad_append(void)
{
    char want[256];
    fresh();
    append_str(HEADER SPAWN1);
    tr_follow *f;
    ASSERT_OK(tr_follow_open(path, &f));
    ASSERT_EQ(tr_follow_poll(f), 1);
    tr_trace *tr = tr_follow_trace(f);
    append_str(RUN1 SPAWN2 "{\"t\":35,\"ev\":\"yield\",\"task\":1,\"why\"\n" RUN2);
    ASSERT_EQ(tr_follow_poll(f), 2); /* the lines before the bad one */
    ASSERT_EQ(tr_follow_poll(f), -EINVAL); /* then the error */
    snprintf(want, sizeof want, "%s:5: not a JSON object", path);
    ASSERT_STR_EQ(tr_last_error(), want);
    ASSERT(tr_follow_trace(f) == tr);
    ASSERT_EQ(tr_nevents(tr), 3); /* spawn, run, spawn: the lines before it */
    ASSERT_EQ(tr_ntasks(tr), 2);
    append_str(EXIT2);
    ASSERT_EQ(tr_follow_poll(f), -EINVAL); /* stopped: the same answer */
    ASSERT_STR_EQ(tr_last_error(), want);
    ASSERT_EQ(tr_nevents(tr), 3);
    tr_follow_free(f);

    /* the model's error (a task never spawned) undoes the whole poll */
    fresh();
    append_str(HEADER SPAWN1);
    ASSERT_OK(tr_follow_open(path, &f));
    ASSERT_EQ(tr_follow_poll(f), 1);
    tr = tr_follow_trace(f);
    append_str(RUN1 "{\"t\":15,\"ev\":\"run\",\"task\":9}\n");
    ASSERT_EQ(tr_follow_poll(f), -EINVAL);
    snprintf(want, sizeof want, "%s:4: task 9 was never spawned", path);
    ASSERT_STR_EQ(tr_last_error(), want);
    ASSERT_EQ(tr_follow_offset(f), strlen(HEADER SPAWN1)); /* the poll undone */
    ASSERT_EQ(tr_nevents(tr), 1);
    ASSERT_EQ(tr_nspans(tr), 1);
    ASSERT_OK(tr_analyze(tr, NULL));
    tr_follow_free(f);

    /* "t" going backwards across two polls, and a bad header */
    fresh();
    append_str(HEADER SPAWN1 RUN1);
    ASSERT_OK(tr_follow_open(path, &f));
    ASSERT_EQ(tr_follow_poll(f), 2);
    append_str("{\"t\":5,\"ev\":\"yield\",\"task\":1,\"why\":\"yield\"}\n");
    ASSERT_EQ(tr_follow_poll(f), -EINVAL);
    snprintf(want, sizeof want, "%s:4: \"t\" goes backwards (5 after 10)", path);
    ASSERT_STR_EQ(tr_last_error(), want);
    tr_follow_free(f);
    fresh();
    append_str("{\"ev\":\"trace\",\"format\":\"other\",\"version\":1}\n" SPAWN1);
    ASSERT_OK(tr_follow_open(path, &f));
    ASSERT_EQ(tr_follow_poll(f), -EINVAL);
    snprintf(want, sizeof want, "%s:1: \"format\" must be \"coscope\"", path);
    ASSERT_STR_EQ(tr_last_error(), want);
    ASSERT_NULL(tr_follow_trace(f));
    tr_follow_free(f);
    unlink(path);
}

/* A file cut shorter than what was read, an over-long line, a directory, a
 * missing file: refused with their own messages. */
static void test_refused(void)
{
    char want[256];
    fresh();
    append_str(HEADER SPAWN1);
    tr_follow *f;
    ASSERT_OK(tr_follow_open(path, &f));
    ASSERT_EQ(tr_follow_poll(f), 1);
    ASSERT_OK(truncate(path, 10));
    ASSERT_EQ(tr_follow_poll(f), -EINVAL);
    snprintf(want, sizeof want,
             "%s: shrank to 10 bytes after %zu were read (cut or rewritten)", path,
             strlen(HEADER SPAWN1));
    ASSERT_STR_EQ(tr_last_error(), want);
    tr_follow_free(f);

    fresh();
    append_str(HEADER);
    ASSERT_OK(tr_follow_open(path, &f));
    ASSERT_EQ(tr_follow_poll(f), 0);
    size_t big = (size_t)3 << 20;
    char *junk = malloc(big);
    ASSERT_NOT_NULL(junk);
    memset(junk, 'x', big);
    append(junk, big);
    free(junk);
    ASSERT_EQ(tr_follow_poll(f), -EINVAL);
    snprintf(want, sizeof want, "%s:2: line longer than 1 MiB", path);
    ASSERT_STR_EQ(tr_last_error(), want);
    tr_follow_free(f);
    unlink(path);

    ASSERT_EQ(tr_follow_open("/tmp", &f), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(),
                  "/tmp: following needs a regular file (one being written) or a pipe");
    ASSERT_EQ(tr_follow_open("/nonexistent/x.jsonl", &f), -ENOENT);
    ASSERT_STR_EQ(tr_last_error(), "/nonexistent/x.jsonl: No such file or directory");
    ASSERT_NULL(f);
    ASSERT_EQ(tr_follow_poll(NULL), -EINVAL);
    tr_follow_free(NULL);
}

/* fetch builds the grown trace aside (the shown one untouched, for the
 * thread drawing it), its analysis done there moves with the swap. */
static void test_fetch_swap(void)
{
    fresh();
    append_str(HEADER SPAWN1 RUN1);
    tr_follow *f;
    ASSERT_OK(tr_follow_open(path, &f));
    ASSERT_EQ(tr_follow_fetch(f), 2);
    ASSERT_NULL(tr_follow_trace(f)); /* nothing shown before the swap */
    ASSERT_NOT_NULL(tr_follow_next(f));
    ASSERT_EQ(tr_follow_swap(f), 1);
    tr_trace *tr = tr_follow_trace(f);
    ASSERT_NOT_NULL(tr);
    ASSERT_NULL(tr_follow_next(f));
    ASSERT_EQ(tr_follow_swap(f), 0);
    ASSERT_OK(tr_analyze(tr, NULL));
    append_str(SPAWN2 YIELD1 RUN2 EXIT2 END);
    ASSERT_EQ(tr_follow_fetch(f), 5);
    ASSERT_EQ(tr_nevents(tr), 2); /* still the old one */
    ASSERT_EQ(tr_follow_ended(f), 0);
    tr_trace *next = tr_follow_next(f);
    ASSERT_OK(tr_analyze(next, NULL));
    size_t stalls = tr_nstalls(next);
    const tr_task *tasks = tr_tasks(next);
    ASSERT_EQ(tr_follow_swap(f), 1);
    ASSERT(tr_follow_trace(f) == tr);
    ASSERT_EQ(tr_nevents(tr), 7);
    ASSERT_EQ(tr_nstalls(tr), stalls); /* the analysis came along */
    ASSERT(tr_tasks(tr) == tasks);     /* its arrays did not move */
    ASSERT_EQ(tr_follow_ended(f), 1);
    tr_follow_free(f);
    unlink(path);
}

/* Standard input as a pipe ("-"): a poll takes what has come and never
 * waits (an empty pipe polls 0), a partial line waits for the rest across
 * polls, the writer closing is only "nothing new"; the trace is named
 * "(stdin)" as tr_load names it, and fd 0 stays open after the free. */
static void test_pipe(void)
{
    int p[2], saved = dup(STDIN_FILENO);
    ASSERT(saved >= 0);
    ASSERT_OK(pipe(p));
    ASSERT_EQ(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    close(p[0]);
    tr_follow *f;
    ASSERT_OK(tr_follow_open("-", &f));
    ASSERT_EQ(tr_follow_poll(f), 0); /* nothing written: no wait, no trace */
    ASSERT_NULL(tr_follow_trace(f));
    const char *part1 = HEADER SPAWN1 RUN1;
    ASSERT_EQ(write(p[1], part1, strlen(part1)), (long)strlen(part1));
    ASSERT_EQ(write(p[1], SPAWN2, 25), 25); /* a line still being written */
    ASSERT_EQ(tr_follow_poll(f), 2);
    tr_trace *tr = tr_follow_trace(f);
    ASSERT_NOT_NULL(tr);
    ASSERT_STR_EQ(tr_trace_path(tr), "(stdin)");
    ASSERT_EQ(tr_follow_offset(f), strlen(part1));
    ASSERT_EQ(tr_follow_poll(f), 0);
    const char *rest = &SPAWN2[25];
    ASSERT_EQ(write(p[1], rest, strlen(rest)), (long)strlen(rest));
    const char *part2 = YIELD1 RUN2 EXIT2 END;
    ASSERT_EQ(write(p[1], part2, strlen(part2)), (long)strlen(part2));
    close(p[1]);
    ASSERT_EQ(tr_follow_poll(f), 5);
    ASSERT(tr_follow_trace(f) == tr);
    ASSERT_EQ(tr_nevents(tr), 7);
    ASSERT_EQ(tr_ntasks(tr), 2);
    ASSERT_EQ(tr_follow_ended(f), 1);
    ASSERT_EQ(tr_follow_poll(f), 0); /* the writer gone: nothing new */
    tr_follow_free(f);
    ASSERT(fcntl(STDIN_FILENO, F_GETFD) >= 0);

    /* a bad line on the pipe: the reader's message, named (stdin) */
    ASSERT_OK(pipe(p));
    ASSERT_EQ(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    close(p[0]);
    ASSERT_OK(tr_follow_open("-", &f));
    const char *bad = HEADER SPAWN1 "{\"t\":5,\"ev\":\"run\"}\n";
    ASSERT_EQ(write(p[1], bad, strlen(bad)), (long)strlen(bad));
    ASSERT_EQ(tr_follow_poll(f), 1);
    ASSERT_CMP(tr_follow_poll(f), <, 0);
    ASSERT(strncmp(tr_last_error(), "(stdin):3: ", 11) == 0);
    tr_follow_free(f);
    close(p[1]);
    ASSERT_EQ(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
}

static const test_case cases[] = {
    {"pipe", test_pipe},
    {"grow", test_grow},
    {"fetch_swap", test_fetch_swap},
    {"pieces", test_pieces},
    {"bad_append", test_bad_append},
    {"refused", test_refused},
    {NULL, NULL},
};

int main(int argc, char **argv) { return test_main(argc, argv, cases); }
