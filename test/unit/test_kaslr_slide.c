/* The host's side of --gdb's KASLR (cli/kaslr_slide.c): the slide range it
 * reads from a kernel ELF's program headers, and the setting it hands the
 * kernel. Each case is a small ELF written here, so the expected range is
 * plain arithmetic (boot/kaslr/kaslr_boot.c's, which kaslr_host_slide
 * checks from the kernel's side). */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/kaslr/kaslr_layout.h"
#include "cli/kaslr_slide.h"

#include "check.h"

/* An ELF with a boot segment at 1 MiB and, if high_memsz, one linked at
 * KASLR_LINK_BASE + 2 MiB (physical 2 MiB) of that size. */
static void write_kernel(const char *path, uint64_t high_memsz)
{
    Elf64_Ehdr eh = { 0 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_phoff = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = high_memsz ? 2 : 1;
    Elf64_Phdr ph[2] = {
        { .p_type = PT_LOAD, .p_vaddr = 0x100000, .p_paddr = 0x100000, .p_memsz = 0xf000 },
        { .p_type = PT_LOAD, .p_vaddr = KASLR_LINK_BASE + 0x200000, .p_paddr = 0x200000, .p_memsz = high_memsz },
    };
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(&eh, sizeof eh, 1, f) == 1 && fwrite(ph, sizeof ph, 1, f) == 1 && fclose(f) == 0,
          "cannot write %s", path);
}

int main(void)
{
    char path[] = "/tmp/test_kaslr_slide.XXXXXX", why[160], buf[40];
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    close(fd);
    uint64_t max = 0, slide = 1;

    /* The image ends at 2 MiB + 0x12345, rounded up to a page: 0x213000. */
    write_kernel(path, 0x12345);
    CHECK(kaslr_slide_range(path, &max, why, sizeof why) == 0, "range: %s", why);
    CHECK(max == KASLR_VA_LIMIT - KASLR_LINK_BASE - 0x213000, "max slide %#llx", (unsigned long long)max);
    /* Exactly on a page: no rounding. */
    write_kernel(path, 0x13000);
    CHECK(kaslr_slide_range(path, &max, why, sizeof why) == 0 && max == KASLR_VA_LIMIT - KASLR_LINK_BASE - 0x213000,
          "max slide %#llx", (unsigned long long)max);

    /* Under --gdb: "slide=0x..." with a page-aligned slide in range, and
     * different from run to run. */
    uint64_t first = 0;
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        const char *s = kaslr_run_setting(0, 1, path, &slide, buf, sizeof buf);
        unsigned long long parsed = 0;
        CHECK(s && sscanf(s, "slide=0x%llx", &parsed) == 1 && parsed == slide, "setting '%s' for %#llx",
              s ? s : "(null)", (unsigned long long)slide);
        CHECK(slide % KASLR_ALIGN == 0 && slide <= max, "slide %#llx", (unsigned long long)slide);
        if (i == 0) first = slide;
        else differ |= slide != first;
    }
    CHECK(differ, "200 slides, all %#llx", (unsigned long long)first);
    /* --no-kaslr wins, with or without --gdb; a plain run passes nothing. */
    CHECK(strcmp(kaslr_run_setting(1, 1, path, &slide, buf, sizeof buf), "off") == 0 && slide == 0, "--no-kaslr");
    CHECK(kaslr_run_setting(0, 0, path, &slide, buf, sizeof buf) == NULL, "a plain run");

    /* Not a Pith kernel: refused with a reason; --gdb then turns KASLR off. */
    write_kernel(path, 0);
    CHECK(kaslr_slide_range(path, &max, why, sizeof why) != 0 && why[0], "no high segment accepted");
    write_kernel(path, KASLR_VA_LIMIT - KASLR_LINK_BASE);
    CHECK(kaslr_slide_range(path, &max, why, sizeof why) != 0, "an image past KASLR_VA_LIMIT accepted");
    FILE *f = fopen(path, "w");
    fputs("not an ELF", f);
    fclose(f);
    CHECK(kaslr_slide_range(path, &max, why, sizeof why) != 0, "a text file accepted");
    CHECK(strcmp(kaslr_run_setting(0, 1, path, &slide, buf, sizeof buf), "off") == 0 && slide == 0,
          "--gdb with an unreadable kernel");
    unlink(path);
    CHECK(kaslr_slide_range(path, &max, why, sizeof why) != 0, "a missing file accepted");
    return check_report("test_kaslr_slide");
}
