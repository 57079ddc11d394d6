/* replay_cmp.c: a replayed run checked against its recording, event by
 * event. The traces are read as lines, not through the model: what is
 * compared is each line as the writer wrote it, less the fields that
 * differ between two runs on the same inputs (times, on-CPU figures, load
 * addresses), so any other difference, in any field, is a divergence.
 * The numbering is the runtime's (COSCOPE_STOP_AT), see tr_replay.h. */
#include "coscope/tr_replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define MAX_MODULES 64
#define CONTEXT 3 /* matching events shown before a difference */

typedef struct rp_line {
    const char *raw; /* the line as written, without its '\n' */
    size_t raw_len;
    char *canon;     /* what is compared */
    uint32_t lineno; /* 1-based line in the file */
    int64_t t;
} rp_line;

typedef struct rp_module {
    uint64_t base, size;
} rp_module;

struct tr_replay_trace {
    char *text;
    rp_line *ev;
    size_t n, cap;
    rp_module mod[MAX_MODULES];
    size_t nmod;
    char build_id[64]; /* the program's (first module's) */
    int ended;         /* has its `end` line */
    int has_seed;      /* the header's `seed` (COSCOPE_SEED), when it has one */
    uint64_t seed;
};

static int read_all(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        char *bigger = realloc(buf, cap * 2 + 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (!buf)
        return -ENOMEM;
    buf[len] = '\0';
    *out = buf;
    return 0;
}

/* The unsigned value after `key` in [p, end), or 0. */
static uint64_t num_after(const char *p, const char *end, const char *key,
                          const char **next)
{
    size_t k = strlen(key);
    for (const char *q = p; q + k < end; q++) {
        if (memcmp(q, key, k) == 0) {
            char *e;
            uint64_t v = strtoull(q + k, &e, 10);
            if (next)
                *next = e;
            return v;
        }
    }
    if (next)
        *next = end;
    return 0;
}

/* The header's modules (base, size) and the program's build id. */
static void read_modules(tr_replay_trace *t, const char *p, const char *end)
{
    const char *q = strstr(p, "\"modules\":");
    if (!q || q > end)
        return;
    while (t->nmod < MAX_MODULES) {
        const char *b = strstr(q, "\"base\":");
        if (!b || b > end)
            break;
        rp_module *m = &t->mod[t->nmod++];
        m->base = num_after(b, end, "\"base\":", &q);
        m->size = num_after(q, end, "\"size\":", &q);
        const char *id = strstr(q, "\"build_id\":\"");
        if (t->nmod == 1 && id && id < end) {
            id += strlen("\"build_id\":\"");
            size_t n = strcspn(id, "\"");
            if (n >= sizeof t->build_id)
                n = sizeof t->build_id - 1;
            memcpy(t->build_id, id, n);
        }
    }
}

/* Appends to the canonical line, growing it. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static int sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

/* "0x55d..." as module index + offset, so a relocated run compares equal. */
static int add_pc(sbuf *b, const tr_replay_trace *t, uint64_t pc)
{
    char tmp[48];
    for (size_t i = 0; i < t->nmod; i++)
        if (pc >= t->mod[i].base && pc - t->mod[i].base < t->mod[i].size) {
            int n = snprintf(tmp, sizeof tmp, "m%zu+0x%" PRIx64, i,
                             pc - t->mod[i].base);
            return sb_add(b, tmp, (size_t)n);
        }
    int n = snprintf(tmp, sizeof tmp, "0x%" PRIx64, pc);
    return sb_add(b, tmp, (size_t)n);
}

static int is_skipped_field(const char *p)
{
    return strncmp(p, ",\"cpu\":", 7) == 0 || strncmp(p, ",\"runq\":", 8) == 0 ||
           strncmp(p, ",\"stops\":", 9) == 0;
}

/* The line less "t", the on-CPU figures and the load addresses. */
static char *canon(const tr_replay_trace *t, const char *p, size_t n)
{
    sbuf b = {0};
    const char *end = p + n, *q = p;
    int stack = memmem(p, n, "\"ev\":\"stack\"", 12) != NULL;
    if (strncmp(q, "{\"t\":", 5) == 0) {
        q += 5;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q < end && *q == ',')
            q++;
        if (sb_add(&b, "{", 1))
            return NULL;
    }
    while (q < end) {
        if (*q == ',' && is_skipped_field(q)) {
            q = strchr(q + 1, ':') + 1;
            while (q < end && *q >= '0' && *q <= '9')
                q++;
            continue;
        }
        if (stack && q + 3 < end && q[0] == '"' && q[1] == '0' && q[2] == 'x') {
            char *e;
            uint64_t pc = strtoull(q + 1, &e, 16);
            if (sb_add(&b, "\"", 1) || add_pc(&b, t, pc))
                return NULL;
            q = e;
            continue;
        }
        if (sb_add(&b, q, 1))
            return NULL;
        q++;
    }
    if (!b.p)
        sb_add(&b, "", 0);
    return b.p;
}

