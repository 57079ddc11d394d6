/* tests/read/test_flat.c: the reader's fast path for plain lines
 * (tracer/read/flat.c) against cJSON. Every trace here is loaded twice,
 * with the fast path and without it (tr__set_flat), and the two loads must
 * agree exactly: result, message, events, strings, lines and warnings.
 * edge_lines: lines at the border of what the fast path takes, each with
 * the verdict it must get; corpus: the fuzz seed corpus and data/. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/trace.h"
#include "test.h"
#include "tr_int.h" /* tr__set_flat */

typedef struct loaded {
    int rc;
    char msg[512];
    tr_trace *tr;
} loaded;

static loaded load_with(int flat, const char *name, const char *data,
                        size_t len)
{
    loaded l;
    int old = tr__set_flat(flat);
    l.rc = tr_load_mem(name, data, len, NULL, &l.tr);
    tr__set_flat(old);
    snprintf(l.msg, sizeof l.msg, "%s", l.rc ? tr_last_error() : "");
    return l;
}

/* Loads data both ways, checks they agree; returns the fast path's result
 * (the caller frees .tr). */
static loaded both_ways(const char *name, const char *data, size_t len)
{
    loaded a = load_with(1, name, data, len), b = load_with(0, name, data, len);
    if (a.rc != b.rc)
        TEST__FAIL("%s: rc %d (fast path) vs %d (cJSON): \"%s\" / \"%s\"", name,
                   a.rc, b.rc, a.msg, b.msg);
    ASSERT_STR_EQ(a.msg, b.msg);
    if (a.rc == 0) {
        size_t n = tr_nevents(a.tr);
        ASSERT_EQ(n, tr_nevents(b.tr));
        const tr_event *x = tr_events(a.tr), *y = tr_events(b.tr);
        for (size_t i = 0; i < n; i++) {
            if (memcmp(&x[i], &y[i], sizeof x[i]) != 0)
                TEST__FAIL("%s: event %zu differs", name, i);
            ASSERT_STR_EQ(tr_str(a.tr, tr_ev_str(&x[i])),
                          tr_str(b.tr, tr_ev_str(&y[i])));
            ASSERT_STR_EQ(tr_str(a.tr, tr_ev_at(a.tr, &x[i])),
                          tr_str(b.tr, tr_ev_at(b.tr, &y[i])));
            ASSERT_EQ(tr_ev_val(a.tr, &x[i]), tr_ev_val(b.tr, &y[i]));
            ASSERT_EQ(tr_ev_val2(a.tr, &x[i]), tr_ev_val2(b.tr, &y[i]));
            ASSERT_EQ(tr_ev_line(a.tr, i), tr_ev_line(b.tr, i));
        }
        ASSERT_EQ(tr_nwarnings(a.tr), tr_nwarnings(b.tr));
        for (size_t i = 0; i < tr_nwarnings(a.tr); i++)
            ASSERT_STR_EQ(tr_warning(a.tr, i), tr_warning(b.tr, i));
    } else {
        ASSERT_NULL(a.tr);
        ASSERT_NULL(b.tr);
    }
    tr_free(b.tr);
    return a;
}

#define HEAD                                                                   \
    "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}\n"                \
    "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"a\"}\n"
#define END "{\"t\":9,\"ev\":\"end\"}\n"

/* A line and what line 3 gets when it is followed by an `end`: "" if the
 * trace loads (then task is the event's task), else the message after
 * "edge:3: ". */
typedef struct edge {
    const char *line;
    const char *msg;
    uint32_t task;
} edge;

