/* examples/chan_stuck.c: receivers left waiting on a channel nobody will
 * ever send on or close. main hands out a few jobs to three receiver tasks
 * on the channel "jobs", then returns without closing it: the receivers
 * wait forever. They do not wait on each other, so this is not a deadlock
 * cycle: `coscope stalls` lists all three as "stuck: nobody left to send on
 * jobs", and the runtime reports each blocked forever. Exits 1. */
#include <coscope/co.h>

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: chan_stuck [--jobs N]\n"
    "\n"
    "Sends N jobs (default 6) to three receivers on the channel \"jobs\" and\n"
    "forgets to close it: the receivers are blocked forever, the runtime\n"
    "names them on stderr and the program exits 1. Try\n"
    "  COSCOPE_TRACE=stuck.jsonl chan_stuck; coscope stalls stuck.jsonl\n";

static co_chan *jobs;
static long njobs = 6, done_jobs;

static void *receiver(void *arg)
{
    (void)arg;
    int job;
    while (co_chan_recv(jobs, &job) == 0) /* ends only when jobs is closed */
        done_jobs++;
    return NULL;
}

static void *main_task(void *arg)
{
    (void)arg;
    jobs = co_chan_name(co_chan_new(sizeof(int), 4), "jobs");
    if (!jobs)
        return NULL;
    for (int i = 1; i <= 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "rx %d", i);
        co_detach(co_spawn(receiver, NULL, name));
    }
    for (int j = 0; j < (int)njobs; j++)
        co_chan_send(jobs, &j);
    /* the bug: co_chan_close(jobs) is missing, so the receivers wait on */
    return NULL;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
            njobs = strtol(argv[++i], &end, 10);
            if (*end == '\0' && njobs >= 0 && njobs <= 1000)
                continue;
        }
        fprintf(stderr, "chan_stuck: bad argument '%s'\n%s", argv[i], usage);
        return 2;
    }
    int rc = co_main(main_task, NULL);
    printf("jobs done: %ld\n", done_jobs);
    return rc == 0 ? 0 : 1;
}
