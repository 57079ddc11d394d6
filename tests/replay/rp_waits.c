/* tests/replay/rp_waits.c: the waits that end early, for test_replay: a
 * read past its deadline, a co_select timing out, a parked read and a
 * sleep cancelled by another task, with a server in the same process.
 * Prints `rp_waits: ok` when every wait ended as it should. */
#include <coscope/co.h>

#include <stdio.h>
#include <string.h>

static int port, checks;

static void expect(int got, int want, const char *what)
{
    co_mark("%s: %s", what, got < 0 ? co_strerror(got) : "ok");
    if (got == want)
        checks++;
    else
        fprintf(stderr, "rp_waits: %s: %d, want %d\n", what, got, want);
}

/* Conn 1: answers "ping" 30 ms late; conn 2: never answers. */
static void *server(void *arg)
{
    co_tcp *ls = arg, *c1, *c2;
    char buf[16];
    if (co_tcp_accept(ls, &c1) || co_tcp_accept(ls, &c2))
        return NULL;
    if (co_read_exact(c1, buf, 5) == 5) {
        co_sleep(30);
        co_write(c1, "pong\n", 5);
    }
    while (co_read(c1, buf, sizeof buf) > 0)
        ;
    while (co_read(c2, buf, sizeof buf) > 0)
        ;
    co_close(c1);
    co_close(c2);
    return NULL;
}

static void *late_reader(void *arg)
{
    (void)arg;
    co_tcp *s;
    char buf[16];
    if (co_tcp_connect("127.0.0.1", port, &s))
        return NULL;
    co_write(s, "ping\n", 5);
    uint64_t outer;
    co_deadline_push(10, &outer);
    expect((int)co_read(s, buf, sizeof buf), CO_ETIMEDOUT, "deadline read");
    co_deadline_pop(outer);
    expect((int)co_read_exact(s, buf, 5), 5, "late pong");
    co_chan *c = co_chan_new(sizeof(int), 1);
    int v;
    co_select_case k = {.chan = c, .op = CO_SELECT_RECV, .elem = &v};
    expect(co_select(&k, 1, 5), 1, "select timeout");
    co_chan_free(c);
    co_close(s);
    return NULL;
}

static void *silent_reader(void *arg)
{
    co_tcp **out = arg, *s;
    char buf[16];
    if (co_tcp_connect("127.0.0.1", port, &s))
        return NULL;
    *out = s;
    expect((int)co_read(s, buf, sizeof buf), CO_ECANCELED, "cancelled read");
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    expect(co_sleep(60000), CO_ECANCELED, "cancelled sleep");
    return NULL;
}

static void *main_task(void *arg)
{
    (void)arg;
    co_tcp *ls, *silent = NULL;
    if (co_tcp_listen("127.0.0.1", 0, &ls))
        return NULL;
    port = co_tcp_port(ls);
    co_task *srv = co_spawn(server, ls, "server");
    co_task *late = co_spawn(late_reader, NULL, "late reader");
    co_task *sil = co_spawn(silent_reader, &silent, "silent reader");
    co_task *zz = co_spawn(sleeper, NULL, "sleeper");
    co_join(late, NULL);
    co_sleep(5);
    co_cancel(sil);
    co_cancel(zz);
    co_join(sil, NULL);
    co_join(zz, NULL);
    if (silent)
        co_close(silent);
    co_join(srv, NULL);
    co_close(ls);
    return NULL;
}

int main(void)
{
    if (co_main(main_task, NULL) != 0 || checks != 5) {
        fprintf(stderr, "rp_waits: %d of 5 checks\n", checks);
        return 1;
    }
    printf("rp_waits: ok\n");
    return 0;
}
