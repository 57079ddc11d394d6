/* tracer/read/parse.c: one chunk of trace lines -> events.
 * Each line is read by flat.c when it is plain (the recorder's shape),
 * else by cJSON (nodes from a per-thread bump arena); either way its
 * fields are matched once by a switch and checked against the event kind,
 * strings are interned in the chunk's own table. A chunk knows nothing of
 * the others: reader.c gives it lines to parse and merges the results. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tr_int.h"

#define TICK_BYTES ((size_t)4 << 20) /* progress / cancel / release period */

/* ---- fields ----
 * The field names and their order come from the format layer (TR_FIELDS in
 * coscope/tr_kinds.h); F_X is TR_FLD_X, a bit in the `allowed` sets below. */

enum field {
#define FIELD_ENUM(f) F_##f = TR_FLD_##f,
    TR_FIELDS(FIELD_ENUM)
#undef FIELD_ENUM
    F__COUNT = TR_FLD__COUNT
};
_Static_assert(F__COUNT <= 64, "a field set is a uint64_t");
static const char *const field_names[F__COUNT] = {
#define FIELD_NAME(f) [F_##f] = TR_FIELD_##f,
    TR_FIELDS(FIELD_NAME)
#undef FIELD_NAME
};

#define B(f) (1ull << (f))
#define BASE (B(F_T) | B(F_EV))
static const uint64_t allowed[TR_EV__COUNT] = {
    [TR_EV_TRACE] = B(F_EV) | B(F_FORMAT) | B(F_VERSION) | B(F_PROGRAM) |
                    B(F_PID) | B(F_CLOCK) | B(F_UNIX_NS) | B(F_MODULES) | B(F_SEED),
    [TR_EV_SPAWN] = BASE | B(F_TASK) | B(F_PARENT) | B(F_NAME) | B(F_AT) | B(F_STACK),
    [TR_EV_READY] = BASE | B(F_TASK) | B(F_BY) | B(F_WHY),
    [TR_EV_RUN] = BASE | B(F_TASK),
    [TR_EV_YIELD] = BASE | B(F_TASK) | B(F_WHY) | B(F_OBJ) | B(F_OP) |
                    B(F_FD) | B(F_MS) | B(F_AT) | B(F_STACK) | B(F_CPU) |
                    B(F_RUNQ) | B(F_STOPS) | B(F_NEXT),
    [TR_EV_IO_BEGIN] = BASE | B(F_TASK) | B(F_OP) | B(F_FD) | B(F_BYTES),
    [TR_EV_IO_END] = BASE | B(F_TASK) | B(F_OP) | B(F_RES) | B(F_ERR),
    [TR_EV_WORK_BEGIN] = BASE | B(F_TASK) | B(F_THREAD) | B(F_NAME),
    [TR_EV_WORK_END] = BASE | B(F_TASK) | B(F_THREAD) | B(F_NAME),
    [TR_EV_EXIT] = BASE | B(F_TASK) | B(F_STATUS) | B(F_CODE) | B(F_CPU) | B(F_RUNQ) |
                   B(F_STOPS) | B(F_NEXT),
    [TR_EV_OBJ] = BASE | B(F_OBJ) | B(F_KIND) | B(F_CAP) | B(F_NAME) | B(F_AT),
    [TR_EV_ACQUIRE] = BASE | B(F_TASK) | B(F_OBJ),
    [TR_EV_RELEASE] = BASE | B(F_TASK) | B(F_OBJ),
    [TR_EV_MARK] = BASE | B(F_TASK) | B(F_MSG),
    [TR_EV_POLL_BEGIN] = BASE,
    [TR_EV_POLL_END] = BASE | B(F_EVENTS),
    [TR_EV_END] = BASE | B(F_EVENTS) | B(F_DROPPED),
    [TR_EV_STUCK] = BASE | B(F_TASK),
    [TR_EV_IO] = BASE | B(F_TASK) | B(F_OP) | B(F_FD) | B(F_BYTES) | B(F_RES) |
                 B(F_ERR),
    [TR_EV_FATAL] = BASE | B(F_TASK) | B(F_MSG) | B(F_AT),
    [TR_EV_HALT] = BASE | B(F_SIGNAL) | B(F_CODE),
    [TR_EV_STACK] = BASE | B(F_STACK) | B(F_PCS),
    [TR_EV_SPAN_BEGIN] = BASE | B(F_TASK) | B(F_NAME) | B(F_AT),
    [TR_EV_SPAN_END] = BASE | B(F_TASK),
    [TR_EV_RENAME] = BASE | B(F_TASK) | B(F_NAME),
    [TR_EV_CONN] = BASE | B(F_TASK) | B(F_FD) | B(F_LOCAL) | B(F_PEER),
    [TR_EV_REQUEUE] = BASE | B(F_TASK) | B(F_AT) | B(F_STACK) | B(F_CPU) | B(F_RUNQ) |
                      B(F_STOPS) | B(F_NEXT),
    [TR_EV_IO_WAIT] = BASE | B(F_TASK) | B(F_OP) | B(F_FD) | B(F_BYTES) | B(F_MS) |
                      B(F_AT) | B(F_STACK) | B(F_CPU) | B(F_RUNQ) | B(F_STOPS) | B(F_NEXT),
    [TR_EV_IO_WAKE] = BASE | B(F_TASK) | B(F_OP) | B(F_RES) | B(F_ERR),
};

