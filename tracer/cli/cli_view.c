/* cli_view.c: `coscope view` runs the viewer program, coscope-view, in this
 * process's place. The CLI links no GUI library (a `coscope stalls` on a CI
 * machine loads no SDL, X11 or audio stack); only the program that draws
 * does. coscope-view is looked for beside this binary first (a build tree's
 * bin/, a relocated install), then in the bindir this build installs to. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#ifndef COSCOPE_INSTALL_BINDIR
#error "COSCOPE_INSTALL_BINDIR must name the install's bindir"
#endif

#define VIEW_PROG "coscope-view"

/* dir + "/coscope-view" into buf: 0 if it is an executable file there,
 * -ENOENT otherwise (also when the path does not fit). */
static int try_dir(const char *dir, size_t dirlen, char *buf, size_t n)
{
    if (dirlen + sizeof "/" VIEW_PROG > n)
        return -ENOENT;
    memcpy(buf, dir, dirlen);
    memcpy(buf + dirlen, "/" VIEW_PROG, sizeof "/" VIEW_PROG);
    return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}

/* The directory of the running binary, from /proc/self/exe (argv[0] may be
 * a bare name found on PATH): its length, or 0 when it cannot be read. */
static size_t self_dir(char *buf, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", buf, n - 1);
    if (len <= 0)
        return 0;
    buf[len] = '\0';
    char *slash = strrchr(buf, '/');
    return slash ? (size_t)(slash - buf) : 0;
}

int cli__viewer_path(char *prog, size_t n, char *where, size_t wn)
{
    char self[PATH_MAX];
    size_t dirlen = self_dir(self, sizeof self);
    if ((dirlen == 0 || try_dir(self, dirlen, prog, n) != 0) &&
        try_dir(COSCOPE_INSTALL_BINDIR, strlen(COSCOPE_INSTALL_BINDIR), prog, n) != 0) {
        snprintf(where, wn,
                 "the viewer program " VIEW_PROG " is not installed (looked "
                 "in %.*s and " COSCOPE_INSTALL_BINDIR "); it is built unless "
                 "-DCOSCOPE_VIEWER=OFF",
                 (int)dirlen, self);
        return -ENOENT;
    }
    return 0;
}

int cli__view(int argc, char **argv)
{
    char prog[PATH_MAX], where[PATH_MAX + 256];
    if (cli__viewer_path(prog, sizeof prog, where, sizeof where) != 0) {
        for (int i = 1; i < argc; i++) {
            if (cli__is_help(argv[i])) {
                printf("usage: coscope view FILE [options]\n\n"
                       "Runs " VIEW_PROG ", the timeline viewer; %s.\n",
                       where);
                return CLI_OK;
            }
        }
        fprintf(stderr, "coscope: view: %s\n", where);
        return CLI_BAD;
    }
    /* argv[0] is "view"; coscope-view takes the same FILE and options. */
    argv[0] = prog;
    fflush(NULL);
    execv(prog, argv);
    fprintf(stderr, "coscope: view: cannot run %s: %s\n", prog,
            strerror(errno));
    return CLI_BAD;
}
