/* tr_flight.c: the flight recorder (COSCOPE_FLIGHT=2s or =64MB). Records
 * stay in the rings in binary form and nothing is written until a trigger;
 * the writer thread, instead of formatting what the loop emits, folds the
 * records that fall out of the window (older than the window, or beyond the
 * size bound) into a small state: live tasks with names, parents, states
 * and waits; objects and mutex holders; work in progress; stack chains. A
 * dump (run.1.jsonl, run.2.jsonl, ...) is then a self-contained trace: the
 * header, that state written as ordinary lines at the window's start (a
 * spawn, ready, run, yield sequence per live task), the window's records,
 * and an `end` line, so every reader and the analysis take it as it is.
 *
 * Triggers: SIGUSR1 (a flag, seen at the writer's next tick, <= 50 ms),
 * tr_rec_dump() (synchronous), and a watchdog in the writer's tick: a run
 * slice open longer than COSCOPE_FLIGHT_STALL (default 100 ms) dumps while
 * the loop is still blocked, and once more after the slice ends so the
 * stall's length is known. Rate limit: a trigger of the same kind fires at
 * most once a second (the stall's end dump excepted); at most 100 dumps.
 * Writer thread only, except where said. */
#include "tr_map_int.h"
#include "tr_rec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DUMPS 100

typedef struct ftask {
    uint64_t id, parent;
    const char *at_file;
    int at_line;
    uint32_t spawn_stack;
    char name[TR__STRMAX];
    uint8_t namelen;
    uint8_t state; /* 0 ready, 1 running, 2 waiting */
    _Alignas(8) unsigned char wait[TR__REC_HEAD]; /* the yield that began it */
    uint64_t ready_by;
    uint8_t ready_why;
} ftask;

typedef struct fobj {
    uint64_t id, holder;
    _Alignas(8) unsigned char rec[TR__REC_HEAD]; /* the obj record's head */
    char name[TR__STRMAX];
} fobj;

typedef struct fwork {
    uint64_t task, thread;
    char name[TR__STRMAX];
    uint8_t namelen;
} fwork;

typedef struct fstack {
    uint32_t id;
    uint8_t n;
    uintptr_t pcs[TR__STACK_MAX];
} fstack;

#define VEC(T) struct { T *v; size_t n, cap; }

static struct {
    int on;
    int64_t window_ns; /* 0: size bound only */
    uint64_t budget;   /* ring bytes kept at most */
    int64_t stall_ns;
    char *base;        /* COSCOPE_TRACE path: dumps are base.N.ext */
    int ndumps;
    /* folded state (writer thread) */
    VEC(ftask) tasks;
    VEC(fobj) objs;
    VEC(fwork) works;
    VEC(fstack) stacks;
    /* triggers */
    int64_t last_usr1, last_api, last_stall; /* ns of the last dump per kind */
    uint64_t stall_slice;                    /* slice a stall dump was for */
    int stall_end_due;
    struct sigaction old_usr1;
    int usr1_installed;
} F;

/* The live tasks by id (index into F.tasks.v): a server folds three
 * records a request for each of its hundreds of connections, so no scan.
 * Without memory for it the lookups scan. */
static tr__map task_ix;

static volatile sig_atomic_t usr1_seen;
_Atomic uint64_t tr__slice_open; /* raw start of the open run slice, 0: none */

int tr__flight_on(void) { return F.on; }

/* Room for one more in a vector whose pointer is at vp: 0, or -1 when out
 * of memory (the vector as it was: nothing lost). */
static int reserve(void *vp, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    void *v;
    memcpy(&v, vp, sizeof v);
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(v, c * size);
    if (!p)
        return -1;
    memcpy(vp, &p, sizeof p);
    *cap = c;
    return 0;
}
#define PUSH(vec)                                                              \
    (reserve(&(vec).v, &(vec).cap, (vec).n, sizeof *(vec).v) == 0              \
         ? &(vec).v[(vec).n++]                                                 \
         : NULL)

/* ---- configuration ---- */

static void on_usr1(int sig)
{
    (void)sig;
    usr1_seen = 1;
}

