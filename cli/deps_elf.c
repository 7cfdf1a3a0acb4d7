#include "deps_elf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../loader/elf.h"

#define DT_NULL 0
#define DT_NEEDED 1
#define DT_STRTAB 5
#define DT_STRSZ 10
#define DT_SONAME 14
#define DT_RPATH 15
#define DT_RUNPATH 29

/* Real dynamic sections have a few dozen entries; this bounds the read. */
#define DYN_MAX_BYTES (64u * 1024)
#define DYN_MAX_NEEDED 1024
#define DYN_STR_MAX 4096

struct elf_file {
    int fd;
    uint64_t size;
    struct elf_image img;
};

static int read_at(const struct elf_file *f, void *buf, size_t len, uint64_t off)
{
    if (off > f->size || len > f->size - off) return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(f->fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

/* The file offset holding virtual address `va`, through the PT_LOAD that covers it. */
static int vaddr_to_offset(const struct elf_image *img, uint64_t va, uint64_t *off, uint64_t *room)
{
    for (unsigned i = 0; i < img->ehdr.e_phnum; i++) {
        const Elf64_Phdr *p = &img->phdrs[i];
        if (p->p_type != PT_LOAD || va < p->p_vaddr || va - p->p_vaddr >= p->p_filesz) continue;
        *off = p->p_offset + (va - p->p_vaddr);
        *room = p->p_filesz - (va - p->p_vaddr);
        return 0;
    }
    return -1;
}

/* A NUL-terminated string of at most DYN_STR_MAX bytes starting at `off`,
 * which must end before `limit`. */
static char *read_string(const struct elf_file *f, uint64_t off, uint64_t limit)
{
    if (off >= limit) return NULL;
    size_t len = (size_t)MIN((uint64_t)DYN_STR_MAX, limit - off);
    char *s = malloc(len + 1);
    if (!s) return NULL;
    if (read_at(f, s, len, off) != 0 || !memchr(s, 0, len)) {
        free(s);
        return NULL;
    }
    return s;
}

#define FAIL(code, ...) do { snprintf(err, errlen, __VA_ARGS__); rc = (code); goto out; } while (0)

static int read_dynamic(struct elf_file *f, const Elf64_Phdr *dynph, struct dyn_info *out, char *err, size_t errlen)
{
    int rc = 0;
    uint64_t (*dyn)[2] = NULL;
    if (dynph->p_filesz > DYN_MAX_BYTES || dynph->p_filesz % 16)
        FAIL(DYN_MALFORMED, "bad PT_DYNAMIC size %llu", (unsigned long long)dynph->p_filesz);
    size_t count = (size_t)(dynph->p_filesz / 16);
    dyn = malloc(count ? count * 16 : 16);
    if (!dyn) FAIL(DYN_MALFORMED, "out of memory");
    if (read_at(f, dyn, count * 16, dynph->p_offset) != 0)
        FAIL(DYN_MALFORMED, "dynamic section outside the file (truncated?)");

    uint64_t strtab = 0, strsz = 0;
    bool have_strtab = false;
    size_t nneeded = 0;
    for (size_t i = 0; i < count && dyn[i][0] != DT_NULL; i++) {
        if (dyn[i][0] == DT_STRTAB) { strtab = dyn[i][1]; have_strtab = true; }
        if (dyn[i][0] == DT_STRSZ) strsz = dyn[i][1];
        if (dyn[i][0] == DT_NEEDED) nneeded++;
    }
    if (nneeded > DYN_MAX_NEEDED) FAIL(DYN_MALFORMED, "too many DT_NEEDED entries (%zu)", nneeded);
    bool any_string = false;
    for (size_t i = 0; i < count && dyn[i][0] != DT_NULL; i++) {
        uint64_t t = dyn[i][0];
        any_string |= t == DT_NEEDED || t == DT_SONAME || t == DT_RPATH || t == DT_RUNPATH;
    }
    if (!any_string) goto out;
    uint64_t stroff, room;
    if (!have_strtab || vaddr_to_offset(&f->img, strtab, &stroff, &room) != 0)
        FAIL(DYN_MALFORMED, "DT_STRTAB missing or outside every loadable segment");
    /* DT_STRSZ bounds the table; without it, the segment does. */
    uint64_t limit = stroff + (strsz && strsz < room ? strsz : room);

    out->needed = calloc(nneeded ? nneeded : 1, sizeof(char *));
    if (!out->needed) FAIL(DYN_MALFORMED, "out of memory");
    for (size_t i = 0; i < count && dyn[i][0] != DT_NULL; i++) {
        uint64_t t = dyn[i][0], v = dyn[i][1];
        char **slot;
        const char *what;
        switch (t) {
        case DT_NEEDED: slot = &out->needed[out->nneeded]; what = "DT_NEEDED"; break;
        case DT_SONAME: slot = &out->soname; what = "DT_SONAME"; break;
        case DT_RPATH: slot = &out->rpath; what = "DT_RPATH"; break;
        case DT_RUNPATH: slot = &out->runpath; what = "DT_RUNPATH"; break;
        default: continue;
        }
        if (v >= limit - stroff) FAIL(DYN_MALFORMED, "%s string outside the string table", what);
        char *s = read_string(f, stroff + v, limit);
        if (!s) FAIL(DYN_MALFORMED, "%s string unterminated or unreadable", what);
        if (t == DT_NEEDED && !s[0]) {
            free(s);
            FAIL(DYN_MALFORMED, "empty DT_NEEDED name");
        }
        free(*slot);    /* a repeated DT_SONAME/DT_RPATH: the last one wins */
        *slot = s;
        if (t == DT_NEEDED) out->nneeded++;
    }
out:
    free(dyn);
    return rc;
}

int dyn_read(const char *path, bool is_library, struct dyn_info *out, char *err, size_t errlen)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    struct elf_file f = { .fd = open(path, O_RDONLY | O_CLOEXEC) };
    if (f.fd < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return DYN_UNREADABLE;
    }
    struct stat st;
    if (fstat(f.fd, &st) != 0) FAIL(DYN_UNREADABLE, "%s", strerror(errno));
    if (!S_ISREG(st.st_mode)) FAIL(DYN_MALFORMED, "not a regular file");
    f.size = (uint64_t)st.st_size;

    unsigned char hdr[sizeof(Elf64_Ehdr)] = { 0 };
    size_t hlen = (size_t)MIN(f.size, (uint64_t)sizeof hdr);
    if (read_at(&f, hdr, hlen, 0) != 0) FAIL(DYN_UNREADABLE, "read error");
    /* Another architecture is not malformed: the loader passes over it. */
    if (hlen >= 20 && memcmp(hdr, "\177ELF", 4) == 0) {
        uint16_t machine = (uint16_t)(hdr[18] | hdr[19] << 8);
        if (hdr[4] == 1) FAIL(DYN_WRONG_ARCH, "32-bit ELF, not x86_64");
        if (hdr[4] == 2 && hdr[5] == 1 && machine != EM_X86_64)
            FAIL(DYN_WRONG_ARCH, "built for %s, not x86_64", elf_machine_name(machine));
    }
    Elf64_Ehdr eh;
    if (elf_check_header(hdr, hlen, f.size, &eh, err, errlen) != 0) { rc = DYN_MALFORMED; goto out; }
    if (is_library && eh.e_type != ET_DYN) FAIL(DYN_MALFORMED, "not a shared library (ELF type %u)", eh.e_type);
    Elf64_Phdr ph[ELF_MAX_PHNUM];
    if (read_at(&f, ph, eh.e_phnum * sizeof(Elf64_Phdr), eh.e_phoff) != 0)
        FAIL(DYN_MALFORMED, "program headers unreadable");
    /* Libraries rarely have a meaningful entry point; aim it at the first
     * segment so the shared check judges only what matters here. */
    if (is_library)
        for (unsigned i = 0; i < eh.e_phnum; i++)
            if (ph[i].p_type == PT_LOAD) { eh.e_entry = ph[i].p_vaddr; break; }
    if (elf_check_phdrs(&eh, ph, eh.e_phnum * sizeof(Elf64_Phdr), f.size, &f.img, err, errlen) != 0) {
        rc = DYN_MALFORMED;
        goto out;
    }
    out->type = eh.e_type;
    if (f.img.interp_index >= 0) {
        const Elf64_Phdr *ip = &f.img.phdrs[f.img.interp_index];
        out->interp = calloc(1, ip->p_filesz + 1);
        if (!out->interp || read_at(&f, out->interp, ip->p_filesz, ip->p_offset) != 0)
            FAIL(DYN_MALFORMED, "PT_INTERP unreadable");
        if (strlen(out->interp) == 0 || out->interp[0] != '/')
            FAIL(DYN_MALFORMED, "PT_INTERP is not an absolute path");
    }
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        if (f.img.phdrs[i].p_type != PT_DYNAMIC) continue;
        if (out->has_dynamic) FAIL(DYN_MALFORMED, "two PT_DYNAMIC headers");
        out->has_dynamic = true;
        if ((rc = read_dynamic(&f, &f.img.phdrs[i], out, err, errlen)) != 0) goto out;
    }
out:
    close(f.fd);
    if (rc != 0) dyn_free(out);
    return rc;
}

void dyn_free(struct dyn_info *d)
{
    free(d->interp);
    for (size_t i = 0; i < d->nneeded; i++) free(d->needed[i]);
    free(d->needed);
    free(d->rpath);
    free(d->runpath);
    free(d->soname);
    memset(d, 0, sizeof *d);
}
