/* The kernel ELF, read from the image's kernel partition through the
 * firmware's Block I/O and placed as the BIOS stage 2 places it
 * (boot/bios/elf_load.c): PT_LOAD segments at p_paddr (1 MiB .. 4 GiB),
 * bss zeroed, entry from the Xen PVH note. Every field is checked against
 * the bytes actually read. */
#include "loader.h"

#define SECTOR 512
#define MBR_TYPE_KERNEL 0xda
#define MBR_TYPE_ESP 0xef
#define KERNEL_MAX_BYTES (64u << 20)
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

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void *pages(uint64_t bytes)
{
    uint64_t addr = 0;
    if (efi_system->boot_services->allocate_pages(EFI_ALLOCATE_ANY_PAGES, EFI_LOADER_DATA,
                                                  (bytes + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE, &addr))
        loader_fail("out of memory reading the kernel", bytes);
    return (void *)addr;
}

struct kernel_part {
    struct efi_block_io *bio;
    uint64_t lba, sectors;
};

/* The whole-disk Block I/O device whose MBR names a kernel and an ESP. */
static bool find_disk(struct kernel_part *out)
{
    static const struct efi_guid block_io = EFI_BLOCK_IO_PROTOCOL_GUID;
    struct efi_boot_services *bs = efi_system->boot_services;
    uint64_t count = 0;
    efi_handle *handles = NULL;
    if (bs->locate_handle_buffer(EFI_BY_PROTOCOL, &block_io, NULL, &count, &handles)) return false;
    uint8_t *sector = pages(EFI_PAGE_SIZE);
    for (uint64_t i = 0; i < count; i++) {
        struct efi_block_io *bio;
        if (bs->handle_protocol(handles[i], &block_io, (void **)&bio)) continue;
        struct efi_block_io_media *m = bio->media;
        if (m->logical_partition || !m->media_present || m->block_size != SECTOR) continue;
        if (bio->read_blocks(bio, m->media_id, 0, SECTOR, sector)) continue;
        if (sector[510] != 0x55 || sector[511] != 0xaa) continue;
        const uint8_t *k = sector + 446;
        bool esp = false;
        for (int e = 0; e < 4; e++) esp |= sector[446 + 16 * e + 4] == MBR_TYPE_ESP;
        if (k[4] != MBR_TYPE_KERNEL || !esp) continue;
        *out = (struct kernel_part){ bio, le32(k + 8), le32(k + 12) };
        if (!out->sectors) loader_fail("the kernel partition is empty", 0);
        if (out->lba + out->sectors > m->last_block + 1) loader_fail("the kernel partition ends past the disk", out->lba);
        bs->free_pool(handles);
        return true;
    }
    bs->free_pool(handles);
    return false;
}

static uint32_t pvh_entry(const uint8_t *notes, uint64_t size)
{
    uint64_t pos = 0;
    while (size - pos >= 12) {
        uint32_t namesz = le32(notes + pos), descsz = le32(notes + pos + 4), type = le32(notes + pos + 8);
        pos += 12;
        uint64_t name_room = (namesz + 3ull) & ~3ull, desc_room = (descsz + 3ull) & ~3ull;
        if (name_room > size - pos) break;
        const uint8_t *name = notes + pos;
        pos += name_room;
        if (descsz > size - pos) break;
        const uint8_t *desc = notes + pos;
        pos = desc_room > size - pos ? size : pos + desc_room;
        if (namesz == 4 && memcmp(name, "Xen", 4) == 0 && type == XEN_ELFNOTE_PHYS32_ENTRY && descsz >= 4)
            return le32(desc);   /* 4- or 8-byte descriptor: the low half */
    }
    return 0;
}

uint32_t kernel_load(void)
{
    struct kernel_part part;
    if (!find_disk(&part)) loader_fail("no disk with a Pith kernel partition (MBR type 0xda) and an ESP", 0);
    if (part.sectors > KERNEL_MAX_BYTES / SECTOR) loader_fail("the kernel partition is too large (sectors)", part.sectors);
    uint64_t len = part.sectors * SECTOR;
    uint8_t *file = pages(len);
    if (part.bio->read_blocks(part.bio, part.bio->media->media_id, part.lba, len, file))
        loader_fail("cannot read the kernel partition at LBA", part.lba);

    const struct elf64_ehdr *eh = (const void *)file;
    if (len < sizeof *eh || memcmp(eh->ident, "\177ELF", 4) != 0)
        loader_fail("the kernel partition does not hold an ELF file", 0);
    if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->machine != EM_X86_64)
        loader_fail("the kernel ELF is not 64-bit little-endian x86-64", 0);
    if (!eh->phnum || eh->phentsize < sizeof(struct elf64_phdr) || eh->phoff > len ||
        (uint64_t)eh->phnum * eh->phentsize > len - eh->phoff)
        loader_fail("the kernel ELF's program headers are missing or truncated", 0);

    /* First pass: check everything and find the span the segments cover. */
    uint64_t lo = UINT64_MAX, hi = 0;
    uint32_t entry = 0;
    for (uint32_t i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *ph = (const void *)(file + eh->phoff + (uint64_t)i * eh->phentsize);
        if (ph->offset > len || ph->filesz > len - ph->offset)
            loader_fail("a kernel ELF segment lies past the partition's end, offset", ph->offset);
        if (ph->type == PT_NOTE && !entry) entry = pvh_entry(file + ph->offset, ph->filesz);
        if (ph->type != PT_LOAD) continue;
        if (ph->filesz > ph->memsz) loader_fail("a kernel ELF segment has p_filesz > p_memsz", ph->paddr);
        if (ph->paddr < 0x100000 || ph->paddr >= 0x100000000ull || ph->memsz > 0x100000000ull - ph->paddr)
            loader_fail("a kernel segment lies outside 1 MiB .. 4 GiB, at", ph->paddr);
        lo = ph->paddr < lo ? ph->paddr : lo;
        hi = ph->paddr + ph->memsz > hi ? ph->paddr + ph->memsz : hi;
    }
    if (!entry) loader_fail("the kernel ELF has no PVH entry note (Xen, type 18)", 0);
    if (hi <= lo) loader_fail("the kernel ELF has no loadable segment", 0);
    lo &= ~(EFI_PAGE_SIZE - 1);
    uint64_t at = lo;
    if (efi_system->boot_services->allocate_pages(EFI_ALLOCATE_ADDRESS, EFI_LOADER_DATA,
                                                  (hi - lo + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE, &at))
        loader_fail("the firmware holds the memory the kernel must be loaded at, from", lo);

    for (uint32_t i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *ph = (const void *)(file + eh->phoff + (uint64_t)i * eh->phentsize);
        if (ph->type != PT_LOAD) continue;
        memcpy((void *)ph->paddr, file + ph->offset, ph->filesz);
        memset((void *)(ph->paddr + ph->filesz), 0, ph->memsz - ph->filesz);
    }
    return entry;
}