size_t tr__flight_config(const char *path)
{
    const char *env = getenv("COSCOPE_FLIGHT");
    memset(&F, 0, sizeof F);
    if (!env || !*env || strcmp(env, "0") == 0)
        return 0;
    int64_t ns = 0;
    uint64_t bytes = 0;
    if (tr__parse_amount(env, &ns, &bytes) != 0) { /* the format layer's */
        fprintf(stderr, "coscope: COSCOPE_FLIGHT=%s: expected a time (2s, 500ms) or a "
                        "size (64MB); recording to the file instead\n", env);
        return 0;
    }
    F.base = strdup(path);
    if (!F.base)
        return 0;
    F.on = 1;
    F.window_ns = ns;
    F.budget = bytes ? bytes : (uint64_t)64 << 20;
    F.stall_ns = 100 * 1000000LL;
    const char *st = getenv("COSCOPE_FLIGHT_STALL");
    int64_t sns = 0;
    uint64_t sb = 0;
    if (st && tr__parse_amount(st, &sns, &sb) == 0 && sns > 0)
        F.stall_ns = sns;
    size_t ring = TR__LOOP_RING;
    while (ring < F.budget && ring < ((size_t)1 << 34))
        ring <<= 1;
    F.last_usr1 = F.last_api = F.last_stall = INT64_MIN / 2;
    usr1_seen = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    F.usr1_installed = sigaction(SIGUSR1, &sa, &F.old_usr1) == 0;
    return ring;
}

void tr__flight_stop(void)
{
    if (!F.on)
        return;
    if (F.usr1_installed)
        sigaction(SIGUSR1, &F.old_usr1, NULL);
    free(F.tasks.v);
    tr__map_free(&task_ix);
    free(F.objs.v);
    free(F.works.v);
    free(F.stacks.v);
    free(F.base);
    memset(&F, 0, sizeof F);
}

/* ---- folding what leaves the window ---- */

static ftask *task_of(uint64_t id)
{
    if (!task_ix.keys) {
        for (size_t i = F.tasks.n; i-- > 0;)
            if (F.tasks.v[i].id == id)
                return &F.tasks.v[i];
        return NULL;
    }
    uint32_t *k = tr__map_get(&task_ix, id, 0);
    return k ? &F.tasks.v[*k] : NULL;
}

/* The task at index k leaves: the last takes its place in the vector. */
static void task_remove(size_t k)
{
    size_t last = --F.tasks.n;
    tr__map_del(&task_ix, F.tasks.v[k].id);
    if (k == last)
        return;
    F.tasks.v[k] = F.tasks.v[last];
    uint32_t *moved = tr__map_get(&task_ix, F.tasks.v[k].id, 0);
    if (moved)
        *moved = (uint32_t)k;
}

static fobj *obj_of(uint64_t id)
{
    for (size_t i = 0; i < F.objs.n; i++)
        if (F.objs.v[i].id == id)
            return &F.objs.v[i];
    return NULL;
}

/* ---- fold: one function per record kind that changes the state ---- */

static void fold_spawn(const tr__rec *r)
{
    ftask *t = PUSH(F.tasks);
    if (!t)
        return;
    memset(t, 0, sizeof *t);
    t->id = r->task;
    if (!task_ix.keys && F.tasks.n == 1)
        tr__map_init(&task_ix, 256);
    uint32_t *k = tr__map_get(&task_ix, t->id, 1);
    if (k)
        *k = (uint32_t)(F.tasks.n - 1);
    else if (task_ix.keys) /* out of memory: scan from now on */
        tr__map_free(&task_ix);
    t->parent = r->arg;
    t->at_file = r->file;
    t->at_line = r->line;
    t->spawn_stack = r->stack;
    t->namelen = r->slen;
    memcpy(t->name, r->str, r->slen);
    t->ready_why = TR_WAKE_SPAWN;
    t->ready_by = r->arg;
}

/* A task's state: 0 ready (by whom, why), 1 running, 2 waiting (the yield
 * record kept, without its inline bytes). */
