/* layout.c: one frame of the timeline as draw commands — top bar, overview,
 * ruler, lanes with their state spans, stalls, wake arrows, the playhead and
 * the dimmed future, the legend. Spans narrower than a pixel are merged per
 * pixel column into density blocks using the model's prefix sums, so the
 * cost of a frame follows the pixels, not the events. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vw_int.h"

/* ---- geometry ---- */

void vw__geom(vw_geom *g, int w, int h)
{
    vw__geom_at(g, w, h, 1.0);
}

/* px at scale 1 -> px at scale k, rounded */
static int sc(double k, int px)
{
    return (int)(px * k + 0.5);
}

void vw__geom_at(vw_geom *g, int w, int h, double k)
{
    memset(g, 0, sizeof *g);
    if (!(k >= VW_SCALE_MIN && k <= VW_SCALE_MAX))
        k = 1.0;
    g->scale = k;
    g->font_px = sc(k, VW_FONT_PX);
    g->w = w;
    g->h = h;
    g->top_y = 0;
    g->top_h = sc(k, 32);
    g->ov_y = g->top_y + g->top_h;
    g->ov_h = sc(k, 36);
    g->ruler_y = g->ov_y + g->ov_h;
    g->ruler_h = sc(k, 26);
    g->lanes_y = g->ruler_y + g->ruler_h;
    g->legend_h = sc(k, 28);
    g->legend_y = h - g->legend_h;
    g->lanes_h = g->legend_y - g->lanes_y;
    if (g->lanes_h < 0)
        g->lanes_h = 0;
    /* the side columns grow with the text, but never past a third (panel)
     * and a quarter (labels) of the window */
    g->panel_w = w >= sc(k, 1200) ? sc(k, 400) : w / 3;
    g->panel_x = w - g->panel_w;
    g->label_x = 0;
    g->label_w = w >= sc(k, 1000) ? sc(k, 240) : w / 4;
    g->tl_x = g->label_x + g->label_w;
    g->tl_w = g->panel_x - g->tl_x;
    if (g->tl_w < 1)
        g->tl_w = 1;
    g->lane_h = sc(k, 24);
}

void vw__geom_st(vw_geom *g, const vw_state *st)
{
    vw__geom_at(g, st->w, st->h, st->scale);
    if (st->label_w <= 0)
        return;
    int lo = sc(g->scale, VW_LABEL_MIN);
    int hi = g->panel_x - g->label_x - sc(g->scale, VW_TL_MIN);
    int lw = st->label_w < lo ? lo : st->label_w;
    if (lw > hi)
        lw = hi > lo ? hi : lo;
    if (lw >= g->panel_x - g->label_x)
        return; /* a window too narrow for any choice: the default */
    g->label_w = lw;
    g->tl_x = g->label_x + lw;
    g->tl_w = g->panel_x - g->tl_x;
}

double vw__x_of(const vw_geom *g, const vw_state *st, int64_t t)
{
    /* t - t0 exactly when it fits (every real trace), in doubles when a
     * hostile time makes it overflow */
    int64_t d;
    double dt = __builtin_sub_overflow(t, st->t0, &d)
                    ? (double)t - (double)st->t0
                    : (double)d;
    return g->tl_x + dt * g->tl_w / (double)(st->t1 - st->t0);
}

int64_t vw__t_of(const vw_geom *g, const vw_state *st, double x)
{
    return vw__add(st->t0, vw__i64(round((x - g->tl_x) *
                                         (double)(st->t1 - st->t0) / g->tl_w)));
}

int vw__lanes_visible(const vw_geom *g)
{
    return g->lanes_h / g->lane_h;
}

long vw__lane_at(const vw_geom *g, const vw_state *st, int y)
{
    if (y < g->lanes_y || y >= g->lanes_y + g->lanes_h)
        return -1;
    long i = st->scroll + (y - g->lanes_y) / g->lane_h;
    return i >= 0 && (size_t)i < st->nlanes ? i : -1;
}

/* The first multiple of step at or after t0, or INT64_MIN when there is
 * none before INT64_MAX (a window at the end of the int64 range). */
static int64_t first_tick(int64_t t0, int64_t step)
{
    int64_t r = t0 % step, t;
    if (r <= 0)
        return t0 - r; /* t0 negative (or on a tick): round towards zero */
    return __builtin_add_overflow(t0, step - r, &t) ? INT64_MIN : t;
}

/* ---- level-of-detail drawing of one lane ---- */

/* A lane's items: ordered, non-overlapping intervals. `primary` items are
 * the ones summed in cum (running spans, idle periods, works). */
typedef struct lod_src {
    size_t n;
    void (*get)(const void *ctx, size_t i, int64_t *t0, int64_t *t1,
                uint8_t *state, uint8_t *why);
    const void *ctx;
    const int64_t *cum; /* [n+1] primary ns before item i */
    int (*is_primary)(uint8_t state);
    vw_rgba (*colour)(uint8_t state, uint8_t why);
    int has_gaps; /* items do not cover the lane: gaps are gap_colour */
    vw_rgba gap_colour;
    vw_rgba prim_colour;
    int role;
} lod_src;

static int64_t item_t1(const lod_src *s, size_t i)
{
    int64_t a, b;
    uint8_t st, why;
    s->get(s->ctx, i, &a, &b, &st, &why);
    return b;
}

/* First index in [lo, n) whose t1 > t, galloping from lo because the answer
 * is usually close by. */
