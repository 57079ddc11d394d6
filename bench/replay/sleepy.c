/* bench/replay/sleepy.c: a sleep-dominated run for bench/replay/replay.sh:
 * TASKS tasks each sleep ROUNDS times MS ms and mark each wake-up, so the
 * recorded wall time is ~ROUNDS * MS ms while the loop idles; a replay
 * runs on the recorded clock and should take a fraction of it.
 *     sleepy [TASKS [ROUNDS [MS]]]     (defaults 50 40 50: ~2 s) */
#include <coscope/co.h>

#include <stdio.h>
#include <stdlib.h>

static long tasks = 50, rounds = 40, ms = 50;

static void *sleeper(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (long r = 0; r < rounds; r++) {
        co_sleep((uint64_t)(ms + id % 3));
        co_mark("sleeper %ld round %ld at %llu ms", id, r,
                (unsigned long long)co_now());
    }
    return NULL;
}

static void *main_task(void *arg)
{
    (void)arg;
    co_task **t = calloc((size_t)tasks, sizeof *t);
    if (!t)
        return NULL;
    for (long i = 0; i < tasks; i++)
        t[i] = co_spawn(sleeper, (void *)(intptr_t)i, "sleeper");
    for (long i = 0; i < tasks; i++)
        co_join(t[i], NULL);
    free(t);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        tasks = atol(argv[1]);
    if (argc > 2)
        rounds = atol(argv[2]);
    if (argc > 3)
        ms = atol(argv[3]);
    if (tasks < 1 || rounds < 1 || ms < 0) {
        fprintf(stderr, "usage: sleepy [TASKS [ROUNDS [MS]]]\n");
        return 2;
    }
    return co_main(main_task, NULL) == 0 ? 0 : 1;
}
