/* app.c: the viewer's entry points, vw_view and vw_view_file. A frame is
 * input -> update -> draw, and is drawn only when something changed; the
 * headless screenshot renders one frame to a PNG, optionally with a
 * pretended mouse position or the key help open. In a window the trace
 * loads on a thread behind a progress bar. Option parsing is the
 * program's (main.c); this file never sees argv. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/viewer.h"
#include "vw_sdl.h"

/* What a frame needs to reach pixels: a window (offscreen when headless),
 * its renderer, the fonts and the draw-list interpreter. */
typedef struct screen {
    SDL_Window *win;
    SDL_Renderer *r;
    vw_fonts fonts;
    int ttf, have_fonts;
    vw_renderer *rd;
    vw_measure ms;
    double scale; /* the UI scale the fonts were opened at */
} screen;

static void screen_close(screen *s)
{
    vw__renderer_free(s->rd);
    if (s->have_fonts)
        vw__fonts_close(&s->fonts);
    if (s->ttf)
        TTF_Quit();
    if (s->r)
        SDL_DestroyRenderer(s->r);
    if (s->win)
        SDL_DestroyWindow(s->win);
    SDL_Quit();
    memset(s, 0, sizeof *s);
}

/* Fonts and the renderer over s->r. 0, or -1 with err. */
static int screen_fonts(screen *s, char *err, size_t errn)
{
    if (TTF_Init() != 0) {
        snprintf(err, errn, "coscope: SDL_ttf: %s", TTF_GetError());
        return -1;
    }
    s->ttf = 1;
    if (vw__fonts_open(&s->fonts, s->scale, err, errn) != 0)
        return -1;
    s->have_fonts = 1;
    if (vw__renderer_new(s->r, &s->fonts, &s->rd) != 0) {
        snprintf(err, errn, "coscope: out of memory");
        return -1;
    }
    vw__fonts_measure(&s->fonts, &s->ms);
    return 0;
}

/* The UI scale: --scale, else (in a window) the display's DPI over 96,
 * clamped; 1 when the display does not say or there is none (headless). */
double vw__scale_for(double opt, double dpi)
{
    if (opt > 0)
        return opt;
    if (!(dpi > 0))
        return 1.0;
    double k = dpi / 96.0;
    return k < VW_SCALE_MIN ? VW_SCALE_MIN : k > VW_SCALE_MAX ? VW_SCALE_MAX : k;
}

static double scale_of(const vw_view_opts *o, int window)
{
    float dpi = 0;
    if (o->scale <= 0 && (!window || SDL_GetDisplayDPI(0, &dpi, NULL, NULL) != 0))
        dpi = 0;
    return vw__scale_for(o->scale, dpi);
}

/* With no display the window could not be seen: say so, suggest the
 * headless path. 0 when a window can be opened (SDL video is up). */
static int display_check(void)
{
    if (!getenv("SDL_VIDEODRIVER") && !getenv("DISPLAY") &&
        !getenv("WAYLAND_DISPLAY")) {
        fputs("coscope: no display; use --screenshot FILE to render a frame "
              "headless\n",
              stderr);
        return -1;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr,
                "coscope: no display; use --screenshot FILE to render a frame "
                "headless (%s)\n",
                SDL_GetError());
        return -1;
    }
    /* With DISPLAY set but no reachable server SDL falls back to a driver
     * that shows nothing (offscreen / dummy): a window nobody can see or
     * close. Unless the user asked for such a driver, that is no display. */
    const char *drv = SDL_GetCurrentVideoDriver();
    if (!getenv("SDL_VIDEODRIVER") && drv &&
        (strcmp(drv, "offscreen") == 0 || strcmp(drv, "dummy") == 0 ||
         strcmp(drv, "evdev") == 0)) {
        fprintf(stderr,
                "coscope: no display (DISPLAY=%s cannot be reached); use "
                "--screenshot FILE to render a frame headless\n",
                getenv("DISPLAY") ? getenv("DISPLAY") : "");
        SDL_Quit();
        return -1;
    }
    return 0;
}

/* A visible, resizable window (display_check must have passed): where and
 * as large as it was last time (mem), unless --size says otherwise. */
