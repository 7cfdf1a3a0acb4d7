/* The thread switch: only what the C calling convention says survives a
 * call (callee-saved registers, the stack pointer) plus RFLAGS (interrupt
 * and SMAP AC state belong to the thread that set them). Everything else
 * is already on the thread's stack or in its struct (kernel/sched.c). */

/* context_switch(uint64_t *save_rsp, uint64_t next_rsp): park this thread
 * with its rsp in *save_rsp and continue the one whose rsp is next_rsp. */
        .text
        .globl context_switch
context_switch:
        pushfq
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
        popfq
        ret

/* Where a new thread's first switch "returns" to (sched_prepare_new and
 * the idle thread lay out its stack). %r12 is a kernel function to run with
 * %r13 as argument, or 0: leave to ring 3 through the trap frame that sits
 * right above, at the top of the stack. */
        .globl thread_first_entry
thread_first_entry:
        call sched_finish_first_switch
        testq %r12, %r12
        jz 1f
        movq %r13, %rdi
        call *%r12
        ud2
1:      jmp trap_exit
