/* AF_NETLINK internals shared by net/netlink.c (the socket) and
 * net/netlink_route.c (NETLINK_ROUTE's answers). */
#pragma once
#include "socket.h"

#define NETLINK_ROUTE 0

struct nlmsghdr_k {
    uint32_t len;
    uint16_t type, flags;
    uint32_t seq, pid;
};

#define NLMSG_ALIGN(n) (((n) + 3u) & ~3u)
#define NLMSG_HDRLEN 16u
#define NLMSG_ERROR 2
#define NLMSG_DONE 3
#define NLM_F_REQUEST 0x1
#define NLM_F_MULTI 0x2
#define NLM_F_ACK 0x4
#define NLM_F_ROOT 0x100
#define NLM_F_MATCH 0x200
#define NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH)
#define NLM_F_CAPPED 0x100

/* Where NETLINK_ROUTE puts its replies: one datagram per call. */
struct nl_reply_sink {
    int (*put)(void *ctx, const void *msg, size_t len);
    void *ctx;
    uint32_t portid;    /* the requester's port id: nlmsg_pid of every reply */
};

/* Answer one request message (its header and payload, len bytes). */
void netlink_route_request(const struct nlmsghdr_k *req, size_t len, struct nl_reply_sink *sink);
/* An NLMSG_ERROR reply to req carrying err (0: an acknowledgement). */
void netlink_reply_error(const struct nlmsghdr_k *req, int err, struct nl_reply_sink *sink);

void netlink_register(void);