static int screen_open_window(screen *s, const vw_view_opts *o,
                              const vw_memory *mem, char *err, size_t errn)
{
    int x = SDL_WINDOWPOS_CENTERED, y = SDL_WINDOWPOS_CENTERED;
    int w = o->w, h = o->h;
    if (mem && mem->has_window && !o->has_size) {
        x = mem->x;
        y = mem->y;
        w = mem->w;
        h = mem->h;
    }
    s->win = SDL_CreateWindow(o->title ? o->title : "coscope view", x, y, w,
                              h, SDL_WINDOW_RESIZABLE);
    if (!s->win) {
        snprintf(err, errn, "coscope: cannot open a window: %s",
                 SDL_GetError());
        return -1;
    }
    s->r = SDL_CreateRenderer(
        s->win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!s->r)
        s->r = SDL_CreateRenderer(s->win, -1, SDL_RENDERER_SOFTWARE);
    if (!s->r) {
        snprintf(err, errn, "coscope: no renderer: %s", SDL_GetError());
        return -1;
    }
    s->scale = scale_of(o, 1);
    return screen_fonts(s, err, errn);
}

static int opts_check(const vw_view_opts *o)
{
    if (o->w < 64 || o->h < 64 || o->w > 16384 || o->h > 16384) {
        fprintf(stderr, "coscope: a %dx%d view (64x64 to 16384x16384)\n", o->w,
                o->h);
        return 2;
    }
    if (o->has_hover && (o->hover_x < 0 || o->hover_x >= o->w ||
                         o->hover_y < 0 || o->hover_y >= o->h)) {
        fprintf(stderr, "coscope: hover point %d,%d outside the %dx%d image\n",
                o->hover_x, o->hover_y, o->w, o->h);
        return 2;
    }
    if (o->scale != 0 && !(o->scale >= VW_SCALE_MIN && o->scale <= VW_SCALE_MAX)) {
        fprintf(stderr, "coscope: a UI scale of %g (0.5 to 4)\n", o->scale);
        return 2;
    }
    return 0;
}

/* ---- the headless frame ---- */

/* The screenshot's pretended input goes through vw__apply, the path the
 * window's own mouse motion and `?` key take, so the frame is the one a
 * user would see: the mouse is moved last, after the playhead, window and
 * selection have placed the view under it. */
static void pretend_input(vw_state *st, const vw_model *m,
                          const vw_view_opts *o)
{
    if (o->has_hover) {
        vw_action a = {.kind = VW_A_MOUSE_MOVE, .x = o->hover_x,
                       .y = o->hover_y};
        vw__apply(st, m, &a);
    }
    if (o->help_overlay && !st->help) {
        vw_action a = {.kind = VW_A_HELP};
        vw__apply(st, m, &a);
    }
}

static int screenshot(const vw_model *m, const vw_view_opts *o)
{
    char err[1024] = "";
    screen s;
    memset(&s, 0, sizeof s);
    vw_state st;
    vw_drawlist dl;
    int rc = 1, have_state = 0;
    vw__dl_init(&dl);
    s.scale = scale_of(o, 0);
    if (vw__headless_open(o->w, o->h, &s.win, &s.r, err, sizeof err) != 0 ||
        screen_fonts(&s, err, sizeof err) != 0)
        goto done;
    if (vw__state_init(&st, m, o->w, o->h) != 0) {
        snprintf(err, sizeof err, "coscope: out of memory");
        goto done;
    }
    have_state = 1;
    if (vw__state_scale(&st, m, s.scale) != 0) {
        snprintf(err, sizeof err, "coscope: out of memory");
        goto done;
    }
    vw__state_place(&st, m, o, 1);
    pretend_input(&st, m, o);
    vw__layout(&dl, &st, m, &s.ms);
    vw__render(s.rd, &dl);
    if (vw__save_png(s.r, o->w, o->h, o->screenshot, err, sizeof err) != 0)
        goto done;
    rc = 0;
done:
    if (rc && err[0])
        fprintf(stderr, "%s\n", err);
    screen_close(&s);
    if (have_state)
        vw__state_close(&st);
    vw__dl_close(&dl);
    return rc;
}

/* ---- the window ---- */

static void present(const screen *s, const vw_drawlist *dl)
{
    vw__render(s->rd, dl);
    SDL_RenderPresent(s->r);
}

