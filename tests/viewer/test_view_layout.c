/* test_view_layout.c: the viewer's layout, checked on its draw-command list
 * with no window — lane order, span rectangles at exact pixels for known
 * zooms, density blocks when spans are narrower than a pixel, the dimmed
 * future, the ruler's ticks and the time parser. */
#include <errno.h>

#include "coscope/tr_args.h"
#include "view_fixture.h"

/* 1600x900: timeline x 240..1200 (960 px); with the window 0..9.6 ms one
 * pixel is exactly 10 us. Lanes start at y 94, 24 px each, spans inset 4. */
enum { TL_X = 240, TL_W = 960, LANES_Y = 94, LANE_H = 24 };

static void window(int64_t t0, int64_t t1)
{
    S.t0 = t0;
    S.t1 = t1;
}

static void test_geometry(void)
{
    vw_geom g;
    vw__geom(&g, 1600, 900);
    ASSERT_EQ(g.tl_x, TL_X);
    ASSERT_EQ(g.tl_w, TL_W);
    ASSERT_EQ(g.lanes_y, LANES_Y);
    ASSERT_EQ(g.lane_h, LANE_H);
    ASSERT_EQ(g.panel_x, 1200);
    ASSERT_EQ(g.legend_y, 872);
}

static void test_lane_order(void)
{
    fx_open("small.jsonl");
    /* loop, then depth-first by spawn: main > worker > child, then logger */
    ASSERT_EQ(S.nlanes, 5);
    ASSERT_EQ(S.lanes[0].kind, VW_LANE_LOOP);
    uint32_t ids[] = {1, 2, 4, 3}, depth[] = {0, 1, 2, 0};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(S.lanes[i + 1].kind, VW_LANE_TASK);
        ASSERT_EQ(S.lanes[i + 1].id, ids[i]);
        ASSERT_EQ(S.lanes[i + 1].depth, depth[i]);
    }
    ASSERT_EQ(S.lanes[1].nchildren, 1);
    ASSERT_EQ(S.lanes[2].nchildren, 1);
    /* labels in that order, top to bottom */
    fx_layout();
    const char *names[] = {"event loop", "main", "worker", "child", "logger"};
    for (int i = 0; i < 5; i++) {
        const vw_cmd *c = NULL;
        for (int k = 0; (c = fx_find(VW_CMD_TEXT, VW_R_LABEL, 0, k)); k++)
            if (c->lane == i && strcmp(vw__dl_str(&DL, c), names[i]) == 0)
                break;
        ASSERT_NOT_NULL(c);
        ASSERT_EQ(c->y, LANES_Y + i * LANE_H + (LANE_H - 15) / 2);
    }
    /* collapsing worker hides child */
    vw__select(&S, &M, 2, -1);
    vw_action a = {.kind = VW_A_COLLAPSE};
    vw__apply(&S, &M, &a);
    ASSERT_EQ(S.nlanes, 4);
    ASSERT_EQ(S.lanes[2].id, 2);
    ASSERT_EQ(S.lanes[2].collapsed, 1);
    ASSERT_EQ(S.lanes[3].id, 3);
    vw__apply(&S, &M, &a);
    ASSERT_EQ(S.nlanes, 5);
    fx_close();
}

static void test_pool_lane(void)
{
    fx_open("stalls.jsonl");
    ASSERT_EQ(S.nlanes, 4);
    ASSERT_EQ(S.lanes[1].kind, VW_LANE_POOL);
    ASSERT_EQ(S.lanes[1].id, 1);
    window(0, 96000000); /* 100 us per pixel */
    fx_layout();
    /* work 40.1 ms .. 45 ms on thread 1 */
    const vw_cmd *c = fx_find(VW_CMD_RECT, VW_R_WORK, 0, 0);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(c->x, TL_X + 401);
    ASSERT_EQ(c->w, 450 - 401);
    ASSERT_EQ(c->y, LANES_Y + LANE_H + 4);
    fx_close();
}

static void test_span_pixels(void)
{
    fx_open("small.jsonl");
    window(0, 9600000);
    fx_layout();
    /* main: ready 0..0.1 ms, running 0.1..1 ms, join 1..6.2 ms, ready
     * 6.2..6.3, running 6.3..9.6 */
    const vw_cmd *c = fx_find(VW_CMD_RECT, VW_R_SPAN, 1, 0);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(c->state, TR_ST_READY);
    ASSERT_EQ(c->x, TL_X);
    ASSERT_EQ(c->w, 10);
    ASSERT_EQ(c->y, LANES_Y + LANE_H + 4);
    ASSERT_EQ(c->h, LANE_H - 8);
    c = fx_find(VW_CMD_RECT, VW_R_SPAN, 1, 1);
    ASSERT_EQ(c->state, TR_ST_RUNNING);
    ASSERT_EQ(c->x, TL_X + 10);
    ASSERT_EQ(c->w, 90);
    c = fx_find(VW_CMD_RECT, VW_R_SPAN, 1, 2);
    ASSERT_EQ(c->state, TR_ST_WAITING);
    ASSERT_EQ(c->why, TR_WAIT_JOIN);
    ASSERT_EQ(c->x, TL_X + 100);
    ASSERT_EQ(c->w, 520);
    vw_rgba join = vw__state_colour(TR_ST_WAITING, TR_WAIT_JOIN);
    ASSERT_EQ(c->c.r, join.r);
    ASSERT_EQ(c->c.g, join.g);
    ASSERT_EQ(c->c.b, join.b);
    c = fx_find(VW_CMD_RECT, VW_R_SPAN, 1, 4);
    ASSERT_EQ(c->state, TR_ST_RUNNING);
    ASSERT_EQ(c->x, TL_X + 630);
    ASSERT_EQ(c->w, 330);
    /* worker's io wait 3..6 ms, lane 2 */
    int found = 0;
    for (int k = 0; (c = fx_find(VW_CMD_RECT, VW_R_SPAN, 2, k)); k++)
        if (c->state == TR_ST_WAITING && c->why == TR_WAIT_IO) {
            ASSERT_EQ(c->x, TL_X + 300);
            ASSERT_EQ(c->w, 300);
            ASSERT_EQ(c->y, LANES_Y + 2 * LANE_H + 4);
            found++;
        }
    ASSERT_EQ(found, 1);
    /* zoomed 4x around 2 ms: 2.5 us per pixel, worker runs 1..3 ms */
    window(1600000, 4000000);
    fx_layout();
    for (int k = 0; (c = fx_find(VW_CMD_RECT, VW_R_SPAN, 2, k)); k++)
        if (c->state == TR_ST_RUNNING)
            break;
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(c->x, TL_X); /* starts left of the window: clipped */
    ASSERT_EQ(c->w, 560);  /* (3.0 - 1.6) ms / 2.5 us */
    fx_close();
}

/* The newer waits (select, sem, cond, group, signal) have colours of
 * their own, opaque and distinct from every other state's. */
