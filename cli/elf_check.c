/* Every field read from the file is bounds-checked against the file size before
 * use, with overflow-safe arithmetic: the input may be anything a user names. */
#include "elf_check.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define USER_SPACE_END 0x0000800000000000ull
#define PAGE_MASK_4K 0xfffull

static int fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

/* true if [off, off+len) lies inside a buffer of `size` bytes */
static int range_inside(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static const char *machine_name(unsigned m)
{
    switch (m) {
    case EM_386: return "i386";
    case EM_ARM: return "32-bit ARM";
    case EM_AARCH64: return "aarch64";
    case EM_RISCV: return "RISC-V";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390";
    case EM_MIPS: return "MIPS";
    default: return NULL;
    }
}

static int check_segments(const uint8_t *data, size_t size, const Elf64_Ehdr *eh,
                          struct elf_check_result *out, char *err, size_t errlen)
{
    int loads = 0, entry_mapped = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, data + eh->e_phoff + (uint64_t)i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_INTERP) {
            if (!range_inside(ph.p_offset, ph.p_filesz, size) || ph.p_filesz == 0 ||
                ph.p_filesz > sizeof out->interp)
                return fail(err, errlen, "PT_INTERP lies outside the file or is too long");
            memcpy(out->interp, data + ph.p_offset, ph.p_filesz);
            out->interp[ph.p_filesz - 1] = '\0';
            continue;
        }
        if (ph.p_type != PT_LOAD)
            continue;
        loads++;
        if (ph.p_filesz > ph.p_memsz) {
            snprintf(err, errlen, "segment %u: file size exceeds memory size", i);
            return -1;
        }
        if (!range_inside(ph.p_offset, ph.p_filesz, size)) {
            snprintf(err, errlen, "segment %u extends beyond the end of the file (truncated ELF?)", i);
            return -1;
        }
        if (ph.p_vaddr >= USER_SPACE_END || ph.p_memsz > USER_SPACE_END - ph.p_vaddr) {
            snprintf(err, errlen, "segment %u: address 0x%llx is outside user space", i,
                     (unsigned long long)ph.p_vaddr);
            return -1;
        }
        /* The loader maps file pages directly, so offset and address must agree
         * within a page. */
        if (((ph.p_vaddr ^ ph.p_offset) & PAGE_MASK_4K) != 0) {
            snprintf(err, errlen, "segment %u: address and file offset differ modulo the page size", i);
            return -1;
        }
        if (eh->e_entry >= ph.p_vaddr && eh->e_entry - ph.p_vaddr < ph.p_memsz)
            entry_mapped = 1;
    }
    if (loads == 0)
        return fail(err, errlen, "no loadable segments");
    if (!entry_mapped) {
        snprintf(err, errlen, "entry point 0x%llx is outside every loadable segment",
                 (unsigned long long)eh->e_entry);
        return -1;
    }
    return 0;
}

int elf_check_bytes(const uint8_t *data, size_t size, struct elf_check_result *out,
                    char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (size == 0)
        return fail(err, errlen, "empty file, not an ELF executable");
    if (size < SELFMAG || memcmp(data, ELFMAG, SELFMAG) != 0) {
        if (size >= 2 && data[0] == '#' && data[1] == '!')
            return fail(err, errlen, "a script, not an ELF executable (run its interpreter as the program)");
        return fail(err, errlen, "not an ELF executable");
    }
    if (size <= EI_CLASS)
        return fail(err, errlen, "truncated ELF header");
    if (data[EI_CLASS] == ELFCLASS32)
        return fail(err, errlen, "32-bit ELF; only x86_64 (64-bit) programs are supported");
    if (data[EI_CLASS] != ELFCLASS64)
        return fail(err, errlen, "unknown ELF class");
    if (size < sizeof(Elf64_Ehdr))
        return fail(err, errlen, "truncated ELF header");

    Elf64_Ehdr eh;
    memcpy(&eh, data, sizeof eh);
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, "big-endian ELF; only x86_64 programs are supported");
    if (eh.e_machine != EM_X86_64) {
        const char *name = machine_name(eh.e_machine);
        if (name)
            snprintf(err, errlen, "ELF for %s, not x86_64", name);
        else
            snprintf(err, errlen, "ELF for machine %u, not x86_64", eh.e_machine);
        return -1;
    }
    if (eh.e_type == ET_REL)
        return fail(err, errlen, "object file, not a linked executable");
    if (eh.e_type == ET_CORE)
        return fail(err, errlen, "core dump, not an executable");
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
        return fail(err, errlen, "unknown ELF type");
    if (eh.e_phnum == 0)
        return fail(err, errlen, "no program headers");
    if (eh.e_phnum == PN_XNUM)
        return fail(err, errlen, "too many program headers");
    if (eh.e_phentsize != sizeof(Elf64_Phdr))
        return fail(err, errlen, "unexpected program header size");
    if (!range_inside(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), size))
        return fail(err, errlen, "program headers extend beyond the end of the file (truncated ELF?)");

    out->is_pie = eh.e_type == ET_DYN;
    out->entry = eh.e_entry;
    if (check_segments(data, size, &eh, out, err, errlen) != 0)
        return -1;
    return elf_check_loader(data, size, err, errlen);
}

int elf_check_file(const char *path, struct elf_check_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fail(err, errlen, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "is a directory");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "not a regular file");
    }
    if (st.st_size == 0) {
        close(fd);
        return fail(err, errlen, "empty file, not an ELF executable");
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return fail(err, errlen, strerror(e));
    int rc = elf_check_bytes(map, (size_t)st.st_size, out, err, errlen);
    munmap(map, (size_t)st.st_size);
    return rc;
}
