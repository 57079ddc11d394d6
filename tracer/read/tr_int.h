/* tracer/read/tr_int.h: the private side of coscope/trace.h.
 * The tr_trace struct (plain arrays owned by it), the string table, the
 * id -> index map, and the functions the reader, model and analysis files
 * share (tr__ prefix). Nothing here is a public contract. */
#ifndef TR_READ_INT_H
#define TR_READ_INT_H

#include <stddef.h>
#include <stdint.h>

#include "coscope/trace.h"
#include "../format/tr_map_int.h" /* tr__map */

/* ---- interned strings: id -> NUL-terminated bytes, 0 is "" ---- */
typedef struct tr__strtab {
    char *buf;         /* strings back to back, each NUL-terminated */
    size_t len, cap;
    uint32_t *off;     /* id -> offset in buf */
    uint32_t n, offcap;
    uint32_t *slots;   /* open addressing on ids (0 = empty slot) */
    uint32_t mask;
} tr__strtab;

int tr__strtab_init(tr__strtab *st);
/* dst becomes a copy of src. 0 or -ENOMEM (then dst holds nothing). */
int tr__strtab_copy(tr__strtab *dst, const tr__strtab *src);
void tr__strtab_free(tr__strtab *st);
/* Finds or adds s[0..n). Returns 0, -ENOMEM, or -EILSEQ when a new string
 * is not valid UTF-8 (checked once per distinct string). */
int tr__intern(tr__strtab *st, const char *s, size_t n, uint32_t *id);
static inline const char *tr__str(const tr__strtab *st, uint32_t id)
{
    return id < st->n ? st->buf + st->off[id] : "";
}

/* uint64 key -> uint32 value: tr__map (the format layer's tr_map_int.h) */

/* ---- compact events ---- */

/* Values that do not fit tr_event's 32-bit slots, and the `at` of spawn and
 * obj (whose `s` holds the name): the event has v == TR_EV_WIDE and v2 is
 * the index of its entry. */
typedef struct tr__wide {
    int64_t val, val2;
    uint32_t at, pad;
} tr__wide;

/* An event as parsed, every field in full; tr__pack stores it compactly. */
typedef struct tr__full {
    int64_t t;
    uint32_t task;
    uint8_t ev, why, op, flags;
    uint32_t arg, str, at;
    int64_t val, val2;
} tr__full;

static inline int tr__fits32(int64_t x) { return x > INT32_MIN && x <= INT32_MAX; }

/* Does f need a side-table entry? */
static inline int tr__needs_wide(const tr__full *f)
{
    return (f->at && f->ev != TR_EV_YIELD) || !tr__fits32(f->val) || !tr__fits32(f->val2);
}

/* Line numbers: runs of events on consecutive lines. Event i of a run that
 * starts at event `ev` is on line `line + (i - ev)`. */
typedef struct tr__linerun {
    uint32_t ev, line;
} tr__linerun;

/* ---- caller chains and on-CPU figures (stack.c, symbols.c) ----
 * Kept beside the events, not in them (a tr_event stays 32 bytes): sorted
 * lists keyed by event index, filled while parsing, offset at the merge and
 * re-indexed after the sort (tr__refs_*). */