static void test_wait_colours(void)
{
    static const struct {
        int why;
        vw_rgba c;
    } want[] = {{TR_WAIT_SELECT, {0x89, 0x57, 0xe5, 255}},
                {TR_WAIT_SEM, {0xf7, 0x78, 0xba, 255}},
                {TR_WAIT_COND, {0x9e, 0x6a, 0x03, 255}},
                {TR_WAIT_GROUP, {0x1f, 0x9e, 0x89, 255}},
                {TR_WAIT_SIGNAL, {0x4c, 0x5a, 0x8a, 255}}};
    fx_open("waits.jsonl");
    window(0, 6000000);
    fx_layout();
    for (uint32_t task = 1; task <= 5; task++) {
        const vw_cmd *c = NULL;
        for (int k = 0; (c = fx_find(VW_CMD_RECT, VW_R_SPAN, task, k)); k++)
            if (c->state == TR_ST_WAITING)
                break;
        ASSERT_NOT_NULL(c);
        ASSERT_EQ(c->why, want[task - 1].why);
        ASSERT_EQ(c->c.r, want[task - 1].c.r);
        ASSERT_EQ(c->c.g, want[task - 1].c.g);
        ASSERT_EQ(c->c.b, want[task - 1].c.b);
        ASSERT_EQ(c->c.a, 255);
    }
    fx_close();
    /* every state and wait its own colour (the two channel sides share) */
    vw_rgba all[TR_WAIT__COUNT + 3];
    int n = 0;
    for (int w = 0; w < TR_WAIT__COUNT; w++)
        if (w != TR_WAIT_CHAN_RECV)
            all[n++] = vw__state_colour(TR_ST_WAITING, w);
    all[n++] = vw__state_colour(TR_ST_RUNNING, 0);
    all[n++] = vw__state_colour(TR_ST_READY, 0);
    all[n++] = vw__state_colour(TR_ST_DONE, 0);
    for (int i = 0; i < n; i++) {
        ASSERT_EQ(all[i].a, 255);
        for (int j = 0; j < i; j++)
            ASSERT(all[i].r != all[j].r || all[i].g != all[j].g || all[i].b != all[j].b);
    }
}

/* Annotated spans (co_span_begin / end): tr_annot_list pairs them per task
 * with their depth, the open one ending at the trace's end; the layout
 * draws each as a 3 px bar in its lane's bottom padding, nested ones in the
 * second shade, at exact pixels (1 px = 10 us here). */
static void test_annot_bars(void)
{
    fx_open("annots.jsonl");
    tr_annot_span *v = NULL;
    ASSERT_EQ(tr_annot_list(TR, &v), 4);
    ASSERT_EQ(v[0].task, 1); /* by task, then t0 */
    ASSERT_STR_EQ(tr_str(TR, v[0].name), "outer");
    ASSERT_EQ(v[0].t0, 1000000);
    ASSERT_EQ(v[0].t1, 5000000);
    ASSERT_EQ(v[0].depth, 0);
    ASSERT_STR_EQ(tr_str(TR, v[1].name), "inner");
    ASSERT_EQ(v[1].t1, 3000000);
    ASSERT_EQ(v[1].depth, 1); /* "elsewhere" of task 2 does not nest it */
    ASSERT_STR_EQ(tr_str(TR, v[2].name), "tail");
    ASSERT_EQ(v[2].t1, 9600000);
    ASSERT_EQ(v[2].open, 1);
    ASSERT_EQ(v[3].task, 2);
    ASSERT_EQ(v[3].depth, 0);
    ASSERT_EQ(v[3].open, 0);
    free(v);
    window(0, 9600000);
    fx_layout();
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_ANNOT, 0), 4);
    static const int want[][3] = {{100, 400, 0}, {200, 100, 1}, {700, 260, 0}};
    for (int k = 0; k < 3; k++) {
        const vw_cmd *c = fx_find(VW_CMD_RECT, VW_R_ANNOT, 1, k);
        ASSERT_NOT_NULL(c);
        ASSERT_EQ(c->x, TL_X + want[k][0]);
        ASSERT_EQ(c->w, want[k][1]);
        ASSERT_EQ(c->y, LANES_Y + LANE_H + LANE_H - 4);
        ASSERT_EQ(c->h, 3);
        ASSERT_EQ(c->c.r, want[k][2] ? 0x8b : 0xdc);
    }
    const vw_cmd *c = fx_find(VW_CMD_RECT, VW_R_ANNOT, 2, 0);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(c->x, TL_X + 250);
    ASSERT_EQ(c->w, 550);
    ASSERT_EQ(c->y, LANES_Y + 2 * LANE_H + LANE_H - 4);
    /* a window inside "outer" after "inner": only outer, clipped */
    window(3500000, 4500000);
    fx_layout();
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_ANNOT, 1), 1);
    c = fx_find(VW_CMD_RECT, VW_R_ANNOT, 1, 0);
    ASSERT_EQ(c->x, TL_X);
    ASSERT_EQ(c->w, TL_W);
    fx_close();
}

static void test_lod_density(void)
{
    fx_open("small.jsonl");
    window(0, 960000000); /* 1 ms per pixel: every span is sub-pixel */
    fx_layout();
    /* main: column 0 is 0.9 ms running (dominant: running colour);
     * join 1..6.2 ms is 5.2 px wide: a span; column 6 is merged again;
     * running 7..9.6 is 2.6 px: a span */
    vw_rgba run = vw__state_colour(TR_ST_RUNNING, 0);
    const vw_cmd *c = fx_find(VW_CMD_RECT, VW_R_DENSITY, 1, 0);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(c->x, TL_X);
    ASSERT_EQ(c->w, 1);
    ASSERT_EQ(c->c.g, run.g);
    c = fx_find(VW_CMD_RECT, VW_R_SPAN, 1, 0);
    ASSERT_EQ(c->x, TL_X + 1);
    ASSERT_EQ(c->w, 5);
    ASSERT_EQ(c->why, TR_WAIT_JOIN);
    c = fx_find(VW_CMD_RECT, VW_R_DENSITY, 1, 1);
    ASSERT_EQ(c->x, TL_X + 6);
    ASSERT_EQ(c->w, 1);
    c = fx_find(VW_CMD_RECT, VW_R_SPAN, 1, 1);
    ASSERT_EQ(c->x, TL_X + 7);
    ASSERT_EQ(c->w, 2);
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_DENSITY, 1), 2);
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_SPAN, 1), 2);
    fx_close();
}

/* 1000 cycles of 1 us running + 1 us ready: 2000 spans in 2 ms. */
static void test_lod_many(void)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    n +=
        (size_t)snprintf(buf + n, cap - n,
                         "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":"
                         "1,\"program\":\"spin\",\"pid\":1,\"clock\":"
                         "\"monotonic\",\"unix_ns\":0}\n"
                         "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,"
                         "\"name\":\"spin\"}\n"
                         "{\"t\":0,\"ev\":\"ready\",\"task\":1,\"by\":0,"
                         "\"why\":\"spawn\"}\n");
    int64_t t = 0;
    for (int i = 0; i < 1000; i++) {
        n += (size_t)snprintf(buf + n, cap - n,
                              "{\"t\":%lld,\"ev\":\"run\",\"task\":1}\n"
                              "{\"t\":%lld,\"ev\":\"yield\",\"task\":1,"
                              "\"why\":\"yield\"}\n"
                              "{\"t\":%lld,\"ev\":\"ready\",\"task\":1,"
                              "\"by\":1,\"why\":\"yield\"}\n",
                              (long long)t, (long long)(t + 1000),
                              (long long)(t + 1000));
        t += 2000;
    }
    n += (size_t)snprintf(buf + n, cap - n,
                          "{\"t\":%lld,\"ev\":\"run\",\"task\":1}\n"
                          "{\"t\":9600000,\"ev\":\"exit\",\"task\":1,"
                          "\"status\":\"ok\"}\n",
                          (long long)t);
    tr_trace *tr = NULL;
    tr_load_opts lo = TR_LOAD_OPTS_INIT;
    ASSERT_OK(tr_load_mem("spin", buf, n, &lo, &tr));
    free(buf);
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    ASSERT_OK(tr_analyze(tr, &ao));
    TR = tr;
    ASSERT_OK(vw__model_init(&M, tr));
    ASSERT_OK(vw__state_init(&S, &M, 1600, 900));
    vw__dl_init(&DL);
    ASSERT_CMP(tr_nspans(M.tr), >=, 2000);
    window(0, 9600000); /* 10 us per pixel: 2 ms of spans = 200 columns */
    fx_layout();
    /* every column is half running, half ready: one merged block */
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_DENSITY, 1), 1);
    const vw_cmd *c = fx_find(VW_CMD_RECT, VW_R_DENSITY, 1, 0);
    ASSERT_EQ(c->x, TL_X);
    ASSERT_EQ(c->w, 200);
    vw_rgba want = vw__lerp(vw__state_colour(TR_ST_READY, 0),
                            vw__state_colour(TR_ST_RUNNING, 0), 0.5);
    vw_rgba want2 = vw__state_colour(TR_ST_RUNNING, 0);
    /* the column's midpoint state is the base colour: ready or running */
    ASSERT(memcmp(&c->c, &want, 4) == 0 || memcmp(&c->c, &want2, 4) == 0);
    /* then the last running span is one wide rect */
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_SPAN, 1), 1);
    c = fx_find(VW_CMD_RECT, VW_R_SPAN, 1, 0);
    ASSERT_EQ(c->x, TL_X + 200);
    ASSERT_EQ(c->w, 760);
    /* two rects for 2001 spans */
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_SPAN, 1) +
                  fx_count(VW_CMD_RECT, VW_R_DENSITY, 1),
              2);
    fx_close();
}

