/* tracer/read/reader.c: trace file -> sorted event array.
 * The file is mmapped and read line by line in place (cJSON per line, never
 * a DOM of the whole file); big files are split at line boundaries and the
 * chunks parsed on several threads, then merged so that results, string ids
 * and line numbers are exactly those of a serial read.
 *
 * What is an error and what is a warning (tests assert these messages):
 *   errors (tr_load fails, -EINVAL): empty file; a first line that is not the
 *   header; format other than "coscope"; version other than 1; a whole line
 *   that is not one JSON object (or is empty, or longer than 1 MiB); a
 *   missing / mistyped / out-of-range field of a known event kind; invalid
 *   UTF-8 in a name, at, msg or err; `t` going backwards among loop-thread
 *   events (all but work_begin / work_end, which worker threads write
 *   out of order); and, found by the model (model.c), an event for a task
 *   never spawned or a task spawned twice.
 *   warnings (tr_load succeeds): a last line cut short (unparsable JSON on
 *   the file's last line: dropped) or no `end` line, one message "path:
 *   trace cut short after 1.28 s"; events of unknown kinds and unknown
 *   fields, skipped, counted and summarised in one message.
 * Syntax and field errors are found while parsing, model errors after: a
 * file with both reports the first syntax error even if a model error comes
 * on an earlier line. Numbers go through cJSON's double, so integers are
 * exact up to 2^53 (t up to 104 days); unix_ns is re-read from the text. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tr_int.h"

static _Thread_local char last_error[512];
static size_t parallel_threshold = (size_t)64 << 20;

#define TICK_BYTES ((size_t)4 << 20) /* progress / cancel / release period */

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

/* ---- fields ---- */

enum field {
    F_T, F_EV, F_TASK, F_PARENT, F_NAME, F_AT, F_BY, F_WHY, F_OBJ, F_OP,
    F_FD, F_MS, F_BYTES, F_RES, F_ERR, F_THREAD, F_STATUS, F_CODE, F_KIND,
    F_CAP, F_MSG, F_EVENTS, F_DROPPED, F_FORMAT, F_VERSION, F_PROGRAM, F_PID,
    F_CLOCK, F_UNIX_NS, F__COUNT
};
static const char *const field_names[F__COUNT] = {
    "t", "ev", "task", "parent", "name", "at", "by", "why", "obj", "op",
    "fd", "ms", "bytes", "res", "err", "thread", "status", "code", "kind",
    "cap", "msg", "events", "dropped", "format", "version", "program", "pid",
    "clock", "unix_ns",
};

#define B(f) (1u << (f))
#define BASE (B(F_T) | B(F_EV))
static const uint32_t allowed[TR_EV__COUNT] = {
    [TR_EV_TRACE] = B(F_EV) | B(F_FORMAT) | B(F_VERSION) | B(F_PROGRAM) |
                    B(F_PID) | B(F_CLOCK) | B(F_UNIX_NS),
    [TR_EV_SPAWN] = BASE | B(F_TASK) | B(F_PARENT) | B(F_NAME) | B(F_AT),
    [TR_EV_READY] = BASE | B(F_TASK) | B(F_BY) | B(F_WHY),
    [TR_EV_RUN] = BASE | B(F_TASK),
    [TR_EV_YIELD] = BASE | B(F_TASK) | B(F_WHY) | B(F_OBJ) | B(F_OP) |
                    B(F_FD) | B(F_MS) | B(F_AT),
    [TR_EV_IO_BEGIN] = BASE | B(F_TASK) | B(F_OP) | B(F_FD) | B(F_BYTES),
    [TR_EV_IO_END] = BASE | B(F_TASK) | B(F_OP) | B(F_RES) | B(F_ERR),
    [TR_EV_WORK_BEGIN] = BASE | B(F_TASK) | B(F_THREAD) | B(F_NAME),
    [TR_EV_WORK_END] = BASE | B(F_TASK) | B(F_THREAD) | B(F_NAME),
    [TR_EV_EXIT] = BASE | B(F_TASK) | B(F_STATUS) | B(F_CODE),
    [TR_EV_OBJ] = BASE | B(F_OBJ) | B(F_KIND) | B(F_CAP) | B(F_NAME) | B(F_AT),
    [TR_EV_ACQUIRE] = BASE | B(F_TASK) | B(F_OBJ),
    [TR_EV_RELEASE] = BASE | B(F_TASK) | B(F_OBJ),
    [TR_EV_MARK] = BASE | B(F_TASK) | B(F_MSG),
    [TR_EV_POLL_BEGIN] = BASE,
    [TR_EV_POLL_END] = BASE | B(F_EVENTS),
    [TR_EV_END] = BASE | B(F_EVENTS) | B(F_DROPPED),
};

