/* run_prog.h: a program run from a test, its output captured.
 *
 *     run r = run_capture(dir, argv, env);   // r.status, r.out, r.err
 *     run_free(&r);
 *
 * For the suites that run examples and the coscope program (examples,
 * explore, replay): one fork/exec and one file reader. */
#ifndef COSCOPE_TEST_RUN_PROG_H
#define COSCOPE_TEST_RUN_PROG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

typedef struct run {
    int status; /* exit code, or 128 + signal */
    char *out, *err;
} run;

/* The whole file, NUL-terminated (its length in *len if len), or NULL if
 * it cannot be opened. */
static inline char *test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ASSERT_NOT_NULL(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* In the child: env's "K=V" set, "K" unset. */
static inline void run__env(const char *const env[])
{
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        if (eq) {
            char k[64];
            snprintf(k, sizeof k, "%.*s", (int)(eq - env[i]), env[i]);
            setenv(k, eq + 1, 1);
        } else {
            unsetenv(env[i]);
        }
    }
}

/* Runs argv[0] (a path, or a name on PATH; argv NULL-terminated) in this
 * environment changed by env (NULL-terminated, may be NULL), stdout and
 * stderr through dir/.stdout and dir/.stderr (removed once read). A
 * sanitizer report on stderr fails the test whatever the status. */
static inline run run_capture(const char *dir, char *const argv[], const char *const env[])
{
    char out_path[256], err_path[256];
    snprintf(out_path, sizeof out_path, "%s/.stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/.stderr", dir);
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr))
            _exit(126);
        run__env(env);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    run r = {.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)};
    r.out = test_slurp(out_path, NULL);
    r.err = test_slurp(err_path, NULL);
    ASSERT_NOT_NULL(r.out);
    ASSERT_NOT_NULL(r.err);
    unlink(out_path);
    unlink(err_path);
    if (strstr(r.err, "Sanitizer") || strstr(r.err, "runtime error:"))
        TEST__FAIL("%s: sanitizer report:\n%s", argv[0], r.err);
    return r;
}

static inline void run_free(run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

#endif