static size_t first_after(const lod_src *s, size_t lo, int64_t t)
{
    size_t n = s->n, step = 1, hi = lo;
    while (hi < n && item_t1(s, hi) <= t) {
        lo = hi + 1;
        hi = lo + step;
        step *= 2;
    }
    if (hi > n)
        hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (item_t1(s, mid) <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

typedef struct lane_ctx {
    vw_drawlist *dl;
    const vw_geom *g;
    const vw_state *st;
    const vw_measure *ms;
    int y, h;
    uint32_t task;
    int lane;
    /* a pending density block, merged while colours repeat */
    int dx, dw;
    vw_rgba dc;
    int labels;
    const tr_trace *tr;
} lane_ctx;

static void flush_density(lane_ctx *c, int role)
{
    if (c->dw > 0) {
        vw_cmd *cmd =
            vw__dl_rect(c->dl, role == VW_R_SPAN ? VW_R_DENSITY : role, c->dx,
                        c->y, c->dw, c->h, c->dc);
        if (cmd) {
            cmd->task = c->task;
            cmd->lane = c->lane;
        }
    }
    c->dw = 0;
}

static void span_label(lane_ctx *c, int x0, int x1, uint8_t state, uint8_t why,
                       size_t item, const lod_src *s)
{
    if (x1 - x0 < 48 || !c->ms || c->labels > 64 || s->role != VW_R_SPAN)
        return;
    char buf[64];
    const char *name = vw__state_name(state, why);
    if (state == TR_ST_WAITING && why == TR_WAIT_IO) {
        const tr_span *sp = (const tr_span *)s->ctx + item;
        if (sp->op)
            snprintf(buf, sizeof buf, "io %s", tr_op_name(sp->op));
        else
            snprintf(buf, sizeof buf, "io");
        name = buf;
    }
    if (state == TR_ST_DONE)
        return;
    int tw = c->ms->text_w(c->ms->ctx, VW_FONT_SMALL, name);
    int lx = x0 < c->g->tl_x ? c->g->tl_x : x0;
    int rx = x1 > c->g->tl_x + c->g->tl_w ? c->g->tl_x + c->g->tl_w : x1;
    if (rx - lx < tw + 10)
        return;
    vw_rgba ink = {0x0d, 0x11, 0x17, 255};
    vw__dl_text(c->dl, VW_R_SPAN, VW_FONT_SMALL, lx + 5,
                c->y + (c->h - c->ms->line_h) / 2, ink, name);
    c->labels++;
}

/* Items narrower than a pixel: the column that holds a (item i starts at
 * a0) as one density block, its colour the lane's state mixed with the
 * share of primary time (running, idle, work) in the column, from the
 * prefix sums. Merged with the pending block while the colour repeats.
 * Returns the first item past the column; *cur is the column's end. */
static size_t density_column(lane_ctx *c, const lod_src *s, size_t i,
                             int64_t a0, int64_t a, uint8_t state,
                             int64_t *cur)
{
    const vw_geom *g = c->g;
    int64_t vt0 = c->st->t0;
    double ns_px = (double)(c->st->t1 - vt0) / g->tl_w;
    double col = floor(((double)a - (double)vt0) / ns_px);
    int64_t ct0 = vw__add(vt0, vw__i64(floor(col * ns_px)));
    int64_t ct1 = vw__add(vt0, vw__i64(ceil((col + 1) * ns_px)));
    if (ct1 <= a)
        ct1 = vw__add(a, 1);
    if (ct1 <= a)
        return s->n; /* a is INT64_MAX: nothing lies beyond */
    size_t j = first_after(s, i, ct1);
    int64_t prim = s->cum[j] - s->cum[i];
    if (s->is_primary(state) && a > a0)
        prim -= a - a0;
    if (j < s->n) {
        int64_t ja, jb;
        uint8_t js, jw;
        s->get(s->ctx, j, &ja, &jb, &js, &jw);
        if (s->is_primary(js) && ja < ct1)
            prim += ct1 - (ja > a ? ja : a);
    }
    double frac = (double)prim / (double)(ct1 - ct0);
    vw_rgba base;
    if (s->has_gaps) {
        base = s->gap_colour;
    } else {
        size_t k = first_after(s, i, ct0 + (ct1 - ct0) / 2);
        if (k >= s->n)
            k = s->n - 1;
        int64_t ka, kb;
        uint8_t ks, kw;
        s->get(s->ctx, k, &ka, &kb, &ks, &kw);
        base = s->colour(ks, kw);
    }
    vw_rgba colour = vw__lerp(base, s->prim_colour, frac);
    int x = g->tl_x + (int)col;
    if (c->dw > 0 && c->dx + c->dw == x &&
        memcmp(&c->dc, &colour, sizeof colour) == 0) {
        c->dw++;
    } else {
        flush_density(c, s->role);
        c->dx = x;
        c->dw = 1;
        c->dc = colour;
    }
    *cur = ct1;
    return j;
}

static void lod_lane(lane_ctx *c, const lod_src *s)
{
    const vw_geom *g = c->g;
    const vw_state *st = c->st;
    int64_t vt0 = st->t0, vt1 = st->t1;
    double ns_px = (double)(vt1 - vt0) / g->tl_w;
    int xr = g->tl_x + g->tl_w;
    size_t i = first_after(s, 0, vt0);
    int64_t cur = vt0;
    c->dw = 0;
    while (i < s->n && !c->dl->oom) {
        int64_t a0, b;
        uint8_t state, why;
        s->get(s->ctx, i, &a0, &b, &state, &why);
        int64_t a = a0 > cur ? a0 : cur;
        if (a >= vt1)
            break;
        if (b <= a) { /* empty, or already drawn in a merged column */
            i++;
            continue;
        }
        if ((double)(b - a) >= ns_px) {
            /* wide enough to be seen alone */
            flush_density(c, s->role);
            int x0 = vw__px(floor(vw__x_of(g, st, a)));
            int x1 = vw__px(floor(vw__x_of(g, st, b < vt1 ? b : vt1)));
            if (b >= vt1)
                x1 = xr;
            if (x0 < g->tl_x)
                x0 = g->tl_x;
            if (x1 > xr)
                x1 = xr;
            vw_cmd *cmd = vw__dl_rect(c->dl, s->role, x0, c->y, x1 - x0, c->h,
                                      s->colour(state, why));
            if (cmd) {
                cmd->task = c->task;
                cmd->lane = c->lane;
                cmd->state = state;
                cmd->why = why;
            }
            span_label(c, vw__px(floor(vw__x_of(g, st, a0))), x1, state, why, i,
                       s);
            cur = b;
            i++;
            continue;
        }
        /* narrow: sum up the pixel column that holds a */
        i = density_column(c, s, i, a0, a, state, &cur);
    }
    flush_density(c, s->role);
}

/* item accessors for the three kinds of lane */
static void get_span(const void *ctx, size_t i, int64_t *t0, int64_t *t1,
                     uint8_t *state, uint8_t *why)
{
    const tr_span *s = (const tr_span *)ctx + i;
    *t0 = s->t0;
    *t1 = s->t1;
    *state = s->state;
    *why = s->why;
}

static void get_idle(const void *ctx, size_t i, int64_t *t0, int64_t *t1,
                     uint8_t *state, uint8_t *why)
{
    const tr_idle *s = (const tr_idle *)ctx + i;
    *t0 = s->t0;
    *t1 = s->t1;
    *state = 1;
    *why = 0;
}

typedef struct work_ctx {
    const tr_work *works;
    const uint32_t *idx;
    int64_t duration;
} work_ctx;

static void get_work(const void *ctx, size_t i, int64_t *t0, int64_t *t1,
                     uint8_t *state, uint8_t *why)
{
    const work_ctx *w = ctx;
    const tr_work *x = &w->works[w->idx[i]];
    *t0 = x->t0;
    *t1 = x->t1 < 0 ? w->duration : x->t1;
    *state = 1;
    *why = 0;
}

static int prim_running(uint8_t state)
{
    return state == TR_ST_RUNNING;
}

static int prim_all(uint8_t state)
{
    (void)state;
    return 1;
}

static vw_rgba colour_idle(uint8_t state, uint8_t why)
{
    (void)state;
    (void)why;
    return VW_C_LOOP_IDLE;
}

static vw_rgba colour_work(uint8_t state, uint8_t why)
{
    (void)state;
    (void)why;
    return VW_C_WORK;
}

static vw_rgba colour_state(uint8_t state, uint8_t why)
{
    return vw__state_colour(state, why);
}

/* ---- the lanes area ---- */

static void lane_label(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                       const vw_model *m, const vw_measure *ms, const vw_lane *l,
                       int li, int y)
{
    char buf[160];
    int ty = y + (g->lane_h - ms->line_h) / 2;
    int x = g->label_x + 6 + vw__indent(l->depth);
    vw_rgba ink = VW_C_TEXT;
    const char *state_txt = NULL;
    vw_rgba chip = VW_C_GRID;
    if (l->kind == VW_LANE_LOOP) {
        snprintf(buf, sizeof buf, "event loop");
        ink = VW_C_ACCENT;
        /* busy or idle at the playhead */
        size_t n = tr_nidles(m->tr), lo = 0, hi = n;
        const tr_idle *id = tr_idles(m->tr);
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (id[mid].t1 <= st->playhead)
                lo = mid + 1;
            else
                hi = mid;
        }
        int idle = lo < n && id[lo].t0 <= st->playhead;
        state_txt = idle ? "idle" : "busy";
        chip = idle ? VW_C_LOOP_IDLE : VW_C_LOOP_BUSY;
    } else if (l->kind == VW_LANE_POOL) {
        snprintf(buf, sizeof buf, "pool thread %u", l->id);
        ink = VW_C_WORK;
    } else {
        const tr_task *t = &m->tasks[l->idx];
        if (l->nchildren) {
            vw__dl_text(dl, VW_R_LABEL, VW_FONT_SMALL, x, ty + 1, VW_C_TEXT_DIM,
                        l->collapsed ? "\xe2\x96\xb8" : "\xe2\x96\xbe");
        }
        x += 14;
        snprintf(buf, sizeof buf, "%s", tr_str(m->tr, t->name));
        if (!buf[0])
            snprintf(buf, sizeof buf, "task");
        size_t s = tr_span_find(m->tr, t->id, st->playhead);
        if (s != SIZE_MAX) {
            const tr_span *sp = &tr_spans(m->tr)[s];
            state_txt = vw__state_name(sp->state, sp->why);
            chip = vw__state_colour(sp->state, sp->why);
        } else {
            state_txt = "\xe2\x80\x94"; /* not spawned yet */
        }
        if (t->id == st->sel_task)
            ink = VW_C_SELECT;
    }
    int right = g->label_x + g->label_w - 8;
    int state_w = 0;
    if (state_txt) {
        vw__dl_rect(dl, VW_R_LABEL, right - 10, y + (g->lane_h - 10) / 2, 10,
                    10, chip);
        state_w = ms->text_w(ms->ctx, VW_FONT_SMALL, state_txt);
        vw__dl_text(dl, VW_R_LABEL, VW_FONT_SMALL, right - 16 - state_w, ty + 1,
                    VW_C_TEXT_DIM, state_txt);
        state_w += 24;
    }
    /* the name, clipped before the state; the id in dim after it */
    int avail = right - state_w - x;
    vw__dl_clip(dl, x, y, avail > 0 ? avail : 1, g->lane_h);
    vw_cmd *c = vw__dl_text(dl, VW_R_LABEL, VW_FONT_NORMAL, x, ty, ink, buf);
    if (c) {
        c->task = l->kind == VW_LANE_TASK ? l->id : 0;
        c->lane = li;
    }
    if (l->kind == VW_LANE_TASK) {
        char id[24];
        snprintf(id, sizeof id, "(%u)", l->id);
        int nw = ms->text_w(ms->ctx, VW_FONT_NORMAL, buf);
        vw__dl_text(dl, VW_R_LABEL, VW_FONT_SMALL, x + nw + 6, ty + 1,
                    VW_C_TEXT_DIM, id);
    }
    vw__dl_clip(dl, 0, 0, 0, 0);
}

/* Task index ti's annotated spans (co_span_begin / co_span_end) in the
 * window: a 3 px bar in the lane's bottom padding, a nested span lighter or
 * darker over its parent. The first to draw is found by binary search on
 * the spans' reach, and a span inside pixels already drawn at its depth is
 * skipped, so the commands are bounded by the pixels. */
static void draw_annots(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                        const vw_model *m, size_t ti, size_t li, int y)
{
    static const vw_rgba shade[2] = {{0xdc, 0xe1, 0xea, 255}, {0x8b, 0x94, 0xa5, 255}};
    size_t a, b;
    vw__model_annots(m, ti, &a, &b);
    size_t lo = a, hi = b;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->annot_reach[mid] < st->t0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int done[4] = {g->tl_x, g->tl_x, g->tl_x, g->tl_x};
    int right = g->tl_x + g->tl_w, by = y + g->lane_h - 4;
    for (size_t k = lo; k < b && !dl->oom; k++) {
        const tr_annot_span *sp = &m->annots[k];
        if (sp->t0 > st->t1)
            break; /* by t0 */
        if (sp->t1 < st->t0)
            continue;
        int x0 = vw__px(floor(vw__x_of(g, st, sp->t0)));
        int x1 = vw__px(floor(vw__x_of(g, st, sp->t1)));
        int d = sp->depth > 3 ? 3 : (int)sp->depth;
        if (x0 < done[d])
            x0 = done[d];
        if (x1 > right)
            x1 = right;
        if (x1 <= x0)
            x1 = x0 + 1;
        if (x0 >= right || x1 <= done[d])
            continue;
        done[d] = x1;
        vw_cmd *c = vw__dl_rect(dl, VW_R_ANNOT, x0, by, x1 - x0, 3, shade[d % 2]);
        if (c) {
            c->task = sp->task;
            c->lane = (int32_t)li;
        }
    }
}

static void draw_lane(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                      const vw_model *m, const vw_measure *ms, size_t li, int y)
{
    const vw_lane *l = &st->lanes[li];
    lane_ctx c = {dl,      g, st, ms,           y + 4, g->lane_h - 8, 0,
                  (int)li, 0, 0,  {0, 0, 0, 0}, 0,     m->tr};
    lod_src s;
    memset(&s, 0, sizeof s);
    if (l->kind == VW_LANE_TASK) {
        const tr_task *t = &m->tasks[l->idx];
        c.task = t->id;
        s.n = t->nspans;
        s.get = get_span;
        s.ctx = tr_spans(m->tr) + t->span0;
        s.cum = m->cum_run + t->span0;
        s.is_primary = prim_running;
        s.colour = colour_state;
        s.prim_colour = vw__state_colour(TR_ST_RUNNING, 0);
        s.role = VW_R_SPAN;
        lod_lane(&c, &s);
        draw_annots(dl, g, st, m, l->idx, li, y);
    } else if (l->kind == VW_LANE_LOOP) {
        /* busy everywhere the loop is not idle, then the idle periods */
        int x0 = vw__px(floor(vw__x_of(g, st, 0)));
        int x1 = vw__px(floor(vw__x_of(g, st, st->duration)));
        if (x0 < g->tl_x)
            x0 = g->tl_x;
        if (x1 > g->tl_x + g->tl_w)
            x1 = g->tl_x + g->tl_w;
        vw__dl_rect(dl, VW_R_LOOP, x0, c.y, x1 - x0, c.h, VW_C_LOOP_BUSY);
        s.n = tr_nidles(m->tr);
        s.get = get_idle;
        s.ctx = tr_idles(m->tr);
        s.cum = tr_idle_sums(m->tr);
        s.is_primary = prim_all;
        s.colour = colour_idle;
        s.has_gaps = 1;
        s.gap_colour = VW_C_LOOP_BUSY;
        s.prim_colour = VW_C_LOOP_IDLE;
        s.role = VW_R_LOOP;
        lod_lane(&c, &s);
    } else {
        uint32_t w0 = m->thread_w0[l->idx], w1 = m->thread_w0[l->idx + 1];
        work_ctx wc = {tr_works(m->tr), m->work_idx + w0, m->duration};
        s.n = w1 - w0;
        s.get = get_work;
        s.ctx = &wc;
        s.cum = m->cum_work + w0;
        s.is_primary = prim_all;
        s.colour = colour_work;
        s.has_gaps = 1;
        s.gap_colour = (li % 2) ? VW_C_LANE_ALT : VW_C_BG;
        s.prim_colour = VW_C_WORK;
        s.role = VW_R_WORK;
        lod_lane(&c, &s);
    }
}

static int lane_y(const vw_geom *g, const vw_state *st, long li)
{
    return g->lanes_y + (int)(li - st->scroll) * g->lane_h;
}

static int lane_shown(const vw_geom *g, const vw_state *st, long li)
{
    return li >= st->scroll && li < st->scroll + vw__lanes_visible(g) &&
           (size_t)li < st->nlanes;
}

/* The pixel columns [*x0, *x1] of stall s, clamped to the timeline; 0
 * when it ends before the window (the callers stop at one past it, as
 * stalls are ordered by t). */
static int stall_cols(const vw_geom *g, const vw_state *st, const tr_stall *s, int *x0,
                      int *x1)
{
    int64_t end = s->dur > 0 ? s->t + s->dur : s->t;
    if (end < st->t0)
        return 0;
    *x0 = vw__px(floor(vw__x_of(g, st, s->t)));
    *x1 = vw__px(floor(vw__x_of(g, st, end)));
    if (*x0 < g->tl_x)
        *x0 = g->tl_x;
    if (*x1 > g->tl_x + g->tl_w)
        *x1 = g->tl_x + g->tl_w;
    return 1;
}

static void draw_stalls(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                        const vw_model *m)
{
    size_t n = tr_nstalls(m->tr);
    const tr_stall *s = tr_stalls(m->tr);
    for (size_t i = 0; i < n && !dl->oom; i++) {
        if (s[i].t > st->t1)
            break; /* stalls are ordered by t */
        int x0, x1;
        if (!stall_cols(g, st, &s[i], &x0, &x1))
            continue;
        if (x1 - x0 < 3)
            x1 = x0 + 3;
        long ti = vw__task_index(m, s[i].task);
        if (ti < 0 || st->lane_of[ti] < 0)
            continue;
        long li = st->lane_of[ti];
        if (!lane_shown(g, st, li))
            continue;
        int y = lane_y(g, st, li);
        vw_cmd *c = vw__dl_frame(dl, VW_R_STALL, x0, y + 2, x1 - x0,
                                 g->lane_h - 4, VW_C_STALL);
        if (c) {
            c->task = s[i].task;
            c->lane = (int)li;
        }
        vw__dl_frame(dl, VW_R_STALL, x0 + 1, y + 3, x1 - x0 - 2, g->lane_h - 6,
                     VW_C_STALL);
    }
}

/* Stall markers on the ruler, one per pixel column. */
static void draw_ruler_stalls(vw_drawlist *dl, const vw_geom *g,
                              const vw_state *st, const vw_model *m)
{
    size_t n = tr_nstalls(m->tr);
    const tr_stall *s = tr_stalls(m->tr);
    int last_x = -1;
    for (size_t i = 0; i < n && !dl->oom; i++) {
        if (s[i].t > st->t1)
            break; /* stalls are ordered by t */
        int x0, x1;
        if (!stall_cols(g, st, &s[i], &x0, &x1))
            continue;
        if (x0 == last_x)
            continue;
        last_x = x0;
        /* a block where it starts, a thin line for as long as it lasts */
        vw_cmd *c =
            vw__dl_rect(dl, VW_R_STALL, x0, g->ruler_y + 1, 5, 6, VW_C_STALL);
        if (c)
            c->task = s[i].task;
        if (x1 - x0 > 5)
            vw__dl_rect(dl, VW_R_STALL, x0 + 5, g->ruler_y + 1, x1 - x0 - 5, 1,
                        VW_C_STALL);
    }
}

static void draw_wakes(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                       const vw_model *m)
{
    if (!st->sel_task)
        return;
    int last_x = -1000;
    for (size_t k = 0; k < st->nwakes && !dl->oom; k++) {
        tr_wakeup wk = tr_wakeup_get(m->tr, st->wakes[k]);
        const tr_wakeup *x = &wk;
        if (x->t < st->t0 || x->t > st->t1 || x->from == x->to)
            continue;
        long lf = 0, lt;
        if (x->from) {
            long fi = vw__task_index(m, x->from);
            lf = fi < 0 ? -1 : st->lane_of[fi];
        }
        long ti = vw__task_index(m, x->to);
        lt = ti < 0 ? -1 : st->lane_of[ti];
        if (lf < 0 || lt < 0 || !lane_shown(g, st, lf) ||
            !lane_shown(g, st, lt))
            continue;
        int px = vw__px(floor(vw__x_of(g, st, x->t)));
        if (px == last_x)
            continue; /* one arrow per pixel column is all one can see */
        last_x = px;
        int y0 = lane_y(g, st, lf) + g->lane_h / 2;
        int y1 = lane_y(g, st, lt) + g->lane_h / 2;
        vw_rgba col = x->to == st->sel_task ? VW_C_WAKE_IN : VW_C_WAKE_OUT;
        vw_cmd *c = vw__dl_line(dl, VW_R_WAKE, px, y0, px, y1, col);
        if (c)
            c->task = x->to;
        int d = y1 > y0 ? -6 : 6;
        vw__dl_line(dl, VW_R_WAKE, px - 4, y1 + d, px, y1, col);
        vw__dl_line(dl, VW_R_WAKE, px + 4, y1 + d, px, y1, col);
        vw__dl_rect(dl, VW_R_WAKE, px - 1, y0 - 1, 3, 3, col);
    }
}

/* The Shift+drag range as a band across the lanes, edged. */
static void draw_range(vw_drawlist *dl, const vw_geom *g, const vw_state *st)
{
    if (!st->has_range || st->range_t1 < st->t0 || st->range_t0 > st->t1)
        return;
    int x0 = vw__px(floor(vw__x_of(g, st, st->range_t0)));
    int x1 = vw__px(floor(vw__x_of(g, st, st->range_t1)));
    x0 = x0 < g->tl_x ? g->tl_x : x0;
    x1 = x1 > g->tl_x + g->tl_w ? g->tl_x + g->tl_w : x1;
    if (x1 - x0 < 1)
        x1 = x0 + 1;
    vw_rgba band = {0x58, 0xa6, 0xff, 36};
    vw__dl_rect(dl, VW_R_RANGE, x0, g->lanes_y, x1 - x0, g->lanes_h, band);
    vw__dl_line(dl, VW_R_RANGE, x0, g->lanes_y, x0, g->lanes_y + g->lanes_h,
                VW_C_ACCENT);
    vw__dl_line(dl, VW_R_RANGE, x1, g->lanes_y, x1, g->lanes_y + g->lanes_h,
                VW_C_ACCENT);
}

/* A chain link's span on its lane, if shown: x0..x1 and the lane's y. */
static int link_box(const vw_geom *g, const vw_state *st, const vw_model *m,
                    const tr_link *l, int *x0, int *x1, int *y)
{
    long ti = vw__task_index(m, l->task);
    if (ti < 0 || l->span >= tr_nspans(m->tr) || st->lane_of[ti] < 0 ||
        !lane_shown(g, st, st->lane_of[ti]))
        return 0;
    const tr_span *sp = &tr_spans(m->tr)[l->span];
    *x0 = vw__px(floor(vw__x_of(g, st, sp->t0)));
    *x1 = vw__px(floor(vw__x_of(g, st, sp->t1)));
    if (*x0 < g->tl_x - 2)
        *x0 = g->tl_x - 2;
    if (*x1 > g->tl_x + g->tl_w + 2)
        *x1 = g->tl_x + g->tl_w + 2;
    if (*x1 - *x0 < 2)
        *x1 = *x0 + 2;
    *y = lane_y(g, st, st->lane_of[ti]);
    return 1;
}

/* The selected cause: everything but its chain dimmed, the chain's spans
 * redrawn bright and framed, and a line from each link to the one it held
 * up, at the moment it let go. An aggregate (no chain) shows its root
 * span, if any. */
static void draw_chain(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                       const vw_model *m)
{
    if (st->sel_cause < 0 || (size_t)st->sel_cause >= tr_ncauses(m->tr))
        return;
    const tr_cause *c = &tr_causes(m->tr)[st->sel_cause];
    tr_link root = {c->task, c->span};
    const tr_link *l = c->nlinks ? tr_cause_links(m->tr) + c->link0 : &root;
    uint32_t n = c->nlinks ? c->nlinks : 1;
    vw_rgba veil = {0x0d, 0x11, 0x17, 170};
    vw__dl_rect(dl, VW_R_CHAIN_DIM, g->tl_x, g->lanes_y, g->tl_w, g->lanes_h,
                veil);
    int px = 0, py = 0, have_prev = 0;
    for (uint32_t k = 0; k < n && !dl->oom; k++) {
        int x0, x1, y;
        if (!link_box(g, st, m, &l[k], &x0, &x1, &y)) {
            have_prev = 0;
            continue;
        }
        const tr_span *sp = &tr_spans(m->tr)[l[k].span];
        vw_cmd *r = vw__dl_rect(dl, VW_R_CHAIN, x0, y + 4, x1 - x0,
                                g->lane_h - 8,
                                vw__state_colour(sp->state, sp->why));
        if (r) {
            r->task = l[k].task;
            r->state = sp->state;
            r->why = sp->why;
        }
        vw__dl_frame(dl, VW_R_CHAIN, x0 - 1, y + 2, x1 - x0 + 2, g->lane_h - 4,
                     VW_C_SELECT);
        int cy = y + g->lane_h / 2;
        if (have_prev) {
            /* link k held up link k-1: at the end of k's span (or of the
             * waiter's, if sooner) an arrow from k's lane to k-1's */
            int ax = x1 < px ? x1 : px;
            vw_cmd *ln = vw__dl_line(dl, VW_R_CHAIN, ax, cy, ax, py, VW_C_SELECT);
            if (ln)
                ln->task = l[k].task;
            int d = py > cy ? -6 : 6;
            vw__dl_line(dl, VW_R_CHAIN, ax - 4, py + d, ax, py, VW_C_SELECT);
            vw__dl_line(dl, VW_R_CHAIN, ax + 4, py + d, ax, py, VW_C_SELECT);
        }
        px = x1;
        py = cy;
        have_prev = 1;
    }
}

static void draw_selection(vw_drawlist *dl, const vw_geom *g,
                           const vw_state *st, const vw_model *m)
{
    if (!st->sel_task)
        return;
    long ti = vw__task_index(m, st->sel_task);
    if (ti < 0 || st->lane_of[ti] < 0 || !lane_shown(g, st, st->lane_of[ti]))
        return;
    int y = lane_y(g, st, st->lane_of[ti]);
    vw_rgba hl = {0xff, 0xff, 0xff, 14};
    vw__dl_rect(dl, VW_R_SELECT, g->label_x, y, g->label_w + g->tl_w, g->lane_h,
                hl);
    if (st->sel_span < 0 || (size_t)st->sel_span >= tr_nspans(m->tr))
        return;
    const tr_span *sp = &tr_spans(m->tr)[st->sel_span];
    if (sp->t1 < st->t0 || sp->t0 > st->t1)
        return;
    int x0 = vw__px(floor(vw__x_of(g, st, sp->t0)));
    int x1 = vw__px(floor(vw__x_of(g, st, sp->t1)));
    if (x0 < g->tl_x - 2)
        x0 = g->tl_x - 2;
    if (x1 > g->tl_x + g->tl_w + 2)
        x1 = g->tl_x + g->tl_w + 2;
    if (x1 - x0 < 2)
        x1 = x0 + 2;
    vw__dl_frame(dl, VW_R_SELECT, x0 - 1, y + 2, x1 - x0 + 2, g->lane_h - 4,
                 VW_C_SELECT);
}

static void draw_lanes(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                       const vw_model *m, const vw_measure *ms)
{
    int vis = vw__lanes_visible(g);
    for (long li = st->scroll; li < st->scroll + vis && (size_t)li < st->nlanes;
         li++) {
        int y = lane_y(g, st, li);
        vw_cmd *c =
            vw__dl_rect(dl, VW_R_LANE, g->label_x, y, g->label_w + g->tl_w,
                        g->lane_h, li % 2 ? VW_C_LANE_ALT : VW_C_BG);
        if (c)
            c->lane = (int)li;
    }
    /* grid lines of the ruler ticks run through the lanes */
    int64_t step = vw__tick_step(st->t1 - st->t0, g->tl_w, 110);
    int64_t first = first_tick(st->t0, step);
    /* __builtin_add_overflow ends the walk where t + step would overflow:
     * a hostile trace can put the window at INT64_MAX, and a wrapped t
     * never ends the loop */
    int64_t t = first;
    for (int more = first != INT64_MIN && t <= st->t1; more;
         more = !__builtin_add_overflow(t, step, &t) && t <= st->t1) {
        int x = vw__px(floor(vw__x_of(g, st, t)));
        vw__dl_line(dl, VW_R_TICK, x, g->lanes_y, x, g->lanes_y + g->lanes_h,
                    VW_C_GRID);
    }
    vw__dl_clip(dl, g->tl_x, g->lanes_y, g->tl_w, g->lanes_h);
    for (long li = st->scroll; li < st->scroll + vis && (size_t)li < st->nlanes;
         li++)
        draw_lane(dl, g, st, m, ms, (size_t)li, lane_y(g, st, li));
    draw_stalls(dl, g, st, m);
    draw_range(dl, g, st);
    draw_chain(dl, g, st, m);
    vw__dl_clip(dl, 0, 0, 0, 0);
    draw_selection(dl, g, st, m);
    vw__dl_clip(dl, g->tl_x, g->lanes_y, g->tl_w, g->lanes_h);
    draw_wakes(dl, g, st, m);
    vw__dl_clip(dl, 0, 0, 0, 0);
    vw__dl_line(dl, VW_R_LANE, g->tl_x - 1, g->lanes_y, g->tl_x - 1,
                g->lanes_y + g->lanes_h, VW_C_GRID);
    for (long li = st->scroll; li < st->scroll + vis && (size_t)li < st->nlanes;
         li++)
        lane_label(dl, g, st, m, ms, &st->lanes[li], (int)li,
                   lane_y(g, st, li));
}

/* ---- ruler, overview, playhead ---- */

static void draw_ruler(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                       const vw_measure *ms)
{
    vw__dl_rect(dl, VW_R_TICK, 0, g->ruler_y, g->panel_x, g->ruler_h,
                VW_C_PANEL);
    vw__dl_line(dl, VW_R_TICK, 0, g->ruler_y + g->ruler_h - 1, g->panel_x,
                g->ruler_y + g->ruler_h - 1, VW_C_GRID);
    int64_t step = vw__tick_step(st->t1 - st->t0, g->tl_w, 110);
    int64_t first = first_tick(st->t0, step);
    vw__dl_clip(dl, g->tl_x, g->ruler_y, g->tl_w, g->ruler_h);
    /* __builtin_add_overflow ends the walk where t + step would overflow:
     * a hostile trace can put the window at INT64_MAX, and a wrapped t
     * never ends the loop */
    int64_t t = first;
    for (int more = first != INT64_MIN && t <= st->t1; more;
         more = !__builtin_add_overflow(t, step, &t) && t <= st->t1) {
        int x = vw__px(floor(vw__x_of(g, st, t)));
        vw__dl_line(dl, VW_R_TICK, x, g->ruler_y + g->ruler_h - 9, x,
                    g->ruler_y + g->ruler_h - 1, VW_C_TEXT_DIM);
        char buf[32];
        vw__tick_label(buf, sizeof buf, t, step);
        if (x + 4 + ms->text_w(ms->ctx, VW_FONT_SMALL, buf) >
            g->tl_x + g->tl_w - 2)
            continue; /* a cut label reads as a wrong number */
        vw__dl_text(dl, VW_R_TICK_LABEL, VW_FONT_SMALL, x + 4,
                    g->ruler_y + (g->ruler_h - ms->line_h) / 2, VW_C_TEXT_DIM,
                    buf);
    }
    vw__dl_clip(dl, 0, 0, 0, 0);
    char buf[48];
    int64_t w = st->t1 - st->t0;
    char d[24];
    tr_fmt_dur(d, sizeof d, w);
    snprintf(buf, sizeof buf, "window %s", d);
    vw__dl_text(dl, VW_R_TICK_LABEL, VW_FONT_SMALL, g->label_x + 8,
                g->ruler_y + (g->ruler_h - ms->line_h) / 2, VW_C_TEXT_DIM, buf);
}

static void draw_overview(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                          const vw_model *m, const vw_measure *ms)
{
    vw__dl_rect(dl, VW_R_OVERVIEW, 0, g->ov_y, g->panel_x, g->ov_h, VW_C_BG);
    vw__dl_text(dl, VW_R_OVERVIEW, VW_FONT_SMALL, g->label_x + 8, g->ov_y + 4,
                VW_C_TEXT_DIM, "overview");
    vw__dl_text(dl, VW_R_OVERVIEW, VW_FONT_SMALL, g->label_x + 8,
                g->ov_y + 4 + ms->line_h, VW_C_TEXT_DIM, "loop busy");
    int64_t dur = st->duration > 0 ? st->duration : 1;
    int top = g->ov_y + 3, hh = g->ov_h - 6;
    int run_x = 0, run_w = 0, run_h = -1;
    vw_rgba bar = vw__lerp(VW_C_LOOP_IDLE, VW_C_LOOP_BUSY, 0.75);
    /* loop busy fraction per column, like a CPU graph */
    for (int x = 0; x < st->ov_cols && !dl->oom; x++) {
        int bh = (int)lroundf(st->ov_busy[x] * hh);
        if (bh == run_h) { /* columns of one height make one rect */
            run_w++;
            continue;
        }
        if (run_h > 0)
            vw__dl_rect(dl, VW_R_OVERVIEW, g->tl_x + run_x, top + hh - run_h,
                        run_w, run_h, bar);
        run_x = x;
        run_w = 1;
        run_h = bh;
    }
    if (run_h > 0)
        vw__dl_rect(dl, VW_R_OVERVIEW, g->tl_x + run_x, top + hh - run_h, run_w,
                    run_h, bar);
    size_t ns = tr_nstalls(m->tr);
    const tr_stall *s = tr_stalls(m->tr);
    int last = -1;
    for (size_t k = 0; k < ns; k++) {
        int x = g->tl_x + vw__px((double)s[k].t * g->tl_w / dur);
        if (x == last)
            continue;
        last = x;
        vw__dl_rect(dl, VW_R_STALL, x, g->ov_y + 1, 2, 6, VW_C_STALL);
    }
    /* the visible window */
    int vx0 = g->tl_x + vw__px(floor((double)st->t0 * g->tl_w / dur));
    int vx1 = g->tl_x + vw__px(ceil((double)st->t1 * g->tl_w / dur));
    if (vx0 < g->tl_x)
        vx0 = g->tl_x;
    if (vx1 > g->tl_x + g->tl_w)
        vx1 = g->tl_x + g->tl_w;
    if (vx1 - vx0 < 3)
        vx1 = vx0 + 3;
    vw_rgba fill = {0x58, 0xa6, 0xff, 40};
    vw__dl_rect(dl, VW_R_VIEWPORT, vx0, g->ov_y + 1, vx1 - vx0, g->ov_h - 2,
                fill);
    vw__dl_frame(dl, VW_R_VIEWPORT, vx0, g->ov_y + 1, vx1 - vx0, g->ov_h - 2,
                 VW_C_ACCENT);
    int px = g->tl_x + vw__px((double)st->playhead * g->tl_w / dur);
    vw__dl_line(dl, VW_R_PLAYHEAD, px, g->ov_y, px, g->ov_y + g->ov_h - 1,
                VW_C_PLAYHEAD);
    vw__dl_line(dl, VW_R_OVERVIEW, 0, g->ov_y + g->ov_h - 1, g->panel_x,
                g->ov_y + g->ov_h - 1, VW_C_GRID);
}

static void draw_playhead(vw_drawlist *dl, const vw_geom *g, const vw_state *st)
{
    double xd = vw__x_of(g, st, st->playhead);
    int xr = g->tl_x + g->tl_w;
    /* the future, right of the playhead, is dimmed */
    int dx = xd < g->tl_x ? g->tl_x : vw__px(floor(xd)) + 1;
    if (dx < xr)
        vw__dl_rect(dl, VW_R_DIM, dx, g->lanes_y, xr - dx, g->lanes_h,
                    VW_C_DIM);
    if (xd < g->tl_x || xd >= xr)
        return;
    int x = vw__px(floor(xd));
    vw__dl_line(dl, VW_R_PLAYHEAD, x, g->ruler_y, x, g->lanes_y + g->lanes_h,
                VW_C_PLAYHEAD);
    vw__dl_rect(dl, VW_R_PLAYHEAD, x - 4, g->ruler_y + g->ruler_h - 8, 9, 8,
                VW_C_PLAYHEAD);
}

/* ---- top bar and legend ---- */

/* The top bar's right end: a prompt, a status line, a filter, how a
 * followed file stands, how the run ended, or the key hint; its colour in
 * *col (left as it is for the dim ones). */
static const char *topbar_message(const vw_state *st, const vw_model *m, char *buf, size_t n,
                                  vw_rgba *col)
{
    const tr_header *h = tr_head(m->tr);
    const char *msg = NULL;
    if (st->prompt) {
        snprintf(buf, n, "%s %.200s\xe2\x96\x8f",
                 st->prompt == VW_PROMPT_GOTO   ? "go to time:"
                 : st->prompt == VW_PROMPT_OPEN ? "open trace:"
                                                : "filter tasks:",
                 st->prompt_buf);
        msg = buf;
        *col = VW_C_PLAYHEAD;
    } else if (st->status[0]) {
        msg = st->status;
        *col = VW_C_PLAYHEAD;
    } else if (st->filter[0]) {
        snprintf(buf, n, "filter: %s (/ to edit, Esc in it clears)",
                 st->filter);
        msg = buf;
    } else if (st->follow == VW_FOLLOW_STOPPED) {
        snprintf(buf, n, "\xe2\x9a\xa0 stopped following: %.200s",
                 st->follow_msg);
        msg = buf;
        *col = VW_C_STALL;
    } else if (tr_ending_died(tr_trace_ending(m->tr, NULL))) {
        /* the program died: the runtime's words (a fatal misuse, the
         * signal that killed it, exit() before co_main returned) */
        char end[1024];
        snprintf(buf, n, "\xe2\x9a\xa0 %s", tr_ending_describe(m->tr, end, sizeof end));
        msg = buf;
        *col = VW_C_STALL;
    } else if (st->follow == VW_FOLLOW_ENDED) {
        msg = "trace ended (its end line was read)";
    } else if (st->follow == VW_FOLLOW_GROWING) {
        msg = st->live ? "\xe2\x97\x8f LIVE: following the end (l: stop)"
                       : "following the file (l: live)";
        *col = st->live ? VW_C_LOOP_BUSY : VW_C_TEXT_DIM;
    } else if (h->truncated) {
        msg = "\xe2\x9a\xa0 trace cut short (no end line)";
        *col = (vw_rgba){0xe3, 0xb3, 0x41, 255};
    } else {
        msg = "? keys";
    }
    return msg;
}

static void draw_topbar(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                        const vw_model *m, const vw_measure *ms)
{
    vw__dl_rect(dl, VW_R_TOPBAR, 0, g->top_y, g->w, g->top_h, VW_C_PANEL);
    vw__dl_line(dl, VW_R_TOPBAR, 0, g->top_y + g->top_h - 1, g->w,
                g->top_y + g->top_h - 1, VW_C_GRID);
    int ty = g->top_y + (g->top_h - ms->line_h) / 2;
    const tr_header *h = tr_head(m->tr);
    char buf[256], t[40];
    int x = 10;
    vw__dl_text(dl, VW_R_TOPBAR, VW_FONT_BOLD, x, ty, VW_C_ACCENT, "coscope");
    x += ms->text_w(ms->ctx, VW_FONT_BOLD, "coscope") + 12;
    snprintf(buf, sizeof buf, "%s  pid %lld",
             h->program && h->program[0] ? h->program : "(program)",
             (long long)h->pid);
    char cut[256];
    vw__dl_text(dl, VW_R_TOPBAR, VW_FONT_NORMAL, x, ty, VW_C_TEXT,
                vw__fit_text(ms, VW_FONT_NORMAL, buf, g->tl_x - x - 8, cut,
                             sizeof cut));
    x = g->tl_x + 10;
    /* a drawn play / pause icon: glyphs for them vary between fonts */
    int iy = g->top_y + g->top_h / 2;
    if (st->playing) {
        for (int k = 0; k < 6; k++)
            vw__dl_line(dl, VW_R_TOPBAR, x + k, iy - 6 + k, x + k, iy + 6 - k,
                        VW_C_PLAYHEAD);
    } else {
        vw__dl_rect(dl, VW_R_TOPBAR, x, iy - 6, 3, 12, VW_C_TEXT);
        vw__dl_rect(dl, VW_R_TOPBAR, x + 6, iy - 6, 3, 12, VW_C_TEXT);
    }
    x += 16;
    snprintf(buf, sizeof buf, "%s %s", st->playing ? "playing" : "paused",
             vw__fmt_time(t, sizeof t, st->playhead));
    vw__dl_text(dl, VW_R_TOPBAR, VW_FONT_BOLD, x, ty,
                st->playing ? VW_C_PLAYHEAD : VW_C_TEXT, buf);
    x += ms->text_w(ms->ctx, VW_FONT_BOLD, buf) + 18;
    snprintf(buf, sizeof buf, "speed %gx   event %ld / %zu   stalls %zu",
             st->speed, st->cursor + 1, tr_nevents(m->tr), tr_nstalls(m->tr));
    vw__dl_text(dl, VW_R_TOPBAR, VW_FONT_NORMAL, x, ty, VW_C_TEXT_DIM, buf);
    x += ms->text_w(ms->ctx, VW_FONT_NORMAL, buf) + 18;
    /* the right end: a prompt, a status line, or how the trace ends */
    vw_rgba col = VW_C_TEXT_DIM;
    const char *msg = topbar_message(st, m, buf, sizeof buf, &col);
    int mw = ms->text_w(ms->ctx, VW_FONT_NORMAL, msg);
    int mx = g->w - 12 - mw;
    if (mx < x)
        mx = x;
    vw__dl_text(dl, VW_R_TOPBAR, VW_FONT_NORMAL, mx, ty, col, msg);
}

static void draw_legend(vw_drawlist *dl, const vw_geom *g, const vw_measure *ms)
{
    enum { CHIP, LOOP, STALL, WAKE_IN, WAKE_OUT };
    static const struct {
        const char *name;
        int kind, state, why;
    } items[] = {
        {"running", CHIP, TR_ST_RUNNING, 0},
        {"ready (latency)", CHIP, TR_ST_READY, 0},
        {"io", CHIP, TR_ST_WAITING, TR_WAIT_IO},
        {"sleep", CHIP, TR_ST_WAITING, TR_WAIT_SLEEP},
        {"lock", CHIP, TR_ST_WAITING, TR_WAIT_LOCK},
        {"chan", CHIP, TR_ST_WAITING, TR_WAIT_CHAN_RECV},
        {"join", CHIP, TR_ST_WAITING, TR_WAIT_JOIN},
        {"work", CHIP, TR_ST_WAITING, TR_WAIT_WORK},
        {"yield/event", CHIP, TR_ST_WAITING, TR_WAIT_YIELD},
        {"done", CHIP, TR_ST_DONE, 0},
        {"loop busy/idle", LOOP, 0, 0},
        {"stall", STALL, 0, 0},
        {"woken by", WAKE_IN, 0, 0},
        {"wakes", WAKE_OUT, 0, 0},
    };
    vw__dl_rect(dl, VW_R_LEGEND, 0, g->legend_y, g->w, g->legend_h, VW_C_PANEL);
    vw__dl_line(dl, VW_R_LEGEND, 0, g->legend_y, g->w, g->legend_y, VW_C_GRID);
    int x = 10, cy = g->legend_y + g->legend_h / 2;
    int ty = g->legend_y + (g->legend_h - ms->line_h) / 2;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        int tw = ms->text_w(ms->ctx, VW_FONT_SMALL, items[i].name);
        if (x + 17 + tw > g->w - 6)
            break; /* a narrow window shows what fits, never a cut label */
        switch (items[i].kind) {
        case CHIP:
            vw__dl_rect(dl, VW_R_LEGEND, x, cy - 6, 12, 12,
                        vw__state_colour(items[i].state, items[i].why));
            break;
        case LOOP:
            vw__dl_rect(dl, VW_R_LEGEND, x, cy - 6, 6, 12, VW_C_LOOP_BUSY);
            vw__dl_rect(dl, VW_R_LEGEND, x + 6, cy - 6, 6, 12, VW_C_LOOP_IDLE);
            break;
        case STALL:
            vw__dl_frame(dl, VW_R_LEGEND, x, cy - 6, 12, 12, VW_C_STALL);
            vw__dl_frame(dl, VW_R_LEGEND, x + 1, cy - 5, 10, 10, VW_C_STALL);
            break;
        default:
            vw__dl_line(dl, VW_R_LEGEND, x, cy, x + 12, cy,
                        items[i].kind == WAKE_IN ? VW_C_WAKE_IN
                                                 : VW_C_WAKE_OUT);
            break;
        }
        x += 17;
        vw__dl_text(dl, VW_R_LEGEND, VW_FONT_SMALL, x, ty, VW_C_TEXT,
                    items[i].name);
        x += tw + 16;
    }
}

