/* runtime/switch_x86_64.S: the x86-64 SysV context switch.
 * void co__ctx_switch(void **from_sp, void *to_sp)
 * Pushes the six callee-saved integer registers, stores rsp in *from_sp,
 * loads to_sp and pops the other context's registers; `ret` resumes it.
 * MXCSR / x87 CW are deliberately not switched (see ctx.h). */
    .text
    .globl co__ctx_switch
    .type co__ctx_switch, @function
    .p2align 4
co__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size co__ctx_switch, .-co__ctx_switch
    .section .note.GNU-stack,"",@progbits
