/* test_view_shot.c: `coscope view --screenshot` end to end, headless
 * (SDL_VIDEODRIVER=offscreen): the PNG is written, loads back, and its
 * pixels show a running span's exact colour and a darker future right of
 * the playhead; --hover draws the tooltip and --help-overlay the key help
 * where the window would; every bad input exits 1 with the reader's
 * message, every bad option 2 with its own. */
#include <SDL.h>
#include <SDL_image.h>
#include <fcntl.h>
#include <unistd.h>

#include "coscope/viewer.h"
#include "view_exec.h"
#include "test.h"
#include "vw_sdl.h"

enum { TL_X = 240, LANES_Y = 94, LANE_H = 24 };

static char out_png[256];

static const char *data(const char *name)
{
    static char path[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(path[k], sizeof path[k], "%s/%s", VIEW_DATA, name);
    return path[k];
}

static void setup(void)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    snprintf(out_png, sizeof out_png, "/tmp/coscope-view-test-%d.png",
             (int)getpid());
    unlink(out_png);
}

/* Runs vw_view_main with stderr captured into err (NUL-terminated). */
static int run_view(char *err, size_t errn, int argc, const char **argv)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/coscope-view-err-%d", (int)getpid());
    fflush(stderr);
    int saved = dup(2);
    int fd = open(tmp, O_CREAT | O_TRUNC | O_RDWR, 0600);
    ASSERT(fd >= 0);
    dup2(fd, 2);
    int rc = view_main(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, err, errn - 1);
    err[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(tmp);
    return rc;
}

static vw_rgba pixel(SDL_Surface *s, int x, int y)
{
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    ASSERT_NOT_NULL(c);
    uint32_t px = ((uint32_t *)((uint8_t *)c->pixels + y * c->pitch))[x];
    SDL_FreeSurface(c);
    vw_rgba r = {(uint8_t)(px >> 16), (uint8_t)(px >> 8), (uint8_t)px, 255};
    return r;
}

static void assert_colour(vw_rgba got, vw_rgba want)
{
    ASSERT_EQ(got.r, want.r);
    ASSERT_EQ(got.g, want.g);
    ASSERT_EQ(got.b, want.b);
}

