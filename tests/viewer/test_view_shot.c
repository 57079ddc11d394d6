/* test_view_shot.c: `coscope view --screenshot` end to end, headless
 * (SDL_VIDEODRIVER=offscreen): the PNG is written, loads back, and its
 * pixels show a running span's exact colour and a darker future right of
 * the playhead; every bad input exits 1 with the reader's message. */
#include <SDL.h>
#include <SDL_image.h>
#include <fcntl.h>
#include <unistd.h>

#include "coscope/viewer.h"
#include "test.h"
#include "vw_int.h"

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
    int rc = vw_view_main(argc, (char **)argv);
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
    const char *sel[] = {"view", data("small.jsonl"), "--select", "x"};
    ASSERT_EQ(run_view(err, sizeof err, 4, sel), 2);
    const char *help[] = {"view", "--help"};
    fflush(stdout);
    int saved = dup(1), fd = open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    int rc = vw_view_main(2, (char **)help);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(fd);
    ASSERT_EQ(rc, 0);
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"pixels", test_pixels}, {"select", test_select},
        {"size", test_size},     {"missing", test_missing},
        {"bad", test_bad},       {"truncated", test_truncated},
        {"empty", test_empty},   {"no_display", test_no_display},
        {"dead_display", test_dead_display},
        {"usage", test_usage},   {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
