/* tracer/read/fmt.c: durations for people: "950 ns", "12.3 µs", "4.56 ms",
 * "1.28 s". Three significant digits, the unit picked so the number stays
 * below 1000 after rounding; integer arithmetic only, so 1.285 s cannot
 * print differently on another libc. */
#include <stdint.h>
#include <stdio.h>

#include "coscope/trace.h"

char *tr_fmt_dur(char *buf, size_t n, int64_t ns)
{
    static const uint64_t unit[] = {1000, 1000000, 1000000000};
    static const char *const name[] = {"\xc2\xb5s", "ms", "s"};
    static const uint64_t pow10[] = {1, 10, 100};
    if (!buf || n == 0)
        return buf;
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (a < 1000) {
        snprintf(buf, n, "%s%llu ns", sign, (unsigned long long)a);
        return buf;
    }
    for (int u = 0; u < 3; u++) {
        for (int d = 2; d >= 0; d--) {
            uint64_t div = unit[u] / pow10[d];
            uint64_t scaled = (a + div / 2) / div; /* a <= 2^63: no overflow */
            uint64_t whole = scaled / pow10[d];
            if (whole >= 1000 / pow10[d] && !(u == 2 && d == 0))
                continue; /* too many digits: fewer decimals or a bigger unit */
            if (d == 0)
                snprintf(buf, n, "%s%llu %s", sign, (unsigned long long)whole, name[u]);
            else
                snprintf(buf, n, "%s%llu.%0*llu %s", sign, (unsigned long long)whole, d,
                         (unsigned long long)(scaled % pow10[d]), name[u]);
            return buf;
        }
    }
    return buf; /* not reached: seconds always print */
}