/* ---- hover tooltip ---- */

/* A tooltip's text: the first line bold, lines saying STALL in red. */
typedef struct tip {
    char lines[12][160];
    int n;
} tip;

/* Frames of a span's stack the tooltip lists; the detail panel has them all. */
#define TIP_FRAMES 4

static char *tip_line(tip *tp)
{
    return tp->lines[tp->n++];
}

/* A span's caller chain, innermost first, as the detail panel lists it:
 * "stack: FRAME", then "  < FRAME" per caller, the first TIP_FRAMES frames
 * and "  (N more)". Nothing for stack 0. */
static void tip_stack(tip *tp, const vw_model *m, uint32_t stack)
{
    size_t depth = tr_stack_depth(m->tr, stack);
    char f[sizeof tp->lines[0] - 8];
    for (size_t i = 0; i < depth; i++) {
        tr_frame fr;
        if (i == TIP_FRAMES) {
            snprintf(tip_line(tp), sizeof tp->lines[0], "  (%zu more)",
                     depth - i);
            break;
        }
        if (tr_stack_frame(m->tr, stack, i, &fr) != 0)
            break;
        snprintf(tip_line(tp), sizeof tp->lines[0], "%s%s",
                 i ? "  < " : "stack: ", tr_fmt_frame(f, sizeof f, &fr));
    }
}

