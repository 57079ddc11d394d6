/* test_view_actions.c: every key and mouse gesture, fed as a synthetic SDL
 * event through the input translator and applied to the view state, with
 * the exact state that must result (playhead at the next event's time,
 * window after a zoom, selection after a click...). */
#include "view_fixture.h"
#include "vw_sdl.h"

enum { TL_X = 240, LANES_Y = 94, LANE_H = 24, RULER_Y = 68 };

#define COPY_EVENT "0.000000000 s ready victim (2)  by loop (spawn)"
#define COPY_SPAN "victim (2) ready 40.1 ms (0 ns \xe2\x86\x92 40.1 ms)"
#define COPY_STALL                                                             \
    "stall: latency victim (2) at 0 ns for 40.1 ms: woken by loop on spawn; "   \
    "ran meanwhile: hog (1) 40.0 ms"

static int feed(const SDL_Event *e)
{
    vw_action a;
    if (!vw__translate(e, &S, &a))
        return 0;
    vw__apply(&S, &M, &a);
    return a.kind;
}

static int key(SDL_Keycode sym, Uint16 mod)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = sym;
    e.key.keysym.mod = mod;
    return feed(&e);
}

static void text(const char *s)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_TEXTINPUT;
    snprintf(e.text.text, sizeof e.text.text, "%s", s);
    ASSERT_EQ(feed(&e), VW_A_PROMPT_TEXT);
}

static void mouse(Uint32 type, int x, int y)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    if (type == SDL_MOUSEMOTION) {
        e.motion.x = x;
        e.motion.y = y;
    } else {
        e.button.button = SDL_BUTTON_LEFT;
        e.button.x = x;
        e.button.y = y;
    }
    ASSERT(feed(&e));
}

static void click(int x, int y)
{
    mouse(SDL_MOUSEMOTION, x, y);
    mouse(SDL_MOUSEBUTTONDOWN, x, y);
    mouse(SDL_MOUSEBUTTONUP, x, y);
}

static void open_small(void)
{
    fx_open("small.jsonl");
    S.t0 = 0;
    S.t1 = 9600000; /* 10 us per pixel */
}

static void test_step_events(void)
{
    open_small();
    ASSERT_EQ(S.playhead, 0);
    ASSERT_EQ(S.cursor, 1); /* spawn and ready of main are both at 0 */
    ASSERT_EQ(key(SDLK_RIGHT, 0), VW_A_STEP_NEXT);
    ASSERT_EQ(S.playhead, 100000); /* run main */
    ASSERT_EQ(S.cursor, 2);
    key(SDLK_RIGHT, 0);
    ASSERT_EQ(S.playhead, 200000);
    ASSERT_EQ(S.cursor, 3);
    key(SDLK_RIGHT, 0);
    ASSERT_EQ(S.playhead, 200000); /* same time, next event */
    ASSERT_EQ(S.cursor, 4);
    ASSERT_EQ(key(SDLK_LEFT, 0), VW_A_STEP_PREV);
    ASSERT_EQ(S.cursor, 3);
    key(SDLK_LEFT, 0);
    key(SDLK_LEFT, 0);
    key(SDLK_LEFT, 0);
    ASSERT_EQ(S.cursor, 0);
    ASSERT_EQ(S.playhead, 0);
    key(SDLK_LEFT, 0); /* nothing before the first event: stays */
    ASSERT_EQ(S.cursor, 0);
    /* stepping past the window's right edge brings the playhead into view */
    S.t0 = 0;
    S.t1 = 50000;
    key(SDLK_RIGHT, 0);
    key(SDLK_RIGHT, 0);
    ASSERT_EQ(S.playhead, 100000);
    ASSERT(S.playhead >= S.t0 && S.playhead <= S.t1);
    fx_close();
}

