/* state.c: the view state and the one place actions change it. Input
 * (input.c) only says what the user meant; this file decides what that does
 * to the window, the playhead, the selection and the prompts, so every key
 * can be tested without SDL. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/tr_args.h"
#include "vw_int.h"

static const char *const action_names[VW_A__COUNT] = {
    "none",
    "quit",
    "play_toggle",
    "speed_down",
    "speed_up",
    "home",
    "end",
    "step_next",
    "step_prev",
    "step_task_next",
    "step_task_prev",
    "stall_next",
    "stall_prev",
    "goto",
    "filter",
    "zoom_in",
    "zoom_out",
    "pan_left",
    "pan_right",
    "zoom_at",
    "scroll",
    "fit",
    "help",
    "collapse",
    "select_up",
    "select_down",
    "escape",
    "prompt_text",
    "prompt_back",
    "prompt_accept",
    "mouse_down",
    "mouse_move",
    "mouse_up",
    "mouse_leave",
    "resize",
    "tick",
    "copy",
    "open",
    "live",
    "copy_replay",
    "drop",
};

const char *vw__action_name(int kind)
{
    return kind >= 0 && kind < VW_A__COUNT ? action_names[kind] : "?";
}

static const int64_t min_window = 20; /* ns */

/* The overview's loop busy share per timeline column: it follows only the
 * window's width, so it is computed here, on init and resize. */
int vw__overview_refresh(vw_state *st, const vw_model *m)
{
    vw_geom g;
    vw__geom_st(&g, st);
    if (st->ov_busy && st->ov_cols == g.tl_w)
        return 0;
    float *busy = realloc(st->ov_busy, (size_t)g.tl_w * sizeof *busy);
    if (!busy)
        return -1;
    st->ov_busy = busy;
    st->ov_cols = g.tl_w;
    int64_t dur = st->duration > 0 ? st->duration : 1;
    for (int x = 0; x < g.tl_w; x++) {
        int64_t a = vw__i64((double)dur * x / g.tl_w);
        int64_t b = vw__i64((double)dur * (x + 1) / g.tl_w);
        busy[x] = b > a ? (float)(1.0 - (double)tr_idle_within(m->tr, a, b) /
                                            (double)(b - a))
                        : 0.0f;
    }
    return 0;
}

/* The wake-ups from or to the selected task, for the arrows. */
static void wakes_refresh(vw_state *st, const vw_model *m)
{
    uint32_t task = st->sel_task;
    if (task == st->wakes_task)
        return;
    st->nwakes = 0;
    st->wakes_task = task;
    size_t n = task ? tr_nwakeups(m->tr) : 0;
    for (size_t i = 0; i < n; i++) {
        tr_wakeup w = tr_wakeup_get(m->tr, i);
        if (w.from != task && w.to != task)
            continue;
        if (st->nwakes == st->wakes_cap) {
            size_t cap = st->wakes_cap ? st->wakes_cap * 2 : 256;
            uint32_t *p = realloc(st->wakes, cap * sizeof *p);
            if (!p) {
                st->wakes_task = 0; /* arrows missing, retried next time */
                return;
            }
            st->wakes = p;
            st->wakes_cap = cap;
        }
        st->wakes[st->nwakes++] = (uint32_t)i;
    }
}

void vw__select(vw_state *st, const vw_model *m, uint32_t task, long span)
{
    st->sel_task = task;
    st->sel_span = span;
    wakes_refresh(st, m);
    st->dirty = 1;
}

int vw__state_init(vw_state *st, const vw_model *m, int w, int h)
{
    memset(st, 0, sizeof *st);
    st->w = w;
    st->h = h;
    st->scale = 1.0;
    st->duration = m->duration;
    st->t0 = 0;
    st->t1 = m->duration > 0 ? m->duration : 1000000;
    st->cursor = -1;
    st->speed = 1.0;
    st->sel_span = -1;
    st->sel_stall = -1;
    st->sel_cause = -1;
    st->mouse_x = st->mouse_y = -1;
    st->dirty = 1;
    st->collapsed = calloc(m->ntasks + 1, 1);
    if (!st->collapsed)
        return -1;
    if (vw__lanes_refresh(st, m) != 0 || vw__overview_refresh(st, m) != 0) {
        vw__state_close(st);
        return -1;
    }
    vw__set_playhead(st, m, 0);
    return 0;
}