/* Every pending SDL event through the translator into the state. */
static void pump_events(vw_state *st, const vw_model *m, int wait, int ms)
{
    SDL_Event e;
    /* paused and nothing to draw: sleep in the event queue */
    int have = wait ? SDL_WaitEventTimeout(&e, ms) : SDL_PollEvent(&e);
    while (have) {
        vw_action a;
        if (e.type == SDL_WINDOWEVENT &&
            e.window.event == SDL_WINDOWEVENT_EXPOSED)
            st->dirty = 1;
        if (vw__translate(&e, st, &a)) { /* a dropped trace: VW_A_DROP */
            vw__apply(st, m, &a);
            if (a.kind == VW_A_GOTO || a.kind == VW_A_FILTER ||
                a.kind == VW_A_OPEN)
                SDL_FlushEvent(SDL_TEXTINPUT); /* the key's own text */
        }
        if (e.type == SDL_DROPFILE)
            SDL_free(e.drop.file); /* SDL's copy, borrowed by the action */
        have = SDL_PollEvent(&e);
    }
}

/* The window and the view as they are now, for the next run. */
static void remember(const screen *s, const vw_state *st, const char *key)
{
    vw_memory mem;
    memset(&mem, 0, sizeof mem);
    mem.has_window = 1;
    SDL_GetWindowPosition(s->win, &mem.x, &mem.y);
    SDL_GetWindowSize(s->win, &mem.w, &mem.h);
    vw__memory_of(&mem, st);
    if (vw__memory_save(key, &mem) != 0)
        fprintf(stderr, "coscope: warning: cannot save the viewer state "
                        "(XDG_STATE_HOME, HOME)\n");
}

/* How long the event wait may sleep: a second, or until the next poll. */
static int wait_ms(const vw_follower *fw)
{
    if (!fw)
        return 1000;
    if (fw->job)
        return 10; /* a poll under way: look again soon */
    int64_t left = (fw->next_ns - vw__now_ns()) / 1000000;
    return left < 1 ? 1 : left > 1000 ? 1000 : (int)left;
}

/* next: the trace to open after this one (Ctrl+O, a dropped file), or "".
 * fw: the file is followed (m is fw->m, rebuilt by each poll that grows
 * it); NULL for a trace loaded once. */
static int run_loop(const screen *s, const vw_model *m, const vw_view_opts *o,
                    const char *key, const vw_memory *mem, char *next,
                    vw_follower *fw)
{
    vw_state st;
    vw_drawlist dl;
    vw__dl_init(&dl);
    int w, h;
    SDL_GetWindowSize(s->win, &w, &h);
    if (vw__state_init(&st, m, w, h) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        return 1;
    }
    if (vw__state_scale(&st, m, s->scale) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        vw__state_close(&st);
        return 1;
    }
    vw__state_place(&st, m, o, 0);
    /* the file's last view, unless the command line placed this one */
    if (key && mem && !o->has_at && !o->window && !o->select && !o->cause)
        vw__memory_apply(&st, m, mem);
    if (fw) {
        st.follow = tr_follow_ended(fw->f) ? VW_FOLLOW_ENDED : VW_FOLLOW_GROWING;
        if (!o->has_at)
            vw__live(&st, m, 1);
        st.status[0] = '\0';
    }
    SDL_StartTextInput();
    uint64_t freq = SDL_GetPerformanceFrequency();
    uint64_t last = SDL_GetPerformanceCounter();
    while (!st.quit) {
        int was_playing = st.playing;
        pump_events(&st, m, !st.playing && !st.dirty, wait_ms(fw));
        /* a poll: read and rebuilt on a worker, swapped in here when done */
        long fr = 0;
        if (fw && fw->job && vw__follow_ready(fw))
            fr = vw__follow_finish(fw, &st);
        else if (fw && !fw->job && vw__now_ns() >= fw->next_ns)
            fr = vw__follow_start(fw);
        if (fr == -ENOMEM) {
            fputs("coscope: out of memory following the trace\n", stderr);
            break;
        }
        uint64_t now = SDL_GetPerformanceCounter();
        if (st.playing && was_playing) {
            vw_action a = {.kind = VW_A_TICK};
            a.amount = (double)(now - last) * 1e9 / (double)freq;
            vw__apply(&st, m, &a);
        }
        last = now;
        if (st.clip_ready) {
            SDL_SetClipboardText(st.clip);
            st.clip_ready = 0;
        }
        if (st.dirty) {
            st.dirty = 0;
            vw__layout(&dl, &st, m, &s->ms);
            present(s, &dl);
        }
        if (st.playing) {
            /* pace playback near 60 frames a second */
            uint64_t spent = (SDL_GetPerformanceCounter() - now) * 1000 / freq;
            if (spent < 15)
                SDL_Delay((Uint32)(15 - spent));
        }
    }
    if (key)
        remember(s, &st, key);
    if (next && st.open_ready)
        snprintf(next, VW_PATH_MAX, "%s", st.open_path);
    vw__state_close(&st);
    vw__dl_close(&dl);
    return 0;
}

