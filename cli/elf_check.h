/* Host-side validation of the program ELF before it goes into an image, so a
 * bad file is refused with one clear line instead of failing inside the guest. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct elf_check_result {
    int is_pie;          /* ET_DYN: the kernel chooses the load address */
    uint64_t entry;
    char interp[256];    /* PT_INTERP path, "" for static programs */
};

/* 0 if PATH is an x86_64 ELF64 executable whose headers and segments lie inside
 * the file; otherwise -1 with a short reason (no path, no "pith:") in err. */
int elf_check_file(const char *path, struct elf_check_result *out, char *err, size_t errlen);

/* The same checks on bytes already in memory. */
int elf_check_bytes(const uint8_t *data, size_t size, struct elf_check_result *out,
                    char *err, size_t errlen);
/* The kernel loader's own checks (cli/elf_check_loader.c), the last of
 * elf_check_bytes's: 0, or -1 with the loader's reason in err. */
int elf_check_loader(const uint8_t *data, size_t size, char *err, size_t errlen);
