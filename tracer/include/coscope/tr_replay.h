/* coscope/tr_replay.h: checking a replayed run against its recording.
 *
 *     tr_replay_trace *rec;
 *     if (tr_replay_load("run.jsonl", &rec) != 0) ...      // -errno
 *     ... run the program with COSCOPE_REPLAY into replayed.jsonl ...
 *     tr_replay_run run = {.status = wait_status, .replayed = "replayed.jsonl",
 *                          .notes = "notes"};
 *     int d = tr_replay_check(rec, &run, stdout);           // 0: identical
 *     tr_replay_free(rec);
 *
 * Events are numbered as the runtime counts them (COSCOPE_STOP_AT): the
 * loop thread's lines in file order from 1, leaving out the header, `end`,
 * `halt`, `fatal` and the pool threads' work_begin / work_end. Two events
 * match when their lines are equal but for what differs between runs of
 * one program on the same inputs: `t`, the on-CPU figures (cpu, runq,
 * stops), and the load addresses in a `stack` line's pcs (compared as
 * module + offset). docs/replay.md describes the report. */
#ifndef COSCOPE_TR_REPLAY_H
#define COSCOPE_TR_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tr_replay_trace tr_replay_trace;

/* Reads a trace's events for comparison: 0 and *out, or -ENOENT (and the
 * open errors), -EINVAL (not a coscope trace: no header), -ENOMEM. */
int tr_replay_load(const char *path, tr_replay_trace **out);
void tr_replay_free(tr_replay_trace *t); /* NULL is a no-op */
size_t tr_replay_nevents(const tr_replay_trace *t);
/* The header's `seed`: 1 and *seed when the run was scheduled from
 * COSCOPE_SEED (a replay must run under the same seed), else 0. */
int tr_replay_seed(const tr_replay_trace *t, uint64_t *seed);
/* The number of the first event at or after ns, or 0 when there is none. */
size_t tr_replay_event_at(const tr_replay_trace *t, int64_t ns);

/* How the replayed run went. */
typedef struct tr_replay_run {
    int status;          /* its wait status (waitpid) */
    uint64_t stopped_at; /* the --stop-at event, 0: none */
    const char *replayed; /* its trace */
    const char *notes;    /* COSCOPE_REPLAY_NOTES: what the runtime saw */
} tr_replay_run;

/* Compares the replayed run with the recording and writes the verdict to
 * out: "replayed N events, identical", or the first difference with the
 * recorded and replayed lines, the last matching events and the likely
 * reason. Returns 0 (identical; stopped where asked with everything
 * before matching), 1 (a difference), or a negative errno (the replayed
 * trace could not be read: told on out too). */
int tr_replay_check(const tr_replay_trace *rec, const tr_replay_run *run,
                    FILE *out);

/* The replay number of event i of a loaded trace (tr_load), the --stop-at
 * that stops right before it: 0 for an event that has none (work_begin /
 * work_end, written by pool threads; end; halt; fatal). The index holds the
 * pool threads' line numbers. tr_replay_index_new: 0 or -ENOMEM. */
struct tr_trace;
typedef struct tr_replay_index tr_replay_index;
int tr_replay_index_new(const struct tr_trace *tr, tr_replay_index **out);
uint64_t tr_replay_index_event(const tr_replay_index *x, const struct tr_trace *tr,
                               size_t i);
void tr_replay_index_free(tr_replay_index *x); /* NULL is a no-op */

#endif
