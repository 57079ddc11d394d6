/* tracer/read/follow.c: a trace read while it is being written (tr_follow).
 * Each poll reads the file from where the last one stopped, whole lines
 * only (a partial last line waits for its '\n'), parses them as one more
 * chunk (parse.c) and appends that, in file order, to what was read so far
 * (`raw`). What callers see is a tr_trace rebuilt from `raw` after a poll
 * that added events (lines of other kinds wait for the next one) — sorted, modelled, stacks and warnings, as tr_load
 * builds one — then swapped into the same struct, so the caller's pointer
 * stays valid while the arrays behind it move (tr_follow_fetch builds it
 * aside, tr_follow_swap swaps it in: a viewer fetches on a thread while it
 * draws the trace it has). Nothing is read or parsed twice; the rebuild costs O(events) (plus the caller's tr_analyze), which
 * is why callers poll a few times a second at most.
 * Standard input ("-", named "(stdin)") and named pipes are followed too:
 * a poll takes what has come without waiting (poll(2), so stdin's flags
 * are left alone) and keeps a partial last line for the next.
 * A bad line ends the following there (a sticky error, "file:line: what"):
 * the lines before it in the same poll are kept when the parser found it;
 * when the model finds it (a task never spawned) the whole poll is undone.
 * Either way the trace shown stays a valid one. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tr_int.h"

/* The most read (and parsed) in one step; a poll takes as many as there are. */
#define BLOCK ((size_t)16 << 20)
/* A pipe is read this much at a time, and at most STREAM_POLL_MAX a poll so
 * that a writer faster than the parser cannot hold a poll forever. */
#define STREAM_READ ((size_t)1 << 20)
#define STREAM_POLL_MAX (4 * BLOCK)

/* What a poll may have to undo: raw's sizes before it. */
typedef struct mark {
    size_t nev, nwide, nrefs, ncpus, ndefs, npcs, nmods;
    uint64_t off, nlines, unknown_events, unknown_fields, end_events, end_dropped;
    int has_end, have_loop;
    int64_t last_loop_t;
    tr__unknown unk;
} mark;

struct tr_follow {
    char *path;
    int fd;
    int stream;      /* a pipe: read as it comes, no offsets, no size */
    char *pend;      /* a pipe's bytes read but not taken (a partial line) */
    size_t npend, pendcap;
    uint64_t off;    /* bytes of whole lines consumed */
    uint64_t nlines; /* lines consumed */
    tr_trace *raw;   /* events in file order, a line each; NULL before line 1 */
    size_t evcap, widecap;
    uint32_t program; /* the header's program, in raw's strings */
    tr__unknown unk;
    int has_end; /* an end, fatal or halt line was read */
    int have_loop;
    int64_t last_loop_t; /* of the last loop-thread event: "t" may not go back */
    tr_trace *tr;        /* what callers see */
    int shown_end;       /* tr holds the end line */
    tr_trace *next;      /* built by a fetch, not swapped in yet */
    int next_end;
    int err;             /* sticky: 0 or the negative errno of the stop */
    char msg[512];
};

static int stop(tr_follow *f, int err)
{
    f->err = err;
    snprintf(f->msg, sizeof f->msg, "%s", tr_last_error());
    return err;
}

/* The descriptor to follow path on: standard input for "-" (a duplicate,
 * so freeing the follow leaves fd 0 open), else the file opened without
 * waiting for a FIFO's writer. *stream: a pipe or FIFO. */
static int open_input(const char *path, const char *name, int *stream)
{
    int fd = strcmp(path, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
                                    : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        tr__set_error("%s: %s", name, strerror(e));
        if (fd >= 0)
            close(fd);
        return -e;
    }
    *stream = S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode);
    if (!S_ISREG(sb.st_mode) && !*stream) {
        tr__set_error("%s: following needs a regular file (one being written) or a pipe",
                      name);
        close(fd);
        return -EINVAL;
    }
    return fd;
}

