/* QEMU's report of a KVM internal error, read from its stderr: a register
 * dump after "KVM internal error. Suberror: N", with "RIP=..." and the code
 * bytes around RIP ("Code=... <0f> 01 cb ..."). pith names it in one line
 * (the accelerator probe's verdict, a run's end) instead of the dump. */
#pragma once
#include <stddef.h>

/* "KVM internal error (emulation failure) at guest RIP ffffffff8010b8e6 (stac)"
 * if text holds such a report: returns 1; else 0 and out is "". */
int kvm_error_describe(const char *text, char *out, size_t outlen);

/* The same for a file (QEMU's stderr saved by pith); 0 if unreadable. */
int kvm_error_describe_file(const char *path, char *out, size_t outlen);
