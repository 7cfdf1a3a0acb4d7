/* What `pith run --boot uefi` and `--cloud-like` need besides QEMU's usual
 * devices (cli/firmware.c): OVMF's files, the image's EFI system partition
 * checked before booting, and the fw_cfg name the kernel reads as "act as
 * if fw_cfg were absent" (platform/fw_cfg.c). */
#pragma once
#include <stddef.h>

#define UEFI_OVMF_CODE "/usr/share/OVMF/OVMF_CODE.fd"   /* Debian's ovmf, read-only */
#define UEFI_OVMF_VARS "/usr/share/OVMF/OVMF_VARS.fd"   /* template: each run writes a copy */
#define UEFI_IGNORE_FW_CFG "opt/pith/ignore-fw_cfg"

/* 0 if the image at path has an EFI system partition (MBR entry of type
 * 0xEF) that starts with a FAT boot sector; else -1 and a one-line reason
 * (e.g. an image written before pith had UEFI support). */
int firmware_check_esp(const char *image_path, char *why, size_t whylen);

/* Copy OVMF's variable store template to vars_path (the run's temp
 * directory) and check OVMF's code is there. 0, or -1 with a reason. */
int firmware_prepare_ovmf(const char *vars_path, char *why, size_t whylen);
