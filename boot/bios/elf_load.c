/* Just enough ELF64 for the kernel: the file header, program headers,
 * PT_LOAD segments by physical address, and the PT_NOTE holding the Xen
 * PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) — the same note QEMU -kernel
 * uses, so both boot paths enter the kernel at the same place. */
#include "elf_load.h"
#include "layout.h"

#define PT_LOAD 1
#define PT_NOTE 4
#define EM_X86_64 62
#define XEN_ELFNOTE_PHYS32_ENTRY 18

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf_note_hdr {
    uint32_t namesz, descsz, type;
};

#define ALIGN4(x) (((x) + 3u) & ~3u)

/* Scan one PT_NOTE segment; returns the PVH entry or 0 if absent. */
static uint32_t find_pvh_entry(const struct disk_extent *part, const struct elf64_phdr *ph)
{
    if (ph->filesz > ELF_NOTES_MAX)
        fatal("kernel ELF note segment too large");
    uint32_t size = (uint32_t)ph->filesz;
    disk_read_bytes(part, ph->offset, size, ELF_NOTES_ADDR, "kernel ELF truncated (notes)");
    const uint8_t *notes = (const uint8_t *)ELF_NOTES_ADDR;
    uint32_t pos = 0;
    while (size - pos >= sizeof(struct elf_note_hdr)) {
        const struct elf_note_hdr *n = (const void *)(notes + pos);
        pos += sizeof *n;
        if (n->namesz > size - pos || ALIGN4(n->namesz) > size - pos)
            break;
        const uint8_t *name = notes + pos;
        pos += ALIGN4(n->namesz);
        if (n->descsz > size - pos)
            break;
        const uint8_t *desc = notes + pos;
        pos = ALIGN4(n->descsz) > size - pos ? size : pos + ALIGN4(n->descsz);
        if (n->namesz == 4 && memcmp(name, "Xen", 4) == 0 &&
            n->type == XEN_ELFNOTE_PHYS32_ENTRY && n->descsz >= 4) {
            uint32_t entry;
            memcpy(&entry, desc, 4);   /* 4- or 8-byte descriptor: low half */
            return entry;
        }
    }
    return 0;
}

static void check_load_segment(const struct elf64_phdr *ph,
                               const struct pvh_memmap_entry *map, uint32_t map_n)
{
    if (ph->filesz > ph->memsz)
        fatal("kernel ELF segment has p_filesz > p_memsz");
    if (ph->paddr < KERNEL_MIN_PADDR)
        fatal_code("kernel segment below 1 MiB at", (uint32_t)ph->paddr);
    if (ph->paddr >= 0x100000000ull || ph->memsz > 0x100000000ull - ph->paddr)
        fatal("kernel segment above 4 GiB");
    if (!memmap_is_ram(map, map_n, ph->paddr, ph->paddr + ph->memsz))
        fatal_code("kernel segment does not fit in RAM at", (uint32_t)ph->paddr);
}

uint32_t elf_load_kernel(const struct disk_extent *part,
                         const struct pvh_memmap_entry *map, uint32_t map_n)
{
    struct elf64_ehdr eh;
    disk_read_bytes(part, 0, sizeof eh, (uint32_t)(uintptr_t)&eh,
                    "kernel partition too small for an ELF header");
    if (memcmp(eh.ident, "\177ELF", 4) != 0)
        fatal("kernel partition does not hold an ELF file (bad magic)");
    if (eh.ident[4] != 2 || eh.ident[5] != 1 || eh.machine != EM_X86_64)
        fatal("kernel ELF is not 64-bit little-endian x86-64");
    if (eh.phnum == 0 || eh.phentsize < sizeof(struct elf64_phdr))
        fatal("kernel ELF has no program headers");
    uint32_t ph_bytes = (uint32_t)eh.phnum * eh.phentsize;
    if (ph_bytes > ELF_HEADERS_MAX)
        fatal("kernel ELF has too many program headers");
    disk_read_bytes(part, eh.phoff, ph_bytes, ELF_HEADERS_ADDR,
                    "kernel ELF truncated (program headers)");

    /* First pass: validate everything before the slow part. */
    uint32_t entry = 0;
    const uint8_t *phdrs = (const uint8_t *)ELF_HEADERS_ADDR;
    for (uint32_t i = 0; i < eh.phnum; i++) {
        const struct elf64_phdr *ph = (const void *)(phdrs + i * eh.phentsize);
        if (ph->type == PT_LOAD)
            check_load_segment(ph, map, map_n);
        else if (ph->type == PT_NOTE && entry == 0)
            entry = find_pvh_entry(part, ph);
    }
    if (entry == 0)
        fatal("kernel ELF has no PVH entry note (Xen, type 18)");

    for (uint32_t i = 0; i < eh.phnum; i++) {
        const struct elf64_phdr *ph = (const void *)(phdrs + i * eh.phentsize);
        if (ph->type != PT_LOAD)
            continue;
        uint32_t dest = (uint32_t)ph->paddr;
        disk_read_bytes(part, ph->offset, (uint32_t)ph->filesz, dest,
                        "kernel ELF truncated (segment past the partition's end)");
        memset((void *)(uintptr_t)(dest + (uint32_t)ph->filesz), 0,
               (uint32_t)(ph->memsz - ph->filesz));
    }
    return entry;
}
