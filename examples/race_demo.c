/* examples/race_demo.c: an order-dependent bug for `coscope explore` to
 * find. Two buyers reserve 60 each from a shared balance of 100 with a
 * check-then-act: the check, then a co_yield (writing an audit record, say),
 * then the act. If the other buyer checks in between, both reservations
 * pass and the balance goes below zero. The default FIFO schedule never
 * does that (bob's two preparation steps keep him away from his check until
 * alice has acted), so the program passes every plain run; a schedule that
 * cuts alice off after her check overdraws it. --fixed holds a mutex from
 * the check to the act, and every schedule passes. */
#include <coscope/co.h>

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: race_demo [--fixed]\n"
    "\n"
    "Two tasks reserve 60 each from a balance of 100, checking the balance\n"
    "and taking from it with a co_yield in between. Exits 0 when one of\n"
    "them was refused; exits 1 with \"race_demo: overdrawn\" when both got\n"
    "through, which only some schedules do. Try\n"
    "  race_demo; coscope explore -n 100 -- race_demo\n"
    "With --fixed a mutex covers the check and the act (no schedule fails).\n";

static int balance = 100;
static int fixed;
static co_mutex *till;

typedef struct buyer {
    const char *name;
    int amount, prep_steps, got;
} buyer;

static void reserve(buyer *b)
{
    if (fixed)
        co_mutex_lock(till);
    if (balance >= b->amount) {
        co_yield(); /* the audit record: another task may run here */
        balance -= b->amount;
        b->got = 1;
    }
    if (fixed)
        co_mutex_unlock(till);
}

static void *buyer_fn(void *arg)
{
    buyer *b = arg;
    for (int i = 0; i < b->prep_steps; i++)
        co_yield(); /* looking the price up */
    reserve(b);
    co_mark("%s %s %d", b->name, b->got ? "reserved" : "was refused", b->amount);
    return NULL;
}

static buyer buyers[2] = {{"alice", 60, 0, 0}, {"bob", 60, 2, 0}};

static void *main_task(void *arg)
{
    (void)arg;
    co_task *t[2];
    till = co_mutex_name(co_mutex_new(), "till");
    for (int i = 0; i < 2; i++)
        t[i] = co_spawn(buyer_fn, &buyers[i], buyers[i].name);
    for (int i = 0; i < 2; i++)
        if (t[i])
            co_join(t[i], NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--fixed") == 0) {
        fixed = 1;
    } else if (argc > 1) {
        int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    int err = co_main(main_task, NULL);
    co_mutex_free(till);
    if (err) {
        fprintf(stderr, "race_demo: co_main: %s\n", co_strerror(err));
        return 2;
    }
    if (!till) {
        fprintf(stderr, "race_demo: out of memory\n");
        return 2;
    }
    if (balance < 0) {
        fprintf(stderr, "race_demo: overdrawn: balance %d after alice %s, bob %s\n",
                balance, buyers[0].got ? "reserved" : "was refused",
                buyers[1].got ? "reserved" : "was refused");
        return 1;
    }
    printf("race_demo: balance %d\n", balance);
    return 0;
}