static void test_step_task(void)
{
    open_small();
    ASSERT_EQ(key(SDLK_RIGHT, KMOD_LSHIFT), VW_A_STEP_TASK_NEXT);
    ASSERT_EQ(S.cursor, 1); /* no selection: stays, says why */
    ASSERT(S.status[0] != '\0');
    vw__select(&S, &M, 2, -1);
    key(SDLK_RIGHT, KMOD_LSHIFT);
    ASSERT_EQ(S.cursor, 3); /* spawn worker */
    key(SDLK_RIGHT, KMOD_LSHIFT);
    ASSERT_EQ(S.cursor, 4); /* ready worker */
    key(SDLK_RIGHT, KMOD_LSHIFT);
    ASSERT_EQ(S.cursor, 8); /* run worker */
    ASSERT_EQ(S.playhead, 1000000);
    ASSERT_EQ(S.sel_task, 2);
    ASSERT_EQ(tr_spans(M.tr)[S.sel_span].state, TR_ST_RUNNING);
    ASSERT_EQ(key(SDLK_LEFT, KMOD_RSHIFT), VW_A_STEP_TASK_PREV);
    ASSERT_EQ(S.cursor, 4);
    ASSERT_EQ(S.playhead, 200000);
    fx_close();
}

static void test_play_speed(void)
{
    open_small();
    ASSERT_EQ(key(SDLK_SPACE, 0), VW_A_PLAY_TOGGLE);
    ASSERT_EQ(S.playing, 1);
    vw_action tick = {.kind = VW_A_TICK, .amount = 1e6};
    vw__apply(&S, &M, &tick);
    ASSERT_EQ(S.playhead, 1000000);
    ASSERT_EQ(key(SDLK_RIGHTBRACKET, 0), VW_A_SPEED_UP);
    ASSERT(S.speed == 2.0);
    vw__apply(&S, &M, &tick);
    ASSERT_EQ(S.playhead, 3000000);
    ASSERT_EQ(key(SDLK_LEFTBRACKET, 0), VW_A_SPEED_DOWN);
    key(SDLK_LEFTBRACKET, 0);
    key(SDLK_LEFTBRACKET, 0);
    ASSERT(S.speed == 0.2);
    for (int i = 0; i < 40; i++)
        key(SDLK_LEFTBRACKET, 0);
    ASSERT(S.speed == 0.001);
    for (int i = 0; i < 40; i++)
        key(SDLK_RIGHTBRACKET, 0);
    ASSERT(S.speed == 1000.0);
    /* at 1000x, 1 ms of real time runs past the end: stops there */
    vw__apply(&S, &M, &tick);
    ASSERT_EQ(S.playhead, 9600000);
    ASSERT_EQ(S.playing, 0);
    key(SDLK_SPACE, 0);
    ASSERT_EQ(S.playing, 1); /* replays from the start */
    ASSERT_EQ(S.playhead, 0);
    key(SDLK_SPACE, 0);
    ASSERT_EQ(S.playing, 0);
    ASSERT_EQ(key(SDLK_END, 0), VW_A_END);
    ASSERT_EQ(S.playhead, 9600000);
    ASSERT_EQ(S.cursor, (long)tr_nevents(M.tr) - 1);
    ASSERT_EQ(key(SDLK_HOME, 0), VW_A_HOME);
    ASSERT_EQ(S.playhead, 0);
    fx_close();
}

static void test_zoom_pan(void)
{
    open_small();
    vw__set_playhead(&S, &M, 4800000);
    ASSERT_EQ(key(SDLK_w, 0), VW_A_ZOOM_IN);
    ASSERT_EQ(S.t0, 960000); /* around the playhead: it keeps its x */
    ASSERT_EQ(S.t1, 8640000);
    ASSERT_EQ(key(SDLK_s, 0), VW_A_ZOOM_OUT);
    ASSERT_EQ(S.t0, 0);
    ASSERT_EQ(S.t1, 9600000);
    ASSERT_EQ(key(SDLK_d, 0), VW_A_PAN_RIGHT);
    ASSERT_EQ(S.t0, 1920000);
    ASSERT_EQ(S.t1, 11520000);
    ASSERT_EQ(key(SDLK_a, 0), VW_A_PAN_LEFT);
    ASSERT_EQ(S.t0, 0);
    /* the wheel zooms at the cursor: the time under it stays put */
    mouse(SDL_MOUSEMOTION, TL_X + 240, LANES_Y + 30);
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_MOUSEWHEEL;
    e.wheel.y = 1;
    ASSERT_EQ(feed(&e), VW_A_ZOOM_AT);
    vw_geom g;
    vw__geom(&g, S.w, S.h);
    ASSERT_EQ(S.t1 - S.t0, 8000000);
    ASSERT_EQ(vw__t_of(&g, &S, TL_X + 240), 2400000);
    e.wheel.y = -1;
    feed(&e);
    ASSERT_EQ(S.t1 - S.t0, 9600000);
    ASSERT_EQ(vw__t_of(&g, &S, TL_X + 240), 2400000);
    /* over the labels the wheel scrolls lanes instead */
    mouse(SDL_MOUSEMOTION, 100, LANES_Y + 30);
    e.wheel.y = -1;
    ASSERT_EQ(feed(&e), VW_A_SCROLL);
    /* f fits the whole trace, then the selected span */
    S.t0 = 5;
    S.t1 = 500;
    ASSERT_EQ(key(SDLK_f, 0), VW_A_FIT);
    ASSERT_EQ(S.t0, 0);
    ASSERT_EQ(S.t1, 9600000);
    vw__select(&S, &M, 2, (long)tr_span_find(M.tr, 2, 4000000)); /* io 3..6 ms */
    key(SDLK_f, 0);
    ASSERT_EQ(S.t0, 3000000 - 150000);
    ASSERT_EQ(S.t1, 6000000 + 150000);
    fx_close();
}

