/* cli/kvm_error.c: QEMU's KVM internal-error dump (as QEMU 7.2 printed it on
 * the build machines' software KVM) named in one phrase; other text is not. */
#include <string.h>

#include "cli/kvm_error.h"

#include "check.h"

static const char dump[] =
    "KVM internal error. Suberror: 1\n"
    "extra data[0]: 0x0000000000000001\n"
    "extra data[1]: 0xf3d18948cb010f0f\n"
    "emulation failure\n"
    "RAX=ffffffff8010b8ca RBX=ffffffff80144598 RCX=00007ffcf6b05000 RDX=0000000000000008\n"
    "RIP=ffffffff8010b8a6 RFL=00000202 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
    "CR0=80010033 CR2=0000000000000000 CR3=0000000000174000 CR4=00300620\n"
    "Code=00 00 65 48 89 04 25 18 00 00 00 f6 05 64 7e 03 00 01 74 03 <0f> 01 cb 48 89 d1 f3 a4 31 c0\n";

int main(void)
{
    char out[160];
    CHECK(kvm_error_describe(dump, out, sizeof out) == 1, "the dump is found");
    CHECK(strcmp(out, "KVM internal error (emulation failure) at guest RIP ffffffff8010b8a6 (stac)") == 0,
          "phrase: '%s'", out);

    /* An instruction pith has no name for: the phrase ends at RIP. */
    char other[sizeof dump];
    strcpy(other, dump);
    char *mark = strstr(other, "<0f> 01 cb");
    memcpy(mark, "<90> 90 90", 10);
    CHECK(kvm_error_describe(other, out, sizeof out) == 1 &&
          strcmp(out, "KVM internal error (emulation failure) at guest RIP ffffffff8010b8a6") == 0,
          "unnamed instruction: '%s'", out);

    /* Not an emulation failure, no RIP line. */
    CHECK(kvm_error_describe("KVM internal error. Suberror: 3\n", out, sizeof out) == 1 &&
          strcmp(out, "KVM internal error (not emulated) at guest RIP ?") == 0, "bare report: '%s'", out);

    /* Other QEMU errors are not KVM internal errors. */
    CHECK(kvm_error_describe("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n", out, sizeof out) == 0 &&
          out[0] == '\0', "MSR error is not an internal error");
    CHECK(kvm_error_describe("", out, sizeof out) == 0, "empty text");

    /* A small buffer is cut, never overrun. */
    char tiny[8];
    CHECK(kvm_error_describe(dump, tiny, sizeof tiny) == 1 && strlen(tiny) == 7, "truncated: '%s'", tiny);

    CHECK(kvm_error_describe_file("/nonexistent/pith-qemu.err", out, sizeof out) == 0 && out[0] == '\0',
          "missing file");
    return check_report("test_kvm_error");
}
