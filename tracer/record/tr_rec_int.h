/* tr_rec_int.h: the recorder's private parts, shared by its files.
 * A trace point becomes one tr__rec in a byte ring (tr_emit.c); the writer
 * thread (tr_writer.c) or a crash handler (tr_crash.c) turns records into
 * JSON Lines with the formatter (tr_fmt.c), stamping t from tr_clock.c. */
#ifndef COSCOPE_TR_REC_INT_H
#define COSCOPE_TR_REC_INT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "coscope/tr_record.h"
#include "tr_format_int.h"

/* ---- records ----
 * One trace point, as the loop wrote it: a fixed 64-byte head, then `slen`
 * inline bytes padded to 8: a name or msg; the pcs of a `stack` record; a
 * tr__oncpu for a yield / exit that ended a long run slice. Which fields
 * mean what depends on `ev` (see tr_fmt.c); unused fields are left
 * unwritten, so the hot path stores only what the event has. The first
 * byte is `ev` so a pad marker fits in the last 8 bytes of the ring. */
typedef struct tr__rec {
    uint8_t ev;    /* tr_ev, or TR__PAD */
    uint8_t a;     /* why / op / status / kind */
    uint8_t b;     /* yield: op; obj: 1 when it has a name */
    uint8_t slen;  /* inline string bytes */
    int32_t line;  /* `at` line */
    uint64_t ts;   /* raw clock (tr_clock.c) */
    uint64_t task; /* task, or obj id for TR_EV_OBJ */
    uint64_t arg;  /* parent / by / obj / thread */
    int64_t v1;    /* fd / res / code / cap / events */
    int64_t v2;    /* ms / bytes */
    const char *file;
    uint32_t stack; /* spawn / yield: caller chain id (0: none) */
    uint32_t spare;
    char str[];
} tr__rec;

/* What the thread's clocks say about one long run slice (tr_oncpu.c): the
 * inline payload of the yield or exit that ended it. */
typedef struct tr__oncpu {
    int64_t cpu;    /* ns the loop thread was on a CPU */
    int64_t runq;   /* ns it was runnable but not running (preempted) */
    uint32_t stops; /* times the process was stopped (SIGSTOP...) and continued */
    uint32_t pad;
} tr__oncpu;

/* Does a record of kind ev end a run slice? Then its `spare` is the task
 * the scheduler switched into at once (format v2's `next`; 0: none). */
static inline int tr__ends_slice(int ev)
{
    return ev == TR_EV_YIELD || ev == TR_EV_REQUEUE || ev == TR_EV_IO_WAIT || ev == TR_EV_EXIT;
}
/* That task, 0 when r is no slice end or names none. */
static inline uint32_t tr__next_of(const tr__rec *r)
{
    return tr__ends_slice(r->ev) ? r->spare : 0;
}

#define TR__PAD 0xFF        /* skip to the end of the ring */
#define TR__STRMAX 255      /* inline string bytes kept */
#define TR__REC_HEAD sizeof(tr__rec)
#define TR__REC_SIZE(slen) (TR__REC_HEAD + (((size_t)(slen) + 7) & ~(size_t)7))
#define TR__FILEMAX 1024    /* `at` path bytes printed */
/* The longest line the formatter can produce: two strings of which every
 * byte may become six, plus numbers and keys. Buffers keep this much free. */
#define TR__MAXLINE (6 * (TR__STRMAX + TR__FILEMAX) + 512)

/* ---- rings ----
 * A single-producer single-consumer byte ring. head and tail count bytes
 * forever (never wrap); the producer publishes head with release after
 * writing a record, the consumer publishes tail with release after the
 * record's line reached the file. They sit on separate cache lines. */
typedef struct tr__ring {
    unsigned char *buf;
    uint64_t size; /* power of two */
    alignas(64) _Atomic uint64_t head;
    alignas(64) _Atomic uint64_t tail;
} tr__ring;

#define TR__LOOP_RING (4u << 20) /* loop records */
#define TR__WORK_RING (256u << 10) /* thread-pool records */

