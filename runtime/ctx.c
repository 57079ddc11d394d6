/* runtime/ctx.c: building the first frame of a new context, so that the
 * first switch into it "returns" into entry() with an ABI-correct stack. */
#include "ctx.h"

#include <stdint.h>
#include <string.h>

#ifdef CO_PORTABLE_SWITCH

void co__ctx_make(co__ctx *c, void *lo, size_t size, void (*entry)(void))
{
    memset(c, 0, sizeof *c);
    getcontext(&c->uc);
    c->uc.uc_stack.ss_sp = lo;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = NULL;
    makecontext(&c->uc, entry, 0);
}

#elif defined(__x86_64__)

void co__ctx_make(co__ctx *c, void *lo, size_t size, void (*entry)(void))
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
    uintptr_t *sp = (uintptr_t *)top;
    /* After the six pops, `ret` takes entry from a 16-aligned slot, so
     * entry starts with rsp % 16 == 8, as if it had been called. */
    *--sp = 0;                 /* entry's (absent) return address */
    *--sp = (uintptr_t)entry;  /* popped by ret */
    for (int i = 0; i < 6; i++)
        *--sp = 0;             /* rbp rbx r12 r13 r14 r15 */
    c->sp = sp;
}

#elif defined(__aarch64__)

void co__ctx_make(co__ctx *c, void *lo, size_t size, void (*entry)(void))
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
    uintptr_t *frame = (uintptr_t *)(top - 160);
    memset(frame, 0, 160);
    frame[11] = (uintptr_t)entry; /* x30 at offset 88: where ret goes */
    c->sp = frame;
}

#else
#error "no context switch for this architecture: use COSCOPE_PORTABLE_SWITCH"
#endif