/* ---- cJSON memory: a bump arena per parse thread ----
 * cJSON mallocs every node and string; for ~8 nodes a line that was a
 * quarter of the load time. While a thread parses, its nodes come from its
 * arena, reset after each line; what does not fit falls back to malloc
 * (and the line's tree is then freed node by node). The hooks are global
 * to cJSON but act only in a thread that has an arena, so any other cJSON
 * user in the process keeps plain malloc/free. */
#define FLAT_MAX 32 /* members of a line read without cJSON, at most */

typedef struct arena {
    char *base;
    size_t used, cap;
    int spilled; /* some node of this line came from malloc */
    char *text;  /* the line with its numbers quoted (see quote_numbers) */
    size_t textcap;
    int oom; /* an allocation for this line failed: not a syntax error */
    cJSON flat[1 + FLAT_MAX]; /* a plain line's object and members (flat.c) */
} arena;

static _Thread_local arena *thread_arena;
static int flat_on = 1; /* see tr__set_flat */

int tr__set_flat(int on)
{
    int old = flat_on;
    flat_on = on;
    return old;
}

static void *arena_malloc(size_t n)
{
    arena *a = thread_arena;
    if (a) {
        size_t need = (n + 15) & ~(size_t)15;
        if (a->base && need <= a->cap - a->used) {
            void *p = a->base + a->used;
            a->used += need;
            return p;
        }
        a->spilled = 1;
    }
    void *p = malloc(n);
    if (!p && a)
        a->oom = 1;
    return p;
}

static void arena_free(void *p)
{
    arena *a = thread_arena;
    if (a && a->base && (char *)p >= a->base && (char *)p < a->base + a->cap)
        return;
    free(p);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void install_hooks(void)
{
    cJSON_Hooks h = {arena_malloc, arena_free};
    cJSON_InitHooks(&h);
}

/* ---- numbers ----
 * cJSON reads every number with strtod after calling localeconv(), and
 * glibc's localeconv() rewrites one process-wide static struct on each
 * call: two parser threads kept bouncing its cache lines and the parallel
 * load was no faster than the serial one. So, copying the line, we check
 * each number that is an object member's value against the JSON grammar
 * and hand it to cJSON as a string marked by a leading NUM_MARK byte; we
 * then read integers ourselves, exactly, all 64 bits (cJSON's double held
 * 53). The mark is byte 0xFF, which no \u escape decodes to (cJSON writes
 * valid UTF-8); a real string starting with a raw 0xFF is refused (it is
 * not UTF-8 anyway), so the mark cannot be forged. Raw control bytes in a
 * string are refused too, as JSON says. */
#define NUM_MARK TR__NUM_MARK

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* Length of the JSON number at s[0..n), or 0 if there is none. */
static size_t json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && is_digit(s[i]))
        while (i < n && is_digit(s[i]))
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == d)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == d)
            return 0;
    }
    if (i < n && (is_digit(s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                  s[i] == '-' || s[i] == '+'))
        return 0; /* "007", "1.2.3": not one number */
    return i;
}

/* Copies s[0..n) to d, member-value numbers as "<NUM_MARK>digits".
 * d holds 3 n bytes. Returns the new length, or -1 for what cannot be
 * JSON (a raw control byte in a string, a malformed number). */
static long quote_numbers(const char *s, size_t n, char *d)
{
    size_t j = 0;
    int in_str = 0;
    char prev = 0; /* last byte outside strings that was not a space */
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if ((unsigned char)ch < 0x20)
                return -1;
            d[j++] = ch;
            if (ch == '\\' && i + 1 < n) {
                if ((unsigned char)s[i + 1] < 0x20)
                    return -1;
                d[j++] = s[++i];
            } else if (ch == '"') {
                in_str = 0;
                prev = '"';
            }
            continue;
        }
        if (ch == '"') {
            in_str = 1;
            if (i + 1 < n && s[i + 1] == NUM_MARK)
                return -1;
        } else if (prev == ':' && (ch == '-' || is_digit(ch))) {
            size_t len = json_number(s + i, n - i);
            if (len == 0)
                return -1;
            d[j++] = '"';
            d[j++] = NUM_MARK;
            memcpy(d + j, s + i, len);
            j += len;
            d[j++] = '"';
            i += len - 1;
            prev = '0';
            continue;
        } else if ((unsigned char)ch > ' ') {
            prev = ch;
        }
        d[j++] = ch;
    }
    return (long)j;
}

