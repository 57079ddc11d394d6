/* app.c: `coscope view FILE` — argument parsing, loading (on a thread with
 * a progress bar when interactive), the frame loop (input -> update ->
 * draw, and only when something changed) and the headless --screenshot
 * path that renders one frame to a PNG, optionally with a pretended mouse
 * position (--hover) or the key help open (--help-overlay). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_image.h>

#include "coscope/viewer.h"
#include "vw_sdl.h"

typedef struct opts {
    const char *file;
    vw_view_opts v;
    long hover_x, hover_y; /* as given: range-checked into v */
    const char *hover;     /* the --hover value as given, for messages */
} opts;

static void usage(FILE *f)
{
    fputs("usage: coscope view FILE [options]\n"
          "Replays a coscope trace as per-task timelines in a window.\n"
          "\n"
          "options:\n"
          "  --screenshot OUT.png  render one frame headless and exit\n"
          "  --at TIME             put the playhead at TIME (1.25s, 300ms, "
          "40us, 500ns)\n"
          "                        (default: start; for --screenshot: end)\n"
          "  --window TIME         visible width, centred at the playhead\n"
          "                        (default: the whole trace)\n"
          "  --size WxH            window / image size (default 1600x900)\n"
          "  --select TASK         select the task with this id\n"
          "  --hover X,Y           with --screenshot: the mouse at pixel X,Y "
          "of the\n"
          "                        image, so its hover tooltip is drawn\n"
          "  --help-overlay        with --screenshot: draw the key help (as "
          "after ?)\n"
          "  --help                this text\n"
          "\n"
          "keys:\n",
          f);
    for (const vw_key_help *k = vw__keys; k->keys; k++)
        fprintf(f, "  %-18s %s\n", k->keys, k->what);
    fputs("\nWithout a display, use --screenshot (SDL_VIDEODRIVER=offscreen is "
          "set for you).\n",
          f);
}

/* "X,Y" as two decimal integers, each with an optional '-' and nothing
 * else (no spaces, no '+'): 0, or -1 when v is not of that shape. Values
 * too big for a long saturate, so the range check rejects them. */
static int parse_point(const char *v, long *x, long *y)
{
    long *out[2] = {x, y};
    for (int k = 0; k < 2; k++) {
        const char *d = v[0] == '-' ? v + 1 : v;
        if (!isdigit((unsigned char)d[0]))
            return -1;
        char *end;
        *out[k] = strtol(v, &end, 10);
        if (*end != (k == 0 ? ',' : '\0'))
            return -1;
        v = end + 1;
    }
    return 0;
}

/* Checks that need the whole command line: --size may follow --hover. */
static int check_shot_opts(opts *o)
{
    if (o->v.has_hover && !o->v.screenshot) {
        fprintf(stderr, "coscope: --hover needs --screenshot (in the window, "
                        "just move the mouse)\n");
        return 2;
    }
    if (o->v.help_overlay && !o->v.screenshot) {
        fprintf(stderr, "coscope: --help-overlay needs --screenshot (in the "
                        "window, press ?)\n");
        return 2;
    }
    if (o->v.has_hover && (o->hover_x < 0 || o->hover_x >= o->v.w ||
                           o->hover_y < 0 || o->hover_y >= o->v.h)) {
        fprintf(stderr,
                "coscope: --hover: %s is outside the %dx%d image (X 0..%d, "
                "Y 0..%d)\n",
                o->hover, o->v.w, o->v.h, o->v.w - 1, o->v.h - 1);
        return 2;
    }
    o->v.hover_x = (int)o->hover_x;
    o->v.hover_y = (int)o->hover_y;
    return 0;
}

