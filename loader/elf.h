/* ELF64 structures and the validation shared by the kernel's loader and
 * the host tools: an ELF that passes elf_validate can be mapped without any
 * further bounds checks on its headers. */
#pragma once
#include "../klib/types.h"

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551
#define PF_X 1
#define PF_W 2
#define PF_R 4

typedef struct {
    unsigned char e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr;

typedef struct {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr;

#define ELF_MAX_PHNUM 64
/* Nothing a real program maps comes near this; it bounds arithmetic. */
#define ELF_MAX_IMAGE_SPAN (1ul << 40)

struct elf_image {
    Elf64_Ehdr ehdr;
    Elf64_Phdr phdrs[ELF_MAX_PHNUM];
    uint64_t lowest_vaddr, highest_vaddr;   /* page-aligned span of PT_LOADs */
    int interp_index;                       /* PT_INTERP phdr, or -1 */
    int tls_index;                          /* PT_TLS phdr, or -1 */
    uint64_t phdr_vaddr;                    /* where the phdrs are in memory, 0 if not mapped */
};

/* Check the ELF header (the first 64 bytes) of a file of file_size bytes.
 * On failure returns -ENOEXEC and writes the reason (e.g. "not an ELF file",
 * "32-bit ELF", "built for aarch64, not x86_64"). */
int elf_check_header(const void *buf, size_t len, uint64_t file_size, Elf64_Ehdr *out,
                     char *err, size_t errlen);
/* Check the program headers (read from ehdr->e_phoff) and fill img. */
int elf_check_phdrs(const Elf64_Ehdr *ehdr, const void *phdrs, size_t len, uint64_t file_size,
                    struct elf_image *img, char *err, size_t errlen);
const char *elf_machine_name(uint16_t machine);
