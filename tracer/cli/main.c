/* main.c: the `coscope` command — dispatches to a subcommand.
 *
 * Exit codes, for every subcommand (also in `coscope --help`):
 *   0  ok
 *   1  bad input: a missing, unreadable or invalid trace; no viewer built
 *   2  usage: unknown command or option, missing argument
 *   3  stalls found and `stalls --fail-on-stall` was given
 * `explore` exits 1 when a run failed (127 if PROG could not be executed).
 * `record` instead exits with the recorded program's status (128+N if it
 * was killed by signal N, 127 if it could not be executed). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef COSCOPE_VERSION
#error "COSCOPE_VERSION must be the project's version"
#endif

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"record", cli__record, "run PROG with tracing on, then summarise"},
    {"stalls", cli__stalls,
     "list blocked loops, long latencies and waits, "
     "deadlocks"},
    {"stats", cli__stats, "loop and per-task statistics"},
    {"export", cli__export, "write Chrome Trace Event JSON or a Perfetto trace"},
    {"validate", cli__validate, "check a trace"},
    {"view", cli__view, "open the timeline viewer"},
    {"why", cli__why, "why was a task not running then: its blame chain"},
    {"top", cli__top, "a live table of the tasks, like top"},
    {"replay", cli__replay, "re-run a --replayable recording, check every event"},
    {"explore", cli__explore, "run PROG under many schedules, report failing seeds"},
};

static void usage(FILE *f)
{
    fputs("usage: coscope COMMAND [ARGS...]\n"
          "       coscope --help | --version\n"
          "\n"
          "A tracing and replay debugger for programs on the coscope "
          "runtime.\n"
          "\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "  coscope record [-o FILE] [--flight 2s|64MB | --top] -- PROG [ARGS...]\n"
          "  coscope stalls FILE [--threshold MS] [--json] [--fail-on-stall]\n"
          "  coscope stats FILE [--json] [--sort busy|latency|polls|name] "
          "[--task TASK | --range FROM..TO]\n"
          "  coscope export FILE --chrome|--perfetto [-o OUT]\n"
          "  coscope validate FILE\n"
          "  coscope view [--follow] FILE [--at TIME] [--window DUR] [--scale F] [...]\n"
          "  coscope why FILE TASK [--at TIME] [--json]\n"
          "  coscope top FILE [--once [--json]] [--sort busy|polls|latency|stalls|name|id]\n"
          "  coscope replay FILE [--stop-at EVENT|TIME] [--gdb] -- PROG [ARGS...]\n"
          "  coscope explore [-n RUNS] [--seed S] [--fail-on KINDS] [--keep DIR] [--json] -- PROG [ARGS...]\n"
          "\n"
          "durations (--threshold and the viewer's --at, --window): 300ns, "
          "250us, 1.5ms,\n"
          "2s; a bare number is milliseconds everywhere\n"
          "\n"
          "FILE may be - for standard input (a pipe is read into memory, at "
          "most 1 GiB;\n"
          "top and view --follow follow a growing pipe; replay needs a "
          "FILE)\n"
          "\n"
          "'coscope COMMAND --help' describes a command.\n"
          "\n"
          "exit: 0 ok, 1 bad input, 2 usage, 3 stalls found with "
          "--fail-on-stall;\n"
          "record exits with PROG's status (128+N on signal N, 127 if it "
          "cannot run)\n"
          "\n"
          "environment: COSCOPE_PROGRESS=1 shows a loading progress line on "
          "stderr,\n"
          "=0 never; by default it shows for traces of 16 MB or more when "
          "stderr is a terminal.\n"
          "The runtime reads COSCOPE_TRACE, COSCOPE_FLIGHT, COSCOPE_FLIGHT_STALL,\n"
          "COSCOPE_STACKS, COSCOPE_STACK_KB, COSCOPE_DEADLOCK, COSCOPE_SEED,\n"
          "COSCOPE_TRACE_CLOCK, COSCOPE_TRACE_FORMAT and, for replays, COSCOPE_REPLAY_LOG,\n"
          "COSCOPE_REPLAY,"
          " COSCOPE_STOP_AT; the viewer COSCOPE_FONT and XDG_STATE_HOME (where it\n"
          "remembers windows and files). See coscope(1).\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli__is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("coscope " COSCOPE_VERSION "\n");
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].main(argc - 1, argv + 1);
    return cli__usage_error(NULL, "unknown command '%s'", argv[1]);
}
