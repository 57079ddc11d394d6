/* test_record_crash.c: what a trace keeps when the program does not stop
 * cleanly. Each case forks a child that records and then is SIGKILLed,
 * crashes, overflows its stack or runs out of file size; the parent checks
 * the file holds every event, in whole lines. */
#include <sys/mman.h>
#include <sys/resource.h>

#include "coscope/tr_record.h"
#include "rec_util.h"

enum { NEV = 1000 };

/* The child's part: record NEV events (task = 1..NEV). */
static void child_record(const char *path)
{
    if (tr_rec_start(path, "crash") != 0)
        _exit(90);
    for (int i = 1; i <= NEV; i++) {
        if (i % 2)
            tr_rec_run((uint64_t)i);
        else
            tr_rec_mark((uint64_t)i, "event", 5);
    }
}

/* The file holds the header, exactly events 1..NEV, whole lines, no end
 * line, and last the line `last` (a halt or fatal line, "t" left out) when
 * given, else nothing more. */
static void assert_events_then(const char *path, const char *last)
{
    rec_lines L = rec_read(path);
    rec_assert_json(&L);
    ASSERT_EQ(L.n, 1 + NEV + (last != NULL));
    ASSERT(rec_is(L.v[0], "trace"));
    for (int i = 1; i <= NEV; i++)
        ASSERT_EQ(rec_int(L.v[i], "task", -1), i);
    if (last) {
        const char *l = L.v[1 + NEV], *ev = strstr(l, ",\"ev\":");
        ASSERT(strncmp(l, "{\"t\":", 5) == 0 && ev != NULL);
        ASSERT_CMP(rec_int(l, "t", -1), >=, 0);
        ASSERT_STR_EQ(ev + 1, last);
    }
    rec_free(&L);
}

static void assert_all_events(const char *path)
{
    assert_events_then(path, NULL);
}

/* Died of `sig`. Under a sanitizer its own handler may report and exit 1
 * instead: accept that there, since the trace is what is checked. */
static void assert_died(int st, int sig)
{
#ifdef CO_ASAN
    if (WIFEXITED(st)) {
        ASSERT_NE(WEXITSTATUS(st), 0);
        return;
    }
#endif
    ASSERT(WIFSIGNALED(st));
    ASSERT_EQ(WTERMSIG(st), sig);
}

/* ---- SIGKILL after the 100 ms flush ---- */

static void flush_tick(void)
{
    const char *path = rec_path("kill.jsonl");
    int fds[2];
    ASSERT_OK(pipe(fds));
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        close(fds[0]);
        child_record(path);
        if (write(fds[1], "x", 1) != 1)
            _exit(91);
        for (;;)
            pause();
    }
    close(fds[1]);
    char c;
    ASSERT_EQ(read(fds[0], &c, 1), 1);
    close(fds[0]);
    struct timespec d = {0, 300 * 1000 * 1000};
    while (nanosleep(&d, &d) != 0)
        ;
    ASSERT_OK(kill(pid, SIGKILL));
    int st = rec_wait(pid);
    ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    assert_all_events(path);
    rec_cleanup();
}

/* ---- fatal signals ---- */

/* A real fault on a page we may not touch (a NULL store would be caught by
 * UBSan before it faults). */
static void segv_now(void)
{
    volatile int *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        _exit(95);
    *p = 1;
}

/* A real divide error (an x86 #DE, si_code FPE_INTDIV), in assembly: C's
 * 1 / 0 is undefined, gets folded away by the compiler or caught by UBSan. */
static void fpe_now(void)
{
#if defined(__x86_64__)
    int zero = 0;
    __asm__ volatile("movl $1, %%eax\n\txorl %%edx, %%edx\n\tidivl %0"
                     :
                     : "r"(zero)
                     : "eax", "edx", "cc");
#else
    raise(SIGFPE);
#endif
}

static void crash_with(int sig)
{
    const char *path = rec_path("crash.jsonl");
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        child_record(path);
        if (sig == SIGSEGV)
            segv_now(); /* a real fault, re-raised by re-executing */
        else if (sig == SIGABRT)
            abort();
        else if (sig == SIGFPE)
            fpe_now(); /* a real fault too */
        else if (sig == SIGILL)
            __builtin_trap(); /* ud2: a real SIGILL */
        else
            raise(sig);
        _exit(92);
    }
    assert_died(rec_wait(pid), sig);
    char last[64];
    snprintf(last, sizeof last, "\"ev\":\"halt\",\"signal\":\"SIG%s\"}",
             sigabbrev_np(sig));
    assert_events_then(path, last);
    rec_cleanup();
}

