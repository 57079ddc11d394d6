/* runtime/explore.c: the controlled scheduler behind COSCOPE_SEED.
 * With a seed the ready queue is no longer drained in FIFO order: each pick
 * takes the ready task of highest priority, as PCT does (Burckhardt et al.,
 * "A randomized scheduler with probabilistic guarantees of finding bugs"):
 * priorities are random per task, and at d-1 random picks (d = 3) the task
 * picked is demoted below every other, which is what lets a task be cut off
 * between a check and the act that depends on it. Everything is drawn from
 * the seed, so one seed is one schedule; completions that arrived in one
 * loop iteration are all in the ready queue, so their order is covered too.
 * Without a seed sched.c never calls in here. */
#include "sched_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH      3 /* PCT's d: bugs of depth d are found with 1/(n k^(d-1)) */
#define STARVE     64 /* picks the queue's head may be passed over in a row */
#define WINDOW     64 /* ready tasks a pick looks at, from the queue's head */
#define SCALE_MIN  3  /* change points fall in picks [1, 2^e], e in [3, 12] */
#define SCALE_SPAN 10

int co__explore_on;

static struct {
    uint64_t seed;
    uint64_t picks;                /* picks made in this co_main */
    uint64_t change_at[DEPTH - 1]; /* pick numbers of the change points */
    uint64_t demoted[DEPTH - 1];   /* task id demoted at each, 0: none yet */
    unsigned skips;                /* picks in a row that passed the head */
} X;

/* splitmix64 (Steele, Lea, Flood): a full-period generator whose output
 * function also serves as the hash of a task's id. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t next(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ull;
    return mix(*state);
}

/* COSCOPE_SEED: a decimal integer 0 .. 2^63-1 (a trace reader keeps it as
 * a signed 64-bit number). Sets *seed and returns 1, or 0 when unset or
 * empty; anything else is said once on stderr and ignored. */
static int seed_from_env(uint64_t *seed)
{
    const char *s = getenv("COSCOPE_SEED");
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno ||
        v > (unsigned long long)INT64_MAX) {
        fprintf(stderr,
                "coscope: COSCOPE_SEED=%s is not a number from 0 to "
                "9223372036854775807; the schedule is FIFO\n",
                s);
        return 0;
    }
    *seed = v;
    return 1;
}

int co__explore_env(uint64_t *seed)
{
    *seed = 0;
    int on = seed_from_env(seed);
    tr_rec_set_seed(on, *seed);
    return on;
}

void co__explore_start(void)
{
    uint64_t seed;
    co__explore_on = co__explore_env(&seed);
    if (!co__explore_on)
        return;
    X.seed = seed;
    X.picks = 0;
    X.skips = 0;
    uint64_t st = seed;
    /* The change points' horizon is unknown (how many picks the run
     * makes), so it is drawn too, on a log scale: a short run gets change
     * points among its few picks as often as a long one among its many. */
    uint64_t horizon = 1ull << (SCALE_MIN + next(&st) % SCALE_SPAN);
    for (int i = 0; i < DEPTH - 1; i++) {
        X.change_at[i] = 1 + next(&st) % horizon;
        X.demoted[i] = 0;
    }
}

/* A task's priority: a hash of its id under the seed, above DEPTH; a task
 * demoted at change point i has priority i + 1 (a later demotion ranks
 * above an earlier one, as in PCT). Ids are never reused in a run. */
static uint64_t priority(uint64_t id)
{
    for (int i = DEPTH - 2; i >= 0; i--)
        if (X.demoted[i] == id)
            return (uint64_t)i + 1;
    uint64_t h = mix(X.seed ^ mix(id));
    return h < DEPTH ? h + DEPTH : h;
}

/* Unlinks t (after prev, or the head when prev is NULL) from the queue. */
static co_task *unlink_after(co_task *prev, co_task *t)
{
    if (prev)
        prev->next_ready = t->next_ready;
    else
        RT->ready_head = t->next_ready;
    if (RT->ready_tail == t)
        RT->ready_tail = prev;
    t->next_ready = NULL;
    RT->nready--;
    return t;
}

/* The ready task of highest priority among the first WINDOW of the queue
 * (its predecessor in *prev). The window keeps a pick O(1) when thousands
 * are ready (a server's clients); beyond it tasks wait their turn in FIFO
 * order, so a schedule reorders what is near the head, which is where the
 * tasks made ready at the same time are. */
static co_task *highest(co_task **prev)
{
    co_task *best = RT->ready_head, *p = best, *t = best->next_ready;
    uint64_t bp = priority(best->id);
    *prev = NULL;
    for (int seen = 1; t && seen < WINDOW; seen++, p = t, t = t->next_ready) {
        uint64_t tp = priority(t->id);
        if (tp > bp) {
            best = t, bp = tp;
            *prev = p;
        }
    }
    return best;
}

co_task *co__explore_pick(void)
{
    if (!RT->ready_head)
        return NULL;
    X.picks++;
    for (int i = 0; i < DEPTH - 1; i++)
        if (X.change_at[i] == X.picks && !X.demoted[i]) {
            co_task *prev;
            X.demoted[i] = highest(&prev)->id;
        }
    /* Strict priorities would let a task that yields in a loop (waiting
     * for a flag another task sets) spin forever: the task at the head of
     * the FIFO, the longest ready, is taken once it has been passed over
     * STARVE times in a row. */
    co_task *prev, *t = highest(&prev);
    if (t == RT->ready_head || ++X.skips >= STARVE) {
        X.skips = 0;
        return unlink_after(NULL, RT->ready_head);
    }
    return unlink_after(prev, t);
}