typedef struct tr__stackref {
    uint32_t ev, stack;  /* event index -> stack id */
} tr__stackref;
typedef struct tr__cpuref {
    uint32_t ev, stops;  /* event index (a yield or exit) */
    int64_t cpu, runq;
} tr__cpuref;
typedef struct tr__stackdef {
    uint32_t id, pc0, npcs; /* pcs[pc0 .. pc0 + npcs) */
    uint32_t f0, nframes;   /* symbolised frames (stack.c) */
    uint32_t line;          /* of its `stack` line, for messages */
} tr__stackdef;
typedef struct tr__module {
    uint32_t path, build_id; /* string ids in the trace's table */
    uint64_t base, size;
} tr__module;
typedef struct tr__frame {
    uint64_t pc, offset;
    uint32_t func, file, module; /* ids in the symbol string table */
    uint32_t line;
    uint8_t inlined;
} tr__frame;
/* Everything of the above one chunk or a whole trace holds. */
typedef struct tr__stackdata {
    tr__stackref *refs;
    size_t nrefs, caprefs;
    tr__cpuref *cpus;
    size_t ncpus, capcpus;
    tr__stackdef *defs;
    size_t ndefs, capdefs;
    uint64_t *pcs;
    size_t npcs, cappcs;
    tr__module *mods;
    size_t nmods, capmods;
} tr__stackdata;
/* Appends one element of `size` bytes to a growable array. 0 or -ENOMEM. */
int tr__grow_push(void **p, size_t *n, size_t *cap, size_t size, const void *elem);
void tr__stackdata_free(tr__stackdata *d);
/* dst becomes a copy of src. 0 or -ENOMEM (then dst holds nothing). */
int tr__stackdata_copy(tr__stackdata *dst, const tr__stackdata *src);

/* ---- the loaded trace ---- */
struct tr_trace {
    char *name;          /* path as given, for messages */
    tr_header head;
    tr_event *ev;
    size_t nev;
    tr__wide *wide;      /* see tr__wide */
    size_t nwide;
    uint32_t *lines;     /* line of each event, or NULL when runs say it */
    tr__linerun *runs;
    size_t nruns;
    tr__strtab st;
    char **warn;
    size_t nwarn;

    /* caller chains, modules, on-CPU figures (stack.c); frames symbolised
     * at load (symbols.c), their strings in their own table */
    tr__stackdata sd;
    tr__map stack_idx;  /* stack id -> index in sd.defs */
    tr__frame *frames;
    size_t nframes;
    tr__strtab sym;

    /* model (model.c), valid right after tr_load */
    tr_task *tasks;
    size_t ntasks;
    tr__map task_idx;    /* task id -> index in tasks */
    tr_span *spans;
    size_t nspans;
    uint32_t *span_order; /* span indices by t0 (then event order) */
    uint32_t *wakes;      /* indices of the ready events */
    size_t nwakes;
    tr_work *works;
    size_t nworks;
    tr_idle *idles;
    size_t nidles;
    int64_t *idle_before; /* idle_before[i] = idle time in idles[0..i) */
    tr_summary sum;

    /* facts (facts.c), built with the model: obj id -> name, by id */
    struct tr__objname *objs;
    size_t nobjs;

    /* analysis (analysis.c), after tr_analyze */
    tr_stall *stalls;
    size_t nstalls;
    tr_victim *victims;
    size_t nvictims;
    tr_cycle *cycles;
    size_t ncycles;
    uint32_t *cycle_tasks;
    size_t ncycle_tasks;

    /* causes (cause.c), after tr_analyze */
    tr_cause *causes;
    size_t ncauses;
    uint32_t *cause_victims;
    size_t ncause_victims;
    tr_link *cause_links;
    size_t ncause_links;
    uint32_t *run_spans;  /* RUNNING span indices by t0 */
    size_t nrun_spans;
    uint32_t *run_tree;   /* argmax-by-length segment tree over run_spans */
    int64_t *run_cum;     /* per span: run time in its task's earlier spans */
    struct tr__busy *busy; /* the union of the run slices: disjoint, by t */
    size_t nbusy;
    struct tr__conn *conns; /* connection ends paired, by (fd, t) */
    size_t nconns;
    struct tr__write *writes; /* writes and closes, by (fd, t) */
    size_t nwrites;
    tr__map blame_memo;   /* span -> root span of its blame walk */
    uint32_t *contended;  /* mutexes with a contention cause, sorted: a
                             wait on one is a sink of the walk */
    size_t ncontended;
};

/* ---- facts (facts.c) and causes (cause.c) ---- */
typedef struct tr__objname {
    uint32_t obj, name;
} tr__objname;
/* One end of a connection with both ends in the process: fd, from t,
 * talks to peer_fd, whose end peer_task brought up. fds are the process's,
 * so whichever task reads fd later is woken by whichever writes peer_fd. */