int vw__state_scale(vw_state *st, const vw_model *m, double scale)
{
    if (!(scale >= VW_SCALE_MIN))
        scale = scale > VW_SCALE_MAX ? VW_SCALE_MAX : VW_SCALE_MIN;
    if (scale > VW_SCALE_MAX)
        scale = VW_SCALE_MAX;
    st->scale = scale;
    st->dirty = 1;
    /* the label column's width follows the scale, so does the timeline's */
    return vw__overview_refresh(st, m);
}

void vw__state_close(vw_state *st)
{
    if (!st)
        return;
    tr_range_close(&st->range);
    free(st->collapsed);
    free(st->lanes);
    free(st->lane_of);
    free(st->wakes);
    free(st->ov_busy);
    st->collapsed = NULL;
    st->lanes = NULL;
    st->lane_of = NULL;
    st->wakes = NULL;
    st->ov_busy = NULL;
}

void vw__set_playhead(vw_state *st, const vw_model *m, int64_t t)
{
    if (t < 0)
        t = 0;
    if (t > st->duration)
        t = st->duration;
    st->playhead = t;
    /* the cursor is the last event at or before t */
    size_t i = tr_event_at(m->tr, t == INT64_MAX ? t : t + 1);
    st->cursor = (long)i - 1;
    st->dirty = 1;
}

/* The window [t0, t1) made sane: at least min_window wide, at most twice
 * the trace, at least half of it over the trace, and representable (t1 never
 * passes INT64_MAX, whatever times a hostile trace holds). */
void vw__set_window(vw_state *st, int64_t t0, int64_t t1)
{
    /* the width and centre in unsigned arithmetic: t1 - t0 may not fit */
    uint64_t width = t1 > t0 ? (uint64_t)t1 - (uint64_t)t0 : 0;
    int64_t c = (int64_t)((uint64_t)t0 + width / 2);
    int64_t dur = st->duration > 0 ? st->duration : 0;
    uint64_t max_w = dur > 0 ? (uint64_t)dur * 2 : 2000000;
    if (max_w > INT64_MAX)
        max_w = INT64_MAX;
    if (width < (uint64_t)min_window)
        width = (uint64_t)min_window;
    if (width > max_w)
        width = max_w;
    int64_t w = (int64_t)width;
    t0 = vw__sub(c, w / 2);
    /* keep at least half the window over the trace */
    if (t0 < -(w / 2))
        t0 = -(w / 2);
    if (t0 > dur - w / 2)
        t0 = dur - w / 2;
    if (t0 > INT64_MAX - w)
        t0 = INT64_MAX - w;
    st->t0 = t0;
    st->t1 = t0 + w;
    st->dirty = 1;
}

void vw__reveal(vw_state *st, int64_t t)
{
    if (t >= st->t0 && t <= st->t1)
        return;
    int64_t width = st->t1 - st->t0;
    int64_t t0 = vw__sub(t, width / 2);
    vw__set_window(st, t0, vw__add(t0, width));
}

static void zoom_around(vw_state *st, int64_t c, double factor)
{
    double w0 = (double)(st->t1 - st->t0);
    double nw = w0 / factor;
    /* keep c at the same x; in doubles, as c - t0 may not fit */
    double left = ((double)c - (double)st->t0) / w0;
    int64_t t0 = vw__sub(c, vw__i64(round(nw * left)));
    vw__set_window(st, t0, vw__add(t0, vw__i64(round(nw))));
}

static void select_cause(vw_state *st, const vw_model *m, long i);

/* --select: the task as every command reads one (tr_parse_task), its span
 * at the playhead selected. One the trace does not have is a warning, as
 * the window still has a trace to show. */
static void place_select(vw_state *st, const vw_model *m, const char *task)
{
    uint32_t id = 0;
    int rc = tr_parse_task(m->tr, task, &id);
    if (rc == 0 && !tr_task_by_id(m->tr, id))
        rc = -ENOENT; /* the loop: no task record to select */
    if (rc == -EEXIST) {
        fprintf(stderr, "coscope: warning: --select %s: several tasks have that name; give an id\n",
                task);
    } else if (rc != 0) {
        fprintf(stderr, "coscope: warning: --select %s: no such task\n", task);
    } else {
        size_t s = tr_span_find(m->tr, id, st->playhead);
        vw__select(st, m, id, s == SIZE_MAX ? -1 : (long)s);
    }
}

