/* input.c: the one place SDL events become viewer actions, and the one
 * table of key bindings. They follow Perfetto for navigation (W/S/A/D,
 * wheel, drag, f) and a debugger for stepping (arrows, n/N, g); while a
 * prompt is open, typed text goes to the prompt instead. */
#include <stdio.h>
#include <string.h>

#include "vw_sdl.h"

/* The key bindings: the translator below and the help (the ? overlay and
 * --help, through vw__help_row) read this one table. A row whose label
 * repeats the one above shares its help line; key 0 rows are mouse
 * bindings, listed for the help only; label NULL rows are not listed. */
const vw_key vw__keymap[] = {
    {SDLK_SPACE, 0, 0, VW_A_PLAY_TOGGLE, 0, "Space", "play / pause the replay"},
    {SDLK_LEFTBRACKET, 0, 0, VW_A_SPEED_DOWN, 0, "[  ]",
     "slower / faster (0.001x .. 1000x real time)"},
    {SDLK_RIGHTBRACKET, 0, 0, VW_A_SPEED_UP, 0, "[  ]", NULL},
    {SDLK_HOME, 0, 0, VW_A_HOME, 0, "Home  End", "playhead to the start / end"},
    {SDLK_END, 0, 0, VW_A_END, 0, "Home  End", NULL},
    {SDLK_l, 0, 0, VW_A_LIVE, 0, "l",
     "live: hold the playhead at the end of a trace being written"},
    {SDLK_LEFT, 0, 0, VW_A_STEP_PREV, 0, "Left  Right", "previous / next event"},
    {SDLK_RIGHT, 0, 0, VW_A_STEP_NEXT, 0, "Left  Right", NULL},
    {SDLK_LEFT, VW_MOD_SHIFT, 0, VW_A_STEP_TASK_PREV, 0, "Shift+Left/Right",
     "previous / next event of the selected task"},
    {SDLK_RIGHT, VW_MOD_SHIFT, 0, VW_A_STEP_TASK_NEXT, 0, "Shift+Left/Right",
     NULL},
    {SDLK_n, 0, 0, VW_A_STALL_NEXT, 0, "n  N",
     "next / previous cause, by rank (no causes: stall)"},
    {SDLK_n, VW_MOD_SHIFT, 0, VW_A_STALL_PREV, 0, "n  N", NULL},
    {SDLK_g, 0, 0, VW_A_GOTO, 0, "g", "go to a time (1.25s, 300ms, 40us, 500ns)"},
    {SDLK_w, 0, 0, VW_A_ZOOM_IN, 0, "W  S", "zoom in / out"},
    {SDLK_s, 0, 0, VW_A_ZOOM_OUT, 0, "W  S", NULL},
    {SDLK_a, 0, 0, VW_A_PAN_LEFT, 0, "A  D", "pan left / right"},
    {SDLK_d, 0, 0, VW_A_PAN_RIGHT, 0, "A  D", NULL},
    {0, 0, 0, VW_A_ZOOM_AT, 0, "wheel",
     "zoom at the cursor (over labels: scroll lanes)"},
    {0, 0, 0, VW_A_MOUSE_DOWN, 0, "drag",
     "pan; on the ruler: scrub; on the labels' edge: resize them"},
    {SDLK_f, 0, 0, VW_A_FIT, 0, "f", "fit the selection, or the whole trace"},
    {0, 0, 0, VW_A_MOUSE_DOWN, 0, "Shift+drag",
     "select a time range: its figures in the panel (Esc clears)"},
    {0, 0, 0, VW_A_MOUSE_UP, 0, "click",
     "select a span (label: select task; triangle: collapse)"},
    {SDLK_UP, 0, 0, VW_A_SELECT_UP, 0, "Up  Down",
     "select the previous / next task"},
    {SDLK_DOWN, 0, 0, VW_A_SELECT_DOWN, 0, "Up  Down", NULL},
    {SDLK_c, 0, 0, VW_A_COLLAPSE, 0, "c",
     "collapse / expand the selected task's children"},
    {SDLK_c, VW_MOD_CTRL, 0, VW_A_COPY, 0, "Ctrl+C",
     "copy the selected stall, span or event as text"},
    {SDLK_r, VW_MOD_CTRL, 0, VW_A_COPY_REPLAY, 0, "Ctrl+R",
     "copy the command that replays the run and stops at the current event"},
    {SDLK_o, VW_MOD_CTRL, 0, VW_A_OPEN, 0, "Ctrl+O",
     "open another trace: type its path (or drop a file here)"},
    {SDLK_PAGEUP, 0, 0, VW_A_SCROLL, -10, "PgUp  PgDn", "scroll the lanes"},
    {SDLK_PAGEDOWN, 0, 0, VW_A_SCROLL, 10, "PgUp  PgDn", NULL},
    {SDLK_SLASH, 0, 0, VW_A_FILTER, 0, "/",
     "filter tasks by name (Enter keeps it, Esc clears)"},
    {SDLK_ESCAPE, 0, 0, VW_A_ESCAPE, 0, "Esc",
     "close prompt or help, clear the selection"},
    {SDLK_QUESTION, 0, 0, VW_A_HELP, 0, "?", "show / hide this help"},
    {SDLK_SLASH, VW_MOD_SHIFT, 0, VW_A_HELP, 0, "?", NULL},
    {SDLK_q, 0, 0, VW_A_QUIT, 0, "q", "quit"},
    {SDLK_q, VW_MOD_CTRL, 0, VW_A_QUIT, 0, "q", NULL},
    /* while a prompt is open (typed text arrives as SDL_TEXTINPUT) */
    {SDLK_BACKSPACE, 0, 1, VW_A_PROMPT_BACK, 0, NULL, NULL},
    {SDLK_RETURN, 0, 1, VW_A_PROMPT_ACCEPT, 0, NULL, NULL},
    {SDLK_KP_ENTER, 0, 1, VW_A_PROMPT_ACCEPT, 0, NULL, NULL},
    {SDLK_ESCAPE, 0, 1, VW_A_ESCAPE, 0, NULL, NULL},
    {0, 0, 0, 0, 0, NULL, NULL},
};

