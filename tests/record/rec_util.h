/* rec_util.h: helpers for the recorder tests: a scratch directory, reading a
 * trace back line by line, checking each line is whole JSON (cJSON), and
 * pulling integer fields out without a full parse. */
#ifndef COSCOPE_REC_UTIL_H
#define COSCOPE_REC_UTIL_H

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

static char rec_dir[64];

/* A fresh directory per test process; files in it are removed by
 * rec_cleanup(). */
static inline const char *rec_path(const char *name)
{
    static char buf[8][128];
    static int next;
    if (!rec_dir[0]) {
        strcpy(rec_dir, "/tmp/coscope-rec-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(rec_dir));
    }
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", rec_dir, name);
    return p;
}

static inline void rec_cleanup(void)
{
    if (!rec_dir[0])
        return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", rec_dir);
    ASSERT_EQ(system(cmd), 0);
    rec_dir[0] = '\0';
}

/* The lines of a file, without their '\n'. *whole is 1 when the file ends
 * with '\n' (or is empty). */
typedef struct rec_lines {
    char **v;
    size_t n;
    int whole;
} rec_lines;

static inline rec_lines rec_read(const char *path)
{
    rec_lines L = {NULL, 0, 1};
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        L.whole = line[len - 1] == '\n';
        if (L.whole)
            line[len - 1] = '\0';
        if (L.n == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            L.v = realloc(L.v, alloc * sizeof *L.v);
            ASSERT_NOT_NULL(L.v);
        }
        L.v[L.n] = strdup(line);
        ASSERT_NOT_NULL(L.v[L.n]);
        L.n++;
    }
    free(line);
    fclose(f);
    return L;
}

static inline void rec_free(rec_lines *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->v[i]);
    free(L->v);
    L->v = NULL;
    L->n = 0;
}

/* Every line parses as one JSON object and is followed by '\n'. */
static inline void rec_assert_json(const rec_lines *L)
{
    ASSERT(L->whole);
    for (size_t i = 0; i < L->n; i++) {
        cJSON *j = cJSON_Parse(L->v[i]);
        if (!j || !cJSON_IsObject(j))
            TEST__FAIL("line %zu is not a JSON object: %s", i + 1, L->v[i]);
        cJSON_Delete(j);
    }
}

/* The integer after "key": in line, or `dflt` when the key is absent. */
static inline long long rec_int(const char *line, const char *key, long long dflt)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : dflt;
}

static inline int rec_is(const char *line, const char *ev)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"ev\":\"%s\"", ev);
    return strstr(line, pat) != NULL;
}

/* Waits for a child and returns its status. */
static inline int rec_wait(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        ASSERT_EQ(errno, EINTR);
    return st;
}

#endif