/* A window for the options, or 1 with the reason on stderr. */
static int window_open(screen *s, const vw_view_opts *o, const vw_memory *mem)
{
    char err[1024] = "";
    memset(s, 0, sizeof *s);
    if (display_check() != 0)
        return 1;
    if (screen_open_window(s, o, mem, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        screen_close(s);
        return 1;
    }
    return 0;
}

/* key, mem: the trace's key and what was remembered (NULL: nothing is
 * remembered, as for vw_view's borrowed trace). */
static int show(const tr_trace *tr, const vw_view_opts *o, const screen *s,
                const char *key, const vw_memory *mem, char *next)
{
    vw_model m;
    int rc = vw__model_init(&m, tr);
    if (rc != 0) {
        fprintf(stderr, "coscope: cannot index the trace (%s)\n",
                strerror(-rc));
        return 1;
    }
    rc = s ? run_loop(s, &m, o, key, mem, next, NULL) : screenshot(&m, o);
    vw__model_close(&m);
    return rc;
}

int vw_view(const tr_trace *tr, const vw_view_opts *o)
{
    int rc = opts_check(o);
    if (rc != 0 || o->screenshot)
        return rc ? rc : show(tr, o, NULL, NULL, NULL, NULL);
    screen s;
    if (window_open(&s, o, NULL) != 0)
        return 1;
    rc = show(tr, o, &s, NULL, NULL, NULL);
    screen_close(&s);
    return rc;
}

/* ---- loading a file ---- */

/* Loads and analyses; prints the reader's error or warnings. */
static int load(const char *path, const tr_load_opts *lo, tr_trace **out,
                char *err, size_t errn)
{
    tr_trace *tr = NULL;
    int rc = tr_load(path, lo, &tr);
    if (rc != 0) {
        snprintf(err, errn, "coscope: %s", tr_last_error());
        return rc;
    }
    for (size_t i = 0; i < tr_nwarnings(tr); i++)
        fprintf(stderr, "coscope: warning: %s\n", tr_warning(tr, i));
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    if ((rc = tr_analyze(tr, &ao)) != 0) {
        tr_free(tr);
        snprintf(err, errn, "coscope: %s: out of memory analysing", path);
        return rc;
    }
    *out = tr;
    return 0;
}

typedef struct loader {
    const char *path;
    SDL_atomic_t permille, finished, cancel;
    int rc;
    tr_trace *tr;
    char err[1024];
} loader;

static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
    loader *l = ctx;
    if (total > 0)
        SDL_AtomicSet(&l->permille, (int)(done * 1000 / total));
    return SDL_AtomicGet(&l->cancel);
}

static int load_thread(void *ctx)
{
    loader *l = ctx;
    tr_load_opts lo = TR_LOAD_OPTS_INIT;
    lo.progress = on_progress;
    lo.progress_ctx = l;
    l->rc = load(l->path, &lo, &l->tr, l->err, sizeof l->err);
    SDL_AtomicSet(&l->finished, 1);
    return 0;
}

/* Draws the progress bar until the loader finishes; quitting (the window's
 * close, or Esc through the translator) cancels the load. 1 if cancelled. */
