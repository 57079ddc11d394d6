/* runtime/stack.c: task stacks and stack-overflow detection.
 * Stacks are mmap'd with a PROT_NONE guard region at the low end and kept
 * in a pool, so spawn costs no syscall once warm. The guard is 256 KiB, not
 * a page: a function with a big frame (char buf[128 * 1024]) moves the
 * stack pointer past a one-page guard in one step, into whatever lies
 * below, and code built without -fstack-clash-protection does not probe
 * the pages on the way. The region costs address space only (no memory, no
 * extra kernel mapping). A SIGSEGV anywhere in it is caught on an
 * alternate signal stack and named, never left as silent corruption. */
#include "stack.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "co_int.h"

#ifdef CO_ASAN
#include <sanitizer/asan_interface.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CO_HAVE_VALGRIND 1
#endif
#endif
#ifndef CO_HAVE_VALGRIND
#define VALGRIND_STACK_REGISTER(lo, hi) 0
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

/* The pool adapts to the live count: it keeps as many free stacks as the
 * most tasks alive at once in this epoch or the last (an epoch is 65536
 * stacks handed out), at least POOL_MIN and at most POOL_MAX; at each
 * epoch's end it trims down to that. A server whose live count swings past
 * 4096 then reuses stacks instead of paying mmap + mprotect + munmap and
 * fresh page faults (~5 us) per task, and a burst long over gives its
 * memory back within two epochs of spawning. */
#define POOL_MIN 4096
#define POOL_MAX 65536
#define EPOCH_GETS 65536
#define GUARD_BYTES (256u * 1024) /* a multiple of every page size we run on */

static size_t stack_size = 64 * 1024;
static size_t page_size;
static co__stack *pool;
static size_t pool_len;
static size_t live;                    /* handed out, not yet back */
static size_t peak_now, peak_last;     /* most live, this and last epoch */
static size_t epoch_gets;

static size_t pool_cap(void)
{
    size_t c = peak_now > peak_last ? peak_now : peak_last;
    return c < POOL_MIN ? POOL_MIN : c > POOL_MAX ? POOL_MAX : c;
}

static void stack_unmap(co__stack *s);

static void epoch_end(void)
{
    peak_last = peak_now;
    peak_now = live;
    epoch_gets = 0;
    for (size_t cap = pool_cap(); pool_len > cap; pool_len--) {
        co__stack *s = pool;
        pool = s->next_free;
        stack_unmap(s);
    }
}

static co__stack *counted(co__stack *s)
{
    if (s && ++live > peak_now)
        peak_now = live;
    if (s && ++epoch_gets >= EPOCH_GETS)
        epoch_end();
    return s;
}

void co__stack_configure(void)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    size_t kb = 64;
    const char *env = getenv("COSCOPE_STACK_KB");
    if (env && *env) {
        char *end;
        unsigned long v = strtoul(env, &end, 10);
        if (*end == '\0' && v >= 16 && v <= 1024 * 1024)
            kb = v;
    }
    size_t want = kb * 1024;
    want = (want + page_size - 1) / page_size * page_size;
    if (want != stack_size)
        co__stack_pool_drain(); /* pooled stacks have the old size */
    stack_size = want;
}

size_t co__stack_size(void)
{
    return stack_size;
}

static co__stack *stack_map(void);

co__stack *co__stack_get(void)
{
    if (pool) {
        co__stack *s = pool;
        pool = s->next_free;
        pool_len--;
        return counted(s);
    }
    return counted(stack_map());
}

static co__stack *stack_map(void)
{
    co__stack *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    if (!page_size)
        page_size = (size_t)sysconf(_SC_PAGESIZE);
    size_t guard = GUARD_BYTES > page_size ? GUARD_BYTES : page_size;
    s->map_size = stack_size + guard;
    s->map = mmap(NULL, s->map_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s->map == MAP_FAILED) {
        free(s);
        return NULL;
    }
    if (mprotect(s->map, guard, PROT_NONE) != 0) {
        munmap(s->map, s->map_size);
        free(s);
        return NULL;
    }
    s->lo = s->map + guard;
    s->size = stack_size;
    s->vg_id = VALGRIND_STACK_REGISTER(s->lo, s->lo + s->size);
    s->next_free = NULL;
    return s;
}

