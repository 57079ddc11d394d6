/* tr_fmt.c: records to JSON Lines (trace format v1, docs/trace-format.md).
 * Integer-only and hand-written: no printf, no malloc, no locks, so the
 * same code serves the writer thread (where it must be fast) and a crash
 * handler (where it must be async-signal-safe). Fields appear in the order
 * of the format table; optional ones only when present. */
#include "tr_rec_int.h"

#include <errno.h>
#include <string.h>

/* Appends a string literal; the length is a constant so memcpy becomes a
 * few stores. */
#define PUT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) + sizeof(lit) - 1)

static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static char *put_u64(char *o, uint64_t v)
{
    int n = 1;
    for (uint64_t x = v; x >= 10; x /= 10)
        n++;
    char *e = o + n, *p = e;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, digits2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digits2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return e;
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

/* Length of the valid UTF-8 sequence at s (lead byte >= 0x80), or 0 if the
 * lead byte does not start one (Unicode 15, table 3-7: no overlongs, no
 * surrogates, nothing past U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* The body of a JSON string: quote and backslash escaped, control bytes as
 * \u00XX, every byte that is not part of valid UTF-8 as U+FFFD, so each line
 * is valid JSON whatever the program passed in. */
static char *put_esc(char *o, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x80) {
            if (c == '"' || c == '\\')
                *o++ = '\\';
            *o++ = (char)c;
            i++;
        } else if (c < 0x20) {
            o = PUT(o, "\\u00");
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
            i++;
        } else {
            size_t len = utf8_len(s + i, n - i);
            if (len) {
                memcpy(o, s + i, len);
                o += len;
                i += len;
            } else {
                o = PUT(o, "\xEF\xBF\xBD");
                i++;
            }
        }
    }
    return o;
}

static char *put_at(char *o, const char *file, int32_t line)
{
    o = PUT(o, ",\"at\":\"");
    o = put_esc(o, file, strnlen(file, TR__FILEMAX));
    *o++ = ':';
    o = put_i64(o, line);
    *o++ = '"';
    return o;
}

