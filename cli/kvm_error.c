#include "kvm_error.h"

#include <stdio.h>
#include <string.h>

/* The instructions KVM's emulator was seen to stop on (docs/hosts.md). */
static const char *name_instruction(const char *bytes)
{
    static const struct { const char *bytes, *name; } known[] = {
        { "0f 01 cb", "stac" }, { "0f 01 ca", "clac" }, { "0f 01 f8", "swapgs" },
        { "48 0f 07", "sysretq" }, { "0f 07", "sysret" }, { "f0 48 0f c7", "lock cmpxchg16b" },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strncmp(bytes, known[i].bytes, strlen(known[i].bytes)))
            return known[i].name;
    return NULL;
}

int kvm_error_describe(const char *text, char *out, size_t outlen)
{
    if (outlen)
        out[0] = '\0';
    const char *report = strstr(text, "KVM internal error");
    if (!report)
        return 0;
    const char *rip = strstr(report, "RIP="), *code = strstr(report, "Code=");
    char rip_hex[17] = "?";
    if (rip)
        sscanf(rip + 4, "%16[0-9a-fA-F]", rip_hex);
    /* QEMU marks the byte at RIP: "<0f> 01 cb"; keep what follows, unmarked. */
    const char *at = code ? strchr(code, '<') : NULL;
    char bytes[32] = "";
    for (size_t i = 1, j = 0; at && at[i] && at[i] != '\n' && j + 1 < sizeof bytes; i++)
        if (at[i] != '>') {
            bytes[j++] = at[i];
            bytes[j] = '\0';
        }
    const char *insn = bytes[0] ? name_instruction(bytes) : NULL;
    snprintf(out, outlen, "KVM internal error (%s) at guest RIP %s%s%s%s",
             strstr(report, "emulation failure") ? "emulation failure" : "not emulated", rip_hex,
             insn ? " (" : "", insn ? insn : "", insn ? ")" : "");
    return 1;
}

int kvm_error_describe_file(const char *path, char *out, size_t outlen)
{
    static char text[16384];
    if (outlen)
        out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return kvm_error_describe(text, out, outlen);
}
