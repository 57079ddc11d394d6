/* vw_int.h: the viewer's private types, shared by its files.
 * Data flows model (tr_trace + derived indexes) -> view state (vw_state,
 * changed only by vw__apply) -> layout (a vw_drawlist of rects, lines and
 * text) -> renderer. Nothing in this header mentions SDL: only render.c,
 * font.c, input.c and app.c see SDL types. */
#ifndef VW_INT_H
#define VW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "coscope/trace.h"
#include "coscope/tr_replay.h"
#include "coscope/viewer.h"

/* ---- colours and the theme ---- */

typedef struct vw_rgba {
    uint8_t r, g, b, a;
} vw_rgba;

/* The colour of a task state (why is a tr_wait when state is WAITING). */
vw_rgba vw__state_colour(int state, int why);
/* A short name for a state: "running", "ready", "io", "sleep", "done"... */
const char *vw__state_name(int state, int why);
vw_rgba vw__lerp(vw_rgba a, vw_rgba b, double f);

extern const vw_rgba VW_C_BG, VW_C_PANEL, VW_C_LANE_ALT, VW_C_GRID, VW_C_TEXT,
    VW_C_TEXT_DIM, VW_C_ACCENT, VW_C_PLAYHEAD, VW_C_STALL, VW_C_SELECT,
    VW_C_LOOP_BUSY, VW_C_LOOP_IDLE, VW_C_WORK, VW_C_DIM, VW_C_WAKE_IN,
    VW_C_WAKE_OUT;

/* ---- times ---- */

/* An adaptive ruler: the tick step for a window of `span` ns drawn over
 * `px` pixels with ticks at least `min_px` apart (a 1-2-5 series). */
int64_t vw__tick_step(int64_t span, int px, int min_px);
/* The label of a tick at t for ticks of `step`, in the unit that suits the
 * step ("1.2 ms", "350 µs", "2 s"). Returns buf. */
char *vw__tick_label(char *buf, size_t n, int64_t t, int64_t step);
/* A time with a fixed precision for the top bar: "1.234567 s". */
char *vw__fmt_time(char *buf, size_t n, int64_t t);

/* ---- the model: the trace plus indexes the viewer needs ---- */

typedef struct vw_model {
    const tr_trace *tr; /* borrowed: the model never changes or frees it */
    int64_t duration;
    size_t ntasks;
    const tr_task *tasks;
    uint32_t *order;      /* task indexes, depth-first by spawn */
    uint32_t *parent_idx; /* task index of the parent, or UINT32_MAX */
    uint32_t *nchildren;
    uint32_t *depth;   /* in the spawn tree, by task index */
    int64_t *cum_run; /* [nspans+1]: running ns before each span */
    /* the thread pool: works grouped by thread, each group by t0 */
    size_t nthreads;
    uint32_t *thread_ids; /* [nthreads] */
    uint32_t *thread_w0;  /* [nthreads+1]: group bounds in work_idx */
    uint32_t *work_idx;   /* [nworks] indexes into tr_works */
    int64_t *cum_work;    /* [nworks+1] in work_idx order */
    /* annotated spans (co_span_begin / co_span_end, tr_annot_list): by task
     * id then t0; task index i's are [annot0[2i], annot0[2i+1]), and
     * annot_reach[k] is the latest t1 of its task's annots up to k, so the
     * first one reaching into a window is found by binary search */
    tr_annot_span *annots;
    size_t nannots;
    uint32_t *annot0;     /* [2 ntasks + 1] */
    int64_t *annot_reach; /* [nannots] */
    tr_replay_index *replay; /* events' replay numbers (--stop-at) */
} vw_model;

/* Builds the indexes over tr (borrowed; it must outlive the model and be
 * analysed already). Returns 0 or -ENOMEM (then nothing is held). */
int vw__model_init(vw_model *m, const tr_trace *tr);
void vw__model_close(vw_model *m);
/* Task index i's annotated spans: m->annots[*a .. *b). */
void vw__model_annots(const vw_model *m, size_t i, size_t *a, size_t *b);
/* Index of task id in m->tasks, or -1. */
long vw__task_index(const vw_model *m, uint32_t id);

/* ---- lanes ---- */

enum { VW_LANE_LOOP, VW_LANE_POOL, VW_LANE_TASK };

typedef struct vw_lane {
    uint8_t kind;
    uint8_t collapsed;
    uint16_t depth;
    uint32_t id;  /* task id (TASK), thread (POOL), 0 (LOOP) */
    uint32_t idx; /* index in m->tasks (TASK) or in m->thread_ids (POOL) */
    uint32_t nchildren;
} vw_lane;

