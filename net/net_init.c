/* Registers the kernel's own socket families (net/socket.h). The network
 * core registers AF_INET and AF_INET6 itself when it brings lwIP up. */
#include "net_init.h"
#include "socket.h"
#include "unix.h"
#include "netlink.h"

void net_sockets_init(void)
{
    unix_register();
    netlink_register();
}