void vw__state_place(vw_state *st, const vw_model *m, const vw_view_opts *o,
                     int shot)
{
    int64_t at = o->has_at ? o->at : shot ? st->duration : 0;
    vw__set_playhead(st, m, at);
    if (o->window > 0) {
        /* the window as asked, even past the trace's end (no clamps), but
         * never past INT64_MAX */
        int64_t t0 = st->playhead - o->window / 2;
        if (t0 < 0)
            t0 = 0;
        if (t0 > INT64_MAX - o->window)
            t0 = INT64_MAX - o->window;
        st->t0 = t0;
        st->t1 = t0 + o->window;
    }
    if (o->cause > 0) {
        if ((size_t)o->cause > tr_ncauses(m->tr))
            fprintf(stderr, "coscope: warning: --cause %d: the trace has %zu\n",
                    o->cause, tr_ncauses(m->tr));
        else
            select_cause(st, m, o->cause - 1);
    }
    if (o->select)
        place_select(st, m, o->select);
    st->dirty = 1;
}

static void step_event(vw_state *st, const vw_model *m, int dir, int own_task)
{
    size_t n = tr_nevents(m->tr);
    const tr_event *ev = tr_events(m->tr);
    uint32_t task = own_task ? st->sel_task : 0;
    if (own_task && task == 0) {
        snprintf(st->status, sizeof st->status,
                 "select a task first (click a lane)");
        st->dirty = 1;
        return;
    }
    long i = st->cursor;
    for (;;) {
        i += dir;
        if (i < 0 || (size_t)i >= n)
            return; /* nothing further that way: stay */
        if (!own_task || ev[i].task == task)
            break;
    }
    st->playing = 0;
    st->playhead = ev[i].t;
    st->cursor = i;
    st->status[0] = '\0';
    if (ev[i].task) {
        size_t s = tr_span_find(m->tr, ev[i].task, ev[i].t);
        if (own_task || st->sel_task == ev[i].task)
            vw__select(st, m, ev[i].task, s == SIZE_MAX ? -1 : (long)s);
    }
    vw__reveal(st, st->playhead);
    st->dirty = 1;
}

static void goto_stall(vw_state *st, const vw_model *m, int dir)
{
    size_t n = tr_nstalls(m->tr);
    const tr_stall *s = tr_stalls(m->tr);
    long i;
    if (st->sel_stall >= 0 && (size_t)st->sel_stall < n &&
        s[st->sel_stall].t == st->playhead) {
        i = st->sel_stall + dir;
    } else if (dir > 0) {
        /* from nothing selected, a stall right at the playhead is next */
        int64_t after = st->sel_stall < 0 ? st->playhead - 1 : st->playhead;
        for (i = 0; (size_t)i < n && s[i].t <= after; i++)
            ;
    } else {
        for (i = (long)n - 1; i >= 0 && s[i].t >= st->playhead; i--)
            ;
    }
    if (i < 0 || (size_t)i >= n) {
        snprintf(st->status, sizeof st->status, "no %s stall",
                 dir > 0 ? "later" : "earlier");
        st->dirty = 1;
        return;
    }
    st->playing = 0;
    st->sel_stall = i;
    st->sel_cause = -1;
    vw__set_playhead(st, m, s[i].t);
    vw__select(st, m, s[i].task,
                s[i].span < tr_nspans(m->tr) ? (long)s[i].span : -1);
    /* show the whole stall when it fits in a reasonable zoom */
    int64_t width = st->t1 - st->t0, t = s[i].t;
    if (t < st->t0 || vw__add(t, s[i].dur) > st->t1) {
        int64_t d = s[i].dur > 0 ? s[i].dur : width;
        int64_t t0 = vw__sub(t, width / 4);
        if (d < width && t0 >= vw__sub(st->t0, width))
            vw__set_window(st, t0, vw__add(t0, width));
        else
            vw__set_window(st, vw__sub(t, d / 4), vw__add(vw__add(t, d), d / 4));
    }
    st->status[0] = '\0';
}

/* Selects cause i: its root task and span, the playhead at its start and
 * a window over its chain (or its period, for an aggregate), the cause in
 * words on the status line. */
