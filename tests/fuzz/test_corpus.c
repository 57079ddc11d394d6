/* tests/fuzz/test_corpus.c: the fuzz seed corpus as a regression test, in
 * a plain build (no libFuzzer). Every file of tests/fuzz/corpus/ goes
 * through tr_load_mem -> tr_analyze -> tr_export_chrome (to /dev/null) and
 * through tr_load from its path; each must load or fail with a message
 * "name:line: ..." or "name: ...", the same both ways. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/tr_export.h"
#include "coscope/trace.h"
#include "test.h"
#include "walk.h"

/* How many corpus files load and how many are refused. Adding, removing or
 * changing a file of tests/fuzz/corpus/ (or rerunning make-corpus.py) means
 * updating these two numbers: the test prints the new ones. */
#define CORPUS_LOADS 161
#define CORPUS_FAILS 359

static volatile uint64_t sink;

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    size_t r;
    while ((r = fread(buf + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap) {
            buf = realloc(buf, cap *= 2);
            ASSERT_NOT_NULL(buf);
        }
    }
    ASSERT_OK(ferror(f));
    fclose(f);
    *n = len;
    return buf;
}

/* "name:123: what" or "name: what", with a non-empty what. */
static int message_ok(const char *msg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(msg, name, n) != 0 || msg[n] != ':')
        return 0;
    const char *p = msg + n + 1;
    if (*p >= '0' && *p <= '9') {
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != ':')
            return 0;
    }
    return p[0] == ' ' && p[1] != '\0' && p[1] != ' ';
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One file: 1 if it loads, 0 if it is refused (properly). */
static int run_file(const char *name, FILE *devnull)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, name);
    size_t len;
    char *data = slurp(path, &len);
    /* an exact-size copy, so ASan sees a read past the end */
    char *exact = malloc(len ? len : 1);
    ASSERT_NOT_NULL(exact);
    memcpy(exact, data, len);
    free(data);

    tr_trace *tr = (tr_trace *)1;
    int rc = tr_load_mem(name, exact, len, NULL, &tr);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", tr_last_error());
    tr_trace *tr2 = (tr_trace *)1;
    int rc2 = tr_load(path, NULL, &tr2);
    ASSERT_EQ(rc, rc2);
    if (rc != 0) {
        printf("fails  %s\n", msg);
        ASSERT_NULL(tr);
        ASSERT_NULL(tr2);
        ASSERT_EQ(rc, -EINVAL);
        if (!message_ok(msg, name))
            TEST__FAIL("%s: bad message \"%s\"", name, msg);
        /* the same message, with the path for the name */
        if (!message_ok(tr_last_error(), path) ||
            strcmp(tr_last_error() + strlen(path), msg + strlen(name)) != 0)
            TEST__FAIL("%s: \"%s\" vs \"%s\"", name, tr_last_error(), msg);
        free(exact);
        return 0;
    }
    ASSERT_NOT_NULL(tr);
    ASSERT_EQ(tr_nevents(tr), tr_nevents(tr2));
    ASSERT_EQ(tr_nwarnings(tr), tr_nwarnings(tr2));
    tr_free(tr2);
    printf("loads  %s: %zu events, %zu tasks, %zu warnings\n", name,
           tr_nevents(tr), tr_ntasks(tr), tr_nwarnings(tr));
    for (size_t i = 0; i < tr_nwarnings(tr); i++)
        if (!message_ok(tr_warning(tr, i), name))
            TEST__FAIL("%s: bad warning \"%s\"", name, tr_warning(tr, i));
    sink += fuzz_walk(tr, 0);
    ASSERT_OK(tr_analyze(tr, NULL));
    sink += fuzz_walk(tr, 1);
    tr_analysis_opts tight = {1, 1, 1};
    ASSERT_OK(tr_analyze(tr, &tight));
    sink += fuzz_walk(tr, 1);
    ASSERT_OK(tr_export_chrome(tr, devnull));
    tr_free(tr);
    free(exact);
    return 1;
}

static void test_every_file(void)
{
    DIR *d = opendir(CORPUS_DIR);
    ASSERT_NOT_NULL(d);
    size_t n = 0, cap = 1024;
    char **names = malloc(cap * sizeof *names);
    ASSERT_NOT_NULL(names);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            names = realloc(names, (cap *= 2) * sizeof *names);
            ASSERT_NOT_NULL(names);
        }
        names[n] = strdup(de->d_name);
        ASSERT_NOT_NULL(names[n]);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);

    FILE *devnull = fopen("/dev/null", "w");
    ASSERT_NOT_NULL(devnull);
    int loads = 0, fails = 0;
    for (size_t i = 0; i < n; i++) {
        if (run_file(names[i], devnull))
            loads++;
        else
            fails++;
        free(names[i]);
    }
    free(names);
    fclose(devnull);
    printf("corpus: %d files, %d load, %d fail\n", loads + fails, loads, fails);
    fflush(stdout);
    ASSERT_EQ(loads, CORPUS_LOADS);
    ASSERT_EQ(fails, CORPUS_FAILS);
}

static const test_case cases[] = {
    {"every_file", test_every_file},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