static char *put_head(char *o, int64_t t, int ev)
{
    o = PUT(o, "{\"t\":");
    o = put_i64(o, t);
    o = PUT(o, ",\"ev\":\"");
    o = put_cstr(o, tr_ev_name(ev));
    *o++ = '"';
    return o;
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

size_t tr__fmt_rec(char *out, const tr__rec *r, int64_t t)
{
    char *o = put_head(out, t, r->ev);
    switch (r->ev) {
    case TR_EV_SPAWN:
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT_KEY_U(o, "parent", r->arg);
        o = PUT(o, ",\"name\":\"");
        o = put_esc(o, r->str, r->slen);
        *o++ = '"';
        if (r->file)
            o = put_at(o, r->file, r->line);
        break;
    case TR_EV_READY:
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT_KEY_U(o, "by", r->arg);
        o = PUT_KEY_TOK(o, "why", tr_wake_name(r->a));
        break;
    case TR_EV_RUN:
    case TR_EV_STUCK:
        o = PUT_KEY_U(o, "task", r->task);
        break;
    case TR_EV_YIELD:
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT_KEY_TOK(o, "why", tr_wait_name(r->a));
        if (r->arg)
            o = PUT_KEY_U(o, "obj", r->arg);
        if (r->b != TR_OP_NONE)
            o = PUT_KEY_TOK(o, "op", tr_op_name(r->b));
        if (r->v1 >= 0)
            o = PUT_KEY_I(o, "fd", r->v1);
        if (r->v2 >= 0)
            o = PUT_KEY_I(o, "ms", r->v2);
        if (r->file)
            o = put_at(o, r->file, r->line);
        break;
    case TR_EV_IO_BEGIN:
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT_KEY_TOK(o, "op", tr_op_name(r->a));
        if (r->v1 >= 0)
            o = PUT_KEY_I(o, "fd", r->v1);
        if (r->v2 >= 0)
            o = PUT_KEY_I(o, "bytes", r->v2);
        break;
    case TR_EV_IO_END: /* task, op, res | err */
    case TR_EV_IO:     /* task, op, fd?, bytes?, res | err (fd in arg) */
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT_KEY_TOK(o, "op", tr_op_name(r->a));
        if (r->ev == TR_EV_IO && (int64_t)r->arg >= 0)
            o = PUT_KEY_I(o, "fd", (int64_t)r->arg);
        if (r->ev == TR_EV_IO && r->v2 >= 0)
            o = PUT_KEY_I(o, "bytes", r->v2);
        if (r->v1 >= 0) {
            o = PUT_KEY_I(o, "res", r->v1);
        } else {
            char buf[24];
            o = PUT_KEY_TOK(o, "err", tr__errname(r->v1, buf));
        }
        break;
    case TR_EV_WORK_BEGIN:
    case TR_EV_WORK_END:
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT_KEY_U(o, "thread", r->arg);
        o = PUT(o, ",\"name\":\"");
        o = put_esc(o, r->str, r->slen);
        *o++ = '"';
        break;
    case TR_EV_EXIT:
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT_KEY_TOK(o, "status", tr_status_name(r->a));
        if (r->a == TR_STATUS_ERROR)
            o = PUT_KEY_I(o, "code", r->v1);
        break;
    case TR_EV_OBJ:
        o = PUT_KEY_U(o, "obj", r->task);
        o = PUT_KEY_TOK(o, "kind", tr_objkind_name(r->a));
        if (r->v1 >= 0)
            o = PUT_KEY_I(o, "cap", r->v1);
        if (r->b) {
            o = PUT(o, ",\"name\":\"");
            o = put_esc(o, r->str, r->slen);
            *o++ = '"';
        }
        if (r->file)
            o = put_at(o, r->file, r->line);
        break;
    case TR_EV_ACQUIRE:
    case TR_EV_RELEASE:
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT_KEY_U(o, "obj", r->arg);
        break;
    case TR_EV_MARK:
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT(o, ",\"msg\":\"");
        o = put_esc(o, r->str, r->slen);
        *o++ = '"';
        break;
    case TR_EV_CONN: /* task, fd, local, peer: str is "local\0peer", b = local's length */
        o = PUT_KEY_U(o, "task", r->task);
        o = PUT_KEY_I(o, "fd", r->v1);
        o = PUT(o, ",\"local\":\"");
        o = put_esc(o, r->str, r->b);
        o = PUT(o, "\",\"peer\":\"");
        o = put_esc(o, r->str + r->b + 1, r->slen > r->b ? (size_t)(r->slen - r->b - 1) : 0);
        *o++ = '"';
        break;
    case TR_EV_POLL_END:
        if (r->v1 >= 0)
            o = PUT_KEY_I(o, "events", r->v1);
        break;
    default: /* poll_begin: nothing but t and ev */
        break;
    }
    o = PUT(o, "}\n");
    return (size_t)(o - out);
}

size_t tr__fmt_header(char *out, const char *program, long pid, int64_t unix_ns)
{
    char *o = PUT(out, "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"");
    o = put_esc(o, program, strnlen(program, TR__FILEMAX));
    o = PUT(o, "\",\"pid\":");
    o = put_i64(o, pid);
    o = PUT(o, ",\"clock\":\"monotonic\",\"unix_ns\":");
    o = put_i64(o, unix_ns);
    o = PUT(o, "}\n");
    return (size_t)(o - out);
}

size_t tr__fmt_end(char *out, int64_t t, uint64_t events, uint64_t dropped)
{
    char *o = put_head(out, t, TR_EV_END);
    o = PUT_KEY_U(o, "events", events);
    o = PUT_KEY_U(o, "dropped", dropped);
    o = PUT(o, "}\n");
    return (size_t)(o - out);
}

/* libuv's own codes (below -3000 on Linux), named as uv_err_name does. */
static const struct {
    int code;
    const char *name;
} uv_codes[] = {
    {-4095, "EOF"},          {-4094, "UNKNOWN"},      {-4080, "ECHARSET"},
    {-4028, "EFTYPE"},       {-3000, "EAI_ADDRFAMILY"}, {-3001, "EAI_AGAIN"},
    {-3002, "EAI_BADFLAGS"}, {-3003, "EAI_CANCELED"}, {-3004, "EAI_FAIL"},
    {-3005, "EAI_FAMILY"},   {-3006, "EAI_MEMORY"},   {-3007, "EAI_NODATA"},
    {-3008, "EAI_NONAME"},   {-3009, "EAI_OVERFLOW"}, {-3010, "EAI_SERVICE"},
    {-3011, "EAI_SOCKTYPE"}, {-3013, "EAI_BADHINTS"}, {-3014, "EAI_PROTOCOL"},
};

const char *tr__errname(int64_t res, char *buf)
{
    for (size_t i = 0; i < sizeof uv_codes / sizeof uv_codes[0]; i++)
        if (uv_codes[i].code == res)
            return uv_codes[i].name;
    if (res < 0 && res > -4096) {
        int e = (int)-res;
        if (e == ENOTSUP)
            return "ENOTSUP"; /* EOPNOTSUPP's other name, as libuv says it */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
        const char *n = strerrorname_np(e); /* a table lookup */
        if (n)
            return n;
#endif
    }
    buf[0] = 'E';
    *put_u64(buf + 1, res < 0 ? (uint64_t)0 - (uint64_t)res : (uint64_t)res) = '\0';
    return buf;
}