static int parse_args(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->v = (vw_view_opts)VW_VIEW_OPTS_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (o->file) {
                fprintf(stderr,
                        "coscope: view takes one FILE (got %s and %s)\n",
                        o->file, a);
                return 2;
            }
            o->file = a;
            continue;
        }
        /* the one option without a value */
        if (strcmp(a, "--help-overlay") == 0) {
            o->v.help_overlay = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "coscope: %s needs a value (see --help)\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--screenshot") == 0) {
            o->v.screenshot = v;
        } else if (strcmp(a, "--at") == 0 || strcmp(a, "--window") == 0) {
            int64_t t;
            if (vw__parse_time(v, &t) != 0) {
                fprintf(stderr,
                        "coscope: %s: not a time: \"%s\" (try 1.25s, 300ms, "
                        "40us, 500ns)\n",
                        a, v);
                return 2;
            }
            if (a[2] == 'a') {
                o->v.at = t;
                o->v.has_at = 1;
            } else {
                o->v.window = t > 0 ? t : 0;
            }
        } else if (strcmp(a, "--size") == 0) {
            int w, h;
            char x;
            if (sscanf(v, "%d%c%d", &w, &x, &h) != 3 || x != 'x' || w < 320 ||
                h < 240 || w > 16384 || h > 16384) {
                fprintf(stderr,
                        "coscope: --size: expected WxH from 320x240 to "
                        "16384x16384, got \"%s\"\n",
                        v);
                return 2;
            }
            o->v.w = w;
            o->v.h = h;
        } else if (strcmp(a, "--select") == 0) {
            char *end;
            unsigned long id = strtoul(v, &end, 10);
            if (*end || end == v || id == 0 || id > UINT32_MAX) {
                fprintf(stderr,
                        "coscope: --select: expected a task id, got "
                        "\"%s\"\n",
                        v);
                return 2;
            }
            o->v.select = (uint32_t)id;
        } else if (strcmp(a, "--hover") == 0) {
            if (parse_point(v, &o->hover_x, &o->hover_y) != 0) {
                fprintf(stderr,
                        "coscope: --hover: expected X,Y in pixels (e.g. "
                        "700,150), got \"%s\"\n",
                        v);
                return 2;
            }
            o->hover = v;
            o->v.has_hover = 1;
        } else {
            fprintf(stderr, "coscope: unknown option %s (see --help)\n", a);
            return 2;
        }
    }
    if (!o->file) {
        fprintf(stderr, "coscope: view needs a trace FILE (see --help)\n");
        return 2;
    }
    return check_shot_opts(o);
}

/* Loads, analyses and indexes; prints the reader's error or warnings. */
static int load_model(const char *path, const tr_load_opts *lo, vw_model *m,
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
    if ((rc = vw__model_init(m, tr)) != 0) {
        snprintf(err, errn, "coscope: %s: cannot index the trace (%s)", path,
                 strerror(-rc));
        return rc;
    }
    return 0;
}

/* The screenshot's pretended input goes through vw__apply, the path the
 * window's own mouse motion and `?` key take, so the frame is the one a
 * user would see: the mouse is moved last, after --at, --window and
 * --select have placed the view under it. */
static void pretend_input(vw_state *st, vw_model *m, const opts *o)
{
    if (o->v.has_hover) {
        vw_action a = {.kind = VW_A_MOUSE_MOVE,
                       .x = o->v.hover_x,
                       .y = o->v.hover_y};
        vw__apply(st, m, &a);
    }
    if (o->v.help_overlay && !st->help) {
        vw_action a = {.kind = VW_A_HELP};
        vw__apply(st, m, &a);
    }
}

