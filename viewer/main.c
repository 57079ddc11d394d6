/* main.c: the `coscope-view FILE [options]` program, which `coscope view`
 * runs: the command line into a vw_view_opts (usage errors exit 2), the
 * file's name into the window title, then the library's vw_view_file. The
 * library never sees argv. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/viewer.h"
#include "coscope/tr_args.h"
#include "vw_int.h"

typedef struct opts {
    const char *file;
    vw_view_opts v;
    long hover_x, hover_y; /* as given: range-checked into v */
    const char *hover;     /* the --hover value as given, for messages */
} opts;

static void usage(FILE *f)
{
    fputs("usage: coscope view [--follow] FILE [options]\n"
          "Replays a coscope trace as per-task timelines in a window.\n"
          "\n"
          "options:\n"
          "  --follow              FILE is being written: show it as it "
          "grows, live\n"
          "                        at its end (l toggles live)\n"
          "  --screenshot OUT.png  render one frame headless and exit\n"
          "  --at TIME             put the playhead at TIME (1.25s, 300ms, "
          "40us, 500ns)\n"
          "                        (a bare number is ms, as for every command;\n"
          "                        default: start; for --screenshot: end)\n"
          "  --window TIME         visible width, centred at the playhead\n"
          "                        (default: the whole trace)\n"
          "  --size WxH            window / image size (default 1600x900)\n"
          "  --select TASK         select this task: its id, its name, or "
          "\"name (id)\"\n"
          "  --scale F             UI scale, 0.5 to 4 (default: the "
          "display's DPI / 96)\n"
          "  --cause N             select the N-th cause (as after n), its "
          "chain drawn\n"
          "  --hover X,Y           with --screenshot: the mouse at pixel X,Y "
          "of the\n"
          "                        image, so its hover tooltip is drawn\n"
          "  --help-overlay        with --screenshot: draw the key help (as "
          "after ?)\n"
          "  --help                this text\n"
          "\n"
          "keys:\n",
          f);
    vw_print_keys(f);
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

/* The option parsers: each takes the option's value v into o, or prints
 * the usage error and returns 2. */

static int opt_screenshot(opts *o, const char *a, const char *v)
{
    (void)a;
    o->v.screenshot = v;
    return 0;
}

/* --at and --window: durations as every command reads them. */
static int opt_time(opts *o, const char *a, const char *v)
{
    int64_t t;
    if (tr_parse_dur(v, &t) != 0) {
        fprintf(stderr,
                "coscope: %s: not a time: \"%s\" (try 1.25s, 300ms, "
                "40us, 500ns)\n",
                a, v);
        return 2;
    }
    if (strcmp(a, "--at") == 0) {
        o->v.at = t;
        o->v.has_at = 1;
    } else {
        o->v.window = t > 0 ? t : 0;
    }
    return 0;
}

static int opt_size(opts *o, const char *a, const char *v)
{
    (void)a;
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
    o->v.has_size = 1;
    return 0;
}

static int opt_scale(opts *o, const char *a, const char *v)
{
    (void)a;
    char *end;
    double k = strtod(v, &end);
    if (*end || end == v || !(k >= 0.5 && k <= 4)) {
        fprintf(stderr,
                "coscope: --scale: expected a UI scale from 0.5 to 4 "
                "(e.g. 2), got \"%s\"\n",
                v);
        return 2;
    }
    o->v.scale = k;
    return 0;
}

static int opt_cause(opts *o, const char *a, const char *v)
{
    (void)a;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < 1 || n > 1000000) {
        fprintf(stderr,
                "coscope: --cause: expected a rank from 1 (as `coscope "
                "stalls` lists them), got \"%s\"\n",
                v);
        return 2;
    }
    o->v.cause = (int)n;
    return 0;
}

/* --select: kept as given; the library reads it with tr_parse_task once the
 * trace is loaded (an id, a label or a name, as `coscope why` takes it). */
static int opt_select(opts *o, const char *a, const char *v)
{
    (void)a;
    if (v[0] == '\0') {
        fprintf(stderr, "coscope: --select: expected a task (an id, a name, "
                        "or \"name (id)\")\n");
        return 2;
    }
    o->v.select = v;
    return 0;
}

static int opt_hover(opts *o, const char *a, const char *v)
{
    (void)a;
    if (parse_point(v, &o->hover_x, &o->hover_y) != 0) {
        fprintf(stderr,
                "coscope: --hover: expected X,Y in pixels (e.g. "
                "700,150), got \"%s\"\n",
                v);
        return 2;
    }
    o->hover = v;
    o->v.has_hover = 1;
    return 0;
}

/* The options that take a value. */
static const struct {
    const char *name;
    int (*parse)(opts *o, const char *a, const char *v);
} options[] = {
    {"--screenshot", opt_screenshot}, {"--at", opt_time},
    {"--window", opt_time},           {"--size", opt_size},
    {"--scale", opt_scale},           {"--cause", opt_cause},
    {"--select", opt_select},         {"--hover", opt_hover},
};

/* One option with its value v: into o, or 2 with the usage error. */
static int parse_option(opts *o, const char *a, const char *v)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (strcmp(a, options[i].name) == 0)
            return options[i].parse(o, a, v);
    fprintf(stderr, "coscope: unknown option %s (see --help)\n", a);
    return 2;
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
        /* the options without a value */
        if (strcmp(a, "--help-overlay") == 0) {
            o->v.help_overlay = 1;
            continue;
        }
        if (strcmp(a, "--follow") == 0) {
            o->v.follow = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "coscope: %s needs a value (see --help)\n", a);
            return 2;
        }
        i++;
        int rc = parse_option(o, a, v);
        if (rc != 0)
            return rc;
    }
    if (!o->file) {
        fprintf(stderr, "coscope: view needs a trace FILE (see --help)\n");
        return 2;
    }
    return check_shot_opts(o);
}

int main(int argc, char **argv)
{
    opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc == 1)
        return 0; /* --help */
    if (rc != 0)
        return rc;
    return vw_view_file(o.file, &o.v);
}
