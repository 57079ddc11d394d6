/* memory.c: what the viewer remembers between runs, in
 * $XDG_STATE_HOME/coscope/view-state (default ~/.local/state): the window's
 * size and position, and per trace file (keyed by its absolute path) the
 * visible time window and the selected task. A text file, one record a
 * line, rewritten whole through a temporary file and rename so that a crash
 * never leaves half of it. A file that does not parse is ignored with a
 * warning: remembering is a convenience, never a reason to fail. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vw_int.h"

static const char magic[] = "coscope-view-state 1";
enum { MAX_FILES = 64 }; /* traces remembered, the most recent first */

/* The state directory (created when mk) and the file in it. 0 or -1. */
static int state_path(char *buf, size_t n, int mk)
{
    const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char dir[PATH_MAX];
    if (x && x[0] == '/')
        snprintf(dir, sizeof dir, "%s/coscope", x);
    else if (home && home[0])
        snprintf(dir, sizeof dir, "%s/.local/state/coscope", home);
    else
        return -1;
    if (mk) {
        /* the parents first (~/.local/state may not exist yet) */
        for (char *p = dir + 1; *p; p++)
            if (*p == '/') {
                *p = '\0';
                mkdir(dir, 0700);
                *p = '/';
            }
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
    }
    return snprintf(buf, n, "%s/view-state", dir) < (int)n ? 0 : -1;
}

int vw__memory_key(const char *trace, char *key, size_t n)
{
    char abs[PATH_MAX];
    if (strcmp(trace, "-") == 0) /* standard input: nothing to come back to */
        return -1;
    if (!realpath(trace, abs))
        return -1;
    return snprintf(key, n, "%s", abs) < (int)n ? 0 : -1;
}

/* One "file T0 T1 TASK PATH" line into m when PATH is key. 1 matched, 0
 * another file, -1 malformed. */
static int parse_file(const char *line, const char *key, vw_memory *m)
{
    int64_t t0, t1;
    unsigned long task;
    int off = 0;
    if (sscanf(line, "file %" SCNd64 " %" SCNd64 " %lu %n", &t0, &t1, &task,
               &off) != 3 || off == 0 || t1 <= t0 || task > UINT32_MAX)
        return -1;
    if (strcmp(line + off, key) != 0)
        return 0;
    m->has_view = 1;
    m->t0 = t0;
    m->t1 = t1;
    m->sel_task = (uint32_t)task;
    return 1;
}

int vw__memory_load(const char *key, vw_memory *m)
{
    memset(m, 0, sizeof *m);
    char path[PATH_MAX];
    if (state_path(path, sizeof path, 0) != 0)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0; /* nothing remembered yet */
    char line[PATH_MAX + 128];
    long no = 0;
    int bad = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        no++;
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n') {
            bad = 1;
            break;
        }
        line[len - 1] = '\0';
        if (no == 1) {
            bad = strcmp(line, magic) != 0;
        } else if (strncmp(line, "window ", 7) == 0) {
            char end;
            bad = sscanf(line, "window %d %d %d %d%c", &m->x, &m->y, &m->w,
                         &m->h, &end) != 4 ||
                  m->w < 64 || m->h < 64 || m->w > 16384 || m->h > 16384;
            m->has_window = !bad;
        } else if (strncmp(line, "file ", 5) == 0) {
            int r = parse_file(line, key ? key : "", m);
            bad = r < 0;
        } else {
            bad = 1;
        }
    }
    if (!bad && ferror(f))
        bad = 1;
    fclose(f);
    if (bad || no == 0) {
        fprintf(stderr,
                "coscope: warning: %s:%ld: not a viewer state file; ignored\n",
                path, no ? no : 1);
        memset(m, 0, sizeof *m);
        return -1;
    }
    return 0;
}

/* The other traces' lines of the old file (up to MAX_FILES - 1), so that
 * saving one trace keeps the others. Unreadable or corrupt: none. */
static void copy_others(FILE *out, const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[PATH_MAX + 128];
    int kept = 0;
    vw_memory dummy;
    if (!fgets(line, sizeof line, f) || strncmp(line, magic, sizeof magic - 1)) {
        fclose(f);
        return;
    }
    while (kept < MAX_FILES - 1 && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n')
            break;
        line[len - 1] = '\0';
        if (strncmp(line, "file ", 5) == 0 &&
            parse_file(line, key, &dummy) == 0) {
            fprintf(out, "%s\n", line);
            kept++;
        }
    }
    fclose(f);
}

int vw__memory_save(const char *key, const vw_memory *m)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    if (state_path(path, sizeof path, 1) != 0)
        return -1;
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    FILE *out = fopen(tmp, "w");
    if (!out)
        return -1;
    fprintf(out, "%s\n", magic);
    if (m->has_window)
        fprintf(out, "window %d %d %d %d\n", m->x, m->y, m->w, m->h);
    if (key && m->has_view && !strchr(key, '\n'))
        fprintf(out, "file %" PRId64 " %" PRId64 " %" PRIu32 " %s\n", m->t0,
                m->t1, m->sel_task, key);
    copy_others(out, path, key ? key : "");
    int rc = ferror(out) ? -1 : 0;
    if (fclose(out) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

void vw__memory_apply(vw_state *st, const vw_model *m, const vw_memory *mem)
{
    if (!mem->has_view)
        return;
    /* a window from a longer version of the file: clamped to this one */
    int64_t t0 = mem->t0 < 0 ? 0 : mem->t0, t1 = mem->t1;
    int64_t end = st->duration > 0 ? st->duration : 1000000;
    if (t1 > end)
        t1 = end;
    if (t1 > t0) {
        st->t0 = t0;
        st->t1 = t1;
    }
    if (mem->sel_task && vw__task_index(m, mem->sel_task) >= 0)
        vw__select(st, m, mem->sel_task, -1);
    st->dirty = 1;
}

void vw__memory_of(vw_memory *mem, const vw_state *st)
{
    mem->has_view = 1;
    mem->t0 = st->t0;
    mem->t1 = st->t1;
    mem->sel_task = st->sel_task;
}