static int same_colour(vw_rgba a, vw_rgba b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

/* under a black veil of alpha a: each channel c * (255 - a) / 255, give or
 * take the blender's rounding */
static void assert_veiled(vw_rgba got, vw_rgba under, int a)
{
    ASSERT_CMP(abs(got.r - under.r * (255 - a) / 255), <=, 1);
    ASSERT_CMP(abs(got.g - under.g * (255 - a) / 255), <=, 1);
    ASSERT_CMP(abs(got.b - under.b * (255 - a) / 255), <=, 1);
    ASSERT(!same_colour(got, under));
}

/* Renders small.jsonl with the window 0..9.6 ms (1 px = 10 us) plus the
 * extra options, and loads the PNG back. */
static SDL_Surface *shot_small(int nextra, const char **extra)
{
    char err[4096];
    const char *argv[16] = {
        "view",  data("small.jsonl"), "--screenshot", out_png, "--at",
        "4.8ms", "--window",          "9.6ms"};
    int argc = 8;
    for (int i = 0; i < nextra; i++)
        argv[argc++] = extra[i];
    ASSERT_EQ(run_view(err, sizeof err, argc, argv), 0);
    ASSERT_STR_EQ(err, "");
    SDL_Surface *s = IMG_Load(out_png);
    ASSERT_NOT_NULL(s);
    unlink(out_png);
    return s;
}

/* The real fonts the screenshot uses, to size the boxes it draws. */
static void open_fonts(vw_fonts *f)
{
    char err[1024];
    ASSERT_OK(TTF_Init());
    if (vw__fonts_open(f, 1.0, err, sizeof err) != 0)
        TEST__FAIL("%s", err);
}

static void close_fonts(vw_fonts *f)
{
    vw__fonts_close(f);
    TTF_Quit();
}

static void test_pixels(void)
{
    setup();
    char err[4096];
    const char *argv[] = {
        "view",  data("small.jsonl"), "--screenshot", out_png, "--at",
        "4.8ms", "--window",          "9.6ms"};
    ASSERT_EQ(run_view(err, sizeof err, 8, argv), 0);
    SDL_Surface *s = IMG_Load(out_png);
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(s->w, 1600);
    ASSERT_EQ(s->h, 900);
    /* main (lane 1) runs 0.1..1 ms = x 250..340; bottom row of the rect */
    int y = LANES_Y + LANE_H + 4 + 15;
    vw_rgba run = vw__state_colour(TR_ST_RUNNING, 0);
    assert_colour(pixel(s, TL_X + 98, y), run);
    /* and again 6.3..9.6 ms, right of the playhead at 4.8 ms: dimmed */
    vw_rgba fut = pixel(s, TL_X + 950, y);
    ASSERT_CMP(fut.r, <, run.r);
    ASSERT_CMP(fut.g, <, run.g);
    ASSERT_CMP(fut.b, <, run.b);
    ASSERT_CMP(fut.g, >, 0);
    /* worker (lane 2) waits on io 3..6 ms: exact left of the playhead */
    vw_rgba io = vw__state_colour(TR_ST_WAITING, TR_WAIT_IO);
    assert_colour(pixel(s, TL_X + 470, LANES_Y + 2 * LANE_H + 4 + 15), io);
    vw_rgba io_fut = pixel(s, TL_X + 590, LANES_Y + 2 * LANE_H + 4 + 15);
    ASSERT_CMP(io_fut.b, <, io.b);
    /* the playhead line itself at x = 240 + 480 */
    assert_colour(pixel(s, TL_X + 480, LANES_Y + 300), VW_C_PLAYHEAD);
    SDL_FreeSurface(s);
    unlink(out_png);
}

static void test_select(void)
{
    setup();
    char err[4096];
    const char *argv[] = {
        "view",   data("small.jsonl"), "--screenshot", out_png,    "--at",
        "4ms",    "--window",          "9.6ms",        "--select", "2",
        "--size", "1600x900"};
    ASSERT_EQ(run_view(err, sizeof err, 12, argv), 0);
    SDL_Surface *s = IMG_Load(out_png);
    ASSERT_NOT_NULL(s);
    /* worker's io span 3..6 ms (x 540..840) has a white frame at x 539 */
    vw_rgba white = {255, 255, 255, 255};
    assert_colour(pixel(s, TL_X + 299, LANES_Y + 2 * LANE_H + 10), white);
    SDL_FreeSurface(s);
    unlink(out_png);
}

/* small.jsonl's frame at 4 ms with `--select task` (NULL: none) as ARGB
 * pixels (malloc'd, 1600x900); stderr into err. */
static uint32_t *shot_select(const char *task, char *err, size_t errn)
{
    setup();
    const char *argv[] = {"view",     data("small.jsonl"), "--screenshot", out_png,
                          "--at",     "4ms",               "--window",     "9.6ms",
                          "--size",   "1600x900",          "--select",     task};
    ASSERT_EQ(run_view(err, errn, task ? 12 : 10, argv), 0);
    SDL_Surface *s = IMG_Load(out_png);
    ASSERT_NOT_NULL(s);
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(c->w, 1600);
    ASSERT_EQ(c->h, 900);
    uint32_t *px = malloc(1600 * 900 * sizeof *px);
    ASSERT_NOT_NULL(px);
    for (int y = 0; y < 900; y++)
        memcpy(px + y * 1600, (uint8_t *)c->pixels + y * c->pitch, 1600 * sizeof *px);
    SDL_FreeSurface(c);
    SDL_FreeSurface(s);
    unlink(out_png);
    return px;
}

static int same_pixels(const uint32_t *a, const uint32_t *b)
{
    return memcmp(a, b, 1600 * 900 * sizeof *a) == 0;
}

/* --select takes a task as `coscope why` does (tr_parse_task): worker's id,
 * its name and its label draw the same frame, which differs from the frame
 * with nothing selected; a task the trace lacks is a warning and selects
 * nothing. */
static void test_select_name(void)
{
    char err[4096];
    uint32_t *none = shot_select(NULL, err, sizeof err);
    ASSERT_STR_EQ(err, "");
    uint32_t *by_id = shot_select("2", err, sizeof err);
    ASSERT_STR_EQ(err, "");
    ASSERT(!same_pixels(by_id, none));
    const char *same[] = {"worker", "worker (2)"};
    for (int i = 0; i < 2; i++) {
        uint32_t *px = shot_select(same[i], err, sizeof err);
        ASSERT_STR_EQ(err, "");
        ASSERT(same_pixels(px, by_id));
        free(px);
    }
    const char *lacking[] = {"nosuch", "worker (3)", "9"};
    for (int i = 0; i < 3; i++) {
        char want[128];
        snprintf(want, sizeof want, "coscope: warning: --select %s: no such task\n", lacking[i]);
        uint32_t *px = shot_select(lacking[i], err, sizeof err);
        ASSERT_STR_EQ(err, want);
        ASSERT(same_pixels(px, none));
        free(px);
    }
    free(by_id);
    free(none);
}

static void test_size(void)
{
    setup();
    char err[4096];
    const char *argv[] = {"view",         data("stalls.jsonl"),
                          "--screenshot", out_png,
                          "--size",       "800x600"};
    ASSERT_EQ(run_view(err, sizeof err, 6, argv), 0);
    SDL_Surface *s = IMG_Load(out_png);
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(s->w, 800);
    ASSERT_EQ(s->h, 600);
    SDL_FreeSurface(s);
    unlink(out_png);
}

static void test_missing(void)
{
    setup();
    char err[4096];
    const char *argv[] = {"view", data("no-such.jsonl"), "--screenshot",
                          out_png};
    ASSERT_EQ(run_view(err, sizeof err, 4, argv), 1);
    ASSERT(strstr(err, "no-such.jsonl") != NULL);
    ASSERT(strncmp(err, "coscope: ", 9) == 0);
    ASSERT_EQ(access(out_png, F_OK), -1);
}

static void test_bad(void)
{
    setup();
    char err[4096];
    const char *argv[] = {"view", data("bad.jsonl"), "--screenshot", out_png};
    ASSERT_EQ(run_view(err, sizeof err, 4, argv), 1);
    ASSERT(strstr(err, "bad.jsonl:3:") != NULL);
    ASSERT_EQ(access(out_png, F_OK), -1);
}

static void test_truncated(void)
{
    setup();
    char err[4096];
    const char *argv[] = {"view", data("truncated.jsonl"), "--screenshot",
                          out_png};
    ASSERT_EQ(run_view(err, sizeof err, 4, argv), 0);
    ASSERT(strstr(err, "warning") != NULL);
    ASSERT(strstr(err, "truncated.jsonl") != NULL);
    ASSERT_EQ(access(out_png, F_OK), 0);
    unlink(out_png);
}

static void test_empty(void)
{
    setup();
    char err[4096];
    const char *argv[] = {"view", data("empty.jsonl"), "--screenshot", out_png};
    ASSERT_EQ(run_view(err, sizeof err, 4, argv), 0);
    SDL_Surface *s = IMG_Load(out_png);
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(s->w, 1600);
    SDL_FreeSurface(s);
    unlink(out_png);
}

static void test_no_display(void)
{
    unsetenv("SDL_VIDEODRIVER");
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    char err[4096];
    const char *argv[] = {"view", data("small.jsonl")};
    ASSERT_EQ(run_view(err, sizeof err, 2, argv), 1);
    ASSERT_STR_EQ(err, "coscope: no display; use --screenshot FILE to render "
                       "a frame headless\n");
}

/* DISPLAY set, no server behind it: SDL falls back to a driver that shows
 * nothing; the viewer must say so rather than run an invisible window. */
static void test_dead_display(void)
{
    unsetenv("SDL_VIDEODRIVER");
    unsetenv("WAYLAND_DISPLAY");
    setenv("DISPLAY", ":97", 1);
    char err[4096];
    const char *argv[] = {"view", data("small.jsonl")};
    ASSERT_EQ(run_view(err, sizeof err, 2, argv), 1);
    ASSERT(strstr(err, "coscope: no display (DISPLAY=:97 cannot be reached); "
                       "use --screenshot FILE to render a frame headless\n"));
    unsetenv("DISPLAY");
}

/* --hover 690,152: the mouse over worker's io read span (3..6 ms; lane 2,
 * t = 4.5 ms). The tooltip's box has its top-left corner 16 px right of and
 * 18 px below the mouse, is as wide as its widest line + 20 and as tall as
 * 4 lines + 12, and casts a shadow 3 px down and right; none of it is there
 * without --hover. */
static void test_hover(void)
{
    setup();
    const char *hover[] = {"--hover", "690,152"};
    SDL_Surface *on = shot_small(2, hover);
    SDL_Surface *off = shot_small(0, NULL);
    vw_fonts f;
    open_fonts(&f);
    int w = vw__fonts_text_w(&f, VW_FONT_BOLD, "worker (2)");
    const char *lines[] = {"waiting: io read fd 5",
                           "3.00 ms   (3.00 ms \xe2\x86\x92 6.00 ms)",
                           "at small.c:22"};
    for (int i = 0; i < 3; i++) {
        int tw = vw__fonts_text_w(&f, VW_FONT_NORMAL, lines[i]);
        w = tw > w ? tw : w;
    }
    int bx = 690 + 16, by = 152 + 18, bw = w + 20, bh = 4 * (f.line_h + 3) + 12;
    close_fonts(&f);
    ASSERT_CMP(bw, >, 150);
    int x1 = bx + bw - 1, y1 = by + bh - 1; /* the last column and row */
    /* the frame at the four corners and mid-edges */
    int fx[] = {bx, x1, bx, x1, (bx + x1) / 2, (bx + x1) / 2, bx, x1};
    int fy[] = {by, by, y1, y1, by, y1, (by + y1) / 2, (by + y1) / 2};
    for (int i = 0; i < 8; i++) {
        assert_colour(pixel(on, fx[i], fy[i]), VW_C_GRID);
        ASSERT(!same_colour(pixel(off, fx[i], fy[i]), VW_C_GRID));
    }
    /* just outside the frame: what was there */
    int ox[] = {bx - 1, x1 + 1, bx, bx + 2};
    int oy[] = {by, by, by - 1, y1 + 1};
    for (int i = 0; i < 4; i++)
        assert_colour(pixel(on, ox[i], oy[i]), pixel(off, ox[i], oy[i]));
    /* the background inside the padding, near each corner */
    int px[] = {bx + 3, x1 - 3, bx + 3, x1 - 3};
    int py[] = {by + 3, by + 3, y1 - 3, y1 - 3};
    for (int i = 0; i < 4; i++) {
        assert_colour(pixel(on, px[i], py[i]), VW_C_PANEL);
        ASSERT(!same_colour(pixel(off, px[i], py[i]), VW_C_PANEL));
    }
    /* the shadow: black at alpha 120 over what was drawn before */
    assert_veiled(pixel(on, x1 + 2, y1 + 2), pixel(off, x1 + 2, y1 + 2), 120);
    assert_veiled(pixel(on, bx + 3, y1 + 3), pixel(off, bx + 3, y1 + 3), 120);
    assert_colour(pixel(on, x1 + 4, y1 + 2), pixel(off, x1 + 4, y1 + 2));
    /* the rest of the image is untouched: the span under the mouse keeps
     * its colour (the window has no hover highlight) */
    vw_rgba io = vw__state_colour(TR_ST_WAITING, TR_WAIT_IO);
    assert_colour(pixel(on, 690, 152), io);
    assert_colour(pixel(off, 690, 152), io);
    assert_colour(pixel(on, TL_X + 98, LANES_Y + LANE_H + 19),
                  vw__state_colour(TR_ST_RUNNING, 0));
    SDL_FreeSurface(on);
    SDL_FreeSurface(off);
}

/* A mouse over no span (the label column, the ruler) draws no tooltip:
 * the frame is the one without --hover, pixel for pixel. */
static void test_hover_nothing(void)
{
    setup();
    const char *label[] = {"--hover", "100,152"};
    const char *ruler[] = {"--hover", "690,80"};
    SDL_Surface *off = shot_small(0, NULL);
    SDL_Surface *on[2] = {shot_small(2, label), shot_small(2, ruler)};
    for (int k = 0; k < 2; k++) {
        ASSERT_EQ(on[k]->h, off->h);
        SDL_Surface *a =
            SDL_ConvertSurfaceFormat(on[k], SDL_PIXELFORMAT_ARGB8888, 0);
        SDL_Surface *b =
            SDL_ConvertSurfaceFormat(off, SDL_PIXELFORMAT_ARGB8888, 0);
        ASSERT_NOT_NULL(a);
        ASSERT_NOT_NULL(b);
        for (int y = 0; y < a->h; y++)
            ASSERT_OK(memcmp((uint8_t *)a->pixels + y * a->pitch,
                             (uint8_t *)b->pixels + y * b->pitch,
                             (size_t)a->w * 4));
        SDL_FreeSurface(a);
        SDL_FreeSurface(b);
        SDL_FreeSurface(on[k]);
    }
    SDL_FreeSurface(off);
}

/* --help-overlay: the whole frame under a black veil of alpha 140, and a
 * 620 px wide box centred on it, framed in the accent colour, 22 key lines
 * + 70 px tall. */
static void test_help_overlay(void)
{
    setup();
    const char *help[] = {"--help-overlay"};
    SDL_Surface *on = shot_small(1, help);
    SDL_Surface *off = shot_small(0, NULL);
    vw_fonts f;
    open_fonts(&f);
    int nkeys = (int)vw__help_rows();
    ASSERT_EQ(nkeys, 25);
    int bw = 620, bh = nkeys * (f.line_h + 6) + 70;
    close_fonts(&f);
    int bx = (1600 - bw) / 2, by = (900 - bh) / 2;
    int x1 = bx + bw - 1, y1 = by + bh - 1;
    ASSERT_EQ(bx, 490);
    int fx[] = {bx, x1, bx, x1, 800, 800, bx, x1};
    int fy[] = {by, by, y1, y1, by, y1, 450, 450};
    for (int i = 0; i < 8; i++) {
        assert_colour(pixel(on, fx[i], fy[i]), VW_C_ACCENT);
        ASSERT(!same_colour(pixel(off, fx[i], fy[i]), VW_C_ACCENT));
    }
    /* inside, left of the key column (x 510) and below the title */
    int px[] = {bx + 5, bx + 5, bx + 5, x1 - 5};
    int py[] = {by + 5, 450, y1 - 5, y1 - 5};
    for (int i = 0; i < 4; i++) {
        assert_colour(pixel(on, px[i], py[i]), VW_C_PANEL);
        ASSERT(!same_colour(pixel(off, px[i], py[i]), VW_C_PANEL));
    }
    /* outside the box, everything is veiled: the top bar, the labels, a
     * running span, the panel, the legend, and just outside the frame */
    int vx[] = {5, 100, TL_X + 98, 1300, 5, bx - 1, x1 + 1, 800, 800};
    int vy[] = {5,      450,   LANES_Y + LANE_H + 19, 450, 895, 450, 450,
                by - 1, y1 + 1};
    for (int i = 0; i < 9; i++)
        assert_veiled(pixel(on, vx[i], vy[i]), pixel(off, vx[i], vy[i]), 140);
    SDL_FreeSurface(on);
    SDL_FreeSurface(off);
}

/* Bad --hover / --help-overlay: exit 2, a message naming the option, and no
 * image. --size is checked whichever side of --hover it is given. */
static void test_shot_opts_usage(void)
{
    setup();
    static const struct {
        int argc;
        const char *args[6];
        const char *msg;
    } cases[] = {
        {2,
         {"--hover", "700,150"},
         "coscope: --hover needs --screenshot (in the window, just move the "
         "mouse)\n"},
        {1,
         {"--help-overlay"},
         "coscope: --help-overlay needs --screenshot (in the window, press "
         "?)\n"},
        {4,
         {"--screenshot", "OUT", "--hover", "12"},
         "coscope: --hover: expected X,Y in pixels (e.g. 700,150), got "
         "\"12\"\n"},
        {4,
         {"--screenshot", "OUT", "--hover", "a,b"},
         "coscope: --hover: expected X,Y in pixels (e.g. 700,150), got "
         "\"a,b\"\n"},
        {4,
         {"--hover", "1,2,3", "--screenshot", "OUT"},
         "coscope: --hover: expected X,Y in pixels (e.g. 700,150), got "
         "\"1,2,3\"\n"},
        {4,
         {"--screenshot", "OUT", "--hover", " 1,2"},
         "coscope: --hover: expected X,Y in pixels (e.g. 700,150), got "
         "\" 1,2\"\n"},
        {4,
         {"--screenshot", "OUT", "--hover", "-1,5"},
         "coscope: --hover: -1,5 is outside the 1600x900 image (X 0..1599, "
         "Y 0..899)\n"},
        {4,
         {"--screenshot", "OUT", "--hover", "5,-1"},
         "coscope: --hover: 5,-1 is outside the 1600x900 image (X 0..1599, "
         "Y 0..899)\n"},
        {4,
         {"--screenshot", "OUT", "--hover", "1600,10"},
         "coscope: --hover: 1600,10 is outside the 1600x900 image (X 0..1599, "
         "Y 0..899)\n"},
        {6,
         {"--hover", "700,480", "--screenshot", "OUT", "--size", "800x480"},
         "coscope: --hover: 700,480 is outside the 800x480 image (X 0..799, "
         "Y 0..479)\n"},
        {4,
         {"--screenshot", "OUT", "--hover", "99999999999999999999,1"},
         "coscope: --hover: 99999999999999999999,1 is outside the 1600x900 "
         "image (X 0..1599, Y 0..899)\n"},
        {3,
         {"--screenshot", "OUT", "--hover"},
         "coscope: --hover needs a value (see --help)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[8] = {"view", data("small.jsonl")};
        for (int k = 0; k < cases[i].argc; k++)
            argv[2 + k] =
                strcmp(cases[i].args[k], "OUT") ? cases[i].args[k] : out_png;
        char err[4096];
        ASSERT_EQ(run_view(err, sizeof err, 2 + cases[i].argc, argv), 2);
        ASSERT_STR_EQ(err, cases[i].msg);
        ASSERT_EQ(access(out_png, F_OK), -1);
    }
    /* the largest point inside is fine */
    const char *corner[] = {"--hover", "1599,899"};
    SDL_FreeSurface(shot_small(2, corner));
    /* and `view --help` documents both */
    char out[64];
    snprintf(out, sizeof out, "/tmp/coscope-view-help-%d", (int)getpid());
    const char *help[] = {"view", "--help"};
    fflush(stdout);
    int saved = dup(1), fd = open(out, O_CREAT | O_TRUNC | O_RDWR, 0600);
    ASSERT(fd >= 0);
    dup2(fd, 1);
    int rc = view_main(2, help);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    char text[8192];
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, text, sizeof text - 1);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(out);
    ASSERT_EQ(rc, 0);
    ASSERT(strstr(text, "\n  --hover X,Y           with --screenshot: the "
                        "mouse at pixel X,Y of the\n"));
    ASSERT(strstr(text, "\n  --help-overlay        with --screenshot: draw "
                        "the key help (as after ?)\n"));
}

static void test_usage(void)
{
    setup();
    char err[4096];
    const char *none[] = {"view"};
    ASSERT_EQ(run_view(err, sizeof err, 1, none), 2);
    ASSERT(strstr(err, "needs a trace FILE") != NULL);
    const char *at[] = {"view", data("small.jsonl"), "--at", "soon"};
    ASSERT_EQ(run_view(err, sizeof err, 4, at), 2);
    ASSERT(strstr(err, "not a time") != NULL);
    const char *size[] = {"view", data("small.jsonl"), "--size", "10x10"};
    ASSERT_EQ(run_view(err, sizeof err, 4, size), 2);
    const char *opt[] = {"view", data("small.jsonl"), "--frobnicate", "1"};
    ASSERT_EQ(run_view(err, sizeof err, 4, opt), 2);
    ASSERT(strstr(err, "unknown option --frobnicate") != NULL);
    const char *sel[] = {"view", data("small.jsonl"), "--select", ""};
    ASSERT_EQ(run_view(err, sizeof err, 4, sel), 2);
    ASSERT_STR_EQ(err, "coscope: --select: expected a task (an id, a name, or "
                       "\"name (id)\")\n");
    const char *scale[] = {"view", data("small.jsonl"), "--scale", "9"};
    ASSERT_EQ(run_view(err, sizeof err, 4, scale), 2);
    ASSERT_STR_EQ(err, "coscope: --scale: expected a UI scale from 0.5 to 4 "
                       "(e.g. 2), got \"9\"\n");
    const char *scale0[] = {"view", data("small.jsonl"), "--scale", "0.4"};
    ASSERT_EQ(run_view(err, sizeof err, 4, scale0), 2);
    const char *help[] = {"view", "--help"};
    fflush(stdout);
    int saved = dup(1), fd = open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    int rc = view_main(2, help);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(fd);
    ASSERT_EQ(rc, 0);
}

/* Fonts through fontconfig: DejaVu Sans and its real bold file, and a
 * fallback font for a CJK task name (scripts/deps.sh installs
 * fonts-wqy-zenhei); a character no installed font has keeps DejaVu's box. */
static void test_fonts(void)
{
    char path[512], err[256];
    unsetenv("COSCOPE_FONT");
    ASSERT_OK(vw__font_find(path, sizeof path, err, sizeof err));
    ASSERT(strstr(path, "/DejaVuSans.ttf") != NULL);
    ASSERT_OK(vw__font_find_bold(path, sizeof path));
    const char *base = strrchr(path, '/');
    ASSERT_STR_EQ(base, "/DejaVuSans-Bold.ttf");
    ASSERT_OK(vw__font_fallback(0x4e2d, path, sizeof path)); /* 中 */
    ASSERT(strstr(path, "DejaVu") == NULL);
    ASSERT_EQ(vw__font_fallback(0x10fffd, path, sizeof path), -1);
    vw_fonts f;
    open_fonts(&f);
    ASSERT(strstr(f.bold_path, "/DejaVuSans-Bold.ttf") != NULL);
    ASSERT(f.f[VW_FONT_BOLD] != f.f[VW_FONT_NORMAL]);
    /* the face itself is the bold one (not SDL_ttf's synthetic style) */
    ASSERT_STR_EQ(TTF_FontFaceStyleName(f.f[VW_FONT_BOLD]), "Bold");
    ASSERT_STR_EQ(TTF_FontFaceStyleName(f.f[VW_FONT_NORMAL]), "Book");
    /* "ab中文cd": DejaVu, the fallback, DejaVu again */
    const char *name = "ab\xe4\xb8\xad\xe6\x96\x87" "cd";
    TTF_Font *t0, *t1, *t2;
    ASSERT_EQ(vw__fonts_run(&f, VW_FONT_NORMAL, name, &t0), 2);
    ASSERT(t0 == f.f[VW_FONT_NORMAL]);
    ASSERT_EQ(vw__fonts_run(&f, VW_FONT_NORMAL, name + 2, &t1), 6);
    ASSERT(t1 != f.f[VW_FONT_NORMAL]);
    ASSERT(TTF_GlyphIsProvided32(t1, 0x4e2d));
    ASSERT_EQ(f.nfb, 1);
    ASSERT(strstr(f.fb[0].path, "DejaVu") == NULL);
    ASSERT_EQ(vw__fonts_run(&f, VW_FONT_NORMAL, name + 8, &t2), 2);
    ASSERT(t2 == f.f[VW_FONT_NORMAL]);
    /* the width is the runs' widths: the CJK part measured in the fallback */
    int wa, wc, wd, h;
    TTF_SizeUTF8(f.f[VW_FONT_NORMAL], "ab", &wa, &h);
    TTF_SizeUTF8(t1, "\xe4\xb8\xad\xe6\x96\x87", &wc, &h);
    TTF_SizeUTF8(f.f[VW_FONT_NORMAL], "cd", &wd, &h);
    ASSERT_EQ(vw__fonts_text_w(&f, VW_FONT_NORMAL, name), wa + wc + wd);
    /* U+10FFFD: no font has it, DejaVu draws its box, no fallback opened */
    TTF_Font *tb;
    ASSERT_EQ(vw__fonts_run(&f, VW_FONT_NORMAL, "\xf4\x8f\xbf\xbd", &tb), 4);
    ASSERT(tb == f.f[VW_FONT_NORMAL]);
    ASSERT_EQ(f.nfb, 1);
    close_fonts(&f);
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"pixels", test_pixels},
        {"select", test_select},
        {"select_name", test_select_name},
        {"size", test_size},
        {"missing", test_missing},
        {"bad", test_bad},
        {"truncated", test_truncated},
        {"empty", test_empty},
        {"no_display", test_no_display},
        {"dead_display", test_dead_display},
        {"usage", test_usage},
        {"hover", test_hover},
        {"hover_nothing", test_hover_nothing},
        {"help_overlay", test_help_overlay},
        {"shot_opts_usage", test_shot_opts_usage},
        {"fonts", test_fonts},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
