/* input.c: the one place SDL events become viewer actions. Key bindings
 * follow Perfetto for navigation (W/S/A/D, wheel, drag, f) and a debugger
 * for stepping (arrows, n/N, g); while a prompt is open, typed text goes to
 * the prompt instead. */
#include <string.h>

#include "vw_sdl.h"

static int key_action(const SDL_KeyboardEvent *k, const vw_state *st,
                      vw_action *a)
{
    int shift = (k->keysym.mod & KMOD_SHIFT) != 0;
    int ctrl = (k->keysym.mod & (KMOD_CTRL | KMOD_GUI)) != 0;
    SDL_Keycode sym = k->keysym.sym;
    if (st->prompt) {
        switch (sym) {
        case SDLK_BACKSPACE:
            a->kind = VW_A_PROMPT_BACK;
            return 1;
        case SDLK_RETURN:
        case SDLK_KP_ENTER:
            a->kind = VW_A_PROMPT_ACCEPT;
            return 1;
        case SDLK_ESCAPE:
            a->kind = VW_A_ESCAPE;
            return 1;
        default:
            return 0; /* the text arrives as SDL_TEXTINPUT */
        }
    }
    if (ctrl && sym != SDLK_q)
        return 0;
    switch (sym) {
    case SDLK_SPACE:
        a->kind = VW_A_PLAY_TOGGLE;
        break;
    case SDLK_LEFTBRACKET:
        a->kind = VW_A_SPEED_DOWN;
        break;
    case SDLK_RIGHTBRACKET:
        a->kind = VW_A_SPEED_UP;
        break;
    case SDLK_HOME:
        a->kind = VW_A_HOME;
        break;
    case SDLK_END:
        a->kind = VW_A_END;
        break;
    case SDLK_RIGHT:
        a->kind = shift ? VW_A_STEP_TASK_NEXT : VW_A_STEP_NEXT;
        break;
    case SDLK_LEFT:
        a->kind = shift ? VW_A_STEP_TASK_PREV : VW_A_STEP_PREV;
        break;
    case SDLK_n:
        a->kind = shift ? VW_A_STALL_PREV : VW_A_STALL_NEXT;
        break;
    case SDLK_g:
        a->kind = VW_A_GOTO;
        break;
    case SDLK_w:
        a->kind = VW_A_ZOOM_IN;
        break;
    case SDLK_s:
        a->kind = VW_A_ZOOM_OUT;
        break;
    case SDLK_a:
        a->kind = VW_A_PAN_LEFT;
        break;
    case SDLK_d:
        a->kind = VW_A_PAN_RIGHT;
        break;
    case SDLK_f:
        a->kind = VW_A_FIT;
        break;
    case SDLK_SLASH:
        a->kind = shift ? VW_A_HELP : VW_A_FILTER;
        break;
    case SDLK_QUESTION:
        a->kind = VW_A_HELP;
        break;
    case SDLK_c:
        a->kind = VW_A_COLLAPSE;
        break;
    case SDLK_UP:
        a->kind = VW_A_SELECT_UP;
        break;
    case SDLK_DOWN:
        a->kind = VW_A_SELECT_DOWN;
        break;
    case SDLK_PAGEUP:
        a->kind = VW_A_SCROLL;
        a->amount = -10;
        break;
    case SDLK_PAGEDOWN:
        a->kind = VW_A_SCROLL;
        a->amount = 10;
        break;
    case SDLK_ESCAPE:
        a->kind = VW_A_ESCAPE;
        break;
    case SDLK_q:
        a->kind = VW_A_QUIT;
        break;
    default:
        return 0;
    }
    return 1;
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
        vw__geom(&g, st->w, st->h);
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