static void test_playhead_dim(void)
{
    fx_open("small.jsonl");
    window(0, 9600000);
    vw__set_playhead(&S, &M, 4800000);
    fx_layout();
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_DIM, 0), 1);
    const vw_cmd *c = fx_find(VW_CMD_RECT, VW_R_DIM, 0, 0);
    ASSERT_EQ(c->x, TL_X + 481);
    ASSERT_EQ(c->w, 1200 - (TL_X + 481));
    ASSERT_EQ(c->y, LANES_Y);
    ASSERT_EQ(c->h, 872 - LANES_Y);
    ASSERT_CMP(c->c.a, >, 0);
    ASSERT_CMP(c->c.a, <, 255);
    c = fx_find(VW_CMD_LINE, VW_R_PLAYHEAD, 0, 1);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(c->x, TL_X + 480);
    ASSERT_EQ(c->w, 0);
    /* each lane's label shows its state at the playhead */
    int io = 0, sleep = 0;
    const vw_cmd *t;
    for (int k = 0; (t = fx_find(VW_CMD_TEXT, VW_R_LABEL, 0, k)); k++) {
        io += strcmp(vw__dl_str(&DL, t), "io") == 0;
        sleep += strcmp(vw__dl_str(&DL, t), "sleep") == 0;
    }
    ASSERT_EQ(io, 1);
    ASSERT_EQ(sleep, 1);
    /* a playhead left of the window dims everything */
    vw__set_playhead(&S, &M, 0);
    window(1000000, 2000000);
    fx_layout();
    c = fx_find(VW_CMD_RECT, VW_R_DIM, 0, 0);
    ASSERT_EQ(c->x, TL_X);
    ASSERT_EQ(c->w, TL_W);
    fx_close();
}

static void test_stall_marks(void)
{
    fx_open("stalls.jsonl");
    ASSERT_EQ(tr_nstalls(M.tr), 3);
    window(0, 96000000);
    fx_layout();
    /* blocked loop: hog runs 0.1 .. 40.1 ms: frame on lane 2 */
    const vw_cmd *c = fx_find(VW_CMD_FRAME, VW_R_STALL, 1, 0);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(c->x, TL_X + 1);
    ASSERT_EQ(c->w, 400);
    ASSERT_EQ(c->lane, 2);
    /* and a marker on the ruler */
    c = fx_find(VW_CMD_RECT, VW_R_STALL, 1, 0);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(c->y, 68 + 1);
    /* selecting victim draws its wake-ups (by the loop at 70.2 ms) */
    vw__select(&S, &M, 2, -1);
    fx_layout();
    ASSERT_CMP(fx_count(VW_CMD_LINE, VW_R_WAKE, 2), >=, 1);
    c = fx_find(VW_CMD_LINE, VW_R_WAKE, 2, 0);
    ASSERT_EQ(c->x, TL_X + 0); /* spawned by the loop at 0 */
    ASSERT_EQ(c->y, LANES_Y + LANE_H / 2);
    ASSERT_EQ(c->y + c->h, LANES_Y + 3 * LANE_H + LANE_H / 2);
    fx_close();
}

static void test_empty(void)
{
    fx_open("empty.jsonl");
    ASSERT_EQ(S.nlanes, 1);
    fx_layout();
    const vw_cmd *c = fx_find(VW_CMD_TEXT, VW_R_MESSAGE, 0, 0);
    ASSERT_NOT_NULL(c);
    ASSERT_STR_EQ(vw__dl_str(&DL, c),
                  "Empty trace: the file has a header but no events");
    fx_close();
}

static void test_panels(void)
{
    fx_open("small.jsonl");
    vw__set_playhead(&S, &M, 3000000);
    vw__select(&S, &M, 2, (long)tr_span_find(M.tr, 2, 3000000));
    fx_layout();
    /* the detail panel names the wait's source line */
    int at = 0, cur = 0;
    const vw_cmd *c;
    for (int k = 0; (c = fx_find(VW_CMD_TEXT, VW_R_PANEL, 0, k)); k++)
        at += strcmp(vw__dl_str(&DL, c), "small.c:22") == 0;
    ASSERT_EQ(at, 1);
    /* the log highlights the cursor event: the last one at 3 ms */
    for (int k = 0; (c = fx_find(VW_CMD_TEXT, VW_R_LOG_CURRENT, 0, k)); k++)
        cur += strcmp(vw__dl_str(&DL, c), "run logger (3)") == 0;
    ASSERT_EQ(cur, 1);
    /* help lists every key */
    S.help = 1;
    fx_layout();
    int keys = (int)vw__help_rows();
    ASSERT_EQ(keys, 25);
    ASSERT_EQ(fx_count(VW_CMD_TEXT, VW_R_HELP, 0), 2 + 2 * keys);
    fx_close();
}

/* The panel's texts from the first one equal to `from`, in order. */
static int panel_texts_after(const char *from, const char **out, int max)
{
    const vw_cmd *c;
    int n = -1;
    for (int k = 0; (c = fx_find(VW_CMD_TEXT, VW_R_PANEL, 0, k)) && n < max;
         k++) {
        const char *t = vw__dl_str(&DL, c);
        if (n < 0 && strcmp(t, from) == 0)
            n = 0;
        else if (n >= 0)
            out[n++] = t;
    }
    return n < 0 ? 0 : n;
}

/* The detail panel lists the selected wait's caller chain, innermost first
 * (no modules in the header, so the frames are bare addresses), and the
 * current event's when nothing is selected. */