/* What a task was doing at t: the span, its times and site, and the stall
 * it is part of. 0 when the task has no span there. */
static int tip_task(tip *tp, const vw_model *m, uint32_t task, int64_t t)
{
    size_t si = tr_span_find(m->tr, task, t);
    if (si == SIZE_MAX)
        return 0;
    const size_t n = sizeof tp->lines[0];
    const tr_span *sp = &tr_spans(m->tr)[si];
    int64_t fd = tr_span_fd(m->tr, sp);
    uint32_t obj = tr_span_obj(m->tr, sp), site = tr_span_site(m->tr, sp);
    char a[32], b[32], d[32];
    vw__fmt_task(tip_line(tp), n, m, task);
    const char *what = vw__state_name(sp->state, sp->why);
    if (sp->state == TR_ST_WAITING && sp->why == TR_WAIT_IO && sp->op) {
        if (fd >= 0)
            snprintf(tip_line(tp), n, "waiting: io %s fd %lld",
                     tr_op_name(sp->op), (long long)fd);
        else
            snprintf(tip_line(tp), n, "waiting: io %s", tr_op_name(sp->op));
    } else if (sp->state == TR_ST_WAITING && obj) {
        char on[128];
        snprintf(tip_line(tp), n, "waiting: %s",
                 tr_describe_wait(m->tr, sp->why, sp->op, -1, obj, on,
                                  sizeof on));
    } else if (sp->state == TR_ST_WAITING) {
        snprintf(tip_line(tp), n, "waiting: %s", what);
    } else {
        snprintf(tip_line(tp), n, "%s", what);
    }
    snprintf(tip_line(tp), n, "%s   (%s \xe2\x86\x92 %s)",
             tr_fmt_dur(d, sizeof d, sp->t1 - sp->t0),
             tr_fmt_dur(a, sizeof a, sp->t0), tr_fmt_dur(b, sizeof b, sp->t1));
    if (site)
        snprintf(tip_line(tp), n, "at %s", tr_str(m->tr, site));
    tip_stack(tp, m, tr_span_stack(m->tr, si));
    size_t ns = tr_nstalls(m->tr);
    const tr_stall *s = tr_stalls(m->tr);
    for (size_t k = 0; k < ns; k++)
        if (s[k].task == task && t >= s[k].t &&
            t <= vw__add(s[k].t, s[k].dur > 0 ? s[k].dur : 0)) {
            snprintf(tip_line(tp), n, "STALL: %s, %s",
                     tr_stall_label(&s[k]),
                     tr_fmt_dur(d, sizeof d, s[k].dur));
            break;
        }
    return 1;
}

