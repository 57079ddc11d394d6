/* args.c: the shared argument layer (coscope/tr_args.h): one duration
 * syntax and one way to give a task, for the CLI's subcommands and the
 * viewer alike. Before it, a bare number meant milliseconds to `stalls
 * --threshold` and seconds to `view --at`. */
#include "coscope/tr_args.h"

#include <errno.h>
#include <string.h>

static const struct {
    const char *suffix;
    int64_t ns;
} units[] = {
    {"ns", 1},       {"us", 1000},       {"\xc2\xb5s", 1000},
    {"ms", 1000000}, {"s", 1000000000},  {"", 1000000}, /* bare: ms */
};

int tr_parse_dur(const char *s, int64_t *ns)
{
    uint64_t whole = 0, frac = 0, scale = 1;
    int digits = 0, big = 0;
    const char *p = s;

    if (!s)
        return -EINVAL;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (whole > (UINT64_MAX - 9) / 10)
            big = 1; /* keep reading: a bad suffix is still -EINVAL */
        else
            whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (scale < 1000000000) { /* nine decimals reach 1 ns in s */
                frac = frac * 10 + (uint64_t)(*p - '0');
                scale *= 10;
            }
        }
    }
    if (digits == 0)
        return -EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].suffix) != 0)
            continue;
        uint64_t unit = (uint64_t)units[i].ns;
        uint64_t part = frac * unit / scale; /* < unit <= 1e9: no overflow */
        if (big || whole > ((uint64_t)INT64_MAX - part) / unit)
            return -ERANGE;
        *ns = (int64_t)(whole * unit + part);
        return 0;
    }
    return -EINVAL;
}

/* A whole decimal uint32 and nothing else: 1, else 0. */
static int parse_id(const char *s, size_t n, uint32_t *id)
{
    uint64_t v = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > UINT32_MAX)
            return 0;
    }
    *id = (uint32_t)v;
    return 1;
}

int tr_parse_task(const tr_trace *tr, const char *s, uint32_t *id)
{
    size_t n = s ? strlen(s) : 0;
    uint32_t v;
    if (!tr || n == 0 || !id)
        return -EINVAL;
    if (parse_id(s, n, &v)) {
        if (v != 0 && !tr_task_by_id(tr, v))
            return -ENOENT;
        *id = v;
        return 0;
    }
    /* "name (id)": the id decides, the name must be that task's */
    const char *open = strrchr(s, '(');
    if (n >= 3 && s[n - 1] == ')' && open && open > s && open[-1] == ' ' &&
        parse_id(open + 1, (size_t)(s + n - 1 - (open + 1)), &v)) {
        const tr_task *t = tr_task_by_id(tr, v);
        size_t nlen = (size_t)(open - 1 - s);
        const char *name = t ? tr_str(tr, t->name) : NULL;
        if (!name || strlen(name) != nlen || memcmp(name, s, nlen) != 0)
            return -ENOENT;
        *id = v;
        return 0;
    }
    if (strcmp(s, "loop") == 0) {
        *id = 0;
        return 0;
    }
    /* a bare name: exactly one task may have it */
    size_t found = 0;
    const tr_task *tasks = tr_tasks(tr);
    for (size_t i = 0; i < tr_ntasks(tr); i++) {
        const tr_task *t = &tasks[i];
        if (strcmp(tr_str(tr, t->name), s) == 0 && found++ == 0)
            v = t->id;
    }
    if (found == 0)
        return -ENOENT;
    if (found > 1)
        return -EEXIST;
    *id = v;
    return 0;
}