/* Left offset of a lane label at this spawn depth: 12 px a level, capped
 * so that deep spawn chains keep their names readable. */
/* double -> int64 without undefined behaviour: out-of-range values (a
 * hostile trace's times near INT64_MAX, scaled) clamp, NaN is 0. */
static inline int64_t vw__i64(double v)
{
    if (v != v)
        return 0;
    if (v >= 9223372036854775807.0)
        return INT64_MAX;
    if (v <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)v;
}

/* A pixel coordinate from a double without undefined behaviour: far
 * outside the window (hostile times) it clamps; drawing clips anyway. */
static inline int vw__px(double v)
{
    if (v != v)
        return 0;
    if (v > 1e7)
        return 10000000;
    if (v < -1e7)
        return -10000000;
    return (int)v;
}

/* Saturating int64 arithmetic: a hostile trace's times sit near INT64_MAX
 * and window edges, pans and margins computed from them must not wrap. */
static inline int64_t vw__add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static inline int64_t vw__sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static inline int vw__indent(unsigned depth)
{
    return 12 * (int)(depth < 8 ? depth : 8);
}

/* ---- the view state ---- */

enum { VW_PROMPT_NONE, VW_PROMPT_FILTER, VW_PROMPT_GOTO, VW_PROMPT_OPEN };
enum { VW_DRAG_NONE, VW_DRAG_PAN, VW_DRAG_SCRUB, VW_DRAG_OVERVIEW,
       VW_DRAG_RANGE, VW_DRAG_LABEL };
/* The label column's edge is grabbed this many px either side of it; the
 * column is kept VW_LABEL_MIN px wide at least and leaves the timeline
 * VW_TL_MIN px at least (both at scale 1). */
enum { VW_LABEL_GRAB = 3, VW_LABEL_MIN = 60, VW_TL_MIN = 100 };
enum { VW_RANGE_ROWS = 6 }; /* stalls, causes, tasks the range panel lists */

typedef struct vw_state {
    int w, h; /* window size in pixels */
    double scale; /* the UI scale (1 after init; vw__state_scale) */
    int label_w;  /* the label column's width as dragged, px; 0: default */
    int64_t duration;
    int64_t t0, t1; /* the visible window */
    int64_t playhead;
    long cursor;  /* last event at or before the playhead, -1 */
    double speed; /* trace ns per real ns */
    int playing;
    uint32_t sel_task; /* 0: none */
    long sel_span;     /* index in tr_spans or -1 */
    long sel_stall;    /* index in tr_stalls or -1 */
    long sel_cause;    /* index in tr_causes (rank order) or -1 */
    int prompt;        /* VW_PROMPT_* */
    char prompt_buf[512]; /* a path, for the open prompt */
    char filter[64];
    int scroll;         /* first lane shown */
    uint8_t *collapsed; /* per task index */
    int help;
    int mouse_x, mouse_y; /* for hover tooltips; -1 when outside */
    int drag, drag_moved, drag_x, drag_y;
    int64_t drag_t0, drag_t1;
    char status[128]; /* one line of feedback in the top bar */
    char clip[512];   /* VW_A_COPY's text, for the window's clipboard */
    int clip_ready;   /* clip holds text not yet handed to the clipboard */
    char open_path[512]; /* a trace to open instead (Ctrl+O, a dropped file) */
    int open_ready;      /* open_path is set: the window loads it next */
    vw_lane *lanes;
    size_t nlanes;
    /* Derived data, rebuilt where the state it follows changes, so that
     * drawing only reads: lane_of with the lanes (vw__lanes_refresh), the
     * wake-ups with the selected task (vw__select), the overview's loop
     * busy share per column with the window's width (init, resize). */
    int32_t *lane_of; /* task index -> lane shown, or -1 */
    uint32_t wakes_task;
    uint32_t *wakes; /* indexes of the wake-ups from or to wakes_task */
    size_t nwakes, wakes_cap;
    int ov_cols;
    float *ov_busy;
    /* a time range (Shift+drag) and its figures, computed when the drag
     * ends (tr_range_stats) */
    int has_range, range_ready;
    int64_t range_t0, range_t1, range_anchor;
    tr_range range; /* owned: tr_range_close */
    /* following a trace being written (--follow, live.c): how it goes,
     * the error that stopped it, and live mode (the playhead held at the
     * end, the window following it) */
    int follow; /* VW_FOLLOW_* */
    int live;
    char follow_msg[256];
    int dirty; /* something changed: draw a frame */
    int quit;
} vw_state;

