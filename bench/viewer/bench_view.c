/* bench/viewer/bench_view.c: frame time of the viewer, headless at
 * 1600x900 with the software renderer (the worst case: no GPU), for one
 * trace at three zooms — the whole trace, 1/100 and 1/10000 of it — plus
 * load time and peak RSS. `bench_view FILE [FRAMES]` or `bench_view --gen N`
 * (writes a synthetic N-event trace with bench/read's generator first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "gen.h"
#include "vw_sdl.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : NULL;
    int frames = 50;
    char gen_path[256];
    if (path && strcmp(path, "--gen") == 0) {
        unsigned long long n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
        snprintf(gen_path, sizeof gen_path, "/tmp/bench_view_%llu.jsonl", n);
        FILE *f = fopen(gen_path, "w");
        if (!f || gen_trace(f, n, 1, 100) != 0 || fclose(f) != 0) {
            perror(gen_path);
            return 1;
        }
        path = gen_path;
    } else if (argc > 2) {
        frames = atoi(argv[2]);
    }
    if (!path) {
        fprintf(stderr,
                "usage: bench_view FILE [FRAMES] | bench_view --gen N\n");
        return 2;
    }
    if (frames < 1)
        frames = 1;
    double t0 = now_ms();
    tr_trace *tr = NULL;
    tr_load_opts lo = TR_LOAD_OPTS_INIT;
    if (tr_load(path, &lo, &tr) != 0) {
        fprintf(stderr, "%s\n", tr_last_error());
        return 1;
    }
    double t1 = now_ms();
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    tr_analyze(tr, &ao);
    double t2 = now_ms();
    vw_model m;
    if (vw__model_init(&m, tr) != 0) {
        fprintf(stderr, "bench_view: out of memory\n");
        return 1;
    }
    double t3 = now_ms();
    fprintf(stderr, "trace: %s\n", path);
    printf("events: %zu events\n", tr_nevents(m.tr));
    printf("spans: %zu spans\n", tr_nspans(m.tr));
    printf("tasks: %zu tasks\n", m.ntasks);
    printf("stalls: %zu stalls\n", tr_nstalls(m.tr));
    printf("wakeups: %zu wakeups\n", tr_nwakeups(m.tr));
    printf("load_ms: %.1f ms\n", t1 - t0);
    printf("analyze_ms: %.1f ms\n", t2 - t1);
    printf("index_ms: %.1f ms\n", t3 - t2);
    printf("open_total_ms: %.1f ms\n", t3 - t0);

    char err[1024];
    SDL_Window *win;
    SDL_Renderer *r;
    vw_fonts fonts;
    vw_renderer *rd;
    if (vw__headless_open(1600, 900, &win, &r, err, sizeof err) != 0 ||
        TTF_Init() != 0 || vw__fonts_open(&fonts, 1.0, err, sizeof err) != 0 ||
        vw__renderer_new(r, &fonts, &rd) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    vw_measure ms;
    vw__fonts_measure(&fonts, &ms);
    vw_state st;
    vw__state_init(&st, &m, 1600, 900);
    vw_drawlist dl;
    vw__dl_init(&dl);
    static const struct {
        const char *name;
        double frac;
    } zooms[] = {{"whole", 1.0}, {"1/100", 0.01}, {"1/10000", 0.0001}};
    double *lay = malloc(frames * sizeof *lay),
           *tot = malloc(frames * sizeof *tot);
    int64_t dur = m.duration > 0 ? m.duration : 1;
    for (size_t z = 0; z < 3; z++) {
        int64_t w = (int64_t)(dur * zooms[z].frac);
        if (w < 100)
            w = 100;
        int64_t c = dur / 2;
        st.t0 = c - w / 2;
        st.t1 = st.t0 + w;
        vw__select(&st, &m, m.ntasks ? m.tasks[m.ntasks / 2].id : 0,
                   -1); /* arrows */
        size_t ncmds = 0;
        for (int f = -1; f < frames; f++) {
            /* the playhead moves each frame, as while playing */
            vw__set_playhead(&st, &m, st.t0 + w / 2 + (f + 1) * (w / 1000));
            double a = now_ms();
            vw__layout(&dl, &st, &m, &ms);
            double b = now_ms();
            vw__render(rd, &dl);
            SDL_RenderPresent(r);
            double e = now_ms();
            if (f >= 0) {
                lay[f] = b - a;
                tot[f] = e - a;
            }
            ncmds = dl.n;
        }
        qsort(lay, frames, sizeof *lay, cmp_d);
        qsort(tot, frames, sizeof *tot, cmp_d);
        printf("frame_%s_median: %.2f ms\n", zooms[z].name, tot[frames / 2]);
        printf("frame_%s_max: %.2f ms\n", zooms[z].name, tot[frames - 1]);
        printf("layout_%s_median: %.2f ms\n", zooms[z].name, lay[frames / 2]);
        printf("draw_cmds_%s: %zu cmds\n", zooms[z].name, ncmds);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss: %.1f MB\n", ru.ru_maxrss / 1024.0);
    free(lay);
    free(tot);
    vw__dl_close(&dl);
    vw__state_close(&st);
    vw__renderer_free(rd);
    vw__fonts_close(&fonts);
    TTF_Quit();
    SDL_DestroyRenderer(r);
    SDL_DestroyWindow(win);
    SDL_Quit();
    vw__model_close(&m);
    tr_free(tr);
    return 0;
}