/* Parses one line. *whole says that nothing but spaces follows the value. */
static cJSON *parse_json(const char *s, size_t n, int *whole)
{
    arena *a = thread_arena;
    *whole = 0;
    a->oom = 0;
    if (n * 3 + 16 > a->textcap) {
        char *t = realloc(a->text, n * 3 + 16);
        if (!t) {
            a->oom = 1;
            return NULL;
        }
        a->text = t;
        a->textcap = n * 3 + 16;
    }
    long len = quote_numbers(s, n, a->text);
    if (len < 0)
        return NULL;
    a->used = 0;
    a->spilled = 0;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(a->text, (size_t)len, &end, 0);
    if (root) {
        const char *stop = a->text + len;
        while (end < stop && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
            end++;
        *whole = end == stop;
    }
    return root;
}

/* cJSON_IsString, inlined (a call into the shared library for every
 * field of every line showed in the profile). */
static int is_string(const cJSON *it) { return it && (it->type & 0xFF) == cJSON_String; }

static int is_num(const cJSON *it)
{
    return is_string(it) && it->valuestring[0] == NUM_MARK;
}

static int is_str(const cJSON *it)
{
    return is_string(it) && it->valuestring[0] != NUM_MARK;
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
    const char *name[128];
    size_t len[128];
    int8_t value[128];
} tokens;

/* tok_field: the field names, as tr_field_parse knows them (every line
 * looks up each of its keys: this table is the inlined twin of that call) */
static tokens tok_ev, tok_wake, tok_wait, tok_op, tok_status, tok_kind, tok_field;

static unsigned tok_hash(const char *s, size_t n)
{
    return ((unsigned char)s[0] * 31u + (unsigned)n * 7u + (unsigned char)s[n - 1] * 3u) & 127u;
}

static void tok_init(tokens *t, int count, const char *(*name)(int), int first)
{
    for (int v = first; v < count; v++) {
        const char *s = name(v);
        unsigned h = tok_hash(s, strlen(s));
        while (t->name[h])
            h = (h + 1) & 127u;
        t->name[h] = s;
        t->len[h] = strlen(s);
        t->value[h] = (int8_t)v;
    }
}

static int tok_find(const tokens *t, const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return -1;
    for (unsigned h = tok_hash(s, n); t->name[h]; h = (h + 1) & 127u)
        if (t->len[h] == n && memcmp(t->name[h], s, n) == 0)
            return t->value[h];
    return -1;
}

static int ev_token(const char *s) { return tok_find(&tok_ev, s); }
static int wake_token(const char *s) { return tok_find(&tok_wake, s); }
static int wait_token(const char *s) { return tok_find(&tok_wait, s); }
static int op_token(const char *s) { return tok_find(&tok_op, s); }
static int status_token(const char *s) { return tok_find(&tok_status, s); }
static int kind_token(const char *s) { return tok_find(&tok_kind, s); }
static int field_token(const char *s) { return tok_find(&tok_field, s); }
static const char *field_name(int f) { return field_names[f]; }

static void parse_init_once(void)
{
    install_hooks();
    tok_init(&tok_ev, TR_EV__COUNT, tr_ev_name, 1); /* 0 is "?", no token */
    tok_init(&tok_wake, TR_WAKE__COUNT, tr_wake_name, 0);
    tok_init(&tok_wait, TR_WAIT__COUNT, tr_wait_name, 0);
    tok_init(&tok_op, TR_OP__COUNT, tr_op_name, 0);
    tok_init(&tok_status, TR_STATUS__COUNT, tr_status_name, 0);
    tok_init(&tok_kind, TR_OBJ__COUNT, tr_objkind_name, 0);
    tok_init(&tok_field, F__COUNT, field_name, 0);
}

/* ---- one chunk of lines, parsed by one thread ---- */

static int fail(tr__chunk *c, uint32_t line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(tr__chunk *c, uint32_t line, int code, const char *fmt, ...)
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


/* Integers: digits read exactly; a fraction or exponent ("1.0", "1e3") is
 * rare enough to go through strtod. */
static int get_i64(tr__chunk *c, const cJSON *it, int f, uint32_t line, int64_t *out)
{
    if (!is_num(it))
        return fail(c, line, -EINVAL, "\"%s\" must be an integer", field_names[f]);
    const char *s = it->valuestring + 1;
    int neg = *s == '-';
    uint64_t v = 0;
    const char *p = s + neg;
    for (; is_digit(*p); p++) {
        if (v > (UINT64_MAX - 9) / 10) {
            v = UINT64_MAX;
            while (is_digit(*p))
                p++;
            break;
        }
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '\0') {
        if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
            return fail(c, line, -EINVAL, "\"%s\" is out of range", field_names[f]);
        *out = neg ? (int64_t)(0 - v) : (int64_t)v;
        return 0;
    }
    double d = strtod(s, NULL);
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return fail(c, line, -EINVAL, "\"%s\" is out of range", field_names[f]);
    int64_t iv = (int64_t)d;
    if ((double)iv != d)
        return fail(c, line, -EINVAL, "\"%s\" must be an integer", field_names[f]);
    *out = iv;
    return 0;
}

static int get_u32(tr__chunk *c, const cJSON *it, int f, uint32_t line, uint32_t *out)
{
    int64_t v = 0;
    int rc = get_i64(c, it, f, line, &v);
    if (rc)
        return rc;
    if (v < 0 || v > (int64_t)UINT32_MAX)
        return fail(c, line, -EINVAL, "\"%s\" is out of range", field_names[f]);
    *out = (uint32_t)v;
    return 0;
}

static int need(tr__chunk *c, cJSON **f, int id, uint32_t line)
{
    return f[id] ? 0 : fail(c, line, -EINVAL, "missing \"%s\"", field_names[id]);
}

static int need_u32(tr__chunk *c, cJSON **f, int id, uint32_t line, uint32_t *out)
{
    int rc = need(c, f, id, line);
    return rc ? rc : get_u32(c, f[id], id, line, out);
}

static int need_task(tr__chunk *c, cJSON **f, uint32_t line, uint32_t *out)
{
    int rc = need_u32(c, f, F_TASK, line, out);
    if (rc == 0 && *out == 0)
        return fail(c, line, -EINVAL, "\"task\" must be 1 or more");
    return rc;
}

static int get_str(tr__chunk *c, cJSON **f, int id, uint32_t line, uint32_t *out)
{
    const cJSON *it = f[id];
    if (!is_str(it))
        return fail(c, line, -EINVAL, "\"%s\" must be a string", field_names[id]);
    int rc = tr__intern(&c->st, it->valuestring, strlen(it->valuestring), out);
    if (rc == -EILSEQ)
        return fail(c, line, -EINVAL, "\"%s\" is not valid UTF-8", field_names[id]);
    if (rc)
        return fail(c, line, rc, "out of memory");
    return 0;
}

static int need_str(tr__chunk *c, cJSON **f, int id, uint32_t line, uint32_t *out)
{
    int rc = need(c, f, id, line);
    return rc ? rc : get_str(c, f, id, line, out);
}

static int need_enum(tr__chunk *c, cJSON **f, int id, uint32_t line,
                     int (*parse)(const char *), uint8_t *out)
{
    int rc = need(c, f, id, line);
    if (rc)
        return rc;
    if (!is_str(f[id]))
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

/* Does s[0..n) hold the escape \u0000 (an odd run of backslashes before
 * "u0000")? cJSON would decode it and every C string would end there. */
static int has_nul_escape(const char *s, size_t n)
{
    const char *p = memchr(s, '\\', n), *end = s + n;
    while (p) {
        const char *q = p;
        while (q < end && *q == '\\')
            q++;
        if ((q - p) % 2 == 1 && end - q >= 5 && memcmp(q, "u0000", 5) == 0)
            return 1;
        p = q < end ? memchr(q, '\\', (size_t)(end - q)) : NULL;
    }
    return 0;
}

/* ---- stacks, modules, on-CPU figures (format: docs/trace-format.md) ---- */

/* "0x55d0c2a4b1c9": 1 to 16 hex digits. */
static int parse_hex(const char *s, uint64_t *out)
{
    if (s[0] != '0' || s[1] != 'x' || !s[2])
        return -1;
    uint64_t v = 0;
    int n = 0;
    for (const char *p = s + 2; *p; p++, n++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0'
                : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
        if (d < 0 || n >= 16)
            return -1;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* The header's "modules": [{"path","base","size","build_id"?}, ...]. */
static int parse_modules(tr__chunk *c, const cJSON *arr)
{
    if (!cJSON_IsArray(arr))
        return fail(c, 1, -EINVAL, "\"modules\" must be an array");
    for (const cJSON *m = arr->child; m; m = m->next) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(m, "path");
        const cJSON *base = cJSON_GetObjectItemCaseSensitive(m, "base");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(m, "size");
        const cJSON *bid = cJSON_GetObjectItemCaseSensitive(m, "build_id");
        tr__module mod = {0, 0, 0, 0};
        int64_t b = 0, z = 0;
        int rc;
        if (!cJSON_IsObject(m) || !is_str(path) || !base || !size)
            return fail(c, 1, -EINVAL, "a module needs \"path\", \"base\" and \"size\"");
        if ((rc = get_i64(c, base, F_MODULES, 1, &b)) || (rc = get_i64(c, size, F_MODULES, 1, &z)))
            return rc;
        if (b < 0 || z < 0)
            return fail(c, 1, -EINVAL, "\"modules\" is out of range");
        if (bid && !is_str(bid))
            return fail(c, 1, -EINVAL, "a module's \"build_id\" must be a string");
        rc = tr__intern(&c->st, path->valuestring, strlen(path->valuestring), &mod.path);
        if (rc == 0 && bid)
            rc = tr__intern(&c->st, bid->valuestring, strlen(bid->valuestring), &mod.build_id);
        if (rc == -EILSEQ)
            return fail(c, 1, -EINVAL, "a module's path is not valid UTF-8");
        mod.base = (uint64_t)b;
        mod.size = (uint64_t)z;
        if (rc || tr__grow_push((void **)&c->sd.mods, &c->sd.nmods, &c->sd.capmods,
                                sizeof mod, &mod))
            return fail(c, 1, -ENOMEM, "out of memory");
    }
    return 0;
}

/* A `stack` line: "stack" id >= 1, "pcs" an array of hex strings. */
static int parse_stack(tr__chunk *c, cJSON **f, uint32_t line)
{
    tr__stackdef d = {0, (uint32_t)c->sd.npcs, 0, 0, 0, line};
    int rc;
    if ((rc = need_u32(c, f, F_STACK, line, &d.id)) || (rc = need(c, f, F_PCS, line)))
        return rc;
    if (d.id == 0)
        return fail(c, line, -EINVAL, "\"stack\" must be 1 or more");
    if (!cJSON_IsArray(f[F_PCS]))
        return fail(c, line, -EINVAL, "\"pcs\" must be an array");
    for (const cJSON *it = f[F_PCS]->child; it; it = it->next) {
        uint64_t pc;
        if (!is_str(it) || parse_hex(it->valuestring, &pc) != 0)
            return fail(c, line, -EINVAL, "\"pcs\" must hold addresses (\"0x1a2b\")");
        if (++d.npcs > 256)
            return fail(c, line, -EINVAL, "\"pcs\" holds more than 256 frames");
        if (tr__grow_push((void **)&c->sd.pcs, &c->sd.npcs, &c->sd.cappcs, sizeof pc, &pc))
            return fail(c, line, -ENOMEM, "out of memory");
    }
    if (tr__grow_push((void **)&c->sd.defs, &c->sd.ndefs, &c->sd.capdefs, sizeof d, &d))
        return fail(c, line, -ENOMEM, "out of memory");
    return 0;
}

/* "stack" of a spawn / yield, "cpu" / "runq" / "stops" of a yield / exit:
 * kept by the index the event is about to get. */
static int parse_refs(tr__chunk *c, cJSON **f, uint32_t line)
{
    int rc;
    uint32_t ev = (uint32_t)c->nev;
    if (f[F_STACK]) {
        tr__stackref r = {ev, 0};
        if ((rc = get_u32(c, f[F_STACK], F_STACK, line, &r.stack)))
            return rc;
        if (r.stack && tr__grow_push((void **)&c->sd.refs, &c->sd.nrefs, &c->sd.caprefs,
                                     sizeof r, &r))
            return fail(c, line, -ENOMEM, "out of memory");
    }
    if (f[F_CPU]) {
        tr__cpuref r = {ev, 0, 0, 0};
        if ((rc = get_i64(c, f[F_CPU], F_CPU, line, &r.cpu)))
            return rc;
        if (f[F_RUNQ] && (rc = get_i64(c, f[F_RUNQ], F_RUNQ, line, &r.runq)))
            return rc;
        if (f[F_STOPS] && (rc = get_u32(c, f[F_STOPS], F_STOPS, line, &r.stops)))
            return rc;
        if (r.cpu < 0 || r.runq < 0)
            return fail(c, line, -EINVAL, "\"%s\" is out of range",
                        r.cpu < 0 ? "cpu" : "runq");
        if (tr__grow_push((void **)&c->sd.cpus, &c->sd.ncpus, &c->sd.capcpus, sizeof r, &r))
            return fail(c, line, -ENOMEM, "out of memory");
    }
    return 0;
}

static const char header_msg[] = "expected the header ({\"ev\":\"trace\",...}) on the first line";

static int parse_header(tr__chunk *c, const char *s, size_t n)
{
    int whole;
    cJSON *root = parse_json(s, n, &whole);
    cJSON *f[F__COUNT] = {0};
    int rc = 0;
    if (!root && thread_arena->oom) {
        rc = fail(c, 1, -ENOMEM, "out of memory");
        goto out;
    }
    if (!root || !cJSON_IsObject(root) || !whole) {
        rc = fail(c, 1, -EINVAL, "%s", header_msg);
        goto out;
    }
    if (has_nul_escape(s, n)) {
        rc = fail(c, 1, -EINVAL, "a string holds \\u0000 (NUL)");
        goto out;
    }
    for (cJSON *it = root->child; it; it = it->next) {
        int id = it->string ? tr_field_parse(it->string) : -1;
        if (id < 0 || !(allowed[TR_EV_TRACE] & B(id))) {
            if (c->unk_fields++ == 0) {
                sanitize(c->unk_field, sizeof c->unk_field, it->string ? it->string : "");
                c->unk_field_line = 1;
            }
            continue;
        }
        f[id] = it;
    }
    if (!is_str(f[F_EV]) || strcmp(f[F_EV]->valuestring, "trace") != 0) {
        rc = fail(c, 1, -EINVAL, "%s", header_msg);
        goto out;
    }
    if (!is_str(f[F_FORMAT]) || strcmp(f[F_FORMAT]->valuestring, "coscope") != 0) {
        rc = fail(c, 1, -EINVAL, "\"format\" must be \"coscope\"");
        goto out;
    }
    int64_t v;
    if ((rc = need(c, f, F_VERSION, 1)) || (rc = get_i64(c, f[F_VERSION], F_VERSION, 1, &v)))
        goto out;
    if (v != 1 && v != 2) {
        rc = fail(c, 1, -EINVAL,
                  "unsupported version %lld (this reader knows versions 1 and 2)",
                  (long long)v);
        goto out;
    }
    c->version = (int)v;
    if (f[F_PROGRAM] && (rc = get_str(c, f, F_PROGRAM, 1, &c->program)))
        goto out;
    if (f[F_PID] && (rc = get_i64(c, f[F_PID], F_PID, 1, &c->pid)))
        goto out;
    if (f[F_UNIX_NS] && (rc = get_i64(c, f[F_UNIX_NS], F_UNIX_NS, 1, &c->unix_ns)))
        goto out;
    if (f[F_MODULES] && (rc = parse_modules(c, f[F_MODULES])))
        goto out;
    if (f[F_SEED]) {
        if ((rc = get_i64(c, f[F_SEED], F_SEED, 1, &c->seed)))
            goto out;
        if (c->seed < 0) {
            rc = fail(c, 1, -EINVAL, "\"seed\" is out of range");
            goto out;
        }
        c->has_seed = 1;
    }
out:
    free_json(root);
    return rc;
}

/* Appends f, packed (see tr__wide), with its line number. */
static int push(tr__chunk *c, const tr__full *f, uint32_t line)
{
    if (c->nev == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        tr_event *ev = realloc(c->ev, cap * sizeof *ev);
        if (ev)
            c->ev = ev;
        uint32_t *ln = ev ? realloc(c->line, cap * sizeof *ln) : NULL;
        if (!ln)
            return fail(c, 0, -ENOMEM, "out of memory");
        c->line = ln;
        c->cap = cap;
    }
    tr_event *e = &c->ev[c->nev];
    memset(e, 0, sizeof *e);
    e->t = f->t;
    e->task = f->task;
    e->ev = f->ev;
    e->why = f->why;
    e->op = f->op;
    e->flags = f->flags;
    e->arg = f->arg;
    e->s = f->ev == TR_EV_YIELD ? f->at : f->str;
    if (tr__needs_wide(f)) {
        if (c->nwide == c->widecap) {
            size_t cap = c->widecap ? c->widecap * 2 : 64;
            tr__wide *w = realloc(c->wide, cap * sizeof *w);
            if (!w)
                return fail(c, 0, -ENOMEM, "out of memory");
            c->wide = w;
            c->widecap = cap;
        }
        if (c->nwide >= INT32_MAX)
            return fail(c, line, -EINVAL, "too many values beyond 32 bits");
        c->wide[c->nwide] = (tr__wide){f->val, f->val2, f->at, 0};
        e->v = TR_EV_WIDE;
        e->v2 = (int32_t)c->nwide++;
    } else {
        e->v = (int32_t)f->val;
        e->v2 = (int32_t)f->val2;
    }
    c->line[c->nev++] = line;
    return 0;
}

/* An optional integer field: into *out with `flag` set when present. */
static int opt_i64(tr__chunk *c, cJSON **f, int id, uint32_t line, int64_t *out, uint8_t *flags,
                   uint8_t flag)
{
    if (!f[id])
        return 0;
    int rc = get_i64(c, f[id], id, line, out);
    if (rc == 0)
        *flags |= flag;
    return rc;
}

/* An optional string field (0 = "" when absent). */
static int opt_str(tr__chunk *c, cJSON **f, int id, uint32_t line, uint32_t *out)
{
    return f[id] ? get_str(c, f, id, line, out) : 0;
}

/* yield: task, why, obj?, op?, fd?, ms?, at? */
static int fill_yield(tr__chunk *c, cJSON **f, uint32_t line, tr__full *e)
{
    int rc;
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
    if ((rc = opt_i64(c, f, F_FD, line, &e->val, &e->flags, TR_F_FD)) ||
        (rc = opt_i64(c, f, F_MS, line, &e->val2, &e->flags, TR_F_MS)))
        return rc;
    return opt_str(c, f, F_AT, line, &e->at);
}

/* io_begin: task, op, fd?, bytes?; io_end: task, op, res | err; io: all of
 * them, with fd in arg as val holds res. */
static int fill_io(tr__chunk *c, cJSON **f, uint32_t line, tr__full *e)
{
    int rc;
    if ((rc = need_u32(c, f, F_TASK, line, &e->task)) ||
        (rc = need_enum(c, f, F_OP, line, op_token, &e->op)))
        return rc;
    if (e->ev != TR_EV_IO_END && f[F_FD]) {
        rc = e->ev == TR_EV_IO ? get_u32(c, f[F_FD], F_FD, line, &e->arg)
                               : get_i64(c, f[F_FD], F_FD, line, &e->val);
        if (rc)
            return rc;
        e->flags |= TR_F_FD;
    }
    if (e->ev != TR_EV_IO_END &&
        (rc = opt_i64(c, f, F_BYTES, line, &e->val2, &e->flags, TR_F_BYTES)))
        return rc;
    if (e->ev == TR_EV_IO_BEGIN)
        return 0;
    if (f[F_ERR]) {
        if ((rc = get_str(c, f, F_ERR, line, &e->str)))
            return rc;
        e->flags |= TR_F_ERR;
        return 0;
    }
    if ((rc = need(c, f, F_RES, line)))
        return rc;
    return get_i64(c, f[F_RES], F_RES, line, &e->val);
}

/* obj: obj, kind, cap?, name?, at?; acquire / release: task, obj. */
static int fill_object(tr__chunk *c, cJSON **f, uint32_t line, tr__full *e)
{
    int rc;
    if (e->ev != TR_EV_OBJ) {
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_u32(c, f, F_OBJ, line, &e->arg)))
            return rc;
        e->flags |= TR_F_OBJ;
        return 0;
    }
    if ((rc = need_u32(c, f, F_OBJ, line, &e->arg)) ||
        (rc = need_enum(c, f, F_KIND, line, kind_token, &e->why)))
        return rc;
    e->flags |= TR_F_OBJ;
    if ((rc = opt_i64(c, f, F_CAP, line, &e->val, &e->flags, TR_F_CAP)) ||
        (rc = opt_str(c, f, F_NAME, line, &e->str)))
        return rc;
    return opt_str(c, f, F_AT, line, &e->at);
}

/* The lines that end a run: end (events?, dropped?), fatal (task, msg,
 * at?), halt (signal | code); each marks the chunk as holding the end. */
static int fill_ending(tr__chunk *c, cJSON **f, uint32_t line, tr__full *e)
{
    int rc;
    if (e->ev == TR_EV_END) {
        uint8_t none = 0;
        if ((rc = opt_i64(c, f, F_EVENTS, line, &e->val, &e->flags, TR_F_EVENTS)) ||
            (rc = opt_i64(c, f, F_DROPPED, line, &e->val2, &none, 1)))
            return rc;
        c->end_events = e->val;
        c->end_dropped = e->val2;
    } else if (e->ev == TR_EV_FATAL) { /* the run's last line: it ended there */
        if ((rc = need_u32(c, f, F_TASK, line, &e->task)) ||
            (rc = need_str(c, f, F_MSG, line, &e->str)) ||
            (rc = opt_str(c, f, F_AT, line, &e->at)))
            return rc;
    } else if (f[F_SIGNAL]) { /* halt: signal (a name) or code */
        if ((rc = get_str(c, f, F_SIGNAL, line, &e->str)))
            return rc;
    } else if ((rc = need(c, f, F_CODE, line)) ||
               (rc = get_i64(c, f[F_CODE], F_CODE, line, &e->val))) {
        return rc;
    } else {
        e->flags |= TR_F_CODE;
    }
    c->has_end = 1;
    return 0;
}

/* The fields of one known event kind into e. */
static int fill(tr__chunk *c, cJSON **f, uint32_t line, tr__full *e)
{
    int rc = 0;
    switch (e->ev) {
    case TR_EV_SPAWN:
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_u32(c, f, F_PARENT, line, &e->arg)) ||
            (rc = need_str(c, f, F_NAME, line, &e->str)))
            return rc;
        return opt_str(c, f, F_AT, line, &e->at);
    case TR_EV_READY:
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_u32(c, f, F_BY, line, &e->arg)))
            return rc;
        return need_enum(c, f, F_WHY, line, wake_token, &e->why);
    case TR_EV_RUN:
    case TR_EV_STUCK:
    case TR_EV_SPAN_END:
        return need_task(c, f, line, &e->task);
    case TR_EV_SPAN_BEGIN: /* task, name, at? */
    case TR_EV_RENAME:     /* task, name */
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_str(c, f, F_NAME, line, &e->str)))
            return rc;
        return opt_str(c, f, F_AT, line, &e->at);
    case TR_EV_YIELD:
        return fill_yield(c, f, line, e);
    case TR_EV_IO_BEGIN:
    case TR_EV_IO_END:
    case TR_EV_IO:
        return fill_io(c, f, line, e);
    case TR_EV_WORK_BEGIN:
    case TR_EV_WORK_END:
        if ((rc = need_u32(c, f, F_TASK, line, &e->task)) ||
            (rc = need_u32(c, f, F_THREAD, line, &e->arg)))
            return rc;
        return need_str(c, f, F_NAME, line, &e->str);
    case TR_EV_EXIT:
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_enum(c, f, F_STATUS, line, status_token, &e->why)))
            return rc;
        return opt_i64(c, f, F_CODE, line, &e->val, &e->flags, TR_F_CODE);
    case TR_EV_OBJ:
    case TR_EV_ACQUIRE:
    case TR_EV_RELEASE:
        return fill_object(c, f, line, e);
    case TR_EV_MARK:
        if ((rc = need_u32(c, f, F_TASK, line, &e->task)))
            return rc;
        return need_str(c, f, F_MSG, line, &e->str);
    case TR_EV_CONN: /* task, fd (in arg), local (str), peer (in the `at` slot) */
        if ((rc = need_task(c, f, line, &e->task)) ||
            (rc = need_u32(c, f, F_FD, line, &e->arg)) ||
            (rc = need_str(c, f, F_LOCAL, line, &e->str)) ||
            (rc = need_str(c, f, F_PEER, line, &e->at)))
            return rc;
        e->flags |= TR_F_FD;
        return 0;
    case TR_EV_POLL_END:
        return opt_i64(c, f, F_EVENTS, line, &e->val, &e->flags, TR_F_EVENTS);
    case TR_EV_END:
    case TR_EV_FATAL:
    case TR_EV_HALT:
        return fill_ending(c, f, line, e);
    default: /* poll_begin: nothing but t */
        return 0;
    }
}

