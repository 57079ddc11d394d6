/* font.c: the UI fonts, found through the fontconfig library: DejaVu Sans
 * regular and its real bold face (DejaVuSans-Bold, not SDL_ttf's smeared
 * style), and, for characters DejaVu lacks (a CJK task name), a fallback
 * font that fontconfig says covers the character (its FcCharSet). Three
 * faces: normal and bold at VW_FONT_PX, small at VW_FONT_SMALL_PX, times
 * the UI scale. Text is measured and drawn in runs of one font each. */
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vw_sdl.h"
#include "tr_format_int.h"

static const char debian_dir[] = "/usr/share/fonts/truetype/dejavu/";

/* The best font fontconfig has for pattern (and, when cp, one that covers
 * cp) into path. 0, or -1 when there is none that does. */
static int fc_lookup(const char *pattern, uint32_t cp, char *path, size_t n,
                     char *family, size_t fn)
{
    if (!FcInit())
        return -1;
    FcPattern *p = FcNameParse((const FcChar8 *)pattern);
    if (!p)
        return -1;
    FcCharSet *cs = NULL;
    if (cp) {
        cs = FcCharSetCreate();
        if (!cs || !FcCharSetAddChar(cs, cp) ||
            !FcPatternAddCharSet(p, FC_CHARSET, cs)) {
            if (cs)
                FcCharSetDestroy(cs);
            FcPatternDestroy(p);
            return -1;
        }
    }
    FcConfigSubstitute(NULL, p, FcMatchPattern);
    FcDefaultSubstitute(p);
    FcResult res;
    FcPattern *m = FcFontMatch(NULL, p, &res);
    int rc = -1;
    FcChar8 *file = NULL, *fam = NULL;
    FcCharSet *have = NULL;
    if (m && FcPatternGetString(m, FC_FILE, 0, &file) == FcResultMatch &&
        (!cp || (FcPatternGetCharSet(m, FC_CHARSET, 0, &have) ==
                     FcResultMatch &&
                 FcCharSetHasChar(have, cp))) &&
        access((const char *)file, R_OK) == 0) {
        snprintf(path, n, "%s", (const char *)file);
        if (family)
            snprintf(family, fn, "%s",
                     FcPatternGetString(m, FC_FAMILY, 0, &fam) ==
                             FcResultMatch
                         ? (const char *)fam
                         : "");
        rc = 0;
    }
    if (m)
        FcPatternDestroy(m);
    if (cs)
        FcCharSetDestroy(cs);
    FcPatternDestroy(p);
    return rc;
}

/* fontconfig always answers something; insist on the DejaVu file asked for
 * (file: "DejaVuSans.ttf" or "DejaVuSans-Bold.ttf"), else the Debian path. */
static int find_face(const char *pattern, const char *file, char *path,
                     size_t n)
{
    char got[512], fam[128];
    if (fc_lookup(pattern, 0, got, sizeof got, fam, sizeof fam) == 0) {
        const char *base = strrchr(got, '/');
        if (base && strcmp(base + 1, file) == 0) {
            snprintf(path, n, "%s", got);
            return 0;
        }
    }
    snprintf(got, sizeof got, "%s%s", debian_dir, file);
    if (access(got, R_OK) == 0) {
        snprintf(path, n, "%s", got);
        return 0;
    }
    return -1;
}

int vw__font_find(char *path, size_t n, char *err, size_t errn)
{
    const char *env = getenv("COSCOPE_FONT");
    if (env && access(env, R_OK) == 0) {
        snprintf(path, n, "%s", env);
        return 0;
    }
    if (find_face("DejaVu Sans:style=Book", "DejaVuSans.ttf", path, n) == 0)
        return 0;
    snprintf(err, errn,
             "coscope: font DejaVu Sans not found (fontconfig and %s); "
             "install fonts-dejavu-core or set COSCOPE_FONT=/path.ttf",
             debian_dir);
    return -1;
}

int vw__font_find_bold(char *path, size_t n)
{
    return find_face("DejaVu Sans:style=Bold", "DejaVuSans-Bold.ttf", path,
                     n);
}

int vw__font_fallback(uint32_t cp, char *path, size_t n)
{
    return fc_lookup("sans-serif", cp, path, n, NULL, 0);
}

static const int *sizes_of(const vw_fonts *f, int sizes[VW_FONT__COUNT])
{
    sizes[VW_FONT_NORMAL] = sizes[VW_FONT_BOLD] =
        (int)(VW_FONT_PX * f->scale + 0.5);
    sizes[VW_FONT_SMALL] = (int)(VW_FONT_SMALL_PX * f->scale + 0.5);
    return sizes;
}

