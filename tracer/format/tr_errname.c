/* tr_errname.c: the `err` tokens of trace format v1 — the symbolic name of
 * a negative errno or libuv UV_E* code, as uv_err_name spells it. The
 * tracer does not link libuv (programs that only read traces do not need
 * it), so libuv's own codes are listed here once; test_errname checks every
 * code of libuv's UV_ERRNO_MAP against uv_err_name. A table lookup, safe in
 * a crash handler. */
#include "tr_format_int.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* libuv's own codes (below -3000 on Linux); the rest are -errno. */
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
    /* "E" and the magnitude, in decimal */
    uint64_t v = res < 0 ? (uint64_t)0 - (uint64_t)res : (uint64_t)res;
    char digits[21];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf[0] = 'E';
    for (int i = 0; i < n; i++)
        buf[1 + i] = digits[n - 1 - i];
    buf[1 + n] = '\0';
    return buf;
}