enum { VW_FOLLOW_NONE, VW_FOLLOW_GROWING, VW_FOLLOW_ENDED, VW_FOLLOW_STOPPED };

int vw__state_init(vw_state *st, const vw_model *m, int w, int h);
void vw__state_close(vw_state *st);
/* Sets the UI scale (clamped to VW_SCALE_MIN..MAX) and what follows from
 * the geometry. 0 or -1 when out of memory. */
int vw__state_scale(vw_state *st, const vw_model *m, double scale);
/* Recomputes st->lanes and st->lane_of from collapse and filter. */
int vw__lanes_refresh(vw_state *st, const vw_model *m);
/* Selects task (0: none) and span (-1: none); rebuilds the wake-ups. */
void vw__select(vw_state *st, const vw_model *m, uint32_t task, long span);
/* Sets the playhead (clamped) and the event cursor that goes with it. */
void vw__set_playhead(vw_state *st, const vw_model *m, int64_t t);
/* Moves the window so that t is visible (centred if it was outside). */
void vw__reveal(vw_state *st, int64_t t);
/* Places the view as the options ask: playhead (--at; default the start,
 * or the end for a screenshot), window (--window) and selection
 * (--select, a warning on stderr when there is no such task). */
void vw__state_place(vw_state *st, const vw_model *m, const vw_view_opts *o,
                     int shot);

/* The overview's busy columns for the current width (again when the width
 * or, after ov_cols = 0, the trace changed). 0 or -1 out of memory. */
int vw__overview_refresh(vw_state *st, const vw_model *m);
/* The window [t0, t1) made sane (at least 20 ns, at most twice the trace,
 * half of it over the trace, t1 representable). */
void vw__set_window(vw_state *st, int64_t t0, int64_t t1);
/* The range panel's figures for st->range_t0 .. range_t1. */
void vw__range_done(vw_state *st, const vw_model *m);

/* ---- a trace that grows (live.c) ---- */

/* What the state's indexes pointed at before a follow poll refilled the
 * trace: found again by time afterwards. */
typedef struct vw_keep {
    size_t ntasks;
    int64_t duration;
    int has_span;
    uint32_t span_task;
    int64_t span_t0;
    int has_stall;
    uint32_t stall_task;
    uint8_t stall_kind;
    int64_t stall_t;
} vw_keep;
void vw__keep(const vw_state *st, const vw_model *m, vw_keep *k);
/* After the poll, with m rebuilt over the grown trace: lanes (new tasks
 * appear, collapsed ones stay so), the overview, the cursor, the wake-ups,
 * the selected span and stall looked up again (the cause is cleared: the
 * ranks changed), the range's figures; a window that showed the whole
 * trace grows with it, and in live mode the playhead moves to the end and
 * a window that showed the end follows it. 0, or -1 out of memory. */
int vw__retrace(vw_state *st, const vw_model *m, const vw_keep *k);
/* Live mode on (the playhead to the end, revealed) or off. */
void vw__live(vw_state *st, const vw_model *m, int on);

/* A follow and the model over its trace (app.c polls it, tests too). */
struct vw__fetch;
typedef struct vw_follower {
    tr_follow *f;
    vw_model m;     /* over tr_follow_trace(f), once it appeared */
    int have_model;
    int64_t interval_ns; /* between polls: 250 ms, or 4x a slow refresh */
    int64_t next_ns;     /* the monotonic time of the next poll */
    struct vw__fetch *job; /* a fetch under way (live.c) */
    char msg[256];         /* the last failed poll's message */
} vw_follower;
/* One poll: when it added events the trace is analysed, the model rebuilt
 * and the state retraced (vw__keep before, vw__retrace after); st->follow
 * and follow_msg say how it goes. Returns the events added, or a negative
 * errno (a bad line: fw->msg and st say which, the last good trace stays;
 * -ENOMEM: the model is gone, quit). st may be NULL (no view yet). */
long vw__follow_step(vw_follower *fw, vw_state *st);
/* The same in two halves: start reads, rebuilds and analyses on a worker
 * thread (here when no thread can start; 0 or -ENOMEM); ready says it is
 * done; finish (on the window's thread) swaps the trace and model in and
 * retraces st, returning what vw__follow_step returns. */