static void select_cause(vw_state *st, const vw_model *m, long i)
{
    const tr_cause *c = &tr_causes(m->tr)[i];
    const tr_link *l = tr_cause_links(m->tr) + c->link0;
    const tr_span *sp = tr_spans(m->tr);
    size_t ns = tr_nspans(m->tr);
    int64_t a = c->t, b = vw__add(c->t, c->dur > 0 ? c->dur : 0);
    for (uint32_t k = 0; k < c->nlinks; k++)
        if (l[k].span < ns) {
            a = sp[l[k].span].t0 < a ? sp[l[k].span].t0 : a;
            b = sp[l[k].span].t1 > b ? sp[l[k].span].t1 : b;
        }
    st->playing = 0;
    st->sel_cause = i;
    st->sel_stall = -1;
    vw__set_playhead(st, m, c->t);
    vw__select(st, m, c->task, c->span < ns ? (long)c->span : -1);
    int64_t margin = vw__sub(b, a) / 10;
    if (margin < 1000)
        margin = 1000;
    vw__set_window(st, vw__sub(a, margin), vw__add(b, margin));
    char what[100];
    tr_cause_describe(m->tr, c, what, sizeof what);
    snprintf(st->status, sizeof st->status, "cause %ld of %zu: %.80s", i + 1,
             tr_ncauses(m->tr), what);
}

/* n / N: the causes in rank order; a trace without causes (a deadlock, no
 * stall) walks its stalls by time instead. */
static void goto_cause(vw_state *st, const vw_model *m, int dir)
{
    size_t n = tr_ncauses(m->tr);
    if (n == 0) {
        goto_stall(st, m, dir);
        return;
    }
    long i = st->sel_cause < 0 ? (dir > 0 ? 0 : (long)n - 1)
                               : st->sel_cause + dir;
    if (i < 0 || (size_t)i >= n) {
        snprintf(st->status, sizeof st->status, "no %s cause",
                 dir > 0 ? "lower-ranked" : "higher-ranked");
        st->dirty = 1;
        return;
    }
    select_cause(st, m, i);
}

static void fit(vw_state *st, const vw_model *m)
{
    int64_t a = 0, b = st->duration;
    const tr_span *sp = tr_spans(m->tr);
    if (st->sel_span >= 0 && (size_t)st->sel_span < tr_nspans(m->tr)) {
        a = sp[st->sel_span].t0;
        b = sp[st->sel_span].t1;
    } else if (st->sel_task) {
        const tr_task *t = tr_task_by_id(m->tr, st->sel_task);
        if (t) {
            a = t->spawn_t;
            b = t->exit_t >= 0 ? t->exit_t : st->duration;
        }
    }
    if (b <= a)
        b = vw__add(a, 1000000);
    int64_t margin = vw__sub(b, a) / 20;
    if (st->sel_span < 0 && st->sel_task == 0)
        margin = 0;
    vw__set_window(st, vw__sub(a, margin), vw__add(b, margin));
}

static const double speeds[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                0.2,   0.5,   1,     2,    5,    10,   20,
                                50,    100,   200,   500,  1000};

static void change_speed(vw_state *st, int dir)
{
    size_t n = sizeof speeds / sizeof speeds[0], k = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(log(speeds[i] / st->speed)) < fabs(log(speeds[k] / st->speed)))
            k = i;
    if (dir < 0 && k > 0)
        k--;
    if (dir > 0 && k + 1 < n)
        k++;
    st->speed = speeds[k];
    st->dirty = 1;
}

static long lane_of_task(const vw_state *st, uint32_t task)
{
    for (size_t i = 0; i < st->nlanes; i++)
        if (st->lanes[i].kind == VW_LANE_TASK && st->lanes[i].id == task)
            return (long)i;
    return -1;
}

static void clamp_scroll(vw_state *st)
{
    vw_geom g;
    vw__geom_st(&g, st);
    int vis = vw__lanes_visible(&g);
    int max = (int)st->nlanes - vis;
    if (st->scroll > max)
        st->scroll = max;
    if (st->scroll < 0)
        st->scroll = 0;
}

static void select_step(vw_state *st, const vw_model *m, int dir)
{
    long cur = lane_of_task(st, st->sel_task);
    long i = cur < 0 ? (dir > 0 ? -1 : (long)st->nlanes) : cur;
    for (i += dir; i >= 0 && (size_t)i < st->nlanes; i += dir)
        if (st->lanes[i].kind == VW_LANE_TASK)
            break;
    if (i < 0 || (size_t)i >= st->nlanes)
        return;
    size_t s = tr_span_find(m->tr, st->lanes[i].id, st->playhead);
    vw__select(st, m, st->lanes[i].id, s == SIZE_MAX ? -1 : (long)s);
    vw_geom g;
    vw__geom_st(&g, st);
    int vis = vw__lanes_visible(&g);
    if (i < st->scroll)
        st->scroll = (int)i;
    if (i >= st->scroll + vis)
        st->scroll = (int)i - vis + 1;
    clamp_scroll(st);
}

