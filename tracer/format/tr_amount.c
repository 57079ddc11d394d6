/* tr_amount.c: the one grammar of amounts a user writes: durations for every
 * command-line option (tr_parse_dur, coscope/tr_args.h) and the recorder's
 * COSCOPE_FLIGHT window or size bound, which `coscope record --flight`
 * checks by the same rules before it starts the program. In the format
 * layer because both the recorder (libcoscope) and the tracer library read
 * them. Integer arithmetic only, so "0.1s" is exactly 100 ms. */
#include "tr_format_int.h"

#include <errno.h>
#include <string.h>

/* Digits with an optional fraction at s: the whole part, the fraction as
 * frac / scale (nine decimals kept, enough for 1 ns in seconds), *big when
 * the whole part does not fit. Returns the end, or NULL without digits. */
static const char *parse_number(const char *p, uint64_t *whole, uint64_t *frac,
                                uint64_t *scale, int *big)
{
    int digits = 0;
    *whole = *frac = 0;
    *scale = 1;
    *big = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (*whole > (UINT64_MAX - 9) / 10)
            *big = 1; /* keep reading: a bad suffix is still -EINVAL */
        else
            *whole = *whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (*scale < 1000000000) {
                *frac = *frac * 10 + (uint64_t)(*p - '0');
                *scale *= 10;
            }
        }
    }
    return digits ? p : NULL;
}

typedef struct unit {
    const char *suffix;
    uint64_t mult;
} unit;

static const unit times[] = {
    {"ns", 1},       {"us", 1000},      {"\xc2\xb5s", 1000},
    {"ms", 1000000}, {"s", 1000000000}, {"", 1000000}, /* bare: ms */
};
static const unit sizes[] = {
    {"KB", 1024}, {"MB", (uint64_t)1 << 20}, {"GB", (uint64_t)1 << 30}};

/* s as a number and one of n units (mult <= 2^30, so frac * mult cannot
 * overflow): 0 with *v, -EINVAL, or -ERANGE past max. */
static int parse_with(const char *s, const unit *u, size_t n, uint64_t max, uint64_t *v)
{
    uint64_t whole, frac, scale;
    int big;
    const char *p = s ? parse_number(s, &whole, &frac, &scale, &big) : NULL;
    if (!p)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(p, u[i].suffix) != 0)
            continue;
        uint64_t part = frac * u[i].mult / scale;
        if (big || whole > (max - part) / u[i].mult)
            return -ERANGE;
        *v = whole * u[i].mult + part;
        return 0;
    }
    return -EINVAL;
}

int tr__parse_dur(const char *s, int64_t *ns, int bare_ms)
{
    uint64_t v;
    size_t n = sizeof times / sizeof times[0] - (bare_ms ? 0 : 1);
    int rc = parse_with(s, times, n, (uint64_t)INT64_MAX, &v);
    if (rc == 0)
        *ns = (int64_t)v;
    return rc;
}

int tr__parse_amount(const char *s, int64_t *ns, uint64_t *bytes)
{
    int64_t t;
    uint64_t b;
    int rc = tr__parse_dur(s, &t, 0);
    if (rc == 0) {
        if (t <= 0)
            return -EINVAL;
        *ns = t;
        *bytes = 0;
        return 0;
    }
    if (rc == -ERANGE)
        return rc; /* a time, too long */
    rc = parse_with(s, sizes, sizeof sizes / sizeof sizes[0], UINT64_MAX, &b);
    if (rc != 0)
        return rc;
    if (b == 0)
        return -EINVAL;
    *ns = 0;
    *bytes = b;
    return 0;
}
