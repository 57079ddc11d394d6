/* tests/fuzz/fuzz_view.c: libFuzzer target for the viewer, headless and
 * without a window: trace -> model -> view state -> random actions ->
 * layout, at several window sizes. An input is a trace, optionally followed
 * by a NUL byte and an action script (4 bytes an action, see run_script);
 * an input without a NUL gets a fixed script that zooms, pans, drags,
 * scrubs, plays and steps over the whole trace, so every trace of the seed
 * corpus is driven through the viewer too. Nothing may crash, leak or hit
 * undefined behaviour, and the view state must stay sane after every
 * action (checked below); the same trace is also followed as it would be
 * while being written (run_follow). tests/viewer's test_view_corpus
 * replays the corpus through this same function. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coscope/trace.h"
#include "vw_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Text is measured as 7 px a byte, like the layout tests: no fonts here. */
static int fake_text_w(void *ctx, int font, const char *s)
{
    (void)ctx;
    return (font == VW_FONT_SMALL ? 6 : 7) * (int)strlen(s);
}

static const vw_measure MEASURE = {fake_text_w, NULL, 15};

/* The fixed script for inputs without one: every navigation action, with
 * wheel amounts, drags and ticks large enough to hit the window's limits. */
static const uint8_t default_script[] = {
    VW_A_END,         0,    0,    0,   VW_A_ZOOM_IN,   0,    0,    0,
    VW_A_ZOOM_IN,     0,    0,    0,   VW_A_PAN_RIGHT, 0,    0,    0,
    VW_A_PAN_RIGHT,   0,    0,    0,   VW_A_ZOOM_AT,   0x7f, 0xff, 0x7f,
    VW_A_ZOOM_AT,     0x80, 0x00, 0x10, VW_A_ZOOM_OUT,  0,    0,    0,
    VW_A_HOME,        0,    0,    0,   VW_A_PAN_LEFT,  0,    0,    0,
    VW_A_MOUSE_DOWN + VW_A__COUNT, 0x02, 0x00, 0x80, VW_A_MOUSE_MOVE, 0xff, 0xff, 0x80,
    VW_A_MOUSE_UP,    0xff, 0xff, 0x80, VW_A_MOUSE_DOWN, 0x02, 0x00, 0x20,
    VW_A_MOUSE_MOVE,  0x00, 0x10, 0x20, VW_A_MOUSE_UP,   0x00, 0x10, 0x20,
    VW_A_PLAY_TOGGLE, 0,    0,    0,   VW_A_SPEED_UP,  0,    0,    0,
    VW_A_TICK,        0,    0,    70,  VW_A_TICK,      0,    0,    40,
    VW_A_STALL_NEXT,  0,    0,    0,   VW_A_STALL_PREV, 0,   0,    0,
    VW_A_STEP_NEXT,   0,    0,    0,   VW_A_SELECT_DOWN, 0,  0,    0,
    VW_A_SELECT_DOWN, 0,    0,    0,   VW_A_FIT,       0,    0,    0,
    VW_A_STEP_TASK_NEXT, 0, 0,    0,   VW_A_MOUSE_MOVE, 0x03, 0x00, 0x90,
    VW_A_COLLAPSE,    0,    0,    0,   VW_A_RESIZE,    0x01, 0x00, 0x02,
    VW_A_ZOOM_AT,     0x7f, 0x7f, 0x7f, VW_A_MOUSE_DOWN, 0x00, 0x30, 0x04,
    VW_A_MOUSE_MOVE,  0xff, 0x00, 0x04, VW_A_MOUSE_UP,   0xff, 0x00, 0x04,
    VW_A_HELP,        0,    0,    0,   VW_A_END,       0,    0,    0,
};

/* What a prompt may be typed: times good, odd and out of range. */
static const char *const prompt_text[] = {
    "1", "ms", "s", ".", "5", "e", "9", "#", "a", "-", "inf", "nan",
    "99999999999999999999s", "1e308", "\xc2\xb5s", "\xff", "/",
};

/* Checks that must hold after every action: a sane window and cursor. */
static void check_state(const vw_state *st, const vw_model *m)
{
    if (st->t1 <= st->t0 || st->playhead < 0 ||
        st->playhead > (st->duration > 0 ? st->duration : 0) ||
        st->cursor < -1 || st->cursor >= (long)tr_nevents(m->tr) ||
        (st->sel_span >= 0 && (size_t)st->sel_span >= tr_nspans(m->tr)) ||
        (st->sel_stall >= 0 && (size_t)st->sel_stall >= tr_nstalls(m->tr)) ||
        (st->sel_cause >= 0 && (size_t)st->sel_cause >= tr_ncauses(m->tr)) ||
        st->scroll < 0 || (size_t)st->scroll > st->nlanes) {
        fprintf(stderr,
                "fuzz_view: bad state: window %lld..%lld playhead %lld "
                "cursor %ld span %ld stall %ld scroll %d of %zu lanes\n",
                (long long)st->t0, (long long)st->t1, (long long)st->playhead,
                st->cursor, st->sel_span, st->sel_stall, st->scroll,
                st->nlanes);
        abort();
    }
}