/* An exited task's last frames never returned (its final switch left
 * them): their redzones stay poisoned in ASan's shadow, and a task given
 * the stack next, or a new mapping at its address, must not inherit them. */
static void shadow_clean(co__stack *s)
{
#ifdef CO_ASAN
    __asan_unpoison_memory_region(s->lo, s->size);
#else
    (void)s;
#endif
}

static void stack_unmap(co__stack *s)
{
    shadow_clean(s);
    VALGRIND_STACK_DEREGISTER(s->vg_id);
    munmap(s->map, s->map_size);
    free(s);
}

void co__stack_put(co__stack *s)
{
    if (!s)
        return;
    live--;
    if (pool_len >= pool_cap() || s->size != stack_size) {
        stack_unmap(s);
        return;
    }
    shadow_clean(s);
    s->next_free = pool;
    pool = s;
    pool_len++;
}

void co__stack_discard(co__stack *s)
{
    if (!s)
        return;
    live--;
    stack_unmap(s); /* its shadow cleaned as every unmapped stack's */
}

void co__stack_pool_drain(void)
{
    while (pool) {
        co__stack *s = pool;
        pool = s->next_free;
        stack_unmap(s);
    }
    pool_len = 0;
    peak_now = peak_last = live;
    epoch_gets = 0;
}

int co__stack_guard_hit(const co__stack *s, const void *addr)
{
    /* Anywhere in the guard region (a big frame lands deep inside it). */
    uintptr_t a = (uintptr_t)addr, lo = (uintptr_t)s->lo;
    return a < lo && a >= (uintptr_t)s->map;
}

/* ---- overflow detection ---- */

static struct sigaction old_segv, old_bus;
static stack_t old_alt;
static char *alt_stack;
static int installed;

static size_t fmt_u64(char *p, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static void on_fault(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    co_task *t = co__current();
    if (t && t->stack && co__stack_guard_hit(t->stack, info->si_addr)) {
        char msg[400];
        size_t n = 0;
        const char *head = "coscope: stack overflow in task ";
        memcpy(msg + n, head, strlen(head));
        n += strlen(head);
        n += fmt_u64(msg + n, t->id);
        msg[n++] = ' ';
        msg[n++] = '"';
        size_t nl = t->name ? strlen(t->name) : 0;
        if (nl > 200)
            nl = 200;
        memcpy(msg + n, t->name, nl);
        n += nl;
        const char *tail = "\" (raise COSCOPE_STACK_KB)\n";
        memcpy(msg + n, tail, strlen(tail));
        n += strlen(tail);
        ssize_t w = write(2, msg, n);
        (void)w;
        /* The trace's last line says it too (without "coscope: "). */
        size_t skip = strlen("coscope: ");
        tr_rec_fatal(t->id, msg + skip, n - skip - 1, NULL, 0);
        signal(sig, SIG_DFL);
        return; /* the faulting access repeats and kills the process */
    }
    /* Not ours: keep the trace (idempotent), then hand over to whoever was
     * there before; returning repeats the fault under that handler. */
    tr_rec_crash_flush();
    sigaction(sig, sig == SIGSEGV ? &old_segv : &old_bus, NULL);
    if (info->si_code <= 0)
        raise(sig);
}

int co__overflow_install(void)
{
    if (installed)
        return 0;
    size_t alt_size = 64 * 1024;
    alt_stack = malloc(alt_size);
    if (!alt_stack)
        return CO_ENOMEM;
    stack_t ss = {.ss_sp = alt_stack, .ss_size = alt_size, .ss_flags = 0};
    if (sigaltstack(&ss, &old_alt) != 0) {
        free(alt_stack);
        alt_stack = NULL;
        return -errno;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    installed = 1;
    return 0;
}

void co__overflow_uninstall(void)
{
    if (!installed)
        return;
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    if (old_alt.ss_flags & SS_DISABLE) {
        stack_t off = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
        sigaltstack(&off, NULL);
    } else {
        sigaltstack(&old_alt, NULL);
    }
    free(alt_stack);
    alt_stack = NULL;
    installed = 0;
}