static int screenshot(const opts *o)
{
    char err[1024] = "";
    vw_model m;
    vw_state st;
    vw_drawlist dl;
    vw_fonts fonts;
    vw_renderer *rd = NULL;
    SDL_Window *win = NULL;
    SDL_Renderer *r = NULL;
    int rc = 1, have_model = 0, have_state = 0, have_fonts = 0, ttf = 0;
    vw__dl_init(&dl);
    tr_load_opts lo = TR_LOAD_OPTS_INIT;
    if (load_model(o->file, &lo, &m, err, sizeof err) != 0)
        goto done;
    have_model = 1;
    if (vw__headless_open(o->v.w, o->v.h, &win, &r, err, sizeof err) != 0)
        goto done;
    if (TTF_Init() != 0) {
        snprintf(err, sizeof err, "coscope: SDL_ttf: %s", TTF_GetError());
        goto done;
    }
    ttf = 1;
    if (vw__fonts_open(&fonts, err, sizeof err) != 0)
        goto done;
    have_fonts = 1;
    if (vw__renderer_new(r, &fonts, &rd) != 0 ||
        vw__state_init(&st, &m, o->v.w, o->v.h) != 0) {
        snprintf(err, sizeof err, "coscope: out of memory");
        goto done;
    }
    have_state = 1;
    vw__state_place(&st, &m, &o->v, 1);
    pretend_input(&st, &m, o);
    vw_measure ms;
    vw__fonts_measure(&fonts, &ms);
    vw__layout(&dl, &st, &m, &ms);
    vw__render(rd, &dl);
    if (vw__save_png(r, o->v.w, o->v.h, o->v.screenshot, err, sizeof err) != 0)
        goto done;
    rc = 0;
done:
    if (rc && err[0])
        fprintf(stderr, "%s\n", err);
    vw__renderer_free(rd);
    if (have_fonts)
        vw__fonts_close(&fonts);
    if (ttf)
        TTF_Quit();
    if (r)
        SDL_DestroyRenderer(r);
    if (win)
        SDL_DestroyWindow(win);
    SDL_Quit();
    if (have_state)
        vw__state_close(&st);
    if (have_model)
        vw__model_close(&m);
    vw__dl_close(&dl);
    return rc;
}

/* ---- interactive ---- */

typedef struct loader {
    const char *path;
    SDL_atomic_t permille, finished, cancel;
    int rc;
    vw_model m;
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
    l->rc = load_model(l->path, &lo, &l->m, l->err, sizeof l->err);
    SDL_AtomicSet(&l->finished, 1);
    return 0;
}

static void present(SDL_Renderer *r, vw_renderer *rd, const vw_drawlist *dl)
{
    vw__render(rd, dl);
    SDL_RenderPresent(r);
}

static int run_loop(SDL_Window *win, SDL_Renderer *r, vw_renderer *rd,
                    vw_measure *ms, vw_model *m, const opts *o)
{
    vw_state st;
    vw_drawlist dl;
    vw__dl_init(&dl);
    int w, h;
    SDL_GetWindowSize(win, &w, &h);
    if (vw__state_init(&st, m, w, h) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        return 1;
    }
    vw__state_place(&st, m, &o->v, 0);
    SDL_StartTextInput();
    uint64_t freq = SDL_GetPerformanceFrequency();
    uint64_t last = SDL_GetPerformanceCounter();
    while (!st.quit) {
        SDL_Event e;
        int was_playing = st.playing;
        /* paused and nothing to draw: sleep in the event queue */
        int have = st.playing || st.dirty ? SDL_PollEvent(&e)
                                          : SDL_WaitEventTimeout(&e, 1000);
        while (have) {
            vw_action a;
            if (e.type == SDL_WINDOWEVENT &&
                e.window.event == SDL_WINDOWEVENT_EXPOSED)
                st.dirty = 1;
            if (vw__translate(&e, &st, &a)) {
                vw__apply(&st, m, &a);
                if (a.kind == VW_A_GOTO || a.kind == VW_A_FILTER)
                    SDL_FlushEvent(SDL_TEXTINPUT); /* the key's own text */
            }
            have = SDL_PollEvent(&e);
        }
        uint64_t now = SDL_GetPerformanceCounter();
        if (st.playing && was_playing) {
            vw_action a = {.kind = VW_A_TICK};
            a.amount = (double)(now - last) * 1e9 / (double)freq;
            vw__apply(&st, m, &a);
        }
        last = now;
        if (st.dirty) {
            st.dirty = 0;
            vw__layout(&dl, &st, m, ms);
            present(r, rd, &dl);
        }
        if (st.playing) {
            /* pace playback near 60 frames a second */
            uint64_t spent = (SDL_GetPerformanceCounter() - now) * 1000 / freq;
            if (spent < 15)
                SDL_Delay((Uint32)(15 - spent));
        }
    }
    vw__state_close(&st);
    vw__dl_close(&dl);
    return 0;
}