static void test_mouse(void)
{
    open_small();
    /* click on main's lane at 0.5 ms: its running span */
    click(TL_X + 50, LANES_Y + LANE_H + 12);
    ASSERT_EQ(S.sel_task, 1);
    ASSERT_NE(S.sel_span, -1);
    ASSERT_EQ(tr_spans(M.tr)[S.sel_span].state, TR_ST_RUNNING);
    ASSERT_EQ(tr_spans(M.tr)[S.sel_span].t0, 100000);
    /* click on worker's triangle collapses it, then expands */
    click(6 + 12 + 4, LANES_Y + 2 * LANE_H + 12);
    ASSERT_EQ(S.nlanes, 4);
    click(6 + 12 + 4, LANES_Y + 2 * LANE_H + 12);
    ASSERT_EQ(S.nlanes, 5);
    /* click on the loop lane clears the selection */
    click(TL_X + 50, LANES_Y + 12);
    ASSERT_EQ(S.sel_task, 0);
    /* drag the timeline 100 px left: the window moves 1 ms later */
    mouse(SDL_MOUSEBUTTONDOWN, TL_X + 500, LANES_Y + 40);
    mouse(SDL_MOUSEMOTION, TL_X + 400, LANES_Y + 40);
    mouse(SDL_MOUSEBUTTONUP, TL_X + 400, LANES_Y + 40);
    ASSERT_EQ(S.t0, 1000000);
    ASSERT_EQ(S.t1, 10600000);
    ASSERT_EQ(S.sel_task, 0); /* a drag is not a click */
    /* drag on the ruler scrubs the playhead, both ways */
    S.t0 = 0;
    S.t1 = 9600000;
    mouse(SDL_MOUSEBUTTONDOWN, TL_X + 300, RULER_Y + 10);
    mouse(SDL_MOUSEMOTION, TL_X + 350, RULER_Y + 10);
    ASSERT_EQ(S.playhead, 3500000);
    mouse(SDL_MOUSEMOTION, TL_X + 120, RULER_Y + 10);
    ASSERT_EQ(S.playhead, 1200000);
    ASSERT_EQ(S.cursor, 8); /* run worker at 1 ms; spawn child is at 1.5 */
    mouse(SDL_MOUSEBUTTONUP, TL_X + 120, RULER_Y + 10);
    ASSERT_EQ(S.t0, 0);
    /* Up / Down walk the task lanes */
    ASSERT_EQ(key(SDLK_DOWN, 0), VW_A_SELECT_DOWN);
    ASSERT_EQ(S.sel_task, 1);
    key(SDLK_DOWN, 0);
    ASSERT_EQ(S.sel_task, 2);
    key(SDLK_DOWN, 0);
    ASSERT_EQ(S.sel_task, 4);
    ASSERT_EQ(key(SDLK_UP, 0), VW_A_SELECT_UP);
    ASSERT_EQ(S.sel_task, 2);
    ASSERT_EQ(key(SDLK_c, 0), VW_A_COLLAPSE);
    ASSERT_EQ(S.nlanes, 4);
    fx_close();
}

