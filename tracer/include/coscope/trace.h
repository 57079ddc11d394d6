/* coscope/trace.h: a loaded trace, its derived model and its analysis.
 *
 *     tr_trace *tr = NULL;
 *     tr_load_opts o = TR_LOAD_OPTS_INIT;
 *     if (tr_load("run.jsonl", &o, &tr) != 0) { fputs(tr_last_error(), stderr); ... }
 *     tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;     // thresholds
 *     tr_analyze(tr, &ao);
 *     for (size_t i = 0; i < tr_nstalls(tr); i++) ... tr_stall_at(tr, i) ...
 *     tr_free(tr);
 *
 * The model is plain arrays owned by the tr_trace (borrowed by the caller,
 * valid until tr_free). No SDL, no cJSON in this header: the reader keeps
 * cJSON inside. Times are int64 nanoseconds since the trace began. */
#ifndef COSCOPE_TRACE_H
#define COSCOPE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "coscope/tr_kinds.h"

typedef struct tr_trace tr_trace;

/* ---- events (one per whole line but the header), sorted stably by t ---- */

/* 32 bytes: a 10 M-event trace loads in less memory than its file.
 * `s` and the two values are stored compactly; read them through the
 * accessors below (tr_ev_str, tr_ev_at, tr_ev_val, tr_ev_val2), which know
 * where each kind keeps them. String ids index the string table (tr_str);
 * 0 is "". */
typedef struct tr_event {
    int64_t t;
    uint32_t task;  /* 0 for the loop / events without a task */
    uint8_t ev;     /* tr_ev */
    uint8_t why;    /* tr_wake (ready), tr_wait (yield), tr_status (exit),
                       tr_objkind (obj) */
    uint8_t op;     /* tr_op (yield, io_begin, io_end, io) */
    uint8_t flags;  /* TR_F_*: which optional fields were present */
    uint32_t arg;   /* parent (spawn), by (ready), obj (yield, acquire,
                       release, obj), thread (work_*), fd (io) */
    uint32_t s;     /* a string id: name (spawn, obj, work_*), msg (mark),
                       err (io_end, io); `at` (yield) */
    int32_t v, v2;  /* val and val2 when both fit in 32 bits; otherwise
                       v == TR_EV_WIDE and v2 indexes a side table. spawn
                       and obj keep their `at` in that table. */
} tr_event;
#define TR_EV_WIDE INT32_MIN

/* The event's string other than `at`: name (spawn, obj, work_*), msg
 * (mark), err (io_end, io with TR_F_ERR); 0 when it has none. */
uint32_t tr_ev_str(const tr_event *e);
/* Where it happened ("file.c:42"; spawn, yield, obj), or 0. */
uint32_t tr_ev_at(const tr_trace *tr, const tr_event *e);
/* val: fd (yield, io_begin), res (io_end, io), code (exit), cap (obj),
 * events (poll_end, end); 0 when absent. */
int64_t tr_ev_val(const tr_trace *tr, const tr_event *e);
/* val2: ms (yield), bytes (io_begin, io), dropped (end); 0 when absent. */
int64_t tr_ev_val2(const tr_trace *tr, const tr_event *e);
/* The 1-based line of event i in the file (for messages), 0 if i is out
 * of range. */
uint32_t tr_ev_line(const tr_trace *tr, size_t i);

enum {
    TR_F_FD = 1 << 0,    /* val holds fd (io: arg holds fd) */
    TR_F_MS = 1 << 1,    /* val2 holds ms */
    TR_F_BYTES = 1 << 2, /* val2 holds bytes */
    TR_F_OBJ = 1 << 3,   /* arg holds obj */
    TR_F_ERR = 1 << 4,   /* io_end had "err" (str) instead of "res" */
    TR_F_CODE = 1 << 5,  /* exit had "code" */
    TR_F_CAP = 1 << 6,   /* obj had "cap" */
    TR_F_EVENTS = 1 << 7 /* poll_end had "events" */
};

/* ---- loading ---- */

