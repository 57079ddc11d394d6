/* timefmt.c: times as people read them — the
 * ruler's adaptive tick step and its labels (typed times are the tracer's
 * tr_parse_dur). Ticks follow a 1-2-5 series
 * and each label uses the unit of its step, so zooming from seconds down to
 * nanoseconds keeps labels short. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vw_int.h"

int64_t vw__tick_step(int64_t span, int px, int min_px)
{
    if (span <= 0 || px <= 0)
        return 1;
    double want = (double)span * min_px / px; /* ns between ticks at least */
    int64_t step = 1;
    for (;;) {
        if (step >= want)
            return step;
        if (step * 2 >= want)
            return step * 2;
        if (step * 5 >= want)
            return step * 5;
        if (step > INT64_MAX / 100)
            return step * 10;
        step *= 10;
    }
}

char *vw__tick_label(char *buf, size_t n, int64_t t, int64_t step)
{
    static const struct {
        int64_t ns;
        const char *name;
    } units[] = {
        {1000000000, "s"}, {1000000, "ms"}, {1000, "\xc2\xb5s"}, {1, "ns"}};
    if (t == 0) {
        snprintf(buf, n, "0");
        return buf;
    }
    size_t u = 0;
    /* a tenth of a unit reads well for s and ms ("1.2 ms"); below a
     * microsecond whole nanoseconds read better than "0.4 µs" */
    /* step < ns / 10 is step * 10 < ns without overflowing a huge step */
    while (u < 3 && (step < units[u].ns / 10 ||
                     (units[u].ns == 1000 && step < 1000)))
        u++;
    int decimals = step < units[u].ns ? 1 : 0;
    double v = (double)t / (double)units[u].ns;
    snprintf(buf, n, "%.*f %s", decimals, v, units[u].name);
    return buf;
}

char *vw__fmt_time(char *buf, size_t n, int64_t t)
{
    const char *sign = t < 0 ? "-" : "";
    uint64_t a = t < 0 ? (uint64_t)(-(t + 1)) + 1 : (uint64_t)t;
    snprintf(buf, n, "%s%" PRIu64 ".%09" PRIu64 " s", sign, a / 1000000000u,
             a % 1000000000u);
    return buf;
}
