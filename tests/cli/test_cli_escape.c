/* tests/cli/test_cli_escape.c: no trace string reaches a terminal raw.
 * cli__esc on every kind of hostile byte (C0, DEL, C1, invalid UTF-8, cuts),
 * then the coscope binary's text outputs (stats, stats --task, stalls) on a
 * trace whose program, task names, object name and site hold escape
 * sequences and newlines: exact output bytes, and no control byte but the
 * newlines that end the program's own lines. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "test.h"

extern char **environ;

#ifndef COSCOPE_BIN
#error "COSCOPE_BIN must name the coscope binary"
#endif

static const char *esc(const char *s)
{
    static char buf[512];
    return cli__esc(buf, sizeof buf, s);
}

static void test_esc_bytes(void)
{
    /* the program name: OSC retitle + BEL, then clear screen */
    ASSERT_STR_EQ(esc("\x1b]0;pwned\x07\x1b[2J"), "\\x1b]0;pwned\\x07\\x1b[2J");
    ASSERT_STR_EQ(esc("evil\nrow"), "evil\\x0arow");
    ASSERT_STR_EQ(esc("a\rb\tc\x7f"), "a\\x0db\\x09c\\x7f");
    /* C1 controls (U+0080..U+009F, two bytes each): CSI is U+009B */
    ASSERT_STR_EQ(esc("\xc2\x9b" "2J\xc2\x85"), "\\u009b2J\\u0085");
    /* invalid UTF-8: stray continuation, bad lead, overlong, surrogate,
     * past U+10FFFF, a sequence cut short: each byte on its own */
    ASSERT_STR_EQ(esc("\x80\xff"), "\\x80\\xff");
    ASSERT_STR_EQ(esc("\xc0\x80"), "\\xc0\\x80");
    ASSERT_STR_EQ(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");
    ASSERT_STR_EQ(esc("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
    ASSERT_STR_EQ(esc("ok\xe2\x82"), "ok\\xe2\\x82");
    /* valid text is kept byte for byte */
    ASSERT_STR_EQ(esc("\xc2\xb5s \xe6\x97\xa5 \xf0\x9f\x98\x80 \xc2\xa0"),
                  "\xc2\xb5s \xe6\x97\xa5 \xf0\x9f\x98\x80 \xc2\xa0");
    ASSERT_STR_EQ(esc(""), "");
    /* idempotent: escaped text has nothing left to escape */
    char once[64];
    cli__esc(once, sizeof once, "\x1b[2J\xc2\x9b\xff");
    ASSERT_STR_EQ(esc(once), once);
    /* cut to fit, never inside an escape or a character */
    char small[6];
    ASSERT_STR_EQ(cli__esc(small, sizeof small, "ab\x1b"), "ab");
    ASSERT_STR_EQ(cli__esc(small, sizeof small, "a\x1b"), "a\\x1b");
    ASSERT_STR_EQ(cli__esc(small, sizeof small, "abc\xe6\x97\xa5"), "abc");
    /* any length, through a FILE */
    char *big = malloc(5000), *out = NULL;
    size_t outlen = 0;
    for (int i = 0; i < 5000; i++)
        big[i] = i % 3 == 2 ? '\x1b' : 'a';
    big[4999] = '\0';
    FILE *f = open_memstream(&out, &outlen);
    ASSERT_NOT_NULL(f);
    cli__fput_esc(big, f);
    fclose(f);
    ASSERT_EQ(outlen, 3333 + 1666 * 4);
    ASSERT(strncmp(out, "aa\\x1baa\\x1b", 12) == 0);
    ASSERT(strchr(out, '\x1b') == NULL);
    free(big);
    free(out);
}

/* ---- the binary on a hostile trace ---- */

static const char hostile_trace[] =
    "{\"ev\":\"trace\",\"format\":\"coscope\",\"version\":1,"
    "\"program\":\"\\u001b]0;pwned\\u0007\\u001b[2J\",\"pid\":7}\n"
    "{\"t\":0,\"ev\":\"spawn\",\"task\":1,\"parent\":0,\"name\":\"main\",\"at\":\"m.c:1\"}\n"
    "{\"t\":0,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"spawn\"}\n"
    "{\"t\":0,\"ev\":\"run\",\"task\":1}\n"
    "{\"t\":0,\"ev\":\"obj\",\"obj\":1,\"kind\":\"mutex\",\"name\":\"db\\u001b[31m\"}\n"
    "{\"t\":0,\"ev\":\"acquire\",\"task\":1,\"obj\":1}\n"
    "{\"t\":0,\"ev\":\"spawn\",\"task\":2,\"parent\":1,\"name\":\"evil\\u000a9  forged  row\","
    "\"at\":\"a.c:1\\u001b[2J\"}\n"
    "{\"t\":0,\"ev\":\"ready\",\"task\":2,\"by\":1,\"why\":\"spawn\"}\n"
    "{\"t\":0,\"ev\":\"spawn\",\"task\":3,\"parent\":1,\"name\":\"\\u009b2Jx\\u007fy\"}\n"
    "{\"t\":0,\"ev\":\"ready\",\"task\":3,\"by\":1,\"why\":\"spawn\"}\n"
    "{\"t\":1000000,\"ev\":\"yield\",\"task\":1,\"why\":\"sleep\",\"ms\":100}\n"
    "{\"t\":1000000,\"ev\":\"run\",\"task\":2}\n"
    "{\"t\":51000000,\"ev\":\"yield\",\"task\":2,\"why\":\"lock\",\"obj\":1,"
    "\"at\":\"a.c:2\\u0085\"}\n"
    "{\"t\":51000000,\"ev\":\"run\",\"task\":3}\n"
    "{\"t\":52000000,\"ev\":\"exit\",\"task\":3,\"status\":\"ok\"}\n"
    "{\"t\":101000000,\"ev\":\"ready\",\"task\":1,\"by\":0,\"why\":\"timer\"}\n"
    "{\"t\":101000000,\"ev\":\"run\",\"task\":1}\n"
    "{\"t\":101000000,\"ev\":\"release\",\"task\":1,\"obj\":1}\n"
    "{\"t\":101000000,\"ev\":\"ready\",\"task\":2,\"by\":1,\"why\":\"lock\"}\n"
    "{\"t\":101500000,\"ev\":\"exit\",\"task\":1,\"status\":\"ok\"}\n"
    "{\"t\":101500000,\"ev\":\"run\",\"task\":2}\n"
    "{\"t\":102000000,\"ev\":\"exit\",\"task\":2,\"status\":\"ok\"}\n"
    "{\"t\":102000000,\"ev\":\"end\",\"events\":21,\"dropped\":0}\n";

static char trace_path[64];

static void write_trace(void)
{
    strcpy(trace_path, "/tmp/coscope-esc-XXXXXX");
    int fd = mkstemp(trace_path);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, hostile_trace, sizeof hostile_trace - 1),
              (long long)(sizeof hostile_trace - 1));
    close(fd);
}