extern tr__ring tr__loop_ring;
extern tr__ring tr__work_ring;

/* tr_emit.c: resets the producer state after the rings are (re)made. */
void tr__emit_reset(void);
/* A flush, a stop, a dump and the crash path on the loop thread call
 * tr_rec_settle (tr_record.h) first, so that they see the record held
 * back for a fold. */
/* Loop events emitted since start (loop thread), work events (any). */
extern uint64_t tr__loop_events;
extern _Atomic uint64_t tr__work_events;

/* ---- clock (tr_clock.c) ---- */
extern int tr__clock_tsc; /* 1: raw is rdtsc ticks; 0: CLOCK_MONOTONIC ns */

/* Picks the clock and takes a provisional TSC rate (once per process,
 * ~0.2 ms). COSCOPE_TRACE_CLOCK=monotonic in the environment forces the
 * fallback. */
void tr__clock_init(void);
#define TR__CALIBRATE_NS (10 * 1000 * 1000) /* span of the final TSC rate */
/* CLOCK_MONOTONIC ns at which tr__clock_settle gives the full-precision
 * rate; 0 once settled (or not on the TSC). */
uint64_t tr__clock_settle_due(void);
/* Fixes the TSC rate for good, over the time since tr__clock_init (the
 * writer calls it before it formats a line; the crash path too). */
void tr__clock_settle(void);
/* Makes "now" t = 0. */
void tr__clock_origin(void);
/* Nanoseconds since the origin for a raw reading (0 if before it). */
int64_t tr__clock_ns(uint64_t raw);
/* Raw clock units in `ns` nanoseconds (for thresholds on raw readings). */
uint64_t tr__clock_raw_of_ns(uint64_t ns);
/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t tr__mono_ns(void);

static inline uint64_t tr__clock_raw(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (tr__clock_tsc) {
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        return (uint64_t)hi << 32 | lo;
    }
#endif
    return tr__mono_ns();
}

/* ---- caller chains (tr_stack.c) ---- */
#define TR__STACK_MAX 16 /* frames kept per chain */
/* Reads COSCOPE_STACKS and the loaded modules (for the header); called by
 * tr_rec_start before the header is written. */
void tr__stack_start(void);
void tr__stack_stop(void);
/* The header's `"modules":[...]` member (with its leading comma), or
 * nothing when stacks are off. `o` has TR__MODULES_MAX bytes free. */
size_t tr__fmt_modules(char *o);
#define TR__MODULES_MAX (32 * (6 * 1024 + 160) + 32)
/* tr_emit.c: appends the `stack` record of chain `id`. */
void tr__emit_stack(uint32_t id, const uintptr_t *pcs, int n);

/* ---- on-CPU time of long run slices (tr_oncpu.c), loop thread only ---- */
void tr__oncpu_start(void); /* at tr_rec_start, on the loop thread */
void tr__oncpu_stop(void);
/* The run slice as every switch sees it, twice (loop thread only; inline
 * below, the readings of the thread's clocks out of line in tr_oncpu.c). */
typedef struct tr__slice_clock {
    int open;
    uint64_t begin_raw;          /* the slice in progress */
    uint64_t at_raw;             /* the last reading */
    uint64_t long_raw, step_raw; /* tr_oncpu.c's LONG_NS and STEP_NS, raw */
} tr__slice_clock;
extern tr__slice_clock tr__slice;
void tr__oncpu_take(uint64_t ts);                  /* a reading at ts */
int tr__oncpu_long_end(uint64_t ts, tr__oncpu *out); /* a long slice's figures */

/* ---- flight recorder (tr_flight.c) ---- */
/* Reads COSCOPE_FLIGHT at tr_rec_start: 0 for the ordinary file, else the
 * loop ring's size for flight mode (and installs the SIGUSR1 trigger). */