/* The pool work running on a thread's lane at t. 0 when none. */
static int tip_pool(tip *tp, const vw_model *m, const vw_lane *l, int64_t t)
{
    uint32_t w0 = m->thread_w0[l->idx], w1 = m->thread_w0[l->idx + 1];
    const tr_work *w = tr_works(m->tr);
    const size_t n = sizeof tp->lines[0];
    for (uint32_t k = w0; k < w1; k++) {
        const tr_work *x = &w[m->work_idx[k]];
        int64_t e = x->t1 < 0 ? m->duration : x->t1;
        if (t >= x->t0 && t < e) {
            char tn[96], d[32];
            snprintf(tip_line(tp), n, "work %s", tr_str(m->tr, x->name));
            snprintf(tip_line(tp), n, "for %s, %s",
                     vw__fmt_task(tn, sizeof tn, m, x->task),
                     tr_fmt_dur(d, sizeof d, e - x->t0));
            return 1;
        }
    }
    return 0;
}

/* The box beside the mouse, kept inside the window and above the legend. */
static void tip_draw(vw_drawlist *dl, const vw_geom *g, const vw_measure *ms,
                     int mx, int my, const tip *tp)
{
    int wmax = 0;
    for (int i = 0; i < tp->n; i++) {
        int tw = ms->text_w(ms->ctx, i ? VW_FONT_NORMAL : VW_FONT_BOLD,
                            tp->lines[i]);
        if (tw > wmax)
            wmax = tw;
    }
    int bw = wmax + 20, bh = tp->n * (ms->line_h + 3) + 12;
    int bx = mx + 16, by = my + 18;
    if (bx + bw > g->w - 4)
        bx = mx - 16 - bw;
    if (by + bh > g->legend_y)
        by = my - 10 - bh;
    vw_rgba shadow = {0, 0, 0, 120};
    vw__dl_rect(dl, VW_R_TOOLTIP, bx + 3, by + 3, bw, bh, shadow);
    vw__dl_rect(dl, VW_R_TOOLTIP, bx, by, bw, bh, VW_C_PANEL);
    vw__dl_frame(dl, VW_R_TOOLTIP, bx, by, bw, bh, VW_C_GRID);
    for (int i = 0; i < tp->n; i++)
        vw__dl_text(dl, VW_R_TOOLTIP, i ? VW_FONT_NORMAL : VW_FONT_BOLD,
                    bx + 10, by + 6 + i * (ms->line_h + 3),
                    strncmp(tp->lines[i], "STALL", 5) == 0 ? VW_C_STALL
                                                           : VW_C_TEXT,
                    tp->lines[i]);
}

