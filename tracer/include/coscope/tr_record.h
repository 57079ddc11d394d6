/* coscope/tr_record.h: the recorder, the runtime's side of the tracer.
 *
 * The runtime calls tr_rec_* at every trace point. Each call is guarded by
 * TR_ON(), one predictable branch when tracing is off. When on, the call
 * writes a fixed-size binary record (plus inline string bytes) into the
 * loop's buffer: no malloc, no lock, no JSON. A writer thread turns full
 * buffers into JSON Lines (trace format v1) at least every 100 ms and at
 * tr_rec_stop(). When the writer lags, the loop waits for a free buffer
 * (lossless). On SIGSEGV/SIGBUS/SIGABRT/SIGFPE/SIGILL (and SIGINT/SIGTERM
 * left at their default), and on exit() without tr_rec_stop, the records
 * still in memory are written out (async-signal-safe), then a `halt` line
 * saying how the run ended.
 *
 * Threading: every tr_rec_* except tr_rec_work_begin/end must be called from
 * the one loop thread (the thread that called tr_rec_start). The work calls
 * are made from thread-pool threads and are thread-safe.
 *
 * Strings: `file` arguments are string literals (__FILE__) that live for the
 * whole process and are stored by pointer. `name` and `msg` may be
 * temporaries; they are copied into the buffer (truncated to 255 bytes).
 * Task ids are >= 1; task 0 is the loop itself. */
#ifndef COSCOPE_TR_RECORD_H
#define COSCOPE_TR_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "coscope/tr_kinds.h"

/* Non-zero while recording. Read it only through TR_ON(). */
extern int tr__on;
#define TR_ON() __builtin_expect(tr__on, 0)

/* Starts recording to `path` (created or truncated): writes the header line
 * with `program` and the process id and starts the writer thread. Returns 0,
 * or a negative errno (-EEXIST if already recording, -EINVAL on NULL path,
 * the open(2) error otherwise). Installs the crash-flush signal handlers
 * (chaining to any previous handler). */
int tr_rec_start(const char *path, const char *program);

/* The seed the schedule was drawn from (the runtime's COSCOPE_SEED), for
 * the header's `seed` of every trace started (and flight dump written)
 * from now on; on 0: no `seed` (a FIFO schedule). */
void tr_rec_set_seed(int on, uint64_t seed);

/* Writes the `end` line, flushes everything and stops the writer thread.
 * Safe to call when not recording (no-op). Returns 0 or the first write
 * error seen while recording (negative errno). */
int tr_rec_stop(void);

/* Flushes every record emitted so far to the file, synchronously. */
void tr_rec_flush(void);

/* Writes the records still in memory with write(2) only. For signal handlers
 * (stack overflow, fatal signals); async-signal-safe. */
void tr_rec_crash_flush(void);

/* The trace's last line, for endings that never reach tr_rec_stop. Both
 * write every record still in memory, then their line, and nothing is
 * written after it (a later crash flush, halt or tr_rec_stop adds no line).
 * Async-signal-safe; callable from any thread; no-ops when not recording.
 * tr_rec_fatal: the runtime is about to abort() on a misuse: a `fatal` line
 * with the task, the message (len bytes, cut to 255) and the caller's
 * file:line (file NULL: none).
 * tr_rec_halt: the run is ending without tr_rec_stop: killed by signal
 * `sig` (> 0; the recorder's own handlers call it for SIGSEGV, SIGBUS,
 * SIGABRT, SIGFPE, SIGILL, and SIGINT/SIGTERM when they would kill), or
 * exit(code) with sig 0 (the recorder's on_exit handler). */
void tr_rec_fatal(uint64_t task, const char *msg, size_t len, const char *file, int line);
void tr_rec_halt(int sig, int code);
/* fn (async-signal-safe; NULL: none) runs first in tr_rec_fatal and
 * tr_rec_halt, whatever thread or signal handler calls them: the runtime
 * writes out its replay log there. */
void tr_rec_set_halt_hook(void (*fn)(void));

/* Nanoseconds since the trace began (the `t` of the next event). */
int64_t tr_rec_now(void);

/* Trace points (see design.md, "Trace format v1", for their meaning).
 * `file`/`line`: the user's call site (`at`); file NULL means none.
 * Optional integer fields use -1 (fd, ms, bytes, cap) or 0 (obj) for
 * "absent". */
void tr_rec_spawn(uint64_t task, uint64_t parent, const char *name,
                  const char *file, int line);
void tr_rec_ready(uint64_t task, uint64_t by, tr_wake why);
void tr_rec_run(uint64_t task);
void tr_rec_yield(uint64_t task, tr_wait why, uint64_t obj, tr_op op,
                  int64_t fd, int64_t ms, const char *file, int line);
void tr_rec_io_begin(uint64_t task, tr_op op, int64_t fd, int64_t bytes);
/* res >= 0: bytes or count; res < 0: a negative errno / UV_E* code, written
 * as "err":"ECONNRESET" (its symbolic name). */
void tr_rec_io_end(uint64_t task, tr_op op, int64_t res);
/* An I/O request that completed without the task waiting (a fast path): one
 * `io` line, in place of an io_begin / io_end pair. res as for io_end. */