/* stdout of `coscope ARGS... ` (status 0 expected), malloc'd. */
static char *run_out(const char *const *args)
{
    char outp[] = "/tmp/coscope-esc-out-XXXXXX";
    int ofd = mkstemp(outp);
    ASSERT(ofd >= 0);
    unlink(outp);
    const char *argv[16] = {COSCOPE_BIN};
    size_t n = 1;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, ofd, 1);
    pid_t pid;
    ASSERT_OK(posix_spawn(&pid, COSCOPE_BIN, &fa, NULL, (char **)argv, environ));
    posix_spawn_file_actions_destroy(&fa);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    off_t len = lseek(ofd, 0, SEEK_END);
    char *buf = malloc((size_t)len + 1);
    ASSERT_NOT_NULL(buf);
    ASSERT_EQ(pread(ofd, buf, (size_t)len, 0), (long long)len);
    buf[len] = '\0';
    close(ofd);
    return buf;
}

/* No byte below 0x20 but '\n', no DEL, no C1 (C2 80..9F), and the line
 * count the program wrote. */
static void assert_clean(const char *out, int lines)
{
    int nl = 0;
    for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
        if (*p == '\n') {
            nl++;
            continue;
        }
        if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
            TEST__FAIL("raw control byte 0x%02x at offset %ld in:\n%s", *p,
                       (long)((const char *)p - out), out);
    }
    ASSERT_EQ(nl, lines);
}