typedef struct tr_load_opts {
    /* Called now and then with bytes read so far and the file size; may be
     * NULL. Return non-zero to cancel the load (tr_load returns -ECANCELED). */
    int (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    int threads; /* parse threads for big files; 0 = number of cores */
} tr_load_opts;
#define TR_LOAD_OPTS_INIT {NULL, NULL, 0}

/* Loads and checks a trace file. On success *out owns the trace (0 returned).
 * On failure returns a negative errno (-ENOENT, -EINVAL for a bad trace,
 * -ENOMEM, -ECANCELED) and tr_last_error() says "file:line: what"; *out is
 * NULL. Recoverable oddities (truncated last line, missing end, unknown
 * kinds or fields) load fine and are listed by tr_warnings().
 * path "-" is standard input. A regular file is mapped; a pipe, a FIFO or a
 * file the kernel sizes 0 (/proc) is read into memory, at most 1 GiB
 * (-EFBIG past it), stopping at the first line over 1 MiB or a first line
 * that is not the header; a FIFO is opened without waiting for a writer
 * (none: an error); devices and sockets are refused ("not a regular file:
 * character device"). */
int tr_load(const char *path, const tr_load_opts *opts, tr_trace **out);
/* Same, from memory (for tests and fuzzing); `name` is used in messages. */
int tr_load_mem(const char *name, const char *data, size_t len,
                const tr_load_opts *opts, tr_trace **out);
/* The message of the last failed tr_load* on this thread. */
const char *tr_last_error(void);
void tr_free(tr_trace *tr); /* NULL is a no-op */

/* ---- following a trace while it is written ----
 *
 *     tr_follow *f;
 *     if (tr_follow_open("run.jsonl", &f) != 0) ...      // tr_last_error()
 *     for (;;) {                                         // a few times a second
 *         long added = tr_follow_poll(f);                // < 0: tr_last_error()
 *         tr_trace *tr = tr_follow_trace(f);             // NULL until the header
 *         if (added > 0) tr_analyze(tr, &ao);            // then read it again
 *     }
 *     tr_follow_free(f);
 *
 * Each poll reads what was appended since the last one, whole lines only
 * (a line still being written waits for its '\n'); nothing is read twice.
 * The trace it keeps is built as tr_load builds one (same checks, errors
 * and warnings; no `end` yet reads as "cut short") and is owned by f. Its
 * pointer never changes, but a poll that adds events rebuilds what it holds
 * (events, tasks, spans, strings; the analysis is gone until tr_analyze):
 * every pointer and index read from it before the poll is stale. That
 * rebuild is O(events): poll at most a few times a second. */
typedef struct tr_follow tr_follow;
/* Opens a file to follow (nothing is read yet): a regular file, a named
 * pipe, or "-" for standard input (named "(stdin)" in messages, as by
 * tr_load; f reads a duplicate of fd 0, and a pipe's polls never wait).
 * 0 and *out, or a negative errno (-ENOENT; -EINVAL for what is neither a
 * regular file nor a pipe, e.g. a terminal) with tr_last_error() set. */
int tr_follow_open(const char *path, tr_follow **out);
/* Reads the whole lines appended since the last poll. Returns how many
 * events they added (0: the trace did not change, except that the header
 * line alone makes it appear, with 0 events), or a negative errno with tr_last_error() saying
 * "file:line: what" (a bad line), "file: shrank ..." (the file was cut or
 * rewritten) or "file: out of memory". A bad line stops the following:
 * the lines before it that the parser checked are kept (that poll returns
 * their events, the next one the error; a poll whose lines the model
 * refuses, e.g. a task never spawned, adds none) and every later poll
 * returns the same error. */
long tr_follow_poll(tr_follow *f);
/* tr_follow_poll in two halves, for a caller that reads on another thread
 * while it shows the trace it has: tr_follow_fetch reads and builds the
 * grown trace aside (same returns as tr_follow_poll; f's shown trace and
 * tr_follow_ended are not touched, so another thread may read them
 * meanwhile, but no two calls on f may run at once); tr_follow_next is
 * that pending trace (NULL: none; it may be analysed before the swap);
 * tr_follow_swap makes it the trace shown, in the same struct as before
 * (the pending pointer is gone then): 1, or 0 when nothing was pending. */
long tr_follow_fetch(tr_follow *f);
tr_trace *tr_follow_next(tr_follow *f);
int tr_follow_swap(tr_follow *f);
/* The trace read so far, or NULL before its first line is whole. */
tr_trace *tr_follow_trace(tr_follow *f);
/* 1 when the trace holds its last line (`end`, `fatal` or `halt`). */
int tr_follow_ended(const tr_follow *f);
/* Bytes of the file read so far (whole lines). */
uint64_t tr_follow_offset(const tr_follow *f);
void tr_follow_free(tr_follow *f); /* NULL is a no-op */

/* Warnings from loading, one message each ("trace.jsonl:9: ..."). */
size_t tr_nwarnings(const tr_trace *tr);
const char *tr_warning(const tr_trace *tr, size_t i);

/* ---- header and raw events ---- */
typedef struct tr_header {
    const char *program;
    int64_t pid;
    int64_t unix_ns;
    int version;
    int truncated;      /* last line cut short, or no `end` line */
    int64_t duration;   /* t of the last event */
    uint64_t end_events;  /* from `end`, 0 if absent */
    uint64_t end_dropped; /* from `end`, 0 if absent */
    uint64_t unknown_events; /* lines skipped for an unknown ev */
    uint64_t unknown_fields; /* fields skipped */
    int has_seed;       /* the header has `seed`: scheduled from COSCOPE_SEED */
    uint64_t seed;      /* that seed (0 .. 2^63-1) */
} tr_header;
const tr_header *tr_head(const tr_trace *tr);
/* The name it was loaded under: the path given to tr_load ("(stdin)" for
 * "-"), or tr_load_mem's name. */
const char *tr_trace_path(const tr_trace *tr);

size_t tr_nevents(const tr_trace *tr);
const tr_event *tr_events(const tr_trace *tr);
const char *tr_str(const tr_trace *tr, uint32_t id); /* never NULL */

/* ---- the model: tasks, state spans, wakes, work, loop ---- */

typedef enum tr_state {
    TR_ST_RUNNING = 0,
    TR_ST_READY,   /* runnable, waiting for the scheduler */
    TR_ST_WAITING, /* switched out; `why` says on what */
    TR_ST_DONE,
    TR_ST__COUNT
} tr_state;

/* A maximal interval during which a task was in one state. A task's spans
 * are contiguous in tr_spans(), ordered, gap-free, from spawn to the trace's
 * end (the last span of an exited task is DONE and ends at duration).
 * 24 bytes: what the opening event already says (task, where, on what) is
 * read from it through the tr_span_* accessors below. */
typedef struct tr_span {
    int64_t t0, t1;
    uint32_t ev0;  /* index in tr_events of the event that began the span:
                      spawn, ready, run, yield or exit */
    uint8_t state; /* tr_state */
    uint8_t why;   /* tr_wait when WAITING */
    uint8_t op;    /* tr_op when waiting on io */
    uint8_t pad;
} tr_span;

typedef struct tr_task {
    uint32_t id, parent;
    uint32_t name, at;     /* string ids */
    int64_t spawn_t;
    int64_t exit_t;        /* -1 if the task never exited */
    uint8_t status;        /* tr_status when exited */
    uint8_t has_code;
    int64_t code;
    uint32_t span0, nspans; /* its spans: tr_spans()[span0 .. span0+nspans) */
    uint32_t depth;        /* in the spawn tree (0: parent is the loop) */
    /* stats (over the whole trace) */
    uint64_t polls;        /* run slices */
    uint64_t wakes;        /* ready events */
    int64_t busy, ready, waiting; /* total ns in each state */
    int64_t run_p50, run_p90, run_p99, run_max;   /* run-slice length */
    int64_t lat_p50, lat_p90, lat_p99, lat_max;   /* ready -> run */
} tr_task;

/* A wake-up: `from` (0 = loop) made `to` ready at t, for why. Wake-ups are
 * the ready events; tr_wakeup_get builds this view of the i-th. */
typedef struct tr_wakeup {
    int64_t t;
    uint32_t from, to;
    uint8_t why; /* tr_wake */
    uint32_t ev; /* index of the ready event */
} tr_wakeup;

/* Blocking work on the thread pool. */
typedef struct tr_work {
    int64_t t0, t1; /* t1 = -1 if never ended */
    uint32_t task;
    uint32_t thread;
    uint32_t name;
} tr_work;

/* The loop: idle while in the OS poller (poll_begin -> poll_end). */
typedef struct tr_idle {
    int64_t t0, t1;
} tr_idle;

size_t tr_ntasks(const tr_trace *tr);
const tr_task *tr_tasks(const tr_trace *tr); /* ordered by spawn time */
const tr_task *tr_task_by_id(const tr_trace *tr, uint32_t id); /* or NULL */
size_t tr_nspans(const tr_trace *tr);
const tr_span *tr_spans(const tr_trace *tr);
size_t tr_nwakeups(const tr_trace *tr);             /* ordered by t */
tr_wakeup tr_wakeup_get(const tr_trace *tr, size_t i); /* i < tr_nwakeups */
size_t tr_nworks(const tr_trace *tr);
const tr_work *tr_works(const tr_trace *tr);     /* ordered by t0 */
size_t tr_nidles(const tr_trace *tr);
const tr_idle *tr_idles(const tr_trace *tr);     /* ordered by t0 */
/* The idles' prefix sums, [tr_nidles + 1]: idle ns in idles[0..i) (after
 * tr_analyze; NULL before). tr_idle_within: the loop's idle ns in [a, b),
 * in O(log n). Both are what the viewer sums pixel columns with. */
const int64_t *tr_idle_sums(const tr_trace *tr);
int64_t tr_idle_within(const tr_trace *tr, int64_t a, int64_t b);

/* Index of the first event with t >= t (binary search); tr_nevents if none. */
size_t tr_event_at(const tr_trace *tr, int64_t t);
/* Index of the span of `task` covering t, or SIZE_MAX. */
size_t tr_span_find(const tr_trace *tr, uint32_t task, int64_t t);

/* What a span's opening event says (sp points into tr_spans()). */
uint32_t tr_span_task(const tr_trace *tr, const tr_span *sp);
/* Where the wait began (yield's at) when WAITING, else 0. */
uint32_t tr_span_site(const tr_trace *tr, const tr_span *sp);
/* The object / joined task when WAITING on lock, chan, join, else 0. */
uint32_t tr_span_obj(const tr_trace *tr, const tr_span *sp);
/* The fd when WAITING on io, else -1. */
int64_t tr_span_fd(const tr_trace *tr, const tr_span *sp);
/* Index of the event that ended span i (the next span's ev0), or
 * UINT32_MAX for a task's last span. */
uint32_t tr_span_end_ev(const tr_trace *tr, size_t i);

/* ---- analysis ---- */

typedef struct tr_analysis_opts {
    int64_t blocked_ns; /* run slice longer than this blocks the loop */
    int64_t latency_ns; /* ready -> run longer than this */
    int64_t wait_ns;    /* io / lock / chan / join / work wait longer */
} tr_analysis_opts;
#define TR_ANALYSIS_OPTS_INIT {20000000, 20000000, 20000000}

typedef enum tr_stall_kind {
    TR_STALL_BLOCKED = 0, /* blocked loop: one long run slice */
    TR_STALL_LATENCY,     /* long ready -> run */
    TR_STALL_WAIT,        /* long io / lock / chan / join / work wait */
    TR_STALL_STUCK,       /* still waiting when the trace ended */
    TR_STALL__COUNT
} tr_stall_kind;

/* A task that was ready while a blocking slice ran, and for how long. */
typedef struct tr_victim {
    uint32_t task;
    int64_t waited;
} tr_victim;

typedef struct tr_stall {
    uint8_t kind;    /* tr_stall_kind */
    uint8_t why;     /* tr_wait for WAIT / STUCK */
    uint8_t op;      /* tr_op for io waits */
    uint8_t open;    /* STUCK where a run did not end normally (no end
                        line: still being written or cut short; or it died:
                        fatal, a signal, exit), in no deadlock cycle and
                        not reported stuck by the runtime: known only to be
                        waiting where the trace stops, not to wait forever */
    uint32_t task;
    int64_t t, dur;
    uint32_t at;     /* where the slice ended / the wait began */
    uint32_t obj;    /* for lock/chan/join waits */
    uint32_t span;   /* index in tr_spans */
    uint32_t victim0, nvictims; /* BLOCKED: tr_victims()[victim0 ..) */
    int32_t cycle;   /* STUCK: index in tr_cycles() of its deadlock, or -1 */
    uint32_t waits_on; /* STUCK: the task it waits for (0: none known) */
    int32_t cause;   /* index in tr_causes() of the cause it waited behind,
                        or -1 (STUCK stalls: see waits_on and cycle) */
} tr_stall;

/* A deadlock: tasks t[0] waits on t[1] ... waits on t[n-1] waits on t[0]. */
typedef struct tr_cycle {
    uint32_t task0, ntasks; /* tr_cycle_tasks()[task0 ..) */
} tr_cycle;

/* Runs the analysis (stalls, stats, wait-for graph). Idempotent: calling it
 * again with other thresholds replaces the stalls. Returns 0 or -ENOMEM. */
int tr_analyze(tr_trace *tr, const tr_analysis_opts *opts);

size_t tr_nstalls(const tr_trace *tr);
const tr_stall *tr_stalls(const tr_trace *tr); /* ordered by t, then task */
const tr_victim *tr_victims(const tr_trace *tr);
size_t tr_ncycles(const tr_trace *tr);
const tr_cycle *tr_cycles(const tr_trace *tr);
const uint32_t *tr_cycle_tasks(const tr_trace *tr);

/* ---- analysis facts: one answer for the text report, the JSON, the
 * exporters and the viewer alike (facts.c) ---- */

/* "blocked", "latency", "wait", "stuck"; "?" out of range. */
const char *tr_stall_kind_name(int kind);
/* How the run ended, from the trace's last line. */
typedef enum tr_ending {
    TR_ENDING_END = 0, /* an `end` line: the recorder stopped normally */
    TR_ENDING_NONE,    /* no last line: still being written, or cut short */
    TR_ENDING_FATAL,   /* `fatal`: the runtime aborted on a misuse */
    TR_ENDING_SIGNAL,  /* `halt` with a signal: killed by it */
    TR_ENDING_EXIT     /* `halt` with a code: exit() before co_main returned */
} tr_ending;
/* The ending, and in *ev (if not NULL) its line's event (NULL for END
 * without one, and NONE). */
tr_ending tr_trace_ending(const tr_trace *tr, const tr_event **ev);
/* The run died (fatal, a signal, exit()): what every surface says first. */
static inline int tr_ending_died(tr_ending how) { return how >= TR_ENDING_FATAL; }
/* The ending in words for a report's first line: "the program died: task
 * 2 \"sloppy\": co_mutex_unlock of ...", "the program was killed by
 * SIGSEGV", "the program called exit(3) before co_main returned", "the
 * trace has no end line: still being written, or cut short"; "" for END. */
char *tr_ending_describe(const tr_trace *tr, char *buf, size_t n);
/* What the text surfaces call a stall: its kind's name, or "waiting" for
 * an `open` STUCK one (where the trace stops, not known to wait forever). */
const char *tr_stall_label(const tr_stall *s);
/* The tr_stall_kind spelled by s[0..n), or -1. */
int tr_stall_kind_parse(const char *s, size_t n);
/* The name of synchronisation object obj (from its `obj` line), or "".
 * An index built when the trace is loaded: O(log n), no cache. */
const char *tr_obj_name(const tr_trace *tr, uint32_t obj);
/* "name (id)", or "loop" for task 0, "? (id)" for an unknown id. The name
 * is raw trace text: a terminal surface escapes it. Returns buf. */
char *tr_task_label(const tr_trace *tr, uint32_t id, char *buf, size_t n);
/* What a wait was on, for people: "io read fd 7", "lock db (obj 1)",
 * "join fetch (3)", "sleep". Returns buf. */
char *tr_describe_wait(const tr_trace *tr, int why, int op, int64_t fd, uint32_t obj,
                       char *buf, size_t n);
/* The fd a stall's wait was on, or -1. */
int64_t tr_stall_fd(const tr_trace *tr, const tr_stall *s);
/* Who made the task of READY span `span` ready: 1 and *out, or 0 (a ready
 * span may begin at the spawn line, before its ready line). */
int tr_span_wakeup(const tr_trace *tr, size_t span, tr_wakeup *out);
/* Who made the task of stall s ready within its span (LATENCY: the wake-up
 * that began the ready span; WAIT: the one that ended it). 1 and *out set,
 * or 0 when nobody is known. */
int tr_stall_wakeup(const tr_trace *tr, const tr_stall *s, tr_wakeup *out);

/* A task that ran during an interval, and for how long in it. */
typedef struct tr_ran {
    uint32_t task;
    int64_t ns;
} tr_ran;
/* Who held the loop during [t0, t1): the tasks other than `self` of the
 * 4 * max longest run slices in it, at most max, each with its whole run
 * time in the interval, longest first. (A task with many short slices and
 * no long one is missed: the price of O(max log n).) After tr_analyze; 0
 * before. */
size_t tr_ran_meanwhile(const tr_trace *tr, int64_t t0, int64_t t1, uint32_t self,
                        tr_ran *out, size_t max);
/* The evidence of a stall in words, the one text every surface shows:
 * "ready meanwhile: a (2) 30.0 ms, ...", "woken by w (3) on chan; ran
 * meanwhile: ...", "io read fd 7", "lock m (obj 1), waits on c (4);
 * DEADLOCK: a (2) -> c (4) -> a (2)", "chan_recv jobs (obj 1); stuck:
 * nobody left to send on jobs (obj 1)". Cut (UTF-8 safe) at n. Returns buf. */
char *tr_stall_describe(const tr_trace *tr, const tr_stall *s, char *buf, size_t n);

/* ---- causes: what the stalls waited behind (cause.c) ----
 * For each stall the analysis follows the wake that ended the wait to its
 * waker; while the waker was itself waiting (or ready) in that interval it
 * follows that, and it stops at a sink: a task running on the loop, a
 * sleep or timer, I/O with the world outside the process, thread-pool
 * work, or a wait nobody in the trace ended. Connections with both ends in
 * the process (`conn` events) are wake edges too: a read is woken by the
 * peer's write. Stalls are grouped by their root; aggregates add causes no
 * single interval crosses a threshold for (a saturated loop, a contended
 * mutex, a starved or backlogged channel, a saturated thread pool). All
 * rank by blamed task-time. Deadlocks are not causes: see tr_cycles(). */
typedef enum tr_cause_kind {
    TR_CAUSE_RUN = 0,    /* a task ran on the loop (blocking slices) */
    TR_CAUSE_SLEEP,      /* a task slept, or a timer had to fire */
    TR_CAUSE_IO,         /* I/O with the world outside the process */
    TR_CAUSE_WORK,       /* work on the thread pool */
    TR_CAUSE_WAIT,       /* a wait nobody in the trace ended (cancel,
                            timeout, the loop) */
    TR_CAUSE_SATURATION, /* the loop busy >= 90 % over a window */
    TR_CAUSE_CONTENTION, /* a mutex: waits for it, and what holders did */
    TR_CAUSE_STARVATION, /* a channel: receivers waited, many short times */
    TR_CAUSE_BACKLOG,    /* a channel: senders waited, full */
    TR_CAUSE_POOL,       /* the thread pool: queued while every worker ran */
    TR_CAUSE_OS,         /* the OS held the loop thread: a slice mostly spent
                            waiting for a CPU (preempted) or with the process
                            stopped, not the task blocking the loop */
    TR_CAUSE__COUNT
} tr_cause_kind;

/* One step of a blame chain: task `task` in span `span` (its state, why
 * and site are the span's). */
typedef struct tr_link {
    uint32_t task;
    uint32_t span;
} tr_link;

typedef struct tr_cause {
    uint8_t kind;     /* tr_cause_kind */
    uint8_t why, op;  /* SLEEP/IO/WORK/WAIT: the root span's tr_wait, tr_op */
    uint8_t held_why, held_op; /* CONTENTION: what holders did longest while
                                  holding (tr_wait, tr_op; why 255: ran) */
    uint32_t task;    /* the root task (aggregates: the one it is most due to) */
    uint32_t at;      /* its site: where it waited / its slices ended */
    uint32_t obj;     /* CONTENTION/STARVATION/BACKLOG: the object */
    uint32_t span;    /* the root span, UINT32_MAX for aggregates */
    int64_t t, dur;   /* the root span, or the aggregate's period */
    int64_t blamed;   /* task-time that waited behind it: the rank */
    uint32_t victim0, nvictims; /* tr_cause_victims()[victim0 ..): task ids,
                                   ascending */
    uint32_t link0, nlinks;     /* tr_cause_links()[link0 ..): the chain of
                                   its worst stall, from the victim's span
                                   to the root (aggregates: none) */
    uint32_t nstalls; /* stalls under it */
    uint64_t count;   /* aggregates: slices / waits aggregated */
    int64_t p50, p99, max; /* aggregates: their length distribution */
    uint32_t held_at; /* CONTENTION: the site of held_why */
    int64_t held_ns;  /* CONTENTION: time spent so while holding */
    uint32_t nholders; /* CONTENTION: distinct holders that made others wait */
    uint32_t stack;   /* the caller chain of `at` (tr_fmt_stack), or 0: the
                         root span's; SATURATION: the top task's longest
                         slice ending there; CONTENTION: what was held across */
    /* RUN / OS: the root slice's on-CPU figures (tr_span_oncpu); SATURATION:
     * their sums over its slices (clipped to the period); measured is 0 when
     * no slice carried figures (short slices, older traces), then cpu is the
     * wall time and runq, stops are 0 */
    int64_t cpu, runq;
    uint32_t stops;
    uint8_t measured;
} tr_cause;

/* Causes in rank order (blamed, then t); valid after tr_analyze. */
size_t tr_ncauses(const tr_trace *tr);
const tr_cause *tr_causes(const tr_trace *tr);
const uint32_t *tr_cause_victims(const tr_trace *tr);
const tr_link *tr_cause_links(const tr_trace *tr);
/* "run", "sleep", "io", "work", "wait", "saturation", "contention",
 * "starvation", "backlog", "pool", "os"; "?" out of range. */
const char *tr_cause_kind_name(int kind);
/* The cause in words: "examples/ex_server.c:70: http conn 3 (13) slept
 * 150 ms", "lock cookies (obj 2): 48 waits, 573 ms; held across io read at
 * crawler.c:88", "loop 97 % busy for 2.1 s: 178 slices of conn (5) ending
 * at fib.c:40 (p50 1.4 ms, max 14 ms)". Returns buf. */
char *tr_cause_describe(const tr_trace *tr, const tr_cause *c, char *buf, size_t n);
/* A blame chain in words, the waiter first, each step " <- " the span that
 * held it up: "main (1) join crawler 1 (3) <- crawler 1 (3) chan_recv work
 * queue (obj 1) <- http conn 5 (15) sleep"; a chain longer than 6 keeps
 * its first 2 and last 3 links around "(N more)". Returns buf. */
char *tr_chain_describe(const tr_trace *tr, const tr_link *chain, size_t n, char *buf,
                        size_t size);
/* The blame walk from span `span` (any state): fills chain[0..) with the
 * steps from that span to its root, at most max; returns how many, 0 for a
 * bad span. *sink gets the root's tr_cause_kind (TR_CAUSE_RUN when the
 * walk starts or ends on a run slice). After tr_analyze. */
size_t tr_blame(const tr_trace *tr, size_t span, tr_link *chain, size_t max, int *sink);

/* Overall stats. */
typedef struct tr_summary {
    uint64_t events, tasks, spawned, exited, cancelled, errored;
    int64_t duration, loop_busy, loop_idle;
    uint64_t polls, wakes;
    int64_t run_p50, run_p90, run_p99, run_max;
    int64_t lat_p50, lat_p90, lat_p99, lat_max;
} tr_summary;
const tr_summary *tr_summarize(const tr_trace *tr);

/* Annotated spans (co_span_begin / co_span_end), totalled by name in the
 * order names first appear. A span_end closes its task's innermost open
 * span; spans still open when the trace ends count to its end (`open`).
 * tr_annot_spans fills *out (free() it) and returns how many names, or a
 * negative errno. */
typedef struct tr_annot {
    uint32_t name;  /* string id */
    uint64_t count; /* spans of that name */
    uint64_t open;  /* of them, still open at the end */
    int64_t total, max; /* ns */
} tr_annot;
long tr_annot_spans(const tr_trace *tr, tr_annot **out);
/* The same spans one by one (what the viewer draws), by task id, then t0,
 * then depth. A span still open at the end ends at the trace's duration
 * (open 1); depth counts the spans of its task open when it began (0:
 * outermost). tr_annot_list fills *out (free() it; NULL when there are
 * none) and returns how many, or a negative errno. */
typedef struct tr_annot_span {
    int64_t t0, t1;
    uint32_t task, name; /* name: a string id */
    uint32_t depth;
    uint32_t open;
} tr_annot_span;
long tr_annot_list(const tr_trace *tr, tr_annot_span **out);

/* Histograms of run-slice length and scheduling latency (ready -> run), in
 * log2 buckets: bucket 0 counts values below 2 ns, bucket i >= 1 counts
 * [2^i, 2^(i+1)) ns, and the last bucket everything from 2^39 ns (~9 min)
 * up. They count the same spans as the percentiles of tr_task/tr_summary. */
#define TR_HIST_BUCKETS 40
typedef struct tr_hist {
    uint64_t count[TR_HIST_BUCKETS];
    uint64_t total; /* values counted */
} tr_hist;

/* Fills *run and *lat (either may be NULL) for task `task`, or for every
 * task when task is 0. Returns 0, or -EINVAL for a NULL trace or a task
 * id that is not in the trace. */
int tr_histograms(const tr_trace *tr, uint32_t task, tr_hist *run,
                  tr_hist *lat);
/* The smallest value, in ns, counted in bucket i (0 for bucket 0). */
int64_t tr_hist_lo(int i);

/* A time range [t0, t1) of the trace (range.c): each task's time per
 * state with spans clipped to it, the loop's busy and idle time in it
 * (clipped to the trace), the stalls that overlap it and the causes they
 * waited behind, and a histogram of the scheduling latencies (ready spans)
 * that end in it. `coscope stats --range` prints these and the viewer's
 * range panel draws them, in the words of tr_stall_brief and
 * tr_cause_share_brief. */
typedef struct tr_task_time {
    uint32_t task;
    int64_t ns[TR_ST__COUNT]; /* by tr_state */
} tr_task_time;
typedef struct tr_cause_share {
    uint32_t cause;   /* index in tr_causes() */
    uint32_t nstalls; /* of the range's stalls, those that waited behind it */
    int64_t ns;       /* their time inside the range */
} tr_cause_share;
typedef struct tr_range {
    int64_t t0, t1;
    int64_t loop_busy, loop_idle;
    int64_t state_ns[TR_ST__COUNT]; /* by tr_state, summed over tasks */
    tr_hist lat;
    tr_task_time *tasks; /* the tasks with time in it, most running first, */
    size_t ntasks;       /* then by id */
    uint32_t *stalls;    /* indices in tr_stalls() of those overlapping it */
    size_t nstalls;      /* (a stall of no length: starting in it), by time */
    tr_cause_share *causes; /* the causes of those stalls, in rank order */
    size_t ncauses;
} tr_range;
/* Fills *out (overwritten: tr_range_close an earlier one first; after tr_analyze
 * for the stalls and causes); 0, -EINVAL for NULL arguments or t1 <= t0,
 * -ENOMEM. *out is zeroed on failure. O(spans + stalls + causes). */
int tr_range_stats(const tr_trace *tr, int64_t t0, int64_t t1, tr_range *out);
/* Frees what tr_range_stats allocated in *r; NULL or a zeroed r is a no-op. */
void tr_range_close(tr_range *r);
/* A stall in one line for the range surfaces, under its tr_stall_label:
 * "heartbeat (2) at 30.0 ms for 60.1 ms" (raw trace text: a terminal
 * escapes it). Returns buf. */
char *tr_stall_brief(const tr_trace *tr, const tr_stall *s, char *buf, size_t n);
/* A cause's share of a range in one line, under its tr_cause_kind_name:
 * "busy (7): 5 stalls, 60.1 ms" (its root task, the stalls, their time in
 * the range). Returns buf. */
char *tr_cause_share_brief(const tr_trace *tr, const tr_cause_share *c, char *buf, size_t n);
/* part of whole as "75.0%" (permille, truncated; "0.0%" when whole <= 0).
 * Returns buf. */
char *tr_fmt_pct(char *buf, size_t n, int64_t part, int64_t whole);
/* One task's time per state in [t0, t1). 0, or -EINVAL (no such task). */
int tr_range_task(const tr_trace *tr, uint32_t task, int64_t t0, int64_t t1,
                  int64_t ns[TR_ST__COUNT]);

/* Bytes the loaded trace holds in memory, by part (the sizes of its arrays
 * and tables, not malloc's own overhead). */
typedef struct tr_mem {
    size_t events;   /* tr_event array, values beyond 32 bits, line numbers,
                        stacks, their frames and on-CPU figures */
    size_t strings;  /* interned names, `at`s and messages */
    size_t model;    /* tasks, spans, wake-ups, work, idle, indexes */
    size_t analysis; /* stalls, victims, cycles */
    size_t total;
} tr_mem;
void tr_memory(const tr_trace *tr, tr_mem *out);

/* ---- caller chains (stacks) and on-CPU time ----
 * A trace recorded with stacks (docs/trace-format.md, `stack`) gives each
 * spawn and each yield the caller chain of the call, up to 16 pcs walked
 * from the program's call into the runtime outwards. They are symbolised
 * when the trace is loaded, from the executable and shared objects named in
 * the header (function, file:line; an inlined call becomes its own frame,
 * marked `inlined`). A module that is gone or was rebuilt since (build id)
 * leaves its frames as addresses. Stack ids are >= 1; 0 means "none". */
typedef struct tr_frame {
    uint64_t pc;        /* the return address the walk found */
    const char *func;   /* function, or NULL when unknown */
    const char *file;   /* source file, or NULL */
    uint32_t line;      /* 0 when unknown */
    const char *module; /* base name of the object holding pc, or NULL */
    uint64_t offset;    /* pc - that module's load address */
    int inlined;        /* func was inlined into the next frame's function */
} tr_frame;

/* The stack of event i (spawn, yield), or 0. */
uint32_t tr_ev_stack(const tr_trace *tr, size_t i);
/* The stack of span `span` (an index in tr_spans): a waiting span's is its
 * yield's (where the wait began), a running span's the one where the slice
 * ended, a ready span's 0. */
uint32_t tr_span_stack(const tr_trace *tr, size_t span);
/* Frames of a stack, innermost (the program's call into the runtime) first;
 * 0 for stack 0 or one the trace never defined. */
size_t tr_stack_depth(const tr_trace *tr, uint32_t stack);
/* Fills *out with frame i (strings owned by tr). 0, or -EINVAL. */
int tr_stack_frame(const tr_trace *tr, uint32_t stack, size_t i, tr_frame *out);
/* One frame: "read_line src/srv.c:41", else "func (libc.so.6+0x2a3c)", else
 * "0x55d0c2a4b1c9 (srv+0x11c9)", else "0x55d0c2a4b1c9". Returns buf. */
char *tr_fmt_frame(char *buf, size_t n, const tr_frame *f);
/* The whole stack, frames joined by `sep` (NULL: " < "); "" for none. The
 * one formatter for a stack: the CLI, its JSON and the viewer use it. */
char *tr_fmt_stack(char *buf, size_t n, const tr_trace *tr, uint32_t stack,
                   const char *sep);

/* What the loop thread's clocks said about a run slice: recorded for slices
 * of 250 us or more (others count as all on CPU). */
typedef struct tr_oncpu {
    int64_t cpu;    /* ns on a CPU */
    int64_t runq;   /* ns runnable, waiting for a CPU: the OS ran others */
    uint32_t stops; /* times the process was stopped and continued */
} tr_oncpu;
/* 1 and *out (may be NULL) when event i (a yield or exit ending a slice)
 * carries on-CPU figures, else 0. */
int tr_ev_oncpu(const tr_trace *tr, size_t i, tr_oncpu *out);
/* On-CPU ns of span `span`: a running span's measured figure (its wall
 * time when unmeasured, as in traces recorded before it existed), 0 for
 * other states; *out (may be NULL) gets all three figures. */
int64_t tr_span_oncpu(const tr_trace *tr, size_t span, tr_oncpu *out);
/* The part of a running span the task itself held the loop: on a CPU, or
 * asleep in a blocking call. Run-queue time (the OS ran another process)
 * and a slice during which the process was stopped do not count. What the
 * blocked-loop check compares with its threshold. */
int64_t tr_span_blocking(const tr_trace *tr, size_t span);
/* Run slices longer than `threshold` whose blocking part is not: the OS
 * stretched them (preempted, or the process stopped). Their count; the
 * span index of the longest in *longest (SIZE_MAX when none; may be NULL). */
size_t tr_os_stretched(const tr_trace *tr, int64_t threshold, size_t *longest);
/* 1 when the OS, not the task, held most of running span `span`: its wall
 * time minus tr_span_blocking (run-queue time, or all of it when the
 * process was stopped) is more than half of it. Such a slice is a cause of
 * kind TR_CAUSE_OS, never "ran on the loop". 0 for other spans. */
int tr_span_os_held(const tr_trace *tr, size_t span);

/* "12.3 µs", "4.56 ms", "1.284 s": 3 significant digits, unit chosen per
 * value. Writes at most n bytes; returns buf. */
char *tr_fmt_dur(char *buf, size_t n, int64_t ns);

#endif
