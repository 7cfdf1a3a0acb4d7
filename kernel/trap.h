/* The register frame every entry from ring 3 or interrupt builds on the
 * kernel stack; kernel/trap_entry.S pushes it in exactly this order. */
#pragma once
#include "../klib/types.h"

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

#define SYSCALL_VECTOR 0xfffffffffffffffful

void idt_init(void);
void idt_load(void);
void trap_handler(struct trap_frame *f);
NORETURN void return_to_user(struct trap_frame *f);
void trap_dump(const struct trap_frame *f);
/* rip: where the CPU was (printed first; 0: none), then the return
 * addresses up the %rbp chain from rbp. */
void backtrace_print(uint64_t rbp, uint64_t rip);

struct cpu;
struct tss;
void gdt_init_cpu(struct cpu *c, struct tss *tss, uint64_t *gdt);
void tss_set_kernel_stack(struct cpu *c, uint64_t rsp0);
