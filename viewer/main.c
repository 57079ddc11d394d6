/* main.c: `coscope-view FILE [options]`, the viewer on its own (the same
 * as `coscope view`), for testing the viewer without the CLI. */
#include "coscope/viewer.h"

int main(int argc, char **argv)
{
    return vw_view_main(argc, argv);
}
