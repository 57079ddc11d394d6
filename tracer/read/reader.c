/* tracer/read/reader.c: trace file -> sorted event array.
 * The file is mmapped and read line by line in place (flat.c or cJSON per
 * line, never a DOM of the whole file); big files are split at line boundaries and the
 * chunks parsed on several threads, then merged so that results, string ids
 * and line numbers are exactly those of a serial read.
 *
 * What is an error and what is a warning (tests assert these messages):
 *   errors (tr_load fails, -EINVAL): empty file; a first line that is not the
 *   header; format other than "coscope"; version other than 1; a whole line
 *   that is not one JSON object (or is empty, or longer than 1 MiB); a
 *   missing / mistyped / out-of-range field of a known event kind; invalid
 *   UTF-8 in a name, at, msg or err; \u0000 in any string; `t` going backwards among loop-thread
 *   events (all but work_begin / work_end, which worker threads write
 *   out of order); and, found by the model (model.c), an event for a task
 *   never spawned (its task, spawn's parent or ready's by) or a task
 *   spawned twice.
 *   warnings (tr_load succeeds): a last line cut short (the file's last
 *   line, without its '\n', unparsable: dropped) or no `end` line, one message "path:
 *   trace cut short after 1.28 s"; events of unknown kinds and unknown
 *   fields, skipped, counted and summarised in one message.
 * Files: regular ones are mapped; pipes, FIFOs, standard input ("-") and
 * files sized 0 (/proc) are streams read into memory with a bound; devices
 * are refused by kind. No read goes further than one longest line past the
 * start of a line, so a sparse file or endless stream of zeros stops at its
 * first over-long line.
 * parse.c reads one chunk of lines; this file splits, runs, merges, sorts.
 * Syntax and field errors are found while parsing, model errors after: a
 * file with both reports the first syntax error even if a model error comes
 * on an earlier line. Integers are read exactly to 64 bits (parse.c), and
 * lines must be strict JSON: no raw control bytes in strings, no "007". */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tr_int.h"

static _Thread_local char last_error[512];
static size_t parallel_threshold = (size_t)64 << 20;


const char *tr_last_error(void) { return last_error; }

void tr__set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

size_t tr__set_parallel_threshold(size_t bytes)
{
    size_t old = parallel_threshold;
    parallel_threshold = bytes;
    return old;
}

/* ---- whole file ---- */

/* An event out of place, with its line: the sort key is (t, line). */
typedef struct lined {
    tr_event e;
    uint32_t line;
} lined;

static int compare_lined(const void *a, const void *b)
{
    const lined *x = a, *y = b;
    if (x->e.t != y->e.t)
        return x->e.t < y->e.t ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int later(const tr_event *e, uint32_t line, const lined *w)
{
    return e->t != w->e.t ? e->t > w->e.t : line > w->line;
}

/* Loop-thread events are already in order (checked while parsing); only
 * work_begin/end from pool threads may be late. Take them out, sort them,
 * merge them back from the end: no second full-size array. Ties keep file
 * order (t, then line), so the sort is stable. */
static int sort_events(tr_trace *tr)
{
    tr_event *ev = tr->ev;
    uint32_t *ln = tr->lines;
    size_t n = tr->nev, i, nw = 0, j = 0;
    for (i = 1; i < n && ev[i].t >= ev[i - 1].t; i++)
        ;
    if (i >= n)
        return 0;
    for (i = 0; i < n; i++)
        nw += ev[i].ev == TR_EV_WORK_BEGIN || ev[i].ev == TR_EV_WORK_END;
    lined *w = malloc(nw * sizeof *w);
    if (!w)
        return -ENOMEM;
    nw = 0;
    for (i = 0; i < n; i++) {
        if (ev[i].ev == TR_EV_WORK_BEGIN || ev[i].ev == TR_EV_WORK_END) {
            w[nw++] = (lined){ev[i], ln[i]};
        } else {
            ln[j] = ln[i];
            ev[j++] = ev[i];
        }
    }
    qsort(w, nw, sizeof *w, compare_lined);
    size_t d = n;
    while (nw > 0) {
        if (j > 0 && later(&ev[j - 1], ln[j - 1], &w[nw - 1])) {
            --d, --j;
            ev[d] = ev[j];
            ln[d] = ln[j];
        } else {
            --d, --nw;
            ev[d] = w[nw].e;
            ln[d] = w[nw].line;
        }
    }
    free(w);
    return 0;
}

/* Replaces the line of every event by runs of consecutive lines when that
 * takes less memory (it does unless most events are out of file order). */
static int compress_lines(tr_trace *tr)
{
    size_t n = tr->nev, nr = 0;
    for (size_t i = 0; i < n; i++)
        nr += i == 0 || tr->lines[i] != tr->lines[i - 1] + 1;
    if (nr * sizeof(tr__linerun) >= n * sizeof(uint32_t))
        return 0;
    tr__linerun *r = malloc((nr ? nr : 1) * sizeof *r);
    if (!r)
        return -ENOMEM;
    nr = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || tr->lines[i] != tr->lines[i - 1] + 1)
            r[nr++] = (tr__linerun){(uint32_t)i, tr->lines[i]};
    free(tr->lines);
    tr->lines = NULL;
    tr->runs = r;
    tr->nruns = nr;
    return 0;
}

