/* tests/alloc_fail.h: allocation failure on demand, for the OOM tests.
 * A test binary that includes this (once) and links with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup sends those
 * calls, made from the statically linked project objects and the test
 * itself, through the wrappers below. While `af_armed`, allocation number
 * `af_fail_at` (counting from 1) fails with ENOMEM and sets `af_injected`.
 * The counters are atomic: parse threads allocate too. */
#ifndef COSCOPE_ALLOC_FAIL_H
#define COSCOPE_ALLOC_FAIL_H

#include <errno.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static _Atomic int af_armed;
static _Atomic long af_allocs, af_fail_at;
static _Atomic int af_injected;

/* Arms the k-th allocation from now to fail. */
static inline void af_arm(long k)
{
    af_allocs = 0;
    af_fail_at = k;
    af_injected = 0;
    af_armed = 1;
}

static inline int af_should_fail(void)
{
    if (!af_armed)
        return 0;
    if (++af_allocs == af_fail_at) {
        af_injected = 1;
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    return af_should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    return af_should_fail() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    return af_should_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return af_should_fail() ? NULL : __real_strdup(s);
}

#endif