/* A switch on the first byte: this runs for every field of every line. */
static int field_of(const char *k)
{
#define IS(s, f)                                                               \
    if (strcmp(k, s) == 0)                                                     \
        return f;
    switch (k[0]) {
    case 't': IS("t", F_T) IS("task", F_TASK) IS("thread", F_THREAD) break;
    case 'e': IS("ev", F_EV) IS("err", F_ERR) IS("events", F_EVENTS) break;
    case 'p': IS("parent", F_PARENT) IS("pid", F_PID) IS("program", F_PROGRAM) break;
    case 'n': IS("name", F_NAME) break;
    case 'a': IS("at", F_AT) break;
    case 'b': IS("by", F_BY) IS("bytes", F_BYTES) break;
    case 'w': IS("why", F_WHY) break;
    case 'o': IS("op", F_OP) IS("obj", F_OBJ) break;
    case 'f': IS("fd", F_FD) IS("format", F_FORMAT) break;
    case 'm': IS("ms", F_MS) IS("msg", F_MSG) break;
    case 'r': IS("res", F_RES) break;
    case 's': IS("status", F_STATUS) break;
    case 'c': IS("code", F_CODE) IS("cap", F_CAP) IS("clock", F_CLOCK) break;
    case 'k': IS("kind", F_KIND) break;
    case 'd': IS("dropped", F_DROPPED) break;
    case 'v': IS("version", F_VERSION) break;
    case 'u': IS("unix_ns", F_UNIX_NS) break;
    default: break;
    }
#undef IS
    return -1;
}

/* ---- cJSON memory: a bump arena per parse thread ----
 * cJSON mallocs every node and string; for ~8 nodes a line that was a
 * quarter of the load time. While a thread parses, its nodes come from its
 * arena, reset after each line; what does not fit falls back to malloc
 * (and the line's tree is then freed node by node). The hooks are global
 * to cJSON but act only in a thread that has an arena, so any other cJSON
 * user in the process keeps plain malloc/free. */
typedef struct arena {
    char *base;
    size_t used, cap;
    int spilled; /* some node of this line came from malloc */
} arena;

static _Thread_local arena *thread_arena;

static void *arena_malloc(size_t n)
{
    arena *a = thread_arena;
    if (a) {
        size_t need = (n + 15) & ~(size_t)15;
        if (need <= a->cap - a->used) {
            void *p = a->base + a->used;
            a->used += need;
            return p;
        }
        a->spilled = 1;
    }
    return malloc(n);
}

