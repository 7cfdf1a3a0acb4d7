/* cli/elf_check.c against hand-made ELF headers: one good image, then one
 * defect at a time; every defect must be refused with a reason. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "cli/elf_check.h"

static int failures;

#define FILE_SIZE 0x3000

struct image {
    unsigned char bytes[FILE_SIZE];
    size_t size;
};

/* A minimal static x86_64 executable: header, 2 program headers, one PT_LOAD
 * covering the whole file at 0x400000. */
static void make_good(struct image *im)
{
    memset(im, 0, sizeof *im);
    im->size = FILE_SIZE;
    Elf64_Ehdr eh = {
        .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
        .e_entry = 0x401000, .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2,
    };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    Elf64_Phdr load = { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0, .p_vaddr = 0x400000,
                        .p_paddr = 0x400000, .p_filesz = FILE_SIZE, .p_memsz = FILE_SIZE + 0x1000,
                        .p_align = 0x1000 };
    Elf64_Phdr stack = { .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W };
    memcpy(im->bytes, &eh, sizeof eh);
    memcpy(im->bytes + eh.e_phoff, &load, sizeof load);
    memcpy(im->bytes + eh.e_phoff + sizeof load, &stack, sizeof stack);
}

static Elf64_Ehdr *ehdr(struct image *im) { return (Elf64_Ehdr *)im->bytes; }
static Elf64_Phdr *phdr(struct image *im, int i) { return (Elf64_Phdr *)(im->bytes + sizeof(Elf64_Ehdr)) + i; }

static void expect(const char *what, struct image *im, int want_ok, const char *want_reason)
{
    struct elf_check_result r;
    char err[256] = "";
    int rc = elf_check_bytes(im->bytes, im->size, &r, err, sizeof err);
    if (want_ok && rc != 0) {
        printf("FAIL %s: refused: %s\n", what, err);
        failures++;
    } else if (!want_ok && rc == 0) {
        printf("FAIL %s: accepted\n", what);
        failures++;
    } else if (!want_ok && want_reason && !strstr(err, want_reason)) {
        printf("FAIL %s: reason '%s' lacks '%s'\n", what, err, want_reason);
        failures++;
    }
}

int main(void)
{
    struct image im;

    make_good(&im);
    expect("good", &im, 1, NULL);

    make_good(&im); im.size = 0;
    expect("empty", &im, 0, "empty");
    make_good(&im); memcpy(im.bytes, "hello world\n", 12);
    expect("text", &im, 0, "not an ELF");
    make_good(&im); memcpy(im.bytes, "#!/bin/sh\n", 10);
    expect("script", &im, 0, "script");
    make_good(&im); im.size = 5;
    expect("5 bytes", &im, 0, "truncated");
    make_good(&im); im.size = 40;
    expect("header cut", &im, 0, "truncated ELF header");
    make_good(&im); im.bytes[EI_CLASS] = ELFCLASS32;
    expect("32-bit", &im, 0, "32-bit");
    make_good(&im); im.bytes[EI_DATA] = ELFDATA2MSB;
    expect("big-endian", &im, 0, "big-endian");
    make_good(&im); ehdr(&im)->e_machine = EM_AARCH64;
    expect("aarch64", &im, 0, "aarch64");
    make_good(&im); ehdr(&im)->e_machine = 0x1234;
    expect("unknown machine", &im, 0, "not x86_64");
    make_good(&im); ehdr(&im)->e_type = ET_REL;
    expect("relocatable", &im, 0, "object file");
    make_good(&im); ehdr(&im)->e_type = ET_DYN;
    expect("static-pie", &im, 1, NULL);
    make_good(&im); ehdr(&im)->e_phnum = 0;
    expect("no phdrs", &im, 0, "no program headers");
    make_good(&im); ehdr(&im)->e_phentsize = 32;
    expect("phentsize", &im, 0, "program header size");
    make_good(&im); im.size = 100;
    expect("phdrs cut", &im, 0, "program headers extend");
    make_good(&im); ehdr(&im)->e_phoff = 0xfffffffffffffff0ull;
    expect("phoff overflow", &im, 0, "program headers extend");
    make_good(&im); ehdr(&im)->e_phnum = 0xfffe;
    expect("phnum huge", &im, 0, "program headers extend");
    make_good(&im); im.size = 0x2000;
    expect("load cut", &im, 0, "beyond the end");
    make_good(&im); phdr(&im, 0)->p_offset = 0xfffffffffffff000ull;
    expect("load offset overflow", &im, 0, "beyond the end");
    make_good(&im); phdr(&im, 0)->p_memsz = 0x10;
    expect("filesz > memsz", &im, 0, "exceeds memory size");
    make_good(&im); phdr(&im, 0)->p_vaddr = 0xffffffff80000000ull;
    expect("kernel address", &im, 0, "outside user space");
    make_good(&im); phdr(&im, 0)->p_vaddr = 0x7ffffffff000ull; phdr(&im, 0)->p_memsz = 0x10000;
    expect("crosses user end", &im, 0, "outside user space");
    make_good(&im); phdr(&im, 0)->p_vaddr = 0x400010;
    expect("misaligned", &im, 0, "page size");
    make_good(&im); ehdr(&im)->e_entry = 0x900000;
    expect("entry outside", &im, 0, "entry point");
    make_good(&im); phdr(&im, 0)->p_type = PT_NOTE;
    expect("no PT_LOAD", &im, 0, "no loadable");
    make_good(&im);
    *phdr(&im, 1) = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 0x1000, .p_filesz = 28 };
    memcpy(im.bytes + 0x1000, "/lib64/ld-linux-x86-64.so.2", 28);
    {
        struct elf_check_result r;
        char err[256];
        if (elf_check_bytes(im.bytes, im.size, &r, err, sizeof err) != 0 ||
            strcmp(r.interp, "/lib64/ld-linux-x86-64.so.2") != 0) {
            printf("FAIL interp: not reported\n");
            failures++;
        }
    }
    make_good(&im);
    *phdr(&im, 1) = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 0x2ff0, .p_filesz = 0x100 };
    expect("interp beyond file", &im, 0, "PT_INTERP");

    /* elf_check_file's own cases */
    struct elf_check_result r;
    char err[256];
    if (elf_check_file("/nonexistent/pith-test", &r, err, sizeof err) == 0 || !strstr(err, "No such file")) {
        printf("FAIL missing file: '%s'\n", err);
        failures++;
    }
    if (elf_check_file("/", &r, err, sizeof err) == 0 || !strstr(err, "directory")) {
        printf("FAIL directory: '%s'\n", err);
        failures++;
    }
    return failures != 0;
}
