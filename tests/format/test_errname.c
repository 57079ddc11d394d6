/* test_errname.c: the format layer names errors as libuv does. The tracer
 * does not link libuv, so tracer/format/tr_errname.c lists libuv's own
 * codes itself; this test, which links libuv, checks every code of libuv's
 * UV_ERRNO_MAP against uv_err_name, so a copy that drifts fails here. */
#include <uv.h>

#include "test.h"
#include "tr_format_int.h"

static void test_every_uv_code(void)
{
    char buf[24];
    int n = 0;
#define CHECK(code, _)                                                         \
    ASSERT_STR_EQ(tr__errname(UV_##code, buf), uv_err_name(UV_##code));        \
    n++;
    UV_ERRNO_MAP(CHECK)
#undef CHECK
    ASSERT_CMP(n, >=, 80);
    fprintf(stderr, "%d libuv codes named alike\n", n);
}

static void test_unknown(void)
{
    char buf[24];
    ASSERT_STR_EQ(tr__errname(-9999, buf), "E9999");
    ASSERT_STR_EQ(tr__errname(-5000, buf), "E5000");
    ASSERT_STR_EQ(tr__errname(7, buf), "E7");
    ASSERT_STR_EQ(tr__errname(INT64_MIN, buf), "E9223372036854775808");
    ASSERT_STR_EQ(tr__errname(-104, buf), "ECONNRESET");
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"every_uv_code", test_every_uv_code},
        {"unknown", test_unknown},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