int vw__fonts_open(vw_fonts *f, double scale, char *err, size_t errn)
{
    memset(f, 0, sizeof *f);
    f->scale = scale;
    if (vw__font_find(f->path, sizeof f->path, err, errn) != 0)
        return -1;
    /* no bold face (COSCOPE_FONT, or a DejaVu without it): SDL_ttf's style */
    int real_bold = !getenv("COSCOPE_FONT") &&
                    vw__font_find_bold(f->bold_path, sizeof f->bold_path) == 0;
    if (!real_bold)
        snprintf(f->bold_path, sizeof f->bold_path, "%s", f->path);
    int sizes[VW_FONT__COUNT];
    sizes_of(f, sizes);
    for (int i = 0; i < VW_FONT__COUNT; i++) {
        const char *p = i == VW_FONT_BOLD ? f->bold_path : f->path;
        f->f[i] = TTF_OpenFont(p, sizes[i]);
        if (!f->f[i]) {
            snprintf(err, errn, "coscope: cannot open font %s: %s", p,
                     TTF_GetError());
            vw__fonts_close(f);
            return -1;
        }
        TTF_SetFontHinting(f->f[i], TTF_HINTING_LIGHT);
    }
    if (!real_bold)
        TTF_SetFontStyle(f->f[VW_FONT_BOLD], TTF_STYLE_BOLD);
    f->line_h = TTF_FontHeight(f->f[VW_FONT_NORMAL]);
    return 0;
}

void vw__fonts_close(vw_fonts *f)
{
    if (!f)
        return;
    for (int i = 0; i < VW_FONT__COUNT; i++) {
        if (f->f[i])
            TTF_CloseFont(f->f[i]);
        f->f[i] = NULL;
        for (int k = 0; k < f->nfb; k++) {
            if (f->fb[k].f[i])
                TTF_CloseFont(f->fb[k].f[i]);
            f->fb[k].f[i] = NULL;
        }
    }
    f->nfb = 0;
    /* fontconfig's configuration and caches, loaded by the lookups: freed
     * with the fonts, so that nothing of it outlives the window */
    FcFini();
}

/* One code point from s (each byte that does not start valid UTF-8 is one
 * U+FFFD); its length. Validity is the format layer's strict check; 4 bytes
 * are safe to offer it: it stops at the first non-continuation (the NUL). */
static int utf8_next(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = tr__utf8_len(s, 4);
    if (len == 0) {
        *cp = 0xfffd;
        return 1;
    }
    uint32_t c = len == 1 ? u[0] : u[0] & (0x7fu >> len);
    for (size_t i = 1; i < len; i++)
        c = c << 6 | (u[i] & 0x3f);
    *cp = c;
    return (int)len;
}

/* The font that draws cp in face `font`: the UI font when it has the glyph,
 * else a fallback (looked up once per file, opened at the face's size),
 * else the UI font (its box). */
static TTF_Font *font_for(vw_fonts *f, int font, uint32_t cp)
{
    if (cp < 0x80 || TTF_GlyphIsProvided32(f->f[font], cp))
        return f->f[font];
    for (int k = 0; k < f->nfb; k++)
        if (f->fb[k].f[font] && TTF_GlyphIsProvided32(f->fb[k].f[font], cp))
            return f->fb[k].f[font];
    for (int k = 0; k < f->nmiss; k++)
        if (f->miss[k] == cp)
            return f->f[font];
    char path[512];
    if (f->nfb >= VW_FALLBACKS || vw__font_fallback(cp, path, sizeof path)) {
        if (f->nmiss < VW_MISSES)
            f->miss[f->nmiss++] = cp;
        return f->f[font];
    }
    for (int k = 0; k < f->nfb; k++)
        if (strcmp(f->fb[k].path, path) == 0)
            return f->f[font]; /* that file did not have it after all */
    int sizes[VW_FONT__COUNT];
    sizes_of(f, sizes);
    vw_fallback *fb = &f->fb[f->nfb];
    snprintf(fb->path, sizeof fb->path, "%s", path);
    for (int i = 0; i < VW_FONT__COUNT; i++)
        fb->f[i] = TTF_OpenFont(path, sizes[i]);
    f->nfb++;
    return fb->f[font] ? fb->f[font] : f->f[font];
}

size_t vw__fonts_run(vw_fonts *f, int font, const char *s, TTF_Font **ttf)
{
    uint32_t cp;
    size_t i = (size_t)utf8_next(s, &cp);
    *ttf = font_for(f, font, cp);
    while (s[i]) {
        int k = utf8_next(s + i, &cp);
        if (font_for(f, font, cp) != *ttf)
            break;
        i += (size_t)k;
    }
    return i;
}

int vw__fonts_text_w(void *ctx, int font, const char *s)
{
    vw_fonts *f = ctx;
    if (font < 0 || font >= VW_FONT__COUNT || !s || !*s)
        return 0;
    int total = 0;
    char run[1024];
    while (*s) {
        TTF_Font *ttf;
        size_t n = vw__fonts_run(f, font, s, &ttf);
        size_t k = n < sizeof run ? n : sizeof run - 1;
        memcpy(run, s, k);
        run[k] = '\0';
        int w = 0, h = 0;
        if (TTF_SizeUTF8(ttf, run, &w, &h) == 0)
            total += w;
        s += n;
    }
    return total;
}

void vw__fonts_measure(vw_fonts *f, vw_measure *ms)
{
    ms->text_w = vw__fonts_text_w;
    ms->ctx = f;
    ms->line_h = f->line_h;
}