static void arena_free(void *p)
{
    arena *a = thread_arena;
    if (a && (char *)p >= a->base && (char *)p < a->base + a->cap)
        return;
    free(p);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void install_hooks(void)
{
    cJSON_Hooks h = {arena_malloc, arena_free};
    cJSON_InitHooks(&h);
}

static cJSON *parse_json(const char *s, size_t n, const char **end)
{
    if (thread_arena) {
        thread_arena->used = 0;
        thread_arena->spilled = 0;
    }
    return cJSON_ParseWithLengthOpts(s, n, end, 0);
}

/* Nodes all in the arena: nothing to free. If someone else reset cJSON's
 * hooks (used == 0 with a tree), the nodes came from their malloc. */
static void free_json(cJSON *root)
{
    arena *a = thread_arena;
    if (root && (!a || a->spilled || a->used == 0))
        cJSON_Delete(root);
}

/* ---- tokens: ev / why / op / status / kind strings -> enum values ---- */
typedef struct tokens {
    const char *name[64];
    int8_t value[64];
} tokens;

static tokens tok_ev, tok_wake, tok_wait, tok_op, tok_status, tok_kind;

static unsigned tok_hash(const char *s, size_t n)
{
    return ((unsigned char)s[0] * 31u + (unsigned)n * 7u + (unsigned char)s[n - 1] * 3u) & 63u;
}

static void tok_init(tokens *t, int count, const char *(*name)(int), int first)
{
    for (int v = first; v < count; v++) {
        const char *s = name(v);
        unsigned h = tok_hash(s, strlen(s));
        while (t->name[h])
            h = (h + 1) & 63u;
        t->name[h] = s;
        t->value[h] = (int8_t)v;
    }
}

static int tok_find(const tokens *t, const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return -1;
    for (unsigned h = tok_hash(s, n); t->name[h]; h = (h + 1) & 63u)
        if (strcmp(t->name[h], s) == 0)
            return t->value[h];
    return -1;
}

static int ev_token(const char *s) { return tok_find(&tok_ev, s); }
static int wake_token(const char *s) { return tok_find(&tok_wake, s); }
static int wait_token(const char *s) { return tok_find(&tok_wait, s); }
static int op_token(const char *s) { return tok_find(&tok_op, s); }
static int status_token(const char *s) { return tok_find(&tok_status, s); }
static int kind_token(const char *s) { return tok_find(&tok_kind, s); }

static void reader_init(void)
{
    install_hooks();
    tok_init(&tok_ev, TR_EV__COUNT, tr_ev_name, 1); /* 0 is "?", no token */
    tok_init(&tok_wake, TR_WAKE__COUNT, tr_wake_name, 0);
    tok_init(&tok_wait, TR_WAIT__COUNT, tr_wait_name, 0);
    tok_init(&tok_op, TR_OP__COUNT, tr_op_name, 0);
    tok_init(&tok_status, TR_STATUS__COUNT, tr_status_name, 0);
    tok_init(&tok_kind, TR_OBJ__COUNT, tr_objkind_name, 0);
}

/* ---- one chunk of lines, parsed by one thread ---- */

typedef struct loader {
    const char *name;
    int mapped; /* data is our private file mapping: pages may be dropped */
    const tr_load_opts *opts;
    uint64_t total;
    _Atomic uint64_t done;
    atomic_int cancel;
} loader;

typedef struct chunk {
    loader *ld;
    const char *p;
    size_t len;
    int first, last; /* holds line 1 / the file's last line */
    tr_event *ev;
    size_t nev, cap;
    tr__strtab st;
    uint32_t nlines;
    int err;          /* 0 or negative errno; msg/err_line say what */
    uint32_t err_line;
    char msg[300];
    int have_loop;    /* saw a loop-thread event: first/last t for merge */
    int64_t first_loop_t, last_loop_t;
    uint32_t first_loop_line;
    uint64_t unk_events, unk_fields;
    uint32_t unk_ev_line, unk_field_line;
    char unk_ev[48], unk_field[48];
    int truncated, has_end;
    int64_t end_events, end_dropped;
    int version; /* header (first chunk only) */
    int64_t pid, unix_ns;
    uint32_t program;
    uint64_t reported; /* bytes already added to ld->done */
    const char *released; /* mapped pages before this are dropped */
} chunk;

static int fail(chunk *c, uint32_t line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(chunk *c, uint32_t line, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->err = code;
    c->err_line = line;
    return code;
}

/* A token quoted in a message: printable ASCII only, at most 40 bytes. */
static void sanitize(char *dst, size_t n, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 4 < n && i < 40; i++) {
        unsigned char ch = (unsigned char)s[i];
        dst[i] = ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\' ? '?' : (char)ch;
    }
    if (s[i]) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
}

static int only_space(const char *s, const char *end)
{
    for (; s < end; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* Integers: cJSON keeps a double; reject fractions and what does not fit. */
static int get_i64(chunk *c, const cJSON *it, int f, uint32_t line, int64_t *out)
{
    if (!cJSON_IsNumber(it))
        return fail(c, line, -EINVAL, "\"%s\" must be an integer", field_names[f]);
    double d = it->valuedouble;
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return fail(c, line, -EINVAL, "\"%s\" is out of range", field_names[f]);
    int64_t v = (int64_t)d;
    if ((double)v != d)
        return fail(c, line, -EINVAL, "\"%s\" must be an integer", field_names[f]);
    *out = v;
    return 0;
}

static int get_u32(chunk *c, const cJSON *it, int f, uint32_t line, uint32_t *out)
{
    int64_t v;
    int rc = get_i64(c, it, f, line, &v);
    if (rc)
        return rc;
    if (v < 0 || v > (int64_t)UINT32_MAX)
        return fail(c, line, -EINVAL, "\"%s\" is out of range", field_names[f]);
    *out = (uint32_t)v;
    return 0;
}

static int need(chunk *c, cJSON **f, int id, uint32_t line)
{
    return f[id] ? 0 : fail(c, line, -EINVAL, "missing \"%s\"", field_names[id]);
}

static int need_u32(chunk *c, cJSON **f, int id, uint32_t line, uint32_t *out)
{
    int rc = need(c, f, id, line);
    return rc ? rc : get_u32(c, f[id], id, line, out);
}

static int need_task(chunk *c, cJSON **f, uint32_t line, uint32_t *out)
{
    int rc = need_u32(c, f, F_TASK, line, out);
    if (rc == 0 && *out == 0)
        return fail(c, line, -EINVAL, "\"task\" must be 1 or more");
    return rc;
}

static int get_str(chunk *c, cJSON **f, int id, uint32_t line, uint32_t *out)
{
    const cJSON *it = f[id];
    if (!cJSON_IsString(it))
        return fail(c, line, -EINVAL, "\"%s\" must be a string", field_names[id]);
    int rc = tr__intern(&c->st, it->valuestring, strlen(it->valuestring), out);
    if (rc == -EILSEQ)
        return fail(c, line, -EINVAL, "\"%s\" is not valid UTF-8", field_names[id]);
    if (rc)
        return fail(c, line, rc, "out of memory");
    return 0;
}

static int need_str(chunk *c, cJSON **f, int id, uint32_t line, uint32_t *out)
{
    int rc = need(c, f, id, line);
    return rc ? rc : get_str(c, f, id, line, out);
}

static int need_enum(chunk *c, cJSON **f, int id, uint32_t line,
                     int (*parse)(const char *), uint8_t *out)
{
    int rc = need(c, f, id, line);
    if (rc)
        return rc;
    if (!cJSON_IsString(f[id]))
        return fail(c, line, -EINVAL, "\"%s\" must be a string", field_names[id]);
    int v = parse(f[id]->valuestring);
    if (v < 0) {
        char tok[48];
        sanitize(tok, sizeof tok, f[id]->valuestring);
        return fail(c, line, -EINVAL, "bad \"%s\": \"%s\"", field_names[id], tok);
    }
    *out = (uint8_t)v;
    return 0;
}

/* unix_ns is ~1.8e18, beyond a double's 53 bits: read its digits again. */
static int raw_i64(const char *s, size_t n, const char *key, int64_t *out)
{
    size_t kn = strlen(key);
    for (size_t i = 0; i + kn < n; i++) {
        if (memcmp(s + i, key, kn) != 0)
            continue;
        size_t j = i + kn;
        while (j < n && (s[j] == ' ' || s[j] == ':' || s[j] == '\t'))
            j++;
        int neg = j < n && s[j] == '-';
        j += neg;
        uint64_t v = 0;
        size_t d0 = j;
        for (; j < n && s[j] >= '0' && s[j] <= '9'; j++) {
            if (v > (UINT64_MAX - 9) / 10)
                return -1;
            v = v * 10 + (uint64_t)(s[j] - '0');
        }
        if (j == d0 || v > (uint64_t)INT64_MAX)
            return -1;
        *out = neg ? -(int64_t)v : (int64_t)v;
        return 0;
    }
    return -1;
}

static const char header_msg[] = "expected the header ({\"ev\":\"trace\",...}) on the first line";

static int parse_header(chunk *c, const char *s, size_t n)
{
    const char *end = NULL;
    cJSON *root = parse_json(s, n, &end);
    cJSON *f[F__COUNT] = {0};
    int rc = 0;
    if (!root || !cJSON_IsObject(root) || !only_space(end, s + n)) {
        rc = fail(c, 1, -EINVAL, "%s", header_msg);
        goto out;
    }
    for (cJSON *it = root->child; it; it = it->next) {
        int id = it->string ? field_of(it->string) : -1;
        if (id < 0 || !(allowed[TR_EV_TRACE] & B(id))) {
            if (c->unk_fields++ == 0) {
                sanitize(c->unk_field, sizeof c->unk_field, it->string ? it->string : "");
                c->unk_field_line = 1;
            }
            continue;
        }
        f[id] = it;
    }
    if (!cJSON_IsString(f[F_EV]) || strcmp(f[F_EV]->valuestring, "trace") != 0) {
        rc = fail(c, 1, -EINVAL, "%s", header_msg);
        goto out;
    }
    if (!cJSON_IsString(f[F_FORMAT]) || strcmp(f[F_FORMAT]->valuestring, "coscope") != 0) {
        rc = fail(c, 1, -EINVAL, "\"format\" must be \"coscope\"");
        goto out;
    }
    int64_t v;
    if ((rc = need(c, f, F_VERSION, 1)) || (rc = get_i64(c, f[F_VERSION], F_VERSION, 1, &v)))
        goto out;
    if (v != 1) {
        rc = fail(c, 1, -EINVAL, "unsupported version %lld (this reader knows version 1)",
                  (long long)v);
        goto out;
    }
    c->version = 1;
    if (f[F_PROGRAM] && (rc = get_str(c, f, F_PROGRAM, 1, &c->program)))
        goto out;
    if (f[F_PID] && (rc = get_i64(c, f[F_PID], F_PID, 1, &c->pid)))
        goto out;
    if (f[F_UNIX_NS]) {
        if ((rc = get_i64(c, f[F_UNIX_NS], F_UNIX_NS, 1, &c->unix_ns)))
            goto out;
        if (c->unix_ns > (1LL << 53) || c->unix_ns < -(1LL << 53))
            raw_i64(s, n, "\"unix_ns\"", &c->unix_ns);
    }
out:
    free_json(root);
    return rc;
}

static int push(chunk *c, const tr_event *e)
{
    if (c->nev == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        tr_event *ev = realloc(c->ev, cap * sizeof *ev);
        if (!ev)
            return fail(c, 0, -ENOMEM, "out of memory");
        c->ev = ev;
        c->cap = cap;
    }
    c->ev[c->nev++] = *e;
    return 0;
}

/* The fields of one known event kind into e. */
static int fill(chunk *c, cJSON **f, uint32_t line, tr_event *e)
{
    int rc = 0;
    int64_t v;
    switch (e->ev) {
    case TR_EV_SPAWN:
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_u32(c, f, F_PARENT, line, &e->arg)) ||
            (rc = need_str(c, f, F_NAME, line, &e->str)))
            return rc;
        if (f[F_AT] && (rc = get_str(c, f, F_AT, line, &e->at)))
            return rc;
        break;
    case TR_EV_READY:
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_u32(c, f, F_BY, line, &e->arg)) ||
            (rc = need_enum(c, f, F_WHY, line, wake_token, &e->why)))
            return rc;
        break;
    case TR_EV_RUN:
        return need_task(c, f, line, &e->task);
    case TR_EV_YIELD:
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_enum(c, f, F_WHY, line, wait_token, &e->why)))
            return rc;
        if (f[F_OBJ]) {
            if ((rc = get_u32(c, f[F_OBJ], F_OBJ, line, &e->arg)))
                return rc;
            e->flags |= TR_F_OBJ;
        }
        if (f[F_OP] && (rc = need_enum(c, f, F_OP, line, op_token, &e->op)))
            return rc;
        if (f[F_FD]) {
            if ((rc = get_i64(c, f[F_FD], F_FD, line, &e->val)))
                return rc;
            e->flags |= TR_F_FD;
        }
        if (f[F_MS]) {
            if ((rc = get_i64(c, f[F_MS], F_MS, line, &e->val2)))
                return rc;
            e->flags |= TR_F_MS;
        }
        if (f[F_AT] && (rc = get_str(c, f, F_AT, line, &e->at)))
            return rc;
        break;
    case TR_EV_IO_BEGIN:
        if ((rc = need_u32(c, f, F_TASK, line, &e->task)) ||
            (rc = need_enum(c, f, F_OP, line, op_token, &e->op)))
            return rc;
        if (f[F_FD]) {
            if ((rc = get_i64(c, f[F_FD], F_FD, line, &e->val)))
                return rc;
            e->flags |= TR_F_FD;
        }
        if (f[F_BYTES]) {
            if ((rc = get_i64(c, f[F_BYTES], F_BYTES, line, &e->val2)))
                return rc;
            e->flags |= TR_F_BYTES;
        }
        break;
    case TR_EV_IO_END:
        if ((rc = need_u32(c, f, F_TASK, line, &e->task)) ||
            (rc = need_enum(c, f, F_OP, line, op_token, &e->op)))
            return rc;
        if (f[F_ERR]) {
            if ((rc = get_str(c, f, F_ERR, line, &e->str)))
                return rc;
            e->flags |= TR_F_ERR;
        } else if ((rc = need(c, f, F_RES, line)) ||
                   (rc = get_i64(c, f[F_RES], F_RES, line, &e->val))) {
            return rc;
        }
        break;
    case TR_EV_WORK_BEGIN:
    case TR_EV_WORK_END:
        if ((rc = need_u32(c, f, F_TASK, line, &e->task)) ||
            (rc = need_u32(c, f, F_THREAD, line, &e->arg)) ||
            (rc = need_str(c, f, F_NAME, line, &e->str)))
            return rc;
        break;
    case TR_EV_EXIT:
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_enum(c, f, F_STATUS, line, status_token, &e->why)))
            return rc;
        if (f[F_CODE]) {
            if ((rc = get_i64(c, f[F_CODE], F_CODE, line, &e->val)))
                return rc;
            e->flags |= TR_F_CODE;
        }
        break;
    case TR_EV_OBJ:
        if ((rc = need_u32(c, f, F_OBJ, line, &e->arg)) ||
            (rc = need_enum(c, f, F_KIND, line, kind_token, &e->why)))
            return rc;
        e->flags |= TR_F_OBJ;
        if (f[F_CAP]) {
            if ((rc = get_i64(c, f[F_CAP], F_CAP, line, &e->val)))
                return rc;
            e->flags |= TR_F_CAP;
        }
        if (f[F_NAME] && (rc = get_str(c, f, F_NAME, line, &e->str)))
            return rc;
        if (f[F_AT] && (rc = get_str(c, f, F_AT, line, &e->at)))
            return rc;
        break;
    case TR_EV_ACQUIRE:
    case TR_EV_RELEASE:
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_u32(c, f, F_OBJ, line, &e->arg)))
            return rc;
        e->flags |= TR_F_OBJ;
        break;
    case TR_EV_MARK:
        if ((rc = need_u32(c, f, F_TASK, line, &e->task)) ||
            (rc = need_str(c, f, F_MSG, line, &e->str)))
            return rc;
        break;
    case TR_EV_POLL_END:
        if (f[F_EVENTS]) {
            if ((rc = get_i64(c, f[F_EVENTS], F_EVENTS, line, &e->val)))
                return rc;
            e->flags |= TR_F_EVENTS;
        }
        break;
    case TR_EV_END:
        if (f[F_EVENTS] && (rc = get_i64(c, f[F_EVENTS], F_EVENTS, line, &v)))
            return rc;
        e->val = f[F_EVENTS] ? v : 0;
        if (f[F_DROPPED] && (rc = get_i64(c, f[F_DROPPED], F_DROPPED, line, &v)))
            return rc;
        e->val2 = f[F_DROPPED] ? v : 0;
        if (f[F_EVENTS])
            e->flags |= TR_F_EVENTS;
        c->has_end = 1;
        c->end_events = e->val;
        c->end_dropped = e->val2;
        break;
    default: /* poll_begin: nothing but t */
        break;
    }
    return 0;
}

