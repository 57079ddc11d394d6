/* test_cli_layers.c: the `coscope` program is thin over the tracer library.
 * It loads no GUI library (checked at run time with the dynamic loader's own
 * LD_DEBUG=files log, so a dlopen would show too), `coscope view` runs the
 * coscope-view program in its place, and without that program it says so;
 * and "-" as FILE reads standard input (a pipe) in every command that reads
 * a trace, followed or not. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.h"
#include "test.h"

#if !defined(COSCOPE_BIN) || !defined(CLI_DATA) || !defined(INSTALL_BINDIR)
#error "COSCOPE_BIN, CLI_DATA and INSTALL_BINDIR must be defined"
#endif

/* ctest's SKIP_RETURN_CODE for this test: a coscope-view is installed in the
 * bindir, so the "missing" case cannot be made to happen here. */
#define SKIP 77

static const char *stdin_path; /* when set, the child's standard input */

/* Runs bin with args in the data dir. */
static result run(const char *bin, const char *const *args)
{
    return run_prog(bin, args, CLI_DATA, stdin_path);
}

/* Libraries of a GUI, sound or desktop stack: none may load in the CLI. */
static const char *const gui_libs[] = {
    "libSDL", "libX11", "libXext", "libXcursor", "libXi", "libXrandr",
    "libxcb", "libwayland", "libxkbcommon", "libpulse", "libasound",
    "libsndfile", "libdbus", "libGL", "libEGL", "libvulkan", "libdrm",
    "libgbm", "libdecor", "libpng", "libfreetype", "libharfbuzz", NULL};

/* Counts the loader's "file=NAME" lines in an LD_DEBUG=files log, and those
 * whose NAME starts with `prefix`, each NAME once (the loader logs a
 * library each time something needs it). Fails on any gui_libs entry unless
 * allow_gui. */
static size_t loaded(const char *log, const char *prefix, int allow_gui,
                     size_t *nprefix)
{
    char seen[256][128];
    size_t nseen = 0;
    *nprefix = 0;
    for (const char *p = strstr(log, "file="); p; p = strstr(p, "file=")) {
        p += 5;
        size_t len = strcspn(p, " \t\n[;");
        if (len == 0 || len >= sizeof seen[0])
            continue;
        int dup = 0;
        for (size_t i = 0; i < nseen && !dup; i++)
            dup = strncmp(seen[i], p, len) == 0 && seen[i][len] == '\0';
        if (dup || nseen == 256)
            continue;
        memcpy(seen[nseen], p, len);
        seen[nseen][len] = '\0';
        const char *base = strrchr(seen[nseen], '/');
        base = base ? base + 1 : seen[nseen];
        for (size_t g = 0; gui_libs[g] && !allow_gui; g++)
            if (strncmp(base, gui_libs[g], strlen(gui_libs[g])) == 0)
                TEST__FAIL("the CLI loaded %s", seen[nseen]);
        if (strncmp(base, prefix, strlen(prefix)) == 0)
            (*nprefix)++;
        nseen++;
    }
    return nseen;
}

/* `coscope stalls` loads the tracer's own dependencies (libcjson: the
 * check saw the loads) and nothing of a GUI. */
static void test_no_gui_libs(void)
{
    size_t ncjson;
    setenv("LD_DEBUG", "files", 1);
    result r = run(COSCOPE_BIN, (const char *[]){"stalls", "deadlock.jsonl",
                                                 NULL});
    unsetenv("LD_DEBUG");
    if (r.status != 0)
        TEST__FAIL("stalls: exit %d; stderr:\n%s", r.status, r.err);
    ASSERT(strstr(r.out, "stuck") != NULL);
    size_t n = loaded(r.err, "libcjson", 0, &ncjson);
    ASSERT_EQ(ncjson, 1);
    ASSERT_CMP(n, <=, 16);
    fprintf(stderr, "coscope stalls loaded %zu shared libraries\n", n);
    result_free(&r);
}

