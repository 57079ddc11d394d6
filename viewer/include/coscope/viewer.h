/* coscope/viewer.h: the viewer as a library, under the `coscope-view`
 * program (which `coscope view` runs).
 *
 *     vw_view_opts o = VW_VIEW_OPTS_INIT;
 *     o.screenshot = "frame.png";          // headless: one frame, no window
 *     o.at = 1250000000; o.has_at = 1;     // playhead at 1.25 s
 *     int rc = vw_view_file("run.jsonl", &o);
 *
 * Every entry point returns a process exit code: 0 ok, 1 bad input / no
 * display / out of memory (with a message on stderr), 2 bad options. */
#ifndef COSCOPE_VIEWER_H
#define COSCOPE_VIEWER_H

#include <stdint.h>
#include <stdio.h>

#include "coscope/trace.h"

/* What the view starts with; every field but w and h is optional. */
typedef struct vw_view_opts {
    const char *screenshot; /* render one frame to this PNG and return */
    const char *title;      /* window title; NULL: "FILE — coscope" from
                               vw_view_file, "coscope view" from vw_view */
    int64_t at;             /* playhead, when has_at (default: the start;
                               for a screenshot: the end) */
    int has_at;
    int64_t window; /* visible width centred at the playhead; 0: whole */
    int w, h;       /* window / image size in pixels */
    const char *select; /* the task to select, as every command takes one
                           (tr_parse_task: "3", "fetch (3)" or a name one
                           task has); NULL: none */
    /* with a screenshot: what a user in the window would have done */
    int has_hover, hover_x, hover_y; /* the mouse at this pixel */
    int help_overlay;                /* the key help open (as after ?) */
    int cause; /* select the cause of this rank (1: the first, as after n;
                  0: none), with its chain drawn */
    double scale; /* UI scale 0.5..4 (text, bars, lanes); 0: the display's
                     DPI / 96 in a window, 1 headless */
    int has_size; /* w, h were asked for: vw_view_file's window does not
                     take the remembered size and position */
    int follow; /* vw_view_file: the file is being written; show it as it
                   grows (tr_follow), live at its end unless has_at */
} vw_view_opts;

#define VW_VIEW_OPTS_INIT                                                      \
    {NULL, NULL, 0, 0, 0, 1600, 900, NULL, 0, 0, 0, 0, 0, 0, 0, 0}

/* Shows tr (loaded and analysed by the caller, borrowed, never changed) in
 * a window until the user quits, or renders one frame to o->screenshot.
 * Bad options (a size outside 64..16384, a hover point outside the image,
 * a scale outside 0.5..4) return 2. */
int vw_view(const tr_trace *tr, const vw_view_opts *o);

/* Loads and analyses path, then as vw_view. In a window the load runs on a
 * thread behind a progress bar (Esc or closing the window cancels it, exit
 * 0); reader warnings go to stderr. A window remembers, in
 * $XDG_STATE_HOME/coscope/view-state, its size and position and this
 * file's visible time window and selected task, and restores them when the
 * same file (by absolute path) opens again without --at, --window,
 * --select or --cause. */
int vw_view_file(const char *path, const vw_view_opts *o);
/* With o->follow: the window waits for the file and its header line (Esc
 * gives up), then polls it a few times a second: new tasks get lanes, the
 * analysis is redone, `l` toggles live (the playhead held at the end), and
 * the top bar says when the trace ended or a bad line stopped following
 * (file:line). Nothing is remembered for a followed file. A screenshot
 * polls once; under COSCOPE_VIEW_SCRIPT=1 (a test hook) it reads commands
 * from standard input instead: `poll`, `shot PATH`, `action NAME`
 * (docs/viewer.md). */

/* The key bindings as help text, one "  KEYS  what it does" line each. */
void vw_print_keys(FILE *f);

#endif