size_t tr__flight_config(const char *path);
void tr__flight_stop(void);
/* Writer thread: fold what left the window, fire the triggers. */
void tr__flight_tick(const char *program, long pid, int64_t unix_ns, int final);
/* Writer thread: writes the next dump; its number, or a negative errno. */
int tr__flight_dump(const char *why, const char *program, long pid, int64_t unix_ns);
/* From the crash path (async-signal-safe): a dump of the window as it is,
 * ending with `last` (a fatal or halt line) when not NULL. */
void tr__flight_crash_dump(const tr__rec *last, const char *program, long pid,
                           int64_t unix_ns);
/* 1 if an API dump may go now (one a second), and counts it. */
int tr__flight_api_ok(void);
/* Raw start of the run slice in progress on the loop, 0 when none (the
 * watchdog reads it from the writer thread). */
extern _Atomic uint64_t tr__slice_open;

/* A run slice begins at raw time ts. */
static inline void tr__oncpu_slice_begin(uint64_t ts)
{
    atomic_store_explicit(&tr__slice_open, ts, memory_order_relaxed);
    tr__slice.open = 1;
    tr__slice.begin_raw = ts;
    if (ts - tr__slice.at_raw > tr__slice.step_raw)
        tr__oncpu_take(ts);
}

/* The slice ends at ts: returns 1 and fills *out when it was long enough
 * to be measured, else 0. */
static inline int tr__oncpu_slice_end(uint64_t ts, tr__oncpu *out)
{
    if (!tr__slice.open)
        return 0;
    tr__slice.open = 0;
    atomic_store_explicit(&tr__slice_open, 0, memory_order_relaxed);
    if (ts - tr__slice.begin_raw < tr__slice.long_raw)
        return 0;
    return tr__oncpu_long_end(ts, out);
}

/* ---- formatter (tr_fmt.c): no malloc, no locks, no printf; safe in a
 * signal handler. Each writes one whole line ending in '\n' at `o` (which
 * has TR__MAXLINE bytes free) and returns its length. ---- */
/* Non-zero: tr__fmt_rec bypasses its cache of escaped `at` strings (the
 * crash path sets it: it may format beside, or inside, the writer). */
extern volatile sig_atomic_t tr__fmt_nocache;
/* Empties that cache and turns it back on (tr_rec_start). */
void tr__fmt_reset(void);
size_t tr__fmt_rec(char *o, const tr__rec *r, int64_t t);
/* Lines tr__fmt_rec copied from its memo of recent lines, since the last
 * reset (for tests). */
uint64_t tr__fmt_memo_hits(void);
/* 1 while recording format v1 (COSCOPE_TRACE_FORMAT=1): nothing folds. */
extern int tr__fmt_v1;
size_t tr__fmt_header(char *o, const char *program, long pid, int64_t unix_ns);
size_t tr__fmt_end(char *o, int64_t t, uint64_t events, uint64_t dropped);
/* tr__errname (an error code's `err` token) is the format layer's
 * (tr_format_int.h). */

/* ---- writer (tr_writer.c) ---- */
/* Producers out of room: wakes the writer and waits until `ring` has `need`
 * bytes free past `head`. Called with nothing locked (loop) or with the
 * writer mutex held (work: locked = 1; it stays held on success). Returns 0,
 * or -1 when work recording stopped meanwhile (the mutex is released). */
int tr__writer_wait_space(tr__ring *ring, uint64_t head, uint64_t need, int locked);
/* A cheap nudge: wakes the writer if it sleeps. */
void tr__writer_kick(void);
/* Work producers serialise on the writer mutex. Returns 1 with it held, or
 * 0 (not held) when recording stopped: the ring must not be touched. */
int tr__work_lock(void);
void tr__work_unlock(void);

/* Shared between the writer and the crash path. */
typedef struct tr__out {
    char *buf;
    size_t cap, len;
    uint64_t lines;      /* lines in buf */
    int64_t last_t;      /* loop lines never go back in time */
} tr__out;

/* The crash path, in tr_writer.c: writes every record still in the rings
 * from the signal handler's thread once the writer thread is fenced off. */
void tr__crash_drain(void);

/* tr_crash.c: fatal-signal handlers. */
void tr__crash_install(void);
void tr__crash_uninstall(void);

#endif