#ifdef COSCOPE_VIEWER_BUILT
static int is_png(const char *path)
{
    unsigned char b[8] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    return n == 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* `coscope view --screenshot` works through the exec: the PNG is written,
 * and the loader's log shows SDL loading in the same process after the exec
 * (so it was coscope-view, not the CLI, that drew). */
static void test_view_exec(void)
{
    char dir[] = "/tmp/coscope-layers-XXXXXX", png[64];
    size_t nsdl;
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(png, sizeof png, "%s/v.png", dir);
    setenv("LD_DEBUG", "files", 1);
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    result r = run(COSCOPE_BIN, (const char *[]){"view", "basic.jsonl",
                                                 "--screenshot", png, NULL});
    unsetenv("LD_DEBUG");
    if (r.status != 0)
        TEST__FAIL("view: exit %d; stderr:\n%s", r.status, r.err);
    ASSERT(is_png(png));
    loaded(r.err, "libSDL2", 1, &nsdl);
    ASSERT_CMP(nsdl, >=, 1);
    ASSERT(strstr(r.err, "coscope-view") != NULL);
    result_free(&r);
    unlink(png);
    ASSERT_OK(rmdir(dir));
}
#endif

/* Without coscope-view beside it (nor in the bindir), `coscope view` says
 * which program it needs and where it looked, exits 1, writes nothing. */
static void test_view_missing(void)
{
    char dir[] = "/tmp/coscope-layers-XXXXXX", bin[64], cmd[256], png[64];
    if (access(INSTALL_BINDIR "/coscope-view", X_OK) == 0) {
        fprintf(stderr, "skipped: %s/coscope-view is installed\n",
                INSTALL_BINDIR);
        exit(SKIP);
    }
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(bin, sizeof bin, "%s/coscope", dir);
    snprintf(png, sizeof png, "%s/v.png", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", COSCOPE_BIN, bin);
    ASSERT_OK(system(cmd));
    result r = run(bin, (const char *[]){"view", "basic.jsonl", "--screenshot",
                                         png, NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.out, "");
    char want[512];
    snprintf(want, sizeof want,
             "coscope: view: the viewer program coscope-view is not installed "
             "(looked in %s and %s); it is built unless -DCOSCOPE_VIEWER=OFF\n",
             dir, INSTALL_BINDIR);
    ASSERT_STR_EQ(r.err, want);
    ASSERT(access(png, F_OK) != 0);
    result_free(&r);
    unlink(bin);
    ASSERT_OK(rmdir(dir));
}

/* ---- "-": the trace on standard input, through a pipe ---- */

static int wait_status(pid_t pid)
{
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A child writing path's bytes into fd, then exiting (a reader that stops
 * early gets it killed by SIGPIPE, which the caller does not mind). */
static pid_t feed(const char *path, int fd)
{
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        int in = open(path, O_RDONLY);
        char buf[65536];
        ssize_t n;
        while (in >= 0 && (n = read(in, buf, sizeof buf)) > 0)
            if (write(fd, buf, (size_t)n) != n)
                _exit(1);
        _exit(in < 0);
    }
    return pid;
}

/* bin ARGS... started with path's bytes on a pipe as its standard input,
 * stdout and stderr into unlinked files (*ofd, *efd); in a session of its
 * own when setsid (no controlling terminal: /dev/tty cannot open). With
 * prefill the whole file is in the pipe before bin starts (a follower's
 * one headless poll then sees all of it, however slow the feeder would
 * be), else it is written while bin reads. The child's pid; *writer is
 * the feeding child's. */
static pid_t spawn_piped(const char *bin, const char *const *args, const char *path, int setsid,
                         int prefill, int *ofd, int *efd, pid_t *writer)
{
    char outp[] = "/tmp/coscope-test-out-XXXXXX", errp[] = "/tmp/coscope-test-err-XXXXXX";
    const char *argv[64] = {bin};
    int p[2];
    *ofd = mkstemp(outp);
    *efd = mkstemp(errp);
    ASSERT(*ofd >= 0 && *efd >= 0);
    unlink(outp);
    unlink(errp);
    for (size_t n = 1; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    ASSERT_OK(pipe(p));
    if (prefill) {
        struct stat sb;
        ASSERT_OK(stat(path, &sb));
        ASSERT_CMP(fcntl(p[1], F_SETPIPE_SZ, 1 << 20), >=, sb.st_size);
        *writer = feed(path, p[1]);
        ASSERT_EQ(wait_status(*writer), 0);
        *writer = -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    if (setsid)
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    posix_spawn_file_actions_adddup2(&fa, *ofd, 1);
    posix_spawn_file_actions_adddup2(&fa, *efd, 2);
    posix_spawn_file_actions_addchdir_np(&fa, CLI_DATA);
    pid_t pid;
    ASSERT_OK(posix_spawn(&pid, bin, &fa, &at, (char **)argv, environ));
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(p[0]);
    if (!prefill)
        *writer = feed(path, p[1]);
    close(p[1]);
    return pid;
}

/* bin ARGS... with path piped to its standard input, run to its end. */
static result run_piped(const char *bin, const char *const *args, const char *path, int prefill)
{
    int ofd, efd;
    pid_t writer, pid = spawn_piped(bin, args, path, 0, prefill, &ofd, &efd, &writer);
    result r;
    r.status = wait_status(pid);
    if (writer > 0)
        wait_status(writer);
    r.out = slurp_fd(ofd);
    r.err = slurp_fd(efd);
    close(ofd);
    close(efd);
    return r;
}

/* s with every `from` replaced by `to` (malloc'd). */
static char *replace(const char *s, const char *from, const char *to)
{
    size_t nf = strlen(from), nt = strlen(to), n = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + nf, from))
        n++;
    char *out = malloc(strlen(s) + n * nt + 1), *o = out;
    ASSERT_NOT_NULL(out);
    for (const char *p; (p = strstr(s, from)); s = p + nf) {
        memcpy(o, s, (size_t)(p - s));
        o += p - s;
        memcpy(o, to, nt);
        o += nt;
    }
    strcpy(o, s);
    return out;
}

/* The bytes of a file (a NUL after them), *len their count. */
static char *read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    ASSERT(fd >= 0);
    struct stat sb;
    ASSERT_OK(fstat(fd, &sb));
    char *b = malloc((size_t)sb.st_size + 1);
    ASSERT_NOT_NULL(b);
    ASSERT_EQ(read(fd, b, (size_t)sb.st_size), sb.st_size);
    b[sb.st_size] = '\0';
    close(fd);
    *len = (size_t)sb.st_size;
    return b;
}

/* Files a and b hold the same bytes, more than min of them; both removed. */
static void same_files(const char *a, const char *b, size_t min)
{
    size_t na, nb;
    char *x = read_all(a, &na), *y = read_all(b, &nb);
    ASSERT_CMP(na, >, min);
    ASSERT_EQ(nb, na);
    ASSERT(memcmp(x, y, na) == 0);
    free(x);
    free(y);
    unlink(a);
    unlink(b);
}

/* The sample every command reads, as a FILE and as "-". */
#define SAMPLE SAMPLE_DIR "/stall.jsonl"

/* Every command that reads a trace, with "-" for FILE: exactly the output
 * of the FILE form (where a command names its input, "(stdin)" in place
 * of the path), and the same exit code. OUT names an output file. */
static void test_stdin(void)
{
    static const char *const cmds[][6] = {
        {"validate", "FILE"},
        {"stalls", "FILE"},
        {"stalls", "FILE", "--json"},
        {"stalls", "FILE", "--threshold", "5ms", "--fail-on-stall"},
        {"stats", "FILE"},
        {"stats", "FILE", "--json"},
        {"stats", "FILE", "--task", "2"},
        {"stats", "FILE", "--range", "50ms..200ms"},
        {"stats", "FILE", "--range", "50ms..200ms", "--json"},
        {"why", "FILE", "1"},
        {"why", "FILE", "heartbeat", "--at", "100ms", "--json"},
        {"why", "FILE", "nobody"},
        {"export", "FILE", "--chrome"},
        {"export", "FILE", "--perfetto", "-o", "OUT"},
        {"top", "FILE", "--once"},
        {"top", "FILE", "--once", "--json", "--sort", "name"},
    };
    char dir[] = "/tmp/coscope-stdin-XXXXXX", out_file[64], out_pipe[64];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(out_file, sizeof out_file, "%s/file.out", dir);
    snprintf(out_pipe, sizeof out_pipe, "%s/pipe.out", dir);
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        const char *fa[8] = {NULL}, *pa[8] = {NULL};
        for (size_t k = 0; k < 6 && cmds[c][k]; k++) {
            int is_file = strcmp(cmds[c][k], "FILE") == 0, is_out = strcmp(cmds[c][k], "OUT") == 0;
            fa[k] = is_file ? SAMPLE : is_out ? out_file : cmds[c][k];
            pa[k] = is_file ? "-" : is_out ? out_pipe : cmds[c][k];
        }
        result a = run(COSCOPE_BIN, fa);
        result b = run_piped(COSCOPE_BIN, pa, SAMPLE, 0);
        fprintf(stderr, "%s %s ...: exit %d, %zu bytes out\n", cmds[c][0], pa[1], b.status,
                strlen(b.out));
        ASSERT_EQ(b.status, a.status);
        char *want_out = replace(a.out, SAMPLE, "(stdin)");
        char *want_err = replace(a.err, SAMPLE, "(stdin)");
        ASSERT_STR_EQ(b.out, want_out);
        ASSERT_STR_EQ(b.err, want_err);
        ASSERT(strlen(b.out) > 20 || strlen(b.err) > 20 || fa[4] == out_file);
        if (fa[4] == out_file) /* --perfetto: the same bytes */
            same_files(out_file, out_pipe, 10000);
        free(want_out);
        free(want_err);
        result_free(&a);
        result_free(&b);
    }
    ASSERT_OK(rmdir(dir));
}