static void test_prompts(void)
{
    open_small();
    ASSERT_EQ(key(SDLK_SLASH, 0), VW_A_FILTER);
    ASSERT_EQ(S.prompt, VW_PROMPT_FILTER);
    ASSERT_EQ(key(SDLK_w, 0), 0); /* typed letters are text now */
    text("wor");
    text("k");
    ASSERT_STR_EQ(S.filter, "work");
    ASSERT_EQ(S.nlanes, 2); /* loop + worker */
    ASSERT_EQ(S.lanes[1].id, 2);
    ASSERT_EQ(key(SDLK_BACKSPACE, 0), VW_A_PROMPT_BACK);
    ASSERT_STR_EQ(S.filter, "wor");
    ASSERT_EQ(key(SDLK_RETURN, 0), VW_A_PROMPT_ACCEPT);
    ASSERT_EQ(S.prompt, VW_PROMPT_NONE);
    ASSERT_STR_EQ(S.filter, "wor");
    key(SDLK_SLASH, 0);
    ASSERT_STR_EQ(S.prompt_buf, "wor"); /* edits the current filter */
    ASSERT_EQ(key(SDLK_ESCAPE, 0), VW_A_ESCAPE);
    ASSERT_STR_EQ(S.filter, "");
    ASSERT_EQ(S.nlanes, 5);
    /* g: go to a typed time */
    ASSERT_EQ(key(SDLK_g, 0), VW_A_GOTO);
    text("5ms");
    key(SDLK_RETURN, 0);
    ASSERT_EQ(S.playhead, 5000000);
    ASSERT_EQ(S.cursor, 17); /* poll_begin at 4 ms */
    key(SDLK_g, 0);
    text("1.25s");
    key(SDLK_KP_ENTER, 0);
    ASSERT_EQ(S.playhead, 9600000); /* clamped to the end */
    key(SDLK_g, 0);
    text("soon");
    key(SDLK_RETURN, 0);
    ASSERT_EQ(S.playhead, 9600000);
    ASSERT(strstr(S.status, "not a time") != NULL);
    /* ? shows the keys, Esc hides them */
    ASSERT_EQ(key(SDLK_SLASH, KMOD_LSHIFT), VW_A_HELP);
    ASSERT_EQ(S.help, 1);
    key(SDLK_ESCAPE, 0);
    ASSERT_EQ(S.help, 0);
    ASSERT_EQ(key(SDLK_q, 0), VW_A_QUIT);
    ASSERT_EQ(S.quit, 1);
    fx_close();
}

/* n / N walk the causes in rank order (stalls.jsonl: hog's 40 ms run,
 * then victim's io wait), each selecting its root task and span with the
 * playhead at its start; a trace without causes (a deadlock) walks its
 * stalls by time. */
static void test_stalls(void)
{
    fx_open("stalls.jsonl");
    ASSERT_EQ(tr_nstalls(M.tr), 3);
    ASSERT_EQ(tr_ncauses(M.tr), 2);
    const tr_cause *c = tr_causes(M.tr);
    ASSERT_EQ(key(SDLK_n, 0), VW_A_STALL_NEXT);
    ASSERT_EQ(S.sel_cause, 0);
    ASSERT_EQ(S.sel_stall, -1);
    ASSERT_EQ(S.playhead, c[0].t);
    ASSERT_EQ(S.sel_task, 1); /* hog */
    ASSERT_EQ(S.sel_span, (long)c[0].span);
    key(SDLK_n, 0);
    ASSERT_EQ(S.sel_cause, 1);
    ASSERT_EQ(S.playhead, c[1].t);
    ASSERT_EQ(S.sel_task, 2); /* victim's io wait */
    ASSERT(S.t0 <= c[1].t && S.t1 >= c[1].t + c[1].dur);
    key(SDLK_n, 0); /* none ranked lower */
    ASSERT_EQ(S.sel_cause, 1);
    ASSERT_STR_EQ(S.status, "no lower-ranked cause");
    ASSERT_EQ(key(SDLK_n, KMOD_LSHIFT), VW_A_STALL_PREV);
    ASSERT_EQ(S.sel_cause, 0);
    ASSERT_EQ(S.playhead, c[0].t);
    fx_close();

    char path[1024];
    snprintf(path, sizeof path, "%s/../../../traces/deadlock.jsonl", VIEW_DATA);
    tr_trace *tr = NULL;
    ASSERT_OK(tr_load(path, NULL, &tr));
    ASSERT_OK(tr_analyze(tr, NULL));
    TR = tr;
    ASSERT_OK(vw__model_init(&M, tr));
    ASSERT_OK(vw__state_init(&S, &M, 1600, 900));
    vw__dl_init(&DL);
    ASSERT_EQ(tr_ncauses(M.tr), 0);
    ASSERT_CMP(tr_nstalls(M.tr), >=, 2);
    const tr_stall *s = tr_stalls(M.tr);
    key(SDLK_n, 0);
    ASSERT_EQ(S.sel_cause, -1);
    ASSERT_EQ(S.sel_stall, 0);
    ASSERT_EQ(S.playhead, s[0].t);
    key(SDLK_n, 0);
    ASSERT_EQ(S.sel_stall, 1);
    ASSERT_EQ(S.playhead, s[1].t);
    fx_close();
}

