/* tr_crash.c: the fatal-signal handlers that save the trace's last moments.
 * On SIGSEGV/SIGBUS/SIGABRT/SIGFPE/SIGILL they write the records still in
 * memory and a last `halt` line naming the signal (tr_rec_halt), put the
 * previous disposition back and let the signal happen again, so whoever
 * handled it before (the runtime's stack-overflow handler, a sanitizer, the
 * default core dump) still does. SIGINT and SIGTERM, the usual way to stop a
 * server, are caught the same way only when they would kill the process
 * (default disposition at start): a program that handles them keeps them.
 * They run on the alternate signal stack when the thread has one (a stack
 * overflow leaves no room on the faulting stack). */
#include "tr_rec_int.h"

#include <signal.h>
#include <string.h>

static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGINT, SIGTERM};
/* The last ones are caught only while left at SIG_DFL. */
#define FIRST_POLITE 5
#define NFATAL (sizeof fatal / sizeof fatal[0])

static struct sigaction old_act[NFATAL];
static int ours[NFATAL]; /* installed by us */
static volatile sig_atomic_t installed;

static int slot(int sig)
{
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal[i] == sig)
            return (int)i;
    return -1;
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    tr_rec_halt(sig, 0);
    int i = slot(sig);
    if (i >= 0)
        sigaction(sig, &old_act[i], NULL);
    /* A fault raised by the CPU (si_code > 0) comes back by itself when the
     * instruction re-executes, with its real siginfo. Anything sent (abort,
     * raise, kill, ^C from the terminal) must be sent again; it stays
     * pending until we return. */
    int cpu = sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL;
    if (!si || si->si_code <= 0 || !cpu)
        raise(sig);
}

void tr__crash_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFATAL; i++)
        sigaddset(&sa.sa_mask, fatal[i]);
    for (size_t i = 0; i < NFATAL; i++) {
        ours[i] = 0;
        if (i >= FIRST_POLITE) {
            if (sigaction(fatal[i], NULL, &old_act[i]) != 0 ||
                (old_act[i].sa_flags & SA_SIGINFO) || old_act[i].sa_handler != SIG_DFL)
                continue; /* the program handles (or ignores) it */
        }
        ours[i] = sigaction(fatal[i], &sa, &old_act[i]) == 0;
    }
    installed = 1;
}

/* Puts back the old handler only where ours is still in place: if someone
 * installed theirs after us (chaining to ours), theirs stays. */
void tr__crash_uninstall(void)
{
    if (!installed)
        return;
    for (size_t i = 0; i < NFATAL; i++) {
        struct sigaction cur;
        if (ours[i] && sigaction(fatal[i], NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
            cur.sa_sigaction == on_fatal)
            sigaction(fatal[i], &old_act[i], NULL);
    }
    installed = 0;
}
