/* lwIP's compiler/platform header for the Pith kernel: freestanding x86_64,
 * little endian, no libc. Diagnostics go to the console through
 * net/lwip_port.c; an lwIP assertion is a kernel panic. */
#pragma once
#include "../../../klib/types.h"

#define BYTE_ORDER LITTLE_ENDIAN

/* The compiler's <limits.h> may define SSIZE_MAX (through the host's), and
 * then lwIP expects ssize_t from <unistd.h>, which we do not include. */
#include <limits.h>
#ifdef SSIZE_MAX
typedef long ssize_t;
#endif

/* No <inttypes.h>, <ctype.h>, <unistd.h>, <errno.h> from a libc: lwIP's own
 * fallbacks (its errno numbers are unused: our sockets map err_t). */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1
#define LWIP_PROVIDE_ERRNO 0
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"

void pith_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
NORETURN void pith_lwip_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_DIAG(x) do { pith_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) pith_lwip_assert((x), __FILE__, __LINE__)

/* lwIP's byte swaps as single instructions. */
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

/* One random source for ports, ISNs and DHCP transaction ids: the kernel's. */
uint32_t pith_lwip_rand(void);
#define LWIP_RAND() pith_lwip_rand()