static const edge edges[] = {
    {"{\"t\":1,\"ev\":\"run\",\"task\":1}", "", 1},
    {"{\"t\":1,\"ev\":\"run\",\"task\":1} ", "",
     1}, /* trailing space: cJSON's */
    {"{\"t\":1, \"ev\":\"run\",\"task\":1}", "", 1}, /* inner space */
    {"{\"t\":1,\"ev\":\"run\",\"task\":1,\"task\":1}", "",
     1}, /* the last one counts */
    {"{\"t\":1,\"ev\":\"run\",\"task\":2,\"task\":1}", "", 1},
    {"{\"t\":1,\"ev\":\"run\",\"task\":1,\"zz\":\"x\",\"\":0}", "",
     1}, /* unknown fields */
    {"{\"t\":1,\"ev\":\"run\",\"task\":1,\"msg\":\"m\"}", "",
     1}, /* not of run */
    {"{\"t\":-0,\"ev\":\"run\",\"task\":1}", "", 1},
    {"{\"t\":1,\"ev\":\"run\",\"task\":1.0}", "", 1},
    {"{\"t\":1,\"ev\":\"run\",\"task\":1e0}", "", 1},
    {"{\"t\":1,\"ev\":\"run\",\"task\":\"\\u0031\"}",
     "\"task\" must be an integer", 0},
    {"{\"t\":1,\"ev\":\"r\\u0075n\",\"task\":1}", "", 1},
    {"{\"t\":1,\"ev\":\"mark\",\"task\":1,\"msg\":\"caf\xc3\xa9\"}", "", 1},
    {"{\"t\":1,\"ev\":\"mark\",\"task\":1,\"msg\":\"caf\xc3\"}",
     "\"msg\" is not valid UTF-8", 0},
    {"{\"t\":1,\"ev\":\"mark\",\"task\":1,\"msg\":\"\\u0000\"}",
     "a string holds \\u0000 (NUL)", 0},
    {"{\"t\":1,\"ev\":\"mark\",\"task\":1,\"msg\":\"\xff\"}",
     "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"mark\",\"task\":1,\"msg\":\"a\tb\"}",
     "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":01}", "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":-}", "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":1,}", "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":1}}", "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":1}x", "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":1", "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":1,\"a\"}", "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\"\"task\":1}", "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\"::1}", "not a JSON object", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":true}", "\"task\" must be an integer",
     0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":null}", "\"task\" must be an integer",
     0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":[1]}", "\"task\" must be an integer", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":\"1\"}", "\"task\" must be an integer",
     0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":0}", "\"task\" must be 1 or more", 0},
    {"{\"t\":1,\"ev\":\"run\",\"task\":99999999999999999999}",
     "\"task\" is out of range", 0},
    {"{\"t\":1,\"ev\":\"run\"}", "missing \"task\"", 0},
    {"{\"t\":1,\"ev\":7,\"task\":1}", "\"ev\" must be a string", 0},
    {"{\"t\":-1,\"ev\":\"run\",\"task\":1}", "\"t\" is out of range", 0},
    {"{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1}",
     "header line in the middle of the trace", 0},
    {"{}", "missing \"ev\"", 0},
    {"[1]", "not a JSON object", 0},
};

/* Builds HEAD + line + (tail), loads it both ways, returns the result. */
static loaded load_edge(const char *line, const char *tail)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, HEAD "%s%s", line, tail);
    ASSERT(n > 0 && (size_t)n < sizeof buf);
    return both_ways("edge", buf, (size_t)n);
}

static void test_edge_lines(void)
{
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        const edge *e = &edges[i];
        loaded l = load_edge(e->line, "\n" END);
        if (*e->msg) {
            char want[512];
            snprintf(want, sizeof want, "edge:3: %s", e->msg);
            if (strcmp(l.msg, want) != 0)
                TEST__FAIL("line \"%s\": \"%s\", expected \"%s\"", e->line,
                           l.msg, want);
        } else {
            if (l.rc != 0)
                TEST__FAIL("line \"%s\": %s", e->line, l.msg);
            ASSERT_EQ(tr_nevents(l.tr), 3); /* spawn, the line's, end */
            ASSERT_EQ(tr_events(l.tr)[1].task, e->task);
        }
        tr_free(l.tr);
        /* as the file's last line, without '\n': cut short or whole */
        l = load_edge(e->line, "");
        tr_free(l.tr);
    }
}

/* Every regular file of dir, both ways; returns how many. */
static int every_file(const char *dir)
{
    DIR *d = opendir(dir);
    ASSERT_NOT_NULL(d);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        ASSERT_NOT_NULL(f);
        static char data[1 << 22];
        size_t len = fread(data, 1, sizeof data, f);
        ASSERT(len < sizeof data);
        fclose(f);
        char *exact = malloc(len ? len : 1); /* ASan sees a read past the end */
        ASSERT_NOT_NULL(exact);
        memcpy(exact, data, len);
        loaded l = both_ways(de->d_name, exact, len);
        tr_free(l.tr);
        free(exact);
        files++;
    }
    closedir(d);
    return files;
}

static void test_corpus(void)
{
    int n = every_file(CORPUS_DIR) + every_file(DATA_DIR);
    printf("%d files agree\n", n);
    ASSERT_CMP(n, >, 500);
}

static const test_case cases[] = {
    {"edge_lines", test_edge_lines},
    {"corpus", test_corpus},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