static int skipped_kind(const char *p, size_t n)
{
    static const char *const kinds[] = {"\"ev\":\"work_begin\"",
                                        "\"ev\":\"work_end\"", "\"ev\":\"end\"",
                                        "\"ev\":\"halt\"", "\"ev\":\"fatal\""};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (memmem(p, n, kinds[i], strlen(kinds[i])))
            return 1;
    return 0;
}

static int add_event(tr_replay_trace *t, const char *p, size_t n, uint32_t lineno)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        rp_line *v = realloc(t->ev, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        t->ev = v;
        t->cap = cap;
    }
    rp_line *l = &t->ev[t->n];
    l->raw = p;
    l->raw_len = n;
    l->lineno = lineno;
    l->t = (int64_t)num_after(p, p + n < p + 32 ? p + n : p + 32, "{\"t\":", NULL);
    if (!(l->canon = canon(t, p, n)))
        return -ENOMEM;
    t->n++;
    return 0;
}

int tr_replay_load(const char *path, tr_replay_trace **out)
{
    *out = NULL;
    tr_replay_trace *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    int err = read_all(path, &t->text);
    if (err) {
        free(t);
        return err;
    }
    const char *p = t->text;
    const char *nl = strchr(p, '\n');
    if (!nl || !strstr(p, "\"ev\":\"trace\"") || strstr(p, "\"ev\":\"trace\"") > nl) {
        tr_replay_free(t);
        return -EINVAL;
    }
    read_modules(t, p, nl);
    /* `"seed":` cannot occur inside a string (its quotes would be \"),
     * and the header puts it before `modules` */
    const char *sd = strstr(p, "\"seed\":");
    if (sd && sd < nl) {
        t->has_seed = 1;
        t->seed = num_after(sd, nl, "\"seed\":", NULL);
    }
    uint32_t lineno = 1;
    for (p = nl + 1; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        size_t n = (size_t)(nl - p);
        lineno++;
        if (memmem(p, n, "\"ev\":\"end\"", 10))
            t->ended = 1;
        if (n == 0 || skipped_kind(p, n))
            continue;
        if ((err = add_event(t, p, n, lineno)) != 0) {
            tr_replay_free(t);
            return err;
        }
    }
    *out = t; /* a last line without '\n' was cut short: left out */
    return 0;
}

void tr_replay_free(tr_replay_trace *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->ev[i].canon);
    free(t->ev);
    free(t->text);
    free(t);
}

int tr_replay_seed(const tr_replay_trace *t, uint64_t *seed)
{
    *seed = t->has_seed ? t->seed : 0;
    return t->has_seed;
}

size_t tr_replay_nevents(const tr_replay_trace *t)
{
    return t ? t->n : 0;
}

size_t tr_replay_event_at(const tr_replay_trace *t, int64_t ns)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].t >= ns)
            return i + 1;
    return 0;
}

/* The notes file's first line of a kind ("diverged", "content", "end")
 * made after at most `before` events: its message (after "KIND EVENT "),
 * copied into buf; NULL when none. */
static const char *note_of(const char *notes, const char *kind,
                           uint64_t before, char *buf, size_t n)
{
    char *text = NULL;
    const char *found = NULL;
    if (!notes || read_all(notes, &text) != 0)
        return NULL;
    size_t k = strlen(kind);
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, kind, k) != 0 || l[k] != ' ')
            continue;
        char *msg;
        uint64_t at = strtoull(l + k + 1, &msg, 10);
        if (*msg != ' ' || at > before)
            continue;
        msg++;
        size_t len = strcspn(msg, "\n");
        if (len >= n)
            len = n - 1;
        memcpy(buf, msg, len);
        buf[len] = '\0';
        found = buf;
        break;
    }
    free(text);
    return found;
}

