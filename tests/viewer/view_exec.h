/* view_exec.h: runs the coscope-view program (VIEW_EXE) as a child with
 * the given arguments (argv[0] is replaced by the program's path), the
 * caller's stdout and stderr inherited, and returns its exit code (128 +
 * the signal when it was killed). The tests of the command line use it:
 * the library itself never parses argv. */
#ifndef VIEW_EXEC_H
#define VIEW_EXEC_H

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static inline int view_main(int argc, const char **argv)
{
    const char *args[64];
    ASSERT(argc >= 1 && argc < 63);
    args[0] = VIEW_EXE;
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];
    args[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        execv(VIEW_EXE, (char *const *)args);
        _exit(127);
    }
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif
