/* GDT selectors. The order is fixed by SYSCALL/SYSRET: user data must sit
 * right below user code, kernel data right after kernel code. */
#pragma once
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_CS32 0x18
#define USER_DS 0x23
#define USER_CS 0x2b
#define TSS_SEL 0x30
