/* coscope/viewer.h: the viewer as a library, under the `coscope-view`
 * program (which `coscope view` runs).
 * vw_view_main returns a process exit code: 0 ok, 1 bad input / no
 * display / out of memory (with a message on stderr), 2 usage. */
#ifndef COSCOPE_VIEWER_H
#define COSCOPE_VIEWER_H

#include <stdint.h>
#include <stdio.h>

#include "coscope/trace.h"

/* What the view starts with; every field but w and h is optional. */
typedef struct vw_view_opts {
    const char *screenshot; /* render one frame to this PNG and return */
    const char *title;      /* window title (the program puts the file name
                               here); NULL: "coscope view" */
    int64_t at;             /* playhead, when has_at (default: the start;
                               for a screenshot: the end) */
    int has_at;
    int64_t window; /* visible width centred at the playhead; 0: whole */
    int w, h;       /* window / image size in pixels */
    uint32_t select; /* task id to select; 0: none */
    /* with a screenshot: what a user in the window would have done */
    int has_hover, hover_x, hover_y; /* the mouse at this pixel */
    int help_overlay;                /* the key help open (as after ?) */
} vw_view_opts;

#define VW_VIEW_OPTS_INIT {NULL, NULL, 0, 0, 0, 1600, 900, 0, 0, 0, 0, 0}

/* `coscope view FILE [options]` with argv[0] = "view". */
int vw_view_main(int argc, char **argv);

#endif
