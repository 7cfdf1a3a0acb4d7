/* Build tool: the KASLR relocation table of a kernel linked with
 * --emit-relocs. Reads every relocation the linker applied to a loaded
 * section and writes (as assembly, section .kreloc) the image offsets of the
 * fields that hold a kernel address and so must move with the slide:
 * R_X86_64_64, R_X86_64_32S and R_X86_64_32 whose symbol is in the
 * kernel's top 2 GiB, whatever the addend: the compiler folds expressions
 * such as `_kernel_end - 0xffffffff80000000` (virt_to_phys) into one field
 * whose linked value is low but which must still move with the symbol. The
 * one exception: 32-bit fields in the boot segment, where boot/pvh/entry.S
 * takes physical addresses (`sym - KERNEL_VMA`) before there is a slide.
 * PC-relative fields need nothing as long as both ends move together; one
 * between the fixed boot segment and the moving kernel is an error, and so
 * is an absolute symbol in the kernel's range (it would not move) and any
 * relocation type not named here: better a failed build than a kernel that
 * breaks at some slides only.
 *
 * Usage: kreloc KERNEL.elf OUT.S */
#include <elf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../boot/kaslr/kaslr_layout.h"

static unsigned char *image;
static size_t image_len;

__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kreloc: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static int in_kernel(uint64_t va) { return va >= KASLR_LINK_BASE; }
static uint64_t offset_of(uint64_t va) { return in_kernel(va) ? va - KASLR_LINK_BASE : va; }

static const void *at(uint64_t off, uint64_t len)
{
    if (off > image_len || len > image_len - off) fail("offset 0x%llx (+%llu) outside the file", (unsigned long long)off, (unsigned long long)len);
    return image + off;
}

struct list {
    uint32_t *v;
    size_t n, cap;
};

static void add(struct list *l, uint64_t phys)
{
    if (phys >= 1ull << 32) fail("field at 0x%llx is above 4 GiB", (unsigned long long)phys);
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) fail("out of memory");
    }
    l->v[l->n++] = (uint32_t)phys;
}