int tr_follow_open(const char *path, tr_follow **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!path) {
        tr__set_error("(null): no path");
        return -EINVAL;
    }
    const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path; /* as tr_load says */
    int stream = 0;
    int fd = open_input(path, name, &stream);
    if (fd < 0)
        return fd;
    tr_follow *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(name))) {
        free(f);
        close(fd);
        tr__set_error("%s: out of memory", name);
        return -ENOMEM;
    }
    f->fd = fd;
    f->stream = stream;
    *out = f;
    return 0;
}

void tr_follow_free(tr_follow *f)
{
    if (!f)
        return;
    close(f->fd);
    free(f->pend);
    tr_free(f->raw);
    tr_free(f->tr);
    tr_free(f->next);
    free(f->path);
    free(f);
}

tr_trace *tr_follow_trace(tr_follow *f) { return f ? f->tr : NULL; }
int tr_follow_ended(const tr_follow *f) { return f && f->shown_end; }
uint64_t tr_follow_offset(const tr_follow *f) { return f ? f->off : 0; }

static mark take_mark(const tr_follow *f)
{
    mark m;
    memset(&m, 0, sizeof m);
    const tr_trace *r = f->raw;
    if (r) {
        m.nev = r->nev, m.nwide = r->nwide;
        m.nrefs = r->sd.nrefs, m.ncpus = r->sd.ncpus, m.ndefs = r->sd.ndefs;
        m.npcs = r->sd.npcs, m.nmods = r->sd.nmods;
        m.unknown_events = r->head.unknown_events;
        m.unknown_fields = r->head.unknown_fields;
        m.end_events = r->head.end_events, m.end_dropped = r->head.end_dropped;
    }
    m.off = f->off;
    m.nlines = f->nlines;
    m.has_end = f->has_end, m.have_loop = f->have_loop;
    m.last_loop_t = f->last_loop_t;
    m.unk = f->unk;
    return m;
}

/* Back to the sizes of m (strings interned since stay: nothing refers to
 * them). The first poll's header stays too, as the trace never showed. */
static void undo(tr_follow *f, const mark *m)
{
    tr_trace *r = f->raw;
    if (r) {
        r->nev = m->nev, r->nwide = m->nwide;
        r->sd.nrefs = m->nrefs, r->sd.ncpus = m->ncpus, r->sd.ndefs = m->ndefs;
        r->sd.npcs = m->npcs, r->sd.nmods = m->nmods;
        r->head.unknown_events = m->unknown_events;
        r->head.unknown_fields = m->unknown_fields;
        r->head.end_events = m->end_events, r->head.end_dropped = m->end_dropped;
    }
    f->off = m->off;
    f->nlines = m->nlines;
    f->has_end = m->has_end, f->have_loop = m->have_loop;
    f->last_loop_t = m->last_loop_t;
    f->unk = m->unk;
}

/* Room in raw's arrays for n more events and nw more wide values. */
static int reserve(tr_follow *f, size_t n, size_t nw)
{
    tr_trace *r = f->raw;
    if (r->nev + n > f->evcap) {
        size_t cap = f->evcap ? f->evcap : 4096;
        while (cap < r->nev + n)
            cap *= 2;
        tr_event *ev = realloc(r->ev, cap * sizeof *ev);
        if (!ev)
            return -ENOMEM;
        r->ev = ev;
        uint32_t *ln = realloc(r->lines, cap * sizeof *ln);
        if (!ln)
            return -ENOMEM; /* ev grew alone: harmless, evcap says the least */
        r->lines = ln;
        f->evcap = cap;
    }
    if (r->nwide + nw > f->widecap) {
        size_t cap = f->widecap ? f->widecap : 64;
        while (cap < r->nwide + nw)
            cap *= 2;
        tr__wide *w = realloc(r->wide, cap * sizeof *w);
        if (!w)
            return -ENOMEM;
        r->wide = w;
        f->widecap = cap;
    }
    return 0;
}

