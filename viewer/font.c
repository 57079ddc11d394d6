/* font.c: finding and opening DejaVu Sans. fontconfig knows where the
 * distribution put it; the Debian path is the fallback when fc-match is not
 * installed. Three faces: normal and bold at 13 px, small at 12 px. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vw_sdl.h"

static const char debian_path[] =
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

int vw__font_find(char *path, size_t n, char *err, size_t errn)
{
    const char *env = getenv("COSCOPE_FONT");
    if (env && access(env, R_OK) == 0) {
        snprintf(path, n, "%s", env);
        return 0;
    }
    FILE *p = popen("fc-match -f '%{file}' 'DejaVu Sans' 2>/dev/null", "r");
    if (p) {
        char buf[512] = "";
        size_t k = fread(buf, 1, sizeof buf - 1, p);
        buf[k] = '\0';
        pclose(p);
        /* fc-match always answers something; insist on DejaVu Sans itself */
        if (k > 0 && strstr(buf, "DejaVuSans") && access(buf, R_OK) == 0) {
            snprintf(path, n, "%s", buf);
            return 0;
        }
    }
    if (access(debian_path, R_OK) == 0) {
        snprintf(path, n, "%s", debian_path);
        return 0;
    }
    snprintf(err, errn,
             "coscope: font DejaVu Sans not found (fc-match 'DejaVu Sans' and "
             "%s); install fonts-dejavu-core or set COSCOPE_FONT=/path.ttf",
             debian_path);
    return -1;
}

int vw__fonts_open(vw_fonts *f, double scale, char *err, size_t errn)
{
    memset(f, 0, sizeof *f);
    if (vw__font_find(f->path, sizeof f->path, err, errn) != 0)
        return -1;
    const int sizes[VW_FONT__COUNT] = {(int)(VW_FONT_PX * scale + 0.5),
                                       (int)(VW_FONT_PX * scale + 0.5),
                                       (int)(VW_FONT_SMALL_PX * scale + 0.5)};
    for (int i = 0; i < VW_FONT__COUNT; i++) {
        f->f[i] = TTF_OpenFont(f->path, sizes[i]);
        if (!f->f[i]) {
            snprintf(err, errn, "coscope: cannot open font %s: %s", f->path,
                     TTF_GetError());
            vw__fonts_close(f);
            return -1;
        }
        TTF_SetFontHinting(f->f[i], TTF_HINTING_LIGHT);
    }
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
    }
}

int vw__fonts_text_w(void *ctx, int font, const char *s)
{
    vw_fonts *f = ctx;
    int w = 0, h = 0;
    if (font < 0 || font >= VW_FONT__COUNT || !s || !*s)
        return 0;
    if (TTF_SizeUTF8(f->f[font], s, &w, &h) != 0)
        return 0;
    return w;
}

void vw__fonts_measure(vw_fonts *f, vw_measure *ms)
{
    ms->text_w = vw__fonts_text_w;
    ms->ctx = f;
    ms->line_h = f->line_h;
}
