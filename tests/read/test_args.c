/* test_args.c: the shared argument layer (coscope/tr_args.h): the one
 * duration syntax (a bare number is milliseconds, exact integer arithmetic,
 * overflow refused), tasks given as an id, a label or a unique name, and
 * lists of stall kinds (stalls --kind, explore --fail-on). */
#include <errno.h>

#include "coscope/tr_args.h"
#include "test.h"

static void expect_dur(const char *s, int64_t want)
{
    int64_t ns = -7;
    int rc = tr_parse_dur(s, &ns);
    if (rc != 0 || ns != want)
        TEST__FAIL("tr_parse_dur(\"%s\"): rc %d, %" PRId64 " ns; expected %" PRId64,
                   s, rc, ns, want);
}

static void expect_bad(const char *s, int err)
{
    int64_t ns = -7;
    int rc = tr_parse_dur(s, &ns);
    if (rc != err || ns != -7)
        TEST__FAIL("tr_parse_dur(\"%s\"): rc %d (%" PRId64 "), expected %d", s ? s : "NULL",
                   rc, ns, err);
}

static void test_durations(void)
{
    expect_dur("20", 20000000);      /* bare: ms */
    expect_dur("0.5", 500000);
    expect_dur(".5", 500000);
    expect_dur("5.", 5000000);
    expect_dur("0", 0);
    expect_dur("300ns", 300);
    expect_dur("250us", 250000);
    expect_dur("250\xc2\xb5s", 250000);
    expect_dur("1.5ms", 1500000);
    expect_dur("2s", 2000000000);
    expect_dur("1.25s", 1250000000);
    expect_dur("0.000000001s", 1);
    expect_dur("1.0000000019s", 1000000001); /* past 9 decimals: dropped */
    expect_dur("0.1ns", 0);
    expect_dur("9223372036854775807ns", INT64_MAX);
    expect_dur("9223372036.854775807s", INT64_MAX);
    expect_bad("9223372036854775808ns", -ERANGE);
    expect_bad("9223372036.854775808s", -ERANGE);
    expect_bad("9223372037s", -ERANGE);
    expect_bad("99999999999999999999999999s", -ERANGE);
    expect_bad("99999999999999999999999999x", -EINVAL);
    expect_bad(NULL, -EINVAL);
    expect_bad("", -EINVAL);
    expect_bad("ms", -EINVAL);
    expect_bad(".", -EINVAL);
    expect_bad("-5", -EINVAL);
    expect_bad("+5", -EINVAL);
    expect_bad("5 ms", -EINVAL);
    expect_bad(" 5", -EINVAL);
    expect_bad("5m", -EINVAL);
    expect_bad("5sec", -EINVAL);
    expect_bad("1e3", -EINVAL);
    expect_bad("1.2.3", -EINVAL);
    expect_bad("0x10", -EINVAL);
}

/* Two tasks named "w", one "main", one "a (b)" whose name looks like a
 * label. */
static const char trace[] =
    "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,\"program\":\"p\","
    "\"pid\":1,\"clock\":\"monotonic\",\"unix_ns\":0}\n"
    "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"main\"}\n"
    "{\"t\":1,\"ev\":\"spawn\",\"task\":2,\"parent\":1,\"name\":\"w\"}\n"
    "{\"t\":2,\"ev\":\"spawn\",\"task\":3,\"parent\":1,\"name\":\"w\"}\n"
    "{\"t\":3,\"ev\":\"spawn\",\"task\":40,\"parent\":1,\"name\":\"a (b)\"}\n"
    "{\"t\":4,\"ev\":\"end\",\"events\":4,\"dropped\":0}\n";

static void expect_task(const tr_trace *tr, const char *s, int rc, uint32_t want)
{
    uint32_t id = 12345;
    int got = tr_parse_task(tr, s, &id);
    if (got != rc || (rc == 0 && id != want) || (rc != 0 && id != 12345))
        TEST__FAIL("tr_parse_task(\"%s\"): rc %d id %u; expected rc %d id %u",
                   s ? s : "NULL", got, id, rc, want);
}

static void test_tasks(void)
{
    tr_trace *tr = NULL;
    ASSERT_OK(tr_load_mem("t.jsonl", trace, sizeof trace - 1, NULL, &tr));
    expect_task(tr, "1", 0, 1);
    expect_task(tr, "40", 0, 40);
    expect_task(tr, "0", 0, 0);
    expect_task(tr, "loop", 0, 0);
    expect_task(tr, "main", 0, 1);
    expect_task(tr, "main (1)", 0, 1);
    expect_task(tr, "w (3)", 0, 3);
    expect_task(tr, "a (b) (40)", 0, 40);
    expect_task(tr, "a (b)", 0, 40);     /* not a label: a name */
    expect_task(tr, "w", -EEXIST, 0);    /* two tasks: give the id */
    expect_task(tr, "main (2)", -ENOENT, 0);
    expect_task(tr, "w (1)", -ENOENT, 0);
    expect_task(tr, "nobody", -ENOENT, 0);
    expect_task(tr, "7", -ENOENT, 0);
    expect_task(tr, "4294967296", -ENOENT, 0); /* past uint32: a name */
    expect_task(tr, "main(1)", -ENOENT, 0);
    expect_task(tr, "", -EINVAL, 0);
    expect_task(tr, NULL, -EINVAL, 0);
    expect_task(NULL, "1", -EINVAL, 0);
    tr_free(tr);
}

static void expect_kinds(const char *list, int rc, unsigned mask)
{
    unsigned got = 0xdead;
    if (tr_parse_stall_kinds(list, &got) != rc)
        TEST__FAIL("\"%s\": expected rc %d", list ? list : "(null)", rc);
    if (rc == 0)
        ASSERT_EQ(got, mask);
}

static void test_kinds(void)
{
    expect_kinds("blocked", 0, 1u << TR_STALL_BLOCKED);
    expect_kinds("wait,stuck", 0, 1u << TR_STALL_WAIT | 1u << TR_STALL_STUCK);
    expect_kinds("latency,blocked,latency", 0, 1u << TR_STALL_LATENCY | 1u << TR_STALL_BLOCKED);
    expect_kinds("blocked,latency,wait,stuck", 0, 15);
    expect_kinds("stuck,", 0, 1u << TR_STALL_STUCK); /* one trailing comma */
    expect_kinds("", -EINVAL, 0);
    expect_kinds(",", -EINVAL, 0);
    expect_kinds("blocked,,wait", -EINVAL, 0);
    expect_kinds("block", -EINVAL, 0);
    expect_kinds("Blocked", -EINVAL, 0);
    expect_kinds("blocked wait", -EINVAL, 0);
    expect_kinds(NULL, -EINVAL, 0);
    ASSERT_EQ(tr_parse_stall_kinds("wait", NULL), -EINVAL);
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"durations", test_durations},
        {"tasks", test_tasks},
        {"kinds", test_kinds},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
