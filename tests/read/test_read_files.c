/* tests/read/test_read_files.c: tr_load on what is not a trace file on
 * disk: devices, FIFOs with and without a writer, endless streams, a sparse
 * file of 4 GiB, /proc files and standard input ("-"). Each must end at
 * once with an exact message, having read a bounded number of bytes: the
 * writers below count what the reader took, and the page faults of the
 * sparse load are counted, so no check depends on time. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coscope/trace.h"
#include "test.h"
#include "tr_int.h"

#define HEADER "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"p\"}\n"
#define TRACE                                                                  \
    HEADER "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"a\"}\n"   \
           "{\"t\":5,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n"              \
           "{\"t\":9,\"ev\":\"end\",\"events\":2,\"dropped\":0}\n"

static char dir[64];

static const char *in_dir(const char *name)
{
    static char path[128];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/coscope-files-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(dir));
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* ---- a writer thread: `head` once, then `body` (if any) over and over
 * until the reader goes away; counts the bytes it got in. ---- */
typedef struct writer {
    int fd;
    const char *head, *body;
    size_t body_len;
    unsigned long long wrote;
    pthread_t thr;
} writer;

static int put(writer *w, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(w->fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1; /* EPIPE: the reader closed */
        w->wrote += (unsigned long long)r;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void *writer_run(void *arg)
{
    writer *w = arg;
    if (put(w, w->head, strlen(w->head)) == 0 && w->body)
        while (put(w, w->body, w->body_len) == 0)
            ;
    close(w->fd);
    return NULL;
}

static void writer_start(writer *w)
{
    signal(SIGPIPE, SIG_IGN);
    ASSERT_OK(pthread_create(&w->thr, NULL, writer_run, w));
}

static void writer_join(writer *w)
{
    ASSERT_OK(pthread_join(w->thr, NULL));
}

/* Starts w on FIFO p, open before the reader comes (a reader that finds no
 * writer reads nothing). The returned read end holds the FIFO open so the
 * writer's open does not wait; it never reads: close it after tr_load and
 * an endless writer gets EPIPE. */
static int fifo_writer(writer *w, const char *p)
{
    int holder = open(p, O_RDONLY | O_NONBLOCK);
    ASSERT(holder >= 0);
    w->fd = open(p, O_WRONLY);
    ASSERT(w->fd >= 0);
    writer_start(w);
    return holder;
}

/* 64 KiB of one byte: an endless stream is this, again and again. */
static char *filled(char ch, size_t n)
{
    char *b = malloc(n);
    ASSERT_NOT_NULL(b);
    memset(b, ch, n);
    return b;
}

/* ---- devices: refused by kind before any read ---- */
static void test_devices(void)
{
    tr_trace *tr = (tr_trace *)1;
    ASSERT_EQ(tr_load("/dev/zero", NULL, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "/dev/zero: not a regular file: character device");
    ASSERT_NULL(tr);
    /* through a symlink with a trace's name, as in the report */
    const char *link = in_dir("z.jsonl");
    ASSERT_OK(symlink("/dev/zero", link));
    ASSERT_EQ(tr_load(link, NULL, &tr), -EINVAL);
    char want[256];
    snprintf(want, sizeof want, "%s: not a regular file: character device", link);
    ASSERT_STR_EQ(tr_last_error(), want);
    unlink(link);
    ASSERT_EQ(tr_load("/dev/null", NULL, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "/dev/null: not a regular file: character device");
}

/* ---- FIFOs ---- */
static const char *make_fifo(void)
{
    const char *p = in_dir("fifo");
    unlink(p);
    ASSERT_OK(mkfifo(p, 0600));
    return p;
}

/* No writer: the open does not wait for one, and nothing came is said. */
static void test_fifo_no_writer(void)
{
    const char *p = make_fifo();
    tr_trace *tr = (tr_trace *)1;
    ASSERT_EQ(tr_load(p, NULL, &tr), -EINVAL);
    char want[256];
    snprintf(want, sizeof want, "%s: empty (a FIFO or pipe with no writer, or nothing written)",
             p);
    ASSERT_STR_EQ(tr_last_error(), want);
    ASSERT_NULL(tr);
    unlink(p);
}

/* A writer that is there: the trace is read whole, as from a file. */
static void test_fifo_trace(void)
{
    const char *p = make_fifo();
    writer w = {.head = TRACE};
    int holder = fifo_writer(&w, p);
    tr_trace *tr = NULL;
    int rc = tr_load(p, NULL, &tr);
    if (rc)
        fprintf(stderr, "%s\n", tr_last_error());
    ASSERT_OK(rc);
    close(holder);
    writer_join(&w);
    ASSERT_EQ(w.wrote, sizeof TRACE - 1);
    ASSERT_EQ(tr_nevents(tr), 3);
    ASSERT_EQ(tr_ntasks(tr), 1);
    ASSERT_STR_EQ(tr_head(tr)->program, "p");
    ASSERT_EQ(tr_nwarnings(tr), 0);
    tr_free(tr);
    unlink(p);
}

/* Endless zeros after the header (a FIFO fed from /dev/zero): one line
 * that never ends stops the read past 1 MiB, not at the memory's end. */
static void test_fifo_zeros(void)
{
    const char *p = make_fifo();
    char *zeros = filled('\0', 1 << 16);
    writer w = {.head = HEADER, .body = zeros, .body_len = 1 << 16};
    int holder = fifo_writer(&w, p);
    tr_trace *tr = (tr_trace *)1;
    ASSERT_EQ(tr_load(p, NULL, &tr), -EINVAL);
    char want[256];
    snprintf(want, sizeof want, "%s:2: line longer than 1 MiB", p);
    ASSERT_STR_EQ(tr_last_error(), want);
    close(holder);
    writer_join(&w);
    /* what was read, plus at most what the pipe buffers (64 KiB default,
     * 1 MiB at most on Linux) */
    ASSERT_CMP(w.wrote, <=, (1ULL << 20) + 2 * (1ULL << 16) + (1ULL << 20));
    free(zeros);
    unlink(p);
}

/* Endless garbage lines: line 1 is not the header, the read stops there. */
static void test_fifo_garbage(void)
{
    const char *p = make_fifo();
    writer w = {.head = "y\n", .body = "y\n", .body_len = 2};
    int holder = fifo_writer(&w, p);
    tr_trace *tr = (tr_trace *)1;
    ASSERT_EQ(tr_load(p, NULL, &tr), -EINVAL);
    char want[256];
    snprintf(want, sizeof want,
             "%s:1: expected the header ({\"ev\":\"trace\",...}) on the first line", p);
    ASSERT_STR_EQ(tr_last_error(), want);
    close(holder);
    writer_join(&w);
    ASSERT_CMP(w.wrote, <=, (1ULL << 16) + (1ULL << 20));
    unlink(p);
}

/* Endless valid events: the stream's bound (1 MiB here) ends it. */
static void test_stream_limit(void)
{
    const char *p = make_fifo();
    static const char ev[] = "{\"t\":0,\"ev\":\"poll_begin\"}\n";
    char *body = malloc(1 << 16);
    size_t n = 0;
    while (n + sizeof ev - 1 <= 1 << 16) {
        memcpy(body + n, ev, sizeof ev - 1);
        n += sizeof ev - 1;
    }
    writer w = {.head = HEADER, .body = body, .body_len = n};
    size_t old = tr__set_stream_limit((size_t)1 << 20);
    int holder = fifo_writer(&w, p);
    tr_trace *tr = (tr_trace *)1;
    ASSERT_EQ(tr_load(p, NULL, &tr), -EFBIG);
    char want[256];
    snprintf(want, sizeof want,
             "%s: more than 1 MiB from a stream (a pipe is read into memory: save the trace "
             "to a file)",
             p);
    ASSERT_STR_EQ(tr_last_error(), want);
    close(holder);
    writer_join(&w);
    ASSERT_CMP(w.wrote, <=, (1ULL << 20) + 1 + n + (1ULL << 20));
    tr__set_stream_limit(old);
    free(body);
    unlink(p);
}

/* ---- standard input ---- */

/* Runs tr_load("-") with fd 0 the read end of a pipe fed by w. */
static int load_stdin(writer *w, tr_trace **tr)
{
    int pfd[2];
    ASSERT_OK(pipe(pfd));
    int saved = dup(0);
    ASSERT(saved >= 0);
    ASSERT_EQ(dup2(pfd[0], 0), 0);
    close(pfd[0]);
    w->fd = pfd[1];
    writer_start(w);
    int rc = tr_load("-", NULL, tr);
    ASSERT_EQ(dup2(saved, 0), 0); /* closes the pipe: the writer ends */
    close(saved);
    writer_join(w);
    return rc;
}

static void test_stdin(void)
{
    writer w = {.head = TRACE};
    tr_trace *tr = NULL;
    ASSERT_OK(load_stdin(&w, &tr));
    ASSERT_EQ(tr_nevents(tr), 3);
    ASSERT_STR_EQ(tr_head(tr)->program, "p");
    tr_free(tr);
    writer bad = {.head = HEADER "{\"t\":0,\"ev\":\"run\",\"task\":\"x\"}\n"};
    ASSERT_EQ(load_stdin(&bad, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "(stdin):2: \"task\" must be an integer");
    writer none = {.head = ""};
    ASSERT_EQ(load_stdin(&none, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(),
                  "(stdin): empty (a FIFO or pipe with no writer, or nothing written)");
    /* stdin a regular file (`coscope stats - < run.jsonl`): mapped */
    const char *f = in_dir("in.jsonl");
    FILE *o = fopen(f, "w");
    ASSERT_NOT_NULL(o);
    fputs(TRACE, o);
    fclose(o);
    int saved = dup(0), fd = open(f, O_RDONLY);
    ASSERT(saved >= 0 && fd >= 0);
    ASSERT_EQ(dup2(fd, 0), 0);
    close(fd);
    int rc = tr_load("-", NULL, &tr);
    ASSERT_EQ(dup2(saved, 0), 0);
    close(saved);
    ASSERT_OK(rc);
    ASSERT_EQ(tr_nevents(tr), 3);
    tr_free(tr);
    unlink(f);
}

/* A writer that sends the header, waits until the reader has taken it
 * (the pipe is empty), then sends the rest: the reader's next read finds
 * the pipe empty with the writer still there. */
static void *drained_writer(void *arg)
{
    writer *w = arg;
    const char *rest = &TRACE[strlen(HEADER)];
    int queued = 1;
    if (put(w, HEADER, strlen(HEADER)) == 0) {
        while (ioctl(0, FIONREAD, &queued) == 0 && queued > 0)
            sched_yield();
        put(w, rest, strlen(rest));
    }
    close(w->fd);
    return NULL;
}

/* Standard input inherited non-blocking (a shell's or an event loop's
 * pipe): the reader waits for data and leaves the flag as it found it,
 * since the file description is shared with the other processes. */
static void test_stdin_nonblocking(void)
{
    int pfd[2];
    ASSERT_OK(pipe(pfd));
    ASSERT_OK(fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK));
    int saved = dup(0);
    ASSERT(saved >= 0);
    ASSERT_EQ(dup2(pfd[0], 0), 0);
    close(pfd[0]);
    writer w = {.fd = pfd[1]};
    ASSERT_OK(pthread_create(&w.thr, NULL, drained_writer, &w));
    tr_trace *tr = NULL;
    int rc = tr_load("-", NULL, &tr);
    int fl = fcntl(0, F_GETFL);
    ASSERT_EQ(dup2(saved, 0), 0);
    close(saved);
    writer_join(&w);
    ASSERT_OK(rc);
    ASSERT_EQ(tr_nevents(tr), 3);
    ASSERT(fl & O_NONBLOCK);
    tr_free(tr);
}

/* ---- files the kernel sizes 0 ---- */
static void test_proc(void)
{
    tr_trace *tr = (tr_trace *)1;
    ASSERT_EQ(tr_load("/proc/self/status", NULL, &tr), -EINVAL);
    ASSERT_STR_EQ(tr_last_error(), "/proc/self/status:1: expected the header "
                                   "({\"ev\":\"trace\",...}) on the first line");
    /* a real empty file is still called one */
    const char *f = in_dir("empty.jsonl");
    FILE *o = fopen(f, "w");
    ASSERT_NOT_NULL(o);
    fclose(o);
    ASSERT_EQ(tr_load(f, NULL, &tr), -EINVAL);
    char want[256];
    snprintf(want, sizeof want, "%s: empty file", f);
    ASSERT_STR_EQ(tr_last_error(), want);
    unlink(f);
}

/* ---- a 4 GiB sparse file: a hole of zeros after the header ---- */

static long minor_faults(void)
{
    struct rusage ru;
    ASSERT_OK(getrusage(RUSAGE_SELF, &ru));
    return ru.ru_minflt + ru.ru_majflt;
}

static void test_sparse(void)
{
    const char *f = in_dir("sparse.jsonl");
    int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, HEADER, sizeof HEADER - 1), (long long)(sizeof HEADER - 1));
    ASSERT_OK(ftruncate(fd, (off_t)4 << 30));
    close(fd);
    char want[256];
    snprintf(want, sizeof want, "%s:2: line longer than 1 MiB", f);
    /* serial and split over 4 threads: each chunk stops at its first
     * over-long line; the file is not read to its end. Reading it would
     * fault in 4 GiB: a million pages, 65536 even with 16-page fault-around. */
    for (int threads = 1; threads <= 4; threads += 3) {
        tr_load_opts o = TR_LOAD_OPTS_INIT;
        o.threads = threads;
        tr_trace *tr = (tr_trace *)1;
        long before = minor_faults();
        ASSERT_EQ(tr_load(f, &o, &tr), -EINVAL);
        long faults = minor_faults() - before;
        ASSERT_STR_EQ(tr_last_error(), want);
        fprintf(stderr, "sparse, %d thread(s): %ld page faults\n", threads, faults);
        ASSERT_CMP(faults, <, 20000);
    }
    unlink(f);
}

static const test_case cases[] = {
    {"devices", test_devices},
    {"fifo_no_writer", test_fifo_no_writer},
    {"fifo_trace", test_fifo_trace},
    {"fifo_zeros", test_fifo_zeros},
    {"fifo_garbage", test_fifo_garbage},
    {"stream_limit", test_stream_limit},
    {"stdin", test_stdin},
    {"stdin_nonblocking", test_stdin_nonblocking},
    {"proc", test_proc},
    {"sparse", test_sparse},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    int rc = test_main(argc, argv, cases);
    if (dir[0])
        rmdir(dir);
    return rc;
}