static int interactive(const opts *o)
{
    if (!getenv("SDL_VIDEODRIVER") && !getenv("DISPLAY") &&
        !getenv("WAYLAND_DISPLAY")) {
        fputs("coscope: no display; use --screenshot FILE to render a frame "
              "headless\n",
              stderr);
        return 1;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr,
                "coscope: no display; use --screenshot FILE to render a frame "
                "headless (%s)\n",
                SDL_GetError());
        return 1;
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
        return 1;
    }
    int rc = 1, ttf = 0, have_fonts = 0;
    char err[1024] = "";
    vw_fonts fonts;
    vw_renderer *rd = NULL;
    SDL_Renderer *r = NULL;
    SDL_Thread *th = NULL;
    loader *l = calloc(1, sizeof *l);
    SDL_Window *win = SDL_CreateWindow("coscope view", SDL_WINDOWPOS_CENTERED,
                                       SDL_WINDOWPOS_CENTERED, o->v.w, o->v.h,
                                       SDL_WINDOW_RESIZABLE);
    if (!l || !win) {
        snprintf(err, sizeof err, "coscope: cannot open a window: %s",
                 SDL_GetError());
        goto done;
    }
    r = SDL_CreateRenderer(
        win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!r)
        r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r) {
        snprintf(err, sizeof err, "coscope: no renderer: %s", SDL_GetError());
        goto done;
    }
    if (TTF_Init() != 0) {
        snprintf(err, sizeof err, "coscope: SDL_ttf: %s", TTF_GetError());
        goto done;
    }
    ttf = 1;
    if (vw__fonts_open(&fonts, err, sizeof err) != 0)
        goto done;
    have_fonts = 1;
    if (vw__renderer_new(r, &fonts, &rd) != 0)
        goto done;
    vw_measure ms;
    vw__fonts_measure(&fonts, &ms);
    l->path = o->file;
    th = SDL_CreateThread(load_thread, "coscope-load", l);
    if (!th) {
        snprintf(err, sizeof err, "coscope: cannot start the loader: %s",
                 SDL_GetError());
        goto done;
    }
    /* the window stays responsive while the trace loads */
    vw_drawlist dl;
    vw__dl_init(&dl);
    int quit = 0;
    while (!SDL_AtomicGet(&l->finished)) {
        SDL_Event e;
        if (SDL_WaitEventTimeout(&e, 50) &&
            (e.type == SDL_QUIT ||
             (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_ESCAPE))) {
            SDL_AtomicSet(&l->cancel, 1);
            quit = 1;
        }
        int w, h;
        SDL_GetWindowSize(win, &w, &h);
        vw__layout_loading(&dl, w, h, o->file,
                           SDL_AtomicGet(&l->permille) / 1000.0, &ms);
        SDL_SetRenderDrawColor(r, 0, 0, 0, 255);
        SDL_RenderClear(r);
        present(r, rd, &dl);
    }
    vw__dl_close(&dl);
    SDL_WaitThread(th, NULL);
    th = NULL;
    if (quit) {
        if (l->rc == 0)
            vw__model_close(&l->m);
        rc = 0;
        goto done;
    }
    if (l->rc != 0) {
        snprintf(err, sizeof err, "%s", l->err);
        goto done;
    }
    rc = run_loop(win, r, rd, &ms, &l->m, o);
    vw__model_close(&l->m);
done:
    if (rc && err[0])
        fprintf(stderr, "%s\n", err);
    vw__renderer_free(rd);
    if (have_fonts)
        vw__fonts_close(&fonts);
    if (ttf)
        TTF_Quit();
    if (r)
        SDL_DestroyRenderer(r);
    if (win)
        SDL_DestroyWindow(win);
    SDL_Quit();
    free(l);
    return rc;
}

int vw_view_main(int argc, char **argv)
{
    opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc == 1)
        return 0; /* --help */
    if (rc != 0)
        return rc;
    return o.v.screenshot ? screenshot(&o) : interactive(&o);
}
