/* tests/runtime/test_switch.c: the context switch alone, no libuv: two
 * contexts ping-pong while each keeps values live in callee-saved integer
 * and floating-point registers across the switch, recurse on the new stack,
 * and check the stack alignment the ABI promises at entry. Built natively by
 * ctest, and cross-built for aarch64 and run under qemu by
 * scripts/test-aarch64.sh, so both assembly switches are exercised. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"

static co__ctx main_ctx, task_ctx;
static char stack[64 * 1024] __attribute__((aligned(16)));
static volatile int rounds_done;
static uintptr_t entry_sp;

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #c);                                                       \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* Sums that stay in registers across the swap: the compiler keeps them in
 * callee-saved registers because swap is an opaque call. */
static __attribute__((noinline)) long recurse(int depth)
{
    volatile char pad[256];
    pad[0] = (char)depth;
    if (depth == 0)
        return pad[0];
    return recurse(depth - 1) + pad[0];
}

static void task_entry(void)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    entry_sp = here;
    long a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;
    double x = 1.5, y = 2.25, z = 3.125;
    for (int i = 0; i < 1000; i++) {
        co__ctx_swap(&task_ctx, &main_ctx);
        a += 1, b += 2, c += 3, d += 4, e += 5, f += 6;
        x += 0.5, y += 0.25, z += 0.125;
    }
    CHECK(a == 1001 && b == 2002 && c == 3003 && d == 4004 && e == 5005 &&
          f == 6006);
    CHECK(x == 501.5 && y == 252.25 && z == 128.125);
    CHECK(recurse(100) == 5050);
    /* varargs with doubles: misaligned stacks fault here on x86-64 */
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f %.3f", x, z);
    CHECK(strcmp(buf, "501.500 128.125") == 0);
    rounds_done = 1;
    co__ctx_swap(&task_ctx, &main_ctx);
    abort(); /* never resumed again */
}

int main(void)
{
    co__ctx_make(&task_ctx, stack, sizeof stack, task_entry);
    long a = 10, b = 20, c = 30, d = 40, e = 50, f = 60;
    double x = 0.5, y = 0.75, z = 0.875;
    for (int i = 0; i < 1001; i++) {
        co__ctx_swap(&main_ctx, &task_ctx);
        a -= 1, b -= 2, c -= 3, d -= 4, e -= 5, f -= 6;
        x -= 0.5, y -= 0.25, z -= 0.125;
    }
    CHECK(rounds_done == 1);
    CHECK(a == 10 - 1001 && b == 20 - 2002 && c == 30 - 3003 &&
          d == 40 - 4004 && e == 50 - 5005 && f == 60 - 6006);
    CHECK(x == 0.5 - 500.5 && y == 0.75 - 250.25 && z == 0.875 - 125.125);
    /* entry ran on our stack, inside it */
    CHECK(entry_sp > (uintptr_t)stack && entry_sp <= (uintptr_t)stack + sizeof stack);
    printf("switch: ok\n");
    return 0;
}