int vw__follow_start(vw_follower *fw);
int vw__follow_ready(const vw_follower *fw);
long vw__follow_finish(vw_follower *fw, vw_state *st);
/* Waits for a fetch under way, frees everything, zeroes fw. */
void vw__follow_close(vw_follower *fw);
/* The state in one line for the tests' follow script: "events=N tasks=N
 * lanes=N duration=NS playhead=NS window=T0..T1 live=0|1 follow=WORD". */
size_t vw__state_dump(const vw_state *st, const vw_model *m, char *buf, size_t n);
/* The monotonic clock in ns (live.c's pacing; no SDL). */
int64_t vw__now_ns(void);

/* ---- actions: what input means, applied in one place ---- */

typedef enum vw_action_kind {
    VW_A_NONE = 0,
    VW_A_QUIT,
    VW_A_PLAY_TOGGLE,
    VW_A_SPEED_DOWN,
    VW_A_SPEED_UP,
    VW_A_HOME,
    VW_A_END,
    VW_A_STEP_NEXT,
    VW_A_STEP_PREV,
    VW_A_STEP_TASK_NEXT,
    VW_A_STEP_TASK_PREV,
    VW_A_STALL_NEXT,
    VW_A_STALL_PREV,
    VW_A_GOTO,    /* opens the "go to" prompt */
    VW_A_FILTER,  /* opens the filter prompt */
    VW_A_ZOOM_IN, /* W: zoom in around the playhead */
    VW_A_ZOOM_OUT,
    VW_A_PAN_LEFT,
    VW_A_PAN_RIGHT,
    VW_A_ZOOM_AT, /* wheel: x, amount (+ in, - out) */
    VW_A_SCROLL,  /* amount lanes (+ down) */
    VW_A_FIT,
    VW_A_HELP,
    VW_A_COLLAPSE, /* toggles the selected task's children */
    VW_A_SELECT_UP,
    VW_A_SELECT_DOWN,
    VW_A_ESCAPE,
    VW_A_PROMPT_TEXT, /* text */
    VW_A_PROMPT_BACK,
    VW_A_PROMPT_ACCEPT,
    VW_A_MOUSE_DOWN, /* x, y; amount 1: with Shift (a range selection) */
    VW_A_MOUSE_MOVE, /* x, y */
    VW_A_MOUSE_UP,   /* x, y */
    VW_A_MOUSE_LEAVE,
    VW_A_RESIZE, /* x = w, y = h */
    VW_A_TICK,   /* amount = real ns elapsed while playing */
    VW_A_COPY,   /* the selection as text into st->clip (Ctrl+C) */
    VW_A_OPEN,   /* opens the "open trace" prompt (Ctrl+O) */
    VW_A_LIVE,   /* toggles live: the playhead held at a growing trace's end */
    VW_A_COPY_REPLAY, /* the replay command stopping at the event into st->clip */
    VW_A_DROP,   /* path: a file dropped on the window, opened next */
    VW_A__COUNT
} vw_action_kind;

typedef struct vw_action {
    int kind;
    int x, y;
    double amount;
    char text[32];
    const char *path; /* VW_A_DROP: the event's, borrowed for the apply */
} vw_action;

/* Applies one action; sets st->dirty when anything visible changed. */
void vw__apply(vw_state *st, const vw_model *m, const vw_action *a);
const char *vw__action_name(int kind);

/* The key bindings (input.c): one table feeds the translator and the help
 * (the ? overlay, --help). key is an SDL keycode (SDLK_*, an int, so this
 * header needs no SDL), 0 for a mouse binding listed only as help. */
enum { VW_MOD_SHIFT = 1, VW_MOD_CTRL = 2 };
typedef struct vw_key {
    int32_t key;
    uint8_t mods;      /* VW_MOD_* held, exactly (Shift alone also finds 0) */
    uint8_t in_prompt; /* applies while a prompt is open (and only then) */
    uint8_t action;    /* VW_A_* */
    int8_t amount;     /* the action's amount (lanes to scroll) */
    const char *label; /* the help row; a row repeating the label above it
                          shares that line; NULL: not listed */
    const char *help;
} vw_key;
extern const vw_key vw__keymap[]; /* ends with key 0 and label NULL */
/* The help's rows: how many, and row i's keys and text (1, or 0 past the
 * end). help may be NULL. */
size_t vw__help_rows(void);
int vw__help_row(size_t i, const char **label, const char **help);

/* ---- the draw list ---- */

