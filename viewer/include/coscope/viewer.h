/* coscope/viewer.h: the entry point of `coscope view`.
 * The CLI calls vw_view_main with argv[0] = "view" and the rest of the
 * command line (FILE and options, e.g. --screenshot out.png --at 1.25s
 * --window 200ms --size 1600x900 --select TASK). Returns the process exit
 * code: 0 ok, 1 bad input / no display, 2 usage. */
#ifndef COSCOPE_VIEWER_H
#define COSCOPE_VIEWER_H

int vw_view_main(int argc, char **argv);

#endif