static int wait_loading(const screen *s, loader *l)
{
    vw_drawlist dl;
    vw__dl_init(&dl);
    vw_state idle; /* the translator's view of a state with no prompt */
    memset(&idle, 0, sizeof idle);
    int quit = 0;
    while (!SDL_AtomicGet(&l->finished)) {
        SDL_Event e;
        vw_action a;
        SDL_GetWindowSize(s->win, &idle.w, &idle.h);
        if (SDL_WaitEventTimeout(&e, 50) && vw__translate(&e, &idle, &a) &&
            (a.kind == VW_A_QUIT || a.kind == VW_A_ESCAPE)) {
            SDL_AtomicSet(&l->cancel, 1);
            quit = 1;
        }
        vw__layout_loading(&dl, idle.w, idle.h, l->path,
                           SDL_AtomicGet(&l->permille) / 1000.0, &s->ms);
        SDL_SetRenderDrawColor(s->r, 0, 0, 0, 255);
        SDL_RenderClear(s->r);
        present(s, &dl);
    }
    vw__dl_close(&dl);
    return quit;
}

/* In a window: load on a thread behind the progress bar, then show. */
/* One trace in the open window: loaded on a thread behind the progress bar,
 * then shown with what was remembered of it (known, or read now when
 * NULL). *next gets the trace to open
 * after it ("" for none). 0, 1 (a load error, on stderr), or -1 when the
 * user cancelled the load. */
static int one_trace(const screen *s, const char *path, const vw_view_opts *o,
                     const vw_memory *known, char *next)
{
    char key[VW_PATH_MAX];
    vw_memory mem;
    int have_key = vw__memory_key(path, key, sizeof key) == 0;
    if (known) /* read already, when the window opened */
        mem = *known;
    else
        vw__memory_load(have_key ? key : NULL, &mem); /* warns if corrupt */
    int rc = 1;
    loader *l = calloc(1, sizeof *l);
    SDL_Thread *th = NULL;
    if (!l) {
        fprintf(stderr, "coscope: out of memory\n");
        return 1;
    }
    l->path = path;
    th = SDL_CreateThread(load_thread, "coscope-load", l);
    if (!th) {
        fprintf(stderr, "coscope: cannot start the loader: %s\n",
                SDL_GetError());
        free(l);
        return 1;
    }
    int quit = wait_loading(s, l);
    SDL_WaitThread(th, NULL);
    if (quit)
        rc = -1;
    else if (l->rc != 0)
        fprintf(stderr, "%s\n", l->err);
    else
        rc = show(l->tr, o, s, have_key ? key : NULL, &mem, next);
    tr_free(l->tr);
    free(l);
    return rc;
}

/* In the open window: path, then whichever the user opens from it (Ctrl+O,
 * a dropped file). first: path is the command line's (its options place
 * it, mem is what was remembered of it); else it came from Ctrl+O or a
 * drop. A later file that does not load is reported and the one before it
 * shown again — unless that was standard input, which cannot be read twice. */
static int window_traces(const screen *s, const char *path, const vw_view_opts *o,
                         const vw_memory *mem, int first)
{
    char cur[VW_PATH_MAX], prev[VW_PATH_MAX] = "", next[VW_PATH_MAX];
    snprintf(cur, sizeof cur, "%s", path);
    vw_view_opts later = *o;
    later.has_at = 0;
    later.window = 0;
    later.select = NULL;
    later.cause = 0;
    later.follow = 0;
    int rc;
    for (;;) {
        next[0] = '\0';
        if (!first) {
            char title[VW_PATH_MAX + 32];
            SDL_SetWindowTitle(s->win, vw__title(title, sizeof title, cur));
        }
        rc = one_trace(s, cur, first ? o : &later, first ? mem : NULL, next);
        if (rc == 1 && !first && prev[0]) {
            snprintf(cur, sizeof cur, "%s", prev); /* back to the last good */
            prev[0] = '\0';
            continue;
        }
        if (rc != 0 || !next[0])
            break;
        first = 0;
        snprintf(prev, sizeof prev, "%s", strcmp(cur, "-") ? cur : "");
        snprintf(cur, sizeof cur, "%s", next);
    }
    return rc;
}

static int view_file_window(const char *path, const vw_view_opts *o)
{
    screen s;
    vw_memory mem;
    char key[VW_PATH_MAX];
    int have_key = vw__memory_key(path, key, sizeof key) == 0;
    vw__memory_load(have_key ? key : NULL, &mem);
    if (window_open(&s, o, &mem) != 0)
        return 1;
    int rc = window_traces(&s, path, o, &mem, 1);
    screen_close(&s);
    return rc < 0 ? 0 : rc;
}