enum { VW_CMD_RECT, VW_CMD_FRAME, VW_CMD_LINE, VW_CMD_TEXT, VW_CMD_CLIP };
enum { VW_FONT_NORMAL, VW_FONT_BOLD, VW_FONT_SMALL, VW_FONT__COUNT };

/* What a command draws, so tests can find it. */
enum {
    VW_R_NONE,
    VW_R_BG,
    VW_R_LANE,    /* lane background */
    VW_R_LABEL,   /* lane label text (task = id) */
    VW_R_SPAN,    /* one state span (task, state, why) */
    VW_R_DENSITY, /* merged sub-pixel spans */
    VW_R_LOOP,    /* loop busy/idle */
    VW_R_WORK,    /* thread-pool work */
    VW_R_DIM,     /* the dimmed future */
    VW_R_PLAYHEAD,
    VW_R_TICK,
    VW_R_TICK_LABEL,
    VW_R_STALL,
    VW_R_WAKE,
    VW_R_OVERVIEW,
    VW_R_VIEWPORT, /* the visible window on the overview */
    VW_R_PANEL,
    VW_R_LOG,
    VW_R_LOG_CURRENT,
    VW_R_HELP,
    VW_R_TOOLTIP,
    VW_R_LEGEND,
    VW_R_SELECT,
    VW_R_MESSAGE,
    VW_R_PROGRESS,
    VW_R_TOPBAR,
    VW_R_RANGE,     /* the Shift+drag range: its band and its histogram bars */
    VW_R_CHAIN,     /* the selected cause's chain: spans and links */
    VW_R_CHAIN_DIM, /* the veil over everything else */
    VW_R_ANNOT      /* an annotated span (co_span_begin / end) under a lane */
};

typedef struct vw_cmd {
    uint8_t kind, font, role, state;
    uint8_t why, pad[3];
    int32_t x, y, w, h; /* LINE: from (x,y) to (x+w, y+h) */
    vw_rgba c;
    uint32_t task;      /* lane's task id, if any */
    int32_t lane;       /* index in st->lanes, or -1 */
    uint32_t text, len; /* TEXT: bytes in the list's text pool */
} vw_cmd;

typedef struct vw_drawlist {
    vw_cmd *cmds;
    size_t n, cap;
    char *text;
    size_t tn, tcap;
    int oom;
} vw_drawlist;

void vw__dl_init(vw_drawlist *dl);
void vw__dl_reset(vw_drawlist *dl);
void vw__dl_close(vw_drawlist *dl);
/* Each returns the new command (for tagging), or NULL when out of memory
 * (then dl->oom is set and drawing just stops). */
vw_cmd *vw__dl_rect(vw_drawlist *dl, int role, int x, int y, int w, int h,
                    vw_rgba c);
vw_cmd *vw__dl_frame(vw_drawlist *dl, int role, int x, int y, int w, int h,
                     vw_rgba c);
vw_cmd *vw__dl_line(vw_drawlist *dl, int role, int x0, int y0, int x1, int y1,
                    vw_rgba c);
vw_cmd *vw__dl_text(vw_drawlist *dl, int role, int font, int x, int y,
                    vw_rgba c, const char *s);
/* Clip rect for what follows; w == 0 turns clipping off. */
vw_cmd *vw__dl_clip(vw_drawlist *dl, int x, int y, int w, int h);
const char *vw__dl_str(const vw_drawlist *dl, const vw_cmd *c);

/* ---- layout ---- */

/* Text measurement, supplied by the renderer (or a fake in tests). */
typedef struct vw_measure {
    int (*text_w)(void *ctx, int font, const char *s);
    void *ctx;
    int line_h; /* height of a text line, px */
} vw_measure;

/* Where everything goes for a window of w x h. */
typedef struct vw_geom {
    int w, h;
    int top_y, top_h;
    int ov_y, ov_h;
    int ruler_y, ruler_h;
    int lanes_y, lanes_h;
    int legend_y, legend_h;
    int label_x, label_w;
    int tl_x, tl_w;
    int panel_x, panel_w;
    int lane_h;
    double scale;
    int font_px; /* the normal and bold text's size at this scale */
} vw_geom;

/* The UI scale (--scale, else the display's DPI / 96): text sizes, bar and
 * lane heights and the side columns' widths are these px at scale 1 times
 * the scale. */
#define VW_SCALE_MIN 0.5
#define VW_SCALE_MAX 4.0
enum { VW_FONT_PX = 13, VW_FONT_SMALL_PX = 12 };