static void crash_segv(void) { crash_with(SIGSEGV); }
static void crash_bus(void) { crash_with(SIGBUS); }
static void crash_abort(void) { crash_with(SIGABRT); }
static void crash_fpe(void) { crash_with(SIGFPE); }
static void crash_ill(void) { crash_with(SIGILL); }
static void crash_int(void) { crash_with(SIGINT); }
static void crash_term(void) { crash_with(SIGTERM); }

/* SIGTERM from outside (kill), while the program sleeps: the usual way a
 * server is stopped. */
static void term_from_outside(void)
{
    const char *path = rec_path("term.jsonl");
    int fds[2];
    ASSERT_OK(pipe(fds));
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        close(fds[0]);
        child_record(path);
        if (write(fds[1], "r", 1) != 1)
            _exit(93);
        for (;;)
            pause();
    }
    close(fds[1]);
    char c;
    ASSERT_EQ(read(fds[0], &c, 1), 1);
    close(fds[0]);
    ASSERT_OK(kill(pid, SIGTERM));
    int st = rec_wait(pid);
    ASSERT(WIFSIGNALED(st));
    ASSERT_EQ(WTERMSIG(st), SIGTERM);
    assert_events_then(path, "\"ev\":\"halt\",\"signal\":\"SIGTERM\"}");
    rec_cleanup();
}

/* A program that handles SIGTERM itself keeps it: no halt line, and its
 * handler runs (recording goes on). */
static volatile sig_atomic_t handled;
static void on_term(int sig)
{
    (void)sig;
    handled = 1;
}

static void term_handled(void)
{
    const char *path = rec_path("handled.jsonl");
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        signal(SIGTERM, on_term);
        child_record(path);
        raise(SIGTERM);
        if (!handled)
            _exit(94);
        ASSERT_OK(tr_rec_stop());
        _exit(0);
    }
    int st = rec_wait(pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    rec_lines L = rec_read(path);
    ASSERT_EQ(L.n, 2 + NEV);
    ASSERT(rec_is(L.v[1 + NEV], "end"));
    rec_free(&L);
    rec_cleanup();
}

/* exit() while recording (no tr_rec_stop): a halt line with the code. */
static void exit_code(void)
{
    const char *path = rec_path("exit.jsonl");
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        child_record(path);
        exit(3);
    }
    int st = rec_wait(pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 3);
    assert_events_then(path, "\"ev\":\"halt\",\"code\":3}");
    rec_cleanup();
}

/* tr_rec_fatal: the runtime's last word before abort(). The fatal line is
 * last: the SIGABRT that follows adds no halt line. */
static void fatal_line(void)
{
    const char *path = rec_path("fatal.jsonl");
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        child_record(path);
        const char *msg = "co_mutex_unlock of mutex 1 \"m\" not held";
        tr_rec_fatal(7, msg, strlen(msg), "app.c", 42);
        abort();
    }
    assert_died(rec_wait(pid), SIGABRT);
    assert_events_then(path, "\"ev\":\"fatal\",\"task\":7,\"msg\":\"co_mutex_unlock "
                             "of mutex 1 \\\"m\\\" not held\",\"at\":\"app.c:42\"}");
    rec_cleanup();
}

static int chained_fd = -1;

/* A handler like the runtime's: on the alternate stack, calls the crash
 * flush itself, tells the parent it ran, then exits with a known code. */
static void runtime_like(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    tr_rec_crash_flush();
    if (write(chained_fd, "C", 1) != 1)
        _exit(96);
    _exit(42);
}

static struct sigaction before_us;

/* Installed after tr_rec_start: flushes, then hands over to what it found
 * (ours), which must not write anything twice. */
static void runtime_after(int sig, siginfo_t *si, void *uc)
{
    (void)si, (void)uc;
    tr_rec_crash_flush();
    sigaction(sig, &before_us, NULL);
}

static void set_altstack(void)
{
    static char alt[1 << 16];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    ASSERT_OK(sigaltstack(&ss, NULL));
}

static void install(void (*fn)(int, siginfo_t *, void *), struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ASSERT_OK(sigaction(SIGSEGV, &sa, old));
}

static void crash_chain_before(void)
{
    const char *path = rec_path("chain1.jsonl");
    int fds[2];
    ASSERT_OK(pipe(fds));
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        close(fds[0]);
        chained_fd = fds[1];
        set_altstack();
        install(runtime_like, NULL); /* the runtime's handler came first */
        child_record(path);
        segv_now();
        _exit(92);
    }
    close(fds[1]);
    char c = 0;
    ASSERT_EQ(read(fds[0], &c, 1), 1); /* ours flushed, then chained to it */
    ASSERT_EQ(c, 'C');
    close(fds[0]);
    int st = rec_wait(pid);
    ASSERT(WIFEXITED(st));
    if (!RUNNING_ON_VALGRIND) /* which turns the fault into its own exit code */
        ASSERT_EQ(WEXITSTATUS(st), 42);
    assert_events_then(path, "\"ev\":\"halt\",\"signal\":\"SIGSEGV\"}");
    rec_cleanup();
}

