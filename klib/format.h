/* printf-style formatting with no libc: %d %i %u %o %x %X %p %s %c %%, flags '-' '0',
 * width, precision for %s, length modifiers l ll z h hh. */
#pragma once
#include "types.h"

int format_vsn(char *buf, size_t size, const char *fmt, va_list ap);
int format_sn(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
