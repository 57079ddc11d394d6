/* test_view_corpus.c: untrusted traces never crash the viewer. Every file
 * of the fuzz seed corpus (tests/fuzz/corpus: odd, damaged and hostile
 * traces) goes through vw_view_file with a screenshot, headless, at a
 * small size: a trace the reader refuses must exit 1, one it loads must
 * render (exit 0) and write the PNG, whole and zoomed in. A crash, or a
 * sanitizer report in the ASan build, fails the test. fuzz_replay runs
 * every file through fuzz_view's driver (tests/fuzz/fuzz_view.c: actions and
 * layout at four window sizes), which aborts on a bad view state. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coscope/trace.h"
#include "coscope/viewer.h"
#include "test.h"

/* vw_view_file with the reader's messages sent to /dev/null. */
static int quiet_view(const char *path, const vw_view_opts *o)
{
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    int rc = vw_view_file(path, o);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(null);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_every_file(void)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    char png[64];
    snprintf(png, sizeof png, "/tmp/coscope-corpus-%d.png", (int)getpid());
    DIR *d = opendir(CORPUS_DIR);
    ASSERT_NOT_NULL(d);
    char *names[4096];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    int rendered = 0, refused = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, names[i]);
        tr_trace *tr = NULL;
        int loads = tr_load(path, NULL, &tr) == 0;
        tr_free(tr);
        unlink(png);
        vw_view_opts o = VW_VIEW_OPTS_INIT;
        o.screenshot = png;
        o.w = 480;
        o.h = 270;
        int rc = quiet_view(path, &o);
        if (rc != (loads ? 0 : 1))
            TEST__FAIL("%s: exit %d, expected %d", names[i], rc, loads ? 0 : 1);
        if (loads) {
            ASSERT_EQ(access(png, F_OK), 0);
            /* and zoomed in, with the playhead inside the trace */
            o.has_at = 1;
            o.at = 1000000;
            o.window = 3000;
            rc = quiet_view(path, &o);
            if (rc != 0)
                TEST__FAIL("%s: zoomed: exit %d", names[i], rc);
            rendered++;
        } else {
            refused++;
        }
        free(names[i]);
    }
    unlink(png);
    fprintf(stderr, "%d rendered, %d refused\n", rendered, refused);
    ASSERT_CMP(rendered, >, 100);
    ASSERT_CMP(refused, >, 100);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void test_fuzz_replay(void)
{
    DIR *d = opendir(CORPUS_DIR);
    ASSERT_NOT_NULL(d);
    struct dirent *e;
    int files = 0, found = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, e->d_name);
        FILE *f = fopen(path, "rb");
        ASSERT_NOT_NULL(f);
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        if (strncmp(e->d_name, "found_view_", 11) == 0 && memchr(buf, 0, n))
            found++; /* an input fuzz_view found, with its actions */
        LLVMFuzzerTestOneInput(buf, n);
        files++;
    }
    closedir(d);
    fprintf(stderr, "%d files replayed, %d found by fuzz_view\n", files, found);
    ASSERT_CMP(files, >, 200);
    ASSERT_CMP(found, >=, 4);
}

static const test_case cases[] = {
    {"every_file", test_every_file},
    {"fuzz_replay", test_fuzz_replay},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