static void print_line(FILE *out, const char *label, const rp_line *l)
{
    fprintf(out, "  %s: %.*s\n", label, (int)l->raw_len, l->raw);
}

/* Why the runs parted, as far as one can tell from outside. */
/* at: the events before the difference (a note made after them came
 * later than the difference, so it is not its cause). */
static void print_reason(FILE *out, const tr_replay_trace *rec,
                         const tr_replay_trace *rep, const tr_replay_run *run,
                         uint64_t at)
{
    char msg[600];
    fputs("likely reason: ", out);
    if (rec->build_id[0] && rep->build_id[0] &&
        strcmp(rec->build_id, rep->build_id) != 0)
        fprintf(out, "the binary changed (build id %s was recorded, %s "
                "replayed)\n", rec->build_id, rep->build_id);
    else if (note_of(run->notes, "content", at, msg, sizeof msg))
        fprintf(out, "a write's content differs: %s\n", msg);
    else
        fputs("the program read something the runtime does not control "
              "(time(), rand(), getenv, a file read with stdio) and took "
              "another path\n", out);
    if (note_of(run->notes, "diverged", UINT64_MAX, msg, sizeof msg))
        fprintf(out, "the replay stopped: %s\n", msg);
    else if (WIFSIGNALED(run->status))
        fprintf(out, "the replayed run was killed by signal %d\n",
                WTERMSIG(run->status));
}

static void report(FILE *out, const tr_replay_trace *rec,
                   const tr_replay_trace *rep, const tr_replay_run *run,
                   size_t i)
{
    fprintf(out, "coscope replay: event %zu differs", i + 1);
    if (i < rec->n)
        fprintf(out, " (recorded trace line %" PRIu32 ")", rec->ev[i].lineno);
    fputc('\n', out);
    if (i < rec->n)
        print_line(out, "recorded", &rec->ev[i]);
    else
        fputs("  recorded: (nothing: the recording ends here)\n", out);
    if (i < rep->n)
        print_line(out, "replayed", &rep->ev[i]);
    else
        fputs("  replayed: (nothing: the replayed run ended here)\n", out);
    if (i > 0) {
        fputs("last matching events:\n", out);
        for (size_t k = i > CONTEXT ? i - CONTEXT : 0; k < i; k++)
            fprintf(out, "  %zu: %.*s\n", k + 1, (int)rec->ev[k].raw_len,
                    rec->ev[k].raw);
    }
    print_reason(out, rec, rep, run, i);
}

int tr_replay_check(const tr_replay_trace *rec, const tr_replay_run *run,
                    FILE *out)
{
    tr_replay_trace *rep = NULL;
    int err = tr_replay_load(run->replayed, &rep);
    if (err) {
        fprintf(out, "coscope replay: the replayed run wrote no trace (%s)\n",
                strerror(-err));
        return err;
    }
    size_t n = rec->n < rep->n ? rec->n : rep->n, i = 0;
    while (i < n && strcmp(rec->ev[i].canon, rep->ev[i].canon) == 0)
        i++;
    int rc = 1;
    char msg[600];
    if (i < n) {
        report(out, rec, rep, run, i);
    } else if (run->stopped_at && rep->n + 1 == run->stopped_at &&
               rep->n <= rec->n) {
        fprintf(out, "stopped before event %" PRIu64 " as asked; the %zu "
                "events before it are identical\n", run->stopped_at, rep->n);
        rc = 0;
    } else if (rep->n < rec->n && !rec->ended &&
               note_of(run->notes, "end", UINT64_MAX, msg, sizeof msg)) {
        /* A recording cut short (killed): its log ends a little before
         * its trace does, and the replay stops there. */
        fprintf(out, "replayed %zu events, identical (the recorded run was "
                "cut short: its log ends after event %zu of %zu)\n", n, n,
                rec->n);
        rc = 0;
    } else if (rep->n < rec->n || (rep->n > rec->n && rec->ended)) {
        report(out, rec, rep, run, i);
    } else if (note_of(run->notes, "content", UINT64_MAX, msg, sizeof msg)) {
        fprintf(out, "coscope replay: %zu events identical, but a write's "
                "content differs: %s\n", n, msg);
    } else {
        fprintf(out, "replayed %zu events, identical%s\n", n,
                rec->ended ? "" : " (the recording ends there)");
        rc = 0;
    }
    tr_replay_free(rep);
    return rc;
}
