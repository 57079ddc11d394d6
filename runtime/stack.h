/* runtime/stack.h: task stacks. mmap'd with a PROT_NONE guard region below,
 * pooled for reuse, registered with valgrind (and ASan via the switch). */
#ifndef COSCOPE_STACK_H
#define COSCOPE_STACK_H

#include <stddef.h>

typedef struct co__stack {
    char *map;       /* mapping start: the guard region */
    size_t map_size; /* guard + usable */
    char *lo;        /* lowest usable byte */
    size_t size;     /* usable bytes */
    unsigned vg_id;  /* valgrind stack id */
    struct co__stack *next_free;
} co__stack;

/* Reads COSCOPE_STACK_KB (default 64, at least 16) once per co_main. */
void co__stack_configure(void);
size_t co__stack_size(void);
/* A stack from the pool, or a fresh mapping; NULL when out of memory. */
co__stack *co__stack_get(void);
/* Back to the pool (which keeps as many as were live at once lately,
 * 4096 to 65536; see stack.c). */
void co__stack_put(co__stack *s);
/* Unmaps a stack whose frames never unwound (a task abandoned by the
 * deadlock verdict): not pooled, its ASan shadow cleared first. */
void co__stack_discard(co__stack *s);
/* Unmaps every pooled stack. */
void co__stack_pool_drain(void);
/* 1 if addr lies in s's guard region (anywhere below the stack in it). */
int co__stack_guard_hit(const co__stack *s, const void *addr);

/* Installs the SIGSEGV/SIGBUS handler (on an alternate signal stack) that
 * turns a guard hit into "coscope: stack overflow in task N "name""
 * on stderr and as the trace's last line (`fatal`).
 * co__overflow_uninstall restores the previous handlers. */
int co__overflow_install(void);
void co__overflow_uninstall(void);

#endif