static int parse_event(chunk *c, cJSON *root, uint32_t line)
{
    cJSON *f[F__COUNT] = {0};
    const char *unk = NULL;
    uint64_t nunk = 0;
    for (cJSON *it = root->child; it; it = it->next) {
        int id = it->string ? field_of(it->string) : -1;
        if (id < 0) {
            if (nunk++ == 0)
                unk = it->string ? it->string : "";
            continue;
        }
        f[id] = it;
    }
    if (!f[F_EV])
        return fail(c, line, -EINVAL, "missing \"ev\"");
    if (!cJSON_IsString(f[F_EV]))
        return fail(c, line, -EINVAL, "\"ev\" must be a string");
    int ev = ev_token(f[F_EV]->valuestring);
    if (ev < 0) {
        if (c->unk_events++ == 0) {
            sanitize(c->unk_ev, sizeof c->unk_ev, f[F_EV]->valuestring);
            c->unk_ev_line = line;
        }
        return 0;
    }
    if (ev == TR_EV_TRACE)
        return fail(c, line, -EINVAL, "header line in the middle of the trace");
    uint32_t extra = 0;
    for (int id = 0; id < F__COUNT; id++)
        if (f[id] && !(allowed[ev] & B(id))) {
            if (!unk)
                unk = field_names[id];
            extra++;
        }
    if (nunk + extra) {
        if (c->unk_fields == 0) {
            sanitize(c->unk_field, sizeof c->unk_field, unk);
            c->unk_field_line = line;
        }
        c->unk_fields += nunk + extra;
    }

    tr_event e;
    memset(&e, 0, sizeof e);
    e.ev = (uint8_t)ev;
    e.line = line;
    int rc;
    if ((rc = need(c, f, F_T, line)) || (rc = get_i64(c, f[F_T], F_T, line, &e.t)))
        return rc;
    if (e.t < 0)
        return fail(c, line, -EINVAL, "\"t\" is out of range");
    if (ev != TR_EV_WORK_BEGIN && ev != TR_EV_WORK_END) {
        if (c->have_loop && e.t < c->last_loop_t)
            return fail(c, line, -EINVAL, "\"t\" goes backwards (%lld after %lld)",
                        (long long)e.t, (long long)c->last_loop_t);
        if (!c->have_loop) {
            c->have_loop = 1;
            c->first_loop_t = e.t;
            c->first_loop_line = line;
        }
        c->last_loop_t = e.t;
    }
    if ((rc = fill(c, f, line, &e)))
        return rc;
    return push(c, &e);
}

