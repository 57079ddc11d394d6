/* vw_sdl.h: the viewer's SDL side — fonts, the renderer that executes a
 * draw list, the input translator and headless helpers. Only the files that
 * talk to SDL include this; layout and state never do. */
#ifndef VW_SDL_H
#define VW_SDL_H

#include <SDL.h>
#include <SDL_ttf.h>

#include "vw_int.h"

enum { VW_FALLBACKS = 4, VW_MISSES = 64 };
typedef struct vw_fallback {
    char path[512];
    TTF_Font *f[VW_FONT__COUNT];
} vw_fallback;

typedef struct vw_fonts {
    TTF_Font *f[VW_FONT__COUNT];
    int line_h;
    double scale;
    char path[512];      /* DejaVu Sans (or COSCOPE_FONT) */
    char bold_path[512]; /* DejaVuSans-Bold, else path (a synthetic bold) */
    vw_fallback fb[VW_FALLBACKS]; /* opened as characters need them */
    int nfb;
    uint32_t miss[VW_MISSES]; /* code points no installed font covers */
    int nmiss;
} vw_fonts;

/* Finds DejaVu Sans (COSCOPE_FONT, fontconfig, then the Debian path).
 * Returns 0 and the path, or -1 with a message in err. */
int vw__font_find(char *path, size_t n, char *err, size_t errn);
/* DejaVuSans-Bold's path through fontconfig (or the Debian path); 0 or -1. */
int vw__font_find_bold(char *path, size_t n);
/* A font file covering code point cp, by fontconfig's charsets; 0, or -1
 * when no installed font has it. */
int vw__font_fallback(uint32_t cp, char *path, size_t n);
/* The byte length of the run at s drawn with one font, and that font. */
size_t vw__fonts_run(vw_fonts *f, int font, const char *s, TTF_Font **ttf);
/* Opens the UI fonts at VW_FONT_PX / VW_FONT_SMALL_PX times scale (TTF_Init
 * must have succeeded). 0 or -1 + err. */
int vw__fonts_open(vw_fonts *f, double scale, char *err, size_t errn);
void vw__fonts_close(vw_fonts *f);
/* vw_measure.text_w over vw_fonts. */
int vw__fonts_text_w(void *ctx, int font, const char *s);
void vw__fonts_measure(vw_fonts *f, vw_measure *ms);

typedef struct vw_renderer vw_renderer;
/* A renderer drawing with r and f (both borrowed). 0 or -ENOMEM. */
int vw__renderer_new(SDL_Renderer *r, vw_fonts *f, vw_renderer **out);
void vw__renderer_free(vw_renderer *rd);
/* Executes the draw list (does not present). */
void vw__render(vw_renderer *rd, const vw_drawlist *dl);
/* Cached text textures (for tests and the bench). */
size_t vw__renderer_cached(const vw_renderer *rd);

/* Translates one SDL event into an action, given the state (a prompt takes
 * typed text). Returns 1 when *a holds an action, 0 for events that mean
 * nothing to the viewer. The only place that knows the key bindings. */
int vw__translate(const SDL_Event *e, const vw_state *st, vw_action *a);

/* Headless: an offscreen window of w x h with a software renderer.
 * Sets SDL_VIDEODRIVER=offscreen when unset; SDL_Init(VIDEO) must follow
 * this call's setenv, so it calls SDL_Init itself. 0 or -1 + err. */
int vw__headless_open(int w, int h, SDL_Window **win, SDL_Renderer **r,
                      char *err, size_t errn);
/* Reads the renderer's pixels back and writes a PNG. 0 or -1 + err. */
int vw__save_png(SDL_Renderer *r, int w, int h, const char *path, char *err,
                 size_t errn);
/* Reads back the pixel at x, y (for tests). */
int vw__read_pixel(SDL_Renderer *r, int x, int y, vw_rgba *out);

#endif
