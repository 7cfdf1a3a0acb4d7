/* Reading what the dynamic loader reads from an ELF file: PT_INTERP and the
 * dynamic section's DT_NEEDED / DT_RPATH / DT_RUNPATH / DT_SONAME strings.
 * Used by the dependency resolver (deps.c). The file is read with bounded
 * preads, never mapped whole, so a 100 MB library costs a few small reads,
 * and every offset taken from the file is checked before use. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dyn_info {
    uint16_t type;          /* ET_EXEC or ET_DYN */
    char *interp;           /* PT_INTERP, NULL if none */
    bool has_dynamic;       /* PT_DYNAMIC present */
    char **needed;          /* DT_NEEDED names in file order */
    size_t nneeded;
    char *rpath, *runpath;  /* raw strings, NULL if absent */
    char *soname;
};

/* Results of dyn_read besides 0. */
#define DYN_WRONG_ARCH 1    /* a well-formed ELF of another class or machine: the
                             * loader skips such a candidate and keeps looking */
#define DYN_UNREADABLE (-2) /* open/read failed (permission, I/O) */
#define DYN_MALFORMED (-1)  /* not an ELF, truncated, bad headers or dynamic section */

/* Read `path`. is_library: the entry point is irrelevant (shared objects often
 * have none), so it is not checked. On anything but 0, err holds a short reason
 * without the path; out is then empty. */
int dyn_read(const char *path, bool is_library, struct dyn_info *out, char *err, size_t errlen);
void dyn_free(struct dyn_info *d);