static int parse_line(chunk *c, const char *s, size_t n, uint32_t line, int file_last)
{
    if (n > TR__MAX_LINE)
        return fail(c, line, -EINVAL, "line longer than 1 MiB");
    if (c->first && line == 1)
        return parse_header(c, s, n);
    if (n == 0)
        return fail(c, line, -EINVAL, "empty line");
    const char *end = NULL;
    cJSON *root = parse_json(s, n, &end);
    if (!root && file_last) {
        c->truncated = 1; /* cut short while being written: drop it */
        return 0;
    }
    int rc;
    if (!root || !cJSON_IsObject(root) || !only_space(end, s + n))
        rc = fail(c, line, -EINVAL, "not a JSON object");
    else
        rc = parse_event(c, root, line);
    free_json(root);
    return rc;
}

/* Progress, cancel, and dropping the mapped pages already parsed so the
 * resident set holds the event array, not the whole file. */
static int tick(chunk *c, const char *s, int final)
{
    loader *ld = c->ld;
    uint64_t pos = (uint64_t)(s - c->p);
    uint64_t done = atomic_fetch_add(&ld->done, pos - c->reported) + (pos - c->reported);
    c->reported = pos;
    if (ld->mapped) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t a = ((uintptr_t)c->released + page - 1) & ~(page - 1);
        uintptr_t b = (uintptr_t)s & ~(page - 1);
        if (b > a) {
            madvise((void *)a, b - a, MADV_DONTNEED);
            c->released = (const char *)b;
        }
    }
    if (c->first && !final && ld->opts && ld->opts->progress &&
        ld->opts->progress(ld->opts->progress_ctx, done, ld->total))
        atomic_store(&ld->cancel, 1);
    return atomic_load(&ld->cancel) ? -ECANCELED : 0;
}

