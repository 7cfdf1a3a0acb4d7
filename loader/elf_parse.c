#include "elf.h"
#include "../klib/errno.h"
#include "../klib/format.h"
#include "../klib/string.h"

const char *elf_machine_name(uint16_t m)
{
    switch (m) {
    case 3: return "i386";
    case 8: return "mips";
    case 20: return "powerpc";
    case 21: return "ppc64";
    case 40: return "arm";
    case 62: return "x86_64";
    case 183: return "aarch64";
    case 243: return "riscv";
    default: return "an unknown machine";
    }
}

#define FAIL(...) do { format_sn(err, errlen, __VA_ARGS__); return -ENOEXEC; } while (0)

int elf_check_header(const void *buf, size_t len, uint64_t file_size, Elf64_Ehdr *out,
                     char *err, size_t errlen)
{
    const unsigned char *b = buf;
    if (len < 4 || memcmp(b, "\177ELF", 4) != 0) FAIL("not an ELF file");
    if (len < 5) FAIL("truncated ELF header");
    if (b[4] == 1) FAIL("32-bit ELF (only x86_64 programs run)");
    if (b[4] != 2) FAIL("bad ELF class %u", b[4]);
    if (len < sizeof(Elf64_Ehdr) || file_size < sizeof(Elf64_Ehdr)) FAIL("truncated ELF header");
    memcpy(out, buf, sizeof *out);
    if (b[5] != 1) FAIL("big-endian ELF");
    if (out->e_machine != EM_X86_64)
        FAIL("built for %s, not x86_64", elf_machine_name(out->e_machine));
    if (out->e_type != ET_EXEC && out->e_type != ET_DYN)
        FAIL("not an executable (ELF type %u)", out->e_type);
    if (out->e_phentsize != sizeof(Elf64_Phdr)) FAIL("bad program header size %u", out->e_phentsize);
    if (out->e_phnum == 0) FAIL("no program headers");
    if (out->e_phnum > ELF_MAX_PHNUM) FAIL("too many program headers (%u)", out->e_phnum);
    uint64_t ph_end = out->e_phoff + (uint64_t)out->e_phnum * sizeof(Elf64_Phdr);
    if (out->e_phoff > file_size || ph_end > file_size || ph_end < out->e_phoff)
        FAIL("program headers outside the file (truncated?)");
    return 0;
}

int elf_check_phdrs(const Elf64_Ehdr *ehdr, const void *phdrs, size_t len, uint64_t file_size,
                    struct elf_image *img, char *err, size_t errlen)
{
    size_t n = ehdr->e_phnum;
    if (len < n * sizeof(Elf64_Phdr)) FAIL("program headers truncated");
    img->ehdr = *ehdr;
    memcpy(img->phdrs, phdrs, n * sizeof(Elf64_Phdr));
    img->interp_index = img->tls_index = -1;
    img->phdr_vaddr = 0;
    uint64_t lo = UINT64_MAX, hi = 0, prev_end = 0;
    bool any_load = false;
    for (size_t i = 0; i < n; i++) {
        const Elf64_Phdr *p = &img->phdrs[i];
        if (p->p_type == PT_INTERP) {
            if (img->interp_index >= 0) FAIL("two PT_INTERP headers");
            if (p->p_filesz < 2 || p->p_filesz > 4096 || p->p_offset > file_size ||
                p->p_offset + p->p_filesz > file_size)
                FAIL("bad PT_INTERP");
            img->interp_index = (int)i;
        }
        if (p->p_type == PT_TLS) img->tls_index = (int)i;
        if (p->p_type != PT_LOAD) continue;
        if (p->p_filesz > p->p_memsz) FAIL("segment %zu: file size larger than memory size", i);
        if (p->p_memsz > ELF_MAX_IMAGE_SPAN) FAIL("segment %zu: absurd size %lx", i, (unsigned long)p->p_memsz);
        if (p->p_offset > file_size || p->p_filesz > file_size - p->p_offset)
            FAIL("segment %zu: data beyond the end of the file (truncated?)", i);
        if (p->p_vaddr > ELF_MAX_IMAGE_SPAN * 128 || p->p_vaddr + p->p_memsz < p->p_vaddr)
            FAIL("segment %zu: address %lx out of range", i, (unsigned long)p->p_vaddr);
        if ((p->p_vaddr & 4095) != (p->p_offset & 4095))
            FAIL("segment %zu: address and file offset disagree modulo the page size", i);
        if (any_load && p->p_vaddr < prev_end)
            FAIL("segment %zu: overlaps or precedes the previous segment", i);
        prev_end = p->p_vaddr + p->p_memsz;
        lo = MIN(lo, ALIGN_DOWN(p->p_vaddr, 4096ul));
        hi = MAX(hi, ALIGN_UP(p->p_vaddr + p->p_memsz, 4096ul));
        any_load = true;
        if (ehdr->e_phoff >= p->p_offset && ehdr->e_phoff + n * sizeof(Elf64_Phdr) <= p->p_offset + p->p_filesz)
            img->phdr_vaddr = p->p_vaddr + (ehdr->e_phoff - p->p_offset);
    }
    if (!any_load) FAIL("no loadable segments");
    if (hi - lo > ELF_MAX_IMAGE_SPAN) FAIL("segments span an absurd range");
    if (ehdr->e_entry < lo || ehdr->e_entry >= hi) FAIL("entry point %lx outside the loaded segments", (unsigned long)ehdr->e_entry);
    img->lowest_vaddr = lo;
    img->highest_vaddr = hi;
    return 0;
}