static void fold_state(const tr__rec *r)
{
    ftask *t = task_of(r->task);
    if (!t)
        return;
    if (r->ev == TR_EV_READY) {
        t->state = 0;
        t->ready_by = r->arg;
        t->ready_why = r->a;
    } else if (r->ev == TR_EV_REQUEUE || r->ev == TR_EV_IO_WAKE) { /* folded ready */
        t->state = 0;
        t->ready_by = r->ev == TR_EV_REQUEUE ? r->task : 0;
        t->ready_why = r->ev == TR_EV_REQUEUE ? TR_WAKE_YIELD : TR_WAKE_IO;
    } else if (r->ev == TR_EV_RUN) {
        t->state = 1;
    } else {
        t->state = 2;
        memcpy(t->wait, r, sizeof t->wait);
        ((tr__rec *)t->wait)->slen = 0;
        ((tr__rec *)t->wait)->spare = 0; /* its `next` ran then, not at the dump */
    }
}

static void fold_exit(const tr__rec *r)
{
    ftask *t = task_of(r->task);
    if (t)
        task_remove((size_t)(t - F.tasks.v));
}

static void fold_obj(const tr__rec *r)
{
    fobj *o = PUSH(F.objs);
    if (!o)
        return;
    memcpy(o->rec, r, sizeof o->rec);
    memcpy(o->name, r->str, r->slen);
    o->id = r->task;
    o->holder = 0;
}

static void fold_holder(const tr__rec *r)
{
    fobj *o = obj_of(r->arg);
    if (o)
        o->holder = r->ev == TR_EV_ACQUIRE ? r->task : 0;
}

static void fold_stack(const tr__rec *r)
{
    fstack *s = PUSH(F.stacks);
    if (!s)
        return;
    s->id = (uint32_t)r->task;
    s->n = (uint8_t)(r->slen / sizeof(uintptr_t));
    memcpy(s->pcs, r->str, r->slen);
}

static void fold_work_begin(const tr__rec *r)
{
    fwork *w = PUSH(F.works);
    if (!w)
        return;
    w->task = r->task;
    w->thread = r->arg;
    w->namelen = r->slen;
    memcpy(w->name, r->str, r->slen);
}

static void fold_work_end(const tr__rec *r)
{
    for (size_t i = 0; i < F.works.n; i++)
        if (F.works.v[i].task == r->task && F.works.v[i].thread == r->arg) {
            F.works.v[i] = F.works.v[--F.works.n];
            return;
        }
}

/* A record older than the window, folded into the state a dump starts
 * from; kinds that change none of it are dropped. */
static void fold_one(const tr__rec *r)
{
    switch (r->ev) {
    case TR_EV_SPAWN:
        fold_spawn(r);
        break;
    case TR_EV_READY:
    case TR_EV_RUN:
    case TR_EV_YIELD:
    case TR_EV_REQUEUE:
    case TR_EV_IO_WAIT:
    case TR_EV_IO_WAKE:
        fold_state(r);
        break;
    case TR_EV_EXIT:
        fold_exit(r);
        break;
    case TR_EV_OBJ:
        fold_obj(r);
        break;
    case TR_EV_ACQUIRE:
    case TR_EV_RELEASE:
        fold_holder(r);
        break;
    case TR_EV_STACK:
        fold_stack(r);
        break;
    case TR_EV_WORK_BEGIN:
        fold_work_begin(r);
        break;
    case TR_EV_WORK_END:
        fold_work_end(r);
        break;
    default:
        break;
    }
}

/* The end of a run slice may say which task the scheduler switched into
 * at once (`next`, format v2): that run is folded too. */
static void fold(const tr__rec *r)
{
    fold_one(r);
    uint32_t next = tr__next_of(r);
    if (next) {
        tr__rec run;
        memset(&run, 0, TR__REC_HEAD);
        run.ev = TR_EV_RUN;
        run.task = next;
        fold_one(&run);
    }
}

static uint64_t ring_end(const tr__ring *r, uint64_t pos) { return (pos | (r->size - 1)) + 1; }

/* Folds the records of `ring` older than `cutoff` (raw), or while more than
 * `keep` bytes are in it, and frees their room. */