static void plural(char *buf, size_t n, uint64_t k, const char *what)
{
    snprintf(buf, n, "%llu %s%s", (unsigned long long)k, what, k == 1 ? "" : "s");
}

static int finish_warnings(tr_trace *tr, const tr__unknown *u)
{
    int rc = 0;
    const tr_header *h = &tr->head;
    if (h->unknown_events || h->unknown_fields) {
        char a[160] = "", b[160] = "", x[64];
        if (h->unknown_events) {
            plural(x, sizeof x, h->unknown_events, "event");
            snprintf(a, sizeof a, "%s of unknown kind (first \"%s\" on line %llu)", x,
                     u->ev, u->ev_line);
        }
        if (h->unknown_fields) {
            plural(x, sizeof x, h->unknown_fields, "unknown field");
            snprintf(b, sizeof b, "%s (first \"%s\" on line %llu)", x, u->field,
                     u->field_line);
        }
        rc = tr__warn(tr, "%s: skipped %s%s%s", tr->name, a, *a && *b ? " and " : "", b);
    }
    if (rc == 0 && h->truncated) {
        char d[32];
        rc = tr__warn(tr, "%s: trace cut short after %s", tr->name,
                      tr_fmt_dur(d, sizeof d, h->duration));
    }
    return rc;
}

/* Events are copied from a chunk to the whole trace's array in steps of
 * this many, and the chunk's pages given back behind the copy, so the two
 * copies are never both resident. */
#define MOVE_STEP ((size_t)1 << 16)

/* Gives the whole pages inside [p, p + n) back to the kernel. The memory
 * is never read again before it is freed; pages holding malloc's headers
 * (outside the range) are kept. */
