/* runtime/replay.c: the replay log. Recording appends, on the loop thread,
 * one small record per input the runtime takes from the world (a loop
 * iteration and its clock, a wake-up made by the loop, a trace line the
 * loop writes, the outcome of a call); replaying reads them back in the
 * same order: co__rp_run stands in for uv_run and delivers the loop's
 * records, and each call takes its own outcome where it would have asked
 * the world. Format: docs/replay.md. */
#include "replay_int.h"
#include "sched_int.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "coscope-replay 1\n"

/* Record types (the first byte of each). */
enum {
    R_CHECK = 1, /* zz: loop clock delta (ms): an iteration's check */
    R_PREP,      /* the loop went to the poller (poll_begin) */
    R_WAKE,      /* u: task, u: why, zz: result */
    R_IOEND,     /* u: task, u: op, zz: res */
    R_CONN,      /* u: task, zz: fd, s: local, s: peer */
    R_DEADLINE,  /* u: task */
    R_SIGNAL,    /* u: signum */
    R_RUN_END,   /* uv_run returned */
    R_OUT,       /* u: shape, zz: res, zz: fd, s: data */
    R_RES,       /* zz: res, zz: fd, s: data */
    R_HASH,      /* u: FNV-1a 64 of written bytes, u: length */
    R__COUNT
};
static const char *const rec_names[R__COUNT] = {
    "?", "a loop iteration", "a poll", "a wake-up", "an io_end",
    "a connection", "a deadline", "a signal", "the loop's end",
    "a call's outcome", "a call's result", "written bytes"};

int co__rp_mode;
int co__rp_loop;
int co__rp_quiet;

static struct {
    FILE *out;          /* recording */
    uint64_t last_now;
    char *buf;          /* replaying: the whole log */
    size_t len, pos;
    uint64_t now;       /* virtual loop clock, ms since co_main began */
    const char *notes;  /* COSCOPE_REPLAY_NOTES: where a divergence is told */
} L;

/* ---- writing ---- */

static void put_u(uint64_t v)
{
    while (v >= 0x80) {
        putc_unlocked((int)(v & 0x7f) | 0x80, L.out);
        v >>= 7;
    }
    putc_unlocked((int)v, L.out);
}

