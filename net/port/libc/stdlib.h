/* lwIP's <stdlib.h>: only atoi (netif_find parses "en0"), from net/lwip_port.c.
 * Its memory comes from the kernel heap through lwipopts.h, never malloc. */
#pragma once
int atoi(const char *s);