static void fold_ring(tr__ring *ring, uint64_t cutoff, uint64_t keep)
{
    uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    uint64_t pos = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    uint64_t mask = ring->size - 1;
    while (pos != head) {
        const tr__rec *r = (const tr__rec *)(ring->buf + (pos & mask));
        if (r->ev == TR__PAD) {
            pos = ring_end(ring, pos);
            continue;
        }
        if (r->ts >= cutoff && head - pos <= keep)
            break;
        fold(r);
        pos += TR__REC_SIZE(r->slen);
    }
    atomic_store(&ring->tail, pos);
}

void tr__flight_fold(void)
{
    uint64_t now = tr__clock_raw();
    uint64_t win = F.window_ns ? tr__clock_raw_of_ns((uint64_t)F.window_ns) : now;
    uint64_t cutoff = now > win ? now - win : 0;
    /* A slice in progress, or a stall whose end dump is due, is kept whole:
     * the window reaches back to its start, so a dump knows its length. */
    uint64_t open = atomic_load_explicit(&tr__slice_open, memory_order_relaxed);
    if (open && open < cutoff)
        cutoff = open;
    if (F.stall_end_due && F.stall_slice < cutoff)
        cutoff = F.stall_slice;
    uint64_t keep = F.budget < tr__loop_ring.size ? F.budget : tr__loop_ring.size;
    fold_ring(&tr__loop_ring, cutoff, keep / 4 * 3);
    fold_ring(&tr__work_ring, cutoff, tr__work_ring.size / 4 * 3);
}

/* ---- writing a dump ---- */

typedef struct dumpf {
    int fd;
    char *buf;
    size_t len, cap;
    uint64_t lines;
    int err;
} dumpf;