static const vw_key *end_of_keys(void)
{
    const vw_key *k = vw__keymap;
    while (k->key || k->label)
        k++;
    return k;
}

/* The row for sym with exactly these modifiers, or with none when only
 * Shift is held (W and w both zoom). Ctrl or GUI held needs a Ctrl row. */
static const vw_key *find_key(SDL_Keycode sym, int mods, int prompt)
{
    const vw_key *end = end_of_keys();
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && (mods & VW_MOD_CTRL))
            break;
        int want = pass == 0 ? mods : 0;
        for (const vw_key *k = vw__keymap; k < end; k++)
            if (k->key && k->key == sym && k->mods == want &&
                k->in_prompt == prompt)
                return k;
    }
    return NULL;
}

static int key_action(const SDL_KeyboardEvent *k, const vw_state *st,
                      vw_action *a)
{
    int mods = ((k->keysym.mod & KMOD_SHIFT) ? VW_MOD_SHIFT : 0) |
               ((k->keysym.mod & (KMOD_CTRL | KMOD_GUI)) ? VW_MOD_CTRL : 0);
    const vw_key *row = find_key(k->keysym.sym, mods, st->prompt != 0);
    if (!row)
        return 0;
    a->kind = row->action;
    a->amount = row->amount;
    return 1;
}

size_t vw__help_rows(void)
{
    size_t n = 0;
    const char *label;
    while (vw__help_row(n, &label, NULL))
        n++;
    return n;
}

int vw__help_row(size_t i, const char **label, const char **help)
{
    const char *prev = NULL;
    for (const vw_key *k = vw__keymap; k->key || k->label; k++) {
        if (!k->label || (prev && strcmp(prev, k->label) == 0))
            continue;
        prev = k->label;
        if (i-- == 0) {
            *label = k->label;
            if (help)
                *help = k->help;
            return 1;
        }
    }
    return 0;
}

void vw_print_keys(FILE *f)
{
    const char *label, *help;
    for (size_t i = 0; vw__help_row(i, &label, &help); i++)
        fprintf(f, "  %-18s %s\n", label, help);
}

int vw__translate(const SDL_Event *e, const vw_state *st, vw_action *a)
{
    memset(a, 0, sizeof *a);
    switch (e->type) {
    case SDL_QUIT:
        a->kind = VW_A_QUIT;
        return 1;
    case SDL_KEYDOWN:
        return key_action(&e->key, st, a);
    case SDL_DROPFILE: /* the caller frees e->drop.file after the apply */
        if (!e->drop.file)
            return 0;
        a->kind = VW_A_DROP;
        a->path = e->drop.file;
        return 1;
    case SDL_TEXTINPUT:
        if (!st->prompt)
            return 0;
        a->kind = VW_A_PROMPT_TEXT;
        memcpy(a->text, e->text.text,
               sizeof a->text < sizeof e->text.text ? sizeof a->text - 1
                                                    : sizeof e->text.text - 1);
        return 1;
    case SDL_MOUSEBUTTONDOWN:
        if (e->button.button != SDL_BUTTON_LEFT)
            return 0;
        a->kind = VW_A_MOUSE_DOWN;
        a->x = e->button.x;
        a->y = e->button.y;
        a->amount = (SDL_GetModState() & KMOD_SHIFT) ? 1 : 0;
        return 1;
    case SDL_MOUSEBUTTONUP:
        if (e->button.button != SDL_BUTTON_LEFT)
            return 0;
        a->kind = VW_A_MOUSE_UP;
        a->x = e->button.x;
        a->y = e->button.y;
        return 1;
    case SDL_MOUSEMOTION:
        a->kind = VW_A_MOUSE_MOVE;
        a->x = e->motion.x;
        a->y = e->motion.y;
        return 1;
    case SDL_MOUSEWHEEL: {
        double dy = e->wheel.y;
        if (e->wheel.direction == SDL_MOUSEWHEEL_FLIPPED)
            dy = -dy;
        if (dy == 0)
            return 0;
        vw_geom g;
        vw__geom_st(&g, st);
        SDL_Keymod mod = SDL_GetModState();
        if ((st->mouse_x >= 0 && st->mouse_x < g.tl_x) ||
            (mod & (KMOD_SHIFT | KMOD_CTRL))) {
            a->kind = VW_A_SCROLL;
            a->amount = -dy * 3;
        } else {
            a->kind = VW_A_ZOOM_AT;
            a->x = st->mouse_x >= 0 ? st->mouse_x : g.tl_x + g.tl_w / 2;
            a->amount = dy;
        }
        return 1;
    }
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            a->kind = VW_A_RESIZE;
            a->x = e->window.data1;
            a->y = e->window.data2;
            return 1;
        }
        if (e->window.event == SDL_WINDOWEVENT_LEAVE) {
            a->kind = VW_A_MOUSE_LEAVE;
            return 1;
        }
        return 0;
    default:
        return 0;
    }
}
