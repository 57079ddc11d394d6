/* test_cli_layers.c: the `coscope` program is thin over the tracer library.
 * It loads no GUI library (checked at run time with the dynamic loader's own
 * LD_DEBUG=files log, so a dlopen would show too), `coscope view` runs the
 * coscope-view program in its place, and without that program it says so;
 * and "-" as FILE reads standard input. */
#include <errno.h>
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

/* "-" reads the trace from standard input, for every command that reads
 * one: the same output as from the file. */
static void test_stdin(void)
{
    static const char *const cmds[][4] = {
        {"validate", NULL}, {"stalls", "--json", NULL}, {"stats", "--json", NULL}};
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        const char *file_args[6] = {cmds[c][0], "deadlock.jsonl", cmds[c][1], NULL};
        const char *pipe_args[6] = {cmds[c][0], "-", cmds[c][1], NULL};
        result a = run(COSCOPE_BIN, file_args);
        stdin_path = CLI_DATA "/deadlock.jsonl";
        result b = run(COSCOPE_BIN, pipe_args);
        stdin_path = NULL;
        ASSERT_EQ(b.status, a.status);
        ASSERT(strlen(b.out) > 20);
        if (c == 0) /* validate names its input */
            ASSERT(strncmp(b.out, "(stdin): ok, ", 13) == 0);
        else
            ASSERT_STR_EQ(b.out, a.out);
        result_free(&a);
        result_free(&b);
    }
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"no_gui_libs", test_no_gui_libs},
#ifdef COSCOPE_VIEWER_BUILT
        {"view_exec", test_view_exec},
#endif
        {"view_missing", test_view_missing},
        {"stdin", test_stdin},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