/* `next` (format v2) on the end of a run slice: the scheduler switched
 * into that task at the same t, a `run` event after the line's others. */
static int push_next(tr__chunk *c, cJSON **f, uint32_t line, int64_t t)
{
    if (!f[F_NEXT])
        return 0;
    tr__full run = {.t = t, .ev = TR_EV_RUN};
    int rc = need_u32(c, f, F_NEXT, line, &run.task);
    if (rc == 0 && run.task == 0)
        return fail(c, line, -EINVAL, "\"next\" must be 1 or more");
    return rc ? rc : push(c, &run, line);
}

/* Format v2's folded lines, each two events at its t (the second on the
 * same line): requeue = yield (why yield) + ready (by itself, why yield);
 * io_wait = io_begin + yield (why io); io_wake = io_end + ready (by 0, why
 * io). A `stack` or `cpu` belongs to the yield. */
static int parse_folded(tr__chunk *c, cJSON **f, uint32_t line, const tr__full *e)
{
    tr__full a = {.t = e->t}, b = {.t = e->t};
    int rc;
    if ((rc = need_task(c, f, line, &a.task)))
        return rc;
    b.task = a.task;
    if (e->ev == TR_EV_REQUEUE) {
        a.ev = TR_EV_YIELD;
        a.why = TR_WAIT_YIELD;
        a.op = TR_OP_NONE;
        b.ev = TR_EV_READY;
        b.arg = a.task;
        b.why = TR_WAKE_YIELD;
        if ((rc = opt_str(c, f, F_AT, line, &a.at)) || (rc = parse_refs(c, f, line)) ||
            (rc = push(c, &a, line)) || (rc = push(c, &b, line)))
            return rc;
        return push_next(c, f, line, e->t);
    }
    a.ev = e->ev == TR_EV_IO_WAIT ? TR_EV_IO_BEGIN : TR_EV_IO_END;
    if ((rc = fill_io(c, f, line, &a)))
        return rc;
    if (e->ev == TR_EV_IO_WAKE) {
        b.ev = TR_EV_READY;
        b.why = TR_WAKE_IO; /* by the loop: arg 0 */
        if ((rc = push(c, &a, line)))
            return rc;
        return push(c, &b, line);
    }
    b.ev = TR_EV_YIELD;
    b.why = TR_WAIT_IO;
    b.op = a.op;
    if ((rc = opt_i64(c, f, F_FD, line, &b.val, &b.flags, TR_F_FD)) ||
        (rc = opt_i64(c, f, F_MS, line, &b.val2, &b.flags, TR_F_MS)) ||
        (rc = opt_str(c, f, F_AT, line, &b.at)) || (rc = push(c, &a, line)) ||
        (rc = parse_refs(c, f, line)) || (rc = push(c, &b, line)))
        return rc;
    return push_next(c, f, line, e->t);
}

