/* test_format.c: the format layer (tracer/format): the strict UTF-8 check
 * on every class of byte sequence of Unicode 15 table 3-7 and its edges,
 * the JSON escaper byte for byte, the FILE writer equal to one escaper call
 * whatever the chunking, the JSON writers (strings, microseconds) as the
 * CLI's --json and the export use them, and the field names and tokens
 * both ways. */
#include <errno.h>

#include "coscope/tr_kinds.h"
#include "test.h"
#include "tr_format_int.h"
#include "tr_map_int.h"

/* Every sequence's verdict: valid ones with their length, invalid ones 0. */
static void test_utf8(void)
{
    static const struct {
        const char *s;
        size_t n, len;
    } cases[] = {
        {"a", 1, 1},
        {"\0", 1, 1},
        {"\x7f", 1, 1},
        {"\x80", 1, 0},             /* lone continuation */
        {"\xbf", 1, 0},
        {"\xc0\x80", 2, 0},         /* overlong NUL */
        {"\xc1\xbf", 2, 0},         /* overlong */
        {"\xc2\x80", 2, 2},         /* U+0080 */
        {"\xdf\xbf", 2, 2},         /* U+07FF */
        {"\xc2", 1, 0},             /* cut short */
        {"\xc2\x41", 2, 0},         /* bad continuation */
        {"\xe0\x9f\xbf", 3, 0},     /* overlong */
        {"\xe0\xa0\x80", 3, 3},     /* U+0800 */
        {"\xed\x9f\xbf", 3, 3},     /* U+D7FF */
        {"\xed\xa0\x80", 3, 0},     /* U+D800, a surrogate */
        {"\xed\xbf\xbf", 3, 0},     /* U+DFFF */
        {"\xee\x80\x80", 3, 3},     /* U+E000 */
        {"\xef\xbf\xbf", 3, 3},     /* U+FFFF */
        {"\xe2\x82", 2, 0},         /* cut short */
        {"\xe2\x82\xac", 2, 0},     /* cut by n, not by the bytes */
        {"\xf0\x8f\xbf\xbf", 4, 0}, /* overlong */
        {"\xf0\x90\x80\x80", 4, 4}, /* U+10000 */
        {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF */
        {"\xf4\x90\x80\x80", 4, 0}, /* past U+10FFFF */
        {"\xf5\x80\x80\x80", 4, 0},
        {"\xff", 1, 0},
        {"\xf0\x9f\x98", 3, 0},     /* cut short */
        {"\xf0\x9f\x98\x41", 4, 0}, /* bad last byte */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = tr__utf8_len(cases[i].s, cases[i].n);
        if (got != cases[i].len)
            TEST__FAIL("case %zu: tr__utf8_len = %zu, expected %zu", i, got,
                       cases[i].len);
        ASSERT_EQ(tr__utf8_valid(cases[i].s, cases[i].n),
                  cases[i].len == cases[i].n);
    }
    ASSERT_EQ(tr__utf8_valid("", 0), 1);
    ASSERT_EQ(tr__utf8_valid("ok \xc2\xb5s \xe2\x82\xac", 10), 1);
    ASSERT_EQ(tr__utf8_valid("ok \xc2\xb5s \xe2\x82", 9), 0);
}

static void expect_esc(const char *in, size_t n, const char *want)
{
    char out[256];
    ASSERT(TR__JSON_ESC_MAX(n) <= sizeof out);
    char *end = tr__json_esc(out, in, n);
    ASSERT(end >= out && (size_t)(end - out) <= TR__JSON_ESC_MAX(n));
    *end = '\0';
    ASSERT_STR_EQ(out, want);
}

static void test_escape(void)
{
    expect_esc("plain", 5, "plain");
    expect_esc("a\"b\\c/", 6, "a\\\"b\\\\c/");
    expect_esc("\n\t\r\x01\x1f", 5, "\\u000a\\u0009\\u000d\\u0001\\u001f");
    expect_esc("a\0b", 3, "a\\u0000b");
    expect_esc("del\x7f", 4, "del\x7f");
    expect_esc("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
               "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    expect_esc("x\xffy", 3, "x\xef\xbf\xbdy");
    expect_esc("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    expect_esc("\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd");
    /* the worst case fills TR__JSON_ESC_MAX exactly */
    char ctl[40], out[TR__JSON_ESC_MAX(40)];
    memset(ctl, 1, sizeof ctl);
    ASSERT_EQ(tr__json_esc(out, ctl, sizeof ctl) - out, sizeof out);
}

/* What a FILE writer wrote, captured in memory. */
typedef struct memout {
    char *buf;
    size_t len;
    FILE *f;
} memout;

static FILE *out_open(memout *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    ASSERT_NOT_NULL(m->f);
    return m->f;
}

/* The text written since out_open, malloc'd (the caller frees). */
static char *out_close(memout *m)
{
    ASSERT_OK(fclose(m->f));
    return m->buf;
}

/* tr__json_str writes in 512-byte chunks: multi-byte characters and broken
 * sequences at every offset around a chunk edge come out as one escaper
 * call over the whole string would write them. */
static void test_file_chunks(void)
{
    static const char *const tails[] = {
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x80\x80\x80\x80\x80",
        "\xf0\x9f\x98", "\xe2\x82\"", "\xc3\\"};
    char in[1200], want[TR__JSON_ESC_MAX(1200) + 3];
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        for (size_t at = 500; at < 520; at++) {
            memset(in, 'x', at);
            size_t tl = strlen(tails[t]);
            memcpy(in + at, tails[t], tl);
            memset(in + at + tl, 'y', 600);
            in[at + tl + 600] = '\0';
            size_t n = strlen(in);
            want[0] = '"';
            char *e = tr__json_esc(want + 1, in, n);
            *e++ = '"';
            *e = '\0';

            memout m;
            tr__json_str(out_open(&m), in);
            char *got = out_close(&m);
            if (strcmp(got, want) != 0)
                TEST__FAIL("tail %zu at %zu: chunked output differs", t, at);
            free(got);
        }
    }
}

static void expect_str(const char *in, const char *want)
{
    memout m;
    tr__json_str(out_open(&m), in);
    char *got = out_close(&m);
    ASSERT_STR_EQ(got, want);
    free(got);
}

/* Both microsecond writers: into memory (the export, signal-safe) and to a
 * FILE (the CLI), the same text. */
static void expect_us(int64_t ns, const char *want)
{
    char buf[TR__US_MAX + 1];
    char *e = tr__put_us(buf, ns);
    ASSERT_CMP(e - buf, <=, TR__US_MAX);
    *e = '\0';
    ASSERT_STR_EQ(buf, want);
    memout m;
    tr__json_us(out_open(&m), ns);
    char *got = out_close(&m);
    ASSERT_STR_EQ(got, want);
    free(got);
}

/* The JSON writers as --json and the export call them: a quoted string
 * (NULL is ""), escaped as in the trace, and exact microseconds. */
static void test_json_writers(void)
{
    expect_str("plain", "\"plain\"");
    expect_str(NULL, "\"\"");
    /* the format layer's escaper, as in the trace: \u00XX, DEL as is */
    expect_str("a\"b\\c\n\t\r\x01\x7f",
               "\"a\\\"b\\\\c\\u000a\\u0009\\u000d\\u0001\x7f\"");
    expect_str("\xc2\xb5s \xe2\x82\xac \xf0\x9f\x98\x80",
               "\"\xc2\xb5s \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* Invalid UTF-8: stray continuation, overlong, surrogate, cut short. */
    expect_str("\x80x", "\"\xef\xbf\xbdx\"");
    expect_str("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    expect_str("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    expect_str("ab\xe2\x82", "\"ab\xef\xbf\xbd\xef\xbf\xbd\"");
    expect_us(0, "0.000");
    expect_us(1, "0.001");
    expect_us(1234567, "1234.567");
    expect_us(1000, "1.000");
    expect_us(-5, "0.000");
    expect_us(INT64_MAX, "9223372036854775.807");
}

/* COSCOPE_FLIGHT's grammar (the recorder's and `record --flight`'s): a
 * duration with its unit or a size, above 0, exact; the durations are
 * tr_parse_dur's but for the bare number. */
static void test_amounts(void)
{
    static const struct {
        const char *s;
        int rc;
        int64_t ns;
        uint64_t bytes;
    } cases[] = {
        {"2s", 0, 2000000000, 0},
        {"500ms", 0, 500000000, 0},
        {"0.1s", 0, 100000000, 0},
        {"250us", 0, 250000, 0},
        {"250\xc2\xb5s", 0, 250000, 0},
        {"64MB", 0, 0, (uint64_t)64 << 20},
        {"1.5GB", 0, 0, (uint64_t)3 << 29},
        {"2.5KB", 0, 0, 2560},
        {"20", -EINVAL, 0, 0}, /* a bare number: time or size? */
        {"0s", -EINVAL, 0, 0},
        {"0MB", -EINVAL, 0, 0},
        {"2 s", -EINVAL, 0, 0},
        {"1e3ms", -EINVAL, 0, 0},
        {"-1s", -EINVAL, 0, 0},
        {"64mb", -EINVAL, 0, 0},
        {"", -EINVAL, 0, 0},
        {"99999999999s", -ERANGE, 0, 0},
        {"99999999999999999999GB", -ERANGE, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ns = -1;
        uint64_t bytes = 7;
        int rc = tr__parse_amount(cases[i].s, &ns, &bytes);
        if (rc != cases[i].rc)
            TEST__FAIL("\"%s\": rc %d, expected %d", cases[i].s, rc, cases[i].rc);
        if (rc == 0) {
            ASSERT_EQ(ns, cases[i].ns);
            ASSERT_EQ(bytes, cases[i].bytes);
        } else {
            ASSERT_EQ(ns, -1);
            ASSERT_EQ(bytes, 7);
        }
    }
    ASSERT_EQ(tr__parse_amount(NULL, &(int64_t){0}, &(uint64_t){0}), -EINVAL);
    int64_t ns = 0;
    ASSERT_EQ(tr__parse_dur("20", &ns, 0), -EINVAL);
    ASSERT_OK(tr__parse_dur("20", &ns, 1));
    ASSERT_EQ(ns, 20000000);
}

/* Every field name and every token parses back to itself, names are
 * distinct, and near misses are no field. */
static void test_names(void)
{
    ASSERT_CMP(TR_FLD__COUNT, >=, 29); /* grows as fields are added */
    for (int f = 0; f < TR_FLD__COUNT; f++) {
        const char *k = tr_field_name(f);
        ASSERT(k[0] != '\0' && strcmp(k, "?") != 0);
        if (tr_field_parse(k) != f)
            TEST__FAIL("field %d \"%s\" parses as %d", f, k, tr_field_parse(k));
        for (int g = 0; g < f; g++)
            ASSERT(strcmp(k, tr_field_name(g)) != 0);
    }
    ASSERT_STR_EQ(tr_field_name(TR_FLD_TASK), "task");
    ASSERT_STR_EQ(tr_field_name(TR_FLD_UNIX_NS), "unix_ns");
    ASSERT_STR_EQ(tr_field_name(-1), "?");
    ASSERT_STR_EQ(tr_field_name(TR_FLD__COUNT), "?");
    static const char *const misses[] = {"", "tas", "taskk", "Task", "e",
                                         "t ", "unix", "\xff", "zzz"};
    for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++)
        ASSERT_EQ(tr_field_parse(misses[i]), -1);
    ASSERT_EQ(tr_field_parse(NULL), -1);

    static const struct {
        const char *(*name)(int);
        int (*parse)(const char *);
        int first, count;
    } lists[] = {
        {tr_ev_name, tr_ev_parse, 1, TR_EV__COUNT},
        {tr_wake_name, tr_wake_parse, 0, TR_WAKE__COUNT},
        {tr_wait_name, tr_wait_parse, 0, TR_WAIT__COUNT},
        {tr_op_name, tr_op_parse, 0, TR_OP__COUNT},
        {tr_status_name, tr_status_parse, 0, TR_STATUS__COUNT},
        {tr_objkind_name, tr_objkind_parse, 0, TR_OBJ__COUNT},
    };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (int v = lists[l].first; v < lists[l].count; v++)
            ASSERT_EQ(lists[l].parse(lists[l].name(v)), v);
    ASSERT_EQ(tr_ev_parse("?"), -1);
}

/* tr__map against a plain array, through 200000 random adds and removes
 * from a fixed seed over a key range small enough that probe runs form and
 * removals land inside them: every present key found with its value, every
 * removed one gone, the count exact. */
static void test_map(void)
{
    enum { RANGE = 3000, OPS = 200000 };
    static uint32_t want[RANGE]; /* value + 1; 0: absent */
    memset(want, 0, sizeof want);
    tr__map m;
    ASSERT_OK(tr__map_init(&m, 4));
    uint64_t x = 88172645463325252u;
    size_t present = 0, dels = 0;
    for (uint32_t op = 0; op < OPS; op++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        uint32_t k = (uint32_t)(x % RANGE);
        uint64_t key = (uint64_t)k * 0x10000 + 7; /* spread like task ids */
        if ((x >> 40) % 3 == 0) {
            present -= want[k] != 0;
            dels += want[k] != 0;
            want[k] = 0;
            tr__map_del(&m, key);
        } else {
            uint32_t *v = tr__map_get(&m, key, 1);
            ASSERT_NOT_NULL(v);
            present += want[k] == 0;
            *v = op;
            want[k] = op + 1;
        }
        if (op % 5000 != 0 && op != OPS - 1)
            continue;
        ASSERT_EQ(m.n, present);
        for (uint32_t j = 0; j < RANGE; j++) {
            uint32_t *v = tr__map_get(&m, (uint64_t)j * 0x10000 + 7, 0);
            if (want[j])
                ASSERT(v != NULL && *v == want[j] - 1);
            else
                ASSERT_NULL(v);
        }
    }
    ASSERT_CMP(dels, >, 10000);
    tr__map_del(&m, 12345); /* absent: nothing happens */
    ASSERT_EQ(m.n, present);
    tr__map_free(&m);
    ASSERT_NULL(tr__map_get(&m, 7, 1)); /* freed: finds and adds nothing */
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        {"utf8", test_utf8},
        {"escape", test_escape},
        {"file_chunks", test_file_chunks},
        {"json_writers", test_json_writers},
        {"amounts", test_amounts},
        {"names", test_names},
        {"map", test_map},
        {NULL, NULL},
    };
    return test_main(argc, argv, cases);
}