static void test_stack_panel(void)
{
    fx_open("stack.jsonl");
    vw__set_playhead(&S, &M, 500000);
    vw__select(&S, &M, 1, (long)tr_span_find(M.tr, 1, 500000));
    fx_layout();
    const char *t[8];
    ASSERT_EQ(panel_texts_after("stack", t, 4), 4);
    ASSERT_STR_EQ(t[0], "0x401a2b"); /* frame rows have no key text */
    ASSERT_STR_EQ(t[1], "0x401c3d");
    ASSERT_STR_EQ(t[2], "0x401e4f");
    ASSERT_STR_EQ(t[3], "began with");
    /* the cursor on the yield, nothing selected: its stack */
    vw__select(&S, &M, 0, -1);
    vw__set_playhead(&S, &M, 200000);
    fx_layout();
    ASSERT_EQ(panel_texts_after("stack", t, 1), 1);
    ASSERT_STR_EQ(t[0], "0x401a2b");
    /* a running span has the stack where its slice ended: none here */
    vw__select(&S, &M, 1, (long)tr_span_find(M.tr, 1, 960000));
    fx_layout();
    ASSERT_EQ(panel_texts_after("stack", t, 1), 0);
    fx_close();
}

/* The tooltip's texts, top to bottom, into t (at most max); their count. */
static int tooltip_texts(const char **t, int max)
{
    int k = 0;
    const vw_cmd *c;
    while (k < max && (c = fx_find(VW_CMD_TEXT, VW_R_TOOLTIP, 0, k)))
        t[k++] = vw__dl_str(&DL, c);
    return k;
}

/* Hovering a wait with a stack: the tooltip lists its caller chain after
 * `at`, innermost first, as the detail panel does (stack.jsonl: a read
 * with three frames); a deeper stack shows its first four frames and how
 * many more; a span without one (main's last slice) shows no stack line. */
static void test_stack_tooltip(void)
{
    fx_open("stack.jsonl");
    window(0, 960000); /* 1 us a pixel: x = TL_X + 500 is t = 500 us */
    vw_action a = {.kind = VW_A_MOUSE_MOVE, .x = TL_X + 500,
                   .y = LANES_Y + LANE_H + 10};
    vw__apply(&S, &M, &a);
    fx_layout();
    const char *t[12];
    static const char *const want[] = {
        "main (1)", "waiting: io read fd 5",
        "700 \xc2\xb5s   (200 \xc2\xb5s \xe2\x86\x92 900 \xc2\xb5s)",
        "at srv.c:41", "stack: 0x401a2b", "  < 0x401c3d", "  < 0x401e4f"};
    int n = tooltip_texts(t, 12);
    ASSERT_EQ(n, 7);
    for (int k = 0; k < n; k++)
        ASSERT_STR_EQ(t[k], want[k]);
    /* the running slice after the wake (950..1000 us) ended at exit: no stack */
    a.x = TL_X + 955;
    vw__apply(&S, &M, &a);
    fx_layout();
    n = tooltip_texts(t, 12);
    ASSERT_EQ(n, 3);
    ASSERT_STR_EQ(t[1], "running");
    fx_close();

    fx_open("stack_deep.jsonl");
    window(0, 960000);
    a.x = TL_X + 500;
    vw__apply(&S, &M, &a);
    fx_layout();
    static const char *const deep[] = {
        "main (1)", "waiting: sleep",
        "700 \xc2\xb5s   (200 \xc2\xb5s \xe2\x86\x92 900 \xc2\xb5s)",
        "at srv.c:41", "stack: 0x401a2b", "  < 0x401b2b", "  < 0x401c2b",
        "  < 0x401d2b", "  (2 more)"};
    n = tooltip_texts(t, 12);
    ASSERT_EQ(n, 9);
    for (int k = 0; k < n; k++)
        ASSERT_STR_EQ(t[k], deep[k]);
    fx_close();
}

/* The panel's text right after the text `key` (a row's value). */
static const char *panel_value(const char *key)
{
    const char *t[1];
    return panel_texts_after(key, t, 1) == 1 ? t[0] : NULL;
}

/* What `coscope stats FILE --range ARG` prints (malloc'd). */
static char *stats_range(const char *file, const char *arg)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s stats %s --range %s", COSCOPE_EXE, file, arg);
    FILE *f = popen(cmd, "r");
    ASSERT_NOT_NULL(f);
    size_t n = 0, cap = 1 << 16;
    char *out = malloc(cap);
    ASSERT_NOT_NULL(out);
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, f)) > 0)
        n += got;
    out[n] = '\0';
    ASSERT_EQ(pclose(f), 0);
    ASSERT_CMP(n, <, cap - 1);
    return out;
}

/* The figures' rows the CLI prints first ("  KEY        VALUE"); the rows
 * under them (a stall, a cause, a task) are indented two more. */
static int range_top_key(const char *key)
{
    static const char *const top[] = {"range",  "loop",   "running", "ready",
                                      "waiting", "stalls", "causes",  "tasks"};
    for (size_t k = 0; k < sizeof top / sizeof top[0]; k++)
        if (strcmp(key, top[k]) == 0)
            return 1;
    return 0;
}

/* The range panel's rows, each as the CLI line that must say the same
 * ("  KEY        VALUE", or indented two more under a figure), in order,
 * up to its latency title; *more counts its "+N more" rows (the CLI lists
 * all). The key and value of a row are the texts at the panel's left and
 * at its value column on one y. */
static int range_panel_lines(char lines[][512], int max, int *more, const char **lat)
{
    const vw_cmd *c, *head = NULL;
    int k = 0, n = 0;
    *more = 0;
    *lat = NULL;
    while ((c = fx_find(VW_CMD_TEXT, VW_R_PANEL, 0, k++)) && !head)
        if (strcmp(vw__dl_str(&DL, c), "RANGE") == 0)
            head = c;
    ASSERT_NOT_NULL(head);
    for (k--; (c = fx_find(VW_CMD_TEXT, VW_R_PANEL, 0, k)); k++) {
        const char *t = vw__dl_str(&DL, c), *key = "", *value = t;
        if (strncmp(t, "latency (", 9) == 0) {
            *lat = t;
            break;
        }
        const vw_cmd *v = fx_find(VW_CMD_TEXT, VW_R_PANEL, 0, k + 1);
        if (c->x == head->x) { /* a key, then its value on the same y */
            ASSERT(v && v->y == c->y && v->x > c->x);
            key = t;
            value = vw__dl_str(&DL, v);
            k++;
        }
        if (value[0] == '+' && strstr(value, " more")) {
            (*more)++;
            continue;
        }
        ASSERT_CMP(n, <, max);
        snprintf(lines[n++], 512, "%s%-10s %s\n", range_top_key(key) ? "  " : "    ", key,
                 value);
    }
    ASSERT_NOT_NULL(*lat);
    return n;
}

/* The range panel says what `coscope stats FILE --range ARG` prints: each
 * of its rows is a line of the CLI's, in the CLI's order (the figures, the
 * first VW_RANGE_ROWS stalls, causes and tasks); the latency title is the
 * CLI's, and its bars are the CLI's non-empty buckets, heights in
 * proportion (32 px for the largest). Returns the rows compared. */
