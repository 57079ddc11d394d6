/* tests/replay/rp_proc.c: a subprocess, for test_replay: a shell that
 * reads a line from its stdin (a pipe), answers on its stdout (a pipe),
 * touches MARKER and exits 3. A replay starts no shell: the pid, the
 * pipes' reads and the exit come from the log, so MARKER stays absent.
 *     rp_proc MARKER
 * Prints `rp_proc: ok` when the answer and the status were right. */
#include <coscope/co.h>

#include <stdio.h>
#include <string.h>

static const char *marker;
static int ok;

static void *main_task(void *arg)
{
    (void)arg;
    char script[600], buf[64];
    snprintf(script, sizeof script, "read x; echo \"got $x\"; touch '%s'; exit 3",
             marker);
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    co_proc_opts o = {.pipe_stdin = 1, .pipe_stdout = 1};
    co_proc *p;
    int err = co_proc_spawn("/bin/sh", argv, &o, &p);
    if (err) {
        fprintf(stderr, "rp_proc: spawn: %s\n", co_strerror(err));
        return NULL;
    }
    co_fs_write(co_proc_fd(p, 0), "hello\n", 6, -1);
    co_proc_close_fd(p, 0);
    ssize_t n = co_fs_read(co_proc_fd(p, 1), buf, sizeof buf, -1);
    co_mark("answer %zd: %.*s", n, n > 0 ? (int)n - 1 : 0, buf);
    int status = -1;
    co_proc_wait(p, &status);
    co_mark("status %d", status);
    co_proc_free(p);
    ok = n == 10 && memcmp(buf, "got hello\n", 10) == 0 && status == 3;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rp_proc MARKER\n");
        return 2;
    }
    marker = argv[1];
    if (co_main(main_task, NULL) != 0 || !ok)
        return 1;
    printf("rp_proc: ok\n");
    return 0;
}