static void drop_pages(void *p, size_t n)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~(page - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

/* Merge, phase 1: the first error in file order wins (a chunk's own, or
 * `t` going backwards across a chunk boundary); the line count must fit. */
static int merge_check(tr_trace *tr, const tr__chunk *ch, int nch)
{
    uint64_t off = 0;
    int have_prev = 0;
    int64_t prev_t = 0;
    for (int k = 0; k < nch; k++) {
        const tr__chunk *c = &ch[k];
        if (c->err == -ECANCELED) {
            tr__set_error("%s: load cancelled", tr->name);
            return -ECANCELED;
        }
        if (have_prev && c->have_loop && c->first_loop_t < prev_t) {
            tr__set_error("%s:%llu: \"t\" goes backwards (%lld after %lld)", tr->name,
                          (unsigned long long)(off + c->first_loop_line),
                          (long long)c->first_loop_t, (long long)prev_t);
            return -EINVAL;
        }
        if (c->err) {
            if (c->err == -ENOMEM)
                tr__set_error("%s: out of memory", tr->name);
            else
                tr__set_error("%s:%llu: %s", tr->name,
                              (unsigned long long)(off + c->err_line), c->msg);
            return c->err;
        }
        if (c->have_loop) {
            prev_t = c->last_loop_t;
            have_prev = 1;
        }
        off += c->nlines;
    }
    if (off > UINT32_MAX) {
        tr__set_error("%s: more than 4294967295 lines", tr->name);
        return -EINVAL;
    }
    return 0;
}

/* Merge, phase 2: chunk 0's arrays become the trace's, grown (moved, not
 * copied) to hold every chunk's events and wide values. */
static int merge_take_first(tr_trace *tr, tr__chunk *ch, int nch)
{
    size_t total = 0, nwide = 0;
    for (int k = 0; k < nch; k++) {
        total += ch[k].nev;
        nwide += ch[k].nwide;
    }
    if (total >= UINT32_MAX) {
        tr__set_error("%s: more than 4294967294 events", tr->name);
        return -EINVAL;
    }
    tr->st = ch[0].st;
    memset(&ch[0].st, 0, sizeof ch[0].st);
    tr->ev = ch[0].ev;
    tr->lines = ch[0].line;
    tr->wide = ch[0].wide;
    tr->nev = ch[0].nev;
    tr->nwide = ch[0].nwide;
    tr->sd = ch[0].sd;
    memset(&ch[0].sd, 0, sizeof ch[0].sd);
    ch[0].ev = NULL;
    ch[0].line = NULL;
    ch[0].wide = NULL;
    if (nch > 1) { /* big blocks: realloc moves pages, it does not copy */
        tr_event *ev = realloc(tr->ev, (total ? total : 1) * sizeof *ev);
        if (ev)
            tr->ev = ev;
        uint32_t *ln = ev ? realloc(tr->lines, (total ? total : 1) * sizeof *ln) : NULL;
        if (ln)
            tr->lines = ln;
        tr__wide *wd = ln ? realloc(tr->wide, (nwide ? nwide : 1) * sizeof *wd) : NULL;
        if (!wd)
            return -ENOMEM;
        tr->wide = wd;
    }
    return 0;
}

/* Merge, phase 3, for each later chunk: its strings re-interned in file
 * order, its wide values, stacks and events appended (lines offset by off),
 * its pages given back behind the copy. */
int tr__merge_append(tr_trace *tr, tr__chunk *c, uint64_t off)
{
    uint32_t *remap = malloc((size_t)c->st.n * sizeof *remap);
    if (!remap)
        return -ENOMEM;
    for (uint32_t id = 0; id < c->st.n; id++) {
        const char *s = tr__str(&c->st, id);
        if (tr__intern(&tr->st, s, strlen(s), &remap[id]) != 0) {
            free(remap);
            return -ENOMEM;
        }
    }
    if (tr->nwide + c->nwide > INT32_MAX) {
        free(remap);
        tr__set_error("%s: too many values beyond 32 bits", tr->name);
        return -EINVAL;
    }
    for (size_t i = 0; i < c->nwide; i++) { /* (tr->wide is NULL while none) */
        tr__wide *wd = &tr->wide[tr->nwide + i];
        *wd = c->wide[i];
        wd->at = remap[wd->at];
    }
    if (tr__stack_merge(tr, &c->sd, tr->nev, remap) != 0) {
        free(remap);
        return -ENOMEM;
    }
    tr_event *dst = tr->ev + tr->nev;
    uint32_t *dl = tr->lines + tr->nev;
    for (size_t i0 = 0; i0 < c->nev; i0 += MOVE_STEP) {
        size_t i1 = c->nev - i0 < MOVE_STEP ? c->nev : i0 + MOVE_STEP;
        for (size_t i = i0; i < i1; i++) {
            dst[i] = c->ev[i];
            dst[i].s = remap[dst[i].s];
            if (dst[i].v == TR_EV_WIDE)
                dst[i].v2 += (int32_t)tr->nwide;
            dl[i] = c->line[i] + (uint32_t)off;
        }
        drop_pages(c->ev + i0, (i1 - i0) * sizeof *c->ev);
        drop_pages(c->line + i0, (i1 - i0) * sizeof *c->line);
    }
    tr->nev += c->nev;
    tr->nwide += c->nwide;
    free(remap);
    free(c->ev);
    free(c->line);
    free(c->wide);
    c->ev = NULL;
    c->line = NULL;
    c->wide = NULL;
    return 0;
}

/* Merge, phase 4: the header from chunk 0; end, truncation and the unknown
 * kinds and fields (first ones with absolute lines) from all chunks. */
static void merge_header(tr_trace *tr, const tr__chunk *ch, int nch, tr__unknown *u)
{
    tr_header *h = &tr->head;
    h->program = NULL; /* set once the string table stops moving */
    h->pid = ch[0].pid;
    h->unix_ns = ch[0].unix_ns;
    h->has_seed = ch[0].has_seed;
    h->seed = (uint64_t)ch[0].seed;
    h->version = ch[0].version;
    int has_end = 0;
    uint64_t off = 0;
    for (int k = 0; k < nch; k++) {
        const tr__chunk *c = &ch[k];
        h->truncated |= c->truncated;
        if (c->has_end) {
            has_end = 1;
            h->end_events = (uint64_t)c->end_events;
            h->end_dropped = (uint64_t)c->end_dropped;
        }
        if (c->unk_events && !h->unknown_events) {
            memcpy(u->ev, c->unk_ev, sizeof u->ev);
            u->ev_line = off + c->unk_ev_line;
        }
        if (c->unk_fields && !h->unknown_fields) {
            memcpy(u->field, c->unk_field, sizeof u->field);
            u->field_line = off + c->unk_field_line;
        }
        h->unknown_events += c->unk_events;
        h->unknown_fields += c->unk_fields;
        off += c->nlines;
    }
    h->truncated |= !has_end;
}

/* Merges the chunks (in file order) into tr: first error wins, line numbers
 * get each chunk's offset, string ids are re-interned in file order. */
static int merge(tr_trace *tr, tr__chunk *ch, int nch, tr__unknown *u)
{
    int rc = merge_check(tr, ch, nch);
    if (rc == 0)
        rc = merge_take_first(tr, ch, nch);
    uint64_t off = ch[0].nlines;
    for (int k = 1; rc == 0 && k < nch; k++) {
        rc = tr__merge_append(tr, &ch[k], off);
        off += ch[k].nlines;
    }
    if (rc == 0 && tr->nev == 0) { /* keep a valid pointer for an empty list */
        free(tr->ev);
        tr->ev = malloc(sizeof *tr->ev);
        rc = tr->ev ? 0 : -ENOMEM;
    }
    if (rc == -ENOMEM)
        tr__set_error("%s: out of memory", tr->name);
    if (rc == 0)
        merge_header(tr, ch, nch, u);
    return rc;
}

int tr__finish(tr_trace *tr, uint32_t program, const tr__unknown *u)
{
    tr__refs_to_ranks(tr); /* stacks and on-CPU figures follow their events */
    int rc = sort_events(tr);
    tr__refs_from_ranks(tr);
    if (rc != 0 || (rc = compress_lines(tr)) != 0) {
        tr__set_error("%s: out of memory", tr->name);
        return rc;
    }
    tr->head.program = tr__str(&tr->st, program);
    tr->head.duration = tr->nev ? tr->ev[tr->nev - 1].t : 0;
    if ((rc = tr__model_build(tr)) != 0 || (rc = tr__stack_finish(tr)) != 0)
        return rc;
    if ((rc = finish_warnings(tr, u)) != 0)
        tr__set_error("%s: out of memory", tr->name);
    return rc;
}

static int nthreads(const tr_load_opts *opts)
{
    long n = opts && opts->threads > 0 ? opts->threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

/* Splits data into n chunks that end just after a '\n' (or at the end). */
static void split(tr__chunk *ch, int n, const char *data, size_t len)
{
    size_t start = 0;
    for (int k = 0; k < n; k++) {
        size_t stop = len;
        if (k < n - 1) {
            size_t pos = len / (size_t)n * (size_t)(k + 1);
            if (pos < start)
                pos = start;
            /* No further than one longest line: past it, the chunk that
             * holds the line reports it (a sparse file of zeros is not
             * read to its end to find a boundary). */
            size_t look = len - pos < TR__MAX_LINE + 2 ? len - pos : TR__MAX_LINE + 2;
            if (pos > 0 && data[pos - 1] == '\n') {
                stop = pos;
            } else {
                const char *nl = memchr(data + pos, '\n', look);
                stop = nl ? (size_t)(nl - data) + 1 : pos + look;
            }
        }
        ch[k].p = data + start;
        ch[k].len = stop - start;
        ch[k].first = k == 0;
        ch[k].last = stop == len;
        start = stop;
    }
}

/* Waits for a parse thread, calling the progress callback meanwhile. */
static void join_with_progress(tr__loader *ld, pthread_t thr)
{
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_timedjoin_np(thr, NULL, &ts) == 0)
            return;
        if (ld->opts && ld->opts->progress &&
            ld->opts->progress(ld->opts->progress_ctx, atomic_load(&ld->done), ld->total))
            atomic_store(&ld->cancel, 1);
    }
}