typedef struct tr__conn {
    uint32_t fd, peer_fd;
    int64_t t;
    uint32_t peer_task;
} tr__conn;
/* One stretch of the loop's busy time: the union of run slices that touch
 * or overlap (a bad trace's tasks may run at once), with the busy time of
 * the stretches before it, so sums over a window are two searches. */
typedef struct tr__busy {
    int64_t t0, t1, before;
} tr__busy;
typedef struct tr__write {
    uint32_t task, fd;
    int64_t t;
} tr__write;
/* Bounded text: appends, cutting at a UTF-8 boundary when full. */
typedef struct tr__buf {
    char *p;
    size_t n, len;
} tr__buf;
void tr__app(tr__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tr__objs_build(tr_trace *tr);
/* The wake-up of `task` within [t0, t1] (binary search). 1 and *out, or 0. */
int tr__wakeup_in(const tr_trace *tr, uint32_t task, int64_t t0, int64_t t1, tr_wakeup *out);
/* Indices (in spans) of the longest run slices overlapping [t0, t1),
 * longest first, at most max. */
size_t tr__longest_runs(const tr_trace *tr, int64_t t0, int64_t t1, uint32_t *out, size_t max);
/* The first k in [lo, hi) whose span (tr->spans[idx[k]], or tr->spans[k]
 * when idx is NULL) passes key against x, for spans ordered by it: the
 * one binary search of facts.c and cause.c. */
enum { TR__T0_GE, TR__T0_GT, TR__T1_GT };
size_t tr__span_search(const tr_trace *tr, const uint32_t *idx, size_t lo, size_t hi, int64_t x,
                       int key);
int tr__causes_build(tr_trace *tr, const tr_analysis_opts *o);
void tr__causes_free(tr_trace *tr);
/* Bytes the causes and their indexes hold (for tr_memory). */
size_t tr__causes_memory(const tr_trace *tr);

/* ---- parsing (parse.c): one chunk of lines per thread ---- */
typedef struct tr__loader {
    const char *name;
    int mapped; /* data is our private file mapping: pages may be dropped */
    const tr_load_opts *opts;
    uint64_t total;
    _Atomic uint64_t done; /* bytes parsed, all chunks */
    _Atomic int cancel;
} tr__loader;

typedef struct tr__chunk {
    tr__loader *ld;
    const char *p;
    size_t len;
    int first, last; /* holds line 1 / the file's last line */
    tr_event *ev;
    uint32_t *line;   /* line (in this chunk) of each event */
    size_t nev, cap;
    tr__wide *wide;
    size_t nwide, widecap;
    tr__strtab st;
    uint32_t nlines;
    int err;          /* 0 or negative errno; msg/err_line say what */
    uint32_t err_line;
    char msg[300];
    int have_loop;    /* saw a loop-thread event: first/last t for merge */
    int64_t first_loop_t, last_loop_t;
    uint32_t first_loop_line;
    uint64_t unk_events, unk_fields;
    uint32_t unk_ev_line, unk_field_line;
    char unk_ev[48], unk_field[48];
    int truncated, has_end;
    int64_t end_events, end_dropped;
    int version; /* header (first chunk only) */
    int64_t pid, unix_ns;
    int64_t seed; /* header `seed`, when has_seed */
    int has_seed;
    uint32_t program;
    tr__stackdata sd; /* event indices chunk-local, string ids the chunk's */
    uint64_t reported; /* bytes already added to ld->done */
    const char *released; /* mapped pages before this are dropped */
} tr__chunk;

/* The first unknown kind and field, with absolute line numbers. */
typedef struct tr__unknown {
    char ev[48], field[48];
    unsigned long long ev_line, field_line;
} tr__unknown;

/* Appends chunk c (parsed, no error) to tr: strings re-interned, wide
 * values, stacks and events (lines offset by off). tr->ev and tr->lines
 * must have room for c->nev more, tr->wide for c->nwide more. 0, -ENOMEM
 * or -EINVAL (message set). */
int tr__merge_append(tr_trace *tr, tr__chunk *c, uint64_t off);
/* The rest of a load once tr holds its events in file order with a line
 * each: the sort, line runs, the header's program (string id) and
 * duration, the model, stacks, and the warnings. 0 or a negative errno
 * (message set). */
int tr__finish(tr_trace *tr, uint32_t program, const tr__unknown *u);

/* Parses c's lines (a pthread start routine). */
void *tr__chunk_run(void *chunk);
/* Installs the cJSON hooks and token tables, once per process. */
void tr__parse_init(void);

/* Adds a printf-formatted warning. Returns 0 or -ENOMEM. */
int tr__warn(tr_trace *tr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets this thread's tr_last_error() message. */
void tr__set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Builds tasks, spans, wakeups, works, idles, stats and the summary from the
 * sorted events. Returns 0, -EINVAL (message set: e.g. a task never
 * spawned) or -ENOMEM. */
int tr__model_build(tr_trace *tr);
void tr__model_free(tr_trace *tr);
void tr__analysis_free(tr_trace *tr);

/* Idle time inside [a, b) (binary search over idles). */
int64_t tr__idle_within(const tr_trace *tr, int64_t a, int64_t b);

/* The p-th percentile (nearest rank) of v[0..n); reorders v. 0 if n == 0. */
int64_t tr__percentile(int64_t *v, size_t n, int p);

/* stack.c: merges chunk k's stack data into tr (event indices offset by
 * ev_base, string ids through remap, NULL for the first chunk); around
 * the sort, turns event indices into ranks among loop events and back;
 * after the model, checks references, symbolises (symbols.c) and builds
 * the stack index. Each returns 0, -ENOMEM or -EINVAL (message set). */
int tr__stack_merge(tr_trace *tr, tr__stackdata *c, size_t ev_base, const uint32_t *remap);
void tr__refs_to_ranks(tr_trace *tr);
void tr__refs_from_ranks(tr_trace *tr);
int tr__stack_finish(tr_trace *tr);
void tr__stack_free(tr_trace *tr);
/* Bytes the stack data holds (0 for a trace without), for tr_memory. */
size_t tr__stack_memory(const tr_trace *tr);
/* symbols.c: frames for every stack from the modules' ELF/DWARF (libdw);
 * a module whose file is gone or changed leaves its pcs as addresses. */
int tr__symbolize(tr_trace *tr);

/* Test hook: files (or buffers) larger than this many bytes are parsed in
 * parallel (default 64 MiB). Returns the previous value. */
size_t tr__set_parallel_threshold(size_t bytes);

/* Test hook: the most bytes a stream (pipe, standard input, /proc file)
 * may hold before tr_load fails with -EFBIG (default 1 GiB). Returns the
 * previous value. */
size_t tr__set_stream_limit(size_t bytes);

/* Longest line accepted (longer lines are an error, not a crash). */
#define TR__MAX_LINE ((size_t)1 << 20)

/* The byte parse.c puts before a number's digits when it hands the number
 * to cJSON as a string (see quote_numbers there). */
#define TR__NUM_MARK '\xff'
struct cJSON;
/* Reads the line s[0..n) if it is a flat object of plain members (flat.c):
 * node[0] becomes the object, node[1..] its members (at most max), their
 * names and values in text (n + 1 bytes: a copy of the line). 0, or -1 when the line
 * is not of that shape and must go through cJSON. */
int tr__flat_parse(const char *s, size_t n, char *text, struct cJSON *node, int max);
/* Whether parse.c tries tr__flat_parse before cJSON (1, the default); for
 * tests that compare the two paths. Returns the previous setting. */
int tr__set_flat(int on);

/* a + b for non-negative sums that a hostile trace (overlapping spans, times
 * near INT64_MAX) could overflow: INT64_MAX instead. */
static inline int64_t tr__sat_add(int64_t a, int64_t b)
{
    return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}

#endif