static void flush_out(dumpf *d)
{
    size_t off = 0;
    while (off < d->len && !d->err) {
        ssize_t n = write(d->fd, d->buf + off, d->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            d->err = n < 0 ? errno : ENOSPC;
        else
            off += (size_t)n;
    }
    d->len = 0;
}

static void put_rec(dumpf *d, const tr__rec *r, int64_t t)
{
    if (d->cap - d->len < TR__MAXLINE)
        flush_out(d);
    d->len += tr__fmt_rec(d->buf + d->len, r, t);
    d->lines++;
}

/* *r becomes a head-only record of kind ev for task id. */
static void head_rec(tr__rec *r, uint8_t ev, uint64_t task)
{
    memset(r, 0, TR__REC_HEAD);
    r->ev = ev;
    r->task = task;
    r->v1 = r->v2 = -1;
}

/* The folded state as lines at t0: stacks, objects, live tasks (spawn,
 * ready, and run / yield for their state), mutex holders, work. */
static void put_snapshot(dumpf *d, int64_t t0)
{
    _Alignas(8) unsigned char mem[sizeof(tr__rec) + TR__STRMAX + 8];
    tr__rec *r = (tr__rec *)mem;
    for (size_t i = 0; i < F.stacks.n; i++) {
        head_rec(r, TR_EV_STACK, F.stacks.v[i].id);
        r->slen = (uint8_t)(F.stacks.v[i].n * sizeof(uintptr_t));
        memcpy(r->str, F.stacks.v[i].pcs, r->slen);
        put_rec(d, r, t0);
    }
    for (size_t i = 0; i < F.objs.n; i++) {
        memcpy(r, F.objs.v[i].rec, TR__REC_HEAD);
        memcpy(r->str, F.objs.v[i].name, r->slen);
        put_rec(d, r, t0);
    }
    const ftask *running = NULL;
    for (size_t i = 0; i < F.tasks.n; i++) {
        const ftask *t = &F.tasks.v[i];
        head_rec(r, TR_EV_SPAWN, t->id);
        r->arg = t->parent;
        r->file = t->at_file;
        r->line = t->at_line;
        r->stack = t->spawn_stack;
        r->slen = t->namelen;
        memcpy(r->str, t->name, t->namelen);
        put_rec(d, r, t0);
        head_rec(r, TR_EV_READY, t->id);
        r->arg = t->state == 0 ? t->ready_by : t->parent;
        r->a = t->state == 0 ? t->ready_why : TR_WAKE_SPAWN;
        put_rec(d, r, t0);
        if (t->state == 2) { /* ran, then began the wait it is still in */
            head_rec(r, TR_EV_RUN, t->id);
            put_rec(d, r, t0);
            memcpy(r, t->wait, TR__REC_HEAD);
            r->slen = 0;
            put_rec(d, r, t0);
        } else if (t->state == 1) {
            running = t; /* last: one task runs at a time */
        }
    }
    if (running) {
        head_rec(r, TR_EV_RUN, running->id);
        put_rec(d, r, t0);
    }
    for (size_t i = 0; i < F.objs.n; i++)
        if (F.objs.v[i].holder) {
            head_rec(r, TR_EV_ACQUIRE, F.objs.v[i].holder);
            r->arg = F.objs.v[i].id;
            put_rec(d, r, t0);
        }
    for (size_t i = 0; i < F.works.n; i++) {
        head_rec(r, TR_EV_WORK_BEGIN, F.works.v[i].task);
        r->arg = F.works.v[i].thread;
        r->slen = F.works.v[i].namelen;
        memcpy(r->str, F.works.v[i].name, r->slen);
        put_rec(d, r, t0);
    }
}

/* The window's records of one ring, from its tail to `head`; times never
 * before t0 (work lines from pool threads may be). */
static void put_window(dumpf *d, tr__ring *ring, uint64_t head, int64_t t0)
{
    uint64_t pos = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    uint64_t mask = ring->size - 1;
    int64_t last = t0;
    while (pos != head) {
        const tr__rec *r = (const tr__rec *)(ring->buf + (pos & mask));
        if (r->ev == TR__PAD) {
            pos = ring_end(ring, pos);
            continue;
        }
        int64_t t = tr__clock_ns(r->ts);
        if (t < last && ring == &tr__loop_ring)
            t = last;
        if (t < t0)
            t = t0;
        last = ring == &tr__loop_ring ? t : last;
        put_rec(d, r, t);
        pos += TR__REC_SIZE(r->slen);
    }
}

/* base "run.jsonl" -> "run.N.jsonl" (no extension: "run.N"). No stdio:
 * the crash path uses it too. */
static void dump_name(char *out, size_t n, int k)
{
    const char *slash = strrchr(F.base, '/'), *dot = strrchr(F.base, '.');
    size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - F.base) : strlen(F.base);
    const char *ext = F.base + stem;
    char num[16];
    int nd = 0;
    do
        num[nd++] = (char)('0' + k % 10);
    while ((k /= 10) != 0);
    if (stem + 2 + (size_t)nd + strlen(ext) > n) {
        out[0] = '\0';
        return;
    }
    char *o = out;
    memcpy(o, F.base, stem);
    o += stem;
    *o++ = '.';
    while (nd)
        *o++ = num[--nd];
    memcpy(o, ext, strlen(ext) + 1);
}

/* The window's first loop record's t, else now. */
static int64_t window_t0(uint64_t lhead)
{
    uint64_t pos = atomic_load_explicit(&tr__loop_ring.tail, memory_order_relaxed);
    while (pos != lhead) {
        const tr__rec *r =
            (const tr__rec *)(tr__loop_ring.buf + (pos & (tr__loop_ring.size - 1)));
        if (r->ev != TR__PAD)
            return tr__clock_ns(r->ts);
        pos = ring_end(&tr__loop_ring, pos);
    }
    return tr__clock_ns(tr__clock_raw());
}

/* Writes dump k to its file with buf[cap] as the line buffer: header,
 * snapshot, window, then `last` (a fatal / halt line: the trace's last) or
 * an `end` line. Returns 0 or a negative errno. Async-signal-safe. */