static int range_panel_equals_cli(const char *file, const char *arg, int want_more)
{
    char lines[64][512];
    const char *lat;
    int more;
    fx_layout();
    int n = range_panel_lines(lines, 64, &more, &lat);
    ASSERT_EQ(more, want_more);
    char *cli = stats_range(file, arg);
    const char *at = cli;
    for (int k = 0; k < n; k++) {
        const char *hit = strstr(at, lines[k]);
        if (!hit)
            TEST__FAIL("panel row \"%.*s\" is not a line of the CLI's after:\n%s",
                       (int)strlen(lines[k]) - 1, lines[k], at);
        ASSERT(hit == cli || hit[-1] == '\n');
        at = hit + strlen(lines[k]);
    }
    /* the histogram: "  latency (N)", then "    >= LO  ###  COUNT" rows */
    char title[64];
    snprintf(title, sizeof title, "\n  %s\n", lat);
    const char *h = strstr(at - 1, title);
    ASSERT_NOT_NULL(h);
    uint64_t counts[64], most = 0;
    int nb = 0;
    for (const char *l = h + strlen(title); *l == ' ' && nb < 64;) {
        const char *eol = strchr(l, '\n');
        ASSERT_NOT_NULL(eol);
        const char *num = eol;
        while (num > l && num[-1] >= '0' && num[-1] <= '9')
            num--;
        counts[nb] = strtoull(num, NULL, 10);
        most = counts[nb] > most ? counts[nb] : most;
        nb++;
        l = eol + 1;
    }
    ASSERT_CMP(nb, >, 0);
    int bar = 1; /* the first RANGE rect is the band over the lanes */
    for (int b = 0; b < nb; b++) {
        if (!counts[b])
            continue;
        const vw_cmd *r = fx_find(VW_CMD_RECT, VW_R_RANGE, 0, bar++);
        ASSERT_NOT_NULL(r);
        ASSERT_EQ(r->h, (int)((counts[b] * 32 + most - 1) / most));
    }
    ASSERT_NULL(fx_find(VW_CMD_RECT, VW_R_RANGE, 0, bar));
    free(cli);
    return n;
}

/* Shift+drag over 10..50 ms selects that range; once the button is let go
 * the panel shows what `coscope stats FILE --range 10ms..50ms` prints, the
 * same figures in the same words (both from tr_range_stats): the loop's
 * share, time per state, the 3 stalls overlapping it and the 2 causes they
 * waited behind, each task's time, the latency histogram as bars; a band
 * over the lanes. Esc clears it. */
static void test_range_panel(void)
{
    fx_open("stalls.jsonl");
    window(0, 96000000); /* 100 us a pixel */
    vw_action down = {.kind = VW_A_MOUSE_DOWN, .x = TL_X + 100,
                      .y = LANES_Y + 30, .amount = 1};
    vw_action move = {.kind = VW_A_MOUSE_MOVE, .x = TL_X + 500,
                      .y = LANES_Y + 40};
    vw_action up = {.kind = VW_A_MOUSE_UP, .x = TL_X + 500, .y = LANES_Y + 40};
    vw__apply(&S, &M, &down);
    vw__apply(&S, &M, &move);
    ASSERT_EQ(S.has_range, 1);
    ASSERT_EQ(S.range_ready, 0);
    vw__apply(&S, &M, &up);
    ASSERT_EQ(S.range_ready, 1);
    ASSERT_EQ(S.range_t0, 10000000);
    ASSERT_EQ(S.range_t1, 50000000);
    ASSERT_EQ(S.t0, 0); /* a range drag does not pan */
    /* range, loop, 3 states, stalls + 3, causes + 2, tasks + 2 */
    ASSERT_EQ(range_panel_equals_cli(VIEW_DATA "/stalls.jsonl", "10ms..50ms", 0), 15);
    ASSERT_STR_EQ(panel_value("loop"), "busy 30.6 ms (76.5%)");
    ASSERT_STR_EQ(panel_value("victim (2)"),
                  "100 \xc2\xb5s / 30.1 ms / 9.80 ms");
    ASSERT_STR_EQ(panel_value("hog (1)"), "30.2 ms / 100 \xc2\xb5s / 4.90 ms");
    ASSERT_STR_EQ(panel_value("blocked"), "hog (1) at 100 \xc2\xb5s for 40.0 ms");
    ASSERT_STR_EQ(panel_value("run"), "hog (1): 2 stalls, 60.2 ms");
    ASSERT_STR_EQ(panel_value("io"), "victim (2): 1 stall, 9.80 ms");
    /* the band over the lanes, its two edges, and 2 histogram bars */
    const vw_cmd *band = fx_find(VW_CMD_RECT, VW_R_RANGE, 0, 0);
    ASSERT_NOT_NULL(band);
    ASSERT_EQ(band->x, TL_X + 100);
    ASSERT_EQ(band->w, 400);
    ASSERT_EQ(fx_count(VW_CMD_LINE, VW_R_RANGE, 0), 2);
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_RANGE, 0), 1 + 2);
    vw_action esc = {.kind = VW_A_ESCAPE};
    vw__apply(&S, &M, &esc);
    fx_layout();
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_RANGE, 0), 0);
    ASSERT_NULL(panel_value("running"));
    fx_close();
}

/* A range with more stalls and tasks than the panel lists (the sample
 * stall.jsonl, 25..100 ms: 9 stalls, 4 causes, 9 tasks): its first
 * VW_RANGE_ROWS of each are the CLI's first, in the CLI's order, under
 * "+3 more"; the figures above them and the histogram the same. */
static void test_range_panel_long(void)
{
    fx_open(TRACES_DIR "/stall.jsonl");
    window(0, 96000000); /* 100 us a pixel */
    vw_action down = {.kind = VW_A_MOUSE_DOWN, .x = TL_X + 250, .y = LANES_Y + 30, .amount = 1};
    vw_action up = {.kind = VW_A_MOUSE_UP, .x = TL_X + 1000, .y = LANES_Y + 40};
    vw__apply(&S, &M, &down);
    vw__apply(&S, &M, &up);
    ASSERT_EQ(S.range_t0, 25000000);
    ASSERT_EQ(S.range_t1, 100000000);
    ASSERT_EQ(S.range.nstalls, 9);
    ASSERT_EQ(S.range.ncauses, 4);
    ASSERT_EQ(S.range.ntasks, 9);
    /* range, loop, 3 states, stalls + 6, causes + 4, tasks + 6 */
    ASSERT_EQ(range_panel_equals_cli(TRACES_DIR "/stall.jsonl", "25ms..100ms", 2), 24);
    ASSERT_STR_EQ(panel_value("stalls"), "9");
    ASSERT_STR_EQ(panel_value("contention"), "holder (3): 2 stalls, 150 ms");
    fx_close();
}

/* Whether some text command of this role reads exactly s. */
static int has_text(int role, const char *s)
{
    const vw_cmd *c;
    for (int k = 0; (c = fx_find(VW_CMD_TEXT, role, 0, k)); k++)
        if (strcmp(vw__dl_str(&DL, c), s) == 0)
            return 1;
    return 0;
}

/* n selects the first cause (stalls.jsonl: hog ran 40 ms and held victim
 * in ready): the lanes dimmed but for its chain, whose two spans are drawn
 * bright with an arrow from the root's lane to the victim's, and the panel
 * says what the cause was, in the tracer's words. Esc takes it away. */
