/* The line the UEFI loader writes on COM1 just before it enters the kernel.
 * Everything before it on the console is the firmware's (OVMF's boot
 * manager lines, terminal escapes): `pith run --boot uefi` drops that part
 * of the console up to and including this line (cli/console.c). Shared by
 * the loader and the host tool. */
#pragma once
#define PITH_UEFI_MARKER "pith: UEFI loader: starting the kernel\n"
