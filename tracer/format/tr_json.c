/* tr_json.c: strict UTF-8, JSON string escaping and integer and microsecond
 * digits for every part of the tracer that reads or writes trace text. Trace strings come from programs
 * (task names, marks) and from untrusted files, so every byte is checked
 * and every output parses. Kept free of malloc and locks for the recorder's
 * crash path (see tr_format_int.h). */
#include "tr_format_int.h"

#include <string.h>

size_t tr__utf8_len(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* below: overlong */
        else if (c == 0xED)
            hi = 0x9F; /* above: surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* below: overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above: past U+10FFFF */
    } else {
        return 0; /* a continuation byte, C0/C1 (overlong), F5..FF */
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

int tr__utf8_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t len = tr__utf8_len(s + i, n - i);
        if (len == 0)
            return 0;
        i += len;
    }
    return 1;
}

char *tr__json_esc(char *o, const char *str, size_t n)
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
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
            i++;
        } else {
            size_t len = tr__utf8_len(str + i, n - i);
            if (len) {
                memcpy(o, s + i, len);
                o += len;
                i += len;
            } else {
                memcpy(o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
            }
        }
    }
    return o;
}

/* A piece never ends inside a UTF-8 sequence (it ends before the
 * sequence's lead byte), so each sequence is judged whole, exactly as in
 * one call over all of s. */
size_t tr__json_cut(const char *s, size_t n, size_t chunk)
{
    if (n <= chunk)
        return n;
    /* step back over at most 3 continuation bytes to a lead */
    size_t back = 0;
    while (back < 3 && ((unsigned char)s[chunk - back] & 0xC0) == 0x80)
        back++;
    return ((unsigned char)s[chunk - back] & 0xC0) != 0x80 ? chunk - back : chunk;
}

/* Escapes in pieces (tr__json_cut) through a stack buffer. */
void tr__json_str(FILE *f, const char *s)
{
    enum { CHUNK = 512 };
    char buf[TR__JSON_ESC_MAX(CHUNK)];
    size_t n = s ? strlen(s) : 0;

    fputc('"', f);
    while (n > 0) {
        size_t k = tr__json_cut(s, n, CHUNK);
        fwrite(buf, 1, (size_t)(tr__json_esc(buf, s, k) - buf), f);
        s += k;
        n -= k;
    }
    fputc('"', f);
}

/* ---- integers (the recorder's lines, the exporter's events) ---- */

static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Digits of v: a log2 estimate (clz) corrected by one comparison, instead
 * of a division per digit. */
static int count_digits(uint64_t v)
{
    static const uint64_t pow10[20] = {1u,
                                       10u,
                                       100u,
                                       1000u,
                                       10000u,
                                       100000u,
                                       1000000u,
                                       10000000u,
                                       100000000u,
                                       1000000000u,
                                       10000000000u,
                                       100000000000u,
                                       1000000000000u,
                                       10000000000000u,
                                       100000000000000u,
                                       1000000000000000u,
                                       10000000000000000u,
                                       100000000000000000u,
                                       1000000000000000000u,
                                       10000000000000000000u};
    int bits = 64 - __builtin_clzll(v | 1);
    int n = (bits * 1233) >> 12; /* 1233 / 4096 ~ log10(2) */
    return n + 1 - ((v | 1) < pow10[n]); /* v | 1: 0 has one digit */
}

/* Writes v < 10^8 as exactly 8 digits ending at e, in 32-bit arithmetic. */
static void put_8(char *e, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v % 10000;
    memcpy(e - 2, digits2 + 2 * (lo % 100), 2);
    memcpy(e - 4, digits2 + 2 * (lo / 100), 2);
    memcpy(e - 6, digits2 + 2 * (hi % 100), 2);
    memcpy(e - 8, digits2 + 2 * (hi / 100), 2);
}

char *tr__put_8(char *o, uint32_t v)
{
    put_8(o + 8, v);
    return o + 8;
}

/* Times in ns run to 10-13 digits: the low 8 come in one 32-bit step. */
char *tr__put_u64(char *o, uint64_t v)
{
    char *e = o + count_digits(v), *p = e;
    while (v >= 100000000u) {
        put_8(p, (uint32_t)(v % 100000000u));
        v /= 100000000u;
        p -= 8;
    }
    uint32_t w = (uint32_t)v;
    while (w >= 100) {
        p -= 2;
        memcpy(p, digits2 + 2 * (w % 100), 2);
        w /= 100;
    }
    if (w >= 10) {
        p -= 2;
        memcpy(p, digits2 + 2 * w, 2);
    } else {
        *--p = (char)('0' + w);
    }
    return e;
}

char *tr__put_us(char *o, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    o = tr__put_u64(o, (uint64_t)(ns / 1000));
    int64_t r = ns % 1000;
    o[0] = '.';
    o[1] = (char)('0' + r / 100);
    o[2] = (char)('0' + r / 10 % 10);
    o[3] = (char)('0' + r % 10);
    return o + 4;
}

void tr__json_us(FILE *f, int64_t ns)
{
    char buf[TR__US_MAX];
    fwrite(buf, 1, (size_t)(tr__put_us(buf, ns) - buf), f);
}
