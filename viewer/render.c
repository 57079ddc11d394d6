/* render.c: executes a draw list with an SDL_Renderer. Text is rendered
 * once per (font, string) as a white texture and tinted with a colour mod,
 * then kept in a small hash cache; the cache is flushed wholesale when it
 * grows past its budget, which only happens while scrolling through text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vw_sdl.h"

enum { CACHE_SLOTS = 8192, CACHE_MAX = 4096 };

typedef struct text_entry {
    uint64_t hash;
    char *s;
    uint8_t font;
    SDL_Texture *tex;
    int w, h;
} text_entry;

struct vw_renderer {
    SDL_Renderer *r;
    vw_fonts *fonts;
    text_entry *slots;
    size_t count;
};

int vw__renderer_new(SDL_Renderer *r, vw_fonts *f, vw_renderer **out)
{
    vw_renderer *rd = calloc(1, sizeof *rd);
    if (!rd)
        return -ENOMEM;
    rd->slots = calloc(CACHE_SLOTS, sizeof *rd->slots);
    if (!rd->slots) {
        free(rd);
        return -ENOMEM;
    }
    rd->r = r;
    rd->fonts = f;
    *out = rd;
    return 0;
}

static void cache_clear(vw_renderer *rd)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        text_entry *e = &rd->slots[i];
        if (e->s) {
            free(e->s);
            if (e->tex)
                SDL_DestroyTexture(e->tex);
        }
        memset(e, 0, sizeof *e);
    }
    rd->count = 0;
}

void vw__renderer_free(vw_renderer *rd)
{
    if (!rd)
        return;
    cache_clear(rd);
    free(rd->slots);
    free(rd);
}

size_t vw__renderer_cached(const vw_renderer *rd)
{
    return rd->count;
}

static uint64_t hash_of(int font, const char *s)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)font;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h | 1; /* 0 marks an empty slot */
}

/* s as white text, each run in the font that has its glyphs (font.c),
 * the runs side by side in one surface. */
static SDL_Surface *render_runs(vw_fonts *f, int font, const char *s)
{
    SDL_Color white = {255, 255, 255, 255};
    TTF_Font *ttf;
    size_t n = vw__fonts_run(f, font, s, &ttf);
    if (!s[n])
        return TTF_RenderUTF8_Blended(ttf, s, white);
    int w = vw__fonts_text_w(f, font, s), h = f->line_h;
    SDL_Surface *out =
        SDL_CreateRGBSurfaceWithFormat(0, w > 0 ? w : 1, h, 32,
                                       SDL_PIXELFORMAT_ARGB8888);
    if (!out)
        return NULL;
    char run[1024];
    int x = 0;
    while (*s) {
        n = vw__fonts_run(f, font, s, &ttf);
        size_t k = n < sizeof run ? n : sizeof run - 1;
        memcpy(run, s, k);
        run[k] = '\0';
        SDL_Surface *part = TTF_RenderUTF8_Blended(ttf, run, white);
        if (part) {
            /* the fallback's baseline on the UI font's */
            SDL_Rect dst = {x, TTF_FontAscent(f->f[font]) - TTF_FontAscent(ttf),
                            part->w, part->h};
            SDL_SetSurfaceBlendMode(part, SDL_BLENDMODE_NONE);
            SDL_BlitSurface(part, NULL, out, &dst);
            x += part->w;
            SDL_FreeSurface(part);
        }
        s += n;
    }
    return out;
}

static text_entry *text_get(vw_renderer *rd, int font, const char *s)
{
    uint64_t h = hash_of(font, s);
    size_t i = h & (CACHE_SLOTS - 1);
    for (;;) {
        text_entry *e = &rd->slots[i];
        if (!e->hash)
            break;
        if (e->hash == h && e->font == font && strcmp(e->s, s) == 0)
            return e;
        i = (i + 1) & (CACHE_SLOTS - 1);
    }
    if (rd->count >= CACHE_MAX) {
        cache_clear(rd);
        return text_get(rd, font, s);
    }
    SDL_Surface *surf = render_runs(rd->fonts, font, s);
    if (!surf)
        return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(rd->r, surf);
    int w = surf->w, hh = surf->h;
    SDL_FreeSurface(surf);
    char *copy = strdup(s);
    if (!tex || !copy) {
        if (tex)
            SDL_DestroyTexture(tex);
        free(copy);
        return NULL;
    }
    SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_BLEND);
    text_entry *e = &rd->slots[i];
    e->hash = h;
    e->s = copy;
    e->font = (uint8_t)font;
    e->tex = tex;
    e->w = w;
    e->h = hh;
    rd->count++;
    return e;
}

static void set_colour(SDL_Renderer *r, vw_rgba c)
{
    SDL_SetRenderDrawBlendMode(r, c.a == 255 ? SDL_BLENDMODE_NONE
                                             : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
}

void vw__render(vw_renderer *rd, const vw_drawlist *dl)
{
    SDL_Renderer *r = rd->r;
    SDL_RenderSetClipRect(r, NULL);
    for (size_t i = 0; i < dl->n; i++) {
        const vw_cmd *c = &dl->cmds[i];
        SDL_Rect rc = {c->x, c->y, c->w, c->h};
        switch (c->kind) {
        case VW_CMD_RECT:
            set_colour(r, c->c);
            SDL_RenderFillRect(r, &rc);
            break;
        case VW_CMD_FRAME:
            set_colour(r, c->c);
            SDL_RenderDrawRect(r, &rc);
            break;
        case VW_CMD_LINE:
            set_colour(r, c->c);
            SDL_RenderDrawLine(r, c->x, c->y, c->x + c->w, c->y + c->h);
            break;
        case VW_CMD_CLIP:
            SDL_RenderSetClipRect(r, c->w > 0 ? &rc : NULL);
            break;
        case VW_CMD_TEXT: {
            text_entry *e = text_get(rd, c->font, dl->text + c->text);
            if (!e)
                break;
            SDL_SetTextureColorMod(e->tex, c->c.r, c->c.g, c->c.b);
            SDL_SetTextureAlphaMod(e->tex, c->c.a);
            SDL_Rect dst = {c->x, c->y, e->w, e->h};
            SDL_RenderCopy(r, e->tex, NULL, &dst);
            break;
        }
        default:
            break;
        }
    }
    SDL_RenderSetClipRect(r, NULL);
}
