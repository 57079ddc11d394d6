/* tests/replay/rp_client.c: a client of an echo server in another process,
 * for test_replay: it connects to 127.0.0.1:PORT, sends four lines, reads
 * each echo back, marks it and sleeps between rounds. The test records it
 * against a live server, then replays it with the server gone.
 *     rp_client PORT [--clock]
 * --clock: marks the wall clock (clock_gettime), which the runtime does not
 * control. RP_BRANCH=1 in the environment: sleeps 11 ms instead of 10 after
 * round 2 (a changed branch). RP_UPPER=1: sends the lines in upper case (a
 * write whose content differs). */
#include <coscope/co.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int port, use_clock, branch, upper;

static void *client_task(void *arg)
{
    int *ok = arg;
    co_tcp *s;
    int err = co_tcp_connect("127.0.0.1", port, &s);
    if (err) {
        fprintf(stderr, "rp_client: connect: %s\n", co_strerror(err));
        return NULL;
    }
    for (int round = 1; round <= 4; round++) {
        char msg[32], buf[32];
        int n = snprintf(msg, sizeof msg, "hello %d\n", round);
        for (int i = 0; upper && i < n; i++)
            msg[i] = (char)toupper((unsigned char)msg[i]);
        if (co_write(s, msg, (size_t)n) != n)
            break;
        ssize_t got = co_read_exact(s, buf, (size_t)n);
        if (got != n)
            break;
        co_mark("got %d: %.*s", round, (int)got - 1, buf);
        if (use_clock) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            co_mark("clock %lld", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
        }
        /* One call site either way: the branch changes the wait, not the
         * caller chain. */
        volatile int ms = 10;
        if (round == 2 && branch)
            ms = 11;
        co_sleep((uint64_t)ms);
        if (round == 4)
            *ok = 1;
    }
    co_close(s);
    return NULL;
}

static void *main_task(void *arg)
{
    co_task *t = co_spawn(client_task, arg, "client");
    co_join(t, NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rp_client PORT [--clock]\n");
        return 2;
    }
    port = atoi(argv[1]);
    use_clock = argc > 2 && strcmp(argv[2], "--clock") == 0;
    branch = getenv("RP_BRANCH") != NULL;
    upper = getenv("RP_UPPER") != NULL;
    int ok = 0;
    if (co_main(main_task, &ok) != 0 || !ok)
        return 1;
    printf("rp_client: 4 rounds\n");
    return 0;
}
