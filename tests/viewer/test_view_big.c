/* test_view_big.c: the viewer on a big synthetic trace (the benchmarks'
 * generator, 300 000 events), headless: it loads, and renders a frame at
 * every zoom (whole trace, 1/100, 1/10000), each written as a PNG of the
 * asked size whose lanes hold state colours. bench/viewer has the frame
 * times for 10 M events; this only proves it works. */
#include <SDL.h>
#include <SDL_image.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "coscope/trace.h"
#include "coscope/viewer.h"
#include "view_exec.h"
#include "gen.h"
#include "test.h"

static char trace_path[64], png[64];

static int quiet_view(int argc, const char **argv)
{
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    int rc = view_main(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(null);
    return rc;
}

/* Counts pixels in the lane area that are neither background-dark nor
 * grey: coloured state spans (or density blocks) were drawn. */
static long coloured_pixels(SDL_Surface *s)
{
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    ASSERT_NOT_NULL(c);
    long n = 0;
    for (int y = 100; y < c->h - 60; y += 3)
        for (int x = 250; x < c->w - 400; x += 3) {
            uint32_t px = ((uint32_t *)((uint8_t *)c->pixels + y * c->pitch))[x];
            int r = (px >> 16) & 255, g = (px >> 8) & 255, b = px & 255;
            int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
            int mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
            if (mx - mn > 40 && mx > 80)
                n++;
        }
    SDL_FreeSurface(c);
    return n;
}

static void test_zooms(void)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    snprintf(trace_path, sizeof trace_path, "/tmp/coscope-big-%d.jsonl",
             (int)getpid());
    snprintf(png, sizeof png, "/tmp/coscope-big-%d.png", (int)getpid());
    FILE *f = fopen(trace_path, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_OK(gen_trace(f, 300000, 42, 200));
    ASSERT_OK(fclose(f));

    tr_trace *tr = NULL;
    ASSERT_OK(tr_load(trace_path, NULL, &tr));
    int64_t dur = tr_head(tr)->duration;
    ASSERT_CMP(tr_nevents(tr), >, 299000); /* N lines, less header / end */
    tr_free(tr);

    const int64_t windows[] = {dur, dur / 100, dur / 10000};
    for (int i = 0; i < 3; i++) {
        char at[32], win[32];
        snprintf(at, sizeof at, "%lldns", (long long)(dur / 2));
        snprintf(win, sizeof win, "%lldns", (long long)windows[i]);
        const char *argv[] = {"view", trace_path, "--screenshot", png,
                              "--at", at, "--window", win,
                              "--size", "1280x720"};
        unlink(png);
        ASSERT_EQ(quiet_view(10, argv), 0);
        SDL_Surface *s = IMG_Load(png);
        ASSERT_NOT_NULL(s);
        ASSERT_EQ(s->w, 1280);
        ASSERT_EQ(s->h, 720);
        long n = coloured_pixels(s);
        fprintf(stderr, "window %s: %ld coloured samples\n", win, n);
        ASSERT_CMP(n, >, 1000);
        SDL_FreeSurface(s);
    }
    unlink(png);
    unlink(trace_path);
}

static const test_case cases[] = {
    {"zooms", test_zooms},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