void vw__geom(vw_geom *g, int w, int h); /* at scale 1 */
void vw__geom_at(vw_geom *g, int w, int h, double scale);
/* The state's geometry: its size and scale, and the label column as wide
 * as st->label_w (clamped) when the user dragged its edge. */
struct vw_state;
void vw__geom_st(vw_geom *g, const struct vw_state *st);
/* Time <-> x over the timeline for the state's window. */
double vw__x_of(const vw_geom *g, const vw_state *st, int64_t t);
int64_t vw__t_of(const vw_geom *g, const vw_state *st, double x);
/* Lane under y, or -1. */
long vw__lane_at(const vw_geom *g, const vw_state *st, int y);
/* Visible lane rows. */
int vw__lanes_visible(const vw_geom *g);

/* Lays out one frame of the trace view. */
void vw__layout(vw_drawlist *dl, const vw_state *st, const vw_model *m,
                const vw_measure *ms);
/* The frame shown while loading: a progress bar at done/total. */
void vw__layout_loading(vw_drawlist *dl, int w, int h, const char *path,
                        double frac, const vw_measure *ms);
/* Parts of the frame (layout_panels.c). */
void vw__layout_panels(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                       const vw_model *m, const vw_measure *ms);
void vw__layout_help(vw_drawlist *dl, const vw_geom *g, const vw_measure *ms);
/* The selection as one line of text (copy.c): the selected stall, else
 * span, else the event at the cursor; "" when there is none. Returns its
 * length (snprintf's: it may have been cut at n). */
/* The command that replays the run and stops right before the event at
 * the cursor: "coscope replay TRACE --stop-at N -- PROG" (TRACE and PROG
 * quoted for a shell when they need it; PROG is the header's program name:
 * its path and arguments are not in the trace); 0 when the cursor is on no
 * event or on one without a number (a pool thread's). */
size_t vw__replay_text(const vw_state *st, const vw_model *m, char *buf, size_t n);
size_t vw__selection_text(const vw_state *st, const vw_model *m, char *buf,
                          size_t n);
/* One event as a line of text for the log and the detail panel. */
char *vw__fmt_event(char *buf, size_t n, const vw_model *m, size_t i);
/* s, or s cut into out with an ellipsis so that it fits in maxw px. */
const char *vw__fit_text(const vw_measure *ms, int font, const char *s,
                         int maxw, char *out, size_t n);
enum { VW_PATH_MAX = 4096 }; /* a trace's path in the window's loop */

/* What the viewer remembers between runs (memory.c), in
 * $XDG_STATE_HOME/coscope/view-state (default ~/.local/state). */
typedef struct vw_memory {
    int has_window;
    int x, y, w, h; /* the window's position and size */
    int has_view;   /* the trace's view: */
    int64_t t0, t1; /* the visible window */
    uint32_t sel_task;
} vw_memory;
/* A trace's key: its absolute path. 0, or -1 when it cannot be resolved. */
int vw__memory_key(const char *trace, char *key, size_t n);
/* The window and (when key is not NULL) that trace's view. 0 (maybe
 * nothing remembered), or -1 when the file is corrupt: a warning on stderr
 * and *m left empty. */
int vw__memory_load(const char *key, vw_memory *m);
/* Writes m as the window and key's view, keeping the other traces' views.
 * 0 or -1 (the directory or file cannot be written). */
int vw__memory_save(const char *key, const vw_memory *m);
/* The remembered view onto the state: window (clamped to the trace),
 * selection (when the task exists). */
void vw__memory_apply(vw_state *st, const vw_model *m, const vw_memory *mem);
/* The state's view into mem (the window fields are the caller's). */
void vw__memory_of(vw_memory *mem, const vw_state *st);
/* The window title for a trace file: "name.jsonl — coscope" (app.c). */
char *vw__title(char *buf, size_t n, const char *path);
/* The UI scale: `opt` (--scale) when > 0, else a display's dpi over 96,
 * clamped to VW_SCALE_MIN..MAX; 1 when dpi <= 0 (not known, headless). */
double vw__scale_for(double opt, double dpi);
/* An object as "name (obj id)", or "obj id" when it has no name: the
 * CLI's words (tr_obj_name). */
char *vw__fmt_obj(char *buf, size_t n, const vw_model *m, uint32_t obj);
/* A task as "name (id)", like the CLI. */
char *vw__fmt_task(char *buf, size_t n, const vw_model *m, uint32_t id);

#endif
