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
#include <unistd.h>

#include "coscope/tr_export.h"
#include "coscope/trace.h"
#include "test.h"
#include "walk.h"

/* How many corpus files load and how many are refused. Adding, removing or
 * changing a file of tests/fuzz/corpus/ (or rerunning make-corpus.py) means
 * updating these two numbers: the test prints the new ones. */
#define CORPUS_LOADS 164
#define CORPUS_FAILS 362

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

/* The corpus names, sorted; *n gets how many (free each and the array). */
static char **corpus_names(size_t *count)
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
    *count = n;
    return names;
}

static void test_every_file(void)
{
    size_t n;
    char **names = corpus_names(&n);
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

/* One file appended in pieces to a file that tr_follow polls after each:
 * every trace a poll shows is whole (walked, analysed, walked), an error
 * is "path:line: what" and stops following, and when both the follow and
 * tr_load of the whole file succeed they hold the same events and spans
 * as a load of its whole lines. At most ~60 polls a file (the bigger
 * ones in bigger pieces), so the case stays short under valgrind. */
static void follow_file(const char *name, const char *tmp)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, name);
    size_t len;
    char *data = slurp(path, &len);
    FILE *w = fopen(tmp, "wb");
    ASSERT_NOT_NULL(w);
    tr_follow *f;
    ASSERT_OK(tr_follow_open(tmp, &f));
    long rc = 0;
    size_t least = len / 48;
    for (size_t at = 0, step = 1; at < len && rc >= 0; at += step, step = step * 5 % 97 + 1) {
        if (step < least)
            step = least + step % 7;
        size_t k = len - at < step ? len - at : step;
        ASSERT_EQ(fwrite(data + at, 1, k, w), k);
        ASSERT_OK(fflush(w));
        rc = tr_follow_poll(f);
        tr_trace *tr = tr_follow_trace(f);
        if (rc < 0 && !message_ok(tr_last_error(), tmp))
            TEST__FAIL("%s: bad message \"%s\"", name, tr_last_error());
        if (tr && rc > 0) {
            sink += fuzz_walk(tr, 0);
            ASSERT_OK(tr_analyze(tr, NULL));
            sink += fuzz_walk(tr, 1);
        }
    }
    fclose(w);
    if (rc > 0) /* the lines before a bad one come first, its error next */
        rc = tr_follow_poll(f);
    tr_trace *all = NULL, *tr = tr_follow_trace(f);
    size_t whole = len; /* a follow waits for the last line's '\n' */
    while (whole > 0 && data[whole - 1] != '\n')
        whole--;
    int lrc = whole ? tr_load_mem(name, data, whole, NULL, &all) : -EINVAL;
    if (rc >= 0 && tr && lrc == 0) {
        if (tr_nevents(tr) != tr_nevents(all))
            fprintf(stderr, "%s: followed %zu events, loaded %zu\n", name, tr_nevents(tr),
                    tr_nevents(all));
        ASSERT_EQ(tr_nevents(tr), tr_nevents(all));
        ASSERT_EQ(tr_ntasks(tr), tr_ntasks(all));
        ASSERT_EQ(tr_nspans(tr), tr_nspans(all));
    }
    if (lrc != 0 && rc >= 0 && tr) /* a load error is a follow error too */
        TEST__FAIL("%s: loads followed, not whole: %s", name, tr_last_error());
    tr_free(all);
    tr_follow_free(f);
    free(data);
}

static void test_follow(void)
{
    size_t n;
    char **names = corpus_names(&n);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/coscope-corpus-follow-%d.jsonl", (int)getpid());
    for (size_t i = 0; i < n; i++) {
        follow_file(names[i], tmp);
        free(names[i]);
    }
    free(names);
    unlink(tmp);
}

static const test_case cases[] = {
    {"every_file", test_every_file},
    {"follow", test_follow},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