static void toggle_collapse(vw_state *st, const vw_model *m, uint32_t task)
{
    long i = vw__task_index(m, task);
    if (i < 0 || m->nchildren[i] == 0)
        return;
    st->collapsed[i] = !st->collapsed[i];
    vw__lanes_refresh(st, m);
    clamp_scroll(st);
    st->dirty = 1;
}

/* A click (press and release without a drag) at x, y. */
static void click(vw_state *st, const vw_model *m, int x, int y)
{
    vw_geom g;
    vw__geom_st(&g, st);
    if (y >= g.ruler_y && y < g.ruler_y + g.ruler_h && x >= g.tl_x &&
        x < g.tl_x + g.tl_w) {
        vw__set_playhead(st, m, vw__t_of(&g, st, x));
        return;
    }
    long li = vw__lane_at(&g, st, y);
    if (li < 0 || x >= g.panel_x)
        return;
    const vw_lane *l = &st->lanes[li];
    if (l->kind != VW_LANE_TASK) {
        vw__select(st, m, 0, -1);
        return;
    }
    if (x < g.tl_x) {
        int tri = g.label_x + 6 + vw__indent(l->depth);
        if (l->nchildren && x >= tri - 2 && x < tri + 14)
            toggle_collapse(st, m, l->id);
        else
            vw__select(st, m, l->id, -1);
        return;
    }
    int64_t t = vw__t_of(&g, st, x);
    size_t s = tr_span_find(m->tr, l->id, t);
    vw__select(st, m, l->id, s == SIZE_MAX ? -1 : (long)s);
    st->sel_stall = -1;
    st->sel_cause = -1;
}

/* The range's figures, once the drag that makes it ends: the tracer's
 * tr_range_stats, what `coscope stats --range` prints. O(spans), so not on
 * every mouse move. */
void vw__range_done(vw_state *st, const vw_model *m)
{
    tr_range_close(&st->range);
    st->range_ready = 0;
    if (!st->has_range || st->range_t1 <= st->range_t0) {
        st->has_range = 0;
        return;
    }
    if (tr_range_stats(m->tr, st->range_t0, st->range_t1, &st->range) != 0) {
        snprintf(st->status, sizeof st->status, "out of memory for the range's figures");
        return;
    }
    st->range_ready = 1;
}

static void mouse_down(vw_state *st, int x, int y, int shift)
{
    vw_geom g;
    vw__geom_st(&g, st);
    st->drag_x = x;
    st->drag_y = y;
    st->drag_moved = 0;
    st->drag_t0 = st->t0;
    st->drag_t1 = st->t1;
    int in_tl = x >= g.tl_x && x < g.tl_x + g.tl_w;
    if (abs(x - g.tl_x) <= VW_LABEL_GRAB && y >= g.lanes_y &&
        y < g.lanes_y + g.lanes_h) {
        st->drag = VW_DRAG_LABEL; /* the label column's edge */
        st->label_w = g.label_w;
    } else if (shift && in_tl && y >= g.lanes_y && y < g.lanes_y + g.lanes_h) {
        st->drag = VW_DRAG_RANGE;
        st->range_anchor = vw__t_of(&g, st, x);
        st->has_range = st->range_ready = 0;
    } else if (in_tl && y >= g.ruler_y && y < g.ruler_y + g.ruler_h)
        st->drag = VW_DRAG_SCRUB;
    else if (in_tl && y >= g.ov_y && y < g.ov_y + g.ov_h)
        st->drag = VW_DRAG_OVERVIEW;
    else
        st->drag = VW_DRAG_PAN;
}

