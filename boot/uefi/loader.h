/* The Pith UEFI loader's shared pieces (boot/uefi/README.md has the flow). */
#pragma once
#include "efi.h"

extern struct efi_system_table *efi_system;

/* Print "pith efi: <why>" on the firmware console, then power off (QEMU
 * ends; pith reports the run as stopped without an exit status). */
__attribute__((noreturn)) void loader_fail(const char *why, uint64_t value);

/* Find the disk holding this image (MBR entries: 0xda kernel and 0xef ESP),
 * read the kernel ELF from its partition and place its segments at their
 * physical addresses. Returns the PVH entry point. */
uint32_t kernel_load(void);

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
