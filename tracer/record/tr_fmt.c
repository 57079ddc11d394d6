/* tr_fmt.c: records to JSON Lines (trace format v2, or v1 when
 * COSCOPE_TRACE_FORMAT=1; docs/trace-format.md).
 * Integer-only and hand-written: no printf, no malloc, no locks, so the
 * same code serves the writer thread (where it must be fast) and a crash
 * handler (where it must be async-signal-safe); strings go through the
 * format layer's escaper (tracer/format). Fields appear in the order of the
 * format table; optional ones only when present. */
#include "tr_rec_int.h"

#include "tr_format_int.h"

#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Appends a string literal; the length is a constant so memcpy becomes a
 * few stores. */
#define PUT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) + sizeof(lit) - 1)

/* Task ids, fds and stack ids are mostly one or two digits: those inline,
 * the rest (times, sizes) through the format layer's writer. */
static inline char *put_u64(char *o, uint64_t v)
{
    if (v < 10) {
        *o = (char)('0' + v);
        return o + 1;
    }
    if (v < 100) {
        o[0] = (char)('0' + v / 10);
        o[1] = (char)('0' + v % 10);
        return o + 2;
    }
    return tr__put_u64(o, v);
}

static char *put_i64(char *o, int64_t v)
{
    if (v < 0) {
        *o++ = '-';
        return put_u64(o, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(o, (uint64_t)v);
}

static char *put_cstr(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *put_at_plain(char *o, const char *file, int32_t line)
{
    o = PUT(o, ",\"" TR_FIELD_AT "\":\"");
    o = tr__json_esc(o, file, strnlen(file, TR__FILEMAX));
    *o++ = ':';
    o = put_i64(o, line);
    *o++ = '"';
    return o;
}

/* `,"at":"file:line"` escaped once per call site: a direct-mapped cache on
 * the (string literal's address, line) pair, for the writer thread, where
 * the same few sites recur on every line. The crash path formats without
 * it (tr__fmt_nocache), as it may run beside or inside the writer. An
 * entry's key is cleared before its bytes change and set after, so a
 * formatter re-entered on the same thread never reads half an entry. */
#define AT_SLOTS 256
#define AT_BYTES 160
typedef struct at_slot {
    const char *file;
    int32_t line;
    uint16_t len;
    char bytes[AT_BYTES];
} at_slot;
static at_slot at_cache[AT_SLOTS];

/* ---- the line memo ----
 * A task's lines repeat: the same wait at the same site on the same fd,
 * the same wake with the same result. After "t" and up to `next`, a line is
 * a function of the record's fields, not of its time, so for the kinds a
 * loop writes most the last lines of each (kind, task) are kept, keyed on
 * the fields the kind prints: a line seen before is its t, one copy and
 * its `next`. A set holds two (so a task that writes two lines of one kind
 * in turn, reading from two sockets, finds both), and a line is kept only
 * at its (kind, task)'s second miss (a table of tags): a stream of tasks
 * that each write one line (a spawn storm) pays a compare and a tag, not a
 * copy into the memo. Writer thread only, like the `at` cache, with the
 * same protocol against a formatter re-entered on the same thread (a crash
 * handler formats with tr__fmt_nocache set, so without either). */
#define LINE_SLOTS 1024
#define LINE_BYTES 192 /* a multiple of 16, at least 64 (a hit copies 64 first) */
_Static_assert(LINE_BYTES % 16 == 0 && LINE_BYTES >= 64, "line memo entry size");
#define LINE_MISSED 4096 /* tags of the last misses, 8x the sets: with one
                          * tag a set, (kind, task)s sharing a set took each
                          * other's tag, and their lines were never kept */

/* What a line's middle is a function of: the record's head word (ev, a,
 * b, slen, line), its task, and the other fields its kind prints, the rest
 * as zeros (an emit leaves the fields its kind has no use for unwritten). */
typedef struct line_key {
    uint64_t head;
    uint64_t task, arg;
    int64_t v1, v2;
    const char *file;
    uint64_t stack;
} line_key;

typedef struct line_slot {
    line_key key;
    uint32_t len; /* 0: empty */
    char bytes[LINE_BYTES];
} line_slot;

/* Writer-only, on cache lines of its own: a counter beside a word the
 * loop reads on every record (tr__fmt_v1) made each hit a miss on both
 * threads, and the traced yield 1.6x slower. */
static struct {
    alignas(64) line_slot slot[LINE_SLOTS];
    uint64_t missed[LINE_MISSED]; /* (kind, task)s that missed, by hash */
    uint8_t victim[LINE_SLOTS / 2];  /* the way the next kept line replaces */
    uint64_t hits;
    uint64_t t_hi;       /* the digits of `t` above its low 8, kept: */
    uint32_t t_hi_len;   /* they change every 100 ms */
    char t_hi_digits[16];
} LM;
volatile sig_atomic_t tr__fmt_nocache;
/* 1: format v1 (COSCOPE_TRACE_FORMAT=1): the header says version 1, and
 * tr_emit.c folds nothing, so no record is one of v2's folded kinds and
 * every record is one line, as the runtime counts events. Read at
 * tr_rec_start. */
int tr__fmt_v1;

static void make_ev_heads(void);

void tr__fmt_reset(void)
{
    memset(at_cache, 0, sizeof at_cache); /* a module unloaded since may have left stale keys */
    memset(&LM, 0, sizeof LM);
    tr__fmt_nocache = 0;
    make_ev_heads();
    const char *v = getenv("COSCOPE_TRACE_FORMAT");
    tr__fmt_v1 = v && strcmp(v, "1") == 0;
}

static char *put_at(char *o, const char *file, int32_t line)
{
    if (tr__fmt_nocache)
        return put_at_plain(o, file, line);
    uintptr_t h = ((uintptr_t)file >> 3) * 31u + (uint32_t)line;
    at_slot *c = &at_cache[(h ^ (h >> 11)) % AT_SLOTS];
    if (c->file == file && c->line == line) {
        memcpy(o, c->bytes, c->len);
        return o + c->len;
    }
    char *e = put_at_plain(o, file, line);
    size_t n = (size_t)(e - o);
    if (n <= AT_BYTES) {
        c->file = NULL;
        atomic_signal_fence(memory_order_seq_cst);
        memcpy(c->bytes, o, n);
        c->len = (uint16_t)n;
        c->line = line;
        atomic_signal_fence(memory_order_seq_cst);
        c->file = file;
    }
    return e;
}

/* `,"ev":"NAME"` of each kind, made at tr__fmt_reset and only read after
 * (the crash path too): a fixed 32-byte copy per line instead of a name
 * lookup and a strlen (20 of a line's ~360 instructions, callgrind). */
#define EV_HEAD 32
static struct {
    uint8_t len; /* 0: not made (a formatter used before any reset) */
    char bytes[EV_HEAD];
} ev_head[TR_EV__COUNT];

static void make_ev_heads(void)
{
    for (int ev = 0; ev < TR_EV__COUNT; ev++) {
        const char *name = tr_ev_name(ev);
        char *o = PUT(ev_head[ev].bytes, ",\"" TR_FIELD_EV "\":\"");
        size_t n = strlen(name);
        if ((size_t)(o - ev_head[ev].bytes) + n + 1 > EV_HEAD)
            continue; /* longer than any kind: the slow path */
        memcpy(o, name, n);
        o[n] = '"';
        ev_head[ev].len = (uint8_t)(o + n + 1 - ev_head[ev].bytes);
    }
}

/* `,"ev":"NAME"`. */
static char *put_ev(char *o, int ev)
{
    if ((unsigned)ev < TR_EV__COUNT && ev_head[ev].len) {
        memcpy(o, ev_head[ev].bytes, EV_HEAD); /* a line has room for far more */
        return o + ev_head[ev].len;
    }
    o = PUT(o, ",\"" TR_FIELD_EV "\":\"");
    o = put_cstr(o, tr_ev_name(ev));
    *o++ = '"';
    return o;
}

/* `{"t":T`: every line's start. `t` grows, and its digits above the low 8
 * change every 100 ms: those are kept (writer-only, as the memos; not on
 * the crash path), so a line writes them with one copy and the low 8 as
 * fixed-width pairs. */
static char *put_t(char *o, int64_t t)
{
    o = PUT(o, "{\"" TR_FIELD_T "\":");
    if (t < 100000000 || tr__fmt_nocache)
        return put_i64(o, t);
    uint64_t hi = (uint64_t)t / 100000000u;
    if (hi != LM.t_hi) { /* < 2^63 / 10^8: at most 11 digits */
        LM.t_hi = hi;
        LM.t_hi_len = (uint32_t)(tr__put_u64(LM.t_hi_digits, hi) - LM.t_hi_digits);
    }
    memcpy(o, LM.t_hi_digits, 16);
    return tr__put_8(o + LM.t_hi_len, (uint32_t)((uint64_t)t % 100000000u));
}

static char *put_head(char *o, int64_t t, int ev)
{
    return put_ev(put_t(o, t), ev);
}

#define PUT_KEY_U(o, key, v) put_u64(PUT(o, ",\"" key "\":"), (v))
#define PUT_KEY_I(o, key, v) put_i64(PUT(o, ",\"" key "\":"), (v))
#define PUT_KEY_TOK(o, key, s) put_tok(PUT(o, ",\"" key "\":"), (s))

/* A token from the tr_kinds tables: plain ASCII, never needs escaping. */
static char *put_tok(char *o, const char *s)
{
    *o++ = '"';
    o = put_cstr(o, s);
    *o++ = '"';
    return o;
}

/* A long slice's on-CPU figures (tr_oncpu.c), carried inline by the yield
 * or exit that ended it. */
static char *put_oncpu(char *o, const tr__rec *r)
{
    if (r->slen != sizeof(tr__oncpu))
        return o;
    tr__oncpu oc;
    memcpy(&oc, r->str, sizeof oc);
    o = PUT_KEY_I(o, TR_FIELD_CPU, oc.cpu);
    o = PUT_KEY_I(o, TR_FIELD_RUNQ, oc.runq);
    if (oc.stops)
        o = PUT_KEY_U(o, TR_FIELD_STOPS, oc.stops);
    return o;
}

/* "stack":ID,"pcs":["0x55d0c2a4b1c9",...]: addresses in hex, as every tool
 * that prints them does. */
static char *put_stack(char *o, const tr__rec *r)
{
    static const char hex[] = "0123456789abcdef";
    o = PUT_KEY_U(o, TR_FIELD_STACK, r->task);
    o = PUT(o, ",\"" TR_FIELD_PCS "\":[");
    size_t n = r->slen / sizeof(uintptr_t);
    for (size_t i = 0; i < n; i++) {
        uintptr_t pc;
        memcpy(&pc, r->str + i * sizeof pc, sizeof pc);
        if (i)
            *o++ = ',';
        o = PUT(o, "\"0x");
        int digits = 1;
        while (digits < 16 && (pc >> (4 * digits)) != 0)
            digits++;
        for (int d = digits - 1; d >= 0; d--)
            *o++ = hex[(pc >> (4 * d)) & 15];
        *o++ = '"';
    }
    *o++ = ']';
    return o;
}

/* The fields of a yield after "ev"; why: with its `why` (format v2's
 * requeue and io_wait leave it out: theirs is implied; an io_wait's bytes,
 * its io_begin's, are in arg). */
static char *put_yield(char *o, const tr__rec *r, int why)
{
    o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
    if (why)
        o = PUT_KEY_TOK(o, TR_FIELD_WHY, tr_wait_name(r->a));
    if (r->arg && r->ev == TR_EV_YIELD)
        o = PUT_KEY_U(o, TR_FIELD_OBJ, r->arg);
    if (r->b != TR_OP_NONE)
        o = PUT_KEY_TOK(o, TR_FIELD_OP, tr_op_name(r->b));
    if (r->v1 >= 0)
        o = PUT_KEY_I(o, TR_FIELD_FD, r->v1);
    if (r->ev == TR_EV_IO_WAIT && !why && (int64_t)r->arg >= 0)
        o = PUT_KEY_I(o, TR_FIELD_BYTES, (int64_t)r->arg);
    if (r->v2 >= 0)
        o = PUT_KEY_I(o, TR_FIELD_MS, r->v2);
    if (r->file)
        o = put_at(o, r->file, r->line);
    if (r->stack)
        o = PUT_KEY_U(o, TR_FIELD_STACK, r->stack);
    return put_oncpu(o, r);
}

/* task, op, fd? and bytes? of an `io`, then res | err. */
static char *put_io_res(char *o, const tr__rec *r)
{
    o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
    o = PUT_KEY_TOK(o, TR_FIELD_OP, tr_op_name(r->a));
    if (r->ev == TR_EV_IO && (int64_t)r->arg >= 0)
        o = PUT_KEY_I(o, TR_FIELD_FD, (int64_t)r->arg);
    if (r->ev == TR_EV_IO && r->v2 >= 0)
        o = PUT_KEY_I(o, TR_FIELD_BYTES, r->v2);
    if (r->v1 >= 0)
        return PUT_KEY_I(o, TR_FIELD_RES, r->v1);
    char buf[24];
    return PUT_KEY_TOK(o, TR_FIELD_ERR, tr__errname(r->v1, buf));
}

/* The key of r, or 0 for a record the memo does not serve. */
static inline int line_key_of(const tr__rec *r, line_key *k)
{
    if (r->slen) /* a long slice's on-CPU figures: rare, and never the same */
        return 0;
    memcpy(&k->head, r, sizeof k->head);
    k->task = r->task;
    k->arg = k->stack = 0;
    k->v1 = k->v2 = 0;
    k->file = NULL;
    switch (r->ev) {
    case TR_EV_YIELD:
    case TR_EV_REQUEUE:
    case TR_EV_IO_WAIT:
        k->arg = r->arg;
        k->v1 = r->v1;
        k->v2 = r->v2;
        k->file = r->file;
        k->stack = r->stack;
        return 1;
    case TR_EV_READY:
        k->arg = r->arg;
        return 1;
    case TR_EV_IO_WAKE:
    case TR_EV_IO_END:
        k->v1 = r->v1;
        return 1;
    case TR_EV_IO:
        k->arg = r->arg;
        k->v1 = r->v1;
        k->v2 = r->v2;
        return 1;
    default:
        return 0;
    }
}

static inline int same_key(const line_key *a, const line_key *b)
{
    return a->task == b->task && a->head == b->head && a->arg == b->arg && a->v1 == b->v1 &&
           a->v2 == b->v2 && a->file == b->file && a->stack == b->stack;
}

/* The (kind, task) of a key, its hash, and its set. */
static inline uint64_t kind_task(const line_key *k)
{
    return k->task << 8 | (k->head & 0xFF);
}

static inline uint64_t kind_task_hash(const line_key *k)
{
    return kind_task(k) * 0x9E3779B97F4A7C15ull;
}

static inline line_slot *line_set_of(const line_key *k)
{
    return &LM.slot[2 * ((kind_task_hash(k) >> 40) % (LINE_SLOTS / 2))];
}

/* A line's middle, [o, e), after a miss in `set`. */
static void line_keep(line_slot *set, const line_key *k, const char *o, const char *e)
{
    size_t n = (size_t)(e - o);
    uint64_t kt = kind_task(k), *tag = &LM.missed[(kind_task_hash(k) >> 20) % LINE_MISSED];
    if (*tag != kt) { /* its first miss (or its tag was taken since) */
        *tag = kt;
        return;
    }
    if (n > LINE_BYTES)
        return;
    uint8_t *victim = &LM.victim[(size_t)(set - LM.slot) / 2];
    line_slot *c = &set[*victim];
    *victim ^= 1;
    c->len = 0;
    atomic_signal_fence(memory_order_seq_cst);
    c->key = *k;
    memcpy(c->bytes, o, n);
    atomic_signal_fence(memory_order_seq_cst);
    c->len = (uint32_t)n;
}

uint64_t tr__fmt_memo_hits(void)
{
    return LM.hits;
}

/* `next` and the line's end. */
static inline size_t line_end(char *out, char *o, const tr__rec *r)
{
    uint32_t next = tr__next_of(r);
    if (next)
        o = PUT_KEY_U(o, TR_FIELD_NEXT, next);
    o = PUT(o, "}\n");
    return (size_t)(o - out);
}

static char *put_body(char *o, const tr__rec *r);

size_t tr__fmt_rec(char *out, const tr__rec *r, int64_t t)
{
    char *o = put_t(out, t);
    line_key k;
    line_slot *set = NULL;
    if (!tr__fmt_nocache && line_key_of(r, &k)) {
        set = line_set_of(&k);
        for (int way = 0; way < 2; way++) {
            const line_slot *c = &set[way];
            if (c->len && same_key(&c->key, &k)) {
                LM.hits++;
                /* 16 bytes at a time, to the length rounded up (an entry
                 * holds LINE_BYTES, a line has room for far more), the
                 * first 64 without a test: a copy of the whole entry became
                 * `rep movs`, which took half of this function's samples,
                 * and the loop alone was ~30 instructions a line */
                memcpy(o, c->bytes, 16);
                memcpy(o + 16, c->bytes + 16, 16);
                memcpy(o + 32, c->bytes + 32, 16);
                memcpy(o + 48, c->bytes + 48, 16);
                for (uint32_t i = 64; i < c->len; i += 16)
                    memcpy(o + i, c->bytes + i, 16);
                return line_end(out, o + c->len, r);
            }
        }
    }
    char *e = put_body(o, r);
    if (set)
        line_keep(set, &k, o, e);
    return line_end(out, e, r);
}

/* A line after "t": its kind and fields, but `next`. */
static char *put_body(char *o, const tr__rec *r)
{
    o = put_ev(o, r->ev);
    switch (r->ev) {
    case TR_EV_SPAWN:
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT_KEY_U(o, TR_FIELD_PARENT, r->arg);
        o = PUT(o, ",\"" TR_FIELD_NAME "\":\"");
        o = tr__json_esc(o, r->str, r->slen);
        *o++ = '"';
        if (r->file)
            o = put_at(o, r->file, r->line);
        if (r->stack)
            o = PUT_KEY_U(o, TR_FIELD_STACK, r->stack);
        break;
    case TR_EV_READY:
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT_KEY_U(o, TR_FIELD_BY, r->arg);
        o = PUT_KEY_TOK(o, TR_FIELD_WHY, tr_wake_name(r->a));
        break;
    case TR_EV_RUN:
    case TR_EV_STUCK:
    case TR_EV_SPAN_END:
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        break;
    case TR_EV_SPAN_BEGIN: /* task, name, at? */
    case TR_EV_RENAME:     /* task, name */
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT(o, ",\"" TR_FIELD_NAME "\":\"");
        o = tr__json_esc(o, r->str, r->slen);
        *o++ = '"';
        if (r->file)
            o = put_at(o, r->file, r->line);
        break;
    case TR_EV_YIELD:
        o = put_yield(o, r, 1);
        break;
    case TR_EV_REQUEUE: /* task, at?, stack?, cpu? */
    case TR_EV_IO_WAIT: /* task, op, fd?, bytes? (in arg), ms?, at?, stack?, cpu? */
        o = put_yield(o, r, 0);
        break;
    case TR_EV_IO_BEGIN:
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT_KEY_TOK(o, TR_FIELD_OP, tr_op_name(r->a));
        if (r->v1 >= 0)
            o = PUT_KEY_I(o, TR_FIELD_FD, r->v1);
        if (r->v2 >= 0)
            o = PUT_KEY_I(o, TR_FIELD_BYTES, r->v2);
        break;
    case TR_EV_IO_WAKE: /* task, op, res | err */
    case TR_EV_IO_END:
    case TR_EV_IO:     /* task, op, fd?, bytes?, res | err (fd in arg) */
        o = put_io_res(o, r);
        break;
    case TR_EV_WORK_BEGIN:
    case TR_EV_WORK_END:
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT_KEY_U(o, TR_FIELD_THREAD, r->arg);
        o = PUT(o, ",\"" TR_FIELD_NAME "\":\"");
        o = tr__json_esc(o, r->str, r->slen);
        *o++ = '"';
        break;
    case TR_EV_EXIT:
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT_KEY_TOK(o, TR_FIELD_STATUS, tr_status_name(r->a));
        if (r->a == TR_STATUS_ERROR)
            o = PUT_KEY_I(o, TR_FIELD_CODE, r->v1);
        o = put_oncpu(o, r);
        break;
    case TR_EV_STACK:
        o = put_stack(o, r);
        break;
    case TR_EV_OBJ:
        o = PUT_KEY_U(o, TR_FIELD_OBJ, r->task);
        o = PUT_KEY_TOK(o, TR_FIELD_KIND, tr_objkind_name(r->a));
        if (r->v1 >= 0)
            o = PUT_KEY_I(o, TR_FIELD_CAP, r->v1);
        if (r->b) {
            o = PUT(o, ",\"" TR_FIELD_NAME "\":\"");
            o = tr__json_esc(o, r->str, r->slen);
            *o++ = '"';
        }
        if (r->file)
            o = put_at(o, r->file, r->line);
        break;
    case TR_EV_ACQUIRE:
    case TR_EV_RELEASE:
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT_KEY_U(o, TR_FIELD_OBJ, r->arg);
        break;
    case TR_EV_MARK:
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT(o, ",\"" TR_FIELD_MSG "\":\"");
        o = tr__json_esc(o, r->str, r->slen);
        *o++ = '"';
        break;
    case TR_EV_CONN: /* task, fd, local, peer: str is "local\0peer", b = local's length */
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT_KEY_I(o, TR_FIELD_FD, r->v1);
        o = PUT(o, ",\"" TR_FIELD_LOCAL "\":\"");
        o = tr__json_esc(o, r->str, r->b);
        o = PUT(o, "\",\"" TR_FIELD_PEER "\":\"");
        o = tr__json_esc(o, r->str + r->b + 1, r->slen > r->b ? (size_t)(r->slen - r->b - 1) : 0);
        *o++ = '"';
        break;
    case TR_EV_POLL_END:
        if (r->v1 >= 0)
            o = PUT_KEY_I(o, TR_FIELD_EVENTS, r->v1);
        break;
    case TR_EV_FATAL: /* task, msg, at? */
        o = PUT_KEY_U(o, TR_FIELD_TASK, r->task);
        o = PUT(o, ",\"" TR_FIELD_MSG "\":\"");
        o = tr__json_esc(o, r->str, r->slen);
        *o++ = '"';
        if (r->file)
            o = put_at(o, r->file, r->line);
        break;
    case TR_EV_HALT: /* signal (its name, in str) | code */
        if (r->slen) {
            o = PUT(o, ",\"" TR_FIELD_SIGNAL "\":\"");
            o = tr__json_esc(o, r->str, r->slen);
            *o++ = '"';
        } else {
            o = PUT_KEY_I(o, TR_FIELD_CODE, r->v1);
        }
        break;
    default: /* poll_begin: nothing but t and ev */
        break;
    }
    return o;
}

static int header_seed_on;
static uint64_t header_seed;

void tr_rec_set_seed(int on, uint64_t seed)
{
    header_seed_on = on;
    header_seed = seed;
}

size_t tr__fmt_header(char *out, const char *program, long pid, int64_t unix_ns)
{
    char *o = PUT(out, "{\"" TR_FIELD_EV "\":\"trace\",\"" TR_FIELD_FORMAT
                       "\":\"coscope\",\"" TR_FIELD_VERSION "\":");
    *o++ = tr__fmt_v1 ? '1' : '2';
    o = PUT(o, ",\"" TR_FIELD_PROGRAM "\":\"");
    o = tr__json_esc(o, program, strnlen(program, TR__FILEMAX));
    o = PUT(o, "\",\"" TR_FIELD_PID "\":");
    o = put_i64(o, pid);
    o = PUT(o, ",\"" TR_FIELD_CLOCK "\":\"monotonic\",\"" TR_FIELD_UNIX_NS "\":");
    o = put_i64(o, unix_ns);
    if (header_seed_on)
        o = PUT_KEY_U(o, TR_FIELD_SEED, header_seed);
    o += tr__fmt_modules(o);
    o = PUT(o, "}\n");
    return (size_t)(o - out);
}

size_t tr__fmt_end(char *out, int64_t t, uint64_t events, uint64_t dropped)
{
    char *o = put_head(out, t, TR_EV_END);
    o = PUT_KEY_U(o, TR_FIELD_EVENTS, events);
    o = PUT_KEY_U(o, TR_FIELD_DROPPED, dropped);
    o = PUT(o, "}\n");
    return (size_t)(o - out);
}