static void test_stats_text(void)
{
    write_trace();
    char *out = run_out((const char *[]){"stats", trace_path, NULL});
    static const char head[] = "\\x1b]0;pwned\\x07\\x1b[2J (pid 7)\n";
    static const char table[] =
        "\nID  NAME                    POLLS     BUSY    READY  WAITING  WAKES  RUN P99  LAT P99  STATUS\n"
        " 1  main                        2  1.50 ms     0 ns   100 ms      2  1.00 ms     0 ns  ok\n"
        " 2  evil\\x0a9  forged  row      2  50.5 ms  1.50 ms  50.0 ms      2  50.0 ms  1.00 ms  ok\n"
        " 3  \\u009b2Jx\\x7fy              1  1.00 ms  51.0 ms     0 ns      1  1.00 ms  51.0 ms  ok\n";
    ASSERT(strncmp(out, head, sizeof head - 1) == 0);
    size_t len = strlen(out);
    ASSERT_CMP(len, >, sizeof table - 1);
    ASSERT_STR_EQ(out + len - (sizeof table - 1), table);
    assert_clean(out, 49);
    free(out);

    out = run_out((const char *[]){"stats", trace_path, "--task", "2", NULL});
    static const char task[] = "task 2: evil\\x0a9  forged  row\n"
                               "  parent     main (1)\n"
                               "  spawned    at 0 ns, a.c:1\\x1b[2J\n"
                               "  exited     at 102 ms, ok\n";
    ASSERT(strncmp(out, task, sizeof task - 1) == 0);
    assert_clean(out, 21);
    free(out);
    unlink(trace_path);
}

/* `top --once`: names escaped, one line per task. */
static void test_top_text(void)
{
    write_trace();
    char *out = run_out((const char *[]){"top", "--once", "--sort", "id", trace_path, NULL});
    ASSERT(strstr(out, "\n 2  evil\\x0a9  forged  row  done ") != NULL);
    ASSERT(strstr(out, "\n 3  \\u009b2Jx\\x7fy") != NULL);
    assert_clean(out, 5);
    free(out);
    unlink(trace_path);
}

/* Each line of the stall table is a stall (none forged by a name). */
static void test_stalls_text(void)
{
    write_trace();
    char *out = run_out((const char *[]){"stalls", trace_path, "--threshold", "20", NULL});
    ASSERT(strstr(out, "evil\\x0a9  forged  row (2)"));
    ASSERT(strstr(out, "\\u009b2Jx\\x7fy (3)"));
    ASSERT(strstr(out, "lock db\\x1b[31m (obj 1)"));
    ASSERT(strstr(out, "a.c:2\\u0085"));
    /* the counts line, the causes (heading, heads, 2 rows), and the stalls
     * under each cause (blank, heading, heads, rows): 14 lines in all */
    assert_clean(out, 14);
    int rows = 0;
    for (const char *line = out; *line; line = strchr(line, '\n') + 1)
        rows += strncmp(line, "latency ", 8) == 0 || strncmp(line, "blocked ", 8) == 0 ||
                strncmp(line, "wait ", 5) == 0;
    ASSERT_EQ(rows, 3);
    ASSERT(strstr(out, "\n0  run "));
    ASSERT(strstr(out, "\n1  contention "));
    free(out);
    unlink(trace_path);
}

static const test_case cases[] = {
    {"esc_bytes", test_esc_bytes},
    {"stats_text", test_stats_text},
    {"stalls_text", test_stalls_text},
    {"top_text", test_top_text},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_main(argc, argv, cases);
}
