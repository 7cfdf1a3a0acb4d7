/* Checks and files for the UEFI and cloud-like boots (cli/firmware.h). */
#include "firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../fs/mbr.h"

int firmware_check_esp(const char *image_path, char *why, size_t whylen)
{
    int fd = open(image_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    uint8_t mbr[512], boot[512];
    struct mbr_partition p[4];
    int rc = -1;
    if (pread(fd, mbr, sizeof mbr, 0) != (ssize_t)sizeof mbr || !mbr_decode(mbr, p)) {
        snprintf(why, whylen, "no MBR: not a Pith image");
        goto out;
    }
    int esp = -1;
    for (int i = 0; i < 4 && esp < 0; i++)
        if (p[i].type == MBR_TYPE_ESP) esp = i;
    if (esp < 0) {
        snprintf(why, whylen, "no EFI system partition (MBR type 0xEF), so it cannot boot with --boot uefi; "
                              "an image written before pith could boot UEFI: build it again");
        goto out;
    }
    /* A FAT boot sector: the jump, the 0x55AA signature, 512-byte sectors. */
    if (pread(fd, boot, sizeof boot, (off_t)p[esp].start_lba * 512) != (ssize_t)sizeof boot ||
        (boot[0] != 0xeb && boot[0] != 0xe9) || boot[510] != 0x55 || boot[511] != 0xaa ||
        (boot[11] | boot[12] << 8) != 512) {
        snprintf(why, whylen, "the EFI system partition (LBA %u) does not hold a FAT filesystem",
                 (unsigned)p[esp].start_lba);
        goto out;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}

int firmware_prepare_ovmf(const char *vars_path, char *why, size_t whylen)
{
    if (access(UEFI_OVMF_CODE, R_OK) != 0) {
        snprintf(why, whylen, "%s: %s (Debian package ovmf)", UEFI_OVMF_CODE, strerror(errno));
        return -1;
    }
    int in = open(UEFI_OVMF_VARS, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(why, whylen, "%s: %s (Debian package ovmf)", UEFI_OVMF_VARS, strerror(errno));
        return -1;
    }
    int out = open(vars_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = out < 0 ? -1 : 0;
    char buf[65536];
    ssize_t n;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0)
        if (n < 0 || write(out, buf, (size_t)n) != n) rc = -1;
    if (rc) snprintf(why, whylen, "copying %s: %s", UEFI_OVMF_VARS, strerror(errno));
    close(in);
    if (out >= 0 && close(out) != 0 && !rc) {
        snprintf(why, whylen, "copying %s: %s", UEFI_OVMF_VARS, strerror(errno));
        rc = -1;
    }
    return rc;
}
