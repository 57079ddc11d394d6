/* args.c: the shared argument layer (coscope/tr_args.h): one duration
 * syntax and one way to give a task, for the CLI's subcommands and the
 * viewer alike. Before it, a bare number meant milliseconds to `stalls
 * --threshold` and seconds to `view --at`. */
#include "coscope/tr_args.h"

#include <errno.h>
#include <string.h>

#include "tr_format_int.h"

/* The grammar is the format layer's, which the recorder's COSCOPE_FLIGHT
 * shares (tr_amount.c). */
int tr_parse_dur(const char *s, int64_t *ns)
{
    return tr__parse_dur(s, ns, 1);
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

int tr_parse_stall_kinds(const char *list, unsigned *mask)
{
    if (!list || !mask)
        return -EINVAL;
    *mask = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int k = tr_stall_kind_parse(p, len);
        if (k < 0)
            return -EINVAL;
        *mask |= 1u << k;
        p += len + (p[len] == ',');
    }
    return *mask ? 0 : -EINVAL;
}