static int by_value(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void write_list(FILE *out, const struct list *l)
{
    qsort(l->v, l->n, sizeof *l->v, by_value);
    for (size_t i = 0; i < l->n; i++) fprintf(out, "\t.long 0x%x\n", l->v[i]);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: kreloc KERNEL.elf OUT.S\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) fail("cannot open the kernel");
    fseek(f, 0, SEEK_END);
    image_len = (size_t)ftell(f);
    rewind(f);
    image = malloc(image_len);
    if (!image || fread(image, 1, image_len, f) != image_len) fail("cannot read the kernel");
    fclose(f);

    const Elf64_Ehdr *eh = at(0, sizeof *eh);
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
        fail("not an x86-64 ELF64 file");
    const Elf64_Shdr *sh = at(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof *sh);

    /* The boot page tables map the image with KASLR_BOOT_PTS page tables;
     * the worst slide puts its start just below a 2 MiB boundary. */
    uint64_t image_start = UINT64_MAX, image_end = 0;
    const Elf64_Phdr *ph = at(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof *ph);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || !in_kernel(ph[i].p_vaddr)) continue;
        if (ph[i].p_paddr < image_start) image_start = ph[i].p_paddr;
        if (ph[i].p_paddr + ph[i].p_memsz > image_end) image_end = ph[i].p_paddr + ph[i].p_memsz;
    }
    if (image_end - image_start + (2ull << 20) > (uint64_t)KASLR_BOOT_PTS * (2ull << 20))
        fail("the kernel image (0x%llx bytes) outgrows the boot page tables; raise KASLR_BOOT_PTS",
             (unsigned long long)(image_end - image_start));

    struct list l64 = { 0 }, l32 = { 0 };
    for (int s = 0; s < eh->e_shnum; s++) {
        if ((sh[s].sh_flags & SHF_ALLOC) && in_kernel(sh[s].sh_addr) && sh[s].sh_addralign > KASLR_ALIGN)
            fail("section %d asks for %llu-byte alignment; the slide keeps only 4096", s, (unsigned long long)sh[s].sh_addralign);
        if (sh[s].sh_type == SHT_REL) fail("section %d: REL relocations (want RELA)", s);
        if (sh[s].sh_type != SHT_RELA || sh[s].sh_info >= eh->e_shnum) continue;
        const Elf64_Shdr *target = &sh[sh[s].sh_info];
        if (!(target->sh_flags & SHF_ALLOC)) continue; /* debug info: not loaded */
        if (target->sh_type == SHT_NOBITS) fail("relocations against a bss section %u", sh[s].sh_info);
        const Elf64_Rela *r = at(sh[s].sh_offset, sh[s].sh_size);
        if (sh[s].sh_link >= eh->e_shnum) fail("section %d has no symbol table", s);
        const Elf64_Shdr *symtab = &sh[sh[s].sh_link];
        const Elf64_Sym *syms = at(symtab->sh_offset, symtab->sh_size);
        size_t nsyms = symtab->sh_size / sizeof *syms;
        for (size_t i = 0; i < sh[s].sh_size / sizeof *r; i++) {
            uint64_t p = r[i].r_offset;
            if (p < target->sh_addr || p - target->sh_addr > target->sh_size)
                fail("relocation at 0x%llx outside its section %u", (unsigned long long)p, sh[s].sh_info);
            uint64_t foff = target->sh_offset + (p - target->sh_addr);
            uint32_t type = ELF64_R_TYPE(r[i].r_info), symi = ELF64_R_SYM(r[i].r_info);
            if (symi >= nsyms) fail("relocation at 0x%llx names symbol %u of %zu", (unsigned long long)p, symi, nsyms);
            const Elf64_Sym *sym = &syms[symi];
            int moves = in_kernel(sym->st_value);
            if (moves && sym->st_shndx == SHN_ABS)
                fail("relocation at 0x%llx uses an absolute symbol in the kernel's range", (unsigned long long)p);
            switch (type) {
            case R_X86_64_NONE:
                break;
            case R_X86_64_64:
                if (moves) add(&l64, offset_of(p));
                break;
            case R_X86_64_32S:
            case R_X86_64_32:
                /* Both get the slide's low half added: the field is
                 * S + A and S moves (see above). */
                if (moves && (type == R_X86_64_32S || in_kernel(p))) add(&l32, offset_of(p));
                break;
            case R_X86_64_PC32:
            case R_X86_64_PLT32: {
                int32_t v;
                memcpy(&v, at(foff, 4), 4);
                if (in_kernel(p) != in_kernel(p + (uint64_t)(int64_t)v))
                    fail("PC-relative reference at 0x%llx crosses between the boot segment and the kernel (to 0x%llx)",
                         (unsigned long long)p, (unsigned long long)(p + (uint64_t)(int64_t)v));
                break;
            }
            case R_X86_64_PC64: {
                uint64_t v;
                memcpy(&v, at(foff, 8), 8);
                if (in_kernel(p) != in_kernel(p + v))
                    fail("PC-relative reference at 0x%llx crosses between the boot segment and the kernel (to 0x%llx)",
                         (unsigned long long)p, (unsigned long long)(p + v));
                break;
            }
            default:
                fail("relocation type %u at 0x%llx: the KASLR table does not know how to move it", type,
                     (unsigned long long)p);
            }
        }
    }

    FILE *out = fopen(argv[2], "w");
    if (!out) fail("cannot write the table");
    fprintf(out, "/* Made by mk/kreloc.c: %zu 64-bit and %zu 32-bit fields. */\n", l64.n, l32.n);
    fprintf(out, "\t.section .kreloc, \"a\"\n\t.balign 4\n\t.globl kreloc_table\nkreloc_table:\n");
    fprintf(out, "\t.long 0x%x, %zu, %zu, 0\n", KRELOC_MAGIC, l64.n, l32.n);
    write_list(out, &l64);
    write_list(out, &l32);
    if (fclose(out) != 0) fail("cannot write the table");
    return 0;
}