/* The first chunk (line 1, the header) becomes raw: its arrays taken. */
static int take_first(tr_follow *f, tr__chunk *c)
{
    tr_trace *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(f->path))) {
        free(r);
        return -ENOMEM;
    }
    r->st = c->st;
    r->sd = c->sd;
    r->ev = c->ev;
    r->lines = c->line;
    r->wide = c->wide;
    r->nev = c->nev;
    r->nwide = c->nwide;
    memset(&c->st, 0, sizeof c->st);
    memset(&c->sd, 0, sizeof c->sd);
    c->ev = NULL;
    c->line = NULL;
    c->wide = NULL;
    f->evcap = c->cap;
    f->widecap = c->widecap;
    r->head.pid = c->pid;
    r->head.unix_ns = c->unix_ns;
    r->head.version = c->version;
    f->program = c->program;
    f->raw = r;
    return 0;
}

/* A parsed chunk (no error) appended to raw, with its header facts. */
static int commit(tr_follow *f, tr__chunk *c)
{
    if (f->nlines + c->nlines > UINT32_MAX ||
        (f->raw ? f->raw->nev : 0) + c->nev >= UINT32_MAX) {
        tr__set_error("%s: more than 4294967294 lines", f->path);
        return -EINVAL;
    }
    int rc = f->raw ? reserve(f, c->nev, c->nwide) : take_first(f, c);
    if (rc == 0 && c->ev)
        rc = tr__merge_append(f->raw, c, f->nlines);
    if (rc == -ENOMEM)
        tr__set_error("%s: out of memory", f->path);
    if (rc)
        return rc;
    tr_header *h = &f->raw->head;
    if (c->unk_events && !h->unknown_events) {
        memcpy(f->unk.ev, c->unk_ev, sizeof f->unk.ev);
        f->unk.ev_line = f->nlines + c->unk_ev_line;
    }
    if (c->unk_fields && !h->unknown_fields) {
        memcpy(f->unk.field, c->unk_field, sizeof f->unk.field);
        f->unk.field_line = f->nlines + c->unk_field_line;
    }
    h->unknown_events += c->unk_events;
    h->unknown_fields += c->unk_fields;
    if (c->has_end) {
        f->has_end = 1;
        h->end_events = (uint64_t)c->end_events;
        h->end_dropped = (uint64_t)c->end_dropped;
    }
    if (c->have_loop) {
        f->have_loop = 1;
        f->last_loop_t = c->last_loop_t;
    }
    f->nlines += c->nlines;
    return 0;
}

static void chunk_free(tr__chunk *c)
{
    free(c->ev);
    free(c->line);
    free(c->wide);
    tr__stackdata_free(&c->sd);
    tr__strtab_free(&c->st);
}

/* Parses data[0..len) (whole lines) into *c: 0, or c->err with its line. */
static int parse(tr_follow *f, tr__loader *ld, const char *data, size_t len, tr__chunk *c)
{
    memset(c, 0, sizeof *c);
    c->ld = ld;
    c->p = data;
    c->len = len;
    c->first = f->raw == NULL;
    if (tr__strtab_init(&c->st) != 0) {
        c->err = -ENOMEM;
        snprintf(c->msg, sizeof c->msg, "out of memory");
        return c->err;
    }
    tr__chunk_run(c);
    if (!c->err && c->have_loop && f->have_loop && c->first_loop_t < f->last_loop_t) {
        c->err = -EINVAL;
        c->err_line = c->first_loop_line;
        snprintf(c->msg, sizeof c->msg, "\"t\" goes backwards (%lld after %lld)",
                 (long long)c->first_loop_t, (long long)f->last_loop_t);
    }
    return c->err;
}

/* Byte offset where line `line` (1-based) of data starts. */
static size_t line_start(const char *data, size_t len, uint32_t line)
{
    size_t pos = 0;
    for (uint32_t l = 1; l < line && pos < len; l++) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        pos = nl ? (size_t)(nl - data) + 1 : len;
    }
    return pos;
}

/* One block of whole lines: parsed and appended. When a line is bad, the
 * lines before it are appended first, then the error is returned. */
