/* cli/kaslr_slide.h. The range comes from the kernel ELF's program headers:
 * the image linked at KASLR_LINK_BASE ends at its last PT_LOAD's physical
 * end rounded up to a page, which is _kernel_end (kernel/kernel.ld), the
 * image_end that boot/pvh/entry.S hands kaslr_boot. */
#include "kaslr_slide.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../boot/kaslr/kaslr_layout.h"

int kaslr_slide_range(const char *kernel_elf, uint64_t *max_slide, char *why, size_t whylen)
{
    int fd = open(kernel_elf, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    Elf64_Ehdr eh;
    uint64_t image_end = 0;
    int ok = pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
             eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr);
    for (unsigned i = 0; ok && i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        ok = pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) == (ssize_t)sizeof ph;
        if (ok && ph.p_type == PT_LOAD && ph.p_vaddr >= KASLR_LINK_BASE && ph.p_paddr + ph.p_memsz > image_end)
            image_end = ph.p_paddr + ph.p_memsz;
    }
    close(fd);
    image_end = (image_end + KASLR_ALIGN - 1) & ~(KASLR_ALIGN - 1);
    if (!ok || image_end == 0 || image_end > KASLR_VA_LIMIT - KASLR_LINK_BASE) {
        snprintf(why, whylen, "not a Pith kernel (no image at the kernel's link address)");
        return -1;
    }
    /* kaslr_boot: slots = room / KASLR_ALIGN + 1, slide = slot * KASLR_ALIGN. */
    uint64_t room = KASLR_VA_LIMIT - KASLR_LINK_BASE - image_end;
    *max_slide = room / KASLR_ALIGN * KASLR_ALIGN;
    return 0;
}

/* Uniform in [0, n) (no modulo bias: the kernel's % on 64 random bits has
 * next to none either). */
static int random_below(uint64_t n, uint64_t *out)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;
    do {
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
            return -1;
    } while (r >= limit);
    *out = r % n;
    return 0;
}

const char *kaslr_run_setting(int no_kaslr, int gdb, const char *kernel_elf, uint64_t *slide, char *buf, size_t len)
{
    *slide = 0;
    if (no_kaslr)
        return "off";
    if (!gdb)
        return NULL;
    char why[160];
    uint64_t max_slide, slot;
    if (kaslr_slide_range(kernel_elf, &max_slide, why, sizeof why) != 0) {
        fprintf(stderr, "pith: %s: %s; KASLR is off for gdb\n", kernel_elf, why);
        return "off";
    }
    if (random_below(max_slide / KASLR_ALIGN + 1, &slot) != 0) {
        fprintf(stderr, "pith: getrandom: %s; KASLR is off for gdb\n", strerror(errno));
        return "off";
    }
    *slide = slot * KASLR_ALIGN;
    snprintf(buf, len, "slide=0x%llx", (unsigned long long)*slide);
    return buf;
}