static void mouse_move(vw_state *st, const vw_model *m, int x, int y)
{
    vw_geom g;
    vw__geom_st(&g, st);
    st->mouse_x = x;
    st->mouse_y = y;
    st->dirty = 1;
    if (!st->drag)
        return;
    if (abs(x - st->drag_x) + abs(y - st->drag_y) > 3)
        st->drag_moved = 1;
    if (st->drag == VW_DRAG_LABEL) {
        st->label_w = x - g.label_x; /* clamped by vw__geom_st */
        vw__geom_st(&g, st);
        st->label_w = g.label_w;
        vw__overview_refresh(st, m); /* the timeline's width changed */
    } else if (st->drag == VW_DRAG_RANGE) {
        int64_t t = vw__t_of(&g, st, x);
        st->range_t0 = t < st->range_anchor ? t : st->range_anchor;
        st->range_t1 = t < st->range_anchor ? st->range_anchor : t;
        st->has_range = st->range_t1 > st->range_t0;
    } else if (st->drag == VW_DRAG_SCRUB) {
        st->playing = 0;
        vw__set_playhead(st, m, vw__t_of(&g, st, x));
    } else if (st->drag == VW_DRAG_OVERVIEW) {
        double f = (double)(x - g.tl_x) / g.tl_w;
        int64_t c = vw__i64(f * (double)st->duration);
        int64_t w = st->t1 - st->t0, t0 = vw__sub(c, w / 2);
        vw__set_window(st, t0, vw__add(t0, w));
    } else if (st->drag_moved && st->drag_x >= g.tl_x) {
        double ns_px = (double)(st->drag_t1 - st->drag_t0) / g.tl_w;
        int64_t dt = vw__i64(round((double)(x - st->drag_x) * ns_px));
        vw__set_window(st, vw__sub(st->drag_t0, dt), vw__sub(st->drag_t1, dt));
    }
}

/* A trace to open in this one's place (Ctrl+O's path, a dropped file): the
 * window loads it once this view has closed. */
static void open_next(vw_state *st, const char *path)
{
    snprintf(st->open_path, sizeof st->open_path, "%s", path);
    st->open_ready = 1;
    st->quit = 1;
}

static void prompt_accept(vw_state *st, const vw_model *m)
{
    if (st->prompt == VW_PROMPT_GOTO) {
        int64_t t;
        if (tr_parse_dur(st->prompt_buf, &t) != 0) {
            snprintf(st->status, sizeof st->status,
                     "not a time: \"%.40s\" (try 1.25s, 300ms, 40us)",
                     st->prompt_buf);
        } else {
            st->playing = 0;
            vw__set_playhead(st, m, t);
            vw__reveal(st, st->playhead);
            st->status[0] = '\0';
        }
    }
    if (st->prompt == VW_PROMPT_OPEN && st->prompt_buf[0])
        open_next(st, st->prompt_buf);
    st->prompt = VW_PROMPT_NONE;
    st->dirty = 1;
}

static void prompt_edit(vw_state *st, const vw_model *m, const char *text, int back)
{
    size_t n = strlen(st->prompt_buf);
    if (back) {
        while (n > 0 && ((unsigned char)st->prompt_buf[n - 1] & 0xC0) == 0x80)
            n--; /* UTF-8 continuation bytes */
        if (n > 0)
            n--;
        st->prompt_buf[n] = '\0';
    } else {
        size_t k = strlen(text);
        if (n + k < sizeof st->prompt_buf) {
            memcpy(st->prompt_buf + n, text, k + 1);
        }
    }
    if (st->prompt == VW_PROMPT_FILTER) {
        /* filter live, as you type */
        size_t k = strnlen(st->prompt_buf, sizeof st->filter - 1);
        memcpy(st->filter, st->prompt_buf, k);
        st->filter[k] = '\0';
        vw__lanes_refresh(st, m);
        st->scroll = 0;
    }
    st->dirty = 1;
}

/* ---- the actions: one function each where a case is more than a call ---- */

static void play_toggle(vw_state *st, const vw_model *m)
{
    if (!st->playing && st->playhead >= st->duration)
        vw__set_playhead(st, m, 0); /* replay from the start */
    st->playing = !st->playing;
    vw__reveal(st, st->playhead);
    st->dirty = 1;
}

static void go_home(vw_state *st, const vw_model *m)
{
    vw__set_playhead(st, m, 0);
    vw__reveal(st, 0);
}

static void go_end(vw_state *st, const vw_model *m)
{
    st->playing = 0;
    vw__set_playhead(st, m, st->duration);
    vw__reveal(st, st->duration);
}

/* Opens a prompt: the filter's starts with the filter in force, the others
 * empty. */
static void open_prompt(vw_state *st, int prompt)
{
    st->prompt = prompt;
    if (prompt == VW_PROMPT_FILTER)
        snprintf(st->prompt_buf, sizeof st->prompt_buf, "%s", st->filter);
    else
        st->prompt_buf[0] = '\0';
    st->dirty = 1;
}

/* A key's zoom: around the playhead when it is in view, else the middle. */
static void zoom_step(vw_state *st, double factor)
{
    int64_t c = st->playhead >= st->t0 && st->playhead <= st->t1
                    ? st->playhead
                    : st->t0 + (st->t1 - st->t0) / 2;
    zoom_around(st, c, factor);
}