/* Ctrl+C copies the selection as text through the action layer: the event
 * at the cursor, then a selected span, then a selected stall; plain c still
 * collapses. The window hands st.clip to the clipboard (app.c). */
static void test_copy(void)
{
    fx_open("stalls.jsonl");
    ASSERT_EQ(key(SDLK_c, KMOD_LCTRL), VW_A_COPY);
    ASSERT_EQ(S.clip_ready, 1);
    fprintf(stderr, "event: %s\n", S.clip);
    ASSERT_STR_EQ(S.clip, COPY_EVENT);
    S.clip_ready = 0;
    vw__set_playhead(&S, &M, 25000000);
    size_t sp = tr_span_find(M.tr, 2, 25000000);
    vw__select(&S, &M, 2, (long)sp);
    ASSERT_EQ(key(SDLK_c, KMOD_RCTRL), VW_A_COPY);
    fprintf(stderr, "span: %s\n", S.clip);
    ASSERT_STR_EQ(S.clip, COPY_SPAN);
    S.sel_stall = 0; /* as n selects it in a trace without causes */
    key(SDLK_c, KMOD_LCTRL);
    fprintf(stderr, "stall: %s\n", S.clip);
    ASSERT_STR_EQ(S.clip, COPY_STALL);
    ASSERT(strncmp(S.status, "copied: stall: ", 15) == 0);
    key(SDLK_n, 0); /* the first cause: it wins over span and stall */
    ASSERT_EQ(S.sel_cause, 0);
    key(SDLK_c, KMOD_LCTRL);
    ASSERT_STR_EQ(S.clip, "cause: hog (1) ran 40.0 ms on the loop without "
                          "yielding at st.c:9");
    ASSERT_EQ(key(SDLK_c, 0), VW_A_COLLAPSE);
    fx_close();
}

/* Ctrl+R copies the command that replays the run and stops right before
 * the event at the cursor. Its number is the runtime's (every line after
 * the header but end, halt, fatal and the pool threads' work lines),
 * counted here from the file's text for every event. */
static void test_copy_replay(void)
{
    fx_open("stalls.jsonl");
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/stalls.jsonl", VIEW_DATA);
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    uint64_t want[64] = {0}, n = 0; /* by line */
    for (unsigned l = 1; fgets(line, sizeof line, f) && l < 64; l++) {
        int loop = l > 1 && !strstr(line, "\"ev\":\"work_") &&
                   !strstr(line, "\"ev\":\"end\"");
        want[l] = loop ? ++n : 0;
    }
    fclose(f);
    ASSERT_EQ(n, 20);
    for (size_t i = 0; i < tr_nevents(M.tr); i++)
        ASSERT_EQ(tr_replay_index_event(M.replay, M.tr, i), want[tr_ev_line(M.tr, i)]);
    /* the run of victim after hog's work began: line 9, event 7 */
    size_t run9 = SIZE_MAX, work8 = SIZE_MAX;
    for (size_t i = 0; i < tr_nevents(M.tr); i++) {
        run9 = tr_ev_line(M.tr, i) == 9 ? i : run9;
        work8 = tr_ev_line(M.tr, i) == 8 ? i : work8;
    }
    S.cursor = (long)run9;
    ASSERT_EQ(key(SDLK_r, KMOD_LCTRL), VW_A_COPY_REPLAY);
    ASSERT_EQ(S.clip_ready, 1);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "coscope replay %s --stop-at 7 -- stalls", path);
    ASSERT_STR_EQ(S.clip, cmd);
    S.clip_ready = 0;
    S.cursor = (long)work8; /* a pool thread's line has no number */
    key(SDLK_r, KMOD_LCTRL);
    ASSERT_EQ(S.clip_ready, 0);
    ASSERT_STR_EQ(S.status, "no replay stop here (step to an event of the loop)");
    fx_close();
}

