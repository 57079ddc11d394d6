/* runtime/switch_aarch64.S: the AAPCS64 context switch.
 * void co__ctx_switch(void **from_sp, void *to_sp)
 * Saves x19-x30 and d8-d15 (the callee-saved set) in a 160-byte frame,
 * stores sp in *from_sp, loads to_sp, restores and returns through x30.
 * FPCR is deliberately not switched (see ctx.h). */
    .text
    .globl co__ctx_switch
    .type co__ctx_switch, %function
    .p2align 4
co__ctx_switch:
    sub sp, sp, #160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    ret
    .size co__ctx_switch, .-co__ctx_switch
    .section .note.GNU-stack,"",%progbits
