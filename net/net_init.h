/* The socket families built into the kernel register here at boot. */
#pragma once

void net_sockets_init(void);