static void test_cause_chain(void)
{
    fx_open("stalls.jsonl");
    ASSERT_EQ(tr_ncauses(M.tr), 2);
    vw_action n = {.kind = VW_A_STALL_NEXT};
    vw__apply(&S, &M, &n);
    ASSERT_EQ(S.sel_cause, 0);
    fx_layout();
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_CHAIN_DIM, 0), 1);
    const vw_cmd *veil = fx_find(VW_CMD_RECT, VW_R_CHAIN_DIM, 0, 0);
    ASSERT_EQ(veil->x, TL_X);
    ASSERT_EQ(veil->y, LANES_Y);
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_CHAIN, 0), 2);
    const vw_cmd *victim = fx_find(VW_CMD_RECT, VW_R_CHAIN, 2, 0);
    const vw_cmd *hog = fx_find(VW_CMD_RECT, VW_R_CHAIN, 1, 0);
    ASSERT_NOT_NULL(victim);
    ASSERT_NOT_NULL(hog);
    ASSERT_EQ(victim->state, TR_ST_READY);
    ASSERT_EQ(hog->state, TR_ST_RUNNING);
    ASSERT(victim > veil && hog > veil); /* drawn over the veil */
    /* the arrow: a vertical line from hog's lane to victim's */
    const vw_cmd *ln = fx_find(VW_CMD_LINE, VW_R_CHAIN, 1, 0);
    ASSERT_NOT_NULL(ln);
    ASSERT_EQ(ln->w, 0);
    ASSERT_EQ(ln->y, hog->y - 4 + LANE_H / 2);
    ASSERT_EQ(ln->y + ln->h, victim->y - 4 + LANE_H / 2);
    ASSERT(has_text(VW_R_PANEL, "CAUSE 1 OF 2: run"));
    /* wrapped at the panel's 372 px: 53 bytes of the fake 7 px font */
    ASSERT(has_text(VW_R_PANEL,
                    "hog (1) ran 40.0 ms on the loop without yielding at"));
    ASSERT(has_text(VW_R_PANEL, "st.c:9"));
    ASSERT(has_text(VW_R_PANEL, "victim (2) ready"));
    ASSERT(has_text(VW_R_PANEL, "\xe2\x86\x90 hog (1) running"));
    ASSERT_STR_EQ(S.status, "cause 1 of 2: hog (1) ran 40.0 ms on the loop "
                            "without yielding at st.c:9");
    vw_action esc = {.kind = VW_A_ESCAPE};
    vw__apply(&S, &M, &esc);
    fx_layout();
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_CHAIN_DIM, 0), 0);
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_CHAIN, 0), 0);
    ASSERT(!has_text(VW_R_PANEL, "CAUSE 1 OF 2: run"));
    fx_close();
}

/* Objects by name, as the CLI says them: the waiter's lock on "cookies" in
 * its tooltip, the detail panel and the event log; the contention cause
 * names it too. */
static void test_object_names(void)
{
    fx_open("causes.jsonl");
    window(0, 32000000);
    vw__set_playhead(&S, &M, 30300000);
    size_t sp = tr_span_find(M.tr, 3, 10000000);
    vw__select(&S, &M, 3, (long)sp);
    /* the waiter's lane: loop, main, holder, waiter */
    vw_action a = {.kind = VW_A_MOUSE_MOVE,
                   .x = (int)vw__x_of(&(vw_geom){.tl_x = TL_X, .tl_w = 1600 - 400 - TL_X},
                                      &S, 10000000),
                   .y = LANES_Y + 3 * LANE_H + 10};
    vw__apply(&S, &M, &a);
    fx_layout();
    ASSERT(has_text(VW_R_TOOLTIP, "waiting: lock cookies (obj 2)"));
    ASSERT(has_text(VW_R_PANEL, "cookies (obj 2)"));
    ASSERT(has_text(VW_R_LOG, "yield waiter (3)  lock cookies (obj 2)"));
    ASSERT(has_text(VW_R_LOG, "acquire holder (2)  cookies (obj 2)"));
    vw_action n = {.kind = VW_A_STALL_NEXT};
    vw__apply(&S, &M, &n);
    ASSERT_EQ(S.sel_cause, 0);
    ASSERT_EQ(tr_causes(M.tr)[0].kind, TR_CAUSE_CONTENTION);
    ASSERT(strstr(S.status, "lock cookies (obj 2) contended") != NULL);
    fx_close();
}

static void test_hover_tooltip(void)
{
    fx_open("small.jsonl");
    window(0, 9600000);
    vw_action a = {.kind = VW_A_MOUSE_MOVE,
                   .x = TL_X + 450,
                   .y = LANES_Y + 2 * LANE_H + 10};
    vw__apply(&S, &M, &a);
    fx_layout();
    int found = 0;
    const vw_cmd *c;
    for (int k = 0; (c = fx_find(VW_CMD_TEXT, VW_R_TOOLTIP, 0, k)); k++) {
        found += strcmp(vw__dl_str(&DL, c), "at small.c:22") == 0;
        found += strcmp(vw__dl_str(&DL, c), "waiting: io read fd 5") == 0;
    }
    ASSERT_EQ(found, 2);
    fx_close();
}

/* The tooltip test_view_shot's hover case draws (--hover 690,152 over
 * worker's io span), text by text, and its box with the fake 7 px glyphs;
 * then logger's sleep, for a second task and state. */
static void test_tooltip_text(void)
{
    fx_open("small.jsonl");
    window(0, 9600000);
    vw__set_playhead(&S, &M, 4800000);
    vw_action a = {.kind = VW_A_MOUSE_MOVE, .x = 690, .y = 152};
    vw__apply(&S, &M, &a);
    fx_layout();
    static const char *const want[] = {
        "worker (2)", "waiting: io read fd 5",
        "3.00 ms   (3.00 ms \xe2\x86\x92 6.00 ms)", "at small.c:22"};
    ASSERT_EQ(fx_count(VW_CMD_TEXT, VW_R_TOOLTIP, 0), 4);
    for (int k = 0; k < 4; k++) {
        const vw_cmd *c = fx_find(VW_CMD_TEXT, VW_R_TOOLTIP, 0, k);
        ASSERT_STR_EQ(vw__dl_str(&DL, c), want[k]);
        ASSERT_EQ(c->font, k ? VW_FONT_NORMAL : VW_FONT_BOLD);
        ASSERT_EQ(c->x, 706 + 10);
        ASSERT_EQ(c->y, 170 + 6 + k * 18);
    }
    /* shadow, background, frame: 31 bytes widest x 7 px + 20, 4 x 18 + 12 */
    const vw_cmd *shadow = fx_find(VW_CMD_RECT, VW_R_TOOLTIP, 0, 0);
    const vw_cmd *bg = fx_find(VW_CMD_RECT, VW_R_TOOLTIP, 0, 1);
    const vw_cmd *frame = fx_find(VW_CMD_FRAME, VW_R_TOOLTIP, 0, 0);
    ASSERT_NOT_NULL(shadow);
    ASSERT_NOT_NULL(bg);
    ASSERT_NOT_NULL(frame);
    ASSERT_EQ(bg->x, 706);
    ASSERT_EQ(bg->y, 170);
    ASSERT_EQ(bg->w, 31 * 7 + 20);
    ASSERT_EQ(bg->h, 84);
    ASSERT_EQ(memcmp(&bg->c, &VW_C_PANEL, sizeof bg->c), 0);
    ASSERT_EQ(frame->x, bg->x);
    ASSERT_EQ(frame->y, bg->y);
    ASSERT_EQ(frame->w, bg->w);
    ASSERT_EQ(frame->h, bg->h);
    ASSERT_EQ(shadow->x, 709);
    ASSERT_EQ(shadow->y, 173);
    ASSERT_EQ(shadow->c.a, 120);
    /* drawn after the panels, the top bar and the legend: nothing covers it */
    ASSERT(bg > fx_find(VW_CMD_RECT, VW_R_LEGEND, 0, 0));

    /* logger (lane 4) sleeps 3.5..5.5 ms; at x 640, t = 4 ms */
    a.x = TL_X + 400;
    a.y = LANES_Y + 4 * LANE_H + 10;
    vw__apply(&S, &M, &a);
    fx_layout();
    ASSERT_STR_EQ(vw__dl_str(&DL, fx_find(VW_CMD_TEXT, VW_R_TOOLTIP, 0, 0)),
                  "logger (3)");
    ASSERT_STR_EQ(vw__dl_str(&DL, fx_find(VW_CMD_TEXT, VW_R_TOOLTIP, 0, 1)),
                  "waiting: sleep");
    /* the mouse gone: no tooltip */
    a.kind = VW_A_MOUSE_LEAVE;
    vw__apply(&S, &M, &a);
    fx_layout();
    ASSERT_EQ(fx_count(VW_CMD_RECT, VW_R_TOOLTIP, 0), 0);
    ASSERT_EQ(fx_count(VW_CMD_TEXT, VW_R_TOOLTIP, 0), 0);
    fx_close();
}