static void test_window_events(void)
{
    open_small();
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_WINDOWEVENT;
    e.window.event = SDL_WINDOWEVENT_SIZE_CHANGED;
    e.window.data1 = 1024;
    e.window.data2 = 700;
    ASSERT_EQ(feed(&e), VW_A_RESIZE);
    ASSERT_EQ(S.w, 1024);
    ASSERT_EQ(S.h, 700);
    memset(&e, 0, sizeof e);
    e.type = SDL_QUIT;
    ASSERT_EQ(feed(&e), VW_A_QUIT);
    memset(&e, 0, sizeof e);
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = SDLK_F7; /* unbound */
    ASSERT_EQ(feed(&e), 0);
    fx_close();
}

/* A file dropped on the window (SDL_DROPFILE) goes through the translator
 * as VW_A_DROP and asks the window to open it next, as Ctrl+O's Enter does
 * (the view quits, open_path names it); a drop with no file does nothing. */
static void test_drop(void)
{
    fx_open("small.jsonl");
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_DROPFILE;
    ASSERT_EQ(feed(&e), 0); /* no file */
    ASSERT_EQ(S.open_ready, 0);
    char path[] = "/tmp/dropped trace.jsonl";
    e.drop.file = path;
    ASSERT_EQ(feed(&e), VW_A_DROP);
    ASSERT_STR_EQ(vw__action_name(VW_A_DROP), "drop");
    ASSERT_EQ(S.open_ready, 1);
    ASSERT_EQ(S.quit, 1);
    ASSERT_STR_EQ(S.open_path, "/tmp/dropped trace.jsonl");
    fx_close();
}

/* Ctrl+O opens the "open trace" prompt; Enter with a path asks the window
 * to load it next (open_ready, and this view quits); Esc or an empty path
 * opens nothing. */
static void test_open(void)
{
    fx_open("small.jsonl");
    ASSERT_EQ(key(SDLK_o, KMOD_LCTRL), VW_A_OPEN);
    ASSERT_EQ(S.prompt, VW_PROMPT_OPEN);
    ASSERT_EQ(key(SDLK_RETURN, 0), VW_A_PROMPT_ACCEPT);
    ASSERT_EQ(S.prompt, VW_PROMPT_NONE);
    ASSERT_EQ(S.open_ready, 0);
    ASSERT_EQ(S.quit, 0);
    key(SDLK_o, KMOD_LCTRL);
    text("/tmp/other");
    key(SDLK_ESCAPE, 0);
    ASSERT_EQ(S.open_ready, 0);
    key(SDLK_o, KMOD_LCTRL);
    text("traces/stall.jsonl");
    ASSERT_STR_EQ(S.prompt_buf, "traces/stall.jsonl");
    fx_layout();
    int seen = 0;
    for (int k = 0; fx_find(VW_CMD_TEXT, VW_R_TOPBAR, 0, k); k++)
        if (strstr(vw__dl_str(&DL, fx_find(VW_CMD_TEXT, VW_R_TOPBAR, 0, k)),
                   "open trace: traces/stall.jsonl"))
            seen = 1;
    ASSERT(seen);
    key(SDLK_RETURN, 0);
    ASSERT_EQ(S.open_ready, 1);
    ASSERT_EQ(S.quit, 1);
    ASSERT_STR_EQ(S.open_path, "traces/stall.jsonl");
    /* o alone is no binding */
    S.quit = 0;
    ASSERT_EQ(key(SDLK_o, 0), VW_A_NONE);
    fx_close();
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"step_events", test_step_events},
        {"step_task", test_step_task},
        {"play_speed", test_play_speed},
        {"zoom_pan", test_zoom_pan},
        {"mouse", test_mouse},
        {"prompts", test_prompts},
        {"stalls", test_stalls},
        {"drop", test_drop},
        {"copy", test_copy},
        {"copy_replay", test_copy_replay},
    {"copy_replay", test_copy_replay},
        {"open", test_open},
        {"window_events", test_window_events},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
