/* The arithmetic mirrors loader/load.c: a PIE's lowest segment goes to
 * pie_base; the interpreter goes to the highest free gap below mmap_top,
 * which at that point is right under mmap_top (layout_interp_base). */
#define _GNU_SOURCE
#include "gdb_hint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../loader/elf.h"
#include "../loader/layout.h"
#include "elf_check.h"

/* Where the kernel's .boot section is linked and runs (kernel/kernel.ld):
 * identity-mapped, never slid. */
#define GDB_KERNEL_BOOT_SEGMENT 0x100000ull

uint64_t gdb_random_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s)
        s = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
    return s ? s : 1;
}

static int read_image(const char *path, struct elf_image *img)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    unsigned char hdr[64];
    static unsigned char phdrs[ELF_MAX_PHNUM * sizeof(Elf64_Phdr)];
    char why[128];
    int rc = -1;
    if (fstat(fd, &st) == 0 && pread(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr &&
        elf_check_header(hdr, sizeof hdr, (uint64_t)st.st_size, &img->ehdr, why, sizeof why) == 0) {
        size_t len = (size_t)img->ehdr.e_phnum * sizeof(Elf64_Phdr);
        if (len <= sizeof phdrs && pread(fd, phdrs, len, (off_t)img->ehdr.e_phoff) == (ssize_t)len &&
            elf_check_phdrs(&img->ehdr, phdrs, len, (uint64_t)st.st_size, img, why, sizeof why) == 0)
            rc = 0;
    }
    close(fd);
    return rc;
}

int gdb_load_offset(const char *path, int interp, uint64_t seed, uint64_t *offset)
{
    static struct elf_image img;
    if (read_image(path, &img) != 0)
        return -1;
    struct layout l;
    layout_from_seed(seed, &l);
    if (interp)
        *offset = layout_interp_base(&l, img.highest_vaddr - img.lowest_vaddr, img.lowest_vaddr);
    else
        *offset = img.ehdr.e_type == ET_DYN ? l.pie_base - img.lowest_vaddr : 0;
    return 0;
}

/* Single-quoted for the shell, and double-quoted inside for gdb's own parser
 * when the path holds a space. */
static void put_path_arg(FILE *out, const char *cmd, const char *path, const char *suffix)
{
    fprintf(out, " -ex '%s ", cmd);
    int quote = strpbrk(path, " \t") != NULL;
    if (quote)
        fputc('"', out);
    for (const char *p = path; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", out);
        else
            fputc(*p, out);
    }
    if (quote)
        fputc('"', out);
    fprintf(out, "%s'", suffix);
}

static void add_symbols(FILE *out, const char *path, int interp, uint64_t seed)
{
    char real[PATH_MAX], off[40];
    uint64_t o;
    if (!realpath(path, real) || gdb_load_offset(real, interp, seed, &o) != 0)
        return;
    snprintf(off, sizeof off, " -o 0x%llx", (unsigned long long)o);
    put_path_arg(out, "add-symbol-file", real, off);
}

/* The kernel's symbols at the slide. add-symbol-file, not symbol-file -o:
 * the boot segment (.boot, the code before KASLR) stays at its physical
 * address, which -s keeps while -o moves every other section. */
static void add_kernel_symbols(FILE *out, const char *kernel_path, int kaslr_on, uint64_t slide)
{
    char off[64];
    if (!kaslr_on) {
        put_path_arg(out, "symbol-file", kernel_path, "");
        return;
    }
    snprintf(off, sizeof off, " -o 0x%llx -s .boot 0x%llx", (unsigned long long)slide,
             (unsigned long long)GDB_KERNEL_BOOT_SEGMENT);
    put_path_arg(out, "add-symbol-file", kernel_path, off);
}

static void compose_hint(FILE *out, int port, const char *kernel_path, int kaslr_on, uint64_t kernel_slide,
                         const char *program, const char *sysroot, uint64_t seed)
{
    if (kaslr_on)
        fprintf(out, "pith: KASLR is on: the kernel runs 0x%llx above its link address (the offset below; "
                     "--no-kaslr keeps it at its link address)\n", (unsigned long long)kernel_slide);
    else
        fprintf(out, "pith: KASLR is off: the kernel runs at its link address\n");
    fprintf(out, "pith: QEMU waits for gdb on port %d; attach with:\n", port);
    fprintf(out, "gdb -q -ex 'set confirm off'");
    add_kernel_symbols(out, kernel_path, kaslr_on, kernel_slide);
    if (program && seed) {
        add_symbols(out, program, 0, seed);
        struct elf_check_result info;
        char why[128], interp[PATH_MAX + 256];
        if (elf_check_file(program, &info, why, sizeof why) == 0 && info.interp[0]) {
            snprintf(interp, sizeof interp, "%s%s", sysroot && *sysroot ? sysroot : "", info.interp);
            add_symbols(out, interp, 1, seed);
        }
    }
    fprintf(out, " -ex 'target remote localhost:%d'\n", port);
}

void gdb_hint_print(FILE *out, int port, const char *kernel_path, int kaslr_on, uint64_t kernel_slide,
                    const char *program, const char *sysroot, uint64_t seed)
{
    /* One write: stderr is unbuffered, and a reader (a script, the tests)
     * must never see half a command line. */
    char *text = NULL;
    size_t len = 0;
    FILE *buf = open_memstream(&text, &len);
    if (buf) compose_hint(buf, port, kernel_path, kaslr_on, kernel_slide, program, sysroot, seed);
    if (buf && fclose(buf) == 0)
        fwrite(text, 1, len, out);
    else
        compose_hint(out, port, kernel_path, kaslr_on, kernel_slide, program, sysroot, seed);
    free(text);
    fflush(out);
}
