/* headless.c: rendering without a display — an offscreen window with the
 * software renderer, and reading its pixels back into a PNG. Used by
 * --screenshot, the tests and the frame-time bench. */
#include <stdio.h>
#include <stdlib.h>

#include <SDL_image.h>

#include "vw_sdl.h"

int vw__headless_open(int w, int h, SDL_Window **win, SDL_Renderer **r,
                      char *err, size_t errn)
{
    if (!getenv("SDL_VIDEODRIVER"))
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
    /* the window surface itself, not a GL texture emulating it: with no
     * GPU the emulation runs through llvmpipe and costs more than drawing */
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        snprintf(err, errn, "coscope: cannot start SDL video (%s): %s",
                 getenv("SDL_VIDEODRIVER"), SDL_GetError());
        return -1;
    }
    *win = SDL_CreateWindow("coscope", 0, 0, w, h, SDL_WINDOW_HIDDEN);
    if (!*win) {
        snprintf(err, errn, "coscope: cannot create a %dx%d window: %s", w, h,
                 SDL_GetError());
        return -1;
    }
    *r = SDL_CreateRenderer(*win, -1, SDL_RENDERER_SOFTWARE);
    if (!*r) {
        snprintf(err, errn, "coscope: no software renderer: %s",
                 SDL_GetError());
        SDL_DestroyWindow(*win);
        *win = NULL;
        return -1;
    }
    return 0;
}

int vw__save_png(SDL_Renderer *r, int w, int h, const char *path, char *err,
                 size_t errn)
{
    SDL_Surface *s =
        SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s) {
        snprintf(err, errn, "coscope: out of memory for a %dx%d image", w, h);
        return -1;
    }
    int rc = -1;
    if (SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels,
                             s->pitch) != 0) {
        snprintf(err, errn, "coscope: cannot read pixels back: %s",
                 SDL_GetError());
    } else if (IMG_SavePNG(s, path) != 0) {
        snprintf(err, errn, "coscope: cannot write %s: %s", path,
                 IMG_GetError());
    } else {
        rc = 0;
    }
    SDL_FreeSurface(s);
    return rc;
}

int vw__read_pixel(SDL_Renderer *r, int x, int y, vw_rgba *out)
{
    uint32_t px = 0;
    SDL_Rect rc = {x, y, 1, 1};
    if (SDL_RenderReadPixels(r, &rc, SDL_PIXELFORMAT_ARGB8888, &px, 4) != 0)
        return -1;
    out->a = (uint8_t)(px >> 24);
    out->r = (uint8_t)(px >> 16);
    out->g = (uint8_t)(px >> 8);
    out->b = (uint8_t)px;
    return 0;
}