static void zoom_at(vw_state *st, int x, double amount)
{
    vw_geom g;
    vw__geom_st(&g, st);
    if (amount != 0)
        zoom_around(st, vw__t_of(&g, st, x), pow(1.2, amount));
}

/* A fifth of the window to the left (dir -1) or right (+1). */
static void pan(vw_state *st, int dir)
{
    int64_t d = (st->t1 - st->t0) / 5 * dir;
    vw__set_window(st, vw__add(st->t0, d), vw__add(st->t1, d));
}

static void scroll_by(vw_state *st, int rows)
{
    st->scroll += rows;
    clamp_scroll(st);
    st->dirty = 1;
}

static void toggle_help(vw_state *st)
{
    st->help = !st->help;
    st->dirty = 1;
}

/* Escape closes the innermost thing open: a prompt (a filter prompt also
 * drops the filter), the help, the range, else the selection. */
static void escape(vw_state *st, const vw_model *m)
{
    if (st->prompt == VW_PROMPT_FILTER) {
        st->filter[0] = '\0';
        vw__lanes_refresh(st, m);
        st->prompt = VW_PROMPT_NONE;
    } else if (st->prompt) {
        st->prompt = VW_PROMPT_NONE;
    } else if (st->help) {
        st->help = 0;
    } else if (st->has_range) {
        st->has_range = st->range_ready = 0;
    } else {
        vw__select(st, m, 0, -1);
        st->sel_stall = -1;
        st->sel_cause = -1;
    }
    st->status[0] = '\0';
    st->dirty = 1;
}

/* The end of a drag: a range is done, a press that did not move is a click
 * (on the overview: a jump there). */
static void mouse_up(vw_state *st, const vw_model *m, int x, int y)
{
    if (st->drag == VW_DRAG_RANGE) {
        mouse_move(st, m, x, y);
        vw__range_done(st, m);
    } else if (st->drag && !st->drag_moved &&
               st->drag != VW_DRAG_OVERVIEW && st->drag != VW_DRAG_LABEL)
        click(st, m, x, y);
    else if (st->drag == VW_DRAG_OVERVIEW && !st->drag_moved)
        mouse_move(st, m, x, y);
    st->drag = VW_DRAG_NONE;
    st->dirty = 1;
}

static void mouse_leave(vw_state *st)
{
    st->mouse_x = st->mouse_y = -1;
    st->dirty = 1;
}

static void resize(vw_state *st, const vw_model *m, int w, int h)
{
    st->w = w > 64 ? w : 64;
    st->h = h > 64 ? h : 64;
    clamp_scroll(st);
    if (vw__overview_refresh(st, m) != 0) {
        free(st->ov_busy); /* the overview shows no busy graph */
        st->ov_busy = NULL;
        st->ov_cols = 0;
    }
    st->dirty = 1;
}

/* Puts text made by `make` on the clipboard, or says `none` in the status
 * line when it made nothing. */
static void copy_text(vw_state *st, const vw_model *m,
                      size_t (*make)(const vw_state *, const vw_model *, char *, size_t),
                      const char *none)
{
    if (make(st, m, st->clip, sizeof st->clip) > 0) {
        st->clip_ready = 1;
        snprintf(st->status, sizeof st->status, "copied: %.100s", st->clip);
    } else {
        snprintf(st->status, sizeof st->status, "%s", none);
    }
    st->dirty = 1;
}

/* A frame's tick while playing: the playhead advances by the elapsed time
 * times the speed, stops at the end, and pages the window like a video. */
static void tick(vw_state *st, const vw_model *m, double elapsed)
{
    if (!st->playing)
        return;
    int64_t width = st->t1 - st->t0;
    double adv = elapsed * st->speed;
    int64_t step = vw__i64(adv < 1 ? 1 : adv);
    int64_t t = st->playhead > INT64_MAX - step ? INT64_MAX : st->playhead + step;
    if (t >= st->duration) {
        t = st->duration;
        st->playing = 0;
    }
    vw__set_playhead(st, m, t);
    if (t > st->t1 || t < st->t0) { /* page forward like a video */
        int64_t t0 = vw__sub(t, width / 10);
        vw__set_window(st, t0, vw__add(t0, width));
    }
}

