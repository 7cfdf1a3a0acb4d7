/* Device bring-up chatter. COM1 is also the program's stdout, so success
 * messages stay silent unless the kernel is built with -DPLATFORM_VERBOSE=1;
 * errors always go through kprintf. */
#pragma once
#include "../kernel/console.h"

#ifndef PLATFORM_VERBOSE
#define PLATFORM_VERBOSE 0
#endif
#define dev_info(...)                               \
    do {                                            \
        if (PLATFORM_VERBOSE) kprintf(__VA_ARGS__); \
    } while (0)