static int parse_event(tr__chunk *c, cJSON *root, uint32_t line)
{
    cJSON *f[F__COUNT] = {0};
    const char *unk = NULL;
    uint64_t nunk = 0, present = 0;
    for (cJSON *it = root->child; it; it = it->next) {
        int id = it->string ? field_token(it->string) : -1;
        if (id < 0) {
            if (nunk++ == 0)
                unk = it->string ? it->string : "";
            continue;
        }
        f[id] = it;
        present |= B(id);
    }
    if (!f[F_EV])
        return fail(c, line, -EINVAL, "missing \"ev\"");
    if (!is_str(f[F_EV]))
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
    for (uint64_t out = present & ~allowed[ev]; out; out &= out - 1) {
        if (!unk) /* the lowest field id first, as a walk of f[] finds it */
            unk = field_names[__builtin_ctzll(out)];
        extra++;
    }
    if (nunk + extra) {
        if (c->unk_fields == 0) {
            sanitize(c->unk_field, sizeof c->unk_field, unk);
            c->unk_field_line = line;
        }
        c->unk_fields += nunk + extra;
    }

    tr__full e;
    memset(&e, 0, sizeof e);
    e.ev = (uint8_t)ev;
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
    if (ev == TR_EV_STACK) /* not an event: a definition the others refer to */
        return parse_stack(c, f, line);
    if (ev == TR_EV_REQUEUE || ev == TR_EV_IO_WAIT || ev == TR_EV_IO_WAKE)
        return parse_folded(c, f, line, &e);
    if ((rc = fill(c, f, line, &e)) || (rc = parse_refs(c, f, line)) ||
        (rc = push(c, &e, line)))
        return rc;
    return push_next(c, f, line, e.t);
}

