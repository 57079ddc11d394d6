/* runtime/ctx.h: the context switch.
 * On x86-64 (SysV) and aarch64 a hand-written switch saves only the
 * callee-saved registers on the old stack and swaps the stack pointer
 * (switch_*.S); elsewhere, or with -DCOSCOPE_PORTABLE_SWITCH=ON, ucontext.
 *
 * Floating-point control state (x86 MXCSR and x87 control word, aarch64
 * FPCR) is NOT switched: it belongs to the loop thread and every task
 * shares it. A task that changes the rounding mode must restore it before
 * it blocks. Saving it would add ~4 ns to every switch for a feature async
 * code almost never uses; glibc's swapcontext doesn't preserve it either. */
#ifndef COSCOPE_CTX_H
#define COSCOPE_CTX_H

#include <stddef.h>

#ifdef CO_PORTABLE_SWITCH
#include <ucontext.h>
typedef struct co__ctx {
    ucontext_t uc;
} co__ctx;
#else
typedef struct co__ctx {
    void *sp; /* saved stack pointer; registers live on the stack */
} co__ctx;
#endif

/* Prepares c so that switching to it runs entry() on the stack
 * [lo, lo + size). entry must never return. */
void co__ctx_make(co__ctx *c, void *lo, size_t size, void (*entry)(void));

#ifdef CO_PORTABLE_SWITCH
static inline void co__ctx_swap(co__ctx *from, co__ctx *to)
{
    swapcontext(&from->uc, &to->uc);
}
#else
/* Saves the callee-saved registers and sp into *from_sp, loads to_sp. */
void co__ctx_switch(void **from_sp, void *to_sp);
static inline void co__ctx_swap(co__ctx *from, co__ctx *to)
{
    co__ctx_switch(&from->sp, to->sp);
}
#endif

#endif
