/* The C string/memory functions the compiler and the kernel need. Host tools
 * use libc's; this header only declares them for freestanding builds. */
#pragma once
#include "types.h"
#ifdef PITH_KERNEL
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#else
#include <string.h>
#endif
