/* cli_run.h: running a program the way the CLI tests do: argv[0] = the
 * program, in a given directory, optionally with a file as standard input,
 * both output streams captured in unlinked temporary files (no pipe
 * deadlocks), the exit code (128+N when killed by signal N). Shared by
 * test_cli.c and test_cli_layers.c. */
#ifndef COSCOPE_TESTS_CLI_RUN_H
#define COSCOPE_TESTS_CLI_RUN_H

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

extern char **environ;

typedef struct result {
    int status; /* exit code; 128+N when killed by signal N */
    char *out, *err;
} result;

static inline char *slurp_fd(int fd)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ASSERT_NOT_NULL(buf);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        ASSERT(n >= 0);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

/* Runs bin ARGS... (args NULL-terminated, at most 62) in cwd, with stdin
 * from stdin_path when it is not NULL. */
static inline result run_prog(const char *bin, const char *const *args, const char *cwd,
                              const char *stdin_path)
{
    char outp[] = "/tmp/coscope-test-out-XXXXXX";
    char errp[] = "/tmp/coscope-test-err-XXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp);
    const char *argv[64] = {bin};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st;
    size_t n = 1;
    result r;

    ASSERT(ofd >= 0 && efd >= 0);
    unlink(outp);
    unlink(errp);
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, ofd, 1);
    posix_spawn_file_actions_adddup2(&fa, efd, 2);
    posix_spawn_file_actions_addchdir_np(&fa, cwd);
    if (stdin_path)
        posix_spawn_file_actions_addopen(&fa, 0, stdin_path, O_RDONLY, 0);
    ASSERT_OK(posix_spawn(&pid, bin, &fa, NULL, (char **)argv, environ));
    posix_spawn_file_actions_destroy(&fa);
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp_fd(ofd);
    r.err = slurp_fd(efd);
    close(ofd);
    close(efd);
    return r;
}

static inline void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

#endif