/* `replay -`: the replay log is found by FILE's name, so "-" is refused as
 * a usage error that says why (and PROG is never run). */
static void test_stdin_replay(void)
{
    result r = run_piped(COSCOPE_BIN, (const char *[]){"replay", "-", "--", "/bin/echo", "ran", NULL},
                         SAMPLE, 0);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.out, "");
    ASSERT_STR_EQ(r.err, "coscope: replay: FILE cannot be - (standard input): the replay log "
                         "is found beside the trace file (its stem + .replay)\n"
                         "Try 'coscope replay --help'.\n");
    result_free(&r);
}

/* The last frame the live view drew (after its last clear-screen), or
 * NULL while none has shown `mark`. */
static char *last_frame(int fd, const char *mark)
{
    char *all = slurp_fd(fd), *p = all, *q;
    while ((q = strstr(p, "\033[H\033[2J")))
        p = q + 7;
    char *frame = strstr(p, mark) && strstr(p, "q quits)") ? strdup(p) : NULL;
    free(all);
    return frame;
}

/* `top -` without --once follows a growing standard input (tr_follow on a
 * pipe), and with the terminal gone (its own session: no /dev/tty) takes
 * no keys; once the trace's end has come, its frame is exactly the table of
 * `top --once FILE` under the key line; SIGTERM ends it with the screen
 * restored and exit 0. */
static void test_stdin_top_live(void)
{
    int ofd, efd;
    pid_t writer, pid = spawn_piped(COSCOPE_BIN, (const char *[]){"top", "-", NULL}, SAMPLE, 1,
                                    0, &ofd, &efd, &writer);
    ASSERT_EQ(wait_status(writer), 0);
    char *frame = NULL;
    while (!(frame = last_frame(ofd, "(ended)")))
        usleep(50 * 1000); /* a frame a second: the test's TIMEOUT bounds it */
    ASSERT_OK(kill(pid, SIGTERM));
    ASSERT_EQ(wait_status(pid), 0);
    result once = run(COSCOPE_BIN, (const char *[]){"top", SAMPLE, "--once", NULL});
    char *want = replace(once.out, SAMPLE, "(stdin)");
    size_t n = strlen(want);
    ASSERT(strncmp(frame, want, n) == 0);
    ASSERT_STR_EQ(frame + n, "sort: busy  (b p l s n i sort, q quits)");
    char *all = slurp_fd(ofd), *err = slurp_fd(efd);
    const char *tail = "q quits)\033[?25h\033[?1049l";
    ASSERT_STR_EQ(all + strlen(all) - strlen(tail), tail);
    ASSERT_STR_EQ(err, "");
    free(all);
    free(err);
    free(want);
    free(frame);
    result_free(&once);
    close(ofd);
    close(efd);
}

/* What `top` can never follow ends it at once, exit 1, with the reader's
 * message: "-" when standard input is a directory (so too a terminal). */
static void test_stdin_top_refused(void)
{
    stdin_path = "/";
    result r = run(COSCOPE_BIN, (const char *[]){"top", "-", NULL});
    stdin_path = NULL;
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "coscope: top: (stdin): following needs a regular file (one being "
                         "written) or a pipe\n");
    ASSERT_STR_EQ(r.out, "\033[?1049h\033[?25l\033[?25h\033[?1049l");
    result_free(&r);
}

#ifdef COSCOPE_VIEWER_BUILT
/* The viewer reads "-" too, loaded (`coscope view -`) and followed
 * (`coscope-view --follow -`): the same frame, byte for byte, as from FILE. */
static void test_stdin_view(void)
{
    static const char *const modes[][2] = {{COSCOPE_BIN, "view"}, {VIEW_BIN, "--follow"}};
    char dir[] = "/tmp/coscope-stdin-XXXXXX", pf[64], pp[64];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(pf, sizeof pf, "%s/file.png", dir);
    snprintf(pp, sizeof pp, "%s/pipe.png", dir);
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    for (size_t m = 0; m < 2; m++) {
        result a = run(modes[m][0], (const char *[]){modes[m][1], SAMPLE, "--screenshot", pf,
                                                     "--at", "100ms", NULL});
        result b = run_piped(modes[m][0], (const char *[]){modes[m][1], "-", "--screenshot", pp,
                                                           "--at", "100ms", NULL},
                             SAMPLE, 1); /* the follower polls once */
        ASSERT_EQ(a.status, 0);
        ASSERT_EQ(b.status, 0);
        same_files(pf, pp, 1000);
        result_free(&a);
        result_free(&b);
    }
    ASSERT_OK(rmdir(dir));
}
#endif

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"no_gui_libs", test_no_gui_libs},
#ifdef COSCOPE_VIEWER_BUILT
        {"view_exec", test_view_exec},
#endif
        {"view_missing", test_view_missing},
        {"stdin", test_stdin},
        {"stdin_replay", test_stdin_replay},
        {"stdin_top_live", test_stdin_top_live},
        {"stdin_top_refused", test_stdin_top_refused},
#ifdef COSCOPE_VIEWER_BUILT
        {"stdin_view", test_stdin_view},
#endif
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