static void *chunk_run(void *arg)
{
    chunk *c = arg;
    const char *s = c->p, *end = c->p + c->len;
    const char *next_tick = s + TICK_BYTES;
    uint32_t line = 0;
    arena a = {malloc(64 << 10), 0, 64 << 10, 0};
    if (!a.base)
        a.cap = 0; /* every node from malloc: slower, still right */
    thread_arena = &a;
    c->released = c->p;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        size_t n = (size_t)(le - s);
        if (n > 0 && le[-1] == '\r')
            n--;
        line++;
        if (parse_line(c, s, n, line, c->last && next == end) != 0)
            break;
        s = next;
        if (s >= next_tick) {
            next_tick = s + TICK_BYTES;
            if (tick(c, s, 0) != 0) {
                fail(c, line, -ECANCELED, "load cancelled");
                break;
            }
        }
    }
    thread_arena = NULL;
    free(a.base);
    c->nlines = line;
    tick(c, end, 1);
    return NULL;
}

/* ---- whole file ---- */

static int compare_event(const void *a, const void *b)
{
    const tr_event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Loop-thread events are already in order (checked while parsing); only
 * work_begin/end from pool threads may be late. Take them out, sort them,
 * merge them back from the end: no second full-size array. Ties keep file
 * order (t, then line), so the sort is stable. */
static int sort_events(tr_trace *tr)
{
    tr_event *ev = tr->ev;
    size_t n = tr->nev, i, nw = 0, j = 0;
    for (i = 1; i < n && ev[i].t >= ev[i - 1].t; i++)
        ;
    if (i >= n)
        return 0;
    for (i = 0; i < n; i++)
        nw += ev[i].ev == TR_EV_WORK_BEGIN || ev[i].ev == TR_EV_WORK_END;
    tr_event *w = malloc(nw * sizeof *w);
    if (!w)
        return -ENOMEM;
    nw = 0;
    for (i = 0; i < n; i++) {
        if (ev[i].ev == TR_EV_WORK_BEGIN || ev[i].ev == TR_EV_WORK_END)
            w[nw++] = ev[i];
        else
            ev[j++] = ev[i];
    }
    qsort(w, nw, sizeof *w, compare_event);
    size_t d = n;
    while (nw > 0) {
        if (j > 0 && compare_event(&ev[j - 1], &w[nw - 1]) > 0)
            ev[--d] = ev[--j];
        else
            ev[--d] = w[--nw];
    }
    free(w);
    return 0;
}

static void plural(char *buf, size_t n, uint64_t k, const char *what)
{
    snprintf(buf, n, "%llu %s%s", (unsigned long long)k, what, k == 1 ? "" : "s");
}

/* The first unknown kind and field, with absolute line numbers. */
typedef struct unknown_info {
    char ev[48], field[48];
    unsigned long long ev_line, field_line;
} unknown_info;

static int finish_warnings(tr_trace *tr, const unknown_info *u)
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

/* Merges the chunks (in file order) into tr: first error wins, line numbers
 * get each chunk's offset, string ids are re-interned in file order. */
static int merge(tr_trace *tr, chunk *ch, int nch, unknown_info *u)
{
    uint64_t off = 0;
    int have_prev = 0;
    int64_t prev_t = 0;
    for (int k = 0; k < nch; k++) {
        chunk *c = &ch[k];
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

    size_t total = 0;
    for (int k = 0; k < nch; k++)
        total += ch[k].nev;
    if (total >= UINT32_MAX) {
        tr__set_error("%s: more than 4294967294 events", tr->name);
        return -EINVAL;
    }
    tr->st = ch[0].st;
    memset(&ch[0].st, 0, sizeof ch[0].st);
    tr->ev = ch[0].ev;
    tr->nev = ch[0].nev;
    ch[0].ev = NULL;
    if (nch > 1) {
        tr_event *ev = realloc(tr->ev, (total ? total : 1) * sizeof *ev);
        if (!ev)
            goto nomem;
        tr->ev = ev;
    }
    off = ch[0].nlines;
    for (int k = 1; k < nch; k++) {
        chunk *c = &ch[k];
        uint32_t *remap = malloc((size_t)c->st.n * sizeof *remap);
        if (!remap)
            goto nomem;
        for (uint32_t id = 0; id < c->st.n; id++) {
            const char *s = tr__str(&c->st, id);
            if (tr__intern(&tr->st, s, strlen(s), &remap[id]) != 0) {
                free(remap);
                goto nomem;
            }
        }
        tr_event *dst = tr->ev + tr->nev;
        for (size_t i = 0; i < c->nev; i++) {
            dst[i] = c->ev[i];
            dst[i].line += (uint32_t)off;
            dst[i].str = remap[dst[i].str];
            dst[i].at = remap[dst[i].at];
        }
        tr->nev += c->nev;
        free(remap);
        free(c->ev);
        c->ev = NULL;
        off += c->nlines;
    }
    if (tr->nev == 0) { /* keep a valid pointer for an empty event list */
        free(tr->ev);
        tr->ev = malloc(sizeof *tr->ev);
        if (!tr->ev)
            goto nomem;
    }

    tr_header *h = &tr->head;
    h->program = NULL; /* set once the string table stops moving */
    h->pid = ch[0].pid;
    h->unix_ns = ch[0].unix_ns;
    h->version = ch[0].version;
    int has_end = 0;
    off = 0;
    for (int k = 0; k < nch; k++) {
        chunk *c = &ch[k];
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
    return 0;
nomem:
    tr__set_error("%s: out of memory", tr->name);
    return -ENOMEM;
}

static int nthreads(const tr_load_opts *opts)
{
    long n = opts && opts->threads > 0 ? opts->threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

/* Splits data into n chunks that end just after a '\n' (or at the end). */
static void split(chunk *ch, int n, const char *data, size_t len)
{
    size_t start = 0;
    for (int k = 0; k < n; k++) {
        size_t stop = len;
        if (k < n - 1) {
            size_t pos = len / (size_t)n * (size_t)(k + 1);
            if (pos < start)
                pos = start;
            if (pos > 0 && data[pos - 1] == '\n') {
                stop = pos;
            } else {
                const char *nl = memchr(data + pos, '\n', len - pos);
                stop = nl ? (size_t)(nl - data) + 1 : len;
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
static void join_with_progress(loader *ld, pthread_t thr)
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
    pthread_once(&init_once, reader_init);
    int nch = len > parallel_threshold ? nthreads(opts) : 1;
    if (len < (size_t)nch * 2)
        nch = 1;
    loader ld = {.name = name, .mapped = mapped, .opts = opts, .total = len};
    atomic_init(&ld.done, 0);
    atomic_init(&ld.cancel, 0);
    chunk *ch = calloc((size_t)nch, sizeof *ch);
    pthread_t *thr = calloc((size_t)nch, sizeof *thr);
    char *started = calloc((size_t)nch, 1);
    tr_trace *tr = calloc(1, sizeof *tr);
    unknown_info unk;
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
        started[k] = pthread_create(&thr[k], NULL, chunk_run, &ch[k]) == 0;
    chunk_run(&ch[0]);
    for (int k = 1; k < nch; k++) {
        if (started[k])
            join_with_progress(&ld, thr[k]);
        else
            chunk_run(&ch[k]); /* no thread: parse it here */
    }
    if ((rc = merge(tr, ch, nch, &unk)) != 0)
        goto done;
    if (opts && opts->progress && opts->progress(opts->progress_ctx, len, len)) {
        tr__set_error("%s: load cancelled", name);
        rc = -ECANCELED;
        goto done;
    }
    if ((rc = sort_events(tr)) != 0) {
        tr__set_error("%s: out of memory", name);
        goto done;
    }
    tr->head.program = tr__str(&tr->st, ch[0].program);
    tr->head.duration = tr->nev ? tr->ev[tr->nev - 1].t : 0;
    if ((rc = tr__model_build(tr)) != 0)
        goto done;
    if ((rc = finish_warnings(tr, &unk)) != 0) {
        tr__set_error("%s: out of memory", name);
        goto done;
    }
    *out = tr;
    tr = NULL;
done:
    for (int k = 0; ch && k < nch; k++) {
        free(ch[k].ev);
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

/* Pipes and other non-regular files: read everything into memory. */
static int load_stream(const char *path, int fd, const tr_load_opts *opts, tr_trace **out)
{
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            tr__set_error("%s: out of memory", path);
            return -ENOMEM;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            tr__set_error("%s: %s", path, strerror(e));
            return -e;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    int rc = load(path, buf, len, opts, 0, out);
    free(buf);
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
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        tr__set_error("%s: %s", path, strerror(e));
        return -e;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        tr__set_error("%s: %s", path, strerror(e));
        return -e;
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        tr__set_error("%s: %s", path, strerror(EISDIR));
        return -EISDIR;
    }
    if (!S_ISREG(sb.st_mode)) {
        int rc = load_stream(path, fd, opts, out);
        close(fd);
        return rc;
    }
    size_t len = (size_t)sb.st_size;
    if (len == 0) {
        close(fd);
        return load(path, NULL, 0, opts, 0, out);
    }
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        int e = errno;
        tr__set_error("%s: %s", path, strerror(e));
        return -e;
    }
    madvise(p, len, MADV_SEQUENTIAL);
    int rc = load(path, p, len, opts, 1, out);
    munmap(p, len);
    return rc;
}