static int load(const char *name, const char *data, size_t len, const tr_load_opts *opts,
                int mapped, tr_trace **out)
{
    *out = NULL;
    if (len == 0) {
        tr__set_error("%s: empty file", name);
        return -EINVAL;
    }
    tr__parse_init();
    int nch = len > parallel_threshold ? nthreads(opts) : 1;
    if (len < (size_t)nch * 2)
        nch = 1;
    tr__loader ld = {.name = name, .mapped = mapped, .opts = opts, .total = len};
    atomic_init(&ld.done, 0);
    atomic_init(&ld.cancel, 0);
    tr__chunk *ch = calloc((size_t)nch, sizeof *ch);
    pthread_t *thr = calloc((size_t)nch, sizeof *thr);
    char *started = calloc((size_t)nch, 1);
    tr_trace *tr = calloc(1, sizeof *tr);
    tr__unknown unk;
    memset(&unk, 0, sizeof unk);
    int rc = -ENOMEM;
    if (!ch || !thr || !started || !tr || !(tr->name = strdup(name))) {
        tr__set_error("%s: out of memory", name);
        goto done;
    }
    split(ch, nch, data, len);
    for (int k = 0; k < nch; k++) {
        ch[k].ld = &ld;
        if (tr__strtab_init(&ch[k].st) != 0) {
            tr__set_error("%s: out of memory", name);
            goto done;
        }
    }
    for (int k = 1; k < nch; k++)
        started[k] = pthread_create(&thr[k], NULL, tr__chunk_run, &ch[k]) == 0;
    tr__chunk_run(&ch[0]);
    for (int k = 1; k < nch; k++) {
        if (started[k])
            join_with_progress(&ld, thr[k]);
        else
            tr__chunk_run(&ch[k]); /* no thread: parse it here */
    }
    if ((rc = merge(tr, ch, nch, &unk)) != 0)
        goto done;
    if (opts && opts->progress && opts->progress(opts->progress_ctx, len, len)) {
        tr__set_error("%s: load cancelled", name);
        rc = -ECANCELED;
        goto done;
    }
    if ((rc = tr__finish(tr, ch[0].program, &unk)) != 0)
        goto done;
    *out = tr;
    tr = NULL;
done:
    for (int k = 0; ch && k < nch; k++) {
        free(ch[k].ev);
        free(ch[k].line);
        free(ch[k].wide);
        tr__stackdata_free(&ch[k].sd);
        tr__strtab_free(&ch[k].st);
    }
    free(ch);
    free(thr);
    free(started);
    tr_free(tr);
    return rc;
}