/* file_last: the file's last line, without its '\n': the only line that may
 * be cut short (the recorder writes whole lines). */
static int parse_line(tr__chunk *c, const char *s, size_t n, uint32_t line, int file_last)
{
    if (n > TR__MAX_LINE)
        return fail(c, line, -EINVAL, "line longer than 1 MiB");
    if (c->first && line == 1)
        return parse_header(c, s, n);
    if (n == 0)
        return fail(c, line, -EINVAL, "empty line");
    int whole = 1;
    arena *a = thread_arena;
    cJSON *root = a->flat;
    if (!flat_on || n >= a->textcap || tr__flat_parse(s, n, a->text, a->flat, FLAT_MAX) != 0)
        root = parse_json(s, n, &whole);
    if (!root && a->oom)
        return fail(c, line, -ENOMEM, "out of memory");
    if (!root && file_last) {
        c->truncated = 1; /* cut short while being written: drop it */
        return 0;
    }
    int rc;
    if (!root || !cJSON_IsObject(root) || !whole)
        rc = fail(c, line, -EINVAL, "not a JSON object");
    else if (root != a->flat && has_nul_escape(s, n)) /* a plain line has no '\\' */
        rc = fail(c, line, -EINVAL, "a string holds \\u0000 (NUL)");
    else
        rc = parse_event(c, root, line);
    if (root != a->flat)
        free_json(root);
    return rc;
}