static int write_dump(int k, char *path, size_t pathcap, char *buf, size_t cap,
                      const tr__rec *last, const char *program, long pid, int64_t unix_ns)
{
    uint64_t lhead = atomic_load_explicit(&tr__loop_ring.head, memory_order_acquire);
    uint64_t whead = atomic_load_explicit(&tr__work_ring.head, memory_order_acquire);
    int64_t t0 = window_t0(lhead);
    dump_name(path, pathcap, k);
    if (!path[0])
        return -ENAMETOOLONG;
    dumpf d = {open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), buf, 0, cap, 0, 0};
    if (d.fd < 0)
        return -errno;
    d.len = tr__fmt_header(d.buf, program, pid, unix_ns);
    put_snapshot(&d, t0);
    put_window(&d, &tr__loop_ring, lhead, t0);
    put_window(&d, &tr__work_ring, whead, t0);
    if (d.cap - d.len < TR__MAXLINE)
        flush_out(&d);
    int64_t now = tr__clock_ns(tr__clock_raw());
    if (last)
        d.len += tr__fmt_rec(d.buf + d.len, last, now > t0 ? now : t0);
    else
        d.len += tr__fmt_end(d.buf + d.len, now > t0 ? now : t0, d.lines, 0);
    flush_out(&d);
    close(d.fd);
    return d.err ? -d.err : 0;
}

static void say(const char *a, const char *b, const char *c)
{
    char msg[2300];
    size_t n = 0;
    const char *parts[] = {"coscope: flight recorder: ", a, ": wrote ", b, c};
    for (size_t i = 0; i < 5; i++) {
        size_t l = strnlen(parts[i], sizeof msg - 1 - n);
        memcpy(msg + n, parts[i], l);
        n += l;
    }
    ssize_t rc = write(2, msg, n);
    (void)rc;
}

int tr__flight_dump(const char *why, const char *program, long pid, int64_t unix_ns)
{
    if (!F.on)
        return -EINVAL;
    if (F.ndumps >= MAX_DUMPS)
        return -EMLINK;
    tr__flight_fold(); /* the window as of now */
    char path[2048];
    size_t cap = (size_t)1 << 20;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    int k = ++F.ndumps;
    int rc = write_dump(k, path, sizeof path, buf, cap, NULL, program, pid, unix_ns);
    free(buf);
    if (rc)
        return rc;
    say(why, path, "\n");
    return k;
}

/* A crash may come here twice: first from a handler that only flushes
 * (the runtime's fault handler, last NULL), then with the halt or fatal
 * line that says how the run ended. The second rewrites the same dump. */
void tr__flight_crash_dump(const tr__rec *last, const char *program, long pid, int64_t unix_ns)
{
    static char buf[TR__MODULES_MAX + (64u << 10)]; /* the header fits */
    static char path[2048];
    static int k;
    if (!F.on || (!k && F.ndumps >= MAX_DUMPS))
        return;
    int first = k == 0;
    if (first)
        k = ++F.ndumps;
    if (write_dump(k, path, sizeof path, buf, sizeof buf, last, program, pid, unix_ns) == 0 &&
        first)
        say("crash", path, "\n");
}

/* The writer's tick in flight mode: fold, then the triggers. `program` etc.
 * for the header; `final` at tr_rec_stop (a stall's end dump still due is
 * written then). At most one dump per trigger. */
void tr__flight_tick(const char *program, long pid, int64_t unix_ns, int final)
{
    tr__flight_fold();
    int64_t now = tr__clock_ns(tr__clock_raw());
    if (usr1_seen) {
        usr1_seen = 0;
        if (now - F.last_usr1 >= 1000000000LL) {
            F.last_usr1 = now;
            tr__flight_dump("SIGUSR1", program, pid, unix_ns);
        }
    }
    uint64_t open = atomic_load_explicit(&tr__slice_open, memory_order_relaxed);
    if (F.stall_end_due && open != F.stall_slice) {
        /* the stalled slice ended at least a tick ago: its end is in the ring */
        if (F.stall_end_due++ >= 2 || final) {
            /* still due while dumping: the window keeps the slice whole */
            tr__flight_dump("loop stall ended", program, pid, unix_ns);
            F.stall_end_due = 0;
        }
    } else if (open && open != F.stall_slice &&
               tr__clock_ns(tr__clock_raw()) - tr__clock_ns(open) > F.stall_ns &&
               now - F.last_stall >= 1000000000LL) {
        F.last_stall = now;
        F.stall_slice = open;
        F.stall_end_due = 1;
        tr__flight_dump("loop blocked", program, pid, unix_ns);
    }
}

int tr__flight_api_ok(void)
{
    int64_t now = tr__clock_ns(tr__clock_raw());
    if (now - F.last_api < 1000000000LL)
        return 0;
    F.last_api = now;
    return 1;
}
