/* runtime/replay_int.h: record and replay of the runtime's inputs (replay.c).
 * Recording (COSCOPE_REPLAY_LOG=path) appends to a binary log every input
 * the runtime takes from the world, in the order the loop took it; a replay
 * (COSCOPE_REPLAY=path) feeds the same inputs back instead of touching
 * sockets, timers or the thread pool. docs/replay.md has the file format. */
#ifndef COSCOPE_REPLAY_INT_H
#define COSCOPE_REPLAY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "co_int.h"

enum { CO__RP_OFF = 0, CO__RP_RECORD, CO__RP_REPLAY };
extern int co__rp_mode;
/* Non-zero while the loop (not a task, not co_main's own code) delivers
 * an input: uv_run's callbacks when recording, the log's driver when
 * replaying. Wake-ups made then are the world's. */
extern int co__rp_loop;
/* Non-zero while an input the log names as a whole (a deadline, a
 * signal) is delivered: the wake-ups it makes are not logged again. */
extern int co__rp_quiet;

#define CO__RP_REC() __builtin_expect(co__rp_mode == CO__RP_RECORD, 0)
#define CO__RP_PLAY() __builtin_expect(co__rp_mode == CO__RP_REPLAY, 0)
/* A record made by the loop that the log must carry. */
#define CO__RP_LOOP_REC() (CO__RP_REC() && co__rp_loop && !co__rp_quiet)

/* co_main: starts recording or replaying as the environment says (0, or
 * an error printed on stderr), and ends it. */
int co__rp_begin(void);
void co__rp_end(void);

/* ---- what the scheduler logs (recording) ---- */
void co__rp_log_check(uint64_t now_ms);  /* on_check, before draining */
void co__rp_log_prep(void);              /* on_prepare began a poll */
void co__rp_log_wake(uint64_t task, tr_wake why, int result);
void co__rp_log_run_end(void);           /* uv_run returned */
void co__rp_log_deadline(uint64_t task); /* a deadline timer fired */
void co__rp_log_signal(int signum);      /* a signal arrived */

/* ---- the loop, replayed: in place of uv_run. Returns when the log says
 * uv_run returned (or fatally when it ends first). */
void co__rp_run(void);
/* The loop's clock in replay (virtual: the recorded values). */
uint64_t co__rp_now(void);

/* ---- trace lines the loop writes, logged so a replay writes them ---- */
/* io_end of a request completed on the loop (or in a task). */
void co__io_end(uint64_t task, tr_op op, int64_t res);

/* ---- the outcome of one call that takes something from the world ----
 * Recording: co__rp_out when the call completed at once (its `shape`
 * says which trace lines it wrote), co__rp_park before it parks, and
 * co__rp_res once it has woken. res, fd and the data (read bytes, an
 * address) are what a replay hands back. Replaying: co__rp_take reads the
 * next one, fails the replay when it is not what the call expects, and
 * returns its shape (CO__RP_PARKS for a park). */
enum { CO__RP_IO = 0,    /* one `io` line */
       CO__RP_BEGIN_END, /* io_begin then io_end, no wait */
       CO__RP_SILENT,    /* no trace line */
       CO__RP_PARKS };   /* io_begin, a wait, then co__rp_res */
typedef struct co__rp_val {
    int shape;
    int64_t res;
    int64_t fd;
    const void *data; /* replay: into the log, valid while it lasts */
    size_t len;
} co__rp_val;
void co__rp_out(int shape, int64_t res, int64_t fd, const void *data, size_t len);
void co__rp_park(void);
void co__rp_res(int64_t res, int64_t fd, const void *data, size_t len);
/* Replay: the next outcome of `what` (a call name, for the message). */
void co__rp_take(const char *what, co__rp_val *v);
/* Replay: the result after a park. */
void co__rp_take_res(const char *what, co__rp_val *v);
/* Copies v's data to buf (at most cap bytes); returns the count. */
size_t co__rp_copy(const co__rp_val *v, void *buf, size_t cap);

/* Written bytes: recording logs their hash, a replay compares it and
 * notes a difference (the program wrote something else). */
void co__rp_written(const char *what, const void *buf, size_t len);

/* A `conn` line (connect or accept): logged when recording, taken from
 * the log (its addresses) when replaying. */
void co__rp_conn(uint64_t task, int64_t fd, const char *local, const char *peer);

/* Replay: a call the replay cannot feed (docs/replay.md lists them)
 * ends the run with a message. */
void co__rp_unsupported(const char *what) __attribute__((noreturn));
static inline void co__rp_check_supported(const char *what)
{
    if (CO__RP_PLAY())
        co__rp_unsupported(what);
}

/* Replay: the run left the recording (expected `want`, the log has
 * something else): a note for `coscope replay`, then the run ends. */
void co__rp_diverged(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* signal.c: what a signal's arrival does (the replay's driver calls it). */
void co__signal_arrived(int signum);
/* task.c: what a deadline's timer does. */
void co__deadline_fired(co_task *t);

#endif