static void toggle_live(vw_state *st, const vw_model *m)
{
    if (st->follow == VW_FOLLOW_NONE) {
        snprintf(st->status, sizeof st->status,
                 "live: only for a trace being written (view --follow)");
        st->dirty = 1;
    } else {
        vw__live(st, m, !st->live);
    }
}

/* The dispatch: one case an action. */
static void dispatch(vw_state *st, const vw_model *m, const vw_action *a)
{
    switch (a->kind) {
    case VW_A_QUIT:
        st->quit = 1;
        break;
    case VW_A_PLAY_TOGGLE:
        play_toggle(st, m);
        break;
    case VW_A_SPEED_DOWN:
        change_speed(st, -1);
        break;
    case VW_A_SPEED_UP:
        change_speed(st, +1);
        break;
    case VW_A_HOME:
        go_home(st, m);
        break;
    case VW_A_END:
        go_end(st, m);
        break;
    case VW_A_STEP_NEXT:
        step_event(st, m, +1, 0);
        break;
    case VW_A_STEP_PREV:
        step_event(st, m, -1, 0);
        break;
    case VW_A_STEP_TASK_NEXT:
        step_event(st, m, +1, 1);
        break;
    case VW_A_STEP_TASK_PREV:
        step_event(st, m, -1, 1);
        break;
    case VW_A_STALL_NEXT:
        goto_cause(st, m, +1);
        break;
    case VW_A_STALL_PREV:
        goto_cause(st, m, -1);
        break;
    case VW_A_DROP:
        if (a->path && a->path[0])
            open_next(st, a->path);
        break;
    case VW_A_OPEN:
        open_prompt(st, VW_PROMPT_OPEN);
        break;
    case VW_A_GOTO:
        open_prompt(st, VW_PROMPT_GOTO);
        break;
    case VW_A_FILTER:
        open_prompt(st, VW_PROMPT_FILTER);
        break;
    case VW_A_ZOOM_IN:
        zoom_step(st, 1.25);
        break;
    case VW_A_ZOOM_OUT:
        zoom_step(st, 1 / 1.25);
        break;
    case VW_A_ZOOM_AT:
        zoom_at(st, a->x, a->amount);
        break;
    case VW_A_PAN_LEFT:
        pan(st, -1);
        break;
    case VW_A_PAN_RIGHT:
        pan(st, +1);
        break;
    case VW_A_SCROLL:
        scroll_by(st, (int)a->amount);
        break;
    case VW_A_FIT:
        fit(st, m);
        break;
    case VW_A_HELP:
        toggle_help(st);
        break;
    case VW_A_COLLAPSE:
        toggle_collapse(st, m, st->sel_task);
        break;
    case VW_A_SELECT_UP:
        select_step(st, m, -1);
        break;
    case VW_A_SELECT_DOWN:
        select_step(st, m, +1);
        break;
    case VW_A_ESCAPE:
        escape(st, m);
        break;
    case VW_A_PROMPT_TEXT:
        prompt_edit(st, m, a->text, 0);
        break;
    case VW_A_PROMPT_BACK:
        prompt_edit(st, m, "", 1);
        break;
    case VW_A_PROMPT_ACCEPT:
        prompt_accept(st, m);
        break;
    case VW_A_MOUSE_DOWN:
        mouse_down(st, a->x, a->y, a->amount == 1);
        break;
    case VW_A_MOUSE_MOVE:
        mouse_move(st, m, a->x, a->y);
        break;
    case VW_A_MOUSE_UP:
        mouse_up(st, m, a->x, a->y);
        break;
    case VW_A_MOUSE_LEAVE:
        mouse_leave(st);
        break;
    case VW_A_RESIZE:
        resize(st, m, a->x, a->y);
        break;
    case VW_A_COPY:
        copy_text(st, m, vw__selection_text,
                  "nothing to copy (select a span or step to an event)");
        break;
    case VW_A_TICK:
        tick(st, m, a->amount);
        break;
    case VW_A_COPY_REPLAY:
        copy_text(st, m, vw__replay_text, "no replay stop here (step to an event of the loop)");
        break;
    case VW_A_LIVE:
        toggle_live(st, m);
        break;
    default:
        break;
    }
}

void vw__apply(vw_state *st, const vw_model *m, const vw_action *a)
{
    dispatch(st, m, a);
    /* live holds the playhead at the end: moving it elsewhere leaves live */
    if (st->live && a->kind != VW_A_LIVE && st->playhead != st->duration) {
        st->live = 0;
        st->dirty = 1;
    }
}
