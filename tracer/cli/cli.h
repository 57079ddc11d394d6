/* cli.h: what the files of the `coscope` command share: exit codes, the
 * subcommand entry points, trace loading with uniform error reporting, and
 * small formatting helpers (labels, durations, aligned tables). */
#ifndef COSCOPE_CLI_H
#define COSCOPE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coscope/trace.h"

/* Exit codes of every subcommand (also listed in `coscope --help`). */
enum {
    CLI_OK = 0,      /* done; no stalls, or stalls without --fail-on-stall */
    CLI_BAD = 1,     /* bad input: unreadable or invalid trace, no viewer */
    CLI_USAGE = 2,   /* bad command line */
    CLI_STALLS = 3,  /* stalls found and --fail-on-stall given */
    CLI_NOEXEC = 127 /* record: PROG could not be executed */
};

/* Subcommands: argv[0] is the subcommand's name. Each returns an exit code. */
int cli__record(int argc, char **argv);
int cli__stalls(int argc, char **argv);
int cli__stats(int argc, char **argv);
int cli__export(int argc, char **argv);
int cli__validate(int argc, char **argv);
int cli__view(int argc, char **argv);
/* The coscope-view program's path into prog (beside this binary, else the
 * install's bindir): 0, or -ENOENT with where saying where it looked. */
int cli__viewer_path(char *prog, size_t n, char *where, size_t wn);
int cli__why(int argc, char **argv);
int cli__top(int argc, char **argv);
int cli__replay(int argc, char **argv);
/* The replay log beside a trace: "run.jsonl" -> "run.replay" (the
 * extension replaced, or appended when there is none). malloc'd; NULL
 * when out of memory. */
char *cli__replay_log_path(const char *trace);
int cli__explore(int argc, char **argv);
/* top's live view of the trace at path until q, or until ended(arg) says
 * so (`record --top`: PROG exited; its signal handlers are left alone).
 * Restores the terminal. Returns CLI_OK. */
int cli__top_live(const char *path, int (*ended)(void *), void *arg);

/* Prints "coscope: <cmd>: <msg>" and a hint to stderr; returns CLI_USAGE. */
int cli__usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Matches option `name` ("--threshold") at argv[*i], as "--name VALUE" or
 * "--name=VALUE". Returns 1 and sets *val (advancing *i past a separate
 * value), 0 if argv[*i] is another option, -1 if the value is missing. */
int cli__opt_value(int argc, char **argv, int *i, const char *name,
                   const char **val);
/* True if argv[i] is "--help" or "-h". */
int cli__is_help(const char *arg);
/* One option of a command that runs a program (record, replay, explore) at
 * argv[*i]: 1 taken (*i past its value), 0 not one of its own, -1 after a
 * usage message (cli__usage_error). */
typedef int (*cli_prog_opt)(void *o, int argc, char **argv, int *i);
/* The arguments before PROG of such a command: "--" ends them, --help
 * prints usage(stdout), every other one goes to opt first; one opt does
 * not take is an unknown option if it starts with '-' (not "-" alone),
 * else PROG's name. Returns PROG's index; 0 after --help (*code CLI_OK);
 * -1 after a usage message (*code CLI_USAGE), `missing` being the message
 * when no PROG follows. */
int cli__prog_args(const char *cmd, int argc, char **argv, cli_prog_opt opt, void *o,
                   void (*usage)(FILE *), const char *missing, int *code);
/* `stats --range`: the range's figures as text or JSON to f; 0 or -ENOMEM. */
int cli__stats_range(const tr_trace *tr, int64_t t0, int64_t t1, int json, FILE *f);
/* A log2 histogram as text rows under "  TITLE (N)" / as ,"KEY":[[LO,N],...]. */
void cli__print_hist(FILE *f, const char *title, const tr_hist *h);
void cli__json_hist(FILE *f, const char *key, const tr_hist *h);
/* What FILE is called in output: "(stdin)" for "-", as the reader says. */
const char *cli__input_name(const char *path);

/* Loads a trace; on failure prints the reader's "file:line: what" to stderr
 * and returns CLI_BAD with *out NULL. Warnings go to stderr prefixed
 * "coscope: warning: ". Returns CLI_OK on success. */
int cli__load(const char *path, tr_trace **out);
/* cli__load, then tr_analyze with *ao (out of memory: a message, CLI_BAD). */
int cli__load_analyzed(const char *path, const tr_analysis_opts *ao, tr_trace **out);
/* `--threshold MS` at argv[*i] for command cmd: 0 if it is not that option,
 * 1 when its value went into every threshold of *ao, -1 after a usage
 * message (a missing or bad value). */
int cli__opt_threshold(int argc, char **argv, int *i, const char *cmd, tr_analysis_opts *ao);

/* The library's tr_task_label ("name (id)", "loop"), escaped for a
 * terminal (names are trace text). Returns buf. */
char *cli__task_label(const tr_trace *tr, uint32_t id, char *buf, size_t n);
/* A blame chain as a JSON array (stalls --json, why --json). */
void cli__json_chain(const tr_trace *tr, const tr_link *l, size_t n, FILE *f);
/* Formats a duration through tr_fmt_dur. Returns buf. */
char *cli__dur(char *buf, size_t n, int64_t ns);

/* Trace text made safe for a terminal: C0 control bytes and DEL become
 * \xHH, C1 controls (U+0080..U+009F) \u00HH, bytes that are not UTF-8
 * \xHH; everything else is kept. So an escape sequence cannot act and a
 * newline cannot forge a row. Idempotent (its output has nothing to
 * escape), so layers may each apply it. Cuts to fit n (never inside an
 * escape or a character); returns buf. Every text output of a trace string
 * goes through it (the JSON outputs escape by JSON's rules instead). */
char *cli__esc(char *buf, size_t n, const char *s);
/* cli__esc of s of any length, written to f. */
void cli__fput_esc(const char *s, FILE *f);

/* An aligned text table: add rows of strings, print once. Cells are copied,
 * escaped by cli__esc.
 * `align` has one letter per column: 'l' or 'r'. The last column is never
 * padded. Widths count UTF-8 characters ("µs" is two columns wide in bytes
 * but one on screen). */
typedef struct cli_table cli_table;
cli_table *cli__table_new(int ncols, const char *align,
                          const char *const *headers);
int cli__table_add(cli_table *t, const char *const *cells); /* 0 / -ENOMEM */
void cli__table_print(const cli_table *t, FILE *f);
void cli__table_free(cli_table *t);

#endif