static int take_lines(tr_follow *f, const char *data, size_t len)
{
    tr__loader ld = {.name = f->path, .total = len};
    atomic_init(&ld.done, 0);
    atomic_init(&ld.cancel, 0);
    tr__chunk c;
    tr__parse_init();
    int rc = parse(f, &ld, data, len, &c);
    if (rc == 0) {
        rc = commit(f, &c);
        chunk_free(&c);
        return rc;
    }
    char msg[sizeof c.msg];
    uint64_t line = f->nlines + c.err_line;
    snprintf(msg, sizeof msg, "%s", c.msg);
    size_t good = rc == -ENOMEM ? 0 : line_start(data, len, c.err_line);
    chunk_free(&c);
    if (good > 0) {
        if (parse(f, &ld, data, good, &c) == 0 && commit(f, &c) == 0)
            f->off += good;
        chunk_free(&c);
    }
    if (rc == -ENOMEM)
        tr__set_error("%s: out of memory", f->path);
    else
        tr__set_error("%s:%llu: %s", f->path, (unsigned long long)line, msg);
    return rc;
}

/* The next trace callers will see, built from raw into f->next (the one
 * they see is not touched: another thread may be reading it). */
static int rebuild(tr_follow *f)
{
    const tr_trace *r = f->raw;
    tr_trace *t = calloc(1, sizeof *t);
    int rc = -ENOMEM;
    if (!t || !(t->name = strdup(r->name)))
        goto fail;
    t->ev = malloc((r->nev ? r->nev : 1) * sizeof *t->ev);
    t->lines = malloc((r->nev ? r->nev : 1) * sizeof *t->lines);
    t->wide = malloc((r->nwide ? r->nwide : 1) * sizeof *t->wide);
    if (!t->ev || !t->lines || !t->wide)
        goto fail;
    if (r->nev) {
        memcpy(t->ev, r->ev, r->nev * sizeof *t->ev);
        memcpy(t->lines, r->lines, r->nev * sizeof *t->lines);
    }
    if (r->nwide)
        memcpy(t->wide, r->wide, r->nwide * sizeof *t->wide);
    t->nev = r->nev;
    t->nwide = r->nwide;
    if (tr__strtab_copy(&t->st, &r->st) || tr__stackdata_copy(&t->sd, &r->sd))
        goto fail;
    t->head = r->head;
    t->head.truncated = !f->has_end; /* so far */
    if ((rc = tr__finish(t, f->program, &f->unk)) != 0)
        goto out;
    tr_free(f->next); /* an older one not swapped in: this one holds it all */
    f->next = t;
    f->next_end = f->has_end;
    return 0;
fail:
    tr__set_error("%s: out of memory", f->path);
out:
    tr_free(t);
    return rc;
}

tr_trace *tr_follow_next(tr_follow *f) { return f ? f->next : NULL; }

int tr_follow_swap(tr_follow *f)
{
    if (!f || !f->next)
        return 0;
    tr_trace *t = f->next;
    f->next = NULL;
    if (f->tr) { /* same struct, new contents: the caller's pointer holds */
        tr_trace old = *f->tr;
        *f->tr = *t;
        *t = old;
        tr_free(t);
    } else {
        f->tr = t;
    }
    f->shown_end = f->next_end;
    return 1;
}