int tr_load_mem(const char *name, const char *data, size_t len, const tr_load_opts *opts,
                tr_trace **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!name)
        name = "(memory)";
    if (!data && len) {
        tr__set_error("%s: no data", name);
        return -EINVAL;
    }
    return load(name, data, len, opts, 0, out);
}

/* ---- files that are not mapped: pipes, standard input, /proc ---- */

/* What a stream is bounded by: it is read into memory before parsing, so a
 * pipe that never ends (`yes |`, a FIFO fed from /dev/zero) must fail, not
 * take the machine's memory. Bigger traces are read from a regular file. */
static size_t stream_max = (size_t)1 << 30;

size_t tr__set_stream_limit(size_t bytes)
{
    size_t old = stream_max;
    stream_max = bytes;
    return old;
}

/* The kind of a file that is neither regular nor a directory, for the
 * "not a regular file" message. */
static const char *file_kind(mode_t m)
{
    return S_ISCHR(m)    ? "character device"
           : S_ISBLK(m)  ? "block device"
           : S_ISSOCK(m) ? "socket"
           : S_ISFIFO(m) ? "FIFO"
                         : "unknown file type";
}

/* The stream state while reading: where the current (unfinished) line
 * starts and how many lines are whole, so that an over-long line stops the
 * read at once with the parser's own message. */
typedef struct stream {
    char *buf;
    size_t len, cap, line_start;
    unsigned long long lines;
} stream;

/* Takes in the r bytes just read at s->buf + s->len. Returns 0, or -EINVAL
 * (message set) when the line being read is already over-long. */
static int stream_took(stream *s, const char *name, size_t r)
{
    const char *p = s->buf + s->len, *end = p + r;
    const char *nl;
    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        s->lines++;
        s->line_start = (size_t)(nl - s->buf) + 1;
        p = nl + 1;
    }
    s->len += r;
    if (s->len - s->line_start > TR__MAX_LINE + 1) { /* + 1: a '\r' */
        tr__set_error("%s:%llu: line longer than 1 MiB", name, s->lines + 1);
        return -EINVAL;
    }
    return 0;
}

