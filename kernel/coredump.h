/* Core files: a program killed by a signal whose Linux default action is
 * "core" leaves an ELF core (ET_CORE) in the image, which gdb opens with
 * the program's symbols (docs/cli.md, "Core files").
 *
 * coredump.c decides whether and where (the signal, RLIMIT_CORE, the boot
 * config's core path), stops the other threads and writes the file;
 * coredump_notes.c builds the PT_NOTE contents Linux's cores have. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "signal.h"

/* The program dies of info->signo: a core first when the signal's default
 * action is to dump one, then exit 128+signo. */
NORETURN void process_exit_core(const struct ksiginfo *info);
/* On the way back to ring 3: while a core is being written, the other
 * threads stop here for good, so the memory and registers in the core are
 * the ones of the moment of the crash. */
void coredump_park_if_dumping(void);
/* The loader's auxiliary vector (AT_* pairs up to AT_NULL), kept for the
 * core's NT_AUXV note. */
void coredump_remember_auxv(const void *auxv, size_t len);
/* RLIMIT_CORE's soft limit at start: unlimited when the image says where
 * cores go (as if a shell had run `ulimit -c unlimited`), else 0. */
struct process;
uint64_t coredump_initial_limit(const struct process *p);

/* --- coredump_notes.c --- */
struct process;
struct thread;
/* An upper bound on the note bytes for nthreads threads and nfiles
 * file-backed regions whose names total names_len bytes (NULs included). */
size_t core_notes_max(size_t nthreads, size_t nfiles, size_t names_len);
/* The register notes of one thread (NT_PRSTATUS, NT_FPREGSET) at out;
 * returns the bytes written. fpu: its 512-byte FXSAVE area. */
size_t core_note_thread(uint8_t *out, const struct thread *t, int cursig, const uint8_t *fpu);
/* NT_PRPSINFO, NT_SIGINFO and NT_AUXV at out; returns the bytes written. */
size_t core_note_process(uint8_t *out, const struct process *p, const struct ksiginfo *info);
/* NT_FILE: count entries of (start, end, file offset) and their names. */
struct core_file_range {
    uint64_t start, end, offset;
    const char *name;
};
size_t core_note_files(uint8_t *out, const struct core_file_range *r, size_t count);