/* Reads up to BLOCK bytes at f->off into buf; how many, or a negative errno. */
static long read_block(tr_follow *f, char *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(f->fd, buf + got, want - got, (off_t)(f->off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            tr__set_error("%s: %s", f->path, strerror(e));
            return -e;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (long)got;
}

/* Takes the whole lines at the start of buf[0..got); *used: their bytes
 * (0 while the last line is still being written, unless it is over-long). */
static int take_whole(tr_follow *f, const char *buf, size_t got, size_t *used, int *took)
{
    *used = 0;
    const char *nl = got ? memrchr(buf, '\n', got) : NULL;
    if (!nl) {
        if (got <= TR__MAX_LINE + 1)
            return 0;
        tr__set_error("%s:%llu: line longer than 1 MiB", f->path,
                      (unsigned long long)f->nlines + 1);
        return -EINVAL;
    }
    size_t len = (size_t)(nl - buf) + 1;
    uint64_t before = f->off;
    int rc = take_lines(f, buf, len);
    *took |= rc == 0 || f->off != before;
    if (rc == 0) {
        f->off += len;
        *used = len;
    }
    return rc;
}

/* Takes every whole line up to `size`; *took says whether any were. */
static int read_lines(tr_follow *f, uint64_t size, int *took)
{
    char *buf = NULL;
    size_t cap = 0, used = 1;
    int rc = 0;
    while (rc == 0 && used && f->off < size) {
        size_t want = size - f->off < BLOCK ? (size_t)(size - f->off) : BLOCK;
        if (want > cap) { /* as much as came, up to a block: appends are small */
            char *nb = realloc(buf, want);
            if (!nb) {
                tr__set_error("%s: out of memory", f->path);
                rc = -ENOMEM;
                break;
            }
            buf = nb;
            cap = want;
        }
        long got = read_block(f, buf, want);
        if (got < 0) {
            rc = (int)got;
            break;
        }
        rc = take_whole(f, buf, (size_t)got, &used, took);
    }
    free(buf);
    return rc;
}

/* One read of what a pipe has now (never waiting) onto f->pend: bytes
 * read, 0 when nothing is there (or its writer is gone), or an error. */
static long read_some(tr_follow *f)
{
    struct pollfd p = {.fd = f->fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
        return 0;
    if (f->pendcap - f->npend < STREAM_READ) {
        char *nb = realloc(f->pend, f->npend + STREAM_READ);
        if (!nb) {
            tr__set_error("%s: out of memory", f->path);
            return -ENOMEM;
        }
        f->pend = nb;
        f->pendcap = f->npend + STREAM_READ;
    }
    ssize_t r;
    do
        r = read(f->fd, f->pend + f->npend, f->pendcap - f->npend);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno != EAGAIN) {
        int e = errno;
        tr__set_error("%s: %s", f->path, strerror(e));
        return -e;
    }
    if (r > 0)
        f->npend += (size_t)r;
    return r > 0 ? (long)r : 0;
}

/* A pipe: its whole lines as they come; the partial last one waits in
 * f->pend for the rest. */
static int read_stream(tr_follow *f, int *took)
{
    size_t total = 0;
    int rc = 0;
    while (rc == 0 && total < STREAM_POLL_MAX) {
        long got = read_some(f);
        if (got <= 0) {
            rc = (int)got;
            break;
        }
        total += (size_t)got;
        size_t used;
        rc = take_whole(f, f->pend, f->npend, &used, took);
        memmove(f->pend, f->pend + used, f->npend - used);
        f->npend -= used;
    }
    return rc;
}

long tr_follow_poll(tr_follow *f)
{
    long n = tr_follow_fetch(f);
    tr_follow_swap(f);
    return n;
}

long tr_follow_fetch(tr_follow *f)
{
    if (!f)
        return -EINVAL;
    if (f->err) {
        tr__set_error("%s", f->msg);
        return f->err;
    }
    mark m = take_mark(f);
    size_t nev0 = m.nev;
    int took = 0, rc;
    if (f->stream) {
        rc = read_stream(f, &took);
    } else {
        struct stat sb;
        if (fstat(f->fd, &sb) != 0) {
            tr__set_error("%s: %s", f->path, strerror(errno));
            return stop(f, -errno);
        }
        if ((uint64_t)sb.st_size < f->off) {
            tr__set_error("%s: shrank to %lld bytes after %llu were read (cut or rewritten)",
                          f->path, (long long)sb.st_size, (unsigned long long)f->off);
            return stop(f, -EINVAL);
        }
        rc = read_lines(f, (uint64_t)sb.st_size, &took);
    }
    if (rc != 0)
        stop(f, rc);
    if (took && f->raw && (f->raw->nev != nev0 || (!f->tr && !f->next))) {
        int brc = rebuild(f);
        if (brc != 0) { /* the model refused it (or memory): undo the poll */
            undo(f, &m);
            return stop(f, brc);
        }
    }
    size_t added = f->raw ? f->raw->nev - nev0 : 0;
    if (rc != 0 && added == 0) {
        tr__set_error("%s", f->msg);
        return rc;
    }
    return (long)added; /* the lines before a bad one; its error comes next */
}