static void crash_chain_after(void)
{
    const char *path = rec_path("chain2.jsonl");
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        set_altstack();
        child_record(path);
        install(runtime_after, &before_us); /* the runtime's came later */
        segv_now();
        _exit(92);
    }
    assert_died(rec_wait(pid), SIGSEGV);
    assert_events_then(path, "\"ev\":\"halt\",\"signal\":\"SIGSEGV\"}");
    rec_cleanup();
}

/* ---- stack overflow: only the alternate stack has room for the flush ---- */

static volatile unsigned long depth_limit = ~0ul;

static unsigned long recurse(unsigned long depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    if (depth >= depth_limit)
        return frame[0];
    return recurse(depth + 1) + frame[0];
}

static void crash_overflow(void)
{
    if (RUNNING_ON_VALGRIND)
        return; /* valgrind reports the overflow itself and stops there */
    const char *path = rec_path("overflow.jsonl");
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        struct rlimit rl = {8u << 20, 8u << 20};
        setrlimit(RLIMIT_STACK, &rl);
        set_altstack();
        child_record(path);
        recurse(0);
        _exit(92);
    }
    assert_died(rec_wait(pid), SIGSEGV);
    assert_events_then(path, "\"ev\":\"halt\",\"signal\":\"SIGSEGV\"}");
    rec_cleanup();
}

/* ---- file size limit: EFBIG ---- */

static void disk_full(void)
{
    const char *path = rec_path("full.jsonl"), *err = rec_path("stderr.txt");
    const uint64_t n = 20000;
    int fds[2];
    ASSERT_OK(pipe(fds));
    pid_t pid = fork();
    ASSERT_CMP(pid, >=, 0);
    if (pid == 0) {
        close(fds[0]);
        FILE *e = freopen(err, "w", stderr);
        if (!e)
            _exit(93);
        struct rlimit rl = {64 * 1024, 64 * 1024};
        ASSERT_OK(setrlimit(RLIMIT_FSIZE, &rl));
        ASSERT_OK(tr_rec_start(path, "full"));
        for (uint64_t i = 1; i <= n; i++) {
            tr_rec_mark(i, "filling the disk", 16);
            if (i % 5000 == 0)
                tr_rec_flush();
        }
        ASSERT_EQ(tr_rec_events(), n);
        ASSERT_EQ(tr_rec_stop(), -EFBIG);
        uint64_t dropped = tr_rec_dropped();
        ASSERT_CMP(dropped, >, 0);
        if (write(fds[1], &dropped, sizeof dropped) != sizeof dropped)
            _exit(94);
        _exit(0); /* the program went on */
    }
    close(fds[1]);
    uint64_t dropped = 0;
    ASSERT_EQ(read(fds[0], &dropped, sizeof dropped), sizeof dropped);
    close(fds[0]);
    int st = rec_wait(pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);

    rec_lines E = rec_read(err);
    ASSERT_EQ(E.n, 1); /* said once */
    char want[256];
    snprintf(want, sizeof want,
             "coscope: trace write to %s failed: File too large; recording stopped, "
             "the program continues",
             path);
    ASSERT_STR_EQ(E.v[0], want);
    rec_free(&E);

    rec_lines L = rec_read(path);
    rec_assert_json(&L); /* whole lines up to the limit */
    ASSERT_CMP(L.n, >, 1);
    ASSERT(rec_is(L.v[0], "trace"));
    for (size_t i = 1; i < L.n; i++)
        ASSERT_EQ(rec_int(L.v[i], "task", -1), i); /* a prefix, no end line */
    ASSERT_EQ(L.n - 1 + dropped, n);
    rec_free(&L);
    rec_cleanup();
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"flush_tick", flush_tick},
        {"crash_segv", crash_segv},
        {"crash_bus", crash_bus},
        {"crash_abort", crash_abort},
        {"crash_fpe", crash_fpe},
        {"crash_ill", crash_ill},
        {"crash_int", crash_int},
        {"crash_term", crash_term},
        {"term_from_outside", term_from_outside},
        {"term_handled", term_handled},
        {"exit_code", exit_code},
        {"fatal_line", fatal_line},
        {"crash_chain_before", crash_chain_before},
        {"crash_chain_after", crash_chain_after},
        {"crash_overflow", crash_overflow},
        {"disk_full", disk_full},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