/* --help-overlay is the `?` key: the overlay is drawn last, over the
 * tooltip too, a veil over the whole frame and a 620 px box. */
static void test_help_over_tooltip(void)
{
    fx_open("small.jsonl");
    window(0, 9600000);
    vw_action a = {.kind = VW_A_MOUSE_MOVE, .x = 690, .y = 152};
    vw__apply(&S, &M, &a);
    a.kind = VW_A_HELP;
    vw__apply(&S, &M, &a);
    fx_layout();
    const vw_cmd *veil = fx_find(VW_CMD_RECT, VW_R_HELP, 0, 0);
    const vw_cmd *box = fx_find(VW_CMD_RECT, VW_R_HELP, 0, 1);
    ASSERT_NOT_NULL(veil);
    ASSERT_NOT_NULL(box);
    ASSERT_EQ(veil->x, 0);
    ASSERT_EQ(veil->y, 0);
    ASSERT_EQ(veil->w, 1600);
    ASSERT_EQ(veil->h, 900);
    ASSERT_EQ(veil->c.a, 140);
    /* 25 keys of 15 + 6 px, + 70 */
    ASSERT_EQ(box->x, 490);
    ASSERT_EQ(box->w, 620);
    ASSERT_EQ(box->h, 25 * 21 + 70);
    ASSERT_EQ(box->y, (900 - box->h) / 2);
    const vw_cmd *tip = fx_find(VW_CMD_RECT, VW_R_TOOLTIP, 0, 1);
    ASSERT_NOT_NULL(tip);
    ASSERT(veil > tip);
    /* after the veil only the overlay: box, frame, title, hint, 25 keys */
    ASSERT_EQ(DL.n - (size_t)(veil - DL.cmds), 1 + 1 + 1 + 2 + 2 * 25);
    for (const vw_cmd *c = veil; c < DL.cmds + DL.n; c++)
        ASSERT_EQ(c->role, VW_R_HELP);
    fx_close();
}

/* The window title names the file, without its directory; standard input
 * is "(stdin)", as the reader calls it. */
static void test_title(void)
{
    char buf[64];
    ASSERT_STR_EQ(vw__title(buf, sizeof buf, "-"), "(stdin) \xe2\x80\x94 coscope");
    ASSERT_STR_EQ(vw__title(buf, sizeof buf, "traces/stall.jsonl"),
                  "stall.jsonl \xe2\x80\x94 coscope");
    ASSERT_STR_EQ(vw__title(buf, sizeof buf, "run.jsonl"),
                  "run.jsonl \xe2\x80\x94 coscope");
    ASSERT_STR_EQ(vw__title(buf, sizeof buf, "dir/"),
                  "dir/ \xe2\x80\x94 coscope");
}

static void test_times(void)
{
    int64_t t;
    ASSERT_OK(tr_parse_dur("1.25s", &t));
    ASSERT_EQ(t, 1250000000);
    ASSERT_OK(tr_parse_dur("300ms", &t));
    ASSERT_EQ(t, 300000000);
    ASSERT_OK(tr_parse_dur("40us", &t));
    ASSERT_EQ(t, 40000);
    ASSERT_OK(tr_parse_dur("40\xc2\xb5s", &t));
    ASSERT_EQ(t, 40000);
    ASSERT_OK(tr_parse_dur("500ns", &t));
    ASSERT_EQ(t, 500);
    ASSERT_OK(tr_parse_dur("2", &t)); /* bare: ms, as every command */
    ASSERT_EQ(t, 2000000);
    ASSERT_EQ(tr_parse_dur("fast", &t), -EINVAL);
    ASSERT_EQ(tr_parse_dur("1.5m", &t), -EINVAL);
    ASSERT_EQ(tr_parse_dur("-3ms", &t), -EINVAL);
    ASSERT_EQ(tr_parse_dur("", &t), -EINVAL);
    /* ticks at least 110 px apart over 960 px */
    ASSERT_EQ(vw__tick_step(9600000, 960, 110), 2000000);
    ASSERT_EQ(vw__tick_step(80000000, 960, 110), 10000000);
    ASSERT_EQ(vw__tick_step(1000, 960, 110), 200);
    ASSERT_EQ(vw__tick_step(3000000000LL, 960, 110), 500000000);
    char b[32];
    ASSERT_STR_EQ(vw__tick_label(b, sizeof b, 4000000, 2000000), "4 ms");
    ASSERT_STR_EQ(vw__tick_label(b, sizeof b, 1200000, 200000), "1.2 ms");
    ASSERT_STR_EQ(vw__tick_label(b, sizeof b, 1250000, 50000),
                  "1250 \xc2\xb5s");
    ASSERT_STR_EQ(vw__tick_label(b, sizeof b, 1500000000, 500000000), "1.5 s");
    ASSERT_STR_EQ(vw__tick_label(b, sizeof b, 400, 200), "400 ns");
    ASSERT_STR_EQ(vw__tick_label(b, sizeof b, 0, 200), "0");
    ASSERT_STR_EQ(vw__fmt_time(b, sizeof b, 1234567890), "1.234567890 s");
}

static void test_ruler_ticks(void)
{
    fx_open("small.jsonl");
    window(0, 9600000);
    fx_layout();
    /* 0, 2, 4, 6, 8 ms at 0, 200, 400, 600, 800 px */
    const char *want[] = {"0", "2 ms", "4 ms", "6 ms", "8 ms"};
    ASSERT_EQ(fx_count(VW_CMD_TEXT, VW_R_TICK_LABEL, 0), 6); /* + "window" */
    for (int i = 0; i < 5; i++) {
        const vw_cmd *c = fx_find(VW_CMD_TEXT, VW_R_TICK_LABEL, 0, i);
        ASSERT_STR_EQ(vw__dl_str(&DL, c), want[i]);
        ASSERT_EQ(c->x, TL_X + 200 * i + 4);
    }
    fx_close();
}

/* --scale 2: text size, bars, lane heights and the side columns are
 * exactly twice those at scale 1 (the fake measurer's line is 15 px at
 * both, so label text sits (48 - 15) / 2 into the lane). */