static void decode(const uint8_t *p, const vw_state *st, vw_action *a)
{
    memset(a, 0, sizeof *a);
    a->kind = p[0] % VW_A__COUNT;
    int xy = p[1] << 8 | p[2];
    /* positions reach a little outside the window on every side */
    a->x = xy % (st->w + 64) - 32;
    a->y = p[3] * (st->h + 32) / 256 - 16;
    switch (a->kind) {
    case VW_A_MOUSE_DOWN: /* the kind byte's high bits: Shift (a range) */
        a->amount = (p[0] / VW_A__COUNT) & 1;
        break;
    case VW_A_ZOOM_AT:
        a->amount = (double)(int8_t)p[1] / 4.0; /* up to 1.2^32 at once */
        break;
    case VW_A_SCROLL:
        a->amount = (int8_t)p[2];
        break;
    case VW_A_TICK:
        a->amount = ldexp(1.0, p[3] % 80); /* up to 2^79 real ns */
        break;
    case VW_A_RESIZE:
        a->x = xy % 4096;
        a->y = p[3] * 8;
        break;
    case VW_A_PROMPT_TEXT:
        snprintf(a->text, sizeof a->text, "%s",
                 prompt_text[p[1] % (sizeof prompt_text / sizeof *prompt_text)]);
        break;
    default:
        break;
    }
}

static void run_script(vw_model *m, int w, int h, const vw_view_opts *o,
                       const uint8_t *script, size_t n, vw_drawlist *dl)
{
    vw_state st;
    if (vw__state_init(&st, m, w, h) != 0)
        abort();
    vw__state_place(&st, m, o, o->screenshot != NULL);
    check_state(&st, m);
    vw__layout(dl, &st, m, &MEASURE);
    for (size_t i = 0; i + 4 <= n && !st.quit; i += 4) {
        vw_action a;
        decode(script + i, &st, &a);
        vw__apply(&st, m, &a);
        check_state(&st, m);
        if (st.dirty) {
            st.dirty = 0;
            vw__layout(dl, &st, m, &MEASURE);
            if (dl->oom)
                abort();
        }
    }
    vw__state_close(&st);
}

/* Options as the command line would give them, from the trace's own times:
 * the playhead and window near the ends of its range. */
static void options_for(const vw_model *m, unsigned k, vw_view_opts *o)
{
    *o = (vw_view_opts)VW_VIEW_OPTS_INIT;
    if (k == 1) {
        o->has_at = 1;
        o->at = m->duration;
        o->window = 3000;
        o->screenshot = "x.png"; /* only read as "headless" */
    } else if (k == 2) {
        o->has_at = 1;
        o->at = 1000000;
        o->window = INT64_MAX;
        static char sel[16]; /* as the command line gives it */
        snprintf(sel, sizeof sel, "%u", m->ntasks ? m->tasks[m->ntasks - 1].id : 1);
        o->select = sel;
        o->cause = 1; /* the first cause, its chain drawn */
    }
}

/* The follow path (coscope view --follow): the trace appended in six
 * pieces to a memory file that a vw_follower polls after each, part of the
 * script applied between polls, the state checked after every poll and
 * action. A trace the reader refuses still goes through: the follow stops
 * at its bad line and what came before it stays on screen. */
static void run_follow(const uint8_t *data, size_t tlen, const uint8_t *script, size_t n,
                       vw_drawlist *dl)
{
    int fd = memfd_create("fuzz_view", 0);
    if (fd < 0)
        return;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    vw_follower fw;
    memset(&fw, 0, sizeof fw);
    vw_state st;
    int have_state = 0;
    size_t at = 0, si = 0;
    if (tr_follow_open(path, &fw.f) != 0)
        abort();
    for (size_t k = 1; k <= 6; k++) {
        size_t to = tlen * k / 6;
        if (to > at && write(fd, data + at, to - at) != (ssize_t)(to - at))
            abort();
        at = to;
        if (vw__follow_step(&fw, have_state ? &st : NULL) == -ENOMEM)
            abort();
        if (!fw.have_model)
            continue;
        if (!have_state) {
            if (vw__state_init(&st, &fw.m, 800, 400) != 0)
                abort();
            have_state = 1;
            st.follow = VW_FOLLOW_GROWING;
            vw__live(&st, &fw.m, 1);
        }
        check_state(&st, &fw.m);
        vw__layout(dl, &st, &fw.m, &MEASURE);
        for (int j = 0; j < 8 && si + 4 <= n && !st.quit; j++, si += 4) {
            vw_action a;
            decode(script + si, &st, &a);
            vw__apply(&st, &fw.m, &a);
            check_state(&st, &fw.m);
            if (st.dirty) {
                st.dirty = 0;
                vw__layout(dl, &st, &fw.m, &MEASURE);
            }
        }
        if (dl->oom)
            abort();
    }
    if (have_state)
        vw__state_close(&st);
    vw__follow_close(&fw);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = size ? memchr(data, 0, size) : NULL;
    size_t tlen = nul ? (size_t)(nul - data) : size;
    const uint8_t *script = nul ? nul + 1 : default_script;
    size_t slen = nul ? size - tlen - 1 : sizeof default_script;
    if (slen > 4 * 256)
        slen = 4 * 256; /* a run stays short; longer scripts add nothing */
    vw_drawlist dl;
    vw__dl_init(&dl);
    run_follow(data, tlen, script, slen, &dl);
    tr_trace *tr = NULL;
    tr_load_opts lo = TR_LOAD_OPTS_INIT;
    lo.threads = 1;
    if (tr_load_mem("fuzz.jsonl", (const char *)data, tlen, &lo, &tr) != 0) {
        vw__dl_close(&dl);
        return 0;
    }
    if (tr_analyze(tr, NULL) != 0)
        abort();
    vw_model m;
    if (vw__model_init(&m, tr) != 0)
        abort();
    /* big, small and a narrow strip: the geometry's branches */
    static const int sizes[][2] = {{1600, 900}, {480, 270}, {64, 64},
                                   {4000, 120}};
    for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        vw_view_opts o;
        options_for(&m, k % 3, &o);
        run_script(&m, sizes[k][0], sizes[k][1], &o, script, slen, &dl);
    }
    vw__dl_close(&dl);
    vw__model_close(&m);
    tr_free(tr);
    return 0;
}