static void put_zz(int64_t v)
{
    put_u(((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void put_s(const void *p, size_t n)
{
    put_u(n);
    if (n)
        fwrite(p, 1, n, L.out);
}

static void put_type(int type)
{
    putc_unlocked(type, L.out);
}

/* ---- reading ---- */

static int peek_type(void)
{
    return L.pos < L.len ? (unsigned char)L.buf[L.pos] : -1;
}

static uint64_t get_u(void)
{
    uint64_t v = 0;
    for (int shift = 0; L.pos < L.len && shift < 64; shift += 7) {
        unsigned char c = (unsigned char)L.buf[L.pos++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    co__rp_diverged("the replay log is cut short or corrupt");
}

static int64_t get_zz(void)
{
    uint64_t u = get_u();
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static const char *get_s(size_t *n)
{
    *n = (size_t)get_u();
    if (*n > L.len - L.pos)
        co__rp_diverged("the replay log is cut short or corrupt");
    const char *p = L.buf + L.pos;
    L.pos += *n;
    return p;
}

/* A string field as a NUL-terminated copy in buf (cut to cap - 1). */
static void get_cstr(char *buf, size_t cap)
{
    size_t n;
    const char *p = get_s(&n);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
}

static const char *rec_name(int type)
{
    if (type < 0)
        return "its end";
    return type < R__COUNT ? rec_names[type] : "an unknown record";
}

/* ---- begin / end ---- */

static int load_log(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    L.len = (size_t)st.st_size;
    L.buf = malloc(L.len ? L.len : 1);
    size_t got = 0;
    while (L.buf && got < L.len) {
        ssize_t n = read(fd, L.buf + got, L.len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!L.buf || got != L.len || L.len < sizeof MAGIC - 1 ||
        memcmp(L.buf, MAGIC, sizeof MAGIC - 1) != 0) {
        free(L.buf);
        L.buf = NULL;
        return -1;
    }
    L.pos = sizeof MAGIC - 1;
    return 0;
}

int co__rp_begin(void)
{
    const char *play = getenv("COSCOPE_REPLAY");
    const char *rec = getenv("COSCOPE_REPLAY_LOG");
    memset(&L, 0, sizeof L);
    co__rp_mode = CO__RP_OFF;
    co__rp_loop = co__rp_quiet = 0;
    if (play && *play) {
        L.notes = getenv("COSCOPE_REPLAY_NOTES");
        if (load_log(play) != 0) {
            fprintf(stderr, "coscope: cannot replay %s: not a replay log\n", play);
            return CO_EINVAL;
        }
        co__rp_mode = CO__RP_REPLAY;
    } else if (rec && *rec) {
        L.out = fopen(rec, "we");
        if (!L.out) {
            fprintf(stderr, "coscope: cannot record replay log %s\n", rec);
            return CO_EINVAL;
        }
        setvbuf(L.out, NULL, _IOFBF, 1 << 20);
        fputs(MAGIC, L.out);
        co__rp_mode = CO__RP_RECORD;
    }
    return 0;
}

void co__rp_end(void)
{
    if (L.out)
        fclose(L.out);
    free(L.buf);
    memset(&L, 0, sizeof L);
    co__rp_mode = CO__RP_OFF;
}

/* ---- the scheduler's records ---- */

void co__rp_log_check(uint64_t now_ms)
{
    put_type(R_CHECK);
    put_zz((int64_t)(now_ms - L.last_now));
    L.last_now = now_ms;
}

void co__rp_log_prep(void)
{
    put_type(R_PREP);
}

void co__rp_log_wake(uint64_t task, tr_wake why, int result)
{
    put_type(R_WAKE);
    put_u(task);
    put_u((uint64_t)why);
    put_zz(result);
}

void co__rp_log_run_end(void)
{
    put_type(R_RUN_END);
    fflush(L.out); /* what is logged so far survives a kill */
}

void co__rp_log_deadline(uint64_t task)
{
    put_type(R_DEADLINE);
    put_u(task);
}

void co__rp_log_signal(int signum)
{
    put_type(R_SIGNAL);
    put_u((uint64_t)signum);
}

void co__io_end(uint64_t task, tr_op op, int64_t res)
{
    if (CO__RP_LOOP_REC() && !co__current()) {
        put_type(R_IOEND);
        put_u(task);
        put_u((uint64_t)op);
        put_zz(res);
    }
    CO__TRACE(tr_rec_io_end(task, op, res));
}

void co__rp_conn(uint64_t task, int64_t fd, const char *local, const char *peer)
{
    if (CO__RP_REC()) {
        put_type(R_CONN);
        put_u(task);
        put_zz(fd);
        put_s(local, strlen(local));
        put_s(peer, strlen(peer));
    } else if (CO__RP_PLAY()) {
        if (peek_type() != R_CONN)
            co__rp_diverged("task %llu: a connection came up where the "
                            "recording has %s", (unsigned long long)task,
                            rec_name(peek_type()));
        char l[72], p[72];
        L.pos++;
        get_u();
        fd = get_zz();
        get_cstr(l, sizeof l);
        get_cstr(p, sizeof p);
        CO__TRACE(tr_rec_conn(task, fd, l, p));
        return;
    }
    CO__TRACE(tr_rec_conn(task, fd, local, peer));
}

/* ---- calls' outcomes ---- */

void co__rp_out(int shape, int64_t res, int64_t fd, const void *data, size_t len)
{
    if (!CO__RP_REC())
        return;
    put_type(R_OUT);
    put_u((uint64_t)shape);
    put_zz(res);
    put_zz(fd);
    put_s(data, data ? len : 0);
}

void co__rp_park(void)
{
    co__rp_out(CO__RP_PARKS, 0, -1, NULL, 0);
}

void co__rp_res(int64_t res, int64_t fd, const void *data, size_t len)
{
    if (!CO__RP_REC())
        return;
    put_type(R_RES);
    put_zz(res);
    put_zz(fd);
    put_s(data, data ? len : 0);
}

static void take_rec(int type, const char *what)
{
    if (peek_type() != type) {
        co_task *t = co__current();
        co__rp_diverged("task %llu \"%s\": %s asked the world where the "
                        "recording has %s", (unsigned long long)(t ? t->id : 0),
                        t ? t->name : "loop", what, rec_name(peek_type()));
    }
    L.pos++;
}

void co__rp_take(const char *what, co__rp_val *v)
{
    take_rec(R_OUT, what);
    v->shape = (int)get_u();
    v->res = get_zz();
    v->fd = get_zz();
    v->data = get_s(&v->len);
}

void co__rp_take_res(const char *what, co__rp_val *v)
{
    take_rec(R_RES, what);
    v->shape = CO__RP_PARKS;
    v->res = get_zz();
    v->fd = get_zz();
    v->data = get_s(&v->len);
}

size_t co__rp_copy(const co__rp_val *v, void *buf, size_t cap)
{
    size_t n = v->len < cap ? v->len : cap;
    if (n)
        memcpy(buf, v->data, n);
    return n;
}

/* FNV-1a's scheme over 64-bit words (then the tail bytes), with a fold
 * after each multiply so high bits reach the low ones: byte-wise FNV-1a
 * costs a multiply per byte, which an echo server's writes notice. */
static uint64_t write_hash(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static void note(const char *kind, const char *msg)
{
    fprintf(stderr, "coscope: replay: %s\n", msg);
    if (!L.notes || !*L.notes)
        return;
    FILE *f = fopen(L.notes, "ae");
    if (f) {
        fprintf(f, "%s %llu %s\n", kind,
                (unsigned long long)tr_rec_loop_events(), msg);
        fclose(f);
    }
}

void co__rp_written(const char *what, const void *buf, size_t len)
{
    if (CO__RP_REC()) {
        put_type(R_HASH);
        put_u(write_hash(buf, len));
        put_u(len);
    } else if (CO__RP_PLAY()) {
        take_rec(R_HASH, what);
        uint64_t h = get_u(), n = get_u();
        if (h != write_hash(buf, len) || n != len) {
            co_task *t = co__current();
            char msg[200];
            snprintf(msg, sizeof msg,
                     "task %llu \"%s\": %s wrote other bytes than the "
                     "recording (%zu bytes, recorded %llu)",
                     (unsigned long long)(t ? t->id : 0), t ? t->name : "loop",
                     what, len, (unsigned long long)n);
            note("content", msg);
        }
    }
}

void co__rp_unsupported(const char *what)
{
    co__rp_diverged("%s cannot be replayed (docs/replay.md lists what can)",
                    what);
}

void co__rp_diverged(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    note(L.pos >= L.len ? "end" : "diverged", msg);
    tr_rec_flush(); /* the replayed trace up to here, for the comparison */
    _exit(75);
}

/* ---- the loop, replayed ---- */

uint64_t co__rp_now(void)
{
    return L.now;
}

static co_task *task_by_id(uint64_t id)
{
    for (co_task *t = RT->all; t; t = t->all_next)
        if (t->id == id)
            return t;
    return NULL;
}

static co_task *live_task(uint64_t id, const char *what)
{
    co_task *t = task_by_id(id);
    if (!t)
        co__rp_diverged("the recording has a %s of task %llu, which is not "
                        "alive", what, (unsigned long long)id);
    return t;
}

static co_task *waiting_task(uint64_t id, const char *what)
{
    co_task *t = task_by_id(id);
    if (!t || t->state != CO__WAITING || !t->wait)
        co__rp_diverged("the recording wakes task %llu (%s), which is %s",
                        (unsigned long long)id, what,
                        t ? "not waiting" : "not alive");
    return t;
}

static void deliver_wake(void)
{
    uint64_t id = get_u();
    tr_wake why = (tr_wake)get_u();
    int result = (int)get_zz();
    co_task *t = waiting_task(id, tr_wake_name(why));
    if (t->wait->replay_wake)
        t->wait->replay_wake(t, t->wait, result);
    co__wake(t, why, result);
}

static void deliver_conn(void)
{
    char l[72], p[72];
    uint64_t task = get_u();
    int64_t fd = get_zz();
    get_cstr(l, sizeof l);
    get_cstr(p, sizeof p);
    CO__TRACE(tr_rec_conn(task, fd, l, p));
}

/* One record of the loop's; 0 once uv_run would have returned. */
static int deliver_one(void)
{
    int type = peek_type();
    if (type < 0)
        co__rp_diverged("the recording ends here (the recorded run was cut "
                        "short)");
    L.pos++;
    switch (type) {
    case R_CHECK:
        L.now += (uint64_t)get_zz();
        co__loop_check();
        return 1;
    case R_PREP:
        co__loop_prepare();
        return 1;
    case R_WAKE:
        deliver_wake();
        return 1;
    case R_IOEND: {
        uint64_t task = get_u();
        tr_op op = (tr_op)get_u();
        co__io_end(task, op, get_zz());
        return 1;
    }
    case R_CONN:
        deliver_conn();
        return 1;
    case R_DEADLINE:
        co__rp_quiet = 1;
        co__deadline_fired(live_task(get_u(), "deadline"));
        co__rp_quiet = 0;
        return 1;
    case R_SIGNAL:
        co__rp_quiet = 1;
        co__signal_arrived((int)get_u());
        co__rp_quiet = 0;
        return 1;
    case R_RUN_END:
        return 0;
    default:
        L.pos--;
        co__rp_diverged("the loop found %s in the recording where it expected "
                        "an input", rec_name(type));
    }
}

void co__rp_run(void)
{
    co__rp_loop = 1;
    while (deliver_one())
        ;
    co__rp_loop = 0;
}