/* Once line 1 is whole, it must be the header: a stream of anything else
 * (`yes |`) fails there, not at the bound. Parses line 1 alone. */
static int check_first_line(const stream *s, const char *name)
{
    tr_trace *tr = NULL;
    int rc = load(name, s->buf, s->line_start, NULL, 0, &tr);
    tr_free(tr);
    return rc;
}

/* Reads fd to its end into s->buf, at most stream_max bytes. */
static int read_stream(stream *s, const char *name, int fd)
{
    for (;;) {
        if (s->len == s->cap) {
            if (s->cap > stream_max) {
                tr__set_error("%s: more than %zu MiB from a stream (a pipe is read into "
                              "memory: save the trace to a file)",
                              name, stream_max >> 20);
                return -EFBIG;
            }
            size_t cap = s->cap ? s->cap * 2 : (size_t)1 << 16;
            if (cap > stream_max + 1)
                cap = stream_max + 1; /* one byte over says "too big" */
            char *nb = realloc(s->buf, cap);
            if (!nb) {
                tr__set_error("%s: out of memory", name);
                return -ENOMEM;
            }
            s->buf = nb;
            s->cap = cap;
        }
        ssize_t r = read(fd, s->buf + s->len, s->cap - s->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* a non-blocking descriptor (our FIFO open, or an inherited
             * stdin): wait here rather than change flags the file
             * description shares with other processes */
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, -1) >= 0 || errno == EINTR)
                continue;
        }
        if (r < 0) {
            int e = errno;
            tr__set_error("%s: %s", name, strerror(e));
            return -e;
        }
        if (r == 0)
            return 0;
        unsigned long long had = s->lines;
        int rc = stream_took(s, name, (size_t)r);
        if (rc == 0 && had == 0 && s->lines > 0)
            rc = check_first_line(s, name);
        if (rc)
            return rc;
    }
}

/* Pipes, standard input and files the kernel sizes 0 (/proc): read into
 * memory, bounded. fifo: say so when nothing came (no writer). */
static int load_stream(const char *name, int fd, int fifo, const tr_load_opts *opts,
                       tr_trace **out)
{
    stream s = {0};
    int rc = read_stream(&s, name, fd);
    if (rc == 0 && s.len == 0 && fifo) {
        tr__set_error("%s: empty (a FIFO or pipe with no writer, or nothing written)", name);
        rc = -EINVAL;
    }
    if (rc == 0)
        rc = load(name, s.buf, s.len, opts, 0, out);
    free(s.buf);
    return rc;
}

/* Loads an open file: mapped when regular, else a bounded stream; devices
 * and sockets are refused by kind. Does not close fd. */
static int load_fd(const char *name, int fd, const tr_load_opts *opts, tr_trace **out)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        tr__set_error("%s: %s", name, strerror(e));
        return -e;
    }
    if (S_ISDIR(sb.st_mode)) {
        tr__set_error("%s: %s", name, strerror(EISDIR));
        return -EISDIR;
    }
    if (S_ISFIFO(sb.st_mode)) /* opened without blocking: the reads poll */
        return load_stream(name, fd, 1, opts, out);
    if (!S_ISREG(sb.st_mode)) {
        tr__set_error("%s: not a regular file: %s", name, file_kind(sb.st_mode));
        return -EINVAL;
    }
    size_t len = (size_t)sb.st_size;
    if (len == 0) /* empty, or sized 0 by the kernel (/proc): read to see */
        return load_stream(name, fd, 0, opts, out);
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED && errno == ENODEV)
        return load_stream(name, fd, 0, opts, out); /* no mmap here (sysfs) */
    if (p == MAP_FAILED) {
        int e = errno;
        tr__set_error("%s: %s", name, strerror(e));
        return -e;
    }
    madvise(p, len, MADV_SEQUENTIAL);
    int rc = load(name, p, len, opts, 1, out);
    munmap(p, len);
    return rc;
}

int tr_load(const char *path, const tr_load_opts *opts, tr_trace **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!path) {
        tr__set_error("(null): no path");
        return -EINVAL;
    }
    if (strcmp(path, "-") == 0)
        return load_fd("(stdin)", STDIN_FILENO, opts, out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        tr__set_error("%s: %s", path, strerror(e));
        return -e;
    }
    int rc = load_fd(path, fd, opts, out);
    close(fd);
    return rc;
}