void tr_rec_io(uint64_t task, tr_op op, int64_t fd, int64_t bytes,
               int64_t res);
void tr_rec_work_begin(uint64_t task, uint64_t thread, const char *name);
void tr_rec_work_end(uint64_t task, uint64_t thread, const char *name);
/* code: written when status is error (the task's error code), else ignored. */
void tr_rec_exit(uint64_t task, tr_status status, int64_t code);
void tr_rec_obj(uint64_t obj, tr_objkind kind, int64_t cap, const char *name,
                const char *file, int line);
void tr_rec_acquire(uint64_t task, uint64_t obj);
void tr_rec_release(uint64_t task, uint64_t obj);
void tr_rec_mark(uint64_t task, const char *msg, size_t len);
/* Annotated spans (co_span_begin / co_span_end) and a task's new name. */
void tr_rec_span_begin(uint64_t task, const char *name, const char *file, int line);
void tr_rec_span_end(uint64_t task);
void tr_rec_rename(uint64_t task, const char *name);
void tr_rec_poll_begin(void);
/* The runtime found `task` blocked forever (nothing left could wake it);
 * written before it cancels the task, so the analyser sees the deadlock. */
void tr_rec_stuck(uint64_t task);
void tr_rec_poll_end(int64_t events);

/* ---- caller chains and on-CPU time ----
 * The caller chain of a spawn or a wait: tr_rec_stack walks the frame
 * pointers (up to 16 frames) of the calling thread's stack [lo, hi) and
 * returns the chain's id, writing a `stack` line the first time this chain
 * is seen in the trace; 0 when tracing or stacks are off (COSCOPE_STACKS=0
 * in the environment at tr_rec_start) or nothing could be walked. Frames
 * below `anchor` are left out: pass the address of a local (or the frame
 * address) of the outermost runtime function, so the first frame is the
 * program's call into the runtime. An anchor outside [lo, hi) leaves out
 * only the caller of tr_rec_stack. [lo, hi) must be mapped and readable;
 * every frame read lies inside it, so a clobbered frame pointer (code
 * built without -fno-omit-frame-pointer) ends the walk, never faults. The
 * root frame (a task's entry, whose saved frame pointer is 0) is left out.
 * Loop thread only. The _stack variants pass the id on (0: none).
 *
 * On-CPU time needs no call: a yield or exit that ends a run slice (from
 * tr_rec_run) of 250 us or more carries the loop thread's CPU time, its
 * run-queue time and the stops during the slice (trace-format.md, `cpu`). */
uint32_t tr_rec_stack(const void *anchor, const void *lo, const void *hi);
void tr_rec_spawn_stack(uint64_t task, uint64_t parent, const char *name,
                        const char *file, int line, uint32_t stack);
void tr_rec_yield_stack(uint64_t task, tr_wait why, uint64_t obj, tr_op op,
                        int64_t fd, int64_t ms, const char *file, int line,
                        uint32_t stack);
/* co_yield: the task switched out and is runnable at once (one record,
 * one `requeue` line: a yield with why yield and its ready, at one t). */
void tr_rec_requeue(uint64_t task, const char *file, int line, uint32_t stack);
/* The recorder holds the last record back for a fold (an io_begin for its
 * yield, a yield or exit for the run that follows it); the runtime calls
 * this when no such event follows at once (a switch back to the loop), so
 * a record is never held while the loop does other work. Loop thread. */
void tr_rec_settle(void);

/* ---- flight recorder ----
 * With COSCOPE_FLIGHT=2s (a window; or =64MB, a size bound) in the
 * environment at tr_rec_start, nothing is written to `path`: records stay
 * in memory and only the last 2 s (or 64 MB) are kept. A dump writes that
 * window as a self-contained trace to path.1.jsonl, path.2.jsonl, ... (the
 * number goes before the extension), named on stderr: on SIGUSR1, on
 * tr_rec_dump(), and when the loop has been blocked in one run slice longer
 * than COSCOPE_FLIGHT_STALL (default 100ms) — while it still is, and again
 * once the slice ended. tr_rec_dump writes one now and waits for it (`why`,
 * a string literal or NULL, is what stderr says triggered it): the dump's
 * number, or -EINVAL when not in flight mode, -EBUSY within a second of the
 * last one, -EMLINK after 100, or the open/write error. Loop thread. */
int tr_rec_dump(const char *why);

/* A TCP connection of `task` came up on fd (after connect or accept):
 * `local` and `peer` are its addresses ("127.0.0.1:40312"; at most 63
 * bytes each, NULL for unknown). Lets the reader pair the two ends of a
 * connection inside the process, so a read is seen woken by the write. */
void tr_rec_conn(uint64_t task, int64_t fd, const char *local, const char *peer);

/* Counters, for tests and the `end` line. */
uint64_t tr_rec_events(void);  /* events emitted since start */
uint64_t tr_rec_dropped(void); /* events dropped (0 in lossless mode) */
/* Events of the loop thread so far: the number of the last one written
 * (what COSCOPE_STOP_AT=N counts; see docs/replay.md). */
uint64_t tr_rec_loop_events(void);

#endif