static void test_scale(void)
{
    vw_geom g1, g2;
    vw__geom_at(&g1, 1600, 900, 1.0);
    vw__geom_at(&g2, 3200, 1800, 2.0);
    ASSERT_EQ(g1.font_px, 13);
    ASSERT_EQ(g2.font_px, 26);
    ASSERT_EQ(g2.lane_h, 2 * g1.lane_h);
    ASSERT_EQ(g2.lanes_y, 2 * g1.lanes_y);
    ASSERT_EQ(g2.label_w, 2 * g1.label_w);
    ASSERT_EQ(g2.panel_w, 2 * g1.panel_w);
    ASSERT_EQ(g2.legend_h, 2 * g1.legend_h);
    /* a scale outside 0.5..4 is 1 */
    vw_geom g9;
    vw__geom_at(&g9, 1600, 900, 9.0);
    ASSERT_EQ(g9.lane_h, LANE_H);
    fx_open("small.jsonl");
    fx_layout();
    const vw_cmd *l1 = fx_find(VW_CMD_RECT, VW_R_LANE, 0, 1);
    ASSERT_NOT_NULL(l1);
    ASSERT_EQ(l1->h, LANE_H);
    ASSERT_EQ(l1->y, LANES_Y + LANE_H);
    int l1w = l1->w;
    vw__state_close(&S);
    ASSERT_OK(vw__state_init(&S, &M, 3200, 1800));
    ASSERT_OK(vw__state_scale(&S, &M, 2.0));
    ASSERT_EQ(S.ov_cols, 2 * TL_W);
    fx_layout();
    const vw_cmd *l2 = fx_find(VW_CMD_RECT, VW_R_LANE, 0, 1);
    ASSERT_NOT_NULL(l2);
    ASSERT_EQ(l2->h, 2 * LANE_H);
    ASSERT_EQ(l2->y, 2 * (LANES_Y + LANE_H));
    ASSERT_EQ(l2->w, 2 * l1w);
    const vw_cmd *t = NULL;
    for (int k = 0; (t = fx_find(VW_CMD_TEXT, VW_R_LABEL, 0, k)); k++)
        if (strcmp(vw__dl_str(&DL, t), "event loop") == 0)
            break;
    ASSERT_NOT_NULL(t);
    ASSERT_EQ(t->y, 2 * LANES_Y + (2 * LANE_H - 15) / 2);
    fx_close();
}

/* The UI scale follows the display: its DPI over 96 (a 192-dpi screen is
 * 2), clamped to 0.5 .. 4; --scale wins over it; an unknown DPI (headless,
 * or SDL cannot say) is 1. */
static void test_scale_dpi(void)
{
    ASSERT(vw__scale_for(0, 192) == 2.0);
    ASSERT(vw__scale_for(0, 96) == 1.0);
    ASSERT(vw__scale_for(0, 144) == 1.5);
    ASSERT(vw__scale_for(0, 1000) == VW_SCALE_MAX);
    ASSERT(vw__scale_for(0, 24) == VW_SCALE_MIN);
    ASSERT(vw__scale_for(0, 0) == 1.0);
    ASSERT(vw__scale_for(0, -5) == 1.0);
    ASSERT(vw__scale_for(1.25, 192) == 1.25);
    ASSERT(vw__scale_for(3, 0) == 3.0);
}

static void mouse(int kind, int x, int y)
{
    vw_action a = {.kind = kind, .x = x, .y = y};
    vw__apply(&S, &M, &a);
}

/* Dragging the label column's edge (x 240, within 3 px, over the lanes)
 * moves the timeline's left edge: ticks and the overview follow, nothing
 * gets selected or panned; the width is clamped to 60 .. panel - 100. */
static void test_label_resize(void)
{
    fx_open("small.jsonl");
    window(0, 9600000);
    int y = LANES_Y + LANE_H + 5;
    mouse(VW_A_MOUSE_DOWN, TL_X + 2, y);
    ASSERT_EQ(S.drag, VW_DRAG_LABEL);
    mouse(VW_A_MOUSE_MOVE, 300, y);
    mouse(VW_A_MOUSE_MOVE, 400, y);
    mouse(VW_A_MOUSE_UP, 400, y);
    ASSERT_EQ(S.label_w, 400);
    ASSERT_EQ(S.sel_task, 0);
    ASSERT_EQ(S.t0, 0);
    ASSERT_EQ(S.t1, 9600000);
    vw_geom g;
    vw__geom_st(&g, &S);
    ASSERT_EQ(g.tl_x, 400);
    ASSERT_EQ(g.tl_w, 800);
    ASSERT_EQ(S.ov_cols, 800);
    fx_layout();
    const vw_cmd *tick = fx_find(VW_CMD_TEXT, VW_R_TICK_LABEL, 0, 0);
    ASSERT_STR_EQ(vw__dl_str(&DL, tick), "0");
    ASSERT_EQ(tick->x, 400 + 4);
    /* clamped both ways */
    mouse(VW_A_MOUSE_DOWN, 399, y);
    mouse(VW_A_MOUSE_MOVE, 10, y);
    mouse(VW_A_MOUSE_UP, 10, y);
    ASSERT_EQ(S.label_w, 60);
    mouse(VW_A_MOUSE_DOWN, 60, y);
    mouse(VW_A_MOUSE_MOVE, 1190, y);
    mouse(VW_A_MOUSE_UP, 1190, y);
    ASSERT_EQ(S.label_w, 1100);
    /* 4 px off the edge is a click on the timeline, not a resize */
    mouse(VW_A_MOUSE_DOWN, 1100 + 4, y);
    ASSERT_EQ(S.drag, VW_DRAG_PAN);
    mouse(VW_A_MOUSE_UP, 1100 + 4, y);
    ASSERT_EQ(S.label_w, 1100);
    fx_close();
}

/* A run that died says so in the top bar, in the runtime's words, where a
 * run that ended shows the key hint. */
static void test_ending(void)
{
    fx_open("fatal.jsonl");
    fx_layout();
    ASSERT(has_text(VW_R_TOPBAR, "\xe2\x9a\xa0 the program died: task 2 \"sloppy\": "
                                 "co_mutex_unlock of mutex 1 \"table\", which it does not "
                                 "hold, at sloppy.c:12"));
    ASSERT(!has_text(VW_R_TOPBAR, "? keys"));
    /* the fatal line, the log's current one, says what it was (cut to the
     * panel: the fake measurer's 7 px a byte) */
    static const char said[] = "fatal sloppy (2)  task 2 \"sloppy\": co_";
    vw__set_playhead(&S, &M, 900000);
    fx_layout();
    int seen = 0;
    const vw_cmd *lc;
    for (int k = 0; (lc = fx_find(VW_CMD_TEXT, VW_R_LOG_CURRENT, 0, k)); k++)
        seen += strncmp(vw__dl_str(&DL, lc), said, sizeof said - 1) == 0;
    ASSERT_EQ(seen, 1);
    fx_close();
    fx_open("small.jsonl");
    fx_layout();
    const vw_cmd *c;
    for (int k = 0; (c = fx_find(VW_CMD_TEXT, VW_R_TOPBAR, 0, k)); k++)
        ASSERT_NULL(strstr(vw__dl_str(&DL, c), "died"));
    ASSERT(has_text(VW_R_TOPBAR, "? keys"));
    fx_close();
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"geometry", test_geometry},
        {"lane_order", test_lane_order},
        {"pool_lane", test_pool_lane},
        {"span_pixels", test_span_pixels},
        {"wait_colours", test_wait_colours},
        {"annot_bars", test_annot_bars},
        {"lod_density", test_lod_density},
        {"lod_many", test_lod_many},
        {"playhead_dim", test_playhead_dim},
        {"stall_marks", test_stall_marks},
        {"empty", test_empty},
        {"panels", test_panels},
        {"stack_panel", test_stack_panel},
        {"stack_tooltip", test_stack_tooltip},
        {"hover_tooltip", test_hover_tooltip},
        {"tooltip_text", test_tooltip_text},
        {"cause_chain", test_cause_chain},
        {"object_names", test_object_names},
        {"help_over_tooltip", test_help_over_tooltip},
        {"times", test_times},
        {"title", test_title},
        {"range_panel", test_range_panel},
        {"range_panel_long", test_range_panel_long},
        {"ruler_ticks", test_ruler_ticks},
        {"scale", test_scale},
        {"scale_dpi", test_scale_dpi},
        {"label_resize", test_label_resize},
        {"ending", test_ending},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