/* Progress, cancel, and dropping the mapped pages already parsed so the
 * resident set holds the event array, not the whole file. */
static int tick(tr__chunk *c, const char *s, int final)
{
    tr__loader *ld = c->ld;
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

void *tr__chunk_run(void *arg)
{
    tr__chunk *c = arg;
    const char *s = c->p, *end = c->p + c->len;
    const char *next_tick = s + TICK_BYTES;
    uint32_t line = 0;
    static const arena empty;
    arena a = empty;
    a.base = malloc(64 << 10);
    a.cap = 64 << 10;
    if (!a.base)
        a.cap = 0; /* every node from malloc: slower, still right */
    thread_arena = &a;
    c->released = c->p;
    while (s < end) {
        /* Looks no further than the longest line (+ '\r' + one byte to
         * know): an over-long line stops the chunk there. */
        size_t rest = (size_t)(end - s), look = TR__MAX_LINE + 2;
        const char *nl = memchr(s, '\n', rest < look ? rest : look);
        if (!nl && rest >= look) {
            fail(c, line + 1, -EINVAL, "line longer than 1 MiB");
            line++;
            break;
        }
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        size_t n = (size_t)(le - s);
        if (n > 0 && le[-1] == '\r')
            n--;
        line++;
        if (parse_line(c, s, n, line, c->last && !nl) != 0)
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
    free(a.text);
    c->nlines = line;
    tick(c, end, 1);
    return NULL;
}


void tr__parse_init(void) { pthread_once(&init_once, parse_init_once); }
