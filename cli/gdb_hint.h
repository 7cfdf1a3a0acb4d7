/* `pith run --gdb`: pith chooses the guest's address-space layout seed
 * (loader/layout.h) and the kernel's KASLR slide (cli/kaslr_slide.h), so it
 * knows before the boot where the kernel will be and where it will put the
 * program and its interpreter, and prints one gdb command line with every
 * symbol file at its real address. */
#pragma once
#include <stdint.h>
#include <stdio.h>

/* A random nonzero seed (0 means "kernel, pick one"). */
uint64_t gdb_random_seed(void);

/* Where the kernel loads `path` (a host ELF): the offset gdb's add-symbol-file
 * -o needs. interp: load it as the interpreter (below the mmap top) rather
 * than as the program. 0, or -1 if the file cannot be read as an ELF. */
int gdb_load_offset(const char *path, int interp, uint64_t seed, uint64_t *offset);

/* Print a line on the kernel's KASLR, "pith: QEMU waits for gdb on port N;
 * attach with:" and the command. kaslr_on: the kernel runs kernel_slide
 * above its link address (cli/kaslr_slide.h chose it); the kernel's
 * symbols are given at that offset. program: the host path (NULL with
 * --image: kernel symbols only). */
void gdb_hint_print(FILE *out, int port, const char *kernel_path, int kaslr_on, uint64_t kernel_slide,
                    const char *program, const char *sysroot, uint64_t seed);