char *vw__title(char *buf, size_t n, const char *path)
{
    const char *base = strrchr(path, '/');
    if (strcmp(path, "-") == 0) /* the reader's name for standard input */
        base = "/(stdin)";
    snprintf(buf, n, "%s \xe2\x80\x94 coscope",
             base && base[1] ? base + 1 : path);
    return buf;
}

/* ---- following a file being written ---- */

/* Opens the follow (again while the file is not there yet) and polls until
 * the trace appears: 0, 1 for an error (on stderr), or -1 when the user
 * gave up (Esc, the window closed) while waiting. */
static int wait_follow(const screen *s, const char *path, vw_follower *fw)
{
    vw_drawlist dl;
    vw__dl_init(&dl);
    vw_state idle; /* the translator's view of a state with no prompt */
    memset(&idle, 0, sizeof idle);
    char what[VW_PATH_MAX + 64], why[512] = "";
    int rc = 1;
    for (;;) {
        int orc = fw->f ? 0 : tr_follow_open(path, &fw->f);
        if (orc != 0 && orc != -ENOENT) {
            snprintf(why, sizeof why, "%s", tr_last_error());
            break;
        }
        /* the reading on a worker, so a big file keeps the window alive */
        long fr = 0;
        if (orc == 0 && !fw->job && vw__now_ns() >= fw->next_ns)
            fr = vw__follow_start(fw);
        if (orc == 0 && vw__follow_ready(fw))
            fr = vw__follow_finish(fw, NULL);
        if (fr < 0) {
            snprintf(why, sizeof why, "%s", fw->msg[0] ? fw->msg : "out of memory");
            break;
        }
        if (fw->have_model) {
            rc = 0;
            break;
        }
        snprintf(what, sizeof what, "%s (%s)", path,
                 fw->job ? "reading" : fw->f ? "waiting for its first line" : "waiting for the file");
        SDL_Event e;
        vw_action a;
        SDL_GetWindowSize(s->win, &idle.w, &idle.h);
        if (SDL_WaitEventTimeout(&e, fw->job ? 20 : 100) && vw__translate(&e, &idle, &a) &&
            (a.kind == VW_A_QUIT || a.kind == VW_A_ESCAPE)) {
            rc = -1;
            break;
        }
        vw__layout_loading(&dl, idle.w, idle.h, what, 0, &s->ms);
        SDL_SetRenderDrawColor(s->r, 0, 0, 0, 255);
        SDL_RenderClear(s->r);
        present(s, &dl);
    }
    if (rc == 1)
        fprintf(stderr, "coscope: %s\n", why);
    vw__dl_close(&dl);
    return rc;
}


static int follow_window(const char *path, const vw_view_opts *o)
{
    screen s;
    if (window_open(&s, o, NULL) != 0)
        return 1;
    vw_follower fw;
    memset(&fw, 0, sizeof fw);
    char next[VW_PATH_MAX] = "";
    int rc = wait_follow(&s, path, &fw);
    if (rc == 0)
        rc = run_loop(&s, &fw.m, o, NULL, NULL, next, &fw);
    vw__follow_close(&fw);
    if (rc == 0 && next[0]) /* Ctrl+O or a drop: that trace, loaded once */
        rc = window_traces(&s, next, o, NULL, 0);
    screen_close(&s);
    return rc < 0 ? 0 : rc;
}

/* The test hook's commands (COSCOPE_VIEW_SCRIPT=1), one a line on stdin,
 * each answered by one line on stdout: "poll" polls the file ("polled N"
 * or "error MESSAGE"); "shot PATH" renders the frame to PATH and answers
 * with the state (vw__state_dump); "action NAME" applies a vw_action by
 * its name ("live", "end", "zoom_in"...). End of input ends it. */
