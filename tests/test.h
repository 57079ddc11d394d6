/* tests/test.h: the assertions every coscope test uses.
 * Each failing check prints file, line and both values, then abort()s: safe
 * on a coroutine stack, unlike a longjmp-based framework. */
#ifndef COSCOPE_TEST_H
#define COSCOPE_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST__FAIL(...)                                                        \
    do {                                                                       \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                        \
        fprintf(stderr, __VA_ARGS__);                                          \
        fputc('\n', stderr);                                                   \
        fflush(stderr);                                                        \
        abort();                                                               \
    } while (0)

#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (!(cond))                                                           \
            TEST__FAIL("assertion failed: %s", #cond);                         \
    } while (0)

#define ASSERT_EQ(a, b)                                                        \
    do {                                                                       \
        long long test__a = (long long)(a), test__b = (long long)(b);          \
        if (test__a != test__b)                                                \
            TEST__FAIL("%s == %s: %lld != %lld", #a, #b, test__a, test__b);    \
    } while (0)

#define ASSERT_NE(a, b)                                                        \
    do {                                                                       \
        long long test__a = (long long)(a), test__b = (long long)(b);          \
        if (test__a == test__b)                                                \
            TEST__FAIL("%s != %s: both %lld", #a, #b, test__a);                \
    } while (0)

#define ASSERT_CMP(a, op, b)                                                   \
    do {                                                                       \
        long long test__a = (long long)(a), test__b = (long long)(b);          \
        if (!(test__a op test__b))                                             \
            TEST__FAIL("%s %s %s: %lld vs %lld", #a, #op, #b, test__a,         \
                       test__b);                                               \
    } while (0)

#define ASSERT_OK(expr)                                                        \
    do {                                                                       \
        long long test__r = (long long)(expr);                                 \
        if (test__r != 0)                                                      \
            TEST__FAIL("%s: expected 0, got %lld", #expr, test__r);            \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
    do {                                                                       \
        const char *test__a = (a), *test__b = (b);                             \
        if (test__a == NULL || test__b == NULL || strcmp(test__a, test__b))    \
            TEST__FAIL("%s == %s:\n  got:      \"%s\"\n  expected: \"%s\"",    \
                       #a, #b, test__a ? test__a : "(null)",                   \
                       test__b ? test__b : "(null)");                          \
    } while (0)

#define ASSERT_NULL(p) ASSERT((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT((p) != NULL)

/* A test binary holds several cases; main() runs the one named in argv[1]
 * (so ctest can register and time each alone) or all of them. */
typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

static inline int test_main(int argc, char **argv, const test_case *cases)
{
    int ran = 0;
    for (const test_case *c = cases; c->name; c++) {
        if (argc > 1 && strcmp(argv[1], c->name) != 0)
            continue;
        fprintf(stderr, "-- %s\n", c->name);
        c->fn();
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "(none)");
        return 2;
    }
    return 0;
}

#endif
