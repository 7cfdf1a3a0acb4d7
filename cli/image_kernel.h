/* Copy the kernel ELF out of an existing image (MBR partition entry 0, type
 * 0xDA), so `pith run --image` boots PVH with the kernel the image carries. */
#pragma once
#include <stddef.h>

/* 0 on success; -1 with a one-line reason in err. out_path is created (mode 0600). */
int image_extract_kernel(const char *image_path, const char *out_path, char *err, size_t errlen);
