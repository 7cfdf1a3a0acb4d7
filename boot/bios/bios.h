/* Stage 2 runs its C code in 32-bit protected mode and drops back to real
 * mode only to call the BIOS, through bios_int() in stage2.S. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* Register image for a BIOS call: loaded before `int`, stored after it.
 * Pointers handed to the BIOS (DS:SI, ES:DI) must lie below 64 KiB because
 * we call with segment registers taken from here (normally 0). */
struct bios_regs {
    uint32_t eax, ebx, ecx, edx, esi, edi, ebp;
    uint32_t eflags;
    uint16_t ds, es;
};

#define EFLAGS_CF 0x1u

void bios_int(uint8_t vector, struct bios_regs *regs);
__attribute__((noreturn)) void enter_kernel(uint32_t entry, uint32_t start_info);
__attribute__((noreturn)) void halt_forever(void);

static inline void outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* Freestanding helpers (mem.c); gcc may also call them for struct copies. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* console.c: errors go to the screen (INT 10h) and COM1, then we halt. */
__attribute__((noreturn)) void fatal(const char *msg);
__attribute__((noreturn)) void fatal_code(const char *msg, uint32_t code);
void debug_line(const char *msg, uint32_t value);   /* COM1 only */