static int follow_script(const screen *s, vw_follower *fw, vw_state *st,
                         vw_drawlist *dl, const vw_view_opts *o)
{
    char line[VW_PATH_MAX + 16], out[512], err[1024];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, "poll") == 0) {
            long n = vw__follow_step(fw, st);
            if (n == -ENOMEM)
                return 1;
            if (n < 0)
                printf("error %s\n", st->follow_msg);
            else
                printf("polled %ld\n", n);
        } else if (strncmp(line, "shot ", 5) == 0) {
            vw__layout(dl, st, &fw->m, &s->ms);
            vw__render(s->rd, dl);
            if (vw__save_png(s->r, o->w, o->h, line + 5, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            vw__state_dump(st, &fw->m, out, sizeof out);
            printf("shot %s\n", out);
        } else if (strncmp(line, "action ", 7) == 0) {
            vw_action a = {.kind = VW_A_NONE};
            for (int k = 1; k < VW_A__COUNT; k++)
                if (strcmp(vw__action_name(k), line + 7) == 0)
                    a.kind = k;
            vw__apply(st, &fw->m, &a);
            printf("%s %s\n", a.kind ? "applied" : "unknown", line + 7);
        } else {
            printf("unknown %s\n", line);
        }
        fflush(stdout);
    }
    return 0;
}

/* Headless: one poll and one frame, or the test hook's script. */
static int follow_shot(const char *path, const vw_view_opts *o)
{
    char err[1024] = "";
    screen s;
    memset(&s, 0, sizeof s);
    vw_follower fw;
    memset(&fw, 0, sizeof fw);
    vw_state st;
    vw_drawlist dl;
    int rc = 1, have_state = 0;
    vw__dl_init(&dl);
    if (tr_follow_open(path, &fw.f) != 0) {
        snprintf(err, sizeof err, "coscope: %s", tr_last_error());
        goto done;
    }
    if (vw__follow_step(&fw, NULL) < 0) {
        snprintf(err, sizeof err, "coscope: %s", fw.msg);
        goto done;
    }
    if (!fw.have_model) {
        snprintf(err, sizeof err, "coscope: %s: no header line yet",
                 strcmp(path, "-") ? path : "(stdin)");
        goto done;
    }
    s.scale = scale_of(o, 0);
    if (vw__headless_open(o->w, o->h, &s.win, &s.r, err, sizeof err) != 0 ||
        screen_fonts(&s, err, sizeof err) != 0)
        goto done;
    if (vw__state_init(&st, &fw.m, o->w, o->h) != 0 ||
        (have_state = 1, vw__state_scale(&st, &fw.m, s.scale) != 0)) {
        snprintf(err, sizeof err, "coscope: out of memory");
        goto done;
    }
    vw__state_place(&st, &fw.m, o, 1);
    st.follow = tr_follow_ended(fw.f) ? VW_FOLLOW_ENDED : VW_FOLLOW_GROWING;
    if (!o->has_at)
        vw__live(&st, &fw.m, 1);
    st.status[0] = '\0';
    pretend_input(&st, &fw.m, o);
    const char *script = getenv("COSCOPE_VIEW_SCRIPT");
    if (script && strcmp(script, "1") == 0) {
        rc = follow_script(&s, &fw, &st, &dl, o);
        goto done;
    }
    vw__layout(&dl, &st, &fw.m, &s.ms);
    vw__render(s.rd, &dl);
    rc = vw__save_png(s.r, o->w, o->h, o->screenshot, err, sizeof err) != 0;
done:
    if (rc && err[0])
        fprintf(stderr, "%s\n", err);
    screen_close(&s);
    if (have_state)
        vw__state_close(&st);
    vw__dl_close(&dl);
    vw__follow_close(&fw);
    return rc;
}

int vw_view_file(const char *path, const vw_view_opts *o)
{
    int rc = opts_check(o);
    if (rc != 0)
        return rc;
    if (o->follow) {
        char title[512];
        vw_view_opts named = *o;
        if (!named.title)
            named.title = vw__title(title, sizeof title, path);
        return o->screenshot ? follow_shot(path, o) : follow_window(path, &named);
    }
    if (!o->screenshot) {
        /* the file's name in the window title, as desktop programs do */
        char title[512];
        vw_view_opts named = *o;
        if (!named.title)
            named.title = vw__title(title, sizeof title, path);
        return view_file_window(path, &named);
    }
    char err[1024];
    tr_trace *tr = NULL;
    tr_load_opts lo = TR_LOAD_OPTS_INIT;
    if (load(path, &lo, &tr, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    rc = show(tr, o, NULL, NULL, NULL, NULL);
    tr_free(tr);
    return rc;
}