static void draw_tooltip(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                         const vw_model *m, const vw_measure *ms)
{
    int mx = st->mouse_x, my = st->mouse_y;
    if (st->drag || mx < g->tl_x || mx >= g->tl_x + g->tl_w)
        return;
    long li = vw__lane_at(g, st, my);
    if (li < 0)
        return;
    const vw_lane *l = &st->lanes[li];
    int64_t t = vw__t_of(g, st, mx);
    tip tp;
    tp.n = 0;
    if (l->kind == VW_LANE_TASK) {
        if (!tip_task(&tp, m, l->id, t))
            return;
    } else if (l->kind == VW_LANE_LOOP) {
        char a[32];
        snprintf(tip_line(&tp), sizeof tp.lines[0], "event loop at %s",
                 tr_fmt_dur(a, sizeof a, t));
    } else if (!tip_pool(&tp, m, l, t)) {
        return;
    }
    tip_draw(dl, g, ms, mx, my, &tp);
}

void vw__layout(vw_drawlist *dl, const vw_state *st, const vw_model *m,
                const vw_measure *ms)
{
    vw_geom g;
    vw__geom_st(&g, st);
    vw__dl_reset(dl);
    vw__dl_rect(dl, VW_R_BG, 0, 0, g.w, g.h, VW_C_BG);
    draw_overview(dl, &g, st, m, ms);
    draw_ruler(dl, &g, st, ms);
    draw_ruler_stalls(dl, &g, st, m);
    draw_lanes(dl, &g, st, m, ms);
    draw_playhead(dl, &g, st);
    if (tr_nevents(m->tr) == 0) {
        const char *msg = "Empty trace: the file has a header but no events";
        int tw = ms->text_w(ms->ctx, VW_FONT_BOLD, msg);
        vw__dl_text(dl, VW_R_MESSAGE, VW_FONT_BOLD, g.tl_x + (g.tl_w - tw) / 2,
                    g.lanes_y + g.lanes_h / 2, VW_C_TEXT_DIM, msg);
    }
    vw__layout_panels(dl, &g, st, m, ms);
    draw_topbar(dl, &g, st, m, ms);
    draw_legend(dl, &g, ms);
    draw_tooltip(dl, &g, st, m, ms);
    if (st->help)
        vw__layout_help(dl, &g, ms);
}
