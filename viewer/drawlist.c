/* drawlist.c: the draw-command list that layout fills and the renderer (or
 * a test) reads. Text lives in one growing pool so a frame costs a couple of
 * reallocs at most, then none once the buffers have grown. */
#include <stdlib.h>
#include <string.h>

#include "vw_int.h"

void vw__dl_init(vw_drawlist *dl)
{
    memset(dl, 0, sizeof *dl);
}

void vw__dl_reset(vw_drawlist *dl)
{
    dl->n = 0;
    dl->tn = 0;
    dl->oom = 0;
}

void vw__dl_close(vw_drawlist *dl)
{
    if (!dl)
        return;
    free(dl->cmds);
    free(dl->text);
    memset(dl, 0, sizeof *dl);
}

static vw_cmd *push(vw_drawlist *dl, int kind, int role, int x, int y, int w,
                    int h, vw_rgba c)
{
    if (dl->oom)
        return NULL;
    if (dl->n == dl->cap) {
        size_t cap = dl->cap ? dl->cap * 2 : 1024;
        vw_cmd *p = realloc(dl->cmds, cap * sizeof *p);
        if (!p) {
            dl->oom = 1;
            return NULL;
        }
        dl->cmds = p;
        dl->cap = cap;
    }
    vw_cmd *cmd = &dl->cmds[dl->n++];
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = (uint8_t)kind;
    cmd->role = (uint8_t)role;
    cmd->x = x;
    cmd->y = y;
    cmd->w = w;
    cmd->h = h;
    cmd->c = c;
    cmd->lane = -1;
    return cmd;
}

vw_cmd *vw__dl_rect(vw_drawlist *dl, int role, int x, int y, int w, int h,
                    vw_rgba c)
{
    if (w <= 0 || h <= 0)
        return NULL;
    return push(dl, VW_CMD_RECT, role, x, y, w, h, c);
}

vw_cmd *vw__dl_frame(vw_drawlist *dl, int role, int x, int y, int w, int h,
                     vw_rgba c)
{
    if (w <= 0 || h <= 0)
        return NULL;
    return push(dl, VW_CMD_FRAME, role, x, y, w, h, c);
}

vw_cmd *vw__dl_line(vw_drawlist *dl, int role, int x0, int y0, int x1, int y1,
                    vw_rgba c)
{
    return push(dl, VW_CMD_LINE, role, x0, y0, x1 - x0, y1 - y0, c);
}

vw_cmd *vw__dl_text(vw_drawlist *dl, int role, int font, int x, int y,
                    vw_rgba c, const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || dl->oom)
        return NULL;
    if (dl->tn + len + 1 > dl->tcap) {
        size_t cap = dl->tcap ? dl->tcap : 16384;
        while (cap < dl->tn + len + 1)
            cap *= 2;
        char *p = realloc(dl->text, cap);
        if (!p) {
            dl->oom = 1;
            return NULL;
        }
        dl->text = p;
        dl->tcap = cap;
    }
    vw_cmd *cmd = push(dl, VW_CMD_TEXT, role, x, y, 0, 0, c);
    if (!cmd)
        return NULL;
    memcpy(dl->text + dl->tn, s, len + 1);
    cmd->font = (uint8_t)font;
    cmd->text = (uint32_t)dl->tn;
    cmd->len = (uint32_t)len;
    dl->tn += len + 1;
    return cmd;
}

vw_cmd *vw__dl_clip(vw_drawlist *dl, int x, int y, int w, int h)
{
    vw_rgba none = {0, 0, 0, 0};
    return push(dl, VW_CMD_CLIP, VW_R_NONE, x, y, w, h, none);
}

const char *vw__dl_str(const vw_drawlist *dl, const vw_cmd *c)
{
    return c->kind == VW_CMD_TEXT ? dl->text + c->text : "";
}
